#![allow(dead_code)] // each test binary uses a part of these helpers
//! Shared helpers: locating the shared corpora, copying them with their
//! symlinks restored, and comparing runner results with the known-failure
//! lists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `../shared/conformance/NAME`, relative to the repository root.
pub fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance")
        .join(name)
}

pub fn nixcfg() -> &'static str {
    env!("CARGO_BIN_EXE_nixcfg-under-test")
}

/// Runs `cmd` (the real Nix or nixcfg in its place) with no binary
/// cache. The real Nix's store database may be locked by another test's
/// Nix for a moment ("SQLite database ... is busy", above all while a
/// fresh machine's first Nix creates it): it is tried again.
pub fn run_nix(cmd: &[&str], args: &[&str], dir: &Path) -> std::process::Output {
    let run = || {
        Command::new(cmd[0])
            .args(&cmd[1..])
            .args(args)
            .current_dir(dir)
            .env("NIX_CONFIG", "substituters =")
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e} (scripts/test installs nix-bin)", cmd[0]))
    };
    let mut out = run();
    for _ in 0..10 {
        if out.status.success() || !String::from_utf8_lossy(&out.stderr).contains("is busy") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        out = run();
    }
    out
}

/// Copies a directory tree. The shared copy of a corpus may hold symlinks
/// as plain files whose content is the target: `links` names those, and
/// they are made real symlinks again.
pub fn copy_tree(from: &Path, to: &Path, links: &[&str]) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp runs");
    assert!(status.success(), "copying {} failed", from.display());
    let _ = Command::new("chmod").arg("-R").arg("u+w").arg(to).status();
    for l in links {
        let p = to.join(l);
        if std::fs::symlink_metadata(&p)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false)
        {
            continue;
        }
        let target =
            std::fs::read_to_string(&p).unwrap_or_else(|_| panic!("reading {}", p.display()));
        std::fs::remove_file(&p).unwrap();
        std::os::unix::fs::symlink(target.trim_end_matches('\n'), &p).unwrap();
    }
}

/// `case<TAB>reason` lines; `#` starts a comment.
pub fn known_failures(file: &str) -> BTreeMap<String, String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("known-failures")
        .join(file);
    let text = std::fs::read_to_string(&p).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (c, r) = l.split_once('\t').unwrap_or((l, ""));
            (c.trim().to_string(), r.trim().to_string())
        })
        .collect()
}

/// Parses `PASS name` / `FAIL name (why)` lines of a runner.
pub fn results(output: &str) -> BTreeMap<String, (bool, String)> {
    let mut m = BTreeMap::new();
    for line in output.lines() {
        if let Some(rest) = line.strip_prefix("PASS ") {
            m.insert(
                rest.split_whitespace().next().unwrap_or("").to_string(),
                (true, String::new()),
            );
        } else if let Some(rest) = line.strip_prefix("FAIL ") {
            let name = rest.split_whitespace().next().unwrap_or("").to_string();
            m.insert(name, (false, rest.to_string()));
        }
    }
    m
}

/// Fails when an unlisted case fails or a listed case passes.
pub fn check_against_known(
    results: &BTreeMap<String, (bool, String)>,
    known: &BTreeMap<String, String>,
    list: &str,
) {
    let mut problems = Vec::new();
    for (name, (passed, why)) in results {
        match (passed, known.contains_key(name)) {
            (false, false) => problems.push(format!("new failure: {why}")),
            (true, true) => problems.push(format!(
                "{name} passes now: remove it from known-failures/{list}"
            )),
            _ => {}
        }
    }
    for name in known.keys() {
        if !results.contains_key(name) {
            problems.push(format!(
                "{name} is listed in known-failures/{list} but was not run"
            ));
        }
    }
    let passed = results.values().filter(|(p, _)| *p).count();
    eprintln!(
        "{passed} of {} cases pass; {} known failures",
        results.len(),
        known.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A Python virtual environment with `packages` installed (from PyPI),
/// kept under `target/test-venv` between runs.
pub fn python_venv(packages: &[&str]) -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-venv");
    if !venv.join("bin/pip").exists() {
        let st = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 runs");
        assert!(
            st.success(),
            "python3 -m venv failed (Debian: apt-get install python3-venv)"
        );
    }
    let st = Command::new(venv.join("bin/pip"))
        .args(["install", "-q", "--disable-pip-version-check"])
        .args(packages)
        .status()
        .expect("pip runs");
    assert!(st.success(), "pip install {packages:?} failed");
    venv
}
