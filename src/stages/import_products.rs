//! Stage `import_products` (S4, S6): a mall's product CSV (and its options) into the store.
//!
//! The first mall imported becomes the master; other malls' products link to a master product by
//! `link_by` (商品番号 by default). Re-import upserts; Rakuten's コントロールカラム n/u/d is honoured.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use duckdb::params;
use serde::Deserialize;

use super::{CheckContext, Preview, Resource, RunContext, Stage, StageEnv, StageError, StageOutcome};
use crate::config::diagnostic::{display_path, Diagnostic};
use crate::config::yaml::Spanned;
use crate::domain::lang::pick;
use crate::domain::masters::{MasterProduct, ProductOptionChoice};
use crate::io::csv_table::CsvTable;
use crate::io::text::Encoding;
use crate::malls::products::{self, Columns, Layout, ParsedProducts};
use crate::malls::MallKind;
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

impl ImportProductsConfig {
    fn format(&self, env: &StageEnv<'_>, mall_kind: Option<MallKind>) -> Result<String, Diagnostic> {
        match &self.format {
            Some(f) if FORMATS.contains(&f.value.as_str()) => Ok(f.value.clone()),
            Some(f) => Err(Diagnostic::error(
                "C042",
                pick(format!("商品ファイルの形式 `{}` が不明です", f.value), format!("unknown product format `{}`", f.value)),
            )
            .at(env.file.place_at(&f.referenced))
            .help(pick(format!("{} のどれかを書いてください", FORMATS.join(", ")), format!("formats are: {}", FORMATS.join(", "))))),
            None if self.mapping.is_some() => Ok("mapped".into()),
            None => {
                // Without settings (`check` of a pipeline alone) the mall's name stands for its kind.
                let kind = mall_kind.map(MallKind::name).unwrap_or(self.mall.value.as_str());
                match MallKind::parse(kind).and_then(default_format) {
                    Some(format) => Ok(format.to_string()),
                    None => Err(Diagnostic::error(
                        "C043",
                        pick(
                            format!("モールの種類 `{kind}` には決まった商品CSVの形式がありません"),
                            format!("mall kind `{kind}` has no built-in product layout"),
                        ),
                    )
                    .at(env.file.place_at(&self.mall.referenced))
                    .help(pick(
                        "mapping: { item_key: 列名, name: 列名, price: 列名 } でCSVの列を指定してください",
                        "add `mapping: { item_key: <column>, name: <column>, price: <column> }` naming the CSV's columns",
                    ))),
                }
            }
        }
    }

    fn link_by(&self, env: &StageEnv<'_>) -> Result<&str, Diagnostic> {
        match &self.link_by {
            None => Ok("product_code"),
            Some(l) if LINK_KEYS.contains(&l.value.as_str()) => Ok(l.value.as_str()),
            Some(l) => Err(Diagnostic::error(
                "C044",
                pick(format!("紐付けキー `{}` が不明です", l.value), format!("unknown link key `{}`", l.value)),
            )
            .at(env.file.place_at(&l.referenced))
            .help(pick(
                "link_by は product_code（商品番号）, item_key（商品管理番号）, sku のどれかです",
                "link_by is one of: product_code (商品番号), item_key (商品管理番号), sku",
            ))),
        }
    }

