//! Stage `write_back` (書き戻し): works the outbox per mall. Before a mall's linkage starts it runs
//! in shadow: every call it would send is planned and kept (the workbook's 連動プレビュー), nothing
//! is sent. From the start on it sends, one change at a time: the row is `sending` (committed)
//! before the mall is asked and settled after, and every writer reads the order at the mall before
//! it writes, so a change whose answer was lost (a crash, a dropped response) is found applied and
//! not sent again. Orders placed before the start are never written (S13); a status or shipment
//! juchu wrote that a later fetch shows edited in the mall's screen is written again (S12).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::{crash_point, CheckContext, Preview, Resource, RunContext, Stage, StageError, StageOutcome};
use crate::config::diagnostic::Diagnostic;
use crate::domain::lang::pick;
use crate::domain::masters::Masters;
use crate::domain::write_back::{self as wb, Change, MallChange, Mode};
use crate::malls::{self, Connection, MallError, MallKind, ShippingUpdate, StatusUpdate, Written};
use crate::store::write_back::{self as outbox, OutboxRow, PlanRow};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteBackConfig {
    /// Runs in which a change got no answer (or the mall was busy) before it is dead-lettered:
    /// listed in the workbook, the run exits 1, `juchu write-back --retry-dead` queues it again.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Tries within one run after no answer, waiting `backoff_ms`, then twice that, ….
    #[serde(default = "default_retries")]
    pub retries: u32,
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
}

fn default_max_attempts() -> u32 {
    5
}
fn default_retries() -> u32 {
    3
}
fn default_backoff_ms() -> u64 {
    500
}

/// What one pass over the outbox did, per mall.
#[derive(Debug, Default, Clone)]
pub struct MallTally {
    pub shadow: usize,
    pub changed: usize,
    pub already_set: usize,
    pub skipped: usize,
    pub failed: usize,
    pub dead: usize,
    pub overwritten: usize,
    /// Shipments of held orders (保留), left queued.
    pub held: usize,
    /// 保留 and 保留解除 queued for the mall (hold_at_mall).
    pub holds_mirrored: usize,
    /// Shadow plan rows new or gone since the last run's plan.
    pub plan_changed: usize,
}

/// The plan or the sends of one pass, with the problems for staff.
#[derive(Debug, Default)]
pub struct Pass {
    pub tallies: BTreeMap<String, MallTally>,
    pub warnings: Vec<Diagnostic>,
    /// `--dry-run`: what would be sent now (mall, order, action, call, request), and the shadow plan.
    pub planned: Vec<PlanRow>,
}

fn send(writer: &dyn malls::OrderWriter, order_number: &str, change: &MallChange) -> Result<Written, MallError> {
    match change {
        MallChange::Status { code, .. } => {
            writer.update_status(&StatusUpdate { order_number: order_number.into(), mall_status: code.clone() })
        }
        MallChange::Shipping { carrier_code, carrier_name, tracking_numbers, shipped_on } => writer.update_shipping(&ShippingUpdate {
            order_number: order_number.into(),
            carrier_code: carrier_code.clone(),
            carrier_name: carrier_name.clone(),
            tracking_numbers: tracking_numbers.clone(),
            shipped_on: *shipped_on,
        }),
    }
}

fn who(row: &OutboxRow) -> String {
    let action = match row.change {
        Change::Status { .. } => pick("ステータス", "status"),
        Change::Shipping { .. } => pick("発送完了報告", "shipment"),
    };
    format!("{} {}（{action}）", row.key.mall, row.key.order_number)
}

