//! The lost-update detector (DESIGN.md §4.6): always on, O(1) per load and store.
//!
//! A *lost update* is a store by thread A to a shared location that A read earlier, when
//! another thread wrote the location in between: A's store silently erases that write.
//!
//! How it is counted. Every location carries a `depth`: the number of updates "contained" in
//! its current value. A store based on a read (a
//! read-modify-write such as `counter += 1`) sets `depth = depth_at_read + 1` and erases
//! `depth_now - depth_at_read` updates; a blind store (`x = 0`) sets `depth = depth_now + 1`.
//! Summed over all stores this telescopes to `stores - (depth_final - depth_initial)`, so for a
//! counter incremented N times the total is exactly `N - (final - initial)`: the number of
//! increments missing from the printed value, even when lost updates overlap.
//!
//! Each thread remembers its recent reads in a small direct-mapped table ([`ReadLog`]) indexed
//! by location key, so recording a read or checking a store is one array access; a collision
//! can only make the detector miss an event, never invent one.

use crate::vm::thread::Tid;

/// Per-location bookkeeping, stored beside the location (a global slot, a cell).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LocMeta {
    pub depth: u32,
    /// The thread that made the last store, and where (code, instruction).
    pub writer: Tid,
    pub write_code: u32,
    pub write_pc: u32,
}

/// Identifies a shared location in a thread's read log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LocKey {
    /// A module global, by name id.
    Global(u32),
    /// A closure cell, by heap id.
    Cell(u32),
    /// A list slot or dict key, by index in the VM's item table.
    Item(u32),
}

impl LocKey {
    #[inline]
    fn tag(self) -> u32 {
        match self {
            LocKey::Global(i) => i << 2,
            LocKey::Cell(i) => (i << 2) | 1,
            LocKey::Item(i) => (i << 2) | 2,
        }
    }
}

/// Slots of a read log. A location's slot is its key's kind (global, cell, item) and the two
/// low bits of its index: twelve classes, four per kind. (The log had sixteen slots indexed by
/// `tag % 16`, of which the four with both low tag bits set were never used, as no kind has
/// tag 3; the classes, and so which reads evict which, are the same, in 192 bytes a thread
/// instead of 256: issue 21, threads under 1.3 KB. Computed from the key, not the tag, the
/// slot is one `and` with the kind's offset folded into the address where the kind is known,
/// as in the interpreter loop.)
const LOG_SLOTS: usize = 12;

impl LocKey {
    #[inline(always)]
    fn slot(self) -> usize {
        match self {
            LocKey::Global(i) => (i & 3) as usize,
            LocKey::Cell(i) => 4 + (i & 3) as usize,
            LocKey::Item(i) => 8 + (i & 3) as usize,
        }
    }
}

/// One remembered read: which location, the depth it saw, and where it happened.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadEntry {
    /// `tag + 1`, so 0 means empty.
    key: u32,
    pub depth: u32,
    pub code: u32,
    pub pc: u32,
}

/// A thread's recent reads of shared locations.
#[derive(Clone, Debug, Default)]
pub struct ReadLog {
    slots: [ReadEntry; LOG_SLOTS],
}

impl ReadLog {
    /// Records that this thread read `key` in state `meta` at (code, pc).
    #[inline]
    pub fn record(&mut self, key: LocKey, meta: &LocMeta, code: u32, pc: u32) {
        let tag = key.tag();
        self.slots[key.slot()] = ReadEntry {
            key: tag + 1,
            depth: meta.depth,
            code,
            pc,
        };
    }

    /// Empties `key`'s slot: what `record(key, …)` followed at once by `take(key)` leaves
    /// (an entry whose key is 0 is never read).
    #[inline]
    pub fn forget(&mut self, key: LocKey) {
        self.slots[key.slot()] = ReadEntry::default();
    }

    /// Takes (and forgets) this thread's read of `key`, if it is still remembered. Returns a
    /// reference, not a copy, so that the interpreter's fast path reads only the depth.
    #[inline]
    pub fn take(&mut self, key: LocKey) -> Option<&ReadEntry> {
        let tag = key.tag();
        let e = &mut self.slots[key.slot()];
        if e.key == tag + 1 {
            e.key = 0;
            Some(e)
        } else {
            None
        }
    }
}

