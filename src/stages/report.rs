//! Stage `report` (S10, S17): the verification workbook (確認用ブック) staff review every day in Excel.
//!
//! Sheets: サマリー (the run), 受注チェック (one row per order and destination, the ten checks with
//! their reasons), 明細 (one row per line, each enriched value beside where it came from),
//! 初期設定チェック (the first-setup checklist), エラー (what the run reported, and every order still
//! pending), メール (the run's first mails as the customer got them, to check their wording). Written
//! in constant memory, each sheet in row order, to a temporary name renamed at the end: a crash never
//! leaves half a workbook under the real name.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rust_xlsxwriter::{Color, DataValidation, Format, FormatAlign, Workbook, Worksheet};
use serde::Deserialize;

use super::{CheckContext, Preview, Resource, RunContext, Stage, StageError, StageOutcome};
use crate::config::diagnostic::Diagnostic;
use crate::config::yaml::Spanned;
use crate::domain::checks::CHECK_NAMES;
use crate::domain::lang::pick;
use crate::io::decisions::{self as decisions, SheetKind};
use crate::store::report::{Scope, ITEM_VALUES};
use crate::store::shipping::{self, OrderKey};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    /// Where to write, relative to the pipeline; `{{ run.business_date }}` and `{{ run.id }}` are filled in.
    pub path: Spanned<String>,
    /// A date range of order dates (`YYYY-MM-DD`) instead of the run's new and changed orders.
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    #[serde(default)]
    pub to: Option<Spanned<String>>,
    /// How many of the run's mails the メール sheet shows in full (default 100; failed ones first).
    #[serde(default = "default_mails")]
    pub mails: u32,
}

fn default_mails() -> u32 {
    100
}

/// Excel's last row is 1,048,576: a sheet that would pass it goes on in another sheet of the same name.
const MAX_ROWS: u32 = 1_048_576;
/// Past this many bytes of cell XML (a quarter of ZIP's 4 GB limit, for the markup the estimate
/// leaves out) the workbook is written with ZIP64.
const ZIP64_AFTER: u64 = 1 << 30;
/// Columns never get wider than this (Excel character units), so one long remark does not hide the rest.
const MAX_WIDTH: f64 = 60.0;

impl Stage for ReportConfig {
    fn needs(&self) -> &'static [Resource] {
        &[Resource::Enrichment]
    }

    fn check(&self, cx: &mut CheckContext<'_>) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        for d in [&self.from, &self.to].into_iter().flatten() {
            if chrono::NaiveDate::parse_from_str(&d.value, "%Y-%m-%d").is_err() {
                diags.push(
                    Diagnostic::error(
                        "C075",
                        pick(
                            format!("`{}` は日付（YYYY-MM-DD）ではありません", d.value),
                            format!("`{}` is not a date (YYYY-MM-DD)", d.value),
                        ),
                    )
                    .at(cx.env.file.place_at(&d.referenced))
                    .help(pick("注文日を 2026-12-01 のように書いてください", "write the order date as 2026-12-01")),
                );
            }
        }
        if self.from.is_some() != self.to.is_some() {
            let at = self.from.as_ref().or(self.to.as_ref()).expect("one of them");
            diags.push(
                Diagnostic::error("C075", pick("`from` と `to` は両方書きます", "`from` and `to` go together"))
                    .at(cx.env.file.place_at(&at.referenced))
                    .help(pick(
                        "両方の日付を書くか、両方消してください（その実行の受注）",
                        "give both dates, or neither for the orders of the run",
                    )),
            );
        }
        diags
    }

    fn run(&self, cx: &RunContext<'_>) -> Result<StageOutcome, StageError> {
        let business_date = cx.now.with_timezone(&crate::domain::time::jst()).format("%Y-%m-%d").to_string();
        let path =
            cx.resolve(&self.path.value.replace("{{ run.business_date }}", &business_date).replace("{{ run.id }}", &cx.run_id.to_string()));
        let scope = match (&self.from, &self.to) {
            (Some(f), Some(t)) => Scope::Dates { from: f.value.clone(), to: t.value.clone() },
            _ => Scope::Run(cx.run_id),
        };
        // A cron poll with no new or changed order, and the write-back sheets as the last workbook
        // showed them, keeps that workbook: checked before building one, which is most of a quiet poll.
        let digest_key = format!("workbook_write_back:{}", path.display());
        let digest = crate::store::write_back::sheets_digest(&cx.store.conn, cx.run_id)?;
        let write_back_changed = cx.store.meta(&digest_key)?.as_deref() != Some(digest.as_str());
        let unchanged = matches!(scope, Scope::Run(_)) && path.exists() && !write_back_changed && cx.store.scope_keys(&scope)?.is_empty();
        let written = if unchanged {
            Written { orders: 0, items: 0, errors: 0, kept: true, beside: None }
        } else {
            let w = write_workbook(cx, &path, &scope, &business_date, self.mails, write_back_changed)
                .with_context(|| format!("writing {}", path.display()))?;
            cx.store.conn.execute(
                "INSERT INTO shop_meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                duckdb::params![digest_key, digest],
            )?;
            w
        };
        let shown = crate::config::diagnostic::display_path(&path);
        if written.kept {
            return Ok(StageOutcome {
                message: pick(
                    format!("{shown}: この実行で新規・変更の受注がないため、前のブックをそのまま残しました"),
                    format!("{shown}: no order new or changed in this run; the workbook there is kept as it was"),
                ),
                ..Default::default()
            });
        }
        if let Some((beside, unapplied)) = &written.beside {
            let new = crate::config::diagnostic::display_path(beside);
            return Ok(StageOutcome {
                rows_out: written.orders,
                message: pick(
                    format!(
                        "{shown}: juchu apply で反映していない判断が {unapplied} 件あるため、このブックは上書きせずに残しました（スタッフの判断はそのままです）。                         新しいブックは {new} です（受注 {} 行）。残したブックの判断は juchu apply {shown} で反映してください",
                        written.orders
                    ),
                    format!(
                        "{shown}: it holds {unapplied} decision(s) not yet applied, so it was kept as staff left it; the new workbook is {new}                          ({} order rows). Apply the kept workbook's decisions with juchu apply {shown}",
                        written.orders
                    ),
                ),
                ..Default::default()
            });
        }
        Ok(StageOutcome {
            rows_out: written.orders,
            message: pick(
                format!(
                    "{}: 受注 {} 行、明細 {} 行、エラー {} 行",
                    crate::config::diagnostic::display_path(&path),
                    written.orders,
                    written.items,
                    written.errors
                ),
                format!(
                    "{}: {} order rows, {} item rows, {} error rows",
                    crate::config::diagnostic::display_path(&path),
                    written.orders,
                    written.items,
                    written.errors
                ),
            ),
            ..Default::default()
        })
    }

    fn preview(&self, _cx: &RunContext<'_>, _limit: usize) -> Result<Preview, StageError> {
        Ok(Preview {
            table: "the verification workbook (written by `juchu run`; preview writes nothing)".into(),
            columns: Vec::new(),
            rows: Vec::new(),
            total: 0,
        })
    }
}

