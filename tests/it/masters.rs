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

/// Runs the demo, breaks one cell of the workbook so that validate_masters rejects it, and runs twice
/// more: each run exits 78 with one error at that cell and leaves the store as it was (the second
/// does not take the rejected workbook for "unchanged since the last load"). The mended workbook loads.
fn assert_masters_rejected(sheet: &str, break_cell: impl Fn(&mut Vec<Vec<String>>), expect: &[&str]) {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    let before = shop.store_dump();
    shop.rebuild_masters(|s, rows| {
        if s == sheet {
            break_cell(rows);
        }
        true
    });
    for attempt in ["first", "second"] {
        let out = shop.run_demo();
        assert_eq!(out.code, 78, "{attempt} run:\n{}\n{}", out.stdout, out.stderr);
        for e in expect {
            assert!(out.stderr.contains(e), "{attempt} run: expected {e:?} in:\n{}", out.stderr);
        }
        assert_eq!(out.stderr.matches("error[").count(), 1, "{attempt} run: one problem, one message:\n{}", out.stderr);
        assert!(out.stdout.contains("load_masters       1 problem(s); nothing written"), "{attempt} run:\n{}", out.stdout);
        assert!(!out.stdout.contains("unchanged since the last load"), "{attempt} run:\n{}", out.stdout);
        assert_eq!(shop.store_dump(), before, "{attempt} run: a rejected workbook must change nothing");
    }
    shop.rebuild_masters(|_, _| true);
    // -v: the mended workbook equals the stored masters, so nothing changes and the run would be one line.
    let out = shop.juchu(&["-v", "run", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 0, "the mended workbook loads:\n{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("✓ masters") && out.stdout.contains("✓ check-masters"), "{}", out.stdout);
}

#[test]
fn a_wrong_rms_status_name_is_rejected_before_it_replaces_the_masters() {
    assert_masters_rejected(
        "受注ステータス",
        |rows| rows.iter_mut().find(|r| r[0] == "rakuten" && r[1] == "300").unwrap()[2] = "発送待".into(),
        &["error[M001]: status 300 is named `発送待` here but `発送待ち` in Rakuten RMS", "masters.xlsx!受注ステータス!C4"],
    );
}

#[test]
fn an_unknown_prefecture_is_rejected_before_it_replaces_the_masters() {
    // One message: the misspelt row, not also "the master lacks 東京都".
    assert_masters_rejected(
        "都道府県",
        |rows| rows.iter_mut().find(|r| r[1] == "東京都").unwrap()[1] = "東京".into(),
        &["error[M002]: `東京` is not one of the 47 prefectures", "masters.xlsx!都道府県!B14", "did you mean `東京都`?"],
    );
}

#[test]
fn a_delivery_condition_naming_an_unknown_carrier_is_rejected_before_it_replaces_the_masters() {
    assert_masters_rejected(
        "配送条件",
        |rows| rows[1][2] = "ヤマト".into(),
        &["error[M004]: carrier `ヤマト` is not in the carrier master", "masters.xlsx!配送条件!C2"],
    );
}

/// validate_masters' `deny_warnings` is heeded by the load: a workbook it would reject is not written.
#[test]
fn with_deny_warnings_a_workbook_with_warnings_is_not_loaded() {
    let shop = Shop::sample();
    shop.edit("pipelines/demo.yaml", "type: validate_masters", "type: validate_masters\n    with: { deny_warnings: true }");
    shop.rebuild_masters(|sheet, rows| {
        if sheet == "配送条件" {
            rows.retain(|r| r[0] != "NG-MUG-001");
        }
        true
    });
    let out = shop.run_demo();
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(out.stderr.contains("error[M003]: master product NG-MUG-001"), "{}", out.stderr);
    assert!(out.stdout.contains("load_masters       1 problem(s); nothing written"), "{}", out.stdout);
    assert_eq!(shop.query_one("select count(*) from m_delivery_conditions"), "0");
}

/// `juchu check` hands on what it could read of a bad workbook to validate_masters; a cell load_masters
/// rejected, or a sheet it could not read, is not reported again as what follows from it.
#[test]
fn one_bad_cell_is_one_message() {
    let shop = Shop::sample();
    shop.rebuild_masters(|sheet, rows| {
        match sheet {
            // D023 at B2, not also M002 there and M007 for 北海道.
            "配送日数" => rows[1][1] = "北海".into(),
            // D027 at C4, not also M001 "named `` here".
            "受注ステータス" => rows.iter_mut().find(|r| r[0] == "rakuten" && r[1] == "300").unwrap()[2] = String::new(),
            // D006 for the sheet, not M004 for every 配送条件 row and M008 for every 配送方法 row.
            "配送会社" => rows[0][0] = "運送会社".into(),
            _ => {}
        }
        true
    });
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    let e = &out.stderr;
    assert!(e.contains("error[D023]: unknown prefecture `北海`") && e.contains("masters.xlsx!配送日数!B2"), "{e}");
    assert!(e.contains("error[D027]: ステータス名 is empty") && e.contains("masters.xlsx!受注ステータス!C4"), "{e}");
    assert!(e.contains("error[D006]: sheet 配送会社 lacks the column(s) 配送会社") && e.contains("masters.xlsx!配送会社!A1"), "{e}");
    assert!(e.contains("columns found: 運送会社, 楽天配送会社コード, クール便"), "{e}");
    assert_eq!(e.matches("error[").count(), 3, "{e}");
    assert!(!e.contains("warning["), "{e}");
}

/// A finding about rows a sheet lacks points at the first empty row, where they go.
#[test]
fn missing_transit_days_are_located_in_the_sheet_where_the_rows_go() {
    let shop = Shop::sample();
    shop.rebuild_masters(|sheet, rows| {
        if sheet == "配送日数" {
            rows.retain(|r| !(r[0] == "関東" && r[1] == "秋田県"));
        }
        true
    });
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("warning[M007]: transit days from 関東 are missing for 秋田県"), "{}", out.stderr);
    assert!(out.stderr.contains("--> sample-data/masters/masters.xlsx!配送日数!A95\n"), "{}", out.stderr);
    // From a CSV folder: the line after the last.
    std::fs::write(
        shop.path("sample-data/masters/src/配送日数.csv"),
        shop.read("sample-data/masters/src/配送日数.csv").replace("関東,秋田県,1\n", ""),
    )
    .unwrap();
    shop.edit("pipelines/demo.yaml", "workbook: ../sample-data/masters/masters.xlsx", "csv_dir: ../sample-data/masters/src");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert!(out.stderr.contains("--> sample-data/masters/src/配送日数.csv:95\n"), "{}", out.stderr);
}

/// A header that differs from the sheet's only in width or spaces is that column; D006 names only the
/// columns that are truly missing.
#[test]
fn headers_are_matched_across_widths_and_spaces_and_d006_names_only_the_missing() {
    let shop = Shop::sample();
    shop.rebuild_masters(|sheet, rows| {
        match sheet {
            "都道府県" => rows[0][0] = "ＪＩＳ コード".into(),
            "物流会社" => rows[0][1] = "出荷元　地域".into(),
            _ => {}
        }
        true
    });
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(shop.query_one("select jis_code from m_prefectures where name = '北海道'"), "01");
    // A column that is not there is named alone, with the headers as written.
    shop.rebuild_masters(|sheet, rows| {
        if sheet == "都道府県" {
            rows[0][0] = "ＪＩＳ コード".into();
            for r in rows.iter_mut() {
                r.truncate(2);
            }
        }
        true
    });
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(out.stderr.contains("error[D006]: sheet 都道府県 lacks the column(s) 地域\n"), "{}", out.stderr);
    assert!(out.stderr.contains("columns found: ＪＩＳ コード, 都道府県名"), "{}", out.stderr);
}

/// 10,000 products without 配送条件 would be 40,000 lines: the first 5 of a code are shown, then a
/// count and how to see them all; `--all-diagnostics` and JSON lines carry every one.
#[test]
fn a_warning_that_repeats_is_summarised() {
    let shop = Shop::sample();
    let items = "sample-data/products/rakuten/item.csv";
    assert_eq!(shop.juchu(&["gen", "rakuten-items", "--rows", "40", "--out", items]).code, 0);
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr.matches("warning[M003]").count(), 6, "five shown, and the count:\n{}", out.stderr);
    assert!(out.stderr.contains("… and 35 more warning[M003] (40 in all): add --all-diagnostics to list every one"), "{}", out.stderr);
    assert!(out.stdout.contains("look at the 49 warning(s)"), "the count is of every warning: {}", out.stdout);
    let ja = shop.juchu_env(&["check", "pipelines/demo.yaml"], &[("JUCHU_LANG", "ja")]);
    assert!(ja.stderr.contains("…ほかに warning[M003] が 35 件あります（全 40 件）"), "{}", ja.stderr);

    let all = shop.juchu(&["check", "pipelines/demo.yaml", "--all-diagnostics"]);
    assert_eq!(all.stderr.matches("warning[M003]").count(), 40, "{}", all.stderr);
    assert!(!all.stderr.contains("more warning["), "{}", all.stderr);

    // The run summarises the same way; its JSON lines carry every one.
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr.matches("warning[M003]").count(), 6, "{}", out.stderr);
    let json = shop.juchu(&["--log-format", "json", "run", "pipelines/demo.yaml"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let lines: Vec<serde_json::Value> =
        json.stderr.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))).collect();
    let m003: Vec<&serde_json::Value> = lines.iter().filter(|l| l["code"] == "M003").collect();
    assert_eq!(m003.len(), 40, "{}", json.stderr);
    assert_eq!(m003[0]["severity"], "warning");
    assert_eq!(m003[0]["place"], "sample-data/products/rakuten/item.csv:2");
    assert!(m003[0]["message"].as_str().unwrap().contains("has no delivery condition"), "{}", m003[0]);
}