/// What a store did, when it erased somebody's update.
#[derive(Clone, Debug)]
pub struct LostEvent {
    pub loc: LocKey,
    /// The thread whose store erased updates, and where it read and stored.
    pub thread: Tid,
    pub read: ReadEntry,
    pub store_code: u32,
    pub store_pc: u32,
    /// The last store it erased (by another thread).
    pub other: LocMeta,
    /// How many updates this store erased.
    pub erased: u32,
    /// The value this store wrote and the value it replaced (the erased update's), as
    /// reprs; filled in by `Vm::note_lost` for the events it keeps (empty = unknown).
    pub stored: String,
    pub overwritten: String,
}

/// What a store did: the signed number of updates it erased (see the module comment), and
/// what is needed to explain it. `on_store` is inlined into the interpreter loop; the event
/// (with its strings) is only built, out of line, when `erased` is non-zero. `event` takes
/// `self` by value, not by reference: a reference made LLVM write the whole struct to memory
/// on every store, erased or not (9 x86 instructions per `STORE_GLOBAL` under callgrind).
#[derive(Clone, Copy, Debug)]
pub struct Stored {
    pub erased: i64,
    before: LocMeta,
    read: Option<ReadEntry>,
}

impl Stored {
    /// The event explaining this store, when it erased another thread's update.
    #[cold]
    #[inline(never)]
    pub fn event(
        self,
        loc: LocKey,
        thread: Tid,
        store_code: u32,
        store_pc: u32,
    ) -> Option<LostEvent> {
        let r = self.read?;
        let before = self.before;
        // `erased > 0` means the depth moved since the read, so another store came in between
        // (a location no longer carries a store count for this: one store less per store).
        if self.erased > 0 && before.writer != thread {
            Some(LostEvent {
                loc,
                thread,
                read: r,
                store_code,
                store_pc,
                other: before,
                erased: self.erased as u32,
                stored: String::new(),
                overwritten: String::new(),
            })
        } else {
            None
        }
    }
}

/// The interpreter's fast path for a store: when the store erases nothing (the thread
/// remembers no read of the location, or its read saw the current depth) applies it and
/// returns `None`, else leaves `meta` alone and returns the stale read for [`on_store`] on a
/// cold path. Either way the new depth is `depth + 1`, so the common case is four register
/// stores; it cut `STORE_GLOBAL` from ≈75 to ≈35 x86 instructions under callgrind.
#[inline]
pub fn store_fast(
    meta: &mut LocMeta,
    read: Option<&ReadEntry>,
    tid: Tid,
    code: u32,
    pc: u32,
) -> Option<ReadEntry> {
    if let Some(r) = read {
        if r.depth != meta.depth {
            return Some(*r);
        }
    }
    store_applied(meta, tid, code, pc);
    None
}

/// A store by `tid` at (code, pc) that erases nothing (no read remembered, or a current one):
/// `store_fast`'s update of `meta`.
#[inline(always)]
pub fn store_applied(meta: &mut LocMeta, tid: Tid, code: u32, pc: u32) {
    meta.depth = meta.depth.wrapping_add(1);
    meta.writer = tid;
    meta.write_code = code;
    meta.write_pc = pc;
}

