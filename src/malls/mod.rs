//! The malls' wire formats, and only here: one order source per mall behind `OrderSource` (every
//! adapter turns its mall's payload into `domain::Order` and keeps the raw payload beside it), the
//! write side the write-back issue builds (`OrderWriter`), and the product CSV layouts (`products`).

pub mod amazon;
pub mod aupay;
pub mod futureshop;
pub mod http;
pub mod order_file;
pub mod products;
pub mod rakuten;
pub mod xml;
pub mod yahoo;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};

use crate::config::settings::MallSettings;
pub use crate::domain::mall::{MallKind, ShippingUpdate, StatusUpdate};
use crate::domain::order::Order;

/// The span of order time one poll asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<FixedOffset>,
    pub to: DateTime<FixedOffset>,
}

/// An order as fetched: normalized, and the mall's payload for it as received (JSON text).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub order: Order,
    pub raw: String,
}

impl Fetched {
    /// A fingerprint of the order and of the mall's payload: a status the normalized order does not
    /// carry (Yahoo's ShipStatus, say) still counts as a change, so the stored raw payload is the latest.
    pub fn fingerprint(&self) -> u64 {
        crate::domain::fnv1a(self.order.content_hash(), self.raw.as_bytes())
    }
}

/// What one ask of a mall brought back: the orders it returned, and every order it listed or was asked
/// for that did not come in as an order. Nothing a mall listed is dropped: the stage keeps the
/// missing and the unreadable as pending (`pending_orders`) and asks for them again.
#[derive(Debug, Default)]
pub struct Batch {
    pub orders: Vec<Fetched>,
    /// Listed (or asked for by number) and not returned: 受注情報が取得できませんでした.
    pub missing: Vec<Missing>,
    /// Returned, but in a shape juchu cannot read: quarantined with the payload as received.
    pub unreadable: Vec<Unreadable>,
}

impl Batch {
    pub fn of(orders: Vec<Fetched>) -> Batch {
        Batch { orders, ..Default::default() }
    }

    pub fn extend(&mut self, other: Batch) {
        self.orders.extend(other.orders);
        self.missing.extend(other.missing);
        self.unreadable.extend(other.unreadable);
    }

    /// Sorts one order the adapter read: the order, or its parse error with the payload.
    pub fn push_parsed(&mut self, order_number: &str, parsed: Result<Order, String>, raw: String) {
        match parsed {
            Ok(order) => self.orders.push(Fetched { order, raw }),
            Err(error) => self.unreadable.push(Unreadable { order_number: order_number.to_string(), error, raw }),
        }
    }

    /// Every number asked for that came back neither as an order nor as unreadable is missing,
    /// with what the mall said about it.
    pub fn missing_of(&mut self, asked: &[String], said: &str) {
        let came: std::collections::HashSet<&str> = self
            .orders
            .iter()
            .map(|f| f.order.order_number.as_str())
            .chain(self.unreadable.iter().map(|u| u.order_number.as_str()))
            .collect();
        let missing: Vec<Missing> = asked
            .iter()
            .filter(|n| !came.contains(n.as_str()))
            .map(|n| Missing { order_number: n.clone(), said: said.to_string() })
            .collect();
        self.missing.extend(missing);
    }
}

/// An order number the mall listed but did not return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub order_number: String,
    /// The mall's own words about it (its message code and text), or "" when it said nothing.
    pub said: String,
}

/// An order the mall returned that does not parse (a field in a shape the mall's spec does not allow).
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub order_number: String,
    pub error: String,
    /// The order's payload as received.
    pub raw: String,
}

/// What can go wrong talking to a mall. Messages name the mall and, for credentials, the settings key;
/// they never carry a secret.
#[derive(Debug, thiserror::Error)]
pub enum MallError {
    #[error(
        "{mall}: the mall refused the credentials ({detail}); check malls.{mall}.credentials.{key} in the settings (S16: keys expire)"
    )]
    Auth { mall: String, key: String, detail: String },
    #[error("{mall}: the mall could not be reached or kept failing: {detail}")]
    Unavailable { mall: String, detail: String },
    #[error("{mall}: the mall answered something juchu cannot read: {detail}")]
    Payload { mall: String, detail: String },
    #[error("{mall}: {detail}")]
    Config { mall: String, detail: String },
    /// The mall answered and refused the write (its own error, or a rule juchu checks before sending
    /// because the mall's spec says it would refuse): sending it again cannot succeed.
    #[error("{mall}: the mall refused the change: {detail}")]
    Refused { mall: String, detail: String },
}

