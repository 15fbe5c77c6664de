//! `nixcfg::mkdir-mode`: `mkdir -m MODE` in a unit script sets the mode
//! only of directories it creates; an existing one keeps its old mode
//! (and `-p` makes that silent). Use `install -d -m` or `chmod`.

use super::options::{string_literal, Def};
use super::Finding;
use crate::diagnostic::Severity;
use rowan::ast::AstNode;

const SCRIPTS: &[&str] = &[
    "script",
    "preStart",
    "postStart",
    "reload",
    "preStop",
    "postStop",
];

fn uses_mkdir_mode(text: &str) -> bool {
    text.split(['\n', ';', '&', '|']).any(|cmd| {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        words
            .iter()
            .position(|w| *w == "mkdir" || w.ends_with("/mkdir"))
            .is_some_and(|i| {
                words[i + 1..].iter().any(|w| {
                    *w == "-m"
                        || w.starts_with("--mode")
                        || (w.starts_with('-') && !w.starts_with("--") && w.contains('m'))
                })
            })
    })
}

pub fn check(defs: &[Def], out: &mut Vec<Finding>) {
    for d in defs {
        if d.path.len() != 4
            || d.path[0] != "systemd"
            || d.path[1] != "services"
            || !SCRIPTS.contains(&d.path[3].as_str())
        {
            continue;
        }
        // Interpolations do not matter here: read the literal parts.
        let (text, range) = match string_literal(&d.value) {
            Some(x) => x,
            None => (
                d.value.syntax().text().to_string(),
                d.value.syntax().text_range(),
            ),
        };
        if uses_mkdir_mode(&text) {
            out.push(Finding::new(
                "nixcfg::mkdir-mode",
                Severity::Warning,
                format!(
                    "`mkdir -m` in systemd.services.{}.{} does not change the mode of a directory that already exists; use `install -d -m MODE DIR` or `chmod`",
                    d.path[2], d.path[3]
                ),
                range,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_mkdir_mode() {
        assert!(super::uses_mkdir_mode("mkdir -p -m 0700 /var/lib/x"));
        assert!(super::uses_mkdir_mode("true && mkdir -pm 700 /x"));
        assert!(super::uses_mkdir_mode("/bin/mkdir --mode=0700 /x"));
        assert!(!super::uses_mkdir_mode("mkdir -p /x; chmod 700 /x"));
    }
}
