//! A CSV file as a header and records that remember their line, for errors at `file:line:col`.

use std::path::{Path, PathBuf};

use crate::config::diagnostic::Diagnostic;
use crate::io::text::{decode, Encoding};

/// A decoded CSV file. Records are parsed lazily by `records()`.
pub struct CsvTable {
    pub path: PathBuf,
    pub text: String,
    pub encoding: Encoding,
    pub headers: Vec<String>,
    /// Byte length of the file as read (for throughput figures).
    pub bytes: usize,
}

/// One record: its fields and the line it starts on.
pub struct Record {
    pub line: usize,
    pub fields: csv::StringRecord,
}

impl CsvTable {
    pub fn read(path: &Path, declared: Option<Encoding>) -> Result<CsvTable, Diagnostic> {
        let bytes = std::fs::read(path).map_err(|e| {
            Diagnostic::error("D003", format!("cannot read {}: {e}", path.display()))
                .in_file(path)
                .help("check the path in the pipeline; relative paths start at the pipeline file")
        })?;
        let len = bytes.len();
        let (text, encoding) = decode(path, bytes, declared)?;
        Self::from_text(path, text, encoding, len)
    }

    pub fn from_text(path: &Path, text: String, encoding: Encoding, bytes: usize) -> Result<CsvTable, Diagnostic> {
        if text.trim().is_empty() {
            return Err(Diagnostic::error("D004", "the file is empty")
                .in_file(path)
                .help("export the file again; a product CSV needs a header row and at least one product"));
        }
        let mut rdr = reader(text.as_bytes());
        let mut headers = csv::StringRecord::new();
        rdr.read_record(&mut headers).map_err(|e| csv_error(path, &text, e))?;
        let headers = headers.iter().map(|h| h.trim().trim_start_matches('\u{FEFF}').to_string()).collect();
        Ok(CsvTable { path: path.to_path_buf(), text, encoding, headers, bytes })
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// Every record after the header. A record with a different number of fields than the header
    /// is an error: almost always a quote that is not closed.
    pub fn records(&self) -> impl Iterator<Item = Result<Record, Diagnostic>> + '_ {
        let mut rdr = reader(self.text.as_bytes());
        let mut skip = csv::StringRecord::new();
        let _ = rdr.read_record(&mut skip);
        let width = self.headers.len();
        let mut failed = false;
        // csv's own line count lags by one after CRLF; count from byte offsets instead.
        let (mut counted_to, mut line_at) = (0usize, 1usize);
        std::iter::from_fn(move || {
            if failed {
                return None;
            }
            let mut rec = csv::StringRecord::new();
            match rdr.read_record(&mut rec) {
                Ok(false) => None,
                Err(e) => {
                    failed = true;
                    Some(Err(csv_error(&self.path, &self.text, e)))
                }
                Ok(true) => {
                    let mut start = rec.position().map(|p| p.byte() as usize).unwrap_or(0).min(self.text.len());
                    while self.text.as_bytes().get(start) == Some(&b'\n') || self.text.as_bytes().get(start) == Some(&b'\r') {
                        start += 1;
                    }
                    line_at += self.text.as_bytes()[counted_to..start].iter().filter(|b| **b == b'\n').count();
                    counted_to = start;
                    let line = line_at;
                    if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim().is_empty()) {
                        return Some(Ok(Record { line, fields: csv::StringRecord::new() }));
                    }
                    if rec.len() != width {
                        failed = true;
                        let end_line = line + rec.iter().map(|f| f.matches('\n').count()).sum::<usize>();
                        let text = line_text(&self.text, line);
                        let mut d = Diagnostic::error(
                            "D005",
                            format!("line {line} has {} fields, the header has {width}", rec.len()),
                        )
                        .at_line(&self.path, line, Some(1), Some(text));
                        d = if end_line > line || quote_count_is_odd(&line_text(&self.text, line)) {
                            d.label(format!("a quote (\") opened here is not closed; the record runs to line {end_line}"))
                                .help("close the quote, or double a quote inside a quoted field (\"\"); then export again")
                        } else {
                            d.label("wrong number of fields")
                                .help("every row needs as many commas as the header; quote fields that contain commas")
                        };
                        return Some(Err(d));
                    }
                    Some(Ok(Record { line, fields: rec }))
                }
            }
        })
        .filter(|r| !matches!(r, Ok(rec) if rec.fields.is_empty()))
    }
}

fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes)
}

fn quote_count_is_odd(line: &str) -> bool {
    line.matches('"').count() % 2 == 1
}

fn csv_error(path: &Path, text: &str, e: csv::Error) -> Diagnostic {
    let line = e.position().map(|p| p.line() as usize).unwrap_or(1);
    Diagnostic::error("D005", format!("the CSV cannot be read: {e}"))
        .at_line(path, line, None, Some(line_text(text, line)))
        .help("check the quoting on this line")
}

/// The text of a 1-based line (without its line break), for snippets.
pub fn line_text(text: &str, line: usize) -> String {
    text.lines().nth(line.saturating_sub(1)).unwrap_or("").trim_end_matches('\r').to_string()
}

/// 1-based character column where field `index` starts on a single-line record.
pub fn field_column(line: &str, index: usize) -> usize {
    let mut in_quotes = false;
    let mut field = 0;
    if index == 0 {
        return 1;
    }
    for (col, ch) in line.chars().enumerate() {
        match ch {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                field += 1;
                if field == index {
                    return col + 2;
                }
            }
            _ => {}
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_columns_skip_quoted_commas() {
        let line = r#""a,b","c",d"#;
        assert_eq!(field_column(line, 0), 1);
        assert_eq!(field_column(line, 1), 7);
        assert_eq!(field_column(line, 2), 11);
    }
}
