//! Binary and unary operators (`BINARY_OP`, `UNARY_*`): int/float/bool arithmetic with Python's
//! floor-division, modulo and power rules, and the sequence operators (`+`, `*` on str, list,
//! tuple; `%` on str; `|` on dicts).
//!
//! Ints are i64 on the fast path: every int operation is checked, and a result that overflows
//! is computed again as a big int (`vm/bigint.rs`), out of line.

use crate::vm::exceptions::ExcKind;
use crate::vm::format::percent_format;
use crate::vm::heap::{DictMap, Obj};
use crate::vm::memory;
use crate::vm::ops::{as_index, collect_iterable, ensure_items, overflow, reserve_list, type_name};
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt, Throw};

/// The message of an `OverflowError` for an int that must fit 64 bits (a sequence index, a
/// repeat count, a range bound): Python's own for those.
pub const OVERFLOW_MSG: &str = "Python int too large to convert to C ssize_t";

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
const INPLACE: u32 = 13;

/// `a op b` for a `BINARY_OP` oparg (0..=25, CPython 3.11 numbering; 13+ are in-place).
#[inline]
pub fn binary_op(rt: &mut Rt, op: u32, a: Value, b: Value) -> PyResult<Value> {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        let r = match op % INPLACE {
            ADD => x.checked_add(y),
            SUB => x.checked_sub(y),
            MUL => x.checked_mul(y),
            _ => return int_op(rt, op % INPLACE, x, y, op),
        };
        return match r {
            Some(r) => Ok(Value::Int(r)),
            None => big(rt, op, a, b),
        };
    }
    binary_slow(rt, op, a, b)
}

/// An int operation that overflowed i64, or one on a big int: computed with big ints.
#[cold]
#[inline(never)]
fn big(rt: &mut Rt, op: u32, a: Value, b: Value) -> PyResult<Value> {
    match crate::vm::bigint::binary(rt, op % INPLACE, a, b)? {
        Some(v) => Ok(v),
        None => unsupported(rt, op, a, b),
    }
}

/// Unary operators (`UNARY_NEGATIVE`, `UNARY_POSITIVE`, `UNARY_INVERT`, `UNARY_NOT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryKind {
    Neg,
    Pos,
    Invert,
    Not,
}

pub fn unary(rt: &mut Rt, op: UnaryKind, v: Value) -> PyResult<Value> {
    let r = match (op, v) {
        (UnaryKind::Not, v) => Some(Value::Bool(!crate::vm::ops::truthy(rt, v))),
        (UnaryKind::Neg, Value::Int(i)) => match i.checked_neg() {
            Some(n) => Some(Value::Int(n)),
            None => crate::vm::bigint::neg(rt, v)?,
        },
        (UnaryKind::Neg, Value::Obj(_)) => crate::vm::bigint::neg(rt, v)?,
        (UnaryKind::Pos, Value::Obj(_)) => crate::vm::bigint::as_big(rt, v).map(|_| v),
        (UnaryKind::Invert, Value::Obj(_)) => crate::vm::bigint::invert(rt, v)?,
        (UnaryKind::Neg, Value::Bool(b)) => Some(Value::Int(-(b as i64))),
        (UnaryKind::Neg, Value::Float(f)) => Some(Value::Float(-f)),
        (UnaryKind::Pos, Value::Int(_) | Value::Float(_)) => Some(v),
        (UnaryKind::Pos, Value::Bool(b)) => Some(Value::Int(b as i64)),
        (UnaryKind::Invert, Value::Int(i)) => Some(Value::Int(!i)),
        (UnaryKind::Invert, Value::Bool(b)) => Some(Value::Int(!(b as i64))),
        _ => None,
    };
    r.ok_or_else(|| {
        let sym = match op {
            UnaryKind::Neg => "-",
            UnaryKind::Pos => "+",
            UnaryKind::Invert => "~",
            UnaryKind::Not => "not",
        };
        Throw::type_error(format!(
            "bad operand type for unary {sym}: '{}'",
            type_name(rt, v)
        ))
    })
}

#[derive(Clone, Copy)]
enum Num {
    I(i64),
    F(f64),
}

#[inline]
fn num(v: Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::I(i)),
        Value::Bool(b) => Some(Num::I(b as i64)),
        Value::Float(f) => Some(Num::F(f)),
        _ => None,
    }
}

