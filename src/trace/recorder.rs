//! The recorder: the tracer the driver talks to. It turns hooks into [`Record`]s — resolving
//! thread names, source lines, instruction text (through `dis::format_instr`, the project's
//! one instruction formatter) and values — applies the user's filters, explains lost updates
//! with the values the trace saw, and hands each record to an output format.
//!
//! Memory stays bounded whatever the length of the run: per thread it keeps only a few recent
//! loads and stores (to name the values in a lost-update explanation), and records are
//! written as they are made.

use std::io;

use crate::bytecode::Opcode;
use crate::trace::capture::Capture;
use crate::trace::record::{
    Access, Crash, Deadlock, End, Header, Instr, Lost, RaceRec, Reason, Record,
};
use crate::trace::scrub::{LastRun, Scrub, ScrubEvent};
use crate::trace::sync_events::SyncTracker;
use crate::vm::driver::Ending;
use crate::vm::interp::SliceEnd;
use crate::vm::lost::{LocKey, LostEvent};
use crate::vm::machine::Vm;
use crate::vm::observe::{Hook, Observer};
use crate::vm::thread::Tid;
use crate::vm::thread::{ThreadState, Wait};
use crate::vm::traceback::line_of;
use crate::vm::value::Value;

/// An output format: receives records in order.
pub trait Emit {
    fn emit(&mut self, r: &Record) -> io::Result<()>;
    /// Pushes what was written so far to the output.
    fn flush(&mut self) -> io::Result<()>;
    /// After the last record.
    fn finish(&mut self) -> io::Result<()>;
    /// The scrubber's and value tracks' data (`scrub.rs`; only the HTML page asks for it).
    fn scrub(&mut self, _e: &ScrubEvent) -> io::Result<()> {
        Ok(())
    }
}

/// Which instructions the trace keeps (hand-overs and lost updates are kept unless they
/// concern only threads left out by `threads`).
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Thread names (`Thread-1`, `Thread-1 (increment)`, `MainThread`) or labels (`T1`).
    pub threads: Vec<String>,
    /// Variable names: only instructions that load or store them.
    pub vars: Vec<String>,
    /// Only instructions on these source lines (inclusive).
    pub lines: Option<(u32, u32)>,
    /// Stop after this many instructions.
    pub limit: Option<u64>,
}

impl Filters {
    pub fn narrows_instructions(&self) -> bool {
        !self.threads.is_empty() || !self.vars.is_empty() || self.lines.is_some()
    }
}

/// How many recent loads and stores are remembered per thread.
const RECENT: usize = 8;

/// Without `--limit`, a trace follows this many instructions of the run and lets the rest run
/// untraced: stepping is tens of times slower than `run`, and a trace of 2 billion instructions
/// (the default `--max-steps`) would take hours and hundreds of gigabytes. The seed's
/// 2.8-million-instruction program is traced whole.
pub const DEFAULT_STEP_LIMIT: u64 = 5_000_000;

/// A load or store the trace saw: (code, pc, step, value).
#[derive(Clone, Debug, Default)]
struct Seen {
    code: u32,
    pc: u32,
    step: u64,
    t_ns: u64,
    value: String,
}

/// The instruction about to run, observed before the step.
struct Pending {
    code: u32,
    pc: u32,
    depth: usize,
    /// The thread had not started: the step runs its target's first instruction.
    fresh: bool,
    t_ns: u64,
    step: u64,
    store_value: Option<String>,
    /// A subscript store's key (`STORE_SUBSCR`), as a repr: the trace shows `cache[1] = 2`.
    store_key: Option<String>,
    /// The filters' verdict, taken before the step (it may look at the stack).
    wanted: bool,
}

/// One thread's turn with the GIL.
struct Turn {
    tid: Tid,
    start_ns: u64,
    start_step: u64,
}

