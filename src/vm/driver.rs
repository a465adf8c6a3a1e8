//! The run loop: asks the scheduler who holds the GIL next, runs that thread's slice, and
//! handles what the slice reports (preemption, blocking, the end of a thread, an uncaught
//! exception), timers, collections, deadlocks and the step limit.

use std::io::Write;

use crate::vm::exceptions::ExcKind;
use crate::vm::gil;
use crate::vm::heap::Obj;
use crate::vm::interp::SliceEnd;
use crate::vm::machine::Vm;
use crate::vm::observe::Hook;
use crate::vm::scheduler::{Entry, Length, Pick, TurnDone};
use crate::vm::thread::ThreadState;
use crate::vm::thread::Tid;
use crate::vm::traceback::{self, line_of};
use crate::vm::value::Value;

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The main thread finished (and every non-daemon thread after it).
    Normal,
    /// An exception escaped the main thread (exit status 1), or `sys.exit(n)`.
    MainException(i32),
    /// No thread could ever run again (exit status 4).
    Deadlock,
    /// `--max-steps` or another VM limit (exit status 5).
    Limit,
    /// A replayed schedule named a thread that could not run at that point (exit status 2).
    Diverged,
}

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: an uncaught exception in the main thread.
pub const EXIT_EXCEPTION: i32 = 1;
/// Exit status: usage error, unreadable file, or a schedule that does not fit its program.
pub const EXIT_USAGE: i32 = 2;
/// Exit status: syntax or compile error.
pub const EXIT_COMPILE: i32 = 3;
/// Exit status: deadlock.
pub const EXIT_DEADLOCK: i32 = 4;
/// Exit status: a resource limit (`--max-steps`, the heap).
pub const EXIT_LIMIT: i32 = 5;
/// Exit status: `--races` found data races, and the run otherwise succeeded.
pub const EXIT_RACES: i32 = 6;
/// Exit status of `sweep --fail-on`/`--expect-output`: some run showed a kind it fails on.
pub const EXIT_SWEEP_FAILED: i32 = 7;

impl Ending {
    /// The process's exit status for this ending (`sys.exit(n)` gives `n`).
    pub fn exit_code(&self) -> i32 {
        match self {
            Ending::Normal => EXIT_OK,
            Ending::MainException(c) => *c,
            Ending::Deadlock => EXIT_DEADLOCK,
            Ending::Limit => EXIT_LIMIT,
            Ending::Diverged => EXIT_USAGE,
        }
    }
}

/// What one call of [`Vm::turn`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum Turn {
    /// A thread held the GIL for one turn.
    Ran(TurnReport),
    /// Every live thread was blocked or asleep: the clock jumped to the next timer.
    Waited,
    /// The run is over (every later call says so again).
    Ended(Ending),
}

/// A turn that ran.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TurnReport {
    pub tid: Tid,
    /// Instructions it executed.
    pub steps: u64,
    /// Why it ended: `Budget` (preempted), `Blocked`, `Finished`, `Died`.
    pub end: SliceEnd,
}

/// The run loop's state between turns.
#[derive(Clone, Debug, Default)]
pub struct DriveState {
    /// The thread whose last turn ended by preemption.
    preempted: Option<Tid>,
    /// The thread that ran the last turn (hand-overs are counted between different threads).
    last_ran: Option<Tid>,
    /// The main thread's exit status once an exception escaped it.
    ending: Option<Ending>,
    /// How the run ended, once it has.
    ended: Option<Ending>,
    /// The VM's instruction count when the running turn began. A field rather than a local
    /// so that an explorer's turn loop (`vm/xturn.rs`), which begins turns inside a slice,
    /// can move it, at no test on `run`'s path.
    pub(crate) turn_start: u64,
    /// Issue 21: turns of a lone thread chained inside one slice (see [`Vm::chain_turn`]).
    /// `chain`: set by [`Vm::run`], the only caller that does not look at each turn;
    /// `quantum_left`: what is left of the running turn's quantum when its slice began (set
    /// by `run_quantum`; a slice that ran exactly that many ran it out), and after a chained
    /// turn that turn's quantum, which `run_quantum` goes on from.
    pub(crate) chain: bool,
    pub(crate) quantum_left: u64,
}

