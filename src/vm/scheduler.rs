//! The scheduler: the only component of the VM that makes choices.
//!
//! Design note, in the spirit of CPython's `ceval_gil.c`. Exactly one green thread holds the
//! simulated GIL and executes instructions. It loses the GIL in two ways:
//!
//! - *voluntarily*, when it blocks (a held lock, `join`, `sleep`, an empty queue) or ends;
//! - *by preemption*, when its quantum runs out at a switch point.
//!
//! The quantum is drawn when a thread is given the GIL — never per instruction — from a
//! seeded ChaCha8 stream: uniform in `1..=2m-1` instructions for a mean `m` of
//! `--switch-interval`. The interpreter only counts the quantum down (one decrement and one
//! compare per instruction) and stops at zero; then the scheduler picks the next thread
//! uniformly among the *other* runnable threads (the preempted thread keeps the GIL only if it
//! is alone). Runnable threads live in a vector with a position index, so picking, adding and
//! removing are O(1) whatever the number of threads.
//!
//! Time is virtual: the clock advances by a fixed cost per executed instruction and jumps
//! forward to the next timer when every live thread is blocked or asleep. Timers are a binary
//! heap of (deadline, sequence, thread), checked between slices.
//!
//! A recorded schedule (`--record`) is the list of slices: which thread ran how many
//! instructions. Replaying it replaces the quantum and thread draws; every other decision (which
//! waiter a lock wakes) comes from its own stream of the same seed, so it replays too.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand_chacha::ChaCha8Rng;

use crate::vm::gil::{self, GilModel, IntervalUnit};
use crate::vm::rng::{self, Draws, Stream};
use crate::vm::sync::Tid;

const NOT_RUNNABLE: u32 = u32::MAX;

/// One entry of a schedule: thread `tid` ran `steps` instructions (`None` = until it blocked or
/// finished, as written by hand for a lesson).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slice {
    pub tid: Tid,
    pub steps: Option<u64>,
}

pub struct Scheduler {
    schedule_rng: ChaCha8Rng,
    wake_rng: Draws,
    pub model: GilModel,
    /// The switch interval in the model's unit (instructions, ticks or virtual ns).
    pub interval: u64,
    /// Virtual ns per instruction, to turn a time interval into instructions.
    ns_per_instr: u64,
    runnable: Vec<Tid>,
    /// Position of each thread in `runnable`, or `NOT_RUNNABLE`.
    pos: Vec<u32>,
    timers: BinaryHeap<Reverse<(u64, u64, Tid)>>,
    timer_seq: u64,
    /// A schedule being replayed, and how far we are in it.
    plan: Option<Vec<Slice>>,
    plan_index: usize,
    /// Slices executed so far (recorded when `--record` is given).
    pub record: Option<Vec<Slice>>,
}

impl Scheduler {
    pub fn new(
        seed: u64,
        model: GilModel,
        interval: u64,
        ns_per_instr: u64,
        plan: Option<Vec<Slice>>,
        record: bool,
    ) -> Scheduler {
        Scheduler {
            schedule_rng: rng::stream(seed, Stream::Schedule),
            wake_rng: Draws::new(rng::stream(seed, Stream::Wake)),
            model,
            interval: interval.max(1),
            ns_per_instr: ns_per_instr.max(1),
            runnable: Vec::new(),
            pos: Vec::new(),
            timers: BinaryHeap::new(),
            timer_seq: 0,
            plan,
            plan_index: 0,
            record: record.then(Vec::new),
        }
    }

    pub fn make_runnable(&mut self, tid: Tid) {
        let t = tid as usize;
        if self.pos.len() <= t {
            self.pos.resize(t + 1, NOT_RUNNABLE);
        }
        if self.pos[t] == NOT_RUNNABLE {
            self.pos[t] = self.runnable.len() as u32;
            self.runnable.push(tid);
        }
    }

    pub fn make_unrunnable(&mut self, tid: Tid) {
        let t = tid as usize;
        let Some(&p) = self.pos.get(t) else { return };
        if p == NOT_RUNNABLE {
            return;
        }
        self.runnable.swap_remove(p as usize);
        if let Some(&moved) = self.runnable.get(p as usize) {
            self.pos[moved as usize] = p;
        }
        self.pos[t] = NOT_RUNNABLE;
    }

    pub fn is_runnable(&self, tid: Tid) -> bool {
        self.pos
            .get(tid as usize)
            .is_some_and(|&p| p != NOT_RUNNABLE)
    }

