//! import_products: layouts, n/u/d, and every kind of bad input (clear place, nothing written).

use crate::support::Shop;

const ITEM: &str = "sample-data/products/rakuten/item.csv";

/// Runs the demo once, breaks the Rakuten file with `breaker`, runs again: exit 78, store untouched.
fn assert_rejected(breaker: impl Fn(&Shop), expect: &[&str]) -> String {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    let before = shop.query_one("select count(*) || '/' || sum(hash(mall, item_key, name, price, stock)) from products");
    breaker(&shop);
    let out = shop.run_demo();
    assert_eq!(out.code, 78, "{}\n{}", out.stdout, out.stderr);
    for e in expect {
        assert!(out.stderr.contains(e), "expected {e:?} in:\n{}", out.stderr);
    }
    assert!(out.stdout.contains("nothing written"), "{}", out.stdout);
    let after = shop.query_one("select count(*) || '/' || sum(hash(mall, item_key, name, price, stock)) from products");
    assert_eq!(before, after, "a failed import must write nothing");
    out.text(&shop)
}

#[test]
fn cp932_file_declared_utf8_says_which_it_is() {
    assert_rejected(
        |s| {
            s.edit(
                "pipelines/demo.yaml",
                "items: ../sample-data/products/rakuten/item.csv",
                "items: ../sample-data/products/rakuten/item.csv\n      encoding: utf-8",
            )
        },
        &["error[D001]: the file is CP932 (Shift_JIS), but `encoding: utf-8` was given", "item.csv"],
    );
}

#[test]
fn utf8_file_declared_cp932_says_which_it_is() {
    assert_rejected(
        |s| {
            let text = s.read_cp932(ITEM);
            s.write(ITEM, &text);
            s.edit(
                "pipelines/demo.yaml",
                "items: ../sample-data/products/rakuten/item.csv",
                "items: ../sample-data/products/rakuten/item.csv\n      encoding: cp932",
            );
        },
        &["error[D001]: the file is UTF-8, but `encoding: cp932` was given"],
    );
}

