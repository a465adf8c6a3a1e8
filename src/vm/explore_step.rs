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
            self.step_touches = Some(rec);
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
                let Some((op, pc, depth)) = before else {
                    return SliceEnd::Budget;
                };
                let after = self.position(tid);
                let step = gil::Step {
                    op,
                    pc,
                    depth,
                    next_pc: after.map_or(0, |a| a.1),
                    next_depth: after.map_or(0, |a| a.2),
                    next_op: after.map(|a| a.0),
                };
                if gil::is_switch_point(model, &step) {
                    return SliceEnd::Budget;
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
        }
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
