//! The carriers' slip-file formats (送り状データ), and only here, as `malls` holds the malls' wire
//! formats: pure writers from [`Slip`]s to the bytes B2クラウド, e飛伝, ゆうプリR and クリックポスト
//! import. No I/O and no store.
//!
//! Rules common to every writer:
//! - CP932, no BOM, CRLF after every line (the last too); a field is quoted when it holds a comma or
//!   a quote (quotes doubled). A CR/LF inside a value is a problem, never written.
//! - Text goes through [`slip_text::REPLACEMENTS`] first; a character that still cannot be written
//!   is a problem naming the column. Nothing is ever written as `?`.
//! - A slip with any problem is left out of the file and listed in [`SlipFiles::problems`]; the
//!   other slips go on. Names and addresses are never cut: too long is a problem.
//! - 品名 is shortened by design: the first item name, plus `他N点` when the slip has several, cut
//!   at a character boundary to the column width.
//! - Phones and postal codes are normalised to half-width; postal codes are written `123-4567`.
//! - When no slip can be written there is no file (not a header-only one).

pub mod b2;
pub mod clickpost;
pub mod ehiden;
pub mod slip_text;
pub mod tracking;
pub mod yupri;

use chrono::NaiveDate;

use crate::domain::checks::say;
use crate::domain::lang::Lang;
use crate::domain::text::to_half_width;

/// The carrier file to write (送り状の出力形式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlipFormat {
    /// ヤマト B2クラウド (外部データ取込 基本レイアウト).
    B2,
    /// 佐川 e飛伝 (標準_飛脚宅配便_CSV_ヘッダ有).
    Ehiden,
    /// 日本郵便 ゆうプリR (ゆうパックプリントR).
    YuPrint,
    /// 日本郵便 クリックポスト (一括申込).
    ClickPost,
}

impl SlipFormat {
    pub const ALL: [SlipFormat; 4] = [SlipFormat::B2, SlipFormat::Ehiden, SlipFormat::YuPrint, SlipFormat::ClickPost];

    /// The name in settings and file names.
    pub fn name(self) -> &'static str {
        match self {
            SlipFormat::B2 => "b2",
            SlipFormat::Ehiden => "ehiden",
            SlipFormat::YuPrint => "yupri",
            SlipFormat::ClickPost => "clickpost",
        }
    }

    /// What staff call it.
    pub fn label(self) -> &'static str {
        match self {
            SlipFormat::B2 => "ヤマト B2クラウド",
            SlipFormat::Ehiden => "佐川 e飛伝",
            SlipFormat::YuPrint => "日本郵便 ゆうプリR",
            SlipFormat::ClickPost => "クリックポスト",
        }
    }

    /// The short name in messages.
    fn short(self) -> &'static str {
        match self {
            SlipFormat::B2 => "B2クラウド",
            SlipFormat::Ehiden => "e飛伝",
            SlipFormat::YuPrint => "ゆうプリR",
            SlipFormat::ClickPost => "クリックポスト",
        }
    }

    pub fn parse(s: &str) -> Option<SlipFormat> {
        SlipFormat::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(s.trim()))
    }
}

/// One slip (送り状): one parcel to one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slip {
    /// お客様管理番号 / お客様側管理番号: juchu's slip key, e.g. `J2612020001` (≤ 12 ASCII); the
    /// tracking import matches on it.
    pub key: String,
    /// The mall order numbers on this slip (受注番号; several when merged, 同梱), for messages.
    pub orders: Vec<String>,
    /// 出荷予定日.
    pub ship_date: NaiveDate,
    /// お届け希望日.
    pub desired_date: Option<NaiveDate>,
    /// お届け時間帯.
    pub time_slot: Option<TimeSlot>,
    /// 配送サービス as the masters name it: 宅急便, ネコポス, 宅急便コンパクト, クール宅急便,
    /// 飛脚宅配便, ゆうパック, ゆうパケット, クリックポスト… ("" = the carrier's standard parcel).
    pub service: String,
    /// 温度帯: 常温 / 冷蔵 / 冷凍 ("" = 常温).
    pub temperature: String,
    /// 代金引換 (コレクト).
    pub cod: Option<Cod>,
    /// お届け先.
    pub to: Address,
    /// ご依頼主 (the shop's sender).
    pub from: Address,
    /// 品名: the product names, first first.
    pub item_names: Vec<String>,
    /// 記事 / 配達メモ (may be empty).
    pub note: String,
}

