//! The bridge to the real Nix tools (`nix-store`, `nix-env`,
//! `nix-instantiate`, `nix-build`). Each is looked up on PATH with `which`
//! on every run (never a remembered absolute path: the tools move when Nix
//! is upgraded) and run with an argument vector, never through a shell.

use std::path::Path;
use std::process::{Command, Stdio};

#[derive(Debug)]
pub struct ToolError(pub String);

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Runs `tool args…` and returns its standard output; a missing tool or a
/// failure is an error naming the command and quoting its error output.
pub fn run(tool: &str, args: &[&std::ffi::OsStr]) -> Result<String, ToolError> {
    let exe = which::which(tool).map_err(|_| {
        ToolError(format!(
            "`{tool}` was not found on PATH: nixcfg needs the Nix tools for this (on Debian: apt-get install nix-bin)"
        ))
    })?;
    let out = Command::new(&exe)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| ToolError(format!("cannot run {}: {e}", exe.display())))?;
    if !out.status.success() {
        let shown: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        return Err(ToolError(format!(
            "`{tool} {}` failed ({}):\n{}",
            shown.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Builds the Nix expression in `file` (with `--no-out-link`) and returns
/// its output path.
pub fn build(file: &Path) -> Result<String, ToolError> {
    let out = run("nix-build", &["--no-out-link".as_ref(), file.as_os_str()])?;
    out.lines()
        .last()
        .map(str::to_string)
        .ok_or_else(|| ToolError(format!("nix-build {} printed no path", file.display())))
}

/// Makes `store_path` the current generation of `profile`.
pub fn set_profile(profile: &Path, store_path: &str) -> Result<(), ToolError> {
    run(
        "nix-env",
        &[
            "-p".as_ref(),
            profile.as_os_str(),
            "--set".as_ref(),
            store_path.as_ref(),
        ],
    )
    .map(|_| ())
}

/// `nix-env --rollback` of a profile.
pub fn rollback(profile: &Path) -> Result<(), ToolError> {
    run(
        "nix-env",
        &["-p".as_ref(), profile.as_os_str(), "--rollback".as_ref()],
    )
    .map(|_| ())
}

/// The generations of a profile as `nix-env --list-generations` prints them.
pub fn list_generations(profile: &Path) -> Result<String, ToolError> {
    run(
        "nix-env",
        &[
            "-p".as_ref(),
            profile.as_os_str(),
            "--list-generations".as_ref(),
        ],
    )
}
