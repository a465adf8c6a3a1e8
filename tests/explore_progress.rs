//! The progress bar of `gilvm explore` (its `tick` per execution, src/explore/split.rs): a
//! unit of the split search that is run again, because the units before it left it exactly
//! its count or less than it ran, is not counted twice.

mod common;

use gilvm::explore::{explore, ExploreArgs};
use std::sync::atomic::{AtomicU64, Ordering};

/// (executions reported, ticks counted) of a dfs exploration of `source`.
fn run(source: &str, max_executions: u64, jobs: u64) -> (u64, u64) {
    let program = gilvm::compile_source("prog.toy", source).expect("compiles");
    let image = gilvm::run::image(&program).expect("links");
    let cfg = ExploreArgs {
        file: "prog.toy".into(),
        strategy: "dfs".into(),
        gil: "any".into(),
        depth: 2,
        runs: 1,
        max_executions,
        max_steps: 100_000,
        until: vec!["exception".into()],
        jobs: Some(jobs),
        ..ExploreArgs::default()
    }
    .check()
    .expect("valid options");
    let ticks = AtomicU64::new(0);
    let report = explore(&image, source, &cfg, &|| {
        ticks.fetch_add(1, Ordering::Relaxed);
    })
    .expect("explores");
    (report.executions, ticks.load(Ordering::Relaxed))
}

#[test]
fn the_progress_bar_counts_each_execution_once() {
    let src = common::two_thread_counter(4);
    // Budgets that stop the split search at a unit's end (its units end at 1,021 and
    // 1,169 executions), inside a unit, and not at all (3,334 executions in all).
    for b in [1_021, 1_500, 100_000] {
        let (executions, ticks) = run(&src, b, 1);
        assert_eq!(ticks, executions, "--max-executions {b}, --jobs 1");
    }
    // With two workers a unit may run ahead of the budget (speculatively) and is then run
    // again with what was left: the executions it ran are counted, those it runs again
    // are not counted a second time, and none is missing.
    for b in [1_021, 2_000, 100_000] {
        let (executions, ticks) = run(&src, b, 2);
        assert!(
            ticks >= executions,
            "{ticks} ticks for {executions} executions"
        );
        if b == 100_000 {
            // The whole search: nothing is cut by the budget, nothing is run again.
            assert_eq!(ticks, executions);
        }
    }
}
