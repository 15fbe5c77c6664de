//! The analysis of one file that `nixcfg check` and the language server
//! share: syntax, Nix's scope checks and lints for every file; options,
//! types and assertions for configurations (evaluated).

use crate::diagnostic::Diagnostic;
use crate::eval::{EvalOptions, Evaluator};
use crate::lint::{self, Config, Finding, Fix};
use crate::modules::options_index::OptionsIndex;
use crate::modules::static_check::{check_definitions_of, DeclaredOptions};
use crate::modules::{check_with, Configuration};
use crate::source::{SourceFile, SourceMap, Span};
use rowan::ast::AstNode;
use std::path::Path;

/// What one file's analysis found, with the sources its spans point into.
pub struct FileAnalysis {
    pub diags: Vec<(Diagnostic, Option<Fix>)>,
    pub sources: SourceMap,
    /// The configuration's evaluation, when `EvalOptions::keep_heap`
    /// asked for it: for a command about to exit, which leaks it.
    pub evaluation: Option<crate::modules::Configuration>,
    /// The lint findings among `diags` (the language server hands those
    /// of its first analysis to the whole check of the same text).
    pub findings: Vec<Finding>,
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

/// The evaluated mistakes of the definitions written on some lines of
/// the configuration `path` or of modules it imports: what edits there
/// changed, in a fraction of a whole check's time
/// (`modules::check_focused`). `regions`: the text of a module and the
/// lines (0-based, end exclusive) edited in it. None when a module does
/// not parse or the configuration does not load.
pub fn analyze_focused(
    path: &Path,
    regions: &[(String, std::ops::Range<usize>)],
    opts: &EvalOptions,
) -> Option<FileAnalysis> {
    let mut paths: Vec<Vec<String>> = Vec::new();
    for (text, lines) in regions {
        let parsed = crate::syntax::parse(text, crate::source::FileId(0));
        if !parsed.errors.is_empty() {
            return None;
        }
        let (start, end) = byte_range(text, lines.clone());
        paths.extend(
            crate::lint::options::definitions(&parsed.root)
                .into_iter()
                .filter(|d| {
                    let r = d.value.syntax().text_range();
                    let first = d.ranges.first().map_or(r.start(), |x| x.start());
                    usize::from(first) < end && usize::from(r.end()) > start
                })
                .map(|d| d.path),
        );
    }
    paths.dedup();
    // A configuration that does not load is the whole check's to report.
    let mut cfg = Configuration::load(path, opts.clone(), false).ok()?;
    let diags = crate::modules::check_focused(&mut cfg, &paths);
    Some(FileAnalysis {
        diags: diags.into_iter().map(|d| (d, None)).collect(),
        sources: std::mem::take(&mut cfg.ev.sources),
        evaluation: None,
        findings: Vec::new(),
    })
}

/// The byte offsets where line `lines.start` begins and `lines.end` begins.
fn byte_range(text: &str, lines: std::ops::Range<usize>) -> (usize, usize) {
    let mut starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1));
    let start = starts.nth(lines.start).unwrap_or(text.len());
    let end = if lines.end > lines.start {
        starts
            .nth(lines.end - lines.start - 1)
            .unwrap_or(text.len())
    } else {
        start
    };
    (start, end)
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
    let mut evaluation = None;
    if evaluate {
        findings = lint_text(text, config).unwrap_or_default();
        match Configuration::load(path, opts.clone(), false) {
            Ok(mut cfg) => {
                errors = check_with(&mut cfg, index);
                sources = std::mem::take(&mut cfg.ev.sources);
                if opts.keep_heap {
                    evaluation = Some(cfg);
                }
            }
            Err(ds) => errors = ds.into_iter().flat_map(|d| d.flatten()).collect(),
        }
    } else {
        // One parse serves the scope checks and the lints.
        let ev = reusable.get_or_insert_with(|| Evaluator::new(opts.clone()));
        ev.heap.make_current();
        let file = ev.add_source(name.clone(), dir.clone(), text.into());
        let parsed = ev.last_parse.parse(&name, text, file);
        // The module's definitions, read once for the lints and the
        // static option checks.
        let defs = parsed
            .errors
            .is_empty()
            .then(|| crate::lint::options::definitions(&parsed.root));
        if let Some(defs) = &defs {
            let mut fs = lint::lint_with_definitions(&parsed.root, text, defs);
            fs.retain(|f| !config.disabled(f.code));
            findings = fs;
        }
        if let Err(ds) = ev.lower_parsed(file, &parsed, None) {
            errors = ds.into_iter().flat_map(|d| d.flatten()).collect();
        }
        if let (Some(declared), Some(defs)) = (declared, &defs) {
            errors.extend(check_definitions_of(defs, file, declared, ev));
        }
        sources = std::mem::take(&mut ev.sources);
    }
    finish(path, text, config, errors, findings, sources, evaluation)
}

/// `analyze` of a configuration, evaluated in the evaluator of its check
/// before where that is sound (`incremental`): the language server's
/// whole-configuration diagnostics after an edit. `lints`, asked once the
/// check is done: the lint findings of the same text, if computed already.
pub fn analyze_configuration(
    path: &Path,
    text: &str,
    config: &Config,
    opts: &EvalOptions,
    kept: &mut crate::incremental::IncrementalCheck,
    lints: impl FnOnce() -> Option<Vec<Finding>>,
) -> FileAnalysis {
    let (errors, sources) = kept.check(path, text, opts);
    // Else the lints on the tree the check parsed.
    let findings = match (lints(), kept.last_tree()) {
        (Some(fs), _) => fs,
        (None, Some(root)) => {
            let mut fs = lint::lint(root, text);
            fs.retain(|f| !config.disabled(f.code));
            fs
        }
        (None, None) => Vec::new(),
    };
    finish(path, text, config, errors, findings, sources, None)
}

/// What both analyses end with: lints that replace assertions, disabled
/// codes, the lint findings as diagnostics.
fn finish(
    path: &Path,
    text: &str,
    config: &Config,
    mut errors: Vec<Diagnostic>,
    findings: Vec<Finding>,
    mut sources: SourceMap,
    evaluation: Option<Configuration>,
) -> FileAnalysis {
    let name = path.display().to_string();
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
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
    FileAnalysis {
        diags,
        sources,
        evaluation,
        findings,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_range_of_lines() {
        let t = "a\nbb\nccc\n";
        assert_eq!(super::byte_range(t, 0..1), (0, 2));
        assert_eq!(super::byte_range(t, 1..3), (2, 9));
        assert_eq!(super::byte_range(t, 2..2), (5, 5));
        assert_eq!(super::byte_range(t, 5..6), (t.len(), t.len()));
    }
}
