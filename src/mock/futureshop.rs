//! The mock's FutureShop2: hourly order exports (FutureShop2 layout, CP932, CRLF) that appear in the
//! FTP folder `/orders` as time passes, served by the mock FTP server. The folder is real, so what
//! the shop moves to `/orders/archive` stays there between runs.
//!
//! Write-back comes as upload files in `/upload` (see `malls::futureshop::UPLOAD_HEADER`): a file
//! put in place there is read (CP932), applied, and moved to `upload/done/`; a file the mall cannot
//! read goes to `upload/error/` with a `.err` text naming the line and what is wrong.

use std::path::Path;

use chrono::{DateTime, Duration, FixedOffset, Timelike};

use super::ftp::FtpPolicy;
use super::orders::{MockOrder, Rng};
use super::{demo_credential, MockState};
use crate::io::text::encode_cp932;

const SALT: u64 = 5;
/// The folder the exports are put in, and the marker that says how far they have been written.
pub const ORDERS_FOLDER: &str = "orders";
const MARKER: &str = ".exported_until";

/// The FutureShop2 columns the mock writes (FutureShop2形式; the order follows Next Engine's list).
pub const COLUMNS: &[&str] = &[
    "受注コード",
    "注文日時",
    "請求合計金額",
    "商品合計金額",
    "消費税合計",
    "包装手数料",
    "送料",
    "決済手数料",
    "クール便手数料",
    "その他手数料",
    "決済方法",
    "通信欄",
    "入金フラグ",
    "氏名(姓)",
    "氏名(名)",
    "フリガナ(姓)",
    "フリガナ(名)",
    "メールアドレス(メイン)",
    "郵便番号",
    "都道府県区分",
    "住所1",
    "住所2",
    "住所3",
    "電話番号(メイン)",
    "お届け先氏名(姓)",
    "お届け先氏名(名)",
    "お届け先フリガナ(姓)",
    "お届け先フリガナ(名)",
    "お届け先郵便番号",
    "お届け先都道府県区分",
    "お届け先住所1",
    "お届け先住所2",
    "お届け先住所3",
    "お届け先電話番号",
    "お届け希望日",
    "お届け希望時間",
    "商品番号",
    "枝番号",
    "商品名",
    "項目選択肢",
    "オプション価格",
    "販売単価",
    "購入数量",
    "ポイント利用額",
    "割引合計金額(商品)",
    "割引合計金額(送料)",
];

pub struct FutureShopFtp {
    pub state: std::sync::Arc<MockState>,
}

impl FtpPolicy for FutureShopFtp {
    fn login(&self, user: &str, password: &str) -> bool {
        user == demo_credential("ftp_user")
            && password == demo_credential("ftp_password")
            && !self.state.scenario.expired.iter().any(|m| m == "futureshop")
    }

    fn on_login(&self, root: &Path) {
        // One session at a time writes the due exports.
        let _guard = self.state.exporting.lock().expect("mock lock");
        if let Err(e) = export_due(&self.state, root) {
            log::warn!("mock FutureShop2: writing the exports failed: {e}");
        }
    }

    fn on_stored(&self, root: &Path, rel: &str) -> bool {
        let Some(name) = rel.strip_prefix(&format!("{UPLOAD_FOLDER}/")) else { return true };
        if name.contains('/') || name.starts_with('.') || !name.to_ascii_lowercase().ends_with(".csv") {
            return true;
        }
        let folder = root.join(UPLOAD_FOLDER);
        let bytes = std::fs::read(folder.join(name)).unwrap_or_default();
        let outcome = apply_upload(&self.state, name, &bytes);
        let (to, err) = match &outcome {
            Ok(()) => (folder.join("done"), None),
            Err(why) => (folder.join("error"), Some(why.clone())),
        };
        let moved = std::fs::create_dir_all(&to).and_then(|_| std::fs::rename(folder.join(name), to.join(name)));
        if let Err(e) = moved {
            log::warn!("mock FutureShop2: moving the upload {name} failed: {e}");
        }
        if let Some(why) = err {
            let _ = std::fs::write(to.join(format!("{name}.err")), why);
        }
        !super::writes::take_drop()
    }

