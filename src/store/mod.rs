//! The embedded DuckDB store: schema, migrations, the one-writer lock, and the typed reads and
//! writes of state that more than one stage or command touches (house rule: SQL another stage or
//! command reads lives here; a set-based upsert private to one stage may stay beside that stage,
//! which is then its table's only writer).

pub mod checklist;
pub mod columns;
pub mod enrichment;
pub mod linkage;
pub mod lock;
pub mod mail;
pub mod masters;
pub mod products;
pub mod report;
pub mod runs;
mod schema;
pub mod shipping;
pub mod write_back;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use duckdb::{params, Connection};

pub use lock::{RunLock, RunLockError};

pub struct Store {
    pub conn: Connection,
    pub path: PathBuf,
}

/// What to do when the store cannot be opened or written (exit 70).
pub fn open_failure_help(path: &Path) -> String {
    let p = crate::config::diagnostic::display_path(path);
    crate::domain::lang::pick(
        format!(
            "{p} が juchu のストアでない（別のファイル、または壊れている）ときは、別名に移して（`mv {p} {p}.broken`）もう一度実行すると\
             新しいストアで始まります。バックアップがあればそれを戻してください。フォルダに書き込めるか、ディスクがいっぱいでないかも確かめてください"
        ),
        format!(
            "if {p} is not a juchu store (another file, or damaged), move it aside (`mv {p} {p}.broken`) and run again to start a new \
             store, or restore it from a backup; check also that its folder is writable and the disk is not full"
        ),
    )
}

/// How long a command waits for the process writing the store (a run; the lock is DuckDB's own:
/// one process writes, or any number read) before it gives up and says so.
pub const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The store is open in another process that keeps it from being opened here (a run writing to it,
/// or a `juchu query` reading while a run wants to write), still after waiting `BUSY_WAIT`.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.say())]
pub struct StoreBusy {
    pub path: PathBuf,
    /// Who holds the run lock (`pid 123 run pipelines/demo.yaml at …`), when a run does.
    pub run: Option<String>,
    /// The process DuckDB names as holding the file.
    pub pid: Option<u32>,
    /// Whether this process wanted to write (a run) rather than read.
    pub writing: bool,
}

impl StoreBusy {
    fn say(&self) -> String {
        let p = crate::config::diagnostic::display_path(&self.path);
        let secs = BUSY_WAIT.as_secs();
        let pid = self.pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
        match (&self.run, self.writing) {
            (Some(run), false) => crate::domain::lang::pick(
                format!("juchu の実行中（{run}）で、ストア {p} に書き込んでいます。{secs}秒待ちましたが終わりませんでした"),
                format!("a juchu run is in progress ({run}) and writing to the store {p}; waited {secs} s for it to finish"),
            ),
            (None, false) => crate::domain::lang::pick(
                format!("別のプログラム{pid}がストア {p} を書き込み用に開いています。{secs}秒待ちましたが閉じられませんでした"),
                format!("another program{pid} has the store {p} open for writing; waited {secs} s for it to close it"),
            ),
            (_, true) => crate::domain::lang::pick(
                format!("別のプログラム{pid}（juchu query や explain など）がストア {p} を開いています。{secs}秒待ちましたが閉じられませんでした"),
                format!("another program{pid} (a `juchu query` or `explain`, say) has the store {p} open; waited {secs} s for it to close it"),
            ),
        }
    }

    /// When to try again, for the `help:` line.
    pub fn help(&self) -> String {
        match (&self.run, self.writing) {
            (Some(_), false) => crate::domain::lang::pick(
                "実行が終わってからもう一度試してください。ふつうは数秒から1分で終わります（終了コード 75）",
                "try again when the run has finished, usually within a minute (exit 75)",
            ),
            (None, false) => crate::domain::lang::pick(
                "そのプログラム（DuckDB の画面など）を閉じてから、もう一度試してください（終了コード 75）",
                "close that program (a DuckDB shell, say), then try again (exit 75)",
            ),
            (_, true) => crate::domain::lang::pick(
                "このストアは読み出しが終わるまで書き込めません。次の cron の回にまた実行します（終了コード 75）",
                "the store cannot be written while it is read; the next cron tick runs again (exit 75)",
            ),
        }
    }
}

/// DuckDB's error when another process holds the file: `Could not set lock on file "…": Conflicting
/// lock is held in /usr/bin/juchu (PID 1234)`. Returns the PID it names (0 when it names none).
fn lock_conflict(e: &duckdb::Error) -> Option<u32> {
    let m = e.to_string();
    if !(m.contains("Could not set lock on file") || m.contains("Conflicting lock")) {
        return None;
    }
    let pid = m.split("PID ").nth(1).and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next()).and_then(|d| d.parse().ok());
    Some(pid.unwrap_or(0))
}

