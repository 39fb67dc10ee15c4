; Strings and vectors changed in place, and ranges.
(define s (make-string 5 #\-))
(string-set! s 1 #\a)
s
(string-fill! s #\x 3)
s
(string-fill! s #\z)
s
(define t (string-copy "hello world"))
(string-copy! t 0 "HELLO")
t
(string-copy! t 6 "wide range" 0 5)
t
(string-copy! t 0 t 6)
t
(string-set! t 100 #\a)
(let ((s (string-copy "é"))) (string-set! s 0 #\ü) s)
(string-copy "hello" 1 3)
(substring "hello" 1 3)
(string->list "hello" 2)
(string->list "hello" 1 3)
(string->vector "abc")
(string->vector "abcde" 1 3)
(vector->string #(#\x #\y #\z))
(vector->string #(#\a #\b #\c) 1)
(define v (vector 1 2 3 4 5))
(vector-copy v 1 3)
(vector->list v 2)
(vector->list v 1 4)
(vector-fill! v 0 3)
v
(define w (make-vector 5 'w))
(vector-copy! w 1 #(a b c) 1)
w
(vector-copy! w 0 w 2)
w
(vector-copy! w 4 #(1 2 3))
(string-copy "abc" 2 1)
