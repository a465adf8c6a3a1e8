//! `trace` keeps the limits of `run`: `--max-steps` ends a trace in every format with status 5
//! and the run's message, and a trace without `--limit` follows at most
//! `DEFAULT_STEP_LIMIT` instructions, saying so, then lets the run go on untraced.

use std::process::{Command, Output};

mod common;

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

/// A trace without `--limit` follows the first `default_limit` instructions of the run, says
/// where it stopped, and lets the run go on untraced to its own end (its output included).
/// `gilvm trace` gives `DEFAULT_STEP_LIMIT` (5,000,000, checked below), which takes about a
/// minute to reach in a debug build; the same code path is run here through the library with
/// a smaller default.
#[test]
fn a_trace_without_limit_stops_at_the_default_limit_and_the_run_goes_on() {
    let source = "i = 0\nwhile i < 3000:\n    i += 1\nprint(i)\n";
    let program = gilvm::compile_source("long.toy", source).expect("compiles");
    let image = gilvm::run::image(&program).expect("links");
    let model = gilvm::vm::gil::GilModel::Any;
    for format in [
        gilvm::trace::Format::Text,
        gilvm::trace::Format::Jsonl,
        gilvm::trace::Format::Chrome,
        gilvm::trace::Format::Html,
    ] {
        let settings = gilvm::trace::TraceSettings {
            format,
            filters: gilvm::trace::recorder::Filters::default(),
            program: "long.toy".into(),
            source: source.into(),
            model: model.name().into(),
            interval: model.describe_interval(model.default_interval()),
            shares_stdout: true,
            default_limit: 1_000,
        };
        let config = gilvm::run::run_config(model, model.default_interval(), 1_000_000, 1);
        let out = common::Buf::default();
        let (vm, ending) = gilvm::trace::run_traced(
            &image.local(),
            config,
            &settings,
            Box::new(out.clone()),
            &mut std::io::sink(),
        )
        .expect("fits the heap");
        let text = String::from_utf8_lossy(&out.0.borrow()).into_owned();
        let tail = &text[text.len().saturating_sub(3000)..];
        assert_eq!(ending.exit_code(), 0, "{format:?}: {tail}");
        assert!(
            vm.steps > 12_000,
            "{format:?}: the run went on: {}",
            vm.steps
        );
        // Chrome and HTML show turns, not instructions: they have no place for the stop.
        let shows_the_stop = matches!(
            format,
            gilvm::trace::Format::Text | gilvm::trace::Format::Jsonl
        );
        assert!(
            !shows_the_stop
                || text.contains("default limit of 1000 instructions; --limit N sets another"),
            "{format:?}: {tail}"
        );
        assert!(
            text.contains("3000"),
            "{format:?}: the program's output: {tail}"
        );
        if format == gilvm::trace::Format::Text {
            assert!(
                text.contains("# the trace stops here (default limit of 1000 instructions; --limit N sets another, after 1,000 instructions of the run); the run goes on untraced"),
                "{tail}"
            );
        }
    }
}

/// The default trace limit is the one README.md and docs/trace-schema.md give, and `gilvm
/// trace` runs under it: a run shorter than it is traced whole.
#[test]
fn the_default_trace_limit_is_the_documented_one() {
    assert_eq!(gilvm::trace::recorder::DEFAULT_STEP_LIMIT, 5_000_000);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    assert!(readme.contains("a trace follows the first 5,000,000 instructions of the run"));
    assert!(readme.contains("(default limit of 5000000 instructions; …)"));
    let schema =
        std::fs::read_to_string(root.join("docs/trace-schema.md")).expect("docs/trace-schema.md");
    assert!(schema.contains("default limit of 5000000 instructions; --limit N sets another"));
    let file = program(
        "whole.toy",
        "i = 0\nwhile i < 20000:\n    i += 1\nprint(i)\n",
    );
    let out = gilvm(&["trace", &file, "--seed", "1", "--format", "jsonl"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !text.contains("truncated"),
        "{}",
        &text[text.len() - 2000..]
    );
    assert!(
        text.contains(r#"{"type":"print","t_ns":640040,"tid":0,"text":"20000"}"#),
        "{}",
        &text[text.len() - 2000..]
    );
}
