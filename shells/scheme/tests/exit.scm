(define x 1)
(display "leaving")
(exit)
(display "never shown")
