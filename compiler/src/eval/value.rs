//! Runtime values, thunks and environments.
//!
//! Values are small (16 bytes) and cheap to clone: every heap part is an
//! `Rc`. Cycles (a `rec` set whose thunks hold the environment that holds
//! them) are broken when the evaluation ends: see `EnvRegistry`.

use super::expr::{Expr, LambdaDef};
use super::symbol::Sym;
use crate::source::Span;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::{Rc, Weak};

#[derive(Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(Rc<NixString>),
    Path(Rc<str>),
    Attrs(Rc<Attrs>),
    List(Rc<Vec<Thunk>>),
    Lambda(Rc<Closure>),
    PrimOp(Rc<PrimOp>),
    PrimOpApp(Rc<PrimOpApp>),
}

/// A string with its context: the store paths it refers to, in Nix's own
/// encoding (`/nix/store/..` plain, `=/nix/store/x.drv` all outputs,
/// `!out!/nix/store/x.drv` one output).
pub struct NixString {
    pub s: String,
    pub ctx: Context,
}

pub type Context = BTreeSet<String>;

impl NixString {
    pub fn plain(s: impl Into<String>) -> Value {
        Value::String(Rc::new(NixString { s: s.into(), ctx: Context::new() }))
    }
    pub fn with_ctx(s: impl Into<String>, ctx: Context) -> Value {
        Value::String(Rc::new(NixString { s: s.into(), ctx }))
    }
}

pub struct Closure {
    pub def: Rc<LambdaDef>,
    pub env: Env,
}

pub type PrimOpFn = fn(&mut super::Evaluator, &[Thunk], Span) -> super::EvalResult<Value>;

pub struct PrimOp {
    pub name: &'static str,
    pub arity: usize,
    pub f: PrimOpFn,
}

pub struct PrimOpApp {
    pub op: Rc<PrimOp>,
    pub args: Vec<Thunk>,
}

/// One attribute: its value and where it was defined.
#[derive(Clone)]
pub struct Attr {
    pub name: Sym,
    pub value: Thunk,
    pub pos: Option<Span>,
}

/// Attributes sorted by name (the order Nix prints and iterates in).
#[derive(Clone, Default)]
pub struct Attrs {
    pub entries: Vec<Attr>,
}

impl Attrs {
    pub fn from_sorted(entries: Vec<Attr>) -> Attrs {
        Attrs { entries }
    }

    /// Sorts by name; on equal names the last one wins.
    pub fn from_unsorted(mut entries: Vec<Attr>) -> Attrs {
        entries.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        entries.dedup_by(|later, earlier| {
            if later.name == earlier.name {
                std::mem::swap(later, earlier);
                true
            } else {
                false
            }
        });
        Attrs { entries }
    }

    pub fn get(&self, name: Sym) -> Option<&Thunk> {
        self.get_attr(name).map(|a| &a.value)
    }

    pub fn get_attr(&self, name: Sym) -> Option<&Attr> {
        if self.entries.len() <= 8 {
            return self.entries.iter().find(|a| a.name == name);
        }
        let key = name.as_str();
        self.entries
            .binary_search_by(|a| a.name.as_str().cmp(key))
            .ok()
            .map(|i| &self.entries[i])
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `self // other`: a merge of two sorted runs, `other` winning.
    pub fn update(&self, other: &Attrs) -> Attrs {
        let (a, b) = (&self.entries, &other.entries);
        let mut out = Vec::with_capacity(a.len() + b.len());
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            if a[i].name == b[j].name {
                out.push(b[j].clone());
                i += 1;
                j += 1;
                continue;
            }
            match a[i].name.as_str().cmp(b[j].name.as_str()) {
                std::cmp::Ordering::Less => {
                    out.push(a[i].clone());
                    i += 1;
                }
                _ => {
                    out.push(b[j].clone());
                    j += 1;
                }
            }
        }
        out.extend_from_slice(&a[i..]);
        out.extend_from_slice(&b[j..]);
        Attrs { entries: out }
    }
}

// ---------------------------------------------------------------- thunks

pub enum ThunkState {
    Done(Value),
    /// An expression waiting for its environment to be evaluated.
    Pending(Rc<Expr>, Env),
    /// A function application made lazily by a builtin (`map`, `genList`).
    Apply(Value, Thunk),
    /// `f a b`, lazily (`mapAttrs`, `zipAttrsWith`).
    Apply2(Value, Thunk, Thunk),
    /// Select an attribute of a value lazily (`inherit (e) x`).
    Select(Thunk, Sym, Span),
    /// Being evaluated: forcing it again is infinite recursion.
    Blackhole,
}

#[derive(Clone)]
pub struct Thunk(pub Rc<ThunkCell>);

/// The cell behind a thunk. Its `Drop` keeps the native stack flat when a
/// deeply nested value is freed (a million nested lists would otherwise
/// recurse a million frames deep).
pub struct ThunkCell(RefCell<ThunkState>);

impl std::ops::Deref for ThunkCell {
    type Target = RefCell<ThunkState>;
    fn deref(&self) -> &RefCell<ThunkState> {
        &self.0
    }
}

#[allow(dead_code)] // the fields are only held to be dropped
enum Garbage {
    Value(Value),
    Env(Env),
    Thunk(Thunk),
}

thread_local! {
    static DROP_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    static DROP_QUEUE: RefCell<Vec<Garbage>> = const { RefCell::new(Vec::new()) };
}

/// Nested drops deeper than this are queued and freed iteratively.
const MAX_DROP_DEPTH: u32 = 256;

