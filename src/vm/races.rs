//! The data-race detector (`--races`): happens-before with vector clocks in the style of
//! FastTrack (Flanagan & Freund, PLDI 2009), with an Eraser-style lockset (Savage et al.,
//! SOSP 1997) recorded beside each access for the report.
//!
//! # What a race is, at Python's level
//!
//! Two accesses to one shared location — a module global, a closure cell, a list slot, a dict
//! key, an attribute of an instance or a class — from different threads, at least one of them
//! a write, that happens-before does not order. Each access is one instruction: `LOAD_GLOBAL`
//! / `STORE_GLOBAL` / `DELETE_GLOBAL` (and `LOAD_NAME` / `STORE_NAME` at module level),
//! `LOAD_DEREF` / `STORE_DEREF` / `DELETE_DEREF`, `BINARY_SUBSCR` / `STORE_SUBSCR` /
//! `DELETE_SUBSCR` on a list or a dict, `LOAD_ATTR` / `STORE_ATTR` on an instance or a class,
//! and `LOAD_METHOD` (`obj.f(...)`) as a read of `obj.f` when `f` is the instance's own
//! attribute (`self.handler(x)`, set in `__init__`) or `obj` is a class (`Config.f()`); a
//! method found on an instance's class is the class's definition, which threads do not write.
//! `counter += 1` is therefore a read and a write in separate instructions.
//!
//! An operation that CPython performs as one built-in call under the GIL is one atomic access
//! and is not checked: the methods of `list` (`append`, `extend`, `insert`, `pop`, `remove`,
//! `sort`, …), of `dict` (`get`, `setdefault`, `pop`, `update`, `items`, …), of `set` and
//! `str`, the built-in functions (`len`, `sum`, `sorted`, `min`, `max`, `list(...)`, …), `in`,
//! iteration by `for`, and every method of the `threading` and `queue` objects. Two threads
//! appending to one list is correct Python; `lst[i] += 1` in two threads is not.
//!
//! # Happens-before
//!
//! Each thread has a vector clock; each synchronisation object a clock of its own, kept in a
//! side table keyed by (object, role) — read and joined by key only, never iterated. A
//! *release* joins the thread's clock into the object's and advances the thread's own entry;
//! an *acquire* joins the object's clock into the thread's. The edges, where the operation
//! completes:
//!
//! - `Thread.start()` → the new thread's first step: the child starts with its parent's clock
//!   (initialisation before `start()` is no race). `sync/thread.rs`.
//! - a thread's last step → `join()` returning (at once or when woken). `sync/thread.rs`,
//!   `lifecycle.rs`. A `join(timeout)` that times out orders nothing.
//! - `Lock`/`RLock` release → the next acquire: every way a lock is taken goes through
//!   `Vm::lock_take`, every final release through `lock_release` / `lock_release_all`, plus the
//!   `with lock:` fast paths inside the hot loop (`interp.rs`, under `RACES` only).
//! - `Condition` notify → wait returning: through its lock, which `wait` releases and takes
//!   again before it returns; nothing else is needed.
//! - `Semaphore` release → the acquire it lets through (or any later acquire).
//! - `Event.set()` → `wait()` returning `True`.
//! - `Queue.put()` → the `get()` that receives the item. Over-approximated: a `get` acquires
//!   the clocks of *all* earlier puts on the queue, not only of the put of its item (exact
//!   tracking would need a clock per item). `task_done()` → `join()` returning, likewise over
//!   all earlier `task_done` calls.
//! - `Barrier`: every arrival → every departure of the same wait (over-approximated across
//!   generations: a departure also acquires earlier generations' arrivals, already ordered
//!   before it by the earlier departure).
//!
//! An over-approximated edge can only hide a race, never invent one. Handing the GIL over is
//! *not* an edge: were it one, every run would be totally ordered and no race could show.
//!
//! # Shadow state (FastTrack)
//!
//! Per location: the last write as an epoch (thread, clock), and the reads as one epoch until
//! two unordered reads happen — then as a list of epochs, one per thread (bounded by
//! [`MAX_SHARED_READS`]; dropping the oldest can only miss a race). A read checks the last
//! write; a write checks the last write and the reads.
//!
//! The cost per access is kept flat: the shadow state is dense where the location ids are —
//! globals by name id, list slots, dict keys and attributes by the VM's item id (numbered from
//! 0 as they are first touched) — so no access hashes but a closure cell's (by heap id, which
//! a collection may reuse: a side table). FastTrack's same-epoch rules come first and inline
//! (`access`): a write in the epoch of the last write, a read in the epoch of the last read or
//! of this thread's entry among shared reads, only note the site; the full check (`check`)
//! looks up the other thread's entry only when the last access was not the thread's own, and
//! its racing pairs go to a buffer reported out of line. A thread's own entry is updated in
//! place by a release (`Vc::set_near`). On the seed's locked counter, where every iteration is
//! a new epoch (each release starts one), this costs 2.2× a plain run's instructions
//! (docs/performance.md; goal 3×).
//!
//! # Locksets
//!
//! Each thread's held locks (`Lock`, `RLock`, a `Condition`'s lock) are kept as an interned
//! set, recorded with each access and printed in the report. Only happens-before decides what
//! is reported: a pure lockset detector raises false alarms on ownership hand-offs (an object
//! built by one thread and passed through a `Queue`), which happens-before sees are ordered.
//!
//! # Bounds and determinism
//!
//! At most [`DEFAULT_MAX_LOCATIONS`] container items, attributes and cells are tracked (globals
//! always are); past it new locations go untracked and the summary says so. A race is kept
//! once per pair of source lines, in the order of detection; everything the reports say is
//! built when the race is found, so reports are the same for the same schedule (replay).
//! With no detector attached (`Vm::races` is `None`) the hot loop is the monomorphised copy
//! without any of this (`Vm::hot::<_, false>`).
//!
//! # Where races are shown
//!
//! `run --races` and `gilvm races` print the kept reports after the run (`src/races.rs`).
//! `trace --races` also marks the access that found each race: the detector keeps the last
//! few in [`RaceDetector::recent`], and the trace recorder, comparing [`RaceDetector::count`]
//! after each instruction, attaches them to that instruction's record. `explore --races` runs
//! the detector in every execution and keeps each pair of source lines once across them
//! (`explore/mod.rs`, `add_race`).
//!
//! # What one run cannot see
//!
//! Happens-before judges the accesses a run made, by the threads that made them: tasks a
//! `ThreadPoolExecutor` ran one after another on the same worker are ordered by that thread,
//! so a race between them shows only in a run that spread them over workers.

