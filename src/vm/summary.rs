//! The run summary printed on stderr after a run: seed, model, counts, virtual time, lost
//! updates per location with the first one explained in plain words, and the replay command.

use crate::bytecode::Opcode;
use crate::vm::lost::{LocKey, LostEvent};
use crate::vm::machine::Vm;
use crate::vm::traceback::line_of;

/// Formats `n` with thousands separators: `2,800,054`.
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `count` and a noun, singular for one: `plural(1, "switch", "switches")` is "1 switch",
/// `plural(28_002, …)` "28,002 switches" (grouped by thousands).
pub fn plural(count: u64, one: &str, many: &str) -> String {
    let n = grouped(count);
    if count == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The noun for `count` things, singular for one (the number printed as the caller likes).
pub fn noun<'a>(count: u64, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 {
        one
    } else {
        many
    }
}

/// Virtual nanoseconds as a human duration.
pub fn duration(ns: u64) -> String {
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.3} µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.3} ms", ns as f64 / 1e6)
    } else {
        format!("{:.3} s", ns as f64 / 1e9)
    }
}

impl Vm {
    /// The name a program uses for a shared location.
    pub fn location_name(&self, loc: LocKey) -> String {
        match loc {
            LocKey::Global(slot) => self.prog.names[slot as usize].clone(),
            LocKey::Item(i) => self.item_path(i).unwrap_or_else(|| self.item_desc(i)),
            LocKey::Cell(_) => self
                .lost_events
                .iter()
                .find(|e| e.loc == loc)
                .map(|e| {
                    let code = &self.prog.codes[e.store_code as usize];
                    let ins = code.instrs[e.store_pc as usize];
                    if matches!(ins.op, Opcode::STORE_DEREF) {
                        code.localsplus_name(ins.arg as usize).to_string()
                    } else {
                        "a closure variable".to_string()
                    }
                })
                .unwrap_or_else(|| "a closure variable".to_string()),
        }
    }

    /// A tracked item named by where the program keeps its container, as locks are named
    /// (`accounts['alice'].balance`, `tally['the']`), when the container is still alive and
    /// reachable from a global or a thread's locals at the end of the run.
    fn item_path(&self, i: u32) -> Option<String> {
        let item = self.items.locs.get(i as usize)?;
        let id = crate::vm::value::ObjId(item.container);
        if !self.rt.heap.is_live(id) {
            return None;
        }
        // The id must still hold the kind of object the location was made for.
        let tail = match (self.rt.heap.get(id), item.attr) {
            (crate::vm::heap::Obj::Instance(_), Some(name)) => {
                format!(".{}", self.prog.names[name as usize])
            }
            (crate::vm::heap::Obj::List(_), None) if item.desc().ends_with(" of a list") => {
                item.shown().to_string()
            }
            (crate::vm::heap::Obj::Dict(_), None) if item.desc().ends_with(" of a dict") => {
                item.shown().to_string()
            }
            _ => return None,
        };
        Some(format!("{}{tail}", self.path_of(id)?))
    }

    /// One lost update in plain words: who read, who wrote in between, whose write is erased,
    /// with the values when they are known.
    pub fn explain_lost(&self, e: &LostEvent) -> String {
        let name = self.location_name(e.loc);
        let victim = &self.threads[e.thread as usize].name;
        let other = &self.threads[e.other.writer as usize].name;
        let read_line = line_of(&self.prog, e.read.code, e.read.pc);
        let other_line = line_of(&self.prog, e.other.write_code, e.other.write_pc);
        let store_line = line_of(&self.prog, e.store_code, e.store_pc);
        let written = if e.overwritten.is_empty() {
            format!("{other} stored {name} at line {other_line}")
        } else {
            format!(
                "{other} stored {name} = {} at line {other_line}",
                e.overwritten
            )
        };
        let store = match (e.stored.is_empty(), e.overwritten.is_empty()) {
            (false, false) => format!(
                "{victim}'s store of {} at line {store_line}, computed from its stale read, replaced {}",
                e.stored, e.overwritten
            ),
            (false, true) => format!(
                "{victim}'s store of {} at line {store_line} was computed from its stale read",
                e.stored
            ),
            _ => format!("{victim}'s store at line {store_line} was computed from its stale read"),
        };
        let lost = match e.erased {
            1 => "that update is lost".to_string(),
            2 => "that update and 1 earlier one are lost".to_string(),
            n => format!("that update and {} earlier ones are lost", n - 1),
        };
        format!("{victim} read {name} at line {read_line}; before it stored, {written}; {store}: {lost}")
    }

    /// The summary lines (each ends with a newline).
    pub fn summary(&self, model: &str, replay_cmd: &str) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "gilvm: seed {} · model {model} · {} · {} · virtual time {}\n",
            self.config.seed,
            plural(self.steps, "instruction", "instructions"),
            plural(self.switches, "switch", "switches"),
            duration(self.clock_ns)
        ));
        let lost: Vec<_> = self.lost.iter().filter(|(_, t)| t.events > 0).collect();
        if lost.is_empty() {
            out.push_str("gilvm: lost updates: none\n");
        } else {
            let parts: Vec<String> = lost
                .iter()
                .map(|(loc, t)| {
                    format!(
                        "{} {} (in {})",
                        self.location_name(**loc),
                        grouped(t.erased.max(0) as u64),
                        plural(t.events, "store", "stores")
                    )
                })
                .collect();
            out.push_str(&format!("gilvm: lost updates: {}\n", parts.join(", ")));
            if let Some(first) = self.lost_events.first() {
                out.push_str(&format!("gilvm: the first: {}\n", self.explain_lost(first)));
            }
        }
        out.push_str(&self.crash_summary());
        out.push_str(&self.cta_summary());
        out.push_str(&self.races_summary());
        out.push_str(&format!("gilvm: replay: {replay_cmd}\n"));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_and_durations() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(2_800_054), "2,800,054");
        assert_eq!(duration(500), "500 ns");
        assert_eq!(plural(1, "switch", "switches"), "1 switch");
        assert_eq!(plural(0, "switch", "switches"), "0 switches");
        assert_eq!(plural(28_002, "switch", "switches"), "28,002 switches");
        assert_eq!(duration(11_200_000), "11.200 ms");
    }
}
