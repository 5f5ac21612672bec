//! Rakuten RMS 楽天ペイ受注API: searchOrder (≤1000 per page, ≤63 days per search) then getOrder in
//! chunks of 100, JSON over HTTPS with `Authorization: ESA base64(serviceSecret:licenseKey)`.
//! Writes: confirmOrder (100 → 300) and updateOrderShipping (sync), each after a getOrder.

use base64::Engine;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use serde_json::{json, Value};

use super::http::{HttpClient, RetryPolicy};
use super::{Batch, Connection, MallError, OrderSource, OrderWriter, ShippingUpdate, StatusUpdate, Window, Written};
use crate::domain::order::{
    is_gift, Amount, Amounts, DesiredDelivery, MallDelivery, MallExtras, MallTax, Order, OrderItem, Party, Shipment,
};

pub const SEARCH_PATH: &str = "/es/2.0/order/searchOrder/";
pub const GET_PATH: &str = "/es/2.0/order/getOrder/";
pub const CONFIRM_PATH: &str = "/es/2.0/order/confirmOrder/";
pub const SHIPPING_PATH: &str = "/es/2.0/order/updateOrderShipping/";
/// ShippingModels one basket (送付先) takes.
const MAX_SHIPPING_ROWS: usize = 20;
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
        let (status, v) = self.exchange(&self.http, path, body)?;
        if status >= 400 {
            return Err(self.payload(format!("{path}: HTTP {status}: {}", messages(&v))));
        }
        Ok(v)
    }

    /// One POST through `http`: the HTTP status and the JSON answer; refused keys are Auth.
    fn exchange(&self, http: &HttpClient, path: &str, body: &Value) -> Result<(u16, Value), MallError> {
        let headers = [("Authorization", self.auth_header()?), ("Content-Type", "application/json; charset=utf-8".to_string())];
        let url = format!("{}{path}", self.conn.base_url);
        let resp = http.send_json("POST", &url, &headers, Some(&body.to_string()))?;
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
        Ok((resp.status, v))
    }

    /// A write: sent once (no retry: an unknown outcome is read back by the next call), the mall's
    /// 4xx or ERROR message as Refused.
    fn write(&self, path: &str, body: &Value) -> Result<Value, MallError> {
        let once = HttpClient::new(&self.conn.mall, self.conn.timeout, RetryPolicy::once());
        let (status, v) = self.exchange(&once, path, body)?;
        // An ERROR message is a refusal; a WARNING (updateOrderShipping's _WARNING_101) is not.
        let errors: Vec<Value> = v
            .get("MessageModelList")
            .and_then(Value::as_array)
            .map(|l| l.iter().filter(|m| m.get("messageType").and_then(Value::as_str) == Some("ERROR")).cloned().collect())
            .unwrap_or_default();
        let errors = if errors.is_empty() { String::new() } else { messages(&json!({ "MessageModelList": errors })) };
        if status >= 400 || !errors.is_empty() {
            let said = if errors.is_empty() { messages(&v) } else { errors };
            return Err(MallError::Refused { mall: self.conn.mall.clone(), detail: format!("{path}: HTTP {status}: {said}") });
        }
        Ok(v)
    }

    /// The order's OrderModel as getOrder returns it now.
    fn order_model(&self, number: &str) -> Result<Value, MallError> {
        let mut v = self.call(GET_PATH, &json!({ "orderNumberList": [number], "version": VERSION }))?;
        let found = v
            .get_mut("OrderModelList")
            .and_then(Value::as_array_mut)
            .and_then(|l| l.iter_mut().find(|m| m.get("orderNumber").and_then(Value::as_str) == Some(number)))
            .map(Value::take);
        found.ok_or_else(|| MallError::Refused {
            mall: self.conn.mall.clone(),
            detail: format!("getOrder: 注文 {number} を楽天が返しません（{}）", messages_but_info(&v)),
        })
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
    fn fetch(&self, window: Window) -> Result<Batch, MallError> {
        let numbers = self.search(window)?;
        self.refresh(&numbers)
    }

    fn final_statuses(&self) -> &'static [&'static str] {
        // 発送済 and later: shipped, paid, cancelled.
        &["500", "600", "700", "800", "900"]
    }

    fn refresh(&self, numbers: &[String]) -> Result<Batch, MallError> {
        let mut out = Batch::default();
        for chunk in numbers.chunks(GET_CHUNK) {
            let mut v = self.call(GET_PATH, &json!({ "orderNumberList": chunk, "version": VERSION }))?;
            let models = match v.get_mut("OrderModelList").map(Value::take) {
                Some(Value::Array(models)) => models,
                // None of them found, said without a list: every number stays pending.
                None | Some(Value::Null) if messages(&v).contains("GET_ORDER_INFO_102") => Vec::new(),
                _ => return Err(self.payload(format!("getOrder: no OrderModelList ({})", messages(&v)))),
            };
            let mut got = Batch::default();
            for m in models {
                // A model is one order: one that does not parse is set aside, not the whole chunk.
                let Some(number) = m.get("orderNumber").and_then(Value::as_str).filter(|n| !n.is_empty()) else {
                    // Nothing to file it under: the number it should have had stays missing below.
                    log::warn!("{}: getOrder returned a model without orderNumber", self.conn.mall);
                    continue;
                };
                let parsed = parse_order(&self.conn.mall, &self.conn.shop_id, &m);
                got.push_parsed(number, parsed, m.to_string());
            }
            // ORDER_EXT_API_GET_ORDER_INFO_102 受注情報が取得できませんでした: listed, not (yet) returned.
            got.missing_of(chunk, &messages_but_info(&v));
            out.extend(got);
        }
        Ok(out)
    }
}

