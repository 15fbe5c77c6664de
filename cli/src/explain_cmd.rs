//! `nixcfg explain CODE`: the page of a finding's code (docs/lints/).

use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct ExplainArgs {
    /// A code, with or without the `nixcfg::` prefix (`unused-with`).
    code: Option<String>,
}

pub const PAGES: &[(&str, &str)] = &[
    (
        "unused-binding",
        include_str!("../../docs/lints/unused-binding.md"),
    ),
    (
        "unused-formal",
        include_str!("../../docs/lints/unused-formal.md"),
    ),
    (
        "unused-with",
        include_str!("../../docs/lints/unused-with.md"),
    ),
    (
        "unit-description-case",
        include_str!("../../docs/lints/unit-description-case.md"),
    ),
    (
        "empty-password",
        include_str!("../../docs/lints/empty-password.md"),
    ),
    (
        "renamed-option",
        include_str!("../../docs/lints/renamed-option.md"),
    ),
    ("mkdir-mode", include_str!("../../docs/lints/mkdir-mode.md")),
    (
        "duplicate-id",
        include_str!("../../docs/lints/duplicate-id.md"),
    ),
    (
        "container-name",
        include_str!("../../docs/lints/container-name.md"),
    ),
    (
        "clear-text-password",
        include_str!("../../docs/lints/clear-text-password.md"),
    ),
    (
        "not-compiled",
        include_str!("../../docs/lints/not-compiled.md"),
    ),
    (
        "unknown-option",
        include_str!("../../docs/lints/unknown-option.md"),
    ),
    (
        "type-mismatch",
        include_str!("../../docs/lints/type-mismatch.md"),
    ),
    ("assertion", include_str!("../../docs/lints/assertion.md")),
];

pub fn run(a: ExplainArgs) -> ExitCode {
    let Some(code) = a.code else {
        for (code, page) in PAGES {
            let title = page.lines().next().unwrap_or("").trim_start_matches("# ");
            println!(
                "nixcfg::{code:<24} {}",
                title.split_once(' ').map(|x| x.1).unwrap_or("")
            );
        }
        return ExitCode::SUCCESS;
    };
    let short = code.strip_prefix("nixcfg::").unwrap_or(&code);
    match PAGES.iter().find(|(c, _)| *c == short) {
        Some((_, page)) => {
            print!("{page}");
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("error: no page for `{code}' (`nixcfg explain` lists the codes)");
            ExitCode::from(2)
        }
    }
}
