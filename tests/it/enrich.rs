//! Enrichment and the ten import checks, on the sample shop's orders.

use crate::support::Shop;

fn count(shop: &Shop, sql: &str) -> i64 {
    shop.query_one(sql).parse().unwrap_or_else(|_| panic!("not a number from {sql}"))
}

#[test]
fn the_demo_orders_come_out_of_enrich_with_the_ten_checks() {
    let shop = Shop::sample();
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let orders = count(&shop, "select count(*) from orders");
    assert!(out.stdout.contains(&format!("{orders} orders enriched")), "{}", out.stdout);
    // One row per shipment: Rakuten orders to two recipients have two.
    let shipments = count(&shop, "select count(*) from order_shipments");
    assert!(shipments > orders, "the mock sends some orders to two recipients");
    assert_eq!(count(&shop, "select count(*) from order_enrichment"), shipments);
    assert_eq!(count(&shop, "select count(distinct mall || order_number) from order_enrichment"), orders);
    assert_eq!(count(&shop, "select count(*) from order_checks"), shipments * 10);
    // The sample masters cover every product and payment of the mock's orders, and the carrier rule
    // settles baskets whose items name different carriers.
    for no in [1, 2, 3, 7] {
        assert_eq!(count(&shop, &format!("select count(*) from order_checks where check_no = {no} and result = 'fail'")), 0, "check {no}");
    }
    // One basket in ten mixes the two warehouses: rules/split.yaml splits it into a shipment per
    // warehouse, and checks 1–2 say so.
    let mixed = "select count(*) from orders o where (select count(distinct d.logistics_company) from order_items i
                   join m_delivery_conditions d on d.product_code = i.product_code
                   where i.mall = o.mall and i.order_number = o.order_number) > 1";
    assert!(count(&shop, mixed) > 0);
    assert_eq!(count(&shop, "select count(*) from order_enrichment where shipments like '1: % / % (%); 2: % / % (%'"), count(&shop, mixed));
    assert_eq!(
        count(&shop, "select count(*) from order_checks where check_no = 1 and result = 'pass' and reason like 'split into % shipments by rules/split.yaml row 1 (%'"),
        count(&shop, mixed)
    );
    assert_eq!(count(&shop, "select count(*) from order_checks where check_no = 1 and result = 'fail'"), 0);
    // The mock charges one order in 25 a campaign postage the rules do not know: check 9 shows both amounts.
    assert!(count(&shop, "select count(*) from order_checks where check_no = 9 and result = 'fail'") > 0);
    assert_eq!(
        shop.query_one("select count(*) from order_checks where check_no = 9 and result = 'fail' and reason not like 'the mall bills % yen, juchu computes % yen (goods %'"),
        "0"
    );
    assert!(count(&shop, "select count(*) from order_checks where check_no = 9 and result = 'pass'") > orders / 2);
    // Every reason is stored as the checks word it, passed ones too; names in both languages.
    assert_eq!(count(&shop, "select count(*) from order_checks where reason is null or reason = ''"), 0);
    assert_eq!(
        count(&shop, "select count(*) from order_checks where check_no = 9 and result = 'pass' and reason not similar to '[0-9]+ yen, as the mall bills'"),
        0
    );
    assert_eq!(
        shop.query_one("select distinct check_name || ' / ' || check_name_en from order_checks where check_no = 6"),
        "備考欄の配送日時 / Delivery date/time in the remarks"
    );
    // Provenance: a master cell or a rule row, never blank.
    assert_eq!(
        shop.query_one(
            "select count(*) from order_enrichment where carrier is not null
               and carrier_source not like '配送条件!C%' and carrier_source not like 'rules/carrier.yaml row %'"
        ),
        "0"
    );
    assert_eq!(
        shop.query_one(
            "select count(*) from order_enrichment e join orders o using (mall, shop, order_number)
             where e.customer_rank is null and (o.customer_key is not null or e.customer_rank_source not like 'no customer key%')"
        ),
        "0",
        "every customer has a rank (一般 at least); an order without a customer key says so"
    );
    assert!(count(&shop, "select count(*) from order_enrichment where fired_rules like '%rules/shipping_fee.yaml row %'") > 0);
    // Remarks requests were read (check 6), and the shipping date honours desired dates.
    assert!(
        count(&shop, "select count(*) from order_checks where check_no = 6 and result = 'pass' and reason like 'read from the remarks%'")
            > 0
    );
    assert_eq!(
        shop.query_one(
            "select count(*) from order_enrichment e join order_checks c using (mall, shop, order_number)
             where c.check_no = 4 and c.result <> 'fail' and e.desired_date is not null and e.ship_date > e.desired_date"
        ),
        "0",
        "shipped after the desired date only where check 4 says it cannot be met"
    );
    // 消費税 per rate: the mall's item rates (8 % for food), rounded down once per rate.
    assert_eq!(count(&shop, "select count(*) from order_enrichment where tax_10 is null and billing_total is not null"), 0);
    assert!(count(&shop, "select count(*) from order_enrichment where mall = 'rakuten' and tax_8 > 0") > 0, "food is taxed at 8 %");
    assert_eq!(
        count(
            &shop,
            "select count(*) from order_enrichment e where mall = 'rakuten' and tax_8 <> (
                select coalesce(floor(sum(i.unit_price * i.quantity) filter (where i.tax_rate = 8) * 8 / 108), 0)
                from order_items i where i.mall = e.mall and i.order_number = e.order_number)
              and not exists (select 1 from orders o where o.mall = e.mall and o.order_number = e.order_number and o.coupons > 0)"
        ),
        0,
        "8 % tax = floor(8 % goods × 8/108) without coupons"
    );
    // 離島: Rakuten marks Ishigaki ship-tos, the sample rule finds them in every mall by postal code;
    // a requested date or slot there fails check 4 with the reason.
    assert!(count(&shop, "select count(*) from order_enrichment where remote_island is not null") > 0);
    assert_eq!(
        count(
            &shop,
            "select count(*) from order_enrichment e join orders o using (mall, shop, order_number)
             where o.ship_to_postal_code like '907-%' and (e.remote_island is null or e.remote_island_source is null)"
        ),
        0
    );
    assert_eq!(
        count(
            &shop,
            "select count(*) from order_checks c join order_enrichment e using (mall, shop, order_number)
             where c.check_no = 4 and e.remote_island is not null and (e.desired_date is not null or e.desired_time_slot is not null)
               and (c.result <> 'fail' or c.reason not like '%remote island%')"
        ),
        0
    );
    // A second run has nothing new to enrich.
    let again = shop.juchu(&["-v", "run", "pipelines/demo.yaml"]);
    assert!(again.stdout.contains("no new or changed order to enrich (rules and masters as last time)"), "{}", again.stdout);
    // A rule file edited: compiled again (its errors would show), still nothing new to enrich.
    let rules = shop.read("rules/carrier.yaml");
    shop.write("rules/carrier.yaml", &format!("{rules}\n"));
    let edited = shop.juchu(&["-v", "run", "pipelines/demo.yaml"]);
    assert!(edited.stdout.contains("0 orders enriched"), "{}", edited.stdout);
}

