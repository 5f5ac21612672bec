//! 受注連動: `juchu linkage enable` refuses a start in the past, an NG checklist item, unmoved
//! test orders and automatic authorization, each by name; accepted, it is recorded and shown, and
//! the history is never rewritten. `juchu orders move-status` moves the test orders (S9).

use crate::support::Shop;

const PIPELINE: &str = "pipelines/demo.yaml";

#[test]
fn linkage_is_refused_for_each_rule_and_accepted_once_the_test_orders_are_moved() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);

    // A start in the past, and test orders still new: both named, nothing recorded.
    let out = shop.juchu(&["linkage", "enable", PIPELINE, "--mall", "rakuten", "--start", "2026-11-28T09:00"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("[S12]") && out.stderr.contains("is in the past"), "{}", out.stderr);
    assert!(out.stderr.contains("[S9]") && out.stderr.contains("juchu orders move-status"), "{}", out.stderr);
    assert_eq!(shop.query_one("select count(*) from linkage_history"), "0");

    // Move them: a dry run changes nothing; without --yes and no terminal, it asks for --yes.
    let move_args = ["orders", "move-status", "--to", "処理済", "--imported-before", "2026-11-28T10:30"];
    let dry = shop.juchu(&[&move_args[..], &["--dry-run"]].concat());
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.contains("(--dry-run: nothing changed)"), "{}", dry.stdout);
    assert_eq!(shop.query_one("select count(*) from orders where house_status is not null"), "0");
    let unasked = shop.juchu(&move_args);
    assert_eq!(unasked.code, 2, "{}", unasked.stderr);
    let moved = shop.juchu(&[&move_args[..], &["--yes"]].concat());
    assert_eq!(moved.code, 0, "{}", moved.stderr);
    let count = shop.query_one("select count(*) from orders where house_status = '処理済'");
    assert!(moved.stdout.contains(&format!("moved {count} order(s)")), "{}", moved.stdout);
    assert_eq!(shop.query_one("select count(*) from order_status_log"), count, "each change logged");
    assert_eq!(shop.query_one("select count(*) from orders where not coalesce(cancelled, false) and house_status is null"), "0");

    // Automatic authorization ON for a first linkage: refused unless allowed.
    shop.edit("shop.yaml", "auto_credit_authorization: false", "auto_credit_authorization: true");
    let out = shop.juchu(&["linkage", "enable", PIPELINE, "--mall", "rakuten", "--start", "2026-11-29T10:00"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("[S15]") && !out.stderr.contains("[S9]") && !out.stderr.contains("[S17]"), "{}", out.stderr);
    shop.edit("shop.yaml", "auto_credit_authorization: true", "auto_credit_authorization: false");

    // Accepted: recorded, with the quiet period warned about, and shown.
    let out = shop.juchu_env(&["linkage", "enable", PIPELINE, "--mall", "rakuten", "--start", "2026-11-29T10:00"], &[("USER", "sato")]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("starts at 2026-11-29 10:00 JST"), "{}", out.stdout);
    assert!(out.stderr.contains("warning[S14]") && out.stderr.contains("09:55 to 10:00"), "{}", out.stderr);
    let status = shop.juchu(&["linkage", "status", PIPELINE]);
    assert!(status.stdout.contains("rakuten      starts at 2026-11-29 10:00"), "{}", status.stdout);
    assert!(status.stdout.contains("yahoo        OFF (never started)"), "{}", status.stdout);
    // The checklist stays OK with linkage on: it was started the proper way.
    let checklist = shop.juchu(&["check", PIPELINE, "--checklist"]);
    assert_eq!(checklist.code, 0, "{}", checklist.stdout);

    // Stopped: a second row; the first is as it was.
    let first = shop.query_one("select mall || ' ' || action || ' ' || starts_at || ' ' || decided_by from linkage_history where seq = 1");
    assert_eq!(first, "rakuten enable 2026-11-29 10:00:00 sato");
    assert_eq!(shop.juchu(&["linkage", "disable", PIPELINE, "--mall", "rakuten"]).code, 0);
    assert_eq!(shop.query_one("select count(*) from linkage_history"), "2");
    assert_eq!(
        shop.query_one("select mall || ' ' || action || ' ' || starts_at || ' ' || decided_by from linkage_history where seq = 1"),
        first
    );
    let status = shop.juchu(&["linkage", "status", PIPELINE]);
    assert!(status.stdout.contains("rakuten      OFF (stopped)"), "{}", status.stdout);
    assert_eq!(shop.juchu(&["linkage", "disable", PIPELINE, "--mall", "rakuten"]).code, 2, "not on");
    assert_eq!(shop.juchu(&["linkage", "enable", PIPELINE, "--mall", "nosuch", "--start", "2026-11-29T10:00"]).code, 2);
}
