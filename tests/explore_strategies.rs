//! `gilvm explore --strategy pct|random`, `--until output`, `--first`: what a user sees.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

fn gilvm(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("gilvm runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn program(source: &str) -> PathBuf {
    let path = common::write_program(source);
    let dir = path.with_extension("d");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("prog.toy"), source).expect("write");
    dir
}

const COUNTER: &str = "import threading
counter = 0
def work():
    global counter
    for _ in range(3):
        counter += 1
t1 = threading.Thread(target=work)
t2 = threading.Thread(target=work)
t1.start()
t2.start()
t1.join()
t2.join()
print(counter)
";

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[test]
fn pct_prints_its_guarantee_with_n_and_k_measured() {
    let dir = program(COUNTER);
    let (code, out, _) = gilvm(
        &["explore", "prog.toy", "--strategy", "pct", "--runs", "100"],
        &dir,
    );
    assert_eq!(code, 8, "{out}");
    assert!(
        out.contains("pct guarantee: a bug of depth 2 is found by one run with p ≥ 1/(n·k^1)"),
        "{out}"
    );
    assert!(out.contains("n = 3 threads"), "{out}");
    let (_, j, _) = gilvm(
        &[
            "explore",
            "prog.toy",
            "--strategy",
            "pct",
            "--runs",
            "100",
            "--json",
        ],
        &dir,
    );
    let v = json(&j);
    let p = &v["pct"];
    let k = p["steps"]
        .as_u64()
        .expect("k")
        .max(p["estimated_steps"].as_u64().expect("k"));
    let want = 1.0 / (3.0 * k as f64);
    assert!((p["p"].as_f64().expect("p") - want).abs() < 1e-12, "{p}");
    let miss = (1.0 - want).powf(100.0);
    assert!(
        (p["miss"].as_f64().expect("miss") - miss).abs() < 1e-9,
        "{p}"
    );
    // A lost update is a depth-2 bug: PCT finds it, and the shrunk schedule has 1 preemption.
    assert_eq!(v["failure"]["kind"], "lost-update");
    assert_eq!(v["failure"]["preemptions"], 1);
}

#[test]
fn random_runs_are_the_seeded_runs_of_run_and_sweep() {
    let dir = program(COUNTER);
    let (_, j, _) = gilvm(
        &[
            "explore",
            "prog.toy",
            "--strategy",
            "random",
            "--runs",
            "30",
            "--seed",
            "5",
            "--json",
        ],
        &dir,
    );
    let v = json(&j);
    let (_, s, _) = gilvm(&["sweep", "prog.toy", "--seeds", "5..35", "--json"], &dir);
    let sw = json(&s);
    let mut ours: Vec<(String, u64)> = v["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .map(|o| {
            (
                o["stdout"].as_str().expect("s").to_string(),
                o["count"].as_u64().expect("n"),
            )
        })
        .collect();
    let mut theirs: Vec<(String, u64)> = sw["models"][0]["stdout"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|o| {
            (
                o["stdout"].as_str().expect("s").to_string(),
                o["count"].as_u64().expect("n"),
            )
        })
        .collect();
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs);
}

#[test]
fn until_output_compares_with_the_expected_output() {
    let dir = program(COUNTER);
    std::fs::write(dir.join("want.txt"), "6\n").expect("write");
    let (code, out, _) = gilvm(
        &[
            "explore",
            "prog.toy",
            "--until",
            "output",
            "--expect-output",
            "want.txt",
        ],
        &dir,
    );
    assert_eq!(code, 8, "{out}");
    assert!(out.contains("failure: output"), "{out}");
    assert!(out.contains("shrunk to 1 preemption"), "{out}");
    // Only deadlocks count: the lost updates are outcomes, not failures.
    let (code, out, _) = gilvm(&["explore", "prog.toy", "--until", "deadlock"], &dir);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("cannot fail under this model"), "{out}");
}

#[test]
fn first_stops_at_the_first_failure() {
    let dir = program(COUNTER);
    let (code, j, _) = gilvm(&["explore", "prog.toy", "--first", "--json"], &dir);
    assert_eq!(code, 8);
    let v = json(&j);
    assert_eq!(v["complete"], false);
    assert!(v["executions"].as_u64().expect("n") < 328, "{v}");
    assert_eq!(v["failure"]["preemptions"], 1);
}
