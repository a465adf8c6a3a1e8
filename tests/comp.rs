//! Comprehensions, sorting and strings in the hot loop (issue 21, `vm::fastops`, the sort's
//! int-led tuples, `min`/`max` of ints, str operators without the big-int look-up): the
//! instructions print as CPython's do, including the edge cases the fast paths hand back to
//! the slow path (overflow, zero divisors, ties in a sort key, special formatting). That the
//! runs are the same runs as before (instruction counts, switches, lost updates, races,
//! traces) is checked by the goldens in `tests/comp/`, recorded with the binary before.

mod common;

use common::{root, run_file, same_stdout_as_cpython};

#[test]
fn comprehension_container_and_format_instructions_print_as_cpython() {
    let path = root().join("tests/comp/ops.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    // Independent of CPython: the key sort's ties keep their order, `%` takes the divisor's
    // sign, and an overflowing product becomes a big int.
    assert!(ours.stdout.contains("(-21, 2, -3)"), "{ours}");
    assert!(
        ours.stdout
            .contains("(-27670116110564327421, -2, -3074457345618258603)"),
        "{ours}"
    );
    assert!(
        ours.stdout
            .contains("[0, 30, 60, 90, 120, 12, 42, 72, 102, 132, 24, 54]"),
        "{ours}"
    );
    same_stdout_as_cpython(&path, &ours);
}
