//! Numeric conversions and arithmetic built-ins: `int()`, `float()`, `round()`, `pow()` and
//! `hash()`, with CPython's parsing rules (whitespace, signs, underscores, base prefixes).
//!
//! `hash()` is CPython's algorithm for numbers and tuples; strings hash with SipHash-1-3 under
//! a zero key, which equals CPython run with `PYTHONHASHSEED=0` for ASCII strings. Either way
//! it is deterministic (DESIGN.md §4.5).

use std::hash::Hasher;

use crate::vm::builtins::{check_kwargs, kwarg, Kwargs};
use crate::vm::exceptions::ExcKind;
use crate::vm::format::{fake_id, str_repr};
use crate::vm::heap::{HashKey, Obj};
use crate::vm::ops::{self, expect_index, hash_key, type_name};
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

/// `int(x=0, base=10)`.
pub(super) fn int_call(rt: &mut Rt, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    check_kwargs("int", kwargs, &["base"])?;
    if args.len() > 2 {
        return Err(Throw::type_error(format!(
            "int() takes at most 2 arguments ({} given)",
            args.len()
        )));
    }
    let base = match (args.get(1), kwarg(kwargs, "base")) {
        (Some(&b), _) | (None, Some(b)) => Some(expect_index(rt, b)?),
        _ => None,
    };
    let Some(&v) = args.first() else {
        return match base {
            None => Ok(Value::Int(0)),
            Some(_) => Err(Throw::type_error("int() missing string argument")),
        };
    };
    if let Some(b) = base {
        if b != 0 && !(2..=36).contains(&b) {
            return Err(Throw::value_error(
                "int() base must be >= 2 and <= 36, or 0",
            ));
        }
    }
    if let Some(s) = rt.as_str(v) {
        if base.unwrap_or(10) == 10 {
            if let Some(i) = short_decimal(s) {
                return Ok(Value::Int(i));
            }
        }
        // exc4: parsed in place (the digits are owned), no copy of the string first.
        let parsed = int_digits(s, base.unwrap_or(10) as u32);
        return int_value_from_digits(rt, parsed?);
    }
    if base.is_some() {
        return Err(Throw::type_error(
            "int() can't convert non-string with explicit base",
        ));
    }
    match v {
        Value::Int(i) => Ok(Value::Int(i)),
        Value::Bool(b) => Ok(Value::Int(b as i64)),
        Value::Float(f) => float_to_int_value(rt, f),
        _ if crate::vm::bigint::as_big(rt, v).is_some() => Ok(v),
        _ => Err(Throw::type_error(format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            type_name(rt, v)
        ))),
    }
}

/// Truncates a float to an int of any size, with Python's errors.
pub fn float_to_int_value(rt: &mut Rt, f: f64) -> PyResult<Value> {
    match float_to_int(f) {
        Ok(i) => Ok(Value::Int(i)),
        Err(_) if f.is_finite() => {
            crate::vm::bigint::int_value(rt, crate::vm::bigint::float_to_big(f.trunc()))
        }
        Err(e) => Err(e),
    }
}

/// Truncates a float to an i64, with Python's errors (`OverflowError` beyond i64).
pub fn float_to_int(f: f64) -> PyResult<i64> {
    if f.is_nan() {
        return Err(Throw::value_error("cannot convert float NaN to integer"));
    }
    if f.is_infinite() {
        return Err(Throw::new(
            ExcKind::OverflowError,
            "cannot convert float infinity to integer",
        ));
    }
    let t = f.trunc();
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&t) {
        Ok(t as i64)
    } else {
        Err(ops::overflow())
    }
}

