//! Generators: `yield`, `yield from`, generator expressions, and the generator methods
//! (`send`, `throw`, `close`), as CPython 3.11 runs them.
//!
//! A generator's frame is suspendable because it owns nothing the thread keeps: on
//! `RETURN_GENERATOR` (and on every `YIELD_VALUE`) the frame's slice of the thread's value
//! stack — its fast locals and the operand stack below the yielded value — is copied into the
//! generator object ([`Generator::saved`], a `Vec` reused from one yield to the next, so a
//! loop of yields does not allocate), with its pc, and the frame is popped. Resuming pushes a
//! frame whose function is the generator object itself (`Frame::func`, as the special-method
//! markers do; `Vm::frame_function` finds the closure through it) on top of whichever thread
//! resumes it, copies the saved values back above that thread's stack, pushes the value sent
//! in, and goes on at the saved pc. The interpreter loop is never re-entered: `next(g)`,
//! `g.send(v)`, `FOR_ITER` and `SEND` over a generator push its frame and return, like a call.
//!
//! Whoever resumed a generator says what becomes of its next yield or return
//! ([`GenThen`], stored in the generator while it runs): a `FOR_ITER` gets the value, or on
//! return pops the iterator and jumps; `SEND` (`yield from`) gets the value, or the return
//! value and its jump; `next(g)` gets the value or `StopIteration(value)`; `next(g, d)` gets
//! `d`; `close()` wants it to stop (a yield is `RuntimeError: generator ignored
//! GeneratorExit`).
//!
//! A generator runs in one thread at a time: while its frame is on a thread's frame stack it
//! is `Running`, and another thread that resumes it then (a thread preempted inside the
//! generator, the other one calling `next` on it) gets CPython's `ValueError: generator
//! already executing`.

use crate::bytecode::{CodeId, Opcode};
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::{Obj, TbEntry};
use crate::vm::interp::CallDone;
use crate::vm::machine::Vm;
use crate::vm::thread::{Frame, Frames};
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Throw};

/// Where a generator is in its life (CPython's `gi_frame_state`, coarsened).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenState {
    /// Made by `RETURN_GENERATOR`, not yet resumed.
    Created,
    /// Stopped at a `yield`.
    Suspended,
    /// Its frame is on a thread's frame stack.
    Running,
    /// Returned, raised, or was closed.
    Closed,
}

/// What becomes of a running generator's next yield or return.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GenThen {
    /// `next(g)`, `g.send(v)`, `g.throw(e)`: the yielded value is the result; a return raises
    /// `StopIteration(value)` in the caller.
    Value,
    /// `FOR_ITER`: a return pops the iterator and jumps `delta` on.
    ForIter { delta: u32 },
    /// `SEND` (`yield from`): a return pops the receiver, pushes the return value and jumps
    /// `delta` on.
    Send { delta: u32 },
    /// `next(g, default)`: a return gives `default`.
    NextDefault(Value),
    /// `g.close()`: a return (or `GeneratorExit`/`StopIteration` escaping) gives None; a
    /// yield is a `RuntimeError`.
    Close,
    /// A built-in consuming the generator natively (`sum(g)`, `list(g)`, … in
    /// `vm::consume`): each yield hands the value to `kind` (accumulated into `acc`) and the
    /// generator goes on without leaving its frame; a return gives the built-in's result.
    Consume { kind: Consume, acc: Value },
}

/// What a built-in that consumes a generator natively does with its items
/// (`GenThen::Consume`, `vm::consume`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consume {
    /// `sum(g[, start])`: `acc` is the running total.
    Sum,
    /// `any(g)`: stops at the first true item.
    Any,
    /// `all(g)`: stops at the first false item.
    All,
    /// `min(g)`/`max(g)` (`max`): `acc` is the best item once `seen`, before that the default
    /// (`has_default`).
    MinMax {
        max: bool,
        seen: bool,
        has_default: bool,
    },
    /// `list(g)`: `acc` is the list.
    List,
    /// A built-in or method that takes the items as a list (`tuple(g)`, `sorted(g)`,
    /// `"-".join(g)`, …): `acc` is a list `[items, callee, args…]`, the generator at
    /// `args[pos]`, which the items replace when the callee is called at the end.
    Collect { pos: u8 },
}

