//! The one catalog of an order's fields: what rules read and set, and what enrichment stores. Each
//! field is written once here, with its name as rules write it, its labels as staff say them, its
//! kind and its `order_enrichment` columns; the rule schema, the enricher, the store row,
//! `juchu explain` and the workbook's headers all read it.

use std::sync::OnceLock;

use chrono::NaiveDate;

use super::checks::CheckNo;
use super::enrichment::Tax;
use super::lang::Text;
use super::Yen;

/// What a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Yen,
    /// A whole number that is not an amount (days, counts, hours).
    Number,
    Date,
    Bool,
    /// 消費税 per rate (10 % and 8 %).
    Tax,
}

impl Kind {
    /// As rule diagnostics word it (`… but shipping_fee (送料) is yen`).
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Yen => "yen",
            Kind::Number => "number",
            Kind::Date => "date",
            Kind::Bool => "true/false",
            Kind::Tax => "yen per tax rate",
        }
    }
}

/// What rules may do with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// Enrichment's own result (the shipping date, the billing total): rules run before it exists.
    No,
    Read,
    /// A rule's instruction (`split`, `hold`): set, never read.
    Set,
    ReadSet,
}

impl Rules {
    pub fn read(self) -> bool {
        matches!(self, Rules::Read | Rules::ReadSet)
    }
    pub fn set(self) -> bool {
        matches!(self, Rules::Set | Rules::ReadSet)
    }
}

/// Where a field is stored in `order_enrichment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Not stored: an order fact rules read, or a rule's instruction.
    None,
    /// The value, and beside it where it came from.
    Value { value: &'static str, source: Option<&'static str> },
    /// 消費税 per rate, with one source.
    Tax { standard: &'static str, reduced: &'static str, source: &'static str },
}

impl Column {
    /// Every column, in the table's order (value, then source).
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        let cols: [Option<&'static str>; 3] = match self {
            Column::None => [None; 3],
            Column::Value { value, source } => [Some(value), source, None],
            Column::Tax { standard, reduced, source } => [Some(standard), Some(reduced), Some(source)],
        };
        cols.into_iter().flatten()
    }
}

/// The catalog's key: one variant per field, in the catalog's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Mall,
    Shop,
    MallStatus,
    OrderedDate,
    OrderedHour,
    IsGift,
    ShipToPrefecture,
    ShipToRegion,
    ShipToPostalCode,
    OrdererPrefecture,
    MallPayment,
    Items,
    Quantity,
    Temperature,
    Carriers,
    LogisticsCompanies,
    Goods,
    OptionTotal,
    MallShipping,
    MallCodFee,
    Coupons,
    Points,
    MallBillingTotal,
    DesiredDate,
    DesiredTimeSlot,
    CustomerOrders,
    CustomerTotal,
    DeliveryMethod,
    MallTemperature,
    PostageIncluded,
    Destinations,
    HasRemarks,
    AddressPending,
    BillingDifference,
    LogisticsCompany,
    Carrier,
    CarrierService,
    PaymentMethod,
    ShippingFee,
    CodFee,
    PaymentFee,
    PreparationDays,
    Sender,
    CustomerRank,
    RemoteIsland,
    Split,
    Hold,
    Shipments,
    ShipDate,
    BillingTotal,
    Tax,
}

pub struct FieldDef {
    pub field: Field,
    /// As rules write it (`ship_to.prefecture`, `carrier`).
    pub name: &'static str,
    /// As staff say it (物流会社, お届け希望日, 請求金額), in both languages.
    pub label: Text,
    pub kind: Kind,
    pub rules: Rules,
    pub column: Column,
    /// The check (S10) that looks at the value: `explain` and the workbook show the stored fields
    /// in the checks' order.
    pub check: Option<CheckNo>,
}

const fn def(field: Field, name: &'static str, ja: &'static str, en: &'static str, kind: Kind, rules: Rules) -> FieldDef {
    FieldDef { field, name, label: Text::new(ja, en), kind, rules, column: Column::None, check: None }
}

impl FieldDef {
    /// Stored as `value` beside `source`, looked at by `check`.
    const fn stored(mut self, value: &'static str, source: &'static str, check: Option<CheckNo>) -> FieldDef {
        self.column = Column::Value { value, source: Some(source) };
        self.check = check;
        self
    }
}

use CheckNo as C;
use Field as F;
use Kind as K;
use Rules as R;

