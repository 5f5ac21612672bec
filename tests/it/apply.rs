//! Decisions in the verification workbook (判断) and `juchu apply`: staff choose in Excel, apply
//! puts it in the store once, refuses what changed, and the report stage never overwrites a
//! workbook whose decisions are not applied yet.

use calamine::{open_workbook_auto, Data, Reader};

use crate::support::Shop;

const BOOK: &str = "out/book.xlsx";
const EDITED: &str = "out/edited.xlsx";

/// The sample shop run once, and a pipeline that writes the workbook of every order on each run
/// (a date range: a cron poll with nothing new would keep the day's workbook as it is).
fn shop() -> Shop {
    let shop = Shop::sample();
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // The sample hold rules hold some orders; these tests place their own holds.
    shop.sql("DELETE FROM order_holds");
    shop.write(
        "pipelines/book.yaml",
        "settings: ../shop.yaml\nstages:\n  - id: book\n    type: report\n    with: { path: ../out/book.xlsx, from: 2026-01-01, to: 2026-12-31 }\n",
    );
    shop
}

fn write_book(shop: &Shop) -> crate::support::Output {
    let out = shop.juchu(&["-v", "run", "pipelines/book.yaml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    out
}

fn sql(shop: &Shop, statements: &str) {
    shop.sql(statements);
}

fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

/// Every sheet of a workbook: name, first cell, rows of cells.
type Sheets = Vec<(String, (u32, u32), Vec<Vec<Data>>)>;

fn read_book(shop: &Shop, rel: &str) -> Sheets {
    let mut book = open_workbook_auto(shop.path(rel)).expect("the workbook opens");
    let names = book.sheet_names();
    names
        .into_iter()
        .map(|n| {
            let range = book.worksheet_range(&n).unwrap();
            let start = range.start().unwrap_or((0, 0));
            (n, start, range.rows().map(|r| r.to_vec()).collect())
        })
        .collect()
}

fn rows(sheets: &Sheets, name: &str) -> Vec<Vec<String>> {
    let (_, _, rows) = sheets.iter().find(|(n, _, _)| n == name).unwrap_or_else(|| panic!("no sheet {name}"));
    rows.iter().map(|r| r.iter().map(text).collect()).collect()
}

fn col(rows: &[Vec<String>], header: &str) -> usize {
    rows[0].iter().position(|h| h == header).unwrap_or_else(|| panic!("no column {header} in {:?}", rows[0]))
}

/// The row (index in the sheet, header = 0) of an order.
fn row_of(rows: &[Vec<String>], number: &str) -> usize {
    let c = col(rows, "order number");
    rows.iter().position(|r| r[c] == number).unwrap_or_else(|| panic!("no row for {number}"))
}

/// Saves a copy of the workbook with decisions typed in, as staff would in Excel: each edit is
/// (sheet, row, column header, text). Cell values are copied as they read back.
fn edit_book(shop: &Shop, from: &str, to: &str, edits: &[(&str, usize, &str, &str)]) {
    let sheets = read_book(shop, from);
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, (r0, c0), rows) in &sheets {
        let ws = book.add_worksheet();
        ws.set_name(name).unwrap();
        for (i, row) in rows.iter().enumerate() {
            for (j, cell) in row.iter().enumerate() {
                let (r, c) = (r0 + i as u32, (*c0 + j as u32) as u16);
                match cell {
                    Data::Empty => {}
                    Data::Float(f) => {
                        ws.write_number(r, c, *f).unwrap();
                    }
                    Data::Int(v) => {
                        ws.write_number(r, c, *v as f64).unwrap();
                    }
                    Data::DateTime(d) => {
                        ws.write_number(r, c, d.as_f64()).unwrap();
                    }
                    other => {
                        ws.write_string(r, c, text(other)).unwrap();
                    }
                }
            }
        }
        for (sheet, row, header, value) in edits {
            if sheet == name {
                let c = rows[0].iter().position(|h| text(h) == *header).unwrap_or_else(|| panic!("no {header} on {sheet}"));
                ws.write_string(*r0 + *row as u32, (*c0 as usize + c) as u16, *value).unwrap();
            }
        }
    }
    book.save(shop.path(to)).unwrap();
}

/// Three plain orders of the run (one destination each): one with a failed check, two without.
struct Orders {
    failed: String,
    plain: String,
    other: String,
    merge: [String; 2],
}

fn pick_orders(shop: &Shop) -> Orders {
    let checks = rows(&read_book(shop, BOOK), "Order checks");
    let (number, dest, billing) = (col(&checks, "order number"), col(&checks, "destination"), col(&checks, "Billing amount"));
    let single: Vec<&Vec<String>> = checks[1..].iter().filter(|r| r[dest].is_empty()).collect();
    let failed = single.iter().find(|r| r[billing] == "✗").expect("an order whose billing check failed")[number].clone();
    let passed: Vec<String> = single.iter().filter(|r| !r.iter().any(|c| c == "✗")).map(|r| r[number].clone()).collect();
    assert!(passed.len() >= 4, "enough orders whose checks passed: {passed:?}");
    Orders { failed, plain: passed[0].clone(), other: passed[1].clone(), merge: [passed[2].clone(), passed[3].clone()] }
}

/// Holds `other` (staff) and proposes `merge` as one 同梱 group, through the store file.
fn hold_and_propose(shop: &Shop, o: &Orders) {
    sql(
        shop,
        &format!(
            "INSERT INTO order_holds (mall, shop, order_number, source, reason, held_at, held_by)
             SELECT mall, shop, order_number, 'staff', '住所確認', TIMESTAMP '2026-11-28 09:00:00', 'tanaka' FROM orders WHERE order_number = '{}';
             INSERT INTO order_merges (mall, shop, order_number, group_key, state, proposed_at)
             SELECT mall, shop, order_number, 'Dtest', 'proposed', TIMESTAMP '2026-11-28 09:00:00' FROM orders WHERE order_number IN ('{}', '{}');",
            o.other, o.merge[0], o.merge[1]
        ),
    );
}

fn unzip(shop: &Shop, rel: &str, member: &str) -> String {
    let out = std::process::Command::new("unzip").arg("-p").arg(shop.path(rel)).arg(member).output().expect("unzip is installed");
    assert!(out.status.success(), "{member} in {rel}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn state(shop: &Shop) -> String {
    ["order_holds", "order_acceptances", "order_merges"]
        .iter()
        .map(|t| shop.juchu(&["query", "--format", "csv", &format!("SELECT * FROM {t} ORDER BY ALL")]).stdout)
        .collect()
}

/// 受注チェック has 判断 (a list with what each choice means, other text stopped), 保留 (held now
/// and why) and a hidden 確認キー; 保留 lists every held order, 同梱候補 every open group.
#[test]
fn the_workbook_has_a_decision_list_and_the_holds_and_merge_sheets() {
    let shop = shop();
    write_book(&shop);
    let o = pick_orders(&shop);
    hold_and_propose(&shop, &o);
    write_book(&shop);
    let sheets = read_book(&shop, BOOK);
    let names: Vec<&str> = sheets.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(&names[..4], ["Summary", "Order checks", "Holds", "Merge proposals"]);

    let checks = rows(&sheets, "Order checks");
    let held = &checks[row_of(&checks, &o.other)];
    assert_eq!(held[col(&checks, "hold")], "住所確認 (staff tanaka)");
    assert!(held[col(&checks, "Decision")].is_empty(), "left for staff");
    let key = &checks[row_of(&checks, &o.failed)][col(&checks, "check key")];
    assert_eq!(key, &shop.query_one(&format!("select max(fingerprint) from order_enrichment where order_number = '{}'", o.failed)));

    let holds = rows(&sheets, "Holds");
    assert_eq!(holds.len(), 2, "one row per held order: {holds:?}");
    assert_eq!(holds[1][col(&holds, "order number")], o.other);
    assert!(holds[1][col(&holds, "held because")].contains("住所確認"));
    assert!(!holds[1][col(&holds, "check key")].is_empty());

    let merges = rows(&sheets, "Merge proposals");
    assert_eq!(merges.len(), 3, "{merges:?}");
    assert!(merges[1..].iter().all(|r| r[col(&merges, "merge group")] == "Dtest" && r[col(&merges, "state")] == "proposed"));

    let xml = unzip(&shop, BOOK, "xl/worksheets/sheet2.xml");
    assert!(xml.contains("<dataValidation ") && xml.contains("\"ship OK,hold,release\""), "{}", &xml[xml.len().saturating_sub(2000)..]);
    assert!(xml.contains("showErrorMessage=\"1\"") && xml.contains("promptTitle=\"Decision\""));
    assert!(xml.contains("hidden=\"1\""), "the check key column is hidden");
    assert!(unzip(&shop, BOOK, "xl/worksheets/sheet3.xml").contains("\"release,ship OK\""));
    assert!(unzip(&shop, BOOK, "xl/worksheets/sheet4.xml").contains("\"merge,do not merge\""));

    // Japanese by default.
    let ja = shop.juchu_env(&["run", "pipelines/book.yaml"], &[("JUCHU_LANG", "ja")]);
    assert_eq!(ja.code, 0, "{}", ja.stderr);
    let names: Vec<String> = read_book(&shop, BOOK).into_iter().map(|(n, _, _)| n).collect();
    assert_eq!(&names[1..4], ["受注チェック", "保留", "同梱候補"]);
    assert!(unzip(&shop, BOOK, "xl/worksheets/sheet2.xml").contains("\"出荷OK,保留,保留解除\""));
    assert!(unzip(&shop, BOOK, "xl/worksheets/sheet4.xml").contains("\"同梱OK,同梱しない\""));
}

/// 出荷OK accepts a failed order, 保留 holds, 保留解除 releases, 同梱OK decides the group; each
/// cell is logged; the same workbook applied again changes nothing.
#[test]
fn decisions_are_applied_once_and_applying_the_same_workbook_again_changes_nothing() {
    let shop = shop();
    write_book(&shop);
    let o = pick_orders(&shop);
    hold_and_propose(&shop, &o);
    write_book(&shop);
    let sheets = read_book(&shop, BOOK);
    let (checks, holds, merges) = (rows(&sheets, "Order checks"), rows(&sheets, "Holds"), rows(&sheets, "Merge proposals"));
    edit_book(
        &shop,
        BOOK,
        EDITED,
        &[
            ("Order checks", row_of(&checks, &o.failed), "Decision", "ship OK"),
            // Japanese works in an English workbook too, full-width or not.
            ("Order checks", row_of(&checks, &o.plain), "Decision", "保留"),
            ("Holds", row_of(&holds, &o.other), "Decision", "release"),
            ("Merge proposals", row_of(&merges, &o.merge[1]), "Decision", "merge"),
        ],
    );
    let env = [("USER", "suzuki")];
    let out = shop.juchu_env(&["apply", EDITED], &env);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("4 applied, 0 unchanged, 0 refused"), "{}", out.stdout);
    let q = |s: &str| shop.query_one(s);
    assert_eq!(q(&format!("select accepted_by from order_acceptances where order_number = '{}'", o.failed)), "suzuki");
    assert_eq!(
        q(&format!("select reason || ' ' || (released_at is null) from order_holds where order_number = '{}'", o.plain)),
        "確認用ブックで保留 true"
    );
    assert_eq!(
        q(&format!("select (released_at is not null) || ' ' || released_by from order_holds where order_number = '{}'", o.other)),
        "true suzuki"
    );
    assert_eq!(q("select string_agg(DISTINCT state, ',') from order_merges where group_key = 'Dtest'"), "accepted");
    assert_eq!(q("select count(*) from workbook_decisions where outcome = 'applied' and applied_by = 'suzuki'"), "4");
    let cell = q(&format!("select cell from workbook_decisions where order_number = '{}'", o.failed));
    assert_eq!(cell, format!("edited.xlsx!Order checks!H{}", row_of(&checks, &o.failed) + 1));

    let before = state(&shop);
    let again = shop.juchu_env(&["apply", EDITED], &env);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("0 applied, 4 unchanged, 0 refused") && again.stdout.contains("nothing changed"), "{}", again.stdout);
    assert_eq!(state(&shop), before, "nothing held, released, accepted or decided again");
    assert_eq!(q("select count(*) from workbook_decisions where outcome = 'unchanged'"), "4");
}

