; A million iterations of a do loop with two variables.
(do ((i 0 (+ i 1)) (sum 0 (+ sum i))) ((= i 1000000) sum))
(define v (make-vector 10 0))
(do ((i 0 (+ i 1))) ((= i 10) v) (vector-set! v i (* i i)))
