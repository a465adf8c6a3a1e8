//! The deadlock report: exit status 4, well under a second, naming each blocked thread, the
//! line it is blocked on, what it waits for, who holds it and since which line; the cycle when
//! there is one, a plain statement when there is none, and the seed and replay command.

mod common;
use common::*;

const TWO_LOCKS: &str = "import threading, time\n\
a = threading.Lock()\n\
b = threading.Lock()\n\
def one():\n    with a:\n        time.sleep(0.01)\n        with b:\n            pass\n\
def two():\n    with b:\n        time.sleep(0.01)\n        with a:\n            pass\n\
t1 = threading.Thread(target=one)\n\
t2 = threading.Thread(target=two)\n\
t1.start(); t2.start()\n\
t1.join(); t2.join()\n";

fn deadlocks(source: &str, needles: &[&str]) -> Out {
    let out = check_stderr(source, 4, needles);
    assert!(
        out.elapsed.as_millis() < 1000,
        "a deadlock must end fast, took {:?}",
        out.elapsed
    );
    assert!(
        out.stderr
            .contains("gilvm: deadlock: no thread can run, and none is asleep"),
        "{out}"
    );
    assert!(
        out.stderr.contains("gilvm: seed 1"),
        "the seed is printed\n{out}"
    );
    assert!(
        out.stderr.contains("--seed 1"),
        "the replay command is printed\n{out}"
    );
    out
}

#[test]
fn two_lock_ordering_deadlock_names_the_cycle() {
    deadlocks(
        TWO_LOCKS,
        &[
            "Thread-1 (one) is blocked at line 7 in one: with b:",
            ".toy:3), held by Thread-2 (two) since line 10",
            "Thread-2 (two) is blocked at line 12 in two: with a:",
            ".toy:2), held by Thread-1 (one) since line 5",
            "MainThread is blocked at line 17 in <module>: t1.join(); t2.join()",
            "waiting for thread Thread-1 (one) to finish (join)",
            "cycle: Thread-1 (one) -> Thread-2 (two) -> Thread-1 (one)",
            "different orders",
        ],
    );
}

#[test]
fn every_seed_of_the_two_lock_program_deadlocks_and_the_same_way() {
    let path = write_program(TWO_LOCKS);
    for seed in 0..20 {
        let a = run_file(&path, seed, &[]);
        let b = run_file(&path, seed, &[]);
        assert_eq!(a.code, 4, "seed {seed}\n{a}");
        assert_eq!(a.stderr, b.stderr, "seed {seed}: same seed, same report");
    }
}

#[test]
fn a_plain_lock_taken_twice_by_its_owner_suggests_an_rlock() {
    deadlocks(
        "import threading\n\
         lock = threading.Lock()\n\
         with lock:\n    with lock:\n        pass\n",
        &[
            "MainThread is blocked at line 4 in <module>: with lock:",
            "Lock lock (created at",
            "held by MainThread since line 3",
            "cycle: MainThread waits for the Lock lock it already holds (taken at line 3)",
            "an RLock would let its owner take it again",
        ],
    );
}

#[test]
fn join_on_a_thread_stuck_on_an_empty_queue_has_no_cycle() {
    deadlocks(
        "import threading, queue\n\
         q = queue.Queue()\n\
         def consumer():\n    q.get()\n\
         t = threading.Thread(target=consumer, name='consumer')\n\
         t.start()\n\
         t.join()\n",
        &[
            "MainThread is blocked at line 7 in <module>: t.join()",
            "waiting for thread consumer to finish (join)",
            "consumer is blocked at line 4 in consumer: q.get()",
            "an item from Queue q (created at",
            "(empty)",
            "no cycle:",
            "consumer waits for a put()",
        ],
    );
}

#[test]
fn every_kind_of_wait_is_described() {
    deadlocks(
        "import threading, queue\n\
         c = threading.Condition()\n\
         e = threading.Event()\n\
         s = threading.Semaphore(1)\n\
         b = threading.Barrier(3)\n\
         full = queue.Queue(1)\n\
         full.put(0)\n\
         r = threading.RLock()\n\
         def cond():\n    with c:\n        c.wait()\n\
         def event():\n    e.wait()\n\
         def sem():\n    s.acquire()\n    s.acquire()\n\
         def barrier():\n    b.wait()\n\
         def putter():\n    full.put(1)\n\
         def rlock():\n    r.acquire()\n\
         def joiner():\n    full.join()\n\
         r.acquire(); r.acquire()\n\
         ts = [threading.Thread(target=f) for f in (cond, event, sem, barrier, putter, rlock, joiner)]\n\
         for t in ts:\n    t.start()\n\
         for t in ts:\n    t.join()\n",
        &[
            "waiting for a notify() on Condition c (created at",
            "waiting for Event e (created at",
            "to be set",
            "waiting for Semaphore s (created at",
            "(value 0), permits held by Thread-3 (sem) since line 15",
            "cycle: Thread-3 (sem) waits for the Semaphore s it already holds",
            "waiting for Barrier b (created at",
            "(1 of 3 parties arrived)",
            "waiting for room in Queue full (created at",
            "(full: maxsize 1)",
            "waiting for RLock r (created at",
            "held by MainThread (2 times) since line 25",
            "to have all its tasks done (join; 1 unfinished)",
        ],
    );
}

#[test]
fn a_waiter_notified_but_unable_to_retake_the_lock_says_so() {
    deadlocks(
        "import threading, time\n\
         c = threading.Condition()\n\
         def w():\n    with c:\n        c.wait()\n\
         t = threading.Thread(target=w)\n\
         t.start()\n\
         time.sleep(0.01)\n\
         c.acquire()\n\
         c.notify()\n\
         t.join()\n",
        &[
            "Thread-1 (w) is blocked at line 5 in w: c.wait()",
            "(to take it back after Condition.wait), held by MainThread since line 9",
            "cycle: MainThread -> Thread-1 (w) -> MainThread",
        ],
    );
}

#[test]
fn a_lock_left_held_by_a_thread_that_died_is_named() {
    deadlocks(
        "import threading\n\
         lock = threading.Lock()\n\
         def careless():\n    lock.acquire()\n    raise ValueError('oops')\n\
         t = threading.Thread(target=careless)\n\
         t.start()\n\
         t.join()\n\
         with lock:\n    pass\n",
        &[
            "ValueError: oops",
            "MainThread is blocked at line 9 in <module>: with lock:",
            "held by Thread-1 (careless) since line 4 (it ended without releasing it)",
            "no cycle:",
            "MainThread waits for a release()",
        ],
    );
}

#[test]
fn a_wait_for_that_is_never_satisfied_points_at_the_program_line() {
    deadlocks(
        "import threading\n\
         c = threading.Condition()\n\
         items = []\n\
         with c:\n    c.wait_for(lambda: len(items) > 0)\n",
        &[
            "MainThread is blocked at line 5 in <module>: c.wait_for(lambda: len(items) > 0)",
            "waiting for a notify() on Condition c (created at",
            "MainThread waits for a notify()",
        ],
    );
}

#[test]
fn a_quiet_run_still_says_how_to_replay_a_deadlock() {
    let path = write_program(TWO_LOCKS);
    let out = run_file(&path, 3, &["-q"]);
    assert_eq!(out.code, 4, "{out}");
    assert!(out.stderr.contains("cycle:"), "{out}");
    let last = out.stderr.lines().last().unwrap_or("");
    assert!(
        last.starts_with("gilvm: replay: gilvm run ") && last.contains("--seed 3"),
        "{out}"
    );
    assert!(
        !out.stderr.contains("lost updates"),
        "no summary with -q\n{out}"
    );
}
