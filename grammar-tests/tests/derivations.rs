//! Every fixture in `fixtures/derivations/` evaluates to a list of
//! derivations; nixcfg and the real `nix-instantiate` must agree on each
//! `drvPath` and `outPath`.

mod support;

use std::path::Path;

fn paths(cmd: &[&str], dir: &Path, file: &str) -> String {
    let expr = format!("map (d: [ d.drvPath d.outPath ]) (import ./{file})");
    let out = support::run_nix(cmd, &["--eval", "--strict", "--json", "-E", &expr], dir);
    assert!(
        out.status.success(),
        "{cmd:?} on {file} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn printed(cmd: &[&str], dir: &Path, file: &str) -> String {
    let out = support::run_nix(cmd, &["--eval", "--strict", file], dir);
    assert!(
        out.status.success(),
        "{cmd:?} on {file} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The derivations printed in full (`«repeated»` included) as Nix prints them.
#[test]
fn printed_derivations_match_nix_instantiate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/derivations");
    for f in [
        "plain.nix",
        "multiple-outputs.nix",
        "context.nix",
        "fixed-output.nix",
    ] {
        let want = printed(&["nix-instantiate", "--read-write-mode"], &dir, f);
        let got = printed(&[support::nixcfg(), "nix-instantiate"], &dir, f);
        assert_eq!(got, want, "printed values differ for {f}");
    }
}

#[test]
fn derivation_paths_match_nix_instantiate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/derivations");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".nix"))
        .collect();
    files.sort();
    assert!(files.len() >= 6);
    for f in files {
        // --read-write-mode: the reference writes its .drv files, which
        // drvPath-in-context closures need.
        let want = paths(&["nix-instantiate", "--read-write-mode"], &dir, &f);
        let got = paths(&[support::nixcfg(), "nix-instantiate"], &dir, &f);
        assert_eq!(got, want, "paths differ for {f}");
        assert!(
            want.matches(".drv").count() >= 1,
            "{f} produced no derivations"
        );
    }
}
