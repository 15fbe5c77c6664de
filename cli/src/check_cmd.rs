//! `nixcfg check FILE…`: every independent mistake of each configuration,
//! each at its line. Exit 0 when clean, 1 with errors, 2 on usage errors.

use clap::Args;
use nixcfg_compiler::eval::run::with_big_stack;
use nixcfg_compiler::modules::options_index::OptionsIndex;
use nixcfg_compiler::modules::{check_with, Configuration};
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
    /// NixOS's options.json: check definitions of options nixcfg does not
    /// compile against the types NixOS declares.
    #[arg(long, value_name = "FILE")]
    options_json: Option<PathBuf>,
}

/// Reads `--options-json`; a usage error (exit 2) when it cannot.
pub fn read_index(path: Option<&std::path::Path>) -> Result<Option<OptionsIndex>, ExitCode> {
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", path.display());
        ExitCode::from(2)
    })?;
    OptionsIndex::from_json(&text).map(Some).map_err(|e| {
        eprintln!("error: {}: {e}", path.display());
        ExitCode::from(2)
    })
}

pub fn run(a: CheckArgs) -> ExitCode {
    if a.format != "human" && a.format != "json" {
        eprintln!("error: unknown format '{}' (use human or json)", a.format);
        return ExitCode::from(2);
    }
    let index = match read_index(a.options_json.as_deref()) {
        Ok(i) => i,
        Err(code) => return code,
    };
    with_big_stack(move || {
        let mut errors = 0;
        for f in &a.files {
            let (diags, sources) = match Configuration::load(f, crate::config_eval_options(), false)
            {
                Ok(mut cfg) => {
                    let d = check_with(&mut cfg, index.as_ref());
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