pub struct Recorder {
    out: Box<dyn Emit>,
    filters: Filters,
    /// Name ids of `--var` names.
    var_ids: Vec<u32>,
    /// Per thread: seen yet, and kept by the thread filter.
    seen: Vec<bool>,
    kept: Vec<bool>,
    loads: Vec<Vec<Seen>>,
    stores: Vec<Vec<Seen>>,
    pending: Option<Pending>,
    lost_buf: Vec<LostEvent>,
    /// Check-then-act violations reported during the current step.
    cta_buf: Vec<crate::vm::cta::CtaEvent>,
    turn: Option<Turn>,
    /// The thread that held the GIL last, and why it let it go.
    last: Option<(Tid, Reason)>,
    /// Instruction records written (for `--limit`).
    instrs_out: u64,
    capture: Option<Capture>,
    /// The output is a text trace (the program's output may pass through after `--limit`).
    pub text: bool,
    /// How many instructions of the run to follow without `--limit`.
    pub default_limit: u64,
    /// A timer just woke this thread (its `Wake` is reported as the timeout).
    timed_out: Option<Tid>,
    failed: bool,
    done: bool,
    /// Acquire/release/wait/notify events and the names of sync objects.
    sync: SyncTracker,
    /// The scrubber's and value tracks' recording (HTML page only).
    scrub: Option<Scrub>,
    /// Where each thread last ran each instruction (the time of a check-then-act's check).
    last_run: LastRun,
    /// Races the detector had found when the last instruction was recorded (`--races`).
    races_seen: u64,
}

impl Recorder {
    pub fn new(
        vm: &Vm,
        header: Header,
        filters: Filters,
        out: Box<dyn Emit>,
        capture: Option<Capture>,
    ) -> Recorder {
        let var_ids = filters
            .vars
            .iter()
            .filter_map(|v| vm.prog.names.iter().position(|n| n == v))
            .map(|i| i as u32)
            .collect();
        let mut r = Recorder {
            out,
            filters,
            var_ids,
            seen: Vec::new(),
            kept: Vec::new(),
            loads: Vec::new(),
            stores: Vec::new(),
            pending: None,
            lost_buf: Vec::new(),
            cta_buf: Vec::new(),
            turn: None,
            last: None,
            instrs_out: 0,
            capture,
            default_limit: DEFAULT_STEP_LIMIT,
            timed_out: None,
            text: false,
            failed: false,
            done: false,
            sync: SyncTracker::default(),
            scrub: None,
            last_run: LastRun::default(),
            races_seen: 0,
        };
        r.put(&Record::Header(header));
        r
    }

    /// Records what the HTML page's scrubber and value tracks need (`scrub.rs`).
    pub fn with_scrub(&mut self, scrub: Scrub) {
        let e = scrub.watch_event();
        self.scrub = Some(scrub);
        self.put_scrub(e);
    }

    fn put_scrub(&mut self, e: ScrubEvent) {
        if !self.failed && self.out.scrub(&e).is_err() {
            self.fail();
        }
    }

    /// Writes one record; a write error (a closed pipe) ends the trace quietly.
    fn put(&mut self, rec: &Record) {
        if self.failed {
            return;
        }
        if self.out.emit(rec).is_err() {
            self.fail();
        }
    }

    fn fail(&mut self) {
        self.failed = true;
        self.done = true;
        if let Some(c) = &self.capture {
            c.discard();
        }
    }

    fn grow(&mut self, tid: Tid) {
        let n = tid as usize + 1;
        if self.seen.len() < n {
            self.seen.resize(n, false);
            self.kept.resize(n, true);
            self.loads.resize(n, Vec::new());
            self.stores.resize(n, Vec::new());
        }
    }

    fn kept(&self, tid: Tid) -> bool {
        self.kept.get(tid as usize).copied().unwrap_or(true)
    }

    fn thread_matches(&self, vm: &Vm, tid: Tid) -> bool {
        if self.filters.threads.is_empty() {
            return true;
        }
        let name = &vm.threads[tid as usize].name;
        let label = format!("T{tid}");
        self.filters.threads.iter().any(|f| {
            f == name
                || *f == label
                || name
                    .strip_prefix(f.as_str())
                    .is_some_and(|r| r.starts_with(" ("))
        })
    }

    fn first_sight(&mut self, vm: &Vm, tid: Tid) {
        self.grow(tid);
        if self.seen[tid as usize] {
            return;
        }
        self.seen[tid as usize] = true;
        self.kept[tid as usize] = self.thread_matches(vm, tid);
        if self.kept(tid) {
            self.put(&Record::Thread {
                t_ns: vm.now_ns(),
                tid,
                label: format!("T{tid}"),
                name: vm.threads[tid as usize].name.clone(),
            });
        }
    }

    fn end_turn(&mut self, vm: &Vm, reason: Reason) {
        if let Some(t) = self.turn.take() {
            self.last = Some((t.tid, reason));
            if self.kept(t.tid) {
                self.put(&Record::Turn {
                    tid: t.tid,
                    start_ns: t.start_ns,
                    end_ns: vm.now_ns(),
                    start_step: t.start_step,
                    instructions: vm.steps - t.start_step,
                    reason,
                });
            }
        }
    }

