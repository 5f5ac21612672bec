//! `juchu linkage enable|disable|status` (受注連動, S9, S12–S15, S17): linkage starts only at a
//! date-time that is not in the past, with the first-setup checklist all OK, the test orders moved
//! and automatic authorization off; every decision is appended to a history that is never rewritten.

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use clap::Subcommand;

use crate::domain::lang::pick;
use crate::pipeline::runner::{lock_and_open, RunOptions};
use crate::ExitStatus;

#[derive(Subcommand, Debug)]
pub enum Linkage {
    /// Start linkage of one mall at a date-time (JST) that is not in the past.
    #[command(
        after_help = "Example:\n  juchu linkage enable pipelines/demo.yaml --mall rakuten --start 2026-12-03T10:00\n\nRefused (exit 1), each time saying why: a start in the past (S12), an NG item on the first-setup\nchecklist (S17), test orders not moved to a processed status (S9: juchu orders move-status),\nautomatic credit authorization ON for a first linkage (S15)."
    )]
    Enable {
        pipeline: std::path::PathBuf,
        #[arg(long)]
        mall: String,
        /// JST: `2026-12-03T10:00`, `2026-12-03 10:00`, or RFC 3339 with an offset.
        #[arg(long)]
        start: String,
        /// Start even though the mall's automatic credit authorization (自動オーソリ) is ON.
        #[arg(long)]
        allow_auto_authorization: bool,
        #[arg(long)]
        note: Option<String>,
    },
    /// Stop linkage of one mall (recorded; nothing is written back to it from now on).
    Disable {
        pipeline: std::path::PathBuf,
        #[arg(long)]
        mall: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Each mall's linkage state and the whole history.
    Status { pipeline: std::path::PathBuf },
}

/// `2026-12-03T10:00`, `2026-12-03 10:00[:00]` (JST) or RFC 3339.
pub fn parse_jst(text: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        return Some(t);
    }
    let text = text.trim().replace('T', " ");
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&text, f).ok())
        .and_then(|t| crate::domain::time::jst().from_local_datetime(&t).single())
}

fn by() -> String {
    crate::io::login_name("unknown")
}

pub fn linkage(command: Linkage, opts: &RunOptions) -> ExitStatus {
    match command {
        Linkage::Enable { pipeline, mall, start, allow_auto_authorization, note } => {
            enable(&pipeline, &mall, &start, allow_auto_authorization, note.as_deref(), opts)
        }
        Linkage::Disable { pipeline, mall, note } => disable(&pipeline, &mall, note.as_deref(), opts),
        Linkage::Status { pipeline } => status(&pipeline, opts),
    }
}

/// The settings, or exit 78 with the problems printed.
fn settings(pipeline: &Path, opts: &RunOptions) -> Result<crate::config::settings::Settings, ExitStatus> {
    let loaded = crate::pipeline::check::load(pipeline, opts.clock.now());
    match loaded.settings {
        Some(s) if loaded.diagnostics.errors() == 0 => Ok(s),
        _ => {
            crate::pipeline::runner::print_diagnostics(&loaded.diagnostics, opts);
            Err(ExitStatus::Config)
        }
    }
}

fn known_mall(settings: &crate::config::settings::Settings, mall: &str) -> Result<(), ExitStatus> {
    if settings.malls.contains_key(mall) {
        return Ok(());
    }
    let names: Vec<&str> = settings.malls.keys().map(String::as_str).collect();
    eprintln!(
        "error: {}",
        pick(
            format!("モール `{mall}` は設定にありません（{}）", names.join(", ")),
            format!("no mall `{mall}` in the settings ({})", names.join(", "))
        )
    );
    Err(ExitStatus::Usage)
}

