//! `gilvm explore` with timers (`threading.Timer`, timeouts): a timer's firing on the virtual
//! clock is ordered by the search like any other choice, so everything `sweep` can see, a
//! complete exploration has seen too.

use std::collections::BTreeSet;

use serde_json::Value;

mod common;

/// A timer whose deadline falls while the main thread is in its loop: whether it fires before,
/// between or after the loop's increments depends on how far the threads got, which depends
/// on the schedule.
const TIMER: &str = "import threading

counter = 0


def bump():
    global counter
    counter += 10


t = threading.Timer(0.00000008, bump)
t.start()
for _ in range(4):
    counter += 1
t.join()
print(counter)
";

fn json(out: &common::Out) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
}

fn explore_outcomes(path: &str, gil: &str) -> (bool, BTreeSet<String>) {
    let out = common::gilvm(&[
        "explore",
        path,
        "--gil",
        gil,
        "--json",
        "--until",
        "exception",
        "--jobs",
        "2",
    ]);
    assert_eq!(out.code, 0, "{out}");
    let r = json(&out);
    let set = r["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .map(|o| o["stdout"].as_str().expect("stdout").to_string())
        .collect();
    (r["complete"] == Value::Bool(true), set)
}

fn sweep_outcomes(path: &str, gil: &str, seeds: &str) -> BTreeSet<String> {
    let out = common::gilvm(&["sweep", path, "--gil", gil, "--seeds", seeds, "--json"]);
    assert_eq!(out.code, 0, "{out}");
    let r = json(&out);
    r["models"][0]["stdout"]
        .as_array()
        .expect("stdout list")
        .iter()
        .map(|o| o["stdout"].as_str().expect("stdout").to_string())
        .collect()
}

#[test]
fn a_timer_firing_is_a_choice_explore_sees_every_outcome_sweep_does() {
    let path = common::write_program(TIMER);
    let path = path.to_str().expect("utf-8 path");
    for gil in ["any", "py39", "py311"] {
        let (complete, explored) = explore_outcomes(path, gil);
        assert!(complete, "{gil}: the exploration should finish");
        let swept = sweep_outcomes(path, gil, "0..1500");
        assert!(
            swept.is_subset(&explored),
            "{gil}: sweep saw {swept:?}, a complete exploration only {explored:?}"
        );
        // Nothing impossible: the timer's 10 and the loop's 4, less what a race erases.
        for s in &explored {
            let v: i64 = s.trim().parse().expect("a number");
            assert!((4..=14).contains(&v), "{gil}: {v} is not reachable");
        }
    }
    // Under `any` the timer may fire in the middle of the loop and its update be lost to a
    // stale store of the main thread (4), or erase some of the loop's (11–13): the search finds
    // these although it never chooses *when* the timer fires, only what runs around it.
    let (_, any) = explore_outcomes(path, "any");
    for v in ["4\n", "12\n", "13\n", "14\n"] {
        assert!(any.contains(v), "any: {v:?} missing from {any:?}");
    }
    // Under py311 the loop's `counter += 1` has no switch point inside: nothing is lost.
    let (_, py311) = explore_outcomes(path, "py311");
    assert_eq!(py311, BTreeSet::from(["14\n".to_string()]));
}

#[test]
fn a_timer_that_fires_after_everything_has_one_outcome() {
    // The timer fires long after the main thread is done: whatever runs around its wait, one
    // outcome.
    let src = TIMER.replace("0.00000008", "0.5");
    let path = common::write_program(&src);
    let path = path.to_str().expect("utf-8 path");
    let (complete, explored) = explore_outcomes(path, "any");
    assert!(complete);
    assert_eq!(explored, BTreeSet::from(["14\n".to_string()]));
}
