//! 出荷の一日 (the shipping day) in the store: holds (保留) and their releases, 出荷OK acceptances,
//! 同梱 proposals and decisions, the slips exported per carrier and the tracking numbers that come
//! back. Functions take a `Connection` so a command or a stage applies them in its own transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::{bail, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use duckdb::{params, Connection, OptionalExt};

pub use super::write_back::OrderKey;

/// Who holds a hold placed by staff (`order_holds.source`).
pub const STAFF: &str = "staff";

/// The statuses a shipment never moves back from (tracking import, export).
pub const FINAL_STATUSES: &[&str] = &["出荷済", "キャンセル", "キャンセル処理中"];

fn key_of(r: &duckdb::Row<'_>, from: usize) -> duckdb::Result<OrderKey> {
    Ok(OrderKey { mall: r.get(from)?, shop: r.get(from + 1)?, order_number: r.get(from + 2)? })
}

// ---------------------------------------------------------------------------------------------
// 保留 (holds)

/// Makes `order_holds` follow the hold rules for the orders enriched by `run_id`: a reason a rule
/// now gives is added (a released one stays released), a rule reason that no longer applies and
/// was not released goes. Staff holds are left alone. Returns the orders newly held.
pub fn sync_rule_holds(c: &Connection, run_id: i64, now: DateTime<FixedOffset>) -> Result<usize> {
    c.execute("DROP TABLE IF EXISTS rule_holds_now", [])?;
    c.execute(
        "CREATE TEMP TABLE rule_holds_now AS
         SELECT DISTINCT mall, shop, order_number, split_part(h, chr(9), 1) AS source, split_part(h, chr(9), 2) AS reason
         FROM (SELECT mall, shop, order_number, unnest(string_split(holds, chr(10))) AS h
               FROM order_enrichment WHERE holds IS NOT NULL AND holds <> '' AND enriched_run = ?)",
        params![run_id],
    )?;
    let held_before: i64 =
        c.query_row("SELECT count(DISTINCT (mall, shop, order_number)) FROM order_holds WHERE released_at IS NULL", [], |r| r.get(0))?;
    c.execute(
        "DELETE FROM order_holds h WHERE h.source <> ? AND h.released_at IS NULL
           AND EXISTS (SELECT 1 FROM order_enrichment e WHERE e.enriched_run = ? AND e.mall = h.mall AND e.shop = h.shop AND e.order_number = h.order_number)
           AND NOT EXISTS (SELECT 1 FROM rule_holds_now n WHERE n.mall = h.mall AND n.shop = h.shop AND n.order_number = h.order_number
                             AND n.source = h.source AND n.reason = h.reason)",
        params![STAFF, run_id],
    )?;
    c.execute(
        "INSERT INTO order_holds (mall, shop, order_number, source, reason, held_at, held_run)
         SELECT n.mall, n.shop, n.order_number, n.source, n.reason, ?, ? FROM rule_holds_now n
         WHERE NOT EXISTS (SELECT 1 FROM order_holds h WHERE h.mall = n.mall AND h.shop = n.shop AND h.order_number = n.order_number
                             AND h.source = n.source AND h.reason = n.reason)",
        params![now.naive_local(), run_id],
    )?;
    c.execute("DROP TABLE rule_holds_now", [])?;
    let held_after: i64 =
        c.query_row("SELECT count(DISTINCT (mall, shop, order_number)) FROM order_holds WHERE released_at IS NULL", [], |r| r.get(0))?;
    Ok((held_after - held_before).max(0) as usize)
}

/// One reason an order is (or was) held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub key: OrderKey,
    /// The rule row, or `staff`.
    pub source: String,
    pub reason: String,
    pub held_at: NaiveDateTime,
    pub held_by: Option<String>,
    pub released_at: Option<NaiveDateTime>,
    pub released_by: Option<String>,
    pub release_reason: Option<String>,
}

