//! The HTML page shows the race, not only its end (issue #17), checked in headless Chromium:
//! the scrubber, opened at a step (`page.html#step=N`), shows the thread that ran it, its
//! line, each thread's locals and the shared values the JSON Lines trace of the same run says
//! they had; the read-to-stale-store window of a lost update is drawn on both threads' lanes;
//! a check-then-act finding is listed and drawn; the output panel shows the program's stdout
//! (written with `-o`, which still prints it on stdout); a run longer than the scrubber's
//! exact first part says where it becomes coarse.
//!
//! Skipped, with a visible message, when `chromium` is not installed (`.ci/run` installs it).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::browser::chromium;

use serde_json::Value;

fn gilvm(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("gilvm runs")
}

/// Writes the HTML trace of `args` with `-o`; returns its path and what gilvm printed.
fn page(args: &[&str], name: &str) -> (PathBuf, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html_scrubber");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join(name);
    let mut all: Vec<&str> = args.to_vec();
    let p = path.to_str().expect("utf-8 path");
    all.extend(["--format", "html", "-q", "-o", p]);
    let out = gilvm(&all);
    (path, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn jsonl(args: &[&str]) -> Vec<Value> {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--format", "jsonl", "-q"]);
    let out = gilvm(&all);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn dump_dom(browser: &Path, page: &Path, fragment: &str, name: &str) -> String {
    let dom = common::browser::dump_dom(browser, page, fragment, &format!("html_scrubber_{name}"));
    assert!(
        dom.contains("data-status=\"ready\""),
        "the page did not finish: {}",
        attr(&dom, "body", "data-errors").unwrap_or_default()
    );
    dom
}

/// The element with `id` (from its opening tag to the first closing `</tag>`).
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

/// The value of attribute `name` in the first tag `<tag …>` of `html` that has it.
fn attr(html: &str, tag: &str, name: &str) -> Option<String> {
    let mut rest = html;
    while let Some(i) = rest.find(&format!("<{tag}")) {
        let t = &rest[i..];
        let end = t.find('>')?;
        let open = &t[..end];
        let key = format!(" {name}=\"");
        if let Some(k) = open.find(&key) {
            let v = &open[k + key.len()..];
            return v.find('"').map(|e| v[..e].to_string());
        }
        rest = &t[end..];
    }
    None
}

/// Text with tags removed and entities decoded (enough for these pages).
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The card of thread `tid` in the scrubber.
fn card(dom: &str, tid: u64) -> String {
    // The cards hold nested elements: the box ends where the shared values begin.
    let start = dom
        .find("<div id=\"scrub-threads\"")
        .expect("scrub-threads");
    let end = dom
        .find("<table id=\"scrub-shared\"")
        .expect("scrub-shared");
    let box_ = &dom[start..end];
    let key = format!("data-tid=\"{tid}\"");
    let start = box_
        .find(&key)
        .unwrap_or_else(|| panic!("no card for T{tid}: {box_}"));
    let rest = &box_[start..];
    let end = rest[1..]
        .find("class=\"scrub-thread")
        .map_or(rest.len(), |e| e + 1);
    rest[..end].to_string()
}

const RACE: [&str; 6] = [
    "trace",
    "tests/trace/race_small.toy",
    "--seed",
    "3",
    "--switch-interval",
    "4",
];

#[test]
fn the_scrubber_shows_the_line_locals_and_shared_values_at_a_step() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium not found (install the Debian package `chromium`)");
        return;
    };
    let (path, _) = page(&RACE, "race.html");
    let recs = jsonl(&RACE);
    let instrs: Vec<&Value> = recs.iter().filter(|r| r["type"] == "instr").collect();
    // Two neighbouring steps where the running thread changes hands, and one inside a turn:
    // the scrubber must follow the recorded run exactly.
    let lost = recs
        .iter()
        .find(|r| r["type"] == "lost")
        .expect("seed 3 loses an update");
    let store = lost["step"].as_u64().expect("step");
    let read = lost["read_step"].as_u64().expect("read step");
    for step in [read, read + 1, store - 1, store] {
        let ins = instrs
            .iter()
            .find(|i| i["step"] == step)
            .unwrap_or_else(|| panic!("no instr at step {step}"));
        let dom = dump_dom(&browser, &path, &format!("#step={step}"), "race");
        let pos = element(&dom, "p", "scrub-pos");
        assert_eq!(attr(pos, "p", "data-step"), Some(step.to_string()), "{pos}");
        assert_eq!(
            attr(pos, "p", "data-tid"),
            Some(ins["tid"].to_string()),
            "{pos}"
        );
        assert_eq!(
            attr(pos, "p", "data-line"),
            Some(ins["line"].to_string()),
            "{pos}"
        );
        // Each worker's loop variable: its last store at or before the step.
        for tid in [1u64, 2] {
            let last = instrs.iter().rev().find(|i| {
                i["tid"] == tid
                    && i["step"].as_u64() <= Some(step)
                    && i["op"] == "STORE_FAST"
                    && i["access"]["var"] == "_"
            });
            let c = text(&card(&dom, tid));
            match last {
                Some(i) => assert!(
                    c.contains(&format!(
                        "locals of work _ {}",
                        i["access"]["value"].as_str().unwrap_or("?")
                    )),
                    "T{tid} at step {step}: {c}"
                ),
                None => assert!(
                    !c.contains("locals of work _"),
                    "T{tid} at step {step}: {c}"
                ),
            }
        }
        // The shared counter: the last value stored at or before the step.
        let counter = instrs
            .iter()
            .rev()
            .find(|i| {
                i["step"].as_u64() <= Some(step)
                    && i["op"] == "STORE_GLOBAL"
                    && i["access"]["var"] == "counter"
            })
            .and_then(|i| i["access"]["value"].as_str())
            .expect("counter was stored");
        let shared = text(element(&dom, "table", "scrub-shared"));
        assert!(
            shared.contains(&format!("counter {counter}")),
            "step {step}: {shared}"
        );
        // The running thread's line is marked in the source view, with its label.
        let src = element(&dom, "ol", "source");
        let at = src
            .find(&format!("<li data-line=\"{}\"", ins["line"]))
            .expect("source line");
        let li = &src[at..at + src[at..].find("</li>").expect("li end")];
        let class = attr(li, "li", "class").unwrap_or_default();
        assert!(
            class.split(' ').any(|c| c == "running"),
            "step {step}: {li}"
        );
        assert!(
            li.contains(&format!(">T{}</span>", ins["tid"])),
            "step {step}: {li}"
        );
    }
}

#[test]
fn a_lost_update_s_race_window_is_drawn_on_both_lanes() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium not found (install the Debian package `chromium`)");
        return;
    };
    let (path, stdout) = page(&RACE, "window.html");
    let recs = jsonl(&RACE);
    let lost = recs
        .iter()
        .find(|r| r["type"] == "lost")
        .expect("a lost update");
    let dom = dump_dom(&browser, &path, "", "window");
    let windows = attr(&dom, "canvas", "data-race-windows").expect("windows drawn");
    let want = format!("{}:{}-{}", lost["tid"], lost["read_t_ns"], lost["t_ns"]);
    assert!(
        windows.split(' ').any(|w| w == want),
        "{want} not in {windows}"
    );
    let writes = attr(&dom, "canvas", "data-other-writes").expect("writes drawn");
    let want = format!("{}@{}", lost["other_tid"], lost["other_t_ns"]);
    assert!(
        writes.split(' ').any(|w| w == want),
        "{want} not in {writes}"
    );
    // The value track of the shared counter, and the output panel (with -o the output still
    // goes to stdout, and the page keeps a copy).
    assert!(
        attr(&dom, "canvas", "data-tracks").is_some_and(|t| t.starts_with("counter:")),
        "no counter track"
    );
    let final_value = stdout.trim();
    assert!(
        !final_value.is_empty(),
        "the program's output went to stdout"
    );
    assert!(
        text(element(&dom, "pre", "output")) == final_value,
        "{}",
        element(&dom, "pre", "output")
    );
    // Opened without a step, the scrubber stands on the first lost update's stale store.
    let pos = element(&dom, "p", "scrub-pos");
    assert_eq!(
        attr(pos, "p", "data-step"),
        Some(lost["step"].to_string()),
        "{pos}"
    );
}

