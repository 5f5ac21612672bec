//! The decisions staff write in the verification workbook's 判断 columns, read back with calamine.
//! One reader for both users: `juchu apply`, and the report stage before it replaces a workbook
//! (it never overwrites decisions not yet applied). Columns are found by their header, Japanese or
//! English, so staff may move or add columns.

use std::path::Path;

use calamine::{open_workbook_auto, Reader};

use crate::config::diagnostic::column_letters;
use crate::domain::lang::pick;
use crate::domain::text::header_key;

/// The sheets that carry a 判断 column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetKind {
    /// 受注チェック: 出荷OK, 保留, 保留解除.
    Checks,
    /// 保留: 保留解除, 出荷OK.
    Holds,
    /// 同梱候補: 同梱OK, 同梱しない (for the whole group).
    Merges,
}

impl SheetKind {
    pub const ALL: [SheetKind; 3] = [SheetKind::Checks, SheetKind::Holds, SheetKind::Merges];

    /// The sheet's name in Japanese and in English (a workbook written in either is read).
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            SheetKind::Checks => ("受注チェック", "Order checks"),
            SheetKind::Holds => ("保留", "Holds"),
            SheetKind::Merges => ("同梱候補", "Merge proposals"),
        }
    }

    /// The name the report stage gives the sheet now.
    pub fn name(self) -> String {
        let (ja, en) = self.names();
        pick(ja, en)
    }

    /// The choices its 判断 column lists.
    pub fn choices(self) -> &'static [Decision] {
        match self {
            SheetKind::Checks => &[Decision::ShipOk, Decision::Hold, Decision::Release],
            SheetKind::Holds => &[Decision::Release, Decision::ShipOk],
            SheetKind::Merges => &[Decision::MergeOk, Decision::NoMerge],
        }
    }

    /// The choices as the workbook's list shows them, in the process's language.
    pub fn choice_labels(self) -> Vec<String> {
        self.choices().iter().map(|d| d.label()).collect()
    }

    /// Whether `sheet` is this kind's sheet, or a part of it past Excel's last row (`受注チェック (2)`).
    fn matches(self, sheet: &str) -> bool {
        let (ja, en) = self.names();
        [ja, en].iter().any(|n| sheet == *n || sheet.strip_prefix(n).is_some_and(|rest| rest.starts_with(" (") && rest.ends_with(')')))
    }
}

/// What staff decided about an order (or a 同梱 group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// 出荷OK: ship the order although a check failed.
    ShipOk,
    /// 保留: hold the order.
    Hold,
    /// 保留解除: release every reason holding it.
    Release,
    /// 同梱OK: ship the group in one parcel.
    MergeOk,
    /// 同梱しない: ship the group's orders each on its own.
    NoMerge,
}

impl Decision {
    /// As stored in `workbook_decisions.decision`.
    pub fn ja(self) -> &'static str {
        match self {
            Decision::ShipOk => "出荷OK",
            Decision::Hold => "保留",
            Decision::Release => "保留解除",
            Decision::MergeOk => "同梱OK",
            Decision::NoMerge => "同梱しない",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Decision::ShipOk => "ship OK",
            Decision::Hold => "hold",
            Decision::Release => "release",
            Decision::MergeOk => "merge",
            Decision::NoMerge => "do not merge",
        }
    }

    /// In the process's language (the workbook's lists).
    pub fn label(self) -> String {
        pick(self.ja(), self.en())
    }

    /// A cell's text as a decision: either language, full-width letters, any case and spacing.
    pub fn parse(text: &str) -> Option<Decision> {
        let t = header_key(text).to_lowercase();
        [Decision::ShipOk, Decision::Hold, Decision::Release, Decision::MergeOk, Decision::NoMerge]
            .into_iter()
            .find(|d| t == header_key(d.ja()).to_lowercase() || t == header_key(d.en()).to_lowercase())
    }
}

/// Column headers, Japanese and English, as the report stage writes them.
pub const DECISION: (&str, &str) = ("判断", "Decision");
pub const MALL: (&str, &str) = ("モール", "mall");
pub const ORDER_NUMBER: (&str, &str) = ("受注番号", "order number");
pub const CHECK_KEY: (&str, &str) = ("確認キー", "check key");
pub const MERGE_GROUP: (&str, &str) = ("同梱グループ", "merge group");
/// Held now, and why (受注チェック).
pub const HELD: (&str, &str) = ("保留", "hold");

/// One non-empty decision cell and the row it is on.
#[derive(Debug, Clone)]
pub struct DecisionCell {
    pub kind: SheetKind,
    /// The sheet's name in the book.
    pub sheet: String,
    /// The decision cell, A1 style (`R12`).
    pub cell: String,
    /// As written (trimmed).
    pub text: String,
    pub mall: String,
    pub order_number: String,
    /// 確認キー: the order's enrichment fingerprint when the workbook was written ("" when none).
    pub check_key: String,
    /// 同梱グループ (同梱候補 only).
    pub group: String,
}

