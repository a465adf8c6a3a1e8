//! Standard modules written in Python (`vm/pylib/*.toy`): `concurrent.futures`,
//! `collections`, `operator`, `string`, `logging`, `traceback`. Each is compiled by gilvm's own compiler
//! like the prelude, only for a program that imports it (`needed`), and linked after the
//! prelude; `import` runs its body once, as CPython runs a module's code on first import, so
//! its instructions, hand-offs and blocking are a thread's like any other code's.
//!
//! A module keeps its globals apart from the program's: gilvm's globals are one array indexed
//! by name id, so the module's global names are renamed when it is compiled (`mangle`) to
//! `module:name` (`concurrent.futures:Future`), a name no Python identifier can collide with.
//! Names the module never assigns stay as they are and resolve to the built-ins. The module's
//! members, `cf.Future` or `from concurrent.futures import Future`, are those globals
//! ([`LinkedModule::member`]).

use crate::bytecode::{CodeId, Opcode, Program};
use crate::vm::natives::ModuleId;

/// A module written in Python: its source and the modules its members need.
pub struct ModuleSource {
    pub id: ModuleId,
    pub source: &'static str,
    /// Python-written modules it imports (linked with it).
    pub deps: &'static [ModuleId],
    /// The native module whose members it completes (`threading`'s `Timer`): its body runs
    /// on that module's first import, and that module's missing members are its globals.
    pub extends: Option<ModuleId>,
    /// For a module that `extends` another: the names that make a program need it. For one
    /// that does not, if not empty: a program that imports it is linked with it only when it
    /// names one of these (`collections` without its Python-written members is `deque` only,
    /// which is native).
    pub wanted_for: &'static [&'static str],
}

/// Every module gilvm writes in Python.
pub const MODULES: &[ModuleSource] = &[
    ModuleSource {
        id: ModuleId::ThreadingPy,
        source: include_str!("pylib/threading_timer.toy"),
        deps: &[],
        extends: Some(ModuleId::Threading),
        wanted_for: &[
            "Timer",
            "local",
            "excepthook",
            "__excepthook__",
            "ExceptHookArgs",
        ],
    },
    // stdlib2
    ModuleSource {
        id: ModuleId::ContextlibPy,
        source: include_str!("pylib/contextlib.toy"),
        deps: &[],
        extends: Some(ModuleId::Contextlib),
        wanted_for: &["suppress", "nullcontext"],
    },
    ModuleSource {
        id: ModuleId::ItertoolsPy,
        source: include_str!("pylib/itertools.toy"),
        deps: &[],
        extends: Some(ModuleId::Itertools),
        wanted_for: &["tee", "pairwise"],
    },
    ModuleSource {
        id: ModuleId::FunctoolsPy,
        source: include_str!("pylib/functools.toy"),
        deps: &[],
        extends: Some(ModuleId::Functools),
        wanted_for: &["lru_cache", "cache"],
    },
    ModuleSource {
        id: ModuleId::ConcurrentFutures,
        source: include_str!("pylib/concurrent_futures.toy"),
        deps: &[],
        extends: None,
        wanted_for: &[],
    },
    ModuleSource {
        id: ModuleId::Logging,
        source: include_str!("pylib/logging.toy"),
        deps: &[],
        extends: None,
        wanted_for: &[],
    },
    ModuleSource {
        id: ModuleId::Traceback,
        source: include_str!("pylib/traceback.toy"),
        deps: &[],
        extends: None,
        wanted_for: &[],
    },
    ModuleSource {
        id: ModuleId::Operator,
        source: include_str!("pylib/operator.toy"),
        deps: &[],
        extends: None,
        wanted_for: &[],
    },
    ModuleSource {
        id: ModuleId::Collections,
        source: include_str!("pylib/collections.toy"),
        deps: &[],
        extends: None,
        wanted_for: &["Counter", "defaultdict", "OrderedDict", "namedtuple"],
    },
    ModuleSource {
        id: ModuleId::String,
        source: include_str!("pylib/string.toy"),
        deps: &[],
        extends: None,
        wanted_for: &[],
    },
];

/// The Python source of `m`, if gilvm writes it in Python.
pub fn source(m: ModuleId) -> Option<&'static ModuleSource> {
    MODULES.iter().find(|s| s.id == m)
}

/// The Python-written module completing the native module `m`, if any.
pub fn extension_of(m: ModuleId) -> Option<ModuleId> {
    MODULES.iter().find(|s| s.extends == Some(m)).map(|s| s.id)
}

/// The package a dotted module sits in (`concurrent` for `concurrent.futures`), whose
/// attribute the module is.
pub fn package_of(m: ModuleId) -> Option<ModuleId> {
    match m {
        ModuleId::ConcurrentFutures => Some(ModuleId::Concurrent),
        _ => None,
    }
}

