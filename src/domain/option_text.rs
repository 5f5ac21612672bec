//! Prices written into option choice text, e.g. `あり(+500円)` or `Lサイズ（＋１，０００円）`.

use super::text::{parse_yen, to_half_width};

/// The add-on amount a choice's text announces, if any.
pub fn price_in_choice(choice: &str) -> Option<i64> {
    let t = to_half_width(choice);
    let open = t.rfind(['(', '['])?;
    let inner = t[open + 1..].trim_end_matches([')', ']', ' ']);
    if !inner.ends_with('円') {
        return None;
    }
    let inner = inner.trim();
    if !(inner.starts_with('+') || inner.starts_with('-')) {
        return None;
    }
    parse_yen(inner)
}

/// A choice without the price it announces: `あり(+550円)` → `あり` (malls that give the price in a
/// field of its own, such as Yahoo, send the bare choice).
pub fn without_price(choice: &str) -> &str {
    if price_in_choice(choice).is_none() {
        return choice;
    }
    choice.rfind(['(', '（', '[']).map_or(choice, |at| choice[..at].trim_end())
}

/// The `項目:選択肢` pairs of an item's option text, as the malls write it: one per line, or
/// several on a line separated by spaces (Rakuten `カラー:赤 サイズ:L(+500円)`); au PAY writes `=`.
/// A space-separated piece without a separator belongs to the choice before it (`あり (+550円)`).
pub fn choices(text: &str) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for line in text.lines() {
        // Byte ranges of the pairs on this line: a new pair starts at a piece with a separator.
        let mut start: Option<usize> = None;
        let mut end = 0;
        for piece in line.split([' ', '\u{3000}']).filter(|p| !p.is_empty()) {
            let from = piece.as_ptr() as usize - line.as_ptr() as usize;
            if piece.contains([':', '=', '：']) {
                if let Some(s) = start {
                    out.extend(pair(&line[s..end]));
                }
                start = Some(from);
            }
            end = from + piece.len();
        }
        if let Some(s) = start {
            out.extend(pair(&line[s..end]));
        }
    }
    out
}

fn pair(s: &str) -> Option<(&str, &str)> {
    s.trim().split_once([':', '=', '：']).map(|(name, choice)| (name.trim(), choice.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_without_its_price() {
        assert_eq!(without_price("あり(+550円)"), "あり");
        assert_eq!(without_price("Lサイズ（＋１，０００円）"), "Lサイズ");
        assert_eq!(without_price("赤(在庫わずか)"), "赤(在庫わずか)");
        assert_eq!(without_price("なし"), "なし");
    }

    #[test]
    fn option_pairs_as_the_malls_write_them() {
        assert_eq!(choices("カラー:赤 サイズ:L(+500円)"), [("カラー", "赤"), ("サイズ", "L(+500円)")]);
        assert_eq!(choices("ラッピング:あり(+300円)\nのし:御祝"), [("ラッピング", "あり(+300円)"), ("のし", "御祝")]);
        assert_eq!(choices("名入れ:あり (+550円)"), [("名入れ", "あり (+550円)")]);
        assert_eq!(choices("香り=金木犀\u{3000}サイズ：Ｍ"), [("香り", "金木犀"), ("サイズ", "Ｍ")]);
        assert_eq!(choices(""), []);
        assert_eq!(choices("おまかせ"), []);
    }

    #[test]
    fn finds_prices_in_choice_text() {
        assert_eq!(price_in_choice("あり(+500円)"), Some(500));
        assert_eq!(price_in_choice("Lサイズ（＋１，０００円）"), Some(1000));
        assert_eq!(price_in_choice("なし"), None);
        assert_eq!(price_in_choice("赤(在庫わずか)"), None);
        assert_eq!(price_in_choice("割引(-100円)"), Some(-100));
    }
}
