//! The text trace: one instruction per line (virtual time, thread, source line, the
//! instruction as `gilvm dis` prints it, the value loaded or stored), with GIL hand-overs,
//! blocking and waking marked, and lost updates explained in plain words.

use std::io::{self, Write};

use crate::trace::record::{Reason, Record};
use crate::trace::recorder::Emit;
use crate::vm::summary::{grouped, plural};

/// Width of the instruction column (dis lines are about 45 characters).
const INSTR_WIDTH: usize = 46;
/// Explanations are wrapped to this width.
const WRAP: usize = 100;

pub struct Text<W: Write> {
    out: W,
    /// Instructions each thread ran in its turn that just ended by preemption.
    preempted_after: Option<(u32, u64)>,
    lost_seen: u64,
    /// Check-then-act violations written so far.
    cta_seen: u64,
    /// The run's first lost update, found ahead of the trace, for the header.
    first_lost: Option<String>,
}

impl<W: Write> Text<W> {
    pub fn new(out: W, first_lost: Option<String>) -> Text<W> {
        Text {
            out,
            preempted_after: None,
            lost_seen: 0,
            cta_seen: 0,
            first_lost,
        }
    }
}

fn micros(ns: u64) -> String {
    format!("{}.{:03}", ns / 1000, ns % 1000)
}

