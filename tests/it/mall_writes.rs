//! Each mall's `OrderWriter` (from `juchu::malls::writer_for`) against a real `juchu::mock::MockMall`
//! over loopback HTTP and FTP: a change is applied once, calling again sends nothing, the next fetch
//! shows it, the mall's refusals come back as `Refused` with nothing applied, and an answer lost
//! after the write was applied is found by the next call's read.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, FixedOffset, NaiveDate};
use juchu::config::diagnostic::Diagnostics;
use juchu::config::settings::Settings;
use juchu::domain::order::Order;
use juchu::malls::http::{HttpClient, RetryPolicy};
use juchu::malls::{
    adapter_for, writer_for, Connection, MallError, MockEndpoints, OrderSource, OrderWriter, ShippingUpdate, StatusUpdate, Window, Written,
};
use juchu::mock::{FtpSide, MockMall, Scenario, WriteCall};

use crate::support::{Shop, NOW};

struct Rig {
    mock: MockMall,
    settings: Settings,
    shop: Shop,
}

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(NOW).unwrap()
}

fn rig_with(scenario: Scenario, state: Option<std::path::PathBuf>, shop: Shop) -> Rig {
    let at = now();
    let ftp = FtpSide { listen: "127.0.0.1:0".into(), root: shop.path("mock-ftp") };
    let mock = MockMall::start("127.0.0.1:0", Some(ftp), scenario, Arc::new(move || at), state).expect("start the mock");
    let mut diags = Diagnostics::default();
    let settings = Settings::load(&shop.path("shop.yaml"), at, &mut diags).expect("the sample settings load");
    Rig { mock, settings, shop }
}

fn rig() -> Rig {
    rig_with(Scenario::default(), None, Shop::sample())
}

fn dropping() -> Rig {
    rig_with(Scenario { drop_write_responses: 1.0, ..Scenario::default() }, None, Shop::sample())
}

impl Rig {
    fn conn(&self, mall: &str) -> Connection {
        let m = &self.settings.malls[mall];
        let urls = MockEndpoints { http: self.mock.url.clone(), ftp: self.mock.ftp_url.clone() };
        Connection::from_settings(mall, m, Some(&urls)).unwrap()
    }

    fn writer(&self, mall: &str) -> Box<dyn OrderWriter> {
        let m = &self.settings.malls[mall];
        writer_for(m.mall_kind, self.conn(mall), m).expect("a writer")
    }

    fn source(&self, mall: &str) -> Box<dyn OrderSource> {
        let m = &self.settings.malls[mall];
        adapter_for(m.mall_kind, self.conn(mall), m).expect("an order source")
    }

    /// The mall's orders of the last day, as its adapter fetches them.
    fn orders(&self, mall: &str) -> Vec<Order> {
        let batch = self.source(mall).fetch(Window { from: now() - chrono::Duration::days(1), to: now() }).unwrap();
        batch.orders.into_iter().map(|f| f.order).collect()
    }

    /// Order numbers of this mall in this status, oldest first.
    fn in_status(&self, mall: &str, status: &str) -> Vec<String> {
        let mut found: Vec<Order> = self.orders(mall).into_iter().filter(|o| o.mall_status == status).collect();
        found.sort_by_key(|o| o.ordered_at);
        assert!(!found.is_empty(), "{mall}: no order in {status}");
        found.into_iter().map(|o| o.order_number).collect()
    }

    /// The order as the mall's adapter reads it now.
    fn refetch(&self, mall: &str, number: &str) -> Order {
        let batch = self.source(mall).refresh(&[number.to_string()]).unwrap();
        batch.orders.into_iter().map(|f| f.order).find(|o| o.order_number == number).expect("the order comes back")
    }

    fn log(&self) -> Vec<WriteCall> {
        self.mock.state.write_log()
    }

    /// Calls of one outcome for one order.
    fn logged(&self, order: &str, outcome: &str) -> Vec<WriteCall> {
        self.log().into_iter().filter(|c| c.order == order && c.outcome == outcome).collect()
    }

