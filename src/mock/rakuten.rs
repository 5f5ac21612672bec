//! The mock's Rakuten RMS 楽天ペイ受注API: searchOrder, getOrder, and the write calls (recorded).

use base64::Engine;
use chrono::{DateTime, FixedOffset};
use serde_json::{json, Value};

use super::orders::{MockOrder, Person};
use super::{demo_credential, header, MockState, RecordedCall, Reply};

/// The numeric shop id at the head of the mock's order numbers.
const SHOP_NUMBER: &str = "338811";
const SALT: u64 = 1;

pub fn handle(state: &MockState, method: &str, path: &str, headers: &[(String, String)], body: &str) -> Reply {
    if method != "POST" {
        return Reply::json(405, json!({"Results": {"errorCode": "ES01-01", "message": "Method Not Allowed"}}));
    }
    let expected = format!(
        "ESA {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            demo_credential("service_secret"),
            demo_credential("license_key")
        ))
    );
    if header(headers, "authorization") != Some(expected.as_str()) || state.scenario.expired.iter().any(|m| m == "rakuten") {
        return Reply::json(401, json!({"Results": {"errorCode": "ES04-01", "message": "Unauthorized"}}));
    }
    let ct = header(headers, "content-type").unwrap_or("");
    if !ct.to_ascii_lowercase().replace(' ', "").starts_with("application/json") {
        return Reply::json(415, json!({"Results": {"errorCode": "ES01-02", "message": "Unsupported Media Type"}}));
    }
    let Ok(req) = serde_json::from_str::<Value>(body) else {
        return error(400, "ORDER_EXT_API_COMMON_ERROR_001", "リクエストの形式が不正です。");
    };
    let now = (state.now)();
    match path {
        "/es/2.0/order/searchOrder/" => search(state, &req, now),
        "/es/2.0/order/getOrder/" => get(state, &req, now),
        // The write calls (mall notes §1.4) are recorded for the write-back.
        "/es/2.0/order/confirmOrder/" | "/es/2.0/order/updateOrderShipping/" | "/es/2.0/order/updateOrderShippingAsync/" => {
            state.writes.lock().expect("mock lock").push(RecordedCall { path: path.to_string(), body: body.to_string() });
            Reply::json(
                200,
                json!({"MessageModelList": [{"messageType": "INFO", "messageCode": "ORDER_EXT_API_COMMON_INFO_101", "message": "処理に成功しました。"}]}),
            )
        }
        _ => Reply::json(404, json!({"Results": {"errorCode": "ES01-04", "message": "Not Found"}})),
    }
}

fn error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        json!({"orderNumberList": null, "MessageModelList": [{"messageType": "ERROR", "messageCode": code, "message": message}], "PaginationResponseModel": null}),
    )
}

fn parse_time(v: &Value) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_str(v.as_str()?, "%Y-%m-%dT%H:%M:%S%z").ok()
}

fn search(state: &MockState, req: &Value, now: DateTime<FixedOffset>) -> Reply {
    if req.get("dateType").and_then(Value::as_i64).is_none() {
        return error(400, "ORDER_EXT_API_SEARCH_ORDER_ERROR_009", "dateTypeの項目を指定して下さい。");
    }
    let (Some(from), Some(to)) = (req.get("startDatetime"), req.get("endDatetime")) else {
        return error(400, "ORDER_EXT_API_SEARCH_ORDER_ERROR_010", "startDatetime/endDatetimeの項目を指定して下さい。");
    };
    let (Some(from), Some(to)) = (parse_time(from), parse_time(to)) else {
        return error(400, "ORDER_EXT_API_SEARCH_ORDER_ERROR_011", "startDatetimeの書式が不正です。");
    };
    if to - from > chrono::Duration::days(63) || to < from {
        return error(400, "ORDER_EXT_API_SEARCH_ORDER_ERROR_012", "検索期間は63日以内で指定して下さい。");
    }
    let page_size =
        req.pointer("/PaginationRequestModel/requestRecordsAmount").and_then(Value::as_u64).unwrap_or(30).clamp(1, 1000) as usize;
    let page = req.pointer("/PaginationRequestModel/requestPage").and_then(Value::as_u64).unwrap_or(1).max(1) as usize;
    let numbers: Vec<String> = state
        .plan
        .placed_between(from, to, now)
        .map(|i| state.plan.order(SALT, i, now))
        .filter(|o| o.ordered_at >= from && o.ordered_at <= to && o.ordered_at <= now)
        .map(|o| order_number(&o))
        .chain(
            state
                .scenario
                .rakuten_models
                .iter()
                .filter(|m| parse_time(&m["orderDatetime"]).is_some_and(|t| t >= from && t <= to && t <= now))
                .map(|m| m["orderNumber"].as_str().unwrap_or_default().to_string()),
        )
        .collect();
    if numbers.is_empty() {
        return Reply::json(
            200,
            json!({"orderNumberList": [], "MessageModelList": [{"messageType": "INFO", "messageCode": "ORDER_EXT_API_SEARCH_ORDER_INFO_102", "message": "注文検索に成功しました。(検索結果０件)"}],
                   "PaginationResponseModel": {"totalRecordsAmount": null, "totalPages": null, "requestPage": null}}),
        );
    }
    let pages = numbers.len().div_ceil(page_size);
    let slice: Vec<&String> = numbers.iter().skip((page - 1) * page_size).take(page_size).collect();
    Reply::json(
        200,
        json!({"orderNumberList": slice,
               "MessageModelList": [{"messageType": "INFO", "messageCode": "ORDER_EXT_API_SEARCH_ORDER_INFO_101", "message": "注文検索に成功しました。"}],
               "PaginationResponseModel": {"totalRecordsAmount": numbers.len(), "totalPages": pages, "requestPage": page}}),
    )
}

