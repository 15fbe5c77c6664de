//! `nixcfg switch` with the real Nix tools under temporary roots:
//! generations and rollback, garbage collection keeping live generations,
//! mutable and immutable users, uids that survive removal, security, and
//! crash safety (SIGKILL at random moments) and concurrent switches.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// Switches share the store (and `nix-store --gc` must not race a build).
static STORE: Mutex<()> = Mutex::new(());

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/switch")
        .join(name)
}

fn nixcfg(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(support::nixcfg())
        .args(args)
        .env("NIX_CONFIG", "substituters =")
        .output()
        .unwrap()
}

fn switch(root: &Path, config: &str) -> Output {
    let out = nixcfg(&[
        "switch".as_ref(),
        fixture(config).as_os_str(),
        "--root".as_ref(),
        root.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "switch {config} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn profile(root: &Path) -> PathBuf {
    root.join("nix/var/nix/profiles/system")
}

fn read(root: &Path, file: &str) -> String {
    std::fs::read_to_string(root.join(file)).unwrap_or_default()
}

fn user_line<'a>(passwd: &'a str, name: &str) -> Option<&'a str> {
    passwd.lines().find(|l| l.split(':').next() == Some(name))
}

fn uid(root: &Path, name: &str) -> Option<u32> {
    user_line(&read(root, "etc/passwd"), name).and_then(|l| l.split(':').nth(2)?.parse().ok())
}

fn check_files(root: &Path) -> Result<(), String> {
    for (tool, args) in [
        ("pwck", &["-q", "-r", "-R"][..]),
        ("grpck", &["-r", "-R"][..]),
    ] {
        let r = Command::new(tool).args(args).arg(root).output().unwrap();
        if !r.status.success() {
            return Err(format!(
                "{tool}: rc {:?}\n{}{}",
                r.status.code(),
                String::from_utf8_lossy(&r.stdout),
                String::from_utf8_lossy(&r.stderr)
            ));
        }
    }
    Ok(())
}

#[test]
fn generations_rollback_and_garbage_collection() {
    let _g = STORE.lock().unwrap_or_else(|e| e.into_inner());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    switch(root, "v1.nix");
    let gen1 = std::fs::canonicalize(profile(root)).unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join("etc/motd")).unwrap(),
        "generation one\n"
    );
    assert!(root.join("etc/old.conf").exists());
    switch(root, "v2.nix");
    let gen2 = std::fs::canonicalize(profile(root)).unwrap();
    assert_ne!(gen1, gen2);
    assert_eq!(
        std::fs::read_to_string(root.join("etc/motd")).unwrap(),
        "generation two\n"
    );
    assert!(
        !root.join("etc/old.conf").exists(),
        "a file the new generation dropped is removed"
    );
    assert!(uid(root, "carol").is_some());
    let gens = nixcfg(&["generations".as_ref(), "--root".as_ref(), root.as_os_str()]);
    let text = String::from_utf8_lossy(&gens.stdout).into_owned();
    let numbers: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(numbers, ["1", "2"], "{text}");
    assert!(text.lines().nth(1).unwrap().contains("(current)"));

    // The secret file is a copy with its mode, never a link into the store.
    let secret = root.join("etc/secret.conf");
    let meta = std::fs::symlink_metadata(&secret).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert!(meta.is_file());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    let out = nixcfg(&[
        "switch".as_ref(),
        "--rollback".as_ref(),
        "--root".as_ref(),
        root.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::canonicalize(profile(root)).unwrap(), gen1);
    assert_eq!(
        std::fs::read_to_string(root.join("etc/motd")).unwrap(),
        "generation one\n"
    );
    assert!(root.join("etc/old.conf").exists());

    // Nothing a live generation (system or container) uses is collected.
    let container =
        std::fs::canonicalize(root.join("nix/var/nix/profiles/per-container/web/system")).unwrap();
    let closure = |p: &Path| -> Vec<String> {
        let o = Command::new("nix-store")
            .arg("-qR")
            .arg(p)
            .output()
            .unwrap();
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(String::from)
            .collect()
    };
    let mut live = closure(&gen1);
    live.extend(closure(&gen2));
    live.extend(closure(&container));
    assert!(
        live.iter().any(|p| p.contains("unit-script-hello-start")),
        "scripts are references: {live:?}"
    );
    let gc = Command::new("nix-store")
        .arg("--gc")
        .env("NIX_CONFIG", "substituters =")
        .output()
        .unwrap();
    assert!(
        gc.status.success(),
        "{}",
        String::from_utf8_lossy(&gc.stderr)
    );
    for p in &live {
        assert!(Path::new(p).exists(), "{p} was collected");
    }
}

