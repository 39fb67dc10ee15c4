//! `(help)`: what exists, grouped. `(help 'strings)` shows the groups whose title matches.

use crate::builtins::make_list;
use crate::eval::Interp;
use crate::printer::display_string;
use crate::value::{Value, R};

const INTRO: &str = "\
Scheme: R7RS small without rationals, complex numbers and files; continuations
only escape. An expression may span lines: `...>` asks for more. Results print
in `write` form; define, set! and display print nothing more. A step that runs
past the CPU limit is interrupted; definitions stay.
(help 'GROUP) shows one group, e.g. (help 'host). ,q or (exit) leaves.";

/// Titles and the names in each group (all of which are bound, except special forms).
const GROUPS: &[(&str, &str)] = &[
    (
        "special forms",
        "define lambda if cond case and or when unless let let* letrec letrec* do begin set! \
         quote quasiquote unquote unquote-splicing guard case-lambda parameterize delay \
         delay-force define-values let-values let*-values receive define-record-type \
         define-syntax let-syntax letrec-syntax syntax-rules cond-expand",
    ),
    (
        "numbers",
        "+ - * / quotient remainder modulo floor/ floor-quotient floor-remainder truncate/ \
         truncate-quotient truncate-remainder abs min max gcd lcm = < > <= >= number? integer? \
         real? rational? exact? inexact? exact-integer? finite? infinite? nan? zero? positive? \
         negative? even? odd? 1+ -1+ square sqrt exact-integer-sqrt expt exp log sin cos tan \
         asin acos atan floor ceiling round truncate numerator denominator exact inexact \
         exact->inexact inexact->exact number->string string->number random",
    ),
    (
        "lists",
        "cons car cdr set-car! set-cdr! caar cadr cdar cddr caddr cdddr cadddr list cons* \
         make-list length length+ append reverse append-reverse list-ref list-tail list-head \
         list-copy list-set! last-pair last first second third fourth fifth sixth seventh eighth \
         ninth tenth take drop take-right drop-right split-at take-while drop-while span break \
         zip unzip2 concatenate memq memv member assq assv assoc alist-cons alist-copy \
         alist-delete delete delete-duplicates lset-adjoin lset-union lset-intersection \
         lset-difference lset-xor lset= lset<= iota circular-list null? pair? list? \
         proper-list? dotted-list?",
    ),
    (
        "higher-order",
        "map for-each filter remove partition reduce reduce-right fold fold-left fold-right \
         unfold unfold-right pair-fold pair-fold-right any every count find find-tail \
         list-index filter-map append-map list-tabulate sort list-sort apply",
    ),
    (
        "strings and characters",
        "string? string-length string-ref string-set! substring string-append string-copy \
         string-copy! string-fill! string make-string string-null? string=? string<? string>? \
         string<=? string>=? string-ci=? string-ci<? string-ci>? string-ci<=? string-ci>=? \
         string-upcase string-downcase string-foldcase string-reverse string-index \
         string-contains string-prefix? string-suffix? string-trim string-trim-left \
         string-trim-right string-pad-left string-pad-right string-split string-join \
         string->list list->string string->vector string-map string-for-each string->symbol \
         symbol->string symbol? symbol=? char? char->integer integer->char char-upcase \
         char-downcase char-foldcase char-alphabetic? char-numeric? char-whitespace? \
         char-upper-case? char-lower-case? digit-value char=? char<? char>? char<=? char>=? \
         char-ci=? char-ci<? char-ci>? char-ci<=? char-ci>=?",
    ),
    (
        "vectors and bytevectors",
        "vector? make-vector vector vector-length vector-ref vector-set! vector->list \
         list->vector vector->string vector-fill! vector-copy vector-copy! vector-append \
         vector-map vector-for-each bytevector? make-bytevector bytevector bytevector-length \
         bytevector-u8-ref bytevector-u8-set! bytevector-copy bytevector-copy! bytevector-append \
         utf8->string string->utf8",
    ),
    (
        "hash tables",
        "make-hash-table hash-table? hash-table-set! hash-table-ref hash-table-ref/default \
         hash-table-contains? hash-table-exists? hash-table-delete! hash-table-update! \
         hash-table-update!/default hash-table-count hash-table-size hash-table-keys \
         hash-table-values hash-table->alist alist->hash-table hash-table-walk hash-table-fold \
         hash-table-merge! hash-table-clear! hash-table-copy hash-table-equivalence-function \
         hash-table-hash-function hash string-hash string-ci-hash hash-by-identity",
    ),
    ("equality and types", "eq? eqv? equal? not boolean? boolean=? procedure? record?"),
    (
        "output and string ports",
        "display write write-shared newline write-string write-char format \
         open-input-string open-output-string get-output-string with-output-to-string \
         call-with-output-string read read-line read-char peek-char read-string char-ready? \
         eof-object eof-object? current-output-port close-port input-port? output-port? \
         open-input-bytevector open-output-bytevector get-output-bytevector read-u8 peek-u8 \
         write-u8 read-bytevector write-bytevector",
    ),
    (
        "control",
        "values call-with-values call/cc call-with-current-continuation call/ec dynamic-wind \
         make-parameter force make-promise promise? eval apply",
    ),
    (
        "errors",
        "error raise raise-continuable with-exception-handler error-object? \
         error-object-message error-object-irritants assert exit quit current-jiffy \
         jiffies-per-second current-second help",
    ),
];