/// A generator object (`Obj::Generator`).
#[derive(Clone, Debug)]
pub struct Generator {
    pub code: CodeId,
    /// The generator function (for its closure cells and its name).
    pub func: Value,
    /// Fast locals, then the operand stack, while suspended.
    pub saved: Vec<Value>,
    /// Where it goes on when resumed.
    pub pc: u32,
    pub state: GenState,
    pub then: GenThen,
    /// The exception its own handler was handling when it yielded (None if none), and, while
    /// it runs, the one its resumer was handling: CPython keeps a generator's handled
    /// exception apart from its caller's (`sys.exc_info()`, implicit `__context__`).
    pub exc: Value,
    pub outer_exc: Value,
}

impl Generator {
    pub fn for_each_value(&self, f: &mut dyn FnMut(Value)) {
        f(self.func);
        f(self.exc);
        f(self.outer_exc);
        self.saved.iter().copied().for_each(&mut *f);
        match self.then {
            GenThen::NextDefault(d) | GenThen::Consume { acc: d, .. } => f(d),
            _ => {}
        }
    }
}

pub(crate) fn gen_mut(vm: &mut Vm, id: ObjId) -> Option<&mut Generator> {
    match vm.rt.heap.get_mut(id) {
        Obj::Generator(g) => Some(g),
        _ => None,
    }
}

/// Whether `v` is a generator object.
pub fn is_generator(rt: &crate::vm::Rt, v: Value) -> bool {
    matches!(v, Value::Obj(id) if matches!(rt.heap.get(id), Obj::Generator(_)))
}

/// Whether one of `args` is a generator (none can be before the first one is made): what
/// sends a built-in call to `iteration_native`/`iteration_method`.
#[inline]
pub fn any_generator(rt: &crate::vm::Rt, args: &[Value]) -> bool {
    rt.generators && args.iter().any(|&a| is_generator(rt, a))
}

fn stop_iteration(vm: &mut Vm, value: Value) -> Throw {
    if value == Value::None {
        Throw::NewArgs {
            kind: ExcKind::StopIteration,
            args: Vec::new(),
        }
    } else {
        let _ = vm;
        Throw::NewArgs {
            kind: ExcKind::StopIteration,
            args: vec![value],
        }
    }
}

impl Vm {
    /// `RETURN_GENERATOR` in the top frame (its pc already past the instruction): the
    /// generator that keeps the frame's locals. The caller then returns it as `RETURN_VALUE`
    /// would.
    pub fn make_generator(&mut self, stack: &[Value], frame: &Frame, pc: usize) -> PyResult<Value> {
        let func = match self.frame_function(frame.func) {
            Some(f) => Value::Obj(f),
            None => frame.func,
        };
        let saved = stack[(frame.base as usize).min(stack.len())..].to_vec();
        self.rt.generators = true;
        self.rt.alloc(Obj::Generator(Box::new(Generator {
            code: frame.code,
            func,
            saved,
            pc: pc as u32,
            state: GenState::Created,
            then: GenThen::Value,
            exc: Value::None,
            outer_exc: Value::None,
        })))
    }

    /// Resumes generator `gen` with `sent` on top of `frames` (the caller's pc saved). What
    /// happens when it yields or returns is `then`'s.
    pub fn gen_resume(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
        gen: ObjId,
        sent: Value,
        then: GenThen,
    ) -> PyResult<CallDone> {
        let limit = self.config.recursion_limit;
        let Some(g) = gen_mut(self, gen) else {
            return Err(Throw::type_error("not a generator"));
        };
        match g.state {
            GenState::Running => {
                return Err(Throw::new(
                    ExcKind::ValueError,
                    "generator already executing",
                ))
            }
            GenState::Closed => return self.gen_finished(then, Value::None, stack, frames),
            GenState::Created if sent != Value::None => {
                return Err(Throw::type_error(
                    "can't send non-None value to a just-started generator",
                ))
            }
            _ => {}
        }
        if frames.len() >= limit {
            return Err(Throw::new(
                ExcKind::RecursionError,
                "maximum recursion depth exceeded",
            ));
        }
        let base = stack.len();
        let (code, pc) = (g.code, g.pc);
        g.state = GenState::Running;
        g.then = then;
        let own = g.exc;
        let saved = std::mem::take(&mut g.saved);
        self.enter_generator(gen, own);
        stack.extend_from_slice(&saved);
        stack.push(sent);
        if let Some(g) = gen_mut(self, gen) {
            // The buffer goes back for the next yield to reuse.
            g.saved = saved;
            g.saved.clear();
        }
        frames.push(Frame {
            code,
            pc,
            base: base as u32,
            func: Value::Obj(gen),
            kwnames: u32::MAX,
        });
        Ok(CallDone::Frame)
    }

