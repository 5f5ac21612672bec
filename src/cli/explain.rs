//! `juchu explain ORDER`: one order's enriched values, where each came from, and its ten checks,
//! the way staff ask "why does this order say 佐川急便?".

use duckdb::params;
use unicode_width::UnicodeWidthStr;

use crate::pipeline::runner::RunOptions;
use crate::store::Store;
use crate::ExitStatus;

/// The values shown, as (column, label staff use).
const VALUES: &[(&str, &str)] = &[
    ("logistics_company", "物流会社"),
    ("carrier", "配送会社"),
    ("shipments", "分割出荷"),
    ("ship_date", "出荷予定日"),
    ("desired_date", "お届け希望日"),
    ("desired_time_slot", "お届け時間帯"),
    ("remote_island", "離島"),
    ("sender", "送付元"),
    ("payment_method", "決済方法"),
    ("option_total", "オプション金額"),
    ("shipping_fee", "送料"),
    ("cod_fee", "代引手数料"),
    ("payment_fee", "決済手数料"),
    ("billing_total", "請求金額"),
    ("tax", "消費税"),
    ("customer_rank", "顧客ランク"),
];

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
            ExitStatus::RecordsFailed
        }
    }
}

fn render(store: &Store, order_number: &str, mall: Option<&str>) -> anyhow::Result<Option<String>> {
    let columns: Vec<String> = VALUES
        .iter()
        .map(|(c, _)| match *c {
            "tax" => "'10 %: ' || tax_10 || ' yen, 8 %: ' || tax_8 || ' yen' AS tax, tax_source".to_string(),
            c => format!("{c}::VARCHAR AS {c}, {c}_source"),
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
    let mut shown = Vec::new();
    for (k, (_, label)) in VALUES.iter().enumerate() {
        let value: Option<String> = row.get(4 + 2 * k)?;
        let source: Option<String> = row.get(5 + 2 * k)?;
        shown.push((label, value.unwrap_or_else(|| "—".into()), source.unwrap_or_default()));
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
    let width = VALUES.iter().map(|(_, l)| l.width()).max().unwrap_or(0);
    let value_width = shown.iter().map(|(_, v, _)| v.width()).max().unwrap_or(0).min(40);
    for (label, value, source) in &shown {
        out.push_str(&format!(
            "  {label}{}  {value}{}  {source}\n",
            " ".repeat(width - label.width()),
            " ".repeat(value_width.saturating_sub(value.width()))
        ));
    }
    out.push_str("checks\n");
    let mut stmt = store.conn.prepare(
        "SELECT check_no, check_name, result, coalesce(reason, '') FROM order_checks WHERE mall = ? AND shop = ? AND order_number = ? ORDER BY check_no",
    )?;
    let checks = stmt.query_map(params![mall, shop, number], |r| {
        Ok((r.get::<_, i32>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
    })?;
    let name_width = crate::domain::enrichment::CHECK_NAMES.iter().map(|n| n.width()).max().unwrap_or(0);
    for c in checks {
        let (no, name, result, reason) = c?;
        let mark = match result.as_str() {
            "pass" => "✓",
            "fail" => "✗",
            _ => "-",
        };
        out.push_str(&format!("  {mark} {no:>2} {name}{}  {reason}\n", " ".repeat(name_width - name.width())));
    }
    out.push_str(&format!("rules fired: {}\n", if fired.is_empty() { "none" } else { &fired }));
    Ok(Some(out))
}
