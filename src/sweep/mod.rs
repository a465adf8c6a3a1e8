//! `gilvm sweep`: run one program under many seeds and several GIL models, on all cores, and
//! summarise the distribution of outcomes (stdout, exit status, lost updates).
//!
//! The program is compiled and linked once into an `Image` (plain data, shared by reference by
//! every worker). Each worker takes its own `Rc` copy of it once (`Image::local`), and each run
//! builds its own `Vm` from that copy (the VM uses `Rc` and stays on the worker thread that made
//! it) with stdout and stderr captured in memory. Runs are independent and deterministic, and results are gathered
//! with rayon's order-preserving `collect`, then folded into the report in (seed, model) order —
//! so the report is byte-identical for any `--jobs`. Nothing here chooses a schedule: every
//! nondeterministic decision belongs to the VM's seeded scheduler.
//!
//! Every GIL model of `vm::gil` can be swept; `run_config` turns a model name and the options
//! into a `RunConfig` with the run layer's checks (`run.rs`), exactly as `gilvm run` does.

pub mod merge;
mod report;
pub mod verdict;

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::ops::Range;
use std::rc::Rc;
use std::time::Instant;

use rayon::prelude::*;

use crate::run::{self, check_model, EXIT_COMPILE, EXIT_OK, EXIT_SWEEP_FAILED, EXIT_USAGE};
use crate::vm::machine::{RunConfig, Vm};
use crate::vm::prelude::{Image, LocalImage};

pub use report::{ExitRow, LostStats, ModelReport, OutputRow, SweepReport};

/// The most runs (seeds × models) one sweep may do: the report keeps one number per run.
pub const MAX_RUNS: u64 = 10_000_000;

/// How many runs are handed to the pool at a time (bounds the memory of in-flight outcomes).
const CHUNK: usize = 4096;

/// The options of `gilvm sweep` as the user gave them (parsed by the CLI, not yet checked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepArgs {
    pub file: String,
    /// `--seeds` as given.
    pub seeds: String,
    /// `--gil` as given, in order, possibly repeated (empty: `any`).
    pub models: Vec<String>,
    pub switch_interval: Option<String>,
    pub max_steps: u64,
    /// `--max-memory` as given (`None`: the default heap limit).
    pub max_memory: Option<String>,
    pub jobs: Option<u64>,
    pub json: bool,
    pub top: usize,
    /// `--fail-on` as given (`lost,deadlock,…`).
    pub fail_on: Option<String>,
    /// `--expect-output FILE`.
    pub expect_output: Option<String>,
    /// `--shard I/N` as given: this process sweeps every N-th seed from the I-th.
    pub shard: Option<String>,
}

impl SweepArgs {
    /// Checks the seeds and the models (once each, in the order given).
    pub fn check(&self) -> Result<SweepConfig, String> {
        let seeds = parse_seeds(&self.seeds)?;
        let mut models: Vec<String> = Vec::new();
        let given = if self.models.is_empty() {
            vec!["any".to_string()]
        } else {
            self.models.clone()
        };
        for m in given {
            check_model(&m)?;
            if !models.contains(&m) {
                models.push(m);
            }
        }
        let mut fail_on = match &self.fail_on {
            Some(t) => verdict::parse_fail_on(t)?,
            None => Vec::new(),
        };
        let expected = match &self.expect_output {
            Some(path) => {
                let bytes = std::fs::read(path)
                    .map_err(|e| format!("cannot read --expect-output {path}: {e}"))?;
                if !fail_on.contains(&verdict::Kind::Output) {
                    fail_on.push(verdict::Kind::Output);
                    fail_on.sort();
                }
                Some((path.clone(), bytes))
            }
            None => None,
        };
        // Which runs print "something other than the most common output" depends on every
        // run's output: a shard cannot tell, so its failing runs could not be merged.
        if self.shard.is_some() && expected.is_none() && fail_on.contains(&verdict::Kind::Output) {
            return Err(
                "--shard with --fail-on output needs --expect-output FILE (a shard cannot \
                 know the whole sweep's most common output)"
                    .to_string(),
            );
        }
        Ok(SweepConfig {
            fail_on,
            expected,
            file: self.file.clone(),
            seeds,
            models,
            switch_interval: self.switch_interval.clone(),
            max_steps: self.max_steps,
            max_memory: run::check_max_memory(self.max_memory.as_deref())?,
            jobs: self.jobs.map(|j| j as usize),
            json: self.json,
            top: self.top,
            shard: self
                .shard
                .as_deref()
                .map(crate::explore::parse_shard)
                .transpose()?,
        })
    }
}

