//! Scope analysis: which names are local, global, cells or free variables in each code block.
//!
//! This is CPython 3.11's `symtable.c`, restricted to gilvm's language. One pass walks the AST in
//! CPython's order, recording for every block (module, function, lambda, comprehension) the flags
//! of each name (bound, used, parameter, `global`, `nonlocal`) and reporting the errors CPython's
//! symbol table reports while walking (`name 'x' is used prior to global declaration`,
//! `duplicate argument 'x' in function definition`, …). A second pass resolves every name to a
//! [`NameScope`] exactly like `analyze_block`: locals captured by an inner block become cells,
//! names bound in an enclosing function become free variables (passed through intermediate
//! blocks), everything else is global. Comprehensions are blocks of their own (CPython 3.11
//! compiles them as nested functions taking the outermost iterator as the parameter `.0`).
//!
//! A few checks CPython makes in its parser are made here too, because the AST cannot express
//! them otherwise: `non-default argument follows default argument` and
//! `positional argument follows keyword argument`.
//!
//! One CPython quirk is kept on purpose: a `global x` in any function also marks `x` as declared
//! global in the module block, so module-level code uses `LOAD_GLOBAL`/`STORE_GLOBAL` for it, as
//! `python3.11 -m dis` shows.
//!
//! This module does not emit code; the compiler looks blocks up with [`ScopeTable::scope_of_def`]
//! and friends, keyed by the address of the AST node (the AST is borrowed, unchanged, by both
//! passes).

use std::collections::{BTreeSet, HashMap};

use indexmap::IndexMap;

use crate::ast::{
    ClassDef, Comprehension, Expr, ExprKind, FunctionDef, Ident, Module, Params, Pattern,
    PatternKind, Span, Stmt, StmtKind,
};
use crate::error::CompileError;

/// Index of a block in [`ScopeTable::scopes`]; 0 is the module.
pub type ScopeId = usize;

/// What kind of code block a scope is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Function,
    Lambda,
    Comprehension,
    /// A class body: its names live in the class namespace (`*_NAME`), invisible to methods.
    Class,
}

/// Where a name lives, as seen from one block (CPython's LOCAL, GLOBAL_EXPLICIT, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameScope {
    /// Bound in this block and not captured: `*_FAST` in functions, `*_NAME` in the module.
    Local,
    /// Declared `global` (in this block, or anywhere for the module block): `*_GLOBAL`.
    GlobalExplicit,
    /// Not bound anywhere visible: `LOAD_GLOBAL` in functions, `LOAD_NAME` in the module.
    GlobalImplicit,
    /// Bound in an enclosing function: `*_DEREF` through a free-variable slot.
    Free,
    /// Bound here and captured by an inner block: `*_DEREF` through a cell slot.
    Cell,
}

/// One block's names after analysis.
#[derive(Clone, Debug)]
pub struct Scope {
    pub kind: ScopeKind,
    pub name: String,
    /// Parameters in `co_varnames` order: positional, keyword-only, then `*args`.
    pub params: Vec<String>,
    /// Every name mentioned in the block, with its flags, in first-mention order.
    symbols: IndexMap<String, Symbol>,
    /// Resolved scope of each symbol (filled by the analysis pass).
    resolved: HashMap<String, NameScope>,
    /// Cell variables, sorted by name (CPython's `co_cellvars` order).
    pub cellvars: Vec<String>,
    /// Free variables, sorted by name (CPython's `co_freevars` order).
    pub freevars: Vec<String>,
    children: Vec<ScopeId>,
    /// A function containing `yield` (or a generator expression): its code starts with
    /// `RETURN_GENERATOR` (CPython's `CO_GENERATOR`).
    pub is_generator: bool,
}

impl Scope {
    /// How `name` is accessed from this block.
    pub fn resolve(&self, name: &str) -> Option<NameScope> {
        self.resolved.get(name).copied()
    }
}

/// The result of scope analysis for a whole module.
#[derive(Clone, Debug)]
pub struct ScopeTable {
    pub scopes: Vec<Scope>,
    by_node: HashMap<usize, ScopeId>,
}

impl ScopeTable {
    /// The block of a `def`.
    pub fn scope_of_def(&self, def: &FunctionDef) -> Option<ScopeId> {
        self.by_node
            .get(&(def as *const FunctionDef as usize))
            .copied()
    }

