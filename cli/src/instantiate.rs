//! `nixcfg nix-instantiate`: nix-instantiate's command line and output.

use nixcfg_compiler::eval::lower::{LintLevel, Lints};
use nixcfg_compiler::eval::run::{with_big_stack, AutoArg};
use nixcfg_compiler::eval::{EvalOptions, Evaluator, Value};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Default, Clone)]
pub struct Flags {
    pub eval: bool,
    pub strict: bool,
    pub json: bool,
    pub xml: bool,
    pub location: bool,
    pub parse: bool,
    pub show_trace: bool,
    pub attr_paths: Vec<String>,
    pub include: Vec<String>,
    pub auto_args: Vec<(String, AutoArg)>,
    pub exprs: Vec<String>,
    pub files: Vec<String>,
    pub from_expr: bool,
    pub max_call_depth: Option<usize>,
    pub features: Vec<String>,
    pub impure: bool,
    pub lints: Lints,
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("error: {msg}\nTry 'nixcfg nix-instantiate --help' for more information.");
    ExitCode::from(1)
}

pub fn parse_flags(args: Vec<String>) -> Result<Flags, String> {
    let mut f = Flags {
        location: true,
        ..Default::default()
    };
    let mut it = args.into_iter();
    let need = |it: &mut std::vec::IntoIter<String>, flag: &str| {
        it.next()
            .ok_or_else(|| format!("flag '{flag}' requires an argument"))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--eval" | "--eval-only" => f.eval = true,
            "--strict" => f.strict = true,
            "--json" => f.json = true,
            "--xml" => f.xml = true,
            "--no-location" => f.location = false,
            "--parse" | "--parse-only" => f.parse = true,
            "--show-trace" => f.show_trace = true,
            "--impure" => f.impure = true,
            "--read-write-mode" | "--readonly-mode" | "--add-root" | "--indirect" | "--quiet"
            | "--verbose" | "-v" | "--no-build-output" => {
                if a == "--add-root" {
                    need(&mut it, &a)?;
                }
            }
            "-E" | "--expr" => f.from_expr = true,
            "-A" | "--attr" => f.attr_paths.push(need(&mut it, &a)?),
            "-I" | "--include" => f.include.push(need(&mut it, &a)?),
            "--arg" => {
                let n = need(&mut it, &a)?;
                let v = need(&mut it, &a)?;
                f.auto_args.push((n, AutoArg::Expr(v)));
            }
            "--argstr" => {
                let n = need(&mut it, &a)?;
                let v = need(&mut it, &a)?;
                f.auto_args.push((n, AutoArg::Str(v)));
            }
            "--max-call-depth" => {
                f.max_call_depth = Some(
                    need(&mut it, &a)?
                        .parse()
                        .map_err(|_| "--max-call-depth takes a number".to_string())?,
                )
            }
            "--option" => {
                let n = need(&mut it, &a)?;
                let v = need(&mut it, &a)?;
                if n == "max-call-depth" {
                    f.max_call_depth = v.parse().ok();
                }
                if n == "extra-experimental-features" || n == "experimental-features" {
                    f.features.extend(v.split_whitespace().map(str::to_string));
                }
            }
            "--extra-experimental-features" | "--experimental-features" => {
                f.features
                    .extend(need(&mut it, &a)?.split_whitespace().map(str::to_string));
            }
            "--lint-short-path-literals"
            | "--lint-absolute-path-literals"
            | "--lint-url-literals" => {
                let level = match need(&mut it, &a)?.as_str() {
                    "ignore" | "off" => LintLevel::Off,
                    "warn" => LintLevel::Warn,
                    "fatal" => LintLevel::Fatal,
                    other => {
                        return Err(format!(
                            "invalid value '{other}' for {a}: expected 'ignore', 'warn' or 'fatal'"
                        ))
                    }
                };
                match a.as_str() {
                    "--lint-short-path-literals" => f.lints.short_path = level,
                    "--lint-absolute-path-literals" => f.lints.absolute_path = level,
                    _ => f.lints.url = level,
                }
            }
            s if s.starts_with('-') && s != "-" => return Err(format!("unrecognised flag '{s}'")),
            _ => f.files.push(a),
        }
    }
    if f.from_expr {
        f.exprs = std::mem::take(&mut f.files);
    }
    Ok(f)
}

