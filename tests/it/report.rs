//! The verification workbook (`report`): what staff open in Excel every day, read back with calamine.

use calamine::{open_workbook, Data, Reader, Xlsx};

use crate::support::Shop;

const BOOK: &str = "out/verification-2026-11-28.xlsx";

fn sheet(shop: &Shop, name: &str) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = open_workbook(shop.path(BOOK)).expect("the workbook opens");
    let range = book.worksheet_range(name).unwrap_or_else(|e| panic!("sheet {name}: {e}"));
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    Data::DateTime(d) => format!("date:{}", d.as_f64()),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn column(rows: &[Vec<String>], name: &str) -> usize {
    rows[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]))
}

/// The demo writes the workbook: every order and destination of the run on 受注チェック with its ten
/// checks and their reasons, each line on 明細 with its values beside where they came from, and
/// what the run reported on エラー; a customer's name that looks like a formula stays text.
#[test]
fn the_demo_writes_a_workbook_staff_can_read_with_failing_checks_and_provenance() {
    let shop = Shop::sample();
    // A Yamada customer whose name is a formula.
    let file = "sample-data/orders/yamada/orders-20261128.csv";
    let text = shop.read_cp932(file).replacen("\"山田 一郎\",\"山田 一郎\"", "\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",\"山田 一郎\"", 1);
    assert!(text.contains("=HYPERLINK"), "the sample order file has the orderer");
    shop.write_cp932(file, &text);
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("workbook") && out.stdout.contains("out/verification-2026-11-28.xlsx"), "{}", out.stdout);
    // A plain ZIP: LibreOffice 7.4 does not open a ZIP64 workbook at all.
    let bytes = std::fs::read(shop.path(BOOK)).unwrap();
    assert!(!bytes.windows(4).any(|w| w == b"PK\x06\x06"), "no ZIP64 end of central directory");
    let mut book: Xlsx<_> = open_workbook(shop.path(BOOK)).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["Summary", "Order checks", "Holds", "Merge proposals", "Items", "First setup", "Errors", "Mails", "Linkage preview", "Write-back"]
    );

    let checks = sheet(&shop, "Order checks");
    let enriched = shop.query_one("select count(*) from order_enrichment");
    assert_eq!((checks.len() - 1).to_string(), enriched, "one row per order and destination, none lost");
    let (billing, reason) = (column(&checks, "Billing amount"), column(&checks, "Billing amount") + 1);
    let failed: Vec<&Vec<String>> = checks.iter().filter(|r| r[billing] == "✗").collect();
    let stored_failed = shop.query_one("select count(*) from order_checks where check_no = 9 and result = 'fail'");
    assert_eq!(failed.len().to_string(), stored_failed);
    assert!(failed[0][reason].contains("the mall bills"), "a failed check says why: {:?}", failed[0]);
    let carrier = column(&checks, "Carrier");
    assert!(checks[1][carrier + 1].contains('(') && checks[1][carrier] == "✓", "the reason names its source: {:?}", checks[1]);
    assert!(checks[1][column(&checks, "ordered at")].starts_with("date:"), "order times are Excel dates");

    // The formula-like name is the plain text it was, not a formula.
    let orderer = column(&checks, "orderer");
    assert!(checks.iter().any(|r| r[orderer] == "=HYPERLINK(\"http://x\",\"y\")"), "the name reads back as text");
    let formulas = book.worksheet_formula("Order checks").unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no cell of the sheet is a formula");

    let items = sheet(&shop, "Items");
    assert_eq!((items.len() - 1).to_string(), shop.query_one("select count(*) from order_items"));
    let (lc, lc_from) = (column(&items, "logistics company"), column(&items, "logistics company") + 1);
    assert_eq!(items[0][lc_from], "from");
    assert!(items[1..].iter().all(|r| r[lc].is_empty() || !r[lc_from].is_empty()), "every value has its source beside it");
    assert!(items[1..].iter().any(|r| r[lc_from].starts_with("配送条件!")), "master cells are named");
    let fee_from = column(&items, "shipping from");
    assert!(items[1..].iter().any(|r| r[fee_from].starts_with("rules/shipping_fee.yaml row")), "rule rows are named");

    // The first-setup checklist, item by item, as `juchu check --checklist` has it.
    let setup = sheet(&shop, "First setup");
    assert!(setup[1..].iter().all(|r| r[2] == "OK" || r[2] == "NG"), "{setup:?}");
    let listed = shop.juchu(&["check", "pipelines/demo.yaml", "--checklist"]);
    for r in &setup[1..] {
        assert!(listed.stdout.contains(&r[1]), "`{}` is in the checklist too:\n{}", r[1], listed.stdout);
    }

    let errors = sheet(&shop, "Errors");
    assert!(errors.iter().any(|r| r[2] == "D030"), "what the run reported: {errors:?}");
    // The run's first mails as the customer got them: subject and body as logged, never a formula.
    let mails = sheet(&shop, "Mails");
    let sent: usize = shop.query_one("select count(*) from mail_log").parse().unwrap();
    assert_eq!(mails.len() - 1, sent.min(100), "the first 100 of the run's {sent} mails");
    let (number, subject, body) = (column(&mails, "order number"), column(&mails, "subject"), column(&mails, "body"));
    for r in &mails[1..] {
        let logged = shop.query_one(&format!("select subject from mail_log where order_number = '{}'", r[number]));
        assert_eq!(r[subject], logged);
        assert!(r[body].contains(&r[number]) && r[body].contains(" 様\n"), "the whole body: {:?}", r[body]);
    }
    assert!(book.worksheet_formula("Mails").unwrap().used_cells().all(|(_, _, f)| f.is_empty()));
    let summary = sheet(&shop, "Summary");
    assert!(summary.iter().any(|r| r[0].starts_with("mails in this run") && r[1] == format!("sent {sent}")), "{summary:?}");
    assert!(summary.iter().any(|r| r[0] == "9. Billing amount" && r[2] == stored_failed), "{summary:?}");

    // The next poll brings nothing new: the day's workbook is kept as it was, not emptied.
    let again = shop.juchu(&["-v", "run", "pipelines/demo.yaml"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("the workbook there is kept as it was"), "{}", again.stdout);
    assert_eq!(sheet(&shop, "Order checks").len(), checks.len());
}