/// Everything that shapes a sweep, checked ([`SweepArgs::check`]).
#[derive(Clone, Debug)]
pub struct SweepConfig {
    /// The program as named on the command line (`-` for stdin); used in replay commands.
    pub file: String,
    pub seeds: Range<u64>,
    /// Models in the order given; each appears once.
    pub models: Vec<String>,
    /// `--switch-interval` as given, interpreted by each model (`None`: the model's default).
    pub switch_interval: Option<String>,
    pub max_steps: u64,
    /// The heap limit of each run, in bytes.
    pub max_memory: usize,
    /// Worker threads (`None`: the machine's available parallelism).
    pub jobs: Option<usize>,
    pub json: bool,
    /// Distinct stdout values listed per model in the text report (0: all).
    pub top: usize,
    /// The kinds of finding that fail the sweep (`--fail-on`; `--expect-output` adds
    /// `output`).
    pub fail_on: Vec<verdict::Kind>,
    /// `--expect-output`: the file's name and contents.
    pub expected: Option<(String, Vec<u8>)>,
    /// This process's share (`--shard I/N`): the seeds whose index from the first is I mod N.
    pub shard: Option<(u64, u64)>,
}

/// What one run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub seed: u64,
    pub stdout: Vec<u8>,
    pub exit: i32,
    /// Updates erased, summed over every location that lost one (as the run summary counts).
    pub lost: u64,
    /// Stores that erased at least one update.
    pub lost_stores: u64,
    /// Stale checks acted on (the check-then-act detector, `vm/cta.rs`).
    pub stale_checks: u64,
    /// The last line gilvm wrote to stderr (an exception), if any; for a deadlock, the
    /// report's conclusion (`cycle: …`).
    pub stderr_last: String,
    /// The locations that lost updates (`counter`, `balance`), when some did.
    pub lost_vars: Vec<String>,
    /// The deadlock report's conclusion (`cycle: Thread-1 -> …`), if the run deadlocked.
    pub deadlock: Option<String>,
    /// The distinct crashes of threads, without the thread's name (which depends on the
    /// schedule): `IndexError: pop from empty list at line 12, in consumer`.
    pub crashes: Vec<String>,
    /// The distinct places where a stale check was acted on, without threads or values
    /// (`checked `len(stock)` at line 12, then called `stock.pop()` at line 16`).
    pub stale_sites: Vec<String>,
}

impl Outcome {
    /// Whether the lost-update detector fired in this run.
    pub fn lost_updates(&self) -> bool {
        self.lost_stores > 0
    }
}

/// Parses `A..B` (B excluded) or `A..=B` (B included) into a non-empty range of seeds.
pub fn parse_seeds(text: &str) -> Result<Range<u64>, String> {
    let bad =
        || format!("--seeds wants a range like 0..1000 (end excluded) or 0..=999, found `{text}`");
    let (a, b, inclusive) = if let Some((a, b)) = text.split_once("..=") {
        (a, b, true)
    } else if let Some((a, b)) = text.split_once("..") {
        (a, b, false)
    } else {
        return Err(bad());
    };
    let start: u64 = a.trim().parse().map_err(|_| bad())?;
    let end: u64 = b.trim().parse().map_err(|_| bad())?;
    let end = if inclusive {
        end.checked_add(1).ok_or_else(|| {
            format!(
                "--seeds {text}: the last seed can be at most {}",
                u64::MAX - 1
            )
        })?
    } else {
        end
    };
    if end <= start {
        return Err(format!(
            "--seeds {text} is empty: the end must be above the start"
        ));
    }
    Ok(start..end)
}

/// The run configuration of `seed` under the model called `model`: the model's own default
/// switch interval unless `--switch-interval` was given (in the model's unit).
pub fn run_config(cfg: &SweepConfig, model: &str, seed: u64) -> Result<RunConfig, String> {
    let model = check_model(model)?;
    let switch_interval = run::check_switch_interval(model, cfg.switch_interval.as_deref())?;
    Ok(RunConfig {
        heap_limit: cfg.max_memory,
        argv: vec![cfg.file.clone()],
        ..run::run_config(model, switch_interval, cfg.max_steps, seed)
    })
}

