//! Subscripts (`BINARY_SUBSCR`, `STORE_SUBSCR`, `DELETE_SUBSCR`): indexing and slicing of
//! lists, tuples, strings and ranges, and dict item access.
//!
//! Slice bounds follow CPython's `PySlice_Unpack` + `PySlice_AdjustIndices`: out-of-range bounds
//! clamp, so `a[-10**18:10**18]` is just `a[:]`; nothing here can index out of bounds.

use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::ops::{
    as_index, collect_iterable, ensure_items, hash_key, overflow, reserve_list, type_name,
};
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt, Throw};

/// `container[index]`.
pub fn getitem(rt: &mut Rt, container: Value, index: Value) -> PyResult<Value> {
    let Value::Obj(id) = container else {
        return Err(not_subscriptable(rt, container));
    };
    match (rt.heap.get(id), index) {
        (Obj::Deque(_), _) => return crate::vm::deque::getitem(rt, id, index),
        (Obj::List(v), Value::Int(i)) => {
            return norm(i, v.len())
                .map(|i| v[i])
                .ok_or_else(|| index_error("list index out of range"))
        }
        (Obj::Tuple(v), Value::Int(i)) => {
            return norm(i, v.len())
                .map(|i| v[i])
                .ok_or_else(|| index_error("tuple index out of range"))
        }
        (Obj::Dict(d), _) => {
            return match super::dict_get(rt, d, index)? {
                Some(v) => Ok(v),
                None => Err(key_error(index)),
            };
        }
        _ => {}
    }
    if let Some(i) = as_index(index) {
        return get_index(rt, id, container, i);
    }
    let slice = match index {
        Value::Obj(s) => match rt.heap.get(s) {
            Obj::Slice { start, stop, step } => Some((*start, *stop, *step)),
            _ => None,
        },
        _ => None,
    };
    match slice {
        Some(parts) => get_slice(rt, id, container, parts),
        None => Err(bad_index(rt, container, index)),
    }
}

/// `container[index] = value`.
pub fn setitem(rt: &mut Rt, container: Value, index: Value, value: Value) -> PyResult<()> {
    let Value::Obj(id) = container else {
        return Err(no_assign(rt, container));
    };
    if let Obj::Deque(_) = rt.heap.get(id) {
        return crate::vm::deque::setitem(rt, id, index, value);
    }
    match rt.heap.get(id) {
        Obj::List(v) => {
            if let Some(i) = as_index(index) {
                let Some(i) = norm(i, v.len()) else {
                    return Err(index_error("list assignment index out of range"));
                };
                if let Obj::List(v) = rt.heap.get_mut(id) {
                    v[i] = value;
                }
                return Ok(());
            }
            let len = v.len();
            match slice_parts(rt, index) {
                Some(parts) => set_slice(rt, id, len, parts, value),
                None => Err(bad_index(rt, container, index)),
            }
        }
        Obj::Dict(d) => {
            if let Some(slot) = super::dict_index_of(rt, d, index)? {
                if let Obj::Dict(d) = rt.heap.get_mut(id) {
                    if let Some((_, (_, v))) = d.get_index_mut(slot) {
                        *v = value;
                    }
                }
                return Ok(());
            }
            let key = hash_key(rt, index)?;
            let grow = if d.is_full() {
                d.capacity().max(4).saturating_mul(72)
            } else {
                0
            };
            rt.heap.charge(grow.saturating_add(key.inline_bytes()))?;
            if let Obj::Dict(d) = rt.heap.get_mut(id) {
                let hash = crate::vm::dictmap::hash_of(&key);
                d.insert_new_hashed(hash, key, (index, value));
            }
            Ok(())
        }
        _ => Err(no_assign(rt, container)),
    }
}

/// `del container[index]`.
pub fn delitem(rt: &mut Rt, container: Value, index: Value) -> PyResult<()> {
    let Value::Obj(id) = container else {
        return Err(no_delete(rt, container, "does not"));
    };
    if let Obj::Deque(_) = rt.heap.get(id) {
        return crate::vm::deque::delitem(rt, id, index);
    }
    match rt.heap.get(id) {
        Obj::List(v) => {
            let len = v.len();
            if let Some(i) = as_index(index) {
                let Some(i) = norm(i, len) else {
                    return Err(index_error("list assignment index out of range"));
                };
                if let Obj::List(v) = rt.heap.get_mut(id) {
                    v.remove(i);
                }
                return Ok(());
            }
            let Some(parts) = slice_parts(rt, index) else {
                return Err(bad_index(rt, container, index));
            };
            let (start, _, step, n) = slice_indices(parts, len)?;
            if let Obj::List(v) = rt.heap.get_mut(id) {
                if step == 1 {
                    let s = start as usize;
                    v.drain(s..s + n);
                } else {
                    let doomed = |i: i64| {
                        let d = if step > 0 { i - start } else { start - i };
                        d >= 0 && d % step.abs() == 0 && d / step.abs() < n as i64
                    };
                    let mut i = 0i64;
                    v.retain(|_| {
                        let keep = !doomed(i);
                        i += 1;
                        keep
                    });
                }
            }
            Ok(())
        }
        Obj::Dict(_) => {
            let key = hash_key(rt, index)?;
            // One look-up: the removal reports whether the key was there.
            let removed = match rt.heap.get_mut(id) {
                Obj::Dict(d) => d.shift_remove(&key).is_some(),
                _ => false,
            };
            if removed {
                Ok(())
            } else {
                Err(key_error(index))
            }
        }
        Obj::Tuple(_) | Obj::Str(_) | Obj::Range { .. } => Err(no_delete(rt, container, "doesn't")),
        _ => Err(no_delete(rt, container, "does not")),
    }
}

