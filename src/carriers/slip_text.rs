//! Text rules for carrier slip files (送り状データ): the characters carriers cannot print are
//! replaced by a fixed, documented table before encoding; what still cannot be written is reported,
//! never turned into `?`. Widths are in half-width units (半角換算), as the carriers count them.

use crate::io::text::{encode_cp932, to_windows_form};

/// The replacement table (置き換え表) applied to every slip field before it is measured and encoded,
/// for all carriers. Why:
/// - non-BMP and JIS level 3/4 kanji (𠮷, 𠷡, 繫, 䑓, 𡈽) are not in CP932 at all;
/// - the IBM/NEC extension kanji (髙, 﨑, 德, 濵, 隆 U+F9DC, 塚 U+FA10, 栁, 瀨) are in CP932 but
///   not in JIS level 1/2, which B2クラウド requires and label printers often lack;
/// - NEC row 13 symbols (①, Ⅰ, ㈱, №, ℡) are CP932-only and not JIS level 1/2 either.
///
/// Circled numbers become half-width `(1)`…`(20)`; Roman numerals become full-width Latin capitals
/// (Ⅲ → ＩＩＩ, ⅲ → ｉｉｉ) so a full-width name or address stays full-width (e飛伝 wants full-width);
/// ㈱/㈲/㈹ become half-width `(株)`/`(有)`/`(代)`; № → `No.`, ℡ → `TEL`; NBSP → space.
/// ～ (U+FF5E) is kept; 〜 (U+301C), − (U+2212) and the other JIS-style forms become their CP932
/// forms through `to_windows_form` after this table.
pub const REPLACEMENTS: &[(char, &str)] = &[
    ('\u{20BB7}', "吉"),   // 𠮷 (つちよし)
    ('\u{20DE1}', "百合"), // 𠷡
    ('\u{2123D}', "土"),   // 𡈽
    ('\u{7E6B}', "繋"),    // 繫
    ('\u{4453}', "臺"),    // 䑓
    ('\u{9AD9}', "高"),    // 髙 (はしごだか)
    ('\u{FA11}', "崎"),    // 﨑 (たつさき)
    ('\u{5FB7}', "徳"),    // 德
    ('\u{6FF5}', "濱"),    // 濵
    ('\u{F9DC}', "隆"),    // 隆 (compatibility form)
    ('\u{FA10}', "塚"),    // 塚 (compatibility form)
    ('\u{6901}', "柳"),    // 栁
    ('\u{7028}', "瀬"),    // 瀨
    ('①', "(1)"),
    ('②', "(2)"),
    ('③', "(3)"),
    ('④', "(4)"),
    ('⑤', "(5)"),
    ('⑥', "(6)"),
    ('⑦', "(7)"),
    ('⑧', "(8)"),
    ('⑨', "(9)"),
    ('⑩', "(10)"),
    ('⑪', "(11)"),
    ('⑫', "(12)"),
    ('⑬', "(13)"),
    ('⑭', "(14)"),
    ('⑮', "(15)"),
    ('⑯', "(16)"),
    ('⑰', "(17)"),
    ('⑱', "(18)"),
    ('⑲', "(19)"),
    ('⑳', "(20)"),
    ('Ⅰ', "Ｉ"),
    ('Ⅱ', "ＩＩ"),
    ('Ⅲ', "ＩＩＩ"),
    ('Ⅳ', "ＩＶ"),
    ('Ⅴ', "Ｖ"),
    ('Ⅵ', "ＶＩ"),
    ('Ⅶ', "ＶＩＩ"),
    ('Ⅷ', "ＶＩＩＩ"),
    ('Ⅸ', "ＩＸ"),
    ('Ⅹ', "Ｘ"),
    ('ⅰ', "ｉ"),
    ('ⅱ', "ｉｉ"),
    ('ⅲ', "ｉｉｉ"),
    ('ⅳ', "ｉｖ"),
    ('ⅴ', "ｖ"),
    ('ⅵ', "ｖｉ"),
    ('ⅶ', "ｖｉｉ"),
    ('ⅷ', "ｖｉｉｉ"),
    ('ⅸ', "ｉｘ"),
    ('ⅹ', "ｘ"),
    ('㈱', "(株)"),
    ('㈲', "(有)"),
    ('㈹', "(代)"),
    ('№', "No."),
    ('℡', "TEL"),
    ('\u{00A0}', " "), // NBSP
];

