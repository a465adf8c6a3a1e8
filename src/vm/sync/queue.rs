//! `queue.Queue(maxsize=0)`, `LifoQueue`, `PriorityQueue`: thread-safe containers, the seed's
//! way to avoid locks altogether.
//!
//! Items come out in the queue's order (first in first out, last in first out, or smallest
//! first through the same binary heap as Python's `heapq`), but *which* blocked `get` receives
//! the next item is the scheduler's choice. A `put` that finds getters waiting hands its item
//! straight to one of them; a `get` from a full queue takes one blocked putter's item in. So
//! getters wait only while the queue is empty and putters only while it is full.
//! `task_done`/`join` count unfinished tasks as Python does.

use std::collections::VecDeque;

use crate::vm::call::Outcome;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::AttrSym;
use crate::vm::races::role;
use crate::vm::sync::{bind, no_args, required, seconds, timeout_ns, Site, SyncObj};
use crate::vm::thread::Tid;
use crate::vm::thread::Wait;
use crate::vm::value::{ObjId, Value};
use crate::vm::{ops, PyResult, Rt, Throw};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueKind {
    Fifo,
    Lifo,
    Priority,
    /// stdlib: `queue.SimpleQueue()`: unbounded, first in first out, without `full`,
    /// `task_done` and `join`.
    Simple,
}

impl QueueKind {
    pub fn name(self) -> &'static str {
        match self {
            QueueKind::Fifo => "Queue",
            QueueKind::Lifo => "LifoQueue",
            QueueKind::Priority => "PriorityQueue",
            QueueKind::Simple => "SimpleQueue",
        }
    }
}

#[derive(Debug)]
pub struct QueueObj {
    pub kind: QueueKind,
    /// The items; for a PriorityQueue, a binary heap laid out as `heapq`'s list.
    pub items: VecDeque<Value>,
    /// At most this many items (0 or less: unbounded).
    pub maxsize: i64,
    /// Items put and not yet marked done by `task_done`.
    pub unfinished: i64,
    /// Threads blocked in `get` (only while the queue is empty).
    pub getters: Vec<Tid>,
    /// Threads blocked in `put` with their item (only while the queue is full).
    pub putters: Vec<(Tid, Value)>,
    /// Threads blocked in `join`.
    pub joiners: Vec<Tid>,
    pub created: Site,
}

impl QueueObj {
    fn is_full(&self) -> bool {
        self.maxsize > 0 && self.items.len() as i64 >= self.maxsize
    }
}

fn empty_error() -> Throw {
    Throw::NewArgs {
        kind: ExcKind::QueueEmpty,
        args: Vec::new(),
    }
}

fn full_error() -> Throw {
    Throw::NewArgs {
        kind: ExcKind::QueueFull,
        args: Vec::new(),
    }
}

/// A validated `timeout` argument: `None` waits forever.
fn queue_timeout(timeout: Option<Value>) -> PyResult<Option<f64>> {
    match timeout {
        None | Some(Value::None) => Ok(None),
        Some(v) => {
            let s = seconds(v)?;
            if s < 0.0 {
                return Err(Throw::value_error(
                    "'timeout' must be a non-negative number",
                ));
            }
            Ok(Some(s))
        }
    }
}