    fn on_gil(&mut self, vm: &Vm, tid: Tid) {
        if self.turn.as_ref().is_some_and(|t| t.tid == tid) {
            return;
        }
        self.end_turn(vm, Reason::Preempted);
        self.first_sight(vm, tid);
        let (from, reason) = match self.last {
            Some((f, r)) if f != tid => (Some(f), Some(r)),
            _ => (None, None),
        };
        if self.kept(tid) || from.is_some_and(|f| self.kept(f)) {
            self.put(&Record::Gil {
                t_ns: vm.now_ns(),
                step: vm.steps,
                tid,
                from,
                reason,
            });
        }
        self.turn = Some(Turn {
            tid,
            start_ns: vm.now_ns(),
            start_step: vm.steps,
        });
    }

    /// A `block` record for `tid`, which waits as its state says (`suffix` added to that).
    fn put_block(&mut self, vm: &Vm, tid: Tid, suffix: &str) {
        let t = &vm.threads[tid as usize];
        // The blocking call is the instruction before the frame's pc.
        let line = t
            .frames
            .last()
            .map(|f| line_of(&vm.prog, f.code, f.pc.saturating_sub(1)))
            .unwrap_or(0);
        let waits_for = format!("{}{suffix}", self.waits_for(vm, t.state));
        self.put(&Record::Block {
            t_ns: vm.now_ns(),
            step: vm.steps,
            tid,
            line,
            waits_for,
        });
    }

    fn on_turn_end(&mut self, vm: &Vm, tid: Tid, end: &SliceEnd) {
        self.drain_output(vm, tid, false);
        match end {
            // A limit ends the run; the run's end is recorded as for `--max-steps`.
            SliceEnd::Budget | SliceEnd::Gc | SliceEnd::Tick | SliceEnd::Limit => {}
            SliceEnd::Blocked => {
                self.end_turn(vm, Reason::Blocked);
                if self.kept(tid) {
                    self.put_block(vm, tid, "");
                }
            }
            SliceEnd::Finished => self.end_turn(vm, Reason::Finished),
            SliceEnd::Died(exc) => {
                self.end_turn(vm, Reason::Died);
                if let Some(c) = vm.uncaught_of(tid, *exc) {
                    let crash = Crash {
                        t_ns: c.t_ns,
                        step: c.step,
                        tid,
                        explanation: c.sentence(),
                        kind: c.kind,
                        exception: c.exception,
                        line: c.line,
                        function: c.function,
                    };
                    self.put(&if tid == 0 {
                        Record::MainException(crash)
                    } else {
                        Record::Crash(crash)
                    });
                }
            }
        }
    }

    fn on_before(&mut self, vm: &Vm, tid: Tid) {
        let t = &vm.threads[tid as usize];
        let fresh = t.start.is_some() || t.frames.is_empty();
        let (code, pc) = t.frames.last().map(|f| (f.code, f.pc)).unwrap_or((0, 0));
        let mut p = Pending {
            code,
            pc,
            depth: t.frames.len(),
            fresh,
            t_ns: vm.now_ns(),
            step: vm.steps,
            store_value: None,
            store_key: None,
            wanted: false,
        };
        if !fresh {
            p.wanted = self.wants(vm, tid, code, pc);
            let op = vm.prog.codes[code as usize].instrs[pc as usize].op;
            let n = t.stack.len();
            let v = match op {
                Opcode::STORE_GLOBAL | Opcode::STORE_NAME | Opcode::STORE_DEREF => {
                    t.stack.last().copied()
                }
                Opcode::STORE_FAST if p.wanted => t.stack.last().copied(),
                Opcode::STORE_SUBSCR if n >= 3 => Some(t.stack[n - 3]),
                Opcode::STORE_ATTR if n >= 2 => Some(t.stack[n - 2]),
                _ => None,
            };
            p.store_value = v.map(|v| self.sync.value_text(vm, v));
            if op == Opcode::STORE_SUBSCR && n >= 3 && p.wanted {
                p.store_key = Some(self.sync.value_text(vm, t.stack[n - 1]));
            }
            let mut events = Vec::new();
            self.sync.before(vm, tid, &mut events);
            if self.kept(tid) {
                for e in &events {
                    self.put(e);
                }
            }
        }
        self.pending = Some(p);
    }

