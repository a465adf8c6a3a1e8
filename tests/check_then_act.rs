//! The check-then-act detector as a user sees it (`src/vm/cta.rs`): the lessons of
//! `programs/check_then_act/` (a dict cache and a list of tickets, and their fixed versions),
//! the other kinds of check (`is None`, a comparison, an attribute, `d.get` through a local)
//! in `tests/check_then_act/`, the explanation's words, the trace's `!!!` block, and no
//! report on the shipped lock-correct programs.

use std::path::PathBuf;
use std::process::Command;

mod common;
use common::{gilvm, root};

/// The number of stale checks the run summary reports (0 when it has no check-then-act line).
fn stale_checks(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("gilvm: check-then-act: "))
        .and_then(|l| l.split_whitespace().next())
        .map(|n| n.replace(',', "").parse().expect("a count"))
        .unwrap_or(0)
}

fn first_explanation(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("gilvm: check-then-act, the first: "))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_dict_cache_reports_every_key_computed_twice_and_explains_the_first() {
    for seed in 1..=12 {
        let s = seed.to_string();
        let out = gilvm(&["run", "programs/check_then_act/cache.toy", "--seed", &s]);
        assert_eq!(out.code, 0, "{out}");
        // "N values computed for 3 keys": every extra computation is one stale check acted on.
        let computed: u64 = out
            .stdout
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a count");
        assert_eq!(
            stale_checks(&out.stderr),
            computed - 3,
            "seed {seed}:\n{out}"
        );
    }
    let out = gilvm(&["run", "programs/check_then_act/cache.toy", "--seed", "1"]);
    assert!(out.stderr.contains("gilvm: lost updates: none\n"), "{out}");
    assert_eq!(
        first_explanation(&out.stderr),
        "Thread-1 (worker) checked `key not in cache` for key 0 (True) at line 14; \
         Thread-2 (worker) stored `cache[key]` at line 19; Thread-1 (worker) then stored \
         `cache[key]` at line 19 from its stale check: Thread-2 (worker)'s value is overwritten",
        "{out}"
    );
}

#[test]
fn the_ticket_list_reports_the_stale_length_behind_each_failed_pop() {
    let mut reported = 0;
    for seed in 1..=30 {
        let s = seed.to_string();
        let out = gilvm(&["run", "programs/check_then_act/tickets.toy", "--seed", &s]);
        // Traceback lines (the crashed-threads summary names the exception too).
        let crashes = out
            .stderr
            .lines()
            .filter(|l| *l == "IndexError: pop from empty list")
            .count() as u64;
        // A pop on an emptied list always follows a stale `len(tickets) > 0`.
        assert!(stale_checks(&out.stderr) >= crashes, "seed {seed}:\n{out}");
        if stale_checks(&out.stderr) > 0 {
            reported += 1;
            let e = first_explanation(&out.stderr);
            assert!(
                e.contains("checked `len(tickets)`")
                    && e.contains("called `tickets.pop()` at line 16")
                    && e.ends_with("from its stale check: its check no longer held when it acted"),
                "seed {seed}: {e}"
            );
        }
    }
    assert!(reported > 0, "no seed in 1..=30 staged the race");
}

#[test]
fn the_fixed_lessons_are_clean_and_print_what_cpython_prints() {
    for (prog, want) in [
        (
            "programs/check_then_act/cache_fixed.toy",
            "3 values computed for 3 keys\n",
        ),
        (
            "programs/check_then_act/tickets_fixed.toy",
            "6 tickets sold: [0, 1, 2, 3, 4, 5]\n",
        ),
    ] {
        for (model, seed) in [
            ("any", 1),
            ("any", 2),
            ("any", 3),
            ("py311", 1),
            ("py27", 2),
        ] {
            let s = seed.to_string();
            let out = gilvm(&["run", prog, "--seed", &s, "--gil", model]);
            assert_eq!((out.code, out.stdout.as_str()), (0, want), "{prog}:\n{out}");
            assert!(
                !out.stderr.contains("check-then-act"),
                "{prog} {model} {seed}:\n{out}"
            );
        }
        match Command::new("python3")
            .arg(prog)
            .current_dir(root())
            .output()
        {
            Ok(py) if py.status.success() => {
                assert_eq!(
                    String::from_utf8_lossy(&py.stdout),
                    want,
                    "{prog} under CPython"
                )
            }
            _ => eprintln!("skipped: python3 not found, {prog} not compared with CPython"),
        }
    }
}

