//! How an exploration's work is split for `--jobs` and `--shard`, and how a budget is shared.
//!
//! **Small searches are not split.** A search runs whole, in one worker, up to [`SMALL`]
//! executions first; when it ends within them (or within `--max-executions`, if that is
//! smaller) its result is the exploration's — with `--shard`, shard 0 reports it and the
//! others report nothing, so merging still gives it. Splitting costs executions cut short
//! (below), which a small search would not win back.
//!
//! **Units.** A larger search starts over, cut into *units*, subtrees of the search tree,
//! each explored by a [`Dfs`] whose prefix (the choices down to the unit's root) is fixed.
//! The split is a function of the program and the model only — never of `--jobs` or
//! `--shard` — so every process and every worker agrees on it, and the report does not depend
//! on how the units were spread. It is found by *probes* (single executions, not counted):
//! the root's probe is the search's first execution; the unit most likely to hold the most
//! work (the one whose probe has the most scheduling points with a choice below its root; the
//! first among equals) is expanded at its first node where at least two threads are awake
//! (runnable and not in the sleep set): one unit per awake thread there, the later ones with
//! the earlier ones' steps in their sleep set. Expansion goes on until [`SPLIT_TARGET`] units
//! have a choice left, or no unit can be expanded, or the probes reach [`SPLIT_PROBES`]. A
//! unit is not expanded where a step on its way makes a waiter choice (which waiter a release
//! or a notify wakes): those alternatives belong to the search below.
//!
//! Exploring every awake thread at a split node is sound (the sleep sets keep it from running
//! a trace twice, so the executions that run to their end, and the outcomes, are the unsplit
//! search's) but it is more than DPOR would do there: the later alternatives start with the
//! earlier ones asleep, and a thread whose step nothing depends on (a read of a global no
//! thread writes, a `join` that blocks) stays asleep to the end of every execution, each of
//! which is then cut short. So the alternatives are ordered: first those whose step another
//! thread's later step depends on in their probe, then by how much the thread interacts with
//! the others (pairs of dependent steps), and after a step that touches nothing (a call that
//! blocked) no alternative is split off at all. What remains costs executions cut short
//! (`pruned`): on the counter of five increments per thread, 33,576 beside the unsplit
//! search's 17,452 for the same 34,904 executions.
//!
//! **Workers** take units (or blocks of runs for `random` and `pct`) in index order from a
//! shared counter, each with its own [`LocalImage`]; each unit's result is kept by its index
//! and the results are folded in index order, so any number of workers gives the same report.
//!
//! **The budget** (`--max-executions N`) is spent in the search's order: bound by bound, unit
//! by unit, each unit getting what the units before it left (executions cut short by their
//! sleep sets are not counted). Workers run ahead speculatively: a unit stops once the units
//! before it have run out the budget between them, as far as it can tell from their progress;
//! when the fold finds that a unit ran further than what was left for it, that unit is run
//! again with exactly what was left. The result is the sequential one, whatever the number of
//! workers. With `--first` likewise, the units after the first failing one are dropped.
//! A shard gets its share of the budget (`N / shards`, the remainder to the first shards).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use smallvec::smallvec;

use super::dfs::{Dfs, Node, Tids};
use super::exec::{execute, Fp};
use super::{explore_subtree, reference_output, Acc, ExploreConfig, MAX_NODES};
use crate::vm::prelude::{Image, LocalImage};
use crate::vm::thread::Tid;

/// Units with a choice left that the split aims for: enough for the workers of a machine and
/// the shards of a small cluster to be kept busy when the units' sizes differ.
pub const SPLIT_TARGET: usize = 32;
/// Probe executions the split may run.
pub const SPLIT_PROBES: usize = 400;
/// Runs of `random` and `pct` a worker takes at a time.
pub const BLOCK: usize = 256;

/// A unit of the depth-first search: the subtree below `prefix` (the whole tree for `None`).
#[derive(Clone, Debug)]
pub struct Unit {
    pub prefix: Option<Vec<Node>>,
    /// Its probe had a scheduling point with two threads awake (a unit without one runs
    /// at most a few executions).
    pub live: bool,
    /// Scheduling points with a choice below its root in its probe: an estimate of its size.
    pub weight: usize,
}

