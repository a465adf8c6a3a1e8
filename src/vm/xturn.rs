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
        self.drive.turn_start = self.steps;
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

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use crate::explore::dfs::Dfs;
    use crate::explore::exec::{execute, Ctl, Exec, Fp};
    use crate::explore::pct::Pct;
    use crate::vm::gil::GilModel;
    use crate::vm::interp::SliceEnd;
    use crate::vm::thread::Tid;

    /// A chooser that lets the turn loop take step boundaries inside the interpreter (`on`)
    /// or not, counting those it took.
    struct Counting<C>(C, bool, Rc<Cell<u64>>);

    impl<C: Ctl> Ctl for Counting<C> {
        fn choose(&mut self, runnable: &[Tid], prev: Option<Tid>) -> Option<Tid> {
            self.0.choose(runnable, prev)
        }
        fn waiter(&mut self, tids: &[Tid]) -> usize {
            self.0.waiter(tids)
        }
        fn footprint(&mut self) -> Option<&mut Fp> {
            self.0.footprint()
        }
        fn footprint_kept(&self) -> bool {
            self.0.footprint_kept()
        }
        fn step_done(&mut self, tid: Tid, end: &SliceEnd) {
            self.0.step_done(tid, end)
        }
        fn observes(&self) -> bool {
            self.0.observes()
        }
        fn goes_on(&self, runnable: &[Tid], prev: Tid) -> bool {
            let go = self.1 && self.0.goes_on(runnable, prev);
            if go {
                self.2.set(self.2.get() + 1);
            }
            go
        }
    }

    fn describe(e: &Exec) -> String {
        format!(
            "{:?} {} {} {:?} {:?} {:?} {}",
            String::from_utf8_lossy(&e.stdout),
            e.exit,
            e.steps,
            e.log.turns,
            e.log.lines,
            e.log.wakes,
            e.abandoned
        )
    }

    const COUNTER: &str = "import threading\ncounter = 0\ndef work():\n    global counter\n    for _ in range(3):\n        counter += 1\nts = [threading.Thread(target=work) for _ in range(2)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(counter)\n";
    const LOCKED: &str = "import threading\nlock = threading.Lock()\nn = [0]\ndef work(k):\n    for i in range(2):\n        with lock:\n            n[0] = n[0] + k\n        s = 'x' * i\n        n.append(len(s))\nts = [threading.Thread(target=work, args=(k,)) for k in (1, 2, 3)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(n[0], len(n))\n";

    /// A whole depth-first exploration, the turn loop on or off: every execution and every
    /// scheduling point (runnable threads, choice, footprint, waiter choices).
    fn dfs_exploration(source: &str, model: GilModel, on: bool) -> (Vec<String>, u64) {
        let program = crate::compile_source("t.toy", source).expect("compiles");
        let image = crate::run::image(&program).expect("links");
        let local = image.local();
        let config = crate::run::run_config(model, 0, 200_000, 0);
        let taken = Rc::new(Cell::new(0));
        let mut d = Counting(
            Dfs::new(Some(2), true, crate::explore::MAX_NODES),
            on,
            taken.clone(),
        );
        let mut out = Vec::new();
        loop {
            d.0.begin();
            let (e, back) = execute(&local, config.clone(), Some(d));
            d = back.expect("the explorer comes back");
            let nodes: Vec<String> =
                d.0.nodes
                    .iter()
                    .map(|n| format!("{:?}/{}/{:?}/{:?}", n.enabled, n.chosen, n.fp, n.wakes))
                    .collect();
            out.push(format!("{} {nodes:?}", describe(&e)));
            d.0.analyse();
            if out.len() >= 3000 || !d.0.advance() {
                return (out, taken.get());
            }
        }
    }

    /// Taking step boundaries inside the interpreter explores exactly what the driver does:
    /// the same executions, turns, lines, scheduling points and footprints; and it takes most
    /// of them (a test that the loop is used at all).
    #[test]
    fn the_turn_loop_gives_the_drivers_exploration() {
        for (name, source) in [("counter", COUNTER), ("locked", LOCKED)] {
            for model in [GilModel::Any, GilModel::Nogil, GilModel::Py311] {
                let (fast, taken) = dfs_exploration(source, model, true);
                let (slow, none) = dfs_exploration(source, model, false);
                assert_eq!(none, 0);
                assert!(fast.len() > 10, "{name} under {model:?} explores");
                assert_eq!(fast, slow, "{name} under {model:?}");
                if model == GilModel::Py311 {
                    // py311's stops may be switch points: the step loop keeps them.
                    assert_eq!(taken, 0, "{name} under py311");
                } else {
                    assert!(
                        taken >= fast.len() as u64,
                        "{name} under {model:?}: {taken} boundaries taken inside in {} executions",
                        fast.len()
                    );
                }
            }
        }
    }

    /// PCT's executions are the same with the turn loop, which takes its boundaries where
    /// the priorities say the thread goes on.
    #[test]
    fn pct_runs_the_same_with_the_turn_loop() {
        let program = crate::compile_source("t.toy", LOCKED).expect("compiles");
        let image = crate::run::image(&program).expect("links");
        let local = image.local();
        let mut taken_all = 0;
        for seed in 0..40u64 {
            let config = crate::run::run_config(GilModel::Any, 0, 200_000, seed);
            let run = |on: bool| {
                let taken = Rc::new(Cell::new(0));
                let c = Counting(Pct::new(seed, 3, 60), on, taken.clone());
                let (e, back) = execute(&local, config.clone(), Some(c));
                let steps = back.expect("the chooser comes back").0.steps;
                (format!("{} {steps}", describe(&e)), taken.get())
            };
            let (fast, taken) = run(true);
            let (slow, _) = run(false);
            assert_eq!(fast, slow, "seed {seed}");
            taken_all += taken;
        }
        assert!(taken_all > 40, "{taken_all} boundaries taken inside");
    }
}
