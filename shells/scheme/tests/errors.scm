; Every error is one line; the session and its definitions survive.
(define kept 'still-here)
undefined-variable
(car '())
(cdr 5)
(+ 1 "2")
(vector-ref '#(1 2) 9)
(define (two a b) a)
(two 1 2 3)
(two 1)
((lambda (x) x))
(5 3)
(/ 1 0)
(quotient 1 0)
(+ 9223372036854775807 1)
(* 3037000500 3037000500)
(- -9223372036854775808)
(expt 10 19)
99999999999999999999
(string->number "99999999999999999999")
(error "something failed:" 42 'foo "bar")
(error 'my-proc "bad input" '(1 2))
(raise 'oops)
(assert (= 1 2))
(set! never-defined 1)
(let ((x 1) (x 2)) x)
(if)
(lambda)
(define-syntax foo 1)
; Deep non-tail recursion stops at the limit with a clear error.
(define (depth n) (if (= n 0) 0 (+ 1 (depth (- n 1)))))
(depth 50000)
(depth 1000000)
; guard catches errors, including host and recursion errors.
(guard (e (#t (condition/report-string e))) (depth 1000000))
(guard (e ((error-object? e) (list (error-object-message e) (error-object-irritants e)))) (error "bad thing" 1 2))
(guard (e ((symbol? e) (list 'caught e))) (raise 'oops))
(guard (e ((string? e) 'no)) (raise 42))
(guard (e (else 'fallback)) (car 1))
kept
; Reader errors drop the rest of the pending input.
(+ 1 2))
(display "evaluated") (+ 1 1) ) (display "dropped")
'after
(+ 1 #\ab)
1/2
"fine again"
kept