/// Where a mall's orders come from (受注取込): its order API, its FTP exports, or order files.
pub trait OrderSource: Send {
    /// Orders created or changed in the window. An error is for the whole poll (the mall could not
    /// be asked); one order that does not come or does not parse goes into the batch instead.
    fn fetch(&self, window: Window) -> Result<Batch, MallError>;

    /// The current content of orders by number: those fetched before that are still open (their
    /// status moves on after their window has passed), and those still pending.
    fn refresh(&self, order_numbers: &[String]) -> Result<Batch, MallError>;

    /// Statuses after which an order no longer changes at the mall (no refresh needed).
    fn final_statuses(&self) -> &'static [&'static str];

    /// True where every poll reads everything the source holds (order files, FutureShop2's export
    /// folder): an order pending from an earlier poll that is no longer there is gone, not missing.
    fn reads_everything(&self) -> bool {
        false
    }

    /// Called once the fetched orders are committed (FutureShop2 archives the files it read).
    fn after_commit(&self) -> Result<(), MallError> {
        Ok(())
    }
}

/// The in-process mock mall's addresses: HTTP for the API malls, FTP for FutureShop2.
#[derive(Debug, Clone)]
pub struct MockEndpoints {
    pub http: String,
    pub ftp: Option<String>,
}

/// Where and as whom to call a mall: the base URL and the credentials, resolved from `${ENV}`.
#[derive(Clone)]
pub struct Connection {
    pub mall: String,
    pub shop_id: String,
    pub base_url: String,
    credentials: BTreeMap<String, String>,
    pub timeout: Duration,
    pub retry: http::RetryPolicy,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials are never printed.
        f.debug_struct("Connection").field("mall", &self.mall).field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl Connection {
    /// Resolves a mall's settings. `mock` is the in-process mock mall, used when the endpoint is
    /// `mock`; a mock connection whose `${ENV}` is unset uses the mock's demo credentials.
    pub fn from_settings(name: &str, m: &MallSettings, mock: Option<&MockEndpoints>) -> Result<Connection, MallError> {
        let endpoint = m.endpoint.as_ref().map(|e| e.value.as_str()).unwrap_or("");
        let is_mock = endpoint == "mock";
        let base_url = if is_mock {
            mock.and_then(|u| if m.mall_kind.fetched_over_ftp() { u.ftp.clone() } else { Some(u.http.clone()) })
                .ok_or_else(|| MallError::Config { mall: name.into(), detail: "`endpoint: mock`, but no mock mall is running".into() })?
        } else if endpoint.is_empty() {
            default_endpoint(m.mall_kind).to_string()
        } else {
            endpoint.trim_end_matches('/').to_string()
        };
        let mut credentials = BTreeMap::new();
        for key in m.credentials.keys() {
            match m.secret(key).and_then(|s| s.resolve()) {
                Some(v) => {
                    credentials.insert(key.clone(), v);
                }
                None if is_mock => {
                    credentials.insert(key.clone(), crate::mock::demo_credential(key));
                }
                None => {
                    let env = m.secret(key).map(|s| s.to_string()).unwrap_or_else(|| key.clone());
                    return Err(MallError::Config {
                        mall: name.into(),
                        detail: format!("malls.{name}.credentials.{key}: {env} is not set in the environment"),
                    });
                }
            }
        }
        Ok(Connection {
            mall: name.to_string(),
            shop_id: m.shop_id.clone().unwrap_or_default(),
            base_url,
            credentials,
            timeout: if is_mock { Duration::from_millis(1000) } else { Duration::from_secs(60) },
            retry: if is_mock {
                http::RetryPolicy { attempts: 6, first_backoff: Duration::from_millis(5), max_wait: Duration::from_secs(2) }
            } else {
                http::RetryPolicy::default()
            },
        })
    }

    pub fn credential(&self, key: &str) -> Result<&str, MallError> {
        self.credentials.get(key).map(String::as_str).ok_or_else(|| MallError::Config {
            mall: self.mall.clone(),
            detail: format!("malls.{}.credentials.{key} is missing from the settings", self.mall),
        })
    }
}

fn default_endpoint(kind: MallKind) -> &'static str {
    match kind {
        MallKind::Rakuten => "https://api.rms.rakuten.co.jp",
        MallKind::Yahoo => "https://circus.shopping.yahooapis.jp",
        MallKind::Amazon => "https://sellingpartnerapi-fe.amazon.com",
        MallKind::AuPay => "https://api.manager.wowma.jp",
        // FutureShop2 has no default FTP host: the shop's own is set as `endpoint: ftp://host` or `ftps://host`.
        MallKind::FutureShop => "",
        // Order files need no endpoint.
        MallKind::Yamada | MallKind::Ponpare => "",
    }
}

