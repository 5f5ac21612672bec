//! `juchu check`: every problem at once, each at its place; snapshots of the rendered diagnostics.

use crate::support::Shop;

#[test]
fn the_sample_shop_passes() {
    let shop = Shop::sample();
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("is ok: 12 stages"), "{}", out.stdout);
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
    // The warning comes as early as the shop asks for: 30 days here.
    let early = shop.juchu(&["--now", "2027-01-25T09:00:00+09:00", "check", "pipelines/demo.yaml"]);
    assert!(!early.stderr.contains("C024"), "{}", early.stderr);
    shop.edit("shop.yaml", "    credentials_expire_on: 2027-02-20", "    credentials_warn_days: 30\n    credentials_expire_on: 2027-02-20");
    let early = shop.juchu(&["--now", "2027-01-25T09:00:00+09:00", "check", "pipelines/demo.yaml"]);
    assert!(early.stderr.contains("expire in 26 days (2027-02-20)"), "{}", early.stderr);
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
    assert!(ja.stderr.contains("詳細: `切り下げ` は消費税の端数処理の書き方ではありません"), "{}", ja.stderr);
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

/// Issue 12: `check` lists every problem. Seven planted over the shop section, a mall's section,
/// a rule file, the masters workbook, a product CSV and the pipeline are seven errors, each at its
/// place, and nothing that only follows from them (the mall is still known, the masters still checked).
#[test]
fn seven_planted_problems_are_seven_errors_each_at_its_place() {
    let shop = Shop::sample();
    shop.edit("shop.yaml", "  origin_region: 関東", "  origin_regon: 関東");
    shop.edit("shop.yaml", "  same_day_cutoff: \"12:00\"", "  same_day_cutoff: \"25:00\"");
    shop.edit("shop.yaml", "      order_import: true\n      linkage: false", "      order_import: maybe\n      linkage: false");
    shop.edit("rules/cod_fee.yaml", "  - [代金引換, \">= 100000\", 1100]", "  - [代金引換, \">= abc\", 1100]");
    shop.rebuild_masters(|sheet, rows| {
        if sheet == "配送日数" {
            rows[5][2] = "三".into();
        }
        true
    });
    let data = shop.read_cp932("sample-data/products/yahoo/data.csv").replacen(
        "\"NG-TWL-001\",\"\",\"\",\"1980\"",
        "\"NG-TWL-001\",\"\",\"\",\"1,98O\"",
        1,
    );
    shop.write_cp932("sample-data/products/yahoo/data.csv", &data);
    shop.edit("pipelines/demo.yaml", "ponpare] }", "ponpare], initial_days: abc }");

    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    let e = &out.stderr;
    for (message, place) in [
        ("error[C001]: unknown key `origin_regon` under `shop`", "shop.yaml:13:3"),
        ("error[C013]: `25:00` is not a time of day", "shop.yaml:14:20"),
        ("error[C001]: `malls.rakuten.switches.order_import` must be true or false; it is `maybe`", "shop.yaml:28:21"),
        ("error[R006]: cell `>= abc`", "rules/cod_fee.yaml:10:16"),
        ("error[D024]: ", "masters.xlsx!配送日数!C6"),
        ("error[D011]: price `1,98O` is not a whole number", "sample-data/products/yahoo/data.csv:2:"),
        ("error[C001]: `stages[orders].with.initial_days` must be a whole number of 0 or more; it is `abc`", "pipelines/demo.yaml:32:"),
    ] {
        let at = e.find(message).unwrap_or_else(|| panic!("no `{message}` in:\n{e}"));
        let next = e[at..].lines().nth(1).unwrap_or("");
        assert!(next.contains(place), "`{message}` is at `{next}`, not {place}");
    }
    assert!(e.contains("juchu check: 7 error(s), 0 warning(s)"), "exactly seven, nothing that follows from them:\n{e}");
    assert!(!e.contains("C041") && !e.contains("C060") && !e.contains("missing key") && !e.contains("M007"), "{e}");
}

