//! Integers of any size, as Python's.
//!
//! An int is a `Value::Int(i64)` while it fits, and an [`Obj::BigInt`] on the heap once a result
//! leaves i64's range: the interpreter's int fast path stays a checked i64 operation, and only
//! its overflow branch (cold) comes here. Every result is normalised ([`int_value`]): a big
//! result that fits an i64 again is a `Value::Int`, so a `BigInt` object is never equal to an
//! i64 and `==`/hashing stay simple.
//!
//! Arithmetic uses the `num-bigint` crate (measured against `malachite`, `dashu` and `ibig` on
//! `factorial(2000)` and its decimal printing: docs/performance.md). Semantics and messages are
//! CPython 3.11's: floor division and modulo, `float(big)` rounding half-even with
//! `OverflowError`, correctly rounded true division, hashes modulo 2**61 - 1, and the 4300-digit
//! limit on int↔str conversions (`sys.set_int_max_str_digits`).

use std::cmp::Ordering;

use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

/// CPython 3.11's default `sys.get_int_max_str_digits()`.
pub const DEFAULT_MAX_STR_DIGITS: usize = 4300;
/// The smallest nonzero limit `sys.set_int_max_str_digits` accepts.
pub const MIN_MAX_STR_DIGITS: usize = 640;

const ADD: u32 = 0;
const AND: u32 = 1;
const FLOORDIV: u32 = 2;
const LSHIFT: u32 = 3;
const MUL: u32 = 5;
const MOD: u32 = 6;
const OR: u32 = 7;
const POW: u32 = 8;
const RSHIFT: u32 = 9;
const SUB: u32 = 10;
const TRUEDIV: u32 = 11;
const XOR: u32 = 12;

/// Bytes a big int holds (its 64-bit digits), for the heap limit.
pub fn byte_size(b: &BigInt) -> usize {
    (b.bits() as usize).div_ceil(64) * 8
}

/// The big int in `v`, if `v` is a heap int.
#[inline]
pub fn as_big(rt: &Rt, v: Value) -> Option<&BigInt> {
    match v {
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::BigInt(b) => Some(b),
            _ => None,
        },
        _ => None,
    }
}

/// Any int (`bool`, small or big) as a `BigInt`.
pub fn to_big(rt: &Rt, v: Value) -> Option<BigInt> {
    match v {
        Value::Int(i) => Some(BigInt::from(i)),
        Value::Bool(b) => Some(BigInt::from(b as i64)),
        _ => as_big(rt, v).cloned(),
    }
}

/// An int operand: a big int borrowed from the heap, or a small one made big.
fn operand(rt: &Rt, v: Value) -> Option<std::borrow::Cow<'_, BigInt>> {
    use std::borrow::Cow;
    match v {
        Value::Int(i) => Some(Cow::Owned(BigInt::from(i))),
        Value::Bool(b) => Some(Cow::Owned(BigInt::from(b as i64))),
        _ => as_big(rt, v).map(Cow::Borrowed),
    }
}

/// Whether `v` is an int of any size (or a bool).
pub fn is_int(rt: &Rt, v: Value) -> bool {
    matches!(v, Value::Int(_) | Value::Bool(_)) || as_big(rt, v).is_some()
}

/// The Python value of `b`: a small int when it fits, else a heap object (charged to the heap).
pub fn int_value(rt: &mut Rt, b: BigInt) -> PyResult<Value> {
    match b.to_i64() {
        Some(i) => Ok(Value::Int(i)),
        None => rt.alloc(Obj::BigInt(Box::new(b))),
    }
}

/// Raises `MemoryError` unless a result of about `bits` bits fits in the heap.
fn room_for_bits(rt: &Rt, bits: u64) -> PyResult<()> {
    let bytes = usize::try_from(bits / 8 + 64).map_err(|_| Throw::memory())?;
    rt.ensure_room(bytes)
}

fn zero(msg: &str) -> Throw {
    Throw::new(ExcKind::ZeroDivisionError, msg)
}

