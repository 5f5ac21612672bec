//! 書き戻し (write-back), the pure part: what an outbox row asks a mall to hold, how the masters
//! turn juchu's words into the mall's codes (受注ステータス read backwards, 配送会社コード), and the
//! text of a planned or sent call, shared by the shadow plan and the send log so they compare.

use chrono::NaiveDate;

use super::lang::pick;
use super::mall::MallKind;
use super::masters::{sheet, CarrierCode, Masters, OrderStatus, Origin};

/// What one outbox row asks the mall to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// 社内ステータス, mapped to the mall's status through the 受注ステータス sheet.
    Status { status: String },
    /// 発送完了報告: carrier as the 配送会社 sheet names it, tracking numbers, ship date.
    Shipping { carrier: String, tracking_numbers: Vec<String>, shipped_on: NaiveDate },
}

impl Change {
    /// The outbox's `action` column: one row per order and action.
    pub fn action(&self) -> &'static str {
        match self {
            Change::Status { .. } => "status",
            Change::Shipping { .. } => "shipping",
        }
    }
}

/// A change with the mall's own codes, ready for that mall's writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MallChange {
    Status { code: String, name: String },
    Shipping { carrier_code: String, carrier_name: String, tracking_numbers: Vec<String>, shipped_on: NaiveDate },
}

impl MallChange {
    /// The request as staff read it in the plan, the send log and the workbook. The shadow plan and
    /// the live send render it here alike, so "the plan equals what was sent" is a string compare.
    pub fn request_text(&self) -> String {
        match self {
            MallChange::Status { code, name } if code == name => format!("ステータス={code}"),
            MallChange::Status { code, name } => format!("ステータス={code}（{name}）"),
            MallChange::Shipping { carrier_code, carrier_name, tracking_numbers, shipped_on } => {
                let numbers = if tracking_numbers.is_empty() { "なし".to_string() } else { tracking_numbers.join(",") };
                format!("配送会社={carrier_code}（{carrier_name}） 伝票番号={numbers} 出荷日={shipped_on}")
            }
        }
    }
}

/// `masters.xlsx!受注ステータス!D7`: a master cell as staff find it.
pub fn cell(masters: &Masters, origin: &Origin, header: &str) -> String {
    let index = masters.sheets.get(&origin.sheet).and_then(|s| s.headers.iter().position(|h| h == header)).unwrap_or(0);
    let file = file_name(&origin.file);
    // A sheet given as a CSV is a file: line and column, as an editor finds them.
    if file.to_ascii_lowercase().ends_with(".csv") {
        return format!("{file}:{}:{}", origin.row, index + 1);
    }
    format!("{file}!{}!{}{}", origin.sheet, crate::config::diagnostic::column_letters(index), origin.row)
}

/// A master file's name without its folder, as staff see it in the explorer.
fn file_name(path: &str) -> String {
    std::path::Path::new(path).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The sheet as staff find it when there is no row to point at.
fn sheet_ref(masters: &Masters, name: &str) -> String {
    let file = masters.sheets.get(name).map(|s| file_name(&s.file)).unwrap_or_else(|| "masters.xlsx".into());
    format!("{file}!{name}")
}

/// The mall's status for a 社内ステータス: the first row of that mall in 受注ステータス whose
/// 社内ステータス it is (the sheet maps the mall's statuses to juchu's; written back, it is read
/// the other way, and where two of a mall's statuses share one name the upper row is written).
pub fn mall_status<'m>(masters: &'m Masters, mall: &str, status: &str) -> Result<&'m OrderStatus, String> {
    masters.order_statuses.iter().find(|s| s.mall == mall && s.internal_status == status).ok_or_else(|| {
        pick(
            format!(
                "{}: モール {mall} に社内ステータス「{status}」の行がありません（書き戻すモールのステータスが決まりません）。{mall} | <ステータスコード> | <ステータス名> | {status} の行を足してください",
                sheet_ref(masters, sheet::ORDER_STATUSES)
            ),
            format!(
                "{}: mall {mall} has no row with 社内ステータス `{status}`, so the mall's status to write is unknown; add a row {mall} | <code> | <name> | {status}",
                sheet_ref(masters, sheet::ORDER_STATUSES)
            ),
        )
    })
}

