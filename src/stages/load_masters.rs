//! Stage `load_masters` (S2, S3, S5, S6, S7): the masters workbook staff edit (or one CSV per sheet)
//! into the store, replacing the previous masters in one transaction.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Weekday};
use serde::Deserialize;

use super::validate_masters::{self, ValidateMastersConfig};
use super::{CheckContext, Preview, RejectedCells, Resource, RunContext, Stage, StageEnv, StageError, StageOutcome};
use crate::config::diagnostic::{cell_name, display_path, Diagnostic, Place};
use crate::config::yaml::{did_you_mean_hint, Spanned};
use crate::domain::lang::pick;
use crate::domain::mall::MallKind;
use crate::domain::masters::*;
use crate::domain::prefecture::Prefecture;
use crate::domain::text::{header_key, parse_yen, to_half_width};
use crate::io::csv_table::{field_column, CsvTable};
use crate::io::xlsx::Workbook;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadMastersConfig {
    /// The masters workbook (one sheet per master, Japanese sheet names).
    #[serde(default)]
    pub workbook: Option<Spanned<String>>,
    /// Or a folder with one CSV per master, named after the sheet (`受注ステータス.csv`, …).
    #[serde(default)]
    pub csv_dir: Option<Spanned<String>>,
}

/// Each master sheet and its header row, in workbook order.
pub const SHEETS: &[(&str, &[&str])] = &[
    (sheet::ORDER_STATUSES, &["モール", "ステータスコード", "ステータス名", "社内ステータス"]),
    (sheet::PAYMENT_METHODS, &["モール", "モール決済方法名", "社内決済方法"]),
    (sheet::PREFECTURES, &["JISコード", "都道府県名", "地域"]),
    (sheet::CARRIERS, &["配送会社", "楽天配送会社コード", "クール便"]),
    (sheet::TIME_SLOTS, &["配送会社", "時間帯", "時間帯コード", "開始時刻", "終了時刻"]),
    (sheet::LOGISTICS_COMPANIES, &["物流会社", "出荷元地域", "出荷元都道府県"]),
    (sheet::DELIVERY_CONDITIONS, &["商品番号", "物流会社", "配送会社", "準備日数", "配送可能時間帯", "温度帯"]),
    (sheet::DELIVERY_METHODS, &["モール", "配送方法", "配送会社", "配送サービス", "温度帯", "時間帯指定"]),
    (sheet::CARRIER_CODES, &["モール", "配送会社", "配送会社コード"]),
    (sheet::TRANSIT_DAYS, &["出荷元地域", "都道府県", "配送日数"]),
    (sheet::OPTION_ADDONS, &["商品番号", "項目名", "選択肢", "加算額"]),
    (sheet::CUSTOMER_RANKS, &["ランク", "累計購入金額", "購入回数", "優先順位"]),
    (sheet::SHOP_HOLIDAYS, &["日付", "理由"]),
    (sheet::CLOSED_WEEKDAYS, &["曜日"]),
];

/// Sheets a workbook (or CSV folder) may leave out: without one, that master has no rows.
pub const OPTIONAL_SHEETS: &[&str] = &[sheet::DELIVERY_METHODS, sheet::CARRIER_CODES];

fn optional(sheet: &str) -> bool {
    OPTIONAL_SHEETS.contains(&sheet)
}

/// One sheet's rows, from a workbook or a CSV, with positions for diagnostics.
struct SheetRows {
    /// Workbook or CSV path.
    file: PathBuf,
    sheet: String,
    is_csv: bool,
    /// The header row, each header that differs from the sheet's own only in width or spaces
    /// written as the sheet's (so `ＪＩＳコード` is the column JISコード).
    headers: Vec<String>,
    /// The header row as written, for messages.
    found: Vec<String>,
    /// Zero-based (row, col) of the header's first cell.
    origin: (usize, usize),
    /// Data rows: zero-based row index and cells.
    rows: Vec<(usize, Vec<String>)>,
    /// A CSV's lines as written, by zero-based row, for snippets.
    lines: HashMap<usize, String>,
    /// Cells an error was reported at: (1-based row, header). `check` keeps validate_masters from
    /// reporting them a second time.
    rejected: RefCell<Vec<(usize, String)>>,
}

