//! Issue 21, generators, exceptions and big integers (genexc2): `int(s)` of a plain decimal
//! string (`short_decimal`), the checked small path of `int(s, base)` and the hand-built
//! invalid-literal message, big-int arithmetic across collections, and the exceptions and
//! generators around them give what `python3` gives (skipped, said on stderr, without it).

mod common;

use common::{cpython, root, run_file, Out};

fn run(name: &str) -> (std::path::PathBuf, Out) {
    let path = root().join("tests/genexc2").join(name);
    let out = run_file(&path, 1, &["-q"]);
    (path, out)
}

/// Big-int arithmetic after collections have freed big ints: signs, zero, results small
/// again, `//`, `%`, `divmod`, `str` and `repr`.
#[test]
fn big_int_edge_cases_are_python_ints() {
    let (path, ours) = run("bigint.toy");
    assert_eq!(ours.code, 0, "{ours}");
    // 14 × the 4,115 digits of 1500!.
    assert!(ours.stdout.starts_with("57610\n"), "{ours}");
    assert!(ours.stdout.ends_with("True True 0\n"), "{ours}");
    let b = "1844674407370955161";
    assert!(
        ours.stdout.contains(&format!(
            "\n{b}6 1 [{b}7, {b}5, {b}6, {b}6, {b}6, 0, ({b}6, 0)]"
        )),
        "{ours}"
    );
    if let Some((out, _)) = cpython(&path) {
        assert_eq!(ours.stdout, out, "{ours}");
    }
}

/// `int(s)` and `int(s, base)` over signs, spaces, underscores, prefixes, other scripts'
/// digits, 18 and 19 digits, 18 digits in base 16 and 36 (past an i64: once a debug-build
/// overflow panic and a release-build wrong value), long literals and the error messages
/// (a repr cut to 200 characters).
#[test]
fn int_of_a_string_is_pythons() {
    let (path, ours) = run("intparse.toy");
    assert_eq!(ours.code, 0, "{ours}");
    assert!(
        ours.stdout
            .contains("'123456789012345678' 16 335812727624917341816\n"),
        "{ours}"
    );
    assert!(
        ours.stdout
            .contains("'x' None ValueError invalid literal for int() with base 10: 'x'\n"),
        "{ours}"
    );
    if let Some((out, _)) = cpython(&path) {
        assert_eq!(ours.stdout, out, "{ours}");
    }
}

/// Generators closed and thrown into, `__context__` and `__cause__`, `finally`, a re-raise,
/// `int()` errors caught in a loop, exceptions crossing generator frames and an uncaught one
/// raised through a generator: stdout and the traceback equal to `python3`'s.
#[test]
fn exceptions_across_generators_are_pythons() {
    let (path, ours) = run("excgen.toy");
    assert_eq!(ours.code, 1, "{ours}");
    assert!(
        ours.stdout.contains("exit seen\nclosed\nstop done\n"),
        "{ours}"
    );
    assert!(ours.stderr.ends_with("ValueError: deep 0\n"), "{ours}");
    if let Some((out, err)) = cpython(&path) {
        assert_eq!(ours.stdout, out, "{ours}");
        assert_eq!(ours.stderr, err, "{ours}");
    }
}
