//! Layouts by column name: one row per product, its columns named (Yahoo data.csv, FutureShop2
//! goods.csv, or the pipeline's `mapping:`). Options and SKUs of an item replace its stored ones.

use std::ops::ControlFlow;

use super::{missing_value, Cols, OptionRow, ParsedProducts, ProductRow, Rows, SkuRow};
use crate::config::diagnostic::Diagnostic;
use crate::io::csv_table::Record;

/// Which column holds each product field.
#[derive(Debug, Clone)]
pub struct Columns {
    pub item_key: String,
    pub product_code: Option<String>,
    pub name: String,
    pub price: String,
    pub stock: Option<String>,
    /// One SKU per row, or Yahoo's sub-code list.
    pub sku: Option<String>,
    /// Yahoo's `options` column: one option per line, `項目名 選択肢1 選択肢2 …`.
    pub options: Option<String>,
}

pub(super) struct ByName<'a> {
    columns: &'a Columns,
    seq: i32,
}

impl<'a> ByName<'a> {
    pub(super) fn new(columns: &'a Columns) -> ByName<'a> {
        ByName { columns, seq: 0 }
    }
}

impl Rows for ByName<'_> {
    fn key_column(&self) -> &str {
        &self.columns.item_key
    }

    fn required(&self) -> Vec<&str> {
        vec![self.columns.item_key.as_str(), self.columns.name.as_str(), self.columns.price.as_str()]
    }

    fn replaces_options(&self) -> bool {
        true
    }

    fn row(&mut self, c: &Cols<'_>, rec: &Record, key: String, out: &mut ParsedProducts, errors: &mut Vec<Diagnostic>) -> ControlFlow<()> {
        let (t, l) = (c.table, self.columns);
        let name = c.text(rec, &l.name);
        if name.is_none() {
            errors.push(missing_value(t, rec, &l.name));
        }
        let price = c.number(rec, &l.price, errors);
        if price.is_none() && c.text(rec, &l.price).is_none() {
            errors.push(missing_value(t, rec, &l.price));
        }
        out.products.push(ProductRow {
            item_key: key.clone(),
            product_code: l.product_code.as_deref().and_then(|col| c.text(rec, col)).or_else(|| Some(key.clone())),
            name,
            price,
            stock: l.stock.as_deref().and_then(|col| c.number(rec, col, errors)),
            line: rec.line,
            ..Default::default()
        });
        if let Some(text) = l.options.as_deref().and_then(|col| c.text(rec, col)) {
            for line in text.lines() {
                let mut parts = line.split([' ', '\u{3000}']).filter(|s| !s.is_empty());
                let Some(item_name) = parts.next() else {
                    continue;
                };
                for choice in parts {
                    self.seq += 1;
                    out.options.push(OptionRow {
                        item_key: key.clone(),
                        option_type: "s".into(),
                        item_name: item_name.to_string(),
                        choice: choice.to_string(),
                        seq: self.seq,
                        delete: false,
                        line: rec.line,
                    });
                }
            }
        }
        // Yahoo sub-code: `カラー:赤#サイズ:S=CODE-r-s&…`; a plain column holds one SKU.
        if let Some(raw) = l.sku.as_deref().and_then(|col| c.text(rec, col)) {
            for part in raw.split('&').filter(|s| !s.trim().is_empty()) {
                let (choice_text, sku) = match part.rsplit_once('=') {
                    Some((choices, sku)) => (Some(choices.replace('#', " ")), sku.trim().to_string()),
                    None => (None, part.trim().to_string()),
                };
                out.skus.push(SkuRow {
                    item_key: key.clone(),
                    sku,
                    after_stored_code: None,
                    choice_text,
                    price: None,
                    stock: None,
                    line: rec.line,
                });
            }
        }
        ControlFlow::Continue(())
    }
}
