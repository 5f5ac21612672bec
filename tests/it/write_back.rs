//! 書き戻し: the outbox keeps one row per order and action; before linkage the stage runs in shadow
//! and sends nothing, and its plan is what linkage sends once started; after linkage a shipment
//! reaches the mock as that mall's write call, once, and the next fetch sees it; a kill -9 at any
//! point, with the mock dropping responses, still applies every change exactly once.

use std::collections::BTreeMap;

use crate::support::Shop;

const PIPELINE: &str = "pipelines/demo.yaml";
const API_MALLS: [&str; 5] = ["rakuten", "yahoo", "amazon", "aupay", "futureshop"];

/// The write calls the in-process mock applied, from its state file: (mall, order, call) → outcomes.
fn mock_writes(shop: &Shop) -> BTreeMap<(String, String, String), Vec<String>> {
    let path = shop.path("state/mock-mall-state.json");
    let mut out: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    let Ok(text) = std::fs::read_to_string(&path) else { return out };
    let v: serde_json::Value = serde_json::from_str(&text).expect("the mock's state is JSON");
    for call in v["log"].as_array().cloned().unwrap_or_default() {
        let s = |k: &str| call[k].as_str().unwrap_or("").to_string();
        out.entry((s("mall"), s("order"), s("call"))).or_default().push(s("outcome"));
    }
    out
}

