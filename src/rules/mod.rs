//! Rules staff edit: decision tables (YAML), their cells and expressions, and the tests a rule file
//! carries (`juchu test`).

pub mod cell;
pub mod enrich;
pub mod expr;
pub mod schema;
pub mod table;
pub mod value;

use std::collections::BTreeMap;

use table::{DecisionTable, Example, HitPolicy};
use value::Value;

/// What one example of a table gave.
#[derive(Debug, Clone)]
pub struct ExampleOutcome {
    pub name: String,
    /// `(field, expected, got)` for every field that differs; empty = passed.
    pub differences: Vec<(String, String, String)>,
    /// The rows that matched (1-based).
    pub rows: Vec<usize>,
    pub place: crate::config::diagnostic::Place,
}

impl ExampleOutcome {
    pub fn passed(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Runs a table's examples. Values compare as staff read them (`880` equals `"880"`); under
/// `collect`, a field's value is every matching row's, joined with `, `.
pub fn run_examples(table: &DecisionTable) -> Vec<ExampleOutcome> {
    table.examples.iter().map(|ex| run_example(table, ex)).collect()
}

fn run_example(table: &DecisionTable, ex: &Example) -> ExampleOutcome {
    let get = |f: &str| ex.given.get(f).cloned().unwrap_or(Value::Null);
    let mut differences = Vec::new();
    let (got, rows): (BTreeMap<String, String>, Vec<usize>) = match table.evaluate(&get) {
        Ok(hits) => {
            let rows = hits.iter().map(|h| h.rule).collect();
            let mut got: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for h in &hits {
                for (k, v) in &h.values {
                    got.entry(k.to_string()).or_default().push(v.to_string());
                }
            }
            let joined =
                got.into_iter().map(|(k, v)| (k, if table.hit == HitPolicy::First { v[0].clone() } else { v.join(", ") })).collect();
            (joined, rows)
        }
        Err(e) => {
            differences.push(("(evaluation)".into(), "a value".into(), e));
            (BTreeMap::new(), Vec::new())
        }
    };
    match &ex.expect {
        None if !rows.is_empty() => {
            differences.push(("(rows)".into(), "no row matches".into(), format!("row {} matched", rows[0])));
        }
        None => {}
        Some(expect) => {
            for (field, want) in expect {
                let have = got.get(field).cloned();
                let want = want.to_string();
                if have.as_deref() != Some(want.as_str()) {
                    differences.push((field.clone(), want, have.unwrap_or_else(|| "nothing (no row matched)".into())));
                }
            }
        }
    }
    ExampleOutcome { name: ex.name.clone(), differences, rows, place: ex.place.clone() }
}
