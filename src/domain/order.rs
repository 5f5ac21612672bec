//! An order as every mall adapter delivers it (受注). Wire formats stop at `malls/`; from here on an
//! order from Rakuten looks like one from Yahoo.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

/// A yen amount, or the malls' "not fixed yet" (Rakuten's -9999): an amount that must not be added up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Amount {
    Yen(i64),
    /// 未確定: the mall will fix it later (e.g. postage of an order with 送料別途).
    NotFixed,
}

impl Amount {
    /// Rakuten and others send -9999 for "not fixed yet".
    pub fn from_mall(v: i64) -> Amount {
        if v == -9999 {
            Amount::NotFixed
        } else {
            Amount::Yen(v)
        }
    }

    pub fn yen(self) -> Option<i64> {
        match self {
            Amount::Yen(v) => Some(v),
            Amount::NotFixed => None,
        }
    }
}

impl Default for Amount {
    fn default() -> Self {
        Amount::Yen(0)
    }
}

/// A person and their address: 注文者 (orderer) or 送付先 (ship-to).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    pub name_kana: String,
    /// 〒 as `123-4567`.
    pub postal_code: String,
    /// One of the 47 (as the mall wrote it; checked later).
    pub prefecture: String,
    /// City and street (市区町村 + 番地 + 建物).
    pub address: String,
    pub phone: String,
    pub email: String,
}

/// One line of an order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    /// 商品番号 (or the mall's product code).
    pub product_code: String,
    /// 商品管理番号 / URL slug, where the mall has one.
    pub item_key: String,
    pub sku: Option<String>,
    pub name: String,
    /// 単価, yen, tax included as the mall shows it.
    pub unit_price: i64,
    pub quantity: i64,
    /// 項目選択肢 as text, e.g. `カラー:赤 サイズ:M`.
    pub options_text: String,
    /// Option price where the mall gives one as a field (Rakuten has none: it is inside the text).
    pub option_price: Option<i64>,
    /// 消費税率 in percent (10 or 8) where the mall sends it; None = the standard 10 %.
    #[serde(default)]
    pub tax_rate: Option<u8>,
    /// 税別: the unit price excludes tax, which the mall adds on top (Rakuten includeTaxFlag 0).
    #[serde(default)]
    pub tax_excluded: bool,
}

/// The money of an order (金額).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amounts {
    /// 商品合計
    pub goods: Amount,
    /// 送料
    pub shipping: Amount,
    /// 代引手数料
    pub cod_fee: Amount,
    /// 決済手数料
    pub payment_fee: Amount,
    /// クーポン利用額 (positive = discount)
    pub coupons: Amount,
    /// ポイント利用額
    pub points: Amount,
    /// 請求金額
    pub billing_total: Amount,
}

/// A desired delivery (お届け希望): date and time slot, and where they came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredDelivery {
    /// お届け希望日
    pub date: Option<NaiveDate>,
    /// お届け時間帯 as shown to staff: `14:00-16:00`, `午前中`.
    pub time_slot: Option<String>,
    /// `field` (the mall's structured fields) or `remarks` (parsed from 備考).
    pub source: Option<String>,
}

impl DesiredDelivery {
    /// The mall's structured fields win when it has any; the remarks' `[配送日時指定:]` block is the
    /// fallback (S10.6).
    pub fn from_fields_or_remarks(date: Option<NaiveDate>, time_slot: Option<String>, remarks: &str) -> DesiredDelivery {
        if date.is_some() || time_slot.is_some() {
            DesiredDelivery { date, time_slot, source: Some("field".into()) }
        } else {
            super::remarks::desired_delivery_from_remarks(remarks).unwrap_or_default()
        }
    }
}

/// An order from any mall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub mall: String,
    /// The shop's id at the mall.
    pub shop: String,
    /// 受注番号, as the mall writes it.
    pub order_number: String,
    /// 注文日時 (JST).
    pub ordered_at: DateTime<FixedOffset>,
    /// The mall's status (code or name), and the internal status it maps to (filled by the masters).
    pub mall_status: String,
    pub orderer: Party,
    pub ship_to: Party,
    /// True when the ship-to differs from the orderer (gift, 別送).
    pub is_gift: bool,
    pub items: Vec<OrderItem>,
    /// 支払方法 as the mall names it.
    pub payment_method: String,
    pub desired_delivery: DesiredDelivery,
    /// 備考 (customer remarks) as received.
    pub remarks: String,
    pub amounts: Amounts,
    /// 離島: the mall marks the ship-to as a remote island (Rakuten isolatedIslandFlag).
    #[serde(default)]
    pub remote_island: bool,
}

/// ギフト (別送): the ship-to is someone else, or somewhere else, than the orderer. A field the
/// mall left empty for the orderer (Amazon and order files send no orderer address; some send no
/// name) proves nothing, so it does not count. Mall-specific signs (Rakuten's several
/// destinations, Amazon's IsGift) are added by the adapters.
pub fn is_gift(orderer: &Party, ship_to: &Party) -> bool {
    let differs = |a: &str, b: &str| !a.trim().is_empty() && a.trim() != b.trim();
    differs(&orderer.name, &ship_to.name) || differs(&orderer.address, &ship_to.address)
}

impl Order {
    /// A fingerprint of the content, to rewrite an order only when it changed.
    pub fn content_hash(&self) -> u64 {
        // Over the canonical JSON.
        let json = serde_json::to_vec(self).expect("an order serialises");
        super::fnv1a(super::FNV_START, &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus_9999_is_not_fixed_not_a_number() {
        assert_eq!(Amount::from_mall(-9999), Amount::NotFixed);
        assert_eq!(Amount::from_mall(-9999).yen(), None);
        assert_eq!(Amount::from_mall(-100).yen(), Some(-100));
    }

    #[test]
    fn a_gift_is_another_name_or_another_address() {
        let p = |name: &str, address: &str| Party { name: name.into(), address: address.into(), ..Default::default() };
        let me = p("山田 花子", "渋谷区神宮前1-2-3");
        assert!(!is_gift(&me, &me));
        assert!(is_gift(&me, &p("佐藤 太郎", "渋谷区神宮前1-2-3")), "another name");
        assert!(is_gift(&me, &p("山田 花子", "大阪市北区梅田1-1")), "another address (別送 to oneself)");
        assert!(!is_gift(&me, &p(" 山田 花子", "渋谷区神宮前1-2-3 ")), "surrounding blanks are not a difference");
        // What the mall did not send for the orderer proves nothing.
        assert!(!is_gift(&p("山田 花子", ""), &p("山田 花子", "大阪市北区梅田1-1")));
        assert!(!is_gift(&p("", ""), &p("佐藤 太郎", "大阪市北区梅田1-1")));
        assert!(is_gift(&p("", "渋谷区神宮前1-2-3"), &p("佐藤 太郎", "大阪市北区梅田1-1")));
    }
}