fn ts(text: Option<String>) -> Option<NaiveDateTime> {
    text.and_then(|t| NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S").ok())
}

fn holds_where(c: &Connection, filter: &str, p: &[&dyn duckdb::ToSql]) -> Result<Vec<Hold>> {
    let mut st = c.prepare(&format!(
        "SELECT mall, shop, order_number, source, reason, strftime(held_at, '%Y-%m-%d %H:%M:%S'), held_by,
            strftime(released_at, '%Y-%m-%d %H:%M:%S'), released_by, release_reason
         FROM order_holds WHERE {filter} ORDER BY mall, order_number, held_at, source"
    ))?;
    let rows = st.query_map(p, |r| {
        Ok(Hold {
            key: key_of(r, 0)?,
            source: r.get(3)?,
            reason: r.get(4)?,
            held_at: ts(r.get(5)?).unwrap_or_default(),
            held_by: r.get(6)?,
            released_at: ts(r.get(7)?),
            released_by: r.get(8)?,
            release_reason: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

/// The reasons holding orders now, every order's.
pub fn holding(c: &Connection) -> Result<Vec<Hold>> {
    holds_where(c, "released_at IS NULL", &[])
}

/// Every hold of one order, released or not.
pub fn holds_of(c: &Connection, key: &OrderKey) -> Result<Vec<Hold>> {
    holds_where(c, "mall = ? AND shop = ? AND order_number = ?", &[&key.mall, &key.shop, &key.order_number])
}

/// Whether the order is held now.
pub fn is_held(c: &Connection, key: &OrderKey) -> Result<bool> {
    Ok(c.query_row(
        "SELECT count(*) FROM order_holds WHERE mall = ? AND shop = ? AND order_number = ? AND released_at IS NULL",
        params![key.mall, key.shop, key.order_number],
        |r| r.get::<_, i64>(0),
    )? > 0)
}

/// The orders held now.
pub fn held_orders(c: &Connection) -> Result<HashSet<OrderKey>> {
    let mut st = c.prepare("SELECT DISTINCT mall, shop, order_number FROM order_holds WHERE released_at IS NULL")?;
    let rows = st.query_map([], |r| key_of(r, 0))?;
    Ok(rows.collect::<duckdb::Result<_>>()?)
}

/// Staff hold an order (保留). False when the same staff reason already holds it.
pub fn hold(c: &Connection, key: &OrderKey, reason: &str, by: &str, now: DateTime<FixedOffset>) -> Result<bool> {
    let open: i64 = c.query_row(
        "SELECT count(*) FROM order_holds WHERE mall = ? AND shop = ? AND order_number = ? AND source = ? AND reason = ? AND released_at IS NULL",
        params![key.mall, key.shop, key.order_number, STAFF, reason],
        |r| r.get(0),
    )?;
    if open > 0 {
        return Ok(false);
    }
    // A staff reason released before holds again: the row is reused (the key is the reason).
    c.execute(
        "DELETE FROM order_holds WHERE mall = ? AND shop = ? AND order_number = ? AND source = ? AND reason = ?",
        params![key.mall, key.shop, key.order_number, STAFF, reason],
    )?;
    c.execute(
        "INSERT INTO order_holds (mall, shop, order_number, source, reason, held_at, held_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![key.mall, key.shop, key.order_number, STAFF, reason, now.naive_local(), by],
    )?;
    Ok(true)
}

/// Releases every reason holding the order (保留解除); returns how many were holding it.
pub fn release(c: &Connection, key: &OrderKey, reason: Option<&str>, by: &str, now: DateTime<FixedOffset>, command: &str) -> Result<usize> {
    Ok(c.execute(
        "UPDATE order_holds SET released_at = ?, released_by = ?, release_reason = ?, release_command = ?
         WHERE mall = ? AND shop = ? AND order_number = ? AND released_at IS NULL",
        params![now.naive_local(), by, reason, command, key.mall, key.shop, key.order_number],
    )?)
}

/// 保留 at the mall (`hold_at_mall`): queues the status 保留 for each order of `mall` held now and
/// not mirrored yet, and its status before for each mirrored one no longer held. Returns (held, released).
pub fn mirror_holds(c: &Connection, mall: &str, by: &str, now: DateTime<FixedOffset>) -> Result<(usize, usize)> {
    use crate::domain::write_back::Change;
    let keys = |sql: &str| -> Result<Vec<(OrderKey, String)>> {
        let mut st = c.prepare(sql)?;
        let rows = st.query_map(params![mall], |r| Ok((key_of(r, 0)?, r.get::<_, String>(3)?)))?;
        Ok(rows.collect::<duckdb::Result<_>>()?)
    };
    let to_hold = keys(
        "SELECT DISTINCT o.mall, o.shop, o.order_number, coalesce(o.house_status, ms.internal_status, o.mall_status)
         FROM order_holds h JOIN orders o ON o.mall = h.mall AND o.shop = h.shop AND o.order_number = h.order_number
         LEFT JOIN m_order_statuses ms ON ms.mall = o.mall AND ms.code = o.mall_status
         WHERE h.released_at IS NULL AND o.mall = ?
           AND NOT EXISTS (SELECT 1 FROM hold_mirrors m WHERE m.mall = o.mall AND m.shop = o.shop AND m.order_number = o.order_number)",
    )?;
    let to_release = keys(
        "SELECT m.mall, m.shop, m.order_number, m.status_before FROM hold_mirrors m
         WHERE m.mall = ? AND NOT EXISTS (SELECT 1 FROM order_holds h WHERE h.mall = m.mall AND h.shop = m.shop
            AND h.order_number = m.order_number AND h.released_at IS NULL)",
    )?;
    for (k, before) in &to_hold {
        c.execute("INSERT INTO hold_mirrors VALUES (?, ?, ?, ?, ?)", params![k.mall, k.shop, k.order_number, before, now.naive_local()])?;
        super::write_back::queue(c, k, &Change::Status { status: "保留".into() }, by, now, "保留（hold_at_mall）")?;
    }
    for (k, before) in &to_release {
        c.execute("DELETE FROM hold_mirrors WHERE mall = ? AND shop = ? AND order_number = ?", params![k.mall, k.shop, k.order_number])?;
        super::write_back::queue(c, k, &Change::Status { status: before.clone() }, by, now, "保留解除（hold_at_mall）")?;
    }
    Ok((to_hold.len(), to_release.len()))
}

// ---------------------------------------------------------------------------------------------
// 出荷OK (an order whose checks failed, accepted as it is)

/// The fingerprint of the order's enrichment now (None: not enriched).
pub fn enrichment_fingerprint(c: &Connection, key: &OrderKey) -> Result<Option<i64>> {
    Ok(c.query_row(
        "SELECT max(fingerprint) FROM order_enrichment WHERE mall = ? AND shop = ? AND order_number = ?",
        params![key.mall, key.shop, key.order_number],
        |r| r.get(0),
    )?)
}

/// Staff accept the order to ship as enriched now. False when it was accepted so already.
pub fn accept(c: &Connection, key: &OrderKey, by: &str, via: &str, now: DateTime<FixedOffset>) -> Result<bool> {
    let Some(fp) = enrichment_fingerprint(c, key)? else { bail!("order {}/{} is not enriched yet", key.mall, key.order_number) };
    let before: Option<i64> = c
        .query_row(
            "SELECT fingerprint FROM order_acceptances WHERE mall = ? AND shop = ? AND order_number = ?",
            params![key.mall, key.shop, key.order_number],
            |r| r.get(0),
        )
        .optional()?;
    if before == Some(fp) {
        return Ok(false);
    }
    c.execute(
        "INSERT OR REPLACE INTO order_acceptances VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![key.mall, key.shop, key.order_number, fp, by, now.naive_local(), via],
    )?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// 同梱 (merging orders for one recipient)

/// One order that could share a parcel, with what must match.
#[derive(Debug, Clone)]
pub struct MergeCandidate {
    pub key: OrderKey,
    pub ordered_at: NaiveDateTime,
    /// Everything that must be the same, normalised: mall, shop, recipient, payment, delivery group.
    pub group: String,
    pub current: Option<(String, String)>,
}

/// Full-width letters and digits as half-width, no spaces; phone and postal code as digits only.
pub fn normalise_recipient(name: &str, postal: &str, address: &str, phone: &str) -> String {
    let squash = |s: &str| crate::domain::text::to_half_width(s).chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let digits = |s: &str| crate::domain::text::to_half_width(s).chars().filter(char::is_ascii_digit).collect::<String>();
    format!("{}|{}|{}|{}", squash(name), digits(postal), squash(address), digits(phone))
}

/// Orders that could be merged now: not cancelled, one destination with an address, not Amazon
/// (`never`), not shipped, not on a slip yet.
pub fn merge_candidates(c: &Connection, never: &[String]) -> Result<Vec<MergeCandidate>> {
    let mut st = c.prepare(
        "SELECT o.mall, o.shop, o.order_number, strftime(o.ordered_at, '%Y-%m-%d %H:%M:%S'),
            coalesce(s.ship_to_name, ''), coalesce(s.ship_to_postal_code, ''), coalesce(s.ship_to_prefecture, '') || coalesce(s.ship_to_address, ''),
            coalesce(s.ship_to_phone, ''), coalesce(e.payment_method, ''), coalesce(e.carrier, ''), coalesce(e.carrier_service, ''),
            coalesce(e.temperature, ''), coalesce(CAST(e.desired_date AS VARCHAR), ''), coalesce(e.desired_time_slot, ''),
            m.group_key, m.state
         FROM orders o
         JOIN order_shipments s ON s.mall = o.mall AND s.shop = o.shop AND s.order_number = o.order_number AND s.shipment_no = 1
         JOIN order_enrichment e ON e.mall = o.mall AND e.shop = o.shop AND e.order_number = o.order_number AND e.shipment_no = 1
         LEFT JOIN m_order_statuses ms ON ms.mall = o.mall AND ms.code = o.mall_status
         LEFT JOIN order_merges m ON m.mall = o.mall AND m.shop = o.shop AND m.order_number = o.order_number
         WHERE NOT coalesce(o.cancelled, false) AND coalesce(o.shipment_count, 1) = 1 AND NOT s.address_pending
           AND coalesce(o.house_status, ms.internal_status, '') NOT IN ('出荷済', 'キャンセル', 'キャンセル処理中', '処理済')
           AND NOT EXISTS (SELECT 1 FROM slip_orders so WHERE so.mall = o.mall AND so.shop = o.shop AND so.order_number = o.order_number)
         ORDER BY o.mall, o.shop, o.ordered_at, o.order_number",
    )?;
    let rows = st.query_map([], |r| {
        let mall: String = r.get(0)?;
        let shop: String = r.get(1)?;
        let recipient =
            normalise_recipient(&r.get::<_, String>(4)?, &r.get::<_, String>(5)?, &r.get::<_, String>(6)?, &r.get::<_, String>(7)?);
        let rest: Vec<String> = (8..14).map(|i| r.get::<_, String>(i)).collect::<duckdb::Result<_>>()?;
        let group = format!("{mall}|{shop}|{recipient}|{}", rest.join("|"));
        let current = match (r.get::<_, Option<String>>(14)?, r.get::<_, Option<String>>(15)?) {
            (Some(g), Some(s)) => Some((g, s)),
            _ => None,
        };
        Ok(MergeCandidate {
            key: OrderKey { mall, shop, order_number: r.get(2)? },
            ordered_at: ts(r.get(3)?).unwrap_or_default(),
            group,
            current,
        })
    })?;
    let all: Vec<MergeCandidate> = rows.collect::<duckdb::Result<_>>()?;
    Ok(all.into_iter().filter(|m| !never.contains(&m.key.mall)).collect())
}

/// The groups the candidates make: the same `group`, each order within `window` of the group's
/// first; groups of two or more, keyed by a short hash of what they share and the first order.
pub fn merge_groups(candidates: &[MergeCandidate], window: chrono::Duration) -> BTreeMap<String, Vec<OrderKey>> {
    use std::hash::{Hash, Hasher};
    let mut by_group: BTreeMap<&str, Vec<&MergeCandidate>> = BTreeMap::new();
    for m in candidates {
        by_group.entry(m.group.as_str()).or_default().push(m);
    }
    let mut out = BTreeMap::new();
    for (group, mut members) in by_group {
        members.sort_by(|a, b| (a.ordered_at, &a.key).cmp(&(b.ordered_at, &b.key)));
        let mut start = 0;
        while start < members.len() {
            let first = members[start].ordered_at;
            let mut end = start + 1;
            while end < members.len() && members[end].ordered_at - first <= window {
                end += 1;
            }
            if end - start >= 2 {
                let mut h = crate::domain::Fnv::default();
                (group, &members[start].key.order_number).hash(&mut h);
                let keys: Vec<OrderKey> = members[start..end].iter().map(|m| m.key.clone()).collect();
                out.insert(format!("D{:012x}", h.finish() & 0xffff_ffff_ffff), keys);
            }
            start = end;
        }
    }
    out
}

/// Brings `order_merges` in line with the groups the candidates make now: a new group, or one
/// whose members changed, is proposed (again); a decided group that is unchanged keeps its decision;
/// a candidate in no group loses its row. Returns the groups proposed by this call.
pub fn propose_merges(
    c: &Connection,
    never: &[String],
    window: chrono::Duration,
    run_id: i64,
    now: DateTime<FixedOffset>,
) -> Result<usize> {
    let candidates = merge_candidates(c, never)?;
    let groups = merge_groups(&candidates, window);
    let current: HashMap<&OrderKey, &(String, String)> =
        candidates.iter().filter_map(|m| m.current.as_ref().map(|cur| (&m.key, cur))).collect();
    let mut members_before: HashMap<&str, HashSet<&OrderKey>> = HashMap::new();
    for (k, (g, _)) in &current {
        members_before.entry(g.as_str()).or_default().insert(k);
    }
    let mut in_groups: HashSet<&OrderKey> = HashSet::new();
    let mut proposed = 0;
    for (group_key, members) in &groups {
        in_groups.extend(members.iter());
        let same = members_before
            .get(group_key.as_str())
            .is_some_and(|before| before.len() == members.len() && members.iter().all(|m| before.contains(m)));
        if same {
            continue;
        }
        proposed += 1;
        for m in members {
            c.execute(
                "INSERT OR REPLACE INTO order_merges (mall, shop, order_number, group_key, state, proposed_at, proposed_run)
                 VALUES (?, ?, ?, ?, 'proposed', ?, ?)",
                params![m.mall, m.shop, m.order_number, group_key, now.naive_local(), run_id],
            )?;
        }
    }
    for k in current.keys() {
        if !in_groups.contains(k) {
            c.execute(
                "DELETE FROM order_merges WHERE mall = ? AND shop = ? AND order_number = ?",
                params![k.mall, k.shop, k.order_number],
            )?;
        }
    }
    Ok(proposed)
}

/// One 同梱 group as proposed or decided.
#[derive(Debug, Clone)]
pub struct MergeGroup {
    pub group_key: String,
    pub state: String,
    pub members: Vec<OrderKey>,
    pub decided_by: Option<String>,
}

/// Every group not yet on a slip, proposals first.
pub fn merge_groups_open(c: &Connection) -> Result<Vec<MergeGroup>> {
    let mut st = c.prepare(
        "SELECT m.group_key, m.state, m.mall, m.shop, m.order_number, m.decided_by FROM order_merges m
         WHERE NOT EXISTS (SELECT 1 FROM slip_orders so WHERE so.mall = m.mall AND so.shop = m.shop AND so.order_number = m.order_number)
         ORDER BY CASE m.state WHEN 'proposed' THEN 0 ELSE 1 END, m.group_key, m.order_number",
    )?;
    let mut out: Vec<MergeGroup> = Vec::new();
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, key_of(r, 2)?, r.get::<_, Option<String>>(5)?)))?;
    for row in rows {
        let (g, state, key, by) = row?;
        match out.last_mut() {
            Some(last) if last.group_key == g => last.members.push(key),
            _ => out.push(MergeGroup { group_key: g, state, members: vec![key], decided_by: by }),
        }
    }
    Ok(out)
}

/// 同梱OK (`accept`) or 同梱しない for a group. Returns the orders whose state changed; an unknown
/// group is an error.
pub fn decide_merge(c: &Connection, group_key: &str, accept: bool, by: &str, via: &str, now: DateTime<FixedOffset>) -> Result<usize> {
    let state = if accept { "accepted" } else { "declined" };
    let n: i64 = c.query_row("SELECT count(*) FROM order_merges WHERE group_key = ?", params![group_key], |r| r.get(0))?;
    if n == 0 {
        bail!("no 同梱 group {group_key}");
    }
    Ok(c.execute(
        "UPDATE order_merges SET state = ?, decided_at = ?, decided_by = ?, decided_via = ? WHERE group_key = ? AND state <> ?",
        params![state, now.naive_local(), by, via, group_key, state],
    )?)
}

// ---------------------------------------------------------------------------------------------
// 送り状 (slips)

/// A shipment ready for a slip, with what the slip needs.
#[derive(Debug, Clone)]
pub struct ReadyShipment {
    pub key: OrderKey,
    pub shipment_no: i32,
    pub carrier: String,
    pub service: String,
    pub temperature: String,
    pub ship_date: NaiveDate,
    pub desired_date: Option<NaiveDate>,
    pub time_slot: Option<String>,
    /// 決済方法 (社内): 代金引換 makes the slip a COD one.
    pub payment_method: String,
    pub billing_total: Option<i64>,
    /// 消費税 within the billing total (10 % and 8 %).
    pub tax: i64,
    pub name: String,
    pub name_kana: String,
    pub postal_code: String,
    pub prefecture: String,
    pub address: String,
    pub phone: String,
    pub items: Vec<String>,
    /// The accepted 同梱 group it ships in.
    pub merge_group: Option<String>,
}

/// Shipments ready to ship by `today`: not cancelled, shipped or 処理済 (the import test's orders, S9), checks passed or accepted (出荷OK),
/// not held, not waiting for a 同梱 decision, with a carrier and a ship date on or before today, and
/// not on a slip yet (with `again`: on a slip without a tracking number is ready again).
pub fn ready_shipments(c: &Connection, today: NaiveDate, again: bool) -> Result<Vec<ReadyShipment>> {
    let mut st = c.prepare(
        "SELECT o.mall, o.shop, o.order_number, s.shipment_no, e.carrier, coalesce(e.carrier_service, ''), coalesce(e.temperature, '常温'),
            CAST(e.ship_date AS VARCHAR), CAST(e.desired_date AS VARCHAR), e.desired_time_slot, coalesce(e.payment_method, ''),
            e.billing_total, coalesce(e.tax_10, 0) + coalesce(e.tax_8, 0),
            coalesce(s.ship_to_name, ''), coalesce(s.ship_to_name_kana, ''), coalesce(s.ship_to_postal_code, ''),
            coalesce(s.ship_to_prefecture, ''), coalesce(s.ship_to_address, ''), coalesce(s.ship_to_phone, ''),
            (SELECT m.group_key FROM order_merges m WHERE m.mall = o.mall AND m.shop = o.shop AND m.order_number = o.order_number AND m.state = 'accepted')
         FROM orders o
         JOIN order_shipments s ON s.mall = o.mall AND s.shop = o.shop AND s.order_number = o.order_number
         JOIN order_enrichment e ON e.mall = s.mall AND e.shop = s.shop AND e.order_number = s.order_number AND e.shipment_no = s.shipment_no
         LEFT JOIN m_order_statuses ms ON ms.mall = o.mall AND ms.code = o.mall_status
         WHERE NOT coalesce(o.cancelled, false) AND NOT s.address_pending
           AND coalesce(o.house_status, ms.internal_status, '') NOT IN ('出荷済', 'キャンセル', 'キャンセル処理中', '処理済')
           AND e.carrier IS NOT NULL AND e.ship_date IS NOT NULL AND e.ship_date <= ?
           AND (e.checks_failed = 0 OR EXISTS (SELECT 1 FROM order_acceptances a WHERE a.mall = o.mall AND a.shop = o.shop
                  AND a.order_number = o.order_number AND a.fingerprint = e.fingerprint))
           AND NOT EXISTS (SELECT 1 FROM order_holds h WHERE h.mall = o.mall AND h.shop = o.shop AND h.order_number = o.order_number AND h.released_at IS NULL)
           AND NOT EXISTS (SELECT 1 FROM order_merges m WHERE m.mall = o.mall AND m.shop = o.shop AND m.order_number = o.order_number AND m.state = 'proposed')
           AND NOT EXISTS (SELECT 1 FROM slip_orders so JOIN slips sl ON sl.slip_key = so.slip_key
                  WHERE so.mall = o.mall AND so.shop = o.shop AND so.order_number = o.order_number AND so.shipment_no = s.shipment_no
                    AND sl.superseded_by IS NULL AND (sl.tracking_number IS NOT NULL OR NOT ?))
         ORDER BY o.mall, o.ordered_at, o.order_number, s.shipment_no",
    )?;
    let date = |t: Option<String>| t.and_then(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok());
    let rows = st.query_map(params![today, again], |r| {
        Ok(ReadyShipment {
            key: key_of(r, 0)?,
            shipment_no: r.get(3)?,
            carrier: r.get(4)?,
            service: r.get(5)?,
            temperature: r.get(6)?,
            ship_date: date(r.get(7)?).unwrap_or(today),
            desired_date: date(r.get(8)?),
            time_slot: r.get(9)?,
            payment_method: r.get(10)?,
            billing_total: r.get(11)?,
            tax: r.get(12)?,
            name: r.get(13)?,
            name_kana: r.get(14)?,
            postal_code: r.get(15)?,
            prefecture: r.get(16)?,
            address: r.get(17)?,
            phone: r.get(18)?,
            items: Vec::new(),
            merge_group: r.get(19)?,
        })
    })?;
    let mut ready: Vec<ReadyShipment> = rows.collect::<duckdb::Result<_>>()?;
    // Item names per shipment, in one read.
    let mut st = c.prepare(
        "SELECT i.mall, i.shop, i.order_number, coalesce(i.shipment_no, 1), coalesce(i.name, i.product_code, '') FROM order_items i
         ORDER BY i.mall, i.shop, i.order_number, i.line_no",
    )?;
    let wanted: HashSet<(&str, &str, &str)> =
        ready.iter().map(|r| (r.key.mall.as_str(), r.key.shop.as_str(), r.key.order_number.as_str())).collect();
    let mut items: HashMap<(String, String, String, i32), Vec<String>> = HashMap::new();
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let (m, s, n): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        if wanted.contains(&(m.as_str(), s.as_str(), n.as_str())) {
            items.entry((m, s, n, r.get(3)?)).or_default().push(r.get(4)?);
        }
    }
    for r in &mut ready {
        r.items = items.remove(&(r.key.mall.clone(), r.key.shop.clone(), r.key.order_number.clone(), r.shipment_no)).unwrap_or_default();
    }
    Ok(ready)
}

/// Groups that are only partly ready stay back whole: a merged parcel leaves with all its orders.
pub fn whole_groups(c: &Connection, ready: Vec<ReadyShipment>) -> Result<Vec<ReadyShipment>> {
    let mut sizes: HashMap<String, usize> = HashMap::new();
    let mut st = c.prepare("SELECT group_key, count(*) FROM order_merges WHERE state = 'accepted' GROUP BY group_key")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize)))?;
    for row in rows {
        let (g, n) = row?;
        sizes.insert(g, n);
    }
    let mut ready_count: HashMap<&str, usize> = HashMap::new();
    for r in &ready {
        if let Some(g) = &r.merge_group {
            *ready_count.entry(g.as_str()).or_default() += 1;
        }
    }
    let complete: HashSet<String> = ready_count.iter().filter(|(g, n)| sizes.get(**g) == Some(n)).map(|(g, _)| g.to_string()).collect();
    Ok(ready.into_iter().filter(|r| r.merge_group.as_ref().is_none_or(|g| complete.contains(g))).collect())
}

