//! `gilvm explore`: systematic exploration of a program's schedules — prove that it cannot
//! fail under a GIL model, or find the shortest way it does.
//!
//! Three strategies, one execution engine (`exec.rs`: a fresh VM from the image compiled once,
//! driven a step at a time through `Vm::turn`, each step's footprint observed):
//!
//! - `dfs` (`dfs.rs`, the design note of the algorithm): stateless model checking with
//!   dynamic partial-order reduction (source sets and sleep sets), optionally iterated over
//!   preemption bounds 0..=K. Complete: when it ends within its budget, every reachable outcome
//!   has been seen.
//! - `pct` (`pct.rs`): Burckhardt et al.'s probabilistic concurrency testing, with its
//!   guarantee printed from the measured number of threads and steps.
//! - `random`: the seeded scheduler exactly as `run` and `sweep` use it, seeds `seed..seed+runs`.
//!
//! Every execution's outcome (stdout, exit status, lost updates) is counted. The first failure
//! (`--until`) is then shrunk (`shrink.rs`): an exhaustive search by increasing preemption
//! bound for the same kind of failure, so the schedule written with `--record` has the fewest
//! preemptions, then the fewest instructions.
//!
//! Work splits deterministically for `--jobs` and `--shard I/N` (`split.rs`): runs by index
//! (random, pct: workers take blocks of runs), subtrees of the search (dfs: units found by
//! probe executions, as deep as it takes for the work to spread; a small search is not
//! split). Results are folded in a fixed order and `--max-executions` is spent in the
//! search's order, so any `--jobs` gives the same report, and `gilvm merge` of the shards'
//! `--json` reports gives the unsharded report byte for byte.

pub mod dfs;
pub mod exec;
pub mod merge;
pub mod pct;
pub mod report;
pub mod shrink;
pub mod split;

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use crate::run::{self, check_model, EXIT_COMPILE, EXIT_USAGE};
use crate::vm::driver::Ending;
use crate::vm::gil::GilModel;
use crate::vm::machine::RunConfig;
use crate::vm::prelude::{Image, LocalImage};
use dfs::Dfs;
use exec::{execute, Exec, Seeded};
use pct::Pct;
pub use report::{ExploreRace, Failure, OutcomeRow, PctStats, Report};

use crate::races::RaceView;

/// Exit status: `explore` found a failure.
pub const EXIT_FOUND: i32 = 8;
/// Exit status: `explore` found no failure but could not finish what it was asked
/// (`--max-executions` ran out, or an execution went past the scheduling points it may take).
pub const EXIT_INCONCLUSIVE: i32 = 9;

/// Default `--max-steps` of one execution of an exploration (instructions).
pub const DEFAULT_MAX_STEPS: u64 = 100_000;
/// Default `--max-executions`.
pub const DEFAULT_MAX_EXECUTIONS: u64 = 100_000;
/// Scheduling points one execution of the depth-first search may have; past them it runs on
/// without choices (a thread spinning on a flag would make the tree infinite).
pub const MAX_NODES: usize = 2_000;
/// Executions the shrinker may run.
pub const SHRINK_BUDGET: u64 = 20_000;
/// Instructions the shrinker may run in all (long executions exhaust it before the count).
pub const SHRINK_STEP_BUDGET: u64 = 20_000_000;
/// The most preemptions the shrinker searches.
pub const SHRINK_MAX_PREEMPTIONS: u32 = 4;

/// The kinds of failure, in the order they are named when an execution fails several ways.
/// `race` (a data race found by `--races`) is one only with the detector on.
pub const KINDS: [&str; 6] = [
    "exception",
    "deadlock",
    "limit",
    "lost-update",
    "race",
    "output",
];

/// The options of `gilvm explore` as given (parsed by the CLI, not yet checked).
#[derive(Clone, Debug, Default)]
pub struct ExploreArgs {
    pub file: String,
    pub strategy: String,
    pub gil: String,
    pub switch_interval: Option<String>,
    pub preemption_bound: Option<u32>,
    pub depth: u32,
    pub runs: u64,
    pub seed: u64,
    pub max_executions: u64,
    pub max_steps: u64,
    pub first: bool,
    pub until: Vec<String>,
    pub expect_output: Option<String>,
    pub record: Option<String>,
    pub json: bool,
    pub shard: Option<String>,
    pub jobs: Option<u64>,
    /// Run the data-race detector in every execution (`--races`).
    pub races: bool,
}