    /// The generator's result for `then` once it has returned `value` (its frame gone, the
    /// caller's frame on top with its pc saved after the resuming instruction).
    pub fn gen_finished(
        &mut self,
        then: GenThen,
        value: Value,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
    ) -> PyResult<CallDone> {
        match then {
            GenThen::Value => Err(stop_iteration(self, value)),
            GenThen::ForIter { delta } => {
                stack.pop();
                if let Some(f) = frames.last_mut() {
                    f.pc += delta;
                }
                Ok(CallDone::Value)
            }
            GenThen::Send { delta } => {
                stack.pop();
                stack.push(value);
                if let Some(f) = frames.last_mut() {
                    f.pc += delta;
                }
                Ok(CallDone::Value)
            }
            GenThen::NextDefault(d) => {
                stack.push(d);
                Ok(CallDone::Value)
            }
            GenThen::Close => {
                stack.push(Value::None);
                Ok(CallDone::Value)
            }
            GenThen::Consume { kind, acc } => self.consume_finish(kind, acc, stack, frames),
        }
    }

    /// `YIELD_VALUE` of `v` in the top frame, a generator's (its operand stack already
    /// popped of `v`, `pc` past the instruction): suspends it and hands `v` on.
    pub fn gen_yield(
        &mut self,
        v: Value,
        pc: usize,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
    ) -> PyResult<CallDone> {
        // gen4: a built-in consuming this generator natively takes the value here.
        if let Some(&Frame {
            func: Value::Obj(gen),
            ..
        }) = frames.last()
        {
            if let Some(GenThen::Consume { kind, acc }) = gen_mut(self, gen).map(|g| g.then) {
                return self.consume_yield(gen, kind, acc, v, pc, stack, frames);
            }
        }
        let Some(fr) = frames.pop() else {
            return Err(Throw::new(ExcKind::SystemError, "yield outside a frame"));
        };
        let Value::Obj(gen) = fr.func else {
            return Err(Throw::new(
                ExcKind::SystemError,
                "yield outside a generator",
            ));
        };
        let base = (fr.base as usize).min(stack.len());
        let tid = self.current as usize;
        let cur = self.threads[tid].exc_info;
        let Some(g) = gen_mut(self, gen) else {
            return Err(Throw::new(
                ExcKind::SystemError,
                "yield outside a generator",
            ));
        };
        let outer = g.outer_exc;
        g.exc = if cur == outer { Value::None } else { cur };
        g.outer_exc = Value::None;
        g.saved.clear();
        g.saved.extend_from_slice(&stack[base..]);
        g.pc = pc as u32;
        g.state = GenState::Suspended;
        let then = g.then;
        g.then = GenThen::Value;
        stack.truncate(base);
        self.threads[tid].exc_info = outer;
        if then == GenThen::Close {
            return Err(Throw::new(
                ExcKind::RuntimeError,
                "generator ignored GeneratorExit",
            ));
        }
        stack.push(v);
        Ok(CallDone::Value)
    }

    /// A generator's frame returned `v` (already popped, its stack truncated): it is closed.
    /// Returns what its resumer wanted.
    pub fn gen_return(
        &mut self,
        gen: ObjId,
        v: Value,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
    ) -> PyResult<CallDone> {
        let then = self.close_generator(gen).unwrap_or(GenThen::Value);
        self.gen_finished(then, v, stack, frames)
    }

    /// An exception `exc` left a generator's frame (popped by the unwinder): the generator is
    /// closed; a `StopIteration` becomes `RuntimeError` (PEP 479). Returns the exception that
    /// goes on, or `None` when `close()` wanted exactly this (its result None is pushed).
    pub fn gen_unwound(&mut self, gen: ObjId, exc: ObjId, stack: &mut Vec<Value>) -> Option<ObjId> {
        let Some(then) = self.close_generator(gen) else {
            return Some(exc);
        };
        let kind = match self.rt.heap.get(exc) {
            Obj::Exception(e) => e.kind,
            _ => return Some(exc),
        };
        let stop = kind.is_subclass_of(ExcKind::StopIteration);
        if then == GenThen::Close && (stop || kind.is_subclass_of(ExcKind::GeneratorExit)) {
            stack.push(Value::None);
            return None;
        }
        if !stop {
            return Some(exc);
        }
        let t = Throw::new(ExcKind::RuntimeError, "generator raised StopIteration");
        match self.rt.exception_object(t) {
            Ok(new) => {
                if let Obj::Exception(e) = self.rt.heap.get_mut(new) {
                    e.cause = Some(Value::Obj(exc));
                    e.context = Some(Value::Obj(exc));
                }
                Some(new)
            }
            Err(_) => Some(exc),
        }
    }

