//! Evaluating expressions: the interpreter loop, function calls and
//! thunk forcing.

use super::error::{ErrorKind, EvalError, EvalResult};
use super::expr::*;
use super::symbol::Sym;
use super::value::*;
use super::Evaluator;
use crate::source::{Pos, Span};
use std::rc::Rc;

/// Symbols the interpreter itself looks for.
pub struct CommonSyms {
    pub functor: Sym,
    pub to_string: Sym,
    pub out_path: Sym,
    pub type_: Sym,
    pub overrides: Sym,
    pub file: Sym,
    pub line: Sym,
    pub column: Sym,
    pub drv_path: Sym,
    pub name: Sym,
    pub value: Sym,
    pub success: Sym,
    pub out: Sym,
}

impl CommonSyms {
    pub fn new() -> Self {
        CommonSyms {
            functor: Sym::new("__functor"),
            to_string: Sym::new("__toString"),
            out_path: Sym::new("outPath"),
            type_: Sym::new("type"),
            overrides: Sym::new("__overrides"),
            file: Sym::new("file"),
            line: Sym::new("line"),
            column: Sym::new("column"),
            drv_path: Sym::new("drvPath"),
            name: Sym::new("name"),
            value: Sym::new("value"),
            success: Sym::new("success"),
            out: Sym::new("out"),
        }
    }
}

impl Default for CommonSyms {
    fn default() -> Self {
        Self::new()
    }
}

thread_local! {
    /// Lowest stack address evaluation may reach on this thread.
    static STACK_LIMIT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Stack size of this thread, as far as we know it.
    pub static STACK_SIZE: std::cell::Cell<usize> = const { std::cell::Cell::new(2 << 20) };
}

#[inline(always)]
fn stack_pointer() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Records where this thread's stack starts; evaluation stops with an
/// error before it would overflow (deep data, long thunk chains).
pub fn set_stack_base() {
    let size = STACK_SIZE.with(|s| s.get());
    let margin = (size / 8).max(256 << 10);
    STACK_LIMIT.with(|l| l.set(stack_pointer().saturating_sub(size.saturating_sub(margin))));
}

#[inline(always)]
fn stack_exhausted_at(limit: usize) -> bool {
    stack_pointer() < limit
}

/// The current thread's limit, for the evaluator to cache.
pub fn stack_limit() -> usize {
    STACK_LIMIT.with(|l| l.get())
}

/// The arguments of one builtin call (no builtin takes more than four).
type ArgList = smallvec::SmallVec<[Thunk; 4]>;

impl Evaluator {
    fn stack_overflow(&self) -> EvalError {
        EvalError::new(ErrorKind::StackOverflow, "nix::stack-overflow", "stack overflow: the evaluation nests too deeply", None)
            .help("a value is defined through too many nested levels (a very long chain of bindings or deeply nested data)")
    }

    pub fn err(&self, msg: impl Into<String>, span: Option<Span>) -> EvalError {
        EvalError::new(ErrorKind::Other, "nix::eval", msg, span)
    }

    pub fn type_err(&self, expected: &str, v: &Value, span: Option<Span>) -> EvalError {
        EvalError::new(
            ErrorKind::Other,
            "nix::type",
            format!(
                "expected {expected} but found {}: {}",
                v.type_name(),
                self.show_short(v)
            ),
            span,
        )
    }

    /// Enters one level of native recursion; errors instead of overflowing.
    #[inline]
    pub(crate) fn enter(&mut self) -> EvalResult<()> {
        if stack_exhausted_at(self.stack_limit) {
            return Err(self.stack_overflow());
        }
        self.call_depth += 1;
        // Cancellation and the time budget, looked at every 4096 calls of
        // an evaluation that has either.
        if self.interruptible {
            self.calls = self.calls.wrapping_add(1);
            if self.calls & 0xfff == 0 {
                if let Some(e) = self.interrupted() {
                    self.call_depth -= 1;
                    return Err(e);
                }
            }
        }
        if self.call_depth > self.opts.max_call_depth {
            self.call_depth -= 1;
            return Err(EvalError::new(ErrorKind::StackOverflow, "nix::stack-overflow", "stack overflow; max-call-depth exceeded", None)
                .help("the evaluation recurses too deeply: look for a function that calls itself without end, or raise --max-call-depth"));
        }
        Ok(())
    }

