//! Decision tables (判定表) staff edit: input columns, output columns, one row per rule, hit policy
//! `first` (the first matching row wins; the default) or `collect` (every matching row, in order).
//!
//! ```yaml
//! name: 配送会社の上書き
//! inputs: [ship_to.prefecture, temperature]
//! outputs: [carrier]
//! rows:
//!   - [沖縄県, 常温, 日本郵便]
//!   - ["", "冷蔵, 冷凍", ヤマト運輸]
//! tests:
//!   - given: { ship_to.prefecture: 沖縄県, temperature: 常温 }
//!     expect: { carrier: 日本郵便 }
//! ```
//!
//! Rows are found through an index on the input column with the most exact cells, so a table of a
//! thousand rows costs about what one of ten does.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::cell::Test;
use super::expr::Expr;
use super::schema;
use super::value::Value;
use crate::config::diagnostic::{Diagnostic, Place};
use crate::config::yaml::{did_you_mean, Spanned, YamlFile};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitPolicy {
    First,
    Collect,
}

/// One row: its tests, its outputs, and where it is written.
#[derive(Debug, Clone)]
pub struct Rule {
    /// 1-based, as staff count rows.
    pub number: usize,
    pub tests: Vec<Test>,
    pub outputs: Vec<Expr>,
    pub place: Place,
}

/// A test a rule file carries: given these fields, expect these outputs.
#[derive(Debug, Clone)]
pub struct Example {
    pub name: String,
    pub given: BTreeMap<String, Value>,
    /// Expected outputs; `None` expects that no row matches.
    pub expect: Option<BTreeMap<String, Value>>,
    pub place: Place,
}

#[derive(Debug, Clone)]
pub struct DecisionTable {
    pub name: String,
    pub file: PathBuf,
    pub hit: HitPolicy,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub rules: Vec<Rule>,
    pub examples: Vec<Example>,
    index: Index,
}

/// Rows by the exact values of one input column, plus the rows that must always be tried.
#[derive(Debug, Clone, Default)]
struct Index {
    column: usize,
    by_value: HashMap<String, Vec<usize>>,
    always: Vec<usize>,
}

/// What one matching row sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub rule: usize,
    pub values: Vec<(String, Value)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    hit: Option<Spanned<String>>,
    inputs: Spanned<Vec<Spanned<String>>>,
    outputs: Spanned<Vec<Spanned<String>>>,
    rows: Vec<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    tests: Vec<Spanned<TestFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(default)]
    name: Option<String>,
    given: BTreeMap<String, Spanned<String>>,
    /// `expect: none` (or `~`) when no row may match.
    #[serde(default)]
    expect: Option<BTreeMap<String, Spanned<String>>>,
}

