//! Built-in functions called inside the hot loop (issue 21, `vm/hotnative.rs`): `len(x)`,
//! `str(i)`, `min(a, b)`, `sorted(xs)`, `random.randint(…)`… called by `hot`'s `CALL` without
//! the round trip through `slow_op`, `do_call` and `call_value`, and built-in methods called
//! there while a generator exists (only a generator argument sends a call to the slow path).
//! Each program is compared with `python3` (stdout, stderr, exit status; skipped visibly
//! without it), and the threaded one makes the same run on the fast path as on the slow path
//! (`--races`) under every model.

mod common;

use common::{gilvm_full, root, same_full_as_cpython, same_run_as_slow_path};

/// Forty natives with their results and errors, before and after a generator exists, and
/// generators passed to `list`, `sum`, `sorted`, `zip`, `enumerate`, `min`: what CPython prints.
#[test]
fn natives_in_loops_match_cpython() {
    let path = root().join("tests/hotnative/natives.toy");
    let full = gilvm_full(&path);
    assert_eq!(full.2, Some(0), "{}\n{}", full.0, full.1);
    for line in [
        "False 30\n",
        "TypeError object of type 'int' has no len()\n",
        "ValueError min() arg is an empty sequence\n",
        "TypeError '<' not supported between instances of 'str' and 'int'\n",
        "(4, 0, [0, 1, 2]) [('a', 1), ('b', 2)] [(0, 'x'), (1, 'y')] q 9\n",
    ] {
        assert!(full.0.contains(line), "missing {line:?} in:\n{}", full.0);
    }
    same_full_as_cpython(&path, &full, "natives.toy");
}

/// Once a class defines special methods, `len(obj)`, `abs(obj)`, `str(obj)` and `sorted` of
/// objects go through them, as in CPython.
#[test]
fn special_methods_still_answer_builtin_calls() {
    let path = root().join("tests/hotnative/dunders.toy");
    let full = gilvm_full(&path);
    assert!(
        full.0
            .starts_with("1250 <3> Box(4) [Box(3), Box(2), Box(1)] <7>\n"),
        "{}\n{}",
        full.0,
        full.1
    );
    same_full_as_cpython(&path, &full, "dunders.toy");
}

/// Three threads calling built-ins while racing on a counter: the plain run (hot path) and
/// the `--races` run (slow path) print the same and count the same instructions, switches and
/// lost updates, under every model and three seeds.
#[test]
fn threads_make_the_same_run_as_the_slow_path() {
    let path = root().join("tests/hotnative/threads.toy");
    same_run_as_slow_path(&path, |out, _| {
        assert!(out.stdout.ends_with(" True\n"), "{out}");
    });
}

/// `for … in range(…)`: loops nested, counting down, over big ints, broken out of, left by an
/// exception; a range kept in a name and iterated twice; comprehensions, `iter()` of a range,
/// the errors of a bad call; a class with `__iter__` in the program: what CPython prints.
#[test]
fn loops_over_ranges_match_cpython() {
    let path = root().join("tests/hotnative/range_loops.toy");
    let full = gilvm_full(&path);
    assert_eq!(full.2, Some(0), "{}\n{}", full.0, full.1);
    assert!(full.0.starts_with("119\nfirst 2\n"), "{}", full.0);
    assert!(
        full.0
            .contains("range(2, 9, 3) 3 5 8 True [2, 5, 8] True\n"),
        "{}",
        full.0
    );
    same_full_as_cpython(&path, &full, "range_loops.toy");
}

/// A loop over `range(…)` makes one object, its iterator, not the range and then the
/// iterator: eleven loops between two objects put eleven ids between theirs (the range was
/// garbage from its first instruction, and a thread looping left two objects behind). The
/// threads' objects get the same ids on the hot path as on the slow path (`--races`).
#[test]
fn a_loop_over_a_range_makes_one_object() {
    let path = root().join("tests/hotnative/range_ids.toy");
    let plain = common::run_file(&path, 1, &["-q"]);
    assert_eq!(plain.code, 0, "{plain}");
    assert!(plain.stdout.starts_with("between: 11\n"), "{plain}");
    same_run_as_slow_path(&path, |out, _| {
        assert!(out.stdout.starts_with("between: 11\n"), "{out}");
        assert_eq!(out.stdout.matches(" mark ").count(), 3, "{out}");
    });
}
