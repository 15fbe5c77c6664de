//! Running a configuration through the module system (`evalModules` of
//! nixcfg's lib) and reading the result from Rust: option lookup with
//! provenance (`nixcfg options`), and checking that reports every
//! independent mistake of a configuration in one run.

mod check;
pub mod lib_docs;
mod options;
pub mod options_index;
pub mod reference;
pub mod static_check;

pub use check::{check, check_focused, check_with, closed_namespaces};
pub use options::{describe, OptionInfo, OptionNode};

use crate::diagnostic::Diagnostic;
use crate::eval::{EvalError, EvalOptions, Evaluator, Sym, Thunk, Value};
use std::path::Path;

/// An evaluated configuration: the evaluator and `evalModules`' result.
pub struct Configuration {
    pub ev: Evaluator,
    pub result: Value,
}

impl Configuration {
    /// Ends the configuration without freeing its evaluation
    /// (`EvalOptions::keep_heap`).
    pub fn leak(self) {
        let Configuration { ev, result } = self;
        std::mem::forget(result);
        ev.leak();
    }

    /// Evaluates the module in `file` (and its imports). `check` keeps
    /// nixpkgs' behaviour of failing on the first undeclared option; the
    /// checker turns it off and reports every one itself.
    pub fn load(
        file: &Path,
        opts: EvalOptions,
        check: bool,
    ) -> Result<Configuration, Vec<Diagnostic>> {
        Configuration::load_in(Evaluator::new(opts), file, check).map_err(|(_, ds)| ds)
    }

    /// `load` in an evaluator made before (the language server's, which
    /// reuses submodule instances of its evaluation before); on failure
    /// the evaluator comes back with the diagnostics.
    pub fn load_in(
        mut ev: Evaluator,
        file: &Path,
        check: bool,
    ) -> Result<Configuration, (Evaluator, Vec<Diagnostic>)> {
        let file = match std::fs::canonicalize(file) {
            Ok(f) => f,
            Err(e) => {
                let d = Diagnostic::new(
                    "nixcfg::io",
                    format!("cannot read '{}': {e}", file.display()),
                    None,
                );
                return Err((ev, vec![d]));
            }
        };
        let path = nix_string(&file.display().to_string());
        // The user's nixpkgs when the search path has one; otherwise the
        // modules use an opaque package set.
        let span = crate::source::Span {
            file: crate::source::FileId(0),
            start: 0,
            end: 0,
        };
        let has_nixpkgs = !ev.opts.nix_path.is_empty()
            && crate::eval::builtins::io::find_file(&mut ev, "nixpkgs", span).is_ok();
        let pkgs = if has_nixpkgs {
            "import <nixpkgs> { }"
        } else {
            "null"
        };
        let text = format!(
            "import <nixcfg/nixos/eval-config.nix> {{ modules = [ (/. + {path}) ]; check = {check}; pkgs = {pkgs}; }}"
        );
        match ev.eval_string(&text, "/".into()) {
            Ok(result) => Ok(Configuration { ev, result }),
            Err(ds) => Err((ev, ds)),
        }
    }

    /// nixcfg's modules alone (no user configuration): for the reference.
    pub fn load_embedded(opts: EvalOptions) -> Result<Configuration, Vec<Diagnostic>> {
        let mut ev = Evaluator::new(opts);
        let result = ev.eval_string(
            "import <nixcfg/nixos/eval-config.nix> { modules = [ ]; }",
            "/".into(),
        )?;
        Ok(Configuration { ev, result })
    }

    /// `result.options` / `result.config`, or the error that stops them.
    pub fn field(&mut self, name: &str) -> Result<Value, EvalError> {
        let sym = Sym::new(name);
        let span = crate::source::Span {
            file: crate::source::FileId(0),
            start: 0,
            end: 0,
        };
        let r = self.result.clone();
        self.ev.select_one(&r, sym, span)
    }

    /// Follows an attribute path from a set, forcing as it goes.
    pub fn select_path(
        &mut self,
        mut v: Value,
        path: &[String],
    ) -> Result<Option<Value>, EvalError> {
        for p in path {
            let Value::Attrs(a) = &v else { return Ok(None) };
            let Some(t) = a.get(Sym::new(p)).cloned() else {
                return Ok(None);
            };
            v = self.ev.force(&t)?;
        }
        Ok(Some(v))
    }

    pub fn get(&mut self, v: &Value, name: &str) -> Result<Option<Value>, EvalError> {
        let Value::Attrs(a) = v else { return Ok(None) };
        match a.get(Sym::new(name)).cloned() {
            Some(t) => Ok(Some(self.ev.force(&t)?)),
            None => Ok(None),
        }
    }

    pub fn is_option(&mut self, v: &Value) -> Result<bool, EvalError> {
        Ok(matches!(self.get(v, "_type")?, Some(Value::String(s)) if s.s == "option"))
    }

    /// A short rendering of a value (strict, cut at `max` characters).
    pub fn show(&mut self, v: &Value, max: usize) -> String {
        match self.ev.print_value(v, true) {
            Ok(s) if s.chars().count() > max => {
                format!("{}…", s.chars().take(max).collect::<String>())
            }
            Ok(s) => s,
            Err(e) => format!("«error: {}»", e.message()),
        }
    }

    /// A value as JSON, forced deeply (as `builtins.toJSON` renders it).
    pub fn to_json_text(&mut self, v: &Value) -> Result<String, EvalError> {
        self.to_json_with_context(v).map(|(t, _)| t)
    }

    /// JSON, and the string context of the value (the store objects its
    /// strings refer to).
    pub fn to_json_with_context(
        &mut self,
        v: &Value,
    ) -> Result<(String, crate::eval::value::Context), EvalError> {
        let span = crate::source::Span {
            file: crate::source::FileId(0),
            start: 0,
            end: 0,
        };
        let mut out = String::new();
        let mut ctx = crate::eval::value::Context::new();
        self.ev.to_json(v, span, &mut ctx, &mut out)?;
        Ok((out, ctx))
    }

    pub fn thunk_value(&mut self, t: &Thunk) -> Result<Value, EvalError> {
        self.ev.force(t)
    }
}

/// A Nix string literal for `s`.
fn nix_string(s: &str) -> String {
    let mut out = String::new();
    crate::eval::print::escape_string(s, &mut out);
    out
}

/// "file:line:col" of a `{ file; line; column; }` position value.
pub(crate) fn position(cfg: &mut Configuration, pos: &Value) -> Option<(String, u32, u32)> {
    let file = match cfg.get(pos, "file").ok()?? {
        Value::String(s) => s.s.clone(),
        Value::Path(p) => p.to_string(),
        _ => return None,
    };
    let line = match cfg.get(pos, "line").ok()?? {
        Value::Int(i) => i as u32,
        _ => return None,
    };
    let col = match cfg.get(pos, "column").ok()?? {
        Value::Int(i) => i as u32,
        _ => 1,
    };
    Some((file, line, col))
}