    /// Whether `name` is bound by an `import` at module level. CPython 3.11 does not use
    /// `LOAD_METHOD` on such names (`threading.Lock()` is `LOAD_ATTR` + `CALL`).
    pub fn is_module_import(&self, name: &str) -> bool {
        self.scopes
            .first()
            .and_then(|s| s.symbols.get(name))
            .is_some_and(|s| s.flags & DEF_IMPORT != 0)
    }

    /// The block of a `class` body.
    pub fn scope_of_class(&self, def: &ClassDef) -> Option<ScopeId> {
        self.by_node
            .get(&(def as *const ClassDef as usize))
            .copied()
    }

    /// The block of a lambda or comprehension expression.
    pub fn scope_of_expr(&self, expr: &Expr) -> Option<ScopeId> {
        self.by_node.get(&(expr as *const Expr as usize)).copied()
    }
}

/// Analyses a module: builds every block's symbol table and resolves every name.
pub fn analyze(module: &Module) -> Result<ScopeTable, CompileError> {
    let mut b = Builder {
        scopes: Vec::new(),
        by_node: HashMap::new(),
        stack: Vec::new(),
        in_comp_iter: 0,
    };
    b.enter(ScopeKind::Module, "top", None);
    b.visit_body(&module.body)?;
    b.stack.pop();
    let mut table = ScopeTable {
        scopes: b.scopes,
        by_node: b.by_node,
    };
    let mut free = BTreeSet::new();
    let mut global = BTreeSet::new();
    analyze_block(&mut table.scopes, 0, None, &mut free, &mut global)?;
    Ok(table)
}

const DEF_GLOBAL: u32 = 1;
const DEF_LOCAL: u32 = 2;
const DEF_PARAM: u32 = 4;
const DEF_NONLOCAL: u32 = 8;
const USE: u32 = 16;
const DEF_IMPORT: u32 = 32;
/// A comprehension's iteration variable (`:=` may not rebind it).
const DEF_COMP_ITER: u32 = 64;
const DEF_BOUND: u32 = DEF_LOCAL | DEF_PARAM | DEF_IMPORT;

#[derive(Clone, Debug)]
struct Symbol {
    flags: u32,
    /// The `global`/`nonlocal` statement that declared it, for errors found during analysis.
    directive: Option<Span>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Load,
    Store,
}

struct Builder {
    scopes: Vec<Scope>,
    by_node: HashMap<usize, ScopeId>,
    stack: Vec<ScopeId>,
    /// Inside a comprehension's iterable expression (where `:=` is refused).
    in_comp_iter: u32,
}

impl Builder {
    fn enter(&mut self, kind: ScopeKind, name: &str, key: Option<usize>) {
        let id = self.scopes.len();
        self.scopes.push(Scope {
            kind,
            name: name.to_string(),
            params: Vec::new(),
            symbols: IndexMap::new(),
            resolved: HashMap::new(),
            cellvars: Vec::new(),
            freevars: Vec::new(),
            children: Vec::new(),
            is_generator: kind == ScopeKind::Comprehension && name == "genexpr",
        });
        if let Some(&parent) = self.stack.last() {
            self.scopes[parent].children.push(id);
        }
        if let Some(key) = key {
            self.by_node.insert(key, id);
        }
        self.stack.push(id);
    }

    fn cur(&mut self) -> &mut Scope {
        let id = self.stack.last().copied().unwrap_or(0);
        &mut self.scopes[id]
    }

    fn flags(&mut self, name: &str) -> u32 {
        self.cur().symbols.get(name).map_or(0, |s| s.flags)
    }

    /// CPython's `symtable_add_def`.
    fn add_def(&mut self, name: &str, flag: u32, span: Span) -> Result<(), CompileError> {
        let id = self.stack.last().copied().unwrap_or(0);
        self.add_def_in(id, name, flag, span)
    }

    /// `symtable_add_def` into block `id` (an enclosing block, for `:=` in a comprehension).
    fn add_def_in(
        &mut self,
        id: ScopeId,
        name: &str,
        flag: u32,
        span: Span,
    ) -> Result<(), CompileError> {
        let scope = &mut self.scopes[id];
        let sym = scope.symbols.entry(name.to_string()).or_insert(Symbol {
            flags: 0,
            directive: None,
        });
        if flag & DEF_PARAM != 0 {
            if sym.flags & DEF_PARAM != 0 {
                return Err(CompileError::syntax(
                    format!("duplicate argument '{name}' in function definition"),
                    span,
                ));
            }
            scope.params.push(name.to_string());
        }
        sym.flags |= flag;
        if flag & DEF_GLOBAL != 0 {
            let top = &mut self.scopes[0];
            let sym = top.symbols.entry(name.to_string()).or_insert(Symbol {
                flags: 0,
                directive: None,
            });
            sym.flags |= DEF_GLOBAL;
        }
        Ok(())
    }