impl Num {
    fn f(self) -> f64 {
        match self {
            Num::I(i) => i as f64,
            Num::F(f) => f,
        }
    }
}

/// `a op b` for everything but the int cases `binary_op` answers inline.
///
/// `str + str` (and `+=`) goes straight to [`concat_strs`]: the number and bool checks, the
/// big-int and set look-ups and `add_objects`' type naming were ≈half of a `s += "x"`
/// (issue 21, str3).
#[inline(never)]
fn binary_slow(rt: &mut Rt, op: u32, a: Value, b: Value) -> PyResult<Value> {
    if op % INPLACE == ADD {
        if let (Value::Obj(ia), Value::Obj(ib)) = (a, b) {
            if let (Obj::Str(_), Obj::Str(_)) = (rt.heap.get(ia), rt.heap.get(ib)) {
                return concat_strs(rt, ia, ib);
            }
        }
    }
    binary_general(rt, op, a, b)
}

/// `x + y` of two strs: what `add_objects` does for them, with its allocations (sizes,
/// capacities and order) unchanged.
#[inline(never)]
fn concat_strs(rt: &mut Rt, ia: ObjId, ib: ObjId) -> PyResult<Value> {
    let (Obj::Str(x), Obj::Str(y)) = (rt.heap.get(ia), rt.heap.get(ib)) else {
        return Err(Throw::type_error("can only concatenate str to str"));
    };
    // `s += x` in a loop: appended in place to a growable buffer `s` owns the end of, or (a
    // result of `GROW_FROM` bytes or more) copied into a new one (`vm::pystr`).
    if x.can_append(y) {
        rt.ensure_room(y.len())?;
        if let Some((v, grown)) = x.append_checked(y) {
            let id = rt.heap.alloc_charging(Obj::Str(v), 48 + grown)?;
            return Ok(Value::Obj(id));
        }
    }
    let total = x.len().saturating_add(y.len());
    rt.ensure_room(total)?;
    if total >= crate::vm::pystr::GROW_FROM {
        let v = crate::vm::pystr::PyStr::concat_growable(x, y).ok_or_else(Throw::memory)?;
        return rt.alloc(Obj::Str(v));
    }
    let ascii = x.is_ascii() && y.is_ascii();
    let mut s = memory::string_with_capacity(total)?;
    s.push_str(x);
    s.push_str(y);
    // `new_str`'s object (its ASCII flag known without a scan): the same size estimate.
    rt.alloc(Obj::Str(crate::vm::pystr::PyStr::Own(s, ascii)))
}

/// Every binary operator [`binary_op`]'s int step and [`binary_slow`]'s str step leave.
#[inline(never)]
fn binary_general(rt: &mut Rt, op: u32, a: Value, b: Value) -> PyResult<Value> {
    let base = op % INPLACE;
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        if let (Value::Bool(p), Value::Bool(q)) = (a, b) {
            match base {
                AND => return Ok(Value::Bool(p & q)),
                OR => return Ok(Value::Bool(p | q)),
                XOR => return Ok(Value::Bool(p ^ q)),
                _ => {}
            }
        }
        return match (x, y) {
            (Num::I(x), Num::I(y)) => match base {
                ADD => x
                    .checked_add(y)
                    .map_or_else(|| big(rt, op, a, b), |r| Ok(Value::Int(r))),
                SUB => x
                    .checked_sub(y)
                    .map_or_else(|| big(rt, op, a, b), |r| Ok(Value::Int(r))),
                MUL => x
                    .checked_mul(y)
                    .map_or_else(|| big(rt, op, a, b), |r| Ok(Value::Int(r))),
                _ => int_op(rt, base, x, y, op),
            },
            _ => float_op(rt, base, x.f(), y.f(), op, a, b),
        };
    }
    // A str on the left (`s + t`, `s += t`, `fmt % args`) is not a big int:
    // no big-int look-up first (it was 3% of l/strings, callgrind).
    let a_str = matches!(a, Value::Obj(id) if matches!(rt.heap.get(id), Obj::Str(_)));
    if !a_str {
        if let Some(r) = crate::vm::bigint::binary(rt, base, a, b)? {
            return Ok(r);
        }
    }
    let inplace = op >= INPLACE;
    if matches!(base, AND | OR | SUB | XOR) {
        if let Some(r) = crate::vm::set::binary(rt, base, inplace, a, b)? {
            return Ok(r);
        }
    }
    match base {
        ADD => add_objects(rt, a, b, inplace),
        MUL => {
            if let Some(r) = repeat(rt, a, b, inplace)? {
                return Ok(r);
            }
            unsupported(rt, op, a, b)
        }
        MOD => match rt.as_str(a) {
            Some(_) => {
                let s = percent_format(rt, a, b)?;
                rt.new_str(s)
            }
            None => unsupported(rt, op, a, b),
        },
        OR => dict_merge(rt, a, b, inplace).and_then(|r| match r {
            Some(v) => Ok(v),
            // `int | None` in a type hint.
            None if crate::vm::typing_alias::is_hint(rt, a)
                && crate::vm::typing_alias::is_hint(rt, b)
                && (a, b) != (Value::None, Value::None) =>
            {
                crate::vm::typing_alias::bitor(rt, a, b)
            }
            None => unsupported(rt, op, a, b),
        }),
        _ => unsupported(rt, op, a, b),
    }
}

