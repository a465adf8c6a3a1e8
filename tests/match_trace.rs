//! `match` statements in threaded programs: a traced run is the same run as `gilvm run`, the
//! lost-update detector sees the updates lost in a case body and the trace explains them next
//! to the `MATCH_*` instructions, the py311 model loses none (as CPython 3.11, which prints
//! 200 for this program), values read through class and mapping patterns count as reads for
//! the detector, and the step footprint counts what a class pattern reads.

use std::process::{Command, Output};

use gilvm::vm::driver::{Ending, Turn};
use gilvm::vm::gil::GilModel;
use gilvm::vm::machine::Vm;
use gilvm::vm::observe::{FootprintObserver, Loc};

mod common;

const RACE: &str = "tests/trace/match_race.toy";

fn gilvm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("gilvm runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_traced_run_with_match_is_the_same_run() {
    for seed in ["1", "2", "3"] {
        for (gil, si) in [("any", "5"), ("py311", "50ns"), ("py27", "5")] {
            let common = ["--seed", seed, "--gil", gil, "--switch-interval", si];
            let run = gilvm(&[&["run", RACE][..], &common].concat());
            let trace = gilvm(&[&["trace", RACE][..], &common, &["-o", "/dev/null"]].concat());
            let what = format!("--seed {seed} --gil {gil}");
            assert_eq!(text(&run.stdout), text(&trace.stdout), "stdout, {what}");
            assert_eq!(text(&run.stderr), text(&trace.stderr), "stderr, {what}");
            assert_eq!(run.status.code(), trace.status.code(), "status, {what}");
        }
    }
}

#[test]
fn updates_lost_in_a_case_body_are_reported_and_explained() {
    let run = gilvm(&["run", RACE, "--seed", "2", "--switch-interval", "5"]);
    let (out, err) = (text(&run.stdout), text(&run.stderr));
    assert_eq!(run.status.code(), Some(0), "{err}");
    assert_ne!(out, "200\n", "the race loses updates with this seed");
    assert!(
        err.contains("lost updates: total 12 (in 12 stores)"),
        "{err}"
    );

    let trace = gilvm(&[
        "trace",
        RACE,
        "--seed",
        "2",
        "--switch-interval",
        "5",
        "--var",
        "total",
    ]);
    let shown = text(&trace.stdout);
    assert!(shown.contains("LOST UPDATE #1"), "{shown}");
    assert!(
        shown.contains("This run loses updates. The first one"),
        "{shown}"
    );
    // Without a filter every instruction is shown, the pattern matching ones included.
    let full = text(&gilvm(&["trace", RACE, "--seed", "2", "--switch-interval", "5"]).stdout);
    for op in [
        "MATCH_SEQUENCE",
        "GET_LEN",
        "UNPACK_SEQUENCE",
        "MATCH_MAPPING",
        "MATCH_KEYS",
        "MATCH_CLASS",
    ] {
        assert!(full.contains(op), "{op} missing from the trace");
    }
}

#[test]
fn the_py311_model_loses_no_update_in_a_case_body() {
    // No switch point between the load and the store of `total` under CPython 3.10+.
    for seed in ["1", "2", "3", "4"] {
        let run = gilvm(&["run", RACE, "--seed", seed, "--gil", "py311"]);
        assert_eq!(text(&run.stdout), "200\n", "seed {seed}");
        assert!(text(&run.stderr).contains("lost updates: none"));
    }
}

#[test]
fn a_class_pattern_reads_its_subject() {
    // The worker reads no object but through MATCH_CLASS (the class and the subject).
    let src = "import threading
class P:
    def __init__(self, x):
        self.x = x
shared = P(1)
def work():
    match shared:
        case P(x=1):
            pass
t = threading.Thread(target=work)
t.start()
t.join()
";
    let program = gilvm::compile_source("t.toy", src).expect("compiles");
    let image = gilvm::run::image(&program).expect("links");
    let cfg = gilvm::run::run_config(
        GilModel::Any,
        GilModel::Any.default_interval(),
        gilvm::vm::machine::DEFAULT_MAX_STEPS,
        0,
    );
    let mut vm = Vm::new(&image.local(), cfg, Box::new(common::Buf::default())).expect("fits");
    let (obs, footprint) = FootprintObserver::new();
    vm.tracer = Some(Box::new(obs));
    let mut err = Vec::new();
    let mut reads = Vec::new();
    loop {
        match vm.turn(&mut err) {
            Turn::Ran(r) if r.tid == 1 => reads.extend(footprint.borrow().reads.clone()),
            Turn::Ran(_) | Turn::Waited => {}
            Turn::Ended(e) => {
                assert_eq!(e, Ending::Normal);
                break;
            }
        }
    }
    let objects = reads.iter().filter(|l| matches!(l, Loc::Obj(_))).count();
    assert_eq!(objects, 2, "{reads:?}");
}

#[test]
fn reads_through_class_and_mapping_patterns_count_for_lost_updates() {
    // Each thread reads a value through a pattern and stores it back plus one: the detector
    // must count exactly the increments missing from what the program prints.
    for seed in ["1", "2", "3"] {
        let run = gilvm(&[
            "run",
            "tests/trace/match_attr_race.toy",
            "--seed",
            seed,
            "--switch-interval",
            "5",
        ]);
        let (out, err) = (text(&run.stdout), text(&run.stderr));
        let printed: Vec<u32> = out
            .split_whitespace()
            .map(|n| n.parse().expect("a number"))
            .collect();
        let [balance, deposits] = printed[..] else {
            panic!("{out}")
        };
        assert!(balance < 100 && deposits < 100, "seed {seed}: {out}");
        let expected = format!(
            "lost updates: acct.balance {0} (in {0} stores), \
             book['deposits'] {1} (in {1} stores)",
            100 - balance,
            100 - deposits
        );
        assert!(err.contains(&expected), "seed {seed}: {err}");
    }
}
