//! A bounded fuzzer over the whole pipeline, on the stable toolchain: source text mutated from
//! the shipped programs (and the tests' programs) → compile → disassemble → run a few thousand
//! instructions under a random GIL model with recording → run again → trace → replay
//! (`gilvm::fuzzcheck::check`, which the `cargo fuzz` target in `fuzz/` runs too). No panic
//! anywhere (proptest reports one as a failure, with the mutated source), a compile error is
//! an error value, the same run twice is identical, the traced run is the run, and the replay
//! is the run.
//!
//! `cargo test --test fuzz_pipeline` runs 64 cases; a campaign is the same test with more:
//! `PROPTEST_CASES=20000 cargo test --release --test fuzz_pipeline`.

use std::path::Path;

use gilvm::vm::driver::Ending;
use gilvm::vm::gil::GilModel;
use proptest::prelude::*;

/// Every `.toy` file under `programs/` and `tests/`, sorted.
fn corpus() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "toy") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("programs"), &mut files);
    walk(&root.join("tests"), &mut files);
    files.sort();
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

/// Snippets a mutation may insert: statements a thread program is made of, and some that are
/// not valid Python at all.
const SNIPPETS: &[&str] = &[
    "counter += 1",
    "with lock:",
    "    pass",
    "import threading",
    "t = threading.Thread(target=print, args=(1,))",
    "t.start()",
    "time.sleep(0.001)",
    "x = [0] * 1000",
    "while True:",
    "    x = x + x",
    "raise ValueError('fuzz')",
    "def f(*a, **k): return f",
    "lambda: (yield)",
    "class C: pass",
    "print(f'{1:>10}')",
    "q.put(None)",
    "1/0",
    "}{",
    "    ",
    "\t",
    "'''",
    "if x",
    "global counter",
];

#[derive(Clone, Debug)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Insert(usize, usize),
    ChangeNumber(usize, i64),
    Truncate(usize),
    DeleteByte(usize),
}

fn mutate(src: &str, muts: &[Mutation]) -> String {
    let mut lines: Vec<String> = src.lines().map(str::to_string).collect();
    for m in muts {
        let n = lines.len().max(1);
        match *m {
            Mutation::DeleteLine(i) if !lines.is_empty() => {
                lines.remove(i % n);
            }
            Mutation::DuplicateLine(i) if !lines.is_empty() => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Mutation::SwapLines(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
            Mutation::Insert(i, k) => {
                let at = i % (lines.len() + 1);
                // Keep the indentation of the line it lands before, most of the time.
                let indent: String = lines
                    .get(at)
                    .map(|l| l.chars().take_while(|c| *c == ' ').collect())
                    .unwrap_or_default();
                lines.insert(at, format!("{indent}{}", SNIPPETS[k % SNIPPETS.len()]));
            }
            Mutation::ChangeNumber(i, v) if !lines.is_empty() => {
                let l = &mut lines[i % n];
                if let Some(start) = l.find(|c: char| c.is_ascii_digit()) {
                    let end = l[start..]
                        .find(|c: char| !c.is_ascii_digit() && c != '_')
                        .map_or(l.len(), |e| start + e);
                    l.replace_range(start..end, &v.to_string());
                }
            }
            Mutation::Truncate(at) => {
                let text = lines.join("\n");
                let mut cut = at % (text.len() + 1);
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                lines = text[..cut].lines().map(str::to_string).collect();
            }
            Mutation::DeleteByte(at) => {
                let mut text = lines.join("\n");
                if !text.is_empty() {
                    let mut i = at % text.len();
                    while !text.is_char_boundary(i) {
                        i -= 1;
                    }
                    text.remove(i);
                }
                lines = text.lines().map(str::to_string).collect();
            }
            _ => {}
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Insert(a, b)),
        (
            any::<usize>(),
            prop_oneof![
                Just(0i64),
                Just(1),
                Just(-1),
                Just(2),
                Just(1 << 40),
                -5i64..100_000
            ]
        )
            .prop_map(|(a, v)| Mutation::ChangeNumber(a, v)),
        any::<usize>().prop_map(Mutation::Truncate),
        any::<usize>().prop_map(Mutation::DeleteByte),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_programs_compile_or_fail_cleanly_and_replay_exactly(
        pick in any::<usize>(),
        muts in prop::collection::vec(mutation(), 0..4),
        model in 0usize..5,
        seed in 0u64..1000,
        max_steps in 500u64..6_000,
    ) {
        let corpus = corpus();
        prop_assume!(!corpus.is_empty());
        let src = mutate(&corpus[pick % corpus.len()], &muts);
        let checked = gilvm::fuzzcheck::check(&src, GilModel::ALL[model], seed, max_steps);
        prop_assert!(checked.is_ok(), "{}\n--- the program\n{}", checked.unwrap_err(), src);
    }
}

/// Found by this fuzzer: two sleeps of 2^40 s overflowed the virtual clock (a panic in a debug
/// build, time running backwards in a release build).
#[test]
fn sleeping_to_the_end_of_time_saturates_the_clock() {
    let src = "import time, threading\n\
               def f():\n    time.sleep(1099511627776)\n    time.sleep(1099511627776)\n    print('woke', time.monotonic() > 0)\n\
               t = threading.Thread(target=f)\nt.start()\nt.join()\nprint('done')\n";
    let program = gilvm::compile_source("t.toy", src).expect("compiles");
    let image = gilvm::run::image(&program).expect("links");
    let cfg = gilvm::run::run_config(GilModel::Any, 100, 100_000, 0);
    let (seen, _) = gilvm::fuzzcheck::run_once(&image, cfg);
    assert_eq!(seen.stdout, "woke True\ndone\n", "{}", seen.stderr);
    assert_eq!(seen.ending, Ending::Normal);
}
