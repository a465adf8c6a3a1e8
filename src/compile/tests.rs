//! Compiler unit tests: source in, `dis` text out. The expected texts are `python3.11 -m dis`'s
//! output for the same source (code object addresses aside: gilvm prints the code object's
//! index, see `dis::code_repr`); `tests/dis_vs_cpython.rs` compares with CPython directly.

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

  1           2 LOAD_CONST               0 (<code object inc at 0x000000000001, file "t.toy", line 1>)
              4 MAKE_FUNCTION            0
              6 STORE_NAME               0 (inc)
              8 LOAD_CONST               1 (None)
             10 RETURN_VALUE

Disassembly of <code object inc at 0x000000000001, file "t.toy", line 1>:
  1           0 RESUME                   0

  3           2 LOAD_GLOBAL              0 (counter)
             14 LOAD_CONST               1 (1)
             16 BINARY_OP               13 (+=)
             20 STORE_GLOBAL             0 (counter)
             22 LOAD_CONST               0 (None)
             24 RETURN_VALUE
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
             16 POP_JUMP_FORWARD_IF_FALSE    13 (to 44)

  3     >>   18 LOAD_NAME                0 (i)
             20 LOAD_CONST               2 (1)
             22 BINARY_OP               13 (+=)
             26 STORE_NAME               0 (i)

  2          28 LOAD_NAME                0 (i)
             30 LOAD_CONST               1 (3)
             32 COMPARE_OP               0 (<)
             38 POP_JUMP_BACKWARD_IF_TRUE    11 (to 18)
             40 LOAD_CONST               3 (None)
             42 RETURN_VALUE
        >>   44 LOAD_CONST               3 (None)
             46 RETURN_VALUE
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
             18 PRECALL                  2
             22 CALL                     2
             32 POP_TOP
             34 LOAD_CONST               1 (None)
             36 RETURN_VALUE
        >>   38 PUSH_EXC_INFO
             40 WITH_EXCEPT_START
             42 POP_JUMP_FORWARD_IF_TRUE     4 (to 52)
             44 RERAISE                  2
        >>   46 COPY                     3
             48 POP_EXCEPT
             50 RERAISE                  1
        >>   52 POP_TOP
             54 POP_EXCEPT
             56 POP_TOP
             58 POP_TOP
             60 LOAD_CONST               1 (None)
             62 RETURN_VALUE
ExceptionTable:
  6 to 10 -> 38 [1] lasti
  38 to 44 -> 46 [3] lasti
  52 to 52 -> 46 [3] lasti
"#,
    );
}

#[test]
fn break_inside_with_inlines_the_exit_call() {
    check(
        "def f(xs, lock):\n    for x in xs:\n        with lock:\n            if x:\n                break\n",
        r#"  0           0 RESUME                   0

  1           2 LOAD_CONST               0 (<code object f at 0x000000000001, file "t.toy", line 1>)
              4 MAKE_FUNCTION            0
              6 STORE_NAME               0 (f)
              8 LOAD_CONST               1 (None)
             10 RETURN_VALUE

Disassembly of <code object f at 0x000000000001, file "t.toy", line 1>:
  1           0 RESUME                   0

  2           2 LOAD_FAST                0 (xs)
              4 GET_ITER
        >>    6 FOR_ITER                46 (to 100)
              8 STORE_FAST               2 (x)

  3          10 LOAD_FAST                1 (lock)
             12 BEFORE_WITH
             14 POP_TOP

  4          16 LOAD_FAST                2 (x)
             18 POP_JUMP_FORWARD_IF_FALSE    15 (to 50)

  5          20 NOP

  3          22 LOAD_CONST               0 (None)
             24 LOAD_CONST               0 (None)
             26 LOAD_CONST               0 (None)
             28 PRECALL                  2
             32 CALL                     2
             42 POP_TOP
             44 POP_TOP
             46 LOAD_CONST               0 (None)
             48 RETURN_VALUE

  4     >>   50 NOP

  3          52 LOAD_CONST               0 (None)
             54 LOAD_CONST               0 (None)
             56 LOAD_CONST               0 (None)
             58 PRECALL                  2
             62 CALL                     2
             72 POP_TOP
             74 JUMP_FORWARD            11 (to 98)
        >>   76 PUSH_EXC_INFO
             78 WITH_EXCEPT_START
             80 POP_JUMP_FORWARD_IF_TRUE     4 (to 90)
             82 RERAISE                  2
        >>   84 COPY                     3
             86 POP_EXCEPT
             88 RERAISE                  1
        >>   90 POP_TOP
             92 POP_EXCEPT
             94 POP_TOP
             96 POP_TOP
        >>   98 JUMP_BACKWARD           47 (to 6)

  2     >>  100 LOAD_CONST               0 (None)
            102 RETURN_VALUE
ExceptionTable:
  14 to 20 -> 76 [2] lasti
  76 to 82 -> 84 [4] lasti
  90 to 90 -> 84 [4] lasti
"#,
    );
}