/// Whether this version can fetch orders from a mall kind without `order_files`.
pub fn has_adapter(kind: MallKind) -> bool {
    match kind {
        MallKind::Rakuten | MallKind::Yahoo | MallKind::Amazon | MallKind::AuPay | MallKind::FutureShop => true,
        MallKind::Yamada | MallKind::Ponpare => false,
    }
}

/// The order source for a mall kind, or None for the kinds whose orders come only as order files.
pub fn adapter_for(kind: MallKind, conn: Connection, m: &MallSettings) -> Option<Box<dyn OrderSource>> {
    match kind {
        MallKind::FutureShop => Some(Box::new(futureshop::FutureShop::new(conn, m.ftp_folder.as_deref(), m.ftp_archive_folder.as_deref()))),
        MallKind::Rakuten => Some(Box::new(rakuten::Rakuten::new(conn))),
        MallKind::Yahoo => Some(Box::new(yahoo::Yahoo::new(conn))),
        MallKind::Amazon => Some(Box::new(amazon::Amazon::new(conn))),
        MallKind::AuPay => Some(Box::new(aupay::AuPay::new(conn))),
        MallKind::Yamada | MallKind::Ponpare => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Writing back (受注連動の書き戻し)

/// A mall's write calls (受注連動の書き戻し). The contract the write-back stage relies on:
///
/// - Every call **reads the order at the mall first**. If the mall already holds the requested state
///   it returns `Ok(Written::AlreadySet)` and sends nothing.
/// - Otherwise it sends the write request **exactly once**: no transport-level retry of the write
///   itself (reads retry as the fetch side does). So after an unknown outcome the stage simply calls
///   again later: the read finds the change if it was applied, and nothing is sent twice.
/// - A timeout, a dropped connection or a 5xx on the write is `MallError::Unavailable` (outcome
///   unknown: call again later). The mall's own refusal, and any rule of the mall's spec checked
///   before sending, is `MallError::Refused` with the mall's words or the rule (sending again cannot
///   succeed). Refused credentials are `MallError::Auth`, as on the fetch side. No message carries a secret.
pub trait OrderWriter: Send {
    /// Sets the order's status at the mall (`StatusUpdate.mall_status` is the mall's own code or name).
    fn update_status(&self, update: &StatusUpdate) -> Result<Written, MallError>;

    /// Reports the shipment (発送完了報告): carrier, tracking numbers, ship date.
    fn update_shipping(&self, update: &ShippingUpdate) -> Result<Written, MallError>;
}

/// The writer for a mall kind, or None for the kinds with no write API (order files: Yamada, Ponpare).
pub fn writer_for(kind: MallKind, conn: Connection, m: &MallSettings) -> Option<Box<dyn OrderWriter>> {
    match kind {
        MallKind::Rakuten => Some(Box::new(rakuten::Rakuten::new(conn))),
        MallKind::Yahoo => Some(Box::new(yahoo::Yahoo::new(conn))),
        MallKind::Amazon => Some(Box::new(amazon::Amazon::new(conn))),
        MallKind::AuPay => Some(Box::new(aupay::AuPay::new(conn))),
        MallKind::FutureShop => Some(Box::new(
            futureshop::FutureShop::new(conn, m.ftp_folder.as_deref(), m.ftp_archive_folder.as_deref())
                .with_upload_folder(m.ftp_upload_folder.as_deref()),
        )),
        MallKind::Yamada | MallKind::Ponpare => None,
    }
}

/// The mall's write call for a change, as the plan, the send log and `orders ship` name it.
pub fn call_for(kind: MallKind, change: &crate::domain::write_back::Change) -> &'static str {
    match change {
        crate::domain::write_back::Change::Status { .. } => status_call(kind).unwrap_or("-"),
        crate::domain::write_back::Change::Shipping { .. } => shipping_call(kind),
    }
}

/// A change in this mall's codes, from the masters, each code checked against what its calls take.
pub fn to_mall_change(
    masters: &crate::domain::masters::Masters,
    mall: &str,
    kind: MallKind,
    change: &crate::domain::write_back::Change,
) -> Result<crate::domain::write_back::MallChange, String> {
    crate::domain::write_back::to_mall_change(masters, mall, change, |c| check_status_code(kind, c), |c| check_carrier_code(kind, c))
}

/// What a write found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The mall now holds the requested state.
    Changed,
    /// The read before the write found the state already set: nothing was sent.
    AlreadySet,
}

