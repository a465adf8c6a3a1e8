//! Calls and returns in the hot loop (issue 21, `vm::fastcall`): Python-to-Python calls bind
//! their arguments as CPython does, and a run whose calls take the hot loop's path is the same
//! run — same output, same instruction count, same switches — as one whose calls all take the
//! slow path (`--races` keeps every call on the slow path), under every GIL model.

mod common;

use common::{python3, root, run_file};
use std::process::Command;

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
    if !python3() {
        return;
    }
    let py = Command::new("python3")
        .arg(&path)
        .output()
        .expect("run python3");
    assert_eq!(ours.stdout, String::from_utf8_lossy(&py.stdout), "{ours}");
}

/// The run summary's lines with the instruction and switch counts and the lost updates.
fn counts(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| l.contains(" instructions · ") || l.contains("lost updates"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Threads calling functions and methods with keyword and default arguments, updating
/// attributes, appending to a shared list, reading a shared dict, joining strings: the plain
/// run (calls, attributes and methods in the hot loop) and the `--races` run (all on the slow
/// path) print the same, count the same instructions and switches and report the same lost
/// updates, under every model and several seeds.
#[test]
fn hot_calls_make_the_same_run_as_the_slow_path() {
    let path = root().join("tests/calls/threads.toy");
    for model in ["any", "py27", "py39", "py311", "nogil"] {
        for seed in 1..4 {
            let args = ["--gil", model, "--switch-interval", "7"];
            let plain = run_file(&path, seed, &args);
            let mut slow_args = args.to_vec();
            slow_args.push("--races");
            let slow = run_file(&path, seed, &slow_args);
            assert_eq!(plain.code, 0, "{plain}");
            assert_eq!(plain.stdout, slow.stdout, "{model} seed {seed}");
            let c = counts(&plain.stderr);
            assert!(
                c.contains(" switches") && c.contains("lost updates"),
                "{plain}"
            );
            assert_eq!(c, counts(&slow.stderr), "{model} seed {seed}");
        }
    }
}
