//! ld3: built-in method calls on exact containers without the general method machinery
//! (issue 21).
//!
//! `Vm::hot` already runs `LOAD_METHOD` and `CALL` of a built-in method of a list, dict,
//! str, tuple or set inside the loop (`Vm::hot_load_method`, `Vm::hot_call_method`), with no
//! bound-method object: `LOAD_METHOD` pushes a `Value::Method` (the receiver's type and the
//! attribute) and the receiver. What both still went through was the general code:
//! `load_method` (the `sys.stdout`/`bit_length` special cases, `lookup_method`'s type
//! dispatch) and `call_method` (the type dispatch, the keyword check, the argument-count
//! check with its message, the look-up closure). For `counts.get(w, 0)` that was ≈320 x86
//! instructions of which the dict look-up itself was ≈110.
//!
//! Here, each answers directly for the commonest shapes and returns `None` for anything
//! else, which then takes the general path unchanged:
//!
//! - [`method_of_container`]: `LOAD_METHOD name` on a list, dict, str, tuple or set whose
//!   type has the method — the same `MethodId` `load_method` finds, from one heap read.
//! - [`call_method_fast`]: `d.get(k)` / `d.get(k, default)` and `lst.append(x)` with the
//!   right number of arguments: the same look-up (`ops::dict_get`, whose errors — an
//!   unhashable key's `TypeError` — are `dict_method`'s) and the same push
//!   (`ops::list_push`, which charges the heap as `list_method` does). A wrong argument count
//!   goes to `call_method` for its message.
//!
//! - [`dict_hint`]: where `d.get(k)` found `k`, so that the store which follows it in
//!   `d[k] = d.get(k, 0) + 1` (`vm::subscr`) tries that entry first instead of hashing and
//!   probing again. It is only a hint: the store uses it only when the entry at that
//!   position of *that* dict is live and holds an equal key (a dict has one entry per key),
//!   so any write in between — a deletion, a compaction, another dict reusing the id — makes
//!   it miss, and the store looks the key up as before.
//!
//! Neither changes what a detector sees: the caller (`Vm::hot`'s `CALL` arm) records the
//! lost-update read of `d.get(k)` (`call_reads.rs`) before the call, as before, and the
//! instruction sequence is the same.

use std::cell::Cell;

use crate::vm::heap::Obj;
use crate::vm::methods;
use crate::vm::natives::{AttrSym, MethodId, TypeTag};
use crate::vm::ops;
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt};

thread_local! {
    /// (dict id, entry position) of the last key `d.get(k)` found ([`dict_hint`]).
    static DICT_HINT: Cell<(u32, u32)> = const { Cell::new((u32::MAX, 0)) };
}

/// (dict id, entry position) where the last `d.get(k)` found its key: a guess to verify.
#[inline]
pub(crate) fn dict_hint() -> (u32, u32) {
    DICT_HINT.with(Cell::get)
}

/// The built-in method `obj.attr` when `obj` is a list, dict, str, tuple or set that has it
/// (what `load_method` answers for it); `None` for anything else.
#[inline]
pub(crate) fn method_of_container(rt: &Rt, obj: Value, attr: AttrSym) -> Option<MethodId> {
    let Value::Obj(id) = obj else { return None };
    let ty = match rt.heap.get(id) {
        Obj::List(_) => TypeTag::List,
        Obj::Dict(_) => TypeTag::Dict,
        Obj::Str(_) => TypeTag::Str,
        Obj::Tuple(_) => TypeTag::Tuple,
        Obj::Set(_) => TypeTag::Set,
        _ => return None,
    };
    methods::has_method(ty, attr).then_some(MethodId { ty, attr })
}

/// `recv.m(*args)` (positional arguments only) for `dict.get` and `list.append` called as
/// `call_method` would call them; `None`: not one of those shapes, nothing done.
#[inline]
pub(crate) fn call_method_fast(
    rt: &mut Rt,
    m: MethodId,
    recv: Value,
    args: &[Value],
) -> Option<PyResult<Value>> {
    let Value::Obj(id) = recv else { return None };
    match (m.ty, m.attr, args) {
        (TypeTag::Dict, AttrSym::get, [k, rest @ ..]) if rest.len() <= 1 => {
            let Obj::Dict(d) = rt.heap.get(id) else {
                return None;
            };
            let default = rest.first().copied().unwrap_or(Value::None);
            // `ops::dict_get`, keeping the position for the store that may follow.
            Some(ops::dict_index_of(rt, d, *k).map(|found| {
                match found.and_then(|i| Some((i, d.get_index(i)?.1 .1))) {
                    Some((i, v)) => {
                        DICT_HINT.with(|h| h.set((id.0, i as u32)));
                        v
                    }
                    None => default,
                }
            }))
        }
        (TypeTag::List, AttrSym::append, [x]) => {
            if !matches!(rt.heap.get(id), Obj::List(_)) {
                return None;
            }
            Some(ops::list_push(rt, id, *x).map(|()| Value::None))
        }
        _ => None,
    }
}
