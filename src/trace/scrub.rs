//! What the HTML page's scrubber and value tracks are made from (issue #17's "show the race,
//! not only its end"): per executed instruction, which thread ran which line; each thread's
//! local variables whenever they change; and the values of the watched shared variables
//! whenever they change.
//!
//! Bounds (decided here, documented in docs/tutorial.md's HTML section):
//! - The scrubber covers every one of the first [`MAX_SCRUB_STEPS`] instructions of the run
//!   (one entry of two small integers each). After them it is coarse, and the page says so:
//!   at each thread switch it keeps the last step of the turn that ended and the first of the
//!   next (the first [`ALL_SWITCHES`] switches, then one when at least `step /`
//!   [`SWITCH_RESOLUTION`] steps passed since the last one kept), and every step of the race
//!   windows (a lost update's read to its store, a check to its act) of the first
//!   [`MAX_EXACT_WINDOWS`] findings past the first part. A window is known only at its store,
//!   so the coarse part's steps wait in a ring of the latest `RING` (4,096) before they are written
//!   or dropped. The 2.8-million-instruction counter of the tutorial makes a 6.6 MB page.
//! - Locals are recorded as a full snapshot of the running frame when they change (not per
//!   instruction), so the state at any step is the last snapshot at or before it: no
//!   keyframes are needed, and the page finds it by binary search. In the coarse part a kept
//!   step carries its thread's latest snapshot, dated by the step it was taken at, so every
//!   position shows the exact locals.
//! - The watched variables' values are re-read after each instruction that can change them (a
//!   store, a delete or a call) and recorded when they change. Within the first part every
//!   change is kept; after it, a change is kept when at least `step /` [`TRACK_RESOLUTION`]
//!   steps passed since the last one kept for that variable, and the latest change is kept at
//!   every kept step (dated by its own step, so each position shows the exact values): a long
//!   run (4 threads × 1 M increments) costs tens of thousands of points, not millions, and the
//!   track keeps the timeline's resolution at every zoom. The last value is always recorded
//!   at the end.
//!
//! Watched variables: module globals, instance attributes and closure cells. `--var NAME`
//! picks globals named NAME, attributes named NAME or by their full name
//! (`--var balance`, `--var account.balance`) and closure variables named NAME (`--var
//! count`); without it, the locations of the run's lost updates and check-then-act findings
//! (a container held by a global counts as the global); else the globals, attributes and
//! cells that a thread other than the main thread stored into. An attribute is named as a
//! lock is (`vm/names.rs`): by where the program keeps its object at the end of the run
//! (`account.balance`, `accounts['alice'].balance`), else as the program writes it where it
//! last stored it (`self.balance`); a cell by its variable's name (`count`). Found by one
//! untraced look-ahead run (the run is deterministic, so the traced run makes the same
//! objects under the same heap ids).

use std::collections::{HashMap, VecDeque};
use std::io;

use crate::bytecode::Opcode;
use crate::trace::recorder::Filters;
use crate::vm::lost::LocKey;
use crate::vm::machine::{RunConfig, Vm};
use crate::vm::prelude::LocalImage;
use crate::vm::thread::Tid;
use crate::vm::traceback::line_of;
use crate::vm::value::Value;

/// The first instructions, every one of which the scrubber can step through.
pub const MAX_SCRUB_STEPS: u64 = 100_000;
/// After them, the scrubber keeps the first this many thread switches (the last step of a
/// turn and the first of the next)…
pub const ALL_SWITCHES: usize = 50_000;
/// …and after those, a switch when at least `step /` this many steps passed since the last one
/// kept: about this many per doubling of the run.
pub const SWITCH_RESOLUTION: u64 = 20_000;
/// Race windows (a lost update's read to its store, a check to its act) after the first
/// part that are kept whole, every instruction of them.
pub const MAX_EXACT_WINDOWS: usize = 200;
/// How many of the latest steps are held back, so a race window up to this long can still
/// be kept when its store reveals it.
const RING: usize = 4_096;
/// After the scrubber's window a track keeps about this many points per doubling of the run.
pub const TRACK_RESOLUTION: u64 = 5_000;
/// At most this many watched variables.
pub const MAX_WATCHED: usize = 8;
/// At most this many attributes (the first made) and closure cells are candidates: each
/// attribute's name is a search of the heap (`vm/names.rs`).
const MAX_CANDIDATES: usize = 256;
/// How many instructions the look-ahead run that finds the shared variables may take.
const LOOKAHEAD_STEPS: u64 = 50_000_000;

