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

#[test]
fn the_delivery_method_sheet_is_optional_and_stored_with_its_rows_when_present() {
    let shop = Shop::sample();
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(shop.query_one("select count(*) from m_delivery_methods"), "8");
    assert_eq!(
        shop.query_one(
            "select carrier || ' ' || service || ' ' || temperature || ' ' || time_slots || ' ' || src_sheet || '!' || src_row
             from m_delivery_methods where mall = 'rakuten' and method = 'メール便'"
        ),
        "ヤマト運輸 ネコポス 常温 false 配送方法!3"
    );
    // A workbook without the sheet loads, and the store then has no delivery methods.
    shop.rebuild_masters(|sheet, _| sheet != "配送方法");
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("配送方法"), "{}", out.stderr);
    assert_eq!(shop.query_one("select count(*) from m_delivery_methods"), "0");
    // So does a CSV folder without 配送方法.csv.
    std::fs::remove_file(shop.path("sample-data/masters/src/配送方法.csv")).unwrap();
    shop.edit("pipelines/demo.yaml", "workbook: ../sample-data/masters/masters.xlsx", "csv_dir: ../sample-data/masters/src");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn bad_delivery_method_cells_are_named_at_their_cell() {
    let shop = Shop::sample();
    shop.rebuild_masters(|sheet, rows| {
        if sheet == "配送方法" {
            rows[1][0] = "rakuen".into(); // A2
            rows[2][4] = "チルド".into(); // E3
            rows[3][5] = "たぶん".into(); // F4
            rows[5] = rows[4].clone(); // yahoo postage1 twice: B6
        }
        true
    });
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    let e = &out.stderr;
    assert!(e.contains("error[D026]: モール `rakuen` is not a mall kind") && e.contains("masters.xlsx!配送方法!A2"), "{e}");
    assert!(e.contains("did you mean `rakuten`?"), "{e}");
    assert!(e.contains("error[D026]: 温度帯 `チルド` is not 常温, 冷蔵 or 冷凍") && e.contains("masters.xlsx!配送方法!E3"), "{e}");
    assert!(e.contains("error[D026]: 時間帯指定 `たぶん` is not 可 or 不可") && e.contains("masters.xlsx!配送方法!F4"), "{e}");
    assert!(e.contains("error[D028]: モール+配送方法 `yahoo / postage1` is listed twice (rows 5 and 6)"), "{e}");
    assert!(e.contains("masters.xlsx!配送方法!B6"), "{e}");
    // ○/×, true/false and 1/0 are read as 可/不可.
    shop.rebuild_masters(|sheet, rows| {
        if sheet == "配送方法" {
            for (r, v) in rows.iter_mut().skip(1).zip(["○", "×", "true", "false", "1", "0", "〇", "不可"]) {
                r[5] = v.into();
            }
        }
        true
    });
    assert_eq!(shop.run_demo().code, 0);
    assert_eq!(
        shop.query_one("select string_agg(time_slots::VARCHAR, ' ' order by src_row) from m_delivery_methods"),
        "true false true false true false true false"
    );
}

#[test]
fn delivery_methods_and_carriers_are_checked_against_each_other() {
    let shop = Shop::sample();
    shop.rebuild_masters(|sheet, rows| {
        match sheet {
            // クール宅急便 on a carrier that has none; a carrier the sheet does not know.
            "配送会社" => {
                rows[1][2] = "非対応".into();
                rows.push(vec!["西濃運輸".into(), "1004".into(), "非対応".into()]);
            }
            "配送方法" => rows[5][2] = "ヤマト".into(),
            _ => {}
        }
        true
    });
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    let e = &out.stderr;
    assert!(
        e.contains("error[M008]: delivery method `postage2` of mall yahoo names carrier `ヤマト`, which is not in the carrier master")
            && e.contains("masters.xlsx!配送方法!C6"),
        "{e}"
    );
    assert!(
        e.contains("warning[M009]: delivery method `クール便` of mall rakuten is 冷凍 but carrier `ヤマト運輸` has クール便 非対応")
            && e.contains("masters.xlsx!配送方法!E4"),
        "{e}"
    );
    assert!(
        e.contains("warning[M010]: carrier `西濃運輸` has no time slots in the sheet 配送時間帯") && e.contains("masters.xlsx!配送会社!A5"),
        "{e}"
    );
    assert!(e.contains("fails check 4"), "{e}");
    // Every carrier of the sample has its slots: no M010 there.
    let sample = Shop::sample();
    let out = sample.juchu(&["check", "pipelines/demo.yaml"]);
    assert!(!out.stderr.contains("M010") && !out.stderr.contains("M009"), "{}", out.stderr);
}
