//! Builtins that read the outside world: `import`, `readFile`, `readDir`,
//! the search path, `getEnv`, and store copies of paths.

use super::{b, Builtin};
use crate::eval::coerce::Coerce;
use crate::eval::error::{ErrorKind, EvalError};
use crate::eval::store;
use crate::eval::value::Context;
use crate::eval::{io_msg, Attr, Attrs, EvalResult, Evaluator, NixString, Sym, Thunk, Value};
use crate::source::{Pos, Span};
use std::path::Path;

/// `builtins.nixPath`: `[ { prefix; path; } … ]`.
pub fn nix_path_value(ev: &Evaluator) -> Value {
    let items = ev
        .opts
        .nix_path
        .iter()
        .map(|(prefix, path)| {
            let entries = vec![
                Attr {
                    name: Sym::new("path"),
                    value: Thunk::value(Value::str(path.clone())),
                    pos: Pos::NONE,
                },
                Attr {
                    name: Sym::new("prefix"),
                    value: Thunk::value(Value::str(prefix.clone())),
                    pos: Pos::NONE,
                },
            ];
            Thunk::value(Value::attrs(Attrs::from_sorted(entries)))
        })
        .collect();
    Value::list(items)
}

/// `<name>`: resolves through `__findFile __nixPath`.
pub fn find_file(ev: &mut Evaluator, path: &str, span: Span) -> EvalResult<Value> {
    let np = nix_path_value(ev);
    let f = ev.globals.get(&Sym::new("__findFile")).copied();
    match f {
        Some(slot) => {
            let fv = ev.base_env.slot(slot as usize).expect("a global's slot");
            let fv = ev.force(&fv)?;
            ev.apply_values(&fv, &[np, Value::str(path)], span)
        }
        None => Err(ev.err("no __findFile", Some(span))),
    }
}

fn find_file_b(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let list = ev.arg_list(&a[0], s)?;
    let wanted = ev.arg_str(&a[1], s)?;
    for t in list.iter() {
        let e = ev.arg_attrs(t, s)?;
        let prefix = match e.get(Sym::new("prefix")).cloned() {
            Some(p) => ev.arg_str(&p, s)?,
            None => String::new(),
        };
        let path = match e.get(Sym::new("path")).cloned() {
            Some(p) => ev.arg_coerce(&p, s, Coerce::ToString)?.0,
            None => return Err(ev.err("attribute 'path' missing", Some(s))),
        };
        let rest = if prefix.is_empty() {
            Some(wanted.as_str())
        } else if wanted == prefix {
            Some("")
        } else {
            wanted.strip_prefix(&format!("{prefix}/"))
        };
        let Some(rest) = rest else { continue };
        let base = if path.starts_with('/') {
            path.clone()
        } else {
            std::env::current_dir()
                .map(|d| d.join(&path).display().to_string())
                .unwrap_or(path.clone())
        };
        let cand = if rest.is_empty() {
            base
        } else {
            format!("{base}/{rest}")
        };
        if Path::new(&cand).exists() {
            return Ok(Value::Path(crate::eval::lower::canonicalize(&cand).into()));
        }
    }
    if let Some(p) = crate::eval::embedded::find(&wanted) {
        return Ok(Value::Path(p.display().to_string().into()));
    }
    Err(EvalError::new(
        ErrorKind::Throw,
        "nix::search-path",
        format!(
            "file '{wanted}' was not found in the Nix search path (add it using $NIX_PATH or -I)"
        ),
        Some(s),
    ))
}

fn import(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let p = ev.arg_path(&a[0], s)?;
    ev.import_path(Path::new(&p), Some(s))
}

fn scoped_import(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let scope = ev.arg_attrs(&a[0], s)?;
    let p = ev.arg_path(&a[1], s)?;
    let mut path = std::path::PathBuf::from(&p);
    if path.is_dir() {
        path.push("default.nix");
    }
    let names: Vec<Sym> = scope.entries.iter().map(|e| e.name).collect();
    let e = ev.load_file(&path, Some(s), Some(&names))?;
    let slots: crate::eval::value::Slots = scope.entries.iter().map(|e| e.value.clone()).collect();
    let env = ev.heap.env(slots, Some(ev.base_env.clone()));
    ev.eval(&e, &env)
}

fn read_file(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let p = ev.arg_path(&a[0], s)?;
    let bytes = match ev.text_files.get(&p) {
        Some((c, _)) => c.clone().into_bytes(),
        None => std::fs::read(&p)
            .map_err(|e| ev.err(format!("opening file '{p}': {}", io_msg(&e)), Some(s)))?,
    };
    let text = String::from_utf8(bytes).map_err(|_| {
        ev.err(
            format!("file '{p}' is not valid UTF-8, which nixcfg's strings require"),
            Some(s),
        )
    })?;
    if text.contains('\0') {
        return Err(ev.err(
            format!("the contents of the file '{p}' cannot be represented as a Nix string"),
            Some(s),
        ));
    }
    // Reading a store path keeps it as a dependency.
    let mut ctx = Context::new();
    if let Some(sp) = store_path_prefix(&ev.opts.store_dir, &p) {
        ctx.insert(sp);
    }
    Ok(NixString::with_ctx(text, ctx))
}