    /// Reads and checks the files. Any bad row fails the whole import: nothing is written.
    pub fn parse(&self, env: &StageEnv<'_>, mall_kind: Option<MallKind>) -> Result<ParsedProducts, Vec<Diagnostic>> {
        let format = self.format(env, mall_kind).map_err(|d| vec![d])?;
        self.link_by(env).map_err(|d| vec![d])?;
        let items_path = super::require_file(env, &self.items, &pick("商品ファイル", "product file")).map_err(|d| vec![d])?;
        let options_path = match &self.options {
            Some(o) => Some(super::require_file(env, o, &pick("選択肢ファイル", "options file")).map_err(|d| vec![d])?),
            None => None,
        };
        let t0 = Instant::now();
        let items = CsvTable::read(&items_path, self.encoding).map_err(|d| vec![d])?;
        log::debug!("{}: read in {} ms", items_path.display(), t0.elapsed().as_millis());
        let mut parsed = ParsedProducts { items_file: display_path(&items_path), bytes: items.bytes, ..Default::default() };
        let mut errors = Vec::new();
        let columns;
        let layout = match format.as_str() {
            "rakuten" => Layout::Rakuten,
            "yahoo" => Layout::Yahoo,
            "futureshop" => Layout::FutureShop,
            _ => {
                let Some(m) = &self.mapping else {
                    return Err(vec![Diagnostic::error(
                        "C045",
                        pick("`format: mapped` には `mapping:` が必要です", "`format: mapped` needs a `mapping:`"),
                    )
                    .at(env.file.place_at(&self.items.referenced))
                    .help(pick(
                        "mapping: { item_key: 列名, name: 列名, price: 列名 } を書いてください",
                        "add `mapping: { item_key: <column>, name: <column>, price: <column> }`",
                    ))]);
                };
                columns = Columns {
                    item_key: m.item_key.clone(),
                    product_code: m.product_code.clone(),
                    name: m.name.clone(),
                    price: m.price.clone(),
                    stock: m.stock.clone(),
                    sku: m.sku.clone(),
                    options: None,
                };
                Layout::Mapped(&columns)
            }
        };
        products::read_items(&items, layout, &mut parsed, &mut errors);
        if parsed.rows_in == 0 && errors.is_empty() {
            // A header alone is a failed export, not "no products any more": it must change nothing
            // (select.csv beside it would rewrite the SKUs of products it does not list).
            errors.push(products::no_products(&items));
        }
        if let Some(path) = options_path {
            match CsvTable::read(&path, self.encoding) {
                Ok(t) => {
                    parsed.options_file = Some(display_path(&path));
                    parsed.bytes += t.bytes;
                    products::read_options(&t, &mut parsed, &mut errors);
                }
                Err(d) => errors.push(d),
            }
        }
        log::debug!("parsed {} rows in {} ms", parsed.rows_in, t0.elapsed().as_millis());
        products::check_duplicates(&items, &parsed, &mut errors);
        if errors.is_empty() {
            Ok(parsed)
        } else {
            Err(errors)
        }
    }
}

