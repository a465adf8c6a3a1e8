//! DESIGN.md §8 from the outside: absurd command-line values, malformed or edited schedule
//! files, and source that nests or chains without end each get a clear message and a
//! documented exit status (2 usage, 3 compile, 5 limit) — never a panic, a hang or a signal.
//! One test per kind of input, each case named by what it feeds gilvm.

use std::process::{Command, Output};

mod common;

fn gilvm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("gilvm runs")
}

fn path(src: &str) -> String {
    common::write_program(src)
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

/// Runs `args` and checks the status and that stderr contains `needle`.
fn expect(args: &[&str], status: i32, needle: &str) {
    let started = std::time::Instant::now();
    let out = gilvm(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(status), "{args:?}\n{err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in\n{err}"
    );
    assert!(!err.contains("panicked"), "{args:?}\n{err}");
    assert!(
        started.elapsed().as_secs() < 60,
        "{args:?}: {:?}",
        started.elapsed()
    );
}

#[test]
fn absurd_command_line_values() {
    let p = path("print(1)\n");
    let p = p.as_str();
    // A negative number is the option's value (and refused as such), not an unknown option.
    expect(
        &["run", p, "--switch-interval", "-1"],
        2,
        "error: --switch-interval for --gil any is a positive instruction count, not `-1`",
    );
    expect(
        &["run", p, "--gil", "py39", "--switch-interval", "-5ms"],
        2,
        "error: --switch-interval `-5ms` is out of range (1ns to 11 days)",
    );
    expect(
        &["run", p, "--switch-interval", "99999999999999999999999"],
        2,
        "positive instruction count, not `99999999999999999999999`",
    );
    expect(
        &["run", p, "--seed", "-1"],
        2,
        "invalid value '-1' for '--seed <SEED>'",
    );
    expect(
        &["run", p, "--seed", "18446744073709551616"],
        2,
        "number too large to fit in target type",
    );
    expect(
        &["run", p, "--seed", "18446744073709551615"],
        0,
        "gilvm: seed 18446744073709551615 · model any",
    );
    expect(
        &["run", p, "--max-steps", "-5"],
        2,
        "invalid value '-5' for '--max-steps <N>'",
    );
    // No instruction runs: the limit at once, and no "line 0".
    expect(
        &["run", p, "--max-steps", "0", "--seed", "1"],
        5,
        "gilvm: stopped after 0 instructions (--max-steps); the program may be in an infinite loop\n  MainThread (runnable): at the start of <module>\n",
    );
    expect(
        &["run", p, "--max-memory", "99999999999999999999"],
        2,
        "--max-memory wants a size such as 512MB, 2GB or 1GiB (at least 1MiB)",
    );
    expect(
        &["trace", p, "--seed", "1", "--limit", "-1"],
        2,
        "invalid value '-1' for '--limit <N>'",
    );
    expect(
        &["trace", p, "--lines", "99999999999999999999-1"],
        2,
        "error: --lines: expected a line range like 7-9",
    );
    expect(
        &["sweep", p, "--seeds", "0..18446744073709551615"],
        2,
        "error: a sweep is limited to 10,000,000 runs (seeds × models); this one asks for 18,446,744,073,709,551,615",
    );
    expect(
        &["sweep", p, "--seeds", "0..=18446744073709551615"],
        2,
        "error: --seeds 0..=18446744073709551615: the last seed can be at most 18446744073709551614",
    );
    expect(
        &["sweep", p, "--seeds", "0..2", "--switch-interval", "-5"],
        2,
        "positive instruction count, not `-5`",
    );
    expect(
        &["sweep", p, "--seeds", "0..2", "--jobs", "100000"],
        2,
        "100000 is not in 1..=1024",
    );
    expect(
        &["sweep", p, "--seeds", "0..2", "--top", "-1"],
        2,
        "invalid value '-1' for '--top <N>'",
    );
    expect(
        &[
            "sweep",
            p,
            "--seeds",
            "0..2",
            "--top",
            "18446744073709551615",
        ],
        0,
        "",
    );
    expect(&["sweep", p, "--seeds", "0..2", "--max-steps", "0"], 0, "");
}

/// A recorded schedule of a small two-thread program, its header and its body.
fn recorded() -> (String, String, String) {
    let program = path(
        "import threading\nn = 0\ndef work():\n    global n\n    for _ in range(50):\n        n += 1\nts = [threading.Thread(target=work) for _ in range(2)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(n)\n",
    );
    let schedule = format!("{program}.schedule");
    let out = gilvm(&["run", &program, "--seed", "3", "--record", &schedule, "-q"]);
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&schedule).expect("schedule");
    let (header, body) = text.split_once("---\n").expect("a body");
    (program, header.to_string(), body.to_string())
}

