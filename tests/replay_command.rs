//! The replay command printed in the run summary is a working shell command, even for a program
//! or schedule whose path holds a space and a single quote: run through `sh -c` (with `gilvm`
//! resolved to the built binary), it reproduces the run's stdout exactly.

use std::path::{Path, PathBuf};
use std::process::Command;

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

fn out_of(o: std::process::Output) -> Out {
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn gilvm(args: &[&str]) -> Out {
    out_of(
        Command::new(env!("CARGO_BIN_EXE_gilvm"))
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .expect("run gilvm"),
    )
}

/// Runs `command` with `sh -c`, the built `gilvm` first on the PATH.
fn sh(command: &str) -> Out {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_gilvm"))
        .parent()
        .expect("the binary is in a directory");
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("a PATH");
    out_of(
        Command::new("sh")
            .arg("-c")
            .arg(command)
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .output()
            .expect("run sh"),
    )
}

/// The command after `gilvm: replay: ` in the summary.
fn replay_line(out: &Out) -> String {
    out.stderr
        .lines()
        .find_map(|l| l.strip_prefix("gilvm: replay: "))
        .unwrap_or_else(|| panic!("no replay command in the summary\n{out}"))
        .to_string()
}

/// A fresh directory whose name holds a space, and a copy of a racy program in it named
/// `it's a race.toy`.
fn awkward_program(tag: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("gilvm replay {tag} {}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let program = dir.join("it's a race.toy");
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trace/race_small.toy"),
    )
    .expect("read race_small.toy");
    std::fs::write(&program, source).expect("write program");
    (dir, program)
}

#[test]
fn the_run_summary_s_replay_command_works_in_a_shell_for_an_awkward_path() {
    let (dir, program) = awkward_program("run");
    let file = program.to_str().expect("UTF-8 path");
    let first = gilvm(&[
        "run",
        file,
        "--seed",
        "11",
        "--gil",
        "py39",
        "--switch-interval",
        "50us",
    ]);
    assert_eq!(first.code, 0, "{first}");
    let cmd = replay_line(&first);
    assert!(
        cmd.contains("'\\''") && cmd.contains("--gil py39 --switch-interval 50us"),
        "the path is quoted and the options named: {cmd}"
    );
    let again = sh(&cmd);
    assert_eq!(again.code, 0, "`{cmd}` failed\n{again}");
    assert_eq!(again.stdout, first.stdout, "`{cmd}` printed something else");
    assert_eq!(replay_line(&again), cmd, "the replay names itself");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn replay_and_trace_schedule_name_a_schedule_path_a_shell_can_use() {
    let (dir, program) = awkward_program("schedule");
    let file = program.to_str().expect("UTF-8 path");
    let schedule = dir.join("the race's schedule.txt");
    let sched = schedule.to_str().expect("UTF-8 path");
    let first = gilvm(&[
        "run",
        file,
        "--seed",
        "5",
        "--switch-interval",
        "7",
        "--record",
        sched,
    ]);
    assert_eq!(first.code, 0, "{first}");

    let replayed = gilvm(&["replay", sched]);
    assert_eq!(replayed.code, 0, "{replayed}");
    assert_eq!(replayed.stdout, first.stdout);
    let cmd = replay_line(&replayed);
    assert!(cmd.starts_with("gilvm replay '"), "quoted: {cmd}");
    let again = sh(&cmd);
    assert_eq!(again.code, 0, "`{cmd}` failed\n{again}");
    assert_eq!(again.stdout, first.stdout, "`{cmd}` printed something else");

    let trace_out = dir.join("trace.txt");
    let traced = gilvm(&[
        "trace",
        file,
        "--schedule",
        sched,
        "-o",
        trace_out.to_str().expect("UTF-8 path"),
    ]);
    assert_eq!(traced.code, 0, "{traced}");
    assert_eq!(
        traced.stdout, first.stdout,
        "trace -o leaves stdout to the program"
    );
    let cmd = replay_line(&traced);
    let again = sh(&cmd);
    assert_eq!(again.code, 0, "`{cmd}` failed\n{again}");
    assert_eq!(again.stdout, first.stdout, "`{cmd}` printed something else");
    let _ = std::fs::remove_dir_all(&dir);
}