/// Parses an int literal as `int(s, base)` does (`base` 0 means "from the prefix"): the sign,
/// the base and the digits' values.
fn int_digits(s: &str, base: u32) -> PyResult<(bool, u32, Vec<u8>)> {
    let invalid = || {
        // CPython formats the literal with `%.200R`: its repr, cut to 200 characters. A
        // short literal of printable ASCII without quotes or backslashes is its own repr
        // between single quotes: written straight into the message (gen3: no repr `String`
        // for the common `int("x")` raised and caught).
        let plain = s.len() <= 198
            && s.bytes()
                .all(|b| (0x20..0x7f).contains(&b) && b != b'\'' && b != b'\\');
        let repr;
        let r = if plain {
            s
        } else {
            repr = str_repr(s);
            match repr.char_indices().nth(200) {
                Some((cut, _)) => &repr[..cut],
                None => &repr,
            }
        };
        // Built by hand: `format!` cost more than the rest of a failed `int("x")`.
        let mut m = String::with_capacity(42 + r.len());
        m.push_str("invalid literal for int() with base ");
        if base >= 100 {
            m.push_str(&base.to_string());
        } else {
            if base >= 10 {
                m.push(char::from(b'0' + (base / 10) as u8));
            }
            m.push(char::from(b'0' + (base % 10) as u8));
        }
        m.push_str(": ");
        if plain {
            m.push('\'');
            m.push_str(r);
            m.push('\'');
        } else {
            m.push_str(r);
        }
        Throw::value_error(m)
    };
    if base == 1 || base > 36 {
        return Err(invalid());
    }
    // exc5: in a base up to 10 every digit of an ASCII literal is an ASCII decimal digit (a
    // base prefix starts with `0`): one without any is invalid, found in one scan instead of
    // the trim, sign, prefix, underscore and digit checks below (`int("x")`).
    if base <= 10 && s.is_ascii() && !s.bytes().any(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let t = s.trim();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    // (Compared byte-wise: a two-byte prefix `0x` ends on a char boundary.)
    let prefix_base = match t.as_bytes() {
        [b'0', b'x' | b'X', ..] => Some(16),
        [b'0', b'o' | b'O', ..] => Some(8),
        [b'0', b'b' | b'B', ..] => Some(2),
        _ => None,
    };
    let (base, digits) = match (base, prefix_base) {
        (0, Some(b)) => (b, &t[2..]),
        (0, None) => {
            // Base 0 without a prefix is decimal, and a nonzero number may not start with 0.
            let nonzero = t.bytes().any(|b| b.is_ascii_digit() && b != b'0');
            if t.starts_with('0') && nonzero {
                return Err(invalid());
            }
            (10, t)
        }
        (b, Some(p)) if b == p => (b, &t[2..]),
        (b, _) => (b, t),
    };
    // After a base prefix a single underscore may come first (`0x_ff`).
    let digits = if prefix_base.is_some() && digits.len() != t.len() {
        digits.strip_prefix('_').unwrap_or(digits)
    } else {
        digits
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return Err(invalid());
    }
    // exc4: checked before the digits' `Vec` is allocated, so that a failed `int("x")`
    // allocates only its message.
    let valid = |c: char| {
        c == '_'
            || c.to_digit(base)
                .or_else(|| unicode_digit(c))
                .is_some_and(|d| d < base)
    };
    if !digits.chars().all(valid) {
        return Err(invalid());
    }
    let mut values = Vec::with_capacity(digits.len());
    for c in digits.chars().filter(|&c| c != '_') {
        let d = c
            .to_digit(base)
            .or_else(|| unicode_digit(c))
            .ok_or_else(invalid)?;
        if d >= base {
            return Err(invalid());
        }
        values.push(d as u8);
    }
    Ok((neg, base, values))
}

/// Parses an int literal as `int(s, base)` does, to an i64 (`OverflowError` beyond).
pub fn int_from_str(s: &str, base: u32) -> PyResult<i64> {
    let (neg, base, digits) = int_digits(s, base)?;
    let mut acc: i128 = 0;
    for d in digits {
        acc = acc * base as i128 + d as i128;
        if acc > 1 << 64 {
            return Err(ops::overflow());
        }
    }
    let v = if neg { -acc } else { acc };
    i64::try_from(v).map_err(|_| ops::overflow())
}

/// genexc2: `int(s)` of a plain decimal literal — an optional sign and 1 to 18 ASCII
/// digits, nothing else — read without `int_digits`' copies and digit `Vec` (what
/// `int("12")` in a loop costs); anything else (spaces, underscores, other scripts' digits,
/// longer numbers, errors) is `None`, for the general path.
#[inline]
fn short_decimal(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut acc: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        acc = acc * 10 + (c - b'0') as i64;
    }
    Some(if neg { -acc } else { acc })
}

/// `int(s, base)`: an int of any size (CPython's 4300-digit limit applies).
pub fn int_value_from_str(rt: &mut Rt, s: &str, base: u32) -> PyResult<Value> {
    int_value_from_digits(rt, int_digits(s, base)?)
}

