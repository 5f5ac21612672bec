//! Files in and out: text encodings (CP932), CSV tables with line numbers, XLSX sheets.

pub mod csv_table;
pub mod text;
pub mod xlsx;
