//! Amazon SP-API Orders v0 (JSON): LWA refresh-token flow, getOrders by LastUpdatedAfter with
//! NextToken pages (LastUpdatedBefore at least 2 minutes before now), getOrderItems per order.

use std::cell::RefCell;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde_json::Value;

use super::http::{encode, HttpClient};
use super::{Connection, Fetched, MallError, OrderSource, Window};
use crate::domain::order::{is_gift, Amount, Amounts, DesiredDelivery, Order, OrderItem, Party, Shipment};

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

    fn with_items(&self, orders: Vec<Value>) -> Result<Vec<Fetched>, MallError> {
        let mut out = Vec::with_capacity(orders.len());
        for o in orders {
            let id = o.get("AmazonOrderId").and_then(Value::as_str).unwrap_or_default().to_string();
            let v = self.get(&format!("/orders/v0/orders/{}/orderItems", encode(&id)))?;
            let items = v.pointer("/payload/OrderItems").cloned().unwrap_or(Value::Array(Vec::new()));
            let order = parse_order(&self.conn.mall, &self.conn.shop_id, &o, &items).map_err(|e| self.payload(e))?;
            out.push(Fetched { order, raw: serde_json::json!({ "Order": o, "OrderItems": items }).to_string() });
        }
        Ok(out)
    }
}

impl OrderSource for Amazon {
    fn fetch(&self, window: Window) -> Result<Vec<Fetched>, MallError> {
        // Amazon shows an order up to 2 minutes late and refuses a later bound; the overlap covers it.
        let before = window.to - Duration::minutes(2);
        if before <= window.from {
            return Ok(Vec::new());
        }
        let q = format!(
            "MarketplaceIds={MARKETPLACE_JP}&LastUpdatedAfter={}&LastUpdatedBefore={}&MaxResultsPerPage=100",
            encode(&iso(window.from)),
            encode(&iso(before))
        );
        let orders = self.orders(q)?;
        self.with_items(orders)
    }

    fn refresh(&self, ids: &[String]) -> Result<Vec<Fetched>, MallError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS_PER_CALL) {
            let q = format!("MarketplaceIds={MARKETPLACE_JP}&AmazonOrderIds={}", encode(&chunk.join(",")));
            let orders = self.orders(q)?;
            out.extend(self.with_items(orders)?);
        }
        Ok(out)
    }

    fn final_statuses(&self) -> &'static [&'static str] {
        &["Shipped", "Canceled", "Unfulfillable", "InvoiceUnconfirmed"]
    }
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

/// `{"CurrencyCode":"JPY","Amount":"1980.00"}` → 1980 yen.
fn yen(v: Option<&Value>) -> i64 {
    v.and_then(|m| m.get("Amount")).and_then(Value::as_str).and_then(|a| a.parse::<f64>().ok()).map(|a| a.round() as i64).unwrap_or(0)
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
    let (mut goods, mut shipping, mut cod, mut discount) = (0, 0, 0, 0);
    let mut lines = Vec::new();
    let mut gift = false;
    for it in &list {
        let qty = it.get("QuantityOrdered").and_then(Value::as_i64).unwrap_or(0);
        let price = yen(it.get("ItemPrice"));
        goods += price;
        shipping += yen(it.get("ShippingPrice"));
        cod += yen(it.get("CODFee"));
        discount += yen(it.get("PromotionDiscount"));
        gift |= s(it, "IsGift") == "true";
        lines.push(OrderItem {
            product_code: s(it, "SellerSKU"),
            item_key: s(it, "ASIN"),
            sku: Some(s(it, "SellerSKU")).filter(|v| !v.is_empty()),
            name: s(it, "Title"),
            unit_price: Some(if qty > 0 { price / qty } else { price }),
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
    Ok(Order {
        mall: mall.to_string(),
        shop: shop.to_string(),
        order_number: id,
        ordered_at,
        mall_status: s(o, "OrderStatus"),
        cancelled: false,
        is_gift: gift || is_gift(&orderer, &ship_to),
        orderer,
        shipments: vec![Shipment::to(ship_to)],
        items: lines,
        payment_method: s(o, "PaymentMethod"),
        desired_delivery: DesiredDelivery::default(),
        remarks: String::new(),
        amounts: Amounts {
            goods: Amount::Yen(goods),
            shipping: Amount::Yen(shipping),
            cod_fee: Amount::Yen(cod),
            payment_fee: Amount::Yen(0),
            coupons: Amount::Yen(discount),
            points: Amount::Yen(0),
            billing_total: Amount::Yen(yen(o.get("OrderTotal"))),
            ..Default::default()
        },
        extras: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