/// The mall's code for a carrier, from 配送会社コード (one table per mall: only the majors agree).
pub fn mall_carrier<'m>(masters: &'m Masters, mall: &str, carrier: &str) -> Result<&'m CarrierCode, String> {
    masters.carrier_codes.iter().find(|c| c.mall == mall && c.carrier == carrier).ok_or_else(|| {
        pick(
            format!(
                "{}: モール {mall} の配送会社「{carrier}」のコードがありません。{mall} | {carrier} | <そのモールの配送会社コード> の行を足してください",
                sheet_ref(masters, sheet::CARRIER_CODES)
            ),
            format!(
                "{}: mall {mall} has no code for the carrier `{carrier}`; add a row {mall} | {carrier} | <the mall's carrier code>",
                sheet_ref(masters, sheet::CARRIER_CODES)
            ),
        )
    })
}

/// Turns a change into the mall's codes, checking each code against what the mall's write call
/// takes (`check_status`, `check_carrier` come from the mall's wire knowledge in `malls`). An
/// error names the master cell and what to write there.
pub fn to_mall_change(
    masters: &Masters,
    mall: &str,
    change: &Change,
    check_status: impl Fn(&str) -> Result<(), String>,
    check_carrier: impl Fn(&str) -> Result<(), String>,
) -> Result<MallChange, String> {
    match change {
        Change::Status { status } => {
            let row = mall_status(masters, mall, status)?;
            check_status(&row.code).map_err(|e| format!("{}: {e}", cell(masters, &row.origin, "ステータスコード")))?;
            Ok(MallChange::Status { code: row.code.clone(), name: row.name.clone() })
        }
        Change::Shipping { carrier, tracking_numbers, shipped_on } => {
            let row = mall_carrier(masters, mall, carrier)?;
            check_carrier(&row.code).map_err(|e| format!("{}: {e}", cell(masters, &row.origin, "配送会社コード")))?;
            Ok(MallChange::Shipping {
                carrier_code: row.code.clone(),
                carrier_name: carrier.clone(),
                tracking_numbers: tracking_numbers.clone(),
                shipped_on: *shipped_on,
            })
        }
    }
}

/// Whether linkage writes to a mall now: `Live` from its start on, `Shadow` before (or without
/// one): the plan is made and shown, nothing is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Shadow { starts_at: Option<chrono::NaiveDateTime> },
    Live { starts_at: chrono::NaiveDateTime },
}

pub fn mode(starts_at: Option<chrono::NaiveDateTime>, now: chrono::NaiveDateTime) -> Mode {
    match starts_at {
        Some(t) if t <= now => Mode::Live { starts_at: t },
        other => Mode::Shadow { starts_at: other },
    }
}

/// S13: an order placed before the mall's linkage start is never written back.
pub fn before_linkage(ordered_at: chrono::NaiveDateTime, starts_at: chrono::NaiveDateTime) -> bool {
    ordered_at < starts_at
}

/// What the mall showed at the last fetch, against what juchu asks: (shown, differs).
pub fn compare(change: &MallChange, mall_status: &str, mall_tracking: &[String]) -> (String, bool) {
    match change {
        MallChange::Status { code, .. } => (format!("ステータス={mall_status}"), mall_status != code),
        MallChange::Shipping { tracking_numbers, .. } => {
            let shown = if mall_tracking.is_empty() {
                "伝票番号なし".to_string()
            } else {
                format!("伝票番号={}", mall_tracking.join(","))
            };
            let has = |n: &String| mall_tracking.iter().any(|t| t == n || t.ends_with(&format!(":{n}")));
            (shown, !tracking_numbers.iter().all(has) || (tracking_numbers.is_empty() && !mall_tracking.is_empty()))
        }
    }
}