/// The int of `int_digits`' sign, base and digit values.
fn int_value_from_digits(
    rt: &mut Rt,
    (neg, base, digits): (bool, u32, Vec<u8>),
) -> PyResult<Value> {
    if digits.len() <= 18 {
        // 18 digits fit an i64 in base 10 but not in base 16 or 36 (`int("f" * 18, 16)`):
        // checked, and past an i64 the big path.
        let mut acc: Option<i64> = Some(0);
        for &d in &digits {
            acc = acc
                .and_then(|a| a.checked_mul(base as i64))
                .and_then(|a| a.checked_add(d as i64));
        }
        if let Some(acc) = acc {
            return Ok(Value::Int(if neg { -acc } else { acc }));
        }
    }
    let text: String = digits
        .iter()
        .map(|&d| char::from_digit(d as u32, base).unwrap_or('0'))
        .collect();
    match crate::vm::bigint::parse(rt, neg, &text, base)? {
        Some(b) => crate::vm::bigint::int_value(rt, b),
        None => Err(Throw::value_error("invalid literal for int()")),
    }
}

/// Decimal digits of other scripts, which Python's `int()` accepts (`'١٢'` is 12).
pub(crate) fn unicode_digit(c: char) -> Option<u32> {
    const ZEROS: [u32; 8] = [0x660, 0x6f0, 0x966, 0x9e6, 0xe50, 0xff10, 0x1d7ce, 0x1d7ec];
    let u = c as u32;
    ZEROS
        .iter()
        .find(|&&z| (z..z + 10).contains(&u))
        .map(|&z| u - z)
}

/// `float(v)` for a number or a string.
pub(super) fn to_float(rt: &Rt, v: Value) -> PyResult<f64> {
    match v {
        Value::Int(i) => Ok(i as f64),
        Value::Bool(b) => Ok(b as i64 as f64),
        Value::Float(f) => Ok(f),
        _ if crate::vm::bigint::as_big(rt, v).is_some() => crate::vm::bigint::to_f64(rt, v),
        _ => match rt.as_str(v) {
            Some(s) => float_from_str(s),
            None => Err(Throw::type_error(format!(
                "float() argument must be a string or a real number, not '{}'",
                type_name(rt, v)
            ))),
        },
    }
}

/// Parses a float as `float(s)` does: whitespace, sign, `inf`/`infinity`/`nan`, underscores
/// between digits.
pub fn float_from_str(s: &str) -> PyResult<f64> {
    let invalid = || {
        Throw::value_error(format!(
            "could not convert string to float: {}",
            str_repr(s)
        ))
    };
    let t = s.trim();
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return t.to_ascii_lowercase().parse::<f64>().map_err(|_| invalid());
    }
    let ok_chars = body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'));
    if body.is_empty() || !ok_chars {
        return Err(invalid());
    }
    // An underscore must sit between two digits.
    let b = t.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let digit = |j: Option<&u8>| j.is_some_and(|d| d.is_ascii_digit());
            if i == 0 || !digit(b.get(i - 1)) || !digit(b.get(i + 1)) {
                return Err(invalid());
            }
        }
    }
    t.replace('_', "").parse::<f64>().map_err(|_| invalid())
}

/// `round(number, ndigits=None)`.
pub(super) fn round_call(rt: &mut Rt, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    check_kwargs("round", kwargs, &["number", "ndigits"])?;
    if args.len() > 2 {
        return Err(Throw::type_error(format!(
            "round() takes at most 2 arguments ({} given)",
            args.len()
        )));
    }
    let Some(x) = args.first().copied().or_else(|| kwarg(kwargs, "number")) else {
        return Err(Throw::type_error(
            "round() missing required argument 'number' (pos 1)",
        ));
    };
    let nd = args.get(1).copied().or_else(|| kwarg(kwargs, "ndigits"));
    round_value(rt, x, nd)
}

