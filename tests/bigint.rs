//! Integers of any size, `math` and the numeric built-ins: gilvm prints what `python3` prints
//! (skipped, saying so, without python3), plus checks that need no oracle.

mod common;

use common::{check, same_as_python};

#[test]
fn big_arithmetic_matches_cpython() {
    same_as_python(include_str!("py_bigint/arith.py"));
}

#[test]
fn math_module_matches_cpython() {
    same_as_python(include_str!("py_bigint/math.py"));
}

#[test]
fn overflow_grows_and_shrinks_back() {
    check(
        "x = 2**63 - 1\ny = x + 1\nprint(y, y - 1 == x, type(y - 1).__name__)\n",
        "9223372036854775808 True int\n",
    );
}

#[test]
fn factorial_and_str_limit() {
    check(
        "import math\nf = math.factorial(2000)\ntry:\n    print(f)\nexcept ValueError as e:\n    print(e)\nimport sys\nsys.set_int_max_str_digits(0)\nprint(len(str(f)))\n",
        "Exceeds the limit (4300 digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit\n5736\n",
    );
}

#[test]
fn big_ints_count_against_the_heap_limit() {
    let out = common::run_with(
        "x = 1\nwhile True:\n    x = x * 2**4096\n",
        1,
        &["--max-memory", "8MB"],
    );
    assert!(out.stderr.contains("MemoryError"), "{out}");
}

#[test]
fn lost_update_on_a_big_int_is_explained() {
    let src = "import threading\nn = 2**100\ndef work():\n    global n\n    for _ in range(2000):\n        n += 1\nts = [threading.Thread(target=work) for _ in range(2)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(n - 2**100)\n";
    let out = common::run_with(src, 3, &["--switch-interval", "7"]);
    assert!(out.stderr.contains("lost update"), "{out}");
}

#[test]
fn numeric_builtins_match_cpython() {
    same_as_python(include_str!("py_bigint/builtins.py"));
}

#[test]
fn input_argv_and_stderr() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let path = common::write_program(
        "import sys\nprint(sys.argv[1:])\nname = input('name? ')\nprint('hello', name, file=sys.stderr)\nsys.stdout.write(name.upper() + '\\n')\ntry:\n    input()\nexcept EOFError as e:\n    print('EOFError:', e)\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .arg("run")
        .arg(&path)
        .args(["--seed", "1", "--", "a", "b c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gilvm");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"Ann\n")
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stdout,
        "['a', 'b c']\nname? ANN\nEOFError: EOF when reading a line\n"
    );
    assert!(stderr.starts_with("hello Ann\n"), "{stderr}");
    assert!(stderr.contains("--seed 1 -- a 'b c'"), "{stderr}");
}

#[test]
fn rounding_formatting_and_float_repr_match_cpython() {
    same_as_python(include_str!("py_bigint/format.py"));
}

#[test]
fn big_integer_literals_match_cpython() {
    same_as_python(include_str!("py_bigint/literals.py"));
}

#[test]
fn big_ints_behave_as_ints_everywhere() {
    same_as_python(include_str!("py_bigint/misc.py"));
}

#[test]
fn every_operator_on_a_grid_of_ints_matches_cpython() {
    same_as_python(include_str!("py_bigint/ops_grid.py"));
}

#[test]
fn print_to_stderr_calls_str_of_instances() {
    let out = common::run_with(
        "import sys\nclass A:\n    def __str__(self):\n        return 'A!'\nprint(A(), 1, file=sys.stderr)\nprint(A(), sep='-', end='|\\n')\nprint(callable(sys.stderr))\n",
        1,
        &["-q"],
    );
    assert_eq!(out.stdout, "A!|\nFalse\n");
    assert!(out.stderr.starts_with("A! 1\n"), "{out}");
}
