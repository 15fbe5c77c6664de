//! Generated documentation stays current: docs/options.md is exactly what
//! `nixcfg options --markdown` prints (`UPDATE_SNAPSHOTS=1` rewrites it).

mod support;

use std::path::Path;
use std::process::Command;

#[test]
fn options_reference_is_current() {
    let r = Command::new(support::nixcfg())
        .args(["options", "--markdown"])
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let got = String::from_utf8(r.stdout).unwrap();
    assert!(got.contains("## `users.users.<name>.uid`"));
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/options.md");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&file, &got).unwrap();
    }
    let want = std::fs::read_to_string(&file).unwrap();
    assert!(
        got == want,
        "docs/options.md is out of date: run `nixcfg options --markdown > docs/options.md`"
    );
}
