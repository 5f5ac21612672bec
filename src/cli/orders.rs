//! `juchu orders move-status` (S9): move the orders imported during the tests to a processed
//! status in juchu's store, in one transaction, each change logged. Nothing is written back to a
//! mall: these orders are from before its linkage (S13).
//!
//! `juchu orders set-status` and `juchu orders ship`: one order's status or shipment, queued for
//! the write-back in the same transaction as the change.

use std::io::{BufRead, IsTerminal, Write};

use clap::Subcommand;

use crate::domain::lang::pick;
use crate::domain::write_back::Change;
use crate::malls::{self, MallKind};
use crate::pipeline::runner::RunOptions;
use crate::store::write_back::{self as wb_store, OrderKey, Queued};
use crate::ExitStatus;

#[derive(Subcommand, Debug)]
pub enum Orders {
    /// Move every order imported before a date-time (and not cancelled) to a status (社内ステータス).
    #[command(
        name = "move-status",
        after_help = "Examples:\n  juchu orders move-status --to 処理済 --imported-before 2026-12-02T18:00 --dry-run\n  juchu orders move-status --to 処理済 --imported-before 2026-12-02T18:00 --mall rakuten --yes\n\nShows how many orders of which mall and status would move, asks before moving (unless --yes),\nand logs each change in order_status_log."
    )]
    MoveStatus {
        /// The status to move to, as the 受注ステータス sheet writes it (社内ステータス): 処理済, 出荷済, …
        #[arg(long)]
        to: String,
        /// JST: `2026-12-02T18:00`, or RFC 3339; the orders first imported before it.
        #[arg(long)]
        imported_before: String,
        #[arg(long)]
        mall: Option<String>,
        /// Show what would move; move nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
    /// Set juchu's status (社内ステータス) of orders. The change is queued for the write-back in the
    /// same transaction: once the mall's linkage runs, the mall is set to it (S12).
    #[command(
        name = "set-status",
        after_help = "Examples:\n  juchu orders set-status 338811-20261202-0000001234 --to 出荷待ち\n  juchu orders set-status 10000001 10000002 --mall aupay --to 保留\n\nThe mall's status is the first row of that mall in the 受注ステータス sheet with this 社内ステータス."
    )]
    SetStatus {
        /// 受注番号, as the mall writes it.
        #[arg(required = true)]
        order_numbers: Vec<String>,
        /// 社内ステータス, as the 受注ステータス sheet writes it.
        #[arg(long)]
        to: String,
        /// The mall (settings name), where two malls use the same number.
        #[arg(long)]
        mall: Option<String>,
    },
    /// Report a shipment (発送完了報告): carrier, tracking numbers, ship date. Queued for the
    /// write-back in the same transaction; orders shipped together (同梱) each get the same number.
    #[command(
        after_help = "Examples:\n  juchu orders ship 338811-20261202-0000001234 --carrier ヤマト運輸 --tracking 1234-5678-9012\n  juchu orders ship 10000001 --mall aupay --carrier 日本郵便 --no-tracking --shipped-on 2026-12-02\n\nThe carrier is named as the 配送会社 sheet names it; each mall's code comes from 配送会社コード."
    )]
    Ship {
        #[arg(required = true)]
        order_numbers: Vec<String>,
        /// 配送会社, as the masters name it.
        #[arg(long)]
        carrier: String,
        /// お問い合わせ番号 (伝票番号); repeat for several parcels.
        #[arg(long = "tracking", required_unless_present = "no_tracking")]
        tracking: Vec<String>,
        /// A shipment without tracking (some 日本郵便 services).
        #[arg(long, conflicts_with = "tracking")]
        no_tracking: bool,
        /// 出荷日 (JST, YYYY-MM-DD); today when left out.
        #[arg(long)]
        shipped_on: Option<String>,
        /// The 社内ステータス a shipped order gets.
        #[arg(long, default_value = "出荷済")]
        status: String,
        #[arg(long)]
        mall: Option<String>,
    },
    /// Hold orders (保留): no mail, no slip and no shipped write-back until released.
    #[command(after_help = "Example:\n  juchu orders hold 338811-20261202-0000001234 --reason \"住所を電話で確認中\"")]
    Hold {
        #[arg(required = true)]
        order_numbers: Vec<String>,
        /// 保留理由, as the workbook's 保留 sheet will show it.
        #[arg(long)]
        reason: String,
        #[arg(long)]
        mall: Option<String>,
    },
    /// Release held orders (保留解除): every reason holding them, rules' and staff's, logged with who and why.
    #[command(
        after_help = "Examples:\n  juchu orders release 338811-20261202-0000001234 --reason \"お客様に確認済み\"\n  juchu orders release 10000001 --mall aupay\n\nA released reason stays released when the order is enriched again; a new reason holds it again."
    )]
    Release {
        #[arg(required = true)]
        order_numbers: Vec<String>,
        /// Why (kept in the store's log and the workbook).
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        mall: Option<String>,
    },
}

