//! Issue 21 (branch `ld3`): built-in method calls on exact containers without the general
//! method machinery (`vm::methfast`: `d.get(k)`, `lst.append(x)`, `LOAD_METHOD` on a list,
//! dict, str, tuple or set), item stores made from one look-up (`vm::subscr`), `str + str`,
//! and, as the oracle for what was measured and left alone, big-int arithmetic and string
//! building that must not change a string another name still holds. What a user sees
//! must be CPython's: each program under `tests/ld3/` is compared with `python3` (skipped,
//! and said so, without it), and key lines are checked without it too. Under threads the
//! fast paths must show every detector the same events as the slow path (`--races` runs
//! keep every method call there).

mod common;

use common::{
    cpython_full, gilvm_full, root, run_file, same_full_as_cpython, same_reports_as_slow_path,
    same_run_as_slow_path,
};

/// Runs `tests/ld3/NAME.toy`, checks it exits 0 and prints every line of `must`, then that
/// it prints what CPython prints. Returns the output.
fn same_as_cpython(name: &str, must: &[&str]) -> String {
    let path = root().join(format!("tests/ld3/{name}.toy"));
    let (out, err, code) = gilvm_full(&path);
    assert_eq!(code, Some(0), "{out}{err}");
    for m in must {
        assert!(
            out.lines().any(|l| l == *m),
            "{name}: no line {m:?} in\n{out}"
        );
    }
    if let Some((py_out, py_err, py_code)) = cpython_full(&path) {
        assert_eq!(py_code, Some(0), "{py_err}");
        assert_eq!(out, py_out, "{name}: gilvm and python3 differ");
    }
    out
}

#[test]
fn dict_get_list_append_and_in_print_as_cpython() {
    same_as_cpython(
        "methods",
        &[
            "{'a': 3, 'bb': 2, 'ccc': 1, 'é': 2}",
            "None 5 3 2",
            "TypeError unhashable type: 'list'",
            "TypeError unhashable type: 'dict'",
            "TypeError unhashable type: 'set'",
            "TypeError get expected at least 1 argument, got 0",
            "TypeError get expected at most 2 arguments, got 3",
            "TypeError list.append() takes exactly one argument (0 given)",
            "TypeError list.append() takes exactly one argument (2 given)",
            "t n f fs no",
            "b nb",
            "AttributeError 'dict' object has no attribute 'nope'",
            "AttributeError 'list' object has no attribute 'nope'",
            "[-5, 't', -1, 1, 3]",
            "{1: 'TF', 'k': 'vwww', 'new': 0, -7: -14}",
            "{'b': 13, 3: 4, 'c': 30, 'a': 11} {'b': 14, 3: 4}",
            "{'0': 'xxxxxxxxxx', '1': 'xxxxxxxxxx', '2': 'xxxxxxxxxx', 3: 97, 2: 68, 1: 56}",
        ],
    );
}

#[test]
fn dict_get_of_an_unhashable_key_shows_cpythons_traceback() {
    let path = root().join("tests/ld3/get_unhashable.toy");
    let (out, err, code) = gilvm_full(&path);
    assert_eq!(code, Some(1), "{out}{err}");
    assert_eq!(out, "1\n0\n");
    assert!(
        err.ends_with(
            "    print(d.get([k]))\n          ^^^^^^^^^^\nTypeError: unhashable type: 'list'\n"
        ),
        "{err}"
    );
    same_full_as_cpython(&path, &(out, err, code), "");
}

#[test]
fn big_times_small_ints_print_as_cpython() {
    let out = same_as_cpython(
        "bigint",
        &[
            "55340232221128654845 -55340232221128654845 55340232221128654845 \
             55340232221128654845 -9223372036854775808 9223372036854775808 9223372036854775808",
            "0 True <class 'int'> 0 True",
        ],
    );
    // 300! has 615 digits and 74 trailing zeros.
    let first = out.lines().next().unwrap_or_default();
    assert_eq!(first.len(), 615, "{first}");
    assert!(
        first.starts_with("306057512216440636035370461297268629388588"),
        "{first}"
    );
    assert!(first.ends_with(&"0".repeat(74)), "{first}");
    assert!(out.contains("\n2000 "), "{out}");
}

#[test]
fn string_building_leaves_other_names_unchanged() {
    same_as_cpython(
        "strings",
        &[
            "401 401 401 400 abx abz aby bab",
            "babx abxhello 406",
            "abx x12 401 403",
            "xxy xxz 71 71",
        ],
    );
}

#[test]
fn threaded_method_calls_run_as_on_the_slow_path() {
    let path = root().join("tests/ld3/threads.toy");
    let mut lost = 0;
    same_run_as_slow_path(&path, |plain, counts| {
        assert!(
            plain
                .stdout
                .starts_with("9 27 ['0', '1', '2', '3', '4', 'a', 'b', 'c', 'd']\n"),
            "{plain}"
        );
        lost += counts.contains("counts[") as u32;
    });
    // Most of the 15 runs lose updates of `counts[w]` through `counts.get(w, 0)`: the
    // comparison above covered the lost-update detector's reads of `d.get`.
    assert!(lost >= 5, "{lost}");
    // The reports themselves, word for word, against the slow path.
    same_reports_as_slow_path(&path);
}

#[test]
fn same_seed_same_output() {
    let path = root().join("tests/ld3/threads.toy");
    let a = run_file(&path, 9, &["--switch-interval", "5"]);
    let b = run_file(&path, 9, &["--switch-interval", "5"]);
    assert_eq!(a.code, 0, "{a}");
    assert_eq!((a.stdout, a.stderr), (b.stdout, b.stderr));
}
