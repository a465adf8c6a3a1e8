//! Unit tests for the built-in functions; expectations from CPython 3.11.7.

use crate::vm::builtins::*;
use crate::vm::natives::NativeId;
use crate::vm::ops::collect_iterable;
use crate::vm::ops::tests::show;
use crate::vm::testutil::{lit, rt};
use crate::vm::value::Value;
use crate::vm::Rt;

/// Calls built-in `name` with a tuple literal of positional arguments and a dict literal of
/// keyword arguments, and shows the result as Python would.
fn call(rt: &mut Rt, name: &str, args: &str, kwargs: &str) -> String {
    let id = NativeId::from_str(name).unwrap();
    let a = lit(rt, args);
    let a = collect_iterable(rt, a).unwrap();
    let kw = lit(rt, kwargs);
    let kw = collect_iterable(rt, kw).unwrap();
    let names: Vec<String> = kw
        .iter()
        .map(|&k| rt.as_str(k).unwrap().to_string())
        .collect();
    let d = lit(rt, kwargs);
    let values: Vec<Value> = names
        .iter()
        .map(|n| {
            let k = rt.new_str(n.as_str()).unwrap();
            crate::vm::ops::getitem(rt, d, k).unwrap()
        })
        .collect();
    let kwargs: Vec<(&str, Value)> = names.iter().map(|n| n.as_str()).zip(values).collect();
    let r = call_builtin(rt, id, &a, &kwargs);
    show(rt, r)
}

