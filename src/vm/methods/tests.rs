//! Unit tests for str/list/tuple/dict methods; expectations from CPython 3.11.7.

use crate::vm::methods::*;
use crate::vm::natives::AttrSym;
use crate::vm::ops::collect_iterable;
use crate::vm::ops::tests::show;
use crate::vm::testutil::{lit, rt};
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt};

/// Calls `recv.meth(*args, **kwargs)` from literals; returns the receiver and the result.
fn call(rt: &mut Rt, recv: &str, meth: &str, args: &str, kwargs: &str) -> (Value, PyResult<Value>) {
    let r = lit(rt, recv);
    let a = lit(rt, args);
    let a = collect_iterable(rt, a).unwrap();
    let d = lit(rt, kwargs);
    let names: Vec<String> = collect_iterable(rt, d)
        .unwrap()
        .iter()
        .map(|&k| rt.as_str(k).unwrap().to_string())
        .collect();
    let values: Vec<Value> = names
        .iter()
        .map(|n| {
            let k = rt.new_str(n.as_str()).unwrap();
            crate::vm::ops::getitem(rt, d, k).unwrap()
        })
        .collect();
    let kwargs: Vec<(&str, Value)> = names.iter().map(|n| n.as_str()).zip(values).collect();
    let attr = AttrSym::from_str(meth).unwrap();
    let Some(m) = lookup_method(rt, r, attr) else {
        return (r, Err(no_attribute(rt, r, meth)));
    };
    let res = call_method(rt, m, r, &a, &kwargs);
    (r, res)
}

