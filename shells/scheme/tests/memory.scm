; Runaway allocation is a Scheme error, not a crash; the session continues.
(define (grow l) (grow (cons (make-vector 8 0) l)))
(guard (e (#t (condition/report-string e))) (grow '()))
(make-vector 100000000 0)
(make-string 100000000 #\x)
(define (double s) (double (string-append s s)))
(double "x")
(length (iota 1000))
; Circular structures are reported, not followed for ever.
(define ring (list 1 2 3))
(set-cdr! (cddr ring) ring)
(list? ring)
(length ring)
(map (lambda (x) x) ring)
(set! ring #f)
; Deeply nested data prints with an ellipsis and frees without trouble.
(define (nest n x) (if (= n 0) x (nest (- n 1) (list x))))
(define deep (nest 100000 'core))
(equal? deep (nest 100000 'core))
(set! deep #f)
'done
