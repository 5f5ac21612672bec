//! Stage `enrich` (S2, S5–S7, S10): every order gets its logistics company, carrier, shipping date,
//! delivery date and slot, sender, payment method, option amounts, fees and billing total, each
//! with where it came from, and the ten import checks are stored per order (`order_checks`).
//!
//! New and changed orders are enriched on every run; `juchu run --replay` re-enriches every stored
//! order after rules or masters changed, and the summary says how many orders' values changed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{NaiveTime, TimeZone};
use duckdb::arrow::array::{Array, BooleanArray, Date32Array, Int64Array, ListArray, StringArray};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::params;
use serde::Deserialize;

use super::{CheckContext, Preview, Resource, RunContext, Stage, StageError, StageOutcome};
use crate::config::diagnostic::Diagnostic;
use crate::config::yaml::Spanned;
use crate::domain::calendar::BusinessCalendar;
use crate::domain::checks::{CheckNo, CheckResult};
use crate::domain::fields::{self, Column, Field, StoredValue};
use crate::domain::order::{Amount, Amounts, DesiredDelivery, MallDelivery, MallExtras, MallTax, Order, OrderItem, Party, Shipment};
use crate::domain::time::jst;
use crate::rules::enrich::{Enriched, Enricher, History, ShopFacts};
use crate::rules::table::DecisionTable;
use crate::store::columns::{self, Batch, RowBuilder};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrichConfig {
    /// Decision tables, applied in this order after the masters (paths relative to the pipeline).
    #[serde(default)]
    pub rules: Vec<Spanned<String>>,
    /// 同梱: orders for one recipient placed within this many hours of the first are proposed as one
    /// parcel (0: never). Proposed here, before any mail, so a proposal holds the orders' slips.
    #[serde(default = "default_merge_window")]
    pub merge_window_hours: u32,
}

fn default_merge_window() -> u32 {
    72
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
}

impl Stage for EnrichConfig {
    fn needs(&self) -> &'static [Resource] {
        &[Resource::Masters, Resource::Orders]
    }

    fn provides(&self) -> &'static [Resource] {
        &[Resource::Enrichment]
    }

    fn check(&self, cx: &mut CheckContext<'_>) -> Vec<Diagnostic> {
        self.tables(|p| cx.env.resolve(p)).1
    }

    fn run(&self, cx: &RunContext<'_>) -> Result<StageOutcome, StageError> {
        // A cron poll with no order to enrich, the rule files and masters as at the last run that
        // compiled them cleanly: nothing to do, and nothing to compile again.
        let stamp = if cx.replay { None } else { self.stamp(cx)? };
        if stamp.is_some() && cx.store.meta("enrich_stamp")? == stamp {
            let todo: i64 = cx.store.conn.query_row(
                "SELECT count(*) FROM orders o LEFT JOIN order_enrichment e
                    ON e.mall = o.mall AND e.shop = o.shop AND e.order_number = o.order_number AND e.shipment_no = 1
                 WHERE e.order_number IS NULL OR o.last_changed_run > e.enriched_run",
                [],
                |r| r.get(0),
            )?;
            if todo == 0 {
                return Ok(StageOutcome {
                    message: crate::domain::lang::pick(
                        "付加情報を付ける新規・変更の受注はありません（ルールとマスタは前回のまま）",
                        "no new or changed order to enrich (rules and masters as last time)",
                    ),
                    ..Default::default()
                });
            }
        }
        let outcome = self.enrich(cx)?;
        let clean = outcome.warnings.iter().all(|w| !w.code.starts_with('R'));
        match (stamp, clean) {
            (Some(stamp), true) => {
                cx.store.conn.execute(
                    "INSERT INTO shop_meta VALUES ('enrich_stamp', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    duckdb::params![stamp],
                )?;
            }
            _ => {
                cx.store.conn.execute("DELETE FROM shop_meta WHERE key = 'enrich_stamp'", [])?;
            }
        }
        Ok(outcome)
    }

    fn preview(&self, cx: &RunContext<'_>, limit: usize) -> Result<Preview, StageError> {
        self.preview_rows(cx, limit)
    }
}