#[test]
fn builtins_match_python() {
    let cases = [
        ("len", "('abc',)", "{}", "3"),
        ("len", "([1, 2],)", "{}", "2"),
        ("len", "(5,)", "{}", "TypeError: object of type 'int' has no len()"),
        ("len", "()", "{}", "TypeError: len() takes exactly one argument (0 given)"),
        ("len", "(1, 2)", "{}", "TypeError: len() takes exactly one argument (2 given)"),
        ("len", "({'a': 1},)", "{}", "1"),
        ("len", "(range(0, 10, 3),)", "{}", "4"),
        ("str", "()", "{}", "''"),
        ("str", "(1.5,)", "{}", "'1.5'"),
        ("str", "([1, 'a'],)", "{}", "\"[1, 'a']\""),
        ("str", "(1, 2)", "{}", "TypeError: str() argument 'encoding' must be str, not int"),
        ("int", "()", "{}", "0"),
        ("int", "('  -12_3 ',)", "{}", "-123"),
        ("int", "('1__2',)", "{}", "ValueError: invalid literal for int() with base 10: '1__2'"),
        ("int", "('_1',)", "{}", "ValueError: invalid literal for int() with base 10: '_1'"),
        ("int", "('0b101', 0)", "{}", "5"),
        ("int", "('010', 0)", "{}", "ValueError: invalid literal for int() with base 0: '010'"),
        ("int", "('00', 0)", "{}", "0"),
        ("int", "('ff', 16)", "{}", "255"),
        ("int", "('0xff', 16)", "{}", "255"),
        ("int", "('z', 36)", "{}", "35"),
        ("int", "('12',)", "{'base': 3}", "5"),
        ("int", "(5, 10)", "{}", "TypeError: int() can't convert non-string with explicit base"),
        ("int", "('12', 1)", "{}", "ValueError: int() base must be >= 2 and <= 36, or 0"),
        ("int", "(3.99,)", "{}", "3"),
        ("int", "(-3.99,)", "{}", "-3"),
        ("int", "(True,)", "{}", "1"),
        ("int", "(nan,)", "{}", "ValueError: cannot convert float NaN to integer"),
        ("int", "(inf,)", "{}", "OverflowError: cannot convert float infinity to integer"),
        ("int", "('x',)", "{}", "ValueError: invalid literal for int() with base 10: 'x'"),
        ("int", "('',)", "{}", "ValueError: invalid literal for int() with base 10: ''"),
        ("int", "('-',)", "{}", "ValueError: invalid literal for int() with base 10: '-'"),
        ("int", "([],)", "{}", "TypeError: int() argument must be a string, a bytes-like object or a real number, not 'list'"),
        ("int", "('99999999999999999999',)", "{}", "99999999999999999999"),
        ("int", "('9223372036854775807',)", "{}", "9223372036854775807"),
        ("int", "('-9223372036854775808',)", "{}", "-9223372036854775808"),
        ("float", "()", "{}", "0.0"),
        ("float", "('1_000.5',)", "{}", "1000.5"),
        ("float", "(' -Infinity ',)", "{}", "-inf"),
        ("float", "('1e500',)", "{}", "inf"),
        ("float", "('0x10',)", "{}", "ValueError: could not convert string to float: '0x10'"),
        ("float", "('1__0',)", "{}", "ValueError: could not convert string to float: '1__0'"),
        ("float", "('',)", "{}", "ValueError: could not convert string to float: ''"),
        ("float", "(True,)", "{}", "1.0"),
        ("float", "(' 3.25 ',)", "{}", "3.25"),
        ("float", "('.5',)", "{}", "0.5"),
        ("float", "('5.',)", "{}", "5.0"),
        ("float", "([],)", "{}", "TypeError: float() argument must be a string or a real number, not 'list'"),
        ("bool", "()", "{}", "False"),
        ("bool", "([],)", "{}", "False"),
        ("bool", "('x',)", "{}", "True"),
        ("list", "('ab',)", "{}", "['a', 'b']"),
        ("list", "(range(3),)", "{}", "[0, 1, 2]"),
        ("list", "(1, 2)", "{}", "TypeError: list expected at most 1 argument, got 2"),
        ("list", "(5,)", "{}", "TypeError: 'int' object is not iterable"),
        ("tuple", "([1],)", "{}", "(1,)"),
        ("tuple", "({'a': 1, 'b': 2},)", "{}", "('a', 'b')"),
        ("dict", "()", "{}", "{}"),
        ("dict", "()", "{'a': 1, 'b': 2}", "{'a': 1, 'b': 2}"),
        ("dict", "({1: 2},)", "{'c': 3}", "{1: 2, 'c': 3}"),
        ("dict", "([(1, 2), ['k', 'v']],)", "{}", "{1: 2, 'k': 'v'}"),
        ("dict", "([1],)", "{}", "TypeError: cannot convert dictionary update sequence element #0 to a sequence"),
        ("dict", "([(1, 2, 3)],)", "{}", "ValueError: dictionary update sequence element #0 has length 3; 2 is required"),
        ("dict", "(1,)", "{}", "TypeError: 'int' object is not iterable"),
        ("sum", "([1, 2, 3],)", "{}", "6"),
        ("sum", "([1, 2],)", "{'start': 10}", "13"),
        ("sum", "([1.5, 2],)", "{}", "3.5"),
        ("sum", "([[1], [2]], [])", "{}", "[1, 2]"),
        ("sum", "([1], 'a')", "{}", "TypeError: sum() can't sum strings [use ''.join(seq) instead]"),
        ("sum", "(['a', 'b'],)", "{}", "TypeError: unsupported operand type(s) for +: 'int' and 'str'"),
        ("sum", "()", "{}", "TypeError: sum() takes at least 1 positional argument (0 given)"),
        ("sum", "([9223372036854775807, 1],)", "{}", "9223372036854775808"),
        ("min", "([3, 1, 2],)", "{}", "1"),
        ("max", "('abc',)", "{}", "'c'"),
        ("max", "([1, 2],)", "{'default': 0}", "2"),
        ("min", "([],)", "{'default': None}", "None"),
        ("max", "(1, 2, 3)", "{}", "3"),
        ("max", "([1, 2],)", "{'key': None}", "2"),
        ("max", "([],)", "{}", "ValueError: max() arg is an empty sequence"),
        ("min", "()", "{}", "TypeError: min expected at least 1 argument, got 0"),
        ("min", "(1,)", "{}", "TypeError: 'int' object is not iterable"),
        ("max", "(1, 2)", "{'default': 3}", "TypeError: Cannot specify a default for max() with multiple positional arguments"),
        ("max", "([1, 'a'],)", "{}", "TypeError: '>' not supported between instances of 'str' and 'int'"),
        ("max", "(1,)", "{'foo': 1}", "TypeError: 'foo' is an invalid keyword argument for max()"),
        ("min", "([1, 1.0],)", "{}", "1"),
        ("max", "([1, 1.0],)", "{}", "1"),
        ("abs", "(-5,)", "{}", "5"),
        ("abs", "(True,)", "{}", "1"),
        ("abs", "(-2.5,)", "{}", "2.5"),
        ("abs", "('x',)", "{}", "TypeError: bad operand type for abs(): 'str'"),
        ("abs", "(-9223372036854775807,)", "{}", "9223372036854775807"),
        ("sorted", "([3, 1, 2],)", "{}", "[1, 2, 3]"),
        ("sorted", "([3, 1, 2],)", "{'reverse': True}", "[3, 2, 1]"),
        ("sorted", "('bca',)", "{}", "['a', 'b', 'c']"),
        ("sorted", "([1, 'a'],)", "{}", "TypeError: '<' not supported between instances of 'str' and 'int'"),
        ("sorted", "(5,)", "{}", "TypeError: 'int' object is not iterable"),
        ("sorted", "([(1, 'b'), (0, 'z'), (1, 'a')],)", "{}", "[(0, 'z'), (1, 'a'), (1, 'b')]"),
        ("sorted", "([2.5, 1, True, -3.5],)", "{}", "[-3.5, 1, True, 2.5]"),
        ("sorted", "([3, 1],)", "{'foo': 1}", "TypeError: 'foo' is an invalid keyword argument for sort()"),
        ("sorted", "()", "{}", "TypeError: sorted expected 1 argument, got 0"),
        ("all", "([],)", "{}", "True"),
        ("all", "([1, 0],)", "{}", "False"),
        ("any", "([0, None],)", "{}", "False"),
        ("any", "([0, 'x'],)", "{}", "True"),
        ("isinstance", "(True, int)", "{}", "True"),
        ("isinstance", "(1, bool)", "{}", "False"),
        ("isinstance", "(1, (str, (int,)))", "{}", "True"),
        ("isinstance", "('a', str)", "{}", "True"),
        ("isinstance", "(1.0, int)", "{}", "False"),
        ("isinstance", "([], list)", "{}", "True"),
        ("isinstance", "({}, dict)", "{}", "True"),
        ("isinstance", "((), tuple)", "{}", "True"),
        ("isinstance", "(None, int)", "{}", "False"),
        ("isinstance", "(1, 5)", "{}", "TypeError: isinstance() arg 2 must be a type, a tuple of types, or a union"),
        ("isinstance", "(1,)", "{}", "TypeError: isinstance expected 2 arguments, got 1"),
        ("repr", "('a',)", "{}", "\"'a'\""),
        ("repr", "([1, 'b'],)", "{}", "\"[1, 'b']\""),
        ("round", "(2.5,)", "{}", "2"),
        ("round", "(3.5,)", "{}", "4"),
        ("round", "(-0.5,)", "{}", "0"),
        ("round", "(2.675, 2)", "{}", "2.67"),
        ("round", "(1234, -2)", "{}", "1200"),
        ("round", "(1250, -2)", "{}", "1200"),
        ("round", "(1350, -2)", "{}", "1400"),
        ("round", "(-1250, -2)", "{}", "-1200"),
        ("round", "(1234.5, -2)", "{}", "1200.0"),
        ("round", "(5, None)", "{}", "5"),
        ("round", "(inf,)", "{}", "OverflowError: cannot convert float infinity to integer"),
        ("round", "(nan,)", "{}", "ValueError: cannot convert float NaN to integer"),
        ("round", "(7.0, 0)", "{}", "7.0"),
        ("round", "(1.5, 'x')", "{}", "TypeError: 'str' object cannot be interpreted as an integer"),
        ("round", "('x',)", "{}", "TypeError: type str doesn't define __round__ method"),
        ("round", "(0.125, 2)", "{}", "0.12"),
        ("round", "(-1.5,)", "{}", "-2"),
        ("divmod", "(-7, 2)", "{}", "(-4, 1)"),
        ("divmod", "(7.5, 2)", "{}", "(3.0, 1.5)"),
        ("divmod", "(1, 0)", "{}", "ZeroDivisionError: integer division or modulo by zero"),
        ("divmod", "(1.0, 0)", "{}", "ZeroDivisionError: float divmod()"),
        ("divmod", "('a', 1)", "{}", "TypeError: unsupported operand type(s) for divmod(): 'str' and 'int'"),
        ("divmod", "(1,)", "{}", "TypeError: divmod expected 2 arguments, got 1"),
        ("pow", "(2, 10)", "{}", "1024"),
        ("pow", "(2, 3, 5)", "{}", "3"),
        ("pow", "(2.0, 3, 5)", "{}", "TypeError: pow() 3rd argument not allowed unless all arguments are integers"),
        ("pow", "(3, -1, 7)", "{}", "5"),
        ("pow", "(2, -1, 4)", "{}", "ValueError: base is not invertible for the given modulus"),
        ("pow", "(2, 3, 0)", "{}", "ValueError: pow() 3rd argument cannot be 0"),
        ("pow", "(-2, 3, 5)", "{}", "2"),
        ("pow", "(2, 3, -5)", "{}", "-2"),
        ("pow", "(2, -2)", "{}", "0.25"),
        ("chr", "(65,)", "{}", "'A'"),
        ("chr", "(233,)", "{}", "'é'"),
        ("chr", "(-1,)", "{}", "ValueError: chr() arg not in range(0x110000)"),
        ("chr", "(1114112,)", "{}", "ValueError: chr() arg not in range(0x110000)"),
        ("chr", "('a',)", "{}", "TypeError: 'str' object cannot be interpreted as an integer"),
        ("ord", "('é',)", "{}", "233"),
        ("ord", "('ab',)", "{}", "TypeError: ord() expected a character, but string of length 2 found"),
        ("ord", "(5,)", "{}", "TypeError: ord() expected string of length 1, but int found"),
        ("hash", "(-1,)", "{}", "-2"),
        ("hash", "(1.5,)", "{}", "1152921504606846977"),
        ("hash", "((1, 2),)", "{}", "-3550055125485641917"),
        ("hash", "(2305843009213693951,)", "{}", "0"),
        ("hash", "(inf,)", "{}", "314159"),
        ("hash", "(1.0,)", "{}", "1"),
        ("hash", "(True,)", "{}", "1"),
        ("hash", "([1],)", "{}", "TypeError: unhashable type: 'list'"),
        ("hash", "(0.1,)", "{}", "230584300921369408"),
        ("hash", "(-2.5e-10,)", "{}", "-699647011998930896"),
        ("hash", "((),)", "{}", "5740354900026072187"),
        ("callable", "(len,)", "{}", "True"),
        ("callable", "(1,)", "{}", "False"),
        ("range", "()", "{}", "TypeError: range expected at least 1 argument, got 0"),
        ("range", "(1, 2, 3, 4)", "{}", "TypeError: range expected at most 3 arguments, got 4"),
        ("range", "(1, 2, 0)", "{}", "ValueError: range() arg 3 must not be zero"),
        ("range", "('a',)", "{}", "TypeError: 'str' object cannot be interpreted as an integer"),
        ("range", "(1.5,)", "{}", "TypeError: 'float' object cannot be interpreted as an integer"),
        ("range", "(10,)", "{}", "range(0, 10)"),
        ("range", "(1, 10, 2)", "{}", "range(1, 10, 2)"),
        ("next", "([],)", "{}", "TypeError: 'list' object is not an iterator"),
        ("iter", "(5,)", "{}", "TypeError: 'int' object is not iterable"),
        ("enumerate", "()", "{}", "TypeError: enumerate() missing required argument 'iterable'"),
        ("reversed", "()", "{}", "TypeError: reversed expected 1 argument, got 0"),
        ("print", "(1,)", "{'sep': 5}", "TypeError: sep must be None or a string, not int"),
        ("print", "(1,)", "{'foo': 2}", "TypeError: 'foo' is an invalid keyword argument for print()"),
    ];
    let mut rt = rt();
    for (name, args, kwargs, expected) in cases {
        let got = call(&mut rt, name, args, kwargs);
        assert_eq!(got, expected, "{name}(*{args}, **{kwargs})");
    }
}