/// お届け時間帯 as the shop's 配送時間帯 master has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeSlot {
    /// 表示名, e.g. 午前中.
    pub label: String,
    /// The master's code (配送時間帯コード); ゆうプリR's 配達時間帯区分 is taken from it.
    pub code: String,
    /// 開始時 (8 for 午前中).
    pub start_hour: u8,
    /// 終了時 (12 for 午前中).
    pub end_hour: u8,
}

/// 代金引換: the amount to collect incl. tax (代引金額) and the tax within it (内消費税).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cod {
    pub amount: i64,
    pub tax: i64,
}

/// お届け先 or ご依頼主.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// 氏名 / 名称.
    pub name: String,
    /// フリガナ.
    pub name_kana: String,
    /// 郵便番号 (any form: `1234567`, `123-4567`, full-width).
    pub postal_code: String,
    /// 都道府県.
    pub prefecture: String,
    /// 住所 after the prefecture (市区町村・番地・建物名).
    pub address: String,
    /// 電話番号.
    pub phone: String,
    /// メールアドレス (not written: no carrier mail service is used).
    pub email: String,
}

impl Address {
    /// 都道府県 + 住所, as the carriers' single address fields want it.
    pub fn full_address(&self) -> String {
        let rest = self.address.trim();
        let pref = self.prefecture.trim();
        if rest.starts_with(pref) {
            rest.to_string()
        } else {
            format!("{pref}{rest}")
        }
    }
}

/// The carrier contract values the files need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlipSettings {
    pub b2: B2Settings,
    pub ehiden: EhidenSettings,
    pub yupri: YuPrintSettings,
}

/// B2クラウド contract values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct B2Settings {
    /// 請求先顧客コード (10–12 digits, required).
    pub customer_code: String,
    /// 請求先分類コード (3 digits or "").
    pub class_code: String,
    /// 運賃管理番号 (2 digits, required).
    pub freight_number: String,
}

/// e飛伝 contract values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EhidenSettings {
    /// お客様コード (may be "": e飛伝 then uses the logged-in customer).
    pub customer_code: String,
}

/// ゆうプリR layout values: the layout staff register in ゆうプリR must match (see
/// [`yupri::layout_file`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YuPrintSettings {
    /// 列数 of the registered layout (default 100, the 標準フォーマット V3).
    pub columns: usize,
    /// 送り状種別 (form code, default `1100780`).
    pub form_code: String,
}

impl Default for YuPrintSettings {
    fn default() -> Self {
        YuPrintSettings { columns: 100, form_code: "1100780".into() }
    }
}

/// What a writer made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlipFiles {
    /// The files, in order (one, except クリックポスト's 40-row chunks; none if no slip could be written).
    pub files: Vec<SlipFile>,
    /// Slips left out, one entry per column at fault.
    pub problems: Vec<SlipProblem>,
}

/// One file to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipFile {
    /// Added to the file name: "" for a single file, `-1`, `-2`… for クリックポスト's chunks.
    pub suffix: String,
    pub bytes: Vec<u8>,
    /// The slip keys in it, in row order.
    pub keys: Vec<String>,
}

/// Why one slip was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipProblem {
    pub key: String,
    pub orders: Vec<String>,
    /// The carrier the file was for.
    pub format: SlipFormat,
    /// The column as the carrier's layout names it, e.g. お届け先住所.
    pub column: &'static str,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// Not in CP932 even after the replacement table (🍣, ㄅ, 剝).
    Unencodable { chars: Vec<char> },
    /// In CP932 but not JIS level 1/2 (B2クラウド only).
    NotJisLevel12 { chars: Vec<char> },
    /// Wider than the column(s), in half-width units.
    TooWide { width: usize, max: usize },
    /// Empty but required.
    Missing,
    /// A value the carrier has no code or form for.
    BadValue { value: String, expected: String },
}

