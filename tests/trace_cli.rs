//! `gilvm trace` end to end: a traced run is the same run as `gilvm run`, the JSON forms
//! parse and follow docs/trace-schema.md, a closed pipe ends the trace quietly, and a new
//! user sees a lost update explained on the first screen.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn gilvm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("gilvm runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Same seed and options ⇒ same stdout, same lost updates, same exit status, traced or not.
#[test]
fn a_traced_run_is_the_same_run() {
    let mut cases: Vec<(&str, String, &str, &str)> = Vec::new();
    for seed in 1..=6 {
        cases.push(("tests/trace/race_small.toy", seed.to_string(), "4", "any"));
        cases.push(("tests/trace/lock_sleep.toy", seed.to_string(), "3", "any"));
        cases.push(("tests/trace/race_small.toy", seed.to_string(), "5", "py27"));
        cases.push((
            "tests/trace/race_small.toy",
            seed.to_string(),
            "50ns",
            "py39",
        ));
        cases.push((
            "tests/trace/race_small.toy",
            seed.to_string(),
            "50ns",
            "py311",
        ));
        cases.push(("tests/trace/race_small.toy", seed.to_string(), "1", "nogil"));
        // Locks wake their waiters at a turn's end and send back a waiter that lost the race:
        // the same under every model, traced or not.
        for (si, gil) in [
            ("2", "py27"),
            ("40ns", "py39"),
            ("40ns", "py311"),
            ("1", "nogil"),
        ] {
            cases.push(("tests/trace/lock_sleep.toy", seed.to_string(), si, gil));
        }
        // py27/py39 wake a lock's waiter with a timer armed mid-turn (`Vm::slice_cap`).
        for (si, gil) in [
            ("5", "py27"),
            ("3us", "py39"),
            ("20us", "py39"),
            ("3us", "py311"),
        ] {
            cases.push(("tests/trace/lock_loop.toy", seed.to_string(), si, gil));
        }
    }
    for file in [
        "programs/condition_bounded_buffer.toy",
        "programs/semaphore_connections.toy",
        "programs/event_start_shutdown.toy",
        "programs/queue_producer_consumer.toy",
        "programs/lock_recursion_deadlock.toy",
    ] {
        cases.push((file, "2".into(), "7", "any"));
    }
    cases.push(("programs/counter_race.toy", "7".into(), "100", "any"));
    for (file, seed, si, gil) in &cases {
        let common = ["--seed", seed, "--switch-interval", si, "--gil", gil];
        let run = gilvm(&[&["run", file][..], &common].concat());
        // The long program once per model; the small ones in both writers.
        let formats: &[&str] = if file.starts_with("programs/") {
            &["jsonl"]
        } else {
            &["text", "jsonl"]
        };
        for format in formats {
            let trace = gilvm(
                &[
                    &["trace", file][..],
                    &common,
                    &["--format", format, "-o", "/dev/null"],
                ]
                .concat(),
            );
            let what = format!(
                "{file} --seed {seed} --switch-interval {si} --gil {gil} --format {format}"
            );
            assert_eq!(
                text(&run.stdout),
                text(&trace.stdout),
                "stdout of {what} (its stderr: {})",
                text(&trace.stderr)
            );
            assert_eq!(text(&run.stderr), text(&trace.stderr), "stderr of {what}");
            assert_eq!(run.status.code(), trace.status.code(), "status of {what}");
        }
    }
}

/// The tables of docs/trace-schema.md: record type → field → allowed JSON types.
fn schema() -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/trace-schema.md"))
            .expect("docs/trace-schema.md");
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        if let Some(rest) = line.strip_prefix("### `") {
            let name = rest.trim_end_matches('`').to_string();
            out.insert(name.clone(), BTreeMap::new());
            current = Some(name);
        } else if let (Some(cur), Some(row)) = (&current, line.strip_prefix("| `")) {
            let cells: Vec<&str> = row.split(" | ").collect();
            let field = cells[0].trim_end_matches('`').to_string();
            let types = cells[1]
                .split(" or ")
                .map(|t| t.trim().to_string())
                .collect();
            out.get_mut(cur).expect("section").insert(field, types);
        }
    }
    out
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn check_jsonl(args: &[&str]) -> Vec<Value> {
    let schema = schema();
    let out = gilvm(args);
    assert!(
        out.status.success(),
        "gilvm {args:?} failed: {}",
        text(&out.stderr)
    );
    let mut records = Vec::new();
    for (i, line) in text(&out.stdout).lines().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| {
            panic!("line {} of gilvm {args:?} is not JSON ({e}): {line}", i + 1)
        });
        let obj = v.as_object().expect("each line is an object");
        let ty = obj["type"].as_str().expect("type is a string");
        let fields = schema
            .get(ty)
            .unwrap_or_else(|| panic!("record type `{ty}` is not documented: {line}"));
        for (k, val) in obj {
            if k == "type" {
                continue;
            }
            let allowed = fields
                .get(k)
                .unwrap_or_else(|| panic!("field `{k}` of `{ty}` is not documented: {line}"));
            let got = json_type(val);
            assert!(
                allowed.iter().any(|a| a == got),
                "field `{k}` of `{ty}` is {got}, the schema says {allowed:?}: {line}"
            );
        }
        for k in fields.keys() {
            assert!(
                obj.contains_key(k),
                "`{ty}` lacks documented field `{k}`: {line}"
            );
        }
        records.push(v);
    }
    assert_eq!(records[0]["type"], "header");
    assert_eq!(records[0]["v"], 1);
    assert_eq!(records.last().expect("records")["type"], "end");
    records
}

