; Reader and printer: every kind of literal, written back.
42
-17
3.5
-0.25
1e21
1.5e-7
+inf.0
#x1F
#b101
"a string"
"escapes: \"quoted\" back\\slash tab\tnewline\n"
#\a
#\space
#\newline
#\x41
#t
#f
#true
#false
'symbol
'(1 2 3)
'(1 . 2)
'(1 2 . 3)
'#(1 "two" #\3 four)
'()
''x
'`(a ,b ,@c)
'|hello world|
(string->symbol "with space")
; Several expressions on one line are all evaluated.
(+ 1 2) (* 3 4) (- 10)
; Comments: line, block (nested) and datum.
#| a block #| nested |# comment |# (+ 1 1)
(+ 1 #;(this is ignored) 2)
; Definitions print nothing; their values are there afterwards.
(define answer 42)
answer
(define (square x) (* x x))
(square 12)
square
car
(lambda (x) x)
(if #f #f)
(list (if #f #f))
; Numbers: exact while exact, real otherwise.
(/ 6 3)
(/ 1 4)
(/ 7 2.0)
(quotient 17 5) (remainder -17 5) (modulo -17 5)
(exact->inexact 1)
(exact 3.0)
(floor 2.5) (ceiling 2.5) (round 2.5) (round 3.5) (truncate -2.7)
(sqrt 144) (sqrt 2)
(expt 2 10) (expt 2.0 0.5) (expt 2 -2)
(max 1 2.0) (min 3 1 2)
(abs -5) (gcd 12 18) (lcm 4 6)
(number->string 255 16) (number->string 3.25)
(string->number "1e3") (string->number "#xff") (string->number "nope")
(= 1 1.0) (< 1 2 3) (< 1 3 2) (eqv? 1 1.0) (equal? "ab" "ab") (eq? '() '())
(exact? 1) (exact? 0.5) (integer? 2.0) (number? "1")
