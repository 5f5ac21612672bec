//! Yahoo!ショッピング order API (ShoppingWebService V1, XML): an access token from the YConnect
//! refresh-token flow, orderList by order time (paged with Start/Result), then orderInfo per order.
//! Update stamps: LastUpdateTime; open orders are re-read with orderInfo. Writes: orderStatusChange
//! and orderShipStatusChange, each after an orderInfo.

use std::cell::RefCell;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::json;

use super::http::{encode, HttpClient, RetryPolicy};
use super::xml::{self, escape, Node};
use super::{Batch, Connection, MallError, Missing, OrderSource, OrderWriter, ShippingUpdate, StatusUpdate, Window, Written};
use crate::domain::order::{is_gift, Amount, Amounts, DesiredDelivery, MallDelivery, MallExtras, Order, OrderItem, Party, Shipment};
use crate::domain::time::{jst, parse_jst};

pub const LIST_PATH: &str = "/ShoppingWebService/V1/orderList";
pub const INFO_PATH: &str = "/ShoppingWebService/V1/orderInfo";
pub const TOKEN_PATH: &str = "/yconnect/v2/token";
pub const STATUS_PATH: &str = "/ShoppingWebService/V1/orderStatusChange";
pub const SHIP_PATH: &str = "/ShoppingWebService/V1/orderShipStatusChange";
/// ShipInvoiceNumberEmptyReason 105 追跡不可の配送方法: a shipment without a tracking number.
pub const NO_TRACKING_REASON: &str = "105";
/// The carrier code of ヤマト運輸, whose invoice numbers have a format of their own.
const YAMATO: &str = "1001";
const PAGE: usize = 100;
/// The fields orderList returns per order (the search only needs ids).
const LIST_FIELDS: &str = "OrderId,OrderTime,OrderStatus,LastUpdateTime";
/// The fields orderInfo returns: everything `domain::Order` holds.
const INFO_FIELDS: &str = "OrderId,Version,OrderTime,LastUpdateTime,OrderStatus,IsSeen,BuyerComments,\
PayStatus,PayMethod,PayMethodName,BillFirstName,BillLastName,BillFirstNameKana,BillLastNameKana,BillZipCode,BillPrefecture,\
BillCity,BillAddress1,BillAddress2,BillPhoneNumber,BillMailAddress,ShipStatus,ShipMethod,ShipMethodName,ShipRequestDate,\
ShipRequestTime,ShipNotes,NeedGiftWrap,ShipFirstName,ShipLastName,ShipFirstNameKana,ShipLastNameKana,ShipZipCode,ShipPrefecture,ShipCity,\
ShipAddress1,ShipAddress2,ShipPhoneNumber,ShipCompanyCode,ShipInvoiceNumber1,ShipInvoiceNumber2,ShipInvoiceNumberEmptyReason,ShipDate,PayCharge,ShipCharge,GiftWrapCharge,Discount,UsePoint,TotalCouponDiscount,\
TotalMallCouponDiscount,TotalPrice,SettleAmount,LineId,ItemId,SubCode,Title,ItemOption,Quantity,UnitPrice";

pub struct Yahoo {
    conn: Connection,
    http: HttpClient,
    token: RefCell<Option<String>>,
}

impl Yahoo {
    pub fn new(conn: Connection) -> Yahoo {
        let http = HttpClient::new(&conn.mall, conn.timeout, conn.retry.clone());
        Yahoo { conn, http, token: RefCell::new(None) }
    }

    fn payload(&self, detail: String) -> MallError {
        MallError::Payload { mall: self.conn.mall.clone(), detail }
    }

    /// YConnect's host for the real API, else the configured endpoint (the mock).
    fn token_url(&self) -> String {
        if self.conn.base_url.contains("yahooapis.jp") {
            format!("https://auth.login.yahoo.co.jp{TOKEN_PATH}")
        } else {
            format!("{}{TOKEN_PATH}", self.conn.base_url)
        }
    }