impl SheetRows {
    fn new(file: PathBuf, sheet: &str, is_csv: bool, found: Vec<String>, origin: (usize, usize)) -> SheetRows {
        let expected = SHEETS.iter().find(|(n, _)| *n == sheet).map(|(_, h)| *h).unwrap_or(&[]);
        let headers = found
            .iter()
            .map(|h| expected.iter().find(|e| header_key(e) == header_key(h)).map_or_else(|| h.clone(), |e| e.to_string()))
            .collect();
        SheetRows {
            file,
            sheet: sheet.to_string(),
            is_csv,
            headers,
            found,
            origin,
            rows: Vec::new(),
            lines: HashMap::new(),
            rejected: RefCell::new(Vec::new()),
        }
    }

    fn col(&self, name: &str) -> usize {
        self.headers.iter().position(|h| h == name).expect("header checked")
    }

    fn place(&self, row0: usize, header: &str) -> (Place, String) {
        let col = self.col(header);
        let text = self.rows.iter().find(|(r, _)| *r == row0).and_then(|(_, c)| c.get(col)).cloned().unwrap_or_default();
        let place = if self.is_csv {
            let line = self.lines.get(&row0).cloned();
            let column = line.as_deref().map(|l| field_column(l, col));
            Place::Line { path: self.file.clone(), line: row0 + 1, column, text: line }
        } else {
            Place::Cell {
                book: self.file.clone(),
                sheet: self.sheet.clone(),
                cell: cell_name(row0, self.origin.1 + col),
                text: Some(text.clone()),
            }
        };
        (place, text)
    }

    fn error(&self, code: &'static str, row0: usize, header: &str, message: String, help: &str) -> Diagnostic {
        let (place, _) = self.place(row0, header);
        self.rejected.borrow_mut().push((row0 + 1, header.to_string()));
        Diagnostic::error(code, message).at(place).help(help.to_string())
    }

    fn origin_of(&self, row0: usize) -> Origin {
        Origin { file: display_path(&self.file), sheet: self.sheet.clone(), row: row0 + 1 }
    }
}

impl LoadMastersConfig {
    fn source(&self, env: &StageEnv<'_>) -> Result<Source, Diagnostic> {
        match (&self.workbook, &self.csv_dir) {
            (Some(w), None) => Ok(Source::Workbook(super::require_file(env, w, &pick("マスタのブック", "masters workbook"))?)),
            (None, Some(d)) => {
                let p = env.resolve(&d.value);
                if p.is_dir() {
                    Ok(Source::CsvDir(p))
                } else {
                    Err(Diagnostic::error(
                        "C040",
                        pick(format!("マスタのフォルダ `{}` が見つかりません", d.value), format!("masters folder `{}` not found", d.value)),
                    )
                    .at(env.file.place_at(&d.referenced))
                    .help(pick("パスはパイプラインファイルの場所から数えます", "paths in a pipeline are relative to the pipeline file")))
                }
            }
            _ => Err(Diagnostic::error(
                "C046",
                pick(
                    "load_masters には `workbook:` か `csv_dir:` のどちらか一つだけを書きます",
                    "load_masters needs exactly one of `workbook:` or `csv_dir:`",
                ),
            )
            .in_file(&env.file.path)
            .help(pick(
                "例: with: { workbook: ../sample-data/masters/masters.xlsx }",
                "e.g. `with: { workbook: ../sample-data/masters/masters.xlsx }`",
            ))),
        }
    }

