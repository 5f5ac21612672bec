//! Shop time: Japan has no DST, and business dates are JST (+09:00).

use chrono::{DateTime, FixedOffset};

pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("valid offset")
}

/// A shop time as malls and staff write it: `2026/11/28 10:15:00`, `2026-11-28 10:15`, or RFC 3339.
/// JST unless an offset is given.
pub fn parse_jst(s: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&jst()));
    }
    let s = s.replace('/', "-").replace('T', " ");
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(&s, f).ok())
        .and_then(|t| t.and_local_timezone(jst()).single())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_times_are_jst_unless_an_offset_is_given() {
        assert_eq!(parse_jst("2026/11/28 10:15").unwrap().to_rfc3339(), "2026-11-28T10:15:00+09:00");
        assert_eq!(parse_jst("2026-11-28 10:15:30").unwrap().to_rfc3339(), "2026-11-28T10:15:30+09:00");
        assert_eq!(parse_jst("2026-11-28T01:15:00Z").unwrap().to_rfc3339(), "2026-11-28T10:15:00+09:00");
        assert_eq!(parse_jst("28.11.2026"), None);
    }
}
