//! The lazy Nix evaluator.
//!
//! `Evaluator` owns the source map, the heap registry and the import cache
//! of one evaluation. Code map:
//! - `lower`: CST → `expr::Expr` (scopes resolved, parse-time checks)
//! - `interp`: evaluating expressions, calling functions, forcing thunks
//! - `coerce`: string coercion, equality, comparison
//! - `builtins/`: one file per family of builtins
//! - `print`: nix-instantiate's value printer; `json`, `xml`: formats
//! - `store`: store path arithmetic, NAR hashing, derivations

pub mod builtins;
pub mod coerce;
pub mod cycles;
mod eager;
pub mod embedded;
pub mod error;
pub mod expr;
pub mod interp;
pub mod lower;
mod lower_cache;
pub mod print;
mod profile;
pub mod reuse;
pub mod run;
pub mod store;
pub mod symbol;
pub mod value;

pub use error::{ErrorKind, EvalError, EvalResult};
pub use symbol::Sym;
pub use value::{Attr, Attrs, NixString, Thunk, Value};

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, SourceFile, SourceMap, Span};
use expr::ExprRef;
use rustc_hash::FxHashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use value::{Env, Heap};

/// Settings of one evaluation (the nix-instantiate flags that matter).
#[derive(Clone)]
pub struct EvalOptions {
    /// `-I` entries then `NIX_PATH`, as `(prefix, path)`.
    pub nix_path: Vec<(String, String)>,
    pub store_dir: String,
    /// Nested calls before "stack overflow" (Nix's `max-call-depth`).
    pub max_call_depth: usize,
    /// Whether `builtins.getEnv` and friends see the real environment.
    pub impure: bool,
    pub abort_on_warn: bool,
    /// `--extra-experimental-features` (only `parse-toml-timestamps` matters).
    pub features: Vec<String>,
    pub lints: lower::Lints,
    /// File contents that replace what is on disk (an editor's unsaved
    /// buffers), by absolute path.
    pub overlays: std::sync::Arc<std::collections::HashMap<PathBuf, String>>,
    /// Stops the evaluation when set (the language server sets it when a
    /// newer version of the document arrives) ...
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// ... or when it has run this long.
    pub time_budget: Option<std::time::Duration>,
    /// While set, the evaluation waits (looked at where cancellation is):
    /// the language server's background evaluation gives way to the
    /// diagnostics a user waits for.
    pub pause: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// A configuration's analysis hands its evaluation back
    /// (`FileAnalysis::evaluation`) instead of freeing it: freeing a large
    /// evaluation took a tenth of a check's time, which a command about
    /// to exit need not spend. (The language server frees at once: freed
    /// later, the free delayed the next edit's first diagnostics.)
    pub keep_heap: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            nix_path: Vec::new(),
            store_dir: std::env::var("NIX_STORE_DIR").unwrap_or_else(|_| "/nix/store".into()),
            max_call_depth: 10_000,
            impure: true,
            // Nix reads its `abort-on-warn` setting from this variable too.
            abort_on_warn: std::env::var("NIX_ABORT_ON_WARN")
                .is_ok_and(|v| v == "1" || v == "true"),
            features: Vec::new(),
            lints: lower::Lints::default(),
            overlays: Default::default(),
            cancel: None,
            time_budget: None,
            pause: None,
            keep_heap: false,
        }
    }
}

/// A deep force's walk. Sets and lists form cycles (a derivation's `out`
/// is itself), so the walk finds its strongly connected components as
/// Tarjan's algorithm does: a component is forced completely when the
/// walk leaves its first set or list, and then each of its sets is
/// marked (`Attrs::forced_deep`), so that later deep forces skip it.
#[derive(Default)]
struct DeepSeen {
    /// Sets and lists met and not yet complete: their order of meeting.
    open: rustc_hash::FxHashMap<usize, u32>,
    /// The same, in order (the sets, to be marked).
    stack: Vec<(usize, Option<Rc<Attrs>>)>,
    /// Lists forced completely (sets are marked instead).
    done: rustc_hash::FxHashSet<usize>,
    met: u32,
    /// The earliest open set or list that the current one reaches.
    low: u32,
}

