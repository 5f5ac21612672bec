//! The business calendar (カレンダー設定, S2): national holidays (bundled), the shop's own holidays
//! (休業日), its weekly closed days (定休日) and the same-day shipping cutoff. It decides the planned
//! shipping date (出荷予定日).

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use super::holidays::national_holidays;

/// The days the shop ships on.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    shop_holidays: BTreeSet<NaiveDate>,
    closed_weekdays: BTreeSet<u32>,
    /// Orders at or after this time of day ship from the next business day on (当日出荷締め時刻).
    pub cutoff: NaiveTime,
    /// Whether national holidays are days off (most shops: yes).
    pub national_holidays_off: bool,
}

/// Why a shipping date is what it is, for the report and the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShipDateReason {
    /// The first business day the order can leave (after the cutoff and preparation days).
    Earliest,
    /// Desired delivery date minus the transit days, moved back to a business day.
    ForDesiredDate { transit_days: i64 },
    /// The desired date cannot be met: even the earliest shipment arrives later.
    DesiredTooSoon { earliest_arrival: NaiveDate },
}

impl BusinessCalendar {
    pub fn new(shop_holidays: impl IntoIterator<Item = NaiveDate>, closed: impl IntoIterator<Item = Weekday>, cutoff: NaiveTime) -> Self {
        BusinessCalendar {
            shop_holidays: shop_holidays.into_iter().collect(),
            closed_weekdays: closed.into_iter().map(|w| w.num_days_from_monday()).collect(),
            cutoff,
            national_holidays_off: true,
        }
    }

    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        !(self.closed_weekdays.contains(&d.weekday().num_days_from_monday())
            || self.shop_holidays.contains(&d)
            || (self.national_holidays_off && national_holidays().contains_key(&d)))
    }

    /// The first business day on or after `d` (a year of days off is a broken calendar: give up there).
    pub fn on_or_after(&self, d: NaiveDate) -> NaiveDate {
        (0..366).map(|n| d + Duration::days(n)).find(|x| self.is_business_day(*x)).unwrap_or(d)
    }

    /// The last business day on or before `d`.
    pub fn on_or_before(&self, d: NaiveDate) -> NaiveDate {
        (0..366).map(|n| d - Duration::days(n)).find(|x| self.is_business_day(*x)).unwrap_or(d)
    }

    /// `n` business days after `d` (d itself a business day or not).
    pub fn add_business_days(&self, d: NaiveDate, n: i64) -> NaiveDate {
        let mut day = self.on_or_after(d);
        for _ in 0..n.max(0) {
            day = self.on_or_after(day + Duration::days(1));
        }
        day
    }

    /// The earliest day an order placed at `ordered_at` (JST) can ship: its day if that is a business
    /// day and before the cutoff, else the next business day; then `preparation_days` more.
    pub fn earliest_ship_date(&self, ordered_at: NaiveDateTime, preparation_days: i64) -> NaiveDate {
        let day = ordered_at.date();
        let first =
            if self.is_business_day(day) && ordered_at.time() < self.cutoff { day } else { self.on_or_after(day + Duration::days(1)) };
        self.add_business_days(first, preparation_days)
    }

    /// 出荷予定日: the earliest day, or for a desired delivery date the day that arrives on it
    /// (desired − transit days, on or before it a business day), never before the earliest.
    pub fn ship_date(&self, earliest: NaiveDate, desired: Option<NaiveDate>, transit_days: i64) -> (NaiveDate, ShipDateReason) {
        let Some(desired) = desired else { return (earliest, ShipDateReason::Earliest) };
        let ideal = self.on_or_before(desired - Duration::days(transit_days));
        if ideal >= earliest {
            (ideal, ShipDateReason::ForDesiredDate { transit_days })
        } else {
            (earliest, ShipDateReason::DesiredTooSoon { earliest_arrival: earliest + Duration::days(transit_days) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }
    fn calendar() -> BusinessCalendar {
        // Closed on Sundays, a shop holiday on 2026-12-29, cutoff at noon.
        BusinessCalendar::new([d("2026-12-29")], [Weekday::Sun], NaiveTime::from_hms_opt(12, 0, 0).unwrap())
    }

    #[test]
    fn before_the_cutoff_ships_today_after_it_the_next_business_day() {
        let c = calendar();
        assert_eq!(c.earliest_ship_date(at("2026-12-01 11:59"), 0), d("2026-12-01"));
        assert_eq!(c.earliest_ship_date(at("2026-12-01 12:00"), 0), d("2026-12-02"));
        // Saturday after the cutoff: Sunday is closed, so Monday.
        assert_eq!(c.earliest_ship_date(at("2026-12-05 15:00"), 0), d("2026-12-07"));
    }

    #[test]
    fn national_and_shop_holidays_and_preparation_days_are_skipped() {
        let c = calendar();
        // 2026-11-23 is 勤労感謝の日 (a Monday): an order on Sunday the 22nd ships on Tuesday the 24th.
        assert_eq!(c.earliest_ship_date(at("2026-11-22 09:00"), 0), d("2026-11-24"));
        // Two preparation days from Monday 12-28: 12-29 is a shop holiday, so 12-30 and 12-31.
        assert_eq!(c.earliest_ship_date(at("2026-12-28 09:00"), 2), d("2026-12-31"));
    }

    #[test]
    fn a_desired_date_ships_transit_days_before_but_never_before_the_earliest() {
        let c = calendar();
        let earliest = d("2026-12-01");
        assert_eq!(c.ship_date(earliest, None, 2), (earliest, ShipDateReason::Earliest));
        assert_eq!(c.ship_date(earliest, Some(d("2026-12-10")), 2), (d("2026-12-08"), ShipDateReason::ForDesiredDate { transit_days: 2 }));
        // desired − 1 day is a Sunday: ship on Saturday.
        assert_eq!(c.ship_date(earliest, Some(d("2026-12-07")), 1).0, d("2026-12-05"));
        assert_eq!(
            c.ship_date(earliest, Some(d("2026-12-02")), 2),
            (earliest, ShipDateReason::DesiredTooSoon { earliest_arrival: d("2026-12-03") })
        );
    }
}
