//! The prelude: library functions written in Python (`prelude.toy`), compiled with gilvm's own
//! compiler and linked after the program's code objects.
//!
//! Built-ins whose Python semantics call back into Python code — `sorted(key=…)`,
//! `min`/`max(key=…)`, `list.sort(key=…)`, `Condition.wait_for`, a `Barrier`'s action — return a call to one of
//! these functions instead of re-entering the interpreter from Rust. So the interpreter loop is
//! never nested, the callbacks run (and can be preempted) like any Python code, and tracebacks
//! through them read naturally. Prelude frames are shown as `<gilvm prelude>`.

use crate::bytecode::{CodeId, Program};

/// The prelude's source, valid Python 3.
pub const SOURCE: &str = include_str!("prelude.toy");
/// The file name tracebacks show for prelude frames.
pub const FILENAME: &str = "<gilvm prelude>";

/// The prelude functions the VM calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreludeFn {
    SortedKey,
    ListSortKey,
    MinKey,
    MaxKey,
    CondWaitFor,
    BarrierAction,
}

impl PreludeFn {
    const ALL: [PreludeFn; 6] = [
        PreludeFn::SortedKey,
        PreludeFn::ListSortKey,
        PreludeFn::MinKey,
        PreludeFn::MaxKey,
        PreludeFn::CondWaitFor,
        PreludeFn::BarrierAction,
    ];

    fn name(self) -> &'static str {
        match self {
            PreludeFn::SortedKey => "sorted_key",
            PreludeFn::ListSortKey => "list_sort_key",
            PreludeFn::MinKey => "min_key",
            PreludeFn::MaxKey => "max_key",
            PreludeFn::CondWaitFor => "cond_wait_for",
            PreludeFn::BarrierAction => "barrier_action",
        }
    }
}

/// Where the prelude sits in a linked program.
#[derive(Clone, Debug, Default)]
pub struct Prelude {
    /// Code objects from this index on belong to the prelude.
    pub start: CodeId,
    codes: Vec<CodeId>,
}

impl Prelude {
    /// Compiles the prelude and appends it to `prog`.
    pub fn link(prog: &mut Program) -> Prelude {
        // The prelude is gilvm's own fixed source, covered by a test: failing to compile it is
        // a build defect, never a consequence of user input.
        let compiled = crate::compile_source(FILENAME, SOURCE)
            .unwrap_or_else(|e| panic!("internal error: the prelude does not compile: {e:?}"));
        let start = prog.link(&compiled);
        let codes = PreludeFn::ALL
            .iter()
            .map(|f| {
                let i = compiled
                    .codes
                    .iter()
                    .position(|c| c.name == f.name())
                    .unwrap_or_else(|| panic!("internal error: prelude lacks {}", f.name()));
                start + i as CodeId
            })
            .collect();
        Prelude { start, codes }
    }

    pub fn code(&self, f: PreludeFn) -> CodeId {
        self.codes[PreludeFn::ALL.iter().position(|g| *g == f).unwrap_or(0)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prelude_compiles_and_links_every_function() {
        let mut prog = crate::compile_source("t.toy", "x = 1\n").unwrap();
        let n = prog.codes.len() as CodeId;
        let p = Prelude::link(&mut prog);
        assert_eq!(p.start, n);
        for f in PreludeFn::ALL {
            assert_eq!(prog.codes[p.code(f) as usize].name, f.name());
        }
    }
}