/// The catalog, in the order rules list their fields (what they read, then what they set), then
/// what only enrichment sets.
pub static FIELDS: [FieldDef; 51] = [
    def(F::Mall, "mall", "モール", "mall", K::Text, R::Read),
    def(F::Shop, "shop", "店舗", "shop", K::Text, R::Read),
    def(F::MallStatus, "mall_status", "モールのステータス", "mall status", K::Text, R::Read),
    def(F::OrderedDate, "ordered_date", "注文日", "order date", K::Date, R::Read),
    def(F::OrderedHour, "ordered_hour", "注文時刻(時)", "order hour", K::Number, R::Read),
    def(F::IsGift, "is_gift", "ギフト(送付先が別)", "gift (shipped to someone else)", K::Bool, R::Read),
    def(F::ShipToPrefecture, "ship_to.prefecture", "送付先都道府県", "ship-to prefecture", K::Text, R::Read),
    def(F::ShipToRegion, "ship_to.region", "送付先地域", "ship-to region", K::Text, R::Read),
    def(F::ShipToPostalCode, "ship_to.postal_code", "送付先郵便番号", "ship-to postal code", K::Text, R::Read),
    def(F::OrdererPrefecture, "orderer.prefecture", "注文者都道府県", "orderer prefecture", K::Text, R::Read),
    def(F::MallPayment, "mall_payment", "モールの決済方法", "the mall's payment method", K::Text, R::Read),
    def(F::Items, "items", "明細数", "item lines", K::Number, R::Read),
    def(F::Quantity, "quantity", "数量合計", "total quantity", K::Number, R::Read),
    def(F::Temperature, "temperature", "温度帯", "temperature zone", K::Text, R::Read).stored(
        "temperature",
        "temperature_source",
        Some(C::Carrier),
    ),
    def(F::Carriers, "carriers", "商品の配送会社の数", "carriers the items need", K::Number, R::Read),
    def(F::LogisticsCompanies, "logistics_companies", "商品の物流会社の数", "logistics companies the items need", K::Number, R::Read),
    def(F::Goods, "goods", "商品合計", "goods total", K::Yen, R::Read),
    def(F::OptionTotal, "option_total", "オプション金額", "option amount", K::Yen, R::Read).stored(
        "option_total",
        "option_total_source",
        Some(C::OptionTotal),
    ),
    def(F::MallShipping, "mall_shipping", "モールの送料", "the mall's shipping fee", K::Yen, R::Read),
    def(F::MallCodFee, "mall_cod_fee", "モールの代引手数料", "the mall's COD fee", K::Yen, R::Read),
    def(F::Coupons, "coupons", "クーポン", "coupons", K::Yen, R::Read),
    def(F::Points, "points", "ポイント", "points", K::Yen, R::Read),
    def(F::MallBillingTotal, "mall_billing_total", "モールの請求金額", "the mall's billing amount", K::Yen, R::Read),
    def(F::DesiredDate, "desired_date", "お届け希望日", "desired delivery date", K::Date, R::Read).stored(
        "desired_date",
        "desired_date_source",
        Some(C::DesiredDate),
    ),
    def(F::DesiredTimeSlot, "desired_time_slot", "お届け時間帯", "desired time slot", K::Text, R::Read).stored(
        "desired_time_slot",
        "desired_time_slot_source",
        Some(C::DesiredDate),
    ),
    def(F::CustomerOrders, "customer_orders", "購入回数", "the customer's orders", K::Number, R::Read),
    def(F::CustomerTotal, "customer_total", "累計購入金額", "the customer's purchases", K::Yen, R::Read),
    def(F::DeliveryMethod, "delivery_method", "モールの配送方法", "the mall's delivery method", K::Text, R::Read),
    def(F::MallTemperature, "mall_temperature", "モールの温度帯指定", "the temperature zone chosen at the mall", K::Text, R::Read),
    def(F::PostageIncluded, "postage_included", "送料込み", "postage included in the prices", K::Bool, R::Read),
    def(F::Destinations, "destinations", "送付先の数", "destinations of the order", K::Number, R::Read),
    def(F::HasRemarks, "has_remarks", "備考あり", "remarks present", K::Bool, R::Read),
    def(F::AddressPending, "address_pending", "住所入力待ち(ギフト)", "recipient address pending (gift)", K::Bool, R::Read),
    // Known only once the billing total is: read by hold tables (outputs `hold` only), which run last.
    def(F::BillingDifference, "billing_difference", "請求金額の差(モール−juchu)", "billing difference (mall − juchu)", K::Yen, R::Read),
    // Set by the masters first, then by rules.
    def(F::LogisticsCompany, "logistics_company", "物流会社", "logistics company", K::Text, R::ReadSet).stored(
        "logistics_company",
        "logistics_company_source",
        Some(C::LogisticsCompany),
    ),
    def(F::Carrier, "carrier", "配送会社", "carrier", K::Text, R::ReadSet).stored("carrier", "carrier_source", Some(C::Carrier)),
    def(F::CarrierService, "carrier_service", "配送サービス", "carrier service", K::Text, R::ReadSet).stored(
        "carrier_service",
        "carrier_service_source",
        Some(C::Carrier),
    ),
    def(F::PaymentMethod, "payment_method", "決済方法", "payment method", K::Text, R::ReadSet).stored(
        "payment_method",
        "payment_method_source",
        Some(C::PaymentMethod),
    ),
    def(F::ShippingFee, "shipping_fee", "送料", "shipping fee", K::Yen, R::ReadSet).stored(
        "shipping_fee",
        "shipping_fee_source",
        Some(C::BillingTotal),
    ),
    def(F::CodFee, "cod_fee", "代引手数料", "COD fee", K::Yen, R::ReadSet).stored("cod_fee", "cod_fee_source", Some(C::BillingTotal)),
    def(F::PaymentFee, "payment_fee", "決済手数料", "payment fee", K::Yen, R::ReadSet).stored(
        "payment_fee",
        "payment_fee_source",
        Some(C::BillingTotal),
    ),
    def(F::PreparationDays, "preparation_days", "準備日数", "preparation days", K::Number, R::ReadSet),
    def(F::Sender, "sender", "送付元", "sender", K::Text, R::ReadSet).stored("sender", "sender_source", Some(C::Sender)),
    def(F::CustomerRank, "customer_rank", "顧客ランク", "customer rank", K::Text, R::ReadSet).stored(
        "customer_rank",
        "customer_rank_source",
        None,
    ),
    def(F::RemoteIsland, "remote_island", "離島", "remote island", K::Text, R::ReadSet).stored(
        "remote_island",
        "remote_island_source",
        Some(C::DesiredDate),
    ),
    def(F::Split, "split", "分割出荷の指定", "split the order", K::Bool, R::Set),
    def(F::Hold, "hold", "保留理由", "hold reason", K::Text, R::Set),
    // Enrichment's results.
    def(F::Shipments, "shipments", "分割出荷", "shipments", K::Text, R::No).stored("shipments", "shipments_source", Some(C::Carrier)),
    def(F::ShipDate, "ship_date", "出荷予定日", "planned shipping date", K::Date, R::No).stored(
        "ship_date",
        "ship_date_source",
        Some(C::ShipDate),
    ),
    def(F::BillingTotal, "billing_total", "請求金額", "billing amount", K::Yen, R::No).stored(
        "billing_total",
        "billing_total_source",
        Some(C::BillingTotal),
    ),
    FieldDef {
        column: Column::Tax { standard: "tax_10", reduced: "tax_8", source: "tax_source" },
        check: Some(C::BillingTotal),
        ..def(F::Tax, "tax", "消費税", "consumption tax", K::Tax, R::No)
    },
];