/// The Python-written modules `program` imports, with what they import, each once, in
/// `MODULES` order (so the same program always links the same way).
pub fn needed(program: &Program) -> Vec<ModuleId> {
    let mut want: Vec<ModuleId> = Vec::new();
    let names_one = |of: &[&str]| program.names.iter().any(|n| of.contains(&n.as_str()));
    let add = |m: ModuleId, want: &mut Vec<ModuleId>| {
        let Some(s) = source(m) else { return };
        let named = s.extends.is_some() || s.wanted_for.is_empty() || names_one(s.wanted_for);
        if named && !want.contains(&m) {
            want.push(m);
        }
    };
    for code in &program.codes {
        for ins in &code.instrs {
            if ins.op == Opcode::IMPORT_NAME {
                if let Some(m) = program
                    .names
                    .get(ins.arg as usize)
                    .and_then(|n| ModuleId::from_str(n))
                {
                    // `from concurrent import futures`
                    let m = match m {
                        ModuleId::Concurrent => ModuleId::ConcurrentFutures,
                        m => m,
                    };
                    add(m, &mut want);
                }
            }
        }
    }
    // A module completing a native one, when the program imports that one and names one of
    // its members.
    for s in MODULES {
        if let Some(base) = s.extends {
            let imports_base = program.codes.iter().any(|c| {
                c.instrs.iter().any(|ins| {
                    ins.op == Opcode::IMPORT_NAME
                        && program.names.get(ins.arg as usize).map(String::as_str)
                            == Some(base.name())
                })
            });
            if imports_base
                && program
                    .names
                    .iter()
                    .any(|n| s.wanted_for.contains(&n.as_str()))
            {
                add(s.id, &mut want);
            }
        }
    }
    let mut i = 0;
    while i < want.len() {
        if let Some(s) = source(want[i]) {
            for d in s.deps {
                add(*d, &mut want);
            }
        }
        i += 1;
    }
    MODULES
        .iter()
        .map(|s| s.id)
        .filter(|m| want.contains(m))
        .collect()
}

/// The global name `name` of module `m` becomes in the linked program.
pub fn mangled(m: ModuleId, name: &str) -> String {
    format!("{}:{}", m.name(), name)
}

/// A module compiled and renamed, ready to link.
#[derive(Clone, Debug)]
pub struct CompiledModule {
    pub id: ModuleId,
    /// Its code; code object 0 is the module body.
    pub program: Program,
    /// Its global names (unmangled), sorted.
    pub globals: Vec<String>,
}

/// Renames the global names of the module program `prog` (compiled from `m`'s source): every
/// name the module assigns at module level or declares `global`, wherever it is read.
pub fn mangle(m: ModuleId, mut prog: Program) -> CompiledModule {
    use Opcode::*;
    let mut globals: Vec<String> = Vec::new();
    for code in &prog.codes {
        for ins in &code.instrs {
            if matches!(
                ins.op,
                STORE_NAME | DELETE_NAME | STORE_GLOBAL | DELETE_GLOBAL
            ) {
                if let Some(n) = prog.names.get(ins.arg as usize) {
                    if !globals.contains(n) {
                        globals.push(n.clone());
                    }
                }
            }
        }
    }
    globals.sort();
    let mut renamed: Vec<Option<u32>> = vec![None; prog.names.len()];
    for (i, n) in prog.names.clone().iter().enumerate() {
        if globals.binary_search(n).is_ok() {
            prog.names.push(mangled(m, n));
            renamed[i] = Some((prog.names.len() - 1) as u32);
        }
    }
    for code in &mut prog.codes {
        // A class body's own names shadow the module's: those stay unrenamed.
        let class_own: Vec<u32> = code
            .instrs
            .iter()
            .filter(|i| i.op == STORE_CLASS_NAME)
            .map(|i| i.arg)
            .collect();
        for ins in &mut code.instrs {
            let global_op = matches!(
                ins.op,
                LOAD_NAME | STORE_NAME | DELETE_NAME | LOAD_GLOBAL | STORE_GLOBAL | DELETE_GLOBAL
            ) || (ins.op == LOAD_CLASS_NAME && !class_own.contains(&ins.arg));
            if global_op {
                if let Some(Some(to)) = renamed.get(ins.arg as usize) {
                    ins.arg = *to;
                }
            }
        }
    }
    CompiledModule {
        id: m,
        program: prog,
        globals,
    }
}

/// The file name tracebacks show for the code object `code` if it is a Python-written
/// module's (`<gilvm concurrent.futures>`), and that module's source; `starts` is
/// `Rt::module_starts`.
pub fn module_of(starts: &[(u32, ModuleId)], code: u32) -> Option<(String, &'static str)> {
    let (_, m) = starts.iter().rev().find(|(s, _)| *s <= code)?;
    let src = source(*m)?;
    let shown = src.extends.unwrap_or(*m);
    Some((format!("<gilvm {}>", shown.name()), src.source))
}

/// A Python-written module as linked into a program.
#[derive(Clone, Debug)]
pub struct LinkedModule {
    pub id: ModuleId,
    /// The module body's code object.
    pub body: CodeId,
    /// (member name, global slot), sorted by name.
    pub members: Vec<(String, u32)>,
}

impl LinkedModule {
    /// Links `module` after the code already in `prog`.
    pub fn link(prog: &mut Program, module: &CompiledModule) -> LinkedModule {
        let body = prog.link(&module.program);
        let members = module
            .globals
            .iter()
            .filter_map(|g| {
                let full = mangled(module.id, g);
                let slot = prog.names.iter().position(|n| *n == full)?;
                Some((g.clone(), slot as u32))
            })
            .collect();
        LinkedModule {
            id: module.id,
            body,
            members,
        }
    }

    /// The global slot of member `name`.
    pub fn member(&self, name: &str) -> Option<u32> {
        self.members
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| self.members[i].1)
    }
}
