;; A 1,000,000-step named-let loop: tail calls in constant space.
(define (run) (let loop ((i 0) (acc 0)) (if (= i 1000000) acc (loop (+ i 1) (+ acc i)))))