impl SlipProblem {
    /// For staff, in back-office words.
    pub fn message(&self, lang: Lang) -> String {
        let orders = self.orders.join(if lang == Lang::Ja { "、" } else { ", " });
        let who = say!(lang, "{}（受注 {}）", "{} (order {})", self.key, orders);
        let col = self.column;
        let carrier = self.format.short();
        let fix = fix_what(col);
        let chars = |cs: &[char]| cs.iter().map(|c| format!("「{c}」")).collect::<String>();
        match &self.kind {
            ProblemKind::Unencodable { chars: cs } => say!(
                lang,
                "{}: {}の{}は{}の送り状ファイル（Shift_JIS）に書けない文字です。{}を直してから出し直してください",
                "{}: {} has {}, which {} slip files (Shift_JIS) cannot hold. Correct the {} and export again",
                who,
                col,
                chars(cs),
                carrier,
                fix
            ),
            ProblemKind::NotJisLevel12 { chars: cs } => say!(
                lang,
                "{}: {}の{}は{}で使えない文字です（JIS第1・第2水準のみ）。{}を直してから出し直してください",
                "{}: {} has {}, which {} does not accept (JIS level 1 and 2 only). Correct the {} and export again",
                who,
                col,
                chars(cs),
                carrier,
                fix
            ),
            ProblemKind::TooWide { width, max } => {
                say!(
                lang,
                "{}: {}が長すぎます（半角{}文字分、{}は半角{}文字分まで・全角は2文字分）。{}を短くしてから出し直してください",
                "{}: {} is too long ({} half-width units; {} takes {}, a full-width character counts 2). Shorten the {} and export again",
                who, col, width, carrier, max, fix
            )
            }
            ProblemKind::Missing => say!(
                lang,
                "{}: {}が空です（{}では必須）。入れてから出し直してください",
                "{}: {} is empty ({} requires it). Fill it in and export again",
                who,
                col,
                carrier
            ),
            ProblemKind::BadValue { value, expected } => say!(
                lang,
                "{}: {}の「{}」は{}で使えません（使えるもの: {}）。直してから出し直してください",
                "{}: {} \"{}\" cannot be used with {} (possible: {}). Correct it and export again",
                who,
                col,
                value,
                carrier,
                expected
            ),
        }
    }
}

/// The thing staff correct for a column, in their words.
fn fix_what(column: &str) -> &'static str {
    if column.contains("住所") || column.contains("アパートマンション") {
        "住所"
    } else if column.contains("電話") {
        "電話番号"
    } else if column.contains("郵便番号") {
        "郵便番号"
    } else if column.contains("品名") || column.contains("内容品") || column.contains("記事名１") {
        "商品名"
    } else if column.contains("記事") {
        "配達メモ"
    } else if column.contains("名") {
        "お名前"
    } else {
        "受注"
    }
}

/// Writes the slips in one carrier's format.
pub fn write_slips(format: SlipFormat, slips: &[Slip], settings: &SlipSettings) -> SlipFiles {
    match format {
        SlipFormat::B2 => b2::write(slips, &settings.b2),
        SlipFormat::Ehiden => ehiden::write(slips, &settings.ehiden),
        SlipFormat::YuPrint => yupri::write(slips, &settings.yupri),
        SlipFormat::ClickPost => clickpost::write(slips),
    }
}

// ----- shared by the writers -----

/// One slip's row being built: cells by 1-based column number, problems gathered as they come.
pub(crate) struct Row<'a> {
    slip: &'a Slip,
    format: SlipFormat,
    names: &'a [&'static str],
    cells: Vec<String>,
    problems: Vec<SlipProblem>,
}

