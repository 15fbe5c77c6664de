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
use std::rc::Rc;

#[derive(Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(Rc<NixString>),
    // A thin pointer: `Rc<str>` would make every value 24 bytes, not 16.
    Path(Rc<String>),
    Attrs(Rc<Attrs>),
    List(Rc<List>),
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
        Value::String(Rc::new(NixString {
            s: s.into(),
            ctx: Context::new(),
        }))
    }
    pub fn with_ctx(s: impl Into<String>, ctx: Context) -> Value {
        Value::String(Rc::new(NixString { s: s.into(), ctx }))
    }
}

pub struct Closure {
    pub def: Rc<LambdaDef>,
    pub env: Env,
    /// Made in the evaluator's first evaluation (where `lib` is made):
    /// the language server's fingerprints name such a function by
    /// identity (`eval::reuse`).
    pub first_evaluation: bool,
}

pub type PrimOpFn = fn(&mut super::Evaluator, &[Thunk], Span) -> super::EvalResult<Value>;

pub struct PrimOp {
    pub name: &'static str,
    pub arity: usize,
    pub f: PrimOpFn,
}

pub struct PrimOpApp {
    pub op: Rc<PrimOp>,
    /// The arguments given so far (fewer than the arity, at most three):
    /// inline, so a partial application is one allocation.
    pub args: smallvec::SmallVec<[Thunk; 3]>,
}

/// A list's elements. Its `Drop` (like those of `Attrs`, frames and
/// thunk cells) frees deeply nested data without deep native recursion.
pub struct List(pub Vec<Thunk>);

impl std::ops::Deref for List {
    type Target = Vec<Thunk>;
    fn deref(&self) -> &Vec<Thunk> {
        &self.0
    }
}

/// Whether dropping this reference may free a container (and so recurse).
#[inline]
fn may_nest(t: &Thunk) -> bool {
    match t {
        Thunk::Val(Value::Attrs(a)) => Rc::strong_count(a) == 1,
        Thunk::Val(Value::List(l)) => Rc::strong_count(l) == 1,
        Thunk::Val(Value::Lambda(c)) => Rc::strong_count(c) == 1,
        Thunk::Val(Value::PrimOpApp(p)) => Rc::strong_count(p) == 1,
        Thunk::Val(_) => false,
        Thunk::Lazy(c) => Rc::strong_count(c) == 1,
    }
}

impl Drop for List {
    fn drop(&mut self) {
        // No scan for nesting: a constant check of the drop depth is
        // cheaper than a pass over a long list.
        // Short lists of scalars and shared values (most of them) are
        // freed without the guard's bookkeeping.
        if !self.0.is_empty() && (self.0.len() > 8 || self.0.iter().any(may_nest)) {
            guarded_drop(Garbage::Thunks(std::mem::take(&mut self.0)));
        }
    }
}

impl Drop for Attrs {
    fn drop(&mut self) {
        if !self.entries.is_empty()
            && (self.entries.len() > 8 || self.entries.iter().any(|a| may_nest(&a.value)))
        {
            guarded_drop(Garbage::Attrs(std::mem::take(&mut self.entries)));
        }
    }
}

/// One attribute: its value and where it was defined.
#[derive(Clone)]
pub struct Attr {
    pub name: Sym,
    pub value: Thunk,
    pub pos: crate::source::Pos,
}

/// Attributes sorted by name (the order Nix prints and iterates in).
#[derive(Clone, Default)]
pub struct Attrs {
    pub entries: Vec<Attr>,
    /// Everything reachable from the set is evaluated, without error
    /// (`Evaluator::force_deep` found so): a later deep force skips it.
    /// Values never change, so this stays true.
    pub(crate) forced_deep: std::cell::Cell<bool>,
}

impl Attrs {
    pub fn from_sorted(entries: Vec<Attr>) -> Attrs {
        Attrs {
            entries,
            forced_deep: std::cell::Cell::new(false),
        }
    }

    /// Sorts by name; on equal names the last one wins.
    pub fn from_unsorted(mut entries: Vec<Attr>) -> Attrs {
        entries.sort_by(|a, b| a.name.cmp_text(b.name));
        entries.dedup_by(|later, earlier| {
            if later.name == earlier.name {
                std::mem::swap(later, earlier);
                true
            } else {
                false
            }
        });
        Attrs {
            entries,
            forced_deep: std::cell::Cell::new(false),
        }
    }

