//! `nixcfg build FILE [-o DIR]`: the system tree of a configuration and
//! of each of its containers.

use clap::Args;
use nixcfg_compiler::eval::run::with_big_stack;
use nixcfg_compiler::modules::Configuration;
use nixcfg_compiler::system::build;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct BuildArgs {
    /// The configuration (a NixOS module).
    file: PathBuf,
    /// Output directory (replaced if it holds an earlier build).
    #[arg(short = 'o', long = "out-link", default_value = "result")]
    out: PathBuf,
    /// NixOS's options.json: check definitions of options nixcfg does not
    /// compile against the types NixOS declares.
    #[arg(long, value_name = "FILE")]
    options_json: Option<PathBuf>,
    /// Show the whole evaluation trace of errors.
    #[arg(long)]
    show_trace: bool,
}

pub fn run(a: BuildArgs) -> ExitCode {
    let index = match crate::check_cmd::read_index(a.options_json.as_deref()) {
        Ok(i) => i,
        Err(code) => return code,
    };
    with_big_stack(move || {
        let mut cfg = match Configuration::load(&a.file, crate::config_eval_options(), false) {
            Ok(c) => c,
            Err(diags) => {
                let empty = nixcfg_compiler::source::SourceMap::default();
                for d in diags.into_iter().flat_map(|d| d.flatten()) {
                    eprint!("{}", d.render(&empty, a.show_trace));
                }
                return ExitCode::from(1);
            }
        };
        let code = match build::build(&mut cfg, &a.out, index.as_ref()) {
            Ok(report) => {
                for w in &report.warnings {
                    eprintln!("warning: {w}");
                }
                for m in &report.messages {
                    eprintln!("{m}");
                }
                if !report.missing_packages.is_empty() {
                    eprintln!(
                        "note: {} package(s) are not in the Nix store (no nixpkgs was found); the tree needs:",
                        report.missing_packages.len()
                    );
                    for p in &report.missing_packages {
                        eprintln!("  {p}");
                    }
                }
                eprintln!(
                    "built {} system(s) into {}",
                    report.profiles.len(),
                    a.out.display()
                );
                0
            }
            Err(diags) => {
                let n = diags.len();
                for d in &diags {
                    eprint!("{}", d.render(&cfg.ev.sources, a.show_trace));
                }
                eprintln!("build failed: {n} error{}", if n == 1 { "" } else { "s" });
                1
            }
        };
        // Every file is written: leave without freeing the evaluation.
        cfg.ev.exit_process(code)
    })
}
