(define (greet name)
  ; a comment inside
  (string-append "hello, "
                 name))
(greet
 "world")
(+ 1
   2) (+ 3
         4)
"a string
spanning lines"
#| a comment
   over lines |# 'after-comment
(display "partial line") (display
"rest")
(list 1
