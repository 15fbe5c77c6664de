//! `nixcfg::unit-description-case`: systemd unit descriptions capitalise
//! each word (NixOS's convention since 2013: "SSH Daemon", "Munin Node").

use super::options::Def;
use super::{Edit, Finding};
use crate::diagnostic::Severity;

const KINDS: &[&str] = &[
    "services", "targets", "timers", "sockets", "paths", "slices", "mounts",
];

/// The description with each word's first letter in upper case.
pub fn capitalised(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) if f.is_lowercase() => f.to_uppercase().chain(c).collect(),
                _ => w.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A Nix string literal for `s`.
pub fn nix_string(s: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn check(defs: &[Def], out: &mut Vec<Finding>) {
    for d in defs {
        if d.path.len() != 4
            || d.path[0] != "systemd"
            || !KINDS.contains(&d.path[1].as_str())
            || d.path[3] != "description"
        {
            continue;
        }
        let Some((text, range)) = d.literal_string() else {
            continue;
        };
        let fixed = capitalised(&text);
        if fixed == text {
            continue;
        }
        out.push(
            Finding::new(
                "nixcfg::unit-description-case",
                Severity::Warning,
                format!(
                    "the description of {}.{} should capitalise each word: \"{fixed}\"",
                    d.path[2],
                    &d.path[1][..d.path[1].len() - 1]
                ),
                range,
            )
            .with_fix(
                format!("write \"{fixed}\""),
                vec![Edit {
                    start: range.start().into(),
                    end: range.end().into(),
                    text: nix_string(&fixed),
                }],
            ),
        );
    }
}