/// Whether a mall kind can be written back to, and through which of its calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteApi {
    /// juchu's `OrderWriter` for the mall makes these calls (`status_call`, `shipping_call`).
    /// `status` is None where the mall has no call that only sets a status (Amazon).
    Calls { status: Option<&'static str>, shipping: &'static str },
    /// The mall has no write API juchu can use: its orders come as files, and staff update them at the mall.
    NoWriteApi,
}

/// The write calls of each mall kind (see shared/reference/write-back-shipping-mail.md §1, §6).
pub fn write_api(kind: MallKind) -> WriteApi {
    match kind {
        MallKind::Yamada | MallKind::Ponpare => WriteApi::NoWriteApi,
        _ => WriteApi::Calls { status: status_call(kind), shipping: shipping_call(kind) },
    }
}

/// The wire call that sets a status, by the mall's name for it (the shadow plan and the send log
/// name calls so); None where there is none (Amazon: the status follows the shipment; order files).
pub fn status_call(kind: MallKind) -> Option<&'static str> {
    match kind {
        MallKind::Rakuten => Some("confirmOrder"),
        MallKind::Yahoo => Some("orderStatusChange"),
        MallKind::AuPay => Some("updateTradeStsProc"),
        // An upload file over FTP (malls::futureshop::UPLOAD_HEADER).
        MallKind::FutureShop => Some("upload"),
        MallKind::Amazon | MallKind::Yamada | MallKind::Ponpare => None,
    }
}

/// The wire call that reports a shipment, by the mall's name for it; "" for the kinds without a
/// write API (order files).
pub fn shipping_call(kind: MallKind) -> &'static str {
    match kind {
        MallKind::Rakuten => "updateOrderShipping",
        MallKind::Yahoo => "orderShipStatusChange",
        MallKind::Amazon => "confirmShipment",
        MallKind::AuPay => "updateTradeInfoProc",
        MallKind::FutureShop => "upload",
        MallKind::Yamada | MallKind::Ponpare => "",
    }
}

/// au PAY マーケット's built-in statuses that updateTradeStsProc sets.
pub const AUPAY_SETTABLE_STATUSES: &[&str] =
    &["新規受付", "新規予約", "予約中", "発送前入金待ち", "与信待ち", "発送待ち", "発送後入金待ち", "完了", "保留"];

/// The mall's name in staff's words, for the checks' messages.
fn shown_name(kind: MallKind) -> &'static str {
    match kind {
        MallKind::Rakuten => "楽天",
        MallKind::Yahoo => "Yahoo!ショッピング",
        MallKind::Amazon => "Amazon",
        MallKind::AuPay => "au PAY マーケット",
        MallKind::FutureShop => "FutureShop2",
        MallKind::Yamada => "ヤマダモール",
        MallKind::Ponpare => "ポンパレモール",
    }
}

