//! `juchu explain ORDER`: one order's enriched values, where each came from, and its ten checks,
//! the way staff ask "why does this order say 佐川急便?".

use unicode_width::UnicodeWidthStr;

use crate::domain::checks::{CheckResult, CHECK_NAMES};
use crate::domain::lang::{self, Lang};
use crate::pipeline::runner::RunOptions;
use crate::store::enrichment::{Lookup, StoredText};
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

fn render(store: &Store, order_number: &str, mall: Option<&str>) -> anyhow::Result<Option<String>> {
    let lang = lang::current();
    let order = match store.enriched_order(order_number, mall)? {
        Lookup::Found(order) => order,
        Lookup::NotEnriched => return Ok(None),
        Lookup::AtSeveralMalls(malls) => {
            anyhow::bail!("order number `{order_number}` is at several malls ({}): add --mall with one of them", malls.join(", "))
        }
    };
    let shown_values: Vec<(&str, String, &str)> = order
        .values
        .iter()
        .map(|(f, value, source)| {
            let value = match value {
                StoredText::Value(v) => v.clone(),
                StoredText::Tax(t) => t.map(|(s, r)| match lang {
                    Lang::Ja => format!("10 %: {s}円, 8 %: {r}円"),
                    Lang::En => format!("10 %: {s} yen, 8 %: {r} yen"),
                }),
            };
            (f.label().get(lang), value.unwrap_or_else(|| "—".into()), source.as_str())
        })
        .collect();
    let mut out = format!("{}/{}/{}\n", order.mall, order.shop, order.order_number);
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
    let name_width = CHECK_NAMES.iter().map(|n| n.get(lang).width()).max().unwrap_or(0);
    for c in &order.checks {
        let mark = match c.result {
            CheckResult::Pass => "✓",
            CheckResult::Fail => "✗",
            CheckResult::NotApplicable => "-",
        };
        let name = CHECK_NAMES.get(c.no as usize - 1).map(|n| n.get(lang)).unwrap_or_default();
        out.push_str(&format!("  {mark} {:>2} {name}{}  {}\n", c.no, " ".repeat(name_width.saturating_sub(name.width())), c.reason));
    }
    let fired = &order.fired_rules;
    out.push_str(&format!("rules fired: {}\n", if fired.is_empty() { "none" } else { fired }));
    Ok(Some(out))
}
