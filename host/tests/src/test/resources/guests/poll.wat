;; A shell that computes until it is interrupted, and keeps its state across the interruption:
;; "spin" loops, polling host.interrupted(), and answers "interrupted" once asked to stop; any
;; other line adds one to a counter kept in the instance and answers its last digit. Without
;; shared buffers (WASI stdio, no answer marks), so it reads whatever a step is given.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "host" "interrupted" (func $interrupted (result i32)))
  (memory (export "memory") 1 1)
  (global $count (mut i32) (i32.const 0))
  (data (i32.const 100) "interrupted\n")
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 32) (local.get $ptr))
    (i32.store (i32.const 36) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 40))))
  (func (export "opshell_abi_version") (result i32) (i32.const 2))
  (func (export "opshell_init"))
  (func (export "opshell_step") (param $ready i32) (param $eof i32) (result i32)
    (if (i32.eqz (local.get $ready)) (then (return (local.get $eof))))
    (i32.store (i32.const 16) (i32.const 1024))
    (i32.store (i32.const 20) (i32.const 60000))
    (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
    (if (i32.eq (i32.load8_u (i32.const 1024)) (i32.const 115)) ;; 's': spin until interrupted
      (then
        (loop $spin (br_if $spin (i32.eqz (call $interrupted))))
        (call $write (i32.const 100) (i32.const 12))
        (return (i32.const 0))))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store8 (i32.const 200) (i32.add (i32.const 48) (i32.rem_u (global.get $count) (i32.const 10))))
    (i32.store8 (i32.const 201) (i32.const 10))
    (call $write (i32.const 200) (i32.const 2))
    (local.get $eof))
)