    /// `g.throw(exc)` (and `g.close()`, which throws `GeneratorExit`): raises `exc` inside
    /// the generator at its `yield`. `Ok(Frame)` when the generator handles it (its frame is
    /// running); `Err` with the exception that leaves it otherwise (its traceback already
    /// names the generator's line), raised in the caller.
    pub fn gen_throw(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
        gen: ObjId,
        exc: ObjId,
        then: GenThen,
    ) -> PyResult<CallDone> {
        let Some(g) = gen_mut(self, gen) else {
            return Err(Throw::Obj(exc));
        };
        match g.state {
            GenState::Running => {
                return Err(Throw::new(
                    ExcKind::ValueError,
                    "generator already executing",
                ))
            }
            GenState::Closed => {
                if then == GenThen::Close {
                    stack.push(Value::None);
                    return Ok(CallDone::Value);
                }
                return Err(Throw::Obj(exc));
            }
            GenState::Created if then == GenThen::Close => {
                g.state = GenState::Closed;
                g.saved = Vec::new();
                stack.push(Value::None);
                return Ok(CallDone::Value);
            }
            _ => {}
        }
        // Resume the frame (without a sent value: the handler truncates the stack anyway).
        let base = stack.len();
        let (code, pc, created) = (g.code, g.pc, g.state == GenState::Created);
        g.state = GenState::Running;
        g.then = then;
        let own = g.exc;
        let saved = std::mem::take(&mut g.saved);
        self.enter_generator(gen, own);
        stack.extend_from_slice(&saved);
        frames.push(Frame {
            code,
            pc,
            base: base as u32,
            func: Value::Obj(gen),
            kwnames: u32::MAX,
        });
        let mut exc = exc;
        // Suspended in a `yield from` over another generator (the receiver on top of the
        // saved stack, `RESUME 2` next): the exception goes to that one first; its frame runs
        // on top of this one, which waits at its `SEND` as when the two run normally.
        if !created && self.resumes_yield_from(code, pc) {
            if let Some(&Value::Obj(sub)) = saved.last() {
                if matches!(self.rt.heap.get(sub), Obj::Generator(_)) {
                    let send_at = pc.saturating_sub(2) as usize;
                    let delta = self.prog.codes[code as usize].instrs[send_at].arg;
                    if let Some(f) = frames.last_mut() {
                        f.pc = pc - 1;
                    }
                    let sub_then = GenThen::Send { delta };
                    match self.gen_throw(stack, frames, sub, exc, sub_then) {
                        Ok(done) => return Ok(done),
                        Err(Throw::Obj(e)) => exc = e,
                        Err(other) => exc = self.rt.exception_object(other)?,
                    }
                    if let Some(f) = frames.last_mut() {
                        f.pc = pc;
                    }
                }
            }
        }
        // Raise `exc` at the yield: the handler of this frame, or out of it.
        let index = pc.saturating_sub(1);
        if let Obj::Exception(e) = self.rt.heap.get_mut(exc) {
            e.traceback.push(TbEntry { code, pc: index });
        }
        let c = &self.prog.codes[code as usize];
        if let Some(h) = c
            .exception_table
            .iter()
            .find(|h| h.start <= index && index < h.end)
        {
            let depth = base + c.nlocalsplus() + h.depth as usize;
            stack.truncate(depth);
            if h.lasti {
                stack.push(Value::Int(index as i64));
            }
            stack.push(Value::Obj(exc));
            if let Some(f) = frames.last_mut() {
                f.pc = h.target;
            }
            return Ok(CallDone::Frame);
        }
        frames.pop();
        stack.truncate(base);
        match self.gen_unwound(gen, exc, stack) {
            None => Ok(CallDone::Value),
            Some(e) => Err(Throw::Obj(e)),
        }
    }

