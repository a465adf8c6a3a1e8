//! The step of `gilvm explore` ([`Length::Step`](crate::vm::scheduler::Length::Step)), run by
//! the driver itself, with the touches of its instructions recorded as it goes.
//!
//! A step is the unit an explorer chooses: one thread runs to the next switch point of the
//! GIL model, and under the models that may switch anywhere (`any`, `nogil`) on through every
//! following instruction that touches nothing shared: a switch before an invisible instruction
//! is equivalent to a switch after it, so the step ends just before the thread's next
//! *visible* instruction (a shared access or a sync operation), the only places where a
//! different choice can lead to a different trace.
//!
//! The footprint is recorded here, by the driver, into [`StepTouches`] (buffers reused from
//! step to step and from execution to execution): no observer call per instruction, no
//! allocation once the buffers have grown. What a step touched is every touch of its
//! instructions; the explorer treats the last instruction's apart (`last..`), since a call
//! that blocked has not taken effect yet (`explore/exec.rs`).

use crate::vm::gil;
use crate::vm::interp::SliceEnd;
use crate::vm::machine::Vm;
use crate::vm::observe::{next_step_touches, SyncOp, Touch};
use crate::vm::thread::Tid;

/// The touches of the current step (see the module note).
#[derive(Debug, Default)]
pub struct StepTouches {
    /// Every touch of the step's instructions, in order (duplicates included).
    pub all: Vec<Touch>,
    /// Where the last instruction's touches start in `all`.
    pub last: usize,
    /// The step depends on the virtual clock: it blocked with a deadline (`time.sleep`, a
    /// timeout, `threading.Timer`'s wait), whose value depends on every instruction run before
    /// it, or it is the first step of a thread its deadline woke, which could run only once
    /// enough instructions had. Either can be moved by any other thread's step (module note of
    /// `explore/dfs.rs`).
    pub clock: bool,
    /// Threads woken by their deadline since their last step.
    pub clock_woken: Vec<Tid>,
    /// Set by the interpreter's explore slice when it stopped before an instruction that may
    /// be visible or a switch point (`vm/explore_stops.rs`).
    pub at_stop: bool,
    /// The interpreter's explore slice runs the thread's next instruction whatever it is (the
    /// step's first, whose touches are recorded already).
    pub first_free: bool,
    /// Step one instruction at a time, as the driver did before the interpreter could run to
    /// the next stop itself (the tests compare the two).
    pub single_step: bool,
    /// The VM's instruction count when the current step began (its turn's start: the turn
    /// loop of `vm/xturn.rs` begins steps inside a slice).
    pub turn_start: u64,
    /// The explore slice went on past a stop (`vm/xturn.rs`): the instruction it went on with
    /// was the first of the step that runs now.
    pub continued: bool,
    /// The explorer's side of the turn loop (`vm/xturn.rs`), when it takes part.
    pub hook: crate::vm::xturn::HookSlot,
}

impl Vm {
    /// A turn starts: the step's record is emptied. A woken lock waiter completes its
    /// `acquire` before its first instruction.
    pub(crate) fn begin_step(&mut self, tid: Tid) {
        let retry = self.threads[tid as usize].retry.as_ref().map(|r| r.lock);
        if let Some(rec) = self.step_touches.as_deref_mut() {
            rec.all.clear();
            rec.last = 0;
            rec.clock = false;
            rec.turn_start = self.steps;
            if let Some(i) = rec.clock_woken.iter().position(|&t| t == tid) {
                rec.clock_woken.swap_remove(i);
                rec.clock = true;
            }
            if let Some(lock) = retry {
                rec.all.push(Touch::Sync(lock, SyncOp::Acquire));
                rec.last = rec.all.len();
            }
        }
    }

    /// Runs one explorer's step of `tid` (the module note), recording its touches.
    pub(crate) fn explore_step(&mut self, tid: Tid) -> SliceEnd {
        let model = self.gil.model;
        // Models whose every boundary is a switch point: the step extends through invisible
        // instructions. (py39 and py311 switch only at their switch points; py27 may hand the
        // GIL straight back: one switch point a step.)
        let extends = !(model.has_switch_points() || model.may_reacquire());
        // Runs of instructions that can be neither visible nor switch points run inside the
        // interpreter (`run_slice_explore`); not under py27 (its ticks), with the race
        // detector or a tracer, which keep one instruction at a time.
        let runs = !model.may_reacquire()
            && self.races.is_none()
            && self.tracer.is_none()
            && self.step_touches.as_deref().is_some_and(|r| !r.single_step);
        let mut ran = 0u64;
        loop {
            if self.steps >= self.config.max_steps {
                return SliceEnd::Budget;
            }
            let Some(mut rec) = self.step_touches.take() else {
                return SliceEnd::Budget;
            };
            let mark = rec.all.len();
            next_step_touches(self, tid, &mut rec.all);
            if extends && ran > 0 && rec.all.len() > mark {
                // The next instruction is visible: the step ends before it.
                rec.all.truncate(mark);
                self.step_touches = Some(rec);
                return SliceEnd::Budget;
            }
            rec.last = mark;
            let first = runs && self.runs_first(tid, extends);
            rec.first_free = first;
            self.step_touches = Some(rec);
            if first {
                // This instruction and the invisible ones after it, in the interpreter.
                if let Some(end) = self.explore_run(tid, extends, true) {
                    return end;
                }
                ran += 1;
                continue;
            }
            let before = if extends { None } else { self.position(tid) };
            let (end, n) = self.slice(tid, 1);
            ran += n;
            match end {
                SliceEnd::Gc => self.collect_garbage(),
                SliceEnd::Budget | SliceEnd::Tick => {}
                other => return other,
            }
            self.fire_timers();
            if !self.sched.is_runnable(tid) {
                return SliceEnd::Budget;
            }
            if !extends {
                if self.ended_at_switch_point(model, tid, before) {
                    return SliceEnd::Budget;
                }
                if runs {
                    if let Some(end) = self.explore_run(tid, false, false) {
                        return end;
                    }
                }
                continue;
            }
            // A boundary where the step could have ended: what ends a turn happens here as it
            // would between two turns (a released lock wakes a waiter; the run ends when the
            // main thread and every non-daemon thread have).
            if !self.released_locks.is_empty() {
                self.wake_released_locks();
            }
            if self.main_done() && self.non_daemon_done() {
                return SliceEnd::Budget;
            }
            if runs {
                if let Some(end) = self.explore_run(tid, true, false) {
                    return end;
                }
            }
        }
    }

