//! Parsing: rnix plus the fixes Nix's own lexer needs (a `#` comment ends
//! at a lone CR) and a clear error for text that is not UTF-8.

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use rnix::{SyntaxKind, SyntaxNode};
use std::borrow::Cow;

pub struct Parsed {
    pub root: rnix::Root,
    pub errors: Vec<Diagnostic>,
}

/// Decodes file bytes; non-UTF-8 input is an error at the first bad byte.
pub fn decode(bytes: &[u8], file: FileId) -> Result<&str, Box<Diagnostic>> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to() as u32;
        Box::new(
            Diagnostic::new(
                "nix::parse::encoding",
                format!(
                    "the file is not valid UTF-8 (invalid byte 0x{:02x} at offset {at})",
                    bytes[at as usize]
                ),
                Some(Span {
                    file,
                    start: at,
                    end: at + 1,
                }),
            )
            .with_help("Nix source files must be UTF-8 text"),
        )
    })
}

/// Parses `text`, returning the tree and every syntax error with its span.
pub fn parse(text: &str, file: FileId) -> Parsed {
    let text = end_comments_at_lone_cr(text);
    let parse = rnix::Root::parse(&text);
    let mut errors = Vec::new();
    let len = text.len() as u32;
    for e in parse.errors() {
        use rnix::ParseError as P;
        let (range, msg) = match e {
            P::Unexpected(r) => (
                Some(*r),
                format!("syntax error, unexpected {}", snippet(&text, *r)),
            ),
            P::UnexpectedExtra(r) => (
                Some(*r),
                format!("syntax error, unexpected {}", snippet(&text, *r)),
            ),
            P::UnexpectedWanted(_, r, wanted)
                if wanted.contains(&SyntaxKind::TOKEN_STRING_END)
                    && usize::from(r.end()) >= text.len() =>
            {
                (
                    Some(*r),
                    "syntax error, unexpected end of file: the string is never closed".to_string(),
                )
            }
            P::UnexpectedWanted(got, r, wanted) => (
                Some(*r),
                format!(
                    "syntax error, unexpected {}, expecting {}",
                    kind_name(*got),
                    wanted
                        .iter()
                        .map(|k| kind_name(*k))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            ),
            P::UnexpectedDoubleBind(r) => {
                (Some(*r), "syntax error, a pattern binds two names".into())
            }
            P::DuplicatedArgs(r, name) => (
                Some(*r),
                format!("duplicate formal function argument '{name}'"),
            ),
            P::UnexpectedEOF => (None, "syntax error, unexpected end of file".into()),
            P::UnexpectedEOFWanted(w) => (
                None,
                format!(
                    "syntax error, unexpected end of file, expecting {}",
                    w.iter()
                        .map(|k| kind_name(*k))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            ),
            P::RecursionLimitExceeded => {
                (None, "the expression is nested too deeply to parse".into())
            }
            _ => (None, e.to_string()),
        };
        let span = match range {
            Some(r) => Span {
                file,
                start: r.start().into(),
                end: r.end().into(),
            },
            None => Span {
                file,
                start: len,
                end: len,
            },
        };
        errors.push(Diagnostic::new("nix::parse", msg, Some(span)).with_label("here"));
    }
    Parsed {
        root: parse.tree(),
        errors,
    }
}

/// The last text parsed without errors under a name, with its tree: an
/// edit of it is parsed by `reparse` (the language server's analysis of
/// each edit).
#[derive(Default)]
pub struct LastParse(Option<(String, std::rc::Rc<str>, rnix::Root)>);

impl LastParse {
    /// `parse(text)`, through `reparse` when the last text of `name` was
    /// parsed here.
    pub fn parse(&mut self, name: &str, text: &str, file: FileId) -> Parsed {
        let last = self.0.take().filter(|(n, _, _)| n == name);
        let parsed = match last.and_then(|(_, before, tree)| reparse(&before, &tree, text)) {
            Some(root) => Parsed {
                root,
                errors: Vec::new(),
            },
            None => parse(text, file),
        };
        if parsed.errors.is_empty() {
            self.0 = Some((name.to_string(), text.into(), parsed.root.clone()));
        }
        parsed
    }
}

/// The tree of `after`, made from `before`'s (which parsed without
/// errors) by parsing again only the binding (`name = value;`) that holds
/// the edit, when there is one: an edit while typing changes a few bytes
/// of one binding, and a large configuration takes far longer to parse
/// whole. `None` when the edit is not inside one binding, or the binding
/// does not parse on its own to one binding of that text (then the
/// caller parses the whole text).
pub fn reparse(before: &str, tree: &rnix::Root, after: &str) -> Option<rnix::Root> {
    use rowan::ast::AstNode;
    // Text with a CR is parsed whole (`end_comments_at_lone_cr`).
    if after.contains('\r') || before.contains('\r') {
        return None;
    }
    let (prefix, suffix) = common_ends(before.as_bytes(), after.as_bytes());
    let (start, old_end) = (prefix, before.len() - suffix);
    let range = rowan::TextRange::new((start as u32).into(), (old_end as u32).into());
    // The innermost binding around the edit.
    let covering = tree.syntax().covering_element(range);
    let binding = covering
        .ancestors()
        .find(|n| n.kind() == SyntaxKind::NODE_ATTRPATH_VALUE)?;
    let at = binding.text_range();
    let (from, to) = (usize::from(at.start()), usize::from(at.end()));
    // An edit at the binding's first byte may start another binding.
    if from >= start || to < old_end {
        return None;
    }
    let new_end = to + after.len() - before.len();
    let text = after.get(from..new_end)?;
    let wrapped = format!("{{{text}}}");
    let parse = rnix::Root::parse(&wrapped);
    if !parse.errors().is_empty() {
        return None;
    }
    let set = parse.tree().syntax().first_child()?;
    let mut bindings = set.children();
    let new = bindings.next()?;
    if bindings.next().is_some()
        || new.kind() != SyntaxKind::NODE_ATTRPATH_VALUE
        || new.text() != text
    {
        return None;
    }
    let green = binding.replace_with(new.green().to_owned());
    let root = rnix::Root::cast(SyntaxNode::new_root(green))?;
    (usize::from(root.syntax().text_range().end()) == after.len()).then_some(root)
}

fn snippet(text: &str, r: rnix::TextRange) -> String {
    let s = &text[usize::from(r.start())..usize::from(r.end())];
    if s.is_empty() {
        "end of file".into()
    } else if s.len() > 40 {
        format!(
            "'{}…'",
            &s[..s.char_indices().nth(40).map(|(i, _)| i).unwrap_or(s.len())]
        )
    } else {
        format!("'{s}'")
    }
}

fn kind_name(k: SyntaxKind) -> String {
    use SyntaxKind::*;
    let fixed = match k {
        TOKEN_ERROR => "an invalid token",
        TOKEN_STRING_END => "the end of the string",
        TOKEN_STRING_CONTENT => "string content",
        TOKEN_INTERPOL_START => "'${'",
        TOKEN_INTERPOL_END => "'}'",
        TOKEN_SEMICOLON => "';'",
        TOKEN_ASSIGN => "'='",
        TOKEN_COLON => "':'",
        TOKEN_COMMA => "','",
        TOKEN_DOT => "'.'",
        TOKEN_L_BRACE => "'{'",
        TOKEN_R_BRACE => "'}'",
        TOKEN_L_BRACK => "'['",
        TOKEN_R_BRACK => "']'",
        TOKEN_L_PAREN => "'('",
        TOKEN_R_PAREN => "')'",
        TOKEN_IDENT => "an identifier",
        TOKEN_IN => "'in'",
        TOKEN_THEN => "'then'",
        TOKEN_ELSE => "'else'",
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_string();
    }
    let s = format!("{k:?}");
    s.trim_start_matches("TOKEN_")
        .trim_start_matches("NODE_")
        .to_lowercase()
}

/// Nix ends a `#` comment at a lone `\r`; rnix only at `\n`. Replacing the
/// lone CR inside such comments by `\n` keeps every offset and makes rnix
/// agree.
fn end_comments_at_lone_cr(text: &str) -> Cow<'_, str> {
    if !text.contains('\r') {
        return Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    loop {
        let s = std::str::from_utf8(&bytes).expect("only ASCII bytes replaced");
        let tree: SyntaxNode = rnix::Root::parse(s).syntax();
        let mut changed = false;
        for tok in tree
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
        {
            if tok.kind() != SyntaxKind::TOKEN_COMMENT || !tok.text().starts_with('#') {
                continue;
            }
            let start = usize::from(tok.text_range().start());
            let t = tok.text().as_bytes();
            if let Some(i) = (0..t.len()).find(|&i| t[i] == b'\r' && t.get(i + 1) != Some(&b'\n')) {
                bytes[start + i] = b'\n';
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    Cow::Owned(String::from_utf8(bytes).expect("only ASCII bytes replaced"))
}

/// The lengths of the longest common prefix of `a` and `b` and of the
/// longest common suffix of what is left after it: where an edit begins
/// and ends.
pub fn common_ends<T: PartialEq>(a: &[T], b: &[T]) -> (usize, usize) {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let most = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(most)
        .take_while(|(x, y)| x == y)
        .count();
    (prefix, suffix)
}