struct Written {
    orders: u64,
    items: u64,
    errors: u64,
    /// Nothing new in the run: the workbook already there was left as it was.
    kept: bool,
    /// The workbook there held decisions not yet applied: the new one was written here instead,
    /// and how many decisions the old one holds.
    beside: Option<(PathBuf, usize)>,
}

/// The formats every sheet uses: a Japanese font throughout, yen as `#,##0`, dates as Excel dates.
struct Formats {
    header: Format,
    text: Format,
    yen: Format,
    number: Format,
    datetime: Format,
    pass: Format,
    fail: Format,
    na: Format,
    fail_text: Format,
    /// Multi-line text (a mail body), top-aligned and wrapped.
    wrapped: Format,
    title: Format,
}

impl Formats {
    fn new() -> Formats {
        let base = Format::new().set_font_name("Meiryo UI").set_font_size(10);
        Formats {
            header: base.clone().set_bold().set_background_color(Color::RGB(0x305496)).set_font_color(Color::White),
            text: base.clone(),
            yen: base.clone().set_num_format("#,##0"),
            number: base.clone().set_num_format("0"),
            datetime: base.clone().set_num_format("yyyy/mm/dd hh:mm"),
            pass: base.clone().set_align(FormatAlign::Center).set_font_color(Color::RGB(0x006100)),
            fail: base
                .clone()
                .set_align(FormatAlign::Center)
                .set_bold()
                .set_background_color(Color::RGB(0xFFC7CE))
                .set_font_color(Color::RGB(0x9C0006)),
            na: base.clone().set_align(FormatAlign::Center).set_background_color(Color::RGB(0xE7E6E6)).set_font_color(Color::RGB(0x7F7F7F)),
            fail_text: base.clone().set_background_color(Color::RGB(0xFFC7CE)).set_font_color(Color::RGB(0x9C0006)),
            wrapped: base.clone().set_text_wrap().set_align(FormatAlign::Top),
            title: base.set_bold().set_font_size(14),
        }
    }
}

/// One sheet written row after row, going on in `name (2)` past Excel's last row, keeping each
/// column's width for Japanese text (full-width characters count two).
struct Sheet {
    index: usize,
    name: String,
    headers: Vec<String>,
    widths: Vec<f64>,
    row: u32,
    part: u32,
    /// Sheets of the parts written so far, to size and filter them at the end.
    parts: Vec<(usize, u32)>,
    /// About how many bytes of sheet XML the cells take (text plus the cell's markup).
    xml_bytes: u64,
    /// Columns with a list staff choose from (判断), on every data row of every part.
    validations: Vec<(usize, DataValidation)>,
    /// Columns only `juchu apply` reads (確認キー).
    hidden: Vec<usize>,
}

impl Sheet {
    fn add(book: &mut Workbook, name: &str, headers: Vec<String>, f: &Formats) -> anyhow::Result<Sheet> {
        let index = book.worksheets().len();
        let ws = book.add_worksheet_with_constant_memory()?;
        ws.set_name(name)?;
        let mut sheet = Sheet {
            index,
            name: name.to_string(),
            widths: vec![0.0; headers.len()],
            headers,
            row: 0,
            part: 1,
            parts: Vec::new(),
            xml_bytes: 0,
            validations: Vec::new(),
            hidden: Vec::new(),
        };
        sheet.write_headers(ws, f)?;
        Ok(sheet)
    }

    fn write_headers(&mut self, ws: &mut Worksheet, f: &Formats) -> anyhow::Result<()> {
        for (c, h) in self.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &f.header)?;
            self.widths[c] = self.widths[c].max(width(h));
        }
        if !self.headers.is_empty() {
            ws.set_freeze_panes(1, 0)?;
            // Printed (or saved as PDF), the header is on every page.
            ws.set_repeat_rows(0, 0)?;
        }
        // A4 landscape. A narrow sheet is fitted to one page wide; a wide one (the ten checks) would
        // shrink to nothing, so it runs over pages across, each repeating the mall and order number.
        ws.set_paper_size(9).set_landscape();
        if self.headers.len() <= 10 {
            ws.set_print_fit_to_pages(1, 0);
        } else {
            // At 60 % a page holds the repeated columns and a check with its reason beside it.
            ws.set_repeat_columns(0, 1)?.set_print_scale(60);
        }
        ws.set_header(format!("&L{}&R&P / &N", self.name.replace('&', "&&")));
        self.row = u32::from(!self.headers.is_empty());
        Ok(())
    }

    /// The worksheet the next row goes on: a new part when this one is full.
    fn next_row<'b>(&mut self, book: &'b mut Workbook, f: &Formats) -> anyhow::Result<(&'b mut Worksheet, u32)> {
        if self.row >= MAX_ROWS {
            self.parts.push((self.index, self.row));
            self.part += 1;
            self.index = book.worksheets().len();
            let ws = book.add_worksheet_with_constant_memory()?;
            ws.set_name(format!("{} ({})", self.name, self.part))?;
            self.write_headers(ws, f)?;
        }
        let row = self.row;
        self.row += 1;
        Ok((book.worksheet_from_index(self.index)?, row))
    }

    fn note(&mut self, col: usize, text: &str) {
        self.xml_bytes += text.len() as u64 + 48;
        if col >= self.widths.len() {
            self.widths.resize(col + 1, 0.0);
        }
        self.widths[col] = self.widths[col].max(width(text));
    }

    /// Column widths, the filter over the header, on every part.
    fn finish(mut self, book: &mut Workbook) -> anyhow::Result<()> {
        self.parts.push((self.index, self.row));
        for (index, rows) in self.parts {
            let ws = book.worksheet_from_index(index)?;
            for (c, w) in self.widths.iter().enumerate() {
                ws.set_column_width(c as u16, (w + 2.0).min(MAX_WIDTH))?;
            }
            for &c in &self.hidden {
                ws.set_column_hidden(c as u16)?;
            }
            if !self.headers.is_empty() && rows > 1 {
                ws.autofilter(0, 0, rows - 1, self.headers.len() as u16 - 1)?;
                for (c, dv) in &self.validations {
                    ws.add_data_validation(1, *c as u16, rows - 1, *c as u16, dv)?;
                }
            }
        }
        Ok(())
    }
}

