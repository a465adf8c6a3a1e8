//! Shrinking a failure: the schedule with the fewest preemptions (then the fewest
//! instructions) that fails the same way, found by an exhaustive search with a preemption
//! bound of 0, 1, 2, … (every runnable thread at every scheduling point, within the bound; no
//! reduction, so that the minimum is exact). The search is independent of the execution that
//! failed first — it depends only on the program, the options and the kind of failure — so
//! every shard of an exploration shrinks to the same schedule.

use crate::explore::dfs::Dfs;
use crate::explore::exec::{execute, Exec};
use crate::explore::{
    ExploreConfig, Failure, MAX_NODES, SHRINK_BUDGET, SHRINK_MAX_PREEMPTIONS, SHRINK_STEP_BUDGET,
};
use crate::schedule::{fnv1a64, Schedule};
use crate::vm::prelude::LocalImage;
use crate::vm::scheduler::Entry;

/// The shrunk failure of kind `kind` (first found at `found_at` with `preemptions`).
pub fn shrink(
    local: &LocalImage,
    source: &str,
    cfg: &ExploreConfig,
    kind: &'static str,
    preemptions: u32,
    found_at: Vec<u64>,
    reference: Option<&[u8]>,
) -> Failure {
    let config = cfg.run_config(cfg.seed);
    let mut runs = 0u64;
    let mut steps_run = 0u64;
    let spent = |runs: u64, steps: u64| runs >= SHRINK_BUDGET || steps >= SHRINK_STEP_BUDGET;
    for b in 0..=SHRINK_MAX_PREEMPTIONS {
        let mut d = Dfs::new(Some(b), false, MAX_NODES);
        d.story = true;
        let mut best: Option<(u32, u64, Exec)> = None;
        loop {
            d.begin();
            let (e, back) = execute(local, config.clone(), Some(d));
            let Some(back) = back else { break };
            d = back;
            runs += 1;
            steps_run += e.steps;
            if !e.abandoned && cfg.classify(&e, reference) == Some(kind) {
                let key = (d.preemptions(), e.steps);
                if best.as_ref().is_none_or(|(p, s, _)| key < (*p, *s)) {
                    best = Some((key.0, key.1, e));
                }
            }
            if d.diverged || spent(runs, steps_run) || !d.advance() {
                break;
            }
        }
        if let Some((p, steps, e)) = best {
            return Failure {
                kind: kind.to_string(),
                preemptions: p,
                steps,
                schedule: schedule_text(cfg, source, &e),
                story: story(kind, &e),
                found_at,
            };
        }
        if spent(runs, steps_run) {
            break;
        }
    }
    Failure {
        kind: kind.to_string(),
        preemptions,
        steps: 0,
        schedule: String::new(),
        story: vec![format!(
            "not shrunk: no schedule with at most {SHRINK_MAX_PREEMPTIONS} preemptions failed this way within {SHRINK_BUDGET} executions or {SHRINK_STEP_BUDGET} instructions"
        )],
        found_at,
    }
}

/// The turns of an execution for a schedule file: consecutive steps of one thread that ended
/// at a switch point are one turn.
fn turns(e: &Exec) -> Vec<(u32, u64, bool, u32)> {
    let mut out: Vec<(u32, u64, bool, u32)> = Vec::new();
    for (i, &(tid, steps, budget)) in e.log.turns.iter().enumerate() {
        let line = e.log.lines.get(i).copied().unwrap_or(0);
        match out.last_mut() {
            Some(last) if last.0 == tid && last.2 && steps > 0 => {
                last.1 += steps;
                last.2 = budget;
                last.3 = line;
            }
            _ => out.push((tid, steps, budget, line)),
        }
    }
    out
}

