//! Calls of built-in functions inside the hot loop (issue 21): `len(x)`, `abs(n)`,
//! `isinstance(x, C)`, `str(i)`, `min(a, b)`, `sorted(xs)`, `range(n)`, `random.randint(1, 6)`…
//!
//! A built-in function call used to leave `hot` for `run_slice`, `slow_op`, `do_call` and
//! `call_value` before reaching `builtins::call_builtin`: ≈840 x86 instructions for `len(w)`
//! (callgrind), where the call itself is ≈20. The hot loop's `CALL` now calls
//! `call_builtin` directly for the natives listed in [`hot_native`], under the terms on
//! which `call_value` would reach it with nothing else to do first:
//!
//! - positional arguments only (no `KW_NAMES`), so `key_function_call` (a `key=`) has nothing
//!   to do;
//! - no argument is a generator (`iteration_native` takes `sum(g)`, `list(g)`, …, and
//!   `enumerate(g)`, `map(f, xs)` make generators of their own);
//! - once a class defines special methods (`Rt::user_dunders`), no argument is an instance
//!   (`dunder_native` takes `len(obj)`, `abs(obj)`, `list(obj)` with `__iter__`), and never
//!   `sum`, `sorted`, `min`, `max`, `all` or `any`, which look for instances inside a list or
//!   tuple; once
//!   one defines `__str__`/`__repr__` (`Rt::str_dunders`), never `str` or `repr`, which
//!   `dunder_builtin` takes for an instance or a container holding one;
//! - the native is none of those `call_value` sends elsewhere in any case: no thread or sync
//!   object (`is_vm_native`), no class machinery (`is_class_native`), no iteration helper
//!   (`is_iteration_native`), not `hasattr`; and it never blocks, reads the clock or calls
//!   Python code;
//! - and, as for built-in methods (`Vm::hot_method_ok`), not under `--races`, not for a call
//!   the check-then-act detector watches (a check, `if len(w) > 3:`, once a second thread
//!   exists, as `Vm::cta_call_check` records one only then; or any call while one is armed).
//!
//! `int(s)` is left to the slow path, where exc4's `call_builtin_fast` unwinds its
//! `ValueError` to a handler without a round trip (`vm::raise_fast`). The collector runs only
//! at a loop's back edge, in `hot` as before, so allocations made here change nothing of its
//! timing: objects, their fake addresses, outputs and schedules are those of the slow path.

use crate::vm::builtins;
use crate::vm::dunder::is_instance;
use crate::vm::generator::any_generator;
use crate::vm::machine::Vm;
use crate::vm::natives::NativeId;
use crate::vm::sync::Site;
use crate::vm::value::Value;
use crate::vm::PyResult;

/// The natives `hot` may call itself (the module note): `call_builtin` does all of their work.
const HOT_NATIVES: &[NativeId] = {
    use NativeId::*;
    &[
        Len, Abs, Ord, Chr, Str, Repr, Bool, Float, Round, Divmod, Pow, Hash, Id, Callable,
        Isinstance, Issubclass, Min, Max, Sum, Sorted, Reversed, All, Any, Range, Enumerate, Zip,
        List, Tuple, Set, FrozenSet, Dict, Hex, Oct, Bin, Random, Randint, Randrange, Choice,
        Uniform,
    ]
};

/// [`HOT_NATIVES`] by `NativeId`: one load where a `match` over its 39 variants was a call.
static IS_HOT_NATIVE: [bool; NativeId::ALL.len()] = {
    let mut t = [false; NativeId::ALL.len()];
    let mut i = 0;
    while i < HOT_NATIVES.len() {
        t[HOT_NATIVES[i] as usize] = true;
        i += 1;
    }
    t
};

/// Whether `hot` may call native `id` itself (the module note).
#[inline(always)]
pub(crate) fn hot_native(id: NativeId) -> bool {
    IS_HOT_NATIVE[id as usize]
}