/// Everything that shapes an exploration, checked.
#[derive(Clone, Debug)]
pub struct ExploreConfig {
    pub file: String,
    pub strategy: String,
    pub model: GilModel,
    pub switch_interval: u64,
    pub preemption_bound: Option<u32>,
    pub depth: u32,
    pub runs: u64,
    pub seed: u64,
    pub max_executions: u64,
    pub max_steps: u64,
    pub first: bool,
    /// Failure kinds, in `KINDS` order.
    pub until: Vec<&'static str>,
    pub expected: Option<Vec<u8>>,
    pub record: Option<String>,
    pub json: bool,
    /// This process's share: (index, count).
    pub shard: Option<(u64, u64)>,
    pub jobs: usize,
    /// The data-race detector runs in every execution (`--races`, or `--until race`).
    pub races: bool,
}

/// Parses `I/N` (0 ≤ I < N).
pub fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("--shard wants I/N with 0 ≤ I < N (such as 0/4), found `{text}`");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let i: u64 = i.trim().parse().map_err(|_| bad())?;
    let n: u64 = n.trim().parse().map_err(|_| bad())?;
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Checks that `reports` (each report's path and its `"shard"` field) are every shard of one
/// split, once each: each is a shard's report, the same count everywhere, no index twice, none
/// missing. Works in the number of reports, whatever count a (possibly hand-edited) report
/// claims.
pub fn check_shard_set<'a>(
    reports: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Result<(), String> {
    let mut shards = Vec::new();
    for (path, shard) in reports {
        let Some(s) = shard else {
            return Err(format!(
                "{path} is not a shard's report (it has no \"shard\")"
            ));
        };
        let (i, n) = parse_shard(s).map_err(|e| format!("{path}: {e}"))?;
        shards.push((i, n, path));
    }
    let Some(&(_, n, _)) = shards.first() else {
        return Err("no report to merge".to_string());
    };
    let mut seen: std::collections::BTreeMap<u64, &str> = std::collections::BTreeMap::new();
    for &(i, m, path) in &shards {
        if m != n {
            return Err(format!("{path} is a shard of {m}, the first report of {n}"));
        }
        if let Some(other) = seen.insert(i, path) {
            return Err(format!("{path} and {other} are both shard {i}/{n}"));
        }
    }
    if let Some(missing) = (0..n).find(|k| !seen.contains_key(k)) {
        return Err(format!("shard {missing}/{n} is missing"));
    }
    Ok(())
}

impl ExploreArgs {
    pub fn check(&self) -> Result<ExploreConfig, String> {
        let strategy = self.strategy.clone();
        if !["dfs", "pct", "random"].contains(&strategy.as_str()) {
            return Err(format!(
                "--strategy must be dfs, pct or random, found `{strategy}`"
            ));
        }
        let model = check_model(&self.gil)?;
        let switch_interval = run::check_switch_interval(model, self.switch_interval.as_deref())?;
        let mut until: Vec<&'static str> = Vec::new();
        for u in self.until.iter().flat_map(|u| u.split(',')) {
            let u = u.trim();
            match KINDS.iter().find(|k| **k == u) {
                Some(k) => {
                    if !until.contains(k) {
                        until.push(k)
                    }
                }
                None => {
                    return Err(format!(
                        "--until wants one of {}, found `{u}`",
                        KINDS.join(", ")
                    ))
                }
            }
        }
        // `--until race` needs the detector; `--races` alone adds `race` to the default kinds.
        let races = self.races || until.contains(&"race");
        if until.is_empty() {
            until = KINDS[..4].to_vec();
            if races {
                until.push("race");
            }
        }
        if self.expect_output.is_some() && !until.contains(&"output") {
            until.push("output");
        }
        until.sort_by_key(|k| KINDS.iter().position(|x| x == k));
        let expected = match &self.expect_output {
            Some(p) => Some(std::fs::read(p).map_err(|e| format!("cannot read {p}: {e}"))?),
            None => None,
        };
        if self.depth == 0 {
            return Err("--depth must be at least 1".into());
        }
        if self.runs == 0 {
            return Err("--runs must be at least 1".into());
        }
        if self.max_executions == 0 {
            return Err("--max-executions must be at least 1".into());
        }
        let shard = self.shard.as_deref().map(parse_shard).transpose()?;
        let jobs = self.jobs.map(|j| j as usize).unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
        Ok(ExploreConfig {
            file: self.file.clone(),
            strategy,
            model,
            switch_interval,
            preemption_bound: self.preemption_bound,
            depth: self.depth,
            runs: self.runs,
            seed: self.seed,
            max_executions: self.max_executions,
            max_steps: self.max_steps,
            first: self.first,
            until,
            expected,
            record: self.record.clone(),
            json: self.json,
            shard,
            jobs,
            races,
        })
    }
}

impl ExploreConfig {
    /// The VM configuration of an execution (`seed` drives the seeded scheduler, the noise
    /// and the program's `random`).
    pub fn run_config(&self, seed: u64) -> RunConfig {
        RunConfig {
            races: self.races,
            ..run::run_config(self.model, self.switch_interval, self.max_steps, seed)
        }
    }

    /// Whether this process does item `i` of a split.
    fn mine(&self, i: u64) -> bool {
        self.shard.is_none_or(|(s, n)| i % n == s)
    }

    /// The kind of failure an execution is, if it is one of `--until`'s.
    pub fn classify(&self, e: &Exec, reference: Option<&[u8]>) -> Option<&'static str> {
        let kind = |k: &'static str| self.until.contains(&k).then_some(k);
        if e.died || matches!(e.ending, Ending::MainException(c) if c != 0) {
            if let Some(k) = kind("exception") {
                return Some(k);
            }
        }
        if e.ending == Ending::Deadlock {
            if let Some(k) = kind("deadlock") {
                return Some(k);
            }
        }
        if e.ending == Ending::Limit {
            if let Some(k) = kind("limit") {
                return Some(k);
            }
        }
        if e.lost_stores > 0 {
            if let Some(k) = kind("lost-update") {
                return Some(k);
            }
        }
        if !e.races.is_empty() {
            if let Some(k) = kind("race") {
                return Some(k);
            }
        }
        if let Some(w) = self.expected.as_deref() {
            if !crate::sweep::verdict::output_matches(&e.stdout, w) {
                return kind("output");
            }
        } else if let Some(w) = reference {
            if w != e.stdout.as_slice() {
                return kind("output");
            }
        }
        None
    }
}

