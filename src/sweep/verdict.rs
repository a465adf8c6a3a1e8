//! The sweep's verdict: every kind of concurrency bug a run can show — lost updates,
//! check-then-act, deadlocks, crashed threads (and an exception escaping the main thread),
//! resource limits, outputs other than expected — one row per distinct finding, each with its
//! share of the runs and the smallest seed that reproduces it; and `--fail-on`, which turns
//! chosen kinds into a non-zero exit status ([`crate::run::EXIT_SWEEP_FAILED`]) so that a
//! sweep can grade a student's fix.
//!
//! The row model is a plain list of [`VerdictRow`]s keyed by [`Kind`]: a new detector adds a
//! kind and reports findings from [`findings`]; the rendering and `--fail-on` need nothing
//! else.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Outcome;

/// The kinds of finding, in the order the verdict lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A store erased another thread's update (the lost-update detector).
    Lost,
    /// A check whose answer another thread changed before the act that depended on it (the
    /// check-then-act detector; no detector fills this kind yet).
    CheckThenAct,
    /// No thread could ever run again (exit status 4).
    Deadlock,
    /// An exception escaped a thread (a crashed thread), or the main thread (exit status 1).
    Exception,
    /// `--max-steps` or memory ended the run (exit status 5).
    Limit,
    /// The run printed something other than `--expect-output`, or (without it) other than the
    /// output most runs print.
    Output,
}

impl Kind {
    /// The word `--fail-on` takes.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Lost => "lost",
            Kind::CheckThenAct => "check-then-act",
            Kind::Deadlock => "deadlock",
            Kind::Exception => "exception",
            Kind::Limit => "limit",
            Kind::Output => "output",
        }
    }

    /// What a model's verdict line says when some run shows this kind.
    fn problem(self) -> &'static str {
        match self {
            Kind::Lost => "loses updates",
            Kind::CheckThenAct => "acts on stale checks",
            Kind::Deadlock => "deadlocks",
            Kind::Exception => "crashes",
            Kind::Limit => "hits a limit",
            Kind::Output => "prints different outputs",
        }
    }

    /// The kinds `--fail-on` accepts (a detector's kind joins once it reports findings).
    pub const FAIL_ON: [Kind; 6] = [
        Kind::Lost,
        Kind::CheckThenAct,
        Kind::Deadlock,
        Kind::Exception,
        Kind::Limit,
        Kind::Output,
    ];
}

/// Parses `--fail-on lost,deadlock,exception,limit,output` (also `all`).
pub fn parse_fail_on(text: &str) -> Result<Vec<Kind>, String> {
    let mut kinds = Vec::new();
    for w in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        if w == "all" {
            kinds.extend(Kind::FAIL_ON);
            continue;
        }
        match Kind::FAIL_ON.iter().find(|k| k.word() == w) {
            Some(k) => kinds.push(*k),
            None => {
                let known: Vec<&str> = Kind::FAIL_ON.iter().map(|k| k.word()).collect();
                return Err(format!(
                    "--fail-on: unknown kind `{w}`; the kinds are {} (or all)",
                    known.join(", ")
                ));
            }
        }
    }
    if kinds.is_empty() {
        return Err("--fail-on wants a list of kinds, like lost,deadlock,exception".into());
    }
    kinds.sort();
    kinds.dedup();
    Ok(kinds)
}

/// One distinct finding under one model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerdictRow {
    pub kind: Kind,
    /// The finding in plain words, whole: `deadlock: cycle: Thread-1 (transfer) -> …`.
    pub finding: String,
    /// Runs that showed it.
    pub runs: u64,
    pub share: f64,
    /// The smallest seed that shows it.
    pub seed: u64,
    /// The command that reproduces that run.
    pub command: String,
}

