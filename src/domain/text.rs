//! Japanese text normalisation: full-width digits and signs, as staff and malls type them.

/// Full-width ASCII (！ to ～) becomes half-width; the ideographic space becomes a space.
/// Other characters (kana, kanji, 〜) are kept.
pub fn to_half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            // Minus signs people type for a negative number or a hyphen.
            '\u{2212}' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{30FC}' => '-',
            _ => c,
        })
        .collect()
}

/// How a column header is matched: full-width letters, digits and brackets as half-width, spaces
/// (full-width too) left out. `商品管理番号(商品URL)` finds Rakuten's `商品管理番号（商品URL）`, and
/// `ＪＩＳ コード` finds `JISコード`, so a header re-typed or re-saved by another tool is not "missing".
pub fn header_key(header: &str) -> String {
    to_half_width(header).chars().filter(|c| !c.is_whitespace()).collect()
}

/// Parses a yen amount as staff write it: `1980`, `1,980`, `１９８０`, `¥1,980`, `1980円`.
pub fn parse_yen(s: &str) -> Option<i64> {
    // Most values are plain ASCII digits.
    if !s.is_empty() && s.len() < 19 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let t = to_half_width(s.trim());
    let t = t.trim().trim_start_matches(['¥', '\\', '￥']).trim_end_matches('円').trim();
    if t.is_empty() {
        return None;
    }
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let cleaned: String = digits.chars().filter(|c| *c != ',').collect();
    if cleaned.is_empty() || !cleaned.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: i64 = cleaned.parse().ok()?;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_across_widths_and_spaces() {
        assert_eq!(header_key("ＪＩＳ　コード"), header_key("JISコード"));
        assert_eq!(header_key(" 商品管理番号(商品URL)"), header_key("商品管理番号（商品URL）"));
        assert_ne!(header_key("商品名"), header_key("品名"));
    }

    #[test]
    fn yen_in_the_forms_staff_write() {
        assert_eq!(parse_yen("1980"), Some(1980));
        assert_eq!(parse_yen("１，９８０"), Some(1980));
        assert_eq!(parse_yen("¥1,980"), Some(1980));
        assert_eq!(parse_yen("500円"), Some(500));
        assert_eq!(parse_yen("-9999"), Some(-9999));
        assert_eq!(parse_yen("千円"), None);
        assert_eq!(parse_yen("12.5"), None);
        assert_eq!(parse_yen(""), None);
    }
}
