//! `nixcfg::renamed-option`: options NixOS renamed, with the new name as a
//! fix (the definition keeps working through an alias, with a warning).

use super::options::Def;
use super::{Edit, Finding};
use crate::diagnostic::Severity;

/// (old path, new name of the last segment(s)); `*` matches any name.
const RENAMED: &[(&[&str], &str)] = &[
    (
        &["users", "users", "*", "passwordFile"],
        "hashedPasswordFile",
    ),
    (&["users", "extraUsers"], "users"),
    (&["users", "extraGroups"], "groups"),
    (
        &["services", "openssh", "permitRootLogin"],
        "settings.PermitRootLogin",
    ),
    (
        &["services", "openssh", "passwordAuthentication"],
        "settings.PasswordAuthentication",
    ),
    (
        &["services", "openssh", "kbdInteractiveAuthentication"],
        "settings.KbdInteractiveAuthentication",
    ),
    (
        &["services", "openssh", "forwardX11"],
        "settings.X11Forwarding",
    ),
    (&["services", "openssh", "logLevel"], "settings.LogLevel"),
    (&["services", "openssh", "useDns"], "settings.UseDns"),
    (
        &["security", "initialRootPassword"],
        "users.users.root.initialHashedPassword",
    ),
];

pub fn check(defs: &[Def], out: &mut Vec<Finding>) {
    let mut seen = std::collections::HashSet::new();
    for d in defs {
        for (old, new) in RENAMED {
            // `users.extraGroups.ops = …` defines under the renamed name.
            if d.path.len() < old.len() {
                continue;
            }
            let head = Def {
                path: d.path[..old.len()].to_vec(),
                ranges: d.ranges[..old.len()].to_vec(),
                value: d.value.clone(),
            };
            if !head.is(old) {
                continue;
            }
            let last = head.ranges[old.len() - 1];
            if !seen.insert(last.start()) {
                continue;
            }
            let d = &head;
            let mut new_path = d.path[..d.path.len() - 1].to_vec();
            new_path.push(new.to_string());
            // `security.initialRootPassword` moves to another place: a
            // fix there would have to move the definition, so none.
            let finding = Finding::new(
                "nixcfg::renamed-option",
                Severity::Warning,
                format!(
                    "`{}' has been renamed to `{}'",
                    d.path.join("."),
                    new_path.join(".")
                ),
                last,
            );
            out.push(if new.starts_with("users.users.root") {
                finding
            } else {
                finding.with_fix(
                    format!("rename it to `{new}'"),
                    vec![Edit {
                        start: last.start().into(),
                        end: last.end().into(),
                        text: new.to_string(),
                    }],
                )
            });
        }
    }
}
