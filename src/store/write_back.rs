//! The write-back outbox (書き戻し): changes queued in the same transaction as the status or
//! shipment they write, the send log, the shadow plan (連動プレビュー) and overwrites (S12).
//!
//! Functions take a `Connection` so a command can queue inside its own transaction (a
//! `duckdb::Transaction` derefs to one).

use anyhow::{bail, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use duckdb::{params, Connection, OptionalExt};

use crate::domain::write_back::Change;

/// An order by its key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderKey {
    pub mall: String,
    pub shop: String,
    pub order_number: String,
}

/// What queueing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    New,
    /// The row held another change for the same order and action: replaced, queued again.
    Replaced,
    /// The same change was already there: one row, nothing new.
    Same,
}

/// An outbox row with what the store knows of its order.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub key: OrderKey,
    pub change: Change,
    /// queued, sending, done, skipped, dead
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub queued_at: NaiveDateTime,
    pub done_at: Option<NaiveDateTime>,
    pub done_run: Option<i64>,
    pub outcome: Option<String>,
    pub call: Option<String>,
    pub request: Option<String>,
    /// 注文日時 (JST).
    pub ordered_at: NaiveDateTime,
    /// The mall's status at the last fetch, and when that was.
    pub mall_status: String,
    pub fetched_at: NaiveDateTime,
    /// The tracking numbers the mall showed at the last fetch.
    pub mall_tracking: Vec<String>,
}

/// One row of the shadow plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub key: OrderKey,
    pub action: String,
    pub call: String,
    pub request: String,
    pub mall_shows: String,
    pub differs: bool,
    /// False where linkage would not send it (an order placed before the start, S13).
    pub would_send: bool,
    pub note: String,
}

