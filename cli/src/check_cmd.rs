//! `nixcfg check FILE…`: every independent mistake of each configuration,
//! each at its line. Exit 0 when clean, 1 with errors, 2 on usage errors.

use clap::Args;
use nixcfg_compiler::eval::run::with_big_stack;
use nixcfg_compiler::eval::EvalOptions;
use nixcfg_compiler::modules::{check, Configuration};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct CheckArgs {
    /// Configuration files (modules).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format: `human` (default) or `json` (one object per line).
    #[arg(long, default_value = "human")]
    format: String,
}

pub fn run(a: CheckArgs) -> ExitCode {
    if a.format != "human" && a.format != "json" {
        eprintln!("error: unknown format '{}' (use human or json)", a.format);
        return ExitCode::from(2);
    }
    with_big_stack(move || {
        let mut errors = 0;
        for f in &a.files {
            let (diags, sources) = match Configuration::load(f, EvalOptions::default(), false) {
                Ok(mut cfg) => {
                    let d = check(&mut cfg);
                    (d, Some(cfg))
                }
                Err(d) => (d.into_iter().flat_map(|d| d.flatten()).collect(), None),
            };
            errors += diags
                .iter()
                .filter(|d| d.severity == nixcfg_compiler::diagnostic::Severity::Error)
                .count();
            for d in &diags {
                let empty = nixcfg_compiler::source::SourceMap::default();
                let map = sources.as_ref().map(|c| &c.ev.sources).unwrap_or(&empty);
                if a.format == "json" {
                    let loc = d.span.map(|s| {
                        let file = map.get(s.file);
                        let (l, c) = file.line_col(s.start);
                        serde_json::json!({ "file": file.name, "line": l, "column": c })
                    });
                    println!(
                        "{}",
                        serde_json::json!({ "code": d.code, "level": d.severity.as_str(), "message": d.message, "location": loc, "help": d.help })
                    );
                } else {
                    eprint!("{}", d.render(map, false));
                }
            }
        }
        if a.format == "human" {
            eprintln!("{errors} error{} found", if errors == 1 { "" } else { "s" });
        }
        if errors > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    })
}