/// What one run shows, kind by kind (before `--expect-output`/the common output is known).
pub fn findings(o: &Outcome) -> Vec<(Kind, String)> {
    let mut f = Vec::new();
    if o.lost_stores > 0 {
        // One row per location, so that the rows of a dict counted from several threads
        // (`tally['the']`, `tally['and']`, …) do not multiply by their combinations.
        for var in &o.lost_vars {
            f.push((Kind::Lost, format!("loses updates on {var}")));
        }
    }
    // One row per place (check and act lines), as one per crash: a program with two
    // check-then-act bugs shows both, each with the seeds that show it.
    for site in &o.stale_sites {
        f.push((
            Kind::CheckThenAct,
            format!("acts on a stale check (check-then-act): {site}"),
        ));
    }
    if o.stale_checks > 0 && o.stale_sites.is_empty() {
        f.push((
            Kind::CheckThenAct,
            "acts on a stale check (check-then-act)".to_string(),
        ));
    }
    if o.exit == crate::run::EXIT_DEADLOCK {
        let why = o.deadlock.as_deref().unwrap_or("no thread can run");
        f.push((Kind::Deadlock, format!("deadlocks: {why}")));
    }
    for c in &o.crashes {
        f.push((Kind::Exception, format!("a thread crashes: {c}")));
    }
    if o.exit == crate::run::EXIT_EXCEPTION {
        f.push((
            Kind::Exception,
            format!("the main thread raises {}", o.stderr_last),
        ));
    }
    if o.exit == crate::run::EXIT_LIMIT {
        f.push((
            Kind::Limit,
            "stopped by a resource limit (--max-steps or memory)".to_string(),
        ));
    }
    f
}

/// The verdict's state for one model while outcomes are added.
#[derive(Clone, Debug, Default)]
pub(super) struct VerdictAcc {
    /// (kind, finding) → (runs, smallest seed).
    rows: BTreeMap<(Kind, String), (u64, u64)>,
    /// Runs that showed each kind (a run counts once per kind).
    kinds: BTreeMap<Kind, u64>,
    /// Per run: the id of its output (in `outputs`' order of first sight) and whether a
    /// `--fail-on` kind other than `output` failed it.
    runs: Vec<(u32, bool, u64)>,
    outputs: BTreeMap<Vec<u8>, u32>,
}

/// Whether a run's stdout is the `--expect-output` file's text. The file is compared byte for
/// byte, with two allowances for how such files are written by hand or on another system: its
/// line ends may be `\r\n`, and its last line may lack the `\n` that `print` writes.
pub fn output_matches(actual: &[u8], expected: &[u8]) -> bool {
    if actual == expected {
        return true;
    }
    let mut want = Vec::with_capacity(expected.len() + 1);
    let mut i = 0;
    while i < expected.len() {
        if expected[i] == b'\r' && expected.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        want.push(expected[i]);
        i += 1;
    }
    if !want.is_empty() && want.last() != Some(&b'\n') {
        want.push(b'\n');
    }
    actual == want.as_slice()
}

impl VerdictAcc {
    pub(super) fn add(&mut self, o: &Outcome, fail_on: &[Kind], expected: Option<&[u8]>) {
        let mut failed = false;
        let mut found = findings(o);
        if let Some(e) = expected {
            if !output_matches(&o.stdout, e) {
                found.push((
                    Kind::Output,
                    "prints something other than the expected output (--expect-output)".into(),
                ));
            }
        }
        // One row per distinct finding, counted once per run.
        found.sort();
        found.dedup();
        let mut kinds: Vec<Kind> = found.iter().map(|f| f.0).collect();
        kinds.dedup();
        for k in kinds {
            *self.kinds.entry(k).or_insert(0) += 1;
        }
        for (kind, text) in found {
            failed |= fail_on.contains(&kind);
            self.rows.entry((kind, text)).or_insert((0, o.seed)).0 += 1;
        }
        let next = self.outputs.len() as u32;
        let id = *self.outputs.entry(o.stdout.clone()).or_insert(next);
        self.runs.push((id, failed, o.seed));
    }

