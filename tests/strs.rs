//! Issue 21 (branch `strs`): string building — `%` formatting scanned as bytes, f-strings
//! and `BUILD_STRING` — compared with CPython, whose output these programs do not let the
//! schedule change.

mod common;

use common::{python3, root, run_file};
use std::process::Command;

/// Runs `tests/strs/NAME` under gilvm and checks it exits 0, prints `expect` somewhere, and
/// prints exactly what `python3` prints (skipped, visibly, without `python3`).
fn same_as_cpython(name: &str, expect: &[&str]) {
    let path = root().join("tests/strs").join(name);
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    for e in expect {
        assert!(ours.stdout.contains(e), "missing {e:?}\n{ours}");
    }
    if !python3() {
        eprintln!("python3 not found: the comparison with CPython is skipped");
        return;
    }
    let py = Command::new("python3")
        .arg(&path)
        .output()
        .expect("run python3");
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    assert_eq!(ours.stdout, String::from_utf8_lossy(&py.stdout), "{ours}");
}

#[test]
fn percent_formatting_prints_as_cpython() {
    same_as_cpython(
        "percent.toy",
        &[
            "héllo wörld, -42 ünïcode ✓ %\n",
            "   42|42   |00042|+42| 42\n",
            "ä and 3 and 'ä'\n",
            "Aé✓\n",
            "%d %d TypeError not enough arguments for format string\n",
            "%d TypeError not all arguments converted during string formatting\n",
            "éé%y ValueError unsupported format character 'y' (0x79) at index 3\n",
            "%(nope)s KeyError 'nope'\n",
        ],
    );
}

#[test]
fn fstrings_print_as_cpython() {
    same_as_cpython("fstrings.toy", &["0:     0|0-a0\n", "[é✓]\n"]);
}

/// `%` of a format longer than the stack buffer (64 bytes) and of a tuple longer than
/// eight items: the heap-allocated fallbacks of the same scanner.
#[test]
fn long_formats_and_many_arguments() {
    let n = 40;
    let fmt = "%d,é".repeat(n);
    let args: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    let src = format!(
        "s = {fmt:?} % ({},)\nprint(len(s), s[:20], s[-8:])\n",
        args.join(", ")
    );
    let out = common::run_with(&src, 1, &["-q"]);
    assert_eq!(out.code, 0, "{out}");
    let expect: String = (0..n).map(|i| format!("{i},é")).collect();
    let len = expect.chars().count();
    let tail: String = expect.chars().skip(len - 8).collect();
    let head: String = expect.chars().take(20).collect();
    assert_eq!(out.stdout, format!("{len} {head} {tail}\n"), "{out}");
}

#[test]
fn str_methods_and_format_print_as_cpython() {
    same_as_cpython(
        "methods.toy",
        &[
            "0|-7|-9223372036854775808|9223372036854775807\n",
            "a, é,  aébéc <ünïcode ünï\n",
        ],
    );
}
