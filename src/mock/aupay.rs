//! The mock's au PAY マーケット (Wowma!): searchTradeInfoListProc / searchTradeInfoProc (XML, Bearer
//! API key, Japanese statuses), and the write calls updateTradeStsProc and updateTradeInfoProc
//! (flat `<request>` bodies), applied to the order or refused with the mall's `<status>1</status>`.

use chrono::{Duration, NaiveDate, TimeZone};

use super::orders::MockOrder;
use super::writes::{Applied, ShipRow};
use super::xml::{escape, Request};
use super::{demo_credential, header, MockState, Reply};
use crate::domain::time::jst;

const SALT: u64 = 3;
/// Order ids are numbers from here on.
const FIRST_ORDER_ID: u64 = 20_000_000;

fn xml(status: u16, body: String) -> Reply {
    Reply { status, content_type: "application/xml; charset=utf-8", body, headers: Vec::new() }
}

fn error(status: u16, code: &str, message: &str) -> Reply {
    xml(
        status,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><response><result><status>1</status><error><code>{code}</code><message>{}</message></error></result></response>",
            escape(message)
        ),
    )
}

pub fn handle(state: &MockState, method: &str, path: &str, query: &[(String, String)], headers: &[(String, String)], body: &str) -> Reply {
    let expected = format!("Bearer {}", demo_credential("api_key"));
    if header(headers, "authorization") != Some(expected.as_str()) || state.scenario.expired.iter().any(|m| m == "aupay") {
        return error(401, "PMB0001", "認証に失敗しました。APIキーを確認してください。");
    }
    if method == "POST" && (path == "/wmshopapi/updateTradeStsProc" || path == "/wmshopapi/updateTradeInfoProc") {
        return write(state, path, headers, body);
    }
    let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if method == "GET" && path == "/wmshopapi/searchTradeInfoProc" {
        let now = (state.now)();
        let found = q("orderId")
            .and_then(|id| id.parse::<u64>().ok())
            .and_then(|n| n.checked_sub(FIRST_ORDER_ID))
            .map(|i| state.plan.order(SALT, i, now))
            .filter(|o| o.ordered_at <= now && !state.scenario.withholds(&(FIRST_ORDER_ID + o.index).to_string()));
        return match found {
            Some(o) => xml(
                200,
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><response><result><status>0</status></result><resultCount>1</resultCount>{}</response>",
                    served(state, &o)
                ),
            ),
            None => error(400, "PMB0201", "該当する受注情報がありません。"),
        };
    }
    if method != "GET" || path != "/wmshopapi/searchTradeInfoListProc" {
        return error(404, "PMB0404", &format!("{method} {path} はありません"));
    }
    let date = |k: &str| q(k).and_then(|v| NaiveDate::parse_from_str(&v.replace('-', ""), "%Y%m%d").ok());
    let (Some(from), Some(to)) = (date("startDate"), date("endDate")) else {
        return error(400, "PMB0101", "startDate/endDateの形式が不正です。");
    };
    let page: usize = q("totalCount").and_then(|v| v.parse().ok()).unwrap_or(100).clamp(1, 1000);
    let start: usize = q("startCount").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    let now = (state.now)();
    let from_t = jst().from_local_datetime(&from.and_hms_opt(0, 0, 0).expect("midnight")).single().expect("JST");
    let to_t = jst().from_local_datetime(&to.and_hms_opt(0, 0, 0).expect("midnight")).single().expect("JST") + Duration::days(1);
    let orders: Vec<MockOrder> = state
        .plan
        .placed_between(from_t, to_t, now)
        .map(|i| state.plan.order(SALT, i, now))
        .filter(|o| o.ordered_at >= from_t && o.ordered_at < to_t && o.ordered_at <= now)
        .collect();
    let body: String = orders.iter().skip(start - 1).take(page).map(|o| served(state, o)).collect();
    xml(
        200,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><response><result><status>0</status></result><resultCount>{}</resultCount>{body}</response>",
            orders.len().saturating_sub(start - 1).min(page)
        ),
    )
}

