//! Realistic slips for the writers' golden tests, and the golden-file check.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::{Address, Cod, Slip, SlipFormat, TimeSlot};

pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub(crate) fn slot(label: &str, code: &str, start_hour: u8, end_hour: u8) -> Option<TimeSlot> {
    Some(TimeSlot { label: label.into(), code: code.into(), start_hour, end_hour })
}

pub(crate) fn shop() -> Address {
    Address {
        name: "ジュチュウ商店".into(),
        name_kana: "ジュチュウショウテン".into(),
        postal_code: "150-0001".into(),
        prefecture: "東京都".into(),
        address: "渋谷区神宮前１－２－３".into(),
        phone: "03-5555-0100".into(),
        email: "shop@example.jp".into(),
    }
}

pub(crate) fn address(name: &str, kana: &str, postal: &str, pref: &str, address: &str, phone: &str) -> Address {
    Address {
        name: name.into(),
        name_kana: kana.into(),
        postal_code: postal.into(),
        prefecture: pref.into(),
        address: address.into(),
        phone: phone.into(),
        email: String::new(),
    }
}

/// A plain slip: Tokyo, 常温, no date, no slot.
pub(crate) fn plain(key: &str, service: &str) -> Slip {
    Slip {
        key: key.into(),
        orders: vec![format!("order-{key}")],
        ship_date: date(2026, 12, 2),
        desired_date: None,
        time_slot: None,
        service: service.into(),
        temperature: "常温".into(),
        cod: None,
        to: address("山田 太郎", "ヤマダ タロウ", "1000014", "東京都", "千代田区永田町1-7-1", "03-1234-5678"),
        from: shop(),
        item_names: vec!["有機りんごジュース".into()],
        note: String::new(),
    }
}

/// The services each carrier's golden slips use: (parcel, cool parcel, post-box size).
fn services(format: SlipFormat) -> (&'static str, &'static str, &'static str) {
    match format {
        SlipFormat::B2 => ("宅急便", "クール宅急便", "ネコポス"),
        SlipFormat::Ehiden => ("飛脚宅配便", "飛脚クール便", "飛脚宅配便"),
        SlipFormat::YuPrint => ("ゆうパック", "ゆうパック", "ゆうパケット"),
        SlipFormat::ClickPost => ("クリックポスト", "クリックポスト", "クリックポスト"),
    }
}

