//! Freeing garbage cycles during an evaluation.
//!
//! Reference counting frees most values at once, but a cycle (a `rec` set,
//! a fixpoint, a closure kept in its own frame) stays allocated after the
//! last outside reference is gone. Every such cycle passes through a
//! registered object (see `value::Heap`), so from the registry this
//! collector finds the objects reachable from it, counts the references
//! among them, and keeps what something outside (the Rust stack, or an
//! unregistered value) still holds. The rest is garbage: its frames and
//! cells are cleared, which frees it. This is trial deletion (Bacon and
//! Rajan), done synchronously when the registry has doubled.

use super::value::*;
use rustc_hash::FxHashMap;
use std::mem::ManuallyDrop;
use std::rc::Rc;

#[derive(Clone, Copy)]
enum Obj {
    Cell(*const ThunkCell),
    Env(*const EnvFrame),
    Attrs(*const Attrs),
    List(*const List),
    Closure(*const Closure),
    App(*const PrimOpApp),
}

impl Obj {
    fn key(self) -> usize {
        match self {
            Obj::Cell(p) => p as usize,
            Obj::Env(p) => p as usize,
            Obj::Attrs(p) => p as usize,
            Obj::List(p) => p as usize,
            Obj::Closure(p) => p as usize,
            Obj::App(p) => p as usize,
        }
    }
}

/// The strong count of a live `Rc` known by its pointer, unchanged.
unsafe fn strong<T>(p: *const T) -> usize {
    // SAFETY (caller): `p` came from `Rc::as_ptr` of a live Rc.
    let rc = ManuallyDrop::new(unsafe { Rc::from_raw(p) });
    Rc::strong_count(&rc)
}

struct Node {
    obj: Obj,
    outside: usize,
    live: bool,
}

fn value_children(v: &Value, out: &mut Vec<Obj>) {
    match v {
        Value::Attrs(a) => out.push(Obj::Attrs(Rc::as_ptr(a))),
        Value::List(l) => out.push(Obj::List(Rc::as_ptr(l))),
        Value::Lambda(c) => out.push(Obj::Closure(Rc::as_ptr(c))),
        Value::PrimOpApp(p) => out.push(Obj::App(Rc::as_ptr(p))),
        _ => {}
    }
}

fn thunk_children(t: &Thunk, out: &mut Vec<Obj>) {
    match t {
        Thunk::Lazy(c) => out.push(Obj::Cell(Rc::as_ptr(c))),
        Thunk::Val(v) => value_children(v, out),
    }
}

/// The objects `o` refers to; `None` when it cannot be inspected now (a
/// cell or frame borrowed up the stack), which keeps it alive.
unsafe fn children(o: Obj, out: &mut Vec<Obj>) -> bool {
    // SAFETY (caller): every pointer is of a live object; nothing is
    // freed while the graph is read.
    unsafe {
        match o {
            Obj::Cell(p) => (*p).with_state(|st| match st {
                ThunkState::Done(v) => value_children(v, out),
                ThunkState::Pending(_, env) => out.push(Obj::Env(Rc::as_ptr(env))),
                ThunkState::Apply(x) => {
                    value_children(&x.0, out);
                    thunk_children(&x.1, out);
                }
                ThunkState::Apply2(x) => {
                    value_children(&x.0, out);
                    thunk_children(&x.1, out);
                    thunk_children(&x.2, out);
                }
                ThunkState::Select(x) => thunk_children(&x.0, out),
                ThunkState::Blackhole => {}
            }),
            Obj::Env(p) => {
                (*p).with_slots(|slots| {
                    for t in slots.iter() {
                        thunk_children(t, out);
                    }
                });
                if let Some(parent) = &(*p).parent {
                    out.push(Obj::Env(Rc::as_ptr(parent)));
                }
            }
            Obj::Attrs(p) => {
                for a in (*p).entries.iter() {
                    thunk_children(&a.value, out);
                }
            }
            Obj::List(p) => {
                for t in (*p).iter() {
                    thunk_children(t, out);
                }
            }
            Obj::Closure(p) => out.push(Obj::Env(Rc::as_ptr(&(*p).env))),
            Obj::App(p) => {
                for t in (*p).args.iter() {
                    thunk_children(t, out);
                }
            }
        }
    }
    true
}

unsafe fn count(o: Obj) -> usize {
    unsafe {
        match o {
            Obj::Cell(p) => strong(p),
            Obj::Env(p) => strong(p),
            Obj::Attrs(p) => strong(p),
            Obj::List(p) => strong(p),
            Obj::Closure(p) => strong(p),
            Obj::App(p) => strong(p),
        }
    }
}

/// Frees the garbage cycles reachable from the registry; returns how many
/// frames and cells it cleared.
pub fn collect() -> usize {
    let (cells, envs) = registered();
    let mut nodes: FxHashMap<usize, Node> = FxHashMap::default();
    let mut work: Vec<Obj> = Vec::new();
    let mut kids = Vec::new();
    let roots = cells
        .iter()
        .map(|&p| Obj::Cell(p))
        .chain(envs.iter().map(|&p| Obj::Env(p)));
    for o in roots {
        if let std::collections::hash_map::Entry::Vacant(e) = nodes.entry(o.key()) {
            // SAFETY: registered objects are alive (they unregister on drop).
            e.insert(Node {
                obj: o,
                outside: unsafe { count(o) },
                live: false,
            });
            work.push(o);
        }
    }
    // Count the references among the objects reached: each one found
    // inside the graph is one less from outside.
    while let Some(o) = work.pop() {
        kids.clear();
        // SAFETY: `o` is alive: reached from a live object, nothing freed.
        if !unsafe { children(o, &mut kids) } {
            nodes.get_mut(&o.key()).expect("visited").live = true;
            continue;
        }
        for &k in &kids {
            let n = nodes.entry(k.key()).or_insert_with(|| {
                work.push(k);
                // SAFETY: as above.
                Node {
                    obj: k,
                    outside: unsafe { count(k) },
                    live: false,
                }
            });
            n.outside = n.outside.saturating_sub(1);
        }
    }
    // What is still held from outside is live, with all it reaches.
    let mut live: Vec<Obj> = nodes
        .values()
        .filter(|n| n.outside > 0 || n.live)
        .map(|n| n.obj)
        .collect();
    for o in &live {
        nodes.get_mut(&o.key()).expect("visited").live = true;
    }
    while let Some(o) = live.pop() {
        kids.clear();
        // SAFETY: as above.
        unsafe { children(o, &mut kids) };
        for &k in &kids {
            if let Some(n) = nodes.get_mut(&k.key()) {
                if !n.live {
                    n.live = true;
                    live.push(k);
                }
            }
        }
    }
    // Garbage: hold it while its frames and cells are emptied, then let go.
    let garbage = nodes.values().filter(|n| !n.live);
    let cells: Vec<*const ThunkCell> = garbage
        .clone()
        .filter_map(|n| {
            if let Obj::Cell(p) = n.obj {
                Some(p)
            } else {
                None
            }
        })
        .collect();
    let envs: Vec<*const EnvFrame> = garbage
        .filter_map(|n| {
            if let Obj::Env(p) = n.obj {
                Some(p)
            } else {
                None
            }
        })
        .collect();
    drop(nodes);
    // SAFETY: all alive: nothing has been freed since they were reached.
    let (cells, envs) = unsafe { (hold(cells), hold(envs)) };
    let cleared = cells.len() + envs.len();
    empty(&cells, &envs);
    drop(cells);
    drop(envs);
    cleared
}
