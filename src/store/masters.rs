//! The masters (マスタ): written by load_masters in one transaction, read back by every stage and
//! command that needs them.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use anyhow::Result;
use chrono::{NaiveDate, Weekday};
use duckdb::params;

use super::Store;
use crate::config::diagnostic::{Diagnostic, Place};
use crate::domain::masters::*;

/// A fingerprint of everything loaded (rows and their places), so an unchanged workbook writes nothing.
pub fn fingerprint(m: &Masters) -> String {
    let mut h = DefaultHasher::new();
    format!("{m:?}").hash(&mut h);
    crate::domain::holidays::national_holidays().len().hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Every table the masters workbook fills (and a load replaces whole).
pub const MASTER_TABLES: &[&str] = &[
    "master_sheets",
    "m_order_statuses",
    "m_payment_methods",
    "m_prefectures",
    "m_carriers",
    "m_time_slots",
    "m_logistics_companies",
    "m_delivery_conditions",
    "m_transit_days",
    "m_option_addons",
    "m_customer_ranks",
    "m_shop_holidays",
    "m_closed_weekdays",
    "m_delivery_methods",
    "m_national_holidays",
    "m_carrier_codes",
];

impl Store {
    /// Replaces every master in one transaction, with the fingerprint that tells an unchanged workbook.
    pub fn write_masters(&self, m: &Masters, fingerprint: &str) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        for table in MASTER_TABLES {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        {
            let mut a = tx.appender("master_sheets")?;
            for (sheet, src) in &m.sheets {
                a.append_row(params![sheet, src.file, src.headers.join("\t")])?;
            }
            let mut a = tx.appender("m_order_statuses")?;
            for r in &m.order_statuses {
                a.append_row(params![r.mall, r.code, r.name, r.internal_status, r.origin.sheet, r.origin.row as i64])?;
            }
            let mut a = tx.appender("m_payment_methods")?;
            for r in &m.payment_methods {
                a.append_row(params![r.mall, r.mall_name, r.internal, r.origin.sheet, r.origin.row as i64])?;
            }
            let mut a = tx.appender("m_prefectures")?;
            for r in &m.prefectures {
                a.append_row(params![r.jis_code, r.name, r.region, r.origin.sheet, r.origin.row as i64])?;
            }
            let mut a = tx.appender("m_carriers")?;
            for r in &m.carriers {
                a.append_row(params![r.name, r.rakuten_code, r.cool, r.origin.sheet, r.origin.row as i64])?;
            }
            let mut a = tx.appender("m_carrier_codes")?;
            for r in &m.carrier_codes {
                a.append_row(params![r.mall, r.carrier, r.code, r.origin.sheet, r.origin.row as i64])?;
            }
            let mut a = tx.appender("m_time_slots")?;
            for r in &m.time_slots {
                a.append_row(params![r.carrier, r.label, r.code, r.start_hour, r.end_hour, r.origin.sheet, r.origin.row as i64])?;
            }
            let mut a = tx.appender("m_logistics_companies")?;
            for r in &m.logistics_companies {
                a.append_row(params![r.name, r.origin_region, r.origin_prefecture, r.origin.sheet, r.origin.row as i64])?;
            }
            let mut a = tx.appender("m_delivery_conditions")?;
            for r in &m.delivery_conditions {
                a.append_row(params![
                    r.product_code,
                    r.logistics_company,
                    r.carrier,
                    r.preparation_days,
                    r.time_slots.join(","),
                    r.temperature,
                    r.origin.sheet,
                    r.origin.row as i64
                ])?;
            }
            let mut a = tx.appender("m_transit_days")?;
            for r in &m.transit_days {
                a.append_row(params![r.origin_region, r.prefecture, r.days, r.origin.sheet, r.origin.row as i64])?;
            }
            let mut a = tx.appender("m_option_addons")?;
            for r in &m.option_addons {
                a.append_row(params![r.product_code, r.item_name, r.choice, r.amount, r.origin.sheet, r.origin.row as i64])?;
            }
            let mut a = tx.appender("m_customer_ranks")?;
            for r in &m.customer_ranks {
                a.append_row(params![r.rank, r.min_total, r.min_count, r.priority, r.origin.sheet, r.origin.row as i64])?;
            }
            let mut a = tx.appender("m_shop_holidays")?;
            for r in &m.shop_holidays {
                a.append_row(params![r.date, r.reason, r.origin.sheet, r.origin.row as i64])?;
            }
            let mut a = tx.appender("m_closed_weekdays")?;
            for r in &m.closed_weekdays {
                a.append_row(params![r.weekday.num_days_from_monday() as i32, r.origin.sheet, r.origin.row as i64])?;
            }
            let mut a = tx.appender("m_delivery_methods")?;
            for r in &m.delivery_methods {
                a.append_row(params![
                    r.mall,
                    r.method,
                    r.carrier,
                    r.service,
                    r.temperature,
                    r.time_slots,
                    r.origin.sheet,
                    r.origin.row as i64
                ])?;
            }
            let mut a = tx.appender("m_national_holidays")?;
            for (date, name) in crate::domain::holidays::national_holidays() {
                a.append_row(params![date, name])?;
            }
        }
        tx.execute(
            "INSERT INTO shop_meta VALUES ('masters_fingerprint', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![fingerprint],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Reads the masters back (validate_masters, enrich, explain); empty when none were ever loaded.
    pub fn read_masters(&self) -> Result<Masters> {
        let c = &self.conn;
        let mut m = Masters::default();
        let sheets: BTreeMap<String, SheetSource> = {
            let mut st = c.prepare("SELECT sheet, file, headers FROM master_sheets")?;
            let rows = st.query_map([], |r| {
                let headers: String = r.get(2)?;
                Ok((r.get::<_, String>(0)?, SheetSource { file: r.get(1)?, headers: headers.split('\t').map(str::to_string).collect() }))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let origin = |sheet: String, row: i64| Origin {
            file: sheets.get(&sheet).map(|s| s.file.clone()).unwrap_or_default(),
            sheet,
            row: row as usize,
        };
        let mut st = c.prepare("SELECT mall, code, name, internal_status, src_sheet, src_row FROM m_order_statuses ORDER BY src_row")?;
        for r in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get::<_, i64>(5)?)))? {
            let (mall, code, name, internal_status, sh, row) = r?;
            m.order_statuses.push(OrderStatus { mall, code, name, internal_status, origin: origin(sh, row) });
        }
        let mut st = c.prepare("SELECT mall, mall_name, internal, src_sheet, src_row FROM m_payment_methods ORDER BY src_row")?;
        for r in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, i64>(4)?)))? {
            let (mall, mall_name, internal, sh, row) = r?;
            m.payment_methods.push(PaymentMethod { mall, mall_name, internal, origin: origin(sh, row) });
        }
        let mut st = c.prepare("SELECT jis_code, name, region, src_sheet, src_row FROM m_prefectures ORDER BY src_row")?;
        for r in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, i64>(4)?)))? {
            let (jis_code, name, region, sh, row) = r?;
            m.prefectures.push(PrefectureRow { jis_code, name, region, origin: origin(sh, row) });
        }
        let mut st = c.prepare("SELECT name, rakuten_code, cool, src_sheet, src_row FROM m_carriers ORDER BY src_row")?;
        for r in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, i64>(4)?)))? {
            let (name, rakuten_code, cool, sh, row) = r?;
            m.carriers.push(Carrier { name, rakuten_code, cool, origin: origin(sh, row) });
        }
        let mut st = c.prepare("SELECT mall, carrier, code, src_sheet, src_row FROM m_carrier_codes ORDER BY src_row")?;
        for r in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, i64>(4)?)))? {
            let (mall, carrier, code, sh, row) = r?;
            m.carrier_codes.push(CarrierCode { mall, carrier, code, origin: origin(sh, row) });
        }
        let mut st =
            c.prepare("SELECT carrier, label, code, start_hour, end_hour, src_sheet, src_row FROM m_time_slots ORDER BY src_row")?;
        for r in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get::<_, i64>(6)?)))? {
            let (carrier, label, code, start_hour, end_hour, sh, row) = r?;
            m.time_slots.push(TimeSlot { carrier, label, code, start_hour, end_hour, origin: origin(sh, row) });
        }
        let mut st =
            c.prepare("SELECT name, origin_region, origin_prefecture, src_sheet, src_row FROM m_logistics_companies ORDER BY src_row")?;
        for r in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, i64>(4)?)))? {
            let (name, origin_region, origin_prefecture, sh, row) = r?;
            m.logistics_companies.push(LogisticsCompany { name, origin_region, origin_prefecture, origin: origin(sh, row) });
        }
        let mut st = c.prepare(
        "SELECT product_code, logistics_company, carrier, preparation_days, time_slots, temperature, src_sheet, src_row FROM m_delivery_conditions ORDER BY src_row",
    )?;
        for r in st.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?, r.get(5)?, r.get(6)?, r.get::<_, i64>(7)?))
        })? {
            let (product_code, logistics_company, carrier, preparation_days, slots, temperature, sh, row) = r?;
            m.delivery_conditions.push(DeliveryCondition {
                product_code,
                logistics_company,
                carrier,
                preparation_days,
                time_slots: slots.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                temperature,
                origin: origin(sh, row),
            });
        }
        let mut st = c.prepare("SELECT origin_region, prefecture, days, src_sheet, src_row FROM m_transit_days ORDER BY src_row")?;
        for r in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, i64>(4)?)))? {
            let (origin_region, prefecture, days, sh, row) = r?;
            m.transit_days.push(TransitDays { origin_region, prefecture, days, origin: origin(sh, row) });
        }
        let mut st =
            c.prepare("SELECT product_code, item_name, choice, amount, src_sheet, src_row FROM m_option_addons ORDER BY src_row")?;
        for r in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get::<_, i64>(5)?)))? {
            let (product_code, item_name, choice, amount, sh, row) = r?;
            m.option_addons.push(OptionAddon { product_code, item_name, choice, amount, origin: origin(sh, row) });
        }
        let mut st = c.prepare("SELECT rank, min_total, min_count, priority, src_sheet, src_row FROM m_customer_ranks ORDER BY src_row")?;
        for r in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get::<_, i64>(5)?)))? {
            let (rank, min_total, min_count, priority, sh, row) = r?;
            m.customer_ranks.push(CustomerRank { rank, min_total, min_count, priority, origin: origin(sh, row) });
        }
        let mut st = c.prepare("SELECT strftime(date, '%Y-%m-%d'), reason, src_sheet, src_row FROM m_shop_holidays ORDER BY src_row")?;
        for r in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)?)))? {
            let (date, reason, sh, row) = r?;
            if let Ok(date) = NaiveDate::parse_from_str(&date, "%Y-%m-%d") {
                m.shop_holidays.push(ShopHoliday { date, reason, origin: origin(sh, row) });
            }
        }
        let mut st = c.prepare("SELECT weekday, src_sheet, src_row FROM m_closed_weekdays ORDER BY src_row")?;
        for r in st.query_map([], |r| Ok((r.get::<_, i32>(0)?, r.get(1)?, r.get::<_, i64>(2)?)))? {
            let (day, sh, row) = r?;
            if let Some(weekday) =
                [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun].get(day as usize)
            {
                m.closed_weekdays.push(ClosedWeekday { weekday: *weekday, origin: origin(sh, row) });
            }
        }
        let mut st = c.prepare(
            "SELECT mall, method, carrier, service, temperature, time_slots, src_sheet, src_row FROM m_delivery_methods ORDER BY src_row",
        )?;
        for r in
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get::<_, i64>(7)?)))?
        {
            let (mall, method, carrier, service, temperature, time_slots, sh, row) = r?;
            m.delivery_methods.push(DeliveryMethod { mall, method, carrier, service, temperature, time_slots, origin: origin(sh, row) });
        }
        m.sheets = sheets.clone();
        Ok(m)
    }

    /// The masters, or M000 at `stage` when none were ever loaded (a pipeline without load_masters on a new store).
    pub fn loaded_masters(&self, stage: Place, stage_kind: &str) -> Result<Result<Masters, Diagnostic>> {
        let masters = self.read_masters()?;
        if masters.sheets.is_empty() {
            return Ok(Err(Diagnostic::error("M000", "no masters in the store")
                .at(stage)
                .help(format!("put a load_masters stage before {stage_kind}"))));
        }
        Ok(Ok(masters))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(sheet: &str, row: usize) -> Origin {
        Origin { file: "masters.xlsx".into(), sheet: sheet.into(), row }
    }

    #[test]
    fn masters_read_back_as_written_and_m000_guards_an_empty_store() {
        let store = Store::in_memory().unwrap();
        let stage = Place::File("pipelines/demo.yaml".into());
        let missing = store.loaded_masters(stage.clone(), "enrich").unwrap().unwrap_err();
        assert_eq!((missing.code, missing.help.as_deref()), ("M000", Some("put a load_masters stage before enrich")));

        let mut m = Masters::default();
        for name in [sheet::ORDER_STATUSES, "配送条件", "休業日", "定休日", sheet::DELIVERY_METHODS] {
            m.sheets.insert(
                name.into(),
                SheetSource { file: "masters.xlsx".into(), headers: vec!["モール".into(), "ステータスコード".into()] },
            );
        }
        m.order_statuses.push(OrderStatus {
            mall: "rakuten".into(),
            code: "300".into(),
            name: "発送待ち".into(),
            internal_status: "出荷準備".into(),
            origin: origin(sheet::ORDER_STATUSES, 4),
        });
        m.delivery_conditions.push(DeliveryCondition {
            product_code: "NG-TWL-001".into(),
            logistics_company: "自社倉庫".into(),
            carrier: "ヤマト運輸".into(),
            preparation_days: 1,
            time_slots: vec!["0812".into(), "1416".into()],
            temperature: "常温".into(),
            origin: origin("配送条件", 2),
        });
        m.shop_holidays.push(ShopHoliday {
            date: NaiveDate::from_ymd_opt(2026, 12, 30).unwrap(),
            reason: "年末休業".into(),
            origin: origin("休業日", 2),
        });
        m.closed_weekdays.push(ClosedWeekday { weekday: Weekday::Sun, origin: origin("定休日", 2) });
        m.delivery_methods.push(DeliveryMethod {
            mall: "rakuten".into(),
            method: "メール便".into(),
            carrier: "ヤマト運輸".into(),
            service: "ネコポス".into(),
            temperature: "常温".into(),
            time_slots: false,
            origin: origin(sheet::DELIVERY_METHODS, 3),
        });
        store.write_masters(&m, &fingerprint(&m)).unwrap();

        let back = store.loaded_masters(stage, "enrich").unwrap().unwrap();
        assert_eq!(format!("{back:?}"), format!("{m:?}"));
        assert_eq!(store.meta("masters_fingerprint").unwrap(), Some(fingerprint(&m)));
        // National holidays are written with the masters, for the business calendar.
        let n: i64 = store.conn.query_row("SELECT count(*) FROM m_national_holidays", [], |r| r.get(0)).unwrap();
        assert!(n > 100, "{n}");
    }
}
