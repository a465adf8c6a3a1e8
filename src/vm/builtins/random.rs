//! The `random` module on the run's seeded `Random` stream (`rt.random`).
//!
//! Results are deterministic for a seed but are not CPython's Mersenne Twister numbers; only the
//! API, the ranges and the errors match. Every draw goes through `rng::below` /
//! `rng::unit_f64`, never `rand`'s samplers, so a crate upgrade cannot change a run.

use crate::vm::builtins::{int_arg, kwarg, Kwargs};
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::natives::NativeId;
use crate::vm::ops::{getitem, len_of, type_name};
use crate::vm::rng;
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

pub(super) fn call(rt: &mut Rt, id: NativeId, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    let method = id.name();
    if let Some((k, _)) = kwargs.iter().find(|(k, _)| !allowed(id).contains(k)) {
        return Err(Throw::type_error(format!(
            "Random.{method}() got an unexpected keyword argument '{k}'"
        )));
    }
    let params = allowed(id);
    let get = |i: usize| args.get(i).copied().or_else(|| kwarg(kwargs, params[i]));
    let required = match id {
        NativeId::Randint | NativeId::Uniform => 2,
        NativeId::Choice | NativeId::Shuffle | NativeId::Randrange => 1,
        _ => 0,
    };
    if args.len() > params.len() {
        return Err(Throw::type_error(if params.is_empty() {
            format!(
                "Random.{method}() takes no arguments ({} given)",
                args.len()
            )
        } else {
            format!(
                "Random.{method}() takes from {} to {} positional arguments but {} were given",
                required + 1,
                params.len() + 1,
                args.len() + 1
            )
        }));
    }
    if let Some(missing) = (0..required).find(|&i| get(i).is_none()) {
        return Err(Throw::type_error(format!(
            "Random.{method}() missing 1 required positional argument: '{}'",
            params[missing]
        )));
    }
    let arg = |i: usize| get(i).unwrap_or(Value::None);
    match id {
        NativeId::Random => Ok(Value::Float(rng::unit_f64(&mut rt.random))),
        NativeId::Uniform => {
            let a = as_float(rt, arg(0))?;
            let b = as_float(rt, arg(1))?;
            let u = rng::unit_f64(&mut rt.random);
            Ok(Value::Float(a + (b - a) * u))
        }
        NativeId::Randint => {
            let a = int_or(arg(0), 1)?;
            let b = int_or(arg(1), 2)?;
            randrange(rt, a, Some(b.saturating_add(1)), 1)
        }
        NativeId::Randrange => {
            let start = int_or(arg(0), 1)?;
            let stop = match get(1) {
                None | Some(Value::None) => None,
                Some(v) => Some(int_or(v, 2)?),
            };
            let step = match get(2) {
                None => 1,
                Some(v) => int_or(v, 3)?,
            };
            randrange(rt, start, stop, step)
        }
        NativeId::Choice => {
            let seq = arg(0);
            let n = len_of(rt, seq)?;
            if n == 0 {
                return Err(Throw::new(
                    ExcKind::IndexError,
                    "Cannot choose from an empty sequence",
                ));
            }
            let i = rng::below(&mut rt.random, n as u64);
            getitem(rt, seq, Value::Int(i as i64))
        }
        NativeId::Shuffle => {
            let x = arg(0);
            let n = len_of(rt, x)?;
            let Some(Obj::List(_)) = x.as_obj().map(|id| rt.heap.get(id)) else {
                return Err(Throw::type_error(format!(
                    "'{}' object does not support item assignment",
                    type_name(rt, x)
                )));
            };
            let mut swaps = Vec::with_capacity(n);
            for i in (1..n).rev() {
                swaps.push((i, rng::below(&mut rt.random, i as u64 + 1) as usize));
            }
            if let Some(Obj::List(items)) = x.as_obj().map(|id| rt.heap.get_mut(id)) {
                for (i, j) in swaps {
                    if i < items.len() && j < items.len() {
                        items.swap(i, j);
                    }
                }
            }
            Ok(Value::None)
        }
        NativeId::Seed => {
            let seed = match arg(0) {
                Value::None => return Ok(Value::None),
                Value::Int(i) => i.unsigned_abs(),
                Value::Bool(b) => b as u64,
                v => crate::vm::builtins::py_hash(rt, v)? as u64,
            };
            rt.random = rng::stream(seed, rng::Stream::Random);
            Ok(Value::None)
        }
        _ => Err(Throw::new(
            ExcKind::RuntimeError,
            format!("internal error: random.{method} is not implemented"),
        )),
    }
}

fn allowed(id: NativeId) -> &'static [&'static str] {
    match id {
        NativeId::Randint | NativeId::Uniform => &["a", "b"],
        NativeId::Randrange => &["start", "stop", "step"],
        NativeId::Choice => &["seq"],
        NativeId::Shuffle => &["x"],
        NativeId::Seed => &["a"],
        _ => &[],
    }
}

fn int_or(v: Value, pos: usize) -> PyResult<i64> {
    match v {
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(f as i64),
        _ => int_arg(v)
            .ok_or_else(|| Throw::value_error(format!("non-integer arg {pos} for randrange()"))),
    }
}

fn as_float(rt: &Rt, v: Value) -> PyResult<f64> {
    match v {
        Value::Int(i) => Ok(i as f64),
        Value::Bool(b) => Ok(b as i64 as f64),
        Value::Float(f) => Ok(f),
        _ => Err(Throw::type_error(format!(
            "unsupported operand type(s) for -: '{}' and '{}'",
            type_name(rt, v),
            type_name(rt, v)
        ))),
    }
}

fn randrange(rt: &mut Rt, start: i64, stop: Option<i64>, step: i64) -> PyResult<Value> {
    let Some(stop) = stop else {
        if start <= 0 {
            return Err(Throw::value_error("empty range for randrange()"));
        }
        return Ok(Value::Int(rng::below(&mut rt.random, start as u64) as i64));
    };
    let width = stop as i128 - start as i128;
    if step == 1 {
        if width <= 0 {
            return Err(Throw::value_error(format!(
                "empty range for randrange() ({start}, {stop}, {width})"
            )));
        }
        let r = below_wide(rt, width as u128);
        return Ok(Value::Int((start as i128 + r as i128) as i64));
    }
    if step == 0 {
        return Err(Throw::value_error("zero step for randrange()"));
    }
    let step = step as i128;
    let floor_div = |a: i128, b: i128| {
        let q = a / b;
        if a % b != 0 && ((a < 0) != (b < 0)) {
            q - 1
        } else {
            q
        }
    };
    let n = if step > 0 {
        floor_div(width + step - 1, step)
    } else {
        floor_div(width + step + 1, step)
    };
    if n <= 0 {
        return Err(Throw::value_error("empty range for randrange()"));
    }
    let r = below_wide(rt, n as u128) as i128;
    Ok(Value::Int((start as i128 + step * r) as i64))
}

/// A uniform draw in `0..n` for `n` up to 2**64.
fn below_wide(rt: &mut Rt, n: u128) -> u64 {
    match u64::try_from(n) {
        Ok(n) => rng::below(&mut rt.random, n),
        // n == 2**64: every u64 is equally likely.
        Err(_) => {
            let hi = rng::below(&mut rt.random, 1 << 32);
            let lo = rng::below(&mut rt.random, 1 << 32);
            (hi << 32) | lo
        }
    }
}
