//! The mock's Yahoo!ショッピング: the YConnect token endpoint (refresh-token grant, Basic client auth)
//! and ShoppingWebService V1 orderList / orderInfo (XML `<Req>` in, `<Result>` out, Bearer token),
//! plus the write calls orderStatusChange and orderShipStatusChange, applied to the order or refused
//! as the official pages say the mall refuses (the status transition table, invoice numbers and
//! empty reasons that exclude each other, ヤマト's number format).

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde_json::json;

use super::orders::MockOrder;
use super::server::parse_form;
use super::writes::{Applied, ShipRow};
use super::xml::{escape, Request};
use super::{demo_credential, header, MockState, Reply};
use crate::domain::option_text::price_in_choice;
use crate::domain::time::jst;

const SALT: u64 = 4;
const ACCESS_TOKEN: &str = "mock-yahoo-access-token";
/// Order numbers are `<SellerId>-<number>`.
const FIRST_NUMBER: u64 = 10_000_000;

fn xml_reply(status: u16, body: String) -> Reply {
    Reply { status, content_type: "application/xml; charset=utf-8", body, headers: Vec::new() }
}

fn error(status: u16, code: &str, message: &str) -> Reply {
    xml_reply(
        status,
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Message>{}</Message><Code>{code}</Code></Error>", escape(message)),
    )
}

/// YConnect v2's token endpoint (Yahoo! ID連携).
pub const TOKEN_PATH: &str = "/yconnect/v2/token";

pub fn handle(state: &MockState, method: &str, path: &str, headers: &[(String, String)], body: &str) -> Reply {
    if path == TOKEN_PATH {
        return token(state, method, headers, body);
    }
    if header(headers, "authorization") != Some(&format!("Bearer {ACCESS_TOKEN}")) {
        return error(401, "px-04102", "Invalid access token.");
    }
    if method != "POST" {
        return error(405, "od00001", &format!("{method} は使えません。POSTで送ってください。"));
    }
    let Some(req) = Request::parse(body) else {
        return error(400, "od00002", "リクエストのXMLが不正です。");
    };
    let seller = req.value(&["SellerId"]);
    if seller.is_empty() {
        return error(400, "od00003", "SellerIdは必須です。");
    }
    let now = (state.now)();
    match path {
        "/ShoppingWebService/V1/orderList" => order_list(state, &req, &seller, now),
        "/ShoppingWebService/V1/orderInfo" => {
            let id = req.value(&["Target", "OrderId"]);
            let applied = state.applied("yahoo", &id);
            match index_of(&seller, &id).map(|i| state.plan.order(SALT, i, now)).filter(|o| o.ordered_at <= now && !state.scenario.withholds(&id)) {
                Some(_) if state.scenario.garbles(&id) => xml_reply(
                    200,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ResultSet totalResultsAvailable=\"1\" totalResultsReturned=\"1\" firstResultPosition=\"1\">\
                     <Result><Status>OK</Status></Result></ResultSet>"
                        .into(),
                ),
                Some(o) => xml_reply(
                    200,
                    format!(
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ResultSet totalResultsAvailable=\"1\" totalResultsReturned=\"1\" firstResultPosition=\"1\">\
                         <Result><Status>OK</Status>{}</Result></ResultSet>",
                        order_info(&seller, &o, applied.as_ref())
                    ),
                ),
                None => error(400, "od20002", &format!("注文ID {id} は存在しません。")),
            }
        }
        "/ShoppingWebService/V1/orderStatusChange" => status_change(state, &req, &seller, body, now),
        "/ShoppingWebService/V1/orderShipStatusChange" => ship_status_change(state, &req, &seller, body, now),
        other => error(404, "od00404", &format!("{} はありません。", other.trim_start_matches("/ShoppingWebService/V1/"))),
    }
}