impl<'a> Row<'a> {
    pub(crate) fn new(slip: &'a Slip, format: SlipFormat, names: &'a [&'static str]) -> Row<'a> {
        Row { slip, format, names, cells: vec![String::new(); names.len()], problems: Vec::new() }
    }

    pub(crate) fn name(&self, col: usize) -> &'static str {
        self.names[col - 1]
    }

    /// Writes a value as is (codes, digits, dates).
    pub(crate) fn set(&mut self, col: usize, value: impl Into<String>) {
        self.cells[col - 1] = value.into();
    }

    pub(crate) fn problem(&mut self, col: usize, kind: ProblemKind) {
        let column = self.name(col);
        self.problem_named(column, kind);
    }

    pub(crate) fn problem_named(&mut self, column: &'static str, kind: ProblemKind) {
        let p = SlipProblem { key: self.slip.key.clone(), orders: self.slip.orders.clone(), format: self.format, column, kind };
        if !self.problems.contains(&p) {
            self.problems.push(p);
        }
    }

    pub(crate) fn bad(&mut self, col: usize, value: &str, expected: &str) {
        self.problem(col, ProblemKind::BadValue { value: value.into(), expected: expected.into() });
    }

    /// Free text that must fit whole (never cut): mapped, measured, written.
    pub(crate) fn text(&mut self, col: usize, value: &str, max: usize, required: bool) {
        let v = slip_text::map_text(value.trim());
        if v.is_empty() && required {
            self.problem(col, ProblemKind::Missing);
        }
        let w = slip_text::width(&v);
        if w > max {
            self.problem(col, ProblemKind::TooWide { width: w, max });
        }
        self.set(col, v);
    }

    /// Text wrapped over consecutive columns (住所１–３, 名称１–２); too long is a problem on the first.
    pub(crate) fn wrapped(&mut self, first: usize, widths: &[usize], value: &str, required: bool) {
        let v = slip_text::map_text(value.trim());
        if v.is_empty() && required {
            self.problem(first, ProblemKind::Missing);
        }
        match slip_text::wrap(&v, widths) {
            Some(lines) => {
                for (i, line) in lines.into_iter().enumerate() {
                    self.set(first + i, line);
                }
            }
            None => {
                let max = widths.iter().sum();
                self.problem(first, ProblemKind::TooWide { width: slip_text::width(&v), max });
            }
        }
    }

    /// 郵便番号 as `123-4567`.
    pub(crate) fn postal(&mut self, col: usize, value: &str) {
        match postal_code(value) {
            Ok(p) => self.set(col, p),
            Err(kind) => self.problem(col, kind),
        }
    }

    /// 電話番号: half-width digits and hyphens.
    pub(crate) fn phone(&mut self, col: usize, value: &str, max: usize) {
        match phone_number(value) {
            Ok(p) if p.len() > max => self.problem(col, ProblemKind::TooWide { width: p.len(), max }),
            Ok(p) => self.set(col, p),
            Err(kind) => self.problem(col, kind),
        }
    }

    /// The slip key (お客様管理番号): ASCII, within `max`.
    pub(crate) fn key(&mut self, col: usize, max: usize) {
        let key = self.slip.key.trim().to_string();
        if key.is_empty() {
            self.problem(col, ProblemKind::Missing);
        } else if !key.chars().all(|c| c.is_ascii_graphic()) {
            self.bad(col, &key, "半角英数字 / ASCII");
        } else if key.len() > max {
            self.problem(col, ProblemKind::TooWide { width: key.len(), max });
        }
        self.set(col, key);
    }

    /// 品名, shortened by design (see the module doc); Missing when the slip has no item.
    pub(crate) fn items(&mut self, col: usize, max: usize) {
        match item_text(&self.slip.item_names, max) {
            Some(t) => self.set(col, t),
            None => self.problem(col, ProblemKind::Missing),
        }
    }

    /// The row's CP932 bytes (with CRLF), or every problem found in it.
    pub(crate) fn finish(mut self, jis_level12: bool) -> RowResult {
        let mut line = Vec::new();
        for i in 0..self.cells.len() {
            let cell = std::mem::take(&mut self.cells[i]);
            if cell.contains(['\r', '\n']) {
                let shown = cell.replace(['\r', '\n'], "⏎");
                self.bad(i + 1, &shown, "改行のない値 / a value without line breaks");
                continue;
            }
            let mapped = slip_text::map_text(&cell);
            match slip_text::cp932(&mapped) {
                Err(chars) => self.problem(i + 1, ProblemKind::Unencodable { chars }),
                Ok(bytes) => {
                    if jis_level12 {
                        let chars = slip_text::not_jis_level12(&mapped);
                        if !chars.is_empty() {
                            self.problem(i + 1, ProblemKind::NotJisLevel12 { chars });
                        }
                    }
                    if i > 0 {
                        line.push(b',');
                    }
                    push_field(&mut line, &bytes);
                }
            }
        }
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        line.extend_from_slice(b"\r\n");
        Ok(line)
    }
}

/// A CSV field: quoted when it holds a comma or a quote, quotes doubled. (`,` and `"` never occur
/// as CP932 trail bytes, so this is safe on the encoded bytes.)
fn push_field(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.iter().any(|b| matches!(b, b',' | b'"')) {
        out.push(b'"');
        for &b in bytes {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(bytes);
    }
}

/// The header row's bytes.
pub(crate) fn header_line(names: &[&str]) -> Vec<u8> {
    let mut line = Vec::new();
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        push_field(&mut line, &slip_text::cp932(n).expect("header names are CP932"));
    }
    line.extend_from_slice(b"\r\n");
    line
}

/// One slip's row: its bytes, or why it was left out.
pub(crate) type RowResult = Result<Vec<u8>, Vec<SlipProblem>>;

/// Rows built per slip (key, row), gathered into one file (or none).
pub(crate) fn one_file(header: Option<&[&'static str]>, rows: Vec<(String, RowResult)>) -> SlipFiles {
    let mut out = SlipFiles::default();
    let mut bytes = header.map(header_line).unwrap_or_default();
    let mut keys = Vec::new();
    for (key, row) in rows {
        match row {
            Ok(line) => {
                bytes.extend_from_slice(&line);
                keys.push(key);
            }
            Err(problems) => out.problems.extend(problems),
        }
    }
    if !keys.is_empty() {
        out.files.push(SlipFile { suffix: String::new(), bytes, keys });
    }
    out
}

/// `123-4567` from any way staff or malls write a postal code (〒, full-width, no hyphen).
pub fn postal_code(value: &str) -> Result<String, ProblemKind> {
    let t = to_half_width(value);
    let digits: String = t.chars().filter(|c| !matches!(c, '-' | ' ' | '〒')).collect();
    if digits.is_empty() {
        return Err(ProblemKind::Missing);
    }
    if digits.len() != 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ProblemKind::BadValue { value: value.into(), expected: "7桁の郵便番号 / 7 digits (123-4567)".into() });
    }
    Ok(format!("{}-{}", &digits[..3], &digits[3..]))
}