/// Int operators other than `+ - *` (which the fast path handles). cls2 and str3 (both): `%`
/// and `//` by a positive divisor (`i % 10`, `x // 100`) answered before the general
/// function's frame is set up (≈46 → ≈20 x86 instructions): for `y > 0` Python's floored
/// quotient and remainder are the Euclidean ones, and neither can overflow.
#[inline(never)]
fn int_op(rt: &mut Rt, base: u32, x: i64, y: i64, op: u32) -> PyResult<Value> {
    if y > 0 {
        if base == MOD {
            return Ok(Value::Int(x.rem_euclid(y)));
        }
        if base == FLOORDIV {
            return Ok(Value::Int(x.div_euclid(y)));
        }
    }
    int_op_general(rt, base, x, y, op)
}

/// `int_op` for everything but `%` and `//` by a positive divisor.
#[inline(never)]
fn int_op_general(rt: &mut Rt, base: u32, x: i64, y: i64, op: u32) -> PyResult<Value> {
    let overflowed = |rt: &mut Rt| big(rt, op, Value::Int(x), Value::Int(y));
    let r = match base {
        FLOORDIV => {
            if y == 0 {
                return Err(zero("integer division or modulo by zero"));
            }
            let Some(q) = x.checked_div(y) else {
                return overflowed(rt);
            };
            if x % y != 0 && ((x < 0) != (y < 0)) {
                q - 1
            } else {
                q
            }
        }
        MOD => {
            if y == 0 {
                return Err(zero("integer modulo by zero"));
            }
            int_mod(x, y)
        }
        TRUEDIV => {
            if y == 0 {
                return Err(zero("division by zero"));
            }
            return Ok(Value::Float(int_true_div(x, y)));
        }
        POW => {
            return match int_pow(x, y) {
                Ok(v) => Ok(v),
                Err(_) if y >= 0 => overflowed(rt),
                Err(e) => Err(e),
            }
        }
        LSHIFT => {
            if y < 0 {
                return Err(Throw::value_error("negative shift count"));
            }
            if x == 0 {
                0
            } else if y >= 64 {
                return overflowed(rt);
            } else {
                let r = x << y;
                if r >> y != x {
                    return overflowed(rt);
                }
                r
            }
        }
        RSHIFT => {
            if y < 0 {
                return Err(Throw::value_error("negative shift count"));
            }
            x >> y.min(63)
        }
        AND => x & y,
        OR => x | y,
        XOR => x ^ y,
        ADD | SUB | MUL => return overflowed(rt),
        _ => {
            return Err(Throw::type_error(format!(
                "unsupported operand type(s) for {}: 'int' and 'int'",
                op_symbol(op)
            )))
        }
    };
    Ok(Value::Int(r))
}

#[inline]
fn int_mod(x: i64, y: i64) -> i64 {
    let r = x.wrapping_rem(y);
    if r != 0 && ((r < 0) != (y < 0)) {
        r + y
    } else {
        r
    }
}

