//! stdlib2: `threading.excepthook` set by the program, and assigning a member of a
//! Python-written module (`threading.excepthook = hook`).
//!
//! A thread whose `run()` raises ends as CPython's `_bootstrap_inner` ends it: by calling
//! `threading.excepthook(args)`. While the program leaves the hook alone, gilvm prints the
//! default hook's text itself (`Vm::report_uncaught`), so such a run costs nothing more. Once
//! the program has assigned another hook (the `threading` extension's `excepthook` global is
//! no longer its `__excepthook__`), the dying thread goes on instead by calling the
//! extension's `_invoke_excepthook(exc)` (`src/vm/pylib/threading_timer.toy`), which builds
//! the `ExceptHookArgs` and calls the hook in that thread, as CPython does; its instructions
//! are the thread's and show in `trace`.

use crate::vm::machine::Vm;
use crate::vm::natives::ModuleId;
use crate::vm::pymodules;
use crate::vm::thread::Tid;
use crate::vm::value::Value;

impl Vm {
    /// The global `name` of the loaded Python-written module `m`.
    fn py_global(&self, m: ModuleId, name: &str) -> Option<Value> {
        let i = self.py_modules.iter().position(|l| l.id == m)?;
        if self.modules_loaded & (1 << i) == 0 {
            return None;
        }
        let slot = self.py_modules[i].member(name)?;
        let v = self.globals.get(slot as usize)?.value;
        (v != Value::Undef).then_some(v)
    }

    /// Thread `tid` (not the main thread) died of `exc`: if the program replaced
    /// `threading.excepthook`, the thread goes on by calling it and this returns true (it is
    /// called once per thread: an exception escaping the hook's caller ends the thread).
    pub fn run_user_excepthook(&mut self, tid: Tid, exc: Value) -> bool {
        if tid == 0 || self.excepthook_ran.contains(&tid) {
            return false;
        }
        let m = ModuleId::ThreadingPy;
        let (Some(hook), Some(default), Some(invoke)) = (
            self.py_global(m, "excepthook"),
            self.py_global(m, "__excepthook__"),
            self.py_global(m, "_invoke_excepthook"),
        ) else {
            return false;
        };
        if hook == default {
            return false;
        }
        self.excepthook_ran.push(tid);
        let t = &mut self.threads[tid as usize];
        t.frames.clear();
        t.stack.clear();
        t.start = Some(Box::new(crate::vm::thread::StartCall {
            target: invoke,
            args: vec![exc],
            kwargs: None,
        }));
        true
    }

    /// `module.name = v` for a member of a Python-written module (or of the Python-written
    /// part of a native one): the module's global. False if `m` has no such global.
    pub fn store_module_attr(&mut self, m: ModuleId, name: &str, v: Value) -> bool {
        for id in [Some(m), pymodules::extension_of(m)].into_iter().flatten() {
            let Some(l) = self.py_modules.iter().find(|l| l.id == id) else {
                continue;
            };
            if let Some(slot) = l.member(name) {
                if let Some(g) = self.globals.get_mut(slot as usize) {
                    g.value = v;
                    return true;
                }
            }
        }
        false
    }
}