    /// A raw POST to the mock (a request juchu's writers never send), answered as the mall answers.
    fn post(&self, path: &str, headers: &[(&str, String)], body: &str) -> (u16, String) {
        let http = HttpClient::new("test", Duration::from_secs(5), RetryPolicy::once());
        let resp = http.send("POST", &format!("{}{path}", self.mock.url), headers, Some(body)).unwrap();
        (resp.status, resp.body)
    }
}

fn status(order: &str, code: &str) -> StatusUpdate {
    StatusUpdate { order_number: order.into(), mall_status: code.into() }
}

fn shipment(order: &str, carrier: &str, name: &str, numbers: &[&str]) -> ShippingUpdate {
    ShippingUpdate {
        order_number: order.into(),
        carrier_code: carrier.into(),
        carrier_name: name.into(),
        tracking_numbers: numbers.iter().map(|n| n.to_string()).collect(),
        shipped_on: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
    }
}

fn refused(r: Result<Written, MallError>) -> String {
    match r {
        Err(MallError::Refused { detail, .. }) => detail,
        other => panic!("expected Refused, got {other:?}"),
    }
}

fn rakuten_auth() -> Vec<(&'static str, String)> {
    let esa = base64::engine::general_purpose::STANDARD.encode("demo-service_secret:demo-license_key");
    vec![("Authorization", format!("ESA {esa}")), ("Content-Type", "application/json; charset=utf-8".into())]
}

#[test]
fn rakuten_confirms_and_reports_the_shipment_once_and_the_next_fetch_shows_it() {
    let r = rig();
    let w = r.writer("rakuten");
    let new = r.in_status("rakuten", "100").pop().unwrap();
    assert_eq!(w.update_status(&status(&new, "300")).unwrap(), Written::Changed);
    assert_eq!(w.update_status(&status(&new, "300")).unwrap(), Written::AlreadySet);
    let confirms: Vec<_> = r.logged(&new, "applied");
    assert_eq!(confirms.len(), 1, "one confirmOrder: {confirms:?}");
    assert_eq!(
        (confirms[0].call.as_str(), confirms[0].body.as_str()),
        ("confirmOrder", format!("{{\"orderNumberList\":[\"{new}\"]}}").as_str())
    );
    assert_eq!(r.refetch("rakuten", &new).mall_status, "300");

    let yamato = shipment(&new, "1001", "ヤマト運輸", &["1234-5678-9012"]);
    assert_eq!(w.update_shipping(&yamato).unwrap(), Written::Changed);
    assert_eq!(w.update_shipping(&yamato).unwrap(), Written::AlreadySet);
    assert_eq!(r.logged(&new, "applied").len(), 2);
    let o = r.refetch("rakuten", &new);
    assert_eq!(o.mall_status, "500", "the report moves 発送待ち to 発送済");
    assert_eq!(o.extras.tracking_numbers, ["1001:1234-5678-9012"]);
    // A second parcel: the row there is kept (updated by its id, not listed twice), one row is added.
    let two = shipment(&new, "1001", "ヤマト運輸", &["1234-5678-9012", "2222-3333-4444"]);
    assert_eq!(w.update_shipping(&two).unwrap(), Written::Changed);
    let last = r.log().pop().unwrap();
    assert!(
        !last.body.contains("shippingDetailId") && last.body.contains("2222-3333-4444") && !last.body.contains("1234-5678-9012"),
        "{}",
        last.body
    );
    assert_eq!(r.refetch("rakuten", &new).extras.tracking_numbers, ["1001:1234-5678-9012", "1001:2222-3333-4444"]);
    // A corrected carrier updates the existing rows by shippingDetailId.
    let sagawa = shipment(&new, "1002", "佐川急便", &["1234-5678-9012", "2222-3333-4444"]);
    assert_eq!(w.update_shipping(&sagawa).unwrap(), Written::Changed);
    assert!(r.log().pop().unwrap().body.contains("\"shippingDetailId\":1"));
    assert_eq!(r.refetch("rakuten", &new).extras.tracking_numbers, ["1002:1234-5678-9012", "1002:2222-3333-4444"]);
}

