//! One writer at a time: an OS file lock next to the store. The kernel drops it when the process
//! ends, so a crashed run (even `kill -9`) never blocks the next one.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct RunLock {
    _file: File,
    pub path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum RunLockError {
    #[error("another juchu run holds the lock {path} (started: {holder}); this run exits without doing anything")]
    Held { path: PathBuf, holder: String },
    #[error("cannot create the lock file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

impl RunLock {
    /// `state/juchu.duckdb` → `state/juchu.duckdb.lock`.
    pub fn acquire(store: &Path, what: &str) -> Result<RunLock, RunLockError> {
        let path = PathBuf::from(format!("{}.lock", store.display()));
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                let _ = std::fs::create_dir_all(dir);
            }
        }
        let io = |source| RunLockError::Io { path: path.clone(), source };
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default().trim().to_string();
                return Err(RunLockError::Held { path, holder: if holder.is_empty() { "unknown".into() } else { holder } });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // Who holds it, for the message the next run prints. Informational only: the lock is the flock.
        file.set_len(0).map_err(io)?;
        writeln!(file, "pid {} {} at {}", std::process::id(), what, chrono::Utc::now().to_rfc3339()).map_err(io)?;
        Ok(RunLock { _file: file, path })
    }
}

/// Who holds the run lock of `store` (`pid 123 run pipelines/demo.yaml at …`), when a live process
/// does. Read without locking, so a run starting now is not kept from its lock.
pub fn holder(store: &Path) -> Option<String> {
    let text = std::fs::read_to_string(format!("{}.lock", store.display())).ok()?;
    let text = text.trim();
    let pid: u32 = text.strip_prefix("pid ")?.split(' ').next()?.parse().ok()?;
    // The file stays after a run ends; only a live holder counts.
    let alive = !Path::new("/proc").is_dir() || Path::new(&format!("/proc/{pid}")).exists();
    alive.then(|| text.to_string())
}