impl<W: Write> Emit for Text<W> {
    fn emit(&mut self, r: &Record) -> io::Result<()> {
        let o = &mut self.out;
        match r {
            Record::Header(h) => {
                writeln!(
                    o,
                    "# gilvm trace of {} · seed {} · model {} ({}) · {} ns per instruction",
                    h.program, h.seed, h.model, h.interval, h.ns_per_instr
                )?;
                let mut only = Vec::new();
                if !h.vars.is_empty() {
                    only.push(format!("touching {}", h.vars.join(", ")));
                }
                if !h.threads.is_empty() {
                    only.push(format!("of {}", h.threads.join(", ")));
                }
                if let Some((a, b)) = h.lines {
                    only.push(format!("on lines {a}-{b}"));
                }
                if !only.is_empty() {
                    writeln!(
                        o,
                        "# only instructions {}; GIL hand-overs and lost updates are always shown",
                        only.join(", ")
                    )?;
                }
                if let Some(first) = self.first_lost.take() {
                    let text = format!(
                        "This run loses updates. The first one (marked LOST UPDATE #1 below): {first}"
                    );
                    for chunk in wrap(&text, WRAP) {
                        writeln!(o, "# {chunk}")?;
                    }
                }
                writeln!(
                    o,
                    "# {:>10} {:<4}{:>5}  {:<w$} value",
                    "time (µs)",
                    "thr",
                    "line",
                    "offset instruction",
                    w = INSTR_WIDTH
                )?;
            }
            Record::Thread { label, name, .. } => {
                writeln!(o, "# {label} is {name}")?;
            }
            Record::Turn {
                tid,
                instructions,
                reason,
                end_ns,
                ..
            } => match reason {
                Reason::Preempted => self.preempted_after = Some((*tid, *instructions)),
                Reason::Finished => writeln!(o, "{:>12} --- T{tid} finished", micros(*end_ns))?,
                Reason::Died => writeln!(
                    o,
                    "{:>12} --- T{tid} died: an exception escaped it",
                    micros(*end_ns)
                )?,
                Reason::Blocked | Reason::End => {}
            },
            Record::Gil {
                t_ns,
                tid,
                from,
                reason,
                ..
            } => {
                let why = match (from, reason, self.preempted_after.take()) {
                    (Some(f), Some(Reason::Preempted), Some((p, n))) if p == *f => {
                        let s = if n == 1 { "" } else { "s" };
                        format!(" (T{f} preempted after {} instruction{s})", grouped(n))
                    }
                    (Some(f), Some(r), _) => format!(" (T{f} {})", r.word()),
                    _ => String::new(),
                };
                writeln!(o, "{:>12} === GIL -> T{tid}{why}", micros(*t_ns))?;
            }
            Record::Block {
                t_ns,
                tid,
                line,
                waits_for,
                ..
            } => {
                writeln!(
                    o,
                    "{:>12} --- T{tid} blocks at line {line}, waiting {waits_for}",
                    micros(*t_ns)
                )?;
            }
            Record::Wake {
                t_ns,
                tid,
                cause,
                by,
                note,
                ..
            } => match by {
                Some(b) if cause == "woken" && note.is_some() => {
                    let note = note.as_deref().unwrap_or("");
                    match note.strip_prefix("notified ") {
                        Some(rest) => writeln!(
                            o,
                            "{:>12} --- T{tid} is notified by T{b} {rest}",
                            micros(*t_ns)
                        )?,
                        None => writeln!(
                            o,
                            "{:>12} --- T{tid} is woken by T{b}: {note}",
                            micros(*t_ns)
                        )?,
                    }
                }
                Some(b) if cause == "woken" => {
                    writeln!(o, "{:>12} --- T{tid} is woken by T{b}", micros(*t_ns))?
                }
                _ => writeln!(
                    o,
                    "{:>12} --- T{tid} wakes: its sleep or timeout is over",
                    micros(*t_ns)
                )?,
            },
            Record::Instr(i) => {
                let value = match &i.access {
                    Some(a) if a.kind == "load" => format!("read {}", a.value),
                    Some(a) if a.kind == "result" => format!("-> {}", a.value),
                    Some(a) if a.kind == "branch" => format!("branch: {}", a.value),
                    // A subscript store names its item: `write cache[1] = 2`.
                    Some(a) if a.var.ends_with(']') => format!("write {} = {}", a.var, a.value),
                    Some(a) => format!("write {}", a.value),
                    None => String::new(),
                };
                // dis right-aligns offsets in a column of 4.
                let pad = 4usize.saturating_sub(i.offset.to_string().len());
                let instr = format!("{:pad$}{}", "", i.text);
                let line = format!(
                    "{:>12} T{:<3}{:>5}  {:<w$} {value}",
                    micros(i.t_ns),
                    i.tid,
                    i.line,
                    instr,
                    w = INSTR_WIDTH
                );
                writeln!(o, "{}", line.trim_end())?;
            }
            Record::Race(r) => {
                // `--races`: under the access that completes a race, the earlier one.
                let text = format!(
                    "!!! RACE: data race on {} with T{}'s {} at line {} (nothing orders the two accesses)",
                    r.var, r.other_tid, r.other_access, r.other_line
                );
                for (k, chunk) in wrap(&text, WRAP).iter().enumerate() {
                    let lead = if k == 0 { "" } else { "!!!   " };
                    writeln!(o, "{:>12} {lead}{chunk}", "")?;
                }
            }
            Record::Lost(l) => {
                self.lost_seen += 1;
                let head = format!(
                    "!!! LOST UPDATE #{} on {} (T{} erases {} update{}): ",
                    self.lost_seen,
                    l.var,
                    l.tid,
                    l.erased,
                    if l.erased == 1 { "" } else { "s" }
                );
                let text = format!("{head}{}", l.explanation);
                for (k, chunk) in wrap(&text, WRAP).iter().enumerate() {
                    let lead = if k == 0 { "" } else { "!!!   " };
                    writeln!(o, "{:>12} {lead}{chunk}", "")?;
                }
            }
            Record::Sync(_) | Record::Crash(_) | Record::MainException(_) | Record::Deadlock(_) => {
                self.views_record(r)?
            }
            Record::CheckThenAct(c) => {
                self.cta_seen += 1;
                let text = format!(
                    "!!! CHECK-THEN-ACT #{} (T{} acts on a stale check): {}",
                    self.cta_seen, c.tid, c.explanation
                );
                for (k, chunk) in wrap(&text, WRAP).iter().enumerate() {
                    let lead = if k == 0 { "" } else { "!!!   " };
                    writeln!(o, "{:>12} {lead}{chunk}", "")?;
                }
            }
            Record::Print { text, tid, .. } => writeln!(o, "{:>12} T{tid:<3} print: {text}", "")?,
            Record::Truncated { step, reason, .. } => writeln!(
                o,
                "# the trace stops here ({reason}, after {} of the run); the run goes on untraced",
                plural(*step, "instruction", "instructions")
            )?,
            Record::End(e) => {
                writeln!(
                    o,
                    "# end: exit status {} · {} · {} · virtual time {} µs · {} lost update{} (in {} store{})",
                    e.exit_code,
                    plural(e.steps, "instruction", "instructions"),
                    plural(e.switches, "switch", "switches"),
                    micros(e.t_ns),
                    grouped(e.lost_updates.max(0) as u64),
                    if e.lost_updates == 1 { "" } else { "s" },
                    grouped(e.lost_events),
                    if e.lost_events == 1 { "" } else { "s" },
                )?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

// Sync-object events, crashed threads and deadlocks (issue #17's views).
impl<W: Write> Text<W> {
    fn views_record(&mut self, r: &Record) -> io::Result<()> {
        let o = &mut self.out;
        match r {
            Record::Sync(e) => {
                let what = match e.op.as_str() {
                    "acquire" => format!("acquires {}", e.obj),
                    "release" => format!("releases {}", e.obj),
                    "wait" => format!("waits on {}, releasing its lock", e.obj),
                    "notify" => format!("notifies {}", e.obj),
                    "reacquire" => {
                        let lock = if e.kind == "Condition" {
                            format!("takes back {}'s lock", e.obj)
                        } else {
                            format!("takes {}", e.obj)
                        };
                        match e.by {
                            Some(b) => format!("{lock}: got it when T{b} released it"),
                            None => lock,
                        }
                    }
                    other => format!("{other} {}", e.obj),
                };
                writeln!(
                    o,
                    "{:>12} --- T{} {what} (line {})",
                    micros(e.t_ns),
                    e.tid,
                    e.line
                )
            }
            Record::Crash(c) => {
                let text = format!(
                    "!!! EXCEPTION in T{}: {}. The thread died; the others go on (Python prints the traceback on stderr)",
                    c.tid, c.explanation
                );
                for (k, chunk) in wrap(&text, WRAP).iter().enumerate() {
                    let lead = if k == 0 { "" } else { "!!!   " };
                    writeln!(o, "{:>12} {lead}{chunk}", micros(c.t_ns))?;
                }
                Ok(())
            }
            Record::MainException(c) => {
                let text = format!(
                    "!!! EXCEPTION in T{}: {}. The program ends with exit status 1 (Python prints the traceback on stderr)",
                    c.tid, c.explanation
                );
                for (k, chunk) in wrap(&text, WRAP).iter().enumerate() {
                    let lead = if k == 0 { "" } else { "!!!   " };
                    writeln!(o, "{:>12} {lead}{chunk}", micros(c.t_ns))?;
                }
                Ok(())
            }
            Record::Deadlock(d) => {
                writeln!(
                    o,
                    "{:>12} !!! DEADLOCK: no thread can run, and none is asleep",
                    micros(d.t_ns)
                )?;
                // The report's own words, after its first line (the headline above).
                for line in d.report.iter().skip(1) {
                    writeln!(o, "{:>12} !!! {line}", "")?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Greedy word wrap.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        } else if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    lines.push(cur);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_on_words() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(micros(11_201_000), "11201.000");
    }
}
