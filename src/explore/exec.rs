//! One execution of an exploration: a fresh VM from the compiled image, driven turn by turn
//! through [`Vm::turn`] with a chooser of the explorer's (or the seeded scheduler), the
//! footprint of every step observed, and what the run produced gathered into an [`Exec`].
//!
//! A *step* is the unit an explorer chooses: one thread runs to the next switch point of the
//! GIL model, and under the models that may switch anywhere (`any`, `nogil`) on through every
//! following instruction that touches nothing shared, since a switch before an invisible
//! instruction is equivalent to a switch after it (`Length::Step`, run by the driver in
//! `vm/explore_step.rs`, which records the step's touches as it goes). When the chooser would
//! let the same thread go on ([`Ctl::goes_on`]), the boundary between its steps is taken
//! inside the interpreter (`vm/xturn.rs`, through `Hook`), the step recorded by the same
//! code (`Shared::record`) as the loop here records the others.
//!
//! A depth-first execution's replayed steps may instead be fast-forwarded
//! ([`Ctl::fast_forward`]): the chooser hands back their recorded lengths, the strategy asks
//! for a plain turn of their total (`Length::Steps`), and `Shared::record_fast` books each
//! step as `record` books a replayed one.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use smallvec::SmallVec;

use crate::vm::driver::{Ending, Turn};
use crate::vm::explore_step::StepTouches;
use crate::vm::interp::SliceEnd;
use crate::vm::machine::{RunConfig, Vm};
use crate::vm::observe::{Loc, SyncOp, Touch};
use crate::vm::prelude::LocalImage;
use crate::vm::scheduler::{Length, Pick, Strategy, TurnCtx, TurnDone};
use crate::vm::thread::Tid;
use crate::vm::value::ObjId;
use crate::vm::xturn::{HookSlot, TurnHook};

/// How much of one execution's stdout is kept (an exploration holds one per distinct outcome).
pub const MAX_OUTPUT_KEPT: usize = 64 * 1024;

/// A `Write` into a shared buffer that keeps the first [`MAX_OUTPUT_KEPT`] bytes and counts
/// the rest.
#[derive(Clone, Default)]
struct SharedOut(Rc<RefCell<(Vec<u8>, u64)>>);

impl SharedOut {
    fn take(&self) -> Vec<u8> {
        let (mut kept, cut) = std::mem::take(&mut *self.0.borrow_mut());
        if cut > 0 {
            kept.extend_from_slice(
                format!("\n[gilvm explore: output cut after {MAX_OUTPUT_KEPT} bytes; {cut} more bytes]\n")
                    .as_bytes(),
            );
        }
        kept
    }
}

impl Write for SharedOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut o = self.0.borrow_mut();
        let room = MAX_OUTPUT_KEPT - o.0.len();
        let keep = room.min(buf.len());
        o.0.extend_from_slice(&buf[..keep]);
        o.1 += (buf.len() - keep) as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What one step touched: the shared locations it read and wrote, and the sync objects it used.
///
/// Each list has a 64-bit summary beside it (a bit per location's base: the global, the cell,
/// the object an item or attribute belongs to; see [`base_bit`]), so that the dependence test
/// the race analysis runs on every pair of steps rejects most independent pairs with three
/// ANDs. Two touches that may overlap always share a bit, so the summary never hides a
/// dependence. Small lists are kept inline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fp {
    pub reads: SmallVec<[Loc; 2]>,
    pub writes: SmallVec<[Loc; 2]>,
    pub syncs: SmallVec<[(ObjId, SyncOp); 1]>,
    /// The step depends on the virtual clock (`vm::explore_step::StepTouches::clock`): it is
    /// dependent with every step of another thread.
    pub clock: bool,
    rmask: u64,
    wmask: u64,
    smask: u64,
}