impl OrderWriter for Rakuten {
    fn update_status(&self, update: &StatusUpdate) -> Result<Written, MallError> {
        super::check_status_code(super::MallKind::Rakuten, &update.mall_status).map_err(|d| super::refused(&self.conn, d))?;
        let m = self.order_model(&update.order_number)?;
        match i(&m, "orderProgress") {
            Some(p) if CANCELLED.contains(&p.to_string().as_str()) => Err(super::refused(
                &self.conn,
                format!("注文 {} はキャンセル（orderProgress {p}）のため注文確認できません", update.order_number),
            )),
            // 発送待ち or later: already confirmed.
            Some(p) if p >= 300 => Ok(Written::AlreadySet),
            _ => {
                self.write(CONFIRM_PATH, &confirm_body(&update.order_number))?;
                Ok(Written::Changed)
            }
        }
    }

    fn update_shipping(&self, update: &ShippingUpdate) -> Result<Written, MallError> {
        super::check_carrier_code(super::MallKind::Rakuten, &update.carrier_code).map_err(|d| super::refused(&self.conn, d))?;
        let m = self.order_model(&update.order_number)?;
        match shipping_body(&m, update).map_err(|d| super::refused(&self.conn, d))? {
            None => Ok(Written::AlreadySet),
            Some(body) => {
                self.write(SHIPPING_PATH, &body)?;
                Ok(Written::Changed)
            }
        }
    }
}

/// confirmOrder's body for one order.
pub fn confirm_body(order_number: &str) -> Value {
    json!({ "orderNumberList": [order_number] })
}

/// One ShippingModel of an order as getOrder shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ShippingRow {
    id: i64,
    company: String,
    number: String,
    date: String,
}