/// `x ** y` for ints: a negative exponent gives a float, as in Python; `OverflowError` when
/// the result leaves i64 (the operator then computes it as a big int).
pub fn int_pow(x: i64, y: i64) -> PyResult<Value> {
    if y < 0 {
        if x == 0 {
            return Err(zero("0.0 cannot be raised to a negative power"));
        }
        return float_pow(x as f64, y as f64).map(Value::Float);
    }
    let r = match u32::try_from(y) {
        Ok(e) => x.checked_pow(e),
        Err(_) => match x {
            0 | 1 => Some(x),
            -1 => Some(if y % 2 == 0 { 1 } else { -1 }),
            _ => None,
        },
    };
    r.map(Value::Int).ok_or_else(overflow)
}

/// `x ** y` for floats, with Python's errors.
pub fn float_pow(x: f64, y: f64) -> PyResult<f64> {
    if x == 0.0 && y < 0.0 {
        return Err(zero("0.0 cannot be raised to a negative power"));
    }
    if x < 0.0 && x.is_finite() && y.is_finite() && y.fract() != 0.0 {
        return Err(Throw::value_error(
            "negative number cannot be raised to a fractional power (gilvm has no complex numbers)",
        ));
    }
    let r = x.powf(y);
    if r.is_infinite() && x.is_finite() && y.is_finite() {
        return Err(Throw::new(
            ExcKind::OverflowError,
            "(34, 'Numerical result out of range')",
        ));
    }
    Ok(r)
}

/// `x / y` for ints, correctly rounded like CPython's (exact even beyond 2**53).
pub fn int_true_div(x: i64, y: i64) -> f64 {
    const EXACT: u64 = 1 << 53;
    if x.unsigned_abs() <= EXACT && y.unsigned_abs() <= EXACT {
        return x as f64 / y as f64;
    }
    let n = x.unsigned_abs() as u128;
    let d = y.unsigned_abs() as u128;
    if n == 0 {
        return if (x < 0) != (y < 0) { -0.0 } else { 0.0 };
    }
    // Scale the numerator to 128 bits so the quotient has at least 64 significant bits; a
    // sticky low bit records a nonzero remainder, so converting to f64 rounds correctly.
    let shift = n.leading_zeros();
    let scaled = n << shift;
    let q = scaled / d;
    let sticky = !scaled.is_multiple_of(d) as u128;
    let mag = (q | sticky) as f64 * 2f64.powi(-(shift as i32));
    if (x < 0) != (y < 0) {
        -mag
    } else {
        mag
    }
}

/// `x op y` on floats (a big int operand already converted), for `vm/bigint.rs`.
pub fn float_binary(rt: &mut Rt, base: u32, x: f64, y: f64, a: Value, b: Value) -> PyResult<Value> {
    float_op(rt, base, x, y, base, a, b)
}

fn float_op(
    rt: &mut Rt,
    base: u32,
    x: f64,
    y: f64,
    op: u32,
    a: Value,
    b: Value,
) -> PyResult<Value> {
    let r = match base {
        ADD => x + y,
        SUB => x - y,
        MUL => x * y,
        TRUEDIV => {
            if y == 0.0 {
                return Err(zero("float division by zero"));
            }
            x / y
        }
        FLOORDIV => {
            if y == 0.0 {
                return Err(zero("float floor division by zero"));
            }
            float_divmod(x, y).0
        }
        MOD => {
            if y == 0.0 {
                return Err(zero("float modulo"));
            }
            float_divmod(x, y).1
        }
        POW => match float_pow(x, y) {
            Ok(r) => r,
            // CPython raises OverflowError(34, 'Numerical result out of range'): errno args.
            Err(Throw::New {
                kind: ExcKind::OverflowError,
                ..
            }) => {
                let msg = rt.new_str("Numerical result out of range")?;
                return Err(Throw::NewArgs {
                    kind: ExcKind::OverflowError,
                    args: vec![Value::Int(34), msg],
                });
            }
            Err(e) => return Err(e),
        },
        _ => return unsupported(rt, op, a, b),
    };
    Ok(Value::Float(r))
}

/// CPython's `float_divmod` (y != 0): floor quotient and a remainder with y's sign.
fn float_divmod(x: f64, y: f64) -> (f64, f64) {
    let mut m = x % y;
    let mut div = (x - m) / y;
    if m != 0.0 {
        if (y < 0.0) != (m < 0.0) {
            m += y;
            div -= 1.0;
        }
    } else {
        m = 0f64.copysign(y);
    }
    let floordiv = if div != 0.0 {
        let mut f = div.floor();
        if div - f > 0.5 {
            f += 1.0;
        }
        f
    } else {
        0f64.copysign(x / y)
    };
    (floordiv, m)
}

