//! Issue 21 (branch `it2`): `FOR_ITER` fused with the `UNPACK_SEQUENCE` after it
//! (`for i, x in enumerate(a)`, `zip`, `d.items()`, a list of pairs) and `UNPACK_SEQUENCE` of
//! a tuple or list in the hot loop; keyword arguments, `*args` and `**kw` bound in the hot
//! loop.

mod common;

use common::{root, run_file, same_stdout_as_cpython, summary_counts};

#[test]
fn unpacking_loops_print_as_cpython() {
    let path = root().join("tests/it2/unpack_loops.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    assert!(
        ours.stdout
            .contains("RE dictionary changed size during iteration"),
        "{ours}"
    );
    same_stdout_as_cpython(&path, &ours);
}

/// The fused step builds no tuple, but takes its heap slot and charges its bytes: a run where
/// the fusion happens (the plain run) and one where it cannot (`--races` keeps it off, and
/// a switch interval of 1 leaves most `FOR_ITER`s without the budget for the unpack) print
/// the same fake addresses and `id()`s of the objects made afterwards, and count the same
/// instructions and switches.
#[test]
fn fused_unpacking_leaves_the_heap_as_before() {
    let path = root().join("tests/it2/unpack_heap.toy");
    for model in ["any", "py27", "py311"] {
        for seed in 1..3 {
            let args = ["--gil", model, "--switch-interval", "7"];
            let plain = run_file(&path, seed, &args);
            assert_eq!(plain.code, 0, "{plain}");
            assert!(plain.stdout.contains("object at 0x"), "{plain}");
            let mut slow_args = args.to_vec();
            slow_args.push("--races");
            let slow = run_file(&path, seed, &slow_args);
            assert_eq!(plain.stdout, slow.stdout, "{model} seed {seed}");
            assert_eq!(
                summary_counts(&plain.stderr),
                summary_counts(&slow.stderr),
                "{model} seed {seed}"
            );
        }
    }
    // One thread: the schedule cannot change what it prints, only where the fusion happens.
    let src = std::fs::read_to_string(&path).expect("read");
    let one = src.replace("for k in range(3)]", "for k in range(1)]");
    let p1 = common::write_program(&one);
    let wide = run_file(&p1, 1, &["-q"]);
    let narrow = run_file(&p1, 1, &["-q", "--switch-interval", "1"]);
    assert_eq!(wide.code, 0, "{wide}");
    assert_eq!(wide.stdout, narrow.stdout);
}

#[test]
fn calls_with_star_args_and_double_star_kw_print_as_cpython() {
    let path = root().join("tests/it2/var_calls.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    assert!(ours.stdout.starts_with("6019000\n"), "{ours}");
    assert!(
        ours.stdout
            .contains("TypeError: h() missing 1 required keyword-only argument: 'c'"),
        "{ours}"
    );
    same_stdout_as_cpython(&path, &ours);
}

/// A call bound in the hot loop (the plain run) allocates the `*args` tuple, the `**kw` keys
/// and dict as the slow path does (`--races` keeps every call there): the same fake
/// addresses and `id()`s afterwards, the same instruction and switch counts.
#[test]
fn star_args_calls_leave_the_heap_as_before() {
    let path = root().join("tests/it2/var_heap.toy");
    for model in ["any", "py39"] {
        for seed in 1..3 {
            let args = ["--gil", model, "--switch-interval", "7"];
            let plain = run_file(&path, seed, &args);
            assert_eq!(plain.code, 0, "{plain}");
            assert!(plain.stdout.contains("object at 0x"), "{plain}");
            let mut slow_args = args.to_vec();
            slow_args.push("--races");
            let slow = run_file(&path, seed, &slow_args);
            assert_eq!(plain.stdout, slow.stdout, "{model} seed {seed}");
            assert_eq!(
                summary_counts(&plain.stderr),
                summary_counts(&slow.stderr),
                "{model} seed {seed}"
            );
        }
    }
}