impl EnrichConfig {
    /// The rule files' bytes and the masters' fingerprint; None when a file cannot be read.
    fn stamp(&self, cx: &RunContext<'_>) -> Result<Option<String>, StageError> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for r in &self.rules {
            match std::fs::read(cx.resolve(&r.value)) {
                Ok(bytes) => (&r.value, bytes).hash(&mut h),
                Err(_) => return Ok(None),
            }
        }
        cx.store.meta("masters_fingerprint")?.hash(&mut h);
        Ok(Some(format!("{:016x}", h.finish())))
    }

    fn enrich(&self, cx: &RunContext<'_>) -> Result<StageOutcome, StageError> {
        let (tables, diags) = self.tables(|p| cx.resolve(p));
        if diags.iter().any(Diagnostic::is_error) {
            return Err(StageError::Input(diags));
        }
        let masters = cx.store.loaded_masters(cx.env.stage_place(), &cx.env.spec.kind)??;
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
            tax_rounding: cx.settings.shop.tax_rounding(),
            lang: crate::domain::lang::current(),
        };
        let kinds: HashMap<&str, &str> = cx.settings.malls.iter().map(|(n, m)| (n.as_str(), m.mall_kind.name())).collect();
        let (products, _) = cx.store.master_products()?;
        let enricher = Enricher::new(&masters, &calendar, &shop, &tables).with_products(&products);
        let started = Instant::now();

        let tx = cx.store.conn.unchecked_transaction().map_err(anyhow::Error::from)?;
        // The orders to enrich are read from a second connection, on a thread of its own so the
        // store reads ahead while orders are enriched and appended: it sees the store as
        // committed, so the rows this transaction deletes below are still read.
        let reader = cx.store.conn.try_clone().map_err(anyhow::Error::from)?;
        let sql = orders_sql(cx.replay);
        if cx.replay && crate::io::progress::enabled() {
            // A terminal's progress bar for the replay: every stored order is enriched again.
            let total: i64 = tx.query_row("SELECT count(*) FROM orders", [], |r| r.get(0)).map_err(anyhow::Error::from)?;
            crate::io::progress::set_length(total as u64, &crate::domain::lang::pick("受注", "orders"));
        }
        if cx.replay {
            tx.execute_batch("DELETE FROM order_enrichment").map_err(anyhow::Error::from)?;
        } else {
            tx.execute_batch(
                "DELETE FROM order_enrichment e USING orders o
                 WHERE o.mall = e.mall AND o.shop = e.shop AND o.order_number = e.order_number AND o.last_changed_run > e.enriched_run",
            )
            .map_err(anyhow::Error::from)?;
        }
        write_check_names(&tx)?;
        if cx.replay {
            // Every order is enriched again: texts only old rows used go too.
            tx.execute_batch("DELETE FROM check_reasons").map_err(anyhow::Error::from)?;
        }
        let reasons = Reasons::read(&tx)?;
        let template = RowBuilder::for_table(&tx, "order_enrichment")?;
        let stored_fields = stored_in_table_order(&template)?;
        let mut appender = tx.appender("order_enrichment").map_err(anyhow::Error::from)?;
        let mut reason_appender = tx.appender("check_reasons").map_err(anyhow::Error::from)?;
        // Three stages run at once, so every core has work: a thread reads batches of orders from
        // the store, one thread per core enriches them into rows, and this thread appends the rows.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
        let run_id = cx.run_id;
        let enrich_batch = |batch: &RecordBatch| -> anyhow::Result<(RecordBatch, Tally, HashMap<String, i32>)> {
            let mut out = template.fresh();
            let mut tally = Tally::default();
            let mut batch_reasons = BatchReasons { shared: &reasons, new: HashMap::new() };
            let stored = StoredOrders::read(&Batch::new(batch))?;
            for i in 0..stored.rows {
                let (order, history, old_fingerprint) = stored.order(i);
                let kind = kinds.get(order.mall.as_str()).copied().unwrap_or(order.mall.as_str());
                let rows = enricher.enrich(&order, kind, history);
                let fingerprint = fingerprint_of(&rows);
                tally.add(&rows, fingerprint, old_fingerprint);
                for (k, enriched) in rows.iter().enumerate() {
                    write_row(&mut out, &mut batch_reasons, &stored_fields, &order, (k + 1, enriched), fingerprint, run_id);
                }
            }
            Ok((out.finish()?, tally, batch_reasons.new))
        };
        let (send_batch, batches) = std::sync::mpsc::sync_channel::<anyhow::Result<RecordBatch>>(2 * threads);
        // Shared by the enriching threads; emptied when this thread stops, so the reader stops too.
        let batches = std::sync::Mutex::new(Some(batches));
        let mut tally = Tally::default();
        let (mut waiting, mut appending) = (Duration::ZERO, Duration::ZERO);
        std::thread::scope(|s| -> anyhow::Result<()> {
            let _close = CloseOnDrop(&batches);
            s.spawn(move || {
                let read = || -> anyhow::Result<()> {
                    let mut stmt = reader.prepare(&sql)?;
                    for batch in stmt.stream_arrow([])? {
                        if send_batch.send(batch.map_err(anyhow::Error::from)).is_err() {
                            return Ok(()); // the stage stopped on an error of its own
                        }
                    }
                    Ok(())
                };
                if let Err(e) = read() {
                    let _ = send_batch.send(Err(e.context("reading the orders to enrich")));
                }
            });
            let (send_rows, rows) =
                std::sync::mpsc::sync_channel::<anyhow::Result<(RecordBatch, Tally, HashMap<String, i32>)>>(2 * threads);
            for _ in 0..threads {
                let (send_rows, batches, enrich_batch) = (send_rows.clone(), &batches, &enrich_batch);
                s.spawn(move || loop {
                    let next = match batches.lock().map(|b| b.as_ref().map(|b| b.recv())) {
                        Ok(Some(Ok(next))) => next,
                        _ => return, // read to the end, or stopped
                    };
                    let done = next.and_then(|batch| enrich_batch(&batch));
                    let failed = done.is_err();
                    if send_rows.send(done).is_err() || failed {
                        return;
                    }
                });
            }
            drop(send_rows);
            let mut clock = Instant::now();
            for part in rows {
                let (rows, t, new_reasons) = part?;
                waiting += clock.elapsed();
                clock = Instant::now();
                crate::io::progress::inc(t.enriched);
                tally.merge(&t);
                appender.append_record_batch(rows)?;
                for (text, id) in &new_reasons {
                    reason_appender.append_row(params![id, text])?;
                }
                appending += clock.elapsed();
                clock = Instant::now();
            }
            Ok(())
        })?;
        log::debug!(
            "enrich: {} orders in {} ms: waiting for enriched rows {} ms, appending {} ms ({threads} enriching threads)",
            tally.enriched,
            started.elapsed().as_millis(),
            waiting.as_millis(),
            appending.as_millis()
        );
        appender.flush().map_err(anyhow::Error::from)?;
        reason_appender.flush().map_err(anyhow::Error::from)?;
        drop((appender, reason_appender));
        log::debug!("enrich: appended at {} ms", started.elapsed().as_millis());
        // 保留 and 同梱 are decided here, in the enrichment's transaction: before any mail stage.
        let newly_held = crate::store::shipping::sync_rule_holds(&tx, run_id, cx.now)?;
        let proposed = if self.merge_window_hours > 0 {
            let never: Vec<String> =
                cx.settings.malls.iter().filter(|(_, m)| m.mall_kind.name() == "amazon").map(|(n, _)| n.clone()).collect();
            let window = chrono::Duration::hours(self.merge_window_hours as i64);
            crate::store::shipping::propose_merges(&tx, &never, window, run_id, cx.now)?
        } else {
            0
        };
        tx.commit().map_err(anyhow::Error::from)?;
        log::debug!("enrich: committed at {} ms", started.elapsed().as_millis());
        let mut outcome = tally.outcome(cx.replay, tables.len(), diags);
        let lang = crate::domain::lang::current();
        if newly_held > 0 {
            outcome.message.push_str(&crate::domain::checks::say!(lang, "；保留{newly_held}件", "; {newly_held} newly held"));
        }
        if proposed > 0 {
            outcome.message.push_str(&crate::domain::checks::say!(lang, "；同梱候補{proposed}組", "; {proposed} merge proposal(s)"));
        }
        Ok(outcome)
    }

    fn preview_rows(&self, cx: &RunContext<'_>, limit: usize) -> Result<Preview, StageError> {
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

/// The orders to enrich (all of them on a replay, else the new and changed ones), with their
/// items and shipments as lists and the customer's history before each (by customer key).
fn orders_sql(replay: bool) -> String {
    let (todo, only_todo_customers, only_todo_items, only_todo_shipments) = if replay {
        (
            "SELECT o.mall, o.shop, o.order_number, e.fingerprint FROM orders o
             LEFT JOIN order_enrichment e ON e.mall = o.mall AND e.shop = o.shop AND e.order_number = o.order_number AND e.shipment_no = 1",
            "",
            "",
            "",
        )
    } else {
        (
            "SELECT o.mall, o.shop, o.order_number, e.fingerprint FROM orders o
             LEFT JOIN order_enrichment e ON e.mall = o.mall AND e.shop = o.shop AND e.order_number = o.order_number AND e.shipment_no = 1
             WHERE e.order_number IS NULL OR o.last_changed_run > e.enriched_run",
            "AND customer_key IN (SELECT o.customer_key FROM orders o JOIN todo USING (mall, shop, order_number))",
            "WHERE EXISTS (SELECT 1 FROM todo t WHERE t.mall = it.mall AND t.shop = it.shop AND t.order_number = it.order_number)",
            "WHERE EXISTS (SELECT 1 FROM todo t WHERE t.mall = sh.mall AND t.shop = sh.shop AND t.order_number = sh.order_number)",
        )
    };
    format!(
        "WITH todo AS ({todo}),
         history AS (
            SELECT mall, shop, order_number,
                count(*) OVER w - 1 AS orders_before,
                coalesce(sum(billing_total) OVER w, 0) - coalesce(billing_total, 0) AS total_before
            FROM orders WHERE customer_key IS NOT NULL AND NOT coalesce(cancelled, false) {only_todo_customers}
            WINDOW w AS (PARTITION BY hash(customer_key) ORDER BY ordered_at, order_number ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)),
         items AS (
            SELECT mall, shop, order_number, list(line_no) AS item_line, list(product_code) AS item_code,
                list(options_text) AS item_options, list(unit_price) AS item_price, list(quantity) AS item_quantity,
                list(option_price) AS item_option_price, list(tax_rate) AS item_tax_rate, list(tax_excluded) AS item_tax_excluded,
                list(coalesce(shipment_no, 1)) AS item_shipment, list(item_key) AS item_key
            FROM order_items it {only_todo_items}
            GROUP BY mall, shop, order_number),
         several AS (SELECT mall, shop, order_number FROM orders WHERE shipment_count > 1),
         shipments AS (
            SELECT mall, shop, order_number, list(shipment_no) AS ship_no, list(ship_to_name) AS ship_name,
                list(ship_to_prefecture) AS ship_prefecture, list(ship_to_postal_code) AS ship_postal_code,
                list(address_pending) AS ship_pending, list(postage) AS ship_postage, list(remote_island) AS ship_remote_island,
                list(delivery_method) AS ship_method, list(delivery_temperature) AS ship_temperature, list(delivery_source) AS ship_source
            FROM order_shipments sh JOIN several USING (mall, shop, order_number) {only_todo_shipments}
            GROUP BY mall, shop, order_number)
         SELECT o.mall, o.shop, o.order_number, o.ordered_at, o.mall_status, o.orderer_prefecture, o.ship_to_prefecture, o.is_gift,
            o.payment_method, o.desired_date, o.desired_time_slot, o.desired_source, o.remarks, o.ship_to_postal_code, o.remote_island,
            o.goods, o.shipping, o.cod_fee, o.payment_fee, o.coupons, o.points, o.billing_total,
            coalesce(o.cancelled, false) AS cancelled, o.customer_key, o.amounts_absent, o.additional_fee, o.postage_included,
            o.mall_tax_10, o.mall_tax_8, o.wrapping, o.ship_to_name, o.address_pending, o.delivery_method, o.delivery_temperature,
            o.delivery_source,
            h.orders_before, h.total_before, todo.fingerprint AS old_fingerprint,
            i.item_line, i.item_code, i.item_options, i.item_price, i.item_quantity, i.item_option_price, i.item_tax_rate, i.item_tax_excluded,
            i.item_shipment, i.item_key,
            s.ship_no, s.ship_name, s.ship_prefecture, s.ship_postal_code, s.ship_pending, s.ship_postage, s.ship_remote_island,
            s.ship_method, s.ship_temperature, s.ship_source
         FROM todo JOIN orders o USING (mall, shop, order_number)
         LEFT JOIN history h USING (mall, shop, order_number)
         LEFT JOIN items i USING (mall, shop, order_number)
         LEFT JOIN shipments s USING (mall, shop, order_number)"
    )
}

/// One batch of stored orders, as columns.
struct StoredOrders {
    rows: usize,
    mall: StringArray,
    shop: StringArray,
    order_number: StringArray,
    ordered_at: Int64Array,
    mall_status: StringArray,
    orderer_prefecture: StringArray,
    is_gift: BooleanArray,
    payment_method: StringArray,
    desired_date: Date32Array,
    desired_time_slot: StringArray,
    desired_source: StringArray,
    remarks: StringArray,
    amounts: [Int64Array; 7],
    cancelled: BooleanArray,
    customer_key: StringArray,
    amounts_absent: StringArray,
    additional_fee: Int64Array,
    postage_included: BooleanArray,
    mall_tax: [Int64Array; 2],
    wrapping: Int64Array,
    orders_before: Int64Array,
    total_before: Int64Array,
    old_fingerprint: Int64Array,
    item_lists: ListArray,
    item_line: Int64Array,
    item_code: StringArray,
    item_key: StringArray,
    item_options: StringArray,
    item_price: Int64Array,
    item_quantity: Int64Array,
    item_option_price: Int64Array,
    item_tax_rate: Int64Array,
    item_tax_excluded: BooleanArray,
    item_shipment: Int64Array,
    ship_lists: ListArray,
    ship_no: Int64Array,
    ship_name: StringArray,
    ship_prefecture: StringArray,
    ship_postal_code: StringArray,
    ship_pending: BooleanArray,
    ship_postage: Int64Array,
    ship_remote_island: BooleanArray,
    ship_method: StringArray,
    ship_temperature: StringArray,
    ship_source: StringArray,
    /// A one-destination order's shipment, from `orders` (order_shipments is read only for orders of several).
    ship_to_name: StringArray,
    ship_to_prefecture: StringArray,
    ship_to_postal_code: StringArray,
    remote_island: BooleanArray,
    address_pending: BooleanArray,
    delivery_method: StringArray,
    delivery_temperature: StringArray,
    delivery_source: StringArray,
}

const AMOUNTS: [&str; 7] = ["goods", "shipping", "cod_fee", "payment_fee", "coupons", "points", "billing_total"];

impl StoredOrders {
    fn read(b: &Batch<'_>) -> anyhow::Result<StoredOrders> {
        let item_lists = b.list("item_line")?;
        let ship_lists = b.list("ship_no")?;
        Ok(StoredOrders {
            rows: b.rows(),
            mall: b.texts("mall")?,
            shop: b.texts("shop")?,
            order_number: b.texts("order_number")?,
            ordered_at: b.timestamps("ordered_at")?,
            mall_status: b.texts("mall_status")?,
            orderer_prefecture: b.texts("orderer_prefecture")?,
            is_gift: b.bools("is_gift")?,
            payment_method: b.texts("payment_method")?,
            desired_date: b.dates("desired_date")?,
            desired_time_slot: b.texts("desired_time_slot")?,
            desired_source: b.texts("desired_source")?,
            remarks: b.texts("remarks")?,
            amounts: [
                b.ints(AMOUNTS[0])?,
                b.ints(AMOUNTS[1])?,
                b.ints(AMOUNTS[2])?,
                b.ints(AMOUNTS[3])?,
                b.ints(AMOUNTS[4])?,
                b.ints(AMOUNTS[5])?,
                b.ints(AMOUNTS[6])?,
            ],
            cancelled: b.bools("cancelled")?,
            customer_key: b.texts("customer_key")?,
            amounts_absent: b.texts("amounts_absent")?,
            additional_fee: b.ints("additional_fee")?,
            postage_included: b.bools("postage_included")?,
            mall_tax: [b.ints("mall_tax_10")?, b.ints("mall_tax_8")?],
            wrapping: b.ints("wrapping")?,
            orders_before: b.ints("orders_before")?,
            total_before: b.ints("total_before")?,
            old_fingerprint: b.ints("old_fingerprint")?,
            item_line: columns::list_ints(&item_lists)?,
            item_code: columns::list_texts(&b.list("item_code")?)?,
            item_key: columns::list_texts(&b.list("item_key")?)?,
            item_options: columns::list_texts(&b.list("item_options")?)?,
            item_price: columns::list_ints(&b.list("item_price")?)?,
            item_quantity: columns::list_ints(&b.list("item_quantity")?)?,
            item_option_price: columns::list_ints(&b.list("item_option_price")?)?,
            item_tax_rate: columns::list_ints(&b.list("item_tax_rate")?)?,
            item_tax_excluded: columns::list_bools(&b.list("item_tax_excluded")?)?,
            item_shipment: columns::list_ints(&b.list("item_shipment")?)?,
            item_lists,
            ship_no: columns::list_ints(&ship_lists)?,
            ship_name: columns::list_texts(&b.list("ship_name")?)?,
            ship_prefecture: columns::list_texts(&b.list("ship_prefecture")?)?,
            ship_postal_code: columns::list_texts(&b.list("ship_postal_code")?)?,
            ship_pending: columns::list_bools(&b.list("ship_pending")?)?,
            ship_postage: columns::list_ints(&b.list("ship_postage")?)?,
            ship_remote_island: columns::list_bools(&b.list("ship_remote_island")?)?,
            ship_method: columns::list_texts(&b.list("ship_method")?)?,
            ship_temperature: columns::list_texts(&b.list("ship_temperature")?)?,
            ship_source: columns::list_texts(&b.list("ship_source")?)?,
            ship_lists,
            ship_to_name: b.texts("ship_to_name")?,
            ship_to_prefecture: b.texts("ship_to_prefecture")?,
            ship_to_postal_code: b.texts("ship_to_postal_code")?,
            remote_island: b.bools("remote_island")?,
            address_pending: b.bools("address_pending")?,
            delivery_method: b.texts("delivery_method")?,
            delivery_temperature: b.texts("delivery_temperature")?,
            delivery_source: b.texts("delivery_source")?,
        })
    }

    /// Row `i` as an order (only the fields enrichment reads), its customer's history (None
    /// without a customer key) and the fingerprint of its last enrichment.
    fn order(&self, i: usize) -> (Order, Option<History>, Option<u64>) {
        let s = |a: &StringArray| columns::text(a, i).unwrap_or_default().to_string();
        let absent = columns::text(&self.amounts_absent, i).unwrap_or_default();
        let amount = |k: usize| match columns::int(&self.amounts[k], i) {
            Some(v) => Amount::Yen(v),
            None if absent.split(',').any(|a| a == AMOUNTS[k]) => Amount::Absent,
            None => Amount::NotFixed,
        };
        let mut lines: Vec<(i64, OrderItem)> = if self.item_lists.is_null(i) {
            Vec::new()
        } else {
            columns::list_range(&self.item_lists, i)
                .map(|k| {
                    (
                        columns::int(&self.item_line, k).unwrap_or(0),
                        OrderItem {
                            product_code: s_at(&self.item_code, k),
                            item_key: s_at(&self.item_key, k),
                            options_text: s_at(&self.item_options, k),
                            unit_price: columns::int(&self.item_price, k),
                            quantity: columns::int(&self.item_quantity, k).unwrap_or(0),
                            option_price: columns::int(&self.item_option_price, k),
                            tax_rate: columns::int(&self.item_tax_rate, k).and_then(|r| u8::try_from(r).ok()),
                            tax_excluded: flag(&self.item_tax_excluded, k),
                            shipment: (columns::int(&self.item_shipment, k).unwrap_or(1).max(1) - 1) as usize,
                            ..Default::default()
                        },
                    )
                })
                .collect()
        };
        lines.sort_by_key(|(line, _)| *line);
        let mut shipments: Vec<(i64, Shipment)> = if self.ship_lists.is_null(i) {
            Vec::new()
        } else {
            columns::list_range(&self.ship_lists, i)
                .map(|k| {
                    let text = |a: &StringArray| columns::text(a, k).unwrap_or_default().to_string();
                    (
                        columns::int(&self.ship_no, k).unwrap_or(1),
                        Shipment {
                            ship_to: Party {
                                name: text(&self.ship_name),
                                prefecture: text(&self.ship_prefecture),
                                postal_code: text(&self.ship_postal_code),
                                ..Default::default()
                            },
                            address_pending: flag(&self.ship_pending, k),
                            postage: columns::int(&self.ship_postage, k).map(Amount::from_mall).unwrap_or(Amount::Absent),
                            remote_island: flag(&self.ship_remote_island, k),
                            delivery: MallDelivery {
                                method: text(&self.ship_method),
                                temperature: columns::text(&self.ship_temperature, k).map(str::to_string),
                                source: text(&self.ship_source),
                            },
                        },
                    )
                })
                .collect()
        };
        shipments.sort_by_key(|(n, _)| *n);
        let mut shipments: Vec<Shipment> = shipments.into_iter().map(|(_, sh)| sh).collect();
        if shipments.is_empty() {
            shipments.push(Shipment {
                remote_island: flag(&self.remote_island, i),
                address_pending: flag(&self.address_pending, i),
                delivery: MallDelivery {
                    method: s(&self.delivery_method),
                    temperature: columns::text(&self.delivery_temperature, i).map(str::to_string),
                    source: s(&self.delivery_source),
                },
                ..Shipment::to(Party {
                    name: s(&self.ship_to_name),
                    prefecture: s(&self.ship_to_prefecture),
                    postal_code: s(&self.ship_to_postal_code),
                    ..Default::default()
                })
            });
        }
        let ordered_at = columns::timestamp(self.ordered_at.value(i))
            .and_then(|t| jst().from_local_datetime(&t).single())
            .unwrap_or_else(|| jst().timestamp_opt(0, 0).single().expect("the epoch"));
        let mall_tax = match (columns::int(&self.mall_tax[0], i), columns::int(&self.mall_tax[1], i)) {
            (None, None) => None,
            (a, b) => Some(MallTax { standard: a.unwrap_or(0), reduced: b.unwrap_or(0) }),
        };
        let order = Order {
            mall: s(&self.mall),
            shop: s(&self.shop),
            order_number: s(&self.order_number),
            ordered_at,
            mall_status: s(&self.mall_status),
            cancelled: flag(&self.cancelled, i),
            orderer: Party { prefecture: s(&self.orderer_prefecture), ..Default::default() },
            is_gift: flag(&self.is_gift, i),
            items: lines.into_iter().map(|(_, item)| item).collect(),
            shipments,
            payment_method: s(&self.payment_method),
            desired_delivery: DesiredDelivery {
                date: columns::date(&self.desired_date, i),
                time_slot: columns::text(&self.desired_time_slot, i).map(str::to_string),
                source: columns::text(&self.desired_source, i).map(str::to_string),
            },
            remarks: s(&self.remarks),
            amounts: Amounts {
                goods: amount(0),
                shipping: amount(1),
                cod_fee: amount(2),
                payment_fee: amount(3),
                coupons: amount(4),
                points: amount(5),
                billing_total: amount(6),
                wrapping: Amount::Yen(columns::int(&self.wrapping, i).unwrap_or(0)),
                additional_fee: Amount::Yen(columns::int(&self.additional_fee, i).unwrap_or(0)),
                shop_coupons: Amount::Absent,
                mall_tax,
            },
            extras: MallExtras {
                postage_included: (!self.postage_included.is_null(i)).then(|| self.postage_included.value(i)),
                ..Default::default()
            },
        };
        let history = (!self.customer_key.is_null(i)).then(|| History {
            orders: columns::int(&self.orders_before, i).unwrap_or(0),
            total: columns::int(&self.total_before, i).unwrap_or(0),
        });
        (order, history, columns::int(&self.old_fingerprint, i).map(|f| f as u64))
    }
}

/// One fingerprint for the whole order (every shipment's values and sources).
fn fingerprint_of(rows: &[Enriched]) -> u64 {
    match rows {
        [one] => one.enrichment.fingerprint(),
        rows => rows.iter().fold(crate::domain::FNV_START, |h, r| crate::domain::fnv1a(h, &r.enrichment.fingerprint().to_le_bytes())),
    }
}

/// Empties the shared batch receiver when the appending thread leaves, whatever the reason: the
/// reader's next send then fails and it stops, instead of waiting on a full channel.
struct CloseOnDrop<'a, T>(&'a std::sync::Mutex<Option<std::sync::mpsc::Receiver<T>>>);

