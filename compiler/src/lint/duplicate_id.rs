//! `nixcfg::duplicate-id`: two users with one uid, or two groups with one
//! gid (NixOS's assertion says only "UIDs and GIDs must be unique!").

use super::options::Def;
use super::Finding;
use crate::diagnostic::Severity;
use std::collections::HashMap;

pub fn check(defs: &[Def], out: &mut Vec<Finding>) {
    for (kind, field) in [("users", "uid"), ("groups", "gid")] {
        let mut seen: HashMap<i64, &str> = HashMap::new();
        for d in defs {
            if !d.is(&["users", kind, "*", field]) {
                continue;
            }
            let Some(id) = d.literal_int() else { continue };
            let name = d.path[2].as_str();
            match seen.get(&id) {
                Some(first) if *first != name => out.push(Finding::new(
                    "nixcfg::duplicate-id",
                    Severity::Error,
                    format!("users.{kind}.{name}.{field} = {id} is also the {field} of `{first}'"),
                    *d.ranges.last().expect("a path"),
                )),
                _ => {
                    seen.insert(id, d.path[2].as_str());
                }
            }
        }
    }
}
