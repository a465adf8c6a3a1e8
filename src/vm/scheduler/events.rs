//! Turns that end at an event, for hand-written schedules: `T1 until line 8`, `T2 until store
//! counter`, `T1 until acquire lock`, `T1 until acquire locks['alice']`. A lesson stages a
//! race by what the program does, not by counting instructions.
//!
//! A turn `until EVENT` runs the thread one instruction at a time (the driver's step mode, as
//! for a trace; only such turns pay for it) and ends right *before* the thread's next
//! instruction would make the event happen, after at least one instruction: the thread stays
//! runnable, as after a preemption. It also ends, as any turn, when the thread blocks or ends.
//! Events:
//! - `line N`: the next instruction is on line N of the program (not of the prelude);
//! - `store NAME`: the next instruction stores the variable `NAME` (a global, a local or a
//!   closure variable) or an attribute called `NAME` (`self.NAME = …`, `obj.NAME += …`), or
//!   stores or deletes an item of the list or dict `NAME` holds (`tally[w] = …`);
//! - `store TARGET`, a target as for `acquire` below: the next instruction stores it
//!   (`store tally['the']`: `tally[w] = …` with `w == 'the'`; `store self.balance`: a store
//!   to that attribute of that object), or stores or deletes an item of the list or dict it
//!   holds (`store self.cache`: `self.cache[k] = …`);
//! - `acquire`: the next instruction acquires a lock, condition or semaphore (`with x:` or
//!   `x.acquire()`); `acquire TARGET` one the program keeps in `TARGET` — a name (a local of
//!   the running function, else a global), then any number of `.attr` and `[key]` with an int
//!   or a quoted string key: `lock`, `self.lock`, `locks['alice']`, `forks[2]`.
//!
//! A recorded schedule (`--record`) holds counts only: replaying a schedule with events while
//! recording writes the instruction counts those turns came to.

use crate::bytecode::Opcode;
use crate::vm::heap::{HashKey, Obj};
use crate::vm::machine::Vm;
use crate::vm::natives::AttrSym;
use crate::vm::thread::Tid;
use crate::vm::value::Value;

/// Where a turn stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopEvent {
    Line(u32),
    Store(String),
    /// `store TARGET` with at least one `.attr` or `[key]` (`store tally['the']`).
    StoreAt(Target),
    /// `None`: any acquire.
    Acquire(Option<Target>),
}

/// An object as the program reaches it: a name, then attributes and subscripts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub path: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Attr(String),
    Int(i64),
    Str(String),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name)?;
        for s in &self.path {
            match s {
                Step::Attr(a) => write!(f, ".{a}")?,
                Step::Int(i) => write!(f, "[{i}]")?,
                Step::Str(s) => write!(f, "['{s}']")?,
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for StopEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopEvent::Line(n) => write!(f, "line {n}"),
            StopEvent::Store(n) => write!(f, "store {n}"),
            StopEvent::StoreAt(t) => write!(f, "store {t}"),
            StopEvent::Acquire(None) => write!(f, "acquire"),
            StopEvent::Acquire(Some(t)) => write!(f, "acquire {t}"),
        }
    }
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && c.all(|c| c.is_alphanumeric() || c == '_')
}

impl Target {
    /// Parses `lock`, `self.lock`, `locks['alice']`, `forks[2]`.
    pub fn parse(text: &str) -> Result<Target, String> {
        let bad = || {
            format!(
                "expected a name, then `.attr` or `[key]` (an int or a quoted string), such as `locks['alice']`; found `{text}`"
            )
        };
        let end = text.find(['.', '[']).unwrap_or(text.len());
        let name = &text[..end];
        if !is_ident(name) {
            return Err(bad());
        }
        let mut rest = &text[end..];
        let mut path = Vec::new();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                if !is_ident(&r[..end]) {
                    return Err(bad());
                }
                path.push(Step::Attr(r[..end].to_string()));
                rest = &r[end..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let close = r.find(']').ok_or_else(bad)?;
                let key = r[..close].trim();
                let quoted = |q: char| {
                    key.strip_prefix(q)
                        .and_then(|k| k.strip_suffix(q))
                        .filter(|k| !k.contains(q))
                };
                let step = match quoted('\'').or_else(|| quoted('"')) {
                    Some(s) => Step::Str(s.to_string()),
                    None => Step::Int(key.parse().map_err(|_| bad())?),
                };
                path.push(step);
                rest = &r[close + 1..];
            } else {
                return Err(bad());
            }
        }
        Ok(Target {
            name: name.to_string(),
            path,
        })
    }
}

