//! Command-line interface: clap definitions, validated once into plain settings, then handed to
//! library functions that take a config and writers. Nothing below this layer knows clap.
//!
//! Exit statuses (DESIGN.md §7): 0 success; 1 uncaught exception in the main thread; 2 usage
//! error or unreadable file; 3 syntax or compile error; 4 deadlock; 5 a resource limit.

use std::io::{IsTerminal, Read, Write};

use clap::{Parser, Subcommand};

use crate::error::render_compile_error;
use crate::schedule::{fnv1a64, Schedule};
use crate::vm::gil::GilModel;
use crate::vm::machine::{RunConfig, Vm};
use crate::vm::scheduler::Plan;

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: usage error or unreadable file.
pub const EXIT_USAGE: i32 = 2;
/// Exit status: syntax or compile error.
pub const EXIT_COMPILE: i32 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "gilvm",
    version,
    about = "Run Python-flavoured programs with green threads under a simulated GIL"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Print the bytecode of every code object, in CPython's `dis` layout.
    Dis {
        /// The program (`-` reads standard input).
        file: String,
        /// Mark the instructions after which this GIL model may switch threads.
        #[arg(long, value_name = "MODEL", value_parser = ["any", "py27", "py39", "py311", "nogil"])]
        gil: Option<String>,
    },
    /// Run a program under the simulated GIL.
    Run {
        /// The program (`-` reads standard input).
        file: String,
        #[command(flatten)]
        opts: RunOpts,
        /// Write the run's schedule to this file (replay it with `gilvm replay`).
        #[arg(long, value_name = "SCHEDULE")]
        record: Option<String>,
    },
    /// Trace a run: the interleaving, one instruction per line, with GIL hand-overs and lost
    /// updates explained (same seed and options as `run` ⇒ the same run).
    Trace {
        /// The program (`-` reads standard input).
        file: String,
        #[command(flatten)]
        opts: RunOpts,
        #[command(flatten)]
        trace: TraceOpts,
    },
    /// Re-run a recorded (or hand-written) schedule exactly.
    Replay {
        /// A schedule file written by `gilvm run --record` or by hand.
        schedule: String,
        /// No run summary on stderr.
        #[arg(short, long)]
        quiet: bool,
        /// Write the replayed run's schedule to this file.
        #[arg(long, value_name = "SCHEDULE")]
        record: Option<String>,
    },
    /// Run many seeds under one or more GIL models (on all cores) and print the distribution
    /// of outcomes: stdout values, exit statuses, lost updates.
    Sweep {
        /// The program (`-` reads standard input).
        file: String,
        /// Seeds to run: `A..B` (B excluded) or `A..=B`.
        #[arg(long, value_name = "A..B")]
        seeds: String,
        /// A GIL model to run every seed under; repeat for several, side by side [default: any].
        #[arg(long = "gil", value_name = "MODEL")]
        gil: Vec<String>,
        /// The switch interval given to every model (default: each model's own).
        #[arg(long, value_name = "X")]
        switch_interval: Option<String>,
        /// Stop a run (exit status 5) after this many instructions.
        #[arg(long, value_name = "N", default_value_t = crate::vm::machine::DEFAULT_MAX_STEPS)]
        max_steps: u64,
        /// Worker threads [default: the number of CPUs].
        #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
        jobs: Option<u64>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Distinct stdout values listed per model (0 lists all).
        #[arg(long, value_name = "N", default_value_t = 10)]
        top: usize,
    },
}

/// Options shared by everything that runs a program.
#[derive(clap::Args, Debug, Clone)]
struct RunOpts {
    /// Seed of the scheduler (a fresh one is drawn and printed when omitted).
    #[arg(long)]
    seed: Option<u64>,
    /// GIL model: which CPython's switch points to reproduce.
    #[arg(long, value_name = "MODEL", default_value = "any", value_parser = ["any", "py27", "py39", "py311", "nogil"])]
    gil: String,
    /// Switch interval: mean instructions per quantum (any, nogil), ticks (py27), or a
    /// duration of virtual time such as 5ms or 1us (py39, py311). Defaults: 100, 2, 100, 5ms.
    #[arg(long, value_name = "N|DURATION")]
    switch_interval: Option<String>,
    /// Stop (exit status 5) after this many instructions.
    #[arg(long, value_name = "N", default_value_t = crate::vm::machine::DEFAULT_MAX_STEPS)]
    max_steps: u64,
    /// No run summary on stderr.
    #[arg(short, long)]
    quiet: bool,
}

