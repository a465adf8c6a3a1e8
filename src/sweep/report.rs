//! The sweep report: outcomes folded per model into distributions (distinct stdout, exit
//! statuses, lost updates), serialisable as JSON and rendered as text with the models side by
//! side. Folding happens in seed order, so "the smallest seed that reproduces a row" is simply
//! the first seed that produced it, and the report never depends on which worker ran what.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::verdict::{verdict_line, Kind, VerdictAcc, VerdictRow};
use super::{replay_command, Outcome, SweepConfig};
use crate::vm::summary::grouped;

/// The whole sweep, as printed by `--json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SweepReport {
    pub file: String,
    /// First seed swept.
    pub seed_start: u64,
    /// One past the last seed swept.
    pub seed_end: u64,
    /// `--switch-interval` as given (`null`: each model's default).
    pub switch_interval: Option<String>,
    pub max_steps: u64,
    pub runs_per_model: u64,
    pub models: Vec<ModelReport>,
    /// The kinds of finding that fail the sweep (`--fail-on`, `--expect-output`).
    pub fail_on: Vec<Kind>,
    /// `--expect-output` as given.
    pub expect_output: Option<String>,
    /// Runs (over every model) that showed a kind of `fail_on`: the sweep's exit status is 7
    /// when there is any.
    pub failing_runs: u64,
    /// Builders, one per model, while outcomes are being added.
    #[serde(skip)]
    acc: Vec<Acc>,
    #[serde(skip)]
    expected: Option<Vec<u8>>,
    /// Only in a shard's report (`sweep --shard I/N`): `I/N`. `gilvm merge` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

/// The distribution of outcomes under one model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelReport {
    pub model: String,
    /// The model's switch interval, in words (`switch interval 5 ms`).
    pub interval: String,
    pub runs: u64,
    /// What went wrong in some run, kind by kind (`loses updates, deadlocks, crashes`), or
    /// "never loses updates" when no run lost an update, deadlocked, crashed or hit a limit.
    pub verdict: String,
    /// Every distinct finding, kind by kind (most runs first), with its share and a replay
    /// command.
    pub verdicts: Vec<VerdictRow>,
    /// Runs that deadlocked.
    pub runs_deadlocking: u64,
    /// Runs in which an exception escaped a thread (a crashed thread or the main thread).
    pub runs_with_exception: u64,
    /// Runs that showed a kind of `--fail-on`, and the smallest such seed.
    pub failing_runs: u64,
    pub first_failing_seed: Option<u64>,
    pub first_failing_command: Option<String>,
    /// Runs in which at least one update was lost.
    pub runs_losing: u64,
    /// `runs_losing / runs`.
    pub losing_fraction: f64,
    pub first_losing_seed: Option<u64>,
    pub first_clean_seed: Option<u64>,
    /// Updates lost per run.
    pub lost: LostStats,
    /// Distinct stdout values, most common first (ties: smallest seed first).
    pub stdout: Vec<OutputRow>,
    /// Exit statuses, most common first (ties: smallest seed first).
    pub exits: Vec<ExitRow>,
    /// Only in a shard's report: (updates lost, runs) for every number of losses, ascending,
    /// so that a merge computes the median of all the runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_histogram: Option<Vec<(u64, u64)>>,
    /// Check-then-act violations (`vm/cta.rs`): in how many runs, and the smallest seed.
    pub check_then_act: CheckThenActRow,
}

/// The runs in which a thread acted on a stale check.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CheckThenActRow {
    pub runs: u64,
    pub share: f64,
    /// The smallest seed with one, and the command that reproduces it.
    pub seed: Option<u64>,
    pub command: Option<String>,
}

/// Minimum, median (the lower one for an even number of runs) and maximum of the updates
/// lost per run, with the smallest seed that reaches the maximum.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostStats {
    pub min: u64,
    pub median: u64,
    pub max: u64,
    pub max_seed: u64,
}

/// One distinct stdout value.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutputRow {
    pub stdout: String,
    pub count: u64,
    pub share: f64,
    /// The smallest seed that prints it.
    pub seed: u64,
    /// The command that reproduces that run.
    pub command: String,
}

