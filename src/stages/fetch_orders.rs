//! Stage `fetch_orders` (S8, S11, S14, S16): new and changed orders from every mall switched on.
//!
//! Per mall a cursor: each run asks for (last successful end − overlap) to now, upserts by
//! (mall, shop, order number), rewrites an order only when its content changed, and moves the cursor
//! in the same transaction. A crash before the commit loses nothing (the next run asks again); a
//! crash after it duplicates nothing (the upsert is by key). One mall failing does not stop the others.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, Duration, FixedOffset};
use duckdb::params;
use serde::Deserialize;

use super::{CheckContext, Preview, Resource, RunContext, Stage, StageError, StageOutcome};
use crate::config::diagnostic::Diagnostic;
use crate::config::yaml::Spanned;
use crate::domain::lang::pick;
use crate::domain::time::jst;
use crate::malls::order_file::OrderFileAdapter;
use crate::malls::{adapter_for, Batch, Connection, Fetched, MallError, Missing, Unreadable, Window};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchOrdersConfig {
    /// The malls to ask, by their names in the settings.
    pub malls: Vec<Spanned<String>>,
    /// How far back the very first poll of a mall looks, in days (default 1).
    #[serde(default)]
    pub initial_days: Option<u32>,
}

/// What one mall's poll did.
#[derive(Debug, Default)]
pub struct MallPoll {
    pub fetched: u64,
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
}

const DEFAULT_OVERLAP_MINUTES: u32 = 5;
/// Open orders younger than this are asked for again on every poll.
const REFRESH_DAYS: i64 = 30;
/// An open order is asked for again once its last fetch is this old: a shop with thousands of open
/// orders re-reads a share of them each poll, not all of them.
const REFRESH_AFTER_MINUTES: i64 = 30;
/// An order the mall listed and has not sent is reported (F006) from this poll on: malls can list
/// an order a minute or two before they return it, so the first polls only keep it pending.
const REPORT_PENDING_AFTER_POLLS: i64 = 3;