/// The next slip keys (お客様管理番号): `J` and ten digits, from the store's sequence.
pub fn next_slip_keys(c: &Connection, n: usize) -> Result<Vec<String>> {
    let mut keys = Vec::with_capacity(n);
    if n == 0 {
        return Ok(keys);
    }
    let mut st = c.prepare("SELECT nextval('slip_seq') FROM range(?)")?;
    let rows = st.query_map(params![n as i64], |r| r.get::<_, i64>(0))?;
    for v in rows {
        keys.push(format!("J{:010}", v?));
    }
    Ok(keys)
}

/// A slip written to a file, with the shipments on it.
#[derive(Debug, Clone)]
pub struct SlipRecord {
    pub slip_key: String,
    pub carrier: String,
    pub format: String,
    pub file: String,
    pub shipments: Vec<(OrderKey, i32)>,
}

/// Records slips as exported (same transaction as the rename of their file): a shipment already on
/// an untracked slip has that slip superseded by the new one.
pub fn record_slips(c: &Connection, slips: &[SlipRecord], run_id: Option<i64>, now: DateTime<FixedOffset>, command: &str) -> Result<()> {
    let mut app = c.appender("slips")?;
    let now = now.naive_local();
    for s in slips {
        app.append_row(params![
            s.slip_key,
            s.carrier,
            s.format,
            s.file,
            now,
            run_id,
            command,
            None::<String>,
            None::<String>,
            None::<NaiveDate>,
            None::<String>,
            None::<i32>,
            None::<NaiveDateTime>
        ])?;
    }
    app.flush()?;
    drop(app);
    let mut app = c.appender("slip_orders")?;
    for s in slips {
        for (k, no) in &s.shipments {
            app.append_row(params![s.slip_key, k.mall, k.shop, k.order_number, no])?;
        }
    }
    app.flush()?;
    drop(app);
    // Exported again (--again): the older slip of each shipment is superseded by the new one.
    c.execute_batch("CREATE OR REPLACE TEMP TABLE new_slip_keys (slip_key VARCHAR)")?;
    let mut app = c.appender("new_slip_keys")?;
    for s in slips {
        app.append_row(params![s.slip_key])?;
    }
    app.flush()?;
    drop(app);
    c.execute_batch(
        "UPDATE slips SET superseded_by = n.slip_key
         FROM slip_orders o JOIN slip_orders n ON n.mall = o.mall AND n.shop = o.shop AND n.order_number = o.order_number
              AND n.shipment_no = o.shipment_no AND n.slip_key <> o.slip_key
         WHERE slips.slip_key = o.slip_key AND slips.superseded_by IS NULL
           AND n.slip_key IN (SELECT slip_key FROM new_slip_keys) AND o.slip_key NOT IN (SELECT slip_key FROM new_slip_keys);
         DROP TABLE new_slip_keys;",
    )?;
    Ok(())
}

