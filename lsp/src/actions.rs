//! Code actions: the quick fixes of the last analysis of a document —
//! a lint's fix (as `nixcfg check --fix` applies it) and "did you mean"
//! for an undeclared option.

use crate::documents::position;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Range, TextEdit, Uri,
    WorkspaceEdit,
};
use nixcfg_compiler::diagnostic::Diagnostic;
use nixcfg_compiler::lint::Fix;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A fix for the diagnostic at `range`.
pub struct QuickFix {
    pub range: Range,
    pub title: String,
    pub edits: Vec<TextEdit>,
}

#[derive(Clone, Default)]
pub struct Actions(Arc<Mutex<HashMap<String, Vec<QuickFix>>>>);

impl Actions {
    pub fn set(&self, uri: &Uri, fixes: Vec<QuickFix>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(uri.as_str().to_string(), fixes);
    }

    /// The fixes of the diagnostics that touch the requested range.
    // lsp-types keys workspace edits by `Uri`, which clippy sees as mutable.
    #[allow(clippy::mutable_key_type)]
    pub fn for_range(&self, p: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let Some(fixes) = map.get(p.text_document.uri.as_str()) else {
            return Vec::new();
        };
        let r = p.range;
        fixes
            .iter()
            .filter(|f| f.range.start <= r.end && r.start <= f.range.end)
            .map(|f| {
                let mut changes = HashMap::new();
                changes.insert(p.text_document.uri.clone(), f.edits.clone());
                CodeActionOrCommand::CodeAction(CodeAction {
                    title: f.title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    edit: Some(WorkspaceEdit {
                        changes: Some(changes),
                        ..Default::default()
                    }),
                    is_preferred: Some(true),
                    ..Default::default()
                })
            })
            .collect()
    }
}

/// The quick fix of a diagnostic, if it has one.
pub fn quick_fix(text: &str, d: &Diagnostic, fix: Option<&Fix>, range: Range) -> Option<QuickFix> {
    if let Some(fix) = fix {
        let edits = fix
            .edits
            .iter()
            .map(|e| TextEdit {
                range: Range {
                    start: position(text, e.start as usize),
                    end: position(text, e.end as usize),
                },
                new_text: e.text.clone(),
            })
            .collect();
        return Some(QuickFix {
            range,
            title: format!("{} ({})", fix.description, d.code),
            edits,
        });
    }
    if d.code == "nixcfg::unknown-option" {
        let help = d.help.as_deref()?;
        let i = help.find("did you mean `")? + "did you mean `".len();
        let suggestion = &help[i..i + help[i..].find('\'')?];
        let last = suggestion.rsplit('.').next()?.to_string();
        return Some(QuickFix {
            range,
            title: format!("change to `{last}'"),
            edits: vec![TextEdit {
                range,
                new_text: last,
            }],
        });
    }
    None
}
