//! The HTML timeline: one self-contained page (no network request of any kind: the styles,
//! the script and the data are all inline) with swimlanes per thread over virtual time, a
//! lane for the GIL, blocked intervals, lost updates marked and explained on hover and click,
//! and the program's source beside it with the lines of a chosen lost update marked.
//!
//! The page is streamed: the shell first, then the data in `<script>` chunks as records come,
//! then the script that draws it. What it keeps is bounded, so a trace of the seed's
//! 400,000-increment program (about 28,000 turns and 9,000 lost updates) stays small and fast:
//! the first [`MAX_TURNS`] turns and [`MAX_BLOCKS`] blocked intervals are drawn, the first
//! [`MAX_LOST_EXPLAINED`] lost updates carry their explanation and the next
//! [`MAX_LOST_MARKS`] only a mark; the page says how many it left out. Instructions are not
//! in the page (use the text or JSON Lines trace for those).

use std::io::{self, Write};

use serde_json::{json, Value as Json};

use crate::trace::record::Record;
use crate::trace::recorder::Emit;
use crate::trace::scrub::ScrubEvent;

pub const MAX_TURNS: usize = 200_000;
pub const MAX_BLOCKS: usize = 100_000;
pub const MAX_LOST_EXPLAINED: usize = 1_000;
pub const MAX_LOST_MARKS: usize = 100_000;
const MAX_PRINTS: usize = 1_000;
/// Check-then-act findings drawn and explained.
pub const MAX_CTA: usize = 1_000;
/// Values of the watched variables kept (the recorder already samples them: `scrub.rs`).
pub const MAX_VALUES: usize = 200_000;
/// Scrubber steps per `S` row.
const STEP_CHUNK: usize = 10_000;
/// Lock-held spans drawn (issue #17's views); the page says how many it left out.
pub const MAX_LOCK_SPANS: usize = 100_000;
/// Rows per `<script>` chunk.
const CHUNK: usize = 2_000;

const CSS: &str = include_str!("page/page.css");
const JS: &str = include_str!("page/page.js");
/// Crashed threads, deadlocks and lock-held spans (issue #17's views), run before `JS`.
const VIEWS_JS: &str = include_str!("page/views.js");
/// The scrubber, race windows, check-then-act findings and value tracks, run before `JS`.
const SCRUB_JS: &str = include_str!("page/scrub.js");

pub struct Html<W: Write> {
    out: W,
    program: String,
    source: String,
    rows: Vec<Json>,
    turns: usize,
    blocks: usize,
    lost: usize,
    prints: usize,
    dropped_turns: usize,
    dropped_blocks: usize,
    dropped_lost: usize,
    /// Per thread: blocked since (ns), at which line, on what.
    blocked: Vec<Option<(u64, u32, String)>>,
    /// Locks held: (thread, object's name, since ns, line) — innermost last.
    held: Vec<(u32, String, u64, u32)>,
    lock_spans: usize,
    dropped_lock_spans: usize,
    ctas: usize,
    dropped_ctas: usize,
    /// The scrubber's steps not yet written: step, thread, line.
    steps: Vec<(u64, u32, u32)>,
    values: usize,
    dropped_values: usize,
    scrub_coarse: Option<u64>,
    /// Per thread: the function of its last locals row.
    locals_fn: Vec<Option<String>>,
}

impl<W: Write> Html<W> {
    pub fn new(out: W, program: &str, source: &str) -> Html<W> {
        Html {
            out,
            program: program.to_string(),
            source: source.to_string(),
            rows: Vec::new(),
            turns: 0,
            blocks: 0,
            lost: 0,
            prints: 0,
            dropped_turns: 0,
            dropped_blocks: 0,
            dropped_lost: 0,
            blocked: Vec::new(),
            held: Vec::new(),
            lock_spans: 0,
            dropped_lock_spans: 0,
            ctas: 0,
            dropped_ctas: 0,
            steps: Vec::new(),
            values: 0,
            dropped_values: 0,
            scrub_coarse: None,
            locals_fn: Vec::new(),
        }
    }