/// A slip as tracking import finds it.
#[derive(Debug, Clone)]
pub struct SlipForTracking {
    pub slip_key: String,
    pub carrier: String,
    pub superseded_by: Option<String>,
    pub tracking_number: Option<String>,
    /// The orders on it, each with the status it shows now (juchu's, or the mall's through the master).
    pub orders: Vec<(OrderKey, String)>,
}

/// Every slip with its orders, by key (tracking import joins on it), in one read.
pub fn slips_by_key(c: &Connection) -> Result<HashMap<String, SlipForTracking>> {
    let mut out: HashMap<String, SlipForTracking> = HashMap::new();
    let mut st = c.prepare(
        "SELECT sl.slip_key, sl.carrier, sl.superseded_by, sl.tracking_number, so.mall, so.shop, so.order_number,
            coalesce(o.house_status, ms.internal_status, o.mall_status, '')
         FROM slips sl JOIN slip_orders so ON so.slip_key = sl.slip_key
         LEFT JOIN orders o ON o.mall = so.mall AND o.shop = so.shop AND o.order_number = so.order_number
         LEFT JOIN m_order_statuses ms ON ms.mall = o.mall AND ms.code = o.mall_status
         ORDER BY sl.slip_key, so.mall, so.order_number",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let key: String = r.get(0)?;
        let order = key_of(r, 4)?;
        let status: String = r.get(7)?;
        let e = out.entry(key.clone()).or_insert_with(|| SlipForTracking {
            slip_key: key,
            carrier: r.get(1).unwrap_or_default(),
            superseded_by: r.get(2).unwrap_or_default(),
            tracking_number: r.get(3).unwrap_or_default(),
            orders: Vec::new(),
        });
        if !e.orders.iter().any(|(o, _)| *o == order) {
            e.orders.push((order, status));
        }
    }
    Ok(out)
}

