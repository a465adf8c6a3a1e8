//! The standard modules gilvm writes in Python (`concurrent.futures`, `operator`, `string`, …)
//! against CPython: every program in `tests/stdlib/` prints exactly what `python3` prints
//! (stdout, byte for byte) and exits with the same status, under several seeds and every GIL
//! model. Skips, saying so, when `python3` is missing.

use std::path::{Path, PathBuf};
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

fn programs(root: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root.join("tests/stdlib"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toy"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn stdlib_programs_print_what_cpython_prints() {
    let Some(py) = python3() else {
        eprintln!("skipped: python3 not found, CPython comparison not run");
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let progs = programs(root);
    assert!(progs.len() >= 3, "tests/stdlib has its programs");
    let mut failures = Vec::new();
    for p in &progs {
        let rel = p.strip_prefix(root).unwrap_or(p);
        let want = Command::new(&py)
            .arg(rel)
            .current_dir(root)
            .output()
            .expect("python3 runs");
        for (seed, model) in [
            ("1", "any"),
            ("2", "any"),
            ("3", "py311"),
            ("4", "py39"),
            ("5", "py27"),
        ] {
            let got = Command::new(env!("CARGO_BIN_EXE_gilvm"))
                .args(["run", "-q", "--seed", seed, "--gil", model])
                .arg(rel)
                .current_dir(root)
                .output()
                .expect("gilvm runs");
            if got.stdout != want.stdout || got.status.code() != want.status.code() {
                failures.push(format!(
                    "{} (seed {seed}, {model}): exit {:?} vs python3 {:?}\n--- gilvm stdout\n{}--- python3 stdout\n{}--- gilvm stderr\n{}",
                    rel.display(),
                    got.status.code(),
                    want.status.code(),
                    String::from_utf8_lossy(&got.stdout),
                    String::from_utf8_lossy(&want.stdout),
                    String::from_utf8_lossy(&got.stderr),
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} runs differ from CPython:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
