//! A CSV file as a header and records that remember their line, for errors at `file:line:col`.
//!
//! The file is tokenised as bytes, in its own encoding: in CP932 and UTF-8 the bytes `"` `,` CR and LF
//! never occur inside a multi-byte character, so only the fields a stage reads are decoded. Large
//! files are cut into chunks at record ends (outside quotes) and parsed on every core.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::config::diagnostic::Diagnostic;
use crate::domain::lang::pick;
use crate::domain::text::header_key;
use crate::io::text::{decode_field, detect, first_invalid, shown_bytes, Encoding};

/// Files smaller than this are parsed on one thread.
const PARALLEL_FROM: usize = 4 << 20;

/// A CSV file read into memory.
pub struct CsvTable {
    pub path: PathBuf,
    raw: Vec<u8>,
    pub encoding: Encoding,
    pub headers: Vec<String>,
    columns: HashMap<String, usize>,
    /// The same by [`header_key`], for headers that differ only in width or spaces.
    column_keys: HashMap<String, usize>,
    /// Where the first record after the header starts, and its line.
    data_start: usize,
    data_line: usize,
    /// Byte length of the file as read (for throughput figures).
    pub bytes: usize,
    line_starts: OnceLock<Vec<usize>>,
}

/// A run of whole records: a byte range of the file and the line it starts on.
#[derive(Debug, Clone)]
pub struct Chunk {
    range: Range<usize>,
    first_line: usize,
}

impl Chunk {
    pub fn first_line(&self) -> usize {
        self.first_line
    }
}

/// One record: its raw fields and the line it starts on.
pub struct Record {
    pub line: usize,
    fields: csv::ByteRecord,
    encoding: Encoding,
}

impl Record {
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Field `i`, decoded; the flag is true when it held bytes invalid in the file's encoding.
    pub fn get(&self, i: usize) -> Option<(Cow<'_, str>, bool)> {
        self.fields.get(i).map(|b| decode_field(b, self.encoding))
    }

    /// Field `i` as the file's bytes (unquoted).
    pub fn raw(&self, i: usize) -> Option<&[u8]> {
        self.fields.get(i)
    }
}

impl CsvTable {
    pub fn read(path: &Path, declared: Option<Encoding>) -> Result<CsvTable, Diagnostic> {
        let mut raw = std::fs::read(path).map_err(|e| {
            Diagnostic::error("D003", pick(format!("{} を読めません: {e}", path.display()), format!("cannot read {}: {e}", path.display())))
                .in_file(path)
                .help(pick(
                    "相対パスはパイプラインファイルの場所から数えます",
                    "check the path in the pipeline; relative paths start at the pipeline file",
                ))
        })?;
        let bytes = raw.len();
        if raw.starts_with(b"\xEF\xBB\xBF") {
            raw.drain(..3);
        }
        let encoding = detect(path, &raw, declared)?;
        Self::from_bytes(path, raw, encoding, bytes)
    }

