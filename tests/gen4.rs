//! Built-ins consuming a generator natively (issue 21, `gen4`, `vm::consume`): `sum`, `any`,
//! `all`, `min`/`max`, `list`, and `tuple`, `set`, `dict`, `sorted`, `str.join`, … collecting
//! its items, each item taken at the generator's `yield` while only the generator's own
//! instructions run. Each program is compared with `python3` (skipped visibly without it):
//! results, errors and tracebacks (no `<gilvm prelude>` frame), instances with special
//! methods, threads switching inside a consumed generator, traces and the race detector.

mod common;

use common::{
    cpython_full, gilvm, gilvm_full, root, run_file, same_full_as_cpython, same_run_as_slow_path,
    same_stdout_as_cpython,
};

/// Every consumer over generators, generator expressions, `yield from` and user iterators:
/// `sum` with int, float, big-int, list and str starts and items, `any`/`all` stopping early
/// (the rest left in the generator), `min`/`max` with and without `default=` and `key=`,
/// empty-iterable errors, and the collecting built-ins: stdout equal to `python3`'s.
#[test]
fn consumers_give_what_cpython_gives() {
    let path = root().join("tests/gen4/consumers.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    for line in [
        "sum str start TypeError sum() can't sum strings [use ''.join(seq) instead]\n",
        "sum big 36893488147419103232\n",
        "sum str items TypeError unsupported operand type(s) for +: 'int' and 'str'\n",
        "min empty ValueError min() arg is an empty sequence\n",
        "max empty ValueError max() arg is an empty sequence\n",
        "min default 'none'\n",
        "join bad TypeError sequence item 1: expected str instance, int found\n",
        "0 45 [] 0\n",
        "True 4 [5, 6, 7, 8, 9]\n",
        "False [5, 6, 7, 8, 9]\n",
        "3 [1, 2] 2\n",
    ] {
        assert!(ours.stdout.contains(line), "missing {line:?}\n{ours}");
    }
    same_stdout_as_cpython(&path, &ours);
}

/// An exception leaving a generator that `sum`, `list` or `max` consumes, `StopIteration`
/// raised inside one (PEP 479), and a `+` or `<` that fails between items (the generator left
/// suspended, then resumed by `list`): the same stdout, traceback and exit status as
/// `python3`, and no prelude frame.
#[test]
fn exceptions_through_a_consumer_read_as_cpython() {
    for name in ["raise_in_sum", "raise_in_list", "stop_in_max", "add_error"] {
        let path = root().join(format!("tests/gen4/{name}.toy"));
        let ours = gilvm_full(&path);
        assert_eq!(ours.2, Some(1), "{name}: {ours:?}");
        assert!(!ours.1.contains("<gilvm prelude>"), "{name}: {}", ours.1);
        assert!(ours.1.starts_with("Traceback"), "{name}: {}", ours.1);
        same_full_as_cpython(&path, &ours, name);
    }
    let ours = gilvm_full(&root().join("tests/gen4/raise_in_sum.toy"));
    assert!(
        ours.1.contains(
            "    return sum(items(10))\n           ^^^^^^^^^^^^^^\n  File \"P\", line 6, in items\n"
        ),
        "{}",
        ours.1
    );
}

/// Items whose `+`, `<`, `>` and truth value are special methods (`__add__`, `__radd__`,
/// `__lt__`, `__gt__`, `__bool__`), also of a class defined inside the generator half-way
/// through: the consumers call them, as CPython's do.
#[test]
fn items_with_special_methods_are_consumed_as_cpython_does() {
    let path = root().join("tests/gen4/dunders.toy");
    let ours = gilvm_full(&path);
    assert_eq!(ours.2, Some(0), "{ours:?}");
    for line in [
        "Money(12)\nMoney(112)\n13\n",
        "True False\nFalse True\n",
        "TypeError: '<' not supported between instances of 'int' and 'Late'\n",
        "False False\nMoney(10)\n",
    ] {
        assert!(ours.0.contains(line), "missing {line:?}\n{ours:?}");
    }
    same_full_as_cpython(&path, &ours, "");
}

/// Two threads consuming generators that update a shared global under `--gil any`: the
/// same results as `python3`, the same run twice for each seed, and the same run (output,
/// instructions, switches, lost updates) under every model on the hot path as on the slow
/// path (`--races`); seed 1 runs 4,444 instructions, the generators' own and the threads'.
#[test]
fn threads_consuming_generators_are_deterministic() {
    let path = root().join("tests/gen4/threads.toy");
    let want = "[50, 50, 98, 98, 1225, 1225]\nhits at most 300 True\n";
    for seed in 1..5 {
        let a = run_file(&path, seed, &["--gil", "any"]);
        let b = run_file(&path, seed, &["--gil", "any"]);
        assert_eq!(a.code, 0, "{a}");
        assert_eq!(a.stdout, want, "{a}");
        assert_eq!(
            (&a.stdout, &a.stderr),
            (&b.stdout, &b.stderr),
            "seed {seed}"
        );
        assert!(a.stderr.contains("lost updates: hits"), "{a}");
    }
    // Only the generators' own instructions run (7,058 when the prelude's loops consumed them).
    let a = run_file(&path, 1, &["--gil", "any"]);
    assert!(a.stderr.contains(" 4,444 instructions "), "{a}");
    same_run_as_slow_path(&path, |plain, _| assert_eq!(plain.stdout, want, "{plain}"));
    if let Some((out, _, _)) = cpython_full(&path) {
        assert_eq!(out, want);
    }
}

/// `gilvm trace` of those threads: only the program's instructions run (no prelude line),
/// and a thread is switched to in the middle of `sum(produce(n))`, at an instruction of the
/// generator's body (lines 10-12), before it reaches its next statement (line 20).
#[test]
fn a_trace_shows_a_switch_inside_a_generator_that_sum_consumes() {
    let path = root().join("tests/gen4/threads.toy");
    let p = path.to_string_lossy();
    let out = gilvm(&["trace", &p, "--seed", "1", "--gil", "any"]);
    assert_eq!(out.code, 0, "{out}");
    let mut switched_to: Option<String> = None;
    let mut seen_line_20 = std::collections::HashSet::new();
    let mut inside = 0;
    for l in out.stdout.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() >= 4 && f[1] == "===" && f[2] == "GIL" {
            switched_to = Some(f[4].to_string());
            continue;
        }
        if f.len() < 5 || !f[1].starts_with('T') || l.starts_with('#') {
            continue;
        }
        let Ok(line) = f[2].parse::<u32>() else {
            continue;
        };
        assert!(line <= 30, "an instruction outside the program: {l}");
        if line == 20 {
            seen_line_20.insert(f[1].to_string());
        }
        if switched_to.take().as_deref() == Some(f[1])
            && (10..=12).contains(&line)
            && !seen_line_20.contains(f[1])
        {
            inside += 1;
        }
    }
    assert!(
        inside > 0,
        "no switch inside sum's generator\n{}",
        out.stdout
    );
}

/// `--races`: the race detector still sees the accesses of a generator's body while `sum`
/// consumes it (the read and write of `hits` at line 11, in `produce`).
#[test]
fn the_race_detector_sees_a_consumed_generator_body() {
    let path = root().join("tests/gen4/threads.toy");
    let out = run_file(&path, 1, &["-q", "--races"]);
    assert_eq!(out.code, 6, "{out}");
    assert!(out.stderr.contains("data race on hits (a global)"), "{out}");
    assert!(
        out.stderr
            .contains("threads.toy:11, in produce: STORE_GLOBAL 1 (hits)"),
        "{out}"
    );
}