impl Stage for FetchOrdersConfig {
    fn provides(&self) -> &'static [Resource] {
        &[Resource::Orders]
    }

    fn talks_to_malls(&self) -> bool {
        true
    }

    fn check(&self, cx: &mut CheckContext<'_>) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let Some(settings) = cx.settings else { return diags };
        for mall in &self.malls {
            match settings.malls.get(&mall.value) {
                None if settings.mall_reported(&mall.value) => {} // the settings' own diagnostic says why
                None => {
                    let names: Vec<&str> = settings.malls.keys().map(String::as_str).collect();
                    diags.push(
                        Diagnostic::error(
                            "C060",
                            pick(format!("モール `{}` は設定にありません", mall.value), format!("unknown mall `{}`", mall.value)),
                        )
                        .at(cx.env.file.place_at(&mall.referenced))
                        .help(pick(
                            format!("設定にあるモール: {}", names.join(", ")),
                            format!("malls in the settings: {}", names.join(", ")),
                        )),
                    );
                }
                Some(m) if m.order_files.is_some() || crate::malls::has_adapter(m.mall_kind) => {}
                Some(m) => diags.push(
                    Diagnostic::warning(
                        "C061",
                        pick(
                            format!("モール `{}`（{}）の受注取込は、この版ではまだ使えません", mall.value, m.mall_kind),
                            format!("mall `{}` ({}) has no order adapter in this version", mall.value, m.mall_kind),
                        ),
                    )
                    .at(cx.env.file.place_at(&mall.referenced))
                    .help(pick(
                        "受注は取り込まれません。malls: から外してください",
                        "its orders are not fetched; remove it from `malls:` or wait for its adapter",
                    )),
                ),
            }
        }
        diags
    }

    fn run(&self, cx: &RunContext<'_>) -> Result<StageOutcome, StageError> {
        let mut outcome = StageOutcome::default();
        let mut parts = Vec::new();
        let mut active = Vec::new();
        for mall in &self.malls {
            let name = mall.value.as_str();
            let Some(m) = cx.settings.malls.get(name) else {
                return Err(Diagnostic::error(
                    "C060",
                    pick(format!("モール `{name}` は設定にありません"), format!("unknown mall `{name}`")),
                )
                .at(cx.env.file.place_at(&mall.referenced))
                .into());
            };
            if m.switches.order_import && credentials_expired(m, cx.now).is_none() {
                active.push((name, m));
            }
        }
        // Every mall is asked at once (a slow or retrying mall does not hold up the others); the
        // orders are then saved one mall at a time, each in its own transaction, in pipeline order.
        crate::io::progress::set_length(active.len() as u64, &pick("モール", "malls"));
        let fetched_so_far = std::sync::atomic::AtomicU64::new(0);
        let fetches: Vec<Result<MallFetch, PollError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = active
                .iter()
                .map(|(name, m)| {
                    let db = cx.store.conn.try_clone();
                    let (mock, now, initial_days) = (cx.mock.clone(), cx.now, self.initial_days);
                    let fetched_so_far = &fetched_so_far;
                    scope.spawn(move || {
                        let f = fetch_mall(db.map_err(PollError::Store)?, mock.as_ref(), now, initial_days, name, m);
                        // A terminal's progress bar: malls answered, orders fetched so far.
                        let n = f.as_ref().map_or(0, |f| f.fetched.len() as u64);
                        let total = fetched_so_far.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
                        crate::io::progress::set_message(pick(format!("受注 {total} 件"), format!("{total} orders")));
                        crate::io::progress::inc(1);
                        f
                    })
                })
                .collect();
            handles
                .into_iter()
                .zip(&active)
                .map(|(h, (name, _))| {
                    h.join().unwrap_or_else(|_| {
                        Err(PollError::Mall(MallError::Unavailable {
                            mall: name.to_string(),
                            detail: "its fetch stopped on an internal error".into(),
                        }))
                    })
                })
                .collect()
        });
        // Malls with nothing new or changed only mark orders seen and move their cursors: one
        // transaction for all of them, so a quiet cron poll commits once, not once per mall.
        let quiet_saved = {
            let quiet: Vec<(&str, &MallFetch)> = active
                .iter()
                .zip(&fetches)
                .filter_map(|((name, _), f)| f.as_ref().ok().filter(|f| f.sorted.to_write.is_empty()).map(|f| (*name, f)))
                .collect();
            let write = || -> duckdb::Result<()> {
                if quiet.is_empty() {
                    return Ok(());
                }
                let tx = cx.store.conn.unchecked_transaction()?;
                for (name, f) in &quiet {
                    write_mall(&tx, name, f, cx.now, cx.run_id)?;
                }
                super::crash_point("after_upsert_before_commit");
                tx.commit()
            };
            write().map_err(|e| e.to_string())
        };
        let mut fetches = fetches.into_iter();
        for mall in &self.malls {
            let name = mall.value.as_str();
            let Some(m) = cx.settings.malls.get(name) else { continue };
            if !m.switches.order_import {
                parts.push(crate::domain::checks::say!(
                    crate::domain::lang::current(),
                    "{name}: 受注取込がOFFのため取得しません（S8）",
                    "{name}: order import is OFF (S8), skipped"
                ));
                continue;
            }
            // S16: past its credentials' expiry the mall is not asked (its key would be refused, or
            // worse, half-work); the others are fetched and the run exits 1.
            if let Some(expired) = credentials_expired(m, cx.now) {
                outcome.failed += 1;
                parts.push(crate::domain::checks::say!(
                    crate::domain::lang::current(),
                    "{name}: 失敗（キー期限切れ）",
                    "{name}: FAILED (credentials expired)"
                ));
                let at = m.credentials_expire_on.as_ref().expect("expired means set");
                outcome.warnings.push(
                    Diagnostic::error(
                        "F008",
                        pick(
                            format!("{name} の認証情報は {expired} に期限が切れています。このモールの受注は取得しませんでした"),
                            format!("the credentials of {name} expired on {expired}; its orders were not fetched"),
                        ),
                    )
                    .at(cx.settings.file.place_at(&at.referenced))
                    .help(pick(
                        format!("モールの管理画面でキーかパスワードを更新し、環境変数を入れ替えてから malls.{name}.credentials_expire_on を新しい期限にしてください"),
                        format!("renew the key or password at the mall, update the environment variable, then set malls.{name}.credentials_expire_on to the new expiry"),
                    )),
                );
                continue;
            }
            let result = fetches.next().expect("one fetch per active mall").and_then(|f| {
                if f.sorted.to_write.is_empty() {
                    quiet_saved.clone().map_err(PollError::Quiet)?;
                } else {
                    let tx = cx.store.conn.unchecked_transaction().map_err(PollError::Store)?;
                    write_mall(&tx, name, &f, cx.now, cx.run_id).map_err(PollError::Store)?;
                    super::crash_point("after_upsert_before_commit");
                    tx.commit().map_err(PollError::Store)?;
                }
                let saved = f.sorted.poll;
                log::debug!("{name}: saved at {} ms", f.started.elapsed().as_millis());
                super::crash_point("after_commit_before_archive");
                f.adapter.after_commit()?;
                let unknown: Vec<String> = f
                    .sorted
                    .to_write
                    .iter()
                    .map(|i| &f.fetched[*i].order)
                    .filter(|o| !o.status_known())
                    .map(|o| o.order_number.clone())
                    .collect();
                Ok((saved, f.fetch_ms, unknown, set_aside_report(name, &f.set_aside)))
            });
            match result {
                Ok((p, fetch_ms, unknown, aside)) => {
                    if !aside.problems.is_empty() {
                        // The mall's other orders came in; these did not: the run exits 1.
                        outcome.failed += 1;
                        outcome.rows_rejected += aside.reported;
                        outcome.warnings.extend(aside.problems);
                    }
                    if !unknown.is_empty() {
                        outcome.warnings.push(
                            Diagnostic::warning(
                                "F005",
                                pick(
                                    format!("{name}: ステータスのない受注が{}件ありました: {}", unknown.len(), unknown.join(", ")),
                                    format!("{name}: {} order(s) came without a status: {}", unknown.len(), unknown.join(", ")),
                                ),
                            )
                            .help(pick(
                                "モールが受注ステータス（楽天 orderProgress など）を送りませんでした。ステータス不明として保存し、再取得はしません。モールの管理画面で確認してください",
                                "they are kept with the status unknown and not asked for again; check them in the mall's screen",
                            )),
                        );
                    }
                    outcome.rows_in += p.fetched;
                    outcome.rows_new += p.new;
                    outcome.rows_changed += p.changed;
                    outcome.rows_unchanged += p.unchanged;
                    outcome.rows_out += p.new + p.changed;
                    // The mall's own time, on its thread: the runner adds the stage's time after the
                    // last mall, and a time counted from the start through the earlier malls' saves
                    // only repeated it.
                    let pending = match aside.pending {
                        0 => String::new(),
                        n => crate::domain::checks::say!(crate::domain::lang::current(), "、取得待ち{n}", ", {n} pending"),
                    };
                    parts.push(crate::domain::checks::say!(
                        crate::domain::lang::current(),
                        "{name}: 新規{}、変更{}、変更なし{}{pending}、取得{fetch_ms} ms",
                        "{name}: {} new, {} changed, {} unchanged{pending}, fetched in {fetch_ms} ms",
                        p.new,
                        p.changed,
                        p.unchanged
                    ));
                }
                Err(e) => {
                    outcome.failed += 1;
                    parts.push(crate::domain::checks::say!(crate::domain::lang::current(), "{name}: 失敗", "{name}: FAILED"));
                    let d = match &e {
                        PollError::Mall(MallError::Auth { key, .. }) => {
                            // Staff set the variable, not the YAML key: name it (never its value).
                            let env = m.secret(key).map(|s| s.env).unwrap_or_else(|| format!("{name}_{key}").to_uppercase());
                            let d = Diagnostic::error("F001", e.to_string()).help(pick(
                                format!("モールの管理画面でキーを更新し、cron ジョブが動く環境で {env} として export してください（このファイルには書きません）"),
                                format!("renew the key in the mall's admin screen, then export it as {env} in the environment the cron job runs in (not in this file)"),
                            ));
                            // At the credential's line: it holds the ${ENV} reference, never the secret.
                            match m.credentials.get(key) {
                                Some(v) => d.at(cx.settings.file.place_at(&v.referenced)),
                                None => d.in_file(cx.settings.path()),
                            }
                        }
                        PollError::Mall(MallError::Config { .. }) => Diagnostic::error("F004", e.to_string()).help(pick(
                            "設定のこのモールの項目を直してください（juchu check で一覧できます）",
                            "fix this mall's entry in the settings (`juchu check` lists what is wrong), then run again",
                        )),
                        PollError::Mall(_) => Diagnostic::error("F002", e.to_string()).help(pick(
                            "受注は失われていません。次の実行で同じ時間帯をもう一度取りにいきます",
                            "nothing was lost: the next run asks for the same window again",
                        )),
                        PollError::Store(_) | PollError::Quiet(_) => Diagnostic::error("F003", e.to_string()).help(pick(
                            "このモールの受注は保存されていません。次の実行でもう一度取りにいきます",
                            "the orders of this mall were not saved; the next run asks again",
                        )),
                    };
                    outcome.warnings.push(d);
                }
            }
        }
        outcome.message = parts.join("; ");
        Ok(outcome)
    }

    fn preview(&self, cx: &RunContext<'_>, limit: usize) -> Result<Preview, StageError> {
        let mut stmt = cx.store.conn.prepare(
            "SELECT mall, order_number, strftime(ordered_at, '%Y-%m-%d %H:%M'), mall_status, ship_to_prefecture, billing_total
             FROM orders ORDER BY ordered_at DESC LIMIT ?",
        )?;
        let rows = stmt
            .query_map(params![limit as i64], |r| {
                Ok(vec![
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    r.get::<_, Option<i64>>(5)?.map(|v| v.to_string()).unwrap_or_else(|| "未確定".into()),
                ])
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let total: i64 = cx.store.conn.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?;
        Ok(Preview {
            table: "orders (stored; fetching writes, so preview shows what is there)".into(),
            columns: ["mall", "order_number", "ordered_at", "status", "prefecture", "billing_total"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows,
            total: total as usize,
        })
    }
}

/// One mall's orders, fetched and not yet saved, with the adapter that still has work after the commit.
struct MallFetch {
    adapter: Box<dyn crate::malls::OrderSource>,
    fetched: Vec<Fetched>,
    sorted: Sorted,
    window: Window,
    started: Instant,
    /// How long the mall took to answer (its window and its open orders), sorting included.
    fetch_ms: u128,
    set_aside: SetAside,
}

/// Asks one mall for its window and its open orders (on a connection of this thread's own).
fn fetch_mall(
    db: duckdb::Connection,
    mock: Option<&crate::malls::MockEndpoints>,
    now: DateTime<FixedOffset>,
    initial_days: Option<u32>,
    name: &str,
    m: &crate::config::settings::MallSettings,
) -> Result<MallFetch, PollError> {
    let started = Instant::now();
    let adapter: Box<dyn crate::malls::OrderSource> = match &m.order_files {
        Some(spec) => Box::new(OrderFileAdapter::new(name, m.shop_id.as_deref().unwrap_or(""), spec.clone())),
        None => {
            let conn = Connection::from_settings(name, m, mock)?;
            adapter_for(m.mall_kind, conn, m).ok_or_else(|| MallError::Config {
                mall: name.into(),
                detail: format!("no order adapter for `{}` in this version", m.mall_kind),
            })?
        }
    };
    let overlap = Duration::minutes(m.poll_overlap_minutes.unwrap_or(DEFAULT_OVERLAP_MINUTES) as i64);
    let from = match cursor(&db, name).map_err(PollError::Store)? {
        Some(c) => c - overlap,
        None => now - Duration::days(initial_days.unwrap_or(1) as i64),
    };
    let window = Window { from, to: now };
    let mut batch = adapter.fetch(window)?;
    // Orders from earlier windows that are still open (their status and amounts move on), and
    // orders still pending from earlier polls: asked for by number.
    let pending = pending_orders(&db, name).map_err(PollError::Store)?;
    let open = open_orders(
        &db,
        name,
        adapter.final_statuses(),
        now - Duration::days(REFRESH_DAYS),
        now - Duration::minutes(REFRESH_AFTER_MINUTES),
    )
    .map_err(PollError::Store)?;
    let ask: Vec<String> = {
        let came = came_in(&batch);
        let mut ask: Vec<String> = open.into_iter().chain(pending.keys().cloned()).filter(|n| !came.contains(n.as_str())).collect();
        ask.sort();
        ask.dedup();
        ask
    };
    if !ask.is_empty() {
        batch.extend(adapter.refresh(&ask)?);
    }
    // A file source shows all it has on every poll: a pending order it no longer shows is gone.
    let gone: Vec<String> = if adapter.reads_everything() {
        let came = came_in(&batch);
        pending.keys().filter(|n| !came.contains(n.as_str())).cloned().collect()
    } else {
        Vec::new()
    };
    let Batch { orders: fetched, missing, unreadable } = batch;
    let (missing, unreadable) = set_aside(&db, name, &fetched, missing, unreadable).map_err(PollError::Store)?;
    let sorted = sort_fetched(&db, name, &fetched, now).map_err(PollError::Store)?;
    let fetch_ms = started.elapsed().as_millis();
    log::debug!("{name}: fetched {} orders in {fetch_ms} ms ({} pending, {} unreadable)", fetched.len(), missing.len(), unreadable.len());
    Ok(MallFetch { adapter, fetched, sorted, window, started, fetch_ms, set_aside: SetAside { missing, unreadable, pending, gone } })
}

/// Every order number the batch has an answer for.
fn came_in(batch: &Batch) -> HashSet<&str> {
    batch
        .orders
        .iter()
        .map(|f| f.order.order_number.as_str())
        .chain(batch.missing.iter().map(|m| m.order_number.as_str()))
        .chain(batch.unreadable.iter().map(|u| u.order_number.as_str()))
        .collect()
}

/// Orders of this poll that are not stored: the missing that are not stored already (an open
/// order a refresh did not return is still stored) and the unreadable, each once; an order that
/// came in whole on another page wins.
fn set_aside(
    db: &duckdb::Connection,
    mall: &str,
    fetched: &[Fetched],
    missing: Vec<Missing>,
    unreadable: Vec<Unreadable>,
) -> duckdb::Result<(Vec<Missing>, Vec<Unreadable>)> {
    if missing.is_empty() && unreadable.is_empty() {
        return Ok((missing, unreadable));
    }
    let whole: HashSet<&str> = fetched.iter().map(|f| f.order.order_number.as_str()).collect();
    let mut seen = HashSet::new();
    let unreadable: Vec<Unreadable> =
        unreadable.into_iter().filter(|u| !whole.contains(u.order_number.as_str()) && seen.insert(u.order_number.clone())).collect();
    let stored = stored_numbers(db, mall, missing.iter().map(|m| m.order_number.as_str()))?;
    let missing: Vec<Missing> = missing
        .into_iter()
        .filter(|m| !whole.contains(m.order_number.as_str()) && !stored.contains(&m.order_number) && seen.insert(m.order_number.clone()))
        .collect();
    Ok((missing, unreadable))
}

/// Texts as an SQL list of quoted literals (`'a','b'`), or None when there are none.
fn sql_list<'a>(texts: impl Iterator<Item = &'a str>) -> Option<String> {
    let list: Vec<String> = texts.map(|t| format!("'{}'", t.replace('\'', "''"))).collect();
    (!list.is_empty()).then(|| list.join(","))
}

/// Which of these order numbers the store has.
fn stored_numbers<'a>(db: &duckdb::Connection, mall: &str, numbers: impl Iterator<Item = &'a str>) -> duckdb::Result<HashSet<String>> {
    let Some(list) = sql_list(numbers) else { return Ok(HashSet::new()) };
    let mut stmt = db.prepare(&format!("SELECT order_number FROM orders WHERE mall = ? AND order_number IN ({list})"))?;
    let rows = stmt.query_map(params![mall], |r| r.get::<_, String>(0))?;
    rows.collect()
}