/// What a part of an exploration gathered, folded in a fixed order.
#[derive(Clone, Debug, Default)]
pub struct Acc {
    pub executions: u64,
    pub pruned: u64,
    pub limited: u64,
    pub failures: u64,
    pub outcomes: BTreeMap<(Vec<u8>, i32, u64), u64>,
    /// The first failure: where, which kind, its preemptions (if known).
    pub first: Option<(Vec<u64>, &'static str, u32)>,
    pub bound_hit: bool,
    pub too_deep: bool,
    pub budget: bool,
    pub diverged: bool,
    pub threads: u64,
    pub steps: u64,
    /// Races found (`--races`), once per pair of source lines: where first found, in how
    /// many executions, the first report.
    pub races: BTreeMap<RaceKey, (Vec<u64>, u64, RaceView)>,
}

/// What a race is reported once for across executions: its pair of source lines.
pub type RaceKey = ((String, u32), (String, u32));

/// Adds race `v`, found at `at` in `count` executions, to `races`: the first report kept is
/// the one found first (the smallest position), whatever order the parts are folded in.
pub fn add_race(
    races: &mut BTreeMap<RaceKey, (Vec<u64>, u64, RaceView)>,
    at: &[u64],
    count: u64,
    v: &RaceView,
) {
    match races.entry(v.lines()) {
        std::collections::btree_map::Entry::Vacant(e) => {
            e.insert((at.to_vec(), count, v.clone()));
        }
        std::collections::btree_map::Entry::Occupied(mut e) => {
            let r = e.get_mut();
            r.1 += count;
            if at < r.0.as_slice() {
                r.0 = at.to_vec();
                r.2 = v.clone();
            }
        }
    }
}

impl Acc {
    fn record(&mut self, e: &Exec, kind: Option<&'static str>, at: Vec<u64>, preemptions: u32) {
        self.executions += 1;
        if e.ending == Ending::Limit {
            self.limited += 1;
        }
        *self
            .outcomes
            .entry((e.stdout.clone(), e.exit, e.lost))
            .or_insert(0) += 1;
        self.threads = self.threads.max(e.threads as u64);
        for v in &e.races {
            add_race(&mut self.races, &at, 1, v);
        }
        if let Some(k) = kind {
            self.failures += 1;
            if self.first.as_ref().is_none_or(|f| at < f.0) {
                self.first = Some((at, k, preemptions));
            }
        }
    }