use std::collections::{HashMap, HashSet};

use crate::vm::heap::{FixedState, Obj};
use crate::vm::lost::LocKey;
use crate::vm::machine::Vm;
use crate::vm::sync::SyncObj;
use crate::vm::thread::Tid;
use crate::vm::value::{ObjId, Value};

/// How many item, attribute and cell locations are tracked at most.
pub const DEFAULT_MAX_LOCATIONS: usize = 1 << 17;
/// How many concurrent reads of one location are remembered at most.
pub const MAX_SHARED_READS: usize = 64;
/// How many vector-clock entries all clocks may hold together (8 bytes each: 128 MiB). Each
/// thread that takes a lock learns of every earlier holder, so 100,000 threads taking one lock
/// would need 100,000²/2 entries; past this budget the detector stops, frees its state and
/// says so, rather than exhaust memory.
pub const MAX_CLOCK_ENTRIES: usize = 1 << 24;
/// How many race reports are kept in full (every race is counted).
pub const REPORTS_KEPT: usize = 50;

/// A vector clock, sparse: (thread, clock) pairs sorted by thread. Most clocks name few
/// threads (a worker knows its parent and itself), so 10,000 threads do not cost 10,000²
/// entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vc(Vec<(u32, u32)>);

impl Vc {
    /// The entry of `t` (0 if none).
    #[inline]
    pub fn get(&self, t: u32) -> u32 {
        match self.0.binary_search_by_key(&t, |e| e.0) {
            Ok(i) => self.0[i].1,
            Err(_) => 0,
        }
    }

    /// Sets the entry of `t`.
    pub fn set(&mut self, t: u32, c: u32) {
        match self.0.binary_search_by_key(&t, |e| e.0) {
            Ok(i) => self.0[i].1 = c,
            Err(i) => self.0.insert(i, (t, c)),
        }
    }

    /// Sets the entry of `t`, known to be `was`: a linear scan from the end finds a thread's
    /// own entry in the clocks of a few threads faster than a binary search.
    #[inline]
    pub fn set_near(&mut self, t: u32, c: u32, was: u32) {
        if self.0.len() <= 8 {
            if let Some(e) = self.0.iter_mut().rev().find(|e| e.0 == t && e.1 == was) {
                e.1 = c;
                return;
            }
        }
        self.set(t, c);
    }

    /// `self := self ⊔ other`. In place when `other` names no thread `self` does not (the
    /// common case: a lock's clock joined into a thread that took it before), else merged into
    /// a new vector.
    pub fn join(&mut self, other: &Vc) {
        if other.0.is_empty() {
            return;
        }
        if other.0.len() <= self.0.len() {
            let (a, b) = (&mut self.0, &other.0);
            let mut i = 0;
            let mut covered = true;
            for &(t, c) in b {
                while i < a.len() && a[i].0 < t {
                    i += 1;
                }
                if i < a.len() && a[i].0 == t {
                    a[i].1 = a[i].1.max(c);
                } else {
                    covered = false;
                    break;
                }
            }
            if covered {
                return;
            }
        }
        if other.0.len() <= 8 {
            // A few entries (a thread's clock joined into main's at `join()`): inserted one by
            // one, at the end when threads are joined in the order they were started, so
            // joining 100,000 threads costs no 100,000 copies of a growing clock.
            for &(t, c) in &other.0 {
                match self.0.binary_search_by_key(&t, |e| e.0) {
                    Ok(i) => self.0[i].1 = self.0[i].1.max(c),
                    Err(i) => self.0.insert(i, (t, c)),
                }
            }
            return;
        }
        let mut out = Vec::with_capacity(self.0.len() + other.0.len());
        let (a, b) = (&self.0, &other.0);
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if j == b.len() || (i < a.len() && a[i].0 < b[j].0) {
                out.push(a[i]);
                i += 1;
            } else if i == a.len() || b[j].0 < a[i].0 {
                out.push(b[j]);
                j += 1;
            } else {
                out.push((a[i].0, a[i].1.max(b[j].1)));
                i += 1;
                j += 1;
            }
        }
        self.0 = out;
    }
}

/// One access kept in the shadow state: who, when (an epoch), where, holding what.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Access {
    pub tid: u32,
    /// The thread's own clock at the access; 0 = no access.
    pub clock: u32,
    pub code: u32,
    pub pc: u32,
    /// The thread's lockset (an index into the interned sets).
    pub locks: u32,
}

