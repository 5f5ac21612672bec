//! The desired delivery inside a customer's remarks (備考), S10.6: the `[配送日時指定:]` block.
//!
//! Structured fields win when a mall has them; this is the fallback for old orders and custom
//! checkout questions. It never fails: text it does not understand gives no date and no slot.

use chrono::NaiveDate;

use super::order::DesiredDelivery;
use super::text::to_half_width;

/// Headings that open the date/time block, after full-width normalisation.
const HEADINGS: &[&str] = &["[配送日時指定:]", "[お届け日時指定:]", "[配達日時指定:]", "[お届け希望日時:]"];

/// The text of the remarks' `[配送日時指定:]` block when it has any (whether or not it can be read).
pub fn request_block(remarks: &str) -> Option<String> {
    let text = to_half_width(remarks).replace("\r\n", "\n");
    let (start, heading) = HEADINGS.iter().filter_map(|h| text.find(h).map(|i| (i, *h))).min_by_key(|(i, _)| *i)?;
    let body = &text[start + heading.len()..];
    let end = body.match_indices("\n[").map(|(i, _)| i).next().unwrap_or(body.len());
    Some(body[..end].trim().to_string()).filter(|b| !b.is_empty())
}

/// What the customer wrote besides the `[配送日時指定:]` block the mall fills in (備考あり is about
/// this: a block with only a date is not a remark staff need to read).
pub fn customer_text(remarks: &str) -> String {
    let text = to_half_width(remarks).replace("\r\n", "\n");
    let Some((start, heading)) = HEADINGS.iter().filter_map(|h| text.find(h).map(|i| (i, *h))).min_by_key(|(i, _)| *i) else {
        return text.trim().to_string();
    };
    let body = &text[start + heading.len()..];
    let end = body.match_indices("\n[").map(|(i, _)| i + 1).next().unwrap_or(body.len());
    format!("{}\n{}", &text[..start], &body[end..]).trim().to_string()
}

/// Parses the desired delivery out of remarks. `None` when there is no such block or it is empty.
pub fn desired_delivery_from_remarks(remarks: &str) -> Option<DesiredDelivery> {
    let text = to_half_width(remarks).replace("\r\n", "\n");
    let (start, heading) = HEADINGS.iter().filter_map(|h| text.find(h).map(|i| (i, *h))).min_by_key(|(i, _)| *i)?;
    let body = &text[start + heading.len()..];
    // The block runs to the next `[heading:]` line.
    let end = body.match_indices("\n[").map(|(i, _)| i).next().unwrap_or(body.len());
    let mut date = None;
    let mut time_slot = None;
    for line in body[..end].lines().map(str::trim).filter(|l| !l.is_empty()) {
        if date.is_none() {
            if let Some(d) = parse_date(line) {
                date = Some(d);
                // A date and a slot may share one line: `2026-08-08(土) 14:00〜16:00`.
                if let Some(rest) = line.find(')').map(|i| &line[i + 1..]) {
                    time_slot = time_slot.or_else(|| parse_slot(rest));
                }
                continue;
            }
        }
        if time_slot.is_none() {
            time_slot = parse_slot(line);
        }
    }
    if date.is_none() && time_slot.is_none() {
        return None;
    }
    Some(DesiredDelivery { date, time_slot, source: Some("remarks".into()) })
}

/// `2026-08-08(土)`, `2026/8/8`, `2026年8月8日`: the first date on the line.
fn parse_date(line: &str) -> Option<NaiveDate> {
    for w in numbers(line).windows(3) {
        let (y, m, d) = (w[0].2, w[1].2, w[2].2);
        if (2000..=2100).contains(&y) {
            if let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d) {
                return Some(date);
            }
        }
    }
    None
}

