//! `threading.Thread` objects: what a program sees of a thread (name, target, daemon flag),
//! and `start`/`join`. The running state (frames, stack) is the VM's
//! [`crate::vm::thread::Thread`].

use crate::vm::call::Outcome;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::sync::{seconds, timeout_ns, SyncObj};
use crate::vm::thread::Tid;
use crate::vm::thread::{StartCall, Thread, ThreadState, Wait};
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Throw};

#[derive(Debug)]
pub struct ThreadObj {
    pub name: String,
    pub target: Value,
    pub args: Vec<Value>,
    /// A dict of keyword arguments, if given.
    pub kwargs: Option<Value>,
    pub daemon: bool,
    /// The VM thread once started (`start()` twice is a RuntimeError).
    pub tid: Option<Tid>,
}

/// Python's `threading.get_ident()` of VM thread `tid`: a stable fake value (the formula of
/// `crate::vm::thread::Thread::new`).
pub fn ident_of(tid: Tid) -> i64 {
    140_000_000_000_000 + tid as i64 * 4096
}

impl Vm {
    /// `Thread.start()`.
    pub fn start_thread(&mut self, id: ObjId) -> PyResult<Value> {
        let (name, target, targs, kwargs, daemon, started) = match self.rt.heap.get(id) {
            Obj::Sync(SyncObj::Thread(t)) => (
                t.name.clone(),
                t.target,
                t.args.clone(),
                t.kwargs,
                t.daemon,
                t.tid.is_some(),
            ),
            _ => return Err(Throw::type_error("start() needs a Thread")),
        };
        if started {
            return Err(Throw::new(
                ExcKind::RuntimeError,
                "threads can only be started once",
            ));
        }
        let tid = self.threads.len() as Tid;
        let mut t = Thread::new(tid, name, daemon);
        t.obj = Some(id);
        t.state = ThreadState::Runnable;
        if target != Value::None {
            t.start = Some(Box::new(StartCall {
                target,
                args: targs,
                kwargs,
            }));
        }
        crate::vm::thread_cheap::reserve_for_threads(&mut self.threads, tid as usize);
        self.threads.push(t);
        self.race_start(self.current, tid);
        if let Obj::Sync(SyncObj::Thread(t)) = self.rt.heap.get_mut(id) {
            t.tid = Some(tid);
        }
        self.sched.make_runnable(tid);
        Ok(Value::None)
    }

    /// `Thread.join(timeout=None)`: a negative timeout does not wait, as in Python.
    pub fn join_thread(&mut self, id: ObjId, timeout: Value) -> PyResult<Outcome> {
        let tid = match self.rt.heap.get(id) {
            Obj::Sync(SyncObj::Thread(t)) => t.tid,
            _ => None,
        };
        let Some(tid) = tid else {
            return Err(Throw::new(
                ExcKind::RuntimeError,
                "cannot join thread before it is started",
            ));
        };
        if tid == self.current {
            return Err(Throw::new(
                ExcKind::RuntimeError,
                "cannot join current thread",
            ));
        }
        if !self.threads[tid as usize].is_alive() {
            self.race_joined(self.current, tid);
            return Ok(Outcome::Value(Value::None));
        }
        let deadline = match timeout {
            Value::None => None,
            v => {
                let ns = timeout_ns(seconds(v)?);
                if ns == 0 {
                    return Ok(Outcome::Value(Value::None));
                }
                Some(self.now_ns().saturating_add(ns))
            }
        };
        self.threads[tid as usize].joiners.push(self.current);
        self.block(Wait::Join(tid), deadline, Value::None);
        Ok(Outcome::Blocked)
    }
}
