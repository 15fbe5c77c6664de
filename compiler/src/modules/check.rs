//! Checking a configuration: every independent mistake in one run.
//!
//! Each option is evaluated on its own, so one bad definition does not
//! hide the others; undeclared options and failed assertions are reported
//! one by one, each at the line that made it.

use super::options_index::{check_definition, Finding, OptionsIndex};
use super::{position, Configuration};
use crate::diagnostic::Diagnostic;
use crate::eval::Value;
use crate::source::Span;
use std::path::Path;

/// Every error of the configuration, located where possible.
pub fn check(cfg: &mut Configuration) -> Vec<Diagnostic> {
    check_with(cfg, None)
}

/// `check`, with a NixOS option index for the options nixcfg does not
/// compile (`--options-json`).
pub fn check_with(cfg: &mut Configuration, index: Option<&OptionsIndex>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // `NIXCFG_PHASES=1`: what each part of the check took (profiling).
    let phases = std::env::var_os("NIXCFG_PHASES").is_some();
    let mut t = std::time::Instant::now();
    let mut lap = |what: &str| {
        if phases {
            eprintln!("phase {what}: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
            t = std::time::Instant::now();
        }
    };
    unknown_options(cfg, index, &mut out);
    lap("unknown options");
    let options = match cfg.field("options") {
        Ok(o) => o,
        Err(e) => {
            out.extend(e.into_diagnostic().flatten());
            return out;
        }
    };
    let mut seen = std::collections::HashSet::new();
    walk(cfg, &options, &mut Vec::new(), &mut out, &mut seen);
    lap("walk");
    assertions(cfg, &options, "", &mut out);
    lap("assertions");
    // Each container is a system of its own, with its own assertions.
    if let Ok(config) = cfg.field("config") {
        if let Ok(Some(Value::Attrs(cs))) = cfg.get(&config, "containers") {
            let cs: Vec<_> = cs
                .entries
                .iter()
                .map(|e| (e.name, e.value.clone()))
                .collect();
            for (name, c) in cs {
                let inner = container_evaluation(cfg, &c)
                    .and_then(|e| cfg.get(&e, "options").ok().flatten());
                if let Some(opts) = inner {
                    assertions(
                        cfg,
                        &opts,
                        &format!("container {}: ", name.as_str()),
                        &mut out,
                    );
                }
            }
        }
    }
    lap("containers");
    out
}

/// The mistakes of the options that `paths` define (option paths, as
/// written in a configuration: `users.users.alice.uid`), for an editor
/// that wants the consequences of one edit before the whole check: each
/// path's option is evaluated, and of a set of submodule instances
/// (`users.users`) only the instance named. Assertions and undeclared
/// names are left to `check`: they read the whole configuration.
pub fn check_focused(cfg: &mut Configuration, paths: &[Vec<String>]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let options = match cfg.field("options") {
        Ok(o) => o,
        Err(e) => return e.into_diagnostic().flatten(),
    };
    let mut seen = std::collections::HashSet::new();
    let mut done = std::collections::HashSet::new();
    for path in paths {
        // Down the declarations to the option that holds the path.
        let mut node = options.clone();
        let mut at = 0;
        let found = loop {
            match cfg.is_option(&node) {
                Ok(true) => break true,
                Ok(false) => {}
                Err(_) => break false,
            }
            let Some(name) = path.get(at) else {
                break false;
            };
            match cfg.get(&node, name) {
                Ok(Some(next)) => node = next,
                _ => break false,
            }
            at += 1;
        };
        if !found {
            continue;
        }
        let instance = path.get(at).cloned();
        if !done.insert((path[..at].to_vec(), instance.clone())) {
            continue;
        }
        let errors = match (cfg.get(&node, "value"), &instance) {
            (Ok(Some(v @ Value::Attrs(_))), Some(name)) => match cfg.get(&v, name) {
                Ok(Some(x)) => cfg.ev.force_deep(&x).err().into_iter().collect(),
                Ok(None) => Vec::new(),
                Err(e) => vec![e],
            },
            (Ok(Some(v)), _) => force_each(cfg, &v),
            (Ok(None), _) => Vec::new(),
            (Err(e), _) => vec![e],
        };
        for e in errors {
            report_option_error(cfg, &node, &path[..at], e, &mut out, &mut seen);
        }
    }
    out
}

/// The `evalModules` result of a container's own system.
fn container_evaluation(cfg: &mut Configuration, container: &crate::eval::Thunk) -> Option<Value> {
    let c = cfg.thunk_value(container).ok()?;
    let config = cfg.get(&c, "config").ok()??;
    let f = cfg.get(&config, "_nixcfgEvaluation").ok()??;
    cfg.ev
        .call_value(f, crate::eval::Thunk::Val(Value::Null), None)
        .ok()
}

fn span_of(cfg: &mut Configuration, pos: &Value) -> Option<Span> {
    let (f, l, c) = position(cfg, pos)?;
    cfg.ev.sources.span_at(&f, l, c)
}

/// Option paths under which every option is declared (from the embedded
/// modules): an undeclared option there is a mistake; elsewhere it is an
/// option nixcfg does not compile.
pub fn closed_namespaces(cfg: &mut Configuration) -> Vec<Vec<String>> {
    let Ok(config) = cfg.field("config") else {
        return Vec::new();
    };
    let Ok(Some(v)) = cfg.select_path(config, &["_nixcfg".into(), "closedNamespaces".into()])
    else {
        return Vec::new();
    };
    cfg.to_json_text(&v)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// A definition nixcfg does not compile, checked against NixOS's index.
fn against_index(
    cfg: &mut Configuration,
    index: &OptionsIndex,
    path: &[String],
    value: &Value,
    span: Option<Span>,
    out: &mut Vec<Diagnostic>,
) {
    let mut findings = Vec::new();
    if let Err(e) = check_definition(&mut cfg.ev, index, path, value, &mut findings) {
        out.extend(e.into_diagnostic().flatten());
        return;
    }
    // The line of the option's last name, inside the definition.
    let locate = |cfg: &Configuration, name: &str| -> Option<Span> {
        let s = span?;
        let last = name.rsplit('.').next()?;
        let f = cfg.ev.sources.get(s.file);
        let at = find_word(&f.text[s.start as usize..], last)?;
        let start = s.start + at as u32;
        Some(Span {
            file: s.file,
            start,
            end: start + last.len() as u32,
        })
    };
    for f in findings {
        match f {
            Finding::Known(name) => out.push(
                Diagnostic::new(
                    "nixcfg::not-compiled",
                    format!("The option `{name}' is declared by NixOS but not compiled by nixcfg: its definition has the right type and is ignored."),
                    locate(cfg, &name).or(span),
                )
                .with_label("ignored definition")
                .warning(),
            ),
            Finding::Unknown(p, siblings) => {
                let name = super::options_index::show_path(&p);
                let mut d = Diagnostic::new(
                    "nixcfg::unknown-option",
                    format!("The option `{name}' does not exist (neither nixcfg nor the NixOS option index declares it)."),
                    locate(cfg, &name).or(span),
                )
                .with_label("not declared by any module");
                let names: Vec<&str> = siblings.iter().map(String::as_str).collect();
                if let Some(s) = crate::eval::builtins::suggest(p.last().map(String::as_str).unwrap_or(""), &names) {
                    let mut full = p[..p.len() - 1].to_vec();
                    full.push(s.to_string());
                    d = d.with_help(format!("did you mean `{}'?", super::options_index::show_path(&full)));
                }
                out.push(d);
            }
            Finding::Mismatch(name, ty) => out.push(
                Diagnostic::new(
                    "nixcfg::type-mismatch",
                    format!("A definition for option `{name}' is not of type `{ty}' (the type NixOS declares)."),
                    locate(cfg, &name).or(span),
                )
                .with_label(format!("definition of `{name}'")),
            ),
        }
    }
}

/// Whether the options beside `path` come from the user's own modules: a
/// misspelling there is a mistake, not an option nixcfg leaves out.
fn declared_by_user(cfg: &mut Configuration, options: Option<&Value>, path: &[String]) -> bool {
    let Some(options) = options else { return false };
    let Some((_, parent)) = path.split_last() else {
        return false;
    };
    let Ok(Some(Value::Attrs(siblings))) = cfg.select_path(options.clone(), parent) else {
        return false;
    };
    let siblings: Vec<_> = siblings.entries.iter().map(|e| e.value.clone()).collect();
    for t in siblings.iter().take(32) {
        let Ok(v) = cfg.thunk_value(t) else { continue };
        if !matches!(cfg.is_option(&v), Ok(true)) {
            continue;
        }
        if let Ok(Some(Value::List(ds))) = cfg.get(&v, "declarations") {
            for d in ds.iter() {
                if let Ok(Value::String(f)) = cfg.thunk_value(d) {
                    if !f.s.contains("/embedded-") {
                        return true;
                    }
                }
            }
        }
    }
    false
}

fn unknown_options(
    cfg: &mut Configuration,
    index: Option<&OptionsIndex>,
    out: &mut Vec<Diagnostic>,
) {
    let result = cfg.result.clone();
    let Ok(Some(Value::List(mut defs))) = cfg.get(&result, "_nixcfgUnmatched") else {
        return;
    };
    // Containers' own configurations collect theirs separately.
    if let Ok(config) = cfg.field("config") {
        if let Ok(Some(Value::Attrs(cs))) = cfg.get(&config, "containers") {
            let names: Vec<_> = cs.entries.iter().map(|e| e.value.clone()).collect();
            let mut all: Vec<_> = defs.0.clone();
            for c in names {
                let Some(inner) = container_evaluation(cfg, &c) else {
                    continue;
                };
                if let Ok(Some(Value::List(l))) = cfg.get(&inner, "_nixcfgUnmatched") {
                    all.extend(l.iter().cloned());
                }
            }
            defs = std::rc::Rc::new(crate::eval::value::List(all));
        }
    }
    let closed = closed_namespaces(cfg);
    let options = cfg.field("options").ok();
    for t in defs.iter() {
        let Ok(d) = cfg.thunk_value(t) else { continue };
        let prefix: Vec<String> = match cfg.get(&d, "prefix") {
            Ok(Some(Value::List(l))) => l
                .iter()
                .filter_map(|t| match cfg.thunk_value(t) {
                    Ok(Value::String(s)) => Some(s.s.clone()),
                    _ => None,
                })
                .collect(),
            _ => continue,
        };
        let name = prefix.join(".");
        let span = match cfg.get(&d, "pos") {
            Ok(Some(p @ Value::Attrs(_))) => span_of(cfg, &p),
            _ => None,
        };
        // Inside a container, the namespaces are those of its own config.
        let local: &[String] = match prefix.iter().position(|p| p == "config") {
            Some(i) if prefix.first().is_some_and(|p| p == "containers") => &prefix[i + 1..],
            _ => &prefix,
        };
        let is_closed = closed
            .iter()
            .any(|ns| ns.len() <= local.len() && local[..ns.len()] == ns[..]);
        if !is_closed && !closed.is_empty() && !declared_by_user(cfg, options.as_ref(), &prefix) {
            if let Some(index) = index {
                let value = cfg.get(&d, "value").ok().flatten().unwrap_or(Value::Null);
                against_index(cfg, index, local, &value, span, out);
                continue;
            }
            out.push(
                Diagnostic::new(
                    "nixcfg::not-compiled",
                    format!("The option `{name}' is not compiled by nixcfg: no module declares it, so the definition is ignored."),
                    span,
                )
                .with_label("ignored definition")
                .with_help("nixcfg compiles a subset of NixOS (docs/options.md); `--options-json` with NixOS's options.json type-checks the other options")
                .warning(),
            );
            continue;
        }
        let mut diag = Diagnostic::new(
            "nixcfg::unknown-option",
            format!("The option `{name}' does not exist."),
            span,
        )
        .with_label("not declared by any module");
        // "Did you mean" among the options declared beside it.
        if let Some(opts) = &options {
            if let Ok(Some(Value::Attrs(a))) =
                cfg.select_path(opts.clone(), &prefix[..prefix.len() - 1])
            {
                {
                    let names: Vec<&str> = a
                        .entries
                        .iter()
                        .map(|e| e.name.as_str())
                        .filter(|n| !n.starts_with('_'))
                        .collect();
                    if let Some(s) = crate::eval::builtins::suggest(
                        prefix.last().map(String::as_str).unwrap_or(""),
                        &names,
                    ) {
                        let mut full = prefix[..prefix.len() - 1].to_vec();
                        full.push(s.to_string());
                        diag = diag.with_help(format!("did you mean `{}'?", full.join(".")));
                    }
                }
            }
        }
        out.push(diag);
    }
}

fn walk(
    cfg: &mut Configuration,
    node: &Value,
    path: &mut Vec<String>,
    out: &mut Vec<Diagnostic>,
    seen: &mut std::collections::HashSet<String>,
) {
    let Value::Attrs(a) = node else { return };
    let entries: Vec<_> = a
        .entries
        .iter()
        .map(|e| (e.name, e.value.clone()))
        .collect();
    for (name, t) in entries {
        // Assertions read other options: they are checked last, by
        // `assertions`, so that each mistake is reported by its owner.
        if path.is_empty() && matches!(name.as_str(), "_module" | "assertions" | "warnings") {
            continue;
        }
        let v = match cfg.thunk_value(&t) {
            Ok(v) => v,
            Err(e) => {
                push_unique(out, seen, e.into_diagnostic());
                continue;
            }
        };
        path.push(name.as_str().to_string());
        let started = std::time::Instant::now();
        match cfg.is_option(&v) {
            Ok(true) => {
                check_option(cfg, &v, path, out, seen);
                // With `NIXCFG_PHASES`, the options that took longest.
                let took = started.elapsed().as_secs_f64() * 1e3;
                if took > 3.0 && std::env::var_os("NIXCFG_PHASES").is_some() {
                    eprintln!("  option {}: {took:.1} ms", path.join("."));
                }
            }
            Ok(false) => walk(cfg, &v, path, out, seen),
            Err(e) => push_unique(out, seen, e.into_diagnostic()),
        }
        path.pop();
    }
}

/// A stable code for the module system's own messages.
fn classify(message: &str) -> Option<&'static str> {
    Some(if message.contains("is not of type") {
        "nixcfg::type-mismatch"
    } else if message.contains("conflicting definition values")
        || message.contains("defined multiple times while it's expected to be unique")
    {
        "nixcfg::conflicting-definitions"
    } else if message.contains("is read-only, but it's set multiple times") {
        "nixcfg::read-only"
    } else if message.contains("was accessed but has no value defined") {
        "nixcfg::used-but-not-defined"
    } else {
        return None;
    })
}

/// The option a module-system message is about: "option `a.b'".
fn named_option(message: &str) -> Option<String> {
    let i = message.find("option `")? + "option `".len();
    let rest = &message[i..];
    let j = rest.find('\'')?;
    Some(rest[..j].to_string())
}

fn push_unique(
    out: &mut Vec<Diagnostic>,
    seen: &mut std::collections::HashSet<String>,
    d: Diagnostic,
) {
    if seen.insert(d.message.clone()) {
        out.push(d);
    }
}

/// Where a user's file names the missing file of an "opening file 'P':
/// No such file or directory" error: the string `"P"`, or the path
/// literal `./R` in the file's directory that resolves to P.
fn missing_file_literal(cfg: &Configuration, message: &str) -> Option<Span> {
    let rest = message.strip_prefix("opening file '")?;
    let (missing, why) = rest.split_once("': ")?;
    if !why.starts_with("No such file") {
        return None;
    }
    let mut seen = std::collections::HashSet::new();
    let files: Vec<_> = cfg.ev.sources.files().enumerate().collect();
    // The newest text of each user's file (a kept evaluator re-adds them).
    for (i, f) in files.into_iter().rev() {
        if !f.name.starts_with('/') || f.name.contains("/embedded-") || !seen.insert(&f.name) {
            continue;
        }
        let relative = Path::new(missing)
            .strip_prefix(&f.dir)
            .ok()
            .map(|r| format!("./{}", r.display()));
        let quoted = format!("\"{missing}\"");
        let found = f
            .text
            .match_indices(&quoted)
            .next()
            .map(|(at, _)| (at + 1, missing.len()));
        let found = found.or_else(|| {
            let r = relative.as_deref()?;
            // A whole path literal: not the start of a longer one.
            f.text
                .match_indices(r)
                .find(|(at, _)| {
                    !f.text[at + r.len()..]
                        .starts_with(|c: char| c.is_alphanumeric() || "._-+/".contains(c))
                })
                .map(|(at, _)| (at, r.len()))
        });
        if let Some((start, len)) = found {
            return Some(Span {
                file: crate::source::FileId(i as u32),
                start: start as u32,
                end: (start + len) as u32,
            });
        }
    }
    None
}

/// Whether a span lies in nixcfg's own embedded files (not the user's).
fn in_library(cfg: &Configuration, span: Option<Span>) -> bool {
    match span {
        Some(s) => cfg.ev.sources.get(s.file).name.contains("/embedded-"),
        None => true,
    }
}

fn check_option(
    cfg: &mut Configuration,
    opt: &Value,
    path: &[String],
    out: &mut Vec<Diagnostic>,
    seen: &mut std::collections::HashSet<String>,
) {
    let errors = match cfg.get(opt, "value") {
        Ok(Some(v)) => force_each(cfg, &v),
        Ok(None) => return,
        Err(e) => vec![e],
    };
    for e in errors {
        report_option_error(cfg, opt, path, e, out, seen);
    }
}

/// Forces a value completely; a set attribute by attribute, so that a
/// mistake in one submodule instance does not hide another's.
fn force_each(cfg: &mut Configuration, v: &Value) -> Vec<crate::eval::EvalError> {
    let entries: Vec<_> = match cfg.ev.force(&crate::eval::Thunk::value(v.clone())) {
        Ok(Value::Attrs(a)) => a.entries.iter().map(|e| e.value.clone()).collect(),
        Ok(other) => return cfg.ev.force_deep(&other).err().into_iter().collect(),
        Err(e) => return vec![e],
    };
    let mut errors = Vec::new();
    for t in entries {
        let r = cfg.ev.force(&t).and_then(|x| cfg.ev.force_deep(&x));
        if let Err(e) = r {
            errors.push(e);
        }
    }
    errors
}

fn report_option_error(
    cfg: &mut Configuration,
    opt: &Value,
    path: &[String],
    e: crate::eval::EvalError,
    out: &mut Vec<Diagnostic>,
    seen: &mut std::collections::HashSet<String>,
) {
    let mut d = e.into_diagnostic();
    let me = path.join(".");
    if let Some(other) = named_option(&d.message) {
        if other != me {
            // An undeclared option inside this option's submodules (a
            // user's `extraGrops`) is reported here, at its own line.
            if let Some(inner) = other.strip_prefix(&format!("{me}.")) {
                let diag = if d.message.contains("does not exist") {
                    unknown_in_submodule(cfg, opt, &other, inner, &d.message)
                } else {
                    // A mistake in a submodule instance's definition (a
                    // user's `isNormalUser = "yes"`): nothing else
                    // checks the instances' options, so it is reported
                    // here, at that definition.
                    let mut diag = d.clone();
                    diag.span = locate_in_definitions(cfg, opt, inner).or(diag.span);
                    diag.label = Some(format!("definition of `{other}'"));
                    diag.trace.retain(|(_, s)| !in_library(cfg, *s));
                    diag.code = classify(&diag.message).unwrap_or(diag.code);
                    diag
                };
                push_unique(out, seen, diag);
            }
            // Otherwise it is another option's mistake, met while
            // computing this one: its owner reports it.
            return;
        }
    }
    if d.message.contains("was accessed but has no value defined") && !path.is_empty() {
        // Reading an undefined option is an error only where it is read.
        return;
    }
    // A file that does not exist, read by library code (a user's
    // `openssh.authorizedKeys.keyFiles`): point at where the user names it.
    if let Some(at) = in_library(cfg, d.span)
        .then(|| missing_file_literal(cfg, &d.message))
        .flatten()
    {
        d.span = Some(at);
        d.label = Some("this file does not exist".into());
        d.help = Some(format!(
            "it is read to compute `{me}'; create the file or correct the path"
        ));
        d.trace.clear();
        d.code = classify(&d.message).unwrap_or(d.code);
        push_unique(out, seen, d);
        return;
    } else if in_library(cfg, d.span) {
        // A mistake in a definition: point at the user's definitions
        // instead of the library line that noticed it.
        let defs = definition_spans(cfg, opt);
        if let Some(first) = defs.first() {
            d.span = Some(*first);
            d.label = Some(format!("definition of `{}'", path.join(".")));
        }
        // Name every line that defines the option.
        if defs.len() > 1 {
            let lines: Vec<String> = defs
                .iter()
                .map(|s| {
                    let f = cfg.ev.sources.get(s.file);
                    let (l, c) = f.line_col(s.start);
                    format!("{}:{l}:{c}", f.name)
                })
                .collect();
            d.help = Some(format!("it is defined at {}", lines.join(", ")));
        }
    }
    if let Ok(Some(Value::List(ps))) = cfg.get(opt, "declarationPositions") {
        if let Some(t) = ps.first() {
            if let Ok(p) = cfg.thunk_value(t) {
                if let Some((f, l, c)) = position(cfg, &p) {
                    let note = format!("the option is declared at {f}:{l}:{c}");
                    d.help = Some(match d.help.take() {
                        Some(h) => format!("{h}\n{note}"),
                        None => note,
                    });
                }
            }
        }
    }
    d.trace.retain(|(_, s)| !in_library(cfg, *s));
    d.code = classify(&d.message).unwrap_or(d.code);
    push_unique(out, seen, d);
}

/// "The option `a.b.c' does not exist" thrown by a submodule: located at
/// the misspelt name inside the definitions of the option that holds it.
fn unknown_in_submodule(
    cfg: &mut Configuration,
    opt: &Value,
    name: &str,
    inner: &str,
    message: &str,
) -> Diagnostic {
    let span = locate_in_definitions(cfg, opt, inner);
    let mut d = Diagnostic::new(
        "nixcfg::unknown-option",
        format!("The option `{name}' does not exist."),
        span,
    )
    .with_label("not declared by any module");
    if let Some(i) = message.find("Did you mean `") {
        let rest = &message[i + "Did you mean `".len()..];
        if let Some(j) = rest.find('\'') {
            d = d.with_help(format!("did you mean `{}'?", &rest[..j]));
        }
    }
    d
}

/// Where `inner` (`alice.extraGroups`: names below the option `opt`) is
/// written in the definitions of `opt`: each name found after the one
/// before it, so that the right instance's line is named; else where
/// the last name first occurs.
fn locate_in_definitions(cfg: &mut Configuration, opt: &Value, inner: &str) -> Option<Span> {
    let names: Vec<&str> = inner.split('.').collect();
    let last = *names.last()?;
    let spans = definition_spans(cfg, opt);
    let at = |s: &Span, off: usize| Span {
        file: s.file,
        start: s.start + off as u32,
        end: s.start + (off + last.len()) as u32,
    };
    for s in &spans {
        let text = &cfg.ev.sources.get(s.file).text[s.start as usize..];
        let mut from = 0;
        let mut found = None;
        for n in &names {
            match find_word(&text[from..], n) {
                Some(i) => {
                    found = Some(from + i);
                    from += i + n.len();
                }
                None => {
                    found = None;
                    break;
                }
            }
        }
        if let Some(off) = found {
            return Some(at(s, off));
        }
    }
    spans.iter().find_map(|s| {
        let text = &cfg.ev.sources.get(s.file).text[s.start as usize..];
        find_word(text, last).map(|off| at(s, off))
    })
}

/// The first occurrence of `word` in `text` not inside a longer name.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '\'';
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let at = from + i;
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        if !before.is_some_and(is_name) && !after.is_some_and(is_name) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// Spans of an option's definitions, those of the winning priority first.
fn definition_spans(cfg: &mut Configuration, opt: &Value) -> Vec<Span> {
    let best = match cfg.get(opt, "highestPrio") {
        Ok(Some(Value::Int(i))) => Some(i),
        _ => None,
    };
    let mut won = Vec::new();
    let mut rest = Vec::new();
    if let Ok(Some(Value::List(ds))) = cfg.get(opt, "definitionsWithPriorities") {
        for t in ds.iter() {
            let Ok(d) = cfg.thunk_value(t) else { continue };
            let prio = match cfg.get(&d, "priority") {
                Ok(Some(Value::Int(i))) => Some(i),
                _ => None,
            };
            let Ok(Some(p @ Value::Attrs(_))) = cfg.get(&d, "pos") else {
                continue;
            };
            if let Some(s) = span_of(cfg, &p) {
                if prio == best {
                    won.push(s)
                } else {
                    rest.push(s)
                }
            }
        }
    }
    won.extend(rest);
    won
}

fn assertions(cfg: &mut Configuration, options: &Value, system: &str, out: &mut Vec<Diagnostic>) {
    let Ok(Some(opt)) = cfg.get(options, "assertions") else {
        return;
    };
    if !matches!(cfg.is_option(&opt), Ok(true)) {
        return;
    }
    let Ok(Some(Value::List(list))) = cfg.get(&opt, "value") else {
        return;
    };
    let spans = definition_spans(cfg, &opt);
    for t in list.iter() {
        let Ok(a) = cfg.thunk_value(t) else { continue };
        let holds = match cfg.get(&a, "assertion") {
            Ok(Some(Value::Bool(b))) => b,
            Ok(_) => true,
            Err(e) => {
                // A mistake in an option the assertion reads is reported
                // by that option (named, or met there already).
                let reported = out.iter().any(|d| d.message == e.diag.message);
                if named_option(&e.diag.message).is_none() && !reported {
                    out.extend(e.into_diagnostic().flatten());
                }
                continue;
            }
        };
        if holds {
            continue;
        }
        let message = match cfg.get(&a, "message") {
            Ok(Some(Value::String(s))) => s.s.trim_end().to_string(),
            _ => "assertion failed".into(),
        };
        let mut span = find_assertion_span(cfg, &message, &spans);
        let mut label = "assertion defined here";
        if in_library(cfg, span) {
            // nixcfg's own assertion: point at the user's definition the
            // message names (`users.users.alice.group …`), if any.
            span = mentioned_definition(cfg, options, &message);
            label = "the definition the assertion is about";
        }
        out.push(
            Diagnostic::new(
                "nixcfg::assertion",
                format!("{system}Failed assertion: {message}"),
                span,
            )
            .with_label(label),
        );
    }
}

/// Where the user defines an option a message names: the first dotted
/// word that leads through `options` to an option with definitions in the
/// user's files (for `users.users.alice.group`, the name `alice` inside
/// the definition of `users.users`).
fn mentioned_definition(cfg: &mut Configuration, options: &Value, message: &str) -> Option<Span> {
    let words = message
        .split(|c: char| c.is_whitespace() || "`'\",;:()".contains(c))
        .filter(|w| w.contains('.') && !w.starts_with('.'));
    for word in words {
        let parts: Vec<&str> = word.trim_end_matches('.').split('.').collect();
        let mut node = options.clone();
        for (i, p) in parts.iter().enumerate() {
            let Ok(Some(next)) = cfg.get(&node, p) else {
                break;
            };
            if matches!(cfg.is_option(&next), Ok(true)) {
                let rest = parts.get(i + 1);
                for s in definition_spans(cfg, &next) {
                    if in_library(cfg, Some(s)) {
                        continue;
                    }
                    let Some(name) = rest else { return Some(s) };
                    let f = cfg.ev.sources.get(s.file);
                    if let Some(at) = find_word(&f.text[s.start as usize..], name) {
                        let start = s.start + at as u32;
                        return Some(Span {
                            file: s.file,
                            start,
                            end: start + name.len() as u32,
                        });
                    }
                }
                break;
            }
            node = next;
        }
    }
    None
}

/// The definition of `assertions` whose text holds the message, if any.
fn find_assertion_span(cfg: &Configuration, message: &str, spans: &[Span]) -> Option<Span> {
    let needle: String = message.chars().take(24).collect();
    for s in spans {
        let f = cfg.ev.sources.get(s.file);
        let rest = &f.text[s.start as usize..];
        if let Some(i) = rest.find(&needle) {
            let start = s.start + i as u32;
            return Some(Span {
                file: s.file,
                start,
                end: start + needle.len() as u32,
            });
        }
    }
    spans.first().copied()
}