/// NIX_PATH and `-I` entries as `(prefix, path)`.
pub fn search_path(include: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let env = std::env::var("NIX_PATH").unwrap_or_default();
    for e in include
        .iter()
        .map(String::as_str)
        .chain(env.split(':').filter(|s| !s.is_empty()))
    {
        match e.split_once('=') {
            Some((p, path)) => out.push((p.to_string(), path.to_string())),
            None => out.push((String::new(), e.to_string())),
        }
    }
    out
}

pub fn run(args: Vec<String>) -> ExitCode {
    run_with(args, false)
}

/// Runs with miette's graphical errors (`friendly`) or Nix's plain ones.
pub fn run_with(args: Vec<String>, friendly: bool) -> ExitCode {
    if args.iter().any(|a| a == "--help") {
        println!("usage: nixcfg nix-instantiate [--eval [--strict] [--json|--xml]] [--parse] [-E] [-A PATH] [-I PATH] [--arg N E] [--argstr N S] FILES...");
        return ExitCode::SUCCESS;
    }
    let flags = match parse_flags(args) {
        Ok(f) => f,
        Err(m) => return usage(&m),
    };
    with_big_stack(move || {
        FRIENDLY.with(|x| x.set(friendly));
        run_flags(flags)
    })
}

fn run_flags(f: Flags) -> ExitCode {
    let mut ev = Evaluator::new(eval_options(&f));
    let code = run_inputs(&mut ev, &f);
    // The values are not needed any more: leave without freeing them.
    ev.exit_process(if code == ExitCode::SUCCESS { 0 } else { 1 })
}

fn eval_options(f: &Flags) -> EvalOptions {
    let mut opts = EvalOptions {
        nix_path: search_path(&f.include),
        features: f.features.clone(),
        lints: f.lints,
        ..Default::default()
    };
    if let Some(d) = f.max_call_depth {
        opts.max_call_depth = d;
    }
    opts
}

fn run_inputs(ev: &mut Evaluator, f: &Flags) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let mut inputs: Vec<(String, PathBuf, String)> = Vec::new();
    if f.from_expr {
        for e in &f.exprs {
            inputs.push(("«string»".into(), cwd.clone(), e.clone()));
        }
    } else {
        let files = if f.files.is_empty() {
            vec!["./default.nix".to_string()]
        } else {
            f.files.clone()
        };
        for file in files {
            if file == "-" {
                let mut s = Vec::new();
                if std::io::stdin().read_to_end(&mut s).is_err() {
                    eprintln!("error: cannot read standard input");
                    return ExitCode::from(1);
                }
                let text = match String::from_utf8(s) {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!(
                            "error: standard input is not valid UTF-8 (invalid byte at offset {})",
                            e.utf8_error().valid_up_to()
                        );
                        return ExitCode::from(1);
                    }
                };
                inputs.push(("«stdin»".into(), cwd.clone(), text));
            } else {
                let mut p = cwd.join(&file);
                if p.is_dir() {
                    p.push("default.nix");
                }
                let p = PathBuf::from(nixcfg_compiler::eval::lower::canonicalize(
                    &p.to_string_lossy(),
                ));
                inputs.push((
                    p.display().to_string(),
                    p.parent().map(|d| d.to_path_buf()).unwrap_or(cwd.clone()),
                    String::new(),
                ));
            }
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (name, dir, text) in inputs {
        let is_file = text.is_empty() && name.starts_with('/');
        let parsed = if is_file {
            let path = PathBuf::from(&name);
            if f.parse {
                match std::fs::read(&path) {
                    Ok(bytes) => match String::from_utf8(bytes) {
                        Ok(t) => ev.parse(name.clone(), dir.clone(), &t),
                        Err(_) => return report_msg(&format!("file '{name}' is not valid UTF-8")),
                    },
                    Err(e) => return report_msg(&format!("cannot read '{name}': {e}")),
                }
            } else {
                match ev.import_path(&path, None) {
                    Ok(v) => {
                        if let Err(code) = finish(ev, v, f, &mut out) {
                            return code;
                        }
                        continue;
                    }
                    Err(e) => return report(ev, &e.diag, f.show_trace),
                }
            }
        } else {
            ev.parse(name.clone(), dir, &text)
        };
        let expr = match parsed {
            Ok(e) => e,
            Err(ds) => {
                for d in &ds {
                    report(ev, d, f.show_trace);
                }
                return ExitCode::from(1);
            }
        };
        if f.parse {
            let _ = writeln!(out, "{}", text.trim_end());
            continue;
        }
        let v = match ev.eval_root(&expr) {
            Ok(v) => v,
            Err(e) => return report(ev, &e.diag, f.show_trace),
        };
        if let Err(code) = finish(ev, v, f, &mut out) {
            return code;
        }
    }
    ExitCode::SUCCESS
}

