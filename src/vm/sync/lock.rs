//! `threading.Lock`: a non-reentrant lock, and the lock core that `RLock` (`rlock.rs`) and
//! `Condition` (`condition.rs`) build on.
//!
//! A contended `acquire` blocks the calling thread; `release` hands the lock straight to one
//! waiter chosen by the scheduler (seeded), so no thread can barge in between — the hand-over
//! is itself one visible scheduling decision. A waiter may be a thread coming back from
//! `Condition.wait`, which takes the lock with its saved recursion count and returns its own
//! result (`True` if notified, `False` on timeout).

use crate::vm::call::Outcome;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::AttrSym;
use crate::vm::sync::{bind, no_args, seconds, timeout_ns, Site, SyncObj, Tid};
use crate::vm::thread::{ThreadState, Wait};
use crate::vm::value::{ObjId, Value};
use crate::vm::{ops, PyResult, Throw};

#[derive(Debug, Default)]
pub struct LockObj {
    pub owner: Option<Tid>,
    /// How many times the owner holds it (an RLock's recursion count; 1 for a held Lock).
    pub count: u32,
    /// Threads blocked taking the lock. The scheduler picks among them, so their order is no
    /// queue: a chosen waiter is swap-removed, O(1) whatever the number of threads.
    pub waiters: Vec<LockWaiter>,
    /// Where the lock was created (`Lock()` call site), for deadlock reports.
    pub created: Site,
    /// Where the current owner acquired it.
    pub acquired_at: Site,
}

/// A thread blocked taking a lock.
#[derive(Clone, Copy, Debug)]
pub struct LockWaiter {
    pub tid: Tid,
    /// The recursion count it takes the lock with.
    pub count: u32,
    /// What its blocking call returns once it has the lock.
    pub result: bool,
    /// True when it is re-taking the lock at the end of `Condition.wait`.
    pub after_wait: bool,
}

