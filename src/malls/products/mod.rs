//! Product CSV layouts (商品CSV): Rakuten item.csv (the 2023 SKU layout and the older one) and
//! select.csv, Yahoo!ショッピング data.csv, FutureShop2 goods.csv, and any CSV whose columns the
//! pipeline names (`mapping:`). Every layout reads its rows through one record loop; a file is read
//! in chunks, one thread per core, unless its rows refer to rows above them.

pub mod futureshop;
pub mod mapped;
pub mod rakuten;
pub mod yahoo;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::time::Instant;

pub use self::mapped::Columns;
use crate::config::diagnostic::Diagnostic;
use crate::domain::lang::pick;
use crate::domain::text::{parse_yen, to_half_width};
use crate::io::csv_table::{field_column, Chunk, CsvTable, Record};

/// A product row as read from a file. `None` = the column is absent (a partial update keeps the stored value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductRow {
    pub item_key: String,
    pub product_code: Option<String>,
    pub name: Option<String>,
    pub price: Option<i64>,
    pub tax_included: Option<bool>,
    pub postage_included: Option<bool>,
    pub stock_type: Option<i32>,
    pub stock: Option<i64>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SkuRow {
    pub item_key: String,
    pub sku: String,
    /// A per-option SKU of a product whose 商品番号 this import does not give (select.csv beside a
    /// partial item.csv): the SKU is the stored product's 商品番号 + this, and `sku` only the fallback.
    pub after_stored_code: Option<String>,
    pub choice_text: Option<String>,
    pub price: Option<i64>,
    pub stock: Option<i64>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OptionRow {
    pub item_key: String,
    pub option_type: String,
    pub item_name: String,
    pub choice: String,
    pub seq: i32,
    pub delete: bool,
    pub line: usize,
}

/// Everything one import read, before it is written.
#[derive(Debug, Default)]
pub struct ParsedProducts {
    pub items_file: String,
    pub options_file: Option<String>,
    pub products: Vec<ProductRow>,
    /// 商品管理番号 of `d` rows.
    pub deletes: Vec<String>,
    pub skus: Vec<SkuRow>,
    pub options: Vec<OptionRow>,
    /// Options of an item in this file replace its stored options (layouts without a control column).
    pub replace_options: bool,
    pub bytes: usize,
    pub rows_in: usize,
}

pub const MAX_ROW_ERRORS: usize = 50;

/// The layout of a product file, as the pipeline chose it.
#[derive(Debug, Clone, Copy)]
pub enum Layout<'a> {
    /// Rakuten item.csv: the SKU layout (2023-) when it has SKU管理番号, else the older one.
    Rakuten,
    /// Yahoo!ショッピング data.csv.
    Yahoo,
    /// FutureShop2 goods.csv.
    FutureShop,
    /// Columns named in the pipeline (`mapping:`).
    Mapped(&'a Columns),
}

/// Reads a product file into `out`; bad rows become errors at their line and column.
pub fn read_items(t: &CsvTable, layout: Layout<'_>, out: &mut ParsedProducts, errors: &mut Vec<Diagnostic>) {
    let chunks = || {
        let started = Instant::now();
        let chunks = t.chunks_per_core();
        log::debug!("cut into {} chunks in {} ms", chunks.len(), started.elapsed().as_millis());
        chunks
    };
    match layout {
        // Rows of the SKU layout refer to the product row above them, so that layout is read in one piece.
        Layout::Rakuten if t.column(rakuten::SKU_MANAGE).is_some() => {
            parse_chunks(t, vec![t.whole()], out, errors, |_| rakuten::SkuLayout::default())
        }
        Layout::Rakuten => parse_chunks(t, chunks(), out, errors, rakuten::OldLayout::new),
        Layout::Yahoo => parse_chunks(t, chunks(), out, errors, |_| mapped::ByName::new(&yahoo::COLUMNS)),
        Layout::FutureShop => parse_chunks(t, chunks(), out, errors, |_| mapped::ByName::new(&futureshop::COLUMNS)),
        Layout::Mapped(columns) => parse_chunks(t, chunks(), out, errors, |_| mapped::ByName::new(columns)),
    }
}

/// Reads Rakuten select.csv (項目選択肢) into `out`, after the product file: its per-option stock
/// rows take their SKU numbers from the products above, so it is read in one piece.
pub fn read_options(t: &CsvTable, out: &mut ParsedProducts, errors: &mut Vec<Diagnostic>) {
    let c = Cols::new(t);
    let rows = rakuten::SelectCsv::new(t, &out.products);
    read_rows(&c, &t.whole(), rows, out, errors);
    errors.extend(c.undecodable.into_inner());
}

/// One layout's reading of records: a fresh one reads each chunk.
trait Rows {
    /// The column that holds each record's key (商品管理番号); a record without one is an error.
    fn key_column(&self) -> &str;

    /// The columns the layout cannot do without (D006 when absent).
    fn required(&self) -> Vec<&str>;

    /// Whether the options of an item in this file replace its stored ones (no control column).
    fn replaces_options(&self) -> bool {
        false
    }

    /// One record and its key. `Break` stops reading (the file lacks columns these rows need).
    fn row(&mut self, c: &Cols<'_>, rec: &Record, key: String, out: &mut ParsedProducts, errors: &mut Vec<Diagnostic>) -> ControlFlow<()>;

    /// After the chunk's last record.
    fn finish(self, _out: &mut ParsedProducts)
    where
        Self: Sized,
    {
    }
}

/// The record loop every layout shares. A record that cannot be read (D005) stops the chunk: the
/// records after it may be cut wrongly.
fn read_rows<R: Rows>(c: &Cols<'_>, chunk: &Chunk, mut rows: R, out: &mut ParsedProducts, errors: &mut Vec<Diagnostic>) {
    let t = c.table;
    if let Err(d) = c.require(&rows.required()) {
        errors.push(d);
        return;
    }
    out.replace_options |= rows.replaces_options();
    for rec in t.records(chunk) {
        let rec = match rec {
            Ok(r) => r,
            Err(d) => {
                errors.push(d);
                return;
            }
        };
        out.rows_in += 1;
        let Some(key) = c.text(&rec, rows.key_column()) else {
            errors.push(missing_value(t, &rec, rows.key_column()));
            continue;
        };
        if rows.row(c, &rec, key, out, errors).is_break() {
            return;
        }
    }
    rows.finish(out);
}

/// Runs a layout over the chunks, one thread per chunk, and joins the parts in file order. Reading
/// stops at the first chunk whose records cannot be read (D005): later chunks may be cut wrongly.
fn parse_chunks<R: Rows>(
    t: &CsvTable,
    chunks: Vec<Chunk>,
    out: &mut ParsedProducts,
    errors: &mut Vec<Diagnostic>,
    layout: impl Fn(&CsvTable) -> R + Sync,
) {
    let run = |chunk: &Chunk| {
        let started = Instant::now();
        let c = Cols::new(t);
        let (mut part, mut errs) = (ParsedProducts::default(), Vec::new());
        read_rows(&c, chunk, layout(t), &mut part, &mut errs);
        errs.extend(c.undecodable.into_inner());
        log::debug!("chunk from line {}: {} rows in {} ms", chunk.first_line(), part.rows_in, started.elapsed().as_millis());
        (part, errs)
    };
    let parts: Vec<(ParsedProducts, Vec<Diagnostic>)> = std::thread::scope(|s| {
        let rest: Vec<_> = chunks[1..].iter().map(|chunk| s.spawn(|| run(chunk))).collect();
        let first = run(&chunks[0]);
        std::iter::once(first).chain(rest.into_iter().map(|h| h.join().expect("a CSV parser thread panicked"))).collect()
    });
    let first_option = out.options.len();
    for (part, errs) in parts {
        let unreadable = errs.iter().any(|e| e.code == "D005");
        for e in errs {
            // A missing column is found by every chunk; say it once.
            if e.code == "D006" && errors.iter().any(|x| x.code == e.code && x.message == e.message) {
                continue;
            }
            errors.push(e);
        }
        out.rows_in += part.rows_in;
        out.products.extend(part.products);
        out.deletes.extend(part.deletes);
        out.skus.extend(part.skus);
        out.options.extend(part.options);
        out.replace_options |= part.replace_options;
        if unreadable {
            break;
        }
    }
    errors.truncate(MAX_ROW_ERRORS);
    for (i, o) in out.options[first_option..].iter_mut().enumerate() {
        o.seq = i as i32 + 1;
    }
}

/// Fields by header name. Bytes that do not decode are collected as errors at their line and column.
struct Cols<'a> {
    table: &'a CsvTable,
    undecodable: RefCell<Vec<Diagnostic>>,
    /// Columns asked for so far: a layout asks for the same few on every row, and this is faster than hashing.
    asked: RefCell<Vec<(String, Option<usize>)>>,
}

impl<'a> Cols<'a> {
    fn require(&self, names: &[&str]) -> Result<(), Diagnostic> {
        let missing: Vec<&str> = names.iter().copied().filter(|n| self.table.column(n).is_none()).collect();
        if missing.is_empty() {
            return Ok(());
        }
        let found = self.table.headers.join(", ");
        Err(Diagnostic::error(
            "D006",
            pick(format!("必須の列がありません: {}", missing.join(", ")), format!("missing required column(s): {}", missing.join(", "))),
        )
        .at_line(&self.table.path, 1, Some(1), Some(self.table.line_text(1)))
        .label(pick(format!("見つかった列: {found}"), format!("columns found: {found}")))
        .help(pick(
            "これらの列を含めて出力し直すか、`mapping:` で正しい列を指定してください",
            "export the file again with these columns, or name the right columns with `mapping:`",
        )))
    }

    fn new(table: &'a CsvTable) -> Self {
        Cols { table, undecodable: RefCell::new(Vec::new()), asked: RefCell::new(Vec::new()) }
    }

    fn column(&self, name: &str) -> Option<usize> {
        if let Some((_, i)) = self.asked.borrow().iter().find(|(n, _)| n == name) {
            return *i;
        }
        let i = self.table.column(name);
        self.asked.borrow_mut().push((name.to_string(), i));
        i
    }

    fn get<'r>(&self, rec: &'r Record, name: &str) -> Option<Cow<'r, str>> {
        let i = self.column(name)?;
        let (value, bad) = rec.get(i)?;
        if bad {
            // A layout may read a field twice (is it empty? is it a number?): one bad field, one error.
            let d = self.table.undecodable(rec.line, i, rec.raw(i).unwrap_or_default());
            let mut found = self.undecodable.borrow_mut();
            if found.len() < MAX_ROW_ERRORS && !found.iter().any(|e| e.place_text() == d.place_text()) {
                found.push(d);
            }
        }
        Some(value)
    }

    /// A non-empty trimmed value.
    fn text(&self, rec: &Record, name: &str) -> Option<String> {
        let v = self.get(rec, name)?;
        let t = v.trim();
        (!t.is_empty()).then(|| t.to_string())
    }

    /// A yen or count value; a non-number is an error at its line and column.
    fn number(&self, rec: &Record, name: &str, errors: &mut Vec<Diagnostic>) -> Option<i64> {
        let i = self.column(name)?;
        let value = self.get(rec, name)?;
        let raw = value.trim();
        if raw.is_empty() {
            return None;
        }
        match parse_yen(raw) {
            Some(v) => Some(v),
            None => {
                if errors.len() < MAX_ROW_ERRORS {
                    let text = self.table.line_text(rec.line);
                    let col = (text.matches(',').count() >= i).then(|| field_column(&text, i));
                    errors.push(
                        Diagnostic::error(
                            "D011",
                            pick(format!("「{name}」の `{raw}` は整数ではありません"), format!("{name} `{raw}` is not a whole number")),
                        )
                        .at_line(&self.table.path, rec.line, col, Some(text))
                        .label(pick(
                            "1980 のような整数を書きます（円、小数なし）",
                            "expected an integer such as 1980 (yen without decimals)",
                        ))
                        .help(pick(
                            format!("{}行目の「{name}」列を直してください。カンマ・¥・円は使えます", rec.line),
                            format!("fix column {name} on line {}; commas, ¥ and 円 are allowed", rec.line),
                        )),
                    );
                }
                None
            }
        }
    }

    fn flag(&self, rec: &Record, name: &str) -> Option<bool> {
        let value = self.get(rec, name)?;
        let raw = value.trim();
        if raw.is_empty() {
            return None;
        }
        Some(raw == "1" || to_half_width(raw) == "1")
    }
}

