//! Unit tests for the operators; expected results were produced by CPython 3.11.7.

use crate::bytecode::BINARY_OPS;
use crate::vm::format::repr;
use crate::vm::ops::*;
use crate::vm::testutil::{lit, rt, rt_with_limit};

use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

/// Renders a result as Python would print it: the value's repr, or `Kind: message`.
pub(crate) fn show(rt: &Rt, r: PyResult<Value>) -> String {
    match r {
        Ok(v) => repr(rt, v).unwrap(),
        Err(e) => throw_text(rt, e),
    }
}

pub(crate) fn throw_text(rt: &Rt, e: Throw) -> String {
    match e {
        Throw::New { kind, msg } => format!("{}: {msg}", kind.name()),
        Throw::NewArgs { kind, args } => {
            let parts: Vec<String> = args.iter().map(|&a| repr(rt, a).unwrap()).collect();
            format!("{}: {}", kind.name(), parts.join(", "))
        }
        Throw::Obj(_) => "exception object".into(),
        Throw::Limit => "work limit".into(),
        Throw::Accessor(_) | Throw::Slow | Throw::Operator => "attribute step".into(),
    }
}

fn check(what: &str, got: String, expected: &str) {
    assert_eq!(got, expected, "for {what}");
}

#[test]
fn binary_ops_match_python() {
    let cases = [
        ("1", "+", "2", "3"),
        ("1", "+", "2.5", "3.5"),
        ("True", "+", "True", "2"),
        ("9223372036854775807", "+", "1", "9223372036854775808"),
        ("-9223372036854775807", "-", "2", "-9223372036854775809"),
        ("3037000500", "*", "3037000500", "9223372037000250000"),
        ("7", "//", "2", "3"),
        ("-7", "//", "2", "-4"),
        ("7", "//", "-2", "-4"),
        ("-7", "%", "3", "2"),
        ("7", "%", "-3", "-2"),
        ("-7.5", "%", "2", "0.5"),
        ("7.5", "//", "-2", "-4.0"),
        ("1", "/", "3", "0.3333333333333333"),
        ("10", "/", "5", "2.0"),
        ("9007199254740993", "/", "1", "9007199254740992.0"),
        ("-9223372036854775807", "/", "3", "-3.0744573456182584e+18"),
        ("2", "**", "10", "1024"),
        ("2", "**", "63", "9223372036854775808"),
        ("2", "**", "-2", "0.25"),
        ("(-2)", "**", "3", "-8"),
        ("0", "**", "0", "1"),
        ("2.0", "**", "0.5", "1.4142135623730951"),
        (
            "0",
            "**",
            "-1",
            "ZeroDivisionError: 0.0 cannot be raised to a negative power",
        ),
        ("1", "<<", "62", "4611686018427387904"),
        ("1", "<<", "63", "9223372036854775808"),
        ("-1", "<<", "63", "-9223372036854775808"),
        ("3", ">>", "100", "0"),
        ("-3", ">>", "100", "-1"),
        ("5", "&", "3", "1"),
        ("True", "&", "False", "False"),
        ("True", "|", "2", "3"),
        ("6", "^", "3", "5"),
        (
            "1",
            "//",
            "0",
            "ZeroDivisionError: integer division or modulo by zero",
        ),
        ("1", "%", "0", "ZeroDivisionError: integer modulo by zero"),
        ("1", "/", "0", "ZeroDivisionError: division by zero"),
        ("1.0", "/", "0", "ZeroDivisionError: float division by zero"),
        (
            "1.0",
            "//",
            "0.0",
            "ZeroDivisionError: float floor division by zero",
        ),
        ("1.0", "%", "0", "ZeroDivisionError: float modulo"),
        (
            "1",
            "@",
            "2",
            "TypeError: unsupported operand type(s) for @: 'int' and 'int'",
        ),
        ("'ab'", "+", "'cd'", "'abcd'"),
        (
            "'ab'",
            "+",
            "1",
            "TypeError: can only concatenate str (not \"int\") to str",
        ),
        ("'ab'", "*", "3", "'ababab'"),
        ("3", "*", "'ab'", "'ababab'"),
        ("'ab'", "*", "-1", "''"),
        ("'ab'", "*", "True", "'ab'"),
        ("[1]", "+", "[2, 3]", "[1, 2, 3]"),
        (
            "[1]",
            "+",
            "(2,)",
            "TypeError: can only concatenate list (not \"tuple\") to list",
        ),
        ("(1,)", "+", "(2,)", "(1, 2)"),
        (
            "(1,)",
            "+",
            "[2]",
            "TypeError: can only concatenate tuple (not \"list\") to tuple",
        ),
        ("[0]", "*", "3", "[0, 0, 0]"),
        ("2", "*", "[1, 2]", "[1, 2, 1, 2]"),
        (
            "[1]",
            "*",
            "2.0",
            "TypeError: can't multiply sequence by non-int of type 'float'",
        ),
        (
            "'a'",
            "*",
            "'b'",
            "TypeError: can't multiply sequence by non-int of type 'str'",
        ),
        (
            "1",
            "+",
            "'a'",
            "TypeError: unsupported operand type(s) for +: 'int' and 'str'",
        ),
        (
            "None",
            "+",
            "1",
            "TypeError: unsupported operand type(s) for +: 'NoneType' and 'int'",
        ),
        ("{'a': 1}", "|", "{'b': 2}", "{'a': 1, 'b': 2}"),
        ("'%s and %r'", "%", "('x', 'y')", "\"x and 'y'\""),
        (
            "'%05.1f|%-4d|%x'",
            "%",
            "(3.14159, 7, 255)",
            "'003.1|7   |ff'",
        ),
        ("'%(n)s'", "%", "{'n': 5}", "'5'"),
        (
            "'%d'",
            "%",
            "'x'",
            "TypeError: %d format: a real number is required, not str",
        ),
        (
            "'%s %s'",
            "%",
            "(1,)",
            "TypeError: not enough arguments for format string",
        ),
        (
            "'a'",
            "%",
            "5",
            "TypeError: not all arguments converted during string formatting",
        ),
        ("-7.0", "//", "2", "-4.0"),
        ("0.1", "+", "0.2", "0.30000000000000004"),
        ("1e308", "*", "10", "inf"),
    ];
    for (a, op, b, expected) in cases {
        let mut rt = rt();
        let (x, y) = (lit(&mut rt, a), lit(&mut rt, b));
        let code = BINARY_OPS.iter().position(|&o| o == op).unwrap() as u32;
        let r = binary_op(&mut rt, code, x, y);
        check(&format!("{a} {op} {b}"), show(&rt, r), expected);
    }
}

