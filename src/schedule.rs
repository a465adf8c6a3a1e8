//! Schedule files (`--record`, `gilvm replay`): a short, hand-editable text naming the program,
//! the options, the seed, and every choice of the run — which thread ran how many
//! instructions, and which waiter each hand-off woke.
//!
//! ```text
//! gilvm-schedule 2
//! gilvm 0.1.0
//! program programs/counter_race.toy
//! program-hash fnv1a64:9c1e0f1f3a2b4c5d
//! model any
//! switch-interval 100
//! seed 7
//! ---
//! T0 57        # MainThread runs 57 instructions
//! T1 3         # then Thread-1 runs 3
//! wake T3      # a hand-off (a release, a notify, a put) wakes Thread-3 among its waiters
//! T2 *         # then Thread-2 runs until it blocks or ends
//! ```
//!
//! A hand-written turn may end at an event instead (`T1 until store counter`, `until line 8`,
//! `until acquire locks['bob']`, `until blocked`; `vm/scheduler/events.rs`); a program read
//! from standard input is kept in the header as `source | LINE` lines.
//!
//! Threads are numbered in the order they start (`T0` is the main thread). `#` starts a
//! comment. Turns and waiter choices are followed as two lists, each in order. When a list runs
//! out, the seeded scheduler takes over its part, so a lesson can stage just the interesting
//! start of a run. Format 2 adds the `wake` lines and turns of 0 instructions (a woken lock
//! waiter that found its lock taken again); format 1 files (turns only, waiters from the seed)
//! still replay.

use crate::vm::scheduler::events::StopEvent;
use crate::vm::scheduler::Entry;

/// The format this gilvm writes.
pub const FORMAT_VERSION: u32 = 2;
/// The formats this gilvm reads.
const READS: [&str; 2] = ["1", "2"];

/// The run options a schedule's header may set (read by the run layer).
pub const OPTIONS: [&str; 4] = ["switch-interval", "max-steps", "max-memory", "races"];

/// Everything a schedule file holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub gilvm_version: String,
    pub program: String,
    pub program_hash: u64,
    pub model: String,
    /// Extra options as (name, value), e.g. ("switch-interval", "100").
    pub options: Vec<(String, String)>,
    pub seed: u64,
    /// Turns and waiter choices, in the order they were made.
    pub entries: Vec<Entry>,
    /// The events of hand-written `T1 until EVENT` turns (`Entry::Until` indexes it).
    pub events: Vec<StopEvent>,
    /// The program's text, for a program read from standard input (`program -`): kept in
    /// the header as `source | LINE` lines, so the schedule replays.
    pub source: Option<String>,
}

/// A fingerprint of a compiled program that ignores where things are in the text: every code
/// object's names, parameters, constants, instructions and exception table, and the name
/// table — not its line numbers, spans, file name or source. Adding a comment or a blank line
/// keeps it; changing a statement does not.
pub fn code_hash(program: &crate::bytecode::Program) -> u64 {
    let mut text = String::new();
    for n in &program.names {
        text.push_str(n);
        text.push('\0');
    }
    for c in &program.codes {
        text.push_str(&format!(
            "{}|{}|{}|{}|{}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|",
            c.name,
            c.qualname,
            c.argcount,
            c.kwonlyargcount,
            c.has_varargs,
            c.has_varkeywords,
            c.varnames,
            c.cellvars,
            c.freevars,
            c.consts,
            c.exception_table
        ));
        for i in &c.instrs {
            text.push_str(&format!("{:?} {};", i.op, i.arg));
        }
        text.push('\n');
    }
    fnv1a64(text.as_bytes())
}