/// A cell's width in Excel character units: full-width characters count two.
fn width(text: &str) -> f64 {
    use unicode_width::UnicodeWidthStr;
    text.lines().map(UnicodeWidthStr::width).max().unwrap_or(0) as f64
}

/// Writes text as text, whatever it starts with: a customer named `=HYPERLINK(…)` stays a name.
/// (rust_xlsxwriter writes strings as strings; only its Formula type is a formula.)
fn text(ws: &mut Worksheet, sheet: &mut Sheet, row: u32, col: usize, value: &str, format: &Format) -> anyhow::Result<()> {
    if !value.is_empty() {
        // Excel's limit for one cell.
        let value: String = value.chars().take(32_767).collect();
        ws.write_string_with_format(row, col as u16, &value, format)?;
        sheet.note(col, &value);
    }
    Ok(())
}

fn yen(ws: &mut Worksheet, sheet: &mut Sheet, row: u32, col: usize, value: Option<i64>, f: &Formats) -> anyhow::Result<()> {
    if let Some(v) = value {
        ws.write_number_with_format(row, col as u16, v as f64, &f.yen)?;
        sheet.note(col, &format!("{v:>10}"));
    }
    Ok(())
}

/// `YYYY-MM-DD HH:MM:SS` as an Excel date and time (days since 1899-12-30).
fn excel_datetime(text: &str) -> Option<f64> {
    let t = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    Some((t - epoch).num_seconds() as f64 / 86_400.0)
}

