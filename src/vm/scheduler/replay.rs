//! The replay strategy: follows a schedule's turns and waiter choices, then carries on as the
//! seeded [`Random`] strategy of the same seed.
//!
//! Turns and waiter choices are followed as two lists, each in order: a format-1 schedule has
//! no waiter choices, and its waiters then come from the seed's wake stream exactly as in the
//! run that recorded it. The fallback's streams are not drawn while the plan is followed, so a
//! hand-written schedule that stages only the start of a run continues as the seed's scheduler
//! would from the start.

use crate::vm::scheduler::events::StopEvent;
use crate::vm::scheduler::{Entry, Length, Pick, Random, Slice, Strategy, TurnCtx, TurnDone};
use crate::vm::thread::Tid;

/// What a schedule file asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub turns: Vec<Slice>,
    pub wakes: Vec<Tid>,
    /// The events of `until` turns (`Slice::until` indexes it).
    pub events: Vec<StopEvent>,
}

impl Plan {
    /// A plan from a schedule's entries, in order.
    pub fn from_entries(entries: &[Entry]) -> Plan {
        Plan::with_events(entries, &[])
    }

    /// A plan from a schedule's entries, in order, and the events its `until` turns name.
    pub fn with_events(entries: &[Entry], events: &[StopEvent]) -> Plan {
        let mut p = Plan {
            events: events.to_vec(),
            ..Plan::default()
        };
        for e in entries {
            match *e {
                Entry::Turn { tid, steps } => p.turns.push(Slice {
                    tid,
                    steps,
                    until: None,
                }),
                Entry::Until { tid, event } => p.turns.push(Slice {
                    tid,
                    steps: None,
                    until: Some(event),
                }),
                Entry::Wake(t) => p.wakes.push(t),
            }
        }
        p
    }
}

pub struct Replay {
    plan: Plan,
    turn: usize,
    wake: usize,
    fallback: Random,
    diverged: Option<String>,
}

impl Replay {
    pub fn new(plan: Plan, seed: u64) -> Replay {
        Replay {
            plan,
            turn: 0,
            wake: 0,
            fallback: Random::new(seed),
            diverged: None,
        }
    }
}

impl Strategy for Replay {
    fn next_turn(&mut self, ctx: &TurnCtx<'_>) -> Pick {
        if ctx.queue.is_empty() {
            // Every thread waits: the driver jumps the clock to the next timer. No turn was
            // recorded here, so none of the plan's is spent.
            return Pick::Idle;
        }
        let Some(&s) = self.plan.turns.get(self.turn) else {
            return self.fallback.next_turn(ctx);
        };
        self.turn += 1;
        if !ctx.queue.contains(s.tid) {
            return Pick::Diverged(s.tid);
        }
        let length = match (s.until, s.steps) {
            (Some(e), _) => Length::Until(e),
            (None, Some(n)) => Length::Steps(n),
            (None, None) => Length::UntilBlocked,
        };
        Pick::Run(s.tid, length)
    }

    fn choose_waiter(&mut self, n: usize, tid_of: &dyn Fn(usize) -> Tid) -> usize {
        let Some(&want) = self.plan.wakes.get(self.wake) else {
            return self.fallback.choose_waiter(n, tid_of);
        };
        self.wake += 1;
        if let Some(i) = (0..n).find(|&i| tid_of(i) == want) {
            return i;
        }
        if self.diverged.is_none() {
            let mut waiting: Vec<Tid> = (0..n).map(tid_of).collect();
            waiting.sort_unstable();
            let names: Vec<String> = waiting.iter().map(|t| format!("T{t}")).collect();
            self.diverged = Some(format!(
                "it wakes thread T{want}, which is not among the waiters ({}) at this point",
                names.join(", ")
            ));
        }
        0
    }

    fn peek_waiter(&mut self, n: usize) -> Option<usize> {
        if self.wake < self.plan.wakes.len() {
            None
        } else {
            self.fallback.peek_waiter(n)
        }
    }

    fn turn_done(&mut self, done: TurnDone) {
        self.fallback.turn_done(done);
    }

    fn diverged(&self) -> Option<&str> {
        self.diverged.as_deref()
    }

    fn stop_event(&self, i: u32) -> Option<&StopEvent> {
        self.plan.events.get(i as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::gil::{GilModel, GilParams};
    use crate::vm::scheduler::RunQueue;

    #[test]
    fn follows_the_plan_then_carries_on_as_the_seed() {
        let plan = Plan {
            turns: vec![
                Slice {
                    tid: 1,
                    steps: Some(3),
                    until: None,
                },
                Slice {
                    tid: 0,
                    steps: None,
                    until: None,
                },
            ],
            wakes: vec![2],
            events: Vec::new(),
        };
        let mut r = Replay::new(plan, 9);
        let mut plain = Random::new(9);
        let mut q = RunQueue::default();
        (0..3).for_each(|t| q.insert(t));
        let gil = GilParams::new(GilModel::Any, 100, 4);
        let ctx = TurnCtx {
            queue: &q,
            preempted: None,
            gil: &gil,
        };
        assert_eq!(r.next_turn(&ctx), Pick::Run(1, Length::Steps(3)));
        assert_eq!(r.next_turn(&ctx), Pick::Run(0, Length::UntilBlocked));
        assert_eq!(r.choose_waiter(3, &|i| [5, 2, 7][i]), 1);
        for _ in 0..20 {
            assert_eq!(r.next_turn(&ctx), plain.next_turn(&ctx));
            assert_eq!(
                r.choose_waiter(4, &|i| i as Tid),
                plain.choose_waiter(4, &|i| i as Tid)
            );
        }
        assert_eq!(r.diverged(), None);
    }

    #[test]
    fn a_thread_or_waiter_that_cannot_be_followed_is_a_divergence() {
        let plan = Plan {
            turns: vec![Slice {
                tid: 4,
                steps: Some(1),
                until: None,
            }],
            wakes: vec![9],
            events: Vec::new(),
        };
        let mut r = Replay::new(plan, 0);
        let mut q = RunQueue::default();
        q.insert(0);
        let gil = GilParams::new(GilModel::Any, 100, 4);
        let ctx = TurnCtx {
            queue: &q,
            preempted: None,
            gil: &gil,
        };
        let empty = RunQueue::default();
        let idle = TurnCtx {
            queue: &empty,
            preempted: None,
            gil: &gil,
        };
        assert_eq!(
            r.next_turn(&idle),
            Pick::Idle,
            "waiting spends no planned turn"
        );
        assert_eq!(r.next_turn(&ctx), Pick::Diverged(4));
        r.choose_waiter(2, &|i| [3, 1][i]);
        let msg = r.diverged().expect("diverged");
        assert!(msg.contains("T9") && msg.contains("(T1, T3)"), "{msg}");
    }
}
