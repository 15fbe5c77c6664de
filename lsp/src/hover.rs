//! Hover on an option name: its type, default, description and where it
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
    let mut path = crate::context::name_at(&doc.text, at)?;
    while let Some(i) = path.iter().position(|p| p == "config") {
        if i >= 2 && path[i - 2] == "containers" {
            path.drain(..=i);
        } else {
            break;
        }
    }
    let node = options.find(&path)?;
    let mut value = match &node.doc {
        Some(d) => describe(d),
        None => format!(
            "**{}**\n\noptions: {}",
            path.join("."),
            node.children.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    };
    let previewed = path.len() == 3
        && (path[..2] == ["systemd", "services"] || path[..2] == ["users", "users"]);
    if let Some(file) = crate::documents::path_of(uri.as_str()) {
        let extra = if previewed {
            preview(&file, docs, &path)
        } else if node.doc.is_some() {
            evaluated(&file, docs, &path)
        } else {
            None
        };
        value.push_str(&extra.unwrap_or_default());
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: None,
    })
}

/// The unit file of `systemd.services.<name>` or the passwd line of
/// `users.users.<name>`, from an evaluation of the file (as a module).
fn preview(file: &std::path::Path, docs: &Documents, path: &[String]) -> Option<String> {
    let file = file.to_path_buf();
    let path = path.to_vec();
    let overlays = docs.overlays();
    nixcfg_compiler::eval::run::with_big_stack(move || {
        let opts = nixcfg_compiler::eval::EvalOptions {
            overlays: std::sync::Arc::new(overlays),
            time_budget: Some(std::time::Duration::from_secs(3)),
            ..Default::default()
        };
        let mut cfg = nixcfg_compiler::modules::Configuration::load(&file, opts, false).ok()?;
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
fn evaluated(file: &std::path::Path, docs: &Documents, path: &[String]) -> Option<String> {
    let file = file.to_path_buf();
    let path = path.to_vec();
    let overlays = docs.overlays();
    nixcfg_compiler::eval::run::with_big_stack(move || {
        let opts = nixcfg_compiler::eval::EvalOptions {
            overlays: std::sync::Arc::new(overlays),
            time_budget: Some(std::time::Duration::from_secs(3)),
            ..Default::default()
        };
        let mut cfg = nixcfg_compiler::modules::Configuration::load(&file, opts, false).ok()?;
        let nixcfg_compiler::modules::OptionNode::Option(info) =
            nixcfg_compiler::modules::describe(&mut cfg, &path).ok()?
        else {
            return None;
        };
        let mut out = String::new();
        if let Ok(v) = &info.value {
            out.push_str(&format!("\n*Value:* `{v}`\n"));
        }
        if !info.definitions.is_empty() {
            out.push_str("\n*Defined in:*\n");
            for d in &info.definitions {
                out.push_str(&format!(
                    "- {}{} (priority {})\n",
                    if d.won { "**" } else { "" },
                    d.location,
                    d.priority
                ));
            }
        }
        Some(out)
    })
}
