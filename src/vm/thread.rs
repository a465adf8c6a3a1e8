//! A green thread's execution state: its value stack, its frames, and whether it can run.
//!
//! All frames of a thread share one value stack: a frame's fast locals (locals, cells, free
//! variables) start at `Frame::base`, and its operand stack follows them. Python-to-Python calls
//! push a frame here instead of recursing in Rust, so deep recursion in a program can never
//! overflow gilvm's own stack.

use crate::bytecode::CodeId;
use crate::vm::value::{ObjId, Value};

/// Index of a VM thread in `Vm::threads` (0 is the main thread).
pub type Tid = u32;

/// One activation of a code object.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub code: CodeId,
    /// Index of the next instruction to execute.
    pub pc: u32,
    /// Index in the thread's stack of fast-locals slot 0.
    pub base: u32,
    /// The function being run (for its closure cells); `Value::None` for module code.
    pub func: Value,
    /// A `KW_NAMES` operand waiting for its `CALL`, kept here if the thread is preempted
    /// between the two (`u32::MAX` when none).
    pub kwnames: u32,
}

/// A thread's frames, the first one inline: a turn reads the running frame first, and inline
/// it arrives with the thread's own cache line instead of from a separate allocation. With
/// 10,000 threads, each turn on a thread whose state has left the cache, that was one
/// dependent miss fewer per turn: 4 M locked increments over 10,000 threads 278–284 ->
/// 246–253 ms, unchanged at 2 and 1,000 threads (interleaved runs, median of 9). Deeper calls
/// spill to the heap as a `Vec` would.
pub type Frames = smallvec::SmallVec<[Frame; 1]>;

/// Why a thread cannot run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Wait {
    /// `acquire()` on a lock, semaphore, … (the heap object).
    Acquire(ObjId),
    /// `join()` on another thread.
    Join(Tid),
    /// `time.sleep()`.
    Sleep,
    /// `Condition.wait()`, `Event.wait()`, a queue's `get`/`put`/`join`, `Barrier.wait()`.
    Wait(ObjId),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ThreadState {
    /// Created by `Thread(...)` but not started; not in the scheduler.
    New,
    Runnable,
    /// Blocked; `deadline` (virtual ns) for timed waits.
    Blocked {
        wait: Wait,
        deadline: Option<u64>,
    },
    Finished,
}

/// The call a new thread starts with (its `target(*args, **kwargs)`).
#[derive(Clone, Debug)]
pub struct StartCall {
    pub target: Value,
    pub args: Vec<Value>,
    pub kwargs: Option<Value>,
}

/// A thread, laid out for the GIL switch: `repr(C)` keeps the field order and `align(64)` puts
/// the first field on a cache-line boundary. Line 0 holds what waking a blocked thread touches
/// (its state, a lock retry), line 1 what `run_slice` takes and puts back on every turn, the
/// rest is read when a thread starts, ends, or is reported. With 10,000 threads a release wakes
/// a waiter whose state is far out of the L2 cache, and a turn lands on one: the number of
/// lines each touches is what it costs. Measured on 4,000,000 locked increments over 10,000
/// threads: 673 -> 616 ms wall (median of 5), cachegrind (2 MB last level) data misses 995,000
/// -> 837,000 on the 400,000-increment version (docs/performance.md, "cost flatness").
#[repr(C, align(64))]
pub struct Thread {
    // Line 0: waking (the lock core, the driver's retry check).
    pub state: ThreadState,
    /// A released lock woke this thread: it tries to take it when it next runs.
    pub retry: Option<crate::vm::sync::LockRetry>,
    /// Where the thread blocked (code, instruction), for deadlock reports and lock owners.
    pub blocked_at: (u32, u32),
    // Line 1: every turn (`run_slice_impl`).
    pub stack: Vec<Value>,
    pub frames: Frames,
    // Line 2.
    /// Set until the thread runs for the first time (boxed: one word).
    pub start: Option<Box<StartCall>>,
    /// An exception the blocking call raises instead, when the thread is woken
    /// (`BrokenBarrierError`, …; boxed like `start`).
    pub wake_throw: Option<Box<crate::vm::Throw>>,
    // Cold.
    /// The value a blocking call returns when the thread is woken (pushed on its stack).
    pub wake_value: Value,
    pub tid: Tid,
    pub name: String,
    /// The `threading.Thread` object (None for the main thread until asked for).
    pub obj: Option<ObjId>,
    pub daemon: bool,
    /// Python's `threading.get_ident()`: a stable fake value derived from the tid.
    pub ident: i64,
    /// The exception currently being handled (`sys.exc_info()`), or `Value::None`.
    pub exc_info: Value,
    /// Threads blocked in `join()` on this one.
    pub joiners: Vec<Tid>,
}

impl Thread {
    pub fn new(tid: Tid, name: String, daemon: bool) -> Thread {
        Thread {
            tid,
            name,
            obj: None,
            daemon,
            ident: 140_000_000_000_000 + tid as i64 * 4096,
            stack: Vec::new(),
            frames: Frames::new(),
            state: ThreadState::New,
            exc_info: Value::None,
            start: None,
            wake_value: Value::None,
            wake_throw: None,
            joiners: Vec::new(),
            blocked_at: (0, 0),
            retry: None,
        }
    }

    pub fn is_alive(&self) -> bool {
        !matches!(self.state, ThreadState::New | ThreadState::Finished)
    }

    /// Every value this thread keeps alive (GC roots).
    pub fn roots(&self, out: &mut Vec<Value>) {
        out.extend_from_slice(&self.stack);
        out.extend(self.frames.iter().map(|f| f.func));
        out.push(self.exc_info);
        out.push(self.wake_value);
        // What a blocked thread waits on stays alive (a deadlock report describes it even if
        // the program dropped every other reference).
        if let ThreadState::Blocked {
            wait: Wait::Acquire(o) | Wait::Wait(o),
            ..
        } = self.state
        {
            out.push(Value::Obj(o));
        }
        if let Some(r) = &self.retry {
            out.push(Value::Obj(r.lock));
        }
        if let Some(o) = self.obj {
            out.push(Value::Obj(o));
        }
        if let Some(s) = &self.start {
            out.push(s.target);
            out.extend_from_slice(&s.args);
            if let Some(k) = s.kwargs {
                out.push(k);
            }
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    /// The switch-hot fields stay on the cache lines the layout comment promises.
    #[test]
    fn hot_fields_sit_on_their_cache_lines() {
        assert_eq!(align_of::<Thread>(), 64);
        let line = |off: usize, size: usize| {
            assert_eq!(off / 64, (off + size - 1) / 64, "field straddles a line");
            off / 64
        };
        assert_eq!(line(offset_of!(Thread, state), size_of::<ThreadState>()), 0);
        let retry = size_of::<Option<crate::vm::sync::LockRetry>>();
        assert_eq!(line(offset_of!(Thread, retry), retry), 0);
        assert_eq!(line(offset_of!(Thread, blocked_at), 8), 0);
        assert_eq!(line(offset_of!(Thread, stack), 24), 1);
        assert_eq!(line(offset_of!(Thread, frames), size_of::<Frames>()), 1);
    }
}