impl StopEvent {
    /// Parses what follows `until` in a schedule line (`blocked` is not an event: it is `*`).
    pub fn parse(text: &str) -> Result<StopEvent, String> {
        let (kind, arg) = text
            .split_once(char::is_whitespace)
            .map_or((text, ""), |(k, a)| (k, a.trim()));
        match kind {
            "line" => arg
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .map(StopEvent::Line)
                .ok_or_else(|| format!("expected `until line N` with a line number, found `{text}`")),
            "store" if is_ident(arg) => Ok(StopEvent::Store(arg.to_string())),
            "store" => match Target::parse(arg) {
                Ok(t) if !t.path.is_empty() => Ok(StopEvent::StoreAt(t)),
                _ => Err(format!(
                    "expected `until store NAME` with a variable or attribute name, or a target such as `tally['the']` or `self.balance`, found `{text}`"
                )),
            },
            "acquire" if arg.is_empty() => Ok(StopEvent::Acquire(None)),
            "acquire" => Ok(StopEvent::Acquire(Some(Target::parse(arg)?))),
            _ => Err(format!(
                "unknown event `{text}` (a turn may run `until line N`, `until store NAME`, `until acquire [LOCK]` or `until blocked`)"
            )),
        }
    }

    /// The names this event refers to, which the program must have.
    pub fn names(&self) -> Vec<&str> {
        match self {
            StopEvent::Line(_) | StopEvent::Acquire(None) => Vec::new(),
            StopEvent::Store(n) => vec![n],
            StopEvent::Acquire(Some(t)) | StopEvent::StoreAt(t) => {
                let mut v = vec![t.name.as_str()];
                for s in &t.path {
                    if let Step::Attr(a) = s {
                        v.push(a);
                    }
                }
                v
            }
        }
    }
}

impl Vm {
    /// Whether `tid`'s next instruction makes `ev` happen.
    pub fn at_event(&self, tid: Tid, ev: &StopEvent) -> bool {
        let t = &self.threads[tid as usize];
        let Some(f) = t.frames.last() else {
            return false;
        };
        let code = &self.prog.codes[f.code as usize];
        let Some(ins) = code.instrs.get(f.pc as usize) else {
            return false;
        };
        let user = f.code < self.prelude.start;
        match ev {
            StopEvent::Line(n) => user && code.lines.get(f.pc as usize) == Some(n),
            StopEvent::Store(name) => match ins.op {
                Opcode::STORE_GLOBAL | Opcode::STORE_NAME | Opcode::STORE_ATTR => {
                    self.prog.names.get(ins.arg as usize) == Some(name)
                }
                Opcode::STORE_FAST | Opcode::STORE_DEREF => {
                    (ins.arg as usize) < code.nlocalsplus()
                        && code.localsplus_name(ins.arg as usize) == name
                }
                Opcode::STORE_SUBSCR | Opcode::DELETE_SUBSCR => {
                    let whole = Target {
                        name: name.clone(),
                        path: Vec::new(),
                    };
                    self.stores_item_of(tid, ins.op, &whole, None)
                }
                _ => false,
            },
            StopEvent::StoreAt(target) => self.stores_target(tid, *ins, target),
            StopEvent::Acquire(target) => {
                let stack = &t.stack;
                let n = stack.len();
                let lock = match ins.op {
                    Opcode::BEFORE_WITH if n > 0 => stack[n - 1],
                    Opcode::CALL if n >= ins.arg as usize + 2 => {
                        let at = n - ins.arg as usize - 2;
                        match stack[at] {
                            Value::Method(m) if m.attr == AttrSym::acquire => stack[at + 1],
                            _ => return false,
                        }
                    }
                    _ => return false,
                };
                let Value::Obj(id) = lock else { return false };
                if !matches!(self.rt.heap.get(id), Obj::Sync(_)) {
                    return false;
                }
                match target {
                    None => true,
                    Some(tg) => self.resolve_target(tid, tg) == Some(lock),
                }
            }
        }
    }

