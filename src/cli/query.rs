//! `juchu query "SQL"`: read-only SQL over the store, as a table, CSV or JSON.

use std::path::PathBuf;

use clap::ValueEnum;
use duckdb::types::ValueRef;
use unicode_width::UnicodeWidthStr;

use crate::domain::lang::pick;
use crate::pipeline::runner::RunOptions;
use crate::store::Store;
use crate::ExitStatus;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// The store the read-only commands (`query`, `explain`) open: `--store`, else
/// `state/juchu.duckdb` in the current folder. A missing store is a usage error (2); one a run is
/// writing is waited for a few seconds, then "try again" (75); one that exists but cannot be opened
/// is internal (70). Each is said on stderr.
pub fn open_read_only(opts: &RunOptions) -> Result<(Store, PathBuf), ExitStatus> {
    let path = opts.store.clone().unwrap_or_else(|| PathBuf::from("state/juchu.duckdb"));
    open_read_only_at(path)
}

/// The store (`--store`, else `state/juchu.duckdb` here) under the run lock, for a command that
/// writes without a pipeline; a store that is not there is a usage error, not a new empty store.
pub fn open_for_writing(opts: &RunOptions, what: &str) -> Result<(crate::store::RunLock, Store), ExitStatus> {
    let path = opts.store.clone().unwrap_or_else(|| PathBuf::from("state/juchu.duckdb"));
    if !path.exists() {
        eprintln!("error: {}", pick(format!("ストア {} がありません", path.display()), format!("no store at {}", path.display())));
        eprintln!("  help: {}", pick("--store でストアを指定してください", "name the store with --store"));
        return Err(ExitStatus::Usage);
    }
    crate::pipeline::runner::lock_and_open(&path, what)
}

/// Opens the store at `path` read-only, saying on stderr why not (as [`open_read_only`]).
pub fn open_read_only_at(path: PathBuf) -> Result<(Store, PathBuf), ExitStatus> {
    match Store::open_read_only(&path) {
        Ok(s) => Ok((s, path)),
        Err(e) if e.downcast_ref::<crate::store::StoreBusy>().is_some() => {
            let busy = e.downcast_ref::<crate::store::StoreBusy>().expect("checked");
            eprintln!("error: {busy}");
            eprintln!("  help: {}", busy.help());
            Err(ExitStatus::Locked)
        }
        Err(e) if !path.exists() => {
            eprintln!("error: {e:#}");
            Err(ExitStatus::Usage)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            eprintln!("  help: {} (exit 70)", crate::store::open_failure_help(&path));
            Err(ExitStatus::Internal)
        }
    }
}

/// `raw`: CSV cells exactly as stored, without the guard against spreadsheet formulas.
pub fn query(sql: &str, format: Format, raw: bool, opts: &RunOptions) -> ExitStatus {
    let store = match open_read_only(opts) {
        Ok((s, _)) => s,
        Err(status) => return status,
    };
    match run_sql(&store, sql) {
        Ok((columns, rows)) => {
            match format {
                Format::Table => {
                    let text: Vec<Vec<String>> =
                        rows.iter().map(|r| r.iter().map(|c| c.clone().unwrap_or_else(|| "NULL".into())).collect()).collect();
                    print!("{}", render_table(&columns, &text))
                }
                Format::Csv => {
                    let numeric = if raw { None } else { numeric_columns(&store, sql) };
                    print!("{}", render_csv(&columns, &rows, numeric.as_deref(), !raw));
                }
                Format::Json => {
                    let out: Vec<serde_json::Value> = rows
                        .iter()
                        .map(|r| {
                            let obj = columns
                                .iter()
                                .zip(r)
                                .map(|(c, v)| (c.clone(), v.clone().map(serde_json::Value::String).unwrap_or(serde_json::Value::Null)));
                            serde_json::Value::Object(obj.collect())
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
                }
            }
            ExitStatus::Success
        }
        Err(e) => {
            eprintln!("error: the query failed: {e}");
            eprintln!("  help: the store is opened read-only; `juchu query \"show tables\"` lists the tables");
            ExitStatus::Usage
        }
    }
}

type Rows = Vec<Vec<Option<String>>>;

/// CSV, quoted where needed. With `guard`, a text cell a spreadsheet would run as a formula (it
/// starts with = + - @, a tab or CR: OWASP's CSV injection) gets a leading `'` inside quotes, so
/// Excel shows the text instead of running it; numbers stay as they are (`-300` is not a formula).
/// `numeric` says which columns are numbers; without it a cell counts as a number when all of it is one.
pub fn render_csv(columns: &[String], rows: &Rows, numeric: Option<&[bool]>, guard: bool) -> String {
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = (usize, Option<&str>)>, header: bool| {
        let mut fields = Vec::new();
        for (i, cell) in cells {
            let text = cell.unwrap_or("");
            let is_number = !header && numeric.and_then(|n| n.get(i).copied()).unwrap_or_else(|| looks_numeric(text));
            let formula = guard && !is_number && text.starts_with(['=', '+', '-', '@', '\t', '\r']);
            fields.push(if formula {
                format!("\"'{}\"", text.replace('"', "\"\""))
            } else if text.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", text.replace('"', "\"\""))
            } else {
                text.to_string()
            });
        }
        // A record of one empty field is written `""`, so the line is not lost.
        if fields.len() == 1 && fields[0].is_empty() {
            fields[0] = "\"\"".into();
        }
        out.push_str(&fields.join(","));
        out.push('\n');
    };
    line(&mut columns.iter().map(|c| Some(c.as_str())).enumerate(), true);
    for r in rows {
        line(&mut r.iter().map(|c| c.as_deref()).enumerate(), false);
    }
    out
}

/// The whole text is one number: `-300`, `+1.5`, `2e-3`.
fn looks_numeric(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match t.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['-', '+']).unwrap_or(e))),
        None => (t, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !(int.is_empty() && frac.is_empty()) && digits(int) && digits(frac) && exponent.is_none_or(|e| !e.is_empty() && digits(e))
}

