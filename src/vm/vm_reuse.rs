//! A fresh VM from the last one (`gilvm explore`, which runs one program tens of thousands of
//! times): what [`Vm::new`] builds the same way every time is kept from one execution to the
//! next instead of being built and dropped again.
//!
//! A new VM materialises every constant of the program and of the prelude on its heap (≈40
//! objects for the smallest program: strings, tuples) and the `__main__` string, in that
//! order, before anything runs. When an execution ends, [`Vm::into_spare`] keeps those
//! objects: its heap is cut back to the mark taken when the VM was made (the objects the run
//! allocated are dropped; the buffers keep their capacity), and the constants' table, the
//! globals' and the built-ins' buffers go with it. [`Vm::new_reusing`] then starts the next VM
//! from them. The objects below the mark are the same objects in the same slots that
//! materialising would give, because nothing can change them: constants are immutable
//! (`str` constants own their text, which only a growable view is ever appended to:
//! `vm/pystr.rs`; tuples, frozensets and big ints have no mutating operation), and a slot can
//! only be freed and reused by a collection, after which the heap is not kept
//! ([`Heap::reset_to`] refuses). Everything else about the VM is built afresh, as `new` does,
//! so the next execution is the one a fresh VM would run, byte for byte
//! (the tests below compare them).
//!
//! [`Heap::reset_to`]: crate::vm::heap::Heap::reset_to

use std::rc::Rc;

use crate::bytecode::Program;
use crate::vm::heap::{Heap, HeapMark};
use crate::vm::machine::{Global, Vm};
use crate::vm::prelude::LocalImage;
use crate::vm::thread::Thread;
use crate::vm::value::Value;

/// Where a VM's heap stood when it was made, and its `__main__` string; and whether the
/// values of its first lost updates are rendered for an explanation.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReuseMark {
    pub heap: HeapMark,
    pub main_str: Option<Value>,
    /// `true` (as `Vm::new` makes it): `Vm::note_lost` renders the stored and overwritten
    /// values of the first lost updates for the run summary's explanation. An exploration's
    /// executions that explain nothing (all but the shrinker's) set it to `false`: they only
    /// count lost updates, and rendering them was ≈1.5% of a dfs execution.
    pub explain_lost: bool,
}

/// What a finished VM leaves for the next VM of its image (see the module note).
pub struct Spare {
    /// The image's program (kept alive, so that the pointer identifies it).
    program: Rc<Program>,
    limit: usize,
    pub(crate) consts: Rc<Vec<Vec<Value>>>,
    pub(crate) main_str: Option<Value>,
    /// The heap, holding only the constants and the `__main__` string.
    pub(crate) heap: Heap,
    /// Empty buffers with capacity.
    pub(crate) globals: Vec<Global>,
    pub(crate) builtins: Vec<Value>,
    /// The threads' buffer, empty: an exploration's executions start the same threads every
    /// time, and growing it again from one thread cost ≈1,800 Ir per thread started
    /// (a `Thread` is 256 bytes: a reallocation and a copy of every thread so far).
    pub(crate) threads: Vec<Thread>,
}

impl Spare {
    /// Whether a VM of `image` with heap limit `limit` may start from this.
    pub fn fits(&self, image: &LocalImage, limit: usize) -> bool {
        Rc::ptr_eq(&self.program, &image.program) && self.limit == limit
    }
}