/// The host bindings, with what they do (the operator's reason to be here).
const HOST: &[(&str, &str)] = &[
    ("(kv-get key)", "the value stored under key (a string), or #f"),
    ("(kv-set! key value)", "store value (a string; numbers and symbols are converted)"),
    ("(kv-delete! key)", "delete key; #t if it existed"),
    ("(kv-keys [prefix])", "the keys (starting with prefix), sorted"),
    ("(counter)", "the tenant's shared counter"),
    ("(counter-add! n)", "add n to the counter; returns the new total"),
    ("(whoami)", "who you are: ((user . \"...\") (uid . \"...\") (role . \"...\") ...)"),
    ("(call name [arg])", "run an action the application declares"),
    ("(fields [prefix])", "the application's fields and actions: (name type access role doc)"),
];

const HOST_TITLE: &str = "host state (shared by every shell of this tenant)";

const WIDTH: usize = 78;

fn wrap(out: &mut String, words: &str) {
    let mut line = String::from(" ");
    for word in words.split_whitespace() {
        if line.len() + 1 + word.len() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = String::from(" ");
        }
        line.push(' ');
        line.push_str(word);
    }
    if line.trim() != "" {
        out.push_str(&line);
        out.push('\n');
    }
}

fn host_group(out: &mut String) {
    out.push_str(HOST_TITLE);
    out.push_str(":\n");
    for (call, what) in HOST {
        out.push_str(&format!("  {:<24}{}\n", call, what));
    }
    out.push_str("  Host refusals (permission denied, rate limited, ...) are errors: (guard (e (#t ...)) ...).\n");
}

pub fn help(interp: &mut Interp, args: &[Value]) -> R<Value> {
    let mut out = String::new();
    match args.first() {
        None => {
            out.push_str(INTRO);
            out.push_str("\n\n");
            host_group(&mut out);
            for (title, names) in GROUPS {
                out.push_str(title);
                out.push_str(":\n");
                wrap(&mut out, names);
            }
        }
        Some(topic) => {
            let topic = display_string(topic).to_lowercase();
            let mut found = false;
            if HOST_TITLE.contains(&topic) || "kv counter whoami".contains(&topic) {
                host_group(&mut out);
                found = true;
            }
            for (title, names) in GROUPS {
                if title.contains(&topic) || names.split_whitespace().any(|n| n == topic) {
                    out.push_str(title);
                    out.push_str(":\n");
                    wrap(&mut out, names);
                    found = true;
                }
            }
            if !found {
                out.push_str(&format!("no group or name matches {}; (help) lists everything\n", topic));
            }
        }
    }
    interp.emit(&out)?;
    Ok(Value::Unspecified)
}

/// Every procedure name help mentions, for the test that checks they are all bound.
pub fn names(_: &mut Interp, _: &[Value]) -> R<Value> {
    let mut names = Vec::new();
    for (title, group) in GROUPS.iter().skip(1) {
        let _ = title;
        names.extend(group.split_whitespace().map(Value::sym));
    }
    for (call, _) in HOST {
        if let Some(name) = call.trim_start_matches('(').split(|c| c == ' ' || c == ')').next() {
            names.push(Value::sym(name));
        }
    }
    make_list(names)
}
