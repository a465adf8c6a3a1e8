//! Command-line interface: clap definitions and dispatch. The arguments become the run layer's
//! plain [`RunArgs`] and [`TraceArgs`] (or the sweep's [`SweepArgs`]), which `run.rs` and
//! `sweep/` check and run. Nothing below this layer knows clap.
//!
//! Exit statuses (DESIGN.md §7, `run::EXIT_*`): 0 success; 1 uncaught exception in the main
//! thread; 2 usage error or unreadable file; 3 syntax or compile error; 4 deadlock; 5 a
//! resource limit; 6 races found (`--races`, when nothing worse happened); 8 `explore` found a
//! failure; 9 `explore` found none but could not finish (its budget ran out, or an execution
//! went past the scheduling points one may take).

use std::io::IsTerminal;

use clap::{Parser, Subcommand};

use crate::run::{RunArgs, TraceArgs, EXIT_OK, EXIT_USAGE};
use crate::sweep::SweepArgs;
use crate::termout::ColorChoice;
use crate::vm::gil::GilModel;

mod examples;
mod gen;

#[derive(Parser, Debug)]
#[command(
    name = "gilvm",
    version,
    about = "Run Python-flavoured programs with green threads under a simulated GIL"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
    /// Colour the trace and the run summary by thread: auto (on a terminal, unless NO_COLOR
    /// is set), always, never.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto", value_parser = ["auto", "always", "never"])]
    color: String,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Print the bytecode of every code object, in CPython's `dis` layout.
    #[command(after_help = examples::DIS)]
    Dis {
        /// The program (`-` reads standard input).
        file: String,
        /// Mark the instructions after which this GIL model may switch threads.
        #[arg(long, value_name = "MODEL", value_parser = ["any", "py27", "py39", "py311", "nogil"])]
        gil: Option<String>,
        /// Also print CPython 3.11's inline cache entries (`CACHE` rows), as
        /// `dis.dis(code, show_caches=True)`.
        #[arg(long)]
        show_caches: bool,
    },
    /// Run a program under the simulated GIL.
    #[command(after_help = examples::RUN)]
    Run {
        /// The program (`-` reads standard input).
        file: String,
        #[command(flatten)]
        opts: RunOpts,
        /// Write the run's schedule to this file (replay it with `gilvm replay`).
        #[arg(long, value_name = "SCHEDULE")]
        record: Option<String>,
        /// Arguments for the program, after `--`: its `sys.argv[1:]`
        /// (`gilvm run prog.py --seed 3 -- a b`).
        #[arg(last = true, value_name = "ARGS")]
        args: Vec<String>,
    },
    /// Run a program with the data-race detector (`run --races`), the summary focused on
    /// races: exit status 6 when it finds any.
    #[command(after_help = examples::RACES)]
    Races {
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
    #[command(after_help = examples::TRACE)]
    Trace {
        /// The program (`-` reads standard input).
        file: String,
        #[command(flatten)]
        opts: RunOpts,
        #[command(flatten)]
        trace: TraceOpts,
    },
    /// Re-run a recorded (or hand-written) schedule exactly.
    #[command(after_help = examples::REPLAY)]
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
    #[command(after_help = examples::SWEEP)]
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
        #[arg(long, value_name = "X", allow_hyphen_values = true)]
        switch_interval: Option<String>,
        /// Stop a run (exit status 5) after this many instructions.
        #[arg(long, value_name = "N", default_value_t = crate::vm::machine::DEFAULT_MAX_STEPS, allow_negative_numbers = true)]
        max_steps: u64,
        /// Heap limit of each run: past it the program gets MemoryError (e.g. 512MB, 2GB)
        /// [default: 1GiB].
        #[arg(long, value_name = "SIZE")]
        max_memory: Option<String>,
        /// Worker threads [default: the number of CPUs].
        #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024), allow_negative_numbers = true)]
        jobs: Option<u64>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Distinct stdout values listed per model (0 lists all).
        #[arg(
            long,
            value_name = "N",
            default_value_t = 10,
            allow_negative_numbers = true
        )]
        top: usize,
        /// Exit with status 7 when any run shows one of these kinds of finding:
        /// lost,deadlock,exception,limit,output (or all).
        #[arg(long, value_name = "KINDS")]
        fail_on: Option<String>,
        /// Exit with status 7 when any run prints something other than this file holds
        /// (implies --fail-on output).
        #[arg(long, value_name = "FILE")]
        expect_output: Option<String>,
        /// Sweep share I of N of the seeds (0 ≤ I < N); combine the --json reports with
        /// `gilvm merge`.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
    },
    // --- explore (systematic exploration) ---
    /// Explore a program's schedules systematically: prove it cannot fail under a GIL model
    /// (dfs), or find a failure and shrink it to the fewest preemptions.
    #[command(after_help = examples::EXPLORE)]
    Explore(ExploreOpts),
    /// Combine the --json reports of the shards of one exploration (explore --shard I/N) or
    /// one sweep (sweep --shard I/N) into the report the unsharded run writes.
    #[command(after_help = examples::MERGE)]
    Merge {
        /// The shards' reports.
        #[arg(required = true)]
        reports: Vec<String>,
    },
    // --- shell completions and the man page (src/cli/gen.rs) ---
    /// Print the shell completion script for gilvm.
    #[command(after_help = examples::COMPLETIONS)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print gilvm's man page (roff), or write a page per command into a directory.
    #[command(after_help = examples::MAN)]
    Man {
        /// Write gilvm.1 and gilvm-COMMAND.1 for every command into this directory.
        #[arg(short = 'o', long = "output", value_name = "DIR")]
        output: Option<String>,
        /// Do not name the files written.
        #[arg(short, long)]
        quiet: bool,
    },
}

