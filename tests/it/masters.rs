//! load_masters and validate_masters: sheets, cells, and the findings staff fix.

use crate::support::Shop;

#[test]
fn a_missing_sheet_is_named_with_the_sheets_found() {
    let shop = Shop::sample();
    shop.rebuild_masters(|sheet, _| sheet != "配送条件");
    let out = shop.run_demo();
    assert_eq!(out.code, 78);
    assert!(out.stderr.contains("error[D022]: the workbook has no sheet `配送条件`"), "{}", out.stderr);
    assert!(out.stderr.contains("sheets found: 受注ステータス, 決済方法"), "{}", out.stderr);
    assert_eq!(shop.query_one("select count(*) from m_prefectures"), "0",);
}

#[test]
fn a_failed_load_keeps_the_previous_masters() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    shop.rebuild_masters(|sheet, rows| {
        if sheet == "配送条件" {
            rows[2][3] = "二日".into();
        }
        true
    });
    let out = shop.run_demo();
    assert_eq!(out.code, 78);
    assert!(
        out.stderr.contains("error[D024]: 準備日数 `二日` is not a whole number") && out.stderr.contains("masters.xlsx!配送条件!D3"),
        "{}",
        out.stderr
    );
    assert_eq!(shop.query_one("select count(*) from m_delivery_conditions"), "12");
}

#[test]
fn a_status_master_that_does_not_match_rms_stops_the_run() {
    let shop = Shop::sample();
    shop.rebuild_masters(|sheet, rows| {
        if sheet == "受注ステータス" {
            rows.retain(|r| !(r[0] == "rakuten" && r[1] == "900"));
        }
        true
    });
    let out = shop.run_demo();
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(out.stderr.contains("error[M001]: Rakuten RMS status 900 キャンセル確定 is missing"), "{}", out.stderr);
    assert_eq!(shop.query_one("select status from runs order by run_id desc limit 1"), "config_error");
}

#[test]
fn a_product_without_delivery_condition_is_a_warning_that_names_checks_1_to_3() {
    let shop = Shop::sample();
    shop.rebuild_masters(|sheet, rows| {
        if sheet == "配送条件" {
            rows.retain(|r| r[0] != "NG-MUG-001");
        }
        true
    });
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("warning[M003]: master product NG-MUG-001"), "{}", out.stderr);
    assert!(out.stderr.contains("checks 1–3"), "{}", out.stderr);
    assert!(out.stderr.contains("item.csv:3"), "{}", out.stderr);
}

#[test]
fn a_priced_option_without_an_add_on_and_a_mall_without_payment_mapping_are_warnings() {
    let shop = Shop::sample();
    shop.rebuild_masters(|sheet, rows| {
        match sheet {
            "オプション加算" => rows.retain(|r| r[0] != "NG-MUG-001" || r[1] != "名入れ"),
            "決済方法" => rows.retain(|r| r[0] != "ponpare"),
            _ => {}
        }
        true
    });
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("warning[M005]: option 名入れ:あり(+550円) of product NG-MUG-001 announces +550円"), "{}", out.stderr);
    assert!(out.stderr.contains("select.csv:"), "{}", out.stderr);
    assert!(out.stderr.contains("warning[M006]: mall `ponpare` has no payment-method mapping"), "{}", out.stderr);
}

#[test]
fn masters_load_from_csv_files_too() {
    let shop = Shop::sample();
    shop.edit("pipelines/demo.yaml", "workbook: ../sample-data/masters/masters.xlsx", "csv_dir: ../sample-data/masters/src");
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(shop.query_one("select count(*) from m_order_statuses where mall = 'rakuten'"), "9");
    assert_eq!(shop.query_one("select jis_code from m_prefectures where name = '北海道'"), "01");
    assert_eq!(shop.query_one("select count(*) > 1000 from m_national_holidays"), "true");
}