    /// An access token (1 hour) from the refresh token (4 weeks: S16).
    fn access_token(&self) -> Result<String, MallError> {
        if let Some(t) = self.token.borrow().clone() {
            return Ok(t);
        }
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.conn.credential("client_id")?,
            self.conn.credential("client_secret")?
        ));
        let headers =
            [("Authorization", format!("Basic {basic}")), ("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8".to_string())];
        let form = format!("grant_type=refresh_token&refresh_token={}", encode(self.conn.credential("refresh_token")?));
        let token = self.http.refresh_token_grant(&self.token_url(), &headers, &form, "YConnect")?;
        *self.token.borrow_mut() = Some(token.clone());
        Ok(token)
    }

    /// POSTs a `<Req>` and returns the body and its `<Result>` element.
    fn call(&self, path: &str, req: &str) -> Result<(String, Node), MallError> {
        self.exchange(path, req)?.map_err(|said| self.payload(format!("{path}: {said}")))
    }

    /// As `call`, with the mall's refusal (an `<Error>` or a Status other than OK) as its own words
    /// in the inner `Err`, for a caller that can set one order aside.
    fn exchange(&self, path: &str, req: &str) -> Result<Result<(String, Node), String>, MallError> {
        self.exchange_with(&self.http, path, req)
    }

    fn exchange_with(&self, http: &HttpClient, path: &str, req: &str) -> Result<Result<(String, Node), String>, MallError> {
        let headers = [("Authorization", format!("Bearer {}", self.access_token()?)), ("Content-Type", "application/xml".to_string())];
        let resp = http.send_xml("POST", &format!("{}{path}", self.conn.base_url), &headers, Some(req))?;
        let root = xml::parse(&resp.body).map_err(|e| self.payload(format!("{path}: HTTP {}: {e}", resp.status)))?;
        if root.name == "Error" || resp.status >= 400 {
            let detail = format!("{} {}", root.text_of("Code"), root.text_of("Message")).trim().to_string();
            if resp.status == 401 || resp.status == 403 {
                return Err(MallError::Auth {
                    mall: self.conn.mall.clone(),
                    key: "refresh_token".into(),
                    detail: format!("HTTP {}: {detail}", resp.status),
                });
            }
            return Ok(Err(format!("HTTP {}: {detail}", resp.status)));
        }
        // orderInfo wraps its Result in a ResultSet; orderList answers with the Result itself.
        let result = if root.name == "Result" {
            root
        } else {
            root.child("Result").cloned().ok_or_else(|| self.payload(format!("{path}: no <Result>")))?
        };
        if result.text_of("Status") != "OK" {
            return Ok(Err(format!("Status `{}`", result.text_of("Status"))));
        }
        Ok(Ok((resp.body, result)))
    }

    /// Order ids placed in the window, every page.
    fn order_ids(&self, window: Window) -> Result<Vec<String>, MallError> {
        let mut ids = Vec::new();
        let mut start = 1;
        loop {
            let req = format!(
                "<Req><Search><Result>{PAGE}</Result><Start>{start}</Start><Sort>+order_time</Sort><Condition>\
                 <OrderTimeFrom>{}</OrderTimeFrom><OrderTimeTo>{}</OrderTimeTo></Condition><Field>{LIST_FIELDS}</Field></Search>\
                 <SellerId>{}</SellerId></Req>",
                yahoo_time(window.from),
                yahoo_time(window.to),
                escape(&self.conn.shop_id)
            );
            let (_, result) = self.call(LIST_PATH, &req)?;
            let search = result.child("Search").ok_or_else(|| self.payload("orderList: no <Search>".into()))?;
            let total: usize = search.text_of("TotalCount").parse().unwrap_or(0);
            let page: Vec<String> = search.all("OrderInfo").map(|o| o.text_of("OrderId")).filter(|id| !id.is_empty()).collect();
            let n = page.len();
            ids.extend(page);
            if n == 0 || start - 1 + n >= total {
                return Ok(ids);
            }
            start += n;
        }
    }

    /// One order by its id, into the batch: the order, missing (the mall refused to give it, as
    /// od20002 注文ID … は存在しません), or unreadable (no `<OrderInfo>`, or one that does not parse).
    fn order_info(&self, id: &str, out: &mut Batch) -> Result<(), MallError> {
        let req = format!(
            "<Req><Target><OrderId>{}</OrderId><Field>{INFO_FIELDS}</Field></Target><SellerId>{}</SellerId></Req>",
            escape(id),
            escape(&self.conn.shop_id)
        );
        let (body, result) = match self.exchange(INFO_PATH, &req)? {
            Ok(answer) => answer,
            Err(said) => {
                out.missing.push(Missing { order_number: id.to_string(), said });
                return Ok(());
            }
        };
        let Some(info) = result.child("OrderInfo") else {
            let raw = json!({ "xml": body }).to_string();
            out.push_parsed(id, Err(format!("orderInfo {id}: the answer has no <OrderInfo>")), raw);
            return Ok(());
        };
        // The order as the mall sent it, byte for byte.
        let raw = json!({ "xml": &body[info.span.clone()] }).to_string();
        out.push_parsed(id, parse_order(&self.conn.mall, &self.conn.shop_id, info), raw);
        Ok(())
    }
}

impl OrderSource for Yahoo {
    fn fetch(&self, window: Window) -> Result<Batch, MallError> {
        let ids = self.order_ids(window)?;
        self.refresh(&ids)
    }

    fn refresh(&self, order_numbers: &[String]) -> Result<Batch, MallError> {
        let mut out = Batch::default();
        for id in order_numbers {
            self.order_info(id, &mut out)?;
        }
        Ok(out)
    }