/// The shadow state of one location.
#[derive(Clone, Debug, Default)]
struct Shadow {
    write: Access,
    /// The last read, while the reads are ordered (`shared` is `None`).
    read: Access,
    /// Concurrent reads, one per thread (empty while the reads are ordered).
    shared: Vec<Access>,
}

/// The clock of a synchronisation object, and the thread that released it last.
#[derive(Clone, Debug, Default)]
struct SyncClock {
    vc: Vc,
    last: u32,
}

/// One racing pair, as found (`Vm::race_found` turns it into a [`Race`]).
#[derive(Clone, Copy, Debug)]
struct Pair {
    loc: LocKey,
    earlier: Access,
    earlier_write: bool,
    later: Access,
    later_write: bool,
}

/// One side of a reported race, with everything the report prints, built when it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaceAccess {
    pub thread: String,
    pub write: bool,
    pub code: u32,
    pub pc: u32,
    /// The locks the thread held, as the program names them.
    pub locks: Vec<String>,
}

/// A reported race: two unordered accesses to one location, at least one a write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Race {
    /// The location as the program names it: `counter`, `balances['alice']`, `self.count`.
    pub location: String,
    /// What kind of location: `a global`, `a closure variable`, `a list item`, ….
    pub kind: &'static str,
    /// The earlier access (in the run), then the later one.
    pub earlier: RaceAccess,
    pub later: RaceAccess,
}

/// Two (code, line) sites, the smaller first: what a race is reported once for.
type LinePair = ((u32, u32), (u32, u32));

/// The detector's state for one run.
pub struct RaceDetector {
    /// Each thread's vector clock, by thread id, and its own entry (its epoch) apart.
    clocks: Vec<Vc>,
    epoch: Vec<u32>,
    /// Each thread's held locks, and that set's interned index.
    held: Vec<Vec<u32>>,
    lockset_of: Vec<u32>,
    locksets: Vec<Vec<u32>>,
    lockset_index: HashMap<Vec<u32>, u32, FixedState>,
    /// Clocks of synchronisation objects, by (object id, role): an index into `syncs`, and
    /// the last one looked up (a loop around `with lock:` asks for one lock again and again).
    sync_index: HashMap<(u32, u8), u32, FixedState>,
    syncs: Vec<SyncClock>,
    sync_memo: Option<((u32, u8), u32)>,
    /// Per thread, its last lockset changes: (from, lock, taken) → to.
    lockset_memo: Vec<[(u32, u32, bool, u32); 2]>,
    /// Globals by name id.
    globals: Vec<Shadow>,
    /// List slots, dict keys and attributes, by item id (dense: the VM numbers them in
    /// order, from 0), at most `max_locations` of them.
    items: Vec<Shadow>,
    /// Closure cells, by heap id (ids are reused after a collection: a side table).
    cells: HashMap<u32, Shadow, FixedState>,
    /// Pairs found by the last check, for `Vm::race_found` (empty but for a race).
    pending: Vec<Pair>,
    max_locations: usize,
    /// Locations not tracked because the table was full.
    pub untracked: u64,
    /// Entries in all vector clocks, against [`MAX_CLOCK_ENTRIES`].
    entries: usize,
    /// The detector gave up (its clocks outgrew their budget) with this many threads.
    pub stopped: Option<usize>,
    /// Pairs of (code, line) already reported.
    seen: HashSet<LinePair, FixedState>,
    /// Races found (distinct pairs of source lines), and the first ones in full.
    pub count: u64,
    pub races: Vec<Race>,
    /// Distinct racing locations, in order of detection (for the summary).
    pub locations: Vec<String>,
    /// The last races found (at most [`RECENT_KEPT`]), for `trace --races` to mark the line
    /// of the access that found each: it compares `count` after every instruction.
    pub recent: std::collections::VecDeque<RaceNote>,
}

/// How many of the latest races [`RaceDetector::recent`] keeps (one instruction finds two at
/// most).
pub const RECENT_KEPT: usize = 4;

/// A race as a trace line's note: the location and the earlier access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaceNote {
    pub location: String,
    pub earlier_tid: u32,
    pub earlier_write: bool,
    pub earlier_line: u32,
    pub later_write: bool,
}

/// Roles of a synchronisation object's clocks.
pub mod role {
    /// A lock's release, a semaphore's release, an event's set, a queue's put, a barrier's
    /// arrival, a thread's end.
    pub const MAIN: u8 = 0;
    /// A queue's `task_done`.
    pub const TASKS: u8 = 1;
}

impl RaceDetector {
    pub fn new(globals: usize, max_locations: usize) -> RaceDetector {
        let mut lockset_index = HashMap::default();
        lockset_index.insert(Vec::new(), 0);
        RaceDetector {
            clocks: vec![Vc(vec![(0, 1)])],
            epoch: vec![1],
            held: vec![Vec::new()],
            lockset_of: vec![0],
            locksets: vec![Vec::new()],
            lockset_index,
            sync_index: HashMap::default(),
            syncs: Vec::new(),
            sync_memo: None,
            lockset_memo: Vec::new(),
            globals: vec![Shadow::default(); globals],
            items: Vec::new(),
            cells: HashMap::default(),
            pending: Vec::new(),
            max_locations,
            untracked: 0,
            entries: 1,
            stopped: None,
            seen: HashSet::default(),
            count: 0,
            races: Vec::new(),
            locations: Vec::new(),
            recent: std::collections::VecDeque::new(),
        }
    }

