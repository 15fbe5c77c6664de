//! nixpkgs' own module-system checks (`shared/conformance/modules`), run
//! with their runner against nixcfg's built-in `lib`.

mod support;

use std::process::Command;

#[test]
fn module_system_corpus() {
    let dir = support::corpus("modules");
    assert!(
        dir.join("run.sh").exists(),
        "corpus not found at {}",
        dir.display()
    );
    let out = Command::new("bash")
        .arg(dir.join("run.sh"))
        .env(
            "NIX_EVAL_CMD",
            format!("{} nix-instantiate", support::nixcfg()),
        )
        .output()
        .expect("runner starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let results = support::results(&stdout);
    assert!(
        results.len() >= 266,
        "the runner ran only {} checks:\n{stdout}",
        results.len()
    );
    support::check_against_known(
        &results,
        &support::known_failures("modules.tsv"),
        "modules.tsv",
    );
}