impl Vm {
    /// `threading.Lock()` or `threading.RLock()`.
    pub fn new_lock(
        &mut self,
        reentrant: bool,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Value> {
        if !reentrant {
            // CPython's RLock() accepts and ignores any arguments; Lock() takes none.
            no_args("_thread.allocate_lock", args, kw)?;
        }
        let lock = LockObj {
            created: self.call_site,
            ..LockObj::default()
        };
        let obj = if reentrant {
            SyncObj::RLock(lock)
        } else {
            SyncObj::Lock(lock)
        };
        self.rt.alloc(Obj::Sync(obj))
    }

    /// The state of a Lock or RLock.
    pub fn lock_state(&mut self, id: ObjId) -> PyResult<&mut LockObj> {
        match self.rt.heap.get_mut(id) {
            Obj::Sync(SyncObj::Lock(l)) | Obj::Sync(SyncObj::RLock(l)) => Ok(l),
            _ => Err(Throw::type_error("a Lock or RLock is required")),
        }
    }

    fn is_rlock(&self, id: ObjId) -> bool {
        matches!(self.rt.heap.get(id), Obj::Sync(SyncObj::RLock(_)))
    }

    /// The methods of `Lock` and `RLock`.
    pub fn lock_method(
        &mut self,
        id: ObjId,
        attr: AttrSym,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Outcome> {
        let rlock = self.is_rlock(id);
        match attr {
            AttrSym::acquire => {
                let [blocking, timeout] = bind("acquire", args, kw, ["blocking", "timeout"])?;
                let blocking = blocking.is_none_or(|v| ops::truthy(&self.rt, v));
                self.lock_acquire(id, blocking, timeout.unwrap_or(Value::Int(-1)))
            }
            AttrSym::enter => self.lock_acquire(id, true, Value::Int(-1)),
            AttrSym::release => {
                let name = if rlock {
                    "RLock.release"
                } else {
                    "lock.release"
                };
                no_args(name, args, kw)?;
                self.lock_release(id)?;
                Ok(Outcome::Value(Value::None))
            }
            AttrSym::exit => {
                self.lock_release(id)?;
                Ok(Outcome::Value(Value::None))
            }
            AttrSym::locked => {
                no_args("lock.locked", args, kw)?;
                let held = self.lock_state(id)?.owner.is_some();
                Ok(Outcome::Value(Value::Bool(held)))
            }
            _ => Err(Throw::new(ExcKind::AttributeError, "no such lock method")),
        }
    }

    /// `acquire(blocking=True, timeout=-1)` of a Lock or RLock.
    pub fn lock_acquire(&mut self, id: ObjId, blocking: bool, timeout: Value) -> PyResult<Outcome> {
        let me = self.current;
        let secs = seconds(timeout).map_err(|_| {
            Throw::type_error(format!(
                "'{}' object cannot be interpreted as an integer",
                ops::type_name(&self.rt, timeout)
            ))
        })?;
        let timed = secs != -1.0;
        if !blocking && timed {
            return Err(Throw::value_error(
                "can't specify a timeout for a non-blocking call",
            ));
        }
        if secs < 0.0 && timed {
            return Err(Throw::value_error("timeout value must be positive"));
        }
        let site = self.call_site;
        let rlock = self.is_rlock(id);
        let l = self.lock_state(id)?;
        match l.owner {
            None => {
                l.owner = Some(me);
                l.count = 1;
                l.acquired_at = site;
                return Ok(Outcome::Value(Value::Bool(true)));
            }
            Some(o) if o == me && rlock => {
                return self.rlock_reenter(id);
            }
            Some(_) => {}
        }
        if !blocking {
            return Ok(Outcome::Value(Value::Bool(false)));
        }
        let deadline = if timed {
            let ns = timeout_ns(secs);
            if ns == 0 {
                return Ok(Outcome::Value(Value::Bool(false)));
            }
            Some(self.now_ns().saturating_add(ns))
        } else {
            None
        };
        self.lock_wait(id, deadline);
        Ok(Outcome::Blocked)
    }

    /// Blocks the current thread on a held Lock or RLock as a blocking `acquire()` does: it
    /// joins the waiters and wakes owning the lock with `True`, or with `False` at `deadline`.
    pub fn lock_wait(&mut self, id: ObjId, deadline: Option<u64>) {
        let me = self.current;
        if let Ok(l) = self.lock_state(id) {
            l.waiters.push(LockWaiter {
                tid: me,
                count: 1,
                result: true,
                after_wait: false,
            });
        }
        self.block(Wait::Acquire(id), deadline, Value::Bool(false));
    }

    /// `release()` of a Lock (anyone may release a held Lock) or RLock (only its owner).
    pub fn lock_release(&mut self, id: ObjId) -> PyResult<()> {
        if self.is_rlock(id) {
            return self.rlock_release(id);
        }
        let l = self.lock_state(id)?;
        if l.owner.is_none() {
            return Err(Throw::new(ExcKind::RuntimeError, "release unlocked lock"));
        }
        l.owner = None;
        l.count = 0;
        self.lock_hand_over(id);
        Ok(())
    }

    /// Whether the current thread may wait on or notify a Condition built on this lock:
    /// an RLock must be held by it; a plain Lock merely held (CPython's `_is_owned` cannot tell
    /// who holds a plain lock, and neither can we).
    pub fn lock_is_owned(&mut self, id: ObjId) -> PyResult<bool> {
        let me = self.current;
        let rlock = self.is_rlock(id);
        let l = self.lock_state(id)?;
        Ok(match l.owner {
            Some(o) => !rlock || o == me,
            None => false,
        })
    }

    /// Releases the lock completely for `Condition.wait`, returning the recursion count to
    /// restore afterwards.
    pub fn lock_release_all(&mut self, id: ObjId) -> PyResult<u32> {
        let l = self.lock_state(id)?;
        let count = l.count.max(1);
        l.owner = None;
        l.count = 0;
        self.lock_hand_over(id);
        Ok(count)
    }

    /// Gives the lock to `tid` (blocked, or the current thread) with `count`, or queues it as a
    /// waiter whose call will return `result`. Returns whether the lock was taken at once.
    pub fn lock_regrant(
        &mut self,
        id: ObjId,
        tid: Tid,
        count: u32,
        result: bool,
    ) -> PyResult<bool> {
        let (code, pc) = self.threads[tid as usize].blocked_at;
        let site = if tid == self.current && !self.is_blocked(tid) {
            self.call_site
        } else {
            Site { code, pc }
        };
        let l = self.lock_state(id)?;
        if l.owner.is_none() {
            l.owner = Some(tid);
            l.count = count;
            l.acquired_at = site;
            return Ok(true);
        }
        l.waiters.push(LockWaiter {
            tid,
            count,
            result,
            after_wait: true,
        });
        Ok(false)
    }

    /// The lock became free: the scheduler picks the waiter that gets it.
    fn lock_hand_over(&mut self, id: ObjId) {
        let n = match self.lock_state(id) {
            Ok(l) if l.owner.is_none() => l.waiters.len(),
            _ => return,
        };
        if n == 0 {
            return;
        }
        let i = self.sched.choose(n);
        let Ok(l) = self.lock_state(id) else { return };
        let w = l.waiters.swap_remove(i);
        let (code, pc) = self.threads[w.tid as usize].blocked_at;
        let l = match self.lock_state(id) {
            Ok(l) => l,
            Err(_) => return,
        };
        l.owner = Some(w.tid);
        l.count = w.count;
        l.acquired_at = Site { code, pc };
        self.wake(w.tid, Value::Bool(w.result));
    }

    /// A timed `acquire` ran out of time.
    pub fn lock_timeout(&mut self, id: ObjId, tid: Tid) {
        if let Ok(l) = self.lock_state(id) {
            if let Some(i) = l.waiters.iter().position(|w| w.tid == tid) {
                l.waiters.swap_remove(i);
            }
        }
        self.wake(tid, Value::Bool(false));
    }

    /// Whether `tid` is blocked.
    pub fn is_blocked(&self, tid: Tid) -> bool {
        matches!(
            self.threads[tid as usize].state,
            ThreadState::Blocked { .. }
        )
    }
}
