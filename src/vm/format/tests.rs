//! Unit tests for repr/str and the format mini-language; expectations from CPython 3.11.7.

use crate::vm::exceptions::ExcKind;
use crate::vm::format::*;
use crate::vm::heap::{ExcObj, Obj};
use crate::vm::ops::tests::{show, throw_text};
use crate::vm::testutil::{lit, rt};
use crate::vm::value::Value;

#[test]
fn reprs_match_python() {
    let cases = [
        ("1.0", "1.0"),
        ("0.1", "0.1"),
        ("1e16", "1e+16"),
        ("1e15", "1000000000000000.0"),
        ("1e-05", "1e-05"),
        ("0.0001", "0.0001"),
        ("-0.0", "-0.0"),
        ("1.5e300", "1.5e+300"),
        ("123456789.123", "123456789.123"),
        ("5e-324", "5e-324"),
        ("2.5e-07", "2.5e-07"),
        ("1e22", "1e+22"),
        ("[1, 'a', (2,), ()]", "[1, 'a', (2,), ()]"),
        ("(1,)", "(1,)"),
        ("{'a': [None, True, False]}", "{'a': [None, True, False]}"),
        ("'it\\'s'", "\"it's\""),
        ("'say \"hi\"'", "'say \"hi\"'"),
        ("'both \\' and \"'", "'both \\' and \"'"),
        ("'tab\\there\\n'", "'tab\\there\\n'"),
        ("'\\x00\\x7f\\xe9'", "'\\x00\\x7fé'"),
        ("range(0, 5)", "range(0, 5)"),
        ("range(0, 10, 2)", "range(0, 10, 2)"),
        ("slice(1, None, None)", "slice(1, None, None)"),
        ("-9223372036854775807", "-9223372036854775807"),
    ];
    let mut rt = rt();
    for (src, expected) in cases {
        let v = lit(&mut rt, src);
        assert_eq!(repr(&rt, v).unwrap(), expected, "repr({src})");
    }
}

#[test]
fn format_specs_match_python() {
    let cases = [
        ("1234567", ",", "1,234,567"),
        ("1234567", "_", "1_234_567"),
        ("1234", "08,", "0,001,234"),
        ("1234", "09,", "0,001,234"),
        ("-1234", "08,", "-001,234"),
        ("255", "#x", "0xff"),
        ("255", "#010b", "0b11111111"),
        ("255", "X", "FF"),
        ("-255", "#x", "-0xff"),
        ("65", "c", "A"),
        ("5", "+", "+5"),
        ("5", " ", " 5"),
        ("-5", "=+8", "-      5"),
        ("5", "*^7", "***5***"),
        ("5", "<5", "5    "),
        ("3.14159", ".2f", "3.14"),
        ("3.14159", "10.3f", "     3.142"),
        ("-3.14159", "+.1f", "-3.1"),
        ("1234.5", ",.2f", "1,234.50"),
        ("1234.5", "010,.1f", "0,001,234.5"),
        ("1.5", "e", "1.500000e+00"),
        ("123.456", ".2e", "1.23e+02"),
        ("0.00001234", "g", "1.234e-05"),
        ("123456789.0", "g", "1.23457e+08"),
        ("123.0", "#g", "123.000"),
        ("100.0", ".2", "1e+02"),
        ("1.0", ".3", "1.0"),
        ("1e16", ".17", "1e+16"),
        ("1.0", "n", "1"),
        ("0.5", ".1%", "50.0%"),
        ("0.25", "%", "25.000000%"),
        ("2.5", ".0f", "2"),
        ("1.5", ".0f", "2"),
        ("-0.0", "z.1f", "0.0"),
        ("-0.0", "", "-0.0"),
        ("inf", "f", "inf"),
        ("inf", "F", "INF"),
        ("nan", "+", "+nan"),
        ("inf", "010", "0000000inf"),
        ("1e16", ",", "1e+16"),
        ("1.5", ">10", "       1.5"),
        ("12345.678", "_.2f", "12_345.68"),
        ("3", ".2f", "3.00"),
        ("3", "%", "300.000000%"),
        ("7", "e", "7.000000e+00"),
        ("'abc'", "x<6", "abcxxx"),
        ("'abc'", "*^7", "**abc**"),
        ("'abc'", ">5.2", "   ab"),
        ("'abc'", ".0", ""),
        ("'abc'", "05", "abc00"),
        (
            "'abc'",
            "d",
            "ValueError: Unknown format code 'd' for object of type 'str'",
        ),
        (
            "'abc'",
            "+",
            "ValueError: Sign not allowed in string format specifier",
        ),
        (
            "'abc'",
            "=5",
            "ValueError: '=' alignment not allowed in string format specifier",
        ),
        ("'abc'", ",", "ValueError: Cannot specify ',' with 's'."),
        (
            "'abc'",
            "#",
            "ValueError: Alternate form (#) not allowed in string format specifier",
        ),
        ("True", "", "True"),
        ("True", ">6", "     1"),
        ("True", "d", "1"),
        (
            "True",
            "s",
            "ValueError: Unknown format code 's' for object of type 'bool'",
        ),
        ("None", "", "None"),
        (
            "None",
            ">5",
            "TypeError: unsupported format string passed to NoneType.__format__",
        ),
        (
            "1",
            "q",
            "ValueError: Unknown format code 'q' for object of type 'int'",
        ),
        (
            "1",
            ".2",
            "ValueError: Precision not allowed in integer format specifier",
        ),
        ("1", ",x", "ValueError: Cannot specify ',' with 'x'."),
        ("1", "_c", "ValueError: Cannot specify '_' with 'c'."),
        (
            "1.5",
            "d",
            "ValueError: Unknown format code 'd' for object of type 'float'",
        ),
        ("1", ",s", "ValueError: Cannot specify ',' with 's'."),
        (
            "1",
            "dd",
            "ValueError: Invalid format specifier 'dd' for object of type 'int'",
        ),
        ("1", ".", "ValueError: Format specifier missing precision"),
        ("1", ",,", "ValueError: Cannot specify ',' with ','."),
        ("1", ",_", "ValueError: Cannot specify both ',' and '_'."),
        ("[1]", "", "[1]"),
        (
            "[1]",
            ">5",
            "TypeError: unsupported format string passed to list.__format__",
        ),
    ];
    let mut rt = rt();
    for (src, spec, expected) in cases {
        let v = lit(&mut rt, src);
        let got = match format_spec(&rt, v, spec) {
            Ok(s) => s,
            Err(e) => throw_text(&rt, e),
        };
        assert_eq!(got, expected, "format({src}, {spec:?})");
    }
}

