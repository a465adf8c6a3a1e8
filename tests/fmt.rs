//! Issue 21 (branch `fmt`): the format specs answered on fast paths — a plain spec read as
//! bytes (`format::spec::parse_plain`), `{x:.2f}` of a float rounded exactly in integers
//! (`fixed_exact`), `{i:5d}`, and `{s!r}` of a plain str (`format::plain_str_repr`) —
//! compared with CPython: ties, negatives and negative zero, zero padding, widths smaller
//! than the value, nan and inf, grouping, and the error messages of the specs they leave to
//! the general parser; and `s.split()` of ASCII strs found by bytes, list `index`/`count` of
//! strs, checked calls (`if len(w) > 3:`) in the hot loop.

mod common;

use common::{python3, root, run_file};
use std::process::Command;

#[test]
fn format_specs_print_as_cpython() {
    let path = root().join("tests/fmt/specs.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    for e in [
        "\n-40 -2 -2.5 -2.50 -2.500 -2.5000\n",
        "\n2 0 0.1 0.12 0.125 0.1250\n",
        "\n-42   -42|-42|   -42|-42  |  -42  |-0042|-42|-42|-42|-42|  -42|-42|-42|-42|-42|***-42***|-     42|-2a|-0x2a|-0042.00|-42.0|-10_1010|-42.00|-0,000,042\n",
        "\n'n42'|               'n42'|       n42|n42   |   n42   |n4|n42|'n42'\n",
        "\nn2:     2 0.29 'n2'\n",
        "\nz.2f 2.5 2.50\n",
    ] {
        assert!(ours.stdout.contains(e), "missing {e:?}\n{ours}");
    }
    // `z` keeps `-inf` negative (it only turns a negative zero into a zero).
    assert!(ours.stdout.contains("| -inf | -inf\n"), "{ours}");
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
    let theirs = String::from_utf8_lossy(&py.stdout);
    for (n, (a, b)) in ours.stdout.lines().zip(theirs.lines()).enumerate() {
        assert_eq!(a, b, "line {}", n + 1);
    }
    assert_eq!(ours.stdout, theirs, "{ours}");
}

#[test]
fn split_and_checked_calls_print_as_cpython() {
    let path = root().join("tests/fmt/split.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    assert!(
        ours.stdout
            .contains("'\\x1cfs\\x1dgs\\x1ers\\x1fus' ['fs', 'gs', 'rs', 'us'] "),
        "{ours}"
    );
    assert!(ours.stdout.contains("\n4525 7 True 10\n"), "{ours}");
    if !python3() {
        eprintln!("python3 not found: the comparison with CPython is skipped");
        return;
    }
    let py = Command::new("python3")
        .arg(&path)
        .output()
        .expect("run python3");
    assert_eq!(ours.stdout, String::from_utf8_lossy(&py.stdout), "{ours}");
}
