//! Decoding CSV bytes: UTF-8 or CP932 (Windows-31J, what "Shift_JIS" means in Japanese business files).
//!
//! encoding_rs's SHIFT_JIS is the WHATWG decoder, which is CP932: 0x8160 decodes to U+FF5E (～),
//! 0x817C to U+FF0D (－), as Windows and Excel do.

use std::borrow::Cow;
use std::path::Path;

use crate::config::diagnostic::Diagnostic;
use crate::domain::lang::pick;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub enum Encoding {
    #[serde(rename = "utf-8", alias = "utf8", alias = "UTF-8")]
    Utf8,
    #[serde(rename = "cp932", alias = "shift_jis", alias = "sjis", alias = "CP932", alias = "Shift_JIS", alias = "windows-31j")]
    Cp932,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Cp932 => "CP932 (Shift_JIS)",
        }
    }
}

/// How much of a file encoding detection looks at, from its first non-ASCII byte.
const SAMPLE: usize = 1 << 20;

/// Detects a file's encoding from a sample (the first MiB from its first non-ASCII byte), so a
/// 100 MB export is not decoded twice. A file clearly in the other encoding than `declared` is an
/// error that says which one it is. Fields are decoded strictly later, by [`decode_field`], so a bad
/// byte past the sample is still reported at its line and column.
pub fn detect(path: &Path, bytes: &[u8], declared: Option<Encoding>) -> Result<Encoding, Diagnostic> {
    let Some(first) = bytes.iter().position(|b| !b.is_ascii()) else {
        return Ok(declared.unwrap_or(Encoding::Utf8));
    };
    let sample = &bytes[first..(first + SAMPLE).min(bytes.len())];
    let is_utf8 = match std::str::from_utf8(sample) {
        Ok(_) => true,
        // A sample cut inside a character is still UTF-8.
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > sample.len(),
    };
    if is_utf8 {
        if declared == Some(Encoding::Cp932) {
            return Err(Diagnostic::error(
                "D001",
                pick("ファイルは UTF-8 ですが、`encoding: cp932` が指定されています", "the file is UTF-8, but `encoding: cp932` was given"),
            )
            .in_file(path)
            .help(pick(
                "`encoding:` を消す（juchu が判定します）か、`encoding: utf-8` にしてください",
                "remove `encoding:` (juchu detects it) or set `encoding: utf-8`",
            )));
        }
        return Ok(Encoding::Utf8);
    }
    // Cut the sample at a line end so no character is split.
    let cut = sample.iter().rposition(|b| *b == b'\n').map(|i| i + 1).filter(|_| sample.len() == SAMPLE).unwrap_or(sample.len());
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&sample[..cut]);
    // A CP932 file with a stray byte or two is still CP932 (declared so, or its other characters
    // read as Japanese): the fields holding the bytes are reported at their place, and a mall's order
    // file sets aside only the order they belong to.
    let bad = text.chars().filter(|c| *c == '\u{FFFD}' || *c == LONE_80).count();
    let japanese = text.chars().filter(|c| !c.is_ascii()).count() - bad;
    let stray = bad > 0 && (declared == Some(Encoding::Cp932) || (japanese >= 10 && bad <= (japanese / 100).max(1)));
    if (had_errors || text.contains(LONE_80)) && !stray {
        let bad = first + first_invalid(&sample[..cut], Encoding::Cp932).unwrap_or(0);
        let (line, column) = line_and_column(bytes, bad, Encoding::Cp932);
        let shown = shown_bytes(&bytes[bad..]);
        return Err(Diagnostic::error(
            "D002",
            pick(
                format!("ファイルが UTF-8 でも CP932（Shift_JIS）でもありません: {shown}"),
                format!("the file is neither UTF-8 nor CP932 (Shift_JIS): {shown}"),
            ),
        )
        .at_line(path, line, Some(column), Some(line_text(bytes, bad, Encoding::Cp932)))
        .label(pick(format!("ファイルのバイト位置 {bad}"), format!("byte offset {bad} of the file")))
        .help(pick(
            "モールか Excel から CSV（Shift_JIS か UTF-8）で出力し直してください",
            "export the file again from the mall or Excel as CSV (Shift_JIS or UTF-8)",
        )));
    }
    if declared == Some(Encoding::Utf8) {
        return Err(Diagnostic::error(
            "D001",
            pick(
                "ファイルは CP932（Shift_JIS）ですが、`encoding: utf-8` が指定されています",
                "the file is CP932 (Shift_JIS), but `encoding: utf-8` was given",
            ),
        )
        .in_file(path)
        .help(pick(
            "`encoding:` を消す（juchu が判定します）か、`encoding: cp932` にしてください。モールの CSV はたいてい CP932 です",
            "remove `encoding:` (juchu detects it) or set `encoding: cp932`; mall CSVs are usually CP932",
        )));
    }
    Ok(Encoding::Cp932)
}

