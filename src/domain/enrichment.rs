//! What enrichment adds to an order, where each value came from, and the ten import checks (S10).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::calendar::ShipDateReason;
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

/// An order as enrichment leaves it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Enrichment {
    /// 物流会社
    pub logistics_company: Sourced<String>,
    /// 配送会社
    pub carrier: Sourced<String>,
    /// 温度帯 of the order: the coldest of its items.
    pub temperature: String,
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
    /// Problems found on the way, per check number (1–10): what to fix.
    pub problems: Vec<(u8, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckResult {
    Pass,
    Fail,
    NotApplicable,
}

impl CheckResult {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckResult::Pass => "pass",
            CheckResult::Fail => "fail",
            CheckResult::NotApplicable => "n/a",
        }
    }
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

/// One of the ten checks for one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub no: u8,
    pub result: CheckResult,
    /// What was found, or what to fix.
    pub reason: String,
}

/// The ten checks' names as the seed's checklist calls them.
pub const CHECK_NAMES: [&str; 10] = [
    "物流会社",
    "配送会社",
    "出荷予定日",
    "お届け希望日",
    "送付元住所",
    "備考欄の配送日時",
    "決済方法",
    "オプション金額",
    "請求金額",
    "メール文面",
];

/// What the checks need to know about the order beyond its enrichment.
pub struct CheckInput<'a> {
    /// The mall's billing total (None while -9999 "not fixed").
    pub mall_billing_total: Option<Yen>,
    /// Whether every amount is fixed at the mall.
    pub amounts_fixed: bool,
    /// The remarks carry a `[配送日時指定:]` block with something in it.
    pub remarks_request: bool,
    /// Where the desired delivery came from: `field`, `remarks` or None.
    pub desired_source: Option<&'a str>,
    /// Why the ship date is what it is.
    pub ship_reason: Option<&'a ShipDateReason>,
    /// Whether any item has a priced option.
    pub priced_options: bool,
    /// The mall's option amounts where the mall gives them (au PAY), to compare.
    pub mall_option_total: Option<Yen>,
}

fn problems_of(e: &Enrichment, no: u8) -> Vec<&str> {
    e.problems.iter().filter(|(n, _)| *n == no).map(|(_, p)| p.as_str()).collect()
}