/// Options of `gilvm trace` beyond those of `run`.
#[derive(clap::Args, Debug, Clone)]
struct TraceOpts {
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "jsonl", "chrome", "html"])]
    format: String,
    /// Write the trace to this file; the program's output then goes to stdout as with `run`
    /// (without -o, the trace goes to stdout and the program's output is inside it).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<String>,
    /// Only this thread's instructions (name like `Thread-1`, or label like `T1`); repeatable.
    #[arg(long = "thread", value_name = "NAME")]
    threads: Vec<String>,
    /// Only instructions that load or store this variable; repeatable.
    #[arg(long = "var", value_name = "NAME")]
    vars: Vec<String>,
    /// Only instructions on these source lines, e.g. `7-9`.
    #[arg(long, value_name = "A-B")]
    lines: Option<String>,
    /// Stop the trace after this many instructions (the run itself goes on).
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// Follow this schedule (from `run --record`, or written by hand) instead of the seed's:
    /// the trace of exactly that interleaving.
    #[arg(long, value_name = "SCHEDULE")]
    schedule: Option<String>,
}

/// Runs the CLI with the process arguments and returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    match cli.command {
        Cmd::Dis { file, gil } => dis(
            &file,
            gil.as_deref().and_then(GilModel::from_name),
            color,
            &mut stdout.lock(),
            &mut stderr.lock(),
        ),
        Cmd::Run { file, opts, record } => run(
            &file,
            &opts,
            record.as_deref(),
            None,
            color,
            &mut stderr.lock(),
        ),
        Cmd::Trace { file, opts, trace } => {
            trace_cmd(&file, &opts, &trace, color, &mut stderr.lock())
        }
        Cmd::Replay {
            schedule,
            quiet,
            record,
        } => replay(
            &schedule,
            quiet,
            record.as_deref(),
            color,
            &mut stderr.lock(),
        ),
        Cmd::Sweep {
            file,
            seeds,
            gil,
            switch_interval,
            max_steps,
            jobs,
            json,
            top,
        } => {
            let seeds = match crate::sweep::parse_seeds(&seeds) {
                Ok(s) => s,
                Err(msg) => {
                    let _ = writeln!(stderr.lock(), "gilvm: {msg}");
                    return EXIT_USAGE;
                }
            };
            let mut models: Vec<String> = Vec::new();
            for m in if gil.is_empty() {
                vec!["any".to_string()]
            } else {
                gil
            } {
                if let Err(msg) = crate::sweep::check_model(&m) {
                    let _ = writeln!(stderr.lock(), "gilvm: {msg}");
                    return EXIT_USAGE;
                }
                if !models.contains(&m) {
                    models.push(m);
                }
            }
            let config = crate::sweep::SweepConfig {
                file,
                seeds,
                models,
                switch_interval,
                max_steps,
                jobs: jobs.map(|j| j as usize),
                json,
                top,
            };
            // Not `stderr.lock()`: the progress bar draws on stderr from the worker threads,
            // which would wait forever for a lock this thread holds.
            crate::sweep::command(&config, color, &mut stdout.lock(), &mut std::io::stderr())
        }
    }
}

/// Reads and compiles `file` (`-` for standard input): (display name, text, program). On
/// failure, says why on `err` and returns the exit status (usage error or compile error).
pub fn load_program(
    file: &str,
    color: bool,
    err: &mut dyn Write,
) -> Result<(String, String, crate::bytecode::Program), i32> {
    let (name, source) = match read_source(file) {
        Ok(s) => s,
        Err(msg) => {
            let _ = writeln!(err, "{msg}");
            return Err(EXIT_USAGE);
        }
    };
    match crate::compile_source(&name, &source) {
        Ok(program) => Ok((name, source, program)),
        Err(e) => {
            let _ = err.write_all(render_compile_error(&e, &name, &source, color).as_bytes());
            Err(EXIT_COMPILE)
        }
    }
}

