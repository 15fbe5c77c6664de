//! Putting a built system tree into the Nix store as the output of a
//! derivation built by the real `nix-build`: Nix then records what the
//! tree refers to (the unit scripts, the packages), so garbage collection
//! keeps everything a live generation uses.

use crate::nixtools;
use nixcfg_compiler::system::build::store_paths_in;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What does not go into the (world-readable) store: `etc/shadow` is made
/// at activation; containers and text files get store paths of their own.
const LEFT_OUT: &[&str] = &[
    "containers",
    "store",
    "etc/shadow",
    "profiles.json",
    "store-paths.json",
];

fn copy_tree(from: &Path, to: &Path, rel: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    let mut entries: Vec<_> = std::fs::read_dir(from)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let r = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if LEFT_OUT.contains(&r.as_str()) {
            continue;
        }
        let ty = e.file_type()?;
        let dest = to.join(&name);
        if ty.is_dir() {
            copy_tree(&e.path(), &dest, &r)?;
        } else if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path())?, &dest)?;
        } else {
            std::fs::copy(e.path(), &dest)?;
        }
    }
    Ok(())
}

fn scan(dir: &Path, out: &mut BTreeSet<String>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let ty = e.file_type()?;
        if ty.is_dir() {
            scan(&e.path(), out)?;
        } else if ty.is_symlink() {
            out.extend(store_paths_in(
                &std::fs::read_link(e.path())?.to_string_lossy(),
            ));
        } else if let Ok(t) = std::fs::read_to_string(e.path()) {
            out.extend(store_paths_in(&t));
        }
    }
    Ok(())
}

/// Adds the system in `system_dir` (a tree written by `nixcfg build`;
/// `texts` are the text files of the whole build) to the store; returns
/// its store path.
pub fn add_system(
    system_dir: &Path,
    texts: &BTreeMap<String, String>,
    name: &str,
    work: &Path,
) -> Result<String, String> {
    let io =
        |e: std::io::Error| format!("preparing the store copy of {}: {e}", system_dir.display());
    let _ = std::fs::remove_dir_all(work);
    copy_tree(system_dir, &work.join("tree"), "").map_err(io)?;
    let mut mentioned = BTreeSet::new();
    scan(&work.join("tree"), &mut mentioned).map_err(io)?;
    let mut text_list = Vec::new();
    let mut present = Vec::new();
    let mut pending: Vec<String> = mentioned.into_iter().collect();
    let mut seen: BTreeSet<String> = pending.iter().cloned().collect();
    while let Some(p) = pending.pop() {
        if let Some(contents) = texts.get(&p) {
            let base = Path::new(&p)
                .file_name()
                .unwrap_or_default()
                .to_string_lossy();
            let name = base
                .split_once('-')
                .map(|(_, n)| n)
                .unwrap_or(&base)
                .to_string();
            text_list.push(serde_json::json!({ "name": name, "path": p, "contents": contents }));
            for q in store_paths_in(contents) {
                if seen.insert(q.clone()) {
                    pending.push(q);
                }
            }
        } else if Path::new(&p).exists() {
            present.push(p);
        }
    }
    present.sort();
    std::fs::write(
        work.join("texts.json"),
        serde_json::to_string(&text_list).expect("JSON"),
    )
    .map_err(io)?;
    std::fs::write(
        work.join("paths.json"),
        serde_json::to_string(&present).expect("JSON"),
    )
    .map_err(io)?;
    std::fs::write(work.join("system.nix"), system_expression(name)).map_err(io)?;
    nixtools::build(&work.join("system.nix")).map_err(|e| e.to_string())
}

/// The derivation: `cp -R` of the tree, with every store object the tree
/// mentions as an input, so Nix finds them as references of the output.
/// The text files are made by Nix's own `builtins.toFile`, and must land
/// at the paths nixcfg computed.
fn system_expression(name: &str) -> String {
    format!(
        r#"# Written by nixcfg switch.
let
  texts = builtins.fromJSON (builtins.readFile ./texts.json);
  made = map (
    t:
    let
      p = builtins.toFile t.name t.contents;
    in
    if p == t.path then p else throw "nixcfg: Nix made ${{p}} where nixcfg computed ${{t.path}}"
  ) texts;
  present = map builtins.storePath (builtins.fromJSON (builtins.readFile ./paths.json));
in
derivation {{
  name = {name:?};
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "/bin/cp -R \"$tree\" \"$out\"" ];
  tree = builtins.path {{ path = ./tree; name = {tree:?}; }};
  refs = made ++ present;
}}
"#,
        tree = format!("{name}-tree")
    )
}
