//! au PAY マーケット (Wowma!) shop API: searchTradeInfoListProc (XML, `Authorization: Bearer <APIキー>`),
//! by order date in whole days, paged with startCount/totalCount; statuses are Japanese strings.
//! Writes: updateTradeStsProc and updateTradeInfoProc (flat `<request>` bodies), each after a
//! searchTradeInfoProc.

use chrono::NaiveDate;
use serde_json::json;

use super::http::{encode, HttpClient, RetryPolicy};
use super::xml::{self, escape, Node};
use super::{Batch, Connection, MallError, Missing, OrderSource, OrderWriter, ShippingUpdate, StatusUpdate, Window, Written};
use crate::domain::order::{is_gift, Amount, Amounts, MallDelivery, MallExtras, Order, OrderItem, Party, Shipment};
use crate::domain::remarks::desired_delivery_from_remarks;
use crate::domain::time::{jst, parse_jst};

pub const SEARCH_PATH: &str = "/wmshopapi/searchTradeInfoListProc";
pub const ONE_PATH: &str = "/wmshopapi/searchTradeInfoProc";
pub const STATUS_PATH: &str = "/wmshopapi/updateTradeStsProc";
pub const INFO_PATH: &str = "/wmshopapi/updateTradeInfoProc";
const PAGE: usize = 100;

pub struct AuPay {
    conn: Connection,
    http: HttpClient,
}

impl AuPay {
    pub fn new(conn: Connection) -> AuPay {
        let http = HttpClient::new(&conn.mall, conn.timeout, conn.retry.clone());
        AuPay { conn, http }
    }

    fn payload(&self, detail: String) -> MallError {
        MallError::Payload { mall: self.conn.mall.clone(), detail }
    }

    /// One page of orders of the days from..=to.
    fn page(&self, from: NaiveDate, to: NaiveDate, start: usize) -> Result<(String, Node), MallError> {
        let query = format!(
            "shopId={}&totalCount={PAGE}&startCount={start}&startDate={}&endDate={}&dateType=0",
            encode(&self.conn.shop_id),
            from.format("%Y%m%d"),
            to.format("%Y%m%d")
        );
        self.get(SEARCH_PATH, &query)
    }

    /// A read call: GET with query parameters, XML back.
    fn get(&self, path: &str, query: &str) -> Result<(String, Node), MallError> {
        let url = format!("{}{path}?{query}", self.conn.base_url);
        let headers = [
            ("Authorization", format!("Bearer {}", self.conn.credential("api_key")?)),
            ("Content-Type", "application/x-www-form-urlencoded".to_string()),
        ];
        let resp = self.http.send_xml("GET", &url, &headers, None)?;
        let root = xml::parse(&resp.body).map_err(|e| self.payload(format!("{path}: HTTP {}: {e}", resp.status)))?;
        let result = root.child("result");
        let status = result.map(|r| r.text_of("status")).unwrap_or_default();
        if status != "0" {
            let err = result.and_then(|r| r.child("error"));
            let code = err.map(|e| e.text_of("code")).unwrap_or_default();
            let message = err.map(|e| e.text_of("message")).unwrap_or_default();
            // Refused keys only: an unknown order number is an error of its own (PMB0201), not of the key.
            if resp.status == 401 || resp.status == 403 || message.contains("認証") {
                return Err(MallError::Auth { mall: self.conn.mall.clone(), key: "api_key".into(), detail: format!("{code} {message}") });
            }
            return Err(self.payload(format!("{path}: status {status}: {code} {message}")));
        }
        Ok((resp.body, root))
    }
}

impl OrderSource for AuPay {
    fn fetch(&self, window: Window) -> Result<Batch, MallError> {
        let (from, to) = (window.from.with_timezone(&jst()).date_naive(), window.to.with_timezone(&jst()).date_naive());
        let mut out = Batch::default();
        let mut start = 1;
        loop {
            let (body, root) = self.page(from, to, start)?;
            let infos: Vec<&Node> = root.all("orderInfo").collect();
            for info in &infos {
                read_info(&mut out, &self.conn, &body, info);
            }
            if infos.len() < PAGE {
                break;
            }
            start += PAGE;
        }
        // Orders of the first day before the window were already stored; the upsert leaves them be.
        out.orders.retain(|f| f.order.ordered_at <= window.to);
        Ok(out)
    }

