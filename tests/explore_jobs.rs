//! `gilvm explore --jobs N`, `--shard I/N` and `--max-executions N`: how the work is split
//! (src/explore/split.rs). Any number of workers prints the same report; the shards of a
//! split merge into the unsharded report; the split is balanced; a budget is spent whole.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

fn gilvm(args: &[&str], dir: &Path) -> common::Out {
    common::gilvm_in(args, dir)
}

fn program(source: &str) -> PathBuf {
    common::program_dir(source)
}

const DEADLOCK: &str = "import threading
a = threading.Lock()
b = threading.Lock()
def one():
    with a:
        with b:
            print('one')
def two():
    with b:
        with a:
            print('two')
t1 = threading.Thread(target=one)
t2 = threading.Thread(target=two)
t1.start()
t2.start()
t1.join()
t2.join()
";

const CHECK_THEN_ACT: &str = "import threading
cache = {}
def fill(name):
    if 'k' not in cache:
        cache['k'] = name
        print(name, 'filled')
t1 = threading.Thread(target=fill, args=('a',))
t2 = threading.Thread(target=fill, args=('b',))
t1.start()
t2.start()
t1.join()
t2.join()
print(cache['k'])
";

/// Three threads, three locked increments each: more executions than a search that is not
/// split (1,000), with waiter choices (which waiter a release wakes) on the way.
const LOCKED: &str = "import threading
counter = 0
lock = threading.Lock()
def work():
    global counter
    for _ in range(3):
        with lock:
            counter += 1