/// Every tracking number on a slip now → the slip.
pub fn tracking_numbers(c: &Connection) -> Result<HashMap<String, String>> {
    let mut st = c.prepare("SELECT slip_key, tracking_number FROM slips WHERE tracking_number IS NOT NULL")?;
    let mut out = HashMap::new();
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (slip, numbers) = row?;
        for n in numbers.split(',') {
            out.insert(n.to_string(), slip.clone());
        }
    }
    Ok(out)
}

/// A slip's tracking numbers as a carrier's file gave them.
#[derive(Debug, Clone)]
pub struct TrackingApply {
    pub slip_key: String,
    pub carrier: String,
    pub numbers: Vec<String>,
    pub shipped_on: NaiveDate,
    pub line: usize,
    pub orders: Vec<OrderKey>,
}

/// Sets the slips' numbers, moves the orders whose every slip has its number to 出荷済 (never back from 出荷済 or a cancel; each
/// move logged) and queues each order's shipping write-back (the same change twice stays one row;
/// another replaces it and is sent again), set-based: 10,000 numbers are a few statements.
pub fn apply_tracking(
    c: &Connection,
    applies: &[TrackingApply],
    file: &str,
    by: &str,
    now: DateTime<FixedOffset>,
    command: &str,
) -> Result<usize> {
    let now = now.naive_local();
    c.execute_batch(
        "CREATE OR REPLACE TEMP TABLE tracking_new (slip_key VARCHAR, carrier VARCHAR, tracking_numbers VARCHAR, shipped_on DATE, line INTEGER);
         CREATE OR REPLACE TEMP TABLE tracking_orders (slip_key VARCHAR, mall VARCHAR, shop VARCHAR, order_number VARCHAR);",
    )?;
    {
        let mut app = c.appender("tracking_new")?;
        for a in applies {
            app.append_row(params![a.slip_key, a.carrier, a.numbers.join(","), a.shipped_on, a.line as i64])?;
        }
        app.flush()?;
        let mut app = c.appender("tracking_orders")?;
        for a in applies {
            for o in &a.orders {
                app.append_row(params![a.slip_key, o.mall, o.shop, o.order_number])?;
            }
        }
        app.flush()?;
    }
    c.execute(
        "UPDATE slips SET tracking_number = n.tracking_numbers, shipped_on = n.shipped_on, tracking_file = ?, tracking_line = n.line, tracked_at = ?
         FROM tracking_new n WHERE slips.slip_key = n.slip_key",
        params![file, now],
    )?;
    // An order ships when every slip it is on has its number (one of several destinations waits
    // for the others): its write-back carries all of them.
    c.execute_batch(
        "CREATE OR REPLACE TEMP TABLE order_done AS
         SELECT so.mall, so.shop, so.order_number, min(sl.carrier) AS carrier,
             string_agg(sl.tracking_number, ',' ORDER BY so.shipment_no) AS tracking_numbers, max(sl.shipped_on) AS shipped_on
         FROM slip_orders so JOIN slips sl ON sl.slip_key = so.slip_key
         WHERE sl.superseded_by IS NULL AND (so.mall, so.shop, so.order_number) IN (SELECT (mall, shop, order_number) FROM tracking_orders)
         GROUP BY so.mall, so.shop, so.order_number
         HAVING count(*) = count(sl.tracking_number);",
    )?;
    let finals = FINAL_STATUSES.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
    c.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE tracking_moves AS
         SELECT o.mall, o.shop, o.order_number, coalesce(o.house_status, o.mall_status) AS from_status
         FROM orders o JOIN order_done t ON t.mall = o.mall AND t.shop = o.shop AND t.order_number = o.order_number
         LEFT JOIN m_order_statuses ms ON ms.mall = o.mall AND ms.code = o.mall_status
         WHERE coalesce(o.house_status, ms.internal_status, '') NOT IN ({finals});"
    ))?;
    c.execute(
        "INSERT INTO order_status_log (mall, shop, order_number, from_status, to_status, changed_by, changed_at, command)
         SELECT mall, shop, order_number, from_status, '出荷済', ?, ?, ? FROM tracking_moves",
        params![by, now, command],
    )?;
    c.execute_batch(
        "UPDATE orders SET house_status = '出荷済' FROM tracking_moves m
         WHERE orders.mall = m.mall AND orders.shop = m.shop AND orders.order_number = m.order_number;
         CREATE OR REPLACE TEMP TABLE outbox_new AS SELECT * FROM order_done;
         DELETE FROM write_back_outbox w USING outbox_new n
         WHERE w.mall = n.mall AND w.shop = n.shop AND w.order_number = n.order_number AND w.action = 'shipping'
           AND NOT (w.carrier IS NOT DISTINCT FROM n.carrier AND w.tracking_numbers IS NOT DISTINCT FROM n.tracking_numbers
                    AND w.shipped_on IS NOT DISTINCT FROM n.shipped_on);",
    )?;
    c.execute(
        "INSERT INTO write_back_outbox (mall, shop, order_number, action, status, carrier, tracking_numbers, shipped_on, state, queued_at, queued_by, command)
         SELECT n.mall, n.shop, n.order_number, 'shipping', NULL, n.carrier, n.tracking_numbers, n.shipped_on, 'queued', ?, ?, ?
         FROM outbox_new n WHERE NOT EXISTS (SELECT 1 FROM write_back_outbox w
            WHERE w.mall = n.mall AND w.shop = n.shop AND w.order_number = n.order_number AND w.action = 'shipping')",
        params![now, by, command],
    )?;
    let orders: i64 = c.query_row("SELECT count(*) FROM order_done", [], |r| r.get(0))?;
    c.execute_batch(
        "DROP TABLE tracking_new; DROP TABLE tracking_orders; DROP TABLE order_done; DROP TABLE tracking_moves; DROP TABLE outbox_new;",
    )?;
    Ok(orders as usize)
}