/// The options of `gilvm explore`.
#[derive(clap::Args, Debug, Clone)]
struct ExploreOpts {
    /// The program (`-` reads standard input).
    file: String,
    /// dfs: every schedule, with partial-order reduction; pct: randomized with a guarantee;
    /// random: the seeded scheduler.
    #[arg(long, default_value = "dfs", value_parser = ["dfs", "pct", "random"])]
    strategy: String,
    /// GIL model: where threads may be switched.
    #[arg(long, value_name = "MODEL", default_value = "any", value_parser = ["any", "py27", "py39", "py311", "nogil"])]
    gil: String,
    /// Switch interval of the seeded scheduler (random).
    #[arg(long, value_name = "N|DURATION", allow_hyphen_values = true)]
    switch_interval: Option<String>,
    /// dfs: explore with at most 0, then 1, … K preemptions [default: unbounded, one pass].
    #[arg(long, value_name = "K")]
    preemption_bound: Option<u32>,
    /// pct: the bug depth D (D−1 priority change points).
    #[arg(long, value_name = "D", default_value_t = 2)]
    depth: u32,
    /// pct, random: executions to run.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    runs: u64,
    /// Seed: of the first run (random, pct: run r uses seed+r), of every execution's noise
    /// and `random` module (dfs).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop after this many executions.
    #[arg(long, value_name = "N", default_value_t = crate::explore::DEFAULT_MAX_EXECUTIONS)]
    max_executions: u64,
    /// Stop an execution (a `limit` failure) after this many instructions.
    #[arg(long, value_name = "N", default_value_t = crate::explore::DEFAULT_MAX_STEPS)]
    max_steps: u64,
    /// Stop at the first failure.
    #[arg(long)]
    first: bool,
    /// What counts as a failure (repeatable): exception, deadlock, limit, lost-update, race
    /// (turns on --races), output [default: all but output; race only with --races].
    #[arg(long, value_name = "WHAT")]
    until: Vec<String>,
    /// With `--until output`: the expected stdout (default: the first execution's).
    #[arg(long, value_name = "FILE")]
    expect_output: Option<String>,
    /// Write the shrunk failing schedule here (replay it with `gilvm replay`).
    #[arg(long, value_name = "SCHEDULE")]
    record: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Do share I of N of the work (0 ≤ I < N); combine the --json reports with `gilvm merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Worker threads [default: the number of CPUs].
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    jobs: Option<u64>,
    /// Run the data-race detector in every execution: each race is reported once, and `race`
    /// joins the failure kinds (exit status 8 when one is found).
    #[arg(long)]
    races: bool,
}

/// Options shared by everything that runs a program.
#[derive(clap::Args, Debug, Clone)]
struct RunOpts {
    /// Seed of the scheduler (a fresh one is drawn and printed when omitted).
    #[arg(long, allow_negative_numbers = true)]
    seed: Option<u64>,
    /// GIL model: which CPython's switch points to reproduce.
    #[arg(long, value_name = "MODEL", default_value = "any", value_parser = ["any", "py27", "py39", "py311", "nogil"])]
    gil: String,
    /// Switch interval: mean instructions per quantum (any, nogil), ticks (py27), or a
    /// duration of virtual time such as 5ms or 1us (py39, py311). Defaults: 100, 2, 100, 5ms.
    #[arg(long, value_name = "N|DURATION", allow_hyphen_values = true)]
    switch_interval: Option<String>,
    /// Stop (exit status 5) after this many instructions.
    #[arg(long, value_name = "N", default_value_t = crate::vm::machine::DEFAULT_MAX_STEPS, allow_negative_numbers = true)]
    max_steps: u64,
    /// Heap limit: past it the program gets MemoryError (e.g. 512MB, 2GB, 1GiB) [default: 1GiB].
    #[arg(long, value_name = "SIZE")]
    max_memory: Option<String>,
    /// No run summary on stderr.
    #[arg(short, long)]
    quiet: bool,
    /// Detect data races (happens-before): report each racing pair of accesses, and exit
    /// with status 6 if there are any.
    #[arg(long)]
    races: bool,
    /// With --races: also write the races as JSON to this file.
    #[arg(long, value_name = "FILE")]
    races_json: Option<String>,
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
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
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
    let choice = match cli.color.as_str() {
        "always" => ColorChoice::Always,
        "never" => ColorChoice::Never,
        _ => ColorChoice::Auto,
    };
    // Colour on stderr (the summary) and on stdout (the text trace), each decided for its
    // own stream: `gilvm trace prog.toy | less` keeps the summary coloured on the terminal.
    let color = choice.enabled(std::io::stderr().is_terminal());
    let color_out = choice.enabled(std::io::stdout().is_terminal());
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    match cli.command {
        Cmd::Dis {
            file,
            gil,
            show_caches,
        } => crate::run::dis_cmd(
            &file,
            gil.as_deref().and_then(GilModel::from_name),
            show_caches,
            color,
            &mut stdout.lock(),
            &mut stderr.lock(),
        ),
        Cmd::Run {
            file,
            opts,
            record,
            args,
        } => {
            let mut run_args: RunArgs = opts.into();
            run_args.argv = args;
            crate::run::run_cmd(
                &file,
                &run_args,
                record.as_deref(),
                color,
                &mut stderr.lock(),
            )
        }
        Cmd::Races { file, opts, record } => {
            let mut args: RunArgs = opts.into();
            args.races = true;
            args.races_focus = true;
            crate::run::run_cmd(&file, &args, record.as_deref(), color, &mut stderr.lock())
        }
        Cmd::Trace { file, opts, trace } => {
            let mut trace: TraceArgs = trace.into();
            trace.color = color_out;
            crate::run::trace_cmd(&file, &opts.into(), &trace, color, &mut stderr.lock())
        }
        Cmd::Replay {
            schedule,
            quiet,
            record,
        } => crate::run::replay_cmd(
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
            max_memory,
            jobs,
            json,
            top,
            fail_on,
            expect_output,
            shard,
        } => {
            let args = SweepArgs {
                shard,
                file,
                seeds,
                models: gil,
                switch_interval,
                max_steps,
                max_memory,
                jobs,
                json,
                top,
                fail_on,
                expect_output,
            };
            // Not `stderr.lock()`: the progress bar draws on stderr from the worker threads,
            // which would wait forever for a lock this thread holds.
            crate::sweep::main(&args, color, &mut stdout.lock(), &mut std::io::stderr())
        }
        Cmd::Explore(o) => {
            let args = crate::explore::ExploreArgs {
                file: o.file,
                strategy: o.strategy,
                gil: o.gil,
                switch_interval: o.switch_interval,
                preemption_bound: o.preemption_bound,
                depth: o.depth,
                runs: o.runs,
                seed: o.seed,
                max_executions: o.max_executions,
                max_steps: o.max_steps,
                first: o.first,
                until: o.until,
                expect_output: o.expect_output,
                record: o.record,
                json: o.json,
                shard: o.shard,
                jobs: o.jobs,
                races: o.races,
            };
            // Not `stderr.lock()`: the progress bar draws from the worker threads.
            crate::explore::main(&args, color, &mut stdout.lock(), &mut std::io::stderr())
        }
        Cmd::Merge { reports } => {
            crate::explore::merge::main(&reports, &mut stdout.lock(), &mut stderr.lock())
        }
        Cmd::Completions { shell } => gen::completions(shell, &mut stdout.lock()),
        Cmd::Man { output, quiet } => gen::man(
            output.as_deref(),
            quiet,
            &mut stdout.lock(),
            &mut stderr.lock(),
        ),
    }
}

impl From<RunOpts> for RunArgs {
    fn from(o: RunOpts) -> RunArgs {
        RunArgs {
            seed: o.seed,
            gil: o.gil,
            switch_interval: o.switch_interval,
            max_steps: o.max_steps,
            max_memory: o.max_memory,
            quiet: o.quiet,
            races: o.races || o.races_json.is_some(),
            races_json: o.races_json,
            races_focus: false,
            argv: Vec::new(),
        }
    }
}

impl From<TraceOpts> for TraceArgs {
    fn from(t: TraceOpts) -> TraceArgs {
        TraceArgs {
            format: t.format,
            output: t.output,
            threads: t.threads,
            vars: t.vars,
            lines: t.lines,
            limit: t.limit,
            schedule: t.schedule,
            color: false,
        }
    }
}