fn store_path_prefix(store: &str, p: &str) -> Option<String> {
    let rest = p.strip_prefix(store)?.strip_prefix('/')?;
    let name = rest.split('/').next()?;
    if name.len() > 33 {
        Some(format!("{store}/{name}"))
    } else {
        None
    }
}

fn file_type_name(ft: std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "directory"
    } else if ft.is_symlink() {
        "symlink"
    } else if ft.is_file() {
        "regular"
    } else {
        "unknown"
    }
}

fn read_dir(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let p = ev.arg_path(&a[0], s)?;
    let rd = std::fs::read_dir(&p)
        .map_err(|e| ev.err(format!("reading directory '{p}': {}", io_msg(&e)), Some(s)))?;
    let mut entries = Vec::new();
    for e in rd {
        let e = e.map_err(|e| ev.err(format!("reading directory '{p}': {e}"), Some(s)))?;
        let ty = e.file_type().map(file_type_name).unwrap_or("unknown");
        entries.push(Attr {
            name: Sym::new(&e.file_name().to_string_lossy()),
            value: Thunk::value(Value::str(ty)),
            pos: Pos::NONE,
        });
    }
    Ok(Value::attrs(Attrs::from_unsorted(entries)))
}

fn read_file_type(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let p = ev.arg_path(&a[0], s)?;
    let m = std::fs::symlink_metadata(&p)
        .map_err(|e| ev.err(format!("getting status of '{p}': {}", io_msg(&e)), Some(s)))?;
    Ok(Value::str(file_type_name(m.file_type())))
}

fn path_exists(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let v = ev.force(&a[0])?;
    let (p, _) = ev.coerce_to_string(&v, s, Coerce::ToString)?;
    if !p.starts_with('/') {
        return Err(ev.err(
            format!("string '{p}' doesn't represent an absolute path"),
            Some(s),
        ));
    }
    // A trailing slash asks for a directory.
    let must_dir = (p.ends_with('/') || p.ends_with("/.")) && p.len() > 1;
    let canon = crate::eval::lower::canonicalize(&p);
    // Like Nix, a dangling symlink exists; a directory is asked for with
    // a trailing `/` or `/.`, and then links are followed.
    Ok(Value::Bool(if must_dir {
        std::fs::metadata(&canon)
            .map(|m| m.is_dir())
            .unwrap_or(false)
    } else {
        std::fs::symlink_metadata(&canon).is_ok()
    }))
}

fn get_env(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let name = ev.arg_str(&a[0], s)?;
    Ok(Value::str(if ev.opts.impure {
        std::env::var(&name).unwrap_or_default()
    } else {
        String::new()
    }))
}

fn to_path(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let p = ev.arg_path(&a[0], s)?;
    Ok(Value::str(crate::eval::lower::canonicalize(&p)))
}

fn store_path(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let p = ev.arg_path(&a[0], s)?;
    let sp = store_path_prefix(&ev.opts.store_dir, &p)
        .ok_or_else(|| ev.err(format!("path '{p}' is not in the Nix store"), Some(s)))?;
    let mut ctx = Context::new();
    ctx.insert(sp);
    Ok(NixString::with_ctx(p, ctx))
}

impl Evaluator {
    /// The store path a source path is copied to (`"${./x}"`). Nothing is
    /// written here: the path is remembered in `copied_paths` for the
    /// bridge to add with the real `nix-store --add`.
    pub fn copy_path_to_store(&mut self, p: &str, span: Span) -> EvalResult<String> {
        if let Some(sp) = self.copied_paths.get(p) {
            return Ok(sp.clone());
        }
        let name = store::store_name_of(p).to_string();
        let sp = self.add_path_to_store(p, &name, None, span)?;
        self.copied_paths.insert(p.to_string(), sp.clone());
        Ok(sp)
    }

    pub fn add_path_to_store(
        &mut self,
        p: &str,
        name: &str,
        filter: Option<&Value>,
        span: Span,
    ) -> EvalResult<String> {
        store::check_name(name)
            .map_err(|m| self.err(format!("invalid store path name: {m}"), Some(span)))?;
        let root = Path::new(p);
        if std::fs::symlink_metadata(root).is_err() {
            return Err(self.err(format!("path '{p}' does not exist"), Some(span)));
        }
        let tree = match filter {
            None => store::read_tree(root, &mut |_, _| Ok(true)),
            Some(f) => {
                let f = f.clone();
                let mut err = None;
                let t = store::read_tree(root, &mut |path, ty| {
                    if err.is_some() {
                        return Ok(false);
                    }
                    let r = self.apply_values(
                        &f,
                        &[
                            Value::Path(path.display().to_string().into()),
                            Value::str(ty),
                        ],
                        span,
                    );
                    match r {
                        Ok(Value::Bool(b)) => Ok(b),
                        Ok(o) => {
                            err = Some(self.type_err("a Boolean", &o, Some(span)));
                            Ok(false)
                        }
                        Err(e) => {
                            err = Some(e);
                            Ok(false)
                        }
                    }
                });
                if let Some(e) = err {
                    return Err(e);
                }
                t
            }
        }
        .map_err(|e| self.err(format!("reading '{p}': {}", io_msg(&e)), Some(span)))?;
        let h = store::nar_hash(&tree);
        Ok(store::make_source_path(&self.opts.store_dir, name, &h, &[]))
    }
}