fn write_workbook(
    cx: &RunContext<'_>,
    path: &Path,
    scope: &Scope,
    business_date: &str,
    mail_limit: u32,
    write_back_changed: bool,
) -> anyhow::Result<Written> {
    let f = Formats::new();
    let mut book = Workbook::new();
    // Excel's own level: about 30 % faster to save than the default 6, for files about 5 % bigger.
    book.set_zip_compression_level(3);
    let say = |ja: &str, en: &str| pick(ja, en);
    // Sheets are added in the order staff read them; each is then written row after row.
    let mut summary = Sheet::add(&mut book, &say("サマリー", "Summary"), Vec::new(), &f)?;
    let check_headers: Vec<String> = [
        say("モール", "mall"),
        say("受注番号", "order number"),
        say("送付先", "destination"),
        say("注文日時", "ordered at"),
        say("注文者", "orderer"),
        say("送付先都道府県", "ship-to prefecture"),
        say("請求金額", "billing total"),
        say(decisions::DECISION.0, decisions::DECISION.1),
        say(decisions::HELD.0, decisions::HELD.1),
    ]
    .into_iter()
    .chain(CHECK_NAMES.iter().flat_map(|n| [n.current().to_string(), say("理由", "reason")]))
    .chain([say(decisions::CHECK_KEY.0, decisions::CHECK_KEY.1)])
    .collect();
    let check_key_col = check_headers.len() - 1;
    let mut checks = Sheet::add(&mut book, &SheetKind::Checks.name(), check_headers, &f)?;
    checks.validations.push((CHECK_DECISION, decision_validation(SheetKind::Checks)?));
    checks.hidden.push(check_key_col);
    let hold_headers: Vec<String> = vec![
        say("モール", "mall"),
        say("受注番号", "order number"),
        say("注文日時", "ordered at"),
        say("注文者", "orderer"),
        say("送付先都道府県", "ship-to prefecture"),
        say("請求金額", "billing total"),
        say("保留理由", "held because"),
        say("保留日時", "held since"),
        say(decisions::DECISION.0, decisions::DECISION.1),
        say(decisions::CHECK_KEY.0, decisions::CHECK_KEY.1),
    ];
    let mut holds = Sheet::add(&mut book, &SheetKind::Holds.name(), hold_headers, &f)?;
    holds.validations.push((8, decision_validation(SheetKind::Holds)?));
    holds.hidden.push(9);
    let merge_headers: Vec<String> = vec![
        say(decisions::MERGE_GROUP.0, decisions::MERGE_GROUP.1),
        say("状態", "state"),
        say("モール", "mall"),
        say("受注番号", "order number"),
        say("注文日時", "ordered at"),
        say("送付先", "recipient"),
        say("送付先都道府県", "ship-to prefecture"),
        say("決済方法", "payment method"),
        say("請求金額", "billing total"),
        say(decisions::DECISION.0, decisions::DECISION.1),
        say(decisions::CHECK_KEY.0, decisions::CHECK_KEY.1),
    ];
    let mut merges = Sheet::add(&mut book, &SheetKind::Merges.name(), merge_headers, &f)?;
    merges.validations.push((9, decision_validation(SheetKind::Merges)?));
    merges.hidden.push(10);
    let item_headers: Vec<String> = [
        say("モール", "mall"),
        say("受注番号", "order number"),
        say("行", "line"),
        say("送付先", "destination"),
        say("商品番号", "product"),
        say("商品名", "name"),
        say("オプション", "options"),
        say("オプション加算", "option add-on"),
        say("単価", "unit price"),
        say("数量", "quantity"),
        say("税率", "tax rate"),
    ]
    .into_iter()
    .chain(ITEM_VALUES.iter().flat_map(|(_, ja, en)| [say(ja, en), say("根拠", "from")]))
    .chain([
        say("送料（モール）", "shipping (mall)"),
        say("送料（juchu）", "shipping (juchu)"),
        say("送料の根拠", "shipping from"),
        say("代引手数料（モール）", "COD fee (mall)"),
        say("代引手数料（juchu）", "COD fee (juchu)"),
        say("代引手数料の根拠", "COD fee from"),
    ])
    .collect();
    let mut items = Sheet::add(&mut book, &say("明細", "Items"), item_headers, &f)?;
    let setup_headers: Vec<String> =
        vec![say("項目", "item"), say("内容", "what"), say("結果", "result"), say("確認したこと", "found"), say("対処", "what to do")];
    let mut setup = Sheet::add(&mut book, &say("初期設定チェック", "First setup"), setup_headers, &f)?;
    let error_headers: Vec<String> = vec![
        say("種類", "kind"),
        say("ステージ・モール", "stage or mall"),
        say("コード", "code"),
        say("場所", "place"),
        say("内容", "what"),
        say("対処", "what to do"),
    ];
    let mut errors = Sheet::add(&mut book, &say("エラー", "Errors"), error_headers, &f)?;
    let mail_headers: Vec<String> = vec![
        say("モール", "mall"),
        say("受注番号", "order number"),
        say("テンプレート", "template"),
        say("結果", "result"),
        say("宛先", "to"),
        say("件名", "subject"),
        say("本文", "body"),
        say("送信先・理由", "sent to, or why not"),
    ];
    let mut mails = Sheet::add(&mut book, &say("メール", "Mails"), mail_headers, &f)?;
    let preview_headers: Vec<String> = [
        say("モール", "mall"),
        say("受注番号", "order number"),
        say("書き戻し", "write-back"),
        say("送る API", "call"),
        say("送る内容", "request"),
        say("モールの今の表示", "the mall shows now"),
        say("違い", "differs"),
        say("連動後", "after linkage"),
        say("備考", "note"),
    ]
    .into();
    let mut preview = Sheet::add(&mut book, &say("連動プレビュー", "Linkage preview"), preview_headers, &f)?;
    let write_back_headers: Vec<String> = [
        say("モール", "mall"),
        say("受注番号", "order number"),
        say("書き戻し", "write-back"),
        say("状態", "state"),
        say("送った API", "call"),
        say("内容", "request"),
        say("試行回数", "attempts"),
        say("エラー・備考", "error or note"),
    ]
    .into();
    let mut write_back = Sheet::add(&mut book, &say("書き戻し", "Write-back"), write_back_headers, &f)?;

    // Every reason holding an order now, for 受注チェック's 保留 column and the 保留 sheet.
    let mut held: std::collections::BTreeMap<OrderKey, Vec<shipping::Hold>> = std::collections::BTreeMap::new();
    for h in shipping::holding(&cx.store.conn)? {
        held.entry(h.key.clone()).or_default().push(h);
    }
    let hold_text = |hs: &[shipping::Hold]| -> String {
        hs.iter()
            .map(|h| {
                let source = if h.source == shipping::STAFF {
                    let by = h.held_by.as_deref().unwrap_or("");
                    pick(format!("担当 {by}"), format!("staff {by}"))
                } else {
                    h.source.clone()
                };
                pick(format!("{}（{}）", h.reason, source.trim()), format!("{} ({})", h.reason, source.trim()))
            })
            .collect::<Vec<_>>()
            .join(&pick("；", "; "))
    };

    // 受注チェック, counting each check's results for the summary.
    let mut tally = [[0u64; 3]; 10];
    let orders = cx.store.report_checks(scope, |r| {
        let (ws, row) = checks.next_row(&mut book, &f)?;
        let sheet = &mut checks;
        text(ws, sheet, row, 0, &r.mall, &f.text)?;
        text(ws, sheet, row, 1, &r.order_number, &f.text)?;
        let dest = if r.shipments > 1 { format!("{}/{}", r.shipment_no, r.shipments) } else { String::new() };
        text(ws, sheet, row, 2, &dest, &f.text)?;
        match excel_datetime(&r.ordered_at) {
            Some(t) => {
                ws.write_number_with_format(row, 3, t, &f.datetime)?;
                sheet.note(3, "2026/12/01 10:00");
            }
            None => text(ws, sheet, row, 3, &r.ordered_at, &f.text)?,
        }
        text(ws, sheet, row, 4, &r.orderer, &f.text)?;
        text(ws, sheet, row, 5, &r.prefecture, &f.text)?;
        yen(ws, sheet, row, 6, r.billing_total, &f)?;
        // 判断 (CHECK_DECISION) is left empty for staff.
        sheet.note(CHECK_DECISION, "保留解除 ");
        let key = OrderKey { mall: r.mall.clone(), shop: r.shop.clone(), order_number: r.order_number.clone() };
        if let Some(hs) = held.get(&key) {
            text(ws, sheet, row, CHECK_DECISION + 1, &hold_text(hs), &f.fail_text)?;
        }
        for (k, letter) in r.checks.chars().take(10).enumerate() {
            let col = CHECK_DECISION + 2 + 2 * k;
            let reason = r.reasons.get(k).map(String::as_str).unwrap_or("");
            let (mark, format, reason_format, slot) = match letter {
                'P' => ("✓", &f.pass, &f.text, 0),
                'F' => ("✗", &f.fail, &f.fail_text, 1),
                _ => ("−", &f.na, &f.na, 2),
            };
            tally[k][slot] += 1;
            ws.write_string_with_format(row, col as u16, mark, format)?;
            sheet.note(col, mark);
            if reason.is_empty() {
                ws.write_blank(row, col as u16 + 1, reason_format)?;
            } else {
                text(ws, sheet, row, col + 1, reason, reason_format)?;
            }
        }
        // As text: Excel's numbers keep 15 digits, a fingerprint has 19.
        if let Some(fp) = r.fingerprint {
            text(ws, sheet, row, check_key_col, &fp.to_string(), &f.text)?;
        }
        Ok(())
    })?;

    // 保留: every order held now, not only the run's, with every reason and where it came from.
    let summaries = cx.store.report_order_summaries()?;
    for (key, hs) in &held {
        let (ws, row) = holds.next_row(&mut book, &f)?;
        let o = summaries.get(key).cloned().unwrap_or_default();
        text(ws, &mut holds, row, 0, &key.mall, &f.text)?;
        text(ws, &mut holds, row, 1, &key.order_number, &f.text)?;
        datetime(ws, &mut holds, row, 2, &o.ordered_at, &f)?;
        text(ws, &mut holds, row, 3, &o.orderer, &f.text)?;
        text(ws, &mut holds, row, 4, &o.prefecture, &f.text)?;
        yen(ws, &mut holds, row, 5, o.billing_total, &f)?;
        text(ws, &mut holds, row, 6, &hold_text(hs), &f.fail_text)?;
        let since = hs.iter().map(|h| h.held_at).min().map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default();
        datetime(ws, &mut holds, row, 7, &since, &f)?;
        holds.note(8, "保留解除 ");
        if let Some(fp) = o.fingerprint {
            text(ws, &mut holds, row, 9, &fp.to_string(), &f.text)?;
        }
    }

    // 同梱候補: each open group, one row per order; a decision on any row decides the group.
    for g in shipping::merge_groups_open(&cx.store.conn)? {
        let state = match g.state.as_str() {
            "proposed" => say("提案中", "proposed"),
            "accepted" => say("同梱する", "merged"),
            _ => say("同梱しない", "not merged"),
        };
        for key in &g.members {
            let (ws, row) = merges.next_row(&mut book, &f)?;
            let o = summaries.get(key).cloned().unwrap_or_default();
            text(ws, &mut merges, row, 0, &g.group_key, &f.text)?;
            text(ws, &mut merges, row, 1, &state, if g.state == "proposed" { &f.fail_text } else { &f.text })?;
            text(ws, &mut merges, row, 2, &key.mall, &f.text)?;
            text(ws, &mut merges, row, 3, &key.order_number, &f.text)?;
            datetime(ws, &mut merges, row, 4, &o.ordered_at, &f)?;
            text(ws, &mut merges, row, 5, &o.recipient, &f.text)?;
            text(ws, &mut merges, row, 6, &o.prefecture, &f.text)?;
            text(ws, &mut merges, row, 7, &o.payment_method, &f.text)?;
            yen(ws, &mut merges, row, 8, o.billing_total, &f)?;
            merges.note(9, "同梱しない ");
            if let Some(fp) = o.fingerprint {
                text(ws, &mut merges, row, 10, &fp.to_string(), &f.text)?;
            }
        }
    }

    let item_count = cx.store.report_items(scope, |r| {
        let (ws, row) = items.next_row(&mut book, &f)?;
        let sheet = &mut items;
        text(ws, sheet, row, 0, &r.mall, &f.text)?;
        text(ws, sheet, row, 1, &r.order_number, &f.text)?;
        ws.write_number_with_format(row, 2, r.line_no as f64, &f.number)?;
        ws.write_number_with_format(row, 3, r.shipment_no as f64, &f.number)?;
        text(ws, sheet, row, 4, &r.product_code, &f.text)?;
        text(ws, sheet, row, 5, &r.name, &f.text)?;
        text(ws, sheet, row, 6, &r.options.replace('\n', " / "), &f.text)?;
        yen(ws, sheet, row, 7, r.option_price, &f)?;
        yen(ws, sheet, row, 8, r.unit_price, &f)?;
        ws.write_number_with_format(row, 9, r.quantity as f64, &f.number)?;
        if let Some(rate) = r.tax_rate {
            text(ws, sheet, row, 10, &format!("{rate}%"), &f.text)?;
        }
        let mut col = 11;
        for (value, source) in &r.values {
            text(ws, sheet, row, col, value, &f.text)?;
            text(ws, sheet, row, col + 1, source, &f.text)?;
            col += 2;
        }
        // A shipment's fees once, on its first line; the mall's beside juchu's where a rule set it.
        if r.first_of_shipment {
            yen(ws, sheet, row, col, r.mall_shipping, &f)?;
            yen(ws, sheet, row, col + 1, r.shipping_fee, &f)?;
            text(ws, sheet, row, col + 2, &r.shipping_fee_source, &f.text)?;
            yen(ws, sheet, row, col + 3, r.mall_cod_fee, &f)?;
            yen(ws, sheet, row, col + 4, r.cod_fee, &f)?;
            text(ws, sheet, row, col + 5, &r.cod_fee_source, &f.text)?;
        }
        Ok(())
    })?;

    // 初期設定チェック: the first-setup checklist, as `juchu check --checklist` prints it.
    for item in crate::store::checklist::evaluate(cx.settings, Some(cx.store), cx.now) {
        let (ws, row) = setup.next_row(&mut book, &f)?;
        text(ws, &mut setup, row, 0, item.id, &f.text)?;
        text(ws, &mut setup, row, 1, &item.title, &f.text)?;
        let (mark, format) = if item.ok { ("OK", &f.pass) } else { ("NG", &f.fail) };
        ws.write_string_with_format(row, 2, mark, format)?;
        text(ws, &mut setup, row, 3, &item.detail, &f.text)?;
        text(ws, &mut setup, row, 4, item.fix.as_deref().unwrap_or(""), if item.ok { &f.text } else { &f.fail_text })?;
    }

    // エラー: what this run reported, then every order still pending.
    let reported = cx.store.report_reported(cx.run_id)?;
    let pending = cx.store.report_pending()?;
    for r in &reported {
        let (ws, row) = errors.next_row(&mut book, &f)?;
        let title = crate::config::codes::lookup(&r.code).map(|c| c.title.current().to_string()).unwrap_or_default();
        let kind = if r.severity == "error" { say("エラー", "error") } else { say("警告", "warning") };
        let what = if title.is_empty() { r.message.clone() } else { format!("{title}: {}", r.message) };
        let format = if r.severity == "error" { &f.fail_text } else { &f.text };
        text(ws, &mut errors, row, 0, &kind, format)?;
        text(ws, &mut errors, row, 1, &r.stage_id, &f.text)?;
        text(ws, &mut errors, row, 2, &r.code, &f.text)?;
        text(ws, &mut errors, row, 3, &r.place, &f.text)?;
        text(ws, &mut errors, row, 4, &what, &f.text)?;
        text(ws, &mut errors, row, 5, &r.help, &f.text)?;
    }
    for p in &pending {
        let (ws, row) = errors.next_row(&mut book, &f)?;
        let (kind, code, todo) = if p.reason == "unreadable" {
            (
                say("読めない受注（取り置き）", "unreadable order (set aside)"),
                "F007",
                say("毎回読み直します。モール側で受注を確かめてください", "read again on every poll; check the order at the mall"),
            )
        } else {
            (
                say("取得待ち", "pending"),
                "F006",
                say(
                    "毎回取得し直します。続くときはモールの管理画面で確かめてください",
                    "asked for on every poll; if it goes on, look it up in the mall's admin screen",
                ),
            )
        };
        let what = pick(
            format!("{} {}（{} から、取得{}回）: {}", p.mall, p.order_number, p.first_seen, p.polls, p.detail),
            format!("{} {} (since {}, {} poll(s)): {}", p.mall, p.order_number, p.first_seen, p.polls, p.detail),
        );
        text(ws, &mut errors, row, 0, &kind, &f.fail_text)?;
        text(ws, &mut errors, row, 1, &p.mall, &f.text)?;
        text(ws, &mut errors, row, 2, code, &f.text)?;
        text(ws, &mut errors, row, 3, &p.order_number, &f.text)?;
        text(ws, &mut errors, row, 4, &what, &f.text)?;
        text(ws, &mut errors, row, 5, &todo, &f.text)?;
    }
    let error_count = (reported.len() + pending.len()) as u64;

    // メール: the run's first mails, subject and body as sent, to read their wording (check 10).
    let (mail_rows, mail_counts) = cx.store.report_mails(cx.run_id, mail_limit)?;
    for m in &mail_rows {
        let (ws, row) = mails.next_row(&mut book, &f)?;
        // Tall enough for the whole body (Excel does not grow a row for wrapped text it did not lay out).
        let lines = m.body.lines().count().max(1) as f64;
        ws.set_row_height(row, (lines * 13.0 + 4.0).min(409.0))?;
        let (result, format) = match m.status.as_str() {
            "sent" => (say("送信済", "sent"), &f.pass),
            "failed" => (say("失敗", "failed"), &f.fail),
            _ => (say("送信中", "sending"), &f.fail),
        };
        // Top-aligned, so a row reads from its first line like the mail does.
        let top = |f: &Format| f.clone().set_align(FormatAlign::Top);
        text(ws, &mut mails, row, 0, &m.mall, &top(&f.text))?;
        text(ws, &mut mails, row, 1, &m.order_number, &top(&f.text))?;
        text(ws, &mut mails, row, 2, &m.template, &top(&f.text))?;
        ws.write_string_with_format(row, 3, &result, &top(format))?;
        text(ws, &mut mails, row, 4, &m.recipient, &top(&f.text))?;
        text(ws, &mut mails, row, 5, &m.subject, &top(&f.text))?;
        text(ws, &mut mails, row, 6, &m.body, &f.wrapped)?;
        text(ws, &mut mails, row, 7, &m.reason, &top(if m.status == "failed" { &f.fail_text } else { &f.text }))?;
    }

    // 連動プレビュー: the shadow plan, what linkage would write to which mall (S17's final check).
    let plan = crate::store::write_back::plan(&cx.store.conn)?;
    for p in &plan {
        let (ws, row) = preview.next_row(&mut book, &f)?;
        text(ws, &mut preview, row, 0, &p.key.mall, &f.text)?;
        text(ws, &mut preview, row, 1, &p.key.order_number, &f.text)?;
        text(ws, &mut preview, row, 2, &action_name(&p.action), &f.text)?;
        text(ws, &mut preview, row, 3, &p.call, &f.text)?;
        text(ws, &mut preview, row, 4, &p.request, &f.text)?;
        text(ws, &mut preview, row, 5, &p.mall_shows, &f.text)?;
        let (differs, format) = if p.differs { (say("あり", "yes"), &f.fail) } else { (say("なし", "no"), &f.pass) };
        ws.write_string_with_format(row, 6, &differs, format)?;
        text(ws, &mut preview, row, 7, &if p.would_send { say("送信する", "would send") } else { say("送信しない", "not sent") }, &f.text)?;
        text(ws, &mut preview, row, 8, &p.note, if p.call.is_empty() { &f.fail_text } else { &f.text })?;
    }
    // 書き戻し: every change not yet done (dead letters first), those this run settled, and each
    // overwrite of an edit made in the mall's screen (S12).
    let mut outbox_rows = crate::store::write_back::outbox(&cx.store.conn, &[], None)?;
    outbox_rows.retain(|r| r.state != "done" && r.state != "skipped" || r.done_run == Some(cx.run_id));
    outbox_rows.sort_by_key(|r| (r.state != "dead", r.queued_at));
    let overwrites = crate::store::write_back::overwrites(&cx.store.conn, cx.run_id)?;
    for r in &outbox_rows {
        let (ws, row) = write_back.next_row(&mut book, &f)?;
        let (state, format) = match (r.state.as_str(), r.outcome.as_deref()) {
            ("dead", _) => (say("停止（要確認）", "dead-lettered"), &f.fail),
            ("done", Some("already_set")) => (say("反映済（送信なし）", "already set"), &f.pass),
            ("done", _) => (say("送信済", "sent"), &f.pass),
            ("skipped", _) => (say("対象外", "skipped"), &f.text),
            ("sending", _) => (say("送信中（応答なし）", "sending (no answer)"), &f.fail),
            _ if r.last_error.is_some() => (say("再試行待ち", "to retry"), &f.fail),
            _ => (say("送信待ち", "queued"), &f.text),
        };
        text(ws, &mut write_back, row, 0, &r.key.mall, &f.text)?;
        text(ws, &mut write_back, row, 1, &r.key.order_number, &f.text)?;
        text(ws, &mut write_back, row, 2, &action_name(r.change.action()), &f.text)?;
        ws.write_string_with_format(row, 3, &state, format)?;
        text(ws, &mut write_back, row, 4, r.call.as_deref().unwrap_or(""), &f.text)?;
        text(ws, &mut write_back, row, 5, r.request.as_deref().unwrap_or(""), &f.text)?;
        ws.write_number_with_format(row, 6, r.attempts as f64, &f.number)?;
        let note = r
            .last_error
            .clone()
            .or_else(|| r.outcome.clone().filter(|o| !matches!(o.as_str(), "changed" | "already_set")))
            .unwrap_or_default();
        text(ws, &mut write_back, row, 7, &note, if r.state == "dead" { &f.fail_text } else { &f.text })?;
    }
    for o in &overwrites {
        let (ws, row) = write_back.next_row(&mut book, &f)?;
        text(ws, &mut write_back, row, 0, &o.key.mall, &f.text)?;
        text(ws, &mut write_back, row, 1, &o.key.order_number, &f.text)?;
        text(ws, &mut write_back, row, 2, &action_name(&o.action), &f.text)?;
        ws.write_string_with_format(row, 3, &say("上書き（S12）", "overwritten (S12)"), &f.fail)?;
        text(ws, &mut write_back, row, 5, &o.juchu_writes, &f.text)?;
        let note = pick(
            format!("モールの画面で「{}」に変えられていたため、juchu の内容で書き戻します", o.mall_showed),
            format!("the mall's screen showed `{}`; juchu writes its own again", o.mall_showed),
        );
        text(ws, &mut write_back, row, 7, &note, &f.text)?;
    }

    write_summary(cx, &mut book, &mut summary, &f, business_date, &tally, orders, &reported, &mail_counts)?;
    // A sheet past 4 GB of XML needs ZIP64, which LibreOffice (7.4) refuses to open: only then.
    let xml_bytes = [&summary, &checks, &holds, &merges, &items, &setup, &errors, &mails, &preview, &write_back]
        .iter()
        .map(|s| s.xml_bytes)
        .sum::<u64>();
    book.use_zip_large_file(xml_bytes > ZIP64_AFTER);
    summary.finish(&mut book)?;
    checks.finish(&mut book)?;
    holds.finish(&mut book)?;
    merges.finish(&mut book)?;
    items.finish(&mut book)?;
    setup.finish(&mut book)?;
    errors.finish(&mut book)?;
    mails.finish(&mut book)?;
    preview.finish(&mut book)?;
    write_back.finish(&mut book)?;

    // A cron poll with no new or changed order keeps the day's workbook as it is, instead of
    // replacing it with an empty one.
    if matches!(scope, Scope::Run(_)) && orders == 0 && !write_back_changed && path.exists() {
        return Ok(Written { orders, items: item_count, errors: error_count, kept: true, beside: None });
    }
    // Staff may have chosen decisions in the workbook there since it was written: a book holding
    // one not yet applied (`juchu apply`) is kept, and the new one is written beside it.
    let mut target = path.to_path_buf();
    let mut beside = None;
    if path.exists() {
        let unapplied = unapplied_decisions(cx, path)?;
        if unapplied > 0 {
            target = run_name(path, cx.run_id);
            beside = Some((target.clone(), unapplied));
        }
    }
    let path = target.as_path();
    // Written beside the real name, then renamed: never half a workbook under it.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let partial = partial_name(path);
    book.save(&partial)?;
    super::crash_point("report_before_rename");
    std::fs::rename(&partial, path)?;
    Ok(Written { orders, items: item_count, errors: error_count, kept: false, beside })
}

