//! `nixcfg`: the command-line front of the compiler.

mod eval_cmd;
mod instantiate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "nixcfg", version, about = "A configuration compiler for NixOS-style systems")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate a Nix file or expression and print the value.
    Eval(eval_cmd::EvalArgs),
    /// A drop-in for `nix-instantiate` (same flags, same output).
    #[command(name = "nix-instantiate", disable_help_flag = true)]
    NixInstantiate {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Eval(a) => eval_cmd::run(a),
        Command::NixInstantiate { args } => instantiate::run(args),
    }
}
