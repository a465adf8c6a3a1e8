//! The observer interface: what the run loop tells an attached observer (a tracer, the
//! footprint of a turn, a race detector), and when.
//!
//! Observation is a driver-level step mode. The interpreter loop knows nothing about it: when
//! an observer is attached, the driver runs each turn as a sequence of one-instruction slices
//! and calls the observer between them, so the observer sees a thread from the outside (the
//! next instruction is `frames.last()`'s `code.instrs[pc]`; a store's value is the stack top
//! before the step, a load's value the stack top after it). A budget end is never a
//! scheduling decision, so an observed run makes exactly the decisions an unobserved one
//! makes, and an unobserved run pays nothing for the interface (one `Option` test per turn and
//! per hand-off).
//!
//! Architecture invariant: an observer only reads the VM; it never changes what the run does.

use crate::bytecode::Opcode;
use crate::vm::driver::Ending;
use crate::vm::heap::Obj;
use crate::vm::interp::SliceEnd;
use crate::vm::lost::LostEvent;
use crate::vm::machine::Vm;
use crate::vm::natives::{AttrSym, TypeTag};
use crate::vm::sync::SyncObj;
use crate::vm::thread::Tid;
use crate::vm::value::{ObjId, Value};

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
    /// A store or call acted on a check another thread's write had made stale (the
    /// check-then-act detector, `cta.rs`; reported during the step that made the act).
    CheckThenAct(&'a crate::vm::cta::CtaEvent),
    /// A timer is about to wake `tid` (its sleep or timeout ran out).
    Timeout { tid: Tid },
    /// A blocked thread became runnable.
    Wake { tid: Tid },
    /// A thread a lock's release woke lost the lock to the current thread before it ran: it
    /// waits again.
    Reblock { tid: Tid },
}

/// An observer attached to a [`Vm`] (`Vm::tracer`).
pub trait Observer {
    /// Observes one hook. The VM is read-only here.
    fn hook(&mut self, vm: &Vm, hook: Hook<'_>);
    /// Whether the tracer is done (its output was closed, or `--limit` was reached): the
    /// driver then detaches it and the run goes on at full speed.
    fn done(&self) -> bool;
    /// The run ended: write the trace's last records.
    fn finish(&mut self, vm: &Vm, ending: &Ending);
}

// ---------------------------------------------------------------------------------------------
// The footprint of a step and of a turn: what an explorer's partial-order reduction and a race
// detector need to know of a turn — the shared locations it read and wrote and the
// synchronisation objects it used. Computed from outside the interpreter, like a trace, from
// the instruction a thread is about to execute and its operands; so it costs nothing unless an
// observer asks for it.
// ---------------------------------------------------------------------------------------------

/// A location threads can share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Loc {
    /// A module global, by name id.
    Global(u32),
    /// A closure cell.
    Cell(ObjId),
    /// One item of a list or dict: the container and a fingerprint of the key (an int is
    /// itself; a str is hashed; `None` for any other key, which stands for every item).
    Item(ObjId, Option<u64>),
    /// A whole object: what an operation on it as a whole touches (`lst.append(x)`,
    /// `len(d)`, `for x in lst`, an attribute).
    Obj(ObjId),
}

impl Loc {
    /// Whether two locations may be the same memory.
    pub fn overlaps(self, other: Loc) -> bool {
        match (self, other) {
            (Loc::Obj(a), Loc::Obj(b) | Loc::Item(b, _)) | (Loc::Item(b, _), Loc::Obj(a)) => a == b,
            (Loc::Item(a, ka), Loc::Item(b, kb)) => {
                a == b && (ka.is_none() || kb.is_none() || ka == kb)
            }
            (a, b) => a == b,
        }
    }
}

/// What a synchronisation call does to its object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SyncOp {
    /// `acquire`, entering `with` (possibly blocking).
    Acquire,
    /// `release`, leaving `with`.
    Release,
    /// `wait` on a condition, event or barrier.
    Wait,
    /// `notify`, `notify_all`, `Event.set`, `clear`, a barrier's `reset`/`abort`.
    Signal,
    /// A queue's `put`, `task_done`.
    Put,
    /// A queue's `get`, `join`.
    Get,
    /// `Thread.start`.
    Start,
    /// `Thread.join`.
    Join,
    /// A query that changes nothing (`locked()`, `is_set()`, `qsize()`, `is_alive()`).
    Query,
}

/// One thing a step touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Touch {
    Read(Loc),
    Write(Loc),
    Sync(ObjId, SyncOp),
}

