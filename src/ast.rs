//! The abstract syntax tree of a `.toy` program: what the parser builds and the compiler reads.
//!
//! Every node carries a [`Span`] (byte offsets into the source) so that compile errors and
//! runtime tracebacks can point at the source. The tree mirrors Python's own `ast` module closely
//! (same node names where they exist) so a reader who knows Python's grammar knows this one.
//! It must not depend on the lexer, the compiler or the VM.

pub use crate::bytecode::Span;

/// A whole program: the module body.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    pub body: Vec<Stmt>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its effect (`f(x)`); the value is discarded.
    Expr(Expr),
    /// `a = b = value`: one or more targets, assigned left to right (Python's order).
    Assign {
        targets: Vec<Expr>,
        value: Expr,
    },
    /// `target op= value`; `target` is a Name, Subscript or Attribute.
    AugAssign {
        target: Expr,
        op: BinOp,
        value: Expr,
    },
    If {
        test: Expr,
        body: Vec<Stmt>,
        /// `elif` chains are nested `If` statements in `orelse`, as in Python's ast.
        orelse: Vec<Stmt>,
    },
    While {
        test: Expr,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
    },
    For {
        target: Expr,
        iter: Expr,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
    },
    Break,
    Continue,
    Pass,
    FunctionDef(Box<FunctionDef>),
    ClassDef(Box<ClassDef>),
    /// `x: int = 0`, `self.x: int`, `x: int`. `simple` is a bare name not in parentheses,
    /// whose annotation a module or class body records in `__annotations__`.
    AnnAssign {
        target: Expr,
        annotation: Expr,
        value: Option<Expr>,
        simple: bool,
    },
    Return(Option<Expr>),
    Global(Vec<Ident>),
    Nonlocal(Vec<Ident>),
    /// `with a as x, b:` — several items are kept in one statement, as in Python 3's ast.
    With {
        items: Vec<WithItem>,
        body: Vec<Stmt>,
    },
    Assert {
        test: Expr,
        msg: Option<Expr>,
    },
    /// `raise`, `raise E`, `raise E from C`.
    Raise {
        exc: Option<Expr>,
        cause: Option<Expr>,
    },
    Try {
        body: Vec<Stmt>,
        handlers: Vec<ExceptHandler>,
        orelse: Vec<Stmt>,
        finalbody: Vec<Stmt>,
    },
    /// `del a, b[i], c.d`
    Delete(Vec<Expr>),
    /// `import threading`, `import queue as q`.
    Import(Vec<Alias>),
    /// `from threading import Thread, Lock as L`.
    ImportFrom {
        module: Ident,
        names: Vec<Alias>,
    },
    /// `match subject:` and its `case` blocks, in order (at least one).
    Match {
        subject: Expr,
        cases: Vec<MatchCase>,
    },
}

/// One `case pattern [if guard]:` block of a `match` statement.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchCase {
    pub pattern: Pattern,
    pub guard: Option<Expr>,
    pub body: Vec<Stmt>,
}

/// A pattern of a `case` clause, shaped like Python's `ast.pattern` nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    pub kind: PatternKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PatternKind {
    /// A literal (a number, possibly negative, or a string) or a dotted name (`Color.RED`),
    /// compared with `==`.
    MatchValue(Expr),
    /// `None`, `True` or `False` (the expression is one of those), compared with `is`.
    MatchSingleton(Expr),
    /// `[a, b]`, `(a, *rest)`, `a, b`: at most one element is a `MatchStar`.
    MatchSequence(Vec<Pattern>),
    /// `{"op": op, **rest}`: keys are literals or dotted names.
    MatchMapping {
        keys: Vec<Expr>,
        patterns: Vec<Pattern>,
        rest: Option<Ident>,
    },
    /// `Point(x, y=0)`: positional sub-patterns, then keyword ones.
    MatchClass {
        cls: Expr,
        patterns: Vec<Pattern>,
        kwd_attrs: Vec<Ident>,
        kwd_patterns: Vec<Pattern>,
    },
    /// `*rest` inside a sequence pattern; `None` for `*_`.
    MatchStar(Option<Ident>),
    /// `p as name`, a capture `name` (no pattern), or the wildcard `_` (neither).
    MatchAs {
        pattern: Option<Box<Pattern>>,
        name: Option<Ident>,
    },
    /// `p1 | p2 | ...` (at least two alternatives).
    MatchOr(Vec<Pattern>),
}

