//! An order as every mall adapter delivers it (受注). Wire formats stop at `malls/`; from here on an
//! order from Rakuten looks like one from Yahoo.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

/// A yen amount, the malls' "not fixed yet" (Rakuten's -9999), or an amount the mall did not send:
/// neither of the last two may be added up, and neither is zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Amount {
    Yen(i64),
    /// 未確定: the mall will fix it later (e.g. postage of an order with 送料別途).
    NotFixed,
    /// The mall's payload has no such field (or null): unknown, not 0 yen.
    Absent,
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
            Amount::NotFixed | Amount::Absent => None,
        }
    }

    pub fn is_absent(self) -> bool {
        self == Amount::Absent
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
    /// 単価, yen, tax included as the mall shows it; None where the mall sent none (unknown, not free).
    pub unit_price: Option<i64>,
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
    /// The shipment (送付先) this line goes to: an index into `Order::shipments`.
    #[serde(default)]
    pub shipment: usize,
    /// SKU-era variation text as the mall sends it (Rakuten `skuInfo`: `サイズ:M\nカラー:(090)ブラック`).
    #[serde(default)]
    pub sku_info: String,
    /// The shop's own SKU number (Rakuten `merchantDefinedSkuId`).
    #[serde(default)]
    pub merchant_sku: Option<String>,
}

impl OrderItem {
    /// 単価 × 数量, where the mall sent the price.
    pub fn line_total(&self) -> Option<i64> {
        self.unit_price.map(|p| p * self.quantity)
    }
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
    /// ラッピング料: part of the mall's goods total (Rakuten `goodsPrice` = items + wrapping).
    #[serde(default)]
    pub wrapping: Amount,
    /// A fee the mall itself adds to the bill (Rakuten `additionalFeeOccurAmountToUser`): part of 請求金額.
    #[serde(default = "absent")]
    pub additional_fee: Amount,
    /// クーポン利用額 the shop pays for (the rest of `coupons` is the mall's), where the mall says.
    #[serde(default = "absent")]
    pub shop_coupons: Amount,
    /// 消費税 as the mall computed it (Rakuten `TaxSummaryModelList`), to compare with juchu's.
    #[serde(default)]
    pub mall_tax: Option<MallTax>,
}

fn absent() -> Amount {
    Amount::Absent
}

/// The mall's own consumption tax per rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MallTax {
    /// 10 % 対象の税額
    pub standard: i64,
    /// 8 % 対象の税額
    pub reduced: i64,
}

/// How the customer asked the mall to ship (配送方法): Rakuten `DeliveryModel`, Yahoo `ShipMethod`,
/// Amazon `ShipmentServiceLevelCategory`, au PAY's delivery method.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MallDelivery {
    /// The mall's value as sent: `宅配便`, `メール便`, `postage1`, `Standard`. Empty = none sent.
    pub method: String,
    /// 温度帯 the customer chose, where the mall says (Rakuten `deliveryClass` 2 冷蔵, 3 冷凍; 1 普通 = 常温).
    pub temperature: Option<String>,
    /// The field it came from, in the mall's words: `DeliveryModel.deliveryName`.
    pub source: String,
}

/// One destination of an order (送付先): its recipient and what goes there. Rakuten orders may have
/// several (one per `PackageModel`); every other mall's order is one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub ship_to: Party,
    /// The address is still the mall's placeholder (ソーシャルギフト: 入力待ち, 〒999-9999): the
    /// recipient has not entered theirs yet, so it is no address to ship or date to.
    #[serde(default)]
    pub address_pending: bool,
    /// 送料 of this shipment as the mall charged it (Rakuten `postagePrice` per package); Absent
    /// where the mall has only the order's.
    #[serde(default = "absent")]
    pub postage: Amount,
    /// 離島: the mall marks this ship-to as a remote island (Rakuten `isolatedIslandFlag`).
    #[serde(default)]
    pub remote_island: bool,
    #[serde(default)]
    pub delivery: MallDelivery,
}

impl Shipment {
    pub fn to(ship_to: Party) -> Shipment {
        Shipment { ship_to, postage: Amount::Absent, ..Default::default() }
    }
}