/// The orders of a mall still pending from earlier polls, with how many polls asked for them.
fn pending_orders(db: &duckdb::Connection, mall: &str) -> duckdb::Result<HashMap<String, i64>> {
    let mut stmt = db.prepare("SELECT order_number, polls FROM pending_orders WHERE mall = ?")?;
    let rows = stmt.query_map(params![mall], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    rows.collect()
}

/// What staff hear about a mall's orders that did not come in whole.
struct AsideReport {
    /// Orders pending after this poll (listed and not sent, or unreadable).
    pending: usize,
    /// Orders reported as problems (F006, F007).
    reported: u64,
    problems: Vec<Diagnostic>,
}

/// Unreadable orders are reported at once (F007: only a change of juchu or of the order brings them
/// in); orders the mall listed and did not send are reported once polls have asked for them
/// `REPORT_PENDING_AFTER_POLLS` times (F006). Both stay pending and are asked for on every poll.
fn set_aside_report(mall: &str, aside: &SetAside) -> AsideReport {
    const SHOWN: usize = 5;
    let lang = crate::domain::lang::current();
    let mut problems = Vec::new();
    let numbers = |list: Vec<&str>| {
        let more = list.len().saturating_sub(SHOWN);
        let mut text = list.into_iter().take(SHOWN).collect::<Vec<_>>().join(", ");
        if more > 0 {
            text.push_str(&crate::domain::checks::say!(lang, " ほか{more}件", " and {more} more"));
        }
        text
    };
    let listing = "juchu query \"SELECT order_number, reason, polls, detail FROM pending_orders\"";
    if let Some(first) = aside.unreadable.first() {
        let n = aside.unreadable.len();
        let shown = numbers(aside.unreadable.iter().map(|u| u.order_number.as_str()).collect());
        problems.push(
            Diagnostic::error(
                "F007",
                crate::domain::checks::say!(
                    lang,
                    "{mall}: 読み取れない受注{n}件を取り置きました（他の受注はいつもどおり取り込みます）: {shown}。最初の受注の理由: {}",
                    "{mall}: {n} order(s) the mall sent cannot be read and are set aside (the other orders come in as usual): {shown}; the first: {}",
                    first.error
                ),
            )
            .help(crate::domain::checks::say!(lang, "受注データと理由の一覧: {listing}", "their payloads and reasons: {listing}")),
        );
    }
    let overdue: Vec<&Missing> = aside.missing.iter().filter(|m| aside.polls(&m.order_number) >= REPORT_PENDING_AFTER_POLLS).collect();
    if let Some(first) = overdue.first() {
        let n = overdue.len();
        let polls = aside.polls(&first.order_number);
        let shown = numbers(overdue.iter().map(|m| m.order_number.as_str()).collect());
        let said = if first.said.trim().is_empty() {
            String::new()
        } else {
            crate::domain::checks::say!(lang, "（モールの応答: {}）", " (the mall said: {})", first.said.trim())
        };
        problems.push(
            Diagnostic::error(
                "F006",
                crate::domain::checks::say!(
                    lang,
                    "{mall}: モールが一覧に出した受注{n}件が{polls}回の取得でも届きません: {shown}{said}",
                    "{mall}: {n} order(s) the mall listed have not come in after {polls} polls: {shown}{said}",
                ),
            )
            .help(crate::domain::checks::say!(lang, "取得待ちの一覧: {listing}", "the pending orders: {listing}")),
        );
    }
    AsideReport {
        pending: aside.missing.len() + aside.unreadable.len(),
        reported: (aside.unreadable.len() + overdue.len()) as u64,
        problems,
    }
}

/// The orders of one poll that did not come in whole.
#[derive(Debug, Default)]
struct SetAside {
    missing: Vec<Missing>,
    unreadable: Vec<Unreadable>,
    /// Pending before this poll, with their polls so far.
    pending: HashMap<String, i64>,
    /// Pending before, and no longer in a source that shows everything it has.
    gone: Vec<String>,
}

impl SetAside {
    /// How many polls will have asked for this order once this one is saved.
    fn polls(&self, number: &str) -> i64 {
        self.pending.get(number).copied().unwrap_or(0) + 1
    }
}

#[derive(Debug, thiserror::Error)]
enum PollError {
    #[error(transparent)]
    Mall(#[from] MallError),
    #[error("saving the orders failed: {0}")]
    Store(duckdb::Error),
    #[error("saving the orders failed: {0}")]
    Quiet(String),
}

fn cursor(db: &duckdb::Connection, mall: &str) -> duckdb::Result<Option<DateTime<FixedOffset>>> {
    let v: Option<String> = db
        .query_row("SELECT strftime(fetched_to, '%Y-%m-%d %H:%M:%S') FROM fetch_cursors WHERE mall = ?", params![mall], |r| r.get(0))
        .or_else(|e| if matches!(e, duckdb::Error::QueryReturnedNoRows) { Ok(None) } else { Err(e) })?;
    Ok(v.and_then(|s| chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S").ok())
        .and_then(|t| t.and_local_timezone(jst()).single()))
}

fn open_orders(
    db: &duckdb::Connection,
    mall: &str,
    finals: &[&str],
    since: DateTime<FixedOffset>,
    fetched_before: DateTime<FixedOffset>,
) -> duckdb::Result<Vec<String>> {
    let finals = sql_list(finals.iter().copied()).unwrap_or_else(|| "''".to_string());
    let mut stmt = db.prepare(&format!(
        "SELECT order_number FROM orders WHERE mall = ? AND ordered_at >= ?::TIMESTAMP AND fetched_at <= ?::TIMESTAMP
            AND mall_status NOT IN ({finals}) AND mall_status <> '' AND NOT coalesce(cancelled, false) ORDER BY order_number"
    ))?;
    let rows = stmt.query_map(params![mall, jst_text(since), jst_text(fetched_before)], |r| r.get::<_, String>(0))?;
    rows.collect()
}

fn hash_of(f: &Fetched) -> i64 {
    f.fingerprint() as i64
}

/// A time as the store keeps it: JST wall-clock text.
fn jst_text(t: DateTime<FixedOffset>) -> String {
    t.with_timezone(&jst()).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A mall's fetched orders sorted against the store: which to write (new or changed) and which were
/// seen unchanged. Read-only, so every mall's runs at once.
#[derive(Debug, Default)]
struct Sorted {
    to_write: Vec<usize>,
    touched: Vec<usize>,
    poll: MallPoll,
}

fn sort_fetched(db: &duckdb::Connection, mall: &str, fetched: &[Fetched], now: DateTime<FixedOffset>) -> duckdb::Result<Sorted> {
    // Compare fingerprints here, so a poll where nothing changed writes only its cursor.
    let since = fetched.iter().map(|f| f.order.ordered_at).min().unwrap_or(now);
    let known: HashMap<(String, String), i64> = {
        let mut stmt = db.prepare("SELECT shop, order_number, content_hash FROM orders WHERE mall = ? AND ordered_at >= ?::TIMESTAMP")?;
        let rows = stmt.query_map(params![mall, jst_text(since)], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut sorted = Sorted { poll: MallPoll { fetched: fetched.len() as u64, ..Default::default() }, ..Default::default() };
    let mut seen = HashSet::new();
    for (i, f) in fetched.iter().enumerate() {
        let key = (f.order.shop.clone(), f.order.order_number.clone());
        // A page boundary may repeat an order: keep the first.
        if !seen.insert(key.clone()) {
            continue;
        }
        match known.get(&key) {
            None => sorted.poll.new += 1,
            Some(h) if *h != hash_of(f) => sorted.poll.changed += 1,
            Some(_) => {
                sorted.poll.unchanged += 1;
                sorted.touched.push(i);
                continue;
            }
        }
        sorted.to_write.push(i);
    }
    Ok(sorted)
}

/// Upserts one mall's new and changed orders, marks the unchanged ones seen, and moves its cursor,
/// inside the caller's transaction.
fn write_mall(tx: &duckdb::Connection, mall: &str, f: &MallFetch, now: DateTime<FixedOffset>, run_id: i64) -> duckdb::Result<()> {
    let (fetched, sorted, window) = (&f.fetched, &f.sorted, f.window);
    let to_write: Vec<&Fetched> = sorted.to_write.iter().map(|i| &fetched[*i]).collect();
    let touched: Vec<&Fetched> = sorted.touched.iter().map(|i| &fetched[*i]).collect();
    if !to_write.is_empty() {
        tx.execute_batch(
            "CREATE OR REPLACE TEMP TABLE stage_orders (shop VARCHAR, order_number VARCHAR, ordered_at VARCHAR, mall_status VARCHAR,
                orderer_name VARCHAR, ship_to_name VARCHAR, ship_to_prefecture VARCHAR, is_gift BOOLEAN, payment_method VARCHAR,
                desired_date VARCHAR, desired_time_slot VARCHAR, desired_source VARCHAR, goods BIGINT, shipping BIGINT, cod_fee BIGINT,
                payment_fee BIGINT, coupons BIGINT, points BIGINT, billing_total BIGINT, amounts_fixed BOOLEAN, content_hash BIGINT,
                normalized VARCHAR, raw VARCHAR, orderer_prefecture VARCHAR, remarks VARCHAR, ship_to_postal_code VARCHAR,
                remote_island BOOLEAN, shipment_count INTEGER, cancelled BOOLEAN, customer_key VARCHAR, amounts_absent VARCHAR,
                additional_fee BIGINT, postage_included BOOLEAN, mall_tax_10 BIGINT, mall_tax_8 BIGINT, wrapping BIGINT,
                address_pending BOOLEAN, delivery_method VARCHAR, delivery_temperature VARCHAR, delivery_source VARCHAR);
             CREATE OR REPLACE TEMP TABLE stage_items (shop VARCHAR, order_number VARCHAR, line_no INTEGER, product_code VARCHAR, item_key VARCHAR,
                sku VARCHAR, name VARCHAR, unit_price BIGINT, quantity BIGINT, options_text VARCHAR, option_price BIGINT, tax_rate INTEGER,
                tax_excluded BOOLEAN, shipment_no INTEGER, sku_info VARCHAR, merchant_sku VARCHAR);
             CREATE OR REPLACE TEMP TABLE stage_shipments (shop VARCHAR, order_number VARCHAR, shipment_no INTEGER, ship_to_name VARCHAR,
                ship_to_name_kana VARCHAR, ship_to_postal_code VARCHAR, ship_to_prefecture VARCHAR, ship_to_address VARCHAR, ship_to_phone VARCHAR,
                address_pending BOOLEAN, postage BIGINT, remote_island BOOLEAN, delivery_method VARCHAR, delivery_temperature VARCHAR,
                delivery_source VARCHAR);",
        )?;
        {
            let mut orders = tx.appender_to_catalog_and_db("stage_orders", "temp", "main")?;
            let mut items = tx.appender_to_catalog_and_db("stage_items", "temp", "main")?;
            let mut shipments = tx.appender_to_catalog_and_db("stage_shipments", "temp", "main")?;
            for f in &to_write {
                let o = &f.order;
                let a = &o.amounts;
                let parts = [
                    ("goods", a.goods),
                    ("shipping", a.shipping),
                    ("cod_fee", a.cod_fee),
                    ("payment_fee", a.payment_fee),
                    ("coupons", a.coupons),
                    ("points", a.points),
                    ("billing_total", a.billing_total),
                ];
                let fixed = parts.iter().all(|(_, x)| x.yen().is_some());
                let absent: Vec<&str> = parts.iter().filter(|(_, x)| x.is_absent()).map(|(n, _)| *n).collect();
                let ship_to = o.ship_to();
                let first = o.shipments.first();
                orders.append_row(params![
                    o.shop,
                    o.order_number,
                    jst_text(o.ordered_at),
                    o.mall_status,
                    o.orderer.name,
                    ship_to.name,
                    ship_to.prefecture,
                    o.is_gift,
                    o.payment_method,
                    o.desired_delivery.date.map(|d| d.to_string()),
                    o.desired_delivery.time_slot,
                    o.desired_delivery.source,
                    a.goods.yen(),
                    a.shipping.yen(),
                    a.cod_fee.yen(),
                    a.payment_fee.yen(),
                    a.coupons.yen(),
                    a.points.yen(),
                    a.billing_total.yen(),
                    fixed,
                    hash_of(f),
                    serde_json::to_string(o).expect("an order serialises"),
                    f.raw,
                    o.orderer.prefecture,
                    o.remarks,
                    ship_to.postal_code,
                    o.shipments.iter().any(|s| s.remote_island),
                    o.shipments.len() as i32,
                    o.cancelled,
                    o.customer_key(),
                    (!absent.is_empty()).then(|| absent.join(",")),
                    a.additional_fee.yen(),
                    o.extras.postage_included,
                    a.mall_tax.map(|t| t.standard),
                    a.mall_tax.map(|t| t.reduced),
                    a.wrapping.yen(),
                    first.is_some_and(|s| s.address_pending),
                    first.map(|s| s.delivery.method.as_str()).filter(|m| !m.is_empty()),
                    first.and_then(|s| s.delivery.temperature.as_deref()),
                    first.map(|s| s.delivery.source.as_str()).filter(|m| !m.is_empty()),
                ])?;
                for (n, it) in o.items.iter().enumerate() {
                    items.append_row(params![
                        o.shop,
                        o.order_number,
                        n as i32 + 1,
                        it.product_code,
                        it.item_key,
                        it.sku,
                        it.name,
                        it.unit_price,
                        it.quantity,
                        it.options_text,
                        it.option_price,
                        it.tax_rate.map(i32::from),
                        it.tax_excluded,
                        it.shipment as i32 + 1,
                        Some(&it.sku_info).filter(|t| !t.is_empty()),
                        it.merchant_sku,
                    ])?;
                }
                for (n, sh) in o.shipments.iter().enumerate() {
                    let p = &sh.ship_to;
                    let text = |t: &str| Some(t.to_string()).filter(|t| !t.is_empty());
                    shipments.append_row(params![
                        o.shop,
                        o.order_number,
                        n as i32 + 1,
                        text(&p.name),
                        text(&p.name_kana),
                        text(&p.postal_code),
                        text(&p.prefecture),
                        text(&p.address),
                        text(&p.phone),
                        sh.address_pending,
                        sh.postage.yen(),
                        sh.remote_island,
                        text(&sh.delivery.method),
                        sh.delivery.temperature,
                        text(&sh.delivery.source),
                    ])?;
                }
            }
            orders.flush()?;
            items.flush()?;
            shipments.flush()?;
        }
        let now_s = jst_text(now);
        // Changed orders: items are replaced, the order row is updated (first_seen_run is kept).
        tx.execute(
            "DELETE FROM order_items i USING stage_orders s, orders o
             WHERE i.mall = ? AND i.shop = s.shop AND i.order_number = s.order_number
               AND o.mall = i.mall AND o.shop = s.shop AND o.order_number = s.order_number AND o.content_hash <> s.content_hash",
            params![mall],
        )?;
        tx.execute(
            "INSERT INTO order_items BY NAME SELECT ? AS mall, s.*
             FROM stage_items s JOIN stage_orders so ON so.shop = s.shop AND so.order_number = s.order_number
             LEFT JOIN orders o ON o.mall = ? AND o.shop = s.shop AND o.order_number = s.order_number
             WHERE o.order_number IS NULL OR o.content_hash <> so.content_hash",
            params![mall, mall],
        )?;
        // Shipments are replaced with the order, as its items are.
        tx.execute(
            "DELETE FROM order_shipments d USING stage_orders s, orders o
             WHERE d.mall = ? AND d.shop = s.shop AND d.order_number = s.order_number
               AND o.mall = d.mall AND o.shop = s.shop AND o.order_number = s.order_number AND o.content_hash <> s.content_hash",
            params![mall],
        )?;
        tx.execute(
            "INSERT INTO order_shipments BY NAME SELECT ? AS mall, s.*
             FROM stage_shipments s JOIN stage_orders so ON so.shop = s.shop AND so.order_number = s.order_number
             LEFT JOIN orders o ON o.mall = ? AND o.shop = s.shop AND o.order_number = s.order_number
             WHERE o.order_number IS NULL OR o.content_hash <> so.content_hash",
            params![mall, mall],
        )?;
        tx.execute(
            "UPDATE orders o SET ordered_at = s.ordered_at::TIMESTAMP, mall_status = s.mall_status, orderer_name = s.orderer_name,
                ship_to_name = s.ship_to_name, ship_to_prefecture = s.ship_to_prefecture, is_gift = s.is_gift, payment_method = s.payment_method,
                desired_date = s.desired_date::DATE, desired_time_slot = s.desired_time_slot, desired_source = s.desired_source,
                goods = s.goods, shipping = s.shipping, cod_fee = s.cod_fee, payment_fee = s.payment_fee, coupons = s.coupons, points = s.points,
                billing_total = s.billing_total, amounts_fixed = s.amounts_fixed, content_hash = s.content_hash,
                normalized = s.normalized, raw = s.raw, orderer_prefecture = s.orderer_prefecture, remarks = s.remarks,
                ship_to_postal_code = s.ship_to_postal_code, remote_island = s.remote_island, shipment_count = s.shipment_count,
                cancelled = s.cancelled, customer_key = s.customer_key, amounts_absent = s.amounts_absent, additional_fee = s.additional_fee,
                postage_included = s.postage_included, mall_tax_10 = s.mall_tax_10, mall_tax_8 = s.mall_tax_8, wrapping = s.wrapping,
                address_pending = s.address_pending, delivery_method = s.delivery_method, delivery_temperature = s.delivery_temperature,
                delivery_source = s.delivery_source,
                last_changed_run = ?, fetched_at = ?::TIMESTAMP
             FROM stage_orders s
             WHERE o.mall = ? AND o.shop = s.shop AND o.order_number = s.order_number AND o.content_hash <> s.content_hash",
            params![run_id, now_s, mall],
        )?;
        tx.execute(
            "INSERT INTO orders BY NAME SELECT ? AS mall, s.* EXCLUDE (ordered_at, desired_date),
                s.ordered_at::TIMESTAMP AS ordered_at, s.desired_date::DATE AS desired_date,
                ? AS first_seen_run, ? AS last_changed_run, ?::TIMESTAMP AS fetched_at
             FROM stage_orders s
             WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.mall = ? AND o.shop = s.shop AND o.order_number = s.order_number)",
            params![mall, run_id, run_id, now_s, mall],
        )?;
        tx.execute_batch("DROP TABLE temp.stage_orders; DROP TABLE temp.stage_items; DROP TABLE temp.stage_shipments;")?;
    }
    // Unchanged orders were seen now: they are not asked for again until REFRESH_AFTER_MINUTES.
    if !touched.is_empty() {
        tx.execute_batch("CREATE OR REPLACE TEMP TABLE stage_seen (shop VARCHAR, order_number VARCHAR)")?;
        {
            let mut a = tx.appender_to_catalog_and_db("stage_seen", "temp", "main")?;
            for f in &touched {
                a.append_row(params![f.order.shop, f.order.order_number])?;
            }
            a.flush()?;
        }
        tx.execute(
            "UPDATE orders o SET fetched_at = ?::TIMESTAMP FROM stage_seen s WHERE o.mall = ? AND o.shop = s.shop AND o.order_number = s.order_number",
            params![jst_text(now), mall],
        )?;
        tx.execute_batch("DROP TABLE temp.stage_seen")?;
    }
    write_pending(tx, mall, fetched, &f.set_aside, now, run_id)?;
    // The cursor moves with the orders it covers: every order before it is stored or pending.
    tx.execute(
        "INSERT INTO fetch_cursors VALUES (?, ?::TIMESTAMP, ?) ON CONFLICT (mall) DO UPDATE SET fetched_to = excluded.fetched_to, updated_run = excluded.updated_run",
        params![mall, jst_text(window.to), run_id],
    )?;
    Ok(())
}

/// Orders that came in whole (or are gone from a file source) leave `pending_orders`; those that did
/// not come in are (still) pending, one poll more.
fn write_pending(
    tx: &duckdb::Connection,
    mall: &str,
    fetched: &[Fetched],
    aside: &SetAside,
    now: DateTime<FixedOffset>,
    run_id: i64,
) -> duckdb::Result<()> {
    let arrived = fetched
        .iter()
        .map(|f| f.order.order_number.as_str())
        .filter(|n| aside.pending.contains_key(*n))
        .chain(aside.gone.iter().map(String::as_str));
    if let Some(list) = sql_list(arrived) {
        tx.execute(&format!("DELETE FROM pending_orders WHERE mall = ? AND order_number IN ({list})"), params![mall])?;
    }
    if aside.missing.is_empty() && aside.unreadable.is_empty() {
        return Ok(());
    }
    let mut upsert = tx.prepare(
        "INSERT INTO pending_orders VALUES (?, ?, ?, ?, ?, ?::TIMESTAMP, ?::TIMESTAMP, 1, ?, ?)
         ON CONFLICT (mall, order_number) DO UPDATE SET reason = excluded.reason, detail = excluded.detail, raw = excluded.raw,
            last_tried = excluded.last_tried, polls = pending_orders.polls + 1, last_run = excluded.last_run",
    )?;
    let now = jst_text(now);
    for m in &aside.missing {
        upsert.execute(params![mall, m.order_number, "not_returned", m.said, None::<String>, now, now, run_id, run_id])?;
    }
    for u in &aside.unreadable {
        upsert.execute(params![mall, u.order_number, "unreadable", u.error, u.raw, now, now, run_id, run_id])?;
    }
    Ok(())
}

/// The day a mall's credentials expired (`credentials_expire_on` before today, JST), if they have.
fn credentials_expired(m: &crate::config::settings::MallSettings, now: chrono::DateTime<chrono::FixedOffset>) -> Option<chrono::NaiveDate> {
    let date = chrono::NaiveDate::parse_from_str(&m.credentials_expire_on.as_ref()?.value, "%Y-%m-%d").ok()?;
    (date < now.with_timezone(&crate::domain::time::jst()).date_naive()).then_some(date)
}
