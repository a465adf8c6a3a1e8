//! `threading.Lock`: a non-reentrant lock. A contended `acquire` blocks the calling thread;
//! `release` hands the lock straight to one waiter chosen by the scheduler (seeded), so no
//! thread can barge in between — the hand-over is itself one visible scheduling decision.

use crate::vm::sync::{Site, Tid};

#[derive(Debug, Default)]
pub struct LockObj {
    pub owner: Option<Tid>,
    /// Threads blocked in `acquire`, in arrival order (the scheduler picks among them).
    pub waiters: Vec<Tid>,
    /// Where the lock was created (`Lock()` call site), for deadlock reports.
    pub created: Site,
    /// Where the current owner acquired it.
    pub acquired_at: Site,
}
