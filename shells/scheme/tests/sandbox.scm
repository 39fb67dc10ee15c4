; What the sandbox leaves out is an error, never a made-up answer: the shell has no files and no
; environment variables (a program must not conclude that PATH is unset).
(file-exists? ".")
(guard (e ((file-error? e) 'file-error)) (open-input-file "notes.txt"))
(get-environment-variable "PATH")
(get-environment-variables)
(guard (e ((error-object? e) (error-object-message e))) (get-environment-variable "HOME"))
(command-line)