/// One exit status.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExitRow {
    pub status: i32,
    pub meaning: String,
    pub count: u64,
    pub share: f64,
    /// The smallest seed that ends with it.
    pub seed: u64,
    pub command: String,
    /// The last line gilvm wrote to stderr in that run (an exception, a deadlock report).
    pub stderr_last: String,
}

/// What is known about one model while outcomes are added.
#[derive(Clone, Debug, Default)]
struct Acc {
    runs: u64,
    losing: u64,
    first_losing: Option<u64>,
    first_clean: Option<u64>,
    lost: Vec<u64>,
    max: Option<(u64, u64)>,
    outputs: BTreeMap<Vec<u8>, (u64, u64)>,
    exits: BTreeMap<i32, (u64, u64, String)>,
    verdict: VerdictAcc,
    /// Runs with a check-then-act violation, and the first such seed.
    stale: u64,
    first_stale: Option<u64>,
}

impl SweepReport {
    pub(super) fn new(cfg: &SweepConfig) -> SweepReport {
        SweepReport {
            file: cfg.file.clone(),
            seed_start: cfg.seeds.start,
            seed_end: cfg.seeds.end,
            switch_interval: cfg.switch_interval.clone(),
            max_steps: cfg.max_steps,
            runs_per_model: cfg.seeds.end - cfg.seeds.start,
            models: Vec::new(),
            fail_on: cfg.fail_on.clone(),
            expect_output: cfg.expected.as_ref().map(|(name, _)| name.clone()),
            failing_runs: 0,
            acc: vec![Acc::default(); cfg.models.len()],
            expected: cfg.expected.as_ref().map(|(_, bytes)| bytes.clone()),
            shard: cfg.shard.map(|(i, n)| format!("{i}/{n}")),
        }
    }

    /// Adds the outcome of one run under model number `model`. Outcomes of one model must
    /// arrive in increasing seed order.
    pub(super) fn add(&mut self, model: usize, o: Outcome) {
        let a = &mut self.acc[model];
        a.verdict.add(&o, &self.fail_on, self.expected.as_deref());
        a.runs += 1;
        if o.lost_updates() {
            a.losing += 1;
            a.first_losing.get_or_insert(o.seed);
        } else {
            a.first_clean.get_or_insert(o.seed);
        }
        if o.stale_checks > 0 {
            a.stale += 1;
            a.first_stale.get_or_insert(o.seed);
        }
        a.lost.push(o.lost);
        if a.max.is_none_or(|(m, _)| o.lost > m) {
            a.max = Some((o.lost, o.seed));
        }
        a.outputs.entry(o.stdout).or_insert((0, o.seed)).0 += 1;
        a.exits
            .entry(o.exit)
            .or_insert((0, o.seed, o.stderr_last))
            .0 += 1;
    }

    /// Turns the builders into the per-model distributions.
    pub(super) fn finish(mut self, cfg: &SweepConfig) -> SweepReport {
        let acc = std::mem::take(&mut self.acc);
        self.models = acc
            .into_iter()
            .zip(&cfg.models)
            .map(|(a, model)| finish_model(a, model, cfg))
            .collect();
        self.failing_runs = self.models.iter().map(|m| m.failing_runs).sum();
        self
    }

    /// The report as text: a side-by-side summary of the models, then each model's stdout
    /// values (at most `top` of them; 0 lists all) and exit statuses with replay commands.
    pub fn render_text(&self, top: usize) -> String {
        let mut out = format!(
            "gilvm sweep {} · seeds {}..{} · {} run{} per model",
            self.file,
            self.seed_start,
            self.seed_end,
            grouped(self.runs_per_model),
            if self.runs_per_model == 1 { "" } else { "s" }
        );
        if let Some(si) = &self.switch_interval {
            out.push_str(&format!(" · switch interval {si}"));
        }
        out.push_str("\n\n");
        out.push_str(&self.summary_table());
        for m in &self.models {
            out.push('\n');
            out.push_str(&verdict_table(m));
            out.push('\n');
            out.push_str(&stdout_table(m, top));
            out.push('\n');
            out.push_str(&exit_table(m));
        }
        if !self.fail_on.is_empty() {
            out.push('\n');
            out.push_str(&self.fail_on_line());
        }
        out
    }

