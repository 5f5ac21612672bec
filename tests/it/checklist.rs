//! `juchu check --checklist`: the first-setup checklist (初期設定確認チェックシート), item by item.

use crate::support::Shop;

/// The item lines (`OK  S1 …`, `NG  S9 …`) of the printed checklist.
fn verdicts(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.starts_with("OK  ") || l.starts_with("NG  ")).collect()
}

/// The block of one item: its line and the indented lines under it.
fn block(stdout: &str, head: &str) -> String {
    let mut lines = stdout.lines().skip_while(|l| !l[4.min(l.len())..].starts_with(head));
    let first = lines.next().unwrap_or_else(|| panic!("no item {head} in\n{stdout}"));
    std::iter::once(first).chain(lines.take_while(|l| l.starts_with("    "))).collect::<Vec<_>>().join("\n")
}

#[test]
fn before_any_run_the_settings_are_ok_and_every_store_item_says_run_the_pipeline() {
    let shop = Shop::sample();
    let out = shop.juchu(&["check", "pipelines/demo.yaml", "--checklist"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let v = verdicts(&out.stdout);
    assert_eq!(v.len(), 15, "{}", out.stdout);
    assert_eq!(v.iter().filter(|l| l.starts_with("OK  S1 ")).count(), 7, "one store-settings item per mall: {v:?}");
    for id in ["S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9"] {
        let b = block(&out.stdout, &format!("{id} "));
        assert!(b.starts_with("NG  "), "{b}");
        assert!(b.contains("there is no store yet") && b.contains("fix: run the pipeline once"), "{b}");
    }
    assert!(out.stdout.ends_with("first-setup checklist: 7 OK, 8 NG; fix the NG items before switching linkage on\n"), "{}", out.stdout);
    assert!(!shop.path("state").exists(), "the checklist writes nothing");
}

#[test]
fn after_the_demo_run_only_the_test_orders_still_new_are_ng_in_japanese_and_english() {
    let shop = Shop::sample();
    let run = shop.run_demo();
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let out = shop.juchu(&["check", "pipelines/demo.yaml", "--checklist"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let v = verdicts(&out.stdout);
    let ng: Vec<&&str> = v.iter().filter(|l| l.starts_with("NG")).collect();
    assert_eq!(ng, [&"NG  S9 Test orders moved to a processed status"], "{}", out.stdout);
    // The sample's test orders: 102 of the 621 are still in a new status (新規受付, Rakuten 100).
    let s9 = block(&out.stdout, "S9 ");
    assert!(s9.contains("102 of the 621 orders imported before linkage are still new"), "{s9}");
    assert!(s9.contains("rakuten 100: 1"), "{s9}");
    assert!(block(&out.stdout, "S4 ").contains("master mall rakuten, 12 master products"), "{}", out.stdout);
    assert!(block(&out.stdout, "S6 ").contains("all 9 option choices with a price have their add-on"), "{}", out.stdout);
    insta::assert_snapshot!("after_demo_en", out.text(&shop));
    let ja = shop.juchu_env(&["check", "pipelines/demo.yaml", "--checklist"], &[("JUCHU_LANG", "ja")]);
    assert_eq!(ja.code, 1);
    insta::assert_snapshot!("after_demo_ja", ja.text(&shop));
}

#[test]
fn a_product_without_a_delivery_condition_is_ng_with_the_sheet_to_fill() {
    let shop = Shop::sample();
    shop.rebuild_masters(|sheet, rows| {
        if sheet == "配送条件" {
            rows.retain(|r| r[0] != "NG-MUG-001");
        }
        true
    });
    let run = shop.run_demo();
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let out = shop.juchu(&["check", "pipelines/demo.yaml", "--checklist"]);
    assert_eq!(out.code, 1);
    let s5 = block(&out.stdout, "S5 ");
    assert_eq!(
        s5,
        "NG  S5 Logistics company and delivery condition per product\n    \
         1 product(s) without a delivery condition: NG-MUG-001\n    \
         fix: add a row per product number to the 配送条件 sheet (a 物流会社 of the 物流会社 sheet, and a 配送会社); without it import checks 1–3 are empty (M003)"
    );
}

#[test]
fn linkage_switched_on_at_first_setup_is_ng_with_the_switch_to_turn_off() {
    let shop = Shop::sample();
    shop.edit("shop.yaml", "      linkage: false", "      linkage: true");
    shop.edit(
        "shop.yaml",
        "    credentials_expire_on: 2027-02-20",
        "    credentials_expire_on: 2027-02-20\n    linkage_starts_at: 2026-12-01T09:00:00+09:00",
    );
    let out = shop.juchu(&["check", "pipelines/demo.yaml", "--checklist"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let s1 = block(&out.stdout, "S1 Store settings (rakuten)");
    assert!(s1.starts_with("NG  ") && s1.contains("ON, but OFF at first setup: linkage"), "{s1}");
    assert!(s1.contains("fix: set linkage to false under malls.rakuten.switches"), "{s1}");
    assert!(block(&out.stdout, "S1 Store settings (yahoo)").starts_with("OK  "));
}

#[test]
fn settings_that_do_not_load_exit_78() {
    let shop = Shop::sample();
    shop.edit("pipelines/demo.yaml", "settings: ../shop.yaml", "settings: ../nowhere.yaml");
    let out = shop.juchu(&["check", "pipelines/demo.yaml", "--checklist"]);
    assert_eq!(out.code, 78, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("the settings of pipelines/demo.yaml do not load"), "{}", out.stderr);
}