fn ok() -> Reply {
    xml_reply(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Result><Status>OK</Status></Result>".into())
}

/// A refusal as `code message`, as the mall's `<Error>`.
fn refused(why: &str) -> Reply {
    let (code, message) = why.split_once(' ').unwrap_or((why, ""));
    error(400, code, message)
}

/// The order's OrderStatus now: the written one, else the time-driven one.
fn status_now(o: &MockOrder, applied: Option<&Applied>) -> u8 {
    applied.and_then(|a| a.status.as_deref()).and_then(|s| s.parse().ok()).unwrap_or_else(|| order_status(o))
}

/// The official transition table of orderStatusChange (row = from, column = to; 1 予約中, 2 処理中,
/// 3 保留, 4 キャンセル, 5 完了). 保留→予約中 needs a future release date, which no mock order has.
fn transition_allowed(from: u8, to: u8) -> bool {
    matches!((from, to), (1, 4 | 5) | (2, 3..=5) | (3, 2 | 4 | 5) | (5, 2 | 4))
}

fn status_change(state: &MockState, req: &Request, seller: &str, body: &str, now: DateTime<FixedOffset>) -> Reply {
    let id = req.value(&["Target", "OrderId"]);
    let order = index_of(seller, &id).map(|i| state.plan.order(SALT, i, now)).filter(|o| o.ordered_at <= now);
    let to = req.value(&["Order", "OrderStatus"]);
    let point_fix = req.value(&["Target", "IsPointFix"]);
    let outcome = state.write("yahoo", "orderStatusChange", &id, body, |cur, _| {
        let Some(o) = &order else { return Err(format!("od20002 注文ID {id} は存在しません。")) };
        let Ok(to_n) = to.parse::<u8>() else { return Err(format!("od10001 OrderStatus `{to}` が不正です。")) };
        if !(1..=5).contains(&to_n) {
            return Err(format!("od10001 OrderStatus `{to}` が不正です。"));
        }
        if point_fix.is_empty() {
            return Err("od10002 IsPointFixは必須です。".into());
        }
        if to_n == 5 && point_fix != "true" {
            return Err("od10003 完了にするにはIsPointFixをtrueにしてください。".into());
        }
        let from = status_now(o, Some(cur));
        if !transition_allowed(from, to_n) {
            return Err(format!("od10010 ステータス{from}から{to_n}へは変更できません。"));
        }
        Ok(Applied { status: Some(to_n.to_string()), ..cur.clone() })
    });
    match outcome {
        Ok(()) => ok(),
        Err(why) => refused(&why),
    }
}

/// ヤマト運輸's invoice numbers: half-width digits and `-` only, at most 14 bytes (changelog 2022-11-07).
fn yamato_number_ok(n: &str) -> bool {
    !n.is_empty() && n.len() <= 14 && n.bytes().all(|b| b.is_ascii_digit() || b == b'-')
}

fn ship_status_change(state: &MockState, req: &Request, seller: &str, body: &str, now: DateTime<FixedOffset>) -> Reply {
    let id = req.value(&["Target", "OrderId"]);
    let order = index_of(seller, &id).map(|i| state.plan.order(SALT, i, now)).filter(|o| o.ordered_at <= now);
    let v = |k: &str| req.value(&["Order", "Ship", k]);
    let (ship_status, company, date, reason) = (v("ShipStatus"), v("ShipCompanyCode"), v("ShipDate"), v("ShipInvoiceNumberEmptyReason"));
    let numbers: Vec<String> = [v("ShipInvoiceNumber1"), v("ShipInvoiceNumber2")].into_iter().filter(|n| !n.is_empty()).collect();
    let outcome = state.write("yahoo", "orderShipStatusChange", &id, body, |cur, _| {
        if order.is_none() {
            return Err(format!("od20002 注文ID {id} は存在しません。"));
        }
        if !matches!(ship_status.as_str(), "0" | "1" | "2" | "3" | "4") {
            return Err(format!("od10101 ShipStatus `{ship_status}` が不正です。"));
        }
        if !numbers.is_empty() && !reason.is_empty() {
            return Err("od10110 ShipInvoiceNumber1,2とShipInvoiceNumberEmptyReasonは同時に指定できません。".into());
        }
        if !numbers.is_empty() && cur.empty_reason.is_some() {
            return Err("od10111 ShipInvoiceNumberEmptyReasonが登録済みのため、ShipInvoiceNumberは指定できません。".into());
        }
        if !reason.is_empty() && cur.shipping.iter().any(|r| !r.number.is_empty()) {
            return Err("od10112 ShipInvoiceNumberが登録済みのため、ShipInvoiceNumberEmptyReasonは指定できません。".into());
        }
        if !reason.is_empty() && !matches!(reason.as_str(), "101" | "102" | "103" | "104" | "105") {
            return Err(format!("od10113 ShipInvoiceNumberEmptyReason `{reason}` が不正です。"));
        }
        let carrier =
            if company.is_empty() { cur.shipping.first().map(|r| r.carrier.clone()).unwrap_or_default() } else { company.clone() };
        if carrier == "1001" {
            if let Some(bad) = numbers.iter().find(|n| !yamato_number_ok(n)) {
                return Err(format!("od10120 ヤマト運輸の送り状番号は半角数字と「-」で14バイト以内です（{bad}）。"));
            }
        }
        if !date.is_empty() && chrono::NaiveDate::parse_from_str(&date, "%Y%m%d").is_err() {
            return Err(format!("od10130 ShipDate `{date}` が不正です（yyyyMMdd）。"));
        }
        let mut next = cur.clone();
        next.ship_status = Some(ship_status.clone());
        if !reason.is_empty() {
            next.empty_reason = Some(reason.clone());
        }
        if !numbers.is_empty() || !company.is_empty() || !date.is_empty() {
            let date = if date.is_empty() { cur.shipping.first().map(|r| r.date.clone()).unwrap_or_default() } else { date.clone() };
            let numbers = if numbers.is_empty() { vec![String::new()] } else { numbers.clone() };
            next.shipping = numbers
                .into_iter()
                .map(|number| ShipRow { detail_id: 0, basket_id: 0, carrier: carrier.clone(), number, date: date.clone() })
                .collect();
        }
        Ok(next)
    });
    match outcome {
        Ok(()) => ok(),
        Err(why) => refused(&why),
    }
}

fn token(state: &MockState, method: &str, headers: &[(String, String)], body: &str) -> Reply {
    use base64::Engine;
    let form = parse_form(body);
    let f = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", demo_credential("client_id"), demo_credential("client_secret")));
    if header(headers, "authorization") != Some(&format!("Basic {basic}")) {
        return Reply::json(401, json!({"error": "invalid_client", "error_description": "client authentication failed"}));
    }
    let ok = method == "POST"
        && f("grant_type") == Some("refresh_token")
        && f("refresh_token") == Some(&demo_credential("refresh_token"))
        && !state.scenario.expired.iter().any(|m| m == "yahoo");
    if !ok {
        return Reply::json(400, json!({"error": "invalid_grant", "error_description": "refresh_token has expired"}));
    }
    Reply::json(200, json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600}))
}

