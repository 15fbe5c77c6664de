//! Writing a system tree: the list of files `system.build.files` names
//! (text or copied source, with its mode) and links.

use serde::Deserialize;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path};

#[derive(Deserialize, Debug, Clone)]
pub struct TreeFile {
    pub path: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub symlink: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
}

/// One installed file as activation sees it (files.json).
#[derive(serde::Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ManifestEntry {
    pub path: String,
    /// Octal mode of a copied file; absent for links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symlink: Option<String>,
}

/// files.json: the files of a tree sorted by path, with mode and owner.
pub fn manifest(files: &[TreeFile]) -> String {
    let mut entries: Vec<ManifestEntry> = files
        .iter()
        .map(|f| ManifestEntry {
            path: f.path.clone(),
            mode: if f.symlink.is_some() {
                None
            } else {
                Some(f.mode.clone().unwrap_or_else(|| "0444".into()))
            },
            user: f.user.clone().filter(|u| u != "+0"),
            group: f.group.clone().filter(|g| g != "+0"),
            symlink: f.symlink.clone(),
        })
        .collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    serde_json::to_string_pretty(&entries).expect("JSON of strings") + "\n"
}

/// A path inside the tree: relative, no `..`, no empty parts.
pub fn checked_relative(p: &str) -> Result<&Path, String> {
    let path = Path::new(p);
    let ok = !p.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)));
    if ok {
        Ok(path)
    } else {
        Err(format!(
            "refusing to write `{p}': not a relative path inside the tree"
        ))
    }
}

/// Creates `path` with `mode` from the start (a secret is never readable
/// by others, not even for an instant) and writes `data`.
pub fn write_file(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    f.write_all(data)?;
    // The umask may have narrowed the mode; set it exactly.
    f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// Writes every file of the list under `root`.
pub fn write(root: &Path, files: &[TreeFile]) -> Result<(), String> {
    let mut sorted: Vec<&TreeFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for w in sorted.windows(2) {
        if w[0].path == w[1].path {
            return Err(format!("two definitions write the file `{}'", w[0].path));
        }
    }
    for f in sorted {
        let rel = checked_relative(&f.path)?;
        let dest = root.join(rel);
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", dest.display());
        if let Some(target) = &f.symlink {
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(fail)?;
            }
            std::os::unix::fs::symlink(target, &dest).map_err(fail)?;
            continue;
        }
        let mode = match f.mode.as_deref() {
            None => 0o444,
            Some(m) => u32::from_str_radix(m, 8)
                .map_err(|_| format!("`{}': mode `{m}' is not octal", f.path))?,
        };
        let data = match (&f.text, &f.source) {
            (Some(t), _) => t.clone().into_bytes(),
            (None, Some(src)) => std::fs::read(src)
                .map_err(|e| format!("`{}': cannot read its source {src}: {e}", f.path))?,
            (None, None) => return Err(format!("`{}' has neither text nor source", f.path)),
        };
        write_file(&dest, &data, mode).map_err(fail)?;
    }
    Ok(())
}
