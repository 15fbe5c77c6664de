//! Interned attribute and variable names. A `Sym` is one pointer to the
//! interned text: equality and hashing are pointer operations and
//! `as_str` is a plain load. Names live for the process (the set of
//! distinct names is bounded by the sources).

use rustc_hash::FxHashMap;
use std::cell::RefCell;

#[derive(Clone, Copy)]
pub struct Sym(&'static &'static str);

impl PartialEq for Sym {
    #[inline]
    fn eq(&self, other: &Sym) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}
impl Eq for Sym {}

impl std::hash::Hash for Sym {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (self.0 as *const &str as usize).hash(h)
    }
}

impl std::fmt::Debug for Sym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

// SAFETY of Send/Sync: a Sym is a shared reference to immutable, leaked
// data; the process-wide table makes equal names equal pointers in every
// thread.
unsafe impl Send for Sym {}
unsafe impl Sync for Sym {}

static GLOBAL: std::sync::Mutex<Option<FxHashMap<&'static str, Sym>>> = std::sync::Mutex::new(None);

thread_local! {
    /// A per-thread cache in front of the global table.
    static LOCAL: RefCell<FxHashMap<&'static str, Sym>> = RefCell::new(FxHashMap::default());
}

impl Sym {
    pub fn new(s: &str) -> Sym {
        if let Some(sym) = LOCAL.with(|l| l.borrow().get(s).copied()) {
            return sym;
        }
        let sym = {
            let mut g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
            let map = g.get_or_insert_with(FxHashMap::default);
            match map.get(s) {
                Some(&sym) => sym,
                None => {
                    let text: &'static str = Box::leak(s.to_owned().into_boxed_str());
                    let sym = Sym(Box::leak(Box::new(text)));
                    map.insert(text, sym);
                    sym
                }
            }
        };
        LOCAL.with(|l| l.borrow_mut().insert(sym.as_str(), sym));
        sym
    }

    #[inline]
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for Sym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