/// `a op b` when both are ints and at least one is big, or when an i64 operation overflowed.
/// `None` when an operand is not an int (nor, with a big int, a float).
#[cold]
#[inline(never)]
pub fn binary(rt: &mut Rt, base: u32, a: Value, b: Value) -> PyResult<Option<Value>> {
    if let (Value::Float(y), true) = (b, as_big(rt, a).is_some()) {
        let x = to_f64(rt, a)?;
        return crate::vm::ops::float_binary(rt, base, x, y, a, b).map(Some);
    }
    if let (Value::Float(x), true) = (a, as_big(rt, b).is_some()) {
        let y = to_f64(rt, b)?;
        return crate::vm::ops::float_binary(rt, base, x, y, a, b).map(Some);
    }
    if base == POW {
        let (Some(x), Some(y)) = (to_big(rt, a), to_big(rt, b)) else {
            return Ok(None);
        };
        return pow(rt, &x, &y).map(Some);
    }
    // Operands by reference: a big operand is read in place, never copied (`f *= i` on a
    // 5,000-digit `f` would otherwise copy it once per multiplication).
    let r = {
        let (Some(xc), Some(yc)) = (operand(rt, a), operand(rt, b)) else {
            return Ok(None);
        };
        let (x, y): (&BigInt, &BigInt) = (&xc, &yc);
        match base {
            ADD => x + y,
            SUB => x - y,
            MUL => {
                room_for_bits(rt, x.bits().saturating_add(y.bits()))?;
                x * y
            }
            FLOORDIV => {
                if y.is_zero() {
                    return Err(zero("integer division or modulo by zero"));
                }
                x.div_floor(y)
            }
            MOD => {
                if y.is_zero() {
                    return Err(zero("integer modulo by zero"));
                }
                x.mod_floor(y)
            }
            TRUEDIV => return true_div(x, y).map(|f| Some(Value::Float(f))),
            LSHIFT => {
                if y.is_negative() {
                    return Err(Throw::value_error("negative shift count"));
                }
                if x.is_zero() {
                    return Ok(Some(Value::Int(0)));
                }
                let n = y.to_u64().filter(|&n| n < (1 << 40)).ok_or_else(|| {
                    Throw::new(ExcKind::OverflowError, "too many digits in integer")
                })?;
                room_for_bits(rt, x.bits().saturating_add(n))?;
                x << n
            }
            RSHIFT => {
                if y.is_negative() {
                    return Err(Throw::value_error("negative shift count"));
                }
                match y.to_u64().filter(|&n| n <= x.bits()) {
                    Some(n) => floor_shr(x, n),
                    None => BigInt::from(if x.is_negative() { -1 } else { 0 }),
                }
            }
            AND => x & y,
            OR => x | y,
            XOR => x ^ y,
            _ => return Ok(None),
        }
    };
    int_value(rt, r).map(Some)
}

/// `x >> n` rounding toward negative infinity, as Python's.
fn floor_shr(x: &BigInt, n: u64) -> BigInt {
    if x.is_negative() {
        // -((-x - 1) >> n) - 1
        let m: BigInt = -x - 1;
        -(m >> n) - 1
    } else {
        x >> n
    }
}

/// `x ** y` for ints: a float for a negative exponent, as Python's.
pub fn pow(rt: &mut Rt, x: &BigInt, y: &BigInt) -> PyResult<Value> {
    if y.is_negative() {
        if x.is_zero() {
            return Err(zero("0.0 cannot be raised to a negative power"));
        }
        let (fx, fy) = (big_to_f64(x)?, big_to_f64(y)?);
        return crate::vm::ops::float_pow(fx, fy).map(Value::Float);
    }
    if x.is_zero() || x.is_one() {
        return int_value(rt, x.clone());
    }
    if *x == BigInt::from(-1) {
        return Ok(Value::Int(if y.is_even() { 1 } else { -1 }));
    }
    let e = y
        .to_u64()
        .filter(|&e| e <= u32::MAX as u64)
        .ok_or_else(Throw::memory)?;
    room_for_bits(rt, x.bits().saturating_mul(e))?;
    int_value(rt, num_traits::Pow::pow(x, e as u32))
}

/// `pow(x, y, m)`: modular power; a negative exponent takes the inverse of `x` modulo `m`
/// (Python 3.8+). The result has `m`'s sign, as Python's.
pub fn pow_mod(rt: &mut Rt, x: &BigInt, y: &BigInt, m: &BigInt) -> PyResult<Value> {
    if m.is_zero() {
        return Err(Throw::value_error("pow() 3rd argument cannot be 0"));
    }
    let am = m.abs();
    let mut base = x.mod_floor(&am);
    let mut e = y.clone();
    if e.is_negative() {
        base = mod_inverse(&base, &am)
            .ok_or_else(|| Throw::value_error("base is not invertible for the given modulus"))?;
        e = -e;
    }
    let mut r = if am.is_one() {
        BigInt::zero()
    } else {
        base.modpow(&e, &am)
    };
    if m.is_negative() && !r.is_zero() {
        r += m;
    }
    int_value(rt, r)
}