/// Whether a 受注ステータス from the masters is one this mall's write call can set, so a master
/// row can be rejected before anything is queued. The error is in Japanese (staff read it).
pub fn check_status_code(kind: MallKind, code: &str) -> Result<(), String> {
    let name = shown_name(kind);
    let ok = match kind {
        // confirmOrder only moves an order from 100 注文確認待ち to 300 発送待ち.
        MallKind::Rakuten => code == "300",
        MallKind::Yahoo => matches!(code, "1" | "2" | "3" | "4" | "5"),
        MallKind::AuPay => AUPAY_SETTABLE_STATUSES.contains(&code),
        MallKind::FutureShop => futureshop::UPLOAD_STATUSES.contains(&code),
        MallKind::Amazon => {
            return Err(
                "Amazon には受注ステータスだけを変える API がありません（ステータスは出荷通知 confirmShipment で Shipped になります）"
                    .into(),
            )
        }
        MallKind::Yamada | MallKind::Ponpare => return Err(format!("{name}には書き戻す API がありません（受注はファイルで届きます）")),
    };
    if ok {
        return Ok(());
    }
    Err(match kind {
        MallKind::Rakuten => {
            format!("楽天で設定できる受注ステータスは 300（発送待ち：confirmOrder）だけです（「{code}」は設定できません）")
        }
        MallKind::Yahoo => {
            format!("Yahoo!ショッピングの注文ステータスは 1〜5 です（1 予約中・2 処理中・3 保留・4 キャンセル・5 完了。「{code}」はありません）")
        }
        MallKind::AuPay if code == "キャンセル" => {
            "au PAY マーケットのキャンセルは updateTradeStsProc では設定できません（キャンセルはモールの管理画面か cancelTradeProc です）"
                .into()
        }
        MallKind::AuPay => {
            format!("au PAY マーケットで設定できる受注ステータスは {} です（「{code}」はありません）", AUPAY_SETTABLE_STATUSES.join("・"))
        }
        _ => format!(
            "{name}のアップロードで設定できる受注ステータスは {} です（「{code}」はありません）",
            futureshop::UPLOAD_STATUSES.join("・")
        ),
    })
}

/// Whether a 配送会社コード from the masters is one this mall accepts, so a master row can be
/// rejected before anything is queued. The error is in Japanese (staff read it).
pub fn check_carrier_code(kind: MallKind, code: &str) -> Result<(), String> {
    let name = shown_name(kind);
    let number = code.parse::<u32>().ok().filter(|_| code.bytes().all(|b| b.is_ascii_digit()));
    match kind {
        // RMS deliveryCompany (mall notes §1.7).
        MallKind::Rakuten if number.is_some_and(|n| (1000..=1031).contains(&n)) => Ok(()),
        MallKind::Rakuten => Err(format!("楽天の配送会社コードは 1000〜1031 です（「{code}」はありません）")),
        // Yahoo's own table: the majors line up with Rakuten's, then 5000 ASKUL LOGIST (C4).
        MallKind::Yahoo if number.is_some_and(|n| (1000..=1029).contains(&n) || n == 5000) => Ok(()),
        MallKind::Yahoo => Err(format!("Yahoo!ショッピングの配送会社コードは 1000〜1029 と 5000 です（「{code}」はありません）")),
        MallKind::AuPay if matches!(code, "1" | "2" | "4" | "5" | "6" | "7" | "9") => Ok(()),
        MallKind::AuPay => Err(format!(
            "au PAY マーケットの配送会社コードは 1・2・4・5・6・7・9 です（1 ヤマト運輸・2 佐川急便・6 日本郵便。「{code}」はありません）"
        )),
        MallKind::Amazon if !code.is_empty() && !code.contains(char::is_whitespace) => Ok(()),
        MallKind::Amazon => Err(format!(
            "Amazon の配送会社コード（carrierCode）は空白を含まない英字です（YAMATO・SAGAWA・Other など。「{code}」は使えません）"
        )),
        MallKind::FutureShop if !code.trim().is_empty() => Ok(()),
        MallKind::FutureShop => Err("FutureShop2 の配送会社（名前）が空です".into()),
        MallKind::Yamada | MallKind::Ponpare => Err(format!("{name}には書き戻す API がありません（受注はファイルで届きます）")),
    }
}

