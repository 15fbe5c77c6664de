//! `nixcfg build`: writes the system tree of a host and of each of its
//! containers, byte for byte reproducible.
//!
//! Layout of the output directory:
//! - `etc/…` — every file of `system.build.files`, plus `passwd`, `group`,
//!   `shadow`, `subuid`, `subgid` as a fresh host gets them;
//! - `users-groups.json` — the declarative spec activation merges;
//! - `files.json` — every file of `etc/` with its mode and owner (or link
//!   target), which activation installs;
//! - `packages` — store paths of `environment.systemPackages` and of the
//!   users' `packages`, one a line;
//! - `containers/<name>/` — the same for each container;
//! - `profiles.json` — which profile each tree activates into;
//! - `store-paths.json` — store objects the units refer to: text files
//!   nixcfg made (scripts) and packages it could not build;
//! - `store/<hash>-<name>` — those text files.

use super::tree::{self, TreeFile};
use super::users::{self, HostState, Spec};
use crate::diagnostic::{Diagnostic, Severity};
use crate::eval::Value;
use crate::modules::options_index::OptionsIndex;
use crate::modules::{check_with, Configuration};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Hashes clear-text passwords with a salt drawn from the user and the
/// password, so that a build is reproducible. (Activation on a live host
/// uses random salts.)
pub struct ReproducibleHashing;

impl users::Environment for ReproducibleHashing {
    fn hash_password(&self, user: &str, password: &str) -> String {
        let seed = format!("nixcfg-build\0{user}\0{password}");
        users::sha512_crypt(password, &users::salt_from(seed.as_bytes()))
    }
    fn read_password_file(&self, _path: &str) -> Option<String> {
        None
    }
    // Secrets are read at activation, never copied into a build.
    fn reads_secrets(&self) -> bool {
        false
    }
}