/// What the scrubber and tracks receive (only the HTML page uses them).
#[derive(Clone, Debug)]
pub enum ScrubEvent {
    /// The watched variables (once, before any other event).
    Watch { names: Vec<String> },
    /// Step `step` was run by `tid`, on `line`.
    Step { step: u64, tid: Tid, line: u32 },
    /// From `step` on, `tid`'s running function and its locals (name, repr) are these.
    Locals {
        step: u64,
        tid: Tid,
        function: String,
        locals: Vec<(String, String)>,
    },
    /// From `step` (at `t_ns`) on, watched variable `var` holds `value`.
    Value {
        step: u64,
        t_ns: u64,
        var: u32,
        value: String,
    },
    /// From `step` on, the scrubber is coarse: it keeps thread switches and race windows.
    Coarse { step: u64 },
}

/// A watched variable: the name the page shows and where its value lives.
#[derive(Clone, Debug)]
pub struct Watch {
    pub name: String,
    pub target: Target,
}

/// Where a watched value lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A module global, by slot.
    Global(u32),
    /// Attribute `name` of the instance `obj` of class `class` (heap ids; the traced run
    /// makes the same objects as the look-ahead run, deterministically).
    Attr { obj: u32, class: u32, name: u32 },
    /// A closure cell, by heap id.
    Cell(u32),
}

impl Target {
    /// The value now (`Undef` when not set, or when the object is not there yet).
    fn read(self, vm: &Vm) -> Value {
        use crate::vm::heap::Obj;
        use crate::vm::value::ObjId;
        match self {
            Target::Global(slot) => vm
                .globals
                .get(slot as usize)
                .map_or(Value::Undef, |g| g.value),
            Target::Attr { obj, class, name } => {
                if !vm.rt.heap.is_live(ObjId(obj)) {
                    return Value::Undef;
                }
                match vm.rt.heap.get(ObjId(obj)) {
                    Obj::Instance(i) if i.class.0 == class => {
                        i.attrs.get(&name).map_or(Value::Undef, |v| *v)
                    }
                    _ => Value::Undef,
                }
            }
            Target::Cell(id) => {
                if !vm.rt.heap.is_live(ObjId(id)) {
                    return Value::Undef;
                }
                match vm.rt.heap.get(ObjId(id)) {
                    Obj::Cell { value, .. } => *value,
                    _ => Value::Undef,
                }
            }
        }
    }
}

/// The recorder's scrubber state.
pub struct Scrub {
    watched: Vec<Watch>,
    /// Per watched variable: its value after the last step seen, the step of the last value
    /// written to the page, and the last change not yet written (coarse part only).
    last_value: Vec<Option<String>>,
    last_value_step: Vec<u64>,
    pending_value: Vec<Option<(u64, u64, String)>>,
    /// Per thread: the frame its last locals snapshot was of (code, depth), that snapshot,
    /// and the last snapshot not yet written (coarse part only).
    frame: Vec<Option<(u32, usize)>>,
    locals: Vec<Vec<(String, String)>>,
    pending_locals: Vec<Option<ScrubEvent>>,
    coarse: bool,
    /// The coarse part's last steps, held back until it is known whether they are kept.
    ring: VecDeque<Held>,
    /// The thread of the previous step, and the step of the last switch kept.
    prev_tid: Option<Tid>,
    last_switch: u64,
    switches: usize,
    /// Race windows kept exact in the coarse part so far.
    windows: usize,
}

/// A step of the coarse part waiting in the ring: what it showed, and whether it is kept.
struct Held {
    step: u64,
    t_ns: u64,
    tid: Tid,
    line: u32,
    locals: Option<ScrubEvent>,
    values: Vec<(u32, String)>,
    kept: bool,
}

type Sink<'a> = &'a mut dyn FnMut(ScrubEvent) -> io::Result<()>;

