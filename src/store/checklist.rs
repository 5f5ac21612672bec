//! The store reads of the first-setup checklist (初期設定確認チェックシート), and [`evaluate`], which
//! the report stage and `juchu check --checklist` call.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::{DateTime, FixedOffset, NaiveDateTime};

use super::Store;
use crate::config::settings::Settings;
use crate::domain::checklist::{assess, ChecklistItem, Facts, FetchStage, MallSetup, NoStore, OrderGroup, StoreFacts};

/// Ship dates this close to the years whose national holidays are computed make S2 NG (as M011 warns).
const HOLIDAY_HORIZON_DAYS: i64 = 90;

/// Every checklist item, OK or NG with what to fix. `store` is None for a shop that has not run
/// yet: the store-based items are then NG, "run the pipeline once". A store that cannot be read
/// makes them NG with the reason, not an error.
pub fn evaluate(settings: &Settings, store: Option<&Store>, now: DateTime<FixedOffset>) -> Vec<ChecklistItem> {
    let today = now.with_timezone(&crate::domain::time::jst()).date_naive();
    // Linkage started with `juchu linkage enable` is in the store's history.
    let starts = store.and_then(|s| s.linkage_starts().ok()).unwrap_or_default();
    let store = match store {
        None => Err(NoStore::NotYet),
        // The first line only: DuckDB's messages run on for paragraphs.
        Some(s) => s.checklist_facts().map_err(|e| NoStore::Unreadable(format!("{e:#}").lines().next().unwrap_or_default().to_string())),
    };
    let facts = Facts {
        malls: mall_setups(settings, &starts),
        store,
        holidays_provisional_from: crate::domain::holidays::provisional_from(today, HOLIDAY_HORIZON_DAYS),
    };
    assess(&facts)
}

fn mall_setups(settings: &Settings, starts: &BTreeMap<String, NaiveDateTime>) -> Vec<MallSetup> {
    settings
        .malls
        .iter()
        .map(|(name, m)| {
            let sw = &m.switches;
            MallSetup {
                name: name.clone(),
                kind: m.mall_kind,
                shop_id: m.shop_id.as_deref().is_some_and(|s| !s.trim().is_empty()),
                endpoint: m.endpoint.as_ref().is_some_and(|e| !e.value.trim().is_empty()),
                credentials: m.credentials.keys().cloned().collect(),
                order_files: m.order_files.is_some(),
                order_import: sw.order_import,
                linkage: sw.linkage,
                stock_return_on_cancel: sw.stock_return_on_cancel,
                sender_address_auto_edit: sw.sender_address_auto_edit,
                auto_credit_authorization: sw.auto_credit_authorization,
                linkage_starts_at: starts.get(name).copied().or_else(|| {
                    m.linkage_starts_at
                        .as_ref()
                        .and_then(|s| DateTime::parse_from_rfc3339(&s.value).ok())
                        .map(|t| t.with_timezone(&crate::domain::time::jst()).naive_local())
                }),
                linkage_recorded: starts.contains_key(name),
            }
        })
        .collect()
}

/// A TIMESTAMP as `strftime` writes it.
fn wall_time(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap_or_default()
}

/// A TIMESTAMPTZ as DuckDB casts it to text without the ICU extension (`2026-11-28 01:00:00.5+00`),
/// in JST.
fn jst_time(text: &str) -> NaiveDateTime {
    let (time, offset) = text.rsplit_once(['+', '-']).filter(|(t, _)| t.len() >= 19).unwrap_or((text, "00"));
    let sign = if text[time.len()..].starts_with('-') { -1 } else { 1 };
    let hours: i64 = offset.split(':').next().and_then(|h| h.parse().ok()).unwrap_or(0);
    let wall = wall_time(time.get(..19).unwrap_or(time));
    wall - chrono::Duration::hours(sign * hours) + chrono::Duration::hours(9)
}

impl Store {
    /// What the checklist's store-based items look at.
    pub fn checklist_facts(&self) -> Result<StoreFacts> {
        let (products, options) = self.master_products()?;
        let mut st = self
            .conn
            .prepare("SELECT mall, count(*), count(*) FILTER (WHERE master_item_key IS NULL) FROM products GROUP BY mall ORDER BY mall")?;
        let products_per_mall: BTreeMap<String, (i64, i64)> =
            st.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?.collect::<Result<_, _>>()?;
        let national_holidays: i64 = self.conn.query_row("SELECT count(*) FROM m_national_holidays", [], |r| r.get(0))?;
        // clock_now is a TIMESTAMPTZ (UTC as text; epoch() and time zones need ICU, not bundled); shop times are JST.
        let fetch = |only_ok: bool| -> Result<Option<FetchStage>> {
            let filter = if only_ok { "AND s.status IN ('ok', 'warnings')" } else { "" };
            let mut st = self.conn.prepare(&format!(
                "SELECT r.run_id, r.clock_now::VARCHAR, s.status FROM run_stages s JOIN runs r USING (run_id)
                 WHERE s.kind = 'fetch_orders' {filter} ORDER BY r.run_id DESC, s.seq DESC LIMIT 1"
            ))?;
            let mut rows =
                st.query_map([], |r| Ok(FetchStage { run_id: r.get(0)?, at: jst_time(&r.get::<_, String>(1)?), status: r.get(2)? }))?;
            Ok(rows.next().transpose()?)
        };
        let (last_ok_fetch, last_fetch) = (fetch(true)?, fetch(false)?);
        let mut st = self.conn.prepare(
            "SELECT mall, mall_status, coalesce(cancelled, false), strftime(fetched_at, '%Y-%m-%d %H:%M:%S'), house_status, count(*)
             FROM orders GROUP BY ALL ORDER BY ALL",
        )?;
        let orders = st
            .query_map([], |r| {
                Ok(OrderGroup {
                    mall: r.get(0)?,
                    mall_status: r.get(1)?,
                    cancelled: r.get(2)?,
                    fetched_at: wall_time(&r.get::<_, String>(3)?),
                    house_status: r.get(4)?,
                    count: r.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(StoreFacts {
            master_mall: self.meta("master_mall")?,
            products,
            options,
            products_per_mall,
            masters: self.read_masters()?,
            national_holidays,
            last_ok_fetch,
            last_fetch,
            orders,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_store_reads_as_nothing_yet_and_orders_keep_their_jst_times() {
        let store = Store::in_memory().unwrap();
        let f = store.checklist_facts().unwrap();
        assert!(f.master_mall.is_none() && f.products.is_empty() && f.orders.is_empty() && f.last_fetch.is_none());
        store
            .conn
            .execute_batch(
                "INSERT INTO runs VALUES (1, 'p.yaml', TIMESTAMPTZ '2026-11-28 01:00:00+00', NULL, TIMESTAMPTZ '2026-11-28 01:00:00+00', 'ok', 0);
                 INSERT INTO run_stages (run_id, seq, stage_id, kind, status) VALUES (1, 1, 'orders', 'fetch_orders', 'failed');",
            )
            .unwrap();
        let f = store.checklist_facts().unwrap();
        assert!(f.last_ok_fetch.is_none());
        let last = f.last_fetch.unwrap();
        assert_eq!((last.status.as_str(), last.at.to_string().as_str()), ("failed", "2026-11-28 10:00:00"));
    }
}