/// FNV-1a, 64-bit: a stable fingerprint of the program text.
pub fn fnv1a64(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Schedule {
    pub fn to_text(&self, thread_names: &[String]) -> String {
        let mut out = format!(
            "gilvm-schedule {FORMAT_VERSION}\ngilvm {}\nprogram {}\nprogram-hash fnv1a64:{:016x}\nmodel {}\n",
            self.gilvm_version, self.program, self.program_hash, self.model
        );
        for (k, v) in &self.options {
            out.push_str(&format!("{k} {v}\n"));
        }
        if let Some(src) = &self.source {
            for l in src.lines() {
                out.push_str(&format!("source | {l}\n"));
            }
        }
        out.push_str(&format!("seed {}\n---\n", self.seed));
        for e in &self.entries {
            let (line, tid) = match *e {
                Entry::Turn { tid, steps } => {
                    let steps = steps.map_or("*".to_string(), |n| n.to_string());
                    (format!("T{tid} {steps}"), tid)
                }
                Entry::Wake(tid) => (format!("wake T{tid}"), tid),
                Entry::Until { tid, event } => {
                    let ev = self
                        .events
                        .get(event as usize)
                        .map_or(String::new(), |e| e.to_string());
                    (format!("T{tid} until {ev}"), tid)
                }
            };
            let name = thread_names
                .get(tid as usize)
                .map(|n| format!("  # {n}"))
                .unwrap_or_default();
            out.push_str(&format!("{line}{name}\n"));
        }
        out
    }

    /// Parses a schedule, with a message naming the line on error.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let mut s = Schedule {
            gilvm_version: String::new(),
            program: String::new(),
            program_hash: 0,
            model: "any".into(),
            options: Vec::new(),
            seed: 0,
            entries: Vec::new(),
            events: Vec::new(),
            source: None,
        };
        let mut in_body = false;
        let mut saw_magic = false;
        let mut version = FORMAT_VERSION;
        let thread = |n: usize, t: &str| -> Result<u32, String> {
            t.strip_prefix('T')
                .and_then(|x| x.parse().ok())
                .ok_or_else(|| format!("line {n}: expected a thread like `T1`, found `{t}`"))
        };
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            // An embedded program's line, taken before comments are stripped (`#` is code).
            if !in_body && saw_magic {
                if let Some(l) = raw.strip_prefix("source |") {
                    let src = s.source.get_or_insert_with(String::new);
                    src.push_str(l.strip_prefix(' ').unwrap_or(l));
                    src.push('\n');
                    continue;
                }
            }
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if in_body {
                let (t, rest) = line.split_once(char::is_whitespace).ok_or_else(|| {
                    format!("line {n}: expected `T<thread> <instructions>`, found `{line}`")
                })?;
                let rest = rest.trim();
                if t == "wake" {
                    if version < 2 {
                        return Err(format!(
                            "line {n}: `wake` lines need `gilvm-schedule 2` (this file says format 1)"
                        ));
                    }
                    s.entries.push(Entry::Wake(thread(n, rest)?));
                    continue;
                }
                let tid = thread(n, t)?;
                // A hand-written turn that ends at an event (`vm/scheduler/events.rs`).
                if let Some(ev) = rest.strip_prefix("until") {
                    let ev = ev.trim();
                    if ev == "blocked" {
                        s.entries.push(Entry::Turn { tid, steps: None });
                    } else {
                        let ev = StopEvent::parse(ev).map_err(|e| format!("line {n}: {e}"))?;
                        s.entries.push(Entry::Until {
                            tid,
                            event: s.events.len() as u32,
                        });
                        s.events.push(ev);
                    }
                    continue;
                }
                // Format 2 records a woken waiter's turn that found its lock taken: 0.
                let least = if version >= 2 { 0 } else { 1 };
                let steps = if rest == "*" {
                    None
                } else {
                    Some(
                        rest.parse::<u64>()
                            .ok()
                            .filter(|&k| k >= least)
                            .ok_or_else(|| {
                                let what = if least == 0 {
                                    "an instruction count"
                                } else {
                                    "a positive instruction count"
                                };
                                format!("line {n}: expected {what} or `*`, found `{rest}`")
                            })?,
                    )
                };
                s.entries.push(Entry::Turn { tid, steps });
                continue;
            }
            if line == "---" {
                if !saw_magic {
                    return Err(
                        "not a gilvm schedule: the first line must be `gilvm-schedule 2` (or 1)"
                            .into(),
                    );
                }
                in_body = true;
                continue;
            }
            let (key, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let value = value.trim();
            match key {
                "gilvm-schedule" => {
                    if !READS.contains(&value) {
                        return Err(format!(
                            "line {n}: schedule format {value} is not supported (this gilvm reads formats 1 and 2)"
                        ));
                    }
                    version = value.parse().unwrap_or(FORMAT_VERSION);
                    saw_magic = true;
                }
                _ if !saw_magic => {
                    return Err(
                        "not a gilvm schedule: the first line must be `gilvm-schedule 2` (or 1)"
                            .into(),
                    )
                }
                "gilvm" => s.gilvm_version = value.into(),
                "program" => s.program = value.into(),
                "program-hash" => {
                    s.program_hash = value
                        .strip_prefix("fnv1a64:")
                        // All 16 digits: a hash cut short is a damaged file, not another hash.
                        .filter(|h| h.len() == 16)
                        .and_then(|h| u64::from_str_radix(h, 16).ok())
                        .ok_or_else(|| {
                            format!("line {n}: expected `program-hash fnv1a64:<16 hex digits>`")
                        })?
                }
                "model" => s.model = value.into(),
                "seed" => {
                    s.seed = value.parse().map_err(|_| {
                        format!("line {n}: the seed must be a number, found `{value}`")
                    })?
                }
                _ if OPTIONS.contains(&key) => s.options.push((key.into(), value.into())),
                // A misspelt option would otherwise be ignored, and the run replayed with the
                // default in its place.
                _ => {
                    return Err(format!(
                        "line {n}: unknown header line `{key}` (a schedule's header has gilvm-schedule, gilvm, program, program-hash, model, {}, seed)",
                        OPTIONS.join(", ")
                    ))
                }
            }
        }
        if !in_body {
            return Err("the schedule has no `---` line before its slices".into());
        }
        if s.program.is_empty() {
            return Err("the schedule does not name its program (`program FILE`)".into());
        }
        Ok(s)
    }

    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = Schedule {
            gilvm_version: "0.1.0".into(),
            program: "p.toy".into(),
            program_hash: 0xabc,
            model: "any".into(),
            options: vec![("switch-interval".into(), "100".into())],
            seed: 7,
            entries: vec![
                Entry::Turn {
                    tid: 0,
                    steps: Some(5),
                },
                Entry::Wake(2),
                Entry::Turn {
                    tid: 2,
                    steps: Some(0),
                },
                Entry::Turn {
                    tid: 1,
                    steps: None,
                },
            ],
            events: Vec::new(),
            source: None,
        };
        let text = s.to_text(&["MainThread".into()]);
        assert!(text.starts_with("gilvm-schedule 2\n"), "{text}");
        assert!(text.contains("\nwake T2\n"), "{text}");
        assert_eq!(Schedule::parse(&text).unwrap(), s);
    }

    #[test]
    fn format_1_still_reads_and_keeps_its_rules() {
        let s = Schedule::parse("gilvm-schedule 1\nprogram p\n---\nT0 *\nT1 3 # x\n").unwrap();
        assert_eq!(
            s.entries,
            vec![
                Entry::Turn {
                    tid: 0,
                    steps: None
                },
                Entry::Turn {
                    tid: 1,
                    steps: Some(3)
                }
            ]
        );
        let e = Schedule::parse("gilvm-schedule 1\nprogram p\n---\nT1 0\n").unwrap_err();
        assert!(e.contains("line 4") && e.contains("positive"), "{e}");
        let e = Schedule::parse("gilvm-schedule 1\nprogram p\n---\nwake T1\n").unwrap_err();
        assert!(e.contains("gilvm-schedule 2"), "{e}");
        let e = Schedule::parse("gilvm-schedule 3\nprogram p\n---\n").unwrap_err();
        assert!(e.contains("formats 1 and 2"), "{e}");
    }

    #[test]
    fn errors_name_the_line() {
        let e = Schedule::parse("gilvm-schedule 2\nprogram p\n---\nT1 x\n").unwrap_err();
        assert!(e.contains("line 4"), "{e}");
        let e = Schedule::parse("gilvm-schedule 2\nprogram p\n---\nwake 3\n").unwrap_err();
        assert!(e.contains("line 4") && e.contains("`T1`"), "{e}");
        assert!(Schedule::parse("hello")
            .unwrap_err()
            .contains("not a gilvm schedule"));
    }
}