    fn final_statuses(&self) -> &'static [&'static str] {
        // OrderStatus 4 キャンセル, 5 完了.
        &["4", "5"]
    }
}

impl Yahoo {
    fn refused(&self, detail: String) -> MallError {
        MallError::Refused { mall: self.conn.mall.clone(), detail }
    }

    /// The order's `<OrderInfo>` as orderInfo returns it now.
    fn info(&self, id: &str) -> Result<Node, MallError> {
        let req = format!(
            "<Req><Target><OrderId>{}</OrderId><Field>{INFO_FIELDS}</Field></Target><SellerId>{}</SellerId></Req>",
            escape(id),
            escape(&self.conn.shop_id)
        );
        match self.exchange(INFO_PATH, &req)? {
            Ok((_, result)) => result.child("OrderInfo").cloned().ok_or_else(|| self.payload(format!("orderInfo {id}: no <OrderInfo>"))),
            Err(said) => Err(self.refused(format!("orderInfo {id}: {said}"))),
        }
    }

    /// A write: sent once (no retry), the mall's `<Error>` as Refused.
    fn write(&self, path: &str, req: &str) -> Result<(), MallError> {
        let once = HttpClient::new(&self.conn.mall, self.conn.timeout, RetryPolicy::once());
        match self.exchange_with(&once, path, req)? {
            Ok(_) => Ok(()),
            Err(said) => Err(self.refused(format!("{}: {said}", path.trim_start_matches("/ShoppingWebService/V1/")))),
        }
    }
}

impl OrderWriter for Yahoo {
    fn update_status(&self, update: &StatusUpdate) -> Result<Written, MallError> {
        super::check_status_code(super::MallKind::Yahoo, &update.mall_status).map_err(|d| self.refused(d))?;
        let info = self.info(&update.order_number)?;
        let now = field(&info, "OrderStatus");
        if now == update.mall_status {
            return Ok(Written::AlreadySet);
        }
        let (from, to) = (now.parse::<u8>().unwrap_or(0), update.mall_status.parse::<u8>().unwrap_or(0));
        if !transition_allowed(from, to) {
            return Err(self.refused(format!(
                "Yahoo!ショッピングの注文ステータス遷移表（orderStatusChange）では {}（{}）から {}（{}）へは変更できません",
                now,
                status_name(from),
                to,
                status_name(to)
            )));
        }
        self.write(STATUS_PATH, &status_body(&self.conn.shop_id, &update.order_number, &update.mall_status))?;
        Ok(Written::Changed)
    }

    fn update_shipping(&self, update: &ShippingUpdate) -> Result<Written, MallError> {
        super::check_carrier_code(super::MallKind::Yahoo, &update.carrier_code).map_err(|d| self.refused(d))?;
        // The request is checked before the read: a shipment the mall would refuse is refused here.
        let body = ship_body(&self.conn.shop_id, update).map_err(|d| self.refused(d))?;
        let info = self.info(&update.order_number)?;
        let stored: Vec<String> =
            ["ShipInvoiceNumber1", "ShipInvoiceNumber2"].iter().map(|k| field(&info, k)).filter(|n| !n.is_empty()).collect();
        let reason = field(&info, "ShipInvoiceNumberEmptyReason");
        let shipped = field(&info, "ShipStatus").parse::<u8>().is_ok_and(|s| s >= 3);
        let numbers = &update.tracking_numbers;
        if shipped && ((!numbers.is_empty() && &stored == numbers) || (numbers.is_empty() && stored.is_empty() && !reason.is_empty())) {
            return Ok(Written::AlreadySet);
        }
        // An invoice number and an empty reason exclude each other, at the mall too.
        if !numbers.is_empty() && !reason.is_empty() {
            return Err(self.refused(format!(
                "注文 {} には送り状番号なしの理由（ShipInvoiceNumberEmptyReason {reason}）が登録済みのため、送り状番号は登録できません（モールの画面で理由を消してください）",
                update.order_number
            )));
        }
        if numbers.is_empty() && !stored.is_empty() {
            return Err(self.refused(format!(
                "注文 {} には送り状番号（{}）が登録済みのため、番号なしでは報告できません",
                update.order_number,
                stored.join(", ")
            )));
        }
        self.write(SHIP_PATH, &body)?;
        Ok(Written::Changed)
    }
}

/// OrderStatus names (1 予約中, 2 処理中, 3 保留, 4 キャンセル, 5 完了).
pub fn status_name(code: u8) -> &'static str {
    match code {
        1 => "予約中",
        2 => "処理中",
        3 => "保留",
        4 => "キャンセル",
        5 => "完了",
        _ => "不明",
    }
}

