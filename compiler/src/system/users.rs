//! NixOS's users/groups updater (update-users-groups.pl) in Rust: merges
//! the declarative spec (`users-groups.json`) into a host's passwd, group
//! and shadow. `build` runs it against an empty host (a fresh system);
//! activation runs it against the live files. Semantics and messages
//! follow docs/reference/users-groups.md §6.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    pub mutable_users: bool,
    pub users: Vec<UserSpec>,
    pub groups: Vec<GroupSpec>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct UserSpec {
    pub name: String,
    pub uid: Option<u32>,
    pub group: String,
    pub description: String,
    pub home: String,
    pub home_mode: String,
    pub create_home: bool,
    pub is_system_user: bool,
    pub password: Option<String>,
    pub hashed_password_file: Option<String>,
    pub hashed_password: Option<String>,
    pub auto_sub_uid_gid_range: bool,
    pub sub_uid_ranges: Vec<SubRange>,
    pub sub_gid_ranges: Vec<SubRange>,
    pub initial_password: Option<String>,
    pub initial_hashed_password: Option<String>,
    pub expires: Option<String>,
    pub shell: Option<String>,
}

#[derive(Deserialize, Debug, Clone)]
pub struct SubRange {
    #[serde(alias = "startUid", alias = "startGid")]
    pub start: u32,
    pub count: u32,
}

#[derive(Deserialize, Debug, Clone)]
pub struct GroupSpec {
    pub name: String,
    pub gid: Option<u32>,
    pub members: Vec<String>,
}

