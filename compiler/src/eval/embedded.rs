//! Nix files built into the binary (`<nix/fetchurl.nix>`, and nixcfg's own
//! modules). They are written once to a cache directory named by their
//! content hash, so `import`, `readFile` and editors see real files.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// (path under the embedded root, contents): every file under `compiler/nix/`.
pub const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_files.rs"));

fn content_tag() -> String {
    let mut all = Vec::new();
    for (p, c) in FILES {
        all.extend_from_slice(p.as_bytes());
        all.push(0);
        all.extend_from_slice(c.as_bytes());
        all.push(0);
    }
    super::store::hex(&super::store::sha256(&all)[..8])
}

fn candidates() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME") {
        v.push(PathBuf::from(x).join("nixcfg"));
    }
    if let Some(h) = std::env::var_os("HOME") {
        v.push(PathBuf::from(h).join(".cache/nixcfg"));
    }
    v.push(std::env::temp_dir().join(format!("nixcfg-{}", nix_uid())));
    v
}

fn nix_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0)
}

fn write_all(dir: &Path) -> std::io::Result<()> {
    if dir.join(".complete").exists() {
        return Ok(());
    }
    let tmp = dir.with_extension(format!("tmp{}", std::process::id()));
    for (p, c) in FILES {
        let f = tmp.join(p);
        std::fs::create_dir_all(f.parent().expect("embedded paths have a parent"))?;
        std::fs::write(&f, c)?;
    }
    std::fs::write(tmp.join(".complete"), "")?;
    match std::fs::rename(&tmp, dir) {
        Ok(()) => Ok(()),
        // Another process won the race: its copy is identical.
        Err(_) if dir.join(".complete").exists() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The directory holding the embedded files, written on first use.
pub fn root() -> Option<&'static Path> {
    static ROOT: OnceLock<Option<PathBuf>> = OnceLock::new();
    ROOT.get_or_init(|| {
        let tag = content_tag();
        for base in candidates() {
            let dir = base.join(format!("embedded-{tag}"));
            if std::fs::create_dir_all(&base).is_ok() && write_all(&dir).is_ok() {
                return Some(dir);
            }
        }
        None
    })
    .as_deref()
}

/// Resolves `<nix/…>` and `<nixcfg/…>` when the search path has no entry.
pub fn find(wanted: &str) -> Option<PathBuf> {
    let top = wanted.split('/').next()?;
    if !FILES.iter().any(|(p, _)| p.split('/').next() == Some(top)) {
        return None;
    }
    let p = root()?.join(wanted);
    p.exists().then_some(p)
}
