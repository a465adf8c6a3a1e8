//! The built-ins that touch threads, time or the scheduler: `threading.*`, `time.*`, `sys.*`,
//! and the dispatch of the methods of `Thread` and the synchronisation objects to their files
//! in `vm/sync/` (one per primitive).
//!
//! A blocking call never waits here: it marks the current thread blocked (with a deadline for
//! timed waits), removes it from the scheduler's runnable set and returns
//! [`Outcome::Blocked`]; whoever wakes it later (a `release`, a finishing thread, a timer)
//! supplies the call's return value through [`Vm::wake`].

use std::fmt::Write;

use crate::vm::call::Outcome;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::{AttrSym, MethodId, NativeId, TypeTag};
use crate::vm::sync::{receiver, QueueKind, Site, SyncObj, ThreadObj};
use crate::vm::thread::Tid;
use crate::vm::thread::{ThreadState, Wait};
use crate::vm::value::{ObjId, Value};
use crate::vm::{format, ops, PyResult, Throw};

/// Base of `time.time()`: virtual time starts at 2023-11-14 22:13:20 UTC, a fixed epoch, so
/// programs that print timestamps stay deterministic.
const EPOCH_SECONDS: f64 = 1_700_000_000.0;

/// Whether the VM (not the plain built-ins) implements this native.
pub fn is_vm_native(id: NativeId) -> bool {
    use NativeId::*;
    matches!(
        id,
        Thread
            | Lock
            | RLock
            | Semaphore
            | BoundedSemaphore
            | Condition
            | Event
            | Barrier
            | CurrentThread
            | MainThread
            | ActiveCount
            | ThreadingEnumerate
            | GetIdent
            | Queue
            | LifoQueue
            | PriorityQueue
            | Sleep
            | Time
            | Monotonic
            | PerfCounter
            | SetSwitchInterval
            | GetSwitchInterval
            | SetCheckInterval
            | GetRecursionLimit
            | SetRecursionLimit
            | Exit
    )
}

/// Finds a keyword argument by name.
fn kwarg(kw: &[(&str, Value)], name: &str) -> Option<Value> {
    kw.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
}

/// Positional argument `i`, else keyword `name`.
fn arg(args: &[Value], kw: &[(&str, Value)], i: usize, name: &str) -> Option<Value> {
    args.get(i).copied().or_else(|| kwarg(kw, name))
}

fn check_kwargs(fname: &str, kw: &[(&str, Value)], allowed: &[&str]) -> PyResult<()> {
    for (k, _) in kw {
        if !allowed.contains(k) {
            return Err(Throw::type_error(format!(
                "{fname}() got an unexpected keyword argument '{k}'"
            )));
        }
    }
    Ok(())
}

fn max_args(fname: &str, args: &[Value], max: usize) -> PyResult<()> {
    if args.len() > max {
        return Err(Throw::type_error(format!(
            "{fname}() takes at most {max} argument{} ({} given)",
            if max == 1 { "" } else { "s" },
            args.len()
        )));
    }
    Ok(())
}

/// Seconds (a float or int value) as virtual nanoseconds.
fn seconds_to_ns(v: Value) -> PyResult<f64> {
    match v {
        Value::Int(i) => Ok(i as f64 * 1e9),
        Value::Float(f) => Ok(f * 1e9),
        Value::Bool(b) => Ok(if b { 1e9 } else { 0.0 }),
        _ => Err(Throw::type_error("a number is required")),
    }
}

impl Vm {
    /// The call site of the current instruction of the current thread.
    pub fn site(&self) -> Site {
        self.call_site
    }