/// A `.drv` file as nixcfg computed it.
#[derive(Debug, Clone)]
pub struct DrvFile {
    /// The file name (`<name>.drv`).
    pub name: String,
    pub aterm: String,
    /// Store paths it refers to (input derivations and sources).
    pub refs: Vec<String>,
    /// Its output paths.
    pub outputs: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Report {
    pub warnings: Vec<String>,
    /// Messages of the users/groups updater, by system.
    pub messages: Vec<String>,
    /// Store paths the trees refer to: text files nixcfg wrote
    /// (path → contents) …
    pub text_files: BTreeMap<String, String>,
    /// … and packages that are not in the store and that nixcfg cannot
    /// have built (opaque packages).
    pub missing_packages: Vec<String>,
    /// Derivations the trees need (the `.drv` closure, by path): realised
    /// through the real Nix by `switch`.
    pub derivations: BTreeMap<String, DrvFile>,
    /// The top-level derivations of those (what `nix-store --realise` gets).
    pub to_build: Vec<String>,
    /// Sources the derivations take from the file system: store path →
    /// original path.
    pub sources: BTreeMap<String, String>,
    /// (profile, tree directory relative to the output)
    pub profiles: Vec<(String, String)>,
}

fn err(message: String) -> Vec<Diagnostic> {
    vec![Diagnostic::new("nixcfg::build", message, None)]
}

fn eval_err(e: crate::eval::EvalError) -> Vec<Diagnostic> {
    e.into_diagnostic().flatten()
}

/// Checks the configuration and writes its trees into `out`.
pub fn build(
    cfg: &mut Configuration,
    out: &Path,
    index: Option<&OptionsIndex>,
) -> Result<Report, Vec<Diagnostic>> {
    let diags = check_with(cfg, index);
    let (errors, warnings): (Vec<_>, Vec<_>) = diags
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut report = Report {
        warnings: warnings.into_iter().map(|d| d.message).collect(),
        ..Report::default()
    };
    let staging = prepare_output(out).map_err(err)?;
    let config = cfg.field("config").map_err(eval_err)?;
    write_system(cfg, &config, &staging, "", &mut report)?;
    report
        .profiles
        .push(("/nix/var/nix/profiles/system".into(), ".".into()));

    let containers = match cfg.get(&config, "containers").map_err(eval_err)? {
        Some(Value::Attrs(a)) => a
            .entries
            .iter()
            .map(|e| e.name.as_str().to_string())
            .collect(),
        _ => Vec::new(),
    };
    for name in containers {
        super::names::check_container_name(&name).map_err(err)?;
        let inner = cfg
            .select_path(
                config.clone(),
                &["containers".into(), name.clone(), "config".into()],
            )
            .map_err(eval_err)?
            .ok_or_else(|| err(format!("container `{name}' has no config")))?;
        let rel = format!("containers/{name}");
        write_system(
            cfg,
            &inner,
            &staging.join(&rel),
            &format!("container {name}: "),
            &mut report,
        )?;
        report.profiles.push((
            format!("/nix/var/nix/profiles/per-container/{name}/system"),
            rel,
        ));
    }

    collect_store_paths(cfg, &staging, &mut report).map_err(err)?;
    write_manifests(&staging, &report).map_err(err)?;
    finish_output(&staging, out).map_err(err)?;
    Ok(report)
}

/// One system (host or container) into `dir`.
fn write_system(
    cfg: &mut Configuration,
    config: &Value,
    dir: &Path,
    label: &str,
    report: &mut Report,
) -> Result<(), Vec<Diagnostic>> {
    let build = cfg
        .select_path(config.clone(), &["system".into(), "build".into()])
        .map_err(eval_err)?
        .ok_or_else(|| err("the configuration has no system.build".into()))?;
    let files_v = cfg
        .get(&build, "files")
        .map_err(eval_err)?
        .unwrap_or(Value::Null);
    let (files_json, files_ctx) = cfg.to_json_with_context(&files_v).map_err(eval_err)?;
    need_derivations(cfg, &files_ctx, report);
    let files: Vec<TreeFile> = serde_json::from_str(&files_json)
        .map_err(|e| err(format!("{label}system.build.files: {e}")))?;
    std::fs::create_dir_all(dir)
        .map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
    tree::write(dir, &files).map_err(|m| err(format!("{label}{m}")))?;
    // Modes and owners, which the store does not keep, for activation.
    let manifest = tree::manifest(&files);
    tree::write_file(&dir.join("files.json"), manifest.as_bytes(), 0o444)
        .map_err(|e| err(format!("{label}{e}")))?;

    let spec_v = cfg
        .get(&build, "usersGroupsSpec")
        .map_err(eval_err)?
        .unwrap_or(Value::Null);
    let spec_json = cfg.to_json_text(&spec_v).map_err(eval_err)?;
    let spec: Spec = serde_json::from_str(&spec_json)
        .map_err(|e| err(format!("{label}users-groups.json: {e}")))?;
    for name in spec
        .users
        .iter()
        .map(|u| &u.name)
        .chain(spec.groups.iter().map(|g| &g.name))
    {
        super::names::check_account_name(name).map_err(|m| err(format!("{label}{m}")))?;
    }
    let io = |e: std::io::Error| err(format!("{label}{e}"));
    tree::write_file(&dir.join("users-groups.json"), spec_json.as_bytes(), 0o444).map_err(io)?;
    let update = users::update(&spec, &HostState::default(), &ReproducibleHashing)
        .map_err(|m| err(format!("{label}{m}")))?;
    report
        .messages
        .extend(update.messages.iter().map(|m| format!("{label}{m}")));
    let etc = dir.join("etc");
    tree::write_file(&etc.join("passwd"), update.passwd_text().as_bytes(), 0o644).map_err(io)?;
    tree::write_file(&etc.join("group"), update.group_text().as_bytes(), 0o644).map_err(io)?;
    tree::write_file(&etc.join("shadow"), update.shadow_text().as_bytes(), 0o600).map_err(io)?;
    tree::write_file(&etc.join("subuid"), update.subuid_text().as_bytes(), 0o644).map_err(io)?;
    tree::write_file(&etc.join("subgid"), update.subuid_text().as_bytes(), 0o644).map_err(io)?;

    let packages_v = cfg
        .get(&build, "packages")
        .map_err(eval_err)?
        .unwrap_or(Value::Null);
    let (packages_json, packages_ctx) = cfg.to_json_with_context(&packages_v).map_err(eval_err)?;
    need_derivations(cfg, &packages_ctx, report);
    let packages: serde_json::Value = serde_json::from_str(&packages_json)
        .map_err(|e| err(format!("{label}system.build.packages: {e}")))?;
    let mut list: Vec<&str> = packages["system"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            packages["users"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
                .flat_map(|v| v.as_array().into_iter().flatten()),
        )
        .filter_map(|v| v.as_str())
        .collect();
    list.sort();
    list.dedup();
    let text: String = list.iter().map(|p| format!("{p}\n")).collect();
    tree::write_file(&dir.join("packages"), text.as_bytes(), 0o444).map_err(io)?;

    if let Some(Value::List(ws)) = cfg.get(config, "warnings").map_err(eval_err)? {
        for t in ws.iter() {
            if let Ok(Value::String(s)) = cfg.thunk_value(t) {
                report.warnings.push(format!("{label}{}", s.s));
            }
        }
    }
    Ok(())
}

/// Adds the derivations a string context names (and their inputs) to the
/// report.
fn need_derivations(cfg: &Configuration, ctx: &crate::eval::value::Context, report: &mut Report) {
    let mut pending: Vec<String> = Vec::new();
    for c in ctx {
        let drv = match c.strip_prefix('=') {
            Some(d) => d,
            None if c.starts_with('!') => c.rsplit('!').next().unwrap_or(""),
            None => continue,
        };
        if !report.to_build.iter().any(|d| d == drv) {
            report.to_build.push(drv.to_string());
        }
        pending.push(drv.to_string());
    }
    let sources: std::collections::HashMap<&String, &String> = cfg
        .ev
        .copied_paths
        .iter()
        .map(|(orig, sp)| (sp, orig))
        .collect();
    while let Some(drv) = pending.pop() {
        if report.derivations.contains_key(&drv) {
            continue;
        }
        let Some(d) = cfg.ev.derivations.get(&drv) else {
            continue;
        };
        let mut refs: Vec<String> = d.input_drvs.keys().cloned().collect();
        refs.extend(d.input_srcs.iter().cloned());
        for i in d.input_drvs.keys() {
            pending.push(i.clone());
        }
        for src in &d.input_srcs {
            if let Some(orig) = sources.get(src) {
                report.sources.insert(src.clone(), (*orig).clone());
            } else if let Some((contents, _)) = cfg.ev.text_files.get(src) {
                report.text_files.insert(src.clone(), contents.clone());
            }
        }
        report.derivations.insert(
            drv.clone(),
            DrvFile {
                name: format!("{}.drv", d.name),
                aterm: d.unparse(None),
                refs,
                outputs: d.outputs.values().map(|o| o.path.clone()).collect(),
            },
        );
    }
    report.to_build.sort();
}

/// The store paths the written files mention: nixcfg's own text files
/// (realised by `nixcfg switch`, or listed for the user), and the rest —
/// packages — when they are not in the store.
fn collect_store_paths(cfg: &Configuration, dir: &Path, report: &mut Report) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut pending: Vec<String> = Vec::new();
    visit_files(dir, &mut |text| {
        for p in store_paths_in(text) {
            if seen.insert(p.clone()) {
                pending.push(p);
            }
        }
    })
    .map_err(|e| format!("cannot read the tree: {e}"))?;
    // Text files may mention further store paths.
    while let Some(p) = pending.pop() {
        if let Some((contents, _)) = cfg.ev.text_files.get(&p) {
            for q in store_paths_in(contents) {
                if seen.insert(q.clone()) {
                    pending.push(q);
                }
            }
            report.text_files.insert(p, contents.clone());
        } else if !Path::new(&p).exists()
            && !report.derivations.values().any(|d| d.outputs.contains(&p))
        {
            report.missing_packages.push(p);
        }
    }
    report.missing_packages.sort();
    Ok(())
}

fn visit_files(dir: &Path, f: &mut dyn FnMut(&str)) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let ty = e.file_type()?;
        if ty.is_dir() {
            visit_files(&e.path(), f)?;
        } else if ty.is_file() {
            if let Ok(text) = std::fs::read_to_string(e.path()) {
                f(&text);
            }
        }
    }
    Ok(())
}