impl DecisionTable {
    /// Reads and compiles a YAML table; every problem is reported, not the first. Warnings come back
    /// beside the table.
    pub fn load_yaml(path: &Path) -> Result<(DecisionTable, Vec<Diagnostic>), Vec<Diagnostic>> {
        let file = YamlFile::read(path).map_err(|d| vec![d])?;
        let parsed: TableFile = file.parse().map_err(|d| vec![d])?;
        let mut diags = Vec::new();
        let hit = match parsed.hit.as_ref().map(|h| h.value.as_str()) {
            None | Some("first") => HitPolicy::First,
            Some("collect") => HitPolicy::Collect,
            Some(other) => {
                let h = parsed.hit.as_ref().expect("matched Some");
                diags.push(
                    Diagnostic::error("R001", format!("hit policy `{other}` is not known"))
                        .at(file.place_at(&h.referenced))
                        .help("write `first` (the first matching row wins) or `collect` (every matching row)"),
                );
                HitPolicy::First
            }
        };
        let field_names = schema::names();
        let outputs_allowed = schema::output_names();
        for input in &parsed.inputs.value {
            if schema::field(&input.value).is_none() {
                let hint = did_you_mean(&input.value, &field_names).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
                diags.push(
                    Diagnostic::error("R002", format!("`{}` is not a field of the order", input.value))
                        .at(file.place_at(&input.referenced))
                        .help(format!("{hint}fields: {}", field_names.join(", "))),
                );
            }
        }
        for output in &parsed.outputs.value {
            if !outputs_allowed.contains(&output.value.as_str()) {
                let hint = did_you_mean(&output.value, &outputs_allowed).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
                diags.push(
                    Diagnostic::error("R003", format!("`{}` cannot be set by a rule", output.value))
                        .at(file.place_at(&output.referenced))
                        .help(format!("{hint}rules can set: {}", outputs_allowed.join(", "))),
                );
            }
        }
        if parsed.outputs.value.is_empty() {
            diags.push(
                Diagnostic::error("R003", "a table needs at least one output column")
                    .at(file.place_at(&parsed.outputs.referenced))
                    .help(format!("name what the rows set, e.g. `outputs: [carrier]`; rules can set: {}", outputs_allowed.join(", "))),
            );
        }
        let (n_in, n_out) = (parsed.inputs.value.len(), parsed.outputs.value.len());
        let inputs: Vec<String> = parsed.inputs.value.iter().map(|s| s.value.clone()).collect();
        let outputs: Vec<String> = parsed.outputs.value.iter().map(|s| s.value.clone()).collect();
        let mut rules = Vec::new();
        for (n, row) in parsed.rows.iter().enumerate() {
            if row.value.len() != n_in + n_out {
                diags.push(
                    Diagnostic::error(
                        "R004",
                        format!("row {} has {} cells; the table has {n_in} input and {n_out} output columns", n + 1, row.value.len()),
                    )
                    .at(file.place_at(&row.referenced))
                    .help(format!(
                        "write the cells in this order: {}, then {}; an empty cell is \"\"",
                        inputs.join(", "),
                        outputs.join(", ")
                    )),
                );
                continue;
            }
            let mut tests = Vec::new();
            for cell in &row.value[..n_in] {
                match Test::parse(&cell.value) {
                    Ok(t) => tests.push(t),
                    Err(e) => {
                        diags.push(Diagnostic::error("R005", format!("cell `{}`: {e}", cell.value)).at(file.place_at(&cell.referenced)));
                        tests.push(Test::Any);
                    }
                }
            }
            let mut outs = Vec::new();
            for (k, cell) in row.value[n_in..].iter().enumerate() {
                match Expr::parse_cell(&cell.value) {
                    Ok(e) => {
                        let mut used = Vec::new();
                        e.fields(&mut used);
                        for f in used.iter().filter(|f| schema::field(f).is_none()) {
                            let hint = did_you_mean(f, &field_names).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
                            diags.push(
                                Diagnostic::error("R002", format!("`{f}` is not a field of the order"))
                                    .at(file.place_at(&cell.referenced))
                                    .help(format!("{hint}fields: {}", field_names.join(", "))),
                            );
                        }
                        if let (Expr::Lit(v), Some(field)) = (&e, schema::field(&outputs[k])) {
                            if !schema::fits(field, v) {
                                diags.push(
                                    Diagnostic::error(
                                        "R006",
                                        format!("`{}` is {}, but {} ({}) is {}", cell.value, v.kind(), field.name, field.label, field.kind),
                                    )
                                    .at(file.place_at(&cell.referenced)),
                                );
                            }
                        }
                        outs.push(e);
                    }
                    Err(e) => {
                        let mut place = file.place_at(&cell.referenced);
                        if let Place::Span { range, .. } = &mut place {
                            // Point at the character inside the cell when the cell is a plain scalar.
                            // Point at the character inside the cell (past an opening quote).
                            let src = file.text.get(range.clone()).unwrap_or("");
                            let quote = usize::from(src.starts_with(['"', '\'']));
                            let inner = range.start + quote + e.at;
                            if src[quote..].starts_with(cell.value.as_str()) && inner < range.end {
                                *range = inner..inner + 1;
                            }
                        }
                        diags.push(Diagnostic::error("R005", format!("cell `{}`: {}", cell.value, e.message)).at(place));
                        outs.push(Expr::Lit(Value::Null));
                    }
                }
            }
            rules.push(Rule { number: n + 1, tests, outputs: outs, place: file.place_at(&row.referenced) });
        }
        let mut examples = Vec::new();
        for (n, t) in parsed.tests.iter().enumerate() {
            let check_fields = |map: &BTreeMap<String, Spanned<String>>, allowed: &[&str], diags: &mut Vec<Diagnostic>| {
                for (k, v) in map {
                    if !allowed.contains(&k.as_str()) {
                        let hint = did_you_mean(k, allowed).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
                        diags.push(
                            Diagnostic::error("R007", format!("test {}: `{k}` is not a column of this table", n + 1))
                                .at(file.place_at(&v.referenced))
                                .help(format!("{hint}columns: {}", allowed.join(", "))),
                        );
                    }
                }
            };
            let mut readable: Vec<&str> = inputs.iter().map(String::as_str).collect();
            for r in &rules {
                for e in &r.outputs {
                    let mut used = Vec::new();
                    e.fields(&mut used);
                    for u in used {
                        if let Some(f) = schema::field(&u) {
                            if !readable.contains(&f.name) {
                                readable.push(f.name);
                            }
                        }
                    }
                }
            }
            check_fields(&t.value.given, &readable, &mut diags);
            let out_names: Vec<&str> = outputs.iter().map(String::as_str).collect();
            if let Some(expect) = &t.value.expect {
                check_fields(expect, &out_names, &mut diags);
            }
            examples.push(Example {
                name: t.value.name.clone().unwrap_or_else(|| format!("test {}", n + 1)),
                given: t.value.given.iter().map(|(k, v)| (k.clone(), Value::literal(&v.value))).collect(),
                expect: t.value.expect.as_ref().map(|e| e.iter().map(|(k, v)| (k.clone(), Value::literal(&v.value))).collect()),
                place: file.place_at(&t.referenced),
            });
        }
        // Rows that can never match under `first`: an earlier row covers every value of theirs.
        // (Only for tables that compiled: a broken cell reads as "anything".)
        if hit == HitPolicy::First && !diags.iter().any(Diagnostic::is_error) {
            for (i, r) in rules.iter().enumerate() {
                if let Some(earlier) =
                    rules[..i].iter().find(|e| r.tests.iter().zip(&e.tests).all(|(mine, theirs)| mine.covered_by(theirs)))
                {
                    diags.push(
                        Diagnostic::warning(
                            "R008",
                            format!("row {} can never match: row {} comes first and matches everything it does", r.number, earlier.number),
                        )
                        .at(r.place.clone())
                        .help("move the narrower row above the wider one, or delete it"),
                    );
                }
            }
        }
        if diags.iter().any(Diagnostic::is_error) {
            return Err(diags);
        }
        let name = parsed.name.unwrap_or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default());
        let index = Index::build(&rules, n_in);
        Ok((DecisionTable { name, file: path.to_path_buf(), hit, inputs, outputs, rules, examples, index }, diags))
    }

    /// The rows that match, by the hit policy, with what they set.
    pub fn evaluate(&self, get: &dyn Fn(&str) -> Value) -> Result<Vec<Hit>, String> {
        let values: Vec<Value> = self.inputs.iter().map(|f| get(f)).collect();
        let mut hits = Vec::new();
        for i in self.index.candidates(&values) {
            let rule = &self.rules[i];
            if rule.tests.iter().zip(&values).all(|(t, v)| t.matches(v)) {
                let mut set = Vec::with_capacity(self.outputs.len());
                for (name, e) in self.outputs.iter().zip(&rule.outputs) {
                    let v = e.eval(get).map_err(|err| format!("{} row {}: {name}: {err}", self.name, rule.number))?;
                    set.push((name.clone(), v));
                }
                hits.push(Hit { rule: rule.number, values: set });
                if self.hit == HitPolicy::First {
                    break;
                }
            }
        }
        Ok(hits)
    }
}