impl Drop for ThunkCell {
    fn drop(&mut self) {
        let st = std::mem::replace(self.0.get_mut(), ThunkState::Blackhole);
        let garbage: [Option<Garbage>; 2] = match st {
            ThunkState::Done(v) => [Some(Garbage::Value(v)), None],
            ThunkState::Pending(_, env) => [Some(Garbage::Env(env)), None],
            ThunkState::Apply(v, t) => [Some(Garbage::Value(v)), Some(Garbage::Thunk(t))],
            ThunkState::Apply2(v, a, b) => {
                DROP_QUEUE.with(|q| q.borrow_mut().push(Garbage::Thunk(b)));
                [Some(Garbage::Value(v)), Some(Garbage::Thunk(a))]
            }
            ThunkState::Select(t, _, _) => [Some(Garbage::Thunk(t)), None],
            ThunkState::Blackhole => [None, None],
        };
        let depth = DROP_DEPTH.with(|d| d.get());
        if depth >= MAX_DROP_DEPTH {
            DROP_QUEUE.with(|q| q.borrow_mut().extend(garbage.into_iter().flatten()));
            return;
        }
        DROP_DEPTH.with(|d| d.set(depth + 1));
        drop(garbage);
        if depth == 0 {
            // The outermost drop frees what deeper ones queued.
            while let Some(g) = DROP_QUEUE.with(|q| q.borrow_mut().pop()) {
                drop(g);
            }
        }
        DROP_DEPTH.with(|d| d.set(depth));
    }
}

impl Thunk {
    pub fn value(v: Value) -> Thunk {
        Thunk(Rc::new(ThunkCell(RefCell::new(ThunkState::Done(v)))))
    }
    pub fn pending(e: Rc<Expr>, env: Env) -> Thunk {
        Thunk(Rc::new(ThunkCell(RefCell::new(ThunkState::Pending(e, env)))))
    }
    pub fn apply(f: Value, arg: Thunk) -> Thunk {
        Thunk(Rc::new(ThunkCell(RefCell::new(ThunkState::Apply(f, arg)))))
    }
    pub fn select(from: Thunk, name: Sym, span: Span) -> Thunk {
        Thunk(Rc::new(ThunkCell(RefCell::new(ThunkState::Select(from, name, span)))))
    }
    /// The value if already computed.
    pub fn get(&self) -> Option<Value> {
        match &*self.0.borrow() {
            ThunkState::Done(v) => Some(v.clone()),
            _ => None,
        }
    }
    pub fn ptr(&self) -> usize {
        Rc::as_ptr(&self.0) as usize
    }
}

// ---------------------------------------------------------- environments

/// One lexical frame: `let` bindings, `rec` attributes, function
/// parameters, or the single namespace slot of a `with`.
pub struct EnvFrame {
    pub slots: RefCell<Vec<Thunk>>,
    pub parent: Option<Env>,
}

pub type Env = Rc<EnvFrame>;

/// Every frame and every lazily computed thunk made by one evaluation, so
/// that dropping the evaluator can clear them and free the reference cycles
/// that closures, `rec` and self-referencing data build. Values must not be
/// used after their evaluator is gone.
#[derive(Default)]
pub struct Heap {
    frames: Vec<Weak<EnvFrame>>,
    thunks: Vec<Weak<ThunkCell>>,
}

impl Heap {
    pub fn env(&mut self, slots: Vec<Thunk>, parent: Option<Env>) -> Env {
        let env = Rc::new(EnvFrame { slots: RefCell::new(slots), parent });
        compact(&mut self.frames);
        self.frames.push(Rc::downgrade(&env));
        env
    }

    pub fn thunk(&mut self, st: ThunkState) -> Thunk {
        let t = Thunk(Rc::new(ThunkCell(RefCell::new(st))));
        compact(&mut self.thunks);
        self.thunks.push(Rc::downgrade(&t.0));
        t
    }

    pub fn clear(&mut self) {
        for w in self.frames.drain(..) {
            if let Some(env) = w.upgrade() {
                let slots = std::mem::take(&mut *env.slots.borrow_mut());
                drop(slots);
            }
        }
        for w in self.thunks.drain(..) {
            if let Some(t) = w.upgrade() {
                if let Ok(mut st) = t.try_borrow_mut() {
                    let old = std::mem::replace(&mut *st, ThunkState::Blackhole);
                    drop(st);
                    drop(old);
                }
            }
        }
    }
}

/// Drops the weak handles of objects already freed before the vector
/// grows, so the registry stays proportional to the live heap.
fn compact<T>(v: &mut Vec<Weak<T>>) {
    if v.len() == v.capacity() && v.len() >= 4096 {
        v.retain(|w| w.strong_count() > 0);
        if v.capacity() < v.len() * 2 {
            v.reserve(v.len());
        }
    }
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a Boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::String(_) => "a string",
            Value::Path(_) => "a path",
            Value::Attrs(_) => "a set",
            Value::List(_) => "a list",
            Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_) => "a function",
        }
    }

    /// The name `builtins.typeOf` gives.
    pub fn type_of(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Path(_) => "path",
            Value::Attrs(_) => "set",
            Value::List(_) => "list",
            Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_) => "lambda",
        }
    }

    pub fn str(s: impl Into<String>) -> Value {
        NixString::plain(s)
    }

    pub fn list(items: Vec<Thunk>) -> Value {
        Value::List(Rc::new(items))
    }

    pub fn attrs(a: Attrs) -> Value {
        Value::Attrs(Rc::new(a))
    }

    pub fn is_function(&self) -> bool {
        matches!(self, Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_))
    }
}
