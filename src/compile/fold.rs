//! Compile-time constant folding, as CPython 3.11's AST optimizer (`ast_opt.c`) does it.
//!
//! `-1`, `2 * 3`, `("a", "b")` and `not True` are constants in CPython's bytecode, so
//! `gilvm dis` must show them as one `LOAD_CONST`. Folding never changes meaning: an operation
//! that would fail or build a large object is left to run time, with CPython's limits (4096
//! characters, 256 items, 128-bit results of `*`, `**` and `<<`; ints past i64 become big
//! constants, as CPython's unbounded ints fold).

use crate::ast::{BinOp, Expr, ExprKind, UnaryOp};
use crate::bytecode::Const;

/// CPython's limits for folded strings and collections.
const MAX_STR_SIZE: usize = 4096;
const MAX_COLLECTION_SIZE: usize = 256;

/// The constant value of `e` after folding, if it has one.
pub fn const_value(e: &Expr) -> Option<Const> {
    match &e.kind {
        ExprKind::Int(i) => Some(Const::Int(*i)),
        ExprKind::BigInt(s) => Some(Const::BigInt(s.clone())),
        ExprKind::Float(f) => Some(Const::Float(*f)),
        ExprKind::Str(s) => Some(Const::Str(s.clone())),
        ExprKind::True => Some(Const::Bool(true)),
        ExprKind::False => Some(Const::Bool(false)),
        ExprKind::None => Some(Const::None),
        ExprKind::Ellipsis => Some(Const::Ellipsis),
        ExprKind::Tuple(elts) => const_tuple(elts),
        ExprKind::UnaryOp { op, operand } => unary(*op, &const_value(operand)?),
        ExprKind::BinOp { left, op, right } => {
            binary(*op, &const_value(left)?, &const_value(right)?)
        }
        ExprKind::Subscript { value, index } => {
            subscript(&const_value(value)?, &const_value(index)?)
        }
        _ => None,
    }
}

/// A tuple of constants, if every element folds (no `*x`).
pub fn const_tuple(elts: &[Expr]) -> Option<Const> {
    let mut items = Vec::with_capacity(elts.len());
    for e in elts {
        items.push(const_value(e)?);
    }
    Some(Const::Tuple(items))
}

fn truth(c: &Const) -> Option<bool> {
    Some(match c {
        Const::None => false,
        Const::Ellipsis => true,
        Const::Bool(b) => *b,
        Const::Int(i) => *i != 0,
        Const::Float(f) => *f != 0.0,
        Const::BigInt(_) => true,
        Const::Str(s) => !s.is_empty(),
        Const::Tuple(t) | Const::FrozenSet(t) => !t.is_empty(),
        Const::Code(_) => return None,
    })
}

