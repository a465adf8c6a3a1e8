//! Iteration (`GET_ITER`, `FOR_ITER`, `UNPACK_SEQUENCE`, `UNPACK_EX`) and membership (`in`).
//!
//! Iterators are heap objects that hold a position ([`Obj::RangeIter`], [`Obj::SeqIter`], …),
//! so a half-consumed iterator can be passed around, and the collector sees what it refers to.
//! A list iterator reads the list by index on every step, so it sees appends made during the
//! loop exactly as Python's does.

use crate::vm::exceptions::ExcKind;
use crate::vm::heap::{DictPart, Obj};
use crate::vm::ops::{as_index, ensure_items, eq, hash_key, range_len, type_name, MAX_NESTING};
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt, Throw};

/// `iter(v)`: a new iterator over `v`, or `v` itself if it is an iterator.
pub fn get_iter(rt: &mut Rt, v: Value) -> PyResult<Value> {
    let Value::Obj(id) = v else {
        return Err(not_iterable(rt, v));
    };
    let it = match rt.heap.get(id) {
        Obj::List(_) | Obj::Tuple(_) => Obj::SeqIter { seq: id, index: 0 },
        Obj::Range { start, stop, step } => Obj::RangeIter {
            cur: *start,
            stop: *stop,
            step: *step,
        },
        Obj::Str(_) => Obj::StrIter { s: id, pos: 0 },
        Obj::Set(t) | Obj::FrozenSet(t) => Obj::SetIter {
            set: id,
            index: 0,
            len_at_start: t.len(),
        },
        Obj::Dict(d) => Obj::DictIter {
            dict: id,
            index: 0,
            part: DictPart::Keys,
            len_at_start: d.len(),
        },
        Obj::DictView { dict, part } => Obj::DictIter {
            dict: *dict,
            index: 0,
            part: *part,
            len_at_start: match rt.heap.get(*dict) {
                Obj::Dict(d) => d.len(),
                _ => 0,
            },
        },
        Obj::RangeIter { .. }
        | Obj::SeqIter { .. }
        | Obj::RevSeqIter { .. }
        | Obj::StrIter { .. }
        | Obj::DictIter { .. }
        | Obj::SetIter { .. }
        | Obj::Enumerate { .. }
        | Obj::Zip { .. }
        | Obj::Generator(_)
        | Obj::DequeIter { .. }
        | Obj::ItCount { .. } => return Ok(v),
        Obj::Deque(d) => Obj::DequeIter {
            deque: id,
            index: 0,
            state: d.state,
        },
        _ => return Err(not_iterable(rt, v)),
    };
    rt.alloc(it)
}

/// True if `v` is an iterator object (what `next()` accepts).
pub fn is_iterator(rt: &Rt, v: Value) -> bool {
    match v {
        Value::Obj(id) => matches!(
            rt.heap.get(id),
            Obj::RangeIter { .. }
                | Obj::SeqIter { .. }
                | Obj::RevSeqIter { .. }
                | Obj::StrIter { .. }
                | Obj::DictIter { .. }
                | Obj::SetIter { .. }
                | Obj::Enumerate { .. }
                | Obj::Zip { .. }
                | Obj::Generator(_)
                | Obj::DequeIter { .. }
                | Obj::ItCount { .. }
        ),
        _ => false,
    }
}

/// The next item of iterator `it`, or `None` when it is exhausted.
pub fn iter_next(rt: &mut Rt, it: Value) -> PyResult<Option<Value>> {
    // Every built-in that walks an iterable comes through here: one unit of work per item.
    rt.spend(1)?;
    iter_next_depth(rt, it, 0)
}