#[test]
fn comparisons_match_python() {
    let cases = [
        ("1", "<", "2.5", "True"),
        ("2", "==", "2.0", "True"),
        ("True", "==", "1", "True"),
        ("9007199254740993", "==", "9007199254740992.0", "False"),
        ("9007199254740993", ">", "9007199254740992.0", "True"),
        (
            "9223372036854775807",
            "<",
            "9.223372036854775807e18",
            "True",
        ),
        ("'a'", "<", "'b'", "True"),
        ("'abc'", ">=", "'abd'", "False"),
        ("[1, 2]", "<", "[1, 3]", "True"),
        ("[1, 2]", "<", "[1, 2, 0]", "True"),
        ("(1, 'a')", "<", "(1, 'b')", "True"),
        ("[1, 2]", "==", "[1, 2.0]", "True"),
        ("{'a': 1}", "==", "{'a': 1.0}", "True"),
        ("{'a': 1}", "!=", "{'a': 2}", "True"),
        (
            "1",
            "<",
            "'x'",
            "TypeError: '<' not supported between instances of 'int' and 'str'",
        ),
        (
            "[1]",
            "<",
            "'x'",
            "TypeError: '<' not supported between instances of 'list' and 'str'",
        ),
        (
            "[1, 2]",
            "<",
            "[1, 'a']",
            "TypeError: '<' not supported between instances of 'int' and 'str'",
        ),
        ("None", "==", "None", "True"),
        (
            "None",
            "<",
            "None",
            "TypeError: '<' not supported between instances of 'NoneType' and 'NoneType'",
        ),
        ("nan", "==", "nan", "False"),
        ("nan", "<", "1", "False"),
        ("1", "<=", "nan", "False"),
        ("(1,)", "==", "[1]", "False"),
        ("range(0, 3)", "==", "range(0, 3, 1)", "True"),
        ("range(0)", "==", "range(5, 2)", "True"),
        (
            "{}",
            "<",
            "{}",
            "TypeError: '<' not supported between instances of 'dict' and 'dict'",
        ),
    ];
    for (a, op, b, expected) in cases {
        let mut rt = rt();
        let (x, y) = (lit(&mut rt, a), lit(&mut rt, b));
        let code = ["<", "<=", "==", "!=", ">", ">="]
            .iter()
            .position(|&o| o == op)
            .unwrap() as u32;
        let r = compare(&mut rt, code, x, y);
        check(&format!("{a} {op} {b}"), show(&rt, r), expected);
    }
}

