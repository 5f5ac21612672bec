//! The enrichment engine: masters first (配送条件, 決済方法, オプション加算, 配送日数, 配送時間帯),
//! then the rule tables in the order the pipeline lists them, then the business calendar and the
//! billing total. Every value keeps where it came from. Pure: the stage reads and writes the store.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Timelike};

use super::table::DecisionTable;
use super::value::Value;
use crate::domain::calendar::{BusinessCalendar, ShipDateReason};
use crate::domain::checks::{say, ten_checks, Check, CheckInput, CheckNo, CheckResult};
use crate::domain::enrichment::{Enrichment, Sourced, Tax};
use crate::domain::fields::Field;
use crate::domain::lang::{Lang, Text};
use crate::domain::masters::{CustomerRank, DeliveryCondition, DeliveryMethod, Masters, Origin};
use crate::domain::option_text::{choices, price_in_choice, without_price};
use crate::domain::order::{Amount, Order, Shipment};
use crate::domain::remarks::request_block;
use crate::domain::tax::{self, Rounding};
use crate::domain::Yen;

/// What the engine knows about the shop.
pub struct ShopFacts {
    pub origin_region: String,
    pub sender: String,
    /// Malls (by settings name) whose sender address may be rewritten to the shop's (S10.5).
    pub sender_auto_edit: HashMap<String, bool>,
    /// 端数処理 of consumption tax, as the shop set it at its malls.
    pub tax_rounding: Rounding,
    /// The language problems and check reasons are worded in (stored so: `domain::checks`).
    pub lang: Lang,
}

/// The customer's history in the store, for ranks (S7).
#[derive(Debug, Clone, Copy, Default)]
pub struct History {
    pub orders: i64,
    pub total: Yen,
}