/// Python's `round`: ties to even, exact on the binary value (`round(2.675, 2)` is 2.67).
pub fn round_value(rt: &mut Rt, x: Value, ndigits: Option<Value>) -> PyResult<Value> {
    let nd = match ndigits {
        None | Some(Value::None) => None,
        Some(v) => Some(expect_index(rt, v)?),
    };
    if let Some(b) = crate::vm::bigint::as_big(rt, x) {
        let Some(nd) = nd.filter(|&n| n < 0) else {
            return Ok(x);
        };
        use num_integer::Integer;
        let p = num_traits::Pow::pow(num_bigint::BigInt::from(10), nd.unsigned_abs());
        let (q, r) = b.div_mod_floor(&p);
        let twice: num_bigint::BigInt = &r * 2;
        let up = twice > p || (twice == p && q.is_odd());
        let q = if up { q + 1 } else { q };
        return crate::vm::bigint::int_value(rt, q * p);
    }
    match (x, nd) {
        (Value::Int(_) | Value::Bool(_), None) => Ok(Value::Int(ops::as_index(x).unwrap_or(0))),
        (Value::Int(_) | Value::Bool(_), Some(nd)) => {
            let i = ops::as_index(x).unwrap_or(0);
            if nd >= 0 {
                return Ok(Value::Int(i));
            }
            if nd < -18 {
                return Ok(Value::Int(0));
            }
            let p = 10i128.pow((-nd) as u32);
            let (q, r) = ((i as i128).div_euclid(p), (i as i128).rem_euclid(p));
            let up = 2 * r > p || (2 * r == p && q % 2 != 0);
            let q = if up { q + 1 } else { q };
            match i64::try_from(q * p) {
                Ok(r) => Ok(Value::Int(r)),
                Err(_) => crate::vm::bigint::int_value(rt, num_bigint::BigInt::from(q * p)),
            }
        }
        (Value::Float(f), None) => {
            let r = f.round_ties_even();
            float_to_int_value(rt, r)
        }
        (Value::Float(f), Some(nd)) => {
            if !f.is_finite() || nd > 330 {
                return Ok(Value::Float(f));
            }
            if nd >= 0 {
                let s = format!("{f:.prec$}", prec = nd as usize);
                return Ok(Value::Float(s.parse().unwrap_or(f)));
            }
            if nd < -330 {
                return Ok(Value::Float(0f64.copysign(f)));
            }
            let p = 10f64.powi((-nd) as i32);
            let y = (f / p).round_ties_even() * p;
            Ok(Value::Float(if y.is_finite() { y } else { f }))
        }
        _ => Err(Throw::type_error(format!(
            "type {} doesn't define __round__ method",
            type_name(rt, x)
        ))),
    }
}

/// `pow(base, exp, mod=None)`.
pub(super) fn pow_call(rt: &mut Rt, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    check_kwargs("pow", kwargs, &["base", "exp", "mod"])?;
    let get = |i: usize, name: &str| args.get(i).copied().or_else(|| kwarg(kwargs, name));
    let (Some(b), Some(e)) = (get(0, "base"), get(1, "exp")) else {
        let which = if get(0, "base").is_none() {
            "'base' (pos 1)"
        } else {
            "'exp' (pos 2)"
        };
        return Err(Throw::type_error(format!(
            "pow() missing required argument {which}"
        )));
    };
    if args.len() > 3 {
        return Err(Throw::type_error(format!(
            "pow() takes at most 3 arguments ({} given)",
            args.len()
        )));
    }
    match get(2, "mod").filter(|m| !m.is_none()) {
        None => ops::binary_op(rt, 8, b, e),
        Some(m) => {
            if let (Some(b), Some(e), Some(m)) =
                (ops::as_index(b), ops::as_index(e), ops::as_index(m))
            {
                return mod_pow(b, e, m).map(Value::Int);
            }
            let big = crate::vm::bigint::to_big;
            let (Some(b), Some(e), Some(m)) = (big(rt, b), big(rt, e), big(rt, m)) else {
                return Err(Throw::type_error(
                    "pow() 3rd argument not allowed unless all arguments are integers",
                ));
            };
            crate::vm::bigint::pow_mod(rt, &b, &e, &m)
        }
    }
}

fn mod_pow(b: i64, e: i64, m: i64) -> PyResult<i64> {
    if m == 0 {
        return Err(Throw::value_error("pow() 3rd argument cannot be 0"));
    }
    let mm = (m as i128).abs();
    let mut base = (b as i128).rem_euclid(mm);
    if e < 0 {
        base = mod_inverse(base, mm)
            .ok_or_else(|| Throw::value_error("base is not invertible for the given modulus"))?;
    }
    let mut exp = e.unsigned_abs();
    let mut acc: i128 = 1 % mm;
    while exp > 0 {
        if exp & 1 == 1 {
            acc = acc * base % mm;
        }
        base = base * base % mm;
        exp >>= 1;
    }
    // The result takes the sign of the modulus, as Python's % does.
    if m < 0 && acc != 0 {
        acc -= mm;
    }
    Ok(acc as i64)
}

fn mod_inverse(a: i128, m: i128) -> Option<i128> {
    let (mut old_r, mut r) = (a, m);
    let (mut old_s, mut s) = (1i128, 0i128);
    while r != 0 {
        let q = old_r / r;
        (old_r, r) = (r, old_r - q * r);
        (old_s, s) = (s, old_s - q * s);
    }
    (old_r == 1).then(|| old_s.rem_euclid(m))
}

const HASH_MODULUS: i128 = (1 << 61) - 1;

