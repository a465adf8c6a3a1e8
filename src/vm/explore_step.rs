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
    /// Instructions the step has run.
    pub ran: u64,
}

impl Vm {
    /// A turn starts: the step's record is emptied. A woken lock waiter completes its
    /// `acquire` before its first instruction.
    pub(crate) fn begin_step(&mut self, tid: Tid) {
        let retry = self.threads[tid as usize].retry.as_ref().map(|r| r.lock);
        if let Some(rec) = self.step_touches.as_deref_mut() {
            rec.all.clear();
            rec.last = 0;
            rec.ran = 0;
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
        let Some(mut rec) = self.step_touches.take() else {
            return SliceEnd::Budget;
        };
        let end = loop {
            if self.steps >= self.config.max_steps {
                break SliceEnd::Budget;
            }
            let mark = rec.all.len();
            next_step_touches(self, tid, &mut rec.all);
            if extends && rec.ran > 0 && rec.all.len() > mark {
                // The next instruction is visible: the step ends before it.
                rec.all.truncate(mark);
                break SliceEnd::Budget;
            }
            rec.last = mark;
            let before = self.position(tid);
            self.step_touches = Some(rec);
            let (end, n) = self.slice(tid, 1);
            rec = match self.step_touches.take() {
                Some(r) => r,
                None => return end,
            };
            rec.ran += n;
            match end {
                SliceEnd::Gc => self.collect_garbage(),
                SliceEnd::Budget | SliceEnd::Tick => {}
                other => break other,
            }
            self.fire_timers();
            let Some((op, pc, depth)) = before else {
                break SliceEnd::Budget;
            };
            if !self.sched.is_runnable(tid) {
                break SliceEnd::Budget;
            }
            if !extends {
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
                    break SliceEnd::Budget;
                }
                continue;
            }
            // A boundary where the step could have ended: what ends a turn happens here as it
            // would between two turns (a released lock wakes a waiter; the run ends when the
            // main thread and every non-daemon thread have).
            if !self.released_locks.is_empty() {
                self.step_touches = Some(rec);
                self.wake_released_locks();
                rec = match self.step_touches.take() {
                    Some(r) => r,
                    None => return SliceEnd::Budget,
                };
            }
            if self.main_done() && self.non_daemon_done() {
                break SliceEnd::Budget;
            }
        };
        self.step_touches = Some(rec);
        end
    }
}
