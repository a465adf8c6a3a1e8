//! Generators and exceptions in the hot loop (issue 21, `vm::fastgen`): a generator resumed by
//! `for`, `send` or `yield from` and its yields, and an `except` clause's `PUSH_EXC_INFO`,
//! `CHECK_EXC_MATCH` and `POP_EXCEPT` and `raise` of an instance, run in `Vm::hot`; they behave
//! as CPython's, and the run is the same run — same output, same instruction count, same
//! switches, same lost updates — as one where they all take the slow path (`--races` keeps
//! them there), under every GIL model.

mod common;

use common::{cpython, root, run_file, same_run_as_slow_path, same_stdout_as_cpython};

/// Every way a generator is resumed and left (`for`, `next`, `next` with a default, `send`,
/// `yield from` with a return value, `close`, `finally`, PEP 479, a generator in a handler
/// and its resumer's handled exception): stdout equal to `python3`'s.
#[test]
fn generators_run_as_cpython_does() {
    let path = root().join("tests/genexc/semantics.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    assert!(
        ours.stdout
            .contains("KeyError('inner') ValueError('outer')\n"),
        "{ours}"
    );
    same_stdout_as_cpython(&path, &ours);
}

/// Exceptions caught in the same frame, through calling frames and in a generator, with
/// `finally`, `__context__` and a re-raised instance, then one left uncaught: stdout and the
/// traceback on stderr equal to `python3`'s.
#[test]
fn exceptions_are_caught_as_cpython_catches_them() {
    let path = root().join("tests/genexc/exceptions.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 1, "{ours}");
    assert!(ours.stdout.starts_with("485 135 30\n"), "{ours}");
    assert!(ours.stderr.ends_with("KeyError: 6\n"), "{ours}");
    if let Some((out, err)) = cpython(&path) {
        assert_eq!(ours.stdout, out, "{ours}");
        assert_eq!(ours.stderr, err, "{ours}");
    }
}

/// Threads driving generators and catching exceptions, one generator shared by all (so that one may find it
/// running): the plain run and the `--races` run print the same, count the same instructions
/// and switches and report the same lost updates, under every model and several seeds.
#[test]
fn hot_generators_make_the_same_run_as_the_slow_path() {
    let path = root().join("tests/genexc/threads.toy");
    let mut busy = false;
    same_run_as_slow_path(&path, |plain, c| {
        busy |= plain.stdout.contains("generator already executing");
        assert!(
            c.contains(" switches") && c.contains("lost updates"),
            "{plain}"
        );
    });
    // The shared generator was found running by some thread in some run: the resume that
    // must fail did take the slow path's error.
    assert!(busy);
}

/// A caller's wide operand stack survives its callee's or generator's preemption: the same
/// output as CPython under every model and several seeds (before, a return in a later turn
/// could report "value stack overflow").
#[test]
fn a_caller_resumed_in_a_later_turn_has_its_stack_room() {
    let path = root().join("tests/genexc/stack_room.toy");
    let want = cpython(&path).map(|(out, _)| out);
    for model in ["any", "py27", "py39", "py311", "nogil"] {
        for seed in 1..4 {
            let ours = run_file(&path, seed, &["-q", "--gil", model]);
            assert_eq!(ours.code, 0, "{model} seed {seed}: {ours}");
            assert!(!ours.stdout.contains("stack overflow"), "{ours}");
            assert_eq!(ours.stdout, "[10464600, 10464600]\n", "{ours}");
            if let Some(py) = &want {
                assert_eq!(&ours.stdout, py, "{model} seed {seed}");
            }
        }
    }
}
