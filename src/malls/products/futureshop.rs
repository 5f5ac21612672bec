//! FutureShop2 goods.csv (商品データ): one row per product, keyed by its 商品URLコード.

use std::sync::LazyLock;

use super::Columns;

pub static COLUMNS: LazyLock<Columns> = LazyLock::new(|| Columns {
    item_key: "商品URLコード".into(),
    product_code: Some("商品番号".into()),
    name: "商品名".into(),
    price: "販売価格".into(),
    stock: Some("在庫数".into()),
    sku: None,
    options: None,
});
