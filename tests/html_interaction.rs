//! The HTML page's buttons, keys and slider, pressed in headless Chromium (issue #17): a copy
//! of the generated page gets a script that, after the page's own scripts ran, clicks the real
//! buttons (`◀ step`, `step ▶`, `◀◀ switch`, `switch ▶▶`), dispatches the real key events (←,
//! →, Shift+→, PageUp, PageDown, Home, End) and moves the slider, and after each writes what
//! the page then shows into the DOM: the step, the thread that ran it and its line, each
//! thread's card (line, locals) and the shared values. `--dump-dom` returns it, and each
//! position is checked against the JSON Lines trace of the same run: the step each action
//! must reach, the line each thread stands on, the locals it holds, the shared values.
//!
//! Also checked this way: value tracks of an instance attribute (`acct.balance`) and of a
//! closure cell (`count`), and the scrubber past the exact first 100,000 instructions, where
//! it keeps thread switches and the race windows of lost updates exactly.
//!
//! Skipped, with a visible message, when `chromium` is not installed (`.ci/run` installs it).

mod common;

use std::collections::HashMap;
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

fn tmp() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html_interaction");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir
}

/// Writes the HTML trace of `args` with `-o` and returns its path.
fn page(args: &[&str], name: &str) -> PathBuf {
    let path = tmp().join(name);
    let mut all: Vec<&str> = args.to_vec();
    all.extend([
        "--format",
        "html",
        "-q",
        "-o",
        path.to_str().expect("utf-8"),
    ]);
    let out = gilvm(&all);
    assert!(path.exists(), "{}", String::from_utf8_lossy(&out.stderr));
    path
}

/// The same run's JSON Lines trace.
struct Trace {
    records: Vec<Value>,
    /// Instruction records by step.
    instr: HashMap<u64, Value>,
    /// Their steps, in order.
    order: Vec<u64>,
    /// Turns: (tid, first step, instructions).
    turns: Vec<(u64, u64, u64)>,
}

impl Trace {
    fn of(args: &[&str]) -> Trace {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--format", "jsonl", "-q"]);
        let out = gilvm(&all);
        let records: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect();
        let mut instr = HashMap::new();
        let mut turns = Vec::new();
        for r in &records {
            if r["type"] == "instr" {
                instr.insert(r["step"].as_u64().expect("step"), r.clone());
            } else if r["type"] == "turn" {
                let n = r["instructions"].as_u64().expect("instructions");
                if n > 0 {
                    turns.push((
                        r["tid"].as_u64().expect("tid"),
                        r["start_step"].as_u64().expect("start"),
                        n,
                    ));
                }
            }
        }
        turns.sort_by_key(|t| t.1);
        let mut order: Vec<u64> = instr.keys().copied().collect();
        order.sort_unstable();
        Trace {
            records,
            instr,
            order,
            turns,
        }
    }

    fn steps(&self) -> u64 {
        self.turns.last().map_or(0, |t| t.1 + t.2)
    }

    /// The thread that ran `step`.
    fn tid_at(&self, step: u64) -> u64 {
        let i = self.turns.partition_point(|t| t.1 <= step) - 1;
        self.turns[i].0
    }

    /// The last step of `tid` at or before `step`.
    fn last_step_of(&self, tid: u64, step: u64) -> Option<u64> {
        let i = self.turns.partition_point(|t| t.1 <= step);
        self.turns[..i]
            .iter()
            .rev()
            .find(|t| t.0 == tid)
            .map(|t| (t.1 + t.2 - 1).min(step))
    }

    /// The step the scrubber's "next switch" reaches from `step` in the exact part: the first
    /// later step run by another thread.
    fn next_switch(&self, step: u64) -> u64 {
        let tid = self.tid_at(step);
        let i = self.turns.partition_point(|t| t.1 <= step);
        self.turns[i..]
            .iter()
            .find(|t| t.0 != tid)
            .map_or(self.steps() - 1, |t| t.1)
    }