/// The official orderStatusChange transition table (row = from, column = to). 保留→予約中 is allowed
/// by the mall only for a future release date, which juchu cannot see: it is not sent.
pub fn transition_allowed(from: u8, to: u8) -> bool {
    matches!((from, to), (1, 4 | 5) | (2, 3..=5) | (3, 2 | 4 | 5) | (5, 2 | 4))
}

/// ヤマト運輸's invoice numbers at Yahoo: half-width digits and `-` only, at most 14 bytes.
pub fn yamato_number_ok(number: &str) -> bool {
    !number.is_empty() && number.len() <= 14 && number.bytes().all(|b| b.is_ascii_digit() || b == b'-')
}

/// orderStatusChange's body. IsPointFix is true (the mall requires it for 完了, and it fixes the points).
pub fn status_body(seller: &str, order_id: &str, status: &str) -> String {
    format!(
        "<Req><Target><OrderId>{}</OrderId><IsPointFix>true</IsPointFix><OperationUser>juchu</OperationUser></Target>\
         <Order><OrderStatus>{}</OrderStatus></Order><SellerId>{}</SellerId></Req>",
        escape(order_id),
        escape(status),
        escape(seller)
    )
}

/// orderShipStatusChange's body: ShipStatus 3 出荷済み, the carrier, the ship date, and either the
/// invoice numbers (at most two) or, without any, the empty reason 105 追跡不可の配送方法 — never both.
pub fn ship_body(seller: &str, update: &ShippingUpdate) -> Result<String, String> {
    let numbers = &update.tracking_numbers;
    if numbers.len() > 2 {
        return Err(format!("Yahoo!ショッピングに登録できる送り状番号は2つまでです（{} 個あります）", numbers.len()));
    }
    if update.carrier_code == YAMATO {
        if let Some(bad) = numbers.iter().find(|n| !yamato_number_ok(n)) {
            return Err(format!("Yahoo!ショッピングでは、ヤマト運輸の送り状番号は半角数字と「-」で14バイト以内です（「{bad}」）"));
        }
    }
    let invoice: String = if numbers.is_empty() {
        format!("<ShipInvoiceNumberEmptyReason>{NO_TRACKING_REASON}</ShipInvoiceNumberEmptyReason>")
    } else {
        numbers.iter().enumerate().map(|(k, n)| format!("<ShipInvoiceNumber{0}>{1}</ShipInvoiceNumber{0}>", k + 1, escape(n))).collect()
    };
    Ok(format!(
        "<Req><Target><OrderId>{}</OrderId><IsPointFix>true</IsPointFix><OperationUser>juchu</OperationUser></Target>\
         <Order><Ship><ShipStatus>3</ShipStatus><ShipCompanyCode>{}</ShipCompanyCode>{invoice}<ShipDate>{}</ShipDate></Ship></Order>\
         <SellerId>{}</SellerId></Req>",
        escape(&update.order_number),
        escape(&update.carrier_code),
        update.shipped_on.format("%Y%m%d"),
        escape(seller)
    ))
}

/// `yyyyMMddHHmmss` in JST, as orderList wants it.
pub fn yahoo_time(t: DateTime<FixedOffset>) -> String {
    t.with_timezone(&jst()).format("%Y%m%d%H%M%S").to_string()
}

/// A time as Yahoo writes it: `20261128101500` or RFC 3339.
fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S")
        .ok()
        .and_then(|t| t.and_local_timezone(jst()).single())
        .or_else(|| parse_jst(s))
}

/// A field of `<OrderInfo>`, wherever it is grouped (`<Pay>`, `<Ship>`, `<Detail>`, `<Seller>` or none).
fn field(info: &Node, name: &str) -> String {
    if let Some(n) = info.child(name) {
        return n.text.trim().to_string();
    }
    info.children
        .iter()
        .filter(|c| !c.children.is_empty() && c.name != "Item")
        .find_map(|g| g.child(name))
        .map(|n| n.text.trim().to_string())
        .unwrap_or_default()
}

/// An amount of the order: Absent where Yahoo sent none (unknown, not 0 yen).
fn amount(info: &Node, name: &str, id: &str) -> Result<Amount, String> {
    Ok(xml::number(&field(info, name), name, id)?.map_or(Amount::Absent, Amount::from_mall))
}

/// A part of the bill Yahoo leaves out when there is none (a fee, a discount, points): 0 yen.
fn part(info: &Node, name: &str, id: &str) -> Result<Amount, String> {
    Ok(xml::number(&field(info, name), name, id)?.map_or(Amount::Yen(0), Amount::from_mall))
}

/// OrderStatus 4 is キャンセル (the reference confirms only 2 処理中 and 5 完了; 4 is from the full
/// list it gives as unverified).
const CANCELLED: &str = "4";