    /// Whether the instruction at (code, pc) of `tid` passes the filters.
    fn wants(&self, vm: &Vm, tid: Tid, code: u32, pc: u32) -> bool {
        if !self.kept(tid) {
            return false;
        }
        let c = &vm.prog.codes[code as usize];
        if let Some((a, b)) = self.filters.lines {
            let line = line_of(&vm.prog, code, pc);
            if line < a || line > b {
                return false;
            }
        }
        if self.filters.vars.is_empty() {
            return true;
        }
        let ins = c.instrs[pc as usize];
        match ins.op {
            Opcode::LOAD_FAST
            | Opcode::STORE_FAST
            | Opcode::DELETE_FAST
            | Opcode::LOAD_DEREF
            | Opcode::STORE_DEREF
            | Opcode::DELETE_DEREF
            | Opcode::LOAD_CLOSURE => {
                let name = c.localsplus_name(ins.arg as usize);
                self.filters.vars.iter().any(|v| v == name)
            }
            Opcode::BINARY_SUBSCR | Opcode::STORE_SUBSCR => {
                // An item of a container that a --var global holds.
                let t = &vm.threads[tid as usize];
                let n = t.stack.len();
                let container = match ins.op {
                    Opcode::BINARY_SUBSCR if n >= 2 => t.stack[n - 2],
                    Opcode::STORE_SUBSCR if n >= 2 => t.stack[n - 2],
                    _ => return false,
                };
                matches!(container, Value::Obj(_))
                    && self
                        .var_ids
                        .iter()
                        .any(|&id| vm.globals.get(id as usize).map(|g| g.value) == Some(container))
            }
            // An attribute by name (`--var balance` shows `self.balance`).
            Opcode::LOAD_ATTR | Opcode::STORE_ATTR => {
                // `--var account.balance` too (any object's `balance`).
                let name = &vm.prog.names[ins.arg as usize];
                self.filters
                    .vars
                    .iter()
                    .any(|v| v == name || v.rsplit_once('.').is_some_and(|(_, a)| a == name))
            }
            // Variables only: `t.start()` does not touch a variable named `start`.
            Opcode::LOAD_GLOBAL
            | Opcode::STORE_GLOBAL
            | Opcode::DELETE_GLOBAL
            | Opcode::LOAD_NAME
            | Opcode::STORE_NAME
            | Opcode::DELETE_NAME => self.var_ids.contains(&ins.arg),
            _ => false,
        }
    }

    fn on_after(&mut self, vm: &Vm, tid: Tid, n: u64) {
        let Some(p) = self.pending.take() else {
            return;
        };
        let fresh = p.fresh;
        let ran = if p.fresh {
            vm.threads[tid as usize].frames.first().map(|f| (f.code, 0))
        } else {
            Some((p.code, p.pc))
        };
        let (step, t_ns) = (p.step, p.t_ns);
        if n > 0 {
            self.record_instr(vm, tid, p);
            if let Some((code, pc)) = ran {
                self.last_run.note(tid, code, pc, step, t_ns);
                if let Some(mut scrub) = self.scrub.take() {
                    let mut events = Vec::new();
                    let _ = scrub.after_step(vm, tid, step, t_ns, (code, pc), &mut |e| {
                        events.push(e);
                        Ok(())
                    });
                    self.scrub = Some(scrub);
                    for e in events {
                        self.put_scrub(e);
                    }
                }
            }
        }
        if !fresh {
            let mut events = Vec::new();
            self.sync.after(vm, tid, n, &mut events);
            if self.kept(tid) {
                for e in &events {
                    self.put(e);
                }
            }
        }
        // A lost update and a check-then-act are dated by the store (the act) that made them.
        let lost = std::mem::take(&mut self.lost_buf);
        for ev in &lost {
            self.put_lost(vm, ev, (step, t_ns));
        }
        let ctas = std::mem::take(&mut self.cta_buf);
        for ev in &ctas {
            self.put_cta(vm, ev, (step, t_ns));
        }
        self.drain_output(vm, tid, false);
        match self.filters.limit {
            Some(limit) if self.instrs_out >= limit && !self.done => {
                self.stop(vm, format!("--limit {limit}"));
            }
            None if vm.steps >= self.default_limit && !self.done => self.stop(
                vm,
                format!(
                    "default limit of {} instructions; --limit N sets another",
                    self.default_limit
                ),
            ),
            _ => {}
        }
    }

