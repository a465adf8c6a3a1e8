//! Operators on instances inside the hot loop (issue 21, seventh round): `v + w` through
//! `__add__` and `v == w` through `__eq__` call their special method and take its return
//! value without leaving `hot`.
//!
//! Before, `hot` sent such a `BINARY_OP` or `COMPARE_OP` to the slow path, which chose the
//! method (`Vm::binary_dunder`, `Vm::compare_dunder`), allocated the `Obj::DunderCall` marker
//! that says what becomes of its result, pushed its frame through the general `do_call`, and
//! the method's `RETURN_VALUE` went to the slow path again (`return_value`, `finish_dunder`):
//! about 1,100 x86 instructions more than the same method called as `v.add(w)` (callgrind).
//!
//! As `vm::fastcall`'s helpers, [`Vm::hot_operator`] does exactly what the slow path does in
//! the case it takes — the same method chosen by the same rules, the same marker allocated in
//! the same heap slot, the same frame at the same stack position, the same caller pc and
//! call site — and answers "not here" (changing nothing) otherwise. The case: the left
//! operand's class defines the forward method (or, for `+=`, the in-place one) as a Python
//! function taking exactly `(self, other)`, no subclass's reflected method comes first, and
//! neither operand is a dataclass instance with generated comparisons. [`Vm::marker_return`]
//! is the return side: a result that is not `NotImplemented` is the operation's result, as
//! `finish_dunder` pushes it; `NotImplemented` (the next method to try) takes the slow path.
//! `len(x)`/`abs(x)` through `__len__`/`__abs__` and `obj[i]` through `__getitem__` are entered
//! the same way; a property's accessor shares the frame push (`Vm::push_called_frame`).

use crate::bytecode::{Opcode, Program};
use crate::vm::dunder::{self, Then};
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::NativeId;
use crate::vm::thread::Frames;
use crate::vm::value::{ObjId, Value};

impl Vm {
    /// `hot`'s `BINARY_OP` or `COMPARE_OP` before `caller_pc` of code `caller_code`, its
    /// operands popped (still in stack slots `sp` and `sp + 1`), the left one an instance;
    /// or its `CALL` of `len(x)`/`abs(x)` on an instance (`hot_call_native` said so; the
    /// built-in and `x` in slots `sp - 2` and `sp - 1`); or its `BINARY_SUBSCR` with an
    /// instance operand while some class defines an item special method (`hot_subscr`
    /// said so; the operands popped, at `sp` and `sp + 1`): the special method's frame entered
    /// ([`Vm::enter_special`]; the new frame's stack pointer is its base plus its locals),
    /// `None`; else, nothing changed, how many operands to put back for the slow path.
    #[inline(never)]
    pub(crate) fn hot_operator(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
        prog: &Program,
        caller_code: u32,
        caller_pc: usize,
        sp: usize,
    ) -> Option<usize> {
        let ins = prog.codes[caller_code as usize].instrs[caller_pc - 1];
        // Each case: entered, `None`; else the operands to put back for the slow path.
        match ins.op {
            Opcode::CALL => {
                let at = sp - 2;
                let x = stack[at + 1];
                let choice = match stack[at] {
                    Value::Native(id) => self.native_choice(id, x),
                    _ => None,
                };
                let Some((f, then)) = choice else {
                    return Some(0);
                };
                let entered = self.enter_special(
                    stack,
                    frames,
                    prog,
                    caller_code,
                    caller_pc,
                    at,
                    f,
                    then,
                    &[x],
                );
                (!entered).then_some(0)
            }
            // `obj[i]` (popped, at `sp` and `sp + 1`): the slow path's first choice, the
            // container's `__getitem__`; anything else (a dict key's `__hash__`) the slow path.
            Opcode::BINARY_SUBSCR => {
                let (obj, index) = (stack[sp], stack[sp + 1]);
                let getitem = self.rt.special.getitem;
                let Ok(Some(f)) = self.special_method(obj, getitem) else {
                    return Some(2);
                };
                let args = [obj, index];
                let entered = self.enter_special(
                    stack,
                    frames,
                    prog,
                    caller_code,
                    caller_pc,
                    sp,
                    f,
                    Then::Value,
                    &args,
                );
                (!entered).then_some(2)
            }
            op => {
                let (a, b) = (stack[sp], stack[sp + 1]);
                let choice = if op == Opcode::COMPARE_OP {
                    self.compare_choice(ins.arg, a, b)
                } else {
                    self.binary_choice(ins.arg, a, b)
                };
                let Some((f, then)) = choice else {
                    return Some(2);
                };
                let entered = self.enter_special(
                    stack,
                    frames,
                    prog,
                    caller_code,
                    caller_pc,
                    sp,
                    f,
                    then,
                    &[a, b],
                );
                (!entered).then_some(2)
            }
        }
    }

