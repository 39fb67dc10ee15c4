; The heap follows the session's memory limit (64 MiB by default, of which 55 MiB for data):
; half a million pairs (24 MiB) fit; running out is an error that leaves the session working.
(length (make-list 500000 'x))
(make-list 10000000)
(make-vector 10000000)
(define (grow l) (grow (cons (make-string 100000) l)))
(grow '())
(< (%heap-bytes) (%heap-limit))
'still-working