    /// Makes `t`'s clock (the common case, a thread seen before, inline).
    #[inline(always)]
    fn ensure_thread(&mut self, t: u32) {
        if self.epoch.get(t as usize).is_some_and(|&e| e != 0) {
            return;
        }
        self.new_thread(t);
    }

    #[cold]
    #[inline(never)]
    fn new_thread(&mut self, t: u32) {
        let n = t as usize + 1;
        if self.clocks.len() < n {
            self.clocks.resize_with(n, Vc::default);
            self.epoch.resize(n, 0);
            self.held.resize_with(n, Vec::new);
            self.lockset_of.resize(n, 0);
        }
        if self.epoch[t as usize] == 0 {
            self.clocks[t as usize].set(t, 1);
            self.epoch[t as usize] = 1;
            self.entries += 1;
        }
    }

    /// Advances `t`'s own entry (after a release: its later accesses are not ordered before
    /// whoever acquires what it released).
    #[inline]
    fn tick(&mut self, t: u32) {
        let c = self.epoch[t as usize].saturating_add(1);
        self.clocks[t as usize].set_near(t, c, self.epoch[t as usize]);
        self.epoch[t as usize] = c;
    }

    /// `parent` starts thread `child`.
    pub fn start(&mut self, parent: u32, child: u32) {
        if self.stopped.is_some() {
            return;
        }
        self.ensure_thread(parent);
        self.ensure_thread(child);
        let p = self.clocks[parent as usize].clone();
        let before = self.clocks[child as usize].0.len();
        self.clocks[child as usize].join(&p);
        self.grew(before, self.clocks[child as usize].0.len());
        self.tick(parent);
    }

    /// A clock went from `before` to `after` entries: past the budget, the detector stops.
    fn grew(&mut self, before: usize, after: usize) {
        self.entries = (self.entries + after).saturating_sub(before);
        if self.entries > MAX_CLOCK_ENTRIES {
            self.stopped = Some(self.clocks.len());
            self.clocks = Vec::new();
            self.syncs = Vec::new();
            self.sync_index = HashMap::default();
            self.sync_memo = None;
            self.globals = Vec::new();
            self.items = Vec::new();
            self.cells = HashMap::default();
        }
    }

    /// `joiner` learns that `ended` finished (its join returns).
    pub fn joined(&mut self, joiner: u32, ended: u32) {
        if self.stopped.is_some() {
            return;
        }
        self.ensure_thread(joiner);
        self.ensure_thread(ended);
        let e = self.clocks[ended as usize].clone();
        let before = self.clocks[joiner as usize].0.len();
        self.clocks[joiner as usize].join(&e);
        self.grew(before, self.clocks[joiner as usize].0.len());
    }

    /// The clock of `key`, made on first use.
    fn sync_slot(&mut self, key: (u32, u8)) -> usize {
        if let Some((k, i)) = self.sync_memo {
            if k == key {
                return i as usize;
            }
        }
        let next = self.syncs.len() as u32;
        let i = *self.sync_index.entry(key).or_insert(next);
        if i == next {
            self.syncs.push(SyncClock {
                vc: Vc::default(),
                last: u32::MAX,
            });
        }
        self.sync_memo = Some((key, i));
        i as usize
    }

    /// `t` releases `key`: the object's clock takes in `t`'s. `covers` says the object's clock
    /// is already below `t`'s (a lock released by the thread that took it: taking it joined
    /// the clock in, and only releases change it), so a copy does instead of a merge.
    pub fn release(&mut self, t: u32, key: (u32, u8), covers: bool) {
        if self.stopped.is_some() {
            return;
        }
        self.ensure_thread(t);
        let i = self.sync_slot(key);
        let c = &self.clocks[t as usize];
        let s = &mut self.syncs[i];
        let before = s.vc.0.len();
        if covers {
            s.vc.0.clone_from(&c.0);
        } else {
            s.vc.join(c);
        }
        // Only a copy leaves the object's clock equal to (so below) `t`'s: after a merge it
        // may know more than `t` does, and `t`'s next acquire must take that in.
        s.last = if covers { t } else { u32::MAX };
        let after = s.vc.0.len();
        self.tick(t);
        self.grew(before, after);
    }

    /// `t` acquires `key`: its clock takes in the object's — nothing to do when `t` itself
    /// released it last by a copy (its clock has only grown since).
    pub fn acquire(&mut self, t: u32, key: (u32, u8)) {
        if self.stopped.is_some() {
            return;
        }
        self.ensure_thread(t);
        let i = self.sync_slot(key);
        let s = &self.syncs[i];
        if s.last != t {
            let before = self.clocks[t as usize].0.len();
            self.clocks[t as usize].join(&s.vc);
            self.grew(before, self.clocks[t as usize].0.len());
        }
    }

    /// `t` now holds `lock` (for the lockset).
    pub fn lock_held(&mut self, t: u32, lock: u32) {
        if self.stopped.is_some() {
            return;
        }
        self.ensure_thread(t);
        let h = &mut self.held[t as usize];
        if !h.contains(&lock) {
            h.push(lock);
            self.relock_after(t, lock, true);
        }
    }

    /// `t` no longer holds `lock`.
    pub fn lock_dropped(&mut self, t: u32, lock: u32) {
        if self.stopped.is_some() {
            return;
        }
        self.ensure_thread(t);
        let h = &mut self.held[t as usize];
        if let Some(i) = h.iter().position(|&l| l == lock) {
            h.remove(i);
            self.relock_after(t, lock, false);
        }
    }