/// Which of the query's columns are numbers, by their types (`DESCRIBE`); None when DuckDB cannot
/// describe the statement (PRAGMA, SHOW …): the cells are then judged one by one.
fn numeric_columns(store: &Store, sql: &str) -> Option<Vec<bool>> {
    let trimmed = sql.trim().trim_end_matches(';');
    let mut stmt = store.conn.prepare(&format!("DESCRIBE SELECT * FROM ({trimmed})")).ok()?;
    let mut rows = stmt.query([]).ok()?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().ok()? {
        let ty: String = row.get(1).ok()?;
        let ty = ty.to_ascii_uppercase();
        out.push(
            ty.starts_with("DECIMAL")
                || matches!(
                    ty.as_str(),
                    "TINYINT"
                        | "SMALLINT"
                        | "INTEGER"
                        | "BIGINT"
                        | "HUGEINT"
                        | "UTINYINT"
                        | "USMALLINT"
                        | "UINTEGER"
                        | "UBIGINT"
                        | "UHUGEINT"
                        | "FLOAT"
                        | "DOUBLE"
                ),
        );
    }
    Some(out)
}

/// Runs SQL, every value as text (NULL as None).
pub fn run_sql(store: &Store, sql: &str) -> duckdb::Result<(Vec<String>, Rows)> {
    let trimmed = sql.trim().trim_end_matches(';');
    // Casting in SQL gives DuckDB's own text for every type (dates, decimals, lists).
    let wrapped = format!("SELECT COLUMNS(*)::VARCHAR FROM ({trimmed})");
    let mut stmt = match store.conn.prepare(&wrapped) {
        Ok(s) => s,
        Err(_) => store.conn.prepare(trimmed)?,
    };
    let mut rows = stmt.query([])?;
    let columns: Vec<String> = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut r = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            r.push(match row.get_ref(i)? {
                ValueRef::Null => None,
                ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Boolean(b) => Some(b.to_string()),
                ValueRef::Int(v) => Some(v.to_string()),
                ValueRef::BigInt(v) => Some(v.to_string()),
                other => Some(format!("{other:?}")),
            });
        }
        out.push(r);
    }
    Ok((columns, out))
}

/// An aligned text table; widths count full-width characters as two columns.
pub fn render_table(columns: &[String], rows: &[Vec<String>]) -> String {
    let cell = |s: &str| s.replace('\n', "⏎");
    let mut widths: Vec<usize> = columns.iter().map(|c| c.width()).collect();
    let texts: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| cell(c)).collect()).collect();
    for r in &texts {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.width()).min(60);
            }
        }
    }
    let line = |cells: &[String]| -> String {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = widths.get(i).copied().unwrap_or(0);
                let c = truncate(c, w);
                format!("{c}{}", " ".repeat(w.saturating_sub(c.width())))
            })
            .collect();
        format!("{}\n", parts.join(" │ ").trim_end())
    };
    let mut out = line(columns);
    out.push_str(&widths.iter().map(|w| "─".repeat(*w)).collect::<Vec<_>>().join("─┼─"));
    out.push('\n');
    for r in &texts {
        out.push_str(&line(r));
    }
    out.push_str(&format!("({} row{})\n", rows.len(), if rows.len() == 1 { "" } else { "s" }));
    out
}

fn truncate(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    for ch in s.chars() {
        if (out.as_str().width() + unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0)) >= width {
            out.push('…');
            break;
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_column_types_a_cell_that_is_all_one_number_is_left_alone() {
        let columns = vec!["v".to_string()];
        let rows: Rows =
            ["-300", "+1.5", "2e-3", "-.5", "-", "-3a", "-1+2", "=1", "1e", "", "x"].iter().map(|v| vec![Some(v.to_string())]).collect();
        let csv = render_csv(&columns, &rows, None, true);
        assert_eq!(csv, "v\n-300\n+1.5\n2e-3\n-.5\n\"'-\"\n\"'-3a\"\n\"'-1+2\"\n\"'=1\"\n1e\n\"\"\nx\n");
        // A header is text too.
        assert_eq!(render_csv(&["=cmd".to_string()], &Vec::new(), None, true), "\"'=cmd\"\n");
        assert_eq!(render_csv(&["=cmd".to_string()], &Vec::new(), None, false), "=cmd\n");
    }
}
