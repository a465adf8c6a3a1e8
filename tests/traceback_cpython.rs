//! Tracebacks against CPython 3.11's, character for character.
//!
//! Each program below fails with an uncaught exception. gilvm (`gilvm run FILE --seed 1 -q`)
//! and `python3.11 FILE` run it from the same directory under the same file name; their
//! stderr must be equal: the `Traceback (most recent call last):` header, the `File …, line
//! N, in F` entries, the source lines, CPython 3.11's `~~~^^^` markers under the failing
//! expression (or none when it spans the whole line), and the exception line. The programs
//! cover binary operations (`~~~^~~~`), subscripts (`~^^^^^`), calls and attributes
//! (`^^^^`), multi-line calls, non-ASCII source, exception chaining, `assert` (which
//! underlines its comparison) and an exception in a thread (printed by `threading.excepthook`).
//! Paths aside: see [`normalise_cpython`].
//! Without a CPython 3.11 the test prints `skipped: python3.11 not found` and passes.

use std::path::Path;
use std::process::Command;

/// `(name, program)`; each ends in an uncaught exception.
const PROGRAMS: &[(&str, &str)] = &[
    (
        "call_chain_division",
        "def ratio(count, items):\n    return count / len(items)\n\ndef main():\n    data = {'a': 1}\n    print(ratio(3, [1]))\n    total = data['a'] + ratio(1, [])\n    return total\n\nmain()\n",
    ),
    (
        "subscript_key_error",
        "d = {'x': 1}\nkey = 'y'\nvalue = d[key] * 2\n",
    ),
    (
        "attribute_in_argument",
        "class Account:\n    def __init__(self):\n        self.balance = 0\n\nacct = Account()\nprint(acct.balance + acct.owner.name)\n",
    ),
    (
        "name_error",
        "def show(n):\n    print(undefined_name + n)\n\nshow(1)\n",
    ),
    (
        "raise_statement_whole_lines",
        "def fail():\n    raise ValueError('bad input')\n\ndef run():\n    fail()\n\nrun()\n",
    ),
    (
        "nested_subscript",
        "grid = [[1, 2], [3, 4]]\nrow = 1\ncell = grid[row][5] + 1\n",
    ),
    (
        "multiline_call",
        "def compute(a, b):\n    return a // b\n\nresult = compute(\n    1, 0)\n",
    ),
    (
        "method_on_none",
        "items = None\nitems.append(1)\n",
    ),
    (
        "str_plus_int",
        "label = 'total: '\ncount = 3\nmessage = label + count\n",
    ),
    (
        "parenthesised_floor_division",
        "a, b, c = 1, 2, 0\nz = (a + b) // c\n",
    ),
    (
        "non_ascii_subscript",
        "prices = {'café': 3}\ncost = prices['thé'] * 2\n",
    ),
    (
        "chained_during_handling",
        "try:\n    {}['missing']\nexcept KeyError:\n    value = 1 / 0\n",
    ),
    (
        "augmented_assignment_whole_line",
        "counter = 0\ncounter += None\n",
    ),
    (
        "comparison_type_error",
        "limit = 'ten'\nok = 1 < limit\n",
    ),
    (
        "call_not_callable",
        "handler = 5\nresult = handler('event')\n",
    ),
    (
        "method_subscript_index_error",
        "class Box:\n    def __init__(self, items):\n        self.items = items\n\n    def first(self):\n        return self.items[0]\n\nbox = Box([])\nprint('first:', box.first())\n",
    ),
    (
        "assert_comparison",
        "def check(x):\n    assert x == 1, 'x must be 1'\n\ncheck(2)\n",
    ),
    (
        "division_by_len",
        "values = [1, 2, 3]\ntotal = sum(values) / (len(values) - 3)\n",
    ),
    (
        "exception_in_a_thread",
        "import threading\n\ndef worker(data):\n    print(data['count'] / len(data['items']))\n\nt = threading.Thread(target=worker, args=({'count': 1, 'items': []},))\nt.start()\nt.join()\nprint('done')\n",
    ),
];

/// A CPython 3.11 interpreter: `python3.11`, else `python3` if it is 3.11.
fn python311() -> Option<&'static str> {
    ["python3.11", "python3"].into_iter().find(|exe| {
        Command::new(exe)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .is_some_and(|o| String::from_utf8_lossy(&o.stdout).starts_with("Python 3.11"))
    })
}

fn stderr_of(mut cmd: Command, dir: &Path) -> (String, String) {
    let out = cmd
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// CPython's traceback with the paths aside: the script's directory (CPython 3.11 prints
/// the absolute path of the script it runs, gilvm the path as given) and the frames of
/// CPython's own `threading.py` (`_bootstrap_inner`, `run`) above a thread's target, which
/// gilvm's threads do not have.
fn normalise_cpython(stderr: &str, dir: &Path) -> String {
    let text = stderr.replace(&format!("{}/", dir.display()), "");
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with("  File \"") {
            skipping = line.contains("/threading.py\"");
        } else if !line.starts_with("    ") {
            skipping = false;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn tracebacks_equal_cpython_311() {
    let Some(python) = python311() else {
        eprintln!("skipped: python3.11 not found");
        return;
    };
    let dir = std::env::temp_dir().join(format!("gilvm-tb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut failures = Vec::new();
    for (name, source) in PROGRAMS {
        let file = format!("{name}.py");
        std::fs::write(dir.join(&file), source).expect("write program");
        let mut ours = Command::new(env!("CARGO_BIN_EXE_gilvm"));
        ours.args(["run", &file, "--seed", "1", "-q"]);
        let mut theirs = Command::new(python);
        theirs.arg(&file);
        let (a, mut b) = (stderr_of(ours, &dir), stderr_of(theirs, &dir));
        b.1 = normalise_cpython(&b.1, &dir);
        assert!(
            b.1.contains("Traceback (most recent call last):"),
            "{name}: python3.11 did not fail:\n{}",
            b.1
        );
        if a != b {
            failures.push(format!(
                "{name}:\n--- source\n{source}--- gilvm stdout\n{}--- gilvm stderr\n{}--- python3.11 stdout\n{}--- python3.11 stderr\n{}",
                a.0, a.1, b.0, b.1
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The markers are CPython's own: a few hand-checked layouts, independent of a local Python.
#[test]
fn markers_have_cpythons_layout() {
    let dir = std::env::temp_dir().join(format!("gilvm-tb-fixed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("t.py"), "def ratio(count, items):\n    return count / len(items)\n\nd = {'a': 1}\nx = d['a'] + ratio(1, [])\n").expect("write");
    let mut ours = Command::new(env!("CARGO_BIN_EXE_gilvm"));
    ours.args(["run", "t.py", "--seed", "1", "-q"]);
    let (_, err) = stderr_of(ours, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        err,
        "Traceback (most recent call last):\n  File \"t.py\", line 5, in <module>\n    x = d['a'] + ratio(1, [])\n                 ^^^^^^^^^^^^\n  File \"t.py\", line 2, in ratio\n    return count / len(items)\n           ~~~~~~^~~~~~~~~~~~\nZeroDivisionError: division by zero\n"
    );
}
