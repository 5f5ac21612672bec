//! 日本郵便 ゆうプリR (ゆうパックプリントR): no header, CP932, CRLF, as many columns as the layout
//! staff registered in ゆうプリR (settings, default 100 = 標準フォーマット V3). ゆうプリR reads a
//! user-registered layout, so juchu ships the matching description ([`layout_file`]).
//!
//! Column map: columns 1–117 follow the 117-column source layout's order (1 お客様側管理番号 …
//! 11 送り状種別, 12– お届け先 …, 28– ご依頼主 …, 64–66 配達日・時間帯, 73–74 記事名, 99–100 代引,
//! 103 品名). What juchu fills:
//! - 1 お客様側管理番号 (≤15), 2 発送予定日 `yyyymmdd`, 6 郵便種別 (0 ゆうパック / 9 ゆうパケット),
//!   7 保冷種別 (0 なし / 1 チルド / 2 冷凍), 8 元／着払／代引 (0 元払 / 2 代引), 11 送り状種別 (settings);
//! - 13 お届け先 郵便番号, 14–16 住所１–３ (50 bytes each, the address wrapped over them), 17–18
//!   名称１–２ (50 each), 19 敬称区分 `0` (様, as the source writes it [U]), 20 電話番号;
//! - 30 ご依頼主 郵便番号, 31–33 住所１–３, 34–35 名称１–２, 37 電話番号;
//! - 65 配達指定日／希望日 `yyyymmdd`, 66 配達時間帯区分 (the shop's 配送時間帯 master code, `00` none);
//! - 73 記事名１ = 品名 (50, shortened by design), 74 記事名２ = 配達メモ (50);
//! - 99 代引金額, 100 代引消費税金額; 103 品名 too when the layout has 103 columns or more.
//!
//! With fewer than 100 columns the two 代引 columns move to the last two (the layout file says so);
//! fewer than [`MIN_COLUMNS`] is raised to it. Mail addresses are not written (no 予告メール is used).

use super::slip_text::map_text;
use super::{
    one_file, slot_shown, temperature, ProblemKind, Row, Slip, SlipFiles, SlipFormat, SlipProblem, Temperature, YuPrintSettings,
    TEMPERATURES,
};

/// Column names of the 117-column source layout, in order; columns beyond are 予備.
pub const SOURCE_COLUMNS: [&str; 117] = [
    "お客様側管理番号",
    "発送予定日",
    "発送予定時間区分",
    "出荷期限日",
    "到着期限日",
    "郵便種別",
    "保冷種別",
    "元／着払／代引",
    "書留／セキュリティ／特定記録種別",
    "配達時間帯指定郵便種別",
    "送り状種別",
    "お届け先 コード",
    "お届け先 郵便番号",
    "お届け先 住所１",
    "お届け先 住所２",
    "お届け先 住所３",
    "お届け先 名称１",
    "お届け先 名称２",
    "お届け先 敬称区分",
    "お届け先 電話番号",
    "お届け先 メールアドレス１",
    "お届け先 局留め区分",
    "お届け先 局留め郵便局名",
    "お届け先 局留めメール使用区分",
    "お届け先 局留め郵便番号",
    "お届け先 配達予告メール使用区分",
    "お届け先 再配達予告メール使用区分",
    "ご依頼主 コード",
    "ご依頼主 集荷先と同一区分",
    "ご依頼主 郵便番号",
    "ご依頼主 住所１",
    "ご依頼主 住所２",
    "ご依頼主 住所３",
    "ご依頼主 名称１",
    "ご依頼主 名称２",
    "ご依頼主 敬称",
    "ご依頼主 電話番号",
    "ご依頼主 メールアドレス１",
    "ご依頼主 荷送人指図区分",
    "ご依頼主 お届け通知メール使用区分",
    "ご依頼主 お届け通知はがき使用区分",
    "集荷先 コード",
    "集荷先 連携可否区分",
    "集荷先 会社コード",
    "集荷先 依頼先店所コード",
    "集荷先 郵便番号",
    "集荷先 住所１",
    "集荷先 住所２",
    "集荷先 住所３",
    "集荷先 名称１",
    "集荷先 名称２",
    "集荷先 敬称",
    "集荷先 電話番号",
    "受注番号",
    "こわれもの区分",
    "なまもの区分",
    "ビン類区分",
    "逆さま厳禁区分",
    "下積み厳禁区分",
    "商品サイズ区分",
    "重量合計（ｇ）",
    "25kg超重量物区分",
    "損害要償額",
    "速達・配達日指定種別",
    "配達指定日／希望日",
    "配達時間帯区分",
    "差出方法区分",
    "ゆうパック複数個割引",
    "ゆうパック同一割引",
    "セット商品コード",
    "セット品名ラベル印字区分",
    "複数個口数",
    "記事名１",
    "記事名２",
    "フリー項目０１",
    "フリー項目０２",
    "フリー項目０３",
    "フリー項目０４",
    "フリー項目０５",
    "フリー項目０６",
    "フリー項目０７",
    "フリー項目０８",
    "フリー項目０９",
    "フリー項目１０",
    "空港利用区分",
    "空港・局／支店名",
    "航空会社名",
    "利用便名",
    "レジャー区分",
    "プレー・搭乗日",
    "プレー・搭乗時間",
    "クラブ本数",
    "復路集貨日",
    "出荷先登録名",
    "集荷希望区分",
    "集荷日付",
    "集荷時間帯区分",
    "支店連携先選択用名称",
    "代引金額",
    "代引消費税金額",
    "送り状発行年月日",
    "商品番号",
    "品名",
    "個数",
    "重量（ｇ）",
    "単価",
    "金額",
    "商品備考０１",
    "商品備考０２",
    "商品備考０３",
    "商品備考０４",
    "商品備考０５",
    "商品備考０６",
    "商品備考０７",
    "商品備考０８",
    "商品備考０９",
    "商品備考１０",
];

