//! The pipeline check both fuzzers run on one program: the stable one (`tests/fuzz_pipeline.rs`,
//! proptest) and the `cargo fuzz` target (`fuzz/fuzz_targets/pipeline.rs`, libFuzzer). Not part
//! of gilvm's interface: it exists so the two share one definition of "gilvm misbehaved".
//!
//! [`check`] compiles the source (a compile error is a value, and the end of the check),
//! disassembles it, links it, and runs it a few thousand instructions under the given model
//! and seed, recording; then runs it again (identical), replays the recorded schedule
//! (identical) and traces it (the same ending, instructions, switches and messages). A
//! mismatch is an `Err` naming what differed; a panic anywhere is the caller's finding.

use std::io::Write;

use crate::vm::driver::Ending;
use crate::vm::gil::GilModel;
use crate::vm::machine::{RunConfig, Vm};
use crate::vm::prelude::Image;
use crate::vm::scheduler::Plan;

/// The heap limit of a checked run: small, so that runaway growth ends quickly.
pub const HEAP_LIMIT: usize = 64 << 20;

/// What one run showed the user.
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub stdout: String,
    pub stderr: String,
    pub ending: Ending,
    pub steps: u64,
    pub switches: u64,
}

/// The run configuration of a check: the model's defaults, `seed`, `max_steps`, the small heap
/// limit, and a time model's interval short enough (10 µs) that a few thousand instructions
/// see several switches.
pub fn config(model: GilModel, seed: u64, max_steps: u64) -> RunConfig {
    let mut cfg = crate::run::run_config(model, model.default_interval(), max_steps, seed);
    cfg.heap_limit = HEAP_LIMIT;
    if model.has_switch_points() {
        cfg.switch_interval = 10_000;
    }
    cfg
}

/// Runs the program of `image` once under `cfg`, its output captured; returns what it showed
/// and the schedule it recorded (if `cfg.record`).
pub fn run_once(image: &Image, cfg: RunConfig) -> (Seen, Option<Plan>) {
    let out = SharedBuf::default();
    let mut err = Vec::new();
    let Ok(mut vm) = Vm::new(&image.local(), cfg, Box::new(out.clone())) else {
        return (constants_do_not_fit(), None);
    };
    let ending = vm.run(&mut err);
    let _ = vm.rt.stdout.flush();
    let plan = vm.schedule().map(Plan::from_entries);
    let stdout = String::from_utf8_lossy(&out.0.borrow()).into_owned();
    let seen = Seen {
        stdout,
        stderr: String::from_utf8_lossy(&err).into_owned(),
        ending,
        steps: vm.steps,
        switches: vm.switches,
    };
    (seen, plan)
}

/// Runs the program of `image` under `cfg` with a JSON Lines tracer attached (to nowhere, the
/// program's output inside it). Its `stdout` is left empty: the trace holds it.
pub fn run_traced(image: &Image, program: &crate::bytecode::Program, cfg: RunConfig) -> Seen {
    let settings = crate::trace::TraceSettings {
        format: crate::trace::Format::Jsonl,
        filters: crate::trace::recorder::Filters::default(),
        program: program.filename.clone(),
        source: program.source.clone(),
        model: String::new(),
        interval: String::new(),
        shares_stdout: true,
        default_limit: crate::trace::recorder::DEFAULT_STEP_LIMIT,
    };
    let mut err = Vec::new();
    let traced = crate::trace::run_traced(
        &image.local(),
        cfg,
        &settings,
        Box::new(std::io::sink()),
        &mut err,
    );
    let Some((vm, ending)) = traced else {
        return constants_do_not_fit();
    };
    Seen {
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
        ending,
        steps: vm.steps,
        switches: vm.switches,
    }
}

/// The whole check of one program (see the module's description). `Ok` when the program does
/// not compile or link, or when every run agrees.
pub fn check(source: &str, model: GilModel, seed: u64, max_steps: u64) -> Result<(), String> {
    let Ok(program) = crate::compile_source("fuzz.toy", source) else {
        return Ok(());
    };
    let _ = crate::dis::disassemble(&program);
    let Ok(image) = crate::run::image(&program) else {
        return Ok(());
    };
    let mut cfg = config(model, seed, max_steps);
    cfg.record = true;
    let (first, plan) = run_once(&image, cfg.clone());
    cfg.record = false;
    let (second, _) = run_once(&image, cfg.clone());
    same("the same run twice", &first, &second)?;
    let traced = run_traced(&image, &program, cfg.clone());
    same(
        "the traced run",
        &first,
        &Seen {
            stdout: first.stdout.clone(),
            ..traced
        },
    )?;
    cfg.plan = plan;
    let (replayed, _) = run_once(&image, cfg);
    same("the replay", &first, &replayed)
}

fn same(what: &str, expected: &Seen, actual: &Seen) -> Result<(), String> {
    if expected == actual {
        Ok(())
    } else {
        Err(format!(
            "{what} differs from the run\n--- the run\n{expected:#?}\n--- {what}\n{actual:#?}"
        ))
    }
}

fn constants_do_not_fit() -> Seen {
    Seen {
        stdout: String::new(),
        stderr: "constants do not fit".into(),
        ending: Ending::Limit,
        steps: 0,
        switches: 0,
    }
}

/// A `Write` into a shared buffer, to read what a `Vm` printed.
#[derive(Clone, Default)]
struct SharedBuf(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
