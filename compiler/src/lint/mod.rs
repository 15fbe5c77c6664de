//! Lints of `nixcfg check`: findings beyond errors, each with a code, a
//! level, a page (`nixcfg explain CODE`, docs/lints/) and, where it is
//! safe, a fix. They work on the syntax tree, so every `.nix` file is
//! linted in milliseconds, evaluated or not. One file per rule.

mod container_name;
mod description;
mod duplicate_id;
mod mkdir_mode;
pub mod options;
mod passwords;
mod renamed;
mod suppress;
mod unused;

pub use unused::{name_uses, names_at};

use crate::diagnostic::Severity;

pub use suppress::{is_suppressed, Config};

/// A text replacement: bytes `start..end` become `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: u32,
    pub end: u32,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Fix {
    pub description: String,
    pub edits: Vec<Edit>,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub code: &'static str,
    pub level: Severity,
    pub message: String,
    pub start: u32,
    pub end: u32,
    pub fix: Option<Fix>,
}

impl Finding {
    fn new(
        code: &'static str,
        level: Severity,
        message: String,
        range: rowan::TextRange,
    ) -> Finding {
        Finding {
            code,
            level,
            message,
            start: range.start().into(),
            end: range.end().into(),
            fix: None,
        }
    }
    fn with_fix(mut self, description: impl Into<String>, edits: Vec<Edit>) -> Finding {
        self.fix = Some(Fix {
            description: description.into(),
            edits,
        });
        self
    }
}

/// Every lint code, with its one-line summary (the pages are in
/// docs/lints/CODE.md).
pub const CODES: &[(&str, &str)] = &[
    (
        "nixcfg::unused-binding",
        "a `let` binding that nothing uses",
    ),
    (
        "nixcfg::unused-formal",
        "a function argument that nothing uses",
    ),
    ("nixcfg::unused-with", "a `with` whose names nothing uses"),
    (
        "nixcfg::unit-description-case",
        "a systemd unit description that does not capitalise each word",
    ),
    (
        "nixcfg::empty-password",
        "a user who can log in with an empty password",
    ),
    ("nixcfg::renamed-option", "an option NixOS has renamed"),
    ("nixcfg::mkdir-mode", "`mkdir -m` in a unit script"),
    (
        "nixcfg::duplicate-id",
        "two users or groups with the same id",
    ),
    (
        "nixcfg::container-name",
        "a container name NixOS cannot use",
    ),
    (
        "nixcfg::clear-text-password",
        "a password written in clear text",
    ),
];

/// Lints a parsed file.
pub fn lint(root: &rnix::Root, text: &str) -> Vec<Finding> {
    lint_with_definitions(root, text, &options::definitions(root))
}

/// `lint`, with the module's option definitions read already
/// (`options::definitions`: the static option checks read the same).
pub fn lint_with_definitions(root: &rnix::Root, text: &str, defs: &[options::Def]) -> Vec<Finding> {
    let mut out = Vec::new();
    unused::check(root, &mut out);
    description::check(defs, &mut out);
    renamed::check(defs, &mut out);
    mkdir_mode::check(defs, &mut out);
    passwords::check(defs, &mut out);
    duplicate_id::check(defs, &mut out);
    container_name::check(defs, &mut out);
    out.retain(|f| !is_suppressed(text, f));
    out.sort_by_key(|f| (f.start, f.code));
    out
}

/// Applies the fixes of `findings` to `text` (overlapping fixes after the
/// first are left for the next run).
pub fn apply_fixes(text: &str, findings: &[Finding]) -> (String, usize) {
    let mut edits: Vec<&Edit> = Vec::new();
    let mut applied = 0;
    for f in findings {
        let Some(fix) = &f.fix else { continue };
        let overlaps = fix.edits.iter().any(|e| {
            edits
                .iter()
                .any(|x| e.start < x.end.max(x.start + 1) && x.start < e.end.max(e.start + 1))
        });
        if overlaps {
            continue;
        }
        edits.extend(fix.edits.iter());
        applied += 1;
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.start));
    let mut out = text.to_string();
    for e in edits {
        out.replace_range(e.start as usize..e.end as usize, &e.text);
    }
    (out, applied)
}