/// Decodes one field. The flag is true when some bytes were not valid in `encoding` (they became U+FFFD).
pub fn decode_field(bytes: &[u8], encoding: Encoding) -> (Cow<'_, str>, bool) {
    if bytes.is_ascii() {
        return (Cow::Borrowed(std::str::from_utf8(bytes).expect("ASCII is UTF-8")), false);
    }
    match encoding {
        Encoding::Utf8 => {
            let s = String::from_utf8_lossy(bytes);
            let bad = matches!(s, Cow::Owned(_));
            (s, bad)
        }
        Encoding::Cp932 => {
            let (s, bad) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
            // The WHATWG decoder passes a lone 0x80 through as U+0080 (no two-byte character decodes
            // to it): no CP932 file means that control character, so it is invalid like an unmapped byte.
            if s.contains(LONE_80) {
                return (Cow::Owned(s.replace(LONE_80, "\u{FFFD}")), true);
            }
            (s, bad)
        }
    }
}

/// What encoding_rs makes of a lone 0x80 byte in Shift_JIS.
const LONE_80: char = '\u{80}';

/// Offset of the first byte that is not valid in `encoding` (in CP932 a lone 0x80 too), if any.
pub fn first_invalid(bytes: &[u8], encoding: Encoding) -> Option<usize> {
    match encoding {
        Encoding::Utf8 => std::str::from_utf8(bytes).err().map(|e| e.valid_up_to()),
        Encoding::Cp932 => {
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    0x00..=0x7F | 0xA1..=0xDF => i += 1,
                    0x81..=0x9F | 0xE0..=0xFC => {
                        let pair = &bytes[i..(i + 2).min(bytes.len())];
                        if pair.len() < 2 || encoding_rs::SHIFT_JIS.decode_without_bom_handling(pair).1 {
                            return Some(i);
                        }
                        i += 2;
                    }
                    // 0x80, 0xA0, 0xFD–0xFF: never a character in CP932.
                    _ => return Some(i),
                }
            }
            None
        }
    }
}

/// The bad byte at the start of `from` (or a lead byte and its bad trail), as `byte 0x80` or `bytes 0x81 0x20`.
pub fn shown_bytes(from: &[u8]) -> String {
    let n = match from.first() {
        Some(0x81..=0x9F | 0xE0..=0xFC) if from.len() > 1 => 2,
        _ => 1,
    };
    let hex: Vec<String> = from.iter().take(n).map(|b| format!("0x{b:02X}")).collect();
    format!("{} {}", if n == 1 { "byte" } else { "bytes" }, hex.join(" "))
}

/// The line that holds byte `offset` of a file, decoded for a snippet (bad bytes as U+FFFD).
fn line_text(bytes: &[u8], offset: usize, encoding: Encoding) -> String {
    let start = bytes[..offset].iter().rposition(|b| *b == b'\n').map(|i| i + 1).unwrap_or(0);
    let end = bytes[offset..].iter().position(|b| *b == b'\n').map(|i| offset + i).unwrap_or(bytes.len());
    let line = &bytes[start..end];
    decode_field(line.strip_suffix(b"\r").unwrap_or(line), encoding).0.into_owned()
}

/// 1-based line and character column of byte `offset` of a file.
pub fn line_and_column(bytes: &[u8], offset: usize, encoding: Encoding) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before.iter().rposition(|b| *b == b'\n').map(|i| i + 1).unwrap_or(0);
    (line, decode_field(&before[start..], encoding).0.chars().count() + 1)
}

/// Encodes text to CP932 for files Japanese Excel users open, mapping the JIS-style characters that
/// CP932 lacks (〜 U+301C, − U+2212, …) to their Windows forms first. Characters that still cannot be
/// encoded are returned, so callers report them instead of writing `?`.
pub fn encode_cp932(text: &str) -> Result<Vec<u8>, Vec<char>> {
    let mapped: String = text.chars().map(to_windows_form).collect();
    let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(&mapped);
    if had_errors {
        let bad: Vec<char> = mapped
            .chars()
            .filter(|c| {
                let s = c.to_string();
                encoding_rs::SHIFT_JIS.encode(&s).2
            })
            .collect();
        return Err(bad);
    }
    Ok(bytes.into_owned())
}

