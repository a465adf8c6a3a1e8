//! Classes and closures in the hot loop (issue 21, `vm::fastclass`): attribute look-ups that
//! find a class attribute or method through an instance, instantiation of a plain class with a
//! Python `__init__`, and closure cells. A program using them prints what CPython prints, and a
//! threaded run whose instructions take the hot loop's path is the same run — same output,
//! same instruction count, same switches, same lost updates — as one where they all take the
//! slow path (`--races` keeps attribute access, calls and cells on the slow path), under every
//! GIL model.

mod common;

use common::{root, run_file, same_run_as_slow_path, same_stdout_as_cpython};

/// Instance and class attributes (shadowing, inheritance, a class attribute changed later, a
/// method replaced on the instance), static and class methods, `__class__`, instantiation with
/// defaults and keywords and every binding error, an `__init__` returning a value, a class
/// without `__init__`, closures (a cell read before it is bound), recursion that ends in an
/// instantiation: stdout equal to `python3`'s.
#[test]
fn classes_and_closures_behave_as_in_cpython() {
    let path = root().join("tests/classes/semantics.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    for want in [
        "TypeError __init__() should return None, not 'int'",
        "[5, 6, 7, 8, 9, 110, 111, 112] ['base', 'base', 'base', 'base', 'base', \
         'child:child', 'child:child', 'child:child']",
        "TypeError Base.__init__() got an unexpected keyword argument 'w'",
        "changed child:child",
        "NameError cannot access free variable 'v'",
        "shadow base shadow base",
        "42 6",
    ] {
        assert!(ours.stdout.contains(want), "{want:?} missing:\n{ours}");
    }
    same_stdout_as_cpython(&path, &ours);
}

/// Threads instantiating classes (keyword and default arguments to `__init__`), calling
/// methods that read a class attribute through the instance, bumping a shared instance's
/// attribute and a closure's cell without a lock: the plain run and the `--races` run (all on
/// the slow path) print the same, count the same instructions and switches and report the same
/// lost updates (on the attribute and on the cell), under every model and several seeds.
#[test]
fn hot_classes_and_cells_make_the_same_run_as_the_slow_path() {
    let path = root().join("tests/classes/threads.toy");
    let mut lost_on_cell = false;
    same_run_as_slow_path(&path, |plain, c| {
        assert!(
            plain.stdout.contains("[(0, 50), (1, 50), (2, 50)]"),
            "{plain}"
        );
        assert!(c.contains(" switches"), "{plain}");
        lost_on_cell |= c.contains("lost updates: n ") || c.contains(", n ");
    });
    // The cell is a shared location the lost-update detector watches on the hot path too.
    assert!(
        lost_on_cell,
        "no lost update on the closure's cell in any run"
    );
}

/// Instantiations whose `__init__` binding fails (the hot loop made the instance and its
/// marker, then hands the call to the slow path) leave the heap as it was: the objects made
/// after them have the ids (shown in their reprs) that the slow path (`--races`) gives them.
/// (And `obj.__class__` after a store to it reads the same on both paths.)
#[test]
fn failed_hot_instantiation_leaves_the_heap_as_it_was() {
    let path = root().join("tests/classes/heap.toy");
    let plain = run_file(&path, 1, &["-q"]);
    let slow = run_file(&path, 1, &["-q", "--races"]);
    assert_eq!(plain.code, 0, "{plain}");
    assert_eq!(
        plain.stdout.matches("missing 1 required").count(),
        3,
        "{plain}"
    );
    assert!(plain.stdout.contains("<__main__.A object at 0x"), "{plain}");
    assert!(plain.stdout.ends_with(" 5\n"), "{plain}");
    assert_eq!(plain.stdout, slow.stdout);
}

/// A caller whose value stack goes deeper than its callee's whole frame, after the callee
/// returned in the hot loop: a callee that left for the slow path, and callees (a function, an
/// `__init__`) whose frames the slow path pushed. It overflowed the value stack ("wrong
/// stacksize") before the return made room for the caller.
#[test]
fn a_deep_caller_survives_a_shallow_callee() {
    let path = root().join("tests/classes/deep_caller.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    assert_eq!(
        ours.stdout, "6 (1, 2, 3, 4, 1, 2, 3, 4)\n6 1\n6 1\n",
        "{ours}"
    );
}