ts = [threading.Thread(target=work) for _ in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(counter)
";

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn count(v: &Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no {field}: {v}"))
}

/// `--jobs 1`, `2` and `3` print the same report, text and JSON; returns the JSON one.
fn same_for_any_jobs(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut reports: Vec<(String, common::Out)> = Vec::new();
    for jobs in ["1", "2", "3"] {
        for json in [true, false] {
            if jobs == "3" && !json {
                continue;
            }
            let mut a = vec!["explore", "prog.toy", "--gil", "any", "--jobs", jobs];
            if json {
                a.push("--json");
            }
            a.extend(args);
            reports.push((format!("--jobs {jobs} json={json}"), gilvm(&a, dir)));
        }
    }
    for (name, r) in &reports[2..] {
        let base = if name.ends_with("json=true") {
            &reports[0].1
        } else {
            &reports[1].1
        };
        assert_eq!(
            r.stdout, base.stdout,
            "{name} differs from --jobs 1 ({args:?})"
        );
        assert_eq!(r.code, base.code, "{name}: {}", r.stderr);
    }
    (reports[0].1.code, json(&reports[0].1.stdout))
}

#[test]
fn any_number_of_jobs_prints_the_same_report() {
    // Small searches (run whole) and a split one (counter of 4: 3,334 executions).
    let dir = program(&common::two_thread_counter(3));
    let (code, v) = same_for_any_jobs(&dir, &[]);
    assert_eq!(code, 8, "{v}");
    assert_eq!(count(&v, "executions"), 328, "{v}");

    let dir = program(DEADLOCK);
    let (code, v) = same_for_any_jobs(&dir, &[]);
    assert_eq!(code, 8, "{v}");
    assert_eq!(v["failure"]["kind"], "deadlock", "{v}");

    let dir = program(CHECK_THEN_ACT);
    let (code, v) = same_for_any_jobs(&dir, &["--until", "output"]);
    assert_eq!(code, 8, "{v}");
    assert_eq!(v["complete"], true, "{v}");

    let dir = program(LOCKED);
    let (code, v) = same_for_any_jobs(&dir, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["complete"], true, "{v}");
    // 9! / (3!·3!·3!) = 1,680 orders of the nine critical sections, which the search run whole
    // explores; split into units it runs more: a blocked acquire keeps its touch (so a
    // lock-order deadlock seen only through a blocked attempt is explored), and the split
    // explores every awake thread at a split node after such a step, where the whole search's
    // analysis needs fewer. Every one of them ends with 9 (below), and the count is the same
    // for any `--jobs`.
    assert_eq!(count(&v, "executions"), 2_351, "{v}");
    let outs: Vec<&str> = v["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .map(|o| o["stdout"].as_str().expect("stdout"))
        .collect();
    assert_eq!(outs, ["9\n"], "{v}");

    let dir = program(&common::two_thread_counter(4));
    let (code, v) = same_for_any_jobs(&dir, &[]);
    assert_eq!(code, 8, "{v}");
    assert_eq!(v["complete"], true, "{v}");
    // The split search runs every trace of the unsplit one: the same executions (and so the
    // same outcomes), 3,334 of them.
    assert_eq!(count(&v, "executions"), 3_334, "{v}");
    let mut finals: Vec<u64> = v["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .map(|o| o["stdout"].as_str().expect("s").trim().parse().expect("n"))
        .collect();
    finals.sort();
    assert_eq!(finals, [2, 3, 4, 5, 6, 7, 8], "{v}");
}

fn shards(dir: &Path, args: &[&str], n: usize) -> Vec<(String, Value)> {
    (0..n)
        .map(|i| {
            let shard = format!("{i}/{n}");
            let mut a = vec!["explore", "prog.toy", "--gil", "any", "--json"];
            a.extend(args);
            a.extend(["--shard", shard.as_str()]);
            let r = gilvm(&a, dir);
            let p = format!("shard-{i}-of-{n}.json");
            std::fs::write(dir.join(&p), &r.stdout).expect("write");
            (p, json(&r.stdout))
        })
        .collect()
}

#[test]
fn shards_merge_into_the_unsharded_report_and_share_the_work() {
    for (src, what) in [
        (common::two_thread_counter(3), "small"),
        (common::two_thread_counter(4), "split"),
    ] {
        let dir = program(&src);
        let whole = gilvm(&["explore", "prog.toy", "--gil", "any", "--json"], &dir);
        let total = count(&json(&whole.stdout), "executions");
        for n in [2, 3] {
            let parts = shards(&dir, &[], n);
            let mut args = vec!["merge"];
            args.extend(parts.iter().rev().map(|(p, _)| p.as_str()));
            let merged = gilvm(&args, &dir);
            assert_eq!(
                merged.stdout, whole.stdout,
                "{what}, {n} shards: {}",
                merged.stderr
            );
            assert_eq!(merged.code, whole.code);
            let each: Vec<u64> = parts.iter().map(|(_, v)| count(v, "executions")).collect();
            assert_eq!(each.iter().sum::<u64>(), total);
            if what == "split" {
                // Balanced: no shard does less than half its fair share.
                for e in &each {
                    assert!(
                        *e * 2 * n as u64 >= total,
                        "{n} shards of {total} executions: {each:?}"
                    );
                }
            } else {
                // A small search is run whole by shard 0.
                assert_eq!(each[0], total, "{each:?}");
            }
        }
    }
}

#[test]
fn a_budget_gives_that_many_executions_whatever_the_jobs() {
    let dir = program(&common::two_thread_counter(4));
    // A small search (run whole), a split one, a bounded one.
    for args in [
        ["--max-executions", "500", "--until", "exception"].as_slice(),
        &["--max-executions", "3000", "--until", "exception"],
        &[
            "--max-executions",
            "50",
            "--until",
            "exception",
            "--preemption-bound",
            "2",
        ],
    ] {
        let (code, v) = same_for_any_jobs(&dir, args);
        assert_eq!(
            count(&v, "executions"),
            args[1].parse::<u64>().expect("n"),
            "{v}"
        );
        assert_eq!(v["budget_exhausted"], true, "{v}");
        assert_eq!(v["complete"], false, "{v}");
        assert_eq!(code, 9, "nothing failed, not finished: {v}");
    }
    // A budget that the whole search fits in is not exhausted. (One of exactly 3,334 is: the
    // search would go on with executions cut short, which might have found more.)
    let (code, v) = same_for_any_jobs(&dir, &["--max-executions", "4000", "--until", "exception"]);
    assert_eq!(count(&v, "executions"), 3_334, "{v}");
    assert_eq!(v["budget_exhausted"], false, "{v}");
    assert_eq!(v["complete"], true, "{v}");
    assert_eq!(code, 0, "{v}");
}

#[test]
fn first_stops_at_the_same_failure_whatever_the_jobs() {
    let dir = program(&common::two_thread_counter(4));
    // No deadlock: the whole split search, then nothing to stop at.
    let (code, v) = same_for_any_jobs(&dir, &["--first", "--until", "deadlock"]);
    assert_eq!(code, 0, "no deadlock: {v}");
    let (code, v) = same_for_any_jobs(&dir, &["--first"]);
    assert_eq!(code, 8, "{v}");
    assert_eq!(v["failure"]["preemptions"], 1, "{v}");
    assert!(count(&v, "executions") < 3_334, "{v}");
}

#[test]
fn sampled_strategies_print_the_same_report_for_any_jobs() {
    let dir = program(&common::two_thread_counter(3));
    for strategy in ["pct", "random"] {
        let (_, v) = same_for_any_jobs(&dir, &["--strategy", strategy, "--runs", "700"]);
        assert_eq!(count(&v, "executions"), 700, "{v}");
        let (_, v) = same_for_any_jobs(&dir, &["--strategy", strategy, "--runs", "700", "--first"]);
        assert!(count(&v, "executions") < 700, "{strategy}: {v}");
    }
}