impl Stage for ImportProductsConfig {
    fn provides(&self) -> &'static [Resource] {
        &[Resource::Products]
    }

    fn check(&self, cx: &mut CheckContext<'_>) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        // The first import is the master's even when its file fails: the next mall's products are not
        // master products, and checking them as such would only add findings that follow from the failure.
        let master = cx.master_mall.get_or_insert_with(|| self.mall.value.clone()).clone();
        // A mall the settings already reported is read by its name's kind, as without settings.
        let reported = cx.settings.is_some_and(|s| s.mall_reported(&self.mall.value));
        if reported && MallKind::parse(&self.mall.value).is_none() {
            return diags;
        }
        let kind = mall_kind_of(cx.settings.filter(|_| !reported).map(|s| &s.malls), &self.mall, &cx.env, &mut diags);
        if !diags.is_empty() {
            return diags; // C041: without the mall's kind its file cannot be read
        }
        match self.parse(&cx.env, kind) {
            Err(e) => diags.extend(e),
            Ok(parsed) if master == self.mall.value => {
                let (products, options) = master_view(&parsed);
                cx.master_products = products;
                cx.master_options = options;
            }
            Ok(_) => {}
        }
        diags
    }

    fn run(&self, cx: &RunContext<'_>) -> Result<StageOutcome, StageError> {
        let mut diags = Vec::new();
        let kind = mall_kind_of(Some(&cx.settings.malls), &self.mall, &cx.env, &mut diags);
        if !diags.is_empty() {
            return Err(StageError::Input(diags));
        }
        // A cron poll re-reads unchanged files every 3 minutes: skip them (the files, this stage's
        // `with:`, and for a mall linked to the master, the master's own stamp all as before).
        let stamp_key = format!("import_stamp:{}", self.mall.value);
        let files = self.stamp(cx)?;
        let stamp = files.as_deref().map(|f| self.with_master(cx, f)).transpose()?;
        let stored = cx.store.meta(&stamp_key)?;
        if let (Some(stamp), Some((stored, warned))) = (&stamp, stored.as_deref().and_then(|s| s.rsplit_once('/'))) {
            if stamp == stored && !cx.replay {
                let count: i64 =
                    cx.store.conn.query_row("SELECT count(*) FROM products WHERE mall = ?", params![self.mall.value], |r| r.get(0))?;
                let warned = if warned == "0" {
                    String::new()
                } else {
                    pick(format!("、警告{warned}件は前回報告済み"), format!("; its {warned} warning(s) were reported then"))
                };
                return Ok(StageOutcome {
                    rows_in: count as u64,
                    rows_unchanged: count as u64,
                    message: pick(
                        format!(
                            "{}: 前回の取り込みから変わっていません（商品{count}件、読み直していません{warned}）",
                            display_path(&cx.resolve(&self.items.value))
                        ),
                        format!(
                            "{}: unchanged since the last import ({count} products, not read again{warned})",
                            display_path(&cx.resolve(&self.items.value))
                        ),
                    ),
                    ..Default::default()
                });
            }
        }
        let started = Instant::now();
        let parsed = self.parse(&cx.env, kind)?;
        let parse_ms = started.elapsed().as_millis();
        let link_by = self.link_by(&cx.env)?;
        let mut outcome = write(cx.store, &self.mall.value, link_by, &parsed, cx.now)?;
        // The stamp after the write: the master's own may have changed with it.
        match files.map(|f| self.with_master(cx, &f)).transpose()? {
            Some(stamp) => cx.store.conn.execute(
                "INSERT INTO shop_meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![stamp_key, format!("{stamp}/{}", outcome.warnings.len())],
            )?,
            None => cx.store.conn.execute("DELETE FROM shop_meta WHERE key = ?", params![stamp_key])?,
        };
        outcome.message = crate::domain::checks::say!(
            crate::domain::lang::current(),
            "{}: 商品{}件（新規{}、変更{}、変更なし{}、削除{}）、SKU {}件、選択肢{}件；読み込み{parse_ms} ms。{}",
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

    fn preview(&self, cx: &RunContext<'_>, limit: usize) -> Result<Preview, StageError> {
        let mut diags = Vec::new();
        let kind = mall_kind_of(Some(&cx.settings.malls), &self.mall, &cx.env, &mut diags);
        let parsed = self.parse(&cx.env, kind)?;
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

impl ImportProductsConfig {
    /// What this import reads, as a fingerprint: the files' bytes and the stage's `with:`. None
    /// when a file cannot be read (the import then reports it).
    fn stamp(&self, cx: &RunContext<'_>) -> Result<Option<String>, StageError> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        format!("{self:?}").hash(&mut h);
        for file in std::iter::once(&self.items).chain(self.options.as_ref()) {
            match std::fs::read(cx.resolve(&file.value)) {
                Ok(bytes) => bytes.hash(&mut h),
                Err(_) => return Ok(None),
            }
        }
        Ok(Some(format!("{:016x}", h.finish())))
    }

    /// The stamp with the master's own (for a mall that links to the master): a changed master
    /// means this mall's links are made again.
    fn with_master(&self, cx: &RunContext<'_>, files: &str) -> Result<String, StageError> {
        let master = cx.store.meta("master_mall")?.filter(|m| *m != self.mall.value);
        Ok(match master {
            Some(master) => format!("{files}+{}", cx.store.meta(&format!("import_stamp:{master}"))?.unwrap_or_default()),
            None => files.to_string(),
        })
    }
}

fn mall_kind_of(
    malls: Option<&std::collections::BTreeMap<String, crate::config::settings::MallSettings>>,
    mall: &Spanned<String>,
    env: &StageEnv<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<MallKind> {
    let malls = malls?;
    match malls.get(&mall.value) {
        Some(m) => Some(m.mall_kind),
        None => {
            let names: Vec<&str> = malls.keys().map(|s| s.as_str()).collect();
            let hint = crate::config::yaml::did_you_mean_hint(&mall.value, &names);
            diags.push(
                Diagnostic::error(
                    "C041",
                    pick(format!("モール `{}` は設定にありません", mall.value), format!("mall `{}` is not in the settings", mall.value)),
                )
                .at(env.file.place_at(&mall.referenced))
                .help(pick(
                    format!("{hint}設定にあるモール: {}", names.join(", ")),
                    format!("{hint}malls in the settings: {}", names.join(", ")),
                )),
            );
            None
        }
    }
}

/// The layout a mall kind's product file has unless `format:` says otherwise.
fn default_format(kind: MallKind) -> Option<&'static str> {
    match kind {
        MallKind::Rakuten => Some("rakuten"),
        MallKind::Yahoo => Some("yahoo"),
        MallKind::FutureShop => Some("futureshop"),
        MallKind::Amazon | MallKind::AuPay | MallKind::Yamada | MallKind::Ponpare => None,
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
         CREATE OR REPLACE TEMP TABLE stage_skus (item_key VARCHAR, sku VARCHAR, after_stored_code VARCHAR, choice_text VARCHAR, price BIGINT, stock BIGINT, src_line INTEGER);
         CREATE OR REPLACE TEMP TABLE stage_options (item_key VARCHAR, option_type VARCHAR, item_name VARCHAR, choice VARCHAR, seq INTEGER, del BOOLEAN, src_line INTEGER);",
    )?;
    let now = now.naive_utc();
    {
        // Staged in a temp table, then upserted set-based: appending straight into `products` (with
        // its primary-key index) measured slower, even for a mall's first import.
        let mut a = tx.appender_to_catalog_and_db("stage_products", "temp", "main")?;
        crate::io::progress::set_length(p.products.len() as u64, &pick("商品", "products"));
        for (i, r) in p.products.iter().enumerate() {
            if i % 1024 == 1023 {
                crate::io::progress::inc(1024);
            }
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
        crate::io::progress::inc(p.products.len() as u64 % 1024);
        a.flush()?;
        let mut a = tx.appender_to_catalog_and_db("stage_deletes", "temp", "main")?;
        for k in &p.deletes {
            a.append_row(params![k])?;
        }
        a.flush()?;
        let mut a = tx.appender_to_catalog_and_db("stage_skus", "temp", "main")?;
        for s in &p.skus {
            a.append_row(params![s.item_key, s.sku, s.after_stored_code, s.choice_text, s.price, s.stock, s.line as i64])?;
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

    // A per-option SKU of a product this file gives no 商品番号 for is the stored product's 商品番号 +
    // its axes' numbers, as when the whole item.csv was imported.
    tx.execute(
        "UPDATE stage_skus s SET sku = coalesce(p.product_code, s.item_key) || s.after_stored_code
         FROM products p WHERE s.after_stored_code IS NOT NULL AND p.mall = ? AND p.item_key = s.item_key",
        params![mall],
    )?;
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
                    pick(
                        format!("{mall} の商品 `{key}` に紐付く {master} のマスタ商品がありません（{link_by} `{code}`）"),
                        format!("product `{key}` of {mall} matches no master product of {master} ({link_by} `{code}`)"),
                    ),
                )
                .at_line(Path::new(&file), line as usize, None, None)
                .help(pick(
                    format!("先に {master} で取り込むか、{link_by} をマスタ商品と同じにしてください"),
                    format!("import it on {master} first, or make its {link_by} equal to the master product's"),
                )),
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
            crate::domain::checks::say!(crate::domain::lang::current(), "{mall}がマスタのモールです", "{mall} is the master mall")
        } else {
            crate::domain::checks::say!(
                crate::domain::lang::current(),
                "{master}の商品に{link_by}で紐付け；紐付かない商品{unmatched}件",
                "linked to {master} by {link_by}; {unmatched} unmatched"
            )
        },
        warnings,
        failed: 0,
    })
}

/// An update (`u`) of a product that does not exist and lacks a name or price cannot become a product.
fn update_of_unknown_product(file: &str, key: &str, line: usize) -> Diagnostic {
    Diagnostic::warning(
        "D015",
        pick(
            format!("商品 `{key}` は店舗にない商品への更新（u）です"),
            format!("product `{key}` is an update (u) of a product that is not in the store"),
        ),
    )
    .at_line(Path::new(file), line, None, None)
    .help(pick("先に n（商品名・販売価格つき）で登録してください", "import the product with `n` (and 商品名, 販売価格) first"))
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