/// The command that reproduces one run of the sweep.
pub fn replay_command(cfg: &SweepConfig, model: &str, seed: u64) -> String {
    run::replay_command(
        &cfg.file,
        model,
        cfg.switch_interval.as_deref(),
        cfg.max_steps,
        cfg.max_memory,
        seed,
    )
}

/// How much of one run's stdout a sweep keeps. A run's output is only bounded by
/// `--max-steps` (`while True: print(s)` writes gigabytes), and a sweep holds the output of
/// thousands of runs at once (a chunk) plus every distinct one, outside the heap limit.
pub const MAX_OUTPUT_KEPT: usize = 64 * 1024;

/// The output of one run as a sweep keeps it: its first [`MAX_OUTPUT_KEPT`] bytes, and the
/// length and a hash (FNV-1a) of the rest, so outputs that differ only past the cut stay apart.
#[derive(Default)]
struct KeptOutput {
    kept: Vec<u8>,
    cut_bytes: u64,
    cut_hash: u64,
}

impl KeptOutput {
    /// What the report shows: the output, or its first part and a line saying what was cut.
    fn into_bytes(self) -> Vec<u8> {
        let mut out = self.kept;
        if self.cut_bytes > 0 {
            out.extend_from_slice(
                format!(
                    "\n[gilvm sweep: output cut after {MAX_OUTPUT_KEPT} bytes; {} more bytes, fnv1a64 {:016x}]\n",
                    self.cut_bytes, self.cut_hash
                )
                .as_bytes(),
            );
        }
        out
    }
}

