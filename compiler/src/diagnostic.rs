//! One diagnostic type for the whole compiler: parse errors, evaluation
//! errors and (later) option errors. Rendering goes through miette.

use crate::source::{SourceMap, Span};
use std::fmt::Write;

#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// A stable code such as `nix::undefined-variable`.
    pub code: &'static str,
    pub message: String,
    pub span: Option<Span>,
    pub label: Option<String>,
    pub help: Option<String>,
    /// "while evaluating …" frames, innermost first.
    pub trace: Vec<(String, Option<Span>)>,
    /// Further independent errors found together with this one (the other
    /// syntax errors of a file), reported after it.
    pub related: Vec<Diagnostic>,
}

impl Diagnostic {
    /// This diagnostic and its related ones, each on its own.
    pub fn flatten(mut self) -> Vec<Diagnostic> {
        let rest = std::mem::take(&mut self.related);
        let mut out = vec![self];
        for r in rest {
            out.extend(r.flatten());
        }
        out
    }

    pub fn new(code: &'static str, message: impl Into<String>, span: Option<Span>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            span,
            label: None,
            help: None,
            trace: Vec::new(),
            related: Vec::new(),
        }
    }
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// `file:line:col` of the primary span.
    pub fn location(&self, sources: &SourceMap) -> Option<String> {
        let span = self.span?;
        let f = sources.get(span.file);
        let (l, c) = f.line_col(span.start);
        Some(format!("{}:{}:{}", f.name, l, c))
    }

    /// Renders as Nix prints errors (for `nixcfg nix-instantiate`, whose
    /// callers may parse it): the trace, outermost first, then
    /// `error: MESSAGE` with the message as it is, unwrapped.
    pub fn render_plain(&self, sources: &SourceMap, show_trace: bool) -> String {
        let mut out = String::from("error:\n");
        let frames: Vec<_> = if show_trace {
            self.trace.iter().rev().collect()
        } else {
            self.trace
                .iter()
                .rev()
                .skip(self.trace.len().saturating_sub(3))
                .collect()
        };
        for (msg, span) in frames {
            let _ = writeln!(out, "       … {msg}");
            if let Some(loc) = span.map(|s| self::loc(sources, s)) {
                let _ = writeln!(out, "         at {loc}:\n");
            }
        }
        if let Some(span) = self.span {
            let _ = writeln!(out, "       at {}:", loc(sources, span));
            let f = sources.get(span.file);
            let (l, c) = f.line_col(span.start);
            if let Some(line) = f.text.lines().nth(l as usize - 1) {
                let _ = writeln!(
                    out,
                    "{:>12}| {line}\n{:>12}| {}^\n",
                    l,
                    "",
                    " ".repeat(c as usize - 1)
                );
            }
        }
        let _ = writeln!(out, "       error: {}", self.message);
        if let Some(h) = &self.help {
            let _ = writeln!(out, "       help: {h}");
        }
        out
    }

    /// Renders with miette: the message, the source line with a label, the
    /// help, and the trace.
    pub fn render(&self, sources: &SourceMap, show_trace: bool) -> String {
        let mut out = String::new();
        let report = self.to_report(sources);
        let handler = miette::GraphicalReportHandler::new_themed(if colour_wanted() {
            miette::GraphicalTheme::unicode()
        } else {
            miette::GraphicalTheme::unicode_nocolor()
        })
        .with_width(100);
        let _ = handler.render_report(&mut out, report.as_ref());
        let frames: Vec<_> = if show_trace {
            self.trace.iter().collect()
        } else {
            self.trace.iter().take(3).collect()
        };
        for (msg, span) in frames {
            match span.and_then(|s| {
                let f = sources.get(s.file);
                let (l, c) = f.line_col(s.start);
                Some(format!("{}:{}:{}", f.name, l, c))
            }) {
                Some(loc) => {
                    let _ = writeln!(out, "  … {msg}\n    at {loc}");
                }
                None => {
                    let _ = writeln!(out, "  … {msg}");
                }
            }
        }
        if !show_trace && self.trace.len() > 3 {
            let _ = writeln!(
                out,
                "  (use '--show-trace' to show the {} more frames)",
                self.trace.len() - 3
            );
        }
        out
    }

    fn to_report(&self, sources: &SourceMap) -> Box<dyn miette::Diagnostic + Send + Sync> {
        let mut src = None;
        let mut labels = Vec::new();
        if let Some(span) = self.span {
            let f = sources.get(span.file);
            let (l, c) = f.line_col(span.start);
            src = Some(miette::NamedSource::new(
                format!("{}:{}:{}", f.name, l, c),
                f.text.to_string(),
            ));
            let len = (span.end.saturating_sub(span.start)) as usize;
            labels.push(miette::LabeledSpan::new(
                self.label.clone().or_else(|| Some("here".into())),
                span.start as usize,
                len,
            ));
        }
        Box::new(Rendered {
            code: self.code,
            message: self.message.clone(),
            help: self.help.clone(),
            labels,
            src,
        })
    }
}

fn loc(sources: &SourceMap, span: Span) -> String {
    let f = sources.get(span.file);
    let (l, c) = f.line_col(span.start);
    format!("{}:{}:{}", f.name, l, c)
}

fn colour_wanted() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

#[derive(Debug)]
struct Rendered {
    code: &'static str,
    message: String,
    help: Option<String>,
    labels: Vec<miette::LabeledSpan>,
    src: Option<miette::NamedSource<String>>,
}

impl std::fmt::Display for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Rendered {}
impl miette::Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}