/// One line of /etc/passwd (fields kept as text).
#[derive(Debug, Clone, PartialEq)]
pub struct PasswdEntry {
    pub name: String,
    pub password: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupEntry {
    pub name: String,
    pub password: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// What a host has before the update: its files and nixcfg's state
/// under /var/lib/nixos.
#[derive(Debug, Default, Clone)]
pub struct HostState {
    pub passwd: Vec<PasswdEntry>,
    pub group: Vec<GroupEntry>,
    /// Lines of /etc/shadow, split into fields.
    pub shadow: Vec<Vec<String>>,
    pub uid_map: BTreeMap<String, u32>,
    pub gid_map: BTreeMap<String, u32>,
    pub auto_subuid_map: BTreeMap<String, u32>,
    pub declarative_users: BTreeSet<String>,
    pub declarative_groups: BTreeSet<String>,
}

/// The files after the update, and what was done.
#[derive(Debug, Clone)]
pub struct Update {
    pub passwd: Vec<PasswdEntry>,
    pub group: Vec<GroupEntry>,
    pub shadow: Vec<Vec<String>>,
    pub subuid: Vec<String>,
    pub uid_map: BTreeMap<String, u32>,
    pub gid_map: BTreeMap<String, u32>,
    pub auto_subuid_map: BTreeMap<String, u32>,
    pub declarative_users: BTreeSet<String>,
    pub declarative_groups: BTreeSet<String>,
    /// Users whose home is to be created: (name, home, uid, gid, mode).
    pub homes: Vec<(String, String, u32, u32, u32)>,
    /// Messages as the Perl script prints them ("warning: …", "reviving …").
    pub messages: Vec<String>,
}

/// How passwords are hashed and files read: injected so that builds are
/// reproducible and tests need no secrets on disk.
pub trait Environment {
    /// SHA-512 crypt of a clear-text password.
    fn hash_password(&self, user: &str, password: &str) -> String;
    /// The contents of a `hashedPasswordFile`, if it exists.
    fn read_password_file(&self, path: &str) -> Option<String>;
    /// Whether `hashedPasswordFile`s are read now (activation) or later
    /// (a build, which never copies secrets).
    fn reads_secrets(&self) -> bool {
        true
    }
    /// Whether NSS knows this uid/gid (only consulted on a live host).
    fn id_known(&self, _id: u32, _group: bool) -> bool {
        false
    }
}

const NOLOGIN: &str = "/run/current-system/sw/bin/nologin";

struct Allocator<'a> {
    used: HashSet<u32>,
    prev_used: HashSet<u32>,
    env: &'a dyn Environment,
    group: bool,
}

impl Allocator<'_> {
    fn alloc(&mut self, down: bool, range: (u32, u32)) -> Option<u32> {
        let (lo, hi) = range;
        let ids: Box<dyn Iterator<Item = u32>> = if down {
            Box::new((lo..=hi).rev())
        } else {
            Box::new(lo..=hi)
        };
        for id in ids {
            if !self.used.contains(&id)
                && !self.prev_used.contains(&id)
                && !self.env.id_known(id, self.group)
            {
                self.used.insert(id);
                return Some(id);
            }
        }
        None
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
pub fn days_since_epoch(date: &str) -> Option<i64> {
    let mut it = date.split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    // Howard Hinnant's days-from-civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146097 + doe - 719468)
}

/// Runs the update.
pub fn update(spec: &Spec, host: &HostState, env: &dyn Environment) -> Result<Update, String> {
    let mut messages = Vec::new();
    let mutable = spec.mutable_users;

    // Groups.
    let mut gids = Allocator {
        used: spec
            .groups
            .iter()
            .filter_map(|g| g.gid)
            .chain(host.group.iter().map(|g| g.gid))
            .collect(),
        prev_used: host.gid_map.values().copied().collect(),
        env,
        group: true,
    };
    let existing_groups: HashMap<&str, &GroupEntry> =
        host.group.iter().map(|g| (g.name.as_str(), g)).collect();
    let mut gid_map = host.gid_map.clone();
    let mut groups: Vec<GroupEntry> = Vec::new();
    for g in &spec.groups {
        let mut members: BTreeSet<String> = g.members.iter().cloned().collect();
        let entry = if let Some(old) = existing_groups.get(g.name.as_str()) {
            if let Some(new) = g.gid {
                if new != old.gid {
                    messages.push(format!(
                        "warning: not applying GID change of group ‘{}’ ({} -> {new}) in /etc/group",
                        g.name, old.gid
                    ));
                }
            }
            if mutable {
                members.extend(
                    old.members
                        .iter()
                        .filter(|m| !host.declarative_users.contains(*m))
                        .cloned(),
                );
            }
            GroupEntry {
                name: g.name.clone(),
                password: old.password.clone(),
                gid: old.gid,
                members: Vec::new(),
            }
        } else {
            let gid = match g.gid {
                Some(gid) => gid,
                None => alloc_id(&mut gids, &gid_map, &g.name, true, false, &mut messages)?,
            };
            GroupEntry {
                name: g.name.clone(),
                password: "x".into(),
                gid,
                members: Vec::new(),
            }
        };
        gid_map.insert(g.name.clone(), entry.gid);
        groups.push(GroupEntry {
            members: members.into_iter().collect(),
            ..entry
        });
    }
    let declarative_groups: BTreeSet<String> = spec.groups.iter().map(|g| g.name.clone()).collect();
    for old in &host.group {
        if declarative_groups.contains(&old.name) {
            continue;
        }
        if !mutable || host.declarative_groups.contains(&old.name) {
            messages.push(format!("removing group ‘{}’", old.name));
        } else {
            groups.push(old.clone());
        }
    }
    groups.sort_by_key(|g| g.gid);

    // Users.
    let mut uids = Allocator {
        used: spec
            .users
            .iter()
            .filter_map(|u| u.uid)
            .chain(host.passwd.iter().map(|u| u.uid))
            .collect(),
        prev_used: host.uid_map.values().copied().collect(),
        env,
        group: false,
    };
    let existing_users: HashMap<&str, &PasswdEntry> =
        host.passwd.iter().map(|u| (u.name.as_str(), u)).collect();
    let group_gid: HashMap<&str, u32> = groups.iter().map(|g| (g.name.as_str(), g.gid)).collect();
    let mut uid_map = host.uid_map.clone();
    let mut passwd = Vec::new();
    let mut hashes: HashMap<String, Option<String>> = HashMap::new();
    let mut homes = Vec::new();
    for u in &spec.users {
        let gid = if u.group.len() == 1 && u.group.as_bytes()[0].is_ascii_digit() {
            u32::from(u.group.as_bytes()[0] - b'0')
        } else if let Some(g) = group_gid.get(u.group.as_str()) {
            *g
        } else {
            messages.push(format!(
                "warning: user ‘{}’ has unknown group ‘{}’",
                u.name, u.group
            ));
            65534
        };
        let old = existing_users.get(u.name.as_str());
        let uid = match old {
            Some(old) => {
                if let Some(new) = u.uid {
                    if new != old.uid {
                        messages.push(format!(
                            "warning: not applying UID change of user ‘{}’ ({} -> {new}) in /etc/passwd",
                            u.name, old.uid
                        ));
                    }
                }
                old.uid
            }
            None => match u.uid {
                Some(uid) => uid,
                None => alloc_id(
                    &mut uids,
                    &uid_map,
                    &u.name,
                    false,
                    !u.is_system_user,
                    &mut messages,
                )?,
            },
        };
        // The hash this run decides on (see the reference, §6 step 8).
        let hash = if let Some(f) = &u.hashed_password_file {
            match env.read_password_file(f) {
                Some(h) => Some(h.trim_end_matches('\n').to_string()),
                None => {
                    if env.reads_secrets() {
                        messages.push(format!("warning: password file ‘{f}’ does not exist"));
                    }
                    None
                }
            }
        } else if let Some(p) = &u.password {
            Some(env.hash_password(&u.name, p))
        } else if u.hashed_password.is_some() {
            u.hashed_password.clone()
        } else if old.is_none() {
            match (&u.initial_password, &u.initial_hashed_password) {
                (Some(p), _) => Some(env.hash_password(&u.name, p)),
                (None, h) => h.clone(),
            }
        } else {
            None
        };
        hashes.insert(u.name.clone(), hash);
        let shell = match &u.shell {
            Some(s) => s.clone(),
            None => match old {
                Some(o) => o.shell.clone(),
                None => {
                    messages.push(format!(
                        "warning: no declarative or previous shell for ‘{}’, setting shell to nologin",
                        u.name
                    ));
                    NOLOGIN.into()
                }
            },
        };
        if u.create_home {
            let mode = u32::from_str_radix(&u.home_mode, 8).unwrap_or(0o700);
            homes.push((u.name.clone(), u.home.clone(), uid, gid, mode));
        }
        uid_map.insert(u.name.clone(), uid);
        passwd.push(PasswdEntry {
            name: u.name.clone(),
            password: old
                .map(|o| o.password.clone())
                .unwrap_or_else(|| "x".into()),
            uid,
            gid,
            gecos: u.description.clone(),
            home: u.home.clone(),
            shell,
        });
    }
    let declarative_users: BTreeSet<String> = spec.users.iter().map(|u| u.name.clone()).collect();
    for old in &host.passwd {
        if declarative_users.contains(&old.name) {
            continue;
        }
        if !mutable || host.declarative_users.contains(&old.name) {
            messages.push(format!("removing user ‘{}’", old.name));
        } else {
            passwd.push(old.clone());
        }
    }
    passwd.sort_by_key(|u| u.uid);

    // Shadow: surviving lines in file order, then new users.
    let surviving: HashSet<&str> = passwd.iter().map(|u| u.name.as_str()).collect();
    let by_name: HashMap<&str, &UserSpec> =
        spec.users.iter().map(|u| (u.name.as_str(), u)).collect();
    let mut shadow = Vec::new();
    let mut has_line = HashSet::new();
    for line in &host.shadow {
        let Some(name) = line.first() else { continue };
        if !surviving.contains(name.as_str()) || !has_line.insert(name.clone()) {
            continue;
        }
        let mut fields = line.clone();
        fields.resize(9, String::new());
        if let Some(u) = by_name.get(name.as_str()) {
            if !mutable {
                fields[1] = hashes
                    .get(name)
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| "!".into());
            }
            if let Some(e) = &u.expires {
                fields[7] = days_since_epoch(e)
                    .map(|d| d.to_string())
                    .unwrap_or_default();
            }
        }
        shadow.push(fields);
    }
    for u in &spec.users {
        if has_line.contains(&u.name) {
            continue;
        }
        let hash = hashes
            .get(&u.name)
            .cloned()
            .flatten()
            .unwrap_or_else(|| "!".into());
        let expires = u
            .expires
            .as_deref()
            .and_then(days_since_epoch)
            .map(|d| d.to_string())
            .unwrap_or_default();
        shadow.push(vec![
            u.name.clone(),
            hash,
            "1".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            expires,
            String::new(),
        ]);
    }

    // Subordinate ids.
    let mut auto_subuid_map = BTreeMap::new();
    let mut subuid = Vec::new();
    let mut taken: HashSet<u32> = HashSet::new();
    let stored: HashSet<u32> = host.auto_subuid_map.values().copied().collect();
    for u in &spec.users {
        for r in &u.sub_uid_ranges {
            subuid.push(format!("{}:{}:{}", u.name, r.start, r.count));
        }
        if !u.auto_sub_uid_gid_range {
            continue;
        }
        let start = match host.auto_subuid_map.get(&u.name) {
            Some(s) if !taken.contains(s) => *s,
            _ => {
                let mut n = 0u32;
                loop {
                    let s = 100_000 + n * 65_536;
                    if !taken.contains(&s) && !stored.contains(&s) {
                        break s;
                    }
                    n += 1;
                    if n > 10_000 {
                        return Err("out of subordinate uid ranges".into());
                    }
                }
            }
        };
        taken.insert(start);
        auto_subuid_map.insert(u.name.clone(), start);
        subuid.push(format!("{}:{start}:65536", u.name));
    }

    Ok(Update {
        passwd,
        group: groups,
        shadow,
        subuid,
        uid_map,
        gid_map,
        auto_subuid_map,
        declarative_users,
        declarative_groups,
        homes,
        messages,
    })
}

/// NixOS's allocId: revive a remembered id, else search the range.
fn alloc_id(
    a: &mut Allocator,
    map: &BTreeMap<String, u32>,
    name: &str,
    group: bool,
    normal_user: bool,
    messages: &mut Vec<String>,
) -> Result<u32, String> {
    let range = if normal_user {
        (1000, 29999)
    } else {
        (400, 999)
    };
    if let Some(&old) = map.get(name) {
        if !a.used.contains(&old) && old >= range.0 && old <= range.1 {
            a.used.insert(old);
            messages.push(if group {
                format!("reviving group '{name}' with GID {old}")
            } else {
                format!("reviving user '{name}' with UID {old}")
            });
            return Ok(old);
        }
    }
    a.alloc(!normal_user, range)
        .ok_or_else(|| "out of free UIDs or GIDs".to_string())
}

impl Update {
    pub fn passwd_text(&self) -> String {
        self.passwd
            .iter()
            .map(|u| {
                format!(
                    "{}:{}:{}:{}:{}:{}:{}\n",
                    u.name, u.password, u.uid, u.gid, u.gecos, u.home, u.shell
                )
            })
            .collect()
    }
    pub fn group_text(&self) -> String {
        self.group
            .iter()
            .map(|g| {
                format!(
                    "{}:{}:{}:{}\n",
                    g.name,
                    g.password,
                    g.gid,
                    g.members.join(",")
                )
            })
            .collect()
    }
    pub fn shadow_text(&self) -> String {
        self.shadow.iter().map(|f| f.join(":") + "\n").collect()
    }
    pub fn subuid_text(&self) -> String {
        self.subuid.join("\n") + "\n"
    }
}

impl HostState {
    /// Parses the text of /etc/passwd, /etc/group and /etc/shadow.
    pub fn from_files(passwd: &str, group: &str, shadow: &str) -> Result<HostState, String> {
        let mut st = HostState::default();
        for (n, line) in passwd.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
            let f: Vec<&str> = line.split(':').collect();
            let bad = || format!("/etc/passwd line {}: not a passwd entry", n + 1);
            if f.len() != 7 {
                return Err(bad());
            }
            st.passwd.push(PasswdEntry {
                name: f[0].into(),
                password: f[1].into(),
                uid: f[2].parse().map_err(|_| bad())?,
                gid: f[3].parse().map_err(|_| bad())?,
                gecos: f[4].into(),
                home: f[5].into(),
                shell: f[6].into(),
            });
        }
        for (n, line) in group.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
            let f: Vec<&str> = line.split(':').collect();
            let bad = || format!("/etc/group line {}: not a group entry", n + 1);
            if f.len() != 4 {
                return Err(bad());
            }
            st.group.push(GroupEntry {
                name: f[0].into(),
                password: f[1].into(),
                gid: f[2].parse().map_err(|_| bad())?,
                members: f[3]
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(String::from)
                    .collect(),
            });
        }
        st.shadow = shadow
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.split(':').map(String::from).collect())
            .collect();
        Ok(st)
    }
}

/// SHA-512 crypt (`$6$salt$hash`, 5000 rounds) with the given salt.
pub fn sha512_crypt(password: &str, salt: &str) -> String {
    let params = sha_crypt::Sha512Params::new(5000).expect("5000 rounds are valid");
    let hash = sha_crypt::sha512_crypt_b64(password.as_bytes(), salt.as_bytes(), &params)
        .expect("sha512-crypt of a valid salt");
    format!("$6${salt}${hash}")
}

/// A salt of 16 crypt characters drawn from `seed`.
pub fn salt_from(seed: &[u8]) -> String {
    const ALPHABET: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let digest = crate::eval::store::sha256(seed);
    digest[..16]
        .iter()
        .map(|b| ALPHABET[(*b as usize) % 64] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha512_crypt_matches_openssl() {
        // `openssl passwd -6 -salt abcdefgh secret`
        assert_eq!(
            sha512_crypt("secret", "abcdefgh"),
            "$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG."
        );
    }

    #[test]
    fn days() {
        assert_eq!(days_since_epoch("1970-01-02"), Some(1));
        assert_eq!(days_since_epoch("2024-03-01"), Some(19783));
    }
}