    fn visit_body(&mut self, body: &[Stmt]) -> Result<(), CompileError> {
        for stmt in body {
            self.visit_stmt(stmt)?;
        }
        Ok(())
    }

    fn visit_stmt(&mut self, stmt: &Stmt) -> Result<(), CompileError> {
        // `elif` chains are nested Ifs: walk them iteratively so a long chain cannot overflow
        // the stack.
        let mut stmt = stmt;
        loop {
            if let StmtKind::If { test, body, orelse } = &stmt.kind {
                self.visit_expr(test, Ctx::Load)?;
                self.visit_body(body)?;
                if let [next @ Stmt {
                    kind: StmtKind::If { .. },
                    ..
                }] = orelse.as_slice()
                {
                    stmt = next;
                    continue;
                }
                return self.visit_body(orelse);
            }
            break;
        }
        match &stmt.kind {
            StmtKind::Expr(e) => self.visit_expr(e, Ctx::Load),
            StmtKind::Assign { targets, value } => {
                for t in targets {
                    self.visit_expr(t, Ctx::Store)?;
                }
                self.visit_expr(value, Ctx::Load)
            }
            StmtKind::AugAssign { target, value, .. } => {
                self.visit_expr(target, Ctx::Store)?;
                self.visit_expr(value, Ctx::Load)
            }
            StmtKind::AnnAssign {
                target,
                annotation,
                value,
                ..
            } => {
                // As CPython's symtable: an annotated name is local even without a value,
                // and the annotation's names are uses wherever it stands.
                self.visit_expr(target, Ctx::Store)?;
                self.visit_expr(annotation, Ctx::Load)?;
                match value {
                    Some(v) => self.visit_expr(v, Ctx::Load),
                    None => Ok(()),
                }
            }
            StmtKind::If { .. } => Ok(()),
            StmtKind::While { test, body, orelse } => {
                self.visit_expr(test, Ctx::Load)?;
                self.visit_body(body)?;
                self.visit_body(orelse)
            }
            StmtKind::For {
                target,
                iter,
                body,
                orelse,
            } => {
                self.visit_expr(target, Ctx::Store)?;
                self.visit_expr(iter, Ctx::Load)?;
                self.visit_body(body)?;
                self.visit_body(orelse)
            }
            StmtKind::Break | StmtKind::Continue | StmtKind::Pass => Ok(()),
            StmtKind::FunctionDef(def) => {
                self.add_def(&def.name.name, DEF_LOCAL, def.name.span)?;
                self.visit_exprs(&def.decorators, Ctx::Load)?;
                self.visit_defaults(&def.params)?;
                for p in def.params.args.iter().chain(&def.params.kwonly) {
                    if let Some(a) = &p.annotation {
                        self.visit_expr(a, Ctx::Load)?;
                    }
                }
                if let Some(r) = &def.returns {
                    self.visit_expr(r, Ctx::Load)?;
                }
                let key = &**def as *const FunctionDef as usize;
                self.enter(ScopeKind::Function, &def.name.name, Some(key));
                self.visit_params(&def.params)?;
                self.visit_body(&def.body)?;
                self.stack.pop();
                Ok(())
            }
            StmtKind::ClassDef(def) => {
                self.add_def(&def.name.name, DEF_LOCAL, def.name.span)?;
                self.visit_exprs(&def.decorators, Ctx::Load)?;
                self.visit_exprs(&def.bases, Ctx::Load)?;
                let key = &**def as *const ClassDef as usize;
                self.enter(ScopeKind::Class, &def.name.name, Some(key));
                self.visit_body(&def.body)?;
                self.stack.pop();
                Ok(())
            }
            StmtKind::Return(value) => match value {
                Some(v) => self.visit_expr(v, Ctx::Load),
                None => Ok(()),
            },
            StmtKind::Global(names) => self.visit_directive(names, DEF_GLOBAL, stmt.span),
            StmtKind::Nonlocal(names) => self.visit_directive(names, DEF_NONLOCAL, stmt.span),
            StmtKind::With { items, body } => {
                for item in items {
                    self.visit_expr(&item.context, Ctx::Load)?;
                    if let Some(t) = &item.target {
                        self.visit_expr(t, Ctx::Store)?;
                    }
                }
                self.visit_body(body)
            }
            StmtKind::Assert { test, msg } => {
                self.visit_expr(test, Ctx::Load)?;
                if let Some(m) = msg {
                    self.visit_expr(m, Ctx::Load)?;
                }
                Ok(())
            }
            StmtKind::Raise { exc, cause } => {
                if let Some(e) = exc {
                    self.visit_expr(e, Ctx::Load)?;
                }
                if let Some(c) = cause {
                    self.visit_expr(c, Ctx::Load)?;
                }
                Ok(())
            }
            StmtKind::Try {
                body,
                handlers,
                orelse,
                finalbody,
            } => {
                self.visit_body(body)?;
                self.visit_body(orelse)?;
                for h in handlers {
                    if let Some(t) = &h.typ {
                        self.visit_expr(t, Ctx::Load)?;
                    }
                    if let Some(n) = &h.name {
                        self.add_def(&n.name, DEF_LOCAL, n.span)?;
                    }
                    self.visit_body(&h.body)?;
                }
                self.visit_body(finalbody)
            }
            StmtKind::Delete(targets) => {
                for t in targets {
                    self.visit_expr(t, Ctx::Store)?;
                }
                Ok(())
            }
            StmtKind::Match { subject, cases } => {
                self.visit_expr(subject, Ctx::Load)?;
                for case in cases {
                    self.visit_pattern(&case.pattern)?;
                    if let Some(g) = &case.guard {
                        self.visit_expr(g, Ctx::Load)?;
                    }
                    self.visit_body(&case.body)?;
                }
                Ok(())
            }
            StmtKind::Import(aliases) | StmtKind::ImportFrom { names: aliases, .. } => {
                for a in aliases {
                    let stored = match &a.asname {
                        Some(asname) => asname.name.as_str(),
                        None => a.name.name.split('.').next().unwrap_or(""),
                    };
                    if stored == "*" {
                        if self.cur().kind != ScopeKind::Module {
                            return Err(CompileError::syntax(
                                "import * only allowed at module level",
                                stmt.span,
                            ));
                        }
                        continue;
                    }
                    self.add_def(stored, DEF_IMPORT, a.name.span)?;
                }
                Ok(())
            }
        }
    }