/// The schedule of execution `e`, in the format `gilvm replay` reads.
pub fn schedule_text(cfg: &ExploreConfig, source: &str, e: &Exec) -> String {
    let mut entries = Vec::new();
    let merged = turns(e);
    // Waiter choices, placed after the turn they were made in (replay follows turns and
    // waiter choices as two lists; the place is for the reader).
    let mut raw_to_merged = Vec::new();
    let mut m = 0usize;
    for (i, &(tid, steps, _)) in e.log.turns.iter().enumerate() {
        if i > 0 {
            let (pt, _, pb) = e.log.turns[i - 1];
            if !(pt == tid && pb && steps > 0) {
                m += 1;
            }
        }
        raw_to_merged.push(m);
    }
    let mut wakes = e.log.wakes.iter().peekable();
    for (mi, &(tid, steps, _, _)) in merged.iter().enumerate() {
        entries.push(Entry::Turn {
            tid,
            steps: Some(steps),
        });
        while let Some(&&(at, w)) = wakes.peek() {
            let belongs = raw_to_merged.get(at).copied().unwrap_or(usize::MAX);
            if belongs <= mi || belongs == usize::MAX && mi + 1 == merged.len() {
                entries.push(Entry::Wake(w));
                wakes.next();
            } else {
                break;
            }
        }
    }
    entries.extend(wakes.map(|&(_, w)| Entry::Wake(w)));
    let schedule = Schedule {
        gilvm_version: env!("CARGO_PKG_VERSION").into(),
        program: cfg.file.clone(),
        program_hash: fnv1a64(source.as_bytes()),
        model: cfg.model.name().into(),
        options: {
            let mut o = vec![
                ("switch-interval".into(), cfg.switch_interval.to_string()),
                ("max-steps".into(), cfg.max_steps.to_string()),
            ];
            if cfg.races {
                // Its replay detects races too (as a `run --races` schedule's does).
                o.push(("races".into(), "on".into()));
            }
            o
        },
        seed: cfg.seed,
        entries,
        events: Vec::new(),
        source: None,
    };
    schedule.to_text(&e.thread_names)
}

/// The story of a shrunk execution: the preemptions that matter, at which lines, and what
/// went wrong.
pub fn story(kind: &str, e: &Exec) -> Vec<String> {
    let name = |t: u32| {
        e.thread_names
            .get(t as usize)
            .cloned()
            .unwrap_or_else(|| format!("T{t}"))
    };
    let merged = turns(e);
    let mut out = Vec::new();
    let mut done = 0u64;
    let mut n = 0;
    for w in merged.windows(2) {
        done += w[0].1;
        if w[0].2 && w[0].0 != w[1].0 {
            n += 1;
            out.push(format!(
                "preemption {n}: {} is switched out before line {} (after {done} {} in all); {} runs",
                name(w[0].0),
                w[0].3,
                crate::vm::summary::noun(done, "instruction", "instructions"),
                name(w[1].0)
            ));
        }
    }
    if n == 0 {
        out.push("no preemption needed: the threads only switch where one blocks or ends".into());
    }
    match kind {
        "race" => {
            if let Some(r) = e.races.first() {
                out.push(format!("then: {}", r.short()));
            }
        }
        "lost-update" => {
            if let Some(s) = &e.lost_story {
                out.push(format!("then: {s}"));
            }
        }
        _ => {
            let err = String::from_utf8_lossy(&e.stderr);
            let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
            let keep: Vec<&str> = match kind {
                // The cycle, or else the first line of the report.
                "deadlock" => match lines.iter().find(|l| {
                    let l = l.trim_start();
                    l.starts_with("cycle:") || l.starts_with("no cycle:")
                }) {
                    Some(c) => vec![lines[0], c],
                    None => lines.iter().take(1).copied().collect(),
                },
                "limit" => lines.iter().take(1).copied().collect(),
                _ => lines.iter().rev().take(1).copied().collect(),
            };
            for l in keep {
                out.push(format!("then: {}", l.trim()));
            }
            if kind == "output" {
                out.push(format!(
                    "then: it prints {:?}",
                    String::from_utf8_lossy(&e.stdout).trim_end()
                ));
            }
        }
    }
    out
}