    /// Ends the trace early (`reason` says why in the `truncated` record); the run goes on.
    fn stop(&mut self, vm: &Vm, reason: String) {
        self.put(&Record::Truncated {
            t_ns: vm.now_ns(),
            step: vm.steps,
            reason,
        });
        self.done = true;
        if self.out.flush().is_err() {
            self.fail();
        }
        // A text trace lets the rest of the program's output through as it comes;
        // a structured one keeps capturing it and adds it as `print` records at the end.
        if let Some(c) = self.capture.as_ref().filter(|_| !self.failed && self.text) {
            c.pass_through();
        } else if let Some(c) = &self.capture {
            c.bound();
        }
    }

    fn record_instr(&mut self, vm: &Vm, tid: Tid, p: Pending) {
        let t = &vm.threads[tid as usize];
        let (code, pc) = if p.fresh {
            match t.frames.first() {
                Some(f) => (f.code, 0),
                None => return,
            }
        } else {
            (p.code, p.pc)
        };
        let c = &vm.prog.codes[code as usize];
        let ins = c.instrs[pc as usize];
        // The step completed normally when the frame moved on by one instruction.
        let normal = !p.fresh
            && t.frames.len() == p.depth
            && t.frames.last().is_some_and(|f| f.pc == p.pc + 1);
        let shared_load = matches!(
            ins.op,
            Opcode::LOAD_GLOBAL
                | Opcode::LOAD_NAME
                | Opcode::LOAD_DEREF
                | Opcode::BINARY_SUBSCR
                | Opcode::LOAD_ATTR
        ) && (ins.op != Opcode::LOAD_GLOBAL && ins.op != Opcode::LOAD_NAME
            || vm
                .globals
                .get(ins.arg as usize)
                .is_some_and(|g| g.value != Value::Undef));
        let wanted = if p.fresh {
            self.wants(vm, tid, code, 0)
        } else {
            p.wanted
        };
        let load_value = if normal && (shared_load || (wanted && is_load(ins.op))) {
            t.stack.last().map(|v| self.sync.value_text(vm, *v))
        } else {
            None
        };
        if shared_load {
            if let Some(v) = &load_value {
                remember(&mut self.loads[tid as usize], code, pc, &p, v);
            }
        }
        if let Some(v) = &p.store_value {
            if is_shared_store(ins.op) {
                remember(&mut self.stores[tid as usize], code, pc, &p, v);
            }
        }
        // Taken even when the line is not shown, so a later line does not claim it.
        let races = self.new_races(vm);
        if !wanted || self.done {
            return;
        }
        let access = match (&load_value, &p.store_value) {
            (Some(v), _) if is_load(ins.op) => Some(("load", v.clone())),
            (_, Some(v)) => Some(("store", v.clone())),
            _ => None,
        }
        .map(|(kind, value)| Access {
            kind: kind.into(),
            var: match &p.store_key {
                Some(k) => format!("{}[{k}]", container_name(vm, code, pc)),
                None => operand_name(vm, code, pc),
            },
            value,
        })
        .or_else(|| outcome(vm, t, code, pc, &p, normal));
        let text = crate::dis::format_instr(&vm.prog, c, pc as usize);
        // Offset and operand as `gilvm dis` (CPython 3.11) prints them.
        let (offset, arg) = crate::dis_layout::offset_and_arg(c, pc as usize);
        self.instrs_out += 1;
        self.put(&Record::Instr(Instr {
            t_ns: p.t_ns,
            step: p.step,
            tid,
            line: line_of(&vm.prog, code, pc),
            code: c.name.clone(),
            offset,
            op: ins.op.name().into(),
            arg,
            text: text.trim_start().to_string(),
            access,
        }));
        for n in races {
            self.put(&Record::Race(RaceRec {
                t_ns: p.t_ns,
                step: p.step,
                tid,
                access: if n.later_write { "write" } else { "read" }.into(),
                line: line_of(&vm.prog, code, pc),
                var: n.location,
                other_tid: n.earlier_tid,
                other_access: if n.earlier_write { "write" } else { "read" }.into(),
                other_line: n.earlier_line,
            }));
        }
    }

    /// The races the instruction just recorded found (`--races`): the detector's latest.
    fn new_races(&mut self, vm: &Vm) -> Vec<crate::vm::races::RaceNote> {
        let Some(d) = vm.races.as_ref() else {
            return Vec::new();
        };
        let new = d.count.saturating_sub(self.races_seen) as usize;
        self.races_seen = d.count;
        if new == 0 {
            return Vec::new();
        }
        d.recent
            .iter()
            .skip(d.recent.len().saturating_sub(new))
            .cloned()
            .collect()
    }

