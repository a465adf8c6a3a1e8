//! The prelude: library functions written in Python (`prelude.toy`), compiled with gilvm's own
//! compiler and linked after the program's code objects — and the [`Image`], a program linked
//! with it and checked, ready for any number of VMs.
//!
//! The VM never compiles: its caller (the run layer, `run.rs`) compiles [`SOURCE`] once per
//! process and hands the compiled prelude to [`Image::link`], once per program.
//!
//! Built-ins whose Python semantics call back into Python code — `sorted(key=…)`,
//! `min`/`max(key=…)`, `list.sort(key=…)`, `Condition.wait_for`, a `Barrier`'s action — return a call to one of
//! these functions instead of re-entering the interpreter from Rust. So the interpreter loop is
//! never nested, the callbacks run (and can be preempted) like any Python code, and tracebacks
//! through them read naturally. Prelude frames are shown as `<gilvm prelude>`. (`sorted(key=f)`
//! with a Python `f` over a list, tuple, str, dict, set or range is done natively instead:
//! `vm::sortkey`.)

use crate::bytecode::{CodeId, Program};
use crate::vm::exceptions::ExcKind;
use crate::vm::natives::{AttrSym, NativeId};
use crate::vm::value::Value;

/// The prelude's source, valid Python 3.
pub const SOURCE: &str = include_str!("prelude.toy");
/// Where the part of [`SOURCE`] only programs with classes need starts: the functions before
/// it are the core prelude ([`core_source`]), linked into every program.
pub const CLASSES_MARKER: &str = "# ---- classes ----";

/// The core prelude: [`SOURCE`] up to [`CLASSES_MARKER`] (a prefix, so its line numbers are
/// the full source's, which tracebacks show).
pub fn core_source() -> &'static str {
    SOURCE.split(CLASSES_MARKER).next().unwrap_or(SOURCE)
}

/// Whether `program` can reach the class part of the prelude: it defines a class or imports
/// `functools` or `dataclasses` (every prelude function after [`CLASSES_MARKER`] is reached
/// only through an instance of a class, `functools.reduce` or a dataclass).
pub fn needs_classes(program: &Program) -> bool {
    program.names.iter().any(|n| {
        matches!(
            n.as_str(),
            "functools" | "dataclasses" | "itertools" | "contextlib" | "map" | "filter"
        )
    }) || program.codes.iter().any(|c| {
        c.instrs.iter().any(|i| {
            matches!(
                i.op,
                crate::bytecode::Opcode::LOAD_BUILD_CLASS
                    | crate::bytecode::Opcode::RETURN_GENERATOR
            )
        })
    })
}

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
    PrintObjects,
    FormatObject,
    Reduce,
    SortObjects,
    ListSortObjects,
    MinMaxObjects,
    CallWithLists,
    DataclassFill,
    ReprContainer,
    SumObjects,
    ContainsObjects,
    FindEqualKey,
    BuildDict,
    ListIndexObjects,
    ListCountObjects,
    ListRemoveObjects,
    DictGetObjects,
    DictSetdefaultObjects,
    DictPopObjects,
    // stdlib
    UnpackIterable,
    // ---- generators and iteration (`vm::iteration`) ----
    ItToList,
    ItCallWithListsKw,
    ItSumIter,
    ItAnyIter,
    ItAllIter,
    ItMinMaxIter,
    ItSumRest,
    ItAnyRest,
    ItAllRest,
    ItMinMaxRest,
    ItEnumerate,
    ItZip,
    ItMap,
    ItFilter,
    ItCount,
    ItCycle,
    ItRepeat,
    ItAccumulate,
    ItChain,
    ItIslice,
    ItProduct,
    ItPermutations,
    ItCombinations,
    ItGroupby,
    ItZipLongest,
    ItStarmap,
    ItTakewhile,
    ItDropwhile,
    ItContextmanager,
    ItCmEnter,
    ItCmExit,
}

