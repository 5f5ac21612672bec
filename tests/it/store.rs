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
        // A store as the first release left it: migration 1's tables, a run, and products, one of
        // them since dropped from the mall's CSV and one at an old price.
        let store = juchu::store::Store::create_at_version(&path, 1).unwrap();
        assert_eq!(store.schema_version().unwrap(), 1);
        store
            .conn
            .execute_batch(
                "INSERT INTO shop_meta VALUES ('master_mall', 'rakuten');
                 INSERT INTO runs VALUES (nextval('run_ids'), 'pipelines/demo.yaml', TIMESTAMPTZ '2026-10-01 09:00:00+09', TIMESTAMPTZ '2026-10-01 09:01:00+09', TIMESTAMPTZ '2026-10-01 09:00:00+09', 'ok', 0);
                 INSERT INTO products (mall, item_key, product_code, name, price, master_item_key, src_file, src_line, updated_at)
                 VALUES ('rakuten', 'retired-01', 'NG-OLD-01', '旧商品', 500, 'retired-01', 'item.csv', 2, TIMESTAMP '2026-10-01 09:00:00'),
                        ('rakuten', 'imabari-towel-01', 'NG-TWL-001', '今治タオル（旧名）', 1, 'imabari-towel-01', 'item.csv', 3, TIMESTAMP '2026-10-01 09:00:00');",
            )
            .unwrap();
    }
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let latest = juchu::store::Store::open(&path).unwrap().schema_version().unwrap();
    assert!(latest >= 4, "upgraded to {latest}");
    assert_eq!(shop.query_one("select max(version) from schema_migrations"), latest.to_string());
    // The old rows are kept and updated like any other: the old run, the retired product, the new price.
    assert_eq!(shop.query_one("select count(*) || ' ' || min(status) from runs where run_id = 1"), "1 ok");
    assert_eq!(shop.query_one("select count(*) from runs"), "2");
    assert_eq!(shop.query_one("select name || ' ' || price from products where item_key = 'retired-01'"), "旧商品 500");
    assert_ne!(shop.query_one("select price from products where mall = 'rakuten' and item_key = 'imabari-towel-01'"), "1");
    assert!(out.stdout.contains("12 products (11 new, 1 changed, 0 unchanged"), "{}", out.stdout);
    // The tables later migrations added are there and filled by this run.
    assert_ne!(shop.query_one("select count(*) from orders"), "0");
    assert_ne!(shop.query_one("select count(*) from order_checks"), "0");
}

#[test]
fn a_store_that_is_not_duckdb_exits_70_and_says_what_to_do() {
    let shop = Shop::sample();
    shop.write("state/juchu.duckdb", "this is a spreadsheet export, not a DuckDB file\n");
    let out = shop.run_demo();
    assert_eq!(out.code, 70, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("cannot open the store"), "{}", out.stderr);
    assert!(out.stderr.contains("mv state/juchu.duckdb state/juchu.duckdb.broken"), "{}", out.stderr);
    // Nothing was overwritten; the read-only commands say the same.
    assert_eq!(shop.read("state/juchu.duckdb"), "this is a spreadsheet export, not a DuckDB file\n");
    let q = shop.juchu(&["query", "select 1"]);
    assert_eq!(q.code, 70, "{}", q.stderr);
    assert!(q.stderr.contains(".broken"), "{}", q.stderr);
    assert_eq!(shop.juchu(&["--store", "nowhere/x.duckdb", "query", "select 1"]).code, 2, "a store not made yet is a usage error");
}

#[test]
fn store_option_puts_the_store_elsewhere() {
    let shop = Shop::sample();
    let out = shop.juchu(&["--store", "elsewhere/x.duckdb", "run", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(shop.path("elsewhere/x.duckdb").exists());
    let q = shop.juchu(&["--store", "elsewhere/x.duckdb", "query", "--format", "csv", "select count(*) from products"]);
    assert_eq!(q.code, 0, "{}", q.stderr);
    assert_eq!(q.stdout, "count_star()\n29\n");
}

/// Issue 12: `query` and `explain` failed with DuckDB's raw lock error while a run was writing. They
/// wait a few seconds for the run, then say a run is in progress and when to try again (75).
#[test]
fn query_and_explain_wait_for_a_run_then_say_to_try_again() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    let order = shop.query_one("select order_number from order_enrichment order by all limit 1");
    let path = shop.path("state/juchu.duckdb");
    // Hold the store as a run does: the run lock, and the store open for writing.
    let lock = juchu::store::RunLock::acquire(&path, "run pipelines/demo.yaml").unwrap();
    let store = juchu::store::Store::open(&path).unwrap();
    let started = std::time::Instant::now();
    let q = shop.juchu(&["query", "select count(*) from runs"]);
    assert_eq!(q.code, 75, "{}", q.stderr);
    assert!(started.elapsed() >= juchu::store::BUSY_WAIT, "it waited for the run first");
    assert!(q.stderr.contains("a juchu run is in progress (pid"), "{}", q.stderr);
    assert!(q.stderr.contains("run pipelines/demo.yaml") && q.stderr.contains("waited 5 s"), "{}", q.stderr);
    assert!(q.stderr.contains("help: try again when the run has finished, usually within a minute (exit 75)"), "{}", q.stderr);
    assert!(!q.stderr.contains("Conflicting lock") && !q.stderr.contains("IO Error"), "DuckDB's own words are not shown: {}", q.stderr);
    let ja = shop.juchu_env(&["explain", &order], &[("JUCHU_LANG", "ja")]);
    assert_eq!(ja.code, 75, "{}", ja.stderr);
    assert!(ja.stderr.contains("juchu の実行中") && ja.stderr.contains("もう一度試してください"), "{}", ja.stderr);
    // A run that ends while the query waits: the query answers.
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        drop(store);
        drop(lock);
    });
    let q = shop.juchu(&["query", "--format", "csv", "select count(*) from runs"]);
    release.join().unwrap();
    assert_eq!(q.code, 0, "{}", q.stderr);
    assert_eq!(q.stdout, "count_star()\n1\n");
}

/// Issue 12: a killed run stayed `running` for ever. The next run (which holds the lock, so no run
/// is running) marks it `interrupted`, at the time it noticed, and says so.
#[test]
fn a_killed_run_is_marked_interrupted_by_the_next() {
    let shop = Shop::sample();
    let killed = shop.juchu_env(&["run", "pipelines/demo.yaml"], &[("JUCHU_CRASH_AT", "after_upsert_before_commit")]);
    assert_ne!(killed.code, 0, "{}", killed.stderr);
    assert_eq!(shop.query_one("select status || ' ' || (finished_at is null) from runs where run_id = 1"), "running true");
    let next = shop.juchu(&["--now", "2026-11-28T10:03:00+09:00", "run", "pipelines/demo.yaml"]);
    assert_eq!(next.code, 0, "{}", next.stderr);
    assert!(next.stderr.contains("run 1 (pipelines/demo.yaml, started ") && next.stderr.contains("marked interrupted"), "{}", next.stderr);
    let out =
        shop.juchu(&["query", "--format", "csv", "select run_id, status, finished_at >= started_at, exit_code from runs order by run_id"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "run_id,status,(finished_at >= started_at),exit_code\n1,interrupted,true,\n2,ok,true,0\n");
    // Said once: the run after that finds nothing running.
    let again = shop.juchu(&["--now", "2026-11-28T10:06:00+09:00", "run", "pipelines/demo.yaml"]);
    assert!(!again.stderr.contains("interrupted"), "{}", again.stderr);
}