/// A decision apply cannot use is named at its cell with what to do; the others still apply (exit 1).
#[test]
fn an_unusable_cell_is_named_at_its_address_and_the_others_still_apply() {
    let shop = shop();
    write_book(&shop);
    let o = pick_orders(&shop);
    let checks = rows(&read_book(&shop, BOOK), "Order checks");
    let bad = row_of(&checks, &o.failed);
    edit_book(
        &shop,
        BOOK,
        EDITED,
        &[
            ("Order checks", bad, "Decision", "出荷する"),
            ("Order checks", row_of(&checks, &o.other), "Decision", "同梱OK"),
            ("Order checks", row_of(&checks, &o.plain), "Decision", "保留"),
        ],
    );
    let out = shop.juchu(&["apply", EDITED]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains(&format!("error: edited.xlsx!Order checks!H{}: `出荷する` is not a decision", bad + 1)), "{}", out.stderr);
    assert!(out.stderr.contains("choose one of ship OK, hold, release"), "{}", out.stderr);
    assert!(out.stderr.contains("merge decisions go on the Merge proposals sheet"), "{}", out.stderr);
    assert!(out.stdout.contains("1 applied, 0 unchanged, 2 refused"), "{}", out.stdout);
    assert_eq!(
        shop.query_one(&format!("select count(*) from order_holds where order_number = '{}' and released_at is null", o.plain)),
        "1"
    );
    assert_eq!(shop.query_one("select count(*) from workbook_decisions where outcome = 'refused'"), "2");

    // Japanese by default, with the cell and how to fix it.
    let ja = shop.juchu_env(&["apply", EDITED], &[("JUCHU_LANG", "ja")]);
    assert_eq!(ja.code, 1);
    assert!(ja.stderr.contains(&format!("edited.xlsx!Order checks!H{}: `出荷する` は判断として使えません", bad + 1)), "{}", ja.stderr);
    assert!(ja.stderr.contains("出荷OK・保留・保留解除 のどれか"), "{}", ja.stderr);
    assert!(ja.stderr.contains("は判断として使えません"), "{}", ja.stderr);

    // Not a verification workbook: 78; no file: 2.
    shop.write_bytes("out/other.xlsx", &std::fs::read(shop.path("sample-data/masters/masters.xlsx")).unwrap());
    assert_eq!(shop.juchu(&["apply", "out/other.xlsx"]).code, 78);
    assert_eq!(shop.juchu(&["apply", "out/missing.xlsx"]).code, 2);
}