/// Whether a tracking file (by the hash of its bytes) was imported, and when.
pub fn tracking_imported(c: &Connection, file_hash: &str) -> Result<Option<(String, String)>> {
    Ok(c.query_row(
        "SELECT file, strftime(imported_at, '%Y-%m-%d %H:%M') FROM tracking_imports WHERE file_hash = ?",
        params![file_hash],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?)
}

#[allow(clippy::too_many_arguments)]
pub fn record_tracking_import(
    c: &Connection,
    file_hash: &str,
    file: &str,
    format: &str,
    run_id: Option<i64>,
    applied: usize,
    failed: usize,
    now: DateTime<FixedOffset>,
) -> Result<()> {
    c.execute(
        "INSERT INTO tracking_imports VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![file_hash, file, format, now.naive_local(), run_id, applied as i64, failed as i64],
    )?;
    Ok(())
}

/// The status an order shows now: juchu's, or the mall's through the 受注ステータス master.
pub fn status_now(c: &Connection, key: &OrderKey) -> Result<Option<String>> {
    Ok(c.query_row(
        "SELECT coalesce(o.house_status, ms.internal_status, o.mall_status) FROM orders o
             LEFT JOIN m_order_statuses ms ON ms.mall = o.mall AND ms.code = o.mall_status
             WHERE o.mall = ? AND o.shop = ? AND o.order_number = ?",
        params![key.mall, key.shop, key.order_number],
        |r| r.get(0),
    )
    .optional()?)
}

/// A file's hash for import-once: FNV-1a 64 of its bytes and its length.
pub fn file_hash(bytes: &[u8]) -> String {
    use std::hash::Hasher;
    let mut h = crate::domain::Fnv::default();
    h.write(bytes);
    format!("{:016x}-{}", h.finish(), bytes.len())
}

// ---------------------------------------------------------------------------------------------
// 確認用ブックの判断 (decisions read back from the verification workbook)

/// One decision cell as `juchu apply` used it (or could not).
#[derive(Debug, Clone)]
pub struct WorkbookDecision<'a> {
    pub file: &'a str,
    pub file_hash: &'a str,
    /// `book.xlsx!受注チェック!R12`.
    pub cell: &'a str,
    pub key: Option<&'a OrderKey>,
    /// The decision as stored (出荷OK…), or the cell's text when it is none.
    pub decision: &'a str,
    /// applied, unchanged, refused.
    pub outcome: &'a str,
    pub detail: Option<&'a str>,
}

