//! Stage `import_tracking` (送り状番号の取込): the carriers' files of issued slips (B2クラウド
//! 発行済データ, e飛伝 印刷済データ, ゆうプリR 発送履歴) put in a folder; `juchu tracking import FILE`
//! takes one by hand. Each number joins on juchu's お客様管理番号, sets the slip's tracking number
//! and ship date, moves the orders to 出荷済 (never backwards) and queues their shipping write-back;
//! the shipping-notice mail (`send_mail` with `when: shipped`) follows. A file is imported once, by
//! the hash of its bytes; a row that cannot be used is a located error and the other rows go on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

use super::{CheckContext, Preview, RunContext, Stage, StageError, StageOutcome};
use crate::carriers::tracking::{self, TrackingRow};
use crate::config::diagnostic::{display_path, Diagnostic, Place};
use crate::config::yaml::Spanned;
use crate::domain::lang::pick;
use crate::store::shipping as ship;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportTrackingConfig {
    /// The folder the carriers' files are put in, relative to the pipeline (every `.csv`/`.txt`).
    pub folder: Spanned<String>,
}

/// What importing one file did.
#[derive(Debug, Default)]
pub struct Imported {
    /// `Some((file, when))`: the same bytes were imported before; nothing was done.
    pub before: Option<(String, String)>,
    pub format: String,
    /// Slips given their number now, and the orders on them.
    pub slips: usize,
    pub orders: usize,
    /// Rows whose slip had this number already.
    pub unchanged: usize,
    pub problems: Vec<Diagnostic>,
}

fn place(path: &Path, line: usize) -> Place {
    Place::Line { path: path.to_path_buf(), line, column: None, text: None }
}

/// Imports one tracking file in one transaction (a `Connection` the caller commits).
pub fn import_file(
    c: &duckdb::Connection,
    path: &Path,
    by: &str,
    now: DateTime<FixedOffset>,
    run_id: Option<i64>,
) -> anyhow::Result<Imported> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let hash = ship::file_hash(&bytes);
    let mut out = Imported::default();
    if let Some(before) = ship::tracking_imported(c, &hash)? {
        out.before = Some(before);
        return Ok(out);
    }
    let lang = crate::domain::lang::current();
    let file = match tracking::parse(&bytes) {
        Ok(f) => f,
        Err(unknown) => {
            out.problems.push(Diagnostic::error("D042", unknown.message(lang)).at(place(path, unknown.line.unwrap_or(1))));
            // Reported once: the same bytes are not read again on the next poll.
            ship::record_tracking_import(c, &hash, &display_path(path), "unknown", run_id, 0, 1, now)?;
            return Ok(out);
        }
    };
    out.format = file.format.name(lang).to_string();
    for p in &file.problems {
        out.problems.push(Diagnostic::error("D041", p.message(lang)).at(place(path, p.line)));
    }
    // Rows by slip: a parcel of several pieces (複数口) brings several numbers under one key.
    let mut by_key: BTreeMap<&str, Vec<&TrackingRow>> = BTreeMap::new();
    for r in &file.rows {
        by_key.entry(r.key.as_str()).or_default().push(r);
    }
    let slips = ship::slips_by_key(c)?;
    let mut taken_numbers = ship::tracking_numbers(c)?;
    let today = now.with_timezone(&crate::domain::time::jst()).date_naive();
    let command = format!("tracking import {}", display_path(path));
    let mut applies = Vec::new();
    for (key, rows) in by_key {
        let line = rows[0].line;
        let bad = |code: &'static str, ja: String, en: String, help: (&str, &str)| {
            Diagnostic::error(code, pick(ja, en)).at(place(path, line)).help(pick(help.0, help.1))
        };
        let Some(slip) = slips.get(key) else {
            out.problems.push(bad(
                "D043",
                format!("お客様管理番号「{key}」の送り状は juchu にありません"),
                format!("no juchu slip has the customer reference `{key}`"),
                (
                    "juchu slips export で書き出した送り状のデータだけを取り込めます。ほかの送り状は受注番号で juchu orders ship を使ってください",
                    "only slips juchu exported (juchu slips export) import; for others use juchu orders ship with the order number",
                ),
            ));
            continue;
        };
        if let Some(newer) = &slip.superseded_by {
            out.problems.push(bad(
                "D043",
                format!("送り状「{key}」は書き出し直され、今は「{newer}」です"),
                format!("slip `{key}` was exported again as `{newer}`"),
                ("新しい送り状を発行して、その番号を取り込んでください", "issue the newer slip and import its number"),
            ));
            continue;
        }
        if let Some(r) = rows.iter().find(|r| r.carrier != slip.carrier) {
            out.problems.push(bad(
                "D043",
                format!("送り状「{key}」は{}の送り状ですが、このファイルは{}のものです", slip.carrier, r.carrier),
                format!("slip `{key}` is a {} slip, but this file is {}'s", slip.carrier, r.carrier),
                ("配送会社のファイルを取り違えていないか確かめてください", "check that this is the right carrier's file"),
            ));
            continue;
        }
        let mut numbers: Vec<String> = Vec::new();
        for r in &rows {
            if !numbers.contains(&r.tracking_number) {
                numbers.push(r.tracking_number.clone());
            }
        }
        if slip.tracking_number.as_deref() == Some(numbers.join(",").as_str()) {
            out.unchanged += rows.len();
            continue;
        }
        if let Some((n, other)) =
            numbers.iter().find_map(|n| taken_numbers.get(n).filter(|o| o.as_str() != key).map(|o| (n.clone(), o.clone())))
        {
            out.problems.push(bad(
                "D043",
                format!("お問い合わせ番号「{n}」はもう送り状「{other}」に付いています"),
                format!("tracking number `{n}` is already on slip `{other}`"),
                (
                    "同じ番号が二つの荷物に付くことはありません。ファイルの行と送り状を確かめてください",
                    "one number never goes on two parcels: check the row and the slips",
                ),
            ));
            continue;
        }
        // A cancelled order on the slip: nothing on it moves; staff decide.
        if let Some((o, _)) = slip.orders.iter().find(|(_, status)| status.starts_with("キャンセル")) {
            let o = &o.order_number;
            out.problems.push(bad(
                "D043",
                format!("送り状「{key}」の受注 {o} はキャンセルされています"),
                format!("order {o} on slip `{key}` is cancelled"),
                (
                    "荷物を止めるか、モールで受注を確かめてください（番号は取り込んでいません）",
                    "stop the parcel or check the order at the mall (the number is not imported)",
                ),
            ));
            continue;
        }
        for n in &numbers {
            taken_numbers.insert(n.clone(), key.to_string());
        }
        applies.push(ship::TrackingApply {
            slip_key: key.to_string(),
            carrier: slip.carrier.clone(),
            shipped_on: rows.iter().find_map(|r| r.shipped_on).unwrap_or(today),
            numbers,
            line,
            orders: slip.orders.iter().map(|(o, _)| o.clone()).collect(),
        });
    }
    out.slips = applies.len();
    out.orders = ship::apply_tracking(c, &applies, &display_path(path), by, now, &command)?;
    ship::record_tracking_import(c, &hash, &display_path(path), &out.format, run_id, out.slips, out.problems.len(), now)?;
    Ok(out)
}