#[test]
fn malformed_schedules() {
    let (program, header, body) = recorded();
    let write = |name: &str, text: &str| {
        let p = format!("{program}.{name}");
        std::fs::write(&p, text).expect("write schedule");
        p
    };
    let with_header = |from: &str, to: &str| {
        assert!(header.contains(from), "{header}");
        format!("{}---\n{body}", header.replace(from, to))
    };
    let cases: Vec<(&str, String, i32, &str)> = vec![
        (
            "a header cut after its model",
            header.lines().take(5).collect::<Vec<_>>().join("\n"),
            2,
            "the schedule has no `---` line before its slices",
        ),
        (
            "a header cut inside its hash",
            header[..header.find("fnv1a64:").expect("hash") + 12].to_string(),
            2,
            "line 4: expected `program-hash fnv1a64:<16 hex digits>`",
        ),
        (
            "garbage",
            "\u{1}\u{2}garbage\n---\n".into(),
            2,
            "not a gilvm schedule: the first line must be `gilvm-schedule 2` (or 1)",
        ),
        (
            "misspelt option",
            with_header("max-steps", "max-stpes"),
            2,
            "line 7: unknown header line `max-stpes`",
        ),
        (
            "huge format",
            with_header("gilvm-schedule 2", "gilvm-schedule 99999999999999999999"),
            2,
            "schedule format 99999999999999999999 is not supported",
        ),
        (
            "huge seed",
            with_header("seed 3", "seed 18446744073709551616"),
            2,
            "the seed must be a number, found `18446744073709551616`",
        ),
        (
            "huge interval",
            with_header("switch-interval 100", "switch-interval 99999999999999999999999"),
            2,
            "--switch-interval for --gil any is a positive instruction count",
        ),
        (
            "another model's huge interval",
            with_header("model any", "model py311")
                .replace("switch-interval 100", "switch-interval 18446744073709551615"),
            2,
            "--switch-interval `18446744073709551615ns` is out of range (1ns to 11 days)",
        ),
        (
            "zero max-steps",
            with_header("max-steps 2000000000", "max-steps 0"),
            5,
            "gilvm: stopped after 0 instructions (--max-steps)",
        ),
        (
            "tiny max-memory",
            with_header("max-steps 2000000000", "max-steps 2000000000\nmax-memory 1"),
            2,
            "--max-memory wants a size such as 512MB, 2GB or 1GiB (at least 1MiB), found `1`",
        ),
        (
            "huge turn",
            format!("{header}---\nT0 18446744073709551615\n"),
            0,
            "",
        ),
        (
            "turn count past u64",
            format!("{header}---\nT0 18446744073709551616\n"),
            2,
            "line 10: expected an instruction count or `*`, found `18446744073709551616`",
        ),
        (
            "huge thread",
            format!("{header}---\nwake T4294967296\n"),
            2,
            "line 10: expected a thread like `T1`, found `T4294967296`",
        ),
        (
            "thread that never exists",
            format!("{header}---\nT99 5\n"),
            2,
            "the schedule cannot be followed: it runs thread T99, which is not created yet at this point (after 0 instructions)",
        ),
        (
            "turns of a blocked thread",
            format!("{header}---\nT0 *\nT0 *\nT0 *\n"),
            2,
            "the schedule cannot be followed: it runs thread T0, which is blocked at this point",
        ),
        (
            "another program",
            with_header(&format!("program {program}"), "program programs/counter_race.toy"),
            2,
            "was recorded for a different version of programs/counter_race.toy",
        ),
        (
            "a directory as the program",
            with_header(&format!("program {program}"), "program /"),
            2,
            "replays /, which cannot be read",
        ),
    ];
    for (name, text, status, needle) in &cases {
        let p = write(&name.replace(' ', "_"), text);
        eprintln!("case: {name}");
        expect(&["replay", &p, "-q"], *status, needle);
    }
    // Not UTF-8.
    let p = format!("{program}.binary");
    std::fs::write(&p, b"gilvm-schedule 2\n\xff\xfe\n---\n").expect("write");
    expect(&["replay", &p], 2, "stream did not contain valid UTF-8");
    // `trace --schedule` reads schedules with the same checks.
    let p = write("trace_misspelt", &with_header("max-steps", "max-stpes"));
    expect(
        &["trace", &program, "--schedule", &p, "-o", "/dev/null"],
        2,
        "unknown header line `max-stpes`",
    );
}