fn index_of(seller: &str, id: &str) -> Option<u64> {
    id.strip_prefix(seller)?.strip_prefix('-')?.parse::<u64>().ok()?.checked_sub(FIRST_NUMBER)
}

fn time(t: &str) -> Option<DateTime<FixedOffset>> {
    NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S").ok()?.and_local_timezone(jst()).single()
}

fn order_list(state: &MockState, req: &Request, seller: &str, now: DateTime<FixedOffset>) -> Reply {
    if !req.has(&["Search"]) {
        return error(400, "od00004", "Searchは必須です。");
    }
    let bound = |k: &str| time(&req.value(&["Search", "Condition", k]));
    let (Some(from), Some(to)) = (bound("OrderTimeFrom"), bound("OrderTimeTo")) else {
        return error(400, "od00005", "OrderIdかOrderTimeFrom/OrderTimeTo(yyyyMMddHHmmss)のいずれかは必須です。");
    };
    if req.value(&["Search", "Field"]).is_empty() {
        return error(400, "od00006", "Fieldは必須です。");
    }
    let page: usize = req.value(&["Search", "Result"]).parse().unwrap_or(10).clamp(1, 2000);
    let start: usize = req.value(&["Search", "Start"]).parse().unwrap_or(1).max(1);
    // OrderTimeTo is inclusive to the second.
    let to = to + chrono::Duration::seconds(1);
    let orders: Vec<MockOrder> = state
        .plan
        .placed_between(from, to, now)
        .map(|i| state.plan.order(SALT, i, now))
        .filter(|o| o.ordered_at >= from && o.ordered_at < to && o.ordered_at <= now)
        .collect();
    let rows: String = orders
        .iter()
        .enumerate()
        .skip(start - 1)
        .take(page)
        .map(|(n, o)| {
            format!(
                "<OrderInfo><Index>{}</Index><OrderId>{seller}-{}</OrderId><OrderTime>{}</OrderTime><OrderStatus>{}</OrderStatus><LastUpdateTime>{}</LastUpdateTime></OrderInfo>",
                n + 1,
                FIRST_NUMBER + o.index,
                o.ordered_at.format("%Y%m%d%H%M%S"),
                status_now(o, state.applied("yahoo", &format!("{seller}-{}", FIRST_NUMBER + o.index)).as_ref()),
                Applied::updated(state.applied("yahoo", &format!("{seller}-{}", FIRST_NUMBER + o.index)).as_ref(), last_update(o))
                    .format("%Y%m%d%H%M%S"),
            )
        })
        .collect();
    xml_reply(
        200,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Result><Status>OK</Status><Search><TotalCount>{}</TotalCount>{rows}</Search></Result>",
            orders.len()
        ),
    )
}