    /// The step "previous switch" reaches: the last step of the run of turns of other threads
    /// before `step`'s own thread took over.
    fn prev_switch(&self, step: u64) -> u64 {
        let tid = self.tid_at(step);
        let mut s = step;
        while s > 0 && self.tid_at(s - 1) == tid {
            s = self.turns[self.turns.partition_point(|t| t.1 < s) - 1].1;
        }
        s.saturating_sub(1)
    }

    /// The function `tid`'s next recorded instruction after `step` runs in.
    fn next_code(&self, tid: u64, step: u64) -> Option<&str> {
        let n = self.order.partition_point(|&s| s <= step);
        self.order[n..]
            .iter()
            .map(|s| &self.instr[s])
            .find(|i| i["tid"] == tid)
            .and_then(|i| i["code"].as_str())
    }

    /// The instruction records at or before `step`, latest first.
    fn back_from(&self, step: u64) -> impl Iterator<Item = &Value> {
        let n = self.order.partition_point(|&s| s <= step);
        self.order[..n].iter().rev().map(|s| &self.instr[s])
    }

    /// The last access (load or store) of `var` by `tid` in function `code` at or before
    /// `step`: its value then.
    fn local(&self, tid: u64, code: &str, var: &str, step: u64) -> Option<String> {
        self.back_from(step).find_map(|i| {
            (i["tid"] == tid && i["code"] == code && i["access"]["var"] == var)
                .then(|| i["access"]["value"].as_str().map(str::to_string))
                .flatten()
        })
    }

    /// The last value stored into `var` (a global, an attribute or a closure variable) at or
    /// before `step`, by any thread.
    fn stored(&self, var: &str, step: u64) -> Option<String> {
        self.back_from(step).find_map(|i| {
            (i["access"]["kind"] == "store" && i["access"]["var"] == var)
                .then(|| i["access"]["value"].as_str().map(str::to_string))
                .flatten()
        })
    }
}

/// Copies `page`, runs `actions` (statements calling `probe(label)`, `click(id)`,
/// `key(name, shift)`, `slide(index)`) once the page is ready, and returns the probes.
fn drive(browser: &Path, page: &Path, fragment: &str, actions: &str, name: &str) -> Vec<Value> {
    let html = std::fs::read_to_string(page).expect("page");
    let script = format!(
        r#"<script>
window.addEventListener('load', () => setTimeout(() => {{
  const out = [];
  const $ = (id) => document.getElementById(id);
  function probe(label) {{
    const pos = $('scrub-pos');
    const cards = [...document.querySelectorAll('#scrub-threads .scrub-thread')].map((c) => {{
      const t = c.querySelector('table.locals');
      return {{
        tid: Number(c.dataset.tid), line: Number(c.dataset.line),
        running: c.classList.contains('running'),
        state: (c.querySelector('.state') || {{}}).textContent || '',
        fn: t ? t.dataset.function : null,
        locals: t ? [...t.querySelectorAll('tr')].map((tr) => [...tr.children].map((td) => td.textContent)).filter((r) => r.length === 2) : [],
      }};
    }});
    const shared = [...document.querySelectorAll('#scrub-shared tr[data-var]')].map((tr) => [tr.dataset.var, tr.children[1].textContent]);
    const running = [...document.querySelectorAll('#source li.running')].map((li) => Number(li.dataset.line));
    out.push({{label, step: Number(pos.dataset.step), tid: Number(pos.dataset.tid), line: Number(pos.dataset.line),
      coarse: pos.dataset.coarse === 'yes', coarseText: $('scrub-coarse').textContent, slider: Number($('scrub').value),
      sliderMax: Number($('scrub').max), hash: location.hash, cards, shared, running, note: $('scrub-note').textContent}});
  }}
  const click = (id) => $(id).click();
  const key = (k, shift) => document.body.dispatchEvent(new KeyboardEvent('keydown', {{key: k, shiftKey: !!shift, bubbles: true, cancelable: true}}));
  const slide = (v) => {{ const s = $('scrub'); s.value = String(v); s.dispatchEvent(new Event('input', {{bubbles: true}})); }};
  try {{
{actions}
  }} catch (e) {{ out.push({{error: String(e && e.stack || e)}}); }}
  const s = document.createElement('script');
  s.type = 'application/json'; s.id = 'probe'; s.textContent = JSON.stringify(out);
  document.body.appendChild(s);
}}, 0));
</script>
</body>"#
    );
    let at = html.rfind("</body>").expect("</body>");
    let driven = tmp().join(format!("driven_{name}.html"));
    std::fs::write(
        &driven,
        format!("{}{}{}", &html[..at], script, &html[at + 7..]),
    )
    .expect("write");
    let dom = common::browser::dump_dom(browser, &driven, fragment, &format!("interaction_{name}"));
    assert!(
        dom.contains("data-status=\"ready\""),
        "the page did not finish loading: {}",
        &dom[..dom.len().min(2000)]
    );
    let open = "<script type=\"application/json\" id=\"probe\">";
    let start = dom.find(open).expect("the probe script ran") + open.len();
    let end = start + dom[start..].find("</script>").expect("probe end");
    let probes: Vec<Value> = serde_json::from_str(&dom[start..end]).expect("probe JSON");
    for p in &probes {
        assert!(p.get("error").is_none(), "the driving script failed: {p}");
    }
    probes
}

