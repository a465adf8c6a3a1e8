//! The trace's synchronisation events (issue #17's views): each acquire, release, wait and
//! notify of a lock, condition or semaphore, named by where the program keeps the object
//! (`vm/names.rs`), and the story of a wake-up as it happens — a `Condition` waiter is
//! notified by whom, then waits to take the lock back, then takes it when whom released it.
//!
//! Computed from outside the interpreter, like the rest of the trace: before a step, the
//! footprint of the instruction (`vm/observe.rs`) says which sync call it makes; after it, the
//! thread's state says whether the call completed or blocked. Only the trace pays for it.

use std::collections::HashMap;

use crate::trace::record::{Record, SyncEvent};
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::observe::{next_step_touches, SyncOp, Touch};
use crate::vm::sync::SyncObj;
use crate::vm::thread::{ThreadState, Tid};
use crate::vm::traceback::line_of;
use crate::vm::value::ObjId;

#[derive(Default)]
pub struct SyncTracker {
    buf: Vec<Touch>,
    /// The sync calls of the step about to run.
    pending: Vec<(ObjId, SyncOp)>,
    /// Threads blocked acquiring an object or waiting on a condition (and whether a
    /// condition's waiter was notified already).
    waiting: HashMap<Tid, (ObjId, bool)>,
    /// The last thread that released each lock (a condition's lock for a condition).
    released_by: HashMap<ObjId, Tid>,
    /// The locks each thread was seen to take and not yet seen to release.
    holding: Vec<(Tid, ObjId)>,
    /// Names found so far, by object and its creation site (a freed id may be reused).
    names: HashMap<(ObjId, u32, u32), String>,
}

/// Whether the trace narrates calls on this object.
fn narrated(vm: &Vm, obj: ObjId) -> bool {
    matches!(
        vm.rt.heap.get(obj),
        Obj::Sync(
            SyncObj::Lock(_) | SyncObj::RLock(_) | SyncObj::Condition(_) | SyncObj::Semaphore(_)
        )
    )
}

/// The lock behind an object: a condition's lock, else the object itself.
fn lock_of(vm: &Vm, obj: ObjId) -> ObjId {
    match vm.rt.heap.get(obj) {
        Obj::Sync(SyncObj::Condition(c)) => c.lock,
        _ => obj,
    }
}

/// Whether `tid` holds `obj` (a semaphore has no owner: taken counts as held).
fn holds(vm: &Vm, obj: ObjId, tid: Tid) -> bool {
    match vm.rt.heap.get(lock_of(vm, obj)) {
        Obj::Sync(SyncObj::Lock(l) | SyncObj::RLock(l)) => l.owner == Some(tid),
        _ => true,
    }
}

fn is_condition(vm: &Vm, obj: ObjId) -> bool {
    matches!(vm.rt.heap.get(obj), Obj::Sync(SyncObj::Condition(_)))
}

impl SyncTracker {
    /// The name of a sync object (cached per object and creation site).
    pub fn name(&mut self, vm: &Vm, obj: ObjId) -> String {
        let site = match vm.rt.heap.get(obj) {
            Obj::Sync(s) => s.created(),
            _ => Default::default(),
        };
        let key = (obj, site.code, site.pc);
        if let Some(n) = self.names.get(&key) {
            return n.clone();
        }
        // Only a found name is kept: an object not stored anywhere yet (`locks = {'a':
        // Lock()}` before the store) is named later, once the program keeps it.
        match vm.path_of(obj) {
            Some(n) => {
                self.names.insert(key, n.clone());
                n
            }
            None => vm.sync_name(obj),
        }
    }

    /// A value as the trace shows it: a sync object by its name (`<Lock locks['alice'],
    /// line 10>`), anything else by its repr (cut to 60 characters).
    pub fn value_text(&mut self, vm: &Vm, v: crate::vm::value::Value) -> String {
        if let crate::vm::value::Value::Obj(o) = v {
            if let Obj::Sync(s) = vm.rt.heap.get(o) {
                if !matches!(s, SyncObj::Thread(_)) {
                    let name = self.name(vm, o);
                    return if name.starts_with("the ") {
                        format!("<{name}>")
                    } else {
                        format!("<{} {name}, line {}>", vm.sync_kind(o), vm.sync_line(o))
                    };
                }
            }
        }
        // A container that holds sync objects directly: its items by name too (one level).
        if let crate::vm::value::Value::Obj(o) = v {
            let is_sync = |x: &crate::vm::value::Value| {
                matches!(x, crate::vm::value::Value::Obj(i)
                    if matches!(vm.rt.heap.get(*i), Obj::Sync(s) if !matches!(s, SyncObj::Thread(_))))
            };
            let parts: Option<(String, Vec<String>, String)> = match vm.rt.heap.get(o) {
                Obj::Dict(d) if d.values().any(|(_, x)| is_sync(x)) => {
                    let items: Vec<(crate::vm::value::Value, crate::vm::value::Value)> =
                        d.values().take(8).copied().collect();
                    let more = d.len() > items.len();
                    let mut out: Vec<String> = items
                        .into_iter()
                        .map(|(k, x)| format!("{}: {}", vm.value_text(k), self.value_text(vm, x)))
                        .collect();
                    if more {
                        out.push("...".into());
                    }
                    Some(("{".into(), out, "}".into()))
                }
                Obj::List(xs) | Obj::Tuple(xs) if xs.iter().any(is_sync) => {
                    let (open, close) = match vm.rt.heap.get(o) {
                        Obj::List(_) => ("[", "]"),
                        _ => ("(", ")"),
                    };
                    let items: Vec<crate::vm::value::Value> = xs.iter().take(8).copied().collect();
                    let more = xs.len() > items.len();
                    let mut out: Vec<String> =
                        items.into_iter().map(|x| self.value_text(vm, x)).collect();
                    if more {
                        out.push("...".into());
                    }
                    Some((open.into(), out, close.into()))
                }
                _ => None,
            };
            if let Some((open, items, close)) = parts {
                let text = format!("{open}{}{close}", items.join(", "));
                return if text.chars().count() > 60 {
                    text.chars().take(57).collect::<String>() + "..."
                } else {
                    text
                };
            }
        }
        vm.value_text(v)
    }

