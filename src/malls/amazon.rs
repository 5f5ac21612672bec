//! Amazon SP-API Orders v0 (JSON): LWA refresh-token flow, getOrders by LastUpdatedAfter with
//! NextToken pages (LastUpdatedBefore at least 2 minutes before now), getOrderItems per order.
//! Writes: confirmShipment (there is no call that only sets a status: the order becomes Shipped).

use std::cell::RefCell;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde_json::Value;

use super::http::{encode, HttpClient, RetryPolicy};
use super::{Batch, Connection, MallError, Missing, OrderSource, OrderWriter, ShippingUpdate, StatusUpdate, Window, Written};
use crate::domain::order::{is_gift, Amount, Amounts, DesiredDelivery, MallDelivery, MallExtras, Order, OrderItem, Party, Shipment};

pub const MARKETPLACE_JP: &str = "A1VC38T7YXB528";
/// getOrders by ids takes at most 50.
const IDS_PER_CALL: usize = 50;

pub struct Amazon {
    conn: Connection,
    http: HttpClient,
    token: RefCell<Option<String>>,
}

impl Amazon {
    pub fn new(conn: Connection) -> Amazon {
        let http = HttpClient::new(&conn.mall, conn.timeout, conn.retry.clone());
        Amazon { conn, http, token: RefCell::new(None) }
    }

    /// The LWA host: Amazon's own for the real SP-API, else the configured endpoint (the mock).
    fn lwa_url(&self) -> String {
        if self.conn.base_url.contains("sellingpartnerapi") {
            "https://api.amazon.com".into()
        } else {
            self.conn.base_url.clone()
        }
    }

    fn access_token(&self) -> Result<String, MallError> {
        if let Some(t) = self.token.borrow().clone() {
            return Ok(t);
        }
        let form = format!(
            "grant_type=refresh_token&refresh_token={}&client_id={}&client_secret={}",
            encode(self.conn.credential("refresh_token")?),
            encode(self.conn.credential("lwa_client_id")?),
            encode(self.conn.credential("lwa_client_secret")?)
        );
        let headers = [("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8".to_string())];
        let token = self.http.refresh_token_grant(&format!("{}/auth/o2/token", self.lwa_url()), &headers, &form, "LWA")?;
        *self.token.borrow_mut() = Some(token.clone());
        Ok(token)
    }

    fn payload(&self, detail: String) -> MallError {
        MallError::Payload { mall: self.conn.mall.clone(), detail }
    }

    fn get(&self, path_and_query: &str) -> Result<Value, MallError> {
        let headers = [("x-amz-access-token", self.access_token()?), ("Accept", "application/json".to_string())];
        let resp = self.http.send_json("GET", &format!("{}{path_and_query}", self.conn.base_url), &headers, None)?;
        let v: Value = serde_json::from_str(&resp.body)
            .map_err(|e| self.payload(format!("{}: HTTP {} with a body that is not JSON ({e})", path_of(path_and_query), resp.status)))?;
        if resp.status == 401 || resp.status == 403 {
            return Err(MallError::Auth {
                mall: self.conn.mall.clone(),
                key: "refresh_token".into(),
                detail: format!("HTTP {}: {}", resp.status, errors(&v)),
            });
        }
        if resp.status >= 400 {
            return Err(self.payload(format!("{}: HTTP {}: {}", path_of(path_and_query), resp.status, errors(&v))));
        }
        Ok(v)
    }

    /// Every page of one getOrders search.
    fn orders(&self, first_query: String) -> Result<Vec<Value>, MallError> {
        let mut out = Vec::new();
        let mut query = first_query;
        loop {
            let v = self.get(&format!("/orders/v0/orders?{query}"))?;
            let payload = v.get("payload").ok_or_else(|| self.payload("getOrders: no payload".into()))?;
            out.extend(payload.get("Orders").and_then(Value::as_array).cloned().unwrap_or_default());
            match payload.get("NextToken").and_then(Value::as_str) {
                Some(t) => query = format!("MarketplaceIds={MARKETPLACE_JP}&NextToken={}", encode(t)),
                None => return Ok(out),
            }
        }
    }

