//! `nixcfg container`: imperative containers, as `nixos-container` manages
//! them (docs/reference/containers.md §5): a configuration under the
//! container's state directory, a `.conf` file, a per-container profile.
//! Declarative containers (from `containers.<name>` of the host) are
//! listed and started the same way, but not destroyed or rebuilt here.

use crate::activate::files::{lock, write_atomic};
use crate::switch_cmd::{build_config, container_profile, install_container};
use clap::{Args, Subcommand};
use nixcfg_compiler::system::names::check_container_name;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct ContainerArgs {
    /// The root the containers live under (default /).
    #[arg(long, global = true, default_value = "/")]
    root: PathBuf,
    #[command(subcommand)]
    command: ContainerCommand,
}

#[derive(Subcommand)]
enum ContainerCommand {
    /// Create a container from a configuration (does not start it).
    Create {
        name: String,
        /// The container's configuration as Nix text (module body).
        #[arg(long, conflicts_with = "config_file")]
        config: Option<String>,
        /// A file holding the container's configuration.
        #[arg(long)]
        config_file: Option<PathBuf>,
        #[arg(long, requires = "local_address")]
        host_address: Option<String>,
        #[arg(long, requires = "host_address")]
        local_address: Option<String>,
        #[arg(long)]
        auto_start: bool,
    },
    /// Rebuild a container (with a new configuration if given).
    Update {
        name: String,
        #[arg(long, conflicts_with = "config_file")]
        config: Option<String>,
        #[arg(long)]
        config_file: Option<PathBuf>,
    },
    /// Remove a container: profile, GC roots, state and configuration.
    Destroy { name: String },
    /// List the containers.
    List,
    /// Print `up` or `down`.
    Status { name: String },
    /// Print the container's IP address.
    ShowIp { name: String },
    /// Start the container (through systemd).
    Start { name: String },
    /// Stop the container (through systemd).
    Stop { name: String },
    /// A root shell in the running container.
    RootLogin { name: String },
    /// Run a command in the running container.
    Run {
        name: String,
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(1)
}

fn config_dir(root: &Path) -> PathBuf {
    root.join("etc/nixos-containers")
}

fn conf_path(root: &Path, name: &str) -> PathBuf {
    config_dir(root).join(format!("{name}.conf"))
}

fn state(root: &Path, name: &str) -> PathBuf {
    root.join("var/lib/nixos-containers").join(name)
}

/// `KEY=VALUE` lines of a container's .conf.
fn read_conf(root: &Path, name: &str) -> Option<Vec<(String, String)>> {
    let text = std::fs::read_to_string(conf_path(root, name)).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
            .collect(),
    )
}