/// OrderStatus: 2 処理中 until two days, then 5 完了.
fn order_status(o: &MockOrder) -> u8 {
    if o.progress >= 500 {
        5
    } else {
        2
    }
}

/// ShipStatus: 0 出荷不可 (new), 1 出荷可 (after 20 minutes), 3 出荷済み (done).
fn ship_status(o: &MockOrder) -> u8 {
    match o.progress {
        100 => 0,
        300 => 1,
        _ => 3,
    }
}

fn last_update(o: &MockOrder) -> DateTime<FixedOffset> {
    match o.progress {
        100 => o.ordered_at,
        300 => o.ordered_at + chrono::Duration::minutes(20),
        _ => o.ordered_at + chrono::Duration::days(2),
    }
}

fn order_info(seller: &str, o: &MockOrder, applied: Option<&Applied>) -> String {
    let (b, s) = (&o.orderer, &o.ship_to);
    let items: String = o
        .items
        .iter()
        .enumerate()
        .map(|(n, it)| {
            // Rakuten's `名入れ:あり(+550円)` becomes a name, a value and a price.
            let options: String = it
                .choice
                .lines()
                .filter(|l| !l.is_empty())
                .enumerate()
                .map(|(k, line)| {
                    let (name, value) = line.split_once(':').unwrap_or(("オプション", line));
                    let price = price_in_choice(value).unwrap_or(0);
                    let value = value.split_once("(+").map_or(value, |(v, _)| v);
                    format!(
                        "<ItemOption><Index>{}</Index><Name>{}</Name><Value>{}</Value><Price>{price}</Price></ItemOption>",
                        k + 1,
                        escape(name),
                        escape(value)
                    )
                })
                .collect();
            format!(
                "<Item><LineId>{}</LineId><ItemId>{}</ItemId><SubCode></SubCode><Title>{}</Title>{options}<Quantity>{}</Quantity><UnitPrice>{}</UnitPrice></Item>",
                n + 1,
                escape(it.item_number),
                escape(it.name),
                it.units,
                it.price
            )
        })
        .collect();
    // The sample shop's delivery methods: postage1 宅配便, postage2 ネコポス (no frozen items, no slots).
    let (ship_method, ship_method_name) = if o.mail_bin { ("postage2", "ネコポス") } else { ("postage1", "宅配便") };
    let pay_charge = o.cod_fee();
    let total = o.goods() + o.postage + pay_charge - o.coupon - o.points;
    // What orderShipStatusChange stored: only on orders written to, so the others stay as they were.
    let mut written = String::new();
    if let Some(a) = applied {
        if let Some(first) = a.shipping.first() {
            written.push_str(&format!(
                "<ShipCompanyCode>{}</ShipCompanyCode><ShipDate>{}</ShipDate>",
                escape(&first.carrier),
                escape(&first.date)
            ));
        }
        for (n, r) in a.shipping.iter().filter(|r| !r.number.is_empty()).enumerate() {
            written.push_str(&format!("<ShipInvoiceNumber{}>{}</ShipInvoiceNumber{}>", n + 1, escape(&r.number), n + 1));
        }
        if let Some(reason) = &a.empty_reason {
            written.push_str(&format!("<ShipInvoiceNumberEmptyReason>{reason}</ShipInvoiceNumberEmptyReason>"));
        }
    }
    let ship_status_now = applied.and_then(|a| a.ship_status.clone()).unwrap_or_else(|| ship_status(o).to_string());
    let (request_date, request_time) = match o.delivery_date {
        Some(d) => (d.format("%Y%m%d").to_string(), String::new()),
        None => (String::new(), String::new()),
    };
    let party = |p: &str, x: &super::orders::Person| {
        format!(
            "<{p}LastName>{}</{p}LastName><{p}FirstName>{}</{p}FirstName><{p}LastNameKana>{}</{p}LastNameKana><{p}FirstNameKana>{}</{p}FirstNameKana>\
             <{p}ZipCode>{}</{p}ZipCode><{p}Prefecture>{}</{p}Prefecture><{p}City>{}</{p}City><{p}Address1>{}</{p}Address1><{p}Address2></{p}Address2>\
             <{p}PhoneNumber>{}</{p}PhoneNumber>",
            x.family,
            x.first,
            x.family_kana,
            x.first_kana,
            x.zip.replace('-', ""),
            x.prefecture,
            x.city,
            x.street,
            x.phone.replace('-', "")
        )
    };
    format!(
        "<OrderInfo><OrderId>{seller}-{}</OrderId><Version>{}</Version><OrderTime>{}</OrderTime><LastUpdateTime>{}</LastUpdateTime>\
         <OrderStatus>{}</OrderStatus><IsSeen>{}</IsSeen><BuyerComments>{}</BuyerComments>\
         <Pay><PayStatus>{}</PayStatus><PayMethod>{}</PayMethod><PayMethodName>{}</PayMethodName>{}<BillMailAddress>y{}@example.jp</BillMailAddress></Pay>\
         <Ship><ShipStatus>{}</ShipStatus>{written}<ShipMethod>{ship_method}</ShipMethod><ShipMethodName>{ship_method_name}</ShipMethodName><ShipRequestDate>{request_date}</ShipRequestDate>\
         <ShipRequestTime>{request_time}</ShipRequestTime><NeedGiftWrap>{}</NeedGiftWrap>{}</Ship>\
         <Detail><PayCharge>{pay_charge}</PayCharge><ShipCharge>{}</ShipCharge><GiftWrapCharge>0</GiftWrapCharge><Discount>0</Discount>\
         <UsePoint>{}</UsePoint><TotalCouponDiscount>{}</TotalCouponDiscount><TotalPrice>{total}</TotalPrice><SettleAmount>{total}</SettleAmount></Detail>\
         <Seller><SellerId>{seller}</SellerId></Seller>{items}</OrderInfo>",
        FIRST_NUMBER + o.index,
        1 + (o.progress / 200),
        o.ordered_at.to_rfc3339(),
        Applied::updated(applied, last_update(o)).to_rfc3339(),
        status_now(o, applied),
        o.progress > 100,
        escape(&o.remarks),
        u8::from(o.progress >= 500 || !o.cod),
        if o.cod { "payment_b1" } else { "payment_a1" },
        if o.cod { "代金引換" } else { "クレジットカード決済" },
        party("Bill", b),
        o.index,
        ship_status_now,
        // Gifts to someone else come wrapped.
        o.gift,
        party("Ship", s),
        o.postage,
        o.points,
        o.coupon,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mock keeps its own copy of the mall's rules; it must say what the adapter's says.
    #[test]
    fn the_mocks_rules_are_the_malls_rules() {
        for from in 0..=6 {
            for to in 0..=6 {
                assert_eq!(transition_allowed(from, to), crate::malls::yahoo::transition_allowed(from, to), "{from} → {to}");
            }
        }
        for n in ["1234-5678-9012", "12345678901234", "123456789012345", "AB12", "１２３", "", "12 34"] {
            assert_eq!(yamato_number_ok(n), crate::malls::yahoo::yamato_number_ok(n), "{n}");
        }
    }
}
