//! The lib functions that configurations use: `fixtures/lib/functions.nix`
//! checks each once and evaluates to the list of failures, which must be
//! empty — with nixcfg, and with the real Nix running the same lib.

mod support;

use std::path::Path;
use std::process::Command;

fn failures(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed:\n{}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn lib_functions_behave() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lib/functions.nix");
    let ours = failures(
        Command::new(support::nixcfg())
            .args(["nix-instantiate", "--eval", "--strict", "--json"])
            .arg(&file),
    );
    assert_eq!(ours, "[]", "failing checks with nixcfg");
    // The same lib under the real Nix: find where nixcfg wrote it.
    let lib = failures(Command::new(support::nixcfg()).args([
        "nix-instantiate",
        "--eval",
        "-E",
        "toString <nixcfg/lib>",
    ]));
    let lib = lib.trim().trim_matches('"');
    let root = Path::new(lib).parent().unwrap().parent().unwrap();
    let nix = failures(
        Command::new("nix-instantiate")
            .args(["--eval", "--strict", "--json", "-I"])
            .arg(format!("nixcfg={}/nixcfg", root.display()))
            .arg(&file)
            .env("NIX_CONFIG", "substituters ="),
    );
    assert_eq!(
        nix, "[]",
        "failing checks with nix-instantiate and nixcfg's lib"
    );
}