impl Scrub {
    pub fn new(watched: Vec<Watch>) -> Scrub {
        let n = watched.len();
        Scrub {
            watched,
            last_value: vec![None; n],
            last_value_step: vec![0; n],
            pending_value: vec![None; n],
            frame: Vec::new(),
            locals: Vec::new(),
            pending_locals: Vec::new(),
            coarse: false,
            ring: VecDeque::new(),
            prev_tid: None,
            last_switch: 0,
            switches: 0,
            windows: 0,
        }
    }

    pub fn watch_event(&self) -> ScrubEvent {
        ScrubEvent::Watch {
            names: self.watched.iter().map(|w| w.name.clone()).collect(),
        }
    }

    /// After step `step` (at `t_ns`) of `tid`, which ran the instruction (code, pc).
    pub fn after_step(
        &mut self,
        vm: &Vm,
        tid: Tid,
        step: u64,
        t_ns: u64,
        (code, pc): (u32, u32),
        emit: Sink,
    ) -> io::Result<()> {
        let op = vm.prog.codes[code as usize].instrs[pc as usize].op;
        let line = self.user_line(vm, tid, code, pc);
        let locals = self.locals_after(vm, tid, step, op);
        let values = if step == 0 || may_change_shared(op) {
            self.values_after(vm)
        } else {
            Vec::new()
        };
        let switched = self.prev_tid.is_some_and(|p| p != tid);
        self.prev_tid = Some(tid);
        if step < MAX_SCRUB_STEPS {
            emit(ScrubEvent::Step { step, tid, line })?;
            if let Some(l) = locals {
                emit(l)?;
            }
            for (var, value) in values {
                self.last_value_step[var as usize] = step;
                emit(ScrubEvent::Value {
                    step,
                    t_ns,
                    var,
                    value,
                })?;
            }
            return Ok(());
        }
        if !self.coarse {
            self.coarse = true;
            emit(ScrubEvent::Coarse { step })?;
        }
        // A switch of threads: the last step of the turn that ended and the first of the next.
        let kept = switched
            && (self.switches < ALL_SWITCHES
                || step - self.last_switch >= step / SWITCH_RESOLUTION);
        if kept {
            self.switches += 1;
            self.last_switch = step;
            if let Some(h) = self.ring.back_mut() {
                h.kept = true;
            }
        }
        self.ring.push_back(Held {
            step,
            t_ns,
            tid,
            line,
            locals,
            values,
            kept,
        });
        while self.ring.len() > RING {
            if let Some(h) = self.ring.pop_front() {
                self.release(h, emit)?;
            }
        }
        Ok(())
    }

    /// Keeps every step from `from` to `to` (a lost update's read to its store, a check to
    /// its act) that is still held, for the first [`MAX_EXACT_WINDOWS`] such windows past the
    /// exact first part.
    pub fn keep_window(&mut self, from: u64, to: u64) {
        if to < MAX_SCRUB_STEPS || self.windows >= MAX_EXACT_WINDOWS {
            return;
        }
        self.windows += 1;
        for h in self.ring.iter_mut().rev() {
            if h.step < from {
                break;
            }
            if h.step <= to {
                h.kept = true;
            }
        }
    }

    /// Writes a step leaving the ring: its value changes (sampled for the tracks), and if it
    /// is kept, the step with the last locals of its thread and the last values before it.
    fn release(&mut self, h: Held, emit: Sink) -> io::Result<()> {
        if let Some(l) = h.locals {
            self.pending_locals[h.tid as usize] = Some(l);
        }
        for (var, value) in h.values {
            let k = var as usize;
            if h.step.saturating_sub(self.last_value_step[k]) >= h.step / TRACK_RESOLUTION {
                self.pending_value[k] = None;
                self.last_value_step[k] = h.step;
                emit(ScrubEvent::Value {
                    step: h.step,
                    t_ns: h.t_ns,
                    var,
                    value,
                })?;
            } else {
                self.pending_value[k] = Some((h.step, h.t_ns, value));
            }
        }
        if !h.kept {
            return Ok(());
        }
        emit(ScrubEvent::Step {
            step: h.step,
            tid: h.tid,
            line: h.line,
        })?;
        if let Some(l) = self.pending_locals[h.tid as usize].take() {
            emit(l)?;
        }
        for k in 0..self.pending_value.len() {
            if let Some((step, t_ns, value)) = self.pending_value[k].take() {
                self.last_value_step[k] = step;
                emit(ScrubEvent::Value {
                    step,
                    t_ns,
                    var: k as u32,
                    value,
                })?;
            }
        }
        Ok(())
    }

