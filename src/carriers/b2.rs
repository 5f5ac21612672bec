//! ヤマト B2クラウド 外部データ取込 基本レイアウト: 95 positional columns, header row first, CP932,
//! CRLF. B2 takes JIS level 1/2 characters only, so every field is checked for that too.
//!
//! What juchu fills (everything else is left empty):
//! 1 お客様管理番号 (the slip key, ≤20 for older B2 clients), 2 送り状種類, 3 クール区分, 5 出荷予定日,
//! 6 お届け予定日, 7 配達時間帯, 9 お届け先電話番号 (15), 11 お届け先郵便番号, 12–13 お届け先住所 (64)
//! and アパートマンション名 (32; the address overflows into it), 16 お届け先名 (32), 17 お届け先名(ｶﾅ)
//! (50, blank if the kana has no half-width form), 18 敬称 (様), 20/22/23–24/25/26 ご依頼主 電話・
//! 郵便番号・住所・名・ｶﾅ, 28 品名１ (50, shortened by design), 33 記事 (44), 34–35 コレクト金額・
//! 内消費税, 40–42 請求先顧客コード・請求先分類コード・運賃管理番号 (from settings).
//!
//! 送り状種類: 0 発払い, 2 コレクト (when the slip has COD), 8 宅急便コンパクト (9 with COD),
//! A ネコポス, 7 クロネコゆうパケット. For ネコポス and クロネコゆうパケット the type code wins over
//! COD, as other OMSs do: no COD is written. クール区分 (0 通常 / 1 冷凍 / 2 冷蔵) only goes with
//! 発払い and コレクト; cool on another type is a problem.

use super::{one_file, slot_shown, temperature, B2Settings, ProblemKind, Row, Slip, SlipFiles, SlipFormat, Temperature, TEMPERATURES};

/// The 95 column names, in order (header spellings vary between exports; the import is positional).
pub const COLUMNS: [&str; 95] = [
    "お客様管理番号",
    "送り状種類",
    "クール区分",
    "伝票番号",
    "出荷予定日",
    "お届け予定日",
    "配達時間帯",
    "お届け先コード",
    "お届け先電話番号",
    "お届け先電話番号枝番",
    "お届け先郵便番号",
    "お届け先住所",
    "お届け先アパートマンション名",
    "お届け先会社・部門１",
    "お届け先会社・部門２",
    "お届け先名",
    "お届け先名(ｶﾅ)",
    "敬称",
    "ご依頼主コード",
    "ご依頼主電話番号",
    "ご依頼主電話番号枝番",
    "ご依頼主郵便番号",
    "ご依頼主住所",
    "ご依頼主アパートマンション",
    "ご依頼主名",
    "ご依頼主名(ｶﾅ)",
    "品名コード１",
    "品名１",
    "品名コード２",
    "品名２",
    "荷扱い１",
    "荷扱い２",
    "記事",
    "ｺﾚｸﾄ代金引換額（税込)",
    "内消費税額等",
    "止置き",
    "営業所コード",
    "発行枚数",
    "個数口表示フラグ",
    "請求先顧客コード",
    "請求先分類コード",
    "運賃管理番号",
    "クロネコwebコレクトデータ登録",
    "クロネコwebコレクト加盟店番号",
    "クロネコwebコレクト申込受付番号１",
    "クロネコwebコレクト申込受付番号２",
    "クロネコwebコレクト申込受付番号３",
    "お届け予定ｅメール利用区分",
    "お届け予定ｅメールe-mailアドレス",
    "入力機種",
    "お届け予定ｅメールメッセージ",
    "お届け完了ｅメール利用区分",
    "お届け完了ｅメールe-mailアドレス",
    "お届け完了ｅメールメッセージ",
    "クロネコ収納代行利用区分",
    "予備",
    "収納代行請求金額(税込)",
    "収納代行内消費税額等",
    "収納代行請求先郵便番号",
    "収納代行請求先住所",
    "収納代行請求先住所（アパートマンション名）",
    "収納代行請求先会社・部門名１",
    "収納代行請求先会社・部門名２",
    "収納代行請求先名(漢字)",
    "収納代行請求先名(カナ)",
    "収納代行問合せ先名(漢字)",
    "収納代行問合せ先郵便番号",
    "収納代行問合せ先住所",
    "収納代行問合せ先住所（アパートマンション名）",
    "収納代行問合せ先電話番号",
    "収納代行管理番号",
    "収納代行品名",
    "収納代行備考",
    "複数口くくりキー",
    "検索キータイトル1",
    "検索キー1",
    "検索キータイトル2",
    "検索キー2",
    "検索キータイトル3",
    "検索キー3",
    "検索キータイトル4",
    "検索キー4",
    "検索キータイトル5",
    "検索キー5",
    "予備",
    "予備",
    "投函予定メール利用区分",
    "投函予定メールe-mailアドレス",
    "投函予定メールメッセージ",
    "投函完了メール（お届け先宛）利用区分",
    "投函完了メール（お届け先宛）e-mailアドレス",
    "投函完了メール（お届け先宛）メールメッセージ",
    "投函完了メール（ご依頼主宛）利用区分",
    "投函完了メール（ご依頼主宛）e-mailアドレス",
    "投函完了メール（ご依頼主宛）メールメッセージ",
];

