//! Binding plans cached per call site (issue 21, `vm/callplan.rs`) and the value stack kept
//! grown between slices (`fastcall::grow_stack`): every call binds as CPython 3.11 binds it,
//! and as the slow path does (`--races` keeps every call there), whichever function a site
//! calls next; recursion stops at the same depth.

mod common;

use common::{root, run_file, same_run_as_slow_path, same_stdout_as_cpython};

/// One site calling functions whose parameters come in different orders, with different
/// defaults (closures of one `def`), a bound method, a function missing a keyword-only
/// argument (the error, then a good call again), a global rebound mid-loop, recursion with
/// keywords, and a cell parameter bound by keyword: stdout equals `python3`'s and the
/// `--races` run's.
#[test]
fn one_site_many_callees_binds_as_cpython_does() {
    let path = root().join("tests/calls3/site_plans.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    for needle in [
        "('ab', 8, 4, 3)\n",
        "('ba', 8, 4, 30)\n",
        "kwonly() missing 1 required keyword-only argument: 'b'\n",
        "('g', 1, 100, 9)\n",
        "('g', 8, 4, -2)\n",
        "('m', 3, 1, 5, 9)\n",
        "('ba', 20, 1, 9)\n",
        "1411810\n",
        "45150 15150 1276\n",
        "[1, 3, 5, 7, 9] [3, 4, 5, 6, 7]\n",
    ] {
        assert!(ours.stdout.contains(needle), "{needle:?} not in\n{ours}");
    }
    let slow = run_file(&path, 1, &["-q", "--races"]);
    assert_eq!(ours.stdout, slow.stdout, "hot path and slow path differ");
    same_stdout_as_cpython(&path, &ours);
}

/// More call sites than the plan table has entries (sites share entries and replace each
/// other's plans), each calling a function whose keyword order differs from its
/// neighbour's: every result is CPython's.
#[test]
fn more_sites_than_plans_bind_as_cpython_does() {
    let mut src = String::from(
        "def p(a, b=0, *, c=1):\n    return a * 7 + b * 3 + c\n\n\
         def q(b, a=0, *, c=2):\n    return a * 5 - b + c\n\nout = []\nfor i in range(3):\n",
    );
    for k in 0..600 {
        let f = if k % 2 == 0 { "p" } else { "q" };
        let call = match k % 3 {
            0 => format!("{f}(b={k}, a=i)"),
            1 => format!("{f}(i, c={k})"),
            _ => format!("{f}({k})"),
        };
        src.push_str(&format!("    out.append({call})\n"));
    }
    src.push_str("print(sum(out), out[:7], out[-7:])\n");
    let path = common::write_program(&src);
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    // The sum, worked out here: p(a, b=0, *, c=1) = 7a + 3b + c, q(b, a=0, *, c=2) = 5a - b + c.
    let mut sum: i64 = 0;
    for i in 0..3i64 {
        for k in 0..600i64 {
            let (a, b, c) = match k % 3 {
                0 => (i, k, None),
                1 => (0, 0, Some(k)),
                _ => (0, 0, None),
            };
            sum += if k % 2 == 0 {
                match k % 3 {
                    0 => 7 * a + 3 * b + 1,
                    1 => 7 * i + c.unwrap_or(1),
                    _ => 7 * k + 1,
                }
            } else {
                match k % 3 {
                    0 => 5 * a - b + 2,
                    1 => -i + c.unwrap_or(2),
                    _ => -k + 2,
                }
            };
        }
    }
    assert!(
        ours.stdout.starts_with(&format!("{sum} [")),
        "{sum}\n{ours}"
    );
    let slow = run_file(&path, 1, &["-q", "--races"]);
    assert_eq!(ours.stdout, slow.stdout, "hot path and slow path differ");
    same_stdout_as_cpython(&path, &ours);
    let _ = std::fs::remove_file(&path);
}

/// Recursion to the limit through plain, keyword and default calls: `RecursionError` at
/// depth 998, as CPython 3.11 and as before the plans.
#[test]
fn recursion_stops_at_the_same_depth() {
    let path = root().join("tests/calls3/depth.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    assert_eq!(
        ours.stdout,
        "down 998 maximum recursion depth exceeded\n\
         down_kw 998 maximum recursion depth exceeded\n\
         down_default 998 maximum recursion depth exceeded\n",
        "{ours}"
    );
    let slow = run_file(&path, 1, &["-q", "--races"]);
    assert_eq!(ours.stdout, slow.stdout, "hot path and slow path differ");
    same_stdout_as_cpython(&path, &ours);
}

/// A binding error at a site whose plan was made by earlier good calls, uncaught: the
/// traceback's last line and the exit status are CPython's.
#[test]
fn an_uncaught_error_after_planned_calls_is_cpythons() {
    let src = "def add(a, b=1, *, scale=1):\n    return (a + b) * scale\n\n\
               def sub(a, *, scale):\n    return a * scale\n\n\
               for f in [add, add, add, sub]:\n    print(f(2, b=1))\n";
    let path = common::write_program(src);
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.stdout, "3\n3\n3\n", "{ours}");
    assert_eq!(ours.code, 1, "{ours}");
    let last = "TypeError: sub() got an unexpected keyword argument 'b'";
    assert_eq!(ours.stderr.trim_end().lines().last(), Some(last), "{ours}");
    if let Some((out, err)) = common::cpython(&path) {
        assert_eq!(out, ours.stdout);
        assert_eq!(err.trim_end().lines().last(), Some(last));
    }
    let _ = std::fs::remove_file(&path);
}

/// Threads calling through shared sites whose callees change, and recursing while being
/// preempted: the hot loop's run and the slow path's are the same run (output,
/// instructions, switches, lost updates) under every model.
#[test]
fn threads_through_shared_sites_make_the_same_run_as_the_slow_path() {
    let path = root().join("tests/calls3/threads_sites.toy");
    same_run_as_slow_path(&path, |plain, c| {
        assert!(c.contains(" switches"), "{plain}");
    });
}
