//! Products (商品) as import_products leaves them. import_products is the only writer of `products`,
//! `product_skus` and `product_options` (its set-based upsert sits beside it); what other stages read is here.

use anyhow::Result;

use super::Store;
use crate::domain::masters::{MasterProduct, ProductOptionChoice};

impl Store {
    /// The master mall's products and option choices, from the store.
    pub fn master_products(&self) -> Result<(Vec<MasterProduct>, Vec<ProductOptionChoice>)> {
        let store = self;
        let Some(master) = store.meta("master_mall")? else {
            return Ok((Vec::new(), Vec::new()));
        };
        let mut st = store.conn.prepare(
            "SELECT item_key, coalesce(product_code, item_key), coalesce(name, ''), coalesce(src_file, ''), coalesce(src_line, 0)
         FROM products WHERE mall = ? ORDER BY src_line",
        )?;
        let products = st
            .query_map([&master], |r| {
                Ok(MasterProduct {
                    item_key: r.get(0)?,
                    product_code: r.get(1)?,
                    name: r.get(2)?,
                    src_file: r.get(3)?,
                    src_line: r.get::<_, i64>(4)? as usize,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut st = store.conn.prepare(
            "SELECT coalesce(p.product_code, o.item_key), o.item_name, o.choice, coalesce(o.src_file, ''), coalesce(o.src_line, 0)
         FROM product_options o LEFT JOIN products p ON p.mall = o.mall AND p.item_key = o.item_key
         WHERE o.mall = ? ORDER BY o.src_line",
        )?;
        let options = st
            .query_map([&master], |r| {
                Ok(ProductOptionChoice {
                    product_code: r.get(0)?,
                    item_name: r.get(1)?,
                    choice: r.get(2)?,
                    src_file: r.get(3)?,
                    src_line: r.get::<_, i64>(4)? as usize,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((products, options))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_master_malls_products_and_options_and_none_before_the_first_import() {
        let store = Store::in_memory().unwrap();
        let (p, o) = store.master_products().unwrap();
        assert!(p.is_empty() && o.is_empty());
        store
            .conn
            .execute_batch(
                "INSERT INTO shop_meta VALUES ('master_mall', 'rakuten');
                 INSERT INTO products (mall, item_key, product_code, name, src_file, src_line, updated_at) VALUES
                   ('rakuten', 'towel-01', 'NG-TWL-001', '今治タオル', 'item.csv', 3, TIMESTAMP '2026-12-01 09:00:00'),
                   ('rakuten', 'cup-01', NULL, '湯呑み', 'item.csv', 2, TIMESTAMP '2026-12-01 09:00:00'),
                   ('yahoo', 'towel-01', 'NG-TWL-001', '今治タオル', 'data.csv', 2, TIMESTAMP '2026-12-01 09:00:00');
                 INSERT INTO product_options (mall, item_key, option_type, item_name, choice, seq, src_file, src_line) VALUES
                   ('rakuten', 'towel-01', 's', 'ラッピング', 'あり(+300円)', 1, 'select.csv', 2),
                   ('yahoo', 'towel-01', 's', 'ラッピング', 'あり', 1, 'options.csv', 2);",
            )
            .unwrap();
        let (products, options) = store.master_products().unwrap();
        let codes: Vec<(&str, &str, usize)> = products.iter().map(|p| (p.item_key.as_str(), p.product_code.as_str(), p.src_line)).collect();
        // In file order; a product without 商品番号 is known by its 商品管理番号.
        assert_eq!(codes, [("cup-01", "cup-01", 2), ("towel-01", "NG-TWL-001", 3)]);
        assert_eq!(options.len(), 1);
        assert_eq!((options[0].product_code.as_str(), options[0].choice.as_str()), ("NG-TWL-001", "あり(+300円)"));
    }
}