#[allow(clippy::too_many_arguments)]
fn write_summary(
    cx: &RunContext<'_>,
    book: &mut Workbook,
    sheet: &mut Sheet,
    f: &Formats,
    business_date: &str,
    tally: &[[u64; 3]; 10],
    orders: u64,
    reported: &[crate::store::report::ReportedRow],
    mail_counts: &[(String, i64)],
) -> anyhow::Result<()> {
    let say = |ja: &str, en: &str| pick(ja, en);
    let mut lines: Vec<Vec<(String, Option<i64>)>> = Vec::new();
    let t = |s: String| (s, None);
    let n = |v: i64| (String::new(), Some(v));
    lines.push(vec![t(say("確認用ブック", "Verification workbook"))]);
    lines.push(vec![t(say("実行", "run")), t(format!("{} ({})", cx.run_id, cx.now.format("%Y-%m-%d %H:%M:%S%:z")))]);
    lines.push(vec![t(say("営業日", "business date")), t(business_date.to_string())]);
    lines.push(vec![t(say("対象の受注（行）", "orders shown (rows)")), n(orders as i64)]);
    lines.push(Vec::new());
    lines.push(vec![
        t(say("モール", "mall")),
        t(say("新規", "new")),
        t(say("変更", "changed")),
        t(say("取得待ち・取り置き", "pending or set aside")),
        t(say("受注連動", "linkage")),
        t(say("キーの期限", "keys expire on")),
    ]);
    // 受注連動 as the linkage history has it (`juchu linkage enable`), not the settings' switch.
    let starts = cx.store.linkage_starts()?;
    for c in cx.store.report_mall_counts(cx.run_id)? {
        let m = cx.settings.malls.get(&c.mall);
        let linkage = match starts.get(&c.mall) {
            Some(at) if *at <= cx.now.naive_local() => {
                pick(format!("ON（{} から）", at.format("%Y-%m-%d %H:%M")), format!("ON (from {})", at.format("%Y-%m-%d %H:%M")))
            }
            Some(at) => pick(
                format!("シャドー（{} 開始予定）", at.format("%Y-%m-%d %H:%M")),
                format!("shadow (starts {})", at.format("%Y-%m-%d %H:%M")),
            ),
            None => say("OFF（シャドー）", "OFF (shadow)"),
        };
        let expires = m.map(|m| key_expiry(m, cx.now)).unwrap_or_default();
        lines.push(vec![t(c.mall.clone()), n(c.new), n(c.changed), n(c.pending), t(linkage), t(expires)]);
    }
    lines.push(Vec::new());
    lines.push(vec![t(say("チェック", "check")), t(say("OK", "pass")), t(say("NG", "fail")), t(say("対象外", "n/a"))]);
    for (k, name) in CHECK_NAMES.iter().enumerate() {
        let [p, fl, na] = tally[k];
        lines.push(vec![t(format!("{}. {}", k + 1, name.current())), n(p as i64), n(fl as i64), n(na as i64)]);
    }
    if !mail_counts.is_empty() {
        lines.push(Vec::new());
        let status = |s: &str| match s {
            "sent" => say("送信済", "sent"),
            "failed" => say("失敗", "failed"),
            _ => say("送信中", "sending"),
        };
        let mut line = vec![t(say("この実行のメール（メールシート）", "mails in this run (see the Mails sheet)"))];
        for (s, n) in mail_counts {
            line.push(t(format!("{} {n}", status(s))));
        }
        lines.push(line);
    }
    let failed: Vec<&crate::store::report::ReportedRow> = reported.iter().filter(|r| r.severity == "error").collect();
    lines.push(Vec::new());
    lines.push(vec![t(pick(
        format!("この実行のエラー: {} 件（エラーシート）", failed.len()),
        format!("errors in this run: {} (see the Errors sheet)", failed.len()),
    ))]);
    for r in failed.iter().take(20) {
        lines.push(vec![t(r.stage_id.clone()), t(r.code.clone()), t(r.message.clone())]);
    }
    for (i, line) in lines.iter().enumerate() {
        let (ws, row) = sheet.next_row(book, f)?;
        for (c, (s, v)) in line.iter().enumerate() {
            match v {
                Some(v) => {
                    ws.write_number_with_format(row, c as u16, *v as f64, &f.number)?;
                }
                None if i == 0 => {
                    ws.write_string_with_format(row, c as u16, s, &f.title)?;
                }
                None => text(ws, sheet, row, c, s, &f.text)?,
            }
        }
    }
    // The summary has no header row: widths from its cells, at least a readable minimum.
    sheet.widths = sheet.widths.iter().map(|w| w.max(12.0)).collect();
    Ok(())
}

