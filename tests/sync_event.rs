//! `threading.Event`: set/clear/is_set, wait with and without a timeout, and a start signal
//! that releases every waiter under every seed.

mod common;
use common::*;

#[test]
fn flag_operations_and_wait_results() {
    check(
        "import threading, time\n\
         e = threading.Event()\n\
         print(e.is_set(), e.wait(0), e.wait(-1))\n\
         t0 = time.monotonic()\n\
         print(e.wait(0.75), round(time.monotonic() - t0, 3))\n\
         e.set()\n\
         print(e.is_set(), e.wait(), e.wait(1), repr(e)[-4:])\n\
         e.clear()\n\
         print(e.is_set(), repr(e)[-6:])\n",
        "False False False\nFalse 0.75\nTrue True True set>\nFalse unset>\n",
    );
}

#[test]
fn errors_are_pythons() {
    check(
        "import threading\n\
         try:\n    threading.Event().set(1)\nexcept TypeError as e:\n    print(e)\n\
         try:\n    threading.Event(1)\nexcept TypeError as e:\n    print(e)\n",
        "Event.set() takes 1 positional argument but 2 were given\n\
         Event.__init__() takes 1 positional argument but 2 were given\n",
    );
}

#[test]
fn set_wakes_every_waiter_and_a_cleared_event_blocks_again() {
    check(
        "import threading, time\n\
         e = threading.Event()\n\
         got = []\n\
         lock = threading.Lock()\n\
         def w():\n    r = e.wait()\n    with lock:\n        got.append(r)\n\
         ts = [threading.Thread(target=w) for _ in range(4)]\n\
         [t.start() for t in ts]\n\
         time.sleep(0.01)\n\
         print(len(got))\n\
         e.set()\n\
         e.clear()\n\
         [t.join() for t in ts]\n\
         print(got, e.is_set())\n",
        "0\n[True, True, True, True] False\n",
    );
}

#[test]
fn start_signal_holds_every_worker_back_under_every_seed() {
    check_all_seeds(
        "import threading\n\
         go = threading.Event()\n\
         early = [0]\n\
         ran = [0]\n\
         lock = threading.Lock()\n\
         def w():\n    if not go.is_set():\n        go.wait()\n    with lock:\n        ran[0] += 1\n\
         ts = [threading.Thread(target=w) for _ in range(3)]\n\
         [t.start() for t in ts]\n\
         with lock:\n    early[0] = ran[0]\n\
         go.set()\n\
         [t.join() for t in ts]\n\
         print(early[0], ran[0])\n",
        200,
        "0 3\n",
    );
}

#[test]
fn event_program_prints_what_python_prints() {
    same_as_python(
        "import threading\n\
         e = threading.Event()\n\
         t = threading.Thread(target=e.set)\n\
         t.start()\n\
         print(e.wait(5), e.is_set())\n\
         t.join()\n\
         e.clear()\n\
         print(e.wait(0.01))\n",
    );
}
