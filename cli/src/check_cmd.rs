//! `nixcfg check [PATH…]`: every mistake and lint finding of each file,
//! each at its line, files checked in parallel. Files given by name and
//! every `configuration.nix` are evaluated as configurations (options,
//! types, assertions); every other `.nix` file is parsed, scope-checked and
//! linted. Exit 0 when there is no error, 1 with errors, 2 on usage errors.

use clap::Args;
use nixcfg_compiler::diagnostic::{Diagnostic, Severity};
use nixcfg_compiler::lint::{self, Config};
use nixcfg_compiler::modules::options_index::OptionsIndex;
use nixcfg_compiler::source::{SourceMap, Span};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct CheckArgs {
    /// Files and directories (default: the current directory).
    paths: Vec<PathBuf>,
    /// Output format: `human` (default), `json` (one object per line) or
    /// `github` (workflow annotations).
    #[arg(long, default_value = "human")]
    format: String,
    /// Apply the fixes that are safe, then report what is left.
    #[arg(long)]
    fix: bool,
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

/// One file to check.
struct Job {
    path: PathBuf,
    /// Evaluate it as a configuration (not only lint it).
    evaluate: bool,
}

/// What checking one file found, with the sources its spans point into.
struct Outcome {
    diags: Vec<(Diagnostic, Option<Fixes>)>,
    sources: SourceMap,
    fixed: usize,
}

type Fixes = nixcfg_compiler::lint::Fix;

fn collect(
    path: &Path,
    config: &(Config, PathBuf),
    explicit: bool,
    out: &mut Vec<Job>,
) -> Result<(), String> {
    let rel = path
        .strip_prefix(&config.1)
        .unwrap_or(path)
        .to_string_lossy()
        .trim_start_matches("./")
        .to_string();
    if !explicit && config.0.excluded(&rel) {
        return Ok(());
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            if name.starts_with('.') || name == "result" || name == "target" {
                continue;
            }
            if p.is_dir() || name.ends_with(".nix") {
                collect(&p, config, false, out)?;
            }
        }
    } else if explicit || path.extension().is_some_and(|e| e == "nix") {
        let evaluate = explicit || path.file_name().is_some_and(|n| n == "configuration.nix");
        out.push(Job {
            path: path.to_path_buf(),
            evaluate,
        });
    }
    Ok(())
}

/// nixcfg.toml in the current directory or the nearest ancestor.
fn project_config() -> Result<(Config, PathBuf), String> {
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let mut dir = Some(cwd.as_path());
    while let Some(d) = dir {
        let f = d.join("nixcfg.toml");
        if f.exists() {
            let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
            let rel_base = if d == cwd {
                PathBuf::from(".")
            } else {
                d.to_path_buf()
            };
            return Ok((Config::parse(&text)?, rel_base));
        }
        dir = d.parent();
    }
    Ok((Config::default(), PathBuf::from(".")))
}

fn write_fixed(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o7777;
    crate::activate::files::write_atomic(path, text.as_bytes(), mode, None)
}

fn check_file(
    job: &Job,
    config: &Config,
    index: Option<&OptionsIndex>,
    fix: bool,
    reusable: &mut Option<nixcfg_compiler::eval::Evaluator>,
) -> Outcome {
    let mut out = Outcome {
        diags: Vec::new(),
        sources: SourceMap::default(),
        fixed: 0,
    };
    let canonical = std::fs::canonicalize(&job.path).unwrap_or_else(|_| job.path.clone());
    let bytes = match std::fs::read(&job.path) {
        Ok(b) => b,
        Err(e) => {
            out.diags.push((
                Diagnostic::new(
                    "nixcfg::io",
                    format!("cannot read {}: {e}", job.path.display()),
                    None,
                ),
                None,
            ));
            return out;
        }
    };
    let mut text = match std::str::from_utf8(&bytes) {
        Ok(t) => t.to_string(),
        Err(_) => {
            // The evaluator's reader reports it with its location.
            let mut ev = nixcfg_compiler::eval::Evaluator::new(crate::config_eval_options());
            if let Err(ds) = ev.eval_file(&canonical) {
                out.sources = std::mem::take(&mut ev.sources);
                out.diags
                    .extend(ds.into_iter().flat_map(|d| d.flatten()).map(|d| (d, None)));
            }
            return out;
        }
    };
    let lint_file = |text: &str| nixcfg_compiler::analysis::lint_text(text, config);
    if fix {
        // A fix can make another (removing a `with` can leave an argument
        // unused): fix until nothing changes.
        let original = text.clone();
        for _ in 0..8 {
            let Some(fs) = lint_file(&text) else { break };
            let (new, n) = lint::apply_fixes(&text, &fs);
            if n == 0 || new == text {
                break;
            }
            out.fixed += n;
            text = new;
        }
        if text != original {
            if let Err(e) = write_fixed(&job.path, &text) {
                out.fixed = 0;
                text = original;
                out.diags.push((
                    Diagnostic::new(
                        "nixcfg::io",
                        format!("cannot write {}: {e}", job.path.display()),
                        None,
                    ),
                    None,
                ));
            }
        }
    }
    let a = nixcfg_compiler::analysis::analyze(
        &canonical,
        &text,
        job.evaluate,
        config,
        index,
        // The process ends after the check: its evaluations are not freed.
        &nixcfg_compiler::eval::EvalOptions {
            keep_heap: true,
            ..crate::config_eval_options()
        },
        reusable,
        // A configuration's evaluation checks its options (those of the
        // files it imports too).
        None,
    );
    if let Some(evaluation) = a.evaluation {
        evaluation.leak();
    }
    out.diags = a.diags;
    out.sources = a.sources;
    out
}