impl Vm {
    /// The call of native `id` with positional `args` at `site`, as `call_value` makes it,
    /// when `hot` may make it (the module note: `check` is the instruction's check-then-act
    /// flag, which counts once a second thread exists); `None` (nothing done) otherwise. Out
    /// of line with its tests, so that `hot`'s `CALL` arm stays small (its registers are the
    /// counter loop's).
    #[inline(never)]
    pub(crate) fn hot_call_native(
        &mut self,
        id: NativeId,
        check: bool,
        site: Site,
        args: &[Value],
    ) -> Option<PyResult<Value>> {
        // `len(x)`/`abs(x)` of an instance: its special method's frame, entered below
        // `hot`'s arms (`Vm::hot_operator`), or the slow path.
        if let [x] = args {
            if self.rt.user_dunders
                && !(check && self.threads.len() > 1)
                && self.native_special(id, *x)
            {
                return Some(Err(crate::vm::Throw::Operator));
            }
        }
        if !hot_native(id)
            || (check && self.threads.len() > 1)
            || any_generator(&self.rt, args)
            || (self.rt.str_dunders && matches!(id, NativeId::Str | NativeId::Repr))
            || (self.rt.user_dunders
                && (matches!(
                    id,
                    NativeId::Sum
                        | NativeId::Sorted
                        | NativeId::Min
                        | NativeId::Max
                        | NativeId::All
                        | NativeId::Any
                ) || args.iter().any(|&a| is_instance(&self.rt, a))))
            || self.items.wholes
            || self.cta.armed(self.current)
        {
            return None;
        }
        if site.code < self.prelude.start {
            self.call_site = site;
        }
        // `len(x)`, the commonest, without `call_builtin`'s dispatch.
        if let (NativeId::Len, &[v]) = (id, args) {
            return Some(crate::vm::ops::len_of(&self.rt, v).map(|n| Value::Int(n as i64)));
        }
        let r = builtins::call_builtin(&mut self.rt, id, args, &[]);
        if let (NativeId::Range, Ok(v)) = (id, &r) {
            // `Instr::with_next`: a `CALL` followed by `GET_ITER` (`mark_fused_runs`).
            let code = &self.prog.codes[site.code as usize];
            if code
                .instrs
                .get(site.pc as usize)
                .is_some_and(|i| i.with_next)
            {
                self.range_feeds_iter(*v);
            }
        }
        Some(r)
    }

    /// A `range(…)` just made by a `CALL` whose next instruction is `GET_ITER`
    /// (`Instr::with_next`) — a `for` loop over it, a comprehension's: nothing else can ever
    /// see the range, so its object becomes the iterator at once and `GET_ITER` passes it
    /// through (an iterator's `iter()` is itself). One object instead of two for every loop:
    /// the range was garbage from its first instruction, kept until the next collection (a
    /// thread running `for _ in range(n)` left two objects, 144 bytes of heap slots, behind).
    /// Called by `hot` and by the slow path's `CALL` alike, each having tested the flag, so
    /// both make the same objects in the same slots.
    #[inline(never)]
    pub(crate) fn range_feeds_iter(&mut self, v: Value) {
        if let Value::Obj(id) = v {
            let obj = self.rt.heap.get_mut(id);
            if let crate::vm::heap::Obj::Range { start, stop, step } = *obj {
                *obj = crate::vm::heap::Obj::RangeIter {
                    cur: start,
                    stop,
                    step,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No native `hot` calls is one `call_value` would send anywhere but `call_builtin`.
    #[test]
    fn hot_natives_are_plain_builtins() {
        for &id in NativeId::ALL {
            if hot_native(id) {
                assert!(!id.is_class_native(), "{id:?} is a class native");
                assert!(!id.is_iteration_native(), "{id:?} is an iteration native");
                assert!(
                    !crate::vm::threading::is_vm_native(id),
                    "{id:?} is a VM native"
                );
                assert!(!matches!(
                    id,
                    NativeId::Hasattr | NativeId::Int | NativeId::Print
                ));
            }
        }
    }
}