/// The CP932 form of characters that JIS-style Shift_JIS maps elsewhere.
pub fn to_windows_form(c: char) -> char {
    match c {
        '\u{301C}' => '\u{FF5E}', // 〜 wave dash → ～ fullwidth tilde
        '\u{2212}' => '\u{FF0D}', // − minus → －
        '\u{2016}' => '\u{2225}', // ‖
        '\u{00A2}' => '\u{FFE0}', // ¢
        '\u{00A3}' => '\u{FFE1}', // £
        '\u{00AC}' => '\u{FFE2}', // ¬
        '\u{2014}' => '\u{2015}', // — → ―
        '\u{203E}' => '\u{FFE3}', // ‾
        '\u{00A0}' => ' ',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp932_traps_round_trip() {
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("～－①髙");
        assert_eq!(detect(Path::new("x.csv"), &bytes, None).unwrap(), Encoding::Cp932);
        assert_eq!(decode_field(&bytes, Encoding::Cp932), (Cow::Borrowed("～－①髙"), false));
        // JIS-style wave dash and minus are written as CP932's forms.
        let out = encode_cp932("10:00〜12:00 −5").unwrap();
        assert_eq!(&out[5..7], &[0x81, 0x60]);
        assert!(encode_cp932("𠮷").is_err());
    }

    /// encoding_rs passes a lone 0x80 through as U+0080; it is an error at its byte, while 0x81 0x80
    /// (÷) and the CP932 forms of 〜 and － stay characters.
    #[test]
    fn a_lone_0x80_is_not_a_cp932_character() {
        let field = [0x8F, 0xA4, 0x80, 0x95, 0x69]; // 商, 0x80, 品
        assert_eq!(decode_field(&field, Encoding::Cp932), (Cow::Owned("商\u{FFFD}品".into()), true));
        assert_eq!(first_invalid(&field, Encoding::Cp932), Some(2));
        assert_eq!(shown_bytes(&field[2..]), "byte 0x80");
        assert_eq!(decode_field(&[0x81, 0x80, 0x81, 0x60, 0x81, 0x7C], Encoding::Cp932), (Cow::Borrowed("÷～－"), false));
        assert_eq!(first_invalid(&[0x81, 0x80, 0x81, 0x60], Encoding::Cp932), None);
        assert_eq!(first_invalid(&[b'a', 0x81, 0x20], Encoding::Cp932), Some(1));
        assert_eq!(shown_bytes(&[0x81, 0x20]), "bytes 0x81 0x20");

        let file = b"code,name\r\nA1,\x8F\xA4\x80\r\n";
        let e = detect(Path::new("x.csv"), file, None).unwrap_err();
        assert_eq!((e.code, e.place_text()), ("D002", "x.csv:2:5".to_string()));
        assert!(e.message.ends_with("byte 0x80"), "{}", e.message);
        // Among Japanese text, or in a file declared CP932, it is a stray byte: CP932, and the field says where.
        let mut file = encoding_rs::SHIFT_JIS.encode("code,name\r\nA1,今治タオル フェイスタオル 2枚セット\r\n").0.into_owned();
        file.insert(16, 0x80); // after 今
        assert_eq!(first_invalid(&file, Encoding::Cp932), Some(16));
        assert_eq!(detect(Path::new("x.csv"), &file, None).unwrap(), Encoding::Cp932);
        assert_eq!(detect(Path::new("x.csv"), b"code,name\r\nA1,\x8F\xA4\x80\r\n", Some(Encoding::Cp932)).unwrap(), Encoding::Cp932);
    }

    #[test]
    fn says_which_encoding_a_mismatched_file_is() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("商品名");
        let e = detect(Path::new("x.csv"), &sjis, Some(Encoding::Utf8)).unwrap_err();
        // Unit tests run in Japanese, the default.
        assert!(e.message.contains("ファイルは CP932（Shift_JIS）ですが"), "{}", e.message);
        let e = detect(Path::new("x.csv"), "商品名".as_bytes(), Some(Encoding::Cp932)).unwrap_err();
        assert!(e.message.contains("ファイルは UTF-8 ですが"), "{}", e.message);
    }
}
