//! `threading.Condition(lock=None)`: a lock (an RLock unless one is given) plus a set of
//! threads waiting to be notified.
//!
//! `wait(timeout)` releases the lock completely — saving an RLock's recursion count — and
//! blocks. `notify(n)` picks up to `n` waiters (the scheduler chooses which) and moves each to
//! the lock's waiter queue: it returns from `wait` with `True` only once it has re-taken the
//! lock with its old count. A waiter whose timeout expires first also re-takes the lock before
//! `wait` returns `False`. `wait_for` is Python code in the prelude (`cond_wait_for`), as in
//! CPython's threading.py.

use crate::vm::call::Outcome;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::AttrSym;
use crate::vm::ops;
use crate::vm::prelude::PreludeFn;
use crate::vm::sync::{bind, required, seconds, timeout_ns, LockObj, Site, SyncObj};
use crate::vm::thread::Tid;
use crate::vm::thread::{ThreadState, Wait};
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Throw};

#[derive(Debug)]
pub struct ConditionObj {
    /// The underlying Lock or RLock.
    pub lock: ObjId,
    /// Threads blocked in `wait`, with the recursion count they released.
    pub waiters: Vec<(Tid, u32)>,
    pub created: Site,
}

impl Vm {
    /// `threading.Condition(lock=None)`.
    pub fn new_condition(&mut self, args: &[Value], kw: &[(&str, Value)]) -> PyResult<Value> {
        let [lock] = bind("Condition.__init__", args, kw, ["lock"])?;
        let created = self.call_site;
        let lock = match lock {
            None | Some(Value::None) => self
                .rt
                .heap
                .alloc(Obj::Sync(SyncObj::RLock(LockObj::new(created))))?,
            Some(Value::Obj(id))
                if matches!(
                    self.rt.heap.get(id),
                    Obj::Sync(SyncObj::Lock(_)) | Obj::Sync(SyncObj::RLock(_))
                ) =>
            {
                id
            }
            Some(v) => {
                return Err(Throw::type_error(format!(
                    "Condition() needs a Lock or RLock, not '{}'",
                    ops::type_name(&self.rt, v)
                )))
            }
        };
        self.rt.alloc(Obj::Sync(SyncObj::Condition(ConditionObj {
            lock,
            waiters: Vec::new(),
            created,
        })))
    }

    fn cond(&mut self, id: ObjId) -> PyResult<&mut ConditionObj> {
        match self.rt.heap.get_mut(id) {
            Obj::Sync(SyncObj::Condition(c)) => Ok(c),
            _ => Err(Throw::type_error("a Condition is required")),
        }
    }

    /// The lock under a Condition.
    pub fn condition_lock(&mut self, id: ObjId) -> PyResult<ObjId> {
        Ok(self.cond(id)?.lock)
    }