fn report(
    ev: &Evaluator,
    d: &nixcfg_compiler::diagnostic::Diagnostic,
    show_trace: bool,
) -> ExitCode {
    if friendly_errors() {
        for d in d.clone().flatten() {
            eprint!("{}", d.render(&ev.sources, show_trace));
        }
    } else {
        eprint!("{}", d.render_plain(&ev.sources, show_trace));
    }
    ExitCode::from(1)
}

/// `nixcfg eval` shows miette's report; `nixcfg nix-instantiate` prints
/// errors as Nix does, for scripts that read them.
fn friendly_errors() -> bool {
    FRIENDLY.with(|f| f.get())
}

thread_local! {
    static FRIENDLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn report_msg(m: &str) -> ExitCode {
    eprintln!("error: {m}");
    ExitCode::from(1)
}

fn finish(ev: &mut Evaluator, v: Value, f: &Flags, out: &mut impl Write) -> Result<(), ExitCode> {
    let paths = if f.attr_paths.is_empty() {
        vec![String::new()]
    } else {
        f.attr_paths.clone()
    };
    for p in paths {
        let r = (|| -> nixcfg_compiler::eval::EvalResult<()> {
            let v = ev.auto_call(v.clone(), &f.auto_args)?;
            let v = ev.select_attr_path(v, &p, &f.auto_args)?;
            let v = ev.auto_call(v, &f.auto_args)?;
            let span = nixcfg_compiler::source::Span {
                file: nixcfg_compiler::source::FileId(0),
                start: 0,
                end: 0,
            };
            if f.eval {
                if f.strict {
                    ev.force_deep(&v)?;
                }
                let text = if f.json {
                    let mut s = String::new();
                    let mut ctx = Default::default();
                    ev.force_deep(&v)?;
                    ev.to_json(&v, span, &mut ctx, &mut s)?;
                    // nix-instantiate ends JSON output without a newline.
                    let _ = write!(out, "{s}");
                    return Ok(());
                } else if f.xml {
                    let (s, _) = ev.to_xml(&v, f.strict, f.location, span)?;
                    let _ = write!(out, "{s}");
                    return Ok(());
                } else {
                    ev.print_value(&v, f.strict)?
                };
                let _ = writeln!(out, "{text}");
            } else {
                for d in ev.find_derivations(&v)? {
                    let _ = writeln!(out, "{d}");
                }
            }
            Ok(())
        })();
        if let Err(e) = r {
            return Err(report(ev, &e.diag, f.show_trace));
        }
    }
    Ok(())
}
