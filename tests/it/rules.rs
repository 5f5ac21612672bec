//! Rules staff edit: `juchu test` runs the tests rule files carry and reports every problem in them.

use crate::support::Shop;

#[test]
fn the_sample_rules_pass_their_tests_and_write_junit() {
    let shop = Shop::sample();
    let out = shop.juchu(&["test", "--junit", "rules.xml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("8 rule file(s), 30 test(s): 30 passed, 0 failed"), "{}", out.stdout);
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
    for (r, row) in [
        ["ship_to.prefecture", "goods", "出力:carrier"],
        ["沖縄県", ">=", "日本郵便"],
        ["北海道", "[1..3]", "式: carier"],
        ["東京都", ">= 5千円", "日本郵便"],
    ]
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
    // A value of the wrong kind in a cell: the cell, and a caret under the value in its text.
    assert!(out.stderr.contains("error[R006]: cell `>= 5千円`: `5千円` is not an amount of yen"), "{}", out.stderr);
    assert!(
        out.stderr.contains("rules/bad.xlsx!配送会社!B4") && out.stderr.contains("B4 holds `>= 5千円\n            ^ here`"),
        "{}",
        out.stderr
    );
}

/// Issue 12: a cell that can never match its field (`>= abc` on the goods total) used to pass `test`,
/// `check` and `run`, and a 150,000-yen COD order then got the wrong fee. Every form of cell is
/// read as its field's kind, and a value that is not of it is an error at the value.
#[test]
fn every_cell_is_read_as_its_fields_kind_and_a_wrong_value_is_named_at_its_character() {
    let shop = Shop::sample();
    shop.write(
        "rules/kinds.yaml",
        "inputs: [goods, desired_date, is_gift, items, mall_status]\noutputs: [cod_fee, carrier]\nrows:\n  \
         - [\">= abc\", \"\", \"\", \"\", \"\", 330, x]\n  \
         - [\"[1..abc)\", \"\", \"\", \"\", \"\", 330, x]\n  \
         - [\"5000, abc\", \"\", \"\", \"\", \"\", 330, x]\n  \
         - [abc, \"\", \"\", \"\", \"\", 330, x]\n  \
         - [\"not(abc)\", \"\", \"\", \"\", \"\", 330, x]\n  \
         - [\"1*\", \"\", \"\", \"\", \"\", 330, x]\n  \
         - [\"\", \"< 2026-13-01\", \"\", \"\", \"\", 330, x]\n  \
         - [\"\", \"[2026-12-01..2026-12-32]\", \"\", \"\", \"\", 330, x]\n  \
         - [\"\", \"2026-02-30\", \"\", \"\", \"\", 330, x]\n  \
         - [\"\", \"\", \"> true\", \"\", \"\", 330, x]\n  \
         - [\"\", \"\", \"yes please\", \"\", \"\", 330, x]\n  \
         - [\"\", \"\", \"\", \"!= two\", \"\", 330, x]\n  \
         - [\"\", \"\", \"\", \"\", \"> 300\", \"= carrier * 2\", \"= goods\"]\n  \
         - [\"\", \"\", \"\", \"\", \"\", 無料, 300]\n\
         tests:\n  - given: { goods: abc }\n    expect: { cod_fee: abc }\n",
    );
    let out = shop.juchu(&["--all-diagnostics", "test", "rules/kinds.yaml"]);
    assert_eq!(out.code, 78, "{}\n{}", out.stdout, out.stderr);
    let e = &out.stderr;
    // (message, place): each at the value at fault, not at the whole cell.
    for (message, place) in [
        (
            "error[R006]: cell `>= abc`: `abc` is not an amount of yen (a whole number), but goods (goods total) is yen",
            "rules/kinds.yaml:4:10",
        ),
        ("error[R006]: cell `[1..abc)`: `abc`", "rules/kinds.yaml:5:11"),
        ("error[R006]: cell `5000, abc`: `abc`", "rules/kinds.yaml:6:13"),
        ("error[R006]: `abc` is not an amount of yen", "rules/kinds.yaml:7:6"),
        ("error[R006]: cell `not(abc)`: `abc`", "rules/kinds.yaml:8:11"),
        ("error[R006]: cell `1*`: a start (`…*`) does not work on goods (goods total), which is yen", "rules/kinds.yaml:9:7"),
        ("error[R006]: cell `< 2026-13-01`: `2026-13-01` is not a date (YYYY-MM-DD), but desired_date", "rules/kinds.yaml:10:13"),
        ("error[R006]: cell `[2026-12-01..2026-12-32]`: `2026-12-32` is not a date", "rules/kinds.yaml:11:24"),
        ("error[R006]: `2026-02-30` is not a date", "rules/kinds.yaml:12:11"),
        ("error[R006]: cell `> true`: `>` does not work on is_gift", "rules/kinds.yaml:13:15"),
        ("error[R006]: `yes please` is not true or false, but is_gift", "rules/kinds.yaml:14:15"),
        ("error[R006]: cell `!= two`: `two` is not a whole number, but items (item lines) is number", "rules/kinds.yaml:15:22"),
        ("error[R006]: cell `= carrier * 2`: `carrier` is text: arithmetic", "rules/kinds.yaml:16:34"),
        ("error[R006]: cell `= goods`: the expression gives yen, but carrier (carrier) is text", "rules/kinds.yaml:16:51"),
        ("error[R006]: `無料` is not an amount of yen (a whole number), but cod_fee (COD fee) is yen", "rules/kinds.yaml:17:26"),
        ("error[R006]: test 1: `abc` is not an amount of yen (a whole number), but goods (goods total) is yen", "rules/kinds.yaml:19:21"),
        ("error[R006]: test 1: `abc` is not an amount of yen (a whole number), but cod_fee (COD fee) is yen", "rules/kinds.yaml:20:24"),
    ] {
        let at = e.find(message).unwrap_or_else(|| panic!("no `{message}` in:\n{e}"));
        let next = e[at..].lines().nth(1).unwrap_or("");
        assert!(next.ends_with(place), "`{message}` is at `{next}`, not {place}");
    }
    assert_eq!(e.matches("error[").count(), 17, "one error per wrong value, nothing else:\n{e}");
    // What fits reads as its kind: digits in a text column are text, `300` is a carrier's name, yen as staff write them.
    assert!(!e.lines().any(|l| l.starts_with("error[") && l.contains("300")), "{e}");
    insta::assert_snapshot!("cells_of_the_wrong_kind", out.text(&shop));
}

/// `>= abc` planted in the sample's COD table: `check` and `run` refuse it too, and the run leaves
/// the store as it was.
#[test]
fn a_cell_of_the_wrong_kind_stops_check_and_run_and_nothing_is_written() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    let before = shop.store_dump();
    shop.edit("rules/cod_fee.yaml", "  - [代金引換, \">= 100000\", 1100]", "  - [代金引換, \">= abc\", 1100]");
    let check = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(check.code, 78, "{}", check.stderr);
    assert!(check.stderr.contains("error[R006]: cell `>= abc`") && check.stderr.contains("rules/cod_fee.yaml:10:16"), "{}", check.stderr);
    // Enrichment alone, replayed over every stored order: what the broken table would have changed.
    shop.write(
        "pipelines/enrich.yaml",
        "settings: ../shop.yaml\nstages:\n  - id: enrich\n    type: enrich\n    with: { rules: [../rules/cod_fee.yaml] }\n",
    );
    let run = shop.juchu(&["run", "pipelines/enrich.yaml", "--replay"]);
    assert_eq!(run.code, 78, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("error[R006]: cell `>= abc`"), "{}", run.stderr);
    assert_eq!(shop.store_dump(), before, "a rejected rule file changes nothing");
    let test = shop.juchu(&["test", "rules/cod_fee.yaml"]);
    assert_eq!(test.code, 78, "{}", test.stderr);
}

/// Issue 12: when the table's column was the typo, R007 told the test naming the right field to
/// use the typo. The column's own error (R002, with its did-you-mean) is the one message.
#[test]
fn did_you_mean_points_from_the_typo_to_the_real_name() {
    let shop = Shop::sample();
    let table = |inputs: &str, given: &str| {
        format!(
            "inputs: [payment_method, {inputs}]\noutputs: [cod_fee]\nrows:\n  - [代金引換, \">= 100\", 330]\ntests:\n  \
             - given: {{ payment_method: 代金引換, {given}: 9999 }}\n    expect: {{ cod_fee: 330 }}\n"
        )
    };
    // The column is misspelt, the test is right.
    shop.write("rules/typo.yaml", &table("good", "goods"));
    let out = shop.juchu(&["test", "rules/typo.yaml"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(out.stderr.contains("error[R002]: `good` is not a field of the order"), "{}", out.stderr);
    assert!(out.stderr.contains("did you mean `goods`?"), "{}", out.stderr);
    assert!(!out.stderr.contains("did you mean `good`?") && !out.stderr.contains("R007"), "{}", out.stderr);
    // The test is misspelt, the column is right.
    shop.write("rules/typo.yaml", &table("goods", "good"));
    let out = shop.juchu(&["test", "rules/typo.yaml"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(out.stderr.contains("error[R007]: test 1: `good` is not a column of this table"), "{}", out.stderr);
    assert!(out.stderr.contains("did you mean `goods`? columns: payment_method, goods"), "{}", out.stderr);
    // An output column misspelt: the test's right name is not told to use it either.
    shop.write("rules/typo.yaml", &table("goods", "goods").replace("outputs: [cod_fee]", "outputs: [cod_fees]"));
    let out = shop.juchu(&["test", "rules/typo.yaml"]);
    assert!(out.stderr.contains("error[R003]: `cod_fees` cannot be set by a rule"), "{}", out.stderr);
    assert!(!out.stderr.contains("R007"), "{}", out.stderr);
}