#[test]
fn print_writes_sep_and_end() {
    let (mut rt, out) = crate::vm::testutil::rt_capture();
    call(&mut rt, "print", "(1, 'a', [2.5], None)", "{}");
    call(&mut rt, "print", "(1, 2)", "{'sep': '-', 'end': '!'}");
    call(
        &mut rt,
        "print",
        "()",
        "{'sep': None, 'end': None, 'file': None}",
    );
    assert_eq!(out.text(), "1 a [2.5] None\n1-2!\n");
    assert!(call(&mut rt, "print", "(1,)", "{'file': 5}").starts_with("TypeError: print(file=...)"));
}

#[test]
fn random_is_seeded_and_in_range() {
    let mut rt = rt();
    let draws = |rt: &mut Rt| {
        call(rt, "seed", "(42,)", "{}");
        (0..20)
            .map(|_| call(rt, "randint", "(1, 6)", "{}"))
            .collect::<Vec<_>>()
    };
    let a = draws(&mut rt);
    let b = draws(&mut rt);
    assert_eq!(a, b);
    assert!(a
        .iter()
        .all(|d| ["1", "2", "3", "4", "5", "6"].contains(&d.as_str())));
    for (name, args, expected) in [
        (
            "randint",
            "(5, 4)",
            "ValueError: empty range for randrange() (5, 5, 0)",
        ),
        (
            "randrange",
            "(0,)",
            "ValueError: empty range for randrange()",
        ),
        (
            "randrange",
            "(1, 10, 0)",
            "ValueError: zero step for randrange()",
        ),
        (
            "randrange",
            "(1.5,)",
            "ValueError: non-integer arg 1 for randrange()",
        ),
        (
            "choice",
            "([],)",
            "IndexError: Cannot choose from an empty sequence",
        ),
        (
            "choice",
            "(5,)",
            "TypeError: object of type 'int' has no len()",
        ),
        (
            "shuffle",
            "((1, 2),)",
            "TypeError: 'tuple' object does not support item assignment",
        ),
        (
            "random",
            "(1,)",
            "TypeError: Random.random() takes no arguments (1 given)",
        ),
        (
            "uniform",
            "(1,)",
            "TypeError: Random.uniform() missing 1 required positional argument: 'b'",
        ),
        ("choice", "([7],)", "7"),
        ("randrange", "(5, 6)", "5"),
    ] {
        assert_eq!(
            call(&mut rt, name, args, "{}"),
            expected,
            "random.{name}{args}"
        );
    }
    for _ in 0..20 {
        let got = call(&mut rt, "randrange", "(10, 0, -5)", "{}");
        assert!(got == "10" || got == "5", "{got}");
    }
    let f = call(&mut rt, "random", "()", "{}");
    let f: f64 = f.parse().unwrap();
    assert!((0.0..1.0).contains(&f));
    let l = lit(&mut rt, "[1, 2, 3, 4, 5]");
    call_builtin(&mut rt, NativeId::Shuffle, &[l], &[]).unwrap();
    let mut items = collect_iterable(&mut rt, l).unwrap();
    sort_values(&rt, &mut items, false).unwrap();
    let sorted = rt.new_list(items).unwrap();
    assert_eq!(show(&rt, Ok(sorted)), "[1, 2, 3, 4, 5]");
}

