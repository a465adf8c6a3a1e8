//! The run layer: what `gilvm run`, `trace`, `replay` and `sweep` share, below the CLI and
//! above the VM.
//!
//! - loading a program ([`load_program`]: read, compile, render compile errors);
//! - the option checks ([`check_model`], [`check_switch_interval`]), made once into a
//!   [`RunSpec`], the plain data of one run, built from the command line or from a schedule
//!   file's header;
//! - the prelude, compiled once per process ([`prelude`]), and the program [`image`] every VM
//!   of a program shares — the VM itself never compiles;
//! - the command that reproduces a run ([`replay_command`]), quoted for a POSIX shell;
//! - reading ([`read_schedule`]) and writing ([`write_schedule`]) schedule files, each in one
//!   function;
//! - the exit statuses (DESIGN.md §7).
//!
//! Nothing here knows clap; `cli.rs` parses the command line into the plain [`RunArgs`] and
//! [`TraceArgs`] and calls the commands at the bottom of this file.

use std::io::{Read, Write};
use std::sync::OnceLock;

use crate::bytecode::Program;
use crate::error::{render_compile_error, CompileError, CompileErrorKind};
use crate::schedule::{fnv1a64, Schedule};
use crate::vm::driver::Ending;
use crate::vm::gil::{self, GilModel};
use crate::vm::machine::{RunConfig, Vm, DEFAULT_HEAP_LIMIT, DEFAULT_MAX_STEPS};
use crate::vm::prelude::Image;
use crate::vm::scheduler::Plan;

// The exit statuses (DESIGN.md §7). They are defined beside `Ending`, whose meaning they are,
// because a trace records them too and `trace` sits below this layer.
pub use crate::vm::driver::{
    EXIT_COMPILE, EXIT_DEADLOCK, EXIT_EXCEPTION, EXIT_LIMIT, EXIT_OK, EXIT_RACES,
    EXIT_SWEEP_FAILED, EXIT_USAGE,
};

// ---------------------------------------------------------------------------------------------
// Programs and images

/// A program's text and names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The file as given on the command line or in a schedule (`-` for standard input): what
    /// replay commands and recorded schedules name.
    pub file: String,
    /// The name compile errors and tracebacks show (`<stdin>` for `-`).
    pub name: String,
    pub text: String,
}

/// Reads a program from a path, or standard input for `-`.
pub fn read_source(file: &str) -> Result<Source, String> {
    if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("error: cannot read standard input: {e}"))?;
        return Ok(Source {
            file: file.to_string(),
            name: "<stdin>".to_string(),
            text,
        });
    }
    let bytes = std::fs::read(file).map_err(|e| format!("error: cannot read {file}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "error: {file} is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(Source {
        file: file.to_string(),
        name: file.to_string(),
        text,
    })
}

/// Reads and compiles `file` (`-` for standard input). On failure, says why on `err` and
/// returns the exit status (usage error or compile error).
pub fn load_program(
    file: &str,
    color: bool,
    err: &mut dyn Write,
) -> Result<(Source, Program), i32> {
    let source = match read_source(file) {
        Ok(s) => s,
        Err(msg) => {
            let _ = writeln!(err, "{msg}");
            return Err(EXIT_USAGE);
        }
    };
    compile_loaded(source, color, err)
}

/// Compiles a program already read; on failure, says why on `err` and returns the exit
/// status (compile error).
pub fn compile_loaded(
    source: Source,
    color: bool,
    err: &mut dyn Write,
) -> Result<(Source, Program), i32> {
    match crate::compile_source(&source.name, &source.text).and_then(check_imports) {
        Ok(program) => Ok((source, program)),
        Err(e) => {
            let _ = err
                .write_all(render_compile_error(&e, &source.name, &source.text, color).as_bytes());
            Err(EXIT_COMPILE)
        }
    }
}

/// Refuses, as a compile error at its `import` statement, a program that imports a Python
/// standard module gilvm does not provide (`import os`): the program could not run as written,
/// and "No module named 'os'" would read as the learner's typo. Other unknown modules are left
/// to the run, which raises Python's `ModuleNotFoundError` (a program may catch it).
pub fn check_imports(program: Program) -> Result<Program, CompileError> {
    use crate::vm::pynames::{is_python_stdlib_module, module_not_provided, module_provided};
    for code in &program.codes {
        for (instr, span) in code.instrs.iter().zip(&code.spans) {
            if instr.op != crate::bytecode::Opcode::IMPORT_NAME {
                continue;
            }
            let name = &program.names[instr.arg as usize];
            if !module_provided(name) && is_python_stdlib_module(name) {
                return Err(CompileError {
                    kind: CompileErrorKind::ModuleNotFoundError,
                    message: module_not_provided(name),
                    span: *span,
                });
            }
        }
    }
    Ok(program)
}

/// The prelude (`vm/prelude.toy`), decoded from the image compiled with gilvm
/// (`vm/precompiled.rs`) or else compiled, on first use, and kept for the process: the
/// whole of it (`full`), or its core only, for programs without classes
/// (`prelude::needs_classes`), which then do not pay for compiling the rest.
pub fn prelude(full: bool) -> &'static Program {
    static CORE: OnceLock<Program> = OnceLock::new();
    static FULL: OnceLock<Program> = OnceLock::new();
    let (cell, source) = if full {
        (&FULL, crate::vm::prelude::SOURCE)
    } else {
        (&CORE, crate::vm::prelude::core_source())
    };
    cell.get_or_init(|| {
        let section = crate::vm::precompiled::prelude_section(full);
        crate::vm::precompiled::load(section, source).unwrap_or_else(|| {
            // gilvm's own fixed source, covered by a test: failing to compile it is a build
            // defect, never a consequence of user input.
            crate::compile_source(crate::vm::prelude::FILENAME, source)
                .unwrap_or_else(|e| panic!("internal error: the prelude does not compile: {e:?}"))
        })
    })
}