#[test]
fn json_lines_follow_the_documented_schema() {
    let recs = check_jsonl(&[
        "trace",
        "tests/trace/race_small.toy",
        "--seed",
        "3",
        "--switch-interval",
        "4",
        "--format",
        "jsonl",
    ]);
    let count = |t: &str| recs.iter().filter(|r| r["type"] == t).count();
    assert_eq!(count("lost"), 2);
    assert!(count("instr") > 100);
    assert!(count("gil") > 10 && count("turn") > 10 && count("print") == 1);
    let lost = recs
        .iter()
        .find(|r| r["type"] == "lost")
        .expect("a lost update");
    assert_eq!(lost["read_value"], "0");
    assert_eq!(lost["stored_value"], "1");
    check_jsonl(&[
        "trace",
        "tests/trace/lock_sleep.toy",
        "--seed",
        "1",
        "--switch-interval",
        "4",
        "--format",
        "jsonl",
        "--var",
        "counter",
        "--thread",
        "T1",
        "--lines",
        "10-20",
    ]);
    check_jsonl(&[
        "trace",
        "programs/counter_race.toy",
        "--seed",
        "7",
        "--format",
        "jsonl",
        "--limit",
        "500",
    ]);
}

#[test]
fn chrome_trace_is_valid_trace_event_json() {
    let out = gilvm(&[
        "trace",
        "tests/trace/race_small.toy",
        "--seed",
        "3",
        "--switch-interval",
        "4",
        "--format",
        "chrome",
    ]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let events = v["traceEvents"].as_array().expect("traceEvents");
    let mut gil_slices = 0;
    let mut lost = 0;
    for e in events {
        let ph = e["ph"].as_str().expect("ph");
        assert!(e["name"].is_string() && e["pid"].is_u64(), "{e}");
        match ph {
            "M" => assert!(e["args"]["name"].is_string() || e["args"]["sort_index"].is_u64()),
            "X" => {
                assert!(
                    e["ts"].as_f64().expect("ts") >= 0.0 && e["dur"].as_f64().expect("dur") >= 0.0
                );
                assert!(e["tid"].is_u64());
                if e["tid"] == 0 {
                    gil_slices += 1;
                }
            }
            "i" => {
                assert!(e["ts"].is_number() && e["s"].is_string(), "{e}");
                if e["cat"] == "lost" {
                    lost += 1;
                    assert!(e["args"]["explanation"].is_string());
                }
            }
            other => panic!("unexpected phase {other}: {e}"),
        }
    }
    assert!(gil_slices > 10, "a GIL track with slices");
    assert_eq!(lost, 2);
}

/// `gilvm trace … | head` must end quietly, not panic on the closed pipe.
#[test]
fn a_closed_pipe_ends_the_trace_quietly() {
    for format in ["text", "jsonl", "chrome", "html"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gilvm"))
            .args([
                "trace",
                "programs/counter_race.toy",
                "--seed",
                "7",
                "--format",
                format,
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        for _ in 0..5 {
            line.clear();
            reader.read_line(&mut line).expect("read");
        }
        drop(reader);
        let out = child.wait_with_output().expect("wait");
        let err = text(&out.stderr);
        assert!(!err.contains("panicked"), "{format}: {err}");
        assert_eq!(out.status.code(), Some(0), "{format}: {err}");
    }
}

/// The first screen of the README's command explains a lost update.
#[test]
fn the_first_screen_explains_a_lost_update() {
    let out = gilvm(&[
        "trace",
        "programs/counter_race.toy",
        "--seed",
        "7",
        "--var",
        "counter",
    ]);
    let first: Vec<String> = text(&out.stdout)
        .lines()
        .take(40)
        .map(String::from)
        .collect();
    let screen = first.join("\n");
    assert!(
        screen.contains("LOST UPDATE #1")
            && screen.contains("Thread-2 (increment) read")
            && screen.contains("stored counter = 26"),
        "{screen}"
    );
}

/// A recorded schedule traces as the run it recorded, under every model, whatever the units
/// of its switch interval (py39/py311 record nanoseconds): same stdout, same messages, same
/// exit status; and `replay` of it is that run too.
#[test]
fn a_recorded_schedule_traces_and_replays_as_its_run() {
    let dir = std::env::temp_dir().join(format!("gilvm-trace-sched-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sched = dir.join("run.schedule");
    let sched = sched.to_str().unwrap();
    let trace = dir.join("run.trace");
    let trace = trace.to_str().unwrap();
    let summary = |err: &str| -> String {
        // Each command names the file it wrote (checked below); the rest is the same.
        err.lines()
            .filter(|l| !l.contains("replay") && !l.starts_with("gilvm: wrote "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for prog in ["tests/trace/lock_sleep.toy", "tests/trace/race_small.toy"] {
        for gil in ["any", "py27", "py39", "py311", "nogil"] {
            let run = gilvm(&["run", prog, "--seed", "3", "--gil", gil, "--record", sched]);
            let traced = gilvm(&["trace", prog, "--schedule", sched, "-o", trace]);
            let again = gilvm(&["replay", sched]);
            assert!(
                text(&run.stderr).contains(&format!("gilvm: wrote {sched} (")),
                "{}",
                text(&run.stderr)
            );
            assert!(
                text(&traced.stderr).contains(&format!("gilvm: wrote {trace} (")),
                "{}",
                text(&traced.stderr)
            );
            for other in [&traced, &again] {
                assert_eq!(
                    (
                        run.status.code(),
                        text(&run.stdout),
                        summary(&text(&run.stderr))
                    ),
                    (
                        other.status.code(),
                        text(&other.stdout),
                        summary(&text(&other.stderr))
                    ),
                    "{prog} --gil {gil}"
                );
            }
        }
    }
}