impl<T> Drop for CloseOnDrop<'_, T> {
    fn drop(&mut self) {
        if let Ok(mut receiver) = self.0.lock() {
            receiver.take();
        }
    }
}

/// A nullable flag: NULL is false.
fn flag(a: &BooleanArray, i: usize) -> bool {
    !a.is_null(i) && a.value(i)
}

fn s_at(a: &StringArray, k: usize) -> String {
    columns::text(a, k).unwrap_or_default().to_string()
}

/// The ten checks' names for the `order_checks` view, from the one list (`domain::checks`).
fn write_check_names(tx: &duckdb::Transaction<'_>) -> anyhow::Result<()> {
    tx.execute_batch("DELETE FROM check_names")?;
    let mut insert = tx.prepare("INSERT INTO check_names (check_no, name, name_en) VALUES (?, ?, ?)")?;
    for no in CheckNo::ALL {
        insert.execute(params![i32::from(no.number()), no.name().ja, no.name().en])?;
    }
    Ok(())
}

/// The catalog's stored fields in the order of their columns in the table (the row builder writes
/// columns in that order, and checks the names on a batch's first row).
fn stored_in_table_order(table: &RowBuilder) -> anyhow::Result<Vec<(Field, Column)>> {
    let mut at = Vec::new();
    for &f in fields::stored() {
        let first = f.def().column.names().next().expect("a stored field has a column");
        let position = table.position(first).ok_or_else(|| anyhow::anyhow!("order_enrichment has no column {first} (for {})", f.name()))?;
        at.push((position, (f, f.def().column)));
    }
    at.sort_by_key(|(position, _)| *position);
    Ok(at.into_iter().map(|(_, f)| f).collect())
}

