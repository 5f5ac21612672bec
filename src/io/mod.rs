//! Files in and out: text encodings (CP932), CSV tables with line numbers, XLSX sheets; progress bars on a terminal.

pub mod csv_table;
pub mod decisions;
pub mod progress;
pub mod text;
pub mod xlsx;

/// Who did it, for the logs staff read: the login name, else `fallback` (`unknown` for a command,
/// `juchu` for cron's runs).
pub fn login_name(fallback: &str) -> String {
    std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| fallback.into())
}