    fn fold(&mut self, o: Acc) {
        self.executions += o.executions;
        self.pruned += o.pruned;
        self.limited += o.limited;
        self.failures += o.failures;
        for (k, v) in o.outcomes {
            *self.outcomes.entry(k).or_insert(0) += v;
        }
        if let Some(f) = o.first {
            if self.first.as_ref().is_none_or(|s| f.0 < s.0) {
                self.first = Some(f);
            }
        }
        self.bound_hit |= o.bound_hit;
        self.too_deep |= o.too_deep;
        self.budget |= o.budget;
        self.diverged |= o.diverged;
        self.threads = self.threads.max(o.threads);
        self.steps = self.steps.max(o.steps);
        for (_, (at, count, v)) in o.races {
            add_race(&mut self.races, &at, count, &v);
        }
    }
}

/// Preemptions of an execution from its log: a turn that ended at a switch point with its
/// thread able to go on, followed by another thread's.
pub fn log_preemptions(e: &Exec) -> u32 {
    let t = &e.log.turns;
    t.windows(2).filter(|w| w[0].2 && w[0].0 != w[1].0).count() as u32
}

/// `--strategy random` and `pct`: runs `0..runs` (this shard's), in parallel, folded in order.
fn run_sampled(
    image: &Image,
    cfg: &ExploreConfig,
    tick: &(dyn Fn() + Sync),
) -> Result<(Acc, Option<u64>), String> {
    let local = image.local();
    let reference = reference_output(&local, cfg);
    // PCT draws its change points among the steps of a first execution (no change points).
    let estimated = (cfg.strategy == "pct").then(|| {
        let (_, c) = execute(
            &local,
            cfg.run_config(cfg.seed),
            Some(Pct::new(cfg.seed, 1, 1)),
        );
        c.map_or(1, |c| c.steps).max(1)
    });
    let runs: Vec<u64> = (0..cfg.runs.min(cfg.max_executions))
        .filter(|&r| cfg.mine(r))
        .collect();
    let mut acc = Acc {
        budget: cfg.runs > cfg.max_executions,
        ..Acc::default()
    };
    // Blocks of runs, a few thousand blocks at a time (what is kept of a block is its `Acc`).
    let blocks: Vec<&[u64]> = runs.chunks(split::BLOCK).collect();
    for group in blocks.chunks(4096) {
        let failed = std::sync::atomic::AtomicUsize::new(usize::MAX);
        let results = split::run_workers(image, cfg.jobs, group.len(), &|local, b| {
            if cfg.first && failed.load(std::sync::atomic::Ordering::Relaxed) < b {
                return None;
            }
            let mut acc = Acc::default();
            for &r in group[b] {
                let seed = cfg.seed.wrapping_add(r);
                let (e, steps) = match estimated {
                    Some(k) => {
                        let (e, c) = execute(
                            local,
                            cfg.run_config(seed),
                            Some(Pct::new(seed, cfg.depth, k)),
                        );
                        (e, c.map_or(0, |c| c.steps))
                    }
                    None => {
                        let (e, _) = execute::<Seeded>(local, cfg.run_config(seed), None);
                        (e, 0)
                    }
                };
                tick();
                let kind = cfg.classify(&e, reference.as_deref());
                acc.record(&e, kind, vec![r], log_preemptions(&e));
                acc.steps = acc.steps.max(steps);
                if cfg.first && acc.first.is_some() {
                    failed.fetch_min(b, std::sync::atomic::Ordering::Relaxed);
                    break;
                }
            }
            Some(acc)
        })?;
        for r in results {
            // A block after the first failing one (with `--first`) is not wanted: the fold
            // stops before it.
            let Some(r) = r.flatten() else {
                return Err("an exploration worker skipped a block it was given".into());
            };
            acc.fold(r);
            if cfg.first && acc.first.is_some() {
                return Ok((acc, estimated));
            }
        }
    }
    Ok((acc, estimated))
}

/// The output every execution is compared with for `--until output` without
/// `--expect-output`: the first execution's (the depth-first search's first, which every
/// shard computes alike).
fn reference_output(local: &LocalImage, cfg: &ExploreConfig) -> Option<Vec<u8>> {
    if !cfg.until.contains(&"output") || cfg.expected.is_some() {
        return None;
    }
    let mut d = Dfs::new(None, true, MAX_NODES);
    d.begin();
    let (e, _) = execute(local, cfg.run_config(cfg.seed), Some(d));
    Some(e.stdout)
}

/// Explores one subtree to its end, or to the first failure with `--first`, or until it has
/// run `cap()` executions (re-read after each one: the units before it may still be running)
/// with more left to explore; then the second value is true. Executions cut short by their
/// sleep sets do not count. `progress` follows the executions run, for the units after it.
#[allow(clippy::too_many_arguments)]
fn explore_subtree(
    local: &LocalImage,
    cfg: &ExploreConfig,
    mut d: Dfs,
    cap: &dyn Fn() -> u64,
    progress: Option<&std::sync::atomic::AtomicU64>,
    at: &[u64],
    reference: Option<&[u8]>,
    tick: &(dyn Fn() + Sync),
) -> (Acc, bool) {
    let mut acc = Acc::default();
    let config = cfg.run_config(cfg.seed);
    let mut n = 0u64;
    let mut capped = false;
    loop {
        d.begin();
        let (e, back) = execute(local, config.clone(), Some(d));
        let Some(back) = back else {
            acc.diverged = true;
            return (acc, false);
        };
        d = back;
        let counted = !e.abandoned || d.diverged;
        if counted {
            let kind = cfg.classify(&e, reference);
            let mut pos = at.to_vec();
            pos.push(n);
            acc.record(&e, kind, pos, d.preemptions());
            // What follows the point where a limit stopped an execution is unexplored.
            acc.too_deep |= e.ending == Ending::Limit;
            acc.steps = acc.steps.max(d.nodes.len() as u64);
            if let Some(p) = progress {
                p.store(acc.executions, std::sync::atomic::Ordering::Relaxed);
            }
            tick();
        } else {
            acc.pruned += 1;
        }
        n += 1;
        if d.diverged {
            acc.diverged = true;
            break;
        }
        d.analyse();
        if cfg.first && acc.first.is_some() {
            acc.budget = true;
            break;
        }
        if !d.advance() {
            break;
        }
        // Checked only after an execution that counts, so that where it stops depends on
        // the count alone.
        if counted && acc.executions >= cap() {
            acc.budget = true;
            capped = true;
            break;
        }
    }
    acc.bound_hit |= d.bound_hit;
    acc.too_deep |= d.too_deep;
    (acc, capped)
}

/// Runs the exploration `cfg` asks for on `image` and builds the report (the failure shrunk,
/// its schedule's text and story in it). `source` is the program's text.
pub fn explore(
    image: &Image,
    source: &str,
    cfg: &ExploreConfig,
    tick: &(dyn Fn() + Sync),
) -> Result<Report, String> {
    let (acc, estimated) = match cfg.strategy.as_str() {
        "dfs" => (split::run_dfs(image, cfg, tick)?, None),
        _ => run_sampled(image, cfg, tick)?,
    };
    let sampled = cfg.strategy != "dfs";
    let complete = !sampled && !acc.budget && !acc.too_deep && !acc.diverged;
    let failure = match &acc.first {
        None => None,
        Some((at, kind, pre)) => {
            let local = image.local();
            let reference = if cfg.until.contains(&"output") && cfg.expected.is_none() {
                reference_output(&local, cfg)
            } else {
                None
            };
            Some(shrink::shrink(
                &local,
                source,
                cfg,
                kind,
                *pre,
                at.clone(),
                reference.as_deref(),
            ))
        }
    };
    let mut report = Report {
        gilvm_explore: 1,
        program: cfg.file.clone(),
        strategy: cfg.strategy.clone(),
        gil: cfg.model.name().to_string(),
        preemption_bound: if sampled { None } else { cfg.preemption_bound },
        depth: (cfg.strategy == "pct").then_some(cfg.depth),
        seed: cfg.seed,
        runs: sampled.then_some(cfg.runs),
        until: cfg.until.iter().map(|s| s.to_string()).collect(),
        max_executions: cfg.max_executions,
        max_steps: cfg.max_steps,
        shard: cfg.shard.map(|(i, n)| format!("{i}/{n}")),
        executions: acc.executions,
        pruned: acc.pruned,
        complete,
        bound_reached: acc.bound_hit,
        budget_exhausted: acc.budget && !(cfg.first && acc.first.is_some()),
        too_deep: acc.too_deep,
        limited: acc.limited,
        failures: acc.failures,
        outcomes: acc
            .outcomes
            .into_iter()
            .map(|((stdout, exit, lost), count)| OutcomeRow {
                stdout: String::from_utf8_lossy(&stdout).into_owned(),
                exit_status: exit,
                lost_updates: lost,
                count,
            })
            .collect(),
        failure,
        pct: estimated.map(|k| PctStats::new(acc.threads, acc.steps, k, cfg.depth, acc.executions)),
        races: cfg.races.then(|| {
            acc.races
                .into_values()
                .map(|(found_at, executions, report)| ExploreRace {
                    executions,
                    found_at,
                    report,
                })
                .collect()
        }),
    };
    report.canonical();
    Ok(report)
}

/// The exit status of a finished exploration.
pub fn exit_status(r: &Report) -> i32 {
    if r.failure.is_some() {
        EXIT_FOUND
    } else if r.budget_exhausted && r.strategy == "dfs" || r.too_deep {
        EXIT_INCONCLUSIVE
    } else {
        run::EXIT_OK
    }
}

/// The `gilvm explore` command. `err` must not hold the process's stderr lock (the progress
/// bar draws there from the worker threads).
pub fn main(args: &ExploreArgs, color: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let cfg = match args.check() {
        Ok(c) => c,
        Err(msg) => {
            let _ = writeln!(err, "error: {msg}");
            return EXIT_USAGE;
        }
    };
    let (source, program) = match run::load_program(&cfg.file, color, err) {
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
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} {human_pos} executions · {elapsed} · {per_sec}",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let result = explore(&image, &source.text, &cfg, &|| bar.inc(1));
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(msg) => {
            let _ = writeln!(err, "error: {msg}");
            return EXIT_USAGE;
        }
    };
    let mut replay = None;
    if let (Some(path), Some(f)) = (&cfg.record, &report.failure) {
        if let Err(e) = std::fs::write(path, &f.schedule) {
            let _ = writeln!(err, "error: cannot write the schedule to {path}: {e}");
            return EXIT_USAGE;
        }
        replay = Some(format!("gilvm replay {}", run::shell_word(path)));
    }
    let text = if cfg.json {
        report.to_json()
    } else {
        report.render_text(replay.as_deref())
    };
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = writeln!(err, "error: cannot write the report: {e}");
            return EXIT_USAGE;
        }
    }
    if let (Some(path), Some(_)) = (&cfg.record, &report.failure) {
        // After the report, whose last line says how to replay it.
        if let Some(line) = crate::termout::wrote_file(path) {
            let _ = writeln!(err, "{line}");
        }
    }
    if report.limited > 0 && report.limited == report.executions {
        let _ = writeln!(
            err,
            "gilvm: every execution hit --max-steps {}: the program may not terminate (a loop waiting for another thread?)",
            crate::vm::summary::grouped(cfg.max_steps)
        );
    }
    exit_status(&report)
}
