//! `nixcfg switch`: build, put each system into the Nix store, set its
//! profile, activate it into the root; `--dry-run` prints the plan,
//! `--rollback` returns to the previous generation. `nixcfg generations`
//! lists them.

use crate::activate::{self, store};
use crate::nixtools;
use clap::Args;
use nixcfg_compiler::eval::run::with_big_stack;
use nixcfg_compiler::modules::Configuration;
use nixcfg_compiler::system::{build, names};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct SwitchArgs {
    /// The configuration (not with --rollback).
    #[arg(required_unless_present = "rollback")]
    file: Option<PathBuf>,
    /// The root to activate into (default /).
    #[arg(long, default_value = "/")]
    root: PathBuf,
    /// Print everything switch would do, and do nothing.
    #[arg(long)]
    dry_run: bool,
    /// Activate the previous generation of the system profile.
    #[arg(long, conflicts_with = "file")]
    rollback: bool,
    /// NixOS's options.json (see `nixcfg check`).
    #[arg(long, value_name = "FILE")]
    options_json: Option<PathBuf>,
}

#[derive(Args)]
pub struct GenerationsArgs {
    /// The root whose profiles are listed (default /).
    #[arg(long, default_value = "/")]
    root: PathBuf,
    /// A container's profile instead of the system's.
    #[arg(long)]
    container: Option<String>,
}

pub fn system_profile(root: &Path) -> PathBuf {
    root.join("nix/var/nix/profiles/system")
}

pub fn container_profile(root: &Path, name: &str) -> PathBuf {
    root.join("nix/var/nix/profiles/per-container")
        .join(name)
        .join("system")
}

/// The store path a profile points to now.
fn current(profile: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(profile).ok()
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(1)
}

