//! The built-in functions of the `threading`, `time` and `sys` modules, and `Thread` objects.
//!
//! The methods of `Thread` and of the synchronisation objects are dispatched in
//! `vm/sync/dispatch.rs` to their files (one per primitive); blocking and waking a thread, and
//! the timers, are `vm/lifecycle.rs`.

use std::fmt::Write;

use crate::vm::call::Outcome;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::NativeId;
use crate::vm::sync::{QueueKind, Site, SyncObj, ThreadObj};
use crate::vm::thread::Tid;
use crate::vm::thread::Wait;
use crate::vm::value::Value;
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
            | SimpleQueue
            | RegisterAtexit
            | StderrWrite
            | CurrentException
            | SysException
            | FormatException
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
pub(crate) fn kwarg(kw: &[(&str, Value)], name: &str) -> Option<Value> {
    kw.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
}

/// Positional argument `i`, else keyword `name`.
pub(crate) fn arg(args: &[Value], kw: &[(&str, Value)], i: usize, name: &str) -> Option<Value> {
    args.get(i).copied().or_else(|| kwarg(kw, name))
}

pub(crate) fn check_kwargs(fname: &str, kw: &[(&str, Value)], allowed: &[&str]) -> PyResult<()> {
    for (k, _) in kw {
        if !allowed.contains(k) {
            return Err(Throw::type_error(format!(
                "{fname}() got an unexpected keyword argument '{k}'"
            )));
        }
    }
    Ok(())
}

pub(crate) fn max_args(fname: &str, args: &[Value], max: usize) -> PyResult<()> {
    if args.len() > max {
        return Err(Throw::type_error(format!(
            "{fname}() takes at most {max} argument{} ({} given)",
            if max == 1 { "" } else { "s" },
            args.len()
        )));
    }
    Ok(())
}

/// The `TypeError` CPython raises when a function that takes no arguments is given some:
/// worded as for a Python function (`threading.current_thread`, written in Python there) or
/// as for a C function (`time.time`, `sys.exception`). `None` for other natives, or when
/// nothing was given.
fn no_args_error(id: NativeId, args: &[Value], kw: &[(&str, Value)]) -> Option<Throw> {
    if args.is_empty() && kw.is_empty() {
        return None;
    }
    let python = match id {
        NativeId::CurrentThread => "current_thread",
        NativeId::MainThread => "main_thread",
        NativeId::ActiveCount => "active_count",
        NativeId::ThreadingEnumerate => "enumerate",
        _ => "",
    };
    if !python.is_empty() {
        return Some(match kw.first() {
            Some((k, _)) if args.is_empty() => Throw::type_error(format!(
                "{python}() got an unexpected keyword argument '{k}'"
            )),
            _ => Throw::type_error(format!(
                "{python}() takes 0 positional arguments but {} {} given",
                args.len(),
                if args.len() == 1 { "was" } else { "were" }
            )),
        });
    }
    let c = match id {
        NativeId::GetIdent => "_thread.get_ident",
        NativeId::Time => "time.time",
        NativeId::Monotonic => "time.monotonic",
        NativeId::PerfCounter => "time.perf_counter",
        NativeId::GetSwitchInterval => "sys.getswitchinterval",
        NativeId::GetRecursionLimit => "sys.getrecursionlimit",
        NativeId::SysException => "sys.exception",
        _ => return None,
    };
    Some(if kw.is_empty() {
        Throw::type_error(format!("{c}() takes no arguments ({} given)", args.len()))
    } else {
        Throw::type_error(format!("{c}() takes no keyword arguments"))
    })
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
        if let Some(e) = no_args_error(id, args, kw) {
            return Err(e);
        }
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
            NativeId::RegisterAtexit => {
                let [f] = crate::vm::sync::bind("_register_atexit", args, kw, ["func"])?;
                let f = crate::vm::sync::required("_register_atexit", f, "func")?;
                self.atexit.push(f);
                Value::None
            }
            NativeId::StderrWrite => {
                let [s] = crate::vm::sync::bind("_stderr_write", args, kw, ["s"])?;
                let s = crate::vm::sync::required("_stderr_write", s, "s")?;
                let text = format::str_of(&self.rt, s)?;
                self.stderr_buf.push_str(&text);
                Value::None
            }
            NativeId::CurrentException => {
                crate::vm::sync::no_args("_current_exception", args, kw)?;
                self.threads[self.current as usize].exc_info
            }
            NativeId::SysException => self.threads[self.current as usize].exc_info,
            NativeId::FormatException => {
                let [e] = crate::vm::sync::bind("_format_exception", args, kw, ["exc"])?;
                let e = crate::vm::sync::required("_format_exception", e, "exc")?;
                let text = crate::vm::traceback::format_exception(&self.rt, e);
                self.rt.new_str(text.trim_end_matches('\n'))?
            }
            NativeId::SimpleQueue => {
                crate::vm::sync::no_args("SimpleQueue", args, kw)?;
                self.new_queue(QueueKind::Simple, &[], &[])?
            }
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
    pub(crate) fn new_thread_object(
        &mut self,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Value> {
        check_kwargs(
            "Thread.__init__",
            kw,
            &["group", "target", "name", "args", "kwargs", "daemon"],
        )?;
        if args.len() > 5 {
            return Err(Throw::type_error(format!(
                "Thread.__init__() takes from 1 to 6 positional arguments but {} were given",
                args.len() + 1
            )));
        }
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
        self.rt.alloc(Obj::Sync(SyncObj::Thread(Box::new(ThreadObj {
            name,
            target,
            args: targs,
            kwargs,
            daemon,
            tid: None,
        }))))
    }

    /// The `__name__` of a function or built-in, for default thread names.
    fn callable_name(&self, v: Value) -> Option<&str> {
        match v {
            Value::Obj(id) => match self.rt.heap.get(id) {
                Obj::Function(f) => Some(&self.prog.codes[f.code as usize].name),
                Obj::BoundMethod { method, .. } => Some(method.attr.name()),
                // `Thread(target=ledger.move)` is `Thread-1 (move)`, and a class its name, as
                // CPython takes the target's `__name__`.
                Obj::BoundPyMethod { func, .. } => self.callable_name(*func),
                Obj::Class(c) => Some(&c.name),
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
        let id = self
            .rt
            .heap
            .alloc(Obj::Sync(SyncObj::Thread(Box::new(obj))))?;
        self.threads[tid as usize].obj = Some(id);
        Ok(Value::Obj(id))
    }
}

/// The highest `sys.setrecursionlimit` gilvm accepts (frames live on the heap, but each costs
/// memory; this keeps a runaway recursion well inside the heap limit).
pub const MAX_RECURSION_LIMIT: usize = 100_000;
