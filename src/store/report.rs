//! What the verification workbook (`report` stage) reads: the orders of a run or of a date range with
//! their ten checks, their lines with the enriched values and where each came from, and what the run
//! reported. Each read streams its rows in the order the sheet shows them (the workbook is written in
//! constant memory, row after row).

use std::collections::HashMap;

use anyhow::Result;
use duckdb::params;

use super::Store;

/// Which orders a workbook shows.
#[derive(Debug, Clone)]
pub enum Scope {
    /// New or changed (or enriched again) in this run.
    Run(i64),
    /// Ordered on these JST dates, both included (`YYYY-MM-DD`).
    Dates { from: String, to: String },
}

impl Scope {
    /// The condition on `o` (orders) and `e` (its order_enrichment rows), and its parameter(s).
    fn condition(&self) -> (String, Vec<String>) {
        match self {
            Scope::Run(run) => {
                ("(o.first_seen_run = ?1 OR o.last_changed_run = ?1 OR e.enriched_run = ?1)".to_string(), vec![run.to_string()])
            }
            Scope::Dates { from, to } => ("o.ordered_at::DATE BETWEEN ?1::DATE AND ?2::DATE".to_string(), vec![from.clone(), to.clone()]),
        }
    }
}

/// One row of 受注チェック: a shipment of an order with its ten checks.
#[derive(Debug, Clone)]
pub struct CheckRow {
    pub mall: String,
    pub shop: String,
    pub order_number: String,
    pub shipment_no: i32,
    pub shipments: i32,
    /// `YYYY-MM-DD HH:MM:SS`, JST.
    pub ordered_at: String,
    pub orderer: String,
    pub prefecture: String,
    pub billing_total: Option<i64>,
    /// One letter per check: P pass, F fail, N n/a (see domain::checks::CheckResult).
    pub checks: String,
    pub reasons: Vec<String>,
    /// The order's enrichment fingerprint (store::shipping::enrichment_fingerprint): the 確認キー.
    pub fingerprint: Option<i64>,
}

/// One row of 明細: an order line with its shipment's enriched values and their sources.
#[derive(Debug, Clone, Default)]
pub struct ItemRow {
    pub mall: String,
    pub order_number: String,
    pub line_no: i32,
    pub shipment_no: i32,
    /// The first line of its shipment: the shipment's fees are shown on it only.
    pub first_of_shipment: bool,
    pub product_code: String,
    pub name: String,
    pub options: String,
    pub option_price: Option<i64>,
    pub unit_price: Option<i64>,
    pub quantity: i64,
    pub tax_rate: Option<i32>,
    /// (value, source) pairs, in the order `ITEM_VALUES` names them.
    pub values: Vec<(String, String)>,
    /// The mall's shipping for the order and juchu's for this shipment, with its source.
    pub mall_shipping: Option<i64>,
    pub shipping_fee: Option<i64>,
    pub shipping_fee_source: String,
    pub mall_cod_fee: Option<i64>,
    pub cod_fee: Option<i64>,
    pub cod_fee_source: String,
}

/// The enriched values 明細 shows beside each line: (column, Japanese heading, English heading).
pub const ITEM_VALUES: &[(&str, &str, &str)] = &[
    ("logistics_company", "物流会社", "logistics company"),
    ("carrier", "配送会社", "carrier"),
    ("ship_date", "出荷予定日", "ship date"),
    ("desired_date", "お届け希望日", "delivery date"),
    ("desired_time_slot", "お届け時間帯", "time slot"),
];

/// An order a mall listed that is not stored (pending_orders).
#[derive(Debug, Clone)]
pub struct PendingRow {
    pub mall: String,
    pub order_number: String,
    pub reason: String,
    pub detail: String,
    pub polls: i64,
    pub first_seen: String,
}

/// A problem a stage of the run reported (run_diagnostics).
#[derive(Debug, Clone)]
pub struct ReportedRow {
    pub stage_id: String,
    pub code: String,
    pub severity: String,
    pub place: String,
    pub message: String,
    pub help: String,
}

/// A mail the run logged, as the customer got it (メール sheet).
#[derive(Debug, Clone)]
pub struct MailRow {
    pub mall: String,
    pub order_number: String,
    pub template: String,
    pub status: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub reason: String,
}

/// Per mall: orders new and changed in the run.
#[derive(Debug, Clone, Default)]
pub struct MallCounts {
    pub mall: String,
    pub new: i64,
    pub changed: i64,
    pub pending: i64,
}

/// An order as the 保留 and 同梱候補 sheets show it.
#[derive(Debug, Clone, Default)]
pub struct OrderSummary {
    /// `YYYY-MM-DD HH:MM:SS`, JST.
    pub ordered_at: String,
    pub orderer: String,
    pub recipient: String,
    pub prefecture: String,
    pub payment_method: String,
    pub billing_total: Option<i64>,
    pub fingerprint: Option<i64>,
}

