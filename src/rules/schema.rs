//! The fields rules can read (inputs) and set (outputs): the catalog's (`domain::fields`) fields
//! that rules know, in its order.

use super::value::Value;
use crate::domain::fields::{FieldDef, Kind, FIELDS};

/// A field rules read or set.
pub fn field(name: &str) -> Option<&'static FieldDef> {
    FIELDS.iter().find(|f| f.name == name && (f.rules.read() || f.rules.set()))
}

/// A field rules may read (in an input column, an expression or a test's `given`).
pub fn readable(name: &str) -> Option<&'static FieldDef> {
    field(name).filter(|f| f.rules.read())
}

/// Every field rules know: what they read, then what they set.
pub fn names() -> Vec<&'static str> {
    let known = |f: &&FieldDef| f.rules.read() || f.rules.set();
    FIELDS.iter().filter(known).filter(|f| !f.rules.set()).chain(FIELDS.iter().filter(|f| f.rules.set())).map(|f| f.name).collect()
}

pub fn output_names() -> Vec<&'static str> {
    FIELDS.iter().filter(|f| f.rules.set()).map(|f| f.name).collect()
}

/// Whether a value fits a field's kind (None = nothing, always fits).
pub fn fits(field: &FieldDef, v: &Value) -> bool {
    matches!(
        (field.kind, v),
        (_, Value::Null)
            | (Kind::Text, Value::Text(_))
            | (Kind::Yen | Kind::Number, Value::Int(_))
            | (Kind::Date, Value::Date(_))
            | (Kind::Bool, Value::Bool(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_list_their_fields_as_before() {
        assert_eq!(
            names().join(", "),
            "mall, shop, mall_status, ordered_date, ordered_hour, is_gift, ship_to.prefecture, ship_to.region, ship_to.postal_code, \
             orderer.prefecture, mall_payment, items, quantity, temperature, carriers, logistics_companies, goods, option_total, \
             mall_shipping, mall_cod_fee, coupons, points, mall_billing_total, desired_date, desired_time_slot, customer_orders, \
             customer_total, delivery_method, mall_temperature, postage_included, destinations, has_remarks, address_pending, \
             billing_difference, logistics_company, carrier, \
             carrier_service, payment_method, shipping_fee, cod_fee, payment_fee, preparation_days, sender, customer_rank, remote_island, \
             split, hold"
        );
        assert_eq!(
            output_names().join(", "),
            "logistics_company, carrier, carrier_service, payment_method, shipping_fee, cod_fee, payment_fee, preparation_days, sender, \
             customer_rank, remote_island, split, hold"
        );
        assert!(field("ship_date").is_none(), "enrichment's own results are not the rules'");
        assert!(readable("hold").is_none() && field("hold").is_some());
    }
}
