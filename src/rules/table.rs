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
use crate::config::yaml::{did_you_mean, did_you_mean_hint, Spanned, YamlFile};
use crate::domain::fields::{FieldDef, Kind};
use crate::domain::lang::pick;

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
pub struct Hit<'t> {
    pub rule: usize,
    pub values: Vec<(&'t str, Value)>,
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

/// A cell as written, with its place (`file:line:col` or `book.xlsx!Sheet!C12`).
#[derive(Debug, Clone)]
struct RawCell {
    text: String,
    place: Place,
}

/// A test as written: given fields, expected outputs (None = no row may match).
struct RawTest {
    name: Option<String>,
    given: Vec<(String, RawCell)>,
    expect: Option<Vec<(String, RawCell)>>,
    place: Place,
}

/// A table as written, in YAML or in a sheet, before it is compiled.
struct RawTable {
    name: String,
    file: PathBuf,
    hit: Option<RawCell>,
    inputs: Vec<RawCell>,
    outputs: Vec<RawCell>,
    /// Where the header is, for a table without outputs.
    header: Place,
    rows: Vec<(Place, Vec<RawCell>)>,
    tests: Vec<RawTest>,
}

impl DecisionTable {
    /// Reads a rule file: a YAML table, or a workbook whose every sheet is a table (a sheet named
    /// `<table> tests` or `<table>テスト` holds that table's tests). Every problem is reported, not
    /// the first; warnings come back beside the tables.
    pub fn load(path: &Path) -> Result<(Vec<DecisionTable>, Vec<Diagnostic>), Vec<Diagnostic>> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        let raws = if ext == "xlsx" || ext == "xlsm" { raw_from_xlsx(path)? } else { vec![raw_from_yaml(path)?] };
        let mut tables = Vec::new();
        let mut diags = Vec::new();
        let mut failed = false;
        for raw in raws {
            match compile(raw) {
                Ok((t, w)) => {
                    tables.push(t);
                    diags.extend(w);
                }
                Err(d) => {
                    failed = true;
                    diags.extend(d);
                }
            }
        }
        if failed {
            Err(diags)
        } else {
            Ok((tables, diags))
        }
    }

    /// The rows that match, by the hit policy, with what they set.
    pub fn evaluate(&self, get: &dyn Fn(&str) -> Value) -> Result<Vec<Hit<'_>>, String> {
        let values: Vec<Value> = self.inputs.iter().map(|f| get(f)).collect();
        let mut hits = Vec::new();
        for &i in self.index.candidates(&values).iter() {
            let rule = &self.rules[i];
            if rule.tests.iter().zip(&values).all(|(t, v)| t.matches(v)) {
                let mut set = Vec::with_capacity(self.outputs.len());
                for (name, e) in self.outputs.iter().zip(&rule.outputs) {
                    let v = e.eval(get).map_err(|err| format!("{} row {}: {name}: {err}", self.name, rule.number))?;
                    set.push((name.as_str(), v));
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

fn raw_from_yaml(path: &Path) -> Result<RawTable, Vec<Diagnostic>> {
    let file = YamlFile::read(path).map_err(|d| vec![d])?;
    let parsed: TableFile = file.parse().map_err(|d| vec![d])?;
    let cell = |s: &Spanned<String>| RawCell { text: s.value.clone(), place: file.place_at(&s.referenced) };
    let pairs = |m: &BTreeMap<String, Spanned<String>>| m.iter().map(|(k, v)| (k.clone(), cell(v))).collect::<Vec<_>>();
    Ok(RawTable {
        name: parsed.name.clone().unwrap_or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()),
        file: path.to_path_buf(),
        hit: parsed.hit.as_ref().map(cell),
        inputs: parsed.inputs.value.iter().map(cell).collect(),
        outputs: parsed.outputs.value.iter().map(cell).collect(),
        header: file.place_at(&parsed.outputs.referenced),
        rows: parsed.rows.iter().map(|r| (file.place_at(&r.referenced), r.value.iter().map(cell).collect())).collect(),
        tests: parsed
            .tests
            .iter()
            .map(|t| RawTest {
                name: t.value.name.clone(),
                given: pairs(&t.value.given),
                expect: t.value.expect.as_ref().map(pairs),
                place: file.place_at(&t.referenced),
            })
            .collect(),
    })
}

/// An output column's header in a sheet: `出力:carrier` or `→ carrier` (not `=…`: Excel would take
/// that for a formula).
fn output_header(h: &str) -> Option<&str> {
    ["出力:", "出力：", "→", "=>"].iter().find_map(|p| h.strip_prefix(p)).map(str::trim)
}

/// Every sheet of a workbook is a table: row 1 the headers (inputs, then `出力:field` columns), one
/// rule per row below; an optional first row `hit: collect`. A sheet `<name> tests` / `<name>テスト`
/// has a `name` column, given fields and `出力:field` expectations (`~` in every one: no match).
fn raw_from_xlsx(path: &Path) -> Result<Vec<RawTable>, Vec<Diagnostic>> {
    let mut book = crate::io::xlsx::Workbook::open(path).map_err(|d| vec![d])?;
    let names = book.sheet_names();
    let test_sheet = |n: &str| n.strip_suffix(" tests").or_else(|| n.strip_suffix("テスト")).map(|b| b.trim().to_string());
    let mut tables = Vec::new();
    let mut tests: Vec<(String, crate::io::xlsx::Sheet)> = Vec::new();
    for name in &names {
        let sheet = book.sheet(name).map_err(|d| vec![d])?;
        match test_sheet(name) {
            Some(table) => tests.push((table, sheet)),
            None => tables.push(sheet),
        }
    }
    let place = |sh: &crate::io::xlsx::Sheet, r: usize, c: usize, text: &str| Place::Cell {
        book: path.to_path_buf(),
        sheet: sh.name.clone(),
        cell: crate::config::diagnostic::cell_name(sh.row0 + r, sh.col0 + c),
        text: Some(text.to_string()).filter(|t| !t.is_empty()),
    };
    let mut out = Vec::new();
    for sh in &tables {
        let mut first = 0;
        let mut hit = None;
        if let Some(a1) = sh.rows.first().and_then(|r| r.first()) {
            if let Some(policy) = a1.strip_prefix("hit:").or_else(|| a1.strip_prefix("ヒットポリシー:")) {
                hit = Some(RawCell { text: policy.trim().to_string(), place: place(sh, 0, 0, a1) });
                first = 1;
            }
        }
        let header: Vec<String> = sh.rows.get(first).cloned().unwrap_or_default();
        let (mut inputs, mut outputs, mut in_cols, mut out_cols) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (c, h) in header.iter().enumerate().filter(|(_, h)| !h.is_empty()) {
            match output_header(h) {
                Some(f) => {
                    outputs.push(RawCell { text: f.to_string(), place: place(sh, first, c, h) });
                    out_cols.push(c);
                }
                None => {
                    inputs.push(RawCell { text: h.clone(), place: place(sh, first, c, h) });
                    in_cols.push(c);
                }
            }
        }
        let rows = sh
            .rows
            .iter()
            .enumerate()
            .skip(first + 1)
            .filter(|(_, r)| r.iter().any(|c| !c.is_empty()))
            .map(|(i, r)| {
                let at = |c: usize| {
                    let text = r.get(c).cloned().unwrap_or_default();
                    RawCell { place: place(sh, i, c, &text), text }
                };
                (place(sh, i, 0, ""), in_cols.iter().chain(&out_cols).map(|c| at(*c)).collect())
            })
            .collect();
        let mut raw_tests = Vec::new();
        for (_, t) in tests.iter().filter(|(table, _)| *table == sh.name) {
            let header = t.rows.first().cloned().unwrap_or_default();
            for (i, r) in t.rows.iter().enumerate().skip(1).filter(|(_, r)| r.iter().any(|c| !c.is_empty())) {
                let (mut given, mut expect, mut name) = (Vec::new(), Vec::new(), None);
                for (c, h) in header.iter().enumerate().filter(|(_, h)| !h.is_empty()) {
                    let text = r.get(c).cloned().unwrap_or_default();
                    let cell = RawCell { place: place(t, i, c, &text), text: text.clone() };
                    match (h.as_str(), output_header(h)) {
                        ("name" | "テスト名", _) => name = Some(text),
                        (_, Some(f)) if !text.is_empty() => expect.push((f.to_string(), cell)),
                        (_, Some(_)) => {}
                        _ if !text.is_empty() => given.push((h.clone(), cell)),
                        _ => {}
                    }
                }
                let none = !expect.is_empty() && expect.iter().all(|(_, c)| c.text == "~");
                raw_tests.push(RawTest { name, given, expect: if none { None } else { Some(expect) }, place: place(t, i, 0, "") });
            }
        }
        out.push(RawTable {
            name: sh.name.clone(),
            file: path.to_path_buf(),
            hit,
            inputs,
            outputs,
            header: place(sh, first, 0, ""),
            rows,
            tests: raw_tests,
        });
    }
    Ok(out)
}

/// R002 for a name rules cannot read: not a field, or one rules only set (`split`, `hold`).
fn unreadable(name: &str, field_names: &[&str]) -> Option<Diagnostic> {
    match schema::field(name) {
        Some(f) if f.rules.read() => None,
        Some(f) => Some(
            Diagnostic::error(
                "R002",
                pick(
                    format!("`{name}`（{}）はルールで読めません。ルールが設定するだけの項目です", f.label.current()),
                    format!("`{name}` ({}) cannot be read by a rule, only set", f.label.current()),
                ),
            )
            .help(pick("入力列と式から外してください", "take it out of the input columns and expressions")),
        ),
        None => {
            let hint = did_you_mean_hint(name, field_names);
            Some(
                Diagnostic::error(
                    "R002",
                    pick(format!("`{name}` は受注の項目ではありません"), format!("`{name}` is not a field of the order")),
                )
                .help(pick(format!("{hint}項目: {}", field_names.join(", ")), format!("{hint}fields: {}", field_names.join(", ")))),
            )
        }
    }
}

/// Compiles a table as written: every cell parsed, every field checked, shadowed rows found.
fn compile(raw: RawTable) -> Result<(DecisionTable, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let hit = match raw.hit.as_ref().map(|h| h.text.as_str()) {
        None | Some("first") => HitPolicy::First,
        Some("collect") => HitPolicy::Collect,
        Some(other) => {
            let h = raw.hit.as_ref().expect("matched Some");
            diags.push(
                Diagnostic::error(
                    "R001",
                    pick(format!("ヒットポリシー `{other}` が不明です"), format!("hit policy `{other}` is not known")),
                )
                .at(h.place.clone())
                .help(pick(
                    "first（最初に合った行）か collect（合ったすべての行）を書いてください",
                    "write `first` (the first matching row wins) or `collect` (every matching row)",
                )),
            );
            HitPolicy::First
        }
    };
    let field_names = schema::names();
    let outputs_allowed = schema::output_names();
    for input in &raw.inputs {
        if let Some(d) = unreadable(&input.text, &field_names) {
            diags.push(d.at(input.place.clone()));
        }
    }
    for output in &raw.outputs {
        if !outputs_allowed.contains(&output.text.as_str()) {
            let hint = did_you_mean_hint(&output.text, &outputs_allowed);
            diags.push(
                Diagnostic::error(
                    "R003",
                    pick(format!("`{}` はルールで設定できません", output.text), format!("`{}` cannot be set by a rule", output.text)),
                )
                .at(output.place.clone())
                .help(pick(
                    format!("{hint}ルールで設定できる項目: {}", outputs_allowed.join(", ")),
                    format!("{hint}rules can set: {}", outputs_allowed.join(", ")),
                )),
            );
        }
    }
    if raw.outputs.is_empty() {
        diags.push(
            Diagnostic::error("R003", pick("表には出力列が少なくとも1つ必要です", "a table needs at least one output column")).at(raw.header.clone()).help(
                pick(
                    format!(
                        "行が設定する項目を書いてください。例 `outputs: [carrier]`（シートでは見出し `=> carrier`）。ルールで設定できる項目: {}",
                        outputs_allowed.join(", ")
                    ),
                    format!(
                        "name what the rows set, e.g. `outputs: [carrier]` (in a sheet: a header `=> carrier`); rules can set: {}",
                        outputs_allowed.join(", ")
                    ),
                ),
            ),
        );
    }
    let (n_in, n_out) = (raw.inputs.len(), raw.outputs.len());
    let inputs: Vec<String> = raw.inputs.iter().map(|s| s.text.clone()).collect();
    let outputs: Vec<String> = raw.outputs.iter().map(|s| s.text.clone()).collect();
    let mut rules = Vec::new();
    for (n, (row_place, row)) in raw.rows.iter().enumerate() {
        if row.len() != n_in + n_out {
            diags.push(
                Diagnostic::error(
                    "R004",
                    pick(
                        format!("{}行目のセルは{}個ですが、表は入力列{n_in}・出力列{n_out}です", n + 1, row.len()),
                        format!("row {} has {} cells; the table has {n_in} input and {n_out} output columns", n + 1, row.len()),
                    ),
                )
                .at(row_place.clone())
                .help(pick(
                    format!("セルは {} の次に {} の順に書いてください", inputs.join(", "), outputs.join(", ")),
                    format!("write the cells in this order: {}, then {}; an empty cell is \"\"", inputs.join(", "), outputs.join(", ")),
                )),
            );
            continue;
        }
        let mut tests = Vec::new();
        for (cell, input) in row[..n_in].iter().zip(&inputs) {
            // Typed by its column's field (untyped when the column is not a field: R002 said so).
            let field = schema::readable(input);
            match Test::parse_for(&cell.text, field) {
                Ok(t) => tests.push(t),
                Err(e) => {
                    let code = if e.wrong_kind { "R006" } else { "R005" };
                    let message = if e.wrong_kind { in_cell(cell, &e.message) } else { cell_says(cell, &e.message) };
                    let mut d = Diagnostic::error(code, message).at(point(cell, e.at, e.len));
                    if let Some(f) = field.filter(|_| e.wrong_kind) {
                        d = d.help(kind_help(f));
                    }
                    diags.push(d);
                    tests.push(Test::Any);
                }
            }
        }
        let mut outs = Vec::new();
        for (k, cell) in row[n_in..].iter().enumerate() {
            outs.push(compile_output(cell, schema::field(&outputs[k]), &field_names, &mut diags));
        }
        rules.push(Rule { number: n + 1, tests, outputs: outs, place: row_place.clone() });
    }
    // The columns a test may give: the inputs that are fields, and the fields the outputs read.
    let mut readable: Vec<&str> = inputs.iter().filter_map(|i| schema::readable(i)).map(|f| f.name).collect();
    for r in &rules {
        for e in &r.outputs {
            let mut used = Vec::new();
            e.fields(&mut used);
            for u in used {
                if let Some(f) = schema::readable(&u) {
                    if !readable.contains(&f.name) {
                        readable.push(f.name);
                    }
                }
            }
        }
    }
    let out_names: Vec<&str> = outputs.iter().filter(|o| outputs_allowed.contains(&o.as_str())).map(String::as_str).collect();
    // A column written wrong was reported (R002, R003) with the name it was meant to be; a test that
    // names that field is right, and is not told to use the typo instead.
    let meant: Vec<&str> = inputs
        .iter()
        .filter(|i| schema::readable(i).is_none())
        .filter_map(|i| did_you_mean(i, &field_names))
        .chain(outputs.iter().filter(|o| !outputs_allowed.contains(&o.as_str())).filter_map(|o| did_you_mean(o, &outputs_allowed)))
        .collect();
    let mut examples = Vec::new();
    for (n, t) in raw.tests.iter().enumerate() {
        let mut typed = |pairs: &[(String, RawCell)], allowed: &[&str]| {
            let mut values = BTreeMap::new();
            for (k, v) in pairs {
                if !allowed.contains(&k.as_str()) {
                    if !meant.contains(&k.as_str()) {
                        let hint = did_you_mean_hint(k, allowed);
                        diags.push(
                            Diagnostic::error(
                                "R007",
                                pick(
                                    format!("テスト{}: `{k}` はこの表の列ではありません", n + 1),
                                    format!("test {}: `{k}` is not a column of this table", n + 1),
                                ),
                            )
                            .at(v.place.clone())
                            .help(pick(format!("{hint}列: {}", allowed.join(", ")), format!("{hint}columns: {}", allowed.join(", ")))),
                        );
                    }
                    values.insert(k.clone(), Value::literal(&v.text));
                    continue;
                }
                let field = schema::field(k).expect("allowed names are fields");
                match Value::for_kind(&v.text, field.kind) {
                    Ok(value) => {
                        values.insert(k.clone(), value);
                    }
                    Err(expected) => {
                        diags.push(
                            Diagnostic::error(
                                "R006",
                                pick(
                                    format!(
                                        "テスト{}: `{}` は{}ではありません。{}（{}）は{}の項目です",
                                        n + 1,
                                        v.text,
                                        expected_ja(field.kind),
                                        field.name,
                                        field.label.current(),
                                        kind_ja(field.kind)
                                    ),
                                    format!(
                                        "test {}: `{}` is not {expected}, but {} ({}) is {}",
                                        n + 1,
                                        v.text,
                                        field.name,
                                        field.label.current(),
                                        field.kind.describe()
                                    ),
                                ),
                            )
                            .at(v.place.clone())
                            .help(kind_help(field)),
                        );
                    }
                }
            }
            values
        };
        let given = typed(&t.given, &readable);
        let expect = t.expect.as_ref().map(|e| typed(e, &out_names));
        examples.push(Example {
            name: t.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| format!("test {}", n + 1)),
            given,
            expect,
            place: t.place.clone(),
        });
    }
    // Rows that can never match under `first`: an earlier row covers every value of theirs.
    // (Only for tables that compiled: a broken cell reads as "anything".)
    if hit == HitPolicy::First && !diags.iter().any(Diagnostic::is_error) {
        for (i, r) in rules.iter().enumerate() {
            if let Some(earlier) = rules[..i].iter().find(|e| r.tests.iter().zip(&e.tests).all(|(mine, theirs)| mine.covered_by(theirs))) {
                diags.push(
                    Diagnostic::warning(
                        "R008",
                        pick(
                            format!(
                                "{}行目はどの受注にも当たりません。先にある{}行目が、この行の当たる受注にすべて当たります",
                                r.number, earlier.number
                            ),
                            format!("row {} can never match: row {} comes first and matches everything it does", r.number, earlier.number),
                        ),
                    )
                    .at(r.place.clone())
                    .help(pick(
                        "条件の狭い行を広い行より上へ移すか、消してください",
                        "move the narrower row above the wider one, or delete it",
                    )),
                );
            }
        }
    }
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    let index = Index::build(&rules, n_in);
    Ok((DecisionTable { name: raw.name, file: raw.file, hit, inputs, outputs, rules, examples, index }, diags))
}

/// Compiles an output cell: a value of the output's kind (`880` for a fee, any text for a carrier),
/// or an expression whose fields are readable and whose result is of that kind.
fn compile_output(cell: &RawCell, out: Option<&'static FieldDef>, field_names: &[&str], diags: &mut Vec<Diagnostic>) -> Expr {
    let (e, at) = match Expr::parse_cell_located(&cell.text) {
        Ok(parsed) => parsed,
        Err(e) => {
            diags.push(Diagnostic::error("R005", cell_says(cell, &e.message)).at(point(cell, e.at, 1)));
            return Expr::Lit(Value::Null);
        }
    };
    let mut used = Vec::new();
    e.fields(&mut used);
    for (name, range) in used.iter().zip(&at) {
        if let Some(d) = unreadable(name, field_names) {
            diags.push(d.at(point(cell, range.start, range.len())));
        }
    }
    let Some(out) = out else { return e }; // R003 said why
    let wrong = |what: String, at: Option<std::ops::Range<usize>>| {
        let place = match at {
            Some(r) => point(cell, r.start, r.len()),
            None => cell.place.clone(),
        };
        Diagnostic::error("R006", in_cell(cell, &what)).at(place).help(kind_help(out))
    };
    if !Expr::is_formula(&cell.text) {
        // A value is read as the output's kind: `300` is text for a carrier, a number for a fee.
        return match Value::for_kind(cell.text.trim(), out.kind) {
            Ok(v) => Expr::Lit(v),
            Err(expected) => {
                let what = pick(
                    format!(
                        "`{}` は{}ではありません。{}（{}）は{}の項目です",
                        cell.text.trim(),
                        expected_ja(out.kind),
                        out.name,
                        out.label.current(),
                        kind_ja(out.kind)
                    ),
                    format!(
                        "`{}` is not {expected}, but {} ({}) is {}",
                        cell.text.trim(),
                        out.name,
                        out.label.current(),
                        out.kind.describe()
                    ),
                );
                diags.push(wrong(what, None));
                Expr::Lit(Value::Null)
            }
        };
    }
    let kind_of = |f: &str| schema::readable(f).map(|d| d.kind);
    let (kind, problems) = e.kinds(&at, &kind_of);
    let misused = !problems.is_empty();
    for (range, what) in problems {
        diags.push(wrong(what, range));
    }
    let fits = |k: Kind| match out.kind {
        Kind::Yen | Kind::Number => matches!(k, Kind::Yen | Kind::Number),
        other => k == other,
    };
    if let Some(k) = kind.filter(|k| !misused && !fits(*k)) {
        let what = pick(
            format!("式の結果は{}ですが、{}（{}）は{}の項目です", kind_ja(k), out.name, out.label.current(), kind_ja(out.kind)),
            format!("the expression gives {}, but {} ({}) is {}", k.describe(), out.name, out.label.current(), out.kind.describe()),
        );
        let at = match &e {
            Expr::Field(_) => at.first().cloned(),
            _ => None,
        };
        diags.push(wrong(what, at));
    }
    e
}

/// A problem with part of a cell, naming the cell unless the message already quotes all of it.
fn in_cell(cell: &RawCell, message: &str) -> String {
    if message.starts_with(&format!("`{}` ", cell.text.trim())) {
        message.to_string()
    } else {
        cell_says(cell, message)
    }
}

/// "cell `…`: message".
fn cell_says(cell: &RawCell, message: &str) -> String {
    pick(format!("セル `{}`: {message}", cell.text), format!("cell `{}`: {message}", cell.text))
}

/// A field's kind in Japanese ([`Kind::describe`] in English).
fn kind_ja(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "文字",
        Kind::Yen => "金額（円）",
        Kind::Number => "数値",
        Kind::Date => "日付",
        Kind::Bool => "true/false",
        Kind::Tax => "税率ごとの金額",
    }
}

/// What a value of a field's kind must be, in Japanese (what [`Value::for_kind`] says in English).
fn expected_ja(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "文字",
        Kind::Yen => "円の金額（整数）",
        Kind::Number => "整数",
        Kind::Date => "日付（YYYY-MM-DD）",
        Kind::Bool => "true か false",
        Kind::Tax => "ルールで比べられる値（消費税はルールでは読みません）",
    }
}

