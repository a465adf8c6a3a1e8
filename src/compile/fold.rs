//! Compile-time constant folding, as CPython 3.11's AST optimizer (`ast_opt.c`) does it.
//!
//! `-1`, `2 * 3`, `("a", "b")` and `not True` are constants in CPython's bytecode, so
//! `gilvm dis` must show them as one `LOAD_CONST`. Folding never changes meaning: an operation
//! that would fail, overflow gilvm's 64-bit ints, or build a large object is left to run time.

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
            let n = as_int(n)?;
            let count = usize::try_from(n.max(0)).ok()?;
            (s.len().checked_mul(count)? <= MAX_STR_SIZE).then(|| Const::Str(s.repeat(count)))
        }
        (Const::Tuple(a), Const::Tuple(b)) if op == BinOp::Add => (a.len() + b.len()
            <= MAX_COLLECTION_SIZE)
            .then(|| Const::Tuple(a.iter().chain(b).cloned().collect())),
        (Const::Float(_), _) | (_, Const::Float(_)) => float_binary(op, as_float(l)?, as_float(r)?),
        // bool & | ^ bool stays a bool (`True & True` is `True`, not `1`).
        (Const::Bool(a), Const::Bool(b)) if op == BinOp::BitAnd => Some(Const::Bool(a & b)),
        (Const::Bool(a), Const::Bool(b)) if op == BinOp::BitOr => Some(Const::Bool(a | b)),
        (Const::Bool(a), Const::Bool(b)) if op == BinOp::BitXor => Some(Const::Bool(a ^ b)),
        _ => int_binary(op, as_int(l)?, as_int(r)?),
    }
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
        assert_eq!(
            const_value(&bin(ExprKind::Int(i64::MAX), BinOp::Add, ExprKind::Int(1))),
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