/// Checks one position against the trace: the thread and line that ran the step, each
/// thread's line and locals, the shared values.
fn check(trace: &Trace, p: &Value, watched: &[(&str, &str)]) {
    let label = p["label"].as_str().unwrap_or("?");
    let step = p["step"].as_u64().expect("step");
    assert_eq!(
        p["tid"].as_u64(),
        Some(trace.tid_at(step)),
        "{label}: the thread that ran step {step}"
    );
    if let Some(i) = trace.instr.get(&step).filter(|i| i["line"] != 0) {
        assert_eq!(p["line"], i["line"], "{label}: the line of step {step}");
        assert!(
            p["running"]
                .as_array()
                .is_some_and(|r| r.contains(&i["line"])),
            "{label}: the running line is marked in the source: {p}"
        );
    }
    assert_eq!(
        p["hash"].as_str(),
        Some(format!("#step={step}").as_str()),
        "{label}: the address keeps the position"
    );
    for c in p["cards"].as_array().expect("cards") {
        let tid = c["tid"].as_u64().expect("tid");
        assert_eq!(
            c["running"].as_bool(),
            Some(tid == trace.tid_at(step)),
            "{label}: T{tid}'s card: {c}"
        );
        let Some(last) = trace.last_step_of(tid, step) else {
            assert!(
                c["state"] == "has not run yet",
                "{label}: T{tid} has not run at step {step}: {c}"
            );
            continue;
        };
        let Some(i) = trace.instr.get(&last) else {
            continue; // a step inside gilvm's threading prelude: not in the trace
        };
        assert_eq!(
            c["line"], i["line"],
            "{label}: T{tid} stands on the line of its step {last}: {c}"
        );
        // The state shown is the one right after the step ran: after a call, the callee's
        // frame; after a return, the caller's: the frame of the thread's next instruction.
        let Some(code) = trace.next_code(tid, last) else {
            continue;
        };
        let state = c["state"].as_str().unwrap_or("");
        if state == "finished" || state.starts_with("died") {
            assert!(c["fn"].is_null(), "{label}: T{tid} has no frame: {c}");
            continue;
        }
        if code == "<module>" {
            // The module's variables are the shared ones: no locals table.
            assert!(c["fn"].is_null(), "{label}: T{tid} at module level: {c}");
            continue;
        }
        assert_eq!(
            c["fn"].as_str(),
            Some(code),
            "{label}: T{tid}'s locals are of the function it runs: {c}"
        );
        for l in c["locals"].as_array().expect("locals") {
            let (name, shown) = (l[0].as_str().expect("name"), l[1].as_str().expect("value"));
            if let Some(v) = trace.local(tid, code, name, last) {
                assert_eq!(
                    shown, v,
                    "{label}: T{tid}'s {name} at step {step} (last accessed by step {last})"
                );
            }
        }
    }
    for (shown_name, var) in watched {
        let row = p["shared"]
            .as_array()
            .expect("shared")
            .iter()
            .find(|r| r[0] == *shown_name)
            .unwrap_or_else(|| panic!("{label}: no shared value {shown_name}: {p}"));
        let want = trace
            .stored(var, step)
            .unwrap_or_else(|| "(not set yet)".into());
        assert_eq!(
            row[1].as_str(),
            Some(want.as_str()),
            "{label}: {shown_name} at step {step}"
        );
    }
}