    fn with_items(&self, orders: Vec<Value>) -> Result<Batch, MallError> {
        let mut out = Batch::default();
        for o in orders {
            let id = o.get("AmazonOrderId").and_then(Value::as_str).unwrap_or_default().to_string();
            let v = match self.get(&format!("/orders/v0/orders/{}/orderItems", encode(&id))) {
                Ok(v) => v,
                // The lines of this one order were refused: it stays pending, the others come in.
                Err(MallError::Payload { detail, .. }) => {
                    out.missing.push(Missing { order_number: id, said: detail });
                    continue;
                }
                Err(e) => return Err(e),
            };
            let items = v.pointer("/payload/OrderItems").cloned().unwrap_or(Value::Array(Vec::new()));
            let parsed = parse_order(&self.conn.mall, &self.conn.shop_id, &o, &items);
            out.push_parsed(&id, parsed, serde_json::json!({ "Order": o, "OrderItems": items }).to_string());
        }
        Ok(out)
    }
}

impl OrderSource for Amazon {
    fn fetch(&self, window: Window) -> Result<Batch, MallError> {
        // Amazon shows an order up to 2 minutes late and refuses a later bound; the overlap covers it.
        let before = window.to - Duration::minutes(2);
        if before <= window.from {
            return Ok(Batch::default());
        }
        let q = format!(
            "MarketplaceIds={MARKETPLACE_JP}&LastUpdatedAfter={}&LastUpdatedBefore={}&MaxResultsPerPage=100",
            encode(&iso(window.from)),
            encode(&iso(before))
        );
        let orders = self.orders(q)?;
        self.with_items(orders)
    }

    fn refresh(&self, ids: &[String]) -> Result<Batch, MallError> {
        let mut out = Batch::default();
        for chunk in ids.chunks(IDS_PER_CALL) {
            let q = format!("MarketplaceIds={MARKETPLACE_JP}&AmazonOrderIds={}", encode(&chunk.join(",")));
            let orders = self.orders(q)?;
            let mut got = self.with_items(orders)?;
            got.missing_of(chunk, "");
            out.extend(got);
        }
        Ok(out)
    }

    fn final_statuses(&self) -> &'static [&'static str] {
        &["Shipped", "Canceled", "Unfulfillable", "InvoiceUnconfirmed"]
    }
}

impl OrderWriter for Amazon {
    fn update_status(&self, update: &StatusUpdate) -> Result<Written, MallError> {
        let _ = update;
        Err(MallError::Refused {
            mall: self.conn.mall.clone(),
            detail: "Amazon には受注ステータスだけを変える API がありません（ステータスは出荷通知 confirmShipment で Shipped になります）"
                .into(),
        })
    }

    fn update_shipping(&self, update: &ShippingUpdate) -> Result<Written, MallError> {
        let refused = |detail: String| MallError::Refused { mall: self.conn.mall.clone(), detail };
        super::check_carrier_code(super::MallKind::Amazon, &update.carrier_code).map_err(refused)?;
        let id = encode(&update.order_number);
        let order = self.get(&format!("/orders/v0/orders/{id}"))?;
        let order = order.get("payload").ok_or_else(|| self.payload(format!("getOrder {}: no payload", update.order_number)))?;
        match s(order, "OrderStatus").as_str() {
            "Shipped" => return Ok(Written::AlreadySet),
            "Canceled" | "Unfulfillable" => {
                return Err(refused(format!("注文 {} は {} のため出荷通知できません", update.order_number, s(order, "OrderStatus"))))
            }
            _ => {}
        }
        let items = self.get(&format!("/orders/v0/orders/{id}/orderItems"))?;
        let items = items.pointer("/payload/OrderItems").and_then(Value::as_array).cloned().unwrap_or_default();
        let purchased = DateTime::parse_from_rfc3339(&s(order, "PurchaseDate")).ok();
        let body = confirm_body(update, &items, purchased).map_err(refused)?;
        let once = HttpClient::new(&self.conn.mall, self.conn.timeout, RetryPolicy::once());
        let headers = [
            ("x-amz-access-token", self.access_token()?),
            ("Content-Type", "application/json".to_string()),
            ("Accept", "application/json".to_string()),
        ];
        let url = format!("{}/orders/v0/orders/{id}/shipmentConfirmation", self.conn.base_url);
        let resp = once.send("POST", &url, &headers, Some(&body.to_string()))?;
        match resp.status {
            200..=299 => Ok(Written::Changed),
            401 | 403 => Err(MallError::Auth {
                mall: self.conn.mall.clone(),
                key: "refresh_token".into(),
                detail: format!("HTTP {}: {}", resp.status, errors(&serde_json::from_str(&resp.body).unwrap_or(Value::Null))),
            }),
            status => Err(refused(format!(
                "confirmShipment: HTTP {status}: {}",
                errors(&serde_json::from_str(&resp.body).unwrap_or(Value::Null))
            ))),
        }
    }
}

