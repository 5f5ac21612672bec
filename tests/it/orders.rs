//! fetch_orders against the mock mall over real HTTP: windows, upserts, cursors, faults, crashes.

use crate::support::Shop;

/// A pipeline with only the orders stage, so polling tests run fast.
fn orders_only(shop: &Shop, initial_days: u32) {
    orders_from(shop, "rakuten, amazon", initial_days);
}

fn orders_from(shop: &Shop, malls: &str, initial_days: u32) {
    shop.write(
        "pipelines/orders.yaml",
        &format!("settings: ../shop.yaml\nstages:\n  - id: orders\n    type: fetch_orders\n    with: {{ malls: [{malls}], initial_days: {initial_days} }}\n"),
    );
}

/// CSV files in a folder of the mock's FTP side (beside the store).
fn ftp_files(shop: &Shop, folder: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(shop.path(&format!("state/mock-ftp/{folder}")))
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".csv")).collect())
        .unwrap_or_default();
    names.sort();
    names
}

fn poll(shop: &Shop, now: &str, env: &[(&str, &str)]) -> crate::support::Output {
    shop.juchu_env(&["--now", now, "run", "pipelines/orders.yaml"], env)
}

/// Every order's key and content fingerprint, in order.
fn snapshot(shop: &Shop, since: &str) -> String {
    shop.query_one(&format!(
        "select count(*) || ' orders, ' || coalesce(sum(content_hash % 1000003), 0) || ' / ' || (select count(*) from order_items)
         from orders where ordered_at >= '{since}'"
    ))
}