fn step_of(p: &Value) -> u64 {
    p["step"].as_u64().expect("step")
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
fn buttons_keys_and_the_slider_move_the_scrubber_as_the_trace_says() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium not found (install the Debian package `chromium`)");
        return;
    };
    let path = page(&RACE, "race.html");
    let trace = Trace::of(&RACE);
    let last = trace.steps() - 1;
    // Start inside T1's first turn of the loop, where switches are a few steps apart.
    let start = trace
        .instr
        .values()
        .filter(|i| i["tid"] == 1 && i["line"] == 9)
        .map(|i| i["step"].as_u64().expect("step"))
        .min()
        .expect("T1 runs line 9");
    let actions = r#"
    probe('open');
    click('scrub-fwd'); probe('step ▶');
    click('scrub-fwd'); probe('step ▶ again');
    click('scrub-back'); probe('◀ step');
    key('ArrowRight'); probe('→');
    key('ArrowLeft'); probe('←');
    key('ArrowRight', true); probe('Shift+→');
    key('ArrowLeft', true); probe('Shift+←');
    key('PageDown'); probe('PageDown');
    key('PageDown'); probe('PageDown again');
    key('PageUp'); probe('PageUp');
    click('scrub-next-switch'); probe('switch ▶▶');
    click('scrub-prev-switch'); probe('◀◀ switch');
    slide(70); probe('slider to 70');
    key('End'); probe('End');
    click('scrub-fwd'); probe('step ▶ at the end');
    key('Home'); probe('Home');
    click('scrub-back'); probe('◀ step at the start');
"#;
    let probes = drive(&browser, &path, &format!("#step={start}"), actions, "race");
    assert_eq!(probes.len(), 18);
    // Where each action must lead (every step is recorded in this short run).
    let mut want = Vec::new();
    let mut at = start;
    let moves: [&dyn Fn(u64) -> u64; 18] = [
        &|s| s,
        &|s| s + 1,
        &|s| s + 1,
        &|s| s - 1,
        &|s| s + 1,
        &|s| s - 1,
        &|s| (s + 100).min(last),
        &|s| s.saturating_sub(100),
        &|s| trace.next_switch(s),
        &|s| trace.next_switch(s),
        &|s| trace.prev_switch(s),
        &|s| trace.next_switch(s),
        &|s| trace.prev_switch(s),
        &|_| 70,
        &|_| last,
        &|_| last,
        &|_| 0,
        &|_| 0,
    ];
    for m in moves {
        at = m(at);
        want.push(at);
    }
    let got: Vec<u64> = probes.iter().map(step_of).collect();
    assert_eq!(got, want, "the steps the actions reached");
    for p in &probes {
        assert_eq!(
            p["slider"].as_u64(),
            Some(step_of(p)),
            "the slider follows: {p}"
        );
        assert_eq!(p["sliderMax"].as_u64(), Some(last));
        assert_eq!(p["coarse"], false, "every step is recorded: {p}");
        check(&trace, p, &[("counter", "counter")]);
    }
    // The switches really switch threads.
    assert_ne!(probes[8]["tid"], probes[7]["tid"]);
    assert_ne!(probes[9]["tid"], probes[8]["tid"]);
}

