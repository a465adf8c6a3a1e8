//! Issue 21 (branch `comp2`): `sorted(key=)` natively (`vm::sortkey`) and the other fast
//! paths of sorting, subscripts and string building, each compared with CPython where the
//! output does not depend on the schedule.

mod common;

use common::{cpython, root, run_file, run_with, same_stdout_as_cpython};

#[test]
fn sorted_with_a_key_prints_as_cpython() {
    let path = root().join("tests/comp2/sorted_key.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    // Independent of CPython: equal keys keep their order, forwards and reversed, and the key
    // ran once per item.
    assert!(
        ours.stdout
            .contains("[0, 84, 20, 40, 60, 80, 16, 100, 36, 56, 76, 12] 60 [0, 37, 74, 10, 47]"),
        "{ours}"
    );
    assert!(
        ours.stdout
            .contains("[4, 9, 3, 8, 2, 7, 1, 6, 11, 0, 5, 10]"),
        "{ours}"
    );
    same_stdout_as_cpython(&path, &ours);
}

#[test]
fn a_key_that_raises_shows_cpythons_traceback() {
    let path = root().join("tests/comp2/sorted_key_raises.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 1, "{ours}");
    assert_eq!(ours.stdout, "[5, 4, 1]\n", "{ours}");
    // The key's frame sits right under the call of `sorted`: no prelude frame between.
    assert!(!ours.stderr.contains("prelude"), "{ours}");
    assert!(
        ours.stderr.contains("line 8, in <module>") && ours.stderr.contains("line 3, in key"),
        "{ours}"
    );
    let Some((_, err)) = cpython(&path) else {
        return;
    };
    let theirs = err.replace(&*path.to_string_lossy(), "P");
    let ours_tb: String = ours
        .stderr
        .lines()
        .filter(|l| !l.starts_with("gilvm:"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace(&*path.to_string_lossy(), "P");
    assert_eq!(ours_tb, theirs, "{ours}");
}

/// The instruction count of `sorted(xs, key=lambda v: -v)` on `n` items.
fn sort_instructions(n: u32) -> u64 {
    let src = format!("xs = list(range({n}))\nys = sorted(xs, key=lambda v: -v)\nprint(ys[0])\n");
    let out = run_with(&src, 1, &[]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, format!("{}\n", n - 1), "{out}");
    let n: String = out
        .stderr
        .lines()
        .find(|l| l.starts_with("gilvm: seed"))
        .and_then(|l| l.split(" · ").find(|p| p.ends_with(" instructions")))
        .unwrap_or_else(|| panic!("no summary\n{out}"))
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    n.parse().unwrap_or_else(|_| panic!("no count in {n:?}"))
}

#[test]
fn sorted_with_a_key_counts_only_the_keys_instructions() {
    // The lambda runs `LOAD_FAST; UNARY_NEGATIVE; RETURN_VALUE` (and its `RESUME` under the
    // py311 model): about 3 instructions an item. The prelude's decorate-sort-undecorate
    // counted about 26 more an item.
    let (a, b) = (sort_instructions(1000), sort_instructions(3000));
    let per_item = (b - a) as f64 / 2000.0;
    assert!(
        (2.5..=4.5).contains(&per_item),
        "{per_item} instructions per item ({a} for 1,000 items, {b} for 3,000)"
    );
}

#[test]
fn string_building_prints_as_cpython() {
    let path = root().join("tests/comp2/strings.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    // Independent of CPython: `f"{s}"` of a str is that str, a conversion or a padding is not.
    assert!(
        ours.stdout.starts_with("True True True False False\n"),
        "{ours}"
    );
    assert!(ours.stdout.contains("{}1{ }}{{ {in} aTruebNonec"), "{ours}");
    same_stdout_as_cpython(&path, &ours);
}

#[test]
fn dict_lookups_by_int_and_str_keys_print_as_cpython() {
    let path = root().join("tests/comp2/listdict.toy");
    let ours = run_file(&path, 1, &["-q"]);
    assert_eq!(ours.code, 0, "{ours}");
    // Independent of CPython: 1.0 and True find the int key 1, 2.0 the int key 2.
    assert!(
        ours.stdout
            .starts_with("302 t two big min none True True\n"),
        "{ours}"
    );
    same_stdout_as_cpython(&path, &ours);
}
