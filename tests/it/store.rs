//! The store: one writer at a time (exit 75), a killed run's lock does not block, migrations.

use std::process::Command;

use crate::support::Shop;

#[test]
fn a_second_run_exits_75_while_the_first_holds_the_lock_and_a_killed_holder_does_not_block() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    let lock = shop.path("state/juchu.duckdb.lock");
    // Another process holds the OS lock (flock(2), as juchu takes it).
    let mut holder =
        Command::new("flock").args(["--no-fork", "-x"]).arg(&lock).args(["sleep", "60"]).spawn().expect("flock(1) from util-linux");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = shop.run_demo();
    assert_eq!(out.code, 75, "{}", out.stderr);
    assert!(out.stderr.contains("another juchu run holds the lock"), "{}", out.stderr);
    // kill -9 the holder: the kernel drops the lock; the next run goes ahead.
    holder.kill().unwrap();
    holder.wait().unwrap();
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn an_older_store_is_upgraded() {
    let shop = Shop::sample();
    let path = shop.path("state/juchu.duckdb");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        // A store from before any migration: only the bookkeeping table.
        let conn = duckdb::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ DEFAULT current_timestamp);",
        )
        .unwrap();
    }
    assert_eq!(shop.run_demo().code, 0);
    let latest = juchu::store::Store::open(&path).unwrap().schema_version().unwrap();
    assert!(latest >= 1);
    assert_eq!(shop.query_one("select max(version) from schema_migrations"), latest.to_string());
}

#[test]
fn store_option_puts_the_store_elsewhere() {
    let shop = Shop::sample();
    let out = shop.juchu(&["--store", "elsewhere/x.duckdb", "run", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(shop.path("elsewhere/x.duckdb").exists());
    let q = shop.juchu(&["--store", "elsewhere/x.duckdb", "query", "--format", "csv", "select count(*) from products"]);
    assert!(q.stdout.contains("29"), "{}", q.stdout);
}