    fn event(&mut self, vm: &Vm, tid: Tid, obj: ObjId, op: &str, by: Option<Tid>) -> Record {
        let t = &vm.threads[tid as usize];
        let line = t
            .frames
            .iter()
            .rev()
            .find(|f| f.code < vm.rt.prelude_start)
            .map(|f| line_of(&vm.prog, f.code, f.pc.saturating_sub(1)))
            .unwrap_or(0);
        Record::Sync(SyncEvent {
            t_ns: vm.now_ns(),
            step: vm.steps,
            tid,
            line,
            op: op.to_string(),
            obj: self.name(vm, obj),
            kind: vm.sync_kind(obj).to_string(),
            created_line: vm.sync_line(obj),
            by,
        })
    }

    /// Before `tid`'s step: a thread that waited and now runs holding the lock took it back
    /// (`reacquire`); and the sync calls the step makes are noted.
    pub fn before(&mut self, vm: &Vm, tid: Tid, out: &mut Vec<Record>) {
        if let Some((obj, _)) = self.waiting.remove(&tid) {
            if holds(vm, obj, tid) {
                let lock = lock_of(vm, obj);
                let by = self.released_by.get(&lock).copied().filter(|&b| b != tid);
                let target = if is_condition(vm, obj) { obj } else { lock };
                self.holding.push((tid, target));
                out.push(self.event(vm, tid, target, "reacquire", by));
            }
        }
        self.pending.clear();
        self.buf.clear();
        next_step_touches(vm, tid, &mut self.buf);
        for t in &self.buf {
            if let Touch::Sync(o, op) = *t {
                if narrated(vm, o)
                    && matches!(
                        op,
                        SyncOp::Acquire | SyncOp::Release | SyncOp::Wait | SyncOp::Signal
                    )
                {
                    self.pending.push((o, op));
                }
            }
        }
    }

    /// After `tid`'s step (`n` instructions, 0 or 1): what its sync calls did.
    pub fn after(&mut self, vm: &Vm, tid: Tid, n: u64, out: &mut Vec<Record>) {
        if n == 0 {
            return;
        }
        let blocked = matches!(vm.threads[tid as usize].state, ThreadState::Blocked { .. });
        for (obj, op) in std::mem::take(&mut self.pending) {
            match op {
                SyncOp::Acquire if blocked => {
                    self.waiting.insert(tid, (obj, false));
                }
                SyncOp::Acquire if holds(vm, obj, tid) => {
                    self.holding.push((tid, obj));
                    out.push(self.event(vm, tid, obj, "acquire", None));
                }
                SyncOp::Acquire => {} // a non-blocking acquire that failed
                SyncOp::Release => {
                    self.forget(tid, obj);
                    self.released_by.insert(lock_of(vm, obj), tid);
                    out.push(self.event(vm, tid, obj, "release", None));
                }
                SyncOp::Wait if is_condition(vm, obj) => {
                    self.forget(tid, obj);
                    self.released_by.insert(lock_of(vm, obj), tid);
                    if blocked {
                        self.waiting.insert(tid, (obj, false));
                    }
                    out.push(self.event(vm, tid, obj, "wait", None));
                }
                SyncOp::Signal if is_condition(vm, obj) => {
                    out.push(self.event(vm, tid, obj, "notify", None));
                }
                _ => {}
            }
        }
        // A lock released some other way (`with` left by an exception, a release inside a
        // library function): the lock says it is no longer held.
        let mut i = 0;
        while i < self.holding.len() {
            let (t, obj) = self.holding[i];
            if t == tid && !holds(vm, obj, tid) {
                self.holding.remove(i);
                self.released_by.insert(lock_of(vm, obj), tid);
                out.push(self.event(vm, tid, obj, "release", None));
            } else {
                i += 1;
            }
        }
    }

    /// Forgets the innermost hold of `obj` by `tid`.
    fn forget(&mut self, tid: Tid, obj: ObjId) {
        if let Some(i) = self.holding.iter().rposition(|&h| h == (tid, obj)) {
            self.holding.remove(i);
        }
    }

    /// Why a woken thread was woken, when the trace can say more than "woken": a condition's
    /// waiter is first notified, then (if it lost the lock meanwhile) woken by the lock's
    /// release.
    pub fn wake_note(&mut self, vm: &Vm, tid: Tid) -> Option<String> {
        let (obj, notified) = *self.waiting.get(&tid)?;
        let name = self.name(vm, obj);
        if is_condition(vm, obj) && !notified {
            self.waiting.insert(tid, (obj, true));
            return Some(format!(
                "notified on {name}: before wait() returns it must take back {name}'s lock"
            ));
        }
        let lock = if is_condition(vm, obj) {
            format!("{name}'s lock")
        } else {
            name
        };
        Some(format!(
            "{lock} is free again (it takes it when it runs, unless another thread takes it first)"
        ))
    }
}