impl Unit {
    /// Preemptions its prefix takes (its root's choice included).
    fn preemptions(&self) -> u32 {
        self.prefix.as_ref().and_then(|p| p.last()).map_or(0, |n| {
            n.pre + u32::from(n.prev.is_some_and(|q| q != n.chosen))
        })
    }
}

/// A unit while the split is being found, with its probe.
struct Cand {
    path: Vec<u32>,
    prefix: Option<Vec<Node>>,
    probe: Vec<Node>,
    /// The first node below the prefix with two awake threads, if it can be split there.
    branch: Option<usize>,
    /// Scheduling points with a choice below the prefix in the probe.
    weight: usize,
    /// Some node below the prefix has two threads awake (`branch` may be none all the same:
    /// a waiter choice on the way, or a split refused).
    choice: bool,
}

fn awake(n: &Node) -> Tids {
    n.enabled
        .iter()
        .copied()
        .filter(|t| !n.sleep.iter().any(|s| s.0 == *t))
        .collect()
}

impl Cand {
    fn new(path: Vec<u32>, prefix: Option<Vec<Node>>, probe: Vec<Node>) -> Cand {
        let start = prefix.as_ref().map_or(0, Vec::len);
        let below = probe.get(start..).unwrap_or_default();
        let mut branch = None;
        for (k, n) in below.iter().enumerate() {
            if awake(n).len() >= 2 {
                branch = Some(start + k);
                break;
            }
            if n.wakes.iter().any(|w| w.0 >= 2) {
                break;
            }
        }
        let weight = below.iter().filter(|n| n.enabled.len() >= 2).count();
        let choice = below.iter().any(|n| awake(n).len() >= 2);
        Cand {
            choice,
            path,
            prefix,
            probe,
            branch,
            weight,
        }
    }
}

/// One probe execution below `prefix`: the nodes it went through.
fn probe(local: &LocalImage, cfg: &ExploreConfig, prefix: Option<Vec<Node>>) -> Option<Dfs> {
    let mut d = Dfs::new(None, true, MAX_NODES);
    if let Some(p) = prefix {
        d = d.with_prefix(p);
    }
    d.begin();
    let (_, d) = execute(local, cfg.run_config(cfg.seed), Some(d));
    d.filter(|d| !d.diverged)
}