    pub fn get(&self, name: Sym) -> Option<&Thunk> {
        self.get_attr(name).map(|a| &a.value)
    }

    pub fn get_attr(&self, name: Sym) -> Option<&Attr> {
        if self.entries.len() <= 8 {
            return self.entries.iter().find(|a| a.name == name);
        }
        self.search(name).ok().map(|i| &self.entries[i])
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Position of `name` in the sorted entries, or where it would go.
    fn search(&self, name: Sym) -> Result<usize, usize> {
        self.entries.binary_search_by(|a| a.name.cmp_text(name))
    }

    /// `self // other` in place (for a set nothing else holds): each name
    /// of a small `other` is put where it belongs, no other entry copied.
    pub fn update_in_place(&mut self, other: &Attrs) {
        // New entries may not be evaluated.
        self.forced_deep.set(false);
        if other.entries.len() * 8 >= self.entries.len() {
            *self = self.update(other);
            return;
        }
        for x in &other.entries {
            match self.search(x.name) {
                Ok(i) => self.entries[i] = x.clone(),
                Err(i) => self.entries.insert(i, x.clone()),
            }
        }
    }

    /// `self // other`: a merge of two sorted runs, `other` winning.
    pub fn update(&self, other: &Attrs) -> Attrs {
        let (a, b) = (&self.entries, &other.entries);
        if b.len() * 8 < a.len() {
            // A few names into a large set: find each by binary search and
            // copy the runs between them.
            let mut out = Vec::with_capacity(a.len() + b.len());
            let mut from = 0;
            for x in b {
                match self.search(x.name) {
                    Ok(i) => {
                        out.extend_from_slice(&a[from..i]);
                        out.push(x.clone());
                        from = i + 1;
                    }
                    Err(i) => {
                        out.extend_from_slice(&a[from..i]);
                        out.push(x.clone());
                        from = i;
                    }
                }
            }
            out.extend_from_slice(&a[from..]);
            return Attrs::from_sorted(out);
        }
        let mut out = Vec::with_capacity(a.len() + b.len());
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            if a[i].name == b[j].name {
                out.push(b[j].clone());
                i += 1;
                j += 1;
                continue;
            }
            match a[i].name.cmp_text(b[j].name) {
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
        Attrs::from_sorted(out)
    }
}

// ---------------------------------------------------------------- thunks

pub enum ThunkState {
    Done(Value),
    /// An expression waiting for its environment to be evaluated.
    Pending(Rc<Expr>, Env),
    /// A function application made lazily by a builtin (`map`, `genList`).
    /// (Boxed: a cell is then 40 bytes instead of 64.)
    Apply(Box<(Value, Thunk)>),
    /// `f a b`, lazily (`mapAttrs`, `zipAttrsWith`).
    /// (Boxed: rare, and keeping cells small matters more.)
    Apply2(Box<(Value, Thunk, Thunk)>),
    /// Select an attribute of a value lazily (`inherit (e) x`).
    Select(Box<(Thunk, Sym, Span)>),
    /// Being evaluated: forcing it again is infinite recursion.
    Blackhole,
}

/// A possibly unevaluated value. Values already known are stored inline
/// (no allocation); only lazy ones get a shared, mutable cell.
#[derive(Clone)]
pub enum Thunk {
    Val(Value),
    Lazy(Rc<ThunkCell>),
}

/// The cell behind a thunk. Its `Drop` keeps the native stack flat when a
/// deeply nested value is freed (a million nested lists would otherwise
/// recurse a million frames deep).
pub struct ThunkCell {
    /// Read and replaced only through the methods below, none of which
    /// hands out a reference that outlives the call or runs evaluation
    /// while one exists: so no `RefCell` flag to check on every force,
    /// and 8 bytes less per cell.
    state: std::cell::UnsafeCell<ThunkState>,
    reg: std::cell::Cell<u64>,
}

impl ThunkCell {
    /// The value, if computed.
    #[inline]
    pub fn done(&self) -> Option<Value> {
        // SAFETY: no `&mut` to the state exists outside `replace`, which
        // does not call out while holding it.
        match unsafe { &*self.state.get() } {
            ThunkState::Done(v) => Some(v.clone()),
            _ => None,
        }
    }

    /// Whether the value is computed.
    #[inline]
    pub fn is_done(&self) -> bool {
        // SAFETY: as in `done`.
        matches!(unsafe { &*self.state.get() }, ThunkState::Done(_))
    }

    /// Puts `st` in and returns the state before (dropped by the caller,
    /// after the cell is consistent again).
    #[inline]
    pub fn replace(&self, st: ThunkState) -> ThunkState {
        // SAFETY: the only `&mut` to the state, held for the swap alone.
        unsafe { std::mem::replace(&mut *self.state.get(), st) }
    }

    /// Reads the state (for the cycle collector, which changes nothing
    /// while it reads).
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&ThunkState) -> R) -> R {
        // SAFETY: as in `done`; `f` gets no way to reach the evaluator.
        f(unsafe { &*self.state.get() })
    }
}

