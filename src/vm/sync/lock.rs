//! `threading.Lock`: a non-reentrant lock, and the lock core that `RLock` (`rlock.rs`) and
//! `Condition` (`condition.rs`) build on.
//!
//! A contended `acquire` blocks the calling thread. `release` frees the lock; if threads wait
//! for it, one of them (a seeded choice) is woken when the releasing thread's turn ends
//! ([`Vm::lock_released`], [`Vm::wake_released_locks`]) and takes the lock when it runs
//! ([`Vm::retry_lock`]). Whoever takes the lock first wins: the running thread may take a
//! just-released lock again — *barging*, as on CPython, where the woken waiter competes with
//! the thread holding the GIL and usually loses — and a woken waiter that loses goes back to
//! the waiters at once ([`Vm::lock_take`]) instead of taking a turn to find the lock held.
//! (gilvm first handed the lock straight to a waiter: threads looping on one lock then
//! convoyed, one GIL switch per critical section.) Under `py27` and `py39` the woken waiter
//! instead wakes up on its own a moment later ([`Vm::lock_wake_later`]) and takes the lock then
//! if it is free, as CPython up to 3.10 does: its waiter takes the lock's semaphore without the
//! GIL (see `gil::lock_wake_latency_ns`). A waiter may be a thread coming back from
//! `Condition.wait`, which takes the lock with its saved recursion count and returns its own
//! result (`True` if notified, `False` on timeout).

use crate::vm::call::Outcome;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::AttrSym;
use crate::vm::sync::{bind, no_args, seconds, timeout_ns, Site, SyncObj};
use crate::vm::thread::Tid;
use crate::vm::thread::{ThreadState, Wait};
use crate::vm::value::{ObjId, Value};
use crate::vm::{ops, PyResult, Throw};

/// From how many waiters on a lock a release prefetches the state of the one it will wake
/// ([`Vm::wake_at_turn_end`]): with fewer, ≈0.6 KB of hot state each, they all stay in the
/// L2 cache (1 MB here) between their turns.
pub const PREFETCH_WAITERS: usize = 256;

/// A `Lock` or `RLock`. What `acquire`/`release` touch is inline; the rest is behind one box,
/// so that a lock fits a heap slot's 64 bytes of payload (every slot is as large as the
/// largest object variant).
#[derive(Debug)]
pub struct LockObj {
    pub owner: Option<Tid>,
    /// How many times the owner holds it (an RLock's recursion count; 1 for a held Lock).
    pub count: u32,
    /// Threads blocked taking the lock. The scheduler picks among them, so their order is no
    /// queue: a chosen waiter is swap-removed, O(1) whatever the number of threads.
    pub waiters: Vec<LockWaiter>,
    /// The waiter the last release woke, until it runs or loses the lock to another thread
    /// ([`Vm::lock_take`] sends it back to the waiters).
    pub woken: Option<Tid>,
    /// Released with waiters during the current turn: listed in `Vm::released_locks`.
    pub wake_pending: bool,
    pub cold: Box<LockCold>,
}

/// The parts of a lock that `release` and a free lock's `acquire` do not read.
#[derive(Debug)]
pub struct LockCold {
    /// Where the lock was created (`Lock()` call site), for deadlock reports.
    pub created: Site,
    /// Where the current owner acquired it (for deadlock reports).
    pub acquired_at: Site,
    /// Under `py27`/`py39`: the waiter a release woke, and the virtual time at which it wakes
    /// up and takes the lock if it is free ([`Vm::lock_os_wake`]).
    pub waking: Option<(LockWaiter, u64)>,
}

impl LockObj {
    /// A free lock made at `created`.
    pub fn new(created: Site) -> LockObj {
        LockObj {
            owner: None,
            count: 0,
            waiters: Vec::new(),
            woken: None,
            wake_pending: false,
            cold: Box::new(LockCold {
                created,
                acquired_at: Site::default(),
                waking: None,
            }),
        }
    }
}

/// A thread blocked taking a lock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LockWaiter {
    pub tid: Tid,
    /// The recursion count it takes the lock with.
    pub count: u32,
    /// What its blocking call returns once it has the lock.
    pub result: bool,
    /// True when it is re-taking the lock at the end of `Condition.wait`.
    pub after_wait: bool,
}

/// A waiter woken by a release, on its way to try the lock again (`Thread::retry`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LockRetry {
    pub lock: ObjId,
    pub waiter: LockWaiter,
    /// The deadline of a timed `acquire`, which still holds if it has to wait again.
    pub deadline: Option<u64>,
}