#[test]
fn breaking_a_master_fails_exactly_the_expected_checks_with_what_to_fix() {
    let shop = Shop::sample();
    shop.rebuild_masters(|sheet, rows| {
        match sheet {
            // 南部鉄器 急須 loses its delivery condition; Rakuten's 代金引換 loses its payment mapping.
            "配送条件" => rows.retain(|r| r[0] != "NG-KYS-001"),
            "決済方法" => rows.retain(|r| !(r[0] == "rakuten" && r[1] == "代金引換")),
            _ => {}
        }
        true
    });
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let kyusu = "select count(distinct order_number) from order_items where product_code = 'NG-KYS-001'";
    assert!(count(&shop, kyusu) > 0);
    for no in [1, 2, 3] {
        assert_eq!(
            count(
                &shop,
                &format!(
                    "select count(*) from order_checks c where check_no = {no} and result = 'fail'
                       and exists (select 1 from order_items i where i.mall = c.mall and i.order_number = c.order_number and i.product_code = 'NG-KYS-001')"
                )
            ),
            count(&shop, kyusu),
            "check {no} fails for every order with the product"
        );
        assert_eq!(
            count(
                &shop,
                &format!("select count(*) from order_checks where check_no = {no} and result = 'fail' and reason like '%NG-KYS-001%'")
            ),
            count(&shop, kyusu),
            "and only for them (check {no}; mixed-warehouse baskets fail check 1 for their own reason)"
        );
    }
    assert!(shop
        .query_one("select reason from order_checks where check_no = 2 and result = 'fail' limit 1")
        .contains("product NG-KYS-001 has no 配送条件 (delivery condition): add a row for it in the 配送条件 sheet"));
    let rakuten_cod = count(&shop, "select count(*) from orders where mall = 'rakuten' and payment_method = '代金引換'");
    assert!(rakuten_cod > 0);
    assert_eq!(count(&shop, "select count(*) from order_checks where check_no = 7 and result = 'fail'"), rakuten_cod);
    assert_eq!(
        shop.query_one("select distinct reason from order_checks where check_no = 7 and result = 'fail'"),
        "no 決済方法 row for mall `rakuten` and payment `代金引換`: add it to the 決済方法 sheet"
    );
}

