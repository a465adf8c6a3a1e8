//! `threading.Event`: a flag threads wait on until another thread sets it — the seed's
//! one-shot "start now" and "shutdown" signal.
//!
//! `set()` wakes every waiter at once (each `wait` returns `True`); who runs first among them
//! is then up to the scheduler. `wait(timeout)` returns the flag, or `False` on timeout.

use crate::vm::call::Outcome;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::AttrSym;
use crate::vm::races::role;
use crate::vm::sync::{bind, no_args, seconds, timeout_ns, Site, SyncObj};
use crate::vm::thread::Tid;
use crate::vm::thread::Wait;
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Throw};

#[derive(Debug, Default)]
pub struct EventObj {
    pub flag: bool,
    /// Threads blocked in `wait`.
    pub waiters: Vec<Tid>,
    pub created: Site,
}

impl Vm {
    /// `threading.Event()`.
    pub fn new_event(&mut self, args: &[Value], kw: &[(&str, Value)]) -> PyResult<Value> {
        no_args("Event.__init__", args, kw)?;
        self.rt.alloc(Obj::Sync(SyncObj::Event(EventObj {
            created: self.call_site,
            ..EventObj::default()
        })))
    }

    fn event(&mut self, id: ObjId) -> PyResult<&mut EventObj> {
        match self.rt.heap.get_mut(id) {
            Obj::Sync(SyncObj::Event(e)) => Ok(e),
            _ => Err(Throw::type_error("an Event is required")),
        }
    }

    pub fn event_method(
        &mut self,
        id: ObjId,
        attr: AttrSym,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Outcome> {
        let v = match attr {
            AttrSym::set => {
                no_args("Event.set", args, kw)?;
                let e = self.event(id)?;
                e.flag = true;
                let waiters = std::mem::take(&mut e.waiters);
                self.race_release(id, role::MAIN);
                for w in waiters {
                    self.race_acquire(w, id, role::MAIN);
                    self.wake(w, Value::Bool(true));
                }
                Value::None
            }
            AttrSym::clear => {
                no_args("Event.clear", args, kw)?;
                self.event(id)?.flag = false;
                Value::None
            }
            AttrSym::is_set => {
                no_args("Event.is_set", args, kw)?;
                Value::Bool(self.event(id)?.flag)
            }
            AttrSym::wait => {
                let [timeout] = bind("Event.wait", args, kw, ["timeout"])?;
                return self.event_wait(id, timeout.unwrap_or(Value::None));
            }
            _ => return Err(Throw::new(ExcKind::AttributeError, "no such event method")),
        };
        Ok(Outcome::Value(v))
    }

    fn event_wait(&mut self, id: ObjId, timeout: Value) -> PyResult<Outcome> {
        let deadline = match timeout {
            Value::None => None,
            v => Some(timeout_ns(seconds(v)?)),
        };
        let me = self.current;
        let e = self.event(id)?;
        if e.flag {
            self.race_acquire(me, id, role::MAIN);
            return Ok(Outcome::Value(Value::Bool(true)));
        }
        if deadline == Some(0) {
            return Ok(Outcome::Value(Value::Bool(false)));
        }
        e.waiters.push(me);
        let deadline = deadline.map(|ns| self.now_ns().saturating_add(ns));
        self.block(Wait::Wait(id), deadline, Value::Bool(false));
        Ok(Outcome::Blocked)
    }

    /// A timed `wait` ran out of time.
    pub fn event_timeout(&mut self, id: ObjId, tid: Tid) {
        if let Ok(e) = self.event(id) {
            if let Some(i) = e.waiters.iter().position(|&w| w == tid) {
                e.waiters.swap_remove(i);
            }
        }
        self.wake(tid, Value::Bool(false));
    }
}
