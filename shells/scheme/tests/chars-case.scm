; Case-insensitive comparison and folding; a character maps only to a single character.
(string-ci<? "apple" "BANANA") (string-ci>? "b" "A") (string-ci<=? "a" "A") (string-ci>=? "Z" "z" "y") (string-ci=? "Straße" "STRASSE")
(char-ci<? #\a #\B) (char-ci>? #\b #\A) (char-ci=? #\x #\X) (char-ci<=? #\a #\A #\b) (char-ci>=? #\C #\b)
(string-foldcase "Hello WORLD") (string-foldcase "Straße")
(char-foldcase #\Q) (char-upcase #\ß) (char-upcase #\ä) (char-downcase #\Σ)
(string-upcase "straße")
(char-numeric? #\5) (char-numeric? #\x664) (digit-value #\x664) (digit-value #\a)
(char-alphabetic? #\λ) (char-whitespace? #\tab) (char-upper-case? #\A) (char-lower-case? #\A)
(sort '("banana" "Apple" "cherry") string-ci<?)