    /// A check-then-act violation, shown when either thread is kept.
    fn put_cta(&mut self, vm: &Vm, ev: &crate::vm::cta::CtaEvent, (step, t_ns): (u64, u64)) {
        if !self.kept(ev.thread) && !self.kept(ev.other.writer) {
            return;
        }
        let c = &ev.check;
        let checked = self.last_run.get(ev.thread, c.code, c.pc);
        let wrote = self
            .last_run
            .get(ev.other.writer, ev.other.write_code, ev.other.write_pc);
        if let (Some(scrub), Some((from, _))) = (self.scrub.as_mut(), checked) {
            scrub.keep_window(from, step);
        }
        self.put(&Record::CheckThenAct(crate::trace::record::CheckThenAct {
            t_ns,
            step,
            check_step: checked.map(|x| x.0),
            check_t_ns: checked.map(|x| x.1),
            other_step: wrote.map(|x| x.0),
            other_t_ns: wrote.map(|x| x.1),
            tid: ev.thread,
            check: crate::vm::cta::source_text(&vm.prog, c.code, c.pc),
            result: vm.value_text(c.result),
            check_line: line_of(&vm.prog, c.code, c.pc),
            other_tid: ev.other.writer,
            other_line: line_of(&vm.prog, ev.other.write_code, ev.other.write_pc),
            act_line: line_of(&vm.prog, ev.act_code, ev.act_pc),
            explanation: vm.explain_cta(ev),
        }));
    }

    /// Explains a lost update with the values this trace saw, and writes it.
    fn put_lost(&mut self, vm: &Vm, ev: &LostEvent, (step, t_ns): (u64, u64)) {
        let victim = ev.thread;
        let other = ev.other.writer;
        if !self.kept(victim) && !self.kept(other) {
            return;
        }
        let var = vm.location_name(ev.loc);
        if !self.filters.vars.is_empty()
            && !matches!(ev.loc, LocKey::Item(_))
            && !self.filters.vars.contains(&var)
        {
            return;
        }
        let read = find(&self.loads, victim, ev.read.code, ev.read.pc);
        let wrote = find(&self.stores, other, ev.other.write_code, ev.other.write_pc);
        let stored = (!ev.stored.is_empty()).then(|| ev.stored.clone());
        let other_value = match (ev.overwritten.is_empty(), &wrote) {
            (false, _) => Some(ev.overwritten.clone()),
            (true, Some(w)) => Some(w.value.clone()),
            (true, None) => None,
        };
        let read_line = line_of(&vm.prog, ev.read.code, ev.read.pc);
        let other_line = line_of(&vm.prog, ev.other.write_code, ev.other.write_pc);
        let store_line = line_of(&vm.prog, ev.store_code, ev.store_pc);
        let explanation = match (&read, &other_value, &stored) {
            (Some(r), Some(ov), Some(sv)) => {
                let vn = &vm.threads[victim as usize].name;
                let on = &vm.threads[other as usize].name;
                // The times match the first column of a text trace.
                let at = |t: Option<u64>| {
                    t.map(|t| format!(" (at {}.{:03} µs)", t / 1000, t % 1000))
                        .unwrap_or_default()
                };
                let updates = if ev.erased == 1 {
                    format!("{on}'s update is lost")
                } else {
                    format!(
                        "the {} updates made since {vn} read it (the last by {on}) are lost",
                        ev.erased
                    )
                };
                format!(
                    "{vn} read {var} = {rv} at line {read_line}{rs}; before it stored, {on} stored {var} = {ov} at line {other_line}{os}; \
{vn} now stores {sv} at line {store_line}, computed from the stale {rv}, over {on}'s {ov}: {updates}",
                    rv = r.value,
                    rs = at(Some(r.t_ns)),
                    os = at(wrote.as_ref().map(|w| w.t_ns)),
                )
            }
            _ => vm.explain_lost(ev),
        };
        if let (Some(scrub), Some(r)) = (self.scrub.as_mut(), read.as_ref()) {
            scrub.keep_window(r.step, step);
        }
        self.put(&Record::Lost(Lost {
            t_ns,
            step,
            tid: victim,
            var,
            erased: ev.erased,
            read_line,
            read_value: read.as_ref().map(|r| r.value.clone()),
            read_step: read.as_ref().map(|r| r.step),
            read_t_ns: read.as_ref().map(|r| r.t_ns),
            other_tid: other,
            other_line,
            other_value,
            other_step: wrote.as_ref().map(|w| w.step),
            other_t_ns: wrote.as_ref().map(|w| w.t_ns),
            store_line,
            stored_value: stored,
            explanation,
        }));
    }

