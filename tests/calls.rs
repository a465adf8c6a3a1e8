//! Calls and returns in the hot loop (issue 21, `vm::fastcall`): Python-to-Python calls bind
//! their arguments as CPython does, and a run whose calls take the hot loop's path is the same
//! run — same output, same instruction count, same switches — as one whose calls all take the
//! slow path (`--races` keeps every call on the slow path), under every GIL model.

mod common;

use common::{root, run_file, same_run_as_slow_path, same_stdout_as_cpython};

/// Positional, default, keyword and keyword-only arguments, methods, closures, recursion, and
/// every binding error: stdout equal to `python3`'s.
#[test]
fn calls_bind_as_cpython_does() {
    let path = root().join("tests/calls/binding.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    assert!(
        ours.stdout
            .contains("TypeError: add() got multiple values for argument 'a'"),
        "{ours}"
    );
    same_stdout_as_cpython(&path, &ours);
}

/// Threads calling functions and methods with keyword and default arguments, updating
/// attributes, appending to a shared list, reading a shared dict, joining strings: the plain
/// run (calls, attributes and methods in the hot loop) and the `--races` run (all on the slow
/// path) print the same, count the same instructions and switches and report the same lost
/// updates, under every model and several seeds.
#[test]
fn hot_calls_make_the_same_run_as_the_slow_path() {
    let path = root().join("tests/calls/threads.toy");
    same_run_as_slow_path(&path, |plain, c| {
        assert!(
            c.contains(" switches") && c.contains("lost updates"),
            "{plain}"
        );
    });
}