/// Source text generated at sizes CPython accepts: deep nesting is a syntax error (gilvm's
/// parser limits depth), long flat chains compile in linear time, and recursion at run time
/// is Python's `RecursionError` — never a stack overflow of gilvm.
#[test]
fn deep_and_long_source() {
    let n = 100_000;
    let chain = |op: &str, n: usize| format!("a = 1\nx = {}\n", vec!["a"; n].join(op));
    let cases: Vec<(&str, String, i32, &str)> = vec![
        (
            "100,000 nested parentheses",
            format!("x = {}1{}\n", "(".repeat(n), ")".repeat(n)),
            3,
            "SyntaxError: too many nested parentheses",
        ),
        (
            "100,000 nested lists",
            format!("x = {}{}\n", "[".repeat(n), "]".repeat(n)),
            3,
            "SyntaxError: too many nested parentheses",
        ),
        (
            "a chain of 100,000 additions",
            chain("+", n),
            3,
            "SyntaxError: expression too deeply nested (more than 200 levels)",
        ),
        (
            "100,000 unary minuses",
            format!("x = {}1\n", "-".repeat(n)),
            3,
            "expression too deeply nested",
        ),
        (
            "20,000 nested lambdas",
            format!("f = {}1\n", "lambda: ".repeat(20_000)),
            3,
            "expression too deeply nested",
        ),
        (
            "1,000 nested blocks",
            (0..1000)
                .map(|i| format!("{}if True:\n", " ".repeat(i)))
                .collect::<String>()
                + &" ".repeat(1000)
                + "pass\n",
            3,
            "IndentationError: too many levels of indentation",
        ),
        // Flat: one bool operation with 100,000 operands (quadratic in the assembler once:
        // two minutes in a debug build, three seconds now).
        ("a chain of 100,000 `and`s", chain(" and ", n), 0, ""),
        ("a chain of 20,000 `or`s", chain(" or ", 20_000), 0, ""),
        ("a chain of 20,000 comparisons", chain(" < ", 20_000), 0, ""),
        ("a tuple of 20,000 items", chain(", ", 20_000), 0, ""),
        (
            "unbounded recursion",
            "def f(n):\n    return f(n + 1)\nf(0)\n".into(),
            1,
            "RecursionError: maximum recursion depth exceeded",
        ),
        (
            "unbounded recursion under a raised limit",
            "import sys\nsys.setrecursionlimit(10**9)\ndef f(n):\n    return f(n + 1)\nf(0)\n"
                .into(),
            1,
            "RecursionError: maximum recursion depth exceeded",
        ),
        (
            "a repr that calls itself",
            "class A:\n    def __repr__(self):\n        return repr(self)\nprint(A())\n".into(),
            1,
            "RecursionError: maximum recursion depth exceeded",
        ),
        (
            "a key function that sorts with itself",
            "def k(x):\n    return sorted([1, 2], key=k)\nk(1)\n".into(),
            1,
            "RecursionError: maximum recursion depth exceeded",
        ),
        (
            "the repr of a list nested 20,000 deep",
            "x = []\nfor i in range(20000):\n    x = [x]\nprint(len(str(x)))\n".into(),
            1,
            "RecursionError: maximum recursion depth exceeded while getting the repr of an object",
        ),
        (
            "comparing lists nested 20,000 deep",
            "x = []\ny = []\nfor i in range(20000):\n    x = [x]\n    y = [y]\nprint(x == y)\n"
                .into(),
            1,
            "RecursionError: maximum recursion depth exceeded in comparison",
        ),
        (
            "hashing tuples nested 20,000 deep",
            "x = ()\nfor i in range(20000):\n    x = (x,)\nprint(hash(x))\n".into(),
            1,
            "RecursionError: maximum recursion depth exceeded while hashing",
        ),
    ];
    for (name, src, status, needle) in &cases {
        let p = path(src);
        eprintln!("case: {name}");
        expect(&["run", &p, "--seed", "1", "-q"], *status, needle);
    }
}