#[test]
fn subscripts_match_python() {
    let cases = [
        ("[1, 2, 3]", "0", "1"),
        ("[1, 2, 3]", "-1", "3"),
        ("[1, 2, 3]", "3", "IndexError: list index out of range"),
        ("[1, 2, 3]", "-4", "IndexError: list index out of range"),
        ("[1, 2, 3]", "True", "2"),
        ("(1, 2)", "5", "IndexError: tuple index out of range"),
        ("'abc'", "1", "'b'"),
        ("'abc'", "-1", "'c'"),
        ("'abc'", "3", "IndexError: string index out of range"),
        ("'héllo'", "1", "'é'"),
        ("'héllo'", "slice(1, None, None)", "'éllo'"),
        ("'abcdef'", "slice(None, None, -2)", "'fdb'"),
        ("'abcdef'", "slice(-100, 100, None)", "'abcdef'"),
        ("[0, 1, 2, 3, 4, 5]", "slice(4, 1, -1)", "[4, 3, 2]"),
        ("[0, 1, 2, 3, 4, 5]", "slice(None, None, 3)", "[0, 3]"),
        ("(0, 1, 2, 3)", "slice(1, 3, None)", "(1, 2)"),
        (
            "[1, 2]",
            "slice(None, None, 0)",
            "ValueError: slice step cannot be zero",
        ),
        (
            "[1, 2]",
            "slice('a', None, None)",
            "TypeError: slice indices must be integers or None or have an __index__ method",
        ),
        (
            "[1, 2]",
            "slice(-9223372036854775807, 9223372036854775807, None)",
            "[1, 2]",
        ),
        (
            "[1]",
            "'x'",
            "TypeError: list indices must be integers or slices, not str",
        ),
        (
            "(1,)",
            "'x'",
            "TypeError: tuple indices must be integers or slices, not str",
        ),
        (
            "'a'",
            "'x'",
            "TypeError: string indices must be integers, not 'str'",
        ),
        (
            "[1]",
            "1.0",
            "TypeError: list indices must be integers or slices, not float",
        ),
        ("{'a': 1}", "'a'", "1"),
        ("{'a': 1}", "'b'", "KeyError: 'b'"),
        ("{1: 'x'}", "1.0", "'x'"),
        ("{1: 'x'}", "True", "'x'"),
        ("{(1, 2): 'x'}", "(1, 2)", "'x'"),
        ("{}", "[]", "TypeError: unhashable type: 'list'"),
        ("range(0, 10, 2)", "3", "6"),
        ("range(0, 10, 2)", "-1", "8"),
        (
            "range(0, 10, 2)",
            "5",
            "IndexError: range object index out of range",
        ),
        ("range(0, 10, 2)", "slice(1, None, None)", "range(2, 10, 2)"),
        (
            "range(10, 0, -3)",
            "slice(None, None, -1)",
            "range(1, 13, 3)",
        ),
        (
            "range(0, 3)",
            "'x'",
            "TypeError: range indices must be integers or slices, not str",
        ),
        ("5", "0", "TypeError: 'int' object is not subscriptable"),
        (
            "None",
            "0",
            "TypeError: 'NoneType' object is not subscriptable",
        ),
    ];
    for (c, i, expected) in cases {
        let mut rt = rt();
        let (x, y) = (lit(&mut rt, c), lit(&mut rt, i));
        let r = getitem(&mut rt, x, y);
        check(&format!("{c}[{i}]"), show(&rt, r), expected);
    }
}

