//! The mock's Rakuten RMS 楽天ペイ受注API: searchOrder, getOrder, and the write calls confirmOrder and
//! updateOrderShipping, applied to the order (every later getOrder shows them) or refused with
//! RMS's own messages.

use base64::Engine;
use chrono::{DateTime, FixedOffset};
use serde_json::{json, Value};

use super::orders::{MockOrder, Person};
use super::writes::{Applied, ShipRow};
use super::{demo_credential, header, MockState, Reply};

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
        "/es/2.0/order/confirmOrder/" => confirm(state, &req, body, now),
        "/es/2.0/order/updateOrderShipping/" => update_shipping(state, &req, body, now),
        _ => Reply::json(404, json!({"Results": {"errorCode": "ES01-04", "message": "Not Found"}})),
    }
}

/// A write refused: HTTP 400 with the messages, one per problem.
fn refused(code_and_message: &str) -> Reply {
    let (code, message) = code_and_message.split_once(' ').unwrap_or((code_and_message, ""));
    Reply::json(400, json!({"MessageModelList": [{"messageType": "ERROR", "messageCode": code, "message": message}]}))
}

/// An order as getOrder serves it now, with what the writes changed; None if there is no such order (yet).
fn model(state: &MockState, number: &str, now: DateTime<FixedOffset>) -> Option<Value> {
    let mut m = match state.scenario.rakuten_models.iter().find(|m| m["orderNumber"].as_str() == Some(number)) {
        Some(m) => m.clone(),
        None => index_of(number).map(|i| state.plan.order(SALT, i, now)).filter(|o| o.ordered_at <= now).map(|o| order_model(&o))?,
    };
    if let Some(applied) = state.applied("rakuten", number) {
        overlay(&mut m, &applied);
    }
    Some(m)
}

/// The written status and shipping rows over an OrderModel: a written status wins over the time-driven one.
fn overlay(m: &mut Value, applied: &Applied) {
    if let Some(progress) = applied.status.as_deref().and_then(|s| s.parse::<u32>().ok()) {
        m["orderProgress"] = json!(progress);
    }
    if let Some(packages) = m.get_mut("PackageModelList").and_then(Value::as_array_mut) {
        for p in packages {
            let basket = p["basketId"].as_u64().unwrap_or(0);
            let rows: Vec<Value> = applied
                .shipping
                .iter()
                .filter(|r| r.basket_id == basket)
                .map(|r| {
                    json!({"shippingDetailId": r.detail_id, "shippingNumber": r.number, "deliveryCompany": r.carrier,
                           "deliveryCompanyName": carrier_name(&r.carrier), "shippingDate": r.date})
                })
                .collect();
            if !rows.is_empty() {
                p["ShippingModelList"] = Value::Array(rows);
            }
        }
    }
}

/// RMS deliveryCompany codes (mall notes §1.7): 1000 その他 … 1031 名鉄NX運輸.
fn carrier_name(code: &str) -> &'static str {
    match code {
        "1000" => "その他",
        "1001" => "ヤマト運輸",
        "1002" => "佐川急便",
        "1003" => "日本郵便",
        "1004" => "西濃運輸",
        "1006" => "福山通運",
        "1030" => "ヤマト運輸 クロネコゆうパケット",
        c if c.parse::<u32>().is_ok_and(|n| (1000..=1031).contains(&n)) => "配送会社",
        _ => "",
    }
}

/// confirmOrder: moves orders out of 100 注文確認待ち into 300 発送待ち; any other status is refused.
fn confirm(state: &MockState, req: &Value, body: &str, now: DateTime<FixedOffset>) -> Reply {
    let Some(list) = req.get("orderNumberList").and_then(Value::as_array).filter(|l| !l.is_empty()) else {
        return refused("ORDER_EXT_API_CONFIRM_ORDER_ERROR_001 orderNumberListの項目を指定して下さい。");
    };
    let mut problems = Vec::new();
    for n in list.iter().filter_map(Value::as_str) {
        let progress = model(state, n, now).and_then(|m| m["orderProgress"].as_u64());
        let outcome = state.write("rakuten", "confirmOrder", n, body, |cur, _| match progress {
            None => Err(format!("ORDER_EXT_API_CONFIRM_ORDER_ERROR_002 注文番号[{n}]は存在しません。")),
            Some(100) => Ok(Applied { status: Some("300".into()), ..cur.clone() }),
            Some(p) => Err(format!("ORDER_EXT_API_CONFIRM_ORDER_ERROR_004 注文番号[{n}]は注文確認待ち(100)ではありません（現在 {p}）。")),
        });
        if let Err(why) = outcome {
            problems.push(why);
        }
    }
    if let Some(first) = problems.first() {
        return refused(first);
    }
    Reply::json(
        200,
        json!({"MessageModelList": [{"messageType": "INFO", "messageCode": "ORDER_EXT_API_CONFIRM_ORDER_INFO_101", "message": "注文確認に成功しました。"}]}),
    )
}

