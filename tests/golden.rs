//! Golden tests: every `*.golden` file under `programs/` and `tests/` is one test.
//!
//! A golden file records one gilvm command and everything a user sees from it:
//!
//! ```text
//! $ gilvm run --seed 7 programs/counter_race.toy
//! exit: 0
//! --- stdout
//! 312345
//! --- stderr
//! ...
//! ```
//!
//! The first line is the command (arguments split on spaces, paths relative to the repository
//! root). The test runs the built `gilvm` binary with those arguments and compares exit status,
//! stdout and stderr byte for byte, printing both sides in full on a mismatch.
//! `UPDATE_EXPECT=1 cargo test --test golden` rewrites the files from the actual output
//! (keeping the command line); review the diff before committing.

use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["programs", "tests"] {
        collect(&root.join(dir), &mut files);
    }
    files.sort();
    let trials = files
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            Trial::test(name, move || check(&path))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "golden") {
            out.push(path);
        }
    }
}

/// The parts of a golden file.
struct Golden {
    args: Vec<String>,
    exit: i32,
    stdout: String,
    stderr: String,
}

impl Golden {
    fn render(&self) -> String {
        format!(
            "$ gilvm {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
            self.args.join(" "),
            self.exit,
            self.stdout,
            self.stderr
        )
    }
}

fn parse(text: &str) -> Result<Golden, String> {
    let (first, rest) = text
        .split_once('\n')
        .ok_or("golden file has no command line")?;
    let cmd = first
        .strip_prefix("$ gilvm ")
        .ok_or("golden file must start with `$ gilvm ARGS`")?;
    let args = cmd.split_whitespace().map(String::from).collect();
    let (exit_line, rest) = rest.split_once('\n').unwrap_or((rest, ""));
    let exit = exit_line
        .strip_prefix("exit: ")
        .and_then(|s| s.trim().parse().ok())
        .ok_or("second line must be `exit: N`")?;
    let rest = rest
        .strip_prefix("--- stdout\n")
        .ok_or("third line must be `--- stdout`")?;
    let (stdout, stderr) = match rest.find("--- stderr\n") {
        Some(i) if i == 0 || rest[..i].ends_with('\n') => (&rest[..i], &rest[i + 11..]),
        _ => return Err("missing `--- stderr` line".into()),
    };
    Ok(Golden {
        args,
        exit,
        stdout: stdout.to_string(),
        stderr: stderr.to_string(),
    })
}

fn check(path: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let expected = parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let output = Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(&expected.args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| format!("cannot run gilvm: {e}"))?;
    let actual = Golden {
        args: expected.args.clone(),
        exit: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let (want, got) = (expected.render(), actual.render());
    if want == got {
        return Ok(());
    }
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(path, &got).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(());
    }
    Err(format!(
        "{} does not match (UPDATE_EXPECT=1 to bless)\n===== expected\n{want}===== actual\n{got}=====",
        path.display()
    )
    .into())
}