    /// Turns what the program printed into `print` records.
    fn drain_output(&mut self, vm: &Vm, tid: Tid, all: bool) {
        let Some(c) = &self.capture else { return };
        let lines = c.take_lines(all);
        for text in lines {
            self.put(&Record::Print {
                t_ns: vm.now_ns(),
                tid,
                text,
            });
        }
    }
}

impl Observer for Recorder {
    fn hook(&mut self, vm: &Vm, hook: Hook<'_>) {
        if self.done {
            return;
        }
        match hook {
            Hook::Gil { tid } => self.on_gil(vm, tid),
            Hook::Before { tid } => self.on_before(vm, tid),
            Hook::After { tid, n } => self.on_after(vm, tid, n),
            Hook::TurnEnd { tid, end } => self.on_turn_end(vm, tid, end),
            Hook::Lost(ev) => self.lost_buf.push(ev.clone()),
            Hook::CheckThenAct(ev) => self.cta_buf.push(ev.clone()),
            Hook::Timeout { tid } => {
                if self.kept(tid) {
                    self.put(&Record::Wake {
                        t_ns: vm.now_ns(),
                        step: vm.steps,
                        tid,
                        cause: "timeout".into(),
                        by: None,
                        note: None,
                    });
                }
                self.timed_out = Some(tid);
            }
            Hook::Wake { tid } => {
                if self.timed_out.take() == Some(tid) {
                    return;
                }
                if self.kept(tid) {
                    let note = self.sync.wake_note(vm, tid);
                    self.put(&Record::Wake {
                        t_ns: vm.now_ns(),
                        step: vm.steps,
                        tid,
                        cause: "woken".into(),
                        by: Some(vm.current),
                        note,
                    });
                }
            }
            Hook::Reblock { tid } => {
                if self.kept(tid) {
                    let why = format!(" again: T{} took it first", vm.current);
                    self.put_block(vm, tid, &why);
                }
            }
        }
    }

    fn done(&self) -> bool {
        self.done
    }

    fn finish(&mut self, vm: &Vm, ending: &Ending) {
        let tid = vm.current;
        if !self.done {
            self.end_turn(vm, Reason::End);
        }
        if !self.failed {
            self.drain_output(vm, tid, true);
        }
        if !self.failed && *ending == Ending::Deadlock {
            let d = vm.deadlock_view();
            self.put(&Record::Deadlock(Deadlock {
                t_ns: vm.now_ns(),
                step: vm.steps,
                report: d.text.lines().map(str::to_string).collect(),
                summary: d.summary,
                blocked: d.blocked,
                cycle: d.cycle,
            }));
        }
        if let Some(mut scrub) = self.scrub.take() {
            let mut events = Vec::new();
            let _ = scrub.finish(&mut |e| {
                events.push(e);
                Ok(())
            });
            for e in events {
                self.put_scrub(e);
            }
        }
        if !self.failed {
            let lost_events = vm.lost.values().map(|t| t.events).sum();
            let lost_updates = vm.lost.values().map(|t| t.erased.max(0)).sum();
            self.put(&Record::End(End {
                t_ns: vm.now_ns(),
                steps: vm.steps,
                exit_code: ending.exit_code(),
                switches: vm.switches,
                lost_events,
                lost_updates,
            }));
        }
        if !self.failed && self.out.finish().is_err() {
            self.fail();
        }
    }
}

impl Recorder {
    /// What a blocked thread waits for, in words, naming sync objects as the program does.
    fn waits_for(&mut self, vm: &Vm, state: ThreadState) -> String {
        let ThreadState::Blocked { wait, deadline } = state else {
            return "nothing".into();
        };
        let until = deadline
            .map(|d| format!(" (until {})", crate::vm::summary::duration(d)))
            .unwrap_or_default();
        let mut title = |obj| {
            let name = self.sync.name(vm, obj);
            if name.starts_with("the ") {
                name
            } else {
                format!("{} {name} (line {})", vm.sync_kind(obj), vm.sync_line(obj))
            }
        };
        let what = match wait {
            Wait::Acquire(obj) => format!("to acquire {}", title(obj)),
            Wait::Join(t) => format!("for {} to finish (join)", vm.threads[t as usize].name),
            Wait::Sleep => "for its sleep to end".into(),
            Wait::Wait(obj) => format!("on {} (wait)", title(obj)),
        };
        format!("{what}{until}")
    }
}