fn iter_next_depth(rt: &mut Rt, it: Value, depth: usize) -> PyResult<Option<Value>> {
    let Value::Obj(id) = it else {
        return Err(not_iterator(rt, it));
    };
    if depth > MAX_NESTING {
        return Err(Throw::new(
            ExcKind::RecursionError,
            "maximum recursion depth exceeded",
        ));
    }
    match rt.heap.get_mut(id) {
        Obj::RangeIter { cur, stop, step } => {
            let c = *cur;
            if (*step > 0 && c < *stop) || (*step < 0 && c > *stop) {
                *cur = c.checked_add(*step).unwrap_or(*stop);
                return Ok(Some(Value::Int(c)));
            }
            Ok(None)
        }
        &mut Obj::SeqIter { seq, index } => {
            let item = match rt.heap.get(seq) {
                Obj::List(v) | Obj::Tuple(v) => v.get(index).copied(),
                _ => None,
            };
            if let Obj::SeqIter { index, .. } = rt.heap.get_mut(id) {
                // Once exhausted, stay exhausted even if the list grows later (as CPython).
                *index = if item.is_some() {
                    *index + 1
                } else {
                    usize::MAX
                };
            }
            Ok(item)
        }
        &mut Obj::RevSeqIter { seq, next } => {
            let item = match rt.heap.get(seq) {
                Obj::List(v) | Obj::Tuple(v) if next > 0 => v.get(next - 1).copied(),
                _ => None,
            };
            if let Obj::RevSeqIter { next, .. } = rt.heap.get_mut(id) {
                *next = if item.is_some() { *next - 1 } else { 0 };
            }
            Ok(item)
        }
        &mut Obj::StrIter { s, pos } => {
            let ch = rt.heap.str(s).and_then(|t| t.get(pos..)?.chars().next());
            let Some(ch) = ch else {
                return Ok(None);
            };
            if let Obj::StrIter { pos, .. } = rt.heap.get_mut(id) {
                *pos += ch.len_utf8();
            }
            rt.new_str(String::from(ch)).map(Some)
        }
        &mut Obj::DictIter {
            dict,
            index,
            part,
            len_at_start,
        } => {
            let (entry, len) = match rt.heap.get(dict) {
                // `index` is a position in the entries (tombstones skipped: `vm::dictmap`).
                Obj::Dict(d) => (d.next_from(index).map(|(next, &kv)| (next, kv)), d.len()),
                _ => (None, 0),
            };
            if len != len_at_start {
                if let Obj::DictIter { len_at_start, .. } = rt.heap.get_mut(id) {
                    // Keep raising on every later call, as CPython does.
                    *len_at_start = usize::MAX;
                }
                return Err(Throw::new(
                    ExcKind::RuntimeError,
                    "dictionary changed size during iteration",
                ));
            }
            let Some((next, (k, v))) = entry else {
                return Ok(None);
            };
            if let Obj::DictIter { index, .. } = rt.heap.get_mut(id) {
                *index = next;
            }
            match part {
                DictPart::Keys => Ok(Some(k)),
                DictPart::Values => Ok(Some(v)),
                DictPart::Items => rt.new_tuple(vec![k, v]).map(Some),
            }
        }
        &mut Obj::SetIter {
            set,
            index,
            len_at_start,
        } => {
            let (next, len) = match rt.heap.get(set) {
                Obj::Set(t) | Obj::FrozenSet(t) => (t.next_from(index), t.len()),
                _ => (None, 0),
            };
            if len != len_at_start {
                if let Obj::SetIter { len_at_start, .. } = rt.heap.get_mut(id) {
                    *len_at_start = usize::MAX;
                }
                return Err(Throw::new(
                    ExcKind::RuntimeError,
                    "Set changed size during iteration",
                ));
            }
            let Some((after, v)) = next else {
                if let Obj::SetIter { index, .. } = rt.heap.get_mut(id) {
                    *index = usize::MAX;
                }
                return Ok(None);
            };
            if let Obj::SetIter { index, .. } = rt.heap.get_mut(id) {
                *index = after;
            }
            Ok(Some(v))
        }
        &mut Obj::Enumerate { iter, count } => {
            let Some(item) = iter_next_depth(rt, iter, depth + 1)? else {
                return Ok(None);
            };
            let Some(next) = count.checked_add(1) else {
                return Err(crate::vm::ops::overflow());
            };
            if let Obj::Enumerate { count, .. } = rt.heap.get_mut(id) {
                *count = next;
            }
            rt.new_tuple(vec![Value::Int(count), item]).map(Some)
        }
        Obj::Zip { iters } => {
            if iters.is_empty() {
                return Ok(None);
            }
            let iters = iters.clone();
            let mut items = Vec::with_capacity(iters.len());
            for i in iters {
                match iter_next_depth(rt, i, depth + 1)? {
                    Some(v) => items.push(v),
                    None => return Ok(None),
                }
            }
            rt.new_tuple(items).map(Some)
        }
        &mut Obj::DequeIter {
            deque,
            index,
            state,
        } => crate::vm::deque::iter_next(rt, id, deque, index, state),
        &mut Obj::ItCount { cur, step } => {
            // BINARY_OP 0 is `+`.
            let next = crate::vm::ops::binary_op(rt, 0, cur, step)?;
            if let Obj::ItCount { cur, .. } = rt.heap.get_mut(id) {
                *cur = next;
            }
            Ok(Some(cur))
        }
        _ => Err(not_iterator(rt, it)),
    }
}

