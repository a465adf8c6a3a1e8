//! `gilvm merge REPORT…`: the `--json` reports of the shards of one exploration (`explore
//! --shard I/N`) or one sweep (`sweep --shard I/N`) combined into the report the unsharded
//! run writes, byte for byte.

use crate::explore::report::{PctStats, Report};

/// Merges explore reports: every shard `0/N … N−1/N` exactly once, of one exploration.
pub fn merge_explore(mut reports: Vec<(String, Report)>) -> Result<Report, String> {
    crate::explore::check_shard_set(
        reports
            .iter()
            .map(|(path, r)| (path.as_str(), r.shard.as_deref())),
    )?;
    let same = |r: &Report| {
        format!(
            "{:?}",
            (
                &r.program,
                &r.strategy,
                &r.gil,
                r.preemption_bound,
                r.depth,
                r.seed,
                r.runs,
                &r.until,
                r.max_executions,
                r.max_steps,
                r.races.is_some(),
            )
        )
    };
    let first = reports[0].1.clone();
    for (path, r) in &reports {
        if same(r) != same(&first) {
            return Err(format!(
                "{path} is a report of another exploration (program, strategy or options differ)"
            ));
        }
    }
    let mut out = first.clone();
    out.shard = None;
    out.executions = 0;
    out.pruned = 0;
    out.limited = 0;
    out.failures = 0;
    out.outcomes.clear();
    out.failure = None;
    out.complete = true;
    out.bound_reached = false;
    out.budget_exhausted = false;
    out.too_deep = false;
    let mut pct: Option<PctStats> = None;
    let mut races: std::collections::BTreeMap<_, _> = std::collections::BTreeMap::new();
    out.races = first.races.as_ref().map(|_| Vec::new());
    for (_, r) in reports.drain(..) {
        out.executions += r.executions;
        out.pruned += r.pruned;
        out.limited += r.limited;
        out.failures += r.failures;
        out.complete &= r.complete;
        out.bound_reached |= r.bound_reached;
        out.budget_exhausted |= r.budget_exhausted;
        out.too_deep |= r.too_deep;
        for o in r.outcomes {
            match out.outcomes.iter_mut().find(|x| {
                x.stdout == o.stdout
                    && x.exit_status == o.exit_status
                    && x.lost_updates == o.lost_updates
            }) {
                Some(x) => x.count += o.count,
                None => out.outcomes.push(o),
            }
        }
        if let Some(f) = r.failure {
            if out.failure.as_ref().is_none_or(|g| f.found_at < g.found_at) {
                out.failure = Some(f);
            }
        }
        for x in r.races.into_iter().flatten() {
            crate::explore::add_race(&mut races, &x.found_at, x.executions, &x.report);
        }
        if let Some(p) = r.pct {
            pct = Some(match pct {
                None => p,
                Some(q) => PctStats {
                    threads: q.threads.max(p.threads),
                    steps: q.steps.max(p.steps),
                    ..q
                },
            });
        }
    }
    out.pct = pct.map(|p| {
        PctStats::new(
            p.threads,
            p.steps,
            p.estimated_steps,
            out.depth.unwrap_or(2),
            out.executions,
        )
    });
    if let Some(list) = &mut out.races {
        list.extend(races.into_values().map(|(found_at, executions, report)| {
            crate::explore::ExploreRace {
                executions,
                found_at,
                report,
            }
        }));
    }
    out.canonical();
    Ok(out)
}

/// The `gilvm merge` command: reads the reports, merges them, prints the merged report.
pub fn main(paths: &[String], out: &mut dyn std::io::Write, err: &mut dyn std::io::Write) -> i32 {
    let mut reports = Vec::new();
    let mut sweeps = Vec::new();
    for p in paths {
        let text = match std::fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(err, "error: cannot read {p}: {e}");
                return crate::run::EXIT_USAGE;
            }
        };
        let is_sweep = serde_json::from_str::<serde_json::Value>(&text)
            .is_ok_and(|v| v.get("models").is_some() && v.get("gilvm_explore").is_none());
        if is_sweep {
            match serde_json::from_str::<crate::sweep::SweepReport>(&text) {
                Ok(r) => sweeps.push((p.clone(), r)),
                Err(e) => {
                    let _ = writeln!(
                        err,
                        "error: {p} is not a report of `gilvm sweep --json --shard`: {e}"
                    );
                    return crate::run::EXIT_USAGE;
                }
            }
            continue;
        }
        match serde_json::from_str::<Report>(&text) {
            Ok(r) => reports.push((p.clone(), r)),
            Err(e) => {
                let _ = writeln!(
                    err,
                    "error: {p} is not a report of `gilvm explore --json --shard`: {e}"
                );
                return crate::run::EXIT_USAGE;
            }
        }
    }
    if !sweeps.is_empty() {
        if !reports.is_empty() {
            let _ = writeln!(
                err,
                "error: cannot merge sweep reports with explore reports"
            );
            return crate::run::EXIT_USAGE;
        }
        return match crate::sweep::merge::merge(sweeps) {
            Ok(r) => {
                let mut j = serde_json::to_string_pretty(&r).unwrap_or_default();
                j.push('\n');
                let _ = out.write_all(j.as_bytes());
                crate::run::EXIT_OK
            }
            Err(msg) => {
                let _ = writeln!(err, "error: {msg}");
                crate::run::EXIT_USAGE
            }
        };
    }
    match merge_explore(reports) {
        Ok(r) => {
            let _ = out.write_all(r.to_json().as_bytes());
            crate::explore::exit_status(&r)
        }
        Err(msg) => {
            let _ = writeln!(err, "error: {msg}");
            crate::run::EXIT_USAGE
        }
    }
}
