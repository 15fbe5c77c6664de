//! Evaluation errors: a diagnostic plus what `tryEval` may catch.

use crate::diagnostic::Diagnostic;
use crate::source::Span;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ErrorKind {
    /// `throw`: caught by `tryEval`.
    Throw,
    /// A failed `assert`: caught by `tryEval`.
    Assert,
    /// `abort` and every other error: never caught.
    Abort,
    Other,
    InfiniteRecursion,
    StackOverflow,
}

#[derive(Clone, Debug)]
pub struct EvalError {
    pub kind: ErrorKind,
    pub diag: Box<Diagnostic>,
}

pub type EvalResult<T> = Result<T, EvalError>;

impl EvalError {
    pub fn new(
        kind: ErrorKind,
        code: &'static str,
        msg: impl Into<String>,
        span: Option<Span>,
    ) -> Self {
        EvalError {
            kind,
            diag: Box::new(Diagnostic::new(code, msg, span)),
        }
    }
    pub fn catchable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throw | ErrorKind::Assert)
    }
    /// Adds a "while …" frame, innermost first.
    pub fn context(mut self, msg: impl Into<String>, span: Option<Span>) -> Self {
        if self.diag.trace.len() < 64 {
            self.diag.trace.push((msg.into(), span));
        }
        self
    }
    pub fn help(mut self, h: impl Into<String>) -> Self {
        self.diag.help = Some(h.into());
        self
    }
    pub fn message(&self) -> &str {
        &self.diag.message
    }
}