/// updateOrderShipping's body for a shipment, from the order as getOrder returns it, or None when
/// the order already holds it. The rows go to the first 送付先 (basketId). An existing row is
/// updated by its shippingDetailId (the one with the same number first, then the others in order);
/// rows are added only for numbers beyond the existing ones, so a retry never lists a number twice.
/// Only rows that change are sent. A shipment without a tracking number is one row without shippingNumber.
pub fn shipping_body(model: &Value, update: &ShippingUpdate) -> Result<Option<Value>, String> {
    let basket = model
        .get("PackageModelList")
        .and_then(Value::as_array)
        .and_then(|l| l.iter().find(|p| i(p, "packageDeleteFlag") != Some(1)))
        .ok_or_else(|| format!("注文 {} に送付先（basketId）がありません", update.order_number))?;
    let basket_id = basket.get("basketId").cloned().filter(|b| !b.is_null()).ok_or("送付先に basketId がありません")?;
    let existing: Vec<ShippingRow> = basket
        .get("ShippingModelList")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter(|r| i(r, "shippingDeleteFlag") != Some(1))
                .filter_map(|r| {
                    Some(ShippingRow {
                        id: i(r, "shippingDetailId")?,
                        company: s(r, "deliveryCompany"),
                        number: s(r, "shippingNumber"),
                        date: s(r, "shippingDate"),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let date = update.shipped_on.format("%Y-%m-%d").to_string();
    let numbers: Vec<&str> =
        if update.tracking_numbers.is_empty() { vec![""] } else { update.tracking_numbers.iter().map(String::as_str).collect() };
    // Pair each wanted number with an existing row: the row holding that number, else the next unused one.
    let mut used = vec![false; existing.len()];
    let mut pairs: Vec<(&str, Option<usize>)> = numbers
        .iter()
        .map(|n| {
            let at = existing.iter().enumerate().position(|(k, r)| !used[k] && r.number == *n);
            if let Some(k) = at {
                used[k] = true;
            }
            (*n, at)
        })
        .collect();
    for pair in pairs.iter_mut().filter(|p| p.1.is_none()) {
        if let Some(k) = (0..existing.len()).find(|k| !used[*k]) {
            used[k] = true;
            pair.1 = Some(k);
        }
    }
    let added = pairs.iter().filter(|p| p.1.is_none()).count();
    if existing.len() + added > MAX_SHIPPING_ROWS {
        return Err(format!(
            "楽天の送付先1つに登録できる発送情報は {MAX_SHIPPING_ROWS} 件までです（既存 {} 件 + 追加 {added} 件）",
            existing.len()
        ));
    }
    let mut rows = Vec::new();
    for (number, at) in pairs {
        let wanted = |id: Option<i64>| {
            let mut row = json!({ "deliveryCompany": update.carrier_code, "shippingDate": date });
            if let Some(id) = id {
                row["shippingDetailId"] = json!(id);
            }
            if !number.is_empty() {
                row["shippingNumber"] = json!(number);
            }
            row
        };
        match at.map(|k| &existing[k]) {
            Some(r) if r.company == update.carrier_code && r.number == number && r.date == date => {}
            Some(r) => rows.push(wanted(Some(r.id))),
            None => rows.push(wanted(None)),
        }
    }
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(json!({
        "orderNumber": update.order_number,
        "BasketidModelList": [{ "basketId": basket_id, "ShippingModelList": rows }],
    })))
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

/// The mall's messages other than its success notes (what it said about the orders it did not return).
fn messages_but_info(v: &Value) -> String {
    let problems: Vec<Value> = v
        .get("MessageModelList")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter(|m| m.get("messageType").and_then(Value::as_str) != Some("INFO")).cloned().collect())
        .unwrap_or_default();
    messages(&json!({ "MessageModelList": problems }))
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

/// An amount as the mall sent it: -9999 is "not fixed yet", a missing key or null is Absent (not 0).
fn amount(v: &Value, key: &str) -> Amount {
    i(v, key).map(Amount::from_mall).unwrap_or(Amount::Absent)
}

/// A value where the spec says a list: absent or null is an empty list, anything else is refused
/// (an order that does not parse is not an empty order).
/// A part of the bill the mall leaves out when there is none (a fee, coupons, points): 0 yen.
fn part(v: &Value, key: &str) -> Amount {
    i(v, key).map(Amount::from_mall).unwrap_or(Amount::Yen(0))
}

fn list<'v>(v: &'v Value, key: &str, order: &str) -> Result<&'v [Value], String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a.as_slice()),
        Some(other) => Err(format!("order {order}: {key} is {} where the spec has a list", kind(other))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The amounts of the model: a key the spec has as a number must be a number (or its text, or
/// null); an object or a list there means the payload is not what the spec says.
fn amounts_are_numbers(m: &Value, keys: &[&str], order: &str) -> Result<(), String> {
    for key in keys {
        if let Some(v @ (Value::Object(_) | Value::Array(_) | Value::Bool(_))) = m.get(*key) {
            return Err(format!("order {order}: {key} is {} where the spec has an amount", kind(v)));
        }
    }
    Ok(())
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

/// settlementMethodCode, for a SettlementModel that sends only the code.
pub fn settlement_method(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "クレジットカード",
        2 => "代金引換",
        4 => "ショッピングクレジット／ローン",
        5 => "オートローン",
        6 => "リース",
        7 => "請求書払い",
        8 => "ポイント",
        9 => "銀行振込",
        12 => "Apple Pay",
        13 => "セブンイレブン（前払）",
        14 => "ローソン・郵便局ATM等（前払）",
        16 => "Alipay",
        17 => "PayPal",
        21 => "後払い決済",
        27 => "Alipay（支付宝）",
        _ => return None,
    })
}

/// deliveryClass: 0 none, 1 普通, 2 冷蔵, 3 冷凍, 4–8 その他1–5. Only 冷蔵 and 冷凍 say a 温度帯.
fn delivery_temperature(class: Option<i64>) -> Option<String> {
    match class? {
        1 => Some("常温".into()),
        2 => Some("冷蔵".into()),
        3 => Some("冷凍".into()),
        _ => None,
    }
}

/// RMS statuses that mean the order is cancelled: 800 キャンセル確定待ち, 900 キャンセル確定.
const CANCELLED: &[&str] = &["800", "900"];

/// One OrderModel into an Order.
pub fn parse_order(mall: &str, shop: &str, m: &Value) -> Result<Order, String> {
    if !m.is_object() {
        return Err(format!("an OrderModel that is {} where the spec has an object", kind(m)));
    }
    let order_number = s(m, "orderNumber");
    if order_number.is_empty() {
        return Err("an OrderModel without orderNumber".into());
    }
    let ordered_at = DateTime::parse_from_str(&s(m, "orderDatetime"), "%Y-%m-%dT%H:%M:%S%z")
        .map_err(|e| format!("order {order_number}: orderDatetime `{}`: {e}", s(m, "orderDatetime")))?;
    amounts_are_numbers(
        m,
        &["goodsPrice", "postagePrice", "deliveryPrice", "paymentCharge", "couponAllTotalPrice", "requestPrice", "totalPrice"],
        &order_number,
    )?;
    let orderer = party(m.get("OrdererModel").unwrap_or(&Value::Null));
    let packages = list(m, "PackageModelList", &order_number)?;
    let delivery_model = m.get("DeliveryModel").filter(|d| d.is_object());
    let delivery = MallDelivery {
        method: delivery_model.map(|d| s(d, "deliveryName")).unwrap_or_default(),
        temperature: delivery_model.and_then(|d| delivery_temperature(i(d, "deliveryClass"))),
        source: "DeliveryModel.deliveryName / deliveryClass".into(),
    };
    let mut items = Vec::new();
    let mut shipments = Vec::new();
    let mut extras = MallExtras { asuraku: i(m, "asurakuFlag") == Some(1), ..Default::default() };
    let mut included_postage = Vec::new();
    for p in packages {
        if i(p, "packageDeleteFlag") == Some(1) {
            continue;
        }
        amounts_are_numbers(p, &["postagePrice", "deliveryPrice", "goodsPrice"], &order_number)?;
        let sender = p.get("SenderModel").filter(|x| x.is_object());
        let ship_to = sender.map(party).unwrap_or_else(|| orderer.clone());
        let index = shipments.len();
        for it in list(p, "ItemModelList", &order_number)? {
            if i(it, "deleteItemFlag") == Some(1) {
                continue;
            }
            amounts_are_numbers(it, &["price", "units"], &order_number)?;
            let sku = it.pointer("/SkuModelList/0");
            let sku_text = |key: &str| sku.and_then(|x| x.get(key)).and_then(Value::as_str).filter(|t| !t.is_empty()).map(str::to_string);
            if let Some(flag) = i(it, "includePostageFlag") {
                included_postage.push(flag == 1);
            }
            let lead = s(it, "delvdateInfo");
            if !lead.is_empty() && !extras.delivery_date_info.contains(&lead) {
                if !extras.delivery_date_info.is_empty() {
                    extras.delivery_date_info.push_str(" / ");
                }
                extras.delivery_date_info.push_str(&lead);
            }
            items.push(OrderItem {
                product_code: s(it, "itemNumber"),
                item_key: s(it, "manageNumber"),
                sku: sku_text("variantId"),
                name: s(it, "itemName"),
                unit_price: i(it, "price"),
                quantity: i(it, "units").unwrap_or(0),
                options_text: s(it, "selectedChoice"),
                option_price: None,
                tax_rate: it.get("taxRate").and_then(Value::as_f64).and_then(crate::domain::tax::rate_from_fraction),
                tax_excluded: i(it, "includeTaxFlag") == Some(0),
                shipment: index,
                sku_info: sku_text("skuInfo").unwrap_or_default(),
                merchant_sku: sku_text("merchantDefinedSkuId"),
            });
        }
        for sh in list(p, "ShippingModelList", &order_number)? {
            let number = s(sh, "shippingNumber");
            if !number.is_empty() {
                extras.tracking_numbers.push(format!("{}:{number}", s(sh, "deliveryCompany")));
            }
        }
        let noshi = s(p, "noshi");
        if !noshi.is_empty() && !extras.noshi.contains(&noshi) {
            extras.noshi = if extras.noshi.is_empty() { noshi } else { format!("{} / {noshi}", extras.noshi) };
        }
        if extras.default_delivery_company.is_empty() {
            extras.default_delivery_company = s(p, "defaultDeliveryCompanyCode");
        }
        let pending = crate::domain::order::is_placeholder_address(&ship_to);
        shipments.push(Shipment {
            remote_island: sender.and_then(|x| i(x, "isolatedIslandFlag")) == Some(1),
            address_pending: pending,
            postage: amount(p, "postagePrice"),
            delivery: delivery.clone(),
            ship_to,
        });
    }
    if shipments.is_empty() {
        // A cancelled order may come without packages: its ship-to is the orderer's.
        shipments.push(Shipment { delivery: delivery.clone(), ..Shipment::to(orderer.clone()) });
    }
    // The order-level flag covers orders whose SenderModel lacks its own.
    if i(m, "isolatedIslandFlag") == Some(1) && shipments.len() == 1 {
        shipments[0].remote_island = true;
    }
    let remarks = s(m, "remarks");
    let field_date = NaiveDate::parse_from_str(&s(m, "deliveryDate"), "%Y-%m-%d").ok();
    let field_slot = i(m, "shippingTerm").and_then(shipping_term);
    // Structured fields win; the remarks block is the fallback.
    let desired_delivery = DesiredDelivery::from_fields_or_remarks(field_date, field_slot, &remarks);
    // The mall's own gift flags first; the names and addresses only where it sends none.
    let several = i(m, "severalSenderFlag") == Some(1) || shipments.len() > 1;
    let (gift, flag) = match (i(m, "giftCheckFlag"), i(m, "socialGiftFlag")) {
        (_, Some(1)) => (true, Some("socialGiftFlag 1 (ソーシャルギフト)".to_string())),
        (Some(1), _) => (true, Some("giftCheckFlag 1".to_string())),
        _ if several => (true, Some("several destinations (severalSenderFlag)".to_string())),
        (Some(0), _) => (false, Some("giftCheckFlag 0".to_string())),
        _ => (is_gift(&orderer, &shipments[0].ship_to), None),
    };
    extras.gift_flag = flag;
    extras.postage_included = (!included_postage.is_empty()).then(|| included_postage.iter().all(|f| *f));
    for w in ["WrappingModel1", "WrappingModel2"] {
        if let Some(x) = m.get(w).filter(|x| x.is_object() && i(x, "deleteWrappingFlag") != Some(1)) {
            let title = match i(x, "title") {
                Some(1) => "包装紙",
                Some(2) => "リボン",
                _ => "ラッピング",
            };
            extras.wrapping.push(format!("{title}: {}", s(x, "name")).trim_end_matches(": ").to_string());
        }
    }
    let wrapping: i64 = ["WrappingModel1", "WrappingModel2"]
        .iter()
        .filter_map(|w| m.get(*w).filter(|x| x.is_object() && i(x, "deleteWrappingFlag") != Some(1)))
        .filter_map(|x| i(x, "price"))
        .sum();
    let mall_tax = {
        let mut t = MallTax::default();
        let mut any = false;
        for row in list(m, "TaxSummaryModelList", &order_number)? {
            let tax = i(row, "reqPriceTax").or_else(|| i(row, "totalPriceTax"));
            match (row.get("taxRate").and_then(Value::as_f64).and_then(crate::domain::tax::rate_from_fraction), tax) {
                (Some(10), Some(v)) => (t.standard, any) = (t.standard + v, true),
                (Some(8), Some(v)) => (t.reduced, any) = (t.reduced + v, true),
                _ => {}
            }
        }
        any.then_some(t)
    };
    let settlement = m.get("SettlementModel").filter(|x| x.is_object());
    let payment_method = settlement
        .map(|x| s(x, "settlementMethod"))
        .filter(|n| !n.is_empty())
        .or_else(|| settlement.and_then(|x| i(x, "settlementMethodCode")).and_then(settlement_method).map(str::to_string))
        .unwrap_or_default();
    let mall_status = s(m, "orderProgress");
    Ok(Order {
        mall: mall.to_string(),
        shop: shop.to_string(),
        order_number,
        ordered_at,
        cancelled: CANCELLED.contains(&mall_status.as_str()),
        mall_status,
        orderer,
        is_gift: gift,
        items,
        shipments,
        payment_method,
        desired_delivery,
        remarks,
        amounts: Amounts {
            goods: amount(m, "goodsPrice"),
            shipping: amount(m, "postagePrice"),
            cod_fee: part(m, "deliveryPrice"),
            payment_fee: part(m, "paymentCharge"),
            coupons: part(m, "couponAllTotalPrice"),
            points: m.get("PointModel").filter(|p| p.is_object()).map(|p| part(p, "usedPoint")).unwrap_or(Amount::Yen(0)),
            billing_total: amount(m, "requestPrice"),
            wrapping: Amount::Yen(wrapping),
            additional_fee: part(m, "additionalFeeOccurAmountToUser"),
            shop_coupons: amount(m, "couponShopPrice"),
            mall_tax,
        },
        extras,
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
        assert_eq!(b.ship_to().prefecture, "北海道");
        assert_eq!(b.items[0].sku.as_deref(), Some("kyusu-black"));
    }

    /// The cases a new shop met (tests/fixtures/malls/rakuten/cases.json), as the parser reads them.
    #[test]
    fn parses_the_cases_a_new_shop_met() {
        let v: Value = serde_json::from_str(include_str!("../../tests/fixtures/malls/rakuten/cases.json")).unwrap();
        let models = v["OrderModelList"].as_array().unwrap();
        let order = |n: usize| parse_order("rakuten", "s", &models[n - 1]).unwrap();
        // Two recipients: two shipments, each with its items, postage and remote-island flag.
        let two = order(3);
        assert_eq!(two.shipments.len(), 2);
        assert_eq!((two.shipments[1].ship_to.name.as_str(), two.shipments[1].remote_island), ("比嘉 美咲", true));
        assert_eq!((two.shipments[0].postage, two.shipments[1].postage), (Amount::Yen(880), Amount::Yen(2200)));
        assert_eq!(two.items.iter().map(|i| i.shipment).collect::<Vec<_>>(), [0, 1]);
        assert!(!two.shipments[0].remote_island);
        // The mall's delivery fields.
        assert_eq!(
            order(4).shipments[0].delivery,
            MallDelivery {
                method: "クール便".into(),
                temperature: Some("冷蔵".into()),
                source: "DeliveryModel.deliveryName / deliveryClass".into()
            }
        );
        // A settlement sent as a code only.
        assert_eq!(order(6).payment_method, "クレジットカード");
        // Absent amounts are unknown, not 0.
        let absent = order(7);
        assert_eq!(
            (absent.amounts.goods, absent.amounts.billing_total, absent.items[0].unit_price),
            (Amount::Absent, Amount::Absent, None)
        );
        // No name, no email: no customer key, and not a gift for want of a name.
        assert_eq!(order(8).customer_key(), None);
        assert!(!order(8).is_gift);
        // A social gift: the mall's flag, and the placeholder address.
        let social = order(11);
        assert!(social.is_gift && social.shipments[0].address_pending);
        assert_eq!(social.extras.gift_flag.as_deref(), Some("socialGiftFlag 1 (ソーシャルギフト)"));
        // A cancellation without packages.
        let cancelled = order(12);
        assert!(cancelled.cancelled && cancelled.items.is_empty() && cancelled.shipments.len() == 1);
        // SKU lines keep the variation text and the shop's SKU number.
        let sku = order(13);
        assert_eq!(sku.items[0].sku_info, "サイズ:M\nカラー:(090)ブラック");
        assert_eq!(sku.items[0].merchant_sku.as_deref(), Some("TSH-M-BK"));
        assert_eq!((sku.items[1].product_code.as_str(), sku.items[1].item_key.as_str()), ("NG-TSH-001-l-bk", "wa-tshirt-01"));
        // No orderProgress: the status is unknown, not "".
        assert!(!order(14).status_known());
        assert_eq!(order(15).extras.postage_included, Some(true));
    }

    #[test]
    fn a_model_whose_fields_have_another_shape_is_refused_not_stored_empty() {
        let mut m: Value = serde_json::from_str(include_str!("../../tests/fixtures/malls/rakuten/cases.json")).unwrap();
        let mut model = m["OrderModelList"][0].take();
        model["PackageModelList"] = json!({"basketId": 1});
        let err = parse_order("rakuten", "s", &model).unwrap_err();
        assert!(err.contains("PackageModelList is an object where the spec has a list"), "{err}");
        model["PackageModelList"] = json!([]);
        model["requestPrice"] = json!({"value": 1});
        let err = parse_order("rakuten", "s", &model).unwrap_err();
        assert!(err.contains("requestPrice is an object where the spec has an amount"), "{err}");
    }

    #[test]
    fn shipping_terms() {
        assert_eq!(shipping_term(1416).as_deref(), Some("14:00-16:00"));
        assert_eq!(shipping_term(1).as_deref(), Some("午前中"));
        assert_eq!(shipping_term(0), None);
        assert_eq!(shipping_term(9), None);
    }

    fn shipment(numbers: &[&str]) -> ShippingUpdate {
        ShippingUpdate {
            order_number: "338811-20261128-0000000001".into(),
            carrier_code: "1001".into(),
            carrier_name: "ヤマト運輸".into(),
            tracking_numbers: numbers.iter().map(|n| n.to_string()).collect(),
            shipped_on: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        }
    }

    fn with_rows(rows: Value) -> Value {
        json!({"orderNumber": "338811-20261128-0000000001", "PackageModelList": [{"basketId": 10001, "ShippingModelList": rows}]})
    }

    #[test]
    fn shipping_rows_update_what_is_there_and_add_only_beyond_it() {
        // Nothing there yet: one added row per number, the date with hyphens, the code not the name.
        let body = shipping_body(&with_rows(json!([])), &shipment(&["1234-5678-9012", "2222"])).unwrap().unwrap();
        assert_eq!(
            body,
            json!({"orderNumber": "338811-20261128-0000000001", "BasketidModelList": [{"basketId": 10001, "ShippingModelList": [
                {"deliveryCompany": "1001", "shippingDate": "2026-11-28", "shippingNumber": "1234-5678-9012"},
                {"deliveryCompany": "1001", "shippingDate": "2026-11-28", "shippingNumber": "2222"}]}]})
        );
        // RMS already has a row (その他 from an import, no number): it is updated by its id, not added to.
        let rows = json!([{"shippingDetailId": 7, "deliveryCompany": "1000", "shippingNumber": "", "shippingDate": ""}]);
        let body = shipping_body(&with_rows(rows), &shipment(&["1234"])).unwrap().unwrap();
        assert_eq!(
            body["BasketidModelList"][0]["ShippingModelList"],
            json!([{"shippingDetailId": 7, "deliveryCompany": "1001", "shippingDate": "2026-11-28", "shippingNumber": "1234"}])
        );
        // Already holding it: nothing to send.
        let rows = json!([{"shippingDetailId": 7, "deliveryCompany": "1001", "shippingNumber": "1234", "shippingDate": "2026-11-28"}]);
        assert_eq!(shipping_body(&with_rows(rows.clone()), &shipment(&["1234"])).unwrap(), None);
        // A second number: the held one stays, only the new one is added.
        let body = shipping_body(&with_rows(rows), &shipment(&["1234", "5678"])).unwrap().unwrap();
        assert_eq!(
            body["BasketidModelList"][0]["ShippingModelList"],
            json!([{"deliveryCompany": "1001", "shippingDate": "2026-11-28", "shippingNumber": "5678"}])
        );
        // 日本郵便 without tracking: a row without shippingNumber.
        let body = shipping_body(&with_rows(json!([])), &shipment(&[])).unwrap().unwrap();
        assert_eq!(body["BasketidModelList"][0]["ShippingModelList"], json!([{"deliveryCompany": "1001", "shippingDate": "2026-11-28"}]));
        // More than 20 rows on one basket is refused before sending.
        let many: Vec<String> = (0..21).map(|n| n.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(shipping_body(&with_rows(json!([])), &shipment(&many)).unwrap_err().contains("20 件まで"));
        assert!(shipping_body(&json!({"PackageModelList": []}), &shipment(&["1"])).unwrap_err().contains("basketId"));
        assert_eq!(confirm_body("x-1"), json!({"orderNumberList": ["x-1"]}));
    }

    #[test]
    fn search_times_are_jst_with_a_plain_offset() {
        let t = DateTime::parse_from_rfc3339("2026-11-28T01:00:00Z").unwrap();
        assert_eq!(rakuten_time(t), "2026-11-28T10:00:00+0900");
    }
}