#[test]
fn check_then_act_is_listed_drawn_and_told_on_the_page() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium not found (install the Debian package `chromium`)");
        return;
    };
    let args = ["trace", "programs/check_then_act/cache.toy", "--seed", "1"];
    let (path, stdout) = page(&args, "cache.html");
    assert_eq!(stdout, "6 values computed for 3 keys\n");
    let recs = jsonl(&args);
    let ctas: Vec<&Value> = recs
        .iter()
        .filter(|r| r["type"] == "check_then_act")
        .collect();
    assert_eq!(ctas.len(), 3, "seed 1 acts on three stale checks");
    let dom = dump_dom(&browser, &path, "", "cache");
    assert!(
        attr(&dom, "div", "data-kinds").is_some_and(|k| k.contains("check-then-act")),
        "the story does not tell the check-then-act"
    );
    let list = element(&dom, "ol", "cta-list");
    assert_eq!(list.matches("<li").count(), 3, "{list}");
    assert!(
        text(list).contains("checked `key not in cache` for key 0 (True) at line 14"),
        "{list}"
    );
    // The page opens zoomed on the first finding: its check-to-act window on the acting
    // thread's lane and the other thread's write on its lane.
    let drawn = attr(&dom, "canvas", "data-cta-windows").expect("cta drawn");
    let c = ctas[0];
    let want = format!("{}:{}-{}", c["tid"], c["check_t_ns"], c["t_ns"]);
    assert!(drawn.split(' ').any(|w| w == want), "{want} not in {drawn}");
    let writes = attr(&dom, "canvas", "data-other-writes").expect("writes drawn");
    let want = format!("{}@{}", c["other_tid"], c["other_t_ns"]);
    assert!(
        writes.split(' ').any(|w| w == want),
        "{want} not in {writes}"
    );
    assert!(c["check_t_ns"].as_u64() < c["other_t_ns"].as_u64());
    assert!(c["other_t_ns"].as_u64() < c["t_ns"].as_u64());
    // The first finding is chosen: its check, the other write and the act marked in the source.
    let src = element(&dom, "ol", "source");
    for (line, words) in [
        (14, "checked key not in cache → True"),
        (19, "acted on its stale check"),
    ] {
        let at = src
            .find(&format!("data-line=\"{line}\""))
            .expect("source line");
        let li = &src[at..at + src[at..].find("</li>").expect("li end")];
        assert!(text(li).contains(words), "line {line}: {li}");
    }
    assert!(text(element(&dom, "pre", "output")).contains("6 values computed for 3 keys"));
    assert!(
        attr(&dom, "canvas", "data-tracks").is_some_and(|t| t.contains("cache:")),
        "no cache track"
    );
}