impl PreludeFn {
    pub const ALL: [PreludeFn; 57] = [
        PreludeFn::SortedKey,
        PreludeFn::ListSortKey,
        PreludeFn::MinKey,
        PreludeFn::MaxKey,
        PreludeFn::CondWaitFor,
        PreludeFn::BarrierAction,
        PreludeFn::PrintObjects,
        PreludeFn::FormatObject,
        PreludeFn::Reduce,
        PreludeFn::SortObjects,
        PreludeFn::ListSortObjects,
        PreludeFn::MinMaxObjects,
        PreludeFn::CallWithLists,
        PreludeFn::DataclassFill,
        PreludeFn::ReprContainer,
        PreludeFn::SumObjects,
        PreludeFn::ContainsObjects,
        PreludeFn::FindEqualKey,
        PreludeFn::BuildDict,
        PreludeFn::ListIndexObjects,
        PreludeFn::ListCountObjects,
        PreludeFn::ListRemoveObjects,
        PreludeFn::DictGetObjects,
        PreludeFn::DictSetdefaultObjects,
        PreludeFn::DictPopObjects,
        PreludeFn::UnpackIterable,
        PreludeFn::ItToList,
        PreludeFn::ItCallWithListsKw,
        PreludeFn::ItSumIter,
        PreludeFn::ItAnyIter,
        PreludeFn::ItAllIter,
        PreludeFn::ItMinMaxIter,
        PreludeFn::ItSumRest,
        PreludeFn::ItAnyRest,
        PreludeFn::ItAllRest,
        PreludeFn::ItMinMaxRest,
        PreludeFn::ItEnumerate,
        PreludeFn::ItZip,
        PreludeFn::ItMap,
        PreludeFn::ItFilter,
        PreludeFn::ItCount,
        PreludeFn::ItCycle,
        PreludeFn::ItRepeat,
        PreludeFn::ItAccumulate,
        PreludeFn::ItChain,
        PreludeFn::ItIslice,
        PreludeFn::ItProduct,
        PreludeFn::ItPermutations,
        PreludeFn::ItCombinations,
        PreludeFn::ItGroupby,
        PreludeFn::ItZipLongest,
        PreludeFn::ItStarmap,
        PreludeFn::ItTakewhile,
        PreludeFn::ItDropwhile,
        PreludeFn::ItContextmanager,
        PreludeFn::ItCmEnter,
        PreludeFn::ItCmExit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PreludeFn::SortedKey => "sorted_key",
            PreludeFn::ListSortKey => "list_sort_key",
            PreludeFn::MinKey => "min_key",
            PreludeFn::MaxKey => "max_key",
            PreludeFn::CondWaitFor => "cond_wait_for",
            PreludeFn::BarrierAction => "barrier_action",
            PreludeFn::PrintObjects => "print_objects",
            PreludeFn::FormatObject => "format_object",
            PreludeFn::Reduce => "reduce",
            PreludeFn::SortObjects => "sort_objects",
            PreludeFn::ListSortObjects => "list_sort_objects",
            PreludeFn::MinMaxObjects => "min_max_objects",
            PreludeFn::CallWithLists => "call_with_lists",
            PreludeFn::DataclassFill => "dataclass_fill",
            PreludeFn::ReprContainer => "repr_container",
            PreludeFn::SumObjects => "sum_objects",
            PreludeFn::ContainsObjects => "contains_objects",
            PreludeFn::FindEqualKey => "find_equal_key",
            PreludeFn::BuildDict => "build_dict",
            PreludeFn::ListIndexObjects => "list_index_objects",
            PreludeFn::ListCountObjects => "list_count_objects",
            PreludeFn::ListRemoveObjects => "list_remove_objects",
            PreludeFn::DictGetObjects => "dict_get_objects",
            PreludeFn::DictSetdefaultObjects => "dict_setdefault_objects",
            PreludeFn::DictPopObjects => "dict_pop_objects",
            PreludeFn::UnpackIterable => "unpack_iterable",
            PreludeFn::ItToList => "to_list",
            PreludeFn::ItCallWithListsKw => "call_with_lists_kw",
            PreludeFn::ItSumIter => "sum_iter",
            PreludeFn::ItAnyIter => "any_iter",
            PreludeFn::ItAllIter => "all_iter",
            PreludeFn::ItMinMaxIter => "min_max_iter",
            PreludeFn::ItSumRest => "sum_rest",
            PreludeFn::ItAnyRest => "any_rest",
            PreludeFn::ItAllRest => "all_rest",
            PreludeFn::ItMinMaxRest => "min_max_rest",
            PreludeFn::ItEnumerate => "enumerate",
            PreludeFn::ItZip => "zip",
            PreludeFn::ItMap => "map",
            PreludeFn::ItFilter => "filter",
            PreludeFn::ItCount => "count",
            PreludeFn::ItCycle => "cycle",
            PreludeFn::ItRepeat => "repeat",
            PreludeFn::ItAccumulate => "accumulate",
            PreludeFn::ItChain => "chain",
            PreludeFn::ItIslice => "islice",
            PreludeFn::ItProduct => "product",
            PreludeFn::ItPermutations => "permutations",
            PreludeFn::ItCombinations => "combinations",
            PreludeFn::ItGroupby => "groupby",
            PreludeFn::ItZipLongest => "zip_longest",
            PreludeFn::ItStarmap => "starmap",
            PreludeFn::ItTakewhile => "takewhile",
            PreludeFn::ItDropwhile => "dropwhile",
            PreludeFn::ItContextmanager => "contextmanager",
            PreludeFn::ItCmEnter => "cm_enter",
            PreludeFn::ItCmExit => "cm_exit",
        }
    }
}

