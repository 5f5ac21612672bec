//! `juchu check`: every problem at once, each at its place; snapshots of the rendered diagnostics.

use crate::support::Shop;

#[test]
fn the_sample_shop_passes() {
    let shop = Shop::sample();
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("is ok: 7 stages"), "{}", out.stdout);
    assert!(!shop.path("state").exists(), "check writes nothing");
}

#[test]
fn a_copy_with_deliberate_mistakes_lists_every_one_and_exits_78() {
    let shop = Shop::sample();
    // 1. a typo'd key in the pipeline
    shop.edit("pipelines/demo.yaml", "with: { mall: yahoo, items:", "with: { mall: yahoo, itmes:");
    // 2. a wrong status name, 3. an unknown prefecture, 4. a missing column
    shop.rebuild_masters(|sheet, rows| {
        match sheet {
            "受注ステータス" => {
                let r = rows.iter_mut().find(|r| r[0] == "rakuten" && r[1] == "300").unwrap();
                r[2] = "発送待".into();
            }
            "配送日数" => rows[5][1] = "東京".into(),
            _ => {}
        }
        true
    });
    // Yahoo's import is not parsed because of the typo; break FutureShop2 instead for the missing column.
    let fs = shop.read_cp932("sample-data/products/futureshop/goods.csv").replacen("販売価格", "売価", 1);
    shop.write_cp932("sample-data/products/futureshop/goods.csv", &fs);

    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    let e = &out.stderr;
    assert!(e.contains("error[C001]: unknown key `itmes`") && e.contains("pipelines/demo.yaml:15:"), "{e}");
    assert!(e.contains("did you mean `items`?"), "{e}");
    assert!(e.contains("error[M001]: status 300 is named `発送待` here but `発送待ち` in Rakuten RMS"), "{e}");
    assert!(e.contains("masters.xlsx!受注ステータス!C"), "{e}");
    assert!(e.contains("error[D023]: unknown prefecture `東京`") && e.contains("masters.xlsx!配送日数!B6"), "{e}");
    assert!(e.contains("did you mean `東京都`?"), "{e}");
    assert!(e.contains("error[D006]: missing required column(s): 販売価格") && e.contains("goods.csv:1:1"), "{e}");
    insta::assert_snapshot!("deliberate_mistakes", out.text(&shop));
}

#[test]
fn unknown_stage_type_and_missing_with() {
    let shop = Shop::sample();
    shop.write(
        "pipelines/bad.yaml",
        "settings: ../shop.yaml\nstages:\n  - id: a\n    type: import_product\n    with: { mall: rakuten }\n  - id: b\n    type: load_masters\n  - id: a\n    type: validate_masters\n    with: { deny_warnings: yes please }\n",
    );
    let out = shop.juchu(&["check", "pipelines/bad.yaml"]);
    assert_eq!(out.code, 78);
    assert!(
        out.stderr.contains("unknown stage type `import_product`") && out.stderr.contains("did you mean `import_products`?"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("stage id `a` is used twice"), "{}", out.stderr);
    assert!(out.stderr.contains("load_masters needs exactly one of `workbook:` or `csv_dir:`"), "{}", out.stderr);
    insta::assert_snapshot!("stage_errors", out.text(&shop));
}

#[test]
fn settings_errors_point_into_shop_yaml_with_japanese_text() {
    let shop = Shop::sample();
    shop.edit("shop.yaml", "prefecture: 東京都", "prefecture: 東京");
    shop.edit("shop.yaml", "license_key: ${RAKUTEN_LICENSE_KEY}", "license_key: sk-live-123456");
    shop.edit("shop.yaml", "      order_import: true\n  amazon:", "      order_imprt: true\n  amazon:");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 78);
    assert!(out.stderr.contains("unknown prefecture `東京`"), "{}", out.stderr);
    assert!(out.stderr.contains("is not an ${ENV} reference"), "{}", out.stderr);
    assert!(!out.stderr.contains("sk-live-123456"), "a secret must never be echoed:\n{}", out.stderr);
    assert!(out.stderr.contains("unknown key `order_imprt`"), "{}", out.stderr);
    insta::assert_snapshot!("settings_errors", out.text(&shop));
}