/// A field's text as it goes into a slip file: the [`REPLACEMENTS`] table, then the CP932 forms of
/// JIS-style characters (〜 → ～, − → －, …). Applying it twice changes nothing.
pub fn map_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match REPLACEMENTS.iter().find(|(from, _)| *from == c) {
            Some((_, to)) => out.extend(to.chars().map(to_windows_form)),
            None => out.push(to_windows_form(c)),
        }
    }
    out
}

/// CP932 bytes of a field after [`map_text`]; the characters that still cannot be encoded otherwise.
pub fn cp932(s: &str) -> Result<Vec<u8>, Vec<char>> {
    encode_cp932(&map_text(s))
}

/// JIS X 0208 level 1/2 (JIS第1・第2水準, with the row 1–8 symbols) as B2クラウド accepts it, judged
/// on the CP932 bytes of one 2-byte character. 0x85–0x87 (NEC row 13 such as ①), 0xED/0xEE (NEC-
/// selected IBM extensions), 0xF0–0xF9 (user-defined) and 0xFA–0xFC (IBM extensions such as 髙) are out.
pub fn is_jis_level12(lead: u8, trail: u8) -> bool {
    matches!(lead, 0x81..=0x84 | 0x89..=0x9F | 0xE0..=0xEA) || (lead == 0x88 && trail >= 0x9F)
}

/// The characters of an already mapped field that B2 cannot take: 2-byte CP932 characters outside
/// JIS level 1/2. Characters not in CP932 at all are left to [`cp932`] to report.
pub fn not_jis_level12(mapped: &str) -> Vec<char> {
    let mut bad = Vec::new();
    let mut buf = [0u8; 4];
    for c in mapped.chars() {
        if c.is_ascii() {
            continue;
        }
        let (bytes, _, errors) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
        if !errors && bytes.len() == 2 && !is_jis_level12(bytes[0], bytes[1]) && !bad.contains(&c) {
            bad.push(c);
        }
    }
    bad
}

/// The width of one character in half-width units: 1 for what CP932 writes in one byte (ASCII,
/// half-width kana ｱ–ﾟ, and ¥/‾/U+0080 which encoding_rs writes as single bytes), else 2. A character
/// CP932 cannot encode counts 2; it is reported anyway.
pub fn char_width(c: char) -> usize {
    if c.is_ascii() || matches!(c, '\u{FF61}'..='\u{FF9F}' | '\u{0080}' | '\u{00A5}' | '\u{203E}') {
        1
    } else {
        2
    }
}

/// Width in half-width units (半角換算の桁数): ｢ﾃｽﾄ｣ is 5, ｢テスト｣ 6. Measure after [`map_text`].
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// The longest start of `s` within `max` half-width units, cut at a character boundary. Only for
/// 品名 and the like, which are shortened by design; names and addresses are never cut.
pub fn cut_to_width(s: &str, max: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        used += char_width(c);
        if used > max {
            return &s[..i];
        }
    }
    s
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{3000}'
}

/// A good place to end an address line: after a space, a hyphen, 丁目, 番地 or 号 (but not in 号室/号館/号棟).
fn breaks_after(chars: &[char], i: usize) -> bool {
    let prev = chars[i - 1];
    let next = chars.get(i).copied();
    let ends = |w: &str| {
        let w: Vec<char> = w.chars().collect();
        i >= w.len() && chars[i - w.len()..i] == w[..]
    };
    if is_space(prev) {
        return true;
    }
    // Between the town and its number (港北区 / ７－２３－１１), never inside the number: a break
    // after a hyphen would leave 「７－２３－」 and 「１１」 on two lines of the label.
    // After the prefecture, the city or ward (福岡市博多区 / 博多駅前…); after 町・村 only before a
    // number (町田市, 十日町市 are names). The last break that fits wins, so 市川市 stays whole.
    let digit_next = next.is_some_and(|c| c.is_ascii_digit() || ('０'..='９').contains(&c));
    if matches!(prev, '都' | '府' | '県' | '市' | '区' | '郡') || ends("北海道") || (digit_next && matches!(prev, '町' | '村')) {
        return true;
    }
    ends("丁目") || ends("番地") || (prev == '号' && !matches!(next, Some('室' | '館' | '棟')))
}

