//! The seeded random strategy: `gilvm run`'s scheduler.
//!
//! The quantum is drawn when a thread is given the GIL — never per instruction — from the
//! seed's schedule stream: uniform in `1..=2m-1` instructions for a mean `m` of
//! `--switch-interval` (`any`, `nogil`); the interval in instructions ±
//! [`gil::TIME_JITTER_PERCENT`] for the time models (`py39`, `py311`); unbounded for py27,
//! whose ticks end the turn in the interpreter. After a preemption the next thread is uniform
//! among the *other* runnable threads (the preempted thread keeps the GIL only if it is alone),
//! except under py27, which releases and re-acquires: the releasing thread competes like
//! everyone else. Which waiter a hand-off wakes is uniform, from the seed's wake stream.

use crate::vm::gil::GilParams;
use crate::vm::gil::{self, IntervalUnit};
use crate::vm::rng::{self, Draws, Stream};
use crate::vm::scheduler::lookahead::Lookahead;
use crate::vm::scheduler::{Length, Pick, Strategy, TurnCtx};
use crate::vm::thread::Tid;

pub struct Random {
    /// The schedule stream, with a look-ahead for [`Random::peek_picks`].
    schedule_rng: Lookahead,
    wake_rng: Draws,
}

impl Random {
    pub fn new(seed: u64) -> Random {
        Random {
            schedule_rng: Lookahead::new(rng::stream(seed, Stream::Schedule)),
            wake_rng: Draws::new(rng::stream(seed, Stream::Wake)),
        }
    }

    /// A fresh quantum, in instructions (see the module note).
    #[inline(always)]
    fn quantum(&mut self, ctx: &TurnCtx<'_>) -> Length {
        let g = ctx.gil;
        match g.model.unit() {
            IntervalUnit::Instructions => {
                let m = g.interval;
                Length::Steps(1 + rng::below(&mut self.schedule_rng, 2 * m - 1))
            }
            IntervalUnit::Nanos => {
                let m = (g.interval / g.ns_per_instr).max(1);
                let spread = m * gil::TIME_JITTER_PERCENT / 100;
                Length::Steps(m - spread + rng::below(&mut self.schedule_rng, 2 * spread + 1))
            }
            IntervalUnit::Ticks => Length::UntilBlocked,
        }
    }
}

impl Random {
    /// The positions in a run queue of `n` threads that the next `out.len()` turns will
    /// pick if each follows a preemption and the queue does not change, the thread at `pos`
    /// running now: each turn draws its pick and then its quantum (one word each, none for
    /// py27's quantum), and after a preemption skips the preempted thread's position. Stops
    /// at a draw `below` would reject (a fraction `n / 2^64`) or past the look-ahead; returns
    /// how many it filled.
    pub fn peek_picks(
        &mut self,
        n: usize,
        pos: usize,
        gil: &GilParams,
        out: &mut [usize],
    ) -> usize {
        let n = n as u64;
        if n < 2 {
            return 0;
        }
        let per_turn = match gil.model.unit() {
            IntervalUnit::Ticks => 1,
            IntervalUnit::Instructions | IntervalUnit::Nanos => 2,
        };
        let reacquire = gil.model.may_reacquire();
        let mut prev = pos;
        for (k, slot) in out.iter_mut().enumerate() {
            let Some(w) = self.schedule_rng.peek(k * per_turn) else {
                return k;
            };
            let range = if reacquire { n } else { n - 1 };
            let m = (w as u128) * (range as u128);
            if (m as u64) < range {
                return k;
            }
            let i = (m >> 64) as usize;
            prev = if !reacquire && i >= prev { i + 1 } else { i };
            *slot = prev;
        }
        out.len()
    }
}

/// The run-queue position the next turn picks if the thread at `pos` leaves the queue (ends
/// or blocks) instead of being preempted, given `pick`, the position
/// [`Random::peek_picks`] found for the preemption, in a queue of `len` threads that does not
/// otherwise change; positions are the queue's before the thread leaves (a prefetch hint
/// only). The draw is the same word in `0..len-1` either way: after a preemption it skips
/// `pos`; after the thread leaves, nothing is skipped and the queue's last thread has moved
/// into `pos`. Not for the models that may re-acquire (py27), whose range changes.
pub fn pick_if_left(pick: usize, pos: usize, len: usize) -> usize {
    let i = if pick > pos { pick - 1 } else { pick };
    if i == pos {
        len - 1
    } else {
        i
    }
}

impl Strategy for Random {
    #[inline(always)]
    fn next_turn(&mut self, ctx: &TurnCtx<'_>) -> Pick {
        let runnable = ctx.queue.as_slice();
        let n = runnable.len() as u64;
        if n == 0 {
            return Pick::Idle;
        }
        let tid = match ctx.preempted {
            Some(c) if n == 1 => c,
            // Release and re-acquire: the releasing thread competes like everyone else.
            Some(_) if ctx.gil.model.may_reacquire() => {
                runnable[rng::below(&mut self.schedule_rng, n) as usize]
            }
            Some(c) => {
                // Uniform among the others: draw in 0..n-1 and skip over the current thread.
                let i = rng::below(&mut self.schedule_rng, n - 1) as usize;
                let p = ctx.queue.position(c).unwrap_or(usize::MAX);
                runnable[if i >= p { i + 1 } else { i }]
            }
            None => runnable[rng::below(&mut self.schedule_rng, n) as usize],
        };
        Pick::Run(tid, self.quantum(ctx))
    }

    fn choose_waiter(&mut self, n: usize, _tid_of: &dyn Fn(usize) -> Tid) -> usize {
        rng::below(&mut self.wake_rng, n as u64) as usize
    }