fn path_b(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let args = ev.arg_attrs(&a[0], s)?;
    let path = match args.get(Sym::new("path")).cloned() {
        Some(t) => ev.arg_path(&t, s)?,
        None => return Err(ev.err("attribute 'path' missing", Some(s))),
    };
    let name = match args.get(Sym::new("name")).cloned() {
        Some(t) => ev.arg_str(&t, s)?,
        None => store::store_name_of(&path).to_string(),
    };
    let filter = match args.get(Sym::new("filter")).cloned() {
        Some(t) => Some(ev.force(&t)?),
        None => None,
    };
    let recursive = match args.get(Sym::new("recursive")).cloned() {
        Some(t) => ev.arg_bool(&t, s)?,
        None => true,
    };
    let sp = if recursive {
        ev.add_path_to_store(&path, &name, filter.as_ref(), s)?
    } else {
        store::check_name(&name)
            .map_err(|m| ev.err(format!("invalid store path name: {m}"), Some(s)))?;
        let data = std::fs::read(&path)
            .map_err(|e| ev.err(format!("reading '{path}': {}", io_msg(&e)), Some(s)))?;
        store::make_fixed_output_path(
            &ev.opts.store_dir,
            &name,
            false,
            "sha256",
            &store::sha256(&data),
        )
    };
    if let Some(t) = args.get(Sym::new("sha256")).cloned() {
        let want = ev.arg_str(&t, s)?;
        let (_, bytes) =
            super::hash::parse_hash(&want, Some("sha256")).map_err(|m| ev.err(m, Some(s)))?;
        let expected = if recursive {
            let mut h = [0u8; 32];
            h.copy_from_slice(&bytes);
            store::make_source_path(&ev.opts.store_dir, &name, &h, &[])
        } else {
            store::make_fixed_output_path(&ev.opts.store_dir, &name, false, "sha256", &bytes)
        };
        if expected != sp {
            return Err(ev.err(
                format!(
                    "hash mismatch in file imported from '{path}': expected {expected}, got {sp}"
                ),
                Some(s),
            ));
        }
    }
    let mut ctx = Context::new();
    ctx.insert(sp.clone());
    Ok(NixString::with_ctx(sp, ctx))
}

fn filter_source(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let f = ev.force(&a[0])?;
    let path = ev.arg_path(&a[1], s)?;
    let name = store::store_name_of(&path).to_string();
    let sp = ev.add_path_to_store(&path, &name, Some(&f), s)?;
    let mut ctx = Context::new();
    ctx.insert(sp.clone());
    Ok(NixString::with_ctx(sp, ctx))
}

fn to_file(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let name = ev.arg_str(&a[0], s)?;
    let contents = ev.force_string(&a[1], s)?;
    store::check_name(&name)
        .map_err(|m| ev.err(format!("invalid store path name: {m}"), Some(s)))?;
    let mut refs = Vec::new();
    for c in contents.ctx.iter() {
        if c.starts_with('=') || c.starts_with('!') {
            return Err(ev.err(format!("files created by builtins.toFile may not reference derivations, but {name} references {c}"), Some(s)));
        }
        refs.push(c.clone());
    }
    let sp = store::make_text_path(&ev.opts.store_dir, &name, contents.s.as_bytes(), &refs);
    ev.text_files.insert(sp.clone(), (contents.s.clone(), refs));
    let mut ctx = Context::new();
    ctx.insert(sp.clone());
    Ok(NixString::with_ctx(sp, ctx))
}

fn no_network(ev: &mut Evaluator, _a: &[Thunk], s: Span) -> EvalResult<Value> {
    Err(ev.err("fetching is not supported by nixcfg's evaluator (it never uses the network); fetch with nix and pass the store path", Some(s)))
}

pub const BUILTINS: &[Builtin] = &[
    b("import", 1, import),
    b("scopedImport", 2, scoped_import),
    b("findFile", 2, find_file_b),
    b("readFile", 1, read_file),
    b("readDir", 1, read_dir),
    b("readFileType", 1, read_file_type),
    b("pathExists", 1, path_exists),
    b("getEnv", 1, get_env),
    b("toPath", 1, to_path),
    b("storePath", 1, store_path),
    b("path", 1, path_b),
    b("filterSource", 2, filter_source),
    b("toFile", 2, to_file),
    b("fetchurl", 1, no_network),
    b("fetchTarball", 1, no_network),
    b("fetchGit", 1, no_network),
    b("fetchMercurial", 1, no_network),
    b("fetchTree", 1, no_network),
];
