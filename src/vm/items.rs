//! Lost-update tracking for list slots, dict keys and attributes of instances and classes.
//!
//! Globals and cells carry their [`LocMeta`] beside the value; container items would need a
//! meta per slot, so they live in a side table keyed by (container, index or key). The table is
//! only consulted once a second thread has started (a single thread cannot lose an update to
//! another), and entries of collected containers are dropped after each collection.

use std::collections::HashMap;

use crate::vm::attrtable::NO_LOC;
use crate::vm::heap::{FixedState, HashKey, Obj};
use crate::vm::lost::LocMeta;
use crate::vm::machine::Vm;
use crate::vm::value::{ObjId, Value};
use crate::vm::{format, ops};

/// A slot of a list (by non-negative index) or a key of a dict.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ItemKey {
    Index(i64),
    Key(HashKey),
    /// The container as a whole (its length, its membership): the check-then-act
    /// detector's location for `len(xs)`, `if xs:`, `x in xs` (`cta.rs`).
    Whole,
}

/// One tracked item.
#[derive(Clone, Debug)]
pub struct ItemLoc {
    pub meta: LocMeta,
    pub container: u32,
    /// How a list or dict item, or a container as a whole, is named (`None` for an
    /// attribute, named by `owner` and `name`): boxed, as most locations are attributes
    /// (an attribute's location is 48 bytes, not 88, made for each attribute of each object
    /// once two threads run).
    pub text: Option<Box<ItemText>>,
    /// The attribute's name id, for an attribute of an instance.
    pub attr: Option<u32>,
    /// classes2: for an attribute (whose `desc` is left empty: made on demand by
    /// `Vm::item_desc`), the attribute's name id and the owner's name (its class's, or the
    /// class's own for a class attribute) as an index into `ItemTable::owners`; `NO_OWNER`
    /// for list and dict items and wholes.
    pub owner: u32,
    pub name: u32,
}

/// How a location that is not an attribute is named.
#[derive(Clone, Debug)]
pub struct ItemText {
    /// How the summary names it: `item [3] of a list`, `item 'x' of a dict`, `a list`.
    pub desc: String,
    /// The subscript as a program writes it after the container (`[3]`, `['x']`; empty for
    /// a whole), for the race report's `balances['x']`.
    pub shown: String,
}

impl ItemLoc {
    /// [`ItemText::desc`] (empty for an attribute: see `Vm::item_desc`).
    pub fn desc(&self) -> &str {
        self.text.as_ref().map_or("", |t| &t.desc)
    }

    /// [`ItemText::shown`] (empty for an attribute).
    pub fn shown(&self) -> &str {
        self.text.as_ref().map_or("", |t| &t.shown)
    }
}

/// `ItemLoc::owner` of a location that is not an attribute.
pub const NO_OWNER: u32 = u32::MAX;

#[derive(Default)]
pub struct ItemTable {
    index: HashMap<(u32, ItemKey), u32, FixedState>,
    pub locs: Vec<ItemLoc>,
    /// Whether any container's whole location exists (the check-then-act detector made one):
    /// until then a write to a container looks for none.
    pub wholes: bool,
    /// classes2: the names of the classes whose instances' (or own) attributes have
    /// locations, each once (an attribute location names its owner by index here instead
    /// of formatting and keeping its own description).
    owners: Vec<Box<str>>,
    owner_ids: HashMap<Box<str>, u32, FixedState>,
    /// gx: the owner `owner_id` answered last, plus one: new locations come in runs of one
    /// class's attributes (an `__init__` storing them), so the name is compared with it
    /// before it is hashed (0: none yet).
    last_owner: u32,
    /// The owner of each class whose instances' attributes have locations, by class id
    /// (checked against the class's name when used; dead classes dropped after a
    /// collection, as their ids may be reused).
    class_owners: HashMap<u32, u32, FixedState>,
    /// classes2: the attribute locations, by `object id << 32 | name id` (one `u64` to hash
    /// on every attribute access once two threads exist, not an `(u32, ItemKey)`).
    attrs: HashMap<u64, u32, FixedState>,
}

