//! The report of an exploration: outcomes with counts, the failure found (shrunk), what was
//! covered; as text for a person and as JSON (`--json`, schema in docs/explore.md) for a
//! machine and for `gilvm merge`. Every list is in a canonical order, so that reports of the
//! shards of one exploration merge into exactly the report of the unsharded run.

use serde::{Deserialize, Serialize};

use crate::races::RaceView;
use crate::vm::summary::{grouped, plural};

/// One distinct outcome: what the program printed, its exit status, the updates it lost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeRow {
    pub stdout: String,
    pub exit_status: i32,
    pub lost_updates: u64,
    pub count: u64,
}

/// The failure found first, shrunk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// `exception`, `deadlock`, `lost-update`, `limit` or `output`.
    pub kind: String,
    /// Preemptions of the shrunk schedule, and its instructions.
    pub preemptions: u32,
    pub steps: u64,
    /// The shrunk schedule, in the format `gilvm replay` reads.
    pub schedule: String,
    /// The story of the shrunk execution, one line each.
    pub story: Vec<String>,
    /// Where the first failing execution was found: (preemption bound, subtree, execution)
    /// for dfs, (run) for random and pct. Orders the shards' failures in a merge.
    pub found_at: Vec<u64>,
}

/// What PCT guarantees, with n and k measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PctStats {
    /// Most threads, and most steps, of any execution.
    pub threads: u64,
    pub steps: u64,
    /// The steps the change points were drawn among (measured by a first execution).
    pub estimated_steps: u64,
    /// Lower bound of the probability that one run finds a bug of depth `depth`.
    pub p: f64,
    /// Upper bound of the probability that all the runs missed such a bug.
    pub miss: f64,
}

impl PctStats {
    pub fn new(threads: u64, steps: u64, estimated_steps: u64, depth: u32, runs: u64) -> Self {
        let k = steps.max(estimated_steps).max(1) as f64;
        let p = 1.0 / (threads.max(1) as f64 * k.powi(depth.saturating_sub(1) as i32));
        let miss = (1.0 - p).powf(runs as f64);
        PctStats {
            threads,
            steps,
            estimated_steps,
            p,
            miss,
        }
    }
}

/// A data race (`--races`), reported once per pair of source lines across all executions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploreRace {
    /// Executions it was found in.
    pub executions: u64,
    /// Where it was first found (as `Failure::found_at`); its report is that execution's.
    pub found_at: Vec<u64>,
    pub report: RaceView,
}

/// The whole report (`--json` writes it as is; field order is the schema's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub gilvm_explore: u32,
    pub program: String,
    pub strategy: String,
    pub gil: String,
    pub preemption_bound: Option<u32>,
    pub depth: Option<u32>,
    pub seed: u64,
    pub runs: Option<u64>,
    pub until: Vec<String>,
    pub max_executions: u64,
    pub max_steps: u64,
    /// Present in a shard's report only (`I/N`); a merge removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub executions: u64,
    /// Executions cut short as redundant (every runnable thread in a sleep set).
    pub pruned: u64,
    pub complete: bool,
    /// Alternatives left out because they needed more preemptions than the bound.
    pub bound_reached: bool,
    /// `--max-executions` stopped the exploration.
    pub budget_exhausted: bool,
    /// An execution went past the scheduling points one execution may have (a spin loop?).
    pub too_deep: bool,
    /// Executions that ended at `--max-steps` (or another limit).
    pub limited: u64,
    pub failures: u64,
    pub outcomes: Vec<OutcomeRow>,
    pub failure: Option<Failure>,
    pub pct: Option<PctStats>,
    /// With `--races` only: the data races found, in the order they were first found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub races: Option<Vec<ExploreRace>>,
}

