//! Stage `import_products` (S4, S6): a mall's product CSV (and its options) into the store.
//!
//! The first mall imported becomes the master; other malls' products link to a master product by
//! `link_by` (商品番号 by default). Re-import upserts; Rakuten's コントロールカラム n/u/d is honoured.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use duckdb::params;
use serde::Deserialize;

use super::{CheckContext, Preview, RunContext, StageError, StageOutcome};
use crate::config::diagnostic::{display_path, Diagnostic};
use crate::config::pipeline::Pipeline;
use crate::config::yaml::Spanned;
use crate::domain::masters::{MasterProduct, ProductOptionChoice};
use crate::domain::text::{parse_yen, to_half_width};
use crate::io::csv_table::{field_column, Chunk, CsvTable, Record};
use crate::io::text::Encoding;
use crate::store::Store;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportProductsConfig {
    /// The mall's name in the settings (`rakuten`, `yahoo`, …).
    pub mall: Spanned<String>,
    /// The product CSV (Rakuten item.csv, Yahoo data.csv, FutureShop2 goods.csv, or any CSV with `mapping`).
    pub items: Spanned<String>,
    /// Rakuten select.csv (項目選択肢).
    #[serde(default)]
    pub options: Option<Spanned<String>>,
    /// `cp932` or `utf-8`; detected when absent.
    #[serde(default)]
    pub encoding: Option<Encoding>,
    /// `rakuten`, `yahoo`, `futureshop` or `mapped`; by default the mall's kind.
    #[serde(default)]
    pub format: Option<Spanned<String>>,
    /// Column names for `format: mapped` (malls without a built-in layout).
    #[serde(default)]
    pub mapping: Option<ColumnMapping>,
    /// How products link to their master product: `product_code` (商品番号, default), `item_key`, or `sku`.
    #[serde(default)]
    pub link_by: Option<Spanned<String>>,
}

/// Which CSV column holds each product field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMapping {
    pub item_key: String,
    #[serde(default)]
    pub product_code: Option<String>,
    pub name: String,
    pub price: String,
    #[serde(default)]
    pub stock: Option<String>,
    #[serde(default)]
    pub sku: Option<String>,
}

const FORMATS: &[&str] = &["rakuten", "yahoo", "futureshop", "mapped"];
const LINK_KEYS: &[&str] = &["product_code", "item_key", "sku"];

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

const MAX_ROW_ERRORS: usize = 50;

impl ImportProductsConfig {
    fn format(&self, pipeline: &Pipeline, mall_kind: Option<&str>) -> Result<String, Diagnostic> {
        match &self.format {
            Some(f) if FORMATS.contains(&f.value.as_str()) => Ok(f.value.clone()),
            Some(f) => Err(Diagnostic::error("C042", format!("unknown product format `{}`", f.value))
                .at(pipeline.file.place_at(&f.referenced))
                .help(format!("formats are: {}", FORMATS.join(", ")))),
            None if self.mapping.is_some() => Ok("mapped".into()),
            None => {
                let kind = mall_kind.unwrap_or(self.mall.value.as_str());
                match kind {
                    "rakuten" | "yahoo" | "futureshop" => Ok(kind.to_string()),
                    other => Err(Diagnostic::error("C043", format!("mall kind `{other}` has no built-in product layout"))
                        .at(pipeline.file.place_at(&self.mall.referenced))
                        .help("add `mapping: { item_key: <column>, name: <column>, price: <column> }` naming the CSV's columns")),
                }
            }
        }
    }

    fn link_by(&self, pipeline: &Pipeline) -> Result<&str, Diagnostic> {
        match &self.link_by {
            None => Ok("product_code"),
            Some(l) if LINK_KEYS.contains(&l.value.as_str()) => Ok(l.value.as_str()),
            Some(l) => Err(Diagnostic::error("C044", format!("unknown link key `{}`", l.value))
                .at(pipeline.file.place_at(&l.referenced))
                .help("link_by is one of: product_code (商品番号), item_key (商品管理番号), sku")),
        }
    }