/// Where the prelude sits in a linked program.
#[derive(Clone, Copy, Debug)]
pub struct Prelude {
    /// Code objects from this index on belong to the prelude.
    pub start: CodeId,
    /// The code object of each of [`PreludeFn::ALL`], in that order.
    codes: [CodeId; PreludeFn::ALL.len()],
}

impl Default for Prelude {
    fn default() -> Prelude {
        Prelude {
            start: 0,
            codes: [CodeId::MAX; PreludeFn::ALL.len()],
        }
    }
}

impl Prelude {
    /// Appends the compiled prelude `compiled` (gilvm's own [`SOURCE`]) to `prog`.
    pub fn link(prog: &mut Program, compiled: &Program) -> Prelude {
        // The prelude is gilvm's own fixed source, covered by a test: lacking one of its
        // functions is a build defect, never a consequence of user input.
        let start = prog.link(compiled);
        let codes = PreludeFn::ALL.map(|f| {
            // The core prelude lacks the class part: `CodeId::MAX`, which `code` reports.
            match compiled.codes.iter().position(|c| c.name == f.name()) {
                Some(i) => start + i as CodeId,
                None => CodeId::MAX,
            }
        });
        Prelude { start, codes }
    }

    /// The code object of `f`; `None` when the program was linked with the core prelude only.
    pub fn code(&self, f: PreludeFn) -> Option<CodeId> {
        let c = self.codes[PreludeFn::ALL.iter().position(|g| *g == f).unwrap_or(0)];
        (c != CodeId::MAX).then_some(c)
    }
}

/// A program ready to run: the user's program with the prelude linked after it, fused runs
/// marked, control flow checked, and the per-name tables the interpreter consults. Built once
/// per program and shared by every VM of that program; immutable plain data (`Send + Sync`),
/// so a sweep's worker threads share one. A VM runs from a [`LocalImage`], this thread's
/// reference-counted copy of it.
#[derive(Clone, Debug)]
pub struct Image {
    /// The linked program.
    pub program: Program,
    /// Where the prelude's functions are.
    pub prelude: Prelude,
    /// The attribute symbol of each entry of the name table, if it is one gilvm knows.
    pub attr_of: Vec<Option<AttrSym>>,
    /// Built-in value of each name id (`Undef` if none): consulted when a global is unset.
    pub builtins: Vec<Value>,
    /// The Python-written standard modules linked in (`vm/pymodules.rs`).
    pub modules: Vec<crate::vm::pymodules::LinkedModule>,
}

impl Image {
    /// Links `user` with the compiled prelude (`prelude`, compiled from [`SOURCE`]), marks the
    /// fused runs, checks the control flow and builds the name tables. An error is an internal
    /// one (the compiler made bytecode the interpreter must not run).
    pub fn link(user: &Program, prelude: &Program) -> Result<Image, String> {
        Image::link_with(user, prelude, &[])
    }

