//! Ordering built-ins: `sorted`, `min`, `max` (and the sort behind `list.sort`).
//!
//! The sort is a stable merge sort that compares with Python's `<` only and stops at the first
//! `TypeError`, as CPython's does; `std`'s sorts are not used because they may panic on an
//! inconsistent order (NaN, or a comparison that raised). Keys whose order is known to be
//! total before sorting (all ints; numbers, strs, or tuples of them position by position) take
//! `std`'s sorts on precomputed codes instead (`sort_total`, issue 21), where no comparison can
//! raise or be inconsistent and any stable sort gives CPython's order.

use crate::vm::builtins::sort_total::sort_total;
use crate::vm::builtins::{check_kwargs, kwarg, Kwargs};
use crate::vm::natives::NativeId;
use crate::vm::ops::{collect_iterable, compare, get_iter, iter_next, order_lt, truthy};
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

/// Lists this short take the general sort even when their keys' order is total: the few
/// comparisons cost less than reading the keys' parts first.
const TOTAL_MIN: usize = 8;

/// Sorts `items` in place by Python's `<`, stably; `reverse` keeps equal items in their
/// original order, as Python's does.
pub fn sort_values(rt: &Rt, items: &mut [Value], reverse: bool) -> PyResult<()> {
    if items.len() < 2 {
        return Ok(());
    }
    if items.iter().all(|v| matches!(v, Value::Int(_))) {
        // Equal ints are indistinguishable, so stability and `reverse` are free here.
        items.sort_unstable_by_key(|v| match v {
            Value::Int(i) => *i,
            _ => 0,
        });
        if reverse {
            items.reverse();
        }
        return Ok(());
    }
    if sort_int_led_tuples(rt, items, reverse) {
        return Ok(());
    }
    if items.len() >= TOTAL_MIN {
        let keys = items.to_vec();
        if sort_total(rt, items, &keys, reverse) {
            return Ok(());
        }
    }
    if reverse {
        items.reverse();
    }
    py_sort(items, &mut |a, b| order_lt(rt, a, b))?;
    if reverse {
        items.reverse();
    }
    Ok(())
}

/// Tuples that start with one or two ints, distinct in those ints across `items` — the
/// `(key, index, item)` triples the prelude's `sorted(..., key=f)` sorts when `f` returns
/// ints, and any list of `(int, ...)` records with distinct leading ints. With no two tuples
/// equal in their leading ints, Python's lexicographic `<` never looks further, no comparison
/// can raise and stability cannot show, so sorting the ints gives CPython's order. Sorts
/// `items` and answers `true`; otherwise (another shape, or a tie) leaves them as they were
/// and answers `false`. It replaces ≈250 x86 instructions per comparison (`order` then
/// `eq_depth` on each tuple's items) with a compare of two integer pairs.
fn sort_int_led_tuples(rt: &Rt, items: &mut [Value], reverse: bool) -> bool {
    let lead = |v: &Value| -> Option<(i64, Option<i64>)> {
        let Value::Obj(id) = v else { return None };
        let crate::vm::heap::Obj::Tuple(t) = rt.heap.get(*id) else {
            return None;
        };
        match t.as_slice() {
            [Value::Int(a), Value::Int(b), ..] => Some((*a, Some(*b))),
            [Value::Int(a), ..] => Some((*a, None)),
            _ => None,
        }
    };
    let mut keyed: Vec<(i64, i64, Value)> = Vec::new();
    if keyed.try_reserve_exact(items.len()).is_err() {
        return false;
    }
    // Two columns only when every tuple has an int second item.
    let mut two = true;
    for v in items.iter() {
        let Some((a, b)) = lead(v) else { return false };
        two &= b.is_some();
        keyed.push((a, b.unwrap_or(0), *v));
    }
    if !two {
        for k in keyed.iter_mut() {
            k.1 = 0;
        }
    }
    keyed.sort_unstable_by_key(|k| (k.0, k.1));
    if keyed
        .windows(2)
        .any(|w| (w[0].0, w[0].1) == (w[1].0, w[1].1))
    {
        return false;
    }
    for (dst, k) in items.iter_mut().zip(keyed.iter()) {
        *dst = k.2;
    }
    if reverse {
        items.reverse();
    }
    true
}