/// Opens a DuckDB connection, waiting up to `BUSY_WAIT` while another process holds the file.
fn connect(path: &Path, config: impl Fn() -> duckdb::Result<duckdb::Config>, writing: bool) -> Result<Connection> {
    let deadline = std::time::Instant::now() + BUSY_WAIT;
    let mut announced = false;
    loop {
        match Connection::open_with_flags(path, config()?) {
            Ok(c) => return Ok(c),
            Err(e) => match lock_conflict(&e) {
                Some(pid) if std::time::Instant::now() < deadline => {
                    if !announced {
                        log::info!("the store {} is held by pid {pid}; waiting up to {} s", path.display(), BUSY_WAIT.as_secs());
                        announced = true;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
                Some(pid) => {
                    let run = lock::holder(path).filter(|_| !writing);
                    return Err(StoreBusy { path: path.to_path_buf(), run, pid: Some(pid).filter(|p| *p != 0), writing }.into());
                }
                None => return Err(e.into()),
            },
        }
    }
}

impl Store {
    /// Opens (or creates) the store read-write and applies missing migrations.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create the store folder {}", dir.display()))?;
            }
        }
        let conn = connect(path, || Ok(duckdb::Config::default()), true).map_err(|e| match e.downcast::<StoreBusy>() {
            Ok(busy) => anyhow::Error::new(busy),
            Err(e) => e.context(format!("cannot open the store {}", path.display())),
        })?;
        conn.execute_batch("SET preserve_insertion_order = false;")?;
        // DuckDB takes up to 80 % of the machine's memory unless told otherwise; a shared host sets
        // a cap (`JUCHU_MEMORY_LIMIT=1GB`), and DuckDB spills or fails cleanly beyond it.
        if let Some(limit) = std::env::var("JUCHU_MEMORY_LIMIT").ok().filter(|l| !l.is_empty()) {
            conn.execute_batch(&format!("SET memory_limit = '{}'", limit.replace('\'', "")))
                .with_context(|| format!("JUCHU_MEMORY_LIMIT `{limit}` is not a size DuckDB accepts: write it like 1GB or 800MB"))?;
        }
        let store = Store { conn, path: path.to_path_buf() };
        store.migrate()?;
        Ok(store)
    }

    /// A new store with only the migrations up to `version`, as an older juchu left it: for upgrade tests.
    #[doc(hidden)]
    pub fn create_at_version(path: &Path, version: i32) -> Result<Store> {
        let store = Store { conn: Connection::open(path)?, path: path.to_path_buf() };
        store.migrate_to(version)?;
        Ok(store)
    }

    /// A migrated in-memory store (previews before the first run).
    pub fn in_memory() -> Result<Store> {
        let store = Store { conn: Connection::open_in_memory()?, path: PathBuf::from(":memory:") };
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing store read-only (for `juchu query` while a run may be writing).
    pub fn open_read_only(path: &Path) -> Result<Store> {
        if !path.exists() {
            anyhow::bail!(
                "the store {} does not exist yet: run a pipeline first (`juchu run pipelines/<your pipeline>.yaml`), or, from another folder, name the store with `--store PATH` (it is `state/juchu.duckdb` beside your settings file)",
                path.display()
            );
        }
        let config = || duckdb::Config::default().access_mode(duckdb::AccessMode::ReadOnly);
        let conn = connect(path, config, false).map_err(|e| match e.downcast::<StoreBusy>() {
            Ok(busy) => anyhow::Error::new(busy),
            Err(e) => e.context(format!("cannot open the store {} read-only", path.display())),
        })?;
        Ok(Store { conn, path: path.to_path_buf() })
    }

    pub fn schema_version(&self) -> Result<i32> {
        let v: Option<i32> = self.conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| r.get(0)).unwrap_or(None);
        Ok(v.unwrap_or(0))
    }

    fn migrate(&self) -> Result<()> {
        self.migrate_to(i32::MAX)
    }

    /// Applies the missing migrations up to `last`.
    fn migrate_to(&self, last: i32) -> Result<()> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ DEFAULT current_timestamp);",
        )?;
        let current = self.schema_version()?;
        for (version, name, sql) in schema::MIGRATIONS {
            if *version <= current || *version > last {
                continue;
            }
            let tx = self.conn.unchecked_transaction()?;
            tx.execute_batch(sql).with_context(|| format!("migration {version} ({name}) failed"))?;
            if *version == 4 {
                backfill_order_columns(&tx).context("migration 4: filling orders.orderer_prefecture, remarks and ship_to_postal_code")?;
            }
            tx.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", params![version, name])?;
            tx.commit()?;
            log::info!("store migrated to version {version} ({name})");
        }
        Ok(())
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        let mut stmt = self.conn.prepare("SELECT value FROM shop_meta WHERE key = ?")?;
        let mut rows = stmt.query(params![key])?;
        Ok(match rows.next()? {
            Some(r) => Some(r.get(0)?),
            None => None,
        })
    }
}

