//! Robustness of the front end (DESIGN.md §8): no input makes `compile_source` panic, overflow
//! the stack or take long. Property tests feed random bytes, random token soup and mutations of
//! the seed programs; explicit tests cover pathological nesting and a 1 MB line.
//!
//! Test threads have small stacks (2 MiB by default), which makes a recursion problem show up
//! here long before it could on the main thread.

use std::time::Duration;

use proptest::prelude::*;

/// The programs of `seed/race-conditions-and-locks.md` (DESIGN.md §1), the mutation seeds.
const SEEDS: &[&str] = &[
    "import threading

counter = 0

def increment():
    global counter
    for _ in range(100_000):
        counter += 1   # NOT atomic: read counter, add 1, write back -- 3 separate steps

threads = [threading.Thread(target=increment) for _ in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
print(counter)   # often less than 400,000 -- lost updates!
",
    "import threading
counter = 0
lock = threading.Lock()

def increment():
    global counter
    for _ in range(100_000):
        with lock:              # only one thread executes this block at a time
            counter += 1

threads = [threading.Thread(target=increment) for _ in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
print(counter)   # always exactly 400,000
",
    "from queue import Queue

q = Queue()   # thread-safe by design -- internally uses its own locking

def producer():
    q.put(\"item\")

def consumer():
    item = q.get()
",
    // Not from the seed: the rest of the language, so mutations reach every rule.
    "def f(a, b=1, *args, c, d=2):
    nonlocal_x = [x * 2 for x in args if x % 2 == 0]
    try:
        assert a is not None, f\"bad {a!r:>{b}} and {c=}\"
        del nonlocal_x[0:1]
    except (KeyError, ValueError) as e:
        raise RuntimeError('x') from e
    else:
        pass
    finally:
        while a < b <= c:
            a += 1; b -= 1
            if a: break
            elif b: continue
            else: return lambda y, *z, k=3: (y, z, k)
    return {'k': -a ** 2, 'v': (c if d else ~d) >> 1}, sum(x for x in (1, 2))
",
];

/// Snippets spliced into programs: tokens and fragments that stress the lexer and parser.
const SNIPPETS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    ";",
    "\n",
    "    ",
    "\t",
    " ",
    "'",
    "\"",
    "'''",
    "\"\"\"",
    "f'{",
    "f\"{x!r:{y}}\"",
    "}",
    "{{",
    "\\",
    "\\\n",
    "#",
    "=",
    "==",
    "+=",
    "*",
    "**",
    "lambda",
    "lambda x:",
    "if",
    "else",
    "elif",
    "for",
    "in",
    "not",
    "is",
    "and",
    "or",
    "class",
    "yield",
    "def",
    "return",
    "with",
    "as",
    "try:",
    "except",
    "finally:",
    "global",
    "del",
    "import",
    "from",
    "x",
    "1",
    "1.5e3",
    "0x",
    "99999999999999999999",
    "→",
    "é",
    "\0",
    "\r",
    "\r\n",
    "\u{feff}",
    "...",
    ":=",
    "->",
    "@",
    "pass\n",
    "\n    ",
    "\n  ",
    "\n\t",
];

/// Runs the whole front end (and the compiler behind it) on `source`; only panics count.
fn compile(source: &str) {
    let _ = gilvm::compile_source("prop.toy", source);
}

/// CPU time this thread has used so far. The limits below guard against a quadratic (or worse)
/// front end, so they measure the work the test thread did, not the wall clock: a machine
/// busy with other builds stretches wall time several-fold but not a thread's CPU time.
#[cfg(unix)]
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is supported by
    // every Unix Rust targets.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Elsewhere the wall clock (a looser measure, but the same limits).
#[cfg(not(unix))]
fn thread_cpu() -> Duration {
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// Compiles `source` and checks it returns quickly; returns the result's error message, if any.
fn compile_timed(source: &str, limit: Duration) -> Option<String> {
    let start = thread_cpu();
    let result = gilvm::compile_source("big.toy", source);
    let elapsed = thread_cpu() - start;
    eprintln!("compile: {elapsed:?} for {} bytes", source.len());
    assert!(
        elapsed < limit,
        "compile took {elapsed:?} of CPU time (limit {limit:?}) on a {}-byte input",
        source.len()
    );
    let rendered = result
        .as_ref()
        .err()
        .map(|e| gilvm::error::render_compile_error(e, "big.toy", source, false));
    result.err().map(|e| {
        let _ = rendered;
        e.message
    })
}

/// Parses only (the compiler may still be a placeholder) and checks the time.
fn parse_timed(source: &str, limit: Duration) -> Result<(), String> {
    let start = thread_cpu();
    let result = gilvm::parse::parse_module(source);
    let elapsed = thread_cpu() - start;
    eprintln!("parse: {elapsed:?} for {} bytes", source.len());
    assert!(
        elapsed < limit,
        "parse took {elapsed:?} of CPU time (limit {limit:?}) on a {}-byte input",
        source.len()
    );
    result.map(|_| ()).map_err(|e| e.message)
}

/// One edit of a mutation: where (as a fraction of the length), what, and with which snippet.
#[derive(Clone, Debug)]
struct Edit {
    at: usize,
    len: usize,
    kind: u8,
    snippet: usize,
}

fn apply(source: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = source.chars().collect();
    for e in edits {
        let at = if chars.is_empty() {
            0
        } else {
            e.at % (chars.len() + 1)
        };
        let end = (at + e.len % 8).min(chars.len());
        let snippet: Vec<char> = SNIPPETS[e.snippet % SNIPPETS.len()].chars().collect();
        match e.kind % 4 {
            0 => {
                chars.splice(at..at, snippet);
            }
            1 => {
                chars.drain(at..end);
            }
            2 => {
                chars.splice(at..end, snippet);
            }
            _ => {
                let copy: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, copy);
            }
        }
    }
    chars.into_iter().collect()
}

fn edit() -> impl Strategy<Value = Edit> {
    (any::<usize>(), any::<usize>(), any::<u8>(), any::<usize>()).prop_map(
        |(at, len, kind, snippet)| Edit {
            at,
            len,
            kind,
            snippet,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        compile(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup_never_panics(picks in proptest::collection::vec(any::<usize>(), 0..120)) {
        let source: String = picks.iter().map(|&i| SNIPPETS[i % SNIPPETS.len()]).collect::<Vec<_>>().join(" ");
        compile(&source);
    }

    #[test]
    fn mutated_seeds_never_panic(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        compile(&apply(SEEDS[seed], &edits));
    }
}

#[test]
fn seeds_parse() {
    for seed in SEEDS {
        if let Err(e) = gilvm::parse::parse_module(seed) {
            panic!("seed failed to parse: {e:?}\n{seed}");
        }
    }
}

#[test]
fn ten_thousand_nested_brackets() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{", "}")] {
        let source = format!("x = {}1{}\n", open.repeat(10_000), close.repeat(10_000));
        let err = compile_timed(&source, Duration::from_secs(5));
        assert_eq!(err.as_deref(), Some("too many nested parentheses"));
    }
    // Unclosed, and inside an f-string field.
    let err = compile_timed(&"(".repeat(10_000), Duration::from_secs(5));
    assert_eq!(err.as_deref(), Some("too many nested parentheses"));
    let source = format!("x = f'{{{}1{}}}'\n", "(".repeat(10_000), ")".repeat(10_000));
    let err = compile_timed(&source, Duration::from_secs(5));
    assert!(err.is_some_and(|m| m.contains("too many nested parentheses")));
}

#[test]
fn deep_expressions_are_an_error_not_a_crash() {
    let n = 100_000;
    let cases = [
        format!("x = {}1\n", "-".repeat(n)),
        format!("x = {}1\n", "not ".repeat(n)),
        format!("x = 1{}\n", " + 1".repeat(n)),
        format!("x = 2{}\n", " ** 2".repeat(n)),
        format!("x = a{}\n", ".b".repeat(n)),
        format!("x = f{}\n", "()".repeat(n)),
        format!("x = a{}\n", "[0]".repeat(n)),
        format!("x = {}1\n", "lambda: ".repeat(n)),
        format!("x = 1{}\n", " if 1 else 1".repeat(n)),
        format!(
            "x = {}{}1{}\n",
            "[".repeat(150),
            "-".repeat(100),
            "]".repeat(150)
        ),
    ];
    for source in &cases {
        let err = compile_timed(source, Duration::from_secs(10));
        let msg = err.unwrap_or_default();
        assert!(
            msg.contains("too deeply nested") || msg.contains("too many nested"),
            "unexpected result {msg:?} for {}...",
            &source[..40.min(source.len())]
        );
    }
    // Just under the limits parses.
    assert_eq!(
        parse_timed(
            &format!("x = {}1\n", "-".repeat(190)),
            Duration::from_secs(2)
        ),
        Ok(())
    );
    assert_eq!(
        parse_timed(
            &format!("x = {}1{}\n", "[".repeat(190), "]".repeat(190)),
            Duration::from_secs(2)
        ),
        Ok(())
    );
}

/// The deepest trees the parser accepts go through the whole compiler without overflowing
/// a 2 MiB test-thread stack (the compiler and every later walk recurse on the AST).
#[test]
fn deepest_accepted_trees_compile() {
    let limit = Duration::from_secs(10);
    let mut deep_block = String::new();
    for i in 0..98 {
        deep_block.push_str(&format!("{}if x:\n", " ".repeat(i)));
    }
    deep_block.push_str(&format!("{}x = {}1\n", " ".repeat(98), "-".repeat(190)));
    let cases = [
        format!("x = {}1\n", "-".repeat(199)),
        format!("x = {}1\n", "not ".repeat(199)),
        format!("x = 1{}\n", " + 1".repeat(199)),
        format!("x = 2{}\n", " ** 2".repeat(199)),
        format!("x = {}1{}\n", "[".repeat(199), "]".repeat(199)),
        format!("x = {}1{}\n", "f(".repeat(199), ")".repeat(199)),
        format!("x = {}1\n", "lambda: ".repeat(199)),
        format!("x = 1{}\n", " if 1 else 1".repeat(199)),
        format!("x = a{}\n", ".b".repeat(199)),
        format!("x = {}1{}\n", "(1, [".repeat(99), "])".repeat(99)),
        format!("def f():\n    return {}1\n", "lambda: ".repeat(190)),
        deep_block,
    ];
    for source in &cases {
        assert_eq!(
            parse_timed(source, limit),
            Ok(()),
            "{}",
            &source[..60.min(source.len())]
        );
        compile_timed(source, limit);
    }
}

#[test]
fn one_megabyte_lines() {
    let limit = Duration::from_secs(20);
    // A long, flat, valid line.
    let list = format!("x = [{}]\n", "1, ".repeat(350_000));
    assert!(list.len() > 1_000_000);
    assert_eq!(parse_timed(&list, limit), Ok(()));
    compile_timed(&list, limit);
    // A long string, a long name, long comment, a long run of adjacent strings.
    let cases = [
        format!("x = '{}'\n", "a".repeat(1_000_000)),
        format!("{} = 1\n", "a".repeat(1_000_000)),
        format!("x = 1  # {}\n", "c".repeat(1_000_000)),
        format!("x = {}\n", "'a' ".repeat(250_000)),
        format!("x = f'{}'\n", "{x}".repeat(250_000)),
        format!("x = {}\n", "1 if 1 else ".repeat(100_000)),
    ];
    for source in &cases {
        compile_timed(source, limit);
    }
    // Long invalid lines: a clear error, quickly.
    let bad = [
        format!("x = [{}\n", "1, ".repeat(350_000)),
        format!("x = {}\n", "1 1 ".repeat(250_000)),
        format!("x = '{}\n", "a".repeat(1_000_000)),
        "\u{1}".repeat(1_000_000),
    ];
    for source in &bad {
        assert!(compile_timed(source, limit).is_some());
    }
}

#[test]
fn many_lines_and_deep_blocks() {
    let limit = Duration::from_secs(20);
    let lines = "x = x + 1\n".repeat(100_000);
    assert_eq!(parse_timed(&lines, limit), Ok(()));
    // 99 levels of blocks is the most CPython allows.
    let mut deep = String::new();
    for i in 0..98 {
        deep.push_str(&format!("{}if x:\n", " ".repeat(i)));
    }
    deep.push_str(&format!("{}pass\n", " ".repeat(98)));
    assert_eq!(parse_timed(&deep, limit), Ok(()));
    compile_timed(&deep, limit);
}

/// CPython is the oracle for `tests/errors/`: each program there must be invalid Python too,
/// unless its golden says gilvm rejects it by design (valid Python outside gilvm's language).
#[test]
fn error_programs_are_invalid_python() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/errors");
    let mut must_fail = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .expect("tests/errors exists")
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "toy") {
            let golden = std::fs::read_to_string(path.with_extension("golden")).unwrap_or_default();
            let by_design = [
                "not supported by gilvm",
                "for gilvm",
                "too deeply nested",
                "not provided by gilvm",
            ];
            if !by_design.iter().any(|m| golden.contains(m)) {
                must_fail.push(path.display().to_string());
            }
        }
    }
    must_fail.sort();
    assert!(
        must_fail.len() >= 20,
        "only {} invalid programs",
        must_fail.len()
    );
    let script = r#"
import sys
for path in sys.argv[1:]:
    try:
        compile(open(path, encoding="utf-8").read(), path, "exec")
        print("accepted by python3: " + path)
    except (SyntaxError, ValueError):
        pass
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .args(&must_fail)
        .output();
    let Ok(out) = out else {
        eprintln!("skipped: python3 not found");
        return;
    };
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && report.trim().is_empty(),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