/// What the next instruction of `tid` will touch, appended to `out`. Over-approximates where
/// it cannot tell: a call is taken to write every object it is handed (`print(xs)` is listed
/// as a write of `xs`), so a reduction that trusts the footprint never misses a dependence.
pub fn next_step_touches(vm: &Vm, tid: Tid, out: &mut Vec<Touch>) {
    let t = &vm.threads[tid as usize];
    let Some(f) = t.frames.last() else { return };
    if t.start.is_some() {
        // A new thread's first step calls its target with its arguments.
        if let Some(s) = &t.start {
            for v in std::iter::once(s.target).chain(s.args.iter().copied()) {
                handed(vm, v, out);
            }
        }
        return;
    }
    instr_touches(vm, &t.stack, f, out);
}

/// What the instruction at frame `f`'s `pc` will touch, with the thread's value stack
/// `stack`, appended to `out` (as [`next_step_touches`], for a thread that is not about to
/// start: the explorer's turn loop asks it with the stack and frames it runs on,
/// `vm/xturn.rs`).
pub fn instr_touches(vm: &Vm, stack: &[Value], f: &crate::vm::thread::Frame, out: &mut Vec<Touch>) {
    let code = &vm.prog.codes[f.code as usize];
    let Some(ins) = code.instrs.get(f.pc as usize) else {
        return;
    };
    let n = stack.len();
    let top = |k: usize| if n > k { Some(stack[n - 1 - k]) } else { None };
    let obj = |v: Option<Value>| v.and_then(Value::as_obj);
    use Opcode::*;
    match ins.op {
        LOAD_GLOBAL | LOAD_NAME => out.push(Touch::Read(Loc::Global(ins.arg))),
        STORE_GLOBAL | DELETE_GLOBAL | STORE_NAME | DELETE_NAME => {
            out.push(Touch::Write(Loc::Global(ins.arg)))
        }
        LOAD_DEREF | STORE_DEREF | DELETE_DEREF => {
            if let Some(Value::Obj(cell)) = stack.get(f.base as usize + ins.arg as usize) {
                let loc = Loc::Cell(*cell);
                out.push(if ins.op == LOAD_DEREF {
                    Touch::Read(loc)
                } else {
                    Touch::Write(loc)
                });
            }
        }
        BINARY_SUBSCR => {
            if let Some(c) = obj(top(1)) {
                out.push(Touch::Read(Loc::Item(c, key_print(vm, top(0)))));
            }
        }
        // STORE_SUBSCR: container at top(1), key at top(0); DELETE_SUBSCR the same.
        STORE_SUBSCR | DELETE_SUBSCR => {
            if let Some(c) = obj(top(1)) {
                out.push(Touch::Write(Loc::Item(c, key_print(vm, top(0)))));
            }
        }
        LOAD_ATTR | LOAD_METHOD => {
            if let Some(o) = obj(top(0)) {
                out.push(Touch::Read(Loc::Obj(o)));
            }
        }
        STORE_ATTR | DELETE_ATTR => {
            if let Some(o) = obj(top(0)) {
                out.push(Touch::Write(Loc::Obj(o)));
            }
        }
        BEFORE_WITH => {
            if let Some(o) = obj(top(0)).filter(|&o| is_sync(vm, o)) {
                out.push(Touch::Sync(o, SyncOp::Acquire));
            }
        }
        CALL => call_touches(vm, stack, f.base as usize, ins.arg as usize, out),
        CALL_FUNCTION_EX => {
            let k = 2 + usize::from(ins.arg & 1 != 0);
            for i in 0..k.min(n) {
                if let Some(v) = top(i) {
                    handed(vm, v, out);
                    // The arguments tuple and dict are built for the call; what they hold is
                    // handed on.
                    if let Some(o) = v.as_obj() {
                        if let Obj::Tuple(items) | Obj::List(items) = vm.rt.heap.get(o) {
                            for &x in items {
                                handed(vm, x, out);
                            }
                        }
                    }
                }
            }
        }
        // Operations that read the objects they take from the stack as a whole.
        GET_ITER
        | UNPACK_SEQUENCE
        | UNARY_NEGATIVE
        | UNARY_POSITIVE
        | UNARY_NOT
        | UNARY_INVERT
        | FORMAT_VALUE
        | LIST_TO_TUPLE
        | POP_JUMP_FORWARD_IF_FALSE
        | POP_JUMP_FORWARD_IF_TRUE
        | POP_JUMP_BACKWARD_IF_FALSE
        | POP_JUMP_BACKWARD_IF_TRUE
        | JUMP_IF_FALSE_OR_POP
        | JUMP_IF_TRUE_OR_POP => read_whole(vm, top(0), out),
        BINARY_OP | COMPARE_OP | CONTAINS_OP => {
            read_whole(vm, top(0), out);
            read_whole(vm, top(1), out);
        }
        FOR_ITER => {
            if let Some(it) = obj(top(0)) {
                iterator_touches(vm, it, out, 0);
            }
        }
        // Extending a list, set or dict being built reads the iterable or mapping it is given.
        // Pattern matching: lengths and unpacking read the subject; MATCH_KEYS reads the
        // mapping below the keys; MATCH_CLASS reads the subject's attributes and the class's
        // `__match_args__`; DICT_UPDATE reads its source and writes the dict below.
        LIST_EXTEND | SET_UPDATE | DICT_MERGE | GET_LEN | UNPACK_EX => read_whole(vm, top(0), out),
        MATCH_KEYS => read_whole(vm, top(1), out),
        MATCH_CLASS => {
            for v in [top(1), top(2)] {
                if let Some(o) = obj(v) {
                    out.push(Touch::Read(Loc::Obj(o)));
                }
            }
        }
        DICT_UPDATE => {
            read_whole(vm, top(0), out);
            if let Some(o) = obj(top(ins.arg as usize)) {
                out.push(Touch::Write(Loc::Obj(o)));
            }
        }
        _ => {}
    }
}

