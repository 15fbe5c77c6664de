//! Builtins, one file per family. `install` builds the `builtins` set and
//! the base environment (the names visible without `builtins.`).

pub mod attrs;
pub mod context;
pub mod control;
pub mod derivation;
pub mod docs;
pub mod flakeref;
pub mod hash;
pub mod io;
pub mod json;
pub mod lists;
pub mod numbers;
pub mod regex;
pub mod strings;
pub mod toml;
pub mod types;
pub mod xml;

use super::error::EvalResult;
use super::symbol::Sym;
use super::value::List;
use super::value::*;
use super::Evaluator;
use crate::source::{Pos, Span};
use std::rc::Rc;

/// One builtin: its name, arity and implementation.
pub struct Builtin {
    pub name: &'static str,
    pub arity: usize,
    pub f: PrimOpFn,
}

pub const fn b(name: &'static str, arity: usize, f: PrimOpFn) -> Builtin {
    Builtin { name, arity, f }
}

/// Names visible in the base environment without the `builtins.` prefix.
pub const GLOBAL: &[&str] = &[
    "abort",
    "baseNameOf",
    "break",
    "derivation",
    "derivationStrict",
    "dirOf",
    "fetchGit",
    "fetchMercurial",
    "fetchTarball",
    "fetchTree",
    "fetchurl",
    "fromTOML",
    "import",
    "isNull",
    "map",
    "placeholder",
    "removeAttrs",
    "scopedImport",
    "throw",
    "toString",
];

pub fn install(ev: &mut Evaluator) {
    let mut all: Vec<Builtin> = Vec::new();
    all.extend(attrs::BUILTINS.iter().map(copy));
    all.extend(control::BUILTINS.iter().map(copy));
    all.extend(context::BUILTINS.iter().map(copy));
    all.extend(derivation::BUILTINS.iter().map(copy));
    all.extend(hash::BUILTINS.iter().map(copy));
    all.extend(flakeref::BUILTINS.iter().map(copy));
    all.extend(io::BUILTINS.iter().map(copy));
    all.extend(json::BUILTINS.iter().map(copy));
    all.extend(lists::BUILTINS.iter().map(copy));
    all.extend(numbers::BUILTINS.iter().map(copy));
    all.extend(regex::BUILTINS.iter().map(copy));
    all.extend(strings::BUILTINS.iter().map(copy));
    all.extend(toml::BUILTINS.iter().map(copy));
    all.extend(types::BUILTINS.iter().map(copy));
    all.extend(xml::BUILTINS.iter().map(copy));

    let mut entries: Vec<Attr> = Vec::new();
    for bi in &all {
        let v = Value::PrimOp(Rc::new(PrimOp {
            name: bi.name,
            arity: bi.arity,
            f: bi.f,
        }));
        // `derivation` is replaced by its Nix wrapper once the base
        // environment exists, so it lives in a cell.
        let t = if bi.name == "derivation" {
            Thunk::cell(ThunkState::Done(v))
        } else {
            Thunk::value(v)
        };
        entries.push(Attr {
            name: Sym::new(bi.name),
            value: t,
            pos: Pos::NONE,
        });
    }
    // Constants.
    let consts: Vec<(&str, Value)> = vec![
        ("true", Value::Bool(true)),
        ("false", Value::Bool(false)),
        ("null", Value::Null),
        ("currentSystem", Value::str(current_system())),
        ("nixVersion", Value::str("2.18.0")),
        ("langVersion", Value::Int(6)),
        ("storeDir", Value::str(ev.opts.store_dir.clone())),
        (
            "currentTime",
            Value::Int(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0),
            ),
        ),
    ];
    for (n, v) in consts {
        entries.push(Attr {
            name: Sym::new(n),
            value: Thunk::value(v),
            pos: Pos::NONE,
        });
    }
    let nix_path = io::nix_path_value(ev);
    entries.push(Attr {
        name: Sym::new("nixPath"),
        value: Thunk::value(nix_path),
        pos: Pos::NONE,
    });
    // `derivation` is the Nix-level wrapper around `derivationStrict`.
    let builtins_thunk = Thunk::cell(ThunkState::Blackhole);
    entries.push(Attr {
        name: Sym::new("builtins"),
        value: builtins_thunk.clone(),
        pos: Pos::NONE,
    });
    let attrs = Rc::new(Attrs::from_unsorted(entries));
    if let Thunk::Lazy(c) = &builtins_thunk {
        c.replace(ThunkState::Done(Value::Attrs(attrs.clone())));
        // `builtins.builtins` is a cycle: register it to be broken.
        builtins_thunk.register();
    }
    ev.builtins_attrs = Value::Attrs(attrs.clone());

    // The base frame: `__name` for every builtin, the globals, constants.
    let mut slots = Vec::new();
    let mut globals = rustc_hash::FxHashMap::default();
    for a in attrs.entries.iter() {
        let n = a.name.as_str();
        let plain = GLOBAL.contains(&n) || matches!(n, "true" | "false" | "null" | "builtins");
        if plain {
            globals.insert(a.name, slots.len() as u32);
            slots.push(a.value.clone());
        }
        if n != "builtins" && !matches!(n, "true" | "false" | "null") {
            globals.insert(Sym::new(&format!("__{n}")), slots.len() as u32);
            slots.push(a.value.clone());
        }
    }
    ev.base_env = ev.heap.rec_env(slots.into(), None);
    ev.globals = globals;
    derivation::install_wrapper(ev);
}

