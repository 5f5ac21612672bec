//! Japan's national holidays (国民の祝日), bundled from the Cabinet Office list, and computed by the
//! Holiday Act (祝日法) for the years after it, so ship dates do not run past the list in silence.
//! See `data/holidays/README.md` for the source and how to refresh it each February.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::NaiveDate;

const CABINET_OFFICE_CSV: &str = include_str!("../../data/holidays/syukujitsu.csv");

/// Years computed past the official list.
const COMPUTED_YEARS: i32 = 30;

/// Every national holiday, date → name: the official list, then the years after its last one
/// computed by the law as it stands (provisional: see [`is_provisional`]).
pub fn national_holidays() -> &'static BTreeMap<NaiveDate, &'static str> {
    static TABLE: OnceLock<BTreeMap<NaiveDate, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = parse(CABINET_OFFICE_CSV);
        let last = last_official_year(&table);
        for year in last + 1..=last + COMPUTED_YEARS {
            table.extend(computed(year));
        }
        table
    })
}

/// The last year the official list covers.
pub fn last_official_year(official: &BTreeMap<NaiveDate, &str>) -> i32 {
    use chrono::Datelike;
    official.keys().next_back().map_or(0, |d| d.year())
}

/// The first day of the first year the official list does not cover.
fn first_computed_day() -> NaiveDate {
    static FIRST: OnceLock<NaiveDate> = OnceLock::new();
    *FIRST.get_or_init(|| {
        let last = last_official_year(&parse(CABINET_OFFICE_CSV));
        NaiveDate::from_ymd_opt(last + 1, 1, 1).expect("January 1st")
    })
}

/// A day in a year the official list does not cover yet: its holidays are computed (春分・秋分 by
/// the astronomical formula, which the Cabinet Office confirms each February for the next year).
pub fn is_provisional(date: NaiveDate) -> bool {
    date >= first_computed_day()
}

/// The first day whose holidays are computed (today, if it is one already), when it is within
/// `within_days` of `today`: a ship date may land there soon.
pub fn provisional_from(today: NaiveDate, within_days: i64) -> Option<NaiveDate> {
    let first = first_computed_day().max(today);
    (first - today <= chrono::Duration::days(within_days)).then_some(first)
}

/// The holidays of `year` by the Holiday Act as amended in 2018 (天皇誕生日 2/23, スポーツの日):
/// the fixed days, the Happy Monday days, 春分・秋分 by the standard formula (valid 1980–2099),
/// 振替休日 (a holiday on a Sunday moves to the next day that is not one) and 国民の休日 (a day
/// between two holidays). 振替休日 and 国民の休日 are named 休日, as the Cabinet Office lists them.
pub fn computed(year: i32) -> Vec<(NaiveDate, &'static str)> {
    use chrono::{Datelike, Weekday};
    let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).expect("a date of the year");
    // The n-th Monday of a month.
    let monday = |m: u32, n: u32| {
        let first = day(m, 1);
        let offset = (7 + Weekday::Mon.num_days_from_monday() as i64 - first.weekday().num_days_from_monday() as i64) % 7;
        first + chrono::Duration::days(offset + 7 * (n as i64 - 1))
    };
    let since_1980 = (year - 1980) as f64;
    let equinox = |base: f64| (base + 0.242194 * since_1980 - (since_1980 / 4.0).floor()).floor() as u32;
    let mut days: Vec<(NaiveDate, &'static str)> = vec![
        (day(1, 1), "元日"),
        (monday(1, 2), "成人の日"),
        (day(2, 11), "建国記念の日"),
        (day(2, 23), "天皇誕生日"),
        (day(3, equinox(20.8431)), "春分の日"),
        (day(4, 29), "昭和の日"),
        (day(5, 3), "憲法記念日"),
        (day(5, 4), "みどりの日"),
        (day(5, 5), "こどもの日"),
        (monday(7, 3), "海の日"),
        (day(8, 11), "山の日"),
        (monday(9, 3), "敬老の日"),
        (day(9, equinox(23.2488)), "秋分の日"),
        (monday(10, 2), "スポーツの日"),
        (day(11, 3), "文化の日"),
        (day(11, 23), "勤労感謝の日"),
    ];
    days.sort();
    let is_holiday = |d: NaiveDate, days: &[(NaiveDate, &str)]| days.iter().any(|(h, _)| *h == d);
    // 国民の休日: a day, not itself a holiday nor a Sunday, between two holidays.
    let mut extra = Vec::new();
    for pair in days.windows(2) {
        let between = pair[0].0 + chrono::Duration::days(1);
        if pair[1].0 - pair[0].0 == chrono::Duration::days(2) && between.weekday() != Weekday::Sun {
            extra.push((between, "休日"));
        }
    }
    days.extend(extra);
    // 振替休日: a holiday on a Sunday moves to the next day that is not a holiday.
    let mut substitutes = Vec::new();
    for (d, _) in days.iter().filter(|(d, _)| d.weekday() == Weekday::Sun) {
        let mut next = *d + chrono::Duration::days(1);
        while is_holiday(next, &days) {
            next += chrono::Duration::days(1);
        }
        substitutes.push((next, "休日"));
    }
    days.extend(substitutes);
    days.sort();
    days.dedup_by_key(|(d, _)| *d);
    days
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

    /// The computed years against every official year under today's law (2022 on; 2020–2021 moved
    /// days for the Olympics, by special measures).
    #[test]
    fn computed_years_match_the_official_list() {
        let official = parse(CABINET_OFFICE_CSV);
        let last = last_official_year(&official);
        assert!(last >= 2027);
        for year in 2022..=last {
            let listed: Vec<(NaiveDate, &str)> = official.iter().filter(|(d, _)| d.year() == year).map(|(d, n)| (*d, *n)).collect();
            assert_eq!(computed(year), listed, "{year}");
        }
    }

    #[test]
    fn the_years_after_the_list_are_computed_and_provisional() {
        // 2028 is past the official list: computed.
        assert_eq!(holiday_name(d(2028, 1, 1)), Some("元日"));
        assert_eq!(holiday_name(d(2028, 1, 10)), Some("成人の日"));
        assert!(is_provisional(d(2028, 1, 1)) && !is_provisional(d(2027, 12, 31)));
        // 2029-09-23 秋分の日 is a Sunday: 9/24 is the 振替休日.
        assert_eq!(holiday_name(d(2029, 9, 23)), Some("秋分の日"));
        assert_eq!(holiday_name(d(2029, 9, 24)), Some("休日"));
        // 2032-09-21 (Tue) lies between 敬老の日 9/20 and 秋分の日 9/22: 国民の休日.
        assert_eq!(holiday_name(d(2032, 9, 21)), Some("休日"));
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