    fn refresh(&self, order_numbers: &[String]) -> Result<Batch, MallError> {
        // Open orders of earlier days: one searchTradeInfoProc each (status moves on after their day).
        let mut out = Batch::default();
        for id in order_numbers {
            let query = format!("shopId={}&orderId={}", encode(&self.conn.shop_id), encode(id));
            match self.get(ONE_PATH, &query) {
                Ok((body, root)) => match root.child("orderInfo") {
                    Some(info) => read_info(&mut out, &self.conn, &body, info),
                    None => out.missing.push(Missing { order_number: id.clone(), said: format!("{ONE_PATH}: no orderInfo") }),
                },
                // The mall refused this one order (an unknown number): pending, not the whole poll.
                Err(MallError::Payload { detail, .. }) => out.missing.push(Missing { order_number: id.clone(), said: detail }),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    fn final_statuses(&self) -> &'static [&'static str] {
        &["完了", "キャンセル"]
    }
}

impl AuPay {
    fn refused(&self, detail: String) -> MallError {
        MallError::Refused { mall: self.conn.mall.clone(), detail }
    }

    /// The order's `<orderInfo>` as searchTradeInfoProc returns it now; the mall's own error
    /// (`<status>1</status>`, an unknown order) is Refused.
    fn info(&self, id: &str) -> Result<Node, MallError> {
        let query = format!("shopId={}&orderId={}", encode(&self.conn.shop_id), encode(id));
        match self.get(ONE_PATH, &query) {
            Ok((_, root)) => root.child("orderInfo").cloned().ok_or_else(|| self.refused(format!("{ONE_PATH}: 注文 {id} がありません"))),
            Err(MallError::Payload { detail, .. }) if detail.contains(": status 1:") => Err(self.refused(detail)),
            Err(e) => Err(e),
        }
    }

    /// A write: POSTed once (no retry), `<status>0</status>` is done, the mall's error is Refused.
    fn write(&self, path: &str, body: &str) -> Result<(), MallError> {
        let once = HttpClient::new(&self.conn.mall, self.conn.timeout, RetryPolicy::once());
        let headers = [
            ("Authorization", format!("Bearer {}", self.conn.credential("api_key")?)),
            ("Content-Type", "application/xml; charset=UTF-8".to_string()),
        ];
        let resp = once.send_xml("POST", &format!("{}{path}", self.conn.base_url), &headers, Some(body))?;
        let root = xml::parse(&resp.body).map_err(|e| self.payload(format!("{path}: HTTP {}: {e}", resp.status)))?;
        let result = root.child("result");
        if result.map(|r| r.text_of("status")).as_deref() == Some("0") {
            return Ok(());
        }
        let err = result.and_then(|r| r.child("error"));
        let said =
            format!("{} {}", err.map(|e| e.text_of("code")).unwrap_or_default(), err.map(|e| e.text_of("message")).unwrap_or_default());
        if resp.status == 401 || resp.status == 403 || said.contains("認証") {
            return Err(MallError::Auth { mall: self.conn.mall.clone(), key: "api_key".into(), detail: said.trim().to_string() });
        }
        Err(self.refused(format!("{}: HTTP {}: {}", path.trim_start_matches("/wmshopapi/"), resp.status, said.trim())))
    }
}

impl OrderWriter for AuPay {
    fn update_status(&self, update: &StatusUpdate) -> Result<Written, MallError> {
        super::check_status_code(super::MallKind::AuPay, &update.mall_status).map_err(|d| self.refused(d))?;
        let info = self.info(&update.order_number)?;
        let now = info.text_of("orderStatus");
        if now == update.mall_status {
            return Ok(Written::AlreadySet);
        }
        if now == CANCELLED {
            return Err(self.refused(format!(
                "注文 {} はキャンセル済みのため、ステータスを {} にできません",
                update.order_number, update.mall_status
            )));
        }
        self.write(STATUS_PATH, &status_body(&self.conn.shop_id, &update.order_number, &update.mall_status))?;
        Ok(Written::Changed)
    }

    fn update_shipping(&self, update: &ShippingUpdate) -> Result<Written, MallError> {
        super::check_carrier_code(super::MallKind::AuPay, &update.carrier_code).map_err(|d| self.refused(d))?;
        let info = self.info(&update.order_number)?;
        let body = shipping_body(&self.conn.shop_id, update);
        let number = update.tracking_numbers.first().map(String::as_str).unwrap_or("");
        let stored = info.text_of("shippingNumber");
        // A number already there is the shipment; without a number, the carrier and date are.
        let set = if number.is_empty() {
            stored.is_empty()
                && info.text_of("shippingCarrier") == update.carrier_code
                && info.text_of("shippingDate").replace('-', "/") == update.shipped_on.format("%Y/%m/%d").to_string()
        } else {
            stored == number
        };
        if set {
            return Ok(Written::AlreadySet);
        }
        self.write(INFO_PATH, &body)?;
        Ok(Written::Changed)
    }
}

/// updateTradeStsProc's body: the status as its Japanese name.
pub fn status_body(shop_id: &str, order_id: &str, status: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><request><shopId>{}</shopId><orderId>{}</orderId><orderStatus>{}</orderStatus></request>",
        escape(shop_id),
        escape(order_id),
        escape(status)
    )
}

/// updateTradeInfoProc's body. Flat: every field a direct child of `<request>` (wrapped in
/// `<updateTradeInfo>`, the live server answers `[orderId]必須入力項目です`). One shippingNumber
/// (the first tracking number); none is sent for a shipment without tracking.
pub fn shipping_body(shop_id: &str, update: &ShippingUpdate) -> String {
    let number = update.tracking_numbers.first().map(|n| format!("<shippingNumber>{}</shippingNumber>", escape(n))).unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><request><shopId>{}</shopId><orderId>{}</orderId><shippingDate>{}</shippingDate>\
         <shippingCarrier>{}</shippingCarrier>{number}</request>",
        escape(shop_id),
        escape(&update.order_number),
        update.shipped_on.format("%Y/%m/%d"),
        escape(&update.carrier_code)
    )
}