#[test]
fn methods_match_python() {
    let cases = [
        (
            "[]",
            "append",
            "()",
            "{}",
            "TypeError: list.append() takes exactly one argument (0 given)",
        ),
        (
            "[]",
            "append",
            "()",
            "{'x': 1}",
            "TypeError: list.append() takes no keyword arguments",
        ),
        (
            "[]",
            "pop",
            "(1, 2)",
            "{}",
            "TypeError: pop expected at most 1 argument, got 2",
        ),
        (
            "[]",
            "insert",
            "(1,)",
            "{}",
            "TypeError: insert expected 2 arguments, got 1",
        ),
        (
            "[1]",
            "index",
            "('a',)",
            "{}",
            "ValueError: 'a' is not in list",
        ),
        (
            "[1]",
            "index",
            "(1, 'x')",
            "{}",
            "TypeError: slice indices must be integers or have an __index__ method",
        ),
        (
            "[1, 2]",
            "sort",
            "(1,)",
            "{}",
            "TypeError: sort() takes no positional arguments",
        ),
        (
            "[1]",
            "count",
            "()",
            "{}",
            "TypeError: list.count() takes exactly one argument (0 given)",
        ),
        (
            "'a'",
            "replace",
            "('a',)",
            "{}",
            "TypeError: replace expected at least 2 arguments, got 1",
        ),
        (
            "'a'",
            "upper",
            "(1,)",
            "{}",
            "TypeError: str.upper() takes no arguments (1 given)",
        ),
        (
            "'a'",
            "split",
            "(1,)",
            "{}",
            "TypeError: must be str or None, not int",
        ),
        (
            "'a'",
            "split",
            "(',', 'x')",
            "{}",
            "TypeError: 'str' object cannot be interpreted as an integer",
        ),
        (
            "'a'",
            "strip",
            "(1,)",
            "{}",
            "TypeError: strip arg must be None or str",
        ),
        (
            "{}",
            "get",
            "()",
            "{}",
            "TypeError: get expected at least 1 argument, got 0",
        ),
        (
            "{}",
            "pop",
            "()",
            "{}",
            "TypeError: pop expected at least 1 argument, got 0",
        ),
        (
            "{}",
            "popitem",
            "()",
            "{}",
            "KeyError: 'popitem(): dictionary is empty'",
        ),
        (
            "{}",
            "update",
            "(1,)",
            "{}",
            "TypeError: 'int' object is not iterable",
        ),
        (
            "{}",
            "update",
            "([1],)",
            "{}",
            "TypeError: cannot convert dictionary update sequence element #0 to a sequence",
        ),
        (
            "{}",
            "setdefault",
            "()",
            "{}",
            "TypeError: setdefault expected at least 1 argument, got 0",
        ),
        (
            "'a'",
            "startswith",
            "()",
            "{}",
            "TypeError: startswith() takes at least 1 argument (0 given)",
        ),
        ("'a'", "startswith", "(('a', 1),)", "{}", "True"),
        (
            "'a'",
            "join",
            "()",
            "{}",
            "TypeError: str.join() takes exactly one argument (0 given)",
        ),
        ("' a b '", "split", "(None, 1)", "{}", "['a', 'b ']"),
        ("'a,b,,c'", "split", "(',', 1)", "{}", "['a', 'b,,c']"),
        ("'a,b,,c'", "split", "(',',)", "{}", "['a', 'b', '', 'c']"),
        ("'  a  b  '", "rsplit", "(None, 1)", "{}", "['  a', 'b']"),
        ("'a,b,c'", "rsplit", "(',', 1)", "{}", "['a,b', 'c']"),
        ("'abcabc'", "find", "('c', 3)", "{}", "5"),
        ("'abcabc'", "find", "('c', -2)", "{}", "5"),
        ("'abcabc'", "find", "('', 10)", "{}", "-1"),
        ("'abcabc'", "rfind", "('c',)", "{}", "5"),
        ("'héllo'", "find", "('l',)", "{}", "2"),
        ("'héllo'", "find", "('l', 3)", "{}", "3"),
        (
            "'abc'",
            "index",
            "('z',)",
            "{}",
            "ValueError: substring not found",
        ),
        ("'abcabc'", "count", "('',)", "{}", "7"),
        ("'aaaa'", "count", "('aa',)", "{}", "2"),
        ("'hello world'", "title", "()", "{}", "'Hello World'"),
        (
            "\"they're bill's\"",
            "title",
            "()",
            "{}",
            "\"They'Re Bill'S\"",
        ),
        ("'hELLO'", "capitalize", "()", "{}", "'Hello'"),
        ("'-42'", "zfill", "(6,)", "{}", "'-00042'"),
        ("'+4'", "zfill", "(4,)", "{}", "'+004'"),
        ("'abc'", "center", "(8, '*')", "{}", "'**abc***'"),
        ("'abc'", "center", "(6, '*')", "{}", "'*abc**'"),
        ("'ab'", "center", "(5,)", "{}", "'  ab '"),
        ("'ab'", "center", "(6,)", "{}", "'  ab  '"),
        (
            "'abc'",
            "ljust",
            "(5, 'xy')",
            "{}",
            "TypeError: The fill character must be exactly one character long",
        ),
        ("'abc'", "rjust", "(5,)", "{}", "'  abc'"),
        ("'a=b=c'", "partition", "('=',)", "{}", "('a', '=', 'b=c')"),
        ("'a=b=c'", "rpartition", "('=',)", "{}", "('a=b', '=', 'c')"),
        ("'abc'", "partition", "('x',)", "{}", "('abc', '', '')"),
        ("'abc'", "rpartition", "('x',)", "{}", "('', '', 'abc')"),
        (
            "'a\\nb\\r\\nc\\rd'",
            "splitlines",
            "()",
            "{}",
            "['a', 'b', 'c', 'd']",
        ),
        (
            "'a\\nb\\n'",
            "splitlines",
            "(True,)",
            "{}",
            "['a\\n', 'b\\n']",
        ),
        ("'23'", "isdigit", "()", "{}", "True"),
        ("''", "isdigit", "()", "{}", "False"),
        ("'abc'", "isalpha", "()", "{}", "True"),
        ("'ab1'", "isalnum", "()", "{}", "True"),
        ("' \\t'", "isspace", "()", "{}", "True"),
        ("'ABC1'", "isupper", "()", "{}", "True"),
        ("'abc1'", "islower", "()", "{}", "True"),
        ("'a'", "replace", "('', '-')", "{}", "'-a-'"),
        ("'aaa'", "replace", "('a', 'b', 2)", "{}", "'bba'"),
        ("'x'", "join", "(['a', 'b'],)", "{}", "'axb'"),
        (
            "''",
            "join",
            "([1],)",
            "{}",
            "TypeError: sequence item 0: expected str instance, int found",
        ),
        ("'abc'", "strip", "('ca',)", "{}", "'b'"),
        ("'xxaxx'", "lstrip", "('x',)", "{}", "'axx'"),
        ("'  a  '", "rstrip", "()", "{}", "'  a'"),
        ("'abc'", "endswith", "(('x', 'c'),)", "{}", "True"),
        ("'abc'", "startswith", "('b', 1)", "{}", "True"),
        ("'abc'", "startswith", "('c', 1, 2)", "{}", "False"),
        ("'{} {}'", "format", "(1, 2)", "{}", "'1 2'"),
        (
            "'{a}{b!r}'",
            "format",
            "()",
            "{'a': 1, 'b': 'x'}",
            "\"1'x'\"",
        ),
        ("[1, 2, 3]", "pop", "(-1,)", "{}", "3"),
        (
            "[1]",
            "pop",
            "(5,)",
            "{}",
            "IndexError: pop index out of range",
        ),
        ("[]", "pop", "()", "{}", "IndexError: pop from empty list"),
        (
            "[1]",
            "pop",
            "('x',)",
            "{}",
            "TypeError: 'str' object cannot be interpreted as an integer",
        ),
        (
            "[1, 2]",
            "remove",
            "(3,)",
            "{}",
            "ValueError: list.remove(x): x not in list",
        ),
        (
            "(1,)",
            "index",
            "(3,)",
            "{}",
            "ValueError: tuple.index(x): x not in tuple",
        ),
        ("(1, 2, 1)", "count", "(1,)", "{}", "2"),
        ("(1, 2, 1)", "index", "(1, 1)", "{}", "2"),
        ("{'a': 1}", "pop", "('b',)", "{}", "KeyError: 'b'"),
        ("{'a': 1}", "pop", "('b', 0)", "{}", "0"),
        ("{'a': 1}", "keys", "()", "{}", "dict_keys(['a'])"),
        ("{'a': 1}", "items", "()", "{}", "dict_items([('a', 1)])"),
        ("{'a': 1}", "values", "()", "{}", "dict_values([1])"),
        ("{'a': 1}", "get", "('a',)", "{}", "1"),
        ("{'a': 1}", "get", "('b',)", "{}", "None"),
        ("{'a': 1}", "get", "('b', 5)", "{}", "5"),
        (
            "{'a': 1}",
            "get",
            "([],)",
            "{}",
            "TypeError: unhashable type: 'list'",
        ),
        (
            "[3, 1, 2]",
            "sort",
            "()",
            "{'key': None, 'reverse': True}",
            "None",
        ),
        (
            "[]",
            "sort",
            "()",
            "{'foo': 1}",
            "TypeError: 'foo' is an invalid keyword argument for sort()",
        ),
        (
            "[]",
            "extend",
            "(5,)",
            "{}",
            "TypeError: 'int' object is not iterable",
        ),
        (
            "'a'",
            "find",
            "()",
            "{}",
            "TypeError: find() takes at least 1 argument (0 given)",
        ),
        (
            "'a'",
            "count",
            "()",
            "{}",
            "TypeError: count() takes at least 1 argument (0 given)",
        ),
        (
            "'ab'",
            "split",
            "('',)",
            "{}",
            "ValueError: empty separator",
        ),
        ("'ab'", "rsplit", "()", "{'sep': 'b'}", "['a', '']"),
        ("'a b'", "split", "()", "{'maxsplit': 0}", "['a b']"),
        ("'  a b'", "split", "()", "{'maxsplit': 1}", "['a', 'b']"),
        ("'a\\x1cb'", "split", "()", "{}", "['a', 'b']"),
        ("'abc'", "casefold", "()", "{}", "'abc'"),
        ("[]", "copy", "()", "{}", "[]"),
        ("{'a': 1}", "copy", "()", "{}", "{'a': 1}"),
        ("'abc'", "upper", "()", "{}", "'ABC'"),
        ("'ß'", "upper", "()", "{}", "'SS'"),
        ("'ab'", "removeprefix", "('a',)", "{}", "'b'"),
        ("'ab'", "removesuffix", "('x',)", "{}", "'ab'"),
        (
            "'a'",
            "find",
            "()",
            "{'sub': 'a'}",
            "TypeError: find() takes no keyword arguments",
        ),
        ("'AbC'", "swapcase", "()", "{}", "'aBc'"),
        ("'Ab'", "isupper", "()", "{}", "False"),
        (
            "'a'",
            "center",
            "('x',)",
            "{}",
            "TypeError: 'str' object cannot be interpreted as an integer",
        ),
        (
            "'abc'",
            "startswith",
            "(5,)",
            "{}",
            "TypeError: startswith first arg must be str or a tuple of str, not int",
        ),
        (
            "'x'",
            "replace",
            "(1, 'y')",
            "{}",
            "TypeError: replace() argument 1 must be str, not int",
        ),
    ];
    let mut rt = rt();
    for (recv, meth, args, kwargs, expected) in cases {
        let (_, r) = call(&mut rt, recv, meth, args, kwargs);
        assert_eq!(show(&rt, r), expected, "{recv}.{meth}(*{args}, **{kwargs})");
    }
}

