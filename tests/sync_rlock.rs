//! `threading.RLock`: reentrancy with a recursion count, release only by the owner, full
//! release before another thread gets it, and Python's errors.

mod common;
use common::*;

#[test]
fn owner_takes_it_again_and_the_count_shows_in_its_repr() {
    let out = run("import threading\n\
        r = threading.RLock()\n\
        print(r.acquire(), r.acquire(), r.acquire(blocking=False))\n\
        print(repr(r))\n\
        r.release(); r.release(); r.release()\n\
        print(repr(r))\n");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0], "True True True");
    assert!(
        lines[1].starts_with("<locked _thread.RLock object owner=140000000000000 count=3 at 0x"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("<unlocked _thread.RLock object owner=0 count=0 at 0x"),
        "{out}"
    );
}

#[test]
fn recursion_under_with_does_not_deadlock() {
    check(
        "import threading\n\
         r = threading.RLock()\n\
         def f(n):\n    with r:\n        return 1 if n == 0 else n * f(n - 1)\n\
         print(f(6))\n",
        "720\n",
    );
}

#[test]
fn only_the_owner_may_release_and_errors_are_pythons() {
    check(
        "import threading\n\
         r = threading.RLock()\n\
         try:\n    r.release()\nexcept RuntimeError as e:\n    print(repr(e))\n\
         r.acquire()\n\
         def other():\n    try:\n        r.release()\n    except RuntimeError as e:\n        print('other:', e)\n\
         t = threading.Thread(target=other)\n\
         t.start(); t.join()\n\
         r.release()\n\
         try:\n    r.acquire(False, 1)\nexcept ValueError as e:\n    print(e)\n\
         try:\n    r.release(1)\nexcept TypeError as e:\n    print(e)\n\
         with r:\n    pass\n\
         try:\n    r.__exit__(None, None, None)\nexcept RuntimeError as e:\n    print('exit:', e)\n",
        "RuntimeError('cannot release un-acquired lock')\n\
         other: cannot release un-acquired lock\n\
         can't specify a timeout for a non-blocking call\n\
         RLock.release() takes no arguments (1 given)\n\
         exit: cannot release un-acquired lock\n",
    );
}

#[test]
fn another_thread_gets_it_only_after_the_last_release() {
    check(
        "import threading, time\n\
         r = threading.RLock()\n\
         log = []\n\
         def other():\n    with r:\n        log.append('other has it')\n\
         r.acquire(); r.acquire()\n\
         t = threading.Thread(target=other)\n\
         t.start()\n\
         time.sleep(0.01)\n\
         r.release()\n\
         time.sleep(0.01)\n\
         log.append('main released once')\n\
         r.release()\n\
         t.join()\n\
         print(log)\n",
        "['main released once', 'other has it']\n",
    );
}

#[test]
fn recursive_rlock_counter_is_exact_under_every_seed() {
    check_all_seeds(
        "import threading\n\
         r = threading.RLock()\n\
         total = 0\n\
         def add(n):\n    global total\n    with r:\n        if n:\n            total += n\n            add(n - 1)\n\
         ts = [threading.Thread(target=add, args=(6,)) for _ in range(3)]\n\
         [t.start() for t in ts]\n\
         [t.join() for t in ts]\n\
         print(total)\n",
        200,
        "63\n",
    );
}

#[test]
fn rlock_program_prints_what_python_prints() {
    same_as_python(
        "import threading\n\
         r = threading.RLock()\n\
         with r:\n    with r:\n        print(r.acquire(False))\n        r.release()\n\
         try:\n    r.release()\nexcept RuntimeError as e:\n    print(e)\n",
    );
}

#[test]
fn with_releases_every_level_on_an_exception() {
    check(
        "import threading\n\
         r = threading.RLock()\n\
         def f(n):\n    with r:\n        if n == 0:\n            raise ValueError('deep')\n        f(n - 1)\n\
         try:\n    f(3)\nexcept ValueError as e:\n    print(e)\n\
         t = threading.Thread(target=lambda: print('other thread got it:', r.acquire(False)))\n\
         t.start(); t.join()\n",
        "deep\nother thread got it: True\n",
    );
}