    /// `t`'s lockset after it took (`taken`) or dropped `lock`: from its memo of the last
    /// two changes (a loop around `with lock:` goes back and forth between two sets), else
    /// interned afresh.
    #[inline]
    fn relock_after(&mut self, t: u32, lock: u32, taken: bool) {
        let from = self.lockset_of[t as usize];
        if self.lockset_memo.len() <= t as usize {
            self.lockset_memo
                .resize(t as usize + 1, [(u32::MAX, 0, false, 0); 2]);
        }
        let memo = &mut self.lockset_memo[t as usize];
        if let Some(&(_, _, _, to)) = memo
            .iter()
            .find(|m| m.0 == from && m.1 == lock && m.2 == taken)
        {
            self.lockset_of[t as usize] = to;
            return;
        }
        self.relock(t);
        let to = self.lockset_of[t as usize];
        let memo = &mut self.lockset_memo[t as usize];
        memo[1] = memo[0];
        memo[0] = (from, lock, taken, to);
    }

    /// Re-interns `t`'s lockset after a change (allocating only for a set never seen).
    #[cold]
    #[inline(never)]
    fn relock(&mut self, t: u32) {
        let mut set: smallvec::SmallVec<[u32; 8]> = self.held[t as usize].iter().copied().collect();
        set.sort_unstable();
        let id = match self.lockset_index.get(&set[..]) {
            Some(&id) => id,
            None => {
                let id = self.locksets.len() as u32;
                self.lockset_index.insert(set.to_vec(), id);
                self.locksets.push(set.to_vec());
                id
            }
        };
        self.lockset_of[t as usize] = id;
    }

    /// The lock ids of lockset `id`.
    pub fn lockset(&self, id: u32) -> &[u32] {
        self.locksets.get(id as usize).map_or(&[], |s| &s[..])
    }

    /// Forgets the shadow state of cells, and the clocks of sync objects, that the last
    /// collection freed (their ids may be reused).
    pub fn forget_dead(&mut self, heap: &crate::vm::heap::Heap) {
        self.cells.retain(|&id, _| heap.is_live(ObjId(id)));
        if self.sync_index.len() > 64 {
            let mut keys: Vec<((u32, u8), u32)> = self
                .sync_index
                .iter()
                .filter(|(k, _)| heap.is_live(ObjId(k.0)))
                .map(|(k, i)| (*k, *i))
                .collect();
            // In index order, so the table is rebuilt the same way in every run.
            keys.sort_unstable_by_key(|e| e.1);
            let mut old = std::mem::take(&mut self.syncs);
            self.sync_index.clear();
            for (n, (k, i)) in keys.into_iter().enumerate() {
                self.syncs.push(std::mem::take(&mut old[i as usize]));
                self.sync_index.insert(k, n as u32);
            }
            self.sync_memo = None;
        }
    }

    /// The shadow state of `loc`, made on first use; `None` when it is not tracked (past the
    /// bound, or the detector stopped).
    #[inline(always)]
    fn shadow(&mut self, loc: LocKey) -> Option<&mut Shadow> {
        match loc {
            LocKey::Global(i) => self.globals.get_mut(i as usize),
            LocKey::Item(i) => {
                let i = i as usize;
                if i >= self.items.len() {
                    return self.grow_items(i);
                }
                self.items.get_mut(i)
            }
            LocKey::Cell(id) => {
                if self.cells.len() >= self.max_locations && !self.cells.contains_key(&id) {
                    self.untracked += 1;
                    return None;
                }
                Some(self.cells.entry(id).or_default())
            }
        }
    }

    /// Item `i`'s shadow when the table is not that long yet.
    #[cold]
    #[inline(never)]
    fn grow_items(&mut self, i: usize) -> Option<&mut Shadow> {
        if i >= self.max_locations || self.stopped.is_some() {
            self.untracked += 1;
            return None;
        }
        self.items.resize_with(i + 1, Shadow::default);
        self.items.get_mut(i)
    }

    /// Checks and records an access by `t` at (code, pc). Racing pairs go to `pending`;
    /// returns whether there are any.
    ///
    /// The FastTrack fast paths come first: an access of the kind the thread already made in
    /// its current epoch (a loop between two synchronisations) only notes its site, and an
    /// access whose previous conflicting access was the thread's own needs no clock lookup.
    #[inline]
    fn access(&mut self, t: u32, loc: LocKey, write: bool, code: u32, pc: u32) -> bool {
        if self.stopped.is_some() {
            return false;
        }
        self.ensure_thread(t);
        let now = self.epoch[t as usize];
        let locks = self.lockset_of[t as usize];
        let cur = Access {
            tid: t,
            clock: now,
            code,
            pc,
            locks,
        };
        let Some(sh) = self.shadow(loc) else {
            return false;
        };
        // Same epoch: nothing to check.
        if write {
            if sh.write.tid == t && sh.write.clock == now && sh.shared.is_empty() {
                sh.write = cur;
                return false;
            }
        } else if sh.shared.is_empty() {
            if sh.read.tid == t && sh.read.clock == now {
                sh.read = cur;
                return false;
            }
        } else if let Some(r) = sh.shared.iter_mut().find(|r| r.tid == t && r.clock == now) {
            *r = cur;
            return false;
        }
        self.check(t, loc, write, cur)
    }

