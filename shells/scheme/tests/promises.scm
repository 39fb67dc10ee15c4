; delay, delay-force, make-promise, force.
(define count 0)
(define p (delay (begin (set! count (+ count 1)) (* 6 7))))
(promise? p)
(force p) (force p) count
(force (make-promise 5)) (promise? (make-promise 5)) (force 7)
(define (stream-from n) (cons n (delay (stream-from (+ n 1)))))
(define (stream-ref s k) (if (= k 0) (car s) (stream-ref (force (cdr s)) (- k 1))))
(stream-ref (stream-from 0) 100)
(define (loop n) (if (= n 0) (make-promise 'done) (delay-force (loop (- n 1)))))
(force (loop 100000))
(define r (delay (begin (set! count (+ count 1)) (if (> count 5) count (force r)))))
(force r)