/// お客様管理番号 width juchu emits (the layout allows 50; old B2 clients 20).
const KEY_MAX: usize = 20;

/// 配達時間帯 from the slot's hours (the 2017 codes; 12–14 and 20–21 no longer exist).
pub fn slot_code(start_hour: u8, end_hour: u8) -> Option<&'static str> {
    match (start_hour, end_hour) {
        (8, 12) => Some("0812"),
        (14, 16) => Some("1416"),
        (16, 18) => Some("1618"),
        (18, 20) => Some("1820"),
        (19, 21) => Some("1921"),
        _ => None,
    }
}

/// The kinds of B2 parcel juchu writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Parcel,
    Compact,
    Nekopos,
    YuPacket,
}

pub fn write(slips: &[Slip], settings: &B2Settings) -> SlipFiles {
    let rows = slips.iter().map(|s| (s.key.clone(), row(s, settings))).collect();
    one_file(Some(&COLUMNS), rows)
}

fn row(slip: &Slip, settings: &B2Settings) -> Result<Vec<u8>, Vec<super::SlipProblem>> {
    let mut r = Row::new(slip, SlipFormat::B2, &COLUMNS);
    r.key(1, KEY_MAX);

    let kind = match slip.service.trim() {
        "" | "宅急便" | "クール宅急便" | "宅急便（発払い）" => Some(Kind::Parcel),
        "宅急便コンパクト" => Some(Kind::Compact),
        "ネコポス" => Some(Kind::Nekopos),
        "クロネコゆうパケット" => Some(Kind::YuPacket),
        other => {
            r.bad(2, other, "宅急便 / クール宅急便 / 宅急便コンパクト / ネコポス / クロネコゆうパケット");
            None
        }
    };
    let post_box = matches!(kind, Some(Kind::Nekopos | Kind::YuPacket));
    let cod = slip.cod.filter(|_| !post_box);
    let code = match (kind, cod.is_some()) {
        (Some(Kind::Parcel), false) => "0",
        (Some(Kind::Parcel), true) => "2",
        (Some(Kind::Compact), false) => "8",
        (Some(Kind::Compact), true) => "9",
        (Some(Kind::Nekopos), _) => "A",
        (Some(Kind::YuPacket), _) => "7",
        (None, _) => "",
    };
    r.set(2, code);

    match temperature(&slip.temperature) {
        Some(Temperature::Normal) if slip.service.trim() == "クール宅急便" => {
            r.bad(3, &slip.temperature, "クール宅急便は冷蔵 / 冷凍");
        }
        Some(Temperature::Normal) => r.set(3, "0"),
        Some(_) if kind != Some(Kind::Parcel) => {
            r.bad(3, &slip.temperature, &format!("{}は常温のみ（クールは宅急便・コレクトだけ）", slip.service.trim()));
        }
        Some(Temperature::Frozen) => r.set(3, "1"),
        Some(Temperature::Chilled) => r.set(3, "2"),
        None => r.bad(3, &slip.temperature, TEMPERATURES),
    }

    r.set(5, slip.ship_date.format("%Y/%m/%d").to_string());
    if let Some(d) = slip.desired_date {
        if post_box {
            r.bad(6, &d.format("%Y/%m/%d").to_string(), "ネコポス・クロネコゆうパケットは日付指定なし");
        }
        r.set(6, d.format("%Y/%m/%d").to_string());
    }
    if let Some(slot) = &slip.time_slot {
        match slot_code(slot.start_hour, slot.end_hour) {
            _ if post_box => r.bad(7, &slot_shown(slot), "ネコポス・クロネコゆうパケットは時間帯指定なし"),
            Some(c) => r.set(7, c),
            None => r.bad(7, &slot_shown(slot), "午前中 (8-12) / 14-16 / 16-18 / 18-20 / 19-21"),
        }
    }

    let to = &slip.to;
    r.phone(9, &to.phone, 15);
    r.postal(11, &to.postal_code);
    r.wrapped(12, &[64, 32], &to.full_address(), true);
    r.text(16, &to.name, 32, true);
    r.set(17, kana(&to.name_kana));
    r.set(18, "様");

    let from = &slip.from;
    r.phone(20, &from.phone, 15);
    r.postal(22, &from.postal_code);
    r.wrapped(23, &[64, 32], &from.full_address(), true);
    r.text(25, &from.name, 32, true);
    r.set(26, kana(&from.name_kana));

    r.items(28, 50);
    r.text(33, &slip.note, 44, false);

    if let Some(c) = cod {
        if c.amount <= 0 || c.amount > 9_999_999 {
            r.bad(34, &c.amount.to_string(), "1〜9999999");
        } else if c.tax < 0 || c.tax > c.amount {
            r.bad(35, &c.tax.to_string(), "0〜代金引換額");
        }
        r.set(34, c.amount.to_string());
        r.set(35, c.tax.to_string());
    }

    let customer = settings.customer_code.trim();
    if customer.is_empty() {
        r.problem(40, ProblemKind::Missing);
    } else if !(10..=12).contains(&customer.len()) || !customer.bytes().all(|b| b.is_ascii_digit()) {
        r.bad(40, customer, "半角数字10〜12桁 / 10-12 digits");
    }
    r.set(40, customer);
    let class = settings.class_code.trim();
    if !class.is_empty() && (class.len() != 3 || !class.bytes().all(|b| b.is_ascii_digit())) {
        r.bad(41, class, "空欄か半角数字3桁 / blank or 3 digits");
    }
    r.set(41, class);
    let freight = settings.freight_number.trim();
    if freight.is_empty() {
        r.problem(42, ProblemKind::Missing);
    } else if freight.len() != 2 || !freight.bytes().all(|b| b.is_ascii_alphanumeric()) {
        r.bad(42, freight, "半角2桁 / 2 characters");
    }
    r.set(42, freight);

    r.finish(true)
}

