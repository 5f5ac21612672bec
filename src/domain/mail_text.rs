//! How order mails write money, dates and time slots: `¥1,234`, `2026年12月1日(火)`, `14時〜16時`.

use chrono::{Datelike, NaiveDate};

/// `1234` → `¥1,234`; negative amounts keep their sign after the mark (`¥-500`).
pub fn yen(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + 4);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("¥{}{out}", if amount < 0 { "-" } else { "" })
}

/// `2026-12-01` → `2026年12月1日(火)`.
pub fn japanese_date(d: NaiveDate) -> String {
    const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
    format!("{}年{}月{}日({})", d.year(), d.month(), d.day(), WEEKDAYS[d.weekday().num_days_from_monday() as usize])
}

/// A date as text (`2026-12-01`, or an RFC 3339 time whose date is taken) in Japanese; None when it is neither.
pub fn japanese_date_text(text: &str) -> Option<String> {
    let day = text.get(..10).unwrap_or(text);
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok().map(japanese_date)
}

/// A time slot as the malls write it (`14-16`, `14:00-16:00`, `1416`, `午前中`) as the mail says it:
/// `14時〜16時`; words (午前中, 指定なし) stay as they are.
pub fn time_slot(slot: &str) -> String {
    let s = slot.trim();
    let hours: Vec<u32> = s
        .split(['-', '〜', '~', '～'])
        .map(|part| part.trim().split(':').next().unwrap_or("").parse::<u32>())
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    match hours.as_slice() {
        [from, to] if *from < 25 && *to < 25 => format!("{from}時〜{to}時"),
        _ if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) => format!("{}時〜{}時", s[..2].trim_start_matches('0'), &s[2..]),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yen_has_the_mark_and_thousands_commas() {
        assert_eq!(yen(0), "¥0");
        assert_eq!(yen(999), "¥999");
        assert_eq!(yen(1234), "¥1,234");
        assert_eq!(yen(1234567), "¥1,234,567");
        assert_eq!(yen(-500), "¥-500");
    }

    #[test]
    fn dates_are_japanese_with_the_weekday() {
        assert_eq!(japanese_date(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()), "2026年12月1日(火)");
        assert_eq!(japanese_date_text("2027-01-03T10:00:00+09:00").as_deref(), Some("2027年1月3日(日)"));
        assert_eq!(japanese_date_text("未定"), None);
    }

    #[test]
    fn time_slots_read_as_hours() {
        assert_eq!(time_slot("14-16"), "14時〜16時");
        assert_eq!(time_slot("14:00-16:00"), "14時〜16時");
        assert_eq!(time_slot("1921"), "19時〜21時");
        assert_eq!(time_slot("0812"), "8時〜12時");
        assert_eq!(time_slot("午前中"), "午前中");
    }
}