impl WriteBackConfig {
    /// One pass: shadow plans for malls before their start, sends for the others. `dry_run` plans
    /// every mall and writes nothing at all.
    pub fn pass(&self, cx: &RunContext<'_>, dry_run: bool) -> Result<Pass, StageError> {
        let store = cx.store;
        let conn = &store.conn;
        let now = cx.now;
        if cx.retry_dead && !dry_run {
            outbox::retry_dead(conn, None)?;
        }
        let starts = store.linkage_starts()?;
        let mut pass = Pass::default();
        // 保留 at the mall: holds placed or released since the last run go in the outbox first.
        if !dry_run {
            for mall in cx.settings.malls.iter().filter(|(_, m)| m.hold_at_mall).map(|(n, _)| n) {
                let (held, released) = crate::store::shipping::mirror_holds(conn, mall, "juchu", now)?;
                pass.tallies.entry(mall.clone()).or_default().holds_mirrored += held + released;
            }
        }
        let pending = outbox::outbox(conn, &["queued", "sending"], None)?;
        // The usual cron poll: nothing queued, no mall linked, no plan left to clear.
        if pending.is_empty() && starts.is_empty() && outbox::plan(conn)?.is_empty() {
            return Ok(pass);
        }
        let masters = store.read_masters()?;
        // 保留: a held order's shipment waits in the outbox (queued) until staff release it.
        let held = if pending.iter().any(|r| matches!(r.change, Change::Shipping { .. })) {
            crate::store::shipping::held_orders(conn)?
        } else {
            Default::default()
        };
        let mut by_mall: BTreeMap<String, Vec<OutboxRow>> = BTreeMap::new();
        for row in pending {
            if matches!(row.change, Change::Shipping { .. }) && held.contains(&row.key) {
                pass.tallies.entry(row.key.mall.clone()).or_default().held += 1;
                continue;
            }
            by_mall.entry(row.key.mall.clone()).or_default().push(row);
        }
        // Live malls with nothing queued still look for overwrites.
        for mall in starts.keys() {
            by_mall.entry(mall.clone()).or_default();
        }
        for (mall, rows) in by_mall {
            let Some(m) = cx.settings.malls.get(&mall) else {
                let tally = pass.tallies.entry(mall.clone()).or_default();
                tally.failed += rows.len();
                if !rows.is_empty() {
                    pass.warnings.push(
                        Diagnostic::error(
                            "W004",
                            pick(
                                format!("モール {mall} の書き戻しが {} 件ありますが、設定にこのモールがありません", rows.len()),
                                format!("{} change(s) are queued for mall {mall}, which the settings do not have", rows.len()),
                            ),
                        )
                        .in_file(cx.settings.path()),
                    );
                }
                continue;
            };
            let kind = m.mall_kind;
            let mode = wb::mode(starts.get(&mall).copied(), now.naive_local());
            let tally = pass.tallies.entry(mall.clone()).or_default();
            match mode {
                Mode::Shadow { starts_at } => {
                    let plan: Vec<PlanRow> = rows.iter().map(|row| plan_row(&masters, kind, row, starts_at)).collect();
                    tally.shadow += plan.len();
                    for p in plan.iter().filter(|p| p.call.is_empty()) {
                        pass.warnings.push(unmappable(&p.key.mall, &p.key.order_number, &p.note, false));
                    }
                    if !dry_run {
                        // A plan as the last run made it is no news (a quiet poll stays one line).
                        let before: Vec<PlanRow> = outbox::plan(conn)?.into_iter().filter(|p| p.key.mall == mall).collect();
                        tally.plan_changed =
                            plan.iter().filter(|p| !before.contains(p)).count() + before.iter().filter(|p| !plan.contains(p)).count();
                        outbox::replace_plan(conn, cx.run_id, &mall, &plan, now)?;
                    }
                    pass.planned.extend(plan);
                }
                Mode::Live { starts_at } => {
                    if !dry_run {
                        outbox::replace_plan(conn, cx.run_id, &mall, &[], now)?;
                    }
                    let mut rows = rows;
                    // S12: what juchu wrote and the mall no longer shows goes out again.
                    for done in outbox::overwrite_candidates(conn, &mall)? {
                        if wb::before_linkage(done.ordered_at, starts_at) {
                            continue;
                        }
                        let Ok(mc) = malls::to_mall_change(&masters, &mall, kind, &done.change) else { continue };
                        if wb::overwritten(kind, &mc, &done.mall_status, &done.mall_tracking) {
                            let (shown, _) = wb::compare(&mc, &done.mall_status, &done.mall_tracking);
                            if !dry_run {
                                outbox::record_overwrite(
                                    conn,
                                    cx.run_id,
                                    &done.key,
                                    done.change.action(),
                                    &shown,
                                    &mc.request_text(),
                                    now,
                                )?;
                            }
                            tally.overwritten += 1;
                            rows.push(done);
                        }
                    }
                    if rows.is_empty() {
                        continue;
                    }
                    if dry_run {
                        for row in &rows {
                            let mut p = plan_row(&masters, kind, row, Some(starts_at));
                            p.note = if p.would_send { pick("連動中: 送信します", "linked: would send").into() } else { p.note };
                            pass.planned.push(p);
                        }
                        continue;
                    }
                    self.send_mall(cx, &mall, kind, m, &masters, starts_at, &rows, tally, &mut pass.warnings)?;
                }
            }
        }
        Ok(pass)
    }