/// Masters indexed for lookups by key (an order never scans a master).
pub struct Enricher<'a> {
    masters: &'a Masters,
    /// Each product's 配送条件 with the cells its 物流会社 and 配送会社 come from.
    delivery: HashMap<&'a str, (&'a DeliveryCondition, [String; 2])>,
    payment: HashMap<(&'a str, &'a str), (&'a str, String)>,
    region: HashMap<&'a str, &'a str>,
    transit: HashMap<&'a str, i64>,
    addons: HashMap<(&'a str, &'a str, &'a str), (Yen, String)>,
    /// The same rows by the choice without its announced price (Yahoo sends `あり` for `あり(+550円)`).
    addons_bare: HashMap<(&'a str, &'a str, &'a str), (Yen, String)>,
    /// 配送方法 rows by (mall kind, the mall's value), with the row's cell.
    methods: HashMap<(&'a str, &'a str), (&'a DeliveryMethod, String)>,
    /// 顧客ランク by priority, with its cell.
    ranks: Vec<(&'a CustomerRank, String)>,
    /// Each rule table's rows as their provenance reads (`rules/carrier.yaml row 1`), by row number.
    row_sources: Vec<Vec<String>>,
    /// Each rule table's output columns as catalog fields (the table compiler checked the names).
    outputs: Vec<Vec<Field>>,
    calendar: &'a BusinessCalendar,
    shop: &'a ShopFacts,
    rules: &'a [DecisionTable],
    /// The master mall's products: 商品管理番号 → 商品番号, for lines whose itemNumber carries
    /// option suffixes (per-option stock before SKUs: 商品番号 + 横軸 + 縦軸).
    links: HashMap<String, String>,
}

/// One shipment's enrichment and its ten checks (an order of one destination has one).
#[derive(Debug, Clone)]
pub struct Enriched {
    pub enrichment: Enrichment,
    pub checks: Vec<Check>,
    /// Rule rows that fired, as `table row N`.
    pub fired: Vec<String>,
}

fn cell(o: &Origin, column: usize) -> String {
    format!("{}!{}{}", o.sheet, crate::config::diagnostic::column_letters(column), o.row)
}

/// How a problem of items needing different logistics companies or carriers starts.
const CONFLICT: Text = Text::new("商品ごとに異なる", "the items need different");

/// 冷凍 > 冷蔵 > 常温: an order ships as cold as its coldest item.
fn coldness(t: &str) -> u8 {
    match t {
        "冷凍" => 2,
        "冷蔵" => 1,
        _ => 0,
    }
}

impl<'a> Enricher<'a> {
    pub fn new(masters: &'a Masters, calendar: &'a BusinessCalendar, shop: &'a ShopFacts, rules: &'a [DecisionTable]) -> Self {
        Enricher {
            masters,
            delivery: masters
                .delivery_conditions
                .iter()
                .map(|d| (d.product_code.as_str(), (d, [cell(&d.origin, 1), cell(&d.origin, 2)])))
                .collect(),
            payment: masters
                .payment_methods
                .iter()
                .map(|p| ((p.mall.as_str(), p.mall_name.as_str()), (p.internal.as_str(), cell(&p.origin, 2))))
                .collect(),
            region: masters.prefectures.iter().map(|p| (p.name.as_str(), p.region.as_str())).collect(),
            transit: masters
                .transit_days
                .iter()
                .filter(|t| t.origin_region == shop.origin_region)
                .map(|t| (t.prefecture.as_str(), t.days))
                .collect(),
            addons: masters
                .option_addons
                .iter()
                .map(|a| ((a.product_code.as_str(), a.item_name.as_str(), a.choice.as_str()), (a.amount, cell(&a.origin, 3))))
                .collect(),
            addons_bare: masters
                .option_addons
                .iter()
                .map(|a| ((a.product_code.as_str(), a.item_name.as_str(), without_price(&a.choice)), (a.amount, cell(&a.origin, 3))))
                .collect(),
            methods: masters.delivery_methods.iter().map(|m| ((m.mall.as_str(), m.method.as_str()), (m, cell(&m.origin, 1)))).collect(),
            ranks: {
                let mut ranks: Vec<_> = masters.customer_ranks.iter().map(|r| (r, cell(&r.origin, 0))).collect();
                ranks.sort_by_key(|(r, _)| r.priority);
                ranks
            },
            row_sources: rules
                .iter()
                .map(|t| {
                    let file = crate::config::diagnostic::display_path(&t.file);
                    let last = t.rules.iter().map(|r| r.number).max().unwrap_or(0);
                    (0..=last).map(|n| format!("{file} row {n}")).collect()
                })
                .collect(),
            outputs: rules
                .iter()
                .map(|t| t.outputs.iter().map(|o| Field::by_name(o).expect("the table compiler checked its outputs")).collect())
                .collect(),
            calendar,
            shop,
            rules,
            links: HashMap::new(),
        }
    }

    /// Links lines to the master mall's products by 商品管理番号 where their 商品番号 matches none.
    pub fn with_products(mut self, products: &[crate::domain::masters::MasterProduct]) -> Self {
        self.links = products.iter().map(|p| (p.item_key.clone(), p.product_code.clone())).collect();
        self
    }

    /// The order with every line's 商品番号 as the masters know it: a line whose itemNumber matches
    /// no 配送条件 takes its master product's by manageNumber (None: nothing to change).
    fn linked(&self, order: &Order) -> Option<Order> {
        let link = |i: &crate::domain::order::OrderItem| {
            if self.delivery.contains_key(i.product_code.as_str()) {
                return None;
            }
            self.links.get(&i.item_key).filter(|code| **code != i.product_code && self.delivery.contains_key(code.as_str()))
        };
        if !order.items.iter().any(|i| link(i).is_some()) {
            return None;
        }
        let mut o = order.clone();
        for i in &mut o.items {
            if let Some(code) = link(i) {
                i.product_code = code.clone();
            }
        }
        Some(o)
    }

    /// Enriches one order: one row per shipment (送付先), each with its ten checks. `mall_kind`
    /// keys the payment and delivery-method masters (`rakuten`, `yahoo`, …); `history` is None
    /// where the order has no customer key.
    ///
    /// Each shipment is enriched on its own (its items, recipient, postage, delivery method); the
    /// order's own values (決済方法, 送付元, 代引・決済手数料, 顧客ランク) are the first shipment's, and the
    /// option add-ons and the billing total are worked out once over the whole order.
    pub fn enrich(&self, order: &Order, mall_kind: &str, history: Option<History>) -> Vec<Enriched> {
        if order.cancelled {
            return self.cancelled(order);
        }
        let linked = self.linked(order);
        let order = linked.as_ref().unwrap_or(order);
        let n = order.shipments.len();
        let drafts: Vec<Draft> = if n <= 1 {
            vec![self.shipment(order, mall_kind, history, 1)]
        } else {
            (0..n).map(|k| self.shipment(&shipment_view(order, k), mall_kind, history, n)).collect()
        };
        self.finish(order, drafts)
    }

    /// A cancelled order: nothing to ship or bill, every check n/a saying why.
    fn cancelled(&self, order: &Order) -> Vec<Enriched> {
        let lang = self.shop.lang;
        let why = say!(
            lang,
            "キャンセルされた注文です（モールのステータス {}）：確認は不要です",
            "the order is cancelled (mall status {}): nothing to check",
            order.mall_status
        );
        let no_fee = || Sourced::new(0, why.clone());
        let e = Enrichment {
            logistics_company: Sourced::missing(why.clone()),
            carrier: Sourced::missing(why.clone()),
            temperature: Sourced::missing(why.clone()),
            carrier_service: Sourced::missing(why.clone()),
            ship_date: Sourced::missing(why.clone()),
            desired_date: Sourced::missing(why.clone()),
            desired_time_slot: Sourced::missing(why.clone()),
            remote_island: Sourced::missing(""),
            sender: Sourced::missing(why.clone()),
            payment_method: Sourced::missing(why.clone()),
            option_total: Sourced::missing(why.clone()),
            shipments: Sourced::missing(""),
            shipping_fee: no_fee(),
            cod_fee: no_fee(),
            payment_fee: no_fee(),
            billing_total: Sourced::missing(why.clone()),
            tax: Sourced::missing(why.clone()),
            customer_rank: Sourced::missing(why.clone()),
            problems: Vec::new(),
            holds: Vec::new(),
        };
        let checks: Vec<Check> =
            CheckNo::ALL.iter().map(|&no| Check { no, result: CheckResult::NotApplicable, reason: why.clone() }).collect();
        (0..order.shipments.len().max(1)).map(|_| Enriched { enrichment: e.clone(), checks: checks.clone(), fired: Vec::new() }).collect()
    }

    /// The order-level part, once the shipments are enriched: add-ons and the bill over the whole
    /// order, the order's own values on every row, then each row's ten checks.
    fn finish(&self, order: &Order, mut drafts: Vec<Draft>) -> Vec<Enriched> {
        let lang = self.shop.lang;
        let n = drafts.len();
        if n > 1 {
            let first = drafts[0].e.clone();
            let option_problems: Vec<(CheckNo, String)> =
                drafts.iter().flat_map(|d| d.e.problems.iter().filter(|(no, _)| *no == CheckNo::OptionTotal).cloned()).collect();
            let order_level =
                |no: CheckNo| matches!(no, CheckNo::Sender | CheckNo::RemarksDelivery | CheckNo::PaymentMethod | CheckNo::MailText);
            for d in drafts.iter_mut().skip(1) {
                d.e.payment_method = first.payment_method.clone();
                d.e.sender = first.sender.clone();
                d.e.cod_fee = first.cod_fee.clone();
                d.e.payment_fee = first.payment_fee.clone();
                d.e.customer_rank = first.customer_rank.clone();
                d.e.problems.retain(|(no, _)| !order_level(*no));
                d.e.problems.extend(first.problems.iter().filter(|(no, _)| order_level(*no)).cloned());
            }
            for d in drafts.iter_mut() {
                d.e.problems.retain(|(no, _)| *no != CheckNo::OptionTotal);
                d.e.problems.extend(option_problems.iter().cloned());
            }
        }
        let addons: Vec<&AddOn> = drafts.iter().flat_map(|d| &d.addons).collect();
        let priced = drafts.iter().any(|d| d.priced);
        let (option_total, charged_problems) = self.addons_in_bill(order, &addons);
        let shipping: Sourced<Yen> = if n == 1 {
            drafts[0].e.shipping_fee.clone()
        } else {
            match drafts.iter().map(|d| d.e.shipping_fee.value).sum::<Option<Yen>>() {
                Some(total) => Sourced::new(
                    total,
                    drafts
                        .iter()
                        .enumerate()
                        .map(|(k, d)| format!("{}: {}", k + 1, d.e.shipping_fee.source))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                None => Sourced::missing(say!(lang, "送付先の送料が決まっていません", "a destination's shipping fee is not known")),
            }
        };
        let first = &drafts[0].e;
        let (billing_total, tax, unknown) =
            billing(order, &addons, &shipping, &first.cod_fee, &first.payment_fee, self.shop.tax_rounding, lang);
        let (holds, held_by) = self.holds(order, &drafts[0], billing_total.value);
        let request = request_block(&order.remarks).is_some();
        let mall_tax = order.amounts.mall_tax;
        let mut out = Vec::with_capacity(n);
        for (k, mut d) in drafts.into_iter().enumerate() {
            if priced {
                d.e.option_total = option_total.clone();
            }
            d.e.problems.extend(charged_problems.iter().cloned());
            d.e.billing_total = billing_total.clone();
            d.e.tax = tax.clone();
            d.e.holds.extend(holds.iter().cloned());
            d.fired.extend(held_by.iter().cloned());
            if let (Some(mall), Some(ours)) = (mall_tax, tax.value) {
                if (mall.standard, mall.reduced) != (ours.standard, ours.reduced) {
                    d.e.tax.source = say!(
                        lang,
                        "{}；モールの消費税は10 %: {}円、8 %: {}円",
                        "{}; the mall's tax is 10 %: {} yen, 8 %: {} yen",
                        d.e.tax.source,
                        mall.standard,
                        mall.reduced
                    );
                }
            }
            let input = CheckInput {
                mall_billing_total: order.amounts.billing_total.yen(),
                amounts_fixed: [order.amounts.goods, order.amounts.shipping, order.amounts.cod_fee, order.amounts.billing_total]
                    .iter()
                    .all(|a| a.yen().is_some() || a.is_absent()),
                remarks_request: request,
                desired_source: order.desired_delivery.source.clone(),
                ship_reason: d.ship_reason.take(),
                billing_unknown: unknown.clone(),
                priced_options: priced,
                lang,
            };
            let mut checks = ten_checks(&d.e, &input);
            if n > 1 {
                let to = &order.shipments[k].ship_to;
                let label = say!(lang, "送付先{}/{n}（{}・{}）", "destination {} of {n} ({}, {})", k + 1, to.name, to.prefecture);
                for c in checks.iter_mut().filter(|c| c.no.number() <= 4) {
                    c.reason = format!("{label}: {}", c.reason);
                }
            }
            out.push(Enriched { enrichment: d.e, checks, fired: d.fired });
        }
        out
    }

    /// 保留: the hold tables (those whose only output is `hold`), once per order after its billing
    /// total, so they can read `billing_difference`; every row that matches holds the order.
    fn holds(&self, order: &Order, first: &Draft, billing_total: Option<Yen>) -> (Vec<(String, String)>, Vec<String>) {
        let (mut holds, mut fired) = (Vec::new(), Vec::new());
        for ((table, rows), outputs) in self.rules.iter().zip(&self.row_sources).zip(&self.outputs) {
            if !is_hold_table(outputs) {
                continue;
            }
            let get = |name: &str| {
                let f = Field::by_name(name).expect("the table compiler checked the fields it reads");
                if f == Field::BillingDifference {
                    return match (order.amounts.billing_total.yen(), billing_total) {
                        (Some(mall), Some(ours)) => Value::Int(mall - ours),
                        _ => Value::Null,
                    };
                }
                self.read(order, &first.e, &first.preparation, first.history, first.counts, f)
                    .expect("the table compiler lets rules read only readable fields")
            };
            match table.evaluate(&get) {
                Ok(hits) => {
                    for hit in hits {
                        let source = &rows[hit.rule];
                        fired.push(source.clone());
                        for (_, v) in hit.values {
                            if !matches!(v, Value::Null) {
                                holds.push((source.clone(), v.to_string()));
                            }
                        }
                    }
                }
                Err(err) => holds.push((table.name.clone(), say!(self.shop.lang, "ルールのエラー: {err}", "rule {err}"))),
            }
        }
        (holds, fired)
    }

    /// The shipment of `order` (an order of one destination, or one destination's view of it).
    fn shipment(&self, order: &Order, mall_kind: &str, history: Option<History>, destinations: usize) -> Draft {
        let lang = self.shop.lang;
        let conflict = CONFLICT.get(lang);
        let shipment = order.shipments.first().cloned().unwrap_or_default();
        let ship_to = &shipment.ship_to;
        let mut e = Enrichment {
            logistics_company: Sourced::missing(""),
            carrier: Sourced::missing(""),
            temperature: Sourced::new("常温".into(), say!(lang, "配送条件（全商品 常温）", "配送条件 (every item 常温)")),
            carrier_service: Sourced::missing(""),
            ship_date: Sourced::missing(""),
            desired_date: match order.desired_delivery.date {
                Some(d) => Sourced::new(d, desired_source(order, lang)),
                None => Sourced::missing(say!(lang, "指定なし", "none requested")),
            },
            desired_time_slot: match &order.desired_delivery.time_slot {
                Some(s) => Sourced::new(s.clone(), desired_source(order, lang)),
                None => Sourced::missing(say!(lang, "指定なし", "none requested")),
            },
            remote_island: if shipment.remote_island {
                Sourced::new(
                    "離島".to_string(),
                    say!(lang, "モールが送付先を離島としています", "the mall marks the ship-to as a remote island"),
                )
            } else {
                Sourced::missing("")
            },
            sender: Sourced::missing(""),
            payment_method: Sourced::missing(""),
            option_total: Sourced::missing(say!(lang, "有料オプションなし", "no priced options")),
            shipments: Sourced::missing(""),
            shipping_fee: Sourced::missing(""),
            cod_fee: Sourced::missing(""),
            payment_fee: Sourced::missing(""),
            billing_total: Sourced::missing(""),
            tax: Sourced::missing(""),
            customer_rank: Sourced::missing(say!(lang, "該当するランクなし", "no rank matches")),
            problems: Vec::new(),
            holds: Vec::new(),
        };
        // 1–2: logistics company and carrier from each item's 配送条件.
        let mut preparation_days = 0;
        let (mut carriers, mut companies) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
        let mut without_condition = Vec::new();
        // (物流会社, 配送会社, 商品番号) of each item with a 配送条件, for a split by rule.
        let mut lines: Vec<(&str, &str, &str)> = Vec::new();
        // Products that limit the time slots (配送可能時間帯): every one of them must allow the request.
        let mut slot_limits: Vec<(&DeliveryCondition, &str)> = Vec::new();
        for item in &order.items {
            match self.delivery.get(item.product_code.as_str()) {
                None => {
                    without_condition.push(item.product_code.as_str());
                    let code = &item.product_code;
                    let msg = say!(
                        lang,
                        "商品{code}に配送条件がありません：配送条件シートに行を追加してください",
                        "product {code} has no 配送条件 (delivery condition): add a row for it in the 配送条件 sheet"
                    );
                    e.problems.push((CheckNo::LogisticsCompany, msg.clone()));
                    e.problems.push((CheckNo::Carrier, msg));
                }
                Some((d, cells)) => {
                    lines.push((d.logistics_company.as_str(), d.carrier.as_str(), item.product_code.as_str()));
                    preparation_days = preparation_days.max(d.preparation_days);
                    carriers.insert(d.carrier.as_str());
                    companies.insert(d.logistics_company.as_str());
                    if coldness(&d.temperature) > coldness(e.temperature.value.as_deref().unwrap_or_default()) {
                        e.temperature = Sourced::new(d.temperature.clone(), format!("{} ({})", cell(&d.origin, 5), item.product_code));
                    }
                    if !d.time_slots.is_empty() {
                        slot_limits.push((d, item.product_code.as_str()));
                    }
                    for (no, field, value, cell) in [
                        (CheckNo::LogisticsCompany, &mut e.logistics_company, &d.logistics_company, &cells[0]),
                        (CheckNo::Carrier, &mut e.carrier, &d.carrier, &cells[1]),
                    ] {
                        let (code, what) = (&item.product_code, no.name().ja);
                        if value.is_empty() {
                            e.problems
                                .push((no, say!(lang, "{code}の配送条件に{what}がありません", "the 配送条件 of {code} has no {what}")));
                            continue;
                        }
                        match &field.value {
                            None => *field = Sourced::new(value.clone(), cell.clone()),
                            Some(v) if v != value => e.problems.push((
                                no,
                                say!(
                                    lang,
                                    "{conflict}{what}が必要です：{v}と{value}（{code}）；注文を分割するか、ルールでどちらかに決めてください",
                                    "{conflict} {what}: {v} and {value} ({code}); split the order or set one by rule"
                                ),
                            )),
                            Some(_) => {}
                        }
                    }
                }
            }
        }
        // 7: payment method through the master.
        match self.payment.get(&(mall_kind, order.payment_method.as_str())) {
            Some((internal, cell)) => e.payment_method = Sourced::new(internal.to_string(), cell.clone()),
            None => e.problems.push((
                CheckNo::PaymentMethod,
                say!(
                    lang,
                    "決済方法シートにモール`{mall_kind}`・決済方法`{}`の行がありません：追加してください",
                    "no 決済方法 row for mall `{mall_kind}` and payment `{}`: add it to the 決済方法 sheet",
                    order.payment_method
                ),
            )),
        }
        // 5: sender (送付元), by the store switch.
        e.sender = if self.shop.sender_auto_edit.get(&order.mall).copied().unwrap_or(true) {
            Sourced::new(
                self.shop.sender.clone(),
                say!(
                    lang,
                    "店舗の住所（shop.sender。送付元住所の自動編集: 許可）",
                    "the shop's address (shop.sender; sender address auto-edit allowed)"
                ),
            )
        } else {
            Sourced::new(
                order.orderer.name.clone(),
                say!(
                    lang,
                    "モールのまま: 注文者（送付元住所の自動編集: 不可）",
                    "as the mall sent it: the orderer (sender address auto-edit not allowed)"
                ),
            )
        };
        // 8: option add-ons against the master (whether the bill holds them: `finish`).
        let (addons, priced) = self.options(order, &mut e);
        // Fees as the mall charged, until a rule sets them.
        let mall = |a: crate::domain::order::Amount, what: &str| match a.yen() {
            Some(y) => Sourced::new(y, say!(lang, "モールの{what}", "the mall's {what}")),
            None if a.is_absent() => Sourced::missing(say!(lang, "モールが{what}を送っていません", "the mall sent no {what}")),
            None => {
                Sourced::missing(say!(lang, "モールの{what}はまだ確定していません（-9999）", "the mall's {what} is not fixed yet (-9999)"))
            }
        };
        e.shipping_fee = mall(order.amounts.shipping, "送料");
        e.cod_fee = mall(order.amounts.cod_fee, "代引手数料");
        e.payment_fee = mall(order.amounts.payment_fee, "決済手数料");
        // Ranks (S7): the first by priority the customer's history reaches.
        match history {
            Some(h) => {
                if let Some((r, cell)) = self.ranks.iter().find(|(r, _)| h.total >= r.min_total && h.orders >= r.min_count) {
                    e.customer_rank = Sourced::new(
                        r.rank.clone(),
                        say!(lang, "{cell}（この注文より前に{}件、{}円）", "{cell} ({} orders, {} yen before this one)", h.orders, h.total),
                    );
                }
            }
            None => {
                e.customer_rank = Sourced::missing(say!(
                    lang,
                    "顧客キーがありません（モールがメールアドレスも電話番号と氏名も送っていません）：ランクは付けません",
                    "no customer key (the mall sent no email, nor a phone with a name): not ranked"
                ))
            }
        }
        // The mall's delivery method (配送方法), through the master.
        let method = self.delivery_method(&shipment, mall_kind, &mut e);
        // The rule tables, in order; each sees what the ones before it set.
        let mut fired = Vec::new();
        let mut preparation =
            Sourced::new(preparation_days, say!(lang, "配送条件（商品のうち最長）", "配送条件 (the longest of the items)"));
        let mut split: Option<String> = None;
        let counts =
            Counts { carriers: carriers.len() as i64, logistics_companies: companies.len() as i64, destinations: destinations as i64 };
        for ((table, rows), outputs) in self.rules.iter().zip(&self.row_sources).zip(&self.outputs) {
            if is_hold_table(outputs) {
                continue; // after the billing total (`holds`)
            }
            let get = |name: &str| {
                let f = Field::by_name(name).expect("the table compiler checked the fields it reads");
                self.read(order, &e, &preparation, history, counts, f).expect("the table compiler lets rules read only readable fields")
            };
            match table.evaluate(&get) {
                Ok(hits) => {
                    for hit in hits {
                        let source = &rows[hit.rule];
                        fired.push(source.clone());
                        for (&f, (_, v)) in outputs.iter().zip(hit.values) {
                            let settable = set(&mut e, &mut preparation, &mut split, f, v, source, lang);
                            debug_assert!(settable, "the table compiler lets rules set only settable fields");
                        }
                    }
                }
                Err(err) => e.problems.push((CheckNo::ShipDate, say!(lang, "ルールのエラー: {err}", "rule {err}"))),
            }
        }
        // 分割出荷: a rule may split an order whose items need different logistics companies or
        // carriers into one shipment each, which settles checks 1–2.
        if let Some(rule) = split {
            let mut groups: Vec<((&str, &str), Vec<&str>)> = Vec::new();
            for (company, carrier, code) in &lines {
                match groups.iter_mut().find(|(k, _)| *k == (*company, *carrier)) {
                    Some((_, codes)) => codes.push(code),
                    None => groups.push(((company, carrier), vec![code])),
                }
            }
            if groups.len() > 1 {
                e.problems.retain(|(n, p)| !(matches!(n, CheckNo::LogisticsCompany | CheckNo::Carrier) && p.starts_with(conflict)));
                let list: Vec<String> = groups
                    .iter()
                    .enumerate()
                    .map(|(k, ((company, carrier), codes))| format!("{}: {company} / {carrier} ({})", k + 1, codes.join(", ")))
                    .collect();
                let n = groups.len();
                e.shipments = Sourced::new(list.join("; "), say!(lang, "{rule}で{n}個口に分割", "split into {n} shipments by {rule}"));
            }
        }
        self.delivery_agrees(&shipment, method, order, &mut e);
        // ソーシャルギフト: the recipient has not entered an address yet; nothing is shipped or dated to the placeholder.
        if shipment.address_pending {
            let at = format!("〒{} {}{}", ship_to.postal_code, ship_to.prefecture, ship_to.address);
            e.problems.push((
                CheckNo::ShipDate,
                say!(
                    lang,
                    "送付先の住所がまだ入力されていません（{at}はモールの仮の住所です）：受取人が住所を入力するまで出荷できません",
                    "the recipient has not entered an address yet ({at} is the mall's placeholder): it cannot ship until they do"
                ),
            ));
        }
        // Carriers promise no date or slot to remote islands: a request is flagged, not dropped.
        if let Some(area) = &e.remote_island.value {
            if e.desired_date.value.is_some() || e.desired_time_slot.value.is_some() {
                e.problems.push((
                    CheckNo::DesiredDate,
                    say!(
                        lang,
                        "送付先は離島です（{area}；{}）：配送会社は離島への日時指定を約束しません；お客様にお伝えください",
                        "the ship-to is a remote island ({area}; {}): carriers do not promise a delivery date or time slot there; tell the customer",
                        e.remote_island.source
                    ),
                ));
            }
        }
        // 3–4: shipping date from the calendar, the preparation days and the transit days.
        let ordered = order.ordered_at.naive_local();
        let earliest = self.calendar.earliest_ship_date(ordered, preparation.value.unwrap_or(0));
        let transit = if shipment.address_pending { None } else { self.transit.get(ship_to.prefecture.as_str()).copied() };
        let reason = match (e.desired_date.value, transit) {
            (Some(_), None) if shipment.address_pending => None,
            (Some(_), None) => {
                let (from, to) = (&self.shop.origin_region, &ship_to.prefecture);
                e.problems.push((
                    CheckNo::DesiredDate,
                    say!(
                        lang,
                        "{from}から{to}への配送日数がありません：配送日数シートに追加してください",
                        "no 配送日数 from {from} to {to}: add it to the 配送日数 sheet"
                    ),
                ));
                None
            }
            (desired, t) => Some(self.calendar.ship_date(earliest, desired, t.unwrap_or(1))),
        };
        if !without_condition.is_empty() || e.carrier.value.is_none() {
            let which = if without_condition.is_empty() { say!(lang, "この注文", "the order") } else { without_condition.join(", ") };
            e.ship_date = Sourced::missing(say!(
                lang,
                "{which}に配送会社（配送条件）がないため、出荷予定日が決まりません：先にチェック1–2を直してください",
                "{which} has no carrier (配送条件), so there is no shipping date: fix checks 1–2 first"
            ));
        } else if let Some((day, why)) = &reason {
            e.ship_date =
                Sourced::new(*day, ship_basis(why, ordered, self.calendar, preparation.value.unwrap_or(0), &preparation.source, lang));
        } else {
            e.ship_date = Sourced::new(earliest, say!(lang, "最短の日（配送日数が不明）", "the earliest day (transit days unknown)"));
        }
        self.check_slot(order, &e.carrier.value.clone(), &slot_limits, &mut e);
        Draft { e, addons, priced, ship_reason: reason.map(|(_, r)| r), fired, preparation, counts, history }
    }

    /// The option add-ons the order's items chose, by the オプション加算 master; and whether any
    /// item has a priced option.
    fn options(&self, order: &Order, e: &mut Enrichment) -> (Vec<AddOn>, bool) {
        let mut addons = Vec::new();
        let mut priced = false;
        for item in &order.items {
            let mut item_total = 0;
            let first = addons.len();
            for (name, choice) in choices(&item.options_text) {
                let announced = price_in_choice(choice);
                let key = (item.product_code.as_str(), name, choice);
                match self.addons.get(&key).or_else(|| self.addons_bare.get(&key)) {
                    Some((amount, cell)) => {
                        priced = true;
                        let quantity = item.quantity.max(1);
                        item_total += amount * quantity;
                        addons.push(AddOn {
                            label: format!("{name}:{}", without_price(choice)),
                            code: item.product_code.clone(),
                            amount: amount * quantity,
                            cell: cell.clone(),
                            by_field: false,
                            tax_rate: item.tax_rate,
                            tax_excluded: item.tax_excluded,
                        });
                        if let Some(a) = announced.filter(|a| a != amount) {
                            let code = &item.product_code;
                            e.problems.push((
                                CheckNo::OptionTotal,
                                say!(
                                    self.shop.lang,
                                    "{code}の`{name}:{choice}`は{a}円ですが、オプション加算の行{cell}は{amount}円です",
                                    "{code} `{name}:{choice}` says {a} yen, the オプション加算 row {cell} says {amount} yen"
                                ),
                            ));
                        }
                    }
                    None if announced.is_some() => {
                        priced = true;
                        let code = &item.product_code;
                        e.problems.push((
                            CheckNo::OptionTotal,
                            say!(
                                self.shop.lang,
                                "{code}の`{name}:{choice}`は有料ですが、オプション加算の行がありません：シートに追加してください",
                                "{code} `{name}:{choice}` has a price but no オプション加算 row: add it to the sheet"
                            ),
                        ));
                    }
                    None => {}
                }
            }
            // Where the mall charges options in a field of its own (au PAY, Yahoo, FutureShop), they
            // are in the mall's prices already; the field must agree with the master.
            if let Some(charged) = item.option_price.filter(|p| *p != 0 || item_total != 0) {
                priced = true;
                for a in &mut addons[first..] {
                    a.by_field = true;
                }
                let charged = charged * item.quantity.max(1);
                if charged != item_total {
                    let code = &item.product_code;
                    e.problems.push((
                        CheckNo::OptionTotal,
                        say!(
                            self.shop.lang,
                            "{code}：モールのオプション請求は{charged}円、オプション加算の行では{item_total}円です",
                            "{code}: the mall charged {charged} yen for options, the オプション加算 rows make {item_total} yen"
                        ),
                    ));
                }
            }
        }
        (addons, priced)
    }

    /// Whether the mall's bill holds each add-on (S6). Malls do not add an option's price to the
    /// order; the shop adds it (in RMS by editing the order) or the back office must. So the
    /// mall's goods total (without wrapping) is compared with the items' prices: the difference
    /// is the add-ons already charged. All of them, none, or the ones whose amounts make up the
    /// difference; anything else cannot be told apart and is shown with the numbers. Add-ons the
    /// mall charges in a field of its own are in its prices already.
    fn addons_in_bill(&self, order: &Order, addons: &[&AddOn]) -> (Sourced<Yen>, Vec<(CheckNo, String)>) {
        let lang = self.shop.lang;
        let total: Yen = addons.iter().map(|a| a.amount).sum();
        let cells = || addons.iter().map(|a| a.cell.as_str()).collect::<Vec<_>>().join(", ");
        if addons.is_empty() {
            return (Sourced::new(0, say!(lang, "オプション加算の行なし", "no add-on rows")), Vec::new());
        }
        let open: Vec<&&AddOn> = addons.iter().filter(|a| !a.by_field).collect();
        if open.is_empty() {
            return (
                Sourced::new(total, say!(lang, "{}；モールのオプション欄で請求済み", "{}; charged in the mall's option field", cells())),
                Vec::new(),
            );
        }
        let items: Option<Yen> = order.items.iter().map(|i| i.line_total()).sum();
        let goods = order.amounts.goods.yen().map(|g| g - order.amounts.wrapping.yen().unwrap_or(0));
        let (Some(items), Some(goods)) = (items, goods) else {
            let list = open.iter().map(|a| format!("{} {}円", a.label, a.amount)).collect::<Vec<_>>().join(", ");
            return (
                Sourced::new(total, cells()),
                vec![(
                    CheckNo::OptionTotal,
                    say!(
                        lang,
                        "モールの商品合計がないため、オプション加算（{list}）が請求に含まれているか分かりません：注文を開いて確かめてください",
                        "the mall sent no goods total, so juchu cannot tell whether the add-ons ({list}) are charged: open the order and check"
                    ),
                )],
            );
        };
        let in_goods = goods - items;
        let amounts: Vec<Yen> = open.iter().map(|a| a.amount).collect();
        let charged = charged_subset(&amounts, in_goods);
        let mut problems = Vec::new();
        let source = match &charged {
            Some(mask) if mask.iter().all(|c| *c) => {
                say!(lang, "{}；モールの商品合計に含まれています（請求済み）", "{}; already in the mall's goods total (charged)", cells())
            }
            Some(mask) => {
                for (a, _) in open.iter().zip(mask).filter(|(_, c)| !**c) {
                    let (amount, label, code) = (a.amount, &a.label, &a.code);
                    problems.push((
                        CheckNo::OptionTotal,
                        say!(
                            lang,
                            "{label}（{code}）の{amount}円がモールの請求にありません：注文に{amount}円を加えてください",
                            "add {amount} yen for {label} ({code}) to the order: the mall's bill lacks it"
                        ),
                    ));
                }
                say!(lang, "{}；モールの商品合計との差から判定", "{}; told from the mall's goods total", cells())
            }
            None => {
                problems.push((
                    CheckNo::OptionTotal,
                    say!(
                        lang,
                        "モールの商品合計は商品代より{in_goods}円多く、オプション加算は合計{total}円です：どの加算が請求済みか分かりません。注文を確かめてください",
                        "the mall's goods total is {in_goods} yen above the items' prices, the add-ons make {total} yen: juchu cannot tell which are charged; check the order"
                    ),
                ));
                cells()
            }
        };
        (Sourced::new(total, source), problems)
    }

    /// The mall's delivery method for the shipment, through the 配送方法 master.
    fn delivery_method(&self, shipment: &Shipment, mall_kind: &str, e: &mut Enrichment) -> Option<&'a DeliveryMethod> {
        let d = &shipment.delivery;
        if d.method.is_empty() {
            return None;
        }
        let lang = self.shop.lang;
        match self.methods.get(&(mall_kind, d.method.as_str())) {
            Some((m, cell)) => {
                e.carrier_service = Sourced::new(m.service.clone(), format!("{cell} ({}: {})", d.source, d.method));
                Some(m)
            }
            None => {
                if self.methods.keys().any(|(mall, _)| *mall == mall_kind) {
                    let (method, source) = (&d.method, &d.source);
                    e.problems.push((
                        CheckNo::Carrier,
                        say!(
                            lang,
                            "モールの配送方法`{method}`（{source}）が配送方法シートにありません：モール`{mall_kind}`の行を追加してください",
                            "the mall's delivery method `{method}` ({source}) has no row in the 配送方法 sheet: add one for mall `{mall_kind}`"
                        ),
                    ));
                }
                e.carrier_service = Sourced::missing(say!(
                    lang,
                    "モールの配送方法: {}（配送方法シートに行なし）",
                    "the mall's delivery method: {} (no 配送方法 row)",
                    d.method
                ));
                None
            }
        }
    }

    /// What the customer chose at the mall must fit the items and the request: a cool order of
    /// 常温 products (or the reverse) fails check 2 with both values; a slot on a service
    /// without slots (mail-bin) fails check 4.
    fn delivery_agrees(&self, shipment: &Shipment, method: Option<&DeliveryMethod>, order: &Order, e: &mut Enrichment) {
        let lang = self.shop.lang;
        let d = &shipment.delivery;
        let (asked, asked_source) = match (&d.temperature, method) {
            (Some(t), _) => (t.clone(), format!("{}: {}", d.source, d.method)),
            (None, Some(m)) if !m.temperature.is_empty() => (m.temperature.clone(), format!("{} ({})", d.method, cell(&m.origin, 4))),
            _ => return self.slot_on_service(method, order, e),
        };
        let items = e.temperature.value.clone().unwrap_or_default();
        if coldness(&asked) != coldness(&items) {
            let items_source = e.temperature.source.clone();
            e.problems.push((
                CheckNo::Carrier,
                say!(
                    lang,
                    "お客様がモールで選んだ温度帯は{asked}（{asked_source}）、商品の配送条件は{items}（{items_source}）です：どちらかに合わせてください",
                    "the customer chose {asked} at the mall ({asked_source}), the items' 配送条件 say {items} ({items_source}): make them agree"
                ),
            ));
        }
        self.slot_on_service(method, order, e)
    }

    fn slot_on_service(&self, method: Option<&DeliveryMethod>, order: &Order, e: &mut Enrichment) {
        let (Some(m), Some(slot)) = (method, &order.desired_delivery.time_slot) else { return };
        if !m.time_slots {
            let (service, at) = (&m.service, cell(&m.origin, 5));
            e.problems.push((
                CheckNo::DesiredDate,
                say!(
                    self.shop.lang,
                    "時間帯`{slot}`の指定がありますが、{service}は時間帯指定ができません（{at}）：お客様に連絡するか、時間帯の指定できる便で送ってください",
                    "time slot `{slot}` was requested, but {service} takes no time slot ({at}): contact the customer or ship by a service with slots"
                ),
            ));
        }
    }

    /// A desired slot the carrier (or the product) does not offer is flagged, not changed.
    fn check_slot(&self, order: &Order, carrier: &Option<String>, limits: &[(&DeliveryCondition, &str)], e: &mut Enrichment) {
        let (Some(slot), Some(carrier)) = (&order.desired_delivery.time_slot, carrier) else { return };
        let hours = slot_hours(slot);
        let offered: Vec<_> = self.masters.time_slots.iter().filter(|t| &t.carrier == carrier).collect();
        let found = offered.iter().find(|t| t.label == *slot || (hours.is_some() && hours == t.start_hour.zip(t.end_hour)));
        match found {
            None if offered.is_empty() => e.problems.push((
                CheckNo::DesiredDate,
                say!(
                    self.shop.lang,
                    "時間帯`{slot}`の指定がありますが、配送時間帯シートに{carrier}の時間帯がありません：シートに追加してください",
                    "time slot `{slot}` was requested, but the 配送時間帯 sheet has no slots for {carrier}: add them"
                ),
            )),
            None => e.problems.push((
                CheckNo::DesiredDate,
                say!(
                    self.shop.lang,
                    "時間帯`{slot}`は{carrier}にありません（{carrier}の時間帯: {}）",
                    "time slot `{slot}` is not offered by {carrier} (offers: {})",
                    offered.iter().map(|t| t.label.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )),
            Some(t) => {
                // A product's codes are its own carrier's: they say nothing once a rule moved the order to another.
                for (d, code) in limits.iter().filter(|(d, _)| d.carrier == *carrier && !d.time_slots.contains(&t.code)) {
                    e.problems.push((
                        CheckNo::DesiredDate,
                        say!(
                            self.shop.lang,
                            "時間帯`{slot}`（{}）は{code}の配送可能時間帯にありません（{}: {}）",
                            "time slot `{slot}` ({}) is not among the 配送可能時間帯 of {code} ({}: {})",
                            t.code,
                            cell(&d.origin, 4),
                            d.time_slots.join(", ")
                        ),
                    ));
                }
            }
        }
    }

    /// A field as rules read it; None for the fields rules cannot read (they only set them, or
    /// they are enrichment's own results). Every field of the catalog has its arm here.
    fn read(
        &self,
        o: &Order,
        e: &Enrichment,
        preparation: &Sourced<i64>,
        history: Option<History>,
        counts: Counts,
        f: Field,
    ) -> Option<Value> {
        let text = |s: &str| if s.is_empty() { Value::Null } else { Value::Text(s.to_string()) };
        let yen = |a: crate::domain::order::Amount| a.yen().map(Value::Int).unwrap_or(Value::Null);
        let opt_text = |s: &Sourced<String>| s.value.as_deref().map(text).unwrap_or(Value::Null);
        let opt_yen = |s: &Sourced<Yen>| s.value.map(Value::Int).unwrap_or(Value::Null);
        let ship_to = o.ship_to();
        let delivery = o.shipments.first().map(|s| &s.delivery);
        Some(match f {
            Field::Mall => text(&o.mall),
            Field::Shop => text(&o.shop),
            Field::MallStatus => text(&o.mall_status),
            Field::OrderedDate => Value::Date(o.ordered_at.date_naive()),
            Field::OrderedHour => Value::Int(o.ordered_at.hour() as i64),
            Field::IsGift => Value::Bool(o.is_gift),
            Field::ShipToPrefecture => text(&ship_to.prefecture),
            Field::ShipToPostalCode => text(&crate::domain::text::to_half_width(&ship_to.postal_code)),
            Field::RemoteIsland => opt_text(&e.remote_island),
            Field::ShipToRegion => self.region.get(ship_to.prefecture.as_str()).map(|r| text(r)).unwrap_or(Value::Null),
            Field::OrdererPrefecture => text(&o.orderer.prefecture),
            Field::MallPayment => text(&o.payment_method),
            Field::Items => Value::Int(o.items.len() as i64),
            Field::Quantity => Value::Int(o.items.iter().map(|i| i.quantity).sum()),
            Field::Temperature => opt_text(&e.temperature),
            Field::Carriers => Value::Int(counts.carriers),
            Field::LogisticsCompanies => Value::Int(counts.logistics_companies),
            Field::Goods => o.items.iter().map(|i| i.line_total()).sum::<Option<Yen>>().map(Value::Int).unwrap_or(Value::Null),
            Field::OptionTotal => opt_yen(&e.option_total),
            Field::MallShipping => yen(o.amounts.shipping),
            Field::MallCodFee => yen(o.amounts.cod_fee),
            Field::Coupons => yen(o.amounts.coupons),
            Field::Points => yen(o.amounts.points),
            Field::MallBillingTotal => yen(o.amounts.billing_total),
            Field::DesiredDate => o.desired_delivery.date.map(Value::Date).unwrap_or(Value::Null),
            Field::DesiredTimeSlot => o.desired_delivery.time_slot.as_deref().map(text).unwrap_or(Value::Null),
            Field::CustomerOrders => history.map(|h| Value::Int(h.orders)).unwrap_or(Value::Null),
            Field::CustomerTotal => history.map(|h| Value::Int(h.total)).unwrap_or(Value::Null),
            Field::DeliveryMethod => delivery.map(|d| text(&d.method)).unwrap_or(Value::Null),
            Field::MallTemperature => delivery.and_then(|d| d.temperature.as_deref()).map(text).unwrap_or(Value::Null),
            Field::PostageIncluded => o.extras.postage_included.map(Value::Bool).unwrap_or(Value::Null),
            Field::Destinations => Value::Int(counts.destinations),
            Field::HasRemarks => Value::Bool(!crate::domain::remarks::customer_text(&o.remarks).is_empty()),
            Field::AddressPending => Value::Bool(o.shipments.iter().any(|s| s.address_pending)),
            // Hold tables read it after the billing total (`holds`); before that it is not known.
            Field::BillingDifference => Value::Null,
            Field::CarrierService => opt_text(&e.carrier_service),
            Field::LogisticsCompany => opt_text(&e.logistics_company),
            Field::Carrier => opt_text(&e.carrier),
            Field::PaymentMethod => opt_text(&e.payment_method),
            Field::ShippingFee => opt_yen(&e.shipping_fee),
            Field::CodFee => opt_yen(&e.cod_fee),
            Field::PaymentFee => opt_yen(&e.payment_fee),
            Field::PreparationDays => preparation.value.map(Value::Int).unwrap_or(Value::Null),
            Field::Sender => opt_text(&e.sender),
            Field::CustomerRank => opt_text(&e.customer_rank),
            Field::Split | Field::Hold | Field::Shipments | Field::ShipDate | Field::BillingTotal | Field::Tax => return None,
        })
    }
}

/// A hold table: its only output is `hold`; it runs after the billing total (`Enricher::holds`).
fn is_hold_table(outputs: &[Field]) -> bool {
    !outputs.is_empty() && outputs.iter().all(|&f| f == Field::Hold)
}

/// The items' distinct carriers and logistics companies, as rules read them.
#[derive(Clone, Copy, Default)]
struct Counts {
    carriers: i64,
    logistics_companies: i64,
    /// 送付先の数 of the whole order.
    destinations: i64,
}

fn desired_source(o: &Order, lang: Lang) -> String {
    match o.desired_delivery.source.as_deref() {
        Some("remarks") => say!(lang, "備考欄の[配送日時指定:]", "the remarks' [配送日時指定:] block"),
        _ => say!(lang, "モールの配送指定欄", "the mall's delivery fields"),
    }
}

/// A rule's output into the enrichment (nothing = leave as is); false for the fields rules cannot
/// set. Every field of the catalog has its arm here.
fn set(
    e: &mut Enrichment,
    preparation: &mut Sourced<i64>,
    split: &mut Option<String>,
    f: Field,
    v: Value,
    source: &str,
    lang: Lang,
) -> bool {
    let text = |v: &Value| match v {
        Value::Null => None,
        other => Some(other.to_string()),
    };
    let int = |v: &Value| match v {
        Value::Int(n) => Some(*n),
        _ => None,
    };
    // A rule that sets the value settles a conflict between items (or a missing payment mapping);
    // a product without 配送条件 stays a problem of the masters.
    let settle = |e: &mut Enrichment, no: CheckNo| {
        let conflict = CONFLICT.get(lang);
        e.problems.retain(|(n, p)| *n != no || (matches!(no, CheckNo::LogisticsCompany | CheckNo::Carrier) && !p.starts_with(conflict)));
    };
    match f {
        Field::RemoteIsland => {
            if let Some(t) = text(&v).filter(|t| t != "false") {
                e.remote_island = Sourced::new(t, source);
            }
        }
        Field::LogisticsCompany | Field::Carrier | Field::PaymentMethod | Field::Sender => {
            if let Some(t) = text(&v) {
                let (field, no) = match f {
                    Field::LogisticsCompany => (&mut e.logistics_company, CheckNo::LogisticsCompany),
                    Field::Carrier => (&mut e.carrier, CheckNo::Carrier),
                    Field::PaymentMethod => (&mut e.payment_method, CheckNo::PaymentMethod),
                    _ => (&mut e.sender, CheckNo::Sender),
                };
                *field = Sourced::new(t, source);
                settle(e, no);
            }
        }
        Field::CustomerRank => {
            if let Some(t) = text(&v) {
                e.customer_rank = Sourced::new(t, source);
            }
        }
        Field::CarrierService => {
            if let Some(t) = text(&v) {
                e.carrier_service = Sourced::new(t, source);
            }
        }
        Field::ShippingFee | Field::CodFee | Field::PaymentFee => {
            if let Some(n) = int(&v) {
                let field = match f {
                    Field::ShippingFee => &mut e.shipping_fee,
                    Field::CodFee => &mut e.cod_fee,
                    _ => &mut e.payment_fee,
                };
                *field = Sourced::new(n, source);
            }
        }
        Field::PreparationDays => {
            if let Some(n) = int(&v) {
                *preparation = Sourced::new(n, source);
            }
        }
        Field::Split => *split = matches!(v, Value::Bool(true)).then(|| source.to_string()),
        Field::Hold => {
            if let Some(t) = text(&v) {
                e.holds.push((source.to_string(), t));
            }
        }
        Field::Mall
        | Field::Shop
        | Field::MallStatus
        | Field::OrderedDate
        | Field::OrderedHour
        | Field::IsGift
        | Field::ShipToPrefecture
        | Field::ShipToRegion
        | Field::ShipToPostalCode
        | Field::OrdererPrefecture
        | Field::MallPayment
        | Field::Items
        | Field::Quantity
        | Field::Temperature
        | Field::Carriers
        | Field::LogisticsCompanies
        | Field::Goods
        | Field::OptionTotal
        | Field::MallShipping
        | Field::MallCodFee
        | Field::Coupons
        | Field::Points
        | Field::MallBillingTotal
        | Field::DesiredDate
        | Field::DesiredTimeSlot
        | Field::CustomerOrders
        | Field::CustomerTotal
        | Field::DeliveryMethod
        | Field::MallTemperature
        | Field::PostageIncluded
        | Field::Destinations
        | Field::HasRemarks
        | Field::AddressPending
        | Field::BillingDifference
        | Field::Shipments
        | Field::ShipDate
        | Field::BillingTotal
        | Field::Tax => return false,
    }
    true
}

/// `14:00-16:00` → (14, 16); `午前中` → (8, 12).
pub fn slot_hours(slot: &str) -> Option<(i64, i64)> {
    if slot == "午前中" {
        return Some((8, 12));
    }
    let (a, b) = slot.split_once('-')?;
    let h = |s: &str| s.trim().split(':').next()?.parse::<i64>().ok();
    Some((h(a)?, h(b)?))
}

fn ship_basis(why: &ShipDateReason, ordered: NaiveDateTime, cal: &BusinessCalendar, prep: i64, prep_source: &str, lang: Lang) -> String {
    let before = cal.is_business_day(ordered.date()) && ordered.time() < cal.cutoff;
    let first = match (before, lang) {
        (true, Lang::Ja) => "締め時刻前の注文",
        (false, Lang::Ja) => "翌営業日",
        (true, Lang::En) => "ordered before the cutoff",
        (false, Lang::En) => "next business day",
    };
    match why {
        ShipDateReason::Earliest => {
            say!(
                lang,
                "{first} + 準備{prep}日（{prep_source}）、休日を除く",
                "{first} + {prep} preparation day(s) ({prep_source}), holidays skipped"
            )
        }
        ShipDateReason::ForDesiredDate { transit_days } => say!(
            lang,
            "お届け希望日 − 配送{transit_days}日（配送日数）、営業日に合わせる",
            "desired date − {transit_days} transit day(s) (配送日数), on a business day"
        ),
        ShipDateReason::DesiredTooSoon { earliest_arrival } => say!(
            lang,
            "最短の日。お届け希望日には間に合いません（最短のお届け {earliest_arrival}）",
            "the earliest day; the desired date cannot be met (earliest arrival {earliest_arrival})"
        ),
    }
}

/// 請求金額 = goods + option add-ons (+ the tax 税別 items add) + shipping + COD fee + payment fee,
/// plus the mall's own surcharge, minus coupons and points, with the fees as enriched; and the 消費税
/// inside it per rate at the rates in force on the order's date (add-ons at their item's rate, fees
/// at the standard rate). The third value says why check 9 cannot be made, where it cannot.
fn billing(
    o: &Order,
    addons: &[&AddOn],
    shipping: &Sourced<Yen>,
    cod_fee: &Sourced<Yen>,
    payment_fee: &Sourced<Yen>,
    rounding: Rounding,
    lang: Lang,
) -> (Sourced<Yen>, Sourced<Tax>, Option<String>) {
    let rates = tax::Rates::on(o.ordered_at.date_naive());
    let mut bases = tax::Bases::default();
    let mut rates_from_mall = false;
    let mut unpriced = Vec::new();
    fn add(bases: &mut tax::Bases, rate: Option<u8>, excluded: bool, amount: Yen) {
        let k = tax::rate_index(rate.unwrap_or(tax::STANDARD));
        if excluded {
            bases.excluded[k] += amount;
        } else {
            bases.included[k] += amount;
        }
    }
    for (n, i) in o.items.iter().enumerate() {
        rates_from_mall |= i.tax_rate.is_some();
        match i.line_total() {
            Some(line) => add(&mut bases, i.tax_rate, i.tax_excluded, line),
            None => unpriced.push(format!("{} ({})", n + 1, i.product_code)),
        }
    }
    let goods: Yen = bases.included.iter().chain(&bases.excluded).sum();
    let options: Yen = addons.iter().map(|a| if a.by_field { 0 } else { a.amount }).sum();
    for a in addons.iter().filter(|a| !a.by_field) {
        add(&mut bases, a.tax_rate, a.tax_excluded, a.amount);
    }
    let unknown = if !unpriced.is_empty() {
        let lines = unpriced.join(", ");
        Some(say!(
            lang,
            "モールが単価を送っていない明細があります（行 {lines}）：請求金額は確認できません",
            "the mall sent no unit price for line(s) {lines}: the billing amount cannot be checked"
        ))
    } else if o.amounts.billing_total.is_absent() {
        Some(say!(lang, "モールが請求金額を送っていません：確認できません", "the mall sent no billing amount: nothing to compare with"))
    } else {
        None
    };
    if !unpriced.is_empty() {
        let why = unknown.clone().unwrap_or_default();
        return (Sourced::missing(why.clone()), Sourced::missing(why), unknown);
    }
    let (Some(ship), Some(cod), Some(pay)) = (shipping.value, cod_fee.value, payment_fee.value) else {
        let why = say!(lang, "手数料か送料が決まっていません", "a fee is not fixed yet");
        return (Sourced::missing(why.clone()), Sourced::missing(why), unknown);
    };
    let surcharge = o.amounts.additional_fee.yen().unwrap_or(0);
    add(&mut bases, None, false, ship + cod + pay + surcharge);
    let coupons = o.amounts.coupons.yen().unwrap_or(0);
    let points = o.amounts.points.yen().unwrap_or(0);
    let t = tax::order_tax(bases, coupons, rounding, rates);
    let total = Sourced::new(goods + options + t.added + ship + cod + pay + surcharge - coupons - points, {
        let added = match (t.added, lang) {
            (0, _) => String::new(),
            (n, Lang::Ja) => format!(" + 税別商品の消費税 {n}"),
            (n, Lang::En) => format!(" + tax on 税別 items {n}"),
        };
        let options = match (options, lang) {
            (0, _) => String::new(),
            (n, Lang::Ja) => format!(" + オプション加算 {n}"),
            (n, Lang::En) => format!(" + add-ons {n}"),
        };
        let surcharge = match (surcharge, lang) {
            (0, _) => String::new(),
            (n, Lang::Ja) => format!(" + モールの追加手数料 {n}"),
            (n, Lang::En) => format!(" + the mall's surcharge {n}"),
        };
        say!(
            lang,
            "商品 {goods}{options}{added} + 送料 {ship} + 代引手数料 {cod} + 決済手数料 {pay}{surcharge} − クーポン {coupons} − ポイント {points}",
            "goods {goods}{options}{added} + shipping {ship} + COD {cod} + payment {pay}{surcharge} − coupons {coupons} − points {points}"
        )
    });
    let rates_said = match (rates_from_mall, lang) {
        (true, Lang::Ja) => "商品の税率はモールの指定",
        (false, Lang::Ja) => "標準税率（モールが商品の税率を送っていません）",
        (true, Lang::En) => "item rates as the mall sent them",
        (false, Lang::En) => "the standard rate (the mall sent no item rates)",
    };
    let in_force = rates.describe();
    let (all, standard, reduced, rounded) = (t.by_rate[0] + t.by_rate[1], t.by_rate[0], t.by_rate[1], rounding.name());
    let tax = Sourced::new(
        Tax { standard, reduced },
        if rates.standard == rates.reduced {
            say!(
                lang,
                "{in_force}: {all}円（注文日の税率。手数料を含む。{rounded}）",
                "{in_force}: {all} yen (the rate in force on the order date; fees included; {rounded})"
            )
        } else {
            say!(
                lang,
                "10 %: {standard}円、8 %: {reduced}円（{rates_said}。手数料は10 %。{rounded}）",
                "10 %: {standard} yen, 8 %: {reduced} yen ({rates_said}; fees at 10 %; {rounded})"
            )
        },
    );
    (total, tax, unknown)
}

/// An add-on an item chose (オプション加算), with what it adds for the item's quantity.
#[derive(Debug, Clone)]
struct AddOn {
    /// `名入れ:あり`
    label: String,
    code: String,
    amount: Yen,
    /// The オプション加算 row's cell.
    cell: String,
    /// The mall charges it in a field of its own: in its prices already.
    by_field: bool,
    tax_rate: Option<u8>,
    tax_excluded: bool,
}

/// One shipment before the order-level part.
struct Draft {
    e: Enrichment,
    addons: Vec<AddOn>,
    priced: bool,
    ship_reason: Option<ShipDateReason>,
    fired: Vec<String>,
    /// What the hold tables read besides the enrichment, as the shipment's tables left it.
    preparation: Sourced<i64>,
    counts: Counts,
    history: Option<History>,
}

/// Shipment `k` of a several-destination order as an order of its own: its items, its recipient
/// and postage; the order's fees and discounts stay with the first.
fn shipment_view(order: &Order, k: usize) -> Order {
    let mut view = order.clone();
    view.items =
        order.items.iter().filter(|i| i.shipment == k).cloned().map(|i| crate::domain::order::OrderItem { shipment: 0, ..i }).collect();
    let shipment = order.shipments[k].clone();
    view.amounts.shipping = match shipment.postage {
        Amount::Absent if k == 0 => order.amounts.shipping,
        Amount::Absent => Amount::Yen(0),
        postage => postage,
    };
    if k > 0 {
        view.amounts.cod_fee = Amount::Yen(0);
        view.amounts.payment_fee = Amount::Yen(0);
        view.amounts.coupons = Amount::Yen(0);
        view.amounts.points = Amount::Yen(0);
    }
    view.shipments = vec![shipment];
    view
}

/// Which of the add-on amounts make up `target` (the mall's goods total above the items' prices):
/// all, none, or the first subset found; None where no subset does. Orders carry a handful of
/// add-ons; past 16 only all-or-none is tried.
fn charged_subset(amounts: &[Yen], target: Yen) -> Option<Vec<bool>> {
    let n = amounts.len();
    if target == 0 {
        return Some(vec![false; n]);
    }
    if amounts.iter().sum::<Yen>() == target {
        return Some(vec![true; n]);
    }
    if n > 16 {
        return None;
    }
    (1u32..(1 << n))
        .find(|mask| (0..n).filter(|b| mask & (1 << b) != 0).map(|b| amounts[b]).sum::<Yen>() == target)
        .map(|mask| (0..n).map(|b| mask & (1 << b) != 0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::masters::*;
    use crate::domain::order::{Amount, Amounts, DesiredDelivery, OrderItem, Party, Shipment};
    use chrono::{NaiveDate, NaiveTime, TimeZone, Weekday};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn origin(sheet: &str, row: usize) -> Origin {
        Origin { file: "masters.xlsx".into(), sheet: sheet.into(), row }
    }

    fn masters() -> Masters {
        Masters {
            delivery_conditions: vec![DeliveryCondition {
                product_code: "NG-MUG-001".into(),
                logistics_company: "自社倉庫".into(),
                carrier: "ヤマト運輸".into(),
                preparation_days: 2,
                time_slots: vec![],
                temperature: "常温".into(),
                origin: origin("配送条件", 3),
            }],
            payment_methods: vec![PaymentMethod {
                mall: "rakuten".into(),
                mall_name: "代金引換".into(),
                internal: "代金引換".into(),
                origin: origin("決済方法", 3),
            }],
            prefectures: vec![PrefectureRow {
                jis_code: "13".into(),
                name: "東京都".into(),
                region: "関東".into(),
                origin: origin("都道府県", 14),
            }],
            transit_days: vec![TransitDays {
                origin_region: "関東".into(),
                prefecture: "東京都".into(),
                days: 1,
                origin: origin("配送日数", 14),
            }],
            option_addons: vec![OptionAddon {
                product_code: "NG-MUG-001".into(),
                item_name: "名入れ".into(),
                choice: "あり(+550円)".into(),
                amount: 550,
                origin: origin("オプション加算", 4),
            }],
            time_slots: vec![TimeSlot {
                carrier: "ヤマト運輸".into(),
                label: "14時～16時".into(),
                code: "1416".into(),
                start_hour: Some(14),
                end_hour: Some(16),
                origin: origin("配送時間帯", 3),
            }],
            ..Default::default()
        }
    }

    fn calendar_and_shop() -> (BusinessCalendar, ShopFacts) {
        let cal = BusinessCalendar::new([], [Weekday::Sun], NaiveTime::from_hms_opt(12, 0, 0).unwrap());
        let shop = ShopFacts {
            origin_region: "関東".into(),
            sender: "和み雑貨店".into(),
            sender_auto_edit: HashMap::new(),
            tax_rounding: Rounding::Floor,
            lang: Lang::En,
        };
        (cal, shop)
    }

    fn order() -> Order {
        let party = Party {
            name: "山田 花子".into(), prefecture: "東京都".into(), address: "東京都渋谷区".into(), ..Default::default()
        };
        Order {
            mall: "rakuten".into(),
            shop: "s".into(),
            order_number: "1".into(),
            ordered_at: crate::domain::time::jst().with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
            mall_status: "100".into(),
            cancelled: false,
            orderer: party.clone(),
            shipments: vec![Shipment::to(party)],
            is_gift: false,
            items: vec![OrderItem {
                product_code: "NG-MUG-001".into(),
                item_key: "arita-mug-01".into(),
                sku: None,
                name: "マグ".into(),
                unit_price: Some(3240),
                quantity: 1,
                options_text: "名入れ:あり(+550円)".into(),
                option_price: None,
                tax_rate: Some(10),
                tax_excluded: false,
                ..Default::default()
            }],
            payment_method: "代金引換".into(),
            desired_delivery: DesiredDelivery {
                date: Some(d("2026-12-10")),
                time_slot: Some("14:00-16:00".into()),
                source: Some("remarks".into()),
            },
            remarks: "[配送日時指定:]\n2026-12-10(木)\n14:00〜16:00".into(),
            // The shop has charged the 550 yen add-on: the mall's goods total holds it.
            amounts: Amounts {
                goods: Amount::Yen(3790),
                shipping: Amount::Yen(880),
                cod_fee: Amount::Yen(330),
                payment_fee: Amount::Yen(0),
                coupons: Amount::Yen(0),
                points: Amount::Yen(0),
                billing_total: Amount::Yen(5000),
                ..Default::default()
            },
            extras: Default::default(),
        }
    }

    #[test]
    fn every_field_rules_read_or_set_has_its_arm_and_only_those() {
        let m = masters();
        let (cal, shop) = calendar_and_shop();
        let enricher = Enricher::new(&m, &cal, &shop, &[]);
        let o = order();
        let e = enricher.enrich(&o, "rakuten", Some(History::default())).remove(0).enrichment;
        for f in &crate::domain::fields::FIELDS {
            let read = enricher.read(&o, &e, &Sourced::new(2, "x"), Some(History::default()), Counts::default(), f.field);
            assert_eq!(read.is_some(), f.rules.read(), "{}", f.name);
            if let Some(v) = read {
                assert!(super::super::schema::fits(f, &v), "{}: {v:?} is not {:?}", f.name, f.kind);
            }
            let (mut e, mut preparation, mut split) = (e.clone(), Sourced::new(0, "x"), None);
            assert_eq!(set(&mut e, &mut preparation, &mut split, f.field, Value::Null, "x", Lang::En), f.rules.set(), "{}", f.name);
        }
    }

    #[test]
    fn reasons_are_worded_in_the_runs_language() {
        let mut m = masters();
        m.payment_methods.clear();
        let (cal, mut shop) = calendar_and_shop();
        shop.lang = Lang::Ja;
        let out = Enricher::new(&m, &cal, &shop, &[]).enrich(&order(), "rakuten", Some(History::default())).remove(0);
        assert_eq!(out.checks[6].reason, "決済方法シートにモール`rakuten`・決済方法`代金引換`の行がありません：追加してください");
        assert_eq!(out.checks[8].reason, "5000円、モールの請求金額と一致");
        assert_eq!(
            out.enrichment.billing_total.source,
            "商品 3240 + オプション加算 550 + 送料 880 + 代引手数料 330 + 決済手数料 0 − クーポン 0 − ポイント 0"
        );
    }

    #[test]
    fn masters_fill_the_order_and_every_check_says_why() {
        let m = masters();
        let (cal, shop) = calendar_and_shop();
        let out = Enricher::new(&m, &cal, &shop, &[]).enrich(&order(), "rakuten", Some(History::default())).remove(0);
        let e = &out.enrichment;
        assert_eq!(e.carrier, Sourced::new("ヤマト運輸".into(), "配送条件!C3"));
        assert_eq!(e.option_total.value, Some(550));
        assert_eq!(e.ship_date.value, Some(d("2026-12-09")), "desired 12-10 minus 1 transit day");
        let results: Vec<&str> = out.checks.iter().map(|c| c.result.as_str()).collect();
        assert_eq!(results, ["pass", "pass", "pass", "pass", "pass", "pass", "pass", "pass", "pass", "n/a"], "{:#?}", out.checks);

        // Remove the product's delivery condition and the payment row: checks 1, 2, 3 and 7 fail and say what to add.
        let mut broken = masters();
        broken.delivery_conditions.clear();
        broken.payment_methods.clear();
        let out = Enricher::new(&broken, &cal, &shop, &[]).enrich(&order(), "rakuten", Some(History::default())).remove(0);
        let failed: Vec<u8> = out.checks.iter().filter(|c| c.result.as_str() == "fail").map(|c| c.no.number()).collect();
        assert_eq!(failed, [1, 2, 3, 7]);
        assert!(out.checks[1].reason.contains("product NG-MUG-001 has no 配送条件"), "{}", out.checks[1].reason);
        assert!(out.checks[6].reason.contains("no 決済方法 row for mall `rakuten` and payment `代金引換`"), "{}", out.checks[6].reason);
    }

    #[test]
    fn tax_per_rate_and_remote_islands() {
        let m = masters();
        let (cal, shop) = calendar_and_shop();
        // The mug at 10 % with 880 postage and 330 COD fee; a 税別 tea at 8 % adds its tax to the bill.
        let mut o = order();
        o.items.push(OrderItem {
            product_code: "NG-MUG-001".into(),
            unit_price: Some(1000),
            quantity: 2,
            tax_rate: Some(8),
            tax_excluded: true,
            ..Default::default()
        });
        o.amounts.goods = Amount::Yen(3790 + 2000);
        o.amounts.billing_total = Amount::Yen(3790 + 2000 + 160 + 880 + 330);
        let out = Enricher::new(&m, &cal, &shop, &[]).enrich(&o, "rakuten", Some(History::default())).remove(0);
        let e = &out.enrichment;
        assert_eq!(e.tax.value, Some(Tax { standard: (3790 + 880 + 330) * 10 / 110, reduced: 160 }), "{}", e.tax.source);
        assert_eq!(e.billing_total.value, Some(7160), "{}", e.billing_total.source);
        assert_eq!(out.checks[8].result.as_str(), "pass", "{}", out.checks[8].reason);
        assert!(e.billing_total.source.contains("+ tax on 税別 items 160"), "{}", e.billing_total.source);

        // To a remote island, the requested date and slot are flagged with the reason, not changed.
        o.shipments[0].remote_island = true;
        let out = Enricher::new(&m, &cal, &shop, &[]).enrich(&o, "rakuten", Some(History::default())).remove(0);
        assert_eq!(out.enrichment.desired_date.value, Some(d("2026-12-10")));
        assert_eq!(out.checks[3].result.as_str(), "fail");
        assert!(out.checks[3].reason.contains("remote island (離島; the mall marks"), "{}", out.checks[3].reason);
    }

    #[test]
    fn an_order_from_before_october_2019_is_taxed_at_the_then_8_percent() {
        let m = masters();
        let (cal, shop) = calendar_and_shop();
        let mut o = order();
        o.ordered_at = crate::domain::time::jst().with_ymd_and_hms(2018, 6, 1, 10, 0, 0).unwrap();
        o.items[0].tax_rate = None;
        let out = Enricher::new(&m, &cal, &shop, &[]).enrich(&o, "rakuten", Some(History::default())).remove(0);
        // 3,790 goods and add-on + 880 + 330 = 5,000 yen, all at 8 %: floor(5000 × 8 / 108) = 370.
        assert_eq!(out.enrichment.tax.value, Some(Tax { standard: 370, reduced: 0 }), "{}", out.enrichment.tax.source);
        assert!(
            out.enrichment.tax.source.starts_with("8 %: 370 yen (the rate in force on the order date"),
            "{}",
            out.enrichment.tax.source
        );
    }

    #[test]
    fn items_from_two_warehouses_are_flagged_or_split_by_rule() {
        let mut m = masters();
        m.delivery_conditions.push(DeliveryCondition {
            product_code: "NG-IKR-001".into(),
            logistics_company: "北海道冷凍センター".into(),
            carrier: "ヤマト運輸".into(),
            preparation_days: 1,
            time_slots: vec![],
            temperature: "冷凍".into(),
            origin: origin("配送条件", 4),
        });
        let (cal, shop) = calendar_and_shop();
        let mut o = order();
        o.items.push(OrderItem { product_code: "NG-IKR-001".into(), unit_price: Some(5400), quantity: 1, ..Default::default() });
        let out = Enricher::new(&m, &cal, &shop, &[]).enrich(&o, "rakuten", Some(History::default())).remove(0);
        assert_eq!(out.checks[0].result.as_str(), "fail");
        assert_eq!(
            out.checks[0].reason,
            "the items need different 物流会社: 自社倉庫 and 北海道冷凍センター (NG-IKR-001); split the order or set one by rule"
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("split.yaml");
        std::fs::write(&path, "inputs: [logistics_companies]\noutputs: [split]\nrows:\n  - [\">= 2\", true]\n").unwrap();
        let (tables, _) = DecisionTable::load(&path).unwrap();
        let out = Enricher::new(&m, &cal, &shop, &tables).enrich(&o, "rakuten", Some(History::default())).remove(0);
        assert_eq!(out.checks[0].result.as_str(), "pass", "{}", out.checks[0].reason);
        assert_eq!(
            out.enrichment.shipments.value.as_deref(),
            Some("1: 自社倉庫 / ヤマト運輸 (NG-MUG-001); 2: 北海道冷凍センター / ヤマト運輸 (NG-IKR-001)")
        );
        assert!(out.checks[0].reason.starts_with("split into 2 shipments by "), "{}", out.checks[0].reason);
        assert_eq!(out.enrichment.temperature.value.as_deref(), Some("冷凍"));
        assert_eq!(out.enrichment.temperature.source, "配送条件!F4 (NG-IKR-001)");
    }

    #[test]
    fn a_slot_the_product_does_not_allow_names_the_product_and_its_cell() {
        let mut m = masters();
        m.delivery_conditions[0].time_slots = vec!["0812".into()];
        let (cal, shop) = calendar_and_shop();
        let out = Enricher::new(&m, &cal, &shop, &[]).enrich(&order(), "rakuten", Some(History::default())).remove(0);
        assert_eq!(out.checks[3].result.as_str(), "fail");
        assert_eq!(
            out.checks[3].reason,
            "2026-12-10 14:00-16:00: time slot `14:00-16:00` (1416) is not among the 配送可能時間帯 of NG-MUG-001 (配送条件!E3: 0812)"
        );
        // Once a rule moves the order to another carrier, the product's codes (its carrier's) no longer apply.
        m.delivery_conditions[0].carrier = "佐川急便".into();
        m.time_slots[0].carrier = "佐川急便".into();
        m.delivery_conditions[0].time_slots = vec!["0812".into()];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("carrier.yaml");
        std::fs::write(&path, "inputs: [ship_to.prefecture]\noutputs: [carrier]\nrows:\n  - [東京都, ヤマト運輸]\n").unwrap();
        let (tables, _) = DecisionTable::load(&path).unwrap();
        let out = Enricher::new(&m, &cal, &shop, &tables).enrich(&order(), "rakuten", Some(History::default())).remove(0);
        assert!(!out.checks[3].reason.contains("配送可能時間帯"), "{}", out.checks[3].reason);
    }
}