#[allow(dead_code)] // the fields are only held to be dropped
enum Garbage {
    Value(Value),
    Env(Env),
    Thunk(Thunk),
    Thunks(Vec<Thunk>),
    Attrs(Vec<Attr>),
    Slots(Slots),
}

/// Drops `g` at once unless drops are already nested deeply; then it is
/// queued, and the outermost drop frees the queue iteratively.
fn guarded_drop(g: Garbage) {
    let depth = DROP_DEPTH.with(|d| d.get());
    if depth >= MAX_DROP_DEPTH {
        DROP_QUEUE.with(|q| q.borrow_mut().push(g));
        return;
    }
    DROP_DEPTH.with(|d| d.set(depth + 1));
    drop(g);
    if depth == 0 {
        while let Some(g) = DROP_QUEUE.with(|q| q.borrow_mut().pop()) {
            drop(g);
        }
    }
    DROP_DEPTH.with(|d| d.set(depth));
}

thread_local! {
    static DROP_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    static DROP_QUEUE: RefCell<Vec<Garbage>> = const { RefCell::new(Vec::new()) };
}

/// Nested drops deeper than this are queued and freed iteratively.
const MAX_DROP_DEPTH: u32 = 256;

impl Drop for ThunkCell {
    fn drop(&mut self) {
        let reg = self.reg.get();
        if reg != UNREGISTERED {
            unregister(reg, false);
        }
        let st = std::mem::replace(self.state.get_mut(), ThunkState::Blackhole);
        // Scalars cannot nest: free them without the bookkeeping below.
        if let ThunkState::Done(
            Value::Null
            | Value::Bool(_)
            | Value::Int(_)
            | Value::Float(_)
            | Value::Path(_)
            | Value::String(_),
        )
        | ThunkState::Blackhole = st
        {
            return;
        }
        // Most references a cell holds are shared or scalars: dropping
        // them only decrements a count, so only those that may free a
        // container go through the guard.
        match st {
            ThunkState::Done(v) => drop_value(v),
            ThunkState::Pending(_, env) => {
                if Rc::strong_count(&env) == 1 {
                    guarded_drop(Garbage::Env(env));
                }
            }
            ThunkState::Apply(x) => {
                let (v, t) = *x;
                drop_value(v);
                drop_thunk(t);
            }
            ThunkState::Apply2(x) => {
                let (v, a, b) = *x;
                drop_value(v);
                drop_thunk(a);
                drop_thunk(b);
            }
            ThunkState::Select(x) => drop_thunk(x.0),
            ThunkState::Blackhole => {}
        }
    }
}

/// Drops `v`, through the guard only if that may free a container.
#[inline]
fn drop_value(v: Value) {
    let nests = match &v {
        Value::Attrs(a) => Rc::strong_count(a) == 1,
        Value::List(l) => Rc::strong_count(l) == 1,
        Value::Lambda(c) => Rc::strong_count(c) == 1,
        Value::PrimOpApp(p) => Rc::strong_count(p) == 1,
        _ => false,
    };
    if nests {
        guarded_drop(Garbage::Value(v));
    }
}

/// Drops `t`, through the guard only if that may free a container.
#[inline]
fn drop_thunk(t: Thunk) {
    if may_nest(&t) {
        guarded_drop(Garbage::Thunk(t));
    }
}