pub struct Evaluator {
    pub sources: SourceMap,
    pub opts: EvalOptions,
    pub(crate) heap: Heap,
    pub(crate) base_env: Env,
    pub(crate) globals: FxHashMap<Sym, u32>,
    pub(crate) builtins_attrs: Value,
    /// Evaluated `import`s by canonical path.
    import_cache: FxHashMap<PathBuf, Value>,
    /// Source paths copied to the store while evaluating: path → store path.
    pub copied_paths: FxHashMap<String, String>,
    pub(crate) call_depth: usize,
    /// Function calls so far (cancellation and the time budget are looked
    /// at every few thousand), and when the evaluation started.
    pub(crate) calls: u32,
    pub(crate) interruptible: bool,
    pub(crate) started: std::time::Instant,
    pub(crate) stderr: Box<dyn Write>,
    pub(crate) syms: interp::CommonSyms,
    pub(crate) thunk_repr: &'static str,
    /// Lowest stack address this evaluation may use (see `interp`).
    pub(crate) stack_limit: usize,
    /// Derivations instantiated so far, by `.drv` path.
    pub derivations: FxHashMap<String, Rc<builtins::derivation::Derivation>>,
    pub(crate) drv_hashes: FxHashMap<String, [u8; 32]>,
    /// `builtins.toFile` results: store path → (contents, references).
    pub text_files: FxHashMap<String, (String, Vec<String>)>,
    /// Attribute names as string values (`attrNames`, `mapAttrs`), made
    /// once per name.
    pub(crate) name_strings: FxHashMap<Sym, Value>,
    /// Calls and times per function, when `NIXCFG_PROFILE` is set.
    pub(crate) profile: Option<Box<profile::Profile>>,
    /// Submodule instances kept for the next evaluation in this evaluator
    /// (`reuse.rs`; the language server's), or none.
    pub reuse: Option<Box<reuse::ReuseCache>>,
    /// A file's tree parsed already (name, text, tree): taken instead of
    /// parsing the file again when it is read with that text (the
    /// language server's check parsed it to compare it with the last).
    pub preparsed: Option<(String, Rc<str>, rnix::Root)>,
    /// The values of each file's last lowering (with `reuse` only).
    lower_cache: lower_cache::LowerCache,
    /// No `restart` yet: this is the evaluator's first evaluation.
    pub(crate) first_evaluation: bool,
    /// The text analysed last with this evaluator, parsed (the language
    /// server's analysis of an edit parses only the binding edited).
    pub last_parse: crate::syntax::LastParse,
}

impl Evaluator {
    pub fn new(opts: EvalOptions) -> Evaluator {
        interp::set_stack_base();
        let mut heap = Heap::default();
        let placeholder = heap.env(value::Slots::new(), None);
        let interruptible =
            opts.cancel.is_some() || opts.time_budget.is_some() || opts.pause.is_some();
        let mut ev = Evaluator {
            sources: SourceMap::default(),
            opts,
            heap,
            base_env: placeholder,
            globals: FxHashMap::default(),
            builtins_attrs: Value::Null,
            import_cache: FxHashMap::default(),
            copied_paths: FxHashMap::default(),
            call_depth: 0,
            calls: 0,
            interruptible,
            started: std::time::Instant::now(),
            stderr: Box::new(std::io::stderr()),
            syms: interp::CommonSyms::new(),
            thunk_repr: "<CODE>",
            stack_limit: interp::stack_limit(),
            derivations: FxHashMap::default(),
            drv_hashes: FxHashMap::default(),
            text_files: FxHashMap::default(),
            name_strings: FxHashMap::default(),
            profile: profile::Profile::from_env(),
            reuse: None,
            preparsed: None,
            lower_cache: Default::default(),
            first_evaluation: true,
            last_parse: Default::default(),
        };
        builtins::install(&mut ev);
        ev
    }