impl Vm {
    /// `queue.Queue(maxsize=0)`, `LifoQueue(maxsize=0)`, `PriorityQueue(maxsize=0)`.
    pub fn new_queue(
        &mut self,
        kind: QueueKind,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Value> {
        let [maxsize] = bind("Queue.__init__", args, kw, ["maxsize"])?;
        let maxsize = match maxsize {
            None => 0,
            Some(v) => ops::expect_index(&self.rt, v)?,
        };
        self.rt.alloc(Obj::Sync(SyncObj::Queue(Box::new(QueueObj {
            kind,
            items: VecDeque::new(),
            maxsize,
            unfinished: 0,
            getters: Vec::new(),
            putters: Vec::new(),
            joiners: Vec::new(),
            created: self.call_site,
        }))))
    }

    fn queue(&mut self, id: ObjId) -> PyResult<&mut QueueObj> {
        match self.rt.heap.get_mut(id) {
            Obj::Sync(SyncObj::Queue(q)) => Ok(q),
            _ => Err(Throw::type_error("a Queue is required")),
        }
    }

    pub fn queue_method(
        &mut self,
        id: ObjId,
        attr: AttrSym,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Outcome> {
        let truthy = |rt: &Rt, v: Option<Value>| v.is_none_or(|v| ops::truthy(rt, v));
        if matches!(attr, AttrSym::full | AttrSym::task_done | AttrSym::join)
            && self.queue(id)?.kind == QueueKind::Simple
        {
            return Err(Throw::new(
                ExcKind::AttributeError,
                format!(
                    "'_queue.SimpleQueue' object has no attribute '{}'",
                    attr.name()
                ),
            ));
        }
        let v = match attr {
            AttrSym::put => {
                let [item, block, timeout] =
                    bind("Queue.put", args, kw, ["item", "block", "timeout"])?;
                let item = required("Queue.put", item, "item")?;
                let block = truthy(&self.rt, block);
                return self.queue_put(id, item, block, timeout);
            }
            AttrSym::put_nowait => {
                let [item] = bind("Queue.put_nowait", args, kw, ["item"])?;
                let item = required("Queue.put_nowait", item, "item")?;
                return self.queue_put(id, item, false, None);
            }
            AttrSym::get => {
                let [block, timeout] = bind("Queue.get", args, kw, ["block", "timeout"])?;
                let block = truthy(&self.rt, block);
                return self.queue_get(id, block, timeout);
            }
            AttrSym::get_nowait => {
                no_args("Queue.get_nowait", args, kw)?;
                return self.queue_get(id, false, None);
            }
            AttrSym::qsize => {
                no_args("Queue.qsize", args, kw)?;
                Value::Int(self.queue(id)?.items.len() as i64)
            }
            AttrSym::empty => {
                no_args("Queue.empty", args, kw)?;
                Value::Bool(self.queue(id)?.items.is_empty())
            }
            AttrSym::full => {
                no_args("Queue.full", args, kw)?;
                Value::Bool(self.queue(id)?.is_full())
            }
            AttrSym::task_done => {
                no_args("Queue.task_done", args, kw)?;
                let q = self.queue(id)?;
                if q.unfinished <= 0 {
                    return Err(Throw::value_error("task_done() called too many times"));
                }
                q.unfinished -= 1;
                let done = q.unfinished == 0;
                self.race_release(id, role::TASKS);
                if done {
                    let joiners = std::mem::take(&mut self.queue(id)?.joiners);
                    for j in joiners {
                        self.race_acquire(j, id, role::TASKS);
                        self.wake(j, Value::None);
                    }
                }
                Value::None
            }
            AttrSym::join => {
                no_args("Queue.join", args, kw)?;
                let me = self.current;
                let q = self.queue(id)?;
                if q.unfinished > 0 {
                    q.joiners.push(me);
                    self.block(Wait::Wait(id), None, Value::None);
                    return Ok(Outcome::Blocked);
                }
                self.race_acquire(me, id, role::TASKS);
                Value::None
            }
            _ => return Err(Throw::new(ExcKind::AttributeError, "no such queue method")),
        };
        Ok(Outcome::Value(v))
    }

    /// `maxsize`.
    pub fn queue_attr(&mut self, id: ObjId, attr: AttrSym) -> PyResult<Option<Value>> {
        let q = self.queue(id)?;
        Ok((attr == AttrSym::maxsize).then_some(Value::Int(q.maxsize)))
    }

    /// `put(item, block=True, timeout=None)`.
    fn queue_put(
        &mut self,
        id: ObjId,
        item: Value,
        block: bool,
        timeout: Option<Value>,
    ) -> PyResult<Outcome> {
        let me = self.current;
        // The put happens here, even if it blocks on a full queue and a getter pushes its
        // item later: what this thread did before it is ordered before that item's `get`.
        self.race_release(id, role::MAIN);
        let q = self.queue(id)?;
        let mut deadline = None;
        if q.maxsize > 0 {
            // As in Python, the timeout is checked only for a bounded queue.
            let secs = if block { queue_timeout(timeout)? } else { None };
            let q = self.queue(id)?;
            if q.is_full() {
                if !block {
                    return Err(full_error());
                }
                if let Some(s) = secs {
                    let ns = timeout_ns(s);
                    if ns == 0 {
                        return Err(full_error());
                    }
                    deadline = Some(self.now_ns().saturating_add(ns));
                }
                self.queue(id)?.putters.push((me, item));
                self.block(Wait::Wait(id), deadline, Value::None);
                return Ok(Outcome::Blocked);
            }
        }
        self.queue_push(id, item)?;
        Ok(Outcome::Value(Value::None))
    }

    /// Adds an item to a queue with room, and hands an item to a waiting getter if any.
    fn queue_push(&mut self, id: ObjId, item: Value) -> PyResult<()> {
        let q = self.queue(id)?;
        q.items.push_back(item);
        if q.kind == QueueKind::Priority {
            let n = q.items.len();
            let mut heap = std::mem::take(&mut q.items);
            let r = sift_down(&self.rt, &mut heap, 0, n - 1);
            self.queue(id)?.items = heap;
            r?;
        }
        let q = self.queue(id)?;
        q.unfinished += 1;
        let k = q.getters.len();
        if k > 0 {
            let i = match self.rt.heap.get(id) {
                Obj::Sync(SyncObj::Queue(q)) => self.sched.choose_waiter(k, &|i| q.getters[i]),
                _ => 0,
            };
            let g = self.queue(id)?.getters.swap_remove(i);
            match self.queue_pop(id) {
                Ok(Some(v)) => {
                    self.race_acquire(g, id, role::MAIN);
                    self.wake(g, v)
                }
                Ok(None) => {}
                Err(e) => self.wake_with_error(g, e),
            }
        }
        Ok(())
    }

    /// Removes the next item in the queue's order, if any.
    fn queue_pop(&mut self, id: ObjId) -> PyResult<Option<Value>> {
        let q = self.queue(id)?;
        match q.kind {
            QueueKind::Fifo | QueueKind::Simple => Ok(q.items.pop_front()),
            QueueKind::Lifo => Ok(q.items.pop_back()),
            QueueKind::Priority => {
                let mut heap = std::mem::take(&mut q.items);
                let r = heap_pop(&self.rt, &mut heap);
                self.queue(id)?.items = heap;
                r
            }
        }
    }

    /// `get(block=True, timeout=None)`.
    fn queue_get(&mut self, id: ObjId, block: bool, timeout: Option<Value>) -> PyResult<Outcome> {
        let me = self.current;
        let secs = if block { queue_timeout(timeout)? } else { None };
        if let Some(item) = self.queue_pop(id)? {
            self.race_acquire(me, id, role::MAIN);
            // Room was made: one blocked putter, chosen by the scheduler, puts its item in.
            let k = self.queue(id)?.putters.len();
            if k > 0 {
                let i = match self.rt.heap.get(id) {
                    Obj::Sync(SyncObj::Queue(q)) => {
                        self.sched.choose_waiter(k, &|i| q.putters[i].0)
                    }
                    _ => 0,
                };
                let (p, pitem) = self.queue(id)?.putters.swap_remove(i);
                match self.queue_push(id, pitem) {
                    Ok(()) => self.wake(p, Value::None),
                    Err(e) => self.wake_with_error(p, e),
                }
            }
            return Ok(Outcome::Value(item));
        }
        if !block {
            return Err(empty_error());
        }
        let deadline = match secs {
            None => None,
            Some(s) => {
                let ns = timeout_ns(s);
                if ns == 0 {
                    return Err(empty_error());
                }
                Some(self.now_ns().saturating_add(ns))
            }
        };
        self.queue(id)?.getters.push(me);
        self.block(Wait::Wait(id), deadline, Value::None);
        Ok(Outcome::Blocked)
    }

    /// A timed `get` or `put` ran out of time: `queue.Empty` or `queue.Full`.
    pub fn queue_timeout(&mut self, id: ObjId, tid: Tid) {
        let Ok(q) = self.queue(id) else { return };
        if let Some(i) = q.getters.iter().position(|&g| g == tid) {
            q.getters.swap_remove(i);
            self.wake_with_error(tid, empty_error());
        } else if let Some(i) = q.putters.iter().position(|(p, _)| *p == tid) {
            q.putters.swap_remove(i);
            self.wake_with_error(tid, full_error());
        }
    }
}

/// `heapq._siftdown`: moves the item at `pos` up towards `start` while it is smaller than its
/// parent.
fn sift_down(rt: &Rt, heap: &mut VecDeque<Value>, start: usize, mut pos: usize) -> PyResult<()> {
    let item = heap[pos];
    while pos > start {
        let parent_pos = (pos - 1) >> 1;
        let parent = heap[parent_pos];
        if ops::order_lt(rt, item, parent)? {
            heap[pos] = parent;
            pos = parent_pos;
            continue;
        }
        break;
    }
    heap[pos] = item;
    Ok(())
}

/// `heapq._siftup`: fills the hole at `pos` with the smaller child until a leaf, then sifts the
/// item down into place (the same comparisons as CPython, so equal items come out in the same
/// order).
fn sift_up(rt: &Rt, heap: &mut VecDeque<Value>, mut pos: usize) -> PyResult<()> {
    let end = heap.len();
    let start = pos;
    let item = heap[pos];
    let mut child = 2 * pos + 1;
    while child < end {
        let right = child + 1;
        if right < end && !ops::order_lt(rt, heap[child], heap[right])? {
            child = right;
        }
        heap[pos] = heap[child];
        pos = child;
        child = 2 * pos + 1;
    }
    heap[pos] = item;
    sift_down(rt, heap, start, pos)
}

/// `heapq.heappop`.
fn heap_pop(rt: &Rt, heap: &mut VecDeque<Value>) -> PyResult<Option<Value>> {
    let Some(last) = heap.pop_back() else {
        return Ok(None);
    };
    if heap.is_empty() {
        return Ok(Some(last));
    }
    let top = heap[0];
    heap[0] = last;
    sift_up(rt, heap, 0)?;
    Ok(Some(top))
}