/// The statuses updateTradeStsProc sets (the built-in ones; キャンセル goes through cancelTradeProc).
const SETTABLE: &[&str] = &["新規受付", "新規予約", "予約中", "発送前入金待ち", "与信待ち", "発送待ち", "発送後入金待ち", "完了", "保留"];
/// shippingCarrier codes the spec lists (1 ヤマト, 2 佐川, 6 日本郵便 are the ones seen in use).
const CARRIERS: &[&str] = &["1", "2", "4", "5", "6", "7", "9"];

fn write(state: &MockState, path: &str, headers: &[(String, String)], body: &str) -> Reply {
    let call = path.trim_start_matches("/wmshopapi/");
    if !header(headers, "content-type").unwrap_or("").to_ascii_lowercase().starts_with("application/xml") {
        return error(400, "PMB0002", "Content-Typeはapplication/xmlで指定してください。");
    }
    let Some(req) = Request::parse(body) else {
        return error(400, "PMB0003", "リクエストのXMLが不正です。");
    };
    // The fields are direct children of <request>: one wrapped in another element is not there.
    let v = |k: &str| req.value(&[k]);
    let id = v("orderId");
    let now = (state.now)();
    let order = id
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_sub(FIRST_ORDER_ID))
        .map(|i| state.plan.order(SALT, i, now))
        .filter(|o| o.ordered_at <= now);
    let was_cancelled = order.as_ref().is_some_and(|o| status(o) == "キャンセル");
    let outcome = state.write("aupay", call, &id, body, |cur, _| {
        for k in ["shopId", "orderId"] {
            if v(k).is_empty() {
                return Err(format!("PMB0100 [{k}]必須入力項目です"));
            }
        }
        if order.is_none() {
            return Err("PMB0201 該当する受注情報がありません。".into());
        }
        let mut next = cur.clone();
        if call == "updateTradeStsProc" {
            let status = v("orderStatus");
            if status.is_empty() {
                return Err("PMB0100 [orderStatus]必須入力項目です".into());
            }
            if !SETTABLE.contains(&status.as_str()) {
                return Err(format!("PMB0110 [orderStatus]{status}は指定できないステータスです"));
            }
            if was_cancelled {
                return Err("PMB0111 キャンセル済みの受注のステータスは変更できません".into());
            }
            next.status = Some(status);
        } else {
            let (date, carrier, number) = (v("shippingDate"), v("shippingCarrier"), v("shippingNumber"));
            if !carrier.is_empty() && !CARRIERS.contains(&carrier.as_str()) {
                return Err(format!("PMB0120 [shippingCarrier]{carrier}は存在しない配送会社です"));
            }
            let date_ok = |d: &str| {
                chrono::NaiveDate::parse_from_str(d, "%Y/%m/%d").is_ok() || chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok()
            };
            if !date.is_empty() && !date_ok(&date) {
                return Err(format!("PMB0121 [shippingDate]{date}の形式が不正です"));
            }
            if date.is_empty() && carrier.is_empty() && number.is_empty() {
                return Err("PMB0100 [shippingDate/shippingCarrier/shippingNumber]いずれかは必須入力項目です".into());
            }
            let was = cur.shipping.first().cloned().unwrap_or(ShipRow {
                detail_id: 0,
                basket_id: 0,
                carrier: String::new(),
                number: String::new(),
                date: String::new(),
            });
            let pick = |new: String, old: String| if new.is_empty() { old } else { new };
            next.shipping = vec![ShipRow {
                detail_id: 0,
                basket_id: 0,
                carrier: pick(carrier, was.carrier),
                number: pick(number, was.number),
                date: pick(date, was.date),
            }];
        }
        Ok(next)
    });
    match outcome {
        Ok(()) => xml(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><response><result><status>0</status></result></response>".into()),
        Err(why) => {
            let (code, message) = why.split_once(' ').unwrap_or((&why, ""));
            error(400, code, message)
        }
    }
}

fn status(o: &MockOrder) -> &'static str {
    match o.progress {
        100 => "新規受付",
        300 => "発送待ち",
        _ => "完了",
    }
}