/// Killed while saving: the real name keeps what it had; the next run writes it whole.
#[test]
fn a_crash_while_writing_never_leaves_half_a_workbook_under_its_name() {
    let shop = Shop::sample();
    let out = shop.juchu_env(&["run", "pipelines/demo.yaml"], &[("JUCHU_CRASH_AT", "report_before_rename")]);
    assert_ne!(out.code, 0);
    assert!(!shop.path(BOOK).exists(), "nothing under the real name");
    assert!(shop.path(&format!("{BOOK}.partial")).exists());
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(shop.path(BOOK).exists());
}

/// A date range instead of the run's orders; a wrong date is named at its place.
#[test]
fn a_workbook_of_a_date_range_and_a_wrong_date_is_named() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    shop.write(
        "pipelines/range.yaml",
        "settings: ../shop.yaml\nstages:\n  - id: book\n    type: report\n    with: { path: ../out/range.xlsx, from: 2026-11-27, to: 2026-11-27 }\n",
    );
    let out = shop.juchu(&["run", "pipelines/range.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut book: Xlsx<_> = open_workbook(shop.path("out/range.xlsx")).unwrap();
    let rows = book.worksheet_range("Order checks").unwrap().rows().count() - 1;
    assert_eq!(
        rows.to_string(),
        shop.query_one("select count(*) from order_enrichment e join orders o using (mall, shop, order_number) where o.ordered_at::DATE = '2026-11-27'")
    );
    shop.edit("pipelines/range.yaml", "to: 2026-11-27", "to: 2026-11-31");
    let bad = shop.juchu(&["check", "pipelines/range.yaml"]);
    assert_eq!(bad.code, 78);
    assert!(bad.stderr.contains("error[C075]") && bad.stderr.contains("pipelines/range.yaml:5:"), "{}", bad.stderr);
}
