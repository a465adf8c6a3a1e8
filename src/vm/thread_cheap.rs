//! Issue 21, "threads stay cheap": what keeps an idle thread small and a turn on one of a
//! million runnable threads fast (docs/performance.md, "Issue 21: threads under 1.3 KB, and
//! flat").

use crate::vm::machine::TurnHint;
use crate::vm::machine::Vm;
use crate::vm::prefetch::line;
use crate::vm::thread::{StartCall, Tid};
use crate::vm::value::Value;
use crate::vm::Obj;

impl Vm {
    /// The values a new thread's stack holds once its start call has made its first frame:
    /// the target and its arguments, then (for a Python function) the frame's fast locals
    /// and operand stack, which is what `run_slice_impl` resizes it to (`need`). Reserving
    /// exactly that, instead of a round 16 values plus `do_call`'s spare 8, is 160 bytes
    /// less for an idle thread in `def work(): go.wait(); …`.
    pub(crate) fn first_stack_len(&self, start: &StartCall) -> usize {
        let call = 1 + start.args.len() + start.kwargs.map_or(0, |_| 8);
        let frame = match start.target {
            Value::Obj(id) => match self.rt.heap.get(id) {
                Obj::Function(f) => {
                    let code = &self.prog.codes[f.code as usize];
                    code.nlocalsplus() + code.stacksize as usize + 1
                }
                _ => 0,
            },
            _ => 0,
        };
        call.max(frame)
    }
}

/// From how many runnable threads a turn loads the state of the threads the next turns will
/// run, ahead of time. Below it their state stays in the L2 cache anyway (1,000 runnable
/// threads cost 0.6 ns more per instruction than one, 100,000 cost 6) and the look-up, ≈100
/// x86 instructions a turn, would only cost.
pub const AHEAD_RUNNABLE: usize = 4096;

impl Vm {
    /// `tid` got the GIL with at least [`AHEAD_RUNNABLE`] threads runnable: starts loading
    /// what the next turn will read, and the run-queue entries of the turn after it. A turn
    /// on one of a million runnable threads otherwise waits for its lines one after another:
    /// the run queue's entry for the seeded pick, the `Thread`, its stack slots, the loop's
    /// iterator, with the read log and the queue's position entry beside them.
    ///
    /// The picks are the seeded strategy's, peeked without drawing
    /// ([`crate::vm::scheduler::Scheduler::peek_picks`]). The next turn's thread is found
    /// from its run-queue entry and the turn hint kept beside it (noted when the thread's
    /// last turn was preempted, here, or when it blocked), both loaded by the
    /// turn before: every address is then known at once and no load here waits for a miss
    /// that an earlier guess got wrong. Only the current turn's outcome is unknown, so the
    /// next turn's thread is prefetched under both outcomes that move it: a preemption (the
    /// current thread is skipped) and the thread leaving the queue (it ends or blocks:
    /// [`crate::vm::scheduler::pick_if_left`]). At a million threads half the turns end a
    /// thread, which is what a guess that assumed a preemption every time, four turns
    /// ahead, kept getting wrong. The entries two turns ahead are loaded with their
    /// neighbours: a thread leaving the queue moves that pick by a position or so, in the
    /// same lines. A wrong guess costs useless prefetches, never a different schedule.
    ///
    /// `preempted` is the thread the last turn preempted: its lines are still in the cache,
    /// and its hint is noted here for its next turn.
    #[inline(never)]
    pub(crate) fn prefetch_turns_ahead(&mut self, tid: Tid, preempted: Option<Tid>) {
        self.sched.queue.keep_hints();
        if let Some(p) = preempted {
            if let Some(hint) = self.turn_hint_of(p) {
                self.sched.queue.set_hint(p, hint);
            }
        }
        let Some(pos) = self.sched.queue.position(tid) else {
            return;
        };
        let mut picks = [0usize; 2];
        let n = self.sched.peek_picks(pos, &self.gil, &mut picks);
        let q = &self.sched.queue;
        if n >= 2 {
            let (e, h) = q.entry_addrs(picks[1]);
            line(e);
            line(h.wrapping_sub(1));
            line(h);
            line(h.wrapping_add(1));
        }
        if n >= 1 {
            self.prefetch_queued(picks[0]);
            if !self.gil.model.may_reacquire() {
                let alt = crate::vm::scheduler::pick_if_left(picks[0], pos, q.len());
                if alt != picks[0] {
                    self.prefetch_queued(alt);
                }
            }
        }
    }