/// The write-back action as staff call it.
fn action_name(action: &str) -> String {
    match action {
        "status" => pick("ステータス", "status"),
        "shipping" => pick("発送完了報告", "shipment"),
        other => other.to_string(),
    }
}

/// The 判断 column of 受注チェック; 保留 is beside it, then the ten checks.
const CHECK_DECISION: usize = 7;

/// The 判断 list of a sheet: the choices, what each means when the cell is selected, and a stop
/// for any other text (a typo would only be found by `juchu apply`).
fn decision_validation(kind: SheetKind) -> anyhow::Result<DataValidation> {
    let list = kind.choice_labels();
    let message = match kind {
        SheetKind::Checks => pick(
            "出荷OK: チェックNGのまま出荷してよい\n保留: 出荷を止める\n保留解除: 保留をすべて解く\n選んだら juchu apply このブック でストアに反映します",
            "ship OK: ship although a check failed\nhold: stop the order\nrelease: lift every hold\nthen juchu apply this workbook",
        ),
        SheetKind::Holds => pick(
            "保留解除: この受注の保留をすべて解く\n出荷OK: チェックNGのまま出荷してよい（保留中なら先に保留解除）\n選んだら juchu apply このブック で反映します",
            "release: lift every hold of the order\nship OK: ship although a check failed (release a held order first)\nthen juchu apply this workbook",
        ),
        SheetKind::Merges => pick(
            "同梱OK: このグループを1個口で出荷する\n同梱しない: 別々に出荷する\nグループのどの行で選んでもグループ全体に効きます。juchu apply このブック で反映します",
            "merge: ship the group in one parcel\ndo not merge: ship each order on its own\nany row decides the whole group; then juchu apply this workbook",
        ),
    };
    Ok(DataValidation::new()
        .allow_list_strings(&list)?
        .set_input_title(pick("判断", "Decision"))?
        .set_input_message(message)?
        .set_error_title(pick("一覧にない判断です", "Not one of the decisions"))?
        .set_error_message(pick(format!("一覧から選んでください: {}", list.join("、")), format!("choose one of: {}", list.join(", "))))?)
}

