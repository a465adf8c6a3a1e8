//! Compiler unit tests: source in, `dis` text out. The expected texts were checked against
//! `python3.11 -m dis` (same opnames, lines, jump targets and exception-table rows; operands
//! differ only where `src/compile.rs` documents it, e.g. `CALL 1` to call a comprehension's function).

use crate::bytecode::Opcode;

fn compile(source: &str) -> crate::bytecode::Program {
    match crate::compile_source("t.toy", source) {
        Ok(p) => p,
        Err(e) => panic!("compile error: {} at {:?}", e.message, e.span),
    }
}

fn check(source: &str, expected: &str) {
    let actual = crate::dis::disassemble(&compile(source));
    assert!(
        actual == expected,
        "dis mismatch\n===== source\n{source}===== expected\n{expected}===== actual\n{actual}====="
    );
}

fn check_err(source: &str, message: &str) {
    match crate::compile_source("t.toy", source) {
        Ok(_) => panic!("expected `{message}`, but it compiled:\n{source}"),
        Err(e) => assert_eq!(e.message, message, "source:\n{source}"),
    }
}

#[test]
fn global_augassign_in_function() {
    check(
        "def inc():\n    global counter\n    counter += 1\n",
        r#"  0           0 RESUME                   0

  1           2 LOAD_CONST               0 (<code object inc, file "t.toy", line 1>)
              4 MAKE_FUNCTION            0
              6 STORE_NAME               1 (inc)
              8 LOAD_CONST               1 (None)
             10 RETURN_VALUE

Disassembly of <code object inc, file "t.toy", line 1>:
  1           0 RESUME                   0

  3           2 LOAD_GLOBAL              0 (counter)
              4 LOAD_CONST               1 (1)
              6 BINARY_OP               13 (+=)
              8 STORE_GLOBAL             0 (counter)
             10 LOAD_CONST               0 (None)
             12 RETURN_VALUE
"#,
    );
}

#[test]
fn while_tests_at_top_and_bottom() {
    check(
        "i = 0\nwhile i < 3:\n    i += 1\n",
        r#"  0           0 RESUME                   0

  1           2 LOAD_CONST               0 (0)
              4 STORE_NAME               0 (i)

  2           6 LOAD_NAME                0 (i)
              8 LOAD_CONST               1 (3)
             10 COMPARE_OP               0 (<)
             12 POP_JUMP_FORWARD_IF_FALSE    10 (to 34)

  3     >>   14 LOAD_NAME                0 (i)
             16 LOAD_CONST               2 (1)
             18 BINARY_OP               13 (+=)
             20 STORE_NAME               0 (i)

  2          22 LOAD_NAME                0 (i)
             24 LOAD_CONST               1 (3)
             26 COMPARE_OP               0 (<)
             28 POP_JUMP_BACKWARD_IF_TRUE     8 (to 14)
             30 LOAD_CONST               3 (None)
             32 RETURN_VALUE
        >>   34 LOAD_CONST               3 (None)
             36 RETURN_VALUE
"#,
    );
}

#[test]
fn with_calls_exit_on_both_paths() {
    check(
        "with lock:\n    x = 1\n",
        r#"  0           0 RESUME                   0

  1           2 LOAD_NAME                0 (lock)
              4 BEFORE_WITH
              6 POP_TOP

  2           8 LOAD_CONST               0 (1)
             10 STORE_NAME               1 (x)

  1          12 LOAD_CONST               1 (None)
             14 LOAD_CONST               1 (None)
             16 LOAD_CONST               1 (None)
             18 CALL                     2
             20 POP_TOP
             22 LOAD_CONST               1 (None)
             24 RETURN_VALUE
        >>   26 PUSH_EXC_INFO
             28 WITH_EXCEPT_START
             30 POP_JUMP_FORWARD_IF_TRUE     4 (to 40)
             32 RERAISE                  2
        >>   34 COPY                     3
             36 POP_EXCEPT
             38 RERAISE                  1
        >>   40 POP_TOP
             42 POP_EXCEPT
             44 POP_TOP
             46 POP_TOP
             48 LOAD_CONST               1 (None)
             50 RETURN_VALUE
ExceptionTable:
  6 to 10 -> 26 [1] lasti
  26 to 32 -> 34 [3] lasti
  40 to 40 -> 34 [3] lasti
"#,
    );
}