/// Sorts `items` by precomputed `keys` (one per item, from a `key=` function the interpreter
/// called), comparing only the keys, stably.
pub fn sort_with_keys(
    rt: &Rt,
    items: &mut Vec<Value>,
    keys: Vec<Value>,
    reverse: bool,
) -> PyResult<()> {
    if keys.iter().all(|k| matches!(k, Value::Int(_))) {
        // Int keys: a stable sort by the ints is Python's order. `reverse` keeps equal keys in
        // their original order, as a stable sort by the reversed order does.
        let mut pairs: Vec<(i64, Value)> = keys
            .iter()
            .zip(items.iter())
            .map(|(k, v)| (if let Value::Int(i) = k { *i } else { 0 }, *v))
            .collect();
        if reverse {
            pairs.sort_by_key(|p| std::cmp::Reverse(p.0));
        } else {
            pairs.sort_by_key(|p| p.0);
        }
        for (dst, p) in items.iter_mut().zip(pairs) {
            *dst = p.1;
        }
        return Ok(());
    }
    if sort_total(rt, items, &keys, reverse) {
        return Ok(());
    }
    let mut pairs: Vec<(Value, Value)> = keys.into_iter().zip(items.iter().copied()).collect();
    if reverse {
        pairs.reverse();
    }
    py_sort(&mut pairs, &mut |a, b| order_lt(rt, a.0, b.0))?;
    if reverse {
        pairs.reverse();
    }
    *items = pairs.into_iter().map(|(_, v)| v).collect();
    Ok(())
}

/// The index of the first smallest (`max` false) or first largest value of `keys`, or `None`
/// if empty — what `min`/`max` return, given keys computed by the caller.
pub fn extreme_index(rt: &mut Rt, keys: &[Value], max: bool) -> PyResult<Option<usize>> {
    let op = if max { 4 } else { 0 };
    let mut best: Option<usize> = None;
    for (i, &k) in keys.iter().enumerate() {
        best = match best {
            None => Some(i),
            Some(b) => {
                let better = compare(rt, op, k, keys[b])?;
                if truthy(rt, better) {
                    Some(i)
                } else {
                    Some(b)
                }
            }
        };
    }
    Ok(best)
}

/// Sorts like CPython's `list.sort`: lists shorter than 64 use its exact steps (a natural
/// run, reversed if descending, then binary insertion), so even an inconsistent order (NaN)
/// or the pair named in a `TypeError` comes out as in CPython. Longer lists use a stable
/// merge sort: same result for any consistent order.
fn py_sort<T: Copy>(v: &mut [T], lt: &mut dyn FnMut(T, T) -> PyResult<bool>) -> PyResult<()> {
    let n = v.len();
    if n < 2 {
        return Ok(());
    }
    if n >= 64 {
        return merge_sort(v, lt);
    }
    // count_run
    let mut run = 2;
    if lt(v[1], v[0])? {
        while run < n && lt(v[run], v[run - 1])? {
            run += 1;
        }
        v[..run].reverse();
    } else {
        while run < n && !lt(v[run], v[run - 1])? {
            run += 1;
        }
    }
    // binarysort(lo, hi, start = run)
    for start in run..n {
        let pivot = v[start];
        let (mut l, mut r) = (0, start);
        while l < r {
            let p = l + ((r - l) >> 1);
            if lt(pivot, v[p])? {
                r = p;
            } else {
                l = p + 1;
            }
        }
        v.copy_within(l..start, l + 1);
        v[l] = pivot;
    }
    Ok(())
}

fn merge_sort<T: Copy>(v: &mut [T], lt: &mut dyn FnMut(T, T) -> PyResult<bool>) -> PyResult<()> {
    let n = v.len();
    if n <= 12 {
        // Binary-free insertion sort: stable, few comparisons for short runs.
        for i in 1..n {
            let mut j = i;
            while j > 0 && lt(v[j], v[j - 1])? {
                v.swap(j, j - 1);
                j -= 1;
            }
        }
        return Ok(());
    }
    let mid = n / 2;
    merge_sort(&mut v[..mid], lt)?;
    merge_sort(&mut v[mid..], lt)?;
    if !lt(v[mid], v[mid - 1])? {
        return Ok(());
    }
    let left: Vec<T> = v[..mid].to_vec();
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < left.len() && j < n {
        // Take from the right only when strictly smaller: keeps the sort stable.
        if lt(v[j], left[i])? {
            v[k] = v[j];
            j += 1;
        } else {
            v[k] = left[i];
            i += 1;
        }
        k += 1;
    }
    while i < left.len() {
        v[k] = left[i];
        i += 1;
        k += 1;
    }
    Ok(())
}