/// Reads a program from a path, or standard input for `-`. Returns (display name, text).
pub fn read_source(file: &str) -> Result<(String, String), String> {
    if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("gilvm: cannot read standard input: {e}"))?;
        return Ok(("<stdin>".to_string(), text));
    }
    let bytes = std::fs::read(file).map_err(|e| format!("gilvm: cannot read {file}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "gilvm: {file} is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok((file.to_string(), text))
}

fn dis(
    file: &str,
    model: Option<GilModel>,
    color: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let (_, _, program) = match load_program(file, color, err) {
        Ok(l) => l,
        Err(status) => return status,
    };
    let text = match model {
        None => crate::dis::disassemble(&program),
        Some(m) => {
            let mark = format!("  ⇄ {}", m.name());
            let is_switch_point = |op| crate::vm::gil::marks_switch_point(m, op);
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
            crate::dis::disassemble_marked(&program, Some(&marks))
        }
    };
    let _ = out.write_all(text.as_bytes());
    EXIT_OK
}

/// Draws a fresh seed from the OS's per-process hash randomness (the only nondeterminism
/// gilvm allows, and only when the user asked for a fresh seed).
fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::process::id() as u64);
    h.finish() % 1_000_000
}

/// The GIL model and its switch interval (in the model's unit) from the options.
fn resolve_model(opts: &RunOpts) -> Result<(GilModel, u64), String> {
    let model = GilModel::from_name(&opts.gil)
        .ok_or_else(|| format!("unknown GIL model `{}`", opts.gil))?;
    let interval = match &opts.switch_interval {
        Some(s) => crate::vm::gil::parse_interval(model, s)?,
        None => model.default_interval(),
    };
    Ok((model, interval))
}

/// The command line that reproduces a run.
fn replay_command(file: &str, opts: &RunOpts, seed: u64) -> String {
    let mut cmd = format!("gilvm run {file} --seed {seed}");
    if opts.gil != "any" {
        cmd.push_str(&format!(" --gil {}", opts.gil));
    }
    if let Some(si) = &opts.switch_interval {
        cmd.push_str(&format!(" --switch-interval {si}"));
    }
    if opts.max_steps != crate::vm::machine::DEFAULT_MAX_STEPS {
        cmd.push_str(&format!(" --max-steps {}", opts.max_steps));
    }
    cmd
}

fn run(
    file: &str,
    opts: &RunOpts,
    record: Option<&str>,
    plan: Option<(Plan, String)>,
    color: bool,
    err: &mut dyn Write,
) -> i32 {
    let (_, source, program) = match load_program(file, color, err) {
        Ok(l) => l,
        Err(status) => return status,
    };
    let (model, switch_interval) = match resolve_model(opts) {
        Ok(m) => m,
        Err(msg) => {
            let _ = writeln!(err, "gilvm: {msg}");
            return EXIT_USAGE;
        }
    };
    let seed = match opts.seed {
        Some(s) => s,
        None => {
            let s = fresh_seed();
            let _ = writeln!(err, "gilvm: no --seed given, using seed {s}");
            s
        }
    };
    let replaying = plan.is_some();
    let (plan, replay_cmd) = match plan {
        Some((p, cmd)) => (Some(p), cmd),
        None => (None, replay_command(file, opts, seed)),
    };
    let config = RunConfig {
        seed,
        model,
        switch_interval,
        ns_per_instr: model.ns_per_instr(),
        max_steps: opts.max_steps,
        record: record.is_some(),
        plan,
        ..RunConfig::default()
    };
    let stdout: Box<dyn Write> = Box::new(std::io::BufWriter::new(std::io::stdout()));
    let mut vm = match Vm::new(&program, config, stdout) {
        Ok(vm) => vm,
        Err(_) => {
            let _ = writeln!(
                err,
                "gilvm: the program's constants do not fit in the heap limit"
            );
            return 5;
        }
    };
    let ending = vm.run(err);
    let _ = vm.rt.stdout.flush();
    if let Some(path) = record {
        let schedule = Schedule {
            gilvm_version: env!("CARGO_PKG_VERSION").into(),
            program: file.to_string(),
            program_hash: fnv1a64(source.as_bytes()),
            model: model.name().into(),
            options: vec![
                ("switch-interval".into(), switch_interval.to_string()),
                ("max-steps".into(), opts.max_steps.to_string()),
            ],
            seed,
            entries: vm.schedule().map(|s| s.to_vec()).unwrap_or_default(),
        };
        let names: Vec<String> = vm.threads.iter().map(|t| t.name.clone()).collect();
        if let Err(e) = std::fs::write(path, schedule.to_text(&names)) {
            let _ = writeln!(err, "gilvm: cannot write the schedule to {path}: {e}");
            return EXIT_USAGE;
        }
    }
    if !opts.quiet {
        let model_text = format!(
            "{} ({})",
            model.name(),
            model.describe_interval(switch_interval)
        );
        let _ = write!(err, "{}", vm.summary(&model_text, &replay_cmd));
        if replaying {
            let _ = writeln!(err, "gilvm: replayed from a schedule");
        }
    } else if ending == crate::vm::driver::Ending::Deadlock {
        // A deadlock report is an error report: even without the summary, say how to see it
        // again.
        let _ = writeln!(err, "gilvm: replay: {replay_cmd}");
    }
    // The process exits next (`gilvm run` runs one program): the OS takes the VM's memory back
    // at once, whereas dropping it frees every object and thread one by one, touching memory
    // that is long out of cache — ≈8.5 M x86 instructions and 100,000 cache misses at 10,000
    // threads (cachegrind). Its output was flushed above.
    std::mem::forget(vm);
    ending.exit_code()
}

