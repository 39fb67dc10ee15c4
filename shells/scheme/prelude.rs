//! Library procedures written in Scheme: everything that calls back into Scheme procedures
//! (map, fold, sort, ...). Running on the evaluator like user code, they get proper tail
//! calls, the recursion limit and the memory checks for free, and never nest native calls.
//! Loops accumulate and reverse, so long lists need no deep recursion.

use crate::eval::Interp;
use crate::reader::{read, Read};

const PRELUDE: &str = r#"
(define (%map1 f l)
  (let loop ((l l) (acc '()))
    (if (pair? l)
        (loop (cdr l) (cons (f (car l)) acc))
        (reverse! acc))))

(define (map f l . more)
  (%check-procedure 'map f)
  (if (null? more)
      (begin (%check-list 'map l) (%map1 f l))
      (let loop ((ls (cons l more)) (acc '()))
        (if (%all-pairs? ls)
            (loop (%cdrs ls) (cons (apply f (%cars ls)) acc))
            (reverse! acc)))))

(define (for-each f l . more)
  (%check-procedure 'for-each f)
  (if (null? more)
      (begin
        (%check-list 'for-each l)
        (let loop ((l l))
          (if (pair? l)
              (begin (f (car l)) (loop (cdr l))))))
      (let loop ((ls (cons l more)))
        (if (%all-pairs? ls)
            (begin (apply f (%cars ls)) (loop (%cdrs ls)))))))

(define (filter pred l)
  (%check-procedure 'filter pred)
  (%check-list 'filter l)
  (let loop ((l l) (acc '()))
    (if (pair? l)
        (loop (cdr l) (if (pred (car l)) (cons (car l) acc) acc))
        (reverse! acc))))

(define (remove pred l)
  (%check-procedure 'remove pred)
  (filter (lambda (x) (not (pred x))) l))

(define (reduce f initial l)
  (%check-procedure 'reduce f)
  (%check-list 'reduce l)
  (if (null? l)
      initial
      (let loop ((acc (car l)) (l (cdr l)))
        (if (pair? l) (loop (f (car l) acc) (cdr l)) acc))))

(define (fold-left f init l . more)
  (%check-procedure 'fold-left f)
  (if (null? more)
      (begin
        (%check-list 'fold-left l)
        (let loop ((acc init) (l l))
          (if (pair? l) (loop (f acc (car l)) (cdr l)) acc)))
      (let loop ((acc init) (ls (cons l more)))
        (if (%all-pairs? ls)
            (loop (apply f acc (%cars ls)) (%cdrs ls))
            acc))))

(define (fold-right f init l . more)
  (%check-procedure 'fold-right f)
  (if (null? more)
      (let loop ((acc init) (l (reverse l)))
        (if (pair? l) (loop (f (car l) acc) (cdr l)) acc))
      (let loop ((acc init) (tuples (reverse (apply map list l more))))
        (if (pair? tuples)
            (loop (apply f (append (car tuples) (list acc))) (cdr tuples))
            acc))))

(define (fold f init l . more)
  (%check-procedure 'fold f)
  (if (null? more)
      (begin
        (%check-list 'fold l)
        (let loop ((acc init) (l l))
          (if (pair? l) (loop (f (car l) acc) (cdr l)) acc)))
      (let loop ((acc init) (ls (cons l more)))
        (if (%all-pairs? ls)
            (loop (apply f (append (%cars ls) (list acc))) (%cdrs ls))
            acc))))

(define (any pred l . more)
  (%check-procedure 'any pred)
  (if (null? more)
      (begin
        (%check-list 'any l)
        (let loop ((l l))
          (and (pair? l) (or (pred (car l)) (loop (cdr l))))))
      (let loop ((ls (cons l more)))
        (and (%all-pairs? ls) (or (apply pred (%cars ls)) (loop (%cdrs ls)))))))

(define (every pred l . more)
  (%check-procedure 'every pred)
  (if (null? more)
      (begin
        (%check-list 'every l)
        (let loop ((l l) (last #t))
          (if (pair? l)
              (let ((r (pred (car l)))) (and r (loop (cdr l) r)))
              last)))
      (let loop ((ls (cons l more)) (last #t))
        (if (%all-pairs? ls)
            (let ((r (apply pred (%cars ls)))) (and r (loop (%cdrs ls) r)))
            last))))

(define (count pred l)
  (%check-procedure 'count pred)
  (%check-list 'count l)
  (let loop ((l l) (n 0))
    (if (pair? l) (loop (cdr l) (if (pred (car l)) (+ n 1) n)) n)))

(define (find-tail pred l)
  (%check-procedure 'find-tail pred)
  (%check-list 'find-tail l)
  (let loop ((l l))
    (cond ((null? l) #f)
          ((pred (car l)) l)
          (else (loop (cdr l))))))

(define (find pred l)
  (let ((tail (find-tail pred l)))
    (and tail (car tail))))

(define (list-index pred l)
  (%check-procedure 'list-index pred)
  (%check-list 'list-index l)
  (let loop ((l l) (i 0))
    (cond ((null? l) #f)
          ((pred (car l)) i)
          (else (loop (cdr l) (+ i 1))))))

(define (filter-map f l . more)
  (filter (lambda (x) x) (apply map f l more)))

(define (append-map f l . more)
  (apply append (apply map f l more)))

(define (list-tabulate n f)
  (%check-procedure 'list-tabulate f)
  (%map1 f (iota n)))

(define (delete-if pred l) (remove pred l))

(define (member x l . same)
  (if (null? same)
      (%member x l)
      (let ((same? (car same)))
        (%check-procedure 'member same?)
        (%check-list 'member l)
        (let loop ((l l))
          (cond ((null? l) #f)
                ((same? x (car l)) l)
                (else (loop (cdr l))))))))

(define (assoc x l . same)
  (if (null? same)
      (%assoc x l)
      (let ((same? (car same)))
        (%check-procedure 'assoc same?)
        (%check-list 'assoc l)
        (let loop ((l l))
          (cond ((null? l) #f)
                ((same? x (car (car l))) (car l))
                (else (loop (cdr l))))))))

(define (%merge a b less?)
  (let loop ((a a) (b b) (acc '()))
    (cond ((null? a) (append-reverse! acc b))
          ((null? b) (append-reverse! acc a))
          ((less? (car b) (car a)) (loop a (cdr b) (cons (car b) acc)))
          (else (loop (cdr a) b (cons (car a) acc))))))

;; Merge sort of the first n elements of l: stable, recursion depth log2(n).
(define (%sort l n less?)
  (if (< n 2)
      (if (= n 1) (list (car l)) '())
      (let ((half (quotient n 2)))
        (%merge (%sort l half less?)
                (%sort (list-tail l half) (- n half) less?)
                less?))))

(define (sort seq less?)
  (%check-procedure 'sort less?)
  (if (vector? seq)
      (list->vector (%sort (vector->list seq) (vector-length seq) less?))
      (begin (%check-list 'sort seq) (%sort seq (length seq) less?))))

(define (sort! seq less?) (sort seq less?))
(define (list-sort less? l) (sort l less?))

(define (vector-map f v . more)
  (list->vector (apply map f (vector->list v) (%map1 vector->list more))))

(define (vector-for-each f v . more)
  (apply for-each f (vector->list v) (%map1 vector->list more)))

(define (string-map f s)
  (list->string (map f (string->list s))))

(define (string-for-each f s)
  (for-each f (string->list s)))

(define %missing (list 'missing))

(define (hash-table-ref table key . default)
  (let ((v (%hash-table-ref table key %missing)))
    (cond ((not (eq? v %missing)) v)
          ((null? default) (error "hash-table-ref: no such key:" key))
          ((procedure? (car default)) ((car default)))
          (else (car default)))))

(define (hash-table-update! table key proc . default)
  (%check-procedure 'hash-table-update! proc)
  (hash-table-set! table key (proc (apply hash-table-ref table key default))))

(define (hash-table-update!/default table key proc default)
  (%check-procedure 'hash-table-update!/default proc)
  (hash-table-set! table key (proc (hash-table-ref/default table key default))))

(define (hash-table-walk table proc)
  (%check-procedure 'hash-table-walk proc)
  (for-each (lambda (entry) (proc (car entry) (cdr entry)))
            (hash-table->alist table)))

(define (assert ok . message)
  (if ok #t (apply error (if (null? message) '("assertion failed") message))))
"#;

/// Defines the library. A failure here is a bug in this file; it is reported at greeting.
pub fn load(interp: &mut Interp) -> Result<(), String> {
    let mut pos = 0;
    loop {
        match read(PRELUDE, pos) {
            Read::Datum(datum, end) => {
                pos = end;
                if let Err(e) = interp.eval_library(&datum) {
                    let message = match e {
                        crate::value::Error::Raise(v) => crate::builtins::report(&v),
                        crate::value::Error::Exit => "exit".to_string(),
                    };
                    return Err(format!("prelude: {}", message));
                }
            }
            Read::Nothing => return Ok(()),
            Read::Incomplete => return Err("prelude: incomplete expression".to_string()),
            Read::Error(e) => return Err(format!("prelude: {}", e)),
        }
    }
}
