//! Activation: putting a built system on a host (`nixcfg switch`).
//! `store` adds trees to the Nix store, `users` merges passwd/group/shadow,
//! `etc` installs files, `files` writes them safely. The plan is computed
//! first, so that `--dry-run` prints exactly what would be done.

pub mod etc;
pub mod files;
pub mod realise;
pub mod store;
pub mod users;

use nixcfg_compiler::system::users::{Spec, Update};
use std::path::{Path, PathBuf};

/// Everything activating one system into a root does.
#[derive(Debug, Default)]
pub struct Plan {
    pub users_added: Vec<String>,
    pub users_removed: Vec<String>,
    pub users_changed: Vec<String>,
    pub groups_added: Vec<String>,
    pub groups_removed: Vec<String>,
    pub messages: Vec<String>,
    pub etc: etc::EtcPlan,
    /// Unit files (names) that are new, changed or removed.
    pub units_start: Vec<String>,
    pub units_restart: Vec<String>,
    pub units_stop: Vec<String>,
}

pub fn read_spec(tree: &Path) -> Result<Spec, String> {
    let text = std::fs::read_to_string(tree.join("users-groups.json"))
        .map_err(|e| format!("{}/users-groups.json: {e}", tree.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}/users-groups.json: {e}", tree.display()))
}

/// The plan of activating `tree` into `root`.
pub fn plan(root: &Path, tree: &Path) -> Result<Plan, String> {
    let spec = read_spec(tree)?;
    let (before, update) = users::plan(root, &spec)?;
    let mut p = Plan {
        messages: update.messages.clone(),
        ..Plan::default()
    };
    diff_accounts(&before, &update, &mut p);
    p.etc = etc::plan(root, tree)?;
    let unit = |path: &str| {
        path.strip_prefix("etc/systemd/system/")
            .filter(|n| !n.contains('/'))
            .map(String::from)
    };
    for c in &p.etc.changed {
        if let Some(u) = unit(c) {
            if std::fs::symlink_metadata(root.join(c)).is_ok() {
                p.units_restart.push(u);
            } else {
                p.units_start.push(u);
            }
        }
    }
    p.units_stop = p.etc.remove.iter().filter_map(|r| unit(r)).collect();
    Ok(p)
}

fn diff_accounts(before: &nixcfg_compiler::system::users::HostState, after: &Update, p: &mut Plan) {
    use std::collections::BTreeMap;
    let old: BTreeMap<&str, _> = before.passwd.iter().map(|u| (u.name.as_str(), u)).collect();
    let new: BTreeMap<&str, _> = after.passwd.iter().map(|u| (u.name.as_str(), u)).collect();
    for (n, u) in &new {
        match old.get(n) {
            None => p.users_added.push(format!("{n} (uid {})", u.uid)),
            Some(o) if o != u => p.users_changed.push(n.to_string()),
            _ => {}
        }
    }
    p.users_removed = old
        .keys()
        .filter(|n| !new.contains_key(*n))
        .map(|n| n.to_string())
        .collect();
    let old_g: Vec<&str> = before.group.iter().map(|g| g.name.as_str()).collect();
    let new_g: Vec<&str> = after.group.iter().map(|g| g.name.as_str()).collect();
    p.groups_added = new_g
        .iter()
        .filter(|g| !old_g.contains(g))
        .map(|g| g.to_string())
        .collect();
    p.groups_removed = old_g
        .iter()
        .filter(|g| !new_g.contains(g))
        .map(|g| g.to_string())
        .collect();
}

/// Prints a plan, one line a change.
pub fn print_plan(label: &str, p: &Plan) {
    let list = |what: &str, v: &[String]| {
        if !v.is_empty() {
            println!("{label}{what}: {}", v.join(", "));
        }
    };
    list("users to add", &p.users_added);
    list("users to change", &p.users_changed);
    list("users to remove", &p.users_removed);
    list("groups to add", &p.groups_added);
    list("groups to remove", &p.groups_removed);
    for m in &p.messages {
        println!("{label}{m}");
    }
    list("files to install or update", &p.etc.changed);
    list("files to remove", &p.etc.remove);
    list("files left alone (not installed by nixcfg)", &p.etc.foreign);
    list("units to start", &p.units_start);
    list("units to restart", &p.units_restart);
    list("units to stop", &p.units_stop);
}

/// Activates `tree` (a system in the store) into `root`.
pub fn apply(root: &Path, tree: &Path, plan: &Plan) -> Result<Vec<String>, String> {
    let mut notes = Vec::new();
    commit_users(root, tree)?;
    etc::apply(root, tree, &plan.etc)?;
    for f in &plan.etc.foreign {
        notes.push(format!(
            "warning: /{f} exists and was not installed by nixcfg: left as it is"
        ));
    }
    notes.extend(units(root, tree, plan)?);
    Ok(notes)
}

/// The users/groups merge runs in a helper process holding the passwd
/// lock: killing `nixcfg switch` never interrupts it, so a reader that
/// takes the lock (as shadow's tools do) sees the old or the new files.
fn commit_users(root: &Path, tree: &Path) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find nixcfg itself: {e}"))?;
    let out = std::process::Command::new(exe)
        .arg("internal-commit-users")
        .arg(root)
        .arg(tree.join("users-groups.json"))
        .output()
        .map_err(|e| format!("cannot run the users/groups helper: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines() {
        eprintln!("{line}");
    }
    if !out.status.success() {
        return Err(format!(
            "updating users and groups failed: {}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        ));
    }
    Ok(())
}

/// `nixcfg internal-commit-users ROOT SPEC`: the helper's body.
pub fn commit_users_main(root: &Path, spec_file: &Path) -> Result<(), String> {
    let text =
        std::fs::read_to_string(spec_file).map_err(|e| format!("{}: {e}", spec_file.display()))?;
    let spec: Spec =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", spec_file.display()))?;
    let update = users::apply(root, &spec)?;
    for m in &update.messages {
        println!("{m}");
    }
    Ok(())
}

/// Starts, restarts and stops the units that changed, when this root is
/// the running system; otherwise says that they were only installed.
fn units(root: &Path, tree: &Path, plan: &Plan) -> Result<Vec<String>, String> {
    let touched = !(plan.units_start.is_empty()
        && plan.units_restart.is_empty()
        && plan.units_stop.is_empty());
    if !touched {
        return Ok(Vec::new());
    }
    let live = root == Path::new("/") && Path::new("/run/systemd/system").is_dir();
    if !live {
        return Ok(vec![format!(
            "units were installed, not started ({}): {}",
            if root == Path::new("/") {
                "systemd is not running"
            } else {
                "the root is not /"
            },
            plan.units_start
                .iter()
                .chain(&plan.units_restart)
                .chain(&plan.units_stop)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )]);
    }
    let systemctl = |args: &[&str]| -> Result<(), String> {
        let exe = which::which("systemctl").map_err(|_| "systemctl was not found".to_string())?;
        let st = std::process::Command::new(exe)
            .args(args)
            .status()
            .map_err(|e| format!("systemctl: {e}"))?;
        if st.success() {
            Ok(())
        } else {
            Err(format!("systemctl {} failed ({st})", args.join(" ")))
        }
    };
    let mut notes = Vec::new();
    for u in &plan.units_stop {
        if systemctl(&["stop", u]).is_err() {
            notes.push(format!("warning: stopping {u} failed"));
        }
    }
    systemctl(&["daemon-reload"])?;
    for u in &plan.units_restart {
        // NixOS's markers in the unit file decide how a change applies.
        let text =
            std::fs::read_to_string(tree.join("etc/systemd/system").join(u)).unwrap_or_default();
        let verb = if text.contains("\nX-ReloadIfChanged=true") {
            "reload-or-restart"
        } else if text.contains("\nX-RestartIfChanged=false") {
            notes.push(format!(
                "{u} changed; not restarted (restartIfChanged = false)"
            ));
            continue;
        } else {
            "try-restart"
        };
        if systemctl(&[verb, u]).is_err() {
            notes.push(format!("warning: {verb} of {u} failed"));
        }
    }
    for u in &plan.units_start {
        let startable = u.ends_with(".service") || u.ends_with(".timer") || u.ends_with(".target");
        if startable && systemctl(&["start", u]).is_err() {
            notes.push(format!("warning: starting {u} failed"));
        }
    }
    Ok(notes)
}

/// `<root>/<path>` for an absolute path inside the root.
pub fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}
