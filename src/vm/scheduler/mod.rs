//! The scheduler: the run queue and the timers, and the [`Strategy`] that makes every choice.
//!
//! Design note, in the spirit of CPython's `ceval_gil.c`. Exactly one green thread holds the
//! simulated GIL and executes instructions. It loses the GIL in two ways:
//!
//! - *voluntarily*, when it blocks (a held lock, `join`, `sleep`, an empty queue) or ends;
//! - *by preemption*, when its turn runs out at a switch point of the GIL model.
//!
//! This module keeps the mechanics — which threads are runnable (a vector with a position
//! index, so adding, removing and picking are O(1) whatever the number of threads) and the
//! timers (a binary heap of (deadline, sequence, thread), checked between slices) — and hands
//! every *choice* to a strategy: who runs the next turn and for how long, and which waiter a
//! hand-off (a lock's release, `notify`, a semaphore permit, a queue item) wakes. A strategy is
//! asked once per turn or hand-off, never per instruction; the interpreter only counts a turn
//! down. Strategies, one file each:
//!
//! - [`random::Random`]: the seeded scheduler of `gilvm run` (ChaCha8 streams of the seed);
//! - [`replay::Replay`]: follows a schedule file, then hands over to a `Random` of the same seed;
//! - [`record::Recording`]: wraps another strategy and logs each turn and each waiter choice
//!   (`--record`).
//!
//! Randomness that is not a choice — the simulated wake-up latency of a lock's waiter under
//! py27/py39 — comes from its own stream ([`Scheduler::noise_below`]), so a strategy that
//! chooses differently (a replay, an explorer) does not shift it.

// Turns that end at an event (`T1 until line 8`), for hand-written schedules.
pub mod events;
// Issue 21 (threads stay cheap): the schedule stream's look-ahead.
pub mod lookahead;
pub mod random;
pub mod record;
pub mod replay;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand_chacha::ChaCha8Rng;

use crate::vm::gil::GilParams;
use crate::vm::rng::{self, Stream};
use crate::vm::thread::Tid;

pub use random::{pick_if_left, Random};
pub use record::{Entry, Recording};
pub use replay::{Plan, Replay};

const NOT_RUNNABLE: u32 = u32::MAX;

/// One entry of a schedule: thread `tid` ran `steps` instructions (`None` = until it blocked or
/// finished, as written by hand for a lesson).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slice {
    pub tid: Tid,
    pub steps: Option<u64>,
    /// A hand-written `until EVENT`: the index of the event in [`Plan::events`] (`steps` is
    /// then `None`).
    pub until: Option<u32>,
}

/// How long a turn lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Length {
    /// A quantum of this many instructions. Under a model with switch points (py39, py311) a
    /// spent quantum is a request, honoured at the next switch point; under py27 the
    /// interpreter's ticks may end the turn first.
    Steps(u64),
    /// Until the thread blocks or ends (or py27's ticks run out).
    UntilBlocked,
    /// Until the thread has passed this many switch points of the GIL model (at least one
    /// instruction): the unit a person stepping through a run thinks in.
    SwitchPoints(u64),
    /// Until the thread's next instruction would make this event of the schedule happen
    /// (an index into the strategy's events, [`Strategy::stop_event`]; `events.rs`).
    Until(u32),
    // --- explore (issue 19): the explorer's step ---
    /// One step of `gilvm explore` (`vm/explore_step.rs`): to the next switch point of the
    /// model, and under the models that may switch anywhere (`any`, `nogil`) on through every
    /// following instruction that touches nothing shared. The touches are recorded in
    /// [`crate::vm::machine::Vm::step_touches`].
    Step,
}

impl Length {
    /// The quantum in instructions (`u64::MAX`: unbounded).
    pub fn quantum(self) -> u64 {
        match self {
            Length::Steps(n) => n,
            Length::UntilBlocked | Length::SwitchPoints(_) | Length::Until(_) | Length::Step => {
                u64::MAX
            }
        }
    }
}

/// A strategy's answer to "who runs next?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// `tid` gets the GIL for a turn of this length.
    Run(Tid, Length),
    /// No thread is runnable.
    Idle,
    /// The strategy wants a thread that cannot run now (a replayed schedule that does not fit
    /// the program): the run ends.
    Diverged(Tid),
}

