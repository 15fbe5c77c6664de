//! `nixcfg eval`: the friendly front of the evaluator.

use crate::instantiate::{parse_flags, run_with};
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct EvalArgs {
    /// The file to evaluate (default: ./default.nix).
    file: Option<String>,
    /// Evaluate this expression instead of a file.
    #[arg(short = 'E', long = "expr")]
    expr: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
    /// Only force what is needed to print the top (default: everything).
    #[arg(long)]
    lazy: bool,
    /// Select an attribute path of the result.
    #[arg(short = 'A', long = "attr")]
    attr: Option<String>,
    /// Add a search path entry (`-I nixpkgs=/path`).
    #[arg(short = 'I')]
    include: Vec<String>,
    /// Show the whole evaluation trace on errors.
    #[arg(long)]
    show_trace: bool,
    /// Pass `NAME = EXPR` to a function the file evaluates to.
    #[arg(long, num_args = 2, value_names = ["NAME", "EXPR"], action = clap::ArgAction::Append)]
    arg: Vec<String>,
    /// Pass `NAME = "STRING"` to a function the file evaluates to.
    #[arg(long, num_args = 2, value_names = ["NAME", "STRING"], action = clap::ArgAction::Append)]
    argstr: Vec<String>,
}

pub fn run(a: EvalArgs) -> ExitCode {
    let mut args = vec!["--eval".to_string()];
    if !a.lazy {
        args.push("--strict".into());
    }
    if a.json {
        args.push("--json".into());
    }
    if a.show_trace {
        args.push("--show-trace".into());
    }
    for i in a.include {
        args.push("-I".into());
        args.push(i);
    }
    for pair in a.arg.chunks(2) {
        args.push("--arg".into());
        args.extend(pair.iter().cloned());
    }
    for pair in a.argstr.chunks(2) {
        args.push("--argstr".into());
        args.extend(pair.iter().cloned());
    }
    if let Some(p) = a.attr {
        args.push("-A".into());
        args.push(p);
    }
    match (a.expr, a.file) {
        (Some(e), _) => {
            args.push("-E".into());
            args.push(e);
        }
        (None, Some(f)) => args.push(f),
        (None, None) => {}
    }
    debug_assert!(parse_flags(args.clone()).is_ok());
    run_with(args, true)
}
