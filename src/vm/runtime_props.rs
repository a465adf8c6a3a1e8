//! Property tests for the runtime: no operator, built-in, method or formatter panics on any
//! combination of values, format strings or numeric text (DESIGN.md §8: no input makes gilvm
//! panic). Each case only has to return `Ok` or a Python exception.

use proptest::prelude::*;

use crate::vm::builtins::{call_builtin, float_from_str, int_from_str};
use crate::vm::format::{format_spec, percent_format, repr, str_format, str_of};
use crate::vm::methods::{call_method, lookup_method};
use crate::vm::natives::{AttrSym, NativeId};
use crate::vm::ops;
use crate::vm::testutil::{lit, rt_with_limit};
use crate::vm::value::Value;
use crate::vm::Rt;

const LITERALS: &[&str] = &[
    "0",
    "1",
    "-1",
    "True",
    "False",
    "None",
    "9223372036854775807",
    "-9223372036854775807",
    "2.5",
    "-0.0",
    "inf",
    "nan",
    "1e308",
    "''",
    "'abc'",
    "'héllo wörld'",
    "' a,b '",
    "[]",
    "[1, 'a', 2.5]",
    "[[1], [2, [3]]]",
    "()",
    "(1,)",
    "(1, 'x', (2,))",
    "{}",
    "{'a': 1, 2: 'b'}",
    "range(0)",
    "range(10)",
    "range(-5, 100, 7)",
    "range(9223372036854775807)",
    "slice(None, None, -1)",
    "slice(-9223372036854775807, 9223372036854775807, 3)",
    "slice(1, 'x', None)",
];

fn value(rt: &mut Rt, i: usize) -> Value {
    lit(rt, LITERALS[i % LITERALS.len()])
}

/// Like [`value`] but without the 2**63-item range: built-ins such as `sum` or `max` would
/// really iterate it (as CPython would, for centuries).
fn small_value(rt: &mut Rt, i: usize) -> Value {
    match LITERALS[i % LITERALS.len()] {
        "range(9223372036854775807)" => lit(rt, "range(3)"),
        s => lit(rt, s),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn operators_never_panic(a in 0usize..64, b in 0usize..64, op in 0u32..26, cmp in 0u32..6) {
        let mut rt = rt_with_limit(1 << 22);
        let (x, y) = (value(&mut rt, a), value(&mut rt, b));
        let _ = ops::binary_op(&mut rt, op, x, y);
        let _ = ops::compare(&mut rt, cmp, x, y);
        let _ = ops::getitem(&mut rt, x, y);
        let _ = ops::contains(&mut rt, x, y);
        let _ = ops::hash_key(&rt, x);
        let _ = ops::unpack(&mut rt, x, 2);
        let _ = ops::setitem(&mut rt, x, y, y);
        let _ = ops::delitem(&mut rt, x, y);
        let _ = ops::reversed_iter(&mut rt, x);
        if let Ok(it) = ops::get_iter(&mut rt, x) {
            for _ in 0..1000 {
                if !matches!(ops::iter_next(&mut rt, it), Ok(Some(_))) {
                    break;
                }
            }
        }
        for u in [ops::UnaryKind::Neg, ops::UnaryKind::Pos, ops::UnaryKind::Invert] {
            let _ = ops::unary(&mut rt, u, x);
        }
        let _ = repr(&rt, x);
        let _ = str_of(&rt, x);
    }

    #[test]
    fn builtins_and_methods_never_panic(
        f in 0usize..NativeId::ALL.len(),
        m in 0usize..AttrSym::ALL.len(),
        a in 0usize..64,
        b in 0usize..64,
        c in 0usize..64,
        n in 0usize..4,
    ) {
        let mut rt = rt_with_limit(1 << 22);
        let args: Vec<Value> = [a, b, c].iter().take(n).map(|&i| small_value(&mut rt, i)).collect();
        let id = NativeId::ALL[f];
        if id <= NativeId::Callable || (NativeId::Random..=NativeId::Seed).contains(&id) {
            let _ = call_builtin(&mut rt, id, &args, &[]);
        }
        let recv = small_value(&mut rt, a.wrapping_add(c));
        if let Some(meth) = lookup_method(&rt, recv, AttrSym::ALL[m]) {
            let _ = call_method(&mut rt, meth, recv, &args, &[]);
        }
    }

    #[test]
    fn formatting_never_panics(spec in "[<>=^ +#0-9,_.a-zA-Z%{}!:*()-]{0,12}", v in 0usize..64) {
        let mut rt = rt_with_limit(1 << 22);
        let x = value(&mut rt, v);
        let _ = format_spec(&rt, x, &spec);
        let fmt = rt.new_str(spec.clone()).unwrap();
        let _ = percent_format(&mut rt, fmt, x);
        let _ = str_format(&mut rt, &spec, &[x, x], &[("a", x)]);
    }

    #[test]
    fn number_parsing_never_panics(s in "[ \\t+\\-_0-9a-zA-Z.éx١]{0,24}", base in 0u32..40) {
        let _ = int_from_str(&s, base);
        let _ = float_from_str(&s);
    }
}