pub fn orders(command: Orders, opts: &RunOptions) -> ExitStatus {
    match command {
        Orders::MoveStatus { to, imported_before, mall, dry_run, yes } => {
            move_status(&to, &imported_before, mall.as_deref(), dry_run, yes, opts)
        }
        Orders::SetStatus { order_numbers, to, mall } => {
            let change = |_: &OrderKey| vec![Change::Status { status: to.clone() }];
            let command = format!("orders set-status --to {to}");
            change_orders(&order_numbers, mall.as_deref(), &to, change, &command, opts)
        }
        Orders::Ship { order_numbers, carrier, tracking, no_tracking: _, shipped_on, status, mall } => {
            let shipped_on = match shipped_on.as_deref().map(|d| chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")) {
                None => opts.clock.now().date_naive(),
                Some(Ok(d)) => d,
                Some(Err(_)) => {
                    eprintln!("error: {}", pick("--shipped-on は 2026-12-02 のように書いてください", "--shipped-on is a date: 2026-12-02"));
                    return ExitStatus::Usage;
                }
            };
            let tracking_numbers: Vec<String> =
                tracking.iter().map(|t| crate::domain::text::to_half_width(t.trim())).filter(|t| !t.is_empty()).collect();
            let change =
                |_: &OrderKey| vec![Change::Shipping { carrier: carrier.clone(), tracking_numbers: tracking_numbers.clone(), shipped_on }];
            let command = format!("orders ship --carrier {carrier} --tracking {} --shipped-on {shipped_on}", tracking_numbers.join(","));
            change_orders(&order_numbers, mall.as_deref(), &status, change, &command, opts)
        }
        Orders::Hold { order_numbers, reason, mall } => hold_orders(&order_numbers, mall.as_deref(), Some(&reason), true, opts),
        Orders::Release { order_numbers, reason, mall } => hold_orders(&order_numbers, mall.as_deref(), reason.as_deref(), false, opts),
    }
}

/// The one order of that number (and mall), or what to tell staff: not in the store, or in several malls.
fn one_order(c: &duckdb::Connection, number: &str, mall: Option<&str>) -> anyhow::Result<Result<OrderKey, String>> {
    let found = wb_store::find_orders(c, number, mall)?;
    Ok(match found.as_slice() {
        [(key, _, _)] => Ok(key.clone()),
        [] => Err(pick(
            format!("受注番号 {number} はストアにありません{}", mall.map(|m| format!("（モール {m}）")).unwrap_or_default()),
            format!("order {number} is not in the store{}", mall.map(|m| format!(" (mall {m})")).unwrap_or_default()),
        )),
        several => {
            let malls: Vec<&str> = several.iter().map(|(k, _, _)| k.mall.as_str()).collect();
            Err(pick(
                format!("受注番号 {number} は複数のモールにあります（{}）: --mall で選んでください", malls.join(", ")),
                format!("order {number} is in several malls ({}): choose one with --mall", malls.join(", ")),
            ))
        }
    })
}