#[test]
fn str_of_and_special_reprs() {
    let mut rt = rt();
    let l = lit(&mut rt, "[1]");
    if let Obj::List(items) = rt.heap.get_mut(l.as_obj().unwrap()) {
        items.push(l);
    }
    assert_eq!(repr(&rt, l).unwrap(), "[1, [...]]");
    let d = lit(&mut rt, "{}");
    let k = lit(&mut rt, "'me'");
    crate::vm::ops::setitem(&mut rt, d, k, d).unwrap();
    assert_eq!(repr(&rt, d).unwrap(), "{'me': {...}}");
    let exc = |rt: &mut crate::vm::Rt, kind, args: &str| {
        let args = lit(rt, args);
        let args = crate::vm::ops::collect_iterable(rt, args).unwrap();
        rt.alloc(Obj::Exception(Box::new(ExcObj {
            kind,
            args: args.into(),
            traceback: Default::default(),
            cause: None,
            context: None,
            class: None,
            attrs: Default::default(),
        })))
        .unwrap()
    };
    for (kind, args, s, r) in [
        (ExcKind::ValueError, "('bad',)", "bad", "ValueError('bad')"),
        (ExcKind::ValueError, "()", "", "ValueError()"),
        (
            ExcKind::ValueError,
            "(1, 'x')",
            "(1, 'x')",
            "ValueError(1, 'x')",
        ),
        (ExcKind::KeyError, "('k',)", "'k'", "KeyError('k')"),
        (ExcKind::QueueEmpty, "()", "", "Empty()"),
    ] {
        let e = exc(&mut rt, kind, args);
        assert_eq!(str_of(&rt, e).unwrap(), s);
        assert_eq!(repr(&rt, e).unwrap(), r);
    }
    for (v, r) in [
        (
            Value::Native(crate::vm::natives::NativeId::Print),
            "<built-in function print>",
        ),
        (
            Value::Native(crate::vm::natives::NativeId::Int),
            "<class 'int'>",
        ),
        (Value::ExcType(ExcKind::ValueError), "<class 'ValueError'>"),
        (
            Value::ExcType(ExcKind::QueueEmpty),
            "<class '_queue.Empty'>",
        ),
        (
            Value::Module(crate::vm::natives::ModuleId::Threading),
            "<module 'threading'>",
        ),
    ] {
        assert_eq!(repr(&rt, v).unwrap(), r);
    }
}