/// The mall's refusal of a rule juchu checks before sending.
fn refused(conn: &Connection, detail: String) -> MallError {
    MallError::Refused { mall: conn.mall.clone(), detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_answers_whether_it_can_be_written_back() {
        for kind in MallKind::ALL {
            match (kind, write_api(kind)) {
                (MallKind::Yamada | MallKind::Ponpare, api) => assert_eq!(api, WriteApi::NoWriteApi, "{kind}: orders come as files"),
                (_, WriteApi::Calls { shipping, status }) => {
                    assert!(!shipping.is_empty(), "{kind}");
                    assert_eq!((status, shipping), (status_call(kind), shipping_call(kind)));
                }
                (_, WriteApi::NoWriteApi) => panic!("{kind} has write calls"),
            }
        }
        assert!(matches!(write_api(MallKind::Amazon), WriteApi::Calls { status: None, shipping: "confirmShipment" }));
        assert_eq!(status_call(MallKind::Rakuten), Some("confirmOrder"));
        assert_eq!(shipping_call(MallKind::AuPay), "updateTradeInfoProc");
    }

    #[test]
    fn status_codes_each_mall_can_set() {
        assert_eq!(check_status_code(MallKind::Rakuten, "300"), Ok(()));
        assert!(check_status_code(MallKind::Rakuten, "500").unwrap_err().contains("300"));
        for ok in ["1", "2", "3", "4", "5"] {
            assert_eq!(check_status_code(MallKind::Yahoo, ok), Ok(()));
        }
        assert!(check_status_code(MallKind::Yahoo, "6").unwrap_err().contains("「6」はありません"));
        assert_eq!(check_status_code(MallKind::AuPay, "発送待ち"), Ok(()));
        assert!(check_status_code(MallKind::AuPay, "キャンセル").unwrap_err().contains("updateTradeStsProc では設定できません"));
        assert!(check_status_code(MallKind::AuPay, "発送済み").is_err());
        assert!(check_status_code(MallKind::Amazon, "Shipped").unwrap_err().contains("confirmShipment"));
        assert_eq!(check_status_code(MallKind::FutureShop, "COMPLETED"), Ok(()));
        assert!(check_status_code(MallKind::FutureShop, "完了").is_err());
        assert!(check_status_code(MallKind::Yamada, "x").is_err());
    }

    #[test]
    fn carrier_codes_each_mall_accepts() {
        assert_eq!(check_carrier_code(MallKind::Rakuten, "1001"), Ok(()));
        assert_eq!(check_carrier_code(MallKind::Rakuten, "1031"), Ok(()));
        assert_eq!(
            check_carrier_code(MallKind::Rakuten, "1099").unwrap_err(),
            "楽天の配送会社コードは 1000〜1031 です（「1099」はありません）"
        );
        assert!(check_carrier_code(MallKind::Rakuten, "ヤマト運輸").is_err());
        assert_eq!(check_carrier_code(MallKind::Yahoo, "5000"), Ok(()));
        assert!(check_carrier_code(MallKind::Yahoo, "1031").is_err());
        for ok in ["1", "2", "4", "5", "6", "7", "9"] {
            assert_eq!(check_carrier_code(MallKind::AuPay, ok), Ok(()));
        }
        assert!(check_carrier_code(MallKind::AuPay, "3").unwrap_err().contains("「3」"));
        assert_eq!(check_carrier_code(MallKind::Amazon, "YAMATO"), Ok(()));
        assert!(check_carrier_code(MallKind::Amazon, "").is_err());
        assert_eq!(check_carrier_code(MallKind::FutureShop, "ヤマト運輸"), Ok(()));
        assert!(check_carrier_code(MallKind::FutureShop, " ").is_err());
        assert!(check_carrier_code(MallKind::Ponpare, "1").is_err());
    }

    #[test]
    fn a_batch_names_every_number_asked_for_that_did_not_come_in_whole() {
        let cases: serde_json::Value = serde_json::from_str(include_str!("../../tests/fixtures/malls/rakuten/cases.json")).unwrap();
        let mut one = rakuten::parse_order("rakuten", "s", &cases["OrderModelList"][0]).unwrap();
        one.order_number = "1".into();
        let mut b = Batch::default();
        b.push_parsed("1", Ok(one), "{}".into());
        b.push_parsed("2", Err("PackageModelList is an object".into()), "{\"x\":1}".into());
        let asked: Vec<String> = ["1", "2", "3"].iter().map(|s| s.to_string()).collect();
        b.missing_of(&asked, "ORDER_EXT_API_GET_ORDER_INFO_102 受注情報が取得できませんでした");
        assert_eq!(b.orders.len(), 1);
        assert_eq!((b.unreadable[0].order_number.as_str(), b.unreadable[0].raw.as_str()), ("2", "{\"x\":1}"));
        assert_eq!(
            b.missing,
            vec![Missing {
                order_number: "3".into(), said: "ORDER_EXT_API_GET_ORDER_INFO_102 受注情報が取得できませんでした".into()
            }]
        );
    }

    #[test]
    fn order_files_malls_have_no_order_api_and_no_default_endpoint() {
        for kind in MallKind::ALL {
            let files = matches!(kind, MallKind::Yamada | MallKind::Ponpare);
            assert_eq!(has_adapter(kind), !files, "{kind}");
            if files {
                assert_eq!(default_endpoint(kind), "");
            }
        }
    }
}
