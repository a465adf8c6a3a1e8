//! `sorted(iterable, key=f)` natively: decorate, sort, undecorate in Rust, with the key
//! function `f` called as a Python frame for each item (issue 21, comp2).
//!
//! The interpreter loop is never re-entered: the call of `sorted` pushes `f`'s frame for the
//! first item through [`Vm::call_dunder`] with a [`Then::SortKey`]; each time that frame
//! returns, [`Vm::sort_key_next`] stores the key and pushes the frame for the next item, and
//! after the last one sorts the items by their keys (`builtins::sort_with_keys`: Python's `<`
//! on the keys only, stable, `reverse` keeping equal keys in their order, as CPython's) and
//! pushes the new list as `sorted`'s result. When another item follows, the returned frame is
//! not even popped: `run_slice` sees the key function's `RETURN_VALUE` leave `hot` and
//! [`Vm::sort_key_again`] makes the same frame a fresh call on the next item (≈540 x86
//! instructions of `slow_op`, `return_value` and a frame push per item less). `hot` itself is
//! untouched: the same code in its `RETURN_VALUE` arm cost the programs that never sort
//! 1–3% out of line and 10–14% inline (docs/performance.md, ninth round). A key that raises
//! leaves through `sorted`'s call, whose traceback then reads as CPython's (the caller's
//! line, then the key function's).
//!
//! Before this, `sorted(key=)` ran the prelude's `sorted_key`, about 26 VM instructions per item
//! besides the key function's own (a tuple `(key(x), i, x)` per item, its append, the index,
//! and a comprehension taking the items back out). Now only the key function's instructions
//! are counted: a deliberate change of the instruction sequence, and so of the seeded
//! schedules, of programs that call `sorted` with a key (docs/performance.md, "Issue 21:
//! sorted, subscripts and string building").
//!
//! Taken when the key is a plain Python function (a `def` or a `lambda`), the iterable one whose
//! items Rust can read without running Python (a list, tuple, str, dict, set, frozenset, range
//! or dict view) and no class defines a special method (`Rt::user_dunders`: keys that are
//! instances may need `__lt__`). Anything else — a built-in key (`len`), a bound method, a
//! generator — still runs the prelude's `sorted_key`, as does `list.sort(key=)`, whose
//! `lst[:] = …` the race detector records as a write of the list.

use crate::vm::call::Outcome;
use crate::vm::dunder::Then;
use crate::vm::heap::Obj;
use crate::vm::interp::CallDone;
use crate::vm::machine::Vm;
use crate::vm::value::{ObjId, Value};
use crate::vm::{builtins, ops, PyResult, Throw};

impl Vm {
    /// `sorted(items, key=key, reverse=reverse)` natively, or `None` when it is not a case
    /// this takes (the caller then runs the prelude's `sorted_key`).
    pub(crate) fn sorted_key_native(
        &mut self,
        items: Value,
        key: Value,
        reverse: Value,
    ) -> PyResult<Option<Outcome>> {
        if self.rt.user_dunders {
            return Ok(None);
        }
        let Value::Obj(f) = key else { return Ok(None) };
        if !matches!(self.rt.heap.get(f), Obj::Function(_)) {
            return Ok(None);
        }
        let Value::Obj(src) = items else {
            return Ok(None);
        };
        let readable = matches!(
            self.rt.heap.get(src),
            Obj::List(_)
                | Obj::Tuple(_)
                | Obj::Str(_)
                | Obj::Dict(_)
                | Obj::Set(_)
                | Obj::FrozenSet(_)
                | Obj::Range { .. }
                | Obj::DictView { .. }
        );
        if !readable {
            return Ok(None);
        }
        // CPython's `reverse` is an int (`sorted(xs, key=f, reverse=[1])` is a TypeError).
        let reverse = match reverse {
            Value::Bool(b) => b,
            Value::Int(i) => i != 0,
            Value::Obj(id) if matches!(self.rt.heap.get(id), Obj::BigInt(_)) => true,
            _ => {
                return Err(Throw::type_error(format!(
                    "'{}' object cannot be interpreted as an integer",
                    ops::type_name(&self.rt, reverse)
                )))
            }
        };
        let snapshot = ops::collect_iterable(&mut self.rt, items)?;
        let Some(&first) = snapshot.first() else {
            return self
                .rt
                .new_list(Vec::new())
                .map(|v| Some(Outcome::Value(v)));
        };
        let n = snapshot.len();
        let Value::Obj(items) = self.rt.new_list(snapshot)? else {
            return Ok(None);
        };
        let Value::Obj(keys) = self.rt.new_list(crate::vm::memory::vec_with_capacity(n)?)? else {
            return Ok(None);
        };
        let then = Then::SortKey {
            func: f,
            items,
            keys,
            reverse,
        };
        Ok(Some(Outcome::Dunder(key, vec![first], then)))
    }

