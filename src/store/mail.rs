//! The mail log (送信記録) and the orders a send_mail stage writes to.

use anyhow::Result;
use chrono::{DateTime, FixedOffset};
use duckdb::params;

use super::Store;

/// An order a mail may be due for: the normalized order and what enrich found.
pub struct MailOrder {
    pub mall: String,
    pub shop: String,
    pub order_number: String,
    pub normalized: String,
    pub ship_date: Option<String>,
    pub carrier: Option<String>,
    pub shipping_fee: Option<i64>,
    pub billing_total: Option<i64>,
    /// 出荷連絡: the tracking number and carrier of the order's slip, once the carrier's file came back.
    pub tracking_number: Option<String>,
}

/// One row of the mail log as it is written.
#[derive(Debug, Clone, Default)]
pub struct MailLogEntry {
    pub mall: String,
    pub shop: String,
    pub order_number: String,
    pub template: String,
    /// sending, sent, failed
    pub status: &'static str,
    pub message_id: String,
    pub recipient: String,
    pub subject: String,
    /// failed: why (render or send error); sent: where it went
    pub reason: Option<String>,
    /// The body as rendered (plain text), kept so staff can read what the customer got.
    pub body: String,
}

impl Store {
    /// The run from which `template` mails new orders: the first run that had the stage, recorded
    /// (committed) the first time, so a run that crashed halfway still has its orders mailed later.
    pub fn mail_since(&self, template: &str, run_id: i64) -> Result<i64> {
        let key = format!("mail_since:{template}");
        if let Some(v) = self.meta(&key)? {
            return Ok(v.parse()?);
        }
        self.conn.execute("INSERT INTO shop_meta VALUES (?, ?)", params![key, run_id.to_string()])?;
        Ok(run_id)
    }

    /// Orders not cancelled and not held (保留) with no `template` mail sent yet (failed ones are tried
    /// again, `sending` ones are reported); with `since_run`, only orders first fetched by that run or
    /// later; with `shipped`, only orders whose slip has its tracking number (出荷連絡).
    pub fn mail_orders(&self, since_run: Option<i64>, template: &str, shipped: bool) -> Result<Vec<MailOrder>> {
        let mut stmt = self.conn.prepare(
            "SELECT o.mall, o.shop, o.order_number, o.normalized, CAST(e.ship_date AS VARCHAR), coalesce(t.carrier, e.carrier), e.shipping_fee,
                e.billing_total, t.tracking_number
             FROM orders o LEFT JOIN order_enrichment e
               ON e.mall = o.mall AND e.shop = o.shop AND e.order_number = o.order_number AND e.shipment_no = 1
             LEFT JOIN (SELECT so.mall, so.shop, so.order_number, min(sl.carrier) AS carrier, string_agg(DISTINCT sl.tracking_number, ', ') AS tracking_number
                        FROM slip_orders so JOIN slips sl ON sl.slip_key = so.slip_key
                        WHERE sl.superseded_by IS NULL AND sl.tracking_number IS NOT NULL GROUP BY ALL) t
               ON t.mall = o.mall AND t.shop = o.shop AND t.order_number = o.order_number
             WHERE NOT coalesce(o.cancelled, false) AND (?1 IS NULL OR o.first_seen_run >= ?1) AND (NOT ?3 OR t.tracking_number IS NOT NULL)
               AND NOT EXISTS (SELECT 1 FROM order_holds h WHERE h.mall = o.mall AND h.shop = o.shop AND h.order_number = o.order_number
                                 AND h.released_at IS NULL)
               AND NOT EXISTS (
                SELECT 1 FROM mail_log m WHERE m.mall = o.mall AND m.shop = o.shop AND m.order_number = o.order_number
                  AND m.template = ?2 AND m.status = 'sent')
             ORDER BY o.mall, o.order_number",
        )?;
        let rows = stmt.query_map(params![since_run, template, shipped], |r| {
            Ok(MailOrder {
                mall: r.get(0)?,
                shop: r.get(1)?,
                order_number: r.get(2)?,
                normalized: r.get(3)?,
                ship_date: r.get(4)?,
                carrier: r.get(5)?,
                shipping_fee: r.get(6)?,
                billing_total: r.get(7)?,
                tracking_number: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<duckdb::Result<_>>()?)
    }

    /// Every (mall, shop, order_number) → status the log holds for `template`, in one read.
    pub fn mail_statuses(&self, template: &str) -> Result<std::collections::HashMap<(String, String, String), String>> {
        let mut stmt = self.conn.prepare("SELECT mall, shop, order_number, status FROM mail_log WHERE template = ?")?;
        let rows = stmt.query_map(params![template], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)))?;
        Ok(rows.collect::<duckdb::Result<_>>()?)
    }

    /// Rows new to the log, appended in one go (the outbox's transaction): a row a time costs a
    /// statement each, a third of the stage's time for the demo's 600 mails.
    pub fn append_mail_log(&self, rows: &[MailLogEntry], run_id: i64, now: DateTime<FixedOffset>) -> Result<()> {
        let mut app = self.conn.appender("mail_log")?;
        for e in rows {
            app.append_row(params![
                e.mall,
                e.shop,
                e.order_number,
                e.template,
                e.status,
                e.message_id,
                e.recipient,
                e.subject,
                e.reason,
                run_id,
                now.naive_local(),
                e.body
            ])?;
        }
        app.flush()?;
        Ok(())
    }

    /// Writes the rows, in the caller's transaction if there is one: `exists` says which already
    /// have a row (updated; the others are inserted). INSERT OR REPLACE would do both but costs
    /// DuckDB twice the time of the commit itself.
    pub fn log_mails(
        &self,
        rows: &[&MailLogEntry],
        exists: impl Fn(&MailLogEntry) -> bool,
        run_id: i64,
        now: DateTime<FixedOffset>,
    ) -> Result<()> {
        let mut insert = self.conn.prepare_cached("INSERT INTO mail_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")?;
        let mut update = self.conn.prepare_cached(
            "UPDATE mail_log SET status = ?, message_id = ?, recipient = ?, subject = ?, reason = ?, run_id = ?, updated_at = ?, body = ?
             WHERE mall = ? AND shop = ? AND order_number = ? AND template = ?",
        )?;
        for e in rows {
            if exists(e) {
                update.execute(params![
                    e.status,
                    e.message_id,
                    e.recipient,
                    e.subject,
                    e.reason,
                    run_id,
                    now.naive_local(),
                    e.body,
                    e.mall,
                    e.shop,
                    e.order_number,
                    e.template
                ])?;
            } else {
                insert.execute(params![
                    e.mall,
                    e.shop,
                    e.order_number,
                    e.template,
                    e.status,
                    e.message_id,
                    e.recipient,
                    e.subject,
                    e.reason,
                    run_id,
                    now.naive_local(),
                    e.body
                ])?;
            }
        }
        Ok(())
    }

    /// Writes the rows in one transaction, committed at once: a `sending` row must be on disk before
    /// its mail leaves. With SMTP each commit carries one mail's result and the next one's intent.
    pub fn log_mails_now(
        &self,
        rows: &[&MailLogEntry],
        exists: impl Fn(&MailLogEntry) -> bool,
        run_id: i64,
        now: DateTime<FixedOffset>,
    ) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        self.log_mails(rows, exists, run_id, now)?;
        tx.commit()?;
        Ok(())
    }
}