    /// The full check of an access (`access` ruled out the same-epoch cases).
    fn check(&mut self, t: u32, loc: LocKey, write: bool, cur: Access) -> bool {
        let RaceDetector {
            clocks,
            globals,
            items,
            cells,
            pending,
            ..
        } = self;
        let sh = match loc {
            LocKey::Global(i) => globals.get_mut(i as usize),
            LocKey::Item(i) => items.get_mut(i as usize),
            LocKey::Cell(id) => cells.get_mut(&id),
        };
        let Some(sh) = sh else { return false };
        let clock = &clocks[t as usize];
        let ordered = |a: &Access| a.clock == 0 || a.tid == t || a.clock <= clock.get(a.tid);
        let mut pair = |a: Access, aw: bool| {
            pending.push(Pair {
                loc,
                earlier: a,
                earlier_write: aw,
                later: cur,
                later_write: write,
            })
        };
        if write {
            if !ordered(&sh.write) {
                pair(sh.write, true);
            }
            if sh.shared.is_empty() {
                if !ordered(&sh.read) {
                    pair(sh.read, false);
                }
            } else {
                if let Some(r) = sh.shared.iter().find(|r| !ordered(r)) {
                    pair(*r, false);
                }
                sh.shared = Vec::new();
                sh.read = Access::default();
            }
            sh.write = cur;
        } else {
            if !ordered(&sh.write) {
                pair(sh.write, true);
            }
            if !sh.shared.is_empty() {
                match sh.shared.iter_mut().find(|r| r.tid == t) {
                    Some(r) => *r = cur,
                    None => {
                        if sh.shared.len() >= MAX_SHARED_READS {
                            sh.shared.remove(0);
                        }
                        sh.shared.push(cur);
                    }
                }
            } else if ordered(&sh.read) {
                sh.read = cur;
            } else {
                sh.shared = vec![sh.read, cur];
                sh.read = Access::default();
            }
        }
        !pending.is_empty()
    }
}

impl Vm {
    /// Attaches a race detector to this run (before its first instruction).
    pub fn attach_race_detector(&mut self, max_locations: usize) {
        self.races = Some(Box::new(RaceDetector::new(
            self.globals.len(),
            max_locations,
        )));
    }

    /// An access to `loc` by the current thread at (code, pc): checked against the location's
    /// shadow state. Called by the interpreter's `RACES` loop and by the slow path when a
    /// detector is attached.
    #[inline(never)]
    pub fn race_access(&mut self, loc: LocKey, write: bool, code: u32, pc: u32) {
        let t = self.current;
        let Some(d) = self.races.as_mut() else { return };
        if d.access(t, loc, write, code, pc) {
            self.races_pending();
        }
    }

    /// `LOAD_METHOD` of `name` on `obj` (`obj.name(...)`): a read of the attribute when it is
    /// the instance's own (`self.callback()`, set in `__init__`) or the class's when `obj` is
    /// a class (`Config.handler()`). A method found on the class of an instance is the class's
    /// definition, not a shared location the program writes.
    #[cold]
    #[inline(never)]
    pub fn race_method_read(&mut self, obj: Value, name: u32, code: u32, pc: u32) {
        let Value::Obj(id) = obj else { return };
        let own = match self.rt.heap.get(id) {
            Obj::Instance(i) => i.attrs.contains_key(&name),
            Obj::Class(_) => true,
            _ => false,
        };
        if !own {
            return;
        }
        if let Some(loc) = self.attr_loc(obj, name) {
            self.race_access(LocKey::Item(loc), false, code, pc);
        }
    }

    /// Reports the pairs the last check found.
    #[cold]
    #[inline(never)]
    fn races_pending(&mut self) {
        let Some(d) = self.races.as_mut() else { return };
        let found = std::mem::take(&mut d.pending);
        for p in &found {
            self.race_found(*p);
        }
        if let Some(d) = self.races.as_mut() {
            d.pending = found;
            d.pending.clear();
        }
    }

    /// A racing pair: counted once per pair of source lines, described in full for the first
    /// [`REPORTS_KEPT`].
    #[cold]
    #[inline(never)]
    fn race_found(&mut self, p: Pair) {
        let line = |code: u32, pc: u32| crate::vm::traceback::line_of(&self.prog, code, pc);
        let a = (p.earlier.code, line(p.earlier.code, p.earlier.pc));
        let b = (p.later.code, line(p.later.code, p.later.pc));
        let key = if a <= b { (a, b) } else { (b, a) };
        let Some(d) = self.races.as_mut() else { return };
        if !d.seen.insert(key) {
            return;
        }
        d.count += 1;
        let (location, kind) = self.race_location(p.loc, &p.later);
        let Some(d) = self.races.as_ref() else { return };
        let keep = d.races.len() < REPORTS_KEPT;
        let new_loc = !d.locations.contains(&location);
        let race = keep.then(|| Race {
            location: location.clone(),
            kind,
            earlier: self.race_side(&p.earlier, p.earlier_write),
            later: self.race_side(&p.later, p.later_write),
        });
        let note = RaceNote {
            location: location.clone(),
            earlier_tid: p.earlier.tid,
            earlier_write: p.earlier_write,
            earlier_line: a.1,
            later_write: p.later_write,
        };
        let Some(d) = self.races.as_mut() else { return };
        if d.recent.len() >= RECENT_KEPT {
            d.recent.pop_front();
        }
        d.recent.push_back(note);
        if new_loc {
            d.locations.push(location);
        }
        if let Some(r) = race {
            d.races.push(r);
        }
    }

