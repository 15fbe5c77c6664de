//! Merging a system's users and groups into a root's passwd, group and
//! shadow: NixOS's updater (`nixcfg_compiler::system::users`) run under the
//! passwd lock, with every file replaced atomically.

use super::files::{lock, write_atomic};
use nixcfg_compiler::system::users::{self, HostState, Spec, Update};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The live host: random salts, password files and NSS of the root.
pub struct LiveEnvironment {
    pub root: PathBuf,
}

impl users::Environment for LiveEnvironment {
    fn hash_password(&self, _user: &str, password: &str) -> String {
        let mut seed = [0u8; 32];
        if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
            use std::io::Read;
            let _ = f.read_exact(&mut seed);
        }
        users::sha512_crypt(password, &users::salt_from(&seed))
    }
    fn read_password_file(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(path.trim_start_matches('/'))).ok()
    }
    fn id_known(&self, id: u32, group: bool) -> bool {
        if self.root != Path::new("/") {
            return false;
        }
        if group {
            matches!(nix::unistd::Group::from_gid(id.into()), Ok(Some(_)))
        } else {
            matches!(nix::unistd::User::from_uid(id.into()), Ok(Some(_)))
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn read_map(path: &Path) -> BTreeMap<String, u32> {
    serde_json::from_str(&read(path)).unwrap_or_default()
}

fn read_set(path: &Path) -> BTreeSet<String> {
    read(path).split_whitespace().map(String::from).collect()
}

/// The root's current files and nixcfg's state under var/lib/nixos.
pub fn host_state(root: &Path) -> Result<HostState, String> {
    let etc = root.join("etc");
    let mut st = HostState::from_files(
        &read(&etc.join("passwd")),
        &read(&etc.join("group")),
        &read(&etc.join("shadow")),
    )?;
    let state = root.join("var/lib/nixos");
    st.uid_map = read_map(&state.join("uid-map"));
    st.gid_map = read_map(&state.join("gid-map"));
    st.auto_subuid_map = read_map(&state.join("auto-subuid-map"));
    st.declarative_users = read_set(&state.join("declarative-users"));
    st.declarative_groups = read_set(&state.join("declarative-groups"));
    Ok(st)
}

/// What the merge would do, computed on the current files.
pub fn plan(root: &Path, spec: &Spec) -> Result<(HostState, Update), String> {
    let st = host_state(root)?;
    let env = LiveEnvironment {
        root: root.to_path_buf(),
    };
    let update = users::update(spec, &st, &env)?;
    Ok((st, update))
}

/// Merges `spec` into the root's files, holding the passwd lock from the
/// first read to the last write.
pub fn apply(root: &Path, spec: &Spec) -> Result<Update, String> {
    let io = |what: &str, e: std::io::Error| format!("{what}: {e}");
    let _lock = lock(&root.join("etc/.pwd.lock")).map_err(|e| io("taking the passwd lock", e))?;
    let (_, update) = plan(root, spec)?;
    let state = root.join("var/lib/nixos");
    std::fs::create_dir_all(&state).map_err(|e| io("var/lib/nixos", e))?;
    let json = |m: &BTreeMap<String, u32>| serde_json::to_string(m).expect("JSON of ids");
    let set = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(" ");
    let etc = root.join("etc");
    // NixOS's order: each map just before the file it belongs to.
    write_atomic(
        &state.join("gid-map"),
        json(&update.gid_map).as_bytes(),
        0o644,
        None,
    )
    .map_err(|e| io("gid-map", e))?;
    write_atomic(
        &state.join("declarative-groups"),
        set(&update.declarative_groups).as_bytes(),
        0o644,
        None,
    )
    .map_err(|e| io("declarative-groups", e))?;
    write_atomic(
        &etc.join("group"),
        update.group_text().as_bytes(),
        0o644,
        None,
    )
    .map_err(|e| io("etc/group", e))?;
    write_atomic(
        &state.join("uid-map"),
        json(&update.uid_map).as_bytes(),
        0o644,
        None,
    )
    .map_err(|e| io("uid-map", e))?;
    write_atomic(
        &state.join("declarative-users"),
        set(&update.declarative_users).as_bytes(),
        0o644,
        None,
    )
    .map_err(|e| io("declarative-users", e))?;
    write_atomic(
        &etc.join("passwd"),
        update.passwd_text().as_bytes(),
        0o644,
        None,
    )
    .map_err(|e| io("etc/passwd", e))?;
    // shadow: root:shadow 0640 where the shadow group exists, else 0600.
    let shadow_gid = update
        .group
        .iter()
        .find(|g| g.name == "shadow")
        .map(|g| g.gid);
    let (mode, owner) = match shadow_gid {
        Some(gid) if is_root() => (0o640, Some((0, gid))),
        _ => (0o600, None),
    };
    write_atomic(
        &etc.join("shadow"),
        update.shadow_text().as_bytes(),
        mode,
        owner,
    )
    .map_err(|e| io("etc/shadow", e))?;
    write_atomic(
        &state.join("auto-subuid-map"),
        (json(&update.auto_subuid_map) + "\n").as_bytes(),
        0o644,
        None,
    )
    .map_err(|e| io("auto-subuid-map", e))?;
    write_atomic(
        &etc.join("subuid"),
        update.subuid_text().as_bytes(),
        0o644,
        None,
    )
    .map_err(|e| io("etc/subuid", e))?;
    write_atomic(
        &etc.join("subgid"),
        update.subuid_text().as_bytes(),
        0o644,
        None,
    )
    .map_err(|e| io("etc/subgid", e))?;
    make_homes(root, &update)?;
    Ok(update)
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Creates missing homes of `createHome` users with their mode and owner.
fn make_homes(root: &Path, update: &Update) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    for (name, home, uid, gid, mode) in &update.homes {
        let rel = home.trim_start_matches('/');
        if rel.is_empty() || rel.split('/').any(|p| p == "..") {
            return Err(format!(
                "home of user ‘{name}’ is not a plain absolute path: {home}"
            ));
        }
        let dir = root.join(rel);
        if dir.exists() {
            continue;
        }
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(*mode))
            .map_err(|e| format!("chmod {}: {e}", dir.display()))?;
        if is_root() {
            std::os::unix::fs::chown(&dir, Some(*uid), Some(*gid))
                .map_err(|e| format!("chown {}: {e}", dir.display()))?;
        }
    }
    Ok(())
}
