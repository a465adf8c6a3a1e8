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

/// Every execution of a depth-first exploration (at most 3,000) in full: its outcome, its
/// turn log (turns, lines, waiter choices) and every node; with `ff`, replayed steps are
/// fast-forwarded ([`Dfs::fast_forward`]). Also the number of steps fast-forwarded.
fn exploration_in_full(
    source: &str,
    model: GilModel,
    bound: Option<u32>,
    ff: bool,
) -> (Vec<String>, u64) {
    let program = crate::compile_source("t.toy", source).expect("compiles");
    let image = crate::run::image(&program).expect("links");
    let local = image.local();
    let config = crate::run::run_config(model, 0, 200_000, 0);
    let mut d = Dfs::new(bound, true, crate::explore::MAX_NODES);
    d.fast_forward = ff;
    let mut out = Vec::new();
    loop {
        d.begin();
        let (e, back) = execute(&local, config.clone(), Some(d));
        d = back.expect("the explorer comes back");
        d.analyse();
        let nodes: Vec<String> = d
            .nodes
            .iter()
            .map(|n| {
                format!(
                    "{:?}/{:?}/{}/{:?}/{:?}/{:?}",
                    n.enabled, n.prev, n.chosen, n.backtrack, n.fp, n.wakes
                )
            })
            .collect();
        out.push(format!(
            "{:?} {:?} {} {:?} {} {} {} {} {:?} {:?} {:?} {:?} {}",
            String::from_utf8_lossy(&e.stdout),
            String::from_utf8_lossy(&e.stderr),
            e.exit,
            e.ending,
            e.steps,
            e.lost,
            e.lost_stores,
            e.abandoned,
            e.log.turns,
            e.log.lines,
            e.log.wakes,
            nodes,
            d.diverged
        ));
        if out.len() >= 3_000 || !d.advance() {
            return (out, d.fast_forwarded);
        }
    }
}

/// Programs with locks, conditions, timers, queues, daemon threads and a thread that dies:
/// what a fast-forwarded replay must run exactly as step mode does.
const SYNC_PROGRAMS: &[&str] = &[
    "import threading\nlock = threading.Lock()\nn = [0]\ndef work(k):\n    for i in range(2):\n        with lock:\n            n[0] = n[0] + k\n        s = 'x' * i\n        n.append(len(s))\nts = [threading.Thread(target=work, args=(k,)) for k in (1, 2, 3)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(n[0], len(n))\n",
    "import threading\nimport time\nx = 0\ndef a():\n    global x\n    time.sleep(0.00001)\n    x += 1\ndef b():\n    global x\n    for _ in range(3):\n        x += 1\nts = [threading.Thread(target=f) for f in (a, b)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(x)\n",
    "import threading\nimport queue\nq = queue.Queue()\nout = []\ndef prod():\n    for i in range(2):\n        q.put(i)\ndef cons():\n    for _ in range(2):\n        out.append(q.get())\nts = [threading.Thread(target=cons), threading.Thread(target=cons), threading.Thread(target=prod), threading.Thread(target=prod)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(sorted(out))\n",
    "import threading\nev = threading.Event()\nflag = [0]\ndef spin():\n    for _ in range(3):\n        flag[0] += 1\ndef w():\n    ev.wait()\n    flag[0] = -1\ndef bad():\n    flag[0] += 1\n    raise ValueError('no')\nd = threading.Thread(target=spin, daemon=True)\nts = [threading.Thread(target=w), threading.Thread(target=bad)]\nd.start()\nfor t in ts:\n    t.start()\nev.set()\nfor t in ts:\n    t.join()\nprint('done')\n",
];

/// Fast-forwarding the replayed steps of an execution (plain turns of their recorded
/// length) gives exactly the exploration that runs every step in step mode: the same
/// executions, turn logs, nodes and footprints; and it is used (a test that it happens).
#[test]
fn fast_forwarded_replays_explore_what_step_mode_does() {
    for (i, source) in PROGRAMS.iter().chain(SYNC_PROGRAMS).enumerate() {
        for (model, bound) in [
            (GilModel::Any, None),
            (GilModel::Any, Some(1)),
            (GilModel::Nogil, Some(2)),
            (GilModel::Py311, None),
        ] {
            let (fast, forwarded) = exploration_in_full(source, model, bound, true);
            let (slow, none) = exploration_in_full(source, model, bound, false);
            assert_eq!(none, 0);
            assert!(fast.len() > 2, "program {i} under {model:?} explores");
            assert_eq!(fast, slow, "program {i} under {model:?} bound {bound:?}");
            if model == GilModel::Py311 {
                // Steps end at py311's switch points, not before visible instructions.
                assert_eq!(forwarded, 0, "program {i} under py311");
            } else {
                assert!(
                    forwarded >= fast.len() as u64,
                    "program {i} under {model:?}: {forwarded} steps fast-forwarded in {} executions",
                    fast.len()
                );
            }
        }
    }
}
