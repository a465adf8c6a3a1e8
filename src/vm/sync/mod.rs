//! Python-visible threading objects (`Thread`, `Lock`, `RLock`, `Semaphore`, `Condition`,
//! `Event`, `Barrier`, the `queue` classes) as heap objects, one file per primitive, each
//! holding the primitive's state and its `impl Vm` methods.
//!
//! Every primitive follows the same rules:
//! - A call that cannot complete blocks the calling thread ([`Vm::block`]) and returns
//!   [`Outcome::Blocked`](crate::vm::call::Outcome); whoever completes it later hands the result
//!   straight to the waiter ([`Vm::wake`]) — the permit is given, the item is delivered — so no
//!   third thread can barge in between and every hand-over is one visible decision. Locks are
//!   the exception, as on CPython: a release wakes a waiter that takes the lock only if it is
//!   still free when it runs (`lock.rs`), so the releasing thread may barge in first.
//! - When several waiters could be woken, the primitive never picks one itself: it asks the
//!   scheduler ([`crate::vm::scheduler::Scheduler::choose`]), so the choice is seeded
//!   (DESIGN.md §5). Python's own FIFO guarantees (the order of a queue's items) are kept.
//!   Waiter lists are therefore sets, not queues: the chosen waiter is swap-removed, so a
//!   hand-over costs O(1) however many threads wait (DESIGN.md §9).
//! - Every `Value` a primitive holds (queue items, a barrier's action, a condition's lock) is
//!   reported by [`SyncObj::for_each_value`], or the collector would free it.
//! - Each object remembers where it was created, and locks where they were taken, for the
//!   deadlock report (`driver.rs`).

pub mod barrier;
pub mod condition;
pub mod dispatch;
pub mod event;
pub mod lock;
pub mod queue;
pub mod rlock;
pub mod semaphore;
pub mod thread;

use crate::vm::natives::TypeTag;
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Throw};

pub use barrier::BarrierObj;
pub use condition::ConditionObj;
pub use event::EventObj;
pub use lock::{LockObj, LockRetry, LockWaiter};
pub use queue::{QueueKind, QueueObj};
pub use semaphore::SemaphoreObj;
pub use thread::ThreadObj;

/// Where an object was created or taken, for deadlock reports: code object and instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Site {
    pub code: u32,
    pub pc: u32,
}

/// A threading object stored on the heap.
#[derive(Debug)]
pub enum SyncObj {
    Thread(Box<ThreadObj>),
    Lock(LockObj),
    /// An `RLock`: the same state as a `Lock`, but its owner may take it again.
    RLock(LockObj),
    /// Boxed, as `Barrier` and `Queue`: inline it would make every heap slot larger.
    Semaphore(Box<SemaphoreObj>),
    Condition(ConditionObj),
    Event(EventObj),
    Barrier(Box<BarrierObj>),
    Queue(Box<QueueObj>),
}

impl SyncObj {
    /// Whether `attr` is a method or attribute of `threading.Thread`.
    pub fn thread_has_attr(attr: crate::vm::natives::AttrSym) -> bool {
        use crate::vm::natives::AttrSym::*;
        matches!(
            attr,
            start | join | is_alive | run | name | ident | native_id | daemon
        )
    }

    pub fn size_estimate(&self) -> usize {
        match self {
            SyncObj::Thread(t) => 64 + t.args.len() * 16,
            SyncObj::Lock(l) | SyncObj::RLock(l) => 48 + l.waiters.len() * 16,
            SyncObj::Semaphore(s) => 48 + (s.waiters.len() + s.holders.len()) * 12,
            SyncObj::Condition(c) => 32 + c.waiters.len() * 8,
            SyncObj::Event(e) => 24 + e.waiters.len() * 4,
            SyncObj::Barrier(b) => 64 + b.waiting.len() * 16,
            SyncObj::Queue(q) => {
                64 + q.items.len() * 16
                    + q.putters.len() * 24
                    + (q.getters.len() + q.joiners.len()) * 4
            }
        }
    }

    /// Every value this object keeps alive (for the collector).
    pub fn for_each_value(&self, f: &mut dyn FnMut(Value)) {
        match self {
            SyncObj::Thread(t) => {
                f(t.target);
                t.args.iter().copied().for_each(&mut *f);
                if let Some(kw) = t.kwargs {
                    f(kw);
                }
            }
            SyncObj::Condition(c) => f(Value::Obj(c.lock)),
            SyncObj::Barrier(b) => f(b.action),
            SyncObj::Queue(q) => {
                q.items.iter().copied().for_each(&mut *f);
                q.putters.iter().for_each(|(_, v)| f(*v));
            }
            SyncObj::Lock(_) | SyncObj::RLock(_) | SyncObj::Semaphore(_) | SyncObj::Event(_) => {}
        }
    }

    /// The type whose methods this object has.
    pub fn type_tag(&self) -> TypeTag {
        match self {
            SyncObj::Thread(_) => TypeTag::Thread,
            SyncObj::Lock(_) => TypeTag::Lock,
            SyncObj::RLock(_) => TypeTag::RLock,
            SyncObj::Semaphore(_) => TypeTag::Semaphore,
            SyncObj::Condition(_) => TypeTag::Condition,
            SyncObj::Event(_) => TypeTag::Event,
            SyncObj::Barrier(_) => TypeTag::Barrier,
            SyncObj::Queue(_) => TypeTag::Queue,
        }
    }

