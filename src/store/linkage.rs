//! 受注連動 (linkage) history and juchu's own order status (社内ステータス) with its log.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use duckdb::params;

use super::Store;

/// One row of the linkage history.
#[derive(Debug, Clone)]
pub struct LinkageEvent {
    pub seq: i64,
    pub mall: String,
    /// enable, disable
    pub action: String,
    /// JST.
    pub starts_at: Option<NaiveDateTime>,
    pub allow_auto_authorization: bool,
    pub decided_by: String,
    /// JST.
    pub decided_at: NaiveDateTime,
    pub note: Option<String>,
}

/// A group of orders `move-status` would move: one mall, one status now.
#[derive(Debug, Clone)]
pub struct MoveGroup {
    pub mall: String,
    pub status: String,
    pub count: i64,
}

/// `?1` the time (RFC 3339), `?2` the mall or NULL, `?3` the status to move to. An order's import
/// time is its first run's clock (`fetched_at` moves on with every overlapping poll).
const MOVABLE: &str = "coalesce((SELECT r.clock_now FROM runs r WHERE r.run_id = orders.first_seen_run) < ?1::TIMESTAMPTZ, true)
    AND (?2 IS NULL OR mall = ?2) AND NOT coalesce(cancelled, false) AND coalesce(house_status, '') <> ?3";

fn ts(text: Option<String>) -> Option<NaiveDateTime> {
    text.and_then(|t| NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S").ok())
}

impl Store {
    /// The whole history, oldest first.
    pub fn linkage_history(&self) -> Result<Vec<LinkageEvent>> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, mall, action, strftime(starts_at, '%Y-%m-%d %H:%M:%S'), allow_auto_authorization, decided_by,
                strftime(decided_at, '%Y-%m-%d %H:%M:%S'), note
             FROM linkage_history ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(LinkageEvent {
                seq: r.get(0)?,
                mall: r.get(1)?,
                action: r.get(2)?,
                starts_at: ts(r.get(3)?),
                allow_auto_authorization: r.get(4)?,
                decided_by: r.get(5)?,
                decided_at: ts(r.get(6)?).unwrap_or_default(),
                note: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<duckdb::Result<_>>()?)
    }

    /// Per mall, the start of linkage now in force (its last event is an enable).
    pub fn linkage_starts(&self) -> Result<BTreeMap<String, NaiveDateTime>> {
        let mut last: BTreeMap<String, LinkageEvent> = BTreeMap::new();
        for e in self.linkage_history()? {
            last.insert(e.mall.clone(), e);
        }
        Ok(last.into_iter().filter(|(_, e)| e.action == "enable").filter_map(|(m, e)| e.starts_at.map(|t| (m, t))).collect())
    }

    /// Appends one event; the history is never updated or deleted.
    #[allow(clippy::too_many_arguments)]
    pub fn record_linkage(
        &self,
        mall: &str,
        action: &str,
        starts_at: Option<NaiveDateTime>,
        allow_auto_authorization: bool,
        by: &str,
        now: DateTime<FixedOffset>,
        note: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO linkage_history (mall, action, starts_at, allow_auto_authorization, decided_by, decided_at, note)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            params![mall, action, starts_at, allow_auto_authorization, by, now.naive_local(), note],
        )?;
        Ok(())
    }

    /// The orders first imported (by a run whose clock was) before `before`, not cancelled and not
    /// yet in `to`, per mall and status now (juchu's, else the mall's).
    pub fn move_candidates(&self, before: DateTime<FixedOffset>, mall: Option<&str>, to: &str) -> Result<Vec<MoveGroup>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT mall, coalesce(house_status, mall_status), count(*) FROM orders WHERE {MOVABLE} GROUP BY ALL ORDER BY ALL"
        ))?;
        let rows = stmt.query_map(params![before.to_rfc3339(), mall, to], |r| {
            Ok(MoveGroup { mall: r.get(0)?, status: r.get(1)?, count: r.get(2)? })
        })?;
        Ok(rows.collect::<duckdb::Result<_>>()?)
    }

    /// Moves them, each change logged, in one transaction; returns how many moved.
    pub fn move_status(
        &self,
        before: DateTime<FixedOffset>,
        mall: Option<&str>,
        to: &str,
        by: &str,
        now: DateTime<FixedOffset>,
        command: &str,
    ) -> Result<u64> {
        let tx = self.conn.unchecked_transaction()?;
        let filter = MOVABLE;
        let before = before.to_rfc3339();
        tx.execute(
            &format!(
                "INSERT INTO order_status_log (mall, shop, order_number, from_status, to_status, changed_by, changed_at, command)
                 SELECT mall, shop, order_number, coalesce(house_status, mall_status), ?3, ?4, ?5, ?6 FROM orders WHERE {filter}"
            ),
            params![before, mall, to, by, now.naive_local(), command],
        )?;
        let moved = tx.execute(&format!("UPDATE orders SET house_status = ?3 WHERE {filter}"), params![before, mall, to])?;
        tx.commit()?;
        Ok(moved as u64)
    }
}