/// An amount of the order: Absent where au PAY sent none (unknown, not 0 yen).
/// One `<orderInfo>` into the batch, its raw payload byte for byte as the mall sent it.
fn read_info(out: &mut Batch, conn: &Connection, body: &str, info: &Node) {
    let raw = json!({ "xml": &body[info.span.clone()] }).to_string();
    out.push_parsed(&info.text_of("orderId"), parse_order(&conn.mall, &conn.shop_id, info), raw);
}

fn amount(n: &Node, name: &str, id: &str) -> Result<Amount, String> {
    Ok(xml::number(&n.text_of(name), name, id)?.map_or(Amount::Absent, Amount::from_mall))
}

/// A part of the bill au PAY leaves out when there is none (the COD fee, coupons, points): 0 yen.
fn part(n: &Node, name: &str, id: &str) -> Result<Amount, String> {
    Ok(xml::number(&n.text_of(name), name, id)?.map_or(Amount::Yen(0), Amount::from_mall))
}

/// orderStatus of a cancelled order (au PAY's statuses are Japanese names).
const CANCELLED: &str = "キャンセル";

/// One `<orderInfo>` into an Order.
pub fn parse_order(mall: &str, shop: &str, n: &Node) -> Result<Order, String> {
    let id = n.text_of("orderId");
    if id.is_empty() {
        return Err("an orderInfo without orderId".into());
    }
    let ordered_at = parse_jst(&n.text_of("orderDate")).ok_or_else(|| format!("order {id}: orderDate `{}`", n.text_of("orderDate")))?;
    let party = |p: &str| Party {
        name: n.text_of(&format!("{p}Name")),
        name_kana: n.text_of(&format!("{p}Kana")),
        postal_code: n.text_of(&format!("{p}ZipCode")),
        // The address starts with the prefecture.
        prefecture: crate::domain::prefecture::PREFECTURES
            .iter()
            .find(|name| n.text_of(&format!("{p}Address")).starts_with(**name))
            .map(|s| s.to_string())
            .unwrap_or_default(),
        address: n.text_of(&format!("{p}Address")),
        phone: n.text_of(&format!("{p}PhoneNumber1")),
        email: if p == "orderer" { n.text_of("mailAddress") } else { String::new() },
    };
    let (orderer, ship_to) = (party("orderer"), party("sender"));
    let mut items = Vec::new();
    for d in n.all("detail") {
        items.push(OrderItem {
            product_code: d.text_of("itemCode"),
            item_key: d.text_of("itemManagementId"),
            sku: Some(d.text_of("itemManagementId")).filter(|s| !s.is_empty()),
            name: d.text_of("itemName"),
            unit_price: xml::number(&d.text_of("itemPrice"), "itemPrice", &id)?,
            quantity: d.text_of("unit").parse().unwrap_or(0),
            options_text: d.text_of("itemOption"),
            option_price: xml::number(&d.text_of("itemOptionPrice"), "itemOptionPrice", &id)?,
            shipment: 0,
            sku_info: String::new(),
            merchant_sku: None,
            tax_rate: crate::domain::tax::rate_from_text(&d.text_of("taxRate")),
            tax_excluded: false,
        });
    }
    let remarks = n.text_of("userComment");
    let amounts = Amounts {
        goods: amount(n, "totalSalePrice", &id)?,
        shipping: amount(n, "postagePrice", &id)?,
        cod_fee: part(n, "chargePrice", &id)?,
        payment_fee: Amount::Yen(0),
        coupons: part(n, "couponTotalPrice", &id)?,
        points: part(n, "usePoint", &id)?,
        billing_total: amount(n, "requestPrice", &id)?,
        shop_coupons: Amount::Absent,
        ..Default::default()
    };
    // The shop's delivery method as the customer chose it (宅配便, …); au PAY states no 温度帯.
    let delivery = MallDelivery { method: n.text_of("deliveryName"), temperature: None, source: "deliveryName".into() };
    let mall_status = n.text_of("orderStatus");
    // What updateTradeInfoProc stored, as `会社コード:番号` like Rakuten's.
    let mut extras = MallExtras::default();
    if !n.text_of("shippingNumber").is_empty() {
        extras.tracking_numbers.push(format!("{}:{}", n.text_of("shippingCarrier"), n.text_of("shippingNumber")));
    }
    Ok(Order {
        mall: mall.to_string(),
        shop: shop.to_string(),
        order_number: id,
        ordered_at,
        cancelled: mall_status == CANCELLED,
        mall_status,
        // au PAY sends no gift flag of its own: the names and addresses decide.
        is_gift: is_gift(&orderer, &ship_to),
        orderer,
        shipments: vec![Shipment { delivery, ..Shipment::to(ship_to) }],
        items,
        payment_method: n.text_of("settlementName"),
        desired_delivery: desired_delivery_from_remarks(&remarks).unwrap_or_default(),
        remarks,
        amounts,
        extras,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_order_info_with_japanese_status_and_option_price() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><response><result><status>0</status></result><resultCount>1</resultCount>\
            <orderInfo><orderId>12345678</orderId><orderDate>2026/11/28 10:15</orderDate><orderStatus>新規受付</orderStatus>\
            <ordererName>山田 花子</ordererName><ordererZipCode>150-0001</ordererZipCode><ordererAddress>東京都渋谷区神宮前1-2-3</ordererAddress>\
            <senderName>山田 花子</senderName><senderAddress>東京都渋谷区神宮前1-2-3</senderAddress>\
            <userComment>[配送日時指定:]&#10;2026-12-01(火)&#10;午前中</userComment><settlementName>代金引換</settlementName>\
            <totalSalePrice>3300</totalSalePrice><postagePrice>-9999</postagePrice><chargePrice>330</chargePrice><requestPrice>-9999</requestPrice>\
            <detail><itemCode>NG-TSH-001</itemCode><itemName>和柄 Tシャツ &amp; 手ぬぐい</itemName><itemOption>サイズ=L</itemOption>\
            <itemOptionPrice>0</itemOptionPrice><itemPrice>3300</itemPrice><unit>1</unit></detail></orderInfo></response>";
        let root = xml::parse(body).unwrap();
        let info = root.child("orderInfo").unwrap();
        let o = parse_order("aupay", "12345678", info).unwrap();
        assert_eq!(o.mall_status, "新規受付");
        assert_eq!(o.ordered_at.to_rfc3339(), "2026-11-28T10:15:00+09:00");
        assert_eq!(o.ship_to().prefecture, "東京都");
        assert_eq!(o.amounts.shipping, Amount::NotFixed);
        assert_eq!(o.items[0].name, "和柄 Tシャツ & 手ぬぐい");
        assert_eq!(o.items[0].option_price, Some(0));
        assert_eq!(o.desired_delivery.time_slot.as_deref(), Some("午前中"));
        assert!(&body[info.span.clone()].starts_with("<orderInfo><orderId>12345678"));
        assert_eq!(o.shipments[0].delivery.method, "", "no deliveryName sent");
        assert!(!o.cancelled);
    }

    fn order_info(fields: &str, detail: &str) -> Result<Order, String> {
        let body = format!(
            "<response><result><status>0</status></result><orderInfo><orderId>20000042</orderId><orderDate>2026/11/28 10:15:00</orderDate>\
             <senderName>佐藤 太郎</senderName><senderAddress>大阪府大阪市北区梅田1-1</senderAddress>{fields}\
             <detail><itemCode>NG-TNG-001</itemCode><itemName>手ぬぐい</itemName><unit>2</unit>{detail}</detail></orderInfo></response>"
        );
        let root = xml::parse(&body).unwrap();
        parse_order("aupay", "12345678", root.child("orderInfo").unwrap())
    }

    #[test]
    fn the_delivery_method_a_cancellation_and_what_au_pay_did_not_send() {
        let o = order_info("<orderStatus>キャンセル</orderStatus><deliveryName>宅配便</deliveryName>", "").unwrap();
        assert_eq!((o.mall_status.as_str(), o.cancelled), ("キャンセル", true));
        let d = &o.shipments[0].delivery;
        assert_eq!((d.method.as_str(), d.source.as_str(), d.temperature.as_deref()), ("宅配便", "deliveryName", None));
        // No totals, no item price: unknown, never 0 yen; the parts left out are none.
        let a = &o.amounts;
        assert_eq!((a.goods, a.shipping, a.billing_total), (Amount::Absent, Amount::Absent, Amount::Absent));
        assert_eq!((a.cod_fee, a.coupons, a.points), (Amount::Yen(0), Amount::Yen(0), Amount::Yen(0)));
        assert_eq!((o.items[0].unit_price, o.items[0].option_price), (None, None));
        // No orderer name nor address: nothing says gift (au PAY has no gift flag of its own).
        assert!(!o.is_gift);
        assert_eq!(o.extras.gift_flag, None);
        // No status stays empty (the fetch stage warns: F005).
        let o = order_info("<deliveryName>宅配便</deliveryName>", "<itemPrice>1100</itemPrice>").unwrap();
        assert_eq!((o.mall_status.as_str(), o.cancelled), ("", false));
        assert_eq!(o.items[0].unit_price, Some(1100));
    }

    #[test]
    fn write_bodies_are_flat_requests() {
        let update = ShippingUpdate {
            order_number: "20000042".into(),
            carrier_code: "1".into(),
            carrier_name: "ヤマト運輸".into(),
            tracking_numbers: vec!["1234-5678-9012".into()],
            shipped_on: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        };
        assert_eq!(
            shipping_body("12345678", &update),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><request><shopId>12345678</shopId><orderId>20000042</orderId>\
             <shippingDate>2026/11/28</shippingDate><shippingCarrier>1</shippingCarrier><shippingNumber>1234-5678-9012</shippingNumber></request>"
        );
        let untracked = ShippingUpdate { tracking_numbers: vec![], ..update };
        assert!(!shipping_body("1", &untracked).contains("shippingNumber"));
        assert_eq!(
            status_body("12345678", "20000042", "完了"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><request><shopId>12345678</shopId><orderId>20000042</orderId><orderStatus>完了</orderStatus></request>"
        );
        let o = order_info("<orderStatus>完了</orderStatus><shippingCarrier>1</shippingCarrier><shippingNumber>999</shippingNumber>", "")
            .unwrap();
        assert_eq!(o.extras.tracking_numbers, ["1:999"]);
    }

    #[test]
    fn an_amount_that_is_not_a_number_is_an_error_naming_the_order_and_the_field() {
        let err = order_info("<requestPrice>2,200円</requestPrice>", "").unwrap_err();
        assert!(err.contains("20000042") && err.contains("requestPrice"), "{err}");
        let err = order_info("", "<itemPrice>千百</itemPrice>").unwrap_err();
        assert!(err.contains("20000042") && err.contains("itemPrice"), "{err}");
        let err = order_info("", "<itemOptionPrice>300円</itemOptionPrice><itemPrice>1100</itemPrice>").unwrap_err();
        assert!(err.contains("itemOptionPrice"), "{err}");
    }
}