/// The inverse of `a` modulo `m` (`m > 0`), by the extended Euclidean algorithm.
fn mod_inverse(a: &BigInt, m: &BigInt) -> Option<BigInt> {
    let e = a.extended_gcd(m);
    if !e.gcd.is_one() {
        return None;
    }
    Some(e.x.mod_floor(m))
}

/// `float(b)`, rounded half-even as CPython, or `OverflowError`.
pub fn big_to_f64(b: &BigInt) -> PyResult<f64> {
    let bits = b.bits();
    let mag = if bits <= 64 {
        b.magnitude().to_u64().map(|u| u as f64).unwrap_or(0.0)
    } else {
        // The top 55 bits, a sticky bit for the rest: converting that to f64 rounds exactly as
        // rounding the whole value would.
        let shift = bits - 55;
        let top = (b.magnitude() >> shift).to_u64().unwrap_or(0);
        let sticky = (b.magnitude().trailing_zeros().unwrap_or(0) < shift) as u64;
        let m = (top | sticky) as f64;
        if shift > 2000 {
            f64::INFINITY
        } else {
            let h = (shift / 2) as i32;
            m * 2f64.powi(h) * 2f64.powi(shift as i32 - h)
        }
    };
    if mag.is_infinite() {
        return Err(Throw::new(
            ExcKind::OverflowError,
            "int too large to convert to float",
        ));
    }
    Ok(if b.is_negative() { -mag } else { mag })
}

/// `float(v)` for an int of any size.
pub fn to_f64(rt: &Rt, v: Value) -> PyResult<f64> {
    match v {
        Value::Int(i) => Ok(i as f64),
        Value::Bool(b) => Ok(b as i64 as f64),
        _ => match as_big(rt, v) {
            Some(b) => big_to_f64(b),
            None => Err(Throw::type_error("expected an int")),
        },
    }
}

/// `x / y` for ints, correctly rounded as CPython's `long_true_divide`.
pub fn true_div(x: &BigInt, y: &BigInt) -> PyResult<f64> {
    if y.is_zero() {
        return Err(zero("division by zero"));
    }
    let neg = x.is_negative() != y.is_negative();
    if x.is_zero() {
        return Ok(if neg { -0.0 } else { 0.0 });
    }
    let (n, d) = (x.magnitude(), y.magnitude());
    // Scale so the quotient has 55 or 56 bits; a sticky bit records a nonzero remainder.
    let shift = d.bits() as i64 - n.bits() as i64 + 55;
    let (q, r) = if shift >= 0 {
        (n << shift as u64).div_rem(d)
    } else {
        n.div_rem(&(d << (-shift) as u64))
    };
    let q = q.to_u64().unwrap_or(0) | (!r.is_zero()) as u64;
    let exp = -shift;
    let mag = if exp > 1100 {
        f64::INFINITY
    } else if exp < -1200 {
        0.0
    } else {
        let h = (exp / 2) as i32;
        (q as f64) * 2f64.powi(h) * 2f64.powi(exp as i32 - h)
    };
    if mag.is_infinite() {
        return Err(Throw::new(
            ExcKind::OverflowError,
            "integer division result too large for a float",
        ));
    }
    Ok(if neg { -mag } else { mag })
}

/// Exact comparison of a big int with a float (`None` for NaN).
pub fn cmp_float(b: &BigInt, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f > 0.0 {
            Ordering::Less
        } else {
            Ordering::Greater
        });
    }
    let fl = f.floor();
    let fb = float_to_big(fl);
    Some(match b.cmp(&fb) {
        Ordering::Equal if f > fl => Ordering::Less,
        o => o,
    })
}

/// The integer value of a finite integral float.
pub fn float_to_big(f: f64) -> BigInt {
    num_traits::FromPrimitive::from_f64(f).unwrap_or_default()
}

/// Python's `hash()` of a big int: its value modulo 2**61 - 1, with the sign (-1 becomes -2).
pub fn hash(b: &BigInt) -> i64 {
    const M: u64 = (1 << 61) - 1;
    let r = (b.magnitude() % M).to_i64().unwrap_or(0);
    let h = if b.is_negative() { -r } else { r };
    if h == -1 {
        -2
    } else {
        h
    }
}

/// The error of CPython 3.11's int→str digit limit.
fn str_limit_error() -> Throw {
    Throw::value_error(
        "Exceeds the limit (4300 digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit",
    )
}

