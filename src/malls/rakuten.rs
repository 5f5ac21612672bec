//! Rakuten RMS 楽天ペイ受注API: searchOrder (≤1000 per page, ≤63 days per search) then getOrder in
//! chunks of 100, JSON over HTTPS with `Authorization: ESA base64(serviceSecret:licenseKey)`.

use base64::Engine;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use serde_json::{json, Value};

use super::http::HttpClient;
use super::{Connection, Fetched, MallError, OrderSource, Window};
use crate::domain::order::{is_gift, Amount, Amounts, DesiredDelivery, Order, OrderItem, Party};

pub const SEARCH_PATH: &str = "/es/2.0/order/searchOrder/";
pub const GET_PATH: &str = "/es/2.0/order/getOrder/";
/// The longest span one searchOrder accepts.
const MAX_SPAN_DAYS: i64 = 63;
const PAGE_SIZE: usize = 1000;
const GET_CHUNK: usize = 100;
/// getOrder version: 7 adds SkuModelList.
const VERSION: u32 = 7;

pub struct Rakuten {
    conn: Connection,
    http: HttpClient,
}

impl Rakuten {
    pub fn new(conn: Connection) -> Rakuten {
        let http = HttpClient::new(&conn.mall, conn.timeout, conn.retry.clone());
        Rakuten { conn, http }
    }

    fn auth_header(&self) -> Result<String, MallError> {
        let secret = self.conn.credential("service_secret")?;
        let key = self.conn.credential("license_key")?;
        Ok(format!("ESA {}", base64::engine::general_purpose::STANDARD.encode(format!("{secret}:{key}"))))
    }

    fn call(&self, path: &str, body: &Value) -> Result<Value, MallError> {
        let headers = [("Authorization", self.auth_header()?), ("Content-Type", "application/json; charset=utf-8".to_string())];
        let url = format!("{}{path}", self.conn.base_url);
        let resp = self.http.send_json("POST", &url, &headers, Some(&body.to_string()))?;
        let parsed: Option<Value> = serde_json::from_str(&resp.body).ok();
        if resp.status == 401 || resp.status == 403 {
            let detail = parsed
                .as_ref()
                .and_then(|v| v.pointer("/Results/message").or_else(|| v.pointer("/MessageModelList/0/message")))
                .and_then(Value::as_str)
                .unwrap_or("Unauthorized");
            return Err(MallError::Auth {
                mall: self.conn.mall.clone(),
                key: "license_key".into(),
                detail: format!("HTTP {}: {detail}", resp.status),
            });
        }
        let Some(v) = parsed else {
            return Err(self.payload(format!("{path}: HTTP {} with a body that is not JSON", resp.status)));
        };
        if resp.status >= 400 {
            return Err(self.payload(format!("{path}: HTTP {}: {}", resp.status, messages(&v))));
        }
        Ok(v)
    }

    fn payload(&self, detail: String) -> MallError {
        MallError::Payload { mall: self.conn.mall.clone(), detail }
    }

    /// Every order number in the window: split into ≤63-day searches, every page.
    fn search(&self, window: Window) -> Result<Vec<String>, MallError> {
        let mut numbers = Vec::new();
        let mut from = window.from;
        while from < window.to {
            let to = (from + Duration::days(MAX_SPAN_DAYS)).min(window.to);
            let mut page = 1;
            loop {
                let body = json!({
                    "dateType": 1,
                    "startDatetime": rakuten_time(from),
                    "endDatetime": rakuten_time(to),
                    "PaginationRequestModel": {
                        "requestRecordsAmount": PAGE_SIZE,
                        "requestPage": page,
                        "SortModelList": [{ "sortColumn": 1, "sortDirection": 1 }]
                    }
                });
                let v = self.call(SEARCH_PATH, &body)?;
                let list = v
                    .get("orderNumberList")
                    .and_then(Value::as_array)
                    .ok_or_else(|| self.payload(format!("searchOrder: no orderNumberList ({})", messages(&v))))?;
                numbers.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
                // Zero hits come with null pagination.
                let pages = v.pointer("/PaginationResponseModel/totalPages").and_then(Value::as_u64).unwrap_or(0);
                if page as u64 >= pages {
                    break;
                }
                page += 1;
            }
            from = to;
        }
        numbers.sort();
        numbers.dedup();
        Ok(numbers)
    }
}

impl OrderSource for Rakuten {
    fn fetch(&self, window: Window) -> Result<Vec<Fetched>, MallError> {
        let numbers = self.search(window)?;
        self.refresh(&numbers)
    }

