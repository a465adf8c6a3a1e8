//! Generators and exceptions, issue 21's third pass (`gen3`): exceptions keep their arguments
//! and traceback inline (`heap::ExcArgs`, `heap::Traceback`, spilling to the heap past two
//! arguments or four frames), `int()`'s invalid-literal message is written without a repr
//! `String`, and a generator's yield outside a handler skips a `Value` comparison
//! (`fastgen::hot_gen_yield`). Each program is compared with `python3` (skipped visibly
//! without it) and checked on lines of its own, and the threaded one makes the same run on the
//! hot path as on the slow path under every model.

mod common;

use common::{cpython, root, run_file, same_run_as_slow_path, same_stdout_as_cpython};

/// `for`, `next` with and without a default, `send`, `throw` (an instance, a class and a
/// value, caught and escaping), `close` (twice, then `next`), the return value of
/// `yield from` and of a nested one, `StopIteration` raised inside a generator (PEP 479),
/// an exception crossing seven generator frames, a deep operand stack at a yield, a generator
/// abandoned half way and one resumed while it runs: stdout equal to `python3`'s.
#[test]
fn generators_run_as_cpython_does() {
    let path = root().join("tests/gen3/generators.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    for line in [
        "0 1 2 done again\n",
        "echo closing with ['a', 'b', 'closed']\necho finally\nafter close\n",
        "inner returned 60\nouter value 100 [0, 1, 2, 0]\n",
        "ready caught ValueError('x') ready caught ValueError('y')\n",
        "RuntimeError generator raised StopIteration StopIteration('inside') StopIteration('inside')\n",
        "deep KeyError('deep')\n",
        "21 (1, 2, 3, (4, 5, (6, 'sent')))\n",
        "51 99\ngenerator already executing\n",
    ] {
        assert!(ours.stdout.contains(line), "missing {line:?}\n{ours}");
    }
    same_stdout_as_cpython(&path, &ours);
}

/// `raise … from`, `__context__` and `__suppress_context__`, `finally` around a raise,
/// `else`, a bare `raise` and `raise e`, `except` with a tuple and with `as`, exceptions of
/// up to five arguments (past the two kept inline), through up to twelve frames and a
/// generator, a subclass with its own `__init__`, and an uncaught one nine frames deep (past
/// the four traceback entries kept inline): stdout and the traceback equal to `python3`'s.
#[test]
fn exceptions_are_caught_and_printed_as_cpython_does() {
    let path = root().join("tests/gen3/exceptions.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 1, "{ours}");
    for line in [
        "RuntimeError('wrapped 0') KeyError(0) True 0 (0,)\n",
        "[('RuntimeError', 16), ('else', 8), ('finally', 40)]\n",
        "11 ValueError 4 ('bad', 11, [11], {'n': 11})\n",
        "reraised IndexError True\n",
        "through a generator KeyError(5)\n",
        "inner finally\nValueError('second') KeyError('first')\n",
        "Custom (1, 2) 3 (1, 2)\n",
        "KeyError() ValueError(1, 2, 3, 4, 5) (1, 2, 3, 4, 5)\n",
    ] {
        assert!(ours.stdout.contains(line), "missing {line:?}\n{ours}");
    }
    assert!(
        ours.stderr
            .contains("  [Previous line repeated 5 more times]\n"),
        "{ours}"
    );
    assert!(
        ours.stderr.ends_with("ValueError: ('deep', 1, 2, 3)\n"),
        "{ours}"
    );
    if let Some((out, err)) = cpython(&path) {
        assert_eq!(ours.stdout, out, "{ours}");
        assert_eq!(ours.stderr, err, "{ours}");
    }
}

/// Four threads, each driving its own generators (`sum` over one, a genexpr over a
/// `yield from`, `next` until `StopIteration`) that raise and catch inside: the same totals
/// as `python3` whatever the schedule, and the same run (output, instructions, switches, lost
/// updates) on the hot path as with `--races`, which keeps everything on the slow path.
#[test]
fn threads_with_generators_make_the_same_run_as_the_slow_path() {
    let path = root().join("tests/gen3/threads.toy");
    let want = "[('t0', 26561), ('t1', 26561), ('t2', 26561), ('t3', 26561)]\n";
    same_run_as_slow_path(&path, |plain, c| {
        assert_eq!(plain.stdout, want, "{plain}");
        assert!(c.contains(" switches"), "{plain}");
    });
    if let Some((out, _)) = cpython(&path) {
        assert_eq!(out, want);
    }
}
