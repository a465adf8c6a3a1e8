//! Exceptions raised and caught, issue 21's fourth pass (`exc4`): `KeyError(i)` and `int(s)`
//! called without the general call machinery, and their errors unwound to a handler in the
//! same frame or below plain function frames without `run_slice`'s unwinding
//! (`vm::raise_fast`). Each case the fast path takes and each it must leave alone is compared
//! with `python3` (stdout and the traceback on stderr; skipped visibly without it), and the
//! threaded program makes the same run on the fast path as on the slow path (`--races`)
//! under every model.

mod common;

use common::{gilvm_full, root, run_file, same_full_as_cpython, same_run_as_slow_path};

/// Caught one frame up (`raise KeyError(i)`), in the same frame (`int("x")`), two frames up;
/// `e.args`, `str(e)`, `repr(e)`, `__context__` (raised in an `except` body), `__cause__`,
/// subclass and tuple matching, `except … as e` then `e` deleted, several args, nested `try`,
/// a bare `raise`, a `finally` re-raising, user exception classes with and without
/// `__init__`, `int()` errors inside `__init__`, `__eq__` and a generator (frames the fast
/// path must not pop), keyword and two-argument calls, a `with` block's `__exit__`, `int()`'s
/// messages for odd literals, and an uncaught error three frames down while another is
/// handled: stdout, stderr and exit status equal to `python3`'s.
#[test]
fn caught_exceptions_match_cpython() {
    let path = root().join("tests/exc4/caught.toy");
    let (out, err, code) = gilvm_full(&path);
    assert_eq!(code, Some(1), "{out}\n{err}");
    for line in [
        "300 10 30 ('KeyError(27)', (27,), '27', None, None)\n",
        "two up ValueError(\"invalid literal for int() with base 10: 'nope'\")\n",
        "context KeyError(0) False\n",
        "outer caught invalid literal for int() with base 10: 'nested'\n",
        "deleted name 'e' is not defined\n",
        "init ValueError(\"invalid literal for int() with base 10: 'h'\")\n",
        "gen ValueError(\"invalid literal for int() with base 10: 'g'\")\nclosed []\n",
    ] {
        assert!(out.contains(line), "missing {line:?}\n{out}");
    }
    assert!(
        err.contains("line 207, in outer\n    return two_up(s)\n")
            && err.contains("line 23, in one_up\n    return int(s)\n")
            && err.contains("During handling of the above exception"),
        "{err}"
    );
    same_full_as_cpython(&path, &(out, err, code), "");
}

/// Three threads raising and catching both kinds while they race on a counter: the plain run
/// (fast path) and the `--races` run (slow path) print the same and count the same
/// instructions, switches and lost updates, under every model and three seeds.
#[test]
fn threads_make_the_same_run_as_the_slow_path() {
    let path = root().join("tests/exc4/threads.toy");
    same_run_as_slow_path(&path, |out, _| {
        assert!(
            out.stdout.starts_with("[(0, 20), (1, 20), (2, 20)]\n"),
            "{out}"
        );
    });
}

/// l/exc itself prints what `python3` prints.
#[test]
fn the_benchmark_loop_prints_cpythons_result() {
    let path = root().join("bench/programs/l_exceptions.py");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    assert_eq!(ours.stdout, "3333816667 33334 100000\n", "{ours}");
}
