//! A thread's life between turns: blocking, waking, timers, the end.
//!
//! A blocking call never waits: it marks the current thread blocked (with a deadline for
//! timed waits), removes it from the scheduler's runnable set and returns
//! `Outcome::Blocked`; whoever wakes it later (a `release`, a finishing thread, a timer)
//! supplies the call's return value through [`Vm::wake`]. A timer that falls due asks the
//! primitive the thread waits on what a timeout means there.

use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::sync::SyncObj;
use crate::vm::thread::{ThreadState, Tid, Wait};
use crate::vm::value::Value;
use crate::vm::Throw;

impl Vm {
    /// Blocks the current thread. `wake_value` is what the blocking call returns if the
    /// thread is woken by its deadline (e.g. `False` for a timed-out acquire).
    pub fn block(&mut self, wait: Wait, deadline: Option<u64>, timeout_value: Value) {
        let tid = self.current;
        let site = self.site();
        let t = &mut self.threads[tid as usize];
        t.state = ThreadState::Blocked { wait, deadline };
        t.wake_value = timeout_value;
        t.blocked_at = (site.code, site.pc);
        self.sched.make_unrunnable(tid);
        if let Some(d) = deadline {
            self.sched.add_timer(d, tid);
            if self.step_touches.is_some() {
                self.note_timed_block();
            }
        }
    }

    /// Makes a blocked thread runnable; its blocking call returns `value`.
    pub fn wake(&mut self, tid: Tid, value: Value) {
        let t = &mut self.threads[tid as usize];
        if !matches!(t.state, ThreadState::Blocked { .. }) {
            return;
        }
        t.wake_value = value;
        self.deliver_wake_value(tid);
        self.make_runnable_woken(tid);
        if self.tracer.is_some() {
            self.trace(crate::vm::observe::Hook::Wake { tid });
        }
    }

    /// Makes woken thread `tid` runnable, with the turn hint it noted when it blocked (if
    /// enough threads ran for it to note one).
    #[inline]
    pub(crate) fn make_runnable_woken(&mut self, tid: Tid) {
        let hint = self
            .turn_hints
            .get(tid as usize)
            .copied()
            .unwrap_or_default();
        self.sched.make_runnable_hinted(tid, hint);
    }

    /// Makes a blocked thread runnable; its blocking call raises `t`.
    pub fn wake_with_error(&mut self, tid: Tid, t: Throw) {
        if !matches!(
            self.threads[tid as usize].state,
            ThreadState::Blocked { .. }
        ) {
            return;
        }
        self.threads[tid as usize].wake_throw = Some(Box::new(t));
        self.wake(tid, Value::None);
    }

    /// A timer fired for `tid` at `deadline`: if it still waits with that deadline, its wait
    /// times out — what that means is up to the primitive it waits on.
    pub fn on_timer(&mut self, tid: Tid, deadline: u64) {
        let (wait, d) = match self.threads[tid as usize].state {
            ThreadState::Blocked { wait, deadline } => (wait, deadline),
            _ => return,
        };
        if let Wait::Acquire(obj) = wait {
            // Under py27/py39, a lock's waiter waking up (see `gil::lock_wake_latency_ns`).
            if matches!(
                self.rt.heap.get(obj),
                Obj::Sync(SyncObj::Lock(_) | SyncObj::RLock(_))
            ) && self.lock_os_wake(obj, tid, deadline)
            {
                return;
            }
        }
        if d != Some(deadline) {
            return;
        }
        if self.step_touches.is_some() {
            self.note_timer_wake(tid);
        }
        match wait {
            Wait::Acquire(obj) | Wait::Wait(obj) => match self.rt.heap.get(obj) {
                Obj::Sync(SyncObj::Lock(_) | SyncObj::RLock(_)) => self.lock_timeout(obj, tid),
                Obj::Sync(SyncObj::Semaphore(_)) => self.semaphore_timeout(obj, tid),
                Obj::Sync(SyncObj::Condition(_)) => self.condition_timeout(obj, tid),
                Obj::Sync(SyncObj::Event(_)) => self.event_timeout(obj, tid),
                Obj::Sync(SyncObj::Barrier(_)) => self.barrier_timeout(obj, tid),
                Obj::Sync(SyncObj::Queue(_)) => self.queue_timeout(obj, tid),
                _ => {
                    let v = self.threads[tid as usize].wake_value;
                    self.wake(tid, v);
                }
            },
            Wait::Join(other) => {
                self.threads[other as usize].joiners.retain(|&j| j != tid);
                self.wake(tid, Value::None);
            }
            Wait::Sleep => {
                let v = self.threads[tid as usize].wake_value;
                self.wake(tid, v);
            }
        }
    }

    /// stdlib: the main thread (`tid` 0) ended its program: if a function registered with
    /// `threading._register_atexit` is left, the thread goes on by calling it (the last
    /// registered first), as CPython's `threading._shutdown` does before joining the
    /// threads. True when it did.
    pub fn run_atexit(&mut self, tid: Tid) -> bool {
        if tid != 0 {
            return false;
        }
        let Some(f) = self.atexit.pop() else {
            return false;
        };
        let t = &mut self.threads[0];
        t.frames.clear();
        t.stack.clear();
        t.start = Some(Box::new(crate::vm::thread::StartCall {
            target: f,
            args: Vec::new(),
            kwargs: None,
        }));
        true
    }

    /// A thread ended: wake its joiners.
    pub fn on_thread_finished(&mut self, tid: Tid) {
        self.threads[tid as usize].state = ThreadState::Finished;
        self.sched.make_unrunnable(tid);
        let joiners = std::mem::take(&mut self.threads[tid as usize].joiners);
        for j in joiners {
            self.race_joined(j, tid);
            self.wake(j, Value::None);
        }
    }
}