    /// The last line when `--fail-on` was given: whether the sweep passes, and why not.
    fn fail_on_line(&self) -> String {
        let kinds: Vec<&str> = self.fail_on.iter().map(|k| k.word()).collect();
        let runs: u64 = self.models.iter().map(|m| m.runs).sum();
        let expect = self
            .expect_output
            .as_ref()
            .map(|f| format!(" (expected output: {f})"))
            .unwrap_or_default();
        if self.failing_runs == 0 {
            return format!(
                "PASS: no run of {} fails --fail-on {}{expect}\n",
                grouped(runs),
                kinds.join(",")
            );
        }
        let first = self
            .models
            .iter()
            .filter_map(|m| m.first_failing_seed.zip(m.first_failing_command.as_ref()))
            .min_by_key(|(s, _)| *s)
            .map(|(_, c)| format!("; the first: {c}"))
            .unwrap_or_default();
        format!(
            "FAIL (exit status 7): {} of {} run{} fail --fail-on {}{expect}{first}\n",
            grouped(self.failing_runs),
            grouped(runs),
            if runs == 1 { "" } else { "s" },
            kinds.join(",")
        )
    }

    fn summary_table(&self) -> String {
        let ms = &self.models;
        let mut rows: Vec<(String, Vec<String>)> = Vec::new();
        let mut row = |label: &str, f: &dyn Fn(&ModelReport) -> String| {
            rows.push((label.to_string(), ms.iter().map(f).collect()));
        };
        row("interval", &|m| m.interval.clone());
        row("verdict", &|m| m.verdict.clone());
        row("runs losing updates", &|m| {
            format!(
                "{} ({})",
                grouped(m.runs_losing),
                percent(m.runs_losing, m.runs)
            )
        });
        row("first seed losing", &|m| seed_or_dash(m.first_losing_seed));
        row("first seed clean", &|m| seed_or_dash(m.first_clean_seed));
        row("lost per run: min", &|m| grouped(m.lost.min));
        row("lost per run: median", &|m| grouped(m.lost.median));
        row("lost per run: max", &|m| {
            format!("{} (seed {})", grouped(m.lost.max), m.lost.max_seed)
        });
        if ms.iter().any(|m| m.runs_deadlocking > 0) {
            row("runs deadlocking", &|m| {
                format!(
                    "{} ({})",
                    grouped(m.runs_deadlocking),
                    percent(m.runs_deadlocking, m.runs)
                )
            });
        }
        if ms.iter().any(|m| m.runs_with_exception > 0) {
            row("runs with an exception", &|m| {
                format!(
                    "{} ({})",
                    grouped(m.runs_with_exception),
                    percent(m.runs_with_exception, m.runs)
                )
            });
        }
        // Check-then-act violations (`vm/cta.rs`): rows only when some model had one, so a
        // program without checks keeps its report as it was.
        if ms.iter().any(|m| m.check_then_act.runs > 0) {
            row("runs acting on stale checks", &|m| {
                format!(
                    "{} ({})",
                    grouped(m.check_then_act.runs),
                    percent(m.check_then_act.runs, m.runs)
                )
            });
            row("first seed acting on one", &|m| {
                m.check_then_act
                    .command
                    .clone()
                    .unwrap_or_else(|| "—".to_string())
            });
        }
        row("distinct stdout", &|m| grouped(m.stdout.len() as u64));
        let mut statuses: Vec<(i32, String)> = ms
            .iter()
            .flat_map(|m| m.exits.iter().map(|e| (e.status, e.meaning.clone())))
            .collect();
        statuses.sort();
        statuses.dedup();
        for (status, meaning) in statuses {
            let label = format!("exit {status} ({meaning})");
            rows.push((
                label,
                ms.iter()
                    .map(|m| match m.exits.iter().find(|e| e.status == status) {
                        Some(e) => format!("{} ({})", grouped(e.count), percent(e.count, m.runs)),
                        None => "—".to_string(),
                    })
                    .collect(),
            ));
        }
        let header: Vec<String> = ms.iter().map(|m| m.model.clone()).collect();
        let mut table = vec![(String::new(), header)];
        table.extend(rows);
        render_columns(&table)
    }
}