#[test]
fn an_attribute_s_value_is_tracked_and_shown_at_every_step() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium not found (install the Debian package `chromium`)");
        return;
    };
    let prog = tmp().join("bank.toy");
    // programs/bank_account_race.toy, with fewer deposits so the trace stays small.
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/bank_account_race.toy"),
    )
    .expect("program")
    .replace("range(10000)", "range(300)");
    std::fs::write(&prog, src).expect("write");
    for var in [None, Some("balance"), Some("acct.balance")] {
        let mut args = vec!["trace", prog.to_str().expect("utf-8"), "--seed", "3"];
        if let Some(v) = var {
            args.extend(["--var", v]);
        }
        let path = page(&args, "bank.html");
        let html = std::fs::read_to_string(&path).expect("page");
        assert!(
            html.contains(r#"["w",["acct.balance"]]"#),
            "--var {var:?} watches acct.balance"
        );
        if var.is_some() {
            continue;
        }
        let trace = Trace::of(&args);
        let lost = trace
            .records
            .iter()
            .find(|r| r["type"] == "lost")
            .expect("seed 3 loses a deposit");
        let read = lost["read_step"].as_u64().expect("read step");
        // From the stale read, step by step to the store that loses the other's deposit.
        let n = lost["step"].as_u64().expect("step") - read;
        let mut actions = String::from("probe('read');\n");
        for k in 0..n {
            actions.push_str(&format!("key('ArrowRight'); probe('→ {}');\n", k + 1));
        }
        let probes = drive(&browser, &path, &format!("#step={read}"), &actions, "bank");
        for (k, p) in probes.iter().enumerate() {
            assert_eq!(step_of(p), read + k as u64);
            check(&trace, p, &[("acct.balance", "balance")]);
        }
        // The value in force at the stale read and the one after the store differ by what
        // the other thread's deposits added and the store erased.
        let first = &probes[0]["shared"][0][1];
        let final_ = &probes[probes.len() - 1]["shared"][0][1];
        assert_eq!(first, &lost["read_value"]);
        assert_eq!(final_, &lost["stored_value"]);
    }
}

