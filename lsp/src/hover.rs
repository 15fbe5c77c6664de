//! Hover on a builtin or a `lib` function: its usage and documentation
//! (`hover_docs`). Hover on an option name: its type, default, description and where it
//! is declared; on `systemd.services.<name>` the unit file it renders, on
//! `users.users.<name>` the passwd line it makes (the file is evaluated
//! for that, within a time budget).

use crate::documents::{offset, Documents};
use crate::options::{describe, OptionTree};
use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

pub fn hover(docs: &Documents, options: &OptionTree, p: &HoverParams) -> Option<Hover> {
    let uri = &p.text_document_position_params.text_document.uri;
    let doc = docs.get(uri)?;
    let at = offset(&doc.text, p.text_document_position_params.position);
    let Some(mut path) = crate::context::name_at(&doc.text, at) else {
        let path = crate::context::expr_name_at(&doc.text, at)?;
        let lib_in_scope = crate::hover_docs::lib_in_scope(&doc.text);
        return crate::hover_docs::function_docs(&path, lib_in_scope).map(markdown);
    };
    let full = path.clone();
    while let Some(i) = path.iter().position(|p| p == "config") {
        if i >= 2 && path[i - 2] == "containers" {
            path.drain(..=i);
        } else {
            break;
        }
    }
    let Some(node) = options.find(&path) else {
        let lib_in_scope = crate::hover_docs::lib_in_scope(&doc.text);
        return crate::hover_docs::function_docs(&path, lib_in_scope).map(markdown);
    };
    let mut value = match &node.doc {
        Some(d) => describe(d),
        None => format!(
            "**{}**\n\noptions: {}",
            path.join("."),
            node.children.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    };
    let previewed = path.len() == 3
        && full == path
        && (path[..2] == ["systemd", "services"] || path[..2] == ["users", "users"]);
    if let Some(file) = crate::documents::path_of(uri.as_str()) {
        let extra = if previewed {
            preview(&file, docs, &path)
        } else if node.doc.is_some() {
            crate::evaluated::option_info(&file, docs, &full).map(|info| evaluated(&info))
        } else {
            None
        };
        value.push_str(&extra.unwrap_or_default());
    }
    Some(markdown(value))
}

fn markdown(value: String) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: None,
    }
}

/// The unit file of `systemd.services.<name>` or the passwd line of
/// `users.users.<name>`, from an evaluation of the file (as a module).
fn preview(file: &std::path::Path, docs: &Documents, path: &[String]) -> Option<String> {
    let path = path.to_vec();
    crate::evaluated::with_configuration(file, docs, move |cfg| {
        let config = cfg.field("config").ok()?;
        let name = &path[2];
        if path[0] == "systemd" {
            let unit = format!("{name}.service");
            let v = cfg
                .select_path(
                    config,
                    &[
                        "systemd".into(),
                        "units".into(),
                        unit.clone(),
                        "text".into(),
                    ],
                )
                .ok()??;
            let nixcfg_compiler::eval::Value::String(s) = v else {
                return None;
            };
            Some(format!("\n\n`{unit}`:\n```ini\n{}\n```\n", s.s.trim_end()))
        } else {
            let spec = cfg
                .select_path(
                    config,
                    &["system".into(), "build".into(), "usersGroupsSpec".into()],
                )
                .ok()??;
            let json = cfg.to_json_text(&spec).ok()?;
            let spec: nixcfg_compiler::system::users::Spec = serde_json::from_str(&json).ok()?;
            let update = nixcfg_compiler::system::users::update(
                &spec,
                &Default::default(),
                &nixcfg_compiler::system::build::ReproducibleHashing,
            )
            .ok()?;
            let line = update
                .passwd_text()
                .lines()
                .find(|l| l.split(':').next() == Some(name.as_str()))?
                .to_string();
            Some(format!(
                "\n\n/etc/passwd on a fresh host:\n```\n{line}\n```\n"
            ))
        }
    })
}
/// An option's value in this file's configuration and every definition
/// with its priority (`nixcfg options`' answer).
fn evaluated(info: &nixcfg_compiler::modules::OptionInfo) -> String {
    let mut out = String::new();
    if let Ok(v) = &info.value {
        out.push_str(&format!("\n*Value:* `{v}`\n"));
    }
    if !info.definitions.is_empty() {
        out.push_str("\n*Defined in:*\n");
        for d in &info.definitions {
            out.push_str(&format!(
                "- {} (priority {}{})\n",
                d.location,
                d.priority,
                if d.won { ", wins" } else { "" }
            ));
        }
    }
    out
}