#[test]
fn mutable_users_keep_hand_made_ones_and_immutable_drop_them() {
    let _g = STORE.lock().unwrap_or_else(|e| e.into_inner());
    for (config, kept) in [("mutable.nix", true), ("immutable.nix", false)] {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(
            root.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nhand:x:1500:1500:made by hand:/home/hand:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(root.join("etc/group"), "root:x:0:\nhand:x:1500:\n").unwrap();
        std::fs::write(
            root.join("etc/shadow"),
            "root:$6$old$hash:19000:0:99999:7:::\nhand:$6$hand$hash:19000:0:99999:7:::\n",
        )
        .unwrap();
        switch(root, config);
        let passwd = read(root, "etc/passwd");
        let shadow = read(root, "etc/shadow");
        assert_eq!(
            user_line(&passwd, "hand").is_some(),
            kept,
            "{config}: {passwd}"
        );
        assert_eq!(shadow.contains("hand:$6$hand$hash:19000"), kept, "{config}");
        assert!(user_line(&passwd, "alice").is_some());
        if kept {
            // An existing user's password is left alone in mutable mode.
            assert!(
                shadow
                    .lines()
                    .any(|l| l.starts_with("root:$6$old$hash:19000")),
                "{shadow}"
            );
        } else {
            assert!(
                shadow.lines().any(|l| l.starts_with("root:$6$abcdefgh$")),
                "{shadow}"
            );
        }
        check_files(root).unwrap();
    }
}

#[test]
fn a_user_removed_and_added_back_keeps_its_uid() {
    let _g = STORE.lock().unwrap_or_else(|e| e.into_inner());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    switch(root, "ids-a.nix");
    let dave = uid(root, "dave").unwrap();
    switch(root, "ids-b.nix");
    assert_eq!(uid(root, "dave"), None, "dave is removed");
    assert_ne!(
        uid(root, "frank"),
        Some(dave),
        "a new user never gets a removed user's uid"
    );
    let out = switch(root, "ids-a.nix");
    assert_eq!(uid(root, "dave"), Some(dave));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains(&format!("reviving user 'dave' with UID {dave}")));
}

