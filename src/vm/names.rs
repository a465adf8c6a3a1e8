//! Names, not addresses: a lock, condition, semaphore, event, queue or barrier is named in
//! reports and traces by where the program keeps it — `lock`, `locks['alice']`,
//! `self.lock`, `account.lock`, `cond` — never by CPython's repr
//! (`<unlocked _thread.lock object at 0x…>`), which appears only where the program prints it.
//!
//! The rule (docs/trace-schema.md, "Names of synchronisation objects"): the name is found
//! lazily, when a report or a trace needs it, by a breadth-first search through dict values
//! (`d[key]`, the key's repr), list and tuple items (`xs[0]`), instance attributes
//! (`obj.attr`) and a condition's lock (`cond's lock`), at most [`MAX_DEPTH`] steps deep —
//! first from the module's globals (in the order the program first names them), and only if
//! that finds nothing, from the local variables of each thread's frames (thread by thread in
//! start order, innermost frame first; frames of gilvm's own prelude are skipped). Within a
//! search the shortest path wins; among paths of one length, the first root in that order. A
//! name every thread shares (`accounts['bob'].lock`) so beats a local (`b.lock`) that means
//! another object in another thread's frame. A search examines at most
//! [`MAX_EXAMINED`] values, so a program with a million-item list still reports at once. An
//! object found nowhere (a lock only a finished thread's frame held) is named by its type and
//! line of creation alone (`the Lock created at line 7`).
//!
//! Nothing here runs on the interpreter's path: only the deadlock report, the trace's
//! sync-object events and the HTML page ask for names, and the VM is only read.

use std::collections::{HashSet, VecDeque};

use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::sync::SyncObj;
use crate::vm::traceback::line_of;
use crate::vm::value::{ObjId, Value};

/// How many steps from a root the search follows (`accounts['alice'].lock` is 2).
pub const MAX_DEPTH: usize = 3;
/// How many values one search looks at before giving up.
pub const MAX_EXAMINED: usize = 100_000;

impl Vm {
    /// Where the program keeps `obj` (`locks['alice']`, `self.lock`), if anywhere.
    pub fn path_of(&self, obj: ObjId) -> Option<String> {
        let mut visited: HashSet<ObjId> = HashSet::new();
        let mut examined = 0usize;
        // First everything reachable from the globals, then from the threads' locals: a name
        // every thread shares beats one that means another object in another frame.
        let globals: Vec<(String, Value)> = self
            .globals
            .iter()
            .enumerate()
            .map(|(i, g)| (self.prog.names[i].clone(), g.value))
            .collect();
        if let Some(p) = self.search(obj, globals, &mut visited, &mut examined) {
            return Some(p);
        }
        let mut locals: Vec<(String, Value)> = Vec::new();
        for t in &self.threads {
            for f in t.frames.iter().rev() {
                if f.code >= self.rt.prelude_start || f.code == 0 {
                    continue;
                }
                let code = &self.prog.codes[f.code as usize];
                for i in 0..code.nlocalsplus() {
                    let Some(v) = t.stack.get(f.base as usize + i) else {
                        break;
                    };
                    let v = match v {
                        Value::Obj(id) => match self.rt.heap.get(*id) {
                            Obj::Cell { value, .. } => *value,
                            _ => *v,
                        },
                        _ => *v,
                    };
                    locals.push((code.localsplus_name(i).to_string(), v));
                }
            }
        }
        self.search(obj, locals, &mut visited, &mut examined)
    }

    /// Breadth-first search for `obj` from `roots` (name, value).
    fn search(
        &self,
        obj: ObjId,
        roots: Vec<(String, Value)>,
        visited: &mut HashSet<ObjId>,
        examined: &mut usize,
    ) -> Option<String> {
        let mut queue: VecDeque<(String, ObjId, usize)> = VecDeque::new();
        for (name, v) in roots {
            if let Value::Obj(id) = v {
                if id == obj {
                    return Some(name);
                }
                if visited.insert(id) {
                    queue.push_back((name, id, 0));
                }
            }
        }
        while let Some((path, id, depth)) = queue.pop_front() {
            if depth >= MAX_DEPTH || *examined >= MAX_EXAMINED {
                continue;
            }
            let mut children: Vec<(String, ObjId)> = Vec::new();
            match self.rt.heap.get(id) {
                Obj::Dict(d) => {
                    for (k, v) in d.values() {
                        if *examined >= MAX_EXAMINED {
                            break;
                        }
                        *examined += 1;
                        if let Value::Obj(c) = v {
                            if *c == obj || self.is_container(*c) {
                                children.push((format!("{path}[{}]", self.value_text(*k)), *c));
                            }
                        }
                    }
                }
                Obj::List(items) | Obj::Tuple(items) => {
                    for (i, v) in items.iter().enumerate() {
                        if *examined >= MAX_EXAMINED {
                            break;
                        }
                        *examined += 1;
                        if let Value::Obj(c) = v {
                            if *c == obj || self.is_container(*c) {
                                children.push((format!("{path}[{i}]"), *c));
                            }
                        }
                    }
                }
                Obj::Instance(inst) => {
                    for (name, v) in inst.attrs.iter() {
                        *examined += 1;
                        if let Value::Obj(c) = v {
                            let attr = self.prog.names.get(*name as usize).map_or("?", |s| s);
                            children.push((format!("{path}.{attr}"), *c));
                        }
                    }
                }
                Obj::Sync(SyncObj::Condition(c)) => {
                    children.push((format!("{path}'s lock"), c.lock));
                }
                _ => {}
            }
            for (p, c) in children {
                if c == obj {
                    return Some(p);
                }
                if visited.insert(c) {
                    queue.push_back((p, c, depth + 1));
                }
            }
        }
        None
    }

    /// Whether the search looks inside `id`.
    fn is_container(&self, id: ObjId) -> bool {
        matches!(
            self.rt.heap.get(id),
            Obj::Dict(_)
                | Obj::List(_)
                | Obj::Tuple(_)
                | Obj::Instance(_)
                | Obj::Sync(SyncObj::Condition(_))
        )
    }

    /// The line that created a synchronisation object (0 if it is not one).
    pub fn sync_line(&self, obj: ObjId) -> u32 {
        match self.rt.heap.get(obj) {
            Obj::Sync(s) => {
                let site = s.created();
                line_of(&self.prog, site.code, site.pc)
            }
            _ => 0,
        }
    }

    /// The type word of a synchronisation object: `Lock`, `RLock`, `Condition`, …
    pub fn sync_kind(&self, obj: ObjId) -> &'static str {
        match self.rt.heap.get(obj) {
            Obj::Sync(s) => s.report_name(),
            _ => "object",
        }
    }

    /// A synchronisation object as a report names it: `Lock locks['alice'] (line 7)`, or
    /// `the Lock created at line 7` when the program keeps it nowhere the search looks.
    pub fn sync_title(&self, obj: ObjId) -> String {
        let kind = self.sync_kind(obj);
        let line = self.sync_line(obj);
        match self.path_of(obj) {
            Some(p) => format!("{kind} {p} (line {line})"),
            None => format!("the {kind} created at line {line}"),
        }
    }

    /// Just the name: `locks['alice']`, or `the Lock created at line 7`.
    pub fn sync_name(&self, obj: ObjId) -> String {
        self.path_of(obj).unwrap_or_else(|| {
            format!(
                "the {} created at line {}",
                self.sync_kind(obj),
                self.sync_line(obj)
            )
        })
    }
}