    /// The Python class name, as `type(x).__name__` prints it.
    pub fn type_name(&self) -> &'static str {
        match self {
            SyncObj::Thread(_) => "Thread",
            SyncObj::Lock(_) => "lock",
            SyncObj::RLock(_) => "RLock",
            SyncObj::Semaphore(s) if s.bound.is_some() => "BoundedSemaphore",
            SyncObj::Semaphore(_) => "Semaphore",
            SyncObj::Condition(_) => "Condition",
            SyncObj::Event(_) => "Event",
            SyncObj::Barrier(_) => "Barrier",
            SyncObj::Queue(q) => q.kind.name(),
        }
    }

    /// The name deadlock reports use (`Lock`, not CPython's internal `lock`).
    pub fn report_name(&self) -> &'static str {
        match self {
            SyncObj::Lock(_) => "Lock",
            other => other.type_name(),
        }
    }

    /// The call site that created the object.
    pub fn created(&self) -> Site {
        match self {
            SyncObj::Thread(_) => Site::default(),
            SyncObj::Lock(l) | SyncObj::RLock(l) => l.cold.created,
            SyncObj::Semaphore(s) => s.created,
            SyncObj::Condition(c) => c.created,
            SyncObj::Event(e) => e.created,
            SyncObj::Barrier(b) => b.created,
            SyncObj::Queue(q) => q.created,
        }
    }
}

/// Binds a built-in method's arguments to its parameter names, Python's way: positional first,
/// then keywords; unknown keywords, duplicates and surplus arguments are `TypeError`s. A
/// dotted `fname` (`Event.wait`) is a method CPython writes in Python, and its messages count
/// `self` as Python's do; the others (`acquire`, `lock.release`, `RLock.release`) are C
/// methods of `_thread`, with C's messages.
pub fn bind<const N: usize>(
    fname: &str,
    args: &[Value],
    kw: &[(&str, Value)],
    names: [&str; N],
) -> PyResult<[Option<Value>; N]> {
    if args.len() > N {
        return Err(too_many(fname, args.len(), N));
    }
    let mut out = [None; N];
    for (slot, v) in out.iter_mut().zip(args) {
        *slot = Some(*v);
    }
    for (k, v) in kw {
        match names.iter().position(|n| n == k) {
            None => {
                return Err(Throw::type_error(format!(
                    "{fname}() got an unexpected keyword argument '{k}'"
                )))
            }
            Some(i) if out[i].is_some() => {
                return Err(Throw::type_error(format!(
                    "{fname}() got multiple values for argument '{k}'"
                )))
            }
            Some(i) => out[i] = Some(*v),
        }
    }
    Ok(out)
}

/// Fails unless the method was called without arguments.
pub fn no_args(fname: &str, args: &[Value], kw: &[(&str, Value)]) -> PyResult<()> {
    bind(fname, args, kw, []).map(|_| ())
}

/// The first argument of `fname`, which has no default.
pub fn required(fname: &str, v: Option<Value>, name: &str) -> PyResult<Value> {
    v.ok_or_else(|| {
        Throw::type_error(format!(
            "{fname}() missing 1 required positional argument: '{name}'"
        ))
    })
}

fn too_many(fname: &str, given: usize, max: usize) -> Throw {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let c_method = ["lock.", "RLock.", "_thread."]
        .iter()
        .any(|p| fname.starts_with(p));
    if fname.contains('.') && !c_method {
        let (given, max) = (given + 1, max + 1);
        let takes = if max == 1 {
            "1 positional argument".to_string()
        } else {
            format!("from 1 to {max} positional arguments")
        };
        Throw::type_error(format!(
            "{fname}() takes {takes} but {given} {} given",
            if given == 1 { "was" } else { "were" }
        ))
    } else if max == 0 {
        Throw::type_error(format!("{fname}() takes no arguments ({given} given)"))
    } else {
        Throw::type_error(format!(
            "{fname}() takes at most {max} argument{} ({given} given)",
            plural(max)
        ))
    }
}

/// A number of seconds as a float (`TypeError` for anything but a number).
pub fn seconds(v: Value) -> PyResult<f64> {
    match v {
        Value::Int(i) => Ok(i as f64),
        Value::Float(f) => Ok(f),
        Value::Bool(b) => Ok(b as i64 as f64),
        _ => Err(Throw::type_error("a number is required")),
    }
}

/// Virtual nanoseconds from now to a timeout of `secs` seconds (> 0), saturating far in the
/// future instead of overflowing.
pub fn timeout_ns(secs: f64) -> u64 {
    let ns = secs * 1e9;
    if ns.is_nan() || ns <= 0.0 {
        0
    } else {
        ns.min(u64::MAX as f64 / 4.0) as u64
    }
}

/// The object a sync method was called on.
pub fn receiver(recv: Value) -> PyResult<ObjId> {
    match recv {
        Value::Obj(id) => Ok(id),
        _ => Err(Throw::type_error("descriptor needs a threading object")),
    }
}