impl Thunk {
    #[inline]
    pub fn value(v: Value) -> Thunk {
        Thunk::Val(v)
    }
    /// A lazy cell: one whose state can be replaced later.
    pub fn cell(st: ThunkState) -> Thunk {
        Thunk::Lazy(Rc::new(ThunkCell {
            state: std::cell::UnsafeCell::new(st),
            reg: std::cell::Cell::new(UNREGISTERED),
        }))
    }
    /// The value if already computed.
    #[inline]
    pub fn get(&self) -> Option<Value> {
        match self {
            Thunk::Val(v) => Some(v.clone()),
            Thunk::Lazy(c) => c.done(),
        }
    }
    /// An identity for «repeated» detection and sharing checks: the cell,
    /// or for an inline value its heap part (0 for scalars).
    pub fn ptr(&self) -> usize {
        match self {
            Thunk::Lazy(c) => Rc::as_ptr(c) as usize,
            Thunk::Val(Value::Attrs(a)) => Rc::as_ptr(a) as usize,
            Thunk::Val(Value::List(l)) => Rc::as_ptr(l) as usize,
            Thunk::Val(Value::Lambda(f)) => Rc::as_ptr(f) as usize,
            Thunk::Val(_) => 0,
        }
    }
}

// ---------------------------------------------------------- environments

/// Frame slots: most frames hold one to three (a parameter, a few `let`s).
pub type Slots = smallvec::SmallVec<[Thunk; 3]>;

/// One lexical frame: `let` bindings, `rec` attributes, function
/// parameters, or the single namespace slot of a `with`.
pub struct EnvFrame {
    /// Accessed only through the methods below (see `ThunkCell::state`).
    slots: std::cell::UnsafeCell<Slots>,
    pub parent: Option<Env>,
    reg: std::cell::Cell<u64>,
}

pub type Env = Rc<EnvFrame>;

const UNREGISTERED: u64 = u64::MAX;

/// Objects that can be part of a reference cycle, so that the end of an
/// evaluation can break the cycles and free them:
/// - frames whose own slots refer back to them (`let`, `rec`, defaults);
/// - thunks whose computed value is a container (a value can only hold
///   its own thunk if it was computed after the thunk existed).
///
/// Entries are removed when the object is freed, so memory is reused at
/// once; a registered object costs one slot here. Each evaluator has a
/// registry of its own (a thread may hold several evaluators, such as a
/// long-lived one for lints beside one per configuration); objects go to
/// the registry of the evaluator created last that is still alive, and
/// record which one (its id in the high half of `reg`).
struct Registry {
    id: u32,
    thunks: Vec<*const ThunkCell>,
    free_thunks: Vec<u32>,
    envs: Vec<*const EnvFrame>,
    free_envs: Vec<u32>,
    /// Run the cycle collector when this many objects are registered.
    next_collection: usize,
}

impl Registry {
    fn new(id: u32) -> Registry {
        Registry {
            id,
            thunks: Vec::new(),
            free_thunks: Vec::new(),
            envs: Vec::new(),
            free_envs: Vec::new(),
            next_collection: MIN_COLLECTION,
        }
    }

    fn live(&self) -> usize {
        self.thunks.len() - self.free_thunks.len() + self.envs.len() - self.free_envs.len()
    }
}