    pub fn call_vm_native(
        &mut self,
        id: NativeId,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Outcome> {
        let v = match id {
            NativeId::Thread => self.new_thread_object(args, kw)?,
            NativeId::Lock => self.new_lock(false, args, kw)?,
            NativeId::RLock => self.new_lock(true, args, kw)?,
            NativeId::Semaphore => self.new_semaphore(false, args, kw)?,
            NativeId::BoundedSemaphore => self.new_semaphore(true, args, kw)?,
            NativeId::Condition => self.new_condition(args, kw)?,
            NativeId::Event => self.new_event(args, kw)?,
            NativeId::Barrier => self.new_barrier(args, kw)?,
            NativeId::Queue => self.new_queue(QueueKind::Fifo, args, kw)?,
            NativeId::LifoQueue => self.new_queue(QueueKind::Lifo, args, kw)?,
            NativeId::PriorityQueue => self.new_queue(QueueKind::Priority, args, kw)?,
            NativeId::CurrentThread => {
                let t = self.current;
                self.thread_object(t)?
            }
            NativeId::MainThread => self.thread_object(0)?,
            NativeId::ActiveCount => {
                Value::Int(self.threads.iter().filter(|t| t.is_alive()).count() as i64)
            }
            NativeId::ThreadingEnumerate => {
                let alive: Vec<Tid> = self
                    .threads
                    .iter()
                    .filter(|t| t.is_alive())
                    .map(|t| t.tid)
                    .collect();
                let mut objs = Vec::with_capacity(alive.len());
                for t in alive {
                    objs.push(self.thread_object(t)?);
                }
                self.rt.new_list(objs)?
            }
            NativeId::GetIdent => Value::Int(self.threads[self.current as usize].ident),
            NativeId::Sleep => {
                check_kwargs("sleep", kw, &[])?;
                if args.len() != 1 {
                    return Err(Throw::type_error(format!(
                        "time.sleep() takes exactly one argument ({} given)",
                        args.len()
                    )));
                }
                let ns = seconds_to_ns(args[0]).map_err(|_| {
                    Throw::type_error(format!(
                        "'{}' object cannot be interpreted as an integer",
                        ops::type_name(&self.rt, args[0])
                    ))
                })?;
                if ns < 0.0 || ns.is_nan() {
                    return Err(Throw::value_error("sleep length must be non-negative"));
                }
                let deadline = self
                    .now_ns()
                    .saturating_add(ns.min(u64::MAX as f64 / 2.0) as u64);
                self.block(Wait::Sleep, Some(deadline), Value::None);
                return Ok(Outcome::Blocked);
            }
            NativeId::Time => Value::Float(EPOCH_SECONDS + self.now_ns() as f64 / 1e9),
            NativeId::Monotonic | NativeId::PerfCounter => Value::Float(self.now_ns() as f64 / 1e9),
            NativeId::GetSwitchInterval => Value::Float(self.gil.switch_interval_seconds),
            NativeId::SetSwitchInterval => {
                let v = arg(args, kw, 0, "interval").ok_or_else(|| {
                    Throw::type_error("setswitchinterval() takes exactly one argument (0 given)")
                })?;
                let s = seconds_to_ns(v)? / 1e9;
                if s <= 0.0 {
                    return Err(Throw::value_error(
                        "switch interval must be strictly positive",
                    ));
                }
                self.gil.set_switch_interval(s);
                Value::None
            }
            NativeId::SetCheckInterval => {
                let Some(Value::Int(n)) = arg(args, kw, 0, "n") else {
                    return Err(Throw::type_error("an integer is required"));
                };
                self.gil.set_check_interval(n.max(1) as u64);
                Value::None
            }
            NativeId::GetRecursionLimit => Value::Int(self.config.recursion_limit as i64),
            NativeId::SetRecursionLimit => {
                let Some(Value::Int(n)) = args.first().copied() else {
                    return Err(Throw::type_error("an integer is required"));
                };
                if n < 1 {
                    return Err(Throw::value_error(
                        "recursion limit must be greater or equal than 1",
                    ));
                }
                self.config.recursion_limit = (n as usize).min(MAX_RECURSION_LIMIT);
                Value::None
            }
            NativeId::Exit => {
                let code = args.first().copied().unwrap_or(Value::None);
                return Err(Throw::NewArgs {
                    kind: ExcKind::SystemExit,
                    args: vec![code],
                });
            }
            other => {
                return Err(Throw::new(
                    ExcKind::NotImplementedError,
                    format!("{}() is not available in gilvm yet", other.name().trim()),
                ))
            }
        };
        Ok(Outcome::Value(v))
    }

    /// `threading.Thread(group=None, target=None, name=None, args=(), kwargs=None, *, daemon=None)`.
    fn new_thread_object(&mut self, args: &[Value], kw: &[(&str, Value)]) -> PyResult<Value> {
        check_kwargs(
            "Thread",
            kw,
            &["group", "target", "name", "args", "kwargs", "daemon"],
        )?;
        max_args("Thread", args, 5)?;
        if let Some(g) = arg(args, kw, 0, "group") {
            if g != Value::None {
                return Err(Throw::new(
                    ExcKind::AssertionError,
                    "group argument must be None for now",
                ));
            }
        }
        let target = arg(args, kw, 1, "target").unwrap_or(Value::None);
        let name = match arg(args, kw, 2, "name") {
            Some(Value::None) | None => {
                // One String of the right size, no `format!` temporaries and no copy of the
                // target's name: a program that creates 10,000 threads spent a quarter of the
                // time creating them building names (≈1,400 x86 instructions each under
                // callgrind before).
                self.thread_counter += 1;
                let mut n = String::with_capacity(32);
                let _ = write!(n, "Thread-{}", self.thread_counter);
                if let Some(tn) = self.callable_name(target) {
                    n.push_str(" (");
                    n.push_str(tn);
                    n.push(')');
                }
                n
            }
            Some(v) => format::str_of(&self.rt, v)?,
        };
        let targs = match arg(args, kw, 3, "args") {
            Some(v) => ops::collect_iterable(&mut self.rt, v)?,
            None => Vec::new(),
        };
        let kwargs = match arg(args, kw, 4, "kwargs") {
            Some(Value::None) | None => None,
            Some(v) => Some(v),
        };
        let daemon = match kwarg(kw, "daemon") {
            Some(Value::None) | None => self.threads[self.current as usize].daemon,
            Some(v) => ops::truthy(&self.rt, v),
        };
        self.rt.alloc(Obj::Sync(SyncObj::Thread(ThreadObj {
            name,
            target,
            args: targs,
            kwargs,
            daemon,
            tid: None,
        })))
    }

    /// The `__name__` of a function or built-in, for default thread names.
    fn callable_name(&self, v: Value) -> Option<&str> {
        match v {
            Value::Obj(id) => match self.rt.heap.get(id) {
                Obj::Function(f) => Some(&self.prog.codes[f.code as usize].name),
                Obj::BoundMethod { method, .. } => Some(method.attr.name()),
                _ => None,
            },
            Value::Native(n) => Some(n.name().trim()),
            _ => None,
        }
    }

    /// The `threading.Thread` object of VM thread `tid` (created on demand for the main
    /// thread).
    pub fn thread_object(&mut self, tid: Tid) -> PyResult<Value> {
        if let Some(o) = self.threads[tid as usize].obj {
            return Ok(Value::Obj(o));
        }
        let t = &self.threads[tid as usize];
        let obj = ThreadObj {
            name: t.name.clone(),
            target: Value::None,
            args: Vec::new(),
            kwargs: None,
            daemon: t.daemon,
            tid: Some(tid),
        };
        let id = self.rt.heap.alloc(Obj::Sync(SyncObj::Thread(obj)))?;
        self.threads[tid as usize].obj = Some(id);
        Ok(Value::Obj(id))
    }

    /// Blocks the current thread. `wake_value` is what the blocking call returns if the
    /// thread is woken by its deadline (e.g. `False` for a timed-out acquire).
    pub fn block(&mut self, wait: Wait, deadline: Option<u64>, timeout_value: Value) {
        let tid = self.current;
        let site = self.site();
        let t = &mut self.threads[tid as usize];
        t.state = ThreadState::Blocked { wait, deadline };
        t.wake_value = timeout_value;
        t.blocked_at = (site.code, site.pc);
        self.sched.make_unrunnable(tid);
        if let Some(d) = deadline {
            self.sched.add_timer(d, tid);
        }
    }

    /// Makes a blocked thread runnable; its blocking call returns `value`.
    pub fn wake(&mut self, tid: Tid, value: Value) {
        let t = &mut self.threads[tid as usize];
        if !matches!(t.state, ThreadState::Blocked { .. }) {
            return;
        }
        t.wake_value = value;
        self.deliver_wake_value(tid);
        self.sched.make_runnable(tid);
        if self.tracer.is_some() {
            self.trace(crate::vm::observe::Hook::Wake { tid });
        }
    }

    /// Makes a blocked thread runnable; its blocking call raises `t`.
    pub fn wake_with_error(&mut self, tid: Tid, t: Throw) {
        if !matches!(
            self.threads[tid as usize].state,
            ThreadState::Blocked { .. }
        ) {
            return;
        }
        self.threads[tid as usize].wake_throw = Some(Box::new(t));
        self.wake(tid, Value::None);
    }

    /// A timer fired for `tid` at `deadline`: if it still waits with that deadline, its wait
    /// times out — what that means is up to the primitive it waits on.
    pub fn on_timer(&mut self, tid: Tid, deadline: u64) {
        let (wait, d) = match self.threads[tid as usize].state {
            ThreadState::Blocked { wait, deadline } => (wait, deadline),
            _ => return,
        };
        if let Wait::Acquire(obj) = wait {
            // Under py27/py39, a lock's waiter waking up (see `gil::lock_wake_latency_ns`).
            if matches!(
                self.rt.heap.get(obj),
                Obj::Sync(SyncObj::Lock(_) | SyncObj::RLock(_))
            ) && self.lock_os_wake(obj, tid, deadline)
            {
                return;
            }
        }
        if d != Some(deadline) {
            return;
        }
        match wait {
            Wait::Acquire(obj) | Wait::Wait(obj) => match self.rt.heap.get(obj) {
                Obj::Sync(SyncObj::Lock(_) | SyncObj::RLock(_)) => self.lock_timeout(obj, tid),
                Obj::Sync(SyncObj::Semaphore(_)) => self.semaphore_timeout(obj, tid),
                Obj::Sync(SyncObj::Condition(_)) => self.condition_timeout(obj, tid),
                Obj::Sync(SyncObj::Event(_)) => self.event_timeout(obj, tid),
                Obj::Sync(SyncObj::Barrier(_)) => self.barrier_timeout(obj, tid),
                Obj::Sync(SyncObj::Queue(_)) => self.queue_timeout(obj, tid),
                _ => {
                    let v = self.threads[tid as usize].wake_value;
                    self.wake(tid, v);
                }
            },
            Wait::Join(other) => {
                self.threads[other as usize].joiners.retain(|&j| j != tid);
                self.wake(tid, Value::None);
            }
            Wait::Sleep => {
                let v = self.threads[tid as usize].wake_value;
                self.wake(tid, v);
            }
        }
    }

    /// A thread ended: wake its joiners.
    pub fn on_thread_finished(&mut self, tid: Tid) {
        self.threads[tid as usize].state = ThreadState::Finished;
        self.sched.make_unrunnable(tid);
        let joiners = std::mem::take(&mut self.threads[tid as usize].joiners);
        for j in joiners {
            self.wake(j, Value::None);
        }
    }

    /// Built-in methods of threads and synchronisation objects.
    pub fn sync_lookup(&self, id: ObjId, attr: AttrSym) -> Option<MethodId> {
        let Obj::Sync(obj) = self.rt.heap.get(id) else {
            return None;
        };
        let ty = obj.type_tag();
        use AttrSym::*;
        let ok = match ty {
            TypeTag::Thread => matches!(attr, start | join | is_alive | run),
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
                    Obj::Sync(SyncObj::Thread(ThreadObj { tid: Some(t), .. })) => {
                        self.threads[*t as usize].is_alive()
                    }
                    _ => false,
                };
                Ok(Outcome::Value(Value::Bool(alive)))
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
        match self.call_sync_method(
            self.context_method(id, AttrSym::enter),
            Value::Obj(id),
            &[],
            &[],
        )? {
            Outcome::Value(v) => Ok(Some(v)),
            Outcome::Blocked | Outcome::Call(..) => Ok(None),
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
        match self.call_sync_method(
            self.context_method(id, AttrSym::exit),
            Value::Obj(id),
            &[],
            &[],
        )? {
            Outcome::Value(v) => Ok(v),
            Outcome::Blocked | Outcome::Call(..) => Ok(Value::None),
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

/// The highest `sys.setrecursionlimit` gilvm accepts (frames live on the heap, but each costs
/// memory; this keeps a runaway recursion well inside the heap limit).
pub const MAX_RECURSION_LIMIT: usize = 100_000;
