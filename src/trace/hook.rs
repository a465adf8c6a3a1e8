//! The driver's side of tracing: what the run loop tells an attached tracer, and when.
//!
//! Tracing is a driver-level step mode. The interpreter loop knows nothing about it: when a
//! tracer is attached, the driver runs each quantum as a sequence of one-instruction slices
//! and calls the tracer between them, so the tracer observes a thread from the outside (the
//! next instruction is `frames.last()`'s `code.instrs[pc]`; a store's value is the stack top
//! before the step, a load's value the stack top after it). A budget end is never a
//! scheduling decision, so a traced run makes exactly the decisions an untraced one makes.
//!
//! Architecture invariant: a tracer only reads the VM; it never changes what the run does.

use crate::vm::driver::Ending;
use crate::vm::interp::SliceEnd;
use crate::vm::lost::LostEvent;
use crate::vm::machine::Vm;
use crate::vm::thread::Tid;

/// One thing the driver reports to a tracer.
pub enum Hook<'a> {
    /// The scheduler gave `tid` the GIL (possibly again, after a preemption when it is alone).
    Gil { tid: Tid },
    /// `tid` is about to execute one instruction.
    Before { tid: Tid },
    /// `tid` executed `n` (0 or 1) instructions; the clock and step count are updated.
    After { tid: Tid, n: u64 },
    /// `tid`'s turn (quantum) ended this way.
    TurnEnd { tid: Tid, end: &'a SliceEnd },
    /// A store erased another thread's update (reported during the step that made it).
    Lost(&'a LostEvent),
    /// A timer is about to wake `tid` (its sleep or timeout ran out).
    Timeout { tid: Tid },
    /// A blocked thread became runnable.
    Wake { tid: Tid },
    /// A thread a lock's release woke lost the lock to the current thread before it ran: it
    /// waits again.
    Reblock { tid: Tid },
}

/// A tracer attached to a [`Vm`] (`Vm::tracer`).
pub trait TraceSink {
    /// Observes one hook. The VM is read-only here.
    fn hook(&mut self, vm: &Vm, hook: Hook<'_>);
    /// Whether the tracer is done (its output was closed, or `--limit` was reached): the
    /// driver then detaches it and the run goes on at full speed.
    fn done(&self) -> bool;
    /// The run ended: write the trace's last records.
    fn finish(&mut self, vm: &Vm, ending: &Ending);
}