    #[allow(clippy::too_many_arguments)]
    fn send_mall(
        &self,
        cx: &RunContext<'_>,
        mall: &str,
        kind: MallKind,
        m: &crate::config::settings::MallSettings,
        masters: &Masters,
        starts_at: chrono::NaiveDateTime,
        rows: &[OutboxRow],
        tally: &mut MallTally,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<(), StageError> {
        let (conn, now, run_id) = (&cx.store.conn, cx.now, cx.run_id);
        let writer = match Connection::from_settings(mall, m, cx.mock.as_ref()).map(|c| malls::writer_for(kind, c, m)) {
            Ok(Some(w)) => w,
            Ok(None) => {
                for row in rows {
                    let why =
                        pick("このモールには書き戻しの API がありません（モールの画面で更新してください）", "this mall has no write API");
                    outbox::settle(
                        conn,
                        run_id,
                        &row.key,
                        row.change.action(),
                        "skipped",
                        Some(why.as_str()),
                        None,
                        "",
                        "",
                        "skipped",
                        now,
                    )?;
                    tally.skipped += 1;
                }
                return Ok(());
            }
            Err(e) => {
                tally.failed += rows.len();
                warnings.push(mall_failed(mall, &e, rows.len()));
                return Ok(());
            }
        };
        for row in rows {
            let action = row.change.action();
            if wb::before_linkage(row.ordered_at, starts_at) {
                let why = pick("連動開始前の受注のため書き戻しません（S13）", "placed before linkage started: never written back (S13)");
                outbox::settle(conn, run_id, &row.key, action, "skipped", Some(why.as_str()), None, "", "", "skipped", now)?;
                tally.skipped += 1;
                continue;
            }
            if matches!(row.change, Change::Status { .. }) && malls::status_call(kind).is_none() {
                let why = pick(
                    "このモールのステータスは発送連絡で変わります（書き戻しません）",
                    "this mall's status follows the shipment: not written",
                );
                outbox::settle(conn, run_id, &row.key, action, "skipped", Some(why.as_str()), None, "", "", "skipped", now)?;
                tally.skipped += 1;
                continue;
            }
            let call = malls::call_for(kind, &row.change).to_string();
            let mc = match malls::to_mall_change(masters, mall, kind, &row.change) {
                Ok(mc) => mc,
                Err(e) => {
                    // Stays queued: fixed masters send it on the next run.
                    outbox::settle(conn, run_id, &row.key, action, "queued", None, Some(&e), &call, "", "failed", now)?;
                    tally.failed += 1;
                    warnings.push(unmappable(mall, &row.key.order_number, &e, true));
                    continue;
                }
            };
            let request = mc.request_text();
            outbox::mark_sending(conn, run_id, &row.key, action, &call, &request, now)?;
            crash_point("write_back.before_send");
            let mut result = send(writer.as_ref(), &row.key.order_number, &mc);
            let mut wait = Duration::from_millis(self.backoff_ms);
            for _ in 0..self.retries {
                if !matches!(result, Err(MallError::Unavailable { .. } | MallError::Payload { .. })) {
                    break;
                }
                std::thread::sleep(wait);
                wait *= 2;
                // The writer reads the order first: a change the lost answer had applied is found.
                result = send(writer.as_ref(), &row.key.order_number, &mc);
            }
            crash_point("write_back.after_send");
            match result {
                Ok(Written::Changed) => {
                    outbox::settle(conn, run_id, &row.key, action, "done", Some("changed"), None, &call, &request, "changed", now)?;
                    tally.changed += 1;
                }
                Ok(Written::AlreadySet) => {
                    outbox::settle(conn, run_id, &row.key, action, "done", Some("already_set"), None, &call, &request, "already_set", now)?;
                    tally.already_set += 1;
                }
                Err(MallError::Refused { detail, .. }) => {
                    let text = pick(format!("モールが受け付けませんでした: {detail}"), format!("the mall refused the change: {detail}"));
                    outbox::settle(conn, run_id, &row.key, action, "dead", Some("refused"), Some(&text), &call, &request, "refused", now)?;
                    tally.dead += 1;
                    warnings.push(Diagnostic::error("W002", format!("{}: {text}", who(row))).help(pick(
                        "モールが受け付けない内容です。マスタか受注の値を直してから juchu write-back --retry-dead で送り直してください",
                        "the mall does not take this change; fix the master or the order, then `juchu write-back --retry-dead`",
                    )));
                }
                Err(e @ (MallError::Unavailable { .. } | MallError::Payload { .. })) => {
                    let text = e.to_string();
                    let attempts = row.attempts + 1;
                    if attempts >= self.max_attempts as i64 {
                        outbox::settle(
                            conn,
                            run_id,
                            &row.key,
                            action,
                            "dead",
                            Some("no_answer"),
                            Some(&text),
                            &call,
                            &request,
                            "dead",
                            now,
                        )?;
                        tally.dead += 1;
                        warnings.push(
                            Diagnostic::error(
                                "W003",
                                pick(
                                    format!("{}: {attempts} 回の実行で応答がないため送信を止めました: {text}", who(row)),
                                    format!("{}: no answer in {attempts} runs, dead-lettered: {text}", who(row)),
                                ),
                            )
                            .help(pick(
                                "モールの画面でこの受注を確かめてから juchu write-back --retry-dead で送り直してください（送り直す前にモールの状態を読みます）",
                                "look the order up in the mall's screen, then `juchu write-back --retry-dead` (it reads the mall's state before sending)",
                            )),
                        );
                    } else {
                        outbox::settle(conn, run_id, &row.key, action, "queued", None, Some(&text), &call, &request, "unknown", now)?;
                        tally.failed += 1;
                    }
                }
                Err(e) => {
                    // Credentials or settings: the mall's other changes wait too.
                    outbox::settle(conn, run_id, &row.key, action, "queued", None, Some(&e.to_string()), &call, &request, "failed", now)?;
                    tally.failed += rows.len();
                    warnings.push(mall_failed(mall, &e, rows.len()));
                    break;
                }
            }
        }
        Ok(())
    }
}

/// A shadow plan row: the call and request linkage would send, against what the mall shows now.
fn plan_row(masters: &Masters, kind: MallKind, row: &OutboxRow, starts_at: Option<chrono::NaiveDateTime>) -> PlanRow {
    let status_follows_shipment = matches!(row.change, Change::Status { .. }) && malls::status_call(kind).is_none();
    let would_send = !status_follows_shipment && starts_at.is_none_or(|t| !wb::before_linkage(row.ordered_at, t));
    match malls::to_mall_change(masters, &row.key.mall, kind, &row.change) {
        Ok(mc) => {
            let (mall_shows, differs) = wb::compare(&mc, &row.mall_status, &row.mall_tracking);
            let note = if would_send {
                String::new()
            } else if status_follows_shipment {
                pick("ステータスは発送連絡で変わります: 送信しません", "the status follows the shipment: not sent").to_string()
            } else {
                pick("連動開始前の受注: 送信しません（S13）", "placed before the start: not sent (S13)").to_string()
            };
            PlanRow {
                key: row.key.clone(),
                action: row.change.action().into(),
                call: malls::call_for(kind, &row.change).to_string(),
                request: mc.request_text(),
                mall_shows,
                differs,
                would_send,
                note,
            }
        }
        Err(e) => PlanRow {
            key: row.key.clone(),
            action: row.change.action().into(),
            call: String::new(),
            request: String::new(),
            mall_shows: String::new(),
            differs: true,
            would_send: false,
            note: e,
        },
    }
}

/// `juchu write-back --dry-run`: one line per call, as the shadow plan holds it.
pub fn plan_text(plan: &[PlanRow]) -> String {
    let mut out = pick(
        format!("送信予定 {} 件（--dry-run: 何も送っていません）", plan.len()),
        format!("{} call(s) planned (--dry-run: nothing sent)", plan.len()),
    );
    for p in plan {
        let mark = if !p.would_send {
            "-"
        } else if p.differs {
            "*"
        } else {
            "="
        };
        out.push_str(&format!("\n    {mark} {} {} {} {} {}", p.key.mall, p.key.order_number, p.call, p.request, p.note));
        if !p.mall_shows.is_empty() {
            out.push_str(&pick(format!("（モールの表示: {}）", p.mall_shows), format!(" (the mall shows: {})", p.mall_shows)));
        }
    }
    out
}

fn unmappable(mall: &str, order_number: &str, e: &str, live: bool) -> Diagnostic {
    let d = Diagnostic::error(
        "W001",
        pick(
            format!("{mall} {order_number}: 書き戻す内容をモールのコードにできません: {e}"),
            format!("{mall} {order_number}: the change cannot be put in the mall's codes: {e}"),
        ),
    );
    if live {
        d.help(pick(
            "マスタを直してください。変更は送信箱に残り、次の実行で送ります",
            "fix the masters; the change stays queued and goes out on the next run",
        ))
    } else {
        d.help(pick(
            "連動を始める前にマスタを直してください（連動プレビューで確かめられます）",
            "fix the masters before linkage starts (see 連動プレビュー)",
        ))
    }
}

fn mall_failed(mall: &str, e: &MallError, n: usize) -> Diagnostic {
    Diagnostic::error("F002", e.to_string()).help(pick(
        format!("{mall} の書き戻し {n} 件は送信箱に残り、次の実行で送ります"),
        format!("{mall}'s {n} change(s) stay queued and go out on the next run"),
    ))
}

impl Stage for WriteBackConfig {
    fn needs(&self) -> &'static [Resource] {
        &[Resource::Masters, Resource::Orders]
    }