/// The ten import checks (S10), each with a reason that tells staff what was found or what to fix.
pub fn ten_checks(e: &Enrichment, input: &CheckInput<'_>) -> Vec<Check> {
    let check = |no: u8, result: CheckResult, reason: String| Check { no, result, reason };
    let filled = |no: u8, s: &Sourced<String>| match &s.value {
        Some(v) if problems_of(e, no).is_empty() => check(no, CheckResult::Pass, format!("{v} ({})", s.source)),
        _ => check(no, CheckResult::Fail, problems_of(e, no).join("; ")),
    };
    let mut out = vec![filled(1, &e.logistics_company), filled(2, &e.carrier)];
    if let Some(list) = &e.shipments.value {
        for c in out.iter_mut().filter(|c| c.result == CheckResult::Pass) {
            c.reason = format!("{} ({}): {list}", e.shipments.source, c.reason);
        }
    }
    // 3: the planned shipping date.
    out.push(match (&e.ship_date.value, problems_of(e, 3).is_empty()) {
        (Some(d), true) => check(3, CheckResult::Pass, format!("{d} ({})", e.ship_date.source)),
        (_, _) => check(
            3,
            CheckResult::Fail,
            if problems_of(e, 3).is_empty() { e.ship_date.source.clone() } else { problems_of(e, 3).join("; ") },
        ),
    });
    // 4: the desired delivery date and slot can be met (a slot alone is a request too).
    let requested = [e.desired_date.value.map(|d| d.to_string()), e.desired_time_slot.value.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let source = if e.desired_date.value.is_some() { &e.desired_date.source } else { &e.desired_time_slot.source };
    let mut found: Vec<String> = Vec::new();
    if let (Some(d), Some(ShipDateReason::DesiredTooSoon { earliest_arrival })) = (&e.desired_date.value, input.ship_reason) {
        found.push(format!("{d} requested, but the earliest arrival is {earliest_arrival}: contact the customer or ship express"));
    }
    found.extend(problems_of(e, 4).iter().map(|p| format!("{requested}: {p}")));
    out.push(if requested.is_empty() {
        check(4, CheckResult::NotApplicable, "no delivery date or time slot requested".into())
    } else if !found.is_empty() {
        check(4, CheckResult::Fail, found.join("; "))
    } else {
        check(4, CheckResult::Pass, format!("{requested} ({source})"))
    });
    out.push(filled(5, &e.sender));
    // 6: a date/time written in the remarks was read.
    out.push(match (input.remarks_request, input.desired_source) {
        (false, _) => check(6, CheckResult::NotApplicable, "no [配送日時指定:] request in the remarks".into()),
        (true, Some("remarks")) => check(
            6,
            CheckResult::Pass,
            format!(
                "read from the remarks: {} {}",
                e.desired_date.value.map(|d| d.to_string()).unwrap_or_default(),
                e.desired_time_slot.value.clone().unwrap_or_default()
            )
            .trim_end()
            .to_string(),
        ),
        (true, Some(_)) => check(6, CheckResult::Pass, "the mall's own fields carry the request (they win over the remarks)".into()),
        (true, None) => check(
            6,
            CheckResult::Fail,
            "the remarks have a [配送日時指定:] block juchu could not read: read it and set the date by hand".into(),
        ),
    });
    out.push(filled(7, &e.payment_method));
    // 8: option amounts.
    out.push(match (input.priced_options, &e.option_total.value) {
        (false, _) => check(8, CheckResult::NotApplicable, "no item has a priced option".into()),
        (true, Some(t)) if problems_of(e, 8).is_empty() => check(8, CheckResult::Pass, format!("{t} yen ({})", e.option_total.source)),
        (true, _) => check(8, CheckResult::Fail, problems_of(e, 8).join("; ")),
    });
    // 9: billing total against the mall's.
    out.push(match (input.amounts_fixed, input.mall_billing_total, e.billing_total.value) {
        (false, _, _) | (_, None, _) => {
            check(9, CheckResult::NotApplicable, "the mall has not fixed the amounts yet (-9999): checked once it has".into())
        }
        (true, Some(mall), Some(ours)) if mall == ours => check(9, CheckResult::Pass, format!("{ours} yen, as the mall bills")),
        (true, Some(mall), Some(ours)) => check(
            9,
            CheckResult::Fail,
            format!("the mall bills {mall} yen, juchu computes {ours} yen ({}); difference {} yen", e.billing_total.source, mall - ours),
        ),
        (true, Some(mall), None) => {
            check(9, CheckResult::Fail, format!("the mall bills {mall} yen; juchu could not compute it: {}", e.billing_total.source))
        }
    });
    out.push(check(10, CheckResult::NotApplicable, "checked by the mail stage when a template is sent".into()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Enrichment {
        Enrichment {
            logistics_company: Sourced::new("自社倉庫".into(), "配送条件!B2"),
            carrier: Sourced::new("ヤマト運輸".into(), "配送条件!C2"),
            temperature: "常温".into(),
            ship_date: Sourced::new(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), "earliest"),
            desired_date: Sourced::missing("none requested"),
            desired_time_slot: Sourced::missing("none requested"),
            remote_island: Sourced::missing("not a remote island"),
            sender: Sourced::new("和み雑貨店".into(), "settings"),
            payment_method: Sourced::new("クレジットカード".into(), "決済方法!C2"),
            option_total: Sourced::missing("no options"),
            shipments: Sourced::missing(""),
            shipping_fee: Sourced::new(0, "rules"),
            cod_fee: Sourced::new(0, "rules"),
            payment_fee: Sourced::new(0, "mall"),
            billing_total: Sourced::new(5000, "computed"),
            tax: Sourced::new(Tax { standard: 454, reduced: 0 }, "computed"),
            customer_rank: Sourced::missing("no rank"),
            problems: Vec::new(),
        }
    }

    fn input() -> CheckInput<'static> {
        CheckInput {
            mall_billing_total: Some(5000),
            amounts_fixed: true,
            remarks_request: false,
            desired_source: None,
            ship_reason: None,
            priced_options: false,
            mall_option_total: None,
        }
    }

    #[test]
    fn a_complete_order_passes_and_not_applicable_checks_say_why() {
        let c = ten_checks(&base(), &input());
        let results: Vec<&str> = c.iter().map(|c| c.result.as_str()).collect();
        assert_eq!(results, ["pass", "pass", "pass", "n/a", "pass", "n/a", "pass", "n/a", "pass", "n/a"]);
    }

    #[test]
    fn failures_name_what_to_fix() {
        let mut e = base();
        e.carrier = Sourced::missing("no 配送条件");
        e.problems.push((2, "product NG-KYS-001 has no 配送条件".into()));
        e.billing_total = Sourced::new(4880, "goods 4000 + shipping 880");
        let c = ten_checks(&e, &input());
        assert_eq!(c[1].result, CheckResult::Fail);
        assert_eq!(c[1].reason, "product NG-KYS-001 has no 配送条件");
        assert_eq!(c[8].reason, "the mall bills 5000 yen, juchu computes 4880 yen (goods 4000 + shipping 880); difference 120 yen");
        let pending = ten_checks(&e, &CheckInput { amounts_fixed: false, ..input() });
        assert_eq!(pending[8].result, CheckResult::NotApplicable);
    }

    #[test]
    fn a_time_slot_alone_is_checked_too() {
        let mut e = base();
        e.desired_time_slot = Sourced::new("20:00-21:00".into(), "the mall's delivery fields");
        assert_eq!(ten_checks(&e, &input())[3].result, CheckResult::Pass);
        e.problems.push((4, "time slot `20:00-21:00` is not offered by 佐川急便".into()));
        let c = ten_checks(&e, &input());
        assert_eq!(
            (c[3].result, c[3].reason.as_str()),
            (CheckResult::Fail, "20:00-21:00: time slot `20:00-21:00` is not offered by 佐川急便")
        );
    }
}
