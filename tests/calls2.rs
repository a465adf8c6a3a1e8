//! Keyword calls, defaults and recursion on the hot loop's path (issue 21, `vm::fastcall`'s
//! `bind_general`): every binding case, and every binding error, as CPython 3.11 prints it,
//! and the same as on the slow path (`--races` keeps every call there).

mod common;

use common::{python3, root, run_file, same_run_as_slow_path, same_stdout_as_cpython};
use std::process::Command;

/// Keyword-only parameters with and without defaults (in and out of order), defaults filled,
/// positional parameters named by keyword, `*args`, `**kwargs`, more keyword arguments than
/// the hot path binds, more parameters than its bit mask holds, a parameter that is a cell,
/// and every error: missing, unexpected, duplicate and too many arguments. Stdout equals
/// `python3`'s, and the `--races` run's.
#[test]
fn keyword_and_default_binding_as_cpython_does() {
    let path = root().join("tests/calls2/binding_edges.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    for needle in [
        "(1, 2, 3) (1, 1, 0) (0, 5, 9)\n",
        "TypeError: kw_mid() missing 1 required keyword-only argument: 'b'\n",
        "TypeError: pos_kw() got multiple values for argument 'a'\n",
        "TypeError: wide() got an unexpected keyword argument 'q70'\n",
        "12008000\n",
    ] {
        assert!(ours.stdout.contains(needle), "{needle:?} not in\n{ours}");
    }
    let slow = run_file(&path, 1, &["-q", "--races"]);
    assert_eq!(ours.stdout, slow.stdout, "hot path and slow path differ");
    same_stdout_as_cpython(&path, &ours);
}

/// A keyword call that fails outside any `try`: the traceback's last line and the exit
/// status are CPython's.
#[test]
fn an_uncaught_binding_error_is_cpythons() {
    let src = "def add(a, b=1, *, scale=1):\n    return (a + b) * scale\n\n\
               for i in range(3):\n    print(add(i, scale=2))\nprint(add(1, scale=2, b=3, c=4))\n";
    let path = common::write_program(src);
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.stdout, "2\n4\n6\n", "{ours}");
    assert_eq!(ours.code, 1, "{ours}");
    let last = "TypeError: add() got an unexpected keyword argument 'c'";
    assert_eq!(ours.stderr.trim_end().lines().last(), Some(last), "{ours}");
    if python3() {
        let py = Command::new("python3")
            .arg(&path)
            .output()
            .expect("run python3");
        let err = String::from_utf8_lossy(&py.stderr);
        assert_eq!(err.trim_end().lines().last(), Some(last));
        assert_eq!(py.status.code(), Some(1));
    }
    let _ = std::fs::remove_file(&path);
}

/// Threads making keyword calls with defaults and recursing: the hot loop's run and the
/// slow path's are the same run (output, instructions, switches, lost updates) under every
/// model.
#[test]
fn keyword_calls_in_threads_make_the_same_run_as_the_slow_path() {
    let path = root().join("tests/calls2/threads_kw.toy");
    same_run_as_slow_path(&path, |plain, c| {
        assert!(c.contains(" switches"), "{plain}");
    });
}