/// The units below `c`'s first branching node, one per awake thread there; `None` when it
/// cannot be split there. `probes` counts the executions run.
fn expand(
    local: &LocalImage,
    cfg: &ExploreConfig,
    c: &Cand,
    probes: &mut usize,
) -> Option<Vec<Cand>> {
    let b = c.branch?;
    let at = c.probe.get(b)?;
    let base_sleep = at.sleep.clone();
    let alts = awake(at);
    if *probes + 2 * alts.len() > SPLIT_PROBES {
        return None;
    }
    // Each alternative's step, and whether another thread's later step depends on it in
    // its probe. An alternative whose step nothing depends on goes last: asleep in the
    // alternatives after it, it would stay asleep to their executions' ends and cut every
    // one of them short (a `t.join()` that blocks, a read of a global no thread writes).
    let base = |a: Tid, sleep: Vec<(Tid, Fp)>| {
        let mut p: Vec<Node> = c.probe[..=b].to_vec();
        let n = &mut p[b];
        n.chosen = a;
        n.backtrack = smallvec![a];
        n.wakes.clear();
        n.wake_alt = false;
        n.explored.clear();
        n.fp = Fp::default();
        n.sleep = sleep;
        p
    };
    let mut first = Vec::new();
    for &a in &alts {
        *probes += 1;
        let d = probe(local, cfg, Some(base(a, base_sleep.clone())))?;
        let step = d.nodes.get(b)?;
        if step.wakes.iter().any(|w| w.0 >= 2) {
            // A waiter choice in the step itself: the search below must be free to vary it.
            return None;
        }
        let fp = step.fp.clone();
        let seen = d.nodes[b + 1..]
            .iter()
            .any(|n| n.chosen != a && n.fp.depends_on(&fp));
        // How much `a` interacts with the others: pairs of its steps and another thread's
        // that depend on each other. Asleep, it leaves the others the least to do alone.
        let later = &d.nodes[b..];
        let pairs = later
            .iter()
            .enumerate()
            .filter(|(_, n)| n.chosen == a)
            .map(|(i, n)| {
                later
                    .iter()
                    .enumerate()
                    .filter(|(j, m)| *j != i && m.chosen != a && m.fp.depends_on(&n.fp))
                    .count()
            })
            .sum::<usize>();
        first.push((a, fp, (!seen, std::cmp::Reverse(pairs)), d));
    }
    first.sort_by_key(|f| f.2);
    let mut explored: Vec<(Tid, Fp)> = Vec::new();
    let mut children = Vec::new();
    for (x, (a, fp, _, d)) in first.into_iter().enumerate() {
        let sleep: Vec<(Tid, Fp)> = base_sleep.iter().chain(explored.iter()).cloned().collect();
        let p = base(a, sleep);
        let nodes = if explored.is_empty() {
            d.nodes.into_vec()
        } else {
            *probes += 1;
            probe(local, cfg, Some(p.clone()))?.nodes.into_vec()
        };
        let empty = fp == Fp::default();
        explored.push((a, fp));
        let mut path = c.path.clone();
        path.push(x as u32);
        children.push(Cand::new(path, Some(p), nodes));
        if empty {
            // A step that touches nothing (a call that blocked: its effect is in the step
            // after it is woken) is independent of every step: the later alternatives'
            // executions would all be cut short. The search itself never adds them.
            break;
        }
    }
    Some(children)
}

/// The units of the depth-first search of `cfg`'s program, in the search's order.
pub fn units(local: &LocalImage, cfg: &ExploreConfig) -> Vec<Unit> {
    let Some(root) = probe(local, cfg, None) else {
        return vec![Unit {
            prefix: None,
            live: true,
            weight: 0,
        }];
    };
    let mut probes = 1;
    let mut leaves = vec![Cand::new(Vec::new(), None, root.nodes.into_vec())];
    loop {
        let live = leaves.iter().filter(|c| c.branch.is_some()).count();
        if live >= SPLIT_TARGET {
            break;
        }
        let Some(k) = leaves
            .iter()
            .enumerate()
            .filter(|(_, c)| c.branch.is_some())
            .max_by_key(|(i, c)| (c.weight, std::cmp::Reverse(*i)))
            .map(|(i, _)| i)
        else {
            break;
        };
        match expand(local, cfg, &leaves[k], &mut probes) {
            Some(children) => {
                leaves.splice(k..=k, children);
            }
            None => leaves[k].branch = None,
        }
    }
    debug_assert!(leaves.windows(2).all(|w| w[0].path < w[1].path));
    leaves
        .into_iter()
        .map(|c| {
            let live = c.choice || c.prefix.is_none();
            Unit {
                prefix: c.prefix,
                live,
                weight: c.weight,
            }
        })
        .collect()
}

/// Runs `work(local, i)` for `i` in `0..count` on `jobs` worker threads, each with its own
/// [`LocalImage`], taking the indices in order; the results by index.
pub fn run_workers<T: Send>(
    image: &Image,
    jobs: usize,
    count: usize,
    work: &(dyn Fn(&LocalImage, usize) -> T + Sync),
) -> Result<Vec<Option<T>>, String> {
    let next = AtomicUsize::new(0);
    let jobs = jobs.clamp(1, count.max(1));
    let mut out: Vec<Option<T>> = (0..count).map(|_| None).collect();
    let worker = |local: &LocalImage| {
        let mut got = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= count {
                break;
            }
            got.push((i, work(local, i)));
        }
        got
    };
    if jobs == 1 {
        let local = image.local();
        for (i, r) in worker(&local) {
            out[i] = Some(r);
        }
        return Ok(out);
    }
    std::thread::scope(|s| {
        let mut handles = Vec::new();
        for w in 0..jobs {
            let h = std::thread::Builder::new()
                .name(format!("explore-{w}"))
                .spawn_scoped(s, || worker(&image.local()))
                .map_err(|e| format!("cannot start {jobs} worker threads: {e}"))?;
            handles.push(h);
        }
        for h in handles {
            let got = h
                .join()
                .map_err(|_| "an exploration worker thread failed".to_string())?;
            for (i, r) in got {
                out[i] = Some(r);
            }
        }
        Ok::<(), String>(())
    })?;
    Ok(out)
}