#[test]
fn a_closure_cell_is_tracked_by_its_variable_s_name() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium not found (install the Debian package `chromium`)");
        return;
    };
    let prog = tmp().join("closure.toy");
    std::fs::write(
        &prog,
        "import threading\n\n\ndef make_counter():\n    count = 0\n\n    def inc():\n        nonlocal count\n        for _ in range(200):\n            count += 1\n\n    def get():\n        return count\n\n    return inc, get\n\n\ninc, get = make_counter()\nthreads = [threading.Thread(target=inc) for _ in range(2)]\nfor t in threads:\n    t.start()\nfor t in threads:\n    t.join()\nprint(get())\n",
    )
    .expect("write");
    let args = ["trace", prog.to_str().expect("utf-8"), "--seed", "2"];
    for var in [None, Some("count")] {
        let mut a = args.to_vec();
        if let Some(v) = var {
            a.extend(["--var", v]);
        }
        let path = page(&a, "closure.html");
        let html = std::fs::read_to_string(&path).expect("page");
        assert!(html.contains(r#"["w",["count"]]"#), "--var {var:?}");
    }
    let path = page(&args, "closure.html");
    let trace = Trace::of(&args);
    let actions = "probe('open'); for (let k = 0; k < 6; k++) { key('PageDown'); probe('PageDown ' + k); } slide(400); probe('slider'); key('End'); probe('End');";
    let probes = drive(&browser, &path, "", actions, "closure");
    for p in &probes {
        check(&trace, p, &[("count", "count")]);
    }
    // The end shows the value the program printed.
    let out = gilvm(&["run", prog.to_str().expect("utf-8"), "--seed", "2", "-q"]);
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(probes[probes.len() - 1]["shared"][0][1], printed.as_str());
}

#[test]
fn past_the_first_100000_instructions_the_scrubber_keeps_switches_and_race_windows() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium not found (install the Debian package `chromium`)");
        return;
    };
    let prog = tmp().join("long.toy");
    std::fs::write(
        &prog,
        "import threading\ncounter = 0\ndef work():\n    global counter\n    for i in range(9000):\n        counter += 1\n\
ts = [threading.Thread(target=work) for _ in range(2)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(counter)\n",
    )
    .expect("write");
    let args = ["trace", prog.to_str().expect("utf-8"), "--seed", "1"];
    let path = page(&args, "long.html");
    let trace = Trace::of(&args);
    let steps = trace.steps();
    assert!(steps > 120_000, "{steps} steps");
    let starts: std::collections::HashSet<u64> = trace.turns.iter().map(|t| t.1).collect();
    let ends: std::collections::HashSet<u64> = trace.turns.iter().map(|t| t.1 + t.2 - 1).collect();
    // A lost update past the first part: its read-to-store window is kept step by step.
    let lost = trace
        .records
        .iter()
        .find(|r| r["type"] == "lost" && r["read_step"].as_u64() > Some(100_000))
        .expect("a lost update after step 100,000");
    let read = lost["read_step"].as_u64().expect("read");
    let store = lost["step"].as_u64().expect("store");
    let mut actions = String::from("probe('read');\n");
    for k in 0..(store - read).min(40) {
        actions.push_str(&format!("key('ArrowRight'); probe('window {k}');\n"));
    }
    actions.push_str(
        "for (let k = 0; k < 8; k++) { key('PageDown'); probe('PageDown ' + k); }\n\
         slide(Number($('scrub').max) - 3); probe('slider near the end');\n\
         key('ArrowLeft'); probe('←'); key('End'); probe('End');\n",
    );
    let probes = drive(&browser, &path, &format!("#step={read}"), &actions, "long");
    let window = (store - read).min(40) as usize;
    for (k, p) in probes.iter().enumerate() {
        let step = step_of(p);
        if k <= window {
            assert_eq!(step, read + k as u64, "the window is exact: {p}");
        } else {
            // Elsewhere a position is a switch (a turn's first or last step) or the end.
            assert!(
                starts.contains(&step) || ends.contains(&step) || step == steps - 1,
                "step {step} is no switch: {p}"
            );
        }
        check(&trace, p, &[("counter", "counter")]);
    }
    // PageDown goes from switch to switch: each lands on the first step of a turn of
    // another thread, and none is skipped in a run this short.
    let downs: Vec<&Value> = probes[window + 1..window + 9].iter().collect();
    let mut from = step_of(&probes[window]);
    for p in &downs {
        let step = step_of(p);
        assert!(starts.contains(&step), "{p}");
        let between: Vec<&(u64, u64, u64)> = trace
            .turns
            .iter()
            .filter(|t| t.1 > from && t.1 < step && t.0 != trace.tid_at(t.1 - 1))
            .collect();
        assert!(
            between.is_empty(),
            "switches skipped between {from} and {step}: {between:?}"
        );
        from = step;
    }
    // The page says it is coarse there and how.
    let p = &probes[probes.len() - 2];
    assert_eq!(p["coarse"], true, "{p}");
    assert!(
        p["coarseText"]
            .as_str()
            .is_some_and(|t| t.contains("Coarse here")),
        "{p}"
    );
    assert!(
        p["note"].as_str().is_some_and(|t| t
            .contains("every one of the first 100,000 instructions")
            && t.contains("after that it is coarse")),
        "{p}"
    );
    assert_eq!(step_of(&probes[probes.len() - 1]), steps - 1);
}