/// One shipment's row of `order_enrichment`: its keys, the catalog's stored fields (`stored`, in the
/// table's order), the ten checks and the bookkeeping.
fn write_row(
    out: &mut RowBuilder,
    reasons: &mut BatchReasons<'_>,
    stored: &[(Field, Column)],
    order: &Order,
    (shipment_no, enriched): (usize, &Enriched),
    fingerprint: u64,
    run_id: i64,
) {
    let e = &enriched.enrichment;
    out.text("mall", Some(&order.mall))
        .text("shop", Some(&order.shop))
        .text("order_number", Some(&order.order_number))
        .int("shipment_no", Some(shipment_no as i64));
    for &(f, column) in stored {
        let s = e.stored(f).expect("the catalog's stored fields are the enrichment's");
        match (column, s.value) {
            (Column::Value { value, source }, v) => {
                match v {
                    StoredValue::Text(t) => out.text(value, t),
                    StoredValue::Yen(y) => out.int(value, y),
                    StoredValue::Date(d) => out.date(value, d),
                    StoredValue::Tax(_) => panic!("{value}: the tax is stored in two columns"),
                };
                if let Some(source) = source {
                    out.text(source, s.source);
                }
            }
            (Column::Tax { standard, reduced, source }, StoredValue::Tax(t)) => {
                out.int(standard, t.map(|t| t.standard)).int(reduced, t.map(|t| t.reduced)).text(source, s.source);
            }
            (column, _) => panic!("{}: {column:?} does not store {:?}", f.name(), s.value),
        }
    }
    let mut letters = String::with_capacity(10);
    for c in &enriched.checks {
        letters.push(c.result.letter());
    }
    let failed = enriched.checks.iter().filter(|c| c.result == CheckResult::Fail).count();
    out.text("checks", Some(&letters))
        .int("checks_failed", Some(failed as i64))
        .text("fired_rules", Some(&enriched.fired.join(", ")))
        .int("fingerprint", Some(fingerprint as i64))
        .int("enriched_run", Some(run_id))
        .int32s("check_reason_ids", enriched.checks.iter().map(|c| reasons.id(&c.reason)))
        // Added by migration 13, so last in the table.
        .text("holds", holds_text(&e.holds).as_deref())
        .end_row();
}

