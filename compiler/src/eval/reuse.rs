//! Submodule instances reused from one evaluation to the next (the
//! language server's whole-configuration diagnostics after an edit).
//!
//! `builtins.nixcfgReuse key compute` is how nixcfg's lib merges a
//! submodule instance whose type allows it (`submoduleWith {
//! nixcfgReusable = true; }`). With no cache (every command but the
//! language server) it is `compute null`. With one, `key` — the
//! instance's location, its definitions, the type's modules — is turned
//! into a fingerprint, and an instance of the evaluation before with the
//! same fingerprint is returned instead of computing it again.
//!
//! A fingerprint determines the instance's value or there is none:
//! - scalars, strings (with context), paths, lists and sets by content,
//!   every attribute with the file, line and column it is defined at (the
//!   positions diagnostics and `unsafeGetAttrPos` report);
//! - an unevaluated definition by its expression (constants, lists, sets,
//!   interpolations, selections, operators, calls, functions, `let`,
//!   `if`) and the values of the variables it reads; a function value the
//!   same way, by its code and the variables it reads;
//! - where content cannot be had — an expression of another shape, a
//!   large set read through a variable (`lib`, a user's
//!   `config` that an `environment.etc` entry is made from), a content
//!   attempt over its small budget — the object itself, by address.
//!   Values never change, so the same object is the same value; the entry
//!   keeps the objects its fingerprint names alive, so that no other
//!   object can take their addresses. In an evaluator kept from the
//!   evaluation before, `lib` and reused instances are such objects;
//! - the modules of the type, which come from nixcfg's embedded files, by
//!   the position of their code (the files never change in a process).
//!
//! What the embedded modules read outside the instance (`cfg.mutableUsers`)
//! is the caller's to keep equal: `crate::incremental` reuses a cache only
//! when the edit since the evaluation before lies inside one instance's
//! definition, so every other definition is the same text.

use super::expr::{AttrKey, BindingValue, Expr, LambdaDef, Param};
use super::value::{Env, ThunkState};
use super::{EvalResult, Evaluator, Thunk, Value};
use crate::source::{Pos, Span};
use rustc_hash::FxHashMap;
use std::rc::Rc;

/// The instances of the last evaluation and of the current one.
#[derive(Default)]
pub struct ReuseCache {
    previous: FxHashMap<Vec<u8>, Entry>,
    current: FxHashMap<Vec<u8>, Entry>,
    /// Instances taken from the evaluation before, computed, or without a
    /// fingerprint (computed), in the current evaluation.
    pub reused: usize,
    pub computed: usize,
    pub unkeyed: usize,
    /// The data instances also read (`nixcfgReuseWith`) fingerprinted
    /// last, and its fingerprint: every group of an evaluation reads the
    /// same `membersByGroup`, walked once (the entry pins the object).
    data_memo: Option<(Value, Vec<u8>)>,
}

struct Entry {
    value: Value,
    /// The instance's location (`users.users.alice`).
    loc: Vec<String>,
    /// The objects its fingerprint names by address, kept alive so that
    /// no other object can take an address while the entry exists.
    _pins: Vec<Thunk>,
}

impl ReuseCache {
    /// Starts an evaluation (its counters).
    pub fn start(&mut self) {
        // About as many instances as the evaluation before: no rehashing.
        self.current.reserve(self.previous.len());
        self.reused = 0;
        self.computed = 0;
        self.unkeyed = 0;
    }

    /// Ends an evaluation. `completed`: it ran to its end, so what it did
    /// not use is of instances that changed or are gone; after an
    /// interrupted one, both generations are kept.
    pub fn finish(&mut self, completed: bool) {
        let current = std::mem::take(&mut self.current);
        if completed {
            self.previous = current;
        } else {
            self.previous.extend(current);
        }
    }

    /// Whether `path` (an option path) lies inside an instance the
    /// evaluations before merged through the cache.
    pub fn inside_instance(&self, path: &[String]) -> bool {
        self.previous.values().any(|e| path.starts_with(&e.loc))
    }

    /// Instances kept for the next evaluation.
    pub fn len(&self) -> usize {
        self.previous.len()
    }

