//! The methods and attributes of `Thread` and the synchronisation objects, dispatched to the
//! file of each primitive; `with` on them (`__enter__`/`__exit__`).

use crate::vm::call::Outcome;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::{AttrSym, MethodId, TypeTag};
use crate::vm::sync::{receiver, SyncObj};
use crate::vm::threading::{arg, check_kwargs, max_args};
use crate::vm::value::{ObjId, Value};
use crate::vm::{format, ops, PyResult, Throw};

impl Vm {
    /// Built-in methods of threads and synchronisation objects.
    pub fn sync_lookup(&self, id: ObjId, attr: AttrSym) -> Option<MethodId> {
        let Obj::Sync(obj) = self.rt.heap.get(id) else {
            return None;
        };
        let ty = obj.type_tag();
        use AttrSym::*;
        let ok = match ty {
            TypeTag::Thread => matches!(
                attr,
                start | join | is_alive | run | getName | setName | isDaemon | setDaemon
            ),
            TypeTag::Lock => matches!(attr, acquire | release | locked | enter | exit),
            TypeTag::RLock | TypeTag::Semaphore => {
                matches!(attr, acquire | release | enter | exit)
            }
            TypeTag::Condition => matches!(
                attr,
                acquire | release | enter | exit | wait | wait_for | notify | notify_all
            ),
            TypeTag::Event => matches!(attr, set | clear | is_set | wait),
            TypeTag::Barrier => matches!(attr, wait | reset | abort | barrier_release),
            TypeTag::Queue => matches!(
                attr,
                put | get | put_nowait | get_nowait | qsize | empty | full | task_done | join
            ),
            _ => false,
        };
        ok.then_some(MethodId { ty, attr })
    }