fn rows(shop: &Shop, since: &str) -> Vec<String> {
    let out = shop.juchu(&[
        "query",
        "--format",
        "csv",
        &format!(
            "select mall, order_number, content_hash, mall_status from orders where ordered_at >= '{since}' order by mall, order_number"
        ),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout.lines().skip(1).map(str::to_string).collect()
}

#[test]
fn the_demo_fetches_orders_and_a_rerun_adds_none_twice() {
    let shop = Shop::sample();
    let first = shop.run_demo();
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert!(first.stdout.contains("rakuten: 96 new, 0 changed, 0 unchanged"), "{}", first.stdout);
    assert!(first.stdout.contains("yahoo: 96 new, 0 changed, 0 unchanged"), "{}", first.stdout);
    assert!(first.stdout.contains("amazon: 193 new, 0 changed, 0 unchanged"), "{}", first.stdout);
    assert!(first.stdout.contains("aupay: 136 new, 0 changed, 0 unchanged"), "{}", first.stdout);
    assert!(first.stdout.contains("futureshop: 96 new, 0 changed, 0 unchanged"), "{}", first.stdout);
    assert!(first.stdout.contains("yamada: 2 new, 0 changed, 0 unchanged"), "{}", first.stdout);
    assert!(first.stdout.contains("ponpare: 2 new, 0 changed, 0 unchanged"), "{}", first.stdout);
    // Each mall's time once (its own), then the stage's once: not `(412 ms) (415 ms)`.
    let line = first.stdout.lines().find(|l| l.contains("fetch_orders")).unwrap();
    assert_eq!(line.matches(" ms").count(), 7 + 1, "{line}");
    assert_eq!(line.matches(", fetched in ").count(), 7, "{line}");
    assert!(!line.contains("ms) ("), "{line}");
    let before = snapshot(&shop, "2000-01-01");
    let again = shop.juchu(&["-v", "run", "pipelines/demo.yaml"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("rakuten: 0 new, 0 changed,"), "{}", again.stdout);
    assert!(again.stdout.contains("yahoo: 0 new, 0 changed,"), "{}", again.stdout);
    assert!(again.stdout.contains("amazon: 0 new, 0 changed,"), "{}", again.stdout);
    assert!(again.stdout.contains("futureshop: 0 new, 0 changed, 0 unchanged"), "{}", again.stdout);
    assert!(again.stdout.contains("yamada: 0 new, 0 changed, 2 unchanged"), "{}", again.stdout);
    assert_eq!(snapshot(&shop, "2000-01-01"), before, "the same window fetched twice leaves the store identical");
    assert_eq!(shop.query_one("select count(*) - count(distinct order_number) from orders"), "0");
    assert_eq!(
        shop.query_one("select string_agg(mall, ' ' order by mall) from (select distinct mall from orders)"),
        "amazon aupay futureshop ponpare rakuten yahoo yamada",
        "all seven malls of the sample shop"
    );
    // Yahoo's raw payload is its XML as received; options come with their names.
    assert_eq!(
        shop.query_one("select count(*) > 0 from orders where mall = 'yahoo' and raw like '{\"xml\":\"<OrderInfo><OrderId>nagomi-zakka-%'"),
        "true"
    );
    assert_eq!(shop.query_one("select count(*) > 0 from order_items where mall = 'yahoo' and options_text like 'ラッピング:%'"), "true");
    // Each mall's delivery method as it sent it, with its field, for the 配送方法 master.
    assert_eq!(
        shop.query_one(
            "select string_agg(m, ' ' order by m) from (select distinct mall || ':' || delivery_source || '=' || delivery_method as m
             from order_shipments where mall in ('yahoo', 'amazon', 'aupay'))"
        ),
        "amazon:ShipmentServiceLevelCategory=Expedited amazon:ShipmentServiceLevelCategory=Standard aupay:deliveryName=宅配便 \
         yahoo:ShipMethod=postage1 yahoo:ShipMethod=postage2"
    );
    // Both serial lengths, the -9999 sentinel kept as NULL, remarks parsed, gifts.
    assert_eq!(shop.query_one("select count(*) > 0 from orders where length(split_part(order_number, '-', 3)) = 8"), "true");
    assert_eq!(shop.query_one("select count(*) > 0 from orders where length(split_part(order_number, '-', 3)) = 10"), "true");
    assert_eq!(
        shop.query_one("select count(*) > 0 from orders where desired_source = 'remarks' and desired_time_slot = '18:00-20:00'"),
        "true"
    );
    assert_eq!(shop.query_one("select count(*) > 0 from orders where is_gift"), "true");
    // One gift rule at every mall (another name or another address; what the mall left empty for the
    // orderer does not count); Rakuten's several destinations and Amazon's IsGift only add gifts.
    assert_eq!(
        shop.query_one(
            r#"with parties as (
               select mall, is_gift,
                 trim(regexp_extract(normalized, '"orderer":\{"name":"((?:[^"\\]|\\.)*)"', 1)) as o_name,
                 trim(regexp_extract(normalized, '"ship_to":\{"name":"((?:[^"\\]|\\.)*)"', 1)) as s_name,
                 trim(regexp_extract(normalized, '"orderer":\{[^}]*"address":"((?:[^"\\]|\\.)*)"', 1)) as o_address,
                 trim(regexp_extract(normalized, '"ship_to":\{[^}]*"address":"((?:[^"\\]|\\.)*)"', 1)) as s_address
               from orders),
             rule as (select *, (o_name <> '' and o_name <> s_name) or (o_address <> '' and o_address <> s_address) as gift from parties)
             select count(*) filter (where (gift and not is_gift) or (mall not in ('rakuten', 'amazon') and is_gift and not gift))
                    || ' mismatched; gifts found: ' || (count(*) filter (where gift) > 0) from rule"#
        ),
        "0 mismatched; gifts found: true"
    );
}

#[test]
fn an_expired_rakuten_key_is_named_the_other_malls_are_still_fetched_and_it_exits_1() {
    let shop = Shop::sample();
    let out = shop.juchu_env(&["run", "pipelines/demo.yaml"], &[("RAKUTEN_LICENSE_KEY", "SL338811_expired")]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("rakuten: FAILED"), "{}", out.stdout);
    assert!(out.stderr.contains("error[F001]"), "{}", out.stderr);
    assert!(out.stderr.contains("malls.rakuten.credentials.license_key"), "{}", out.stderr);
    // Staff fix a variable, not the YAML: the help names the one to export.
    assert!(out.stderr.contains("export it as RAKUTEN_LICENSE_KEY"), "{}", out.stderr);
    assert!(!out.stderr.contains("SL338811_expired"), "a secret never appears in messages: {}", out.stderr);
    // The stages before still did their work.
    assert_eq!(shop.query_one("select count(*) from products where mall = 'rakuten'"), "12");
    assert_eq!(shop.query_one("select count(*) from orders where mall = 'rakuten'"), "0");
    assert_eq!(shop.query_one("select count(*) from orders where mall = 'amazon'"), "193", "Amazon was still fetched");
    for mall in ["yahoo: 96 new", "amazon: 193 new", "aupay: 136 new", "futureshop: 96 new", "yamada: 2 new", "ponpare: 2 new"] {
        assert!(out.stdout.contains(mall), "{mall}: {}", out.stdout);
    }
}

#[test]
fn a_crash_between_upsert_and_cursor_loses_nothing_and_duplicates_nothing() {
    let shop = Shop::sample();
    orders_only(&shop, 1);
    assert_eq!(poll(&shop, "2026-11-28T10:00:00+09:00", &[]).code, 0);
    let crashed = poll(&shop, "2026-11-28T12:00:00+09:00", &[("JUCHU_CRASH_AT", "after_upsert_before_commit")]);
    assert_ne!(crashed.code, 0, "the process was killed");
    assert!(crashed.stderr.contains("crashing at after_upsert_before_commit"), "{}", crashed.stderr);
    assert_eq!(shop.query_one("select strftime(fetched_to, '%H:%M') from fetch_cursors"), "10:00", "the cursor did not move");
    let after = poll(&shop, "2026-11-28T12:00:00+09:00", &[]);
    assert_eq!(after.code, 0, "{}", after.stderr);

    let clean = Shop::sample();
    orders_only(&clean, 1);
    assert_eq!(poll(&clean, "2026-11-28T10:00:00+09:00", &[]).code, 0);
    assert_eq!(poll(&clean, "2026-11-28T12:00:00+09:00", &[]).code, 0);
    assert_eq!(rows(&shop, "2026-11-27 10:00:00"), rows(&clean, "2026-11-27 10:00:00"));
}

/// Polling every 3 minutes against a mock with faults switched on: every order the mock placed is in
/// the store exactly once, with its latest content (compared with one clean fetch at the end).
/// 300 polls (15 hours) here; `bench/soak.sh` runs the long version (1,000 by default).
#[test]
fn many_polling_cycles_with_faults_store_every_order_once_with_its_latest_content() {
    let cycles: i64 = std::env::var("JUCHU_POLL_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let shop = Shop::sample();
    // The API malls (FutureShop2's exports are checked on their own, with FTP faults).
    let malls = "rakuten, yahoo, amazon, aupay";
    orders_from(&shop, malls, 1);
    let fixture = |name: &str| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios").join(name);
    let (faults, calm) = (fixture("faults.yaml"), fixture("calm.yaml"));
    let (scenario, calm) = (faults.to_str().unwrap(), calm.to_str().unwrap());
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-28T00:00:00+09:00").unwrap();
    let (mut failed, mut ok) = (0, 0);
    for i in 0..cycles {
        let now = (start + chrono::Duration::minutes(3 * i)).to_rfc3339();
        let out = poll(&shop, &now, &[("JUCHU_MOCK_SCENARIO", scenario)]);
        match out.code {
            0 => ok += 1,
            1 => failed += 1,
            other => panic!("cycle {i}: exit {other}\n{}\n{}", out.stdout, out.stderr),
        }
    }
    // Open orders are re-read once their last fetch is 30 minutes old: compare after that.
    let end = (start + chrono::Duration::minutes(3 * cycles + 31)).to_rfc3339();
    // A last poll without faults, then one clean fetch of the whole span into a fresh store.
    assert_eq!(poll(&shop, &end, &[("JUCHU_MOCK_SCENARIO", calm)]).code, 0);
    let clean = Shop::sample();
    orders_from(&clean, malls, 1 + (cycles as u32 * 3) / (24 * 60) + 1);
    assert_eq!(poll(&clean, &end, &[("JUCHU_MOCK_SCENARIO", calm)]).code, 0);
    // A mall's first poll looks back one day from when it first succeeds: compare from the first cycle on.
    let since = "2026-11-28 00:00:00";
    let (got, want) = (rows(&shop, since), rows(&clean, since));
    assert!(want.len() > cycles as usize * 3 / 4 / 2, "the mock placed orders: {}", want.len());
    let missing: Vec<&String> = want.iter().filter(|w| !got.contains(w)).take(5).collect();
    let extra: Vec<&String> = got.iter().filter(|g| !want.contains(g)).take(5).collect();
    assert!(
        got == want,
        "after {ok} clean and {failed} faulty polls: {} stored, {} expected; missing {missing:?}; extra {extra:?}",
        got.len(),
        want.len()
    );
    assert!(failed > 0, "faults were injected and some polls failed");
    assert_eq!(shop.query_one("select count(*) - count(distinct order_number) from orders"), "0");
}

/// Yamada and Ponpare: order files in a folder, columns mapped in the settings.
#[test]
fn mapped_order_files_group_lines_by_order_and_a_missing_column_is_named() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    assert_eq!(shop.query_one("select count(*) from order_items where mall = 'yamada' and order_number = 'YM-20261128-0001'"), "2");
    assert_eq!(
        shop.query_one("select desired_time_slot || ' ' || desired_source from orders where order_number = 'YM-20261128-0001'"),
        "14:00-16:00 remarks"
    );
    assert_eq!(
        shop.query_one("select desired_date || ' ' || desired_source from orders where order_number = 'PP0000123401'"),
        "2026-12-01 field"
    );
    assert_eq!(shop.query_one("select is_gift from orders where order_number = 'YM-20261128-0002'"), "true");

    // A Ponpare export without its 個数 column: Ponpare fails clearly, the others are still fetched.
    let file = "sample-data/orders/ponpare/juchu-20261128.csv";
    let text = shop.read_cp932(file).replacen("\"個数\"", "\"数\"", 1);
    shop.write_cp932(file, &text);
    let out = shop.run_demo();
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("ponpare: FAILED"), "{}", out.stdout);
    assert!(out.stdout.contains("yamada: 0 new"), "{}", out.stdout);
    assert!(out.stderr.contains("juchu-20261128.csv: missing column(s) 個数; columns found: 受注ID"), "{}", out.stderr);
}