/// One line for a file's import, as the stage and the command print it.
pub fn summary(path: &Path, i: &Imported) -> String {
    let shown = display_path(path);
    match &i.before {
        Some((file, when)) => pick(
            format!("{shown}: {when} に取り込み済みです（{file}）。何も変えていません"),
            format!("{shown}: imported at {when} ({file}); nothing changed"),
        ),
        None if i.format.is_empty() => pick(
            format!("{shown}: 送り状番号のファイルとして読めないため、取り込んでいません"),
            format!("{shown}: not a tracking file juchu reads; nothing imported"),
        ),
        None => pick(
            format!(
                "{shown}（{}）: 送り状{}件・受注{}件に番号を付けました；変わらず{}行、エラー{}件",
                i.format,
                i.slips,
                i.orders,
                i.unchanged,
                i.problems.len()
            ),
            format!(
                "{shown} ({}): {} slip(s), {} order(s) given their number; {} row(s) unchanged, {} error(s)",
                i.format,
                i.slips,
                i.orders,
                i.unchanged,
                i.problems.len()
            ),
        ),
    }
}

/// Who imports: the login name, else `juchu` (cron).
pub fn user() -> String {
    crate::io::login_name("juchu")
}

fn files_in(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|p: &PathBuf| {
            p.is_file()
                && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("txt"))
                && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

impl Stage for ImportTrackingConfig {
    fn check(&self, _cx: &mut CheckContext<'_>) -> Vec<Diagnostic> {
        Vec::new()
    }

    fn run(&self, cx: &RunContext<'_>) -> Result<StageOutcome, StageError> {
        let folder = cx.resolve(&self.folder.value);
        let mut out = StageOutcome::default();
        let files = files_in(&folder);
        let mut parts = Vec::new();
        let by = user();
        for path in &files {
            let tx = cx.store.conn.unchecked_transaction().map_err(anyhow::Error::from)?;
            let i = import_file(&tx, path, &by, cx.now, Some(cx.run_id))?;
            tx.commit().map_err(anyhow::Error::from)?;
            if i.before.is_some() {
                out.rows_unchanged += 1;
                continue;
            }
            out.rows_in += 1;
            out.rows_changed += i.slips as u64;
            out.rows_unchanged += i.unchanged as u64;
            out.rows_rejected += i.problems.len() as u64;
            out.failed += i.problems.len() as u64;
            parts.push(summary(path, &i));
            out.warnings.extend(i.problems);
        }
        out.message = if parts.is_empty() {
            pick(
                format!("{}: 新しい送り状番号のファイルはありません", display_path(&folder)),
                format!("{}: no new tracking file", display_path(&folder)),
            )
        } else {
            parts.join("; ")
        };
        Ok(out)
    }

    fn preview(&self, cx: &RunContext<'_>, limit: usize) -> Result<Preview, StageError> {
        let files = files_in(&cx.resolve(&self.folder.value));
        let rows = files.iter().take(limit).map(|p| vec![display_path(p)]).collect();
        Ok(Preview { table: "tracking_imports".into(), columns: vec!["file".into()], rows, total: files.len() })
    }
}
