//! The shipping day: slip files per carrier as the carriers' software imports them (byte-exact for
//! the sample orders), characters and widths a carrier cannot take listed and never written, the
//! tracking file imported once, a hold that stops the slip and the shipped write-back until
//! released, and a 同梱 pair that ships as one slip with one number written back to both orders.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::support::Shop;

const DEMO: &str = "pipelines/demo.yaml";
const SHIPPING: &str = "pipelines/shipping.yaml";
/// Monday after the sample's Saturday morning: the orders of the 28th ship today.
const EXPORT_AT: &str = "2026-11-30T14:00:00+09:00";

fn at(shop: &Shop, now: &str, args: &[&str]) -> crate::support::Output {
    shop.juchu(&[&["--now", now][..], args].concat())
}

fn demo_shop() -> Shop {
    let shop = Shop::sample();
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    shop
}

/// The slip files in out/slips (not the ゆうプリR layout file), by name.
fn slip_files(shop: &Shop) -> BTreeMap<String, Vec<u8>> {
    let dir = shop.path("out/slips");
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".csv") && name != "yupri-layout.csv" {
            out.insert(name, std::fs::read(e.path()).unwrap());
        }
    }
    out
}

fn cp932_lines(bytes: &[u8]) -> Vec<String> {
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(bytes);
    assert!(!bad, "the file is CP932");
    assert!(text.ends_with("\r\n"), "CRLF after the last line too");
    assert!(!text.replace("\r\n", "").contains('\n'), "every line ends CRLF");
    text.split("\r\n").filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn fields(line: &str) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes());
    r.records().next().unwrap().unwrap().iter().map(str::to_string).collect()
}

/// B2クラウド's 発行済データ for an exported B2 file: the same rows with 伝票番号 (column 4) filled in.
fn b2_issued(exported: &[u8], first_number: u64) -> Vec<u8> {
    let lines = cp932_lines(exported);
    let mut out = String::new();
    out.push_str(&lines[0]);
    out.push_str("\r\n");
    for (i, l) in lines[1..].iter().enumerate() {
        let mut f = fields(l);
        f[3] = format!("{:012}", first_number + i as u64);
        let quoted: Vec<String> = f.iter().map(|v| if v.contains(',') { format!("\"{v}\"") } else { v.clone() }).collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    }
    encoding_rs::SHIFT_JIS.encode(&out).0.into_owned()
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/slips/sample").join(name)
}

