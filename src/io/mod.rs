//! Files in and out: text encodings (CP932), CSV tables with line numbers, XLSX sheets; progress bars on a terminal.

pub mod csv_table;
pub mod decisions;
pub mod progress;
pub mod text;
pub mod xlsx;
