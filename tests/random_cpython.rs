//! The `random` module is CPython's: after `random.seed(x)` every function returns CPython
//! 3.11's exact values (compared with `python3`, skipped visibly without it), and without
//! `random.seed` a run seeds it as `random.seed(N)` for its seed `N`.

mod common;

use std::process::Command;

use common::same_as_python;

#[test]
fn every_function_matches_cpython_for_many_seeds() {
    same_as_python(include_str!("py_bigint/random_many.py"));
}

#[test]
fn big_and_string_seeds_and_instances_match_cpython() {
    same_as_python(include_str!("py_bigint/random.py"));
}

#[test]
fn the_run_seed_seeds_random_as_random_seed_does() {
    let body = "print(random.random(), random.randint(1, 100), random.choice('abcdef'))\n";
    let ours = common::run_with(&format!("import random\n{body}"), 4242, &[]);
    // The same numbers as `random.seed(4242)` (the value CPython 3.11 prints).
    let seeded = common::run_with(&format!("import random\nrandom.seed(4242)\n{body}"), 1, &[]);
    assert_eq!(ours.stdout, seeded.stdout);
    if common::python3() {
        let path = common::write_program(&format!("import random\nrandom.seed(4242)\n{body}"));
        let py = Command::new("python3")
            .arg(&path)
            .output()
            .expect("run python3");
        let _ = std::fs::remove_file(&path);
        assert_eq!(ours.stdout, String::from_utf8_lossy(&py.stdout));
    }
}

#[test]
fn same_seed_same_numbers_across_runs() {
    let src = "import random, threading\nout = []\ndef w():\n    for _ in range(50):\n        out.append(random.randint(1, 9))\nts = [threading.Thread(target=w) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(sum(out), len(out))\n";
    let a = common::run_with(src, 9, &[]);
    let b = common::run_with(src, 9, &[]);
    assert_eq!(a.stdout, b.stdout);
    assert!(a.stdout.ends_with(" 150\n"), "{a}");
}

#[test]
fn errors_are_cpythons() {
    common::check(
        "import random\nfor f in [lambda: random.choice([]), lambda: random.randrange(0), lambda: random.randrange(5, 5), lambda: random.randrange(1, 9, 0), lambda: random.sample([1, 2], 3), lambda: random.randint(1), lambda: random.getrandbits(-1), lambda: random.sample({1, 2}, 1), lambda: random.choices('ab', weights=[0, 0])]:\n    try:\n        f()\n    except Exception as e:\n        print(type(e).__name__, e)\n",
        "IndexError Cannot choose from an empty sequence\nValueError empty range for randrange()\nValueError empty range for randrange() (5, 5, 0)\nValueError zero step for randrange()\nValueError Sample larger than population or is negative\nTypeError Random.randint() missing 1 required positional argument: 'b'\nValueError number of bits must be non-negative\nTypeError Population must be a sequence.  For dicts or sets, use sorted(d).\nValueError Total of weights must be greater than zero\n",
    );
}