/// What a strategy sees when it picks the next turn.
pub struct TurnCtx<'a> {
    pub queue: &'a RunQueue,
    /// The thread whose turn just ended by preemption, if it is still runnable.
    pub preempted: Option<Tid>,
    pub gil: &'a GilParams,
}

/// Everything a strategy is told about a turn that ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TurnDone {
    pub tid: Tid,
    /// Instructions it executed (0 when a woken lock waiter found its lock taken again).
    pub steps: u64,
}

/// The chooser. Architecture invariant: only a strategy chooses. It is called once per turn
/// and once per hand-off, never per instruction.
pub trait Strategy {
    /// Who runs the next turn, and for how long.
    fn next_turn(&mut self, ctx: &TurnCtx<'_>) -> Pick;

    /// Which of `n` (at least 2) waiters a hand-off wakes, as an index; `tid_of(i)` names
    /// waiter `i`. A strategy that cannot honour its plan notes the divergence
    /// ([`Strategy::diverged`]) and answers anything in range.
    fn choose_waiter(&mut self, n: usize, tid_of: &dyn Fn(usize) -> Tid) -> usize;

    /// The index the next [`Strategy::choose_waiter`] among `n` waiters will return, if the
    /// strategy can tell without choosing (a prefetch hint only; `None` is always correct).
    fn peek_waiter(&mut self, _n: usize) -> Option<usize> {
        None
    }

    /// A turn ended (the driver's report).
    fn turn_done(&mut self, _done: TurnDone) {}

    /// A plan that could not be followed: what went wrong (the run then ends with status 2).
    fn diverged(&self) -> Option<&str> {
        None
    }

    /// The turns and waiter choices logged so far, for a recording strategy.
    fn recorded(&self) -> Option<&[Entry]> {
        None
    }

    /// Event `i` of a [`Length::Until`] turn this strategy asked for.
    fn stop_event(&self, _i: u32) -> Option<&events::StopEvent> {
        None
    }
}

/// Addresses a thread's next turn reads first: its running frame's stack slots and the first
/// object on them (in a loop, the loop's iterator). Only ever prefetched, never dereferenced:
/// a stale one (the stack grew, the object was freed) costs a useless prefetch and nothing
/// else; 0 is unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TurnHint {
    /// The running frame's slots in the value stack.
    pub stack: usize,
    /// The heap slot of the first object on the frame's stack.
    pub obj: usize,
}

/// The runnable set: a vector with a position index.
#[derive(Default)]
pub struct RunQueue {
    runnable: Vec<Tid>,
    /// Each runnable thread's turn hint, beside its entry in `runnable` (issue 21): the
    /// look-ahead that finds the next turn's thread by its position finds in the same step
    /// where that turn will read, one dependent load instead of three (the `Thread`, its
    /// stack, the first slot) (`vm/thread_cheap.rs`).
    /// Kept only once the queue has been long (`hinted`, [`RunQueue::keep_hints`]): below
    /// that, inserting and removing threads costs nothing more than it did.
    hints: Vec<TurnHint>,
    hinted: bool,
    /// Position of each thread in `runnable`, or `NOT_RUNNABLE`.
    pos: Vec<u32>,
}

impl RunQueue {
    pub fn insert(&mut self, tid: Tid) {
        self.insert_hinted(tid, TurnHint::default());
    }

    /// Makes `tid` runnable with the turn hint `hint` (an already runnable thread keeps its
    /// place and its hint).
    pub fn insert_hinted(&mut self, tid: Tid, hint: TurnHint) {
        let t = tid as usize;
        if self.pos.len() <= t {
            self.pos.resize(t + 1, NOT_RUNNABLE);
        }
        if self.pos[t] == NOT_RUNNABLE {
            self.pos[t] = self.runnable.len() as u32;
            self.runnable.push(tid);
            if self.hinted {
                self.hints.push(hint);
            }
        }
    }

    /// From now on, keeps a turn hint beside each entry (the threads queued so far have none).
    #[inline]
    pub fn keep_hints(&mut self) {
        if !self.hinted {
            self.hinted = true;
            self.hints.resize(self.runnable.len(), TurnHint::default());
        }
    }