    pub fn is_empty(&self) -> bool {
        self.previous.is_empty()
    }
}

/// What a selection is, as far as is known without evaluating.
enum Peek {
    Found(Thunk),
    Missing,
    Unknown,
}

/// What an unevaluated cell will compute.
enum Pending {
    Expr(Rc<Expr>, Env),
    Apply(Value, Vec<Thunk>),
    Select(Thunk, super::symbol::Sym),
}

/// Nodes a fingerprint may visit before it gives up: a definition that
/// reads something big (`pkgs`, `config`) is computed instead.
const BUDGET: usize = 20_000;

/// Nodes the data an instance also reads (`nixcfgReuseWith`) may have.
const DATA_BUDGET: usize = 1_000_000;

/// Sets and lists larger than this are named by address at once, without
/// an attempt at their content (`lib`, `pkgs`, an instance's `config`).
const LARGE: usize = 64;

/// The same, for a set read through a variable.
const READ_LARGE: usize = 16;

/// Nodes one attempt at a value's content may visit (see `or_identity`).
const ATTEMPT: usize = 256;

/// The same, for a function's code and what it reads (`confText name c`).
const CODE_ATTEMPT: usize = 4096;

struct Fingerprint<'a> {
    ev: &'a Evaluator,
    out: Vec<u8>,
    budget: usize,
    pins: Vec<Thunk>,
    /// Inside a value read through a variable, where content attempts are
    /// limited (`ATTEMPT`).
    read: bool,
    /// The functions whose code is being fingerprinted, outermost first:
    /// a recursive one (`f` calling `f`) is named by its place here.
    lambdas: Vec<*const ()>,
    /// The sets and lists whose content is being fingerprinted, outermost
    /// first: one that holds itself (a derivation's `out`) names itself by
    /// its place here.
    containers: Vec<*const ()>,
    /// The arguments of the function applications being fingerprinted by
    /// their bodies, by frame level (0: the outermost frame the current
    /// expression makes): `(n: v: …) "pkgs" x` reads `n` as "pkgs".
    known: Vec<Option<Thunk>>,
    /// The line of the last span's end (`SourceFile::line_byte_col_near`).
    line_hint: usize,
}