#[test]
fn str_format_and_percent_match_python() {
    let mut rt = rt();
    let cases: [(&str, &str, &str); 12] = [
        ("'{} and {}'", "(1, 'x')", "'1 and x'"),
        ("'{1}{0}{1}'", "('a', 'b')", "'bab'"),
        ("'{:>5}|{:<4}|{:^5}'", "(1, 'ab', 'c')", "'    1|ab  |  c  '"),
        ("'{:.2f}'", "(3.14159,)", "'3.14'"),
        ("'{!r}'", "('a',)", "\"'a'\""),
        ("'{0[1]}'", "([1, 2],)", "'2'"),
        ("'{{}}{}'", "(5,)", "'{}5'"),
        ("'{:{}}|'", "(1, 5)", "'    1|'"),
        ("'{} {}'", "(1,)", "IndexError: Replacement index 1 out of range for positional args tuple"),
        ("'{0} {}'", "(1, 2)", "ValueError: cannot switch from manual field specification to automatic field numbering"),
        ("'}'", "()", "ValueError: Single '}' encountered in format string"),
        ("'{0'", "(1,)", "ValueError: expected '}' before end of string"),
    ];
    for (fmt, args, expected) in cases {
        let f = lit(&mut rt, fmt);
        let f = rt.as_str(f).unwrap().to_string();
        let a = lit(&mut rt, args);
        let a = crate::vm::ops::collect_iterable(&mut rt, a).unwrap();
        let r = str_format(&mut rt, &f, &a, &[]).and_then(|s| rt.new_str(s));
        assert_eq!(show(&rt, r), expected, "{fmt}.format{args}");
    }
    let f = lit(&mut rt, "'{x}-{y:03d}'");
    let f = rt.as_str(f).unwrap().to_string();
    let r = str_format(
        &mut rt,
        &f,
        &[],
        &[("x", Value::Int(1)), ("y", Value::Int(2))],
    );
    assert_eq!(r.unwrap(), "1-002");
    let r = str_format(&mut rt, "{z}", &[], &[]).and_then(|s| rt.new_str(s));
    assert_eq!(show(&rt, r), "KeyError: 'z'");
    for (fmt, args, expected) in [
        (
            "'%5s|%-5s|%05d|%+d|%x|%#x|%#o|%.2f|%e|%g|%c|%r|%%'",
            "('a', 'b', -42, 5, 255, 255, 8, 3.14159, 1234.5, 0.00001, 65, 'q')",
            "\"    a|b    |-0042|+5|ff|0xff|0o10|3.14|1.234500e+03|1e-05|A|'q'|%\"",
        ),
        ("'%d'", "3.9", "'3'"),
        ("'%(a)s-%(b)05d'", "{'a': 1, 'b': 2}", "'1-00002'"),
        ("'%(c)s'", "{'a': 1}", "KeyError: 'c'"),
        (
            "'%x'",
            "3.5",
            "TypeError: %x format: an integer is required, not float",
        ),
        ("'%s'", "[1, 2]", "'[1, 2]'"),
        (
            "'%s %s'",
            "[1, 2]",
            "TypeError: not enough arguments for format string",
        ),
        ("'%'", "5", "ValueError: incomplete format"),
        ("'%.3d'", "5", "'005'"),
        ("'%*d'", "(5, 3)", "'    3'"),
        (
            "'%q'",
            "1",
            "ValueError: unsupported format character 'q' (0x71) at index 1",
        ),
    ] {
        let (f, a) = (lit(&mut rt, fmt), lit(&mut rt, args));
        let r = crate::vm::ops::binary_op(&mut rt, 6, f, a);
        assert_eq!(show(&rt, r), expected, "{fmt} % {args}");
    }
}

#[test]
fn format_value_applies_conversion_then_spec() {
    let mut rt = rt();
    let s = lit(&mut rt, "'ab'");
    for (conv, spec, expected) in [
        (None, "", "ab"),
        (Some('r'), "", "'ab'"),
        (Some('r'), ">6", "  'ab'"),
        (Some('s'), "^6", "  ab  "),
        (None, "x<4", "abxx"),
    ] {
        assert_eq!(format_value(&mut rt, s, conv, spec).unwrap(), expected);
    }
    assert_eq!(
        format_value(&mut rt, Value::Float(0.1), None, "").unwrap(),
        "0.1"
    );
    assert_eq!(
        format_value(&mut rt, Value::Int(1234), None, ",").unwrap(),
        "1,234"
    );
}

