//! The mock's Amazon SP-API Orders v0 and LWA token endpoint: getOrders, getOrder, getOrderItems, and
//! confirmShipment (204), which marks the order Shipped for every later read.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde_json::{json, Value};

use super::orders::MockOrder;
use super::server::parse_form;
use super::writes::{Applied, ShipRow};
use super::{demo_credential, header, MockState, Reply};

const SALT: u64 = 2;
pub const MARKETPLACE_JP: &str = "A1VC38T7YXB528";
const ACCESS_TOKEN: &str = "Atza|mock-access-token";

pub fn handle(state: &MockState, method: &str, path: &str, query: &[(String, String)], headers: &[(String, String)], body: &str) -> Reply {
    if path == "/auth/o2/token" {
        return token(state, method, body);
    }
    if header(headers, "x-amz-access-token") != Some(ACCESS_TOKEN) {
        return Reply::json(
            403,
            json!({"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": ""}]}),
        );
    }
    let now = (state.now)();
    let parts: Vec<&str> = path.trim_start_matches("/orders/v0/orders").split('/').filter(|p| !p.is_empty()).collect();
    match (method, parts.as_slice()) {
        ("GET", []) => orders(state, now, query),
        ("GET", [id]) => match find(state, id, now) {
            Some(o) => Reply::json(200, json!({"payload": order_json(state, &o)})),
            None => not_found(id),
        },
        ("GET", [id, "orderItems"]) => match find(state, id, now) {
            Some(o) => Reply::json(200, json!({"payload": {"AmazonOrderId": id, "OrderItems": items(state, &o)}})),
            None => not_found(id),
        },
        ("POST", [id, "shipmentConfirmation"]) => confirm_shipment(state, id, body, now),
        _ => Reply::json(404, json!({"errors": [{"code": "NotFound", "message": format!("no {method} {path}")}]})),
    }
}

fn not_found(id: &str) -> Reply {
    Reply::json(404, json!({"errors": [{"code": "NotFound", "message": format!("Order {id} not found")}]}))
}

fn find(state: &MockState, id: &str, now: DateTime<FixedOffset>) -> Option<MockOrder> {
    index_of(id).map(|i| state.plan.order(SALT, i, now)).filter(|o| o.ordered_at <= now)
}

/// confirmShipment: one package, checked as the model describes it, then the order is Shipped.
fn confirm_shipment(state: &MockState, id: &str, body: &str, now: DateTime<FixedOffset>) -> Reply {
    let order = find(state, id, now);
    let req: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    // Read before the write takes the book's lock.
    let known: Vec<(String, i64)> = order
        .as_ref()
        .map(|o| items(state, o))
        .unwrap_or_default()
        .iter()
        .map(|it| (it["OrderItemId"].as_str().unwrap_or_default().to_string(), it["QuantityOrdered"].as_i64().unwrap_or(0)))
        .collect();
    let outcome = state.write("amazon", "confirmShipment", id, body, |cur, _| {
        let Some(o) = &order else { return Err(format!("NotFound Order {id} not found")) };
        let bad = |m: &str| Err(format!("InvalidInput {m}"));
        if req["marketplaceId"].as_str() != Some(MARKETPLACE_JP) {
            return bad("marketplaceId is required and must be A1VC38T7YXB528");
        }
        let p = &req["packageDetail"];
        if !p.is_object() {
            return bad("packageDetail is required");
        }
        let text = |k: &str| p[k].as_str().unwrap_or_default().to_string();
        let reference = text("packageReferenceId");
        if reference.is_empty() || !reference.bytes().all(|b| b.is_ascii_digit()) || reference.trim_start_matches('0').is_empty() {
            return bad(&format!("packageReferenceId `{reference}` must be a positive numeric value"));
        }
        let carrier = text("carrierCode");
        if carrier.is_empty() {
            return bad("carrierCode is required");
        }
        if (carrier == "Other" || carrier == "Others") && text("carrierName").is_empty() {
            return bad("carrierName is required when carrierCode is Other");
        }
        if text("trackingNumber").is_empty() {
            return bad("trackingNumber is required");
        }
        let Ok(ship_date) = DateTime::parse_from_rfc3339(&text("shipDate")) else {
            return bad(&format!("shipDate `{}` is not an ISO 8601 date-time", text("shipDate")));
        };
        let lines = p["orderItems"].as_array().cloned().unwrap_or_default();
        if lines.is_empty() {
            return bad("orderItems is required");
        }
        for l in &lines {
            let item = l["orderItemId"].as_str().unwrap_or_default();
            let Some((_, ordered)) = known.iter().find(|(k, _)| k == item) else {
                return bad(&format!("orderItemId `{item}` is not an item of order {id}"));
            };
            let qty = l["quantity"].as_i64().unwrap_or(0);
            if qty < 1 || qty > *ordered {
                return bad(&format!("quantity {qty} of orderItemId {item} is not between 1 and {ordered}"));
            }
        }
        match status_now(o, Some(cur)).as_str() {
            "Unshipped" | "PartiallyShipped" => {}
            other => return bad(&format!("order {id} is {other}: only Unshipped orders can be confirmed")),
        }
        Ok(Applied {
            status: Some("Shipped".into()),
            shipping: vec![ShipRow {
                detail_id: 0,
                basket_id: 0,
                carrier: if carrier == "Other" || carrier == "Others" { text("carrierName") } else { carrier },
                number: text("trackingNumber"),
                date: ship_date.with_timezone(&crate::domain::time::jst()).date_naive().to_string(),
            }],
            ..cur.clone()
        })
    });
    match outcome {
        Ok(()) => Reply { status: 204, content_type: "application/json", body: String::new(), headers: Vec::new() },
        Err(why) => {
            let (code, message) = why.split_once(' ').unwrap_or((&why, ""));
            let status = if code == "NotFound" { 404 } else { 400 };
            Reply::json(status, json!({"errors": [{"code": code, "message": message, "details": ""}]}))
        }
    }
}