    fn start(&mut self, meta: &Json) -> io::Result<()> {
        let title = escape_html(&format!("gilvm trace: {}", self.program));
        write!(
            self.out,
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n\
<header><h1>{title}</h1><p id=\"meta\"></p></header>\n\
<main>\n<section id=\"timeline-pane\">\n\
<div id=\"controls\"><button id=\"fit\" type=\"button\">Fit</button>\
<button id=\"zoom-in\" type=\"button\">Zoom in</button>\
<button id=\"zoom-out\" type=\"button\">Zoom out</button>\
<span id=\"range\"></span><span id=\"legend\"></span></div>\n\
<div id=\"lanes\"><div id=\"lane-labels\"></div><div id=\"canvas-wrap\"><canvas id=\"timeline\"></canvas></div></div>\n\
<div id=\"tooltip\" hidden></div>\n\
<div id=\"story\"></div>\n\
<div id=\"tracks-pane\" hidden><div id=\"track-labels\"></div><div id=\"track-wrap\"><canvas id=\"tracks\"></canvas></div></div>\n\
<div id=\"detail\"><p>Hover over the timeline; click a red mark (a lost update) to see what happened and where in the source.</p></div>\n\
<section id=\"scrubber\"><h2>Step through the run</h2>\n\
<div id=\"scrub-controls\"><button id=\"scrub-prev-switch\" type=\"button\" title=\"previous switch (PageUp)\">◀◀ switch</button>\
<button id=\"scrub-back\" type=\"button\" title=\"one instruction back (←)\">◀ step</button>\
<input id=\"scrub\" type=\"range\" min=\"0\" max=\"0\" step=\"1\" value=\"0\" aria-label=\"instruction\">\
<button id=\"scrub-fwd\" type=\"button\" title=\"one instruction on (→)\">step ▶</button>\
<button id=\"scrub-next-switch\" type=\"button\" title=\"next switch (PageDown)\">switch ▶▶</button></div>\n\
<p id=\"scrub-pos\"></p><p id=\"scrub-coarse\" hidden></p><div id=\"scrub-threads\"></div>\n\
<table id=\"scrub-shared\"><caption>Shared values at this step</caption><tbody></tbody></table>\n\
<p id=\"scrub-note\"></p></section>\n\
<section id=\"deadlock\" hidden><h2>Deadlock</h2><pre id=\"deadlock-report\"></pre><ul id=\"deadlock-held\"></ul></section>\n\
<section id=\"crashes\" hidden><h2>Crashed threads</h2><ol id=\"crash-list\"></ol></section>\n\
<p id=\"notes\"></p>\n\
<h2>Lost updates</h2>\n<ol id=\"lost-list\"></ol>\n<section id=\"cta\" hidden><h2>Check-then-act</h2><ol id=\"cta-list\"></ol></section>\n<h2>Program output</h2>\n<pre id=\"output\"></pre>\n\
</section>\n<aside id=\"source-pane\"><h2>Source</h2><ol id=\"source\"></ol></aside>\n</main>\n\
<script>\nconst G = {{meta: null, threads: [], turns: [], blocks: [], lost: [], marks: [], prints: [], end: null, dropped: {{}},\n\
  locks: [], crashes: [], deadlock: null, drawHooks: [], hitHooks: [],\n\
  cta: [], steps: [], localsRows: [], values: [], watched: [], chooseHooks: [], readyHooks: [], mainException: null}};\n\
G.add = function (rows) {{ for (const r of rows) {{ const k = r[0];\n\
  if (k === 'h') G.threads.push({{tid: r[1], label: r[2], name: r[3]}});\n\
  else if (k === 't') G.turns.push(r);\n  else if (k === 'b') G.blocks.push(r);\n\
  else if (k === 'l') G.lost.push(r[1]);\n  else if (k === 'm') G.marks.push(r);\n\
  else if (k === 'p') G.prints.push(r);\n\
  else if (k === 'k') G.locks.push(r);\n  else if (k === 'x') G.crashes.push(r[1]);\n\
  else if (k === 'X') G.mainException = r[1];\n\
  else if (k === 'd') G.deadlock = r[1];\n\
  else if (k === 'c') G.cta.push(r[1]);\n  else if (k === 'S') G.steps.push(r);\n\
  else if (k === 'P') G.steps.push(['S', r[1], r[3], r[4], r[2]]);\n\
  else if (k === 'L') G.localsRows.push(r);\n  else if (k === 'v') G.values.push(r);\n\
  else if (k === 'w') G.watched = r[1]; }} }};\n</script>\n"
        )?;
        let source: Vec<&str> = self.source.lines().collect();
        let meta = json!({"header": meta, "source": source});
        writeln!(
            self.out,
            "<script>G.meta = {};</script>",
            script_json(&meta)
        )
    }

    fn row(&mut self, r: Json) -> io::Result<()> {
        self.rows.push(r);
        if self.rows.len() >= CHUNK {
            self.flush_rows()?;
        }
        Ok(())
    }

