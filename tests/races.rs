//! `--races`: the data-race detector as a user sees it. Precision (every correctly
//! synchronised program of `programs/` reports nothing, under several seeds and models),
//! recall (the seed's counter under py311, which prints the full count, and the racy programs
//! of `tests/races/`), the report's text (`tests/races/*.report`, not `*.golden`, which
//! `tests/golden.rs` owns; regenerated with `UPDATE_EXPECT=1`),
//! the exit status, the JSON, the bounded shadow state and replay.

use std::path::{Path, PathBuf};

mod common;
use common::{gilvm, root};

/// The race reports of a run's stderr: every line from the first report up to the summary.
fn reports(stderr: &str) -> String {
    stderr
        .lines()
        .skip_while(|l| !l.starts_with("gilvm: data race"))
        .take_while(|l| !l.starts_with("gilvm: seed"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gilvm-races-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// Programs of `programs/` whose races are the lesson.
const RACY: [&str; 6] = [
    "counter_race.toy",
    "lesson_lost_update.toy",
    "bank_account_race.toy",
    "bank_account_property_race.toy",
    "inventory_synchronized.toy",
    "executor_race.toy",
];

#[test]
fn correctly_synchronised_programs_report_no_race() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("programs"))
        .expect("programs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toy"))
        .filter(|p| !RACY.iter().any(|r| p.ends_with(r)))
        .collect();
    files.sort();
    files.push(root().join("tests/races/ordered_handoffs.toy"));
    assert!(files.len() > 15, "{files:?}");
    for f in &files {
        let file = f.to_str().expect("utf-8 path");
        for (model, seed) in [
            ("any", "1"),
            ("any", "2"),
            ("py311", "1"),
            ("py311", "2"),
            ("py27", "3"),
            ("nogil", "3"),
        ] {
            let out = gilvm(&["run", file, "--seed", seed, "--gil", model, "--races"]);
            assert!(
                out.stderr.contains("gilvm: races: none\n") && out.code != 6,
                "{file} --gil {model} --seed {seed}:\n{out}"
            );
        }
    }
}

#[test]
fn the_seed_counter_races_under_py311_though_it_prints_the_full_count() {
    let out = gilvm(&[
        "run",
        "programs/counter_race.toy",
        "--seed",
        "7",
        "--gil",
        "py311",
        "--races",
    ]);
    assert_eq!(out.stdout, "400000\n", "{out}");
    assert_eq!(out.code, 6, "{out}");
    assert!(out.stderr.contains("gilvm: lost updates: none\n"), "{out}");
    assert!(
        out.stderr.contains("gilvm: races: 1 (on counter)\n"),
        "{out}"
    );
    golden("counter_race.py311.report", &out.stderr);
}

#[test]
fn a_report_names_the_locks_each_side_held() {
    let out = gilvm(&[
        "run",
        "tests/races/one_locked_side.toy",
        "--seed",
        "1",
        "--races",
    ]);
    assert_eq!(out.code, 6, "{out}");
    golden("one_locked_side.report", &reports(&out.stderr));
}

#[test]
fn every_kind_of_location_is_checked() {
    for (file, seeds, located) in [
        (
            "programs/bank_account_race.toy",
            1,
            "self.balance (an attribute)",
        ),
        ("tests/races/check_then_act.toy", 1, "cache (a global)"),
        ("tests/races/list_slot.toy", 1, "slots[0] (a list item)"),
        (
            "tests/races/dict_key.toy",
            1,
            "balances['alice'] (a dict item)",
        ),
        (
            "tests/races/closure_cell.toy",
            1,
            "hits (a closure variable)",
        ),
    ] {
        for model in ["any", "py311", "py39"] {
            let seed = seeds.to_string();
            let out = gilvm(&["run", file, "--seed", &seed, "--gil", model, "--races"]);
            assert_eq!(out.code, 6, "{file} {model}:\n{out}");
            assert!(
                out.stderr
                    .contains(&format!("gilvm: data race on {located}\n")),
                "{file} {model}: {located}\n{out}"
            );
        }
    }
}