/// The fewest columns juchu writes: up to 記事名２ (74) plus the two 代引 columns.
pub const MIN_COLUMNS: usize = 76;
const KEY_MAX: usize = 15;
const LINE: usize = 50;
const ITEM_COLUMN: usize = 103;

/// Where the columns are for a layout of `columns` columns.
struct Layout {
    names: Vec<&'static str>,
    cod_amount: usize,
    cod_tax: usize,
    item: Option<usize>,
}

fn layout(settings: &YuPrintSettings) -> Layout {
    let n = settings.columns.max(MIN_COLUMNS);
    let mut names: Vec<&'static str> = (0..n).map(|i| SOURCE_COLUMNS.get(i).copied().unwrap_or("予備")).collect();
    let (cod_amount, cod_tax) = if n >= 100 { (99, 100) } else { (n - 1, n) };
    names[cod_amount - 1] = "代引金額";
    names[cod_tax - 1] = "代引消費税金額";
    Layout { names, cod_amount, cod_tax, item: (n >= ITEM_COLUMN).then_some(ITEM_COLUMN) }
}

pub fn write(slips: &[Slip], settings: &YuPrintSettings) -> SlipFiles {
    let layout = layout(settings);
    let rows = slips.iter().map(|s| (s.key.clone(), row(s, settings, &layout))).collect();
    one_file(None, rows)
}