#[test]
fn replay_re_enriches_after_a_rule_change_and_counts_what_changed() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    shop.edit("rules/shipping_fee.yaml", "  - [\"\", \"\", 常温, 880]", "  - [\"\", \"\", 常温, 900]");
    let out = shop.juchu(&["run", "pipelines/demo.yaml", "--replay"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let changed = count(&shop, "select count(*) from order_enrichment where shipping_fee = 900");
    assert!(changed > 0);
    assert!(out.stdout.contains(&format!("(replay: {changed} changed)")), "{}", out.stdout);
}

#[test]
fn explain_shows_one_orders_values_their_sources_and_checks() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    let number = shop.query_one("select order_number from order_enrichment where shipments is not null order by order_number limit 1");
    let mall = shop.query_one(&format!("select mall from order_enrichment where order_number = '{number}'"));
    let out = shop.juchu(&["explain", &number, "--mall", &mall]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    for line in
        ["  shipments", "split into", "  ✓  1 Logistics company", "配送条件!", "  billing amount", "rules fired: rules/split.yaml row 1"]
    {
        assert!(out.stdout.contains(line), "`{line}` missing from\n{}", out.stdout);
    }
    // In Japanese the labels and names are the staff's; the reasons stay as the English run stored them.
    let ja = shop.juchu(&["--lang", "ja", "explain", &number, "--mall", &mall]);
    for line in ["  分割出荷", "split into", "  ✓  1 物流会社", "  請求金額", "  消費税"] {
        assert!(ja.stdout.contains(line), "`{line}` missing from\n{}", ja.stdout);
    }
    // A Japanese run stores Japanese reasons.
    assert_eq!(shop.juchu(&["--lang", "ja", "run", "pipelines/demo.yaml", "--replay"]).code, 0);
    assert_eq!(
        // Check 10 comes from the mail log where a mail went; enrich's reason stays where none is due.
        shop.query_one("select distinct reason from order_checks where check_no = 10 and result = 'n/a'"),
        "メールテンプレートを送るときにメール段階で確認します"
    );
    let ja = shop.juchu(&["--lang", "ja", "explain", &number, "--mall", &mall]);
    assert!(ja.stdout.contains("個口に分割"), "{}", ja.stdout);
    let missing = shop.juchu(&["explain", "no-such-order"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("no enriched order `no-such-order`"), "{}", missing.stderr);
}

/// Real Rakuten payload shapes (tests/fixtures/malls/rakuten/cases.json) served by the mock over the
/// RMS envelope: add-ons charged and not, two recipients, the mall's delivery fields, code-only
/// settlements, absent amounts, nameless orderers, a social gift, a cancellation, SKU lines.
#[test]
fn rakuten_orders_as_the_mall_means_them() {
    let shop = Shop::sample();
    let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/malls/rakuten/cases-scenario.yaml");
    let out = shop.juchu_env(
        &["--now", "2026-11-30T12:00:00+09:00", "run", "pipelines/demo.yaml"],
        &[("JUCHU_MOCK_SCENARIO", scenario.to_str().unwrap())],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let number = |n: u32| format!("338811-20261130-90000000{n:02}");
    let check = |n: u32, shipment: u32, no: u32| {
        shop.query_one(&format!(
            "select result || ' | ' || reason from order_checks where order_number = '{}' and shipment_no = {shipment} and check_no = {no}",
            number(n)
        ))
    };
    let has = |text: &str, part: &str| assert!(text.contains(part), "`{part}` not in `{text}`");

    // 1–2: the 550 yen 名入れ add-on, charged by the shop (in the mall's goods total) and not.
    has(&check(1, 1, 8), "pass | 550 yen (オプション加算!D4; already in the mall's goods total (charged))");
    has(&check(1, 1, 9), "pass | 4670 yen, as the mall bills");
    has(&check(2, 1, 8), "fail | add 550 yen for 名入れ:あり (NG-MUG-001) to the order: the mall's bill lacks it");
    has(&check(2, 1, 9), "fail | the mall bills 4120 yen, juchu computes 4670 yen (goods 3240 + add-ons 550 + shipping 880");

    // 3: two recipients, each a shipment with its own address, postage and checks.
    assert_eq!(
        shop.query_one(&format!(
            "select string_agg(shipment_no || ' ' || ship_to_name || ' ' || ship_to_prefecture || ' ' || postage || ' ' || remote_island, '; ' order by shipment_no)
             from order_shipments where order_number = '{}'",
            number(3)
        )),
        "1 山田 花子 東京都 880 false; 2 比嘉 美咲 沖縄県 2200 true"
    );
    assert_eq!(
        shop.query_one(&format!(
            "select string_agg(shipment_no || ' ' || shipping_fee || ' ' || billing_total, '; ' order by shipment_no) from order_enrichment where order_number = '{}'",
            number(3)
        )),
        "1 880 6160; 2 2200 6160"
    );
    has(&check(3, 1, 4), "pass | destination 1 of 2 (山田 花子, 東京都): 2026-12-08");
    has(&check(3, 2, 4), "fail | destination 2 of 2 (比嘉 美咲, 沖縄県): 2026-12-08: the ship-to is a remote island");
    has(&check(3, 2, 9), "pass | 6160 yen, as the mall bills");

    // 4: クール便 (冷蔵) chosen for a 常温 product; 5: メール便 with a time slot.
    has(
        &check(4, 1, 2),
        "fail | the customer chose 冷蔵 at the mall (DeliveryModel.deliveryName / deliveryClass: クール便), the items' 配送条件 say 常温",
    );
    has(&check(5, 1, 4), "fail | 14:00-16:00: time slot `14:00-16:00` was requested, but ネコポス takes no time slot (配送方法!");

    // 6: a settlement sent as a code only.
    assert_eq!(shop.query_one(&format!("select payment_method from orders where order_number = '{}'", number(6))), "クレジットカード");
    has(&check(6, 1, 7), "pass | クレジットカード");

    // 7: absent amounts are unknown, not 0 yen.
    assert_eq!(
        shop.query_one(&format!(
            "select coalesce(goods::varchar, 'NULL') || ' ' || replace(amounts_absent, ',', ' ') from orders where order_number = '{}'",
            number(7)
        )),
        "NULL goods billing_total"
    );
    has(&check(7, 1, 9), "n/a | the mall sent no unit price for line(s) 1 (NG-TWL-001): the billing amount cannot be checked");

    // 8–10: three strangers without name, email or phone are not one customer.
    assert_eq!(
        shop.query_one(&format!(
            "select count(*) from order_enrichment where order_number in ('{}', '{}', '{}') and customer_rank is null
               and customer_rank_source like 'no customer key%'",
            number(8),
            number(9),
            number(10)
        )),
        "3"
    );
    // 11: a social gift whose recipient has not entered an address: no shipping date to a placeholder.
    assert_eq!(
        shop.query_one(&format!(
            "select o.is_gift || ' ' || s.address_pending from orders o join order_shipments s using (mall, shop, order_number) where order_number = '{}'",
            number(11)
        )),
        "true true"
    );
    has(&check(11, 1, 3), "fail | the recipient has not entered an address yet");

    // 12: a cancellation: every check n/a saying why, no fees.
    assert_eq!(
        shop.query_one(&format!(
            "select count(*) from order_checks where order_number = '{}' and result = 'n/a' and reason like 'the order is cancelled (mall status 900)%'",
            number(12)
        )),
        "10"
    );
    assert_eq!(shop.query_one(&format!("select shipping_fee + cod_fee from order_enrichment where order_number = '{}'", number(12))), "0");

    // 13: the SKU line keeps size and colour; the pre-SKU line finds its master product by 商品管理番号.
    assert_eq!(
        shop.query_one(&format!(
            "select replace(sku_info, chr(10), ' / ') || ' ' || merchant_sku from order_items where order_number = '{}' and line_no = 1",
            number(13)
        )),
        "サイズ:M / カラー:(090)ブラック TSH-M-BK"
    );
    has(&check(13, 1, 1), "pass | 自社倉庫");

    // 15: 送料込み: rules read postage_included, so the fee table does not charge a free-shipping order.
    has(&check(15, 1, 9), "pass | 1980 yen, as the mall bills");
    assert_eq!(
        shop.query_one(&format!(
            "select shipping_fee || ' ' || shipping_fee_source from order_enrichment where order_number = '{}'",
            number(15)
        )),
        "0 rules/postage_included.yaml row 1"
    );

    // 14: no orderProgress: said, and kept as unknown.
    let said = format!("{}{}", out.stdout, out.stderr);
    has(&said, "[F005]");
    has(&said, &format!("came without a status: {}", number(14)));
    assert_eq!(shop.query_one(&format!("select '[' || mall_status || ']' from orders where order_number = '{}'", number(14))), "[]");
}

/// The bundled holidays end with 2027: ship dates into 2028 still skip its holidays (computed by the
/// Holiday Act) and the run says they are provisional.
#[test]
fn ship_dates_past_the_holiday_list_skip_computed_holidays_and_are_warned_of() {
    let shop = Shop::sample();
    // A year on, the shop has renewed its keys: without that, the expired malls are not fetched (F008).
    let settings = std::fs::read_to_string(shop.path("shop.yaml")).unwrap();
    let renewed: String = settings.lines().filter(|l| !l.contains("credentials_expire_on")).map(|l| format!("{l}\n")).collect();
    std::fs::write(shop.path("shop.yaml"), renewed).unwrap();
    let out = shop.juchu(&["--now", "2027-12-28T10:00:00+09:00", "run", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("warning[M011]: the bundled national holidays end before 2028-01-01"), "{}", out.stderr);
    assert!(out.stderr.contains("have a ship date in a year the official holiday list does not cover yet"), "{}", out.stderr);
    assert!(count(&shop, "select count(*) from order_enrichment where ship_date >= '2028-01-01'") > 0);
    assert_eq!(
        count(&shop, "select count(*) from order_enrichment where ship_date in ('2028-01-01', '2028-01-10')"),
        0,
        "元日 and 成人の日 2028"
    );
}