/// Applies a store by `tid` at (code, pc) to `meta`, given the thread's read of the location
/// (if it still remembers one).
#[inline]
pub fn on_store(
    meta: &mut LocMeta,
    read: Option<ReadEntry>,
    tid: Tid,
    code: u32,
    pc: u32,
) -> Stored {
    let before = *meta;
    meta.writer = tid;
    meta.write_code = code;
    meta.write_pc = pc;
    let erased = match read {
        Some(r) => {
            meta.depth = r.depth.wrapping_add(1);
            before.depth.wrapping_sub(r.depth) as i32 as i64
        }
        None => {
            meta.depth = before.depth.wrapping_add(1);
            0
        }
    };
    Stored {
        erased,
        before,
        read,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Simulates `x += 1` interleavings: each step is (thread, read?) and stores use the
    /// thread's own last read. Returns (final depth, total erased).
    fn simulate(steps: &[(Tid, bool)]) -> (u32, i64) {
        let mut meta = LocMeta::default();
        let mut logs = vec![ReadLog::default(); 4];
        let key = LocKey::Global(3);
        let mut total = 0;
        for &(t, is_read) in steps {
            if is_read {
                logs[t as usize].record(key, &meta, 0, 0);
            } else {
                let r = logs[t as usize].take(key).copied();
                total += on_store(&mut meta, r, t, 0, 1).erased;
            }
        }
        (meta.depth, total)
    }

    /// The interpreter's shortcut for a fused `x = x + c` (`forget` and `store_applied`)
    /// leaves the log and the location as a recorded read, taken back at once by the store's
    /// fast path, leaves them: for every key whose read is in the slot before (the same one,
    /// another sharing the slot, none), every later `take` and the metadata agree.
    #[test]
    fn forget_and_store_applied_are_record_then_store() {
        let x = LocKey::Global(5);
        let keys = [x, LocKey::Global(1), LocKey::Global(9), LocKey::Cell(5)];
        for before in [
            None,
            Some(x),
            Some(LocKey::Global(1)),
            Some(LocKey::Cell(1)),
        ] {
            let mut meta = LocMeta {
                depth: 7,
                writer: 2,
                write_code: 3,
                write_pc: 4,
            };
            let mut log = ReadLog::default();
            if let Some(k) = before {
                log.record(k, &meta, 1, 1);
            }
            let (mut slow_meta, mut slow_log) = (meta, log.clone());
            slow_log.record(x, &slow_meta, 9, 10);
            let read = slow_log.take(x).copied();
            assert!(store_fast(&mut slow_meta, read.as_ref(), 1, 9, 12).is_none());
            log.forget(x);
            store_applied(&mut meta, 1, 9, 12);
            assert_eq!(meta, slow_meta);
            for k in keys {
                let (a, b) = (log.take(k).copied(), slow_log.take(k).copied());
                assert_eq!(
                    a.map(|r| (r.depth, r.code, r.pc)),
                    b.map(|r| (r.depth, r.code, r.pc))
                );
            }
        }
    }

    /// Two keys share a slot exactly when their tags agree modulo 16 (the sixteen-slot log's
    /// classes), and every slot is in range: the remap changed no detector result.
    #[test]
    fn twelve_slots_keep_the_sixteen_slot_classes() {
        let keys: Vec<LocKey> = (0..64)
            .flat_map(|i| [LocKey::Global(i), LocKey::Cell(i), LocKey::Item(i)])
            .collect();
        for &a in &keys {
            assert!(a.slot() < LOG_SLOTS);
            for &b in &keys {
                assert_eq!(
                    a.slot() == b.slot(),
                    a.tag() % 16 == b.tag() % 16,
                    "{a:?} {b:?}"
                );
            }
        }
        assert_eq!(std::mem::size_of::<ReadLog>(), 192);
    }

    #[test]
    fn sequential_increments_lose_nothing() {
        let (d, lost) = simulate(&[(0, true), (0, false), (1, true), (1, false)]);
        assert_eq!((d, lost), (2, 0));
    }

    #[test]
    fn overlapping_lost_updates_sum_to_missing_increments() {
        // T1 reads 0; T2 does two increments; T3 reads 2; T1 stores 1 (erases 2);
        // T3 stores 3 (restores one). 4 increments, final 3 → 1 lost.
        let (d, lost) = simulate(&[
            (1, true),
            (2, true),
            (2, false),
            (2, true),
            (2, false),
            (3, true),
            (1, false),
            (3, false),
        ]);
        assert_eq!(d, 3);
        assert_eq!(lost, 1);
    }

    #[test]
    fn blind_store_is_not_a_lost_update() {
        let (_, lost) = simulate(&[(1, true), (2, false), (1, false)]);
        // T2's store is blind; T1's read-modify-write erased it.
        assert_eq!(lost, 1);
        let (_, lost) = simulate(&[(2, false), (1, false)]);
        assert_eq!(lost, 0);
    }
}
