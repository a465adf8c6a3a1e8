//! The explorer's turn loop (`gilvm explore`): the steps of one thread taken one after the
//! other inside the interpreter's explore slice, without leaving it between them.
//!
//! A step of an explorer ends before its thread's next visible instruction
//! (`vm/explore_step.rs`), and the explorer then chooses who runs the next one. Most of the
//! time that is the same thread again (the depth-first search's default choice costs no
//! preemption; PCT's highest priority stays the highest), and going round through the driver
//! for it — leave the interpreter, account the slice, end the turn, record the step, begin
//! the next turn, ask the `Strategy`, look at the instruction again, re-enter the interpreter
//! and reload the frame — cost ≈1,700 instructions a step around ≈250 of interpretation.
//!
//! Here the interpreter's explore slice (`Vm::run_slice_explore`), stopped before an
//! instruction that may be visible, asks [`Vm::xturn_stop`] instead of leaving. When every
//! check the driver and the step loop would make between the two steps is known to come out
//! quiet (no timer pending, no released lock, nothing for stderr, no tracer, the run not over,
//! the step limit not reached, the thread runnable and its next instruction not a call or a
//! `with`), and the explorer says it would let this thread go on ([`TurnHook::goes_on`], no
//! side effect), the step boundary is taken right there, in the order the driver takes it:
//! the step is booked and recorded, the explorer chooses (the same thread), the next step
//! begins with the instruction's touches, already looked at, as its first, and the slice goes
//! on with the frame's registers as they are. Anything else leaves the slice exactly as
//! before, and the driver takes the boundary. An instruction that was only possibly visible
//! (an operation on an object that turns out to touch nothing shared) is run on within the
//! same step, as the step loop would.
//!
//! Only under the models whose every boundary may be a switch point (`any`, `nogil`): under
//! `py39` and `py311` a stop may be a switch point rather than a visible instruction, which
//! the step loop judges from the instruction after it.
//!
//! The tests that compare the explore slice with stepping one instruction at a time
//! (`vm/explore_stops.rs`) and the byte-identity of every exploration's report
//! (`bench/explore_identity.py`) hold the two ways to the same steps.

use crate::bytecode::Opcode;
use crate::vm::explore_step::StepTouches;
use crate::vm::machine::Vm;
use crate::vm::observe::instr_touches;
use crate::vm::scheduler::TurnDone;
use crate::vm::thread::{Frames, Tid};
use crate::vm::value::Value;

/// The explorer's side of the turn loop (installed by `explore/exec.rs` in the step record).
pub trait TurnHook {
    /// Whether the explorer would choose `tid` again for the next step, its step having ended
    /// at a stop with it runnable (as the driver would ask it, with the run queue as it is).
    /// No side effect: a `false` leaves the boundary to the driver.
    fn goes_on(&mut self, vm: &Vm, tid: Tid) -> bool;
    /// `tid`'s step ended after `steps` instructions, before the instruction at source line
    /// `line`, its touches in `rec` up to `end` (`rec.all[..end]`): record it, and choose the
    /// next step's thread (`tid`, as [`TurnHook::goes_on`] said).
    fn next_step(
        &mut self,
        vm: &Vm,
        rec: &StepTouches,
        end: usize,
        tid: Tid,
        steps: u64,
        line: u32,
    );
}

/// Where the step record keeps the explorer's [`TurnHook`].
#[derive(Default)]
pub struct HookSlot(pub Option<Box<dyn TurnHook>>);

impl std::fmt::Debug for HookSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "HookSlot(Some)"
        } else {
            "HookSlot(None)"
        })
    }
}

impl Vm {
    /// The explore slice of the current thread stopped before the instruction at `pc` of its
    /// top frame (`code_id`), after `executed` instructions since the slice began or last went
    /// on; `stack` and `frames` are the thread's, held by the interpreter. `Some(budget)`: the
    /// slice goes on with that budget, the next instruction run whatever it is (the module
    /// note); `None`: the slice ends as it would have.
    #[inline(never)]
    pub(crate) fn xturn_stop(
        &mut self,
        stack: &[Value],
        frames: &Frames,
        code_id: u32,
        pc: usize,
        executed: u64,
    ) -> Option<u64> {
        let mut rec = self.step_touches.take()?;
        let go = self.xturn_at(&mut rec, stack, frames, code_id, pc, executed);
        self.step_touches = Some(rec);
        go
    }

    fn xturn_at(
        &mut self,
        rec: &mut StepTouches,
        stack: &[Value],
        frames: &Frames,
        code_id: u32,
        pc: usize,
        executed: u64,
    ) -> Option<u64> {
        let model = self.gil.model;
        if !rec.at_stop
            || rec.hook.0.is_none()
            || executed == 0
            || model.has_switch_points()
            || model.may_reacquire()
        {
            return None;
        }
        let tid = self.current;
        let f = frames.last()?;
        let op = self.prog.codes[f.code as usize]
            .instrs
            .get(f.pc as usize)?
            .op;
        // What `Vm::runs_first` refuses; what the driver and the step loop look at between
        // two steps, each quiet.
        if matches!(
            op,
            Opcode::CALL | Opcode::CALL_FUNCTION_EX | Opcode::BEFORE_WITH
        ) || self.sched.next_deadline().is_some()
            || self.slice_cap.is_some()
            || !self.released_locks.is_empty()
            || !self.stderr_buf.is_empty()
            || self.tracer.is_some()
            || self.steps + executed >= self.config.max_steps
            || !self.sched.is_runnable(tid)
            || rec.clock_woken.contains(&tid)
        {
            return None;
        }
        let t = &self.threads[tid as usize];
        if t.start.is_some() || t.wake_throw.is_some() || t.retry.is_some() {
            return None;
        }
        if self.main_done() && self.non_daemon_done() {
            return None;
        }
        let mark = rec.all.len();
        instr_touches(self, stack, f, &mut rec.all);
        if rec.all.len() == mark {
            // Not visible after all: the step runs on through it.
            self.account(executed);
            rec.last = mark;
            return Some(self.go_on(rec));
        }
        let mut hook = rec.hook.0.take()?;
        if !hook.goes_on(self, tid) {
            rec.all.truncate(mark);
            rec.hook.0 = Some(hook);
            return None;
        }
        // The step ends before this instruction (its touches, `all[mark..]`, are not the
        // step's: they are the next step's first).
        self.account(executed);
        let steps = self.steps - rec.turn_start;
        self.sched.turn_done(TurnDone { tid, steps });
        let line = crate::vm::traceback::line_of(&self.prog, code_id, pc as u32);
        hook.next_step(self, rec, mark, tid, steps, line);
        rec.hook.0 = Some(hook);
        // The next step begins (`Vm::begin_step`, then the step loop's look at the
        // instruction).
        let len = rec.all.len();
        rec.all.copy_within(mark.., 0);
        rec.all.truncate(len - mark);
        rec.last = 0;
        rec.clock = false;
        rec.turn_start = self.steps;
        Some(self.go_on(rec))
    }

    /// The slice goes on: its next instruction is run whatever it is (as the step loop's
    /// `explore_run` with its `first` would), within what is left of `--max-steps`.
    fn go_on(&mut self, rec: &mut StepTouches) -> u64 {
        rec.first_free = true;
        rec.continued = true;
        rec.at_stop = false;
        self.slice_cap = None;
        self.config.max_steps - self.steps
    }
}
