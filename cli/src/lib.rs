//! The `nixcfg` command line: clap front and the subcommands. The binary
//! (`main.rs`) only calls `run`; tests drive the same entry points.

pub mod build_cmd;
pub mod check_cmd;
pub mod eval_cmd;
pub mod instantiate;
pub mod options_cmd;

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
    /// Evaluate a Nix file or expression and print the value.
    Eval(eval_cmd::EvalArgs),
    /// Show an option: type, default, declarations, definitions and value.
    Options(options_cmd::OptionsArgs),
    /// Check configurations: every mistake, each at its line.
    Check(check_cmd::CheckArgs),
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
        Command::Eval(a) => eval_cmd::run(a),
        Command::Options(a) => options_cmd::run(a),
        Command::Check(a) => check_cmd::run(a),
        Command::NixInstantiate { args } => instantiate::run(args),
    }
}
