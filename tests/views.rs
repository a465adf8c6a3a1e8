//! Every kind of concurrency bug in every view (issue #17): crashed threads in the run
//! summary, sweep's verdict with a row per kind and `--fail-on`/`--expect-output` exit
//! statuses, and sync objects named by where the program keeps them.

use std::process::Command;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn gilvm(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run gilvm");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn temp_file(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("gilvm-views-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write temp file");
    p.display().to_string()
}

#[test]
fn a_crashed_thread_is_in_the_summary_and_python_s_own_message_is_unchanged() {
    let o = gilvm(&["run", "programs/condition_if_not_while.toy", "--seed", "14"]);
    assert_eq!(
        o.code, 0,
        "CPython exits 0 when a thread dies\n{}",
        o.stderr
    );
    assert!(
        o.stderr.starts_with(
            "Exception in thread Thread-1 (consumer):\nTraceback (most recent call last):\n"
        ),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains(
            "gilvm: crashed threads: 1 — Thread-1 (consumer) died of IndexError: pop from empty list at line 19, in consumer\n"
        ),
        "{}",
        o.stderr
    );
    // A run where no thread dies says nothing about crashes.
    let o = gilvm(&["run", "programs/condition_if_not_while.toy", "--seed", "0"]);
    assert!(!o.stderr.contains("crashed"), "{}", o.stderr);
}

