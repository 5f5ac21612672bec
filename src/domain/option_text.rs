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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_prices_in_choice_text() {
        assert_eq!(price_in_choice("あり(+500円)"), Some(500));
        assert_eq!(price_in_choice("Lサイズ（＋１，０００円）"), Some(1000));
        assert_eq!(price_in_choice("なし"), None);
        assert_eq!(price_in_choice("赤(在庫わずか)"), None);
        assert_eq!(price_in_choice("割引(-100円)"), Some(-100));
    }
}
