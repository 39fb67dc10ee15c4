; Literal constants (quoted data, string, vector and bytevector literals) cannot change (R7RS
; 3.4): changing one is an error, and a copy can change.
(set-car! '(1 2) 9)
(vector-set! #(1 2) 0 9)
(string-set! "abc" 0 #\x)
(bytevector-u8-set! #u8(1 2) 0 9)
(define (constant) '(constant-list))
(set-cdr! (constant) '())
(constant)
(define nested '(1 (2 3) #(4 "five")))
(set-car! (cadr nested) 0)
(string-set! (vector-ref (caddr nested) 1) 0 #\F)
(list-set! '(a b c) 1 'x)
(string-fill! "abc" #\z)
(string-copy! "abc" 0 "x")
(vector-fill! '#(1 2) 0)
(vector-copy! #(1 2 3) 0 #(4))
(bytevector-copy! #u8(1 2) 0 #u8(3))
(read-bytevector! #u8(0 0) (open-input-bytevector #u8(1 2)))
nested
(let ((copy (list-copy (constant)))) (set-car! copy 'changed) copy)
(let ((s (string-copy "abc"))) (string-set! s 0 #\x) s)
(let ((v (vector-copy #(1 2)))) (vector-set! v 0 9) v)
(let ((l (list 1 2))) (set-car! l 9) l)
; Data built at run time stays changeable, quasiquoted lists included.
(let ((q `(1 ,(+ 1 1)))) (set-car! q 0) q)
(let ((a (append (list 1) '(2)))) (set-car! a 0) a)
'still-working