    /// The generator's frame is being pushed on the current thread: the exception its own
    /// handler was handling becomes the thread's (if any), its resumer's is kept to restore.
    fn enter_generator(&mut self, gen: ObjId, own: Value) {
        let tid = self.current as usize;
        let outer = self.threads[tid].exc_info;
        if let Some(g) = gen_mut(self, gen) {
            g.outer_exc = outer;
        }
        if own != Value::None {
            self.threads[tid].exc_info = own;
        }
    }

    /// The generator's frame is gone for good: it is closed, and its resumer's handled
    /// exception is the thread's again. Returns what the resumer wanted.
    fn close_generator(&mut self, gen: ObjId) -> Option<GenThen> {
        let g = gen_mut(self, gen)?;
        g.state = GenState::Closed;
        g.saved = Vec::new();
        let t = g.then;
        g.then = GenThen::Value;
        let outer = std::mem::replace(&mut g.outer_exc, Value::None);
        g.exc = Value::None;
        let tid = self.current as usize;
        self.threads[tid].exc_info = outer;
        Some(t)
    }

    /// Whether a generator of `code` stopped at `pc` waits in a `yield from` (its next
    /// instruction is `RESUME 2`).
    fn resumes_yield_from(&self, code: CodeId, pc: u32) -> bool {
        self.prog.codes[code as usize]
            .instrs
            .get(pc as usize)
            .is_some_and(|i| i.op == Opcode::RESUME && i.arg == 2)
    }

    /// `g.send(v)`, `g.throw(...)`, `g.close()`.
    pub fn generator_method(
        &mut self,
        attr: crate::vm::natives::AttrSym,
        recv: Value,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<crate::vm::call::Outcome> {
        use crate::vm::call::Outcome;
        use crate::vm::natives::AttrSym;
        let Value::Obj(gen) = recv else {
            return Err(Throw::type_error("not a generator"));
        };
        let name = attr.name();
        if !kw.is_empty() {
            return Err(Throw::type_error(format!(
                "generator.{name}() takes no keyword arguments"
            )));
        }
        match attr {
            AttrSym::send => match args {
                [v] => Ok(Outcome::Resume(gen, *v, GenThen::Value)),
                _ => Err(Throw::type_error(format!(
                    "generator.send() takes exactly one argument ({} given)",
                    args.len()
                ))),
            },
            AttrSym::close => {
                if !args.is_empty() {
                    return Err(Throw::type_error(format!(
                        "generator.close() takes no arguments ({} given)",
                        args.len()
                    )));
                }
                let exc = self.rt.exception_object(Throw::NewArgs {
                    kind: ExcKind::GeneratorExit,
                    args: Vec::new(),
                })?;
                Ok(Outcome::Throw(gen, exc, GenThen::Close))
            }
            AttrSym::throw => {
                let (typ, val) = match args {
                    [t] => (*t, Value::None),
                    [t, v] | [t, v, _] => (*t, *v),
                    _ => {
                        return Err(Throw::type_error(format!(
                            "throw expected at least 1 argument, got {}",
                            args.len()
                        )))
                    }
                };
                let exc = self.exception_to_throw(typ, val)?;
                Ok(Outcome::Throw(gen, exc, GenThen::Value))
            }
            _ => Err(Throw::new(
                ExcKind::AttributeError,
                format!("'generator' object has no attribute '{name}'"),
            )),
        }
    }

    /// The exception object `throw(typ[, val])` raises: an instance as it is, a class called
    /// (with `val` as its argument unless None).
    fn exception_to_throw(&mut self, typ: Value, val: Value) -> PyResult<ObjId> {
        match typ {
            Value::Obj(id) if matches!(self.rt.heap.get(id), Obj::Exception(_)) => Ok(id),
            Value::ExcType(kind) => {
                let args = if val == Value::None {
                    vec![]
                } else {
                    vec![val]
                };
                self.rt.exception_object(Throw::NewArgs { kind, args })
            }
            Value::Obj(id) if matches!(self.rt.heap.get(id), Obj::Class(_)) => self.raise_class(id),
            _ => Err(Throw::type_error(format!(
                "exceptions must be classes or instances deriving from BaseException, not {}",
                crate::vm::ops::type_name(&self.rt, typ)
            ))),
        }
    }
}