/// One row of the mail log as `juchu mail list` shows it.
pub struct MailListed {
    pub mall: String,
    pub order_number: String,
    pub template: String,
    pub status: String,
    pub recipient: String,
    pub subject: String,
    pub reason: String,
    pub updated_at: String,
}

impl Store {
    /// The mail log, newest first; `status` narrows it (`sending`: what a crash left for staff).
    pub fn mail_list(&self, status: Option<&str>, limit: usize) -> Result<Vec<MailListed>> {
        let mut stmt = self.conn.prepare(
            "SELECT mall, order_number, template, status, coalesce(recipient, ''), coalesce(subject, ''), coalesce(reason, ''),
                strftime(updated_at, '%Y-%m-%d %H:%M')
             FROM mail_log WHERE ?1 IS NULL OR status = ?1 ORDER BY updated_at DESC, mall, order_number, template LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![status, limit as i64], |r| {
            Ok(MailListed {
                mall: r.get(0)?,
                order_number: r.get(1)?,
                template: r.get(2)?,
                status: r.get(3)?,
                recipient: r.get(4)?,
                subject: r.get(5)?,
                reason: r.get(6)?,
                updated_at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<duckdb::Result<_>>()?)
    }

    /// The (mall, shop) rows of the log for an order number and template: more than one when two
    /// malls use the same number.
    pub fn mail_rows_for(&self, order_number: &str, template: &str, mall: Option<&str>) -> Result<Vec<(String, String, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT mall, shop, status FROM mail_log WHERE order_number = ? AND template = ? AND (?3 IS NULL OR mall = ?3) ORDER BY mall",
        )?;
        let rows = stmt.query_map(params![order_number, template, mall], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<duckdb::Result<_>>()?)
    }

    /// Staff's decision on a mail a crash left at `sending`, in one transaction with its record:
    /// `sent` (it arrived) ends it; `resend` marks it failed, so the next run sends it again.
    #[allow(clippy::too_many_arguments)]
    pub fn settle_mail(
        &self,
        mall: &str,
        shop: &str,
        order_number: &str,
        template: &str,
        resend: bool,
        by: &str,
        note: Option<&str>,
        now: DateTime<FixedOffset>,
    ) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        let status = if resend { "failed" } else { "sent" };
        let reason = if resend {
            crate::domain::lang::pick(format!("{by} さんが再送を指示"), format!("{by} chose to send it again"))
        } else {
            crate::domain::lang::pick(format!("{by} さんが届いたことを確認"), format!("{by} confirmed it arrived"))
        };
        tx.execute(
            "UPDATE mail_log SET status = ?, reason = ?, updated_at = ? WHERE mall = ? AND shop = ? AND order_number = ? AND template = ?",
            params![status, reason, now.naive_local(), mall, shop, order_number, template],
        )?;
        tx.execute(
            "INSERT INTO mail_settlements VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params![mall, shop, order_number, template, if resend { "resend" } else { "sent" }, by, now.naive_local(), note],
        )?;
        tx.commit()?;
        Ok(())
    }
}
