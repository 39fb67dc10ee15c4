//! Library procedures written in Scheme: everything that calls back into Scheme procedures
//! (map, fold, sort, hash-table-walk, ...). Running on the evaluator like user code, they get
//! proper tail calls, the recursion limit, interruption and the memory checks for free, and
//! never nest native calls. Loops accumulate and reverse, so long lists need no deep recursion.
//!
//! Each definition is compiled the first time a program names it (compile.rs, `Globals`), so a
//! session costs only what it uses. Rules for this text: every top-level form is a procedure
//! definition starting at column 0 (nothing else starts there); names starting with `%` are
//! internal; library code sees primitives and other library procedures, never the operator's
//! redefinitions.

use std::cell::RefCell;

const LIBRARY: &str = r#"
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
      (let loop ((l l))
        (and (pair? l) (or (pred (car l)) (loop (cdr l)))))
      (let loop ((ls (cons l more)))
        (and (%all-pairs? ls) (or (apply pred (%cars ls)) (loop (%cdrs ls)))))))

(define (every pred l . more)
  (%check-procedure 'every pred)
  (if (null? more)
      (let loop ((l l) (last #t))
        (cond ((pair? l) (let ((r (pred (car l)))) (and r (loop (cdr l) r))))
              ((null? l) last)
              (else (error "every: expected a proper list, found a tail of" l))))
      (let loop ((ls (cons l more)) (last #t))
        (if (%all-pairs? ls)
            (let ((r (apply pred (%cars ls)))) (and r (loop (%cdrs ls) r)))
            last))))

(define (find-tail pred l)
  (%check-procedure 'find-tail pred)
  (let loop ((l l))
    (cond ((not (pair? l)) #f)
          ((pred (car l)) l)
          (else (loop (cdr l))))))

(define (find pred l)
  (let ((tail (find-tail pred l)))
    (and tail (car tail))))

(define (filter-map f l . more)
  (filter (lambda (x) x) (apply map f l more)))

(define (append-map f l . more)
  (apply append (apply map f l more)))

(define (list-tabulate n f)
  (%check-procedure 'list-tabulate f)
  (%map1 f (iota n)))

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

(define (assert ok . message)
  (if ok #t (apply error (if (null? message) '("assertion failed") message))))

(define (remove pred l)
  (%check-procedure 'remove pred)
  (filter (lambda (x) (not (pred x))) l))

(define (fold-right f init l . more)
  (%check-procedure 'fold-right f)
  (if (null? more)
      (let loop ((acc init) (l (reverse l)))
        (if (pair? l) (loop (f (car l) acc) (cdr l)) acc))
      (let loop ((acc init) (tuples (reverse (apply map list l more))))
        (if (pair? tuples)
            (loop (apply f (append (car tuples) (list acc))) (cdr tuples))
            acc))))

(define (reduce-right f initial l)
  (%check-procedure 'reduce-right f)
  (if (null? l)
      initial
      (let loop ((l (reverse l)) (acc #f) (first #t))
        (cond ((null? l) acc)
              (first (loop (cdr l) (car l) #f))
              (else (loop (cdr l) (f (car l) acc) #f))))))

(define (count pred l . more)
  (%check-procedure 'count pred)
  (let loop ((ls (cons l more)) (n 0))
    (if (%all-pairs? ls)
        (loop (%cdrs ls) (if (apply pred (%cars ls)) (+ n 1) n))
        n)))

(define (list-index pred l . more)
  (%check-procedure 'list-index pred)
  (let loop ((ls (cons l more)) (i 0))
    (cond ((not (%all-pairs? ls)) #f)
          ((apply pred (%cars ls)) i)
          (else (loop (%cdrs ls) (+ i 1))))))

(define (member x l . same)
  (if (null? same)
      (%member x l)
      (let ((same? (car same)))
        (%check-procedure 'member same?)
        (let loop ((l l))
          (cond ((not (pair? l)) #f)
                ((same? x (car l)) l)
                (else (loop (cdr l))))))))

(define (assoc x l . same)
  (if (null? same)
      (%assoc x l)
      (let ((same? (car same)))
        (%check-procedure 'assoc same?)
        (let loop ((l l))
          (cond ((not (pair? l)) #f)
                ((same? x (car (car l))) (car l))
                (else (loop (cdr l))))))))

(define (delete x l . same)
  (if (null? same)
      (%delete x l)
      (let ((same? (car same)))
        (filter (lambda (y) (not (same? x y))) l))))

(define (delete! x l . same) (apply delete x l same))

(define (delete-duplicates l . same)
  (if (null? same)
      (%delete-duplicates l)
      (let ((same? (car same)))
        (let loop ((l l) (acc '()))
          (cond ((null? l) (reverse! acc))
                ((any (lambda (y) (same? y (car l))) acc) (loop (cdr l) acc))
                (else (loop (cdr l) (cons (car l) acc))))))))

(define (delete-duplicates! l . same) (apply delete-duplicates l same))

(define (take-while pred l)
  (%check-procedure 'take-while pred)
  (let loop ((l l) (acc '()))
    (if (and (pair? l) (pred (car l)))
        (loop (cdr l) (cons (car l) acc))
        (reverse! acc))))

(define (take-while! pred l) (take-while pred l))

(define (drop-while pred l)
  (%check-procedure 'drop-while pred)
  (let loop ((l l))
    (if (and (pair? l) (pred (car l))) (loop (cdr l)) l)))

(define (span pred l)
  (values (take-while pred l) (drop-while pred l)))

(define (span! pred l) (span pred l))

(define (break pred l)
  (span (lambda (x) (not (pred x))) l))

(define (break! pred l) (break pred l))

(define (take! l k) (take l k))

(define (take-right l k)
  (let loop ((lag l) (lead (drop l k)))
    (if (pair? lead) (loop (cdr lag) (cdr lead)) lag)))

(define (drop-right l k)
  (let loop ((lag l) (lead (drop l k)) (acc '()))
    (if (pair? lead)
        (loop (cdr lag) (cdr lead) (cons (car lag) acc))
        (reverse! acc))))

(define (drop-right! l k) (drop-right l k))

(define (split-at l k) (values (take l k) (drop l k)))

(define (split-at! l k) (split-at l k))

(define (zip l . more) (apply map list l more))

(define (unzip1 l) (map car l))
(define (unzip2 l) (values (map car l) (map cadr l)))
(define (unzip3 l) (values (map car l) (map cadr l) (map caddr l)))

(define (partition pred l)
  (%check-procedure 'partition pred)
  (let loop ((l l) (in '()) (out '()))
    (cond ((null? l) (values (reverse! in) (reverse! out)))
          ((pred (car l)) (loop (cdr l) (cons (car l) in) out))
          (else (loop (cdr l) in (cons (car l) out))))))

(define (partition! pred l) (partition pred l))
(define (filter! pred l) (filter pred l))
(define (remove! pred l) (remove pred l))
(define (append-map! f l . more) (apply append-map f l more))
(define (map-in-order f l . more) (apply map f l more))

(define (concatenate lists) (apply append lists))
(define (concatenate! lists) (apply append lists))

(define (unfold stop? mapper successor seed . tail-gen)
  (let loop ((seed seed) (acc '()))
    (if (stop? seed)
        (append-reverse! acc (if (null? tail-gen) '() ((car tail-gen) seed)))
        (loop (successor seed) (cons (mapper seed) acc)))))

(define (unfold-right stop? mapper successor seed . tail)
  (let loop ((seed seed) (acc (if (null? tail) '() (car tail))))
    (if (stop? seed) acc (loop (successor seed) (cons (mapper seed) acc)))))

(define (pair-for-each f l)
  (let loop ((l l))
    (if (pair? l) (let ((next (cdr l))) (f l) (loop next)))))

(define (pair-fold f init l . more)
  (let loop ((ls (cons l more)) (acc init))
    (if (%all-pairs? ls)
        (let ((next (%cdrs ls))) (loop next (apply f (append ls (list acc)))))
        acc)))

(define (pair-fold-right f init l . more)
  (let loop ((tails (let collect ((ls (cons l more)) (acc '()))
                      (if (%all-pairs? ls) (collect (%cdrs ls) (cons ls acc)) acc)))
             (acc init))
    (if (pair? tails)
        (loop (cdr tails) (apply f (append (car tails) (list acc))))
        acc)))

(define (car+cdr p) (values (car p) (cdr p)))
(define (xcons a b) (cons b a))

(define (list= same . lists)
  (or (null? lists)
      (let outer ((a (car lists)) (rest (cdr lists)))
        (or (null? rest)
            (and (let inner ((x a) (y (car rest)))
                   (cond ((and (null? x) (null? y)) #t)
                         ((or (null? x) (null? y)) #f)
                         (else (and (same (car x) (car y)) (inner (cdr x) (cdr y))))))
                 (outer (car rest) (cdr rest)))))))

(define (length+ l) (and (list? l) (length l)))
(define (proper-list? x) (list? x))
(define (dotted-list? x)
  (let loop ((x x) (n 0))
    (cond ((pair? x) (if (> n 10000000) #f (loop (cdr x) (+ n 1))))
          ((null? x) #f)
          (else #t))))
(define (circular-list? x) (and (pair? x) (not (list? x)) (not (dotted-list? x))))
(define (null-list? l) (cond ((pair? l) #f) ((null? l) #t) (else (error "null-list?: not a list:" l))))
(define (not-pair? x) (not (pair? x)))
(define (circular-list x . more)
  (let ((l (cons x more)))
    (set-cdr! (last-pair l) l)
    l))

(define (alist-cons k v alist) (cons (cons k v) alist))
(define (alist-copy alist) (map (lambda (e) (if (pair? e) (cons (car e) (cdr e)) e)) alist))
(define (alist-delete k alist . same)
  (let ((same? (if (null? same) equal? (car same))))
    (remove (lambda (e) (same? k (car e))) alist)))
(define (alist-delete! k alist . same) (apply alist-delete k alist same))

(define (lset-adjoin same l . items)
  (let loop ((items items) (l l))
    (cond ((null? items) l)
          ((member (car items) l (lambda (a b) (same b a))) (loop (cdr items) l))
          (else (loop (cdr items) (cons (car items) l))))))

(define (lset-union same . lists)
  (cond ((null? lists) '())
        (else (fold (lambda (l acc)
                      (cond ((null? acc) l)
                            ((eq? l acc) acc)
                            (else (fold (lambda (x acc) (if (member x acc (lambda (a b) (same b a))) acc (cons x acc)))
                                        acc l))))
                    '() lists))))

(define (lset-intersection same l . lists)
  (filter (lambda (x) (every (lambda (other) (member x other same)) lists)) l))

(define (lset-difference same l . lists)
  (filter (lambda (x) (not (any (lambda (other) (member x other same)) lists))) l))

(define (lset-xor same . lists)
  (fold (lambda (b a)
          (append (lset-difference same a b) (lset-difference same b a)))
        '() lists))

(define (lset<= same . lists)
  (or (null? lists)
      (let loop ((a (car lists)) (rest (cdr lists)))
        (or (null? rest)
            (and (every (lambda (x) (member x (car rest) same)) a)
                 (loop (car rest) (cdr rest)))))))

(define (lset= same . lists)
  (or (null? lists)
      (let loop ((a (car lists)) (rest (cdr lists)))
        (or (null? rest)
            (and (every (lambda (x) (member x (car rest) same)) a)
                 (every (lambda (x) (member x a (lambda (p q) (same q p)))) (car rest))
                 (loop (car rest) (cdr rest)))))))

(define (%map-sequences who f seqs ->list list->)
  (%check-procedure who f)
  (list-> (apply map f (map ->list seqs))))

(define (vector-map f v . more)
  (%map-sequences 'vector-map f (cons v more) vector->list list->vector))

(define (vector-for-each f v . more)
  (apply for-each f (vector->list v) (%map1 vector->list more)))

(define (string-map f s . more)
  (%map-sequences 'string-map f (cons s more) string->list list->string))

(define (string-for-each f s . more)
  (apply for-each f (string->list s) (%map1 string->list more)))

(define (string-count s pred)
  (count pred (string->list s)))

(define (vector-count pred v . more)
  (apply count pred (vector->list v) (%map1 vector->list more)))

(define (call-with-values producer consumer)
  (apply consumer (%values->list (producer))))

(define (make-parameter value . converter)
  (if (null? converter)
      (%make-parameter value #f)
      (%make-parameter ((car converter) value) (car converter))))

(define (%parameterize params values body)
  (let ((params (map %parameter-object params)))
    (%with-parameters params
                      (map (lambda (p v) (let ((convert (%parameter-converter p))) (if convert (convert v) v)))
                           params values)
                      body)))

(define (%case-lambda args clauses)
  (let ((n (length args)))
    (let loop ((cs clauses))
      (cond ((null? cs) (error (string-append "case-lambda: no clause accepts " (number->string n) " arguments")))
            ((%procedure-accepts? (car cs) n) (apply (car cs) args))
            (else (loop (cdr cs)))))))

(define (force p)
  (if (promise? p)
      (let loop ()
        (if (%promise-done? p)
            (%promise-value p)
            (let ((next ((%promise-value p))))
              (if (not (%promise-done? p))
                  (%promise-update! (make-promise next) p))
              (loop))))
      p))

(define (with-output-to-string thunk)
  (let ((port (open-output-string)))
    (%with-parameters (list (%output-parameter)) (list port) thunk)
    (get-output-string port)))

(define (call-with-output-string proc)
  (let ((port (open-output-string)))
    (proc port)
    (get-output-string port)))

(define (call-with-port port proc)
  (call-with-values (lambda () (proc port))
    (lambda results (close-port port) (apply values results))))

(define (hash-table-set! t k v)
  (if (%hash-table-custom? t) (%custom-set! t k v) (%hash-table-set! t k v)))

(define (%lookup t k)
  (if (%hash-table-custom? t)
      (let ((e (%custom-entry t k))) (if e (cdr e) (%missing)))
      (%hash-table-ref t k (%missing))))

(define (hash-table-ref t key . opt)
  (let ((v (%lookup t key)))
    (cond ((not (eq? v (%missing))) (if (and (pair? opt) (pair? (cdr opt))) ((cadr opt) v) v))
          ((null? opt) (error "hash-table-ref: no such key:" key))
          ((procedure? (car opt)) ((car opt)))
          (else (car opt)))))

(define (hash-table-ref/default t key default)
  (let ((v (%lookup t key)))
    (if (eq? v (%missing)) default v)))

(define (hash-table-contains? t key) (not (eq? (%lookup t key) (%missing))))
(define (hash-table-exists? t key) (hash-table-contains? t key))

(define (hash-table-delete! t key)
  (if (%hash-table-custom? t) (%custom-delete! t key) (%hash-table-delete! t key)))

(define (hash-table-size t)
  (if (%hash-table-custom? t) (length (%custom-alist t)) (%hash-table-size t)))

(define (hash-table-count t) (hash-table-size t))

(define (hash-table->alist t)
  (if (%hash-table-custom? t) (%custom-alist t) (%hash-table->alist t)))

(define (hash-table-keys t)
  (if (%hash-table-custom? t) (map car (%custom-alist t)) (%hash-table-keys t)))

(define (hash-table-values t)
  (if (%hash-table-custom? t) (map cdr (%custom-alist t)) (%hash-table-values t)))

(define (hash-table-copy t . mutable)
  (if (%hash-table-custom? t)
      (let ((copy (make-hash-table (hash-table-equivalence-function t) (hash-table-hash-function t))))
        (hash-table-walk t (lambda (k v) (hash-table-set! copy k v)))
        copy)
      (%hash-table-copy t)))

(define (hash-table-update! t key proc . default)
  (%check-procedure 'hash-table-update! proc)
  (hash-table-set! t key (proc (apply hash-table-ref t key default))))

(define (hash-table-update!/default t key proc default)
  (%check-procedure 'hash-table-update!/default proc)
  (hash-table-set! t key (proc (hash-table-ref/default t key default))))

(define (hash-table-walk t proc)
  (%check-procedure 'hash-table-walk proc)
  (for-each (lambda (entry) (proc (car entry) (cdr entry))) (hash-table->alist t)))

(define (hash-table-fold t kons knil)
  (%check-procedure 'hash-table-fold kons)
  (fold (lambda (entry acc) (kons (car entry) (cdr entry) acc)) knil (hash-table->alist t)))

(define (hash-table-merge! t1 t2)
  (hash-table-walk t2 (lambda (k v) (hash-table-set! t1 k v)))
  t1)

(define (alist->hash-table alist . how)
  (let ((t (apply make-hash-table how)))
    (for-each (lambda (e) (if (not (hash-table-contains? t (car e))) (hash-table-set! t (car e) (cdr e))))
              alist)
    t))

(define (%custom-hash t k)
  (let ((h ((hash-table-hash-function t) k)))
    (if (exact-integer? h) h (error "hash-table: the hash function returned" h))))

(define (%custom-entry t k)
  (let ((same? (hash-table-equivalence-function t)))
    (let loop ((b (%hash-table-ref t (%custom-hash t k) '())))
      (cond ((null? b) #f)
            ((same? k (car (car b))) (car b))
            (else (loop (cdr b)))))))

(define (%custom-set! t k v)
  (let ((e (%custom-entry t k)))
    (if e
        (set-cdr! e v)
        (let ((h (%custom-hash t k)))
          (%hash-table-set! t h (cons (cons k v) (%hash-table-ref t h '())))))))

(define (%custom-delete! t k)
  (let* ((h (%custom-hash t k))
         (same? (hash-table-equivalence-function t))
         (bucket (%hash-table-ref t h '()))
         (kept (remove (lambda (e) (same? k (car e))) bucket)))
    (if (null? kept) (%hash-table-delete! t h) (%hash-table-set! t h kept))
    (not (= (length kept) (length bucket)))))

(define (%custom-alist t)
  (apply append (map alist-copy (%hash-table-values t))))
"#;

thread_local! {
    /// Name and text of each definition, found on first use.
    static INDEX: RefCell<Vec<(&'static str, &'static str)>> = RefCell::new(Vec::new());
}

/// Splits the library text into definitions: each starts with `(define` at a line start.
fn index() -> Vec<(&'static str, &'static str)> {
    let starts: Vec<usize> = LIBRARY.match_indices("\n(define").map(|(i, _)| i + 1).collect();
    let mut out = Vec::with_capacity(starts.len());
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(LIBRARY.len());
        let text = &LIBRARY[start..end];
        let name = text["(define".len()..].trim_start().trim_start_matches('(');
        let name = &name[..name.find(|c: char| c.is_whitespace() || c == ')').unwrap_or(name.len())];
        out.push((name, text));
    }
    out
}

/// The source of the library definition of `name`.
pub fn source(name: &str) -> Option<&'static str> {
    INDEX.with(|i| {
        let mut i = i.borrow_mut();
        if i.is_empty() {
            *i = index();
        }
        i.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
    })
}

/// Every library name (for the test that compiles them all).
pub fn names() -> Vec<&'static str> {
    index().into_iter().map(|(n, _)| n).collect()
}