impl Fingerprint<'_> {
    fn tick(&mut self) -> Option<()> {
        self.budget = self.budget.checked_sub(1)?;
        Some(())
    }

    /// An object by its address. Values never change, so the same object
    /// is the same value; the entry pins it (see `Entry::_pins`).
    fn identity(&mut self, addr: *const (), pin: Thunk) {
        self.tag(b'R');
        self.int(addr as usize as u64);
        self.pins.push(pin);
    }

    /// `content`, or where it cannot be had (an expression of another
    /// shape, the budget spent), the object by its address.
    fn or_identity(
        &mut self,
        addr: *const (),
        pin: impl FnOnce() -> Thunk,
        limit: usize,
        content: impl FnOnce(&mut Self) -> Option<()>,
    ) {
        let (out, pins, budget) = (self.out.len(), self.pins.len(), self.budget);
        // An attempt may get a small budget of its own, charged to the
        // whole either way: a large value seen through a variable (a
        // user's evaluated `config`) is cheaper to name than to walk.
        self.budget = budget.min(limit);
        let start = self.budget;
        let found = content(self);
        self.budget = budget - (start - self.budget);
        if found.is_none() {
            self.out.truncate(out);
            self.pins.truncate(pins);
            self.identity(addr, pin());
        }
    }

    /// A set or list met again inside itself, by its place among those
    /// being fingerprinted (else walking it would not end).
    fn back_reference(&mut self, addr: *const ()) -> bool {
        let Some(i) = self.containers.iter().position(|&c| c == addr) else {
            return false;
        };
        self.tag(b'^');
        self.tag(b'c');
        self.int(i as u64);
        true
    }

    fn tag(&mut self, t: u8) {
        self.out.push(t);
    }

    fn bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(&(b.len() as u64).to_le_bytes());
        self.out.extend_from_slice(b);
    }

    fn int(&mut self, i: u64) {
        self.out.extend_from_slice(&i.to_le_bytes());
    }

    /// A position as file name, line and column (not as a byte offset:
    /// an edit earlier on another line moves offsets, not lines).
    fn span(&mut self, span: Option<Span>) {
        let Some(s) = span else {
            self.tag(0);
            return;
        };
        match self.ev.sources.try_get(s.file) {
            Some(f) => {
                let hint = &mut self.line_hint;
                let (l, c) = f.line_byte_col_near(s.start, hint);
                let (el, ec) = f.line_byte_col_near(s.end, hint);
                self.tag(1);
                self.int(f.name_hash);
                self.int(((l as u64) << 32) | c as u64);
                self.int(((el as u64) << 32) | ec as u64);
            }
            None => self.tag(0),
        }
    }

    fn pos(&mut self, p: Pos) {
        self.span(p.span());
    }

    fn in_embedded(&self, span: Span) -> bool {
        self.ev
            .sources
            .try_get(span.file)
            .is_some_and(|f| f.name.contains("/embedded-"))
    }

    fn thunk(&mut self, t: &Thunk, module: bool) -> Option<()> {
        // A thunk's expression has frames of its own: the arguments of
        // the application around it are not its variables.
        let known = std::mem::take(&mut self.known);
        let r = self.thunk_inner(t, module);
        self.known = known;
        r
    }

    /// A local variable bound by a known application.
    fn known_local(&self, depth: u32, slot: u32, local: u32) -> Option<Thunk> {
        if slot != 0 {
            return None;
        }
        let level = local.checked_sub(depth + 1)? as usize;
        self.known.get(level)?.clone()
    }

    /// `f a …` by `f`'s body with its parameters bound to the arguments
    /// (one-parameter functions, curried), so that what the body reads
    /// through them is named by value.
    fn application(
        &mut self,
        c: &super::value::Closure,
        args: &[Thunk],
        module: bool,
    ) -> Option<()> {
        if !matches!(c.def.param, Param::Ident) || args.is_empty() {
            return None;
        }
        self.tag(b'@');
        self.span(Some(c.def.span));
        let known = std::mem::replace(&mut self.known, vec![Some(args[0].clone())]);
        let mut body = &c.def.body;
        let mut local = 1;
        let mut rest = &args[1..];
        while let (Some(a), Expr::Lambda(inner)) = (rest.first(), &**body) {
            if !matches!(inner.param, Param::Ident) {
                break;
            }
            self.span(Some(inner.span));
            self.known.push(Some(a.clone()));
            body = &inner.body;
            local += 1;
            rest = &rest[1..];
        }
        let r = self.expr(body, &c.env, local, module).and_then(|()| {
            self.int(rest.len() as u64);
            rest.iter().try_for_each(|a| self.thunk(a, module))
        });
        self.known = known;
        r
    }

    fn thunk_inner(&mut self, t: &Thunk, module: bool) -> Option<()> {
        self.tick()?;
        match t {
            Thunk::Val(v) => self.value(v, module),
            Thunk::Lazy(c) => {
                if let Some(v) = c.done() {
                    return self.value(&v, module);
                }
                // Not evaluated: by its expression (or the lazy
                // application a builtin made), without forcing; or else
                // the cell itself.
                let pending = c.with_state(|st| match st {
                    ThunkState::Pending(e, env) => Some(Pending::Expr(e.clone(), env.clone())),
                    ThunkState::Apply(b) => Some(Pending::Apply(b.0.clone(), vec![b.1.clone()])),
                    ThunkState::Apply2(b) => {
                        Some(Pending::Apply(b.0.clone(), vec![b.1.clone(), b.2.clone()]))
                    }
                    ThunkState::Select(b) => Some(Pending::Select(b.0.clone(), b.1)),
                    ThunkState::Done(_) | ThunkState::Blackhole => None,
                });
                self.or_identity(
                    Rc::as_ptr(c) as *const (),
                    || t.clone(),
                    usize::MAX,
                    |fp| match pending? {
                        Pending::Expr(e, env) => {
                            fp.tag(b'E');
                            fp.expr(&e, &env, 0, module)
                        }
                        Pending::Apply(f, args) => {
                            if let Value::Lambda(c) = &f {
                                let at = (fp.out.len(), fp.pins.len());
                                if fp.application(c, &args, module).is_some() {
                                    return Some(());
                                }
                                fp.out.truncate(at.0);
                                fp.pins.truncate(at.1);
                            }
                            fp.tag(b'C');
                            fp.value(&f, module)?;
                            fp.int(args.len() as u64);
                            for a in &args {
                                fp.thunk(a, module)?;
                            }
                            Some(())
                        }
                        Pending::Select(target, name) => {
                            // Of a set already evaluated: the attribute.
                            if let Some(Value::Attrs(a)) = target.get() {
                                if let Some(t) = a.get(name) {
                                    fp.tag(b'W');
                                    return fp.thunk(&t.clone(), module);
                                }
                            }
                            fp.tag(b'S');
                            fp.thunk(&target, module)?;
                            fp.bytes(name.as_str().as_bytes());
                            Some(())
                        }
                    },
                );
                Some(())
            }
        }
    }

    fn value(&mut self, v: &Value, module: bool) -> Option<()> {
        self.tick()?;
        let pin = || Thunk::Val(v.clone());
        match v {
            Value::Null => self.tag(b'n'),
            Value::Bool(b) => {
                self.tag(b'b');
                self.tag(*b as u8);
            }
            Value::Int(i) => {
                self.tag(b'i');
                self.int(*i as u64);
            }
            Value::Float(f) => {
                self.tag(b'f');
                self.int(f.to_bits());
            }
            Value::String(s) => {
                self.tag(b's');
                self.bytes(s.s.as_bytes());
                self.int(s.ctx.len() as u64);
                for c in &s.ctx {
                    self.bytes(c.as_bytes());
                }
            }
            Value::Path(p) => {
                self.tag(b'p');
                self.bytes(p.as_bytes());
            }
            Value::List(l) => {
                let addr = Rc::as_ptr(l) as *const ();
                if l.len() > LARGE {
                    self.identity(addr, pin());
                    return Some(());
                }
                if self.back_reference(addr) {
                    return Some(());
                }
                let limit = if self.read { ATTEMPT } else { usize::MAX };
                self.or_identity(addr, pin, limit, |fp| {
                    fp.containers.push(addr);
                    fp.tag(b'l');
                    fp.int(l.len() as u64);
                    let r = l.iter().try_for_each(|t| fp.thunk(t, module));
                    fp.containers.pop();
                    r
                });
            }
            Value::Attrs(a) => {
                let addr = Rc::as_ptr(a) as *const ();
                // Read through a variable, a set of more than a few names
                // is rarely written out in a configuration: named at once
                // (an instance's `config`, evaluated or not, the same way).
                let large = if self.read { READ_LARGE } else { LARGE };
                if a.entries.len() > large && !module {
                    self.identity(addr, pin());
                    return Some(());
                }
                if self.back_reference(addr) {
                    return Some(());
                }
                let limit = if self.read { ATTEMPT } else { usize::MAX };
                self.or_identity(addr, pin, limit, |fp| {
                    fp.containers.push(addr);
                    fp.tag(b'a');
                    fp.int(a.entries.len() as u64);
                    let r = a.entries.iter().try_for_each(|e| {
                        fp.bytes(e.name.as_str().as_bytes());
                        fp.pos(e.pos);
                        // An embedded module's set is its code, at its position.
                        let embedded = module && e.pos.span().is_some_and(|s| fp.in_embedded(s));
                        if !embedded {
                            fp.thunk(&e.value, module)?;
                        }
                        Some(())
                    });
                    fp.containers.pop();
                    r
                });
            }
            // Embedded modules' functions: their code, by position. Any
            // other function: the closure itself.
            Value::Lambda(c) if module && self.in_embedded(c.def.span) => {
                self.tag(b'L');
                self.span(Some(c.def.span));
            }
            // A function made in the evaluator's first evaluation (`lib`'s,
            // which every later evaluation shares) by identity: the same
            // object in each, and cheaper than its code.
            Value::Lambda(c) if c.first_evaluation && self.in_embedded(c.def.span) => {
                self.identity(Rc::as_ptr(c) as *const (), pin());
            }
            // Any other function: its code and what it reads, the same as
            // an unevaluated `x: …` (`confText name c` names `confText`
            // so); else the closure itself.
            Value::Lambda(c) => {
                let addr = Rc::as_ptr(c) as *const ();
                if let Some(i) = self.lambdas.iter().position(|&l| l == addr) {
                    self.tag(b'^');
                    self.int(i as u64);
                    return Some(());
                }
                let limit = if self.read { CODE_ATTEMPT } else { usize::MAX };
                self.or_identity(addr, pin, limit, |fp| {
                    fp.lambdas.push(addr);
                    let r = fp.lambda(&c.def, &c.env, 0, module);
                    fp.lambdas.pop();
                    r
                });
            }
            Value::PrimOp(p) => {
                self.tag(b'P');
                self.bytes(p.name.as_bytes());
            }
            // A builtin given some of its arguments: its name and those.
            Value::PrimOpApp(p) => {
                let limit = if self.read { ATTEMPT } else { usize::MAX };
                self.or_identity(Rc::as_ptr(p) as *const (), pin, limit, |fp| {
                    fp.tag(b'Q');
                    fp.bytes(p.op.name.as_bytes());
                    fp.int(p.args.len() as u64);
                    for a in &p.args {
                        fp.thunk(a, module)?;
                    }
                    Some(())
                });
            }
        }
        Some(())
    }

    /// Evaluated plain data (`nixcfgReuseWith`) by content, however large
    /// (its own budget, `DATA_BUDGET`); anything else has no fingerprint.
    fn data(&mut self, v: &Value) -> Option<()> {
        self.tick()?;
        match v {
            Value::List(l) => {
                self.tag(b'l');
                self.int(l.len() as u64);
                for t in l.iter() {
                    self.data(&t.get()?)?;
                }
            }
            Value::Attrs(a) => {
                self.tag(b'a');
                self.int(a.entries.len() as u64);
                for e in a.entries.iter() {
                    self.bytes(e.name.as_str().as_bytes());
                    self.data(&e.value.get()?)?;
                }
            }
            Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_) => return None,
            scalar => self.value(scalar, false)?,
        }
        Some(())
    }

    fn var(&mut self, env: &Env, depth: u32, slot: u32, module: bool) -> Option<()> {
        let mut e = env;
        for _ in 0..depth {
            e = e.parent.as_ref()?;
        }
        let t = e.slot(slot as usize)?;
        let read = std::mem::replace(&mut self.read, true);
        let r = self.thunk(&t, module);
        self.read = read;
        r
    }

    /// An expression in `env`, under `local` frames the expression makes
    /// itself (functions, `let`): variables of those are named by depth
    /// and slot, the others by their values.
    fn expr(&mut self, e: &Expr, env: &Env, local: u32, module: bool) -> Option<()> {
        self.tick()?;
        match e {
            Expr::Const(v) => {
                self.tag(b'c');
                self.value(v, module)?;
            }
            Expr::Var { depth, slot } if *depth < local => {
                if let Some(t) = self.known_local(*depth, *slot, local) {
                    self.tag(b'k');
                    let read = std::mem::replace(&mut self.read, true);
                    let r = self.thunk(&t, module);
                    self.read = read;
                    return r;
                }
                self.tag(b'V');
                self.int(((*depth as u64) << 32) | *slot as u64);
            }
            Expr::Var { depth, slot } => {
                self.tag(b'v');
                self.var(env, depth - local, *slot, module)?;
            }
            Expr::List(items) => {
                self.tag(b'L');
                self.int(items.len() as u64);
                for i in items {
                    self.expr(i, env, local, module)?;
                }
            }
            Expr::Attrs(def) => {
                if def.rec || !def.dynamics.is_empty() {
                    return None;
                }
                self.tag(b'A');
                self.int(def.sorted.len() as u64);
                for &i in &def.sorted {
                    let b = &def.bindings.list[i as usize];
                    self.bytes(b.name.as_str().as_bytes());
                    self.span(Some(b.span));
                    match &b.value {
                        BindingValue::Expr(x) | BindingValue::Inherit(x) => {
                            self.expr(x, env, local, module)?
                        }
                        BindingValue::InheritFrom { .. } => return None,
                    }
                }
            }
            Expr::Let { bindings, body } => {
                if !bindings.inherit_sources.is_empty() {
                    return None;
                }
                self.tag(b'T');
                self.int(bindings.list.len() as u64);
                for b in &bindings.list {
                    self.bytes(b.name.as_str().as_bytes());
                    match &b.value {
                        BindingValue::Expr(x) => self.expr(x, env, local + 1, module)?,
                        _ => return None,
                    }
                }
                self.expr(body, env, local + 1, module)?;
            }
            Expr::Lambda(def) => self.lambda(def, env, local, module)?,
            Expr::Apply {
                func, args, span, ..
            } => {
                self.tag(b'C');
                self.span(Some(*span));
                self.expr(func, env, local, module)?;
                self.int(args.len() as u64);
                for a in args {
                    self.expr(a, env, local, module)?;
                }
            }
            Expr::If {
                cond,
                then,
                else_,
                span,
                ..
            } => {
                self.tag(b'?');
                self.span(Some(*span));
                self.expr(cond, env, local, module)?;
                self.expr(then, env, local, module)?;
                self.expr(else_, env, local, module)?;
            }
            Expr::HasAttr { target, path } => {
                self.tag(b'h');
                self.expr(target, env, local, module)?;
                self.attr_path(path, env, local, module)?;
            }
            Expr::Interp { parts, span, .. } => {
                self.tag(b'I');
                self.span(Some(*span));
                self.int(parts.len() as u64);
                for p in parts {
                    self.expr(p, env, local, module)?;
                }
            }
            Expr::Select {
                target,
                path,
                default,
                span,
            } => {
                // Of a set already evaluated, the attribute itself (or the
                // default, if it is missing): `set.${attr}` in `mapAttrs'`
                // is the instance, whatever set it was read from.
                match self.peek_select(target, path, env, local) {
                    Peek::Found(t) => {
                        self.tag(b'W');
                        let read = std::mem::replace(&mut self.read, true);
                        let r = self.thunk(&t, module);
                        self.read = read;
                        return r;
                    }
                    Peek::Missing if default.is_some() => {
                        self.tag(b'D');
                        return self.expr(default.as_ref()?, env, local, module);
                    }
                    _ => {}
                }
                self.tag(b'S');
                self.span(Some(*span));
                self.expr(target, env, local, module)?;
                self.attr_path(path, env, local, module)?;
                match default {
                    Some(d) => {
                        self.tag(1);
                        self.expr(d, env, local, module)?;
                    }
                    None => self.tag(0),
                }
            }
            Expr::Bin {
                op, lhs, rhs, span, ..
            } => {
                self.tag(b'B');
                self.tag(*op as u8);
                self.span(Some(*span));
                self.expr(lhs, env, local, module)?;
                self.expr(rhs, env, local, module)?;
            }
            Expr::Not(x, span) | Expr::Neg(x, span) => {
                self.tag(if matches!(e, Expr::Not(..)) {
                    b'!'
                } else {
                    b'-'
                });
                self.span(Some(*span));
                self.expr(x, env, local, module)?;
            }
            _ => return None,
        }
        Some(())
    }

    /// A function by its code (position, parameters, body) and the values
    /// of the variables it reads from `env`.
    fn lambda(&mut self, def: &LambdaDef, env: &Env, local: u32, module: bool) -> Option<()> {
        self.tag(b'F');
        self.span(Some(def.span));
        match &def.param {
            Param::Ident => self.tag(0),
            Param::Pattern {
                formals,
                ellipsis,
                at,
            } => {
                self.tag(1);
                self.tag(*ellipsis as u8);
                self.tag(at.is_some() as u8);
                self.int(formals.len() as u64);
                for f in formals {
                    self.bytes(f.name.as_str().as_bytes());
                    match &f.default {
                        Some(d) => {
                            self.tag(1);
                            self.expr(d, env, local + 1, module)?;
                        }
                        None => self.tag(0),
                    }
                }
            }
        }
        self.expr(&def.body, env, local + 1, module)
    }

    /// What `target.path` selects, without evaluating anything: known
    /// when the target and each set on the way are evaluated already.
    fn peek_select(&self, target: &Expr, path: &[AttrKey], env: &Env, local: u32) -> Peek {
        let Some(mut t) = self.peek(target, env, local) else {
            return Peek::Unknown;
        };
        for k in path {
            let name = match k {
                AttrKey::Static(s) => *s,
                AttrKey::Dynamic(e) => match self.peek(e, env, local).and_then(|t| t.get()) {
                    Some(Value::String(s)) if s.ctx.is_empty() => super::symbol::Sym::new(&s.s),
                    _ => return Peek::Unknown,
                },
            };
            let Some(Value::Attrs(a)) = t.get() else {
                return Peek::Unknown;
            };
            match a.get(name) {
                Some(next) => t = next.clone(),
                None => return Peek::Missing,
            }
        }
        Peek::Found(t)
    }

    /// The thunk a variable or a selection from evaluated sets stands
    /// for, if that is known without evaluating.
    fn peek(&self, e: &Expr, env: &Env, local: u32) -> Option<Thunk> {
        match e {
            Expr::Const(v) => Some(Thunk::Val(v.clone())),
            Expr::Var { depth, slot } if *depth < local => self.known_local(*depth, *slot, local),
            Expr::Var { depth, slot } => {
                let mut en = env;
                for _ in 0..depth - local {
                    en = en.parent.as_ref()?;
                }
                en.slot(*slot as usize)
            }
            Expr::Select {
                target,
                path,
                default: None,
                ..
            } => match self.peek_select(target, path, env, local) {
                Peek::Found(t) => Some(t),
                _ => None,
            },
            _ => None,
        }
    }

    /// An attribute path; a dynamic name (`set.${n}`) by its expression.
    fn attr_path(&mut self, path: &[AttrKey], env: &Env, local: u32, module: bool) -> Option<()> {
        self.int(path.len() as u64);
        for k in path {
            match k {
                AttrKey::Static(s) => {
                    self.tag(b'.');
                    self.bytes(s.as_str().as_bytes())
                }
                AttrKey::Dynamic(e) => {
                    self.tag(b'$');
                    self.expr(e, env, local, module)?
                }
            }
        }
        Some(())
    }
}

