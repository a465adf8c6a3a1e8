//! Built-ins that consume a generator, driven natively (issue 21, gen4): `sum`, `any`,
//! `all`, `min`/`max` (without `key=`), `list`, and — collecting the items into a list for
//! them — `tuple`, `set`, `frozenset`, `dict`, `sorted`, `deque` and methods such as
//! `"-".join(g)` or `xs.extend(g)`.
//!
//! Before, these handed a generator to the prelude (`sum_iter`, `any_iter`, …,
//! `call_with_lists_kw`): a Python loop of about 7 VM instructions per item, each a switch
//! point, around the generator's own resume and yield. In CPython they are C functions: only
//! the generator's bytecode runs. Now the call resumes the generator once with a
//! [`GenThen::Consume`]; each `YIELD_VALUE` of that generator hands its value to
//! [`Vm::consume_feed`] (the accumulation in Rust) and the generator goes straight on, its
//! frame never left — `None` is what the `yield` expression gives, as `next()` sends — so
//! only the generator's own instructions run, switch points exactly as in CPython
//! (`Vm::hot` does this in place, `gen_yield` on the slow path). When the generator returns,
//! [`Vm::consume_finish`] pushes the built-in's result in the caller's frame; an exception
//! leaves the generator's frame into the caller's `CALL`, so the traceback is CPython's (no
//! prelude frame). `any`/`all` stopping early, or an error of the accumulation (`1 + "a"`),
//! leave the generator suspended at that `yield`, as CPython leaves it.
//!
//! An item whose `+`, comparison or truth value needs a special method (only once a class
//! defines one, `Rt::user_dunders`) cannot be handled in Rust: the generator is suspended at
//! that yield and the rest is the prelude's (`sum_rest`, `any_rest`, `all_rest`,
//! `min_max_rest`, given the state so far and the item).

use crate::vm::dunder::Then;
use crate::vm::exceptions::ExcKind;
use crate::vm::generator::{gen_mut, Consume, GenThen};
use crate::vm::heap::Obj;
use crate::vm::interp::CallDone;
use crate::vm::machine::Vm;
use crate::vm::prelude::PreludeFn;
use crate::vm::thread::Frames;
use crate::vm::value::{ObjId, Value};
use crate::vm::{ops, PyResult, Rt, Throw};

/// `BINARY_OP`'s `+` and `COMPARE_OP`'s `<` and `>`.
const ADD: u32 = 0;
const LT: u32 = 0;
const GT: u32 = 4;

/// What an item did to a consuming built-in ([`Vm::consume_feed`]).
pub(crate) enum Fed {
    /// Taken: the generator goes on, its `then` now this.
    More(GenThen),
    /// The built-in's result, before the generator's end (`any`/`all`).
    Stop(Value),
    /// The accumulation raised.
    Raise(Throw),
    /// The item needs a special method: the prelude takes over.
    Python,
}

/// Whether `v`'s `+`, comparison or truth value may need a special method.
fn needs_python(rt: &Rt, v: Value) -> bool {
    rt.user_dunders
        && matches!(v, Value::Obj(id)
            if !matches!(rt.heap.get(id), Obj::Str(_) | Obj::BigInt(_)))
}

impl Vm {
    /// The call of a consuming built-in: resumes generator `g` with what becomes of its
    /// items.
    pub(crate) fn consume_start(
        &mut self,
        g: Value,
        kind: Consume,
        acc: Value,
    ) -> PyResult<Option<crate::vm::call::Outcome>> {
        let Value::Obj(id) = g else { return Ok(None) };
        Ok(Some(crate::vm::call::Outcome::Resume(
            id,
            Value::None,
            GenThen::Consume { kind, acc },
        )))
    }

    /// `callee(*args)` with the generator `args[pos]` collected into a list first.
    pub(crate) fn consume_collect(
        &mut self,
        callee: Value,
        args: &[Value],
        pos: usize,
    ) -> PyResult<Option<crate::vm::call::Outcome>> {
        let Ok(p) = u8::try_from(pos) else {
            return Ok(None);
        };
        let items = self.rt.new_list(Vec::new())?;
        let mut state = Vec::with_capacity(args.len() + 2);
        state.push(items);
        state.push(callee);
        state.extend_from_slice(args);
        let state = self.rt.new_list(state)?;
        self.consume_start(args[pos], Consume::Collect { pos: p }, state)
    }