impl Pattern {
    /// Whether this is the wildcard `_` (CPython's `WILDCARD_CHECK`).
    pub fn is_wildcard(&self) -> bool {
        matches!(
            self.kind,
            PatternKind::MatchAs {
                pattern: None,
                name: None
            }
        )
    }
}

/// A name with its span (identifiers in `global`, parameters, imports, …).
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Alias {
    /// The imported name (`threading`, or `Thread` in `from threading import Thread`).
    pub name: Ident,
    /// `as NAME`, if given.
    pub asname: Option<Ident>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WithItem {
    pub context: Expr,
    /// The `as` target: a Name, Tuple, Subscript or Attribute.
    pub target: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExceptHandler {
    /// `except E:` / `except (E1, E2):`; `None` for a bare `except:`.
    pub typ: Option<Expr>,
    /// `except E as name:`
    pub name: Option<Ident>,
    pub body: Vec<Stmt>,
    /// The span of the `except ...:` header line.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDef {
    pub name: Ident,
    pub params: Params,
    /// `-> T`.
    pub returns: Option<Expr>,
    /// `@d` lines, outermost first.
    pub decorators: Vec<Expr>,
    pub body: Vec<Stmt>,
    /// Span of the `def name(...)` header.
    pub span: Span,
}

/// `class Name(Base, ...):` — single or multiple bases; keywords are refused by the parser.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassDef {
    pub name: Ident,
    pub bases: Vec<Expr>,
    /// `@d` lines, outermost first.
    pub decorators: Vec<Expr>,
    pub body: Vec<Stmt>,
    /// Span of the `class Name(...)` header.
    pub span: Span,
}

/// A parameter list, for `def` and `lambda`.
///
/// Python's order: positional parameters (the last ones may have defaults), then `*args`,
/// then keyword-only parameters (after `*args` or a bare `*`), with or without defaults, then
/// `**kwargs`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params {
    pub args: Vec<Param>,
    pub vararg: Option<Ident>,
    pub kwonly: Vec<Param>,
    pub kwarg: Option<Ident>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub default: Option<Expr>,
    /// `name: T`.
    pub annotation: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Name(String),
    /// An integer literal that fits an i64.
    Int(i64),
    /// An integer literal beyond i64: its decimal digits (a big int at run time).
    BigInt(String),
    Float(f64),
    /// A string literal, escapes already decoded; adjacent literals already concatenated
    /// (unless one of them is an f-string, in which case the parser builds a `JoinedStr`).
    Str(String),
    /// An f-string: literal parts and formatted values, in order.
    JoinedStr(Vec<FStringPart>),
    True,
    False,
    None,
    /// `...`
    Ellipsis,
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    /// `{k: v, **m, ...}`: a `None` key is a `**m` unpacking, as in Python's ast.
    Dict(Vec<(Option<Expr>, Expr)>),
    /// `{a, *b, ...}`
    Set(Vec<Expr>),
    /// `target := value`; the target is a Name.
    NamedExpr {
        target: Box<Expr>,
        value: Box<Expr>,
    },
    /// `*expr` inside a call's argument list or a list/tuple display.
    Starred(Box<Expr>),
    BinOp {
        left: Box<Expr>,
        op: BinOp,
        right: Box<Expr>,
    },
    UnaryOp {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    /// `a and b and c` / `a or b`: flattened like Python's ast.BoolOp.
    BoolOp {
        op: BoolOp,
        values: Vec<Expr>,
    },
    /// `a < b <= c`: one left operand, then (op, operand) pairs — chained comparison.
    Compare {
        left: Box<Expr>,
        ops: Vec<(CmpOp, Expr)>,
    },
    Call {
        func: Box<Expr>,
        /// Positional arguments, possibly `Starred`.
        args: Vec<Expr>,
        keywords: Vec<Keyword>,
    },
    Attribute {
        value: Box<Expr>,
        attr: Ident,
    },
    Subscript {
        value: Box<Expr>,
        index: Box<Expr>,
    },
    /// `lower:upper:step`, only as a subscript index (possibly inside a Tuple for `a[1:2, 3]`).
    Slice {
        lower: Option<Box<Expr>>,
        upper: Option<Box<Expr>>,
        step: Option<Box<Expr>>,
    },
    /// `body if test else orelse`
    IfExp {
        test: Box<Expr>,
        body: Box<Expr>,
        orelse: Box<Expr>,
    },
    Lambda {
        params: Box<Params>,
        body: Box<Expr>,
    },
    /// `[elt for ... in ... if ...]`
    ListComp {
        elt: Box<Expr>,
        generators: Vec<Comprehension>,
    },
    /// `{elt for ...}`
    SetComp {
        elt: Box<Expr>,
        generators: Vec<Comprehension>,
    },
    /// `{key: value for ...}`
    DictComp {
        key: Box<Expr>,
        value: Box<Expr>,
        generators: Vec<Comprehension>,
    },
    /// `(elt for ...)`, also the bare generator argument `sum(x for x in y)`: a generator.
    GeneratorExp {
        elt: Box<Expr>,
        generators: Vec<Comprehension>,
    },
    // ---- generators ----
    /// `yield` / `yield value`.
    Yield(Option<Box<Expr>>),
    /// `yield from iterable`.
    YieldFrom(Box<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum FStringPart {
    Literal(String),
    Value {
        expr: Box<Expr>,
        /// `!r`, `!s` or `!a`.
        conversion: Option<char>,
        /// The format spec after `:`; may itself contain `{expr}` fields, like Python's.
        spec: Vec<FStringPart>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Keyword {
    /// `None` for a `**mapping` argument.
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comprehension {
    pub target: Expr,
    pub iter: Expr,
    pub ifs: Vec<Expr>,
}

/// Binary operators, numbered as CPython 3.11's `BINARY_OP` oparg (`NB_ADD` = 0 …).
/// The in-place forms (`+=`) are these plus 13, as in CPython.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add = 0,
    BitAnd = 1,
    FloorDiv = 2,
    LShift = 3,
    MatMul = 4,
    Mul = 5,
    Mod = 6,
    BitOr = 7,
    Pow = 8,
    RShift = 9,
    Sub = 10,
    TrueDiv = 11,
    BitXor = 12,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `+x`
    Pos,
    /// `not x`
    Not,
    /// `~x`
    Invert,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BoolOp {
    And,
    Or,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Lt,
    LtE,
    Eq,
    NotEq,
    Gt,
    GtE,
    In,
    NotIn,
    Is,
    IsNot,
}

impl Module {
    /// Drops the tree without recursing over statement nesting. An `elif` chain of 100,000
    /// arms is 100,000 nested `If`s; Rust's derived drop would recurse that deep and overflow
    /// the stack, so the pipeline drops modules through this instead.
    pub fn drop_iteratively(self) {
        let mut work: Vec<Vec<Stmt>> = vec![self.body];
        while let Some(mut stmts) = work.pop() {
            for s in &mut stmts {
                match &mut s.kind {
                    StmtKind::If { body, orelse, .. }
                    | StmtKind::While { body, orelse, .. }
                    | StmtKind::For { body, orelse, .. } => {
                        work.push(std::mem::take(body));
                        work.push(std::mem::take(orelse));
                    }
                    StmtKind::FunctionDef(def) => work.push(std::mem::take(&mut def.body)),
                    StmtKind::With { body, .. } => work.push(std::mem::take(body)),
                    StmtKind::Match { cases, .. } => {
                        for c in cases {
                            work.push(std::mem::take(&mut c.body));
                        }
                    }
                    StmtKind::Try {
                        body,
                        handlers,
                        orelse,
                        finalbody,
                    } => {
                        work.push(std::mem::take(body));
                        work.push(std::mem::take(orelse));
                        work.push(std::mem::take(finalbody));
                        for h in handlers {
                            work.push(std::mem::take(&mut h.body));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
