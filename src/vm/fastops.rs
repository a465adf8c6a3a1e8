//! The common cases of comprehension, container and formatting instructions inside the hot
//! loop (issue 21): `LIST_APPEND`, `BUILD_LIST`/`BUILD_TUPLE`, `BUILD_SLICE`, `GET_ITER`,
//! `FOR_ITER` over a list or tuple, `UNARY_NEGATIVE`/`UNARY_NOT`, `IS_OP`, `CONTAINS_OP`,
//! `BUILD_STRING`, `FORMAT_VALUE` and int `*`, `%`, `//`.
//!
//! Each helper does exactly what `slow_op` does for the values it takes — the same objects,
//! allocated with the same sizes (so the heap's accounting, and with it every collection,
//! falls where it did), the same errors — so outputs, schedules and traces cannot tell the two
//! paths apart. What they save is the round trip out of `Vm::hot` and back through
//! `run_slice` (≈100–200 x86 instructions), which these instructions paid on every
//! execution. `Vm::hot` keeps anything unusual (special methods, generators, checks the
//! check-then-act detector watches) on the slow path.

use crate::vm::heap::Obj;
use crate::vm::ops;
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt};

/// `x op y` for the int operators the hot loop's own `+`/`-` leave out: `*`, `%` and `//`
/// (and their in-place forms), when the result is an int that fits; `None` sends the
/// operation to `ops::binary_op` (overflow, a zero divisor, other operators).
#[inline(always)]
pub(crate) fn int_mul_mod(op: u32, x: i64, y: i64) -> Option<i64> {
    match op {
        // `*`, `*=`
        5 | 18 => x.checked_mul(y),
        // `%`, `%=`: the sign of the divisor, as Python's.
        6 | 19 if y != 0 => {
            let r = x.checked_rem(y)?;
            Some(if r != 0 && ((r < 0) != (y < 0)) {
                r + y
            } else {
                r
            })
        }
        // `//`, `//=`: rounds toward minus infinity.
        2 | 15 if y != 0 => {
            let q = x.checked_div(y)?;
            let r = x - q * y;
            Some(if r != 0 && ((r < 0) != (y < 0)) {
                q - 1
            } else {
                q
            })
        }
        _ => None,
    }
}

/// `LIST_APPEND` (a comprehension's `[... for ...]`): a push when the list has room, else
/// `ops::list_push`, which grows it and charges the heap as the slow path does.
#[inline(never)]
pub(crate) fn list_append(rt: &mut Rt, list: Value, v: Value) -> PyResult<()> {
    if let Value::Obj(id) = list {
        if let Some(Obj::List(items)) = rt.heap.slot_mut(id) {
            if items.len() < items.capacity() {
                items.push(v);
                return Ok(());
            }
        }
        return ops::list_push(rt, id, v);
    }
    Ok(())
}

/// `BUILD_LIST n` / `BUILD_TUPLE n` of `items` (the top `n` values): a new list or tuple,
/// its `Vec` of exactly `n` as `slow_op`'s `split_off` makes it.
#[inline(never)]
pub(crate) fn build_seq(rt: &mut Rt, list: bool, items: &[Value]) -> PyResult<Value> {
    let v = items.to_vec();
    rt.alloc(if list { Obj::List(v) } else { Obj::Tuple(v) })
}

/// `FOR_ITER`'s next value for an iterator that is not a range (the hot loop does those
/// itself): a list's or tuple's iterator read in place, anything else through
/// `ops::iter_next`.
#[inline(never)]
pub(crate) fn iter_next(rt: &mut Rt, it: Value) -> PyResult<Option<Value>> {
    if let Value::Obj(id) = it {
        if let Some(Obj::SeqIter { seq, index }) = *rt.heap.slot_mut(id) {
            let item = match rt.heap.get(seq) {
                Obj::List(v) | Obj::Tuple(v) => v.get(index).copied(),
                _ => None,
            };
            if let Some(Obj::SeqIter { index, .. }) = rt.heap.slot_mut(id) {
                // Once exhausted, stay exhausted even if the list grows later (as CPython
                // and `ops::iter_next`).
                *index = if item.is_some() {
                    *index + 1
                } else {
                    usize::MAX
                };
            }
            return Ok(item);
        }
    }
    ops::iter_next(rt, it)
}

/// `BUILD_STRING n` when every part is a str (always, as the compiler emits it: each part is
/// a constant or a `FORMAT_VALUE`); `None` otherwise, for the slow path.
#[inline(never)]
pub(crate) fn build_string(rt: &mut Rt, parts: &[Value]) -> PyResult<Option<Value>> {
    let mut total = 0usize;
    for &p in parts {
        match rt.as_str(p) {
            Some(s) => total = total.saturating_add(s.len()),
            None => return Ok(None),
        }
    }
    rt.ensure_room(total)?;
    let mut s = crate::vm::memory::string_with_capacity(total)?;
    for &p in parts {
        s.push_str(rt.as_str(p).unwrap_or(""));
    }
    rt.new_str(s).map(Some)
}

/// `FORMAT_VALUE` (`f"{v}"`, `f"{v!r}"`, `f"{v:>6}"`) when no class defines `__str__` or
/// `__repr__` (`Rt::str_dunders`, which the hot loop tests): `format::format_value`, as the
/// slow path calls it, with a short spec copied to the stack instead of a `String`.
#[inline(never)]
pub(crate) fn format_value(
    rt: &mut Rt,
    arg: u32,
    v: Value,
    spec: Option<Value>,
) -> PyResult<Value> {
    use crate::bytecode::{FVC_ASCII, FVC_REPR, FVC_STR};
    let conv = match arg & 3 {
        FVC_STR => Some('s'),
        FVC_REPR => Some('r'),
        FVC_ASCII => Some('a'),
        _ => None,
    };
    let mut buf = [0u8; 32];
    let spec_text = spec.and_then(|s| rt.as_str(s)).unwrap_or("");
    let s = if spec_text.len() <= buf.len() {
        let n = spec_text.len();
        buf[..n].copy_from_slice(spec_text.as_bytes());
        // The bytes of a `str`'s prefix of whole characters: valid UTF-8.
        let spec = std::str::from_utf8(&buf[..n]).unwrap_or("");
        crate::vm::format::format_value(rt, v, conv, spec)?
    } else {
        let spec = spec_text.to_string();
        crate::vm::format::format_value(rt, v, conv, &spec)?
    };
    rt.new_str(s)
}
