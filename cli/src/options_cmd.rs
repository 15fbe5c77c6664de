//! `nixcfg options FILE [OPTION.PATH]`: like `nixos-option`, with lines.

use clap::Args;
use nixcfg_compiler::eval::run::with_big_stack;
use nixcfg_compiler::eval::EvalOptions;
use nixcfg_compiler::modules::{describe, Configuration, OptionNode};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct OptionsArgs {
    /// The configuration (a module file).
    #[arg(required_unless_present = "markdown")]
    file: Option<PathBuf>,
    /// The option, e.g. `services.web.port` (default: the top level).
    option: Option<String>,
    /// Print JSON for tools.
    #[arg(long)]
    json: bool,
    /// Print the reference of every option nixcfg declares (docs/options.md).
    #[arg(long, conflicts_with_all = ["file", "option", "json"])]
    markdown: bool,
}

pub fn run(a: OptionsArgs) -> ExitCode {
    with_big_stack(move || run_inner(a))
}

fn run_inner(a: OptionsArgs) -> ExitCode {
    if a.markdown {
        return markdown();
    }
    let Some(file) = &a.file else {
        return ExitCode::from(2);
    };
    let mut cfg = match Configuration::load(file, crate::config_eval_options(), false) {
        Ok(c) => c,
        Err(ds) => {
            for d in ds {
                eprint!(
                    "{}",
                    d.render(&nixcfg_compiler::source::SourceMap::default(), false)
                );
            }
            return ExitCode::from(1);
        }
    };
    let path: Vec<String> = a
        .option
        .as_deref()
        .map(|p| p.split('.').map(str::to_string).collect())
        .unwrap_or_default();
    let node = match describe(&mut cfg, &path) {
        Ok(n) => n,
        Err(d) => {
            eprint!("{}", d.render(&cfg.ev.sources, false));
            return ExitCode::from(1);
        }
    };
    match node {
        OptionNode::Group { path, children } => {
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({ "path": path, "options": children })
                );
            } else {
                for c in children {
                    println!(
                        "{}{}",
                        if path.is_empty() {
                            String::new()
                        } else {
                            format!("{path}.")
                        },
                        c
                    );
                }
            }
        }
        OptionNode::Option(o) => {
            if a.json {
                let defs: Vec<_> = o.definitions.iter().map(|d| serde_json::json!({ "location": d.location, "priority": d.priority, "won": d.won })).collect();
                println!(
                    "{}",
                    serde_json::json!({
                        "path": o.path,
                        "type": o.type_description,
                        "default": o.default,
                        "description": o.description,
                        "declarations": o.declarations,
                        "definitions": defs,
                        "highestPriority": o.highest_priority,
                        "value": o.value.as_ref().ok(),
                        "error": o.value.as_ref().err(),
                    })
                );
            } else {
                println!("{}", o.path);
                println!("  type: {}", o.type_description);
                if let Some(d) = &o.default {
                    println!("  default: {d}");
                }
                if let Some(d) = &o.description {
                    println!("  description: {}", d.trim());
                }
                match &o.value {
                    Ok(v) => println!("  value: {v}"),
                    Err(e) => println!("  value: error: {}", e.lines().next().unwrap_or("")),
                }
                println!("  declared in:");
                for d in &o.declarations {
                    println!("    {d}");
                }
                if !o.definitions.is_empty() {
                    println!("  defined in:");
                }
                for d in &o.definitions {
                    let what = if d.priority == 1500 {
                        ", the default"
                    } else {
                        ""
                    };
                    println!(
                        "    {} {} (priority {}{what})",
                        if d.won { "*" } else { " " },
                        d.location,
                        d.priority
                    );
                }
                if o.definitions.iter().any(|d| d.won) {
                    println!("  (* marks the definitions that make the value)");
                }
            }
        }
    }
    ExitCode::SUCCESS
}

fn markdown() -> ExitCode {
    let empty = nixcfg_compiler::source::SourceMap::default();
    let mut cfg = match Configuration::load_embedded(EvalOptions::default()) {
        Ok(c) => c,
        Err(ds) => {
            for d in ds {
                eprint!("{}", d.render(&empty, false));
            }
            return ExitCode::from(1);
        }
    };
    match nixcfg_compiler::modules::reference::markdown(&mut cfg) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(d) => {
            eprint!("{}", d.render(&cfg.ev.sources, false));
            ExitCode::from(1)
        }
    }
}