/// Every order of the API malls placed at or after `from` (JST), one per mall at most `per_mall`;
/// not held (保留: a held order's shipment waits for its release, `shipping::`).
fn orders_placed_after(shop: &Shop, from: &str, per_mall: usize) -> Vec<(String, String)> {
    let out = shop.juchu(&[
        "query",
        "--format",
        "csv",
        &format!(
            "SELECT mall, order_number FROM (SELECT mall, order_number, row_number() OVER (PARTITION BY mall ORDER BY ordered_at, order_number) AS n
             FROM orders WHERE ordered_at >= TIMESTAMP '{from}' AND NOT coalesce(cancelled, false) AND mall IN ('rakuten','yahoo','amazon','aupay','futureshop')
               AND NOT EXISTS (SELECT 1 FROM order_holds h WHERE h.mall = orders.mall AND h.order_number = orders.order_number AND h.released_at IS NULL))
             WHERE n <= {per_mall} ORDER BY mall, order_number"
        ),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout.lines().skip(1).map(|l| l.split_once(',').map(|(m, n)| (m.to_string(), n.to_string())).unwrap()).collect()
}

/// The sample shop after its import test: orders fetched, the test orders moved to 処理済 (S9).
fn imported_shop() -> Shop {
    let shop = Shop::sample();
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let moved = shop.juchu(&["orders", "move-status", "--to", "処理済", "--imported-before", "2026-11-28T10:01", "--yes"]);
    assert_eq!(moved.code, 0, "{}", moved.stderr);
    shop
}

fn at(shop: &Shop, now: &str, args: &[&str]) -> crate::support::Output {
    shop.juchu(&[&["--now", now][..], args].concat())
}

fn ship_each(shop: &Shop, now: &str, orders: &[(String, String)]) {
    for (i, (mall, number)) in orders.iter().enumerate() {
        let tracking = format!("4000-1111-{:04}", i + 1);
        let out = at(shop, now, &["orders", "ship", number, "--mall", mall, "--carrier", "ヤマト運輸", "--tracking", &tracking]);
        assert_eq!(out.code, 0, "{mall} {number}: {}\n{}", out.stdout, out.stderr);
    }
}

#[test]
fn the_outbox_keeps_one_row_per_order_and_action() {
    let shop = imported_shop();
    let (mall, number) = orders_placed_after(&shop, "2026-11-28 00:00:00", 1).into_iter().find(|(m, _)| m == "yahoo").unwrap();
    let ship =
        |tracking: &str| shop.juchu(&["orders", "ship", &number, "--mall", &mall, "--carrier", "ヤマト運輸", "--tracking", tracking]);
    let first = ship("1234-5678-9012");
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert!(first.stdout.contains("orderShipStatusChange 配送会社=1001（ヤマト運輸） 伝票番号=1234-5678-9012"), "{}", first.stdout);
    assert!(first.stdout.contains("linkage not started"), "{}", first.stdout);
    let again = ship("1234-5678-9012");
    assert!(again.stdout.contains("the same change is queued already"), "{}", again.stdout);
    let count = || shop.query_one(&format!("select count(*) from write_back_outbox where order_number = '{number}'"));
    assert_eq!(count(), "1");
    let other = ship("1234-5678-0000");
    assert!(other.stdout.contains("replaced the change queued before"), "{}", other.stdout);
    assert_eq!(count(), "1");
    assert_eq!(
        shop.query_one(&format!("select tracking_numbers from write_back_outbox where order_number = '{number}'")),
        "1234-5678-0000"
    );
    // The status is juchu's, logged; a status row of its own beside the shipment.
    assert_eq!(shop.query_one(&format!("select house_status from orders where order_number = '{number}'")), "出荷済");
    assert_eq!(shop.juchu(&["orders", "set-status", &number, "--mall", &mall, "--to", "出荷済"]).code, 0);
    assert_eq!(count(), "2");

    // A carrier the mall has no code for: refused whole, naming the master sheet; nothing changes.
    let before = shop.query_one("select count(*) from order_status_log");
    let out = shop.juchu(&["orders", "ship", &number, "--mall", &mall, "--carrier", "西濃運輸", "--tracking", "1"]);
    assert_eq!(out.code, 78, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("masters.xlsx!配送会社コード") && out.stderr.contains("yahoo | 西濃運輸"), "{}", out.stderr);
    assert_eq!(shop.query_one("select count(*) from order_status_log"), before);
    // An order that is not there.
    let out = shop.juchu(&["orders", "set-status", "no-such-order", "--to", "出荷済"]);
    assert_eq!(out.code, 78);
    assert!(out.stderr.contains("order no-such-order is not in the store"), "{}", out.stderr);
}

#[test]
fn shadow_linkage_sends_nothing_and_its_plan_is_what_linkage_sends() {
    // Two copies of one shop, the same orders, the same shipments: one linked from 10:30, one not.
    let (shadow, linked) = (imported_shop(), imported_shop());
    for mall in API_MALLS {
        let out = linked.juchu(&["linkage", "enable", PIPELINE, "--mall", mall, "--start", "2026-11-28T10:30"]);
        assert_eq!(out.code, 0, "{mall}: {}\n{}", out.stdout, out.stderr);
    }
    let later = "2026-11-28T11:30:00+09:00";
    for shop in [&shadow, &linked] {
        let out = at(shop, later, &["run", PIPELINE]);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    }
    let after_start = orders_placed_after(&shadow, "2026-11-28 10:30:00", 2);
    assert_eq!(after_start, orders_placed_after(&linked, "2026-11-28 10:30:00", 2), "the same orders in both");
    let malls: std::collections::BTreeSet<&str> = after_start.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(malls.len(), 5, "every API mall has orders after the start: {after_start:?}");
    // And one order from before the start: linkage never writes it (S13).
    let before_start: Vec<(String, String)> = orders_placed_after(&shadow, "2026-11-28 10:05:00", 1)
        .into_iter()
        .filter(|(m, n)| m == "rakuten" && !after_start.iter().any(|(_, a)| a == n))
        .collect();
    assert_eq!(before_start.len(), 1);
    let changes: Vec<(String, String)> = after_start.iter().chain(&before_start).cloned().collect();
    ship_each(&shadow, later, &changes);
    ship_each(&linked, later, &changes);

    let send_at = "2026-11-28T11:33:00+09:00";
    let dry = at(&linked, send_at, &["write-back", PIPELINE, "--dry-run"]);
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    assert!(dry.stdout.contains(&format!("{} call(s) planned (--dry-run: nothing sent)", changes.len())), "{}", dry.stdout);
    assert!(mock_writes(&linked).is_empty(), "a dry run sends nothing");
    for shop in [&shadow, &linked] {
        let out = at(shop, send_at, &["run", PIPELINE]);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    }

    // Shadow: nothing reached the mock; the plan lists every change, with the calls and codes.
    assert!(mock_writes(&shadow).is_empty(), "shadow sends nothing: {:?}", mock_writes(&shadow));
    // Without a start the shadow shop plans the order from before 10:30 too; the linked one never sends it.
    let plan = shadow.juchu(&[
        "query",
        "--format",
        "csv",
        &format!(
            "select mall, order_number, mall_call, request from write_back_plan where would_send and order_number <> '{}' order by all",
            before_start[0].1
        ),
    ]);
    let sent = linked.juchu(&[
        "query",
        "--format",
        "csv",
        "select mall, order_number, mall_call, request from write_back_log where result = 'changed' order by all",
    ]);
    assert_eq!(plan.stdout.lines().count(), 1 + after_start.len(), "{}", plan.stdout);
    assert_eq!(plan.stdout, sent.stdout, "the shadow plan is what linkage sent");
    assert!(
        plan.stdout.contains("yahoo,nagomi-zakka-10031818,orderShipStatusChange,配送会社=1001（ヤマト運輸） 伝票番号="),
        "{}",
        plan.stdout
    );

    // Linked: each change reached the mock once as that mall's call; the order placed before the
    // start was not written.
    let writes = mock_writes(&linked);
    for (mall, number) in &after_start {
        let applied: Vec<&String> = writes.iter().filter(|((m, n, _), _)| m == mall && n == number).flat_map(|(_, o)| o).collect();
        assert_eq!(applied, vec!["applied"], "{mall} {number}: {writes:?}");
    }
    assert!(!writes.keys().any(|(_, n, _)| n == &before_start[0].1), "S13: {writes:?}");
    assert_eq!(
        linked
            .query_one(&format!("select state || ' ' || outcome from write_back_outbox where order_number = '{}'", before_start[0].1))
            .split(' ')
            .next(),
        Some("skipped")
    );

    // The next fetch sees what was written: Rakuten shows 発送済 and the tracking number.
    // (An order fetched is read again once 30 minutes have passed.)
    let out = at(&linked, "2026-11-28T12:05:00+09:00", &["run", PIPELINE]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let (_, rakuten_order) = after_start.iter().find(|(m, _)| m == "rakuten").unwrap();
    assert_eq!(linked.query_one(&format!("select mall_status from orders where order_number = '{rakuten_order}'")), "500");
    let normalized = linked.query_one(&format!("select normalized from orders where order_number = '{rakuten_order}'"));
    let i = changes.iter().position(|(m, n)| m == "rakuten" && n == rakuten_order).unwrap();
    assert!(normalized.contains(&format!("1001:4000-1111-{:04}", i + 1)), "{normalized}");
    // And nothing was sent again.
    assert_eq!(mock_writes(&linked), writes);
    // The workbook shows the plan (shadow) and the sends.
    let book = shadow.path("out/verification-2026-11-28.xlsx");
    let sheets = calamine_sheets(&book);
    assert!(sheets.contains(&"Linkage preview".to_string()) && sheets.contains(&"Write-back".to_string()), "{sheets:?}");
}

fn calamine_sheets(path: &std::path::Path) -> Vec<String> {
    use calamine::Reader;
    let book: calamine::Xlsx<_> = calamine::open_workbook(path).expect("the workbook opens");
    book.sheet_names().to_vec()
}

#[test]
fn a_status_the_mall_refuses_is_dead_lettered_and_the_run_exits_1() {
    let shop = imported_shop();
    assert_eq!(shop.juchu(&["linkage", "enable", PIPELINE, "--mall", "yahoo", "--start", "2026-11-28T10:30"]).code, 0);
    let later = "2026-11-28T11:30:00+09:00";
    assert_eq!(at(&shop, later, &["run", PIPELINE]).code, 0);
    let (_, number) = orders_placed_after(&shop, "2026-11-28 10:30:00", 1).into_iter().find(|(m, _)| m == "yahoo").unwrap();
    // 新規受付 is Yahoo's 1 予約中: from 2 処理中 the official table forbids it.
    let out = at(&shop, later, &["orders", "set-status", &number, "--mall", "yahoo", "--to", "新規受付"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let out = at(&shop, "2026-11-28T11:33:00+09:00", &["run", PIPELINE]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("[W002]"), "{}", out.stderr);
    assert_eq!(shop.query_one(&format!("select state from write_back_outbox where order_number = '{number}'")), "dead");
    assert!(mock_writes(&shop).values().flatten().all(|o| o != "applied"), "nothing applied");
}

#[test]
fn kill_9_during_write_back_applies_every_change_exactly_once() {
    let shop = imported_shop();
    // A mock of its own, outliving every killed juchu, that drops a third of the write responses.
    shop.write("scenario.yaml", "drop_write_responses: 0.3\nslow_ms: 2\n");
    let (mut mock, http, ftp) =
        crate::support::start_mock_mall(&shop, "2026-11-28T13:00:00+09:00", "state/mock-ftp", &["--scenario", "scenario.yaml"]);
    let text = shop.read("shop.yaml").replace("endpoint: mock", &format!("endpoint: {http}"));
    shop.write("shop.yaml", &text);
    shop.edit(
        "shop.yaml",
        &format!("  futureshop:\n    shop_id: nagomi\n    endpoint: {http}"),
        &format!("  futureshop:\n    shop_id: nagomi\n    endpoint: {ftp}"),
    );
    let env = [
        ("RAKUTEN_SERVICE_SECRET", "demo-service_secret"),
        ("RAKUTEN_LICENSE_KEY", "demo-license_key"),
        ("YAHOO_CLIENT_ID", "demo-client_id"),
        ("YAHOO_CLIENT_SECRET", "demo-client_secret"),
        ("YAHOO_REFRESH_TOKEN", "demo-refresh_token"),
        ("AMAZON_LWA_CLIENT_ID", "demo-lwa_client_id"),
        ("AMAZON_LWA_CLIENT_SECRET", "demo-lwa_client_secret"),
        ("AMAZON_REFRESH_TOKEN", "demo-refresh_token"),
        ("AUPAY_API_KEY", "demo-api_key"),
        ("FUTURESHOP_FTP_USER", "demo-ftp_user"),
        ("FUTURESHOP_FTP_PASSWORD", "demo-ftp_password"),
    ];
    for mall in API_MALLS {
        assert_eq!(shop.juchu_env(&["linkage", "enable", PIPELINE, "--mall", mall, "--start", "2026-11-28T10:30"], &env).code, 0);
    }
    let later = "2026-11-28T13:00:00+09:00";
    let out = shop.juchu_env(&["--now", later, "run", PIPELINE], &env);
    assert!(out.code <= 1, "{}\n{}", out.stdout, out.stderr);
    let changes = orders_placed_after(&shop, "2026-11-28 10:30:00", 6);
    ship_each(&shop, later, &changes);
    let expected = changes.len();
    assert!(expected >= 20, "{expected} changes");

    // 50 runs of the write-back, each killed at a random moment.
    let mut rng = 0x9E3779B97F4A7C15u64;
    for _ in 0..50 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_juchu"))
            .args(["--now", later, "--quiet", "write-back", PIPELINE])
            .envs(env.iter().copied())
            .env("JUCHU_LANG", "en")
            .current_dir(shop.root())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20 + rng % 250));
        let _ = child.kill();
        let _ = child.wait();
    }
    // Then one to the end.
    let out = shop.juchu_env(&["--now", later, "write-back", PIPELINE], &env);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let calls: serde_json::Value = {
        let addr = http.trim_start_matches("http://");
        let body = http_get(addr, "/_mock/writes");
        serde_json::from_str(&body).expect("the mock's call log is JSON")
    };
    let _ = mock.kill();
    let _ = mock.wait();
    let mut applied: BTreeMap<(String, String), usize> = BTreeMap::new();
    for c in calls["writes"].as_array().unwrap() {
        if matches!(c["outcome"].as_str(), Some("applied" | "dropped")) {
            *applied.entry((c["mall"].as_str().unwrap().into(), c["order"].as_str().unwrap().into())).or_default() += 1;
        }
    }
    for (mall, number) in &changes {
        assert_eq!(applied.get(&(mall.clone(), number.clone())), Some(&1), "{mall} {number} applied exactly once: {applied:?}");
    }
    assert_eq!(applied.len(), expected, "{applied:?}");
    assert_eq!(shop.query_one("select count(*) from write_back_outbox where state <> 'done'"), "0");
}

/// A GET over a plain TCP socket (the test binary has no HTTP client of its own).
fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default()
}

