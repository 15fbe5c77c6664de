//! Navigation: go to the definition of a name (its `let` binding, function
//! argument or `rec` attribute) or of an imported path; references of a
//! binding; the document's symbols (the options it defines).

use crate::documents::{offset, path_of, position, Documents};
use lsp_types::{
    DocumentSymbolParams, DocumentSymbolResponse, GotoDefinitionParams, GotoDefinitionResponse,
    Location, Range, ReferenceParams, SymbolInformation, SymbolKind, Uri,
};
use rowan::ast::AstNode;
use rowan::TextRange;

fn range(text: &str, r: TextRange) -> Range {
    Range {
        start: position(text, r.start().into()),
        end: position(text, r.end().into()),
    }
}

fn uri_of(path: &std::path::Path) -> Option<Uri> {
    format!("file://{}", path.display()).parse().ok()
}

pub fn definition(docs: &Documents, p: &GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
    let uri = &p.text_document_position_params.text_document.uri;
    let doc = docs.get(uri)?;
    let at = offset(&doc.text, p.text_document_position_params.position) as u32;
    let root = rnix::Root::parse(&doc.text).tree();
    // A name: its binding.
    let hit = nixcfg_compiler::lint::name_uses(&root)
        .into_iter()
        .find(|(u, _)| u.contains_inclusive(at.into()));
    if let Some((_, def)) = hit {
        return Some(GotoDefinitionResponse::Scalar(Location {
            uri: uri.clone(),
            range: range(&doc.text, def),
        }));
    }
    // A relative path: the file (or its default.nix).
    let token = root.syntax().token_at_offset(at.into()).right_biased()?;
    let node = token
        .parent_ancestors()
        .find(|n| n.kind() == rnix::SyntaxKind::NODE_PATH_REL)?;
    let rel = node.text().to_string();
    let base = path_of(uri.as_str())?.parent()?.to_path_buf();
    let mut target = base.join(rel);
    if target.is_dir() {
        target.push("default.nix");
    }
    let target = std::fs::canonicalize(target).ok()?;
    Some(GotoDefinitionResponse::Scalar(Location {
        uri: uri_of(&target)?,
        range: Range::default(),
    }))
}

pub fn references(docs: &Documents, p: &ReferenceParams) -> Option<Vec<Location>> {
    let uri = &p.text_document_position.text_document.uri;
    let doc = docs.get(uri)?;
    let at = offset(&doc.text, p.text_document_position.position) as u32;
    let root = rnix::Root::parse(&doc.text).tree();
    let uses = nixcfg_compiler::lint::name_uses(&root);
    // The binding under the cursor, or the one the name under it uses.
    let def = uses
        .iter()
        .find(|(u, d)| u.contains_inclusive(at.into()) || d.contains_inclusive(at.into()))
        .map(|(_, d)| *d)?;
    let mut out: Vec<Location> = uses
        .iter()
        .filter(|(_, d)| *d == def)
        .map(|(u, _)| Location {
            uri: uri.clone(),
            range: range(&doc.text, *u),
        })
        .collect();
    if p.context.include_declaration {
        out.insert(
            0,
            Location {
                uri: uri.clone(),
                range: range(&doc.text, def),
            },
        );
    }
    Some(out)
}

#[allow(deprecated)] // SymbolInformation's `deprecated` field must be written
pub fn symbols(docs: &Documents, p: &DocumentSymbolParams) -> Option<DocumentSymbolResponse> {
    let uri = &p.text_document.uri;
    let doc = docs.get(uri)?;
    let root = rnix::Root::parse(&doc.text).tree();
    let defs = nixcfg_compiler::lint::options::definitions(&root);
    let symbols = defs
        .iter()
        .filter(|d| !matches!(d.value, rnix::ast::Expr::AttrSet(_)))
        .map(|d| {
            let first = d.ranges.first().copied().unwrap_or_default();
            let r = TextRange::new(first.start(), d.value.syntax().text_range().end());
            SymbolInformation {
                name: d.path.join("."),
                kind: SymbolKind::PROPERTY,
                tags: None,
                deprecated: None,
                location: Location {
                    uri: uri.clone(),
                    range: range(&doc.text, r),
                },
                container_name: None,
            }
        })
        .collect();
    Some(DocumentSymbolResponse::Flat(symbols))
}

/// Renames a binding and every use of it (a `let` name, an argument, a
/// `rec` attribute).
#[allow(clippy::mutable_key_type)] // lsp-types keys edits by `Uri`
pub fn rename(docs: &Documents, p: &lsp_types::RenameParams) -> Option<lsp_types::WorkspaceEdit> {
    let uri = &p.text_document_position.text_document.uri;
    let doc = docs.get(uri)?;
    let new = &p.new_name;
    let valid = new
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && new
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-'".contains(c));
    if !valid {
        return None;
    }
    let at = offset(&doc.text, p.text_document_position.position) as u32;
    let root = rnix::Root::parse(&doc.text).tree();
    let uses = nixcfg_compiler::lint::name_uses(&root);
    let def = uses
        .iter()
        .find(|(u, d)| u.contains_inclusive(at.into()) || d.contains_inclusive(at.into()))
        .map(|(_, d)| *d)?;
    let mut edits = vec![lsp_types::TextEdit {
        range: range(&doc.text, def),
        new_text: new.clone(),
    }];
    edits.extend(
        uses.iter()
            .filter(|(_, d)| *d == def)
            .map(|(u, _)| lsp_types::TextEdit {
                range: range(&doc.text, *u),
                new_text: new.clone(),
            }),
    );
    let mut changes = std::collections::HashMap::new();
    changes.insert(uri.clone(), edits);
    Some(lsp_types::WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    })
}