pub fn generations(a: GenerationsArgs) -> ExitCode {
    let profile = match &a.container {
        Some(n) => {
            if let Err(e) = names::check_container_name(n) {
                return fail(e);
            }
            container_profile(&a.root, n)
        }
        None => system_profile(&a.root),
    };
    match nixtools::list_generations(&profile) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

pub fn run(a: SwitchArgs) -> ExitCode {
    if a.rollback {
        return rollback_main(&a.root, a.dry_run);
    }
    let index = match crate::check_cmd::read_index(a.options_json.as_deref()) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let work = std::env::temp_dir().join(format!("nixcfg-switch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    if let Err(e) = std::fs::create_dir_all(&work) {
        return fail(format!("{}: {e}", work.display()));
    }
    let file = a
        .file
        .clone()
        .expect("clap requires FILE without --rollback");
    let built = build_config(&file, &work.join("result"), index);
    let code = match built {
        Some(report) => {
            for w in &report.warnings {
                eprintln!("warning: {w}");
            }
            let r = if a.dry_run {
                dry_run(&a.root, &work.join("result"), &report)
            } else {
                switch(&a.root, &work, &report)
            };
            match r {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
        None => ExitCode::from(1),
    };
    let _ = std::fs::remove_dir_all(&work);
    code
}

/// Checks and builds a configuration into `result` (printing every
/// diagnostic); None when it has errors.
pub fn build_config(
    file: &Path,
    result: &Path,
    index: Option<nixcfg_compiler::modules::options_index::OptionsIndex>,
) -> Option<build::Report> {
    let file = file.to_path_buf();
    let result = result.to_path_buf();
    with_big_stack(move || {
        let mut cfg = match Configuration::load(&file, crate::config_eval_options(), false) {
            Ok(c) => c,
            Err(diags) => {
                let empty = nixcfg_compiler::source::SourceMap::default();
                for d in diags.into_iter().flat_map(|d| d.flatten()) {
                    eprint!("{}", d.render(&empty, false));
                }
                return None;
            }
        };
        match build::build(&mut cfg, &result, index.as_ref()) {
            Ok(r) => Some(r),
            Err(diags) => {
                for d in &diags {
                    eprint!("{}", d.render(&cfg.ev.sources, false));
                }
                eprintln!("stopped: {} error(s), nothing was changed", diags.len());
                None
            }
        }
    })
}

/// Adds a container's tree to the store, makes it the new generation of
/// the container's profile (with its GC roots directory) and activates it
/// into the container's state directory.
pub fn install_container(
    root: &Path,
    name: &str,
    tree: &Path,
    texts: &std::collections::BTreeMap<String, String>,
    state: &Path,
    work: &Path,
) -> Result<PathBuf, String> {
    names::check_container_name(name)?;
    let path = store::add_system(tree, texts, &format!("nixcfg-container-{name}"), work)?;
    let profile = container_profile(root, name);
    make_dir(&root.join("nix/var/nix/profiles/per-container"), 0o700)?;
    make_dir(profile.parent().expect("profile has a parent"), 0o755)?;
    make_dir(
        &root.join("nix/var/nix/gcroots/per-container").join(name),
        0o755,
    )?;
    nixtools::set_profile(&profile, &path).map_err(|e| e.to_string())?;
    make_dir(state.parent().expect("state dir has a parent"), 0o700)?;
    make_dir(state, 0o755)?;
    let tree = PathBuf::from(path);
    let plan = activate::plan(state, &tree)?;
    for n in activate::apply(state, &tree, &plan)? {
        eprintln!("container {name}: {n}");
    }
    Ok(tree)
}

/// The containers of a build, with their trees.
fn containers(result: &Path) -> Vec<(String, PathBuf)> {
    let mut v: Vec<_> = std::fs::read_dir(result.join("containers"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The container state root, by the host's stateVersion (its config dir).
pub fn state_dir(root: &Path, host_tree: &Path, name: &str) -> PathBuf {
    let base = if host_tree.join("etc/containers").is_dir()
        && !host_tree.join("etc/nixos-containers").is_dir()
    {
        "var/lib/containers"
    } else {
        "var/lib/nixos-containers"
    };
    root.join(base).join(name)
}

fn dry_run(root: &Path, result: &Path, report: &build::Report) -> Result<(), String> {
    println!(
        "would add the system to the Nix store and make it a new generation of {}",
        system_profile(root).display()
    );
    let p = activate::plan(root, result)?;
    activate::print_plan("", &p);
    for (name, tree) in containers(result) {
        let label = format!("container {name}: ");
        println!(
            "{label}would set {}",
            container_profile(root, &name).display()
        );
        let state = state_dir(root, result, &name);
        let p = activate::plan(&state, &tree)?;
        activate::print_plan(&label, &p);
    }
    if !report.missing_packages.is_empty() {
        println!(
            "packages not in the store: {}",
            report.missing_packages.join(", ")
        );
    }
    Ok(())
}

fn hostname(tree: &Path, fallback: &str) -> String {
    std::fs::read_to_string(tree.join("etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .unwrap_or_else(|| fallback.to_string())
}

pub fn make_dir(path: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    if !path.is_dir() {
        std::fs::create_dir_all(path).map_err(|e| format!("{}: {e}", path.display()))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn switch(root: &Path, work: &Path, report: &build::Report) -> Result<(), String> {
    let result = work.join("result");
    let all = containers(&result);
    let total = all.len() + 1;
    if !report.to_build.is_empty() {
        eprintln!(
            "building {} package(s) with nix-store --realise",
            report.to_build.len()
        );
        activate::realise::realise(report, &work.join("packages"))?;
    }
    if !report.missing_packages.is_empty() {
        eprintln!(
            "warning: {} package(s) could not be resolved (no nixpkgs on the search path): {}",
            report.missing_packages.len(),
            report.missing_packages.join(", ")
        );
    }
    let mut progress = crate::progress::Progress::new(total);
    progress.step("the system");
    let name = format!("nixcfg-system-{}", hostname(&result, "host"));
    let host = store::add_system(&result, &report.text_files, &name, &work.join("store-host"))?;
    let profile = system_profile(root);
    make_dir(profile.parent().expect("profile has a parent"), 0o755)?;
    nixtools::set_profile(&profile, &host).map_err(|e| e.to_string())?;
    let host = PathBuf::from(host);
    let plan = activate::plan(root, &host)?;
    for n in activate::apply(root, &host, &plan)? {
        progress.println(&n);
    }
    for (name, tree) in all.iter() {
        progress.step(&format!("container {name}"));
        let state = state_dir(root, &host, name);
        install_container(
            root,
            name,
            tree,
            &report.text_files,
            &state,
            &work.join(format!("store-{name}")),
        )?;
    }
    progress.finish();
    eprintln!(
        "switched {} to {}",
        system_profile(root).display(),
        host.display()
    );
    Ok(())
}

fn rollback(root: &Path, dry_run: bool) -> Result<(), String> {
    let profile = system_profile(root);
    if dry_run {
        println!(
            "would roll {} back to its previous generation",
            profile.display()
        );
        return Ok(());
    }
    nixtools::rollback(&profile).map_err(|e| e.to_string())?;
    let tree = current(&profile).ok_or_else(|| format!("{} points nowhere", profile.display()))?;
    let plan = activate::plan(root, &tree)?;
    for n in activate::apply(root, &tree, &plan)? {
        eprintln!("{n}");
    }
    eprintln!("rolled {} back to {}", profile.display(), tree.display());
    Ok(())
}

pub fn rollback_main(root: &Path, dry_run: bool) -> ExitCode {
    match rollback(root, dry_run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}