    pub fn call_sync_method(
        &mut self,
        m: MethodId,
        recv: Value,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Outcome> {
        let id = receiver(recv)?;
        match m.ty {
            TypeTag::Thread => self.thread_method(id, m.attr, args, kw),
            TypeTag::Lock | TypeTag::RLock => self.lock_method(id, m.attr, args, kw),
            TypeTag::Semaphore => self.semaphore_method(id, m.attr, args, kw),
            TypeTag::Condition => self.condition_method(id, m.attr, args, kw),
            TypeTag::Event => self.event_method(id, m.attr, args, kw),
            TypeTag::Barrier => self.barrier_method(id, m.attr, args, kw),
            TypeTag::Queue => self.queue_method(id, m.attr, args, kw),
            _ => Err(Throw::new(
                ExcKind::AttributeError,
                format!(
                    "'{}' object has no attribute '{}'",
                    ops::type_name(&self.rt, recv),
                    m.attr.name()
                ),
            )),
        }
    }

    fn thread_method(
        &mut self,
        id: ObjId,
        attr: AttrSym,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Outcome> {
        match attr {
            AttrSym::start => {
                max_args("start", args, 0)?;
                self.start_thread(id).map(Outcome::Value)
            }
            AttrSym::run => {
                let (target, targs) = match self.rt.heap.get(id) {
                    Obj::Sync(SyncObj::Thread(t)) => (t.target, t.args.clone()),
                    _ => return Ok(Outcome::Value(Value::None)),
                };
                if target == Value::None {
                    return Ok(Outcome::Value(Value::None));
                }
                // Thread.run() called directly runs the target in the calling thread.
                self.call_value(target, &targs, &[])
            }
            AttrSym::join => {
                check_kwargs("join", kw, &["timeout"])?;
                let timeout = arg(args, kw, 0, "timeout").unwrap_or(Value::None);
                self.join_thread(id, timeout)
            }
            AttrSym::is_alive => {
                let alive = match self.rt.heap.get(id) {
                    Obj::Sync(SyncObj::Thread(th)) => {
                        th.tid.is_some_and(|t| self.threads[t as usize].is_alive())
                    }
                    _ => false,
                };
                Ok(Outcome::Value(Value::Bool(alive)))
            }
            // stdlib: the accessors CPython 3.11 keeps (deprecated) beside `name`/`daemon`.
            AttrSym::getName | AttrSym::isDaemon => {
                let fname = attr.name();
                max_args(fname, args, 0)?;
                check_kwargs(fname, kw, &[])?;
                let which = if attr == AttrSym::getName {
                    AttrSym::name
                } else {
                    AttrSym::daemon
                };
                Ok(Outcome::Value(
                    self.sync_attr(id, which)?.unwrap_or(Value::None),
                ))
            }
            AttrSym::setName | AttrSym::setDaemon => {
                let fname = attr.name();
                let pname = if attr == AttrSym::setName {
                    "name"
                } else {
                    "daemonic"
                };
                check_kwargs(fname, kw, &[pname])?;
                let v = arg(args, kw, 0, pname).ok_or_else(|| {
                    Throw::type_error(format!(
                        "Thread.{fname}() missing 1 required positional argument: '{pname}'"
                    ))
                })?;
                max_args(fname, args, 1)?;
                let which = if attr == AttrSym::setName {
                    AttrSym::name
                } else {
                    AttrSym::daemon
                };
                self.sync_store_attr(id, which, v)?;
                Ok(Outcome::Value(Value::None))
            }
            _ => Err(Throw::new(ExcKind::AttributeError, "no such thread method")),
        }
    }

    /// Whether `with` accepts this object.
    pub fn is_context_manager(&self, id: ObjId) -> bool {
        matches!(
            self.rt.heap.get(id),
            Obj::Sync(
                SyncObj::Lock(_)
                    | SyncObj::RLock(_)
                    | SyncObj::Semaphore(_)
                    | SyncObj::Condition(_)
            )
        )
    }

    /// `__enter__`: `Some(result)`, or `None` if the current thread blocked.
    pub fn enter(&mut self, id: ObjId) -> PyResult<Option<Value>> {
        // Fast path for `with lock:` on a plain Lock, the seed's locked counter: the generic
        // method call costs ~600 machine instructions per acquire (callgrind). A free lock is
        // taken; a held one blocks exactly as `acquire()` (blocking, no timeout) would —
        // under contention, which is most acquires of the seed's 4 threads, that path was
        // the costly one.
        let me = self.current;
        let site = self.call_site;
        if let Obj::Sync(SyncObj::Lock(l)) = self.rt.heap.get_mut(id) {
            if l.owner.is_none() {
                self.lock_take(id, me, 1, site);
                return Ok(Some(Value::Bool(true)));
            }
            self.lock_wait(id, None);
            return Ok(None);
        }
        // `with rlock:` and `with cond:` (whose lock is an RLock unless given a Lock): the
        // lock's `acquire()` directly, without the method dispatch (a `Future` of
        // `concurrent.futures` enters its Condition twice per task).
        let lock = match self.rt.heap.get(id) {
            Obj::Sync(SyncObj::RLock(_)) => Some(id),
            Obj::Sync(SyncObj::Condition(c)) => Some(c.lock),
            _ => None,
        };
        if let Some(lock) = lock {
            return match self.lock_acquire(lock, true, Value::Int(-1))? {
                Outcome::Value(v) => Ok(Some(v)),
                _ => Ok(None),
            };
        }
        match self.call_sync_method(
            self.context_method(id, AttrSym::enter),
            Value::Obj(id),
            &[],
            &[],
        )? {
            Outcome::Value(v) => Ok(Some(v)),
            _ => Ok(None),
        }
    }

    /// `__exit__`: releases; returns None (exceptions propagate).
    pub fn exit(&mut self, id: ObjId) -> PyResult<Value> {
        // Fast path: releasing a held plain Lock (see `enter`) without the generic method
        // call.
        if let Obj::Sync(SyncObj::Lock(l)) = self.rt.heap.get_mut(id) {
            if l.owner.is_some() {
                self.lock_release(id)?;
                return Ok(Value::None);
            }
        }
        // `with rlock:` and `with cond:` (see `enter`): the lock's `release()` directly.
        let lock = match self.rt.heap.get(id) {
            Obj::Sync(SyncObj::RLock(_)) => Some(id),
            Obj::Sync(SyncObj::Condition(c)) => Some(c.lock),
            _ => None,
        };
        if let Some(lock) = lock {
            self.lock_release(lock)?;
            return Ok(Value::None);
        }
        match self.call_sync_method(
            self.context_method(id, AttrSym::exit),
            Value::Obj(id),
            &[],
            &[],
        )? {
            Outcome::Value(v) => Ok(v),
            _ => Ok(Value::None),
        }
    }

    fn context_method(&self, id: ObjId, attr: AttrSym) -> MethodId {
        let ty = match self.rt.heap.get(id) {
            Obj::Sync(s) => s.type_tag(),
            _ => TypeTag::Lock,
        };
        MethodId { ty, attr }
    }

    /// Data attributes of threads and synchronisation objects.
    pub fn sync_attr(&mut self, id: ObjId, attr: AttrSym) -> PyResult<Option<Value>> {
        let (name, daemon, tid) = match self.rt.heap.get(id) {
            Obj::Sync(SyncObj::Thread(t)) => (t.name.clone(), t.daemon, t.tid),
            Obj::Sync(SyncObj::Barrier(_)) => return self.barrier_attr(id, attr),
            Obj::Sync(SyncObj::Queue(_)) => return self.queue_attr(id, attr),
            _ => return Ok(None),
        };
        Ok(Some(match attr {
            AttrSym::name => self.rt.new_str(name)?,
            AttrSym::daemon => Value::Bool(daemon),
            AttrSym::ident | AttrSym::native_id => match tid {
                Some(t) => Value::Int(self.threads[t as usize].ident),
                None => Value::None,
            },
            _ => return Ok(None),
        }))
    }

    /// Assignable attributes: `t.name = …`, `t.daemon = …`.
    pub fn sync_store_attr(&mut self, id: ObjId, attr: AttrSym, v: Value) -> PyResult<bool> {
        // Only a thread's `name` and `daemon` are its own: any other object's `name` is an
        // ordinary attribute, stored without rendering it (rendered first, `self.name = x`
        // cost a `str(x)` on every object, and failed for an `x` whose class defines
        // `__str__`, which gilvm cannot call there).
        if !matches!(attr, AttrSym::name | AttrSym::daemon)
            || !matches!(self.rt.heap.get(id), Obj::Sync(SyncObj::Thread(_)))
        {
            return Ok(false);
        }
        let s = if attr == AttrSym::name {
            Some(format::str_of(&self.rt, v)?)
        } else {
            None
        };
        let truth = ops::truthy(&self.rt, v);
        let Obj::Sync(SyncObj::Thread(t)) = self.rt.heap.get_mut(id) else {
            return Ok(false);
        };
        match attr {
            AttrSym::name => {
                t.name = s.unwrap_or_default();
                if let Some(tid) = t.tid {
                    let n = t.name.clone();
                    self.threads[tid as usize].name = n;
                }
                Ok(true)
            }
            AttrSym::daemon => {
                if t.tid.is_some() {
                    return Err(Throw::new(
                        ExcKind::RuntimeError,
                        "cannot set daemon status of active thread",
                    ));
                }
                t.daemon = truth;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