#[test]
fn deadlock_reports_name_locks_by_where_the_program_keeps_them() {
    let o = gilvm(&["run", "programs/bank_transfer_deadlock.toy", "--seed", "0"]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    for needle in [
        "waiting for Lock locks['bob'] (created at programs/bank_transfer_deadlock.toy:10), held by Thread-2 (transfer) since line 14",
        "waiting for Lock locks['alice'] (created at programs/bank_transfer_deadlock.toy:10), held by Thread-1 (transfer) since line 14",
    ] {
        assert!(o.stderr.contains(needle), "lacks {needle:?}\n{}", o.stderr);
    }
    assert!(
        !o.stderr.contains("0x"),
        "no address in a report\n{}",
        o.stderr
    );
}

#[test]
fn attributes_and_locals_name_locks_too() {
    let src = "import threading\n\
class Account:\n    def __init__(self):\n        self.lock = threading.Lock()\n\
account = Account()\n\
def main():\n    cond = threading.Condition()\n    with account.lock:\n        with cond:\n            cond.wait()\n\
main()\n";
    let path = temp_file("attrs.toy", src);
    let o = gilvm(&["run", &path, "--seed", "1"]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("waiting for a notify() on Condition cond (created at"),
        "{}",
        o.stderr
    );
}

#[test]
fn sweep_fails_on_a_deadlock_and_its_verdict_never_says_never_loses_updates() {
    let o = gilvm(&[
        "sweep",
        "programs/bank_transfer_deadlock.toy",
        "--seeds",
        "0..100",
        "--fail-on",
        "deadlock,exception",
    ]);
    assert_eq!(o.code, 7, "{}{}", o.stdout, o.stderr);
    assert!(!o.stdout.contains("never loses updates"), "{}", o.stdout);
    assert!(
        o.stdout.contains("verdict               deadlocks"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains(
            "deadlocks: cycle: Thread-1 (transfer) -> Thread-2 (transfer) -> Thread-1 (transfer)"
        ),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("FAIL (exit status 7): ")
            && o.stdout.contains(" fail --fail-on deadlock,exception; the first: gilvm run programs/bank_transfer_deadlock.toy --seed 0"),
        "{}",
        o.stdout
    );
    // Without --fail-on the same sweep succeeds (it reports, it does not grade).
    let o = gilvm(&[
        "sweep",
        "programs/bank_transfer_deadlock.toy",
        "--seeds",
        "0..20",
    ]);
    assert_eq!(o.code, 0);
}

#[test]
fn sweep_fails_on_a_crashed_thread_and_passes_the_fixed_programs() {
    let o = gilvm(&[
        "sweep",
        "programs/condition_if_not_while.toy",
        "--seeds",
        "0..100",
        "--fail-on",
        "exception",
    ]);
    assert_eq!(o.code, 7, "{}", o.stdout);
    assert!(
        o.stdout
            .contains("a thread crashes: IndexError: pop from empty list at line 19, in consumer"),
        "{}",
        o.stdout
    );
    for fixed in [
        "programs/condition_while_loop.toy",
        "programs/bank_transfer_ordered.toy",
    ] {
        let o = gilvm(&["sweep", fixed, "--seeds", "0..100", "--fail-on", "all"]);
        assert_eq!(o.code, 0, "{fixed}\n{}", o.stdout);
        assert!(
            o.stdout.contains(
                "PASS: no run of 100 fails --fail-on lost,check-then-act,deadlock,exception,limit,output"
            ),
            "{}",
            o.stdout
        );
        assert!(o
            .stdout
            .contains("verdict               never loses updates"));
    }
}

#[test]
fn sweep_expect_output_grades_the_output() {
    let good = temp_file("good.txt", "[0, 1]\n");
    let bad = temp_file("bad.txt", "[1, 0]\n");
    let o = gilvm(&[
        "sweep",
        "programs/condition_while_loop.toy",
        "--seeds",
        "0..30",
        "--expect-output",
        &good,
    ]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    let o = gilvm(&[
        "sweep",
        "programs/condition_while_loop.toy",
        "--seeds",
        "0..30",
        "--expect-output",
        &bad,
        "--json",
    ]);
    assert_eq!(o.code, 7, "{}", o.stdout);
    let j: serde_json::Value = serde_json::from_str(&o.stdout).expect("json");
    assert_eq!(j["failing_runs"], 30);
    assert_eq!(j["fail_on"], serde_json::json!(["output"]));
    let rows = j["models"][0]["verdicts"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["kind"], "output");
    assert_eq!(rows[0]["runs"], 30);
    assert_eq!(
        rows[0]["command"],
        "gilvm run programs/condition_while_loop.toy --seed 0"
    );
}

/// An expected-output file written by hand may lack its last newline or use `\r\n` line ends
/// (an editor on another system): the sweep still grades the output it means, and a real
/// difference still fails.
#[test]
fn expect_output_allows_a_missing_last_newline_and_crlf() {
    for (name, text, code) in [
        ("no_newline.txt", "[0, 1]", 0),
        ("crlf.txt", "[0, 1]\r\n", 0),
        ("extra_line.txt", "[0, 1]\n\n", 7),
        ("other.txt", "[0, 1, 2]", 7),
    ] {
        let f = temp_file(name, text);
        let o = gilvm(&[
            "sweep",
            "programs/condition_while_loop.toy",
            "--seeds",
            "0..10",
            "--expect-output",
            &f,
        ]);
        assert_eq!(o.code, code, "{name}: {}", o.stdout);
        let o = gilvm(&[
            "explore",
            "programs/condition_while_loop.toy",
            "--gil",
            "py311",
            "--expect-output",
            &f,
        ]);
        assert_eq!(
            o.code,
            if code == 0 { 0 } else { 8 },
            "explore {name}: {}",
            o.stdout
        );
    }
}

#[test]
fn sweep_rows_are_never_cut() {
    let o = gilvm(&[
        "sweep",
        "programs/deadlock_two_locks.toy",
        "--seeds",
        "0..3",
    ]);
    assert!(
        o.stdout.contains(
            "deadlocks: cycle: Thread-1 (transfer) -> Thread-2 (audit) -> Thread-1 (transfer); \
             Thread-1 (transfer) holds accounts_lock and waits for audit_lock; \
             Thread-2 (audit) holds audit_lock and waits for accounts_lock\n"
        ),
        "{}",
        o.stdout
    );
    assert!(!o.stdout.contains('…'), "{}", o.stdout);
}

#[test]
fn bad_fail_on_kinds_are_usage_errors() {
    let o = gilvm(&[
        "sweep",
        "programs/counter_locked.toy",
        "--seeds",
        "0..2",
        "--fail-on",
        "lost,typo",
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("--fail-on: unknown kind `typo`; the kinds are lost, check-then-act, deadlock, exception, limit, output (or all)"),
        "{}",
        o.stderr
    );
    let o = gilvm(&[
        "sweep",
        "programs/counter_locked.toy",
        "--seeds",
        "0..2",
        "--expect-output",
        "/nonexistent/file",
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("cannot read --expect-output /nonexistent/file"),
        "{}",
        o.stderr
    );
}

#[test]
fn sweep_fail_on_lost_grades_the_counter() {
    let o = gilvm(&[
        "sweep",
        "programs/counter_race.toy",
        "--seeds",
        "0..3",
        "--fail-on",
        "lost",
    ]);
    assert_eq!(o.code, 7, "{}", o.stdout);
    assert!(
        o.stdout.contains("loses updates on counter"),
        "{}",
        o.stdout
    );
    let o = gilvm(&[
        "sweep",
        "programs/counter_locked.toy",
        "--seeds",
        "0..3",
        "--fail-on",
        "lost,output",
    ]);
    assert_eq!(o.code, 0, "{}", o.stdout);
}

#[test]
fn the_text_trace_ends_a_deadlock_with_the_report_s_words_and_names_the_locks() {
    let o = gilvm(&[
        "trace",
        "programs/bank_transfer_deadlock.toy",
        "--seed",
        "0",
    ]);
    assert_eq!(o.code, 4);
    let run = gilvm(&["run", "programs/bank_transfer_deadlock.toy", "--seed", "0"]);
    // Every line of the deadlock report is in the trace's `!!! DEADLOCK` block.
    assert!(o
        .stdout
        .contains("!!! DEADLOCK: no thread can run, and none is asleep\n"));
    for line in run
        .stderr
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("gilvm: seed"))
    {
        assert!(
            o.stdout.contains(&format!("!!! {line}\n")),
            "trace lacks report line {line:?}\n{}",
            o.stdout
        );
    }
    for needle in [
        "--- T1 acquires locks['alice'] (line 14)",
        "--- T2 acquires locks['bob'] (line 14)",
        "--- T2 blocks at line 16, waiting to acquire Lock locks['alice'] (line 10)",
        "--- T1 blocks at line 16, waiting to acquire Lock locks['bob'] (line 10)",
    ] {
        assert!(o.stdout.contains(needle), "lacks {needle:?}\n{}", o.stdout);
    }
    assert!(
        !o.stdout.contains("_thread.lock object at"),
        "no lock's address in the trace"
    );
    let last = o.stdout.lines().last().unwrap_or("");
    assert!(last.starts_with("# end: exit status 4"), "{last}");
}

#[test]
fn the_text_trace_narrates_a_condition_wake_up_and_the_crash() {
    let o = gilvm(&[
        "trace",
        "programs/condition_if_not_while.toy",
        "--seed",
        "14",
    ]);
    assert_eq!(o.code, 0);
    let story = [
        "--- T1 waits on cond, releasing its lock (line 18)",
        "--- T3 notifies cond (line 27)",
        "--- T1 is notified by T3 on cond: before wait() returns it must take back cond's lock",
        "--- T1 blocks at line 18, waiting to acquire RLock cond's lock (line 12) again: T2 took it first",
        "--- T1 is woken by T2: cond's lock is free again",
        "--- T1 takes back cond's lock: got it when T2 released it (line 18)",
        "!!! EXCEPTION in T1: Thread-1 (consumer) died of IndexError: pop from empty list at line 19, in",
    ];
    let mut at = 0;
    for needle in story {
        let found = o.stdout[at..]
            .find(needle)
            .unwrap_or_else(|| panic!("lacks {needle:?} (in order)\n{}", o.stdout));
        at += found + needle.len();
    }
    // Python's own message stays on stderr, unchanged.
    assert!(o
        .stderr
        .contains("Exception in thread Thread-1 (consumer):\nTraceback (most recent call last):"));
}

#[test]
fn jsonl_traces_carry_sync_crash_and_deadlock_records() {
    let o = gilvm(&[
        "trace",
        "programs/condition_if_not_while.toy",
        "--seed",
        "14",
        "--format",
        "jsonl",
    ]);
    let recs: Vec<serde_json::Value> = o
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let crash = recs
        .iter()
        .find(|r| r["type"] == "crash")
        .expect("a crash record");
    assert_eq!(crash["tid"], 1);
    assert_eq!(crash["kind"], "IndexError");
    assert_eq!(crash["exception"], "IndexError: pop from empty list");
    assert_eq!(crash["line"], 19);
    assert_eq!(crash["function"], "consumer");
    let re = recs
        .iter()
        .find(|r| r["type"] == "sync" && r["op"] == "reacquire")
        .expect("a reacquire record");
    assert_eq!(re["obj"], "cond");
    assert_eq!(re["kind"], "Condition");
    assert_eq!(re["created_line"], 12);
    assert_eq!(re["by"], 2);
    let o = gilvm(&[
        "trace",
        "programs/bank_transfer_deadlock.toy",
        "--seed",
        "0",
        "--format",
        "jsonl",
    ]);
    let recs: Vec<serde_json::Value> = o
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let n = recs.len();
    assert_eq!(recs[n - 1]["type"], "end");
    let d = &recs[n - 2];
    assert_eq!(d["type"], "deadlock");
    assert_eq!(d["cycle"], serde_json::json!([1, 2]));
    assert_eq!(
        d["summary"],
        "cycle: Thread-1 (transfer) -> Thread-2 (transfer) -> Thread-1 (transfer)"
    );
    assert_eq!(d["blocked"][1]["on"], 2);
    let chrome = gilvm(&[
        "trace",
        "programs/bank_transfer_deadlock.toy",
        "--seed",
        "0",
        "--format",
        "chrome",
    ]);
    let j: serde_json::Value = serde_json::from_str(&chrome.stdout).expect("chrome JSON");
    let events = j["traceEvents"].as_array().expect("events");
    assert!(events.iter().any(|e| e["name"] == "DEADLOCK"));
    // A lock held is a span on the thread's lock track (issue #17: spans, not instants).
    assert!(events
        .iter()
        .any(|e| e["name"] == "holds locks['alice']" && e["ph"] == "X" && e["dur"].is_number()));
}

#[test]
fn long_findings_are_printed_whole() {
    // A crash whose message is longer than any column: the row's text is whole, on its line.
    let src = "import threading\n\
def worker():\n    raise ValueError('this message is deliberately much longer than sixty characters, to see it whole')\n\
t = threading.Thread(target=worker)\nt.start()\nt.join()\n";
    let path = temp_file("long.toy", src);
    let o = gilvm(&["sweep", &path, "--seeds", "0..2", "--fail-on", "exception"]);
    assert_eq!(o.code, 7);
    assert!(
        o.stdout.contains("a thread crashes: ValueError: this message is deliberately much longer than sixty characters, to see it whole at line 3, in worker\n"),
        "{}",
        o.stdout
    );
    assert!(!o.stdout.contains('…'), "{}", o.stdout);
}

#[test]
fn a_lock_kept_in_an_attribute_of_a_global_is_named_by_that_path() {
    let src = "import threading\n\
class Account:\n    def __init__(self, name):\n        self.name = name\n        self.lock = threading.Lock()\n\
accounts = {'alice': Account('alice'), 'bob': Account('bob')}\n\
def pay(a, b):\n    with a.lock:\n        with b.lock:\n            pass\n\
t1 = threading.Thread(target=pay, args=(accounts['alice'], accounts['bob']))\n\
t2 = threading.Thread(target=pay, args=(accounts['bob'], accounts['alice']))\n\
t1.start(); t2.start(); t1.join(); t2.join()\n";
    let path = temp_file("accounts.toy", src);
    let deadlocked = (0..200)
        .map(|seed| gilvm(&["run", &path, "--seed", &seed.to_string()]))
        .find(|o| o.code == 4)
        .expect("some seed deadlocks");
    for needle in [
        "Lock accounts['alice'].lock (created at",
        "Lock accounts['bob'].lock (created at",
        "holds accounts['alice'].lock and waits for accounts['bob'].lock",
    ] {
        assert!(
            deadlocked.stderr.contains(needle),
            "lacks {needle:?}\n{}",
            deadlocked.stderr
        );
    }
}