/// `orders hold` / `orders release`, in one transaction: an order not found changes nothing.
fn hold_orders(numbers: &[String], mall: Option<&str>, reason: Option<&str>, hold: bool, opts: &RunOptions) -> ExitStatus {
    let command = if hold { "orders hold" } else { "orders release" };
    let (_lock, store) = match super::query::open_for_writing(opts, command) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    let internal = |e: anyhow::Error| {
        eprintln!("error: {e:#}");
        ExitStatus::Internal
    };
    let by = crate::io::login_name("unknown");
    let now = opts.clock.now();
    let tx = match store.conn.unchecked_transaction() {
        Ok(tx) => tx,
        Err(e) => return internal(e.into()),
    };
    let (mut lines, mut problems) = (Vec::new(), Vec::new());
    for number in numbers {
        let key = match one_order(&tx, number, mall) {
            Ok(Ok(key)) => key,
            Ok(Err(problem)) => {
                problems.push(problem);
                continue;
            }
            Err(e) => return internal(e),
        };
        let line = if hold {
            match crate::store::shipping::hold(&tx, &key, reason.unwrap_or_default(), &by, now) {
                Ok(true) => pick(
                    format!("  {} {}: 保留にしました（{}）", key.mall, key.order_number, reason.unwrap_or_default()),
                    format!("  {} {}: held ({})", key.mall, key.order_number, reason.unwrap_or_default()),
                ),
                Ok(false) => pick(
                    format!("  {} {}: 同じ理由でもう保留中です", key.mall, key.order_number),
                    format!("  {} {}: already held for that reason", key.mall, key.order_number),
                ),
                Err(e) => return internal(e),
            }
        } else {
            let full = match reason {
                Some(r) => format!("{command} --reason {r}"),
                None => command.to_string(),
            };
            match crate::store::shipping::release(&tx, &key, reason, &by, now, &full) {
                Ok(0) => pick(
                    format!("  {} {}: 保留されていません", key.mall, key.order_number),
                    format!("  {} {}: not held", key.mall, key.order_number),
                ),
                Ok(n) => pick(
                    format!("  {} {}: 保留を解除しました（理由 {n} 件）", key.mall, key.order_number),
                    format!("  {} {}: released ({n} reason(s))", key.mall, key.order_number),
                ),
                Err(e) => return internal(e),
            }
        };
        lines.push(line);
    }
    if !problems.is_empty() {
        drop(tx);
        for p in &problems {
            eprintln!("error: {p}");
        }
        eprintln!(
            "  help: {}",
            pick(
                "何も変えていません。受注番号を確かめてもう一度実行してください",
                "nothing changed; check the order numbers and run again"
            )
        );
        return ExitStatus::Config;
    }
    if let Err(e) = tx.commit() {
        return internal(e.into());
    }
    for l in &lines {
        println!("{l}");
    }
    if !hold {
        println!(
            "{}",
            pick("次の実行からメール・送り状・発送連絡の対象になります", "the next run mails, exports and reports them as usual")
        );
    }
    ExitStatus::Success
}

