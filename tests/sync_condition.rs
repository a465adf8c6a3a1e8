//! `threading.Condition`: wait releases the lock fully (an RLock's count too) and takes it back
//! before returning, timeouts, wait_for, notify(n)/notify_all, the errors without the lock, and
//! a bounded buffer that conserves its items under every seed.

mod common;
use common::*;

#[test]
fn waiting_or_notifying_without_the_lock_is_an_error() {
    check(
        "import threading\n\
         def t(f):\n    try:\n        print('ok', f())\n    except Exception as e:\n        print(repr(e))\n\
         c = threading.Condition()\n\
         t(lambda: c.wait())\n\
         t(lambda: c.notify())\n\
         t(lambda: c.notify_all())\n\
         t(lambda: c.wait_for(lambda: 7))\n\
         t(lambda: c.wait_for(lambda: 0))\n\
         t(lambda: threading.Condition(threading.Lock()).wait(1))\n",
        "RuntimeError('cannot wait on un-acquired lock')\n\
         RuntimeError('cannot notify on un-acquired lock')\n\
         RuntimeError('cannot notify on un-acquired lock')\n\
         ok 7\n\
         RuntimeError('cannot wait on un-acquired lock')\n\
         RuntimeError('cannot wait on un-acquired lock')\n",
    );
}

#[test]
fn timed_wait_returns_false_and_holds_the_lock_again() {
    check(
        "import threading, time\n\
         lock = threading.Lock()\n\
         c = threading.Condition(lock)\n\
         with c:\n    t0 = time.monotonic()\n    r = c.wait(0.5)\n    print(r, lock.locked(), round(time.monotonic() - t0, 3))\n    print(c.wait(0), c.wait(-1), lock.locked())\n\
         print(lock.locked())\n\
         with c:\n    print(c.wait_for(lambda: None, timeout=0.25), lock.locked())\n",
        "False True 0.5\nFalse False True\nFalse\nNone True\n",
    );
}

#[test]
fn wait_restores_an_rlock_recursion_count() {
    check(
        "import threading, time\n\
         r = threading.RLock()\n\
         c = threading.Condition(r)\n\
         def notifier():\n    with c:\n        c.notify()\n\
         r.acquire(); r.acquire(); r.acquire()\n\
         t = threading.Thread(target=notifier)\n\
         t.start()\n\
         print(c.wait())\n\
         r.release(); r.release(); r.release()\n\
         try:\n    r.release()\nexcept RuntimeError as e:\n    print(e)\n\
         t.join()\n",
        "True\ncannot release un-acquired lock\n",
    );
}

#[test]
fn notify_n_wakes_exactly_n_and_notify_all_the_rest() {
    check(
        "import threading, time\n\
         c = threading.Condition()\n\
         woken = [0]\n\
         def w():\n    with c:\n        c.wait()\n        woken[0] += 1\n\
         ts = [threading.Thread(target=w) for _ in range(5)]\n\
         [t.start() for t in ts]\n\
         time.sleep(0.01)\n\
         with c:\n    c.notify(2)\n\
         time.sleep(0.01)\n\
         print(woken[0])\n\
         with c:\n    c.notify(0)\n    c.notify()\n\
         time.sleep(0.01)\n\
         print(woken[0])\n\
         with c:\n    c.notify_all()\n\
         [t.join() for t in ts]\n\
         print(woken[0], repr(c)[:10])\n",
        "2\n3\n5 <Condition\n",
    );
}

#[test]
fn a_notified_waiter_returns_only_once_it_has_the_lock() {
    check(
        "import threading, time\n\
         c = threading.Condition()\n\
         log = []\n\
         def w():\n    with c:\n        c.wait()\n        log.append('waiter back')\n\
         t = threading.Thread(target=w)\n\
         t.start()\n\
         time.sleep(0.01)\n\
         with c:\n    c.notify()\n    time.sleep(0.01)\n    log.append('notifier still holds the lock')\n\
         t.join()\n\
         print(log)\n",
        "['notifier still holds the lock', 'waiter back']\n",
    );
}

#[test]
fn bounded_buffer_conserves_items_under_every_seed() {
    check_all_seeds(
        "import threading\n\
         buf = [None, None]\n\
         head = 0\n\
         count = 0\n\
         c = threading.Condition()\n\
         total = [0, 0]\n\
         def producer(base):\n    global count\n    for i in range(base, base + 6):\n        with c:\n            c.wait_for(lambda: count < 2)\n            buf[(head + count) % 2] = i\n            count += 1\n            c.notify_all()\n\
         def consumer():\n    global head, count\n    for _ in range(6):\n        with c:\n            while count == 0:\n                c.wait()\n            total[0] += buf[head]\n            total[1] += 1\n            head = (head + 1) % 2\n            count -= 1\n            c.notify_all()\n\
         ts = [threading.Thread(target=producer, args=(0,)), threading.Thread(target=producer, args=(10,)),\n      threading.Thread(target=consumer), threading.Thread(target=consumer)]\n\
         [t.start() for t in ts]\n\
         [t.join() for t in ts]\n\
         print(total, count)\n",
        200,
        "[90, 12] 0\n",
    );
}

#[test]
fn condition_program_prints_what_python_prints() {
    same_as_python(
        "import threading\n\
         c = threading.Condition()\n\
         ready = []\n\
         def setter():\n    with c:\n        ready[0:0] = [True]\n        c.notify_all()\n\
         t = threading.Thread(target=setter)\n\
         with c:\n    t.start()\n    print(c.wait_for(lambda: len(ready) > 0, timeout=5))\n\
         t.join()\n\
         try:\n    c.notify()\nexcept RuntimeError as e:\n    print(e)\n",
    );
}

#[test]
fn with_releases_the_condition_lock_on_an_exception() {
    check(
        "import threading\n\
         lock = threading.Lock()\n\
         c = threading.Condition(lock)\n\
         try:\n    with c:\n        raise ValueError('x')\nexcept ValueError:\n    pass\n\
         print(lock.locked(), c.acquire(False))\n",
        "False True\n",
    );
}