/// `nixcfgReuse key compute`.
pub(crate) fn reuse(ev: &mut Evaluator, a: &[Thunk], span: Span) -> EvalResult<Value> {
    if ev.reuse.is_none() {
        let f = ev.force(&a[1])?;
        return ev.call_value(f, Thunk::Val(Value::Null), Some(span));
    }
    let key = instance_key(ev, &a[0]);
    let Some((key, loc, pins)) = key else {
        if let Some(c) = ev.reuse.as_mut() {
            c.unkeyed += 1;
        }
        let f = ev.force(&a[1])?;
        return ev.call_value(f, Thunk::Val(Value::Null), Some(span));
    };
    if let Some(c) = ev.reuse.as_mut() {
        if let Some(e) = c.current.get(&key) {
            return Ok(e.value.clone());
        }
        if let Some(e) = c.previous.remove(&key) {
            c.reused += 1;
            let v = e.value.clone();
            c.current.insert(key, e);
            return Ok(v);
        }
    }
    if std::env::var_os("NIXCFG_REUSE_DEBUG").is_some() {
        if let Some(c) = ev.reuse.as_ref() {
            explain_miss(c, &key, &loc);
        }
    }
    let f = ev.force(&a[1])?;
    let v = ev.call_value(f, Thunk::Val(Value::Null), Some(span))?;
    if let Some(c) = ev.reuse.as_mut() {
        c.computed += 1;
        c.current.insert(
            key,
            Entry {
                value: v.clone(),
                loc,
                _pins: pins,
            },
        );
    }
    Ok(v)
}

