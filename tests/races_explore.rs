//! `--races` beyond `run`: in `explore` (every execution checked, each race reported once,
//! `race` a failure kind, the JSON and a merge of shards), inline in the text trace (the line
//! of the access that completes a race says so and names the earlier one), and method calls
//! on shared attributes (`LOAD_METHOD` is a read, as `LOAD_ATTR` is).

mod common;
use common::gilvm;

const SMALL: &str = "tests/races/explore_counter.toy";

fn temp(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("gilvm-races-explore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name).to_str().expect("utf-8").to_string()
}

#[test]
fn explore_reports_each_race_once_and_fails_with_it() {
    let out = gilvm(&["explore", "--races", SMALL]);
    assert_eq!(out.code, 8, "a race is a failure: exit 8\n{out}");
    let s = &out.stdout;
    // Every execution races on `counter`; the report says so once, and never of `locked`.
    assert_eq!(s.matches("gilvm: data race on").count(), 1, "{out}");
    assert!(
        s.contains("races: 1 (on counter), each reported once:"),
        "{out}"
    );
    assert!(
        s.contains("explore_counter.toy:13, in work: LOAD_GLOBAL 2 (counter)"),
        "{out}"
    );
    assert!(
        s.contains("explore_counter.toy:13, in work: STORE_GLOBAL 1 (counter)"),
        "{out}"
    );
    assert!(!s.contains("on locked"), "{out}");
    let execs = s
        .lines()
        .find_map(|l| l.strip_prefix("executions: "))
        .and_then(|l| l.split_whitespace().next())
        .expect("executions line")
        .to_string();
    assert!(
        s.contains(&format!("found in {execs} of {execs} executions")),
        "{out}"
    );
    assert!(s.contains("failure: race ("), "{out}");
    assert!(
        s.contains("then: data race on counter: Thread-"),
        "the shrunk story ends with the race\n{out}"
    );
    // Without the detector, nothing of the kind (and the default kinds are unchanged).
    let plain = gilvm(&["explore", SMALL]);
    assert!(!plain.stdout.contains("data race"), "{plain}");
    assert!(!plain.stdout.contains("races:"), "{plain}");
    assert!(plain.stdout.contains("failure: lost-update"), "{plain}");
}

#[test]
fn until_chooses_whether_a_race_fails_the_exploration() {
    // `--until race` turns the detector on by itself.
    let out = gilvm(&["explore", "--until", "race", SMALL]);
    assert_eq!(out.code, 8, "{out}");
    assert!(out.stdout.contains("failure: race"), "{out}");
    // With other kinds only, races are still reported but fail nothing.
    let out = gilvm(&["explore", "--races", "--until", "deadlock", SMALL]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("races: 1 (on counter)"), "{out}");
    assert!(out.stdout.contains("no failure (deadlock)"), "{out}");
    // A lock-correct program: no race in any execution.
    let ok = gilvm(&["explore", "--races", "tests/races/explore_locked.toy"]);
    assert_eq!(ok.code, 0, "{ok}");
    assert!(
        ok.stdout.contains("races: none in ")
            && ok
                .stdout
                .contains("the program cannot fail under this model"),
        "a locked counter races nowhere\n{ok}"
    );
    let bad = gilvm(&["explore", "--until", "races", SMALL]);
    assert_eq!(bad.code, 2, "{bad}");
    assert!(
        bad.stderr
            .contains("exception, deadlock, limit, lost-update, race, output"),
        "{bad}"
    );
}

#[test]
fn explore_json_lists_races_and_shards_merge_to_the_whole() {
    let whole = gilvm(&["explore", "--races", "--json", "-j", "1", SMALL]);
    assert_eq!(whole.code, 8, "{whole}");
    let v: serde_json::Value = serde_json::from_str(&whole.stdout).expect("json");
    // The new field comes last: the schema's order is otherwise unchanged.
    let at = |k: &str| whole.stdout.find(&format!("\n  \"{k}\":"));
    assert!(at("pct") < at("races") && at("races").is_some(), "{whole}");
    assert!(
        whole.stdout.trim_end().ends_with("]\n}") || whole.stdout.trim_end().ends_with('}'),
        "{whole}"
    );
    let races = v["races"].as_array().expect("races");
    assert_eq!(races.len(), 1, "{whole}");
    let r = &races[0];
    assert_eq!(r["executions"], v["executions"], "{whole}");
    assert_eq!(r["report"]["location"], "counter");
    assert_eq!(r["report"]["access"]["line"], 13);
    assert_eq!(r["report"]["previous"]["access"], "write");
    assert!(v["until"]
        .as_array()
        .expect("until")
        .contains(&"race".into()));
    // Without --races there is no "races" key at all (reports as before).
    let plain = gilvm(&["explore", "--json", SMALL]);
    let p: serde_json::Value = serde_json::from_str(&plain.stdout).expect("json");
    assert!(p.get("races").is_none(), "{plain}");
    // Shards merge into the unsharded report, races included, byte for byte.
    let mut paths = Vec::new();
    for i in 0..2 {
        let shard = format!("{i}/2");
        let o = gilvm(&["explore", "--races", "--json", "--shard", &shard, SMALL]);
        let path = temp(&format!("shard{i}.json"));
        std::fs::write(&path, &o.stdout).expect("write shard");
        paths.push(path);
    }
    let mut args = vec!["merge"];
    args.extend(paths.iter().map(String::as_str));
    let merged = gilvm(&args);
    assert_eq!(merged.stdout, whole.stdout, "{merged}");
}

#[test]
fn the_text_trace_marks_the_access_that_completes_a_race() {
    let out = gilvm(&["trace", "--races", "--gil", "py311", "--seed", "1", SMALL]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let marks: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("!!! RACE:"))
        .collect();
    // One race (one pair of lines), so one marker, under the access that found it.
    assert_eq!(marks.len(), 1, "{}", out.stdout.len());
    let i = marks[0];
    assert!(
        lines[i].contains("data race on counter with T")
            && lines[i].contains(" at line 13 (nothing orders the two accesses)"),
        "{}",
        lines[i]
    );
    assert!(
        lines[i - 1].contains("(counter)")
            && (lines[i - 1].contains("LOAD_GLOBAL") || lines[i - 1].contains("STORE_GLOBAL")),
        "the marker follows the access: {}",
        lines[i - 1]
    );
    // The earlier access the marker names is another thread's.
    let thread = lines[i - 1].split_whitespace().nth(1).expect("thread");
    assert!(
        !lines[i].contains(&format!("with {thread}'s")),
        "{}",
        lines[i]
    );
    // The report at the end is still there.
    assert!(
        out.stderr.contains("gilvm: data race on counter"),
        "{}",
        out.stderr
    );
    // JSONL: one `race` record, right after the access's `instr` record.
    let jsonl = gilvm(&[
        "trace", "--races", "--format", "jsonl", "--gil", "py311", "--seed", "1", SMALL,
    ]);
    let recs: Vec<serde_json::Value> = jsonl
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let at: Vec<usize> = (0..recs.len())
        .filter(|&i| recs[i]["type"] == "race")
        .collect();
    assert_eq!(at.len(), 1, "{}", jsonl.stderr);
    let (r, before) = (&recs[at[0]], &recs[at[0] - 1]);
    assert_eq!(r["var"], "counter");
    assert_eq!(r["line"], 13);
    assert_eq!(r["other_line"], 13);
    assert_ne!(r["tid"], r["other_tid"]);
    assert_eq!(before["type"], "instr");
    assert_eq!(before["tid"], r["tid"]);
    assert_eq!(before["step"], r["step"]);
}

#[test]
fn a_method_call_reads_the_attribute_it_calls() {
    for (model, seed) in [("any", "1"), ("py311", "1"), ("py27", "2"), ("nogil", "3")] {
        let out = gilvm(&[
            "run",
            "tests/races/method_attr.toy",
            "--races",
            "--gil",
            model,
            "--seed",
            seed,
        ]);
        assert_eq!(out.code, 6, "{model} {seed}\n{out}");
        assert!(
            out.stderr.contains("LOAD_METHOD 0 (handler)")
                && out.stderr.contains("STORE_ATTR 2 (handler)"),
            "{model} {seed}\n{out}"
        );
        assert!(
            out.stderr.contains("data race on self.handler")
                || out.stderr.contains("data race on w.handler"),
            "{model} {seed}\n{out}"
        );
    }
}