#[test]
fn membership_matches_python() {
    let cases = [
        ("'b'", "'abc'", "True"),
        ("''", "'abc'", "True"),
        (
            "1",
            "'abc'",
            "TypeError: 'in <string>' requires string as left operand, not int",
        ),
        ("2", "[1, 2]", "True"),
        ("2.0", "[1, 2]", "True"),
        ("'a'", "{'a': 1}", "True"),
        ("[]", "{'a': 1}", "TypeError: unhashable type: 'list'"),
        ("4", "range(0, 10, 2)", "True"),
        ("5", "range(0, 10, 2)", "False"),
        ("4.0", "range(0, 10, 2)", "True"),
        ("-3", "range(0, -10, -3)", "True"),
        (
            "1",
            "5",
            "TypeError: argument of type 'int' is not iterable",
        ),
        ("(1, 2)", "[(1, 2)]", "True"),
    ];
    for (item, c, expected) in cases {
        let mut rt = rt();
        let (x, y) = (lit(&mut rt, item), lit(&mut rt, c));
        let r = contains(&mut rt, y, x).map(Value::Bool);
        check(&format!("{item} in {c}"), show(&rt, r), expected);
    }
}

/// Runs `f` on a container literal and shows the container afterwards (or the error).
fn mutate(src: &str, f: impl FnOnce(&mut Rt, Value) -> PyResult<()>) -> String {
    let mut rt = rt();
    let c = lit(&mut rt, src);
    match f(&mut rt, c) {
        Ok(()) => show(&rt, Ok(c)),
        Err(e) => throw_text(&rt, e),
    }
}

#[test]
fn item_assignment_and_deletion_match_python() {
    let set = |src: &str, i: &str, v: &str| {
        let (i, v) = (i.to_string(), v.to_string());
        mutate(src, move |rt, c| {
            let (i, v) = (lit(rt, &i), lit(rt, &v));
            setitem(rt, c, i, v)
        })
    };
    let del = |src: &str, i: &str| {
        let i = i.to_string();
        mutate(src, move |rt, c| {
            let i = lit(rt, &i);
            delitem(rt, c, i)
        })
    };
    let cases = [
        (set("[1, 2, 3]", "-1", "9"), "[1, 2, 9]"),
        (
            set("[1]", "2", "9"),
            "IndexError: list assignment index out of range",
        ),
        (
            set("[0, 1, 2, 3]", "slice(1, 3)", "['a', 'b', 'c']"),
            "[0, 'a', 'b', 'c', 3]",
        ),
        (set("[0, 1, 2, 3]", "slice(1, 3)", "()"), "[0, 3]"),
        (set("[0, 1, 2, 3]", "slice(3, 1)", "[9]"), "[0, 1, 2, 9, 3]"),
        (
            set("[0, 1, 2, 3]", "slice(None, None, 2)", "'xy'"),
            "['x', 1, 'y', 3]",
        ),
        (
            set("[0, 1, 2]", "slice(None, None, 2)", "[1]"),
            "ValueError: attempt to assign sequence of size 1 to extended slice of size 2",
        ),
        (
            set("[0, 1, 2]", "slice(0, 1)", "5"),
            "TypeError: can only assign an iterable",
        ),
        (
            set("[0, 1, 2]", "slice(None, None, 2)", "5"),
            "TypeError: must assign iterable to extended slice",
        ),
        (set("{'a': 1}", "'a'", "2"), "{'a': 2}"),
        (set("{'a': 1}", "1.0", "2"), "{'a': 1, 1.0: 2}"),
        (set("{1: 'x'}", "True", "'y'"), "{1: 'y'}"),
        (set("{}", "[1]", "2"), "TypeError: unhashable type: 'list'"),
        (
            set("(1, 2)", "0", "5"),
            "TypeError: 'tuple' object does not support item assignment",
        ),
        (
            set("'ab'", "0", "'x'"),
            "TypeError: 'str' object does not support item assignment",
        ),
        (del("[1, 2, 3]", "0"), "[2, 3]"),
        (
            del("[1, 2, 3]", "5"),
            "IndexError: list assignment index out of range",
        ),
        (del("[0, 1, 2, 3, 4, 5]", "slice(1, 3)"), "[0, 3, 4, 5]"),
        (
            del("[0, 1, 2, 3, 4, 5]", "slice(None, None, 2)"),
            "[1, 3, 5]",
        ),
        (
            del("[0, 1, 2, 3, 4, 5]", "slice(None, None, -2)"),
            "[0, 2, 4]",
        ),
        (del("{'a': 1, 'b': 2}", "'a'"), "{'b': 2}"),
        (del("{'a': 1}", "'x'"), "KeyError: 'x'"),
        (
            del("(1, 2)", "0"),
            "TypeError: 'tuple' object doesn't support item deletion",
        ),
    ];
    for (got, expected) in cases {
        assert_eq!(got, expected);
    }
}

