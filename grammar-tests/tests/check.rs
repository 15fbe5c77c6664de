//! `nixcfg check` on the configurations in `fixtures/check/`: each case
//! `NAME.nix` with a `NAME.expected` beside it must give exactly the
//! findings listed there (one JSON object a line, paths relative to the
//! fixtures folder); `NAME.flags` holds extra command-line arguments.

mod support;

use std::path::Path;
use std::process::Command;

#[test]
fn check_reports_every_mistake_at_its_line() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/check");
    let mut cases = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let Some(expected) = p
            .extension()
            .filter(|x| *x == "nix")
            .map(|_| p.with_extension("expected"))
        else {
            continue;
        };
        if !expected.exists() {
            continue;
        }
        cases += 1;
        // NAME.flags: extra arguments, relative to the fixtures folder.
        let flags = std::fs::read_to_string(p.with_extension("flags")).unwrap_or_default();
        let out = Command::new(support::nixcfg())
            .current_dir(&dir)
            .args(["check", "--format", "json"])
            .args(flags.split_whitespace())
            .arg(&p)
            .output()
            .unwrap();
        let prefix = format!("{}/", dir.canonicalize().unwrap().display());
        let got = String::from_utf8(out.stdout).unwrap().replace(&prefix, "");
        let want = std::fs::read_to_string(&expected).unwrap();
        assert_eq!(
            got.trim_end(),
            want.trim_end(),
            "findings of {} differ",
            p.display()
        );
        let errors = want.lines().count();
        assert_eq!(
            out.status.code(),
            Some(if errors > 0 { 1 } else { 0 }),
            "exit status of {}",
            p.display()
        );
    }
    assert!(cases >= 2, "only {cases} cases");
}