/// OrderStatus now: the written one, else the time-driven one.
fn status_now(o: &MockOrder, applied: Option<&Applied>) -> String {
    applied.and_then(|a| a.status.clone()).unwrap_or_else(|| status(o).to_string())
}

fn token(state: &MockState, method: &str, body: &str) -> Reply {
    let form = parse_form(body);
    let f = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let ok = method == "POST"
        && f("grant_type") == Some("refresh_token")
        && f("refresh_token") == Some(&demo_credential("refresh_token"))
        && f("client_id") == Some(&demo_credential("lwa_client_id"))
        && f("client_secret") == Some(&demo_credential("lwa_client_secret"))
        && !state.scenario.expired.iter().any(|m| m == "amazon");
    if !ok {
        return Reply::json(
            400,
            json!({"error": "invalid_grant", "error_description": "The request has an invalid grant parameter : refresh_token"}),
        );
    }
    Reply::json(
        200,
        json!({"access_token": ACCESS_TOKEN, "refresh_token": demo_credential("refresh_token"), "token_type": "bearer", "expires_in": 3600}),
    )
}

fn parse_iso(s: Option<&str>) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s?).ok()
}

fn orders(state: &MockState, now: DateTime<FixedOffset>, query: &[(String, String)]) -> Reply {
    let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let bad = |m: &str| Reply::json(400, json!({"errors": [{"code": "InvalidInput", "message": m}]}));
    if q("MarketplaceIds") != Some(MARKETPLACE_JP) {
        return bad("MarketplaceIds is required");
    }
    let page_size = q("MaxResultsPerPage").and_then(|v| v.parse().ok()).unwrap_or(100usize).clamp(1, 100);
    // NextToken is the offset into the same search, encoded with its criteria.
    let (criteria, offset) = match q("NextToken") {
        Some(t) => match t.rsplit_once('@') {
            Some((c, o)) => (c.to_string(), o.parse().unwrap_or(0usize)),
            None => return bad("Invalid NextToken"),
        },
        None => {
            let c = if let Some(ids) = q("AmazonOrderIds") {
                format!("ids={ids}")
            } else {
                let after = q("LastUpdatedAfter").map(|a| format!("u={a}")).or_else(|| q("CreatedAfter").map(|a| format!("c={a}")));
                let Some(after) = after else { return bad("Exactly one of CreatedAfter or LastUpdatedAfter must be specified") };
                let before = q("LastUpdatedBefore").or_else(|| q("CreatedBefore")).unwrap_or("");
                if let Some(b) = parse_iso(Some(before)) {
                    if b > now - Duration::minutes(2) {
                        return bad("LastUpdatedBefore must be a date at least 2 minutes before the time of the request");
                    }
                }
                format!("{after}|{before}")
            };
            (c, 0)
        }
    };
    let all: Vec<MockOrder> = if let Some(ids) = criteria.strip_prefix("ids=") {
        ids.split(',').filter_map(index_of).map(|i| state.plan.order(SALT, i, now)).filter(|o| o.ordered_at <= now).collect()
    } else {
        let (after, before) = criteria.split_once('|').unwrap_or((&criteria, ""));
        let by_update = after.starts_with("u=");
        let Some(from) = parse_iso(Some(&after[2..])) else { return bad("Invalid date") };
        let to = parse_iso(Some(before)).unwrap_or(now - Duration::minutes(2));
        let earliest = if by_update { from - Duration::days(2) - Duration::hours(1) } else { from };
        state
            .plan
            .placed_between(earliest, to, now)
            .map(|i| state.plan.order(SALT, i, now))
            .filter(|o| {
                let t =
                    if by_update { Applied::updated(state.applied("amazon", &order_id(o)).as_ref(), last_update(o)) } else { o.ordered_at };
                t >= from && t <= to && o.ordered_at <= now
            })
            .collect()
    };
    let page: Vec<Value> = all.iter().skip(offset).take(page_size).map(|o| order_json(state, o)).collect();
    let mut payload = json!({"Orders": page, "LastUpdatedBefore": (now - Duration::minutes(2)).with_timezone(&Utc).to_rfc3339()});
    if offset + page_size < all.len() {
        payload["NextToken"] = json!(format!("{criteria}@{}", offset + page_size));
    }
    Reply::json(200, json!({ "payload": payload }))
}