#[test]
fn sorting_is_stable_and_keys_sort_items() {
    let mut rt = rt();
    let v = lit(&mut rt, "[(1, 'b'), (0, 'z'), (1, 'a'), (0, 'y')]");
    let mut items = collect_iterable(&mut rt, v).unwrap();
    let keys: Vec<Value> = items
        .iter()
        .map(|&t| crate::vm::ops::getitem(&mut rt, t, Value::Int(0)).unwrap())
        .collect();
    sort_with_keys(&rt, &mut items, keys.clone(), false).unwrap();
    let l = rt.new_list(items.clone()).unwrap();
    assert_eq!(show(&rt, Ok(l)), "[(0, 'z'), (0, 'y'), (1, 'b'), (1, 'a')]");
    let mut items = collect_iterable(&mut rt, v).unwrap();
    sort_with_keys(&rt, &mut items, keys.clone(), true).unwrap();
    let l = rt.new_list(items).unwrap();
    assert_eq!(show(&rt, Ok(l)), "[(1, 'b'), (1, 'a'), (0, 'z'), (0, 'y')]");
    assert_eq!(extreme_index(&mut rt, &keys, true).unwrap(), Some(0));
    assert_eq!(extreme_index(&mut rt, &keys, false).unwrap(), Some(1));
    assert_eq!(extreme_index(&mut rt, &[], false).unwrap(), None);
    let big = lit(
        &mut rt,
        "[5, 'x', 3, 2.5, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]",
    );
    let mut items = collect_iterable(&mut rt, big).unwrap();
    let err = sort_values(&rt, &mut items, false).unwrap_err();
    assert!(matches!(err, crate::vm::Throw::New { .. }));
    let floats = lit(
        &mut rt,
        "[3.5, nan, 1.0, 2, nan, 0.5, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]",
    );
    let mut items = collect_iterable(&mut rt, floats).unwrap();
    sort_values(&rt, &mut items, false).unwrap();
}