/// A date-time (`YYYY-MM-DD HH:MM:SS`) as an Excel date, or the text as it is.
fn datetime(ws: &mut Worksheet, sheet: &mut Sheet, row: u32, col: usize, value: &str, f: &Formats) -> anyhow::Result<()> {
    match excel_datetime(value) {
        Some(t) => {
            ws.write_number_with_format(row, col as u16, t, &f.datetime)?;
            sheet.note(col, "2026/12/01 10:00");
        }
        None => text(ws, sheet, row, col, value, &f.text)?,
    }
    Ok(())
}

/// How many decision cells of the workbook at `path` are not recorded in `workbook_decisions`
/// for its bytes. A file that is no verification workbook (or an older one without 判断) holds none.
fn unapplied_decisions(cx: &RunContext<'_>, path: &Path) -> anyhow::Result<usize> {
    let book = match decisions::read(path) {
        Ok(b) => b,
        Err(e) => {
            log::info!("{}: no decisions read ({e}); replaced", path.display());
            return Ok(0);
        }
    };
    if book.cells.is_empty() {
        return Ok(0);
    }
    let recorded: std::collections::HashSet<String> =
        shipping::recorded_decisions(&cx.store.conn, &book.file_hash)?.into_iter().map(|(cell, _, _)| cell).collect();
    Ok(book.cells.iter().filter(|c| !recorded.contains(&c.sheet_cell())).count())
}