/// How to write a value of a field's kind (the message already names the field and its kind).
fn kind_help(f: &FieldDef) -> String {
    let (ja, example) = match f.kind {
        Kind::Yen => (
            "円の整数で書いてください（例 `5000`、`>= 5000`、`[0..10000)`、`1,980円`）",
            "a whole number of yen: `5000`, `>= 5000`, `[0..10000)`, `1,980円`",
        ),
        Kind::Number => ("整数で書いてください（例 `2`、`>= 2`、`[1..3]`）", "a whole number: `2`, `>= 2`, `[1..3]`"),
        Kind::Date => (
            "日付を YYYY-MM-DD で書いてください（例 `2026-12-24`、`>= 2026-12-01`、`[2026-12-01..2026-12-31]`）",
            "a date as YYYY-MM-DD: `2026-12-24`, `>= 2026-12-01`, `[2026-12-01..2026-12-31]`",
        ),
        Kind::Bool => {
            ("`true` か `false`（はい / いいえ）、または `!= true` と書いてください", "`true` or `false` (はい / いいえ), or `!= true`")
        }
        Kind::Text => (
            "文字で書いてください（例 `沖縄県`、`北海道, 沖縄県`、`!= 代金引換`、`100-1*`）",
            "text: `沖縄県`, `北海道, 沖縄県`, `!= 代金引換`, `100-1*`",
        ),
        Kind::Tax => ("何も書かないでください（ルールは消費税を読みません）", "nothing: rules do not read 消費税"),
    };
    pick(ja, format!("write {example}"))
}