/// Orders per batch: each sheet's rows are read a batch of orders at a time, so the sort a query
/// needs stays small and a workbook of a million orders takes the memory of one batch.
const BATCH: usize = 20_000;

impl Store {
    /// The orders in scope, in the order the sheets show them (mall, order time, number).
    pub fn scope_keys(&self, scope: &Scope) -> Result<Vec<(String, String, String)>> {
        let (cond, args) = scope.condition();
        let sql = format!(
            "SELECT o.mall, o.shop, o.order_number FROM orders o
             WHERE EXISTS (SELECT 1 FROM order_enrichment e WHERE e.mall = o.mall AND e.shop = o.shop AND e.order_number = o.order_number AND {cond})
             ORDER BY o.mall, o.ordered_at, o.order_number"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(duckdb::params_from_iter(args.iter()), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Runs `read` once per batch of orders, with the batch in `temp.report_keys (mall, shop,
    /// order_number, seq)`; `seq` keeps the sheets' order across batches.
    fn per_batch(&self, scope: &Scope, mut read: impl FnMut() -> Result<()>) -> Result<()> {
        let keys = self.scope_keys(scope)?;
        for (b, batch) in keys.chunks(BATCH).enumerate() {
            self.conn
                .execute_batch("CREATE OR REPLACE TEMP TABLE report_keys (mall VARCHAR, shop VARCHAR, order_number VARCHAR, seq BIGINT)")?;
            {
                let mut a = self.conn.appender_to_catalog_and_db("report_keys", "temp", "main")?;
                for (i, (mall, shop, number)) in batch.iter().enumerate() {
                    a.append_row(params![mall, shop, number, (b * BATCH + i) as i64])?;
                }
                a.flush()?;
            }
            read()?;
        }
        self.conn.execute_batch("DROP TABLE IF EXISTS temp.report_keys")?;
        Ok(())
    }

    /// 受注チェック rows, by mall, order time and number, then shipment.
    pub fn report_checks(&self, scope: &Scope, mut row: impl FnMut(CheckRow) -> Result<()>) -> Result<u64> {
        let reasons: HashMap<i32, String> = {
            let mut stmt = self.conn.prepare("SELECT id, reason FROM check_reasons")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, i32>(0)?, r.get::<_, String>(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let sql = "SELECT o.mall, o.order_number, e.shipment_no, coalesce(o.shipment_count, 1), strftime(o.ordered_at, '%Y-%m-%d %H:%M:%S'),
                coalesce(o.orderer_name, ''), coalesce(s.ship_to_prefecture, o.ship_to_prefecture, ''), o.billing_total,
                e.checks, array_to_string(e.check_reason_ids, ','), m.mails, o.shop,
                max(e.fingerprint) OVER (PARTITION BY e.mall, e.shop, e.order_number)
             FROM temp.report_keys k JOIN orders o USING (mall, shop, order_number)
             JOIN order_enrichment e ON e.mall = k.mall AND e.shop = k.shop AND e.order_number = k.order_number
             LEFT JOIN order_shipments s ON s.mall = e.mall AND s.shop = e.shop AND s.order_number = e.order_number AND s.shipment_no = e.shipment_no
             LEFT JOIN (
                SELECT l.mall, l.shop, l.order_number,
                    string_agg(l.template || chr(9) || l.status || chr(9) || coalesce(l.reason, ''), chr(10) ORDER BY l.template) AS mails
                FROM mail_log l JOIN temp.report_keys USING (mall, shop, order_number) GROUP BY ALL
             ) m ON m.mall = o.mall AND m.shop = o.shop AND m.order_number = o.order_number
             ORDER BY k.seq, e.shipment_no";
        let mut n = 0;
        self.per_batch(scope, || {
            let mut stmt = self.conn.prepare(sql)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let ids: Option<String> = r.get(9)?;
                let mut reasons: Vec<String> = ids
                    .unwrap_or_default()
                    .split(',')
                    .map(|id| id.trim().parse::<i32>().ok().and_then(|id| reasons.get(&id).cloned()).unwrap_or_default())
                    .collect();
                let mut checks: String = r.get(8)?;
                // Check 10 (メール文面) is the mail log's, as in the order_checks view.
                if let Some(mails) = r.get::<_, Option<String>>(10)? {
                    let (result, reason) = mail_check(&mails);
                    checks = checks.chars().take(9).chain(std::iter::once(result)).collect();
                    reasons.resize(10, String::new());
                    reasons[9] = reason;
                }
                row(CheckRow {
                    mall: r.get(0)?,
                    shop: r.get(11)?,
                    order_number: r.get(1)?,
                    shipment_no: r.get(2)?,
                    shipments: r.get(3)?,
                    ordered_at: r.get(4)?,
                    orderer: r.get(5)?,
                    prefecture: r.get(6)?,
                    billing_total: r.get(7)?,
                    checks,
                    reasons,
                    fingerprint: r.get(12)?,
                })?;
                n += 1;
            }
            Ok(())
        })?;
        Ok(n)
    }

    /// The orders held now or in a 同梱 group, as the 保留 and 同梱候補 sheets show them (a few
    /// hundred at most on a busy day: read at once).
    pub fn report_order_summaries(&self) -> Result<HashMap<crate::store::shipping::OrderKey, OrderSummary>> {
        let mut stmt = self.conn.prepare(
            "SELECT o.mall, o.shop, o.order_number, coalesce(strftime(o.ordered_at, '%Y-%m-%d %H:%M:%S'), ''), coalesce(o.orderer_name, ''),
                coalesce(s.ship_to_name, ''), coalesce(s.ship_to_prefecture, o.ship_to_prefecture, ''),
                coalesce((SELECT e.payment_method FROM order_enrichment e WHERE e.mall = o.mall AND e.shop = o.shop AND e.order_number = o.order_number ORDER BY e.shipment_no LIMIT 1), ''),
                o.billing_total,
                (SELECT max(e.fingerprint) FROM order_enrichment e WHERE e.mall = o.mall AND e.shop = o.shop AND e.order_number = o.order_number)
             FROM orders o
             LEFT JOIN order_shipments s ON s.mall = o.mall AND s.shop = o.shop AND s.order_number = o.order_number AND s.shipment_no = 1
             WHERE EXISTS (SELECT 1 FROM order_holds h WHERE h.mall = o.mall AND h.shop = o.shop AND h.order_number = o.order_number AND h.released_at IS NULL)
                OR EXISTS (SELECT 1 FROM order_merges m WHERE m.mall = o.mall AND m.shop = o.shop AND m.order_number = o.order_number)",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                crate::store::shipping::OrderKey { mall: r.get(0)?, shop: r.get(1)?, order_number: r.get(2)? },
                OrderSummary {
                    ordered_at: r.get(3)?,
                    orderer: r.get(4)?,
                    recipient: r.get(5)?,
                    prefecture: r.get(6)?,
                    payment_method: r.get(7)?,
                    billing_total: r.get(8)?,
                    fingerprint: r.get(9)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// 明細 rows, in the order of 受注チェック, then line.
    pub fn report_items(&self, scope: &Scope, mut row: impl FnMut(ItemRow) -> Result<()>) -> Result<u64> {
        let values: Vec<String> = ITEM_VALUES.iter().map(|(c, _, _)| format!("e.{c}::VARCHAR, coalesce(e.{c}_source, '')")).collect();
        let sql = format!(
            "SELECT o.mall, o.order_number, i.line_no, i.shipment_no,
                i.line_no = min(i.line_no) OVER (PARTITION BY i.mall, i.shop, i.order_number, i.shipment_no),
                coalesce(i.product_code, ''), coalesce(i.name, ''), coalesce(i.options_text, ''), i.option_price, i.unit_price,
                i.quantity, i.tax_rate, o.shipping, e.shipping_fee, coalesce(e.shipping_fee_source, ''), o.cod_fee, e.cod_fee,
                coalesce(e.cod_fee_source, ''), {}
             FROM temp.report_keys k JOIN order_items i USING (mall, shop, order_number) JOIN orders o USING (mall, shop, order_number)
             LEFT JOIN order_enrichment e ON e.mall = i.mall AND e.shop = i.shop AND e.order_number = i.order_number AND e.shipment_no = i.shipment_no
             ORDER BY k.seq, i.shipment_no, i.line_no",
            values.join(", ")
        );
        let mut n = 0;
        self.per_batch(scope, || {
            let mut stmt = self.conn.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let mut values = Vec::with_capacity(ITEM_VALUES.len());
                for k in 0..ITEM_VALUES.len() {
                    values.push((r.get::<_, Option<String>>(18 + 2 * k)?.unwrap_or_default(), r.get(19 + 2 * k)?));
                }
                row(ItemRow {
                    mall: r.get(0)?,
                    order_number: r.get(1)?,
                    line_no: r.get(2)?,
                    shipment_no: r.get(3)?,
                    first_of_shipment: r.get(4)?,
                    product_code: r.get(5)?,
                    name: r.get(6)?,
                    options: r.get(7)?,
                    option_price: r.get(8)?,
                    unit_price: r.get(9)?,
                    quantity: r.get::<_, Option<i64>>(10)?.unwrap_or(0),
                    tax_rate: r.get(11)?,
                    mall_shipping: r.get(12)?,
                    shipping_fee: r.get(13)?,
                    shipping_fee_source: r.get(14)?,
                    mall_cod_fee: r.get(15)?,
                    cod_fee: r.get(16)?,
                    cod_fee_source: r.get(17)?,
                    values,
                })?;
                n += 1;
            }
            Ok(())
        })?;
        Ok(n)
    }

    /// Every order still pending (listed and not sent, or unreadable), by mall and number.
    pub fn report_pending(&self) -> Result<Vec<PendingRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT mall, order_number, reason, coalesce(detail, ''), polls, strftime(first_seen, '%Y-%m-%d %H:%M')
             FROM pending_orders ORDER BY mall, order_number",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PendingRow {
                mall: r.get(0)?,
                order_number: r.get(1)?,
                reason: r.get(2)?,
                detail: r.get(3)?,
                polls: r.get(4)?,
                first_seen: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What the stages of a run reported, in the order they did.
    pub fn report_reported(&self, run_id: i64) -> Result<Vec<ReportedRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT stage_id, code, severity, coalesce(place, ''), message, coalesce(help, '') FROM run_diagnostics
             WHERE run_id = ? ORDER BY seq, n",
        )?;
        let rows = stmt.query_map(params![run_id], |r| {
            Ok(ReportedRow {
                stage_id: r.get(0)?,
                code: r.get(1)?,
                severity: r.get(2)?,
                place: r.get(3)?,
                message: r.get(4)?,
                help: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The first `limit` mails the run logged (failed ones first, so a wording problem is seen), and
    /// how many it logged per status.
    pub fn report_mails(&self, run_id: i64, limit: u32) -> Result<(Vec<MailRow>, Vec<(String, i64)>)> {
        let mut stmt = self.conn.prepare(
            "SELECT mall, order_number, template, status, coalesce(recipient, ''), coalesce(subject, ''),
                coalesce(body, ''), coalesce(reason, '')
             FROM mail_log WHERE run_id = ? ORDER BY status <> 'failed', mall, order_number, template LIMIT ?",
        )?;
        let rows = stmt.query_map(params![run_id, limit], |r| {
            Ok(MailRow {
                mall: r.get(0)?,
                order_number: r.get(1)?,
                template: r.get(2)?,
                status: r.get(3)?,
                recipient: r.get(4)?,
                subject: r.get(5)?,
                body: r.get(6)?,
                reason: r.get(7)?,
            })
        })?;
        let rows = rows.collect::<Result<_, _>>()?;
        let mut stmt = self.conn.prepare("SELECT status, count(*) FROM mail_log WHERE run_id = ? GROUP BY status ORDER BY status")?;
        let counts = stmt.query_map(params![run_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        Ok((rows, counts))
    }

    /// Orders new and changed in the run, and pending now, per mall.
    pub fn report_mall_counts(&self, run_id: i64) -> Result<Vec<MallCounts>> {
        let mut stmt = self.conn.prepare(
            "WITH counted AS (
                SELECT mall, count(*) FILTER (WHERE first_seen_run = ?1) AS new,
                    count(*) FILTER (WHERE last_changed_run = ?1 AND first_seen_run <> ?1) AS changed
                FROM orders GROUP BY mall),
             pending AS (SELECT mall, count(*) AS pending FROM pending_orders GROUP BY mall)
             SELECT coalesce(c.mall, p.mall), coalesce(c.new, 0), coalesce(c.changed, 0), coalesce(p.pending, 0)
             FROM counted c FULL JOIN pending p USING (mall) ORDER BY 1",
        )?;
        let rows = stmt
            .query_map(params![run_id], |r| Ok(MallCounts { mall: r.get(0)?, new: r.get(1)?, changed: r.get(2)?, pending: r.get(3)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Check 10 from an order's mail-log rows (`template\tstatus\treason` lines): failed if one failed
/// or was left at `sending`, else passed; the reason in the staff's words.
fn mail_check(mails: &str) -> (char, String) {
    let mut result = 'N';
    let mut said = Vec::new();
    for line in mails.lines() {
        let mut f = line.splitn(3, '\t');
        let (template, status, reason) = (f.next().unwrap_or(""), f.next().unwrap_or(""), f.next().unwrap_or(""));
        let (mark, word) = match status {
            "failed" => ('F', crate::domain::lang::pick("送信失敗", "failed")),
            "sent" => ('P', crate::domain::lang::pick("送信済", "sent")),
            // Left by a crash: the customer may or may not have it; red until staff settle it.
            _ => (
                'F',
                crate::domain::lang::pick(
                    "送信中のまま（届いたか確かめて juchu mail settle）",
                    "left at sending (check, then juchu mail settle)",
                ),
            ),
        };
        result = match (result, mark) {
            ('F', _) | (_, 'F') => 'F',
            ('P', _) | (_, 'P') => 'P',
            _ => 'N',
        };
        said.push(if reason.is_empty() { format!("{template}: {word}") } else { format!("{template}: {word}（{reason}）") });
    }
    (result, said.join("; "))
}