/// `divmod(a, b)` for numbers (the builtin builds the tuple).
pub fn divmod_values(rt: &mut Rt, a: Value, b: Value) -> PyResult<(Value, Value)> {
    if crate::vm::bigint::as_big(rt, a).is_some() || crate::vm::bigint::as_big(rt, b).is_some() {
        let q = crate::vm::bigint::binary(rt, FLOORDIV, a, b)?;
        let m = crate::vm::bigint::binary(rt, MOD, a, b)?;
        if let (Some(q), Some(m)) = (q, m) {
            return Ok((q, m));
        }
    }
    match (num(a), num(b)) {
        (Some(Num::I(x)), Some(Num::I(y))) => {
            if y == 0 {
                return Err(zero("integer division or modulo by zero"));
            }
            let q = int_op(rt, FLOORDIV, x, y, FLOORDIV)?;
            Ok((q, Value::Int(int_mod(x, y))))
        }
        (Some(x), Some(y)) => {
            let (x, y) = (x.f(), y.f());
            if y == 0.0 {
                return Err(zero("float divmod()"));
            }
            let (q, m) = float_divmod(x, y);
            Ok((Value::Float(q), Value::Float(m)))
        }
        _ => Err(Throw::type_error(format!(
            "unsupported operand type(s) for divmod(): '{}' and '{}'",
            type_name(rt, a),
            type_name(rt, b)
        ))),
    }
}

fn zero(msg: &str) -> Throw {
    Throw::new(ExcKind::ZeroDivisionError, msg)
}

fn op_symbol(op: u32) -> &'static str {
    match op {
        POW => "** or pow()",
        _ => crate::bytecode::BINARY_OPS
            .get(op as usize)
            .copied()
            .unwrap_or("?"),
    }
}

fn unsupported(rt: &Rt, op: u32, a: Value, b: Value) -> PyResult<Value> {
    // prop: built by appending, not `format!`: `hot` makes this error for every `a + b` on an
    // instance before the slow path calls `__add__` (`Vm::dunder_retry`), and the formatting
    // machinery cost ≈780 x86 instructions of it.
    let (sym, ta, tb) = (op_symbol(op), type_name(rt, a), type_name(rt, b));
    let mut msg = String::with_capacity(48 + sym.len() + ta.len() + tb.len());
    for part in [
        "unsupported operand type(s) for ",
        sym,
        ": '",
        ta,
        "' and '",
        tb,
        "'",
    ] {
        msg.push_str(part);
    }
    Err(Throw::type_error(msg))
}

/// `+` on non-numbers: str, list and tuple concatenation; `list += iterable` extends in place.
fn add_objects(rt: &mut Rt, a: Value, b: Value, inplace: bool) -> PyResult<Value> {
    let Value::Obj(ida) = a else {
        return unsupported(rt, if inplace { ADD + INPLACE } else { ADD }, a, b);
    };
    // ld3: str + str (the commonest case) without naming both operands' types first.
    let both_str = matches!(
        (rt.heap.get(ida), b),
        (Obj::Str(_), Value::Obj(idb)) if matches!(rt.heap.get(idb), Obj::Str(_))
    );
    let kind = match rt.heap.get(ida) {
        _ if both_str => "str",
        Obj::Str(_) => "str",
        Obj::List(_) => "list",
        Obj::Tuple(_) => "tuple",
        _ => return unsupported(rt, if inplace { ADD + INPLACE } else { ADD }, a, b),
    };
    if inplace && kind == "list" {
        let items = collect_iterable(rt, b)?;
        reserve_list(rt, ida, items.len())?;
        if let Obj::List(v) = rt.heap.get_mut(ida) {
            v.extend(items);
        }
        return Ok(a);
    }
    if !both_str && type_name(rt, b) != kind {
        return Err(Throw::type_error(format!(
            "can only concatenate {kind} (not \"{}\") to {kind}",
            type_name(rt, b)
        )));
    }
    let idb = b.as_obj().unwrap_or(ida);
    if matches!(
        (rt.heap.get(ida), rt.heap.get(idb)),
        (Obj::Str(_), Obj::Str(_))
    ) {
        return concat_strs(rt, ida, idb);
    }
    match (rt.heap.get(ida), rt.heap.get(idb)) {
        (Obj::List(x), Obj::List(y)) | (Obj::Tuple(x), Obj::Tuple(y)) => {
            ensure_items(rt, x.len().saturating_add(y.len()), 16)?;
            let mut v = memory::vec_with_capacity(x.len() + y.len())?;
            v.extend_from_slice(x);
            v.extend_from_slice(y);
            if kind == "list" {
                rt.new_list(v)
            } else {
                rt.new_tuple(v)
            }
        }
        _ => unsupported(rt, ADD, a, b),
    }
}