    pub fn from_bytes(path: &Path, raw: Vec<u8>, encoding: Encoding, bytes: usize) -> Result<CsvTable, Diagnostic> {
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(Diagnostic::error("D004", pick("ファイルが空です", "the file is empty"))
                .in_file(path)
                .help(pick("見出し行とデータの行を含めて出力し直してください", "export the file again with its header row and its rows")));
        }
        let mut table = CsvTable {
            path: path.to_path_buf(),
            raw,
            encoding,
            headers: Vec::new(),
            columns: HashMap::new(),
            column_keys: HashMap::new(),
            data_start: 0,
            data_line: 1,
            bytes,
            line_starts: OnceLock::new(),
        };
        let mut rdr = reader(&table.raw);
        let mut header = csv::ByteRecord::new();
        rdr.read_byte_record(&mut header).map_err(|e| table.csv_error(1, e))?;
        // csv stops before the header's line break; the data starts after it.
        table.data_start = rdr.position().byte() as usize;
        for end in [b'\r', b'\n'] {
            if table.raw.get(table.data_start) == Some(&end) {
                table.data_start += 1;
            }
        }
        table.data_line = 1 + table.raw[..table.data_start].iter().filter(|b| **b == b'\n').count();
        for (i, h) in header.iter().enumerate() {
            let (name, bad) = decode_field(h, encoding);
            if bad {
                return Err(table.undecodable(1, i, h));
            }
            table.headers.push(name.trim().trim_start_matches('\u{FEFF}').to_string());
        }
        for (i, h) in table.headers.iter().enumerate().rev() {
            table.columns.insert(h.clone(), i);
            table.column_keys.insert(header_key(h), i);
        }
        Ok(table)
    }

    /// The column with this header; a header that differs only in width or spaces is the same column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.get(name).or_else(|| self.column_keys.get(&header_key(name))).copied()
    }

    /// All records after the header as one chunk.
    pub fn whole(&self) -> Chunk {
        Chunk { range: self.data_start..self.raw.len(), first_line: self.data_line }
    }

    /// One chunk per core for a large file; one chunk for a small one.
    pub fn chunks_per_core(&self) -> Vec<Chunk> {
        if self.raw.len() < PARALLEL_FROM {
            return vec![self.whole()];
        }
        self.chunks(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// The records cut into about `n` chunks at record ends (outside quotes).
    pub fn chunks(&self, n: usize) -> Vec<Chunk> {
        let data = &self.raw[self.data_start..];
        let mut chunks = Vec::with_capacity(n);
        let (mut start, mut line, mut pos, mut quotes) = (0usize, self.data_line, 0usize, 0usize);
        let mut lines_to_pos = 0usize;
        for k in 1..n {
            let target = data.len() * k / n;
            if target <= pos {
                continue;
            }
            let (q, l) = count_quotes_and_lines(&data[pos..target]);
            quotes += q;
            lines_to_pos += l;
            pos = target;
            // Walk to the next line end outside quotes.
            while pos < data.len() {
                let b = data[pos];
                pos += 1;
                if b == b'"' {
                    quotes += 1;
                } else if b == b'\n' {
                    lines_to_pos += 1;
                    if quotes % 2 == 0 {
                        break;
                    }
                }
            }
            if pos >= data.len() {
                break;
            }
            chunks.push(Chunk { range: self.data_start + start..self.data_start + pos, first_line: line });
            line = self.data_line + lines_to_pos;
            start = pos;
        }
        chunks.push(Chunk { range: self.data_start + start..self.raw.len(), first_line: line });
        chunks
    }

    /// The records of a chunk. A record with a different number of fields than the header is an
    /// error, almost always a quote that is not closed; reading stops there.
    pub fn records(&self, chunk: &Chunk) -> impl Iterator<Item = Result<Record, Diagnostic>> + '_ {
        let bytes = &self.raw[chunk.range.clone()];
        let mut rdr = reader(bytes);
        let width = self.headers.len();
        let mut failed = false;
        // csv's own line count lags by one after CRLF; count from byte offsets instead.
        let (mut counted_to, mut line_at) = (0usize, chunk.first_line);
        // Each record is allocated at the size of the last one: growing it field by field costs more than parsing.
        let mut size = (256usize, width.max(1));
        std::iter::from_fn(move || loop {
            if failed {
                return None;
            }
            let mut fields = csv::ByteRecord::with_capacity(size.0, size.1);
            let start_of_read = rdr.position().byte() as usize;
            match rdr.read_byte_record(&mut fields) {
                Ok(false) => return None,
                Err(e) => {
                    failed = true;
                    let line = line_at + count(&bytes[counted_to..start_of_read.max(counted_to)], b'\n');
                    return Some(Err(self.csv_error(line, e)));
                }
                Ok(true) => {
                    let mut start = fields.position().map(|p| p.byte() as usize).unwrap_or(0).min(bytes.len());
                    while matches!(bytes.get(start), Some(b'\n' | b'\r')) {
                        start += 1;
                    }
                    line_at += count(&bytes[counted_to..start], b'\n');
                    counted_to = start;
                    let line = line_at;
                    size = (size.0.max(fields.as_slice().len()), size.1.max(fields.len()));
                    if fields.len() == 1 && fields[0].iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    if fields.len() != width {
                        failed = true;
                        let end_line = line + fields.iter().map(|f| count(f, b'\n')).sum::<usize>();
                        let text = self.line_text(line);
                        let n = fields.len();
                        let mut d = Diagnostic::error(
                            "D005",
                            pick(
                                format!("{line}行目の項目数は{n}ですが、見出しは{width}項目です"),
                                format!("line {line} has {n} fields, the header has {width}"),
                            ),
                        )
                        .at_line(&self.path, line, Some(1), Some(text.clone()));
                        d = if end_line > line || text.matches('"').count() % 2 == 1 {
                            d.label(pick(
                                format!("ここで開いた引用符（\"）が閉じていません。レコードが{end_line}行目まで続いています"),
                                format!("a quote (\") opened here is not closed; the record runs to line {end_line}"),
                            ))
                            .help(pick(
                                "引用符を閉じるか、引用符で囲んだ項目の中の \" は \"\" と2つ重ねてください。そのうえで出力し直してください",
                                "close the quote, or double a quote inside a quoted field (\"\"); then export again",
                            ))
                        } else {
                            d.label(pick("項目数が違います", "wrong number of fields")).help(pick(
                                "どの行にも見出しと同じ数のカンマが必要です。カンマを含む項目は引用符で囲んでください",
                                "every row needs as many commas as the header; quote fields that contain commas",
                            ))
                        };
                        return Some(Err(d));
                    }
                    return Some(Ok(Record { line, fields, encoding: self.encoding }));
                }
            }
        })
    }

    /// Every field of a record decoded and trimmed; a field with bytes invalid in the file's encoding is an error.
    pub fn strings(&self, rec: &Record) -> Result<Vec<String>, Diagnostic> {
        (0..rec.len())
            .map(|i| match rec.get(i) {
                Some((s, false)) => Ok(s.trim().to_string()),
                _ => Err(self.undecodable(rec.line, i, rec.raw(i).unwrap_or_default())),
            })
            .collect()
    }

    /// The error for a field whose bytes (`raw`, as the record holds them) are not valid in the
    /// file's encoding, at the bad byte's line and column.
    pub fn undecodable(&self, line: usize, field: usize, raw: &[u8]) -> Diagnostic {
        let bad = first_invalid(raw, self.encoding).unwrap_or(0);
        let before = &raw[..bad];
        // A quoted field starts one column after its quote, and each quote inside it is written twice.
        let (line, column) = match before.iter().rposition(|b| *b == b'\n') {
            Some(nl) => (line + count(before, b'\n'), decode_field(&before[nl + 1..], self.encoding).0.chars().count() + 1),
            None => {
                let text = self.line_text(line);
                let start = field_column(&text, field);
                let quoted = text.chars().nth(start - 1) == Some('"');
                (line, start + usize::from(quoted) + count(before, b'"') + decode_field(before, self.encoding).0.chars().count())
            }
        };
        let encoding = self.encoding.name();
        let header = self.headers.get(field);
        let name = header.map(|h| format!(" in column {h}")).unwrap_or_default();
        let ja = match header {
            Some(h) => format!("列 {h} に {encoding} として読めないバイトがあります"),
            None => format!("{encoding} として読めないバイトがあります"),
        };
        let shown = shown_bytes(&raw[bad..]);
        Diagnostic::error("D002", pick(ja, format!("bytes that are not valid {encoding}{name}")))
            .at_line(&self.path, line, Some(column), Some(self.line_text(line)))
            .label(pick(format!("{shown} は {encoding} の文字ではありません"), format!("{shown} is not a character in {encoding}")))
            .help(pick(
                "ファイルに文字コードが混ざっています。モールから出力し直すか、Excel で一つの文字コードの CSV として保存してください",
                "the file mixes encodings; export it again from the mall or save it from Excel as CSV in one encoding",
            ))
    }

    /// The text of a 1-based line (without its line break), for snippets. Undecodable bytes show as U+FFFD.
    pub fn line_text(&self, line: usize) -> String {
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0).chain(self.raw.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1)).collect()
        });
        let Some(&start) = starts.get(line.saturating_sub(1)) else {
            return String::new();
        };
        let end = starts.get(line).map(|e| e - 1).unwrap_or(self.raw.len());
        let bytes = &self.raw[start..end.max(start)];
        decode_field(bytes.strip_suffix(b"\r").unwrap_or(bytes), self.encoding).0.into_owned()
    }

    fn csv_error(&self, line: usize, e: csv::Error) -> Diagnostic {
        Diagnostic::error("D005", pick(format!("CSV を読めません: {e}"), format!("the CSV cannot be read: {e}")))
            .at_line(&self.path, line, None, Some(self.line_text(line)))
            .help(pick("この行の引用符を確認してください", "check the quoting on this line"))
    }
}

fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes)
}

fn count(bytes: &[u8], needle: u8) -> usize {
    // Byte-sized counters over short blocks let the compiler use wide vector compares.
    bytes.chunks(255).map(|block| block.iter().fold(0u8, |n, b| n + u8::from(*b == needle)) as usize).sum()
}

fn count_quotes_and_lines(bytes: &[u8]) -> (usize, usize) {
    bytes.chunks(255).fold((0, 0), |(q, l), block| {
        let (bq, bl) = block.iter().fold((0u8, 0u8), |(q, l), b| (q + u8::from(*b == b'"'), l + u8::from(*b == b'\n')));
        (q + bq as usize, l + bl as usize)
    })
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

    /// Chunks cut only at record ends, never inside a quoted field with line breaks, and keep line numbers.
    #[test]
    fn chunks_cut_at_record_ends_outside_quotes() {
        let mut text = String::from("key,desc\r\n");
        let mut expected = Vec::new();
        let mut line = 2;
        for i in 0..60_000 {
            let desc = if i % 7 == 0 { "\"multi\r\nline, \"\"quoted\"\"\"".to_string() } else { format!("plain{i}") };
            text.push_str(&format!("k{i},{desc}\r\n"));
            expected.push((format!("k{i}"), line));
            line += if i % 7 == 0 { 2 } else { 1 };
        }
        let t = CsvTable::from_bytes(Path::new("t.csv"), text.into_bytes(), Encoding::Utf8, 0).unwrap();
        let chunks = t.chunks(3);
        assert_eq!(chunks.len(), 3);
        let got: Vec<(String, usize)> = chunks
            .iter()
            .flat_map(|c| t.records(c))
            .map(|r| {
                let r = r.unwrap();
                (r.get(0).unwrap().0.into_owned(), r.line)
            })
            .collect();
        assert_eq!(got, expected);
        assert_eq!(t.line_text(2), "k0,\"multi");
    }
}