/// confirmShipment's body: one package (packageReferenceId "1"), every line of the order with its
/// quantity, the first tracking number (Amazon takes one per package). carrierName goes with
/// `Other`. shipDate is the ship day's start in JST, but never before the order was placed.
pub fn confirm_body(update: &ShippingUpdate, items: &[Value], purchased: Option<DateTime<FixedOffset>>) -> Result<Value, String> {
    let Some(tracking) = update.tracking_numbers.first() else {
        return Err("Amazon の出荷通知（confirmShipment）には追跡番号が必須です（番号なしの発送は報告できません）".into());
    };
    if update.tracking_numbers.len() > 1 {
        log::info!("amazon {}: one package per confirmation; {} reported, the other numbers are not", update.order_number, tracking);
    }
    let other = update.carrier_code == "Other" || update.carrier_code == "Others";
    if other && update.carrier_name.trim().is_empty() {
        return Err("Amazon の配送会社コードが Other のときは配送会社名（carrierName）が必須です".into());
    }
    let lines: Vec<Value> = items
        .iter()
        .filter(|it| !s(it, "OrderItemId").is_empty())
        .map(|it| serde_json::json!({ "orderItemId": s(it, "OrderItemId"), "quantity": it.get("QuantityOrdered").and_then(Value::as_i64).unwrap_or(1) }))
        .collect();
    if lines.is_empty() {
        return Err(format!("注文 {} の明細（orderItemId）を Amazon が返しません", update.order_number));
    }
    let start = update
        .shipped_on
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(crate::domain::time::jst()).single())
        .ok_or("出荷日が日付ではありません")?;
    let ship_date = purchased.map_or(start, |p| start.max(p));
    let mut package = serde_json::json!({
        "packageReferenceId": "1",
        "carrierCode": update.carrier_code,
        "trackingNumber": tracking,
        "shipDate": ship_date.to_rfc3339(),
        "orderItems": lines,
    });
    if other {
        package["carrierName"] = serde_json::json!(update.carrier_name);
    }
    Ok(serde_json::json!({ "marketplaceId": MARKETPLACE_JP, "packageDetail": package }))
}

fn iso(t: DateTime<FixedOffset>) -> String {
    t.with_timezone(&Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn path_of(p: &str) -> &str {
    p.split('?').next().unwrap_or(p)
}

fn errors(v: &Value) -> String {
    v.get("errors")
        .and_then(Value::as_array)
        .map(|l| l.iter().map(|e| format!("{} {}", s(e, "code"), s(e, "message"))).collect::<Vec<_>>().join("; "))
        .unwrap_or_default()
}

fn s(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// `{"CurrencyCode":"JPY","Amount":"1980.00"}` → 1980 yen; None where Amazon sent no such money
/// (unknown, not 0 yen). `what` names the field in the error for an Amount that is not a number.
fn money(v: &Value, key: &str, what: &str, id: &str) -> Result<Option<i64>, String> {
    let m = match v.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(m @ Value::Object(_)) => m,
        Some(other) => return Err(format!("order {id}: {what} is `{other}` where the spec has a Money object")),
    };
    let amount = match m.get("Amount") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(a)) if a.trim().is_empty() => return Ok(None),
        Some(Value::String(a)) => a.trim().parse::<f64>().ok(),
        Some(Value::Number(n)) => n.as_f64(),
        Some(_) => None,
    };
    match amount.filter(|a| a.is_finite()) {
        Some(a) => Ok(Some(a.round() as i64)),
        None => {
            let sent = m["Amount"].as_str().map_or_else(|| m["Amount"].to_string(), str::to_string);
            Err(format!("order {id}: {what}.Amount `{sent}` is not a number"))
        }
    }
}