/// Issue 12: `invalid boolean` named neither the key nor the fix.
#[test]
fn a_value_that_is_not_true_or_false_names_its_key_its_place_and_the_values_accepted() {
    let shop = Shop::sample();
    shop.edit("shop.yaml", "      order_import: true\n      linkage: false", "      order_import: maybe\n      linkage: false");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(
        out.stderr.contains("error[C001]: `malls.rakuten.switches.order_import` must be true or false; it is `maybe`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("shop.yaml:28:21"), "{}", out.stderr);
    assert!(
        out.stderr.contains("help: write `true` (on, yes) or `false` (off, no) for `malls.rakuten.switches.order_import`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("1 error(s), 0 warning(s)"), "the mall is still known: no C041/C060\n{}", out.stderr);
    // In Japanese: the registry's title, and the details.
    let ja = shop.juchu_env(&["check", "pipelines/demo.yaml"], &[("JUCHU_LANG", "ja")]);
    assert!(ja.stderr.contains("error[C001]: YAMLの書き方に誤りがあります"), "{}", ja.stderr);
    assert!(
        ja.stderr.contains("詳細: `malls.rakuten.switches.order_import` は true か false で書きます。いまは `maybe` です"),
        "{}",
        ja.stderr
    );
    assert!(ja.stderr.contains("`true`（オン）か `false`（オフ）と書いてください"), "{}", ja.stderr);
    // The same in a pipeline's `with:`.
    shop.edit("shop.yaml", "order_import: maybe", "order_import: true");
    shop.edit("pipelines/demo.yaml", "    type: validate_masters", "    type: validate_masters\n    with:\n      deny_warnings: maybe");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert!(
        out.stderr.contains("error[C001]: `stages[check-masters].with.deny_warnings` must be true or false; it is `maybe`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("pipelines/demo.yaml:28:22"), "{}", out.stderr);
}

/// Issue 12: a YAML syntax error was printed twice, and where the parser gave up rather than where
/// the mistake is.
#[test]
fn a_yaml_syntax_error_is_printed_once_at_the_mistake() {
    let shop = Shop::sample();
    // A line indented one space too far: the parser notices at its `:`.
    shop.edit("shop.yaml", "  name: 和み雑貨店\n", "  name: 和み雑貨店\n   bad: x\n");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert_eq!(out.stderr.matches("error[C001]").count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("error[C001]: mapping values are not allowed in this context\n --> shop.yaml:7:7"), "{}", out.stderr);
    // A `[` left open: the parser notices on the next line; the error is at the `[`.
    let shop = Shop::sample();
    shop.edit("shop.yaml", "  origin_region: 関東\n", "  origin_region: [関東\n");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.stderr.matches("error[C001]").count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("--> shop.yaml:13:18"), "{}", out.stderr);
    assert!(out.stderr.contains("this `[` is not closed (the parser noticed on line 14)"), "{}", out.stderr);
    assert!(out.stderr.contains("help: close it with `]` on the same line"), "{}", out.stderr);
    // A quote left open runs on to the next quote: the error is at the opening one.
    let shop = Shop::sample();
    shop.edit("shop.yaml", "  name: 和み雑貨店\n", "  name: \"和み雑貨店\n");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.stderr.matches("error[C001]").count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("--> shop.yaml:6:9") && out.stderr.contains("this `\"` is closed only on line 9"), "{}", out.stderr);
    // The pipeline's syntax errors are said once too.
    let shop = Shop::sample();
    shop.edit("pipelines/demo.yaml", "    type: validate_masters", "    type: validate_masters\n     bad: x");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.stderr.matches("error[C001]").count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("pipelines/demo.yaml:27:9"), "{}", out.stderr);
}

/// A problem in one key of the settings is reported once: the rest of the section is still read
/// and checked, and what only follows from it (a mall gone, a key "missing" that was misspelt) is not.
#[test]
fn one_problem_in_the_settings_is_one_message() {
    let shop = Shop::sample();
    // A mall's name misspelt: C020 only, not "not in the settings" at every stage naming `rakuten`.
    shop.edit("shop.yaml", "  rakuten:\n    shop_id", "  rakuen:\n    shop_id");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(out.stderr.contains("error[C020]: mall `rakuen` has unknown kind `rakuen`"), "{}", out.stderr);
    assert!(out.stderr.contains("--> shop.yaml:20:3") && out.stderr.contains("did you mean `rakuten`?"), "{}", out.stderr);
    assert!(out.stderr.contains("1 error(s), 0 warning(s)"), "{}", out.stderr);
    // A required key missing is named once, and the master checks that need it are left alone.
    let shop = Shop::sample();
    shop.edit("shop.yaml", "  origin_region: 関東\n", "");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert!(out.stderr.contains("error[C001]: missing key `origin_region` under `shop`\n --> shop.yaml:4:1"), "{}", out.stderr);
    assert!(out.stderr.contains("help: add `origin_region:` under `shop:`"), "{}", out.stderr);
    assert!(out.stderr.contains("1 error(s), 0 warning(s)"), "no M007 for an origin that is not there:\n{}", out.stderr);
    // A key written twice.
    let shop = Shop::sample();
    shop.edit("shop.yaml", "  code: nagomi\n", "  code: nagomi\n  code: wagomi\n");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert!(out.stderr.contains("error[C001]: `shop.code` is written twice\n --> shop.yaml:6:3"), "{}", out.stderr);
    assert!(out.stderr.contains("1 error(s), 0 warning(s)"), "{}", out.stderr);
    // A mall's order-file field misspelt: C016 with its did-you-mean, not C017 "needs order_number" too.
    let shop = Shop::sample();
    shop.edit("shop.yaml", "        order_number: 注文番号", "        order_nmber: 注文番号");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert!(out.stderr.contains("error[C016]: `order_nmber` is not an order field"), "{}", out.stderr);
    assert!(!out.stderr.contains("C017") && out.stderr.contains("1 error(s), 0 warning(s)"), "{}", out.stderr);
}
