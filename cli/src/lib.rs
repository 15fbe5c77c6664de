//! The `nixcfg` command line: clap front and the subcommands. The binary
//! (`main.rs`) only calls `run`; tests drive the same entry points.

pub mod activate;
pub mod allocator;
pub mod build_cmd;
pub mod check_cmd;
pub mod container_cmd;
pub mod eval_cmd;
pub mod explain_cmd;
pub mod instantiate;
pub mod nixtools;
pub mod options_cmd;
pub mod progress;
pub mod switch_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "nixcfg",
    version,
    about = "A configuration compiler for NixOS-style systems"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the system tree of a configuration (and of its containers).
    Build(build_cmd::BuildArgs),
    /// Build and activate a configuration (profiles, users, files, units).
    Switch(switch_cmd::SwitchArgs),
    /// Manage imperative containers (create, update, destroy, start, …).
    Container(container_cmd::ContainerArgs),
    /// List the generations of the system (or a container) profile.
    Generations(switch_cmd::GenerationsArgs),
    /// Helper of `switch`: merges users and groups under the passwd lock.
    #[command(name = "internal-commit-users", hide = true)]
    InternalCommitUsers {
        root: std::path::PathBuf,
        spec: std::path::PathBuf,
    },
    /// Evaluate a Nix file or expression and print the value.
    Eval(eval_cmd::EvalArgs),
    /// Show an option: type, default, declarations, definitions and value.
    Options(options_cmd::OptionsArgs),
    /// Check configurations: every mistake, each at its line.
    Check(check_cmd::CheckArgs),
    /// The language server (LSP over stdin/stdout), for editors.
    Lsp,
    /// Explain a finding's code (`nixcfg explain nixcfg::unused-with`).
    Explain(explain_cmd::ExplainArgs),
    /// A drop-in for `nix-instantiate` (same flags, same output).
    #[command(name = "nix-instantiate", disable_help_flag = true)]
    NixInstantiate {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Runs the command line given (with the program name first).
pub fn run(args: impl IntoIterator<Item = String>) -> ExitCode {
    let cli = Cli::parse_from(args);
    match cli.command {
        Command::Build(a) => build_cmd::run(a),
        Command::Switch(a) => switch_cmd::run(a),
        Command::Generations(a) => switch_cmd::generations(a),
        Command::Container(a) => container_cmd::run(a),
        Command::InternalCommitUsers { root, spec } => {
            match activate::commit_users_main(&root, &spec) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Eval(a) => eval_cmd::run(a),
        Command::Options(a) => options_cmd::run(a),
        Command::Check(a) => check_cmd::run(a),
        Command::Explain(a) => explain_cmd::run(a),
        Command::Lsp => match nixcfg_lsp::run_stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        },
        Command::NixInstantiate { args } => instantiate::run(args),
    }
}

/// Evaluation options of configurations: the search path from NIX_PATH
/// (so that `<nixpkgs>` is the user's nixpkgs when there is one).
pub fn config_eval_options() -> nixcfg_compiler::eval::EvalOptions {
    nixcfg_compiler::eval::EvalOptions {
        nix_path: instantiate::search_path(&[]),
        ..Default::default()
    }
}