    /// A pattern's captures are stores; its values and class names are loads (CPython's
    /// `symtable_visit_pattern`).
    fn visit_pattern(&mut self, p: &Pattern) -> Result<(), CompileError> {
        match &p.kind {
            PatternKind::MatchValue(e) | PatternKind::MatchSingleton(e) => {
                self.visit_expr(e, Ctx::Load)
            }
            PatternKind::MatchSequence(items) | PatternKind::MatchOr(items) => {
                items.iter().try_for_each(|q| self.visit_pattern(q))
            }
            PatternKind::MatchMapping {
                keys,
                patterns,
                rest,
            } => {
                self.visit_exprs(keys, Ctx::Load)?;
                patterns.iter().try_for_each(|q| self.visit_pattern(q))?;
                match rest {
                    Some(n) => self.add_def(&n.name, DEF_LOCAL, n.span),
                    None => Ok(()),
                }
            }
            PatternKind::MatchClass {
                cls,
                patterns,
                kwd_patterns,
                ..
            } => {
                self.visit_expr(cls, Ctx::Load)?;
                patterns
                    .iter()
                    .chain(kwd_patterns)
                    .try_for_each(|q| self.visit_pattern(q))
            }
            PatternKind::MatchStar(name) => match name {
                Some(n) => self.add_def(&n.name, DEF_LOCAL, n.span),
                None => Ok(()),
            },
            PatternKind::MatchAs { pattern, name } => {
                if let Some(q) = pattern {
                    self.visit_pattern(q)?;
                }
                match name {
                    Some(n) => self.add_def(&n.name, DEF_LOCAL, n.span),
                    None => Ok(()),
                }
            }
        }
    }

    fn visit_directive(
        &mut self,
        names: &[Ident],
        flag: u32,
        span: Span,
    ) -> Result<(), CompileError> {
        let what = if flag == DEF_GLOBAL {
            "global"
        } else {
            "nonlocal"
        };
        for ident in names {
            let name = ident.name.as_str();
            let cur = self.flags(name);
            if cur & (DEF_PARAM | DEF_LOCAL | USE) != 0 {
                let msg = if cur & DEF_PARAM != 0 {
                    format!("name '{name}' is parameter and {what}")
                } else if cur & USE != 0 {
                    format!("name '{name}' is used prior to {what} declaration")
                } else {
                    format!("name '{name}' is assigned to before {what} declaration")
                };
                return Err(CompileError::syntax(msg, span));
            }
            self.add_def(name, flag, ident.span)?;
            if let Some(sym) = self.cur().symbols.get_mut(name) {
                if sym.directive.is_none() {
                    sym.directive = Some(span);
                }
            }
        }
        Ok(())
    }