impl Vm {
    /// `threading.Lock()` or `threading.RLock()`.
    pub fn new_lock(
        &mut self,
        reentrant: bool,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Value> {
        if !reentrant {
            // CPython's RLock() accepts and ignores any arguments; Lock() takes none.
            no_args("_thread.allocate_lock", args, kw)?;
        }
        let lock = LockObj::new(self.call_site);
        let obj = if reentrant {
            SyncObj::RLock(lock)
        } else {
            SyncObj::Lock(lock)
        };
        self.rt.alloc(Obj::Sync(obj))
    }

    /// The state of a Lock or RLock.
    pub fn lock_state(&mut self, id: ObjId) -> PyResult<&mut LockObj> {
        match self.rt.heap.get_mut(id) {
            Obj::Sync(SyncObj::Lock(l)) | Obj::Sync(SyncObj::RLock(l)) => Ok(l),
            _ => Err(Throw::type_error("a Lock or RLock is required")),
        }
    }

    fn is_rlock(&self, id: ObjId) -> bool {
        matches!(self.rt.heap.get(id), Obj::Sync(SyncObj::RLock(_)))
    }

    /// The methods of `Lock` and `RLock`.
    pub fn lock_method(
        &mut self,
        id: ObjId,
        attr: AttrSym,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Outcome> {
        let rlock = self.is_rlock(id);
        match attr {
            AttrSym::acquire => {
                let [blocking, timeout] = bind("acquire", args, kw, ["blocking", "timeout"])?;
                let blocking = blocking.is_none_or(|v| ops::truthy(&self.rt, v));
                self.lock_acquire(id, blocking, timeout.unwrap_or(Value::Int(-1)))
            }
            AttrSym::enter => self.lock_acquire(id, true, Value::Int(-1)),
            AttrSym::release => {
                let name = if rlock {
                    "RLock.release"
                } else {
                    "lock.release"
                };
                no_args(name, args, kw)?;
                self.lock_release(id)?;
                Ok(Outcome::Value(Value::None))
            }
            AttrSym::exit => {
                self.lock_release(id)?;
                Ok(Outcome::Value(Value::None))
            }
            AttrSym::locked => {
                no_args("lock.locked", args, kw)?;
                let held = self.lock_state(id)?.owner.is_some();
                Ok(Outcome::Value(Value::Bool(held)))
            }
            _ => Err(Throw::new(ExcKind::AttributeError, "no such lock method")),
        }
    }

    /// `acquire(blocking=True, timeout=-1)` of a Lock or RLock.
    pub fn lock_acquire(&mut self, id: ObjId, blocking: bool, timeout: Value) -> PyResult<Outcome> {
        let me = self.current;
        let secs = seconds(timeout).map_err(|_| {
            Throw::type_error(format!(
                "'{}' object cannot be interpreted as an integer",
                ops::type_name(&self.rt, timeout)
            ))
        })?;
        let timed = secs != -1.0;
        if !blocking && timed {
            return Err(Throw::value_error(
                "can't specify a timeout for a non-blocking call",
            ));
        }
        if secs < 0.0 && timed {
            return Err(Throw::value_error("timeout value must be positive"));
        }
        let site = self.call_site;
        let rlock = self.is_rlock(id);
        let l = self.lock_state(id)?;
        match l.owner {
            None => {
                self.lock_take(id, me, 1, site);
                return Ok(Outcome::Value(Value::Bool(true)));
            }
            Some(o) if o == me && rlock => {
                return self.rlock_reenter(id);
            }
            Some(_) => {}
        }
        if !blocking {
            return Ok(Outcome::Value(Value::Bool(false)));
        }
        let deadline = if timed {
            let ns = timeout_ns(secs);
            if ns == 0 {
                return Ok(Outcome::Value(Value::Bool(false)));
            }
            Some(self.now_ns().saturating_add(ns))
        } else {
            None
        };
        self.lock_wait(id, deadline);
        Ok(Outcome::Blocked)
    }

    /// Blocks the current thread on a held Lock or RLock as a blocking `acquire()` does: it
    /// joins the waiters and wakes owning the lock with `True`, or with `False` at `deadline`.
    pub fn lock_wait(&mut self, id: ObjId, deadline: Option<u64>) {
        let me = self.current;
        if let Ok(l) = self.lock_state(id) {
            l.waiters.push(LockWaiter {
                tid: me,
                count: 1,
                result: true,
                after_wait: false,
            });
        }
        self.block(Wait::Acquire(id), deadline, Value::Bool(false));
    }

    /// `release()` of a Lock (anyone may release a held Lock) or RLock (only its owner).
    pub fn lock_release(&mut self, id: ObjId) -> PyResult<()> {
        if self.is_rlock(id) {
            return self.rlock_release(id);
        }
        let l = self.lock_state(id)?;
        if l.owner.is_none() {
            return Err(Throw::new(ExcKind::RuntimeError, "release unlocked lock"));
        }
        let owner = l.owner;
        l.owner = None;
        l.count = 0;
        self.race_lock_released(owner, id);
        self.lock_released(id);
        Ok(())
    }

    /// Whether the current thread may wait on or notify a Condition built on this lock:
    /// an RLock must be held by it; a plain Lock merely held (CPython's `_is_owned` cannot tell
    /// who holds a plain lock, and neither can we).
    pub fn lock_is_owned(&mut self, id: ObjId) -> PyResult<bool> {
        let me = self.current;
        let rlock = self.is_rlock(id);
        let l = self.lock_state(id)?;
        Ok(match l.owner {
            Some(o) => !rlock || o == me,
            None => false,
        })
    }

    /// Releases the lock completely for `Condition.wait`, returning the recursion count to
    /// restore afterwards.
    pub fn lock_release_all(&mut self, id: ObjId) -> PyResult<u32> {
        let l = self.lock_state(id)?;
        let count = l.count.max(1);
        let owner = l.owner;
        l.owner = None;
        l.count = 0;
        self.race_lock_released(owner, id);
        self.lock_released(id);
        Ok(count)
    }

    /// Gives the lock to `tid` (blocked, or the current thread) with `count`, or queues it as a
    /// waiter whose call will return `result`. Returns whether the lock was taken at once.
    pub fn lock_regrant(
        &mut self,
        id: ObjId,
        tid: Tid,
        count: u32,
        result: bool,
    ) -> PyResult<bool> {
        let (code, pc) = self.threads[tid as usize].blocked_at;
        let site = if tid == self.current && !self.is_blocked(tid) {
            self.call_site
        } else {
            Site { code, pc }
        };
        let l = self.lock_state(id)?;
        if l.owner.is_none() {
            self.lock_take(id, tid, count, site);
            return Ok(true);
        }
        l.waiters.push(LockWaiter {
            tid,
            count,
            result,
            after_wait: true,
        });
        Ok(false)
    }

    /// The lock became free. If threads wait for it, one of them is woken when the current
    /// turn ends ([`Vm::wake_released_locks`]), not now: a thread that releases a lock and
    /// takes it again within its turn — a loop around `with lock:` — would wake a waiter only
    /// to send it back (`lock_take`), an unobservable round trip that cost more than the loop
    /// itself. On CPython the woken waiter likewise finds the lock taken and sleeps again.
    /// Under py27/py39 the waiter wakes on its own instead ([`Vm::lock_wake_later`]).
    pub fn lock_released(&mut self, id: ObjId) {
        if let Some(latency) = self.gil.model.lock_wake_latency_ns() {
            self.lock_wake_later(id, latency);
            return;
        }
        let Ok(l) = self.lock_state(id) else { return };
        if l.owner.is_none() && !l.waiters.is_empty() && !l.wake_pending {
            self.wake_at_turn_end(id);
        }
    }

    /// The free lock `id` has waiters and none is to be woken yet: one is, when the turn
    /// ends. With many waiters, the first such lock of a turn also looks up the waiter the
    /// next draw of the wake stream picks (`Scheduler::peek_choose`) — the thread that runs
    /// next unless the lock is taken again first — and starts loading its state into the cache
    /// now, most of a turn before it is needed. With 10,000 threads on one lock each woken
    /// waiter is a thread whose state (≈10 cache lines) left the caches long ago, and waking
    /// it and running its turn read those lines one after another: 4,000,000 locked
    /// increments over 10,000 threads take 16% less time (paired median of 13 interleaved
    /// runs; 273 -> 230 ms at best), no change at 2 and 1,000 threads. Below
    /// [`PREFETCH_WAITERS`] waiters their state is still in the cache and the look-up (≈100
    /// x86 instructions a turn, +4% on guard_flat_10) is skipped. A wrong guess (a timed
    /// waiter left, another primitive drew first) costs a few useless prefetches.
    #[inline(never)]
    pub fn wake_at_turn_end(&mut self, id: ObjId) {
        let first = self.released_locks.is_empty();
        self.released_locks.push(id);
        let Obj::Sync(SyncObj::Lock(l) | SyncObj::RLock(l)) = self.rt.heap.get_mut(id) else {
            return;
        };
        l.wake_pending = true;
        let n = l.waiters.len();
        if !first || n < PREFETCH_WAITERS {
            return;
        }
        let Some(tid) = self
            .sched
            .peek_waiter(n)
            .and_then(|i| l.waiters.get(i))
            .map(|w| w.tid)
        else {
            return;
        };
        self.prefetch_turn(tid);
    }

    /// The current turn ended: each lock released during it that is still free, with
    /// threads waiting and none woken yet, wakes one of them (a seeded choice).
    pub fn wake_released_locks(&mut self) {
        let mut ids = std::mem::take(&mut self.released_locks);
        for &id in &ids {
            let Ok(l) = self.lock_state(id) else { continue };
            l.wake_pending = false;
            if l.woken.is_none() {
                self.lock_wake_waiter(id);
            }
        }
        ids.clear();
        self.released_locks = ids;
    }

    /// The lock is free: the scheduler picks the waiter it wakes. The waiter becomes
    /// runnable without a result; its `acquire` finishes in [`Vm::retry_lock`] when it runs.
    fn lock_wake_waiter(&mut self, id: ObjId) {
        let n = match self.lock_state(id) {
            Ok(l) if l.owner.is_none() => l.waiters.len(),
            _ => return,
        };
        if n == 0 {
            return;
        }
        let i = match self.rt.heap.get(id) {
            Obj::Sync(SyncObj::Lock(l) | SyncObj::RLock(l)) => {
                self.sched.choose_waiter(n, &|i| l.waiters[i].tid)
            }
            _ => return,
        };
        let Ok(l) = self.lock_state(id) else { return };
        let waiter = l.waiters.swap_remove(i);
        let tid = waiter.tid;
        l.woken = Some(tid);
        let t = &mut self.threads[tid as usize];
        let ThreadState::Blocked { deadline, .. } = t.state else {
            return;
        };
        t.retry = Some(LockRetry {
            lock: id,
            waiter,
            deadline,
        });
        t.state = ThreadState::Runnable;
        self.make_runnable_woken(tid);
        if self.tracer.is_some() {
            self.trace(crate::vm::observe::Hook::Wake { tid });
        }
    }

    /// `tid` takes the free lock `id` with recursion count `count`. A waiter woken by the last
    /// release that has not run yet lost the race: it goes back to the waiters, as on CPython,
    /// where a woken waiter that finds the lock taken sleeps again without asking for the GIL.
    /// (Left runnable, it would only take a turn to find the lock held: at 100 threads on one
    /// lock that was 3 wasted turns in 4.) A timed `acquire` whose deadline passed meanwhile
    /// returns `False` instead.
    pub fn lock_take(&mut self, id: ObjId, tid: Tid, count: u32, site: Site) {
        self.race_lock_taken(tid, id);
        let Ok(l) = self.lock_state(id) else { return };
        l.owner = Some(tid);
        l.count = count;
        l.cold.acquired_at = site;
        let Some(w) = l.woken.take().filter(|&w| w != tid) else {
            return;
        };
        if let Some(r) = self.threads[w as usize].retry.take() {
            if self.lock_wait_again(w, r) && self.tracer.is_some() {
                self.trace(crate::vm::observe::Hook::Reblock { tid: w });
            }
        }
    }

    /// A woken waiter found its lock taken by another thread (see [`Vm::lock_take`]): it goes
    /// back to the waiters (returns true), or, if its timed `acquire` ran out meanwhile (its
    /// timer fired while it was runnable), that call returns False and it runs on (false).
    fn lock_wait_again(&mut self, tid: Tid, r: LockRetry) -> bool {
        let now = self.now_ns();
        let t = &mut self.threads[tid as usize];
        if r.deadline.is_some_and(|d| d <= now) {
            if !t.frames.is_empty() {
                t.stack.push(Value::Bool(false));
            }
            return false;
        }
        t.state = ThreadState::Blocked {
            wait: Wait::Acquire(r.lock),
            deadline: r.deadline,
        };
        // Its timer, if any, is still armed (the deadline lies ahead), and `wake_value` is not
        // read by a lock wait (a timeout goes through `lock_timeout`).
        self.sched.make_unrunnable(tid);
        if let Ok(l) = self.lock_state(r.lock) {
            l.waiters.push(r.waiter);
        }
        true
    }

    /// A thread woken by a release runs again: it takes the lock if it is still free (its
    /// blocking call then returns), or waits for it again — a timed `acquire` whose deadline
    /// has passed returns `False` instead. Returns whether the thread can go on running.
    pub fn retry_lock(&mut self, tid: Tid) -> bool {
        let Some(r) = self.threads[tid as usize].retry.take() else {
            return true;
        };
        let (code, pc) = self.threads[tid as usize].blocked_at;
        let Ok(l) = self.lock_state(r.lock) else {
            return true;
        };
        if l.owner.is_some() {
            // Taken again before this thread ran (`lock_take` normally sends it back first).
            return !self.lock_wait_again(tid, r);
        }
        self.lock_take(r.lock, tid, r.waiter.count, Site { code, pc });
        let t = &mut self.threads[tid as usize];
        if !t.frames.is_empty() {
            t.stack.push(Value::Bool(r.waiter.result));
        }
        true
    }

    /// Under a model of CPython up to 3.10: the lock became free with threads waiting; unless
    /// one is already waking up, the scheduler picks one (seeded), which wakes `latency` later
    /// and takes the lock then if it is free ([`Vm::lock_os_wake`]). Until then it stays
    /// blocked — it does not ask for the GIL — and any running thread may take the lock.
    fn lock_wake_later(&mut self, id: ObjId, latency: u64) {
        let n = match self.lock_state(id) {
            Ok(l) if l.owner.is_none() && l.cold.waking.is_none() => l.waiters.len(),
            _ => return,
        };
        if n == 0 {
            return;
        }
        let i = match self.rt.heap.get(id) {
            Obj::Sync(SyncObj::Lock(l) | SyncObj::RLock(l)) => {
                self.sched.choose_waiter(n, &|i| l.waiters[i].tid)
            }
            _ => return,
        };
        // Uniform in [latency/2, 3·latency/2]: a fixed latency locks into phase with a loop
        // (the wake-up then lands at the same point of every iteration, e.g. always inside
        // the `with` body) — real wake-ups jitter. Not a choice: drawn from the noise stream.
        let latency = latency / 2 + self.sched.noise_below(latency + 1);
        let at = self.now_ns().saturating_add(latency);
        let Ok(l) = self.lock_state(id) else { return };
        let w = l.waiters.swap_remove(i);
        l.cold.waking = Some((w, at));
        self.sched.add_timer(at, w.tid);
        self.slice_cap = Some(latency.div_ceil(self.gil.ns_per_instr).max(1));
    }

    /// A timer fired for `tid` at `at`: if it is the wake-up of a lock's waiter
    /// ([`Vm::lock_wake_later`]), the waiter takes the lock if it is free and becomes runnable
    /// (it still needs the GIL to go on), or goes back to the waiters. Returns whether it was.
    pub fn lock_os_wake(&mut self, id: ObjId, tid: Tid, at: u64) -> bool {
        let Ok(l) = self.lock_state(id) else {
            return false;
        };
        let Some((w, _)) = l.cold.waking.filter(|&(w, t)| w.tid == tid && t == at) else {
            return false;
        };
        l.cold.waking = None;
        if l.owner.is_some() {
            l.waiters.push(w);
            if self.tracer.is_some() {
                self.trace(crate::vm::observe::Hook::Reblock { tid });
            }
            return true;
        }
        let (code, pc) = self.threads[tid as usize].blocked_at;
        self.lock_take(id, tid, w.count, Site { code, pc });
        self.wake(tid, Value::Bool(w.result));
        true
    }

    /// A timed `acquire` ran out of time.
    pub fn lock_timeout(&mut self, id: ObjId, tid: Tid) {
        if let Ok(l) = self.lock_state(id) {
            if let Some(i) = l.waiters.iter().position(|w| w.tid == tid) {
                l.waiters.swap_remove(i);
            }
            if l.cold.waking.is_some_and(|(w, _)| w.tid == tid) {
                l.cold.waking = None;
            }
        }
        self.wake(tid, Value::Bool(false));
    }

    /// Whether `tid` is blocked.
    pub fn is_blocked(&self, tid: Tid) -> bool {
        matches!(
            self.threads[tid as usize].state,
            ThreadState::Blocked { .. }
        )
    }
}