/// The summary bit of a location: of its base (a global's name, a cell, the object an item
/// or attribute belongs to), so that overlapping locations share it.
#[inline]
fn base_bit(l: Loc) -> u64 {
    let (kind, id) = match l {
        Loc::Global(g) => (1u64, g as u64),
        Loc::Cell(o) => (2, o.0 as u64),
        Loc::Item(o, _) | Loc::Obj(o) => (3, o.0 as u64),
    };
    1u64 << ((id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ kind.wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
        >> 58)
}

#[inline]
fn obj_bit(o: ObjId) -> u64 {
    1u64 << ((o.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

impl Fp {
    #[inline]
    pub fn add(&mut self, t: Touch) {
        match t {
            Touch::Read(l) if !self.reads.contains(&l) => {
                self.rmask |= base_bit(l);
                self.reads.push(l)
            }
            Touch::Write(l) if !self.writes.contains(&l) => {
                self.wmask |= base_bit(l);
                self.writes.push(l)
            }
            Touch::Sync(o, op) if !self.syncs.contains(&(o, op)) => {
                self.smask |= obj_bit(o);
                self.syncs.push((o, op))
            }
            _ => {}
        }
    }

    pub fn merge(&mut self, other: &Fp) {
        self.clock |= other.clock;
        for &l in &other.reads {
            self.add(Touch::Read(l));
        }
        for &l in &other.writes {
            self.add(Touch::Write(l));
        }
        for &(o, op) in &other.syncs {
            self.add(Touch::Sync(o, op));
        }
    }

    pub fn clear(&mut self) {
        self.reads.clear();
        self.writes.clear();
        self.syncs.clear();
        self.clock = false;
        self.rmask = 0;
        self.wmask = 0;
        self.smask = 0;
    }

    pub fn is_empty(&self) -> bool {
        self.reads.is_empty() && self.writes.is_empty() && self.syncs.is_empty() && !self.clock
    }

    /// Whether the order of two steps can matter: the same location with one write, or the
    /// same sync object (two queries aside).
    pub fn depends_on(&self, other: &Fp) -> bool {
        self.may_conflict(other) && self.conflicts(other, false)
    }

    /// Whether two steps are in a race when they are not ordered otherwise: dependent, except
    /// a lock's release (or a condition's `wait`, which releases it) against its acquire:
    /// that order is the lock's own, and the acquire that follows a release races with the
    /// acquire before it (as in Nidhugg's source-DPOR).
    pub fn races_with(&self, other: &Fp) -> bool {
        self.may_conflict(other) && self.conflicts(other, true)
    }

    /// The summaries' verdict: `false` when no touch of one can overlap a touch of the other.
    #[inline]
    fn may_conflict(&self, other: &Fp) -> bool {
        self.clock
            || other.clock
            || (self.wmask & (other.wmask | other.rmask))
                | (other.wmask & self.rmask)
                | (self.smask & other.smask)
                != 0
    }

    fn conflicts(&self, other: &Fp, race: bool) -> bool {
        if self.clock || other.clock {
            return true;
        }
        let hits = |ws: &[Loc], xs: &[Loc]| ws.iter().any(|w| xs.iter().any(|x| w.overlaps(*x)));
        hits(&self.writes, &other.writes)
            || hits(&self.writes, &other.reads)
            || hits(&other.writes, &self.reads)
            || self.syncs.iter().any(|&(a, opa)| {
                other.syncs.iter().any(|&(b, opb)| {
                    a == b
                        && !(opa == SyncOp::Query && opb == SyncOp::Query)
                        && !(race
                            && matches!(
                                (opa, opb),
                                (SyncOp::Acquire, SyncOp::Release | SyncOp::Wait)
                                    | (SyncOp::Release | SyncOp::Wait, SyncOp::Acquire)
                            ))
                })
            })
    }
}

/// The explorer's side of a driven execution: who runs each step, which waiter a hand-off
/// wakes, and what it is told after each step.
pub trait Ctl {
    /// The thread to run next among `runnable` (sorted), `None` to abandon the execution.
    /// `prev` is the thread whose step just ended at a switch point and could go on.
    fn choose(&mut self, runnable: &[Tid], prev: Option<Tid>) -> Option<Tid>;
    /// Which of the waiters `tids` a hand-off wakes (an index).
    fn waiter(&mut self, tids: &[Tid]) -> usize;
    /// Where the footprint of the step that runs now is written (`None`: the chooser does
    /// not keep it). The driver empties it and adds the step's touches when the step ends,
    /// before [`Ctl::step_done`].
    fn footprint(&mut self) -> Option<&mut Fp> {
        None
    }
    /// Whether [`Ctl::footprint`] already holds the footprint of the step that runs now (a
    /// step replayed exactly, recorded by an earlier execution): the driver then leaves it
    /// as it is and only carries a blocked thread's wait into its next step.
    fn footprint_kept(&self) -> bool {
        false
    }
    /// A step ended (its footprint written, see [`Ctl::footprint`]): how it ended.
    fn step_done(&mut self, tid: Tid, end: &SliceEnd);
    /// The step whose footprint was just written ran `steps` instructions and ended `end`,
    /// its thread at source line `line` after it and carrying `carried` into its next step
    /// (a blocked call's wait; called before [`Ctl::step_done`], only for a step recorded
    /// afresh): what a later replay of it needs to fast-forward through it
    /// ([`Ctl::fast_forward`]).
    fn step_ran(&mut self, steps: u64, end: &SliceEnd, line: u32, carried: &[Touch]) {
        let _ = (steps, end, line, carried);
    }
    /// Whether the step [`Ctl::choose`] just chose replays exactly a step an earlier
    /// execution recorded (its footprint kept), one that did not die, released no lock, woke
    /// no chosen waiter and did not read the clock: then the chooser also takes, as if it
    /// had chosen each, the steps after it that are such replays by the same thread, and
    /// writes into `out` (emptied) each step's instructions, the line its thread stood at
    /// after it and how it ended (`Budget`, `Finished` or `Blocked`; only the last can end
    /// otherwise than `Budget`). The driver runs them as one plain turn of their total
    /// length, with the interpreter's hot loop, without looking at each instruction (the
    /// fast-forward of a replayed prefix; see `explore/dfs.rs`). `false`: an ordinary step.
    fn fast_forward(&mut self, out: &mut Vec<(u64, u32, SliceEnd)>) -> bool {
        let _ = out;
        false
    }
    /// What the last step [`Ctl::fast_forward`] took carried into its thread's next step
    /// when it blocked (as [`Ctl::step_ran`] was told).
    fn fast_carried(&self) -> &[Touch] {
        &[]
    }
    /// Whether the next [`Ctl::choose`] will answer with a step that [`Ctl::fast_forward`]
    /// takes (no side effect): the turn loop inside the interpreter then leaves the boundary
    /// to the driver.
    fn next_replayed(&self) -> bool {
        false
    }
    /// A fast-forwarded turn did not run as its steps were recorded (a nondeterminism:
    /// never expected).
    fn replay_diverged(&mut self) {}
    /// Whether [`Ctl::choose`] would choose `prev` among `runnable` (sorted), `prev`'s step
    /// having ended at a switch point: with no side effect, and exactly (a `true` that
    /// `choose` then contradicts would run the wrong thread). `false` is always safe: the
    /// driver then takes the step boundary (the explorer's turn loop, `vm/xturn.rs`, takes it
    /// inside the interpreter when this says `true`).
    fn goes_on(&self, runnable: &[Tid], prev: Tid) -> bool {
        let _ = (runnable, prev);
        false
    }
    /// Whether the execution's lost-update story is wanted ([`Exec::lost_story`]: formatting
    /// it for every execution would cost more than running a small one).
    fn wants_story(&self) -> bool {
        false
    }
    /// Whether the chooser needs the steps' footprints (else they are not gathered).
    fn observes(&self) -> bool {
        true
    }
    /// Whether the driver steps one instruction at a time instead of running the invisible
    /// ones inside the interpreter (`vm/explore_stops.rs`): the same steps, slower (its tests
    /// compare the two).
    fn single_step(&self) -> bool {
        false
    }
}

/// A controller that only runs the seeded scheduler (`--strategy random`).
pub struct Seeded;

/// The log of a driven execution: its turns (thread, instructions, ended by the budget) and
/// waiter choices (position among the turns, thread), in the order they were made.
#[derive(Clone, Debug, Default)]
pub struct TurnLog {
    pub turns: Vec<(Tid, u64, bool)>,
    /// The source line each turn's thread stands at after the turn (0 when it has ended).
    pub lines: Vec<u32>,
    pub wakes: Vec<(usize, Tid)>,
}

struct Shared<C> {
    ctl: C,
    sorted: Vec<Tid>,
    /// [`Hook::goes_on`] handed the chooser `sorted`, a sorted copy of the run queue (else
    /// the queue itself, in order).
    sorted_copy: bool,
    log: TurnLog,
    abandoned: bool,
    /// The chooser keeps the steps' footprints ([`Ctl::observes`]).
    observes: bool,
    /// Each thread's touches carried into its next step (a blocked call's wait).
    carried: Vec<Vec<Touch>>,
    /// The footprint of a step when the chooser keeps none ([`Ctl::footprint`]).
    fp: Fp,
    /// Replayed steps may be fast-forwarded ([`Ctl::fast_forward`]): the model's steps
    /// extend through invisible instructions (`any`, `nogil`), and neither the race detector
    /// nor single-stepping looks at each instruction.
    ff: bool,
    /// The steps of the running turn when it is fast-forwarded ([`Ctl::fast_forward`]):
    /// each one's instructions, line after it and end; empty for an ordinary turn.
    ff_steps: Vec<(u64, u32, SliceEnd)>,
}

impl<C: Ctl> Shared<C> {
    /// Records a step of `tid` that ran `steps` instructions and ended `end`, its thread at
    /// `line` after it (`obj`: its `Thread` object): the turn log, and the step's footprint,
    /// written straight into the chooser's record of the step when it keeps one
    /// ([`Ctl::footprint`]): the touches of its instructions, the last one's only if it did
    /// more than wait; a woken thread's wait completes now.
    fn record(
        &mut self,
        rec: Option<(&StepTouches, usize)>,
        obj: Option<ObjId>,
        tid: Tid,
        steps: u64,
        end: &SliceEnd,
        line: u32,
    ) {
        self.log.turns.push((tid, steps, *end == SliceEnd::Budget));
        self.log.lines.push(line);
        if !self.observes && self.ctl.footprint().is_none() {
            // No footprint is kept (PCT): nothing to gather, nothing carried.
            self.ctl.step_done(tid, end);
            return;
        }
        let t = tid as usize;
        if self.ctl.footprint_kept() {
            self.carry_only(rec, t, end);
            self.ctl.step_done(tid, end);
            return;
        }
        let fp: &mut Fp = match self.ctl.footprint() {
            Some(f) => f,
            None => &mut self.fp,
        };
        fp.clear();
        let carried = &mut self.carried;
        if carried.len() <= t {
            carried.resize(t + 1, Vec::new());
        }
        if !carried[t].is_empty() {
            for w in carried[t].drain(..) {
                fp.add(w);
            }
        }
        if let Some((rec, len)) = rec.filter(|_| self.observes) {
            let all = &rec.all[..len.min(rec.all.len())];
            fp.clock = rec.clock;
            let last = rec.last.min(all.len());
            for &x in &all[..last] {
                fp.add(x);
            }
            let blocked = *end == SliceEnd::Blocked;
            for &x in &all[last..] {
                if blocked && only_waits(&x) {
                    carried[t].push(x);
                    // A blocked acquire also races with the holder's acquire: the
                    // other order, this thread taking the lock first, is another
                    // trace. Carried alone, the attempt was ordered after the
                    // holder's release (which wakes it), and a deadlock whose lock
                    // order showed only that way went unexplored.
                    if let Touch::Sync(_, SyncOp::Acquire) = x {
                        fp.add(x);
                    }
                } else {
                    fp.add(x);
                    if let (true, Touch::Sync(o, SyncOp::Wait)) = (blocked, x) {
                        // A condition's waiter takes its lock again when woken.
                        carried[t].push(Touch::Sync(o, SyncOp::Acquire));
                    }
                }
            }
        }
        if matches!(end, SliceEnd::Finished | SliceEnd::Died(_)) {
            // The end of a thread is what `join` waits for.
            if let Some(o) = obj {
                fp.add(Touch::Sync(o, SyncOp::Signal));
            }
        }
        self.ctl.step_ran(steps, end, line, &self.carried[t]);
        self.ctl.step_done(tid, end);
    }

    /// Records a fast-forwarded turn of `tid` ([`Ctl::fast_forward`]) that ran `steps`
    /// instructions and ended `end`, its thread at `line` after it: each of its steps as
    /// [`Shared::record`] records a replayed one.
    fn record_fast(&mut self, tid: Tid, steps: u64, end: &SliceEnd, line: u32) {
        let total: u64 = self.ff_steps.iter().map(|s| s.0).sum();
        if total != steps || self.ff_steps.last().is_none_or(|s| s.2 != *end) {
            self.ctl.replay_diverged();
            self.abandoned = true;
        }
        let t = tid as usize;
        if self.carried.len() <= t {
            self.carried.resize(t + 1, Vec::new());
        }
        let k = self.ff_steps.len();
        for (i, (n, l, e)) in self.ff_steps.iter().enumerate() {
            let last = i + 1 == k;
            self.log.turns.push((tid, *n, *e == SliceEnd::Budget));
            self.log.lines.push(if last { line } else { *l });
            // What the thread carried is used up by the step; a blocked call's wait is
            // carried into the next one (`Shared::carry_only`), as recorded.
            self.carried[t].clear();
            if last && *end == SliceEnd::Blocked {
                self.carried[t].extend_from_slice(self.ctl.fast_carried());
            }
            self.ctl.step_done(tid, e);
        }
        self.ff_steps.clear();
    }

    /// [`Shared::record`]'s carrying of waits for a step whose footprint is kept: what the
    /// thread carried is used up by this step, and a blocked call's wait is carried into its
    /// next one, as when the footprint is written.
    fn carry_only(&mut self, rec: Option<(&StepTouches, usize)>, t: usize, end: &SliceEnd) {
        let carried = &mut self.carried;
        if carried.len() <= t {
            carried.resize(t + 1, Vec::new());
        }
        carried[t].clear();
        if *end != SliceEnd::Blocked {
            return;
        }
        if let Some((rec, len)) = rec.filter(|_| self.observes) {
            let all = &rec.all[..len.min(rec.all.len())];
            let last = rec.last.min(all.len());
            for &x in &all[last..] {
                if only_waits(&x) {
                    carried[t].push(x);
                } else if let Touch::Sync(o, SyncOp::Wait) = x {
                    carried[t].push(Touch::Sync(o, SyncOp::Acquire));
                }
            }
        }
    }
}

/// The explorer's side of the turn loop inside the interpreter (`vm/xturn.rs`): the chooser
/// asked and the step recorded as [`Driven`] and the execution's loop do it.
struct Hook<C: Ctl>(Rc<RefCell<Shared<C>>>);

impl<C: Ctl> TurnHook for Hook<C> {
    fn goes_on(&mut self, vm: &Vm, tid: Tid) -> bool {
        let mut s = self.0.borrow_mut();
        let s = &mut *s;
        let queue = &vm.sched.queue;
        if !queue.contains(tid) {
            return false;
        }
        if s.ff && s.ctl.next_replayed() {
            // The driver fast-forwards the next step.
            return false;
        }
        // The runnable threads as `Driven::next_turn` hands them to the chooser: the queue
        // itself when it is in order (`next_step` then reads it again, unchanged), else a
        // sorted copy of it.
        let q = queue.as_slice();
        if q.is_sorted() {
            s.sorted_copy = false;
            return s.ctl.goes_on(q, tid);
        }
        s.sorted_copy = true;
        s.sorted.clear();
        s.sorted.extend_from_slice(q);
        s.sorted.sort_unstable();
        s.ctl.goes_on(&s.sorted, tid)
    }

    fn next_step(
        &mut self,
        vm: &Vm,
        rec: &StepTouches,
        end: usize,
        tid: Tid,
        steps: u64,
        line: u32,
    ) {
        let mut s = self.0.borrow_mut();
        let s = &mut *s;
        s.record(
            Some((rec, end)),
            vm.threads[tid as usize].obj,
            tid,
            steps,
            &SliceEnd::Budget,
            line,
        );
        // The run queue has not changed since `goes_on` looked at it.
        let pick = if s.sorted_copy {
            s.ctl.choose(&s.sorted, Some(tid))
        } else {
            s.ctl.choose(vm.sched.queue.as_slice(), Some(tid))
        };
        debug_assert_eq!(pick, Some(tid), "goes_on and choose disagree");
        if pick != Some(tid) {
            s.abandoned = true;
        }
    }
}

struct Driven<C: Ctl>(Rc<RefCell<Shared<C>>>);

impl<C: Ctl> Strategy for Driven<C> {
    fn next_turn(&mut self, ctx: &TurnCtx<'_>) -> Pick {
        let mut s = self.0.borrow_mut();
        if ctx.queue.is_empty() {
            return Pick::Idle;
        }
        let q = ctx.queue.as_slice();
        let pick = if q.is_sorted() {
            s.ctl.choose(q, ctx.preempted)
        } else {
            let mut sorted = std::mem::take(&mut s.sorted);
            sorted.clear();
            sorted.extend_from_slice(q);
            sorted.sort_unstable();
            let pick = s.ctl.choose(&sorted, ctx.preempted);
            s.sorted = sorted;
            pick
        };
        match pick {
            Some(t) if ctx.queue.contains(t) => {
                // Replayed steps of one thread run as one plain turn of their known length:
                // the same instructions, as the interpreter's hot loop runs them outside an
                // exploration ([`Ctl::fast_forward`]).
                let s = &mut *s;
                if s.ff && s.ctl.fast_forward(&mut s.ff_steps) {
                    let n = s.ff_steps.iter().map(|x| x.0).sum();
                    Pick::Run(t, Length::Steps(n))
                } else {
                    Pick::Run(t, Length::Step)
                }
            }
            other => {
                s.abandoned = true;
                Pick::Diverged(other.unwrap_or(0))
            }
        }
    }

    fn choose_waiter(&mut self, n: usize, tid_of: &dyn Fn(usize) -> Tid) -> usize {
        let tids: Vec<Tid> = (0..n).map(tid_of).collect();
        let mut s = self.0.borrow_mut();
        let i = s.ctl.waiter(&tids).min(n - 1);
        let at = s.log.turns.len();
        s.log.wakes.push((at, tids[i]));
        i
    }

    fn turn_done(&mut self, done: TurnDone) {
        let _ = done;
    }
}

/// Whether a touch of a call that blocked is only a wait (no effect until it returns): an
/// acquire, a join, a queue's get. A condition's `wait` released its lock: that stays.
fn only_waits(t: &Touch) -> bool {
    matches!(
        t,
        Touch::Sync(_, SyncOp::Acquire | SyncOp::Join | SyncOp::Get)
    )
}

thread_local! {
    /// The heap's slots and the turns of this thread's last execution (a size hint).
    static SIZES: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
    /// The step record of this thread's last execution, emptied, with its buffers grown:
    /// a fresh one grew its touch list from nothing in every execution.
    static SPARE_TOUCHES: std::cell::Cell<Option<Box<StepTouches>>> =
        const { std::cell::Cell::new(None) };
    /// What this thread's last execution's VM left for the next one (`vm/vm_reuse.rs`): its
    /// constants and heap, cut back to where they stood before the program ran.
    static SPARE_VM: std::cell::Cell<Option<Box<crate::vm::vm_reuse::Spare>>> =
        const { std::cell::Cell::new(None) };
    /// The list of fast-forwarded steps of this thread's last execution (`Shared::ff_steps`),
    /// emptied: a new one grew from nothing in every execution.
    static SPARE_FF: std::cell::Cell<Vec<(u64, u32, SliceEnd)>> =
        const { std::cell::Cell::new(Vec::new()) };
}

/// An empty step record (the last execution's buffers, on this thread, when there is one).
fn step_record(single_step: bool) -> Box<StepTouches> {
    let mut rec = SPARE_TOUCHES.take().unwrap_or_default();
    let mut all = std::mem::take(&mut rec.all);
    let mut clock_woken = std::mem::take(&mut rec.clock_woken);
    all.clear();
    clock_woken.clear();
    *rec = StepTouches {
        all,
        clock_woken,
        single_step,
        ..StepTouches::default()
    };
    rec
}

/// What one execution produced.
#[derive(Clone, Debug)]
pub struct Exec {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit: i32,
    pub ending: Ending,
    /// Updates erased (net, as the run summary counts) and the stores that erased them.
    pub lost: u64,
    pub lost_stores: u64,
    /// An uncaught exception ended some thread.
    pub died: bool,
    pub steps: u64,
    /// The chooser abandoned it (a sleep set or a bound pruned it): no outcome.
    pub abandoned: bool,
    pub log: TurnLog,
    /// Threads the execution made, the main thread included.
    pub threads: usize,
    /// Their names, for the executions that [want a story](Ctl::wants_story) (the shrinker's:
    /// its schedule file and story name them); empty for the others, which only count them.
    pub thread_names: Vec<String>,
    /// The first lost update, explained (when the chooser [wants it](Ctl::wants_story)).
    pub lost_story: Option<String>,
    /// The data races found (`--races`), as the run's report shows them.
    pub races: Vec<crate::races::RaceView>,
}

/// Runs one execution of `image` under `config`. With `ctl`, the explorer chooses every step
/// (and sees footprints); without, the seeded scheduler of `config.seed` does, as `run` would.
pub fn execute<C: Ctl + 'static>(
    image: &LocalImage,
    config: RunConfig,
    ctl: Option<C>,
) -> (Exec, Option<C>) {
    let out = SharedOut::default();
    let mut err: Vec<u8> = Vec::new();
    let mut vm = match Vm::new_reusing(image, config, Box::new(out.clone()), SPARE_VM.take()) {
        Ok(vm) => vm,
        Err(_) => {
            let exec = Exec {
                stdout: Vec::new(),
                stderr: b"error: the program's constants do not fit in the heap limit\n".to_vec(),
                exit: crate::vm::driver::EXIT_LIMIT,
                ending: Ending::Limit,
                lost: 0,
                lost_stores: 0,
                died: false,
                steps: 0,
                abandoned: false,
                log: TurnLog::default(),
                threads: 0,
                thread_names: Vec::new(),
                lost_story: None,
                races: Vec::new(),
            };
            return (exec, ctl);
        }
    };
    // The heap and the turn log start at the sizes this worker's last execution needed:
    // growing them an element at a time cost 7% of a short execution.
    let (slots, turns) = SIZES.get();
    vm.rt.heap.reserve_slots(slots);
    let observes = ctl.as_ref().is_some_and(|c| c.observes());
    let story = ctl.as_ref().is_some_and(|c| c.wants_story());
    // Without a story the lost updates are only counted: their values are not rendered.
    vm.reuse.explain_lost = story;
    let single_step = ctl.as_ref().is_some_and(|c| c.single_step());
    let model = vm.gil.model;
    let ff = observes
        && !single_step
        && !(model.has_switch_points() || model.may_reacquire())
        && vm.races.is_none()
        && vm.tracer.is_none();
    let shared = ctl.map(|c| {
        Rc::new(RefCell::new(Shared {
            ctl: c,
            sorted: Vec::new(),
            sorted_copy: false,
            log: TurnLog {
                turns: Vec::with_capacity(turns),
                lines: Vec::with_capacity(turns),
                wakes: Vec::new(),
            },
            abandoned: false,
            observes,
            carried: Vec::new(),
            fp: Fp::default(),
            ff,
            ff_steps: SPARE_FF.take(),
        }))
    });
    if let Some(s) = &shared {
        vm.set_strategy(Box::new(Driven(s.clone())));
        // Steps end before visible instructions, which the record is needed to see.
        let mut rec = step_record(single_step);
        if !single_step {
            rec.hook = HookSlot(Some(Box::new(Hook(s.clone()))));
        }
        vm.step_touches = Some(rec);
    }
    let mut died = false;
    let ending = loop {
        match vm.turn(&mut err) {
            Turn::Ran(r) => {
                if matches!(r.end, SliceEnd::Died(_)) {
                    died = true;
                }
                let Some(s) = &shared else { continue };
                let t = r.tid as usize;
                let line = vm.threads[t]
                    .frames
                    .last()
                    .map_or(0, |f| crate::vm::traceback::line_of(&vm.prog, f.code, f.pc));
                let mut s = s.borrow_mut();
                if !s.ff_steps.is_empty() {
                    s.record_fast(r.tid, r.steps, &r.end, line);
                    continue;
                }
                s.record(
                    vm.step_touches.as_deref().map(|r| (r, r.all.len())),
                    vm.threads[t].obj,
                    r.tid,
                    r.steps,
                    &r.end,
                    line,
                );
            }
            Turn::Waited => {}
            Turn::Ended(e) => break e,
        }
    };
    let _ = vm.rt.stdout.flush();
    let mut lost = 0u64;
    let mut lost_stores = 0u64;
    for t in vm.lost.values().filter(|t| t.events > 0) {
        lost += t.erased.max(0) as u64;
        lost_stores += t.events;
    }
    let lost_story = if story {
        vm.lost_events.first().map(|e| vm.explain_lost(e))
    } else {
        None
    };
    SIZES.set((
        vm.rt.heap.slot_count(),
        shared
            .as_ref()
            .map_or(turns, |s| s.borrow().log.turns.len()),
    ));
    let (abandoned, log, ctl) = match shared {
        Some(s) => {
            let mut rec = vm.step_touches.take();
            if let Some(r) = rec.as_deref_mut() {
                // It holds the shared state too.
                r.hook = HookSlot(None);
            }
            SPARE_TOUCHES.set(rec);
            vm.set_strategy(Box::new(crate::vm::scheduler::Random::new(0)));
            match Rc::try_unwrap(s) {
                Ok(cell) => {
                    let mut sh = cell.into_inner();
                    sh.ff_steps.clear();
                    SPARE_FF.set(std::mem::take(&mut sh.ff_steps));
                    (sh.abandoned, sh.log, Some(sh.ctl))
                }
                Err(_) => (true, TurnLog::default(), None),
            }
        }
        None => (false, TurnLog::default(), None),
    };
    let exec = Exec {
        stdout: out.take(),
        stderr: err,
        exit: ending.exit_code(),
        ending,
        lost,
        lost_stores,
        died,
        steps: vm.steps,
        abandoned,
        log,
        threads: vm.threads.len(),
        thread_names: if story {
            vm.threads.iter().map(|t| t.name.clone()).collect()
        } else {
            Vec::new()
        },
        lost_story,
        races: crate::races::views(&vm),
    };
    SPARE_VM.set(vm.into_spare());
    (exec, ctl)
}

impl Ctl for Seeded {
    fn choose(&mut self, _runnable: &[Tid], _prev: Option<Tid>) -> Option<Tid> {
        None
    }
    fn waiter(&mut self, _tids: &[Tid]) -> usize {
        0
    }
    fn step_done(&mut self, _tid: Tid, _end: &SliceEnd) {}
}