/// Number of items in `range(start, stop, step)` (`step != 0`), exact for any i64 bounds.
pub fn range_len(start: i64, stop: i64, step: i64) -> i128 {
    let (start, stop, step) = (start as i128, stop as i128, step as i128);
    if step > 0 && start < stop {
        (stop - start - 1) / step + 1
    } else if step < 0 && start > stop {
        (start - stop - 1) / (-step) + 1
    } else {
        0
    }
}

/// A slice's `(start, stop, step)` parts resolved against a sequence of `len` items:
/// `(start, stop, step, count)` with indices clamped as CPython does.
pub fn slice_indices(
    (start, stop, step): (Value, Value, Value),
    len: usize,
) -> PyResult<(i64, i64, i64, usize)> {
    let part = |v: Value| -> PyResult<Option<i64>> {
        match v {
            Value::None => Ok(None),
            _ => as_index(v).map(Some).ok_or_else(|| {
                Throw::type_error(
                    "slice indices must be integers or None or have an __index__ method",
                )
            }),
        }
    };
    let step = part(step)?.unwrap_or(1);
    if step == 0 {
        return Err(Throw::value_error("slice step cannot be zero"));
    }
    let step = step.max(-i64::MAX);
    let len = len as i64;
    let adjust = |v: Option<i64>, default: i64| -> i64 {
        match v {
            None => default,
            Some(i) if i < 0 => {
                let i = i + len;
                if i < 0 {
                    if step < 0 {
                        -1
                    } else {
                        0
                    }
                } else {
                    i
                }
            }
            Some(i) if i >= len => {
                if step < 0 {
                    len - 1
                } else {
                    len
                }
            }
            Some(i) => i,
        }
    };
    let (start, stop) = if step < 0 {
        (adjust(part(start)?, len - 1), adjust(part(stop)?, -1))
    } else {
        (adjust(part(start)?, 0), adjust(part(stop)?, len))
    };
    let n = if step < 0 {
        if stop < start {
            (start - stop - 1) / (-step) + 1
        } else {
            0
        }
    } else if start < stop {
        (stop - start - 1) / step + 1
    } else {
        0
    };
    Ok((start, stop, step, n as usize))
}

/// Resolves index `i` (negative counts from the end) against `len`.
#[inline]
fn norm(i: i64, len: usize) -> Option<usize> {
    let i = if i < 0 { i.checked_add(len as i64)? } else { i };
    usize::try_from(i).ok().filter(|&i| i < len)
}

fn slice_parts(rt: &Rt, index: Value) -> Option<(Value, Value, Value)> {
    match rt.heap.get(index.as_obj()?) {
        Obj::Slice { start, stop, step } => Some((*start, *stop, *step)),
        _ => None,
    }
}

fn get_index(rt: &mut Rt, id: ObjId, container: Value, i: i64) -> PyResult<Value> {
    match rt.heap.get(id) {
        Obj::List(v) => norm(i, v.len())
            .map(|i| v[i])
            .ok_or_else(|| index_error("list index out of range")),
        Obj::Tuple(v) => norm(i, v.len())
            .map(|i| v[i])
            .ok_or_else(|| index_error("tuple index out of range")),
        Obj::Str(s) => {
            let c = if s.is_ascii() {
                norm(i, s.len()).map(|i| s[i..i + 1].to_string())
            } else {
                let n = s.chars().count();
                norm(i, n).and_then(|i| s.chars().nth(i)).map(String::from)
            };
            match c {
                Some(c) => rt.new_str(c),
                None => Err(index_error("string index out of range")),
            }
        }
        Obj::Range { start, stop, step } => {
            let n = range_len(*start, *stop, *step);
            let i = i as i128;
            let i = if i < 0 { i + n } else { i };
            if i < 0 || i >= n {
                return Err(index_error("range object index out of range"));
            }
            Ok(Value::Int((*start as i128 + i * *step as i128) as i64))
        }
        _ => Err(not_subscriptable(rt, container)),
    }
}

