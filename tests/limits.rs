//! DESIGN.md §8 at run time: limits end a run with a clear message and the right exit status,
//! never a panic, a hang or a crash of gilvm itself.

use std::process::Command;

fn run_program(src: &str, extra: &[&str]) -> (i32, String, String) {
    let dir = std::env::temp_dir().join(format!("gilvm-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("p{}.toy", src.len()));
    std::fs::write(&path, src).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .arg("run")
        .arg(&path)
        .args(["--seed", "1"])
        .args(extra)
        .output()
        .expect("gilvm runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn deep_recursion_is_a_recursion_error_not_a_crash() {
    let (code, _, err) = run_program("def f(n):\n    return f(n + 1)\nf(0)\n", &["-q"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("RecursionError: maximum recursion depth exceeded"),
        "{err}"
    );
    assert!(
        err.contains("[Previous line repeated 996 more times]"),
        "{err}"
    );
}

#[test]
fn runaway_memory_is_a_memory_error() {
    let (code, _, err) = run_program("a = [0] * 10**9\n", &["-q"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.ends_with("MemoryError\n"), "{err}");
    let (code, _, err) = run_program("s = 'x'\nwhile True:\n    s = s + s\n", &["-q"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("s = s + s") && err.ends_with("MemoryError\n"),
        "{err}"
    );
}

#[test]
fn an_infinite_loop_stops_at_max_steps_and_says_where_each_thread_stood() {
    let src = "import threading\ndef spin():\n    while True:\n        pass\nt = threading.Thread(target=spin)\nt.start()\nwhile True:\n    pass\n";
    let (code, _, err) = run_program(src, &["--max-steps", "100000"]);
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("stopped after 100000 instructions (--max-steps)"),
        "{err}"
    );
    assert!(
        err.contains("MainThread (runnable): line 7 in <module>"),
        "{err}"
    );
    assert!(
        err.contains("Thread-1 (spin) (runnable): line 4 in spin"),
        "{err}"
    );
}

#[test]
fn a_built_in_iterating_something_enormous_stops_at_max_steps_and_cannot_be_caught() {
    // One instruction (the call to sum) would iterate 10**12 items: --max-steps bounds the
    // items built-ins iterate over too, and the stop is not an exception the program sees.
    let src = "import threading\ndef spin():\n    try:\n        print(sum(range(10**12)))\n    except BaseException as e:\n        print('caught', e)\nt = threading.Thread(target=spin)\nt.start()\nt.join()\n";
    let started = std::time::Instant::now();
    let (code, out, err) = run_program(src, &["--max-steps", "100000"]);
    assert_eq!(code, 5, "{err}");
    assert_eq!(out, "", "nothing caught it");
    assert!(
        err.contains("stopped inside a built-in after it and the others had iterated over 100000 items (--max-steps)"),
        "{err}"
    );
    assert!(
        err.contains("Thread-1 (spin) (runnable): line 4 in spin"),
        "{err}"
    );
    assert!(
        err.contains("MainThread (blocked): line 9 in <module>"),
        "{err}"
    );
    assert!(started.elapsed().as_secs() < 30, "it stopped promptly");
    // A program that stays under the budget is unaffected.
    let (code, out, err) = run_program("print(sum(range(1000)))\n", &["--max-steps", "100000"]);
    assert_eq!((code, out.as_str()), (0, "499500\n"), "{err}");
}

#[test]
fn an_exception_in_a_thread_ends_only_that_thread() {
    let src = "import threading\ndef work(n):\n    return 10 // n\nt = threading.Thread(target=work, args=(0,))\nt.start()\nt.join()\nprint('main goes on')\n";
    let (code, out, err) = run_program(src, &["-q"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "main goes on\n");
    assert!(
        err.starts_with(
            "Exception in thread Thread-1 (work):\nTraceback (most recent call last):\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("ZeroDivisionError: integer division or modulo by zero"),
        "{err}"
    );
}

#[test]
fn an_uncaught_exception_in_main_exits_1_after_other_threads_finish() {
    let src = "import threading\nimport time\ndef late():\n    time.sleep(1)\n    print('thread done')\nthreading.Thread(target=late).start()\nraise ValueError('boom')\n";
    let (code, out, err) = run_program(src, &["-q"]);
    assert_eq!(code, 1);
    assert_eq!(out, "thread done\n");
    assert!(err.ends_with("ValueError: boom\n"), "{err}");
}

#[test]
fn sys_exit_sets_the_status() {
    let (code, _, _) = run_program("import sys\nsys.exit(3)\n", &["-q"]);
    assert_eq!(code, 3);
}
