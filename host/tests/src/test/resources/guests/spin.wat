;; Prints a prompt, then loops forever on every step: only the CPU deadline can stop it.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 0) "spin> ")
  (func (export "opshell_abi_version") (result i32) (i32.const 2))
  (func (export "opshell_init")
    (i32.store (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
  (func (export "opshell_step") (param $ready i32) (param $eof i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 0))
)
