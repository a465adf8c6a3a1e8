//! Attribute instructions in the hot loop while some class defines special methods (issue 21,
//! `vm::fastclass`'s per-class "plain" flag): an instance of a class with no property,
//! `__getattr__`, `__setattr__` in its MRO (and not a frozen dataclass) keeps the fast
//! path, and every change that ends it — found again after any write to a class — sends it
//! back to the slow path. CPython is the oracle for what a program prints; the `--races` run
//! (everything on the slow path) for the run itself.

mod common;

use common::{root, run_file, same_run_as_slow_path, same_stdout_as_cpython};

/// A class attribute rebound on the class and on a subclass, an instance shadowing it and
/// the shadow deleted, a method replaced on the class, on a base and on the instance and
/// deleted, a property added to a base later (winning over the instance's own attribute
/// for reads and stores) and removed, `__getattr__` and `__setattr__` added later and
/// removed, a frozen and an ordinary dataclass, a subclass made after the changes and a
/// class attribute set with `setattr`: each read in a loop before and after the change,
/// while a class with `__lt__` exists; and a class defining only `__enter__`/`__exit__`
/// (which alone do not make the VM look for special methods) used by `with`, suppressing an
/// exception. Stdout equal to `python3`'s.
#[test]
fn attribute_caches_follow_every_class_change_as_cpython() {
    let path = root().join("tests/classes2/invalidation.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    for want in [
        "exit b ValueError\nafter [0, 1, 2]",
        "rebound on child (3, 10, 'base.m', 30) (5, 7, 'child.m', 35)",
        "shadowed (5, 100, 'child.m', 500)",
        "deleted (5, 7, 'base.m', 35)",
        "property (-1000, 10, 'patched base.m', -10000) (6000, 7, 'instance m', 42000) [6]",
        "getattr getattr nothing AttributeError 'Base' object has no attribute 'nothing'",
        "getattr gone AttributeError 'Child' object has no attribute 'nothing'",
        "setattr 5 ['n', 'n', 'n']",
        "frozen FrozenInstanceError cannot assign to field 'x'",
        "setattr on class (2, 3, 'patched base.m', 6) (3, 3, 'patched base.m', 9)",
    ] {
        assert!(ours.stdout.contains(want), "{want:?} missing:\n{ours}");
    }
    same_stdout_as_cpython(&path, &ours);
}

/// Threads bumping a shared instance's attribute without a lock, and one under a `with` of a
/// class defining `__enter__`/`__exit__`, while one thread gives the class a property half-way:
/// the plain run and the `--races` run print the same, count the same instructions and
/// switches and report the same lost updates (on the attribute), under every model and
/// several seeds.
#[test]
fn plain_classes_among_special_methods_make_the_same_run_as_the_slow_path() {
    let path = root().join("tests/classes2/threads.toy");
    let mut lost_on_attr = false;
    same_run_as_slow_path(&path, |plain, c| {
        assert_eq!(plain.stdout, "3 180 True\n", "{plain}");
        lost_on_attr |= c.contains("shared.balance");
    });
    assert!(
        lost_on_attr,
        "no lost update on the shared attribute in any run"
    );
}

/// Lost updates on an attribute of an instance gone by the end of the run and on a class
/// attribute: the summary names them `attribute n of a Box` and `Tally.count` (descriptions
/// made when the summary asks for them, not when the location is first seen), and `--races`
/// names the races `box.n (an attribute)` and `Tally.count (a class attribute)`.
#[test]
fn attribute_locations_are_named_by_their_owner() {
    let path = root().join("tests/classes2/dead_owner.toy");
    let mut named = false;
    for seed in 1..4 {
        let plain = run_file(&path, seed, &["--switch-interval", "7"]);
        assert_eq!(plain.code, 0, "{plain}");
        assert_eq!(plain.stdout, "True True\n", "{plain}");
        if plain.stderr.contains("lost updates: attribute n of a Box ")
            && plain.stderr.contains(", Tally.count ")
        {
            named = true;
        }
        let races = run_file(&path, seed, &["--switch-interval", "7", "--races"]);
        assert!(
            races.stderr.contains("data race on box.n (an attribute)")
                && races
                    .stderr
                    .contains("data race on Tally.count (a class attribute)"),
            "{races}"
        );
    }
    assert!(named, "no run named both lost updates");
}