fn get(state: &MockState, req: &Value, now: DateTime<FixedOffset>) -> Reply {
    let Some(list) = req.get("orderNumberList").and_then(Value::as_array) else {
        return error(400, "ORDER_EXT_API_GET_ORDER_ERROR_001", "orderNumberListの項目を指定して下さい。");
    };
    if list.len() > 100 {
        return error(400, "ORDER_EXT_API_GET_ORDER_ERROR_002", "orderNumberListは100件以内で指定して下さい。");
    }
    let extra = |n: &str| state.scenario.rakuten_models.iter().find(|m| m["orderNumber"].as_str() == Some(n)).cloned();
    let asked: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
    let models: Vec<Value> = asked
        .iter()
        .filter(|n| !state.scenario.withholds(n))
        .filter_map(|n| match extra(n) {
            Some(model) => Some(model),
            None => index_of(n).map(|i| state.plan.order(SALT, i, now)).filter(|o| o.ordered_at <= now).map(|o| order_model(&o)),
        })
        .map(|mut m| {
            if m["orderNumber"].as_str().is_some_and(|n| state.scenario.garbles(n)) {
                // A shape the spec does not allow: one package as an object, not a list.
                let first = m["PackageModelList"][0].take();
                m["PackageModelList"] = first;
            }
            m
        })
        .collect();
    let mut messages = Vec::new();
    if !models.is_empty() {
        messages.push(json!({"messageType": "INFO", "messageCode": "ORDER_EXT_API_GET_ORDER_INFO_101", "message": format!("受注情報取得に成功しました。(取得件数{}件)", models.len())}));
    }
    if models.len() < asked.len() {
        messages.push(
            json!({"messageType": "ERROR", "messageCode": "ORDER_EXT_API_GET_ORDER_INFO_102", "message": "受注情報が取得できませんでした"}),
        );
    }
    Reply::json(
        200,
        json!({"MessageModelList": messages, "OrderModelList": models, "version": req.get("version").cloned().unwrap_or(json!(7))}),
    )
}

/// `338811-20261128-0000001234`; every fifth order has the older 8-digit serial.
pub fn order_number(o: &MockOrder) -> String {
    let date = o.ordered_at.format("%Y%m%d");
    if o.index.is_multiple_of(5) {
        format!("{SHOP_NUMBER}-{date}-{:08}", o.index)
    } else {
        format!("{SHOP_NUMBER}-{date}-{:010}", o.index)
    }
}

fn index_of(number: &str) -> Option<u64> {
    let mut parts = number.split('-');
    (parts.next()? == SHOP_NUMBER).then_some(())?;
    parts.next()?;
    parts.next()?.parse().ok()
}

fn person(p: &Person, with_email: bool) -> Value {
    let (zip1, zip2) = p.zip.split_once('-').unwrap_or((&p.zip, ""));
    let phone: Vec<&str> = p.phone.split('-').collect();
    let mut v = json!({
        "zipCode1": zip1, "zipCode2": zip2, "prefecture": p.prefecture, "city": p.city, "subAddress": p.street,
        "familyName": p.family, "firstName": p.first, "familyNameKana": p.family_kana, "firstNameKana": p.first_kana,
        "phoneNumber1": phone.first(), "phoneNumber2": phone.get(1), "phoneNumber3": phone.get(2),
    });
    if !with_email {
        v["isolatedIslandFlag"] = json!(p.is_remote_island() as i32);
    }
    if with_email {
        v["emailAddress"] = json!(format!("{}x{}@pc.fw.rakuten.ne.jp", p.phone.replace('-', ""), p.zip.replace('-', "")));
    }
    v
}

