//! `juchu orders move-status` (S9): move the orders imported during the tests to a processed
//! status in juchu's store, in one transaction, each change logged. Nothing is written back to a
//! mall: these orders are from before its linkage (S13).

use std::io::{BufRead, IsTerminal, Write};

use clap::Subcommand;

use crate::domain::lang::pick;
use crate::pipeline::runner::RunOptions;
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
}

pub fn orders(command: Orders, opts: &RunOptions) -> ExitStatus {
    match command {
        Orders::MoveStatus { to, imported_before, mall, dry_run, yes } => {
            move_status(&to, &imported_before, mall.as_deref(), dry_run, yes, opts)
        }
    }
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
    let by = std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "unknown".into());
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