/// What the mall sends beside the order proper, kept for the back office (shown by `explain`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MallExtras {
    /// ラッピング (Rakuten `WrappingModel1/2`: title and name).
    pub wrapping: Vec<String>,
    /// のし (Rakuten `noshi`).
    pub noshi: String,
    /// 送料込み: the items' prices include the postage (Rakuten `includePostageFlag`).
    pub postage_included: Option<bool>,
    /// The mall's own tracking numbers, each `会社コード:番号` (the mall's carrier code, a colon,
    /// the number): Rakuten `ShippingModelList` (deliveryCompany:shippingNumber), Yahoo
    /// `ShipCompanyCode:ShipInvoiceNumber1/2`, au PAY `shippingCarrier:shippingNumber`. So the next
    /// fetch sees what the write-back wrote. Amazon's order API shows none; FutureShop2's export neither.
    pub tracking_numbers: Vec<String>,
    /// 配送会社 code the mall has for the order (Rakuten `defaultDeliveryCompanyCode`).
    pub default_delivery_company: String,
    /// あす楽 (Rakuten `asurakuFlag`).
    pub asuraku: bool,
    /// お届け日情報 as the mall writes it (Rakuten `delvdateInfo`).
    pub delivery_date_info: String,
    /// The mall's gift sign, where it sends one (`giftCheckFlag`, `socialGiftFlag`, Amazon `IsGift`).
    pub gift_flag: Option<String>,
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
    /// The mall's status (code or name); empty where the mall sent none (unknown, see `status_known`).
    pub mall_status: String,
    /// キャンセル: the mall has cancelled the order (Rakuten 800/900, Yahoo status 4, Amazon Canceled).
    #[serde(default)]
    pub cancelled: bool,
    pub orderer: Party,
    /// ギフト: by the mall's own flag where it sends one, else the ship-to differs from the orderer.
    pub is_gift: bool,
    pub items: Vec<OrderItem>,
    /// 送付先: one per destination, at least one.
    pub shipments: Vec<Shipment>,
    /// 支払方法 as the mall names it.
    pub payment_method: String,
    pub desired_delivery: DesiredDelivery,
    /// 備考 (customer remarks) as received.
    pub remarks: String,
    pub amounts: Amounts,
    #[serde(default)]
    pub extras: MallExtras,
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
    /// The first destination: the only one outside Rakuten's multi-destination orders.
    pub fn ship_to(&self) -> &Party {
        static NOBODY: std::sync::OnceLock<Party> = std::sync::OnceLock::new();
        self.shipments.first().map(|s| &s.ship_to).unwrap_or_else(|| NOBODY.get_or_init(Party::default))
    }

    /// The mall sent a status for the order.
    pub fn status_known(&self) -> bool {
        !self.mall_status.trim().is_empty()
    }

    /// 顧客キー: who the customer is for ranks (S7), never empty: the mall with the email, or the
    /// phone (digits) with the name; None where the mall sent neither (no history is kept then).
    pub fn customer_key(&self) -> Option<String> {
        customer_key(&self.mall, &self.orderer)
    }

    /// A fingerprint of the content, to rewrite an order only when it changed.
    pub fn content_hash(&self) -> u64 {
        // Over the canonical JSON.
        let json = serde_json::to_vec(self).expect("an order serialises");
        super::fnv1a(super::FNV_START, &json)
    }
}

/// See [`Order::customer_key`]. Emails are compared in lower case, phones by their digits
/// (full-width ones too) and names without blanks.
pub fn customer_key(mall: &str, p: &Party) -> Option<String> {
    let email = super::text::to_half_width(p.email.trim()).to_lowercase();
    if email.contains('@') {
        return Some(format!("{mall}:mail:{email}"));
    }
    let phone: String = super::text::to_half_width(&p.phone).chars().filter(char::is_ascii_digit).collect();
    let name: String = p.name.chars().filter(|c| !c.is_whitespace()).collect();
    if phone.len() >= 6 && !name.is_empty() {
        return Some(format!("{mall}:tel:{phone}:{name}"));
    }
    None
}

/// The mall's placeholder for an address the recipient has not entered yet (ソーシャルギフト:
/// `入力待ち`, 〒999-9999).
pub fn is_placeholder_address(p: &Party) -> bool {
    let zip: String = super::text::to_half_width(&p.postal_code).chars().filter(char::is_ascii_digit).collect();
    zip == "9999999" || [&p.address, &p.prefecture, &p.name].iter().any(|t| t.contains("入力待ち"))
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

    #[test]
    fn a_customer_is_the_mall_with_the_email_or_the_phone_with_the_name() {
        let p = |name: &str, phone: &str, email: &str| Party {
            name: name.into(),
            phone: phone.into(),
            email: email.into(),
            ..Default::default()
        };
        assert_eq!(customer_key("rakuten", &p("", "", " Hanako@Example.JP ")).as_deref(), Some("rakuten:mail:hanako@example.jp"));
        assert_eq!(
            customer_key("rakuten", &p("山田 花子", "０３-１２３４-５６７８", "")).as_deref(),
            Some("rakuten:tel:0312345678:山田花子")
        );
        assert_eq!(customer_key("rakuten", &p("", "03-1234-5678", "")), None, "a phone alone is not a customer");
        assert_eq!(customer_key("rakuten", &p("", "", "")), None);
        let pending = Party { postal_code: "999-9999".into(), address: "入力待ち".into(), ..Default::default() };
        assert!(is_placeholder_address(&pending));
        assert!(!is_placeholder_address(&p("山田 花子", "", "")));
    }
}