fn conf_value(conf: &[(String, String)], key: &str) -> Option<String> {
    conf.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

fn systemd_live(root: &Path) -> bool {
    root == Path::new("/") && Path::new("/run/systemd/system").is_dir()
}

fn run_tool(tool: &str, args: &[&str]) -> Result<String, String> {
    let exe = which::which(tool).map_err(|_| format!("`{tool}` was not found on PATH"))?;
    let out = std::process::Command::new(exe)
        .args(args)
        .output()
        .map_err(|e| format!("{tool}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "`{tool} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim_end()
        ))
    }
}

pub fn run(a: ContainerArgs) -> ExitCode {
    let root = a.root;
    let r = match a.command {
        ContainerCommand::List => list(&root),
        ContainerCommand::Create {
            name,
            config,
            config_file,
            host_address,
            local_address,
            auto_start,
        } => create(
            &root,
            &name,
            config,
            config_file,
            host_address.zip(local_address),
            auto_start,
        ),
        ContainerCommand::Update {
            name,
            config,
            config_file,
        } => update(&root, &name, config, config_file),
        ContainerCommand::Destroy { name } => destroy(&root, &name),
        ContainerCommand::Status { name } => status(&root, &name),
        ContainerCommand::ShowIp { name } => show_ip(&root, &name),
        ContainerCommand::Start { name } => systemctl(&root, &name, "start"),
        ContainerCommand::Stop { name } => systemctl(&root, &name, "stop"),
        ContainerCommand::RootLogin { name } => {
            enter(&root, &name, &["/bin/sh".into(), "-l".into()])
        }
        ContainerCommand::Run { name, command } => enter(&root, &name, &command),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn existing(root: &Path, name: &str) -> Result<Vec<(String, String)>, String> {
    check_container_name(name)?;
    read_conf(root, name).ok_or_else(|| format!("container ‘{name}’ does not exist"))
}

fn list(root: &Path) -> Result<(), String> {
    let mut names: Vec<String> = std::fs::read_dir(config_dir(root))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .strip_suffix(".conf")
                        .map(String::from)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    for n in names {
        println!("{n}");
    }
    Ok(())
}

/// configuration.nix of an imperative container (as nixos-container).
fn configuration(
    name: &str,
    config: Option<&str>,
    config_file: Option<&Path>,
) -> Result<String, String> {
    let extra = match (config, config_file) {
        (Some(c), _) => c.to_string(),
        (None, Some(f)) => {
            let abs = std::fs::canonicalize(f).map_err(|e| format!("{}: {e}", f.display()))?;
            let mut lit = String::new();
            nixcfg_compiler::eval::print::escape_string(&abs.display().to_string(), &mut lit);
            format!("imports = [ (/. + {lit}) ];")
        }
        (None, None) => String::new(),
    };
    Ok(format!(
        "{{ config, lib, pkgs, ... }}:\n\n{{ boot.isContainer = true;\n  networking.hostName = lib.mkDefault \"{name}\";\n  networking.useDHCP = false;\n  {extra}\n}}\n"
    ))
}

/// The first 10.233.K.1 / 10.233.K.2 pair no container uses.
fn free_addresses(root: &Path) -> Result<(String, String), String> {
    let mut used = std::collections::HashSet::new();
    if let Ok(rd) = std::fs::read_dir(config_dir(root)) {
        for e in rd.filter_map(|e| e.ok()) {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            for l in text.lines() {
                if let Some((k, v)) = l.split_once('=') {
                    if k == "HOST_ADDRESS" || k == "LOCAL_ADDRESS" {
                        used.insert(v.split('/').next().unwrap_or("").to_string());
                    }
                }
            }
        }
    }
    (1..=254)
        .map(|k| (format!("10.233.{k}.1"), format!("10.233.{k}.2")))
        .find(|(h, l)| !used.contains(h) && !used.contains(l))
        .ok_or_else(|| "out of IP addresses".to_string())
}

/// Builds the container's configuration and sets its profile.
fn build_and_install(root: &Path, name: &str) -> Result<(), String> {
    let work = std::env::temp_dir().join(format!("nixcfg-container-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let result = work.join("result");
    let config = state(root, name).join("etc/nixos/configuration.nix");
    let r = match build_config(&config, &result, None) {
        Some(report) => install_container(
            root,
            name,
            &result,
            &report.text_files,
            &state(root, name),
            &work.join("store"),
        )
        .map(|_| ()),
        None => Err("the container's configuration has errors".into()),
    };
    let _ = std::fs::remove_dir_all(&work);
    r
}

fn create(
    root: &Path,
    name: &str,
    config: Option<String>,
    config_file: Option<PathBuf>,
    addresses: Option<(String, String)>,
    auto_start: bool,
) -> Result<(), String> {
    check_container_name(name)?;
    let _lock = lock(&root.join("run/lock/nixos-container"))
        .map_err(|e| format!("taking the container lock: {e}"))?;
    if conf_path(root, name).exists() || state(root, name).exists() {
        return Err(format!("container ‘{name}’ already exists"));
    }
    let (host, local) = match addresses {
        Some(a) => a,
        None => free_addresses(root)?,
    };
    let text = configuration(name, config.as_deref(), config_file.as_deref())?;
    let cfg_path = state(root, name).join("etc/nixos/configuration.nix");
    let undo = |e: String| {
        let _ = std::fs::remove_dir_all(state(root, name));
        let _ = std::fs::remove_file(conf_path(root, name));
        e
    };
    crate::switch_cmd::make_dir(&root.join("var/lib/nixos-containers"), 0o700)?;
    write_atomic(&cfg_path, text.as_bytes(), 0o644, None)
        .map_err(|e| undo(format!("{}: {e}", cfg_path.display())))?;
    let conf = format!(
        "PRIVATE_NETWORK=1\nHOST_ADDRESS={host}\nLOCAL_ADDRESS={local}\nHOST_BRIDGE=\nHOST_PORT=\nAUTO_START={}\n",
        u8::from(auto_start)
    );
    crate::switch_cmd::make_dir(&config_dir(root), 0o755)?;
    write_atomic(&conf_path(root, name), conf.as_bytes(), 0o644, None)
        .map_err(|e| undo(e.to_string()))?;
    eprintln!("host IP is {host}, container IP is {local}");
    build_and_install(root, name).map_err(|e| {
        undo(format!(
            "failed to build initial container configuration: {e}"
        ))
    })
}

/// Declarative containers' .conf files are links into the store.
fn is_declarative(root: &Path, name: &str) -> bool {
    std::fs::symlink_metadata(conf_path(root, name))
        .map(|m| m.file_type().is_symlink() || m.permissions().readonly())
        .unwrap_or(false)
}

fn update(
    root: &Path,
    name: &str,
    config: Option<String>,
    config_file: Option<PathBuf>,
) -> Result<(), String> {
    existing(root, name)?;
    if is_declarative(root, name) {
        return Err(format!(
            "cannot update declarative container ‘{name}’ (change containers.{name} in the host's configuration instead)"
        ));
    }
    if config.is_some() || config_file.is_some() {
        let text = configuration(name, config.as_deref(), config_file.as_deref())?;
        let p = state(root, name).join("etc/nixos/configuration.nix");
        write_atomic(&p, text.as_bytes(), 0o644, None)
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    build_and_install(root, name)?;
    if systemd_live(root) && status_of(root, name) == "up" {
        eprintln!("reloading container...");
        run_tool("systemctl", &["reload", &format!("container@{name}")])?;
    }
    Ok(())
}

fn destroy(root: &Path, name: &str) -> Result<(), String> {
    existing(root, name)?;
    if is_declarative(root, name) {
        return Err(
            "cannot destroy declarative container (remove it from your configuration.nix instead)"
                .into(),
        );
    }
    if systemd_live(root) && status_of(root, name) == "up" {
        run_tool("systemctl", &["stop", &format!("container@{name}")])?;
    }
    let profile_dir = container_profile(root, name)
        .parent()
        .expect("profile has a parent")
        .to_path_buf();
    for dir in [
        profile_dir,
        root.join("nix/var/nix/gcroots/per-container").join(name),
        state(root, name),
    ] {
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("removing {}: {e}", dir.display())),
        }
    }
    std::fs::remove_file(conf_path(root, name))
        .map_err(|e| format!("removing the configuration: {e}"))
}

fn status_of(root: &Path, name: &str) -> &'static str {
    if !systemd_live(root) {
        return "down";
    }
    match run_tool("systemctl", &["is-active", &format!("container@{name}")]) {
        Ok(s) if s.trim() == "active" => "up",
        _ => "down",
    }
}

fn status(root: &Path, name: &str) -> Result<(), String> {
    existing(root, name)?;
    println!("{}", status_of(root, name));
    Ok(())
}

fn show_ip(root: &Path, name: &str) -> Result<(), String> {
    let conf = existing(root, name)?;
    let ip = conf_value(&conf, "LOCAL_ADDRESS")
        .map(|a| a.split('/').next().unwrap_or("").to_string())
        .or_else(|| conf_value(&conf, "LOCAL_ADDRESS6"))
        .ok_or("cannot get IP address")?;
    println!("{ip}");
    Ok(())
}

fn systemctl(root: &Path, name: &str, verb: &str) -> Result<(), String> {
    existing(root, name)?;
    if !systemd_live(root) {
        return Err(format!(
            "cannot {verb} container ‘{name}’: {}",
            if root == Path::new("/") {
                "systemd is not running on this host"
            } else {
                "its root is not /"
            }
        ));
    }
    run_tool("systemctl", &[verb, &format!("container@{name}")]).map(|_| ())
}

/// Runs `command` in the container's namespaces (no shell in between).
fn enter(root: &Path, name: &str, command: &[String]) -> Result<(), String> {
    existing(root, name)?;
    if !systemd_live(root) {
        return Err(format!(
            "cannot enter container ‘{name}’: systemd is not running on this host"
        ));
    }
    let leader = run_tool("machinectl", &["show", name, "-p", "Leader", "--value"])?;
    let leader = leader.trim();
    if leader.is_empty() || leader == "0" {
        return Err(format!("container ‘{name}’ is not running"));
    }
    let exe = which::which("nsenter").map_err(|_| "`nsenter` was not found on PATH".to_string())?;
    let st = std::process::Command::new(exe)
        .args(["-t", leader, "-m", "-u", "-i", "-n", "-p", "--"])
        .args(command)
        .status()
        .map_err(|e| format!("nsenter: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("the command failed in container ‘{name}’ ({st})"))
    }
}