pub fn record_decision(c: &Connection, d: &WorkbookDecision<'_>, by: &str, now: DateTime<FixedOffset>) -> Result<()> {
    c.execute(
        "INSERT INTO workbook_decisions (file, file_hash, cell, mall, shop, order_number, decision, outcome, detail, applied_by, applied_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            d.file,
            d.file_hash,
            d.cell,
            d.key.map(|k| k.mall.as_str()),
            d.key.map(|k| k.shop.as_str()),
            d.key.map(|k| k.order_number.as_str()),
            d.decision,
            d.outcome,
            d.detail,
            by,
            now.naive_local()
        ],
    )?;
    Ok(())
}

/// The decisions recorded for a workbook (by the hash of its bytes): `(sheet!cell, decision, outcome)`,
/// the file name left out so a copied or renamed book is the same book.
pub fn recorded_decisions(c: &Connection, file_hash: &str) -> Result<Vec<(String, String, String)>> {
    let mut st = c.prepare("SELECT cell, decision, outcome FROM workbook_decisions WHERE file_hash = ? ORDER BY seq")?;
    let rows = st.query_map(params![file_hash], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (cell, decision, outcome) = row?;
        out.push((sheet_cell(&cell).to_string(), decision, outcome));
    }
    Ok(out)
}

/// `book.xlsx!受注チェック!R12` → `受注チェック!R12`.
pub fn sheet_cell(cell: &str) -> &str {
    let mut bangs = cell.rmatch_indices('!');
    match (bangs.next(), bangs.next()) {
        (Some(_), Some((i, _))) => &cell[i + 1..],
        _ => cell,
    }
}