/// Which of `n` shards explores each unit: the live units, largest estimate first (then in
/// order), each to the shard with the least estimated work so far (the first among equals);
/// the others (at most a few executions each) in turn.
pub fn shard_of(units: &[Unit], n: u64) -> Vec<u64> {
    let n = n.max(1);
    let mut owner = vec![0u64; units.len()];
    let mut load = vec![0usize; n as usize];
    let mut live: Vec<usize> = (0..units.len()).filter(|&i| units[i].live).collect();
    live.sort_by_key(|&i| (std::cmp::Reverse(units[i].weight), i));
    for i in live {
        let s = (0..load.len()).min_by_key(|&s| (load[s], s)).unwrap_or(0);
        load[s] += units[i].weight.max(1);
        owner[i] = s as u64;
    }
    for (r, i) in (0..units.len()).filter(|&i| !units[i].live).enumerate() {
        owner[i] = r as u64 % n;
    }
    owner
}

/// This shard's part of a budget of `n` (the whole of it without `--shard`).
pub fn shard_budget(cfg: &ExploreConfig, n: u64) -> u64 {
    match cfg.shard {
        None => n,
        Some((i, k)) => n / k + u64::from(i < n % k),
    }
}

/// Executions (and cut-short ones) below which a depth-first search is not split: it runs
/// whole, in one worker, first; only a search that goes past them is split and started over.
pub const SMALL: u64 = 1_000;

/// `--strategy dfs`. A search of up to [`SMALL`] executions runs whole first (the result of
/// every process; with `--shard` shard 0 reports it, the others nothing); a larger one is
/// split into units ([`units`]), this shard's explored in parallel.
pub fn run_dfs(
    image: &Image,
    cfg: &ExploreConfig,
    tick: &(dyn Fn() + Sync),
) -> Result<Acc, String> {
    let local = image.local();
    let reference = reference_output(&local, cfg);
    let whole = vec![(
        0u64,
        Unit {
            prefix: None,
            live: true,
            weight: 0,
        },
    )];
    let small = cfg.max_executions.min(SMALL);
    let (acc, capped) = run_units(
        image,
        &local,
        cfg,
        &whole,
        small,
        1,
        reference.as_deref(),
        &|| (),
    )?;
    if !capped || small == cfg.max_executions {
        let tick_all = || {
            for _ in 0..acc.executions {
                tick();
            }
        };
        return Ok(match cfg.shard {
            Some((i, _)) if i > 0 => Acc::default(),
            _ => {
                tick_all();
                acc
            }
        });
    }
    let all = units(&local, cfg);
    let owner = shard_of(&all, cfg.shard.map_or(1, |s| s.1));
    let mine: Vec<(u64, Unit)> = all
        .into_iter()
        .enumerate()
        .filter(|(i, _)| cfg.shard.is_none_or(|s| owner[*i] == s.0))
        .map(|(i, u)| (i as u64, u))
        .collect();
    let budget = shard_budget(cfg, cfg.max_executions);
    let (acc, _) = run_units(
        image,
        &local,
        cfg,
        &mine,
        budget,
        cfg.jobs,
        reference.as_deref(),
        tick,
    )?;
    Ok(acc)
}

