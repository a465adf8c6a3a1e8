//! `threading.Semaphore(value=1)` and `BoundedSemaphore(value=1)`: a counter of permits.
//!
//! `acquire` takes a permit or blocks; `release(n)` gives permits back, handing each one
//! straight to a blocked thread chosen by the scheduler while there are any. A
//! `BoundedSemaphore` refuses to grow past its initial value (`ValueError: Semaphore released
//! too many times`). Semaphores have no owner — any thread may release — but the VM remembers
//! which threads took the permits still out, so a deadlock report can say who has them.

use crate::vm::call::Outcome;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::AttrSym;
use crate::vm::ops;
use crate::vm::races::role;
use crate::vm::sync::{bind, seconds, timeout_ns, Site, SyncObj};
use crate::vm::thread::Tid;
use crate::vm::thread::Wait;
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Throw};

/// How many permit holders a semaphore remembers for reports (a semaphore used as a signal
/// may be acquired far more often than it is released by the same threads).
const HOLDERS_KEPT: usize = 64;

#[derive(Debug, Default)]
pub struct SemaphoreObj {
    /// Permits available.
    pub value: i64,
    /// A BoundedSemaphore's initial value; `None` for a plain Semaphore.
    pub bound: Option<i64>,
    /// Threads blocked in `acquire` (the scheduler picks among them; swap-removed).
    pub waiters: Vec<Tid>,
    /// Threads holding permits and where they took them (most recent last), for reports.
    pub holders: Vec<(Tid, Site)>,
    pub created: Site,
}

impl Vm {
    /// `threading.Semaphore(value=1)` / `BoundedSemaphore(value=1)`.
    pub fn new_semaphore(
        &mut self,
        bounded: bool,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Value> {
        let name = if bounded {
            "BoundedSemaphore.__init__"
        } else {
            "Semaphore.__init__"
        };
        let [value] = bind(name, args, kw, ["value"])?;
        let value = match value {
            None => 1,
            Some(v) => ops::expect_index(&self.rt, v)?,
        };
        if value < 0 {
            return Err(Throw::value_error("semaphore initial value must be >= 0"));
        }
        self.rt
            .alloc(Obj::Sync(SyncObj::Semaphore(Box::new(SemaphoreObj {
                value,
                bound: bounded.then_some(value),
                created: self.call_site,
                ..SemaphoreObj::default()
            }))))
    }

    fn sem(&mut self, id: ObjId) -> PyResult<&mut SemaphoreObj> {
        match self.rt.heap.get_mut(id) {
            Obj::Sync(SyncObj::Semaphore(s)) => Ok(s),
            _ => Err(Throw::type_error("a Semaphore is required")),
        }
    }

    pub fn semaphore_method(
        &mut self,
        id: ObjId,
        attr: AttrSym,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Outcome> {
        match attr {
            AttrSym::acquire => {
                let [blocking, timeout] =
                    bind("Semaphore.acquire", args, kw, ["blocking", "timeout"])?;
                let blocking = blocking.is_none_or(|v| ops::truthy(&self.rt, v));
                self.semaphore_acquire(id, blocking, timeout.unwrap_or(Value::None))
            }
            AttrSym::enter => self.semaphore_acquire(id, true, Value::None),
            AttrSym::release => {
                let [n] = bind("Semaphore.release", args, kw, ["n"])?;
                let n = match n {
                    None => 1,
                    Some(v) => ops::expect_index(&self.rt, v)?,
                };
                self.semaphore_release(id, n)?;
                Ok(Outcome::Value(Value::None))
            }
            AttrSym::exit => {
                self.semaphore_release(id, 1)?;
                Ok(Outcome::Value(Value::None))
            }
            _ => Err(Throw::new(
                ExcKind::AttributeError,
                "no such semaphore method",
            )),
        }
    }

    /// `acquire(blocking=True, timeout=None)`: True once a permit is taken, False if it could
    /// not be taken in time.
    pub fn semaphore_acquire(
        &mut self,
        id: ObjId,
        blocking: bool,
        timeout: Value,
    ) -> PyResult<Outcome> {
        if !blocking && timeout != Value::None {
            return Err(Throw::value_error(
                "can't specify timeout for non-blocking acquire",
            ));
        }
        let deadline = match timeout {
            Value::None => None,
            v => Some(seconds(v)?),
        };
        let (me, site) = (self.current, self.call_site);
        let s = self.sem(id)?;
        if s.value > 0 {
            s.value -= 1;
            note_holder(s, me, site);
            self.race_acquire(me, id, role::MAIN);
            return Ok(Outcome::Value(Value::Bool(true)));
        }
        if !blocking {
            return Ok(Outcome::Value(Value::Bool(false)));
        }
        let deadline = match deadline {
            None => None,
            Some(secs) => {
                let ns = timeout_ns(secs);
                if ns == 0 {
                    return Ok(Outcome::Value(Value::Bool(false)));
                }
                Some(self.now_ns().saturating_add(ns))
            }
        };
        self.sem(id)?.waiters.push(me);
        self.block(Wait::Acquire(id), deadline, Value::Bool(false));
        Ok(Outcome::Blocked)
    }

    /// `release(n=1)`: gives `n` permits back, each to a waiter while there are any.
    pub fn semaphore_release(&mut self, id: ObjId, n: i64) -> PyResult<()> {
        if n < 1 {
            return Err(Throw::value_error("n must be one or more"));
        }
        let me = self.current;
        let s = self.sem(id)?;
        if let Some(bound) = s.bound {
            if s.value.saturating_add(n) > bound {
                return Err(Throw::value_error("Semaphore released too many times"));
            }
        }
        self.race_release(id, role::MAIN);
        for _ in 0..n {
            let s = self.sem(id)?;
            forget_holder(s, me);
            if s.waiters.is_empty() {
                s.value = s.value.saturating_add(1);
                continue;
            }
            let k = s.waiters.len();
            let i = match self.rt.heap.get(id) {
                Obj::Sync(SyncObj::Semaphore(s)) => self.sched.choose_waiter(k, &|i| s.waiters[i]),
                _ => 0,
            };
            let s = self.sem(id)?;
            let w = s.waiters.swap_remove(i);
            let (code, pc) = self.threads[w as usize].blocked_at;
            note_holder(self.sem(id)?, w, Site { code, pc });
            self.race_acquire(w, id, role::MAIN);
            self.wake(w, Value::Bool(true));
        }
        Ok(())
    }

    /// A timed `acquire` ran out of time.
    pub fn semaphore_timeout(&mut self, id: ObjId, tid: Tid) {
        if let Ok(s) = self.sem(id) {
            if let Some(i) = s.waiters.iter().position(|&w| w == tid) {
                s.waiters.swap_remove(i);
            }
        }
        self.wake(tid, Value::Bool(false));
    }
}

fn note_holder(s: &mut SemaphoreObj, tid: Tid, site: Site) {
    if s.holders.len() >= HOLDERS_KEPT {
        s.holders.remove(0);
    }
    s.holders.push((tid, site));
}

/// A release gives back the releasing thread's latest permit if it holds one, else the oldest.
fn forget_holder(s: &mut SemaphoreObj, tid: Tid) {
    match s.holders.iter().rposition(|(t, _)| *t == tid) {
        Some(i) => {
            s.holders.remove(i);
        }
        None if !s.holders.is_empty() => {
            s.holders.remove(0);
        }
        None => {}
    }
}
