//! The lowered expression tree: what the evaluator runs.
//!
//! Lowering resolves every variable to a frame depth and slot (or a chain
//! of `with` namespaces), merges nested attribute paths, and keeps a span
//! on each node that can fail.

use super::symbol::Sym;
use super::value::Value;
use crate::source::Span;
use std::rc::Rc;

pub type ExprRef = Rc<Expr>;

pub enum Expr {
    Const(Value),
    /// A lexical variable: `depth` frames up, slot `slot`.
    Var {
        depth: u32,
        slot: u32,
    },
    /// Not bound lexically: looked up in the enclosing `with` frames
    /// (depths, innermost first) at run time.
    WithVar {
        name: Sym,
        withs: Rc<[u32]>,
        span: Span,
    },
    Attrs(Rc<AttrsDef>),
    List(Vec<ExprRef>),
    Select {
        target: ExprRef,
        path: Vec<AttrKey>,
        default: Option<ExprRef>,
        span: Span,
    },
    HasAttr {
        target: ExprRef,
        path: Vec<AttrKey>,
    },
    Lambda(Rc<LambdaDef>),
    Apply {
        func: ExprRef,
        args: Vec<ExprRef>,
        span: Span,
        /// Of a shape `eager.rs` may compute at once (`toString x`).
        cheap: bool,
    },
    /// `let` and legacy `let { body = …; }`: a new frame of thunks.
    Let {
        bindings: Rc<Bindings>,
        body: ExprRef,
    },
    With {
        namespace: ExprRef,
        body: ExprRef,
    },
    If {
        cond: ExprRef,
        then: ExprRef,
        else_: ExprRef,
        span: Span,
        /// May be computed eagerly (see `eager`).
        cheap: bool,
    },
    Assert {
        cond: ExprRef,
        body: ExprRef,
        span: Span,
    },
    Not(ExprRef, Span),
    Neg(ExprRef, Span),
    Bin {
        op: BinOp,
        lhs: ExprRef,
        rhs: ExprRef,
        span: Span,
        /// Of a shape `eager.rs` may compute at once (`i + 1`).
        cheap: bool,
    },
    /// A string with interpolations.
    Interp {
        parts: Vec<ExprRef>,
        span: Span,
        /// Of a shape `eager.rs` may compute at once (`"u${toString i}"`).
        cheap: bool,
    },
    /// A path with interpolations; the first part is the resolved prefix.
    PathInterp {
        parts: Vec<ExprRef>,
        span: Span,
    },
    /// `<name>` in the search path.
    SearchPath {
        path: String,
        span: Span,
    },
    /// `__curPos`.
    CurPos(Span),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Impl,
    Concat,
    Update,
}

/// An attribute name in a path: static, or computed.
#[derive(Clone)]
pub enum AttrKey {
    Static(Sym),
    Dynamic(ExprRef),
}

/// How a binding's value is produced.
pub enum BindingValue {
    /// An expression evaluated in the binding's scope.
    Expr(ExprRef),
    /// `inherit x;`: a variable of the enclosing scope (never the new frame).
    Inherit(ExprRef),
    /// `inherit (e) x;`: attribute `name` of inherit source `source`
    /// (evaluated once and shared by every name of that `inherit`).
    InheritFrom { source: u32, name: Sym, span: Span },
}

pub struct Binding {
    pub name: Sym,
    pub value: BindingValue,
    pub span: Span,
}

/// The bindings of a `let` or an attribute set. For `let` and `rec`,
/// binding i is slot i of the new frame and inherit source j is the hidden
/// slot `list.len() + j`; sources are evaluated in the new frame. For a
/// plain set, sources are evaluated in the enclosing scope.
pub struct Bindings {
    pub list: Vec<Binding>,
    pub inherit_sources: Vec<ExprRef>,
}

pub struct AttrsDef {
    pub rec: bool,
    pub bindings: Bindings,
    pub dynamics: Vec<(ExprRef, ExprRef, Span)>,
    /// The bindings' indices in name order, so that building the set needs
    /// no sort at run time.
    pub sorted: Vec<u32>,
}

impl AttrsDef {
    pub fn new(rec: bool, bindings: Bindings, dynamics: Vec<(ExprRef, ExprRef, Span)>) -> AttrsDef {
        let mut sorted: Vec<u32> = (0..bindings.list.len() as u32).collect();
        sorted.sort_by(|&a, &b| {
            bindings.list[a as usize]
                .name
                .as_str()
                .cmp(bindings.list[b as usize].name.as_str())
        });
        AttrsDef {
            rec,
            bindings,
            dynamics,
            sorted,
        }
    }
}

pub enum Param {
    /// `x: body`; the argument goes to slot 0.
    Ident,
    /// `{ a, b ? d, ... } @ args`: formals take slots 0..n in order; the
    /// `@` name, if any, takes slot n.
    Pattern {
        formals: Vec<Formal>,
        ellipsis: bool,
        at: Option<Sym>,
    },
}

pub struct Formal {
    pub name: Sym,
    pub default: Option<ExprRef>,
    pub span: Span,
}

pub struct LambdaDef {
    /// The body forces the argument before anything else can happen, so a
    /// caller may evaluate the argument at once instead of making a thunk
    /// (always true for `{ … }:` patterns, which destructure first).
    pub strict: bool,
    pub name: Option<Sym>,
    pub param_name: Option<Sym>,
    pub param: Param,
    pub body: ExprRef,
    pub nslots: u32,
    pub span: Span,
    /// `x: x.a.b`: the names selected from the argument, and the span of
    /// the selection. Such a function is called without a frame.
    pub selector: Option<(Box<[Sym]>, Span)>,
}

