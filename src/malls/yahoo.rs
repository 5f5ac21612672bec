//! Yahoo!ショッピング order API (ShoppingWebService V1, XML): an access token from the YConnect
//! refresh-token flow, orderList by order time (paged with Start/Result), then orderInfo per order.
//! Update stamps: LastUpdateTime; open orders are re-read with orderInfo.

use std::cell::RefCell;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::json;

use super::http::{encode, HttpClient};
use super::xml::{self, escape, Node};
use super::{Connection, Fetched, MallError, OrderSource, Window};
use crate::domain::order::{is_gift, Amount, Amounts, DesiredDelivery, Order, OrderItem, Party, Shipment};
use crate::domain::time::{jst, parse_jst};

pub const LIST_PATH: &str = "/ShoppingWebService/V1/orderList";
pub const INFO_PATH: &str = "/ShoppingWebService/V1/orderInfo";
pub const TOKEN_PATH: &str = "/yconnect/v2/token";
const PAGE: usize = 100;
/// The fields orderList returns per order (the search only needs ids).
const LIST_FIELDS: &str = "OrderId,OrderTime,OrderStatus,LastUpdateTime";
/// The fields orderInfo returns: everything `domain::Order` holds.
const INFO_FIELDS: &str = "OrderId,Version,OrderTime,LastUpdateTime,OrderStatus,IsSeen,BuyerComments,\
PayStatus,PayMethod,PayMethodName,BillFirstName,BillLastName,BillFirstNameKana,BillLastNameKana,BillZipCode,BillPrefecture,\
BillCity,BillAddress1,BillAddress2,BillPhoneNumber,BillMailAddress,ShipStatus,ShipMethod,ShipMethodName,ShipRequestDate,\
ShipRequestTime,ShipNotes,ShipFirstName,ShipLastName,ShipFirstNameKana,ShipLastNameKana,ShipZipCode,ShipPrefecture,ShipCity,\
ShipAddress1,ShipAddress2,ShipPhoneNumber,PayCharge,ShipCharge,GiftWrapCharge,Discount,UsePoint,TotalCouponDiscount,\
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
        let headers = [("Authorization", format!("Bearer {}", self.access_token()?)), ("Content-Type", "application/xml".to_string())];
        let resp = self.http.send_xml("POST", &format!("{}{path}", self.conn.base_url), &headers, Some(req))?;
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
            return Err(self.payload(format!("{path}: HTTP {}: {detail}", resp.status)));
        }
        // orderInfo wraps its Result in a ResultSet; orderList answers with the Result itself.
        let result = if root.name == "Result" {
            root
        } else {
            root.child("Result").cloned().ok_or_else(|| self.payload(format!("{path}: no <Result>")))?
        };
        if result.text_of("Status") != "OK" {
            return Err(self.payload(format!("{path}: Status `{}`", result.text_of("Status"))));
        }
        Ok((resp.body, result))
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

    fn order_info(&self, id: &str) -> Result<Fetched, MallError> {
        let req = format!(
            "<Req><Target><OrderId>{}</OrderId><Field>{INFO_FIELDS}</Field></Target><SellerId>{}</SellerId></Req>",
            escape(id),
            escape(&self.conn.shop_id)
        );
        let (body, result) = self.call(INFO_PATH, &req)?;
        let info = result.child("OrderInfo").ok_or_else(|| self.payload(format!("orderInfo {id}: no <OrderInfo>")))?;
        let order = parse_order(&self.conn.mall, &self.conn.shop_id, info).map_err(|e| self.payload(e))?;
        // The order as the mall sent it, byte for byte.
        Ok(Fetched { order, raw: json!({ "xml": &body[info.span.clone()] }).to_string() })
    }
}

impl OrderSource for Yahoo {
    fn fetch(&self, window: Window) -> Result<Vec<Fetched>, MallError> {
        let ids = self.order_ids(window)?;
        ids.iter().map(|id| self.order_info(id)).collect()
    }

