//! YAML loading with positions. The only module that knows serde-saphyr, so a swap stays here.
//!
//! serde stops at the first error. To report every problem, callers parse one node at a time:
//! `sub_document` cuts a node out of the file and blanks everything else (keeping newlines), so
//! the node parses on its own and every error still points at its true line and column.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_saphyr::MessageFormatter;

pub use serde_saphyr::{Location, Spanned};

use super::diagnostic::{Diagnostic, Place};

/// A YAML file held in memory for parsing and for showing snippets in diagnostics.
#[derive(Debug, Clone)]
pub struct YamlFile {
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl YamlFile {
    pub fn read(path: &Path) -> Result<YamlFile, Diagnostic> {
        let bytes = std::fs::read(path).map_err(|e| {
            Diagnostic::error("C002", format!("cannot read {}: {e}", path.display()))
                .in_file(path)
                .help("check the path; relative paths are resolved from the file that names them")
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            Diagnostic::error("C003", "YAML files must be UTF-8")
                .in_file(path)
                .label(format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()))
                .help("save the file as UTF-8 (not Shift_JIS) in your editor")
        })?;
        Ok(YamlFile::from_text(path, text))
    }

    pub fn from_text(path: &Path, text: impl Into<Arc<str>>) -> YamlFile {
        YamlFile { path: path.to_path_buf(), text: text.into() }
    }

    /// Parses the whole file.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Diagnostic> {
        self.parse_text(&self.text)
    }

    /// Parses `text`, which must have the same layout as the file (a `sub_document` of it).
    pub fn parse_text<T: DeserializeOwned>(&self, text: &str) -> Result<T, Diagnostic> {
        let options = serde_saphyr::options! { with_snippet: false };
        serde_saphyr::from_str_with_options::<T>(text, options).map_err(|e| self.error_diagnostic(&e))
    }

    fn error_diagnostic(&self, err: &serde_saphyr::Error) -> Diagnostic {
        let message = serde_saphyr::DefaultMessageFormatter.format_message(err).into_owned();
        let (message, help) = explain(&message);
        let mut d = Diagnostic::error("C001", message);
        if let Some(h) = help {
            d = d.help(h);
        }
        match err.location() {
            Some(loc) if loc.line() > 0 => d.at(self.place_at(&loc)),
            _ => d.in_file(&self.path),
        }
    }

    /// The place of a parsed node, for diagnostics.
    pub fn place_at(&self, loc: &Location) -> Place {
        Place::Span { path: self.path.clone(), source: self.text.clone(), range: self.range_of(loc) }
    }

    /// Byte range of a located node (a scalar's text; the first character of a collection).
    pub fn range_of(&self, loc: &Location) -> Range<usize> {
        let span = loc.span();
        if let (Some(off), Some(len)) = (span.byte_offset(), span.byte_len()) {
            let start = off as usize;
            let end = (start + (len as usize).max(1)).min(self.text.len());
            if start <= self.text.len() {
                return start..end;
            }
        }
        let start = self.offset_of(loc.line() as usize, loc.column() as usize);
        let end = self.text[start..].find(['\n', '#']).map(|i| start + i).unwrap_or(self.text.len());
        start..end.max(start + 1).min(self.text.len())
    }

    /// Byte offset of a 1-based line and character column.
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let mut offset = 0;
        for (i, l) in self.text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                let col = l.char_indices().nth(column.saturating_sub(1)).map(|(b, _)| b).unwrap_or(l.len());
                return offset + col;
            }
            offset += l.len();
        }
        self.text.len()
    }

    /// The block node starting at `loc`, with everything else blanked (newlines kept).
    /// The node runs from its first character to the last line indented at least as deep.
    pub fn sub_document(&self, loc: &Location) -> String {
        let start = self.offset_of(loc.line() as usize, loc.column() as usize);
        let indent = loc.column() as usize - 1;
        let text: &str = &self.text;
        let line_start = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let mut end = text.len();
        let mut pos = text[start..].find('\n').map(|i| start + i + 1).unwrap_or(text.len());
        while pos < text.len() {
            let line_end = text[pos..].find('\n').map(|i| pos + i + 1).unwrap_or(text.len());
            let line = &text[pos..line_end];
            let trimmed = line.trim_start_matches(' ');
            let blank = trimmed.trim().is_empty() || trimmed.starts_with('#');
            if !blank && line.len() - trimmed.len() < indent {
                end = pos;
                break;
            }
            pos = line_end;
        }
        let mut out = String::with_capacity(text.len());
        for (i, ch) in text.char_indices() {
            let keep = (i >= start && i < end) || ch == '\n';
            if keep {
                out.push(ch);
            } else if i >= line_start && i < start {
                // Keep the column of the node's first line.
                for _ in 0..ch.len_utf8() {
                    out.push(' ');
                }
            } else {
                for _ in 0..ch.len_utf8() {
                    out.push(' ');
                }
            }
        }
        out
    }
}

/// Rewords serde's messages for back-office readers and adds a fix where we can.
fn explain(message: &str) -> (String, Option<String>) {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((field, expected)) = rest.split_once("`, expected ") {
            let expected = expected.trim_start_matches("one of ");
            let names: Vec<&str> = expected.split(", ").map(|s| s.trim_matches('`')).collect();
            let help = match did_you_mean(field, &names) {
                Some(s) => format!("did you mean `{s}`? expected one of {}", names.join(", ")),
                None => format!("expected one of {}", names.join(", ")),
            };
            return (format!("unknown key `{field}`"), Some(help));
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        if let Some((v, expected)) = rest.split_once("`, expected ") {
            let expected = expected.trim_start_matches("one of ");
            let names: Vec<&str> = expected.split(", ").map(|s| s.trim_matches('`')).collect();
            let help = match did_you_mean(v, &names) {
                Some(s) => format!("did you mean `{s}`? expected one of {}", names.join(", ")),
                None => format!("expected one of {}", names.join(", ")),
            };
            return (format!("unknown value `{v}`"), Some(help));
        }
    }
    if let Some(field) = message.strip_prefix("missing field `") {
        let field = field.trim_end_matches('`');
        return (format!("missing key `{field}`"), Some(format!("add `{field}:` here")));
    }
    (message.to_string(), None)
}

/// The closest name within a small edit distance, for "did you mean".
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.chars().count() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("itmes", &["mall", "items", "options"]), Some("items"));
        assert_eq!(did_you_mean("zzzzzz", &["mall", "items"]), None);
    }
}
