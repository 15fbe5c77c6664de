//! `nixcfg::empty-password`: a user whose password is empty can log in
//! without one (root above all: an error). `nixcfg::clear-text-password`:
//! `password`/`initialPassword` put the password in the world-readable
//! Nix store.

use super::options::Def;
use super::Finding;
use crate::diagnostic::Severity;

pub fn check(defs: &[Def], out: &mut Vec<Finding>) {
    for d in defs {
        if d.path.len() != 4 || d.path[0] != "users" || d.path[1] != "users" {
            continue;
        }
        let user = &d.path[2];
        let field = d.path[3].as_str();
        if !matches!(
            field,
            "password" | "hashedPassword" | "initialPassword" | "initialHashedPassword"
        ) {
            continue;
        }
        let Some((text, range)) = d.literal_string() else {
            continue;
        };
        if text.is_empty() {
            let root = user == "root";
            out.push(Finding::new(
                "nixcfg::empty-password",
                if root {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                format!(
                    "users.users.{user}.{field} is empty: {} can log in without a password",
                    if root { "anyone" } else { "the user" }
                ),
                range,
            ));
        } else if matches!(field, "password" | "initialPassword") {
            out.push(Finding::new(
                "nixcfg::clear-text-password",
                Severity::Warning,
                format!(
                    "users.users.{user}.{field} is a clear-text password: it ends up world-readable in the Nix store; use hashedPassword (from `mkpasswd`) or hashedPasswordFile"
                ),
                range,
            ));
        }
    }
}