    /// Reads and checks the files. Any bad row fails the whole import: nothing is written.
    pub fn parse(&self, pipeline: &Pipeline, mall_kind: Option<&str>) -> Result<ParsedProducts, Vec<Diagnostic>> {
        let format = self.format(pipeline, mall_kind).map_err(|d| vec![d])?;
        self.link_by(pipeline).map_err(|d| vec![d])?;
        let items_path = super::require_file(pipeline, &self.items, "product file").map_err(|d| vec![d])?;
        let options_path = match &self.options {
            Some(o) => Some(super::require_file(pipeline, o, "options file").map_err(|d| vec![d])?),
            None => None,
        };
        let t0 = Instant::now();
        let items = CsvTable::read(&items_path, self.encoding).map_err(|d| vec![d])?;
        log::debug!("{}: read in {} ms", items_path.display(), t0.elapsed().as_millis());
        let mut parsed = ParsedProducts { items_file: display_path(&items_path), bytes: items.bytes, ..Default::default() };
        let mut errors = Vec::new();
        // Rows of the SKU layout refer to the product row above them, so that layout is read in one piece.
        let (out, errs, chunks) = (&mut parsed, &mut errors, items.chunks_per_core());
        log::debug!("cut into {} chunks at {} ms", chunks.len(), t0.elapsed().as_millis());
        match format.as_str() {
            "rakuten" if items.column(SKU_MANAGE).is_some() => parse_chunks(&items, vec![items.whole()], out, errs, rakuten_sku_layout),
            "rakuten" => parse_chunks(&items, chunks, out, errs, rakuten_old_layout),
            "yahoo" => parse_chunks(&items, chunks, out, errs, |c, ch, o, e| mapped(c, ch, &YAHOO, o, e)),
            "futureshop" => parse_chunks(&items, chunks, out, errs, |c, ch, o, e| mapped(c, ch, &FUTURESHOP, o, e)),
            _ => {
                let Some(m) = &self.mapping else {
                    return Err(vec![Diagnostic::error("C045", "`format: mapped` needs a `mapping:`")
                        .at(pipeline.file.place_at(&self.items.referenced))
                        .help("add `mapping: { item_key: <column>, name: <column>, price: <column> }`")]);
                };
                let layout = Layout {
                    item_key: m.item_key.clone(),
                    product_code: m.product_code.clone(),
                    name: m.name.clone(),
                    price: m.price.clone(),
                    stock: m.stock.clone(),
                    sku: m.sku.clone(),
                    options: None,
                };
                parse_chunks(&items, chunks, out, errs, |c, ch, o, e| mapped(c, ch, &layout, o, e))
            }
        }
        if let Some(path) = options_path {
            match CsvTable::read(&path, self.encoding) {
                Ok(t) => {
                    parsed.options_file = Some(display_path(&path));
                    parsed.bytes += t.bytes;
                    // select.csv reads the products above (for SKU numbers), so it is read in one piece.
                    let c = Cols::new(&t);
                    rakuten_select_csv(&c, &t.whole(), &mut parsed, &mut errors);
                    errors.extend(c.undecodable.into_inner());
                }
                Err(d) => errors.push(d),
            }
        }
        log::debug!("parsed {} rows in {} ms", parsed.rows_in, t0.elapsed().as_millis());
        check_duplicates(&items, &parsed, &mut errors);
        if errors.is_empty() {
            Ok(parsed)
        } else {
            Err(errors)
        }
    }

    pub fn check(&self, cx: &mut CheckContext<'_>) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let kind = mall_kind_of(cx.settings.map(|s| &s.malls), &self.mall, cx.pipeline, &mut diags);
        match self.parse(cx.pipeline, kind.as_deref()) {
            Err(e) => diags.extend(e),
            Ok(parsed) => {
                let master = cx.master_mall.get_or_insert_with(|| self.mall.value.clone());
                if *master == self.mall.value {
                    let (products, options) = master_view(&parsed);
                    cx.master_products = products;
                    cx.master_options = options;
                }
            }
        }
        diags
    }

    pub fn run(&self, cx: &RunContext<'_>) -> Result<StageOutcome, StageError> {
        let mut diags = Vec::new();
        let kind = mall_kind_of(Some(&cx.settings.malls), &self.mall, cx.pipeline, &mut diags);
        if !diags.is_empty() {
            return Err(StageError::Input(diags));
        }
        let started = Instant::now();
        let parsed = self.parse(cx.pipeline, kind.as_deref())?;
        let parse_ms = started.elapsed().as_millis();
        let link_by = self.link_by(cx.pipeline)?;
        let mut outcome = write(cx.store, &self.mall.value, link_by, &parsed, cx.now)?;
        outcome.message = format!(
            "{}: {} products ({} new, {} changed, {} unchanged, {} deleted), {} SKUs, {} option choices; parsed in {parse_ms} ms. {}",
            parsed.items_file,
            parsed.products.len(),
            outcome.rows_new,
            outcome.rows_changed,
            outcome.rows_unchanged,
            parsed.deletes.len(),
            parsed.skus.len(),
            parsed.options.len(),
            outcome.message
        );
        Ok(outcome)
    }

    pub fn preview(&self, cx: &RunContext<'_>, limit: usize) -> Result<Preview, StageError> {
        let mut diags = Vec::new();
        let kind = mall_kind_of(Some(&cx.settings.malls), &self.mall, cx.pipeline, &mut diags);
        let parsed = self.parse(cx.pipeline, kind.as_deref())?;
        let columns = ["mall", "item_key", "product_code", "name", "price", "stock", "src_line"];
        let rows = parsed
            .products
            .iter()
            .take(limit)
            .map(|p| {
                vec![
                    self.mall.value.clone(),
                    p.item_key.clone(),
                    p.product_code.clone().unwrap_or_default(),
                    p.name.clone().unwrap_or_default(),
                    p.price.map(|v| v.to_string()).unwrap_or_default(),
                    p.stock.map(|v| v.to_string()).unwrap_or_default(),
                    p.line.to_string(),
                ]
            })
            .collect();
        Ok(Preview {
            table: "products".into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
            total: parsed.products.len(),
        })
    }
}