    /// [`Image::link`], with the Python-written modules `modules` linked after the prelude.
    pub fn link_with(
        user: &Program,
        prelude: &Program,
        modules: &[&crate::vm::pymodules::CompiledModule],
    ) -> Result<Image, String> {
        let mut program = user.clone();
        let prelude = Prelude::link(&mut program, prelude);
        let modules = modules
            .iter()
            .map(|m| crate::vm::pymodules::LinkedModule::link(&mut program, m))
            .collect();
        program.mark_fused_runs();
        crate::vm::cta::mark_checks(&mut program, prelude.start);
        program
            .check_control_flow()
            .map_err(|e| format!("gilvm internal error: bad bytecode: {e}"))?;
        let attr_of = program.names.iter().map(|n| AttrSym::from_str(n)).collect();
        // A Python-written module's renamed globals (`operator:abs`) fall back to the built-in
        // of their own name, as a module's globals do.
        let builtins = program
            .names
            .iter()
            .map(|n| builtin_value(n.rsplit(':').next().unwrap_or(n)))
            .collect();
        Ok(Image {
            program,
            prelude,
            attr_of,
            builtins,
            modules,
        })
    }

    /// The one copy, for a single run (`gilvm run`): [`Image::local`] without copying the
    /// program.
    pub fn into_local(self) -> LocalImage {
        LocalImage {
            names: std::rc::Rc::new(ImageNames::new(&self.program)),
            program: std::rc::Rc::new(self.program),
            prelude: self.prelude,
            attr_of: std::rc::Rc::new(self.attr_of),
            builtins: self.builtins,
            modules: std::rc::Rc::new(self.modules),
        }
    }

    /// This thread's copy, to build VMs from: one deep copy, after which every VM of the
    /// thread shares it by reference count (the interpreter clones its `Rc<Program>` once per
    /// slice, which must stay a plain, non-atomic increment).
    pub fn local(&self) -> LocalImage {
        LocalImage {
            names: std::rc::Rc::new(ImageNames::new(&self.program)),
            program: std::rc::Rc::new(self.program.clone()),
            prelude: self.prelude,
            attr_of: std::rc::Rc::new(self.attr_of.clone()),
            builtins: self.builtins.clone(),
            modules: std::rc::Rc::new(self.modules.clone()),
        }
    }
}

/// An [`Image`] as the VMs of one thread share it (see [`Image::local`]).
#[derive(Clone, Debug)]
pub struct LocalImage {
    pub program: std::rc::Rc<Program>,
    pub prelude: Prelude,
    pub attr_of: std::rc::Rc<Vec<Option<AttrSym>>>,
    pub builtins: Vec<Value>,
    pub modules: std::rc::Rc<Vec<crate::vm::pymodules::LinkedModule>>,
    /// Name ids every VM looks up, found once (each is a search of the program's names).
    pub names: std::rc::Rc<ImageNames>,
}

/// The name ids a VM needs at its start, found once per image rather than once per VM (`gilvm
/// explore` builds one VM per execution).
#[derive(Clone, Debug)]
pub struct ImageNames {
    pub dunders: crate::vm::classes::Dunders,
    pub special: crate::vm::dunder::Names,
    /// `__name__`, if the program spells it.
    pub dunder_name: Option<usize>,
}

impl ImageNames {
    pub fn new(program: &Program) -> ImageNames {
        ImageNames {
            dunders: crate::vm::classes::Dunders::new(&program.names),
            special: crate::vm::dunder::Names::new(&program.names),
            dunder_name: program.names.iter().position(|n| n == "__name__"),
        }
    }
}

/// The built-in a global name falls back to.
fn builtin_value(name: &str) -> Value {
    if let Some(n) = NativeId::builtin_from_str(name) {
        return Value::Native(n);
    }
    if let Some(k) = ExcKind::ALL
        .iter()
        .find(|k| k.is_builtin_name() && k.name() == name)
    {
        return Value::ExcType(*k);
    }
    Value::Undef
}
