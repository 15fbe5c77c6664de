//! The lowered binding values of a file's last lowering, taken again by
//! the next lowering of the file (the language server's kept evaluator
//! lowers the whole edited file after each edit: 17 ms for the
//! benchmark's 3,000 lines, most of it allocating a new tree).
//!
//! A value is taken again when its syntax is the same node (an edit
//! parsed again shares the unchanged nodes, `syntax::reparse`), it is
//! lowered in the same scopes, and it starts at the same line and column
//! after the same text on its line. Its spans still name the file of the
//! lowering that made it: that file's text has the same lines where the
//! spans are (line, column and the text before them), which is all
//! positions are made of (as for an instance reused from the evaluation
//! before, see `reuse`).

use super::expr::ExprRef;
use super::lower::Lints;
use super::symbol::Sym;
use rustc_hash::FxHashMap;

/// Values smaller than this (in bytes of text) are lowered again: the
/// lookup would cost about as much.
pub(crate) const MIN_TEXT: u32 = 48;

/// Per file name, the values of its last lowering.
#[derive(Default)]
pub struct LowerCache {
    files: FxHashMap<String, FileCache>,
}

#[derive(Default)]
pub(crate) struct FileCache {
    /// What lowering depends on besides the syntax and the scopes.
    settings: Option<(Lints, Option<String>)>,
    entries: FxHashMap<CacheKey, Entry>,
}

#[derive(Clone, Copy, Hash, PartialEq, Eq)]
pub(crate) struct CacheKey {
    /// The syntax node's green node (pinned by the entry).
    pub green: usize,
    /// The binding's name (a function is named by it, for traces).
    pub name: Sym,
    pub line: u32,
    pub col: u32,
    /// The scopes it is lowered in (`Lowerer::scope_stamp`).
    pub scopes: u64,
}

struct Entry {
    _green: rowan::GreenNode,
    /// The text of its first line before it.
    prefix: Box<str>,
    expr: ExprRef,
}

impl LowerCache {
    /// The cache of file `name` for a lowering with these settings (the
    /// file's entries are taken out; `put` puts back what the lowering
    /// used or made).
    pub(crate) fn take(&mut self, name: &str, lints: Lints, home: &Option<String>) -> FileCache {
        let mut c = self.files.remove(name).unwrap_or_default();
        if c.settings.as_ref() != Some(&(lints, home.clone())) {
            c = FileCache {
                settings: Some((lints, home.clone())),
                entries: FxHashMap::default(),
            };
        }
        c
    }

    pub(crate) fn put(&mut self, name: String, c: FileCache) {
        self.files.insert(name, c);
    }
}

/// One lowering's use of a file's cache: the entries of the last lowering,
/// and those this one keeps for the next.
pub(crate) struct Lowering {
    last: FileCache,
    next: FxHashMap<CacheKey, Entry>,
    /// Byte offsets where the text's lines start.
    line_starts: Vec<u32>,
}

impl Lowering {
    pub(crate) fn new(last: FileCache, text: &str) -> Lowering {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        let next = FxHashMap::with_capacity_and_hasher(last.entries.len(), Default::default());
        Lowering {
            last,
            next,
            line_starts,
        }
    }

    /// Line and column (0-based, in bytes) of `offset`.
    pub(crate) fn line_col(&self, offset: u32) -> (u32, u32) {
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        (line as u32, offset - self.line_starts[line])
    }

    /// The value lowered last at `key`, if its line starts with `prefix`
    /// then too.
    pub(crate) fn get(&mut self, key: CacheKey, prefix: &str) -> Option<ExprRef> {
        let e = self.last.entries.remove(&key)?;
        if &*e.prefix != prefix {
            return None;
        }
        let expr = e.expr.clone();
        self.next.insert(key, e);
        Some(expr)
    }

    pub(crate) fn insert(
        &mut self,
        key: CacheKey,
        green: rowan::GreenNode,
        prefix: &str,
        expr: ExprRef,
    ) {
        let entry = Entry {
            _green: green,
            prefix: prefix.into(),
            expr,
        };
        self.next.insert(key, entry);
    }

    /// What the next lowering of the file may take.
    pub(crate) fn finish(self) -> FileCache {
        FileCache {
            settings: self.last.settings,
            entries: self.next,
        }
    }
}