fn mall_kind_of(
    malls: Option<&std::collections::BTreeMap<String, crate::config::settings::MallSettings>>,
    mall: &Spanned<String>,
    pipeline: &Pipeline,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let malls = malls?;
    match malls.get(&mall.value) {
        Some(m) => Some(m.mall_kind.clone()),
        None => {
            let names: Vec<&str> = malls.keys().map(|s| s.as_str()).collect();
            let hint = crate::config::yaml::did_you_mean(&mall.value, &names).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
            diags.push(
                Diagnostic::error("C041", format!("mall `{}` is not in the settings", mall.value))
                    .at(pipeline.file.place_at(&mall.referenced))
                    .help(format!("{hint}malls in the settings: {}", names.join(", "))),
            );
            None
        }
    }
}

/// The master products and their option choices, as validate_masters sees them.
fn master_view(parsed: &ParsedProducts) -> (Vec<MasterProduct>, Vec<ProductOptionChoice>) {
    let mut code_of: HashMap<&str, &str> = HashMap::new();
    let products = parsed
        .products
        .iter()
        .map(|p| {
            let code = p.product_code.as_deref().unwrap_or(&p.item_key);
            code_of.insert(p.item_key.as_str(), code);
            MasterProduct {
                item_key: p.item_key.clone(),
                product_code: code.to_string(),
                name: p.name.clone().unwrap_or_default(),
                src_file: parsed.items_file.clone(),
                src_line: p.line,
            }
        })
        .collect();
    let options = parsed
        .options
        .iter()
        .filter(|o| !o.delete)
        .map(|o| ProductOptionChoice {
            product_code: code_of.get(o.item_key.as_str()).unwrap_or(&o.item_key.as_str()).to_string(),
            item_name: o.item_name.clone(),
            choice: o.choice.clone(),
            src_file: parsed.options_file.clone().unwrap_or_else(|| parsed.items_file.clone()),
            src_line: o.line,
        })
        .collect();
    (products, options)
}

// ---------------------------------------------------------------------------------------------
// Layouts

