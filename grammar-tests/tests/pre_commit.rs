//! The pre-commit hook of this repository, run by the real pre-commit
//! (from PyPI) with `try-repo` in a scratch git repository holding a broken
//! configuration: the hook fails and names the finding; fixed, it passes.

mod support;

use std::path::Path;
use std::process::Command;

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

#[test]
fn pre_commit_try_repo_fails_on_a_broken_configuration() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let tmp = tempfile::tempdir().unwrap();
    // pre-commit itself, from PyPI.
    let venv = support::python_venv(&["pre-commit"]);

    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let git = |args: &[&str]| {
        let o = run(Command::new("git").current_dir(&work).args(args));
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["config", "user.email", "test@example.org"]);
    git(&["config", "user.name", "test"]);
    std::fs::write(
        work.join("configuration.nix"),
        "{ ... }:\n{\n  users.users.root.hashedPassword = \"\";\n}\n",
    )
    .unwrap();
    git(&["add", "configuration.nix"]);

    let try_repo = || {
        run(Command::new(venv.join("bin/pre-commit"))
            .current_dir(&work)
            .args(["try-repo"])
            .arg(&repo)
            .args(["nixcfg-check", "--all-files"])
            // Build the hook without optimisation, beside this build.
            .env("NIXCFG_HOOK_PROFILE", "dev")
            .env("CARGO_TARGET_DIR", repo.join("target/pre-commit"))
            .env("PRE_COMMIT_HOME", tmp.path().join("cache")))
    };
    let out = try_repo();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "the hook must fail:\n{text}");
    assert!(
        text.contains("nixcfg::empty-password"),
        "the finding is shown:\n{text}"
    );

    std::fs::write(
        work.join("configuration.nix"),
        "{ ... }:\n{\n  users.users.root.hashedPassword = \"!\";\n}\n",
    )
    .unwrap();
    git(&["add", "configuration.nix"]);
    let out = try_repo();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the hook passes once fixed:\n{text}");
}
