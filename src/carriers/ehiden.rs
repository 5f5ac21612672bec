//! 佐川 e飛伝 「標準_飛脚宅配便_CSV_ヘッダ有」: 74 positional columns, header row first, CP932, CRLF.
//!
//! What juchu fills (everything else is left empty):
//! 3 お届け先電話番号 (14), 4 お届け先郵便番号, 5–7 お届け先住所１–３ and 8–9 お届け先名称１–２
//! (16 full-width each: the text is made full-width, then wrapped), 10 お客様管理番号 (≤16), 11 お客様コード
//! (settings), 18–23 ご依頼主 電話・郵便番号・住所１–２・名称１–２, 24 荷姿 `001` (箱類), 25 品名１
//! (16 full-width, shortened by design), 42 出荷個数 `1`, 43 スピード指定 `000` (飛脚宅配便), 44 クール便指定
//! `001` 指定なし / `002` 冷蔵 / `003` 冷凍, 45 配達日 `YYYYMMDD`, 46 配達指定時間帯 (from the hours),
//! 48–49 代引金額・消費税 (決済種別 50 left blank), 58 元着区分 `1` (元払), 61 出荷日 `YYYYMMDD`.
//!
//! A date and a time slot may both be in the data (e飛伝 prints only one seal). The 74-column layout
//! has no memo column: the slip's 配達メモ is not written.

use super::slip_text::{map_text, to_full_width};
use super::{one_file, slot_shown, temperature, EhidenSettings, Row, Slip, SlipFiles, SlipFormat, SlipProblem, Temperature, TEMPERATURES};

/// The 74 column names, in order.
pub const COLUMNS: [&str; 74] = [
    "お届け先コード取得区分",
    "お届け先コード",
    "お届け先電話番号",
    "お届け先郵便番号",
    "お届け先住所１",
    "お届け先住所２",
    "お届け先住所３",
    "お届け先名称１",
    "お届け先名称２",
    "お客様管理番号",
    "お客様コード",
    "部署ご担当者コード取得区分",
    "部署ご担当者コード",
    "部署ご担当者名称",
    "荷送人電話番号",
    "ご依頼主コード取得区分",
    "ご依頼主コード",
    "ご依頼主電話番号",
    "ご依頼主郵便番号",
    "ご依頼主住所１",
    "ご依頼主住所２",
    "ご依頼主名称１",
    "ご依頼主名称２",
    "荷姿",
    "品名１",
    "品名２",
    "品名３",
    "品名４",
    "品名５",
    "荷札荷姿",
    "荷札品名１",
    "荷札品名２",
    "荷札品名３",
    "荷札品名４",
    "荷札品名５",
    "荷札品名６",
    "荷札品名７",
    "荷札品名８",
    "荷札品名９",
    "荷札品名１０",
    "荷札品名１１",
    "出荷個数",
    "スピード指定",
    "クール便指定",
    "配達日",
    "配達指定時間帯",
    "配達指定時間（時分）",
    "代引金額",
    "消費税",
    "決済種別",
    "保険金額",
    "指定シール１",
    "指定シール２",
    "指定シール３",
    "営業所受取",
    "SRC区分",
    "営業所受取営業所コード",
    "元着区分",
    "メールアドレス",
    "ご不在時連絡先",
    "出荷日",
    "お問い合せ送り状No.",
    "出荷場印字区分",
    "集約解除指定",
    "編集０１",
    "編集０２",
    "編集０３",
    "編集０４",
    "編集０５",
    "編集０６",
    "編集０７",
    "編集０８",
    "編集０９",
    "編集１０",
];

const KEY_MAX: usize = 16;
/// 16 full-width characters.
const LINE: usize = 32;

/// 配達指定時間帯 from the slot's hours.
pub fn slot_code(start_hour: u8, end_hour: u8) -> Option<&'static str> {
    match (start_hour, end_hour) {
        (8, 12) => Some("01"),
        (12, 14) => Some("12"),
        (14, 16) => Some("14"),
        (16, 18) => Some("16"),
        (18, 20) => Some("18"),
        (18, 21) => Some("04"),
        (19, 21) => Some("19"),
        _ => None,
    }
}

pub fn write(slips: &[Slip], settings: &EhidenSettings) -> SlipFiles {
    let rows = slips.iter().map(|s| (s.key.clone(), row(s, settings))).collect();
    one_file(Some(&COLUMNS), rows)
}

fn full(s: &str) -> String {
    to_full_width(&map_text(s.trim()))
}