    /// Reads every sheet and checks every cell; all problems are returned together.
    pub fn parse(&self, env: &StageEnv<'_>) -> Result<Masters, Vec<Diagnostic>> {
        match self.read_all(env) {
            Ok((m, errors, _)) if errors.is_empty() => Ok(m),
            Ok((_, errors, _)) | Err(errors) => Err(errors),
        }
    }

    fn read_all(&self, env: &StageEnv<'_>) -> Result<(Masters, Vec<Diagnostic>, RejectedCells), Vec<Diagnostic>> {
        let source = self.source(env).map_err(|d| vec![d])?;
        let mut errors = Vec::new();
        let mut sheets = Vec::new();
        match &source {
            Source::Workbook(path) => {
                let mut book = Workbook::open(path).map_err(|d| vec![d])?;
                for (name, headers) in SHEETS {
                    if optional(name) && !book.has_sheet(name) {
                        continue;
                    }
                    match book.sheet(name) {
                        Ok(s) => {
                            let mut rows = s.rows.into_iter().enumerate().map(|(i, r)| (s.row0 + i, r));
                            let Some((hrow, header)) = rows.next() else {
                                // An optional sheet left empty is the same as no sheet.
                                if !optional(name) {
                                    errors.push(empty_sheet(path, name, headers));
                                }
                                continue;
                            };
                            let found = header.iter().map(|h| h.trim().to_string()).collect();
                            let mut sr = SheetRows::new(path.clone(), name, false, found, (hrow, s.col0));
                            sr.rows = rows.filter(|(_, r)| r.iter().any(|c| !c.is_empty())).collect();
                            sheets.push(sr);
                        }
                        Err(d) => errors.push(d),
                    }
                }
            }
            Source::CsvDir(dir) => {
                for (name, _) in SHEETS {
                    let path = dir.join(format!("{name}.csv"));
                    if optional(name) && !path.exists() {
                        continue;
                    }
                    match CsvTable::read(&path, None) {
                        Ok(t) => {
                            let mut sr = SheetRows::new(path, name, true, t.headers.clone(), (0, 0));
                            for rec in t.records(&t.whole()) {
                                match rec.and_then(|r| Ok((r.line - 1, t.strings(&r)?))) {
                                    Ok(row) => {
                                        sr.lines.insert(row.0, t.line_text(row.0 + 1));
                                        sr.rows.push(row);
                                    }
                                    Err(d) => errors.push(d),
                                }
                            }
                            sheets.push(sr);
                        }
                        Err(d) => errors.push(d),
                    }
                }
            }
        }
        let mut m = Masters::default();
        let mut rejected = RejectedCells::new();
        for s in &sheets {
            let expected = SHEETS.iter().find(|(n, _)| *n == s.sheet).map(|(_, h)| *h).unwrap_or(&[]);
            let missing: Vec<&str> = expected.iter().copied().filter(|h| !s.headers.iter().any(|x| x == h)).collect();
            if !missing.is_empty() {
                let place = if s.is_csv {
                    Place::Line { path: s.file.clone(), line: 1, column: None, text: Some(s.found.join(",")) }
                } else {
                    Place::Cell {
                        book: s.file.clone(),
                        sheet: s.sheet.clone(),
                        cell: cell_name(s.origin.0, s.origin.1),
                        text: Some(s.found.join(" | ")),
                    }
                };
                errors.push(
                    Diagnostic::error(
                        "D006",
                        pick(
                            format!("シート「{}」に次の列がありません: {}", s.sheet, missing.join(", ")),
                            format!("sheet {} lacks the column(s) {}", s.sheet, missing.join(", ")),
                        ),
                    )
                    .at(place)
                    .label(pick(format!("見つかった列: {}", s.found.join(", ")), format!("columns found: {}", s.found.join(", "))))
                    .help(pick(
                        format!("見出し行は次のとおりにしてください: {}", expected.join(" | ")),
                        format!("the header row must be: {}", expected.join(" | ")),
                    )),
                );
                continue;
            }
            // Columns left of the table count, so validate_masters' findings name the same cells.
            let headers = std::iter::repeat_n(String::new(), s.origin.1).chain(s.headers.iter().cloned()).collect();
            m.sheets.insert(s.sheet.clone(), SheetSource { file: display_path(&s.file), headers });
            read_sheet(s, &mut m, &mut errors);
            rejected.extend(s.rejected.take().into_iter().map(|(row, header)| (s.sheet.clone(), row, header)));
        }
        Ok((m, errors, rejected))
    }
}