/// A call: every object between the callee and the top of the stack is handed to it. A
/// method of a synchronisation object is a sync operation.
fn call_touches(vm: &Vm, stack: &[Value], base: usize, argc: usize, out: &mut Vec<Touch>) {
    let n = stack.len();
    if n < argc + 1 {
        return;
    }
    let mut callee_at = n - argc - 1;
    if callee_at > base {
        match stack[callee_at - 1] {
            Value::Method(m) => {
                if let Some(op) = sync_op(m.ty, m.attr) {
                    if let Some(o) = stack[callee_at].as_obj() {
                        out.push(Touch::Sync(o, op));
                    }
                    for &v in &stack[callee_at + 1..] {
                        handed(vm, v, out);
                    }
                    return;
                }
                callee_at -= 1;
            }
            Value::BoundExit(o) if argc == 2 && stack[callee_at] == Value::None => {
                out.push(Touch::Sync(o, SyncOp::Release));
                return;
            }
            _ => {}
        }
    }
    if let Value::Obj(o) = stack[callee_at] {
        if let Obj::BoundMethod {
            recv: Value::Obj(r),
            method,
        } = vm.rt.heap.get(o)
        {
            if let Some(op) = sync_op(method.ty, method.attr) {
                out.push(Touch::Sync(*r, op));
            } else {
                handed(vm, Value::Obj(*r), out);
            }
        }
    }
    for &v in &stack[callee_at..] {
        handed(vm, v, out);
    }
}

/// A value handed to a call: the call may read or write it.
fn handed(vm: &Vm, v: Value, out: &mut Vec<Touch>) {
    if let Value::Obj(o) = v {
        match vm.rt.heap.get(o) {
            // Immutable or not data: nothing to share.
            Obj::Str(_) | Obj::Function(_) | Obj::Range { .. } | Obj::BoundMethod { .. } => {}
            Obj::Sync(_) => {}
            _ => out.push(Touch::Write(Loc::Obj(o))),
        }
    }
}

/// Advancing an iterator writes it and reads what it iterates over.
fn iterator_touches(vm: &Vm, it: ObjId, out: &mut Vec<Touch>, depth: u32) {
    out.push(Touch::Write(Loc::Obj(it)));
    match vm.rt.heap.get(it) {
        Obj::SeqIter { seq, .. } | Obj::RevSeqIter { seq, .. } => {
            out.push(Touch::Read(Loc::Obj(*seq)))
        }
        Obj::DictIter { dict, .. } => out.push(Touch::Read(Loc::Obj(*dict))),
        Obj::SetIter { set, .. } => out.push(Touch::Read(Loc::Obj(*set))),
        Obj::Enumerate {
            iter: Value::Obj(inner),
            ..
        } if depth < 8 => iterator_touches(vm, *inner, out, depth + 1),
        Obj::Zip { iters } if depth < 8 => {
            for v in iters {
                if let Value::Obj(inner) = v {
                    iterator_touches(vm, *inner, out, depth + 1);
                }
            }
        }
        _ => {}
    }
}

fn read_whole(vm: &Vm, v: Option<Value>, out: &mut Vec<Touch>) {
    if let Some(Value::Obj(o)) = v {
        match vm.rt.heap.get(o) {
            Obj::List(_) | Obj::Dict(_) | Obj::Set(_) | Obj::Cell { .. } => {
                out.push(Touch::Read(Loc::Obj(o)))
            }
            Obj::DictView { dict, .. } => out.push(Touch::Read(Loc::Obj(*dict))),
            _ => {}
        }
    }
}