    /// Notes where runnable thread `tid`'s next turn will read first.
    #[inline]
    pub fn set_hint(&mut self, tid: Tid, hint: TurnHint) {
        if let Some(p) = self.position(tid) {
            if let Some(h) = self.hints.get_mut(p) {
                *h = hint;
            }
        }
    }

    /// The turn hint of the thread at position `p`.
    #[inline]
    pub fn hint_at(&self, p: usize) -> TurnHint {
        self.hints.get(p).copied().unwrap_or_default()
    }

    /// Where the run queue keeps position `p`'s entry and its hint: addresses for prefetch
    /// hints, never dereferenced.
    #[inline]
    pub fn entry_addrs(&self, p: usize) -> (*const Tid, *const TurnHint) {
        (
            self.runnable.as_ptr().wrapping_add(p),
            self.hints.as_ptr().wrapping_add(p),
        )
    }

    pub fn remove(&mut self, tid: Tid) {
        let t = tid as usize;
        let Some(&p) = self.pos.get(t) else { return };
        if p == NOT_RUNNABLE {
            return;
        }
        self.runnable.swap_remove(p as usize);
        if self.hinted {
            self.hints.swap_remove(p as usize);
        }
        if let Some(&moved) = self.runnable.get(p as usize) {
            self.pos[moved as usize] = p;
        }
        self.pos[t] = NOT_RUNNABLE;
    }

    #[inline]
    pub fn contains(&self, tid: Tid) -> bool {
        self.pos
            .get(tid as usize)
            .is_some_and(|&p| p != NOT_RUNNABLE)
    }

    pub fn len(&self) -> usize {
        self.runnable.len()
    }

    pub fn is_empty(&self) -> bool {
        self.runnable.is_empty()
    }

    /// The runnable threads, in the run queue's order (which depends on the history of
    /// insertions and removals, deterministically).
    pub fn as_slice(&self) -> &[Tid] {
        &self.runnable
    }

    /// Where the run queue keeps `tid`'s position: an address for a prefetch hint.
    #[inline]
    pub fn position_addr(&self, tid: Tid) -> *const u32 {
        self.pos.as_ptr().wrapping_add(tid as usize)
    }

    /// Position of a runnable thread in [`RunQueue::as_slice`].
    pub fn position(&self, tid: Tid) -> Option<usize> {
        self.pos
            .get(tid as usize)
            .filter(|&&p| p != NOT_RUNNABLE)
            .map(|&p| p as usize)
    }
}

/// The strategy in use. The seeded one, by far the most common (every `run` and `sweep` run),
/// is called directly so that the compiler can inline it into the turn loop; any other goes
/// through the trait object. (Through the trait object alone, a turn cost ≈100 more x86
/// instructions, +3.5% on the guard's race_10k, whose quanta average 100 instructions.)
// One per VM, and the seeded strategy's streams inline on purpose: no indirection per turn.
#[allow(clippy::large_enum_variant)]
enum Chooser {
    Seeded(Random),
    Other(Box<dyn Strategy>),
}

pub struct Scheduler {
    pub queue: RunQueue,
    strategy: Chooser,
    timers: BinaryHeap<Reverse<(u64, u64, Tid)>>,
    timer_seq: u64,
    /// Randomness that is not a choice (a simulated wake-up latency).
    noise: ChaCha8Rng,
}

impl Scheduler {
    /// A scheduler with the seeded strategy of `seed`.
    pub fn seeded(seed: u64) -> Scheduler {
        Scheduler::with(seed, Chooser::Seeded(Random::new(seed)))
    }

    /// A scheduler with another strategy; `seed` still seeds the noise stream.
    pub fn new(seed: u64, strategy: Box<dyn Strategy>) -> Scheduler {
        Scheduler::with(seed, Chooser::Other(strategy))
    }

    fn with(seed: u64, strategy: Chooser) -> Scheduler {
        Scheduler {
            queue: RunQueue::default(),
            strategy,
            timers: BinaryHeap::new(),
            timer_seq: 0,
            noise: rng::stream(seed, Stream::Noise),
        }
    }

    pub fn set_strategy(&mut self, strategy: Box<dyn Strategy>) {
        self.strategy = Chooser::Other(strategy);
    }

    pub fn make_runnable(&mut self, tid: Tid) {
        self.queue.insert(tid);
    }

    /// Makes `tid` runnable with a turn hint noted when it blocked.
    pub fn make_runnable_hinted(&mut self, tid: Tid, hint: TurnHint) {
        self.queue.insert_hinted(tid, hint);
    }

