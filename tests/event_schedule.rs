//! Hand-written schedules by events (`T1 until store counter`, `until acquire dst.lock`,
//! `until line 10`, `until blocked`), a schedule's program path relative to the schedule file,
//! a program from standard input embedded in its schedule, and the program hash over the
//! compiled code (a comment keeps a schedule valid; a changed statement is refused, with why).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
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

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn gilvm_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gilvm");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("write stdin");
    drop(input);
    let out = child.wait_with_output().expect("wait");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn gilvm(args: &[&str]) -> Out {
    gilvm_in(&root(), args, None)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gilvm-events-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn an_event_schedule_stages_the_lost_update() {
    let out = gilvm(&["replay", "programs/lesson_lost_update_events.schedule"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "1\n"), "{out}");
    assert!(
        out.stderr
            .contains("gilvm: lost updates: counter 1 (in 1 store)"),
        "{out}"
    );
    // The same run as the schedule that counts instructions.
    let counted = gilvm(&["replay", "programs/lesson_lost_update.schedule"]);
    let steps = |o: &Out| {
        o.stderr
            .lines()
            .find(|l| l.starts_with("gilvm: seed"))
            .map(str::to_string)
    };
    assert_eq!(steps(&out), steps(&counted), "{out}\n{counted}");
}

#[test]
fn a_schedule_names_its_program_relative_to_itself() {
    for (dir, file) in [
        (root(), "programs/lesson_lost_update.schedule"),
        (root().join("programs"), "lesson_lost_update.schedule"),
        (
            root().join("programs"),
            "lesson_lost_update_events.schedule",
        ),
        (
            root().join("tests"),
            "../programs/lesson_lost_update.schedule",
        ),
    ] {
        let out = gilvm_in(&dir, &["replay", file], None);
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "1\n"),
            "{file}:\n{out}"
        );
    }
}

#[test]
fn an_event_schedule_stages_the_bank_deadlock() {
    for (dir, file) in [
        (root(), "tests/event_schedule/bank_deadlock.schedule"),
        (
            root().join("tests/event_schedule"),
            "bank_deadlock.schedule",
        ),
        (root(), "tests/event_schedule/bank_locks.schedule"),
    ] {
        let out = gilvm_in(&dir, &["replay", file], None);
        assert_eq!(out.code, 4, "{file}:\n{out}");
        assert!(
            out.stderr.contains("gilvm: deadlock")
                && out.stderr.contains(
                    "cycle: Thread-1 (transfer) -> Thread-2 (transfer) -> Thread-1 (transfer)"
                ),
            "{file}:\n{out}"
        );
    }
}