/// Five slips: Tokyo 宅急便 with 午前中 and a date; a コレクト with 19-21 and a 髙 that maps to 高;
/// a 冷凍 one to Sapporo; a long Yokohama address that wraps; a small post-box parcel (ネコポス).
/// For クリックポスト, which cannot take COD, cool, dates or slots, those are left off.
pub(crate) fn golden_slips(format: SlipFormat) -> Vec<Slip> {
    let (parcel, cool, small) = services(format);
    let mut slips = vec![
        Slip {
            key: "J2612020001".into(),
            orders: vec!["338811-20261128-0000031814".into()],
            ship_date: date(2026, 12, 2),
            desired_date: Some(date(2026, 12, 4)),
            time_slot: slot("午前中", "01", 8, 12),
            service: parcel.into(),
            temperature: "常温".into(),
            cod: None,
            to: address("山田 太郎", "ヤマダ タロウ", "1000014", "東京都", "千代田区永田町１－７－１ 永田町ハイツ101", "03-1234-5678"),
            from: shop(),
            item_names: vec!["有機りんごジュース 1000ml×6本".into()],
            note: String::new(),
        },
        Slip {
            key: "J2612020002".into(),
            orders: vec!["shop-10000123".into(), "shop-10000131".into()],
            ship_date: date(2026, 12, 2),
            desired_date: None,
            time_slot: slot("19時～21時", "06", 19, 21),
            service: parcel.into(),
            temperature: "".into(),
            cod: Some(Cod { amount: 5280, tax: 480 }),
            to: address(
                "髙橋 花子",
                "タカハシ ハナコ",
                "５３０－０００１",
                "大阪府",
                "大阪市北区梅田３丁目１番１号",
                "０６−６１２３−４５６７",
            ),
            from: shop(),
            item_names: vec!["みかん 5kg".into(), "ギフト箱".into()],
            note: "不在時は宅配ボックスへ".into(),
        },
        Slip {
            key: "J2612020003".into(),
            orders: vec!["wowma-40011".into()],
            ship_date: date(2026, 12, 3),
            desired_date: Some(date(2026, 12, 5)),
            time_slot: slot("14時～16時", "03", 14, 16),
            service: cool.into(),
            temperature: "冷凍".into(),
            cod: None,
            to: address("佐藤 一郎", "さとう いちろう", "060-0001", "北海道", "札幌市中央区北一条西２丁目", "011-222-3333"),
            from: shop(),
            item_names: vec!["冷凍ずわいがに 1kg".into()],
            note: String::new(),
        },
        Slip {
            key: "J2612020004".into(),
            orders: vec!["114-1234567-7654321".into()],
            ship_date: date(2026, 12, 3),
            desired_date: None,
            time_slot: None,
            service: parcel.into(),
            temperature: "常温".into(),
            cod: None,
            to: address(
                "鈴木 次郎",
                "スズキ ジロウ",
                "222-0033",
                "神奈川県",
                "横浜市港北区新横浜二丁目１００番地４５　新横浜ガーデン北棟３５０１号室",
                "045-000-1111",
            ),
            from: shop(),
            item_names: vec!["国産はちみつ 500g".into(), "はちみつスプーン".into(), "ギフト袋".into()],
            note: String::new(),
        },
        Slip {
            key: "J2612030001".into(),
            orders: vec!["338811-20261129-0000031902".into()],
            ship_date: date(2026, 12, 3),
            desired_date: None,
            time_slot: None,
            service: small.into(),
            temperature: "常温".into(),
            cod: None,
            to: address("草野 みどり", "クサノ ミドリ", "812-0011", "福岡県", "福岡市博多区博多駅前２－１－１", "092-111-2222"),
            from: shop(),
            item_names: vec!["靴下3足セット, グレー".into()],
            note: String::new(),
        },
    ];
    if format == SlipFormat::ClickPost {
        for s in &mut slips {
            s.cod = None;
            s.time_slot = None;
            s.desired_date = None;
            s.temperature = "常温".into();
        }
    }
    slips
}

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/slips/golden").join(name)
}

/// Compares a writer's bytes with the golden file (`include_bytes!`'d by the caller). With
/// `JUCHU_WRITE_GOLDEN=1` it writes the file instead; read it and check it by hand afterwards.
pub(crate) fn check_golden(name: &str, golden: &[u8], bytes: &[u8]) {
    if std::env::var_os("JUCHU_WRITE_GOLDEN").is_some() {
        let path = golden_path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        return;
    }
    if golden != bytes {
        let (want, _, _) = encoding_rs::SHIFT_JIS.decode(golden);
        let (got, _, _) = encoding_rs::SHIFT_JIS.decode(bytes);
        for (i, (w, g)) in want.split("\r\n").zip(got.split("\r\n")).enumerate() {
            if w != g {
                panic!("{name} line {}:\nwant {w}\ngot  {g}", i + 1);
            }
        }
        panic!("{name}: bytes differ (lengths {} and {})", golden.len(), bytes.len());
    }
}

/// The columns of every line of a CP932 CSV (simple: quoted fields hold no line breaks).
pub(crate) fn columns(bytes: &[u8]) -> Vec<Vec<String>> {
    let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    assert!(!errors);
    assert!(text.ends_with("\r\n"));
    text.trim_end_matches("\r\n")
        .split("\r\n")
        .map(|line| {
            let mut fields = Vec::new();
            let mut cur = String::new();
            let mut quoted = false;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '"' if quoted && chars.peek() == Some(&'"') => {
                        cur.push('"');
                        chars.next();
                    }
                    '"' => quoted = !quoted,
                    ',' if !quoted => fields.push(std::mem::take(&mut cur)),
                    _ => cur.push(c),
                }
            }
            fields.push(cur);
            fields
        })
        .collect()
}