#[test]
fn names_are_checked_and_hashes_never_printed() {
    let _g = STORE.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    for (file, text) in [
        (
            "bad-container.nix",
            r#"{ ... }: { containers."../x".config = { }; }"#,
        ),
        (
            "bad-user.nix",
            r#"{ ... }: { users.users."../x" = { isNormalUser = true; }; }"#,
        ),
    ] {
        let f = dir.path().join(file);
        std::fs::write(&f, text).unwrap();
        let root = dir.path().join(format!("root-{file}"));
        let out = nixcfg(&[
            "switch".as_ref(),
            f.as_os_str(),
            "--root".as_ref(),
            root.as_os_str(),
        ]);
        assert!(!out.status.success(), "{file} must be refused");
        assert!(
            !root.join("nix").exists() && !root.join("etc").exists(),
            "{file}: nothing is written"
        );
        assert!(!dir.path().join("x").exists());
    }
    let root = tempfile::tempdir().unwrap();
    let out = switch(root.path(), "immutable.nix");
    let dry = nixcfg(&[
        "switch".as_ref(),
        fixture("crash-a.nix").as_os_str(),
        "--root".as_ref(),
        root.path().as_os_str(),
        "--dry-run".as_ref(),
    ]);
    for o in [&out, &dry] {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!all.contains("$6$"), "a password hash was printed:\n{all}");
    }
    assert!(String::from_utf8_lossy(&dry.stdout)
        .contains("users to add: ann (uid 1100), ben (uid 1101)"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(root.path().join("etc/shadow"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert!(mode == 0o640 || mode == 0o600, "shadow mode {mode:o}");
}

/// Every line of passwd, group and shadow is the line of one of the two
/// states (the states are fixed by crash-a.nix and crash-b.nix).
#[test]
fn killing_switch_never_corrupts_users_and_concurrent_switches_finish() {
    let _g = STORE.lock().unwrap_or_else(|e| e.into_inner());
    let states: Vec<(String, String, String)> = ["crash-a.nix", "crash-b.nix"]
        .iter()
        .map(|c| {
            let r = tempfile::tempdir().unwrap();
            switch(r.path(), c);
            (
                read(r.path(), "etc/passwd"),
                read(r.path(), "etc/group"),
                read(r.path(), "etc/shadow"),
            )
        })
        .collect();
    let allowed = |i: usize| -> std::collections::HashSet<String> {
        states
            .iter()
            .flat_map(|s| {
                [&s.0, &s.1, &s.2][i]
                    .lines()
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let (ok_passwd, ok_group, ok_shadow) = (allowed(0), allowed(1), allowed(2));

    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    switch(root, "crash-a.nix");
    let kills = std::env::var("NIXCFG_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut interrupted = 0;
    for i in 0..kills {
        let config = if i % 2 == 0 {
            "crash-b.nix"
        } else {
            "crash-a.nix"
        };
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = std::time::Duration::from_micros(seed % 400_000);
        let mut child = Command::new(support::nixcfg())
            .arg("switch")
            .arg(fixture(config))
            .arg("--root")
            .arg(root)
            .env("NIX_CONFIG", "substituters =")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            interrupted += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        // Read as shadow's tools do: under the passwd lock.
        let _lock = take_passwd_lock(root);
        for (file, ok) in [
            ("etc/passwd", &ok_passwd),
            ("etc/group", &ok_group),
            ("etc/shadow", &ok_shadow),
        ] {
            let text = read(root, file);
            assert!(!text.is_empty(), "kill {i}: {file} is empty");
            for line in text.lines() {
                assert!(
                    ok.contains(line),
                    "kill {i} after {delay:?}: {file} has `{line}`, neither old nor new"
                );
            }
        }
        check_files(root).unwrap_or_else(|e| panic!("kill {i} after {delay:?}: {e}"));
    }
    assert!(
        interrupted * 4 >= kills,
        "most kills must land during a switch ({interrupted} of {kills})"
    );

    // Two switches at once: both finish, every declared user is there.
    let spawn = |c: &str| {
        Command::new(support::nixcfg())
            .arg("switch")
            .arg(fixture(c))
            .arg("--root")
            .arg(root)
            .env("NIX_CONFIG", "substituters =")
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| spawn("crash-b.nix").unwrap());
        let b = s.spawn(|| spawn("crash-b.nix").unwrap());
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(
        a.status.success() && b.status.success(),
        "{}{}",
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
    for u in ["root", "ben", "cat", "nobody"] {
        assert!(
            uid(root, u).is_some(),
            "{u} is missing after concurrent switches"
        );
    }
    check_files(root).unwrap();
}

fn take_passwd_lock(root: &Path) -> std::fs::File {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(root.join("etc/.pwd.lock"))
        .unwrap();
    let fl = nix::libc::flock {
        l_type: nix::libc::F_WRLCK as i16,
        l_whence: nix::libc::SEEK_SET as i16,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    nix::fcntl::fcntl(&f, nix::fcntl::FcntlArg::F_SETLKW(&fl)).expect("taking the passwd lock");
    f
}

/// The paths under a root (links shown with their kind of target).
fn listing(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.map(|e| e.unwrap()) {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap().display().to_string();
                let t = if t.starts_with("/nix/store/") {
                    "/nix/store/…".to_string()
                } else {
                    t
                };
                out.push(format!("{rel} -> {t}"));
            } else if meta.is_dir() {
                out.push(format!("{rel}/"));
                walk(root, &p, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[test]
fn container_create_update_destroy() {
    let _g = STORE.lock().unwrap_or_else(|e| e.into_inner());
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let c = |args: &[&str]| {
        let mut all: Vec<&std::ffi::OsStr> =
            vec!["container".as_ref(), "--root".as_ref(), root.as_os_str()];
        all.extend(args.iter().map(|a| std::ffi::OsStr::new(*a)));
        nixcfg(&all)
    };
    let out = c(&[
        "create",
        "box",
        "--config",
        "users.users.zed.isNormalUser = true;",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("host IP is 10.233.1.1, container IP is 10.233.1.2"));
    let after_create = listing(root);
    for want in [
        "etc/nixos-containers/box.conf",
        "nix/var/nix/gcroots/per-container/box/",
        "nix/var/nix/profiles/per-container/box/system -> system-1-link",
        "nix/var/nix/profiles/per-container/box/system-1-link -> /nix/store/…",
        "var/lib/nixos-containers/box/etc/nixos/configuration.nix",
        "var/lib/nixos-containers/box/etc/passwd",
        "var/lib/nixos-containers/box/etc/hostname -> /nix/store/…",
    ] {
        assert!(
            after_create.iter().any(|p| p == want),
            "after create, {want} is missing: {after_create:#?}"
        );
    }
    assert!(
        read(&root.join("var/lib/nixos-containers/box"), "etc/passwd").contains("zed:x:1000:100")
    );
    let out = c(&["list"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "box\n");
    let out = c(&["show-ip", "box"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "10.233.1.2\n");
    assert_eq!(
        String::from_utf8_lossy(&c(&["status", "box"]).stdout),
        "down\n"
    );
    let start = c(&["start", "box"]);
    assert!(
        !start.status.success()
            && String::from_utf8_lossy(&start.stderr).contains("its root is not /")
    );
    assert!(
        !c(&["create", "box"]).status.success(),
        "a second create of the same name is refused"
    );

    let out = c(&[
        "update",
        "box",
        "--config",
        "users.users.zed.isNormalUser = true; users.users.yan.isNormalUser = true;",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after_update = listing(root);
    assert!(after_update.contains(
        &"nix/var/nix/profiles/per-container/box/system-2-link -> /nix/store/…".to_string()
    ));
    assert!(after_update
        .contains(&"nix/var/nix/profiles/per-container/box/system -> system-2-link".to_string()));
    assert!(
        read(&root.join("var/lib/nixos-containers/box"), "etc/passwd").contains("yan:x:1001:100")
    );

    let out = c(&["destroy", "box"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after_destroy = listing(root);
    assert!(
        after_destroy.iter().all(|p| !p.contains("box")),
        "destroy leaves nothing of the container: {after_destroy:#?}"
    );
    assert!(
        !c(&["destroy", "box"]).status.success(),
        "destroying a missing container is an error"
    );
    assert!(!c(&["create", "../x"]).status.success());
    assert!(!root.join("x").exists() && !root.join("var/lib/x").exists());

    // A container the host's configuration declares is not destroyed here.
    switch(root, "v1.nix");
    let out = c(&["destroy", "web"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot destroy declarative container"));
    assert!(root
        .join("nix/var/nix/profiles/per-container/web/system")
        .exists());
}

/// With a nixpkgs on the search path (the test's own, built by /bin/sh),
/// packages are built by the real Nix and referenced by the system; without
/// one they are opaque and `build` names them.
#[test]
fn packages_from_nixpkgs_are_built_and_kept() {
    let _g = STORE.lock().unwrap_or_else(|e| e.into_inner());
    let nixpkgs = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/nixpkgs");
    let root = tempfile::tempdir().unwrap();
    let out = Command::new(support::nixcfg())
        .arg("switch")
        .arg(fixture("with-packages.nix"))
        .arg("--root")
        .arg(root.path())
        .env("NIX_CONFIG", "substituters =")
        .env("NIX_PATH", format!("nixpkgs={}", nixpkgs.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let unit =
        std::fs::read_to_string(root.path().join("etc/systemd/system/greeter.service")).unwrap();
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap()
        .to_string();
    let hello = Command::new(&exec).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&hello.stdout),
        "hello: hello \n",
        "the package was built"
    );
    let system = std::fs::canonicalize(profile(root.path())).unwrap();
    let refs = Command::new("nix-store")
        .arg("-qR")
        .arg(&system)
        .output()
        .unwrap();
    let refs = String::from_utf8_lossy(&refs.stdout).into_owned();
    let pkg = exec.trim_end_matches("/bin/hello");
    assert!(
        refs.lines().any(|l| l == pkg),
        "{pkg} is a reference of the system: {refs}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(support::nixcfg())
        .arg("build")
        .arg(fixture("with-packages.nix"))
        .arg("-o")
        .arg(tmp.path().join("r"))
        .env_remove("NIX_PATH")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not in the Nix store") && err.contains("-hello"),
        "{err}"
    );
}