    pub fn make_unrunnable(&mut self, tid: Tid) {
        self.queue.remove(tid);
    }

    #[inline]
    pub fn is_runnable(&self, tid: Tid) -> bool {
        self.queue.contains(tid)
    }

    /// Event `i` of the strategy's plan (`Length::Until`).
    pub fn stop_event(&self, i: u32) -> Option<&events::StopEvent> {
        match &self.strategy {
            Chooser::Seeded(_) => None,
            Chooser::Other(s) => s.stop_event(i),
        }
    }

    pub fn runnable_count(&self) -> usize {
        self.queue.len()
    }

    /// Arms a timer: `tid` is to be woken at virtual time `deadline` (ns) unless something
    /// else wakes it first (the VM ignores stale timers).
    pub fn add_timer(&mut self, deadline: u64, tid: Tid) {
        self.timer_seq += 1;
        self.timers.push(Reverse((deadline, self.timer_seq, tid)));
    }

    /// The earliest armed timer.
    #[inline]
    pub fn next_deadline(&self) -> Option<u64> {
        self.timers.peek().map(|Reverse((d, _, _))| *d)
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    pub fn pop_due_timer(&mut self, now: u64) -> Option<(u64, Tid)> {
        match self.timers.peek() {
            Some(Reverse((d, _, _))) if *d <= now => {
                self.timers.pop().map(|Reverse((d, _, t))| (d, t))
            }
            _ => None,
        }
    }

    /// Asks the strategy who runs next. `preempted` is the thread whose turn just ended by
    /// preemption (ignored unless it is still runnable).
    #[inline(always)]
    pub fn next_turn(&mut self, preempted: Option<Tid>, gil: &GilParams) -> Pick {
        let preempted = preempted.filter(|&c| self.queue.contains(c));
        let ctx = TurnCtx {
            queue: &self.queue,
            preempted,
            gil,
        };
        match &mut self.strategy {
            Chooser::Seeded(r) => r.next_turn(&ctx),
            Chooser::Other(s) => s.next_turn(&ctx),
        }
    }

    /// Which of `n` waiters a hand-off wakes (index); `tid_of(i)` names waiter `i`. One
    /// waiter is no choice and is not asked about.
    pub fn choose_waiter(&mut self, n: usize, tid_of: &dyn Fn(usize) -> Tid) -> usize {
        if n <= 1 {
            0
        } else {
            match &mut self.strategy {
                Chooser::Seeded(r) => r.choose_waiter(n, tid_of),
                Chooser::Other(s) => s.choose_waiter(n, tid_of),
            }
        }
    }

    /// The index the next [`Scheduler::choose_waiter`] among `n` waiters will return, if the
    /// strategy can tell without choosing.
    pub fn peek_waiter(&mut self, n: usize) -> Option<usize> {
        if n <= 1 {
            Some(0)
        } else {
            match &mut self.strategy {
                Chooser::Seeded(r) => r.peek_waiter(n),
                Chooser::Other(s) => s.peek_waiter(n),
            }
        }
    }

    /// Issue 21: the run-queue positions the seeded strategy will pick for the next
    /// `out.len()` turns, if each of them follows a preemption and the runnable set does not
    /// change meanwhile, given `pos`, the position of the thread running now; how many it
    /// could tell (0 under any other strategy). A prefetch hint only: it draws nothing.
    #[inline]
    pub fn peek_picks(&mut self, pos: usize, gil: &GilParams, out: &mut [usize]) -> usize {
        match &mut self.strategy {
            Chooser::Seeded(r) => r.peek_picks(self.queue.len(), pos, gil, out),
            Chooser::Other(_) => 0,
        }
    }

    /// Uniform in `0..n` from the noise stream (not a choice: a latency).
    pub fn noise_below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            0
        } else {
            rng::below(&mut self.noise, n)
        }
    }

    /// Tells the strategy a turn ended.
    #[inline]
    pub fn turn_done(&mut self, done: TurnDone) {
        if let Chooser::Other(s) = &mut self.strategy {
            s.turn_done(done);
        }
    }

    /// Issue 21 (`Vm::chain_turn`): if the next turn after `tid`'s preemption is certainly
    /// `tid`'s again with a quantum of instructions — the seeded strategy, `tid` the only
    /// runnable thread, a model counting instructions — draws that turn as
    /// [`Scheduler::next_turn`] would and returns its quantum; otherwise draws nothing.
    #[inline]
    pub fn chain_quantum(&mut self, tid: Tid, gil: &GilParams) -> Option<u64> {
        if self.queue.len() != 1
            || !self.queue.contains(tid)
            || gil.model.unit() != crate::vm::gil::IntervalUnit::Instructions
        {
            return None;
        }
        let Chooser::Seeded(r) = &mut self.strategy else {
            return None;
        };
        let ctx = TurnCtx {
            queue: &self.queue,
            preempted: Some(tid),
            gil,
        };
        match r.next_turn(&ctx) {
            Pick::Run(t, Length::Steps(q)) if t == tid => Some(q),
            // Not reached under the conditions above (a lone preempted thread runs again).
            _ => None,
        }
    }

    /// The strategy's divergence from its plan, if any.
    #[inline]
    pub fn diverged(&self) -> Option<&str> {
        match &self.strategy {
            Chooser::Seeded(_) => None,
            Chooser::Other(s) => s.diverged(),
        }
    }

    /// The recorded turns and waiter choices (`--record`).
    pub fn recorded(&self) -> Option<&[Entry]> {
        match &self.strategy {
            Chooser::Seeded(_) => None,
            Chooser::Other(s) => s.recorded(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::gil::GilModel;

    #[test]
    fn runnable_set_add_remove_is_consistent() {
        let mut q = RunQueue::default();
        for t in 0..5 {
            q.insert(t);
        }
        q.remove(1);
        q.remove(4);
        q.insert(1);
        let mut seen: Vec<Tid> = q.as_slice().to_vec();
        seen.sort();
        assert_eq!(seen, vec![0, 1, 2, 3]);
        for (i, &t) in q.as_slice().iter().enumerate() {
            assert_eq!(q.position(t), Some(i));
        }
        assert_eq!(q.position(4), None);
    }

    /// A turn hint stays with its thread when a removal moves the queue's last thread.
    #[test]
    fn turn_hints_follow_their_threads() {
        let mut q = RunQueue::default();
        q.insert(8);
        q.keep_hints();
        let hint = |t: Tid| TurnHint {
            stack: 1000 + t as usize,
            obj: 2000 + t as usize,
        };
        for t in 0..6 {
            q.insert_hinted(t, hint(t));
        }
        q.remove(1);
        q.remove(3);
        q.insert(7);
        q.set_hint(7, hint(7));
        q.set_hint(9, hint(9));
        q.insert_hinted(0, hint(42));
        for (i, &t) in q.as_slice().iter().enumerate() {
            let want = if t == 8 { TurnHint::default() } else { hint(t) };
            assert_eq!(q.hint_at(i), want, "thread {t} at {i}");
        }
        assert_eq!(q.hint_at(q.len()), TurnHint::default());
    }

    #[test]
    fn timers_come_out_in_deadline_order_when_due() {
        let mut s = Scheduler::new(0, Box::new(Random::new(0)));
        s.add_timer(30, 1);
        s.add_timer(10, 2);
        s.add_timer(20, 3);
        assert_eq!(s.next_deadline(), Some(10));
        assert_eq!(s.pop_due_timer(15), Some((10, 2)));
        assert_eq!(s.pop_due_timer(15), None);
        assert_eq!(s.pop_due_timer(30), Some((20, 3)));
        assert_eq!(s.pop_due_timer(30), Some((30, 1)));
    }

    #[test]
    fn a_lone_waiter_is_no_choice() {
        let mut s = Scheduler::new(3, Box::new(Recording::new(Box::new(Random::new(3)))));
        assert_eq!(s.choose_waiter(1, &|_| 5), 0);
        assert_eq!(s.recorded(), Some(&[][..]));
        let i = s.choose_waiter(3, &|i| 10 + i as Tid);
        assert_eq!(s.recorded(), Some(&[Entry::Wake(10 + i as Tid)][..]));
        let gil = GilParams::new(GilModel::Any, 100, 4);
        s.make_runnable(0);
        assert!(matches!(
            s.next_turn(None, &gil),
            Pick::Run(0, Length::Steps(_))
        ));
    }
}