impl Vm {
    /// Runs the program to its end. Messages for the user (tracebacks, reports) go to `err`.
    pub fn run(&mut self, err: &mut dyn Write) -> Ending {
        self.drive.chain = true;
        loop {
            if let Turn::Ended(e) = self.turn(err) {
                return e;
            }
        }
    }

    /// Runs one turn: fires the timers that fell due, asks the strategy who holds the GIL
    /// next and for how long, runs that thread's turn and handles how it ended (preemption,
    /// blocking, the end of a thread, an uncaught exception), or jumps the clock when every
    /// thread waits, or ends the run (its end, a deadlock, a limit). `run` is a loop over it;
    /// an explorer or a person stepping through a run calls it one turn at a time, with an
    /// observer attached to see what each turn touched (`vm/observe.rs`).
    #[inline]
    pub fn turn(&mut self, err: &mut dyn Write) -> Turn {
        if let Some(e) = &self.drive.ended {
            return Turn::Ended(e.clone());
        }
        let t = self.next_turn(err);
        if let Turn::Ended(e) = &t {
            self.drive.ended = Some(e.clone());
        }
        t
    }

    #[inline(always)]
    fn next_turn(&mut self, err: &mut dyn Write) -> Turn {
        self.fire_timers();
        if self.main_done() && self.non_daemon_done() {
            return Turn::Ended(self.drive.ending.take().unwrap_or(Ending::Normal));
        }
        if self.steps >= self.config.max_steps {
            self.report_limit(err, false);
            return Turn::Ended(Ending::Limit);
        }
        let (tid, length) = match self.sched.next_turn(self.drive.preempted, &self.gil) {
            Pick::Run(tid, length) => (tid, length),
            Pick::Diverged(tid) => {
                let _ = writeln!(
                    err,
                    "gilvm: the schedule cannot be followed: it runs thread T{tid}, which is {} at this point (after {} {})",
                    self.describe_state(tid),
                    self.steps,
                    crate::vm::summary::noun(self.steps, "instruction", "instructions")
                );
                return Turn::Ended(Ending::Diverged);
            }
            Pick::Idle => {
                return match self.sched.next_deadline() {
                    Some(d) => {
                        // Everyone is blocked or asleep: jump the clock to the next wake-up.
                        self.clock_ns = self.clock_ns.max(d);
                        Turn::Waited
                    }
                    None if self.threads.iter().all(|t| !t.is_alive()) => {
                        Turn::Ended(self.drive.ending.take().unwrap_or(Ending::Normal))
                    }
                    None => {
                        self.report_deadlock(err);
                        Turn::Ended(Ending::Deadlock)
                    }
                };
            }
        };
        if self.drive.last_ran.is_some_and(|l| l != tid) {
            self.switches += 1;
        }
        self.drive.last_ran = Some(tid);
        self.current = tid;
        // Issue 21: with many threads runnable, load the next turns' threads ahead.
        if self.sched.queue.len() >= crate::vm::thread_cheap::AHEAD_RUNNABLE {
            self.prefetch_turns_ahead(tid, self.drive.preempted);
        }
        self.drive.preempted = None;
        if self.tracer.is_some() {
            self.trace(Hook::Gil { tid });
        }
        if self.step_touches.is_some() {
            self.begin_step(tid);
        }
        self.drive.turn_start = self.steps;
        // A thread woken by a lock's release takes the lock first, or waits again.
        let end = if self.threads[tid as usize].retry.is_some() && !self.retry_lock(tid) {
            SliceEnd::Blocked
        } else {
            self.run_turn(tid, length)
        };
        if !self.released_locks.is_empty() {
            self.wake_released_locks();
        }
        if self.tracer.is_some() {
            self.trace(Hook::TurnEnd { tid, end: &end });
        }
        if !self.stderr_buf.is_empty() {
            let _ = err.write_all(self.stderr_buf.as_bytes());
            self.stderr_buf.clear();
        }
        // An explorer's turn may have begun inside the slice (`vm/xturn.rs` moves the start).
        let steps = self.steps - self.drive.turn_start;
        self.sched.turn_done(TurnDone { tid, steps });
        match end {
            SliceEnd::Limit => {
                self.report_limit(err, true);
                return Turn::Ended(Ending::Limit);
            }
            SliceEnd::Budget => self.drive.preempted = Some(tid),
            SliceEnd::Gc | SliceEnd::Blocked | SliceEnd::Tick => {}
            SliceEnd::Finished => {
                if !self.run_atexit(tid) {
                    self.on_thread_finished(tid)
                }
            }
            SliceEnd::Died(exc) => {
                if let Some(c) = self.crash_of(tid, exc) {
                    self.crashes.push(c);
                }
                if !self.run_user_excepthook(tid, exc) {
                    let code = self.report_uncaught(tid, exc, err);
                    if tid == 0 {
                        self.drive.ending = Some(Ending::MainException(code));
                    }
                    if !self.run_atexit(tid) {
                        self.on_thread_finished(tid);
                    }
                }
            }
        }
        if let Some(msg) = self.sched.diverged() {
            let _ = writeln!(
                err,
                "gilvm: the schedule cannot be followed: {msg} (after {} {})",
                self.steps,
                crate::vm::summary::noun(self.steps, "instruction", "instructions")
            );
            return Turn::Ended(Ending::Diverged);
        }
        Turn::Ran(TurnReport { tid, steps, end })
    }

