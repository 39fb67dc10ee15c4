; Proper tail calls: a million iterations of a named let in constant space.
(let loop ((i 0)) (if (< i 1000000) (loop (+ i 1)) i))
(define (count-down n) (cond ((= n 0) 'done) (else (count-down (- n 1)))))
(count-down 100000)