/// Runs a layout over the chunks, one thread per chunk, and joins the parts in file order. Reading
/// stops at the first chunk whose records cannot be read (D005): later chunks may be cut wrongly.
fn parse_chunks(
    t: &CsvTable,
    chunks: Vec<Chunk>,
    out: &mut ParsedProducts,
    errors: &mut Vec<Diagnostic>,
    layout: impl Fn(&Cols<'_>, &Chunk, &mut ParsedProducts, &mut Vec<Diagnostic>) + Sync,
) {
    let run = |chunk: &Chunk| {
        let started = Instant::now();
        let c = Cols::new(t);
        let (mut part, mut errs) = (ParsedProducts::default(), Vec::new());
        layout(&c, chunk, &mut part, &mut errs);
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

const MANAGE: &str = "商品管理番号（商品URL）";
const CONTROL: &str = "コントロールカラム";
const SKU_MANAGE: &str = "SKU管理番号";

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
        Err(Diagnostic::error("D006", format!("missing required column(s): {}", missing.join(", ")))
            .at_line(&self.table.path, 1, Some(1), Some(self.table.line_text(1)))
            .label(format!("columns found: {found}"))
            .help("export the file again with these columns, or name the right columns with `mapping:`"))
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
        if bad && self.undecodable.borrow().len() < MAX_ROW_ERRORS {
            self.undecodable.borrow_mut().push(self.table.undecodable(rec.line, i));
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
                        Diagnostic::error("D011", format!("{name} `{raw}` is not a whole number"))
                            .at_line(&self.table.path, rec.line, col, Some(text))
                            .label("expected an integer such as 1980 (yen without decimals)")
                            .help(format!("fix column {name} on line {}; commas, ¥ and 円 are allowed", rec.line)),
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

fn control_of(raw: Option<Cow<'_, str>>) -> Option<char> {
    raw.and_then(|s| s.trim().chars().next()).map(|c| c.to_ascii_lowercase())
}

/// Rakuten item.csv, pre-2023 layout: one row per product; options in select.csv.
fn rakuten_old_layout(c: &Cols<'_>, chunk: &Chunk, out: &mut ParsedProducts, errors: &mut Vec<Diagnostic>) {
    let t = c.table;
    let has_control = t.column(CONTROL).is_some();
    let required: &[&str] = if has_control { &[MANAGE] } else { &[MANAGE, "商品番号", "商品名", "販売価格"] };
    if let Err(d) = c.require(required) {
        errors.push(d);
        return;
    }
    for rec in t.records(chunk) {
        let rec = match rec {
            Ok(r) => r,
            Err(d) => {
                errors.push(d);
                return;
            }
        };
        out.rows_in += 1;
        let Some(key) = c.text(&rec, MANAGE) else {
            errors.push(missing_value(t, &rec, MANAGE));
            continue;
        };
        let control = control_of(c.get(&rec, CONTROL));
        match control {
            Some('d') => {
                out.deletes.push(key);
                continue;
            }
            Some('n') | Some('u') | None => {}
            Some(other) => {
                errors.push(
                    Diagnostic::error("D012", format!("コントロールカラム `{other}` is not n, u or d"))
                        .at_line(&t.path, rec.line, Some(1), Some(t.line_text(rec.line)))
                        .help("n = new product, u = update, d = delete"),
                );
                continue;
            }
        }
        let row = ProductRow {
            item_key: key,
            product_code: c.text(&rec, "商品番号"),
            name: c.text(&rec, "商品名"),
            price: c.number(&rec, "販売価格", errors),
            tax_included: c.flag(&rec, "消費税"),
            postage_included: c.flag(&rec, "送料"),
            stock_type: c.number(&rec, "在庫タイプ", errors).map(|v| v as i32),
            stock: c.number(&rec, "在庫数", errors),
            line: rec.line,
        };
        if control != Some('u') {
            for (field, v) in [("商品名", row.name.is_some()), ("販売価格", row.price.is_some() || c.column("販売価格").is_none())]
            {
                if !v && c.column(field).is_some() && errors.len() < MAX_ROW_ERRORS {
                    errors.push(missing_value(t, &rec, field));
                }
            }
            if c.column("商品名").is_none() || c.column("販売価格").is_none() {
                errors.push(
                    Diagnostic::error("D006", "new products (`n` rows) need the columns 商品名 and 販売価格")
                        .at_line(&t.path, rec.line, Some(1), Some(t.line_text(rec.line)))
                        .help("export the full item.csv, or mark rows that only update some columns with `u`"),
                );
                return;
            }
        }
        out.products.push(row);
    }
}

/// Rakuten item.csv, SKU layout (2023-): product rows (商品名), SKU rows (SKU管理番号), option rows (選択肢タイプ).
fn rakuten_sku_layout(c: &Cols<'_>, chunk: &Chunk, out: &mut ParsedProducts, errors: &mut Vec<Diagnostic>) {
    let t = c.table;
    if let Err(d) = c.require(&[MANAGE, "商品名", SKU_MANAGE, "販売価格"]) {
        errors.push(d);
        return;
    }
    out.replace_options = true;
    let mut products: Vec<ProductRow> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut seq = 0;
    for rec in t.records(chunk) {
        let rec = match rec {
            Ok(r) => r,
            Err(d) => {
                errors.push(d);
                return;
            }
        };
        out.rows_in += 1;
        let Some(key) = c.text(&rec, MANAGE) else {
            errors.push(missing_value(t, &rec, MANAGE));
            continue;
        };
        if let Some(name) = c.text(&rec, "商品名") {
            index.insert(key.clone(), products.len());
            products.push(ProductRow {
                item_key: key.clone(),
                product_code: c.text(&rec, "商品番号"),
                name: Some(name),
                tax_included: c.flag(&rec, "消費税"),
                postage_included: c.flag(&rec, "送料"),
                line: rec.line,
                ..Default::default()
            });
            // Variation definitions: "カラー|サイズ" and "赤|青|白".
            if let Some(names) = c.text(&rec, "バリエーション項目名定義") {
                for (i, item) in names.split('|').enumerate() {
                    if let Some(choices) = c.text(&rec, &format!("バリエーション{}選択肢定義", i + 1)) {
                        for ch in choices.split('|') {
                            seq += 1;
                            out.options.push(OptionRow {
                                item_key: key.clone(),
                                option_type: "v".into(),
                                item_name: item.trim().into(),
                                choice: ch.trim().into(),
                                seq,
                                delete: false,
                                line: rec.line,
                            });
                        }
                    }
                }
            }
        }
        if let Some(sku) = c.text(&rec, SKU_MANAGE) {
            let price = c.number(&rec, "販売価格", errors);
            let stock = c.number(&rec, "在庫数", errors);
            let choice_text = (1..=3).filter_map(|i| c.text(&rec, &format!("バリエーション{i}選択肢定義"))).collect::<Vec<_>>().join(" ");
            out.skus.push(SkuRow {
                item_key: key.clone(),
                sku,
                choice_text: (!choice_text.is_empty()).then_some(choice_text),
                price,
                stock,
                line: rec.line,
            });
            if let Some(&i) = index.get(&key) {
                let p = &mut products[i];
                p.price = match (p.price, price) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                p.stock = match (p.stock, stock) {
                    (Some(a), Some(b)) => Some(a + b),
                    (a, b) => a.or(b),
                };
            }
        }
        if let Some(item_name) = c.text(&rec, "商品オプション項目名") {
            for i in 1..=100 {
                let col = format!("商品オプション選択肢{i}");
                if t.column(&col).is_none() {
                    break;
                }
                if let Some(choice) = c.text(&rec, &col) {
                    seq += 1;
                    out.options.push(OptionRow {
                        item_key: key.clone(),
                        option_type: c.text(&rec, "選択肢タイプ").unwrap_or_else(|| "s".into()),
                        item_name: item_name.clone(),
                        choice,
                        seq,
                        delete: false,
                        line: rec.line,
                    });
                }
            }
        }
    }
    let mut skus_of: HashMap<&str, usize> = HashMap::new();
    for s in &out.skus {
        *skus_of.entry(s.item_key.as_str()).or_default() += 1;
    }
    for p in &mut products {
        p.stock_type = Some(if skus_of.get(p.item_key.as_str()).copied().unwrap_or(0) > 1 { 2 } else { 1 });
    }
    out.products = products;
}

/// Rakuten select.csv: `s`/`c` rows are option choices, `i` rows are per-option stock (SKUs).
fn rakuten_select_csv(c: &Cols<'_>, chunk: &Chunk, out: &mut ParsedProducts, errors: &mut Vec<Diagnostic>) {
    let t = c.table;
    let (item_col, choice_col) = if t.column("Select/Checkbox用項目名").is_some() {
        ("Select/Checkbox用項目名", "Select/Checkbox用選択肢")
    } else {
        ("項目選択肢項目名", "項目選択肢")
    };
    if let Err(d) = c.require(&[MANAGE, "選択肢タイプ", item_col, choice_col]) {
        errors.push(d);
        return;
    }
    let code_of: HashMap<String, String> =
        out.products.iter().map(|p| (p.item_key.clone(), p.product_code.clone().unwrap_or_else(|| p.item_key.clone()))).collect();
    let mut seq = 0;
    for rec in t.records(chunk) {
        let rec = match rec {
            Ok(r) => r,
            Err(d) => {
                errors.push(d);
                return;
            }
        };
        out.rows_in += 1;
        let Some(key) = c.text(&rec, MANAGE) else {
            errors.push(missing_value(t, &rec, MANAGE));
            continue;
        };
        let delete = control_of(c.get(&rec, "項目選択肢用コントロールカラム")) == Some('d');
        let kind = c.text(&rec, "選択肢タイプ").unwrap_or_default().to_ascii_lowercase();
        match kind.as_str() {
            "s" | "c" => {
                let (Some(item_name), Some(choice)) = (c.text(&rec, item_col), c.text(&rec, choice_col)) else {
                    errors.push(missing_value(t, &rec, choice_col));
                    continue;
                };
                seq += 1;
                out.options.push(OptionRow { item_key: key, option_type: kind, item_name, choice, seq, delete, line: rec.line });
            }
            "i" => {
                let h = c.text(&rec, "項目選択肢別在庫用横軸選択肢子番号").unwrap_or_default();
                let v = c.text(&rec, "項目選択肢別在庫用縦軸選択肢子番号").unwrap_or_default();
                let base = code_of.get(&key).cloned().unwrap_or_else(|| key.clone());
                let choice_text = [
                    ("項目選択肢別在庫用横軸項目名", "項目選択肢別在庫用横軸選択肢"),
                    ("項目選択肢別在庫用縦軸項目名", "項目選択肢別在庫用縦軸選択肢"),
                ]
                .iter()
                .filter_map(|(_, choice)| c.text(&rec, choice))
                .collect::<Vec<_>>()
                .join(" ");
                out.skus.push(SkuRow {
                    item_key: key,
                    sku: format!("{base}{h}{v}"),
                    choice_text: (!choice_text.is_empty()).then_some(choice_text),
                    price: None,
                    stock: c.number(&rec, "項目選択肢別在庫用在庫数", errors),
                    line: rec.line,
                });
            }
            other => errors.push(
                Diagnostic::error("D013", format!("選択肢タイプ `{other}` is not s, c or i"))
                    .at_line(&t.path, rec.line, None, Some(t.line_text(rec.line)))
                    .help("s = select box, c = checkbox, i = per-option stock"),
            ),
        }
    }
}

/// A layout by column names (Yahoo, FutureShop2, or `mapping:`).
struct Layout {
    item_key: String,
    product_code: Option<String>,
    name: String,
    price: String,
    stock: Option<String>,
    sku: Option<String>,
    /// Yahoo's `options` column: one option per line, `項目名 選択肢1 選択肢2 …`.
    options: Option<String>,
}

static YAHOO: std::sync::LazyLock<Layout> = std::sync::LazyLock::new(|| Layout {
    item_key: "code".into(),
    product_code: Some("code".into()),
    name: "name".into(),
    price: "price".into(),
    stock: None,
    sku: Some("sub-code".into()),
    options: Some("options".into()),
});

static FUTURESHOP: std::sync::LazyLock<Layout> = std::sync::LazyLock::new(|| Layout {
    item_key: "商品URLコード".into(),
    product_code: Some("商品番号".into()),
    name: "商品名".into(),
    price: "販売価格".into(),
    stock: Some("在庫数".into()),
    sku: None,
    options: None,
});

fn mapped(c: &Cols<'_>, chunk: &Chunk, l: &Layout, out: &mut ParsedProducts, errors: &mut Vec<Diagnostic>) {
    let t = c.table;
    if let Err(d) = c.require(&[l.item_key.as_str(), l.name.as_str(), l.price.as_str()]) {
        errors.push(d);
        return;
    }
    out.replace_options = true;
    let mut seq = 0;
    for rec in t.records(chunk) {
        let rec = match rec {
            Ok(r) => r,
            Err(d) => {
                errors.push(d);
                return;
            }
        };
        out.rows_in += 1;
        let Some(key) = c.text(&rec, &l.item_key) else {
            errors.push(missing_value(t, &rec, &l.item_key));
            continue;
        };
        let name = c.text(&rec, &l.name);
        if name.is_none() {
            errors.push(missing_value(t, &rec, &l.name));
        }
        let price = c.number(&rec, &l.price, errors);
        if price.is_none() && c.text(&rec, &l.price).is_none() {
            errors.push(missing_value(t, &rec, &l.price));
        }
        out.products.push(ProductRow {
            item_key: key.clone(),
            product_code: l.product_code.as_deref().and_then(|col| c.text(&rec, col)).or_else(|| Some(key.clone())),
            name,
            price,
            stock: l.stock.as_deref().and_then(|col| c.number(&rec, col, errors)),
            line: rec.line,
            ..Default::default()
        });
        if let Some(text) = l.options.as_deref().and_then(|col| c.text(&rec, col)) {
            for line in text.lines() {
                let mut parts = line.split([' ', '\u{3000}']).filter(|s| !s.is_empty());
                let Some(item_name) = parts.next() else {
                    continue;
                };
                for choice in parts {
                    seq += 1;
                    out.options.push(OptionRow {
                        item_key: key.clone(),
                        option_type: "s".into(),
                        item_name: item_name.to_string(),
                        choice: choice.to_string(),
                        seq,
                        delete: false,
                        line: rec.line,
                    });
                }
            }
        }
        // Yahoo sub-code: `カラー:赤#サイズ:S=CODE-r-s&…`; a plain column holds one SKU.
        if let Some(raw) = l.sku.as_deref().and_then(|col| c.text(&rec, col)) {
            for part in raw.split('&').filter(|s| !s.trim().is_empty()) {
                let (choice_text, sku) = match part.rsplit_once('=') {
                    Some((choices, sku)) => (Some(choices.replace('#', " ")), sku.trim().to_string()),
                    None => (None, part.trim().to_string()),
                };
                out.skus.push(SkuRow { item_key: key.clone(), sku, choice_text, price: None, stock: None, line: rec.line });
            }
        }
    }
}

fn missing_value(t: &CsvTable, rec: &Record, column: &str) -> Diagnostic {
    let text = t.line_text(rec.line);
    let col = t.column(column).map(|i| field_column(&text, i));
    Diagnostic::error("D014", format!("{column} is empty"))
        .at_line(&t.path, rec.line, col, Some(text))
        .help(format!("every row needs a value in {column}"))
}

fn check_duplicates(t: &CsvTable, parsed: &ParsedProducts, errors: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for p in &parsed.products {
        if let Some(first) = seen.insert(p.item_key.as_str(), p.line) {
            if errors.len() >= MAX_ROW_ERRORS {
                return;
            }
            errors.push(
                Diagnostic::error("D010", format!("product `{}` appears twice (lines {first} and {})", p.item_key, p.line))
                    .at_line(&t.path, p.line, Some(1), Some(t.line_text(p.line)))
                    .label("duplicate product key")
                    .help("each product may appear once per file; delete or merge one of the rows"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Writes one import in one transaction: staging tables by Appender, then set-based upserts.
fn write(
    store: &Store,
    mall: &str,
    link_by: &str,
    p: &ParsedProducts,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<StageOutcome, StageError> {
    let t0 = Instant::now();
    let lap = |what: &str| log::debug!("write: {what} at {} ms", t0.elapsed().as_millis());
    let tx = store.conn.unchecked_transaction()?;
    tx.execute_batch(
        "CREATE OR REPLACE TEMP TABLE stage_products (item_key VARCHAR, product_code VARCHAR, name VARCHAR, price BIGINT,
            tax_included BOOLEAN, postage_included BOOLEAN, stock_type INTEGER, stock BIGINT, src_line INTEGER);
         CREATE OR REPLACE TEMP TABLE stage_deletes (item_key VARCHAR);
         CREATE OR REPLACE TEMP TABLE stage_skus (item_key VARCHAR, sku VARCHAR, choice_text VARCHAR, price BIGINT, stock BIGINT, src_line INTEGER);
         CREATE OR REPLACE TEMP TABLE stage_options (item_key VARCHAR, option_type VARCHAR, item_name VARCHAR, choice VARCHAR, seq INTEGER, del BOOLEAN, src_line INTEGER);",
    )?;
    let now = now.naive_utc();
    {
        // Staged in a temp table, then upserted set-based: appending straight into `products` (with
        // its primary-key index) measured slower, even for a mall's first import.
        let mut a = tx.appender_to_catalog_and_db("stage_products", "temp", "main")?;
        for r in &p.products {
            a.append_row(params![
                r.item_key,
                r.product_code,
                r.name,
                r.price,
                r.tax_included,
                r.postage_included,
                r.stock_type,
                r.stock,
                r.line as i64
            ])?;
        }
        a.flush()?;
        let mut a = tx.appender_to_catalog_and_db("stage_deletes", "temp", "main")?;
        for k in &p.deletes {
            a.append_row(params![k])?;
        }
        a.flush()?;
        let mut a = tx.appender_to_catalog_and_db("stage_skus", "temp", "main")?;
        for s in &p.skus {
            a.append_row(params![s.item_key, s.sku, s.choice_text, s.price, s.stock, s.line as i64])?;
        }
        a.flush()?;
        let mut a = tx.appender_to_catalog_and_db("stage_options", "temp", "main")?;
        for o in &p.options {
            a.append_row(params![o.item_key, o.option_type, o.item_name, o.choice, o.seq, o.delete, o.line as i64])?;
        }
        a.flush()?;
    }
    lap("staged");
    let differs = "p.product_code IS DISTINCT FROM coalesce(s.product_code, p.product_code)
        OR p.name IS DISTINCT FROM coalesce(s.name, p.name)
        OR p.price IS DISTINCT FROM coalesce(s.price, p.price)
        OR p.tax_included IS DISTINCT FROM coalesce(s.tax_included, p.tax_included)
        OR p.postage_included IS DISTINCT FROM coalesce(s.postage_included, p.postage_included)
        OR p.stock_type IS DISTINCT FROM coalesce(s.stock_type, p.stock_type)
        OR p.stock IS DISTINCT FROM coalesce(s.stock, p.stock)";
    let (new, changed, unchanged): (i64, i64, i64) = tx.query_row(
        &format!(
            "SELECT count(*) FILTER (WHERE p.item_key IS NULL),
                    count(*) FILTER (WHERE p.item_key IS NOT NULL AND ({differs})),
                    count(*) FILTER (WHERE p.item_key IS NOT NULL AND NOT ({differs}))
             FROM stage_products s LEFT JOIN products p ON p.mall = ? AND p.item_key = s.item_key"
        ),
        params![mall],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    // Updates for rows that exist (absent columns keep their stored values).
    tx.execute(
        &format!(
            "UPDATE products p SET product_code = coalesce(s.product_code, p.product_code), name = coalesce(s.name, p.name),
                price = coalesce(s.price, p.price), tax_included = coalesce(s.tax_included, p.tax_included),
                postage_included = coalesce(s.postage_included, p.postage_included), stock_type = coalesce(s.stock_type, p.stock_type),
                stock = coalesce(s.stock, p.stock), src_file = ?, src_line = s.src_line, updated_at = ?
             FROM stage_products s
             WHERE p.mall = ? AND p.item_key = s.item_key AND (({differs}) OR p.src_line IS DISTINCT FROM s.src_line OR p.src_file IS DISTINCT FROM ?)"
        ),
        params![p.items_file, now, mall, p.items_file],
    )?;
    lap("counted and updated");
    let mut rejected = Vec::new();
    {
        // An update (`u`) of a product that does not exist and lacks a name cannot become a product.
        let mut stmt = tx.prepare(
            "SELECT s.item_key, s.src_line FROM stage_products s
             WHERE (s.name IS NULL OR s.price IS NULL) AND NOT EXISTS (SELECT 1 FROM products p WHERE p.mall = ? AND p.item_key = s.item_key)",
        )?;
        let rows = stmt.query_map(params![mall], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (key, line) = row?;
            rejected.push(update_of_unknown_product(&p.items_file, &key, line as usize));
        }
    }
    tx.execute(
        "INSERT INTO products (mall, item_key, product_code, name, price, tax_included, postage_included, stock_type, stock, src_file, src_line, updated_at)
         SELECT ?, s.item_key, s.product_code, s.name, s.price, s.tax_included, s.postage_included, s.stock_type, s.stock, ?, s.src_line, ?
         FROM stage_products s
         WHERE s.name IS NOT NULL AND s.price IS NOT NULL AND NOT EXISTS (SELECT 1 FROM products p WHERE p.mall = ? AND p.item_key = s.item_key)",
        params![mall, p.items_file, now, mall],
    )?;
    lap("inserted");
    let deleted = tx.execute("DELETE FROM products WHERE mall = ? AND item_key IN (SELECT item_key FROM stage_deletes)", params![mall])?;
    tx.execute("DELETE FROM product_skus WHERE mall = ? AND item_key IN (SELECT item_key FROM stage_deletes)", params![mall])?;
    tx.execute("DELETE FROM product_options WHERE mall = ? AND item_key IN (SELECT item_key FROM stage_deletes)", params![mall])?;

    // SKUs: the file's SKUs of an item replace the stored ones.
    tx.execute("DELETE FROM product_skus WHERE mall = ? AND item_key IN (SELECT DISTINCT item_key FROM stage_skus)", params![mall])?;
    tx.execute(
        "INSERT INTO product_skus SELECT ?, item_key, sku, any_value(choice_text), any_value(price), any_value(stock), ?, min(src_line)
         FROM stage_skus GROUP BY item_key, sku",
        params![mall, p.options_file.as_deref().unwrap_or(&p.items_file)],
    )?;
    // Options: n/u choices are upserted, d choices deleted; layouts without a control column replace.
    if p.replace_options {
        tx.execute(
            "DELETE FROM product_options WHERE mall = ? AND item_key IN (SELECT DISTINCT item_key FROM stage_options)",
            params![mall],
        )?;
    } else {
        tx.execute(
            "DELETE FROM product_options o USING stage_options s
             WHERE o.mall = ? AND o.item_key = s.item_key AND o.item_name = s.item_name AND o.choice = s.choice",
            params![mall],
        )?;
    }
    tx.execute(
        "INSERT INTO product_options SELECT ?, item_key, any_value(option_type), item_name, choice, min(seq), ?, min(src_line)
         FROM stage_options WHERE NOT del GROUP BY item_key, item_name, choice",
        params![mall, p.options_file.as_deref().unwrap_or(&p.items_file)],
    )?;

    // The first mall imported is the master (S4).
    tx.execute("INSERT INTO shop_meta VALUES ('master_mall', ?) ON CONFLICT DO NOTHING", params![mall])?;
    tx.execute(
        "INSERT INTO shop_meta VALUES ('link_by:' || ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![mall, link_by],
    )?;
    let master: String = tx.query_row("SELECT value FROM shop_meta WHERE key = 'master_mall'", [], |r| r.get(0))?;
    lap("options");
    relink(&tx, &master)?;
    lap("relinked");
    let mut warnings = rejected;
    let mut unmatched = 0;
    if mall != master {
        let mut stmt = tx.prepare(
            "SELECT item_key, coalesce(product_code, ''), src_file, src_line FROM products WHERE mall = ? AND master_item_key IS NULL ORDER BY src_line",
        )?;
        let rows = stmt.query_map(params![mall], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
        })?;
        for row in rows {
            let (key, code, file, line) = row?;
            unmatched += 1;
            warnings.push(
                Diagnostic::warning(
                    "D030",
                    format!("product `{key}` of {mall} matches no master product of {master} ({link_by} `{code}`)"),
                )
                .at_line(Path::new(&file), line as usize, None, None)
                .help(format!("import it on {master} first, or make its {link_by} equal to the master product's")),
            );
        }
    }
    tx.execute_batch(
        "DROP TABLE temp.stage_products; DROP TABLE temp.stage_deletes; DROP TABLE temp.stage_skus; DROP TABLE temp.stage_options;",
    )?;
    tx.commit()?;
    lap("committed");
    Ok(StageOutcome {
        rows_in: p.rows_in as u64,
        rows_out: (new + changed) as u64 + deleted as u64,
        rows_rejected: warnings.iter().filter(|w| w.code == "D015").count() as u64,
        rows_new: new as u64,
        rows_changed: changed as u64,
        rows_unchanged: unchanged as u64,
        bytes: p.bytes as u64,
        message: if mall == master {
            format!("{mall} is the master mall")
        } else {
            format!("linked to {master} by {link_by}; {unmatched} unmatched")
        },
        warnings,
        failed: 0,
    })
}

/// An update (`u`) of a product that does not exist and lacks a name or price cannot become a product.
fn update_of_unknown_product(file: &str, key: &str, line: usize) -> Diagnostic {
    Diagnostic::warning("D015", format!("product `{key}` is an update (u) of a product that is not in the store"))
        .at_line(Path::new(file), line, None, None)
        .help("import the product with `n` (and 商品名, 販売価格) first")
}

/// Links every non-master product to its master product by its mall's link key.
fn relink(tx: &duckdb::Connection, master: &str) -> duckdb::Result<()> {
    tx.execute(
        "UPDATE products SET master_item_key = item_key WHERE mall = ? AND master_item_key IS DISTINCT FROM item_key",
        params![master],
    )?;
    let malls: Vec<(String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT DISTINCT p.mall, coalesce(m.value, 'product_code') FROM products p
             LEFT JOIN shop_meta m ON m.key = 'link_by:' || p.mall WHERE p.mall <> ?",
        )?;
        let rows = stmt.query_map(params![master], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (mall, key) in malls {
        let matching = match key.as_str() {
            "item_key" => "SELECT min(m.item_key) FROM products m WHERE m.mall = ? AND m.item_key = p.item_key",
            "sku" => {
                "SELECT min(ms.item_key) FROM product_skus ms JOIN product_skus ps ON ps.sku = ms.sku
                 WHERE ms.mall = ? AND ps.mall = p.mall AND ps.item_key = p.item_key"
            }
            _ => "SELECT min(m.item_key) FROM products m WHERE m.mall = ? AND m.product_code = p.product_code",
        };
        tx.execute(
            &format!(
                "UPDATE products p SET master_item_key = ({matching})
                 WHERE p.mall = ? AND p.master_item_key IS DISTINCT FROM ({matching})"
            ),
            params![master, mall, master],
        )?;
    }
    Ok(())
}