    /// Readies an evaluator kept from an evaluation before for another
    /// with `opts` (the language server's, with `reuse`): the user's files
    /// are read again — the import cache keeps only nixcfg's embedded
    /// files — and the counters start again.
    pub fn restart(&mut self, opts: EvalOptions) {
        self.first_evaluation = false;
        self.interruptible =
            opts.cancel.is_some() || opts.time_budget.is_some() || opts.pause.is_some();
        self.opts = opts;
        self.calls = 0;
        self.call_depth = 0;
        self.started = std::time::Instant::now();
        self.stack_limit = interp::stack_limit();
        self.import_cache
            .retain(|p, _| p.to_string_lossy().contains("/embedded-"));
        self.heap.make_current();
        // Each evaluation's profile on its own.
        if self.profile.is_some() {
            self.print_profile();
            self.profile = profile::Profile::from_env();
        }
        if let Some(r) = self.reuse.as_mut() {
            r.start();
        }
    }

    /// Whether this evaluation was stopped (cancelled, or out of time).
    pub fn was_stopped(&self) -> bool {
        self.opts
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
            || self
                .opts
                .time_budget
                .is_some_and(|b| self.started.elapsed() >= b)
    }

    /// Registered objects alive (what cycles may hold).
    pub fn live_objects(&self) -> usize {
        self.heap.live_objects()
    }

    /// Redirects `trace` and warnings (tests capture them).
    pub fn set_stderr(&mut self, w: Box<dyn Write>) {
        self.stderr = w;
    }

    pub fn add_source(&mut self, name: String, dir: PathBuf, text: Rc<str>) -> FileId {
        self.sources.add(SourceFile::new(name, dir, text))
    }

    /// Parses and lowers a source text into an expression.
    pub fn parse(
        &mut self,
        name: String,
        dir: PathBuf,
        text: &str,
    ) -> Result<ExprRef, Vec<Diagnostic>> {
        let file = self.add_source(name, dir.clone(), text.into());
        self.parse_file(file, None)
    }

    fn parse_file(
        &mut self,
        file: FileId,
        scoped: Option<&[Sym]>,
    ) -> Result<ExprRef, Vec<Diagnostic>> {
        let src = self.sources.get(file).clone();
        let parsed = match self.preparsed.take() {
            Some((name, text, root)) if name == src.name && text == src.text => {
                crate::syntax::Parsed {
                    root,
                    errors: Vec::new(),
                }
            }
            other => {
                self.preparsed = other;
                crate::syntax::parse(&src.text, file)
            }
        };
        self.lower_parsed(file, &parsed, scoped)
    }

    /// Lowers a file already parsed (its scope checks included), for tools
    /// that also read the syntax tree (`nixcfg check`'s lints).
    pub fn lower_parsed(
        &mut self,
        file: FileId,
        parsed: &crate::syntax::Parsed,
        scoped: Option<&[Sym]>,
    ) -> Result<ExprRef, Vec<Diagnostic>> {
        let src = self.sources.get(file).clone();
        if !parsed.errors.is_empty() {
            return Err(parsed.errors.clone());
        }
        let warnings = std::cell::RefCell::new(Vec::new());
        let ctx = lower::LowerCtx {
            file,
            dir: &src.dir,
            globals: &self.globals,
            home: std::env::var("HOME").ok(),
            lints: self.opts.lints,
            text: &src.text,
            warnings: &warnings,
        };
        let r = match scoped {
            Some(names) => lower::lower_scoped(ctx, &parsed.root, names),
            // A kept evaluator (the language server's) lowers again only
            // what changed since it lowered the file last (nixcfg's
            // embedded files are lowered once: `restart`).
            None if self.reuse.is_some() && !src.name.contains("/embedded-") => {
                let cache = self.lower_cache.take(&src.name, ctx.lints, &ctx.home);
                let (r, cache) = lower::lower_cached(ctx, &parsed.root, Some(cache));
                if let Some(c) = cache {
                    self.lower_cache.put(src.name.clone(), c);
                }
                r
            }
            None => lower::lower(ctx, &parsed.root),
        };
        for w in warnings.into_inner() {
            let loc = w.location(&self.sources).unwrap_or_default();
            let _ = writeln!(self.stderr, "warning: {}\n         at {loc}", w.message);
        }
        r
    }

