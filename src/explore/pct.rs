//! PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010): a randomized scheduler with
//! a probabilistic guarantee. Every thread gets a random priority (distinct, all at least `d`)
//! when it first shows up; at each step the highest-priority runnable thread runs; and at
//! `d − 1` change points, drawn uniformly among the `k` steps an execution is expected to take,
//! the running thread's priority drops to `d − i` (below every initial priority). A bug of
//! depth `d` (one that needs `d` ordering constraints to show) is then found by one execution
//! with probability at least `1 / (n · k^(d−1))` for `n` threads and `k` steps.
//!
//! The draws come from the run's seed on a ChaCha8 stream of their own ([`PCT_STREAM`]), so a
//! run is reproduced by its seed, `k` and `d` alone.

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

use crate::explore::exec::Ctl;
use crate::vm::interp::SliceEnd;
use crate::vm::rng;
use crate::vm::thread::Tid;

/// The ChaCha8 stream of a PCT run's draws (the VM's own streams are 0–3).
pub const PCT_STREAM: u64 = 16;

pub struct Pct {
    rng: ChaCha8Rng,
    depth: u32,
    /// Priority of each thread seen so far.
    prio: Vec<u64>,
    /// The steps (1-based) at which the running thread's priority drops, ascending.
    change: Vec<u64>,
    changed: usize,
    /// Steps chosen so far among two or more runnable threads (the `k` of the guarantee).
    pub steps: u64,
}

impl Pct {
    /// The PCT chooser of run `seed` for bug depth `depth`, expecting `k` steps.
    pub fn new(seed: u64, depth: u32, k: u64) -> Pct {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(PCT_STREAM);
        let k = k.max(1);
        let mut change: Vec<u64> = (1..depth.max(1))
            .map(|_| 1 + rng::below(&mut rng, k))
            .collect();
        change.sort_unstable();
        Pct {
            rng,
            depth: depth.max(1),
            prio: Vec::new(),
            change,
            changed: 0,
            steps: 0,
        }
    }

    fn priority(&mut self, t: Tid) -> u64 {
        while self.prio.len() <= t as usize {
            // Initial priorities: at least `d`, random (ties broken by the lower thread id).
            let p = u64::from(self.depth) + 1 + rng::below(&mut self.rng, 1 << 40);
            self.prio.push(p);
        }
        self.prio[t as usize]
    }

    fn highest(&mut self, runnable: &[Tid]) -> Option<Tid> {
        let mut best: Option<(u64, Tid)> = None;
        for &t in runnable {
            let p = self.priority(t);
            if best.is_none_or(|(bp, _)| p > bp) {
                best = Some((p, t));
            }
        }
        best.map(|(_, t)| t)
    }
}

impl Ctl for Pct {
    fn choose(&mut self, runnable: &[Tid], _prev: Option<Tid>) -> Option<Tid> {
        if let [only] = runnable {
            // A step without a choice is no place for a change point (as Shuttle counts):
            // the same effect comes from lowering the priority at the next real choice.
            return Some(*only);
        }
        self.steps += 1;
        let mut t = self.highest(runnable)?;
        while self.changed < self.change.len() && self.change[self.changed] <= self.steps {
            // Change point i: the thread about to run drops to priority d − i.
            self.changed += 1;
            let low = u64::from(self.depth).saturating_sub(self.changed as u64);
            self.prio[t as usize] = low;
            t = self.highest(runnable)?;
        }
        Some(t)
    }

    /// `choose`'s answer without its side effects, when it can tell without drawing: every
    /// runnable thread has its priority and no change point falls on this step.
    fn goes_on(&self, runnable: &[Tid], prev: Tid) -> bool {
        if let [only] = runnable {
            return *only == prev;
        }
        let step = self.steps + 1;
        if self.changed < self.change.len() && self.change[self.changed] <= step {
            return false;
        }
        let mut best: Option<(u64, Tid)> = None;
        for &t in runnable {
            let Some(&p) = self.prio.get(t as usize) else {
                return false;
            };
            if best.is_none_or(|(bp, _)| p > bp) {
                best = Some((p, t));
            }
        }
        best.is_some_and(|(_, t)| t == prev)
    }

    fn waiter(&mut self, tids: &[Tid]) -> usize {
        rng::below(&mut self.rng, tids.len() as u64) as usize
    }

    fn step_done(&mut self, _tid: Tid, _end: &SliceEnd) {}

    fn observes(&self) -> bool {
        false
    }
}