/// `18:00〜20:00` (wave dash, full-width tilde, `~` or `-`), `午前中`, `14時〜16時`: normalised to `18:00-20:00`.
fn parse_slot(line: &str) -> Option<String> {
    if line.contains("午前中") || line.contains("午前") {
        return Some("午前中".into());
    }
    if line.contains("指定なし") || line.contains("指定しない") {
        return None;
    }
    // Hours are the numbers just before `:` or `時`.
    let hours: Vec<u32> =
        numbers(line).into_iter().filter(|&(_, end, _)| line[end..].starts_with([':', '時'])).map(|(_, _, h)| h).collect();
    match hours.as_slice() {
        [from, to, ..] if from < to && *to <= 24 => Some(format!("{from:02}:00-{to:02}:00")),
        [from] if *from <= 24 && (line.contains('〜') || line.contains('~') || line.contains("以降")) => Some(format!("{from:02}:00-")),
        _ => None,
    }
}

/// The runs of up to four ASCII digits on a line, with their byte ranges.
fn numbers(line: &str) -> Vec<(usize, usize, u32)> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start <= 4 {
                if let Ok(n) = line[start..i].parse() {
                    out.push((start, i, n));
                }
            }
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> (Option<String>, Option<String>) {
        match desired_delivery_from_remarks(s) {
            Some(d) => (d.date.map(|d| d.to_string()), d.time_slot),
            None => (None, None),
        }
    }

    #[test]
    fn the_variants_seen_in_real_orders() {
        assert_eq!(parse("[配送日時指定:]\n2012-11-01(木)\n18:00〜20:00"), (Some("2012-11-01".into()), Some("18:00-20:00".into())));
        assert_eq!(parse("[配送日時指定:]\n2012-11-01(木)"), (Some("2012-11-01".into()), None));
        assert_eq!(parse("[配送日時指定:]\n18：00〜20：00"), (None, Some("18:00-20:00".into())));
        assert_eq!(parse("[配送日時指定:]\n2026-08-08(土)\n午前中"), (Some("2026-08-08".into()), Some("午前中".into())));
        assert_eq!(parse("[配送日時指定:]\n\n"), (None, None));
        assert_eq!(
            parse("[配送日時指定:]\n２０２６－１２－０３(木)\n１４：００～１６：００"),
            (Some("2026-12-03".into()), Some("14:00-16:00".into()))
        );
        assert_eq!(
            parse("[配送日時指定：]\r\n2026/12/03\r\n19時〜21時\r\n[備考:]\r\n12時頃に不在"),
            (Some("2026-12-03".into()), Some("19:00-21:00".into()))
        );
        assert_eq!(parse("[備考:]\n2026-12-03に届けて"), (None, None), "only the date/time block counts");
        assert_eq!(parse("[配送日時指定:]\n2026-12-03(木) 14:00〜16:00"), (Some("2026-12-03".into()), Some("14:00-16:00".into())));
        assert_eq!(parse("[配送日時指定:]\n2026-02-30(月)"), (None, None), "no such date");
    }

    /// Property: any text, however broken, parses without panicking.
    #[test]
    fn never_panics_on_any_text() {
        let alphabet: Vec<char> =
            "[]:：配送日時指定午前中〜～~-0123456789０１２３４５６７８９()（）年月日時\n\r 　/\u{FFFD}é𠮷".chars().collect();
        let mut seed = 0x2545F4914F6CDD1Du64;
        for _ in 0..20_000 {
            let len = (seed % 60) as usize;
            let mut s = String::from(if seed.is_multiple_of(3) { "[配送日時指定:]\n" } else { "" });
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let _ = desired_delivery_from_remarks(&s);
        }
    }

    #[test]
    fn remarks_besides_the_date_block() {
        assert_eq!(customer_text("[配送日時指定:]\n2026-11-30(月)\n午前中"), "");
        assert_eq!(customer_text("[配送日時指定:]\n\n"), "");
        assert_eq!(customer_text("置き配希望\n[配送日時指定:]\n2026-11-30(月)"), "置き配希望");
        assert_eq!(customer_text("[配送日時指定:]\n2026-11-30\n[備考:]\n のしをお願いします"), "[備考:]\n のしをお願いします");
        assert_eq!(customer_text("  "), "");
    }
}