    pub fn condition_method(
        &mut self,
        id: ObjId,
        attr: AttrSym,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Outcome> {
        let lock = self.cond(id)?.lock;
        match attr {
            AttrSym::acquire | AttrSym::enter | AttrSym::release | AttrSym::exit => {
                self.lock_method(lock, attr, args, kw)
            }
            AttrSym::wait => {
                let [timeout] = bind("Condition.wait", args, kw, ["timeout"])?;
                self.condition_wait(id, timeout.unwrap_or(Value::None))
            }
            AttrSym::wait_for => {
                let [predicate, timeout] =
                    bind("Condition.wait_for", args, kw, ["predicate", "timeout"])?;
                let predicate = required("Condition.wait_for", predicate, "predicate")?;
                let f = self.prelude_function(PreludeFn::CondWaitFor)?;
                let args = vec![Value::Obj(id), predicate, timeout.unwrap_or(Value::None)];
                Ok(Outcome::Call(f, args))
            }
            AttrSym::notify => {
                let [n] = bind("Condition.notify", args, kw, ["n"])?;
                let n = match n {
                    None => 1,
                    Some(v) => ops::expect_index(&self.rt, v)?,
                };
                self.condition_notify(id, n.max(0) as usize)?;
                Ok(Outcome::Value(Value::None))
            }
            AttrSym::notify_all => {
                bind("Condition.notify_all", args, kw, [])?;
                self.condition_notify(id, usize::MAX)?;
                Ok(Outcome::Value(Value::None))
            }
            _ => Err(Throw::new(
                ExcKind::AttributeError,
                "no such condition method",
            )),
        }
    }

    /// `wait(timeout=None)`.
    fn condition_wait(&mut self, id: ObjId, timeout: Value) -> PyResult<Outcome> {
        let lock = self.cond(id)?.lock;
        if !self.lock_is_owned(lock)? {
            return Err(Throw::new(
                ExcKind::RuntimeError,
                "cannot wait on un-acquired lock",
            ));
        }
        let deadline = match timeout {
            Value::None => None,
            v => Some(timeout_ns(seconds(v)?)),
        };
        let me = self.current;
        self.cta.waited(me);
        let count = self.lock_release_all(lock)?;
        if deadline == Some(0) {
            // A zero or negative timeout: the lock is released and taken back at once (another
            // thread may slip in between), and the wait reports a timeout.
            if self.lock_regrant(lock, me, count, false)? {
                return Ok(Outcome::Value(Value::Bool(false)));
            }
            self.block(Wait::Acquire(lock), None, Value::Bool(false));
            return Ok(Outcome::Blocked);
        }
        self.cond(id)?.waiters.push((me, count));
        let deadline = deadline.map(|ns| self.now_ns().saturating_add(ns));
        self.block(Wait::Wait(id), deadline, Value::Bool(false));
        Ok(Outcome::Blocked)
    }

    /// `notify(n)`: up to `n` waiters, chosen by the scheduler, go on to re-take the lock.
    fn condition_notify(&mut self, id: ObjId, n: usize) -> PyResult<()> {
        let lock = self.cond(id)?.lock;
        if !self.lock_is_owned(lock)? {
            return Err(Throw::new(
                ExcKind::RuntimeError,
                "cannot notify on un-acquired lock",
            ));
        }
        for _ in 0..n {
            let k = self.cond(id)?.waiters.len();
            if k == 0 {
                break;
            }
            let i = match self.rt.heap.get(id) {
                Obj::Sync(SyncObj::Condition(c)) => {
                    self.sched.choose_waiter(k, &|i| c.waiters[i].0)
                }
                _ => 0,
            };
            let (tid, count) = self.cond(id)?.waiters.swap_remove(i);
            self.reacquire_after_wait(lock, tid, count, true)?;
        }
        Ok(())
    }

    /// A waiter leaves `wait` (notified, or timed out): it takes the lock back, or queues for
    /// it without a deadline; its `wait` returns `result` once it has the lock.
    fn reacquire_after_wait(
        &mut self,
        lock: ObjId,
        tid: Tid,
        count: u32,
        result: bool,
    ) -> PyResult<()> {
        if self.lock_regrant(lock, tid, count, result)? {
            self.wake(tid, Value::Bool(result));
        } else {
            self.threads[tid as usize].state = ThreadState::Blocked {
                wait: Wait::Acquire(lock),
                deadline: None,
            };
        }
        Ok(())
    }

    /// A timed `wait` ran out of time: the thread re-takes the lock, then returns False.
    pub fn condition_timeout(&mut self, id: ObjId, tid: Tid) {
        let Ok(c) = self.cond(id) else { return };
        let Some(i) = c.waiters.iter().position(|(t, _)| *t == tid) else {
            return;
        };
        let (_, count) = c.waiters.swap_remove(i);
        let lock = c.lock;
        // The lock is a Lock or RLock by construction, so this cannot fail.
        let _ = self.reacquire_after_wait(lock, tid, count, false);
    }
}
