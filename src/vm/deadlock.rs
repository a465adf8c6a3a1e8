//! The deadlock report: when no thread can run and none is asleep, say who waits for what,
//! who holds it and since which line, and name the wait-for cycle if there is one.
//!
//! The report reads only the VM's state; it changes nothing, so it may be printed at any point
//! where the driver finds every live thread blocked without a timer. Lines refer to the
//! program's own source: a thread blocked inside the prelude (`Condition.wait_for`) is shown
//! at the program line that called into it.

use std::io::Write;

use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::sync::{Site, SyncObj};
use crate::vm::thread::Tid;
use crate::vm::thread::{ThreadState, Wait};
use crate::vm::traceback::line_of;
use crate::vm::value::ObjId;

/// Why one blocked thread waits on another (an edge of the wait-for graph).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Edge {
    /// It wants a lock (or semaphore permit) the other holds.
    Holds(ObjId),
    /// It joins the other.
    Join,
}

/// A deadlock as the views show it (`trace`'s `!!! DEADLOCK` block, its `deadlock` record,
/// the HTML page): the report's words, and its facts as data.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeadlockView {
    /// The whole report, as `run` prints it (lines end with a newline).
    pub text: String,
    /// Its conclusion in one line: `cycle: Thread-1 (transfer) -> …` or `no cycle: …`.
    pub summary: String,
    /// Every blocked thread: what it waits for, and the thread it waits on, if one.
    pub blocked: Vec<BlockedView>,
    /// The wait-for cycle, if there is one (each thread waits on the next; the last on the
    /// first).
    pub cycle: Vec<Tid>,
    /// For a cycle of lock holders: which lock each one holds and which it waits for, by name
    /// (`Thread-1 (transfer) holds locks['alice'] and waits for locks['bob']`).
    #[serde(skip)]
    pub holds: Vec<String>,
}

/// One blocked thread of a deadlock.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BlockedView {
    pub tid: Tid,
    /// `line 14 in transfer: with locks[dst]:`
    pub at: String,
    /// What it waits for, in the report's words.
    pub waits_for: String,
    /// The thread whose action it waits for (the lock's holder, the joined thread).
    pub on: Option<Tid>,
}

impl Vm {
    /// Prints the deadlock report to `err`.
    pub fn report_deadlock(&mut self, err: &mut dyn Write) {
        let _ = self.rt.stdout.flush();
        let _ = err.write_all(self.deadlock_view().text.as_bytes());
    }

    /// The deadlock report, as text and as data. Reads the VM only.
    pub fn deadlock_view(&self) -> DeadlockView {
        let mut err: Vec<u8> = Vec::new();
        let mut view = DeadlockView::default();
        let _ = writeln!(
            err,
            "gilvm: deadlock: no thread can run, and none is asleep"
        );
        let mut edges: Vec<(Tid, Tid, Edge)> = Vec::new();
        for t in &self.threads {
            let ThreadState::Blocked { wait, .. } = t.state else {
                continue;
            };
            let (what, edge) = self.describe_wait(t.tid, wait);
            if let Some((to, e)) = edge {
                edges.push((t.tid, to, e));
            }
            let at = self.blocked_line(t.tid);
            let _ = writeln!(
                err,
                "  {} is blocked at {at}\n    waiting for {what}",
                t.name
            );
            view.blocked.push(BlockedView {
                tid: t.tid,
                at,
                waits_for: what,
                on: edge.map(|(to, _)| to),
            });
        }
        let pairs: Vec<(Tid, Tid)> = edges.iter().map(|&(a, b, _)| (a, b)).collect();
        match find_cycle(&pairs) {
            Some(cycle) => {
                view.holds = self.explain_cycle(&cycle, &edges, &mut err);
                view.cycle = cycle;
            }
            None => {
                let stuck: Vec<String> = self
                    .threads
                    .iter()
                    .filter(|t| t.is_alive() && !edges.iter().any(|(a, _, _)| *a == t.tid))
                    .filter_map(|t| match t.state {
                        ThreadState::Blocked { wait, .. } => Some(format!(
                            "{} waits for {}",
                            t.name,
                            self.awaited_action(t.tid, wait)
                        )),
                        _ => None,
                    })
                    .collect();
                let _ = writeln!(
                    err,
                    "  no cycle: no blocked thread holds what another blocked thread waits for; \
                     {}, and no thread that could do it is left running",
                    stuck.join("; ")
                );
            }
        }
        view.text = String::from_utf8_lossy(&err).into_owned();
        view.summary = view
            .text
            .lines()
            .find(|l| l.starts_with("  cycle:") || l.starts_with("  no cycle:"))
            .unwrap_or("")
            .trim()
            .to_string();
        view
    }

