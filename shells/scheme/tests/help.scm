(help 'host)
(help 'vectors)
(help 'no-such-group)
; Every procedure help mentions is bound.
(filter (lambda (name) (not (guard (e (#t #f)) (eval name) #t))) (%help-names))
; Every library procedure compiles.
(filter (lambda (name) (not (procedure? (eval name)))) (%library-names))