#[test]
fn slip_files_for_the_sample_orders_are_the_golden_files_and_export_once() {
    let shop = demo_shop();
    let out = at(&shop, EXPORT_AT, &["slips", "export", SHIPPING]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let files = slip_files(&shop);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(names, ["b2-20261130-140000.csv", "ehiden-20261130-140000.csv", "yupri-20261130-140000.csv"], "{}", out.stdout);
    // Positional, as each carrier reads: every line has the layout's column count.
    let columns = |name: &str| match &name[..name.find('-').unwrap()] {
        "b2" => 95,
        "ehiden" => 74,
        "yupri" => 100,
        other => panic!("{other}"),
    };
    let mut slips = 0;
    for (name, bytes) in &files {
        let lines = cp932_lines(bytes);
        for l in &lines {
            assert_eq!(fields(l).len(), columns(name), "{name}: {l}");
        }
        let data = if name.starts_with("yupri") { &lines[..] } else { &lines[1..] };
        for l in data {
            let key = &fields(l)[if name.starts_with("ehiden") { 9 } else { 0 }];
            assert!(key.starts_with('J') && key.len() == 11, "{name}: the お客様管理番号 is juchu's: {key}");
            slips += 1;
        }
        if std::env::var_os("JUCHU_WRITE_GOLDEN").is_some() {
            std::fs::create_dir_all(golden("")).unwrap();
            std::fs::write(golden(name), bytes).unwrap();
        }
        let want = std::fs::read(golden(name)).unwrap_or_else(|e| panic!("{name}: {e} (JUCHU_WRITE_GOLDEN=1 writes it)"));
        assert!(want == *bytes, "{name} differs from tests/fixtures/slips/sample/{name}");
    }
    assert_eq!(shop.query_one("select count(*) from slips"), slips.to_string());
    assert!(shop.path("out/slips/yupri-layout.csv").exists(), "the layout to register in ゆうプリR");

    // Exported once: the next export finds nothing; --again writes the untracked ones anew.
    let again = at(&shop, "2026-11-30T14:10:00+09:00", &["-v", "slips", "export", SHIPPING]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("no shipment is ready"), "{}", again.stdout);
    let forced = at(&shop, "2026-11-30T14:20:00+09:00", &["slips", "export", SHIPPING, "--again"]);
    assert_eq!(forced.code, 0, "{}\n{}", forced.stdout, forced.stderr);
    assert_eq!(shop.query_one("select count(*) from slips where superseded_by is not null"), slips.to_string());
    assert_eq!(shop.query_one("select count(*) from slips where superseded_by is null"), slips.to_string());
}

#[test]
fn characters_and_widths_a_carrier_cannot_take_are_listed_and_never_written() {
    let shop = demo_shop();
    let yamato: Vec<String> = shop.query_rows(
        "select e.order_number from order_enrichment e join orders o using (mall, shop, order_number)
         left join m_order_statuses ms on ms.mall = o.mall and ms.code = o.mall_status
         where e.carrier = 'ヤマト運輸' and e.ship_date <= DATE '2026-11-30' and e.checks_failed = 0 and o.shipment_count = 1
           and coalesce(ms.internal_status, '') not in ('出荷済', 'キャンセル')
           and not exists (select 1 from order_holds h where h.order_number = e.order_number and h.released_at is null)
         order by e.order_number limit 3",
    );
    assert_eq!(yamato.len(), 3, "three ready Yamato orders");
    let long = "一丁目".repeat(25);
    shop.sql(&format!(
        "UPDATE order_shipments SET ship_to_address = '武蔵野市𠮷祥寺本町1-2-3', ship_to_name = '髙橋 一郎' WHERE order_number = '{}';
         UPDATE order_shipments SET ship_to_address = '港区🍣通り1-1' WHERE order_number = '{}';
         UPDATE order_shipments SET ship_to_address = '{long}' WHERE order_number = '{}';",
        yamato[0], yamato[1], yamato[2]
    ));
    let out = at(&shop, EXPORT_AT, &["slips", "export", SHIPPING]);
    assert_eq!(out.code, 1, "some slips could not be written: {}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("D040") && out.stderr.contains(&yamato[1]) && out.stderr.contains("🍣"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&yamato[2]) && out.stderr.contains("too long (158 half-width units; B2クラウド takes 96"),
        "{}",
        out.stderr
    );
    let b2 = slip_files(&shop).into_iter().find(|(n, _)| n.starts_with("b2")).expect("the other slips are written").1;
    let text = cp932_lines(&b2).join("\n");
    assert!(text.contains("武蔵野市吉祥寺本町1-2-3") && text.contains("高橋 一郎"), "mapped to JIS level 1/2: {text}");
    assert!(!text.contains('?') && !text.contains('\u{FFFD}'), "never a ? in an address");
    // Only the written slips are marked: the two listed ones are ready again once fixed.
    let on_slip = |n: &str| shop.query_one(&format!("select count(*) from slip_orders where order_number = '{n}'"));
    assert_eq!((on_slip(&yamato[0]), on_slip(&yamato[1]), on_slip(&yamato[2])), ("1".into(), "0".into(), "0".into()));
}

#[test]
fn a_tracking_file_imported_twice_changes_nothing_the_second_time() {
    let shop = demo_shop();
    assert_eq!(at(&shop, EXPORT_AT, &["slips", "export", SHIPPING]).code, 0);
    let (_, b2) = slip_files(&shop).into_iter().find(|(n, _)| n.starts_with("b2")).unwrap();
    let slips = cp932_lines(&b2).len() - 1;
    let mut issued = b2_issued(&b2, 490_700_000_001);
    // A row of another system's slip and a number Excel mangled: located errors, the rest imports.
    let mut extra = String::new();
    extra.push_str(&format!("X9999,0,0,490799999999,2026/11/30{}\r\n", ",".repeat(90)));
    extra.push_str(&format!("J0000000001,0,0,4.90715E+11,2026/11/30{}\r\n", ",".repeat(90)));
    issued.extend(encoding_rs::SHIFT_JIS.encode(&extra).0.iter());
    shop.write_bytes("in/発行済データ.csv", &issued);
    let first = at(&shop, "2026-11-30T16:00:00+09:00", &["tracking", "import", "in/発行済データ.csv"]);
    assert_eq!(first.code, 1, "{}\n{}", first.stdout, first.stderr);
    assert!(first.stderr.contains(&format!("in/発行済データ.csv:{}", slips + 2)), "the unknown key at its line: {}", first.stderr);
    assert!(first.stderr.contains(&format!("in/発行済データ.csv:{}", slips + 3)) && first.stderr.contains("Excel"), "{}", first.stderr);
    let tracked = shop.query_one("select count(*) from slips where tracking_number is not null");
    assert!(tracked.parse::<usize>().unwrap() >= slips - 1, "{tracked} of {slips}: {}", first.stdout);
    assert_eq!(
        shop.query_one("select count(*) from write_back_outbox where action = 'shipping'"),
        shop.query_one("select count(*) from slip_orders so join slips s using (slip_key) where s.tracking_number is not null")
    );
    let snapshot = || {
        ["slips", "write_back_outbox", "order_status_log", "tracking_imports"]
            .iter()
            .map(|t| shop.query_rows(&format!("select * from {t} order by all")).join("\n"))
            .collect::<Vec<_>>()
    };
    let before = snapshot();
    let second = at(&shop, "2026-11-30T16:05:00+09:00", &["tracking", "import", "in/発行済データ.csv"]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert!(second.stdout.contains("imported at 2026-11-30 16:00") && second.stdout.contains("nothing changed"), "{}", second.stdout);
    assert_eq!(snapshot(), before, "the second import changed nothing");
    // The orders are 出荷済 and the 出荷連絡 mail goes once each with the slip's number.
    let (mall, order) = shop
        .query_one("select so.mall || ' ' || so.order_number from slip_orders so join slips s using (slip_key) where s.tracking_number is not null order by 1 limit 1")
        .split_once(' ')
        .map(|(m, o)| (m.to_string(), o.to_string()))
        .unwrap();
    assert_eq!(shop.query_one(&format!("select house_status from orders where order_number = '{order}'")), "出荷済");
    let run = at(&shop, "2026-11-30T16:06:00+09:00", &["-v", "run", DEMO]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let mail = shop.read(&format!("out/outbox/shipping_notice/{mall}-{order}.eml"));
    let number = shop.query_one(&format!(
        "select s.tracking_number from slip_orders so join slips s using (slip_key) where so.order_number = '{order}'"
    ));
    let body: String = mail.split("\r\n\r\n").nth(1).unwrap_or_default().split_whitespace().collect();
    use base64::Engine;
    let body = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(body).expect("a base64 body")).unwrap();
    assert!(body.contains(&format!("お問い合わせ番号　{number}")), "the mail carries the slip's number: {body}");
}

/// The sample shop with Yahoo linked from 10:30 and the orders placed after it fetched.
fn linked_shop() -> Shop {
    let shop = demo_shop();
    let moved = shop.juchu(&["orders", "move-status", "--to", "処理済", "--imported-before", "2026-11-28T10:01", "--yes"]);
    assert_eq!(moved.code, 0, "{}", moved.stderr);
    assert_eq!(shop.juchu(&["linkage", "enable", DEMO, "--mall", "yahoo", "--start", "2026-11-28T10:30"]).code, 0);
    let out = at(&shop, FETCHED_AT, &["run", DEMO]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    shop
}

/// The linked shop's orders, placed on Saturday 10:30–16:30, ship on Tuesday the 1st and 2nd.
const FETCHED_AT: &str = "2026-11-28T16:30:00+09:00";
const SHIP_DAY: &str = "2026-12-02T09:00:00+09:00";

/// Yahoo orders placed after the linkage start, ready to ship on the 30th, not held, with their
/// payment and delivery (what 同梱 compares).
fn ready_yahoo(shop: &Shop) -> Vec<(String, String)> {
    shop.query_rows(
        "select e.order_number, concat_ws('|', e.payment_method, e.carrier, e.carrier_service, e.temperature, e.desired_date, e.desired_time_slot)
         from order_enrichment e join orders o using (mall, shop, order_number)
         where o.mall = 'yahoo' and o.ordered_at >= TIMESTAMP '2026-11-28 10:30:00' and e.checks_failed = 0 and e.ship_date <= DATE '2026-12-02'
           and e.carrier = 'ヤマト運輸' and o.shipment_count = 1
           and not exists (select 1 from order_holds h where h.order_number = e.order_number and h.released_at is null)
         order by o.ordered_at, e.order_number",
    )
    .into_iter()
    .map(|l| {
        let (n, k) = l.split_once(',').unwrap();
        (n.to_string(), k.to_string())
    })
    .collect()
}

/// The writes the mock applied for an order: (call, body).
fn mock_writes(shop: &Shop, order: &str) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(shop.path("state/mock-mall-state.json")) else { return Vec::new() };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["log"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|c| c["order"].as_str() == Some(order) && c["outcome"].as_str() == Some("applied"))
        .map(|c| (c["call"].as_str().unwrap_or("").to_string(), c["body"].to_string()))
        .collect()
}

fn import_b2(shop: &Shop, now: &str, first_number: u64) -> crate::support::Output {
    let (name, b2) = slip_files(shop).into_iter().rfind(|(n, _)| n.starts_with("b2")).expect("a B2 file");
    let path = format!("in/issued-{name}");
    shop.write_bytes(&path, &b2_issued(&b2, first_number));
    at(shop, now, &["tracking", "import", &path])
}

#[test]
fn a_hold_stops_the_export_and_the_shipped_write_back_and_a_release_lets_them_through() {
    let shop = linked_shop();
    let ready = ready_yahoo(&shop);
    let (shipped_by_hand, on_slip) = (ready[0].0.clone(), ready[1].0.clone());
    for o in [&shipped_by_hand, &on_slip] {
        let out = shop.juchu(&["orders", "hold", o, "--mall", "yahoo", "--reason", "住所を電話で確認中"]);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    }
    assert_eq!(at(&shop, SHIP_DAY, &["slips", "export", SHIPPING]).code, 0);
    let slips_of = |o: &str| shop.query_one(&format!("select count(*) from slip_orders where order_number = '{o}'"));
    assert_eq!((slips_of(&shipped_by_hand), slips_of(&on_slip)), ("0".into(), "0".into()), "a held order gets no slip");
    // Shipped by hand while held: the write-back waits in the outbox.
    let ship = at(
        &shop,
        "2026-12-02T09:01:00+09:00",
        &["orders", "ship", &shipped_by_hand, "--mall", "yahoo", "--carrier", "ヤマト運輸", "--tracking", "4000-1111-0001"],
    );
    assert_eq!(ship.code, 0, "{}\n{}", ship.stdout, ship.stderr);
    let wb = at(&shop, "2026-12-02T09:02:00+09:00", &["-v", "write-back", DEMO]);
    assert_eq!(wb.code, 0, "{}\n{}", wb.stdout, wb.stderr);
    assert!(wb.stdout.contains("wait until released"), "{}", wb.stdout);
    assert!(mock_writes(&shop, &shipped_by_hand).is_empty(), "nothing written back while held");
    assert_eq!(shop.query_one(&format!("select state from write_back_outbox where order_number = '{shipped_by_hand}'")), "queued");

    for o in [&shipped_by_hand, &on_slip] {
        let out = shop.juchu(&["orders", "release", o, "--mall", "yahoo", "--reason", "お客様に確認済み"]);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    }
    assert_eq!(
        shop.query_one(&format!(
            "select released_by is not null and release_reason = 'お客様に確認済み' from order_holds where order_number = '{on_slip}'"
        )),
        "true",
        "the release is logged with who and why"
    );
    assert_eq!(at(&shop, "2026-12-02T09:10:00+09:00", &["slips", "export", SHIPPING]).code, 0);
    assert_eq!(slips_of(&on_slip), "1", "released: on a slip");
    assert_eq!(slips_of(&shipped_by_hand), "0", "shipped by hand: no slip");
    let wb = at(&shop, "2026-12-02T09:11:00+09:00", &["write-back", DEMO]);
    assert_eq!(wb.code, 0, "{}\n{}", wb.stdout, wb.stderr);
    let writes = mock_writes(&shop, &shipped_by_hand);
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(writes[0].0, "orderShipStatusChange");
}

#[test]
fn a_merged_pair_makes_one_slip_and_two_write_backs_with_one_tracking_number() {
    let shop = linked_shop();
    // Two orders alike in payment and delivery; the second one's recipient made the first's, as if
    // the customer ordered twice (full-width digits and a space more: the same after normalising).
    let ready = ready_yahoo(&shop);
    let (a, b) = ready
        .iter()
        .enumerate()
        .find_map(|(i, (a, k))| ready[i + 1..].iter().find(|(_, k2)| k2 == k).map(|(b, _)| (a.clone(), b.clone())))
        .expect("two ready Yahoo orders with the same payment and delivery");
    shop.sql(&format!(
        "UPDATE order_shipments t SET ship_to_name = s.ship_to_name || '　', ship_to_postal_code = s.ship_to_postal_code,
            ship_to_prefecture = s.ship_to_prefecture, ship_to_address = s.ship_to_address, ship_to_phone = s.ship_to_phone
         FROM order_shipments s WHERE s.order_number = '{a}' AND t.order_number = '{b}';"
    ));
    let out = at(&shop, "2026-11-28T16:35:00+09:00", &["run", DEMO, "--replay"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let groups = shop.query_rows(&format!("select group_key, state from order_merges where order_number in ('{a}', '{b}') order by all"));
    assert_eq!(groups.len(), 2, "both proposed: {groups:?}");
    assert_eq!(groups[0], groups[1], "one group");
    assert!(groups[0].ends_with(",proposed"));
    // A proposal holds both slips until staff decide.
    assert_eq!(at(&shop, SHIP_DAY, &["slips", "export", SHIPPING]).code, 0);
    assert_eq!(shop.query_one(&format!("select count(*) from slip_orders where order_number in ('{a}', '{b}')")), "0");
    shop.sql(&format!("UPDATE order_merges SET state = 'accepted', decided_by = 'test' WHERE order_number IN ('{a}', '{b}')"));
    assert_eq!(at(&shop, "2026-12-02T09:10:00+09:00", &["slips", "export", SHIPPING]).code, 0);
    let keys = shop.query_rows(&format!("select slip_key from slip_orders where order_number in ('{a}', '{b}')"));
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1], "one slip for both");
    let imported = import_b2(&shop, "2026-12-02T10:00:00+09:00", 490_711_000_001);
    assert_eq!(imported.code, 0, "{}\n{}", imported.stdout, imported.stderr);
    let numbers = shop.query_rows(&format!("select tracking_numbers from write_back_outbox where order_number in ('{a}', '{b}')"));
    assert_eq!(numbers.len(), 2, "one write-back per mall order");
    assert_eq!(numbers[0], numbers[1], "with one tracking number");
    let wb = at(&shop, "2026-12-02T10:01:00+09:00", &["write-back", DEMO]);
    assert_eq!(wb.code, 0, "{}\n{}", wb.stdout, wb.stderr);
    for o in [&a, &b] {
        let w = mock_writes(&shop, o);
        assert_eq!(w.len(), 1, "{o}: {w:?}");
        assert!(w[0].1.contains(&numbers[0]), "{o}: {w:?}");
    }
}

#[test]
fn with_hold_at_mall_a_hold_and_its_release_reach_yahoo_as_its_status() {
    let shop = Shop::sample();
    shop.edit("shop.yaml", "    credentials_expire_on: 2027-05-31\n", "    credentials_expire_on: 2027-05-31\n    hold_at_mall: true\n");
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let moved = shop.juchu(&["orders", "move-status", "--to", "処理済", "--imported-before", "2026-11-28T10:01", "--yes"]);
    assert_eq!(moved.code, 0, "{}", moved.stderr);
    assert_eq!(shop.juchu(&["linkage", "enable", DEMO, "--mall", "yahoo", "--start", "2026-11-28T10:30"]).code, 0);
    assert_eq!(at(&shop, FETCHED_AT, &["run", DEMO]).code, 0);
    let (order, _) = ready_yahoo(&shop).into_iter().next().expect("a Yahoo order placed after the start");
    assert_eq!(shop.juchu(&["orders", "hold", &order, "--mall", "yahoo", "--reason", "在庫確認中"]).code, 0);
    let wb = at(&shop, "2026-11-28T16:33:00+09:00", &["-v", "write-back", DEMO]);
    assert_eq!(wb.code, 0, "{}\n{}", wb.stdout, wb.stderr);
    assert!(wb.stdout.contains("hold(s) and release(s) queued as the mall's status"), "{}", wb.stdout);
    let writes = mock_writes(&shop, &order);
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert!(writes[0].0 == "orderStatusChange" && writes[0].1.contains("<OrderStatus>3</OrderStatus>"), "保留 = 3: {writes:?}");
    assert_eq!(shop.juchu(&["orders", "release", &order, "--mall", "yahoo"]).code, 0);
    let wb = at(&shop, "2026-11-28T16:36:00+09:00", &["write-back", DEMO]);
    assert_eq!(wb.code, 0, "{}\n{}", wb.stdout, wb.stderr);
    let writes = mock_writes(&shop, &order);
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(writes[1].1.contains("<OrderStatus>2</OrderStatus>"), "back to 2 処理中: {writes:?}");
}
