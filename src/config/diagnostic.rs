//! One `Diagnostic` type for every problem a user can cause, rendered like rustc's errors.
//!
//! The renderer (annotate-snippets) is a back end: everything else builds `Diagnostic`s.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// Where a problem is.
#[derive(Debug, Clone)]
pub enum Place {
    /// Nowhere in particular (a command-line problem, say).
    Nowhere,
    /// A whole file.
    File(PathBuf),
    /// A byte range inside a text file we hold (YAML).
    Span { path: PathBuf, source: Arc<str>, range: Range<usize> },
    /// A line (and column, 1-based, counted in characters) of a data file; `text` is the line.
    Line { path: PathBuf, line: usize, column: Option<usize>, text: Option<String> },
    /// A spreadsheet cell, shown as `book.xlsx!Sheet!C12`.
    Cell {
        book: PathBuf,
        sheet: String,
        /// A1-style, e.g. `C12`; empty for the whole sheet.
        cell: String,
        text: Option<String>,
    },
}

impl Place {
    /// `file:line:col`, `book.xlsx!Sheet!C12` or the file, as a one-line place for logs and tables.
    pub fn text(&self) -> String {
        match self {
            Place::Nowhere => String::new(),
            Place::File(p) => display_path(p),
            Place::Span { path, source, range } => {
                let (line, col) = line_col(source, range.start);
                format!("{}:{line}:{col}", display_path(path))
            }
            Place::Line { path, line, column, .. } => match column {
                Some(c) => format!("{}:{line}:{c}", display_path(path)),
                None => format!("{}:{line}", display_path(path)),
            },
            Place::Cell { book, sheet, cell, .. } => {
                if cell.is_empty() {
                    format!("{}!{sheet}", display_path(book))
                } else {
                    format!("{}!{sheet}!{cell}", display_path(book))
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable code, e.g. `C001` (config), `D010` (data), `M003` (masters).
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub place: Place,
    /// Short text under the caret.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { code, severity: Severity::Error, message: message.into(), place: Place::Nowhere, label: None, help: None }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }

    pub fn at(mut self, place: Place) -> Self {
        self.place = place;
        self
    }

    pub fn in_file(self, path: &Path) -> Self {
        self.at(Place::File(path.to_path_buf()))
    }

    pub fn at_line(self, path: &Path, line: usize, column: Option<usize>, text: Option<String>) -> Self {
        self.at(Place::Line { path: path.to_path_buf(), line, column, text })
    }

    pub fn at_cell(self, book: &Path, sheet: &str, row0: usize, col0: usize, text: Option<String>) -> Self {
        self.at(Place::Cell { book: book.to_path_buf(), sheet: sheet.to_string(), cell: cell_name(row0, col0), text })
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col`, `book.xlsx!Sheet!C12` or the file, as a one-line place for logs and tables.
    pub fn place_text(&self) -> String {
        self.place.text()
    }

    /// One JSON object, for `--log-format json` (the logger's `ts` and `level`, and the problem's own fields).
    pub fn to_json(&self) -> serde_json::Value {
        let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let level = match self.severity {
            Severity::Error => "ERROR",
            Severity::Warning => "WARN",
        };
        serde_json::json!({
            "ts": ts,
            "level": level,
            "target": "juchu::diagnostic",
            "code": self.code,
            "severity": self.severity.name(),
            "place": self.place_text(),
            "message": self.message,
            "label": self.label,
            "help": self.help,
        })
    }

    /// Renders rustc-style, in the process's language. `styled` adds colours (for a terminal).
    pub fn render(&self, styled: bool) -> String {
        self.render_in(crate::domain::lang::current(), styled)
    }

    /// Renders rustc-style. In Japanese the title and help come from the code registry
    /// (`config/codes.rs`), and this problem's own words follow as a note.
    pub fn render_in(&self, lang: crate::domain::lang::Lang, styled: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let registered = match lang {
            crate::domain::lang::Lang::Ja => super::codes::lookup(self.code),
            crate::domain::lang::Lang::En => None,
        };
        let title_text = registered.map(|c| c.title.ja).unwrap_or(self.message.as_str());
        let detail = registered.map(|_| format!("詳細: {}", self.message));
        let title = level.primary_title(title_text).id(self.code);
        let place = self.place_text();
        let mut group = match &self.place {
            Place::Nowhere => title.elements(Vec::<Origin>::new()),
            Place::Span { path: _, source, range } => {
                let range = clamp_range(source, range.clone());
                let mut ann = AnnotationKind::Primary.span(range);
                if let Some(l) = &self.label {
                    ann = ann.label(l.as_str());
                }
                let path = place_path(&place);
                title.element(Snippet::source(source.as_ref()).path(path).fold(true).annotation(ann))
            }
            Place::Line { line, column, text: Some(text), .. } => {
                let span = match column {
                    Some(c) => char_column_span(text, *c),
                    None => 0..text.len(),
                };
                let mut ann = AnnotationKind::Primary.span(span);
                if let Some(l) = &self.label {
                    ann = ann.label(l.as_str());
                }
                title.element(Snippet::source(text.as_str()).line_start(*line).path(place_path(&place)).annotation(ann))
            }
            // A cell has no line and column: name it, and quote its content in a note.
            Place::Cell { cell, text: Some(text), .. } if !text.is_empty() => {
                let note = match (&self.label, lang) {
                    (Some(l), crate::domain::lang::Lang::Ja) => format!("{cell} の値は `{text}` です: {l}"),
                    (None, crate::domain::lang::Lang::Ja) => format!("{cell} の値は `{text}` です"),
                    (Some(l), crate::domain::lang::Lang::En) => format!("{cell} holds `{text}`: {l}"),
                    (None, crate::domain::lang::Lang::En) => format!("{cell} holds `{text}`"),
                };
                title.element(Origin::path(place.clone())).element(Level::NOTE.message(note))
            }
            _ => title.element(Origin::path(place.clone())),
        };
        // Without a snippet the label would be lost; say it as a note.
        let has_snippet = matches!(&self.place, Place::Span { .. } | Place::Line { text: Some(_), .. })
            || matches!(&self.place, Place::Cell { text: Some(t), .. } if !t.is_empty());
        if !has_snippet {
            if let Some(l) = &self.label {
                group = group.element(Level::NOTE.message(l.as_str()));
            }
        }
        if let Some(d) = &detail {
            group = group.element(Level::NOTE.message(d.as_str()));
        }
        if let Some(c) = registered {
            group = group.element(Level::HELP.message(c.help.ja));
        }
        // A help that says what the registry's help says already is not said twice.
        if let Some(h) = self.help.as_ref().filter(|h| registered.is_none_or(|c| c.help.ja != h.as_str())) {
            group = group.element(Level::HELP.message(h.as_str()));
        }
        let report: [Group<'_>; 1] = [group];
        let renderer = if styled { Renderer::styled() } else { Renderer::plain() };
        renderer.render(&report).to_string()
    }
}

impl Diagnostic {
    /// One line: the place, the message and the label (for a reason kept with a record).
    pub fn one_line(&self) -> String {
        let place = self.place.text();
        let label = self.label.as_ref().map(|l| format!(" ({l})")).unwrap_or_default();
        if place.is_empty() {
            format!("{}{label}", self.message)
        } else {
            format!("{place}: {}{label}", self.message)
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// A list of diagnostics, as `juchu check` collects them.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(ds);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn errors(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }
    pub fn warnings(&self) -> usize {
        self.0.len() - self.errors()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn render(&self, styled: bool) -> String {
        self.render_summarised(styled, usize::MAX)
    }

    /// Renders the first `per_code` problems of each code (and severity) in full, and for each code
    /// with more one line that counts the rest: 10,000 products without 配送条件 are five warnings and
    /// a count, not 40,000 lines. `--all-diagnostics` (or JSON lines) shows every one.
    pub fn render_summarised(&self, styled: bool, per_code: usize) -> String {
        self.render_summarised_in(crate::domain::lang::current(), styled, per_code)
    }

    pub fn render_summarised_in(&self, lang: crate::domain::lang::Lang, styled: bool, per_code: usize) -> String {
        let mut counts: Vec<((Severity, &str), usize)> = Vec::new();
        let mut out = String::new();
        for d in &self.0 {
            let key = (d.severity, d.code);
            let n = match counts.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    counts.push((key, 1));
                    1
                }
            };
            if n <= per_code {
                out.push_str(&d.render_in(lang, styled));
                out.push_str("\n\n");
            }
        }
        for ((severity, code), n) in counts.into_iter().filter(|(_, n)| *n > per_code) {
            let (level, more) = (severity.name(), n - per_code);
            out.push_str(&match lang {
                crate::domain::lang::Lang::Ja => format!(
                    "…ほかに {level}[{code}] が {more} 件あります（全 {n} 件）。すべて表示するには --all-diagnostics を付けてください"
                ),
                crate::domain::lang::Lang::En => {
                    format!("… and {more} more {level}[{code}] ({n} in all): add --all-diagnostics to list every one")
                }
            });
            out.push_str("\n\n");
        }
        out
    }
}

/// The error a stage returns: one or more diagnostics (all errors, or the first fatal one).
#[derive(Debug)]
pub struct DiagnosticError(pub Vec<Diagnostic>);

impl fmt::Display for DiagnosticError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{}", d.render(false))?;
        }
        Ok(())
    }
}

impl std::error::Error for DiagnosticError {}

impl From<Diagnostic> for DiagnosticError {
    fn from(d: Diagnostic) -> Self {
        DiagnosticError(vec![d])
    }
}

/// `C12` from a zero-based row and column.
pub fn cell_name(row0: usize, col0: usize) -> String {
    format!("{}{}", column_letters(col0), row0 + 1)
}

/// `A`, `B`, …, `Z`, `AA`, … from a zero-based column index.
pub fn column_letters(col0: usize) -> String {
    let mut n = col0 + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).expect("ascii")
}

/// 1-based line and character column of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

/// Paths are shown relative to the working directory when they are under it.
pub fn display_path(p: &Path) -> String {
    // `pipelines/../sample-data/x.csv` reads better as `sample-data/x.csv`.
    let mut clean = std::path::PathBuf::new();
    for part in p.components() {
        match part {
            std::path::Component::ParentDir if matches!(clean.components().next_back(), Some(std::path::Component::Normal(_))) => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    let p = clean.as_path();
    if let Ok(cwd) = std::env::current_dir() {
        if let Ok(rel) = p.strip_prefix(&cwd) {
            return rel.display().to_string();
        }
    }
    p.display().to_string()
}

fn place_path(place: &str) -> String {
    // `file:line:col` or `file:line` → `file`: the renderer adds the line and column itself.
    let mut parts = place.rsplitn(3, ':');
    let (c, l, f) = (parts.next(), parts.next(), parts.next());
    let number = |s: &str| s.parse::<usize>().is_ok();
    match (f, l, c) {
        (Some(f), Some(l), Some(c)) if number(l) && number(c) => f.to_string(),
        (_, Some(_), Some(c)) if number(c) => place.rsplit_once(':').map(|(f, _)| f.to_string()).unwrap_or_default(),
        _ => place.to_string(),
    }
}

fn clamp_range(source: &str, r: Range<usize>) -> Range<usize> {
    let mut start = r.start.min(source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = r.end.clamp(start, source.len());
    while !source.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// The byte span of the field that starts at 1-based character column `col` (up to the next comma
/// outside quotes or the end of the line). A column inside a field (a bad byte) spans to the field's
/// closing quote.
fn char_column_span(text: &str, col: usize) -> Range<usize> {
    let start = text.char_indices().nth(col.saturating_sub(1)).map(|(i, _)| i).unwrap_or(text.len());
    // An empty field: point at the comma after it.
    if text[start..].starts_with([',', '\t']) {
        return start..start + 1;
    }
    let mut in_quotes = false;
    let mut end = text.len();
    let quoted = text[start..].starts_with('"');
    for (i, ch) in text[start..].char_indices() {
        match ch {
            '"' if !quoted && i > 0 => {
                end = start + i;
                break;
            }
            '"' => in_quotes = !in_quotes,
            ',' | '\t' if !in_quotes && i > 0 => {
                end = start + i;
                break;
            }
            _ => {}
        }
    }
    if end == start {
        end = (start + 1).min(text.len());
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_roll_over() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(cell_name(11, 2), "C12");
    }

    #[test]
    fn a_line_without_a_column_is_shown_once() {
        assert_eq!(place_path("sample-data/select.csv:3"), "sample-data/select.csv");
        assert_eq!(place_path("sample-data/select.csv:3:7"), "sample-data/select.csv");
        assert_eq!(place_path("masters.xlsx!受注ステータス!C4"), "masters.xlsx!受注ステータス!C4");
        let d = Diagnostic::error("D013", "選択肢タイプ `x` is not s, c or i").at_line(
            Path::new("select.csv"),
            3,
            None,
            Some("x,towel-01,ラッピング".into()),
        );
        let text = d.render_in(crate::domain::lang::Lang::En, false);
        assert!(text.contains("--> select.csv:3:1") && !text.contains("select.csv:3:3"), "{text}");
    }

    #[test]
    fn a_code_that_repeats_is_shown_five_times_and_counted() {
        let mut diags = Diagnostics::default();
        for i in 0..12 {
            diags.push(Diagnostic::warning("M003", format!("product {i} has no delivery condition")));
        }
        diags.push(Diagnostic::error("M004", "carrier `ヤマト` is not in the carrier master"));
        let text = diags.render_summarised_in(crate::domain::lang::Lang::En, false, 5);
        assert_eq!(text.matches("warning[M003]: product").count(), 5, "{text}");
        assert!(text.contains("product 4 has") && !text.contains("product 5 has"), "{text}");
        assert!(text.contains("error[M004]"), "{text}");
        assert!(text.contains("… and 7 more warning[M003] (12 in all): add --all-diagnostics to list every one"), "{text}");
        assert!(!text.contains("more error[M004]"), "{text}");
        assert_eq!(diags.render_summarised_in(crate::domain::lang::Lang::En, false, usize::MAX).matches("warning[M003]").count(), 12);
    }

    #[test]
    fn a_column_inside_a_field_spans_to_its_closing_quote_and_an_empty_field_is_its_comma() {
        let line = r#""a","今治�タオル","1980",,x"#;
        assert_eq!(&line[char_column_span(line, 8)], "�タオル");
        assert_eq!(&line[char_column_span(line, 5)], r#""今治�タオル""#);
        assert_eq!(&line[char_column_span(line, 21)], ",");
    }

    #[test]
    fn line_col_counts_characters() {
        let s = "a: 1\nお届け: x\n";
        let off = s.find('x').unwrap();
        assert_eq!(line_col(s, off), (2, 6));
    }
}