impl DecisionCell {
    /// `sheet!R12`: the part of the address that stays when the book is copied or renamed.
    pub fn sheet_cell(&self) -> String {
        format!("{}!{}", self.sheet, self.cell)
    }
}

/// The decision cells of a workbook, and the hash of its bytes (workbook_decisions.file_hash).
#[derive(Debug, Clone)]
pub struct BookDecisions {
    pub file_hash: String,
    pub cells: Vec<DecisionCell>,
}

/// Why a workbook's decisions could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The file cannot be read at all (missing, a folder).
    Io(std::io::Error),
    /// Not an Excel workbook, or not the verification workbook (no 受注チェック with a 判断 column).
    NotJuchu(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::NotJuchu(why) => write!(f, "{why}"),
        }
    }
}

fn find(headers: &[String], (ja, en): (&str, &str)) -> Option<usize> {
    let (ja, en) = (header_key(ja).to_lowercase(), header_key(en).to_lowercase());
    headers.iter().position(|h| {
        let h = header_key(h).to_lowercase();
        h == ja || h == en
    })
}

/// Reads every non-empty 判断 cell of 受注チェック, 保留 and 同梱候補 (and their parts).
pub fn read(path: &Path) -> Result<BookDecisions, ReadError> {
    let bytes = std::fs::read(path).map_err(ReadError::Io)?;
    let file_hash = crate::store::shipping::file_hash(&bytes);
    drop(bytes);
    let mut book = open_workbook_auto(path).map_err(|e| {
        ReadError::NotJuchu(pick(format!("Excel のブックとして開けません: {e}"), format!("cannot open it as an Excel workbook: {e}")))
    })?;
    let names = book.sheet_names();
    if !names.iter().any(|n| SheetKind::Checks.matches(n)) {
        return Err(ReadError::NotJuchu(pick(
            format!("確認用ブックではありません（受注チェックのシートがありません。あるシート: {}）", names.join(", ")),
            format!("not a verification workbook (no Order checks sheet; sheets found: {})", names.join(", ")),
        )));
    }
    let mut cells = Vec::new();
    for name in &names {
        let Some(kind) = SheetKind::ALL.into_iter().find(|k| k.matches(name)) else { continue };
        let range = book
            .worksheet_range(name)
            .map_err(|e| ReadError::NotJuchu(pick(format!("シート {name} を読めません: {e}"), format!("cannot read sheet {name}: {e}"))))?;
        let (r0, c0) = range.start().map(|(r, c)| (r as usize, c as usize)).unwrap_or((0, 0));
        let mut rows = range.rows();
        let headers: Vec<String> = rows.next().map(|r| r.iter().map(crate::io::xlsx::cell_text).collect()).unwrap_or_default();
        let Some(decision) = find(&headers, DECISION) else {
            if kind == SheetKind::Checks {
                return Err(ReadError::NotJuchu(pick(
                    format!("シート {name} に「判断」の列がありません（juchu の確認用ブックではないか、古いブックです）"),
                    format!("sheet {name} has no Decision column (not a juchu verification workbook, or an old one)"),
                )));
            }
            continue;
        };
        let col = |h| find(&headers, h);
        let (mall, number, key, group) = (col(MALL), col(ORDER_NUMBER), col(CHECK_KEY), col(MERGE_GROUP));
        for (i, row) in rows.enumerate() {
            let at = |c: Option<usize>| c.and_then(|c| row.get(c)).map(crate::io::xlsx::cell_text).unwrap_or_default();
            let text = at(Some(decision));
            if text.is_empty() {
                continue;
            }
            cells.push(DecisionCell {
                kind,
                sheet: name.clone(),
                cell: format!("{}{}", column_letters(c0 + decision), r0 + i + 2),
                text,
                mall: at(mall),
                order_number: at(number),
                check_key: at(key),
                group: at(group),
            });
        }
    }
    Ok(BookDecisions { file_hash, cells })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_are_read_in_either_language_and_width() {
        assert_eq!(Decision::parse("出荷OK"), Some(Decision::ShipOk));
        assert_eq!(Decision::parse(" 出荷ＯＫ "), Some(Decision::ShipOk));
        assert_eq!(Decision::parse("Ship ok"), Some(Decision::ShipOk));
        assert_eq!(Decision::parse("保留解除"), Some(Decision::Release));
        assert_eq!(Decision::parse("同梱しない"), Some(Decision::NoMerge));
        assert_eq!(Decision::parse("出荷する"), None);
    }

    #[test]
    fn a_sheet_continued_past_the_last_row_is_the_same_kind() {
        assert!(SheetKind::Checks.matches("受注チェック (2)"));
        assert!(SheetKind::Holds.matches("Holds"));
        assert!(!SheetKind::Holds.matches("保留中"));
    }
}