    fn final_statuses(&self) -> &'static [&'static str] {
        // 発送済 and later: shipped, paid, cancelled.
        &["500", "600", "700", "800", "900"]
    }

    fn refresh(&self, numbers: &[String]) -> Result<Vec<Fetched>, MallError> {
        let mut out = Vec::with_capacity(numbers.len());
        for chunk in numbers.chunks(GET_CHUNK) {
            let mut v = self.call(GET_PATH, &json!({ "orderNumberList": chunk, "version": VERSION }))?;
            let models = match v.get_mut("OrderModelList").map(Value::take) {
                Some(Value::Array(models)) => models,
                _ => return Err(self.payload(format!("getOrder: no OrderModelList ({})", messages(&v)))),
            };
            for m in models {
                let order = parse_order(&self.conn.mall, &self.conn.shop_id, &m).map_err(|e| self.payload(e))?;
                out.push(Fetched { order, raw: m.to_string() });
            }
        }
        Ok(out)
    }
}

/// `2026-11-28T10:00:00+0900`, as searchOrder wants it.
pub fn rakuten_time(t: DateTime<FixedOffset>) -> String {
    t.with_timezone(&crate::domain::time::jst()).format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

fn messages(v: &Value) -> String {
    v.get("MessageModelList")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|m| {
                    format!(
                        "{} {}",
                        m.get("messageCode").and_then(Value::as_str).unwrap_or(""),
                        m.get("message").and_then(Value::as_str).unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

fn s(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn i(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn amount(v: &Value, key: &str) -> Amount {
    i(v, key).map(Amount::from_mall).unwrap_or_default()
}

fn party(m: &Value) -> Party {
    let zip = format!("{}-{}", s(m, "zipCode1"), s(m, "zipCode2"));
    Party {
        name: format!("{} {}", s(m, "familyName"), s(m, "firstName")).trim().to_string(),
        name_kana: format!("{} {}", s(m, "familyNameKana"), s(m, "firstNameKana")).trim().to_string(),
        postal_code: if zip == "-" { String::new() } else { zip },
        prefecture: s(m, "prefecture"),
        address: format!("{}{}", s(m, "city"), s(m, "subAddress")),
        phone: [s(m, "phoneNumber1"), s(m, "phoneNumber2"), s(m, "phoneNumber3")]
            .iter()
            .filter(|p| !p.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("-"),
        email: s(m, "emailAddress"),
    }
}

/// shippingTerm: 0 none, 1 午前, 2 午後, 9 other, or h1h2 such as 1416 (14-16時).
pub fn shipping_term(term: i64) -> Option<String> {
    match term {
        1 => Some("午前中".into()),
        2 => Some("午後".into()),
        700..=2424 => {
            let (from, to) = (term / 100, term % 100);
            (from < to).then(|| format!("{from:02}:00-{to:02}:00"))
        }
        _ => None,
    }
}

/// One OrderModel into an Order.
pub fn parse_order(mall: &str, shop: &str, m: &Value) -> Result<Order, String> {
    let order_number = s(m, "orderNumber");
    if order_number.is_empty() {
        return Err("an OrderModel without orderNumber".into());
    }
    let ordered_at = DateTime::parse_from_str(&s(m, "orderDatetime"), "%Y-%m-%dT%H:%M:%S%z")
        .map_err(|e| format!("order {order_number}: orderDatetime `{}`: {e}", s(m, "orderDatetime")))?;
    let orderer = party(m.get("OrdererModel").unwrap_or(&Value::Null));
    let packages: &[Value] = m.get("PackageModelList").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let ship_to = packages.first().and_then(|p| p.get("SenderModel")).map(party).unwrap_or_else(|| orderer.clone());
    let mut items = Vec::new();
    for p in packages {
        for it in p.get("ItemModelList").and_then(Value::as_array).into_iter().flatten() {
            if i(it, "deleteItemFlag") == Some(1) {
                continue;
            }
            items.push(OrderItem {
                product_code: s(it, "itemNumber"),
                item_key: s(it, "manageNumber"),
                sku: it.pointer("/SkuModelList/0/variantId").and_then(Value::as_str).map(str::to_string),
                name: s(it, "itemName"),
                unit_price: i(it, "price").unwrap_or(0),
                quantity: i(it, "units").unwrap_or(0),
                options_text: s(it, "selectedChoice"),
                option_price: None,
                tax_rate: it.get("taxRate").and_then(Value::as_f64).and_then(crate::domain::tax::rate_from_fraction),
                tax_excluded: i(it, "includeTaxFlag") == Some(0),
            });
        }
    }
    let remarks = s(m, "remarks");
    let field_date = NaiveDate::parse_from_str(&s(m, "deliveryDate"), "%Y-%m-%d").ok();
    let field_slot = i(m, "shippingTerm").and_then(shipping_term);
    // Structured fields win; the remarks block is the fallback.
    let desired_delivery = DesiredDelivery::from_fields_or_remarks(field_date, field_slot, &remarks);
    let several = i(m, "severalSenderFlag") == Some(1) || packages.len() > 1;
    let gift = several || is_gift(&orderer, &ship_to);
    let remote_island = packages.iter().any(|p| p.get("SenderModel").and_then(|m| i(m, "isolatedIslandFlag")) == Some(1));
    Ok(Order {
        mall: mall.to_string(),
        shop: shop.to_string(),
        order_number,
        ordered_at,
        mall_status: s(m, "orderProgress"),
        orderer,
        ship_to,
        is_gift: gift,
        items,
        payment_method: m.get("SettlementModel").map(|x| s(x, "settlementMethod")).unwrap_or_default(),
        desired_delivery,
        remarks,
        amounts: Amounts {
            goods: amount(m, "goodsPrice"),
            shipping: amount(m, "postagePrice"),
            cod_fee: amount(m, "deliveryPrice"),
            payment_fee: amount(m, "paymentCharge"),
            coupons: amount(m, "couponAllTotalPrice"),
            points: m.get("PointModel").map(|p| amount(p, "usedPoint")).unwrap_or_default(),
            billing_total: amount(m, "requestPrice"),
        },
        remote_island,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::order::Amount;

    /// The reference's sample payloads: 8- and 10-digit serials, -9999, the full-width-colon remarks.
    #[test]
    fn parses_the_reference_samples() {
        let v: Value = serde_json::from_str(include_str!("../../tests/fixtures/malls/rakuten/getOrder.json")).unwrap();
        let models = v["OrderModelList"].as_array().unwrap();
        let a = parse_order("rakuten", "nagomi-zakka", &models[0]).unwrap();
        assert_eq!(a.order_number, "123456-20180101-00068801");
        assert_eq!(a.ordered_at.to_rfc3339(), "2018-01-01T10:15:30+09:00");
        assert_eq!(a.amounts.shipping, Amount::NotFixed);
        assert_eq!(a.amounts.billing_total, Amount::NotFixed);
        assert_eq!(a.amounts.points, Amount::Yen(100));
        assert_eq!(a.desired_delivery.time_slot.as_deref(), Some("18:00-20:00"));
        assert_eq!(a.desired_delivery.source.as_deref(), Some("remarks"));
        assert_eq!(a.items.len(), 1, "deleted items are dropped");
        assert_eq!(a.items[0].options_text, "ラッピング:あり(+300円)\nのし:御祝");
        assert_eq!(a.orderer.postal_code, "150-0001");
        assert_eq!(a.orderer.phone, "03-1234-5678");
        assert!(!a.is_gift);

        let b = parse_order("rakuten", "nagomi-zakka", &models[1]).unwrap();
        assert_eq!(b.order_number, "504073-20230417-0207814266");
        assert_eq!(b.mall_status, "300");
        // The structured fields win over the remarks.
        assert_eq!(b.desired_delivery.date.map(|d| d.to_string()).as_deref(), Some("2023-04-22"));
        assert_eq!(b.desired_delivery.time_slot.as_deref(), Some("14:00-16:00"));
        assert_eq!(b.desired_delivery.source.as_deref(), Some("field"));
        assert_eq!(b.amounts.cod_fee, Amount::Yen(330));
        assert_eq!(b.payment_method, "代金引換");
        assert!(b.is_gift, "ship-to differs from the orderer");
        assert_eq!(b.ship_to.prefecture, "北海道");
        assert_eq!(b.items[0].sku.as_deref(), Some("kyusu-black"));
    }

    #[test]
    fn shipping_terms() {
        assert_eq!(shipping_term(1416).as_deref(), Some("14:00-16:00"));
        assert_eq!(shipping_term(1).as_deref(), Some("午前中"));
        assert_eq!(shipping_term(0), None);
        assert_eq!(shipping_term(9), None);
    }

    #[test]
    fn search_times_are_jst_with_a_plain_offset() {
        let t = DateTime::parse_from_rfc3339("2026-11-28T01:00:00Z").unwrap();
        assert_eq!(rakuten_time(t), "2026-11-28T10:00:00+0900");
    }
}
