//! Sorting keys whose order is known to be total before the sort starts (issue 21, `gen`).
//!
//! CPython's `list.sort` looks at the keys once before sorting (`unsafe_latin_compare`,
//! `unsafe_long_compare`, `unsafe_tuple_compare` in `listobject.c`): when they are all of one
//! type with a simple order it compares them without `PyObject_RichCompare`. This does the
//! same for the shapes programs sort most: numbers, strings, and tuples whose every position
//! holds only numbers or only strings across all the keys (`key=lambda p: (p[1], p[0])`).
//!
//! Such keys cannot raise when compared (no str-against-int, no NaN, no instances with
//! `__lt__`), and their `<` is a total order consistent with `==`, so Python's lexicographic
//! tuple `<` (the first position where the items differ decides; then the length) is exactly
//! the lexicographic order of the parts computed here, and any stable sort gives the order
//! CPython's timsort gives. The parts are read from the heap once per key (the strings as
//! `&str`, no copy), not once per comparison. Anything else — a mixed position, a nested
//! tuple, a NaN, a list — answers `false` and the caller takes the general comparison sort,
//! which raises `TypeError` where CPython does.

use std::cmp::Ordering;

use crate::vm::heap::Obj;
use crate::vm::ops::num_total_cmp;
use crate::vm::value::Value;
use crate::vm::Rt;

/// One comparable piece of a key: the key itself, or one item of a tuple key.
#[derive(Clone, Copy)]
enum Part<'a> {
    Int(i64),
    /// A string and its first 8 bytes, big-endian, zero-padded ([`prefix`]).
    Str(u64, &'a str),
    /// A float (never NaN) or a big int: compared exactly with the other numbers.
    Num(Value),
}

/// What a position holds across all the keys: nothing yet, numbers, or strings.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Unset,
    Num,
    Str,
}

impl Part<'_> {
    fn class(self) -> Class {
        match self {
            Part::Str(..) => Class::Str,
            Part::Int(_) | Part::Num(_) => Class::Num,
        }
    }

    fn value(self) -> Value {
        match self {
            Part::Int(i) => Value::Int(i),
            Part::Num(v) => v,
            Part::Str(..) => Value::None,
        }
    }
}

/// The part for a scalar `v`, or `None` if `v` is not a number or string with a total order.
fn part<'a>(rt: &'a Rt, v: Value) -> Option<Part<'a>> {
    match v {
        Value::Int(i) => Some(Part::Int(i)),
        Value::Bool(b) => Some(Part::Int(b as i64)),
        Value::Float(f) if !f.is_nan() => Some(Part::Num(v)),
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Str(s) => {
                let s = s.as_str();
                Some(Part::Str(prefix(s), s))
            }
            Obj::BigInt(_) => Some(Part::Num(v)),
            _ => None,
        },
        _ => None,
    }
}

/// The first 8 bytes of `s` as a big-endian integer, zeros after its end: strings whose
/// prefixes differ compare as their prefixes do (Python orders strings by code point, which
/// is their UTF-8 bytes' order), without a `memcmp` call.
fn prefix(s: &str) -> u64 {
    let mut b = [0u8; 8];
    let n = s.len().min(8);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    u64::from_be_bytes(b)
}

#[inline]
fn cmp_part(rt: &Rt, a: Part, b: Part) -> Ordering {
    match (a, b) {
        (Part::Int(x), Part::Int(y)) => x.cmp(&y),
        (Part::Str(p, x), Part::Str(q, y)) => {
            if p != q {
                p.cmp(&q)
            } else if x.len() <= 8 && y.len() <= 8 {
                // Equal up to the shorter one's end, and zeros after it: the shorter is a
                // prefix of the longer.
                x.len().cmp(&y.len())
            } else {
                x.cmp(y)
            }
        }
        // Both numbers (the classes were checked): exact, and never NaN.
        _ => num_total_cmp(rt, a.value(), b.value()),
    }
}