    /// Default values are evaluated in the enclosing block.
    fn visit_defaults(&mut self, params: &Params) -> Result<(), CompileError> {
        let mut seen_default = false;
        for p in &params.args {
            match &p.default {
                Some(d) => {
                    seen_default = true;
                    self.visit_expr(d, Ctx::Load)?;
                }
                None if seen_default => {
                    return Err(CompileError::syntax(
                        "non-default argument follows default argument",
                        p.name.span,
                    ));
                }
                None => {}
            }
        }
        for p in &params.kwonly {
            if let Some(d) = &p.default {
                self.visit_expr(d, Ctx::Load)?;
            }
        }
        Ok(())
    }

    fn visit_params(&mut self, params: &Params) -> Result<(), CompileError> {
        for p in params.args.iter().chain(&params.kwonly) {
            self.add_def(&p.name.name, DEF_PARAM, p.name.span)?;
        }
        if let Some(v) = &params.vararg {
            self.add_def(&v.name, DEF_PARAM, v.span)?;
        }
        if let Some(k) = &params.kwarg {
            self.add_def(&k.name, DEF_PARAM, k.span)?;
        }
        Ok(())
    }

    fn visit_exprs(&mut self, exprs: &[Expr], ctx: Ctx) -> Result<(), CompileError> {
        for e in exprs {
            self.visit_expr(e, ctx)?;
        }
        Ok(())
    }

