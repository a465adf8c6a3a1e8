//! The `random` module and `random.Random` instances: CPython 3.11's `Lib/random.py` over its
//! Mersenne Twister (`vm/pyrandom.rs`), so after `random.seed(x)` every function returns
//! CPython's exact values. The module's functions draw from `rt.random`; a `Random(x)`
//! instance from its own generator (an `Obj::Random`).

use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive};

use crate::vm::bigint::{int_value, to_big};
use crate::vm::builtins::{kwarg, Kwargs};
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::natives::NativeId;
use crate::vm::ops::{getitem, len_of, setitem, type_name};
use crate::vm::pyrandom::PyRandom;
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt, Throw};

/// Which generator a call draws from.
#[derive(Clone, Copy)]
pub enum Gen {
    Module,
    Instance(ObjId),
}

fn gen(rt: &mut Rt, g: Gen) -> &mut PyRandom {
    if let Gen::Instance(id) = g {
        if let Obj::Random(r) = rt.heap.get_mut(id) {
            return r;
        }
    }
    &mut rt.random
}

/// `random.Random(x=None)`: a generator of its own, seeded as `seed(x)` (from the run's seed
/// when `x` is None).
pub fn new_instance(rt: &mut Rt, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    if let Some((k, _)) = kwargs.first() {
        return Err(Throw::type_error(format!(
            "Random() got an unexpected keyword argument '{k}'"
        )));
    }
    if args.len() > 1 {
        return Err(Throw::type_error(format!(
            "Random() takes at most 1 argument ({} given)",
            args.len()
        )));
    }
    let r = match args.first() {
        None | Some(Value::None) => {
            // A fresh generator, drawn from the module's so instances differ but stay
            // deterministic for the run.
            let w = rt.random.getrandbits(64);
            PyRandom::from_int(&w)
        }
        Some(&a) => seeded(rt, a)?,
    };
    rt.alloc(Obj::Random(Box::new(r)))
}

/// The generator `random.seed(a)` makes.
fn seeded(rt: &Rt, a: Value) -> PyResult<PyRandom> {
    if let Some(b) = to_big(rt, a) {
        return Ok(PyRandom::from_int(&b));
    }
    if let Some(s) = rt.as_str(a) {
        return Ok(PyRandom::from_bytes(s.as_bytes()));
    }
    match a {
        Value::Float(_) => {
            let h = crate::vm::builtins::py_hash(rt, a)?;
            Ok(PyRandom::from_int(&BigInt::from(h)))
        }
        _ => Err(Throw::type_error(
            "The only supported seed types are: None,\nint, float, str, bytes, and bytearray.",
        )),
    }
}

