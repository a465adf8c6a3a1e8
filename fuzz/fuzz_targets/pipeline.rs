//! libFuzzer over the whole pipeline: bytes → UTF-8 source → compile → disassemble → run a few
//! thousand instructions under a GIL model, a seed and a step limit taken from the input's
//! first three bytes, recording → run again → trace → replay, each run alike
//! (`gilvm::fuzzcheck::check`, the check `tests/fuzz_pipeline.rs` runs on stable). It panics
//! only on a real mismatch, or when gilvm itself panics.
//!
//! `fuzz/seed_corpus.sh` builds a corpus from the shipped and test programs (each under every
//! model); `cargo +nightly fuzz run pipeline corpus/pipeline`, or on stable
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run pipeline corpus/pipeline`.

#![no_main]

use gilvm::vm::gil::GilModel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [model, seed, steps, body @ ..] = data else {
        return;
    };
    let Ok(source) = std::str::from_utf8(body) else {
        return;
    };
    let model = GilModel::ALL[usize::from(*model) % GilModel::ALL.len()];
    // 500 to 5,600 instructions: long enough for threads to start and switch, short enough
    // for thousands of executions a second.
    let max_steps = 500 + u64::from(*steps) * 20;
    if let Err(mismatch) = gilvm::fuzzcheck::check(source, model, u64::from(*seed), max_steps) {
        panic!("{mismatch}\n--- the program\n{source}");
    }
});