thread_local! {
    /// The registries of the live evaluators of this thread, oldest first.
    static REGISTRIES: RefCell<Vec<Registry>> = const { RefCell::new(Vec::new()) };
    static NEXT_REGISTRY: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

fn encode(id: u32, index: u32) -> u64 {
    ((id as u64) << 32) | index as u64
}

/// Registered objects of the current evaluator (for the cycle collector).
pub(crate) fn registered() -> (Vec<*const ThunkCell>, Vec<*const EnvFrame>) {
    REGISTRIES.with(|r| {
        let r = r.borrow();
        let Some(r) = r.last() else {
            return (Vec::new(), Vec::new());
        };
        (
            r.thunks.iter().copied().filter(|p| !p.is_null()).collect(),
            r.envs.iter().copied().filter(|p| !p.is_null()).collect(),
        )
    })
}

/// Runs the cycle collector when the registry has doubled since the last
/// run (and holds enough to be worth it).
#[inline]
fn maybe_collect() {
    if collector_enabled() {
        collect_if_due();
    }
}

#[cold]
#[inline(never)]
fn collect_if_due() {
    let due = REGISTRIES.with(|r| {
        r.borrow()
            .last()
            .is_some_and(|r| r.live() > r.next_collection)
    });
    if due {
        let n = super::cycles::collect();
        if std::env::var_os("NIXCFG_GC_STATS").is_some() {
            eprintln!("cycle collection: {n} frames and cells cleared");
        }
        REGISTRIES.with(|r| {
            if let Some(r) = r.borrow_mut().last_mut() {
                r.next_collection = (r.live() * 2).max(MIN_COLLECTION);
            }
        });
    }
}

/// The collector is opt-in (`NIXCFG_CYCLE_COLLECTOR=1`) until it pays for
/// itself: on the module benchmark it freed garbage but doubled the time.
/// (Read on every registration: a plain atomic, not a lazy thread-local.)
#[inline]
fn collector_enabled() -> bool {
    use std::sync::atomic::{AtomicU8, Ordering};
    static ON: AtomicU8 = AtomicU8::new(0);
    match ON.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            let on = std::env::var_os("NIXCFG_CYCLE_COLLECTOR").is_some_and(|v| v == "1");
            ON.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
    }
}

/// Registered objects below which the collector does not run.
const MIN_COLLECTION: usize = 200_000;

fn register<T>(list: &mut Vec<*const T>, free: &mut Vec<u32>, p: *const T) -> u32 {
    match free.pop() {
        Some(i) => {
            list[i as usize] = p;
            i
        }
        None => {
            list.push(p);
            list.len() as u32 - 1
        }
    }
}

/// Registers a thunk cell (`env` false) or a frame with the current
/// evaluator; `UNREGISTERED` if there is none.
fn register_object(p: *const (), env: bool) -> u64 {
    REGISTRIES.with(|r| {
        let mut r = r.borrow_mut();
        let Some(r) = r.last_mut() else {
            return UNREGISTERED;
        };
        let index = if env {
            register(&mut r.envs, &mut r.free_envs, p as *const EnvFrame)
        } else {
            register(&mut r.thunks, &mut r.free_thunks, p as *const ThunkCell)
        };
        encode(r.id, index)
    })
}

/// Frees the registry slot `reg` (of a thunk cell, or of a frame).
fn unregister(reg: u64, env: bool) {
    let (id, i) = ((reg >> 32) as u32, reg as u32);
    let _ = REGISTRIES.try_with(|r| {
        let Ok(mut r) = r.try_borrow_mut() else {
            return;
        };
        let Some(r) = r.iter_mut().rev().find(|r| r.id == id) else {
            return;
        };
        let (list, free) = if env {
            (&mut r.envs as &mut dyn SlotList, &mut r.free_envs)
        } else {
            (&mut r.thunks as &mut dyn SlotList, &mut r.free_thunks)
        };
        if list.clear_slot(i as usize) {
            free.push(i);
        }
    });
}

/// Nulls one entry of a registry list.
trait SlotList {
    fn clear_slot(&mut self, i: usize) -> bool;
}

impl<T> SlotList for Vec<*const T> {
    fn clear_slot(&mut self, i: usize) -> bool {
        match self.get_mut(i) {
            Some(slot) if !slot.is_null() => {
                *slot = std::ptr::null();
                true
            }
            _ => false,
        }
    }
}

impl Thunk {
    /// Registers a thunk whose value may contain the thunk itself.
    pub fn register(&self) {
        let Thunk::Lazy(c) = self else { return };
        if c.reg.get() != UNREGISTERED {
            return;
        }
        c.reg
            .set(register_object(Rc::as_ptr(c) as *const (), false));
        maybe_collect();
    }
}

impl EnvFrame {
    /// Reads the slots; `f` must not evaluate (it gets no evaluator).
    #[inline]
    pub fn with_slots<R>(&self, f: impl FnOnce(&Slots) -> R) -> R {
        // SAFETY: no `&mut` to the slots exists outside `set_slots` and
        // `set_slot`, which do not call out while holding it.
        f(unsafe { &*self.slots.get() })
    }