#[test]
fn replaying_an_event_schedule_records_counts() {
    let dir = temp_dir("record");
    let rec = dir.join("again.schedule");
    let rec = rec.to_str().expect("utf-8");
    let out = gilvm(&[
        "replay",
        "programs/lesson_lost_update_events.schedule",
        "--record",
        rec,
    ]);
    assert_eq!(out.code, 0, "{out}");
    let text = std::fs::read_to_string(rec).expect("recorded");
    let body = text.split_once("---\n").expect("body").1;
    assert!(!body.contains("until"), "{text}");
    assert!(
        body.lines()
            .all(|l| l.starts_with('T') || l.starts_with("wake")),
        "{text}"
    );
    // The program lies outside the schedule's directory: named as the replay named it,
    // found from the directory it was recorded in.
    assert!(
        text.contains("\nprogram programs/lesson_lost_update.toy\n"),
        "{text}"
    );
    let again = gilvm(&["replay", rec]);
    assert_eq!((again.code, again.stdout.as_str()), (0, "1\n"), "{again}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_recorded_program_beside_its_schedule_is_named_relative_to_it() {
    let dir = temp_dir("beside");
    std::fs::create_dir_all(dir.join("lesson")).expect("dir");
    std::fs::copy(
        root().join("programs/counter_race.toy"),
        dir.join("lesson/race.toy"),
    )
    .expect("copy");
    let out = gilvm_in(
        &dir,
        &[
            "run",
            "lesson/race.toy",
            "--seed",
            "4",
            "--record",
            "lesson/race.schedule",
        ],
        None,
    );
    assert_eq!(out.code, 0, "{out}");
    let text = std::fs::read_to_string(dir.join("lesson/race.schedule")).expect("schedule");
    assert!(text.contains("\nprogram race.toy\n"), "{text}");
    // Replayed from elsewhere, the same run.
    let schedule = dir.join("lesson/race.schedule");
    let again = gilvm(&["replay", schedule.to_str().expect("utf-8")]);
    assert_eq!((again.code, &again.stdout), (0, &out.stdout), "{again}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_program_from_stdin_is_kept_in_its_schedule() {
    let dir = temp_dir("stdin");
    let program = std::fs::read_to_string(root().join("programs/counter_race.toy")).expect("read");
    let out = gilvm_in(
        &dir,
        &["run", "-", "--seed", "5", "--record", "stdin.schedule"],
        Some(&program),
    );
    assert_eq!(out.code, 0, "{out}");
    let text = std::fs::read_to_string(dir.join("stdin.schedule")).expect("schedule");
    assert!(text.contains("\nprogram -\n"), "{text}");
    assert!(
        text.contains("\nsource | counter = 0\n") || text.contains("\nsource | "),
        "{text}"
    );
    // No standard input needed to replay it.
    let again = gilvm_in(&dir, &["replay", "stdin.schedule"], Some(""));
    assert_eq!((again.code, &again.stdout), (0, &out.stdout), "{again}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_comment_keeps_a_schedule_and_a_changed_statement_is_refused() {
    let dir = temp_dir("hash");
    let prog = dir.join("race.toy");
    let original = std::fs::read_to_string(root().join("programs/counter_race.toy")).expect("read");
    std::fs::write(&prog, &original).expect("write");
    let sched = dir.join("race.schedule");
    let (p, s) = (
        prog.to_str().expect("utf-8"),
        sched.to_str().expect("utf-8"),
    );
    let out = gilvm(&["run", p, "--seed", "2", "--record", s]);
    assert_eq!(out.code, 0, "{out}");
    // A comment and a blank line: the compiled code is the same.
    std::fs::write(&prog, format!("# a note for the class\n\n{original}")).expect("write");
    let again = gilvm(&["replay", s]);
    assert_eq!((again.code, &again.stdout), (0, &out.stdout), "{again}");
    // A changed statement: refused, saying why.
    std::fs::write(&prog, original.replace("counter += 1", "counter += 2")).expect("write");
    let refused = gilvm(&["replay", s]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(
        refused
            .stderr
            .contains("was recorded for a different version of")
            && refused.stderr.contains("its compiled code differs"),
        "{refused}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bad_event_is_a_clear_error() {
    let dir = temp_dir("bad");
    std::fs::copy(
        root().join("programs/lesson_lost_update.toy"),
        dir.join("lesson.toy"),
    )
    .expect("copy");
    let header = "gilvm-schedule 2\nprogram lesson.toy\nmodel any\nseed 0\n---\nT0 *\n";
    for (body, want) in [
        (
            "T1 until store countr\n",
            "`until store countr`: the program has no variable or attribute `countr`",
        ),
        ("T1 until jump\n", "line 7: unknown event `jump`"),
        (
            "T1 until line x\n",
            "line 7: expected `until line N` with a line number",
        ),
        (
            "T1 until line 999\n",
            "`until line 999`: the program has 18 lines",
        ),
        (
            "T1 until acquire locks[alice]\n",
            "line 7: expected a name, then `.attr` or `[key]`",
        ),
    ] {
        let path = dir.join("bad.schedule");
        std::fs::write(&path, format!("{header}{body}")).expect("write");
        let out = gilvm(&["replay", path.to_str().expect("utf-8")]);
        assert_eq!(out.code, 2, "{body}:\n{out}");
        assert!(out.stderr.contains(want), "{body}: want {want:?}\n{out}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_trace_follows_an_event_schedule() {
    let out = gilvm(&[
        "trace",
        "programs/lesson_lost_update.toy",
        "--schedule",
        "programs/lesson_lost_update_events.schedule",
        "--var",
        "counter",
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("!!! LOST UPDATE #1 on counter"),
        "{out}"
    );
    // Thread-1's turn ended right before its store: preempted after its read and add.
    assert!(
        out.stdout
            .contains("=== GIL -> T2 (T1 preempted after 4 instructions)"),
        "{out}"
    );
}
