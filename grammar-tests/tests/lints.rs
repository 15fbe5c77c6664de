//! One fixture per lint code (`fixtures/lints/CODE.nix`): the findings of
//! `nixcfg check --format json` equal `CODE.expected`, and after
//! `nixcfg check --fix` the file equals `CODE.fixed.nix` (when the code
//! has a fix). `UPDATE_SNAPSHOTS=1` rewrites both. Every code has a
//! fixture and a page (`nixcfg explain`).

mod support;

use std::path::Path;
use std::process::Command;

fn check(dir: &Path, args: &[&str]) -> (String, i32) {
    let out = Command::new(support::nixcfg())
        .current_dir(dir)
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn every_lint_fixture() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lints");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut names: Vec<String> = std::fs::read_dir(&fixtures)
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            (n.ends_with(".nix") && !n.ends_with(".fixed.nix"))
                .then(|| n.trim_end_matches(".nix").to_string())
        })
        .collect();
    names.sort();
    for name in &names {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join(format!("{name}.nix"));
        std::fs::copy(fixtures.join(format!("{name}.nix")), &file).unwrap();
        let (json, code) = check(tmp.path(), &["--format", "json", "."]);
        let prefix = format!("{}/", std::fs::canonicalize(tmp.path()).unwrap().display());
        let got = json.replace(&prefix, "");
        let expected = fixtures.join(format!("{name}.expected"));
        if update {
            std::fs::write(&expected, &got).unwrap();
        }
        assert_eq!(
            got,
            std::fs::read_to_string(&expected).unwrap(),
            "findings of {name}"
        );
        let errors = got.lines().any(|l| l.contains("\"level\":\"error\""));
        assert_eq!(code, i32::from(errors), "{name}: exit code");

        let (_, _) = check(tmp.path(), &["--fix", "."]);
        let fixed = std::fs::read_to_string(&file).unwrap();
        let fixed_path = fixtures.join(format!("{name}.fixed.nix"));
        let original = std::fs::read_to_string(fixtures.join(format!("{name}.nix"))).unwrap();
        if update && fixed != original {
            std::fs::write(&fixed_path, &fixed).unwrap();
        }
        if fixed_path.exists() {
            assert_eq!(
                fixed,
                std::fs::read_to_string(&fixed_path).unwrap(),
                "{name} after --fix"
            );
            // The fixed file has no fixable finding left, and parses.
            let (after, _) = check(tmp.path(), &["--format", "json", "."]);
            assert!(
                !after.contains("\"fix\":{"),
                "{name}: fixable findings remain after --fix:\n{after}"
            );
        } else {
            assert_eq!(
                fixed, original,
                "{name}: --fix changed a file with no fixable finding"
            );
        }
    }
    // Every lint code has its fixture and its page.
    let codes = Command::new(support::nixcfg())
        .arg("explain")
        .output()
        .unwrap();
    let listed = String::from_utf8(codes.stdout).unwrap();
    for code in [
        "unused-binding",
        "unused-formal",
        "unused-with",
        "unit-description-case",
        "empty-password",
        "renamed-option",
        "mkdir-mode",
        "duplicate-id",
        "container-name",
        "clear-text-password",
    ] {
        assert!(names.iter().any(|n| n == code), "no fixture for {code}");
        assert!(
            listed.contains(&format!("nixcfg::{code} ")),
            "no page for {code}"
        );
        let page = Command::new(support::nixcfg())
            .args(["explain", code])
            .output()
            .unwrap();
        assert!(
            page.status.success()
                && String::from_utf8_lossy(&page.stdout).starts_with(&format!("# nixcfg::{code}"))
        );
    }
}

/// nixcfg.toml: disabled codes are not reported, excluded paths not read.
#[test]
fn project_config_disables_and_excludes() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lints");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("vendor")).unwrap();
    std::fs::copy(fixtures.join("unused-with.nix"), tmp.path().join("a.nix")).unwrap();
    std::fs::copy(
        fixtures.join("duplicate-id.nix"),
        tmp.path().join("vendor/b.nix"),
    )
    .unwrap();
    let (before, code) = check(tmp.path(), &["--format", "json"]);
    assert!(before.contains("unused-with") && before.contains("duplicate-id") && code == 1);
    std::fs::write(
        tmp.path().join("nixcfg.toml"),
        "[check]\ndisable = [\"unused-with\", \"nixcfg::unused-formal\"]\nexclude = [\"vendor/**\"]\n",
    )
    .unwrap();
    let (after, code) = check(tmp.path(), &["--format", "json"]);
    assert_eq!(after, "", "everything is disabled or excluded");
    assert_eq!(code, 0);
    let (gh, _) = check(tmp.path(), &["--format", "github", "vendor/b.nix"]);
    assert!(
        gh.starts_with("::error file=vendor/b.nix,line=4,col="),
        "{gh}"
    );
}
