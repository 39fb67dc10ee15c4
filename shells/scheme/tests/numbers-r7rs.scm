; Numbers: exactness prefixes, predicates, integer division, radixes.
#e1.0 #e1e3 #i3 #x#e10 #e#x10 #i#b101
(string->number "#e2.0") (string->number "#i7") (string->number "1e2") (string->number "ff" 16) (string->number "#b101")
(string->number " 12") (string->number "12 ") (string->number "") (string->number "1/2")
(finite? 1.0) (finite? +inf.0) (infinite? -inf.0) (infinite? +nan.0) (nan? +nan.0) (nan? 1)
(exact 3.0) (inexact 3) (exact 2.5)
(exact-integer? 5) (exact-integer? 5.0) (exact-rational? 1)
(floor-quotient -7 2) (floor-remainder -7 2) (truncate-quotient -7 2) (truncate-remainder -7 2)
(square 12) (square 1.5) (exact-integer-sqrt 26)
(number->string 255 16) (number->string -10 2) (number->string 1.5)
(boolean=? #t #t) (boolean=? #t #f) (symbol=? 'a 'a 'a)
(numerator 0.75) (denominator 0.75)
; Without rationals (/ 6 4) is 1.5, whose numerator and denominator are inexact like it.
(numerator (/ 6 4)) (denominator (/ 6 4)) (numerator 5) (denominator 5) (numerator -0.75) (denominator 0.0)
1e21 1.5e-7 -0.0