    /// Writes the cycle's lines of the report; returns its `holds … and waits for …` lines.
    fn explain_cycle(
        &self,
        cycle: &[Tid],
        edges: &[(Tid, Tid, Edge)],
        err: &mut dyn Write,
    ) -> Vec<String> {
        let mut holds = Vec::new();
        let name = |t: Tid| self.threads[t as usize].name.clone();
        let edge_of = |t: Tid| edges.iter().find(|(a, _, _)| *a == t).map(|(_, _, e)| *e);
        if let [t] = cycle {
            let obj = match edge_of(*t) {
                Some(Edge::Holds(o)) => o,
                _ => return holds,
            };
            let (kind, since) = match self.rt.heap.get(obj) {
                Obj::Sync(SyncObj::Lock(l)) => ("Lock", self.line(l.cold.acquired_at)),
                Obj::Sync(s @ SyncObj::Semaphore(sem)) => (
                    s.report_name(),
                    sem.holders.last().map_or(0, |&(_, site)| self.line(site)),
                ),
                Obj::Sync(s) => (s.report_name(), 0),
                _ => ("object", 0),
            };
            let hint = if kind == "Lock" {
                ": a plain Lock is not reentrant — an RLock would let its owner take it again"
            } else {
                ""
            };
            let what = match self.path_of(obj) {
                Some(p) => format!("the {kind} {p}"),
                None => format!("a {kind}"),
            };
            let _ = writeln!(
                err,
                "  cycle: {} waits for {what} it already holds (taken at line {since}){hint}",
                name(*t)
            );
            return holds;
        }
        let mut names: Vec<String> = cycle.iter().map(|&t| name(t)).collect();
        names.push(name(cycle[0]));
        let _ = writeln!(err, "  cycle: {}", names.join(" -> "));
        let all_locks = cycle
            .iter()
            .all(|&t| matches!(edge_of(t), Some(Edge::Holds(_))));
        if all_locks {
            let _ = writeln!(
                err,
                "    each thread holds a lock the next one waits for: they take the same locks \
                 in different orders (take them in one agreed order to avoid this)"
            );
            // Which lock each one holds and which it waits for, by name.
            for (i, &t) in cycle.iter().enumerate() {
                let prev = cycle[(i + cycle.len() - 1) % cycle.len()];
                let (Some(Edge::Holds(held)), Some(Edge::Holds(wanted))) =
                    (edge_of(prev), edge_of(t))
                else {
                    continue;
                };
                let line = format!(
                    "{} holds {} and waits for {}",
                    name(t),
                    self.sync_name(held),
                    self.sync_name(wanted)
                );
                let _ = writeln!(err, "    {line}");
                holds.push(line);
            }
        }
        holds
    }

    /// What a blocked thread waits for, in words, and the thread it waits on, if one.
    fn describe_wait(&self, tid: Tid, wait: Wait) -> (String, Option<(Tid, Edge)>) {
        let obj = match wait {
            Wait::Join(o) => {
                return (
                    format!("thread {} to finish (join)", self.threads[o as usize].name),
                    Some((o, Edge::Join)),
                )
            }
            Wait::Sleep => return ("its sleep to end".into(), None),
            Wait::Acquire(o) | Wait::Wait(o) => o,
        };
        let Obj::Sync(s) = self.rt.heap.get(obj) else {
            return ("an object".into(), None);
        };
        let what = match self.path_of(obj) {
            Some(name) => format!(
                "{} {name} (created at {})",
                s.report_name(),
                self.place(s.created())
            ),
            None => format!("{} created at {}", s.report_name(), self.place(s.created())),
        };
        match s {
            SyncObj::Lock(l) | SyncObj::RLock(l) => {
                let retaking = l.waiters.iter().any(|w| w.tid == tid && w.after_wait);
                let again = if retaking {
                    " (to take it back after Condition.wait)"
                } else {
                    ""
                };
                match l.owner {
                    Some(o) => {
                        let count = if l.count > 1 {
                            format!(" ({} times)", l.count)
                        } else {
                            String::new()
                        };
                        let holder = &self.threads[o as usize];
                        // A thread that ended while holding the lock waits for nothing: it is
                        // no edge of the wait-for graph, and nobody will ever release the lock.
                        let (ended, edge) = if holder.is_alive() {
                            ("", Some((o, Edge::Holds(obj))))
                        } else {
                            (" (it ended without releasing it)", None)
                        };
                        (
                            format!(
                                "{what}{again}, held by {}{count} since line {}{ended}",
                                holder.name,
                                self.line(l.cold.acquired_at)
                            ),
                            edge,
                        )
                    }
                    None => (format!("{what}{again}"), None),
                }
            }
            SyncObj::Semaphore(sem) => {
                let holders: Vec<String> = sem
                    .holders
                    .iter()
                    .map(|&(t, site)| {
                        format!(
                            "{} since line {}",
                            self.threads[t as usize].name,
                            self.line(site)
                        )
                    })
                    .collect();
                let held = if holders.is_empty() {
                    String::new()
                } else {
                    format!(", permits held by {}", holders.join(", "))
                };
                let mut owners: Vec<Tid> = sem.holders.iter().map(|&(t, _)| t).collect();
                owners.sort_unstable();
                owners.dedup();
                let edge = match owners[..] {
                    [o] if self.threads[o as usize].is_alive() => Some((o, Edge::Holds(obj))),
                    _ => None,
                };
                (format!("{what} (value {}){held}", sem.value), edge)
            }
            SyncObj::Condition(_) => (format!("a notify() on {what}"), None),
            SyncObj::Event(_) => (format!("{what} to be set"), None),
            SyncObj::Barrier(b) => (
                format!(
                    "{what} ({} of {} parties arrived)",
                    b.waiting.len() + b.runner.is_some() as usize,
                    b.parties
                ),
                None,
            ),
            SyncObj::Queue(q) => {
                let text = if q.getters.contains(&tid) {
                    format!("an item from {what} (empty)")
                } else if q.putters.iter().any(|(p, _)| *p == tid) {
                    format!("room in {what} (full: maxsize {})", q.maxsize)
                } else {
                    format!(
                        "{what} to have all its tasks done (join; {} unfinished)",
                        q.unfinished
                    )
                };
                (text, None)
            }
            SyncObj::Thread(_) => (what, None),
        }
    }