/// `/nix/store/<hash>-<name>` substrings (the store object, not the path
/// inside it).
pub fn store_paths_in(text: &str) -> Vec<String> {
    const PREFIX: &str = "/nix/store/";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(PREFIX) {
        let tail = &rest[i + PREFIX.len()..];
        let len = tail
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || b"+-._?=".contains(b))
            .count();
        let name = &tail[..len];
        if name.len() > 33 && name.as_bytes()[32] == b'-' {
            out.push(format!("{PREFIX}{name}"));
        }
        rest = &tail[len..];
    }
    out
}

fn write_manifests(dir: &Path, report: &Report) -> Result<(), String> {
    // The text files themselves, so the tree is complete without an
    // evaluator: `switch` registers them in the store.
    for (path, contents) in &report.text_files {
        let base = Path::new(path)
            .file_name()
            .ok_or_else(|| format!("{path}: not a store path"))?;
        tree::write_file(&dir.join("store").join(base), contents.as_bytes(), 0o444)
            .map_err(|e| e.to_string())?;
    }
    let profiles: serde_json::Map<String, serde_json::Value> = report
        .profiles
        .iter()
        .map(|(p, t)| (p.clone(), serde_json::Value::String(t.clone())))
        .collect();
    let text = serde_json::to_string_pretty(&serde_json::json!({ "profiles": profiles }))
        .expect("JSON of strings");
    tree::write_file(&dir.join("profiles.json"), (text + "\n").as_bytes(), 0o444)
        .map_err(|e| e.to_string())?;
    let store = serde_json::json!({
        "textFiles": report.text_files.keys().collect::<Vec<_>>(),
        "derivations": report.to_build,
        "missingPackages": report.missing_packages,
    });
    let text = serde_json::to_string_pretty(&store).expect("JSON of strings");
    tree::write_file(
        &dir.join("store-paths.json"),
        (text + "\n").as_bytes(),
        0o444,
    )
    .map_err(|e| e.to_string())
}