impl ItemTable {
    /// The index of owner name `n` in `owners`, added on first use.
    fn owner_id(&mut self, n: &str) -> u32 {
        if let Some(last) = self.last_owner.checked_sub(1) {
            if self.owners.get(last as usize).is_some_and(|o| **o == *n) {
                return last;
            }
        }
        let i = match self.owner_ids.get(n) {
            Some(&i) => i,
            None => {
                let i = self.owners.len() as u32;
                self.owners.push(n.into());
                self.owner_ids.insert(n.into(), i);
                i
            }
        };
        self.last_owner = i + 1;
        i
    }
}

impl Vm {
    /// The tracked location for `container[index]`, if it is a list slot or a dict key and
    /// more than one thread exists.
    ///
    /// ld3: the one-thread answer is inline (the call itself was ≈1.5% of a list/dict loop);
    /// the look-up is [`Vm::item_loc_shared`].
    #[inline(always)]
    pub fn item_loc(&mut self, container: Value, index: Value) -> Option<u32> {
        if self.threads.len() < 2 {
            return None;
        }
        self.item_loc_shared(container, index)
    }

    /// [`Vm::item_loc`] once more than one thread exists.
    #[inline(never)]
    fn item_loc_shared(&mut self, container: Value, index: Value) -> Option<u32> {
        let Value::Obj(id) = container else {
            return None;
        };
        let (key, kind) = match self.rt.heap.get(id) {
            Obj::List(items) => {
                let i = ops::as_index(index)?;
                let i = if i < 0 { i + items.len() as i64 } else { i };
                if i < 0 || i >= items.len() as i64 {
                    return None;
                }
                (ItemKey::Index(i), "list")
            }
            Obj::Dict(_) => (ItemKey::Key(ops::hash_key(&self.rt, index).ok()?), "dict"),
            _ => return None,
        };
        let k = (id.0, key);
        if let Some(&loc) = self.items.index.get(&k) {
            return Some(loc);
        }
        let shown = match &k.1 {
            ItemKey::Index(i) => format!("[{i}]"),
            ItemKey::Key(_) => format::repr(&self.rt, index).unwrap_or_else(|_| "?".into()),
            ItemKey::Whole => String::new(),
        };
        let loc = self.items.locs.len() as u32;
        self.items.locs.push(ItemLoc {
            meta: LocMeta::default(),
            container: id.0,
            text: Some(Box::new(ItemText {
                desc: format!("item {shown} of a {kind}"),
                shown: match &k.1 {
                    ItemKey::Index(_) => shown,
                    _ => format!("[{shown}]"),
                },
            })),
            attr: None,
            owner: NO_OWNER,
            name: 0,
        });
        self.items.index.insert(k, loc);
        Some(loc)
    }

    /// The tracked location for attribute `name` of an instance or a class (`self.balance`),
    /// once more than one thread exists.
    pub fn attr_loc(&mut self, obj: Value, name: u32) -> Option<u32> {
        if self.threads.len() < 2 {
            return None;
        }
        let Value::Obj(id) = obj else {
            return None;
        };
        // An instance's own attribute remembers its location (`AttrTable::loc`): no hash.
        let at = match self.rt.heap.get(id) {
            Obj::Instance(inst) => match inst.attrs.loc(name) {
                Some((i, NO_LOC)) => Some(i),
                Some((_, loc)) => return Some(loc),
                None => None,
            },
            Obj::Class(_) => None,
            _ => return None,
        };
        let k = u64::from(id.0) << 32 | u64::from(name);
        let loc = match self.items.attrs.get(&k) {
            Some(&loc) => loc,
            None => self.new_attr_loc(id, name, k),
        };
        if let Some(i) = at {
            if let Obj::Instance(inst) = self.rt.heap.get_mut(id) {
                inst.attrs.set_loc(i, loc);
            }
        }
        Some(loc)
    }

