//! The mock's au PAY マーケット (Wowma!) searchTradeInfoListProc: XML, Bearer API key, Japanese statuses.

use chrono::{Duration, NaiveDate, TimeZone};

use super::orders::MockOrder;
use super::xml::escape;
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

pub fn handle(state: &MockState, method: &str, path: &str, query: &[(String, String)], headers: &[(String, String)]) -> Reply {
    let expected = format!("Bearer {}", demo_credential("api_key"));
    if header(headers, "authorization") != Some(expected.as_str()) || state.scenario.expired.iter().any(|m| m == "aupay") {
        return error(401, "PMB0001", "認証に失敗しました。APIキーを確認してください。");
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

fn status(o: &MockOrder) -> &'static str {
    match o.progress {
        100 => "新規受付",
        300 => "発送待ち",
        _ => "完了",
    }
}

/// An order as the mock serves it: garbled when the scenario says so (a requestPrice that is not a number).
fn served(state: &MockState, o: &MockOrder) -> String {
    let info = order_info(o);
    if !state.scenario.garbles(&(FIRST_ORDER_ID + o.index).to_string()) {
        return info;
    }
    let at = info.find("<requestPrice>").map(|i| i + "<requestPrice>".len()).unwrap_or(0);
    let end = info[at..].find('<').map_or(at, |i| at + i);
    format!("{}未定{}", &info[..at], &info[end..])
}

fn order_info(o: &MockOrder) -> String {
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
         <chargePrice>{}</chargePrice><totalPrice>{total}</totalPrice><couponTotalPrice>{}</couponTotalPrice><usePoint>{}</usePoint><requestPrice>{request}</requestPrice><deliveryName>宅配便</deliveryName>{details}</orderInfo>",
        FIRST_ORDER_ID + o.index,
        o.ordered_at.format("%Y/%m/%d %H:%M:%S"),
        status(o),
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