    /// Evaluates a lowered top-level expression to weak head normal form.
    pub fn eval_root(&mut self, e: &ExprRef) -> EvalResult<Value> {
        let env = self.base_env.clone();
        self.eval(e, &env)
    }

    /// Parses and evaluates a file (as `import` does).
    pub fn eval_file(&mut self, path: &Path) -> Result<Value, Vec<Diagnostic>> {
        self.import_path(path, None)
            .map_err(|e| vec![e.into_diagnostic()])
    }

    pub fn eval_string(&mut self, text: &str, dir: PathBuf) -> Result<Value, Vec<Diagnostic>> {
        let e = self.parse("«string»".into(), dir, text)?;
        self.eval_root(&e).map_err(|e| vec![e.into_diagnostic()])
    }

    /// `import path`: parse once, evaluate once, cache.
    pub fn import_path(&mut self, path: &Path, span: Option<Span>) -> EvalResult<Value> {
        let mut path = path.to_path_buf();
        if path.is_dir() && !self.text_files.contains_key(&path.display().to_string()) {
            path.push("default.nix");
        }
        if let Some(v) = self.import_cache.get(&path) {
            return Ok(v.clone());
        }
        // Parsing and lowering a file do not look at the pause flag.
        self.wait_while_paused();
        let e = self.load_file(&path, span, None)?;
        let v = self.eval_root(&e)?;
        self.import_cache.insert(path, v.clone());
        Ok(v)
    }

    pub(crate) fn load_file(
        &mut self,
        path: &Path,
        span: Option<Span>,
        scoped: Option<&[Sym]>,
    ) -> EvalResult<ExprRef> {
        // Files made by `builtins.toFile` exist only in this evaluation.
        let in_memory = self
            .text_files
            .get(&path.display().to_string())
            .map(|(c, _)| c.clone().into_bytes())
            .or_else(|| self.opts.overlays.get(path).map(|t| t.clone().into_bytes()));
        let bytes = match in_memory {
            Some(b) => b,
            None => std::fs::read(path).map_err(|e| {
                EvalError::new(
                    ErrorKind::Other,
                    "nix::io",
                    format!("cannot read '{}': {}", path.display(), io_msg(&e)),
                    span,
                )
            })?,
        };
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/"));
        let placeholder = self.add_source(path.display().to_string(), dir.clone(), "".into());
        let text = crate::syntax::decode(&bytes, placeholder)
            .map_err(|d| EvalError::from_diagnostic(ErrorKind::Other, *d))?;
        let file = self.add_source(path.display().to_string(), dir, text.into());
        self.parse_file(file, scoped).map_err(|mut ds| {
            let mut first = ds.remove(0);
            first.related = ds;
            EvalError::from_diagnostic(ErrorKind::Other, first)
        })
    }

    /// Deep-forces a value (as `--strict` and `deepSeq` do).
    pub fn force_deep(&mut self, v: &Value) -> EvalResult<()> {
        let mut seen = DeepSeen::default();
        self.force_deep_inner(v, &mut seen)
    }