fn finish_model(mut a: Acc, model: &str, cfg: &SweepConfig) -> ModelReport {
    a.lost.sort_unstable();
    let lost_histogram = cfg.shard.map(|_| {
        let mut h: Vec<(u64, u64)> = Vec::new();
        for &l in &a.lost {
            match h.last_mut() {
                Some((v, c)) if *v == l => *c += 1,
                _ => h.push((l, 1)),
            }
        }
        h
    });
    let lost = match (a.lost.first(), a.lost.last(), a.max) {
        (Some(&min), Some(&max), Some((_, max_seed))) => LostStats {
            min,
            median: a.lost[(a.lost.len() - 1) / 2],
            max,
            max_seed,
        },
        _ => LostStats::default(),
    };
    let runs = a.runs.max(1);
    let mut stdout: Vec<OutputRow> = a
        .outputs
        .into_iter()
        .map(|(bytes, (count, seed))| OutputRow {
            stdout: String::from_utf8_lossy(&bytes).into_owned(),
            count,
            share: count as f64 / runs as f64,
            seed,
            command: replay_command(cfg, model, seed),
        })
        .collect();
    stdout.sort_by_key(|r| (std::cmp::Reverse(r.count), r.seed));
    let mut exits: Vec<ExitRow> = a
        .exits
        .into_iter()
        .map(|(status, (count, seed, stderr_last))| ExitRow {
            status,
            meaning: exit_meaning(status).to_string(),
            count,
            share: count as f64 / runs as f64,
            seed,
            command: replay_command(cfg, model, seed),
            stderr_last,
        })
        .collect();
    exits.sort_by_key(|r| (std::cmp::Reverse(r.count), r.seed));
    let (verdicts, failing_runs, first_failing_seed, kind_runs) =
        a.verdict
            .finish(&cfg.fail_on, cfg.expected.is_some(), &|seed| {
                replay_command(cfg, model, seed)
            });
    let interval = super::run_config(cfg, model, 0)
        .map(|r| r.model.describe_interval(r.switch_interval))
        .unwrap_or_default();
    let check_then_act = CheckThenActRow {
        runs: a.stale,
        share: a.stale as f64 / runs as f64,
        seed: a.first_stale,
        command: a.first_stale.map(|s| replay_command(cfg, model, s)),
    };
    ModelReport {
        model: model.to_string(),
        interval,
        runs: a.runs,
        verdict: verdict_line(&verdicts),
        runs_deadlocking: kind_runs.get(&Kind::Deadlock).copied().unwrap_or(0),
        runs_with_exception: kind_runs.get(&Kind::Exception).copied().unwrap_or(0),
        verdicts,
        failing_runs,
        first_failing_command: first_failing_seed.map(|s| replay_command(cfg, model, s)),
        first_failing_seed,
        runs_losing: a.losing,
        losing_fraction: a.losing as f64 / runs as f64,
        first_losing_seed: a.first_losing,
        first_clean_seed: a.first_clean,
        lost,
        stdout,
        exits,
        check_then_act,
        lost_histogram,
    }
}

/// What an exit status means (DESIGN.md §7).
pub fn exit_meaning(status: i32) -> &'static str {
    match status {
        0 => "success",
        1 => "uncaught exception",
        2 => "schedule diverged",
        4 => "deadlock",
        5 => "resource limit",
        _ => "sys.exit",
    }
}

