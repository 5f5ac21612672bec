//! FutureShop2: order exports (FutureShop2形式 CSV, CP932) picked up over FTP, or FTPS with
//! explicit TLS (`endpoint: ftps://host`). Every export in the folder is read; once its orders are
//! committed the file is moved to the archive folder, so none is read twice. A crash between the
//! commit and the move only means the next poll reads the file again, and the upsert changes nothing.
//!
//! Writes go the same way back: an upload file per change (受注ステータス / 出荷情報) put into the
//! upload folder over the same FTP settings, under a name derived from the change, so a change
//! already uploaded is seen by its name and never uploaded twice.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::json;
use suppaftp::types::FileType;
use suppaftp::{FtpError, RustlsConnector, RustlsFtpStream};

use super::{Batch, Connection, MallError, OrderSource, OrderWriter, ShippingUpdate, StatusUpdate, Window, Written};
use crate::domain::order::{is_gift, Amount, Amounts, DesiredDelivery, Order, OrderItem, Party, Shipment};
use crate::domain::prefecture::Prefecture;
use crate::domain::text::parse_yen;
use crate::domain::time::parse_jst;
use crate::io::csv_table::CsvTable;

pub const DEFAULT_FOLDER: &str = "/orders";
/// Where upload files go unless `ftp_upload_folder` says otherwise.
pub const DEFAULT_UPLOAD_FOLDER: &str = "/upload";
/// The upload file's header: the write-back items integrators push to FutureShop2 (受注コード,
/// status, 出荷日, 配送会社, お荷物伝票番号; mall notes §6 F6). **The layout is not confirmed** against
/// FutureShop2's own upload spec: check it with the shop's 受注一括更新 settings before going live.
pub const UPLOAD_HEADER: &str = "受注コード,受注ステータス,出荷日,配送会社,お荷物伝票番号";
/// What the upload's 受注ステータス column takes: the FutureShop2 API's status names (mall notes §6 F7; not confirmed for the CSV).
pub const UPLOAD_STATUSES: &[&str] = &["AWAITING_PAYMENT", "AWAITING_SHIPMENT", "COMPLETED", "ON_HOLD", "CANCELLED", "PREORDER"];
/// One line of an export: its line number and its fields by column name.
type Row<'a> = (usize, BTreeMap<&'a str, String>);

/// Columns an export must have.
const REQUIRED: &[&str] = &["受注コード", "注文日時", "商品番号", "販売単価", "購入数量"];

pub struct FutureShop {
    conn: Connection,
    folder: String,
    archive: String,
    /// Where write-back upload files go (`ftp_upload_folder`).
    upload: String,
    /// The session of the last fetch and the files it read, archived after the commit.
    session: RefCell<Option<(RustlsFtpStream, Vec<String>)>>,
}

/// Host, port and whether to use TLS, from `ftp://host[:port]` or `ftps://host[:port]`.
struct Target {
    host: String,
    port: u16,
    tls: bool,
}

impl FutureShop {
    pub fn new(conn: Connection, folder: Option<&str>, archive: Option<&str>) -> FutureShop {
        let folder = folder.unwrap_or(DEFAULT_FOLDER).trim_end_matches('/').to_string();
        let archive = archive.map(|a| a.trim_end_matches('/').to_string()).unwrap_or_else(|| format!("{folder}/archive"));
        FutureShop { conn, folder, archive, upload: DEFAULT_UPLOAD_FOLDER.into(), session: RefCell::new(None) }
    }

    /// The folder write-back upload files go to (`ftp_upload_folder`; default `/upload`).
    pub fn with_upload_folder(mut self, upload: Option<&str>) -> FutureShop {
        if let Some(u) = upload.map(|u| u.trim_end_matches('/')).filter(|u| !u.is_empty()) {
            self.upload = u.to_string();
        }
        self
    }

    fn mall(&self) -> String {
        self.conn.mall.clone()
    }