    /// Item `x` for a consuming built-in in state `kind`/`acc`. Changes nothing unless the
    /// answer is `More` (the hot loop asks, and leaves anything else to the slow path, which
    /// asks again).
    #[inline(never)]
    pub(crate) fn consume_feed(&mut self, kind: Consume, acc: Value, x: Value) -> Fed {
        let more = |acc| Fed::More(GenThen::Consume { kind, acc });
        match kind {
            Consume::Sum => {
                if needs_python(&self.rt, x) || needs_python(&self.rt, acc) {
                    return Fed::Python;
                }
                match ops::binary_op(&mut self.rt, ADD, acc, x) {
                    Ok(v) => more(v),
                    Err(t) => Fed::Raise(t),
                }
            }
            Consume::Any | Consume::All => match ops::truth(&self.rt, x) {
                None => Fed::Python,
                Some(b) if b == (kind == Consume::Any) => Fed::Stop(Value::Bool(b)),
                Some(_) => more(acc),
            },
            Consume::MinMax {
                max,
                seen,
                has_default,
            } => {
                if !seen {
                    return Fed::More(GenThen::Consume {
                        kind: Consume::MinMax {
                            max,
                            seen: true,
                            has_default,
                        },
                        acc: x,
                    });
                }
                if needs_python(&self.rt, x) || needs_python(&self.rt, acc) {
                    return Fed::Python;
                }
                let op = if max { GT } else { LT };
                match ops::compare(&mut self.rt, op, x, acc) {
                    Ok(r) if ops::truthy(&self.rt, r) => more(x),
                    Ok(_) => more(acc),
                    Err(t) => Fed::Raise(t),
                }
            }
            Consume::List => match crate::vm::fastops::list_append(&mut self.rt, acc, x) {
                Ok(()) => more(acc),
                Err(t) => Fed::Raise(t),
            },
            Consume::Collect { .. } => {
                let items = match acc {
                    Value::Obj(s) => match self.rt.heap.get(s) {
                        Obj::List(parts) => parts.first().copied(),
                        _ => None,
                    },
                    _ => None,
                };
                let Some(items) = items else {
                    return Fed::Raise(internal());
                };
                match crate::vm::fastops::list_append(&mut self.rt, items, x) {
                    Ok(()) => more(acc),
                    Err(t) => Fed::Raise(t),
                }
            }
        }
    }

    /// `YIELD_VALUE` of `v` on the slow path in generator `gen`'s frame (on top, `pc` past
    /// the instruction), which a built-in consumes (`kind`, `acc`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn consume_yield(
        &mut self,
        gen: ObjId,
        kind: Consume,
        acc: Value,
        v: Value,
        pc: usize,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
    ) -> PyResult<CallDone> {
        let fed = self.consume_feed(kind, acc, v);
        if let Fed::More(then) = fed {
            if let Some(g) = gen_mut(self, gen) {
                g.then = then;
            }
            if let Some(f) = frames.last_mut() {
                f.pc = pc as u32;
            }
            // What `next()` sends: the value of the `yield` expression.
            stack.push(Value::None);
            return Ok(CallDone::Frame);
        }
        // The built-in stops taking items: the generator is suspended at this yield (as
        // CPython leaves it), its frame popped, and `v` pushed for its resumer — taken back.
        if let Some(g) = gen_mut(self, gen) {
            g.then = GenThen::Value;
        }
        self.gen_yield(v, pc, stack, frames)?;
        stack.pop();
        match fed {
            Fed::Stop(r) => {
                stack.push(r);
                Ok(CallDone::Value)
            }
            Fed::Raise(t) => Err(t),
            Fed::Python | Fed::More(_) => {
                let g = Value::Obj(gen);
                let (f, args) = match kind {
                    Consume::Sum => (PreludeFn::ItSumRest, vec![g, acc, v]),
                    Consume::Any => (PreludeFn::ItAnyRest, vec![g, v]),
                    Consume::All => (PreludeFn::ItAllRest, vec![g, v]),
                    Consume::MinMax { max, seen, .. } => (
                        PreludeFn::ItMinMaxRest,
                        vec![g, Value::Bool(max), Value::Bool(seen), acc, v],
                    ),
                    Consume::List | Consume::Collect { .. } => return Err(internal()),
                };
                let f = self.prelude_function(f)?;
                self.call_dunder(stack, frames, f, &args, Then::Value)
            }
        }
    }

    /// The consumed generator returned (its frame gone, the caller's on top): the
    /// built-in's result.
    pub(crate) fn consume_finish(
        &mut self,
        kind: Consume,
        acc: Value,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
    ) -> PyResult<CallDone> {
        let r = match kind {
            Consume::Sum | Consume::List => acc,
            Consume::Any => Value::Bool(false),
            Consume::All => Value::Bool(true),
            Consume::MinMax {
                max,
                seen,
                has_default,
            } => {
                if !seen && !has_default {
                    let name = if max { "max" } else { "min" };
                    return Err(Throw::new(
                        ExcKind::ValueError,
                        format!("{name}() arg is an empty sequence"),
                    ));
                }
                acc
            }
            Consume::Collect { pos } => {
                let parts = match acc {
                    Value::Obj(s) => match self.rt.heap.get_mut(s) {
                        Obj::List(parts) => std::mem::take(parts),
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                let pos = pos as usize;
                let (Some(&items), Some(&callee)) = (parts.first(), parts.get(1)) else {
                    return Err(internal());
                };
                let mut args = parts[2..].to_vec();
                let Some(slot) = args.get_mut(pos) else {
                    return Err(internal());
                };
                *slot = items;
                return self.call_dunder(stack, frames, callee, &args, Then::Value);
            }
        };
        stack.push(r);
        Ok(CallDone::Value)
    }
}

#[cold]
fn internal() -> Throw {
    Throw::new(
        ExcKind::RuntimeError,
        "gilvm internal error: a consumed generator's state was lost",
    )
}
