//! Stage `enrich` (S2, S5–S7, S10): every order gets its logistics company, carrier, shipping date,
//! delivery date and slot, sender, payment method, option amounts, fees and billing total, each
//! with where it came from, and the ten import checks are stored per order (`order_checks`).
//!
//! New and changed orders are enriched on every run; `juchu run --replay` re-enriches every stored
//! order after rules or masters changed, and the summary says how many orders' values changed.

use std::collections::HashMap;

use chrono::NaiveTime;
use duckdb::params;
use serde::Deserialize;

use super::{CheckContext, Preview, RunContext, StageError, StageOutcome};
use crate::config::diagnostic::Diagnostic;
use crate::config::yaml::Spanned;
use crate::domain::calendar::BusinessCalendar;
use crate::domain::enrichment::{CheckResult, CHECK_NAMES};
use crate::domain::order::Order;
use crate::rules::enrich::{Enricher, History, ShopFacts};
use crate::rules::table::DecisionTable;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrichConfig {
    /// Decision tables, applied in this order after the masters (paths relative to the pipeline).
    #[serde(default)]
    pub rules: Vec<Spanned<String>>,
}

impl EnrichConfig {
    fn tables(&self, resolve: impl Fn(&str) -> std::path::PathBuf) -> (Vec<DecisionTable>, Vec<Diagnostic>) {
        let mut tables = Vec::new();
        let mut diags = Vec::new();
        for r in &self.rules {
            match DecisionTable::load(&resolve(&r.value)) {
                Ok((t, warnings)) => {
                    tables.extend(t);
                    diags.extend(warnings);
                }
                Err(d) => diags.extend(d),
            }
        }
        (tables, diags)
    }

    pub fn check(&self, cx: &mut CheckContext<'_>) -> Vec<Diagnostic> {
        self.tables(|p| cx.pipeline.resolve(p)).1
    }