/// Half-width digits and hyphens from a phone number as typed (full-width, spaces).
pub fn phone_number(value: &str) -> Result<String, ProblemKind> {
    let t: String = to_half_width(value).chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return Err(ProblemKind::Missing);
    }
    if !t.chars().all(|c| c.is_ascii_digit() || c == '-') || !t.chars().any(|c| c.is_ascii_digit()) {
        return Err(ProblemKind::BadValue { value: value.into(), expected: "数字とハイフン / digits and hyphens".into() });
    }
    Ok(t)
}

/// 品名 for a slip: the first item name, plus `他N点` for the others, cut to `max` half-width units.
/// Line breaks become spaces (the text is shortened anyway). `None` when there is no item.
pub fn item_text(items: &[String], max: usize) -> Option<String> {
    let first = items.iter().map(|s| s.trim()).find(|s| !s.is_empty())?;
    let first = slip_text::map_text(&first.replace(['\r', '\n'], " "));
    let others = items.len() - 1;
    let suffix = if others > 0 { format!(" 他{others}点") } else { String::new() };
    let room = max.saturating_sub(slip_text::width(&suffix));
    let cut = slip_text::cut_to_width(&first, room).trim_end();
    Some(format!("{cut}{suffix}"))
}

/// 温度帯 as one of three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Temperature {
    Normal,
    Chilled,
    Frozen,
}

pub(crate) fn temperature(value: &str) -> Option<Temperature> {
    match value.trim() {
        "" | "常温" | "通常" => Some(Temperature::Normal),
        "冷蔵" | "チルド" => Some(Temperature::Chilled),
        "冷凍" => Some(Temperature::Frozen),
        _ => None,
    }
}