impl Stage for LoadMastersConfig {
    fn provides(&self) -> &'static [Resource] {
        &[Resource::Masters]
    }

    /// The masters as far as they could be read go on to validate_masters, with the cells found bad
    /// here, so a bad cell does not hide its findings and is not reported twice.
    fn check(&self, cx: &mut CheckContext<'_>) -> Vec<Diagnostic> {
        match self.read_all(&cx.env) {
            Ok((m, errors, rejected)) => {
                cx.masters = Some(m);
                cx.rejected_master_cells = rejected;
                errors
            }
            Err(errors) => {
                cx.masters = None;
                errors
            }
        }
    }

    fn run(&self, cx: &RunContext<'_>) -> Result<StageOutcome, StageError> {
        let masters = self.parse(&cx.env)?;
        // A workbook validate_masters rejects never replaces the masters in force, and so is never
        // "unchanged since the last load" either: the checks run before anything is written.
        let deny_warnings = cx.env.later_stages::<ValidateMastersConfig>("validate_masters").iter().any(|v| v.deny_warnings);
        let (products, options) = if deny_warnings { cx.store.master_products()? } else { Default::default() };
        let findings = validate_masters::findings(&masters, cx.settings, &products, &options, deny_warnings);
        if findings.iter().any(Diagnostic::is_error) {
            return Err(StageError::Input(findings));
        }
        let rows = count_rows(&masters) as u64;
        let fingerprint = crate::store::masters::fingerprint(&masters);
        let previous = cx.store.meta("masters_fingerprint")?;
        if previous.as_deref() == Some(fingerprint.as_str()) {
            return Ok(StageOutcome {
                rows_in: rows,
                rows_unchanged: rows,
                message: crate::domain::checks::say!(
                    crate::domain::lang::current(),
                    "マスタ{rows}行、前回から変更なし",
                    "{rows} master rows, unchanged since the last load"
                ),
                ..Default::default()
            });
        }
        cx.store.write_masters(&masters, &fingerprint)?;
        Ok(StageOutcome {
            rows_in: rows,
            rows_out: rows,
            rows_changed: rows,
            message: crate::domain::checks::say!(
                crate::domain::lang::current(),
                "マスタ{rows}行を{}シートから読み込みました",
                "{rows} master rows loaded from {} sheets",
                masters.sheets.len()
            ),
            ..Default::default()
        })
    }

    fn preview(&self, cx: &RunContext<'_>, limit: usize) -> Result<Preview, StageError> {
        let m = self.parse(&cx.env)?;
        let rows: Vec<Vec<String>> = m
            .delivery_conditions
            .iter()
            .take(limit)
            .map(|d| {
                vec![
                    d.product_code.clone(),
                    d.logistics_company.clone(),
                    d.carrier.clone(),
                    d.preparation_days.to_string(),
                    d.time_slots.join(","),
                    d.temperature.clone(),
                ]
            })
            .collect();
        Ok(Preview {
            table: "m_delivery_conditions".into(),
            columns: ["product_code", "logistics_company", "carrier", "preparation_days", "time_slots", "temperature"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows,
            total: m.delivery_conditions.len(),
        })
    }
}

enum Source {
    Workbook(PathBuf),
    CsvDir(PathBuf),
}