/// Each kind of check, with the explanation of a seed that stages it.
#[test]
fn every_kind_of_check_is_explained() {
    let cases = [
        (
            "singleton.toy",
            "1",
            "Thread-2 (get) checked `instance is None` (True) at line 9; Thread-3 (get) stored \
             `instance` at line 13; Thread-2 (get) then stored `instance` at line 13 from its \
             stale check: Thread-3 (get)'s value is overwritten",
        ),
        (
            "limit.toy",
            "1",
            "Thread-3 (sell) checked `sold < LIMIT` (True) at line 10; Thread-2 (sell) stored \
             `sold` at line 13; Thread-3 (sell) then stored `sold` at line 13 from its stale \
             check: its check no longer held when it acted",
        ),
        (
            "withdraw.toy",
            "4",
            "checked `self.balance >= amount` (True) at line 9",
        ),
        (
            "word_count.toy",
            "1",
            "checked `counts.get(word)` for key 'a' (",
        ),
    ];
    for (file, seed, want) in cases {
        let path = format!("tests/check_then_act/{file}");
        let out = gilvm(&["run", &path, "--seed", seed]);
        assert!(
            first_explanation(&out.stderr).contains(want),
            "{file} --seed {seed}: want {want:?}\n{out}"
        );
    }
}

#[test]
fn a_trace_shows_the_violation_where_it_happens() {
    let out = gilvm(&["trace", "programs/check_then_act/cache.toy", "--seed", "1"]);
    assert_eq!(out.code, 0, "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("!!! CHECK-THEN-ACT #1 (T1 acts on a stale check)"))
        .unwrap_or_else(|| panic!("no check-then-act block:\n{out}"));
    // Right after the stale store itself.
    assert!(lines[at - 1].contains("STORE_SUBSCR"), "{}", lines[at - 1]);
    assert_eq!(
        out.stdout.matches("!!! CHECK-THEN-ACT #").count(),
        3,
        "{out}"
    );
    // In JSON Lines, a record of its own.
    let out = gilvm(&[
        "trace",
        "programs/check_then_act/cache.toy",
        "--seed",
        "1",
        "--format",
        "jsonl",
    ]);
    let rec = out
        .stdout
        .lines()
        .find(|l| l.contains("\"type\":\"check_then_act\""))
        .unwrap_or_else(|| panic!("no check_then_act record:\n{}", out.stdout));
    assert!(
        rec.contains("\"check\":\"key not in cache\"")
            && rec.contains("\"result\":\"True\"")
            && rec.contains("\"check_line\":14")
            && rec.contains("\"act_line\":19"),
        "{rec}"
    );
}

/// Precision: the shipped programs (lock-correct or racing only on `+=`) never report a
/// check-then-act, under several seeds and models.
#[test]
fn the_shipped_programs_report_no_check_then_act() {
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in ["programs", "tests/py"] {
        for e in std::fs::read_dir(root().join(dir)).expect("dir").flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toy") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() > 20);
    for f in &files {
        let file = f.strip_prefix(root()).unwrap_or(f).to_str().expect("utf-8");
        for (model, seed) in [
            ("any", "1"),
            ("any", "2"),
            ("any", "3"),
            ("py311", "1"),
            ("py27", "2"),
        ] {
            let out = gilvm(&[
                "run",
                file,
                "--seed",
                seed,
                "--gil",
                model,
                "--max-steps",
                "5000000",
            ]);
            assert!(
                !out.stderr.contains("check-then-act"),
                "{file} --gil {model} --seed {seed}:\n{out}"
            );
        }
    }
}

#[test]
fn a_sweep_counts_the_runs_that_act_on_stale_checks() {
    let out = gilvm(&[
        "sweep",
        "programs/check_then_act/tickets.toy",
        "--seeds",
        "0..30",
    ]);
    assert_eq!(out.code, 0, "{out}");
    let row = |label: &str| {
        out.stdout
            .lines()
            .find(|l| l.starts_with(label))
            .map(|l| l[label.len()..].trim().to_string())
            .unwrap_or_else(|| panic!("no `{label}` row:\n{out}"))
    };
    assert_eq!(row("verdict"), "acts on stale checks, crashes");
    // As many runs as `run` reports one for, seed by seed.
    let reporting = (0..30)
        .filter(|s| {
            let s = s.to_string();
            let o = gilvm(&["run", "programs/check_then_act/tickets.toy", "--seed", &s]);
            stale_checks(&o.stderr) > 0
        })
        .collect::<Vec<_>>();
    assert!(!reporting.is_empty());
    let share = format!("{:.1}%", reporting.len() as f64 * 100.0 / 30.0);
    assert_eq!(
        row("runs acting on stale checks"),
        format!("{} ({share})", reporting.len())
    );
    assert_eq!(
        row("first seed acting on one"),
        format!(
            "gilvm run programs/check_then_act/tickets.toy --seed {}",
            reporting[0]
        )
    );
    // In JSON too.
    let json = gilvm(&[
        "sweep",
        "programs/check_then_act/tickets.toy",
        "--seeds",
        "0..30",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let row = &v["models"][0]["check_then_act"];
    assert_eq!(row["runs"], reporting.len() as u64, "{row}");
    assert_eq!(row["seed"], reporting[0], "{row}");
    // A fixed program's report has no such rows.
    let fixed = gilvm(&[
        "sweep",
        "programs/check_then_act/tickets_fixed.toy",
        "--seeds",
        "0..10",
    ]);
    assert!(
        !fixed.stdout.contains("stale checks") && fixed.stdout.contains("never loses updates\n"),
        "{fixed}"
    );
}
