//! `nixcfg build` on the configurations in `fixtures/build/`:
//! - the whole tree (every emitter: units, passwd/group/shadow, container
//!   conf, profile set, /etc files) equals the snapshot `NAME.tree`
//!   (`UPDATE_SNAPSHOTS=1` rewrites it), and a second build is identical;
//! - passwd/group/shadow of every system pass `pwck -r -R` / `grpck -r -R`;
//! - every unit passes `systemd-analyze verify`, warnings included.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/build");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "nix"))
        .collect();
    v.sort();
    assert!(v.len() >= 3, "fixtures/build holds the cases");
    v
}

fn build(config: &Path, out: &Path) {
    let r = Command::new(support::nixcfg())
        .arg("build")
        .arg(config)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "nixcfg build {} failed:\n{}",
        config.display(),
        String::from_utf8_lossy(&r.stderr)
    );
}

/// Every path of the tree with its mode and contents (or link target).
fn dump(root: &Path) -> String {
    fn walk(root: &Path, dir: &Path, out: &mut String) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.push_str(&format!("== {rel} -> {}\n", t.display()));
            } else if meta.is_dir() {
                walk(root, &p, out);
            } else {
                let mode = meta.permissions().mode() & 0o7777;
                let text = std::fs::read_to_string(&p).unwrap();
                out.push_str(&format!("== {rel} ({mode:04o})\n{text}"));
                if !text.ends_with('\n') {
                    out.push_str("\n[no newline at end]\n");
                }
            }
        }
    }
    let mut out = String::new();
    walk(root, root, &mut out);
    out
}

/// The system trees in a build: the host and `containers/*`.
fn systems(out: &Path) -> Vec<PathBuf> {
    let mut v = vec![out.to_path_buf()];
    if let Ok(rd) = std::fs::read_dir(out.join("containers")) {
        let mut cs: Vec<_> = rd.map(|e| e.unwrap().path()).collect();
        cs.sort();
        v.extend(cs);
    }
    v
}

#[test]
fn build_matches_snapshot_and_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    for case in cases() {
        let a = tmp.path().join("a");
        let b = tmp.path().join("b");
        build(&case, &a);
        build(&case, &b);
        let got = dump(&a);
        assert_eq!(got, dump(&b), "{}: two builds differ", case.display());
        let snap = case.with_extension("tree");
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&snap, &got).unwrap();
        }
        let want = std::fs::read_to_string(&snap)
            .unwrap_or_else(|_| panic!("{} is missing (UPDATE_SNAPSHOTS=1)", snap.display()));
        if got != want {
            let diff = Command::new("diff")
                .arg("-u")
                .arg(&snap)
                .arg("-")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .and_then(|mut c| {
                    use std::io::Write;
                    c.stdin.take().unwrap().write_all(got.as_bytes())?;
                    c.wait_with_output()
                })
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            panic!("{} differs from its snapshot:\n{diff}", case.display());
        }
        std::fs::remove_dir_all(&a).unwrap();
        std::fs::remove_dir_all(&b).unwrap();
    }
}

#[test]
fn passwd_and_group_pass_pwck_and_grpck() {
    let tmp = tempfile::tempdir().unwrap();
    for case in cases() {
        let out = tmp.path().join(case.file_stem().unwrap());
        build(&case, &out);
        for root in systems(&out) {
            // -q: homes and shells live on the host, not in the tree.
            for (tool, args) in [
                ("pwck", &["-q", "-r", "-R"][..]),
                ("grpck", &["-r", "-R"][..]),
            ] {
                let r = Command::new(tool).args(args).arg(&root).output().unwrap();
                assert!(
                    r.status.success() && r.stdout.is_empty(),
                    "{tool} on {} ({}): rc {:?}\n{}{}",
                    root.display(),
                    case.display(),
                    r.status.code(),
                    String::from_utf8_lossy(&r.stdout),
                    String::from_utf8_lossy(&r.stderr)
                );
            }
            // pwck does not check id uniqueness; the tree must not repeat one.
            for (file, field) in [("etc/passwd", 2), ("etc/group", 2)] {
                let text = std::fs::read_to_string(root.join(file)).unwrap();
                let mut ids: Vec<&str> = text
                    .lines()
                    .map(|l| l.split(':').nth(field).unwrap())
                    .collect();
                let n = ids.len();
                ids.sort();
                ids.dedup();
                assert_eq!(ids.len(), n, "duplicate id in {}/{file}", root.display());
            }
        }
    }
}