/// `FOR_ITER` on iterator `id` fused with the `UNPACK_SEQUENCE n` after it (`for i, x in
/// enumerate(a)`, `for x, y in zip(a, b)`, `for k, v in d.items()`, `for a, b in pairs`), for
/// `Vm::hot` (`Vm::for_iter_step`), `n` being `out.len()`: the next item's `n` values written
/// to `out` in the order `UNPACK_SEQUENCE` leaves them on the stack (the last one first).
/// `Ok(None)`, having changed nothing, when the iterator is not one of these or its items are
/// not `n`-sequences; `Ok(Some(false))` when it is exhausted.
///
/// An enumerate's, zip's or dict items iterator's step would allocate a new tuple that the
/// unpack drops at once. Its items go straight to the stack; the tuple's heap slot is still
/// taken, by an empty tuple (no `Vec` behind it), and charged the bytes the tuple would have
/// been: the collector frees that slot when it would have freed the tuple (nothing refers to
/// either, and no collection can come between the two instructions: the caller fuses them only
/// when the slice's budget covers both), so later objects get the same slots, fake addresses
/// and collections as before. The same work budget is spent, the same errors raised.
pub fn next_unpacked(rt: &mut Rt, id: ObjId, out: &mut [Value]) -> PyResult<Option<bool>> {
    let n = out.len();
    match *rt.heap.get(id) {
        Obj::SeqIter { seq, index } => {
            // `Vm::for_iter_step`'s step (no work spent), on an item that unpacks as is.
            let item = match rt.heap.get(seq) {
                Obj::List(v) | Obj::Tuple(v) => v.get(index).copied(),
                _ => return Ok(None),
            };
            let Some(item) = item else {
                return Ok(None);
            };
            let Value::Obj(t) = item else {
                return Ok(None);
            };
            match rt.heap.get(t) {
                Obj::List(v) | Obj::Tuple(v) if v.len() == n => {
                    for (o, &x) in out.iter_mut().zip(v.iter().rev()) {
                        *o = x;
                    }
                }
                _ => return Ok(None),
            }
            if let Obj::SeqIter { index, .. } = rt.heap.get_mut(id) {
                *index += 1;
            }
            Ok(Some(true))
        }
        Obj::Enumerate { iter, count } if n == 2 => {
            rt.spend(1)?;
            let Some(item) = inner_next(rt, iter)? else {
                return Ok(Some(false));
            };
            let Some(next) = count.checked_add(1) else {
                return Err(crate::vm::ops::overflow());
            };
            if let Obj::Enumerate { count, .. } = rt.heap.get_mut(id) {
                *count = next;
            }
            ghost_tuple(rt, 2)?;
            out[0] = item;
            out[1] = Value::Int(count);
            Ok(Some(true))
        }
        Obj::Zip { ref iters } if iters.len() == n && n > 0 => {
            rt.spend(1)?;
            for k in 0..n {
                let Obj::Zip { iters } = rt.heap.get(id) else {
                    return Ok(Some(false));
                };
                let i = iters[k];
                match inner_next(rt, i)? {
                    Some(v) => out[n - 1 - k] = v,
                    None => return Ok(Some(false)),
                }
            }
            ghost_tuple(rt, n)?;
            Ok(Some(true))
        }
        Obj::DictIter {
            part: DictPart::Items,
            ..
        } if n == 2 => {
            rt.spend(1)?;
            // `iter_next_depth`'s step, which allocates the pair it returns.
            let Obj::DictIter {
                dict,
                index,
                len_at_start,
                ..
            } = *rt.heap.get(id)
            else {
                return Ok(None);
            };
            let (entry, len) = match rt.heap.get(dict) {
                Obj::Dict(d) => (d.next_from(index).map(|(next, &kv)| (next, kv)), d.len()),
                _ => (None, 0),
            };
            if len != len_at_start {
                if let Obj::DictIter { len_at_start, .. } = rt.heap.get_mut(id) {
                    *len_at_start = usize::MAX;
                }
                return Err(Throw::new(
                    ExcKind::RuntimeError,
                    "dictionary changed size during iteration",
                ));
            }
            let Some((next, (k, v))) = entry else {
                return Ok(Some(false));
            };
            if let Obj::DictIter { index, .. } = rt.heap.get_mut(id) {
                *index = next;
            }
            ghost_tuple(rt, 2)?;
            out[0] = v;
            out[1] = k;
            Ok(Some(true))
        }
        _ => Ok(None),
    }
}

