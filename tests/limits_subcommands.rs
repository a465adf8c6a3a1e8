//! `--max-steps` bounds every command that runs a program as it bounds `run`: `run`, `trace`
//! (text, jsonl, chrome, html), `replay` and `sweep`, each with a program that never ends and
//! one whose output grows without bound. The status is 5 and the message is `run`'s; what a
//! command keeps of the output in memory is bounded too (a structured trace after it stops,
//! each run of a sweep).

use std::process::{Command, Output};

mod common;

/// Never ends, and never prints.
const SPIN: &str = "while True:\n    pass\n";

/// Never ends, and prints 1,001 bytes per iteration (five instructions).
const GROW: &str = "s = 'x' * 1000\nwhile True:\n    print(s)\n";

fn gilvm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("gilvm runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The program in a fresh file.
fn file(src: &str) -> String {
    common::write_program(src)
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

fn stop_message(steps: u64) -> String {
    format!(
        "gilvm: stopped after {steps} instructions (--max-steps); the program may be in an infinite loop\n  MainThread (runnable): line "
    )
}

#[test]
fn run_stops_both_programs_at_max_steps() {
    for (src, line) in [(SPIN, 1), (GROW, 3)] {
        let f = file(src);
        let out = gilvm(&["run", &f, "--seed", "1", "--max-steps", "20000"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{err}");
        assert!(
            err.starts_with(&format!("{}{line} in <module>\n", stop_message(20000))),
            "{err}"
        );
        if src == GROW {
            // 20,000 instructions, five per print.
            let prints = out.stdout.iter().filter(|&&b| b == b'\n').count();
            assert_eq!(prints, 3999);
            assert_eq!(out.stdout.len(), prints * 1001);
        }
    }
}

#[test]
fn trace_stops_both_programs_at_max_steps_in_every_format() {
    for src in [SPIN, GROW] {
        let f = file(src);
        let run = gilvm(&["run", &f, "--seed", "1", "--max-steps", "20000"]);
        for format in ["text", "jsonl", "chrome", "html"] {
            // The trace on stdout (the program's output inside it), and to a file.
            for to_file in [false, true] {
                let mut args = vec![
                    "trace",
                    &f,
                    "--seed",
                    "1",
                    "--max-steps",
                    "20000",
                    "--format",
                    format,
                ];
                if to_file {
                    args.extend(["-o", "/dev/null"]);
                }
                let out = gilvm(&args);
                let err = text(&out.stderr);
                assert_eq!(out.status.code(), Some(5), "{format}: {err}");
                assert_eq!(
                    err,
                    text(&run.stderr),
                    "{format}: the trace's run is the run"
                );
                if to_file {
                    assert_eq!(out.stdout, run.stdout, "{format}: the program's output");
                }
            }
        }
    }
}

#[test]
fn a_structured_trace_keeps_a_bounded_part_of_the_output_after_it_stops() {
    // 400,000 instructions: 80,000 prints, 80 MB of output after `--limit 10`.
    let f = file(GROW);
    for format in ["jsonl", "chrome", "html"] {
        let out = gilvm(&[
            "trace",
            &f,
            "--seed",
            "1",
            "--max-steps",
            "400000",
            "--format",
            format,
            "--limit",
            "10",
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{format}: {err}");
        assert!(err.starts_with(&stop_message(400000)), "{format}: {err}");
        assert!(
            err.contains("gilvm: the trace kept the first 1048576 bytes of the program's output after it stopped and left out "),
            "{format}: {err}"
        );
        // The trace holds the 1 MiB kept (as print records, which a page shortens a little)
        // and little else.
        assert!(
            (900_000..4 << 20).contains(&out.stdout.len()),
            "{format}: {} bytes",
            out.stdout.len()
        );
    }
    // A text trace lets the output through once it stops: nothing is left out.
    let out = gilvm(&[
        "trace",
        &f,
        "--seed",
        "1",
        "--max-steps",
        "40000",
        "--limit",
        "10",
    ]);
    assert_eq!(out.status.code(), Some(5));
    assert!(!text(&out.stderr).contains("left out"));
    assert!(out.stdout.len() > 7_000_000, "{}", out.stdout.len());
}

#[test]
fn replay_stops_both_programs_at_the_recorded_max_steps() {
    for src in [SPIN, GROW] {
        let f = file(src);
        let schedule = format!("{f}.schedule");
        let run = gilvm(&[
            "run",
            &f,
            "--seed",
            "1",
            "--max-steps",
            "20000",
            "--record",
            &schedule,
            "-q",
        ]);
        assert_eq!(run.status.code(), Some(5));
        let replay = gilvm(&["replay", &schedule, "-q"]);
        assert_eq!(replay.status.code(), Some(5), "{}", text(&replay.stderr));
        assert_eq!(replay.stdout, run.stdout);
        assert_eq!(text(&replay.stderr), text(&run.stderr));
        assert!(text(&replay.stderr).starts_with(&stop_message(20000)));
    }
}

#[test]
fn sweep_stops_every_run_at_max_steps_and_keeps_a_bounded_output() {
    let f = file(SPIN);
    let out = gilvm(&["sweep", &f, "--seeds", "0..3", "--max-steps", "20000"]);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The exit status row, with the run's last stderr line whole on the line below it.
    assert!(
        report.contains(&format!(
            "      3  100.0%  5 (resource limit)  gilvm run {f} --seed 0 --max-steps 20000\n                 MainThread (runnable): line 1 in <module>\n"
        )),
        "{report}"
    );
    // 2,000 instructions: 399 prints of 1,001 bytes, cut at 64 KiB with the rest's length and
    // hash, in the JSON report as in memory.
    let f = file(GROW);
    let out = gilvm(&[
        "sweep",
        &f,
        "--seeds",
        "0..3",
        "--max-steps",
        "2000",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let model = &json["models"][0];
    assert_eq!(model["stdout"].as_array().map(Vec::len), Some(1), "{model}");
    let kept = model["stdout"][0]["stdout"].as_str().expect("a string");
    let cut = 399 * 1001 - 65536;
    let note = format!("\n[gilvm sweep: output cut after 65536 bytes; {cut} more bytes, fnv1a64 ");
    assert!(
        kept.contains(&note) && kept.ends_with("]\n"),
        "{}",
        &kept[kept.len() - 200..]
    );
    assert_eq!(kept.find('['), Some(65536 + 1), "the first 64 KiB, whole");
    assert_eq!(model["stdout"][0]["count"], 3);
}