    /// Waits while `opts.pause` is set (and the evaluation not cancelled).
    pub(crate) fn wait_while_paused(&self) {
        let Some(p) = &self.opts.pause else { return };
        let cancelled = || {
            self.opts
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
        };
        while p.load(std::sync::atomic::Ordering::Relaxed) && !cancelled() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    #[cold]
    fn interrupted(&self) -> Option<EvalError> {
        self.wait_while_paused();
        if let Some(c) = &self.opts.cancel {
            if c.load(std::sync::atomic::Ordering::Relaxed) {
                return Some(EvalError::new(
                    ErrorKind::Other,
                    "nixcfg::cancelled",
                    "evaluation cancelled (a newer version arrived)",
                    None,
                ));
            }
        }
        let budget = self.opts.time_budget?;
        if self.started.elapsed() > budget {
            return Some(
                EvalError::new(
                    ErrorKind::Other,
                    "nixcfg::time-budget",
                    format!("evaluation stopped: it took longer than its time budget ({} ms)", budget.as_millis()),
                    None,
                )
                .help("the configuration may loop without end (a `genericClosure` that never stops, an ever-growing list); `nixcfg check` on the command line has no budget"),
            );
        }
        None
    }

    #[inline]
    pub(crate) fn leave(&mut self) {
        self.call_depth -= 1;
    }

    /// Forces a thunk to weak head normal form.
    #[inline]
    pub fn force(&mut self, t: &Thunk) -> EvalResult<Value> {
        match t {
            Thunk::Val(v) => Ok(v.clone()),
            Thunk::Lazy(c) => {
                if let Some(v) = c.done() {
                    return Ok(v);
                }
                self.force_cell(t, c)
            }
        }
    }

    #[inline(never)]
    fn force_cell(&mut self, t: &Thunk, c: &Rc<ThunkCell>) -> EvalResult<Value> {
        if stack_exhausted_at(self.stack_limit) {
            return Err(self.stack_overflow());
        }
        let st = c.replace(ThunkState::Blackhole);
        let res = match &st {
            ThunkState::Pending(e, env) => self.eval(e, env).map_err(|err| {
                if err.kind == ErrorKind::InfiniteRecursion && err.diag.span.is_none() {
                    let mut err = err;
                    err.diag.span = expr_span(e);
                    err
                } else {
                    err
                }
            }),
            ThunkState::Apply(x) => self.apply1(&x.0, x.1.clone(), None),
            ThunkState::Apply2(x) => self.call_value2(x.0.clone(), x.1.clone(), x.2.clone(), None),
            ThunkState::Select(x) => {
                let (from, name, span) = (&x.0, &x.1, &x.2);
                let v = self.force(from)?;
                self.select_one(&v, *name, *span)
            }
            ThunkState::Blackhole => Err(EvalError::new(
                ErrorKind::InfiniteRecursion,
                "nix::infinite-recursion",
                "infinite recursion encountered",
                None,
            )),
            ThunkState::Done(_) => unreachable!("checked above"),
        };
        match res {
            Ok(v) => {
                if matches!(
                    v,
                    Value::Attrs(_) | Value::List(_) | Value::Lambda(_) | Value::PrimOpApp(_)
                ) {
                    t.register();
                }
                c.replace(ThunkState::Done(v.clone()));
                Ok(v)
            }
            Err(e) => {
                if !matches!(st, ThunkState::Blackhole) {
                    c.replace(st);
                }
                Err(e)
            }
        }
    }

    /// A thunk for `e` in `env`, without allocating where the value is
    /// already at hand (variables, constants, functions).
    pub fn thunk_of(&mut self, e: &ExprRef, env: &Env) -> Thunk {
        match &**e {
            Expr::Var { depth, slot } => lookup(env, *depth, *slot),
            Expr::Const(v) => Thunk::value(v.clone()),
            Expr::Lambda(def) => Thunk::value(Value::Lambda(Rc::new(Closure {
                def: def.clone(),
                env: env.clone(),
                first_evaluation: self.first_evaluation,
            }))),
            _ => match self.eager_value(e, env) {
                Some(v) => Thunk::Val(v),
                None => self.heap.thunk(ThunkState::Pending(e.clone(), env.clone())),
            },
        }
    }

    /// Like `thunk_of`, for a frame whose slots are still being filled:
    /// variables of that frame are read later, not now.
    fn thunk_in_new_frame(&mut self, e: &ExprRef, frame: &Env) -> Thunk {
        match &**e {
            Expr::Var { depth: 0, .. } => self
                .heap
                .thunk(ThunkState::Pending(e.clone(), frame.clone())),
            _ => self.thunk_of(e, frame),
        }
    }

    /// `eval`, with constants and variables (most leaves of the tree)
    /// handled at the call site instead of through a full dispatch.
    #[inline(always)]
    pub(crate) fn eval_fast(&mut self, e: &ExprRef, env: &Env) -> EvalResult<Value> {
        match &**e {
            Expr::Const(v) => Ok(v.clone()),
            Expr::Var { depth, slot } => self.eval_var(*depth, *slot, env),
            _ => self.eval(e, env),
        }
    }

    /// A variable's value: read in place; the cell is cloned only when it
    /// has to be forced.
    #[inline(always)]
    fn eval_var(&mut self, depth: u32, slot: u32, env: &Env) -> EvalResult<Value> {
        let mut e = env;
        for _ in 0..depth {
            e = e.parent.as_ref().expect("variable depth within env chain");
        }
        let cell = e.with_slots(|slots| match &slots[slot as usize] {
            Thunk::Val(v) => Err(v.clone()),
            Thunk::Lazy(c) => match c.done() {
                Some(v) => Err(v),
                None => Ok(c.clone()),
            },
        });
        match cell {
            Ok(cell) => self.force_lazy(cell),
            Err(known) => Ok(known),
        }
    }

    #[inline(never)]
    fn force_lazy(&mut self, cell: Rc<ThunkCell>) -> EvalResult<Value> {
        let t = Thunk::Lazy(cell);
        self.force(&t)
    }

    #[inline(never)]
    pub fn eval(&mut self, e: &ExprRef, env: &Env) -> EvalResult<Value> {
        if stack_exhausted_at(self.stack_limit) {
            return Err(self.stack_overflow());
        }
        match &**e {
            Expr::Const(v) => Ok(v.clone()),
            Expr::Var { depth, slot } => self.eval_var(*depth, *slot, env),
            Expr::WithVar { name, withs, span } => {
                let mut frame = env.clone();
                let mut at = 0u32;
                for &d in withs.iter() {
                    while at < d {
                        frame = frame.parent.clone().expect("with depth within env chain");
                        at += 1;
                    }
                    let ns = frame.slot(0).expect("a `with` frame has its namespace");
                    let v = self.force(&ns)?;
                    match &v {
                        Value::Attrs(a) => {
                            if let Some(t) = a.get(*name) {
                                let t = t.clone();
                                return self.force(&t);
                            }
                        }
                        other => return Err(self.type_err("a set", other, Some(*span))),
                    }
                }
                Err(EvalError::new(
                    ErrorKind::Other,
                    "nix::undefined-variable",
                    format!("undefined variable '{name}'"),
                    Some(*span),
                ))
            }
            Expr::Lambda(def) => Ok(Value::Lambda(Rc::new(Closure {
                def: def.clone(),
                env: env.clone(),
                first_evaluation: self.first_evaluation,
            }))),
            Expr::List(items) => {
                let v: Vec<Thunk> = items.iter().map(|i| self.thunk_of(i, env)).collect();
                Ok(Value::list(v))
            }
            Expr::Attrs(def) => self.eval_attrs(def, env),
            Expr::Let { bindings, body } => {
                let frame = self.make_rec_frame(bindings, env);
                self.eval(body, &frame)
            }
            Expr::With { namespace, body } => {
                let ns = self.thunk_of(namespace, env);
                let frame = self.heap.env(smallvec::smallvec![ns], Some(env.clone()));
                self.eval(body, &frame)
            }
            Expr::Apply {
                func, args, span, ..
            } => {
                let mut f = self.eval_fast(func, env)?;
                if args.len() == 2 {
                    if let Value::Lambda(c) = &f {
                        if let (Param::Ident, Expr::Lambda(inner)) = (&c.def.param, &*c.def.body) {
                            let a = if c.def.strict
                                && !matches!(*args[0], Expr::Var { .. } | Expr::Const(_))
                            {
                                Thunk::Val(self.eval_fast(&args[0], env)?)
                            } else {
                                self.thunk_of(&args[0], env)
                            };
                            let b = if inner.strict
                                && !matches!(*args[1], Expr::Var { .. } | Expr::Const(_))
                            {
                                Thunk::Val(self.eval_fast(&args[1], env)?)
                            } else {
                                self.thunk_of(&args[1], env)
                            };
                            return self.call_value2(f, a, b, Some(*span));
                        }
                    }
                }
                // A builtin given all its arguments is called at once,
                // without the partial applications in between.
                match &f {
                    Value::PrimOp(op) if op.arity == args.len() => {
                        let ts: ArgList = args.iter().map(|a| self.thunk_of(a, env)).collect();
                        return self.call_primop(op, &ts, Some(*span));
                    }
                    Value::PrimOpApp(app) if app.args.len() + args.len() == app.op.arity => {
                        let mut ts: ArgList = app.args.iter().cloned().collect();
                        for a in args {
                            ts.push(self.thunk_of(a, env));
                        }
                        return self.call_primop(&app.op, &ts, Some(*span));
                    }
                    _ => {}
                }
                for a in args {
                    // A function that forces its argument first gets it
                    // evaluated now: same result, no thunk.
                    let t = match &f {
                        Value::Lambda(c)
                            if c.def.strict
                                && !matches!(**a, Expr::Var { .. } | Expr::Const(_)) =>
                        {
                            Thunk::Val(self.eval_fast(a, env)?)
                        }
                        _ => self.thunk_of(a, env),
                    };
                    f = if args.len() == 1 {
                        self.apply1(&f, t, Some(*span))?
                    } else {
                        self.call_value(f, t, Some(*span))?
                    };
                }
                Ok(f)
            }
            Expr::Select {
                target,
                path,
                default,
                span,
            } => self.eval_select(target, path, default.as_ref(), *span, env),
            Expr::HasAttr { target, path } => {
                let mut v = self.eval(target, env)?;
                for (i, k) in path.iter().enumerate() {
                    let name = self.attr_key(k, env)?;
                    match &v {
                        Value::Attrs(a) => match a.get(name) {
                            // Only the sets along the path are forced, never
                            // the value found last.
                            Some(_) if i + 1 == path.len() => return Ok(Value::Bool(true)),
                            Some(t) => {
                                let t = t.clone();
                                v = self.force(&t)?;
                            }
                            None => return Ok(Value::Bool(false)),
                        },
                        _ => return Ok(Value::Bool(false)),
                    }
                }
                Ok(Value::Bool(true))
            }
            Expr::If {
                cond,
                then,
                else_,
                span,
                ..
            } => {
                let c = self.eval_fast(cond, env)?;
                match c {
                    Value::Bool(true) => self.eval_fast(then, env),
                    Value::Bool(false) => self.eval_fast(else_, env),
                    other => Err(self
                        .type_err("a Boolean", &other, Some(*span))
                        .context("while evaluating a branch condition", Some(*span))),
                }
            }
            Expr::Assert { cond, body, span } => {
                let c = self.eval(cond, env)?;
                match c {
                    Value::Bool(true) => self.eval(body, env),
                    Value::Bool(false) => {
                        let text = self
                            .sources
                            .get(span.file)
                            .text
                            .get(span.start as usize..span.end as usize)
                            .unwrap_or("")
                            .to_string();
                        Err(EvalError::new(
                            ErrorKind::Assert,
                            "nix::assert",
                            format!("assertion '{text}' failed"),
                            Some(*span),
                        ))
                    }
                    other => Err(self.type_err("a Boolean", &other, Some(*span)).context(
                        "while evaluating the condition of the assertion",
                        Some(*span),
                    )),
                }
            }
            Expr::Not(inner, span) => match self.eval(inner, env)? {
                Value::Bool(b) => Ok(Value::Bool(!b)),
                other => Err(self.type_err("a Boolean", &other, Some(*span))),
            },
            Expr::Neg(inner, span) => {
                let v = self.eval(inner, env)?;
                self.arith(BinOp::Sub, Value::Int(0), v, *span)
            }
            Expr::Bin {
                op, lhs, rhs, span, ..
            } => self.eval_bin(*op, lhs, rhs, *span, env),
            Expr::Interp { parts, span, .. } => self.eval_interp(parts, *span, env),
            Expr::PathInterp { parts, span } => {
                let mut s = String::new();
                for (i, p) in parts.iter().enumerate() {
                    let v = self.eval(p, env)?;
                    if i == 0 {
                        if let Value::String(x) = &v {
                            s.push_str(&x.s);
                            continue;
                        }
                    }
                    let (part, ctx) =
                        self.coerce_to_string(&v, *span, super::coerce::Coerce::Interp)?;
                    if !ctx.is_empty() {
                        return Err(self.err(format!("a string that refers to a store path cannot be appended to a path ('{part}')"), Some(*span)));
                    }
                    s.push_str(&part);
                }
                Ok(Value::Path(super::lower::canonicalize(&s).into()))
            }
            Expr::SearchPath { path, span } => super::builtins::io::find_file(self, path, *span),
            Expr::CurPos(span) => Ok(self.pos_value(*span)),
        }
    }

    /// `{ file; line; column; }` for a span.
    pub fn pos_value(&mut self, span: Span) -> Value {
        let f = self.sources.get(span.file).clone();
        let (l, c) = f.line_col(span.start);
        let entries = vec![
            Attr {
                name: self.syms.column,
                value: Thunk::value(Value::Int(c as i64)),
                pos: Pos::NONE,
            },
            Attr {
                name: self.syms.file,
                value: Thunk::value(Value::str(f.name.clone())),
                pos: Pos::NONE,
            },
            Attr {
                name: self.syms.line,
                value: Thunk::value(Value::Int(l as i64)),
                pos: Pos::NONE,
            },
        ];
        Value::attrs(Attrs::from_unsorted(entries))
    }

    fn attr_key(&mut self, k: &AttrKey, env: &Env) -> EvalResult<Sym> {
        match k {
            AttrKey::Static(s) => Ok(*s),
            AttrKey::Dynamic(e) => {
                let v = self.eval(e, env)?;
                match &v {
                    Value::String(s) => Ok(Sym::new(&s.s)),
                    other => Err(self.type_err("a string", other, super::interp::expr_span(e))),
                }
            }
        }
    }

    fn eval_select(
        &mut self,
        target: &ExprRef,
        path: &[AttrKey],
        default: Option<&ExprRef>,
        span: Span,
        env: &Env,
    ) -> EvalResult<Value> {
        let mut v = self.eval_fast(target, env)?;
        for k in path {
            let name = self.attr_key(k, env)?;
            let next = match &v {
                Value::Attrs(a) => a.get(name).cloned(),
                other => {
                    if let Some(d) = default {
                        return self.eval(d, env);
                    }
                    return Err(self
                        .type_err("a set", other, Some(span))
                        .context(format!("while selecting attribute '{name}'"), Some(span)));
                }
            };
            match next {
                Some(t) => v = self.force(&t)?,
                None => {
                    if let Some(d) = default {
                        return self.eval(d, env);
                    }
                    let Value::Attrs(a) = &v else { unreachable!() };
                    return Err(self.missing_attr(name, a, span));
                }
            }
        }
        Ok(v)
    }

    pub fn missing_attr(&self, name: Sym, a: &Attrs, span: Span) -> EvalError {
        let names: Vec<&str> = a.entries.iter().map(|e| e.name.as_str()).collect();
        let mut err = EvalError::new(
            ErrorKind::Other,
            "nix::missing-attribute",
            format!("attribute '{name}' missing"),
            Some(span),
        );
        if let Some(s) = crate::eval::builtins::suggest(name.as_str(), &names) {
            err = err.help(format!("did you mean '{s}'?"));
        }
        err
    }

    pub fn select_one(&mut self, v: &Value, name: Sym, span: Span) -> EvalResult<Value> {
        match v {
            Value::Attrs(a) => match a.get(name) {
                Some(t) => {
                    let t = t.clone();
                    self.force(&t)
                }
                None => Err(self.missing_attr(name, a, span)),
            },
            other => Err(self.type_err("a set", other, Some(span))),
        }
    }

    /// A `let` or `rec` frame: slot i is binding i, then inherit sources.
    fn make_rec_frame(&mut self, b: &Bindings, env: &Env) -> Env {
        let n = b.list.len() + b.inherit_sources.len();
        let frame = self.heap.rec_env(Slots::new(), Some(env.clone()));
        let mut slots = Slots::with_capacity(n);
        let base = b.list.len();
        for binding in &b.list {
            let t = match &binding.value {
                BindingValue::Expr(e) => self.thunk_in_new_frame(e, &frame),
                BindingValue::Inherit(e) => self.thunk_of(e, env),
                BindingValue::InheritFrom { source, name, span } => {
                    // The source slot is filled below; select lazily through
                    // a variable reference to it.
                    let src = self.heap.thunk(ThunkState::Pending(
                        Rc::new(Expr::Var {
                            depth: 0,
                            slot: (base + *source as usize) as u32,
                        }),
                        frame.clone(),
                    ));
                    self.heap
                        .thunk(ThunkState::Select(Box::new((src, *name, *span))))
                }
            };
            slots.push(t);
        }
        for s in &b.inherit_sources {
            let t = self.thunk_in_new_frame(s, &frame);
            slots.push(t);
        }
        frame.set_slots(slots);
        frame
    }

    fn eval_attrs(&mut self, def: &Rc<AttrsDef>, env: &Env) -> EvalResult<Value> {
        let b = &def.bindings;
        // The entries are made in name order (`def.sorted`) at once: no
        // intermediate vectors.
        let attr = |binding: &Binding, value: Thunk| Attr {
            name: binding.name,
            value,
            pos: Pos::from(binding.span),
        };
        let (scope, entries): (Env, Vec<Attr>) = if def.rec {
            let frame = self.make_rec_frame(b, env);
            let entries = frame.with_slots(|slots| {
                def.sorted
                    .iter()
                    .map(|&i| attr(&b.list[i as usize], slots[i as usize].clone()))
                    .collect()
            });
            (frame, entries)
        } else {
            let sources: Vec<Thunk> = b
                .inherit_sources
                .iter()
                .map(|s| self.thunk_of(s, env))
                .collect();
            let entries = def
                .sorted
                .iter()
                .map(|&i| {
                    let binding = &b.list[i as usize];
                    let value = match &binding.value {
                        BindingValue::Expr(e) | BindingValue::Inherit(e) => self.thunk_of(e, env),
                        BindingValue::InheritFrom { source, name, span } => {
                            self.heap.thunk(ThunkState::Select(Box::new((
                                sources[*source as usize].clone(),
                                *name,
                                *span,
                            ))))
                        }
                    };
                    attr(binding, value)
                })
                .collect();
            (env.clone(), entries)
        };
        let mut attrs = Attrs::from_sorted(entries);
        if def.rec {
            if let Some(ov) = attrs.get(self.syms.overrides).cloned() {
                let ov = self.force(&ov)?;
                if !matches!(ov, Value::Attrs(_)) {
                    return Err(self
                        .type_err("a set", &ov, None)
                        .context("while evaluating the `__overrides` attribute", None));
                }
                if let Value::Attrs(o) = ov {
                    // Overrides replace attributes and the frame slots that
                    // other attributes read.
                    for a in o.entries.iter() {
                        if let Some(i) = b.list.iter().position(|x| x.name == a.name) {
                            scope.set_slot(i, a.value.clone());
                        }
                    }
                    attrs = attrs.update(&o);
                }
            }
        }
        if !def.dynamics.is_empty() {
            let mut extra = Vec::new();
            for (k, v, span) in &def.dynamics {
                let key = self.eval(k, &scope)?;
                let name = match &key {
                    Value::Null => continue,
                    Value::String(s) => Sym::new(&s.s),
                    other => return Err(self.type_err("a string", other, Some(*span))),
                };
                if attrs.get(name).is_some() || extra.iter().any(|a: &Attr| a.name == name) {
                    return Err(EvalError::new(
                        ErrorKind::Other,
                        "nix::duplicate-attribute",
                        format!("dynamic attribute '{name}' already defined"),
                        Some(*span),
                    ));
                }
                let t = self.thunk_of(v, &scope);
                extra.push(Attr {
                    name,
                    value: t,
                    pos: Pos::from(*span),
                });
            }
            if !extra.is_empty() {
                attrs = attrs.update(&Attrs::from_unsorted(extra));
            }
        }
        Ok(Value::Attrs(Rc::new(attrs)))
    }

    /// Calls a function value with one argument.
    pub fn call_value(&mut self, f: Value, arg: Thunk, span: Option<Span>) -> EvalResult<Value> {
        match f {
            Value::Lambda(c) => {
                self.enter().map_err(|mut e| {
                    e.diag.span = e.diag.span.or(span);
                    e
                })?;
                let r = self.call_lambda(&c.def, &c.env, arg, span);
                self.leave();
                r
            }
            Value::PrimOp(op) => {
                if op.arity == 1 {
                    self.call_primop(&op, &[arg], span)
                } else {
                    Ok(Value::PrimOpApp(Rc::new(PrimOpApp {
                        op,
                        args: smallvec::smallvec![arg],
                    })))
                }
            }
            Value::PrimOpApp(app) => {
                if app.args.len() + 1 == app.op.arity {
                    // The last argument: the call's arguments live on the
                    // stack, not in a vector made for them.
                    let args: ArgList = app.args.iter().cloned().chain([arg]).collect();
                    self.call_primop(&app.op, &args, span)
                } else {
                    let mut args = app.args.clone();
                    args.push(arg);
                    Ok(Value::PrimOpApp(Rc::new(PrimOpApp {
                        op: app.op.clone(),
                        args,
                    })))
                }
            }
            Value::Attrs(a) => match a.get(self.syms.functor) {
                Some(functor) => {
                    let functor = functor.clone();
                    let fv = self.force(&functor)?;
                    let inner = self.call_value(fv, Thunk::value(Value::Attrs(a.clone())), span)?;
                    self.call_value(inner, arg, span)
                }
                None => Err(self.type_err("a function", &Value::Attrs(a), span)),
            },
            other => Err(EvalError::new(
                ErrorKind::Other,
                "nix::type",
                format!(
                    "attempt to call something which is not a function but {}: {}",
                    other.type_name(),
                    self.show_short(&other)
                ),
                span,
            )),
        }
    }

    fn call_primop(
        &mut self,
        op: &Rc<PrimOp>,
        args: &[Thunk],
        span: Option<Span>,
    ) -> EvalResult<Value> {
        let s = span.unwrap_or(Span {
            file: crate::source::FileId(0),
            start: 0,
            end: 0,
        });
        if let Some(p) = &mut self.profile {
            let start = p.enter();
            let r = match self.enter() {
                Ok(()) => {
                    let r = (op.f)(self, args, s);
                    self.leave();
                    r
                }
                Err(e) => Err(e),
            };
            if let Some(p) = &mut self.profile {
                p.leave(super::profile::Callee::Builtin(op.name), start);
            }
            return r;
        }
        self.enter()?;
        let r = (op.f)(self, args, s);
        self.leave();
        r.map_err(|mut e| {
            if e.diag.span.is_none() && span.is_some() {
                e.diag.span = span;
            }
            e
        })
        .map_err(|e| e.context(format!("while calling the '{}' builtin", op.name), span))
    }

    /// Calls `f a b`. A curried lambda (`a: b: …`) gets both arguments at
    /// once, without building the closure for `b: …` in between.
    pub fn call_value2(
        &mut self,
        f: Value,
        a: Thunk,
        b: Thunk,
        span: Option<Span>,
    ) -> EvalResult<Value> {
        match &f {
            Value::Lambda(c) => {
                if let (Param::Ident, Expr::Lambda(inner)) = (&c.def.param, &*c.def.body) {
                    let frame = self.heap.env(smallvec::smallvec![a], Some(c.env.clone()));
                    self.enter()?;
                    let r = if inner.selector.is_none()
                        && matches!(inner.param, Param::Ident)
                        && self.profile.is_none()
                    {
                        // `a: b: …` with a plain `b`: its frame at once.
                        let frame = self.heap.env(smallvec::smallvec![b], Some(frame));
                        self.eval(&inner.body, &frame).map_err(|e| {
                            if e.diag.trace.len() < 32 {
                                e.context(self.calling(inner), Some(inner.span))
                            } else {
                                e
                            }
                        })
                    } else {
                        self.call_lambda(inner, &frame, b, span)
                    };
                    self.leave();
                    return r;
                }
            }
            Value::PrimOp(op) if op.arity == 2 => return self.call_primop(op, &[a, b], span),
            Value::PrimOpApp(app) if app.args.len() + 2 == app.op.arity => {
                let args: ArgList = app.args.iter().cloned().chain([a, b]).collect();
                return self.call_primop(&app.op, &args, span);
            }
            _ => {}
        }
        let g = self.call_value(f, a, span)?;
        self.call_value(g, b, span)
    }

    fn call_lambda(
        &mut self,
        def: &Rc<LambdaDef>,
        env: &Env,
        arg: Thunk,
        span: Option<Span>,
    ) -> EvalResult<Value> {
        if self.profile.is_none() {
            return self.call_lambda_inner(def, env, arg, span);
        }
        let start = self.profile.as_mut().map(|p| p.enter());
        let r = self.call_lambda_inner(def, env, arg, span);
        if let (Some(p), Some(start)) = (&mut self.profile, start) {
            p.leave(super::profile::Callee::Lambda(def.span), start);
        }
        r
    }

    fn call_lambda_inner(
        &mut self,
        def: &Rc<LambdaDef>,
        env: &Env,
        arg: Thunk,
        span: Option<Span>,
    ) -> EvalResult<Value> {
        if let Some((names, at)) = &def.selector {
            return self.call_selector(arg, names, *at).map_err(|e| {
                if e.diag.trace.len() < 32 {
                    e.context(self.calling(def), Some(def.span))
                } else {
                    e
                }
            });
        }
        let c_env = env;
        let frame = match &def.param {
            Param::Ident => self.heap.env(smallvec::smallvec![arg], Some(c_env.clone())),
            Param::Pattern {
                formals,
                ellipsis,
                at,
            } => {
                let v = self.force(&arg)?;
                let Value::Attrs(given) = &v else {
                    return Err(self
                        .type_err("a set", &v, span)
                        .context(self.calling(def), Some(def.span)));
                };
                let has_defaults = formals.iter().any(|f| f.default.is_some());
                let frame = if has_defaults {
                    self.heap.rec_env(Slots::new(), Some(c_env.clone()))
                } else {
                    self.heap.env(Slots::new(), Some(c_env.clone()))
                };
                let mut slots = Slots::with_capacity(def.nslots as usize);
                let mut used = 0;
                for f in formals {
                    match given.get(f.name) {
                        Some(t) => {
                            used += 1;
                            slots.push(t.clone());
                        }
                        None => match &f.default {
                            Some(d) => slots.push(self.thunk_in_new_frame(d, &frame)),
                            None => {
                                return Err(EvalError::new(
                                    ErrorKind::Other,
                                    "nix::missing-argument",
                                    format!(
                                        "function '{}' called without required argument '{}'",
                                        lambda_name(def),
                                        f.name
                                    ),
                                    span,
                                )
                                .context(
                                    format!("the function is defined here, {}", lambda_name(def)),
                                    Some(def.span),
                                ));
                            }
                        },
                    }
                }
                if !*ellipsis && used < given.len() {
                    for a in given.entries.iter() {
                        if !formals.iter().any(|f| f.name == a.name) {
                            let names: Vec<&str> =
                                formals.iter().map(|f| f.name.as_str()).collect();
                            let mut err = EvalError::new(
                                ErrorKind::Other,
                                "nix::unexpected-argument",
                                format!(
                                    "function '{}' called with unexpected argument '{}'",
                                    lambda_name(def),
                                    a.name
                                ),
                                span,
                            );
                            if let Some(s) = super::builtins::suggest(a.name.as_str(), &names) {
                                err = err.help(format!("did you mean '{s}'?"));
                            }
                            return Err(err.context(
                                format!("the function is defined here, {}", lambda_name(def)),
                                Some(def.span),
                            ));
                        }
                    }
                }
                if at.is_some() {
                    slots.push(arg);
                }
                frame.set_slots(slots);
                frame
            }
        };
        self.eval(&def.body, &frame).map_err(|e| {
            if e.diag.trace.len() < 32 {
                e.context(self.calling(def), Some(def.span))
            } else {
                e
            }
        })
    }

    /// The body of `x: x.a.b` applied to `arg`, as `eval_select` would
    /// compute it, without making the frame nothing else would read.
    fn call_selector(&mut self, arg: Thunk, names: &[Sym], span: Span) -> EvalResult<Value> {
        let mut v = self.force(&arg)?;
        for &name in names {
            let next = match &v {
                Value::Attrs(a) => match a.get(name) {
                    Some(t) => t.clone(),
                    None => return Err(self.missing_attr(name, a, span)),
                },
                other => {
                    return Err(self
                        .type_err("a set", other, Some(span))
                        .context(format!("while selecting attribute '{name}'"), Some(span)))
                }
            };
            v = self.force(&next)?;
        }
        Ok(v)
    }

    fn calling(&self, def: &LambdaDef) -> String {
        match def.name {
            Some(n) => format!("while calling '{n}'"),
            None => "while calling anonymous lambda".to_string(),
        }
    }

    /// Applies a function to already-made arguments (for builtins).
    pub fn apply(&mut self, f: &Value, args: &[Thunk], span: Span) -> EvalResult<Value> {
        match args {
            [a] => return self.apply1(f, a.clone(), Some(span)),
            [a, b] => return self.call_value2(f.clone(), a.clone(), b.clone(), Some(span)),
            _ => {}
        }
        let mut v = f.clone();
        for a in args {
            v = self.call_value(v, a.clone(), Some(span))?;
        }
        Ok(v)
    }

    /// `f a` for the builtins that call a function per element (`filter`,
    /// `map`, `genList`): a plain `x: …` is entered directly, without the
    /// layers of `call_value` (most such calls are of small lambdas, where
    /// those layers cost as much as the body).
    #[inline]
    pub fn apply1(&mut self, f: &Value, a: Thunk, span: Option<Span>) -> EvalResult<Value> {
        if let Value::Lambda(c) = f {
            if matches!(c.def.param, Param::Ident) && self.profile.is_none() {
                self.enter().map_err(|mut e| {
                    e.diag.span = e.diag.span.or(span);
                    e
                })?;
                let r = match &c.def.selector {
                    Some((names, at)) => self.call_selector(a, names, *at),
                    None => {
                        let frame = self.heap.env(smallvec::smallvec![a], Some(c.env.clone()));
                        self.eval(&c.def.body, &frame)
                    }
                };
                self.leave();
                return r.map_err(|e| {
                    if e.diag.trace.len() < 32 {
                        e.context(self.calling(&c.def), Some(c.def.span))
                    } else {
                        e
                    }
                });
            }
        }
        self.call_value(f.clone(), a, span)
    }

    pub fn apply_values(&mut self, f: &Value, args: &[Value], span: Span) -> EvalResult<Value> {
        let ts: Vec<Thunk> = args.iter().map(|v| Thunk::value(v.clone())).collect();
        self.apply(f, &ts, span)
    }

    fn eval_bin(
        &mut self,
        op: BinOp,
        lhs: &ExprRef,
        rhs: &ExprRef,
        span: Span,
        env: &Env,
    ) -> EvalResult<Value> {
        if let BinOp::Add
        | BinOp::Sub
        | BinOp::Mul
        | BinOp::Lt
        | BinOp::Le
        | BinOp::Gt
        | BinOp::Ge
        | BinOp::Eq
        | BinOp::Neq = op
        {
            let a = self.eval_fast(lhs, env)?;
            let b = self.eval_fast(rhs, env)?;
            // Integer fast path: the common case of arithmetic and tests.
            if let (Value::Int(x), Value::Int(y)) = (&a, &b) {
                let (x, y) = (*x, *y);
                let r = match op {
                    BinOp::Add => x.checked_add(y).map(Value::Int),
                    BinOp::Sub => x.checked_sub(y).map(Value::Int),
                    BinOp::Mul => x.checked_mul(y).map(Value::Int),
                    BinOp::Lt => Some(Value::Bool(x < y)),
                    BinOp::Le => Some(Value::Bool(x <= y)),
                    BinOp::Gt => Some(Value::Bool(x > y)),
                    BinOp::Ge => Some(Value::Bool(x >= y)),
                    BinOp::Eq => Some(Value::Bool(x == y)),
                    _ => Some(Value::Bool(x != y)),
                };
                if let Some(r) = r {
                    return Ok(r);
                }
            }
            return self.eval_bin_values(op, a, b, span);
        }
        match op {
            BinOp::And => {
                match self.eval_fast(lhs, env)? {
                    Value::Bool(false) => return Ok(Value::Bool(false)),
                    Value::Bool(true) => {}
                    o => {
                        return Err(self
                            .type_err("a Boolean", &o, Some(span))
                            .context("in the left operand of the AND (&&) operator", Some(span)))
                    }
                }
                match self.eval_fast(rhs, env)? {
                    Value::Bool(b) => Ok(Value::Bool(b)),
                    o => Err(self
                        .type_err("a Boolean", &o, Some(span))
                        .context("in the right operand of the AND (&&) operator", Some(span))),
                }
            }
            BinOp::Or => {
                match self.eval_fast(lhs, env)? {
                    Value::Bool(true) => return Ok(Value::Bool(true)),
                    Value::Bool(false) => {}
                    o => {
                        return Err(self
                            .type_err("a Boolean", &o, Some(span))
                            .context("in the left operand of the OR (||) operator", Some(span)))
                    }
                }
                match self.eval_fast(rhs, env)? {
                    Value::Bool(b) => Ok(Value::Bool(b)),
                    o => Err(self
                        .type_err("a Boolean", &o, Some(span))
                        .context("in the right operand of the OR (||) operator", Some(span))),
                }
            }
            BinOp::Impl => {
                match self.eval_fast(lhs, env)? {
                    Value::Bool(false) => return Ok(Value::Bool(true)),
                    Value::Bool(true) => {}
                    o => {
                        return Err(self
                            .type_err("a Boolean", &o, Some(span))
                            .context("in the left operand of the IMPL (->) operator", Some(span)))
                    }
                }
                match self.eval_fast(rhs, env)? {
                    Value::Bool(b) => Ok(Value::Bool(b)),
                    o => Err(self
                        .type_err("a Boolean", &o, Some(span))
                        .context("in the right operand of the IMPL (->) operator", Some(span))),
                }
            }

            BinOp::Update => {
                let a = self.eval(lhs, env)?;
                let b = self.eval(rhs, env)?;
                match (&a, &b) {
                    (Value::Attrs(x), Value::Attrs(y)) => {
                        if y.is_empty() {
                            return Ok(a.clone());
                        }
                        if x.is_empty() {
                            return Ok(b.clone());
                        }
                        Ok(Value::attrs(x.update(y)))
                    }
                    (Value::Attrs(_), o) | (o, _) => Err(self
                        .type_err("a set", o, Some(span))
                        .context("in the operands of the update (//) operator", Some(span))),
                }
            }
            BinOp::Concat => {
                let a = self.eval(lhs, env)?;
                let b = self.eval(rhs, env)?;
                match (&a, &b) {
                    (Value::List(x), Value::List(y)) => {
                        if y.is_empty() {
                            return Ok(a.clone());
                        }
                        if x.is_empty() {
                            return Ok(b.clone());
                        }
                        let mut v = Vec::with_capacity(x.len() + y.len());
                        v.extend_from_slice(x);
                        v.extend_from_slice(y);
                        Ok(Value::list(v))
                    }
                    (Value::List(_), o) | (o, _) => {
                        Err(self.type_err("a list", o, Some(span)).context(
                            "while evaluating one of the elements to concatenate",
                            Some(span),
                        ))
                    }
                }
            }
            _ => {
                let a = self.eval(lhs, env)?;
                let b = self.eval(rhs, env)?;
                self.eval_bin_values(op, a, b, span)
            }
        }
    }

    #[inline(never)]
    pub(crate) fn eval_bin_values(
        &mut self,
        op: BinOp,
        a: Value,
        b: Value,
        span: Span,
    ) -> EvalResult<Value> {
        match op {
            BinOp::Eq | BinOp::Neq => {
                let eq = self.values_equal(&a, &b, span)?;
                Ok(Value::Bool(if op == BinOp::Eq { eq } else { !eq }))
            }
            BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge => {
                let r = match op {
                    BinOp::Lt => self.less_than(&a, &b, span)?,
                    BinOp::Gt => self.less_than(&b, &a, span)?,
                    BinOp::Le => !self.less_than(&b, &a, span)?,
                    _ => !self.less_than(&a, &b, span)?,
                };
                Ok(Value::Bool(r))
            }
            _ => self.arith(op, a, b, span),
        }
    }

    pub fn arith(&mut self, op: BinOp, a: Value, b: Value, span: Span) -> EvalResult<Value> {
        use Value::*;
        let overflow = |ev: &Self, what: &str, x: i64, y: i64| {
            ev.err(
                format!("integer overflow in {what} {x} {} {y}", sym(op)),
                Some(span),
            )
        };
        Ok(match (op, &a, &b) {
            (BinOp::Add, Int(x), Int(y)) => Int(x
                .checked_add(*y)
                .ok_or_else(|| overflow(self, "adding", *x, *y))?),
            (BinOp::Sub, Int(x), Int(y)) => Int(x
                .checked_sub(*y)
                .ok_or_else(|| overflow(self, "subtracting", *x, *y))?),
            (BinOp::Mul, Int(x), Int(y)) => Int(x
                .checked_mul(*y)
                .ok_or_else(|| overflow(self, "multiplying", *x, *y))?),
            (BinOp::Div, Int(_), Int(0)) => return Err(self.err("division by zero", Some(span))),
            (BinOp::Div, Int(x), Int(y)) => Int(x
                .checked_div(*y)
                .ok_or_else(|| overflow(self, "dividing", *x, *y))?),
            (_, Int(_) | Float(_), Int(_) | Float(_)) => {
                let x = as_f64(&a);
                let y = as_f64(&b);
                Float(match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    _ => {
                        if y == 0.0 {
                            return Err(self.err("division by zero", Some(span)));
                        }
                        x / y
                    }
                })
            }
            // Like Nix, a set (with `outPath` or `__toString`) on the left
            // makes `+` a string concatenation.
            (BinOp::Add, Path(_) | String(_) | Attrs(_), _) => {
                return self.concat_strings(&[a, b], span)
            }
            (BinOp::Add, x, y) => {
                return Err(self.err(
                    format!("cannot add {} to {}", y.type_name(), x.type_name()),
                    Some(span),
                ));
            }
            (_, Int(_) | Float(_), o) | (_, o, _) => {
                return Err(self.type_err("an integer", o, Some(span)))
            }
        })
    }