#[test]
fn without_races_nothing_changes() {
    let out = gilvm(&[
        "run",
        "programs/counter_race.toy",
        "--seed",
        "7",
        "--gil",
        "py311",
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        !out.stderr.contains("races:") && !out.stderr.contains("data race"),
        "{out}"
    );
}

#[test]
fn worse_endings_keep_their_own_status() {
    let racy_then_raise = temp("raise.toy");
    std::fs::write(
        &racy_then_raise,
        "import threading\nx = 0\ndef f():\n    global x\n    x += 1\n\
         ts = [threading.Thread(target=f) for _ in range(2)]\n\
         for t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nraise ValueError('boom')\n",
    )
    .expect("write");
    let file = racy_then_raise.to_str().expect("utf-8");
    let out = gilvm(&["run", file, "--seed", "1", "--races"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("gilvm: data race on x"), "{out}");
    let out = gilvm(&[
        "run",
        "programs/deadlock_two_locks.toy",
        "--seed",
        "1",
        "--races",
    ]);
    assert_eq!(out.code, 4, "{out}");
}

#[test]
fn the_races_command_focuses_its_summary_and_writes_json() {
    let json = temp("races.json");
    let json_path = json.to_str().expect("utf-8");
    let out = gilvm(&[
        "races",
        "tests/races/dict_key.toy",
        "--seed",
        "1",
        "--races-json",
        json_path,
    ]);
    assert_eq!(out.code, 6, "{out}");
    assert!(!out.stderr.contains("lost updates"), "{out}");
    assert!(
        out.stderr.contains(
            "gilvm: races: 2 (on balances['alice'], balances['bob'])\n\
             gilvm: replay: gilvm run tests/races/dict_key.toy --seed 1 --races\n"
        ),
        "{out}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json written"))
            .expect("valid JSON");
    assert_eq!(doc["races"], 2);
    let first = &doc["reports"][0];
    assert_eq!(first["location"], "balances['alice']");
    assert_eq!(first["kind"], "a dict item");
    assert_eq!(first["access"]["line"], 8);
    assert_eq!(first["previous"]["line"], 8);
    assert_eq!(first["access"]["locks_held"], serde_json::json!([]));
    assert!(first["access"]["instruction"]
        .as_str()
        .is_some_and(|i| i.ends_with("SUBSCR")));
    assert!(first["hint"]
        .as_str()
        .is_some_and(|h| h.contains("with lock:")));
}

#[test]
fn trace_accepts_races() {
    let out = gilvm(&[
        "trace",
        "tests/races/check_then_act.toy",
        "--seed",
        "1",
        "--races",
        "-o",
        temp("trace.txt").to_str().expect("utf-8"),
    ]);
    assert_eq!(out.code, 6, "{out}");
    assert!(out.stderr.contains("gilvm: data race on cache"), "{out}");
}

#[test]
fn a_replay_reports_the_same_races() {
    let schedule = temp("dict.schedule");
    let path = schedule.to_str().expect("utf-8");
    let run = gilvm(&[
        "run",
        "tests/races/dict_key.toy",
        "--seed",
        "3",
        "--races",
        "--record",
        path,
    ]);
    assert_eq!(run.code, 6, "{run}");
    let replay = gilvm(&["replay", path]);
    assert_eq!(replay.code, 6, "{replay}");
    assert!(!reports(&run.stderr).is_empty(), "{run}");
    assert_eq!(reports(&run.stderr), reports(&replay.stderr));
    assert_eq!(run.stdout, replay.stdout);
}

#[test]
fn the_shadow_state_is_bounded() {
    let out = gilvm(&[
        "run",
        "tests/races/many_slots.toy",
        "--seed",
        "1",
        "--races",
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "200000\n", "{out}");
    assert!(
        out.stderr.contains("gilvm: races: none; ")
            && out
                .stderr
                .contains("accesses to locations past the first 131,072 were not checked\n"),
        "{out}"
    );
}

#[test]
fn clocks_that_outgrow_their_budget_stop_the_detector_not_the_run() {
    // 8,000 threads each take one lock: every holder's clock learns of every earlier one,
    // 32 million entries in all, past the detector's budget of 16.8 million.
    let path = temp("many_threads.toy");
    std::fs::write(
        &path,
        "import threading\nlock = threading.Lock()\ndone = 0\n\
         def waiter():\n    global done\n    with lock:\n        done += 1\n\
         ts = [threading.Thread(target=waiter) for _ in range(8000)]\n\
         for t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(done)\n",
    )
    .expect("write");
    let out = gilvm(&[
        "run",
        path.to_str().expect("utf-8"),
        "--seed",
        "1",
        "--races",
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "8000\n", "{out}");
    assert!(
        out.stderr
            .contains("gilvm: races: none; detection stopped at ")
            && out
                .stderr
                .contains(" threads, when their vector clocks outgrew 16,777,216 entries\n"),
        "{out}"
    );
}

/// Compares `actual` with `tests/races/NAME`, or writes it there with `UPDATE_EXPECT=1`.
fn golden(name: &str, actual: &str) {
    let path: &Path = &root().join("tests/races").join(name);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_EXPECT=1 writes it)", path.display()));
    assert_eq!(
        actual,
        expected,
        "{} differs (UPDATE_EXPECT=1 rewrites it)\n--- actual\n{actual}--- expected\n{expected}",
        path.display()
    );
}
