//! Installing a system tree's `etc/` files into a root, remembering what
//! was installed (`etc/.nixcfg-files`) so that the next generation removes
//! what it no longer has — and never touches a file nixcfg did not put
//! there.

use super::files::{symlink_atomic, write_atomic};
use nixcfg_compiler::system::tree::{checked_relative, ManifestEntry};
use std::collections::BTreeSet;
use std::path::Path;

const RECORD: &str = "etc/.nixcfg-files";

#[derive(Debug, Default)]
pub struct EtcPlan {
    pub install: Vec<ManifestEntry>,
    /// Installed by the previous generation, gone from this one.
    pub remove: Vec<String>,
    /// Present on the host but not installed by nixcfg: left alone.
    pub foreign: Vec<String>,
    /// Files whose content changes (for the plan and for units).
    pub changed: Vec<String>,
}

pub fn manifest(tree: &Path) -> Result<Vec<ManifestEntry>, String> {
    let text = std::fs::read_to_string(tree.join("files.json"))
        .map_err(|e| format!("{}/files.json: {e}", tree.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}/files.json: {e}", tree.display()))
}

fn installed(root: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(root.join(RECORD))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// What installing `tree` into `root` changes.
pub fn plan(root: &Path, tree: &Path) -> Result<EtcPlan, String> {
    let entries = manifest(tree)?;
    let before = installed(root);
    let mut plan = EtcPlan::default();
    let now: BTreeSet<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    for e in entries.iter() {
        checked_relative(&e.path)?;
        let target = root.join(&e.path);
        let exists = std::fs::symlink_metadata(&target).is_ok();
        if exists && !before.contains(&e.path) {
            plan.foreign.push(e.path.clone());
            continue;
        }
        if !exists || differs(&target, tree, e) {
            plan.changed.push(e.path.clone());
        }
        plan.install.push(e.clone());
    }
    plan.remove = before
        .iter()
        .filter(|p| !now.contains(p.as_str()))
        .cloned()
        .collect();
    Ok(plan)
}

/// Whether the installed file is not what the tree holds.
fn differs(target: &Path, tree: &Path, e: &ManifestEntry) -> bool {
    match &e.symlink {
        Some(t) => std::fs::read_link(target)
            .map(|l| l.as_os_str() != t.as_str())
            .unwrap_or(true),
        None => std::fs::read(target).ok() != std::fs::read(tree.join(&e.path)).ok(),
    }
}

/// Resolves `user`/`group` of a file through the root's (new) files.
fn owner(root: &Path, e: &ManifestEntry) -> Option<(u32, u32)> {
    let lookup = |file: &str, name: &Option<String>| -> Option<u32> {
        let name = name.as_deref()?;
        if let Some(id) = name.strip_prefix('+') {
            return id.parse().ok();
        }
        let text = std::fs::read_to_string(root.join(file)).ok()?;
        text.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&name))
                .then(|| f.get(2)?.parse().ok())
                .flatten()
        })
    };
    let uid = lookup("etc/passwd", &e.user);
    let gid = lookup("etc/group", &e.group);
    (uid.is_some() || gid.is_some()).then(|| (uid.unwrap_or(0), gid.unwrap_or(0)))
}

/// Carries out the plan. Files of mode 0444 become links into the tree
/// (in the store, like NixOS's /etc/static); others are copies with their
/// mode and owner.
pub fn apply(root: &Path, tree: &Path, plan: &EtcPlan) -> Result<(), String> {
    let root_user = nix::unistd::geteuid().is_root();
    for e in &plan.install {
        let target = root.join(&e.path);
        let fail = |err: std::io::Error| format!("installing {}: {err}", target.display());
        match (&e.symlink, e.mode.as_deref()) {
            (Some(t), _) => symlink_atomic(t, &target).map_err(fail)?,
            (None, Some("0444") | None) => {
                let src = tree.join(&e.path);
                symlink_atomic(&src.to_string_lossy(), &target).map_err(fail)?
            }
            (None, Some(mode)) => {
                let mode = u32::from_str_radix(mode, 8)
                    .map_err(|_| format!("{}: bad mode {mode}", e.path))?;
                let data = std::fs::read(tree.join(&e.path)).map_err(fail)?;
                let own = if root_user { owner(root, e) } else { None };
                write_atomic(&target, &data, mode, own).map_err(fail)?;
            }
        }
    }
    for p in &plan.remove {
        checked_relative(p)?;
        let target = root.join(p);
        match std::fs::remove_file(&target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("removing {}: {e}", target.display())),
        }
        // Directories the file leaves empty go with it.
        let mut dir = target.parent();
        while let Some(d) = dir {
            if d == root.join("etc") || std::fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
    let record: Vec<&str> = plan.install.iter().map(|e| e.path.as_str()).collect();
    write_atomic(
        &root.join(RECORD),
        serde_json::to_string(&record)
            .expect("JSON of paths")
            .as_bytes(),
        0o644,
        None,
    )
    .map_err(|e| format!("{RECORD}: {e}"))
}