/// S12: after linkage, juchu's status wins. A status juchu wrote that the mall no longer shows (an
/// edit in the mall's screen, seen by a fetch after the write) is written again. Rakuten is left
/// alone: its status moves on by itself (発送済, 支払手続き) and juchu can only confirm.
pub fn overwritten(kind: MallKind, change: &MallChange, mall_status: &str, mall_tracking: &[String]) -> bool {
    match change {
        MallChange::Status { code, .. } => kind != MallKind::Rakuten && !mall_status.is_empty() && mall_status != code,
        MallChange::Shipping { .. } => !mall_tracking.is_empty() && compare(change, mall_status, mall_tracking).1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::masters::SheetSource;

    fn masters() -> Masters {
        let mut m = Masters::default();
        let o = |sheet: &str, row| Origin { file: "/shop/masters/masters.xlsx".into(), sheet: sheet.into(), row };
        m.sheets.insert(
            sheet::ORDER_STATUSES.into(),
            SheetSource {
                file: "/shop/masters/masters.xlsx".into(),
                headers: vec!["モール".into(), "ステータスコード".into(), "ステータス名".into(), "社内ステータス".into()],
            },
        );
        m.sheets.insert(
            sheet::CARRIER_CODES.into(),
            SheetSource {
                file: "/shop/masters/masters.xlsx".into(),
                headers: vec!["モール".into(), "配送会社".into(), "配送会社コード".into()],
            },
        );
        for (row, (mall, code, name, internal)) in [
            ("yahoo", "2", "処理中", "処理中"),
            ("yahoo", "5", "完了", "出荷済"),
            ("aupay", "発送前入金待ち", "発送前入金待ち", "入金待ち"),
            ("aupay", "与信待ち", "与信待ち", "入金待ち"),
        ]
        .into_iter()
        .enumerate()
        {
            m.order_statuses.push(OrderStatus {
                mall: mall.into(),
                code: code.into(),
                name: name.into(),
                internal_status: internal.into(),
                origin: o(sheet::ORDER_STATUSES, row + 2),
            });
        }
        m.carrier_codes.push(CarrierCode {
            mall: "rakuten".into(),
            carrier: "ヤマト運輸".into(),
            code: "1099".into(),
            origin: o(sheet::CARRIER_CODES, 2),
        });
        m
    }

    #[test]
    fn a_status_is_the_malls_row_of_that_name_and_the_upper_one_where_two_share_it() {
        let m = masters();
        assert_eq!(mall_status(&m, "yahoo", "出荷済").unwrap().code, "5");
        assert_eq!(mall_status(&m, "aupay", "入金待ち").unwrap().code, "発送前入金待ち");
        crate::domain::lang::set_explicit(crate::domain::lang::Lang::Ja);
        let e = mall_status(&m, "yahoo", "保留").unwrap_err();
        assert!(e.starts_with("masters.xlsx!受注ステータス: モール yahoo に社内ステータス「保留」の行がありません"), "{e}");
    }

    #[test]
    fn a_code_the_mall_does_not_take_names_the_master_cell() {
        let m = masters();
        let change = Change::Shipping {
            carrier: "ヤマト運輸".into(),
            tracking_numbers: vec!["1".into()],
            shipped_on: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
        };
        let e = to_mall_change(&m, "rakuten", &change, |_| Ok(()), |c| Err(format!("「{c}」はありません"))).unwrap_err();
        assert_eq!(e, "masters.xlsx!配送会社コード!C2: 「1099」はありません");
        let e = to_mall_change(&m, "yahoo", &change, |_| Ok(()), |_| Ok(())).unwrap_err();
        assert!(e.contains("配送会社コード") && e.contains("yahoo | ヤマト運輸"), "{e}");
    }

    #[test]
    fn the_request_text_is_what_plan_and_log_compare() {
        let s = MallChange::Shipping {
            carrier_code: "1001".into(),
            carrier_name: "ヤマト運輸".into(),
            tracking_numbers: vec!["1234-5678-9012".into()],
            shipped_on: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
        };
        assert_eq!(s.request_text(), "配送会社=1001（ヤマト運輸） 伝票番号=1234-5678-9012 出荷日=2026-12-02");
        assert_eq!(MallChange::Status { code: "完了".into(), name: "完了".into() }.request_text(), "ステータス=完了");
        assert_eq!(compare(&s, "300", &["1001:1234-5678-9012".into()]), ("伝票番号=1001:1234-5678-9012".into(), false));
        assert!(compare(&s, "300", &[]).1);
    }

    #[test]
    fn linkage_is_live_from_its_start_and_orders_placed_before_it_are_never_written() {
        let t = |h| NaiveDate::from_ymd_opt(2026, 12, 2).unwrap().and_hms_opt(h, 0, 0).unwrap();
        assert_eq!(mode(Some(t(18)), t(17)), Mode::Shadow { starts_at: Some(t(18)) });
        assert_eq!(mode(Some(t(18)), t(18)), Mode::Live { starts_at: t(18) });
        assert_eq!(mode(None, t(18)), Mode::Shadow { starts_at: None });
        assert!(before_linkage(t(17), t(18)) && !before_linkage(t(18), t(18)));
    }

    #[test]
    fn a_status_edited_at_the_mall_is_written_again_except_rakutens_own_progress() {
        let done = MallChange::Status { code: "5".into(), name: "完了".into() };
        assert!(overwritten(MallKind::Yahoo, &done, "3", &[]));
        assert!(!overwritten(MallKind::Yahoo, &done, "5", &[]));
        let confirmed = MallChange::Status { code: "300".into(), name: "発送待ち".into() };
        assert!(!overwritten(MallKind::Rakuten, &confirmed, "500", &[]));
    }
}
