//! What a learner needs to read in a trace: the result of a comparison, `in` or `is`, where a
//! conditional jump went, the key of a subscript store, and a warning when `--var` or
//! `--thread` matches nothing.

mod common;
use common::gilvm;

/// The trace lines of any thread on source line `line`, with the instruction and what it did.
fn lines_of(trace: &str, line: u32) -> Vec<String> {
    trace
        .lines()
        .filter(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            w.len() > 3 && w[1].starts_with('T') && w[2] == line.to_string()
        })
        .map(|l| l.split_whitespace().skip(3).collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn a_check_shows_its_result_and_the_branch_it_took() {
    let out = gilvm(&["trace", "programs/check_then_act/cache.toy", "--seed", "1"]);
    assert_eq!(out.code, 0, "{out}");
    let check = lines_of(&out.stdout, 14);
    // `if key not in cache:` — a first lookup: the key is missing, the body runs.
    assert!(
        check
            .iter()
            .any(|l| l.contains("CONTAINS_OP 1") && l.ends_with("-> True")),
        "{check:#?}"
    );
    assert!(
        check
            .iter()
            .any(|l| l.contains("POP_JUMP_FORWARD_IF_FALSE") && l.ends_with("branch: no jump")),
        "{check:#?}"
    );
    // Under seed 2 one lookup finds its key: the jump skips the body, to line 20
    // (`return cache[key]`).
    let out = gilvm(&["trace", "programs/check_then_act/cache.toy", "--seed", "2"]);
    let check = lines_of(&out.stdout, 14);
    assert!(
        check
            .iter()
            .any(|l| l.contains("CONTAINS_OP 1") && l.ends_with("-> False")),
        "{check:#?}"
    );
    assert!(
        check
            .iter()
            .any(|l| l.contains("POP_JUMP_FORWARD_IF_FALSE")
                && l.ends_with("branch: jump to line 20")),
        "{check:#?}"
    );
    // A comparison: `for _ in range(20)` has none, the tickets' `len(tickets) > 0` has one.
    let out = gilvm(&[
        "trace",
        "programs/check_then_act/tickets_fixed.toy",
        "--seed",
        "1",
    ]);
    let cmp = lines_of(&out.stdout, 13);
    assert!(
        cmp.iter()
            .any(|l| l.contains("COMPARE_OP 4 (>)") && l.ends_with("-> True")),
        "{cmp:#?}"
    );
}

#[test]
fn a_subscript_store_shows_its_key() {
    let out = gilvm(&["trace", "programs/check_then_act/cache.toy", "--seed", "1"]);
    let store = lines_of(&out.stdout, 19);
    assert!(
        store
            .iter()
            .any(|l| l.contains("STORE_SUBSCR") && l.ends_with("write cache[0] = 0")),
        "{store:#?}"
    );
    assert!(
        store
            .iter()
            .any(|l| l.contains("STORE_SUBSCR") && l.ends_with("write cache[1] = 20")),
        "{store:#?}"
    );
    // In JSON Lines, the access names the item.
    let out = gilvm(&[
        "trace",
        "programs/check_then_act/cache.toy",
        "--seed",
        "1",
        "--format",
        "jsonl",
    ]);
    assert!(
        out.stdout
            .contains(r#""access":{"kind":"store","var":"cache[1]","value":"20"}"#),
        "{}",
        out.stdout
            .lines()
            .filter(|l| l.contains("STORE_SUBSCR"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        out.stdout
            .contains(r#""access":{"kind":"result","var":"","value":"True"}"#),
        "no comparison result in the JSON Lines trace"
    );
}

#[test]
fn filters_that_match_nothing_are_warned_about() {
    let out = gilvm(&[
        "trace",
        "programs/lesson_lost_update.toy",
        "--seed",
        "1",
        "--var",
        "countr",
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stderr.contains(
            "warning: --var countr matches no variable of programs/lesson_lost_update.toy"
        ),
        "{out}"
    );
    let out = gilvm(&[
        "trace",
        "programs/lesson_lost_update.toy",
        "--seed",
        "1",
        "--thread",
        "Thread-7",
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stderr.contains(
            "warning: --thread Thread-7 matches no thread of the run (it had: T0 MainThread, T1 Thread-1 (increment), T2 Thread-2 (increment))"
        ),
        "{out}"
    );
    // Filters that match say nothing.
    let out = gilvm(&[
        "trace",
        "programs/lesson_lost_update.toy",
        "--seed",
        "1",
        "--var",
        "counter",
        "--thread",
        "Thread-1",
    ]);
    assert!(!out.stderr.contains("warning"), "{out}");
}
