//! The fields rules can read (inputs) and set (outputs), with the names staff see in the report.

use super::value::Value;

pub struct Field {
    pub name: &'static str,
    /// What a value looks like: "text", "yen", "number", "date", "true/false".
    pub kind: &'static str,
    /// The term staff use.
    pub label: &'static str,
    /// Whether a rule may set it.
    pub output: bool,
}

const fn f(name: &'static str, kind: &'static str, label: &'static str, output: bool) -> Field {
    Field { name, kind, label, output }
}

pub const FIELDS: &[Field] = &[
    f("mall", "text", "モール", false),
    f("shop", "text", "店舗", false),
    f("mall_status", "text", "モールのステータス", false),
    f("ordered_date", "date", "注文日", false),
    f("ordered_hour", "number", "注文時刻(時)", false),
    f("is_gift", "true/false", "ギフト(送付先が別)", false),
    f("ship_to.prefecture", "text", "送付先都道府県", false),
    f("ship_to.region", "text", "送付先地域", false),
    f("ship_to.postal_code", "text", "送付先郵便番号", false),
    f("orderer.prefecture", "text", "注文者都道府県", false),
    f("mall_payment", "text", "モールの決済方法", false),
    f("items", "number", "明細数", false),
    f("quantity", "number", "数量合計", false),
    f("temperature", "text", "温度帯(常温/冷蔵/冷凍)", false),
    f("carriers", "number", "商品の配送会社の数", false),
    f("logistics_companies", "number", "商品の物流会社の数", false),
    f("goods", "yen", "商品合計", false),
    f("option_total", "yen", "オプション金額", false),
    f("mall_shipping", "yen", "モールの送料", false),
    f("mall_cod_fee", "yen", "モールの代引手数料", false),
    f("coupons", "yen", "クーポン", false),
    f("points", "yen", "ポイント", false),
    f("mall_billing_total", "yen", "モールの請求金額", false),
    f("desired_date", "date", "お届け希望日", false),
    f("desired_time_slot", "text", "お届け時間帯", false),
    f("customer_orders", "number", "購入回数", false),
    f("customer_total", "yen", "累計購入金額", false),
    // Set by the masters first, then by rules.
    f("logistics_company", "text", "物流会社", true),
    f("carrier", "text", "配送会社", true),
    f("payment_method", "text", "決済方法(社内)", true),
    f("shipping_fee", "yen", "送料", true),
    f("cod_fee", "yen", "代引手数料", true),
    f("payment_fee", "yen", "決済手数料", true),
    f("preparation_days", "number", "準備日数", true),
    f("sender", "text", "送付元", true),
    f("customer_rank", "text", "顧客ランク", true),
    f("remote_island", "text", "離島(地域名)", true),
    f("split", "true/false", "分割出荷(配送条件の違う商品を別々に出荷)", true),
    f("hold", "text", "保留理由", true),
];

pub fn field(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

pub fn names() -> Vec<&'static str> {
    FIELDS.iter().map(|f| f.name).collect()
}

pub fn output_names() -> Vec<&'static str> {
    FIELDS.iter().filter(|f| f.output).map(|f| f.name).collect()
}

/// Whether a value fits a field's kind (None = nothing, always fits).
pub fn fits(field: &Field, v: &Value) -> bool {
    matches!(
        (field.kind, v),
        (_, Value::Null)
            | ("text", Value::Text(_))
            | ("yen" | "number", Value::Int(_))
            | ("date", Value::Date(_))
            | ("true/false", Value::Bool(_))
    )
}
