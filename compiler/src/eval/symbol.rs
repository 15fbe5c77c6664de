//! Interned attribute and variable names. A `Sym` is one pointer to the
//! interned text: equality and hashing are pointer operations and
//! `as_str` is a plain load. Names live for the process (the set of
//! distinct names is bounded by the sources).

use rustc_hash::FxHashMap;
use std::cell::RefCell;

#[derive(Clone, Copy)]
pub struct Sym(&'static SymData);

/// An interned name: its text, and its first eight bytes as a big-endian
/// number, so that most comparisons in name order are one integer
/// comparison (sets are kept sorted by name).
pub struct SymData {
    prefix: u64,
    text: &'static str,
}

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
        (self.0 as *const SymData as usize).hash(h)
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
                    let mut bytes = [0u8; 8];
                    let n = text.len().min(8);
                    bytes[..n].copy_from_slice(&text.as_bytes()[..n]);
                    let prefix = u64::from_be_bytes(bytes);
                    let sym = Sym(Box::leak(Box::new(SymData { prefix, text })));
                    map.insert(text, sym);
                    sym
                }
            }
        };
        LOCAL.with(|l| l.borrow_mut().insert(sym.as_str(), sym));
        sym
    }

    #[inline]
    /// The interned name's address: the same for equal names.
    pub(crate) fn addr(self) -> usize {
        self.0 as *const SymData as usize
    }

    pub fn as_str(self) -> &'static str {
        self.0.text
    }

    /// The order of the names' texts (byte-wise, as Nix sorts names).
    #[inline]
    pub fn cmp_text(self, other: Sym) -> std::cmp::Ordering {
        if std::ptr::eq(self.0, other.0) {
            return std::cmp::Ordering::Equal;
        }
        // Equal prefixes (or a name that is a prefix of the other's first
        // eight bytes, padded with zeros) need the texts.
        match self.0.prefix.cmp(&other.0.prefix) {
            std::cmp::Ordering::Equal => self.0.text.cmp(other.0.text),
            o => o,
        }
    }
}

impl std::fmt::Display for Sym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