impl Vm {
    /// What this VM leaves for the next one of its image (`None` when its heap cannot be
    /// restored: a collection ran).
    pub fn into_spare(mut self) -> Option<Box<Spare>> {
        let mut heap = std::mem::replace(&mut self.rt.heap, Heap::new(0));
        if !heap.reset_to(&self.reuse.heap) {
            return None;
        }
        let mut globals = std::mem::take(&mut self.globals);
        globals.clear();
        let mut builtins = std::mem::take(&mut self.builtins);
        builtins.clear();
        let mut threads = std::mem::take(&mut self.threads);
        threads.clear();
        Some(Box::new(Spare {
            program: self.prog.clone(),
            limit: self.config.heap_limit,
            consts: self.consts.clone(),
            main_str: self.reuse.main_str,
            heap,
            globals,
            builtins,
            threads,
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::io::Write;
    use std::rc::Rc;

    use super::Spare;
    use crate::vm::gil::GilModel;
    use crate::vm::machine::Vm;
    use crate::vm::prelude::LocalImage;

    #[derive(Clone, Default)]
    struct Out(Rc<RefCell<Vec<u8>>>);

    impl Write for Out {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// One whole run from `spare` (or fresh): its stdout, exit status, instructions, the
    /// heap's objects as text, and what it leaves.
    fn run(
        local: &LocalImage,
        seed: u64,
        spare: Option<Box<Spare>>,
    ) -> (String, i32, u64, Vec<String>, Option<Box<Spare>>) {
        let config = crate::run::run_config(GilModel::Any, 100, 1_000_000, seed);
        let out = Out::default();
        let mut vm = Vm::new_reusing(local, config, Box::new(out.clone()), spare).expect("vm");
        let at_start: Vec<String> = vm
            .rt
            .heap
            .live()
            .map(|(id, o)| format!("{}:{o:?}", id.0))
            .collect();
        let mut err = Vec::new();
        let ending = vm.run(&mut err);
        let text = String::from_utf8_lossy(&out.0.borrow()).into_owned();
        let steps = vm.steps;
        (text, ending.exit_code(), steps, at_start, vm.into_spare())
    }

    fn image(source: &str) -> crate::vm::prelude::Image {
        let program = crate::compile_source("t.toy", source).expect("compiles");
        crate::run::image(&program).expect("links")
    }

    /// A VM started from the last one's spare has the heap a fresh one has, object for object,
    /// and runs the program the same way, run after run, whatever the last run did to its
    /// objects (mutated lists, dicts and attributes, new threads, a caught exception).
    #[test]
    fn a_reused_vm_is_a_fresh_vm() {
        let source = "import threading\nnames = ('a', 'b', 'c')\nd = {'k': [1, 2]}\nclass C:\n    tag = 'x'\n    def __init__(self):\n        self.v = names\ncounter = 0\ndef work(n):\n    global counter\n    for _ in range(n):\n        counter += 1\n    d['k'].append(n)\n    C.tag = C.tag + str(n)\nts = [threading.Thread(target=work, args=(k,)) for k in (3, 4)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\ntry:\n    raise ValueError('no ' + names[1])\nexcept ValueError as e:\n    print(e, __name__)\nprint(counter, d, C.tag, C().v, frozenset({1, 2}), 10**30)\n";
        let image = image(source);
        let local = image.local();
        let mut spare = None;
        for seed in 0..6 {
            let fresh = run(&local, seed, None);
            let reused = run(&local, seed, spare.take());
            assert!(fresh.0.contains("no b __main__"), "{}", fresh.0);
            assert_eq!(
                (&fresh.0, fresh.1, fresh.2, &fresh.3),
                (&reused.0, reused.1, reused.2, &reused.3),
                "seed {seed}"
            );
            assert!(
                reused.4.is_some(),
                "the heap is kept after a run without a collection"
            );
            spare = reused.4;
        }
    }

    /// A spare is only taken by a VM of the same image, and a run that collected garbage
    /// leaves none (a collection may have freed and reused a slot below the mark).
    #[test]
    fn a_spare_fits_its_image_only_and_not_after_a_collection() {
        let a = image("print('a')\n");
        let b = image("print('b')\n");
        let (la, lb) = (a.local(), b.local());
        let (_, _, _, _, spare) = run(&la, 0, None);
        let spare = spare.expect("kept");
        assert!(spare.fits(&la, crate::vm::machine::DEFAULT_HEAP_LIMIT));
        assert!(!spare.fits(&lb, crate::vm::machine::DEFAULT_HEAP_LIMIT));
        let (text, ..) = run(&lb, 0, Some(spare));
        assert_eq!(text, "b\n");
        let garbage = image("x = 0\nfor i in range(300):\n    x = [i] * 20000\nprint(len(x))\n");
        let lg = garbage.local();
        let (text, code, _, _, spare) = run(&lg, 0, None);
        assert_eq!((text.as_str(), code), ("20000\n", 0));
        assert!(spare.is_none(), "a collection ran: nothing is kept");
    }
}