#[test]
fn a_change_with_no_answer_is_dead_lettered_after_max_attempts_and_listed() {
    let shop = imported_shop();
    assert_eq!(shop.juchu(&["linkage", "enable", PIPELINE, "--mall", "aupay", "--start", "2026-11-28T10:30"]).code, 0);
    let later = "2026-11-28T11:30:00+09:00";
    assert_eq!(at(&shop, later, &["run", PIPELINE]).code, 0);
    let (_, number) = orders_placed_after(&shop, "2026-11-28 10:30:00", 1).into_iter().find(|(m, _)| m == "aupay").unwrap();
    ship_each(&shop, later, &[("aupay".into(), number.clone())]);
    shop.write(
        "pipelines/write-back.yaml",
        "settings: ../shop.yaml\nstages:\n  - id: write-back\n    type: write_back\n    with: { max_attempts: 2, retries: 1, backoff_ms: 1 }\n  - id: workbook\n    type: report\n    with: { path: ../out/write-back.xlsx }\n",
    );
    shop.write("down.yaml", "error_rate: 1.0\n");
    let down = shop.path("down.yaml").display().to_string();
    let env = [("JUCHU_MOCK_SCENARIO", down.as_str())];
    let first = shop.juchu_env(&["--now", later, "write-back", "pipelines/write-back.yaml"], &env);
    assert_eq!(first.code, 1, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(
        shop.query_one(&format!("select state || ' ' || attempts from write_back_outbox where order_number = '{number}'")),
        "queued 1"
    );
    let second = shop.juchu_env(&["--now", later, "run", "pipelines/write-back.yaml"], &env);
    assert_eq!(second.code, 1, "{}\n{}", second.stdout, second.stderr);
    assert!(second.stderr.contains("[W003]") && second.stderr.contains("no answer in 2 runs"), "{}", second.stderr);
    assert_eq!(shop.query_one(&format!("select state from write_back_outbox where order_number = '{number}'")), "dead");
    // Listed first on the workbook's write-back sheet.
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(shop.path("out/write-back.xlsx")).unwrap();
    let sheet = book.worksheet_range("Write-back").unwrap();
    let row: Vec<String> = sheet.rows().nth(1).unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!((row[0].as_str(), row[1].as_str(), row[3].as_str()), ("aupay", number.as_str(), "dead-lettered"), "{row:?}");
    // Queued again by hand: with the mall back, it is read first, then sent once.
    let again = shop.juchu(&["--now", later, "write-back", "pipelines/write-back.yaml", "--retry-dead"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(
        shop.query_one(&format!("select state || ' ' || outcome from write_back_outbox where order_number = '{number}'")),
        "done changed"
    );
}

#[test]
fn after_linkage_a_status_edited_in_the_malls_screen_is_written_again_and_listed() {
    let shop = imported_shop();
    assert_eq!(shop.juchu(&["linkage", "enable", PIPELINE, "--mall", "aupay", "--start", "2026-11-28T10:30"]).code, 0);
    let later = "2026-11-28T11:30:00+09:00";
    assert_eq!(at(&shop, later, &["run", PIPELINE]).code, 0);
    let (_, number) = orders_placed_after(&shop, "2026-11-28 10:30:00", 1).into_iter().find(|(m, _)| m == "aupay").unwrap();
    // 保留 is au PAY's 保留.
    assert_eq!(at(&shop, later, &["orders", "set-status", &number, "--mall", "aupay", "--to", "保留"]).code, 0);
    let out = at(&shop, "2026-11-28T11:33:00+09:00", &["run", PIPELINE]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        shop.query_one(&format!("select state || ' ' || outcome from write_back_outbox where order_number = '{number}'")),
        "done changed"
    );

    // Staff release it (発送待ち) in the mall's own screen: the mock's state, as the mall holds it.
    let path = shop.path("state/mock-mall-state.json");
    let mut state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let applied = &mut state["applied"][format!("aupay/{number}")];
    applied["status"] = "発送待ち".into();
    applied["updated_at"] = "2026-11-28T11:40:00+09:00".into();
    std::fs::write(&path, serde_json::to_string(&state).unwrap()).unwrap();

    // The next run that reads the order again sees 発送待ち, writes 保留 again, and the workbook lists it.
    let out = at(&shop, "2026-11-28T12:05:00+09:00", &["run", PIPELINE]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("overwrites 1"), "{}", out.stdout);
    assert_eq!(
        shop.query_one(&format!("select mall_showed || ' → ' || juchu_writes from write_back_overwrites where order_number = '{number}'")),
        "ステータス=発送待ち → ステータス=保留"
    );
    let writes = mock_writes(&shop);
    assert_eq!(writes[&("aupay".to_string(), number.clone(), "updateTradeStsProc".to_string())], vec!["applied", "applied"], "{writes:?}");
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(shop.path("out/verification-2026-11-28.xlsx")).unwrap();
    let sheet = book.worksheet_range("Write-back").unwrap();
    assert!(sheet.rows().any(|r| r.iter().any(|c| c.to_string() == "overwritten (S12)")), "the overwrite is listed");
    // A run after it finds juchu's status in place: nothing more is sent.
    let out = at(&shop, "2026-11-28T12:40:00+09:00", &["run", PIPELINE]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(mock_writes(&shop), writes);
}