    /// Runs `tid` inside the interpreter up to its next instruction that may be visible or a
    /// switch point (`vm/explore_stops.rs`), with what the step loop does after every
    /// instruction done here as it would be there: the slice stops where a timer falls due
    /// (which then fires) and where the heap wants a collection (which then runs). `None`
    /// when the step goes on with the instruction it stopped before; else how the step ends.
    ///
    /// Nothing it runs touches shared state, so it records no touch; and as no instruction
    /// it runs can release a lock or end a thread without ending the slice, what the step
    /// loop checks between instructions (released locks, the end of the run) cannot change
    /// in between.
    ///
    /// With `first`, the thread's next instruction runs whatever it is (its touches are
    /// recorded already; [`Vm::runs_first`] said it may run here).
    fn explore_run(&mut self, tid: Tid, extends: bool, first: bool) -> Option<SliceEnd> {
        let mut first = u64::from(first);
        loop {
            let mut budget = self.config.max_steps.saturating_sub(self.steps);
            if let Some(d) = self.sched.next_deadline() {
                budget = budget.min(self.instructions_until(d));
            }
            if budget == 0 {
                if let Some(rec) = self.step_touches.as_deref_mut() {
                    rec.first_free = false;
                }
                return None;
            }
            if let Some(rec) = self.step_touches.as_deref_mut() {
                rec.at_stop = false;
            }
            self.slice_cap = None;
            let (end, n) = self.run_slice_explore(budget);
            self.account(n);
            self.slice_cap = None;
            let at_stop = match self.step_touches.as_deref_mut() {
                Some(rec) => {
                    rec.first_free = false;
                    if std::mem::take(&mut rec.continued) {
                        // The slice went on into later steps (`vm/xturn.rs`): `n` counts
                        // from the first instruction of the step that runs now.
                        first = 1;
                    }
                    if n > first {
                        // The step's last instruction touched nothing.
                        rec.last = rec.all.len();
                    }
                    first = first.saturating_sub(n);
                    rec.at_stop
                }
                None => true,
            };
            match end {
                SliceEnd::Gc => self.collect_garbage(),
                SliceEnd::Budget | SliceEnd::Tick => {}
                other => return Some(other),
            }
            if n == 0 {
                return None;
            }
            self.fire_timers();
            if !self.sched.is_runnable(tid) {
                return Some(SliceEnd::Budget);
            }
            if extends {
                if !self.released_locks.is_empty() {
                    self.wake_released_locks();
                }
                if self.main_done() && self.non_daemon_done() {
                    return Some(SliceEnd::Budget);
                }
            }
            if at_stop || self.steps >= self.config.max_steps {
                return None;
            }
        }
    }

    /// Whether `tid`'s next instruction, the first of a step or the one an explore slice
    /// stopped before, may run inside the interpreter with the invisible ones after it: it
    /// cannot block, release a lock, wake or start a thread or arm a timer (no call, no
    /// `with`), which the step loop looks at after each instruction it runs itself, and under
    /// py39 and py311 it is no switch point. A thread about to start or to raise what woke it
    /// runs something else first: no.
    fn runs_first(&self, tid: Tid, extends: bool) -> bool {
        let t = &self.threads[tid as usize];
        if t.start.is_some() || t.wake_throw.is_some() {
            return false;
        }
        let Some((op, _, _)) = self.position(tid) else {
            return false;
        };
        use crate::bytecode::Opcode::*;
        !matches!(op, CALL | CALL_FUNCTION_EX | BEFORE_WITH)
            && (extends || !gil::marks_switch_point(self.gil.model, op))
    }

    /// The current step blocked with a deadline (a timeout, a sleep): it read the virtual
    /// clock (see [`StepTouches::clock`]).
    #[inline]
    pub(crate) fn note_timed_block(&mut self) {
        if let Some(rec) = self.step_touches.as_deref_mut() {
            rec.clock = true;
        }
    }

    /// `tid`'s deadline woke it: its next step follows from the clock.
    #[inline]
    pub(crate) fn note_timer_wake(&mut self, tid: Tid) {
        if let Some(rec) = self.step_touches.as_deref_mut() {
            if !rec.clock_woken.contains(&tid) {
                rec.clock_woken.push(tid);
            }
        }
    }
}