fn row(slip: &Slip, settings: &YuPrintSettings, layout: &Layout) -> Result<Vec<u8>, Vec<SlipProblem>> {
    let mut r = Row::new(slip, SlipFormat::YuPrint, &layout.names);
    r.key(1, KEY_MAX);
    r.set(2, slip.ship_date.format("%Y%m%d").to_string());
    let packet = match slip.service.trim() {
        "" | "ゆうパック" | "チルドゆうパック" | "冷凍ゆうパック" => {
            r.set(6, "0");
            false
        }
        "ゆうパケット" => {
            r.set(6, "9");
            true
        }
        other => {
            r.bad(6, other, "ゆうパック / ゆうパケット");
            false
        }
    };
    match temperature(&slip.temperature) {
        Some(Temperature::Normal) => r.set(7, "0"),
        Some(_) if packet => r.bad(7, &slip.temperature, "ゆうパケットは常温のみ"),
        Some(Temperature::Chilled) => r.set(7, "1"),
        Some(Temperature::Frozen) => r.set(7, "2"),
        None => r.bad(7, &slip.temperature, TEMPERATURES),
    }
    match slip.cod {
        None => r.set(8, "0"),
        Some(_) if packet => r.bad(8, "代引", "ゆうパケットは元払のみ"),
        Some(c) => {
            r.set(8, "2");
            if c.amount <= 0 {
                r.bad(layout.cod_amount, &c.amount.to_string(), "1以上 / positive");
            } else if c.tax < 0 || c.tax > c.amount {
                r.bad(layout.cod_tax, &c.tax.to_string(), "0〜代引金額");
            }
            r.set(layout.cod_amount, c.amount.to_string());
            r.set(layout.cod_tax, c.tax.to_string());
        }
    }
    let form = settings.form_code.trim();
    if form.is_empty() {
        r.problem(11, ProblemKind::Missing);
    } else if form.len() != 7 || !form.bytes().all(|b| b.is_ascii_digit()) {
        r.bad(11, form, "半角数字7桁 / 7 digits");
    }
    r.set(11, form);

    let to = &slip.to;
    r.postal(13, &to.postal_code);
    r.wrapped(14, &[LINE, LINE, LINE], &to.full_address(), true);
    r.wrapped(17, &[LINE, LINE], &to.name, true);
    r.set(19, "0");
    r.phone(20, &to.phone, 15);

    let from = &slip.from;
    r.postal(30, &from.postal_code);
    r.wrapped(31, &[LINE, LINE, LINE], &from.full_address(), true);
    r.wrapped(34, &[LINE, LINE], &from.name, true);
    r.phone(37, &from.phone, 15);

    if let Some(d) = slip.desired_date {
        if packet {
            r.bad(65, &d.format("%Y%m%d").to_string(), "ゆうパケットは日付指定なし");
        }
        r.set(65, d.format("%Y%m%d").to_string());
    }
    match &slip.time_slot {
        None => r.set(66, "00"),
        Some(slot) if packet => r.bad(66, &slot_shown(slot), "ゆうパケットは時間帯指定なし"),
        Some(slot) => {
            let code = slot.code.trim();
            if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_digit()) || code == "00" {
                r.bad(
                    66,
                    &format!("{} / {code}", slot_shown(slot)),
                    "配送時間帯マスタのゆうプリR用2桁コード / a 2-digit code in the time-slot master",
                );
            }
            r.set(66, code);
        }
    }
    r.items(73, LINE);
    r.text(74, &slip.note, LINE, false);
    if let Some(col) = layout.item {
        r.items(col, LINE);
    }
    r.finish(false)
}

/// What juchu writes in each column, for the layout file.
fn content(col: usize, layout: &Layout, settings: &YuPrintSettings) -> String {
    let text = match col {
        1 => "juchuの送り状番号（半角15文字まで）",
        2 => "出荷予定日 yyyymmdd",
        6 => "0 ゆうパック／9 ゆうパケット",
        7 => "0 なし／1 チルド（冷蔵）／2 冷凍",
        8 => "0 元払／2 代引",
        11 => return format!("送り状種別 {}（設定 yupri.form_code）", map_text(settings.form_code.trim())),
        13 | 30 => "郵便番号 123-4567",
        14 | 31 => "住所（都道府県から）1行目 50バイトまで",
        15 | 32 => "住所 2行目（1行目に入らない分）",
        16 | 33 => "住所 3行目（2行目に入らない分）",
        17 | 34 => "名前 50バイトまで",
        18 | 35 => "名前の続き（名称１に入らない分）",
        19 => "0（様）",
        20 | 37 => "電話番号 半角数字とハイフン",
        65 => "お届け希望日 yyyymmdd（なければ空欄）",
        66 => "配達時間帯区分（配送時間帯マスタのコード）／00 指定なし",
        73 => "品名（最初の商品名＋他N点 50バイトまで）",
        74 => "配達メモ 50バイトまで",
        _ if col == layout.cod_amount => "代引金額（税込）",
        _ if col == layout.cod_tax => "代引金額のうち消費税",
        _ if Some(col) == layout.item => "品名（最初の商品名＋他N点）",
        _ => "（空欄）",
    };
    text.to_string()
}