/// An OrderModel as getOrder version 7 writes it: nested models with capitalised keys, -9999 for
/// amounts not fixed, one PackageModel per destination.
pub fn order_model(o: &MockOrder) -> Value {
    // The add-ons are in the mall's goods total where the shop has charged them.
    let goods = o.goods() + if o.addon_charged { o.addons() } else { 0 };
    let split = o.second.as_ref().map_or(o.items.len(), |s| s.first_item);
    // With two destinations each package pays its own postage, by the same tariff.
    let first_postage = match &o.second {
        Some(_) => {
            let first: i64 = o.items[..split].iter().map(|i| i.price * i.units).sum();
            super::orders::postage_for(o.ship_to.prefecture, first, false)
        }
        None => o.postage,
    };
    let second_postage = o.second.as_ref().map_or(0, |s| s.postage);
    let postage_total = first_postage + second_postage;
    let postage = if o.postage_not_fixed { -9999 } else { postage_total };
    let total = if o.postage_not_fixed { -9999 } else { goods + postage_total };
    let request = if o.postage_not_fixed { -9999 } else { goods + postage_total + o.cod_fee() - o.coupon - o.points };
    let item = |(n, it): (usize, &super::orders::MockItem)| {
        json!({"itemDetailId": o.index * 10 + n as u64, "itemName": it.name, "itemId": 10_000_000 + n, "itemNumber": it.item_number,
               "manageNumber": it.manage_number, "price": it.price, "units": it.units, "includePostageFlag": 0, "includeTaxFlag": 1,
               "includeCashOnDeliveryPostageFlag": 0, "selectedChoice": it.choice, "pointRate": 1, "inventoryType": 1,
               "delvdateInfo": "1～2日以内に発送予定（店舗休業日を除く）", "deleteItemFlag": 0, "taxRate": it.tax_rate() as f64 / 100.0, "priceTaxIncl": it.price,
               "SkuModelList": [{"variantId": format!("{}-{}", it.item_number, n + 1), "merchantDefinedSkuId": null, "skuInfo": it.choice}]})
    };
    let package = |basket: u64, to: &Person, items: Vec<Value>, postage: i64, cod: i64| {
        json!({"basketId": basket, "postagePrice": if o.postage_not_fixed { -9999 } else { postage }, "deliveryPrice": cod,
               "noshi": null, "packageDeleteFlag": 0, "SenderModel": person(to, false), "ItemModelList": items,
               "ShippingModelList": [], "DeliveryCvsModel": null, "defaultDeliveryCompanyCode": "1001"})
    };
    let mut packages =
        vec![package(10_000 + o.index, &o.ship_to, o.items[..split].iter().enumerate().map(item).collect(), first_postage, o.cod_fee())];
    if let Some(second) = &o.second {
        let items = o.items.iter().enumerate().skip(split).map(item).collect();
        packages.push(package(20_000 + o.index, &second.ship_to, items, second.postage, 0));
    }
    let (delivery_name, delivery_class) = if o.frozen() {
        ("クール便", 3)
    } else if o.mail_bin {
        ("メール便", 0)
    } else {
        ("宅配便", 0)
    };
    json!({
        "orderNumber": order_number(o),
        "orderProgress": o.progress,
        "subStatusId": null,
        "orderDatetime": o.ordered_at.format("%Y-%m-%dT%H:%M:%S%z").to_string(),
        "shopOrderCfmDatetime": null,
        "deliveryDate": o.delivery_date.map(|d| d.to_string()),
        "shippingTerm": o.shipping_term,
        "remarks": o.remarks,
        "giftCheckFlag": if o.gift { 1 } else { 0 },
        "severalSenderFlag": if o.second.is_some() { 1 } else { 0 },
        "equalSenderFlag": if o.gift || o.second.is_some() { 0 } else { 1 },
        "goodsPrice": goods,
        "goodsTax": 0,
        "postagePrice": postage,
        "deliveryPrice": o.cod_fee(),
        "paymentCharge": 0,
        "totalPrice": total,
        "requestPrice": request,
        "couponAllTotalPrice": o.coupon,
        "couponShopPrice": o.coupon,
        "couponOtherPrice": 0,
        "additionalFeeOccurAmountToUser": 0,
        "memo": "",
        "OrdererModel": person(&o.orderer, true),
        "SettlementModel": {"settlementMethodCode": if o.cod { 2 } else { 1 }, "settlementMethod": if o.cod { "代金引換" } else { "クレジットカード" }, "rpaySettlementFlag": if o.cod { 0 } else { 1 }},
        "DeliveryModel": {"deliveryName": delivery_name, "deliveryClass": delivery_class},
        "PointModel": {"usedPoint": o.points},
        "PackageModelList": packages,
    })
}