    fn race_side(&self, a: &Access, write: bool) -> RaceAccess {
        let locks = match self.races.as_ref() {
            Some(d) => d
                .lockset(a.locks)
                .iter()
                .map(|&l| self.lock_name(ObjId(l)))
                .collect(),
            None => Vec::new(),
        };
        RaceAccess {
            thread: self
                .threads
                .get(a.tid as usize)
                .map_or_else(|| format!("T{}", a.tid), |t| t.name.clone()),
            write,
            code: a.code,
            pc: a.pc,
            locks,
        }
    }

    /// A lock as the program names it: the global that holds it (or the `Condition` built on
    /// it), else its kind and line.
    fn lock_name(&self, id: ObjId) -> String {
        let prog = &self.prog;
        for (i, g) in self.globals.iter().enumerate() {
            if g.value == Value::Obj(id) && i < prog.names.len() {
                return prog.names[i].clone();
            }
        }
        for (i, g) in self.globals.iter().enumerate() {
            if let Value::Obj(c) = g.value {
                if let Obj::Sync(SyncObj::Condition(c)) = self.rt.heap.get(c) {
                    if c.lock == id && i < prog.names.len() {
                        return prog.names[i].clone();
                    }
                }
            }
        }
        match self.rt.heap.get(id) {
            Obj::Sync(s @ (SyncObj::Lock(_) | SyncObj::RLock(_))) => {
                let site = s.created();
                format!(
                    "the {} created at line {}",
                    s.type_name(),
                    crate::vm::traceback::line_of(prog, site.code, site.pc)
                )
            }
            _ => "a lock".to_string(),
        }
    }

    /// The name of a racing location, as the program spells it where the access shows it, and
    /// its kind.
    fn race_location(&self, loc: LocKey, at: &Access) -> (String, &'static str) {
        let prog = &self.prog;
        let Some(code) = prog.codes.get(at.code as usize) else {
            return (self.location_name(loc), "a location");
        };
        let ins = code.instrs.get(at.pc as usize).copied();
        let src = self.span_text(at.code, at.pc);
        match loc {
            LocKey::Global(slot) => (prog.names[slot as usize].clone(), "a global"),
            LocKey::Cell(_) => {
                let name = match ins {
                    Some(i) => code.localsplus_name(i.arg as usize).to_string(),
                    None => "a closure variable".to_string(),
                };
                (name, "a closure variable")
            }
            LocKey::Item(i) => {
                let item = &self.items.locs[i as usize];
                let attr = ins.is_some_and(|i| {
                    matches!(
                        i.op,
                        crate::bytecode::Opcode::LOAD_ATTR
                            | crate::bytecode::Opcode::STORE_ATTR
                            | crate::bytecode::Opcode::LOAD_METHOD
                    )
                });
                if attr {
                    let name = ins.map_or("", |i| prog.names[i.arg as usize].as_str());
                    // `self.count`: the span of the attribute access, when it ends with the
                    // attribute's name.
                    // A method call's span is the whole call (`self.handler(-1)`): up to the
                    // name.
                    let dotted = format!(".{name}");
                    let spelled = src
                        .as_deref()
                        .map(str::trim)
                        .map(|s| match s.find(&format!("{dotted}(")) {
                            Some(i) => &s[..i + dotted.len()],
                            None => s,
                        })
                        .filter(|s| s.ends_with(&dotted) && !s.contains('\n'));
                    let kind = if item.attr.is_some() {
                        "an attribute"
                    } else {
                        "a class attribute"
                    };
                    return (
                        spelled.map_or_else(|| self.item_desc(i), str::to_string),
                        kind,
                    );
                }
                let kind = if item.desc().ends_with("of a list") {
                    "a list item"
                } else {
                    "a dict item"
                };
                // `balances['alice']`: the container as the source spells it, then the key.
                let container = src.as_deref().and_then(|s| {
                    let s = s.trim();
                    let open = s.find('[')?;
                    let head = s[..open].trim();
                    let simple = !head.is_empty()
                        && head
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
                    simple.then(|| head.to_string())
                });
                match container {
                    Some(c) => (format!("{c}{}", item.shown()), kind),
                    None => (item.desc().to_string(), kind),
                }
            }
        }
    }

    /// The source text of instruction `pc` of `code` (its span), if it is the program's own.
    pub fn span_text(&self, code: u32, pc: u32) -> Option<String> {
        if code >= self.prelude.start {
            return None;
        }
        let span = self.prog.codes.get(code as usize)?.spans.get(pc as usize)?;
        self.prog
            .source
            .get(span.start as usize..span.end as usize)
            .map(str::to_string)
    }

    /// The summary's line (with its newline): `gilvm: races: none`, or how many and on what.
    pub fn races_summary(&self) -> String {
        use crate::vm::summary::grouped;
        let Some(d) = self.races.as_ref() else {
            return String::new();
        };
        let mut s = if d.count == 0 {
            "gilvm: races: none".to_string()
        } else {
            format!(
                "gilvm: races: {} (on {})",
                grouped(d.count),
                d.locations.join(", ")
            )
        };
        if d.count as usize > d.races.len() {
            s.push_str(&format!("; the first {} are reported", d.races.len()));
        }
        if d.untracked > 0 {
            s.push_str(&format!(
                "; {} to locations past the first {} were not checked",
                crate::vm::summary::plural(d.untracked, "access", "accesses"),
                grouped(d.max_locations as u64)
            ));
        }
        if let Some(n) = d.stopped {
            s.push_str(&format!(
                "; detection stopped at {} threads, when their vector clocks outgrew {} entries",
                grouped(n as u64),
                grouped(MAX_CLOCK_ENTRIES as u64)
            ));
        }
        s.push('\n');
        s
    }