pub(crate) const TEMPERATURES: &str = "常温 / 冷蔵 / 冷凍";

/// The slot as shown in messages: `午前中 (8-12)`.
pub(crate) fn slot_shown(slot: &TimeSlot) -> String {
    format!("{} ({}-{})", slot.label, slot.start_hour, slot.end_hour)
}

#[cfg(test)]
pub(crate) mod test_slips;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postal_codes_and_phones_are_normalised() {
        assert_eq!(postal_code("〒１００－０００１").unwrap(), "100-0001");
        assert_eq!(postal_code("1000001").unwrap(), "100-0001");
        assert_eq!(postal_code(""), Err(ProblemKind::Missing));
        assert!(matches!(postal_code("100-001"), Err(ProblemKind::BadValue { .. })));
        assert_eq!(phone_number("０３－１２３４－５６７８").unwrap(), "03-1234-5678");
        assert!(matches!(phone_number("03(1234)5678"), Err(ProblemKind::BadValue { .. })));
    }

    #[test]
    fn item_names_are_shortened_by_design() {
        let items = vec!["有機りんごジュース 1000ml×6本".to_string(), "ギフト箱".into(), "のし".into()];
        assert_eq!(item_text(&items, 50).unwrap(), "有機りんごジュース 1000ml×6本 他2点");
        assert_eq!(item_text(&items, 20).unwrap(), "有機りんごジュ 他2点");
        assert_eq!(item_text(&items, 19).unwrap(), "有機りんごジ 他2点");
        assert_eq!(item_text(&[], 20), None);
    }

    #[test]
    fn messages_in_staff_words() {
        let p = SlipProblem {
            key: "J2612020001".into(),
            orders: vec!["338811-20261128-0000031814".into()],
            format: SlipFormat::B2,
            column: "お届け先住所",
            kind: ProblemKind::NotJisLevel12 { chars: vec!['彅'] },
        };
        assert_eq!(
            p.message(Lang::Ja),
            "J2612020001（受注 338811-20261128-0000031814）: お届け先住所の「彅」はB2クラウドで使えない文字です（JIS第1・第2水準のみ）。住所を直してから出し直してください"
        );
        assert!(p.message(Lang::En).starts_with("J2612020001 (order 338811-20261128-0000031814): お届け先住所 has 「彅」"));
        let p = SlipProblem { kind: ProblemKind::TooWide { width: 110, max: 96 }, ..p };
        assert!(p.message(Lang::Ja).contains("お届け先住所が長すぎます（半角110文字分、B2クラウドは半角96文字分まで"));
    }

    #[test]
    fn write_slips_picks_the_writer() {
        let slips = test_slips::golden_slips(SlipFormat::ClickPost);
        let out = write_slips(SlipFormat::ClickPost, &slips, &SlipSettings::default());
        assert_eq!(out.files[0].keys.len(), 5);
        assert_eq!(SlipFormat::parse("YUPRI"), Some(SlipFormat::YuPrint));
        assert_eq!(SlipFormat::Ehiden.label(), "佐川 e飛伝");
        // B2 without contract codes: every slip is a problem, and there is no file.
        let out = write_slips(SlipFormat::B2, &test_slips::golden_slips(SlipFormat::B2), &SlipSettings::default());
        assert!(out.files.is_empty());
        assert_eq!(out.problems.len(), 10);
        let p = &out.problems[0];
        assert_eq!(
            p.message(Lang::Ja),
            "J2612020001（受注 338811-20261128-0000031814）: 請求先顧客コードが空です（B2クラウドでは必須）。入れてから出し直してください"
        );
        let p = SlipProblem { kind: ProblemKind::Unencodable { chars: vec!['🍣'] }, column: "お届け先住所", ..p.clone() };
        assert_eq!(
            p.message(Lang::En),
            "J2612020001 (order 338811-20261128-0000031814): お届け先住所 has 「🍣」, which B2クラウド slip files (Shift_JIS) cannot hold. Correct the 住所 and export again"
        );
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        let mut out = Vec::new();
        push_field(&mut out, b"a,\"b\"");
        assert_eq!(out, b"\"a,\"\"b\"\"\"");
    }
}
