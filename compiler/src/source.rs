//! Source files known to one evaluation, addressed by a small `FileId`,
//! and compact spans into them.

use std::path::PathBuf;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one file. Eight bytes of offsets plus the file: cheap to
/// keep on every expression node and every attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

/// A compact position (file and byte offset), or none: what every
/// attribute keeps of where it was defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pos {
    file: u32,
    offset: u32,
}

impl Pos {
    pub const NONE: Pos = Pos {
        file: u32::MAX,
        offset: 0,
    };

    pub fn span(self) -> Option<Span> {
        (self.file != u32::MAX).then_some(Span {
            file: FileId(self.file),
            start: self.offset,
            end: self.offset,
        })
    }
}

impl From<Span> for Pos {
    fn from(s: Span) -> Pos {
        Pos {
            file: s.file.0,
            offset: s.start,
        }
    }
}

pub struct SourceFile {
    /// Display name: an absolute path, or `«stdin»` / `«string»`.
    pub name: String,
    /// The directory relative paths in this file resolve against.
    pub dir: PathBuf,
    pub text: Rc<str>,
    /// A hash of `name`: what names the file in reuse fingerprints, which
    /// must not depend on the `FileId` (a kept evaluator re-adds files).
    pub name_hash: u64,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(name: String, dir: PathBuf, text: Rc<str>) -> Self {
        let mut line_starts = vec![0];
        let b = text.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            // Nix counts a lone CR as a line end too.
            if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
                line_starts.push(i as u32 + 1);
            }
        }
        let name_hash = {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            name.hash(&mut h);
            h.finish()
        };
        SourceFile {
            name,
            dir,
            text,
            name_hash,
            line_starts,
        }
    }

    /// Byte offset of a 1-based line and column.
    pub fn offset(&self, line: u32, col: u32) -> u32 {
        let start = self
            .line_starts
            .get(line.saturating_sub(1) as usize)
            .copied()
            .unwrap_or(0) as usize;
        let rest = self.text.get(start..).unwrap_or("");
        let skip: usize = rest
            .chars()
            .take(col.saturating_sub(1) as usize)
            .map(char::len_utf8)
            .sum();
        (start + skip) as u32
    }

    /// 0-based line and byte column of a byte offset: cheaper than
    /// `line_col` where only equality matters.
    /// `line_byte_col`, trying the line `hint` (and the one after) before
    /// searching, and leaving the offset's line there: offsets looked up
    /// one after another (a fingerprint's spans) are mostly near.
    pub fn line_byte_col_near(&self, offset: u32, hint: &mut usize) -> (u32, u32) {
        let starts = &self.line_starts;
        for line in [*hint, *hint + 1] {
            let (Some(&from), next) = (starts.get(line), starts.get(line + 1)) else {
                break;
            };
            if from <= offset && next.is_none_or(|&n| offset < n) {
                *hint = line;
                return (line as u32, offset - from);
            }
        }
        let (line, col) = self.line_byte_col(offset);
        *hint = line as usize;
        (line, col)
    }

    pub fn line_byte_col(&self, offset: u32) -> (u32, u32) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        (line as u32, offset - self.line_starts[line])
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        let end = (offset as usize).min(self.text.len());
        let col = self
            .text
            .get(start..end)
            .map(|s| s.chars().count())
            .unwrap_or(end - start);
        (line as u32 + 1, col as u32 + 1)
    }
}

#[derive(Default, Clone)]
pub struct SourceMap {
    files: Vec<Rc<SourceFile>>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(Rc::new(file));
        FileId(self.files.len() as u32 - 1)
    }
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn get(&self, id: FileId) -> &Rc<SourceFile> {
        &self.files[id.0 as usize]
    }

    /// The file, if this map has it (a map may have been taken away).
    pub fn try_get(&self, id: FileId) -> Option<&Rc<SourceFile>> {
        self.files.get(id.0 as usize)
    }

    /// The last file added under `name` (files are re-added on reload).
    /// Every file, in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = &Rc<SourceFile>> {
        self.files.iter()
    }

    pub fn find(&self, name: &str) -> Option<FileId> {
        self.files
            .iter()
            .rposition(|f| f.name == name && !f.text.is_empty())
            .map(|i| FileId(i as u32))
    }

    /// A span for `file:line:col`, if that file was read.
    pub fn span_at(&self, name: &str, line: u32, col: u32) -> Option<Span> {
        let id = self.find(name)?;
        let start = self.get(id).offset(line, col);
        Some(Span {
            file: id,
            start,
            end: start,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::SourceFile;

    #[test]
    fn a_hinted_line_lookup_agrees_with_the_search() {
        let text = "a\n\nbc\nd\n\n\nefg";
        let f = SourceFile::new("t.nix".into(), "/".into(), text.into());
        for hint in 0..9 {
            for offset in 0..=text.len() as u32 {
                let mut h = hint;
                assert_eq!(
                    f.line_byte_col_near(offset, &mut h),
                    f.line_byte_col(offset)
                );
                assert_eq!(h, f.line_byte_col(offset).0 as usize);
            }
        }
    }
}
