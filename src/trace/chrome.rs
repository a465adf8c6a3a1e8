//! Chrome Trace Event JSON (the "JSON Object Format"), which Perfetto and chrome://tracing
//! open: one process, a `GIL` track showing who holds it, one track per thread with its
//! running slices (`X` events) and blocked intervals (`X` events naming what they wait for),
//! a track per thread with the locks it holds (`X` events from acquire to release),
//! instant events for lost updates, check-then-act findings, crashes, `wait`/`notify` and the
//! program's output, and — when the trace is narrowed by `--var`, `--lines`, `--thread` or
//! `--limit` — an instant per traced instruction. Timestamps are virtual microseconds.
//!
//! Events are written as they come (streaming); only the open blocked intervals and the
//! locks held are kept until they close.

use std::io::{self, Write};

use serde_json::{json, Value as Json};

use crate::trace::record::{Record, SyncEvent};
use crate::trace::recorder::Emit;

/// Track id of the GIL (threads use tid + 1).
const GIL_TRACK: u64 = 0;
/// Track ids of the threads' lock-held tracks (`LOCK_TRACKS + tid`).
const LOCK_TRACKS: u64 = 1_000_000;

pub struct Chrome<W: Write> {
    out: W,
    first: bool,
    /// Per thread: blocked since (ns) and on what.
    blocked: Vec<Option<(u64, String)>>,
    names: Vec<String>,
    instants: bool,
    /// Locks taken and not yet let go, innermost last.
    held: Vec<SyncEvent>,
    /// Threads whose lock track is named.
    lock_tracks: Vec<u32>,
}

impl<W: Write> Chrome<W> {
    pub fn new(out: W, instants: bool) -> Chrome<W> {
        Chrome {
            out,
            first: true,
            blocked: Vec::new(),
            names: Vec::new(),
            instants,
            held: Vec::new(),
            lock_tracks: Vec::new(),
        }
    }

    fn event(&mut self, e: Json) -> io::Result<()> {
        if self.first {
            self.out.write_all(b"{\"traceEvents\":[\n")?;
            self.first = false;
        } else {
            self.out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut self.out, &e)?;
        Ok(())
    }

    fn unblock(&mut self, tid: u32, t_ns: u64) -> io::Result<()> {
        if let Some(Some((since, what))) = self.blocked.get_mut(tid as usize).map(Option::take) {
            self.event(json!({
                "name": "blocked", "cat": "block", "ph": "X", "pid": 1, "tid": tid as u64 + 1,
                "ts": us(since), "dur": us(t_ns.saturating_sub(since)),
                "args": {"waiting for": what}
            }))?;
        }
        Ok(())
    }
}

// Sync-object events, crashed threads and deadlocks (issue #17's views).
impl<W: Write> Chrome<W> {
    fn views_event(&mut self, r: &Record) -> io::Result<()> {
        match r {
            // A lock held is a span (`X`) on the thread's lock track, written when it is let
            // go (released, or given up by `Condition.wait`); `wait` and `notify` are instants.
            Record::Sync(e) => match e.op.as_str() {
                "acquire" | "reacquire" => {
                    self.lock_track(e.tid)?;
                    self.held.push(e.clone());
                    Ok(())
                }
                "release" | "wait" => {
                    if let Some(i) = self
                        .held
                        .iter()
                        .rposition(|h| h.tid == e.tid && h.obj == e.obj)
                    {
                        let from = self.held.remove(i);
                        self.held_span(&from, e.t_ns, Some(e.line))?;
                    }
                    if e.op == "wait" {
                        self.sync_instant(e)?;
                    }
                    Ok(())
                }
                _ => self.sync_instant(e),
            },
            Record::Crash(c) | Record::MainException(c) => self.event(json!({
                "name": format!("exception: {}", c.exception), "cat": "exception", "ph": "i",
                "s": "t", "pid": 1, "tid": c.tid as u64 + 1, "ts": us(c.t_ns),
                "args": {"explanation": c.explanation, "line": c.line}
            })),
            Record::Deadlock(d) => self.event(json!({
                "name": "DEADLOCK", "cat": "deadlock", "ph": "i", "s": "g", "pid": 1,
                "tid": GIL_TRACK, "ts": us(d.t_ns),
                "args": {"summary": d.summary, "report": d.report.join("\n")}
            })),
            _ => Ok(()),
        }
    }
}

// Lock-held spans: one track per thread that takes a lock (`T1 locks held`).
impl<W: Write> Chrome<W> {
    fn lock_track(&mut self, tid: u32) -> io::Result<()> {
        if self.lock_tracks.contains(&tid) {
            return Ok(());
        }
        self.lock_tracks.push(tid);
        let track = LOCK_TRACKS + tid as u64;
        self.event(
            json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": track,
            "args": {"name": format!("T{tid} locks held")}}),
        )?;
        self.event(
            json!({"name": "thread_sort_index", "ph": "M", "pid": 1, "tid": track,
            "args": {"sort_index": tid as u64 + 1}}),
        )
    }

    /// The span of a lock `from` took, up to `to_ns` (`released_at` the line that let it go;
    /// `None`: still held when the run ended).
    fn held_span(
        &mut self,
        from: &SyncEvent,
        to_ns: u64,
        released_at: Option<u32>,
    ) -> io::Result<()> {
        let mut args = json!({"object": from.obj, "kind": from.kind,
            "acquired at line": from.line, "created at line": from.created_line});
        match released_at {
            Some(line) => args["released at line"] = json!(line),
            None => args["released"] = json!("never: still held when the run ended"),
        }
        if let (Some(b), "reacquire") = (from.by, from.op.as_str()) {
            args["got it when released by"] = json!(format!("T{b}"));
        }
        self.event(json!({
            "name": format!("holds {}", from.obj), "cat": "lock", "ph": "X", "pid": 1,
            "tid": LOCK_TRACKS + from.tid as u64, "ts": us(from.t_ns),
            "dur": us(to_ns.saturating_sub(from.t_ns)), "args": args
        }))
    }

    fn sync_instant(&mut self, e: &SyncEvent) -> io::Result<()> {
        self.event(json!({
            "name": format!("{} {}", e.op, e.obj), "cat": "sync", "ph": "i", "s": "t",
            "pid": 1, "tid": e.tid as u64 + 1, "ts": us(e.t_ns),
            "args": {"object": e.obj, "kind": e.kind, "line": e.line,
                "created at line": e.created_line, "by": e.by.map(|b| format!("T{b}"))}
        }))
    }
}

