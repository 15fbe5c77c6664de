//! The language server end to end, driven by a real LSP client: the
//! pytest-lsp tests in `grammar-tests/lsp/` (diagnostics on open and on
//! change, syntax errors, completion at any depth, hover, quick fixes,
//! navigation, rename, semantic tokens, the time budget).

mod support;

use std::path::Path;
use std::process::Command;

#[test]
fn language_server_with_a_real_client() {
    let venv = support::python_venv(&["pytest-lsp==1.0.1"]);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lsp");
    let out = Command::new(venv.join("bin/pytest"))
        .arg("-q")
        .arg("-p")
        .arg("no:cacheprovider")
        .arg("-c")
        .arg(dir.join("pytest.ini"))
        .arg(dir.join("test_lsp.py"))
        .env("NIXCFG_BIN", support::nixcfg())
        .env("NIXCFG_LSP_TIME_BUDGET_MS", "15000")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "pytest-lsp:\n{text}");
    assert!(text.contains("19 passed"), "{text}");
}
