//! `threading.Barrier`: arrival indices, the action run once per generation before anyone goes
//! on, timeouts, abort and reset breaking the wait with BrokenBarrierError, and generations that
//! never mix under every seed.

mod common;
use common::*;

#[test]
fn indices_are_distinct_and_the_action_runs_before_anyone_leaves() {
    check(
        "import threading\n\
         log = []\n\
         lock = threading.Lock()\n\
         def act():\n    log.append('action')\n\
         b = threading.Barrier(3, action=act)\n\
         got = []\n\
         def w():\n    i = b.wait()\n    with lock:\n        got.append(i)\n        log.append('left')\n\
         ts = [threading.Thread(target=w) for _ in range(3)]\n\
         [t.start() for t in ts]\n\
         [t.join() for t in ts]\n\
         print(sorted(got), log)\n\
         print(b.parties, b.n_waiting, b.broken)\n",
        "[0, 1, 2] ['action', 'left', 'left', 'left']\n3 0 False\n",
    );
}

#[test]
fn timeout_breaks_the_barrier_for_everyone_until_reset() {
    check(
        "import threading, time\n\
         b = threading.Barrier(3)\n\
         out = []\n\
         def w():\n    try:\n        b.wait()\n    except threading.BrokenBarrierError:\n        out.append('broken')\n\
         t = threading.Thread(target=w)\n\
         t.start()\n\
         time.sleep(0.01)\n\
         print(b.n_waiting)\n\
         t0 = time.monotonic()\n\
         try:\n    b.wait(timeout=0.5)\nexcept threading.BrokenBarrierError as e:\n    print(repr(e), round(time.monotonic() - t0, 3))\n\
         t.join()\n\
         print(out, b.broken, b.n_waiting)\n\
         try:\n    b.wait()\nexcept threading.BrokenBarrierError:\n    print('still broken')\n\
         b.reset()\n\
         print(b.broken)\n",
        "1\nBrokenBarrierError() 0.5\n['broken'] True 0\nstill broken\nFalse\n",
    );
}

#[test]
fn abort_and_reset_raise_in_the_waiters() {
    check(
        "import threading, time\n\
         b = threading.Barrier(2)\n\
         out = []\n\
         def w():\n    try:\n        b.wait()\n    except threading.BrokenBarrierError:\n        out.append('broken')\n\
         t = threading.Thread(target=w)\n\
         t.start(); time.sleep(0.01)\n\
         b.reset()\n\
         t.join()\n\
         print(out, b.broken)\n\
         t = threading.Thread(target=w)\n\
         t.start(); time.sleep(0.01)\n\
         b.abort()\n\
         t.join()\n\
         print(out, b.broken)\n",
        "['broken'] False\n['broken', 'broken'] True\n",
    );
}

#[test]
fn an_action_that_raises_breaks_the_barrier() {
    let out = run("import threading\n\
        def act():\n    raise ValueError('action failed')\n\
        b = threading.Barrier(2, action=act)\n\
        res = []\n\
        def w():\n    try:\n        b.wait()\n        res.append('passed')\n    except threading.BrokenBarrierError:\n        res.append('broken')\n    except ValueError as e:\n        res.append(str(e))\n\
        ts = [threading.Thread(target=w) for _ in range(2)]\n\
        [t.start() for t in ts]\n\
        [t.join() for t in ts]\n\
        print(sorted(res), b.broken)\n");
    assert_eq!(out.stdout, "['action failed', 'broken'] True\n", "{out}");
}

#[test]
fn generations_never_mix_under_every_seed() {
    check_all_seeds(
        "import threading\n\
         n = 3\n\
         rounds = 3\n\
         arrived = [0] * rounds\n\
         ok = [True]\n\
         lock = threading.Lock()\n\
         b = threading.Barrier(n)\n\
         def w():\n    for r in range(rounds):\n        with lock:\n            arrived[r] += 1\n            if r > 0 and arrived[r - 1] != n:\n                ok[0] = False\n        b.wait()\n\
         ts = [threading.Thread(target=w) for _ in range(n)]\n\
         [t.start() for t in ts]\n\
         [t.join() for t in ts]\n\
         print(arrived, ok[0])\n",
        200,
        "[3, 3, 3] True\n",
    );
}

#[test]
fn barrier_program_prints_what_python_prints() {
    same_as_python(
        "import threading\n\
         b = threading.Barrier(2, timeout=5)\n\
         t = threading.Thread(target=b.wait)\n\
         t.start()\n\
         print(b.wait() in (0, 1), b.parties)\n\
         t.join()\n\
         b.abort()\n\
         try:\n    b.wait()\nexcept threading.BrokenBarrierError as e:\n    print('broken', repr(e))\n",
    );
}