fn remember(ring: &mut Vec<Seen>, code: u32, pc: u32, p: &Pending, value: &str) {
    if ring.len() == RECENT {
        ring.remove(0);
    }
    ring.push(Seen {
        code,
        pc,
        step: p.step,
        t_ns: p.t_ns,
        value: value.to_string(),
    });
}

fn find(rings: &[Vec<Seen>], tid: Tid, code: u32, pc: u32) -> Option<Seen> {
    rings
        .get(tid as usize)?
        .iter()
        .rev()
        .find(|s| s.code == code && s.pc == pc)
        .cloned()
}

fn is_load(op: Opcode) -> bool {
    matches!(
        op,
        Opcode::LOAD_GLOBAL
            | Opcode::LOAD_NAME
            | Opcode::LOAD_FAST
            | Opcode::LOAD_DEREF
            | Opcode::BINARY_SUBSCR
            | Opcode::LOAD_ATTR
    )
}

fn is_shared_store(op: Opcode) -> bool {
    matches!(
        op,
        Opcode::STORE_GLOBAL
            | Opcode::STORE_NAME
            | Opcode::STORE_DEREF
            | Opcode::STORE_SUBSCR
            | Opcode::STORE_ATTR
    )
}

/// The variable an instruction names, if any (`counter`, `_`); `[]` for subscripts.
/// What a test or a conditional jump decided, for the trace: the result of a comparison,
/// `in` or `is` (`True`), and where a conditional jump went (`jump to line 12`, `no jump`).
fn outcome(
    vm: &Vm,
    t: &crate::vm::thread::Thread,
    code: u32,
    pc: u32,
    p: &Pending,
    normal: bool,
) -> Option<Access> {
    let ins = vm.prog.codes[code as usize].instrs[pc as usize];
    match ins.op {
        Opcode::COMPARE_OP | Opcode::CONTAINS_OP | Opcode::IS_OP if normal => Some(Access {
            kind: "result".into(),
            var: String::new(),
            value: vm.value_text(*t.stack.last()?),
        }),
        op if crate::vm::cta::is_branch(op) && !p.fresh && t.frames.len() == p.depth => {
            let f = t.frames.last()?;
            let value = if f.pc == p.pc + 1 {
                "no jump".to_string()
            } else {
                format!("jump to line {}", line_of(&vm.prog, f.code, f.pc))
            };
            Some(Access {
                kind: "branch".into(),
                var: String::new(),
                value,
            })
        }
        _ => None,
    }
}

/// The name of the container a `STORE_SUBSCR` at (code, pc) stores into, when the program
/// loaded it by name just before the key (`cache[key] = v`): `cache`; or as an attribute of a
/// name (`self.cache[key] = v`): `self.cache`; else empty.
fn container_name(vm: &Vm, code: u32, pc: u32) -> String {
    let c = &vm.prog.codes[code as usize];
    let at = |k: u32| pc.checked_sub(k).map(|i| c.instrs[i as usize]);
    let single = |op: Opcode| {
        matches!(
            op,
            Opcode::LOAD_FAST
                | Opcode::LOAD_CONST
                | Opcode::LOAD_GLOBAL
                | Opcode::LOAD_NAME
                | Opcode::LOAD_DEREF
        )
    };
    match (at(3), at(2), at(1)) {
        (_, Some(cont), Some(key))
            if single(key.op) && single(cont.op) && cont.op != Opcode::LOAD_CONST =>
        {
            operand_name(vm, code, pc - 2)
        }
        // An attribute of a name: `self.cache[key] = v` stores into `self.cache`.
        (Some(obj), Some(cont), Some(key))
            if single(key.op)
                && cont.op == Opcode::LOAD_ATTR
                && single(obj.op)
                && obj.op != Opcode::LOAD_CONST =>
        {
            format!(
                "{}.{}",
                operand_name(vm, code, pc - 3),
                operand_name(vm, code, pc - 2)
            )
        }
        _ => String::new(),
    }
}

fn operand_name(vm: &Vm, code: u32, pc: u32) -> String {
    let c = &vm.prog.codes[code as usize];
    let ins = c.instrs[pc as usize];
    match ins.op {
        Opcode::LOAD_FAST
        | Opcode::STORE_FAST
        | Opcode::LOAD_DEREF
        | Opcode::STORE_DEREF
        | Opcode::LOAD_CLOSURE => c.localsplus_name(ins.arg as usize).to_string(),
        Opcode::BINARY_SUBSCR | Opcode::STORE_SUBSCR => "[]".into(),
        op if op.has_name_operand() => vm
            .prog
            .names
            .get(ins.arg as usize)
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    }
}