/// `gilvm trace`: compiles and runs the program like `run`, with a tracer attached.
fn trace_cmd(file: &str, opts: &RunOpts, t: &TraceOpts, color: bool, err: &mut dyn Write) -> i32 {
    let lines = match t
        .lines
        .as_deref()
        .map(crate::trace::parse_lines)
        .transpose()
    {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "gilvm: --lines: {e}");
            return EXIT_USAGE;
        }
    };
    let Some(format) = crate::trace::Format::from_name(&t.format) else {
        let _ = writeln!(err, "gilvm: unknown trace format `{}`", t.format);
        return EXIT_USAGE;
    };
    let (name, source, program) = match load_program(file, color, err) {
        Ok(l) => l,
        Err(status) => return status,
    };
    let followed = match t.schedule.as_deref().map(|p| trace_schedule(p, &source)) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(msg)) => {
            let _ = writeln!(err, "gilvm: {msg}");
            return EXIT_USAGE;
        }
    };
    let (model, switch_interval) = match &followed {
        Some((_, m, i)) => (*m, *i),
        None => match resolve_model(opts) {
            Ok(m) => m,
            Err(msg) => {
                let _ = writeln!(err, "gilvm: {msg}");
                return EXIT_USAGE;
            }
        },
    };
    let seed = match (&followed, opts.seed) {
        (Some((s, _, _)), _) => s.seed,
        (None, Some(s)) => s,
        (None, None) => {
            let s = fresh_seed();
            let _ = writeln!(err, "gilvm: no --seed given, using seed {s}");
            s
        }
    };
    let replay_cmd = match &t.schedule {
        Some(path) => format!("gilvm replay {path}"),
        None => replay_command(file, opts, seed),
    };
    let out: Box<dyn Write> = match &t.output {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Box::new(std::io::BufWriter::new(f)),
            Err(e) => {
                let _ = writeln!(err, "gilvm: cannot write the trace to {path}: {e}");
                return EXIT_USAGE;
            }
        },
        None => Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout(),
        )),
    };
    let settings = crate::trace::TraceSettings {
        format,
        filters: crate::trace::recorder::Filters {
            threads: t.threads.clone(),
            vars: t.vars.clone(),
            lines,
            limit: t.limit,
        },
        program: name,
        source,
        model: model.name().into(),
        interval: model.describe_interval(switch_interval),
        shares_stdout: t.output.is_none(),
    };
    let config = RunConfig {
        seed,
        model,
        switch_interval,
        ns_per_instr: model.ns_per_instr(),
        max_steps: opts.max_steps,
        plan: followed.map(|(s, _, _)| Plan::from_entries(&s.entries)),
        ..RunConfig::default()
    };
    let Some((vm, ending)) = crate::trace::run_traced(&program, config, &settings, out, err) else {
        let _ = writeln!(
            err,
            "gilvm: the program's constants do not fit in the heap limit"
        );
        return 5;
    };
    if !opts.quiet {
        let _ = write!(
            err,
            "{}",
            vm.summary(
                &format!(
                    "{} ({})",
                    model.name(),
                    model.describe_interval(switch_interval)
                ),
                &replay_cmd
            )
        );
    }
    ending.exit_code()
}