/// The next item of the iterator `it` inside an enumerate or a zip (`iter_next_depth` at
/// depth 1): a list's or tuple's iterator stepped here (as `Vm::for_iter_step` does), any
/// other through `iter_next_depth`.
#[inline(always)]
fn inner_next(rt: &mut Rt, it: Value) -> PyResult<Option<Value>> {
    if let Value::Obj(id) = it {
        if let Some(Obj::SeqIter { seq, index }) = *rt.heap.slot_mut(id) {
            let item = match rt.heap.get(seq) {
                Obj::List(v) | Obj::Tuple(v) => v.get(index).copied(),
                _ => None,
            };
            if let Some(Obj::SeqIter { index, .. }) = rt.heap.slot_mut(id) {
                // Once exhausted, stay exhausted (as `iter_next_depth`).
                *index = if item.is_some() {
                    *index + 1
                } else {
                    usize::MAX
                };
            }
            return Ok(item);
        }
    }
    iter_next_depth(rt, it, 1)
}

/// Takes the heap slot and charges the bytes of a tuple of `n` items (`Vec` capacity `n`, as
/// `iter_next_depth` builds them) that nothing refers to, without building it: see
/// [`next_unpacked`].
fn ghost_tuple(rt: &mut Rt, n: usize) -> PyResult<()> {
    let size = 48 + n * std::mem::size_of::<Value>();
    debug_assert_eq!(size, Obj::Tuple(Vec::with_capacity(n)).size_estimate());
    rt.heap.alloc_empty_tuple_charging(size)?;
    Ok(())
}

/// All items of an iterable, in order (for `list()`, `tuple()`, unpacking, `extend`, …).
pub fn collect_iterable(rt: &mut Rt, v: Value) -> PyResult<Vec<Value>> {
    if let Value::Obj(id) = v {
        match rt.heap.get(id) {
            Obj::List(items) | Obj::Tuple(items) => {
                // A copy as big as a live object: checked, and refused as MemoryError.
                ensure_items(rt, items.len(), 16)?;
                let mut out = crate::vm::memory::vec_with_capacity(items.len())?;
                out.extend_from_slice(items);
                return Ok(out);
            }
            Obj::Dict(d) => return Ok(d.values().map(|&(k, _)| k).collect()),
            Obj::Set(t) | Obj::FrozenSet(t) => return Ok(t.values()),
            Obj::Range { start, stop, step } => {
                let (start, step) = (*start, *step);
                let n = range_len(start, *stop, step);
                let n = usize::try_from(n).map_err(|_| Throw::memory())?;
                ensure_items(rt, n, 16)?;
                let mut out = crate::vm::memory::vec_with_capacity(n)?;
                out.extend(
                    (0..n).map(|k| Value::Int((start as i128 + k as i128 * step as i128) as i64)),
                );
                return Ok(out);
            }
            _ => {}
        }
    }
    let it = get_iter(rt, v)?;
    let mut out = Vec::new();
    while let Some(x) = iter_next(rt, it)? {
        if out.len() == out.capacity() {
            ensure_items(rt, out.len().max(4), 16)?;
            crate::vm::memory::try_reserve(&mut out, 1)?;
        }
        out.push(x);
    }
    Ok(out)
}