    fn refresh(&self, order_numbers: &[String]) -> Result<Vec<Fetched>, MallError> {
        order_numbers.iter().map(|id| self.order_info(id)).collect()
    }

    fn final_statuses(&self) -> &'static [&'static str] {
        // OrderStatus 4 キャンセル, 5 完了.
        &["4", "5"]
    }
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

fn yen(info: &Node, name: &str) -> Amount {
    field(info, name).parse().map(Amount::from_mall).unwrap_or(Amount::Yen(0))
}

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
    let items = info
        .all("Item")
        .map(|it| {
            // Options: <ItemOption><Name>サイズ</Name><Value>L</Value><Price>0</Price></ItemOption>, one per choice.
            let options: Vec<&Node> = it.all("ItemOption").collect();
            let options_text =
                options.iter().map(|o| format!("{}:{}", o.text_of("Name"), o.text_of("Value"))).collect::<Vec<_>>().join("\n");
            let option_price = (!options.is_empty()).then(|| options.iter().filter_map(|o| o.text_of("Price").parse::<i64>().ok()).sum());
            let sub_code = it.text_of("SubCode");
            OrderItem {
                product_code: it.text_of("ItemId"),
                item_key: it.text_of("ItemId"),
                sku: Some(sub_code).filter(|s| !s.is_empty()),
                name: it.text_of("Title"),
                unit_price: Some(it.text_of("UnitPrice").parse().unwrap_or(0)),
                quantity: it.text_of("Quantity").parse().unwrap_or(0),
                options_text,
                option_price,
                tax_rate: None,
                tax_excluded: false,
                ..Default::default()
            }
        })
        .collect();
    let remarks = field(info, "BuyerComments");
    let date = field(info, "ShipRequestDate");
    let field_date =
        NaiveDate::parse_from_str(&date, "%Y%m%d").or_else(|_| NaiveDate::parse_from_str(&date.replace('/', "-"), "%Y-%m-%d")).ok();
    let field_slot = Some(field(info, "ShipRequestTime")).filter(|s| !s.is_empty());
    let desired_delivery = DesiredDelivery::from_fields_or_remarks(field_date, field_slot, &remarks);
    let coupons = [yen(info, "TotalCouponDiscount"), yen(info, "TotalMallCouponDiscount"), yen(info, "Discount")]
        .iter()
        .try_fold(0i64, |sum, a| a.yen().map(|y| sum + y))
        .map_or(Amount::NotFixed, Amount::Yen);
    // PayCharge is the payment's fee; for cash on delivery that is the COD fee (代引手数料).
    let payment_method = Some(field(info, "PayMethodName")).filter(|s| !s.is_empty()).unwrap_or_else(|| field(info, "PayMethod"));
    let (cod_fee, payment_fee) = if payment_method.contains("代金引換") {
        (yen(info, "PayCharge"), Amount::Yen(0))
    } else {
        (Amount::Yen(0), yen(info, "PayCharge"))
    };
    let goods: i64 = info
        .all("Item")
        .map(|it| it.text_of("UnitPrice").parse::<i64>().unwrap_or(0) * it.text_of("Quantity").parse::<i64>().unwrap_or(0))
        .sum();
    Ok(Order {
        mall: mall.to_string(),
        shop: shop.to_string(),
        order_number: id,
        ordered_at,
        mall_status: field(info, "OrderStatus"),
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
            shipping: yen(info, "ShipCharge"),
            cod_fee,
            payment_fee,
            coupons,
            points: yen(info, "UsePoint"),
            billing_total: yen(info, "TotalPrice"),
            ..Default::default()
        },
        extras: Default::default(),
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

    #[test]
    fn list_times_are_jst_digits() {
        let t = DateTime::parse_from_rfc3339("2026-11-28T01:00:00Z").unwrap();
        assert_eq!(yahoo_time(t), "20261128100000");
    }
}