    fn visit_expr(&mut self, expr: &Expr, ctx: Ctx) -> Result<(), CompileError> {
        match &expr.kind {
            ExprKind::Name(name) => {
                let flag = if ctx == Ctx::Load { USE } else { DEF_LOCAL };
                // CPython: a function that mentions `super` gets the implicit `__class__`
                // cell of the class it is defined in (zero-argument `super()`).
                if ctx == Ctx::Load
                    && name == "super"
                    && !matches!(self.cur().kind, ScopeKind::Module | ScopeKind::Class)
                {
                    self.add_def("__class__", USE, expr.span)?;
                }
                self.add_def(name, flag, expr.span)
            }
            ExprKind::Int(_)
            | ExprKind::BigInt(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::True
            | ExprKind::False
            | ExprKind::None
            | ExprKind::Ellipsis => Ok(()),
            ExprKind::JoinedStr(parts) => self.visit_fstring(parts),
            ExprKind::List(elts) | ExprKind::Tuple(elts) => self.visit_exprs(elts, ctx),
            ExprKind::Dict(pairs) => {
                for (k, v) in pairs {
                    if let Some(k) = k {
                        self.visit_expr(k, Ctx::Load)?;
                    }
                    self.visit_expr(v, Ctx::Load)?;
                }
                Ok(())
            }
            ExprKind::Set(elts) => self.visit_exprs(elts, Ctx::Load),
            ExprKind::NamedExpr { target, value } => self.visit_named_expr(target, value),
            ExprKind::Starred(value) => self.visit_expr(value, ctx),
            ExprKind::BinOp { left, right, .. } => {
                self.visit_expr(left, Ctx::Load)?;
                self.visit_expr(right, Ctx::Load)
            }
            ExprKind::UnaryOp { operand, .. } => self.visit_expr(operand, Ctx::Load),
            ExprKind::BoolOp { values, .. } => self.visit_exprs(values, Ctx::Load),
            ExprKind::Compare { left, ops } => {
                self.visit_expr(left, Ctx::Load)?;
                for (_, e) in ops {
                    self.visit_expr(e, Ctx::Load)?;
                }
                Ok(())
            }
            ExprKind::Call {
                func,
                args,
                keywords,
            } => {
                if let Some(first_kw) = keywords.iter().find_map(|k| k.name.as_ref()) {
                    let kw_start = first_kw.span.start;
                    if let Some(bad) = args.iter().find(|a| {
                        !matches!(a.kind, ExprKind::Starred(_)) && a.span.start > kw_start
                    }) {
                        return Err(CompileError::syntax(
                            "positional argument follows keyword argument",
                            bad.span,
                        ));
                    }
                }
                self.visit_expr(func, Ctx::Load)?;
                self.visit_exprs(args, Ctx::Load)?;
                for k in keywords {
                    self.visit_expr(&k.value, Ctx::Load)?;
                }
                Ok(())
            }
            ExprKind::Attribute { value, .. } => self.visit_expr(value, Ctx::Load),
            ExprKind::Subscript { value, index } => {
                self.visit_expr(value, Ctx::Load)?;
                self.visit_expr(index, Ctx::Load)
            }
            ExprKind::Slice { lower, upper, step } => {
                for part in [lower, upper, step].into_iter().flatten() {
                    self.visit_expr(part, Ctx::Load)?;
                }
                Ok(())
            }
            ExprKind::IfExp { test, body, orelse } => {
                self.visit_expr(test, Ctx::Load)?;
                self.visit_expr(body, Ctx::Load)?;
                self.visit_expr(orelse, Ctx::Load)
            }
            ExprKind::Lambda { params, body } => {
                self.visit_defaults(params)?;
                self.enter(
                    ScopeKind::Lambda,
                    "lambda",
                    Some(expr as *const Expr as usize),
                );
                self.visit_params(params)?;
                self.visit_expr(body, Ctx::Load)?;
                self.stack.pop();
                Ok(())
            }
            ExprKind::Yield(value) => {
                self.visit_yield(expr)?;
                match value {
                    Some(v) => self.visit_expr(v, Ctx::Load),
                    None => Ok(()),
                }
            }
            ExprKind::YieldFrom(value) => {
                self.visit_yield(expr)?;
                self.visit_expr(value, Ctx::Load)
            }
            ExprKind::ListComp { elt, generators } => {
                self.visit_comprehension(expr, "listcomp", elt, generators)
            }
            ExprKind::GeneratorExp { elt, generators } => {
                self.visit_comprehension(expr, "genexpr", elt, generators)
            }
            ExprKind::SetComp { elt, generators } => {
                self.visit_comprehension(expr, "setcomp", elt, generators)
            }
            ExprKind::DictComp {
                key,
                value,
                generators,
            } => {
                // The key is visited with the value, inside the comprehension's block.
                self.visit_comprehension_pair(expr, key, value, generators)
            }
        }
    }

    /// A `yield` makes the enclosing function a generator; CPython's symtable refuses it
    /// outside a function and inside a comprehension, in these words.
    fn visit_yield(&mut self, expr: &Expr) -> Result<(), CompileError> {
        let scope = self.cur();
        match scope.kind {
            ScopeKind::Function | ScopeKind::Lambda => {
                scope.is_generator = true;
                Ok(())
            }
            ScopeKind::Comprehension => {
                let what = match scope.name.as_str() {
                    "listcomp" => "list comprehension",
                    "setcomp" => "set comprehension",
                    "dictcomp" => "dict comprehension",
                    _ => "generator expression",
                };
                Err(CompileError::syntax(
                    format!("'yield' inside {what}"),
                    expr.span,
                ))
            }
            ScopeKind::Module | ScopeKind::Class => {
                Err(CompileError::syntax("'yield' outside function", expr.span))
            }
        }
    }

    /// CPython's `symtable_handle_namedexpr`: inside a comprehension the target binds in the
    /// nearest enclosing function (as a free variable of the comprehension) or in the module
    /// (as a global), never in the comprehension itself.
    fn visit_named_expr(&mut self, target: &Expr, value: &Expr) -> Result<(), CompileError> {
        let ExprKind::Name(name) = &target.kind else {
            return Err(CompileError::syntax(
                "cannot use assignment expressions with this target",
                target.span,
            ));
        };
        if self.in_comp_iter > 0 {
            return Err(CompileError::syntax(
                "assignment expression cannot be used in a comprehension iterable expression",
                target.span,
            ));
        }
        if self.cur().kind == ScopeKind::Comprehension {
            self.extend_named_expr_scope(name, target.span)?;
        }
        self.visit_expr(value, Ctx::Load)?;
        self.visit_expr(target, Ctx::Store)
    }

    /// CPython's `symtable_extend_namedexpr_scope`.
    fn extend_named_expr_scope(&mut self, name: &str, span: Span) -> Result<(), CompileError> {
        for i in (0..self.stack.len()).rev() {
            let id = self.stack[i];
            let scope = &self.scopes[id];
            let flags = scope.symbols.get(name).map_or(0, |s| s.flags);
            match scope.kind {
                ScopeKind::Comprehension => {
                    if flags & DEF_COMP_ITER != 0 {
                        return Err(CompileError::syntax(
                            format!(
                                "assignment expression cannot rebind comprehension iteration \
                                 variable '{name}'"
                            ),
                            span,
                        ));
                    }
                }
                ScopeKind::Function | ScopeKind::Lambda => {
                    let flag = if flags & DEF_GLOBAL != 0 {
                        DEF_GLOBAL
                    } else {
                        DEF_NONLOCAL
                    };
                    self.add_def(name, flag, span)?;
                    self.record_directive(name, span);
                    return self.add_def_in(id, name, DEF_LOCAL, span);
                }
                ScopeKind::Module => {
                    self.add_def(name, DEF_GLOBAL, span)?;
                    self.record_directive(name, span);
                    return self.add_def_in(id, name, DEF_GLOBAL, span);
                }
                ScopeKind::Class => {
                    return Err(CompileError::syntax(
                        "assignment expression within a comprehension cannot be used in a \
                         class body",
                        span,
                    ));
                }
            }
        }
        Ok(())
    }

    fn record_directive(&mut self, name: &str, span: Span) {
        if let Some(sym) = self.cur().symbols.get_mut(name) {
            if sym.directive.is_none() {
                sym.directive = Some(span);
            }
        }
    }

    fn visit_fstring(&mut self, parts: &[crate::ast::FStringPart]) -> Result<(), CompileError> {
        for part in parts {
            if let crate::ast::FStringPart::Value { expr, spec, .. } = part {
                self.visit_expr(expr, Ctx::Load)?;
                self.visit_fstring(spec)?;
            }
        }
        Ok(())
    }

    /// CPython's `symtable_handle_comprehension`: the outermost iterable is evaluated in the
    /// enclosing block, everything else in the comprehension's own block.
    fn visit_comprehension(
        &mut self,
        expr: &Expr,
        name: &str,
        elt: &Expr,
        generators: &[Comprehension],
    ) -> Result<(), CompileError> {
        self.visit_comprehension_parts(expr, name, &[elt], generators)
    }

    fn visit_comprehension_pair(
        &mut self,
        expr: &Expr,
        key: &Expr,
        value: &Expr,
        generators: &[Comprehension],
    ) -> Result<(), CompileError> {
        self.visit_comprehension_parts(expr, "dictcomp", &[key, value], generators)
    }

    fn visit_comprehension_parts(
        &mut self,
        expr: &Expr,
        name: &str,
        elts: &[&Expr],
        generators: &[Comprehension],
    ) -> Result<(), CompileError> {
        let Some((first, rest)) = generators.split_first() else {
            for e in elts {
                self.visit_expr(e, Ctx::Load)?;
            }
            return Ok(());
        };
        self.in_comp_iter += 1;
        let r = self.visit_expr(&first.iter, Ctx::Load);
        self.in_comp_iter -= 1;
        r?;
        self.enter(
            ScopeKind::Comprehension,
            name,
            Some(expr as *const Expr as usize),
        );
        self.add_def(".0", DEF_PARAM, expr.span)?;
        self.visit_comp_target(&first.target)?;
        self.visit_exprs(&first.ifs, Ctx::Load)?;
        for g in rest {
            self.visit_comp_target(&g.target)?;
            self.in_comp_iter += 1;
            let r = self.visit_expr(&g.iter, Ctx::Load);
            self.in_comp_iter -= 1;
            r?;
            self.visit_exprs(&g.ifs, Ctx::Load)?;
        }
        for e in elts {
            self.visit_expr(e, Ctx::Load)?;
        }
        self.stack.pop();
        Ok(())
    }

    /// A comprehension's `for` target: its names are iteration variables.
    fn visit_comp_target(&mut self, target: &Expr) -> Result<(), CompileError> {
        self.visit_expr(target, Ctx::Store)?;
        let mut names = Vec::new();
        target_names(target, &mut names);
        for n in names {
            self.add_def(n, DEF_COMP_ITER, target.span)?;
        }
        Ok(())
    }
}

/// The names bound by an assignment target.
fn target_names<'e>(e: &'e Expr, out: &mut Vec<&'e str>) {
    match &e.kind {
        ExprKind::Name(n) => out.push(n),
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            items.iter().for_each(|i| target_names(i, out))
        }
        ExprKind::Starred(inner) => target_names(inner, out),
        _ => {}
    }
}