    fn target(&self) -> Result<Target, MallError> {
        let url = &self.conn.base_url;
        let (tls, rest) = match url.split_once("://") {
            Some(("ftp", r)) => (false, r),
            Some(("ftps", r)) => (true, r),
            _ => {
                return Err(MallError::Config {
                    mall: self.mall(),
                    detail: format!(
                        "malls.{}.endpoint `{url}` is not an FTP address; write ftp://host or ftps://host (TLS)",
                        self.conn.mall
                    ),
                })
            }
        };
        let host_port = rest.split('/').next().unwrap_or(rest);
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().unwrap_or(21)),
            None => (host_port.to_string(), 21),
        };
        Ok(Target { host, port, tls })
    }

    /// What an FTP failure means for the run: refused credentials, or a mall that is unavailable.
    fn ftp_error(&self, what: &str, e: FtpError) -> MallError {
        match &e {
            FtpError::UnexpectedResponse(r) if r.status.code() == 530 => MallError::Auth {
                mall: self.mall(),
                key: "ftp_password".into(),
                detail: format!("FTP login refused ({})", String::from_utf8_lossy(&r.body).trim()),
            },
            _ => MallError::Unavailable { mall: self.mall(), detail: format!("FTP {what}: {e}") },
        }
    }

    fn connect(&self) -> Result<RustlsFtpStream, MallError> {
        let t = self.target()?;
        let timeout = self.conn.timeout;
        let addr = (t.host.as_str(), t.port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| MallError::Unavailable { mall: self.mall(), detail: format!("FTP host `{}` cannot be resolved", t.host) })?;
        let tcp = TcpStream::connect_timeout(&addr, timeout)
            .map_err(|e| MallError::Unavailable { mall: self.mall(), detail: format!("FTP connect to {}:{}: {e}", t.host, t.port) })?;
        let _ = tcp.set_read_timeout(Some(timeout));
        let _ = tcp.set_write_timeout(Some(timeout));
        let mut ftp = RustlsFtpStream::connect_with_stream(tcp).map_err(|e| self.ftp_error("greeting", e))?;
        // Data connections get the same timeouts as the control connection.
        ftp = ftp.passive_stream_builder(move |addr| {
            let s = TcpStream::connect_timeout(&addr, timeout).map_err(FtpError::ConnectionError)?;
            let _ = s.set_read_timeout(Some(timeout));
            Ok(s)
        });
        if t.tls {
            ftp = ftp.into_secure(RustlsConnector::from(tls_config()), &t.host).map_err(|e| self.ftp_error("AUTH TLS", e))?;
        }
        ftp.login(self.conn.credential("ftp_user")?, self.conn.credential("ftp_password")?).map_err(|e| self.ftp_error("login", e))?;
        ftp.transfer_type(FileType::Binary).map_err(|e| self.ftp_error("TYPE I", e))?;
        Ok(ftp)
    }

    /// One attempt: list the folder, read every export. Returns the session and the files read.
    fn read_all(&self) -> Result<(RustlsFtpStream, Vec<String>, Batch), MallError> {
        let mut ftp = self.connect()?;
        ftp.cwd(&self.folder).map_err(|e| MallError::Config {
            mall: self.mall(),
            detail: format!("the FTP folder `{}` cannot be opened ({e}); check malls.{}.ftp_folder", self.folder, self.conn.mall),
        })?;
        let mut names: Vec<String> = ftp
            .nlst(None)
            .map_err(|e| self.ftp_error("NLST", e))?
            .into_iter()
            .map(|n| n.rsplit('/').next().unwrap_or(&n).to_string())
            .filter(|n| n.to_ascii_lowercase().ends_with(".csv"))
            .collect();
        names.sort();
        let mut out = Batch::default();
        let mut done = Vec::new();
        for name in &names {
            let bytes = ftp.retr_as_buffer(name).map_err(|e| self.ftp_error(&format!("RETR {name}"), e))?.into_inner();
            // Named without host and port (the mock's port changes each run; the raw payload must not).
            let shown = format!("ftp:{}/{name}", self.folder);
            let batch = parse_export(&self.conn.mall, &self.conn.shop_id, Path::new(&shown), bytes)
                .map_err(|detail| MallError::Payload { mall: self.mall(), detail })?;
            // A file with an order set aside stays in the folder: the next poll reads it again.
            if batch.unreadable.is_empty() {
                done.push(name.clone());
            }
            out.extend(batch);
        }
        Ok((ftp, done, out))
    }
}