    /// At the end of the trace: the held steps (the last one kept), and the last values.
    pub fn finish(&mut self, emit: Sink) -> io::Result<()> {
        if let Some(h) = self.ring.back_mut() {
            h.kept = true;
        }
        while let Some(h) = self.ring.pop_front() {
            self.release(h, emit)?;
        }
        Ok(())
    }

    /// The line of the program a step ran: in gilvm's prelude (a `threading` method), the line
    /// of the program that called into it.
    fn user_line(&self, vm: &Vm, tid: Tid, code: u32, pc: u32) -> u32 {
        if code < vm.rt.prelude_start {
            return line_of(&vm.prog, code, pc);
        }
        vm.threads[tid as usize]
            .frames
            .iter()
            .rev()
            .find(|f| f.code < vm.rt.prelude_start)
            .map(|f| line_of(&vm.prog, f.code, f.pc.saturating_sub(1)))
            .unwrap_or(0)
    }

    /// The running frame's locals after a step, when they changed.
    fn locals_after(&mut self, vm: &Vm, tid: Tid, step: u64, op: Opcode) -> Option<ScrubEvent> {
        let i = tid as usize;
        if self.frame.len() <= i {
            self.frame.resize(i + 1, None);
            self.locals.resize(i + 1, Vec::new());
            self.pending_locals.resize(i + 1, None);
        }
        let t = &vm.threads[i];
        let depth = t.frames.len();
        let Some(f) = t.frames.iter().rev().find(|f| f.code < vm.rt.prelude_start) else {
            if self.frame[i].take().is_some() {
                self.locals[i].clear();
                return Some(ScrubEvent::Locals {
                    step,
                    tid,
                    function: String::new(),
                    locals: Vec::new(),
                });
            }
            return None;
        };
        let key = Some((f.code, depth));
        let stored = matches!(
            op,
            Opcode::STORE_FAST | Opcode::DELETE_FAST | Opcode::STORE_DEREF | Opcode::DELETE_DEREF
        );
        let entered = key != self.frame[i];
        if !entered && !stored {
            return None;
        }
        self.frame[i] = key;
        let c = &vm.prog.codes[f.code as usize];
        let mut locals = Vec::new();
        for (k, name) in c.varnames.iter().enumerate() {
            // A comprehension's hidden iterator (`.0`) is not the program's variable.
            if name.starts_with('.') {
                continue;
            }
            let v = t
                .stack
                .get(f.base as usize + k)
                .copied()
                .unwrap_or(Value::Undef);
            if v != Value::Undef {
                locals.push((name.clone(), vm.value_text(v)));
            }
        }
        if entered || stored || locals != self.locals[i] {
            self.locals[i] = locals.clone();
            return Some(ScrubEvent::Locals {
                step,
                tid,
                function: c.name.clone(),
                locals,
            });
        }
        None
    }

    /// The watched values that changed since the last step seen.
    fn values_after(&mut self, vm: &Vm) -> Vec<(u32, String)> {
        let mut out = Vec::new();
        for (k, w) in self.watched.iter().enumerate() {
            let v = w.target.read(vm);
            // Not defined yet (or deleted): nothing to draw.
            if v == Value::Undef {
                continue;
            }
            let text = vm.value_text(v);
            if self.last_value[k].as_deref() == Some(text.as_str()) {
                continue;
            }
            self.last_value[k] = Some(text.clone());
            out.push((k as u32, text));
        }
        out
    }
}

/// An instruction after which a shared value may differ.
fn may_change_shared(op: Opcode) -> bool {
    matches!(
        op,
        Opcode::STORE_GLOBAL
            | Opcode::STORE_NAME
            | Opcode::STORE_SUBSCR
            | Opcode::STORE_ATTR
            | Opcode::STORE_DEREF
            | Opcode::DELETE_GLOBAL
            | Opcode::DELETE_NAME
            | Opcode::DELETE_SUBSCR
            | Opcode::DELETE_ATTR
            | Opcode::CALL
            | Opcode::CALL_FUNCTION_EX
    )
}