/// `program` linked with the prelude and checked: what every VM of the program runs (see
/// [`Image`]). Build it once per program; `Vm::new(&image.local(), …)` per run.
pub fn image(program: &Program) -> Result<Image, String> {
    let modules: Vec<&crate::vm::pymodules::CompiledModule> = crate::vm::pymodules::needed(program)
        .into_iter()
        .map(py_module)
        .collect();
    // The Python-written modules are made of classes.
    let full = !modules.is_empty() || crate::vm::prelude::needs_classes(program);
    Image::link_with(program, prelude(full), &modules)
}

/// A Python-written standard module (`vm/pymodules.rs`), compiled on first use and kept for
/// the process.
pub fn py_module(m: crate::vm::natives::ModuleId) -> &'static crate::vm::pymodules::CompiledModule {
    use crate::vm::pymodules::{mangle, MODULES};
    static CELLS: [OnceLock<crate::vm::pymodules::CompiledModule>; 16] =
        [const { OnceLock::new() }; 16];
    let i = MODULES.iter().position(|s| s.id == m).unwrap_or(0);
    CELLS[i].get_or_init(|| {
        let src = &MODULES[i];
        let prog = crate::vm::precompiled::load(src.id.name(), src.source).unwrap_or_else(|| {
            // gilvm's own fixed source, covered by a test: failing to compile it is a build
            // defect, never a consequence of user input.
            crate::compile_source(crate::vm::prelude::FILENAME, src.source).unwrap_or_else(|e| {
                panic!(
                    "internal error: module {} does not compile: {e:?}",
                    src.id.name()
                )
            })
        });
        mangle(src.id, prog)
    })
}

// ---------------------------------------------------------------------------------------------
// Options

/// The GIL model called `name`.
pub fn check_model(name: &str) -> Result<GilModel, String> {
    GilModel::from_name(name).ok_or_else(|| {
        let all: Vec<&str> = GilModel::ALL.iter().map(|m| m.name()).collect();
        format!(
            "unknown GIL model `{name}` (this gilvm has: {})",
            all.join(", ")
        )
    })
}

/// The switch interval in `model`'s unit: `--switch-interval` as given, or the model's own
/// default.
pub fn check_switch_interval(model: GilModel, text: Option<&str>) -> Result<u64, String> {
    match text {
        Some(s) => gil::parse_interval(model, s),
        None => Ok(model.default_interval()),
    }
}

/// The VM's configuration of one run (with the default heap limit).
pub fn run_config(model: GilModel, switch_interval: u64, max_steps: u64, seed: u64) -> RunConfig {
    RunConfig {
        seed,
        model,
        switch_interval,
        ns_per_instr: model.ns_per_instr(),
        max_steps,
        ..RunConfig::default()
    }
}

/// The smallest `--max-memory`: below it even the program's constants may not fit.
pub const MIN_MAX_MEMORY: usize = 1 << 20;

/// `--max-memory SIZE`: bytes, or a number with a unit — `kB`, `MB`, `GB` (powers of 1000),
/// `KiB`, `MiB`, `GiB` (powers of 1024), `K`, `M`, `G` alone meaning the binary ones; case does
/// not matter. `None`: the default (1 GiB).
pub fn check_max_memory(text: Option<&str>) -> Result<usize, String> {
    let Some(text) = text else {
        return Ok(DEFAULT_HEAP_LIMIT);
    };
    let bad = || {
        format!(
            "--max-memory wants a size such as 512MB, 2GB or 1GiB (at least 1MiB), found `{text}`"
        )
    };
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..digits].parse().map_err(|_| bad())?;
    let unit: u64 = match t[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        _ => return Err(bad()),
    };
    let bytes = n.checked_mul(unit).ok_or_else(bad)?;
    let bytes = usize::try_from(bytes).map_err(|_| bad())?;
    if bytes < MIN_MAX_MEMORY {
        return Err(bad());
    }
    Ok(bytes)
}

/// A heap limit as a `--max-memory` value: in the largest unit that divides it exactly.
pub fn max_memory_text(bytes: usize) -> String {
    let b = bytes as u64;
    for (unit, name) in [
        (1u64 << 30, "GiB"),
        (1_000_000_000, "GB"),
        (1 << 20, "MiB"),
        (1_000_000, "MB"),
        (1 << 10, "KiB"),
        (1_000, "kB"),
    ] {
        if b >= unit && b.is_multiple_of(unit) {
            return format!("{}{name}", b / unit);
        }
    }
    b.to_string()
}

/// Draws a fresh seed from the OS's per-process hash randomness (the only nondeterminism
/// gilvm allows, and only when the user asked for a fresh seed).
fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::process::id() as u64);
    h.finish() % 1_000_000
}

/// The options of a run as the user gave them (parsed by the CLI, not yet checked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunArgs {
    /// `None`: draw a fresh seed and say which.
    pub seed: Option<u64>,
    /// The GIL model's name.
    pub gil: String,
    /// `--switch-interval` as given (`None`: the model's default).
    pub switch_interval: Option<String>,
    pub max_steps: u64,
    /// `--max-memory` as given (`None`: the default heap limit).
    pub max_memory: Option<String>,
    /// No run summary on stderr.
    pub quiet: bool,
    /// Detect data races (`--races`).
    pub races: bool,
    /// Also write them as JSON here (`--races-json`).
    pub races_json: Option<String>,
    /// `gilvm races`: the summary speaks of races only.
    pub races_focus: bool,
    /// The program's arguments (`sys.argv[1:]`, after `--` on the command line).
    pub argv: Vec<String>,
}

