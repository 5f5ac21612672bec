//! `juchu gen`: test data for benchmarks (a large Rakuten item.csv in CP932).

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;

use crate::ExitStatus;

#[derive(Subcommand, Debug)]
pub enum Gen {
    /// A Rakuten item.csv (old layout, full header, CP932, CRLF, quoted) with N products.
    RakutenItems {
        #[arg(long, default_value_t = 200_000)]
        rows: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Copies the orders already in a store until it holds N (order numbers suffixed `-c<k>`), for
    /// the enrichment benchmark. Run a pipeline that fetches orders into the store first.
    Orders {
        #[arg(long, default_value_t = 1_000_000)]
        count: usize,
        #[arg(long)]
        store: PathBuf,
    },
}

/// The full pre-2023 item.csv header (mall-apis.md §2).
pub const RAKUTEN_ITEM_HEADER: &[&str] = &[
    "コントロールカラム",
    "商品管理番号（商品URL）",
    "商品番号",
    "全商品ディレクトリID",
    "タグID",
    "PC用キャッチコピー",
    "モバイル用キャッチコピー",
    "商品名",
    "販売価格",
    "表示価格",
    "消費税",
    "送料",
    "個別送料",
    "送料区分1",
    "送料区分2",
    "代引料",
    "倉庫指定",
    "商品情報レイアウト",
    "注文ボタン",
    "資料請求ボタン",
    "商品問い合わせボタン",
    "再入荷お知らせボタン",
    "モバイル表示",
    "のし対応",
    "PC用商品説明文",
    "モバイル用商品説明文",
    "スマートフォン用商品説明文",
    "PC用販売説明文",
    "商品画像URL",
    "商品画像名（ALT）",
    "動画",
    "販売期間指定",
    "注文受付数",
    "在庫タイプ",
    "在庫数",
    "在庫数表示",
    "項目選択肢別在庫用横軸項目名",
    "項目選択肢別在庫用縦軸項目名",
    "項目選択肢別在庫用残り表示閾値",
    "RAC番号",
    "サーチ非表示",
    "闇市パスワード",
    "カタログID",
    "在庫戻しフラグ",
    "在庫切れ時の注文受付",
    "在庫あり時納期管理番号",
    "在庫切れ時納期管理番号",
    "予約商品発売日",
    "ポイント変倍率",
    "ポイント変倍率適用期間",
    "ヘッダー・フッター・レフトナビ",
    "表示項目の並び順",
    "共通説明文（小）",
    "目玉商品",
    "共通説明文（大）",
    "レビュー本文表示",
    "あす楽配送管理番号",
    "海外配送管理番号",
    "サイズ表リンク",
    "医薬品説明文",
    "医薬品注意事項",
    "二重価格文言管理番号",
];

const NAMES: &[&str] = &[
    "今治タオル",
    "有田焼マグカップ",
    "南部鉄器 急須",
    "信州りんごジュース",
    "宇治抹茶",
    "北海道産 昆布",
    "手ぬぐい",
    "名入れ箸",
    "甚平",
    "博多もつ鍋セット",
];

pub fn gen(g: Gen) -> ExitStatus {
    match g {
        Gen::Orders { count, store } => match orders(count, &store) {
            Ok(n) => {
                println!("{} now holds {n} orders", store.display());
                ExitStatus::Success
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitStatus::Internal
            }
        },
        Gen::RakutenItems { rows, out } => match rakuten_items(rows, &out) {
            Ok(bytes) => {
                println!("wrote {} ({rows} products, {:.1} MB, CP932)", out.display(), bytes as f64 / 1e6);
                ExitStatus::Success
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitStatus::Internal
            }
        },
    }
}

fn orders(count: usize, path: &std::path::Path) -> anyhow::Result<i64> {
    let store = crate::store::Store::open(path)?;
    let c = &store.conn;
    let have: i64 = c.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?;
    anyhow::ensure!(have > 0, "{} has no orders to copy: run the demo pipeline into it first", path.display());
    let copies = (count as i64 - have).max(0) / have + 1;
    // Each copy renames the order inside its normalized JSON too, so it enriches as its own order,
    // and gets its first line once more (line 99, amounts adjusted): the demo's baskets hold about
    // two items, the benchmark's about three.
    c.execute_batch(&format!(
        "BEGIN;
         CREATE TEMP TABLE base AS SELECT * FROM orders;
         CREATE TEMP TABLE base_items AS SELECT * FROM order_items;
         CREATE TEMP TABLE base_shipments AS SELECT * FROM order_shipments;
         CREATE TEMP TABLE first_line AS SELECT mall, shop, order_number, unit_price * quantity AS amount FROM base_items WHERE line_no = 1;
         INSERT INTO orders SELECT o.* REPLACE (
                o.order_number || '-c' || k AS order_number,
                o.goods + coalesce(f.amount, 0) AS goods,
                o.billing_total + coalesce(f.amount, 0) AS billing_total,
                replace(o.normalized, '\"order_number\":\"' || o.order_number || '\"', '\"order_number\":\"' || o.order_number || '-c' || k || '\"') AS normalized)
             FROM base o LEFT JOIN first_line f ON f.mall = o.mall AND f.shop = o.shop AND f.order_number = o.order_number, range(1, {copies}) t(k);
         INSERT INTO order_items SELECT i.* REPLACE (i.order_number || '-c' || k AS order_number) FROM base_items i, range(1, {copies}) t(k);
         INSERT INTO order_shipments SELECT s.* REPLACE (s.order_number || '-c' || k AS order_number) FROM base_shipments s, range(1, {copies}) t(k);
         INSERT INTO order_items SELECT i.* REPLACE (i.order_number || '-c' || k AS order_number, 99 AS line_no)
             FROM base_items i, range(1, {copies}) t(k) WHERE i.line_no = 1;
         COMMIT;"
    ))?;
    let n: i64 = c.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?;
    Ok(n)
}

fn rakuten_items(rows: usize, out: &PathBuf) -> anyhow::Result<usize> {
    let mut text = String::with_capacity(rows * 900);
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    text.push_str(&RAKUTEN_ITEM_HEADER.iter().map(|h| quote(h)).collect::<Vec<_>>().join(","));
    text.push_str("\r\n");
    for i in 0..rows {
        let name = NAMES[i % NAMES.len()];
        let mut f: Vec<String> = vec![String::new(); RAKUTEN_ITEM_HEADER.len()];
        f[0] = "n".into();
        f[1] = format!("item-{i:07}");
        f[2] = format!("NG-{i:07}");
        f[3] = "100939".into();
        f[5] = "送料無料～お買い得".into();
        f[7] = format!("【和み雑貨店】{name} No.{i} ギフト対応");
        f[8] = (980 + (i % 50) * 100).to_string();
        f[10] = "1".into();
        f[11] = (i % 2).to_string();
        f[15] = "0".into();
        f[24] =
            format!("<p>{name}の説明です。丁寧に仕上げました（約30cm－40cm）。①お手入れ簡単 ②贈り物に最適。</p><p>商品番号 NG-{i:07}</p>");
        f[26] = format!("{name}。スマートフォン用の説明文です。");
        f[28] = format!("https://image.rakuten.co.jp/nagomi/cabinet/{i:07}.jpg");
        f[33] = "1".into();
        f[34] = (i % 100).to_string();
        text.push_str(&f.iter().map(|s| quote(s)).collect::<Vec<_>>().join(","));
        text.push_str("\r\n");
    }
    let bytes = crate::io::text::encode_cp932(&text).map_err(|bad| anyhow::anyhow!("cannot encode {bad:?} in CP932"))?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::File::create(out)?;
    f.write_all(&bytes)?;
    Ok(bytes.len())
}