/// Where each thread last ran each instruction: (tid, code, pc) -> (step, t_ns). The page
/// draws a check-then-act from the check's time; kept while tracing only.
#[derive(Default)]
pub struct LastRun(HashMap<(Tid, u32, u32), (u64, u64)>);

impl LastRun {
    pub fn note(&mut self, tid: Tid, code: u32, pc: u32, step: u64, t_ns: u64) {
        self.0.insert((tid, code, pc), (step, t_ns));
    }

    pub fn get(&self, tid: Tid, code: u32, pc: u32) -> Option<(u64, u64)> {
        self.0.get(&(tid, code, pc)).copied()
    }
}

/// The variables the page watches (see the module's comment), found by running the program
/// once untraced.
pub fn watched(image: &LocalImage, config: &RunConfig, filters: &Filters) -> Vec<Watch> {
    let config = RunConfig {
        max_steps: config.max_steps.min(LOOKAHEAD_STEPS),
        races: false,
        ..config.clone()
    };
    let Ok(mut vm) = Vm::new(image, config, Box::new(io::sink())) else {
        return Vec::new();
    };
    vm.run(&mut io::sink());
    let found = Found::of(&vm);
    let mut out: Vec<Watch> = Vec::new();
    let mut add = |w: Option<Watch>| {
        let defined = |w: &Watch| {
            let v = w.target.read(&vm);
            v != Value::Undef && is_data(&vm, v)
        };
        if let Some(w) = w.filter(defined) {
            if !out.iter().any(|o| o.target == w.target) && out.len() < MAX_WATCHED {
                out.push(w);
            }
        }
    };
    if !filters.vars.is_empty() {
        for v in &filters.vars {
            add(vm
                .prog
                .names
                .iter()
                .position(|n| n == v)
                .map(|i| found.global(&vm, i as u32)));
            for a in &found.attrs {
                if a.matches(&vm, v) {
                    add(Some(a.watch.clone()));
                }
            }
            for c in &found.cells {
                if c.name == *v {
                    add(Some(c.watch()));
                }
            }
        }
        return out;
    }
    // The locations of the run's lost updates and check-then-act findings.
    let of_loc = |loc: LocKey| -> Option<Watch> {
        match loc {
            LocKey::Global(s) => Some(found.global(&vm, s)),
            LocKey::Item(i) => found
                .attrs
                .iter()
                .find(|a| a.loc == i)
                .map(|a| a.watch.clone())
                .or_else(|| {
                    let l = vm.items.locs.get(i as usize)?;
                    holder(&vm, l.container).map(|s| found.global(&vm, s))
                }),
            LocKey::Cell(c) => found
                .cells
                .iter()
                .find(|w| w.target == Target::Cell(c))
                .map(CellWatch::watch),
        }
    };
    let mut chosen: Vec<Option<Watch>> = vm.lost_events.iter().map(|e| of_loc(e.loc)).collect();
    chosen.extend(vm.cta.events.iter().map(|e| of_loc(e.check.key)));
    if chosen.iter().all(Option::is_none) {
        // Else what a thread other than the main thread stored into.
        for (slot, g) in vm.globals.iter().enumerate() {
            if g.meta.writer != 0 {
                chosen.push(Some(found.global(&vm, slot as u32)));
            }
        }
        for l in &vm.items.locs {
            if l.meta.writer != 0 {
                chosen.push(holder(&vm, l.container).map(|s| found.global(&vm, s)));
            }
        }
        for a in &found.attrs {
            if vm
                .items
                .locs
                .get(a.loc as usize)
                .is_some_and(|l| l.meta.writer != 0)
            {
                chosen.push(Some(a.watch.clone()));
            }
        }
        for c in &found.cells {
            if c.writer != 0 {
                chosen.push(Some(c.watch()));
            }
        }
    }
    for w in chosen {
        add(w);
    }
    out
}

/// The global holding container `container`, if one does.
fn holder(vm: &Vm, container: u32) -> Option<u32> {
    vm.globals
        .iter()
        .position(|g| matches!(g.value, Value::Obj(o) if o.0 == container))
        .map(|i| i as u32)
}

/// An attribute location the look-ahead run made, and how the page names it.
struct AttrLoc {
    loc: u32,
    /// The attribute's own name (`balance`).
    attr: String,
    watch: Watch,
}

