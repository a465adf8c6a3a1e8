//! The recording wrapper (`--record`): runs another strategy and logs every turn — who ran
//! and how many instructions, including a woken lock waiter's turn of none — and every waiter
//! choice, in the order they were made. The log is the body of a schedule file (format 2).

use crate::vm::scheduler::{Pick, Strategy, TurnCtx, TurnDone};
use crate::vm::thread::Tid;

/// One logged decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A turn: `tid` ran `steps` instructions (`None`: until it blocked or ended, hand-written).
    Turn { tid: Tid, steps: Option<u64> },
    /// A hand-off woke this waiter.
    Wake(Tid),
    /// A hand-written turn that ends at an event: `T1 until line 8` (the index of the event
    /// in the schedule's list). Never recorded: a recording logs the turn's count.
    Until { tid: Tid, event: u32 },
}

pub struct Recording {
    inner: Box<dyn Strategy>,
    log: Vec<Entry>,
}

impl Recording {
    pub fn new(inner: Box<dyn Strategy>) -> Recording {
        Recording {
            inner,
            log: Vec::new(),
        }
    }
}

impl Strategy for Recording {
    fn next_turn(&mut self, ctx: &TurnCtx<'_>) -> Pick {
        self.inner.next_turn(ctx)
    }

    fn choose_waiter(&mut self, n: usize, tid_of: &dyn Fn(usize) -> Tid) -> usize {
        let i = self.inner.choose_waiter(n, tid_of);
        self.log.push(Entry::Wake(tid_of(i)));
        i
    }

    fn peek_waiter(&mut self, n: usize) -> Option<usize> {
        self.inner.peek_waiter(n)
    }

    fn turn_done(&mut self, done: TurnDone) {
        self.log.push(Entry::Turn {
            tid: done.tid,
            steps: Some(done.steps),
        });
        self.inner.turn_done(done);
    }

    fn diverged(&self) -> Option<&str> {
        self.inner.diverged()
    }

    fn recorded(&self) -> Option<&[Entry]> {
        Some(&self.log)
    }

    fn stop_event(&self, i: u32) -> Option<&crate::vm::scheduler::events::StopEvent> {
        self.inner.stop_event(i)
    }
}