/// Raised for `key=` functions, which only the interpreter can call.
pub(crate) fn key_unsupported(fname: &str) -> Throw {
    Throw::type_error(format!(
        "{fname}() with a key function must be called by the interpreter"
    ))
}

/// `sorted(iterable, /, *, key=None, reverse=False)`.
pub(super) fn sorted(rt: &mut Rt, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    check_kwargs("sort", kwargs, &["key", "reverse"])?;
    let [iterable] = args else {
        return Err(Throw::type_error(format!(
            "sorted expected 1 argument, got {}",
            args.len()
        )));
    };
    if kwarg(kwargs, "key").is_some_and(|k| !k.is_none()) {
        return Err(key_unsupported("sorted"));
    }
    let reverse = kwarg(kwargs, "reverse").is_some_and(|r| truthy(rt, r));
    let mut items = collect_iterable(rt, *iterable)?;
    sort_values(rt, &mut items, reverse)?;
    rt.new_list(items)
}

/// `min(...)` / `max(...)`: one iterable or several arguments, `default=`, `key=None`.
pub(super) fn min_max(rt: &mut Rt, max: bool, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    let id = if max { NativeId::Max } else { NativeId::Min };
    let name = id.name();
    check_kwargs(name, kwargs, &["key", "default"])?;
    if args.is_empty() {
        return Err(Throw::type_error(format!(
            "{name} expected at least 1 argument, got 0"
        )));
    }
    let default = kwarg(kwargs, "default");
    if args.len() > 1 && default.is_some() {
        return Err(Throw::type_error(format!(
            "Cannot specify a default for {name}() with multiple positional arguments"
        )));
    }
    if kwarg(kwargs, "key").is_some_and(|k| !k.is_none()) {
        return Err(key_unsupported(name));
    }
    if let [iterable] = args {
        if let Some(v) = int_extreme(rt, *iterable, max) {
            return Ok(v);
        }
    }
    let op = if max { 4 } else { 0 };
    let mut best: Option<Value> = None;
    let mut consider = |rt: &mut Rt, x: Value| -> PyResult<()> {
        best = Some(match best {
            None => x,
            Some(b) => {
                let better = compare(rt, op, x, b)?;
                if truthy(rt, better) {
                    x
                } else {
                    b
                }
            }
        });
        Ok(())
    };
    if let [iterable] = args {
        let it = get_iter(rt, *iterable)?;
        while let Some(x) = iter_next(rt, it)? {
            consider(rt, x)?;
        }
    } else {
        for &x in args {
            consider(rt, x)?;
        }
    }
    match (best, default) {
        (Some(v), _) | (None, Some(v)) => Ok(v),
        (None, None) => Err(Throw::value_error(format!(
            "{name}() arg is an empty sequence"
        ))),
    }
}

/// `min`/`max` of a non-empty list or tuple of ints, read in place (no iterator object, no
/// comparison through `compare`); `None` for anything else, which takes the general path.
/// Equal ints cannot be told apart, so which of several equal extremes is returned does not
/// show.
fn int_extreme(rt: &Rt, v: Value, max: bool) -> Option<Value> {
    let Value::Obj(id) = v else { return None };
    let (crate::vm::heap::Obj::List(items) | crate::vm::heap::Obj::Tuple(items)) = rt.heap.get(id)
    else {
        return None;
    };
    let mut best = match items.first()? {
        Value::Int(i) => *i,
        _ => return None,
    };
    for v in &items[1..] {
        let Value::Int(i) = *v else { return None };
        if (max && i > best) || (!max && i < best) {
            best = i;
        }
    }
    Some(Value::Int(best))
}