fn is_sync(vm: &Vm, o: ObjId) -> bool {
    matches!(vm.rt.heap.get(o), Obj::Sync(s) if !matches!(s, SyncObj::Thread(_)))
}

/// The sync operation a built-in method performs, if its receiver is a sync object.
fn sync_op(ty: TypeTag, attr: AttrSym) -> Option<SyncOp> {
    use AttrSym::*;
    if matches!(
        ty,
        TypeTag::Str | TypeTag::List | TypeTag::Tuple | TypeTag::Dict | TypeTag::Deque
    ) {
        return None;
    }
    Some(match attr {
        acquire | enter => SyncOp::Acquire,
        release | exit => SyncOp::Release,
        wait | wait_for => SyncOp::Wait,
        notify | notify_all | set | clear | reset | abort => SyncOp::Signal,
        put | put_nowait | task_done => SyncOp::Put,
        get | get_nowait => SyncOp::Get,
        start => SyncOp::Start,
        join if ty == TypeTag::Thread => SyncOp::Join,
        join => SyncOp::Get,
        _ => SyncOp::Query,
    })
}

/// A fingerprint of a subscript key: ints are themselves, strs hashed (FNV-1a); others
/// unknown. Two keys with one fingerprint are taken as the same item (an over-approximation).
fn key_print(vm: &Vm, k: Option<Value>) -> Option<u64> {
    match k? {
        Value::Int(i) => Some(i as u64),
        Value::Bool(b) => Some(b as u64),
        Value::Obj(o) => vm.rt.heap.str(o).map(|s| {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in s.bytes() {
                h ^= b as u64;
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            h
        }),
        _ => None,
    }
}

/// The footprint of a turn: the locations it read and wrote and the sync operations it made,
/// each once, in the order first seen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Footprint {
    /// The thread whose turn it is.
    pub tid: Option<Tid>,
    pub reads: Vec<Loc>,
    pub writes: Vec<Loc>,
    pub syncs: Vec<(ObjId, SyncOp)>,
}

impl Footprint {
    fn add(&mut self, t: Touch) {
        match t {
            Touch::Read(l) if !self.reads.contains(&l) => self.reads.push(l),
            Touch::Write(l) if !self.writes.contains(&l) => self.writes.push(l),
            Touch::Sync(o, op) if !self.syncs.contains(&(o, op)) => self.syncs.push((o, op)),
            _ => {}
        }
    }

    /// Whether two turns' order can matter: one writes what the other reads or writes, or
    /// both use one synchronisation object (a `Query` against a `Query` aside).
    pub fn depends_on(&self, other: &Footprint) -> bool {
        let hits = |ws: &[Loc], xs: &[Loc]| ws.iter().any(|w| xs.iter().any(|x| w.overlaps(*x)));
        hits(&self.writes, &other.writes)
            || hits(&self.writes, &other.reads)
            || hits(&other.writes, &self.reads)
            || self.syncs.iter().any(|&(a, opa)| {
                other
                    .syncs
                    .iter()
                    .any(|&(b, opb)| a == b && !(opa == SyncOp::Query && opb == SyncOp::Query))
            })
    }
}

/// An observer that keeps the footprint of the current (or last) turn, for a caller stepping
/// the run with [`Vm::turn`]: read it through the handle after each turn.
pub struct FootprintObserver {
    current: std::rc::Rc<std::cell::RefCell<Footprint>>,
    buf: Vec<Touch>,
}

impl FootprintObserver {
    /// The observer, and the handle its footprints are read through.
    pub fn new() -> (
        FootprintObserver,
        std::rc::Rc<std::cell::RefCell<Footprint>>,
    ) {
        let current = std::rc::Rc::new(std::cell::RefCell::new(Footprint::default()));
        (
            FootprintObserver {
                current: current.clone(),
                buf: Vec::new(),
            },
            current,
        )
    }
}

impl Observer for FootprintObserver {
    fn hook(&mut self, vm: &Vm, hook: Hook<'_>) {
        match hook {
            Hook::Gil { tid } => {
                let mut f = self.current.borrow_mut();
                *f = Footprint {
                    tid: Some(tid),
                    ..Footprint::default()
                };
                // A woken lock waiter completes its `acquire` before its first instruction.
                if let Some(r) = &vm.threads[tid as usize].retry {
                    f.add(Touch::Sync(r.lock, SyncOp::Acquire));
                }
            }
            Hook::Before { tid } => {
                self.buf.clear();
                next_step_touches(vm, tid, &mut self.buf);
                let mut f = self.current.borrow_mut();
                for &t in &self.buf {
                    f.add(t);
                }
            }
            _ => {}
        }
    }

    fn done(&self) -> bool {
        false
    }

    fn finish(&mut self, _vm: &Vm, _ending: &Ending) {}
}
