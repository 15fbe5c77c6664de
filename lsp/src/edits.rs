//! Which lines an edit changed, and what becomes of diagnostics made for
//! the text before it: those on lines it did not touch stay (moved by
//! the lines it added or removed), those on lines it touched go.

use lsp_types::Diagnostic;
use std::ops::Range;

/// The lines that differ between two texts: `old` in the text before,
/// `new` in the text after (0-based, end exclusive; empty for a pure
/// insertion or deletion point).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineEdit {
    pub old: Range<usize>,
    pub new: Range<usize>,
}

pub fn changed_lines(before: &str, after: &str) -> LineEdit {
    let a: Vec<&str> = before.split('\n').collect();
    let b: Vec<&str> = after.split('\n').collect();
    let (prefix, suffix) = nixcfg_compiler::syntax::common_ends(&a, &b);
    LineEdit {
        old: prefix..a.len() - suffix,
        new: prefix..b.len() - suffix,
    }
}

/// The diagnostics of the text before the edit that lie wholly outside
/// it, at their lines in the text after.
pub fn keep_outside(diags: &[Diagnostic], edit: &LineEdit) -> Vec<Diagnostic> {
    let shift = edit.new.len() as i64 - edit.old.len() as i64;
    diags
        .iter()
        .filter_map(|d| {
            let (start, end) = (d.range.start.line as usize, d.range.end.line as usize);
            if end < edit.old.start {
                return Some(d.clone());
            }
            if start < edit.old.end.max(edit.old.start + 1) {
                return None;
            }
            let mut d = d.clone();
            d.range.start.line = (d.range.start.line as i64 + shift) as u32;
            d.range.end.line = (d.range.end.line as i64 + shift) as u32;
            Some(d)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::{Position, Range as LspRange};

    fn at(line: u32) -> Diagnostic {
        Diagnostic {
            range: LspRange::new(Position::new(line, 0), Position::new(line, 1)),
            message: format!("line {line}"),
            ..Default::default()
        }
    }

    #[test]
    fn a_changed_line() {
        let e = changed_lines("a\nb\nc", "a\nB\nc");
        assert_eq!(
            e,
            LineEdit {
                old: 1..2,
                new: 1..2
            }
        );
        let kept = keep_outside(&[at(0), at(1), at(2)], &e);
        assert_eq!(
            kept.iter().map(|d| d.range.start.line).collect::<Vec<_>>(),
            [0, 2]
        );
    }

    #[test]
    fn inserted_lines_move_the_rest() {
        let e = changed_lines("a\nb\nc", "a\nx\ny\nb\nc");
        assert_eq!(
            e,
            LineEdit {
                old: 1..1,
                new: 1..3
            }
        );
        // The line where the insertion happened is dropped with it.
        let kept = keep_outside(&[at(0), at(1), at(2)], &e);
        assert_eq!(
            kept.iter().map(|d| d.range.start.line).collect::<Vec<_>>(),
            [0, 4]
        );
    }

    #[test]
    fn deleted_lines_move_the_rest() {
        let e = changed_lines("a\nb\nc\nd", "a\nd");
        assert_eq!(
            e,
            LineEdit {
                old: 1..3,
                new: 1..1
            }
        );
        let kept = keep_outside(&[at(0), at(1), at(3)], &e);
        assert_eq!(
            kept.iter().map(|d| d.range.start.line).collect::<Vec<_>>(),
            [0, 1]
        );
    }

    #[test]
    fn same_text() {
        let e = changed_lines("a\nb", "a\nb");
        assert_eq!(
            e,
            LineEdit {
                old: 2..2,
                new: 2..2
            }
        );
        assert_eq!(keep_outside(&[at(0), at(1)], &e).len(), 2);
    }
}
