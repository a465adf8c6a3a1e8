//! Comparison (`COMPARE_OP`), equality, identity (`IS_OP`) and hashing (dict keys).
//!
//! Numbers compare exactly across int, float and bool (`2**63 - 1 < 2.0**63` is exact, not a
//! rounded float comparison). Lists and tuples compare lexicographically; dicts by content;
//! every other object by identity. Nesting deeper than [`MAX_NESTING`] raises `RecursionError`.

use std::cmp::Ordering;

use crate::vm::exceptions::ExcKind;
use crate::vm::heap::{DictMap, DictPart, HashKey, Obj};
use crate::vm::ops::{range_len, type_name, MAX_NESTING};
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt, Throw};

const LT: u32 = 0;
const LE: u32 = 1;
const EQ: u32 = 2;
const NE: u32 = 3;
const GT: u32 = 4;
const GE: u32 = 5;

/// `a op b` for a `COMPARE_OP` oparg: 0 `<`, 1 `<=`, 2 `==`, 3 `!=`, 4 `>`, 5 `>=`.
#[inline]
pub fn compare(rt: &mut Rt, op: u32, a: Value, b: Value) -> PyResult<Value> {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        return Ok(Value::Bool(match op {
            LT => x < y,
            LE => x <= y,
            EQ => x == y,
            NE => x != y,
            GT => x > y,
            _ => x >= y,
        }));
    }
    let r = match op {
        EQ => eq(rt, a, b)?,
        NE => !eq(rt, a, b)?,
        _ => order(rt, op, a, b, 0)?,
    };
    Ok(Value::Bool(r))
}

/// `a == b` with Python's semantics.
pub fn eq(rt: &Rt, a: Value, b: Value) -> PyResult<bool> {
    eq_depth(rt, a, b, 0)
}

