//! The standard modules gilvm writes in Python (`concurrent.futures`, `operator`, `string`, …)
//! against CPython: every program in `tests/stdlib/` prints exactly what `python3` prints
//! (stdout, byte for byte) and exits with the same status, under several seeds and every GIL
//! model. Skips, saying so, when `python3` is missing.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn python3() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let exe = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!exe.is_empty()).then(|| PathBuf::from(exe))
}

#[test]
fn stdlib_programs_print_what_cpython_prints() {
    let Some(py) = python3() else {
        eprintln!("skipped: python3 not found, CPython comparison not run");
        return;
    };
    let progs = common::programs_in("tests/stdlib", "toy");
    assert!(progs.len() >= 3, "tests/stdlib has its programs");
    let runs = [
        ("1", "any"),
        ("2", "any"),
        ("3", "py311"),
        ("4", "py39"),
        ("5", "py27"),
    ];
    let failures = common::differences_from_cpython(&py, &progs, &runs, false);
    assert!(
        failures.is_empty(),
        "{} runs differ from CPython:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