    /// The scrubber's pending steps, as one row: `S`, first step, threads, lines when they
    /// are consecutive; else `P`, first step, the gaps between steps, threads, lines.
    fn flush_steps(&mut self) -> io::Result<()> {
        let Some(&(first, _, _)) = self.steps.first() else {
            return Ok(());
        };
        let steps = std::mem::take(&mut self.steps);
        let tids: Vec<u32> = steps.iter().map(|s| s.1).collect();
        let lines: Vec<u32> = steps.iter().map(|s| s.2).collect();
        let gaps: Vec<u64> = steps.windows(2).map(|w| w[1].0 - w[0].0).collect();
        if gaps.iter().all(|&g| g == 1) {
            self.row(json!(["S", first, tids, lines]))
        } else {
            self.row(json!(["P", first, gaps, tids, lines]))
        }
    }

    fn flush_rows(&mut self) -> io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = Json::Array(std::mem::take(&mut self.rows));
        writeln!(self.out, "<script>G.add({});</script>", script_json(&rows))
    }

    fn unblock(&mut self, tid: u32, t_ns: u64) -> io::Result<()> {
        if let Some(Some((since, line, what))) =
            self.blocked.get_mut(tid as usize).map(Option::take)
        {
            if self.blocks < MAX_BLOCKS {
                self.blocks += 1;
                self.row(json!(["b", tid, since, t_ns, what, line]))?;
            } else {
                self.dropped_blocks += 1;
            }
        }
        Ok(())
    }
}

