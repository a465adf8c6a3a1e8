//! What the HTML page's scrubber and value tracks are made from (issue #17's "show the race,
//! not only its end"): per executed instruction, which thread ran which line; each thread's
//! local variables whenever they change; and the values of the watched shared variables
//! whenever they change.
//!
//! Bounds (decided here, documented in docs/tutorial.md's HTML section):
//! - The scrubber covers the first [`MAX_SCRUB_STEPS`] instructions of the run (one entry of
//!   two small integers each). Locals are recorded as a full snapshot of the running frame
//!   when they change (not per instruction), so the state at any step is the last snapshot at
//!   or before it: no keyframes are needed, and the page finds it by binary search.
//! - The watched variables' values are re-read after each instruction that can change them (a
//!   store, a delete or a call) and recorded when they change. Within the scrubber's window
//!   every change is kept; after it, a change is kept only when at least `step /`
//!   [`TRACK_RESOLUTION`] steps passed since the last one kept for that variable, so a long
//!   run (4 threads × 1 M increments) costs a few tens of thousands of points, not millions,
//!   and the track keeps the timeline's resolution at every zoom. The last value is always
//!   recorded at the end.
//!
//! Watched variables: `--var` names that are module globals; else the globals involved in the
//! run's lost updates and check-then-act findings (a container held by a global counts as the
//! global); else the globals that a thread other than the main thread stored into (or into
//! whose container). Found by one untraced look-ahead run (the run is deterministic).

use std::collections::HashMap;
use std::io;

use crate::bytecode::Opcode;
use crate::trace::recorder::Filters;
use crate::vm::lost::LocKey;
use crate::vm::machine::{RunConfig, Vm};
use crate::vm::prelude::LocalImage;
use crate::vm::thread::Tid;
use crate::vm::traceback::line_of;
use crate::vm::value::Value;

/// Instructions the scrubber can step through.
pub const MAX_SCRUB_STEPS: u64 = 100_000;
/// After the scrubber's window a track keeps about this many points per doubling of the run.
pub const TRACK_RESOLUTION: u64 = 5_000;
/// At most this many watched variables.
pub const MAX_WATCHED: usize = 8;
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
    /// The scrubber's window ended at `step` (the run went on).
    Capped { step: u64 },
}

/// A watched variable: its name and module-global slot.
#[derive(Clone, Debug)]
pub struct Watch {
    pub name: String,
    pub slot: u32,
}

/// The recorder's scrubber state.
pub struct Scrub {
    watched: Vec<Watch>,
    last_value: Vec<Option<String>>,
    last_value_step: Vec<u64>,
    /// Per thread: the frame its last locals snapshot was of (code, depth), and that snapshot.
    frame: Vec<Option<(u32, usize)>>,
    locals: Vec<Vec<(String, String)>>,
    capped: bool,
}