    pub fn runnable_count(&self) -> usize {
        self.runnable.len()
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

    /// Whether a replayed schedule is being followed.
    pub fn replaying(&self) -> bool {
        self.plan
            .as_ref()
            .is_some_and(|p| self.plan_index < p.len())
    }

    /// Chooses who gets the GIL next and for how many instructions (`u64::MAX` = until it
    /// blocks or ends). `current` is the thread that just ran, if it is still runnable and was
    /// preempted. Returns `Err(tid)` when a replayed schedule names a thread that cannot run.
    pub fn next(&mut self, current: Option<Tid>) -> Result<Option<(Tid, u64)>, Tid> {
        if let Some(plan) = &self.plan {
            if let Some(&s) = plan.get(self.plan_index) {
                self.plan_index += 1;
                if !self.is_runnable(s.tid) {
                    return Err(s.tid);
                }
                return Ok(Some((s.tid, s.steps.unwrap_or(u64::MAX))));
            }
        }
        let n = self.runnable.len() as u64;
        if n == 0 {
            return Ok(None);
        }
        let current = current.filter(|&c| self.is_runnable(c));
        let tid = match current {
            Some(c) if n == 1 => c,
            // Release and re-acquire: the releasing thread competes like everyone else.
            Some(_) if self.model.may_reacquire() => {
                self.runnable[rng::below(&mut self.schedule_rng, n) as usize]
            }
            Some(c) => {
                // Uniform among the others: draw in 0..n-1 and skip over the current thread.
                let i = rng::below(&mut self.schedule_rng, n - 1) as usize;
                let p = self.pos[c as usize] as usize;
                self.runnable[if i >= p { i + 1 } else { i }]
            }
            None => self.runnable[rng::below(&mut self.schedule_rng, n) as usize],
        };
        Ok(Some((tid, self.quantum())))
    }

    /// A fresh quantum, in instructions. Instruction models: uniform in `1..=2m-1`, mean `m`.
    /// Time models: the interval in instructions ±[`gil::TIME_JITTER_PERCENT`] (see there why
    /// so wide). Tick models count ticks in the interpreter instead, so their quantum is
    /// unbounded here.
    pub fn quantum(&mut self) -> u64 {
        match self.model.unit() {
            IntervalUnit::Instructions => {
                let m = self.interval;
                1 + rng::below(&mut self.schedule_rng, 2 * m - 1)
            }
            IntervalUnit::Nanos => {
                let m = (self.interval / self.ns_per_instr).max(1);
                let spread = m * gil::TIME_JITTER_PERCENT / 100;
                m - spread + rng::below(&mut self.schedule_rng, 2 * spread + 1)
            }
            IntervalUnit::Ticks => u64::MAX,
        }
    }

    /// Seeded choice among `n` waiters (which one a release wakes).
    pub fn choose(&mut self, n: usize) -> usize {
        if n <= 1 {
            0
        } else {
            rng::below(&mut self.wake_rng, n as u64) as usize
        }
    }

    /// The index the next [`Scheduler::choose`] among `n` waiters will return, without
    /// drawing it (`None` in the rare case a draw takes more than one word).
    pub fn peek_choose(&mut self, n: usize) -> Option<usize> {
        if n <= 1 {
            Some(0)
        } else {
            rng::peek_below(&mut self.wake_rng, n as u64).map(|i| i as usize)
        }
    }

    /// Notes a slice that ran, for `--record`. Consecutive slices of one thread merge.
    pub fn note_slice(&mut self, tid: Tid, steps: u64) {
        if let Some(rec) = &mut self.record {
            if steps == 0 {
                return;
            }
            match rec.last_mut() {
                Some(last) if last.tid == tid => {
                    last.steps = last.steps.map(|s| s + steps);
                }
                _ => rec.push(Slice {
                    tid,
                    steps: Some(steps),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runnable_set_add_remove_is_consistent() {
        let mut s = Scheduler::new(1, GilModel::Any, 100, 4, None, false);
        for t in 0..5 {
            s.make_runnable(t);
        }
        s.make_unrunnable(1);
        s.make_unrunnable(4);
        s.make_runnable(1);
        let mut seen: Vec<Tid> = s.runnable.clone();
        seen.sort();
        assert_eq!(seen, vec![0, 1, 2, 3]);
        for (i, &t) in s.runnable.iter().enumerate() {
            assert_eq!(s.pos[t as usize] as usize, i);
        }
    }

    #[test]
    fn preemption_switches_to_another_thread_and_quanta_average_the_interval() {
        let mut s = Scheduler::new(7, GilModel::Any, 100, 4, None, false);
        s.make_runnable(0);
        s.make_runnable(1);
        s.make_runnable(2);
        let mut total = 0;
        for _ in 0..2000 {
            let (t, q) = s.next(Some(0)).unwrap().unwrap();
            assert_ne!(t, 0);
            assert!((1..=199).contains(&q));
            total += q;
        }
        let mean = total / 2000;
        assert!((90..=110).contains(&mean), "mean quantum {mean}");
    }

    #[test]
    fn peek_choose_tells_the_next_choice_without_making_it() {
        let mut s = Scheduler::new(11, GilModel::Any, 100, 4, None, false);
        let mut plain = Scheduler::new(11, GilModel::Any, 100, 4, None, false);
        for i in 0..3_000usize {
            let n = 1 + i % 50;
            let guess = s.peek_choose(n);
            let again = s.peek_choose(n);
            assert_eq!(guess, again, "peeking twice draws nothing");
            let got = s.choose(n);
            assert_eq!(got, plain.choose(n), "peeking changes no choice");
            assert_eq!(guess, Some(got));
        }
    }

    #[test]
    fn same_seed_same_choices() {
        let run = |seed| {
            let mut s = Scheduler::new(seed, GilModel::Any, 10, 4, None, false);
            (0..4).for_each(|t| s.make_runnable(t));
            (0..50)
                .map(|_| s.next(None).unwrap().unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }
}