    /// `parent` started thread `child`.
    pub fn race_start(&mut self, parent: Tid, child: Tid) {
        if let Some(d) = self.races.as_mut() {
            d.start(parent, child);
        }
    }

    /// `joiner`'s join of `ended` returns.
    pub fn race_joined(&mut self, joiner: Tid, ended: Tid) {
        if let Some(d) = self.races.as_mut() {
            d.joined(joiner, ended);
        }
    }

    /// The current thread releases `obj` (role `role`).
    pub fn race_release(&mut self, obj: ObjId, role: u8) {
        let t = self.current;
        if let Some(d) = self.races.as_mut() {
            d.release(t, (obj.0, role), false);
        }
    }

    /// Thread `t` acquires `obj` (role `role`).
    pub fn race_acquire(&mut self, t: Tid, obj: ObjId, role: u8) {
        if let Some(d) = self.races.as_mut() {
            d.acquire(t, (obj.0, role));
        }
    }

    /// Thread `t` took lock `obj`: acquires its clock and adds it to `t`'s lockset.
    pub fn race_lock_taken(&mut self, t: Tid, obj: ObjId) {
        if let Some(d) = self.races.as_mut() {
            d.acquire(t, (obj.0, role::MAIN));
            d.lock_held(t, obj.0);
        }
    }

    /// Lock `obj`, held by `owner`, was released by the current thread.
    pub fn race_lock_released(&mut self, owner: Option<Tid>, obj: ObjId) {
        let t = self.current;
        if let Some(d) = self.races.as_mut() {
            d.release(t, (obj.0, role::MAIN), owner == Some(t));
            d.lock_dropped(owner.unwrap_or(t), obj.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d() -> RaceDetector {
        RaceDetector::new(4, 16)
    }

    fn races(d: &mut RaceDetector, t: u32, write: bool) -> usize {
        d.access(t, LocKey::Global(0), write, 0, 0);
        let n = d.pending.len();
        d.pending.clear();
        n
    }

    #[test]
    fn vector_clock_join_is_the_entrywise_maximum() {
        let mut a = Vc(vec![(0, 3), (2, 1)]);
        a.join(&Vc(vec![(1, 4), (2, 5), (7, 1)]));
        assert_eq!(a, Vc(vec![(0, 3), (1, 4), (2, 5), (7, 1)]));
        assert_eq!(a.get(3), 0);
        // In place, and a partial in-place update is not left behind by the merge.
        a.join(&Vc(vec![(1, 9), (7, 0)]));
        assert_eq!(a, Vc(vec![(0, 3), (1, 9), (2, 5), (7, 1)]));
        a.join(&Vc(vec![(0, 8), (5, 2)]));
        assert_eq!(a, Vc(vec![(0, 8), (1, 9), (2, 5), (5, 2), (7, 1)]));
    }

    #[test]
    fn unordered_write_and_read_race_and_start_join_order_them() {
        let mut x = d();
        x.start(0, 1);
        x.start(0, 2);
        assert_eq!(races(&mut x, 1, true), 0);
        assert_eq!(races(&mut x, 2, false), 1, "write then unordered read");
        let mut y = d();
        assert_eq!(races(&mut y, 0, true), 0);
        y.start(0, 1);
        assert_eq!(races(&mut y, 1, true), 0, "main's write before start()");
        y.joined(0, 1);
        assert_eq!(races(&mut y, 0, false), 0, "main's read after join()");
    }

    #[test]
    fn a_lock_orders_and_concurrent_reads_are_no_race() {
        let mut x = d();
        x.start(0, 1);
        x.start(0, 2);
        x.acquire(1, (9, 0));
        assert_eq!(races(&mut x, 1, true), 0);
        x.release(1, (9, 0), true);
        x.acquire(2, (9, 0));
        assert_eq!(races(&mut x, 2, true), 0);
        x.release(2, (9, 0), true);
        // Thread 1 takes the lock again (its own release is not the last): ordered after 2.
        x.acquire(1, (9, 0));
        assert_eq!(races(&mut x, 1, false), 0);
        // A merge (a barrier's arrivals) may leave the object knowing more than the last
        // thread to arrive: its acquire is not skipped.
        let mut y = d();
        y.start(0, 1);
        y.start(0, 2);
        assert_eq!(races(&mut y, 1, true), 0);
        y.release(1, (7, 0), false);
        y.release(2, (7, 0), false);
        y.acquire(2, (7, 0));
        assert_eq!(races(&mut y, 2, false), 0);
        // Two unordered reads, then a write by a third thread races with both (reported once
        // per write, against one of them).
        let mut y = d();
        y.start(0, 1);
        y.start(0, 2);
        y.start(0, 3);
        assert_eq!(races(&mut y, 1, false), 0);
        assert_eq!(races(&mut y, 2, false), 0);
        assert_eq!(races(&mut y, 3, true), 1);
    }

    #[test]
    fn locksets_are_interned() {
        let mut x = d();
        x.lock_held(1, 5);
        x.lock_held(1, 3);
        assert_eq!(x.lockset(x.lockset_of[1]), &[3, 5]);
        x.lock_dropped(1, 5);
        x.lock_dropped(1, 3);
        assert_eq!(x.lockset_of[1], 0);
    }

    #[test]
    fn the_location_table_is_bounded() {
        let mut x = RaceDetector::new(1, 2);
        for i in 0..5 {
            x.access(0, LocKey::Item(i), true, 0, 0);
        }
        assert_eq!(x.items.len(), 2);
        assert_eq!(x.untracked, 3);
    }
}
