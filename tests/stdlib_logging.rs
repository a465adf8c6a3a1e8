//! `logging` as gilvm writes it (`vm/pylib/logging.toy`): what goes to stderr is CPython's,
//! and `%(asctime)s` reads the virtual clock.

mod common;
use common::*;
use std::process::Command;

/// The part of stderr the program wrote: gilvm's own `gilvm:` lines left out.
fn program_stderr(s: &str) -> String {
    s.lines()
        .filter(|l| !l.starts_with("gilvm:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The logging program's stderr, under several seeds, equals CPython's, the traceback of
/// `exception()` with its `~~^~~` marker line included.
#[test]
fn log_lines_on_stderr_are_cpythons() {
    if !python3() {
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let prog = root.join("tests/stdlib/logging_basics.toy");
    let py = Command::new("python3")
        .arg(&prog)
        .output()
        .expect("python3");
    let want: String =
        String::from_utf8_lossy(&py.stderr).replace(&prog.display().to_string(), "PROG");
    for seed in 1..4 {
        let out = run_file(&prog, seed, &[]);
        let got = program_stderr(&out.stderr).replace(&prog.display().to_string(), "PROG");
        assert_eq!(got, want, "seed {seed}\n{out}");
    }
}

/// Threads' names, levels and logger names in the format; `%(asctime)s` from the virtual
/// clock, whose epoch is 2023-11-14 22:13:20 UTC, with milliseconds, and with `datefmt`.
#[test]
fn asctime_is_the_virtual_clock_and_thread_names_are_shown() {
    let out = run_with(
        r#"
import logging, threading, time
logging.basicConfig(level=logging.DEBUG,
                    format="%(asctime)s [%(threadName)s] %(levelname)-8s %(name)s %(message)s")
log = logging.getLogger("app")
def worker():
    time.sleep(0.25)
    log.debug("from %s", "worker")
t = threading.Thread(target=worker, name="Worker-1")
t.start()
logging.info("start")
t.join()
logging.basicConfig(force=True, format="%(asctime)s|%(message)s", datefmt="%d/%m/%y %H:%M:%S")
time.sleep(2)
logging.warning("dated")
logging.debug("shown: the root level is still DEBUG")
"#,
        1,
        &[],
    );
    assert_eq!(out.code, 0, "{out}");
    let got = program_stderr(&out.stderr);
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[0].starts_with("2023-11-14 22:13:20,0")
            && lines[0].ends_with(" [MainThread] INFO     root start"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("2023-11-14 22:13:20,25")
            && lines[1].ends_with(" [Worker-1] DEBUG    app from worker"),
        "{out}"
    );
    assert_eq!(lines[2], "14/11/23 22:13:22|dated", "{out}");
    assert!(
        lines[3].ends_with("|shown: the root level is still DEBUG"),
        "{out}"
    );
}

/// A format naming what gilvm cannot know is refused, clearly.
#[test]
fn unknown_record_attributes_are_refused() {
    check_stderr(
        "import logging\nlogging.basicConfig(format='%(lineno)d %(message)s')\n",
        1,
        &["ValueError: gilvm's logging does not provide %(lineno) in a format"],
    );
}
