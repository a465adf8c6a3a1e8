//! Properties and special methods called from the hot loop (issue 21, branch `prop`): a
//! property's getter and setter are called by `hot`'s `LOAD_ATTR`/`STORE_ATTR` with a frame
//! pushed as a plain call's, the other attributes of a class with properties stay on the fast
//! path (the class's mask of property names), and `a + b` / `a == b` on an instance whose
//! class defines the method go to the slow path without making an error first. CPython is the
//! oracle for what a program prints; the `--races` run (everything on the slow path) for the
//! run itself and the tracebacks.

mod common;

use common::{check_stderr, root, run_file, same_run_as_slow_path, same_stdout_as_cpython};

/// Getters and setters in a loop beside plain attributes, a subclass's property, a property
/// added to a class later winning over the instance's attribute, a property without a
/// setter, a getter raising `AttributeError` and one recursing without end, a lambda getter
/// and a generator function as setter (its value dropped), `__add__`/`__radd__`/`__eq__`
/// with `NotImplemented`, `!=` through `__eq__`, `__lt__` returning a non-bool, an augmented
/// assignment through `__add__`, and unsupported operands: stdout equal to `python3`'s and
/// to the slow path's.
#[test]
fn properties_and_special_methods_behave_as_cpython() {
    let path = root().join("tests/prop/semantics.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    for want in [
        "shadow [0, 1, 2, 'prop 30', 'prop 40', 'prop 50'] 50",
        "no setter: property 'f' of 'Temp' object has no setter",
        "getter recursion: RecursionError",
        "generator setter n",
        "vec Vec(200, 400) 400 Vec(2, 3) False True less?",
        "sub: unsupported operand type(s) for -: 'Vec' and 'Vec'",
    ] {
        assert!(ours.stdout.contains(want), "{want:?} missing:\n{ours}");
    }
    let slow = run_file(&path, 1, &["-q", "--races"]);
    assert_eq!(ours.stdout, slow.stdout);
    same_stdout_as_cpython(&path, &ours);
}

/// An exception escaping a getter, and one escaping a setter, each called from the hot
/// loop: the same traceback (frames, lines, carets) as the slow path prints.
#[test]
fn an_accessor_raising_prints_the_slow_paths_traceback() {
    for (file, want) in [
        ("traceback.toy", "line 10, in v"),
        ("traceback_set.toy", "line 14, in v"),
    ] {
        let path = root().join("tests/prop").join(file);
        let ours = run_file(&path, 1, &["-q"]);
        let slow = run_file(&path, 1, &["-q", "--races"]);
        assert_eq!(ours.code, 1, "{ours}");
        assert!(ours.stderr.contains(want), "{ours}");
        assert!(ours.stderr.contains("in main\n    p.v = p.v + 1"), "{ours}");
        assert_eq!(ours.stderr, slow.stderr);
        assert_eq!(ours.stdout, slow.stdout);
    }
}

/// Threads reading and writing a shared instance through a property and a plain attribute
/// without a lock, and comparing through `__add__`: the same output, instruction and switch
/// counts and lost updates as the slow path, under every model and several seeds.
#[test]
fn properties_among_threads_make_the_same_run_as_the_slow_path() {
    let path = root().join("tests/prop/threads.toy");
    same_run_as_slow_path(&path, |plain, _| {
        assert_eq!(plain.stdout, "True True True\n", "{plain}");
    });
}

/// The two errors `hot` makes on its way to an instance's special method, now built without
/// `format!`, read as before where a program sees them: an unsupported operand, and `==` of
/// instances with `__eq__` inside a built-in (a gilvm limit).
#[test]
fn the_errors_built_by_hand_read_as_before() {
    check_stderr(
        "class V:\n    def __eq__(self, o):\n        return True\n\nprint([V()] == [V()])\n",
        1,
        &[
            "NotImplementedError: comparing 'V' objects with their __eq__ inside a built-in \
           operation is not supported by gilvm (compare them with == in your code)",
        ],
    );
    check_stderr(
        "x = [1]\nprint(x ** 2)\n",
        1,
        &["TypeError: unsupported operand type(s) for ** or pow(): 'list' and 'int'"],
    );
}