fn empty_sheet(path: &Path, name: &str, headers: &[&str]) -> Diagnostic {
    Diagnostic::error("D006", pick(format!("シート「{name}」が空です"), format!("sheet {name} is empty")))
        .at(Place::Cell { book: path.to_path_buf(), sheet: name.to_string(), cell: "A1".into(), text: None })
        .help(pick(
            format!("1行目は見出しにしてください: {}", headers.join(" | ")),
            format!("the first row must be the header: {}", headers.join(" | ")),
        ))
}

/// Reads one sheet's rows into the masters, checking each cell.
fn read_sheet(s: &SheetRows, m: &mut Masters, errors: &mut Vec<Diagnostic>) {
    let mut keys: HashMap<Vec<String>, usize> = HashMap::new();
    let key_cols: &[&str] = match s.sheet.as_str() {
        sheet::ORDER_STATUSES => &["モール", "ステータスコード"],
        sheet::PAYMENT_METHODS => &["モール", "モール決済方法名"],
        sheet::PREFECTURES => &["都道府県名"],
        sheet::CARRIERS => &["配送会社"],
        sheet::TIME_SLOTS => &["配送会社", "時間帯コード"],
        sheet::LOGISTICS_COMPANIES => &["物流会社"],
        sheet::DELIVERY_CONDITIONS => &["商品番号"],
        sheet::DELIVERY_METHODS => &["モール", "配送方法"],
        sheet::CARRIER_CODES => &["モール", "配送会社"],
        sheet::TRANSIT_DAYS => &["出荷元地域", "都道府県"],
        sheet::OPTION_ADDONS => &["商品番号", "項目名", "選択肢"],
        sheet::CUSTOMER_RANKS => &["ランク"],
        sheet::SHOP_HOLIDAYS => &["日付"],
        _ => &["曜日"],
    };
    for (row0, cells) in &s.rows {
        let row0 = *row0;
        let get = |h: &str| cells.get(s.col(h)).map(|v| v.trim().to_string()).unwrap_or_default();
        let mut ok = true;
        let mut required = |h: &str, errors: &mut Vec<Diagnostic>| -> String {
            let v = get(h);
            if v.is_empty() {
                ok = false;
                errors.push(empty_cell(s, row0, h));
            }
            v
        };
        let key: Vec<String> = key_cols.iter().map(|h| get(h)).collect();
        let origin = s.origin_of(row0);
        match s.sheet.as_str() {
            sheet::ORDER_STATUSES => {
                let mall = required("モール", errors);
                let code = required("ステータスコード", errors);
                let name = required("ステータス名", errors);
                let internal = required("社内ステータス", errors);
                m.order_statuses.push(OrderStatus { mall, code, name, internal_status: internal, origin });
            }
            sheet::PAYMENT_METHODS => {
                let mall = required("モール", errors);
                let mall_name = required("モール決済方法名", errors);
                m.payment_methods.push(PaymentMethod { mall, mall_name, internal: get("社内決済方法"), origin });
            }
            sheet::PREFECTURES => {
                let jis = to_half_width(&required("JISコード", errors));
                let jis = if jis.len() == 1 { format!("0{jis}") } else { jis };
                let name = required("都道府県名", errors);
                m.prefectures.push(PrefectureRow { jis_code: jis, name, region: get("地域"), origin });
            }
            sheet::CARRIERS => {
                let name = required("配送会社", errors);
                let cool = match parse_bool(&get("クール便")) {
                    Some(b) => b,
                    None => {
                        errors.push(s.error(
                            "D026",
                            row0,
                            "クール便",
                            pick(
                                format!("`{}` は「対応」でも「非対応」でもありません", get("クール便")),
                                format!("`{}` is not 対応 or 非対応", get("クール便")),
                            ),
                            &pick("「対応」か「非対応」と書いてください", "write 対応 or 非対応"),
                        ));
                        false
                    }
                };
                let code = get("楽天配送会社コード");
                m.carriers.push(Carrier { name, rakuten_code: (!code.is_empty()).then_some(code), cool, origin });
            }
            sheet::CARRIER_CODES => {
                let mall = required("モール", errors);
                let carrier = required("配送会社", errors);
                let code = to_half_width(&required("配送会社コード", errors));
                m.carrier_codes.push(CarrierCode { mall, carrier, code, origin });
            }
            sheet::TIME_SLOTS => {
                let carrier = required("配送会社", errors);
                let label = required("時間帯", errors);
                let code = required("時間帯コード", errors);
                let start_hour = optional_int(s, row0, "開始時刻", &get("開始時刻"), errors);
                let end_hour = optional_int(s, row0, "終了時刻", &get("終了時刻"), errors);
                m.time_slots.push(TimeSlot { carrier, label, code, start_hour, end_hour, origin });
            }
            sheet::LOGISTICS_COMPANIES => {
                let name = required("物流会社", errors);
                let pref = get("出荷元都道府県");
                check_prefecture(s, row0, "出荷元都道府県", &pref, errors);
                m.logistics_companies
                    .push(LogisticsCompany { name, origin_region: get("出荷元地域"), origin_prefecture: pref, origin });
            }
            sheet::DELIVERY_CONDITIONS => {
                let product_code = required("商品番号", errors);
                let days = optional_int(s, row0, "準備日数", &get("準備日数"), errors).unwrap_or(0);
                let slots = to_half_width(&get("配送可能時間帯"))
                    .split([',', '、', ' '])
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect();
                let temperature = temperature(s, row0, &get("温度帯"), errors);
                m.delivery_conditions.push(DeliveryCondition {
                    product_code,
                    logistics_company: get("物流会社"),
                    carrier: get("配送会社"),
                    preparation_days: days,
                    time_slots: slots,
                    temperature,
                    origin,
                });
            }
            sheet::DELIVERY_METHODS => {
                let mall = required("モール", errors);
                if !mall.is_empty() && MallKind::parse(&mall).is_none() {
                    let names = MallKind::names();
                    let hint = did_you_mean_hint(&mall, &names);
                    errors.push(s.error(
                        "D026",
                        row0,
                        "モール",
                        pick(format!("モール `{mall}` はモールの種類ではありません"), format!("モール `{mall}` is not a mall kind")),
                        &pick(
                            format!("{hint}{} のどれかを書いてください", names.join(", ")),
                            format!("{hint}write one of {}", names.join(", ")),
                        ),
                    ));
                }
                let method = required("配送方法", errors);
                // Empty: the method says nothing of the temperature (a 宅配便 that carries cool
                // parcels too); only a stated 温度帯 is held against the items'.
                let raw_temperature = get("温度帯");
                let temperature = if raw_temperature.is_empty() { String::new() } else { temperature(s, row0, &raw_temperature, errors) };
                let raw = required("時間帯指定", errors);
                let time_slots = match parse_bool(&raw) {
                    Some(b) => b,
                    None => {
                        errors.push(s.error(
                            "D026",
                            row0,
                            "時間帯指定",
                            pick(format!("時間帯指定 `{raw}` は「可」でも「不可」でもありません"), format!("時間帯指定 `{raw}` is not 可 or 不可")),
                            &pick(
                                "「可」（お届け時間帯を指定できる配送サービス）か「不可」（メール便のように指定できないもの）と書いてください。○/×、true/false、1/0 も読めます",
                                "write 可 (the service takes a delivery time slot) or 不可 (it does not, like mail-bin services); ○/×, true/false and 1/0 are read too",
                            ),
                        ));
                        false
                    }
                };
                m.delivery_methods.push(DeliveryMethod {
                    mall,
                    method,
                    carrier: get("配送会社"),
                    service: get("配送サービス"),
                    temperature,
                    time_slots,
                    origin,
                });
            }
            sheet::TRANSIT_DAYS => {
                let region = required("出荷元地域", errors);
                let pref = required("都道府県", errors);
                check_prefecture(s, row0, "都道府県", &pref, errors);
                let days = required_int(s, row0, "配送日数", &get("配送日数"), errors);
                m.transit_days.push(TransitDays { origin_region: region, prefecture: pref, days, origin });
            }
            sheet::OPTION_ADDONS => {
                let product_code = required("商品番号", errors);
                let item_name = required("項目名", errors);
                let choice = required("選択肢", errors);
                let amount = required_int(s, row0, "加算額", &get("加算額"), errors);
                m.option_addons.push(OptionAddon { product_code, item_name, choice, amount, origin });
            }
            sheet::CUSTOMER_RANKS => {
                let rank = required("ランク", errors);
                let min_total = optional_int(s, row0, "累計購入金額", &get("累計購入金額"), errors).unwrap_or(0);
                let min_count = optional_int(s, row0, "購入回数", &get("購入回数"), errors).unwrap_or(0);
                let priority = optional_int(s, row0, "優先順位", &get("優先順位"), errors).unwrap_or(0);
                m.customer_ranks.push(CustomerRank { rank, min_total, min_count, priority, origin });
            }
            sheet::SHOP_HOLIDAYS => {
                let raw = required("日付", errors);
                let date = parse_date(&raw);
                if date.is_none() && !raw.is_empty() {
                    errors.push(s.error(
                        "D025",
                        row0,
                        "日付",
                        pick(format!("`{raw}` は日付として読めません"), format!("`{raw}` is not a date")),
                        &pick("2026-12-31 のように書いてください", "write the date as YYYY-MM-DD, e.g. 2026-12-31"),
                    ));
                }
                if let Some(date) = date {
                    m.shop_holidays.push(ShopHoliday { date, reason: get("理由"), origin });
                }
            }
            _ => {
                let raw = required("曜日", errors);
                match parse_weekday(&raw) {
                    Some(w) => m.closed_weekdays.push(ClosedWeekday { weekday: w, origin }),
                    None if raw.is_empty() => {}
                    None => errors.push(s.error(
                        "D026",
                        row0,
                        "曜日",
                        pick(format!("`{raw}` は曜日ではありません"), format!("`{raw}` is not a day of the week")),
                        &pick("月、火、水、木、金、土、日のどれかを書いてください", "write 月, 火, 水, 木, 金, 土 or 日"),
                    )),
                }
            }
        }
        if ok {
            if let Some(first) = keys.insert(key.clone(), row0) {
                errors.push(s.error(
                    "D028",
                    row0,
                    key_cols[key_cols.len() - 1],
                    pick(
                        format!(
                            "「{}」が `{}` の行が2回あります（{}行目と{}行目）",
                            key_cols.join("+"),
                            key.join(" / "),
                            first + 1,
                            row0 + 1
                        ),
                        format!("{} `{}` is listed twice (rows {} and {})", key_cols.join("+"), key.join(" / "), first + 1, row0 + 1),
                    ),
                    &pick("どちらかの行を消すかまとめてください", "keep one row per key; delete or merge the other"),
                ));
            }
        }
    }
}