/// A schedule a run follows: its file, and its turns and waiter choices.
#[derive(Clone, Debug, PartialEq)]
pub struct Follow {
    /// The schedule file as given: the replay command names it.
    pub path: String,
    pub plan: Plan,
}

/// One run, checked: everything that decides what it does and what it reports, as plain data.
/// Same spec ⇒ same run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSpec {
    pub source: Source,
    pub model: GilModel,
    /// In the model's unit.
    pub switch_interval: u64,
    /// `--switch-interval` as given, for the replay command (`None`: the model's default).
    pub switch_interval_text: Option<String>,
    pub max_steps: u64,
    /// The heap limit in bytes (`--max-memory`).
    pub max_memory: usize,
    pub seed: u64,
    /// The seed was drawn fresh (no `--seed`).
    pub fresh_seed: bool,
    /// A schedule to follow instead of the seed's choices (`replay`, `trace --schedule`).
    pub plan: Option<Follow>,
    /// Where to write the run's schedule (`--record`).
    pub record: Option<String>,
    /// No run summary on stderr.
    pub quiet: bool,
    /// Detect data races (`--races`); a schedule recorded with it says so.
    pub races: bool,
    /// Write the races as JSON here.
    pub races_json: Option<String>,
    /// The summary speaks of races only (`gilvm races`).
    pub races_focus: bool,
    /// The program's arguments (`sys.argv[1:]`).
    pub argv: Vec<String>,
    /// Paint thread names in the summary (stderr is a terminal, or `--color always`).
    pub color: bool,
}

impl RunSpec {
    /// Checks `args` for a run of `source`; draws a fresh seed (and says so on `err`) when
    /// none was given. On a bad option, says why on `err` and returns the exit status.
    pub fn from_args(
        source: Source,
        args: &RunArgs,
        plan: Option<Follow>,
        err: &mut dyn Write,
    ) -> Result<RunSpec, i32> {
        let checked = check_model(&args.gil).and_then(|model| {
            check_switch_interval(model, args.switch_interval.as_deref()).map(|i| (model, i))
        });
        let checked = checked.and_then(|(model, interval)| {
            check_max_memory(args.max_memory.as_deref()).map(|mem| (model, interval, mem))
        });
        let (model, switch_interval, max_memory) = match checked {
            Ok(m) => m,
            Err(msg) => {
                let _ = writeln!(err, "error: {msg}");
                return Err(EXIT_USAGE);
            }
        };
        let (seed, fresh_seed) = match args.seed {
            Some(s) => (s, false),
            None => {
                let s = fresh_seed();
                let _ = writeln!(err, "gilvm: no --seed given, using seed {s}");
                (s, true)
            }
        };
        Ok(RunSpec {
            source,
            model,
            switch_interval,
            switch_interval_text: args.switch_interval.clone(),
            max_steps: args.max_steps,
            max_memory,
            seed,
            fresh_seed,
            plan,
            record: None,
            quiet: args.quiet,
            races: args.races,
            races_json: args.races_json.clone(),
            races_focus: args.races_focus,
            argv: args.argv.clone(),
            color: false,
        })
    }

    /// A run of `source` that follows the schedule `followed` (read for this source by
    /// [`read_schedule`]): its model, switch interval and seed are the schedule's.
    pub fn following(
        source: Source,
        followed: ScheduleFile,
        max_steps: u64,
        max_memory: usize,
        quiet: bool,
    ) -> RunSpec {
        RunSpec {
            source,
            model: followed.model,
            switch_interval: followed.switch_interval,
            switch_interval_text: None,
            max_steps,
            max_memory,
            seed: followed.schedule.seed,
            fresh_seed: false,
            plan: Some(Follow {
                path: followed.path,
                plan: Plan::with_events(&followed.schedule.entries, &followed.schedule.events),
            }),
            record: None,
            quiet,
            races: followed.schedule.option("races") == Some("on"),
            races_json: None,
            races_focus: false,
            argv: Vec::new(),
            color: false,
        }
    }

    /// The VM's configuration.
    pub fn config(&self) -> RunConfig {
        RunConfig {
            record: self.record.is_some(),
            plan: self.plan.as_ref().map(|p| p.plan.clone()),
            heap_limit: self.max_memory,
            races: self.races,
            argv: std::iter::once(self.source.file.clone())
                .chain(self.argv.iter().cloned())
                .collect(),
            ..run_config(self.model, self.switch_interval, self.max_steps, self.seed)
        }
    }

    /// The command that reproduces this run: `gilvm replay SCHEDULE` when it follows a
    /// schedule, else `gilvm run` with the seed and the options that differ from the defaults.
    pub fn replay_command(&self) -> String {
        match &self.plan {
            Some(plan) => format!("gilvm replay {}", shell_word(&plan.path)),
            None => {
                let cmd = replay_command(
                    &self.source.file,
                    self.model.name(),
                    self.switch_interval_text.as_deref(),
                    self.max_steps,
                    self.max_memory,
                    self.seed,
                );
                let mut cmd = if self.races { cmd + " --races" } else { cmd };
                if !self.argv.is_empty() {
                    cmd.push_str(" --");
                    for a in &self.argv {
                        cmd.push(' ');
                        cmd.push_str(&shell_word(a));
                    }
                }
                cmd
            }
        }
    }