/// The hold rows an order matched, one `row<TAB>reason` line each (`order_holds` is made from it).
fn holds_text(holds: &[(String, String)]) -> Option<String> {
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    (!holds.is_empty())
        .then(|| holds.iter().map(|(row, reason)| format!("{}\t{}", clean(row), clean(reason))).collect::<Vec<_>>().join("\n"))
}

/// The check reasons, each text once (`check_reasons`): those the store holds, and the ids the next
/// new texts get. Shared by the enriching threads.
struct Reasons {
    stored: HashMap<String, i32>,
    next_id: std::sync::atomic::AtomicI32,
}

impl Reasons {
    fn read(tx: &duckdb::Transaction<'_>) -> anyhow::Result<Reasons> {
        let mut stmt = tx.prepare("SELECT id, reason FROM check_reasons")?;
        let stored: HashMap<String, i32> = stmt.query_map([], |r| Ok((r.get(1)?, r.get(0)?)))?.collect::<Result<_, _>>()?;
        let next = stored.values().max().map_or(1, |m| m + 1);
        Ok(Reasons { stored, next_id: std::sync::atomic::AtomicI32::new(next) })
    }
}

/// One batch's view of the reasons: texts new in this batch get ids here, and are written with it.
struct BatchReasons<'a> {
    shared: &'a Reasons,
    new: HashMap<String, i32>,
}