/// 温度帯: 常温 when empty, else 常温, 冷蔵 or 冷凍.
fn temperature(s: &SheetRows, row0: usize, raw: &str, errors: &mut Vec<Diagnostic>) -> String {
    match raw {
        "" => "常温".to_string(),
        "常温" | "冷蔵" | "冷凍" => raw.to_string(),
        other => {
            errors.push(s.error(
                "D026",
                row0,
                "温度帯",
                pick(
                    format!("温度帯 `{other}` は「常温」「冷蔵」「冷凍」のどれでもありません"),
                    format!("温度帯 `{other}` is not 常温, 冷蔵 or 冷凍"),
                ),
                &pick("「常温」「冷蔵」「冷凍」のどれかを書いてください", "write 常温, 冷蔵 or 冷凍"),
            ));
            other.to_string()
        }
    }
}

fn check_prefecture(s: &SheetRows, row0: usize, header: &str, value: &str, errors: &mut Vec<Diagnostic>) {
    if value.is_empty() || Prefecture::from_name(value).is_some() {
        return;
    }
    let help = match Prefecture::suggest(value) {
        Some(p) => pick(
            format!("`{}` のことですか？ 都・道・府・県まで正式に書いてください", p.name()),
            format!("did you mean `{}`? write the full name with its suffix (都/道/府/県)", p.name()),
        ),
        None => pick(
            "東京都、北海道、大阪府、沖縄県のように、47都道府県のどれかを都・道・府・県まで書いてください",
            "write one of the 47 prefectures with its suffix, e.g. 東京都, 北海道, 大阪府, 沖縄県",
        ),
    };
    errors.push(s.error(
        "D023",
        row0,
        header,
        pick(format!("`{value}` という都道府県はありません"), format!("unknown prefecture `{value}`")),
        &help,
    ));
}

