//! Property: a recorded run replays exactly. Generated thread programs — locks, re-entrant
//! locks, semaphores, conditions, events, queues, sleeps, timed waits, daemon threads cut off
//! at exit, crashing threads, `sys.setswitchinterval`, small `--max-steps` — run under all five
//! GIL models with `--record`, then replay from the recorded schedule, in-process: stdout, the
//! messages (the same text `gilvm` prints on stderr before its summary), the ending and the
//! run's counters must be identical.

use std::io::Write;

use gilvm::vm::driver::{Ending, Turn};
use gilvm::vm::gil::GilModel;
use gilvm::vm::machine::{RunConfig, Vm};
use gilvm::vm::scheduler::Plan;
use proptest::prelude::*;

mod common;

use common::Buf;

#[derive(Debug, PartialEq)]
struct Seen {
    stdout: String,
    stderr: String,
    ending: Ending,
    steps: u64,
    switches: u64,
    clock_ns: u64,
    lost: Vec<i64>,
}

fn run(image: &gilvm::vm::prelude::Image, cfg: RunConfig) -> (Seen, Option<Plan>) {
    let out = Buf::default();
    let mut vm = Vm::new(&image.local(), cfg, Box::new(out.clone())).expect("fits");
    let mut err = Vec::new();
    let ending = vm.run(&mut err);
    let plan = vm.schedule().map(Plan::from_entries);
    (seen(&mut vm, &out, &err, ending), plan)
}

/// What a user sees of a finished run.
fn seen(vm: &mut Vm, out: &Buf, err: &[u8], ending: Ending) -> Seen {
    let _ = vm.rt.stdout.flush();
    let stdout = String::from_utf8_lossy(&out.0.borrow()).into_owned();
    Seen {
        stdout,
        stderr: String::from_utf8_lossy(err).into_owned(),
        ending,
        steps: vm.steps,
        switches: vm.switches,
        clock_ns: vm.clock_ns,
        lost: vm.lost.values().map(|t| t.erased).collect(),
    }
}

/// The same run driven one turn at a time through `Vm::turn`, as an explorer or a stepper
/// drives it: `Vm::run` alone chains a lone thread's turns inside one slice (issue 21,
/// `Vm::chain_turn`), so this is the run without that shortcut.
fn run_turns(image: &gilvm::vm::prelude::Image, cfg: RunConfig) -> Seen {
    let out = Buf::default();
    let mut vm = Vm::new(&image.local(), cfg, Box::new(out.clone())).expect("fits");
    let mut err = Vec::new();
    let ending = loop {
        if let Turn::Ended(e) = vm.turn(&mut err) {
            break e;
        }
    };
    seen(&mut vm, &out, &err, ending)
}

/// One statement of a worker's loop body (at 8 spaces of indentation; `n` is the worker's
/// number, `i` the iteration).
const BODY: &[&str] = &[
    "counter += 1",
    "with lock:\n            counter += 1",
    "items.append(n)",
    "with sem:\n            items.append(i)",
    "time.sleep(0.0001)",
    "q.put(i)",
    "q.get(timeout=0.001)",
    "ev.set()",
    "ev.wait(0.0005)",
    "with cond:\n            cond.notify()",
    "with cond:\n            cond.wait(0.0005)",
    "if lock.acquire(timeout=0.0002):\n            lock.release()",
    "with rlock:\n            with rlock:\n                counter -= 1",
    "x = counter\n        counter = x + 1",
    "if i % 7 == n:\n            raise ValueError(i)",
    "if len(items) > 3:\n            items.pop()",
    "with lock:\n            with sem:\n                counter += 2",
];

/// One action of the main thread after it started the workers (at 0 indentation).
const MAIN: &[&str] = &[
    "ev.set()",
    "time.sleep(0.0003)",
    "counter += 10",
    "with cond:\n    cond.notify_all()",
    "q.put(-1)",
    "sys.setswitchinterval(0.0001)",
];

#[derive(Clone, Debug)]
struct Gen {
    threads: usize,
    iterations: usize,
    body: Vec<usize>,
    main: Vec<usize>,
    daemon: bool,
    join_timeout: bool,
    seed: u64,
    max_steps: Option<u64>,
}

impl Gen {
    fn source(&self) -> String {
        let mut s = String::from(
            "import threading, queue, time, sys\n\
             lock = threading.Lock()\n\
             rlock = threading.RLock()\n\
             sem = threading.Semaphore(2)\n\
             cond = threading.Condition()\n\
             ev = threading.Event()\n\
             q = queue.Queue(maxsize=3)\n\
             counter = 0\n\
             items = []\n\
             def worker(n):\n    global counter\n",
        );
        s.push_str(&format!("    for i in range({}):\n", self.iterations));
        for &b in &self.body {
            s.push_str("        ");
            s.push_str(BODY[b]);
            s.push('\n');
        }
        s.push_str(&format!(
            "threads = [threading.Thread(target=worker, args=(n,), daemon={}) for n in range({})]\n\
             for t in threads:\n    t.start()\n",
            if self.daemon { "True" } else { "False" },
            self.threads
        ));
        for &m in &self.main {
            s.push_str(MAIN[m]);
            s.push('\n');
        }
        let timeout = if self.join_timeout { "0.002" } else { "" };
        if !self.daemon || self.join_timeout {
            s.push_str(&format!("for t in threads:\n    t.join({timeout})\n"));
        }
        s.push_str("print(counter, len(items), q.qsize(), ev.is_set())\n");
        s
    }
}

