//! `nixcfg::container-name`: container names must be letters, digits and
//! `-`, at most 11 characters (the host interface is `ve-<name>`).

use super::options::Def;
use super::Finding;
use crate::diagnostic::Severity;

pub fn check(defs: &[Def], out: &mut Vec<Finding>) {
    let mut seen = std::collections::HashSet::new();
    for d in defs {
        if d.path.len() < 2 || d.path[0] != "containers" || !seen.insert(d.path[1].clone()) {
            continue;
        }
        if let Err(e) = crate::system::names::check_container_name(&d.path[1]) {
            out.push(Finding::new(
                "nixcfg::container-name",
                Severity::Error,
                e,
                d.ranges[1],
            ));
        }
    }
}