    /// Whether `ins`, `tid`'s next instruction, stores what `target` names (`tally['the']`,
    /// `self.balance`) or an item of the container it holds.
    fn stores_target(&self, tid: Tid, ins: crate::bytecode::Instr, target: &Target) -> bool {
        let (Some(last), Some(prefix)) = (target.path.last(), target.path.split_last()) else {
            return false;
        };
        let owner = Target {
            name: target.name.clone(),
            path: prefix.1.to_vec(),
        };
        match (ins.op, last) {
            (Opcode::STORE_ATTR, Step::Attr(a)) => {
                let stack = &self.threads[tid as usize].stack;
                self.prog.names.get(ins.arg as usize) == Some(a)
                    && stack.last().is_some_and(|o| {
                        matches!(o, Value::Obj(_)) && self.resolve_target(tid, &owner) == Some(*o)
                    })
            }
            (Opcode::STORE_SUBSCR | Opcode::DELETE_SUBSCR, Step::Int(_) | Step::Str(_)) => {
                self.stores_item_of(tid, ins.op, &owner, Some(last))
                    || self.stores_item_of(tid, ins.op, target, None)
            }
            (Opcode::STORE_SUBSCR | Opcode::DELETE_SUBSCR, Step::Attr(_)) => {
                self.stores_item_of(tid, ins.op, target, None)
            }
            _ => false,
        }
    }

    /// Whether `op` (`STORE_SUBSCR` or `DELETE_SUBSCR`, about to run in `tid`) stores or
    /// deletes an item of the object `container` names, at `key` when one is given.
    fn stores_item_of(&self, tid: Tid, op: Opcode, container: &Target, key: Option<&Step>) -> bool {
        let stack = &self.threads[tid as usize].stack;
        let n = stack.len();
        // STORE_SUBSCR pops the index, the container and the value; DELETE_SUBSCR the index
        // and the container: either way the container is second from the top.
        if n < 2 || (op == Opcode::STORE_SUBSCR && n < 3) {
            return false;
        }
        let (obj, index) = (stack[n - 2], stack[n - 1]);
        if !matches!(obj, Value::Obj(_)) || self.resolve_target(tid, container) != Some(obj) {
            return false;
        }
        match key {
            None => true,
            Some(k) => {
                let want = match k {
                    Step::Int(i) => HashKey::Int(*i),
                    Step::Str(s) => HashKey::Str(s.as_str().into()),
                    Step::Attr(_) => return false,
                };
                crate::vm::ops::hash_key(&self.rt, index).is_ok_and(|h| h == want)
            }
        }
    }

    /// The object `target` names for thread `tid` now: a local of its running function, else
    /// a global, then the attributes and keys.
    fn resolve_target(&self, tid: Tid, target: &Target) -> Option<Value> {
        let t = &self.threads[tid as usize];
        let f = t.frames.last()?;
        let code = &self.prog.codes[f.code as usize];
        let local = (0..code.nlocalsplus())
            .find(|&i| code.localsplus_name(i) == target.name)
            .and_then(|i| t.stack.get(f.base as usize + i).copied())
            .filter(|v| !matches!(v, Value::Undef));
        let mut v = match local {
            Some(v) => v,
            None => {
                let id = self.prog.names.iter().position(|n| *n == target.name)?;
                let g = self.globals.get(id)?.value;
                if matches!(g, Value::Undef) {
                    return None;
                }
                g
            }
        };
        for s in &target.path {
            let Value::Obj(o) = v else { return None };
            v = match (s, self.rt.heap.get(o)) {
                (Step::Attr(a), Obj::Instance(inst)) => {
                    let id = self.prog.names.iter().position(|n| n == a)? as u32;
                    *inst.attrs.get(&id)?
                }
                (Step::Int(i), Obj::List(items) | Obj::Tuple(items)) => {
                    let k = if *i < 0 { *i + items.len() as i64 } else { *i };
                    *items.get(usize::try_from(k).ok()?)?
                }
                (Step::Int(i), Obj::Dict(map)) => map.get(&HashKey::Int(*i))?.1,
                (Step::Str(k), Obj::Dict(map)) => map.get(&HashKey::Str(k.as_str().into()))?.1,
                _ => return None,
            };
        }
        Some(v)
    }
}
