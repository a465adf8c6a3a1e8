//! The lesson programs of the synchronisation toolbox (`programs/`) print exactly what
//! `python3` prints, under every GIL model: their output does not depend on the schedule.

mod common;
use common::*;

use std::path::Path;
use std::process::Command;

/// Lessons that end normally (the deadlock lessons hang under CPython, so only their golden
/// runs check them).
const LESSONS: &[&str] = &[
    "rlock_recursion",
    "semaphore_connections",
    "condition_bounded_buffer",
    "event_start_shutdown",
    "queue_producer_consumer",
    "lifo_queue",
    "barrier_phases",
    "with_releases_on_exception",
];

#[test]
fn lessons_print_what_python_prints_under_every_model() {
    if !python3() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in LESSONS {
        let path = root.join("programs").join(format!("{name}.toy"));
        let py = Command::new("python3")
            .arg(&path)
            .output()
            .expect("run python3");
        let py_out = String::from_utf8_lossy(&py.stdout).into_owned();
        for model in ["any", "py27", "py39", "py311", "nogil"] {
            for seed in [1, 2] {
                let ours = run_file(&path, seed, &["--gil", model]);
                assert_eq!(ours.code, 0, "{name} --gil {model} --seed {seed}\n{ours}");
                assert_eq!(
                    ours.stdout, py_out,
                    "{name} --gil {model} --seed {seed}: gilvm and python3 differ\n--- python3\n{py_out}\n--- gilvm\n{ours}"
                );
            }
        }
    }
}