/// Explores `units` bound by bound (the preemption bounds 0, 1, … up to `--preemption-bound`,
/// one unbounded pass without it; a unit goes on to the next bound only while its pass left
/// something out because of the bound), on `jobs` workers, folded in the units' order, within
/// `budget` executions. True when the budget stopped it.
#[allow(clippy::too_many_arguments)]
fn run_units(
    image: &Image,
    local: &LocalImage,
    cfg: &ExploreConfig,
    mine: &[(u64, Unit)],
    budget: u64,
    jobs: usize,
    reference: Option<&[u8]>,
    tick: &(dyn Fn() + Sync),
) -> Result<(Acc, bool), String> {
    let bounds: Vec<Option<u32>> = match cfg.preemption_bound {
        None => vec![None],
        Some(k) => (0..=k).map(Some).collect(),
    };
    let mut left = budget;
    let mut total = Acc::default();
    let mut stopped = false;
    // Whether each unit's latest pass left something out because of the bound.
    let mut hit = vec![false; mine.len()];
    let mut active: Vec<usize> = (0..mine.len()).collect();
    'passes: for (bi, &bound) in bounds.iter().enumerate() {
        let mut run = Vec::new();
        for &u in &active {
            if bound.is_some_and(|k| mine[u].1.preemptions() > k) {
                // This unit starts with more preemptions than the bound allows.
                hit[u] = true;
            } else {
                run.push(u);
            }
        }
        let dfs_of = |u: usize| {
            let mut d = Dfs::new(bound, true, MAX_NODES);
            if let Some(p) = &mine[u].1.prefix {
                d = d.with_prefix(p.clone());
            }
            d
        };
        let at = |u: usize| [bi as u64, mine[u].0];
        let progress: Vec<AtomicU64> = run.iter().map(|_| AtomicU64::new(0)).collect();
        let failed = AtomicUsize::new(usize::MAX);
        let budget = left;
        let spec = run_workers(image, jobs, run.len(), &|local, k| {
            if cfg.first && failed.load(Ordering::Relaxed) < k {
                return None;
            }
            // What the units before this one leave at most: they have run at least this much.
            let cap = || {
                let before: u64 = progress[..k]
                    .iter()
                    .map(|p| p.load(Ordering::Relaxed))
                    .sum();
                budget.saturating_sub(before)
            };
            if cap() == 0 {
                return None;
            }
            let r = explore_subtree(
                local,
                cfg,
                dfs_of(run[k]),
                &cap,
                Some(&progress[k]),
                &at(run[k]),
                reference,
                tick,
            );
            if cfg.first && r.0.first.is_some() {
                failed.fetch_min(k, Ordering::Relaxed);
            }
            Some(r)
        })?;
        let mut still = Vec::new();
        for (&u, s) in run.iter().zip(spec) {
            if left == 0 {
                total.budget = true;
                stopped = true;
                break 'passes;
            }
            let (mut r, capped) = match s.flatten() {
                Some((r, capped))
                    if (capped && r.executions == left) || (!capped && r.executions < left) =>
                {
                    (r, capped)
                }
                other => {
                    // Ran further than the units before it left (or not at all), or ended
                    // at exactly that count, where the budget may have stopped it before
                    // the executions cut short that followed: again, with exactly that.
                    // The progress bar counted the speculative run's executions already:
                    // the run again only adds what it ran beyond them.
                    let fixed = left;
                    let counted = other.map_or(0, |(r, _)| r.executions);
                    let again = explore_subtree(
                        local,
                        cfg,
                        dfs_of(u),
                        &|| fixed,
                        None,
                        &at(u),
                        reference,
                        &|| (),
                    );
                    for _ in counted..again.0.executions {
                        tick();
                    }
                    again
                }
            };
            left -= r.executions.min(left);
            hit[u] = r.bound_hit;
            r.bound_hit = false;
            let first = cfg.first && r.first.is_some();
            total.fold(r);
            if first || capped {
                total.budget = true;
                stopped = capped;
                break 'passes;
            }
            if hit[u] {
                still.push(u);
            }
        }
        // Units skipped by this bound stay, in order.
        active.retain(|u| still.contains(u) || !run.contains(u));
        if active.is_empty() {
            break;
        }
    }
    total.bound_hit = hit.iter().any(|h| *h);
    Ok((total, stopped))
}