/// The order changed after the workbook was written: the decision is refused, never overwrites.
#[test]
fn an_order_changed_since_the_workbook_was_written_is_refused() {
    let shop = shop();
    write_book(&shop);
    let o = pick_orders(&shop);
    let checks = rows(&read_book(&shop, BOOK), "Order checks");
    edit_book(&shop, BOOK, EDITED, &[("Order checks", row_of(&checks, &o.failed), "Decision", "ship OK")]);
    sql(&shop, &format!("UPDATE order_enrichment SET fingerprint = fingerprint + 1 WHERE order_number = '{}'", o.failed));
    let out = shop.juchu(&["apply", EDITED]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("the order changed since the workbook was written"), "{}", out.stderr);
    assert!(out.stderr.contains("look at the order in the new workbook"), "{}", out.stderr);
    assert_eq!(shop.query_one("select count(*) from order_acceptances"), "0");
    assert_eq!(shop.query_one("select outcome from workbook_decisions"), "refused");
}

/// Staff chose in the day's workbook and cron runs again: the book is kept, the new one goes
/// beside it; once applied, the next run replaces it.
#[test]
fn the_report_does_not_overwrite_a_workbook_holding_unapplied_decisions() {
    let shop = shop();
    write_book(&shop);
    let o = pick_orders(&shop);
    let checks = rows(&read_book(&shop, BOOK), "Order checks");
    edit_book(&shop, BOOK, EDITED, &[("Order checks", row_of(&checks, &o.plain), "Decision", "保留")]);
    std::fs::copy(shop.path(EDITED), shop.path(BOOK)).unwrap();
    let edited = std::fs::read(shop.path(BOOK)).unwrap();

    let out = write_book(&shop);
    assert!(out.stdout.contains("holds 1 decision(s) not yet applied, so it was kept"), "{}", out.stdout);
    assert_eq!(std::fs::read(shop.path(BOOK)).unwrap(), edited, "the staff's book is as they left it");
    let run = shop.query_one("select max(run_id) from runs");
    assert!(shop.path(&format!("out/book.run{run}.xlsx")).exists(), "the new workbook beside it");

    let applied = shop.juchu(&["apply", BOOK]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    write_book(&shop);
    assert_ne!(std::fs::read(shop.path(BOOK)).unwrap(), edited, "applied: replaced by the new workbook");
    let checks = rows(&read_book(&shop, BOOK), "Order checks");
    let hold = &checks[row_of(&checks, &o.plain)][col(&checks, "hold")];
    assert!(hold.starts_with("確認用ブックで保留 (staff ") && hold.contains("book.xlsx!Order checks!H"), "{hold}");
}