    fn peek_waiter(&mut self, n: usize) -> Option<usize> {
        rng::peek_below(&mut self.wake_rng, n as u64).map(|i| i as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::gil::{GilModel, GilParams};
    use crate::vm::scheduler::RunQueue;

    fn queue(n: Tid) -> RunQueue {
        let mut q = RunQueue::default();
        (0..n).for_each(|t| q.insert(t));
        q
    }

    #[test]
    fn preemption_switches_to_another_thread_and_quanta_average_the_interval() {
        let mut s = Random::new(7);
        let q = queue(3);
        let gil = GilParams::new(GilModel::Any, 100, 4);
        let ctx = TurnCtx {
            queue: &q,
            preempted: Some(0),
            gil: &gil,
        };
        let mut total = 0;
        for _ in 0..2000 {
            let Pick::Run(t, Length::Steps(q)) = s.next_turn(&ctx) else {
                panic!("a turn")
            };
            assert_ne!(t, 0);
            assert!((1..=199).contains(&q));
            total += q;
        }
        let mean = total / 2000;
        assert!((90..=110).contains(&mean), "mean quantum {mean}");
    }

    #[test]
    fn peek_tells_the_next_waiter_choice_without_making_it() {
        let mut s = Random::new(11);
        let mut plain = Random::new(11);
        for i in 0..3_000usize {
            let n = 2 + i % 50;
            let guess = s.peek_waiter(n);
            let again = s.peek_waiter(n);
            assert_eq!(guess, again, "peeking twice draws nothing");
            let got = s.choose_waiter(n, &|i| i as Tid);
            assert_eq!(
                got,
                plain.choose_waiter(n, &|i| i as Tid),
                "peeking changes no choice"
            );
            assert_eq!(guess, Some(got));
        }
    }

    /// With a queue that does not change and every turn preempted, the peeked picks are the
    /// picks, under each kind of quantum (one word, a time quantum, py27's none with
    /// re-acquisition); peeking changes none of them.
    #[test]
    fn peeked_picks_are_the_next_turns_picks() {
        for model in [GilModel::Any, GilModel::Py311, GilModel::Py27] {
            let mut s = Random::new(5);
            let mut plain = Random::new(5);
            let q = queue(10_000);
            let gil = GilParams::new(model, 100, 4);
            let mut cur: Tid = 0;
            for _ in 0..300 {
                let mut ahead = [0usize; 4];
                assert_eq!(s.peek_picks(q.len(), cur as usize, &gil, &mut ahead), 4);
                for &want in &ahead {
                    let ctx = TurnCtx {
                        queue: &q,
                        preempted: Some(cur),
                        gil: &gil,
                    };
                    let got = s.next_turn(&ctx);
                    assert_eq!(got, plain.next_turn(&ctx), "{model:?}");
                    let Pick::Run(t, _) = got else {
                        panic!("a turn")
                    };
                    // `queue(n)` holds thread i at position i.
                    assert_eq!(t as usize, want, "{model:?}");
                    cur = t;
                }
            }
        }
    }

    /// When the running thread leaves the queue instead of being preempted (it ends or
    /// blocks), `pick_if_left` of the peeked pick is the position, in the queue before it
    /// left, of the thread the next turn runs; peeking changes no choice.
    #[test]
    fn peeked_pick_if_the_thread_leaves_is_the_next_pick() {
        for model in [GilModel::Any, GilModel::Py311] {
            let mut s = Random::new(9);
            let mut plain = Random::new(9);
            let gil = GilParams::new(model, 100, 4);
            let mut q = queue(300);
            let mut cur: Tid = 17;
            let mut moved = 0;
            for turn in 0..4_000 {
                let pos = q.position(cur).expect("runnable");
                let mut ahead = [0usize; 1];
                assert_eq!(s.peek_picks(q.len(), pos, &gil, &mut ahead), 1);
                let before = q.as_slice().to_vec();
                let leaves = turn % 3 != 0;
                let want = if leaves {
                    q.remove(cur);
                    pick_if_left(ahead[0], pos, before.len())
                } else {
                    ahead[0]
                };
                let ctx = TurnCtx {
                    queue: &q,
                    preempted: (!leaves).then_some(cur),
                    gil: &gil,
                };
                let got = s.next_turn(&ctx);
                assert_eq!(got, plain.next_turn(&ctx), "{model:?}");
                let Pick::Run(t, _) = got else {
                    panic!("a turn")
                };
                assert_eq!(t, before[want], "{model:?}, turn {turn}");
                if leaves && want == before.len() - 1 && want != pos {
                    moved += 1;
                }
                if q.len() < 50 {
                    (0..300).for_each(|t| q.insert(t));
                }
                cur = t;
            }
            assert!(moved > 0, "the moved last thread was picked at least once");
        }
    }

    #[test]
    fn same_seed_same_choices() {
        let run = |seed| {
            let mut s = Random::new(seed);
            let q = queue(4);
            let gil = GilParams::new(GilModel::Any, 10, 4);
            let ctx = TurnCtx {
                queue: &q,
                preempted: None,
                gil: &gil,
            };
            (0..50).map(|_| s.next_turn(&ctx)).collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }

    #[test]
    fn ticks_models_leave_the_turn_to_the_interpreter() {
        let mut s = Random::new(1);
        let q = queue(2);
        let gil = GilParams::new(GilModel::Py27, 100, 6);
        let ctx = TurnCtx {
            queue: &q,
            preempted: None,
            gil: &gil,
        };
        assert!(matches!(
            s.next_turn(&ctx),
            Pick::Run(_, Length::UntilBlocked)
        ));
    }
}