/// One `<OrderInfo>` of orderInfo into an Order.
pub fn parse_order(mall: &str, shop: &str, info: &Node) -> Result<Order, String> {
    let id = field(info, "OrderId");
    if id.is_empty() {
        return Err("an OrderInfo without OrderId".into());
    }
    let ordered_at =
        parse_time(&field(info, "OrderTime")).ok_or_else(|| format!("order {id}: OrderTime `{}`", field(info, "OrderTime")))?;
    let party = |p: &str| {
        let f = |k: &str| field(info, &format!("{p}{k}"));
        let join = |a: String, b: String| format!("{a} {b}").trim().to_string();
        Party {
            name: join(f("LastName"), f("FirstName")),
            name_kana: join(f("LastNameKana"), f("FirstNameKana")),
            postal_code: f("ZipCode"),
            prefecture: f("Prefecture"),
            address: format!("{}{}{}{}", f("Prefecture"), f("City"), f("Address1"), f("Address2")),
            phone: f("PhoneNumber"),
            email: f("MailAddress"),
        }
    };
    let (orderer, ship_to) = (party("Bill"), party("Ship"));
    let mut items = Vec::new();
    for it in info.all("Item") {
        // Options: <ItemOption><Name>サイズ</Name><Value>L</Value><Price>0</Price></ItemOption>, one per choice.
        let options: Vec<&Node> = it.all("ItemOption").collect();
        let options_text = options.iter().map(|o| format!("{}:{}", o.text_of("Name"), o.text_of("Value"))).collect::<Vec<_>>().join("\n");
        let mut option_prices = Vec::new();
        for o in &options {
            option_prices.extend(xml::number(&o.text_of("Price"), "ItemOption/Price", &id)?);
        }
        let sub_code = it.text_of("SubCode");
        items.push(OrderItem {
            product_code: it.text_of("ItemId"),
            item_key: it.text_of("ItemId"),
            sku: Some(sub_code).filter(|s| !s.is_empty()),
            name: it.text_of("Title"),
            unit_price: xml::number(&it.text_of("UnitPrice"), "UnitPrice", &id)?,
            quantity: it.text_of("Quantity").parse().unwrap_or(0),
            options_text,
            // None where no choice has a price: unknown, not free.
            option_price: (!option_prices.is_empty()).then(|| option_prices.iter().sum()),
            tax_rate: None,
            tax_excluded: false,
            ..Default::default()
        });
    }
    let remarks = field(info, "BuyerComments");
    let date = field(info, "ShipRequestDate");
    let field_date =
        NaiveDate::parse_from_str(&date, "%Y%m%d").or_else(|_| NaiveDate::parse_from_str(&date.replace('/', "-"), "%Y-%m-%d")).ok();
    let field_slot = Some(field(info, "ShipRequestTime")).filter(|s| !s.is_empty());
    let desired_delivery = DesiredDelivery::from_fields_or_remarks(field_date, field_slot, &remarks);
    let coupons = [part(info, "TotalCouponDiscount", &id)?, part(info, "TotalMallCouponDiscount", &id)?, part(info, "Discount", &id)?]
        .iter()
        .try_fold(0i64, |sum, a| a.yen().map(|y| sum + y))
        .map_or(Amount::NotFixed, Amount::Yen);
    // PayCharge is the payment's fee; for cash on delivery that is the COD fee (代引手数料).
    let payment_method = Some(field(info, "PayMethodName")).filter(|s| !s.is_empty()).unwrap_or_else(|| field(info, "PayMethod"));
    let pay_charge = part(info, "PayCharge", &id)?;
    let (cod_fee, payment_fee) =
        if payment_method.contains("代金引換") { (pay_charge, Amount::Yen(0)) } else { (Amount::Yen(0), pay_charge) };
    // Yahoo sends no goods total: the lines' sum, unknown once a line has no price.
    let goods = items.iter().map(OrderItem::line_total).sum::<Option<i64>>().map_or(Amount::Absent, Amount::Yen);
    let delivery = MallDelivery { method: field(info, "ShipMethod"), temperature: None, source: "ShipMethod".into() };
    // A gift wrapping asked for makes the order a present; none asked for proves nothing (a 別送 to
    // someone else is still a gift), so the names and addresses decide then.
    let mut extras = MallExtras::default();
    // What orderShipStatusChange stored, as `会社コード:番号` like Rakuten's.
    for k in ["ShipInvoiceNumber1", "ShipInvoiceNumber2"] {
        let number = field(info, k);
        if !number.is_empty() {
            extras.tracking_numbers.push(format!("{}:{number}", field(info, "ShipCompanyCode")));
        }
    }
    let gift = match field(info, "NeedGiftWrap").as_str() {
        "true" | "1" => {
            extras.gift_flag = Some("NeedGiftWrap true (ギフト包装)".into());
            extras.wrapping.push("ギフト包装".into());
            true
        }
        _ => is_gift(&orderer, &ship_to),
    };
    let amounts = Amounts {
        goods,
        shipping: amount(info, "ShipCharge", &id)?,
        cod_fee,
        payment_fee,
        coupons,
        points: part(info, "UsePoint", &id)?,
        billing_total: amount(info, "TotalPrice", &id)?,
        shop_coupons: Amount::Absent,
        ..Default::default()
    };
    let mall_status = field(info, "OrderStatus");
    Ok(Order {
        mall: mall.to_string(),
        shop: shop.to_string(),
        order_number: id,
        ordered_at,
        cancelled: mall_status == CANCELLED,
        mall_status,
        is_gift: gift,
        orderer,
        shipments: vec![Shipment { delivery, ..Shipment::to(ship_to) }],
        items,
        payment_method,
        desired_delivery,
        remarks,
        amounts,
        extras,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_order_info_in_its_groups_with_options_and_request_fields() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ResultSet totalResultsAvailable=\"1\" totalResultsReturned=\"1\" firstResultPosition=\"1\">\
            <Result><Status>OK</Status><OrderInfo><OrderId>nagomi-zakka-10000001</OrderId><Version>3</Version>\
            <OrderTime>2026-11-28T10:15:00+09:00</OrderTime><OrderStatus>2</OrderStatus><BuyerComments>[配送日時指定:]&#10;2026-12-01(火)&#10;午前中</BuyerComments>\
            <Pay><PayMethod>payment_a1</PayMethod><PayMethodName>クレジットカード決済</PayMethodName><BillLastName>山田</BillLastName><BillFirstName>花子</BillFirstName>\
            <BillZipCode>1500001</BillZipCode><BillPrefecture>東京都</BillPrefecture><BillCity>渋谷区</BillCity><BillAddress1>神宮前1-2-3</BillAddress1></Pay>\
            <Ship><ShipRequestDate>20261202</ShipRequestDate><ShipRequestTime>14:00-16:00</ShipRequestTime><ShipLastName>佐藤</ShipLastName><ShipFirstName>太郎</ShipFirstName>\
            <ShipPrefecture>大阪府</ShipPrefecture><ShipCity>大阪市北区</ShipCity><ShipAddress1>梅田1-1</ShipAddress1></Ship>\
            <Detail><PayCharge>0</PayCharge><ShipCharge>880</ShipCharge><UsePoint>100</UsePoint><TotalCouponDiscount>300</TotalCouponDiscount><TotalPrice>4720</TotalPrice></Detail>\
            <Item><LineId>1</LineId><ItemId>NG-TSH-001</ItemId><SubCode>NG-TSH-001-L</SubCode><Title>和柄 Tシャツ</Title>\
            <ItemOption><Index>1</Index><Name>サイズ</Name><Value>L</Value><Price>0</Price></ItemOption><Quantity>1</Quantity><UnitPrice>3300</UnitPrice></Item>\
            <Item><LineId>2</LineId><ItemId>NG-TNG-001</ItemId><Title>手ぬぐい</Title><Quantity>1</Quantity><UnitPrice>1100</UnitPrice></Item>\
            </OrderInfo></Result></ResultSet>";
        let root = xml::parse(body).unwrap();
        let info = root.child("Result").and_then(|r| r.child("OrderInfo")).unwrap();
        let o = parse_order("yahoo", "nagomi-zakka", info).unwrap();
        assert_eq!(o.order_number, "nagomi-zakka-10000001");
        assert_eq!(o.ordered_at.to_rfc3339(), "2026-11-28T10:15:00+09:00");
        assert_eq!(o.orderer.name, "山田 花子");
        assert_eq!(o.ship_to().prefecture, "大阪府");
        assert!(o.is_gift);
        assert_eq!(o.items[0].sku.as_deref(), Some("NG-TSH-001-L"));
        assert_eq!(o.items[0].options_text, "サイズ:L");
        assert_eq!(o.items[1].option_price, None);
        assert_eq!(o.amounts.goods, Amount::Yen(4400));
        assert_eq!(o.amounts.coupons, Amount::Yen(300));
        assert_eq!(o.amounts.billing_total, Amount::Yen(4720));
        // The structured request fields win over the remarks.
        assert_eq!(o.desired_delivery.date.map(|d| d.to_string()).as_deref(), Some("2026-12-02"));
        assert_eq!(o.desired_delivery.source.as_deref(), Some("field"));
        assert!(body[info.span.clone()].starts_with("<OrderInfo><OrderId>nagomi-zakka-10000001"));
    }

    /// The `<OrderInfo>` of an orderInfo answer, as `order_info` takes it from the envelope.
    fn parse_fixture(body: &str) -> Result<Order, String> {
        let root = xml::parse(body).unwrap();
        let info = root.child("Result").and_then(|r| r.child("OrderInfo")).expect("ResultSet/Result/OrderInfo");
        parse_order("yahoo", "nagomi-zakka", info)
    }

    const FULL: &str = include_str!("../../tests/fixtures/malls/yahoo/orderInfo-full.xml");
    const CANCELLED_ORDER: &str = include_str!("../../tests/fixtures/malls/yahoo/orderInfo-cancelled.xml");

    #[test]
    fn a_full_order_keeps_the_ship_method_the_request_fields_the_gift_wrap_and_option_prices() {
        let o = parse_fixture(FULL).unwrap();
        assert_eq!(o.order_number, "nagomi-zakka-10000123");
        assert_eq!((o.mall_status.as_str(), o.cancelled), ("2", false));
        let d = &o.shipments[0].delivery;
        assert_eq!((d.method.as_str(), d.source.as_str(), d.temperature.as_deref()), ("postage1", "ShipMethod", None));
        // The structured request fields win over the remarks' block.
        assert_eq!(o.desired_delivery.date.map(|d| d.to_string()).as_deref(), Some("2026-12-02"));
        assert_eq!(o.desired_delivery.time_slot.as_deref(), Some("14:00-16:00"));
        assert_eq!(o.desired_delivery.source.as_deref(), Some("field"));
        // Shipped to the orderer herself, but wrapped as a present: the mall's sign wins.
        assert_eq!(o.orderer.name, o.ship_to().name);
        assert!(o.is_gift);
        assert_eq!(o.extras.gift_flag.as_deref(), Some("NeedGiftWrap true (ギフト包装)"));
        assert_eq!(o.extras.wrapping, ["ギフト包装"]);
        assert_eq!(o.items[0].option_price, Some(550));
        assert_eq!(o.items[0].options_text, "名入れ:あり");
        assert_eq!(o.items[1].option_price, Some(0));
        assert_eq!(o.items[1].options_text, "サイズ:L\nラッピング:なし");
        assert_eq!(o.items[1].sku.as_deref(), Some("NG-TSH-001-L"));
        assert_eq!(o.items.iter().map(|i| i.unit_price).collect::<Vec<_>>(), [Some(3240), Some(2200)]);
        let a = &o.amounts;
        assert_eq!((a.goods, a.shipping, a.coupons, a.points), (Amount::Yen(5440), Amount::Yen(880), Amount::Yen(300), Amount::Yen(100)));
        assert_eq!((a.cod_fee, a.payment_fee, a.billing_total), (Amount::Yen(0), Amount::Yen(0), Amount::Yen(6470)));
        assert_eq!(o.customer_key().as_deref(), Some("yahoo:mail:hanako@example.jp"));
    }

    #[test]
    fn what_yahoo_did_not_send_stays_unknown_and_status_4_is_a_cancellation() {
        let o = parse_fixture(CANCELLED_ORDER).unwrap();
        assert_eq!(o.ordered_at.to_rfc3339(), "2026-11-28T11:30:00+09:00");
        assert_eq!((o.mall_status.as_str(), o.cancelled), ("4", true));
        // No TotalPrice, no ShipCharge, a line without UnitPrice: unknown, never 0 yen.
        assert_eq!(o.amounts.billing_total, Amount::Absent);
        assert_eq!(o.amounts.shipping, Amount::Absent);
        assert_eq!(o.items[0].unit_price, Some(1100));
        assert_eq!(o.items[1].unit_price, None);
        assert_eq!(o.amounts.goods, Amount::Absent, "the lines' sum is unknown once a line has no price");
        // An option without a price is no free option.
        assert_eq!(o.items[1].option_price, None);
        // Parts of the bill Yahoo leaves out are none: 0 yen.
        assert_eq!((o.amounts.cod_fee, o.amounts.points, o.amounts.coupons), (Amount::Yen(330), Amount::Yen(0), Amount::Yen(0)));
        // No ShipMethod: no method, not a default one.
        assert_eq!(o.shipments[0].delivery.method, "");
        // No orderer name nor address proves nothing: not a gift, and no gift flag.
        assert_eq!(o.orderer.name, "");
        assert!(!o.is_gift);
        assert_eq!(o.extras.gift_flag, None);
        assert_eq!(o.desired_delivery, DesiredDelivery::default());
        assert_eq!(o.customer_key(), None);
    }

    #[test]
    fn no_status_stays_empty_and_a_wrapping_not_asked_for_leaves_the_gift_to_the_addresses() {
        let o = parse_fixture(&FULL.replace("<OrderStatus>2</OrderStatus>", "")).unwrap();
        assert_eq!(o.mall_status, "", "not defaulted: the fetch stage warns (F005)");
        assert!(!o.status_known() && !o.cancelled);
        let o = parse_fixture(&FULL.replace("<NeedGiftWrap>true</NeedGiftWrap>", "<NeedGiftWrap>false</NeedGiftWrap>")).unwrap();
        assert!(!o.is_gift, "sent to the orderer, unwrapped");
        assert_eq!(o.extras.gift_flag, None);
        let o = parse_fixture(
            &FULL
                .replace("<NeedGiftWrap>true</NeedGiftWrap>", "<NeedGiftWrap>false</NeedGiftWrap>")
                .replace("<ShipFirstName>花子", "<ShipFirstName>太郎"),
        )
        .unwrap();
        assert!(o.is_gift, "another recipient is a gift, wrapped or not");
    }

    #[test]
    fn an_amount_that_is_not_a_number_is_an_error_naming_the_order_and_the_field() {
        for (from, to, field) in [
            ("<TotalPrice>6470</TotalPrice>", "<TotalPrice>6,470</TotalPrice>", "TotalPrice"),
            ("<UnitPrice>3240</UnitPrice>", "<UnitPrice>three</UnitPrice>", "UnitPrice"),
            ("<Price>550</Price>", "<Price>+550円</Price>", "ItemOption/Price"),
            ("<UsePoint>100</UsePoint>", "<UsePoint>百</UsePoint>", "UsePoint"),
        ] {
            let err = parse_fixture(&FULL.replace(from, to)).unwrap_err();
            assert!(err.contains("nagomi-zakka-10000123") && err.contains(field), "{field}: {err}");
        }
    }

    fn shipment(carrier: &str, numbers: &[&str]) -> ShippingUpdate {
        ShippingUpdate {
            order_number: "nagomi-zakka-10000001".into(),
            carrier_code: carrier.into(),
            carrier_name: String::new(),
            tracking_numbers: numbers.iter().map(|n| n.to_string()).collect(),
            shipped_on: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        }
    }

    #[test]
    fn the_official_transition_table() {
        let allowed: Vec<(u8, u8)> =
            (1..=5).flat_map(|f| (1..=5).map(move |t| (f, t))).filter(|(f, t)| transition_allowed(*f, *t)).collect();
        assert_eq!(allowed, [(1, 4), (1, 5), (2, 3), (2, 4), (2, 5), (3, 2), (3, 4), (3, 5), (5, 2), (5, 4)]);
        assert!(!transition_allowed(4, 2), "キャンセル is final");
        assert!(!transition_allowed(3, 1), "保留→予約中 only for a future release date");
    }

    #[test]
    fn ship_bodies_carry_a_number_or_the_empty_reason_never_both() {
        let b = ship_body("nagomi-zakka", &shipment("1001", &["1234-5678-9012"])).unwrap();
        assert_eq!(
            b,
            "<Req><Target><OrderId>nagomi-zakka-10000001</OrderId><IsPointFix>true</IsPointFix><OperationUser>juchu</OperationUser></Target>\
             <Order><Ship><ShipStatus>3</ShipStatus><ShipCompanyCode>1001</ShipCompanyCode><ShipInvoiceNumber1>1234-5678-9012</ShipInvoiceNumber1>\
             <ShipDate>20261128</ShipDate></Ship></Order><SellerId>nagomi-zakka</SellerId></Req>"
        );
        let two = ship_body("s", &shipment("1002", &["A1", "B2"])).unwrap();
        assert!(two.contains("<ShipInvoiceNumber1>A1</ShipInvoiceNumber1><ShipInvoiceNumber2>B2</ShipInvoiceNumber2>"), "{two}");
        let none = ship_body("s", &shipment("1003", &[])).unwrap();
        assert!(
            none.contains("<ShipInvoiceNumberEmptyReason>105</ShipInvoiceNumberEmptyReason>") && !none.contains("ShipInvoiceNumber1"),
            "{none}"
        );
        assert!(ship_body("s", &shipment("1001", &["1234５678"])).unwrap_err().contains("ヤマト運輸"));
        assert!(ship_body("s", &shipment("1001", &["123456789012345"])).is_err(), "15 bytes");
        assert!(ship_body("s", &shipment("1002", &["AB-12"])).is_ok(), "the rule is ヤマト's only");
        assert!(ship_body("s", &shipment("1002", &["1", "2", "3"])).unwrap_err().contains("2つまで"));
        assert!(yamato_number_ok("1234-5678-90") && !yamato_number_ok("") && !yamato_number_ok("12 34"));
        assert_eq!(
            status_body("s", "s-1", "5"),
            "<Req><Target><OrderId>s-1</OrderId><IsPointFix>true</IsPointFix><OperationUser>juchu</OperationUser></Target>\
             <Order><OrderStatus>5</OrderStatus></Order><SellerId>s</SellerId></Req>"
        );
    }

    #[test]
    fn list_times_are_jst_digits() {
        let t = DateTime::parse_from_rfc3339("2026-11-28T01:00:00Z").unwrap();
        assert_eq!(yahoo_time(t), "20261128100000");
    }
}