#[test]
fn break_inside_with_inlines_the_exit_call() {
    check(
        "def f(xs, lock):\n    for x in xs:\n        with lock:\n            if x:\n                break\n",
        r#"  0           0 RESUME                   0

  1           2 LOAD_CONST               0 (<code object f, file "t.toy", line 1>)
              4 MAKE_FUNCTION            0
              6 STORE_NAME               0 (f)
              8 LOAD_CONST               1 (None)
             10 RETURN_VALUE

Disassembly of <code object f, file "t.toy", line 1>:
  1           0 RESUME                   0

  2           2 LOAD_FAST                0 (xs)
              4 GET_ITER
        >>    6 FOR_ITER                34 (to 76)
              8 STORE_FAST               2 (x)

  3          10 LOAD_FAST                1 (lock)
             12 BEFORE_WITH
             14 POP_TOP

  4          16 LOAD_FAST                2 (x)
             18 POP_JUMP_FORWARD_IF_FALSE     9 (to 38)

  5          20 NOP

  3          22 LOAD_CONST               0 (None)
             24 LOAD_CONST               0 (None)
             26 LOAD_CONST               0 (None)
             28 CALL                     2
             30 POP_TOP
             32 POP_TOP
             34 LOAD_CONST               0 (None)
             36 RETURN_VALUE

  4     >>   38 NOP

  3          40 LOAD_CONST               0 (None)
             42 LOAD_CONST               0 (None)
             44 LOAD_CONST               0 (None)
             46 CALL                     2
             48 POP_TOP
             50 JUMP_FORWARD            11 (to 74)
        >>   52 PUSH_EXC_INFO
             54 WITH_EXCEPT_START
             56 POP_JUMP_FORWARD_IF_TRUE     4 (to 66)
             58 RERAISE                  2
        >>   60 COPY                     3
             62 POP_EXCEPT
             64 RERAISE                  1
        >>   66 POP_TOP
             68 POP_EXCEPT
             70 POP_TOP
             72 POP_TOP
        >>   74 JUMP_BACKWARD           35 (to 6)

  2     >>   76 LOAD_CONST               0 (None)
             78 RETURN_VALUE
ExceptionTable:
  14 to 20 -> 52 [2] lasti
  52 to 58 -> 60 [4] lasti
  66 to 66 -> 60 [4] lasti
"#,
    );
}

#[test]
fn return_inside_try_finally_runs_the_finally_body() {
    check(
        "def f(x):\n    try:\n        return x\n    finally:\n        x = 0\n",
        r#"  0           0 RESUME                   0

  1           2 LOAD_CONST               0 (<code object f, file "t.toy", line 1>)
              4 MAKE_FUNCTION            0
              6 STORE_NAME               0 (f)
              8 LOAD_CONST               1 (None)
             10 RETURN_VALUE

Disassembly of <code object f, file "t.toy", line 1>:
  1           0 RESUME                   0

  2           2 NOP

  3           4 LOAD_FAST                0 (x)

  5           6 LOAD_CONST               1 (0)
              8 STORE_FAST               0 (x)
             10 RETURN_VALUE
        >>   12 PUSH_EXC_INFO
             14 LOAD_CONST               1 (0)
             16 STORE_FAST               0 (x)
             18 RERAISE                  0
        >>   20 COPY                     3
             22 POP_EXCEPT
             24 RERAISE                  1
ExceptionTable:
  4 to 4 -> 12 [0]
  12 to 18 -> 20 [1] lasti
"#,
    );
}

#[test]
fn long_elif_chains_and_statement_lists_compile_without_deep_recursion() {
    let mut src = String::from("x = 1\nif x == 0:\n    y = 0\n");
    for i in 1..20_000 {
        src.push_str(&format!("elif x == {i}:\n    y = {i}\n"));
    }
    src.push_str("else:\n    y = -1\n");
    let program = compile(&src);
    let module = &program.codes[0];
    let jumps = module
        .instrs
        .iter()
        .filter(|i| i.op == Opcode::POP_JUMP_FORWARD_IF_FALSE)
        .count();
    assert_eq!(jumps, 20_000);
}

#[test]
fn closures_use_cells_and_free_variables() {
    let program = compile("def outer():\n    x = 0\n    def inner():\n        nonlocal x\n        x += 1\n    return inner\n");
    let outer = &program.codes[1];
    assert_eq!(outer.cellvars, vec!["x".to_string()]);
    assert_eq!(outer.instrs[0].op, Opcode::MAKE_CELL);
    let inner = &program.codes[2];
    assert_eq!(inner.freevars, vec!["x".to_string()]);
    assert_eq!(inner.instrs[0].op, Opcode::COPY_FREE_VARS);
    let ops: Vec<Opcode> = inner.instrs.iter().map(|i| i.op).collect();
    assert!(ops.contains(&Opcode::LOAD_DEREF) && ops.contains(&Opcode::STORE_DEREF));
}

#[test]
fn every_instruction_has_a_span_and_a_line() {
    let program = compile(
        "import threading\nlock = threading.Lock()\nwith lock:\n    x = [i for i in range(3)]\n",
    );
    for code in &program.codes {
        assert_eq!(code.spans.len(), code.instrs.len());
        assert_eq!(code.lines.len(), code.instrs.len());
        assert!(code.stacksize > 0);
    }
}

#[test]
fn scope_errors_use_python_wording() {
    check_err("return 1\n", "'return' outside function");
    check_err("break\n", "'break' outside loop");
    check_err(
        "for x in y:\n    def f():\n        continue\n",
        "'continue' not properly in loop",
    );
    check_err(
        "def f():\n    x = 1\n    global x\n",
        "name 'x' is assigned to before global declaration",
    );
    check_err(
        "def f():\n    print(x)\n    global x\n",
        "name 'x' is used prior to global declaration",
    );
    check_err(
        "def f(x):\n    global x\n",
        "name 'x' is parameter and global",
    );
    check_err(
        "def f():\n    nonlocal x\n",
        "no binding for nonlocal 'x' found",
    );
    check_err(
        "nonlocal x\n",
        "nonlocal declaration not allowed at module level",
    );
    check_err(
        "def f(x):\n    nonlocal x\n",
        "name 'x' is parameter and nonlocal",
    );
    check_err(
        "def f(a, a):\n    pass\n",
        "duplicate argument 'a' in function definition",
    );
    check_err(
        "def f(a=1, b):\n    pass\n",
        "non-default argument follows default argument",
    );
    check_err("f(a=1, a=2)\n", "keyword argument repeated: a");
}
