//! `threading.Semaphore` and `BoundedSemaphore`: permits, blocking and timed acquires,
//! `release(n)`, over-release errors, and the cap on concurrency under every seed.

mod common;
use common::*;

#[test]
fn permits_count_down_and_up() {
    check(
        "import threading\n\
         s = threading.Semaphore(2)\n\
         print(s.acquire(), s.acquire(), s.acquire(False), s.acquire(timeout=0.1))\n\
         s.release(2)\n\
         print(s.acquire(blocking=False), s.acquire(False), s.acquire(False))\n\
         s.release()\n\
         with s:\n    pass\n\
         b = threading.BoundedSemaphore(3)\n\
         print(b.acquire(), b.acquire(), b.acquire(), b.acquire(False))\n",
        "True True False False\nTrue True False\nTrue True True False\n",
    );
}

#[test]
fn reprs_are_pythons() {
    let out = run("import threading\n\
        s = threading.Semaphore(3)\n\
        s.acquire()\n\
        print(repr(s))\n\
        print(repr(threading.BoundedSemaphore(2)))\n");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("<threading.Semaphore at 0x"), "{out}");
    assert!(lines[0].ends_with(": value=2>"), "{out}");
    assert!(
        lines[1].starts_with("<threading.BoundedSemaphore at 0x"),
        "{out}"
    );
    assert!(lines[1].ends_with(": value=2/2>"), "{out}");
}

#[test]
fn errors_and_messages_are_pythons() {
    check(
        "import threading\n\
         def t(f):\n    try:\n        print('ok', f())\n    except Exception as e:\n        print(repr(e))\n\
         t(lambda: threading.Semaphore(-1))\n\
         t(lambda: threading.BoundedSemaphore(1).release())\n\
         t(lambda: threading.Semaphore(1).release(0))\n\
         t(lambda: threading.Semaphore(1).acquire(False, 1))\n\
         t(lambda: threading.Semaphore(0).acquire(timeout=-1))\n\
         t(lambda: threading.Semaphore(value=3).release(2))\n\
         t(lambda: threading.Semaphore().acquire(1, 2, 3))\n",
        "ValueError('semaphore initial value must be >= 0')\n\
         ValueError('Semaphore released too many times')\n\
         ValueError('n must be one or more')\n\
         ValueError(\"can't specify timeout for non-blocking acquire\")\n\
         ok False\n\
         ok None\n\
         TypeError('Semaphore.acquire() takes from 1 to 3 positional arguments but 4 were given')\n",
    );
}

#[test]
fn release_n_wakes_n_waiters() {
    check(
        "import threading, time\n\
         s = threading.Semaphore(0)\n\
         got = [0]\n\
         lock = threading.Lock()\n\
         def w():\n    s.acquire()\n    with lock:\n        got[0] += 1\n\
         ts = [threading.Thread(target=w) for _ in range(5)]\n\
         [t.start() for t in ts]\n\
         time.sleep(0.01)\n\
         s.release(3)\n\
         time.sleep(0.01)\n\
         print(got[0])\n\
         s.release(2)\n\
         [t.join() for t in ts]\n\
         print(got[0])\n",
        "3\n5\n",
    );
}

#[test]
fn timed_acquire_returns_false_after_the_timeout() {
    check(
        "import threading, time\n\
         s = threading.Semaphore(0)\n\
         t0 = time.monotonic()\n\
         print(s.acquire(timeout=1.5), round(time.monotonic() - t0, 3))\n",
        "False 1.5\n",
    );
}

#[test]
fn peak_never_exceeds_the_permits_under_every_seed() {
    check_all_seeds(
        "import threading\n\
         s = threading.BoundedSemaphore(2)\n\
         active = 0\n\
         peak = 0\n\
         lock = threading.Lock()\n\
         def w():\n    global active, peak\n    for _ in range(3):\n        with s:\n            with lock:\n                active += 1\n                peak = max(peak, active)\n            with lock:\n                active -= 1\n\
         ts = [threading.Thread(target=w) for _ in range(4)]\n\
         [t.start() for t in ts]\n\
         [t.join() for t in ts]\n\
         print(peak <= 2, active)\n",
        200,
        "True 0\n",
    );
}

#[test]
fn semaphore_program_prints_what_python_prints() {
    same_as_python(
        "import threading\n\
         s = threading.BoundedSemaphore(2)\n\
         print(s.acquire(), s.acquire(), s.acquire(False))\n\
         s.release(); s.release()\n\
         try:\n    s.release()\nexcept ValueError as e:\n    print(e)\n",
    );
}

#[test]
fn with_gives_the_permit_back_on_an_exception() {
    check(
        "import threading\n\
         s = threading.BoundedSemaphore(1)\n\
         try:\n    with s:\n        raise KeyError('k')\nexcept KeyError:\n    pass\n\
         print(s.acquire(False))\n",
        "True\n",
    );
}
