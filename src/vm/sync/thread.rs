//! `threading.Thread` objects: what a program sees of a thread (name, target, daemon flag).
//! The running state (frames, stack) is the VM's [`crate::vm::thread::Thread`].

use crate::vm::sync::Tid;
use crate::vm::value::Value;

#[derive(Debug)]
pub struct ThreadObj {
    pub name: String,
    pub target: Value,
    pub args: Vec<Value>,
    /// A dict of keyword arguments, if given.
    pub kwargs: Option<Value>,
    pub daemon: bool,
    /// The VM thread once started (`start()` twice is a RuntimeError).
    pub tid: Option<Tid>,
}
