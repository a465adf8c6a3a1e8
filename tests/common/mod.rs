//! Shared helpers of the `sync_*` tests: write a small program to a temp dir, run the `gilvm`
//! binary on it, and compare what a user sees. A mismatch prints the program's whole output.

#![allow(dead_code)]

pub mod browser;

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The repository's root: tests that run the binary there name files as the docs do.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `gilvm ARGS…` in the repository's root.
pub fn gilvm(args: &[&str]) -> Out {
    gilvm_in(args, &root())
}

/// `gilvm args…` run in directory `dir`.
pub fn gilvm_in(args: &[&str], dir: &std::path::Path) -> Out {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run gilvm");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Writes `source` to a fresh file in the temp dir and returns its path.
/// A fresh directory holding `prog.toy` with `source` (explore's reports name `prog.toy`).
pub fn program_dir(source: &str) -> PathBuf {
    let path = write_program(source);
    let dir = path.with_extension("d");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("prog.toy"), source).expect("write");
    dir
}

pub fn write_program(source: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("gilvm-sync-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let path = dir.join(format!("p{n}.toy"));
    std::fs::write(&path, source).expect("write program");
    path
}

/// Runs `gilvm run FILE --seed SEED EXTRA…` on the program.
pub fn run_with(source: &str, seed: u64, extra: &[&str]) -> Out {
    let path = write_program(source);
    let out = run_file(&path, seed, extra);
    let _ = std::fs::remove_file(&path);
    out
}

pub fn run_file(path: &std::path::Path, seed: u64, extra: &[&str]) -> Out {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .arg("run")
        .arg(path)
        .args(["--seed", &seed.to_string()])
        .args(extra)
        .env("NO_COLOR", "1")
        .output()
        .expect("run gilvm");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    }
}

pub fn run(source: &str) -> Out {
    run_with(source, 1, &[])
}

/// The program exits 0 and prints exactly `expected`.
pub fn check(source: &str, expected: &str) {
    let out = run(source);
    assert!(
        out.code == 0 && out.stdout == expected,
        "expected exit 0 and stdout\n{expected}\ngot\n{out}"
    );
}

/// The program ends with exit status `code` and its stderr contains every one of `needles`.
pub fn check_stderr(source: &str, code: i32, needles: &[&str]) -> Out {
    let out = run(source);
    assert_eq!(out.code, code, "wrong exit status\n{out}");
    for n in needles {
        assert!(out.stderr.contains(n), "stderr lacks {n:?}\n{out}");
    }
    out
}

/// Runs the program under seeds `0..n` with a short mean quantum (many switches), and checks
/// each run exits 0 with exactly `expected` on stdout. Failures name the seed to replay.
pub fn check_all_seeds(source: &str, n: u64, expected: &str) {
    let path = write_program(source);
    for seed in 0..n {
        let out = run_file(&path, seed, &["--switch-interval", "7"]);
        assert!(
            out.code == 0 && out.stdout == expected,
            "seed {seed} (replay: gilvm run {} --seed {seed} --switch-interval 7)\nexpected\n{expected}\ngot\n{out}",
            path.display()
        );
    }
    let _ = std::fs::remove_file(&path);
}

/// Whether `python3` can be run (tests comparing with CPython skip visibly without it).
pub fn python3() -> bool {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: python3 not found");
    }
    ok
}

/// `python3 path`'s stdout and stderr, or `None` without python3 (the comparison is then
/// skipped, and said so on stderr).
pub fn cpython(path: &std::path::Path) -> Option<(String, String)> {
    if !python3() {
        return None;
    }
    let py = Command::new("python3")
        .arg(path)
        .output()
        .expect("run python3");
    Some((
        String::from_utf8_lossy(&py.stdout).into_owned(),
        String::from_utf8_lossy(&py.stderr).into_owned(),
    ))
}

/// CPython's stdout, its stderr with the program's path shown as `P`, and its exit status;
/// `None` (skipped, said on stderr) without `python3`.
pub fn cpython_full(path: &std::path::Path) -> Option<(String, String, Option<i32>)> {
    if !python3() {
        eprintln!("python3 not found: the comparison with CPython is skipped");
        return None;
    }
    let o = Command::new("python3")
        .arg(path)
        .output()
        .expect("run python3");
    let p = path.to_string_lossy();
    Some((
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).replace(&*p, "P"),
        o.status.code(),
    ))
}

/// gilvm's (seed 1, `-q`) stdout, its stderr without the `gilvm:` summary lines and with the
/// program's path shown as `P`, and its exit status: what [`cpython_full`] gives for CPython.
pub fn gilvm_full(path: &std::path::Path) -> (String, String, Option<i32>) {
    let out = run_file(path, 1, &["-q"]);
    let p = path.to_string_lossy();
    let err: String = out
        .stderr
        .lines()
        .filter(|l| !l.starts_with("gilvm:"))
        .map(|l| format!("{l}\n"))
        .collect();
    (out.stdout.clone(), err.replace(&*p, "P"), Some(out.code))
}

/// gilvm's stdout, stderr and exit status for `path` (as [`gilvm_full`] gives them) equal
/// CPython's (as [`cpython_full`] gives them; skipped, said on stderr, without python3).
pub fn same_full_as_cpython(
    path: &std::path::Path,
    ours: &(String, String, Option<i32>),
    what: &str,
) {
    if let Some(py) = cpython_full(path) {
        assert_eq!(*ours, py, "gilvm (left) and python3 (right) differ: {what}");
    }
}