/// Runs `systemd-analyze verify` on every unit of a tree, with the tree's
/// store files and a stub for each executable of a package nixcfg could
/// not build, mounted at /nix/store in a private mount namespace.
fn verify_units(system: &Path, store_paths: &StorePaths) -> Result<(), String> {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let units = tmp.path().join("units");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::create_dir_all(&units).unwrap();
    for p in &store_paths.text_files {
        let base = Path::new(p).file_name().unwrap();
        std::fs::copy(store_paths.root.join("store").join(base), store.join(base)).unwrap();
    }
    let unit_dir = system.join("etc/systemd/system");
    let mut names = Vec::new();
    let Ok(entries) = std::fs::read_dir(&unit_dir) else {
        return Ok(());
    };
    for e in entries {
        let p = e.unwrap().path();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        if !meta.is_file() {
            continue;
        }
        let name = p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace("@.", "@verify.");
        let text = std::fs::read_to_string(&p).unwrap();
        // Executables of packages that are not built: stubs.
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            if !key.starts_with("Exec") {
                continue;
            }
            let exe = value
                .trim_start_matches(['-', '@', '+', '!', ':'])
                .split(' ')
                .next()
                .unwrap();
            if let Some(rest) = exe.strip_prefix("/nix/store/") {
                if store_paths
                    .missing
                    .iter()
                    .any(|m| exe.starts_with(m.as_str()))
                {
                    let stub = store.join(rest);
                    std::fs::create_dir_all(stub.parent().unwrap()).unwrap();
                    std::fs::write(&stub, "#!/bin/sh\n").unwrap();
                    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755))
                        .unwrap();
                }
            }
        }
        std::fs::write(units.join(&name), text).unwrap();
        names.push(name);
    }
    names.sort();
    if names.is_empty() {
        return Ok(());
    }
    let r = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount --bind "$1" /nix/store && cd "$2" && shift 2 && exec systemd-analyze verify --man=no "$@""#)
        .arg("sh")
        .arg(&store)
        .arg(&units)
        .args(&names)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    // Lines about the host (cgroups, missing targets of the host) are not
    // about these units; everything naming a unit file is a finding.
    let findings: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            names.iter().any(|n| l.contains(n.as_str()))
                || l.contains("Unknown key")
                || l.contains("Failed to parse")
        })
        .collect();
    if r.status.success() && findings.is_empty() {
        Ok(())
    } else {
        Err(format!("rc {:?}\n{stderr}", r.status.code()))
    }
}

/// The store objects a build lists in store-paths.json.
struct StorePaths {
    root: PathBuf,
    text_files: Vec<String>,
    missing: Vec<String>,
}

fn store_paths(root: &Path) -> StorePaths {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("store-paths.json")).unwrap())
            .unwrap();
    let list = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    StorePaths {
        root: root.to_path_buf(),
        text_files: list("textFiles"),
        missing: list("missingPackages"),
    }
}

#[test]
fn units_pass_systemd_analyze_verify() {
    if !Path::new("/nix/store").is_dir() {
        panic!("/nix/store must exist (scripts/test creates it)");
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut verified = 0;
    for case in cases() {
        let out = tmp.path().join(case.file_stem().unwrap());
        build(&case, &out);
        let paths = store_paths(&out);
        for system in systems(&out) {
            if let Err(e) = verify_units(&system, &paths) {
                panic!(
                    "systemd-analyze verify on {} ({}):\n{e}",
                    system.display(),
                    case.display()
                );
            }
            verified += 1;
        }
    }
    assert!(verified >= 5);
}

/// Every `configuration.nix` under `examples/` builds, with no error.
#[test]
fn every_example_builds() {
    fn find(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                find(&p, out);
            } else if p.file_name().is_some_and(|n| n == "configuration.nix") {
                out.push(p);
            }
        }
    }
    let mut configs = Vec::new();
    find(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples"),
        &mut configs,
    );
    assert!(configs.len() >= 2, "examples/ holds configurations");
    let tmp = tempfile::tempdir().unwrap();
    for (i, c) in configs.iter().enumerate() {
        let out = tmp.path().join(i.to_string());
        build(c, &out);
        assert!(out.join("profiles.json").exists());
    }
}
