//! Decoding CSV bytes: UTF-8 or CP932 (Windows-31J, what "Shift_JIS" means in Japanese business files).
//!
//! encoding_rs's SHIFT_JIS is the WHATWG decoder, which is CP932: 0x8160 decodes to U+FF5E (～),
//! 0x817C to U+FF0D (－), as Windows and Excel do.

use std::borrow::Cow;
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
            return Err(Diagnostic::error("D001", "the file is UTF-8, but `encoding: cp932` was given")
                .in_file(path)
                .help("remove `encoding:` (juchu detects it) or set `encoding: utf-8`"));
        }
        return Ok(Encoding::Utf8);
    }
    // Cut the sample at a line end so no character is split.
    let cut = sample.iter().rposition(|b| *b == b'\n').map(|i| i + 1).filter(|_| sample.len() == SAMPLE).unwrap_or(sample.len());
    let (_, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&sample[..cut]);
    if had_errors {
        let bad = first + first_invalid_cp932(&sample[..cut]);
        let line = bytes[..bad].iter().filter(|b| **b == b'\n').count() + 1;
        return Err(Diagnostic::error("D002", "the file is neither UTF-8 nor CP932 (Shift_JIS)")
            .at_line(path, line, None, None)
            .label(format!("undecodable bytes at offset {bad}"))
            .help("export the file again from the mall or Excel as CSV (Shift_JIS or UTF-8)"));
    }
    if declared == Some(Encoding::Utf8) {
        return Err(Diagnostic::error("D001", "the file is CP932 (Shift_JIS), but `encoding: utf-8` was given")
            .in_file(path)
            .help("remove `encoding:` (juchu detects it) or set `encoding: cp932`; mall CSVs are usually CP932"));
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
        Encoding::Cp932 => encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes),
    }
}

/// Offset of the first byte that is not valid CP932.
fn first_invalid_cp932(bytes: &[u8]) -> usize {
    let mut decoder = encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling();
    let mut out = vec![0u8; decoder.max_utf8_buffer_length_without_replacement(bytes.len()).unwrap_or(bytes.len() * 3)];
    match decoder.decode_to_utf8_without_replacement(bytes, &mut out, true) {
        (encoding_rs::DecoderResult::Malformed(bad, after), read, _) => read - bad as usize - after as usize,
        _ => bytes.len(),
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
        assert_eq!(detect(Path::new("x.csv"), &bytes, None).unwrap(), Encoding::Cp932);
        assert_eq!(decode_field(&bytes, Encoding::Cp932), (Cow::Borrowed("～－①髙"), false));
        // JIS-style wave dash and minus are written as CP932's forms.
        let out = encode_cp932("10:00〜12:00 −5").unwrap();
        assert_eq!(&out[5..7], &[0x81, 0x60]);
        assert!(encode_cp932("𠮷").is_err());
    }

    #[test]
    fn says_which_encoding_a_mismatched_file_is() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("商品名");
        let e = detect(Path::new("x.csv"), &sjis, Some(Encoding::Utf8)).unwrap_err();
        assert!(e.message.contains("is CP932"), "{}", e.message);
        let e = detect(Path::new("x.csv"), "商品名".as_bytes(), Some(Encoding::Cp932)).unwrap_err();
        assert!(e.message.contains("is UTF-8"), "{}", e.message);
    }
}
