//! Operators on instances called from the hot loop (issue 21, seventh round): `a + b`,
//! `a += b` and `a == b` on an instance whose class defines the method as a Python function
//! push its frame inside `hot`, and its result comes back there, with the same marker in the
//! same heap slot as the slow path's. CPython is the oracle for what a program prints; the
//! `--races` run (everything on the slow path) for the heap, the tracebacks and the run.

mod common;

use common::{root, run_file, same_run_as_slow_path, same_stdout_as_cpython};

/// Forward, in-place and reflected methods, `NotImplemented` on either side, `!=` through
/// `__eq__` returning a non-bool, a subclass's reflected method first, a method with a
/// default parameter, a lambda and a generator function as methods, recursion through `+`
/// to the limit, a dataclass's generated `==`, a method assigned to the class later, and
/// `len(x)`/`abs(x)` through `__len__`/`__abs__` (a negative, a bool, a float, a str as
/// `__len__`'s result; no method), `obj[i]` through `__getitem__` (a tuple key, an
/// `IndexError` raised inside it) and an instance as a dict key or list index: stdout
/// equal to `python3`'s and to the slow path's.
#[test]
fn operator_methods_behave_as_cpython() {
    let path = root().join("tests/operators/semantics.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    for want in [
        "Money(44850) 600\n",
        "Money(8) True\n",
        "Money(7) Money(5) True\n",
        "TypeError: unsupported operand type(s) for +: 'Money' and 'int'\n",
        "False True True False\n",
        "Cheap.__radd__ first\n",
        "[5] False [] True 1\n",
        "Takes.__rmul__\n",
        "('lambda', 1) generator 3\n",
        "0\nRecursionError\n",
        "ValueError: no 7\n",
        "794 4 [3]\n",
        "ValueError: __len__() should return >= 0\n",
        "TypeError: 'float' object cannot be interpreted as an integer\n",
        "TypeError: 'str' object cannot be interpreted as an integer\n",
        "TypeError: object of type 'Plain' has no len()\n",
        "TypeError: bad operand type for abs(): 'Plain'\n",
        "360 30\nIndexError: grid index out of range\n",
        "TypeError: unhashable type: 'Money'\n",
        "TypeError: list indices must be integers or slices, not Money\n",
        "TypeError: 'Plain' object is not subscriptable\n",
    ] {
        assert!(ours.stdout.contains(want), "{want:?} missing:\n{ours}");
    }
    let slow = run_file(&path, 1, &["-q", "--races"]);
    assert_eq!(ours.stdout, slow.stdout);
    same_stdout_as_cpython(&path, &ours);
}

/// 20,000 `+` and `==` through special methods, with collections among them: the objects
/// made afterwards print the addresses the slow path gives them (the markers were allocated
/// in the same slots), and the run's instruction count is the slow path's.
#[test]
fn operator_markers_take_the_slow_paths_heap_slots() {
    let path = root().join("tests/operators/heap.toy");
    let ours = run_file(&path, 1, &[]);
    let slow = run_file(&path, 1, &["--races"]);
    assert_eq!(ours.code, 0, "{ours}");
    assert!(
        ours.stdout.starts_with("20000 1\n<object object at 0x"),
        "{ours}"
    );
    assert_eq!(ours.stdout, slow.stdout);
    let count = |s: &str| {
        s.lines()
            .find(|l| l.contains(" instructions"))
            .map(|l| l.split(" · ").nth(2).unwrap_or("").to_string())
            .unwrap_or_default()
    };
    assert!(!count(&ours.stderr).is_empty(), "{ours}");
    assert_eq!(count(&ours.stderr), count(&slow.stderr));
}

/// An exception escaping `__eq__` called from the hot loop: the traceback (frames, lines,
/// carets) the slow path prints.
#[test]
fn an_operator_method_raising_prints_the_slow_paths_traceback() {
    let path = root().join("tests/operators/traceback.toy");
    let ours = run_file(&path, 1, &["-q"]);
    let slow = run_file(&path, 1, &["-q", "--races"]);
    assert_eq!(ours.code, 1, "{ours}");
    assert!(
        ours.stderr
            .contains("line 18, in main\n    if v == V(100 - i - 1):\n       ^^^^^^^^^^^^^^^^^^^"),
        "{ours}"
    );
    assert!(
        ours.stderr
            .contains("line 11, in __eq__\n    return self.x / other.x > 1"),
        "{ours}"
    );
    assert!(
        ours.stderr
            .ends_with("ZeroDivisionError: division by zero\n"),
        "{ours}"
    );
    assert_eq!(ours.stderr, slow.stderr);
}

/// Threads adding to and comparing a shared instance through its special methods without a
/// lock: the same output, instruction and switch counts and lost updates as the slow path,
/// under every model and several seeds.
#[test]
fn operator_methods_among_threads_make_the_same_run_as_the_slow_path() {
    let path = root().join("tests/operators/threads.toy");
    same_run_as_slow_path(&path, |plain, _| {
        assert_eq!(plain.stdout, "True True\n", "{plain}");
    });
}