    /// Runs `tid`'s turn of `length`.
    #[inline(always)]
    fn run_turn(&mut self, tid: Tid, length: Length) -> SliceEnd {
        match length {
            Length::Steps(n) => self.run_quantum(tid, n),
            Length::UntilBlocked => self.run_quantum(tid, u64::MAX),
            Length::Until(e) => self.run_until(tid, e),
            Length::Step => self.explore_step(tid),
            Length::SwitchPoints(k) => {
                for _ in 0..k.max(1) {
                    let end = self.step_to_switch_point(tid);
                    if end != SliceEnd::Budget
                        || self.steps >= self.config.max_steps
                        || !self.sched.is_runnable(tid)
                    {
                        return end;
                    }
                }
                SliceEnd::Budget
            }
        }
    }

    /// Runs `tid` for up to `quantum` instructions, pausing (without a scheduling decision)
    /// to fire timers that fall due and to collect garbage. Under a model with switch points
    /// (py39, py311) a spent quantum is a *request*: the thread single-steps on to the next
    /// switch point, as CPython's eval breaker is only checked there.
    #[inline(always)]
    fn run_quantum(&mut self, tid: Tid, quantum: u64) -> SliceEnd {
        let stepping = self.gil.model.has_switch_points();
        let mut remaining = quantum;
        loop {
            if stepping && remaining == 1 {
                return self.step_to_switch_point(tid);
            }
            let mut budget = remaining.min(self.config.max_steps.saturating_sub(self.steps));
            if stepping {
                // Keep the last instruction of the quantum for `step_to_switch_point`. (A
                // replayed turn of 0 instructions runs none.)
                budget = budget.min(remaining.saturating_sub(1));
            }
            if let Some(d) = self.sched.next_deadline() {
                budget = budget.min(self.instructions_until(d));
            }
            self.drive.quantum_left = remaining;
            let (end, n) = self.slice(tid, budget);
            // After turns chained in the slice (`chain_turn`), the last one's quantum goes on.
            remaining = self.drive.quantum_left.saturating_sub(n);
            match end {
                SliceEnd::Gc => self.collect_garbage(),
                SliceEnd::Budget => {}
                SliceEnd::Tick => return SliceEnd::Budget,
                other => return other,
            }
            self.fire_timers();
            if remaining == 0 || self.steps >= self.config.max_steps || !self.sched.is_runnable(tid)
            {
                return SliceEnd::Budget;
            }
        }
    }

