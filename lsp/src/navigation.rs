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

/// The declaration of the option named at `offset`: nixcfg's embedded
/// modules are real files (in the cache directory), opened read-only.
fn option_declaration(
    options: &crate::options::OptionTree,
    text: &str,
    offset: usize,
) -> Option<Location> {
    let mut path = crate::context::name_at(text, offset)?;
    while let Some(i) = path.iter().position(|p| p == "config") {
        if i >= 2 && path[i - 2] == "containers" {
            path.drain(..=i);
        } else {
            break;
        }
    }
    let doc = options.find(&path)?.doc.as_ref()?;
    let decl = doc.declarations.first()?;
    let rel = decl.strip_prefix('<')?.strip_suffix('>')?;
    let file = nixcfg_compiler::eval::embedded::root()?.join(rel);
    let source = std::fs::read_to_string(&file).ok()?;
    let last = doc.loc.last()?;
    // `name = mkOption` (or `lib.mkOption`), else the first `name =`.
    let candidates: Vec<usize> = source
        .match_indices(last.as_str())
        .map(|(i, _)| i)
        .filter(|&i| {
            let before = source[..i].chars().next_back();
            let rest = source[i + last.len()..].trim_start();
            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                && rest.starts_with('=')
        })
        .collect();
    let at = candidates
        .iter()
        .copied()
        .find(|&i| {
            source[i..]
                .lines()
                .next()
                .is_some_and(|l| l.contains("mkOption"))
        })
        .or_else(|| candidates.first().copied())?;
    Some(Location {
        uri: uri_of(&file)?,
        range: Range {
            start: position(&source, at),
            end: position(&source, at + last.len()),
        },
    })
}

pub fn definition(
    docs: &Documents,
    options: &crate::options::OptionTree,
    p: &GotoDefinitionParams,
) -> Option<GotoDefinitionResponse> {
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
    // An option name in a definition: where the option is declared.
    if let Some(loc) = option_declaration(options, &doc.text, at as usize) {
        return Some(GotoDefinitionResponse::Scalar(loc));
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
    // The binding under the cursor, or the one the name under it uses;
    // else an option name: every definition of that option.
    let Some(def) = uses
        .iter()
        .find(|(u, d)| u.contains_inclusive(at.into()) || d.contains_inclusive(at.into()))
        .map(|(_, d)| *d)
    else {
        return option_definitions(docs, uri, &doc.text, at as usize);
    };
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

/// Where the option named at `offset` is defined, in the configuration
/// this file belongs to (from its evaluation): the user's files and the
/// modules' own definitions (defaults) alike.
fn option_definitions(
    docs: &Documents,
    uri: &Uri,
    text: &str,
    offset: usize,
) -> Option<Vec<Location>> {
    let path = crate::context::name_at(text, offset)?;
    let file = path_of(uri.as_str())?;
    let info = crate::evaluated::option_info(&file, docs, &path)?;
    let mut out = Vec::new();
    for d in &info.definitions {
        let Some((f, line, col)) = &d.position else {
            continue;
        };
        let Some(source) = docs.text_of(std::path::Path::new(f)) else {
            continue;
        };
        let start = lsp_types::Position {
            line: line.saturating_sub(1),
            character: col.saturating_sub(1),
        };
        // The definition's name: up to the `=` on that line.
        let width = source
            .lines()
            .nth(start.line as usize)
            .and_then(|l| l.get(start.character as usize..))
            .and_then(|rest| rest.find('=').map(|w| rest[..w].trim_end().len() as u32))
            .unwrap_or(0);
        out.push(Location {
            uri: uri_of(std::path::Path::new(f))?,
            range: Range {
                start,
                end: lsp_types::Position {
                    line: start.line,
                    character: start.character + width,
                },
            },
        });
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