/// Sets each order's 社内ステータス and queues its write-back, all in one transaction: any order
/// not found or change the masters cannot put in the mall's codes, and nothing changes.
fn change_orders(
    numbers: &[String],
    mall: Option<&str>,
    status: &str,
    changes: impl Fn(&OrderKey) -> Vec<Change>,
    command: &str,
    opts: &RunOptions,
) -> ExitStatus {
    let (_lock, store) = match super::query::open_for_writing(opts, command) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    let internal = |e: anyhow::Error| {
        eprintln!("error: {e:#}");
        ExitStatus::Internal
    };
    let masters = match store.read_masters() {
        Ok(m) => m,
        Err(e) => return internal(e),
    };
    let starts = match store.linkage_starts() {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    let by = crate::io::login_name("unknown");
    let now = opts.clock.now();
    let tx = match store.conn.unchecked_transaction() {
        Ok(tx) => tx,
        Err(e) => return internal(e.into()),
    };
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    let mut unmapped = Vec::new();
    for number in numbers {
        let key = match one_order(&tx, number, mall) {
            Ok(Ok(key)) => key,
            Ok(Err(problem)) => {
                problems.push(problem);
                continue;
            }
            Err(e) => return internal(e),
        };
        let before = match wb_store::set_house_status(&tx, &key, status, &by, now, command) {
            Ok(b) => b.unwrap_or_default(),
            Err(e) => return internal(e),
        };
        let mut line = format!("  {} {}: {before} → {status}", key.mall, key.order_number);
        for change in changes(&key) {
            let kind = MallKind::parse(&key.mall);
            if let Some(kind) = kind {
                if matches!(malls::write_api(kind), malls::WriteApi::NoWriteApi) {
                    line.push_str(&pick("（このモールには書き戻しの API がありません）", " (this mall has no write API)"));
                    continue;
                }
                if matches!(change, Change::Status { .. }) && malls::status_call(kind).is_none() {
                    line.push_str(&pick("（このモールのステータスは発送連絡で変わります）", " (this mall's status follows the shipment)"));
                    continue;
                }
                let mapped = malls::to_mall_change(&masters, &key.mall, kind, &change);
                match mapped {
                    Ok(mc) => line.push_str(&format!("\n      → {} {}", malls::call_for(kind, &change), mc.request_text())),
                    Err(e) => {
                        unmapped.push(
                            crate::config::diagnostic::Diagnostic::error("W001", format!("{} {}: {e}", key.mall, key.order_number)).help(
                                pick(
                                    "マスタを直して load_masters を実行（juchu run）してから、もう一度このコマンドを実行してください",
                                    "fix the masters, load them (juchu run), then run this command again",
                                ),
                            ),
                        );
                        continue;
                    }
                }
            }
            match wb_store::queue(&tx, &key, &change, &by, now, command) {
                Ok(Queued::Same) => line.push_str(&pick("（同じ変更が送信箱にあります）", " (the same change is queued already)")),
                Ok(Queued::Replaced) => {
                    line.push_str(&pick("（送信箱の前の変更を置き換えました）", " (replaced the change queued before)"))
                }
                Ok(Queued::New) => {}
                Err(e) => return internal(e),
            }
        }
        let live = starts.get(&key.mall).is_some_and(|t| *t <= now.naive_local());
        if !live {
            line.push_str(&pick(
                "\n      （連動前: 書き戻しはシャドーで計画だけ。juchu linkage status で確かめられます）",
                "\n      (linkage not started: write_back only plans it in shadow; see juchu linkage status)",
            ));
        }
        lines.push(line);
    }
    if !problems.is_empty() || !unmapped.is_empty() {
        drop(tx);
        for p in &problems {
            eprintln!("error: {p}");
        }
        crate::pipeline::runner::print_diagnostics(&crate::config::diagnostic::Diagnostics(unmapped), opts);
        eprintln!("  help: {}", pick("何も変えていません。直してからもう一度実行してください", "nothing changed; fix these and run again"));
        return ExitStatus::Config;
    }
    if let Err(e) = tx.commit() {
        return internal(e.into());
    }
    for l in &lines {
        println!("{l}");
    }
    println!(
        "{}",
        pick(
            format!("{} 件を「{status}」にし、書き戻しを送信箱に入れました（write_back ステージが送ります）", lines.len()),
            format!("{} order(s) set to `{status}`; their write-back is queued (the write_back stage sends it)", lines.len())
        )
    );
    ExitStatus::Success
}

fn move_status(to: &str, before: &str, mall: Option<&str>, dry_run: bool, yes: bool, opts: &RunOptions) -> ExitStatus {
    let Some(before_at) = super::linkage::parse_jst(before) else {
        eprintln!(
            "error: {}",
            pick(format!("--imported-before `{before}` は日時ではありません"), format!("--imported-before `{before}` is not a date-time"))
        );
        eprintln!("  help: {}", pick("2026-12-02T18:00 のように日本時間で書いてください", "write it in JST, as 2026-12-02T18:00"));
        return ExitStatus::Usage;
    };
    if to.trim().is_empty() || crate::domain::checklist::is_unprocessed_status(to) {
        eprintln!("error: {}", pick(format!("`{to}` は処理済のステータスではありません"), format!("`{to}` is not a processed status")));
        eprintln!(
            "  help: {}",
            pick("--to 処理済 のように、新規でないステータスを書いてください", "give a status that is not new, such as --to 処理済")
        );
        return ExitStatus::Usage;
    }
    let (_lock, store) = match super::query::open_for_writing(opts, "orders move-status") {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    let groups = match store.move_candidates(before_at, mall, to) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitStatus::Internal;
        }
    };
    let total: i64 = groups.iter().map(|g| g.count).sum();
    for g in &groups {
        // Padded by display width: a full-width status takes two columns.
        let pad = 16usize.saturating_sub(unicode_width::UnicodeWidthStr::width(g.status.as_str()));
        println!("  {:<12} {}{} {:>6}", g.mall, g.status, " ".repeat(pad), g.count);
    }
    let when = before_at.with_timezone(&crate::domain::time::jst()).format("%Y-%m-%d %H:%M");
    println!(
        "{}",
        pick(
            format!("{when} より前に取り込んだ受注 {total} 件を「{to}」にします"),
            format!("{total} order(s) imported before {when} JST move to `{to}`")
        )
    );
    if total == 0 || dry_run {
        if dry_run {
            println!("{}", pick("（--dry-run: 何も変えていません）", "(--dry-run: nothing changed)"));
        }
        return ExitStatus::Success;
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            eprintln!("error: {}", pick("確認できません（端末ではありません）", "cannot ask (not a terminal)"));
            eprintln!("  help: {}", pick("内容を確かめて --yes を付けてください", "check the counts above and pass --yes"));
            return ExitStatus::Usage;
        }
        print!("{}", pick("よろしいですか？ [y/N] ", "Go ahead? [y/N] "));
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "はい") {
            println!("{}", pick("やめました。何も変えていません", "stopped; nothing changed"));
            return ExitStatus::Success;
        }
    }
    let by = crate::io::login_name("unknown");
    let command = format!(
        "orders move-status --to {to} --imported-before {}{}",
        before_at.to_rfc3339(),
        mall.map(|m| format!(" --mall {m}")).unwrap_or_default()
    );
    match store.move_status(before_at, mall, to, &by, opts.clock.now(), &command) {
        Ok(moved) => {
            println!(
                "{}",
                pick(
                    format!("{moved} 件を「{to}」にしました（order_status_log に記録）"),
                    format!("moved {moved} order(s) to `{to}` (logged in order_status_log)")
                )
            );
            ExitStatus::Success
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitStatus::Internal
        }
    }
}