/// An order as the mock serves it: garbled when the scenario says so (a requestPrice that is not a number).
fn served(state: &MockState, o: &MockOrder) -> String {
    let info = order_info(o, state.applied("aupay", &(FIRST_ORDER_ID + o.index).to_string()).as_ref());
    if !state.scenario.garbles(&(FIRST_ORDER_ID + o.index).to_string()) {
        return info;
    }
    let at = info.find("<requestPrice>").map(|i| i + "<requestPrice>".len()).unwrap_or(0);
    let end = info[at..].find('<').map_or(at, |i| at + i);
    format!("{}未定{}", &info[..at], &info[end..])
}

fn order_info(o: &MockOrder, applied: Option<&Applied>) -> String {
    // What the writes stored: only on orders written to, so the others stay as they were.
    let status_now = applied.and_then(|a| a.status.clone()).unwrap_or_else(|| status(o).to_string());
    let shipped: String = applied
        .and_then(|a| a.shipping.first())
        .map(|r| {
            format!(
                "<shippingDate>{}</shippingDate><shippingCarrier>{}</shippingCarrier><shippingNumber>{}</shippingNumber>",
                escape(&r.date),
                escape(&r.carrier),
                escape(&r.number)
            )
        })
        .unwrap_or_default();
    let (a, b) = (&o.orderer, &o.ship_to);
    let goods = o.goods();
    let postage = if o.postage_not_fixed { -9999 } else { o.postage };
    let total = goods + o.postage + o.cod_fee();
    let request = if o.postage_not_fixed { -9999 } else { total - o.coupon - o.points };
    let details: String = o
        .items
        .iter()
        .enumerate()
        .map(|(n, it)| {
            // au PAY writes options as `項目=選択肢` and gives their price in a field of its own.
            let option = it.choice.replace(':', "=");
            let price = it.option_price();
            format!(
                "<detail><orderDetailId>{}</orderDetailId><itemManagementId>{}</itemManagementId><itemCode>{}</itemCode><itemName>{}</itemName>\
                 <itemOption>{}</itemOption><itemOptionPrice>{price}</itemOptionPrice><itemPrice>{}</itemPrice><unit>{}</unit><totalItemPrice>{}</totalItemPrice><taxType>内税</taxType><taxRate>{}</taxRate></detail>",
                o.index * 10 + n as u64,
                escape(it.manage_number),
                escape(it.item_number),
                escape(it.name),
                escape(&option),
                it.price,
                it.units,
                it.price * it.units,
                it.tax_rate()
            )
        })
        .collect();
    format!(
        "<orderInfo><orderId>{}</orderId><orderDate>{}</orderDate><orderStatus>{}</orderStatus><mailAddress>au{}@example.ne.jp</mailAddress>\
         <ordererName>{} {}</ordererName><ordererKana>{} {}</ordererKana><ordererZipCode>{}</ordererZipCode><ordererAddress>{}{}{}</ordererAddress><ordererPhoneNumber1>{}</ordererPhoneNumber1>\
         <senderName>{} {}</senderName><senderKana>{} {}</senderKana><senderZipCode>{}</senderZipCode><senderAddress>{}{}{}</senderAddress><senderPhoneNumber1>{}</senderPhoneNumber1>\
         <userComment>{}</userComment><settlementName>{}</settlementName><totalSalePrice>{goods}</totalSalePrice><postagePrice>{postage}</postagePrice>\
         <chargePrice>{}</chargePrice><totalPrice>{total}</totalPrice><couponTotalPrice>{}</couponTotalPrice><usePoint>{}</usePoint><requestPrice>{request}</requestPrice><deliveryName>宅配便</deliveryName>{shipped}{details}</orderInfo>",
        FIRST_ORDER_ID + o.index,
        o.ordered_at.format("%Y/%m/%d %H:%M:%S"),
        escape(&status_now),
        o.index,
        a.family, a.first, a.family_kana, a.first_kana, a.zip, a.prefecture, a.city, a.street, a.phone,
        b.family, b.first, b.family_kana, b.first_kana, b.zip, b.prefecture, b.city, b.street, b.phone,
        escape(&o.remarks),
        if o.cod { "代金引換" } else { "クレジットカード決済" },
        o.cod_fee(),
        o.coupon,
        o.points,
    )
}