/// `UNPACK_SEQUENCE n`: exactly `n` items, with Python's messages.
pub fn unpack(rt: &mut Rt, v: Value, n: usize) -> PyResult<Vec<Value>> {
    if let Value::Obj(id) = v {
        if let Obj::List(items) | Obj::Tuple(items) = rt.heap.get(id) {
            return match items.len() {
                len if len == n => Ok(items.clone()),
                len if len < n => Err(not_enough(n, len, false)),
                _ => Err(too_many(n)),
            };
        }
    }
    let it = get_iter(rt, v).map_err(|_| cannot_unpack(rt, v))?;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        match iter_next(rt, it)? {
            Some(x) => out.push(x),
            None => return Err(not_enough(n, out.len(), false)),
        }
    }
    if iter_next(rt, it)?.is_some() {
        return Err(too_many(n));
    }
    Ok(out)
}

/// `UNPACK_EX`: `before` items, a list of the middle, then `after` items (`a, *b, c = v`).
/// Returns the items in source order with the middle list in place.
pub fn unpack_ex(rt: &mut Rt, v: Value, before: usize, after: usize) -> PyResult<Vec<Value>> {
    let it = get_iter(rt, v).map_err(|_| cannot_unpack(rt, v))?;
    let mut items = collect_iterable(rt, it)?;
    let need = before + after;
    if items.len() < need {
        return Err(not_enough(need, items.len(), true));
    }
    let tail = items.split_off(items.len() - after);
    let middle = items.split_off(before);
    let middle = rt.new_list(middle)?;
    items.push(middle);
    items.extend(tail);
    Ok(items)
}

/// `reversed(v)` for lists, tuples, strings, ranges and dicts.
pub fn reversed_iter(rt: &mut Rt, v: Value) -> PyResult<Value> {
    let Value::Obj(id) = v else {
        return Err(not_reversible(rt, v));
    };
    let obj = match rt.heap.get(id) {
        Obj::List(items) | Obj::Tuple(items) => Obj::RevSeqIter {
            seq: id,
            next: items.len(),
        },
        Obj::Range { start, stop, step } => {
            let n = range_len(*start, *stop, *step);
            let (start, step) = (*start as i128, *step as i128);
            let last = start + (n - 1) * step;
            let fit = |x: i128| i64::try_from(x).map_err(|_| crate::vm::ops::overflow());
            if n == 0 {
                Obj::RangeIter {
                    cur: 0,
                    stop: 0,
                    step: 1,
                }
            } else {
                Obj::RangeIter {
                    cur: fit(last)?,
                    stop: fit(start - step).unwrap_or(if step > 0 { i64::MIN } else { i64::MAX }),
                    step: fit(-step)?,
                }
            }
        }
        Obj::Str(_) | Obj::Dict(_) | Obj::Deque(_) => {
            let items = collect_iterable(rt, v)?;
            let n = items.len();
            let seq = rt.new_tuple(items)?;
            Obj::RevSeqIter {
                seq: seq.as_obj().unwrap_or(id),
                next: n,
            }
        }
        _ => return Err(not_reversible(rt, v)),
    };
    rt.alloc(obj)
}