/// A header that differs only in width (`(` for `（`) is the column; new products without a 販売価格
/// column are told that column alone is missing.
#[test]
fn headers_match_across_widths_and_d006_names_only_the_missing_column() {
    let shop = Shop::sample();
    let text = shop.read_cp932(ITEM).replacen("\"商品管理番号（商品URL）\"", "\"商品管理番号(商品URL)\"", 1);
    shop.write_cp932(ITEM, &text);
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(shop.query_one("select count(*) from products where mall = 'rakuten'"), "12");
    let before = shop.store_dump();
    let text = shop.read_cp932(ITEM).replacen("\"販売価格\"", "\"売価\"", 1);
    shop.write_cp932(ITEM, &text);
    let out = shop.run_demo();
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(
        out.stderr.contains("error[D006]: new products (`n` rows) need the column(s) 販売価格, which the file lacks"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("column(s) 商品名"), "商品名 is there: {}", out.stderr);
    assert_eq!(shop.store_dump(), before);
}

#[test]
fn missing_required_columns_are_named_with_the_columns_found() {
    assert_rejected(
        |s| {
            let text = s.read_cp932(ITEM).replacen("\"商品名\"", "\"品名\"", 1).replacen("\"コントロールカラム\"", "\"コントロール\"", 1);
            s.write_cp932(ITEM, &text);
        },
        &["error[D006]: missing required column(s): 商品名", "columns found: コントロール, 商品管理番号（商品URL）"],
    );
}

#[test]
fn broken_quoting_names_the_line() {
    assert_rejected(
        |s| {
            let text = s.read_cp932(ITEM);
            let mut lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
            lines[3] = lines[3].replacen("\",\"", ",\"", 1); // drop one closing quote on line 4
            s.write_cp932(ITEM, &lines.join("\r\n"));
        },
        &["error[D005]: line 4 has", "item.csv:4"],
    );
}

#[test]
fn non_numeric_price_names_line_and_column() {
    let text = assert_rejected(
        |s| {
            let text = s.read_cp932(ITEM);
            let mut lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
            let fields: Vec<&str> = lines[2].split("\",\"").collect();
            let price = fields[8].to_string();
            lines[2] = lines[2].replacen(&format!("\"{price}\""), "\"千九百八十円\"", 1);
            s.write_cp932(ITEM, &lines.join("\r\n"));
        },
        &["error[D011]: 販売価格 `千九百八十円` is not a whole number", "item.csv:3:"],
    );
    // The price is not empty: no D014 after the D011.
    assert!(!text.contains("D014"), "{text}");
    insta::assert_snapshot!("non_numeric_price", text);
}

#[test]
fn duplicate_product_keys_name_both_lines() {
    assert_rejected(
        |s| {
            let text = s.read_cp932(ITEM);
            let mut lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
            let dup = lines[1].clone();
            lines.insert(5, dup);
            s.write_cp932(ITEM, &lines.join("\r\n"));
        },
        &["error[D010]: product `imabari-towel-01` appears twice (lines 2 and 6)"],
    );
}

#[test]
fn empty_file() {
    assert_rejected(|s| s.write(ITEM, ""), &["error[D004]: the file is empty"]);
}

/// A header alone is a failed export: an error at its place that changes nothing (before, the
/// select.csv beside it rewrote the 18 per-option SKUs, not finding their products' 商品番号).
#[test]
fn a_product_file_with_only_its_header_changes_nothing() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    let before = shop.store_dump();
    let header = shop.read_cp932(ITEM).split("\r\n").next().unwrap().to_string();
    for text in [format!("{header}\r\n"), format!("{header}\r\n\r\n\r\n")] {
        shop.write_cp932(ITEM, &text);
        let out = shop.run_demo();
        assert_eq!(out.code, 78, "{}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains("error[D004]: the file has its header row but no products"), "{}", out.stderr);
        assert!(out.stderr.contains("--> sample-data/products/rakuten/item.csv:1:1"), "{}", out.stderr);
        assert_eq!(shop.store_dump(), before, "a header-only file must change nothing");
    }
}

/// select.csv beside an item.csv that lists only some products (`u` rows) or has no 商品番号: the
/// per-option SKUs of the products it does not give a 商品番号 for keep the stored products' 商品番号.
#[test]
fn per_option_skus_keep_the_stored_product_code_when_the_item_file_is_partial() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    let skus = "select string_agg(item_key || ':' || sku, ' ' order by item_key, sku) from product_skus where mall = 'rakuten'";
    let before = shop.query_one(skus);
    assert!(before.contains("wa-tshirt-01:NG-TSH-001-n-l"), "{before}");
    shop.write_cp932(
        "sample-data/products/rakuten/update.csv",
        "\"コントロールカラム\",\"商品管理番号（商品URL）\",\"販売価格\"\r\n\"u\",\"wa-tshirt-01\",\"3300\"\r\n\"u\",\"imabari-towel-01\",\"2200\"\r\n",
    );
    shop.write(
        "pipelines/update.yaml",
        "settings: ../shop.yaml\nstages:\n  - id: update\n    type: import_products\n    with: { mall: rakuten, items: ../sample-data/products/rakuten/update.csv, options: ../sample-data/products/rakuten/select.csv }\n",
    );
    let out = shop.juchu(&["run", "pipelines/update.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(shop.query_one("select price from products where item_key = 'wa-tshirt-01'"), "3300");
    assert_eq!(shop.query_one(skus), before);
}

/// encoding_rs reads a lone 0x80 in Shift_JIS as U+0080; juchu takes it for what it is, a byte that
/// is no CP932 character, and says where: in the sample encoding detection reads, and deep in a file.
#[test]
fn a_lone_0x80_byte_is_an_error_at_its_line_and_column() {
    let out = assert_rejected(
        |s| {
            let mut bytes = std::fs::read(s.path(ITEM)).unwrap();
            let name = encoding_rs::SHIFT_JIS.encode("今治タオル フェイスタオル").0.into_owned();
            let at = find(&bytes, &name).unwrap() + 4; // after 今治
            bytes.insert(at, 0x80);
            s.write_bytes(ITEM, &bytes);
        },
        &[
            "error[D002]: bytes that are not valid CP932 (Shift_JIS) in column 商品名",
            "--> sample-data/products/rakuten/item.csv:2:82",
            "byte 0x80 is not a character in CP932",
        ],
    );
    assert!(out.contains("\"今治�タオル"), "the snippet shows the byte as �:\n{out}");
}

#[test]
fn rakuten_control_column_n_u_d() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    // A partial file: update one price, delete one product.
    shop.write_cp932(
        "sample-data/products/rakuten/update.csv",
        "\"コントロールカラム\",\"商品管理番号（商品URL）\",\"販売価格\"\r\n\"u\",\"imabari-towel-01\",\"2200\"\r\n\"d\",\"tenugui-01\",\"\"\r\n",
    );
    shop.write(
        "pipelines/update.yaml",
        "settings: ../shop.yaml\nstages:\n  - id: update\n    type: import_products\n    with: { mall: rakuten, items: ../sample-data/products/rakuten/update.csv }\n",
    );
    let out = shop.juchu(&["run", "pipelines/update.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("1 products (0 new, 1 changed, 0 unchanged, 1 deleted)"), "{}", out.stdout);
    assert_eq!(shop.query_one("select price from products where item_key = 'imabari-towel-01'"), "2200");
    // The update kept the columns the file does not have.
    assert!(shop.query_one("select name from products where item_key = 'imabari-towel-01'").contains("今治"));
    assert_eq!(shop.query_one("select count(*) from products where item_key = 'tenugui-01'"), "0");
    assert_eq!(shop.query_one("select count(*) from product_options where item_key = 'tenugui-01'"), "0");
}

#[test]
fn options_and_per_option_stock_are_kept() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    assert_eq!(shop.query_one("select count(*) from product_options where mall = 'rakuten' and choice = 'あり(+300円)'"), "5");
    assert_eq!(shop.query_one("select count(*) from product_skus where item_key = 'wa-tshirt-01'"), "9");
    assert_eq!(shop.query_one("select min(sku) from product_skus where item_key = 'wa-tshirt-01'"), "NG-TSH-001-n-l");
}

#[test]
fn rakuten_sku_layout_imports_products_skus_and_options() {
    let shop = Shop::sample();
    shop.write_cp932(
        "sample-data/products/rakuten/sku-item.csv",
        "\"商品管理番号（商品URL）\",\"商品番号\",\"商品名\",\"バリエーション項目名定義\",\"バリエーション1選択肢定義\",\"バリエーション2選択肢定義\",\"選択肢タイプ\",\"商品オプション項目名\",\"商品オプション選択肢1\",\"商品オプション選択肢2\",\"SKU管理番号\",\"販売価格\",\"在庫数\"\r\n\
\"wa-tshirt-01\",\"NG-TSH-001\",\"和柄Tシャツ\",\"カラー|サイズ\",\"赤|紺\",\"S|M\",\"\",\"\",\"\",\"\",\"\",\"\",\"\"\r\n\
\"wa-tshirt-01\",\"\",\"\",\"\",\"赤\",\"S\",\"\",\"\",\"\",\"\",\"tsh-r-s\",\"2980\",\"5\"\r\n\
\"wa-tshirt-01\",\"\",\"\",\"\",\"紺\",\"M\",\"\",\"\",\"\",\"\",\"tsh-n-m\",\"3080\",\"2\"\r\n\
\"wa-tshirt-01\",\"\",\"\",\"\",\"\",\"\",\"s\",\"ラッピング\",\"なし\",\"あり(+300円)\",\"\",\"\",\"\"\r\n",
    );
    shop.write(
        "pipelines/sku.yaml",
        "settings: ../shop.yaml\nstages:\n  - id: sku\n    type: import_products\n    with: { mall: rakuten, items: ../sample-data/products/rakuten/sku-item.csv }\n",
    );
    let out = shop.juchu(&["run", "pipelines/sku.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        shop.query_one("select price || '/' || stock || '/' || stock_type from products where item_key = 'wa-tshirt-01'"),
        "2980/7/2"
    );
    assert_eq!(shop.query_one("select count(*) from product_skus"), "2");
    assert_eq!(shop.query_one("select count(*) from product_options where option_type = 'v'"), "4");
    assert_eq!(shop.query_one("select count(*) from product_options where item_name = 'ラッピング'"), "2");
}

#[test]
fn a_mall_without_a_layout_imports_through_a_mapping() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    shop.write(
        "sample-data/products/yamada/items.csv",
        "商品コード,品名,売価,在庫\nNG-TWL-001,今治タオル,1980,5\nNG-MUG-001,有田焼マグ,２，４８０,3\n",
    );
    shop.write(
        "pipelines/yamada.yaml",
        "settings: ../shop.yaml\nstages:\n  - id: yamada\n    type: import_products\n    with:\n      mall: yamada\n      items: ../sample-data/products/yamada/items.csv\n      mapping: { item_key: 商品コード, name: 品名, price: 売価, stock: 在庫 }\n",
    );
    let out = shop.juchu(&["run", "pipelines/yamada.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(shop.query_one("select price from products where mall = 'yamada' and item_key = 'NG-MUG-001'"), "2480");
    assert_eq!(shop.query_one("select master_item_key from products where mall = 'yamada' and item_key = 'NG-MUG-001'"), "arita-mug-01");
}

#[test]
fn a_mall_kind_without_a_layout_needs_a_mapping() {
    let shop = Shop::sample();
    shop.write(
        "pipelines/yamada.yaml",
        "settings: ../shop.yaml\nstages:\n  - id: yamada\n    type: import_products\n    with: { mall: yamada, items: ../sample-data/products/yamada/items.csv }\n",
    );
    let out = shop.juchu(&["check", "pipelines/yamada.yaml"]);
    assert_eq!(out.code, 78, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("error[C043]: mall kind `yamada` has no built-in product layout"), "{}", out.stderr);
}

/// A large file is detected from a sample and parsed in chunks; a bad byte far into it is still
/// reported at its line and column, and nothing is written.
#[test]
fn a_bad_byte_deep_in_a_large_file_is_reported_at_its_line() {
    let line = std::cell::Cell::new(0);
    let out = assert_rejected(
        |s| {
            assert_eq!(s.juchu(&["gen", "rakuten-items", "--rows", "12000", "--out", ITEM]).code, 0);
            let mut bytes = std::fs::read(s.path(ITEM)).unwrap();
            let at = find(&bytes, b"No.11999 ").expect("generated name");
            bytes.insert(at + 3, 0xFD); // never a CP932 byte
            let record = find(&bytes, b"\"n\",\"item-0011999\"").unwrap();
            line.set(bytes[..record].iter().filter(|b| **b == b'\n').count() + 1);
            // A lone 0x80 (which encoding_rs would pass through as U+0080) in the record before.
            let at = find(&bytes, b"No.11998 ").expect("generated name");
            bytes.insert(at + 3, 0x80);
            s.write_bytes(ITEM, &bytes);
        },
        &[
            "error[D002]: bytes that are not valid CP932 (Shift_JIS) in column 商品名",
            "byte 0xFD is not a character in CP932",
            "byte 0x80 is not a character in CP932",
        ],
    );
    assert!(line.get() > 12000, "records span lines");
    assert!(out.contains(&format!("item.csv:{}:", line.get())), "{out}");
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