impl BatchReasons<'_> {
    fn id(&mut self, text: &str) -> i32 {
        if let Some(id) = self.shared.stored.get(text).or_else(|| self.new.get(text)) {
            return *id;
        }
        let id = self.shared.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.new.insert(text.to_string(), id);
        id
    }
}

/// What the run summary says.
#[derive(Default)]
struct Tally {
    enriched: u64,
    changed: u64,
    with_failures: u64,
    failed_by_check: [u64; 10],
    /// Shipments whose ship date falls in a year of computed (provisional) holidays.
    provisional: u64,
}

impl Tally {
    /// One order (all its shipments' rows): a check counts once per order, failed on any shipment.
    fn add(&mut self, rows: &[Enriched], fingerprint: u64, old_fingerprint: Option<u64>) {
        self.enriched += 1;
        if old_fingerprint.is_some_and(|f| f != fingerprint) {
            self.changed += 1;
        }
        let mut failed = [false; 10];
        for c in rows.iter().flat_map(|r| &r.checks).filter(|c| c.result == CheckResult::Fail) {
            failed[c.no.index()] = true;
        }
        for (n, f) in self.failed_by_check.iter_mut().zip(failed) {
            *n += f as u64;
        }
        self.with_failures += failed.iter().any(|f| *f) as u64;
        self.provisional +=
            rows.iter().filter(|r| r.enrichment.ship_date.value.is_some_and(crate::domain::holidays::is_provisional)).count() as u64;
    }