#[test]
fn a_run_longer_than_the_scrubber_says_what_it_covers() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium not found (install the Debian package `chromium`)");
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html_scrubber");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let prog = dir.join("long.toy");
    std::fs::write(
        &prog,
        "import threading\ncounter = 0\ndef work():\n    global counter\n    for _ in range(20000):\n        counter += 1\n\
ts = [threading.Thread(target=work) for _ in range(2)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(counter)\n",
    )
    .expect("write");
    let (path, _) = page(
        &["trace", prog.to_str().expect("utf-8"), "--seed", "1"],
        "long.html",
    );
    let size = std::fs::metadata(&path).expect("page").len();
    assert!(size < 6_000_000, "the page is {size} bytes");
    let dom = dump_dom(&browser, &path, "#step=99999", "long");
    let note = text(element(&dom, "p", "scrub-note"));
    assert!(
        note.contains(
            "The scrubber steps through every one of the first 100,000 instructions of the run"
        ) && note.contains("after that it is coarse"),
        "{note}"
    );
    assert_eq!(
        attr(element(&dom, "p", "scrub-pos"), "p", "data-step"),
        Some("99999".into())
    );
    // The slider goes on past the first part (to thread switches and race windows), up to
    // the run's last instruction.
    let max: u64 = attr(element(&dom, "input", "scrub"), "input", "max")
        .and_then(|m| m.parse().ok())
        .expect("the slider's range");
    assert!(max > 99_999, "the slider ends at {max}");
    let dom = dump_dom(&browser, &path, "#step=200000", "long_coarse");
    let pos = element(&dom, "p", "scrub-pos");
    let at: u64 = attr(pos, "p", "data-step")
        .and_then(|s| s.parse().ok())
        .expect("a step");
    assert!((199_000..=200_000).contains(&at), "step {at}");
    assert!(
        text(element(&dom, "p", "scrub-coarse")).contains("Coarse here"),
        "{pos}"
    );
}