    /// Executes `tid` one instruction at a time until the boundary after an instruction is a
    /// switch point of the model (or the thread blocks, ends, or the run hits a limit).
    fn step_to_switch_point(&mut self, tid: Tid) -> SliceEnd {
        let model = self.gil.model;
        loop {
            if self.steps >= self.config.max_steps {
                return SliceEnd::Budget;
            }
            let before = self.position(tid);
            let (end, _) = self.slice(tid, 1);
            match end {
                SliceEnd::Gc => self.collect_garbage(),
                SliceEnd::Budget | SliceEnd::Tick => {}
                other => return other,
            }
            self.fire_timers();
            if self.ended_at_switch_point(model, tid, before) || !self.sched.is_runnable(tid) {
                return SliceEnd::Budget;
            }
        }
    }

    /// A hand-written turn `until EVENT` (`scheduler/events.rs`): `tid` one instruction at a
    /// time until its next instruction would make the event happen (after at least one), or
    /// it blocks or ends. Only such turns step.
    fn run_until(&mut self, tid: Tid, event: u32) -> SliceEnd {
        let mut first = true;
        loop {
            if self.steps >= self.config.max_steps {
                return SliceEnd::Budget;
            }
            let hit = !first
                && self
                    .sched
                    .stop_event(event)
                    .is_some_and(|ev| self.at_event(tid, ev));
            if hit {
                return SliceEnd::Budget;
            }
            first = false;
            let (end, n) = self.slice(tid, 1);
            match end {
                SliceEnd::Gc => self.collect_garbage(),
                SliceEnd::Budget | SliceEnd::Tick => {}
                other => return other,
            }
            self.fire_timers();
            if n == 0 || !self.sched.is_runnable(tid) {
                return SliceEnd::Budget;
            }
        }
    }