/// A `Write` into a shared [`KeptOutput`], so the caller can read what a `Vm` printed.
#[derive(Clone, Default)]
struct SharedBuf(Rc<RefCell<KeptOutput>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut o = self.0.borrow_mut();
        let room = MAX_OUTPUT_KEPT - o.kept.len();
        let (keep, cut) = buf.split_at(room.min(buf.len()));
        o.kept.extend_from_slice(keep);
        if !cut.is_empty() {
            if o.cut_bytes == 0 {
                o.cut_hash = 0xcbf2_9ce4_8422_2325;
            }
            o.cut_bytes += cut.len() as u64;
            for &b in cut {
                o.cut_hash = (o.cut_hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs the program of `image` (this thread's copy) once under `config`, capturing its output.
pub fn run_one(image: &LocalImage, config: RunConfig) -> Outcome {
    let seed = config.seed;
    let out = SharedBuf::default();
    let mut err: Vec<u8> = Vec::new();
    let mut lost_vars: Vec<String> = Vec::new();
    let mut deadlock = None;
    let mut crashes: Vec<String> = Vec::new();
    let mut stale_checks = 0;
    let mut stale_sites: Vec<String> = Vec::new();
    let (exit, lost, lost_stores) = match Vm::new(image, config, Box::new(out.clone())) {
        Ok(mut vm) => {
            let ending = vm.run(&mut err);
            if ending == crate::vm::driver::Ending::Deadlock {
                // The cycle, and for a cycle of lock holders which lock each one holds and
                // waits for, so the verdict row names the locks as the run's report does.
                let view = vm.deadlock_view();
                let mut text = view.summary;
                if !view.holds.is_empty() {
                    text = format!("{text}; {}", view.holds.join("; "));
                }
                deadlock = Some(text);
            }
            for c in &vm.crashes {
                let text = format!("{} at line {}, in {}", c.exception, c.line, c.function);
                if !crashes.contains(&text) {
                    crashes.push(text);
                }
            }
            let names: Vec<String> = vm
                .lost
                .iter()
                .filter(|(_, t)| t.events > 0)
                .map(|(loc, _)| vm.location_name(*loc))
                .collect();
            lost_vars = names;
            let mut lost = 0u64;
            let mut stores = 0u64;
            for t in vm.lost.values().filter(|t| t.events > 0) {
                lost += t.erased.max(0) as u64;
                stores += t.events;
            }
            stale_checks = vm.cta.count;
            for e in &vm.cta.events {
                let site = vm.cta_site(e);
                if !stale_sites.contains(&site) {
                    stale_sites.push(site);
                }
            }
            (ending.exit_code(), lost, stores)
        }
        Err(_) => {
            err.extend_from_slice(b"error: the program's constants do not fit in the heap limit\n");
            (5, 0, 0)
        }
    };
    let stdout = std::mem::take(&mut *out.0.borrow_mut()).into_bytes();
    let stderr = String::from_utf8_lossy(&err);
    Outcome {
        seed,
        stdout,
        exit,
        lost,
        lost_stores,
        // A deadlock's report ends with details; its conclusion is the line that says it all.
        stderr_last: match &deadlock {
            Some(summary) => summary.clone(),
            None => stderr.lines().last().unwrap_or("").to_string(),
        },
        lost_vars,
        deadlock,
        crashes,
        stale_checks,
        stale_sites,
    }
}

/// Runs every seed under every model of `cfg` on `jobs` worker threads, calling `tick` after
/// each run (from the worker threads), and folds the outcomes into a report.
pub fn sweep(
    image: &Image,
    cfg: &SweepConfig,
    jobs: usize,
    tick: &(dyn Fn() + Sync),
) -> Result<SweepReport, String> {
    for m in &cfg.models {
        check_model(m)?;
    }
    let per_model = cfg.seeds.end - cfg.seeds.start;
    let total = per_model.saturating_mul(cfg.models.len() as u64);
    if total > MAX_RUNS {
        return Err(format!(
            "a sweep is limited to {} runs (seeds × models); this one asks for {}",
            crate::vm::summary::grouped(MAX_RUNS),
            crate::vm::summary::grouped(total)
        ));
    }
    // Validate the options once, before any worker starts.
    let configs: Vec<RunConfig> = cfg
        .models
        .iter()
        .map(|m| run_config(cfg, m, cfg.seeds.start))
        .collect::<Result<_, _>>()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| format!("cannot start {jobs} worker threads: {e}"))?;
    let mut report = SweepReport::new(cfg);
    let tasks: Vec<(usize, u64)> = cfg
        .seeds
        .clone()
        .filter(|s| {
            cfg.shard
                .is_none_or(|(i, n)| (s - cfg.seeds.start) % n == i)
        })
        .flat_map(|s| (0..cfg.models.len()).map(move |m| (m, s)))
        .collect();
    for chunk in tasks.chunks(CHUNK) {
        let outcomes: Vec<Outcome> = pool.install(|| {
            chunk
                .par_iter()
                // One copy of the image per rayon job (a handful per worker and chunk), so
                // that a run's `Rc` clones stay plain, uncontended increments.
                .map_init(
                    || image.local(),
                    |local, &(m, seed)| {
                        let config = RunConfig {
                            seed,
                            ..configs[m].clone()
                        };
                        let o = run_one(local, config);
                        tick();
                        o
                    },
                )
                .collect()
        });
        for (&(m, _), o) in chunk.iter().zip(outcomes) {
            report.add(m, o);
        }
    }
    Ok(report.finish(cfg))
}

/// The `gilvm sweep` command from the options as given: check them, then [`command`].
pub fn main(args: &SweepArgs, color: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match args.check() {
        Ok(cfg) => command(&cfg, color, out, err),
        Err(msg) => {
            let _ = writeln!(err, "error: {msg}");
            EXIT_USAGE
        }
    }
}

/// The `gilvm sweep` command: read and compile the program, sweep with a progress bar on a
/// terminal, print the report on `out`. Returns the exit status. `err` must not hold the lock
/// of the process's stderr: the progress bar draws there from other threads.
pub fn command(cfg: &SweepConfig, color: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let (_, program) = match run::load_program(&cfg.file, color, err) {
        Ok(l) => l,
        Err(status) => return status,
    };
    let image = match run::image(&program) {
        Ok(i) => i,
        Err(msg) => {
            let _ = writeln!(err, "{msg}");
            return EXIT_COMPILE;
        }
    };
    let jobs = cfg.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let total = (cfg.seeds.end - cfg.seeds.start).saturating_mul(cfg.models.len() as u64);
    let terminal = std::io::stderr().is_terminal();
    let bar = if terminal {
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {human_pos}/{human_len} runs · {elapsed} · eta {eta}",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let started = Instant::now();
    let result = sweep(&image, cfg, jobs, &|| bar.inc(1));
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(msg) => {
            let _ = writeln!(err, "error: {msg}");
            return EXIT_USAGE;
        }
    };
    if terminal {
        // Timing is for the person watching; piped stderr stays deterministic.
        let _ = writeln!(
            err,
            "gilvm: {} in {:.2} s on {jobs} job{}",
            crate::vm::summary::plural(total, "run", "runs"),
            started.elapsed().as_secs_f64(),
            if jobs == 1 { "" } else { "s" }
        );
    }
    let text = if cfg.json {
        let mut j = serde_json::to_string_pretty(&report).unwrap_or_default();
        j.push('\n');
        j
    } else {
        report.render_text(cfg.top)
    };
    let passed = report.failing_runs == 0;
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) if passed => EXIT_OK,
        Ok(()) => EXIT_SWEEP_FAILED,
        // A closed pipe (`gilvm sweep … | head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe && passed => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_SWEEP_FAILED,
        Err(e) => {
            let _ = writeln!(err, "error: cannot write the report: {e}");
            EXIT_USAGE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_seeds(text: &str, expected: Result<Range<u64>, ()>) {
        assert_eq!(parse_seeds(text).map_err(|_| ()), expected, "{text}");
    }

    #[test]
    fn seed_ranges() {
        check_seeds("0..1000", Ok(0..1000));
        check_seeds("5..=9", Ok(5..10));
        check_seeds(" 3 .. 4 ", Ok(3..4));
        check_seeds("4..4", Err(()));
        check_seeds("9..1", Err(()));
        check_seeds("10", Err(()));
        check_seeds("a..b", Err(()));
        check_seeds("0..=18446744073709551615", Err(()));
    }

    fn cfg() -> SweepConfig {
        SweepConfig {
            file: "programs/counter_race.toy".into(),
            seeds: 0..4,
            models: vec!["any".into()],
            switch_interval: None,
            max_steps: crate::vm::machine::DEFAULT_MAX_STEPS,
            max_memory: crate::vm::machine::DEFAULT_HEAP_LIMIT,
            jobs: Some(1),
            json: false,
            top: 10,
            fail_on: Vec::new(),
            expected: None,
            shard: None,
        }
    }

    #[test]
    fn replay_commands_name_only_what_differs_from_the_defaults() {
        let mut c = cfg();
        assert_eq!(
            replay_command(&c, "any", 7),
            "gilvm run programs/counter_race.toy --seed 7"
        );
        c.file = "my race.toy".into();
        c.switch_interval = Some("3".into());
        c.max_steps = 1000;
        assert_eq!(
            replay_command(&c, "any", 7),
            "gilvm run 'my race.toy' --seed 7 --switch-interval 3 --max-steps 1000"
        );
    }

    #[test]
    fn unknown_models_and_bad_intervals_are_errors() {
        let mut c = cfg();
        assert!(run_config(&c, "py2", 0).is_err());
        c.switch_interval = Some("0".into());
        assert!(run_config(&c, "any", 0).is_err());
        c.switch_interval = Some("1000".into());
        assert_eq!(
            run_config(&c, "any", 0).map(|r| r.switch_interval),
            Ok(1000)
        );
        c.switch_interval = Some("1us".into());
        assert_eq!(
            run_config(&c, "py39", 0).map(|r| r.switch_interval),
            Ok(1000)
        );
        assert!(run_config(&c, "py27", 0).is_err());
        c.switch_interval = None;
        let r = run_config(&c, "py311", 3).expect("valid");
        assert_eq!(
            (r.model, r.seed, r.switch_interval),
            (crate::vm::gil::GilModel::Py311, 3, 5_000_000)
        );
    }

    #[test]
    fn a_run_captures_stdout_exit_status_and_lost_updates() {
        let src = "import threading\nc = 0\ndef f():\n    global c\n    for _ in range(2000):\n        c += 1\n\
ts = [threading.Thread(target=f) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(c)\n1/0\n";
        let prog = crate::compile_source("t.toy", src).expect("compiles");
        let c = cfg();
        let image = run::image(&prog).expect("links");
        let o = run_one(&image.local(), run_config(&c, "any", 1).expect("valid"));
        let printed: u64 = String::from_utf8_lossy(&o.stdout)
            .trim()
            .parse()
            .expect("a number");
        assert_eq!(o.exit, 1);
        assert_eq!(o.stderr_last, "ZeroDivisionError: division by zero");
        assert_eq!(printed + o.lost, 6000);
        assert_eq!(o.lost_updates(), o.lost > 0);
    }
}
