//! `queue.Queue`, `LifoQueue`, `PriorityQueue`: item order, blocking and timed get/put,
//! `queue.Empty`/`queue.Full`, `task_done`/`join`, Python's errors, the seeded choice of the
//! getter that receives an item, and an exact sum through a queue under every seed.

mod common;
use common::*;

#[test]
fn fifo_lifo_and_priority_orders() {
    check(
        "import queue\n\
         for Q in (queue.Queue, queue.LifoQueue, queue.PriorityQueue):\n    q = Q()\n    for x in [3, 1, 4, 1, 5, 9, 2, 6]:\n        q.put(x)\n    print([q.get() for _ in range(q.qsize())], q.empty())\n\
         pq = queue.PriorityQueue()\n\
         for item in [(2, 'b'), (1, 'z'), (2, 'a'), (0, 'x')]:\n    pq.put(item)\n\
         print([pq.get_nowait() for _ in range(4)])\n",
        "[3, 1, 4, 1, 5, 9, 2, 6] True\n\
         [6, 2, 9, 5, 1, 4, 1, 3] True\n\
         [1, 1, 2, 3, 4, 5, 6, 9] True\n\
         [(0, 'x'), (1, 'z'), (2, 'a'), (2, 'b')]\n",
    );
}

#[test]
fn empty_full_and_timeouts() {
    check(
        "import queue, time\n\
         q = queue.Queue(2)\n\
         q.put(1); q.put_nowait(2)\n\
         print(q.full(), q.qsize(), q.maxsize)\n\
         for f in (lambda: q.put_nowait(3), lambda: q.put(3, False), lambda: q.put(3, timeout=0)):\n    try:\n        f()\n    except queue.Full as e:\n        print('Full', repr(e))\n\
         t0 = time.monotonic()\n\
         try:\n    q.put(3, timeout=0.5)\nexcept queue.Full:\n    print('Full after', round(time.monotonic() - t0, 3))\n\
         print(q.get(), q.get_nowait(), q.empty())\n\
         for f in (q.get_nowait, lambda: q.get(False), lambda: q.get(timeout=0)):\n    try:\n        f()\n    except queue.Empty as e:\n        print('Empty', repr(e))\n\
         t0 = time.monotonic()\n\
         try:\n    q.get(timeout=0.25)\nexcept queue.Empty:\n    print('Empty after', round(time.monotonic() - t0, 3))\n",
        "True 2 2\nFull Full()\nFull Full()\nFull Full()\nFull after 0.5\n1 2 True\n\
         Empty Empty()\nEmpty Empty()\nEmpty Empty()\nEmpty after 0.25\n",
    );
}

#[test]
fn errors_are_pythons() {
    check(
        "import queue\n\
         def t(f):\n    try:\n        print('ok', f())\n    except Exception as e:\n        print(repr(e))\n\
         q = queue.Queue()\n\
         t(lambda: q.task_done())\n\
         t(lambda: q.get(timeout=-1))\n\
         t(lambda: q.put(1, timeout=-1))\n\
         t(lambda: queue.Queue(1).put(1, timeout=-1))\n\
         t(lambda: q.qsize())\n\
         t(lambda: queue.Queue(-1).full())\n\
         pq = queue.PriorityQueue()\n\
         pq.put(1)\n\
         t(lambda: pq.put('a'))\n",
        "ValueError('task_done() called too many times')\n\
         ValueError(\"'timeout' must be a non-negative number\")\n\
         ok None\n\
         ValueError(\"'timeout' must be a non-negative number\")\n\
         ok 1\n\
         ok False\n\
         TypeError(\"'<' not supported between instances of 'str' and 'int'\")\n",
    );
}

#[test]
fn blocked_getters_and_putters_are_served() {
    check(
        "import threading, queue, time\n\
         q = queue.Queue(1)\n\
         got = []\n\
         def getter():\n    got.append(q.get())\n\
         t = threading.Thread(target=getter)\n\
         t.start()\n\
         time.sleep(0.01)\n\
         q.put('a')\n\
         t.join()\n\
         q.put('b')\n\
         def putter():\n    q.put('c')\n\
         t = threading.Thread(target=putter)\n\
         t.start()\n\
         time.sleep(0.01)\n\
         print(got, q.qsize(), t.is_alive())\n\
         print(q.get(), q.qsize())\n\
         t.join()\n\
         print(q.get(), q.empty())\n",
        "['a'] 1 True\nb 1\nc True\n",
    );
}

#[test]
fn join_waits_for_every_task_done() {
    check(
        "import threading, queue\n\
         q = queue.Queue()\n\
         done = []\n\
         def worker():\n    while True:\n        item = q.get()\n        if item is None:\n            q.task_done()\n            return\n        done.append(item)\n        q.task_done()\n\
         t = threading.Thread(target=worker)\n\
         t.start()\n\
         for i in range(5):\n    q.put(i)\n\
         q.put(None)\n\
         q.join()\n\
         print(done)\n\
         t.join()\n",
        "[0, 1, 2, 3, 4]\n",
    );
}

#[test]
fn which_getter_receives_an_item_is_a_seeded_choice() {
    let src = "import threading, queue, time\n\
        q = queue.Queue()\n\
        got = [None] * 3\n\
        def g(i):\n    got[i] = q.get()\n\
        ts = [threading.Thread(target=g, args=(i,)) for i in range(3)]\n\
        [t.start() for t in ts]\n\
        time.sleep(0.01)\n\
        for x in 'abc':\n    q.put(x)\n\
        [t.join() for t in ts]\n\
        print(got)\n";
    let path = write_program(src);
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..12 {
        let out = run_file(&path, seed, &[]);
        assert_eq!(out.code, 0, "{out}");
        seen.insert(out.stdout);
    }
    assert!(
        seen.len() > 2,
        "getters are always served in one order: {seen:?}"
    );
}

#[test]
fn producer_consumer_sum_is_exact_under_every_seed() {
    check_all_seeds(
        "import threading, queue\n\
         q = queue.Queue(2)\n\
         total = [0, 0]\n\
         def producer(base):\n    for i in range(base, base + 5):\n        q.put(i)\n\
         def consumer(me):\n    while True:\n        x = q.get()\n        if x is None:\n            return\n        total[me] += x\n\
         ps = [threading.Thread(target=producer, args=(b,)) for b in (0, 100)]\n\
         cs = [threading.Thread(target=consumer, args=(i,)) for i in range(2)]\n\
         [t.start() for t in ps + cs]\n\
         [t.join() for t in ps]\n\
         q.put(None); q.put(None)\n\
         [t.join() for t in cs]\n\
         print(total[0] + total[1])\n",
        200,
        "520\n",
    );
}

#[test]
fn queue_program_prints_what_python_prints() {
    same_as_python(
        "import queue\n\
         q = queue.LifoQueue(3)\n\
         for i in range(3):\n    q.put(i)\n\
         print(q.full(), q.qsize(), q.get(), q.get(), q.get(), q.empty())\n\
         try:\n    q.get_nowait()\nexcept queue.Empty:\n    print('empty')\n\
         pq = queue.PriorityQueue()\n\
         for x in [(5, 'e'), (1, 'a'), (3, 'c')]:\n    pq.put(x)\n\
         print(pq.get(), pq.get(), pq.get())\n",
    );
}