/// `verification-2026-12-02.xlsx` → `verification-2026-12-02.run42.xlsx`.
fn run_name(path: &Path, run_id: i64) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    path.with_file_name(format!("{stem}.run{run_id}{ext}"))
}

/// `verification-2026-12-01.xlsx` → `verification-2026-12-01.xlsx.partial` (never opened by Excel by mistake).
fn partial_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}

/// The summary's キーの期限 cell (S16): the date, and how it stands as every run warns (C024) and
/// fails the mall (F008): `2027-02-20（あと10日）`, `2026-10-31（期限切れ: 取得しません）`.
fn key_expiry(m: &crate::config::settings::MallSettings, now: chrono::DateTime<chrono::FixedOffset>) -> String {
    let Some(at) = &m.credentials_expire_on else { return String::new() };
    let Ok(date) = chrono::NaiveDate::parse_from_str(&at.value, "%Y-%m-%d") else { return at.value.clone() };
    let days = (date - now.with_timezone(&crate::domain::time::jst()).date_naive()).num_days();
    if days < 0 {
        pick(format!("{date}（期限切れ: 取得しません）"), format!("{date} (expired: not fetched)"))
    } else if days <= i64::from(m.credentials_warn_days.unwrap_or(14)) {
        pick(format!("{date}（あと{days}日）"), format!("{date} (in {days} days)"))
    } else {
        date.to_string()
    }
}
