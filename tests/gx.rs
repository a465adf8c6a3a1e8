//! gx (issue 21): `sum` of a generator's ints accumulated at the generator's `yield` without
//! `consume_feed`'s call; the running total overflowing `i64` must still go to big ints as
//! the general `binary_op` does. Compared with `python3` (skipped visibly without it).

mod common;

use common::{root, run_file, same_stdout_as_cpython};

#[test]
fn sum_of_ints_overflows_as_cpython() {
    let path = root().join("tests/gx/sum_ints.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    assert!(
        ours.stdout
            .starts_with("23058430092136939530\n7\n-27670116110564327424\n4\n6.5\n"),
        "{ours}"
    );
    same_stdout_as_cpython(&path, &ours);
}
