//! `juchu explain ORDER`: one order's enriched values, where each came from, and its ten checks,
//! the way staff ask "why does this order say 佐川急便?".

use duckdb::params;
use unicode_width::UnicodeWidthStr;

use crate::domain::checks::CHECK_NAMES;
use crate::domain::fields::{self, Column, Field};
use crate::domain::lang::{self, Lang};
use crate::pipeline::runner::RunOptions;
use crate::store::Store;
use crate::ExitStatus;

pub fn explain(order_number: &str, mall: Option<&str>, opts: &RunOptions) -> ExitStatus {
    let (store, path) = match super::query::open_read_only(opts) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    match render(&store, order_number, mall) {
        Ok(Some(text)) => {
            print!("{text}");
            ExitStatus::Success
        }
        Ok(None) => {
            eprintln!(
                "error: no enriched order `{order_number}`{} in {}",
                mall.map(|m| format!(" at {m}")).unwrap_or_default(),
                path.display()
            );
            eprintln!("  = help: check the number with `juchu query \"select mall, order_number from orders\"`; orders are enriched by the `enrich` stage");
            ExitStatus::Usage
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitStatus::Internal
        }
    }
}

/// The fields shown: the catalog's stored fields that say where they came from.
fn shown() -> impl Iterator<Item = Field> {
    fields::stored().iter().copied().filter(|f| !matches!(f.def().column, Column::None | Column::Value { source: None, .. }))
}

fn render(store: &Store, order_number: &str, mall: Option<&str>) -> anyhow::Result<Option<String>> {
    let lang = lang::current();
    // Each field as (value as text, source); the tax as its two rates.
    let columns: Vec<String> = shown()
        .map(|f| match f.def().column {
            Column::Tax { standard, reduced, source } => format!("{standard}, {reduced}, {source}"),
            Column::Value { value, source: Some(source) } => format!("{value}::VARCHAR AS {value}, NULL, {source}"),
            column => unreachable!("{column:?} is not shown"),
        })
        .collect();
    let sql = format!(
        "SELECT mall, shop, order_number, fired_rules, {} FROM order_enrichment
         WHERE order_number = ? AND (? IS NULL OR mall = ?) ORDER BY mall",
        columns.join(", ")
    );
    let mut stmt = store.conn.prepare(&sql)?;
    let mut rows = stmt.query(params![order_number, mall, mall])?;
    let Some(row) = rows.next()? else { return Ok(None) };
    let (mall, shop, number): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
    let fired: String = row.get(3)?;
    let mut shown_values = Vec::new();
    for (k, f) in shown().enumerate() {
        let at = 4 + 3 * k;
        let value: Option<String> = match f.def().column {
            Column::Tax { .. } => {
                let (standard, reduced): (Option<i64>, Option<i64>) = (row.get(at)?, row.get(at + 1)?);
                standard.zip(reduced).map(|(s, r)| match lang {
                    Lang::Ja => format!("10 %: {s}円, 8 %: {r}円"),
                    Lang::En => format!("10 %: {s} yen, 8 %: {r} yen"),
                })
            }
            _ => row.get(at)?,
        };
        let source: Option<String> = row.get(at + 2)?;
        shown_values.push((f.label().get(lang), value.unwrap_or_else(|| "—".into()), source.unwrap_or_default()));
    }
    let mut malls = vec![mall.clone()];
    while let Some(other) = rows.next()? {
        malls.push(other.get(0)?);
    }
    anyhow::ensure!(
        malls.len() < 2,
        "order number `{order_number}` is at several malls ({}): add --mall with one of them",
        malls.join(", ")
    );
    let mut out = format!("{mall}/{shop}/{number}\n");
    let width = shown_values.iter().map(|(l, _, _)| l.width()).max().unwrap_or(0);
    let value_width = shown_values.iter().map(|(_, v, _)| v.width()).max().unwrap_or(0).min(40);
    for (label, value, source) in &shown_values {
        out.push_str(&format!(
            "  {label}{}  {value}{}  {source}\n",
            " ".repeat(width - label.width()),
            " ".repeat(value_width.saturating_sub(value.width()))
        ));
    }
    out.push_str("checks\n");
    let name = if lang == Lang::En { "check_name_en" } else { "check_name" };
    let mut stmt = store.conn.prepare(&format!(
        "SELECT check_no, {name}, result, coalesce(reason, '') FROM order_checks WHERE mall = ? AND shop = ? AND order_number = ? ORDER BY check_no"
    ))?;
    let checks = stmt.query_map(params![mall, shop, number], |r| {
        Ok((r.get::<_, i32>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
    })?;
    let name_width = CHECK_NAMES.iter().map(|n| n.get(lang).width()).max().unwrap_or(0);
    for c in checks {
        let (no, name, result, reason) = c?;
        let mark = match result.as_str() {
            "pass" => "✓",
            "fail" => "✗",
            _ => "-",
        };
        out.push_str(&format!("  {mark} {no:>2} {name}{}  {reason}\n", " ".repeat(name_width.saturating_sub(name.width()))));
    }
    out.push_str(&format!("rules fired: {}\n", if fired.is_empty() { "none" } else { &fired }));
    Ok(Some(out))
}