fn get_slice(
    rt: &mut Rt,
    id: ObjId,
    container: Value,
    parts: (Value, Value, Value),
) -> PyResult<Value> {
    match rt.heap.get(id) {
        Obj::List(v) | Obj::Tuple(v) => {
            let (start, _, step, n) = slice_indices(parts, v.len())?;
            ensure_items(rt, n, 16)?;
            let mut items: Vec<Value> = crate::vm::memory::vec_with_capacity(n)?;
            items.extend((0..n).map(|k| v[(start + k as i64 * step) as usize]));
            if matches!(rt.heap.get(id), Obj::List(_)) {
                rt.new_list(items)
            } else {
                rt.new_tuple(items)
            }
        }
        Obj::Str(s) => {
            let r = if s.is_ascii() {
                let (start, _, step, n) = slice_indices(parts, s.len())?;
                let b = s.as_bytes();
                if step == 1 {
                    s[start as usize..start as usize + n].to_string()
                } else {
                    (0..n)
                        .map(|k| b[(start + k as i64 * step) as usize] as char)
                        .collect()
                }
            } else {
                let chars: Vec<char> = s.chars().collect();
                let (start, _, step, n) = slice_indices(parts, chars.len())?;
                (0..n)
                    .map(|k| chars[(start + k as i64 * step) as usize])
                    .collect()
            };
            rt.new_str(r)
        }
        Obj::Range { start, stop, step } => {
            let (rs, rst) = (*start as i128, *step as i128);
            let n = range_len(*start, *stop, *step);
            let len = usize::try_from(n).map_err(|_| overflow())?;
            let (s, e, st, _) = slice_indices(parts, len)?;
            let fit = |x: i128| i64::try_from(x).map_err(|_| overflow());
            let new = Obj::Range {
                start: fit(rs + s as i128 * rst)?,
                stop: fit(rs + e as i128 * rst)?,
                step: fit(rst * st as i128)?,
            };
            rt.alloc(new)
        }
        _ => Err(not_subscriptable(rt, container)),
    }
}

fn set_slice(
    rt: &mut Rt,
    id: ObjId,
    len: usize,
    parts: (Value, Value, Value),
    value: Value,
) -> PyResult<()> {
    let (start, stop, step, n) = slice_indices(parts, len)?;
    let items = collect_iterable(rt, value).map_err(|e| match e {
        Throw::New {
            kind: ExcKind::TypeError,
            ref msg,
        } if msg.ends_with("is not iterable") => Throw::type_error(if step == 1 {
            "can only assign an iterable"
        } else {
            "must assign iterable to extended slice"
        }),
        e => e,
    })?;
    if step == 1 {
        let start = start as usize;
        let stop = (stop.max(start as i64)) as usize;
        let grow = items.len().saturating_sub(stop - start);
        reserve_list(rt, id, grow)?;
        if let Obj::List(v) = rt.heap.get_mut(id) {
            let stop = stop.min(v.len());
            let start = start.min(stop);
            v.splice(start..stop, items);
        }
        return Ok(());
    }
    if items.len() != n {
        return Err(Throw::value_error(format!(
            "attempt to assign sequence of size {} to extended slice of size {n}",
            items.len()
        )));
    }
    if let Obj::List(v) = rt.heap.get_mut(id) {
        for (k, item) in items.into_iter().enumerate() {
            let i = (start + k as i64 * step) as usize;
            if let Some(slot) = v.get_mut(i) {
                *slot = item;
            }
        }
    }
    Ok(())
}

fn index_error(msg: &str) -> Throw {
    Throw::new(ExcKind::IndexError, msg)
}

/// `KeyError(key)`: its `str` is the key's repr, as Python prints it.
pub fn key_error(key: Value) -> Throw {
    Throw::NewArgs {
        kind: ExcKind::KeyError,
        args: vec![key],
    }
}

fn not_subscriptable(rt: &Rt, v: Value) -> Throw {
    Throw::type_error(format!(
        "'{}' object is not subscriptable",
        type_name(rt, v)
    ))
}

fn no_assign(rt: &Rt, v: Value) -> Throw {
    Throw::type_error(format!(
        "'{}' object does not support item assignment",
        type_name(rt, v)
    ))
}

fn no_delete(rt: &Rt, v: Value, verb: &str) -> Throw {
    Throw::type_error(format!(
        "'{}' object {verb} support item deletion",
        type_name(rt, v)
    ))
}

fn bad_index(rt: &Rt, container: Value, index: Value) -> Throw {
    let t = type_name(rt, container);
    let it = type_name(rt, index);
    // subscr: an int too big for an index (`xs[2**70]`): CPython's IndexError.
    let big = matches!(index, Value::Obj(id) if matches!(rt.heap.get(id), Obj::BigInt(_)));
    if big && matches!(t, "str" | "list" | "tuple") {
        return index_error("cannot fit 'int' into an index-sized integer");
    }
    match t {
        "str" => Throw::type_error(format!("string indices must be integers, not '{it}'")),
        "list" | "tuple" | "range" => {
            Throw::type_error(format!("{t} indices must be integers or slices, not {it}"))
        }
        _ => not_subscriptable(rt, container),
    }
}
