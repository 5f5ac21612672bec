//! Yahoo!ショッピング data.csv (商品データ): one row per product; `sub-code` lists its SKUs with their
//! choices, `options` its option choices.

use std::sync::LazyLock;

use super::Columns;

pub static COLUMNS: LazyLock<Columns> = LazyLock::new(|| Columns {
    item_key: "code".into(),
    product_code: Some("code".into()),
    name: "name".into(),
    price: "price".into(),
    stock: None,
    sku: Some("sub-code".into()),
    options: Some("options".into()),
});