fn gen() -> impl Strategy<Value = Gen> {
    (
        1usize..=4,
        1usize..=25,
        prop::collection::vec(0..BODY.len(), 1..=4),
        prop::collection::vec(0..MAIN.len(), 0..=2),
        any::<bool>(),
        any::<bool>(),
        0u64..1000,
        prop::option::weighted(0.2, 200u64..20_000),
    )
        .prop_map(
            |(threads, iterations, body, main, daemon, join_timeout, seed, max_steps)| Gen {
                threads,
                iterations,
                body,
                main,
                daemon,
                join_timeout,
                seed,
                max_steps,
            },
        )
}

fn check(g: &Gen) -> Result<(), TestCaseError> {
    let src = g.source();
    let program = gilvm::compile_source("gen.toy", &src).expect("generated programs compile");
    let image = gilvm::run::image(&program).expect("links");
    for model in GilModel::ALL {
        let mut cfg = gilvm::run::run_config(
            model,
            model.default_interval(),
            g.max_steps.unwrap_or(gilvm::vm::machine::DEFAULT_MAX_STEPS),
            g.seed,
        );
        // Short intervals make the time models switch inside these small programs.
        if model.has_switch_points() {
            cfg.switch_interval = 20_000;
        }
        cfg.record = true;
        let (first, plan) = run(&image, cfg.clone());
        cfg.record = false;
        cfg.plan = plan;
        let (again, _) = run(&image, cfg);
        prop_assert_eq!(&first, &again, "{:?}\n{}", model, src);
    }
    Ok(())
}

/// `Vm::run` (which chains a lone thread's turns) and the same run one turn at a time agree
/// on everything a user sees, under every model.
fn check_chained(
    name: &str,
    src: &str,
    seed: u64,
    max_steps: Option<u64>,
) -> Result<(), TestCaseError> {
    let program = gilvm::compile_source(name, src).expect("compiles");
    let image = gilvm::run::image(&program).expect("links");
    for model in GilModel::ALL {
        let cfg = gilvm::run::run_config(
            model,
            model.default_interval(),
            max_steps.unwrap_or(gilvm::vm::machine::DEFAULT_MAX_STEPS),
            seed,
        );
        let (chained, _) = run(&image, cfg.clone());
        let turns = run_turns(&image, cfg);
        prop_assert_eq!(&chained, &turns, "{:?} seed {}\n{}", model, seed, src);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn a_recorded_run_replays_exactly(g in gen()) {
        check(&g)?;
    }

    #[test]
    fn a_run_equals_its_turns_one_at_a_time(g in gen()) {
        check_chained("gen.toy", &g.source(), g.seed, g.max_steps)?;
    }
}

/// Programs whose main thread runs alone for long stretches, where `Vm::run` chains turns:
/// alone before starting threads and after joining them, a thread left alone after the main
/// thread ends (daemon or not), timers, an exception, garbage collection, the step limit
/// falling inside a chain.
#[test]
fn lone_thread_turns_chained_as_the_driver_would_run_them() {
    const PROGRAMS: &[&str] = &[
        "t = 0\nfor i in range(3000):\n    t += i % 7\n    if i % 500 == 0:\n        print(i, t)\nprint(t)\n",
        "import threading\ncounter = 0\ndef work():\n    global counter\n    for _ in range(400):\n        counter += 1\nx = 0\nfor i in range(2000):\n    x += i\nts = [threading.Thread(target=work) for _ in range(3)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nfor i in range(2000):\n    x -= i\nprint(counter, x)\n",
        "import threading, time\ndef tail(n):\n    s = 0\n    for i in range(n):\n        s += i\n    print('tail', s)\nthreading.Thread(target=tail, args=(3000,)).start()\nd = threading.Thread(target=tail, args=(5000,), daemon=True)\nd.start()\nprint('main done')\n",
        "import time\nt = 0\nfor i in range(600):\n    t += i\n    if i % 200 == 0:\n        time.sleep(0.001)\nprint(t)\n",
        "def f(n):\n    if n == 0:\n        raise ValueError('deep')\n    return f(n - 1)\nfor i in range(300):\n    try:\n        f(i % 20)\n    except ValueError as e:\n        pass\nprint(f(5))\n",
        "class Node:\n    def __init__(self, v):\n        self.v = v\n        self.me = self\nt = 0\nfor i in range(5000):\n    t += Node(i).v\nprint(t)\n",
    ];
    for (k, src) in PROGRAMS.iter().enumerate() {
        for seed in [1, 2, 3, 7, 42] {
            check_chained("lone.toy", src, seed, None).unwrap();
        }
        check_chained("lone.toy", src, 5, Some(1234 + k as u64 * 517)).unwrap();
    }
}

/// Cases the generator found once, kept as regressions.
#[test]
fn daemon_threads_cut_off_at_exit_replay() {
    check(&Gen {
        threads: 3,
        iterations: 25,
        body: vec![1, 4, 9],
        main: vec![1],
        daemon: true,
        join_timeout: false,
        seed: 5,
        max_steps: None,
    })
    .unwrap();
}