#[test]
fn mutating_methods_match_python() {
    let cases = [
        ("[1, 2]", "append", "(3,)", "{}", "[1, 2, 3]"),
        ("[1, 2]", "extend", "((3, 4),)", "{}", "[1, 2, 3, 4]"),
        ("[1, 2]", "extend", "('ab',)", "{}", "[1, 2, 'a', 'b']"),
        ("[1, 2, 3]", "insert", "(1, 'x')", "{}", "[1, 'x', 2, 3]"),
        ("[1, 2, 3]", "insert", "(-1, 'x')", "{}", "[1, 2, 'x', 3]"),
        ("[1, 2, 3]", "insert", "(100, 'x')", "{}", "[1, 2, 3, 'x']"),
        ("[1, 2, 3]", "insert", "(-100, 'x')", "{}", "['x', 1, 2, 3]"),
        ("[1, 2, 1]", "remove", "(1,)", "{}", "[2, 1]"),
        ("[1, 2, 3]", "pop", "(0,)", "{}", "[2, 3]"),
        ("[3, 1, 2]", "sort", "()", "{}", "[1, 2, 3]"),
        ("[1, 2, 3]", "reverse", "()", "{}", "[3, 2, 1]"),
        ("[1, 2, 3]", "clear", "()", "{}", "[]"),
        (
            "{'a': 1}",
            "setdefault",
            "('b', 2)",
            "{}",
            "{'a': 1, 'b': 2}",
        ),
        ("{'a': 1}", "setdefault", "('a', 2)", "{}", "{'a': 1}"),
        (
            "{'a': 1}",
            "update",
            "({'b': 2, 'a': 3},)",
            "{}",
            "{'a': 3, 'b': 2}",
        ),
        (
            "{'a': 1}",
            "update",
            "([('c', 3)],)",
            "{'d': 4}",
            "{'a': 1, 'c': 3, 'd': 4}",
        ),
        ("{'a': 1, 'b': 2}", "pop", "('a',)", "{}", "{'b': 2}"),
        ("{'a': 1, 'b': 2}", "popitem", "()", "{}", "{'a': 1}"),
        ("{'a': 1}", "clear", "()", "{}", "{}"),
    ];
    let mut rt = rt();
    for (recv, meth, args, kwargs, expected) in cases {
        let (r, res) = call(&mut rt, recv, meth, args, kwargs);
        let got = show(&rt, res.map(|_| r));
        assert_eq!(got, expected, "{recv}.{meth}(*{args}, **{kwargs})");
    }
}