/// `seq * n` and `n * seq`; `None` when neither side is a sequence. `list *= n` is in place.
fn repeat(rt: &mut Rt, a: Value, b: Value, inplace: bool) -> PyResult<Option<Value>> {
    // As CPython: the left operand repeats if it is a sequence, else the right one, and the
    // other operand must then be an int (`range(3) * 'ab'` names the range as the bad count).
    let (seq, count) = if is_sequence(rt, a) {
        (a, b)
    } else if is_sequence(rt, b) {
        (b, a)
    } else {
        return Ok(None);
    };
    let Some(n) = as_index(count) else {
        return Err(Throw::type_error(format!(
            "can't multiply sequence by non-int of type '{}'",
            type_name(rt, count)
        )));
    };
    let n = usize::try_from(n).unwrap_or(0);
    let Value::Obj(id) = seq else {
        return Ok(None);
    };
    match rt.heap.get(id) {
        Obj::Str(s) => {
            rt.ensure_room(s.len().checked_mul(n).ok_or_else(Throw::memory)?)?;
            let r = memory::repeat_str(s, n)?;
            rt.new_str(r).map(Some)
        }
        Obj::List(v) | Obj::Tuple(v) => {
            ensure_items(rt, v.len().checked_mul(n).ok_or_else(Throw::memory)?, 16)?;
            let r = memory::repeat_slice(v, n)?;
            let is_list = matches!(rt.heap.get(id), Obj::List(_));
            if inplace && is_list {
                // The list's storage is replaced by `r`: charge what it adds.
                let grown = r.capacity().saturating_sub(v.capacity());
                rt.heap
                    .charge(grown.saturating_mul(std::mem::size_of::<Value>()))?;
                if let Obj::List(items) = rt.heap.get_mut(id) {
                    *items = r;
                }
                Ok(Some(seq))
            } else if is_list {
                rt.new_list(r).map(Some)
            } else {
                rt.new_tuple(r).map(Some)
            }
        }
        _ => Ok(None),
    }
}

fn is_sequence(rt: &Rt, v: Value) -> bool {
    match v {
        Value::Obj(id) => matches!(rt.heap.get(id), Obj::Str(_) | Obj::List(_) | Obj::Tuple(_)),
        _ => false,
    }
}

/// `dict | dict` (a new merged dict) and `dict |= other` (update in place).
fn dict_merge(rt: &mut Rt, a: Value, b: Value, inplace: bool) -> PyResult<Option<Value>> {
    let (Some(ida), Some(idb)) = (a.as_obj(), b.as_obj()) else {
        return Ok(None);
    };
    let (Obj::Dict(x), Obj::Dict(y)) = (rt.heap.get(ida), rt.heap.get(idb)) else {
        return Ok(None);
    };
    let extra: Vec<_> = y.iter().map(|(k, v)| (k.clone(), *v)).collect();
    if inplace {
        let keys = extra.iter().map(|(k, _)| k.inline_bytes()).sum::<usize>();
        rt.heap
            .charge(extra.len().saturating_mul(72).saturating_add(keys))?;
        if let Obj::Dict(d) = rt.heap.get_mut(ida) {
            merge_into(d, extra);
        }
        return Ok(Some(a));
    }
    let mut d: DictMap = x.clone();
    merge_into(&mut d, extra);
    rt.new_dict(d).map(Some)
}

fn merge_into(d: &mut DictMap, extra: Vec<(crate::vm::heap::HashKey, (Value, Value))>) {
    for (k, (key, val)) in extra {
        crate::vm::ops::dict_insert(d, k, key, val);
    }
}