    fn force_deep_inner(&mut self, v: &Value, seen: &mut DeepSeen) -> EvalResult<()> {
        let (addr, set) = match v {
            Value::Attrs(a) if a.forced_deep.get() => return Ok(()),
            Value::Attrs(a) => (Rc::as_ptr(a) as usize, Some(a)),
            Value::List(l) if seen.done.contains(&(Rc::as_ptr(l) as usize)) => return Ok(()),
            Value::List(l) => (Rc::as_ptr(l) as usize, None),
            _ => return Ok(()),
        };
        if let Some(&i) = seen.open.get(&addr) {
            seen.low = seen.low.min(i);
            return Ok(());
        }
        let me = seen.met;
        seen.met += 1;
        seen.open.insert(addr, me);
        seen.stack.push((addr, set.cloned()));
        let outer = std::mem::replace(&mut seen.low, me);
        match v {
            Value::Attrs(a) => {
                for attr in a.entries.iter() {
                    let x = self.force(&attr.value).map_err(|e| {
                        e.context(
                            format!("while evaluating the attribute '{}'", attr.name),
                            attr.pos.span(),
                        )
                    })?;
                    self.enter()?;
                    let r = self.force_deep_inner(&x, seen);
                    self.leave();
                    r?;
                }
            }
            Value::List(l) => {
                for t in l.iter() {
                    let x = self.force(t)?;
                    self.enter()?;
                    let r = self.force_deep_inner(&x, seen);
                    self.leave();
                    r?;
                }
            }
            _ => {}
        }
        // The first of its component: everything it reaches is forced.
        if seen.low == me {
            while let Some((at, set)) = seen.stack.pop() {
                seen.open.remove(&at);
                match set {
                    Some(a) => a.forced_deep.set(true),
                    None => {
                        seen.done.insert(at);
                    }
                }
                if at == addr {
                    break;
                }
            }
        }
        seen.low = outer.min(seen.low);
        Ok(())
    }

    pub fn warn(&mut self, msg: &str) -> EvalResult<()> {
        let _ = writeln!(self.stderr, "evaluation warning: {msg}");
        if self.opts.abort_on_warn {
            return Err(EvalError::new(
                ErrorKind::Abort,
                "nix::warning",
                format!(
                    "aborting to reveal stack trace of warning, as abort-on-warn is set: {msg}"
                ),
                None,
            ));
        }
        Ok(())
    }
}

impl Evaluator {
    /// The string value of an attribute name, shared by every use.
    pub fn name_string(&mut self, name: Sym) -> Value {
        self.name_strings
            .entry(name)
            .or_insert_with(|| Value::str(name.as_str()))
            .clone()
    }

    pub fn opts_has_feature(&self, f: &str) -> bool {
        self.opts.features.iter().any(|x| x == f)
    }
}

impl Evaluator {
    /// Ends the process now, without freeing the evaluation's heap: at exit
    /// the kernel reclaims it faster than dropping millions of objects.
    pub fn exit_process(mut self, code: u8) -> ! {
        self.print_profile();
        if std::env::var_os("NIXCFG_GC_STATS").is_some() {
            let (cells, frames) = value::registered();
            let _ = writeln!(
                self.stderr,
                "at exit: {} registered thunk cells, {} registered frames",
                cells.len(),
                frames.len()
            );
        }
        let _ = std::io::stdout().flush();
        let _ = self.stderr.flush();
        std::process::exit(code.into())
    }

    /// Ends the evaluator without freeing what it allocated (see
    /// `EvalOptions::keep_heap`); the profile is printed as on a drop.
    pub fn leak(mut self) {
        self.print_profile();
        std::mem::forget(self);
    }

    fn print_profile(&mut self) {
        if let Some(p) = self.profile.take() {
            let sources = &self.sources;
            let name = |span: Span| match sources.try_get(span.file) {
                Some(f) => {
                    let (l, c) = f.line_col(span.start);
                    format!("{}:{l}:{c}", f.name)
                }
                None => format!("file {} offset {}", span.file.0, span.start),
            };
            let _ = p.print(&mut *self.stderr, &name);
        }
    }
}

impl Drop for Evaluator {
    fn drop(&mut self) {
        self.print_profile();
        let pause = self.opts.pause.clone();
        self.heap.clear(pause.as_deref());
    }
}

pub(crate) fn io_msg(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".into(),
        _ => e.to_string(),
    }
}
