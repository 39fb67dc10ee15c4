; case-lambda: a procedure per number of arguments.
(define area (case-lambda ((r) (* 3 r r)) ((w h) (* w h)) ((a b c . more) (list 'many a b c more))))
(area 2) (area 2 3) (area 1 2 3) (area 1 2 3 4 5)
(area)
(define plus (case-lambda (() 0) ((x) x) ((x . rest) (+ x (apply plus rest)))))
(plus) (plus 1) (plus 1 2 3)