/// `item in container`.
pub fn contains(rt: &mut Rt, container: Value, item: Value) -> PyResult<bool> {
    let Value::Obj(id) = container else {
        return Err(Throw::type_error(format!(
            "argument of type '{}' is not iterable",
            type_name(rt, container)
        )));
    };
    match rt.heap.get(id) {
        Obj::Str(s) => match rt.as_str(item) {
            Some(sub) => Ok(s.contains(sub)),
            None => Err(Throw::type_error(format!(
                "'in <string>' requires string as left operand, not {}",
                type_name(rt, item)
            ))),
        },
        Obj::List(v) | Obj::Tuple(v) => {
            let mut found = false;
            super::scan_eq(rt, v, item, |_| {
                found = true;
                true
            })?;
            Ok(found)
        }
        Obj::Dict(d) => Ok(super::dict_index_of(rt, d, item)?.is_some()),
        Obj::Set(t) | Obj::FrozenSet(t) => {
            let e = crate::vm::set::lookup_entry(rt, item)?;
            Ok(t.contains(&e.key, e.hash))
        }
        Obj::Range { start, stop, step } => {
            let i = match item {
                Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i64),
                _ => as_index(item),
            };
            Ok(i.is_some_and(|i| {
                let (i, s, e, st) = (i as i128, *start as i128, *stop as i128, *step as i128);
                let inside = if st > 0 {
                    s <= i && i < e
                } else {
                    e < i && i <= s
                };
                inside && (i - s) % st == 0
            }))
        }
        &Obj::DictView { dict, part } => dict_view_contains(rt, dict, part, item),
        Obj::Deque(_) => {
            for x in crate::vm::deque::snapshot(rt, id) {
                if x == item && matches!(x, Value::Obj(_)) || eq(rt, x, item)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => {
            let it = get_iter(rt, container).map_err(|_| {
                Throw::type_error(format!(
                    "argument of type '{}' is not iterable",
                    type_name(rt, container)
                ))
            })?;
            while let Some(x) = iter_next(rt, it)? {
                if eq(rt, x, item)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

fn dict_view_contains(rt: &Rt, dict: ObjId, part: DictPart, item: Value) -> PyResult<bool> {
    let Obj::Dict(d) = rt.heap.get(dict) else {
        return Ok(false);
    };
    match part {
        DictPart::Keys => Ok(super::dict_index_of(rt, d, item)?.is_some()),
        DictPart::Values => {
            for &(_, v) in d.values() {
                if eq(rt, v, item)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        DictPart::Items => {
            let pair = match item {
                Value::Obj(t) => match rt.heap.get(t) {
                    Obj::Tuple(p) if p.len() == 2 => Some((p[0], p[1])),
                    _ => None,
                },
                _ => None,
            };
            let Some((k, v)) = pair else {
                return Ok(false);
            };
            match d.get(&hash_key(rt, k)?) {
                Some(&(_, w)) => eq(rt, v, w),
                None => Ok(false),
            }
        }
    }
}

fn not_iterable(rt: &Rt, v: Value) -> Throw {
    Throw::type_error(format!("'{}' object is not iterable", type_name(rt, v)))
}

fn not_iterator(rt: &Rt, v: Value) -> Throw {
    Throw::type_error(format!("'{}' object is not an iterator", type_name(rt, v)))
}

fn not_reversible(rt: &Rt, v: Value) -> Throw {
    Throw::type_error(format!("'{}' object is not reversible", type_name(rt, v)))
}

fn cannot_unpack(rt: &Rt, v: Value) -> Throw {
    Throw::type_error(format!(
        "cannot unpack non-iterable {} object",
        type_name(rt, v)
    ))
}

fn not_enough(expected: usize, got: usize, at_least: bool) -> Throw {
    let least = if at_least { "at least " } else { "" };
    Throw::value_error(format!(
        "not enough values to unpack (expected {least}{expected}, got {got})"
    ))
}

fn too_many(expected: usize) -> Throw {
    Throw::value_error(format!("too many values to unpack (expected {expected})"))
}