/// Wraps an address (or a name) over columns of the given widths (half-width units), at character
/// boundaries, preferring to end a line after a space, after 丁目/番地/号, or between the town (…区, …町) and its number. A space at a break is
/// dropped (the line break stands for it). Always returns `widths.len()` lines (the unused ones
/// empty), or `None` if the text does not fit: it is never cut.
pub fn wrap(text: &str, widths: &[usize]) -> Option<Vec<String>> {
    wrap_with(text, widths, true).or_else(|| wrap_with(text, widths, false))
}

fn wrap_with(text: &str, widths: &[usize], prefer_breaks: bool) -> Option<Vec<String>> {
    let chars: Vec<char> = text.trim_matches(is_space).chars().collect();
    let mut lines = Vec::with_capacity(widths.len());
    let mut pos = 0;
    for &max in widths {
        while pos < chars.len() && is_space(chars[pos]) {
            pos += 1;
        }
        let mut end = pos;
        let mut used = 0;
        while end < chars.len() && used + char_width(chars[end]) <= max {
            used += char_width(chars[end]);
            end += 1;
        }
        if end < chars.len() && prefer_breaks {
            if let Some(b) = (pos + 1..=end).rev().find(|&b| breaks_after(&chars, b)) {
                end = b;
            }
        }
        let line: String = chars[pos..end].iter().collect();
        lines.push(line.trim_end_matches(is_space).to_string());
        pos = end;
    }
    (pos >= chars.len()).then_some(lines)
}

/// Half-width kana ｡ (U+FF61) to ﾟ (U+FF9F), in code order, as full-width characters.
const KANA_FULL: &str =
    "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜";
/// Full-width kana that take a dakuten (カ→ガ is +1 in Unicode).
const VOICEABLE: &str = "カキクケコサシスセソタチツテトハヒフヘホ";
/// Full-width kana that take a handakuten (ハ→パ is +2).
const SEMI_VOICEABLE: &str = "ハヒフヘホ";

