//! Rakuten RMS product CSVs: item.csv in the older layout (one row per product, options in
//! select.csv) and in the SKU layout of 2023 (product, SKU and option rows), and select.csv.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::ControlFlow;

use super::{missing_value, Cols, OptionRow, ParsedProducts, ProductRow, Rows, SkuRow, MAX_ROW_ERRORS};
use crate::config::diagnostic::Diagnostic;
use crate::domain::lang::pick;
use crate::io::csv_table::{CsvTable, Record};

const MANAGE: &str = "商品管理番号（商品URL）";
const CONTROL: &str = "コントロールカラム";
pub(super) const SKU_MANAGE: &str = "SKU管理番号";
/// What a new product (an `n` row, or any row without a control column) cannot do without.
const NEW_PRODUCT_COLUMNS: [&str; 2] = ["商品名", "販売価格"];

/// コントロールカラム: n (new), u (update), d (delete).
/// コントロールカラム: `n`, `u` or `d` (any case), or empty; anything else comes back whole, to be
/// named in D012 (`新規` is not `n`, and `nx` is not either).
fn control_of(raw: Option<Cow<'_, str>>) -> Result<Option<char>, String> {
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.trim();
    let mut chars = text.chars().map(|c| c.to_ascii_lowercase());
    match (chars.next(), chars.next()) {
        (None, _) => Ok(None),
        (Some(c @ ('n' | 'u' | 'd')), None) => Ok(Some(c)),
        _ => Err(text.to_string()),
    }
}

/// item.csv, pre-2023 layout: one row per product; options in select.csv.
pub(super) struct OldLayout {
    has_control: bool,
}

impl OldLayout {
    pub(super) fn new(t: &CsvTable) -> OldLayout {
        OldLayout { has_control: t.column(CONTROL).is_some() }
    }
}

impl Rows for OldLayout {
    fn key_column(&self) -> &str {
        MANAGE
    }

    fn required(&self) -> Vec<&str> {
        if self.has_control {
            vec![MANAGE]
        } else {
            vec![MANAGE, "商品番号", "商品名", "販売価格"]
        }
    }

    fn row(&mut self, c: &Cols<'_>, rec: &Record, key: String, out: &mut ParsedProducts, errors: &mut Vec<Diagnostic>) -> ControlFlow<()> {
        let t = c.table;
        let control = control_of(c.get(rec, CONTROL));
        match control {
            Ok(Some('d')) => {
                out.deletes.push(key);
                return ControlFlow::Continue(());
            }
            Ok(_) => {}
            Err(other) => {
                errors.push(
                    Diagnostic::error(
                        "D012",
                        pick(
                            format!("コントロールカラム `{other}` が n, u, d のどれでもありません"),
                            format!("コントロールカラム `{other}` is not n, u or d"),
                        ),
                    )
                    .at_line(&t.path, rec.line, Some(1), Some(t.line_text(rec.line)))
                    .help(pick("n = 新規, u = 更新, d = 削除", "n = new product, u = update, d = delete")),
                );
                return ControlFlow::Continue(());
            }
        }
        let row = ProductRow {
            item_key: key,
            product_code: c.text(rec, "商品番号"),
            name: c.text(rec, "商品名"),
            price: c.number(rec, "販売価格", errors),
            tax_included: c.flag(rec, "消費税"),
            postage_included: c.flag(rec, "送料"),
            stock_type: c.number(rec, "在庫タイプ", errors).map(|v| v as i32),
            stock: c.number(rec, "在庫数", errors),
            line: rec.line,
        };
        if control != Ok(Some('u')) {
            let lacking: Vec<&str> = NEW_PRODUCT_COLUMNS.iter().copied().filter(|col| c.column(col).is_none()).collect();
            if !lacking.is_empty() {
                errors.push(
                    Diagnostic::error(
                        "D006",
                        pick(
                            format!("新規の商品（`n` の行）に必要な列がファイルにありません: {}", lacking.join(", ")),
                            format!("new products (`n` rows) need the column(s) {}, which the file lacks", lacking.join(", ")),
                        ),
                    )
                    .at_line(&t.path, rec.line, Some(1), Some(t.line_text(rec.line)))
                    .help(pick(
                        "item.csv を全項目で出力し直すか、一部の列だけを更新する行には `u` を付けてください",
                        "export the full item.csv, or mark rows that only update some columns with `u`",
                    )),
                );
                return ControlFlow::Break(());
            }
            // Empty, not unreadable: a price that is not a number is D011 already.
            for field in NEW_PRODUCT_COLUMNS {
                if c.text(rec, field).is_none() && errors.len() < MAX_ROW_ERRORS {
                    errors.push(missing_value(t, rec, field));
                }
            }
        }
        out.products.push(row);
        ControlFlow::Continue(())
    }
}

