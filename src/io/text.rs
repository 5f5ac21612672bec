//! Decoding CSV bytes: UTF-8 or CP932 (Windows-31J, what "Shift_JIS" means in Japanese business files).
//!
//! encoding_rs's SHIFT_JIS is the WHATWG decoder, which is CP932: 0x8160 decodes to U+FF5E (～),
//! 0x817C to U+FF0D (－), as Windows and Excel do.

use std::path::Path;

use crate::config::diagnostic::Diagnostic;

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

/// Decodes `bytes`, detecting the encoding when `declared` is None. A file that is clearly in the
/// other encoding than declared is an error that says which one it is.
pub fn decode(path: &Path, bytes: Vec<u8>, declared: Option<Encoding>) -> Result<(String, Encoding), Diagnostic> {
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    let is_utf8 = std::str::from_utf8(&bytes).is_ok();
    let ascii_only = is_utf8 && bytes.is_ascii();
    match (declared, is_utf8) {
        (Some(Encoding::Cp932), true) if !ascii_only => {
            return Err(Diagnostic::error("D001", "the file is UTF-8, but `encoding: cp932` was given")
                .in_file(path)
                .help("remove `encoding:` (juchu detects it) or set `encoding: utf-8`"));
        }
        (Some(Encoding::Utf8) | None, true) => {
            // SAFETY-free: validated above.
            return Ok((String::from_utf8(bytes).expect("validated"), Encoding::Utf8));
        }
        (Some(Encoding::Cp932), true) => {
            return Ok((String::from_utf8(bytes).expect("validated"), Encoding::Cp932));
        }
        _ => {}
    }
    match encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(&bytes) {
        Some(text) => {
            if declared == Some(Encoding::Utf8) {
                return Err(Diagnostic::error("D001", "the file is CP932 (Shift_JIS), but `encoding: utf-8` was given")
                    .in_file(path)
                    .help("remove `encoding:` (juchu detects it) or set `encoding: cp932`; mall CSVs are usually CP932"));
            }
            Ok((text.into_owned(), Encoding::Cp932))
        }
        None => {
            // Neither: find the first byte that is wrong in both, for the line number.
            let bad = first_invalid_utf8(&bytes);
            let line = bytes[..bad].iter().filter(|b| **b == b'\n').count() + 1;
            Err(Diagnostic::error("D002", "the file is neither UTF-8 nor CP932 (Shift_JIS)")
                .at_line(path, line, None, None)
                .label(format!("undecodable bytes at offset {bad}"))
                .help("export the file again from the mall or Excel as CSV (Shift_JIS or UTF-8)"))
        }
    }
}

fn first_invalid_utf8(bytes: &[u8]) -> usize {
    match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(e) => e.valid_up_to(),
    }
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
        let (text, enc) = decode(Path::new("x.csv"), bytes.into_owned(), None).unwrap();
        assert_eq!(enc, Encoding::Cp932);
        assert_eq!(text, "～－①髙");
        // JIS-style wave dash and minus are written as CP932's forms.
        let out = encode_cp932("10:00〜12:00 −5").unwrap();
        assert_eq!(&out[5..7], &[0x81, 0x60]);
        assert!(encode_cp932("𠮷").is_err());
    }

    #[test]
    fn says_which_encoding_a_mismatched_file_is() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("商品名");
        let e = decode(Path::new("x.csv"), sjis.into_owned(), Some(Encoding::Utf8)).unwrap_err();
        assert!(e.message.contains("is CP932"), "{}", e.message);
        let e = decode(Path::new("x.csv"), "商品名".as_bytes().to_vec(), Some(Encoding::Cp932)).unwrap_err();
        assert!(e.message.contains("is UTF-8"), "{}", e.message);
    }
}