fn stdout_table(m: &ModelReport, top: usize) -> String {
    let shown = if top == 0 {
        m.stdout.len()
    } else {
        top.min(m.stdout.len())
    };
    let mut out = format!(
        "{}: stdout, most common first ({} distinct)\n",
        m.model,
        grouped(m.stdout.len() as u64)
    );
    let mut table = vec![(
        "count".to_string(),
        vec![
            "share".into(),
            "stdout".into(),
            "smallest seed: replay".into(),
        ],
    )];
    for r in &m.stdout[..shown] {
        table.push((
            grouped(r.count),
            vec![
                percent(r.count, m.runs),
                show_stdout(&r.stdout),
                r.command.clone(),
            ],
        ));
    }
    out.push_str(&indent(&render_columns(&table)));
    if shown < m.stdout.len() {
        let rest = &m.stdout[shown..];
        let runs: u64 = rest.iter().map(|r| r.count).sum();
        out.push_str(&format!(
            "  … {} more value{} in {} run{} (--top 0 lists all)\n",
            grouped(rest.len() as u64),
            if rest.len() == 1 { "" } else { "s" },
            grouped(runs),
            if runs == 1 { "" } else { "s" }
        ));
    }
    out
}

fn exit_table(m: &ModelReport) -> String {
    let mut out = format!("{}: exit status\n", m.model);
    let mut table = vec![(
        "count".to_string(),
        vec![
            "share".into(),
            "status".into(),
            "smallest seed: replay".into(),
        ],
    )];
    let mut details = vec![None];
    for e in &m.exits {
        table.push((
            grouped(e.count),
            vec![
                percent(e.count, m.runs),
                format!("{} ({})", e.status, e.meaning),
                e.command.clone(),
            ],
        ));
        let last = e.stderr_last.trim();
        details.push((e.status != 0 && !last.is_empty()).then(|| last.to_string()));
    }
    out.push_str(&indent(&with_details(&table, &details)));
    out
}

/// The verdict of one model: each distinct finding, whole, under its kind, share and replay
/// command.
fn verdict_table(m: &ModelReport) -> String {
    let mut out = format!("{}: verdict: {}\n", m.model, m.verdict);
    if m.verdicts.is_empty() {
        out.push_str(&format!(
            "  no run lost an update, deadlocked, crashed a thread or hit a limit ({} run{})\n",
            grouped(m.runs),
            if m.runs == 1 { "" } else { "s" }
        ));
        return out;
    }
    let mut table = vec![(
        "count".to_string(),
        vec![
            "share".into(),
            "kind".into(),
            "smallest seed: replay".into(),
        ],
    )];
    let mut details = vec![None];
    for r in &m.verdicts {
        table.push((
            grouped(r.runs),
            vec![
                percent(r.runs, m.runs),
                r.kind.word().into(),
                r.command.clone(),
            ],
        ));
        details.push(Some(r.finding.clone()));
    }
    out.push_str(&indent(&with_details(&table, &details)));
    out
}

/// `render_columns`, with each row's detail (if any) whole on the line below it, starting
/// under the third column: a detail is a sentence, never cut.
fn with_details(rows: &[(String, Vec<String>)], details: &[Option<String>]) -> String {
    let text = render_columns(rows);
    let col = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0)
        + 2
        + rows
            .iter()
            .filter_map(|r| r.1.first())
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0)
        + 2;
    let mut out = String::new();
    for (line, detail) in text
        .lines()
        .zip(details.iter().chain(std::iter::repeat(&None)))
    {
        out.push_str(line);
        out.push('\n');
        if let Some(d) = detail {
            out.push_str(&" ".repeat(col));
            out.push_str(d);
            out.push('\n');
        }
    }
    out
}