impl Report {
    /// Sorts the outcomes canonically: most frequent first, then by stdout, status, losses.
    pub fn canonical(&mut self) {
        self.outcomes.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.stdout.cmp(&b.stdout))
                .then_with(|| a.exit_status.cmp(&b.exit_status))
                .then_with(|| a.lost_updates.cmp(&b.lost_updates))
        });
        if let Some(r) = &mut self.races {
            r.sort_by(|a, b| {
                a.found_at
                    .cmp(&b.found_at)
                    .then_with(|| a.report.lines().cmp(&b.report.lines()))
            });
        }
    }

    pub fn to_json(&self) -> String {
        let mut j = serde_json::to_string_pretty(self).unwrap_or_default();
        j.push('\n');
        j
    }

    /// The text report.
    pub fn render_text(&self, replay: Option<&str>) -> String {
        let mut out = String::new();
        let model = &self.gil;
        out.push_str(&format!(
            "explore {} · strategy {} · model {model}{}\n",
            self.program,
            self.strategy,
            match (self.strategy.as_str(), self.preemption_bound, self.depth) {
                ("dfs", Some(k), _) => format!(" · preemption bound {k}"),
                ("dfs", None, _) => " · no preemption bound".to_string(),
                ("pct", _, Some(d)) => format!(" · depth {d}"),
                _ => String::new(),
            }
        ));
        let pruned = if self.pruned > 0 {
            format!(" (and {} pruned as redundant)", grouped(self.pruned))
        } else {
            String::new()
        };
        out.push_str(&format!(
            "executions: {}{pruned}\n",
            grouped(self.executions)
        ));
        out.push_str("outcomes:\n");
        let width = self
            .outcomes
            .iter()
            .map(|o| grouped(o.count).len())
            .max()
            .unwrap_or(1);
        for o in &self.outcomes {
            let shown = o.stdout.trim_end_matches('\n').replace('\n', "⏎");
            let shown = if shown.chars().count() > 60 {
                shown.chars().take(57).collect::<String>() + "..."
            } else {
                shown
            };
            let lost = match o.lost_updates {
                0 => String::new(),
                1 => " · 1 lost update".to_string(),
                n => format!(" · {} lost updates", grouped(n)),
            };
            out.push_str(&format!(
                "  {:>width$} × stdout {:?} · exit {}{lost}\n",
                grouped(o.count),
                shown,
                o.exit_status
            ));
        }
        if let Some(p) = &self.pct {
            let d = self.depth.unwrap_or(2);
            out.push_str(&format!(
                "pct guarantee: a bug of depth {d} is found by one run with p ≥ 1/(n·k^{}) = {} (n = {} threads, k = {} steps measured); after {} it is missed with probability ≤ {}\n",
                d.saturating_sub(1),
                sci(p.p),
                p.threads,
                p.steps.max(p.estimated_steps),
                plural(self.executions, "run", "runs"),
                sci(p.miss)
            ));
        }
        if let Some(races) = &self.races {
            out.push_str(&self.races_text(races));
        }
        if self.strategy == "dfs" {
            out.push_str(&self.coverage());
        }
        match &self.failure {
            None => out.push_str(&format!(
                "no failure ({}) in {}\n",
                self.until.join(", "),
                plural(self.executions, "execution", "executions")
            )),
            Some(f) => {
                out.push_str(&format!(
                    "failure: {} ({} of {} failed); shrunk to {} and {}:\n",
                    f.kind,
                    grouped(self.failures),
                    plural(self.executions, "execution", "executions"),
                    plural(f.preemptions as u64, "preemption", "preemptions"),
                    plural(f.steps, "instruction", "instructions")
                ));
                for l in &f.story {
                    out.push_str(&format!("  {l}\n"));
                }
                match replay {
                    Some(r) => out.push_str(&format!("replay: {r}\n")),
                    None => out.push_str(
                        "replay: add --record FAIL.schedule, then gilvm replay FAIL.schedule\n",
                    ),
                }
            }
        }
        out
    }

    /// The races section: how many, then each report with the executions it showed in.
    fn races_text(&self, races: &[ExploreRace]) -> String {
        if races.is_empty() {
            return format!("races: none in {} executions\n", grouped(self.executions));
        }
        let mut locs: Vec<&str> = Vec::new();
        for r in races {
            if !locs.contains(&r.report.location.as_str()) {
                locs.push(&r.report.location);
            }
        }
        let mut out = format!(
            "races: {} (on {}), each reported once:\n",
            grouped(races.len() as u64),
            locs.join(", ")
        );
        for r in races {
            out.push('\n');
            out.push_str(&crate::races::render(&r.report));
            out.push_str(&format!(
                "  found in {} of {} executions\n",
                grouped(r.executions),
                grouped(self.executions)
            ));
        }
        out.push('\n');
        out
    }

    /// What the depth-first exploration covered, plainly.
    fn coverage(&self) -> String {
        let n = grouped(self.executions);
        let explored = if self.executions == 1 {
            "execution explored"
        } else {
            "executions explored"
        };
        if self.complete {
            let within = match self.preemption_bound {
                Some(k) if self.bound_reached => {
                    format!(" within {k} preemption{}", if k == 1 { "" } else { "s" })
                }
                _ => String::new(),
            };
            if self.failure.is_none() {
                format!("all {n} {explored}: the program cannot fail under this model{within}\n")
            } else {
                format!("all {n} {explored}{within}: every reachable outcome is listed above\n")
            }
        } else {
            let mut why = Vec::new();
            if self.budget_exhausted {
                why.push(format!(
                    "--max-executions {} stopped it",
                    grouped(self.max_executions)
                ));
            }
            if self.too_deep {
                why.push("an execution hit --max-steps or went past the scheduling points one execution may take (a thread spinning while it waits for another?): the schedules beyond that point are not explored".to_string());
            }
            if why.is_empty() {
                why.push("it stopped at the first failure (--first)".to_string());
            }
            format!("not complete: {n} {explored}; {}\n", why.join("; "))
        }
    }
}

/// A probability in a short form: 0.25, 3.1e-5.
pub fn sci(x: f64) -> String {
    if x == 0.0 || x >= 0.001 {
        let s = format!("{x:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() {
            "0".into()
        } else {
            s.to_string()
        }
    } else {
        format!("{x:.2e}")
    }
}