    fn talks_to_malls(&self) -> bool {
        true
    }

    fn check(&self, cx: &mut CheckContext<'_>) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if self.max_attempts == 0 {
            out.push(
                Diagnostic::error("C001", pick("max_attempts は 1 以上にしてください", "max_attempts must be at least 1"))
                    .at(cx.env.stage_place()),
            );
        }
        out
    }

    fn run(&self, cx: &RunContext<'_>) -> Result<StageOutcome, StageError> {
        let pass = self.pass(cx, cx.dry_run)?;
        let mut parts = Vec::new();
        let mut outcome = StageOutcome::default();
        for (mall, t) in &pass.tallies {
            outcome.rows_in += (t.shadow + t.changed + t.already_set + t.skipped + t.failed + t.dead) as u64;
            outcome.rows_out += (t.changed + t.already_set) as u64;
            outcome.rows_changed += (t.changed + t.plan_changed) as u64;
            outcome.rows_unchanged += t.already_set as u64;
            outcome.rows_rejected += t.dead as u64;
            outcome.failed += (t.failed + t.dead) as u64;
            if t.shadow > 0 {
                parts.push(pick(
                    format!("{mall}: シャドー {} 件（送信なし）", t.shadow),
                    format!("{mall}: shadow {} (nothing sent)", t.shadow),
                ));
            }
            if t.holds_mirrored > 0 {
                parts.push(pick(
                    format!("{mall}: 保留・保留解除 {} 件をモールのステータスとして送信箱に入れました", t.holds_mirrored),
                    format!("{mall}: {} hold(s) and release(s) queued as the mall's status", t.holds_mirrored),
                ));
                outcome.rows_changed += t.holds_mirrored as u64;
            }
            if t.held > 0 {
                parts.push(pick(
                    format!("{mall}: 保留中の受注の発送連絡 {} 件は保留解除まで待ちます", t.held),
                    format!("{mall}: {} shipment(s) of held orders wait until released", t.held),
                ));
            }
            if t.changed + t.already_set + t.skipped + t.failed + t.dead + t.overwritten > 0 {
                parts.push(pick(
                    format!(
                        "{mall}: 送信 {}, 反映済 {}, 対象外 {}, 再試行待ち {}, 停止 {}, 上書き {}",
                        t.changed, t.already_set, t.skipped, t.failed, t.dead, t.overwritten
                    ),
                    format!(
                        "{mall}: sent {}, already set {}, skipped {}, to retry {}, dead {}, overwrites {}",
                        t.changed, t.already_set, t.skipped, t.failed, t.dead, t.overwritten
                    ),
                ));
            }
        }
        outcome.message = if parts.is_empty() {
            pick("送信するものはありません", "nothing to write back").to_string()
        } else {
            parts.join("; ")
        };
        if cx.dry_run {
            outcome.message = plan_text(&pass.planned);
            outcome.failed = 0;
        }
        outcome.warnings = pass.warnings;
        Ok(outcome)
    }

    fn preview(&self, cx: &RunContext<'_>, limit: usize) -> Result<Preview, StageError> {
        let pass = self.pass(cx, true)?;
        let columns = ["mall", "order_number", "action", "call", "request", "mall_shows", "differs", "would_send", "note"];
        let rows: Vec<Vec<String>> = pass
            .planned
            .iter()
            .take(limit)
            .map(|p| {
                vec![
                    p.key.mall.clone(),
                    p.key.order_number.clone(),
                    p.action.clone(),
                    p.call.clone(),
                    p.request.clone(),
                    p.mall_shows.clone(),
                    p.differs.to_string(),
                    p.would_send.to_string(),
                    p.note.clone(),
                ]
            })
            .collect();
        Ok(Preview {
            table: "write_back_plan".into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
            total: pass.planned.len(),
        })
    }
}
