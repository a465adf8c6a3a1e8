//! Issue 21 (branch `kw`): calls of functions with `*args`/`**kw` bound by a per-site plan
//! (`vm::fastvar`), the `**kw` dict built at its final size, and `sum` over a list or tuple
//! walked by index (`builtins::sum`).

mod common;

use common::{root, run_file, same_stdout_as_cpython, summary_counts};

/// Sites whose callee changes (other code objects, one code object with other defaults or
/// without a keyword-only default, bound methods), errors at sites planned before, a new
/// `**kw` dict at every call, and `sum` over lists, tuples and iterators of every kind of
/// item: as CPython prints them.
#[test]
fn planned_var_calls_and_sums_print_as_cpython() {
    let path = root().join("tests/kw2/var_plans.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    assert!(ours.stdout.starts_with("229350\n"), "{ours}");
    assert!(
        ours.stdout
            .contains("TE make_kwonly.<locals>.m() missing 1 required keyword-only argument: 'c'"),
        "{ours}"
    );
    same_stdout_as_cpython(&path, &ours);
}

/// Calls bound by a plan (the plain run) allocate and charge what the slow path does
/// (`--races` keeps every call there), over enough allocation for several collections: the
/// same fake addresses and `id()`s afterwards, the same instruction and switch counts.
#[test]
fn planned_var_calls_leave_the_heap_as_before() {
    let path = root().join("tests/kw2/var_heap.toy");
    for model in ["any", "py311"] {
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
