//! The HTML trace page in a real browser: headless Chromium loads it with no script error
//! and shows one lane per thread plus the GIL lane, and the lost updates. Also: the page is
//! self-contained (nothing that would make a network request).
//!
//! Skipped, with a visible message, when `chromium` is not installed (`.ci/run` installs it).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::browser::chromium;

fn dump_dom(browser: &Path, page: &Path) -> String {
    let name = page.file_stem().map(|s| s.to_string_lossy().into_owned());
    let profile = format!("trace_html_{}", name.unwrap_or_default());
    common::browser::dump_dom(browser, page, "", &profile)
}

fn page(args: &[&str], name: &str) -> (PathBuf, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("trace_html");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join(name);
    let out = Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(args)
        .args(["--format", "html", "-q", "-o"])
        .arg(&path)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("gilvm runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&path).expect("page written");
    (path, html)
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn the_page_is_self_contained() {
    let (_, html) = page(
        &[
            "trace",
            "tests/trace/race_small.toy",
            "--seed",
            "3",
            "--switch-interval",
            "4",
        ],
        "small.html",
    );
    for needle in ["src=", "href=", "http://", "https://", "@import", "url("] {
        assert!(!html.contains(needle), "the page contains `{needle}`");
    }
}

#[test]
fn the_page_shows_lanes_and_lost_updates_in_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium not found (install the Debian package `chromium`)");
        return;
    };
    // A small race: 3 threads (MainThread + 2), 2 lost updates.
    let (path, _) = page(
        &[
            "trace",
            "tests/trace/race_small.toy",
            "--seed",
            "3",
            "--switch-interval",
            "4",
        ],
        "small.html",
    );
    let dom = dump_dom(&browser, &path);
    assert!(
        dom.contains("data-status=\"ready\""),
        "the script did not finish: {dom}"
    );
    assert!(!dom.contains("data-errors"), "script errors: {dom}");
    assert_eq!(count(&dom, "class=\"lane gil\""), 1);
    assert_eq!(count(&dom, "class=\"lane\" data-tid="), 3);
    assert!(
        dom.contains("Lost update #1 on counter"),
        "the first lost update is shown"
    );
    assert_eq!(count(&dom, "<li data-i="), 2, "two lost updates listed");
    // (The scrubber may add its own classes after `store`: `store here running`.)
    assert!(
        dom.contains("class=\"store\"") || dom.contains("class=\"store "),
        "the source marks the lines involved"
    );

    // The seed's 400,000-increment program: 5 lanes, and the page stays usable.
    let (path, html) = page(
        &["trace", "programs/counter_race.toy", "--seed", "7"],
        "race.html",
    );
    assert!(
        html.len() < 8_000_000,
        "the page is summarised ({} bytes)",
        html.len()
    );
    let dom = dump_dom(&browser, &path);
    assert!(
        dom.contains("data-status=\"ready\""),
        "the script did not finish"
    );
    assert!(!dom.contains("data-errors"), "script errors");
    assert_eq!(count(&dom, "class=\"lane\" data-tid="), 5);
    assert_eq!(
        count(&dom, "<li data-i="),
        1000,
        "the first 1000 lost updates are explained"
    );
    assert!(dom.contains("are marked but not explained"));
}