/// `NIXCFG_REUSE_DEBUG=1`: where an instance's fingerprint first differs
/// from the one it had in the evaluation before (why it was computed).
fn explain_miss(c: &ReuseCache, key: &[u8], loc: &[String]) {
    let Some((old, _)) = c.previous.iter().find(|(_, e)| e.loc == loc) else {
        return;
    };
    let at = old
        .iter()
        .zip(key)
        .position(|(a, b)| a != b)
        .unwrap_or(old.len().min(key.len()));
    let window = |k: &[u8]| {
        String::from_utf8_lossy(&k[at.saturating_sub(120)..(at + 40).min(k.len())]).into_owned()
    };
    eprintln!(
        "nixcfg: reuse miss {loc:?} at byte {at} of {}/{}: before {:?}, now {:?}",
        old.len(),
        key.len(),
        window(old),
        window(key)
    );
}

/// The fingerprint of `[ loc defs modules specialArgs reuseWith ]` (the
/// last one optional), and `loc`.
/// The list, `loc` and each definition's `{ file, value }` are forced
/// (to weak head normal form: what merging the instance forces first);
/// any error means no fingerprint, and merging reports it.
fn instance_key(ev: &mut Evaluator, key: &Thunk) -> Option<(Vec<u8>, Vec<String>, Vec<Thunk>)> {
    let Ok(Value::List(parts)) = ev.force(key) else {
        return None;
    };
    let (loc, defs, modules, special, also) = match parts.as_slice() {
        [loc, defs, modules, special] => (loc, defs, modules, special, None),
        [loc, defs, modules, special, also] => (loc, defs, modules, special, Some(also)),
        _ => return None,
    };
    let Ok(Value::List(loc)) = ev.force(loc) else {
        return None;
    };
    let mut names = Vec::with_capacity(loc.len());
    for n in loc.iter() {
        match ev.force(n) {
            Ok(Value::String(s)) => names.push(s.s.clone()),
            _ => return None,
        }
    }
    let Ok(Value::List(defs)) = ev.force(defs) else {
        return None;
    };
    for d in defs.iter() {
        let Ok(Value::Attrs(d)) = ev.force(d) else {
            return None;
        };
        for e in d.entries.iter() {
            ev.force(&e.value).ok()?;
        }
    }
    // The modules, each to weak head normal form (as evalModules takes
    // them in), so that their fingerprint does not depend on whether this
    // evaluation forced them already.
    let Ok(Value::List(ms)) = ev.force(modules) else {
        return None;
    };
    for m in ms.iter() {
        ev.force(m).ok()?;
    }
    ev.force(special).ok()?;
    // What the instance also reads outside its definitions, evaluated.
    let also = match also {
        Some(a) => Some(
            ev.force(a)
                .and_then(|v| ev.force_deep(&v).map(|_| v))
                .ok()?,
        ),
        None => None,
    };
    let mut memo = ev.reuse.as_mut().and_then(|c| c.data_memo.take());
    let mut fp = Fingerprint {
        ev,
        out: Vec::with_capacity(256),
        budget: BUDGET,
        pins: Vec::new(),
        read: false,
        lambdas: Vec::new(),
        containers: Vec::new(),
        known: Vec::new(),
        line_hint: 0,
    };
    fp.int(names.len() as u64);
    for n in &names {
        fp.bytes(n.as_bytes());
    }
    fp.int(defs.len() as u64);
    for d in defs.iter() {
        fp.thunk(d, false)?;
    }
    fp.thunk(modules, true)?;
    fp.thunk(special, false)?;
    if let Some(a) = &also {
        match &memo {
            Some((last, bytes)) if same_object(last, a) => fp.out.extend_from_slice(bytes),
            _ => {
                fp.budget = DATA_BUDGET;
                let start = fp.out.len();
                fp.data(a)?;
                memo = Some((a.clone(), fp.out[start..].to_vec()));
            }
        }
    }
    let (out, pins) = (fp.out, fp.pins);
    if let Some(c) = ev.reuse.as_mut() {
        c.data_memo = memo;
    }
    Some((out, names, pins))
}

/// Whether two values are the same set or list (not just equal).
fn same_object(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Attrs(x), Value::Attrs(y)) => Rc::ptr_eq(x, y),
        (Value::List(x), Value::List(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}
