;; Uses the shared buffers but claims more output than its buffer holds.
(module
  (memory (export "memory") 1 1)
  ;; descriptor at 0: in_ptr 1024, in_cap 1024, out_ptr 2048, out_cap 16, out_len 0,
  ;; marks_ptr 3072, marks_cap 4, marks_len 0, err_ptr 4096, err_cap 64, err_len 0, limits 0 0
  (data (i32.const 0) "\00\04\00\00\00\04\00\00\00\08\00\00\10\00\00\00\00\00\00\00")
  (data (i32.const 20) "\00\0c\00\00\04\00\00\00\00\00\00\00\00\10\00\00\40\00\00\00")
  (func (export "opshell_abi_version") (result i32) (i32.const 2))
  (func (export "opshell_buffers") (result i32) (i32.const 0))
  (func (export "opshell_init"))
  (func (export "opshell_step") (param $ready i32) (param $eof i32) (result i32)
    (i32.store (i32.const 16) (i32.const 100000))
    (i32.const 0))
)
