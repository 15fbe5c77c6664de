//! Interned attribute and variable names. A `Sym` is a `u32`; the table
//! lives for the thread (names are few and shared by every evaluation).

use rustc_hash::FxHashMap;
use std::cell::RefCell;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Sym(pub u32);

#[derive(Default)]
struct Interner {
    map: FxHashMap<&'static str, Sym>,
    names: Vec<&'static str>,
}

thread_local! {
    static INTERNER: RefCell<Interner> = RefCell::new(Interner::default());
}

impl Sym {
    pub fn new(s: &str) -> Sym {
        INTERNER.with(|i| {
            let mut i = i.borrow_mut();
            if let Some(&sym) = i.map.get(s) {
                return sym;
            }
            // Names are leaked on purpose: the set of distinct names is
            // bounded by the sources, and `&'static str` makes lookups free.
            let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
            let sym = Sym(i.names.len() as u32);
            i.names.push(leaked);
            i.map.insert(leaked, sym);
            sym
        })
    }

    pub fn as_str(self) -> &'static str {
        INTERNER.with(|i| i.borrow().names[self.0 as usize])
    }
}

impl std::fmt::Display for Sym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