fn us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

impl<W: Write> Emit for Chrome<W> {
    fn emit(&mut self, r: &Record) -> io::Result<()> {
        match r {
            Record::Header(h) => {
                self.event(json!({"name": "process_name", "ph": "M", "pid": 1,
                    "args": {"name": format!("gilvm: {} (seed {}, model {})", h.program, h.seed, h.model)}}))?;
                self.event(
                    json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": GIL_TRACK,
                    "args": {"name": "GIL"}}),
                )?;
                self.event(
                    json!({"name": "thread_sort_index", "ph": "M", "pid": 1, "tid": GIL_TRACK,
                    "args": {"sort_index": 0}}),
                )?;
            }
            Record::Thread {
                tid, label, name, ..
            } => {
                let i = *tid as usize;
                if self.names.len() <= i {
                    self.names.resize(i + 1, String::new());
                    self.blocked.resize(i + 1, None);
                }
                self.names[i] = name.clone();
                self.event(
                    json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": *tid as u64 + 1,
                    "args": {"name": format!("{label} {name}")}}),
                )?;
                self.event(
                    json!({"name": "thread_sort_index", "ph": "M", "pid": 1, "tid": *tid as u64 + 1,
                    "args": {"sort_index": *tid as u64 + 1}}),
                )?;
            }
            Record::Turn {
                tid,
                start_ns,
                end_ns,
                start_step,
                instructions,
                reason,
            } => {
                let dur = us(end_ns.saturating_sub(*start_ns));
                let args = json!({"instructions": instructions, "first step": start_step,
                    "ended": reason.word()});
                self.event(json!({"name": "running", "cat": "run", "ph": "X", "pid": 1,
                    "tid": *tid as u64 + 1, "ts": us(*start_ns), "dur": dur, "args": args}))?;
                self.event(
                    json!({"name": format!("T{tid} holds the GIL"), "cat": "gil", "ph": "X",
                    "pid": 1, "tid": GIL_TRACK, "ts": us(*start_ns), "dur": dur, "args": args}),
                )?;
            }
            Record::Block {
                t_ns,
                tid,
                waits_for,
                ..
            } => {
                let i = *tid as usize;
                if self.blocked.len() <= i {
                    self.blocked.resize(i + 1, None);
                }
                self.blocked[i] = Some((*t_ns, waits_for.clone()));
            }
            Record::Wake { t_ns, tid, .. } => self.unblock(*tid, *t_ns)?,
            Record::Lost(l) => {
                self.event(
                    json!({"name": format!("lost update: {}", l.var), "cat": "lost",
                    "ph": "i", "s": "t", "pid": 1, "tid": l.tid as u64 + 1, "ts": us(l.t_ns),
                    "args": {"explanation": l.explanation, "updates erased": l.erased}}),
                )?;
            }
            Record::Print { t_ns, tid, text } => {
                self.event(
                    json!({"name": "print", "cat": "output", "ph": "i", "s": "t", "pid": 1,
                    "tid": *tid as u64 + 1, "ts": us(*t_ns), "args": {"text": text}}),
                )?;
            }
            Record::Instr(i) if self.instants => {
                let mut args = json!({"line": i.line, "step": i.step, "code": i.code});
                if let Some(a) = &i.access {
                    args[a.kind.as_str()] = json!(a.value);
                }
                self.event(
                    json!({"name": i.text, "cat": "instr", "ph": "i", "s": "t", "pid": 1,
                    "tid": i.tid as u64 + 1, "ts": us(i.t_ns), "args": args}),
                )?;
            }
            Record::Sync(_) | Record::Crash(_) | Record::MainException(_) | Record::Deadlock(_) => {
                self.views_event(r)?
            }
            Record::Instr(_) | Record::Gil { .. } | Record::Truncated { .. } => {}
            Record::CheckThenAct(c) => {
                self.event(
                    json!({"name": "check-then-act", "cat": "lost", "ph": "i", "s": "t",
                    "pid": 1, "tid": c.tid as u64 + 1, "ts": us(c.t_ns),
                    "args": {"explanation": c.explanation, "check line": c.check_line,
                        "act line": c.act_line}}),
                )?;
            }
            Record::Race(_) => {}
            Record::End(e) => {
                for tid in 0..self.blocked.len() as u32 {
                    self.unblock(tid, e.t_ns)?;
                }
                for from in std::mem::take(&mut self.held) {
                    self.held_span(&from, e.t_ns, None)?;
                }
                self.event(
                    json!({"name": format!("end: exit status {}", e.exit_code), "ph": "i",
                    "s": "g", "pid": 1, "tid": GIL_TRACK, "ts": us(e.t_ns),
                    "args": {"instructions": e.steps, "switches": e.switches,
                        "lost updates": e.lost_updates}}),
                )?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.first {
            self.out.write_all(b"{\"traceEvents\":[\n")?;
        }
        self.out.write_all(
            b"\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"gilvm\"}}\n",
        )?;
        self.out.flush()
    }
}