fn enable(pipeline: &Path, mall: &str, start: &str, allow_auto: bool, note: Option<&str>, opts: &RunOptions) -> ExitStatus {
    let now = opts.clock.now();
    let Some(start) = parse_jst(start) else {
        eprintln!("error: {}", pick(format!("--start `{start}` は日時ではありません"), format!("--start `{start}` is not a date-time")));
        eprintln!("  help: {}", pick("2026-12-03T10:00 のように日本時間で書いてください", "write it in JST, as 2026-12-03T10:00"));
        return ExitStatus::Usage;
    };
    let mut settings = match settings(pipeline, opts) {
        Ok(s) => s,
        Err(status) => return status,
    };
    if let Err(status) = known_mall(&settings, mall) {
        return status;
    }
    let store_path = opts.store.clone().unwrap_or_else(|| settings.store.clone());
    let (_lock, store) = match lock_and_open(&store_path, &format!("linkage enable {mall}")) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    let history = match store.linkage_history() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitStatus::Internal;
        }
    };
    let auto_auth = settings.malls[mall].switches.auto_credit_authorization;
    // S15 is judged below on its own, with its own way out; the checklist judges the rest.
    for m in settings.malls.values_mut() {
        m.switches.auto_credit_authorization = false;
    }
    let items = crate::store::checklist::evaluate(&settings, Some(&store), now);
    let first = !history.iter().any(|e| e.mall == mall && e.action == "enable");
    let refusals = crate::domain::linkage::refusals(&crate::domain::linkage::Request {
        mall,
        start: start.with_timezone(&crate::domain::time::jst()).naive_local(),
        now: now.with_timezone(&crate::domain::time::jst()).naive_local(),
        checklist: &items,
        auto_authorization: auto_auth,
        allow_auto_authorization: allow_auto,
        first_linkage: first,
    });
    if !refusals.is_empty() {
        eprintln!("{}", pick(format!("{mall} の受注連動は始めません:"), format!("linkage of {mall} is not started:")));
        for r in &refusals {
            eprintln!("  - [{}] {}", r.rule, r.why);
            eprintln!("    {}{}", pick("対処: ", "fix: "), r.fix);
        }
        return ExitStatus::RecordsFailed;
    }
    let start_jst = start.with_timezone(&crate::domain::time::jst());
    if let Err(e) = store.record_linkage(mall, "enable", Some(start_jst.naive_local()), allow_auto, &by(), now, note) {
        eprintln!("error: {e:#}");
        return ExitStatus::Internal;
    }
    println!(
        "{}",
        pick(
            format!("{mall} の受注連動を {} から始めます（記録しました）", start_jst.format("%Y-%m-%d %H:%M")),
            format!("linkage of {mall} starts at {} JST (recorded)", start_jst.format("%Y-%m-%d %H:%M"))
        )
    );
    let quiet = start_jst - chrono::Duration::minutes(5);
    eprintln!(
        "warning[S14]: {}",
        pick(
            format!(
                "{} から {} まで、{mall} の管理画面で受注を処理しないでください（取込の重なり5分の間の変更は、受注連動の最初の取込で上書きされます）",
                quiet.format("%H:%M"),
                start_jst.format("%H:%M")
            ),
            format!(
                "do not process orders in {mall}'s own screen from {} to {} JST: a change made in the 5 minutes before the start is overwritten by linkage's first poll",
                quiet.format("%H:%M"),
                start_jst.format("%H:%M")
            )
        )
    );
    ExitStatus::Success
}

fn disable(pipeline: &Path, mall: &str, note: Option<&str>, opts: &RunOptions) -> ExitStatus {
    let settings = match settings(pipeline, opts) {
        Ok(s) => s,
        Err(status) => return status,
    };
    if let Err(status) = known_mall(&settings, mall) {
        return status;
    }
    let store_path = opts.store.clone().unwrap_or_else(|| settings.store.clone());
    let (_lock, store) = match lock_and_open(&store_path, &format!("linkage disable {mall}")) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    match store.linkage_starts() {
        Ok(on) if !on.contains_key(mall) => {
            eprintln!("error: {}", pick(format!("{mall} の受注連動はONではありません"), format!("linkage of {mall} is not on")));
            return ExitStatus::Usage;
        }
        Ok(_) => {}
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitStatus::Internal;
        }
    }
    if let Err(e) = store.record_linkage(mall, "disable", None, false, &by(), opts.clock.now(), note) {
        eprintln!("error: {e:#}");
        return ExitStatus::Internal;
    }
    println!("{}", pick(format!("{mall} の受注連動を止めました（記録しました）"), format!("linkage of {mall} stopped (recorded)")));
    ExitStatus::Success
}

fn status(pipeline: &Path, opts: &RunOptions) -> ExitStatus {
    let settings = match settings(pipeline, opts) {
        Ok(s) => s,
        Err(status) => return status,
    };
    let store_path = opts.store.clone().unwrap_or_else(|| settings.store.clone());
    let history = if store_path.exists() {
        match super::query::open_read_only_at(store_path).map(|(s, _)| s.linkage_history()) {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => {
                eprintln!("error: {e:#}");
                return ExitStatus::Internal;
            }
            Err(status) => return status,
        }
    } else {
        Vec::new()
    };
    let now = opts.clock.now().with_timezone(&crate::domain::time::jst()).naive_local();
    for mall in settings.malls.keys() {
        let last = history.iter().rev().find(|e| &e.mall == mall);
        let state = match last {
            Some(e) if e.action == "enable" => match e.starts_at {
                Some(t) if t > now => {
                    pick(format!("{} から開始予定", t.format("%Y-%m-%d %H:%M")), format!("starts at {}", t.format("%Y-%m-%d %H:%M")))
                }
                Some(t) => pick(format!("ON（{} から）", t.format("%Y-%m-%d %H:%M")), format!("ON (since {})", t.format("%Y-%m-%d %H:%M"))),
                None => "ON".into(),
            },
            Some(_) => pick("OFF（停止）", "OFF (stopped)"),
            None => pick("OFF（未開始）", "OFF (never started)"),
        };
        println!("{mall:<12} {state}");
    }
    if !history.is_empty() {
        println!("{}", pick("履歴:", "history:"));
    }
    for e in &history {
        println!(
            "  {}  {:<10} {:<7} {}{}  {}{}{}",
            e.decided_at.format("%Y-%m-%d %H:%M"),
            e.mall,
            e.action,
            e.starts_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
            if e.allow_auto_authorization {
                pick("（自動オーソリ許可）", " (auto authorization allowed)")
            } else {
                String::new()
            },
            e.decided_by,
            e.note.as_deref().map(|n| format!("  {n}")).unwrap_or_default(),
            format!("  #{}", e.seq)
        );
    }
    ExitStatus::Success
}