#[test]
fn unpacking_and_iteration_match_python() {
    let mut rt = rt();
    let cases = [
        ("[1, 2]", 2, "[1, 2]"),
        (
            "(1, 2, 3)",
            2,
            "ValueError: too many values to unpack (expected 2)",
        ),
        (
            "[1, 2]",
            3,
            "ValueError: not enough values to unpack (expected 3, got 2)",
        ),
        ("'ab'", 2, "['a', 'b']"),
        ("{'k': 1, 'j': 2}", 2, "['k', 'j']"),
        ("range(3)", 3, "[0, 1, 2]"),
        ("5", 2, "TypeError: cannot unpack non-iterable int object"),
    ];
    for (src, n, expected) in cases {
        let v = lit(&mut rt, src);
        let r = unpack(&mut rt, v, n).and_then(|items| rt.new_list(items));
        assert_eq!(show(&rt, r), expected, "unpack {src}");
    }
    let v = lit(&mut rt, "[1, 2, 3, 4]");
    let r = unpack_ex(&mut rt, v, 1, 1).and_then(|items| rt.new_list(items));
    assert_eq!(show(&rt, r), "[1, [2, 3], 4]");
    let v = lit(&mut rt, "[1]");
    let r = unpack_ex(&mut rt, v, 1, 1).and_then(|items| rt.new_list(items));
    assert_eq!(
        show(&rt, r),
        "ValueError: not enough values to unpack (expected at least 2, got 1)"
    );
    for (src, expected) in [
        ("range(10, 0, -3)", "[10, 7, 4, 1]"),
        ("'héllo'", "['h', 'é', 'l', 'l', 'o']"),
        ("(1, (2,))", "[1, (2,)]"),
    ] {
        let v = lit(&mut rt, src);
        let r = collect_iterable(&mut rt, v).and_then(|items| rt.new_list(items));
        assert_eq!(show(&rt, r), expected);
        let r = reversed_iter(&mut rt, v)
            .and_then(|it| collect_iterable(&mut rt, it))
            .and_then(|mut items| {
                items.reverse();
                rt.new_list(items)
            });
        assert_eq!(show(&rt, r), expected, "reversed {src}");
    }
    let r = get_iter(&mut rt, Value::Int(5));
    assert_eq!(show(&rt, r), "TypeError: 'int' object is not iterable");
}

#[test]
fn dict_iteration_detects_size_change() {
    let mut rt = rt();
    let d = lit(&mut rt, "{'a': 1}");
    let it = get_iter(&mut rt, d).unwrap();
    let first = iter_next(&mut rt, it).map(|o| o.unwrap_or(Value::None));
    assert_eq!(show(&rt, first), "'a'");
    let k = lit(&mut rt, "'b'");
    setitem(&mut rt, d, k, Value::Int(2)).unwrap();
    let r = iter_next(&mut rt, it).map(|o| o.unwrap_or(Value::None));
    assert_eq!(
        show(&rt, r),
        "RuntimeError: dictionary changed size during iteration"
    );
}

