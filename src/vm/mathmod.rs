//! The `math` module: the functions a course uses, with CPython 3.11's results and errors
//! (`ValueError: math domain error`, `OverflowError: math range error`). Transcendental
//! functions call the platform's libm as CPython does, so results match CPython's on the same
//! machine. Integer functions (`factorial`, `comb`, `gcd`, `isqrt`, …) work on ints of any size.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::vm::bigint::{int_value, is_int, to_big};
use crate::vm::builtins::{kwarg, Kwargs};
use crate::vm::exceptions::ExcKind;
use crate::vm::natives::NativeId;
use crate::vm::ops::{collect_iterable, type_name};
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

/// `math.pi`, `math.e`, … (the module's data attributes).
pub fn constant(name: &str) -> Option<Value> {
    Some(Value::Float(match name {
        "pi" => std::f64::consts::PI,
        "e" => std::f64::consts::E,
        "tau" => std::f64::consts::TAU,
        "inf" => f64::INFINITY,
        "nan" => f64::NAN,
        _ => return None,
    }))
}

fn domain() -> Throw {
    Throw::value_error("math domain error")
}

fn range() -> Throw {
    Throw::new(ExcKind::OverflowError, "math range error")
}

/// A float argument: int (any size), bool or float.
fn real(rt: &Rt, v: Value) -> PyResult<f64> {
    match v {
        Value::Float(f) => Ok(f),
        _ if is_int(rt, v) => crate::vm::bigint::to_f64(rt, v),
        _ => Err(Throw::type_error(format!(
            "must be real number, not {}",
            type_name(rt, v)
        ))),
    }
}

/// An int argument of any size.
fn integer(rt: &Rt, v: Value) -> PyResult<BigInt> {
    to_big(rt, v).ok_or_else(|| {
        Throw::type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            type_name(rt, v)
        ))
    })
}

fn exactly(name: &str, args: &[Value], n: usize) -> PyResult<()> {
    if args.len() == n {
        return Ok(());
    }
    Err(Throw::type_error(if n == 1 {
        format!(
            "math.{name}() takes exactly one argument ({} given)",
            args.len()
        )
    } else {
        format!("{name} expected {n} arguments, got {}", args.len())
    }))
}

/// A libm result checked as CPython's `math_1`: NaN from a non-NaN argument is a domain
/// error, infinity from a finite one a range error (or a domain error where `can_overflow`
/// is false: `log(0)`).
fn checked(x: f64, r: f64, can_overflow: bool) -> PyResult<Value> {
    if r.is_nan() && !x.is_nan() {
        return Err(domain());
    }
    if r.is_infinite() && x.is_finite() {
        return Err(if can_overflow { range() } else { domain() });
    }
    Ok(Value::Float(r))
}

/// CPython's `loghelper`: `func(float(v))`, or for an int too large for a float,
/// `func(m) + func(2.0) * e` with `v = m * 2**e` (`m` in [0.5, 1), as `frexp`).
fn loghelper(rt: &Rt, v: Value, func: fn(f64) -> f64) -> PyResult<f64> {
    if let Some(b) = crate::vm::bigint::as_big(rt, v) {
        if !b.is_positive() {
            return Err(domain());
        }
        if let Ok(x) = crate::vm::bigint::big_to_f64(b) {
            return Ok(func(x));
        }
        let shift = b.bits() - 60;
        let m = (b >> shift).to_f64().unwrap_or(f64::NAN) / 2f64.powi(60);
        return Ok(func(m) + func(2.0) * b.bits() as f64);
    }
    let x = real(rt, v)?;
    if x.is_nan() {
        return Ok(x);
    }
    if x <= 0.0 {
        return Err(domain());
    }
    Ok(func(x))
}

/// `math.floor`/`ceil`/`trunc` of a float, as an int (`OverflowError`/`ValueError` for
/// infinities and NaN).
fn float_to_int(rt: &mut Rt, f: f64) -> PyResult<Value> {
    crate::vm::builtins::float_to_int_value(rt, f)
}