#[test]
fn return_inside_try_finally_runs_the_finally_body() {
    check(
        "def f(x):\n    try:\n        return x\n    finally:\n        x = 0\n",
        r#"  0           0 RESUME                   0

  1           2 LOAD_CONST               0 (<code object f at 0x000000000001, file "t.toy", line 1>)
              4 MAKE_FUNCTION            0
              6 STORE_NAME               0 (f)
              8 LOAD_CONST               1 (None)
             10 RETURN_VALUE

Disassembly of <code object f at 0x000000000001, file "t.toy", line 1>:
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

/// Net stack effect of an assembled instruction, and its effect when it jumps. `CALL 2` right
/// after three `LOAD_CONST None` is the `with` exit call, which also pops the bound `__exit__`;
/// `method_call` says whether a `CALL`'s callee sits on a `LOAD_METHOD` marker, which it pops
/// too (the VM's `CALL`, like CPython's method/`self` pair).
fn effect(code: &crate::bytecode::CodeObject, i: usize, method_call: bool) -> (i32, i32) {
    use Opcode::*;
    let ins = code.instrs[i];
    let n = ins.arg as i32;
    let e = match ins.op {
        CALL => {
            let exit_call = n == 2
                && i >= 3
                && code.instrs[i - 3..i].iter().all(|p| {
                    p.op == LOAD_CONST
                        && code.consts.get(p.arg as usize) == Some(&crate::bytecode::Const::None)
                });
            if exit_call {
                -3
            } else {
                -n - i32::from(method_call)
            }
        }
        FOR_ITER => return (1, -1),
        JUMP_IF_FALSE_OR_POP | JUMP_IF_TRUE_OR_POP => return (-1, 0),
        NOP | RESUME | SWAP | UNARY_NEGATIVE | UNARY_POSITIVE | UNARY_NOT | UNARY_INVERT
        | GET_ITER | DELETE_NAME | DELETE_GLOBAL | DELETE_FAST | DELETE_DEREF | MAKE_CELL
        | COPY_FREE_VARS | LOAD_ATTR | LIST_TO_TUPLE | JUMP_FORWARD | JUMP_BACKWARD | KW_NAMES
        | CHECK_EXC_MATCH | SETUP_ANNOTATIONS => 0,
        YIELD_VALUE | GET_YIELD_FROM_ITER | JUMP_BACKWARD_NO_INTERRUPT => 0,
        RETURN_GENERATOR => 1,
        SEND => return (0, -1),
        COPY | LOAD_CONST | LOAD_NAME | LOAD_CLASS_NAME | LOAD_BUILD_CLASS | LOAD_GLOBAL
        | LOAD_FAST | LOAD_CLOSURE | LOAD_DEREF | LOAD_ASSERTION_ERROR | BEFORE_WITH
        | WITH_EXCEPT_START | PUSH_EXC_INFO | IMPORT_FROM | LOAD_METHOD => 1,
        GET_LEN | MATCH_SEQUENCE | MATCH_MAPPING | MATCH_KEYS => 1,
        MATCH_CLASS => -2,
        UNPACK_EX => (n & 0xff) + (n >> 8),
        STORE_SUBSCR => -3,
        DELETE_SUBSCR | STORE_ATTR | MAP_ADD => -2,
        BUILD_SLICE | BUILD_TUPLE | BUILD_LIST | BUILD_SET | BUILD_STRING => 1 - n,
        BUILD_MAP => 1 - 2 * n,
        BUILD_CONST_KEY_MAP => -n,
        UNPACK_SEQUENCE => n - 1,
        FORMAT_VALUE => -i32::from(ins.arg & 4 != 0),
        CALL_FUNCTION_EX => -1 - (n & 1),
        MAKE_FUNCTION => -((ins.arg & 0x0f).count_ones() as i32),
        RAISE_VARARGS => -n,
        _ => -1,
    };
    (e, e)
}

/// Checks what the VM relies on: jump targets and handlers in range, the stack never below
/// zero or above `stacksize`, one depth per instruction on every path, and each handler
/// entered at `depth + lasti + 1` with every covered instruction at or above `depth`. The
/// abstract stack records which slots hold a `LOAD_METHOD` marker, so that a `CALL` pops its
/// callee's marker exactly when the VM does.
fn verify(code: &crate::bytecode::CodeObject) -> Result<(), String> {
    use Opcode::*;
    let n = code.instrs.len();
    let mut depth: Vec<Option<i32>> = vec![None; n];
    let mut work: Vec<(usize, Vec<bool>)> = vec![(0usize, Vec::new())];
    for e in &code.exception_table {
        if e.start >= e.end || e.end as usize > n || e.target as usize >= n {
            return Err(format!("bad exception entry {e:?}"));
        }
        let d = e.depth as usize + usize::from(e.lasti) + 1;
        work.push((e.target as usize, vec![false; d]));
    }
    let apply = |stack: &Vec<bool>, e: i32| -> Option<Vec<bool>> {
        let mut s = stack.clone();
        if e >= 0 {
            s.extend(std::iter::repeat_n(false, e as usize));
        } else {
            let keep = s.len().checked_sub((-e) as usize)?;
            s.truncate(keep);
        }
        Some(s)
    };
    while let Some((i, stack)) = work.pop() {
        if i >= n {
            return Err(format!("fell off the end at {i}"));
        }
        let d = stack.len() as i32;
        match depth[i] {
            Some(old) if old == d => continue,
            Some(old) => return Err(format!("instruction {i}: depth {old} and {d}")),
            None => depth[i] = Some(d),
        }
        if d as u32 > code.stacksize {
            return Err(format!(
                "instruction {i}: depth {d}, stacksize {}",
                code.stacksize
            ));
        }
        let ins = code.instrs[i];
        let method_call = ins.op == CALL
            && stack
                .len()
                .checked_sub(ins.arg as usize + 2)
                .is_some_and(|at| stack[at]);
        let (fall, jump) = effect(code, i, method_call);
        let underflow = || format!("instruction {i}: stack below zero");
        if let Some(t) = ins.jump_target(i) {
            if t >= n {
                return Err(format!("instruction {i} jumps out of range"));
            }
            work.push((t, apply(&stack, jump).ok_or_else(underflow)?));
        }
        let ends = matches!(
            ins.op,
            JUMP_FORWARD
                | JUMP_BACKWARD
                | JUMP_BACKWARD_NO_INTERRUPT
                | RETURN_VALUE
                | RAISE_VARARGS
                | RERAISE
        );
        if !ends {
            let mut next = apply(&stack, fall).ok_or_else(underflow)?;
            // A marker is never on top (its receiver is above it until the `CALL`), so the top
            // slot after an instruction is a plain value; after `LOAD_METHOD` the marker is
            // the slot below the receiver.
            if let Some(top) = next.last_mut() {
                *top = false;
            }
            if ins.op == LOAD_METHOD {
                let at = next.len() - 2;
                next[at] = true;
            }
            work.push((i + 1, next));
        }
    }
    for e in &code.exception_table {
        for i in e.start..e.end {
            if let Some(d) = depth[i as usize] {
                if d < e.depth as i32 {
                    return Err(format!("instruction {i} at depth {d} below handler {e:?}"));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn assembled_code_keeps_the_vm_invariants() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    for dir in ["programs", "tests/py"] {
        let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toy") {
                if let Ok(text) = std::fs::read_to_string(&p) {
                    sources.push((p.display().to_string(), text));
                }
            }
        }
    }
    sources.sort();
    assert!(!sources.is_empty());
    for (name, text) in &sources {
        let Ok(program) = crate::compile_source(name, text) else {
            continue;
        };
        for code in &program.codes {
            if let Err(e) = verify(code) {
                panic!(
                    "{name}: {}: {e}\n{}",
                    code.name,
                    crate::dis::disassemble(&program)
                );
            }
        }
    }
}

#[test]
fn qualnames_match_python() {
    let program = compile(
        "def outer():\n    def inner():\n        return [lambda: 0 for _ in range(1)]\n    global g\n    def g():\n        pass\n    return inner\n",
    );
    let names: Vec<(&str, &str)> = program.codes[1..]
        .iter()
        .map(|c| (c.name.as_str(), c.qualname.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("outer", "outer"),
            ("inner", "outer.<locals>.inner"),
            ("<listcomp>", "outer.<locals>.inner.<locals>.<listcomp>"),
            (
                "<lambda>",
                "outer.<locals>.inner.<locals>.<listcomp>.<lambda>"
            ),
            ("g", "g"),
        ]
    );
}

/// Like `check_err`, and the error points at `line:col` (1-based, as CPython's caret).
fn check_err_at(source: &str, message: &str, at: (usize, usize)) {
    match crate::compile_source("t.toy", source) {
        Ok(_) => panic!("expected `{message}`, but it compiled:\n{source}"),
        Err(e) => {
            let start = e.span.start as usize;
            let line = 1 + crate::lexer::count_lines(&source[..start]);
            let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
            let col = 1 + source[line_start..start].chars().count();
            assert_eq!(
                (e.message.as_str(), (line, col)),
                (message, at),
                "source:\n{source}"
            );
        }
    }
}

#[test]
fn match_compile_errors_are_cpythons() {
    // Messages and positions as python3.11 reports them.
    let m = |cases: &str| format!("match x:\n{cases}");
    check_err_at(
        &m("    case a:\n        pass\n    case 1:\n        pass\n"),
        "name capture 'a' makes remaining patterns unreachable",
        (2, 10),
    );
    check_err_at(
        &m("    case _:\n        pass\n    case 1:\n        pass\n"),
        "wildcard makes remaining patterns unreachable",
        (2, 10),
    );
    check_err_at(
        &m("    case a | b:\n        pass\n"),
        "name capture 'a' makes remaining patterns unreachable",
        (2, 10),
    );
    check_err_at(
        &m("    case [a, a]:\n        pass\n"),
        "multiple assignments to name 'a' in pattern",
        (2, 14),
    );
    check_err_at(
        &m("    case {\"a\": [a, a]}:\n        pass\n"),
        "multiple assignments to name 'a' in pattern",
        (2, 20),
    );
    check_err_at(
        &m("    case P(x=[a], y=a):\n        pass\n"),
        "multiple assignments to name 'a' in pattern",
        (2, 21),
    );
    check_err_at(
        &m("    case 1 | a:\n        pass\n"),
        "alternative patterns bind different names",
        (2, 14),
    );
    check_err_at(
        &m("    case [a] | [b]:\n        pass\n"),
        "alternative patterns bind different names",
        (2, 17),
    );
    check_err_at(
        &m("    case {\"a\": 1, \"a\": 2}:\n        pass\n"),
        "mapping pattern checks duplicate key ('a')",
        (2, 10),
    );
    check_err_at(
        &m("    case {1: _, 1.0: _}:\n        pass\n"),
        "mapping pattern checks duplicate key (1.0)",
        (2, 10),
    );
    check_err_at(
        &m("    case {1: _, True: _}:\n        pass\n"),
        "mapping pattern checks duplicate key (True)",
        (2, 10),
    );
    check_err_at(
        &m("    case [*a, *b]:\n        pass\n"),
        "multiple starred names in sequence pattern",
        (2, 10),
    );
    check_err_at(
        &m("    case P(a=1, a=2):\n        pass\n"),
        "attribute name repeated in class pattern: a",
        (2, 19),
    );
    // Guarded and last cases may be irrefutable; alternatives bind the same names in any order.
    for ok in [
        "    case a if a:\n        pass\n    case 2:\n        pass\n",
        "    case (a, b) | (b, a):\n        pass\n",
        "    case [1, *_] | [*_, 1] | 3:\n        pass\n    case x:\n        pass\n",
    ] {
        compile(&m(ok));
    }
}

#[test]
fn match_captures_are_locals_and_cases_keep_cpythons_shape() {
    // The last case before a trailing `case _:` (a NOP) works on the subject itself; each
    // alternative of an or-pattern on its own copy. The captures of `(b, a)` are put in the
    // first alternative's order by SWAPs, which CPython's `swaptimize` shortens to one (and
    // to none for `(a, b)`).
    let p = compile(
        "def f(p):\n    match p:\n        case (a, b) | (b, a):\n            return a\n        case _:\n            return b\n",
    );
    let f = &p.codes[1];
    assert_eq!(f.varnames, ["p", "a", "b"]);
    let ops: Vec<&str> = f.instrs.iter().map(|i| i.op.name()).collect();
    assert!(
        ops.starts_with(&["RESUME", "LOAD_FAST", "COPY", "MATCH_SEQUENCE"]),
        "{ops:?}"
    );
    assert_eq!(ops.iter().filter(|o| **o == "SWAP").count(), 1, "{ops:?}");
    assert!(ops.contains(&"NOP"), "{ops:?}");
    assert_eq!(p.check_control_flow(), Ok(()));
}

#[test]
fn patterns_nested_to_the_bracket_limit_compile() {
    // The parser's bracket limit (200) bounds the compiler's recursion over patterns; the
    // deepest patterns compile within a test thread's stack, in a debug build.
    let n = crate::lexer::MAX_BRACKET_DEPTH - 1;
    let seq = format!("{}a{}", "[".repeat(n), "]".repeat(n));
    let cls = format!("{}a{}", "P(x=".repeat(n), ")".repeat(n));
    let map = format!("{}a{}", "{1: ".repeat(n), "}".repeat(n));
    for pattern in [seq, cls, map] {
        let p = compile(&format!(
            "match x:\n    case {pattern} | a:\n        pass\n"
        ));
        assert_eq!(p.check_control_flow(), Ok(()));
    }
}

#[test]
fn decorators_annotations_and_attribute_deletion() {
    // CPython 3.11's shape: decorators evaluated before MAKE_FUNCTION, called innermost first
    // (`PRECALL 0; CALL 0`: the VM's `CALL 1`, printed as CPython's); MAKE_FUNCTION's
    // annotations tuple;
    // SETUP_ANNOTATIONS and the module's `__annotations__` store; a local's annotation is not
    // evaluated; `del f.a` is DELETE_ATTR.
    check(
        "@d\n@e(1)\ndef f(x: int) -> int:\n    y: int\n    return x\nz: int = 1\ndel f.a\n",
        r#"  0           0 RESUME                   0

  3           2 SETUP_ANNOTATIONS

  1           4 LOAD_NAME                0 (d)

  2           6 PUSH_NULL
              8 LOAD_NAME                1 (e)
             10 LOAD_CONST               0 (1)
             12 PRECALL                  1
             16 CALL                     1

  3          26 LOAD_CONST               1 ('x')
             28 LOAD_NAME                2 (int)
             30 LOAD_CONST               2 ('return')
             32 LOAD_NAME                2 (int)
             34 BUILD_TUPLE              4
             36 LOAD_CONST               3 (<code object f at 0x000000000001, file "t.toy", line 1>)
             38 MAKE_FUNCTION            4 (annotations)

  2          40 PRECALL                  0
             44 CALL                     0

  1          54 PRECALL                  0
             58 CALL                     0

  3          68 STORE_NAME               3 (f)

  6          70 LOAD_CONST               0 (1)
             72 STORE_NAME               4 (z)
             74 LOAD_NAME                2 (int)
             76 LOAD_NAME                5 (__annotations__)
             78 LOAD_CONST               4 ('z')
             80 STORE_SUBSCR

  7          84 LOAD_NAME                3 (f)
             86 DELETE_ATTR              6 (a)
             88 LOAD_CONST               5 (None)
             90 RETURN_VALUE

Disassembly of <code object f at 0x000000000001, file "t.toy", line 1>:
  1           0 RESUME                   0

  5           2 LOAD_FAST                0 (x)
              4 RETURN_VALUE
"#,
    );
}
