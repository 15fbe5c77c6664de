//! The open documents and LSP positions (UTF-16 code units by line).

use lsp_types::{Position, Uri};
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Clone)]
pub struct Document {
    pub version: i32,
    pub text: String,
}

#[derive(Default)]
pub struct Documents {
    docs: HashMap<String, Document>,
}

impl Documents {
    pub fn open(&mut self, uri: Uri, version: i32, text: String) {
        self.docs
            .insert(uri.as_str().to_string(), Document { version, text });
    }
    pub fn close(&mut self, uri: &Uri) {
        self.docs.remove(uri.as_str());
    }
    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.docs.get(uri.as_str())
    }
    /// A file's text: the open document's, else what is on disk.
    pub fn text_of(&self, path: &std::path::Path) -> Option<String> {
        let open = self
            .docs
            .iter()
            .find(|(uri, _)| path_of(uri.as_str()).as_deref() == Some(path));
        match open {
            Some((_, d)) => Some(d.text.clone()),
            None => std::fs::read_to_string(path).ok(),
        }
    }

    /// Every open document by file path (the evaluator's overlays).
    pub fn overlays(&self) -> HashMap<PathBuf, String> {
        self.docs
            .iter()
            .filter_map(|(u, d)| path_of(u).map(|p| (p, d.text.clone())))
            .collect()
    }
}

/// The file path of a `file://` URI.
pub fn path_of(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    let mut out = Vec::new();
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&rest[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok().map(PathBuf::from)
}

/// Byte offset of an LSP position.
pub fn offset(text: &str, pos: Position) -> usize {
    let mut line_start = 0;
    for _ in 0..pos.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line = &text[line_start..];
    let mut units = 0u32;
    for (i, c) in line.char_indices() {
        if units >= pos.character || c == '\n' {
            return line_start + i;
        }
        units += c.len_utf16() as u32;
    }
    text.len()
}

/// LSP position of a byte offset.
pub fn position(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let character = before[line_start..]
        .chars()
        .map(|c| c.len_utf16() as u32)
        .sum();
    Position { line, character }
}