/// The names of `x: x.a.b` (a body selecting static names from the
/// parameter, without `or`).
pub fn selector(param: &Param, body: &Expr) -> Option<(Box<[Sym]>, Span)> {
    let (
        Param::Ident,
        Expr::Select {
            target,
            path,
            default: None,
            span,
        },
    ) = (param, body)
    else {
        return None;
    };
    if !matches!(**target, Expr::Var { depth: 0, slot: 0 }) {
        return None;
    }
    let names: Option<Box<[Sym]>> = path
        .iter()
        .map(|k| match k {
            AttrKey::Static(s) => Some(*s),
            AttrKey::Dynamic(_) => None,
        })
        .collect();
    Some((names?, *span))
}

/// Whether evaluating `e` always forces frame slot `slot` (at depth 0)
/// before anything observable happens. Conservative: `false` when unsure.
pub fn forces_first(e: &Expr, slot: u32) -> bool {
    match e {
        Expr::Var { depth: 0, slot: s } => *s == slot,
        Expr::If { cond, .. } | Expr::Assert { cond, .. } => forces_first(cond, slot),
        Expr::Not(x, _) | Expr::Neg(x, _) => forces_first(x, slot),
        Expr::Select { target, .. } | Expr::HasAttr { target, .. } => forces_first(target, slot),
        Expr::Apply { func, .. } => forces_first(func, slot),
        Expr::Bin { lhs, rhs, op, .. } => {
            forces_first(lhs, slot)
                || (matches!(**lhs, Expr::Const(_))
                    && !matches!(op, BinOp::And | BinOp::Or | BinOp::Impl)
                    && forces_first(rhs, slot))
        }
        _ => false,
    }
}

/// Whether `e`, evaluated `depth` frames below the frame of a variable in
/// slot `slot`, may read that variable. Follows the frames evaluation
/// makes: `let` and `rec` bindings, function bodies and defaults, and the
/// body of `with` one frame deeper; `inherit x;` in the enclosing frame.
pub fn mentions(e: &Expr, depth: u32, slot: u32) -> bool {
    let bindings = |b: &Bindings, inner: u32, sources_inner: bool| {
        b.list.iter().any(|x| match &x.value {
            BindingValue::Expr(e) => mentions(e, inner, slot),
            BindingValue::Inherit(e) => mentions(e, depth, slot),
            BindingValue::InheritFrom { .. } => false,
        }) || b
            .inherit_sources
            .iter()
            .any(|s| mentions(s, if sources_inner { inner } else { depth }, slot))
    };
    let keys = |path: &[AttrKey], d: u32| {
        path.iter()
            .any(|k| matches!(k, AttrKey::Dynamic(e) if mentions(e, d, slot)))
    };
    match e {
        Expr::Var { depth: d, slot: s } => *d == depth && *s == slot,
        Expr::Const(_) | Expr::WithVar { .. } | Expr::SearchPath { .. } | Expr::CurPos(_) => false,
        Expr::Attrs(def) => {
            let inner = if def.rec { depth + 1 } else { depth };
            bindings(&def.bindings, inner, def.rec)
                || def
                    .dynamics
                    .iter()
                    .any(|(k, v, _)| mentions(k, inner, slot) || mentions(v, inner, slot))
        }
        Expr::List(items) => items.iter().any(|x| mentions(x, depth, slot)),
        Expr::Select {
            target,
            path,
            default,
            ..
        } => {
            mentions(target, depth, slot)
                || keys(path, depth)
                || default.as_ref().is_some_and(|d| mentions(d, depth, slot))
        }
        Expr::HasAttr { target, path } => mentions(target, depth, slot) || keys(path, depth),
        Expr::Lambda(def) => {
            let inner = depth + 1;
            let defaults = match &def.param {
                Param::Pattern { formals, .. } => formals
                    .iter()
                    .any(|f| f.default.as_ref().is_some_and(|d| mentions(d, inner, slot))),
                Param::Ident => false,
            };
            defaults || mentions(&def.body, inner, slot)
        }
        Expr::Apply { func, args, .. } => {
            mentions(func, depth, slot) || args.iter().any(|a| mentions(a, depth, slot))
        }
        Expr::Let { bindings: b, body } => {
            bindings(b, depth + 1, true) || mentions(body, depth + 1, slot)
        }
        Expr::With { namespace, body } => {
            mentions(namespace, depth, slot) || mentions(body, depth + 1, slot)
        }
        Expr::If {
            cond, then, else_, ..
        } => {
            mentions(cond, depth, slot)
                || mentions(then, depth, slot)
                || mentions(else_, depth, slot)
        }
        Expr::Assert { cond, body, .. } => {
            mentions(cond, depth, slot) || mentions(body, depth, slot)
        }
        Expr::Not(x, _) | Expr::Neg(x, _) => mentions(x, depth, slot),
        Expr::Bin { lhs, rhs, .. } => mentions(lhs, depth, slot) || mentions(rhs, depth, slot),
        Expr::Interp { parts, .. } | Expr::PathInterp { parts, .. } => {
            parts.iter().any(|p| mentions(p, depth, slot))
        }
    }
}