    /// What another thread would have to do to wake `tid`: `a put()`, `a notify()`, ….
    fn awaited_action(&self, tid: Tid, wait: Wait) -> &'static str {
        let obj = match wait {
            Wait::Acquire(o) | Wait::Wait(o) => o,
            Wait::Join(_) => return "a thread to finish",
            Wait::Sleep => return "its sleep to end",
        };
        match self.rt.heap.get(obj) {
            Obj::Sync(SyncObj::Lock(_) | SyncObj::RLock(_) | SyncObj::Semaphore(_)) => {
                "a release()"
            }
            Obj::Sync(SyncObj::Condition(_)) => "a notify()",
            Obj::Sync(SyncObj::Event(_)) => "a set()",
            Obj::Sync(SyncObj::Barrier(_)) => "more threads to reach the Barrier",
            Obj::Sync(SyncObj::Queue(q)) if q.getters.contains(&tid) => "a put()",
            Obj::Sync(SyncObj::Queue(q)) if q.putters.iter().any(|(p, _)| *p == tid) => "a get()",
            Obj::Sync(SyncObj::Queue(_)) => "task_done() calls",
            _ => "something",
        }
    }

    /// `line 7 in worker: item = q.get()` for the program line a blocked thread stopped at.
    fn blocked_line(&self, tid: Tid) -> String {
        let t = &self.threads[tid as usize];
        let frame = t.frames.iter().rev().find(|f| f.code < self.prelude.start);
        let Some(f) = frame else {
            return "its start".into();
        };
        let site = Site {
            code: f.code,
            pc: f.pc.saturating_sub(1),
        };
        let line = self.line(site);
        let code = &self.prog.codes[f.code as usize];
        let text = self
            .prog
            .source
            .lines()
            .nth(line.saturating_sub(1) as usize)
            .unwrap_or("")
            .trim();
        format!("line {line} in {}: {text}", code.name)
    }

    fn line(&self, site: Site) -> u32 {
        line_of(&self.prog, site.code, site.pc)
    }

    /// `programs/x.toy:3`.
    fn place(&self, site: Site) -> String {
        format!("{}:{}", self.prog.filename, self.line(site))
    }
}

/// A cycle in the wait-for graph (thread → thread it waits on; at most one edge per thread),
/// if any, starting from the lowest thread on it.
fn find_cycle(edges: &[(Tid, Tid)]) -> Option<Vec<Tid>> {
    for &(start, _) in edges {
        let mut path = vec![start];
        let mut cur = start;
        while let Some(&(_, next)) = edges.iter().find(|(from, _)| *from == cur) {
            if let Some(i) = path.iter().position(|&p| p == next) {
                let mut cycle = path[i..].to_vec();
                let low = cycle
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, &t)| t)
                    .map_or(0, |(i, _)| i);
                cycle.rotate_left(low);
                return Some(cycle);
            }
            path.push(next);
            cur = next;
            if path.len() > edges.len() + 1 {
                break;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_two_lock_cycle_and_self_wait_and_none() {
        assert_eq!(find_cycle(&[(0, 1), (1, 2), (2, 1)]), Some(vec![1, 2]));
        assert_eq!(find_cycle(&[(3, 3)]), Some(vec![3]));
        assert_eq!(find_cycle(&[(0, 1), (1, 2)]), None);
        assert_eq!(find_cycle(&[]), None);
    }
}