/// item.csv, SKU layout (2023-): product rows (商品名), SKU rows (SKU管理番号), option rows (選択肢タイプ).
/// A SKU row adds its price and stock to the product row above it.
#[derive(Default)]
pub(super) struct SkuLayout {
    products: Vec<ProductRow>,
    index: HashMap<String, usize>,
    seq: i32,
}

impl Rows for SkuLayout {
    fn key_column(&self) -> &str {
        MANAGE
    }

    fn required(&self) -> Vec<&str> {
        vec![MANAGE, "商品名", SKU_MANAGE, "販売価格"]
    }

    fn replaces_options(&self) -> bool {
        true
    }

    fn row(&mut self, c: &Cols<'_>, rec: &Record, key: String, out: &mut ParsedProducts, errors: &mut Vec<Diagnostic>) -> ControlFlow<()> {
        let t = c.table;
        if let Some(name) = c.text(rec, "商品名") {
            self.index.insert(key.clone(), self.products.len());
            self.products.push(ProductRow {
                item_key: key.clone(),
                product_code: c.text(rec, "商品番号"),
                name: Some(name),
                tax_included: c.flag(rec, "消費税"),
                postage_included: c.flag(rec, "送料"),
                line: rec.line,
                ..Default::default()
            });
            // Variation definitions: "カラー|サイズ" and "赤|青|白".
            if let Some(names) = c.text(rec, "バリエーション項目名定義") {
                for (i, item) in names.split('|').enumerate() {
                    if let Some(choices) = c.text(rec, &format!("バリエーション{}選択肢定義", i + 1)) {
                        for ch in choices.split('|') {
                            self.seq += 1;
                            out.options.push(OptionRow {
                                item_key: key.clone(),
                                option_type: "v".into(),
                                item_name: item.trim().into(),
                                choice: ch.trim().into(),
                                seq: self.seq,
                                delete: false,
                                line: rec.line,
                            });
                        }
                    }
                }
            }
        }
        if let Some(sku) = c.text(rec, SKU_MANAGE) {
            let price = c.number(rec, "販売価格", errors);
            let stock = c.number(rec, "在庫数", errors);
            let choice_text = (1..=3).filter_map(|i| c.text(rec, &format!("バリエーション{i}選択肢定義"))).collect::<Vec<_>>().join(" ");
            out.skus.push(SkuRow {
                item_key: key.clone(),
                sku,
                after_stored_code: None,
                choice_text: (!choice_text.is_empty()).then_some(choice_text),
                price,
                stock,
                line: rec.line,
            });
            if let Some(&i) = self.index.get(&key) {
                let p = &mut self.products[i];
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
        if let Some(item_name) = c.text(rec, "商品オプション項目名") {
            for i in 1..=100 {
                let col = format!("商品オプション選択肢{i}");
                if t.column(&col).is_none() {
                    break;
                }
                if let Some(choice) = c.text(rec, &col) {
                    self.seq += 1;
                    out.options.push(OptionRow {
                        item_key: key.clone(),
                        option_type: c.text(rec, "選択肢タイプ").unwrap_or_else(|| "s".into()),
                        item_name: item_name.clone(),
                        choice,
                        seq: self.seq,
                        delete: false,
                        line: rec.line,
                    });
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// 在庫タイプ: 2 (per option) for a product with several SKUs, else 1.
    fn finish(mut self, out: &mut ParsedProducts) {
        let mut skus_of: HashMap<&str, usize> = HashMap::new();
        for s in &out.skus {
            *skus_of.entry(s.item_key.as_str()).or_default() += 1;
        }
        for p in &mut self.products {
            p.stock_type = Some(if skus_of.get(p.item_key.as_str()).copied().unwrap_or(0) > 1 { 2 } else { 1 });
        }
        out.products = self.products;
    }
}

/// select.csv: `s`/`c` rows are option choices, `i` rows are per-option stock (SKUs).
pub(super) struct SelectCsv {
    item_col: &'static str,
    choice_col: &'static str,
    /// 商品番号 by 商品管理番号, from the product file: a per-option SKU is 商品番号 + its axes' numbers.
    /// A product the file does not give one for takes the stored product's (at the write).
    code_of: HashMap<String, String>,
    seq: i32,
}

impl SelectCsv {
    pub(super) fn new(t: &CsvTable, products: &[ProductRow]) -> SelectCsv {
        let (item_col, choice_col) = if t.column("Select/Checkbox用項目名").is_some() {
            ("Select/Checkbox用項目名", "Select/Checkbox用選択肢")
        } else {
            ("項目選択肢項目名", "項目選択肢")
        };
        let code_of = products.iter().filter_map(|p| Some((p.item_key.clone(), p.product_code.clone()?))).collect();
        SelectCsv { item_col, choice_col, code_of, seq: 0 }
    }
}

impl Rows for SelectCsv {
    fn key_column(&self) -> &str {
        MANAGE
    }

    fn required(&self) -> Vec<&str> {
        vec![MANAGE, "選択肢タイプ", self.item_col, self.choice_col]
    }

    fn row(&mut self, c: &Cols<'_>, rec: &Record, key: String, out: &mut ParsedProducts, errors: &mut Vec<Diagnostic>) -> ControlFlow<()> {
        let t = c.table;
        let delete = control_of(c.get(rec, "項目選択肢用コントロールカラム")) == Ok(Some('d'));
        let kind = c.text(rec, "選択肢タイプ").unwrap_or_default().to_ascii_lowercase();
        match kind.as_str() {
            "s" | "c" => {
                let (Some(item_name), Some(choice)) = (c.text(rec, self.item_col), c.text(rec, self.choice_col)) else {
                    errors.push(missing_value(t, rec, self.choice_col));
                    return ControlFlow::Continue(());
                };
                self.seq += 1;
                out.options.push(OptionRow { item_key: key, option_type: kind, item_name, choice, seq: self.seq, delete, line: rec.line });
            }
            "i" => {
                let h = c.text(rec, "項目選択肢別在庫用横軸選択肢子番号").unwrap_or_default();
                let v = c.text(rec, "項目選択肢別在庫用縦軸選択肢子番号").unwrap_or_default();
                let suffix = format!("{h}{v}");
                let base = self.code_of.get(&key);
                let choice_text = ["項目選択肢別在庫用横軸選択肢", "項目選択肢別在庫用縦軸選択肢"]
                    .iter()
                    .filter_map(|choice| c.text(rec, choice))
                    .collect::<Vec<_>>()
                    .join(" ");
                out.skus.push(SkuRow {
                    sku: format!("{}{suffix}", base.unwrap_or(&key)),
                    after_stored_code: base.is_none().then_some(suffix),
                    item_key: key,
                    choice_text: (!choice_text.is_empty()).then_some(choice_text),
                    price: None,
                    stock: c.number(rec, "項目選択肢別在庫用在庫数", errors),
                    line: rec.line,
                });
            }
            other => errors.push(
                Diagnostic::error(
                    "D013",
                    pick(
                        format!("選択肢タイプ `{other}` が s, c, i のどれでもありません"),
                        format!("選択肢タイプ `{other}` is not s, c or i"),
                    ),
                )
                .at_line(&t.path, rec.line, None, Some(t.line_text(rec.line)))
                .help(pick(
                    "s = セレクトボックス, c = チェックボックス, i = 項目選択肢別在庫",
                    "s = select box, c = checkbox, i = per-option stock",
                )),
            ),
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_control_column_is_one_letter_or_empty() {
        let of = |s: &str| control_of(Some(Cow::Borrowed(s)));
        assert_eq!(
            (of("n"), of(" U "), of("D"), of(""), control_of(None)),
            (Ok(Some('n')), Ok(Some('u')), Ok(Some('d')), Ok(None), Ok(None))
        );
        assert_eq!(of("新規"), Err("新規".into()), "named whole in D012");
        assert_eq!(of("nx"), Err("nx".into()), "not taken for n");
        assert_eq!(of("x"), Err("x".into()));
    }
}
