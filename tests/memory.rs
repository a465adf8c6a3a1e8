//! Memory exhaustion is Python's `MemoryError` (exit status 1), or at worst exit status 5 with a
//! message — never a signal — in `run` and `trace`, under gilvm's heap limit (`--max-memory`)
//! and under an address-space limit (`prlimit --as=2000000000`, when util-linux's `prlimit` is
//! installed).

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Two gigabytes of address space, as the fuzz campaign of issue 16 used.
const AS_LIMIT: &str = "--as=2000000000";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn write_program(src: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gilvm-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("p{}.toy", COUNTER.fetch_add(1, Ordering::SeqCst)));
    std::fs::write(&path, src).expect("write program");
    path
}

fn has_prlimit() -> bool {
    let ok = Command::new("prlimit")
        .args([AS_LIMIT, "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!(
            "SKIPPED: util-linux `prlimit` is missing: the address-space part is not checked"
        );
    }
    ok
}

struct Ended {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `gilvm ARGS…`, under `prlimit --as=2000000000` when `limited`.
fn gilvm(args: &[&str], limited: bool) -> Ended {
    let mut cmd = if limited {
        let mut c = Command::new("prlimit");
        c.arg(AS_LIMIT).arg(env!("CARGO_BIN_EXE_gilvm"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_gilvm"))
    };
    let out = cmd
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("gilvm runs");
    Ended {
        code: out.status.code(),
        signal: out.status.signal(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The run ended with `MemoryError`: status 1 and a Python traceback, or status 5 and gilvm's
/// message; no signal either way.
fn assert_memory_error(what: &str, e: &Ended) {
    assert_eq!(
        e.signal, None,
        "{what}: killed by a signal\n--- stderr\n{}",
        e.stderr
    );
    assert!(
        matches!(e.code, Some(1) | Some(5)),
        "{what}: exit {:?}\n--- stderr\n{}",
        e.code,
        e.stderr
    );
    assert!(
        e.stderr.contains("MemoryError"),
        "{what}: no MemoryError\n--- stderr\n{}",
        e.stderr
    );
    if e.code == Some(1) {
        assert!(
            e.stderr.contains("Traceback (most recent call last):"),
            "{what}: {}",
            e.stderr
        );
    }
}

/// Programs that exhaust memory in the ways issue 16 lists; each needs no more than a few
/// seconds of a debug build before its `MemoryError`.
const EXHAUSTING: [(&str, &str); 14] = [
    ("repetition", "x = [0] * 100000000\nprint(len(x))\n"),
    ("huge repetition", "x = [0, 1] * 10**12\n"),
    ("string doubling", "s = 'x'\nwhile True:\n    s = s + s\n"),
    ("list doubling", "l = [0]\nwhile True:\n    l = l + l\n"),
    ("list *= 2", "l = [0]\nwhile True:\n    l *= 2\n"),
    (
        "extend by itself",
        "l = [0]\nwhile True:\n    l.extend(l)\n",
    ),
    ("str * n", "s = 'ab' * 1500000000\n"),
    ("tuple concat", "t = (1,)\nwhile True:\n    t = t + t\n"),
    ("range to list", "l = list(range(10**9))\n"),
    ("f-string width", "x = 5\ns = f'{x:>2000000000}'\n"),
    ("join", "s = ','.join(['x' * 1000000] * 3000)\n"),
    ("%-format width", "s = '%2000000000d' % 5\n"),
    ("str.format width", "s = '{:>2000000000}'.format(5)\n"),
    (
        "center and zfill",
        "s = 'ab'.center(1100000000)\nt = '-5'.zfill(1100000000)\n",
    ),
];

#[test]
fn exhausting_memory_is_a_memory_error_under_the_default_limit() {
    for (what, src) in EXHAUSTING {
        let path = write_program(src);
        let e = gilvm(&["run", path.to_str().unwrap(), "--seed", "1", "-q"], false);
        assert_memory_error(what, &e);
        assert_eq!(e.code, Some(1), "{what}: {}", e.stderr);
        assert!(e.stderr.ends_with("MemoryError\n"), "{what}: {}", e.stderr);
    }
}

#[test]
fn exhausting_memory_is_a_memory_error_under_an_address_space_limit() {
    if !has_prlimit() {
        return;
    }
    for (what, src) in EXHAUSTING {
        let path = write_program(src);
        let e = gilvm(&["run", path.to_str().unwrap(), "--seed", "1", "-q"], true);
        assert_memory_error(what, &e);
    }
}

/// Growth one item at a time, under a small `--max-memory` so it is quick.
#[test]
fn growth_in_a_loop_is_counted_in_bytes() {
    let cases = [
        (
            "append",
            "l = []\ni = 0\nwhile True:\n    l.append(i)\n    i += 1\n",
        ),
        (
            "dict",
            "d = {}\ni = 0\nwhile True:\n    d[i] = i\n    i += 1\n",
        ),
        ("comprehension", "l = [i for i in range(10**9)]\n"),
        (
            "sorted",
            "l = list(range(3000000))\nm = sorted(l)\nn = sorted(m)\n",
        ),
        (
            "str +=",
            "s = ''\nwhile True:\n    s += 'abcdefgh' * 1000\n",
        ),
        ("f-string", "x = 1\ns = f'{x:>40000000}'\n"),
        (
            "set.add",
            "s = set()\ni = 0\nwhile True:\n    s.add(i)\n    i += 1\n",
        ),
        ("set comprehension", "s = {i for i in range(10**9)}\n"),
        ("set from range", "s = set(range(10**9))\n"),
        (
            "set |=",
            "s = {0}\ni = 1\nwhile True:\n    s |= set(range(i, 2 * i))\n    i *= 2\n",
        ),
    ];
    for (what, src) in cases {
        let path = write_program(src);
        let e = gilvm(
            &[
                "run",
                path.to_str().unwrap(),
                "--seed",
                "1",
                "-q",
                "--max-memory",
                "32MB",
            ],
            false,
        );
        assert_memory_error(what, &e);
        assert_eq!(e.code, Some(1), "{what}: {}", e.stderr);
    }
}

/// A dict keyed by long unique strings holds each key twice — the string object and the
/// dict's own copy of its text (`HashKey`) — and the heap limit counts both: with 1 KB keys,
/// 64 MiB hold about 30,000 of them (about 2.2 KB each), not the 57,344 counted when the
/// copies were left out.
#[test]
fn a_dict_s_string_keys_are_counted_twice() {
    let src = "d = {}\np = 'k' * 1000\ni = 0\ntry:\n    while True:\n        d[p + str(i)] = i\n        i += 1\nexcept MemoryError:\n    n = len(d)\n    d = None\n    print('MemoryError after', n, 'keys')\n";
    let path = write_program(src);
    let e = gilvm(
        &[
            "run",
            path.to_str().unwrap(),
            "--seed",
            "1",
            "-q",
            "--max-memory",
            "64MiB",
        ],
        false,
    );
    assert_eq!(e.code, Some(0), "{}", e.stderr);
    let n: usize = e
        .stdout
        .strip_prefix("MemoryError after ")
        .and_then(|r| r.strip_suffix(" keys\n"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", e.stdout));
    assert!((27_000..34_000).contains(&n), "{n} keys");
}

#[test]
fn a_memory_error_can_be_caught() {
    let path = write_program(
        "try:\n    x = [0] * 10**9\nexcept MemoryError:\n    print('caught')\nprint('done')\n",
    );
    let e = gilvm(&["run", path.to_str().unwrap(), "--seed", "1", "-q"], false);
    assert_eq!(e.code, Some(0), "{}", e.stderr);
    assert_eq!(e.stdout, "caught\ndone\n");
}

#[test]
fn max_memory_is_an_option_of_the_run_and_of_its_replay() {
    let path = write_program("l = [0] * 1000000\nprint(len(l))\n");
    let file = path.to_str().unwrap();
    // 16 MB holds a million items (16 bytes each); 8 MB does not.
    let e = gilvm(&["run", file, "--seed", "1", "--max-memory", "20MB"], false);
    assert_eq!(e.code, Some(0), "{}", e.stderr);
    assert!(
        e.stderr.contains("--seed 1 --max-memory 20MB"),
        "the replay command keeps the limit: {}",
        e.stderr
    );
    let e = gilvm(&["run", file, "--seed", "1", "--max-memory", "8MiB"], false);
    assert_eq!(e.code, Some(1), "{}", e.stderr);
    let schedule = path.with_extension("schedule");
    let sched = schedule.to_str().unwrap();
    let e = gilvm(
        &[
            "run",
            file,
            "--seed",
            "1",
            "--max-memory",
            "8MiB",
            "--record",
            sched,
        ],
        false,
    );
    assert_eq!(e.code, Some(1), "{}", e.stderr);
    let replayed = gilvm(&["replay", sched, "-q"], false);
    assert_eq!(replayed.code, Some(1), "{}", replayed.stderr);
    assert!(
        replayed.stderr.ends_with("MemoryError\n"),
        "{}",
        replayed.stderr
    );
    for bad in ["lots", "12 parsecs", "100kB"] {
        let e = gilvm(&["run", file, "--seed", "1", "--max-memory", bad], false);
        assert_eq!(e.code, Some(2), "{bad}: {}", e.stderr);
        assert!(e.stderr.contains("--max-memory"), "{}", e.stderr);
    }
    let e = gilvm(
        &["sweep", file, "--seeds", "0..2", "--max-memory", "8MiB"],
        false,
    );
    assert_eq!(e.code, Some(0), "{}", e.stderr);
    assert!(e.stdout.contains("MemoryError"), "{}", e.stdout);
}

fn trace(path: &Path, format: &str, limited: bool) -> Ended {
    gilvm(
        &[
            "trace",
            path.to_str().unwrap(),
            "--seed",
            "1",
            "-q",
            "--format",
            format,
        ],
        limited,
    )
}

#[test]
fn trace_of_a_program_that_exhausts_memory_ends_in_memory_error() {
    let limited = has_prlimit();
    for src in [
        "s = 'x'\nwhile True:\n    s = s + s\n",
        "l = [0]\nwhile True:\n    l = l + l\n",
    ] {
        let path = write_program(src);
        for format in ["text", "jsonl"] {
            let started = std::time::Instant::now();
            let e = trace(&path, format, limited);
            assert_memory_error(&format!("trace --format {format}"), &e);
            assert!(
                started.elapsed().as_secs() < 60,
                "the trace took {:?}",
                started.elapsed()
            );
        }
    }
}