    /// Where thread `t`'s next turn reads first: its running frame's stack slots and the
    /// first object among the first eight of them (as `Vm::note_turn_hint` notes it for a
    /// blocked thread).
    fn turn_hint_of(&self, t: Tid) -> Option<TurnHint> {
        let th = self.threads.get(t as usize)?;
        let f = th.frames.last()?;
        let slots = th.stack.get(f.base as usize..)?;
        let obj = self.first_obj_addr(slots);
        Some(TurnHint {
            stack: slots.as_ptr() as usize,
            obj,
        })
    }

    /// The address of the first object among a frame's first eight stack slots (in a loop, the
    /// loop's iterator), or 0: what a turn hint names beside the slots.
    pub(crate) fn first_obj_addr(&self, slots: &[Value]) -> usize {
        slots
            .iter()
            .take(8)
            .find_map(|v| match v {
                Value::Obj(id) => Some(self.rt.heap.addr(*id) as usize),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// Prefetches what a turn of the thread at run-queue position `p` reads first: its
    /// `Thread` (lines 0–2), its run-queue position, its read log's global slots (the first
    /// 64 bytes, which may straddle two lines), and the stack slots and object its turn hint
    /// names. Ten lines at most: a longer list (the whole read log, a third line of stack
    /// slots) measured slower, the CPU's outstanding misses being few.
    #[inline(always)]
    fn prefetch_queued(&self, p: usize) {
        let q = &self.sched.queue;
        let Some(&t) = q.as_slice().get(p) else {
            return;
        };
        let h = q.hint_at(p);
        let th = self.threads.as_ptr().wrapping_add(t as usize) as *const u8;
        line(th);
        line(th.wrapping_add(64));
        line(th.wrapping_add(128));
        line(q.position_addr(t));
        if (t as usize) < self.read_logs.len() {
            let l = self.read_logs.as_ptr().wrapping_add(t as usize) as *const u8;
            line(l);
            line(l.wrapping_add(63));
        }
        if h.stack != 0 {
            let st = h.stack as *const u8;
            line(st);
            line(st.wrapping_add(64));
        }
        if h.obj != 0 {
            // A heap slot's first 32 bytes (the tag and a range iterator's fields) may
            // straddle two lines.
            line(h.obj as *const u8);
            line((h.obj + 31) as *const u8);
        }
    }
}

/// Threads from which a per-thread array is grown straight to [`RESERVE_THREADS`] entries.
const RESERVE_FROM: usize = 64;
/// See [`reserve_for_threads`].
const RESERVE_THREADS: usize = 1024;

/// Before per-thread array `v` (the threads, their read logs, their turn hints) grows to
/// hold thread `tid`: from the 64th thread on, it is given room for 1,024 at once instead of
/// doubling through 128, 256 and 512. Each doubling copies the array and frees the old
/// copy, whose pages the allocator keeps, touched: at 1,000 idle threads those copies were
/// about 200 bytes a thread of the process's memory (issue 21's goal is 1,300 in all). Room
/// not yet used costs nothing: the allocator maps a block this big (a `Thread` is 256
/// bytes) on demand, page by page as threads fill it. Fewer threads never get here (`gilvm
/// explore` runs small programs thousands of times).
#[inline]
pub(crate) fn reserve_for_threads<T>(v: &mut Vec<T>, tid: usize) {
    if (RESERVE_FROM..RESERVE_THREADS).contains(&tid) && v.capacity() <= tid {
        v.reserve_exact(RESERVE_THREADS - v.len());
    }
}