#[test]
fn sort_total_takes_only_keys_with_a_total_order() {
    use super::sort_total::sort_total;
    let mut rt = rt();
    let mut check = |src: &str, taken: bool, want: &str| {
        let v = lit(&mut rt, src);
        let mut items = collect_iterable(&mut rt, v).unwrap();
        let keys = items.clone();
        assert_eq!(sort_total(&rt, &mut items, &keys, false), taken, "{src}");
        if taken {
            let l = rt.new_list(items).unwrap();
            assert_eq!(show(&rt, Ok(l)), want, "{src}");
        } else {
            // Left as it was, for the general sort.
            let same = items
                .iter()
                .zip(&keys)
                .all(|(a, b)| crate::vm::ops::is(*a, *b));
            assert!(same, "{src}");
        }
    };
    check("['b', 'a', 'c']", true, "['a', 'b', 'c']");
    check("[2.5, True, 2, -1]", true, "[-1, True, 2, 2.5]");
    check(
        "[('b', 1), ('a', 2.5), ('b', 0), ('a',)]",
        true,
        "[('a',), ('a', 2.5), ('b', 0), ('b', 1)]",
    );
    check("[(1, 'a'), ()]", true, "[(), (1, 'a')]");
    check("['a', 1]", false, "");
    check("[(1, 'a'), (2, 3)]", false, "");
    check("[(1, 'a'), 2]", false, "");
    check("[1.0, nan]", false, "");
    check("[((1,), 2), ((0,), 1)]", false, "");
    check("[[1], [0]]", false, "");
    check("[None, None]", false, "");
}
