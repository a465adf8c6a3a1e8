//! mcache: the per-site caches of `LOAD_ATTR`/`LOAD_METHOD`'s class look-ups in the hot loop
//! (`vm/mcache.rs`, issue 21). Each change a cache must notice is made while its sites are
//! warm (a loop has run them many times before), and the program's output is compared with
//! CPython's (skipped when `python3` is absent); the threaded program's plain run is compared
//! with its `--races` run, which takes no hot attribute path and no cache.

mod common;

use common::{root, run_file, same_run_as_slow_path, same_stdout_as_cpython};

/// A class attribute rebound (on the class, again, on a subclass), instance shadowing of a
/// class attribute and a method and its removal, a method monkeypatched on the class and on
/// the base class and deleted from the subclass, `del` of a class attribute (the base's shows
/// through; deleted everywhere, the warm site raises `AttributeError`), `setattr` on a class,
/// a subclass made later at the same sites, classes made again and again by a function, and
/// `staticmethod`/`classmethod` through an instance, rebound later.
#[test]
fn warm_sites_see_every_class_change_as_cpython() {
    let path = root().join("tests/mcache/invalidation.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    for want in [
        "rebound [(0, (2, 'base', 'base.m', 10)), (60, (10, 'base', 'base.m', 50))]",
        "rebound again [(0, (10, 'base', 'base.m', 50)), (30, (11, 'base', 'base.m', 55))]",
        "(61, (4, 'base', 'child.m', 28))]",
        "shadowed [(0, (10, 'base', 'base.m', 50)), (50, (100, 'base', 'instance m', 500))]",
        "unshadowed [(0, (100, 'base', 'instance m', 500)), (50, (10, 'base', 'base.m', 50))]",
        "patched [(0, (4, 'base', 'child.m', 28)), (40, (4, 'base', 'patched child.m', 28))]",
        "(41, (10, 'base', 'patched base.m', 50))]",
        "child inherits [(0, (4, 'base', 'patched child.m', 28)), (42, (4, 'base', 'patched base.m', 28))]",
        "deleted [(0, (4, 'base', 'patched base.m', 28)), (70, (10, 'base', 'patched base.m', 70))]",
        "(31, (10, 'child', 'patched base.m', 70))]",
        "(2, (9, 'child', 'late.m', -1))]",
        "del class attribute 31 [1, \"'Gone' object has no attribute 'x'\"]",
        "remade 134550 134550",
        "wrappers stS stS st2S st2S",
    ] {
        assert!(ours.stdout.contains(want), "{want:?} missing:\n{ours}");
    }
    same_stdout_as_cpython(&path, &ours);
}

/// A property given to a class later (over a plain class attribute read through warm sites,
/// and over an instance's own attribute: the data descriptor wins), `__getattr__` added later
/// (answers misses only) and `__setattr__` added later (takes stores through a warm site).
#[test]
fn hooks_added_to_a_class_later_are_seen_at_warm_sites_as_cpython() {
    let path = root().join("tests/mcache/hooks.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    for want in [
        "property [(0, ('plain', 3)), (50, ('prop -3', 3))]",
        "data descriptor instance instance base prop base prop",
        "getattr (1, 'missing') (1, 'missing') (1, 'via getattr nope') (1, 'via getattr nope')",
        "setattr [0, 1, 2] [19, 200, 210] 390",
    ] {
        assert!(ours.stdout.contains(want), "{want:?} missing:\n{ours}");
    }
    same_stdout_as_cpython(&path, &ours);
}

/// Threads calling methods and reading a class attribute through instances while one thread
/// rebinds it and replaces the method: the plain run and the `--races` run print the same,
/// count the same instructions and switches and report the same lost updates (on the shared
/// instance's attribute), under every model and several seeds.
#[test]
fn cached_sites_make_the_same_run_as_the_slow_path() {
    let path = root().join("tests/mcache/threads.toy");
    let mut lost_on_attr = false;
    same_run_as_slow_path(&path, |plain, c| {
        assert_eq!(plain.stdout, "3 True 2\n", "{plain}");
        lost_on_attr |= c.contains("shared.total");
    });
    assert!(
        lost_on_attr,
        "no lost update on the shared attribute in any run"
    );
}
