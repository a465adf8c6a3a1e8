//! Issue 21 (branch `gen`): sorting with keys checked once for a total order
//! (`builtins::sort_total`), and the shapes that fall back to the general comparison sort;
//! each compared with CPython where it is installed.

mod common;

use common::{root, run_file, same_stdout_as_cpython};

#[test]
fn sorts_with_total_keys_print_as_cpython() {
    let path = root().join("tests/gen21/sort_total.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    // Independent of CPython: equal keys keep their order, forwards and reversed.
    assert!(
        ours.stdout.contains(
            "['apple', 'avocado', 'apple', 'banana', 'blueberry', 'cherry', 'cranberry', \
             'date', 'fig', 'fig', 'kiwi', 'lime', 'pear', 'peach', 'plum']"
        ),
        "{ours}"
    );
    assert!(
        ours.stdout.contains(
            "['pear', 'peach', 'plum', 'lime', 'kiwi', 'fig', 'fig', 'date', 'cherry', \
             'cranberry', 'banana', 'blueberry', 'apple', 'avocado', 'apple']"
        ),
        "{ours}"
    );
    assert!(
        ours.stdout
            .contains("TypeError: '<' not supported between instances of 'int' and 'str'"),
        "{ours}"
    );
    assert!(ours.stdout.contains("ValueError: no six"), "{ours}");
    same_stdout_as_cpython(&path, &ours);
}
