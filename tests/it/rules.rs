//! Rules staff edit: `juchu test` runs the tests rule files carry and reports every problem in them.

use crate::support::Shop;

#[test]
fn the_sample_rules_pass_their_tests_and_write_junit() {
    let shop = Shop::sample();
    let out = shop.juchu(&["test", "--junit", "rules.xml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("7 rule file(s), 23 test(s): 23 passed, 0 failed"), "{}", out.stdout);
    assert!(out.stdout.contains("✓ rules/shipping_fee.yaml      冷凍はクール代が加わる  (row 8)"), "{}", out.stdout);
    let junit = shop.read("rules.xml");
    assert!(junit.contains("<testsuite name=\"rules/cod_fee.yaml\" tests=\"3\" failures=\"0\">"), "{junit}");
}

#[test]
fn a_rule_changed_to_contradict_its_test_fails_with_a_readable_diff() {
    let shop = Shop::sample();
    shop.edit("rules/shipping_fee.yaml", "  - [\"\", \">= 5000\", 常温, 0]", "  - [\"\", \">= 4000\", 常温, 0]");
    let out = shop.juchu(&["test", "rules/shipping_fee.yaml", "--junit", "rules.xml"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    insta::assert_snapshot!("contradicted_rule", out.text(&shop));
    assert!(shop.read("rules.xml").contains("<failure message=\"shipping_fee: expected 880, got 0\">"));
}

#[test]
fn mistakes_in_a_rule_file_are_all_listed_at_their_places() {
    let shop = Shop::sample();
    shop.write(
        "rules/bad.yaml",
        "name: bad\nhit: firts\ninputs: [ship_to.prefecture, godos]\noutputs: [carrier, shipping]\nrows:\n  \
         - [沖縄県, \">=\", 日本郵便, 1]\n  - [\"\", \"[3..1]\", ヤマト運輸, \"= goods +\"]\n  - [沖縄県, 5, 日本郵便]\n",
    );
    shop.write(
        "rules/shadow.yaml",
        "inputs: [ship_to.prefecture]\noutputs: [carrier]\nrows:\n  - [\"\", ヤマト運輸]\n  - [沖縄県, 日本郵便]\n",
    );
    let out = shop.juchu(&["test", "rules/bad.yaml", "rules/shadow.yaml"]);
    assert_eq!(out.code, 78, "{}\n{}", out.stdout, out.stderr);
    insta::assert_snapshot!("rule_file_mistakes", out.text(&shop));
}

/// The same tables as a workbook: a sheet per table, `出力:field` headers for outputs, a `<table> tests` sheet.
#[test]
fn rule_tables_in_a_workbook_run_their_tests_and_report_cells() {
    let shop = Shop::sample();
    let out = shop.juchu(&["test", "rules/payment_fee.xlsx"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("1 rule file(s), 4 test(s): 4 passed, 0 failed"), "{}", out.stdout);
    assert!(out.stdout.contains("✓ rules/payment_fee.xlsx  コンビニ前払いは3万円以上で無料  (row 2)"), "{}", out.stdout);

    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("配送会社").unwrap();
    for (r, row) in [["ship_to.prefecture", "goods", "出力:carrier"], ["沖縄県", ">=", "日本郵便"], ["北海道", "[1..3]", "式: carier"]]
        .iter()
        .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    book.save(shop.path("rules/bad.xlsx")).unwrap();
    let out = shop.juchu(&["test", "rules/bad.xlsx"]);
    assert_eq!(out.code, 78, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("error[R005]: cell `>=`: `>=` needs a value after it"), "{}", out.stderr);
    assert!(out.stderr.contains("rules/bad.xlsx!配送会社!B2"), "{}", out.stderr);
    assert!(out.stderr.contains("`carier` is not a field of the order"), "{}", out.stderr);
    assert!(out.stderr.contains("rules/bad.xlsx!配送会社!C3"), "{}", out.stderr);
}