    pub fn run(&self, cx: &RunContext<'_>) -> Result<StageOutcome, StageError> {
        let (tables, diags) = self.tables(|p| cx.resolve(p));
        if diags.iter().any(Diagnostic::is_error) {
            return Err(StageError::Input(diags));
        }
        let masters = super::load_masters::read_masters(cx.store)?;
        if masters.sheets.is_empty() {
            return Err(Diagnostic::error("M000", "no masters in the store")
                .in_file(&cx.pipeline.file.path)
                .help("put a load_masters stage before enrich")
                .into());
        }
        let cutoff = cx
            .settings
            .shop
            .same_day_cutoff
            .as_ref()
            .and_then(|c| NaiveTime::parse_from_str(&c.value, "%H:%M").ok())
            .unwrap_or_else(|| NaiveTime::from_hms_opt(12, 0, 0).expect("noon"));
        let calendar =
            BusinessCalendar::new(masters.shop_holidays.iter().map(|h| h.date), masters.closed_weekdays.iter().map(|w| w.weekday), cutoff);
        let sender = &cx.settings.shop.sender;
        let shop = ShopFacts {
            origin_region: cx.settings.shop.origin_region.value.clone(),
            sender: format!("{} 〒{} {}{}", sender.name, sender.postal_code.value, sender.prefecture.value, sender.address),
            sender_auto_edit: cx.settings.malls.iter().map(|(n, m)| (n.clone(), m.switches.sender_address_auto_edit)).collect(),
        };
        let kinds: HashMap<&str, &str> = cx.settings.malls.iter().map(|(n, m)| (n.as_str(), m.mall_kind.as_str())).collect();
        let enricher = Enricher::new(&masters, &calendar, &shop, &tables);

        // The orders to enrich, with the customer's history before each (by orderer name and phone).
        let filter = if cx.replay { "TRUE" } else { "e.order_number IS NULL OR o.last_changed_run > e.enriched_run" };
        let sql = format!(
            "WITH h AS (
                SELECT mall, shop, order_number,
                    count(*) OVER w - 1 AS orders_before,
                    coalesce(sum(billing_total) OVER w, 0) - coalesce(billing_total, 0) AS total_before
                FROM orders
                WINDOW w AS (PARTITION BY orderer_name ORDER BY ordered_at, order_number ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))
             SELECT o.mall, o.normalized, h.orders_before, h.total_before, e.fingerprint
             FROM orders o JOIN h USING (mall, shop, order_number)
             LEFT JOIN order_enrichment e USING (mall, shop, order_number)
             WHERE {filter}"
        );
        let started = std::time::Instant::now();
        // Orders stream from a second connection while this one writes: memory stays flat however
        // many orders there are.
        let reader = cx.store.conn.try_clone().map_err(anyhow::Error::from)?;
        let mut stmt = reader.prepare(&sql).map_err(anyhow::Error::from)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?, r.get::<_, Option<i64>>(4)?))
            })
            .map_err(anyhow::Error::from)?;
        let mut enriched = 0u64;

        let tx = cx.store.conn.unchecked_transaction().map_err(anyhow::Error::from)?;
        tx.execute_batch(
            "CREATE OR REPLACE TEMP TABLE stage_enrichment AS SELECT * EXCLUDE (enriched_run) FROM order_enrichment LIMIT 0;
             CREATE OR REPLACE TEMP TABLE stage_checks AS SELECT * FROM order_checks LIMIT 0;",
        )
        .map_err(anyhow::Error::from)?;
        let (mut changed, mut with_failures) = (0u64, 0u64);
        let mut failed_by_check = [0u64; 10];
        {
            let mut enr = tx.appender_to_catalog_and_db("stage_enrichment", "temp", "main").map_err(anyhow::Error::from)?;
            let mut chk = tx.appender_to_catalog_and_db("stage_checks", "temp", "main").map_err(anyhow::Error::from)?;
            for row in rows {
                let (mall, normalized, orders_before, total_before, old_fingerprint) = row.map_err(anyhow::Error::from)?;
                enriched += 1;
                let order: Order =
                    serde_json::from_str(&normalized).map_err(|e| anyhow::anyhow!("order of {mall} in the store is unreadable: {e}"))?;
                let kind = kinds.get(mall.as_str()).copied().unwrap_or(mall.as_str());
                let out = enricher.enrich(&order, kind, History { orders: orders_before, total: total_before });
                let e = &out.enrichment;
                let json = serde_json::to_string(e).expect("an enrichment serialises");
                let fingerprint = crate::domain::fnv1a(crate::domain::FNV_START, json.as_bytes()) as i64;
                if old_fingerprint.is_some_and(|f| f != fingerprint) {
                    changed += 1;
                }
                let failed = out.checks.iter().filter(|c| c.result == CheckResult::Fail).count();
                if failed > 0 {
                    with_failures += 1;
                }
                enr.append_row(params![
                    order.mall,
                    order.shop,
                    order.order_number,
                    e.logistics_company.value,
                    e.carrier.value,
                    e.temperature,
                    e.ship_date.value.map(|d| d.to_string()),
                    e.desired_date.value.map(|d| d.to_string()),
                    e.desired_time_slot.value,
                    e.sender.value,
                    e.payment_method.value,
                    e.option_total.value,
                    e.shipping_fee.value,
                    e.cod_fee.value,
                    e.payment_fee.value,
                    e.billing_total.value,
                    e.customer_rank.value,
                    failed as i32,
                    json,
                    out.fired.join(", "),
                    fingerprint,
                ])
                .map_err(anyhow::Error::from)?;
                let id = format!("{}/{}/{}", order.mall, order.shop, order.order_number);
                for c in &out.checks {
                    if c.result == CheckResult::Fail {
                        failed_by_check[c.no as usize - 1] += 1;
                    }
                    chk.append_row(params![
                        id,
                        order.mall,
                        order.shop,
                        order.order_number,
                        c.no as i32,
                        CHECK_NAMES[c.no as usize - 1],
                        c.result.as_str(),
                        c.reason
                    ])
                    .map_err(anyhow::Error::from)?;
                }
            }
        }
        log::debug!("enrich: {enriched} orders read, enriched and staged in {} ms", started.elapsed().as_millis());
        if cx.replay {
            // Every order was re-enriched: replace the tables whole (much cheaper than a join delete).
            tx.execute_batch("DELETE FROM order_enrichment; DELETE FROM order_checks;").map_err(anyhow::Error::from)?;
        }
        tx.execute_batch(
            "DELETE FROM order_enrichment e USING stage_enrichment s WHERE e.mall = s.mall AND e.shop = s.shop AND e.order_number = s.order_number;
             DELETE FROM order_checks c USING stage_enrichment s WHERE c.mall = s.mall AND c.shop = s.shop AND c.order_number = s.order_number;
             INSERT INTO order_checks SELECT * FROM stage_checks;",
        )
        .map_err(anyhow::Error::from)?;
        tx.execute("INSERT INTO order_enrichment SELECT *, ? FROM stage_enrichment", params![cx.run_id]).map_err(anyhow::Error::from)?;
        tx.execute_batch("DROP TABLE temp.stage_enrichment; DROP TABLE temp.stage_checks;").map_err(anyhow::Error::from)?;
        tx.commit().map_err(anyhow::Error::from)?;
        log::debug!("enrich: written and committed at {} ms", started.elapsed().as_millis());

        let per_check: Vec<String> =
            failed_by_check.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, n)| format!("{} {}×{n}", i + 1, CHECK_NAMES[i])).collect();
        let mut message = format!(
            "{} orders enriched{}; {with_failures} with a failed check{}",
            enriched,
            if cx.replay { format!(" (replay: {changed} changed)") } else { String::new() },
            if per_check.is_empty() { String::new() } else { format!(" (checks failed: {})", per_check.join(", ")) }
        );
        if !tables.is_empty() {
            message.push_str(&format!("; {} rule table(s)", tables.len()));
        }
        Ok(StageOutcome { rows_in: enriched, rows_out: enriched, rows_changed: changed, message, warnings: diags, ..Default::default() })
    }

    pub fn preview(&self, cx: &RunContext<'_>, limit: usize) -> Result<Preview, StageError> {
        let mut stmt = cx
            .store
            .conn
            .prepare(
                "SELECT mall, order_number, coalesce(carrier, '-'), coalesce(strftime(ship_date, '%Y-%m-%d'), '-'), coalesce(payment_method, '-'),
                    coalesce(billing_total::VARCHAR, '-'), checks_failed::VARCHAR
                 FROM order_enrichment ORDER BY checks_failed DESC, order_number LIMIT ?",
            )
            .map_err(anyhow::Error::from)?;
        let rows = stmt
            .query_map(params![limit as i64], |r| (0..7).map(|i| r.get::<_, String>(i)).collect::<Result<Vec<_>, _>>())
            .map_err(anyhow::Error::from)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(anyhow::Error::from)?;
        let total: i64 = cx.store.conn.query_row("SELECT count(*) FROM order_enrichment", [], |r| r.get(0)).map_err(anyhow::Error::from)?;
        Ok(Preview {
            table: "order_enrichment (stored)".into(),
            columns: ["mall", "order_number", "carrier", "ship_date", "payment_method", "billing_total", "checks_failed"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows,
            total: total as usize,
        })
    }
}
