//! Evaluation order stays Nix's: each file in `fixtures/laziness/` is
//! evaluated with `--eval --strict` by nixcfg and by the real
//! `nix-instantiate`, and the printed values must be the same. The files
//! hold values nixcfg computes at once instead of lazily
//! (`compiler/src/eval/eager.rs`) and values that must stay unforced.

mod support;

use std::path::Path;
use std::process::Command;

/// What `cmd --eval --strict file` prints; it must succeed.
fn eval(mut cmd: Command, file: &Path) -> String {
    let out = cmd
        .args(["--eval", "--strict"])
        .arg(file)
        .env("NIX_CONFIG", "substituters =")
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed on {}:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn cheap_values_computed_early_match_nix() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/laziness");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "nix"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "fixtures missing in {}", dir.display());
    for file in files {
        let mut nixcfg = Command::new(support::nixcfg());
        nixcfg.arg("nix-instantiate");
        let nix = eval(Command::new("nix-instantiate"), &file);
        assert_eq!(eval(nixcfg, &file), nix, "{}", file.display());
    }
}
