//! Boots a compiled container system with systemd-nspawn (a full boot of
//! the host's systemd on the container's /etc) and checks, from inside,
//! that the declared user exists with its uid and groups and that the
//! declared oneshot service ran.

mod support;

use std::path::Path;
use std::process::Command;

#[test]
fn container_system_boots_with_its_users_and_services() {
    assert!(
        nix_uid_is_root(),
        "this test boots a container and must run as root (CI does)"
    );
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/nspawn/configuration.nix");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("result");
    let r = Command::new(support::nixcfg())
        .arg("build")
        .arg(&fixture)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));

    // The image: the container's /etc, the host's /usr, the tree's store
    // files at /nix/store.
    let root = tmp.path().join("root");
    for d in [
        "usr",
        "tmp",
        "var",
        "proc",
        "sys",
        "dev",
        "run",
        "root",
        "probe-out",
        "nix/store",
    ] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    for l in ["bin", "lib", "lib64", "sbin"] {
        std::os::unix::fs::symlink(format!("usr/{l}"), root.join(l)).unwrap();
    }
    let cp = Command::new("cp")
        .arg("-a")
        .arg(out.join("containers/probe/etc"))
        .arg(root.join("etc"))
        .status()
        .unwrap();
    assert!(cp.success());
    std::fs::copy("/etc/os-release", root.join("etc/os-release")).unwrap();
    std::fs::write(root.join("etc/machine-id"), "").unwrap();
    let probe_out = tmp.path().join("probe-out");
    std::fs::create_dir_all(&probe_out).unwrap();

    let r = Command::new("timeout")
        .args(["120", "systemd-nspawn", "-q", "-b", "-D"])
        .arg(&root)
        .arg("--bind-ro=/usr")
        .arg(format!(
            "--bind-ro={}:/nix/store",
            out.join("store").display()
        ))
        .arg(format!("--bind={}:/probe-out", probe_out.display()))
        .args(["--register=no", "--keep-unit", "--console=read-only"])
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    let read = |f: &str| {
        std::fs::read_to_string(probe_out.join(f))
            .unwrap_or_else(|_| panic!("{f} was not written; boot log:\n{log}"))
    };
    assert_eq!(read("ran"), "ran\n");
    assert_eq!(
        read("passwd"),
        "alice:x:1234:100::/home/alice:/run/current-system/sw/bin/bash\n"
    );
    let id = read("id");
    assert!(
        id.starts_with("uid=1234(alice) gid=100(users) groups=100(users)")
            && id.contains("1(wheel)")
            && id.contains("17(audio)"),
        "id alice: {id}"
    );
}

fn nix_uid_is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}