    fn eval_interp(&mut self, parts: &[ExprRef], span: Span, env: &Env) -> EvalResult<Value> {
        let mut s = String::with_capacity(32);
        let mut ctx = Context::new();
        for p in parts {
            let v = self.eval(p, env)?;
            match &v {
                Value::String(x) => {
                    s.push_str(&x.s);
                    if !x.ctx.is_empty() {
                        ctx.extend(x.ctx.iter().cloned());
                    }
                }
                _ => {
                    let (part, c) = self.coerce_to_string(
                        &v,
                        expr_span(p).unwrap_or(span),
                        super::coerce::Coerce::Interp,
                    )?;
                    s.push_str(&part);
                    ctx.extend(c);
                }
            }
        }
        Ok(NixString::with_ctx(s, ctx))
    }

    /// `+` on strings and paths: the first operand decides the result type.
    pub fn concat_strings(&mut self, vals: &[Value], span: Span) -> EvalResult<Value> {
        let first_is_path = matches!(vals.first(), Some(Value::Path(_)));
        let mut s = String::new();
        let mut ctx = Context::new();
        for (i, v) in vals.iter().enumerate() {
            match v {
                Value::String(x) => {
                    s.push_str(&x.s);
                    ctx.extend(x.ctx.iter().cloned());
                }
                Value::Path(p) if i == 0 => s.push_str(p),
                _ => {
                    let mode = if first_is_path {
                        super::coerce::Coerce::PathConcat
                    } else {
                        super::coerce::Coerce::Interp
                    };
                    let (part, c) = self.coerce_to_string(v, span, mode)?;
                    s.push_str(&part);
                    ctx.extend(c);
                }
            }
        }
        if first_is_path {
            if !ctx.is_empty() {
                return Err(self.err(
                    format!(
                        "a string that refers to a store path cannot be appended to a path ('{s}')"
                    ),
                    Some(span),
                ));
            }
            return Ok(Value::Path(super::lower::canonicalize(&s).into()));
        }
        Ok(NixString::with_ctx(s, ctx))
    }
}

fn sym(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        _ => "/",
    }
}

pub fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => 0.0,
    }
}

pub fn lambda_name(def: &LambdaDef) -> String {
    match def.name {
        Some(n) => n.to_string(),
        None => "anonymous lambda".into(),
    }
}

#[inline]
pub fn lookup(env: &Env, depth: u32, slot: u32) -> Thunk {
    let mut e = env;
    for _ in 0..depth {
        e = e.parent.as_ref().expect("variable depth within env chain");
    }
    e.slot(slot as usize)
        .expect("variable slot within its frame")
}

pub fn expr_span(e: &Expr) -> Option<Span> {
    match e {
        Expr::WithVar { span, .. }
        | Expr::Select { span, .. }
        | Expr::Apply { span, .. }
        | Expr::If { span, .. }
        | Expr::Assert { span, .. }
        | Expr::Not(_, span)
        | Expr::Neg(_, span)
        | Expr::Bin { span, .. }
        | Expr::Interp { span, .. }
        | Expr::PathInterp { span, .. }
        | Expr::SearchPath { span, .. }
        | Expr::CurPos(span) => Some(*span),
        Expr::Lambda(d) => Some(d.span),
        _ => None,
    }
}