    /// Slot `i`, if the frame has it.
    #[inline]
    pub fn slot(&self, i: usize) -> Option<Thunk> {
        self.with_slots(|s| s.get(i).cloned())
    }

    /// Fills a frame made empty (its slots may refer back to it).
    pub fn set_slots(&self, slots: Slots) {
        // SAFETY: the only `&mut`, held for the swap alone; the old slots
        // are dropped after it.
        let old = unsafe { std::mem::replace(&mut *self.slots.get(), slots) };
        drop(old);
    }

    /// Empties the frame, returning what it held.
    pub(crate) fn take_slots(&self) -> Slots {
        // SAFETY: as in `set_slots`.
        unsafe { std::mem::take(&mut *self.slots.get()) }
    }

    /// Replaces slot `i` (`__overrides`).
    pub fn set_slot(&self, i: usize, t: Thunk) {
        // SAFETY: as in `set_slots`.
        let slots = unsafe { &mut *self.slots.get() };
        let old = slots.get_mut(i).map(|s| std::mem::replace(s, t));
        drop(old);
    }
}

impl Drop for EnvFrame {
    fn drop(&mut self) {
        if self.slots.get_mut().iter().any(may_nest) {
            let slots = std::mem::take(self.slots.get_mut());
            guarded_drop(Garbage::Slots(slots));
        }
        let reg = self.reg.get();
        if reg != UNREGISTERED {
            unregister(reg, true);
        }
    }
}

/// The evaluator's handle on its registry.
pub struct Heap {
    id: u32,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Default for Heap {
    fn default() -> Self {
        let id = NEXT_REGISTRY.with(|n| {
            let id = n.get();
            n.set(id.wrapping_add(1));
            id
        });
        REGISTRIES.with(|r| r.borrow_mut().push(Registry::new(id)));
        Heap {
            id,
            _not_send: std::marker::PhantomData,
        }
    }
}

impl Heap {
    /// A frame that cannot be part of a cycle (function arguments, `with`).
    #[inline]
    pub fn env(&mut self, slots: Slots, parent: Option<Env>) -> Env {
        Rc::new(EnvFrame {
            slots: std::cell::UnsafeCell::new(slots),
            parent,
            reg: std::cell::Cell::new(UNREGISTERED),
        })
    }

    /// A frame whose slots may refer back to it (`let`, `rec`, defaults).
    pub fn rec_env(&mut self, slots: Slots, parent: Option<Env>) -> Env {
        let env = self.env(slots, parent);
        env.reg
            .set(register_object(Rc::as_ptr(&env) as *const (), true));
        maybe_collect();
        env
    }

    #[inline]
    pub fn thunk(&mut self, st: ThunkState) -> Thunk {
        Thunk::cell(st)
    }

    /// Makes this evaluator's registry the one new objects go to: an
    /// evaluator kept between evaluations (the language server's) runs
    /// again after others were created on the thread.
    pub fn make_current(&self) {
        REGISTRIES.with(|r| {
            let mut r = r.borrow_mut();
            if let Some(i) = r.iter().position(|x| x.id == self.id) {
                let reg = r.remove(i);
                r.push(reg);
            }
        });
    }

    /// Registered objects alive (a measure of what cycles may hold).
    pub fn live_objects(&self) -> usize {
        REGISTRIES.with(|r| {
            r.borrow()
                .iter()
                .find(|x| x.id == self.id)
                .map_or(0, Registry::live)
        })
    }

