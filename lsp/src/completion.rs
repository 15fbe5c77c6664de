//! Completion of option paths at any depth (`users.users.<name>.…`,
//! `containers.<name>.config.…`, nested sets or dotted names), with each
//! option's type and description.

use crate::documents::{offset, Documents};
use crate::options::{describe, OptionTree};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse, Documentation,
    MarkupContent, MarkupKind,
};

pub fn complete(
    docs: &Documents,
    options: &OptionTree,
    p: &CompletionParams,
) -> Option<CompletionResponse> {
    let uri = &p.text_document_position.text_document.uri;
    let doc = docs.get(uri)?;
    let at = offset(&doc.text, p.text_document_position.position);
    let (mut path, partial) = crate::context::at(&doc.text, at);
    // `builtins.` and `lib.` in expressions.
    let line_start = doc.text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let before = doc.text[line_start..at]
        .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '\'' || c == '-');
    for (prefix, names) in [("builtins.", &options.builtins), ("lib.", &options.lib)] {
        let word_start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
            .map(|i| i + 1)
            .unwrap_or(0);
        if &before[word_start..] == prefix {
            let items = names
                .iter()
                .filter(|n| n.starts_with(partial.as_str()))
                .map(|n| {
                    // Builtins carry their documentation (lib functions
                    // show theirs on hover: it needs an evaluation).
                    let doc = (prefix == "builtins.")
                        .then(|| nixcfg_compiler::eval::builtins::docs::builtin_doc(n))
                        .flatten();
                    CompletionItem {
                        label: n.clone(),
                        kind: Some(CompletionItemKind::FUNCTION),
                        detail: doc.as_ref().map(|d| d.usage.clone()),
                        documentation: doc.map(|d| lsp_types::Documentation::String(d.text)),
                        ..Default::default()
                    }
                })
                .collect();
            return Some(CompletionResponse::Array(items));
        }
    }
    // Inside a container, its own system: the same options as the host.
    while let Some(i) = path.iter().position(|p| p == "config") {
        if i >= 2 && path[i - 2] == "containers" {
            path.drain(..=i);
        } else {
            break;
        }
    }
    // Right of `=`: a value — the enum values of the option being
    // defined, and the names in scope.
    let word_start = at - partial.len();
    let stmt_start = doc.text[..word_start]
        .rfind([';', '{', '}'])
        .map(|i| i + 1)
        .unwrap_or(0);
    let stmt = &doc.text[stmt_start..word_start];
    if let Some(eq) = stmt.find('=') {
        let lhs = stmt[..eq].trim();
        let mut items = Vec::new();
        let mut target = crate::context::at(&doc.text, stmt_start + stmt[..eq].trim_end().len()).0;
        target.extend(
            lhs.rsplit(char::is_whitespace)
                .next()
                .unwrap_or("")
                .rsplit('.')
                .next()
                .map(String::from),
        );
        if let Some(d) = options.find(&target).and_then(|n| n.doc.as_ref()) {
            if let Some(list) = d
                .type_
                .strip_prefix("one of ")
                .or_else(|| d.type_.strip_prefix("null or one of "))
            {
                for v in list.split(", ") {
                    items.push(CompletionItem {
                        label: v.to_string(),
                        kind: Some(CompletionItemKind::ENUM_MEMBER),
                        detail: Some(d.name.clone()),
                        ..Default::default()
                    });
                }
            }
        }
        let root = rnix::Root::parse(&doc.text).tree();
        for n in nixcfg_compiler::lint::names_at(&root, word_start as u32) {
            if n.starts_with(partial.as_str()) {
                items.push(CompletionItem {
                    label: n,
                    kind: Some(CompletionItemKind::VARIABLE),
                    ..Default::default()
                });
            }
        }
        return Some(CompletionResponse::Array(items));
    }
    let node = options.find(&path)?;
    let items = node
        .children
        .iter()
        .filter(|(name, _)| {
            !name.starts_with('<') && name.as_str() != "*" && name.starts_with(partial.as_str())
        })
        .map(|(name, child)| {
            let leaf = child
                .doc
                .as_ref()
                .filter(|_| child.children.is_empty() || child.doc.is_some());
            CompletionItem {
                label: name.clone(),
                kind: Some(if child.children.is_empty() {
                    CompletionItemKind::PROPERTY
                } else {
                    CompletionItemKind::MODULE
                }),
                detail: leaf.map(|d| d.type_.clone()),
                documentation: leaf.map(|d| {
                    Documentation::MarkupContent(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: describe(d),
                    })
                }),
                ..Default::default()
            }
        })
        .collect();
    Some(CompletionResponse::Array(items))
}
