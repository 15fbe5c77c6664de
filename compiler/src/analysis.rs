//! The analysis of one file that `nixcfg check` and the language server
//! share: syntax, Nix's scope checks and lints for every file; options,
//! types and assertions for configurations (evaluated).

use crate::diagnostic::Diagnostic;
use crate::eval::{EvalOptions, Evaluator};
use crate::lint::{self, Config, Finding, Fix};
use crate::modules::options_index::OptionsIndex;
use crate::modules::static_check::{check_definitions, DeclaredOptions};
use crate::modules::{check_with, Configuration};
use crate::source::{SourceFile, SourceMap, Span};
use std::path::Path;

/// What one file's analysis found, with the sources its spans point into.
pub struct FileAnalysis {
    pub diags: Vec<(Diagnostic, Option<Fix>)>,
    pub sources: SourceMap,
}

/// The lint findings of a text (None when it does not parse).
pub fn lint_text(text: &str, config: &Config) -> Option<Vec<Finding>> {
    let parsed = crate::syntax::parse(text, crate::source::FileId(0));
    if !parsed.errors.is_empty() {
        return None;
    }
    let mut fs = lint::lint(&parsed.root, text);
    fs.retain(|f| !config.disabled(f.code));
    Some(fs)
}

fn lint_diagnostic(f: &Finding, file: crate::source::FileId) -> Diagnostic {
    let mut d = Diagnostic::new(
        f.code,
        f.message.clone(),
        Some(Span {
            file,
            start: f.start,
            end: f.end,
        }),
    )
    .with_label("here")
    .with_help(match &f.fix {
        Some(fix) => format!(
            "fix: {} (nixcfg check --fix); explained by `nixcfg explain {}`",
            fix.description, f.code
        ),
        None => format!("explained by `nixcfg explain {}`", f.code),
    });
    d.severity = f.level;
    d
}

/// Analyses `path` whose text is `text` (the file on disk, or an editor's
/// buffer given in `opts.overlays`). `evaluate`: evaluate it as a
/// configuration. `reusable`: an evaluator kept between files that are
/// not evaluated.
/// `declared`, for a file not evaluated: its definitions are checked
/// against nixcfg's declared options (unknown names, literal values of
/// the wrong type: `modules::static_check`).
#[allow(clippy::too_many_arguments)]
pub fn analyze(
    path: &Path,
    text: &str,
    evaluate: bool,
    config: &Config,
    index: Option<&OptionsIndex>,
    opts: &EvalOptions,
    reusable: &mut Option<Evaluator>,
    declared: Option<&DeclaredOptions>,
) -> FileAnalysis {
    let name = path.display().to_string();
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut sources = SourceMap::default();
    let mut errors: Vec<Diagnostic> = Vec::new();
    let mut findings = Vec::new();
    if evaluate {
        findings = lint_text(text, config).unwrap_or_default();
        match Configuration::load(path, opts.clone(), false) {
            Ok(mut cfg) => {
                errors = check_with(&mut cfg, index);
                sources = std::mem::take(&mut cfg.ev.sources);
            }
            Err(ds) => errors = ds.into_iter().flat_map(|d| d.flatten()).collect(),
        }
    } else {
        // One parse serves the scope checks and the lints.
        let ev = reusable.get_or_insert_with(|| Evaluator::new(opts.clone()));
        let file = ev.add_source(name.clone(), dir.clone(), text.into());
        let parsed = crate::syntax::parse(text, file);
        if parsed.errors.is_empty() {
            let mut fs = lint::lint(&parsed.root, text);
            fs.retain(|f| !config.disabled(f.code));
            findings = fs;
        }
        if let Err(ds) = ev.lower_parsed(file, &parsed, None) {
            errors = ds.into_iter().flat_map(|d| d.flatten()).collect();
        }
        if let (Some(declared), true) = (declared, parsed.errors.is_empty()) {
            errors.extend(check_definitions(&parsed.root, file, declared, ev));
        }
        sources = std::mem::take(&mut ev.sources);
    }
    // A lint that says it better replaces the module's assertion.
    let replaced = [
        ("nixcfg::container-name", "Container name `"),
        ("nixcfg::duplicate-id", "UIDs and GIDs must be unique"),
    ];
    for (code, text) in replaced {
        if findings.iter().any(|f| f.code == code) {
            errors.retain(|d| !(d.code == "nixcfg::assertion" && d.message.contains(text)));
        }
    }
    errors.retain(|d| !config.disabled(d.code));
    let file = match sources.find(&name) {
        Some(f) => f,
        None => sources.add(SourceFile::new(name.clone(), dir, text.into())),
    };
    let mut diags: Vec<(Diagnostic, Option<Fix>)> = errors.into_iter().map(|d| (d, None)).collect();
    diags.extend(
        findings
            .iter()
            .map(|f| (lint_diagnostic(f, file), f.fix.clone())),
    );
    FileAnalysis { diags, sources }
}
