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
    pub severity: Severity,
}

/// Errors stop a build and fail `check`; warnings are printed only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Severity {
    #[default]
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
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
            severity: Severity::Error,
        }
    }
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
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
            let shown_end = (span.end as usize).min(span.start as usize + EXCERPT_BYTES / 4);
            src = Some(Excerpt::around(
                f,
                span.start as usize,
                shown_end,
                format!("{}:{}:{}", f.name, l, c),
            ));
            // A label marks the start of a long span (a whole file, a 50 MB
            // string): miette walks every character it covers.
            let len = (span.end.saturating_sub(span.start) as usize).min(EXCERPT_BYTES / 4);
            labels.push(miette::LabeledSpan::new(
                self.label.clone().or_else(|| Some("here".into())),
                span.start as usize,
                len,
            ));
        }
        Box::new(Rendered {
            severity: self.severity,
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
    severity: Severity,
    code: &'static str,
    message: String,
    help: Option<String>,
    labels: Vec<miette::LabeledSpan>,
    src: Option<Excerpt>,
}

/// The lines around a span, standing in for the whole file: rendering a
/// diagnostic then costs the same for a 50 MB file as for a small one.
#[derive(Debug)]
struct Excerpt {
    name: String,
    text: String,
    /// Byte offset of `text` in the file.
    offset: usize,
    /// 0-based line of the file where `text` starts.
    first_line: usize,
    /// Characters of that line before `text` (when a long line is cut).
    first_column: usize,
}

const EXCERPT_LINES: usize = 3;
const EXCERPT_BYTES: usize = 4096;

impl Excerpt {
    fn around(f: &crate::source::SourceFile, start: usize, end: usize, name: String) -> Excerpt {
        let file: &str = &f.text;
        let start = start.min(file.len());
        let end = end.clamp(start, file.len());
        let mut line_start = file[..start].rfind('\n').map_or(0, |i| i + 1);
        for _ in 0..EXCERPT_LINES {
            if line_start == 0 {
                break;
            }
            line_start = file[..line_start - 1].rfind('\n').map_or(0, |i| i + 1);
        }
        let mut from = line_start.max(start.saturating_sub(EXCERPT_BYTES));
        while !file.is_char_boundary(from) {
            from -= 1;
        }
        let mut to = end;
        for _ in 0..=EXCERPT_LINES {
            match file[to..].find('\n') {
                Some(i) => to += i + 1,
                None => {
                    to = file.len();
                    break;
                }
            }
        }
        to = to.min(end + EXCERPT_BYTES).min(file.len());
        while !file.is_char_boundary(to) {
            to += 1;
        }
        let (line, column) = f.line_col(from as u32);
        Excerpt {
            name,
            text: file[from..to].to_string(),
            offset: from,
            first_line: line as usize - 1,
            first_column: column as usize - 1,
        }
    }
}

impl miette::SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let rel_start = span
            .offset()
            .saturating_sub(self.offset)
            .min(self.text.len());
        let rel = miette::SourceSpan::new(
            rel_start.into(),
            span.len().min(self.text.len() - rel_start),
        );
        let c = self.text.as_str().read_span(&rel, before, after)?;
        let column = if c.line() == 0 {
            c.column() + self.first_column
        } else {
            c.column()
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            c.data(),
            miette::SourceSpan::new((c.span().offset() + self.offset).into(), c.span().len()),
            c.line() + self.first_line,
            column,
            c.line_count(),
        )))
    }
}

impl std::fmt::Display for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Rendered {}
impl miette::Diagnostic for Rendered {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
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
