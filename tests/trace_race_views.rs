//! The trace's views of issue #17 beyond the HTML page: the `!!!` block of the main thread's
//! uncaught exception (same words as the traceback's last line, innermost line of the
//! program), a crashed thread named at its innermost line, and the Chrome trace's lock-held
//! spans.

mod common;

use common::{gilvm, write_program};

const MAIN_RAISES: &str = "x = 1\ndef f():\n    return [][x]\nf()\n";

#[test]
fn the_main_thread_s_uncaught_exception_gets_a_block_in_the_text_trace() {
    let path = write_program(MAIN_RAISES);
    let o = gilvm(&["trace", path.to_str().expect("utf-8"), "--seed", "1"]);
    assert_eq!(o.code, 1, "{o}");
    // The traceback's summary line, and where CPython's traceback ends: line 3, in f.
    assert!(
        o.stderr.contains("IndexError: list index out of range"),
        "{o}"
    );
    assert!(
        o.stdout.contains(
            "!!! EXCEPTION in T0: MainThread died of IndexError: list index out of range at line 3, in f."
        ),
        "{o}"
    );
    assert!(o.stdout.contains("The\n"), "{o}");
    assert!(
        o.stdout.contains(
            "!!!   program ends with exit status 1 (Python prints the traceback on stderr)"
        ),
        "{o}"
    );
    // The block comes before the end line.
    let block = o.stdout.find("!!! EXCEPTION").expect("block");
    let end = o.stdout.find("# end: exit status 1").expect("end");
    assert!(block < end, "{o}");
    // JSON Lines: a `main_exception` record with the same facts.
    let j = gilvm(&[
        "trace",
        path.to_str().expect("utf-8"),
        "--seed",
        "1",
        "--format",
        "jsonl",
    ]);
    let rec = j
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|r| r["type"] == "main_exception")
        .unwrap_or_else(|| panic!("no main_exception record:\n{j}"));
    assert_eq!(rec["kind"], "IndexError");
    assert_eq!(rec["line"], 3);
    assert_eq!(rec["function"], "f");
}

#[test]
fn sys_exit_is_not_an_exception_block() {
    let path = write_program("import sys\nprint('bye')\nsys.exit(3)\n");
    let o = gilvm(&["trace", path.to_str().expect("utf-8"), "--seed", "1"]);
    assert_eq!(o.code, 3, "{o}");
    assert!(!o.stdout.contains("!!! EXCEPTION"), "{o}");
}

#[test]
fn a_crashed_thread_is_named_at_the_innermost_line_like_the_traceback() {
    let src = "import threading\ndef g():\n    return [][0]\ndef w():\n    g()\n\
t = threading.Thread(target=w)\nt.start()\nt.join()\n";
    let path = write_program(src);
    let o = gilvm(&["run", path.to_str().expect("utf-8"), "--seed", "1"]);
    assert!(
        o.stderr.contains(
            "crashed threads: 1 — Thread-1 (w) died of IndexError: list index out of range at line 3, in g"
        ),
        "{o}"
    );
}

#[test]
fn chrome_lock_events_are_held_spans_on_a_lock_track() {
    let o = gilvm(&[
        "trace",
        "programs/bank_transfer_deadlock.toy",
        "--seed",
        "0",
        "--format",
        "chrome",
    ]);
    assert_eq!(o.code, 4, "seed 0 deadlocks: {o}");
    let j: serde_json::Value = serde_json::from_str(&o.stdout).expect("chrome JSON");
    let events = j["traceEvents"].as_array().expect("events");
    let spans: Vec<_> = events.iter().filter(|e| e["cat"] == "lock").collect();
    assert!(!spans.is_empty(), "no lock spans");
    for s in &spans {
        assert_eq!(s["ph"], "X", "{s}");
        assert!(s["dur"].as_f64().is_some_and(|d| d >= 0.0), "{s}");
        assert!(s["tid"].as_u64().is_some_and(|t| t >= 1_000_000), "{s}");
    }
    // The deadlock: each thread still holds its first lock at the end of the run.
    let never: Vec<_> = spans
        .iter()
        .filter(|s| s["args"]["released"] == "never: still held when the run ended")
        .collect();
    assert_eq!(never.len(), 2, "{spans:?}");
    let names: Vec<_> = events
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(names.iter().any(|n| n == "T1 locks held"), "{names:?}");
    // No instant `acquire`/`release` events remain; blocked intervals are spans too.
    assert!(!events.iter().any(|e| e["cat"] == "sync"
        && (e["name"].as_str().unwrap_or("").starts_with("acquire ")
            || e["name"].as_str().unwrap_or("").starts_with("release "))));
    assert!(events.iter().any(|e| e["cat"] == "block" && e["ph"] == "X"));
}