fn copy(b: &Builtin) -> Builtin {
    Builtin {
        name: b.name,
        arity: b.arity,
        f: b.f,
    }
}

pub fn current_system() -> String {
    let arch = std::env::consts::ARCH;
    let os = std::env::consts::OS;
    format!("{arch}-{os}")
}

/// "Did you mean" among `candidates`: the closest by edit distance.
pub fn suggest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = levenshtein(name, c);
        let limit = (name.len().max(c.len()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Edit distance where swapping two neighbours counts as one edit.
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

// ---------------------------------------------------- argument helpers

impl Evaluator {
    pub fn arg_int(&mut self, t: &Thunk, span: Span) -> EvalResult<i64> {
        match self.force(t)? {
            Value::Int(i) => Ok(i),
            o => Err(self.type_err("an integer", &o, Some(span))),
        }
    }
    pub fn arg_bool(&mut self, t: &Thunk, span: Span) -> EvalResult<bool> {
        match self.force(t)? {
            Value::Bool(b) => Ok(b),
            o => Err(self.type_err("a Boolean", &o, Some(span))),
        }
    }
    pub fn arg_list(&mut self, t: &Thunk, span: Span) -> EvalResult<Rc<List>> {
        match self.force(t)? {
            Value::List(l) => Ok(l),
            o => Err(self.type_err("a list", &o, Some(span))),
        }
    }
    pub fn arg_attrs(&mut self, t: &Thunk, span: Span) -> EvalResult<Rc<Attrs>> {
        match self.force(t)? {
            Value::Attrs(a) => Ok(a),
            o => Err(self.type_err("a set", &o, Some(span))),
        }
    }
    pub fn arg_fn(&mut self, t: &Thunk, span: Span) -> EvalResult<Value> {
        let v = self.force(t)?;
        if v.is_function() || matches!(&v, Value::Attrs(a) if a.get(self.syms.functor).is_some()) {
            Ok(v)
        } else {
            Err(self.type_err("a function", &v, Some(span)))
        }
    }
    /// A string argument whose context is ignored.
    pub fn arg_str(&mut self, t: &Thunk, span: Span) -> EvalResult<String> {
        Ok(self.force_string(t, span)?.s.clone())
    }
    /// Any value coerced to a string as `toString` would, with context.
    pub fn arg_coerce(
        &mut self,
        t: &Thunk,
        span: Span,
        mode: super::coerce::Coerce,
    ) -> EvalResult<(String, Context)> {
        let v = self.force(t)?;
        self.coerce_to_string(&v, span, mode)
    }
    /// A path argument: a path value, or a string holding an absolute path.
    pub fn arg_path(&mut self, t: &Thunk, span: Span) -> EvalResult<String> {
        let v = self.force(t)?;
        let (s, _) = match &v {
            Value::Path(p) => (p.to_string(), Context::new()),
            _ => self.coerce_to_string(&v, span, super::coerce::Coerce::ToString)?,
        };
        if !s.starts_with('/') {
            return Err(self.err(
                format!("string '{s}' doesn't represent an absolute path"),
                Some(span),
            ));
        }
        Ok(s)
    }
}