/// Migration 4 added columns enrichment reads instead of the stored JSON; rows stored before it get
/// them from `normalized`.
fn backfill_order_columns(tx: &duckdb::Transaction<'_>) -> Result<()> {
    let mut stmt = tx.prepare("SELECT mall, shop, order_number, normalized FROM orders")?;
    let rows =
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?)))?;
    tx.execute_batch(
        "CREATE TEMP TABLE backfill (mall VARCHAR, shop VARCHAR, order_number VARCHAR, orderer_prefecture VARCHAR, remarks VARCHAR,
            ship_to_postal_code VARCHAR)",
    )?;
    {
        let mut app = tx.appender_to_catalog_and_db("backfill", "temp", "main")?;
        for row in rows {
            let (mall, shop, number, json) = row?;
            // The order as version 3 wrote it (not today's domain::Order, which has moved on).
            let order: serde_json::Value =
                serde_json::from_str(&json).with_context(|| format!("order {mall}/{shop}/{number} in the store is unreadable"))?;
            let text = |pointer: &str| order.pointer(pointer).and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
            app.append_row(params![mall, shop, number, text("/orderer/prefecture"), text("/remarks"), text("/ship_to/postal_code")])?;
        }
    }
    tx.execute_batch(
        "UPDATE orders o SET orderer_prefecture = b.orderer_prefecture, remarks = b.remarks, ship_to_postal_code = b.ship_to_postal_code
         FROM backfill b
         WHERE o.mall = b.mall AND o.shop = b.shop AND o.order_number = b.order_number;
         DROP TABLE temp.backfill;",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_4_fills_the_new_order_columns_from_the_stored_json() {
        let store = Store { conn: Connection::open_in_memory().unwrap(), path: PathBuf::from(":memory:") };
        store.migrate_to(3).unwrap();
        // An order as version 3 stored it.
        let json = serde_json::json!({
            "mall": "rakuten", "shop": "s", "order_number": "1", "ordered_at": "2026-12-01T10:00:00+09:00", "mall_status": "100",
            "orderer": {"name": "", "name_kana": "", "postal_code": "", "prefecture": "北海道", "address": "", "phone": "", "email": ""},
            "ship_to": {"name": "", "name_kana": "", "postal_code": "907-0004", "prefecture": "", "address": "", "phone": "", "email": ""},
            "is_gift": true, "items": [], "payment_method": "", "desired_delivery": {"date": null, "time_slot": null, "source": null},
            "remarks": "[配送日時指定:]", "amounts": {}
        });
        store
            .conn
            .execute(
                "INSERT INTO orders (mall, shop, order_number, ordered_at, mall_status, is_gift, amounts_fixed, content_hash, normalized, raw, fetched_at)
                 VALUES ('rakuten', 's', '1', TIMESTAMP '2026-12-01 10:00:00', '100', true, true, 0, ?, '{}', TIMESTAMP '2026-12-01 10:00:00')",
                params![json.to_string()],
            )
            .unwrap();
        store.migrate().unwrap();
        let row: (String, String, String, bool) = store
            .conn
            .query_row("SELECT orderer_prefecture, remarks, ship_to_postal_code, remote_island FROM orders", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!(row, ("北海道".into(), "[配送日時指定:]".into(), "907-0004".into(), false));
        assert_eq!(store.schema_version().unwrap(), schema::MIGRATIONS.last().unwrap().0);
    }
}