impl Index {
    fn build(rules: &[Rule], n_inputs: usize) -> Index {
        // Index the column where most rows have exact values.
        let column = (0..n_inputs).max_by_key(|c| rules.iter().filter(|r| r.tests[*c].exact_values().is_some()).count()).unwrap_or(0);
        let mut index = Index { column, ..Default::default() };
        for (i, r) in rules.iter().enumerate() {
            match r.tests.get(column).and_then(Test::exact_values) {
                Some(values) => {
                    for v in values {
                        index.by_value.entry(v.to_string()).or_default().push(i);
                    }
                }
                None => index.always.push(i),
            }
        }
        index
    }

    /// Candidate rows in table order.
    fn candidates(&self, values: &[Value]) -> Vec<usize> {
        let Some(v) = values.get(self.column) else { return self.always.clone() };
        let found = self.by_value.get(&v.to_string()).map(Vec::as_slice).unwrap_or(&[]);
        // Merge two ascending lists.
        let (mut a, mut b, mut out) = (0, 0, Vec::with_capacity(found.len() + self.always.len()));
        while a < found.len() || b < self.always.len() {
            if b >= self.always.len() || (a < found.len() && found[a] < self.always[b]) {
                out.push(found[a]);
                a += 1;
            } else {
                out.push(self.always[b]);
                b += 1;
            }
        }
        out.dedup();
        out
    }
}