    /// Special method `f` called for the instruction before `caller_pc` of code
    /// `caller_code` with `args` (an operator's `(self, other)`, a built-in's `(self,)`),
    /// their values at stack slot `at` on, as the slow path's `call_dunder` calls it
    /// with `then`: its marker (none for `Then::Value`), its frame with its locals from `at`
    /// (where the result goes), the caller's pc and the call site saved. `false` (nothing
    /// changed): the slow path, for anything but a Python function taking exactly these
    /// arguments, the recursion limit, and the detectors' bookkeeping.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn enter_special(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
        prog: &Program,
        caller_code: u32,
        caller_pc: usize,
        at: usize,
        f: Value,
        then: Then,
        args: &[Value],
    ) -> bool {
        let Value::Obj(fid) = f else { return false };
        let Some((code_id, nlocals, stacksize)) = self.exact_callee(prog, frames, fid, args.len())
        else {
            return false;
        };
        let need = at + nlocals + stacksize + 1;
        // `call_dunder`: the marker first (a full heap: the slow path raises the MemoryError).
        let func = match then {
            Then::Value => Value::Obj(fid),
            _ => match self.rt.heap.alloc(Obj::DunderCall { func: fid, then }) {
                Ok(m) => Value::Obj(m),
                Err(_) => return false,
            },
        };
        // The arguments move down over the callee's slot (a built-in's call), as `do_call`
        // moves them; an operator's are in place already.
        self.push_called_frame(
            stack,
            frames,
            caller_code,
            caller_pc,
            at,
            args,
            code_id,
            need,
            nlocals,
            func,
        );
        true
    }

    /// `hot_call_native`: whether `hot`'s `CALL` of built-in `id` on one instance `x` is one
    /// that [`Vm::hot_operator`] may enter (`dunder_native`'s `len(x)` and `abs(x)`).
    #[inline]
    pub(crate) fn native_special(&self, id: NativeId, x: Value) -> bool {
        matches!(id, NativeId::Len | NativeId::Abs) && dunder::is_instance(&self.rt, x)
    }

    /// `Vm::dunder_native`'s choice for `len(x)` and `abs(x)`: the method and its `Then`.
    fn native_choice(&mut self, id: NativeId, x: Value) -> Option<(Value, Then)> {
        let (len, abs) = (self.rt.special.len, self.rt.special.abs);
        match id {
            NativeId::Len => self.special_method(x, len).ok()?.map(|f| (f, Then::Len)),
            NativeId::Abs => self.special_method(x, abs).ok()?.map(|f| (f, Then::Value)),
            _ => None,
        }
    }

    /// `dunder::method` through the attribute cache (`Vm::special_cached`): special method
    /// `name` of `v`'s class when `v` is an instance, `Ok(None)` when the class has none,
    /// `Err(())` when it has one that is no Python function (the slow path's case).
    /// `class_lookup`'s walk of the MRO and its namespace probe were ≈90 x86 instructions of
    /// each operator on an instance.
    #[inline(always)]
    fn special_method(&mut self, v: Value, name: u32) -> Result<Option<Value>, ()> {
        if !self.rt.user_dunders || name == u32::MAX {
            return Ok(None);
        }
        let Value::Obj(id) = v else { return Ok(None) };
        let Obj::Instance(inst) = self.rt.heap.get(id) else {
            return Ok(None);
        };
        let cls = inst.class;
        Ok(self.special_cached(cls, name)?.map(Value::Obj))
    }

    /// `Vm::binary_dunder`'s choice when it is the left operand's own method (forward, or
    /// in-place for an augmented operator) with `(a, b)`: the method and its marker's `Then`.
    #[inline(always)]
    fn binary_choice(&mut self, op: u32, a: Value, b: Value) -> Option<(Value, Then)> {
        let [fwd, refl, inplace] = self.rt.special.binary[(op % 13) as usize];
        if op >= 13 {
            if let Some(f) = self.special_method(a, inplace).ok()? {
                let then = Then::Binary { op, a, b, stage: 0 };
                return Some((f, then));
            }
        }
        if dunder::subclass_reflected(&self.rt, a, b, refl).is_some() {
            return None;
        }
        let f = self.special_method(a, fwd).ok()??;
        Some((f, Then::Binary { op, a, b, stage: 1 }))
    }

    /// `Vm::compare_dunder`'s choice when it is the left operand's own method with `(a, b)`.
    #[inline(always)]
    fn compare_choice(&mut self, op: u32, a: Value, b: Value) -> Option<(Value, Then)> {
        if self.rt.any_dataclass {
            let is_dc = |v| crate::vm::dataclass::info_of(&self.rt, v).is_some();
            if is_dc(a) || is_dc(b) {
                return None;
            }
        }
        if dunder::base_of_subclass(&self.rt, a, b).is_some() {
            return None;
        }
        let (name, eq) = (
            self.rt.special.compare[op as usize],
            self.rt.special.compare[2],
        );
        let (f, negate) = match self.special_method(a, name).ok()? {
            Some(f) => (f, false),
            // `!=` through `__eq__`, negated (`Vm::compare_method`).
            None if op == 3 => (self.special_method(a, eq).ok()??, true),
            None => return None,
        };
        let then = Then::Compare {
            op,
            a,
            b,
            reflected: false,
            negate,
            sub_first: false,
        };
        Some((f, then))
    }

    /// `RETURN_VALUE` of `v` from a frame whose function is `f`, in `hot`: what the caller
    /// receives when `f` is the marker of an `__init__` run by instantiation (not by
    /// `raise C`) and `v` is `None` (the instance), or of an operator's special method that
    /// did not return `NotImplemented` (`v`, negated for `!=` through `__eq__`). Anything else
    /// (an error to raise, the next method to try, a plain function): `None`.
    #[inline(never)]
    pub(crate) fn marker_return(&self, f: ObjId, v: Value) -> Option<Value> {
        match self.rt.heap.get(f) {
            Obj::InitCall {
                inst,
                raise_it: None,
                ..
            } if v == Value::None => Some(*inst),
            Obj::DunderCall { then, .. } => match *then {
                _ if v == Value::Native(NativeId::NotImplemented) => None,
                Then::Binary { .. } => Some(v),
                Then::Compare { negate: false, .. } => Some(v),
                Then::Compare { negate: true, .. } => {
                    Some(Value::Bool(!crate::vm::ops::truthy(&self.rt, v)))
                }
                // `len(x)`: an int ≥ 0 (else the slow path's error).
                Then::Len => match v {
                    Value::Int(n) if n >= 0 => Some(v),
                    Value::Bool(b) => Some(Value::Int(b as i64)),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
    }
}
