//! The commands of README.md and docs/tutorial.md run, and what they print is what the text
//! shows, so the docs cannot drift from the program.
//!
//! The rules (also in docs/tutorial.md's preface and README.md's "Documentation is tested"):
//!
//! - A shell block (```` ```sh ````, `console`, `bash`, `shell`) whose lines start with `$ `
//!   is a transcript: each `$ ` line is a command, the lines up to the next `$ ` or the end
//!   of the block are its output (stdout and stderr as one stream, as in a terminal). A line
//!   that is only `…` (or `...`) stands for any number of lines; trailing spaces and trailing
//!   blank lines do not count. `$?` is the previous command's status (`$ echo $?`).
//! - A shell block without `$ ` lines lists commands to run without shown output: each line
//!   that starts with `gilvm ` or `cargo run` runs, and must exit with the status its comment
//!   names (`# exit 4: …`), 0 otherwise.
//! - `cargo run --release -- ARGS` (or `cargo run -- ARGS`) runs the `gilvm` binary built for
//!   the tests with ARGS: the same program without building it again.
//! - `<!-- docs-test: skip (why) -->` on the line before a block leaves it out, and says why;
//!   any other shell block fails the test, so a new example is tested or visibly skipped.
//! - The commands of one file run in order, in one scratch directory holding `programs/` and
//!   `bench/` (links to the repository's) and copies of the files in `docs/examples/`, so a
//!   file written by one command (`--record lost.schedule`) is there for the next.

use std::path::{Path, PathBuf};
use std::process::Command;

const SHELLS: [&str; 4] = ["sh", "console", "bash", "shell"];
const SKIP: &str = "<!-- docs-test: skip";

/// One shell block of a markdown file.
#[derive(Debug)]
struct Block {
    /// 1-based line of the opening fence.
    line: usize,
    /// `Some(why)` when marked skipped.
    skip: Option<String>,
    lines: Vec<String>,
}

fn blocks(markdown: &str) -> Result<Vec<Block>, String> {
    let mut out = Vec::new();
    let mut lines = markdown.lines().enumerate();
    let mut prev = "";
    while let Some((i, line)) = lines.next() {
        let Some(lang) = line.trim_start().strip_prefix("```") else {
            if !line.trim().is_empty() {
                prev = line;
            }
            continue;
        };
        let lang = lang.trim().to_string();
        let mut body = Vec::new();
        let mut closed = false;
        for (_, l) in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                closed = true;
                break;
            }
            body.push(l.to_string());
        }
        if !closed {
            return Err(format!("line {}: unclosed code block", i + 1));
        }
        let skip = match prev.trim().strip_prefix(SKIP) {
            Some(rest) => {
                let why = rest.trim().trim_end_matches("-->").trim();
                let why = why.strip_prefix('(').and_then(|w| w.strip_suffix(')'));
                match why {
                    Some(w) if !w.trim().is_empty() => Some(w.to_string()),
                    _ => {
                        return Err(format!(
                            "line {}: a skip must say why: `<!-- docs-test: skip (why) -->`",
                            i
                        ))
                    }
                }
            }
            None => None,
        };
        prev = "";
        if SHELLS.contains(&lang.as_str()) {
            out.push(Block {
                line: i + 1,
                skip,
                lines: body,
            });
        }
    }
    Ok(out)
}

/// Whether `actual` is what `expected` shows (`…` lines match any run of lines).
fn matches(expected: &[String], actual: &str) -> bool {
    fn norm<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        let mut v: Vec<&str> = lines.map(str::trim_end).collect();
        while v.last() == Some(&"") {
            v.pop();
        }
        v
    }
    let want = norm(expected.iter().map(String::as_str));
    let got = norm(actual.lines());
    fn go(want: &[&str], got: &[&str]) -> bool {
        match want.split_first() {
            None => got.is_empty(),
            Some((&w, rest)) if w.trim() == "…" || w.trim() == "..." => {
                (0..=got.len()).any(|k| go(rest, &got[k..]))
            }
            Some((&w, rest)) => got.first() == Some(&w) && go(rest, &got[1..]),
        }
    }
    go(&want, &got)
}