fn cmp_parts(rt: &Rt, a: &[Part], b: &[Part]) -> Ordering {
    for (&x, &y) in a.iter().zip(b.iter()) {
        match cmp_part(rt, x, y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    a.len().cmp(&b.len())
}

/// Sorts `items` by `keys` (one per item; `keys` may be `items` itself) as Python's stable
/// sort would, when the keys' order is total (see the module's note), and answers `true`;
/// otherwise leaves `items` as they were and answers `false`.
pub(super) fn sort_total(rt: &Rt, items: &mut [Value], keys: &[Value], reverse: bool) -> bool {
    let n = items.len();
    if n != keys.len() {
        return false;
    }
    let Some(ranges) = key_parts(rt, keys) else {
        return false;
    };
    let (parts, spans) = ranges;
    let width = spans.iter().map(|s| s.1).max().unwrap_or(0) as usize;
    if (1..=4).contains(&width) && u32::try_from(n).is_ok() {
        if let Some(codes) = column_codes(rt, &parts, &spans, width) {
            let done = match width {
                1 => sort_ranked::<1>(items, &codes, reverse),
                2 => sort_ranked::<2>(items, &codes, reverse),
                3 => sort_ranked::<3>(items, &codes, reverse),
                _ => sort_ranked::<4>(items, &codes, reverse),
            };
            if done {
                return true;
            }
        }
    }
    let mut order: Vec<(&[Part], Value)> = Vec::new();
    if order.try_reserve_exact(n).is_err() {
        return false;
    }
    for (&(start, len), &item) in spans.iter().zip(items.iter()) {
        order.push((&parts[start as usize..(start + len) as usize], item));
    }
    // Stable: equal keys keep their order, also under `reverse` (CPython reverses, sorts
    // stably and reverses back, which for a total order is the same).
    if reverse {
        order.sort_by(|a, b| cmp_parts(rt, b.0, a.0));
    } else {
        order.sort_by(|a, b| cmp_parts(rt, a.0, b.0));
    }
    for (dst, (_, v)) in items.iter_mut().zip(order) {
        *dst = v;
    }
    true
}

/// Flips an int's sign bit: unsigned order of the results is the ints' order.
const SIGN: u64 = 1 << 63;

/// The keys as rows of `width` codes (row-major), each column's codes ordered as its parts
/// are: an int column where every key has that position keeps the ints (sign bit flipped);
/// any other column is replaced by its parts' dense ranks (equal parts, equal ranks), from 1,
/// with 0 for a key too short to have the position — a tuple sorts before the longer tuples
/// it is a prefix of. Comparing rows of codes lexicographically is then comparing the keys,
/// and each column's strings (or mixed numbers) are compared n log n times in one column's
/// sort, not again in every comparison of whole keys.
fn column_codes(rt: &Rt, parts: &[Part], spans: &[(u32, u32)], width: usize) -> Option<Vec<u64>> {
    let n = spans.len();
    let mut codes: Vec<u64> = Vec::new();
    let size = n.checked_mul(width)?;
    codes.try_reserve_exact(size).ok()?;
    codes.resize(size, 0);
    let uniform = spans.iter().all(|s| s.1 as usize == width);
    let mut col: Vec<(Part, u32)> = Vec::new();
    col.try_reserve_exact(n).ok()?;
    for j in 0..width {
        let at = |r: usize| -> Option<Part> {
            let (start, len) = spans[r];
            (j < len as usize).then(|| parts[start as usize + j])
        };
        if uniform && (0..n).all(|r| matches!(at(r), Some(Part::Int(_)))) {
            for r in 0..n {
                if let Some(Part::Int(i)) = at(r) {
                    codes[r * width + j] = (i as u64) ^ SIGN;
                }
            }
            continue;
        }
        col.clear();
        for r in 0..n {
            if let Some(p) = at(r) {
                col.push((p, r as u32));
            }
        }
        col.sort_unstable_by(|a, b| cmp_part(rt, a.0, b.0));
        let mut rank = 0u64;
        for k in 0..col.len() {
            if k == 0 || cmp_part(rt, col[k - 1].0, col[k].0) != Ordering::Equal {
                rank += 1;
            }
            codes[col[k].1 as usize * width + j] = rank;
        }
    }
    Some(codes)
}

/// Sorts `items` by rows of `L` codes ([`column_codes`]), stably: each row carries its
/// item's index as the last tiebreak, so the (faster) unstable sort of distinct rows gives
/// the stable order. `reverse` complements the codes (descending keys) but not the index
/// (equal keys still in their original order, as CPython's `reverse=True`). `false` (items
/// untouched) if memory runs out.
fn sort_ranked<const L: usize>(items: &mut [Value], codes: &[u64], reverse: bool) -> bool {
    let n = items.len();
    let mut rows: Vec<([u64; L], u32)> = Vec::new();
    let mut old: Vec<Value> = Vec::new();
    if rows.try_reserve_exact(n).is_err() || old.try_reserve_exact(n).is_err() {
        return false;
    }
    for (r, c) in codes.chunks_exact(L).enumerate() {
        let mut k = [0u64; L];
        k.copy_from_slice(c);
        if reverse {
            for x in k.iter_mut() {
                *x = !*x;
            }
        }
        rows.push((k, r as u32));
    }
    rows.sort_unstable();
    old.extend_from_slice(items);
    for (dst, (_, r)) in items.iter_mut().zip(&rows) {
        *dst = old[*r as usize];
    }
    true
}

/// The keys' parts, flat, and each key's `(start, len)` among them; `None` unless the keys
/// are all scalars of one class, or all tuples whose items at each position are of one class.
#[allow(clippy::type_complexity)]
fn key_parts<'a>(rt: &'a Rt, keys: &[Value]) -> Option<(Vec<Part<'a>>, Vec<(u32, u32)>)> {
    let first = *keys.first()?;
    let tuples = matches!(first, Value::Obj(id) if matches!(rt.heap.get(id), Obj::Tuple(_)));
    let mut parts: Vec<Part> = Vec::new();
    let mut spans: Vec<(u32, u32)> = Vec::new();
    spans.try_reserve_exact(keys.len()).ok()?;
    if !tuples {
        parts.try_reserve_exact(keys.len()).ok()?;
        let mut class = Class::Unset;
        for (i, &k) in keys.iter().enumerate() {
            let p = part(rt, k)?;
            if class != Class::Unset && p.class() != class {
                return None;
            }
            class = p.class();
            parts.push(p);
            spans.push((i as u32, 1));
        }
        return Some((parts, spans));
    }
    // Positions' classes; tuples longer than this list extend it.
    let mut classes: Vec<Class> = Vec::new();
    for &k in keys {
        let Value::Obj(id) = k else { return None };
        let Obj::Tuple(t) = rt.heap.get(id) else {
            return None;
        };
        let start = u32::try_from(parts.len()).ok()?;
        let len = u32::try_from(t.len()).ok()?;
        start.checked_add(len)?;
        parts.try_reserve(t.len()).ok()?;
        for (j, &x) in t.iter().enumerate() {
            let p = part(rt, x)?;
            match classes.get(j) {
                None => classes.push(p.class()),
                Some(&c) if c != p.class() => return None,
                Some(_) => {}
            }
            parts.push(p);
        }
        spans.push((start, len));
    }
    Some((parts, spans))
}