/// `503-0001234-0001234`: 3-7-7 digits; the last group is the mock's order index.
pub fn order_id(o: &MockOrder) -> String {
    format!("503-{:07}-{:07}", (o.index * 7919) % 10_000_000, o.index % 10_000_000)
}

fn index_of(id: &str) -> Option<u64> {
    let mut p = id.split('-');
    (p.next()? == "503").then_some(())?;
    p.next()?;
    p.next()?.parse().ok()
}

fn last_update(o: &MockOrder) -> DateTime<FixedOffset> {
    match o.progress {
        100 => o.ordered_at,
        300 => o.ordered_at + Duration::minutes(20),
        _ => o.ordered_at + Duration::days(2),
    }
}

fn status(o: &MockOrder) -> &'static str {
    match o.progress {
        100 => "Pending",
        300 => "Unshipped",
        _ => "Shipped",
    }
}

fn money(v: i64) -> Value {
    json!({"CurrencyCode": "JPY", "Amount": format!("{v}.00")})
}

fn order_json(state: &MockState, o: &MockOrder) -> Value {
    let p = &o.ship_to;
    let applied = state.applied("amazon", &order_id(o));
    let status = status_now(o, applied.as_ref());
    let shipped = status == "Shipped";
    // One order in eight by its number, so no new draw changes the others: お急ぎ便.
    let (level, category) = if o.index % 8 == 7 { ("Exp JP Kanto8", "Expedited") } else { ("Std JP Kanto8", "Standard") };
    let total = o.goods() + o.postage + o.cod_fee() - o.coupon;
    json!({
        "AmazonOrderId": order_id(o),
        "PurchaseDate": o.ordered_at.with_timezone(&Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "LastUpdateDate": Applied::updated(applied.as_ref(), last_update(o)).with_timezone(&Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "OrderStatus": status,
        "FulfillmentChannel": "MFN",
        "SalesChannel": "Amazon.co.jp",
        "ShipServiceLevel": level,
        "OrderTotal": money(total),
        "NumberOfItemsShipped": if shipped { o.items.len() } else { 0 },
        "NumberOfItemsUnshipped": if shipped { 0 } else { o.items.len() },
        "PaymentMethod": if o.cod { "COD" } else { "Other" },
        "PaymentMethodDetails": [if o.cod { "COD" } else { "Standard" }],
        "MarketplaceId": MARKETPLACE_JP,
        "ShipmentServiceLevelCategory": category,
        "OrderType": "StandardOrder",
        "EarliestShipDate": (o.ordered_at + Duration::days(1)).with_timezone(&Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "LatestShipDate": (o.ordered_at + Duration::days(3)).with_timezone(&Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "IsPrime": false,
        "IsBusinessOrder": false,
        "ShippingAddress": {"Name": format!("{} {}", p.family, p.first), "PostalCode": p.zip, "StateOrRegion": p.prefecture,
                            "City": p.city, "AddressLine1": p.street, "CountryCode": "JP", "Phone": p.phone},
        "BuyerInfo": {"BuyerEmail": format!("mock{}@marketplace.amazon.co.jp", o.index), "BuyerName": format!("{} {}", o.orderer.family, o.orderer.first)},
    })
}

fn items(state: &MockState, o: &MockOrder) -> Vec<Value> {
    let shipped = status_now(o, state.applied("amazon", &order_id(o)).as_ref()) == "Shipped";
    o.items
        .iter()
        .enumerate()
        .map(|(n, it)| {
            // Order-level charges sit on the first item, as Amazon reports them per item.
            let first = n == 0;
            json!({"ASIN": format!("B0{:08}", 10_000 + n), "SellerSKU": it.item_number, "OrderItemId": format!("{}{:02}", 10_000_000_000u64 + o.index, n),
                   "Title": it.name, "QuantityOrdered": it.units, "QuantityShipped": if shipped { it.units } else { 0 },
                   "ItemPrice": money(it.price * it.units), "ShippingPrice": money(if first { o.postage } else { 0 }),
                   "CODFee": money(if first { o.cod_fee() } else { 0 }), "PromotionDiscount": money(if first { o.coupon } else { 0 }),
                   "IsGift": if o.gift { "true" } else { "false" }})
        })
        .collect()
}