    /// The model as the summary names it: `py39 (5ms)`.
    pub fn model_text(&self) -> String {
        format!(
            "{} ({})",
            self.model.name(),
            self.model.describe_interval(self.switch_interval)
        )
    }
}

/// The command line that reproduces a run of `file` under the model called `model` and
/// `seed`, naming only the options that differ from the defaults, each word quoted for a POSIX
/// shell when it needs it.
pub fn replay_command(
    file: &str,
    model: &str,
    switch_interval: Option<&str>,
    max_steps: u64,
    max_memory: usize,
    seed: u64,
) -> String {
    let mut cmd = format!("gilvm run {} --seed {seed}", shell_word(file));
    if model != GilModel::Any.name() {
        cmd.push_str(&format!(" --gil {}", shell_word(model)));
    }
    if let Some(si) = switch_interval {
        cmd.push_str(&format!(" --switch-interval {}", shell_word(si)));
    }
    if max_steps != DEFAULT_MAX_STEPS {
        cmd.push_str(&format!(" --max-steps {max_steps}"));
    }
    if max_memory != DEFAULT_HEAP_LIMIT {
        cmd.push_str(&format!(" --max-memory {}", max_memory_text(max_memory)));
    }
    cmd
}

/// Quotes a word for a POSIX shell when it needs it (plain words print as they are).
pub fn shell_word(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

// ---------------------------------------------------------------------------------------------
// Schedule files

/// What a schedule is read for.
#[derive(Clone, Copy, Debug)]
pub enum ScheduleFor<'a> {
    /// `gilvm replay`: the schedule names the program and every option of the run.
    Replay,
    /// `gilvm trace --schedule`: the schedule of a run of this program text.
    Trace(&'a str),
}

/// A schedule file, read and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleFile {
    /// The file as given.
    pub path: String,
    /// The program it runs: the schedule's `program`, resolved relative to the schedule
    /// file (`-`: the program embedded in the schedule).
    pub program_file: String,
    pub schedule: Schedule,
    pub model: GilModel,
    /// In the model's unit.
    pub switch_interval: u64,
    /// The switch interval as a `--switch-interval` value (a duration in ns under py39 and
    /// py311).
    pub switch_interval_text: String,
    /// The schedule's `max-steps`.
    pub max_steps: u64,
    /// The schedule's `max-memory`, in bytes.
    pub max_memory: usize,
}

/// Reads the schedule file at `path` and checks it: its format, its model, that it was
/// recorded for the program text it will run (for a replay, the program it names, which is
/// read here), and its options. The one place that reads schedules.
pub fn read_schedule(path: &str, purpose: ScheduleFor) -> Result<ScheduleFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let schedule = Schedule::parse(&text).map_err(|e| format!("{path}: {e}"))?;
    let Some(model) = GilModel::from_name(&schedule.model) else {
        return Err(match purpose {
            ScheduleFor::Replay => format!(
                "{path} was recorded under GIL model `{}`, which this gilvm does not have (it has: any, py27, py39, py311, nogil)",
                schedule.model
            ),
            ScheduleFor::Trace(_) => format!(
                "{path} uses GIL model `{}`, which gilvm does not have",
                schedule.model
            ),
        });
    };
    // The program text the schedule must have been recorded for: for a replay, the file it
    // names; for a trace, the program being traced.
    let (program_file, program_text) = match purpose {
        ScheduleFor::Replay => {
            let (file, source) = match &schedule.source {
                // A program read from standard input, embedded when it was recorded.
                Some(text) if schedule.program == "-" => {
                    ("-".to_string(), text.clone().into_bytes())
                }
                _ => {
                    let file = resolve_program(path, &schedule.program);
                    let source = std::fs::read(&file).map_err(|e| {
                        format!(
                            "{path} replays {}, which cannot be read: {e}",
                            schedule.program
                        )
                    })?;
                    (file, source)
                }
            };
            if let Some(why) = program_differs(&schedule, &source) {
                return Err(format!(
                    "{path} was recorded for a different version of {} ({why}); refusing to replay",
                    schedule.program
                ));
            }
            (file, String::from_utf8_lossy(&source).into_owned())
        }
        ScheduleFor::Trace(source) => {
            if let Some(why) = program_differs(&schedule, source.as_bytes()) {
                return Err(format!(
                    "{path} was recorded for a different version of the program ({why})"
                ));
            }
            (schedule.program.clone(), source.to_string())
        }
    };
    for ev in &schedule.events {
        check_event(path, ev, &program_text)?;
    }
    let (switch_interval, max_steps, max_memory) = schedule_options(path, &schedule, model)?;
    Ok(ScheduleFile {
        path: path.to_string(),
        program_file,
        switch_interval_text: interval_text(model, switch_interval),
        schedule,
        model,
        switch_interval,
        max_steps,
        max_memory,
    })
}

/// The program a schedule names, as a path to open: an absolute path as it is; a relative one
/// relative to the schedule file's directory, or, when no such file exists (a schedule written
/// by an older gilvm named it relative to the directory it was recorded in), as it is.
fn resolve_program(schedule_path: &str, program: &str) -> String {
    let p = std::path::Path::new(program);
    if p.is_absolute() {
        return program.to_string();
    }
    let dir = std::path::Path::new(schedule_path)
        .parent()
        .unwrap_or(std::path::Path::new(""));
    let beside = dir.join(p);
    if beside.is_file() {
        beside.to_string_lossy().into_owned()
    } else {
        program.to_string()
    }
}