fn optional_int(s: &SheetRows, row0: usize, header: &str, raw: &str, errors: &mut Vec<Diagnostic>) -> Option<i64> {
    if raw.trim().is_empty() {
        return None;
    }
    let v = parse_yen(raw);
    if v.is_none() {
        errors.push(s.error(
            "D024",
            row0,
            header,
            pick(format!("「{header}」の `{raw}` は整数ではありません"), format!("{header} `{raw}` is not a whole number")),
            &pick("3 や 1980 のような整数で書いてください", "write an integer such as 3 or 1980"),
        ));
    }
    v
}

fn required_int(s: &SheetRows, row0: usize, header: &str, raw: &str, errors: &mut Vec<Diagnostic>) -> i64 {
    if raw.trim().is_empty() {
        errors.push(empty_cell(s, row0, header));
        return 0;
    }
    optional_int(s, row0, header, raw, errors).unwrap_or(0)
}

/// D027: a required cell left empty.
fn empty_cell(s: &SheetRows, row0: usize, header: &str) -> Diagnostic {
    s.error(
        "D027",
        row0,
        header,
        pick(format!("「{header}」が空です"), format!("{header} is empty")),
        &pick("セルを埋めるか、その行を消してください", "fill this cell, or delete the row"),
    )
}

fn parse_bool(raw: &str) -> Option<bool> {
    match to_half_width(raw).trim().to_lowercase().as_str() {
        "対応" | "可" | "○" | "〇" | "◯" | "true" | "1" | "yes" => Some(true),
        "非対応" | "不可" | "×" | "✕" | "false" | "0" | "no" | "" => Some(false),
        _ => None,
    }
}

pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let t = to_half_width(raw);
    let t = t.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M"].iter().find_map(|f| NaiveDate::parse_from_str(t, f).ok())
}

fn parse_weekday(raw: &str) -> Option<Weekday> {
    let t = raw.trim().trim_end_matches("曜日").trim_end_matches('曜');
    Some(match t {
        "月" | "Mon" | "mon" => Weekday::Mon,
        "火" | "Tue" | "tue" => Weekday::Tue,
        "水" | "Wed" | "wed" => Weekday::Wed,
        "木" | "Thu" | "thu" => Weekday::Thu,
        "金" | "Fri" | "fri" => Weekday::Fri,
        "土" | "Sat" | "sat" => Weekday::Sat,
        "日" | "Sun" | "sun" => Weekday::Sun,
        _ => return None,
    })
}

fn count_rows(m: &Masters) -> usize {
    m.order_statuses.len()
        + m.payment_methods.len()
        + m.prefectures.len()
        + m.carriers.len()
        + m.time_slots.len()
        + m.logistics_companies.len()
        + m.delivery_conditions.len()
        + m.transit_days.len()
        + m.option_addons.len()
        + m.customer_ranks.len()
        + m.shop_holidays.len()
        + m.closed_weekdays.len()
        + m.delivery_methods.len()
}