fn ts(text: Option<String>) -> Option<NaiveDateTime> {
    text.and_then(|t| NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S").ok())
}

fn split(numbers: Option<String>) -> Vec<String> {
    numbers.unwrap_or_default().split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// The order's normalized `extras.tracking_numbers`.
fn tracking_of(normalized: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(normalized)
        .ok()
        .and_then(|v| v.get("extras")?.get("tracking_numbers")?.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// Whether the order is in the store.
pub fn order_exists(c: &Connection, key: &OrderKey) -> Result<bool> {
    Ok(c.query_row(
        "SELECT count(*) FROM orders WHERE mall = ? AND shop = ? AND order_number = ?",
        params![key.mall, key.shop, key.order_number],
        |r| r.get::<_, i64>(0),
    )? > 0)
}

/// The orders of that number (one per mall and shop, usually one).
pub fn find_orders(c: &Connection, order_number: &str, mall: Option<&str>) -> Result<Vec<(OrderKey, Option<String>, String)>> {
    let mut st = c.prepare(
        "SELECT mall, shop, order_number, house_status, mall_status FROM orders WHERE order_number = ? AND (? IS NULL OR mall = ?) ORDER BY mall, shop",
    )?;
    let rows = st.query_map(params![order_number, mall, mall], |r| {
        Ok((OrderKey { mall: r.get(0)?, shop: r.get(1)?, order_number: r.get(2)? }, r.get(3)?, r.get(4)?))
    })?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

/// Sets juchu's status (社内ステータス) of one order and logs it; returns the status before.
pub fn set_house_status(
    c: &Connection,
    key: &OrderKey,
    to: &str,
    by: &str,
    now: DateTime<FixedOffset>,
    command: &str,
) -> Result<Option<String>> {
    let before: Option<String> = c
        .query_row(
            "SELECT coalesce(house_status, mall_status) FROM orders WHERE mall = ? AND shop = ? AND order_number = ?",
            params![key.mall, key.shop, key.order_number],
            |r| r.get(0),
        )
        .optional()?;
    let Some(before) = before else { bail!("order {}/{} is not in the store", key.mall, key.order_number) };
    if before != to {
        c.execute(
            "INSERT INTO order_status_log (mall, shop, order_number, from_status, to_status, changed_by, changed_at, command)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params![key.mall, key.shop, key.order_number, before, to, by, now.naive_local(), command],
        )?;
        c.execute(
            "UPDATE orders SET house_status = ? WHERE mall = ? AND shop = ? AND order_number = ?",
            params![to, key.mall, key.shop, key.order_number],
        )?;
    }
    Ok(Some(before))
}

/// Queues a change. The row is (mall, shop, order, action): the same change twice is one row; a
/// new one replaces what the row held and is sent again.
pub fn queue(c: &Connection, key: &OrderKey, change: &Change, by: &str, now: DateTime<FixedOffset>, command: &str) -> Result<Queued> {
    let (status, carrier, numbers, shipped_on): (Option<&str>, Option<&str>, Option<String>, Option<NaiveDate>) = match change {
        Change::Status { status } => (Some(status), None, None, None),
        Change::Shipping { carrier, tracking_numbers, shipped_on } => {
            (None, Some(carrier), Some(tracking_numbers.join(",")), Some(*shipped_on))
        }
    };
    let existing: Option<(Option<String>, Option<String>, Option<String>, Option<NaiveDate>)> = c
        .query_row(
            "SELECT status, carrier, tracking_numbers, shipped_on FROM write_back_outbox
             WHERE mall = ? AND shop = ? AND order_number = ? AND action = ?",
            params![key.mall, key.shop, key.order_number, change.action()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let now = now.naive_local();
    match existing {
        Some((s, ca, n, d)) if s.as_deref() == status && ca.as_deref() == carrier && n == numbers && d == shipped_on => Ok(Queued::Same),
        Some(_) => {
            c.execute(
                "UPDATE write_back_outbox SET status = ?, carrier = ?, tracking_numbers = ?, shipped_on = ?, state = 'queued',
                    attempts = 0, last_error = NULL, queued_at = ?, queued_by = ?, command = ?, done_at = NULL, done_run = NULL,
                    outcome = NULL, mall_call = NULL, request = NULL
                 WHERE mall = ? AND shop = ? AND order_number = ? AND action = ?",
                params![status, carrier, numbers, shipped_on, now, by, command, key.mall, key.shop, key.order_number, change.action()],
            )?;
            Ok(Queued::Replaced)
        }
        None => {
            c.execute(
                "INSERT INTO write_back_outbox (mall, shop, order_number, action, status, carrier, tracking_numbers, shipped_on, state,
                    queued_at, queued_by, command)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)",
                params![key.mall, key.shop, key.order_number, change.action(), status, carrier, numbers, shipped_on, now, by, command],
            )?;
            Ok(Queued::New)
        }
    }
}

/// Outbox rows in `states` (all when empty), oldest first; `mall` narrows to one mall.
pub fn outbox(c: &Connection, states: &[&str], mall: Option<&str>) -> Result<Vec<OutboxRow>> {
    let filter = if states.is_empty() {
        "true".to_string()
    } else {
        format!("w.state IN ({})", states.iter().map(|s| format!("'{}'", s.replace('\'', ""))).collect::<Vec<_>>().join(","))
    };
    rows(c, &filter, mall)
}

/// Done rows of a mall whose order a fetch has read since: the only ones an edit in the mall's
/// screen can have overwritten (S12). In SQL, so a quiet poll does not read every row ever sent.
pub fn overwrite_candidates(c: &Connection, mall: &str) -> Result<Vec<OutboxRow>> {
    rows(c, "w.state = 'done' AND w.outcome IN ('changed', 'already_set') AND o.fetched_at > w.done_at", Some(mall))
}

fn rows(c: &Connection, filter: &str, mall: Option<&str>) -> Result<Vec<OutboxRow>> {
    let mut st = c.prepare(&format!(
        "SELECT w.mall, w.shop, w.order_number, w.action, w.status, w.carrier, w.tracking_numbers, w.shipped_on, w.state, w.attempts,
            w.last_error, strftime(w.queued_at, '%Y-%m-%d %H:%M:%S'), strftime(w.done_at, '%Y-%m-%d %H:%M:%S'), w.outcome, w.mall_call, w.request,
            strftime(o.ordered_at, '%Y-%m-%d %H:%M:%S'), coalesce(o.mall_status, ''), strftime(o.fetched_at, '%Y-%m-%d %H:%M:%S'),
            coalesce(o.normalized, '{{}}'), w.done_run
         FROM write_back_outbox w LEFT JOIN orders o USING (mall, shop, order_number)
         WHERE {filter} AND (?1 IS NULL OR w.mall = ?1)
         ORDER BY w.queued_at, w.mall, w.order_number, w.action"
    ))?;
    let rows = st.query_map(params![mall], |r| {
        let action: String = r.get(3)?;
        let change = if action == "status" {
            Change::Status { status: r.get::<_, Option<String>>(4)?.unwrap_or_default() }
        } else {
            Change::Shipping {
                carrier: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                tracking_numbers: split(r.get(6)?),
                shipped_on: r.get::<_, Option<NaiveDate>>(7)?.unwrap_or_default(),
            }
        };
        Ok(OutboxRow {
            key: OrderKey { mall: r.get(0)?, shop: r.get(1)?, order_number: r.get(2)? },
            change,
            state: r.get(8)?,
            attempts: r.get(9)?,
            last_error: r.get(10)?,
            queued_at: ts(r.get(11)?).unwrap_or_default(),
            done_at: ts(r.get(12)?),
            done_run: r.get(20)?,
            outcome: r.get(13)?,
            call: r.get(14)?,
            request: r.get(15)?,
            ordered_at: ts(r.get(16)?).unwrap_or_default(),
            mall_status: r.get(17)?,
            fetched_at: ts(r.get(18)?).unwrap_or_default(),
            mall_tracking: tracking_of(&r.get::<_, String>(19)?),
        })
    })?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

/// Appends to the send log.
#[allow(clippy::too_many_arguments)]
pub fn log(
    c: &Connection,
    run_id: i64,
    key: &OrderKey,
    action: &str,
    call: &str,
    request: &str,
    result: &str,
    detail: &str,
    now: DateTime<FixedOffset>,
) -> Result<()> {
    c.execute(
        "INSERT INTO write_back_log (run_id, mall, shop, order_number, action, mall_call, request, result, detail, logged_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![run_id, key.mall, key.shop, key.order_number, action, call, request, result, detail, now.naive_local()],
    )?;
    Ok(())
}

/// Before a send: the row is `sending` with one more attempt, committed before the mall is asked.
/// A crash from here on leaves it `sending`; the next run asks the mall what it holds first.
pub fn mark_sending(
    c: &Connection,
    run_id: i64,
    key: &OrderKey,
    action: &str,
    call: &str,
    request: &str,
    now: DateTime<FixedOffset>,
) -> Result<()> {
    let tx = c.unchecked_transaction()?;
    tx.execute(
        "UPDATE write_back_outbox SET state = 'sending', attempts = attempts + 1, mall_call = ?, request = ?
         WHERE mall = ? AND shop = ? AND order_number = ? AND action = ?",
        params![call, request, key.mall, key.shop, key.order_number, action],
    )?;
    log(&tx, run_id, key, action, call, request, "sending", "", now)?;
    tx.commit()?;
    Ok(())
}

/// After a send (or a decision not to send): the row's new state and the log line, in one commit.
#[allow(clippy::too_many_arguments)]
pub fn settle(
    c: &Connection,
    run_id: i64,
    key: &OrderKey,
    action: &str,
    state: &str,
    outcome: Option<&str>,
    error: Option<&str>,
    call: &str,
    request: &str,
    log_result: &str,
    now: DateTime<FixedOffset>,
) -> Result<()> {
    let tx = c.unchecked_transaction()?;
    let done = matches!(state, "done" | "skipped" | "dead");
    tx.execute(
        "UPDATE write_back_outbox SET state = ?, outcome = coalesce(?, outcome), last_error = ?,
            done_at = CASE WHEN ? THEN ?::TIMESTAMP ELSE done_at END, done_run = CASE WHEN ? THEN ? ELSE done_run END,
            mall_call = CASE WHEN ? = '' THEN mall_call ELSE ? END, request = CASE WHEN ? = '' THEN request ELSE ? END
         WHERE mall = ? AND shop = ? AND order_number = ? AND action = ?",
        params![
            state,
            outcome,
            error,
            done,
            now.naive_local(),
            done,
            run_id,
            call,
            call,
            request,
            request,
            key.mall,
            key.shop,
            key.order_number,
            action
        ],
    )?;
    log(&tx, run_id, key, action, call, request, log_result, error.or(outcome).unwrap_or(""), now)?;
    tx.commit()?;
    Ok(())
}

/// Replaces a mall's shadow plan with this run's.
pub fn replace_plan(c: &Connection, run_id: i64, mall: &str, rows: &[PlanRow], now: DateTime<FixedOffset>) -> Result<()> {
    let tx = c.unchecked_transaction()?;
    tx.execute("DELETE FROM write_back_plan WHERE mall = ?", params![mall])?;
    for p in rows {
        tx.execute(
            "INSERT INTO write_back_plan (run_id, mall, shop, order_number, action, mall_call, request, mall_shows, differs, would_send, note, planned_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                run_id,
                p.key.mall,
                p.key.shop,
                p.key.order_number,
                p.action,
                p.call,
                p.request,
                p.mall_shows,
                p.differs,
                p.would_send,
                p.note,
                now.naive_local()
            ],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// The latest shadow plan, every mall.
pub fn plan(c: &Connection) -> Result<Vec<PlanRow>> {
    let mut st = c.prepare(
        "SELECT mall, shop, order_number, action, coalesce(mall_call, ''), coalesce(request, ''), coalesce(mall_shows, ''), differs, would_send,
            coalesce(note, '')
         FROM write_back_plan ORDER BY mall, order_number, action",
    )?;
    let rows = st.query_map([], |r| {
        Ok(PlanRow {
            key: OrderKey { mall: r.get(0)?, shop: r.get(1)?, order_number: r.get(2)? },
            action: r.get(3)?,
            call: r.get(4)?,
            request: r.get(5)?,
            mall_shows: r.get(6)?,
            differs: r.get(7)?,
            would_send: r.get(8)?,
            note: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

/// S12: juchu wrote this, the mall showed something else at a later fetch; the row goes back to
/// `queued` and the overwrite is recorded for the workbook, in one commit.
pub fn record_overwrite(
    c: &Connection,
    run_id: i64,
    key: &OrderKey,
    action: &str,
    mall_showed: &str,
    juchu_writes: &str,
    now: DateTime<FixedOffset>,
) -> Result<()> {
    let tx = c.unchecked_transaction()?;
    tx.execute(
        "UPDATE write_back_outbox SET state = 'queued', attempts = 0, last_error = NULL, outcome = NULL
         WHERE mall = ? AND shop = ? AND order_number = ? AND action = ?",
        params![key.mall, key.shop, key.order_number, action],
    )?;
    tx.execute(
        "INSERT INTO write_back_overwrites (run_id, mall, shop, order_number, action, mall_showed, juchu_writes, logged_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![run_id, key.mall, key.shop, key.order_number, action, mall_showed, juchu_writes, now.naive_local()],
    )?;
    tx.commit()?;
    Ok(())
}

/// Dead rows back to `queued` (`juchu write-back --retry-dead`); returns how many.
pub fn retry_dead(c: &Connection, mall: Option<&str>) -> Result<usize> {
    Ok(c.execute(
        "UPDATE write_back_outbox SET state = 'queued', attempts = 0, last_error = NULL WHERE state = 'dead' AND (? IS NULL OR mall = ?)",
        params![mall, mall],
    )?)
}

/// One overwrite (S12) of a run.
#[derive(Debug, Clone)]
pub struct Overwrite {
    pub key: OrderKey,
    pub action: String,
    pub mall_showed: String,
    pub juchu_writes: String,
}

/// The overwrites a run made, for the workbook.
pub fn overwrites(c: &Connection, run_id: i64) -> Result<Vec<Overwrite>> {
    let mut st = c.prepare(
        "SELECT mall, shop, order_number, action, coalesce(mall_showed, ''), coalesce(juchu_writes, '') FROM write_back_overwrites
         WHERE run_id = ? ORDER BY seq",
    )?;
    let rows = st.query_map(params![run_id], |r| {
        Ok(Overwrite {
            key: OrderKey { mall: r.get(0)?, shop: r.get(1)?, order_number: r.get(2)? },
            action: r.get(3)?,
            mall_showed: r.get(4)?,
            juchu_writes: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

/// What the workbook's write-back sheets would show, as a digest: a poll whose plan and outbox
/// are as the last workbook showed them (and has no new order) keeps that workbook.
pub fn sheets_digest(c: &Connection, run_id: i64) -> Result<String> {
    let digest: Option<String> = c.query_row(
        "SELECT md5(coalesce(string_agg(x, chr(10) ORDER BY x), '')) FROM (
            SELECT concat_ws('|', mall, order_number, action, mall_call, request, mall_shows, differs, would_send, note) AS x FROM write_back_plan
            UNION ALL
            SELECT concat_ws('|', mall, order_number, action, state, attempts, last_error, outcome) FROM write_back_outbox
                WHERE state NOT IN ('done', 'skipped') OR done_run = ?1
            UNION ALL
            SELECT concat_ws('|', 'overwrite', mall, order_number, action) FROM write_back_overwrites WHERE run_id = ?1)",
        params![run_id],
        |r| r.get(0),
    )?;
    Ok(digest.unwrap_or_default())
}
