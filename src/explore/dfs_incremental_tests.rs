//! The incremental race analysis ([`Dfs::analyse`] from the branching point on) explores
//! exactly what analysing every execution whole does; the footprints an execution keeps for
//! the steps it replays ([`Dfs::fp_valid`]) are those recording them again gives.

use super::Dfs;
use crate::explore::exec::execute;
use crate::vm::gil::GilModel;

/// Every execution of a depth-first exploration (at most `cap`), with the backtrack sets the
/// analysis left at each node and each node's footprint; `whole` analyses every execution
/// from its first step, `fresh` records every step's footprint again (none kept).
fn exploration(
    source: &str,
    model: GilModel,
    bound: Option<u32>,
    whole: bool,
    fresh: bool,
) -> Vec<String> {
    let program = crate::compile_source("t.toy", source).expect("compiles");
    let image = crate::run::image(&program).expect("links");
    let local = image.local();
    let config = crate::run::run_config(model, 0, 200_000, 0);
    let mut d = Dfs::new(bound, true, crate::explore::MAX_NODES);
    let mut out = Vec::new();
    loop {
        d.begin();
        if fresh {
            d.fp_valid = 0;
        }
        let (e, back) = execute(&local, config.clone(), Some(d));
        d = back.expect("the explorer comes back");
        if whole {
            d.analysed = 0;
        }
        d.analyse();
        let nodes: Vec<String> = d
            .nodes
            .iter()
            .map(|n| format!("{}:{:?}:{:?}", n.chosen, n.backtrack, n.fp))
            .collect();
        out.push(format!(
            "{:?} {} {} {:?} {}",
            String::from_utf8_lossy(&e.stdout),
            e.exit,
            e.abandoned,
            nodes,
            d.bound_hit
        ));
        if out.len() >= 3_000 || !d.advance() {
            return out;
        }
    }
}

const PROGRAMS: &[&str] = &[
    "import threading\ncounter = 0\ndef work():\n    global counter\n    for _ in range(3):\n        counter += 1\nts = [threading.Thread(target=work) for _ in range(2)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(counter)\n",
    "import threading\nx = 0\ny = 0\ndef a():\n    global x, y\n    x = 1\n    y = y + x\ndef b():\n    global x, y\n    y = 2\n    x = x + y\ndef c():\n    global x\n    x = x * 3\nts = [threading.Thread(target=f) for f in (a, b, c)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(x, y)\n",
    "import threading\nlock = threading.Lock()\ncv = threading.Condition(lock)\nitems = []\ndef put(v):\n    with cv:\n        items.append(v)\n        cv.notify()\ndef take():\n    with cv:\n        while len(items) < 2:\n            cv.wait()\n        print(sorted(items))\nts = [threading.Thread(target=take)] + [threading.Thread(target=put, args=(v,)) for v in (1, 2)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\n",
];

#[test]
fn incremental_analysis_explores_what_the_whole_analysis_does() {
    for (i, source) in PROGRAMS.iter().enumerate() {
        for (model, bound) in [
            (GilModel::Any, None),
            (GilModel::Any, Some(1)),
            (GilModel::Py311, None),
        ] {
            let inc = exploration(source, model, bound, false, false);
            let whole = exploration(source, model, bound, true, false);
            assert!(inc.len() > 2, "program {i} under {model:?} explores");
            assert_eq!(inc, whole, "program {i} under {model:?} bound {bound:?}");
        }
    }
}

#[test]
fn replayed_steps_keep_the_footprints_recording_them_again_gives() {
    for (i, source) in PROGRAMS.iter().enumerate() {
        for (model, bound) in [(GilModel::Any, None), (GilModel::Py311, Some(1))] {
            let kept = exploration(source, model, bound, false, false);
            let fresh = exploration(source, model, bound, false, true);
            assert!(kept.len() > 2, "program {i} under {model:?} explores");
            assert_eq!(kept, fresh, "program {i} under {model:?} bound {bound:?}");
        }
    }
}
