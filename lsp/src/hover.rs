//! Hover on an option name: its type, default, description and where it
//! is declared.

use crate::documents::{offset, Documents};
use crate::options::{describe, OptionTree};
use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

pub fn hover(docs: &Documents, options: &OptionTree, p: &HoverParams) -> Option<Hover> {
    let uri = &p.text_document_position_params.text_document.uri;
    let doc = docs.get(uri)?;
    let at = offset(&doc.text, p.text_document_position_params.position);
    let mut path = crate::context::name_at(&doc.text, at)?;
    while let Some(i) = path.iter().position(|p| p == "config") {
        if i >= 2 && path[i - 2] == "containers" {
            path.drain(..=i);
        } else {
            break;
        }
    }
    let node = options.find(&path)?;
    let value = match &node.doc {
        Some(d) => describe(d),
        None => format!(
            "**{}**\n\noptions: {}",
            path.join("."),
            node.children.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: None,
    })
}