    /// Breaks every cycle of this evaluator's objects (when it ends).
    /// Values of the evaluation must not be used afterwards. The work is
    /// done in batches, waiting between them while `pause` is set (a large
    /// heap takes seconds to free: the language server frees one in the
    /// background).
    pub fn clear(&mut self, pause: Option<&std::sync::atomic::AtomicBool>) {
        let registry = REGISTRIES.with(|r| {
            let mut r = r.borrow_mut();
            let i = r.iter().position(|x| x.id == self.id)?;
            Some(r.remove(i))
        });
        let Some(registry) = registry else { return };
        // One pass over the objects, each read once (a cache miss each on
        // a heap of GiBs): unregistered and emptied. Nothing is freed
        // before every one is emptied: what they held is moved into
        // `states` and `slots`, dropped only afterwards.
        let mut states: Vec<ThunkState> = Vec::with_capacity(registry.thunks.len());
        for (i, &p) in registry.thunks.iter().enumerate() {
            if p.is_null() {
                continue;
            }
            // SAFETY: registered objects unregister themselves when
            // freed, so a non-null entry points to a live cell; and
            // nothing has been freed since the registry was taken.
            let c = unsafe { &*p };
            c.reg.set(UNREGISTERED);
            states.push(c.replace(ThunkState::Blackhole));
            wait_every(i, pause);
        }
        let mut slots: Vec<Slots> = Vec::with_capacity(registry.envs.len());
        for (i, &p) in registry.envs.iter().enumerate() {
            if p.is_null() {
                continue;
            }
            // SAFETY: as above.
            let e = unsafe { &*p };
            e.reg.set(UNREGISTERED);
            slots.push(e.take_slots());
            wait_every(i, pause);
        }
        match pause {
            None => {
                drop(states);
                drop(slots);
            }
            Some(p) => {
                drop_in_batches(states, p);
                drop_in_batches(slots, p);
            }
        }
    }
}

/// Strong handles on objects known by pointer, so that none can be freed
/// while others are emptied.
///
/// # Safety
/// Every pointer must come from `Rc::as_ptr` of an object still alive.
pub(crate) unsafe fn hold<T>(ptrs: impl IntoIterator<Item = *const T>) -> Vec<Rc<T>> {
    ptrs.into_iter()
        .map(|p| unsafe {
            Rc::increment_strong_count(p);
            Rc::from_raw(p)
        })
        .collect()
}

/// Empties cells and frames, which breaks every cycle through them; what
/// they held is dropped only after all are emptied.
pub(crate) fn empty(cells: &[Rc<ThunkCell>], envs: &[Env]) {
    let mut states: Vec<ThunkState> = Vec::with_capacity(cells.len());
    for c in cells {
        states.push(c.replace(ThunkState::Blackhole));
    }
    let mut slots: Vec<Slots> = Vec::with_capacity(envs.len());
    for e in envs {
        slots.push(e.take_slots());
    }
    drop(states);
    drop(slots);
}

/// Objects handled between two looks at a pause flag.
const BATCH: usize = 20_000;

/// At every `BATCH`th item, waits while `pause` is set.
#[inline]
fn wait_every(i: usize, pause: Option<&std::sync::atomic::AtomicBool>) {
    if i.is_multiple_of(BATCH) {
        if let Some(p) = pause {
            while p.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    }
}

/// Drops `v` from its end, a batch at a time, waiting while `pause` is set.
fn drop_in_batches<T>(mut v: Vec<T>, pause: &std::sync::atomic::AtomicBool) {
    while !v.is_empty() {
        wait_every(0, Some(pause));
        v.truncate(v.len().saturating_sub(BATCH));
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
        Value::List(Rc::new(List(items)))
    }

    pub fn attrs(a: Attrs) -> Value {
        Value::Attrs(Rc::new(a))
    }

    pub fn is_function(&self) -> bool {
        matches!(
            self,
            Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_)
        )
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// Every lazy value is one of these: keep them small.
    #[test]
    fn cells_and_frames_stay_small() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<Thunk>(), 16);
        assert_eq!(std::mem::size_of::<ThunkCell>(), 32);
        assert_eq!(std::mem::size_of::<Attr>(), 32);
        assert_eq!(std::mem::size_of::<EnvFrame>(), 72);
        // Returned in two registers.
        assert_eq!(std::mem::size_of::<crate::eval::EvalResult<Value>>(), 16);
    }
}

/// Appends the decimal digits of `i` to `out` (`i.to_string()` goes
/// through the formatting machinery: five times the instructions, and an
/// allocation; integers are printed in every `toString` and `toJSON`).
pub fn push_int(out: &mut String, i: i64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut n = i.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push('-');
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or_default());
}

#[cfg(test)]
mod push_int_tests {
    #[test]
    fn digits_as_to_string() {
        for i in [0, 7, -7, 10, 1234567890, i64::MIN, i64::MAX, -1, 100] {
            let mut s = String::from("x");
            super::push_int(&mut s, i);
            assert_eq!(s, format!("x{i}"));
        }
    }
}