impl Field {
    pub fn def(self) -> &'static FieldDef {
        &FIELDS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    pub fn label(self) -> Text {
        self.def().label
    }

    pub fn by_name(name: &str) -> Option<Field> {
        FIELDS.iter().find(|f| f.name == name).map(|f| f.field)
    }
}

/// The fields `order_enrichment` stores, in the checks' order (then the ones no check looks at),
/// as `explain` and the workbook show them.
pub fn stored() -> &'static [Field] {
    static ORDER: OnceLock<Vec<Field>> = OnceLock::new();
    ORDER.get_or_init(|| {
        let mut fields: Vec<Field> = FIELDS.iter().filter(|f| f.column != Column::None).map(|f| f.field).collect();
        fields.sort_by_key(|f| f.def().check.map_or(u8::MAX, CheckNo::number));
        fields
    })
}

/// A stored value, borrowed from the enrichment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredValue<'a> {
    Text(Option<&'a str>),
    Yen(Option<Yen>),
    Date(Option<NaiveDate>),
    Tax(Option<Tax>),
}

impl StoredValue<'_> {
    pub fn kind_fits(&self, kind: Kind) -> bool {
        matches!(
            (self, kind),
            (StoredValue::Text(_), Kind::Text)
                | (StoredValue::Yen(_), Kind::Yen)
                | (StoredValue::Date(_), Kind::Date)
                | (StoredValue::Tax(_), Kind::Tax)
        )
    }
}

/// A field's value and where it came from (None: no source, stored as NULL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored<'a> {
    pub value: StoredValue<'a>,
    pub source: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_keyed_by_its_enum_and_names_are_unique() {
        for (i, f) in FIELDS.iter().enumerate() {
            assert_eq!(f.field as usize, i, "{} is out of place", f.name);
            assert_eq!(Field::by_name(f.name), Some(f.field));
            assert!(!f.label.ja.is_empty() && !f.label.en.is_empty(), "{} needs both labels", f.name);
        }
        assert_eq!(Field::by_name("godos"), None);
    }

    #[test]
    fn stored_fields_follow_the_checks() {
        let names: Vec<&str> = stored().iter().map(|f| f.name()).collect();
        assert_eq!(
            names,
            [
                "logistics_company",
                "temperature",
                "carrier",
                "carrier_service",
                "shipments",
                "ship_date",
                "desired_date",
                "desired_time_slot",
                "remote_island",
                "sender",
                "payment_method",
                "option_total",
                "shipping_fee",
                "cod_fee",
                "payment_fee",
                "billing_total",
                "tax",
                "customer_rank"
            ]
        );
    }
}