    /// The rows (most runs first within a kind) and the failing runs: (count, first seed).
    pub(super) fn finish(
        self,
        fail_on: &[Kind],
        expected: bool,
        command: &dyn Fn(u64) -> String,
    ) -> (Vec<VerdictRow>, u64, Option<u64>, BTreeMap<Kind, u64>) {
        let total = self.runs.len().max(1) as u64;
        let mut rows: Vec<VerdictRow> = self
            .rows
            .into_iter()
            .map(|((kind, finding), (runs, seed))| VerdictRow {
                kind,
                finding,
                runs,
                share: runs as f64 / total as f64,
                seed,
                command: command(seed),
            })
            .collect();
        // Without --expect-output, a run whose output is not the most common one is a finding
        // when there are several.
        let mut odd: Option<u32> = None;
        if !expected && self.outputs.len() > 1 {
            let mut counts = vec![(0u64, u64::MAX); self.outputs.len()];
            for &(id, _, seed) in &self.runs {
                let c = &mut counts[id as usize];
                c.0 += 1;
                c.1 = c.1.min(seed);
            }
            // The most common output; ties go to the one the smallest seed prints.
            let common = (0..counts.len())
                .max_by_key(|&i| (counts[i].0, std::cmp::Reverse(counts[i].1)))
                .unwrap_or(0) as u32;
            odd = Some(common);
            let others: Vec<&(u32, bool, u64)> =
                self.runs.iter().filter(|r| r.0 != common).collect();
            if let Some(first) = others.iter().map(|r| r.2).min() {
                let runs = others.len() as u64;
                rows.push(VerdictRow {
                    kind: Kind::Output,
                    finding: odd_outputs_finding(self.outputs.len(), runs),
                    runs,
                    share: runs as f64 / total as f64,
                    seed: first,
                    command: command(first),
                });
            }
        }
        sort_rows(&mut rows);
        let fails_on_output = fail_on.contains(&Kind::Output);
        let mut failing = 0u64;
        let mut first = None;
        for &(id, failed, seed) in &self.runs {
            let odd_output = fails_on_output && odd.is_some_and(|c| c != id);
            if failed || odd_output {
                failing += 1;
                first = Some(first.map_or(seed, |f: u64| f.min(seed)));
            }
        }
        (rows, failing, first, self.kinds)
    }
}

/// The finding of the runs whose output is not the most common one.
pub fn odd_outputs_finding(distinct: usize, runs: u64) -> String {
    format!(
        "prints {distinct} distinct outputs: {runs} run{} something other than the most common output",
        if runs == 1 { " prints" } else { "s print" }
    )
}

/// Whether a verdict row is the one of [`odd_outputs_finding`] (which a shard cannot know:
/// the most common output is the whole sweep's).
pub fn is_odd_outputs_row(r: &VerdictRow) -> bool {
    r.kind == Kind::Output
        && r.finding
            .ends_with("something other than the most common output")
}

/// Sorts verdict rows as a sweep lists them: by kind, most runs first, smallest seed first.
pub fn sort_rows(rows: &mut [VerdictRow]) {
    rows.sort_by(|a, b| {
        (a.kind, std::cmp::Reverse(a.runs), a.seed).cmp(&(
            b.kind,
            std::cmp::Reverse(b.runs),
            b.seed,
        ))
    });
}

/// A model's verdict in a few words: what went wrong in some run, or that nothing did.
pub fn verdict_line(rows: &[VerdictRow]) -> String {
    let mut kinds: Vec<Kind> = rows
        .iter()
        .map(|r| r.kind)
        .filter(|k| *k != Kind::Output)
        .collect();
    kinds.dedup();
    if kinds.is_empty() {
        return "never loses updates".to_string();
    }
    kinds
        .iter()
        .map(|k| k.problem())
        .collect::<Vec<_>>()
        .join(", ")
}
