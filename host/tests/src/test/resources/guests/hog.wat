;; Grows its memory one page at a time until growth fails, then aborts, as a guest that runs
;; out of memory does. Declared maximum: 64 pages (4 MiB).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 64)
  (data (i32.const 0) "hog> ")
  (func (export "opshell_abi_version") (result i32) (i32.const 2))
  (func (export "opshell_init")
    (i32.store (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (i32.const 5))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
  (func (export "opshell_step") (param $ready i32) (param $eof i32) (result i32)
    (loop $more
      (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    unreachable)
)