/// FutureShop2: exports fetched from a real FTP server on loopback (the mock's), moved to the
/// archive once their orders are committed, so none is read twice, whatever happens in between.
#[test]
fn futureshop_exports_come_over_ftp_and_are_archived_once_committed() {
    let shop = Shop::sample();
    orders_from(&shop, "futureshop", 1);
    let first = poll(&shop, "2026-11-28T10:00:00+09:00", &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert!(first.stdout.contains("futureshop: 96 new, 0 changed, 0 unchanged"), "{}", first.stdout);
    assert_eq!(ftp_files(&shop, "orders"), Vec::<String>::new(), "every export read was archived");
    assert_eq!(ftp_files(&shop, "orders/archive").len(), 24, "one export per hour of the last day");
    assert_eq!(
        shop.query_one("select count(*) from order_items where mall = 'futureshop'"),
        shop.query_one("select count(*) from order_items i join orders o using (mall, shop, order_number) where o.mall = 'futureshop'")
    );
    assert_eq!(
        shop.query_one("select count(*) > 0 from orders where mall = 'futureshop' and cod_fee = 330 and payment_method = '代金引換'"),
        "true"
    );

    // Killed after the commit, before the move: the new export stays and is read again, changing nothing.
    let crashed = poll(&shop, "2026-11-28T11:03:00+09:00", &[("JUCHU_CRASH_AT", "after_commit_before_archive")]);
    assert_ne!(crashed.code, 0);
    assert_eq!(ftp_files(&shop, "orders"), vec!["futureshop_orders_202611281000.csv".to_string()]);
    let stored = shop.query_one("select count(*) from orders where mall = 'futureshop'");
    let again = shop.juchu(&["-v", "--now", "2026-11-28T11:04:00+09:00", "run", "pipelines/orders.yaml"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("futureshop: 0 new, 0 changed, 4 unchanged"), "{}", again.stdout);
    assert_eq!(shop.query_one("select count(*) from orders where mall = 'futureshop'"), stored);
    assert_eq!(ftp_files(&shop, "orders"), Vec::<String>::new());

    // Transfers that keep failing: the mall fails, nothing is archived, the next poll gets it all.
    let broken = shop.path("broken.yaml");
    std::fs::write(&broken, "error_rate: 1.0\n").unwrap();
    let failed = poll(&shop, "2026-11-28T13:01:00+09:00", &[("JUCHU_MOCK_SCENARIO", broken.to_str().unwrap())]);
    assert_eq!(failed.code, 1, "{}\n{}", failed.stdout, failed.stderr);
    assert!(
        failed.stderr.contains("error[F002]") && failed.stderr.contains("FTP RETR futureshop_orders_202611281100.csv"),
        "{}",
        failed.stderr
    );
    assert_eq!(ftp_files(&shop, "orders").len(), 2);
    let recovered = poll(&shop, "2026-11-28T13:04:00+09:00", &[]);
    assert!(recovered.stdout.contains("futureshop: 8 new, 0 changed, 0 unchanged"), "{}", recovered.stdout);
    assert_eq!(shop.query_one("select count(*) - count(distinct order_number) from orders"), "0");

    // A refused FTP password names its settings key and never shows the password.
    let refused = poll(&shop, "2026-11-28T14:01:00+09:00", &[("FUTURESHOP_FTP_PASSWORD", "Pw-s3cret-42")]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("error[F001]")
            && refused.stderr.contains("malls.futureshop.credentials.ftp_password")
            && refused.stderr.contains("export it as FUTURESHOP_FTP_PASSWORD"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("Pw-s3cret-42") && !refused.stdout.contains("Pw-s3cret-42"));
}

/// `juchu mock-mall` on its own: another process's pipeline fetches from it over HTTP and FTP.
#[test]
fn the_mock_mall_runs_on_its_own_for_other_processes() {
    let shop = Shop::sample();
    let (mut mock, http, ftp) = crate::support::start_mock_mall(&shop, "2026-11-28T10:00:00+09:00", "ftp-root", &[]);
    shop.edit(
        "shop.yaml",
        "  yahoo:\n    shop_id: nagomi-zakka\n    endpoint: mock",
        &format!("  yahoo:\n    shop_id: nagomi-zakka\n    endpoint: {http}"),
    );
    shop.edit(
        "shop.yaml",
        "  futureshop:\n    shop_id: nagomi\n    endpoint: mock",
        &format!("  futureshop:\n    shop_id: nagomi\n    endpoint: {ftp}"),
    );
    orders_from(&shop, "yahoo, futureshop", 1);
    let env = [
        ("YAHOO_CLIENT_ID", "demo-client_id"),
        ("YAHOO_CLIENT_SECRET", "demo-client_secret"),
        ("YAHOO_REFRESH_TOKEN", "demo-refresh_token"),
        ("FUTURESHOP_FTP_USER", "demo-ftp_user"),
        ("FUTURESHOP_FTP_PASSWORD", "demo-ftp_password"),
    ];
    let out = poll(&shop, "2026-11-28T10:00:00+09:00", &env);
    let _ = mock.kill();
    let _ = mock.wait();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("yahoo: 96 new") && out.stdout.contains("futureshop: 96 new"), "{}", out.stdout);
    assert!(shop.path("ftp-root/orders/archive/futureshop_orders_202611280900.csv").exists());
}

#[test]
fn switched_off_malls_read_no_folder_and_start_no_mock_ftp() {
    let shop = Shop::sample();
    let text = shop.read("shop.yaml");
    // futureshop (the only mall over FTP) and yamada off; yamada's folder is gone.
    let text = text.replacen(
        "credentials_expire_on: 2027-06-30\n    switches:\n      order_import: true",
        "credentials_expire_on: 2027-06-30\n    switches:\n      order_import: false",
        1,
    );
    let text = text.replacen(
        "  yamada:\n    shop_id: nagomi\n    switches:\n      order_import: true",
        "  yamada:\n    shop_id: nagomi\n    switches:\n      order_import: false",
        1,
    );
    shop.write("shop.yaml", &text);
    std::fs::remove_dir_all(shop.path("sample-data/orders/yamada")).unwrap();
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("futureshop: order import is OFF (S8), skipped"), "{}", out.stdout);
    assert!(out.stdout.contains("yamada: order import is OFF (S8), skipped"), "{}", out.stdout);
    assert!(out.stdout.contains("rakuten: 96 new"), "{}", out.stdout);
    assert!(shop.path("state/juchu.duckdb").exists());
    assert!(!shop.path("state/mock-ftp").exists(), "no mall needs the mock's FTP side");
}

fn numbers(shop: &Shop, sql: &str) -> Vec<String> {
    let out = shop.juchu(&["query", "--format", "csv", sql]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout.lines().skip(1).map(str::to_string).collect()
}

/// A mall that lists orders it does not send, and sends some it cannot have meant: nothing is lost.
/// The listed orders stay pending and are asked for on every poll (reported after 3 polls); each
/// unreadable order is set aside with its payload while the others come in; all arrive once the mall
/// sends them.
#[test]
fn orders_listed_and_not_sent_stay_pending_and_one_unreadable_order_is_set_aside_while_the_others_arrive() {
    let at = ["2026-11-28T10:00:00+09:00", "2026-11-28T10:03:00+09:00", "2026-11-28T10:06:00+09:00", "2026-11-28T10:09:00+09:00"];
    let clean = Shop::sample();
    orders_from(&clean, "rakuten, yahoo, aupay", 1);
    assert_eq!(poll(&clean, at[0], &[]).code, 0);
    let pick = |mall: &str, n: usize| {
        numbers(&clean, &format!("select order_number from orders where mall = '{mall}' order by order_number limit {n}"))
    };
    let (rakuten, yahoo, aupay) = (pick("rakuten", 2), pick("yahoo", 2), pick("aupay", 1));

    let shop = Shop::sample();
    orders_from(&shop, "rakuten, yahoo, aupay", 1);
    shop.write(
        "mall.yaml",
        &format!(
            "withheld_orders: [\"{}\", \"{}\"]\nunreadable_orders: [\"{}\", \"{}\", \"{}\"]\n",
            rakuten[0], yahoo[0], rakuten[1], yahoo[1], aupay[0]
        ),
    );
    let scenario = shop.path("mall.yaml");
    let env = [("JUCHU_MOCK_SCENARIO", scenario.to_str().unwrap())];
    let first = poll(&shop, at[0], &env);
    assert_eq!(first.code, 1, "unreadable orders are reported at once: {}\n{}", first.stdout, first.stderr);
    assert!(first.stdout.contains("rakuten: 94 new, 0 changed, 0 unchanged, 2 pending"), "{}", first.stdout);
    assert!(first.stdout.contains("yahoo: 94 new, 0 changed, 0 unchanged, 2 pending"), "{}", first.stdout);
    assert!(first.stdout.contains("aupay: 135 new, 0 changed, 0 unchanged, 1 pending"), "{}", first.stdout);
    assert!(!first.stderr.contains("F006"), "listed orders are not reported on the first poll: {}", first.stderr);
    for (mall, number, why) in [
        ("rakuten", &rakuten[1], "PackageModelList is an object where the spec has a list"),
        ("yahoo", &yahoo[1], "the answer has no <OrderInfo>"),
        ("aupay", &aupay[0], "requestPrice `未定` is not a number"),
    ] {
        assert!(first.stderr.contains(&format!("{mall}: 1 order(s) the mall sent cannot be read and are set aside")), "{}", first.stderr);
        assert!(first.stderr.contains(number.as_str()) && first.stderr.contains(why), "{mall} {why}: {}", first.stderr);
    }
    assert_eq!(
        numbers(
            &shop,
            "select mall || ' ' || reason || ' ' || polls || ' ' || (raw is not null) from pending_orders order by mall, reason"
        ),
        [
            "aupay unreadable 1 true",
            "rakuten not_returned 1 false",
            "rakuten unreadable 1 true",
            "yahoo not_returned 1 false",
            "yahoo unreadable 1 true"
        ]
    );
    assert_eq!(
        shop.query_one(&format!("select detail from pending_orders where order_number = '{}'", rakuten[0])),
        "ORDER_EXT_API_GET_ORDER_INFO_102 受注情報が取得できませんでした"
    );
    assert!(shop.query_one(&format!("select raw from pending_orders where order_number = '{}'", rakuten[1])).contains(&rakuten[1]));
    // explain says why an order is not there.
    let listed = shop.juchu(&["explain", &rakuten[0]]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(
        listed.stdout.contains("listed by the mall, not sent yet") && listed.stdout.contains("ORDER_EXT_API_GET_ORDER_INFO_102"),
        "{}",
        listed.stdout
    );
    let unreadable = shop.juchu(&["explain", &yahoo[1]]);
    assert!(unreadable.stdout.contains("set aside as unreadable") && unreadable.stdout.contains("no <OrderInfo>"), "{}", unreadable.stdout);
    // The cursor moved: everything before it is stored or pending.
    assert_eq!(numbers(&shop, "select strftime(fetched_to, '%H:%M') from fetch_cursors"), ["10:00", "10:00", "10:00"]);

    let second = poll(&shop, at[1], &env);
    assert!(!second.stderr.contains("F006"), "{}", second.stderr);
    let third = poll(&shop, at[2], &env);
    assert_eq!(third.code, 1);
    for (mall, number) in [("rakuten", &rakuten[0]), ("yahoo", &yahoo[0])] {
        assert!(
            third.stderr.contains(&format!("{mall}: 1 order(s) the mall listed have not come in after 3 polls: {number}")),
            "{}",
            third.stderr
        );
    }
    assert!(third.stderr.contains("(the mall said: ORDER_EXT_API_GET_ORDER_INFO_102 受注情報が取得できませんでした)"), "{}", third.stderr);
    assert!(third.stderr.contains("od20002 注文ID"), "Yahoo's own words: {}", third.stderr);

    // The mall sends them now: every order is in, once, and nothing is pending.
    let fourth = poll(&shop, at[3], &[]);
    assert_eq!(fourth.code, 0, "{}\n{}", fourth.stdout, fourth.stderr);
    assert_eq!(shop.query_one("select count(*) from pending_orders"), "0");
    assert_eq!(poll(&clean, at[3], &[]).code, 0);
    let all = "select mall, order_number from orders order by all";
    assert_eq!(numbers(&shop, all), numbers(&clean, all));
    assert_eq!(shop.query_one("select count(*) - count(distinct (mall, order_number)) from orders"), "0");
}

/// An XML answer that declares a DOCTYPE (an entity attack, or a proxy's page) is refused by name,
/// at once: asking again would change nothing.
#[test]
fn a_doctype_answer_is_refused_by_name_and_not_asked_for_again() {
    let shop = Shop::sample();
    orders_from(&shop, "yahoo, rakuten", 1);
    shop.write("mall.yaml", "doctype_malls: [yahoo]\n");
    let scenario = shop.path("mall.yaml");
    let out = shop.juchu_env(
        &["-vv", "--now", "2026-11-28T10:00:00+09:00", "run", "pipelines/orders.yaml"],
        &[("JUCHU_MOCK_SCENARIO", scenario.to_str().unwrap())],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("error[F002]") && out.stderr.contains("declares a document type (<!DOCTYPE response ["), "{}", out.stderr);
    assert!(out.stderr.contains("does not ask again") && !out.stderr.contains("retry 1"), "{}", out.stderr);
    assert!(!out.stderr.contains("not whole XML"), "{}", out.stderr);
    assert!(out.stdout.contains("rakuten: 96 new"), "the other malls come in: {}", out.stdout);
}

/// A byte that is no character in an order file's encoding sets that one order aside, located at its
/// line and column; the file's other orders come in, and the order does once the file is fixed.
#[test]
fn an_order_file_row_with_a_byte_that_is_no_character_sets_aside_only_its_order() {
    let shop = Shop::sample();
    orders_from(&shop, "yamada", 1);
    let file = "sample-data/orders/yamada/orders-20261128.csv";
    let good = std::fs::read(shop.path(file)).unwrap();
    let name = encoding_rs::SHIFT_JIS.encode("山田 一郎").0.into_owned();
    let at = good.windows(name.len()).position(|w| w == &name[..]).expect("the orderer's name");
    let mut bad = good.clone();
    bad.insert(at + 2, 0x80);
    std::fs::write(shop.path(file), &bad).unwrap();
    let out = poll(&shop, "2026-11-28T10:00:00+09:00", &[]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("yamada: 1 new, 0 changed, 0 unchanged, 1 pending"), "{}", out.stdout);
    assert!(out.stderr.contains("error[F007]") && out.stderr.contains("YM-20261128-0001"), "{}", out.stderr);
    assert!(out.stderr.contains("orders-20261128.csv:2:"), "located at its line: {}", out.stderr);
    assert!(out.stderr.contains("0x80"), "{}", out.stderr);
    assert_eq!(shop.query_one("select count(*) from orders where order_number = 'YM-20261128-0001'"), "0");
    // The file taken away: its order is gone from the folder, so it is no longer pending.
    std::fs::remove_file(shop.path(file)).unwrap();
    assert_eq!(poll(&shop, "2026-11-28T10:01:00+09:00", &[]).code, 0);
    assert_eq!(shop.query_one("select count(*) from pending_orders"), "0");
    std::fs::write(shop.path(file), &good).unwrap();
    let fixed = poll(&shop, "2026-11-28T10:03:00+09:00", &[]);
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    assert_eq!(shop.query_one("select orderer_name from orders where order_number = 'YM-20261128-0001'"), "山田 一郎");
    assert_eq!(shop.query_one("select count(*) from pending_orders"), "0");
}