/// The cell's place narrowed to `len` bytes at `at` inside it (past an opening quote in YAML; a
/// caret under the text of a spreadsheet cell), so a diagnostic points at the value at fault.
fn point(cell: &RawCell, at: usize, len: usize) -> Place {
    let mut place = cell.place.clone();
    match &mut place {
        Place::Span { range, source, .. } => {
            let src = source.get(range.clone()).unwrap_or("");
            let quote = usize::from(src.starts_with(['"', '\'']));
            let inner = range.start + quote + at;
            if src.get(quote..).is_some_and(|s| s.starts_with(cell.text.as_str())) && inner < range.end {
                *range = inner..(inner + len.max(1)).min(range.end);
            }
        }
        Place::Cell { text, .. } => {
            let before = cell.text.get(..at.min(cell.text.len())).unwrap_or("");
            let pad = " ".repeat(unicode_width::UnicodeWidthStr::width(before));
            *text = Some(pick(format!("{}\n{pad}^ ここ", cell.text), format!("{}\n{pad}^ here", cell.text)));
        }
        _ => {}
    }
    place
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

    /// Candidate rows in table order (borrowed where one list alone holds them: no allocation per order).
    fn candidates(&self, values: &[Value]) -> std::borrow::Cow<'_, [usize]> {
        let Some(v) = values.get(self.column) else { return self.always.as_slice().into() };
        let found = match v {
            Value::Text(t) => self.by_value.get(t.as_str()),
            Value::Null => None,
            other => self.by_value.get(&other.to_string()),
        }
        .map(Vec::as_slice)
        .unwrap_or(&[]);
        if found.is_empty() {
            return self.always.as_slice().into();
        }
        if self.always.is_empty() {
            return found.into();
        }
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
        out.into()
    }
}