/// `path` run with seed 1 prints what `python3 path` prints (when python3 is there).
pub fn same_stdout_as_cpython(path: &std::path::Path, ours: &Out) {
    if let Some((out, _)) = cpython(path) {
        assert_eq!(ours.stdout, out, "gilvm and python3 differ\n{ours}");
    }
}

/// The program prints the same stdout under gilvm as under `python3`.
pub fn same_as_python(source: &str) {
    if !python3() {
        return;
    }
    let path = write_program(source);
    let py = Command::new("python3")
        .arg(&path)
        .output()
        .expect("run python3");
    let ours = run_file(&path, 1, &[]);
    let _ = std::fs::remove_file(&path);
    let py_out = String::from_utf8_lossy(&py.stdout);
    assert_eq!(
        ours.stdout, py_out,
        "gilvm and python3 differ\n--- python3\n{py_out}\n--- gilvm\n{ours}"
    );
}

/// A `Write` into a shared buffer, for tests that run a `Vm` in-process and read what it
/// printed.
#[derive(Clone, Default)]
pub struct Buf(pub Rc<RefCell<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The files with extension `ext` in `dir` (below the repository's root), sorted.
pub fn programs_in(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == ext))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Runs each program (a path below the repository's root) under CPython `py` once and under
/// gilvm with each `(seed, model)`; returns a description of every run whose stdout or exit
/// status differs from CPython's. `nonempty` also requires CPython to print something.
pub fn differences_from_cpython(
    py: &std::path::Path,
    progs: &[PathBuf],
    runs: &[(&str, &str)],
    nonempty: bool,
) -> Vec<String> {
    let root = root();
    let mut failures = Vec::new();
    for p in progs {
        let rel = p.strip_prefix(&root).unwrap_or(p);
        let want = Command::new(py)
            .arg(rel)
            .current_dir(&root)
            .output()
            .expect("python3 runs");
        if nonempty && want.stdout.is_empty() {
            failures.push(format!("{} prints nothing under CPython", rel.display()));
        }
        for (seed, model) in runs {
            let got = Command::new(env!("CARGO_BIN_EXE_gilvm"))
                .args(["run", "-q", "--seed", seed, "--gil", model])
                .arg(rel)
                .current_dir(&root)
                .output()
                .expect("gilvm runs");
            if got.stdout != want.stdout || got.status.code() != want.status.code() {
                failures.push(format!(
                    "{} (seed {seed}, {model}): exit {:?} vs python3 {:?}\n--- gilvm stdout\n{}--- python3 stdout\n{}--- gilvm stderr\n{}",
                    rel.display(),
                    got.status.code(),
                    want.status.code(),
                    String::from_utf8_lossy(&got.stdout),
                    String::from_utf8_lossy(&want.stdout),
                    String::from_utf8_lossy(&got.stderr),
                ));
            }
        }
    }
    failures
}

/// The run summary's lines with the instruction and switch counts and the lost updates.
pub fn summary_counts(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| l.contains(" instructions · ") || l.contains("lost updates"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `path` under every GIL model and seeds 1–3 (switch interval 7) once plainly and once
/// with `--races`, which keeps every instruction on the interpreter's slow path: both must
/// exit 0, print the same and count the same instructions, switches and lost updates.
/// `each(&plain, &summary_counts(plain))` adds a test's own checks per run.
#[allow(dead_code)]
pub fn same_run_as_slow_path(path: &std::path::Path, mut each: impl FnMut(&Out, &str)) {
    for model in ["any", "py27", "py39", "py311", "nogil"] {
        for seed in 1..4 {
            let args = ["--gil", model, "--switch-interval", "7"];
            let plain = run_file(path, seed, &args);
            let mut slow_args = args.to_vec();
            slow_args.push("--races");
            let slow = run_file(path, seed, &slow_args);
            assert_eq!(plain.code, 0, "{plain}");
            assert_eq!(plain.stdout, slow.stdout, "{model} seed {seed}");
            let c = summary_counts(&plain.stderr);
            each(&plain, &c);
            assert_eq!(c, summary_counts(&slow.stderr), "{model} seed {seed}");
        }
    }
}

/// The detectors' report lines of a run's stderr: lost updates and check-then-act.
pub fn detector_reports(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| {
            l.starts_with("gilvm: lost updates")
                || l.starts_with("gilvm: the first")
                || l.starts_with("gilvm: check-then-act")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `path` (seed 2, switch interval 7) under every GIL model once plainly and once with
/// `--races` (the slow path): the detectors' reports are there and word for word the same.
#[allow(dead_code)]
pub fn same_reports_as_slow_path(path: &std::path::Path) {
    for model in ["any", "py27", "py39", "py311", "nogil"] {
        let args = ["--gil", model, "--switch-interval", "7"];
        let plain = run_file(path, 2, &args);
        let mut slow_args = args.to_vec();
        slow_args.push("--races");
        let slow = run_file(path, 2, &slow_args);
        assert!(!detector_reports(&plain.stderr).is_empty(), "{plain}");
        assert_eq!(
            detector_reports(&plain.stderr),
            detector_reports(&slow.stderr),
            "{model}"
        );
    }
}

/// Two threads each doing `counter += 1` `k` times without a lock, then printing the total:
/// the explorer's benchmark of a lost update.
#[allow(dead_code)]
pub fn two_thread_counter(k: u32) -> String {
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