    fn transfer_fails(&self) -> bool {
        let sc = &self.state.scenario;
        let n = self.state.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut r = Rng::new(sc.seed ^ n.wrapping_mul(0xA24BAED4963EE407) ^ ((self.state.now)().timestamp() as u64));
        ((r.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < sc.error_rate
    }
}

/// The upload folder (relative to the FTP root) the shop's changes are put in.
pub const UPLOAD_FOLDER: &str = "upload";
/// The upload file's header, as the mock expects it (its own copy: a wrong layout fails a test).
const UPLOAD_COLUMNS: &[&str] = &["受注コード", "受注ステータス", "出荷日", "配送会社", "お荷物伝票番号"];
/// The statuses an upload may set (the FutureShop2 API's status names).
const UPLOAD_STATUSES: &[&str] = &["AWAITING_PAYMENT", "AWAITING_SHIPMENT", "COMPLETED", "ON_HOLD", "CANCELLED", "PREORDER"];

/// Reads an upload and applies its rows, or refuses the whole file naming the line and the problem
/// (nothing applied). Each row is one write call in the log.
fn apply_upload(state: &MockState, name: &str, bytes: &[u8]) -> Result<(), String> {
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(bytes);
    let refuse = |order: &str, why: String| {
        let _ = state.write("futureshop", "upload", order, &text, |_, _| Err(why.clone()));
        Err(why)
    };
    if bad {
        return refuse("", format!("{name}: CP932 として読めないバイトがあります"));
    }
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let header = lines.next().unwrap_or_default();
    if header != UPLOAD_COLUMNS.join(",") {
        return refuse("", format!("{name}: 1行目: 見出しが `{}` ではありません（`{header}`）", UPLOAD_COLUMNS.join(",")));
    }
    let now = (state.now)();
    let mut rows = Vec::new();
    for (n, line) in lines.enumerate() {
        let at = n + 2;
        if line.contains('\n') || line.contains('"') {
            return refuse("", format!("{name}: {at}行目: 改行コードは CRLF、項目に「\"」は使えません"));
        }
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != UPLOAD_COLUMNS.len() {
            return refuse("", format!("{name}: {at}行目: 項目が {} 個です（{} 個のはずです）", f.len(), UPLOAD_COLUMNS.len()));
        }
        let (code, status, date, carrier, number) = (f[0], f[1], f[2], f[3], f[4]);
        let known = code
            .strip_prefix("FS")
            .and_then(|d| d.parse::<u64>().ok())
            .and_then(|d| d.checked_sub(100_000))
            .is_some_and(|i| state.plan.order(SALT, i, now).ordered_at <= now);
        if !known {
            return refuse(code, format!("{name}: {at}行目: 受注コード `{code}` の受注はありません"));
        }
        if !status.is_empty() && !UPLOAD_STATUSES.contains(&status) {
            return refuse(code, format!("{name}: {at}行目: 受注ステータス `{status}` は使えません"));
        }
        if !date.is_empty() && chrono::NaiveDate::parse_from_str(date, "%Y/%m/%d").is_err() {
            return refuse(code, format!("{name}: {at}行目: 出荷日 `{date}` は YYYY/MM/DD ではありません"));
        }
        if status.is_empty() && date.is_empty() && carrier.is_empty() && number.is_empty() {
            return refuse(code, format!("{name}: {at}行目: 変更する項目がありません"));
        }
        rows.push((code.to_string(), status.to_string(), date.to_string(), carrier.to_string(), number.to_string()));
    }
    if rows.is_empty() {
        return refuse("", format!("{name}: 見出しだけで、行がありません"));
    }
    for (code, status, date, carrier, number) in rows {
        let _ = state.write("futureshop", "upload", &code, &text, |cur, _| {
            let mut next = cur.clone();
            if !status.is_empty() {
                next.status = Some(status.clone());
            }
            if !date.is_empty() || !carrier.is_empty() || !number.is_empty() {
                next.shipping = number
                    .split(' ')
                    .map(|n| super::writes::ShipRow {
                        detail_id: 0,
                        basket_id: 0,
                        carrier: carrier.clone(),
                        number: n.to_string(),
                        date: date.clone(),
                    })
                    .collect();
            }
            Ok(next)
        });
    }
    Ok(())
}

/// Writes the hourly exports that have closed since the last one (the first time: the last day's).
fn export_due(state: &MockState, root: &Path) -> std::io::Result<()> {
    let now = (state.now)();
    let folder = root.join(ORDERS_FOLDER);
    std::fs::create_dir_all(folder.join("archive"))?;
    let marker = root.join(MARKER);
    let hour = |t: DateTime<FixedOffset>| {
        t - Duration::seconds((t.minute() * 60 + t.second()) as i64) - Duration::nanoseconds(t.nanosecond() as i64)
    };
    let from = std::fs::read_to_string(&marker)
        .ok()
        .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
        .unwrap_or_else(|| hour(now) - Duration::days(1));
    let until = hour(now);
    let mut slot = from;
    while slot < until {
        let next = slot + Duration::hours(1);
        let orders: Vec<MockOrder> = state
            .plan
            .placed_between(slot, next, now)
            .map(|i| state.plan.order(SALT, i, now))
            .filter(|o| o.ordered_at >= slot && o.ordered_at < next)
            .collect();
        if !orders.is_empty() {
            let name = format!("futureshop_orders_{}.csv", slot.format("%Y%m%d%H%M"));
            // Written aside and renamed, so a client never reads half a file.
            let tmp = folder.join(format!(".{name}.part"));
            std::fs::write(&tmp, export(&orders))?;
            std::fs::rename(&tmp, folder.join(name))?;
        }
        slot = next;
    }
    if until > from {
        std::fs::write(&marker, until.to_rfc3339())?;
    }
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One export: a header, then a row per order line (order fields repeated on every line), CP932.
pub fn export(orders: &[MockOrder]) -> Vec<u8> {
    let mut text = COLUMNS.join(",");
    text.push_str("\r\n");
    for o in orders {
        let (b, s) = (&o.orderer, &o.ship_to);
        let goods = o.goods();
        let total = goods + o.postage + o.cod_fee() - o.coupon - o.points;
        for it in &o.items {
            let option_price = it.option_price();
            let row: Vec<String> = vec![
                format!("FS{:08}", 100_000 + o.index),
                o.ordered_at.format("%Y/%m/%d %H:%M:%S").to_string(),
                total.to_string(),
                goods.to_string(),
                (goods / 11).to_string(),
                "0".into(),
                o.postage.to_string(),
                o.cod_fee().to_string(),
                "0".into(),
                "0".into(),
                if o.cod { "代金引換" } else { "クレジットカード" }.into(),
                o.remarks.clone(),
                if o.cod { "0" } else { "1" }.into(),
                b.family.into(),
                b.first.into(),
                b.family_kana.into(),
                b.first_kana.into(),
                format!("fs{}@example.jp", o.index),
                b.zip.clone(),
                b.prefecture.into(),
                b.city.into(),
                b.street.clone(),
                String::new(),
                b.phone.clone(),
                s.family.into(),
                s.first.into(),
                s.family_kana.into(),
                s.first_kana.into(),
                s.zip.clone(),
                s.prefecture.into(),
                s.city.into(),
                s.street.clone(),
                String::new(),
                s.phone.clone(),
                o.delivery_date.map(|d| d.format("%Y/%m/%d").to_string()).unwrap_or_default(),
                String::new(),
                it.item_number.into(),
                String::new(),
                it.name.into(),
                it.choice.replace('\n', " "),
                option_price.to_string(),
                it.price.to_string(),
                it.units.to_string(),
                o.points.to_string(),
                o.coupon.to_string(),
                "0".into(),
            ];
            text.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
            text.push_str("\r\n");
        }
    }
    // Every character the mock writes exists in CP932.
    encode_cp932(&text).unwrap_or_else(|bad| panic!("mock FutureShop2 export has characters CP932 lacks: {bad:?}"))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;
    use std::sync::{Arc, Mutex};

    use super::*;

    fn state() -> Arc<MockState> {
        let now = crate::domain::time::parse_jst("2026-11-28T10:00:00+09:00").unwrap();
        let scenario = super::super::Scenario::default();
        let plan = super::super::orders::OrderPlan {
            seed: scenario.seed,
            start: super::super::plan_anchor(),
            interval: Duration::minutes(15),
            generate: true,
        };
        Arc::new(MockState {
            scenario,
            now: Arc::new(move || now),
            plan,
            calls: AtomicU64::new(0),
            book: Mutex::new(Default::default()),
            state_file: None,
            exporting: Mutex::new(()),
        })
    }

    fn put(state: &Arc<MockState>, root: &Path, name: &str, text: &str) -> bool {
        let ftp = FutureShopFtp { state: state.clone() };
        std::fs::create_dir_all(root.join(UPLOAD_FOLDER)).unwrap();
        std::fs::write(root.join(UPLOAD_FOLDER).join(name), encode_cp932(text).unwrap()).unwrap();
        ftp.on_stored(root, &format!("{UPLOAD_FOLDER}/{name}"))
    }

    #[test]
    fn an_upload_is_applied_and_moved_to_done_and_a_bad_one_to_error_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let st = state();
        let header = UPLOAD_COLUMNS.join(",");
        assert!(put(&st, root, "a.csv", &format!("{header}\r\nFS00100001,COMPLETED,2026/11/28,ヤマト運輸,1234\r\n")));
        assert!(root.join("upload/done/a.csv").exists() && !root.join("upload/a.csv").exists());
        let applied = st.applied("futureshop", "FS00100001").unwrap();
        assert_eq!((applied.status.as_deref(), applied.shipping[0].number.as_str()), (Some("COMPLETED"), "1234"));
        for (name, text, said) in [
            ("b.csv", "受注番号,ステータス\r\nFS00100001,COMPLETED\r\n".to_string(), "1行目: 見出し"),
            ("c.csv", format!("{header}\r\nFS00100001,COMPLETED\r\n"), "2行目: 項目が 2 個"),
            ("d.csv", format!("{header}\r\nFS00100001,,2026-11-28,ヤマト運輸,1\r\n"), "2行目: 出荷日 `2026-11-28`"),
            ("e.csv", format!("{header}\r\nFS00100001,完了,,,\r\n"), "受注ステータス `完了`"),
            ("f.csv", format!("{header}\r\nFS00100001,,,,\r\n"), "変更する項目がありません"),
        ] {
            assert!(put(&st, root, name, &text));
            assert!(root.join("upload/error").join(name).exists(), "{name}");
            let err = std::fs::read_to_string(root.join("upload/error").join(format!("{name}.err"))).unwrap();
            assert!(err.contains(said), "{name}: {err}");
        }
        // A temporary name is not read: only the name it is renamed to.
        assert!(put(&st, root, ".g.csv.part", "x"));
        assert!(root.join("upload/.g.csv.part").exists());
        let log = st.write_log();
        assert_eq!(
            log.iter().map(|c| c.outcome.as_str()).collect::<Vec<_>>(),
            ["applied", "refused", "refused", "refused", "refused", "refused"]
        );
    }
}