impl<W: Write> Emit for Html<W> {
    fn emit(&mut self, r: &Record) -> io::Result<()> {
        match r {
            Record::Header(h) => {
                let meta = serde_json::to_value(h)?;
                self.start(&meta)?;
            }
            Record::Thread {
                tid, label, name, ..
            } => {
                let i = *tid as usize;
                if self.blocked.len() <= i {
                    self.blocked.resize(i + 1, None);
                }
                self.row(json!(["h", tid, label, name]))?;
            }
            Record::Turn {
                tid,
                start_ns,
                end_ns,
                start_step,
                instructions,
                reason,
            } => {
                if self.turns < MAX_TURNS {
                    self.turns += 1;
                    self.row(json!([
                        "t",
                        tid,
                        start_ns,
                        end_ns,
                        start_step,
                        instructions,
                        reason.word()
                    ]))?;
                } else {
                    self.dropped_turns += 1;
                }
            }
            Record::Block {
                t_ns,
                tid,
                line,
                waits_for,
                ..
            } => {
                let i = *tid as usize;
                if self.blocked.len() <= i {
                    self.blocked.resize(i + 1, None);
                }
                self.blocked[i] = Some((*t_ns, *line, waits_for.clone()));
            }
            Record::Wake { t_ns, tid, .. } => self.unblock(*tid, *t_ns)?,
            Record::Lost(l) => {
                self.lost += 1;
                if self.lost <= MAX_LOST_EXPLAINED {
                    self.row(json!(["l", serde_json::to_value(l)?]))?;
                } else if self.lost <= MAX_LOST_EXPLAINED + MAX_LOST_MARKS {
                    self.row(json!(["m", l.t_ns, l.tid]))?;
                } else {
                    self.dropped_lost += 1;
                }
            }
            Record::Print { t_ns, tid, text } => {
                self.prints += 1;
                if self.prints <= MAX_PRINTS {
                    self.row(json!(["p", t_ns, tid, text]))?;
                }
            }
            Record::Sync(_) | Record::Crash(_) | Record::MainException(_) | Record::Deadlock(_) => {
                self.views_row(r)?
            }
            Record::Instr(_) | Record::Gil { .. } | Record::Truncated { .. } => {}
            Record::CheckThenAct(c) => {
                self.ctas += 1;
                if self.ctas <= MAX_CTA {
                    self.row(json!(["c", serde_json::to_value(c)?]))?;
                } else {
                    self.dropped_ctas += 1;
                }
            }
            Record::Race(_) => {}
            Record::End(e) => {
                for tid in 0..self.blocked.len() as u32 {
                    self.unblock(tid, e.t_ns)?;
                }
                self.close_held(e.t_ns)?;
                self.flush_steps()?;
                self.flush_rows()?;
                let dropped = json!({"turns": self.dropped_turns, "blocks": self.dropped_blocks,
                    "lost": self.dropped_lost, "prints": self.prints.saturating_sub(MAX_PRINTS),
                    "locks": self.dropped_lock_spans, "cta": self.dropped_ctas,
                    "values": self.dropped_values, "scrub_coarse": self.scrub_coarse,
                    "scrub_max": crate::trace::scrub::MAX_SCRUB_STEPS,
                    "all_switches": crate::trace::scrub::ALL_SWITCHES,
                    "switch_resolution": crate::trace::scrub::SWITCH_RESOLUTION,
                    "exact_windows": crate::trace::scrub::MAX_EXACT_WINDOWS});
                writeln!(
                    self.out,
                    "<script>G.end = {}; G.dropped = {};</script>",
                    script_json(&serde_json::to_value(e)?),
                    script_json(&dropped)
                )?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn scrub(&mut self, e: &ScrubEvent) -> io::Result<()> {
        match e {
            ScrubEvent::Watch { names } => self.row(json!(["w", names])),
            ScrubEvent::Step { step, tid, line } => {
                // The first part's consecutive steps go in `S` rows of their own.
                if let [(a, _, _), .., (b, _, _)] = self.steps[..] {
                    if self.steps.len() >= 64
                        && b - a + 1 == self.steps.len() as u64
                        && *step != b + 1
                    {
                        self.flush_steps()?;
                    }
                }
                self.steps.push((*step, *tid, *line));
                if self.steps.len() >= STEP_CHUNK {
                    self.flush_steps()?;
                }
                Ok(())
            }
            ScrubEvent::Locals {
                step,
                tid,
                function,
                locals,
            } => {
                // Compact: the function only when it changed for the thread, the locals flat.
                let i = *tid as usize;
                if self.locals_fn.len() <= i {
                    self.locals_fn.resize(i + 1, None);
                }
                let same = self.locals_fn[i].as_deref() == Some(function.as_str());
                if !same {
                    self.locals_fn[i] = Some(function.clone());
                }
                let flat: Vec<&str> = locals
                    .iter()
                    .flat_map(|(n, v)| [n.as_str(), v.as_str()])
                    .collect();
                let function = if same { Json::Null } else { json!(function) };
                self.row(json!(["L", step, tid, function, flat]))
            }
            ScrubEvent::Value {
                step,
                t_ns,
                var,
                value,
            } => {
                if self.values < MAX_VALUES {
                    self.values += 1;
                    self.row(json!(["v", step, t_ns, var, value]))
                } else {
                    self.dropped_values += 1;
                    Ok(())
                }
            }
            ScrubEvent::Coarse { step } => {
                self.scrub_coarse = Some(*step);
                Ok(())
            }
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        self.flush_steps()?;
        self.flush_rows()?;
        write!(
            self.out,
            "<script>\n{VIEWS_JS}</script>\n<script>\n{SCRUB_JS}</script>\n<script>\n{JS}</script>\n</body>\n</html>\n"
        )?;
        self.out.flush()
    }
}

// Lock-held spans, crashed threads and deadlocks (issue #17's views). Rows: `k` a lock held
// by a thread (tid, name, from, to, line, still held at the end), `x` a crashed thread, `d`
// the deadlock (its report and wait-for cycle).
impl<W: Write> Html<W> {
    fn views_row(&mut self, r: &Record) -> io::Result<()> {
        match r {
            Record::Sync(e) => match e.op.as_str() {
                "acquire" | "reacquire" => self.held.push((e.tid, e.obj.clone(), e.t_ns, e.line)),
                "release" | "wait" => {
                    if let Some(i) = self
                        .held
                        .iter()
                        .rposition(|(t, n, _, _)| *t == e.tid && *n == e.obj)
                    {
                        let (tid, name, since, line) = self.held.remove(i);
                        self.lock_span(tid, &name, since, e.t_ns, line, false)?;
                    }
                }
                _ => {}
            },
            Record::Crash(c) => self.row(json!(["x", serde_json::to_value(c)?]))?,
            Record::MainException(c) => self.row(json!(["X", serde_json::to_value(c)?]))?,
            Record::Deadlock(d) => self.row(json!(["d", serde_json::to_value(d)?]))?,
            _ => {}
        }
        Ok(())
    }

    fn lock_span(
        &mut self,
        tid: u32,
        name: &str,
        from: u64,
        to: u64,
        line: u32,
        open: bool,
    ) -> io::Result<()> {
        if self.lock_spans < MAX_LOCK_SPANS {
            self.lock_spans += 1;
            self.row(json!(["k", tid, name, from, to, line, open]))
        } else {
            self.dropped_lock_spans += 1;
            Ok(())
        }
    }

    /// Locks still held when the run ended (a deadlock's, typically).
    fn close_held(&mut self, t_ns: u64) -> io::Result<()> {
        for (tid, name, since, line) in std::mem::take(&mut self.held) {
            self.lock_span(tid, &name, since, t_ns, line, true)?;
        }
        Ok(())
    }
}

/// JSON that is safe inside a `<script>` element.
fn script_json(v: &Json) -> String {
    v.to_string()
        .replace("</", "<\\/")
        .replace("<!--", "<\\!--")
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_data_cannot_close_the_script() {
        assert_eq!(script_json(&json!("</script>")), "\"<\\/script>\"");
        assert_eq!(escape_html("<a & b>"), "&lt;a &amp; b&gt;");
    }
}
