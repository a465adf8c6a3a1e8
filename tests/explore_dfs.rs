//! `gilvm explore`: what the depth-first search with partial-order reduction finds, proves
//! and shrinks, checked through the binary as a user runs it.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

fn gilvm(args: &[&str], dir: &Path) -> common::Out {
    common::gilvm_in(args, dir)
}

fn program(source: &str) -> PathBuf {
    common::program_dir(source)
}

fn json(args: &[&str], dir: &Path) -> (i32, Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let r = gilvm(&all, dir);
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", r.stdout, r.stderr));
    (r.code, v)
}

fn counter(k: u32) -> String {
    format!(
        "import threading

counter = 0

def work():
    global counter
    for _ in range({k}):
        counter += 1

t1 = threading.Thread(target=work)
t2 = threading.Thread(target=work)
t1.start()
t2.start()
t1.join()
t2.join()
print(counter)
"
    )
}

/// The final values printed, sorted.
fn finals(v: &Value) -> Vec<i64> {
    let mut out: Vec<i64> = v["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .map(|o| {
            o["stdout"]
                .as_str()
                .expect("stdout")
                .trim()
                .parse()
                .expect("a number")
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn executions(v: &Value) -> u64 {
    v["executions"].as_u64().expect("executions")
}

#[test]
fn two_counters_of_three_reach_exactly_two_to_six_within_twice_the_trace_count() {
    let dir = program(&counter(3));
    let (code, v) = json(&["explore", "prog.toy", "--strategy", "dfs"], &dir);
    assert_eq!(code, 8, "a lost update is a failure: {v}");
    assert_eq!(finals(&v), vec![2, 3, 4, 5, 6]);
    assert_eq!(v["complete"], true);
    // 328 Mazurkiewicz traces of the shared accesses: every execution run, pruned ones too,
    // stays within twice that.
    let run = executions(&v) + v["pruned"].as_u64().expect("pruned");
    assert!(
        executions(&v) >= 328 && run <= 2 * 328,
        "{run} executions: {v}"
    );
    let total: u64 = v["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .map(|o| o["count"].as_u64().expect("count"))
        .sum();
    assert_eq!(total, executions(&v));
}

#[test]
fn two_counters_of_two_reach_two_to_four_in_about_34_executions() {
    let dir = program(&counter(2));
    let (_, v) = json(&["explore", "prog.toy"], &dir);
    assert_eq!(finals(&v), vec![2, 3, 4]);
    let run = executions(&v) + v["pruned"].as_u64().expect("pruned");
    assert!(
        executions(&v) >= 34 && run <= 2 * 34,
        "{run} executions: {v}"
    );
}

#[test]
fn under_py311_the_counter_loop_is_proved_to_lose_nothing() {
    let dir = program(&counter(3));
    let r = gilvm(&["explore", "prog.toy", "--gil", "py311"], &dir);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("executions explored: the program cannot fail under this model"),
        "{}",
        r.stdout
    );
    let (_, v) = json(&["explore", "prog.toy", "--gil", "py311"], &dir);
    assert_eq!(finals(&v), vec![6]);
    assert_eq!(v["complete"], true);
    assert!(v["failure"].is_null());
    assert!(v["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .all(|o| o["lost_updates"] == 0));
}

/// Explores, expects a failure of `kind` shrunk to `preemptions`, and replays its schedule to
/// the same failure (exit status `replay_code`, stderr containing `needle`).
fn found_and_shrunk(source: &str, kind: &str, preemptions: u64, replay_code: i32, needle: &str) {
    let dir = program(source);
    let (code, v) = json(&["explore", "prog.toy", "--record", "fail.schedule"], &dir);
    assert_eq!(code, 8, "{v}");
    let f = &v["failure"];
    assert_eq!(f["kind"], kind, "{v}");
    assert_eq!(f["preemptions"].as_u64(), Some(preemptions), "{v}");
    let written = std::fs::read_to_string(dir.join("fail.schedule")).expect("schedule written");
    assert_eq!(f["schedule"].as_str(), Some(written.as_str()));
    let r = gilvm(&["replay", "fail.schedule"], &dir);
    assert_eq!(r.code, replay_code, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains(needle), "{}", r.stderr);
    assert!(!r.stderr.contains("cannot be followed"), "{}", r.stderr);
}

#[test]
fn a_lost_update_shrinks_to_one_preemption_and_replays() {
    found_and_shrunk(&counter(3), "lost-update", 1, 0, "lost updates: counter");
    let dir = program(&counter(3));
    let r = gilvm(&["explore", "prog.toy"], &dir);
    assert!(
        r.stdout.contains("shrunk to 1 preemption and"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("read counter at line 8"), "{}", r.stdout);
}

#[test]
fn a_lock_order_deadlock_is_found_with_one_preemption() {
    let src = "import threading
a = threading.Lock()
b = threading.Lock()
def one():
    with a:
        with b:
            pass
def two():
    with b:
        with a:
            pass
t1 = threading.Thread(target=one)
t2 = threading.Thread(target=two)
t1.start()
t2.start()
t1.join()
t2.join()
print('done')
";
    found_and_shrunk(
        src,
        "deadlock",
        1,
        4,
        "cycle: Thread-1 (one) -> Thread-2 (two)",
    );
}

#[test]
fn a_check_then_act_on_a_dict_is_found_with_one_preemption() {
    let src = "import threading
cache = {}
made = [0]
def get(key):
    if key not in cache:
        made[0] += 1
        cache[key] = 'value'
    return cache[key]
t1 = threading.Thread(target=get, args=('k',))
t2 = threading.Thread(target=get, args=('k',))
t1.start()
t2.start()
t1.join()
t2.join()
assert made[0] == 1, 'made twice'
print('ok')
";
    found_and_shrunk(src, "exception", 1, 1, "AssertionError: made twice");
}

/// A program of `programs/` with its loop counts scaled down to `n`.
fn scaled(name: &str, n: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("programs")
        .join(name);
    let text = std::fs::read_to_string(path).expect("program");
    text.replace("100_000", n).replace("range(4)", "range(2)")
}

#[test]
fn the_locked_counter_explores_completely_with_no_failure() {
    let dir = program(&scaled("counter_locked.toy", "2"));
    let (code, v) = json(&["explore", "prog.toy"], &dir);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["complete"], true, "{v}");
    assert!(v["failure"].is_null());
    assert_eq!(finals(&v), vec![4]);
}

#[test]
fn jobs_and_shards_give_the_same_report() {
    let dir = program(&counter(2));
    let one = gilvm(&["explore", "prog.toy", "--json", "--jobs", "1"], &dir);
    let two = gilvm(&["explore", "prog.toy", "--json", "--jobs", "2"], &dir);
    assert_eq!(one.stdout, two.stdout);
    for strategy in ["dfs", "pct", "random"] {
        let base = [
            "explore",
            "prog.toy",
            "--json",
            "--runs",
            "60",
            "--strategy",
            strategy,
        ];
        let whole = gilvm(&base, &dir);
        let mut paths = Vec::new();
        for i in 0..3 {
            let shard = format!("{i}/3");
            let mut args = base.to_vec();
            args.extend(["--shard", shard.as_str()]);
            let r = gilvm(&args, &dir);
            let p = format!("shard-{strategy}-{i}.json");
            std::fs::write(dir.join(&p), &r.stdout).expect("write");
            paths.push(p);
        }
        let mut args = vec!["merge"];
        args.extend(paths.iter().map(String::as_str));
        let merged = gilvm(&args, &dir);
        assert_eq!(merged.stdout, whole.stdout, "{strategy}: {}", merged.stderr);
        assert_eq!(merged.code, whole.code);
    }
}

#[test]
fn a_spin_loop_is_bounded_and_said_so() {
    let src = "import threading
flag = False
def waiter():
    while not flag:
        pass
def setter():
    global flag
    flag = True
a = threading.Thread(target=waiter)
b = threading.Thread(target=setter)
a.start()
b.start()
a.join()
b.join()
";
    let dir = program(src);
    let r = gilvm(&["explore", "prog.toy", "--max-steps", "5000"], &dir);
    assert_eq!(r.code, 8, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("failure: limit"), "{}", r.stdout);
    assert!(r.stdout.contains("not complete"), "{}", r.stdout);
}

#[test]
fn bad_shards_and_merges_are_usage_errors() {
    let dir = program(&counter(1));
    for s in ["3/3", "a/2", "1", "0/0"] {
        let r = gilvm(&["explore", "prog.toy", "--shard", s], &dir);
        assert_eq!(r.code, 2, "{s}: {}", r.stderr);
        assert!(r.stderr.contains("--shard wants I/N"), "{}", r.stderr);
    }
    let r = gilvm(&["explore", "prog.toy", "--json", "--shard", "0/2"], &dir);
    std::fs::write(dir.join("s0.json"), &r.stdout).expect("write");
    let r = gilvm(&["merge", "s0.json"], &dir);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("shard 1/2 is missing"), "{}", r.stderr);
}

#[test]
fn a_missed_notify_is_found_with_one_preemption() {
    let src = "import threading
cond = threading.Condition()
ready = False
def waiter():
    with cond:
        if not ready:
            cond.wait()
    print('woke')
def signaller():
    global ready
    with cond:
        cond.notify()
    ready = True
t1 = threading.Thread(target=waiter)
t2 = threading.Thread(target=signaller)
t1.start()
t2.start()
t1.join()
t2.join()
";
    found_and_shrunk(src, "deadlock", 1, 4, "waits for a notify()");
}

#[test]
fn sweep_shards_merge_into_the_unsharded_sweep_report() {
    let dir = program(&counter(3));
    let base = [
        "sweep", "prog.toy", "--seeds", "0..40", "--gil", "any", "--gil", "py311", "--json",
    ];
    let whole = gilvm(&base, &dir);
    assert_eq!(whole.code, 0, "{}", whole.stderr);
    let mut paths = Vec::new();
    for i in 0..3 {
        let shard = format!("{i}/3");
        let mut args = base.to_vec();
        args.extend(["--shard", shard.as_str()]);
        let r = gilvm(&args, &dir);
        assert!(r.stdout.contains("\"shard\": \""), "{}", r.stdout);
        let p = format!("sweep-{i}.json");
        std::fs::write(dir.join(&p), &r.stdout).expect("write");
        paths.push(p);
    }
    // In any order.
    let merged = gilvm(&["merge", &paths[2], &paths[0], &paths[1]], &dir);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert_eq!(merged.stdout, whole.stdout);
    let r = gilvm(&["merge", &paths[0], &paths[1]], &dir);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("shard 2/3 is missing"), "{}", r.stderr);
}

/// The verdict rows (deadlocks, crashed threads, outputs), `--fail-on` and the failing runs
/// merge as exactly as the counts: a lesson that deadlocks in some seeds and a crash lesson.
#[test]
fn sweep_shards_merge_verdicts_and_fail_on_exactly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (prog, fail_on) in [
        ("programs/bank_transfer_deadlock.toy", "deadlock,exception"),
        ("programs/condition_if_not_while.toy", "exception,lost"),
    ] {
        let base = [
            "sweep",
            prog,
            "--seeds",
            "0..60",
            "--json",
            "--fail-on",
            fail_on,
        ];
        let whole = gilvm(&base, root);
        let mut paths = Vec::new();
        let tmp = std::env::temp_dir().join(format!("gilvm-merge-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).expect("tmp dir");
        for i in 0..3 {
            let shard = format!("{i}/3");
            let mut args = base.to_vec();
            args.extend(["--shard", shard.as_str()]);
            let r = gilvm(&args, root);
            let p = tmp.join(format!("shard-{i}.json"));
            std::fs::write(&p, &r.stdout).expect("write");
            paths.push(p.to_string_lossy().into_owned());
        }
        let merged = gilvm(&["merge", &paths[1], &paths[2], &paths[0]], root);
        let _ = std::fs::remove_dir_all(&tmp);
        assert_eq!(merged.code, 0, "{prog}: {}", merged.stderr);
        assert_eq!(merged.stdout, whole.stdout, "{prog}");
        assert!(whole.stdout.contains("\"verdicts\""), "{}", whole.stdout);
    }
    // Which run's output is odd depends on the whole sweep: refused for a shard.
    let r = gilvm(
        &[
            "sweep",
            "programs/counter_race.toy",
            "--seeds",
            "0..4",
            "--fail-on",
            "output",
            "--shard",
            "0/2",
        ],
        root,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("needs --expect-output"), "{}", r.stderr);
}