    /// The key function returned `key` for the next item of a `sorted(key=)` (its frame is
    /// gone): calls it on the item after, or sorts and pushes the result. `marker` is the
    /// returned frame's [`Obj::DunderCall`] when the caller knows it: nothing refers to it
    /// any more and it carries this same `then`, so the next key's frame takes it instead
    /// of a new one (one allocation per item less, and less for the collector to sweep).
    pub(crate) fn sort_key_next(
        &mut self,
        then: Then,
        key: Value,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        marker: Option<ObjId>,
    ) -> PyResult<CallDone> {
        let Then::SortKey {
            func,
            items,
            keys,
            reverse,
        } = then
        else {
            return Err(internal());
        };
        let next = {
            let Obj::List(ks) = self.rt.heap.get_mut(keys) else {
                return Err(internal());
            };
            ks.push(key);
            let done = ks.len();
            match self.rt.heap.get(items) {
                Obj::List(xs) => xs.get(done).copied(),
                _ => return Err(internal()),
            }
        };
        if let Some(x) = next {
            if let Some(done) = self.sort_key_frame(func, x, then, marker, stack, frames)? {
                return Ok(done);
            }
            return self.call_dunder(stack, frames, Value::Obj(func), &[x], then);
        }
        let mut sorted = self.take_list(items)?;
        let ks = self.take_list(keys)?;
        builtins::sort_with_keys(&self.rt, &mut sorted, ks, reverse)?;
        let out = self.rt.new_list(sorted)?;
        stack.push(out);
        Ok(CallDone::Value)
    }

    /// `RETURN_VALUE` left `hot` with the top frame's return value on the stack. When that
    /// frame is a native `sorted(key=)`'s key function (taken by [`Vm::sort_key_frame`]'s
    /// rules) and another item follows: stores the key, makes the frame's locals those of a
    /// call on that item (the item, then unbound) and answers the frame's stack pointer, for
    /// the frame to run again from its start — the frame `sort_key_next` would pop and push
    /// again through the slow path, with the same marker, base and depth. `None`, nothing
    /// changed, for anything else and for the last item (the sort, and its errors, stay on
    /// the slow path).
    pub(crate) fn sort_key_again(
        &mut self,
        stack: &mut [Value],
        frames: &crate::vm::thread::Frames,
    ) -> Option<usize> {
        let frame = frames.last()?;
        let Value::Obj(marker) = frame.func else {
            return None;
        };
        let Obj::DunderCall {
            func,
            then: Then::SortKey { items, keys, .. },
        } = *self.rt.heap.get(marker)
        else {
            return None;
        };
        let Obj::Function(f) = self.rt.heap.get(func) else {
            return None;
        };
        let code = &self.prog.codes[f.code as usize];
        if f.code != frame.code || !takes_one_item(code) {
            return None;
        }
        let next = match (self.rt.heap.get(items), self.rt.heap.get(keys)) {
            (Obj::List(xs), Obj::List(ks)) => xs.get(ks.len() + 1).copied()?,
            _ => return None,
        };
        let key = *stack.last()?;
        let base = frame.base as usize;
        let nl = code.nlocalsplus();
        let locals = stack.get_mut(base..base + nl)?;
        locals.fill(Value::Undef);
        locals[0] = next;
        if let Obj::List(ks) = self.rt.heap.get_mut(keys) {
            ks.push(key);
        }
        if self.cta.armed(self.current) {
            self.cta.returned(self.current, frame.base);
        }
        Some(base + nl)
    }

    /// The key function's frame for item `x`, pushed as [`Vm::call_dunder`] would push it
    /// (its marker allocated first, then `do_call`'s fast path: the one positional parameter
    /// in place, the other locals unbound, the stack's room reserved), without the general
    /// call's look-ups; `None` (nothing done) when the function needs `do_call`'s binding
    /// (defaults, `*args`, keyword-only parameters, another parameter count) (str3).
    fn sort_key_frame(
        &mut self,
        func: ObjId,
        x: Value,
        then: Then,
        reuse: Option<ObjId>,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
    ) -> PyResult<Option<CallDone>> {
        let Obj::Function(f) = self.rt.heap.get(func) else {
            return Ok(None);
        };
        let code_id = f.code;
        let code = &self.prog.codes[code_id as usize];
        if !takes_one_item(code) {
            return Ok(None);
        }
        let (nlocals, room) = (code.nlocalsplus(), code.stacksize as usize + 1);
        let marker = match reuse {
            Some(m) if matches!(self.rt.heap.get(m), Obj::DunderCall { func: g, .. } if *g == func) => {
                Value::Obj(m)
            }
            _ => self.rt.alloc(Obj::DunderCall { func, then })?,
        };
        if frames.len() >= self.config.recursion_limit {
            return Err(Throw::new(
                crate::vm::exceptions::ExcKind::RecursionError,
                "maximum recursion depth exceeded",
            ));
        }
        let base = stack.len();
        stack.push(x);
        stack.resize(base + nlocals.max(1), Value::Undef);
        stack.reserve(room);
        frames.push(crate::vm::thread::Frame {
            code: code_id,
            pc: 0,
            base: base as u32,
            func: marker,
            kwnames: u32::MAX,
        });
        Ok(Some(CallDone::Frame))
    }

    /// The items of a list this module made (and no one else can see), moved out.
    fn take_list(&mut self, id: ObjId) -> PyResult<Vec<Value>> {
        match self.rt.heap.get_mut(id) {
            Obj::List(xs) => Ok(std::mem::take(xs)),
            _ => Err(internal()),
        }
    }
}

/// Whether a key function's frame for an item is the item bound to its one positional
/// parameter and every other local unbound (no `*args`, `**kw` or keyword-only parameters to
/// bind): the frame `sort_key_frame` pushes and `sort_key_again` starts again.
fn takes_one_item(code: &crate::bytecode::CodeObject) -> bool {
    !code.has_varargs && !code.has_varkeywords && code.kwonlyargcount == 0 && code.argcount == 1
}

#[cold]
fn internal() -> Throw {
    Throw::new(
        crate::vm::exceptions::ExcKind::RuntimeError,
        "gilvm internal error: sorted(key=)'s state was lost",
    )
}