/// The layout description (CSV: 列番号,項目名,内容, CRLF) staff use to register juchu's file as a
/// layout in ゆうプリR. UTF-8 text; encode it with `encode_cp932` to open it in Excel.
pub fn layout_file(settings: &YuPrintSettings) -> String {
    let layout = layout(settings);
    let mut out = String::from("列番号,項目名,内容\r\n");
    for (i, name) in layout.names.iter().enumerate() {
        out.push_str(&format!("{},{},{}\r\n", i + 1, name, content(i + 1, &layout, settings)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_slips::{check_golden, columns, golden_slips, plain};
    use super::super::Cod;
    use super::*;

    #[test]
    fn yupri_golden() {
        let settings = YuPrintSettings::default();
        let out = write(&golden_slips(SlipFormat::YuPrint), &settings);
        assert_eq!(out.problems, vec![]);
        let file = &out.files[0];
        check_golden("yupri.csv", include_bytes!("../../tests/fixtures/slips/golden/yupri.csv"), &file.bytes);
        let rows = columns(&file.bytes);
        assert_eq!(rows.len(), 5, "no header");
        assert!(rows.iter().all(|r| r.len() == 100), "settings.columns on every line");
        let tokyo = &rows[0];
        assert_eq!(&tokyo[..11], ["J2612020001", "20261202", "", "", "", "0", "0", "0", "", "", "1100780"]);
        assert_eq!(tokyo[12], "100-0014");
        assert_eq!((tokyo[64].as_str(), tokyo[65].as_str()), ("20261204", "01"));
        let collect = &rows[1];
        assert_eq!(collect[7], "2");
        assert_eq!((collect[98].as_str(), collect[99].as_str()), ("5280", "480"));
        assert_eq!(collect[73], "不在時は宅配ボックスへ");
        assert_eq!(rows[2][6], "2", "冷凍");
        assert_eq!(&rows[3][13..16], ["神奈川県横浜市港北区新横浜二丁目１００番地４５", "新横浜ガーデン北棟３５０１号室", ""]);
        assert_eq!((rows[4][5].as_str(), rows[4][65].as_str()), ("9", "00"), "ゆうパケット");
    }

    #[test]
    fn yupri_column_count_and_layout_file() {
        let settings = YuPrintSettings { columns: 117, ..Default::default() };
        let out = write(&[plain("J1", "ゆうパック")], &settings);
        let row = &columns(&out.files[0].bytes)[0];
        assert_eq!(row.len(), 117);
        assert_eq!(row[102], "有機りんごジュース");

        let small = YuPrintSettings { columns: 80, ..Default::default() };
        let mut s = plain("J2", "ゆうパック");
        s.cod = Some(Cod { amount: 3000, tax: 272 });
        let row = &columns(&write(&[s], &small).files[0].bytes)[0];
        assert_eq!((row.len(), row[78].as_str(), row[79].as_str()), (80, "3000", "272"));
        let file = layout_file(&small);
        assert!(file.starts_with("列番号,項目名,内容\r\n1,お客様側管理番号,"));
        assert!(file.contains("\r\n79,代引金額,代引金額（税込）\r\n80,代引消費税金額,"));
        assert_eq!(file.lines().count(), 81);
        assert!(layout_file(&YuPrintSettings::default()).contains("\r\n11,送り状種別,送り状種別 1100780"));
    }

    #[test]
    fn yupri_packet_takes_no_cod_or_cool() {
        let mut s = plain("J1", "ゆうパケット");
        s.cod = Some(Cod { amount: 3000, tax: 272 });
        s.temperature = "冷蔵".into();
        let out = write(&[s], &YuPrintSettings::default());
        assert!(out.files.is_empty());
        let cols: Vec<_> = out.problems.iter().map(|p| p.column).collect();
        assert_eq!(cols, vec!["保冷種別", "元／着払／代引"]);
    }
}
