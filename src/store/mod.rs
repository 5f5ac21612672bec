//! The embedded DuckDB store: schema, migrations, and the one-writer lock.

pub mod lock;
mod schema;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use duckdb::{params, Connection};

pub use lock::{RunLock, RunLockError};

pub struct Store {
    pub conn: Connection,
    pub path: PathBuf,
}

impl Store {
    /// Opens (or creates) the store read-write and applies missing migrations.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create the store folder {}", dir.display()))?;
            }
        }
        let conn = Connection::open(path).with_context(|| format!("cannot open the store {}", path.display()))?;
        conn.execute_batch("SET preserve_insertion_order = false;")?;
        let store = Store { conn, path: path.to_path_buf() };
        store.migrate()?;
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
            anyhow::bail!("the store {} does not exist yet: run a pipeline first (`juchu run pipelines/demo.yaml`)", path.display());
        }
        let config = duckdb::Config::default().access_mode(duckdb::AccessMode::ReadOnly)?;
        let conn =
            Connection::open_with_flags(path, config).with_context(|| format!("cannot open the store {} read-only", path.display()))?;
        Ok(Store { conn, path: path.to_path_buf() })
    }

    pub fn schema_version(&self) -> Result<i32> {
        let v: Option<i32> = self.conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| r.get(0)).unwrap_or(None);
        Ok(v.unwrap_or(0))
    }

    fn migrate(&self) -> Result<()> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ DEFAULT current_timestamp);",
        )?;
        let current = self.schema_version()?;
        for (version, name, sql) in schema::MIGRATIONS {
            if *version <= current {
                continue;
            }
            let tx = self.conn.unchecked_transaction()?;
            tx.execute_batch(sql).with_context(|| format!("migration {version} ({name}) failed"))?;
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