impl Scrub {
    pub fn new(watched: Vec<Watch>) -> Scrub {
        let n = watched.len();
        Scrub {
            watched,
            last_value: vec![None; n],
            last_value_step: vec![0; n],
            frame: Vec::new(),
            locals: Vec::new(),
            capped: false,
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
        emit: &mut dyn FnMut(ScrubEvent) -> io::Result<()>,
    ) -> io::Result<()> {
        let op = vm.prog.codes[code as usize].instrs[pc as usize].op;
        let in_window = step < MAX_SCRUB_STEPS;
        if in_window {
            let line = self.user_line(vm, tid, code, pc);
            emit(ScrubEvent::Step { step, tid, line })?;
            self.locals_after(vm, tid, step, op, emit)?;
        } else if !self.capped {
            self.capped = true;
            emit(ScrubEvent::Capped { step })?;
        }
        if step == 0 || may_change_shared(op) {
            self.values_after(vm, step, t_ns, !in_window, emit)?;
        }
        Ok(())
    }

    /// The last values, at the end of the trace.
    pub fn finish(
        &mut self,
        vm: &Vm,
        emit: &mut dyn FnMut(ScrubEvent) -> io::Result<()>,
    ) -> io::Result<()> {
        self.values_after(vm, vm.steps, vm.now_ns(), false, emit)
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

    fn locals_after(
        &mut self,
        vm: &Vm,
        tid: Tid,
        step: u64,
        op: Opcode,
        emit: &mut dyn FnMut(ScrubEvent) -> io::Result<()>,
    ) -> io::Result<()> {
        let i = tid as usize;
        if self.frame.len() <= i {
            self.frame.resize(i + 1, None);
            self.locals.resize(i + 1, Vec::new());
        }
        let t = &vm.threads[i];
        let depth = t.frames.len();
        let Some(f) = t.frames.iter().rev().find(|f| f.code < vm.rt.prelude_start) else {
            if self.frame[i].take().is_some() {
                self.locals[i].clear();
                emit(ScrubEvent::Locals {
                    step,
                    tid,
                    function: String::new(),
                    locals: Vec::new(),
                })?;
            }
            return Ok(());
        };
        let key = Some((f.code, depth));
        let stored = matches!(
            op,
            Opcode::STORE_FAST | Opcode::DELETE_FAST | Opcode::STORE_DEREF | Opcode::DELETE_DEREF
        );
        if key == self.frame[i] && !stored {
            return Ok(());
        }
        self.frame[i] = key;
        let c = &vm.prog.codes[f.code as usize];
        let mut locals = Vec::new();
        for (k, name) in c.varnames.iter().enumerate() {
            let v = t
                .stack
                .get(f.base as usize + k)
                .copied()
                .unwrap_or(Value::Undef);
            if v != Value::Undef {
                locals.push((name.clone(), vm.value_text(v)));
            }
        }
        if locals != self.locals[i] || stored {
            self.locals[i] = locals.clone();
            emit(ScrubEvent::Locals {
                step,
                tid,
                function: c.name.clone(),
                locals,
            })?;
        }
        Ok(())
    }

    fn values_after(
        &mut self,
        vm: &Vm,
        step: u64,
        t_ns: u64,
        sampled: bool,
        emit: &mut dyn FnMut(ScrubEvent) -> io::Result<()>,
    ) -> io::Result<()> {
        for (k, w) in self.watched.iter().enumerate() {
            let v = vm
                .globals
                .get(w.slot as usize)
                .map_or(Value::Undef, |g| g.value);
            // Not defined yet (or deleted): nothing to draw.
            if v == Value::Undef {
                continue;
            }
            let text = vm.value_text(v);
            if self.last_value[k].as_deref() == Some(text.as_str()) {
                continue;
            }
            if sampled && step.saturating_sub(self.last_value_step[k]) < step / TRACK_RESOLUTION {
                continue;
            }
            self.last_value[k] = Some(text.clone());
            self.last_value_step[k] = step;
            emit(ScrubEvent::Value {
                step,
                t_ns,
                var: k as u32,
                value: text,
            })?;
        }
        Ok(())
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
    let defined = |vm: &Vm, slot: u32| {
        vm.globals
            .get(slot as usize)
            .is_some_and(|g| g.value != Value::Undef && is_data(vm, g.value))
    };
    let holder = |vm: &Vm, container: u32| {
        vm.globals
            .iter()
            .position(|g| matches!(g.value, Value::Obj(o) if o.0 == container))
            .map(|i| i as u32)
    };
    let mut slots: Vec<u32> = Vec::new();
    let mut add = |slot: Option<u32>| {
        if let Some(s) = slot.filter(|&s| defined(&vm, s)) {
            if !slots.contains(&s) && slots.len() < MAX_WATCHED {
                slots.push(s);
            }
        }
    };
    if !filters.vars.is_empty() {
        for v in &filters.vars {
            add(vm.prog.names.iter().position(|n| n == v).map(|i| i as u32));
        }
    } else {
        let of_loc = |loc: LocKey| match loc {
            LocKey::Global(s) => Some(s),
            LocKey::Item(i) => vm
                .items
                .locs
                .get(i as usize)
                .and_then(|l| holder(&vm, l.container)),
            LocKey::Cell(_) => None,
        };
        let mut found: Vec<Option<u32>> = vm.lost_events.iter().map(|e| of_loc(e.loc)).collect();
        found.extend(vm.cta.events.iter().map(|e| of_loc(e.check.key)));
        if found.iter().all(Option::is_none) {
            for (slot, g) in vm.globals.iter().enumerate() {
                if g.meta.writer != 0 {
                    found.push(Some(slot as u32));
                }
            }
            for l in &vm.items.locs {
                if l.meta.writer != 0 {
                    found.push(holder(&vm, l.container));
                }
            }
        }
        for s in found {
            add(s);
        }
    }
    slots
        .into_iter()
        .map(|slot| Watch {
            name: vm.prog.names[slot as usize].clone(),
            slot,
        })
        .collect()
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
