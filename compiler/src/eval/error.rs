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

/// One pointer wide, so that `EvalResult<Value>` is returned in two
/// registers; the fields are reached through `Deref`.
#[derive(Clone, Debug)]
pub struct EvalError(Box<ErrorData>);

#[derive(Clone, Debug)]
pub struct ErrorData {
    pub kind: ErrorKind,
    pub diag: Diagnostic,
}

impl std::ops::Deref for EvalError {
    type Target = ErrorData;
    fn deref(&self) -> &ErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for EvalError {
    fn deref_mut(&mut self) -> &mut ErrorData {
        &mut self.0
    }
}

impl EvalError {
    pub fn from_diagnostic(kind: ErrorKind, diag: Diagnostic) -> Self {
        EvalError(Box::new(ErrorData { kind, diag }))
    }
    /// The diagnostic, taken out.
    pub fn into_diagnostic(self) -> Diagnostic {
        self.0.diag
    }
}

pub type EvalResult<T> = Result<T, EvalError>;

impl EvalError {
    pub fn new(
        kind: ErrorKind,
        code: &'static str,
        msg: impl Into<String>,
        span: Option<Span>,
    ) -> Self {
        EvalError::from_diagnostic(kind, Diagnostic::new(code, msg, span))
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
