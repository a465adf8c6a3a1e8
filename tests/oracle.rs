//! CPython as the oracle: every schedule-independent program prints exactly what `python3`
//! prints (stdout, byte for byte), and exits with the same status.
//!
//! Programs: `programs/*.toy` (except the ones whose output depends on the schedule, listed in
//! `SCHEDULE_DEPENDENT`) and `tests/py/*.toy`. Skips, saying so, when `python3` is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Programs whose output legitimately differs from CPython's: they show races, or the order in
/// which threads take a lock.
const SCHEDULE_DEPENDENT: &[&str] = &[
    "counter_race.toy",
    "bank_account_race.toy",
    "bank_account_property_race.toy",
    "lesson_lost_update.toy",
    "lock_turns.toy",
    "inventory_synchronized.toy",
    "executor_race.toy",
];

/// Programs that deadlock on purpose: CPython hangs on them, gilvm reports the deadlock
/// (exit status 4); their golden runs check what gilvm says.
const DEADLOCKS: &[&str] = &[
    "deadlock_two_locks.toy",
    "lock_recursion_deadlock.toy",
    "queue_join_deadlock.toy",
];

/// Programs that need a feature still being built; reported as not compared, visibly.
/// Remove an entry when its feature lands.
const NOT_YET: &[(&str, &str)] = &[];

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
    let mut v = Vec::new();
    for dir in ["programs", "tests/py"] {
        if let Ok(rd) = std::fs::read_dir(root.join(dir)) {
            for e in rd.flatten() {
                let p = e.path();
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if let Some((_, needs)) = NOT_YET.iter().find(|(n, _)| *n == name) {
                    eprintln!("not compared yet: {} (needs {needs})", p.display());
                    continue;
                }
                if p.extension().is_some_and(|x| x == "toy")
                    && !SCHEDULE_DEPENDENT.contains(&name)
                    && !DEADLOCKS.contains(&name)
                {
                    v.push(p);
                }
            }
        }
    }
    v.sort();
    v
}

#[test]
fn schedule_independent_programs_print_what_cpython_prints() {
    let Some(py) = python3() else {
        eprintln!("skipped: python3 not found, CPython comparison not run");
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failures = Vec::new();
    let progs = programs(root);
    assert!(!progs.is_empty());
    for p in &progs {
        let rel = p.strip_prefix(root).unwrap_or(p);
        let want = Command::new(&py)
            .arg(rel)
            .current_dir(root)
            .output()
            .expect("python3 runs");
        for seed in ["1", "2"] {
            let got = Command::new(env!("CARGO_BIN_EXE_gilvm"))
                .args(["run", "-q", "--seed", seed])
                .arg(rel)
                .current_dir(root)
                .output()
                .expect("gilvm runs");
            if got.stdout != want.stdout || got.status.code() != want.status.code() {
                failures.push(format!(
                    "{} (seed {seed}): exit {:?} vs python3 {:?}\n--- gilvm stdout\n{}--- python3 stdout\n{}--- gilvm stderr\n{}",
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
        "{} of {} programs differ from CPython:\n{}",
        failures.len(),
        progs.len(),
        failures.join("\n")
    );
}