/// updateOrderShipping (sync): a row with shippingDetailId updates that row, one without adds a row;
/// the whole request is checked first and applied whole, or refused whole.
fn update_shipping(state: &MockState, req: &Value, body: &str, now: DateTime<FixedOffset>) -> Reply {
    const PREFIX: &str = "ORDER_EXT_API_UPDATE_ORDERSHIPPING";
    let number = req.get("orderNumber").and_then(Value::as_str).unwrap_or_default().to_string();
    if number.is_empty() {
        return refused(&format!("{PREFIX}_ERROR_001 orderNumberの項目を指定して下さい。"));
    }
    let m = model(state, &number, now);
    let baskets: Vec<u64> = m
        .as_ref()
        .and_then(|m| m["PackageModelList"].as_array())
        .map(|l| l.iter().filter_map(|p| p["basketId"].as_u64()).collect())
        .unwrap_or_default();
    let progress = m.as_ref().and_then(|m| m["orderProgress"].as_u64()).unwrap_or(0);
    let mut messages = Vec::new();
    let outcome = state.write("rakuten", "updateOrderShipping", &number, body, |cur, last_id| {
        if m.is_none() {
            return Err(format!("{PREFIX}_ERROR_002 注文番号[{number}]は存在しません。"));
        }
        if progress == 800 || progress == 900 {
            return Err(format!("{PREFIX}_ERROR_003 キャンセルの注文は発送情報を更新できません。"));
        }
        let Some(list) = req.get("BasketidModelList").and_then(Value::as_array).filter(|l| !l.is_empty()) else {
            return Err(format!("{PREFIX}_ERROR_004 BasketidModelListの項目を指定して下さい。"));
        };
        let mut next = cur.clone();
        let mut data_number = 0;
        for b in list {
            let Some(basket) = b.get("basketId").and_then(Value::as_u64).filter(|id| baskets.contains(id)) else {
                return Err(format!("{PREFIX}_ERROR_007 basketId[{}]はこの注文の送付先ではありません。", b.get("basketId").unwrap_or(&Value::Null)));
            };
            for row in b.get("ShippingModelList").and_then(Value::as_array).cloned().unwrap_or_default() {
                data_number += 1;
                let text = |k: &str| row.get(k).and_then(Value::as_str).map(str::to_string);
                let company = text("deliveryCompany");
                if let Some(c) = &company {
                    if carrier_name(c).is_empty() {
                        return Err(format!("{PREFIX}_ERROR_013 deliveryCompany[{c}]は配送会社コードとして存在しません。"));
                    }
                }
                let date = text("shippingDate");
                if let Some(d) = &date {
                    if !d.is_empty() && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                        return Err(format!("{PREFIX}_ERROR_011 shippingDateの書式が不正です。"));
                    }
                }
                let number_text = text("shippingNumber");
                if number_text.as_ref().is_some_and(|n| n.chars().count() > 120) {
                    return Err(format!("{PREFIX}_ERROR_011 shippingNumberの書式が不正です。"));
                }
                match row.get("shippingDetailId").and_then(Value::as_u64) {
                    Some(id) => {
                        let Some(r) = next.shipping.iter_mut().find(|r| r.detail_id == id && r.basket_id == basket) else {
                            return Err(format!("{PREFIX}_ERROR_008 shippingDetailId[{id}]は存在しません。"));
                        };
                        // An omitted key leaves the value as it was.
                        if let Some(c) = company {
                            r.carrier = c;
                        }
                        if let Some(n) = number_text {
                            r.number = n;
                        }
                        if let Some(d) = date {
                            r.date = d;
                        }
                        messages.push(json!({"messageType": "INFO", "messageCode": format!("{PREFIX}_INFO_102"), "message": "発送情報の更新設定が完了しました。", "dataNumber": data_number, "shippingDetailId": id}));
                    }
                    None => {
                        *last_id += 1;
                        next.shipping.push(ShipRow {
                            detail_id: *last_id,
                            basket_id: basket,
                            carrier: company.unwrap_or_default(),
                            number: number_text.unwrap_or_default(),
                            date: date.unwrap_or_default(),
                        });
                        messages.push(json!({"messageType": "INFO", "messageCode": format!("{PREFIX}_INFO_101"), "message": "発送情報の追加設定が完了しました。", "dataNumber": data_number, "shippingDetailId": *last_id}));
                    }
                }
            }
            if next.shipping.iter().filter(|r| r.basket_id == basket).count() > 20 {
                return Err(format!("{PREFIX}_ERROR_009 1つの送付先に登録できる発送情報は20件までです。"));
            }
        }
        // The report moves an order waiting for shipment (300) to 500 発送済.
        if progress == 300 {
            next.status = Some("500".into());
        }
        Ok(next)
    });
    if let Err(why) = outcome {
        return refused(&why);
    }
    Reply::json(200, json!({ "MessageModelList": messages }))
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
            if let Some(applied) = m["orderNumber"].as_str().and_then(|n| state.applied("rakuten", n)) {
                overlay(&mut m, &applied);
            }
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