/// The command as the test runs it: `cargo run [--release] --` becomes `gilvm`.
fn translate(cmd: &str) -> String {
    for prefix in ["cargo run --release -- ", "cargo run -- "] {
        if let Some(rest) = cmd.strip_prefix(prefix) {
            return format!("gilvm {rest}");
        }
    }
    cmd.to_string()
}

struct Shell {
    dir: PathBuf,
    status: i32,
}

impl Shell {
    /// A scratch directory for one markdown file (see the module's doc).
    fn new(name: &str) -> Shell {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = std::env::temp_dir().join(format!("gilvm-docs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        for sub in ["programs", "bench"] {
            std::os::unix::fs::symlink(root.join(sub), dir.join(sub)).expect("link");
        }
        if let Ok(entries) = std::fs::read_dir(root.join("docs/examples")) {
            for e in entries.flatten() {
                std::fs::copy(e.path(), dir.join(e.file_name())).expect("copy example");
            }
        }
        Shell { dir, status: 0 }
    }

    /// Runs `cmd` with `sh` (stderr into stdout); returns (status, output).
    fn run(&mut self, cmd: &str) -> (i32, String) {
        let bin = Path::new(env!("CARGO_BIN_EXE_gilvm"))
            .parent()
            .expect("bin dir")
            .to_path_buf();
        let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )))
        .expect("PATH");
        let script = format!("(exit {}); {{ {}\n}} 2>&1", self.status, translate(cmd));
        let out = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .current_dir(&self.dir)
            .env("PATH", path)
            .env_remove("NO_COLOR")
            .env("COLUMNS", "100")
            .output()
            .expect("run sh");
        self.status = out.status.code().unwrap_or(-1);
        (
            self.status,
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The expected exit status a prompt-less command's comment names (`# exit 4: …`).
fn expected_status(line: &str) -> (String, i32) {
    match line.split_once(" #") {
        Some((cmd, comment)) => {
            let status = comment
                .trim()
                .strip_prefix("exit ")
                .and_then(|r| {
                    r.split(|c: char| !c.is_ascii_digit())
                        .next()
                        .and_then(|d| d.parse().ok())
                })
                .unwrap_or(0);
            (cmd.trim().to_string(), status)
        }
        None => (line.trim().to_string(), 0),
    }
}

/// Output to write back into the markdown (`UPDATE_DOCS=1`): 0-based lines `start..end`
/// become `lines`.
type Update = (usize, usize, Vec<String>);

/// Runs every block of `markdown` (named `name` in messages); the list of failures.
fn check(name: &str, markdown: &str, only_first: bool) -> Vec<String> {
    check_updating(name, markdown, only_first, &mut Vec::new())
}

fn check_updating(
    name: &str,
    markdown: &str,
    only_first: bool,
    updates: &mut Vec<Update>,
) -> Vec<String> {
    let blocks = match blocks(markdown) {
        Ok(b) => b,
        Err(e) => return vec![format!("{name}: {e}")],
    };
    let mut shell = Shell::new(&name.replace(['/', '.'], "_"));
    let mut failures = Vec::new();
    for block in blocks.iter().take(if only_first { 1 } else { usize::MAX }) {
        if block.skip.is_some() {
            continue;
        }
        let transcript = block.lines.iter().any(|l| l.starts_with("$ "));
        if !transcript {
            let cmds: Vec<&String> = block
                .lines
                .iter()
                .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .collect();
            let runnable = |l: &str| l.starts_with("gilvm ") || l.starts_with("cargo run");
            if cmds.is_empty() || !cmds.iter().all(|l| runnable(l)) {
                failures.push(format!(
                    "{name}:{}: a shell block that is neither a transcript (`$ ` lines) nor a list of gilvm commands; mark it `<!-- docs-test: skip (why) -->`",
                    block.line
                ));
                continue;
            }
            for l in cmds {
                let (cmd, want) = expected_status(l);
                let (got, out) = shell.run(&cmd);
                if got != want {
                    failures.push(format!(
                        "{name}:{}: `{cmd}` exited {got}, the text says {want}:\n{out}",
                        block.line
                    ));
                }
            }
            continue;
        }
        let mut i = 0;
        while i < block.lines.len() {
            let Some(cmd) = block.lines[i].strip_prefix("$ ") else {
                failures.push(format!(
                    "{name}:{}: output before the first `$ ` command",
                    block.line
                ));
                break;
            };
            let mut j = i + 1;
            while j < block.lines.len() && !block.lines[j].starts_with("$ ") {
                j += 1;
            }
            let expected = &block.lines[i + 1..j];
            let (_, out) = shell.run(cmd);
            if !matches(expected, &out) {
                // A transcript with `…` is cut by hand: it is reported, never rewritten.
                if !expected
                    .iter()
                    .any(|l| l.trim() == "…" || l.trim() == "...")
                {
                    let first = block.line + i + 1;
                    updates.push((
                        first,
                        first + expected.len(),
                        out.lines().map(String::from).collect(),
                    ));
                }
                failures.push(format!(
                    "{name}:{}: `{cmd}` printed\n{out}--- the text shows\n{}\n",
                    block.line + 1 + i,
                    expected.join("\n")
                ));
            }
            i = j;
        }
    }
    failures
}

fn check_file(rel: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join(rel)).expect("read the markdown");
    let mut updates = Vec::new();
    let failures = check_updating(rel, &text, false, &mut updates);
    if std::env::var_os("UPDATE_DOCS").is_some() && !updates.is_empty() {
        // `UPDATE_DOCS=1 cargo test --test docs_commands` writes the real output into the
        // transcripts that differ (those without `…`); review the diff before committing.
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        for (start, end, new) in updates.into_iter().rev() {
            lines.splice(start..end, new);
        }
        let mut out = lines.join("\n");
        out.push('\n');
        std::fs::write(root.join(rel), out).expect("write the markdown");
    }
    assert!(
        failures.is_empty(),
        "{} example(s) differ from what gilvm does:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn readme_commands_print_what_the_readme_shows() {
    check_file("README.md");
}

#[test]
fn tutorial_commands_print_what_the_tutorial_shows() {
    check_file("docs/tutorial.md");
}

// --- the driver itself ---

fn strings(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|s| s.to_string()).collect()
}

