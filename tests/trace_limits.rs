//! `trace` keeps the limits of `run`: `--max-steps` ends a trace in every format with status 5
//! and the run's message, and a trace without `--limit` follows at most
//! `DEFAULT_STEP_LIMIT` instructions, saying so, then lets the run go on untraced.

use std::process::{Command, Output};

fn gilvm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("gilvm runs")
}

fn program(name: &str, src: &str) -> String {
    let dir = std::env::temp_dir().join(format!("gilvm-trace-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, src).expect("write program");
    path.to_str().expect("utf-8 path").to_string()
}

#[test]
fn max_steps_ends_a_trace_in_every_format() {
    // A list that doubles (and starts over) in an endless loop, with a second thread.
    let file = program(
        "doubling.toy",
        "import threading\ndef spin():\n    while True:\n        pass\nt = threading.Thread(target=spin, daemon=True)\nt.start()\nl = [0]\nwhile True:\n    l = l + l\n    if len(l) > 1000:\n        l = [0]\n",
    );
    let run = gilvm(&["run", &file, "--seed", "3", "--max-steps", "20000"]);
    assert_eq!(run.status.code(), Some(5));
    for format in ["text", "jsonl", "chrome", "html"] {
        let started = std::time::Instant::now();
        let out = gilvm(&[
            "trace",
            &file,
            "--seed",
            "3",
            "--max-steps",
            "20000",
            "--format",
            format,
            "-o",
            "/dev/null",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{format}: {err}");
        assert!(
            err.contains("stopped after 20000 instructions (--max-steps)"),
            "{format}: {err}"
        );
        assert_eq!(
            String::from_utf8_lossy(&run.stderr),
            err,
            "{format}: the trace's run is the run"
        );
        assert!(
            started.elapsed().as_secs() < 60,
            "{format}: {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_trace_says_where_its_limit_stopped_it() {
    let file = program(
        "count.toy",
        "i = 0\nwhile i < 3000:\n    i += 1\nprint(i)\n",
    );
    let out = gilvm(&["trace", &file, "--seed", "1", "--limit", "50"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text.contains("# the trace stops here (--limit 50, after "),
        "{text}"
    );
    assert!(text.contains("3000"), "{text}");
}

/// Slow in a debug build (5 million traced instructions): `cargo test --release -- --ignored`.
#[test]
#[ignore]
fn a_trace_without_limit_follows_five_million_instructions() {
    let file = program(
        "long.toy",
        "i = 0\nwhile i < 2000000:\n    i += 1\nprint(i)\n",
    );
    for format in ["text", "jsonl"] {
        let out = gilvm(&[
            "trace",
            &file,
            "--seed",
            "1",
            "--format",
            format,
            "-o",
            "/dev/null",
        ]);
        assert_eq!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stdout).contains("2000000"));
    }
    let out = gilvm(&["trace", &file, "--seed", "1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("# the trace stops here (default limit of 5000000 instructions; --limit N sets another, after 5,000,000 instructions of the run); the run goes on untraced"),
        "{}",
        &text[text.len().saturating_sub(2000)..]
    );
    assert!(text.contains("2000000"));
}