#[test]
fn expiring_credentials_are_warned_about() {
    let shop = Shop::sample();
    let out = shop.juchu(&["--now", "2027-02-10T09:00:00+09:00", "check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("warning[C024]: the credentials of mall `rakuten` expire in 10 days (2027-02-20)"), "{}", out.stderr);
    let out = shop.juchu(&["--now", "2027-03-01T09:00:00+09:00", "check", "pipelines/demo.yaml", "--deny-warnings"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(out.stderr.contains("expired on 2027-02-20"), "{}", out.stderr);
}

#[test]
fn a_tax_rounding_the_malls_do_not_offer_is_an_error_at_its_place() {
    let shop = Shop::sample();
    shop.edit("shop.yaml", "  tax_rounding: 切り捨て", "  tax_rounding: 切り下げ");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(out.stderr.contains("error[C014]: `切り下げ` is not a way of rounding tax"), "{}", out.stderr);
    assert!(out.stderr.contains("shop.yaml:15:17"), "{}", out.stderr);
    assert!(out.stderr.contains("write 切り捨て, 四捨五入 or 切り上げ"), "{}", out.stderr);
}

#[test]
fn enrich_before_load_masters_is_named_at_its_type_line() {
    let shop = Shop::sample();
    shop.write(
        "pipelines/order.yaml",
        "settings: ../shop.yaml\nstages:\n  - id: enrich\n    type: enrich\n  - id: masters\n    type: load_masters\n    with: { workbook: ../sample-data/masters/masters.xlsx }\n",
    );
    let out = shop.juchu(&["check", "pipelines/order.yaml"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(out.stderr.contains("error[C036]: stage `enrich` (enrich) needs the masters but comes before `masters`"), "{}", out.stderr);
    assert!(out.stderr.contains("pipelines/order.yaml:4:11"), "{}", out.stderr);
    assert!(out.stderr.contains("move `enrich` after `masters`"), "{}", out.stderr);
    // The same stages in the right order pass, and a pipeline without load_masters relies on the store's masters.
    shop.write(
        "pipelines/order.yaml",
        "settings: ../shop.yaml\nstages:\n  - id: masters\n    type: load_masters\n    with: { workbook: ../sample-data/masters/masters.xlsx }\n  - id: enrich\n    type: enrich\n",
    );
    assert_eq!(shop.juchu(&["check", "pipelines/order.yaml"]).code, 0);
    shop.write("pipelines/enrich-only.yaml", "settings: ../shop.yaml\nstages:\n  - id: enrich\n    type: enrich\n");
    assert_eq!(shop.juchu(&["check", "pipelines/enrich-only.yaml"]).code, 0);
}

#[test]
fn diagnostics_are_in_japanese_by_default_and_english_on_request() {
    let shop = Shop::sample();
    shop.edit("shop.yaml", "  tax_rounding: 切り捨て", "  tax_rounding: 切り下げ");
    let ja = shop.juchu_env(&["check", "pipelines/demo.yaml"], &[("JUCHU_LANG", "")]);
    assert_eq!(ja.code, 78, "{}", ja.stderr);
    assert!(ja.stderr.contains("error[C014]: 消費税の端数処理の書き方が違います"), "{}", ja.stderr);
    assert!(ja.stderr.contains("詳細: `切り下げ` is not a way of rounding tax"), "{}", ja.stderr);
    assert!(ja.stderr.contains("切り捨て・四捨五入・切り上げ のどれか"), "{}", ja.stderr);
    let en = shop.juchu_env(&["--lang", "en", "check", "pipelines/demo.yaml"], &[("JUCHU_LANG", "ja")]);
    assert!(en.stderr.contains("error[C014]: `切り下げ` is not a way of rounding tax"), "--lang wins over JUCHU_LANG: {}", en.stderr);
    // shop.language applies when neither is given.
    shop.edit("shop.yaml", "  tax_rounding: 切り下げ", "  tax_rounding: 切り下げ\n  language: en");
    let by_settings = shop.juchu_env(&["check", "pipelines/demo.yaml"], &[("JUCHU_LANG", "")]);
    assert!(by_settings.stderr.contains("error[C014]: `切り下げ` is not a way of rounding tax"), "{}", by_settings.stderr);
    assert_eq!(shop.juchu(&["--lang", "fr", "check", "pipelines/demo.yaml"]).code, 2);
}

#[test]
fn plain_http_to_another_host_is_an_error_unless_the_mall_allows_it() {
    let shop = Shop::sample();
    shop.edit(
        "shop.yaml",
        "  rakuten:\n    shop_id: nagomi-zakka\n    endpoint: mock",
        "  rakuten:\n    shop_id: nagomi-zakka\n    endpoint: http://api.rms.rakuten.co.jp/es/2.0",
    );
    shop.edit(
        "shop.yaml",
        "  yahoo:\n    shop_id: nagomi-zakka\n    endpoint: mock",
        "  yahoo:\n    shop_id: nagomi-zakka\n    endpoint: http://127.0.0.1:8080",
    );
    let env = [
        ("RAKUTEN_SERVICE_SECRET", "s"),
        ("RAKUTEN_LICENSE_KEY", "k"),
        ("YAHOO_CLIENT_ID", "i"),
        ("YAHOO_CLIENT_SECRET", "s"),
        ("YAHOO_REFRESH_TOKEN", "t"),
    ];
    let out = shop.juchu_env(&["check", "pipelines/demo.yaml"], &env);
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(
        out.stderr.contains("error[C019]: malls.rakuten.endpoint `http://api.rms.rakuten.co.jp/es/2.0` is plain http://"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("shop.yaml:22:15") && out.stderr.contains("write https://api.rms.rakuten.co.jp/es/2.0"), "{}", out.stderr);
    assert!(!out.stderr.contains("malls.yahoo.endpoint"), "loopback http:// is fine: {}", out.stderr);
    shop.edit(
        "shop.yaml",
        "endpoint: http://api.rms.rakuten.co.jp/es/2.0",
        "endpoint: http://api.rms.rakuten.co.jp/es/2.0\n    allow_insecure_http: true",
    );
    let out = shop.juchu_env(&["check", "pipelines/demo.yaml"], &env);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("C019"), "{}", out.stderr);
}

#[test]
fn an_unset_credential_of_a_real_mall_is_named_by_its_variable_never_by_a_value() {
    let shop = Shop::sample();
    shop.edit(
        "shop.yaml",
        "  rakuten:\n    shop_id: nagomi-zakka\n    endpoint: mock",
        "  rakuten:\n    shop_id: nagomi-zakka\n    endpoint: https://api.rms.rakuten.co.jp/es/2.0",
    );
    let out = shop.juchu_env(&["check", "pipelines/demo.yaml"], &[("RAKUTEN_SERVICE_SECRET", "SP338811_s3cret")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("warning[C029]: `${RAKUTEN_LICENSE_KEY}` is not set in this environment"), "{}", out.stderr);
    assert!(out.stderr.contains("export RAKUTEN_LICENSE_KEY"), "{}", out.stderr);
    assert!(!out.stderr.contains("RAKUTEN_SERVICE_SECRET}` is not set"), "a variable that is set is not reported: {}", out.stderr);
    assert!(!out.stderr.contains("SP338811_s3cret") && !out.stdout.contains("SP338811_s3cret"), "{}", out.stderr);
    // Switched off, the mall does not log in, so nothing is missing.
    shop.edit("shop.yaml", "      order_import: true\n      linkage: false", "      order_import: false\n      linkage: false");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert!(!out.stderr.contains("C029"), "{}", out.stderr);
}

#[test]
fn a_switched_off_mall_is_not_checked_for_what_it_would_read() {
    let shop = Shop::sample();
    std::fs::remove_dir_all(shop.path("sample-data/orders/yamada")).unwrap();
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 78, "switched on, its folder must exist: {}", out.stderr);
    assert!(out.stderr.contains("error[C015]: order-file folder `sample-data/orders/yamada` not found"), "{}", out.stderr);
    shop.edit(
        "shop.yaml",
        "  yamada:\n    shop_id: nagomi\n    switches:\n      order_import: true",
        "  yamada:\n    shop_id: nagomi\n    switches:\n      order_import: false",
    );
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("C015"), "{}", out.stderr);
    // What it is is still checked: its column mapping.
    shop.edit("shop.yaml", "        order_number: 注文番号", "        order_nmber: 注文番号");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(out.stderr.contains("error[C016]: `order_nmber` is not an order field"), "{}", out.stderr);
}