#[test]
fn rakuten_refusals_come_back_as_refused_with_nothing_applied() {
    let r = rig();
    let w = r.writer("rakuten");
    let waiting = r.in_status("rakuten", "300");
    let order = &waiting[0];
    // Rules checked before sending: nothing reaches the mall.
    assert!(refused(w.update_status(&status(order, "500"))).contains("300"));
    assert!(refused(w.update_shipping(&shipment(order, "1099", "", &["1"]))).contains("1000〜1031"));
    assert!(r.log().is_empty());
    // What the mall itself refuses, sent raw.
    let basket = 10_000 + order.rsplit('-').next().unwrap().parse::<u64>().unwrap();
    let cases = [
        (
            format!(
                r#"{{"orderNumber":"{order}","BasketidModelList":[{{"basketId":{basket},"ShippingModelList":[{{"deliveryCompany":"1001","shippingNumber":"1","shippingDate":"2026/11/28"}}]}}]}}"#
            ),
            "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_011",
        ),
        (
            format!(
                r#"{{"orderNumber":"{order}","BasketidModelList":[{{"basketId":{basket},"ShippingModelList":[{{"deliveryCompany":"9999","shippingNumber":"1","shippingDate":"2026-11-28"}}]}}]}}"#
            ),
            "deliveryCompany",
        ),
        (
            format!(
                r#"{{"orderNumber":"{order}","BasketidModelList":[{{"basketId":1,"ShippingModelList":[{{"deliveryCompany":"1001","shippingNumber":"1","shippingDate":"2026-11-28"}}]}}]}}"#
            ),
            "basketId",
        ),
    ];
    for (body, said) in &cases {
        let (code, answer) = r.post("/es/2.0/order/updateOrderShipping/", &rakuten_auth(), body);
        assert_eq!(code, 400, "{answer}");
        assert!(answer.contains(said) && answer.contains("\"messageType\":\"ERROR\""), "{answer}");
    }
    let (code, answer) = r.post("/es/2.0/order/confirmOrder/", &rakuten_auth(), &format!(r#"{{"orderNumberList":["{order}"]}}"#));
    assert_eq!(code, 400, "an order in 300 is not confirmed again: {answer}");
    assert_eq!(r.logged(order, "refused").len(), 4);
    assert!(r.logged(order, "applied").is_empty());
    assert!(r.mock.state.applied("rakuten", order).is_none(), "nothing applied");
    assert_eq!(r.refetch("rakuten", order).extras.tracking_numbers, Vec::<String>::new());
}

#[test]
fn yahoo_sets_a_status_the_table_allows_and_reports_numbers_or_the_empty_reason() {
    let r = rig();
    let w = r.writer("yahoo");
    let open = r.in_status("yahoo", "2");
    let (a, b) = (&open[0], &open[1]);
    assert_eq!(w.update_status(&status(a, "5")).unwrap(), Written::Changed);
    assert_eq!(w.update_status(&status(a, "5")).unwrap(), Written::AlreadySet);
    let applied = r.logged(a, "applied");
    assert_eq!(applied.len(), 1);
    assert!(applied[0].body.contains("<IsPointFix>true</IsPointFix>") && applied[0].body.contains("<OrderStatus>5</OrderStatus>"));
    // 処理中 → 予約中 is × in the official table: refused before sending.
    let said = refused(w.update_status(&status(b, "1")));
    assert!(said.contains("遷移表") && said.contains("処理中") && said.contains("予約中"), "{said}");
    assert!(r.logged(b, "refused").is_empty() && r.logged(b, "applied").is_empty(), "nothing sent");

    let yamato = shipment(a, "1001", "ヤマト運輸", &["1234-5678-9012"]);
    assert_eq!(w.update_shipping(&yamato).unwrap(), Written::Changed);
    assert_eq!(w.update_shipping(&yamato).unwrap(), Written::AlreadySet);
    assert_eq!(r.logged(a, "applied").len(), 2);
    let o = r.refetch("yahoo", a);
    assert_eq!((o.mall_status.as_str(), o.extras.tracking_numbers.clone()), ("5", vec!["1001:1234-5678-9012".to_string()]));
    // ヤマト's numbers are half-width digits and `-`, ≤14 bytes: refused before sending.
    assert!(refused(w.update_shipping(&shipment(b, "1001", "", &["AB1234"]))).contains("ヤマト運輸"));
    // Without a number: the empty reason; a number afterwards is refused (the mall keeps one or the other).
    let post = shipment(b, "1003", "日本郵便", &[]);
    assert_eq!(w.update_shipping(&post).unwrap(), Written::Changed);
    assert!(r.log().pop().unwrap().body.contains("<ShipInvoiceNumberEmptyReason>105</ShipInvoiceNumberEmptyReason>"));
    assert_eq!(w.update_shipping(&post).unwrap(), Written::AlreadySet);
    assert!(refused(w.update_shipping(&shipment(b, "1003", "", &["123"]))).contains("ShipInvoiceNumberEmptyReason"));
    // The mall's own refusal of both at once, sent raw.
    let token = "Bearer mock-yahoo-access-token".to_string();
    let both = format!(
        "<Req><Target><OrderId>{b}</OrderId><IsPointFix>true</IsPointFix></Target><Order><Ship><ShipStatus>3</ShipStatus>\
         <ShipInvoiceNumber1>1</ShipInvoiceNumber1><ShipInvoiceNumberEmptyReason>105</ShipInvoiceNumberEmptyReason></Ship></Order><SellerId>nagomi-zakka</SellerId></Req>"
    );
    let (code, answer) = r.post("/ShoppingWebService/V1/orderShipStatusChange", &[("Authorization", token.clone())], &both);
    assert!(code == 400 && answer.contains("<Error>") && answer.contains("同時に指定できません"), "{answer}");
    let ship = |order: &str, fields: &str| {
        format!(
            "<Req><Target><OrderId>{order}</OrderId><IsPointFix>true</IsPointFix></Target><Order><Ship><ShipStatus>3</ShipStatus>{fields}</Ship></Order>\
             <SellerId>nagomi-zakka</SellerId></Req>"
        )
    };
    for (order, fields, said) in [
        (b, "<ShipInvoiceNumber1>123</ShipInvoiceNumber1>", "ShipInvoiceNumberEmptyReasonが登録済み"),
        (a, "<ShipInvoiceNumberEmptyReason>105</ShipInvoiceNumberEmptyReason>", "ShipInvoiceNumberが登録済み"),
        (&open[2], "<ShipCompanyCode>1001</ShipCompanyCode><ShipInvoiceNumber1>AB-12</ShipInvoiceNumber1>", "ヤマト運輸"),
    ] {
        let (code, answer) =
            r.post("/ShoppingWebService/V1/orderShipStatusChange", &[("Authorization", token.clone())], &ship(order, fields));
        assert!(code == 400 && answer.contains(said), "{answer}");
    }
    assert!(r.logged(&open[2], "applied").is_empty());
    let (code, answer) = r.post(
        "/ShoppingWebService/V1/orderStatusChange",
        &[("Authorization", token)],
        &format!("<Req><Target><OrderId>{a}</OrderId><IsPointFix>true</IsPointFix></Target><Order><OrderStatus>1</OrderStatus></Order><SellerId>nagomi-zakka</SellerId></Req>"),
    );
    assert!(code == 400 && answer.contains("変更できません"), "5 → 1 is ×: {answer}");
    assert_eq!(r.refetch("yahoo", a).mall_status, "5", "nothing applied");
}

#[test]
fn amazon_confirms_the_shipment_once_and_has_no_status_call() {
    let r = rig();
    let w = r.writer("amazon");
    let unshipped = r.in_status("amazon", "Unshipped");
    let (a, b) = (&unshipped[0], &unshipped[1]);
    assert!(refused(w.update_status(&status(a, "Shipped"))).contains("confirmShipment"));
    let yamato = shipment(a, "YAMATO", "ヤマト運輸", &["1234-5678-9012"]);
    assert_eq!(w.update_shipping(&yamato).unwrap(), Written::Changed);
    assert_eq!(w.update_shipping(&yamato).unwrap(), Written::AlreadySet);
    let applied = r.logged(a, "applied");
    assert_eq!(applied.len(), 1);
    assert!(applied[0].body.contains("\"packageReferenceId\":\"1\"") && applied[0].body.contains("A1VC38T7YXB528"), "{}", applied[0].body);
    assert_eq!(r.refetch("amazon", a).mall_status, "Shipped");
    assert!(refused(w.update_shipping(&shipment(b, "Other", "", &["1"]))).contains("carrierName"));
    // What the mall refuses, sent raw.
    let token = vec![("x-amz-access-token", "Atza|mock-access-token".to_string()), ("Content-Type", "application/json".to_string())];
    let item = format!("1{:010}00", b.rsplit('-').next().unwrap().parse::<u64>().unwrap());
    for (package, said) in [
        (format!(r#""packageReferenceId":"A1","carrierCode":"YAMATO","trackingNumber":"1","shipDate":"2026-11-28T00:00:00+09:00","orderItems":[{{"orderItemId":"{item}","quantity":1}}]"#), "packageReferenceId"),
        (format!(r#""packageReferenceId":"1","carrierCode":"Other","trackingNumber":"1","shipDate":"2026-11-28T00:00:00+09:00","orderItems":[{{"orderItemId":"{item}","quantity":1}}]"#), "carrierName"),
        (r#""packageReferenceId":"1","carrierCode":"YAMATO","trackingNumber":"1","shipDate":"2026-11-28T00:00:00+09:00","orderItems":[{"orderItemId":"999","quantity":1}]"#.to_string(), "orderItemId"),
    ] {
        let body = format!(r#"{{"marketplaceId":"A1VC38T7YXB528","packageDetail":{{{package}}}}}"#);
        let (code, answer) = r.post(&format!("/orders/v0/orders/{b}/shipmentConfirmation"), &token, &body);
        assert!(code == 400 && answer.contains(said), "{code} {answer}");
    }
    assert_eq!(r.logged(b, "refused").len(), 3);
    assert_eq!(r.refetch("amazon", b).mall_status, "Unshipped", "nothing applied");
}

#[test]
fn aupay_sets_the_status_and_the_shipping_number_once() {
    let r = rig();
    let w = r.writer("aupay");
    let waiting = r.in_status("aupay", "発送待ち");
    let (a, b) = (&waiting[0], &waiting[1]);
    assert_eq!(w.update_status(&status(a, "完了")).unwrap(), Written::Changed);
    assert_eq!(w.update_status(&status(a, "完了")).unwrap(), Written::AlreadySet);
    let yamato = shipment(a, "1", "ヤマト運輸", &["1234-5678-9012"]);
    assert_eq!(w.update_shipping(&yamato).unwrap(), Written::Changed);
    assert_eq!(w.update_shipping(&yamato).unwrap(), Written::AlreadySet);
    let applied = r.logged(a, "applied");
    assert_eq!(applied.iter().map(|c| c.call.as_str()).collect::<Vec<_>>(), ["updateTradeStsProc", "updateTradeInfoProc"]);
    assert!(applied[1].body.contains("<shippingDate>2026/11/28</shippingDate><shippingCarrier>1</shippingCarrier>"), "{}", applied[1].body);
    let o = r.refetch("aupay", a);
    assert_eq!((o.mall_status.as_str(), o.extras.tracking_numbers.clone()), ("完了", vec!["1:1234-5678-9012".to_string()]));
    assert!(refused(w.update_status(&status(b, "キャンセル"))).contains("updateTradeStsProc"));
    assert!(refused(w.update_shipping(&shipment(b, "3", "", &["1"]))).contains("1・2・4・5・6・7・9"));
    // What the mall refuses, sent raw.
    let headers =
        vec![("Authorization", "Bearer demo-api_key".to_string()), ("Content-Type", "application/xml; charset=UTF-8".to_string())];
    for (path, body, said) in [
        ("/wmshopapi/updateTradeInfoProc", format!("<request><shopId>12345678</shopId><updateTradeInfo><orderId>{b}</orderId><shippingNumber>1</shippingNumber></updateTradeInfo></request>"), "[orderId]必須入力項目です"),
        ("/wmshopapi/updateTradeStsProc", format!("<request><shopId>12345678</shopId><orderId>{b}</orderId><orderStatus>発送済み</orderStatus></request>"), "orderStatus"),
        ("/wmshopapi/updateTradeInfoProc", format!("<request><shopId>12345678</shopId><orderId>{b}</orderId><shippingCarrier>3</shippingCarrier><shippingNumber>1</shippingNumber></request>"), "shippingCarrier"),
    ] {
        let (code, answer) = r.post(path, &headers, &body);
        assert!(code == 400 && answer.contains("<status>1</status>") && answer.contains(said), "{answer}");
    }
    let o = r.refetch("aupay", b);
    assert_eq!((o.mall_status.as_str(), o.extras.tracking_numbers.len()), ("発送待ち", 0), "nothing applied");
}

#[test]
fn futureshop_uploads_each_change_once_and_a_refused_file_comes_back_refused() {
    let r = rig();
    let w = r.writer("futureshop");
    let order = r.orders("futureshop").pop().unwrap().order_number;
    assert_eq!(w.update_status(&status(&order, "COMPLETED")).unwrap(), Written::Changed);
    assert_eq!(w.update_status(&status(&order, "COMPLETED")).unwrap(), Written::AlreadySet);
    let ship = shipment(&order, "ヤマト運輸", "ヤマト運輸", &["1234-5678-9012"]);
    assert_eq!(w.update_shipping(&ship).unwrap(), Written::Changed);
    assert_eq!(w.update_shipping(&ship).unwrap(), Written::AlreadySet);
    let applied = r.logged(&order, "applied");
    assert_eq!(applied.len(), 2, "{applied:?}");
    assert!(applied[1].body.contains(&format!("{order},,2026/11/28,ヤマト運輸,1234-5678-9012\r\n")), "{}", applied[1].body);
    let held = r.mock.state.applied("futureshop", &order).unwrap();
    assert_eq!((held.status.as_deref(), held.shipping[0].number.as_str()), (Some("COMPLETED"), "1234-5678-9012"));
    let done: Vec<String> = std::fs::read_dir(r.shop.path("mock-ftp/upload/done"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(done.len(), 2, "{done:?}");
    assert!(refused(w.update_status(&status(&order, "完了"))).contains("COMPLETED"));
    // The mall refuses a file for an order it does not have: it lands in error/ with the reason.
    let said = refused(w.update_status(&status("FS99999999", "COMPLETED")));
    assert!(said.contains("受注コード `FS99999999` の受注はありません"), "{said}");
    assert!(refused(w.update_status(&status("FS99999999", "COMPLETED"))).contains("FS99999999"), "asked again: still refused, not re-sent");
    assert_eq!(r.log().iter().filter(|c| c.order == "FS99999999").count(), 1);
}

#[test]
fn an_answer_lost_after_the_write_is_found_by_the_next_call_and_nothing_is_sent_twice() {
    let r = dropping();
    let unavailable = |res: Result<Written, MallError>| assert!(matches!(res, Err(MallError::Unavailable { .. })), "{res:?}");
    let rak = r.in_status("rakuten", "100").pop().unwrap();
    let yah = r.in_status("yahoo", "2").remove(0);
    let ama = r.in_status("amazon", "Unshipped").remove(0);
    let aup = r.in_status("aupay", "発送待ち").remove(0);
    let fs = r.orders("futureshop").pop().unwrap().order_number;
    type Call<'a> = Box<dyn Fn(&dyn OrderWriter) -> Result<Written, MallError> + 'a>;
    let calls: Vec<(&str, &String, Call)> = vec![
        ("rakuten", &rak, Box::new(|w: &dyn OrderWriter| w.update_status(&status(&rak, "300")))),
        ("rakuten", &rak, Box::new(|w: &dyn OrderWriter| w.update_shipping(&shipment(&rak, "1001", "", &["1234-5678-9012"])))),
        ("yahoo", &yah, Box::new(|w: &dyn OrderWriter| w.update_status(&status(&yah, "5")))),
        ("yahoo", &yah, Box::new(|w: &dyn OrderWriter| w.update_shipping(&shipment(&yah, "1001", "", &["1234-5678-9012"])))),
        ("amazon", &ama, Box::new(|w: &dyn OrderWriter| w.update_shipping(&shipment(&ama, "YAMATO", "", &["1234-5678-9012"])))),
        ("aupay", &aup, Box::new(|w: &dyn OrderWriter| w.update_status(&status(&aup, "完了")))),
        ("aupay", &aup, Box::new(|w: &dyn OrderWriter| w.update_shipping(&shipment(&aup, "1", "", &["1234-5678-9012"])))),
        ("futureshop", &fs, Box::new(|w: &dyn OrderWriter| w.update_shipping(&shipment(&fs, "ヤマト運輸", "", &["1234-5678-9012"])))),
    ];
    for (mall, order, call) in &calls {
        let w = r.writer(mall);
        let before = r.log().len();
        unavailable(call(w.as_ref()));
        let log = r.log();
        assert_eq!(log.len(), before + 1, "{mall}: one write sent");
        assert_eq!(
            (log[before].order.as_str(), log[before].outcome.as_str()),
            (order.as_str(), "dropped"),
            "{mall}: applied, the answer lost"
        );
        assert_eq!(call(w.as_ref()).unwrap(), Written::AlreadySet, "{mall}: the read finds it");
        assert_eq!(r.log().len(), before + 1, "{mall}: nothing sent twice");
    }
    assert_eq!(r.refetch("rakuten", &rak).extras.tracking_numbers, ["1001:1234-5678-9012"]);
}

#[test]
fn the_state_file_keeps_what_was_applied_for_the_next_process_and_the_log_is_served() {
    let shop = Shop::sample();
    let file = shop.path("state/mock-mall-state.json");
    let r = rig_with(Scenario::default(), Some(file.clone()), shop);
    let order = r.in_status("aupay", "発送待ち").remove(0);
    assert_eq!(r.writer("aupay").update_status(&status(&order, "完了")).unwrap(), Written::Changed);
    let http = HttpClient::new("test", Duration::from_secs(5), RetryPolicy::once());
    let served = http.send("GET", &format!("{}/_mock/writes", r.mock.url), &[], None).unwrap();
    let v: serde_json::Value = serde_json::from_str(&served.body).unwrap();
    let first = &v["writes"][0];
    assert_eq!(
        (first["seq"].as_u64(), first["mall"].as_str(), first["call"].as_str(), first["order"].as_str(), first["outcome"].as_str()),
        (Some(1), Some("aupay"), Some("updateTradeStsProc"), Some(order.as_str()), Some("applied"))
    );
    assert!(first["body"].as_str().unwrap().contains("<orderStatus>完了</orderStatus>"));
    let Rig { mock, shop, .. } = r;
    drop(mock);
    let again = rig_with(Scenario::default(), Some(file), shop);
    assert_eq!(again.refetch("aupay", &order).mall_status, "完了", "a new mock process still shows it");
    assert_eq!(again.writer("aupay").update_status(&status(&order, "完了")).unwrap(), Written::AlreadySet);
    assert_eq!(again.log().len(), 1);
}

/// The runner's in-process mock reads the state file beside the store: what an earlier process
/// wrote is what the next run's fetch stores.
#[test]
fn the_next_runs_fetch_stores_what_an_earlier_process_wrote() {
    let shop = Shop::sample();
    let r = rig_with(Scenario::default(), Some(shop.path("state/mock-mall-state.json")), shop);
    let order = r.in_status("aupay", "発送待ち").remove(0);
    let w = r.writer("aupay");
    assert_eq!(w.update_status(&status(&order, "完了")).unwrap(), Written::Changed);
    assert_eq!(w.update_shipping(&shipment(&order, "1", "ヤマト運輸", &["1234-5678-9012"])).unwrap(), Written::Changed);
    let Rig { mock, shop, .. } = r;
    drop(mock);
    shop.write(
        "pipelines/orders.yaml",
        "settings: ../shop.yaml\nstages:\n  - id: orders\n    type: fetch_orders\n    with: { malls: [aupay], initial_days: 1 }\n",
    );
    let out = shop.juchu(&["run", "pipelines/orders.yaml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(shop.query_one(&format!("select mall_status from orders where order_number = '{order}'")), "完了");
    assert_eq!(shop.query_one(&format!("select normalized like '%1:1234-5678-9012%' from orders where order_number = '{order}'")), "true");
}