    /// A new location for attribute `name` of `id` (an instance's or a class's), made on its
    /// first access once two threads exist (a class attribute read through an instance has
    /// one of its own, keyed by the instance). Its key `k` is remembered in the item table,
    /// where `del obj.x; obj.x = …` finds it again.
    #[inline(never)]
    fn new_attr_loc(&mut self, id: ObjId, name: u32, k: u64) -> u32 {
        let obj = Value::Obj(id);
        // The description (`attribute balance of a Account`, `Account.rate`) is made only
        // when a report needs it (`item_desc`): here, only the owner's name is noted.
        let (instance, owner) = match self.rt.heap.get(id) {
            Obj::Class(c) => (false, self.items.owner_id(&c.name)),
            // An instance's owner is its class's name, found by the class's id: new
            // locations come from `__init__`s of several classes in turn (a `Future`, its
            // work item), where the last owner's name missed and the name was hashed.
            Obj::Instance(i) => {
                let name = match self.rt.heap.get(i.class) {
                    Obj::Class(c) => c.name.as_str(),
                    _ => "object",
                };
                let items = &mut self.items;
                let known = items.class_owners.get(&i.class.0).copied();
                let owner = match known {
                    // The name is compared: a class's `__name__` may be assigned.
                    Some(o) if items.owners.get(o as usize).is_some_and(|n| **n == *name) => o,
                    _ => {
                        let o = items.owner_id(name);
                        items.class_owners.insert(i.class.0, o);
                        o
                    }
                };
                (true, owner)
            }
            _ => (true, self.items.owner_id(ops::type_name(&self.rt, obj))),
        };
        let loc = self.items.locs.len() as u32;
        self.items.locs.push(ItemLoc {
            meta: LocMeta::default(),
            container: id.0,
            text: None,
            attr: instance.then_some(name),
            owner,
            name,
        });
        self.items.attrs.insert(k, loc);
        loc
    }

    /// How the summary names tracked item `i`: `item [3] of a list`, `item 'x' of a dict`,
    /// `a list`, `attribute balance of a Account`, `Account.rate`.
    pub fn item_desc(&self, i: u32) -> String {
        let Some(l) = self.items.locs.get(i as usize) else {
            return String::new();
        };
        let Some(owner) = self.items.owners.get(l.owner as usize) else {
            return l.desc().to_string();
        };
        let name = &self.prog.names[l.name as usize];
        match l.attr {
            Some(_) => format!("attribute {name} of a {owner}"),
            None => format!("{owner}.{name}"),
        }
    }

    /// The location of container `container` (a list, dict or set) as a whole, once more than
    /// one thread exists; made on first use (by a check).
    pub fn whole_loc(&mut self, container: Value) -> Option<u32> {
        if self.threads.len() < 2 {
            return None;
        }
        let Value::Obj(id) = container else {
            return None;
        };
        let kind = match self.rt.heap.get(id) {
            Obj::List(_) => "list",
            Obj::Dict(_) => "dict",
            Obj::Set(_) => "set",
            _ => return None,
        };
        let k = (id.0, ItemKey::Whole);
        if let Some(&loc) = self.items.index.get(&k) {
            return Some(loc);
        }
        let loc = self.items.locs.len() as u32;
        self.items.locs.push(ItemLoc {
            meta: LocMeta::default(),
            container: id.0,
            text: Some(Box::new(ItemText {
                desc: format!("a {kind}"),
                shown: String::new(),
            })),
            attr: None,
            owner: NO_OWNER,
            name: 0,
        });
        self.items.index.insert(k, loc);
        self.items.wholes = true;
        Some(loc)
    }

    /// The whole location of container `id`, if one was made.
    pub fn existing_whole_loc(&self, id: u32) -> Option<u32> {
        if !self.items.wholes {
            return None;
        }
        self.items.index.get(&(id, ItemKey::Whole)).copied()
    }

    /// The location of key `key` of dict `id`, if one was made.
    pub fn existing_key_loc(&self, id: u32, key: Value) -> Option<u32> {
        let hk = ops::hash_key(&self.rt, key).ok()?;
        self.items.index.get(&(id, ItemKey::Key(hk))).copied()
    }

    /// The attribute locations made so far: (location, object, attribute name id). For the
    /// HTML page's value tracks (`trace/scrub.rs`), which watch `account.balance`.
    pub fn attr_locs(&self) -> Vec<(u32, u32, u32)> {
        let mut out: Vec<(u32, u32, u32)> = self
            .items
            .attrs
            .iter()
            .map(|(&k, &loc)| (loc, (k >> 32) as u32, k as u32))
            .collect();
        out.sort_unstable();
        out
    }

    /// Forgets items of containers the last collection freed (their ids may be reused).
    pub fn forget_dead_items(&mut self) {
        let heap = &self.rt.heap;
        self.items
            .index
            .retain(|(obj, _), _| heap.is_live(crate::vm::value::ObjId(*obj)));
        self.items
            .attrs
            .retain(|k, _| heap.is_live(crate::vm::value::ObjId((*k >> 32) as u32)));
        self.items
            .class_owners
            .retain(|k, _| heap.is_live(crate::vm::value::ObjId(*k)));
    }
}
