//! Merging the `--json` reports of the shards of one sweep (`sweep --shard I/N`) into the
//! report of the unsharded sweep, byte for byte: counts add up, "the smallest seed" is the
//! smallest of the shards', shares and the median are computed again from the totals (the
//! median from the shards' histograms of losses), rows sorted as the sweep sorts them.

use std::collections::BTreeMap;

use super::report::{CheckThenActRow, ExitRow, LostStats, ModelReport, OutputRow, SweepReport};
use super::verdict::{
    is_odd_outputs_row, odd_outputs_finding, sort_rows, verdict_line, Kind, VerdictRow,
};

/// Merges the shard reports `reports` (path, report): every shard of one sweep, once.
pub fn merge(reports: Vec<(String, SweepReport)>) -> Result<SweepReport, String> {
    crate::explore::check_shard_set(
        reports
            .iter()
            .map(|(path, r)| (path.as_str(), r.shard.as_deref())),
    )?;
    let key = |r: &SweepReport| {
        format!(
            "{:?}",
            (
                &r.file,
                r.seed_start,
                r.seed_end,
                &r.switch_interval,
                r.max_steps,
                r.models.iter().map(|m| &m.model).collect::<Vec<_>>()
            )
        )
    };
    let first = reports[0].1.clone();
    for (path, r) in &reports {
        if key(r) != key(&first) {
            return Err(format!(
                "{path} is a report of another sweep (program, seeds or models differ)"
            ));
        }
    }
    let mut out = first.clone();
    out.shard = None;
    out.models = (0..first.models.len())
        .map(|m| {
            merge_model(
                reports.iter().map(|(_, r)| &r.models[m]).collect(),
                first.expect_output.is_some(),
            )
        })
        .collect::<Result<_, _>>()?;
    out.failing_runs = reports.iter().map(|(_, r)| r.failing_runs).sum();
    Ok(out)
}

fn merge_model(parts: Vec<&ModelReport>, expected: bool) -> Result<ModelReport, String> {
    let runs: u64 = parts.iter().map(|m| m.runs).sum();
    let losing: u64 = parts.iter().map(|m| m.runs_losing).sum();
    let mut hist: BTreeMap<u64, u64> = BTreeMap::new();
    for m in &parts {
        let h = m
            .lost_histogram
            .as_ref()
            .ok_or("a shard's report has no lost_histogram (written by an older gilvm?)")?;
        for &(v, c) in h {
            *hist.entry(v).or_insert(0) += c;
        }
    }
    let lost = if runs == 0 {
        LostStats::default()
    } else {
        let min = hist.keys().next().copied().unwrap_or(0);
        let max = hist.keys().next_back().copied().unwrap_or(0);
        // The lower median: the value at index (runs − 1) / 2 of the sorted losses.
        let want = (runs - 1) / 2;
        let mut seen = 0;
        let mut median = 0;
        for (&v, &c) in &hist {
            if seen + c > want {
                median = v;
                break;
            }
            seen += c;
        }
        let max_seed = parts
            .iter()
            .filter(|m| m.runs > 0 && m.lost.max == max)
            .map(|m| m.lost.max_seed)
            .min()
            .unwrap_or(0);
        LostStats {
            min,
            median,
            max,
            max_seed,
        }
    };
    let share_of = |count: u64| count as f64 / runs.max(1) as f64;
    let mut stdout: Vec<OutputRow> = Vec::new();
    for m in &parts {
        for r in &m.stdout {
            match stdout.iter_mut().find(|x| x.stdout == r.stdout) {
                Some(x) => {
                    x.count += r.count;
                    if r.seed < x.seed {
                        x.seed = r.seed;
                        x.command = r.command.clone();
                    }
                }
                None => stdout.push(r.clone()),
            }
        }
    }
    for r in &mut stdout {
        r.share = share_of(r.count);
    }
    stdout.sort_by_key(|r| (std::cmp::Reverse(r.count), r.seed));
    let mut exits: Vec<ExitRow> = Vec::new();
    for m in &parts {
        for r in &m.exits {
            match exits.iter_mut().find(|x| x.status == r.status) {
                Some(x) => {
                    x.count += r.count;
                    if r.seed < x.seed {
                        x.seed = r.seed;
                        x.command = r.command.clone();
                        x.stderr_last = r.stderr_last.clone();
                    }
                }
                None => exits.push(r.clone()),
            }
        }
    }
    for r in &mut exits {
        r.share = share_of(r.count);
    }
    exits.sort_by_key(|r| (std::cmp::Reverse(r.count), r.seed));
    // Verdict rows: the same finding adds up over the shards; the "not the most common
    // output" row is made again from the merged outputs, as the sweep makes it.
    let mut verdicts: Vec<VerdictRow> = Vec::new();
    for m in &parts {
        for r in m.verdicts.iter().filter(|r| !is_odd_outputs_row(r)) {
            match verdicts
                .iter_mut()
                .find(|x| x.kind == r.kind && x.finding == r.finding)
            {
                Some(x) => {
                    x.runs += r.runs;
                    if r.seed < x.seed {
                        x.seed = r.seed;
                        x.command = r.command.clone();
                    }
                }
                None => verdicts.push(r.clone()),
            }
        }
    }
    if !expected && stdout.len() > 1 {
        // `stdout` is sorted most common first, ties to the smallest seed.
        let others = &stdout[1..];
        let n: u64 = others.iter().map(|r| r.count).sum();
        if let Some(first) = others.iter().min_by_key(|r| r.seed) {
            verdicts.push(VerdictRow {
                kind: Kind::Output,
                finding: odd_outputs_finding(stdout.len(), n),
                runs: n,
                share: 0.0,
                seed: first.seed,
                command: first.command.clone(),
            });
        }
    }
    for r in &mut verdicts {
        r.share = share_of(r.runs);
    }
    sort_rows(&mut verdicts);
    let sum = |f: &dyn Fn(&ModelReport) -> u64| parts.iter().map(|m| f(m)).sum::<u64>();
    let first_failing = parts
        .iter()
        .filter_map(|m| {
            m.first_failing_seed
                .map(|s| (s, m.first_failing_command.clone()))
        })
        .min_by_key(|(s, _)| *s);
    let cta_first = parts
        .iter()
        .filter_map(|m| {
            m.check_then_act
                .seed
                .map(|s| (s, m.check_then_act.command.clone()))
        })
        .min_by_key(|(s, _)| *s);
    let cta_runs = sum(&|m| m.check_then_act.runs);
    let base = parts[0];
    Ok(ModelReport {
        model: base.model.clone(),
        interval: base.interval.clone(),
        runs,
        verdict: verdict_line(&verdicts),
        verdicts,
        runs_deadlocking: sum(&|m| m.runs_deadlocking),
        runs_with_exception: sum(&|m| m.runs_with_exception),
        failing_runs: sum(&|m| m.failing_runs),
        first_failing_seed: first_failing.as_ref().map(|(s, _)| *s),
        first_failing_command: first_failing.and_then(|(_, c)| c),
        check_then_act: CheckThenActRow {
            runs: cta_runs,
            share: share_of(cta_runs),
            seed: cta_first.as_ref().map(|(s, _)| *s),
            command: cta_first.and_then(|(_, c)| c),
        },
        runs_losing: losing,
        losing_fraction: share_of(losing),
        first_losing_seed: parts.iter().filter_map(|m| m.first_losing_seed).min(),
        first_clean_seed: parts.iter().filter_map(|m| m.first_clean_seed).min(),
        lost,
        stdout,
        exits,
        lost_histogram: None,
    })
}