/// `hash(v)`.
pub fn py_hash(rt: &Rt, v: Value) -> PyResult<i64> {
    let key = hash_key(rt, v)?;
    Ok(match v {
        Value::Float(f) if !matches!(key, HashKey::Int(_)) => float_hash(f, v),
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Str(_) | Obj::Tuple(_) | Obj::FrozenSet(_) | Obj::BigInt(_) => key_hash(&key),
            _ if matches!(key, HashKey::Fields(_)) => key_hash(&key),
            _ => object_hash(v),
        },
        Value::None | Value::Native(_) | Value::Module(_) | Value::ExcType(_) => object_hash(v),
        _ => key_hash(&key),
    })
}

fn object_hash(v: Value) -> i64 {
    let h = fake_id(v);
    h.rotate_right(4)
}

fn fix(h: i64) -> i64 {
    if h == -1 {
        -2
    } else {
        h
    }
}

fn int_hash(i: i64) -> i64 {
    let r = (i as i128).abs() % HASH_MODULUS;
    fix(if i < 0 { -(r as i64) } else { r as i64 })
}

pub fn key_hash(k: &HashKey) -> i64 {
    match k {
        HashKey::Int(i) => int_hash(*i),
        HashKey::Big(b) => crate::vm::bigint::hash(b),
        HashKey::None => 0,
        HashKey::Float(bits) => float_hash(f64::from_bits(*bits), Value::None),
        HashKey::Str(s) => {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            h.write(s.as_bytes());
            if s.is_empty() {
                0
            } else {
                fix(h.finish() as i64)
            }
        }
        HashKey::Fields(f) => key_hash(&HashKey::Tuple(f.1.clone())),
        HashKey::Tuple(items) => {
            // CPython 3.8+'s xxHash-based tuple hash.
            const P1: u64 = 11400714785074694791;
            const P2: u64 = 14029467366897019727;
            const P5: u64 = 2870177450012600261;
            let mut acc = P5;
            for item in items.iter() {
                let lane = key_hash(item) as u64;
                acc = acc.wrapping_add(lane.wrapping_mul(P2));
                acc = acc.rotate_left(31);
                acc = acc.wrapping_mul(P1);
            }
            acc = acc.wrapping_add((items.len() as u64) ^ (P5 ^ 3527539));
            if acc == u64::MAX {
                1546275796
            } else {
                acc as i64
            }
        }
        HashKey::Id(i) => {
            (crate::vm::format::fake_address(crate::vm::value::ObjId(*i))).rotate_right(4)
        }
        HashKey::Builtin(b) => (*b as i64).wrapping_mul(0x9e37_79b9),
        HashKey::FrozenSet(items) => frozenset_hash(items),
        HashKey::User(h, _) => *h,
    }
}

/// CPython 3.11's `frozenset_hash`: an order-independent mix of the elements' hashes.
fn frozenset_hash(items: &[HashKey]) -> i64 {
    let shuffle = |h: u64| ((h ^ 89869747) ^ (h << 16)).wrapping_mul(3644798167);
    let mut hash: u64 = 0;
    for k in items {
        hash ^= shuffle(key_hash(k) as u64);
    }
    hash ^= (items.len() as u64 + 1).wrapping_mul(1927868237);
    hash ^= (hash >> 11) ^ (hash >> 25);
    hash = hash.wrapping_mul(69069).wrapping_add(907133923);
    if hash == u64::MAX {
        590923713
    } else {
        hash as i64
    }
}

/// CPython's `_Py_HashDouble` for a non-integral float (NaN hashes by identity there; here
/// by `v`'s fake id, which is stable).
fn float_hash(f: f64, v: Value) -> i64 {
    if f.is_nan() {
        return object_hash(v);
    }
    if f.is_infinite() {
        return if f > 0.0 { 314159 } else { -314159 };
    }
    let (mut m, mut e) = frexp(f.abs());
    let mut x: u64 = 0;
    let p = HASH_MODULUS as u64;
    while m != 0.0 {
        x = ((x << 28) & p) | (x >> (61 - 28));
        m *= 268435456.0;
        e -= 28;
        let y = m as u64;
        m -= y as f64;
        x += y;
        if x >= p {
            x -= p;
        }
    }
    let e = if e >= 0 { e % 61 } else { 60 - ((-1 - e) % 61) };
    x = ((x << e) & p) | (x >> (61 - e));
    let h = x as i64;
    fix(if f < 0.0 { -h } else { h })
}

/// `frexp`: `x = m * 2**e` with `0.5 <= m < 1` (x finite, nonzero).
fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 {
        return (0.0, 0);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        let (m, e) = frexp(x * 2f64.powi(64));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, exp - 1022)
}
