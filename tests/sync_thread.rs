//! `threading.Thread` as a synchronisation object: start once, join (with a timeout, never
//! the current thread), and Python's errors.

mod common;
use common::*;

#[test]
fn start_and_join_errors_are_pythons() {
    check(
        "import threading\n\
         def t(f):\n    try:\n        print('ok', f())\n    except Exception as e:\n        print(repr(e))\n\
         th = threading.Thread(target=lambda: None)\n\
         t(lambda: th.join())\n\
         th.start()\n\
         th.join()\n\
         t(lambda: th.start())\n\
         t(lambda: threading.current_thread().join())\n\
         t(lambda: th.join())\n",
        "RuntimeError('cannot join thread before it is started')\n\
         RuntimeError('threads can only be started once')\n\
         RuntimeError('cannot join current thread')\n\
         ok None\n",
    );
}

#[test]
fn join_with_a_timeout_returns_while_the_thread_still_runs() {
    check(
        "import threading, time\n\
         th = threading.Thread(target=time.sleep, args=(5,))\n\
         th.start()\n\
         t0 = time.monotonic()\n\
         th.join(0.5)\n\
         print(th.is_alive(), round(time.monotonic() - t0, 3))\n\
         th.join(-1)\n\
         print(th.is_alive(), round(time.monotonic() - t0, 3))\n\
         th.join()\n\
         print(th.is_alive(), round(time.monotonic() - t0, 3))\n",
        "True 0.5\nTrue 0.5\nFalse 5.0\n",
    );
}

#[test]
fn thread_program_prints_what_python_prints() {
    same_as_python(
        "import threading\n\
         th = threading.Thread(target=print, args=('hello from a thread',))\n\
         th.start()\n\
         th.join()\n\
         try:\n    th.start()\nexcept RuntimeError as e:\n    print(e)\n",
    );
}