/// The decimal digits of `b`, or CPython's `ValueError` past the digit limit.
pub fn to_decimal(rt: &Rt, b: &BigInt) -> PyResult<String> {
    let limit = rt.int_max_str_digits;
    if limit > 0 {
        // A cheap lower bound first (bits * log10(2)), as CPython checks before converting.
        let approx = (b.bits().saturating_sub(1) as f64 * std::f64::consts::LOG10_2) as usize;
        if approx > limit {
            return Err(limit_error(limit));
        }
    }
    let s = b.to_str_radix(10);
    let digits = s.len() - b.is_negative() as usize;
    if limit > 0 && digits > limit {
        return Err(limit_error(limit));
    }
    Ok(s)
}

fn limit_error(limit: usize) -> Throw {
    if limit == DEFAULT_MAX_STR_DIGITS {
        str_limit_error()
    } else {
        Throw::value_error(format!(
            "Exceeds the limit ({limit} digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit"
        ))
    }
}

/// `int(s, base)` for digits that overflowed i64 (`digits`: sign and underscores already
/// checked by the caller, only digits of `base` left). `None` if not valid.
pub fn parse(rt: &Rt, neg: bool, digits: &str, base: u32) -> PyResult<Option<BigInt>> {
    let limit = rt.int_max_str_digits;
    if limit > 0 && !base.is_power_of_two() && digits.len() > limit {
        return Err(Throw::value_error(format!(
            "Exceeds the limit ({limit} digits) for integer string conversion: value has {} digits; use sys.set_int_max_str_digits() to increase the limit",
            digits.len()
        )));
    }
    let Some(m) = num_bigint::BigUint::parse_bytes(digits.as_bytes(), base) else {
        return Ok(None);
    };
    Ok(Some(BigInt::from_biguint(
        if neg { Sign::Minus } else { Sign::Plus },
        m,
    )))
}

/// `-v`, `~v`, `abs(v)` for a big int (`None` if `v` is not one).
pub fn neg(rt: &mut Rt, v: Value) -> PyResult<Option<Value>> {
    let Some(b) = to_big(rt, v) else {
        return Ok(None);
    };
    int_value(rt, -b).map(Some)
}

pub fn invert(rt: &mut Rt, v: Value) -> PyResult<Option<Value>> {
    let Some(b) = as_big(rt, v).cloned() else {
        return Ok(None);
    };
    int_value(rt, -b - 1).map(Some)
}

pub fn abs(rt: &mut Rt, v: Value) -> PyResult<Option<Value>> {
    let Some(b) = to_big(rt, v) else {
        return Ok(None);
    };
    int_value(rt, b.abs()).map(Some)
}

/// `int.bit_length()`.
pub fn bit_length(rt: &Rt, v: Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(64 - i.unsigned_abs().leading_zeros() as i64),
        Value::Bool(b) => Some(b as i64),
        _ => as_big(rt, v).map(|b| b.bits() as i64),
    }
}

/// `hex`, `oct`, `bin` and the `x`/`o`/`b` formats: the magnitude's digits and the sign.
pub fn radix_digits(rt: &Rt, v: Value, radix: u32) -> Option<(bool, String)> {
    match v {
        Value::Int(i) => Some((i < 0, BigInt::from(i).magnitude().to_str_radix(radix))),
        Value::Bool(b) => Some((false, (b as u8).to_string())),
        _ => as_big(rt, v).map(|b| (b.is_negative(), b.magnitude().to_str_radix(radix))),
    }
}

/// `math.isqrt`.
pub fn isqrt(b: &BigInt) -> BigInt {
    b.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_conversion_rounds_half_even() {
        // 2**53 + 1 is a tie between 2**53 and 2**53 + 2: even wins.
        let b = (BigInt::one() << 80u32) + (BigInt::one() << 27u32);
        assert_eq!(big_to_f64(&b).ok(), Some(2f64.powi(80)));
        let b = (BigInt::one() << 80u32) + (BigInt::one() << 27u32) + 1;
        assert_eq!(big_to_f64(&b).ok(), Some(2f64.powi(80) + 2f64.powi(28)));
        assert!(big_to_f64(&(BigInt::one() << 1024u32)).is_err());
    }

    #[test]
    fn floor_shift_and_hash() {
        assert_eq!(floor_shr(&BigInt::from(-5), 1), BigInt::from(-3));
        assert_eq!(hash(&(BigInt::one() << 100u32)), 549755813888);
        assert_eq!(hash(&-(BigInt::one() << 100u32)), -549755813888);
    }

    #[test]
    fn true_division_is_correctly_rounded() {
        let x = BigInt::one() << 200u32;
        assert_eq!(
            true_div(&x, &BigInt::from(3)).ok(),
            Some(2f64.powi(200) / 3.0)
        );
        assert_eq!(true_div(&BigInt::from(1), &x).ok(), Some(2f64.powi(-200)));
    }
}
