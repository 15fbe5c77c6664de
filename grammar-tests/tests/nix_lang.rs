//! Nix's own language test suite (`shared/conformance/nix-lang`), run with
//! its reference runner against `nixcfg nix-instantiate`.

mod support;

use std::process::Command;

/// Entries the corpus README lists as symlinks.
const SYMLINKS: &[&str] = &[
    "lang/readDir/ldir",
    "lang/readDir/linked",
    "lang/symlink-resolution/broken",
    "lang/symlink-resolution/foo/overlays",
];

#[test]
fn nix_lang_corpus() {
    let src = support::corpus("nix-lang");
    assert!(
        src.join("run-reference.sh").exists(),
        "corpus not found at {}",
        src.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nix-lang");
    support::copy_tree(&src, &dir, SYMLINKS);
    let out = Command::new("sh")
        .arg(dir.join("run-reference.sh"))
        .env(
            "NIX_EVAL_CMD",
            format!("{} nix-instantiate", support::nixcfg()),
        )
        .env("CASE_TIMEOUT", "60")
        .output()
        .expect("runner starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let results = support::results(&stdout);
    assert!(
        results.len() >= 486 - 1,
        "the runner ran only {} cases:\n{stdout}",
        results.len()
    );
    support::check_against_known(
        &results,
        &support::known_failures("nix-lang.tsv"),
        "nix-lang.tsv",
    );
}