#[test]
fn unknown_attributes_and_growth_limits() {
    let mut rt = rt();
    let l = lit(&mut rt, "[]");
    assert!(lookup_method(&rt, l, AttrSym::upper).is_none());
    let e = no_attribute(&rt, l, "upper");
    assert_eq!(
        show(&rt, Err(e)),
        "AttributeError: 'list' object has no attribute 'upper'"
    );
    let m = Value::Module(crate::vm::natives::ModuleId::Threading);
    assert_eq!(
        show(&rt, Err(no_attribute(&rt, m, "x"))),
        "AttributeError: module 'threading' has no attribute 'x'"
    );
    let mut small = crate::vm::testutil::rt_with_limit(1 << 16);
    let l = lit(&mut small, "[]");
    let append = lookup_method(&small, l, AttrSym::append).unwrap();
    let mut failed = false;
    for i in 0..100_000 {
        if call_method(&mut small, append, l, &[Value::Int(i)], &[]).is_err() {
            failed = true;
            break;
        }
    }
    assert!(
        failed,
        "appending past the heap limit must raise MemoryError"
    );
}

#[test]
fn data_attributes() {
    let mut rt = rt();
    let cases = [
        (Value::Int(5), AttrSym::real, "5"),
        (Value::Bool(true), AttrSym::real, "1"),
        (Value::Float(2.5), AttrSym::imag, "0.0"),
        (
            Value::Native(crate::vm::natives::NativeId::Len),
            AttrSym::dunder_name,
            "'len'",
        ),
        (
            Value::ExcType(crate::vm::exceptions::ExcKind::QueueEmpty),
            AttrSym::dunder_name,
            "'Empty'",
        ),
    ];
    for (v, a, expected) in cases {
        let r = data_attr(&mut rt, v, a).unwrap();
        assert_eq!(show(&rt, r), expected);
    }
    assert!(data_attr(&mut rt, Value::Int(1), AttrSym::append).is_none());
}
