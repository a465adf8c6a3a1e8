//! Generates the parser from `grammar/toy.lalrpop` into `OUT_DIR` (never checked in), and
//! fingerprints the front end for the precompiled prelude (`src/vm/precompiled.rs`).
use std::path::{Path, PathBuf};

/// The front end: what decides the bytecode the compiler makes of any source. A change to
/// any of these files makes the checked-in image of the prelude and the Python-written
/// modules (`src/vm/precompiled.bin`) stale: gilvm then compiles them as it runs, and the
/// image's test says how to make it again. (Their sources are checked by the image itself,
/// each section against the text it was compiled from.)
const FRONT_END: &[&str] = &[
    "grammar",
    "src/lib.rs",
    "src/ast.rs",
    "src/bytecode.rs",
    "src/compile.rs",
    "src/compile",
    "src/dis.rs",
    "src/dis_layout.rs",
    "src/error.rs",
    "src/lexer.rs",
    "src/lexer",
    "src/parse.rs",
    "src/parse",
    "src/scope.rs",
];

fn main() {
    // Worktrees of this repository may share one target dir, where cargo keeps a single
    // build-script run for the package and judges it fresh by file times alone. Rerunning when
    // the checkout (the shell's PWD) changes keeps the generated parser in step with this
    // checkout's grammar; lalrpop skips the work when the grammar's hash already matches.
    println!("cargo:rerun-if-env-changed=PWD");
    lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .emit_rerun_directives(true)
        .process()
        .expect("lalrpop failed to generate the parser from grammar/toy.lalrpop");
    let mut files = Vec::new();
    for p in FRONT_END {
        println!("cargo:rerun-if-changed={p}");
        collect(Path::new(p), &mut files);
    }
    files.sort();
    println!(
        "cargo:rustc-env=GILVM_FRONT_END_HASH={:016x}",
        fingerprint(&files)
    );
}

/// The files under `p` (or `p` itself), but tests: they change no compiled code.
fn collect(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        let Ok(entries) = std::fs::read_dir(p) else {
            return;
        };
        for e in entries.flatten() {
            collect(&e.path(), out);
        }
    } else if !p.to_string_lossy().contains("tests") {
        out.push(p.to_path_buf());
    }
}

/// FNV-1a (64 bits) over each file's path and bytes: the same on every machine and toolchain.
fn fingerprint(files: &[PathBuf]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for f in files {
        eat(f.to_string_lossy().replace('\\', "/").as_bytes());
        eat(&[0]);
        eat(&std::fs::read(f).unwrap_or_default());
        eat(&[0]);
    }
    h
}
