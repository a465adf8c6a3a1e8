//! The HTML trace page of a deadlock and of a crashed thread, loaded in headless Chromium:
//! the page runs without a script error, its help text says what the run contains, the
//! deadlock's report, held locks and waits are there with the locks' names, the crashed
//! thread is listed with its exception and line, and the source lines are marked.
//!
//! Skipped, with a visible message, when `chromium` is not installed (`.ci/run` installs it).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::browser::chromium;

fn dump_dom(browser: &Path, page: &Path, name: &str) -> String {
    common::browser::dump_dom(browser, page, "", &format!("views_html_{name}"))
}

/// Writes the HTML trace of `args` and returns its path and the exit status of the run.
fn page(args: &[&str], name: &str) -> (PathBuf, i32) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("views_html");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join(name);
    let out = Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(args)
        .args(["--format", "html", "-q", "-o"])
        .arg(&path)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("gilvm runs");
    (path, out.status.code().unwrap_or(-1))
}

/// The text of the element with `id` (its inner HTML, up to its closing tag).
fn element<'a>(dom: &'a str, tag: &str, id: &str) -> &'a str {
    let open = format!("<{tag} id=\"{id}\"");
    let start = dom
        .find(&open)
        .unwrap_or_else(|| panic!("no {open} in the DOM"));
    let rest = &dom[start..];
    let close = format!("</{tag}>");
    let end = rest.find(&close).map_or(rest.len(), |e| e + close.len());
    &rest[..end]
}

#[test]
fn a_deadlock_s_page_shows_the_cycle_the_locks_and_the_waits() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium not found (install the Debian package `chromium`)");
        return;
    };
    let (path, code) = page(
        &[
            "trace",
            "programs/bank_transfer_deadlock.toy",
            "--seed",
            "0",
        ],
        "deadlock.html",
    );
    assert_eq!(code, 4, "the run deadlocks");
    let dom = dump_dom(&browser, &path, "deadlock");
    assert!(
        dom.contains("<body data-status=\"ready\">"),
        "script error:\n{dom}"
    );
    let story = element(&dom, "div", "story");
    assert!(story.contains("data-kinds=\"deadlock\""), "{story}");
    assert!(
        story.contains("This run <b>deadlocks</b>: cycle: Thread-1 (transfer) -&gt; Thread-2 (transfer) -&gt; Thread-1 (transfer)."),
        "{story}"
    );
    let section = element(&dom, "section", "deadlock");
    assert!(!section.contains("hidden"), "the deadlock section is shown");
    for needle in [
        "waiting for Lock locks['bob'] (created at programs/bank_transfer_deadlock.toy:10), held by Thread-2 (transfer) since line 14",
        "cycle: Thread-1 (transfer) -&gt; Thread-2 (transfer) -&gt; Thread-1 (transfer)",
        "<li>Thread-1 (transfer) holds locks['alice'] since 208 ns (line 14)</li>",
        "<li>Thread-2 (transfer) holds locks['bob'] since 256 ns (line 14)</li>",
    ] {
        assert!(section.contains(needle), "lacks {needle:?}\n{section}");
    }
    assert!(!dom.contains("0x7f"), "no address on the page");
    assert!(
        dom.contains("<li data-line=\"16\" class=\"blocked\">"),
        "the line the threads wait at is marked"
    );
    let crashes = element(&dom, "section", "crashes");
    assert!(crashes.contains("hidden"), "no crash section: {crashes}");
}

#[test]
fn a_crashed_thread_s_page_names_the_exception_and_its_line() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium not found (install the Debian package `chromium`)");
        return;
    };
    let (path, code) = page(
        &[
            "trace",
            "programs/condition_if_not_while.toy",
            "--seed",
            "14",
        ],
        "crash.html",
    );
    assert_eq!(code, 0, "a crashed thread does not change the exit status");
    let dom = dump_dom(&browser, &path, "crash");
    assert!(
        dom.contains("<body data-status=\"ready\">"),
        "script error:\n{dom}"
    );
    let story = element(&dom, "div", "story");
    assert!(story.contains("data-kinds=\"crash\""), "{story}");
    assert!(
        story.contains("a thread crashes</b>: Thread-1 (consumer) died of IndexError: pop from empty list at line 19, in consumer."),
        "{story}"
    );
    let list = element(&dom, "ol", "crash-list");
    assert!(
        list.contains(
            "Thread-1 (consumer) died of IndexError: pop from empty list at line 19, in consumer"
        ),
        "{list}"
    );
    assert!(
        dom.contains("<li data-line=\"19\" class=\"crash\">"),
        "line 19 is marked"
    );
    assert!(element(&dom, "section", "deadlock").contains("hidden"));
}

#[test]
fn the_help_text_adapts_to_a_run_with_nothing_wrong_and_to_lost_updates() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium not found (install the Debian package `chromium`)");
        return;
    };
    let (path, _) = page(
        &["trace", "programs/bank_transfer_ordered.toy", "--seed", "0"],
        "clean.html",
    );
    let dom = dump_dom(&browser, &path, "clean");
    let story = element(&dom, "div", "story");
    assert!(story.contains("data-kinds=\"none\""), "{story}");
    assert!(story.contains("Nothing went wrong in this run"), "{story}");
    let (path, _) = page(
        &[
            "trace",
            "programs/lesson_lost_update.toy",
            "--seed",
            "0",
            "--gil",
            "nogil",
        ],
        "lost.html",
    );
    let dom = dump_dom(&browser, &path, "lost");
    let story = element(&dom, "div", "story");
    assert!(story.contains("data-kinds=\"lost-update\""), "{story}");
    assert!(story.contains("This run <b>loses updates</b>"), "{story}");
}