/// A fresh staging directory beside `out`. An existing `out` is replaced
/// only if it is an earlier build (it has `profiles.json`).
fn prepare_output(out: &Path) -> Result<PathBuf, String> {
    if out.exists() && !out.join("profiles.json").exists() {
        return Err(format!(
            "refusing to replace {}: it exists and is not the output of an earlier `nixcfg build`",
            out.display()
        ));
    }
    let name = out
        .file_name()
        .ok_or_else(|| format!("{}: not a directory name", out.display()))?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let staging = parent.join(format!(
        ".{}.nixcfg-tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)
        .map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    Ok(staging)
}

fn finish_output(staging: &Path, out: &Path) -> Result<(), String> {
    if out.exists() {
        let old = staging.with_extension("old");
        std::fs::rename(out, &old).map_err(|e| format!("cannot replace {}: {e}", out.display()))?;
        std::fs::rename(staging, out)
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        std::fs::remove_dir_all(&old).map_err(|e| format!("cannot remove {}: {e}", old.display()))
    } else {
        std::fs::rename(staging, out).map_err(|e| format!("cannot write {}: {e}", out.display()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_store_paths() {
        let t = "ExecStart=/bin/sh /nix/store/0dar0810k3rj2hms81yir9pyw7q0z2n7-unit-script-hello-start \nPATH=/nix/store/0pc294g1vbxp1c1nijyqwl1bmpx8jzk7-coreutils/bin:/nix/store/short";
        assert_eq!(
            super::store_paths_in(t),
            vec![
                "/nix/store/0dar0810k3rj2hms81yir9pyw7q0z2n7-unit-script-hello-start",
                "/nix/store/0pc294g1vbxp1c1nijyqwl1bmpx8jzk7-coreutils"
            ]
        );
    }
}