impl AttrLoc {
    /// Whether `--var v` selects it: `balance`, its full name (`account.balance`,
    /// `accounts['alice'].balance`) or `self.balance`.
    fn matches(&self, _vm: &Vm, v: &str) -> bool {
        v == self.attr || v == self.watch.name || v.strip_prefix("self.") == Some(&self.attr)
    }
}

/// A cell the look-ahead found, with its variable's name and last writer.
struct CellWatch {
    name: String,
    target: Target,
    writer: Tid,
}

impl CellWatch {
    fn watch(&self) -> Watch {
        Watch {
            name: self.name.clone(),
            target: self.target,
        }
    }
}

/// What the look-ahead run left to watch besides globals: instance attributes that threads
/// stored into, and closure cells.
struct Found {
    attrs: Vec<AttrLoc>,
    cells: Vec<CellWatch>,
}

impl Found {
    fn of(vm: &Vm) -> Found {
        use crate::vm::heap::Obj;
        use crate::vm::value::ObjId;
        let mut attrs = Vec::new();
        for (loc, obj, name) in vm.attr_locs().into_iter().take(MAX_CANDIDATES) {
            let id = ObjId(obj);
            if !vm.rt.heap.is_live(id) {
                continue;
            }
            let Obj::Instance(inst) = vm.rt.heap.get(id) else {
                continue;
            };
            let attr = vm.prog.names[name as usize].clone();
            let shown = match vm.path_of(id) {
                Some(p) => format!("{p}.{attr}"),
                None => vm
                    .items
                    .locs
                    .get(loc as usize)
                    .and_then(|l| written_as(vm, l.meta.write_code, l.meta.write_pc, &attr))
                    .unwrap_or_else(|| attr.clone()),
            };
            attrs.push(AttrLoc {
                loc,
                attr,
                watch: Watch {
                    name: shown,
                    target: Target::Attr {
                        obj,
                        class: inst.class.0,
                        name,
                    },
                },
            });
        }
        // Cells, named by the variable a closure knows them by (`count`).
        let mut cells: Vec<CellWatch> = Vec::new();
        let mut seen: std::collections::HashSet<u32> = std::collections::HashSet::new();
        for (_, o) in vm.rt.heap.live() {
            if cells.len() >= MAX_CANDIDATES {
                break;
            }
            let Obj::Function(f) = o else { continue };
            let code = &vm.prog.codes[f.code as usize];
            for (i, c) in f.closure.iter().enumerate() {
                let Value::Obj(cid) = c else { continue };
                let Obj::Cell { meta, .. } = vm.rt.heap.get(*cid) else {
                    continue;
                };
                if !seen.insert(cid.0) {
                    continue;
                }
                let Some(name) = code.freevars.get(i) else {
                    continue;
                };
                cells.push(CellWatch {
                    name: name.clone(),
                    target: Target::Cell(cid.0),
                    writer: meta.writer,
                });
            }
        }
        cells.sort_by_key(|c| match c.target {
            Target::Cell(id) => id,
            _ => 0,
        });
        Found { attrs, cells }
    }

    fn global(&self, vm: &Vm, slot: u32) -> Watch {
        Watch {
            name: vm.prog.names[slot as usize].clone(),
            target: Target::Global(slot),
        }
    }
}

/// How the program writes attribute `attr` at its store (`self.balance`), from the source.
fn written_as(vm: &Vm, code: u32, pc: u32, attr: &str) -> Option<String> {
    let text = crate::vm::cta::source_text(&vm.prog, code, pc)?;
    let at = text.find(&format!(".{attr}"))?;
    let head = &text[..at];
    let start = head
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let obj = &head[start..];
    (!obj.is_empty()).then(|| format!("{obj}.{attr}"))
}

/// A value worth watching: a number, string, `None` or a container of them — not a function,
/// class, module, thread or lock (whose reprs are addresses).
fn is_data(vm: &Vm, v: Value) -> bool {
    use crate::vm::heap::Obj;
    match v {
        Value::Obj(o) => matches!(
            vm.rt.heap.get(o),
            Obj::Str(_)
                | Obj::List(_)
                | Obj::Tuple(_)
                | Obj::Dict(_)
                | Obj::Set(_)
                | Obj::FrozenSet(_)
                | Obj::BigInt(_)
        ),
        _ => true,
    }
}
