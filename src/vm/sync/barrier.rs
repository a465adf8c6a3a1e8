//! `threading.Barrier(parties, action=None, timeout=None)`: `parties` threads meet, then all
//! go on together.
//!
//! `wait()` returns the thread's arrival index (`0` to `parties - 1`). The last thread to
//! arrive runs the action, if any, before anyone is released — as Python code, through the
//! prelude's `barrier_action`, which calls the private `_release` method once the action
//! returned; if the action raises, the barrier breaks. Releasing hands every waiter its index
//! at once, so the barrier is immediately ready for its next generation (Python drains the
//! waiters first; nobody can observe the difference).
//!
//! A timeout, `abort()` or `reset()` with threads waiting breaks the wait:
//! `threading.BrokenBarrierError` is raised in every waiter. A broken barrier stays broken until
//! `reset()`.

use crate::vm::call::Outcome;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::AttrSym;
use crate::vm::ops;
use crate::vm::prelude::PreludeFn;
use crate::vm::races::role;
use crate::vm::sync::{bind, no_args, required, seconds, timeout_ns, Site, SyncObj};
use crate::vm::thread::Tid;
use crate::vm::thread::Wait;
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Throw};

#[derive(Debug)]
pub struct BarrierObj {
    pub parties: i64,
    pub action: Value,
    /// The default timeout of `wait()`, in seconds.
    pub timeout: Option<f64>,
    /// Threads blocked in `wait` this generation, with their arrival index.
    pub waiting: Vec<(Tid, i64)>,
    /// The last arrival while it runs the action (it has not left `wait` yet).
    pub runner: Option<Tid>,
    pub broken: bool,
    /// Generations completed so far.
    pub generation: u64,
    pub created: Site,
}

fn broken_error() -> Throw {
    Throw::NewArgs {
        kind: ExcKind::BrokenBarrierError,
        args: Vec::new(),
    }
}

impl Vm {
    /// `threading.Barrier(parties, action=None, timeout=None)`.
    pub fn new_barrier(&mut self, args: &[Value], kw: &[(&str, Value)]) -> PyResult<Value> {
        let [parties, action, timeout] = bind(
            "Barrier.__init__",
            args,
            kw,
            ["parties", "action", "timeout"],
        )?;
        let parties = required("Barrier.__init__", parties, "parties")?;
        let parties = ops::expect_index(&self.rt, parties)?;
        let timeout = match timeout {
            None | Some(Value::None) => None,
            Some(v) => Some(seconds(v)?),
        };
        self.rt
            .alloc(Obj::Sync(SyncObj::Barrier(Box::new(BarrierObj {
                parties,
                action: action.unwrap_or(Value::None),
                timeout,
                waiting: Vec::new(),
                runner: None,
                broken: false,
                generation: 0,
                created: self.call_site,
            }))))
    }

    fn barrier(&mut self, id: ObjId) -> PyResult<&mut BarrierObj> {
        match self.rt.heap.get_mut(id) {
            Obj::Sync(SyncObj::Barrier(b)) => Ok(b),
            _ => Err(Throw::type_error("a Barrier is required")),
        }
    }

    pub fn barrier_method(
        &mut self,
        id: ObjId,
        attr: AttrSym,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Outcome> {
        match attr {
            AttrSym::wait => {
                let [timeout] = bind("Barrier.wait", args, kw, ["timeout"])?;
                self.barrier_wait(id, timeout.unwrap_or(Value::None))
            }
            AttrSym::reset => {
                no_args("Barrier.reset", args, kw)?;
                self.barrier_break(id);
                self.barrier(id)?.broken = false;
                Ok(Outcome::Value(Value::None))
            }
            AttrSym::abort => {
                no_args("Barrier.abort", args, kw)?;
                self.barrier_break(id);
                Ok(Outcome::Value(Value::None))
            }
            AttrSym::barrier_release => {
                let me = self.current;
                let b = self.barrier(id)?;
                if b.runner != Some(me) {
                    return Err(Throw::new(
                        ExcKind::RuntimeError,
                        "_release() is called only by the barrier's own action",
                    ));
                }
                self.barrier_release(id)?;
                Ok(Outcome::Value(Value::None))
            }
            _ => Err(Throw::new(
                ExcKind::AttributeError,
                "no such barrier method",
            )),
        }
    }

    /// `parties`, `n_waiting`, `broken`.
    pub fn barrier_attr(&mut self, id: ObjId, attr: AttrSym) -> PyResult<Option<Value>> {
        let b = self.barrier(id)?;
        Ok(match attr {
            AttrSym::parties => Some(Value::Int(b.parties)),
            AttrSym::n_waiting => Some(Value::Int(if b.broken {
                0
            } else {
                (b.waiting.len() + b.runner.is_some() as usize) as i64
            })),
            AttrSym::broken => Some(Value::Bool(b.broken)),
            _ => None,
        })
    }

    fn barrier_wait(&mut self, id: ObjId, timeout: Value) -> PyResult<Outcome> {
        let me = self.current;
        let b = self.barrier(id)?;
        let secs = match timeout {
            Value::None => b.timeout,
            v => Some(seconds(v)?),
        };
        let b = self.barrier(id)?;
        if b.broken {
            return Err(broken_error());
        }
        self.race_release(id, role::MAIN);
        let b = self.barrier(id)?;
        let index = b.waiting.len() as i64 + b.runner.is_some() as i64;
        if index + 1 == b.parties && b.runner.is_none() {
            if b.action != Value::None {
                // The action runs in this thread before anyone leaves; the prelude then calls
                // `_release` and returns the index.
                b.runner = Some(me);
                let action = b.action;
                let f = self.prelude_function(PreludeFn::BarrierAction)?;
                return Ok(Outcome::Call(
                    f,
                    vec![Value::Obj(id), action, Value::Int(index)],
                ));
            }
            self.barrier_release(id)?;
            return Ok(Outcome::Value(Value::Int(index)));
        }
        let deadline = match secs {
            None => None,
            Some(s) => {
                let ns = timeout_ns(s);
                if ns == 0 {
                    self.barrier_break(id);
                    return Err(broken_error());
                }
                Some(self.now_ns().saturating_add(ns))
            }
        };
        self.barrier(id)?.waiting.push((me, index));
        self.block(Wait::Wait(id), deadline, Value::None);
        Ok(Outcome::Blocked)
    }

    /// Everyone waiting goes on, each with its arrival index; the next generation begins.
    fn barrier_release(&mut self, id: ObjId) -> PyResult<()> {
        let b = self.barrier(id)?;
        b.runner = None;
        b.generation += 1;
        let waiting = std::mem::take(&mut b.waiting);
        // Every arrival (and the action, run by the last to arrive) before every departure.
        self.race_release(id, role::MAIN);
        self.race_acquire(self.current, id, role::MAIN);
        for (tid, index) in waiting {
            self.race_acquire(tid, id, role::MAIN);
            self.wake(tid, Value::Int(index));
        }
        Ok(())
    }

    /// Breaks the barrier: every waiter raises BrokenBarrierError.
    pub fn barrier_break(&mut self, id: ObjId) {
        let Ok(b) = self.barrier(id) else { return };
        b.broken = true;
        b.runner = None;
        let waiting = std::mem::take(&mut b.waiting);
        for (tid, _) in waiting {
            self.wake_with_error(tid, broken_error());
        }
    }

    /// A waiter's timeout expired: the barrier breaks, for it and for everyone else.
    pub fn barrier_timeout(&mut self, id: ObjId, _tid: Tid) {
        self.barrier_break(id);
    }
}