fn missing_value(t: &CsvTable, rec: &Record, column: &str) -> Diagnostic {
    let text = t.line_text(rec.line);
    let col = t.column(column).map(|i| field_column(&text, i));
    Diagnostic::error("D014", pick(format!("「{column}」が空です"), format!("{column} is empty")))
        .at_line(&t.path, rec.line, col, Some(text))
        .help(pick(format!("すべての行の「{column}」に値を入れてください"), format!("every row needs a value in {column}")))
}

/// A product file with its header and no product rows (D004).
pub fn no_products(t: &CsvTable) -> Diagnostic {
    Diagnostic::error("D004", pick("見出し行だけで、商品の行がありません", "the file has its header row but no products"))
        .at_line(&t.path, 1, Some(1), Some(t.line_text(1)))
        .label(pick("見出し行のあとに何もありません", "the header, and nothing after it"))
        .help(pick(
            "商品の行を含めて出力し直してください。楽天の商品を削除するときは `d` の行として並べます",
            "export the file again with its products; to delete Rakuten products, list them as `d` rows",
        ))
}

/// Each product may appear once per file (D010, at the second row).
pub fn check_duplicates(t: &CsvTable, parsed: &ParsedProducts, errors: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for p in &parsed.products {
        if let Some(first) = seen.insert(p.item_key.as_str(), p.line) {
            if errors.len() >= MAX_ROW_ERRORS {
                return;
            }
            errors.push(
                Diagnostic::error(
                    "D010",
                    pick(
                        format!("商品 `{}` が2回あります（{first}行目と{}行目）", p.item_key, p.line),
                        format!("product `{}` appears twice (lines {first} and {})", p.item_key, p.line),
                    ),
                )
                .at_line(&t.path, p.line, Some(1), Some(t.line_text(p.line)))
                .label(pick("重複した商品キー", "duplicate product key"))
                .help(pick(
                    "一つのファイルに商品は1回だけです。どちらかの行を消すかまとめてください",
                    "each product may appear once per file; delete or merge one of the rows",
                )),
            );
        }
    }
}