pub fn call(rt: &mut Rt, id: NativeId, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    use NativeId::*;
    let name = if id == MathPow { "pow" } else { id.name() };
    if !kwargs.is_empty() && !matches!(id, MathIsclose | MathProd) {
        return Err(Throw::type_error(format!(
            "math.{name}() takes no keyword arguments"
        )));
    }
    let one_float = |rt: &Rt| -> PyResult<f64> {
        exactly(name, args, 1)?;
        real(rt, args[0])
    };
    match id {
        MathSqrt => {
            let x = one_float(rt)?;
            if x < 0.0 {
                return Err(domain());
            }
            Ok(Value::Float(x.sqrt()))
        }
        MathExp => {
            let x = one_float(rt)?;
            checked(x, x.exp(), true)
        }
        MathSin | MathCos | MathTan | MathAsin | MathAcos | MathAtan => {
            let x = one_float(rt)?;
            let r = match id {
                MathSin => x.sin(),
                MathCos => x.cos(),
                MathTan => x.tan(),
                MathAsin => x.asin(),
                MathAcos => x.acos(),
                _ => x.atan(),
            };
            checked(x, r, true)
        }
        MathFabs => Ok(Value::Float(one_float(rt)?.abs())),
        MathDegrees => Ok(Value::Float(one_float(rt)?.to_degrees())),
        MathRadians => Ok(Value::Float(one_float(rt)?.to_radians())),
        MathIsfinite => Ok(Value::Bool(one_float(rt)?.is_finite())),
        MathIsinf => Ok(Value::Bool(one_float(rt)?.is_infinite())),
        MathIsnan => Ok(Value::Bool(one_float(rt)?.is_nan())),
        MathLog1p => {
            let x = one_float(rt)?;
            if x <= -1.0 {
                return Err(domain());
            }
            Ok(Value::Float(x.ln_1p()))
        }
        MathLog => {
            if args.is_empty() || args.len() > 2 {
                return Err(Throw::type_error(format!(
                    "log expected {} argument{}, got {}",
                    if args.is_empty() {
                        "at least 1"
                    } else {
                        "at most 2"
                    },
                    if args.is_empty() { "" } else { "s" },
                    args.len()
                )));
            }
            let num = loghelper(rt, args[0], f64::ln)?;
            if let Some(&b) = args.get(1) {
                let den = loghelper(rt, b, f64::ln)?;
                if den == 0.0 {
                    return Err(Throw::new(
                        ExcKind::ZeroDivisionError,
                        "float division by zero",
                    ));
                }
                return Ok(Value::Float(num / den));
            }
            Ok(Value::Float(num))
        }
        MathLog2 | MathLog10 => {
            exactly(name, args, 1)?;
            let func = if id == MathLog2 {
                f64::log2
            } else {
                f64::log10
            };
            loghelper(rt, args[0], func).map(Value::Float)
        }
        MathAtan2 | MathCopysign | MathPow | MathFmod => {
            exactly(name, args, 2)?;
            let (x, y) = (real(rt, args[0])?, real(rt, args[1])?);
            match id {
                MathAtan2 => Ok(Value::Float(x.atan2(y))),
                MathCopysign => Ok(Value::Float(x.copysign(y))),
                MathFmod => {
                    if y == 0.0 && !x.is_nan() || x.is_infinite() && !y.is_nan() {
                        return Err(domain());
                    }
                    Ok(Value::Float(x % y))
                }
                _ => pow(x, y),
            }
        }
        MathHypot => {
            let mut xs = Vec::with_capacity(args.len());
            for &a in args {
                xs.push(real(rt, a)?);
            }
            Ok(Value::Float(hypot(&xs)))
        }
        MathDist => {
            exactly(name, args, 2)?;
            let p = collect_iterable(rt, args[0])?;
            let q = collect_iterable(rt, args[1])?;
            if p.len() != q.len() {
                return Err(Throw::value_error(
                    "both points must have the same number of dimensions",
                ));
            }
            let mut xs = Vec::with_capacity(p.len());
            for (a, b) in p.into_iter().zip(q) {
                xs.push(real(rt, a)? - real(rt, b)?);
            }
            Ok(Value::Float(hypot(&xs)))
        }
        MathFloor | MathCeil | MathTrunc => {
            exactly(name, args, 1)?;
            let v = args[0];
            if is_int(rt, v) {
                return Ok(match v {
                    Value::Bool(b) => Value::Int(b as i64),
                    _ => v,
                });
            }
            let x = real(rt, v)?;
            let r = match id {
                MathFloor => x.floor(),
                MathCeil => x.ceil(),
                _ => x.trunc(),
            };
            float_to_int(rt, r)
        }
        MathModf => {
            let x = one_float(rt)?;
            let (i, f) = if x.is_infinite() {
                (x, 0f64.copysign(x))
            } else {
                (x.trunc(), (x - x.trunc()).copysign(x))
            };
            rt.new_tuple(vec![Value::Float(f), Value::Float(i)])
        }
        MathIsqrt => {
            exactly(name, args, 1)?;
            let n = integer(rt, args[0])?;
            if n.is_negative() {
                return Err(Throw::value_error("isqrt() argument must be nonnegative"));
            }
            int_value(rt, n.sqrt())
        }
        MathGcd | MathLcm => {
            let mut acc = if id == MathGcd {
                BigInt::zero()
            } else {
                BigInt::one()
            };
            for &a in args {
                let n = integer(rt, a)?;
                acc = if id == MathGcd {
                    acc.gcd(&n)
                } else if acc.is_zero() || n.is_zero() {
                    BigInt::zero()
                } else {
                    acc.lcm(&n)
                };
            }
            int_value(rt, acc)
        }
        MathFactorial => {
            exactly(name, args, 1)?;
            let n = integer(rt, args[0])?;
            if n.is_negative() {
                return Err(Throw::value_error(
                    "factorial() not defined for negative values",
                ));
            }
            let n = n
                .to_u64()
                .filter(|&n| n <= i64::MAX as u64)
                .ok_or_else(|| {
                    Throw::new(
                        ExcKind::OverflowError,
                        "factorial() argument should not exceed 9223372036854775807",
                    )
                })?;
            // n! has about n*log2(n) bits.
            let bits = (n as f64) * (n.max(2) as f64).log2();
            rt.ensure_room((bits / 8.0) as usize)?;
            rt.spend(n)?;
            int_value(rt, product(1, n))
        }
        MathComb | MathPerm => {
            let k_arg = match (id, args) {
                (MathPerm, [_]) => None,
                (_, [_, k]) => Some(*k),
                _ => {
                    return Err(Throw::type_error(format!(
                        "{name} expected {} arguments, got {}",
                        if id == MathPerm { "at most 2" } else { "2" },
                        args.len()
                    )))
                }
            };
            let n = integer(rt, args[0])?;
            if n.is_negative() {
                return Err(Throw::value_error("n must be a non-negative integer"));
            }
            let k = match k_arg {
                None => n.clone(),
                Some(k) => integer(rt, k)?,
            };
            if k.is_negative() {
                return Err(Throw::value_error("k must be a non-negative integer"));
            }
            if k > n {
                return Ok(Value::Int(0));
            }
            let k = if id == MathComb { (&n - &k).min(k) } else { k };
            let steps = k.to_u64().ok_or_else(|| {
                Throw::new(
                    ExcKind::OverflowError,
                    format!("min(n - k, k) must not exceed {}", i64::MAX),
                )
            })?;
            rt.spend(steps)?;
            let mut acc = BigInt::one();
            for i in 0..steps {
                acc *= &n - i;
                if id == MathComb {
                    acc /= i + 1;
                }
            }
            int_value(rt, acc)
        }
        MathFsum => {
            exactly(name, args, 1)?;
            let items = collect_iterable(rt, args[0])?;
            let mut xs = Vec::with_capacity(items.len());
            for v in items {
                xs.push(real(rt, v)?);
            }
            fsum(&xs).map(Value::Float)
        }
        MathIsclose => {
            crate::vm::builtins::check_kwargs(
                "isclose",
                kwargs,
                &["a", "b", "rel_tol", "abs_tol"],
            )?;
            let get = |i: usize, k: &str| args.get(i).copied().or_else(|| kwarg(kwargs, k));
            let (Some(a), Some(b)) = (get(0, "a"), get(1, "b")) else {
                let (missing, pos) = if get(0, "a").is_none() {
                    ("a", 1)
                } else {
                    ("b", 2)
                };
                return Err(Throw::type_error(format!(
                    "isclose() missing required argument '{missing}' (pos {pos})"
                )));
            };
            if args.len() > 2 {
                return Err(Throw::type_error(format!(
                    "isclose() takes exactly 2 positional arguments ({} given)",
                    args.len()
                )));
            }
            let (a, b) = (real(rt, a)?, real(rt, b)?);
            let rel = match kwarg(kwargs, "rel_tol") {
                Some(v) => real(rt, v)?,
                None => 1e-09,
            };
            let abs = match kwarg(kwargs, "abs_tol") {
                Some(v) => real(rt, v)?,
                None => 0.0,
            };
            if rel < 0.0 || abs < 0.0 {
                return Err(Throw::value_error("tolerances must be non-negative"));
            }
            if a == b {
                return Ok(Value::Bool(true));
            }
            if a.is_infinite() || b.is_infinite() {
                return Ok(Value::Bool(false));
            }
            let diff = (b - a).abs();
            Ok(Value::Bool(
                diff <= (rel * b).abs() || diff <= (rel * a).abs() || diff <= abs,
            ))
        }
        MathProd => {
            crate::vm::builtins::check_kwargs("prod", kwargs, &["start"])?;
            exactly(name, args, 1)?;
            let items = collect_iterable(rt, args[0])?;
            let mut acc = kwarg(kwargs, "start").unwrap_or(Value::Int(1));
            for x in items {
                acc = crate::vm::ops::binary_op(rt, 5, acc, x)?;
            }
            Ok(acc)
        }
        _ => Err(Throw::new(
            ExcKind::RuntimeError,
            format!("internal error: math.{name} is not implemented"),
        )),
    }
}