/// CPython's `analyze_block`: resolves the names of block `id` and its children.
/// `bound` is `None` for the module (names bound there are not visible as closures).
fn analyze_block(
    scopes: &mut [Scope],
    id: ScopeId,
    bound: Option<&BTreeSet<String>>,
    free: &mut BTreeSet<String>,
    global: &mut BTreeSet<String>,
) -> Result<(), CompileError> {
    let mut local = BTreeSet::new();
    let mut resolved: HashMap<String, NameScope> = HashMap::new();
    let mut bound_copy = bound.cloned();
    let is_class = scopes[id].kind == ScopeKind::Class;
    let is_function = scopes[id].kind != ScopeKind::Module && !is_class;
    let symbols: Vec<(String, Symbol)> = scopes[id]
        .symbols
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (name, sym) in &symbols {
        let flags = sym.flags;
        let directive = sym.directive.unwrap_or_default();
        let scope = if flags & DEF_GLOBAL != 0 {
            if flags & DEF_NONLOCAL != 0 {
                return Err(CompileError::syntax(
                    format!("name '{name}' is nonlocal and global"),
                    directive,
                ));
            }
            global.insert(name.clone());
            if let Some(b) = bound_copy.as_mut() {
                b.remove(name);
            }
            NameScope::GlobalExplicit
        } else if flags & DEF_NONLOCAL != 0 {
            let Some(b) = bound_copy.as_ref() else {
                return Err(CompileError::syntax(
                    "nonlocal declaration not allowed at module level",
                    directive,
                ));
            };
            if !b.contains(name) {
                return Err(CompileError::syntax(
                    format!("no binding for nonlocal '{name}' found"),
                    directive,
                ));
            }
            free.insert(name.clone());
            NameScope::Free
        } else if flags & DEF_BOUND != 0 {
            local.insert(name.clone());
            global.remove(name);
            NameScope::Local
        } else if bound_copy.as_ref().is_some_and(|b| b.contains(name)) {
            free.insert(name.clone());
            NameScope::Free
        } else {
            NameScope::GlobalImplicit
        };
        resolved.insert(name.clone(), scope);
    }

    // Names visible to children: this function's locals plus what was bound above.
    let mut newbound = BTreeSet::new();
    if is_function {
        newbound.extend(local.iter().cloned());
    }
    if let Some(b) = &bound_copy {
        newbound.extend(b.iter().cloned());
    }
    if is_class {
        // Methods see the class's implicit `__class__` cell, never its other names.
        newbound.insert("__class__".to_string());
    }
    let newglobal = global.clone();

    let mut newfree = BTreeSet::new();
    let children = scopes[id].children.clone();
    for child in children {
        let mut child_free = BTreeSet::new();
        let mut child_global = newglobal.clone();
        let child_bound = newbound.clone();
        analyze_block(
            scopes,
            child,
            Some(&child_bound),
            &mut child_free,
            &mut child_global,
        )?;
        newfree.extend(child_free);
    }

    // Locals captured by children become cells (functions only).
    if is_function {
        for (name, scope) in resolved.iter_mut() {
            if *scope == NameScope::Local && newfree.contains(name) {
                *scope = NameScope::Cell;
            }
        }
        newfree.retain(|n| resolved.get(n) != Some(&NameScope::Cell));
    }

    // CPython's `drop_class_free`: a method's `__class__` is the class block's own cell.
    let class_cell = is_class && newfree.remove("__class__");

    // Free variables of children that are not defined here pass through this block.
    for name in &newfree {
        if resolved.contains_key(name) {
            continue;
        }
        if let Some(b) = &bound_copy {
            if !b.contains(name) {
                continue;
            }
        } else {
            continue;
        }
        resolved.insert(name.clone(), NameScope::Free);
    }

    let scope = &mut scopes[id];
    scope.cellvars = resolved
        .iter()
        .filter(|(_, s)| **s == NameScope::Cell)
        .map(|(n, _)| n.clone())
        .collect();
    if class_cell {
        scope.cellvars.push("__class__".to_string());
    }
    scope.cellvars.sort();
    scope.freevars = resolved
        .iter()
        .filter(|(_, s)| **s == NameScope::Free)
        .map(|(n, _)| n.clone())
        .collect();
    scope.freevars.sort();
    scope.resolved = resolved;
    if class_cell {
        scope
            .resolved
            .insert("__class__".to_string(), NameScope::Cell);
    }
    free.extend(newfree);
    Ok(())
}
