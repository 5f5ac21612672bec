//! What enrichment adds to an order and where each value came from (the ten checks: `checks`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::checks::CheckNo;
use super::fields::{Field, Stored, StoredValue};
use super::Yen;

/// A value with its provenance: the master row, rule table and row, mall field, remarks or default
/// it came from, in words staff can follow (`配送条件!B5`, `rules/carrier.yaml row 1`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sourced<T> {
    pub value: Option<T>,
    pub source: String,
}

impl<T> Sourced<T> {
    pub fn new(value: T, source: impl Into<String>) -> Self {
        Sourced { value: Some(value), source: source.into() }
    }
    /// No value, and why not.
    pub fn missing(why: impl Into<String>) -> Self {
        Sourced { value: None, source: why.into() }
    }
}

/// 消費税額 included in an order's billing total, per rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tax {
    /// 10 % 対象の税額
    pub standard: Yen,
    /// 8 % (軽減税率) 対象の税額
    pub reduced: Yen,
}

/// One shipment of an order as enrichment leaves it (an order of one destination is one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Enrichment {
    /// 物流会社
    pub logistics_company: Sourced<String>,
    /// 配送会社
    pub carrier: Sourced<String>,
    /// 温度帯 of the shipment: the coldest of its items.
    pub temperature: Sourced<String>,
    /// 配送サービス: what the mall's delivery method means (配送方法 master), or a rule's.
    pub carrier_service: Sourced<String>,
    /// 出荷予定日
    pub ship_date: Sourced<NaiveDate>,
    /// お届け希望日 and 時間帯
    pub desired_date: Sourced<NaiveDate>,
    pub desired_time_slot: Sourced<String>,
    /// 離島: the area, where the mall marks the ship-to as a remote island or a rule finds it one.
    pub remote_island: Sourced<String>,
    /// 送付元 (S10.5)
    pub sender: Sourced<String>,
    /// 決済方法 (社内)
    pub payment_method: Sourced<String>,
    /// オプション金額: what the add-on master says the chosen options cost.
    pub option_total: Sourced<Yen>,
    /// 分割出荷: the shipments a rule split the order into, `1: 物流会社 / 配送会社 (商品番号, …); 2: …`.
    pub shipments: Sourced<String>,
    pub shipping_fee: Sourced<Yen>,
    pub cod_fee: Sourced<Yen>,
    pub payment_fee: Sourced<Yen>,
    /// 請求金額 as juchu computes it.
    pub billing_total: Sourced<Yen>,
    /// 消費税額 per rate, within the billing total.
    pub tax: Sourced<Tax>,
    /// 顧客ランク
    pub customer_rank: Sourced<String>,
    /// Problems found on the way, per check: what to fix (in the language of the run).
    pub problems: Vec<(CheckNo, String)>,
    /// 保留: every rule row that held the order, as (the row, its reason). A held order is not mailed,
    /// exported or written back as shipped until staff release it.
    pub holds: Vec<(String, String)>,
}

impl Enrichment {
    /// A fingerprint of every value and source: a replay counts the orders whose fingerprint moved.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = super::Fnv::default();
        self.hash(&mut h);
        h.finish()
    }
}

/// A source, or None where there is none (stored as NULL).
fn source(s: &str) -> Option<&str> {
    Some(s).filter(|s| !s.is_empty())
}

impl Enrichment {
    /// A catalog field's value and source as stored in `order_enrichment`; None for fields that are
    /// not enrichment's (order facts rules read, and rules' instructions `split` and `hold`).
    #[inline]
    pub fn stored(&self, f: Field) -> Option<Stored<'_>> {
        fn text(s: &Sourced<String>) -> Stored<'_> {
            Stored { value: StoredValue::Text(s.value.as_deref()), source: source(&s.source) }
        }
        fn yen(s: &Sourced<Yen>) -> Stored<'_> {
            Stored { value: StoredValue::Yen(s.value), source: source(&s.source) }
        }
        fn date(s: &Sourced<chrono::NaiveDate>) -> Stored<'_> {
            Stored { value: StoredValue::Date(s.value), source: source(&s.source) }
        }
        use Field::*;
        Some(match f {
            LogisticsCompany => text(&self.logistics_company),
            Carrier => text(&self.carrier),
            Shipments => text(&self.shipments),
            Temperature => text(&self.temperature),
            CarrierService => text(&self.carrier_service),
            ShipDate => date(&self.ship_date),
            DesiredDate => date(&self.desired_date),
            DesiredTimeSlot => text(&self.desired_time_slot),
            RemoteIsland => text(&self.remote_island),
            Sender => text(&self.sender),
            PaymentMethod => text(&self.payment_method),
            OptionTotal => yen(&self.option_total),
            ShippingFee => yen(&self.shipping_fee),
            CodFee => yen(&self.cod_fee),
            PaymentFee => yen(&self.payment_fee),
            BillingTotal => yen(&self.billing_total),
            Field::Tax => Stored { value: StoredValue::Tax(self.tax.value), source: source(&self.tax.source) },
            CustomerRank => text(&self.customer_rank),
            Mall | Shop | MallStatus | OrderedDate | OrderedHour | IsGift | ShipToPrefecture | ShipToRegion | ShipToPostalCode
            | OrdererPrefecture | MallPayment | Items | Quantity | Carriers | LogisticsCompanies | Goods | MallShipping | MallCodFee
            | Coupons | Points | MallBillingTotal | CustomerOrders | CustomerTotal | PreparationDays | Split | Hold | DeliveryMethod
            | MallTemperature | PostageIncluded | Destinations | HasRemarks | AddressPending | BillingDifference => return None,
        })
    }
}