fn position(sources: &SourceMap, span: Option<Span>, end: bool) -> Option<(String, u32, u32)> {
    let s = span?;
    let f = sources.get(s.file);
    let (l, c) = f.line_col(if end { s.end } else { s.start });
    Some((f.name.clone(), l, c))
}

fn json(d: &Diagnostic, fix: Option<&Fixes>, sources: &SourceMap) -> serde_json::Value {
    let loc = position(sources, d.span, false).map(
        |(file, line, column)| serde_json::json!({ "file": file, "line": line, "column": column }),
    );
    let end = position(sources, d.span, true)
        .map(|(_, line, column)| serde_json::json!({ "line": line, "column": column }));
    let fix = fix.map(|f| {
        let edits: Vec<_> = f
            .edits
            .iter()
            .map(|e| {
                let file = d.span.map(|s| s.file);
                let at = |o: u32| file.map(|id| sources.get(id).line_col(o));
                serde_json::json!({ "start": at(e.start).map(|(l, c)| serde_json::json!({"line": l, "column": c})), "end": at(e.end).map(|(l, c)| serde_json::json!({"line": l, "column": c})), "text": e.text })
            })
            .collect();
        serde_json::json!({ "description": f.description, "edits": edits })
    });
    serde_json::json!({
        "code": d.code,
        "level": d.severity.as_str(),
        "message": d.message,
        "location": loc,
        "end": end,
        "help": d.help,
        "fix": fix,
    })
}

fn github(d: &Diagnostic, sources: &SourceMap) -> String {
    let esc = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let kind = if d.severity == Severity::Error {
        "error"
    } else {
        "warning"
    };
    match (
        position(sources, d.span, false),
        position(sources, d.span, true),
    ) {
        (Some((file, l, c)), Some((_, el, ec))) => {
            let file = std::env::current_dir()
                .ok()
                .and_then(|cwd| {
                    Path::new(&file)
                        .strip_prefix(cwd)
                        .ok()
                        .map(|p| p.display().to_string())
                })
                .unwrap_or(file);
            format!(
                "::{kind} file={},line={l},col={c},endLine={el},endColumn={ec},title={}::{}",
                esc(&file).replace(',', "%2C"),
                d.code,
                esc(&d.message)
            )
        }
        _ => format!("::{kind} title={}::{}", d.code, esc(&d.message)),
    }
}

pub fn run(a: CheckArgs) -> ExitCode {
    if !matches!(a.format.as_str(), "human" | "json" | "github") {
        eprintln!(
            "error: unknown format '{}' (use human, json or github)",
            a.format
        );
        return ExitCode::from(2);
    }
    let index = match read_index(a.options_json.as_deref()) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let config = match project_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let mut jobs = Vec::new();
    for p in &paths {
        let explicit = !p.is_dir();
        if let Err(e) = collect(p, &config, explicit, &mut jobs) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(jobs.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Vec<String>>>> =
        jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let errors = std::sync::atomic::AtomicUsize::new(0);
    let warnings = std::sync::atomic::AtomicUsize::new(0);
    let fixed = std::sync::atomic::AtomicUsize::new(0);
    let format = a.format.as_str();
    let (cfg, idx, fix) = (&config.0, index.as_ref(), a.fix);
    let (jobs, next, results) = (&jobs, &next, &results);
    let (errors_n, warnings_n, fixed_n) = (&errors, &warnings, &fixed);
    std::thread::scope(|s| {
        for _ in 0..workers {
            // Evaluation wants a big stack: each worker has one.
            let worker = move || {
                nixcfg_compiler::eval::run::enter_eval_thread();
                let mut reusable = None;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let o = check_file(job, cfg, idx, fix, &mut reusable);
                    let mut lines = Vec::new();
                    for (d, f) in &o.diags {
                        match d.severity {
                            Severity::Error => {
                                errors_n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                            }
                            Severity::Warning => {
                                warnings_n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                            }
                        };
                        lines.push(match format {
                            "json" => json(d, f.as_ref(), &o.sources).to_string() + "\n",
                            "github" => github(d, &o.sources) + "\n",
                            _ => d.render(&o.sources, false),
                        });
                    }
                    fixed_n.fetch_add(o.fixed, std::sync::atomic::Ordering::Relaxed);
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(lines);
                }
            };
            std::thread::Builder::new()
                .name("nixcfg-check".into())
                .stack_size(nixcfg_compiler::eval::run::eval_stack_size())
                .spawn_scoped(s, worker)
                .expect("spawning a check worker");
        }
    });
    for r in results.iter() {
        if let Some(lines) = r.lock().unwrap_or_else(|e| e.into_inner()).take() {
            for l in lines {
                if a.format == "human" {
                    eprint!("{l}");
                } else {
                    print!("{l}");
                }
            }
        }
    }
    let errors = errors.into_inner();
    let warnings = warnings.into_inner();
    let fixed = fixed.into_inner();
    if a.format == "human" {
        if fixed > 0 {
            eprintln!("{fixed} fix{} applied", if fixed == 1 { "" } else { "es" });
        }
        eprintln!(
            "{} file{} checked: {errors} error{}, {warnings} warning{}",
            jobs.len(),
            if jobs.len() == 1 { "" } else { "s" },
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" }
        );
    }
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