/// `lo * (lo+1) * … * hi` by halves, so the multiplications stay balanced (fast for big n).
fn product(lo: u64, hi: u64) -> BigInt {
    if hi < lo {
        return BigInt::one();
    }
    if hi - lo < 16 {
        let mut acc = BigInt::from(lo);
        for i in lo + 1..=hi {
            acc *= i;
        }
        return acc;
    }
    let mid = lo + (hi - lo) / 2;
    product(lo, mid) * product(mid + 1, hi)
}

/// `math.pow(x, y)` as CPython's (IEEE special cases, then domain/range errors).
fn pow(x: f64, y: f64) -> PyResult<Value> {
    if x == 0.0 && y < 0.0 && y.is_finite() {
        return Err(domain());
    }
    if x.is_finite() && x < 0.0 && y.is_finite() && y.fract() != 0.0 {
        return Err(domain());
    }
    let r = x.powf(y);
    if r.is_infinite() && x.is_finite() && y.is_finite() {
        return Err(range());
    }
    Ok(Value::Float(r))
}

/// The Euclidean norm of `xs`, as CPython 3.11's `vector_norm` (which `hypot` and `dist` use):
/// scaled by a power of two, the squares summed exactly (each as a product and its `fma`
/// error), then a square root corrected by the residual, so the result is correctly rounded
/// in all but the rarest cases.
fn hypot(xs: &[f64]) -> f64 {
    if xs.iter().any(|x| x.is_infinite()) {
        return f64::INFINITY;
    }
    if xs.iter().any(|x| x.is_nan()) {
        return f64::NAN;
    }
    let max = xs.iter().fold(0f64, |m, x| m.max(x.abs()));
    if max == 0.0 || xs.len() == 1 {
        return max;
    }
    // max = m * 2**e with m in [0.5, 1): scale everything by 2**-e (exact).
    let e = max.log2().floor() as i32 + 1;
    let scale = |x: f64, k: i32| {
        let h = k / 2;
        x * 2f64.powi(h) * 2f64.powi(k - h)
    };
    let mut terms = Vec::with_capacity(xs.len() * 2);
    for &x in xs {
        let y = scale(x, -e);
        let p = y * y;
        terms.push(p);
        terms.push(y.mul_add(y, -p));
    }
    let s = fsum(&terms).unwrap_or(f64::NAN);
    terms.push(-s);
    let r = fsum(&terms).unwrap_or(0.0);
    let mut h = s.sqrt();
    if h > 0.0 {
        let d = (-h).mul_add(h, s) + r;
        h += d / (2.0 * h);
    }
    scale(h, e)
}

