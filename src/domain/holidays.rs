//! Japan's national holidays (国民の祝日), bundled from the Cabinet Office list.
//! See `data/holidays/README.md` for the source and how to refresh it each February.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::NaiveDate;

const CABINET_OFFICE_CSV: &str = include_str!("../../data/holidays/syukujitsu.csv");

/// Every national holiday, date → name.
pub fn national_holidays() -> &'static BTreeMap<NaiveDate, &'static str> {
    static TABLE: OnceLock<BTreeMap<NaiveDate, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| parse(CABINET_OFFICE_CSV))
}

/// Parses the Cabinet Office layout: a header row, then `YYYY/M/D,name`.
pub fn parse(csv: &str) -> BTreeMap<NaiveDate, &str> {
    csv.lines()
        .skip(1)
        .filter_map(|line| {
            let (date, name) = line.split_once(',')?;
            let date = NaiveDate::parse_from_str(date.trim(), "%Y/%m/%d").ok()?;
            Some((date, name.trim()))
        })
        .collect()
}

pub fn holiday_name(date: NaiveDate) -> Option<&'static str> {
    national_holidays().get(&date).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn bundled_list_has_known_days() {
        assert_eq!(holiday_name(d(2026, 1, 1)), Some("元日"));
        assert_eq!(holiday_name(d(2026, 9, 22)), Some("休日"));
        assert_eq!(holiday_name(d(2020, 7, 24)), Some("スポーツの日"));
        assert!(holiday_name(d(2026, 11, 24)).is_none());
        assert!(national_holidays().keys().next().unwrap().year_ce().1 <= 1955);
        assert!(national_holidays().keys().last().unwrap() >= &d(2027, 11, 23));
    }
}