    /// Whether the instruction `tid` ran from `before` (its position then, `None` when it had
    /// none) ended at one of `model`'s switch points, judged from where the thread is now.
    pub(crate) fn ended_at_switch_point(
        &self,
        model: gil::GilModel,
        tid: Tid,
        before: Option<(crate::bytecode::Opcode, u32, usize)>,
    ) -> bool {
        let Some((op, pc, depth)) = before else {
            return true;
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
        gil::is_switch_point(model, &step)
    }

    /// The next instruction of a thread: (opcode, index, frame depth).
    pub(crate) fn position(&self, tid: Tid) -> Option<(crate::bytecode::Opcode, u32, usize)> {
        let t = &self.threads[tid as usize];
        let f = t.frames.last()?;
        let op = self.prog.codes[f.code as usize]
            .instrs
            .get(f.pc as usize)?
            .op;
        Some((op, f.pc, t.frames.len()))
    }

    /// Instructions from now until virtual time `deadline` (at least 1).
    pub(crate) fn instructions_until(&self, deadline: u64) -> u64 {
        let cost = self.config.ns_per_instr.max(1);
        deadline.saturating_sub(self.clock_ns).div_ceil(cost).max(1)
    }

    /// Issue 21: the slice of `tid` ran out its turn's whole quantum (`executed`
    /// instructions, not yet booked); if the turn that `run`'s loop would run next is
    /// certainly `tid` again — the seeded strategy, `tid` the only runnable thread, nothing
    /// due or waiting to be done between turns (no timers, no released locks, no buffered
    /// error output, no tracer or observer, no limit reached, a model counting instructions,
    /// which has no switch points: `Scheduler::chain_quantum`)
    /// — books the turn as the driver would and draws the next turn's quantum exactly as
    /// `next_turn` would (the same draw from the same generator), and returns the next
    /// slice's budget. `run_slice` then goes on without leaving the interpreter: a lone
    /// thread's turns (a quantum of 1–199 instructions under `any`, 1–3 under `nogil`)
    /// otherwise cost a round trip through the driver each. Schedules and outputs are
    /// unchanged: only the work between two turns of the same thread is skipped, and it is
    /// nothing under these conditions. `None` leaves the turn to the driver.
    #[inline(never)]
    pub(crate) fn chain_turn(&mut self, tid: Tid, executed: u64) -> Option<u64> {
        if executed != self.drive.quantum_left
            || self.slice_cap.is_some()
            || self.tracer.is_some()
            || self.step_touches.is_some()
            || self.sched.next_deadline().is_some()
            || !self.released_locks.is_empty()
            || !self.stderr_buf.is_empty()
            || self.steps + executed >= self.config.max_steps
            || (self.main_done() && self.non_daemon_done())
        {
            return None;
        }
        let q = self.sched.chain_quantum(tid, &self.gil)?;
        self.account(executed);
        self.drive.turn_start = self.steps;
        self.drive.quantum_left = q;
        Some(q.min(self.config.max_steps - self.steps))
    }

    /// Books `n` executed instructions.
    pub(crate) fn account(&mut self, n: u64) {
        self.steps += n;
        // Saturating: a program may sleep until the end of (virtual) time.
        self.clock_ns = self
            .clock_ns
            .saturating_add(n.saturating_mul(self.config.ns_per_instr));
        self.slice_steps = 0;
    }

    /// Runs up to `budget` instructions of `tid` and books them. With a tracer attached this
    /// is tracing's step mode: one-instruction slices with the tracer told before and after
    /// each. The interpreter treats a budget end as a pause, so both make the same decisions
    /// (see `trace/hook.rs`).
    pub(crate) fn slice(&mut self, tid: Tid, mut budget: u64) -> (SliceEnd, u64) {
        // `slice_cap`: an instruction armed a timer that falls due within the slice (see
        // `Vm::slice_cap`); `run_slice` stops there itself, the step mode here.
        self.slice_cap = None;
        if self.tracer.is_none() || budget == 0 {
            let (end, n) = self.run_slice(budget);
            self.account(n);
            self.slice_cap = None;
            return (end, n);
        }
        let mut done = 0;
        while done < budget {
            if self.tracer.is_none() {
                // The tracer finished (closed output, --limit): the rest runs untraced.
                let (end, n) = self.run_slice(budget - done);
                self.account(n);
                self.slice_cap = None;
                return (end, done + n);
            }
            self.trace(Hook::Before { tid });
            let (end, n) = self.run_slice(1);
            self.account(n);
            done += n;
            if let Some(cap) = self.slice_cap.take() {
                budget = budget.min(done + cap);
            }
            self.trace(Hook::After { tid, n });
            if !matches!(end, SliceEnd::Budget) || n == 0 {
                return (end, done);
            }
        }
        (SliceEnd::Budget, done)
    }

    /// Hands a hook to the attached tracer, detaching it once it is done.
    pub fn trace(&mut self, hook: Hook<'_>) {
        if let Some(mut t) = self.tracer.take() {
            t.hook(self, hook);
            if !t.done() {
                self.tracer = Some(t);
            } else {
                self.finished_tracer = Some(t);
            }
        }
    }

    /// Fires the timers that fell due. Called two or three times per thread switch, so the
    /// nothing-due case is an inlined comparison (≈100 x86 instructions per switch as a call).
    #[inline]
    pub(crate) fn fire_timers(&mut self) {
        if self
            .sched
            .next_deadline()
            .is_some_and(|d| d <= self.clock_ns)
        {
            self.fire_due_timers();
        }
    }

    #[inline(never)]
    fn fire_due_timers(&mut self) {
        while let Some((d, t)) = self.sched.pop_due_timer(self.clock_ns) {
            if self.tracer.is_some() && self.timer_is_live(t, d) {
                self.trace(Hook::Timeout { tid: t });
            }
            self.on_timer(t, d);
        }
    }

    /// Whether a timer still wakes its thread (it may have been woken otherwise since).
    fn timer_is_live(&self, tid: Tid, deadline: u64) -> bool {
        matches!(
            self.threads[tid as usize].state,
            ThreadState::Blocked { deadline: Some(d), .. } if d == deadline
        )
    }

    pub(crate) fn main_done(&self) -> bool {
        !self.threads[0].is_alive()
    }

    pub(crate) fn non_daemon_done(&self) -> bool {
        self.threads.iter().all(|t| t.daemon || !t.is_alive())
    }

    /// Prints an uncaught exception the way Python does and returns the exit status it means
    /// for the main thread.
    fn report_uncaught(&mut self, tid: Tid, exc: Value, err: &mut dyn Write) -> i32 {
        let _ = self.rt.stdout.flush();
        if let Value::Obj(id) = exc {
            if let Obj::Exception(e) = self.rt.heap.get(id) {
                if e.kind == ExcKind::SystemExit {
                    return match e.args.first().copied() {
                        None | Some(Value::None) => EXIT_OK,
                        Some(Value::Int(c)) => c as i32,
                        Some(Value::Bool(b)) => b as i32,
                        Some(v) => {
                            let s = crate::vm::format::str_of(&self.rt, v).unwrap_or_default();
                            let _ = writeln!(err, "{s}");
                            EXIT_EXCEPTION
                        }
                    };
                }
            }
        }
        let text = traceback::format_exception(&self.rt, exc);
        if tid != 0 {
            let name = self.threads[tid as usize].name.clone();
            let _ = write!(err, "Exception in thread {name}:\n{text}");
        } else {
            let _ = write!(err, "{text}");
        }
        EXIT_EXCEPTION
    }

    fn describe_state(&self, tid: Tid) -> String {
        match self.threads.get(tid as usize).map(|t| t.state) {
            None => "not created yet".into(),
            Some(ThreadState::New) => "not started".into(),
            Some(ThreadState::Finished) => "finished".into(),
            Some(ThreadState::Blocked { .. }) => "blocked".into(),
            Some(ThreadState::Runnable) => "runnable".into(),
        }
    }

    /// Where a thread stands: `line 7 in increment`.
    pub fn where_is(&self, tid: Tid) -> String {
        let t = &self.threads[tid as usize];
        match t.frames.last() {
            Some(f) => {
                let pc = f.pc.saturating_sub(1);
                let code = &self.prog.codes[f.code as usize];
                match line_of(&self.prog, f.code, pc) {
                    // The module's `RESUME` has no line (as in CPython): nothing ran yet.
                    0 => format!("at the start of {}", code.name),
                    line => format!("line {line} in {}", code.name),
                }
            }
            None => "not started".into(),
        }
    }

    /// The report for exit status 5: `--max-steps` instructions ran, or (`work`) a built-in
    /// iterated past the same number of items in total.
    fn report_limit(&mut self, err: &mut dyn Write, work: bool) {
        let _ = self.rt.stdout.flush();
        let _ = if work {
            writeln!(
                err,
                "gilvm: stopped inside a built-in after it and the others had iterated over {} {} (--max-steps); the program may be in an enormous loop",
                self.config.max_steps,
                crate::vm::summary::noun(self.config.max_steps, "item", "items")
            )
        } else {
            writeln!(
                err,
                "gilvm: stopped after {} {} (--max-steps); the program may be in an infinite loop",
                self.config.max_steps,
                crate::vm::summary::noun(self.config.max_steps, "instruction", "instructions")
            )
        };
        for t in &self.threads {
            if t.is_alive() {
                let _ = writeln!(
                    err,
                    "  {} ({}): {}",
                    t.name,
                    state_word(t.state),
                    self.where_is(t.tid)
                );
            }
        }
    }

    /// The recorded turns and waiter choices, if `--record` was given.
    pub fn schedule(&self) -> Option<&[Entry]> {
        self.sched.recorded()
    }
}

fn state_word(s: ThreadState) -> &'static str {
    match s {
        ThreadState::Runnable => "runnable",
        ThreadState::Blocked { .. } => "blocked",
        ThreadState::New => "not started",
        ThreadState::Finished => "finished",
    }
}