#[test]
fn huge_results_raise_memory_error_before_allocating() {
    let mut rt = rt_with_limit(1 << 20);
    for (a, op, b) in [
        ("'x'", 5, "10000000000"),
        ("[0]", 5, "1000000000"),
        ("10000000000", 5, "(1, 2)"),
    ] {
        let (x, y) = (lit(&mut rt, a), lit(&mut rt, b));
        assert_eq!(
            binary_op(&mut rt, op, x, y).unwrap_err(),
            Throw::memory(),
            "{a} * {b}"
        );
    }
    let r = lit(&mut rt, "range(1000000000)");
    assert_eq!(collect_iterable(&mut rt, r).unwrap_err(), Throw::memory());
    let l = lit(&mut rt, "[]");
    let big = lit(&mut rt, "range(100000000)");
    assert_eq!(
        binary_op(&mut rt, 13, l, big).unwrap_err(),
        Throw::memory(),
        "list += huge range"
    );
}

#[test]
fn identity_hash_and_truth_follow_python() {
    let mut rt = rt();
    let one = [Value::Int(1), Value::Float(1.0), Value::Bool(true)];
    let keys: Vec<_> = one.iter().map(|&v| hash_key(&rt, v).unwrap()).collect();
    assert!(keys.iter().all(|k| *k == keys[0]));
    let t1 = lit(&mut rt, "(1, 'a', (2.0,))");
    let t2 = lit(&mut rt, "(1.0, 'a', (2,))");
    assert_eq!(hash_key(&rt, t1).unwrap(), hash_key(&rt, t2).unwrap());
    assert!(eq(&rt, t1, t2).unwrap());
    assert!(!is(t1, t2));
    assert!(is(t1, t1));
    assert!(is(Value::None, Value::None));
    assert!(!is(Value::Int(1), Value::Bool(true)));
    let l = lit(&mut rt, "(1, [2])");
    assert_eq!(
        throw_text(&rt, hash_key(&rt, l).unwrap_err()),
        "TypeError: unhashable type: 'list'"
    );
    for (src, t) in [
        ("0", false),
        ("0.0", false),
        ("''", false),
        ("'a'", true),
        ("[]", false),
        ("[0]", true),
        ("{}", false),
        ("range(0)", false),
        ("range(5, 0, -1)", true),
        ("None", false),
        ("-1", true),
    ] {
        let v = lit(&mut rt, src);
        assert_eq!(truthy(&rt, v), t, "bool({src})");
    }
    let v = lit(&mut rt, "'x'");
    for (op, expected) in [
        (
            UnaryKind::Neg,
            "TypeError: bad operand type for unary -: 'str'",
        ),
        (UnaryKind::Not, "False"),
    ] {
        let r = unary(&mut rt, op, v);
        assert_eq!(show(&rt, r), expected);
    }
    let r = unary(&mut rt, UnaryKind::Neg, Value::Int(i64::MIN));
    assert_eq!(show(&rt, r), "9223372036854775808");
    let r = unary(&mut rt, UnaryKind::Invert, Value::Bool(true));
    assert_eq!(show(&rt, r), "-2");
}

#[test]
fn deep_nesting_raises_recursion_error_not_a_crash() {
    let mut rt = rt();
    let mut a = lit(&mut rt, "[]");
    let mut b = lit(&mut rt, "[]");
    for _ in 0..100_000 {
        a = rt.new_list(vec![a]).unwrap();
        b = rt.new_list(vec![b]).unwrap();
    }
    let r = compare(&mut rt, 2, a, b);
    assert!(show(&rt, r).starts_with("RecursionError: maximum recursion depth exceeded"));
    let r = compare(&mut rt, 0, a, b);
    assert!(show(&rt, r).starts_with("RecursionError"));
    let t = rt.new_tuple(vec![a]).unwrap();
    assert!(repr(&rt, t).is_err());
    let mut h = Value::Int(0);
    for _ in 0..100_000 {
        h = rt.new_tuple(vec![h]).unwrap();
    }
    assert!(hash_key(&rt, h).is_err());
}

#[test]
fn float_power_overflow_carries_errno_args() {
    let mut rt = rt();
    let r = binary_op(&mut rt, 8, Value::Float(10.0), Value::Int(400));
    assert_eq!(
        show(&rt, r),
        "OverflowError: 34, 'Numerical result out of range'"
    );
}