/// Left-aligned columns separated by two spaces; the first column is right-aligned when it
/// holds numbers (every row but the header starts with a digit).
fn render_columns(rows: &[(String, Vec<String>)]) -> String {
    let ncols = 1 + rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let mut widths = vec![0usize; ncols];
    for (first, rest) in rows {
        widths[0] = widths[0].max(first.chars().count());
        for (i, c) in rest.iter().enumerate() {
            widths[i + 1] = widths[i + 1].max(c.chars().count());
        }
    }
    let numeric = rows
        .iter()
        .skip(1)
        .all(|r| r.0.starts_with(|c: char| c.is_ascii_digit()));
    let mut out = String::new();
    for (first, rest) in rows {
        let mut line = if numeric {
            format!("{first:>w$}", w = widths[0])
        } else {
            format!("{first:<w$}", w = widths[0])
        };
        for (i, c) in rest.iter().enumerate() {
            line.push_str("  ");
            line.push_str(&format!("{c:<w$}", w = widths[i + 1]));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// A percentage that never rounds a partial share to 0% or 100%.
fn percent(count: u64, total: u64) -> String {
    if total == 0 {
        return "—".into();
    }
    let p = 100.0 * count as f64 / total as f64;
    if count > 0 && p < 0.1 {
        "<0.1%".into()
    } else if count < total && p > 99.9 {
        ">99.9%".into()
    } else {
        format!("{p:.1}%")
    }
}

fn seed_or_dash(s: Option<u64>) -> String {
    s.map_or_else(|| "—".to_string(), |s| s.to_string())
}

/// A stdout value on one line: a single line is shown as is, anything else (several lines,
/// no final newline, control characters) as a quoted string with escapes.
fn show_stdout(s: &str) -> String {
    let body = s.strip_suffix('\n').unwrap_or("\u{0}");
    let plain = !body.is_empty() && !body.chars().any(|c| c.is_control());
    let shown = if plain {
        body.to_string()
    } else {
        format!("{s:?}")
    };
    clip(&shown, 60)
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(max - 1).collect();
        c.push('…');
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdout_values_on_one_line() {
        assert_eq!(show_stdout("400000\n"), "400000");
        assert_eq!(show_stdout("a\nb\n"), "\"a\\nb\\n\"");
        assert_eq!(show_stdout(""), "\"\"");
        assert_eq!(show_stdout("no newline"), "\"no newline\"");
        assert_eq!(show_stdout("\n"), "\"\\n\"");
    }

    #[test]
    fn percentages_never_round_to_the_ends() {
        assert_eq!(percent(998, 1000), "99.8%");
        assert_eq!(percent(9999, 10000), ">99.9%");
        assert_eq!(percent(1, 10000), "<0.1%");
        assert_eq!(percent(0, 10), "0.0%");
        assert_eq!(percent(10, 10), "100.0%");
    }

    fn outcome(seed: u64, stdout: &str, lost: u64) -> Outcome {
        Outcome {
            seed,
            stdout: stdout.as_bytes().to_vec(),
            exit: 0,
            lost,
            lost_stores: lost.min(1),
            stale_checks: 0,
            stderr_last: String::new(),
            lost_vars: vec!["c".into()],
            deadlock: None,
            crashes: Vec::new(),
            stale_sites: Vec::new(),
        }
    }

    #[test]
    fn distributions_count_runs_and_name_the_smallest_seed() {
        let cfg = SweepConfig {
            file: "c.toy".into(),
            seeds: 10..15,
            models: vec!["any".into()],
            switch_interval: None,
            max_steps: crate::vm::machine::DEFAULT_MAX_STEPS,
            max_memory: crate::vm::machine::DEFAULT_HEAP_LIMIT,
            jobs: None,
            json: false,
            top: 10,
            fail_on: Vec::new(),
            expected: None,
            shard: None,
        };
        let mut r = SweepReport::new(&cfg);
        for (seed, out, lost) in [
            (10, "3\n", 1),
            (11, "4\n", 0),
            (12, "3\n", 1),
            (13, "2\n", 2),
            (14, "4\n", 0),
        ] {
            r.add(0, outcome(seed, out, lost));
        }
        let r = r.finish(&cfg);
        let m = &r.models[0];
        assert_eq!(m.runs, 5);
        assert_eq!(m.runs_losing, 3);
        assert_eq!(m.first_losing_seed, Some(10));
        assert_eq!(m.first_clean_seed, Some(11));
        assert_eq!(
            m.lost,
            LostStats {
                min: 0,
                median: 1,
                max: 2,
                max_seed: 13
            }
        );
        let rows: Vec<(&str, u64, u64)> = m
            .stdout
            .iter()
            .map(|o| (o.stdout.as_str(), o.count, o.seed))
            .collect();
        assert_eq!(rows, [("3\n", 2, 10), ("4\n", 2, 11), ("2\n", 1, 13)]);
        assert_eq!(m.stdout[2].command, "gilvm run c.toy --seed 13");
        assert_eq!(m.exits.len(), 1);
        assert_eq!(m.exits[0].count, 5);
    }
}