/// Calls `hit(i)` for each `i` with `items[i] is x or items[i] == x` (CPython's
/// `PyObject_RichCompareBool`, as `in`, `list.index` and `list.count` compare), in order,
/// until `hit` answers `true`. An int or a str `x` is compared with each item of its own kind
/// directly, without `eq`'s general dispatch: `out.index(line)` spent ~100 instructions an
/// item there (l/builtins, callgrind).
#[inline]
pub fn scan_eq(
    rt: &Rt,
    items: &[Value],
    x: Value,
    mut hit: impl FnMut(usize) -> bool,
) -> PyResult<()> {
    match x {
        Value::Int(q) => {
            for (i, &y) in items.iter().enumerate() {
                let same = match y {
                    Value::Int(p) => p == q,
                    _ => eq(rt, y, x)?,
                };
                if same && hit(i) {
                    break;
                }
            }
        }
        Value::Obj(xid) if matches!(rt.heap.get(xid), Obj::Str(_)) => {
            let Obj::Str(xs) = rt.heap.get(xid) else {
                return Ok(());
            };
            let xs = xs.as_str().as_bytes();
            for (i, &y) in items.iter().enumerate() {
                let same = match y {
                    Value::Obj(yid) if yid == xid => true,
                    Value::Obj(yid) => match rt.heap.get(yid) {
                        Obj::Str(ys) => ys.as_str().as_bytes() == xs,
                        _ => eq(rt, y, x)?,
                    },
                    // None, a bool, a number or a built-in never equals a str.
                    _ => false,
                };
                if same && hit(i) {
                    break;
                }
            }
        }
        _ => {
            for (i, &y) in items.iter().enumerate() {
                if (is(y, x) || eq(rt, y, x)?) && hit(i) {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// `a < b` (for sorting, `min` and `max`), raising `TypeError` for incomparable values.
pub fn order_lt(rt: &Rt, a: Value, b: Value) -> PyResult<bool> {
    order(rt, LT, a, b, 0)
}

/// `a is b`: the same object, or the same immediate (`None`, `True`, an int).
#[inline]
pub fn is(a: Value, b: Value) -> bool {
    match (a, b) {
        (Value::Obj(x), Value::Obj(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Undef, _) | (_, Value::Undef) => false,
        _ => a == b,
    }
}

/// The dict key for `v`: equal values give equal keys (`1`, `1.0`, `True`); lists, dicts,
/// views and slices are unhashable.
pub fn hash_key(rt: &Rt, v: Value) -> PyResult<HashKey> {
    hash_depth(rt, v, 0)
}

/// The position of key `v` in `d`, as `d.get_index_of(&hash_key(rt, v)?)` finds it, but a
/// `str` key is looked up by its text where it lies, without the copy a `HashKey` makes
/// (a malloc and a free per `d[w]`, `w in d`, `d.get(w)`).
#[inline]
pub fn dict_index_of(rt: &Rt, d: &DictMap, v: Value) -> PyResult<Option<usize>> {
    match v {
        Value::Int(i) => Ok(d.get_index_of_int(i)),
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Str(s) => Ok(d.get_index_of_str(s.as_str())),
            _ => Ok(d.get_index_of(&hash_key(rt, v)?)),
        },
        _ => Ok(d.get_index_of(&hash_key(rt, v)?)),
    }
}

/// The value `d` holds under key `v` ([`dict_index_of`]).
#[inline]
pub fn dict_get(rt: &Rt, d: &DictMap, v: Value) -> PyResult<Option<Value>> {
    Ok(dict_index_of(rt, d, v)?.and_then(|i| d.get_index(i).map(|(_, &(_, x))| x)))
}

#[cold]
#[inline(never)]
fn too_deep(what: &str) -> Throw {
    Throw::new(
        ExcKind::RecursionError,
        format!("maximum recursion depth exceeded {what}"),
    )
}

fn hash_depth(rt: &Rt, v: Value, depth: usize) -> PyResult<HashKey> {
    Ok(match v {
        Value::Int(i) => HashKey::Int(i),
        Value::Bool(b) => HashKey::Int(b as i64),
        Value::None => HashKey::None,
        Value::Float(f) => match float_as_int(f) {
            Some(i) => HashKey::Int(i),
            None if f.is_finite() && f.fract() == 0.0 => {
                HashKey::Big(Box::new(crate::vm::bigint::float_to_big(f)))
            }
            None => HashKey::Float(f.to_bits()),
        },
        Value::Undef => HashKey::None,
        Value::Native(n) => HashKey::Builtin(n as u32),
        Value::Method(m) => HashKey::Builtin(0x1_0000 | ((m.ty as u32) << 8) | m.attr as u32),
        Value::Module(m) => HashKey::Builtin(0x2_0000 | m as u32),
        Value::ExcType(k) => HashKey::Builtin(0x3_0000 | k as u32),
        Value::BoundExit(id) | Value::PyMethod(id) => HashKey::Id(id.0),
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Str(s) => HashKey::Str(s.as_str().into()),
            Obj::Tuple(items) => {
                if depth > MAX_NESTING {
                    return Err(too_deep("while hashing"));
                }
                let mut keys = Vec::with_capacity(items.len());
                for &x in items.iter() {
                    keys.push(hash_depth(rt, x, depth + 1)?);
                }
                HashKey::Tuple(keys.into_boxed_slice())
            }
            _ => hash_other(rt, v, id)?,
        },
    })
}

/// Hash keys of objects that contain no other hashed values (kept out of the recursive
/// function so its stack frame stays small).
#[inline(never)]
fn hash_other(rt: &Rt, v: Value, id: ObjId) -> PyResult<HashKey> {
    Ok(match rt.heap.get(id) {
        Obj::Range { start, stop, step } => {
            let n = range_len(*start, *stop, *step);
            let (s, st) = match n {
                0 => (0, 0),
                1 => (*start, 0),
                _ => (*start, *step),
            };
            HashKey::Tuple(Box::new([
                HashKey::Builtin(0x4_0000),
                HashKey::Int(n as i64),
                HashKey::Int(s),
                HashKey::Int(st),
            ]))
        }
        Obj::FrozenSet(t) => t.frozen_key(),
        Obj::BigInt(b) => HashKey::Big(b.clone()),
        Obj::List(_)
        | Obj::Dict(_)
        | Obj::Set(_)
        | Obj::DictView { .. }
        | Obj::Slice { .. }
        | Obj::Deque(_) => {
            let name = match rt.heap.get(id) {
                Obj::Deque(_) => "collections.deque",
                _ => type_name(rt, v),
            };
            return Err(Throw::type_error(format!("unhashable type: '{name}'")));
        }
        Obj::Instance(inst) if rt.user_dunders => {
            if let Some(fields) = crate::vm::dataclass::frozen_fields(rt, v) {
                let mut keys = Vec::with_capacity(fields.len());
                for x in fields {
                    keys.push(hash_key(rt, x)?);
                }
                return Ok(HashKey::Fields(Box::new((
                    inst.class.0,
                    keys.into_boxed_slice(),
                ))));
            }
            crate::vm::dunder::check_hashable(rt, v)?;
            HashKey::Id(id.0)
        }
        _ => HashKey::Id(id.0),
    })
}

/// The int equal to `f`, if `f` is integral and fits an i64.
#[inline]
fn float_as_int(f: f64) -> Option<i64> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2**63
    (f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
}

/// Exact comparison of an int with a float (`None` when `f` is NaN).
fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() {
        return None;
    }
    if f >= LIMIT {
        return Some(Ordering::Less);
    }
    if f < -LIMIT {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    match i.cmp(&(t as i64)) {
        Ordering::Equal => 0f64.partial_cmp(&(f - t)),
        o => Some(o),
    }
}

/// Numeric ordering of two numbers (`None` if either is not a number, or for NaN).
fn num_cmp(rt: &Rt, a: Value, b: Value) -> Option<Option<Ordering>> {
    if matches!(a, Value::Obj(_)) || matches!(b, Value::Obj(_)) {
        return big_cmp(rt, a, b);
    }
    let int = |v: Value| match v {
        Value::Int(i) => Some(i),
        Value::Bool(b) => Some(b as i64),
        _ => None,
    };
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => Some(x.partial_cmp(&y)),
        (Value::Float(x), _) => int(b).map(|y| cmp_int_float(y, x).map(Ordering::reverse)),
        (_, Value::Float(y)) => int(a).map(|x| cmp_int_float(x, y)),
        _ => Some(Some(int(a)?.cmp(&int(b)?))),
    }
}

/// The order of two numbers neither of which is NaN (ints, bools, floats, big ints), for
/// sorts that checked their keys first (`builtins::sort_total`); `Equal` for anything else.
pub fn num_total_cmp(rt: &Rt, a: Value, b: Value) -> Ordering {
    match num_cmp(rt, a, b) {
        Some(Some(o)) => o,
        _ => Ordering::Equal,
    }
}

/// `d.keys() == s` / `d.items() == s`: the view as a set.
fn view_eq_set(
    rt: &Rt,
    dict: ObjId,
    part: crate::vm::heap::DictPart,
    s: &crate::vm::set::SetTable,
    depth: usize,
) -> PyResult<bool> {
    let Obj::Dict(d) = rt.heap.get(dict) else {
        return Ok(false);
    };
    if d.len() != s.len() {
        return Ok(false);
    }
    for e in s.entries() {
        if part == crate::vm::heap::DictPart::Keys {
            if !d.contains_key(&e.key) {
                return Ok(false);
            }
            continue;
        }
        // An item: a (key, value) pair whose key maps to an equal value.
        let Value::Obj(t) = e.value else {
            return Ok(false);
        };
        let Obj::Tuple(kv) = rt.heap.get(t) else {
            return Ok(false);
        };
        let [k, v] = kv.as_slice() else {
            return Ok(false);
        };
        match d.get(&hash_key(rt, *k)?) {
            Some(&(_, w)) if same_obj(*v, w) || eq_depth(rt, *v, w, depth + 1)? => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// Numeric ordering when an operand is a heap object: a big int against any number.
#[inline(never)]
fn big_cmp(rt: &Rt, a: Value, b: Value) -> Option<Option<Ordering>> {
    use crate::vm::bigint::{as_big, cmp_float, to_big};
    if as_big(rt, a).is_none() && as_big(rt, b).is_none() {
        return None;
    }
    match (a, b) {
        (Value::Float(x), _) => Some(cmp_float(as_big(rt, b)?, x).map(Ordering::reverse)),
        (_, Value::Float(y)) => Some(cmp_float(as_big(rt, a)?, y)),
        _ => Some(Some(to_big(rt, a)?.cmp(&to_big(rt, b)?))),
    }
}

fn eq_depth(rt: &Rt, a: Value, b: Value, depth: usize) -> PyResult<bool> {
    if rt.user_dunders {
        crate::vm::dunder::check_eq_here(rt, a, b)?;
    }
    // fmt: two strs (`out.index(line)`, `w in words`) first: `num_cmp` answers `None` for
    // them after looking for big ints, and the match below compares their text.
    if let (Value::Obj(x), Value::Obj(y)) = (a, b) {
        if let (Obj::Str(p), Obj::Str(q), false) =
            (rt.heap.get(x), rt.heap.get(y), depth > MAX_NESTING)
        {
            return Ok(p.as_str() == q.as_str());
        }
    }
    if let Some(o) = num_cmp(rt, a, b) {
        return Ok(o == Some(Ordering::Equal));
    }
    let (Value::Obj(x), Value::Obj(y)) = (a, b) else {
        return Ok(is(a, b));
    };
    if depth > MAX_NESTING {
        return Err(too_deep("in comparison"));
    }
    match (rt.heap.get(x), rt.heap.get(y)) {
        (Obj::Str(p), Obj::Str(q)) => Ok(p.as_str() == q.as_str()),
        (Obj::List(p), Obj::List(q)) | (Obj::Tuple(p), Obj::Tuple(q)) => {
            if p.len() != q.len() {
                return Ok(false);
            }
            for (&u, &v) in p.iter().zip(q.iter()) {
                if !same_obj(u, v) && !eq_depth(rt, u, v, depth + 1)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        (Obj::Set(p) | Obj::FrozenSet(p), Obj::Set(q) | Obj::FrozenSet(q)) => {
            Ok(p.len() == q.len() && p.is_subset(q))
        }
        (Obj::Deque(p), Obj::Deque(q)) => {
            if p.items.len() != q.items.len() {
                return Ok(false);
            }
            let (p, q) = (
                crate::vm::deque::snapshot(rt, x),
                crate::vm::deque::snapshot(rt, y),
            );
            for (&u, &v) in p.iter().zip(q.iter()) {
                if !same_obj(u, v) && !eq_depth(rt, u, v, depth + 1)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        (Obj::Alias { .. } | Obj::UnionType(_), _) => {
            Ok(crate::vm::typing_alias::hint_eq(rt, a, b))
        }
        (Obj::DictView { dict, part }, Obj::Set(s) | Obj::FrozenSet(s))
        | (Obj::Set(s) | Obj::FrozenSet(s), Obj::DictView { dict, part })
            if *part != crate::vm::heap::DictPart::Values =>
        {
            view_eq_set(rt, *dict, *part, s, depth)
        }
        (Obj::Dict(p), Obj::Dict(q)) => {
            if p.len() != q.len() {
                return Ok(false);
            }
            for (k, (_, v)) in p.iter() {
                match q.get(k) {
                    Some(&(_, w)) if same_obj(*v, w) || eq_depth(rt, *v, w, depth + 1)? => {}
                    _ => return Ok(false),
                }
            }
            Ok(true)
        }
        (
            Obj::Range {
                start: s1,
                stop: e1,
                step: t1,
            },
            Obj::Range {
                start: s2,
                stop: e2,
                step: t2,
            },
        ) => {
            let (n1, n2) = (range_len(*s1, *e1, *t1), range_len(*s2, *e2, *t2));
            Ok(n1 == n2 && (n1 == 0 || (s1 == s2 && (n1 == 1 || t1 == t2))))
        }
        (
            Obj::DictView {
                dict: d1,
                part: DictPart::Keys,
            },
            Obj::DictView {
                dict: d2,
                part: DictPart::Keys,
            },
        ) => match (rt.heap.get(*d1), rt.heap.get(*d2)) {
            (Obj::Dict(p), Obj::Dict(q)) => {
                Ok(p.len() == q.len() && p.keys().all(|k| q.contains_key(k)))
            }
            _ => Ok(false),
        },
        (Obj::Instance(_), Obj::Instance(_)) if rt.user_dunders && x != y => {
            // A dataclass compares its fields as a tuple (same class only).
            match crate::vm::dataclass::compared_fields(rt, a, b, false) {
                Some((p, q)) => {
                    for (&u, &v) in p.iter().zip(q.iter()) {
                        if !same_obj(u, v) && !eq_depth(rt, u, v, depth + 1)? {
                            return Ok(false);
                        }
                    }
                    Ok(true)
                }
                None => Ok(false),
            }
        }
        _ => Ok(x == y),
    }
}

/// Identity of heap objects: containers compare their items with this shortcut first, as
/// CPython does, so a list containing itself equals itself.
#[inline]
fn same_obj(a: Value, b: Value) -> bool {
    matches!((a, b), (Value::Obj(x), Value::Obj(y)) if x == y)
}

fn op_str(op: u32) -> &'static str {
    match op {
        LT => "<",
        LE => "<=",
        GT => ">",
        _ => ">=",
    }
}

fn holds(op: u32, o: Ordering) -> bool {
    match op {
        LT => o == Ordering::Less,
        LE => o != Ordering::Greater,
        GT => o == Ordering::Greater,
        GE => o != Ordering::Less,
        _ => o == Ordering::Equal,
    }
}

/// `a op b` for the ordering operators.
fn order(rt: &Rt, op: u32, a: Value, b: Value, depth: usize) -> PyResult<bool> {
    if let Some(o) = num_cmp(rt, a, b) {
        return Ok(o.is_some_and(|o| holds(op, o)));
    }
    if let (Value::Obj(x), Value::Obj(y)) = (a, b) {
        match (rt.heap.get(x), rt.heap.get(y)) {
            (Obj::Str(p), Obj::Str(q)) => return Ok(holds(op, p.as_str().cmp(q.as_str()))),
            (Obj::List(p), Obj::List(q)) | (Obj::Tuple(p), Obj::Tuple(q)) => {
                if depth > MAX_NESTING {
                    return Err(too_deep("in comparison"));
                }
                for (&u, &v) in p.iter().zip(q.iter()) {
                    if !same_obj(u, v) && !eq_depth(rt, u, v, depth + 1)? {
                        return order(rt, op, u, v, depth + 1);
                    }
                }
                return Ok(holds(op, p.len().cmp(&q.len())));
            }
            (Obj::Set(p) | Obj::FrozenSet(p), Obj::Set(q) | Obj::FrozenSet(q)) => {
                // Subset order: `<=` is issubset, `<` a proper subset.
                return Ok(match op {
                    LT => p.len() < q.len() && p.is_subset(q),
                    LE => p.is_subset(q),
                    GT => q.len() < p.len() && q.is_subset(p),
                    _ => q.is_subset(p),
                });
            }
            (Obj::Instance(_), Obj::Instance(_)) if rt.user_dunders => {
                // A dataclass with `order=True` compares its fields as a tuple.
                if let Some((p, q)) = crate::vm::dataclass::compared_fields(rt, a, b, true) {
                    if depth > MAX_NESTING {
                        return Err(too_deep("in comparison"));
                    }
                    for (&u, &v) in p.iter().zip(q.iter()) {
                        if !same_obj(u, v) && !eq_depth(rt, u, v, depth + 1)? {
                            return order(rt, op, u, v, depth + 1);
                        }
                    }
                    return Ok(holds(op, p.len().cmp(&q.len())));
                }
            }
            _ => {}
        }
    }
    Err(Throw::type_error(format!(
        "'{}' not supported between instances of '{}' and '{}'",
        op_str(op),
        type_name(rt, a),
        type_name(rt, b)
    )))
}