#[test]
fn ellipsis_matches_any_run_of_lines() {
    let want = strings(&["a", "…", "d"]);
    assert!(matches(&want, "a\nb\nc\nd\n"));
    assert!(matches(&want, "a\nd\n"));
    assert!(!matches(&want, "a\nb\nc\n"));
    assert!(!matches(&strings(&["a", "b"]), "a\nb\nc\n"));
    assert!(matches(&strings(&["a  ", "b", ""]), "a\nb\n\n"));
    assert!(matches(&strings(&["x", "..."]), "x\n"));
}

#[test]
fn blocks_skips_and_commands_are_read() {
    let md = "text\n<!-- docs-test: skip (slow) -->\n```sh\ncargo test\n```\n\n```console\n$ gilvm x\nout\n```\n```python\nprint(1)\n```\n";
    let b = blocks(md).unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].skip.as_deref(), Some("slow"));
    assert_eq!(b[1].skip, None);
    assert_eq!(b[1].lines, strings(&["$ gilvm x", "out"]));
    assert!(blocks("<!-- docs-test: skip -->\n```sh\nx\n```\n").is_err());
    assert_eq!(
        translate("cargo run --release -- run p.toy"),
        "gilvm run p.toy"
    );
    assert_eq!(
        expected_status("gilvm run x.toy   # exit 4: deadlock"),
        ("gilvm run x.toy".to_string(), 4)
    );
}

/// The test fails when an example's shown output is edited: the README's first transcript,
/// with one output line changed, is reported (and unchanged, it passes).
#[test]
fn an_edited_example_fails() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("README.md")).expect("README");
    let start = text
        .find("```sh\n$ cargo run")
        .expect("the README's demo transcript");
    let demo = &text[start..];
    let end = demo[6..].find("```").expect("end of block") + 6 + 3;
    let demo = &demo[..end];
    assert!(check("demo", demo, true).is_empty(), "the demo as written");
    let edited = demo.replacen("177460", "177461", 1);
    assert_ne!(edited, demo);
    let failures = check("demo", &edited, true);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("177461"), "{}", failures[0]);
}

#[test]
fn an_unmarked_shell_block_fails() {
    let failures = check("x", "```sh\npython3 bench/perf.py\n```\n", false);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("docs-test: skip"));
}