/// お届け先名(ｶﾅ): half-width kana within 50, or blank when it has no half-width form or is too long.
fn kana(name_kana: &str) -> String {
    super::slip_text::to_half_kana(name_kana.trim()).filter(|k| super::slip_text::width(k) <= 50).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::test_slips::{check_golden, columns, golden_slips, plain};
    use super::super::{Cod, ProblemKind, SlipProblem};
    use super::*;

    fn settings() -> B2Settings {
        B2Settings { customer_code: "012345678901".into(), class_code: "".into(), freight_number: "01".into() }
    }

    fn problems(slip: Slip) -> Vec<SlipProblem> {
        let out = write(&[slip], &settings());
        assert!(out.files.is_empty());
        out.problems
    }

    #[test]
    fn b2_golden() {
        let out = write(&golden_slips(SlipFormat::B2), &settings());
        assert_eq!(out.problems, vec![]);
        assert_eq!(out.files.len(), 1);
        let file = &out.files[0];
        assert_eq!(file.keys.len(), 5);
        check_golden("b2.csv", include_bytes!("../../tests/fixtures/slips/golden/b2.csv"), &file.bytes);
        let rows = columns(&file.bytes);
        assert!(rows.iter().all(|r| r.len() == 95), "95 columns on every line");
        assert_eq!(rows[0][0], "お客様管理番号");
        let tokyo = &rows[1];
        assert_eq!(&tokyo[..7], ["J2612020001", "0", "0", "", "2026/12/02", "2026/12/04", "0812"]);
        assert_eq!(tokyo[11], "東京都千代田区永田町１－７－１ 永田町ハイツ101");
        assert_eq!(tokyo[16], "ﾔﾏﾀﾞ ﾀﾛｳ");
        let collect = &rows[2];
        assert_eq!((collect[1].as_str(), collect[6].as_str()), ("2", "1921"));
        assert_eq!((collect[33].as_str(), collect[34].as_str()), ("5280", "480"));
        assert_eq!(collect[15], "高橋 花子", "髙 maps to 高");
        assert_eq!(collect[8], "06-6123-4567");
        assert_eq!(collect[27], "みかん 5kg 他1点");
        assert_eq!(rows[3][2], "1", "冷凍");
        let long = &rows[4];
        assert_eq!(long[11], "神奈川県横浜市港北区新横浜二丁目１００番地４５");
        assert_eq!(long[12], "新横浜ガーデン北棟３５０１号室");
        assert_eq!(rows[5][1], "A", "ネコポス");
        assert_eq!(rows[5][27], "靴下3足セット, グレー");
        assert_eq!(&tokyo[39..42], ["012345678901", "", "01"]);
    }

    #[test]
    fn b2_mapping_wins_and_unmapped_characters_are_problems() {
        let mut s = plain("J1", "宅急便");
        s.to.address = "千代田区𠮷祥寺1-1".into();
        let out = write(&[s.clone()], &settings());
        assert_eq!(out.problems, vec![]);
        assert_eq!(columns(&out.files[0].bytes)[1][11], "東京都千代田区吉祥寺1-1");

        s.to.address = "千代田区🍣町1-1".into();
        let p = problems(s.clone());
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].column, "お届け先住所");
        assert_eq!(p[0].kind, ProblemKind::Unencodable { chars: vec!['🍣'] });

        s.to.address = "千代田区永田町1-1".into();
        s.to.name = "草彅 剛".into();
        let p = problems(s);
        assert_eq!(p[0].column, "お届け先名");
        assert_eq!(p[0].kind, ProblemKind::NotJisLevel12 { chars: vec!['彅'] });
    }

    #[test]
    fn b2_circled_numbers_and_wave_dash() {
        let mut s = plain("J1", "宅急便");
        s.to.address = "千代田区永田町1-1 ハイツ①".into();
        s.note = "10時〜12時".into();
        let out = write(&[s], &settings());
        let bytes = &out.files[0].bytes;
        assert_eq!(columns(bytes)[1][12], "", "fits in 住所");
        assert_eq!(columns(bytes)[1][11], "東京都千代田区永田町1-1 ハイツ(1)");
        let note = crate::carriers::slip_text::cp932("10時～12時").unwrap();
        assert!(bytes.windows(note.len()).any(|w| w == note));
        assert!(bytes.windows(2).any(|w| w == [0x81, 0x60]));
    }

    #[test]
    fn b2_address_too_long_for_both_columns_leaves_the_slip_out() {
        let mut s = plain("J9", "宅急便");
        s.to.address = "横浜市港北区新横浜二丁目１００番地４５　新横浜スクエアガーデンタワーレジデンス北棟３５０１号室".into();
        let out = write(&[plain("J1", "宅急便"), s], &settings());
        assert_eq!(out.files[0].keys, vec!["J1"]);
        assert_eq!(out.problems.len(), 1);
        assert_eq!(out.problems[0].key, "J9");
        assert_eq!(out.problems[0].column, "お届け先住所");
        assert_eq!(out.problems[0].kind, ProblemKind::TooWide { width: 100, max: 96 });
    }

    #[test]
    fn b2_codes() {
        let mut s = plain("J1", "ネコポス");
        s.cod = Some(Cod { amount: 1000, tax: 90 });
        let out = write(&[s], &settings());
        let row = &columns(&out.files[0].bytes)[1];
        assert_eq!((row[1].as_str(), row[33].as_str()), ("A", ""), "ネコポス wins over COD");

        let mut s = plain("J2", "宅急便コンパクト");
        s.cod = Some(Cod { amount: 1000, tax: 90 });
        assert_eq!(columns(&write(&[s], &settings()).files[0].bytes)[1][1], "9");

        let mut s = plain("J3", "ネコポス");
        s.temperature = "冷蔵".into();
        assert_eq!(problems(s)[0].column, "クール区分");

        let mut s = plain("J4", "宅急便");
        s.time_slot = crate::carriers::test_slips::slot("12時～14時", "02", 12, 14);
        let p = problems(s);
        assert_eq!(p[0].column, "配達時間帯");
        assert!(matches!(&p[0].kind, ProblemKind::BadValue { value, .. } if value == "12時～14時 (12-14)"));

        let mut s = plain("J5", "宅急便");
        s.temperature = "冷蔵".into();
        assert_eq!(columns(&write(&[s], &settings()).files[0].bytes)[1][2], "2");
    }

    #[test]
    fn b2_settings_and_line_breaks_are_problems() {
        let out = write(&[plain("J1", "宅急便")], &B2Settings::default());
        let cols: Vec<_> = out.problems.iter().map(|p| (p.column, p.kind.clone())).collect();
        assert_eq!(cols, vec![("請求先顧客コード", ProblemKind::Missing), ("運賃管理番号", ProblemKind::Missing)]);

        let mut s = plain("J2", "宅急便");
        s.note = "置き配\r\n希望".into();
        let p = problems(s);
        assert_eq!(p[0].column, "記事");
        assert!(matches!(p[0].kind, ProblemKind::BadValue { .. }));
    }
}