/// `math.fsum`: Shewchuk's exact partial sums, rounded as CPython's `math_fsum`.
fn fsum(xs: &[f64]) -> PyResult<f64> {
    let mut partials: Vec<f64> = Vec::new();
    let mut special = 0.0f64;
    let mut inf_sum = 0.0f64;
    for &x0 in xs {
        let mut x = x0;
        if !x.is_finite() {
            if x.is_infinite() {
                inf_sum += x;
            }
            special += x;
            continue;
        }
        let mut i = 0;
        for j in 0..partials.len() {
            let mut y = partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        if !x.is_finite() {
            return Err(Throw::new(
                ExcKind::OverflowError,
                "intermediate overflow in fsum",
            ));
        }
        partials.truncate(i);
        partials.push(x);
    }
    if special != 0.0 || special.is_nan() {
        if inf_sum.is_nan() {
            return Err(Throw::value_error("-inf + inf in fsum"));
        }
        return Ok(special);
    }
    let mut n = partials.len();
    let mut hi = 0.0;
    if n > 0 {
        n -= 1;
        hi = partials[n];
        let mut lo = 0.0;
        while n > 0 {
            let x = hi;
            n -= 1;
            let y = partials[n];
            hi = x + y;
            let yr = hi - x;
            lo = y - yr;
            if lo != 0.0 {
                break;
            }
        }
        if n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            let yr = x - hi;
            if y == yr {
                hi = x;
            }
        }
    }
    Ok(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fsum_is_exact() {
        assert_eq!(fsum(&[0.1; 10]).ok(), Some(1.0));
        assert_eq!(
            fsum(&[1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50]).ok(),
            Some(1e-100)
        );
    }

    #[test]
    fn factorial_product() {
        assert_eq!(product(1, 20), BigInt::from(2432902008176640000u64));
    }
}