/// How `program`'s path should be written in a schedule at `schedule_path`: relative to the
/// schedule's directory when the program lies under it (the schedule then replays from
/// anywhere, and moves with its program); else as given, which [`resolve_program`] finds
/// from the directory the run was recorded in, and which replays name as the run did.
fn program_for_schedule(schedule_path: &str, program: &str) -> String {
    let p = std::path::Path::new(program);
    if program == "-" || p.is_absolute() {
        return program.to_string();
    }
    let dir = std::path::Path::new(schedule_path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    match (std::fs::canonicalize(p), std::fs::canonicalize(dir)) {
        (Ok(prog), Ok(dir)) => match prog.strip_prefix(&dir) {
            Ok(rel) => rel.to_string_lossy().into_owned(),
            Err(_) => program.to_string(),
        },
        _ => program.to_string(),
    }
}

/// Why `source` is not the program `schedule` was recorded for, or `None` when it is. The
/// hash covers the compiled code (`schedule::code_hash`: instructions, constants, names — not
/// comments, blank lines or line numbers), so editing a comment keeps a schedule valid; a
/// schedule written before it carries the text's hash, which still matches an unchanged file.
fn program_differs(schedule: &Schedule, source: &[u8]) -> Option<String> {
    if schedule.program_hash == 0 || fnv1a64(source) == schedule.program_hash {
        return None;
    }
    let text = String::from_utf8_lossy(source);
    match crate::compile_source("program", &text) {
        Ok(p) if crate::schedule::code_hash(&p) == schedule.program_hash => None,
        Ok(p) => Some(format!(
            "its compiled code differs: program hash {:016x} in the schedule, {:016x} now; comments and blank lines do not count, a changed statement does",
            schedule.program_hash,
            crate::schedule::code_hash(&p)
        )),
        Err(_) => Some("it no longer compiles".to_string()),
    }
}

/// Checks that a schedule's event names something the program (`text`) has: `until store
/// countr` would otherwise run the thread to its end without a word.
fn check_event(
    path: &str,
    ev: &crate::vm::scheduler::events::StopEvent,
    text: &str,
) -> Result<(), String> {
    // A program that does not compile is reported where it is compiled.
    let Ok(program) = crate::compile_source("program", text) else {
        return Ok(());
    };
    for name in ev.names() {
        let known = program.names.iter().any(|n| n == name)
            || program.codes.iter().any(|c| {
                c.varnames
                    .iter()
                    .chain(&c.cellvars)
                    .chain(&c.freevars)
                    .any(|n| n == name)
            });
        if !known {
            return Err(format!(
                "{path}: `until {ev}`: the program has no variable or attribute `{name}`"
            ));
        }
    }
    if let crate::vm::scheduler::events::StopEvent::Line(n) = ev {
        let lines = text.lines().count() as u32;
        if *n > lines {
            return Err(format!(
                "{path}: `until {ev}`: the program has {lines} {}",
                crate::vm::summary::noun(lines as u64, "line", "lines")
            ));
        }
    }
    Ok(())
}

/// A schedule's options: the switch interval (a number in the model's unit, as `--record`
/// writes it — ns for py39 and py311 — or, written by hand, a value `--switch-interval`
/// accepts, such as `5ms`), `max-steps` and `max-memory`.
fn schedule_options(
    path: &str,
    schedule: &Schedule,
    model: GilModel,
) -> Result<(u64, u64, usize), String> {
    let switch_interval = match schedule.option("switch-interval") {
        None => model.default_interval(),
        Some(v) => match v.parse::<u64>() {
            Ok(n) => n.max(1),
            Err(_) => gil::parse_interval(model, v).map_err(|e| format!("{path}: {e}"))?,
        },
    };
    let max_steps = match schedule.option("max-steps") {
        None => DEFAULT_MAX_STEPS,
        Some(v) => v
            .parse()
            .map_err(|_| format!("{path}: max-steps must be a number, found `{v}`"))?,
    };
    let max_memory = match schedule.option("max-memory") {
        None => DEFAULT_HEAP_LIMIT,
        Some(v) => check_max_memory(Some(v)).map_err(|e| format!("{path}: {e}"))?,
    };
    Ok((switch_interval, max_steps, max_memory))
}

/// A switch interval in `model`'s unit as a `--switch-interval` value.
fn interval_text(model: GilModel, interval: u64) -> String {
    match model.unit() {
        gil::IntervalUnit::Nanos => format!("{interval}ns"),
        _ => interval.to_string(),
    }
}

/// Writes the schedule `vm` ran (under `spec`) to `path`. The one place that writes schedules.
pub fn write_schedule(
    spec: &RunSpec,
    program: &Program,
    vm: &Vm,
    path: &str,
) -> Result<(), String> {
    let mut options = vec![
        ("switch-interval".into(), spec.switch_interval.to_string()),
        ("max-steps".into(), spec.max_steps.to_string()),
    ];
    if spec.max_memory != DEFAULT_HEAP_LIMIT {
        // Only when set, so schedules of default runs read as before.
        options.push(("max-memory".into(), spec.max_memory.to_string()));
    }
    if spec.races {
        // A replay of a `--races` run detects races too, and reports the same ones.
        options.push(("races".into(), "on".into()));
    }
    let schedule = Schedule {
        gilvm_version: env!("CARGO_PKG_VERSION").into(),
        program: program_for_schedule(path, &spec.source.file),
        program_hash: crate::schedule::code_hash(program),
        model: spec.model.name().into(),
        options,
        seed: spec.seed,
        entries: vm.schedule().map(|s| s.to_vec()).unwrap_or_default(),
        events: Vec::new(),
        // A program read from standard input is kept in the schedule, so that it replays.
        source: (spec.source.file == "-").then(|| spec.source.text.clone()),
    };
    let names: Vec<String> = vm.threads.iter().map(|t| t.name.clone()).collect();
    std::fs::write(path, schedule.to_text(&names))
        .map_err(|e| format!("cannot write the schedule to {path}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Running

/// Runs `program` as `spec` says, the program's output on stdout: records the schedule if
/// asked, prints the summary on `err` unless quiet. Returns the exit status.
pub fn execute(spec: &RunSpec, program: &Program, err: &mut dyn Write) -> i32 {
    let image = match image(program) {
        Ok(i) => i,
        Err(msg) => {
            let _ = writeln!(err, "{msg}");
            return EXIT_COMPILE;
        }
    };
    let replay_cmd = spec.replay_command();
    let stdout: Box<dyn Write> = Box::new(std::io::BufWriter::new(std::io::stdout()));
    let mut vm = match Vm::new(&image.into_local(), spec.config(), stdout) {
        Ok(vm) => vm,
        Err(_) => {
            let _ = writeln!(
                err,
                "error: the program's constants do not fit in the heap limit"
            );
            return EXIT_LIMIT;
        }
    };
    let ending = vm.run(err);
    let _ = vm.rt.stdout.flush();
    if let Some(path) = &spec.record {
        if let Err(msg) = write_schedule(spec, program, &vm, path) {
            let _ = writeln!(err, "error: {msg}");
            return EXIT_USAGE;
        }
        if !spec.quiet {
            if let Some(line) = crate::termout::wrote_file(path) {
                let _ = writeln!(err, "{line}");
            }
        }
    }
    if let Err(status) = write_races(spec, &vm, err) {
        return status;
    }
    if !spec.quiet {
        let _ = write!(err, "{}", summary(spec, &vm, &replay_cmd));
        if spec.plan.is_some() {
            let _ = writeln!(err, "gilvm: replayed from a schedule");
        }
    } else if ending == Ending::Deadlock {
        // A deadlock report is an error report: even without the summary, say how to see it
        // again.
        let _ = writeln!(err, "gilvm: replay: {replay_cmd}");
    }
    // The process exits next (`gilvm run` runs one program): the OS takes the VM's memory back
    // at once, whereas dropping it frees every object and thread one by one, touching memory
    // that is long out of cache — ≈8.5 M x86 instructions and 100,000 cache misses at 10,000
    // threads (cachegrind). Its output was flushed above.
    let status = exit_status(&vm, ending);
    std::mem::forget(vm);
    status
}

/// The run summary: all of it, or for `gilvm races` the races without the lost updates;
/// thread names in their colours when `spec.color`.
fn summary(spec: &RunSpec, vm: &Vm, replay_cmd: &str) -> String {
    let text = plain_summary(spec, vm, replay_cmd);
    if spec.color {
        let names: Vec<String> = vm.threads.iter().map(|t| t.name.clone()).collect();
        crate::termout::paint_names(&text, &names)
    } else {
        text
    }
}

fn plain_summary(spec: &RunSpec, vm: &Vm, replay_cmd: &str) -> String {
    let all = vm.summary(&spec.model_text(), replay_cmd);
    if !spec.races_focus {
        return all;
    }
    all.lines()
        .filter(|l| {
            !l.starts_with("gilvm: lost updates:")
                && !l.starts_with("gilvm: the first:")
                && !l.starts_with("gilvm: check-then-act")
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The race reports on `err` (and in the `--races-json` file), when the detector ran. Fails
/// with the exit status when the JSON file cannot be written.
fn write_races(spec: &RunSpec, vm: &Vm, err: &mut dyn Write) -> Result<(), i32> {
    if vm.races.is_none() {
        return Ok(());
    }
    let report = crate::races::report(vm);
    if !report.is_empty() {
        let _ = write!(err, "{report}");
    }
    if let Some(path) = &spec.races_json {
        if let Err(e) = std::fs::write(path, crate::races::json(vm)) {
            let _ = writeln!(err, "error: cannot write the races to {path}: {e}");
            return Err(EXIT_USAGE);
        }
        if !spec.quiet {
            if let Some(line) = crate::termout::wrote_file(path) {
                let _ = writeln!(err, "{line}");
            }
        }
    }
    Ok(())
}

/// The exit status of a run: its ending's, or 6 when `--races` found races and nothing worse
/// happened.
fn exit_status(vm: &Vm, ending: Ending) -> i32 {
    let status = ending.exit_code();
    let raced = vm.races.as_ref().is_some_and(|d| d.count > 0);
    if status == EXIT_OK && raced {
        EXIT_RACES
    } else {
        status
    }
}

/// The options of `gilvm trace` beyond those of `run` (parsed by the CLI, not yet checked).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceArgs {
    /// `text`, `jsonl`, `chrome` or `html`.
    pub format: String,
    /// Write the trace here instead of stdout.
    pub output: Option<String>,
    pub threads: Vec<String>,
    pub vars: Vec<String>,
    /// `--lines A-B` as given.
    pub lines: Option<String>,
    pub limit: Option<u64>,
    /// Follow this schedule file.
    pub schedule: Option<String>,
    /// Paint the text trace by thread (it goes to a terminal, or `--color always`); never
    /// for a file written with `-o`.
    pub color: bool,
}

// ---------------------------------------------------------------------------------------------
// Commands

/// `gilvm run FILE`.
pub fn run_cmd(
    file: &str,
    args: &RunArgs,
    record: Option<&str>,
    color: bool,
    err: &mut dyn Write,
) -> i32 {
    let (source, program) = match load_program(file, color, err) {
        Ok(l) => l,
        Err(status) => return status,
    };
    let mut spec = match RunSpec::from_args(source, args, None, err) {
        Ok(s) => s,
        Err(status) => return status,
    };
    spec.record = record.map(str::to_string);
    spec.color = color;
    execute(&spec, &program, err)
}

/// `gilvm replay SCHEDULE`: the run the schedule names, following its slices.
pub fn replay_cmd(
    path: &str,
    quiet: bool,
    record: Option<&str>,
    color: bool,
    err: &mut dyn Write,
) -> i32 {
    let followed = match read_schedule(path, ScheduleFor::Replay) {
        Ok(f) => f,
        Err(msg) => {
            let _ = writeln!(err, "error: {msg}");
            return EXIT_USAGE;
        }
    };
    let args = RunArgs {
        seed: Some(followed.schedule.seed),
        gil: followed.model.name().to_string(),
        switch_interval: Some(followed.switch_interval_text),
        max_steps: followed.max_steps,
        max_memory: Some(followed.max_memory.to_string()),
        quiet,
        races: followed.schedule.option("races") == Some("on"),
        races_json: None,
        races_focus: false,
        argv: Vec::new(),
    };
    let loaded = match (&followed.schedule.source, followed.program_file.as_str()) {
        (Some(text), "-") => compile_loaded(
            Source {
                file: "-".to_string(),
                name: "<stdin>".to_string(),
                text: text.clone(),
            },
            color,
            err,
        ),
        (_, file) => load_program(file, color, err),
    };
    let (source, program) = match loaded {
        Ok(l) => l,
        Err(status) => return status,
    };
    let plan = Follow {
        path: followed.path,
        plan: Plan::with_events(&followed.schedule.entries, &followed.schedule.events),
    };
    let mut spec = match RunSpec::from_args(source, &args, Some(plan), err) {
        Ok(s) => s,
        Err(status) => return status,
    };
    spec.record = record.map(str::to_string);
    spec.color = color;
    execute(&spec, &program, err)
}

/// `gilvm trace FILE`: compiles and runs the program like `run`, with a tracer attached.
pub fn trace_cmd(
    file: &str,
    args: &RunArgs,
    t: &TraceArgs,
    color: bool,
    err: &mut dyn Write,
) -> i32 {
    let lines = match t
        .lines
        .as_deref()
        .map(crate::trace::parse_lines)
        .transpose()
    {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "error: --lines: {e}");
            return EXIT_USAGE;
        }
    };
    let Some(format) = crate::trace::Format::from_name(&t.format) else {
        let _ = writeln!(err, "error: unknown trace format `{}`", t.format);
        return EXIT_USAGE;
    };
    let (source, program) = match load_program(file, color, err) {
        Ok(l) => l,
        Err(status) => return status,
    };
    let spec = match &t.schedule {
        Some(path) => match read_schedule(path, ScheduleFor::Trace(&source.text)) {
            // The recorded run's own limits, unless `--max-steps` asks for a lower one or
            // `--max-memory` is given.
            Ok(followed) => {
                let mem = match args.max_memory.as_deref() {
                    None => Ok(followed.max_memory),
                    given => check_max_memory(given),
                };
                match mem {
                    Ok(mem) => {
                        let max_steps = followed.max_steps.min(args.max_steps);
                        RunSpec::following(source, followed, max_steps, mem, args.quiet)
                    }
                    Err(msg) => {
                        let _ = writeln!(err, "error: {msg}");
                        return EXIT_USAGE;
                    }
                }
            }
            Err(msg) => {
                let _ = writeln!(err, "error: {msg}");
                return EXIT_USAGE;
            }
        },
        None => match RunSpec::from_args(source, args, None, err) {
            Ok(s) => s,
            Err(status) => return status,
        },
    };
    let mut spec = spec;
    spec.color = color;
    if args.races {
        spec.races = true;
        spec.races_json = args.races_json.clone();
    }
    let replay_cmd = spec.replay_command();
    let out: Box<dyn Write> = match &t.output {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Box::new(std::io::BufWriter::new(f)),
            Err(e) => {
                let _ = writeln!(err, "error: cannot write the trace to {path}: {e}");
                return EXIT_USAGE;
            }
        },
        None if t.color && format == crate::trace::Format::Text => {
            Box::new(crate::termout::TracePainter::new(
                std::io::BufWriter::with_capacity(1 << 16, std::io::stdout()),
            ))
        }
        None => Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout(),
        )),
    };
    let image = match image(&program) {
        Ok(i) => i,
        Err(msg) => {
            let _ = writeln!(err, "{msg}");
            return EXIT_COMPILE;
        }
    };
    let settings = crate::trace::TraceSettings {
        format,
        filters: crate::trace::recorder::Filters {
            threads: t.threads.clone(),
            vars: t.vars.clone(),
            lines,
            limit: t.limit,
        },
        program: spec.source.name.clone(),
        source: spec.source.text.clone(),
        model: spec.model.name().into(),
        interval: spec.model.describe_interval(spec.switch_interval),
        shares_stdout: t.output.is_none(),
        default_limit: crate::trace::recorder::DEFAULT_STEP_LIMIT,
    };
    // A `--var` the program does not have would leave a trace of nothing but hand-overs.
    for v in &t.vars {
        // `account.balance` names attribute `balance` (of the object `account` holds).
        let attr = v.rsplit_once('.').map(|(_, a)| a);
        let known = program
            .names
            .iter()
            .any(|n| n == v || Some(n.as_str()) == attr)
            || program.codes.iter().any(|c| {
                c.varnames
                    .iter()
                    .chain(&c.cellvars)
                    .chain(&c.freevars)
                    .any(|n| n == v)
            });
        if !known {
            let _ = writeln!(
                err,
                "warning: --var {v} matches no variable of {}: the trace shows no instruction for it",
                spec.source.name
            );
        }
    }
    let Some((vm, ending)) =
        crate::trace::run_traced(&image.local(), spec.config(), &settings, out, err)
    else {
        let _ = writeln!(
            err,
            "error: the program's constants do not fit in the heap limit"
        );
        return EXIT_LIMIT;
    };
    // A `--thread` no thread of the run had (known only once the run is over).
    for f in &t.threads {
        let matched = vm.threads.iter().enumerate().any(|(tid, th)| {
            *f == th.name
                || *f == format!("T{tid}")
                || th
                    .name
                    .strip_prefix(f.as_str())
                    .is_some_and(|r| r.starts_with(" ("))
        });
        if !matched {
            let names: Vec<String> = vm
                .threads
                .iter()
                .enumerate()
                .map(|(tid, th)| format!("T{tid} {}", th.name))
                .collect();
            let _ = writeln!(
                err,
                "warning: --thread {f} matches no thread of the run (it had: {})",
                names.join(", ")
            );
        }
    }
    if let (Some(path), false) = (&t.output, spec.quiet) {
        if let Some(line) = crate::termout::wrote_file(path) {
            let _ = writeln!(err, "{line}");
        }
    }
    if let Err(status) = write_races(&spec, &vm, err) {
        return status;
    }
    if !spec.quiet {
        let _ = write!(err, "{}", summary(&spec, &vm, &replay_cmd));
    }
    exit_status(&vm, ending)
}

/// `gilvm dis FILE`: the bytecode of every code object, optionally with `model`'s switch
/// points marked.
pub fn dis_cmd(
    file: &str,
    model: Option<GilModel>,
    show_caches: bool,
    color: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let (_, program) = match load_program(file, color, err) {
        Ok(l) => l,
        Err(status) => return status,
    };
    let text = match model {
        None => crate::dis::disassemble_with(&program, None, show_caches),
        Some(m) => {
            let mark = format!("  ⇄ {}", m.name());
            let is_switch_point = |op| gil::marks_switch_point(m, op);
            let marks = crate::dis::SwitchMarks {
                is_switch_point: &is_switch_point,
                mark: &mark,
            };
            let _ = writeln!(
                err,
                "gilvm: `⇄ {}` marks the instructions after which --gil {} may hand the GIL to another thread",
                m.name(),
                m.name()
            );
            crate::dis::disassemble_with(&program, Some(&marks), show_caches)
        }
    };
    let _ = out.write_all(text.as_bytes());
    EXIT_OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::prelude::PreludeFn;

    #[test]
    fn prelude_compiles_and_links_every_function() {
        let prog = crate::compile_source("t.toy", "class A:\n    pass\n").unwrap();
        let n = prog.codes.len() as crate::bytecode::CodeId;
        let img = image(&prog).expect("links");
        assert_eq!(img.prelude.start, n);
        for f in PreludeFn::ALL {
            let code = img.prelude.code(f).expect("linked");
            assert_eq!(img.program.codes[code as usize].name, f.name());
        }
        // A program without classes gets the core prelude only.
        let plain = crate::compile_source("t.toy", "x = 1\n").unwrap();
        let img = image(&plain).expect("links");
        assert!(img.prelude.code(PreludeFn::SortedKey).is_some());
        assert!(img.prelude.code(PreludeFn::SortObjects).is_none());
        assert_eq!(img.attr_of.len(), img.program.names.len());
        assert_eq!(img.builtins.len(), img.program.names.len());
    }

    #[test]
    fn an_image_is_shareable_across_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Image>();
    }

    #[test]
    fn replay_commands_quote_only_words_that_need_it() {
        assert_eq!(
            replay_command(
                "programs/counter_race.toy",
                "any",
                None,
                DEFAULT_MAX_STEPS,
                DEFAULT_HEAP_LIMIT,
                7
            ),
            "gilvm run programs/counter_race.toy --seed 7"
        );
        assert_eq!(
            replay_command("it's a race.toy", "py39", Some("5 ms"), 1000, 512 << 20, 7),
            r"gilvm run 'it'\''s a race.toy' --seed 7 --gil py39 --switch-interval '5 ms' --max-steps 1000 --max-memory 512MiB"
        );
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn max_memory_sizes() {
        assert_eq!(check_max_memory(None), Ok(DEFAULT_HEAP_LIMIT));
        assert_eq!(check_max_memory(Some("512MB")), Ok(512_000_000));
        assert_eq!(check_max_memory(Some("2gb")), Ok(2_000_000_000));
        assert_eq!(check_max_memory(Some("1GiB")), Ok(1 << 30));
        assert_eq!(check_max_memory(Some("64M")), Ok(64 << 20));
        assert_eq!(check_max_memory(Some("3000000")), Ok(3_000_000));
        for bad in [
            "",
            "MB",
            "12 parsecs",
            "1kB",
            "99999999999999999999GB",
            "-5MB",
        ] {
            assert!(check_max_memory(Some(bad)).is_err(), "{bad}");
        }
        for bytes in [1 << 30, 2_000_000_000, 512 << 20, 3_000_001] {
            assert_eq!(check_max_memory(Some(&max_memory_text(bytes))), Ok(bytes));
        }
    }
}
