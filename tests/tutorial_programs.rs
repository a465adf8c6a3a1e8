//! Tutorial-style threading programs (`tests/py_tutorials/*.py`, the kind courses and blog
//! posts show: executors, generators, big ints, `collections`, `itertools`, `math`, seeded
//! `random`, `logging`, `threading.local`, `Timer`, `Barrier`, classes with locks) print
//! exactly what CPython 3.11 prints — stdout byte for byte, and the exit status — under
//! several seeds and GIL models. Every program's output is independent of the schedule (its
//! threads' results are sorted or joined before printing), so one CPython run is the oracle.
//! Skips, saying so, when `python3` is not CPython 3.11.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// `python3` if it is CPython 3.11 (the version gilvm's output follows).
fn python311() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let mut lines = text.lines();
    let exe = lines.next()?.trim().to_string();
    (lines.next()? == "3.11").then(|| PathBuf::from(exe))
}

#[test]
fn tutorial_programs_print_what_cpython_311_prints() {
    let progs = common::programs_in("tests/py_tutorials", "py");
    assert!(progs.len() >= 25, "tests/py_tutorials has its programs");
    let Some(py) = python311() else {
        eprintln!("skipped: python3 is not CPython 3.11, tutorial programs not compared");
        return;
    };
    let runs = [
        ("1", "any"),
        ("2", "py311"),
        ("3", "py39"),
        ("4", "py27"),
        ("5", "any"),
    ];
    let failures = common::differences_from_cpython(&py, &progs, &runs, true);
    assert!(
        failures.is_empty(),
        "{} runs differ from CPython:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// What the logging programs write to stderr is CPython's too (stderr is compared for the
/// programs whose stderr does not depend on the schedule and has no traceback).
#[test]
fn logging_tutorial_writes_what_cpython_writes_to_stderr() {
    let Some(py) = python311() else {
        eprintln!("skipped: python3 is not CPython 3.11");
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rel = "tests/py_tutorials/logging_threads.py";
    let want = Command::new(&py)
        .arg(rel)
        .current_dir(root)
        .output()
        .expect("python3 runs");
    let got = Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(["run", "-q", "--seed", "3", rel])
        .current_dir(root)
        .output()
        .expect("gilvm runs");
    assert_eq!(
        String::from_utf8_lossy(&got.stderr),
        String::from_utf8_lossy(&want.stderr)
    );
}