/// A schedule for `trace --schedule`: it must be for this program text and a known model.
/// Returns it with its model and switch interval.
fn trace_schedule(path: &str, source: &str) -> Result<(Schedule, GilModel, u64), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let schedule = Schedule::parse(&text).map_err(|e| format!("{path}: {e}"))?;
    let model = GilModel::from_name(&schedule.model).ok_or_else(|| {
        format!(
            "{path} uses GIL model `{}`, which gilvm does not have",
            schedule.model
        )
    })?;
    let hash = fnv1a64(source.as_bytes());
    if schedule.program_hash != 0 && schedule.program_hash != hash {
        return Err(format!(
            "{path} was recorded for a different version of the program (program hash {:016x}, the file has {hash:016x})",
            schedule.program_hash
        ));
    }
    let interval = match schedule.option("switch-interval") {
        Some(v) => crate::vm::gil::parse_interval(model, v).map_err(|e| format!("{path}: {e}"))?,
        None => model.default_interval(),
    };
    Ok((schedule, model, interval))
}

fn replay(path: &str, quiet: bool, record: Option<&str>, color: bool, err: &mut dyn Write) -> i32 {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(err, "gilvm: cannot read {path}: {e}");
            return EXIT_USAGE;
        }
    };
    let schedule = match Schedule::parse(&text) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "gilvm: {path}: {e}");
            return EXIT_USAGE;
        }
    };
    let Some(model) = GilModel::from_name(&schedule.model) else {
        let _ = writeln!(
            err,
            "gilvm: {path} was recorded under GIL model `{}`, which this gilvm does not have (it has: any, py27, py39, py311, nogil)",
            schedule.model
        );
        return EXIT_USAGE;
    };
    let source = match std::fs::read(&schedule.program) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(
                err,
                "gilvm: {path} replays {}, which cannot be read: {e}",
                schedule.program
            );
            return EXIT_USAGE;
        }
    };
    if schedule.program_hash != 0 && fnv1a64(&source) != schedule.program_hash {
        let _ = writeln!(
            err,
            "gilvm: {path} was recorded for a different version of {} (program hash {:016x}, the file now has {:016x}); refusing to replay",
            schedule.program,
            schedule.program_hash,
            fnv1a64(&source)
        );
        return EXIT_USAGE;
    }
    let num = |name: &str, default: u64| -> Result<u64, String> {
        match schedule.option(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("{name} must be a number, found `{v}`")),
        }
    };
    let (switch_interval, max_steps) = match (
        num("switch-interval", model.default_interval()),
        num("max-steps", crate::vm::machine::DEFAULT_MAX_STEPS),
    ) {
        (Ok(a), Ok(b)) => (a.max(1), b),
        (Err(e), _) | (_, Err(e)) => {
            let _ = writeln!(err, "gilvm: {path}: {e}");
            return EXIT_USAGE;
        }
    };
    let interval_text = match model.unit() {
        crate::vm::gil::IntervalUnit::Nanos => format!("{switch_interval}ns"),
        _ => switch_interval.to_string(),
    };
    let opts = RunOpts {
        seed: Some(schedule.seed),
        gil: model.name().to_string(),
        switch_interval: Some(interval_text),
        max_steps,
        quiet,
    };
    let cmd = format!("gilvm replay {path}");
    run(
        &schedule.program,
        &opts,
        record,
        Some((Plan::from_entries(&schedule.entries), cmd)),
        color,
        err,
    )
}
