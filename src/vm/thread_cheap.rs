//! Issue 21, "threads stay cheap": what keeps an idle thread small and a turn on one of a
//! million runnable threads fast (docs/performance.md, "Issue 21: threads under 1.3 KB, and
//! flat").

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
    /// what the next four turns will read, each a step further along than the turn before
    /// took it, so that every load here hits a line an earlier turn's prefetch brought in and
    /// no miss is waited for. A turn on one of 100,000 runnable threads otherwise waits for
    /// four to five dependent misses in a row: the run queue's entry, the `Thread`, its stack
    /// and read log, the loop's iterator. The picks are the seeded strategy's, peeked without
    /// drawing ([`crate::vm::scheduler::Scheduler::peek_picks`]); when a turn does not end by
    /// preemption or the runnable set changes, some guesses are wrong and cost useless
    /// prefetches, never a different schedule.
    #[inline(never)]
    pub(crate) fn prefetch_turns_ahead(&mut self, tid: Tid) {
        let Some(pos) = self.sched.queue.position(tid) else {
            return;
        };
        let mut picks = [0usize; 4];
        let n = self.sched.peek_picks(pos, &self.gil, &mut picks);
        let queue = self.sched.queue.as_slice();
        let at = |k: usize| {
            if k < n {
                queue.get(picks[k]).copied()
            } else {
                None
            }
        };
        // Four turns ahead: its entry in the run queue.
        if n >= 4 {
            line(queue.as_ptr().wrapping_add(picks[3]));
        }
        // Three ahead (its entry loaded a turn ago): its `Thread`, run-queue position and
        // read log.
        if let Some(t) = at(2) {
            let th = self.threads.as_ptr().wrapping_add(t as usize) as *const u8;
            line(th);
            line(th.wrapping_add(64));
            line(th.wrapping_add(128));
            line(self.sched.queue.position_addr(t));
            if let Some(l) = self.read_logs.get(t as usize) {
                let l = l as *const _ as *const u8;
                for off in [0, 64, 128, 191] {
                    line(l.wrapping_add(off));
                }
            }
        }
        // Two ahead (its `Thread` loaded a turn ago): the running frame's stack slots.
        if let Some(t) = at(1) {
            if let Some(slots) = self.frame_slots(t) {
                let p = slots as *const u8;
                line(p);
                line(p.wrapping_add(64));
                line(p.wrapping_add(128));
            }
        }
        // The next turn (its stack slots loaded a turn ago): the first object on them, in a
        // loop the loop's iterator.
        if let Some(t) = at(0) {
            if let Some(addr) = self.first_slot_object(t) {
                line(addr as *const u8);
                line((addr + 31) as *const u8);
            }
        }
    }

    /// Where thread `t`'s running frame's fast locals start, if it has a frame.
    fn frame_slots(&self, t: Tid) -> Option<*const Value> {
        let th = self.threads.get(t as usize)?;
        let f = th.frames.last()?;
        ((f.base as usize) < th.stack.len())
            .then(|| th.stack.as_ptr().wrapping_add(f.base as usize))
    }

    /// The address of the first object among thread `t`'s running frame's first eight stack
    /// slots (as `Vm::note_turn_hint` finds it for a blocked thread).
    fn first_slot_object(&self, t: Tid) -> Option<usize> {
        let th = self.threads.get(t as usize)?;
        let f = th.frames.last()?;
        let slots = th.stack.get(f.base as usize..)?;
        slots.iter().take(8).find_map(|v| match v {
            Value::Obj(id) => Some(self.rt.heap.addr(*id) as usize),
            _ => None,
        })
    }
}