    fn merge(&mut self, other: &Tally) {
        self.enriched += other.enriched;
        self.changed += other.changed;
        self.with_failures += other.with_failures;
        self.provisional += other.provisional;
        for (a, b) in self.failed_by_check.iter_mut().zip(other.failed_by_check) {
            *a += b;
        }
    }

    fn outcome(&self, replay: bool, tables: usize, mut warnings: Vec<Diagnostic>) -> StageOutcome {
        if self.provisional > 0 {
            warnings.push(
                Diagnostic::warning(
                    "M011",
                    format!(
                        "{} shipment(s) have a ship date in a year the official holiday list does not cover yet: its holidays are computed (provisional)",
                        self.provisional
                    ),
                )
                .help("check those dates against the Cabinet Office's list once it is out, and update juchu or data/holidays/syukujitsu.csv"),
            );
        }
        let per_check: Vec<String> = self
            .failed_by_check
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| format!("{} {}×{n}", i + 1, CheckNo::ALL[i].name().current()))
            .collect();
        let lang = crate::domain::lang::current();
        let (enriched, failures, changed, failed) = (self.enriched, self.with_failures, self.changed, per_check.join(", "));
        let mut message = match (replay, per_check.is_empty()) {
            (false, true) => crate::domain::checks::say!(
                lang,
                "{enriched}件を処理；チェック不合格{failures}件",
                "{enriched} orders enriched; {failures} with a failed check"
            ),
            (false, false) => crate::domain::checks::say!(
                lang,
                "{enriched}件を処理；チェック不合格{failures}件（不合格: {failed}）",
                "{enriched} orders enriched; {failures} with a failed check (checks failed: {failed})"
            ),
            (true, true) => crate::domain::checks::say!(
                lang,
                "{enriched}件を処理（再処理: 変更{changed}件）；チェック不合格{failures}件",
                "{enriched} orders enriched (replay: {changed} changed); {failures} with a failed check"
            ),
            (true, false) => crate::domain::checks::say!(
                lang,
                "{enriched}件を処理（再処理: 変更{changed}件）；チェック不合格{failures}件（不合格: {failed}）",
                "{enriched} orders enriched (replay: {changed} changed); {failures} with a failed check (checks failed: {failed})"
            ),
        };
        if tables > 0 {
            message.push_str(&crate::domain::checks::say!(lang, "；ルール表{tables}個", "; {tables} rule table(s)"));
        }
        StageOutcome {
            rows_in: self.enriched,
            rows_out: self.enriched,
            rows_changed: self.changed,
            message,
            warnings,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fields::FIELDS;
    use crate::domain::masters::Masters;
    use chrono::Weekday;

    fn enriched() -> (Order, Enriched) {
        let order = Order {
            mall: "rakuten".into(),
            shop: "s".into(),
            order_number: "1".into(),
            ordered_at: jst().with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
            mall_status: "100".into(),
            cancelled: false,
            orderer: Party::default(),
            shipments: vec![Shipment::to(Party::default())],
            is_gift: false,
            items: vec![OrderItem { product_code: "NG-MUG-001".into(), unit_price: Some(3240), quantity: 1, ..Default::default() }],
            payment_method: "代金引換".into(),
            desired_delivery: DesiredDelivery::default(),
            remarks: String::new(),
            amounts: Amounts::default(),
            extras: MallExtras::default(),
        };
        let masters = Masters::default();
        let calendar = BusinessCalendar::new([], [Weekday::Sun], NaiveTime::from_hms_opt(12, 0, 0).unwrap());
        let shop = ShopFacts {
            origin_region: "関東".into(),
            sender: "和み雑貨店".into(),
            sender_auto_edit: HashMap::new(),
            tax_rounding: crate::domain::tax::Rounding::Floor,
            lang: crate::domain::lang::Lang::En,
        };
        let enriched = Enricher::new(&masters, &calendar, &shop, &[]).enrich(&order, "rakuten", Some(History::default())).remove(0);
        (order, enriched)
    }

    #[test]
    fn every_stored_field_has_its_columns_and_every_column_its_field() {
        let store = crate::store::Store::in_memory().unwrap();
        let template = RowBuilder::for_table(&store.conn, "order_enrichment").unwrap();
        let stored = stored_in_table_order(&template).unwrap();
        let mut expected = vec!["mall", "shop", "order_number", "shipment_no"];
        expected.extend(stored.iter().flat_map(|(_, column)| column.names()));
        expected.extend(["checks", "checks_failed", "fired_rules", "fingerprint", "enriched_run", "check_reason_ids", "holds"]);
        assert_eq!(template.names(), expected, "order_enrichment's columns are the catalog's, in its order");

        // Every catalog field with a column has its value in the enrichment, of its kind, and a row
        // of them writes (the row builder checks every column's name and type).
        let (order, enriched) = enriched();
        for f in &FIELDS {
            let value = enriched.enrichment.stored(f.field);
            assert_eq!(value.is_some(), f.column != Column::None, "{}", f.name);
            if let Some(v) = value {
                assert!(v.value.kind_fits(f.kind), "{}: {:?} is not {:?}", f.name, v.value, f.kind);
            }
        }
        let mut out = template.fresh();
        let shared = Reasons { stored: HashMap::from([("known".to_string(), 1)]), next_id: 2.into() };
        let mut reasons = BatchReasons { shared: &shared, new: HashMap::new() };
        write_row(&mut out, &mut reasons, &stored, &order, (1, &enriched), 1, 1);
        let batch = out.finish().unwrap();
        assert_eq!((batch.num_rows(), batch.num_columns()), (1, expected.len()));
        // Each reason text gets one id, the texts the store knows keep theirs.
        let distinct: std::collections::HashSet<&str> = enriched.checks.iter().map(|c| c.reason.as_str()).collect();
        assert_eq!(reasons.new.len(), distinct.len());
        assert_eq!((reasons.id("known"), reasons.id(&enriched.checks[0].reason)), (1, reasons.new[&enriched.checks[0].reason]));
    }
}