impl OrderSource for FutureShop {
    fn fetch(&self, _window: Window) -> Result<Batch, MallError> {
        // The folder holds only exports not yet imported: the window does not matter.
        let policy = &self.conn.retry;
        let mut wait = policy.first_backoff;
        let mut attempt = 1;
        loop {
            match self.read_all() {
                Ok((ftp, names, orders)) => {
                    *self.session.borrow_mut() = Some((ftp, names));
                    return Ok(orders);
                }
                Err(MallError::Unavailable { detail, .. }) if attempt < policy.attempts => {
                    log::info!("{}: {detail}; retry {attempt} in {} ms", self.conn.mall, wait.as_millis());
                    std::thread::sleep(wait);
                    wait *= 2;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn refresh(&self, _order_numbers: &[String]) -> Result<Batch, MallError> {
        // An export is a snapshot: FutureShop2 sends no later changes this way.
        Ok(Batch::default())
    }

    fn final_statuses(&self) -> &'static [&'static str] {
        &[]
    }

    fn reads_everything(&self) -> bool {
        true
    }

    fn after_commit(&self) -> Result<(), MallError> {
        let Some((mut ftp, names)) = self.session.borrow_mut().take() else { return Ok(()) };
        // The archive may exist already; a real failure shows at the first rename.
        let _ = ftp.mkdir(&self.archive);
        for name in &names {
            let from = format!("{}/{name}", self.folder);
            let mut to = format!("{}/{name}", self.archive);
            if ftp.size(&to).is_ok() {
                // Re-sent under a name already archived: keep both.
                to = format!("{}/{}.{name}", self.archive, chrono::Utc::now().format("%Y%m%d%H%M%S%3f"));
            }
            ftp.rename(&from, &to).map_err(|e| MallError::Unavailable {
                mall: self.mall(),
                detail: format!(
                    "the orders of {name} are saved, but moving it to {} failed ({e}); the next poll reads it again, which changes nothing",
                    self.archive
                ),
            })?;
        }
        let _ = ftp.quit();
        Ok(())
    }
}

impl FutureShop {
    fn refused(&self, detail: String) -> MallError {
        MallError::Refused { mall: self.mall(), detail }
    }

    /// The file names in a folder ("" for a folder that is not there).
    fn names_in(ftp: &mut RustlsFtpStream, folder: &str) -> Vec<String> {
        ftp.nlst(Some(folder)).unwrap_or_default().into_iter().map(|n| n.rsplit('/').next().unwrap_or(&n).to_string()).collect()
    }

    /// What the mall wrote about a file it refused (its `.err` beside it in `error/`).
    fn refusal(&self, ftp: &mut RustlsFtpStream, name: &str) -> Option<MallError> {
        let errors = format!("{}/error", self.upload);
        if !Self::names_in(ftp, &errors).iter().any(|n| n == name) {
            return None;
        }
        let said = ftp
            .retr_as_buffer(&format!("{errors}/{name}.err"))
            .map(|b| String::from_utf8_lossy(&b.into_inner()).trim().to_string())
            .unwrap_or_else(|_| "（理由のファイルがありません）".into());
        Some(self.refused(format!("{errors}/{name}: {said}")))
    }

    /// Uploads one change: AlreadySet if its file is already in the upload folder or in `done/`;
    /// Refused if the mall put it in `error/`. The file goes up under a temporary name and is renamed
    /// into place (the mall never reads half a file); one attempt, no retry.
    fn upload(&self, (name, bytes): (String, Vec<u8>)) -> Result<Written, MallError> {
        let mut ftp = self.connect()?;
        if let Some(refused) = self.refusal(&mut ftp, &name) {
            return Err(refused);
        }
        let done = format!("{}/done", self.upload);
        if Self::names_in(&mut ftp, &self.upload).contains(&name) || Self::names_in(&mut ftp, &done).contains(&name) {
            let _ = ftp.quit();
            return Ok(Written::AlreadySet);
        }
        // The folder may exist already; a real failure shows at the upload.
        let _ = ftp.mkdir(&self.upload);
        let tmp = format!("{}/.{name}.part", self.upload);
        ftp.put_file(&tmp, &mut std::io::Cursor::new(bytes)).map_err(|e| self.ftp_error(&format!("STOR {tmp}"), e))?;
        ftp.rename(&tmp, &format!("{}/{name}", self.upload)).map_err(|e| self.ftp_error(&format!("RNTO {name}"), e))?;
        // A mall that reads uploads at once may have refused it already.
        if let Some(refused) = self.refusal(&mut ftp, &name) {
            return Err(refused);
        }
        let _ = ftp.quit();
        Ok(Written::Changed)
    }

    fn file(&self, kind: &str, fields: [&str; 5]) -> Result<(String, Vec<u8>), MallError> {
        upload_file(kind, fields).map_err(|d| self.refused(d))
    }
}

impl OrderWriter for FutureShop {
    fn update_status(&self, update: &StatusUpdate) -> Result<Written, MallError> {
        super::check_status_code(super::MallKind::FutureShop, &update.mall_status).map_err(|d| self.refused(d))?;
        self.upload(self.file("status", [update.order_number.as_str(), update.mall_status.as_str(), "", "", ""])?)
    }

    fn update_shipping(&self, update: &ShippingUpdate) -> Result<Written, MallError> {
        super::check_carrier_code(super::MallKind::FutureShop, &update.carrier_code).map_err(|d| self.refused(d))?;
        let date = update.shipped_on.format("%Y/%m/%d").to_string();
        // Several numbers share the one column, separated by a half-width space.
        let numbers = update.tracking_numbers.join(" ");
        self.upload(
            self.file("shipping", [update.order_number.as_str(), "", date.as_str(), update.carrier_code.as_str(), numbers.as_str()])?,
        )
    }
}

/// One change as an upload file: its name and its bytes (CP932, CRLF, the header and one row). The
/// name is a function of the row (`juchu-<受注コード>-<status|shipping>-<8 hex of its hash>.csv`), so
/// the same change always has the same name.
pub fn upload_file(kind: &str, fields: [&str; 5]) -> Result<(String, Vec<u8>), String> {
    let field = |f: &str| if f.contains([',', '"', '\r', '\n']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { f.to_string() };
    let row = fields.iter().map(|f| field(f)).collect::<Vec<_>>().join(",");
    let text = format!("{UPLOAD_HEADER}\r\n{row}\r\n");
    let bytes = crate::io::text::encode_cp932(&text).map_err(|bad| {
        format!("FutureShop2 のアップロードは CP932 です。CP932 にない文字があります: {}", bad.iter().collect::<String>())
    })?;
    let order: String = fields[0].chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let hash = crate::domain::fnv1a(crate::domain::FNV_START, row.as_bytes()) as u32;
    Ok((format!("juchu-{order}-{kind}-{hash:08x}.csv"), bytes))
}

fn tls_config() -> Arc<suppaftp::rustls::ClientConfig> {
    use suppaftp::rustls;
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// One FutureShop2 export (a row per order line, order fields repeated) into orders.
/// One export's orders; an order that does not read is set aside with its rows (the file is then not
/// archived, so the next poll reads it again).
pub fn parse_export(mall: &str, shop: &str, shown: &Path, mut bytes: Vec<u8>) -> Result<Batch, String> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let size = bytes.len();
    let encoding = crate::io::text::detect(shown, &bytes, None).map_err(|d| d.to_string())?;
    let t = CsvTable::from_bytes(shown, bytes, encoding, size).map_err(|d| d.to_string())?;
    let missing: Vec<&str> = REQUIRED.iter().copied().filter(|c| t.column(c).is_none()).collect();
    if !missing.is_empty() {
        return Err(format!(
            "{}: not a FutureShop2 order export: missing column(s) {}; columns found: {}",
            shown.display(),
            missing.join(", "),
            t.headers.join(", ")
        ));
    }
    let mut orders: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    let mut first_seen = Vec::new();
    // Orders with a field whose bytes are not valid in the file's encoding: the first such field.
    let mut undecodable: BTreeMap<String, String> = BTreeMap::new();
    for rec in t.records(&t.whole()) {
        let rec = rec.map_err(|d| d.to_string())?;
        let mut bad = None;
        let row: BTreeMap<&str, String> = t
            .headers
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                let (v, invalid) = rec.get(i)?;
                if invalid && bad.is_none() {
                    bad = Some(t.undecodable(rec.line, i, rec.raw(i).unwrap_or_default()).one_line());
                }
                Some((h.as_str(), v.trim().to_string()))
            })
            .collect();
        let number = row.get("受注コード").cloned().unwrap_or_default();
        if let Some(bad) = bad {
            undecodable.entry(number.clone()).or_insert(bad);
        }
        if number.is_empty() {
            return Err(format!("{}:{}: 受注コード is empty", shown.display(), rec.line));
        }
        if !orders.contains_key(&number) {
            first_seen.push(number.clone());
        }
        orders.entry(number).or_default().push((rec.line, row));
    }
    let mut out = Batch::default();
    for number in first_seen {
        let rows = &orders[&number];
        let raw = json!({
            "file": shown.display().to_string(),
            "rows": rows.iter().map(|(line, f)| json!({ "line": line, "fields": f })).collect::<Vec<_>>(),
        });
        let parsed = match undecodable.remove(&number) {
            Some(bad) => Err(bad),
            None => order(mall, shop, shown, &number, rows),
        };
        out.push_parsed(&number, parsed, raw.to_string());
    }
    Ok(out)
}

fn order(mall: &str, shop: &str, shown: &Path, number: &str, rows: &[Row]) -> Result<Order, String> {
    let (line, head) = &rows[0];
    let at = |k: &str| head.get(k).cloned().unwrap_or_default();
    let place = |line: usize| format!("{}:{line}", shown.display());
    let ordered_at = parse_jst(&at("注文日時"))
        .ok_or_else(|| format!("{}: 注文日時 `{}` is not a date and time (2026/11/28 10:15:00)", place(*line), at("注文日時")))?;
    let yen = |k: &str, f: &BTreeMap<&str, String>, line: usize| -> Result<i64, String> {
        match f.get(k).map(String::as_str) {
            None | Some("") => Ok(0),
            Some(v) => parse_yen(v).ok_or_else(|| format!("{}: {k} `{v}` is not a whole number of yen", place(line))),
        }
    };
    let mut items = Vec::new();
    for (line, f) in rows {
        let get = |k: &str| f.get(k).cloned().unwrap_or_default();
        let branch = get("枝番号");
        items.push(OrderItem {
            product_code: get("商品番号"),
            item_key: get("商品番号"),
            sku: Some(format!("{}{branch}", get("商品番号"))).filter(|_| !branch.is_empty()),
            name: get("商品名"),
            unit_price: Some(yen("販売単価", f, *line)?),
            quantity: yen("購入数量", f, *line)?,
            options_text: get("項目選択肢"),
            option_price: f.get("オプション価格").filter(|v| !v.is_empty()).and_then(|v| parse_yen(v)),
            shipment: 0,
            sku_info: String::new(),
            merchant_sku: None,
            tax_rate: None,
            tax_excluded: false,
        });
    }
    let party = |p: &str, name: &str, kana: &str| {
        let f = |k: &str| at(&format!("{p}{k}"));
        // 都道府県区分: the name, or its JIS code 1–47.
        let pref = f("都道府県区分");
        let pref = pref.parse::<u8>().ok().and_then(Prefecture::from_code).map(|p| p.name().to_string()).unwrap_or(pref);
        let address = [f("住所1"), f("住所2"), f("住所3")].iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join(" ");
        Party {
            name: format!("{} {}", f(&format!("{name}(姓)")), f(&format!("{name}(名)"))).trim().to_string(),
            name_kana: format!("{} {}", f(&format!("{kana}(姓)")), f(&format!("{kana}(名)"))).trim().to_string(),
            postal_code: f("郵便番号"),
            address: if address.starts_with(&pref) { address } else { format!("{pref}{address}") },
            prefecture: pref,
            phone: f("電話番号(メイン)").to_string() + &f("電話番号"),
            email: f("メールアドレス(メイン)"),
        }
    };
    let orderer = party("", "氏名", "フリガナ");
    let mut ship_to = party("お届け先", "氏名", "フリガナ");
    if ship_to.name.is_empty() {
        ship_to = orderer.clone();
    }
    let remarks = at("通信欄");
    let field_date = NaiveDate::parse_from_str(&at("お届け希望日").replace('/', "-"), "%Y-%m-%d").ok();
    let field_slot = Some(at("お届け希望時間")).filter(|s| !s.is_empty());
    let desired_delivery = DesiredDelivery::from_fields_or_remarks(field_date, field_slot, &remarks);
    let payment_method = at("決済方法");
    let fee = yen("決済手数料", head, *line)?;
    let (cod_fee, payment_fee) = if payment_method.contains("代金引換") { (fee, 0) } else { (0, fee) };
    let goods = match yen("商品合計金額", head, *line)? {
        0 => items.iter().map(|i| i.line_total().unwrap_or(0)).sum(),
        g => g,
    };
    Ok(Order {
        mall: mall.to_string(),
        shop: shop.to_string(),
        order_number: number.to_string(),
        ordered_at,
        mall_status: "新規受付".into(),
        cancelled: false,
        is_gift: is_gift(&orderer, &ship_to),
        orderer,
        shipments: vec![Shipment::to(ship_to)],
        items,
        payment_method,
        desired_delivery,
        remarks,
        amounts: Amounts {
            goods: Amount::Yen(goods),
            shipping: Amount::Yen(yen("送料", head, *line)?),
            cod_fee: Amount::Yen(cod_fee),
            payment_fee: Amount::Yen(payment_fee),
            coupons: Amount::Yen(yen("割引合計金額(商品)", head, *line)? + yen("割引合計金額(送料)", head, *line)?),
            points: Amount::Yen(yen("ポイント利用額", head, *line)?),
            billing_total: Amount::Yen(yen("請求合計金額", head, *line)?),
            ..Default::default()
        },
        extras: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_file_is_cp932_crlf_with_a_name_from_its_row() {
        let (name, bytes) = upload_file("shipping", ["FS00100001", "", "2026/11/28", "ヤマト運輸", "1234-5678-9012"]).unwrap();
        let text = encoding_rs::SHIFT_JIS.decode(&bytes).0.into_owned();
        assert_eq!(
            text,
            "受注コード,受注ステータス,出荷日,配送会社,お荷物伝票番号\r\nFS00100001,,2026/11/28,ヤマト運輸,1234-5678-9012\r\n"
        );
        assert!(
            name.starts_with("juchu-FS00100001-shipping-")
                && name.ends_with(".csv")
                && name.len() == "juchu-FS00100001-shipping-".len() + 12,
            "{name}"
        );
        let (again, _) = upload_file("shipping", ["FS00100001", "", "2026/11/28", "ヤマト運輸", "1234-5678-9012"]).unwrap();
        assert_eq!(again, name, "the same change, the same name");
        let (other, _) = upload_file("shipping", ["FS00100001", "", "2026/11/29", "ヤマト運輸", "1234-5678-9012"]).unwrap();
        assert_ne!(other, name);
        let (status, _) = upload_file("status", ["FS00100001", "COMPLETED", "", "", ""]).unwrap();
        assert!(status.starts_with("juchu-FS00100001-status-"));
        assert!(upload_file("status", ["FS1", "😀", "", "", ""]).unwrap_err().contains("CP932"));
    }

    #[test]
    fn parses_a_cp932_export_with_lines_grouped_by_order_and_jis_prefecture_codes() {
        let text = "受注コード,注文日時,請求合計金額,商品合計金額,送料,決済手数料,決済方法,通信欄,氏名(姓),氏名(名),郵便番号,都道府県区分,住所1,住所2,\
            お届け先氏名(姓),お届け先氏名(名),お届け先都道府県区分,お届け先住所1,商品番号,枝番号,商品名,項目選択肢,オプション価格,販売単価,購入数量\r\n\
            FS00100001,2026/11/28 10:15:00,6510,5280,880,330,代金引換,\"[配送日時指定:]\n2026-12-01(火)\n14:00〜16:00\",山田,花子,150-0001,13,渋谷区,神宮前1-2-3,\
            佐藤,太郎,27,大阪市北区梅田1-1,NG-MUG-001,,有田焼 マグカップ,名入れ:あり(+550円),550,3240,1\r\n\
            FS00100001,2026/11/28 10:15:00,6510,5280,880,330,代金引換,,山田,花子,150-0001,13,渋谷区,神宮前1-2-3,,,,,NG-TWL-001,-A,今治タオル,,,1980,1\r\n";
        let bytes = crate::io::text::encode_cp932(text).unwrap();
        let f = parse_export("futureshop", "nagomi", Path::new("ftp://x/orders/a.csv"), bytes).unwrap();
        assert_eq!((f.orders.len(), f.unreadable.len()), (1, 0));
        let o = &f.orders[0].order;
        assert_eq!(o.items.len(), 2);
        assert_eq!(o.orderer.prefecture, "東京都");
        assert_eq!(o.orderer.address, "東京都渋谷区 神宮前1-2-3");
        assert_eq!(o.ship_to().prefecture, "大阪府");
        assert!(o.is_gift);
        assert_eq!(o.amounts.cod_fee, Amount::Yen(330));
        assert_eq!(o.items[0].option_price, Some(550));
        assert_eq!(o.items[1].sku.as_deref(), Some("NG-TWL-001-A"));
        assert_eq!(o.desired_delivery.time_slot.as_deref(), Some("14:00-16:00"));
        let missing = parse_export("futureshop", "nagomi", Path::new("b.csv"), b"a,b\r\n1,2\r\n".to_vec()).unwrap_err();
        assert!(missing.contains("missing column(s) 受注コード"), "{missing}");
    }
}