/// Full-width form for e飛伝's address and name fields (全角変換): half-width ASCII and space become
/// full-width, half-width kana become full-width katakana (ｶﾞ → ガ). Everything else is kept.
pub fn to_full_width(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' => out.push('\u{3000}'),
            '!'..='~' => out.push(char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)),
            '\u{FF61}'..='\u{FF9F}' => {
                let base = KANA_FULL.chars().nth(c as usize - 0xFF61).unwrap_or(c);
                let mark = chars.peek().copied();
                let combined = match mark {
                    Some('ﾞ') if base == 'ウ' => Some('ヴ'),
                    Some('ﾞ') if VOICEABLE.contains(base) => char::from_u32(base as u32 + 1),
                    Some('ﾟ') if SEMI_VOICEABLE.contains(base) => char::from_u32(base as u32 + 2),
                    _ => None,
                };
                match combined {
                    Some(v) => {
                        chars.next();
                        out.push(v);
                    }
                    None => out.push(base),
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Half-width kana for B2's お届け先名(ｶﾅ) (半角カナ): katakana or hiragana, long vowel, spaces and
/// ASCII. `None` if any character has no half-width form (kanji, ヵ, ヰ…): the column is then left blank.
pub fn to_half_kana(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        // Hiragana as katakana (ぁ U+3041 → ァ U+30A1).
        let c = match c {
            '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60)?,
            _ => c,
        };
        if let Some(i) = KANA_FULL.chars().position(|k| k == c) {
            out.push(char::from_u32(0xFF61 + i as u32)?);
            continue;
        }
        let half = |k: char| KANA_FULL.chars().position(|f| f == k).and_then(|i| char::from_u32(0xFF61 + i as u32));
        let prev1 = (c as u32).checked_sub(1).and_then(char::from_u32).filter(|p| VOICEABLE.contains(*p));
        let prev2 = (c as u32).checked_sub(2).and_then(char::from_u32).filter(|p| SEMI_VOICEABLE.contains(*p));
        match c {
            'ヴ' => out.push_str("ｳﾞ"),
            ' ' | '\u{3000}' => out.push(' '),
            '\u{FF01}'..='\u{FF5E}' => out.push(char::from_u32(c as u32 - 0xFEE0)?),
            '!'..='~' => out.push(c),
            _ if prev1.is_some() => {
                out.push(half(prev1?)?);
                out.push('ﾞ');
            }
            _ if prev2.is_some() => {
                out.push(half(prev2?)?);
                out.push('ﾟ');
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mapping_wins_over_the_level_check() {
        assert_eq!(map_text("𠮷田 髙橋 﨑 德 濵 隆 𠷡 繫 䑓"), "吉田 高橋 崎 徳 濱 隆 百合 繋 臺");
        assert_eq!(map_text("①⑳Ⅲ㈱㈲№℡"), "(1)(20)ＩＩＩ(株)(有)No.TEL");
        assert_eq!(map_text("10時〜12時\u{A0}−"), "10時～12時 －");
        assert_eq!(map_text("～"), "～");
        assert_eq!(cp932("〜").unwrap(), vec![0x81, 0x60]);
        assert_eq!(cp932("𠮷").unwrap(), cp932("吉").unwrap());
        assert_eq!(cp932("🍣ㄅ"), Err(vec!['🍣', 'ㄅ']));
    }

    /// Every replacement is itself plain JIS level 1/2 text, so the table never creates a problem.
    #[test]
    fn every_replacement_is_jis_level12() {
        for (from, to) in REPLACEMENTS {
            assert!(cp932(to).is_ok(), "{from} → {to}");
            assert!(not_jis_level12(to).is_empty(), "{from} → {to}");
            assert_eq!(map_text(&map_text(&from.to_string())), map_text(&from.to_string()));
        }
    }

    #[test]
    fn jis_level_check_on_cp932_bytes() {
        // Unmapped CP932 characters outside level 1/2: NEC row 13 (∑ 0x8794), IBM extension (彅).
        assert_eq!(not_jis_level12("草彅∑様"), vec!['彅', '∑']);
        assert!(not_jis_level12("亜腕弌熙ｱ～－").is_empty());
        assert!(is_jis_level12(0x88, 0x9F) && !is_jis_level12(0x88, 0x9E));
        assert!(!is_jis_level12(0x87, 0x40) && !is_jis_level12(0xED, 0x40) && !is_jis_level12(0xFB, 0xFC));
        // Without the mapping 髙 is an IBM extension.
        assert_eq!(not_jis_level12("髙"), vec!['髙']);
    }

    #[test]
    fn widths_in_half_width_units() {
        assert_eq!(width("ﾃｽﾄ"), 3);
        assert_eq!(width("テスト"), 6);
        assert_eq!(width("1-2 Ａ"), 6);
        assert_eq!(cut_to_width("りんごジュース", 7), "りんご");
    }

    #[test]
    fn wrapping_prefers_breaks_and_never_cuts() {
        let a = "東京都千代田区永田町一丁目7番1号 永田町ハイツ101号室";
        let lines = wrap(a, &[40, 40]).unwrap();
        assert_eq!(lines, vec!["東京都千代田区永田町一丁目7番1号", "永田町ハイツ101号室"]);
        // Without a space it breaks after 丁目.
        let lines = wrap("東京都千代田区永田町一丁目7番1号永田町ハイツ", &[28, 40]).unwrap();
        assert_eq!(lines, vec!["東京都千代田区永田町一丁目", "7番1号永田町ハイツ"]);
        // 号室 is not split.
        assert_eq!(wrap("ハイツ101号室", &[14, 14]).unwrap(), vec!["ハイツ101号室", ""]);
        assert_eq!(wrap("あいうえお", &[4, 4]), None);
        assert_eq!(wrap("あいうえお", &[4, 4, 2]).unwrap(), vec!["あい", "うえ", "お"]);
        assert_eq!(wrap("", &[4, 4]).unwrap(), vec!["", ""]);
    }

    #[test]
    fn full_and_half_width_kana() {
        assert_eq!(to_full_width("1-2 ｶﾞｰﾃﾞﾝﾊﾟﾚｽ"), "１－２\u{3000}ガーデンパレス");
        assert_eq!(to_half_kana("ヤマダ タロウ").as_deref(), Some("ﾔﾏﾀﾞ ﾀﾛｳ"));
        assert_eq!(to_half_kana("さとう　ぱん").as_deref(), Some("ｻﾄｳ ﾊﾟﾝ"));
        assert_eq!(to_half_kana("ヴィ").as_deref(), Some("ｳﾞｨ"));
        assert_eq!(to_half_kana("山田"), None);
        assert_eq!(to_half_kana("ヵ"), None);
        // e飛伝 gets the mapped text in full width: ① → (1) → （１）.
        assert_eq!(to_full_width(&map_text("ハイツ①")), "ハイツ（１）");
    }
}