/// IsGift as Amazon writes it: the text `true`/`false` (or a JSON boolean); None where not sent.
fn gift_flag(v: &Value) -> Option<bool> {
    match v.get("IsGift")? {
        Value::Bool(b) => Some(*b),
        Value::String(t) if t.eq_ignore_ascii_case("true") => Some(true),
        Value::String(t) if t.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// An Order and its OrderItems into an Order.
pub fn parse_order(mall: &str, shop: &str, o: &Value, items: &Value) -> Result<Order, String> {
    let id = s(o, "AmazonOrderId");
    if id.is_empty() {
        return Err("an Order without AmazonOrderId".into());
    }
    let ordered_at = DateTime::parse_from_rfc3339(&s(o, "PurchaseDate"))
        .map_err(|e| format!("order {id}: PurchaseDate `{}`: {e}", s(o, "PurchaseDate")))?
        .with_timezone(&crate::domain::time::jst());
    let addr = o.get("ShippingAddress").cloned().unwrap_or(Value::Null);
    let ship_to = Party {
        name: s(&addr, "Name"),
        postal_code: s(&addr, "PostalCode"),
        prefecture: s(&addr, "StateOrRegion"),
        address: format!("{}{}{}", s(&addr, "City"), s(&addr, "AddressLine1"), s(&addr, "AddressLine2")),
        phone: s(&addr, "Phone"),
        ..Default::default()
    };
    let buyer = o.get("BuyerInfo").cloned().unwrap_or(Value::Null);
    let orderer = Party { name: s(&buyer, "BuyerName"), email: s(&buyer, "BuyerEmail"), ..Default::default() };
    let list = items.as_array().cloned().unwrap_or_default();
    // Goods are unknown once a line has no price; shipping once no line says any. The COD fee and
    // the discounts are left out where there are none.
    let (mut goods, mut shipping, mut cod, mut discount) = (Some(0), None, 0, 0);
    let mut lines = Vec::new();
    let mut gifts = Vec::new();
    for (n, it) in list.iter().enumerate() {
        let line = |key: &str| format!("OrderItems[{n}].{key}");
        let qty = it.get("QuantityOrdered").and_then(Value::as_i64).unwrap_or(0);
        // ItemPrice is the line's: price × quantity.
        let price = money(it, "ItemPrice", &line("ItemPrice"), &id)?;
        goods = goods.zip(price).map(|(g, p)| g + p);
        if let Some(p) = money(it, "ShippingPrice", &line("ShippingPrice"), &id)? {
            shipping = Some(shipping.unwrap_or(0) + p);
        }
        cod += money(it, "CODFee", &line("CODFee"), &id)?.unwrap_or(0);
        discount += money(it, "PromotionDiscount", &line("PromotionDiscount"), &id)?.unwrap_or(0);
        gifts.extend(gift_flag(it));
        lines.push(OrderItem {
            product_code: s(it, "SellerSKU"),
            item_key: s(it, "ASIN"),
            sku: Some(s(it, "SellerSKU")).filter(|v| !v.is_empty()),
            name: s(it, "Title"),
            unit_price: price.map(|p| if qty > 0 { p / qty } else { p }),
            quantity: qty,
            options_text: String::new(),
            option_price: None,
            shipment: 0,
            sku_info: String::new(),
            merchant_sku: None,
            tax_rate: None,
            tax_excluded: false,
        });
    }
    // The buyer's own IsGift wins over the names and addresses, which decide only where no line says.
    let mut extras = MallExtras::default();
    let gift = if gifts.is_empty() {
        is_gift(&orderer, &ship_to)
    } else {
        let gift = gifts.contains(&true);
        extras.gift_flag = Some(format!("IsGift {gift}"));
        gift
    };
    // The service level the buyer chose (Standard, Expedited, …): Amazon states no 温度帯.
    let delivery =
        MallDelivery { method: s(o, "ShipmentServiceLevelCategory"), temperature: None, source: "ShipmentServiceLevelCategory".into() };
    let amounts = Amounts {
        goods: goods.map_or(Amount::Absent, Amount::Yen),
        shipping: shipping.map_or(Amount::Absent, Amount::Yen),
        cod_fee: Amount::Yen(cod),
        payment_fee: Amount::Yen(0),
        coupons: Amount::Yen(discount),
        points: Amount::Yen(0),
        billing_total: money(o, "OrderTotal", "OrderTotal", &id)?.map_or(Amount::Absent, Amount::Yen),
        shop_coupons: Amount::Absent,
        ..Default::default()
    };
    let mall_status = s(o, "OrderStatus");
    Ok(Order {
        mall: mall.to_string(),
        shop: shop.to_string(),
        order_number: id,
        ordered_at,
        cancelled: mall_status == "Canceled",
        mall_status,
        is_gift: gift,
        orderer,
        shipments: vec![Shipment { delivery, ..Shipment::to(ship_to) }],
        items: lines,
        payment_method: s(o, "PaymentMethod"),
        desired_delivery: DesiredDelivery::default(),
        remarks: String::new(),
        amounts,
        extras,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_an_order_with_items_in_yen_and_jst() {
        let o: Value = serde_json::from_str(
            r#"{"AmazonOrderId":"249-1234567-7654321","PurchaseDate":"2026-11-28T01:02:03Z","OrderStatus":"Unshipped",
                "OrderTotal":{"CurrencyCode":"JPY","Amount":"4290.00"},"PaymentMethod":"COD",
                "ShippingAddress":{"Name":"山田 花子","PostalCode":"060-0001","StateOrRegion":"北海道","City":"札幌市中央区","AddressLine1":"北1条西1-1"},
                "BuyerInfo":{"BuyerName":"山田 太郎","BuyerEmail":"x@marketplace.amazon.co.jp"}}"#,
        )
        .unwrap();
        let items: Value = serde_json::from_str(
            r#"[{"ASIN":"B000000001","SellerSKU":"NG-TWL-001","Title":"今治タオル","QuantityOrdered":2,"ItemPrice":{"CurrencyCode":"JPY","Amount":"3960.00"},
                 "ShippingPrice":{"CurrencyCode":"JPY","Amount":"0.00"},"CODFee":{"CurrencyCode":"JPY","Amount":"330.00"}}]"#,
        )
        .unwrap();
        let order = parse_order("amazon", "A1NAGOMI", &o, &items).unwrap();
        assert_eq!(order.ordered_at.to_rfc3339(), "2026-11-28T10:02:03+09:00");
        assert_eq!(order.items[0].unit_price, Some(1980));
        assert_eq!(order.amounts.cod_fee, Amount::Yen(330));
        assert_eq!(order.amounts.billing_total, Amount::Yen(4290));
        assert_eq!(order.ship_to().prefecture, "北海道");
        assert!(order.is_gift, "the buyer is not the ship-to");
        assert_eq!(order.extras.gift_flag, None, "no line says IsGift: the names decided");
        assert_eq!(order.amounts.shipping, Amount::Yen(0));
        assert_eq!(order.amounts.goods, Amount::Yen(3960));
        assert_eq!(order.shipments[0].delivery.method, "", "no ShipmentServiceLevelCategory sent");
    }

    fn order(extra: &str) -> Value {
        serde_json::from_str(&format!(
            r#"{{"AmazonOrderId":"503-0000007-0000007","PurchaseDate":"2026-11-28T01:02:03Z",
                "ShippingAddress":{{"Name":"佐藤 太郎","PostalCode":"530-0001","StateOrRegion":"大阪府","City":"大阪市北区","AddressLine1":"梅田1-1"}},
                "BuyerInfo":{{"BuyerName":"山田 花子","BuyerEmail":"y@marketplace.amazon.co.jp"}}{extra}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn a_confirmation_is_one_package_with_every_line() {
        let update = ShippingUpdate {
            order_number: "503-0000007-0000007".into(),
            carrier_code: "Other".into(),
            carrier_name: "日本郵便".into(),
            tracking_numbers: vec!["1234-5678-9012".into()],
            shipped_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        };
        let items = vec![
            json!({"OrderItemId": "1000000000700", "QuantityOrdered": 2}),
            json!({"OrderItemId": "1000000000701", "QuantityOrdered": 1}),
        ];
        let body = confirm_body(&update, &items, None).unwrap();
        assert_eq!(
            body,
            json!({"marketplaceId": "A1VC38T7YXB528", "packageDetail": {"packageReferenceId": "1", "carrierCode": "Other", "carrierName": "日本郵便",
                   "trackingNumber": "1234-5678-9012", "shipDate": "2026-11-28T00:00:00+09:00",
                   "orderItems": [{"orderItemId": "1000000000700", "quantity": 2}, {"orderItemId": "1000000000701", "quantity": 1}]}})
        );
        // Never before the order was placed.
        let placed = DateTime::parse_from_rfc3339("2026-11-28T10:02:03+09:00").unwrap();
        assert_eq!(confirm_body(&update, &items, Some(placed)).unwrap()["packageDetail"]["shipDate"], "2026-11-28T10:02:03+09:00");
        let yamato = ShippingUpdate { carrier_code: "YAMATO".into(), ..update.clone() };
        assert!(confirm_body(&yamato, &items, None).unwrap()["packageDetail"].get("carrierName").is_none());
        let nameless = ShippingUpdate { carrier_name: String::new(), ..update.clone() };
        assert!(confirm_body(&nameless, &items, None).unwrap_err().contains("carrierName"));
        let untracked = ShippingUpdate { tracking_numbers: vec![], ..update.clone() };
        assert!(confirm_body(&untracked, &items, None).unwrap_err().contains("追跡番号が必須"));
        assert!(confirm_body(&update, &[], None).is_err());
    }

    fn line(extra: &str) -> String {
        format!(r#"{{"ASIN":"B000000002","SellerSKU":"NG-TNG-001","Title":"手ぬぐい","QuantityOrdered":2{extra}}}"#)
    }

    #[test]
    fn the_service_level_a_cancellation_and_absent_money_as_amazon_sends_them() {
        let o = order(r#","OrderStatus":"Canceled","ShipServiceLevel":"Exp JP Kanto8","ShipmentServiceLevelCategory":"Expedited""#);
        // A line without ItemPrice, an order without OrderTotal.
        let items: Value = serde_json::from_str(&format!("[{}]", line(""))).unwrap();
        let c = parse_order("amazon", "A1NAGOMI", &o, &items).unwrap();
        assert_eq!((c.mall_status.as_str(), c.cancelled), ("Canceled", true));
        let d = &c.shipments[0].delivery;
        assert_eq!((d.method.as_str(), d.source.as_str(), d.temperature.as_deref()), ("Expedited", "ShipmentServiceLevelCategory", None));
        assert_eq!(c.items[0].unit_price, None);
        let a = &c.amounts;
        assert_eq!((a.goods, a.shipping, a.billing_total), (Amount::Absent, Amount::Absent, Amount::Absent));
        assert_eq!((a.cod_fee, a.coupons), (Amount::Yen(0), Amount::Yen(0)), "fees and discounts left out are none");
        // No status at all stays empty (the fetch stage warns: F005).
        let c = parse_order("amazon", "A1NAGOMI", &order(""), &items).unwrap();
        assert_eq!((c.mall_status.as_str(), c.cancelled), ("", false));
    }

    #[test]
    fn is_gift_wins_over_the_names_both_ways_and_no_buyer_name_is_no_gift() {
        let priced = r#","ItemPrice":{"CurrencyCode":"JPY","Amount":"2200.00"}"#;
        let items = |gift: &str| -> Value { serde_json::from_str(&format!("[{}]", line(&format!("{priced}{gift}")))).unwrap() };
        // Another name on the label, but the buyer did not ask for a gift.
        let o = parse_order("amazon", "A1NAGOMI", &order(""), &items(r#","IsGift":"false""#)).unwrap();
        assert!(!o.is_gift);
        assert_eq!(o.extras.gift_flag.as_deref(), Some("IsGift false"));
        assert_eq!(o.items[0].unit_price, Some(1100));
        // Sent to the buyer's own name and address, but as a gift (a JSON boolean is read too).
        let mut own = order("");
        own["BuyerInfo"]["BuyerName"] = json!("佐藤 太郎");
        let o = parse_order("amazon", "A1NAGOMI", &own, &items(r#","IsGift":true"#)).unwrap();
        assert!(o.is_gift);
        assert_eq!(o.extras.gift_flag.as_deref(), Some("IsGift true"));
        // No IsGift and no buyer name: nothing says gift.
        let mut nameless = order("");
        nameless["BuyerInfo"] = json!({"BuyerEmail": "y@marketplace.amazon.co.jp"});
        let o = parse_order("amazon", "A1NAGOMI", &nameless, &items("")).unwrap();
        assert!(!o.is_gift);
        assert_eq!(o.extras.gift_flag, None);
    }

    #[test]
    fn an_amount_that_is_not_a_number_is_an_error_naming_the_order_and_the_field() {
        let items: Value = serde_json::from_str(&format!("[{}]", line(r#","ItemPrice":{"CurrencyCode":"JPY","Amount":"2,200"}"#))).unwrap();
        let err = parse_order("amazon", "A1NAGOMI", &order(""), &items).unwrap_err();
        assert!(err.contains("503-0000007-0000007") && err.contains("OrderItems[0].ItemPrice.Amount `2,200`"), "{err}");
        let o = order(r#","OrderTotal":{"CurrencyCode":"JPY","Amount":"abc"}"#);
        let err = parse_order("amazon", "A1NAGOMI", &o, &Value::Array(Vec::new())).unwrap_err();
        assert!(err.contains("503-0000007-0000007") && err.contains("OrderTotal.Amount `abc`"), "{err}");
        let o = order(r#","OrderTotal":"4290""#);
        assert!(parse_order("amazon", "A1NAGOMI", &o, &Value::Array(Vec::new())).unwrap_err().contains("OrderTotal"));
    }
}