fn row(slip: &Slip, settings: &EhidenSettings) -> Result<Vec<u8>, Vec<SlipProblem>> {
    let mut r = Row::new(slip, SlipFormat::Ehiden, &COLUMNS);
    let to = &slip.to;
    r.phone(3, &to.phone, 14);
    r.postal(4, &to.postal_code);
    r.wrapped(5, &[LINE, LINE, LINE], &full(&to.full_address()), true);
    r.wrapped(8, &[LINE, LINE], &full(&to.name), true);
    r.key(10, KEY_MAX);
    r.set(11, settings.customer_code.trim());

    let from = &slip.from;
    r.phone(18, &from.phone, 14);
    r.postal(19, &from.postal_code);
    r.wrapped(20, &[LINE, LINE], &full(&from.full_address()), true);
    r.wrapped(22, &[LINE, LINE], &full(&from.name), true);

    r.set(24, "001");
    r.items(25, LINE);
    r.set(42, "1");
    match slip.service.trim() {
        "" | "飛脚宅配便" | "飛脚クール便" => r.set(43, "000"),
        other => r.bad(43, other, "飛脚宅配便 / 飛脚クール便"),
    }
    match temperature(&slip.temperature) {
        Some(Temperature::Normal) => r.set(44, "001"),
        Some(Temperature::Chilled) => r.set(44, "002"),
        Some(Temperature::Frozen) => r.set(44, "003"),
        None => r.bad(44, &slip.temperature, TEMPERATURES),
    }
    if let Some(d) = slip.desired_date {
        r.set(45, d.format("%Y%m%d").to_string());
    }
    if let Some(slot) = &slip.time_slot {
        match slot_code(slot.start_hour, slot.end_hour) {
            Some(c) => r.set(46, c),
            None => r.bad(46, &slot_shown(slot), "午前中 (8-12) / 12-14 / 14-16 / 16-18 / 18-20 / 18-21 / 19-21"),
        }
    }
    if let Some(c) = slip.cod {
        if c.amount <= 0 {
            r.bad(48, &c.amount.to_string(), "1以上 / positive");
        } else if c.tax < 0 || c.tax > c.amount {
            r.bad(49, &c.tax.to_string(), "0〜代引金額");
        }
        r.set(48, c.amount.to_string());
        r.set(49, c.tax.to_string());
    }
    r.set(58, "1");
    r.set(61, slip.ship_date.format("%Y%m%d").to_string());
    r.finish(false)
}

#[cfg(test)]
mod tests {
    use super::super::test_slips::{check_golden, columns, golden_slips, plain};
    use super::super::ProblemKind;
    use super::*;

    #[test]
    fn ehiden_golden() {
        let settings = EhidenSettings { customer_code: "123456789012".into() };
        let out = write(&golden_slips(SlipFormat::Ehiden), &settings);
        assert_eq!(out.problems, vec![]);
        let file = &out.files[0];
        check_golden("ehiden.csv", include_bytes!("../../tests/fixtures/slips/golden/ehiden.csv"), &file.bytes);
        let rows = columns(&file.bytes);
        assert_eq!(rows.len(), 6);
        assert!(rows.iter().all(|r| r.len() == 74), "74 columns on every line");
        let tokyo = &rows[1];
        assert_eq!(tokyo[4], "東京都千代田区永田町１－７－１");
        assert_eq!(tokyo[5], "永田町ハイツ１０１");
        assert_eq!(tokyo[7], "山田\u{3000}太郎");
        assert_eq!((tokyo[9].as_str(), tokyo[10].as_str()), ("J2612020001", "123456789012"));
        assert_eq!((tokyo[44].as_str(), tokyo[45].as_str()), ("20261204", "01"));
        assert_eq!((tokyo[57].as_str(), tokyo[60].as_str()), ("1", "20261202"));
        let collect = &rows[2];
        assert_eq!((collect[47].as_str(), collect[48].as_str(), collect[49].as_str()), ("5280", "480", ""));
        assert_eq!(collect[45], "19");
        assert_eq!(rows[3][43], "003", "冷凍");
        let long = &rows[4];
        assert_eq!(&long[4..7], ["神奈川県横浜市港北区新横浜二丁目", "１００番地４５", "新横浜ガーデン北棟３５０１号室"]);
        assert_eq!(long[24], "国産はちみつ 500g 他2点");
    }

    #[test]
    fn ehiden_name_too_long_is_a_problem() {
        let mut s = plain("J1", "飛脚宅配便");
        s.to.name = "株式会社ジュチュウ・ロジスティクス・アンド・フルフィルメント東日本物流センター御中".into();
        let out = write(&[s], &EhidenSettings::default());
        assert!(out.files.is_empty());
        assert_eq!(out.problems[0].column, "お届け先名称１");
        assert!(matches!(out.problems[0].kind, ProblemKind::TooWide { max: 64, .. }));
    }

    #[test]
    fn ehiden_key_over_16_is_a_problem() {
        let s = plain("J26120200010000001", "");
        let out = write(&[s], &EhidenSettings::default());
        assert_eq!(out.problems[0].column, "お客様管理番号");
    }
}