fn as_int(c: &Const) -> Option<i64> {
    match c {
        Const::Int(i) => Some(*i),
        Const::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn as_float(c: &Const) -> Option<f64> {
    match c {
        Const::Float(f) => Some(*f),
        _ => as_int(c).map(|i| i as f64),
    }
}

fn unary(op: UnaryOp, v: &Const) -> Option<Const> {
    match op {
        UnaryOp::Not => Some(Const::Bool(!truth(v)?)),
        UnaryOp::Neg => match v {
            Const::Float(f) => Some(Const::Float(-f)),
            // `-9223372036854775808` is the smallest i64; other big literals stay big.
            Const::BigInt(s) => Some(match format!("-{s}").parse::<i64>() {
                Ok(i) => Const::Int(i),
                Err(_) => Const::BigInt(
                    s.strip_prefix('-')
                        .map_or_else(|| format!("-{s}"), str::to_string),
                ),
            }),
            _ => as_int(v)?.checked_neg().map(Const::Int),
        },
        UnaryOp::Pos => match v {
            Const::Float(f) => Some(Const::Float(*f)),
            _ => as_int(v).map(Const::Int),
        },
        UnaryOp::Invert => as_int(v).map(|i| Const::Int(!i)),
    }
}

fn binary(op: BinOp, l: &Const, r: &Const) -> Option<Const> {
    match (l, r) {
        (Const::Str(a), Const::Str(b)) if op == BinOp::Add => {
            (a.len() + b.len() <= MAX_STR_SIZE).then(|| Const::Str(format!("{a}{b}")))
        }
        (Const::Str(s), n) | (n, Const::Str(s)) if op == BinOp::Mul => {
            // CPython's `safe_multiply`: a non-empty string times a negative count is left to
            // run time; `'' * -5` folds.
            let n = as_int(n)?;
            if s.is_empty() {
                return Some(Const::Str(String::new()));
            }
            let count = usize::try_from(n).ok()?;
            let len = s.chars().count();
            (count <= MAX_STR_SIZE / len).then(|| Const::Str(s.repeat(count)))
        }
        (Const::Tuple(a), Const::Tuple(b)) if op == BinOp::Add => (a.len() + b.len()
            <= MAX_COLLECTION_SIZE)
            .then(|| Const::Tuple(a.iter().chain(b).cloned().collect())),
        // CPython's `safe_multiply`: `(1, 2) * 3` within MAX_COLLECTION_SIZE items; a negative
        // count is left to run time.
        (Const::Tuple(t), n) | (n, Const::Tuple(t)) if op == BinOp::Mul => {
            let n = usize::try_from(as_int(n)?).ok()?;
            if !t.is_empty() && n > MAX_COLLECTION_SIZE / t.len() {
                return None;
            }
            Some(Const::Tuple(
                std::iter::repeat_n(t.iter(), n)
                    .flatten()
                    .cloned()
                    .collect(),
            ))
        }
        (Const::Float(_), _) | (_, Const::Float(_)) => float_binary(op, as_float(l)?, as_float(r)?),
        // bool & | ^ bool stays a bool (`True & True` is `True`, not `1`).
        (Const::Bool(a), Const::Bool(b)) if op == BinOp::BitAnd => Some(Const::Bool(a & b)),
        (Const::Bool(a), Const::Bool(b)) if op == BinOp::BitOr => Some(Const::Bool(a | b)),
        (Const::Bool(a), Const::Bool(b)) if op == BinOp::BitXor => Some(Const::Bool(a ^ b)),
        _ => {
            if let Some(folded) = wide_binary(op, as_wide(l)?, as_wide(r)?) {
                return folded;
            }
            int_binary(op, as_int(l)?, as_int(r)?)
        }
    }
}

/// An int constant as sign and magnitude (ints up to 128 bits: CPython's `MAX_INT_SIZE`).
fn as_wide(c: &Const) -> Option<(bool, u128)> {
    match c {
        Const::BigInt(s) => match s.strip_prefix('-') {
            Some(m) => Some((true, m.parse().ok()?)),
            None => Some((false, s.parse().ok()?)),
        },
        _ => as_int(c).map(|i| (i < 0, i.unsigned_abs() as u128)),
    }
}

fn wide_const((neg, mag): (bool, u128)) -> Const {
    let v = if neg {
        i64::try_from(mag)
            .ok()
            .map(|m| -m)
            .or_else(|| (mag == 1u128 << 63).then_some(i64::MIN))
    } else {
        i64::try_from(mag).ok()
    };
    match v {
        Some(i) => Const::Int(i),
        None if neg => Const::BigInt(format!("-{mag}")),
        None => Const::BigInt(mag.to_string()),
    }
}

/// `+`, `-`, `*`, `**` and `<<` of ints as CPython's `safe_multiply`, `safe_power` and
/// `safe_lshift` fold them: only when the operands' sizes promise a result of at most
/// `MAX_INT_SIZE` (128) bits, so `1 << 70` and `2 ** 64` fold and `2 ** 100` does not.
/// `Some(None)`: CPython does not fold it; `None`: not one of these operations.
fn wide_binary(op: BinOp, a: (bool, u128), b: (bool, u128)) -> Option<Option<Const>> {
    const MAX_INT_SIZE: u32 = 128;
    let bits = |m: u128| 128 - m.leading_zeros();
    let add = |x: (bool, u128), y: (bool, u128)| -> Option<(bool, u128)> {
        if x.0 == y.0 {
            Some((x.0, x.1.checked_add(y.1)?))
        } else if x.1 >= y.1 {
            Some((x.0 && x.1 != y.1, x.1 - y.1))
        } else {
            Some((y.0, y.1 - x.1))
        }
    };
    let r = match op {
        BinOp::Add => add(a, b),
        BinOp::Sub => add(a, (!b.0 && b.1 != 0, b.1)),
        BinOp::Mul => {
            if a.1 != 0 && b.1 != 0 && bits(a.1) + bits(b.1) > MAX_INT_SIZE {
                return Some(None);
            }
            a.1.checked_mul(b.1).map(|m| (a.0 != b.0 && m != 0, m))
        }
        BinOp::Pow => {
            if b.0 {
                return None;
            }
            if a.1 != 0 && b.1 != 0 && u128::from(bits(a.1)) > u128::from(MAX_INT_SIZE) / b.1 {
                return Some(None);
            }
            let e = u32::try_from(b.1).ok()?;
            a.1.checked_pow(e).map(|m| (a.0 && e % 2 == 1 && m != 0, m))
        }
        BinOp::LShift => {
            if b.0 {
                return Some(None);
            }
            if a.1 != 0
                && b.1 != 0
                && (b.1 > u128::from(MAX_INT_SIZE)
                    || u128::from(bits(a.1)) > u128::from(MAX_INT_SIZE) - b.1)
            {
                return Some(None);
            }
            let s = u32::try_from(b.1).ok()?;
            a.1.checked_shl(s)
                .filter(|m| s == 0 || m >> s == a.1)
                .map(|m| (a.0 && m != 0, m))
        }
        _ => return None,
    };
    Some(r.map(wide_const))
}

/// `(1, 2)[0]` and `"abc"[-1]`, as CPython's `fold_subscr`.
fn subscript(value: &Const, index: &Const) -> Option<Const> {
    let i = as_int(index)?;
    let pick = |len: usize| -> Option<usize> {
        let len = i64::try_from(len).ok()?;
        let j = if i < 0 { i + len } else { i };
        (0..len).contains(&j).then_some(j as usize)
    };
    match value {
        Const::Tuple(items) => items.get(pick(items.len())?).cloned(),
        Const::Str(s) => {
            let n = s.chars().count();
            s.chars().nth(pick(n)?).map(|c| Const::Str(c.to_string()))
        }
        _ => None,
    }
}

fn int_binary(op: BinOp, a: i64, b: i64) -> Option<Const> {
    let v = match op {
        BinOp::Add => a.checked_add(b)?,
        BinOp::Sub => a.checked_sub(b)?,
        BinOp::Mul => a.checked_mul(b)?,
        BinOp::FloorDiv => {
            if b == 0 {
                return None;
            }
            let q = a.checked_div(b)?;
            if (a % b != 0) && ((a < 0) != (b < 0)) {
                q - 1
            } else {
                q
            }
        }
        BinOp::Mod => {
            if b == 0 {
                return None;
            }
            let m = a.checked_rem(b)?;
            if m != 0 && ((m < 0) != (b < 0)) {
                m + b
            } else {
                m
            }
        }
        BinOp::Pow => {
            if b < 0 {
                return if a == 0 {
                    None
                } else {
                    float_binary(op, a as f64, b as f64)
                };
            }
            let e = u32::try_from(b).ok()?;
            a.checked_pow(e)?
        }
        BinOp::TrueDiv => {
            if b == 0 {
                return None;
            }
            return Some(Const::Float(a as f64 / b as f64));
        }
        BinOp::LShift => {
            let s = u32::try_from(b).ok()?;
            if s >= 63 {
                return None;
            }
            a.checked_mul(1i64 << s)?
        }
        BinOp::RShift => {
            let s = u32::try_from(b).ok()?;
            a >> s.min(63)
        }
        BinOp::BitAnd => a & b,
        BinOp::BitOr => a | b,
        BinOp::BitXor => a ^ b,
        BinOp::MatMul => return None,
    };
    Some(Const::Int(v))
}

fn float_binary(op: BinOp, a: f64, b: f64) -> Option<Const> {
    let v = match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::TrueDiv if b != 0.0 => a / b,
        BinOp::FloorDiv if b != 0.0 => float_divmod(a, b).0,
        BinOp::Mod if b != 0.0 => float_divmod(a, b).1,
        // A negative base with a fractional exponent is complex in Python; leave it.
        // Python raises OverflowError when a power overflows; leave that to run time.
        BinOp::Pow if a > 0.0 || (a == 0.0 && b >= 0.0) => {
            let v = a.powf(b);
            return (v.is_finite() || !(a.is_finite() && b.is_finite())).then_some(Const::Float(v));
        }
        _ => return None,
    };
    // Float +, -, *, / and // never raise in Python: an overflow is inf.
    Some(Const::Float(v))
}

/// CPython's `_float_div_mod`: floor division and modulo with the sign of the divisor.
fn float_divmod(vx: f64, wx: f64) -> (f64, f64) {
    let mut m = vx % wx;
    let mut div = (vx - m) / wx;
    if m != 0.0 {
        if (wx < 0.0) != (m < 0.0) {
            m += wx;
            div -= 1.0;
        }
    } else {
        m = 0.0f64.copysign(wx);
    }
    let floordiv = if div != 0.0 {
        let mut f = div.floor();
        if div - f > 0.5 {
            f += 1.0;
        }
        f
    } else {
        0.0f64.copysign(vx / wx)
    };
    (floordiv, m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Span;

    fn e(kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: Span::default(),
        }
    }

    fn bin(l: ExprKind, op: BinOp, r: ExprKind) -> Expr {
        e(ExprKind::BinOp {
            left: Box::new(e(l)),
            op,
            right: Box::new(e(r)),
        })
    }

    #[test]
    fn folds_like_cpython() {
        assert_eq!(
            const_value(&bin(ExprKind::Int(7), BinOp::FloorDiv, ExprKind::Int(-2))),
            Some(Const::Int(-4))
        );
        assert_eq!(
            const_value(&bin(ExprKind::Int(-7), BinOp::Mod, ExprKind::Int(3))),
            Some(Const::Int(2))
        );
        assert_eq!(
            const_value(&bin(ExprKind::Int(1), BinOp::TrueDiv, ExprKind::Int(0))),
            None
        );
        // Past i64, as CPython (whose ints have no bound): folded into a big constant, within
        // CPython's 128-bit limit for `*`, `**` and `<<`.
        assert_eq!(
            const_value(&bin(ExprKind::Int(i64::MAX), BinOp::Add, ExprKind::Int(1))),
            Some(Const::BigInt("9223372036854775808".into()))
        );
        assert_eq!(
            const_value(&bin(ExprKind::Int(1), BinOp::LShift, ExprKind::Int(70))),
            Some(Const::BigInt("1180591620717411303424".into()))
        );
        assert_eq!(
            const_value(&bin(ExprKind::Int(2), BinOp::Pow, ExprKind::Int(100))),
            None
        );
        assert_eq!(
            const_value(&bin(ExprKind::Int(1), BinOp::Pow, ExprKind::Int(200))),
            None
        );
        assert_eq!(
            const_value(&e(ExprKind::UnaryOp {
                op: UnaryOp::Neg,
                operand: Box::new(e(ExprKind::Int(5)))
            })),
            Some(Const::Int(-5))
        );
    }
}
