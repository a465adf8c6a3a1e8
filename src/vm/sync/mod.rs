//! Python-visible threading objects (`Thread`, `Lock`, …) as heap objects.
//!
//! Each primitive keeps its own state and its queue of blocked threads; it never picks a
//! waiter itself. When a waiter must be woken, the primitive asks the scheduler
//! ([`crate::vm::scheduler::Scheduler::choose`]) so the choice is a seeded decision, as
//! DESIGN.md §5 requires. One file per primitive.

pub mod lock;
pub mod thread;

use crate::vm::value::Value;

pub use lock::LockObj;
pub use thread::ThreadObj;

/// Index of a VM thread in `Vm::threads` (0 is the main thread).
pub type Tid = u32;

/// Where an object was created or taken, for deadlock reports: code object and instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Site {
    pub code: u32,
    pub pc: u32,
}

/// A threading object stored on the heap.
#[derive(Debug)]
pub enum SyncObj {
    Thread(ThreadObj),
    Lock(LockObj),
}

impl SyncObj {
    pub fn size_estimate(&self) -> usize {
        match self {
            SyncObj::Thread(t) => 64 + t.args.len() * 16,
            SyncObj::Lock(l) => 32 + l.waiters.len() * 4,
        }
    }

    pub fn for_each_value(&self, f: &mut dyn FnMut(Value)) {
        match self {
            SyncObj::Thread(t) => {
                f(t.target);
                t.args.iter().copied().for_each(&mut *f);
                if let Some(kw) = t.kwargs {
                    f(kw);
                }
            }
            SyncObj::Lock(_) => {}
        }
    }
}