/// Calls `random.<id>` on generator `g`.
pub fn call(rt: &mut Rt, g: Gen, id: NativeId, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    let method = id.name();
    let params = allowed(id);
    if let Some((k, _)) = kwargs.iter().find(|(k, _)| !params.contains(k)) {
        return Err(Throw::type_error(format!(
            "Random.{method}() got an unexpected keyword argument '{k}'"
        )));
    }
    let positional = positional_count(id);
    let get = |i: usize| args.get(i).copied().or_else(|| kwarg(kwargs, params[i]));
    let required = match id {
        NativeId::Randint | NativeId::Uniform => 2,
        NativeId::Choice
        | NativeId::Shuffle
        | NativeId::Randrange
        | NativeId::Choices
        | NativeId::Getrandbits => 1,
        NativeId::Sample => 2,
        _ => 0,
    };
    if args.len() > positional {
        return Err(Throw::type_error(if positional == 0 {
            format!(
                "Random.{method}() takes no arguments ({} given)",
                args.len()
            )
        } else if id == NativeId::Getrandbits {
            format!(
                "Random.getrandbits() takes exactly one argument ({} given)",
                args.len()
            )
        } else if required == positional {
            format!(
                "Random.{method}() takes {} positional arguments but {} were given",
                positional + 1,
                args.len() + 1
            )
        } else {
            format!(
                "Random.{method}() takes from {} to {} positional arguments but {} were given",
                required + 1,
                positional + 1,
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
        NativeId::Random => Ok(Value::Float(gen(rt, g).random())),
        NativeId::Uniform => {
            let a = as_float(rt, arg(0))?;
            let b = as_float(rt, arg(1))?;
            let u = gen(rt, g).random();
            Ok(Value::Float(a + (b - a) * u))
        }
        NativeId::Gauss => {
            let mu = match get(0) {
                None => 0.0,
                Some(v) => as_float(rt, v)?,
            };
            let sigma = match get(1) {
                None => 1.0,
                Some(v) => as_float(rt, v)?,
            };
            Ok(Value::Float(gen(rt, g).gauss(mu, sigma)))
        }
        NativeId::Getrandbits => {
            let k = to_big(rt, arg(0)).ok_or_else(|| {
                Throw::type_error(format!(
                    "'{}' object cannot be interpreted as an integer",
                    type_name(rt, arg(0))
                ))
            })?;
            if k.is_negative() {
                return Err(Throw::value_error("number of bits must be non-negative"));
            }
            let k = k.to_u64().filter(|&k| k < 1 << 34).ok_or_else(|| {
                Throw::new(
                    ExcKind::OverflowError,
                    "Python int too large to convert to C int",
                )
            })?;
            rt.ensure_room((k / 8) as usize)?;
            let r = gen(rt, g).getrandbits(k);
            int_value(rt, r)
        }
        NativeId::Randint => {
            let a = index(rt, arg(0), "arg 1")?;
            let b = index(rt, arg(1), "stop")?;
            randrange(rt, g, a, Some(b + 1), BigInt::from(1))
        }
        NativeId::Randrange => {
            let start = index(rt, arg(0), "arg 1")?;
            let stop = match get(1) {
                None | Some(Value::None) => {
                    if get(2).is_some() {
                        return Err(Throw::type_error("Missing a non-None stop argument"));
                    }
                    None
                }
                Some(v) => Some(index(rt, v, "stop")?),
            };
            let step = match get(2) {
                None => BigInt::from(1),
                Some(v) => index(rt, v, "step")?,
            };
            randrange(rt, g, start, stop, step)
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
            let i = gen(rt, g).below_u64(n as u64);
            getitem(rt, seq, Value::Int(i as i64))
        }
        NativeId::Choices => choices(rt, g, arg(0), get(1), kwargs),
        NativeId::Shuffle => {
            let x = arg(0);
            let n = len_of(rt, x)?;
            for i in (1..n).rev() {
                let j = gen(rt, g).below_u64(i as u64 + 1) as usize;
                let a = getitem(rt, x, Value::Int(i as i64))?;
                let b = getitem(rt, x, Value::Int(j as i64))?;
                setitem(rt, x, Value::Int(i as i64), b)?;
                setitem(rt, x, Value::Int(j as i64), a)?;
            }
            Ok(Value::None)
        }
        NativeId::Sample => sample(rt, g, arg(0), arg(1), kwarg(kwargs, "counts")),
        NativeId::Seed => {
            if let Some(v) = get(1) {
                if v != Value::Int(2) {
                    return Err(Throw::value_error(
                        "random.seed(version=...) other than 2 is not supported by gilvm",
                    ));
                }
            }
            let r = match arg(0) {
                Value::None => {
                    let w = rt.random.getrandbits(64);
                    PyRandom::from_int(&w)
                }
                a => seeded(rt, a)?,
            };
            *gen(rt, g) = r;
            Ok(Value::None)
        }
        _ => Err(Throw::new(
            ExcKind::RuntimeError,
            format!("internal error: random.{method} is not implemented"),
        )),
    }
}

/// Parameter names, positional ones first.
fn allowed(id: NativeId) -> &'static [&'static str] {
    match id {
        NativeId::Randint | NativeId::Uniform => &["a", "b"],
        NativeId::Randrange => &["start", "stop", "step"],
        NativeId::Choice => &["seq"],
        NativeId::Choices => &["population", "weights", "cum_weights", "k"],
        NativeId::Shuffle => &["x"],
        NativeId::Sample => &["population", "k", "counts"],
        NativeId::Gauss => &["mu", "sigma"],
        NativeId::Getrandbits => &["k"],
        NativeId::Seed => &["a", "version"],
        _ => &[],
    }
}

/// How many of [`allowed`]'s parameters may be passed by position.
fn positional_count(id: NativeId) -> usize {
    match id {
        NativeId::Choices => 2,
        NativeId::Getrandbits => 1,
        _ => allowed(id).len(),
    }
}

/// CPython 3.11's `_index` with its fallback: an int, or an integral float (deprecated),
/// else `ValueError: non-integer {what} for randrange()`.
fn index(rt: &Rt, v: Value, what: &str) -> PyResult<BigInt> {
    if let Some(b) = to_big(rt, v) {
        return Ok(b);
    }
    match v {
        Value::Float(f) if f.is_finite() && f.fract() == 0.0 => {
            Ok(crate::vm::bigint::float_to_big(f))
        }
        Value::Float(f) if f.is_finite() => Err(Throw::value_error(format!(
            "non-integer {what} for randrange()"
        ))),
        _ => Err(Throw::type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            type_name(rt, v)
        ))),
    }
}

fn as_float(rt: &Rt, v: Value) -> PyResult<f64> {
    match v {
        Value::Float(f) => Ok(f),
        _ if crate::vm::bigint::is_int(rt, v) => crate::vm::bigint::to_f64(rt, v),
        _ => Err(Throw::type_error(format!(
            "must be real number, not {}",
            type_name(rt, v)
        ))),
    }
}

fn randrange(
    rt: &mut Rt,
    g: Gen,
    start: BigInt,
    stop: Option<BigInt>,
    step: BigInt,
) -> PyResult<Value> {
    let Some(stop) = stop else {
        if start.is_positive() {
            let r = gen(rt, g).below(&start);
            return int_value(rt, r);
        }
        return Err(Throw::value_error("empty range for randrange()"));
    };
    let width = &stop - &start;
    if step == BigInt::from(1) {
        if width.is_positive() {
            let r = gen(rt, g).below(&width);
            return int_value(rt, start + r);
        }
        return Err(Throw::value_error(format!(
            "empty range for randrange() ({start}, {stop}, {width})"
        )));
    }
    use num_integer::Integer;
    let n = if step.is_positive() {
        (&width + &step - BigInt::from(1)).div_floor(&step)
    } else if step.is_negative() {
        (&width + &step + BigInt::from(1)).div_floor(&step)
    } else {
        return Err(Throw::value_error("zero step for randrange()"));
    };
    if !n.is_positive() {
        return Err(Throw::value_error("empty range for randrange()"));
    }
    let r = gen(rt, g).below(&n);
    int_value(rt, start + step * r)
}

/// `choices(population, weights=None, *, cum_weights=None, k=1)`.
fn choices(
    rt: &mut Rt,
    g: Gen,
    population: Value,
    weights: Option<Value>,
    kwargs: &Kwargs,
) -> PyResult<Value> {
    let n = len_of(rt, population)?;
    let k = match kwarg(kwargs, "k") {
        None => 1,
        Some(v) => crate::vm::ops::expect_index(rt, v)?.max(0) as usize,
    };
    crate::vm::ops::ensure_items(rt, k, 16)?;
    let weights = weights.filter(|w| !w.is_none());
    let cum = kwarg(kwargs, "cum_weights").filter(|w| !w.is_none());
    let mut out = Vec::with_capacity(k);
    let cum_weights: Vec<f64> = match (weights, cum) {
        (None, None) => {
            let nf = n as f64;
            for _ in 0..k {
                let i = (gen(rt, g).random() * nf).floor() as i64;
                out.push(getitem(rt, population, Value::Int(i))?);
            }
            return rt.new_list(out);
        }
        (Some(_), Some(_)) => {
            return Err(Throw::type_error(
                "Cannot specify both weights and cumulative weights",
            ))
        }
        (Some(w), None) => {
            let items = crate::vm::ops::collect_iterable(rt, w)?;
            let mut acc = 0.0;
            let mut v = Vec::with_capacity(items.len());
            for x in items {
                acc += as_float(rt, x)?;
                v.push(acc);
            }
            v
        }
        (None, Some(c)) => {
            let items = crate::vm::ops::collect_iterable(rt, c)?;
            let mut v = Vec::with_capacity(items.len());
            for x in items {
                v.push(as_float(rt, x)?);
            }
            v
        }
    };
    if cum_weights.len() != n {
        return Err(Throw::value_error(
            "The number of weights does not match the population",
        ));
    }
    let total = cum_weights.last().copied().unwrap_or(0.0);
    if total <= 0.0 {
        return Err(Throw::value_error(
            "Total of weights must be greater than zero",
        ));
    }
    if !total.is_finite() {
        return Err(Throw::value_error("Total of weights must be finite"));
    }
    let hi = n - 1;
    for _ in 0..k {
        let x = gen(rt, g).random() * total;
        // bisect_right(cum_weights, x, 0, hi)
        let i = cum_weights[..hi].partition_point(|&c| c <= x);
        out.push(getitem(rt, population, Value::Int(i as i64))?);
    }
    rt.new_list(out)
}

/// `sample(population, k, *, counts=None)`.
fn sample(
    rt: &mut Rt,
    g: Gen,
    population: Value,
    k: Value,
    counts: Option<Value>,
) -> PyResult<Value> {
    let is_sequence = match population {
        Value::Obj(id) => matches!(
            rt.heap.get(id),
            Obj::List(_) | Obj::Tuple(_) | Obj::Str(_) | Obj::Range { .. }
        ),
        _ => false,
    };
    if !is_sequence {
        return Err(Throw::type_error(
            "Population must be a sequence.  For dicts or sets, use sorted(d).",
        ));
    }
    let n = len_of(rt, population)?;
    if let Some(c) = counts.filter(|c| !c.is_none()) {
        let items = crate::vm::ops::collect_iterable(rt, c)?;
        let mut cum = Vec::with_capacity(items.len());
        let mut acc = 0i64;
        for x in items {
            let v = crate::vm::ops::as_index(x)
                .ok_or_else(|| Throw::type_error("Counts must be integers"))?;
            acc = acc.checked_add(v).ok_or_else(crate::vm::ops::overflow)?;
            cum.push(acc);
        }
        if cum.len() != n {
            return Err(Throw::value_error(
                "The number of counts does not match the population",
            ));
        }
        let total = cum.pop().unwrap_or(0);
        if total <= 0 {
            return Err(Throw::value_error(
                "Total of counts must be greater than zero",
            ));
        }
        let range = rt.alloc(Obj::Range {
            start: 0,
            stop: total,
            step: 1,
        })?;
        let sel = sample(rt, g, range, k, None)?;
        let sel = crate::vm::ops::collect_iterable(rt, sel)?;
        let mut out = Vec::with_capacity(sel.len());
        for s in sel {
            let s = crate::vm::ops::as_index(s).unwrap_or(0);
            let i = cum.partition_point(|&c| c <= s);
            out.push(getitem(rt, population, Value::Int(i as i64))?);
        }
        return rt.new_list(out);
    }
    let k = crate::vm::ops::expect_index(rt, k)?;
    if k < 0 || k as u64 > n as u64 {
        return Err(Throw::value_error(
            "Sample larger than population or is negative",
        ));
    }
    let k = k as usize;
    crate::vm::ops::ensure_items(rt, k, 16)?;
    let mut setsize = 21usize;
    if k > 5 {
        // 4 ** ceil(log(k * 3, 4)), with CPython's float log.
        let e = ((k as f64 * 3.0).ln() / 4f64.ln()).ceil() as u32;
        setsize = setsize.saturating_add(4usize.saturating_pow(e));
    }
    let mut result = Vec::with_capacity(k);
    if n <= setsize {
        let mut pool = crate::vm::ops::collect_iterable(rt, population)?;
        for i in 0..k {
            let j = gen(rt, g).below_u64((n - i) as u64) as usize;
            result.push(pool[j]);
            pool[j] = pool[n - i - 1];
        }
    } else {
        let mut selected = std::collections::HashSet::with_capacity(k);
        for _ in 0..k {
            let mut j = gen(rt, g).below_u64(n as u64);
            while selected.contains(&j) {
                j = gen(rt, g).below_u64(n as u64);
            }
            selected.insert(j);
            result.push(getitem(rt, population, Value::Int(j as i64))?);
        }
    }
    rt.new_list(result)
}