#[test]
fn percent_with_a_list_or_dict_argument_ignores_extra_arguments() {
    let mut rt = rt();
    for (fmt, args, expected) in [
        ("'abc'", "[1, 2]", "'abc'"),
        ("'%s'", "[1, 2]", "'[1, 2]'"),
        ("'x'", "{'a': 1}", "'x'"),
        (
            "'x'",
            "'s'",
            "TypeError: not all arguments converted during string formatting",
        ),
        (
            "'%(a)s'",
            "[1]",
            "TypeError: list indices must be integers or slices, not str",
        ),
    ] {
        let (f, a) = (lit(&mut rt, fmt), lit(&mut rt, args));
        let r = crate::vm::ops::binary_op(&mut rt, 6, f, a);
        assert_eq!(show(&rt, r), expected, "{fmt} % {args}");
    }
}

#[test]
fn a_repr_prefix_is_the_start_of_the_repr() {
    let mut rt = rt();
    let long = "x".repeat(200);
    let cases = [
        "1".to_string(),
        "'short'".to_string(),
        format!("'{long}'"),
        format!("'it\\'s {long}'"),
        format!("'both \\' and \" {long}'"),
        format!("'\\t\\x00é {long}'"),
        format!("[1, '{long}', 3]"),
        format!("({long:?}, 2)"),
        format!("({long:?},)"),
        format!("{{'a': [{long:?}], 'b': 2}}"),
        format!("[{}]", vec!["123456"; 100].join(", ")),
        format!(
            "{{{}}}",
            (0..50)
                .map(|i| format!("{i}: {i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "[[], (), {}, (1,), range(0, 3)]".to_string(),
    ];
    for src in cases {
        let v = lit(&mut rt, &src);
        let full = repr(&rt, v).expect("repr");
        for max in [0, 1, 10, 61] {
            let p = repr_prefix(&rt, v, max).expect("prefix");
            let n = max.min(full.chars().count());
            let want: String = full.chars().take(n).collect();
            assert!(
                p.starts_with(&want),
                "{src}: prefix {max}: {p:?} vs {full:?}"
            );
        }
        // What a trace shows (`Vm::value_text`) is the same from the prefix as from the repr.
        let brief = |s: &str| {
            if s.chars().count() > 60 {
                s.chars().take(57).collect::<String>() + "..."
            } else {
                s.to_string()
            }
        };
        let p = repr_prefix(&rt, v, 61).expect("prefix");
        assert_eq!(brief(&p), brief(&full), "{src}");
    }
    // A cycle is cut as repr cuts it.
    let l = lit(&mut rt, "[1]");
    if let (Value::Obj(id), Obj::List(_)) = (l, rt.heap.get(l.as_obj().expect("list"))) {
        if let Obj::List(v) = rt.heap.get_mut(id) {
            v.push(l);
        }
    }
    assert_eq!(repr_prefix(&rt, l, 61).expect("prefix"), "[1, [...]]");
}

/// `plain_str_repr` is `repr` of the strs it takes, to the capacity (the heap charges a
/// string by its capacity), and leaves the others (escapes, both quotes, non-ASCII) to it.
#[test]
fn plain_str_repr_is_repr() {
    let mut rt = rt();
    let mut taken = 0;
    for s in [
        "",
        "a",
        "n42",
        "it's",
        "say \"hi\"",
        "both ' and \"",
        "back\\slash",
        "tab\there",
        "é",
        "\x7f",
        "exactly6",
        "a longer string of words",
        "~!@#$%^&*()_+`-=[]{}|;:,./<>?",
    ] {
        let v = rt.new_str(s).unwrap();
        let slow = repr(&rt, v).unwrap();
        match plain_str_repr(s) {
            Some(fast) => {
                taken += 1;
                assert_eq!(fast, slow);
                assert_eq!(fast.capacity(), slow.capacity(), "{s:?}");
            }
            None => assert!(
                s.contains(['\\', '\t', 'é', '\x7f']) || (s.contains('"') && s.contains('\''))
            ),
        }
    }
    assert_eq!(taken, 8);
}
