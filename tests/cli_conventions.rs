//! The command-line conventions: completions and man pages generated from the clap
//! definitions, examples in every command's `--help` that really run, per-thread colour only
//! on a terminal (or `--color always`), "wrote FILE (SIZE)" after writing a file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs gilvm in `dir` with `env` set (and NO_COLOR unset unless given).
fn gilvm_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gilvm"));
    cmd.args(args).current_dir(dir).env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run gilvm")
}

fn gilvm(args: &[&str]) -> Output {
    gilvm_in(&root(), args, &[])
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gilvm-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    for sub in ["programs", "bench"] {
        std::os::unix::fs::symlink(root().join(sub), dir.join(sub)).expect("link");
    }
    dir
}

const COMMANDS: [&str; 10] = [
    "dis",
    "run",
    "races",
    "trace",
    "replay",
    "sweep",
    "explore",
    "merge",
    "completions",
    "man",
];

#[test]
fn completions_know_every_command_and_option() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = gilvm(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for word in COMMANDS.iter().chain(&["seed", "switch-interval", "color"]) {
            assert!(
                script.contains(word),
                "{shell} completion lacks {word}:\n{script}"
            );
        }
    }
    let bad = gilvm(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("invalid value 'tcsh'"));
}

#[test]
fn bash_completion_is_valid_bash() {
    let out = gilvm(&["completions", "bash"]);
    let dir = scratch("bash");
    let file = dir.join("gilvm.bash");
    std::fs::write(&file, &out.stdout).expect("write");
    let check = Command::new("bash").arg("-n").arg(&file).output();
    if let Ok(check) = check {
        assert!(check.status.success(), "{}", text(&check.stderr));
    } else {
        eprintln!("SKIP: no bash to check the completion script with");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn man_page_describes_gilvm_and_its_commands() {
    let out = gilvm(&["man"]);
    assert!(out.status.success());
    let page = text(&out.stdout);
    assert!(page.contains(".TH gilvm 1"), "{page}");
    assert!(page.contains("simulated GIL"));
    for c in COMMANDS {
        assert!(page.contains(c), "the page does not name {c}");
    }
    let dir = scratch("man");
    let out = gilvm_in(&dir, &["man", "-o", "pages"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    for c in COMMANDS {
        let file = format!("pages/gilvm-{c}.1");
        let body = std::fs::read_to_string(dir.join(&file)).expect(&file);
        assert!(
            body.contains(&format!(".TH gilvm-{c} 1")),
            "{file}:\n{body}"
        );
        let size = body.len();
        let shown = if size >= 1000 {
            format!("({:.1} kB)", size as f64 / 1e3)
        } else {
            format!("({size} B)")
        };
        assert!(
            said.contains(&format!("gilvm: wrote {file} {shown}\n")),
            "{said}"
        );
    }
    assert!(dir.join("pages/gilvm.1").exists());
    let quiet = gilvm_in(&dir, &["man", "-o", "pages", "-q"], &[]);
    assert!(quiet.status.success() && quiet.stderr.is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

/// Every command's `--help` ends with examples, and those that name a file of the
/// repository run (exit status not 2, the usage error's, and no signal).
#[test]
fn every_help_has_examples_that_run() {
    let dir = scratch("examples");
    for c in COMMANDS {
        let out = gilvm(&[c, "--help"]);
        assert!(out.status.success());
        let help = text(&out.stdout);
        let Some((_, examples)) = help.split_once("\nExamples:\n") else {
            panic!("`gilvm {c} --help` has no examples:\n{help}");
        };
        let mut ran = 0;
        for line in examples.lines() {
            let line = line.split(" #").next().unwrap_or("").trim();
            let Some(args) = line.strip_prefix("gilvm ") else {
                continue;
            };
            if line.contains(['|', '>', '~'])
                || !line.contains("programs/")
                    && !line.contains("bench/")
                    && !line.contains(".schedule")
            {
                continue;
            }
            let mut args: Vec<&str> = args.split_whitespace().collect();
            // Bounded, so that the debug build runs them in seconds: the point is that they
            // parse and find their files (a stop at --max-steps is exit 5, not 2).
            if ["run", "races", "trace", "sweep"].contains(&args[0]) {
                args.extend(["--max-steps", "300000"]);
            }
            let out = gilvm_in(&dir, &args, &[]);
            let code = out.status.code();
            assert!(
                code.is_some_and(|c| c != 2),
                "`{line}` (from `gilvm {c} --help`) exited {code:?}:\n{}",
                text(&out.stderr)
            );
            ran += 1;
        }
        if ["dis", "run", "races", "trace", "replay", "sweep", "explore"].contains(&c) {
            assert!(ran > 0, "no example of {c} ran:\n{examples}");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

const ESC: char = '\u{1b}';

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let prog = "programs/counter_race.toy";
    // Piped (as here): no colour by default, the same bytes as `--color never`.
    let plain = gilvm(&["trace", prog, "--seed", "7", "--limit", "30"]);
    let never = gilvm(&[
        "trace", prog, "--seed", "7", "--limit", "30", "--color", "never",
    ]);
    assert!(!text(&plain.stdout).contains(ESC) && !text(&plain.stderr).contains(ESC));
    assert_eq!(plain.stdout, never.stdout);
    assert_eq!(plain.stderr, never.stderr);
    // Forced: every thread's lines in its colour; without the colour codes, the same text.
    let always = gilvm_in(
        &root(),
        &[
            "trace", prog, "--seed", "7", "--limit", "30", "--color", "always",
        ],
        &[("NO_COLOR", "1")],
    );
    let out = text(&always.stdout);
    assert!(
        out.contains(&format!("{ESC}[36m       0.000 T0      0     0 RESUME")),
        "{out}"
    );
    let err = text(&always.stderr);
    assert!(
        err.contains(&format!(
            "{ESC}[33mThread-2 (increment){ESC}[0m read counter"
        )),
        "{err}"
    );
    let strip = |s: &str| {
        let mut o = String::new();
        let mut it = s.chars();
        while let Some(c) = it.next() {
            if c == ESC {
                for d in it.by_ref() {
                    if d == 'm' {
                        break;
                    }
                }
            } else {
                o.push(c);
            }
        }
        o
    };
    assert_eq!(strip(&out), text(&plain.stdout));
    assert_eq!(strip(&err), text(&plain.stderr));
}

#[test]
fn a_written_file_is_named_with_its_size_and_never_coloured() {
    let dir = scratch("wrote");
    let out = gilvm_in(
        &dir,
        &[
            "trace",
            "programs/counter_race.toy",
            "--seed",
            "7",
            "--limit",
            "50",
            "-o",
            "t.txt",
            "--color",
            "always",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let body = std::fs::read_to_string(dir.join("t.txt")).expect("trace file");
    assert!(!body.contains(ESC));
    let size = body.len() as f64 / 1e3;
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("gilvm: wrote t.txt ({size:.1} kB)\n")),
        "{err}"
    );
    let rec = gilvm_in(
        &dir,
        &[
            "run",
            "programs/counter_race.toy",
            "--seed",
            "7",
            "--record",
            "r.schedule",
        ],
        &[],
    );
    let len = std::fs::metadata(dir.join("r.schedule"))
        .expect("schedule")
        .len();
    let err = text(&rec.stderr);
    assert!(
        err.contains(&format!(
            "gilvm: wrote r.schedule ({:.1} kB)\n",
            len as f64 / 1e3
        )),
        "{err}"
    );
    let quiet = gilvm_in(
        &dir,
        &[
            "run",
            "programs/counter_race.toy",
            "--seed",
            "7",
            "--record",
            "q.schedule",
            "-q",
        ],
        &[],
    );
    assert!(quiet.stderr.is_empty(), "{}", text(&quiet.stderr));
    let _ = std::fs::remove_dir_all(dir);
}
