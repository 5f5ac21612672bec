//! The ten import checks (S10): their numbers and names as the seed's checklist has them, and every
//! pass, fail and n/a reason, each worded once here in both languages.
//!
//! Reasons are worded in the language of the run that enriched and stored so
//! (`check_reasons`, each text once; `order_enrichment.check_reason_ids`); the `order_checks` view shows them as stored, so a store
//! enriched in Japanese keeps Japanese reasons until it is enriched again.

use serde::{Deserialize, Serialize};

use super::calendar::ShipDateReason;
use super::enrichment::{Enrichment, Sourced};
use super::lang::{Lang, Text};
use super::Yen;

/// `say!(lang, "日本語 {x}", "English {x}")`: one message in both languages, formatted in one.
macro_rules! say {
    ($lang:expr, $ja:literal, $en:literal $(, $arg:expr)* $(,)?) => {
        match $lang {
            $crate::domain::lang::Lang::Ja => format!($ja $(, $arg)*),
            $crate::domain::lang::Lang::En => format!($en $(, $arg)*),
        }
    };
}
pub(crate) use say;

/// One of the ten checks, numbered as the checklist numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
#[repr(u8)]
pub enum CheckNo {
    LogisticsCompany = 1,
    Carrier = 2,
    ShipDate = 3,
    DesiredDate = 4,
    Sender = 5,
    RemarksDelivery = 6,
    PaymentMethod = 7,
    OptionTotal = 8,
    BillingTotal = 9,
    MailText = 10,
}

/// The ten checks' names as the seed's checklist calls them (初期設定確認チェックシート), by number.
pub const CHECK_NAMES: [Text; 10] = [
    Text::new("物流会社", "Logistics company"),
    Text::new("配送会社", "Carrier"),
    Text::new("出荷予定日", "Planned shipping date"),
    Text::new("お届け希望日", "Desired delivery date"),
    Text::new("送付元住所", "Sender address"),
    Text::new("備考欄の配送日時", "Delivery date/time in the remarks"),
    Text::new("決済方法", "Payment method"),
    Text::new("オプション金額", "Option amount"),
    Text::new("請求金額", "Billing amount"),
    Text::new("メール文面", "Mail wording"),
];

impl CheckNo {
    pub const ALL: [CheckNo; 10] = [
        CheckNo::LogisticsCompany,
        CheckNo::Carrier,
        CheckNo::ShipDate,
        CheckNo::DesiredDate,
        CheckNo::Sender,
        CheckNo::RemarksDelivery,
        CheckNo::PaymentMethod,
        CheckNo::OptionTotal,
        CheckNo::BillingTotal,
        CheckNo::MailText,
    ];

    /// 1–10.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// 0–9, for arrays of ten.
    pub fn index(self) -> usize {
        self as usize - 1
    }

    pub fn from_number(n: u8) -> Option<CheckNo> {
        CheckNo::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    pub fn name(self) -> Text {
        CHECK_NAMES[self.index()]
    }
}

impl From<CheckNo> for u8 {
    fn from(c: CheckNo) -> u8 {
        c.number()
    }
}

impl TryFrom<u8> for CheckNo {
    type Error = String;
    fn try_from(n: u8) -> Result<CheckNo, String> {
        CheckNo::from_number(n).ok_or_else(|| format!("{n} is not a check number (1–10)"))
    }
}

impl std::fmt::Display for CheckNo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.number())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckResult {
    Pass,
    Fail,
    NotApplicable,
}

impl CheckResult {
    pub const ALL: [CheckResult; 3] = [CheckResult::Pass, CheckResult::Fail, CheckResult::NotApplicable];

    /// As `order_checks.result` has it.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckResult::Pass => "pass",
            CheckResult::Fail => "fail",
            CheckResult::NotApplicable => "n/a",
        }
    }

    /// As `order_enrichment.checks` stores it, one letter per check.
    pub fn letter(self) -> char {
        match self {
            CheckResult::Pass => 'P',
            CheckResult::Fail => 'F',
            CheckResult::NotApplicable => 'N',
        }
    }
}

/// One of the ten checks for one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub no: CheckNo,
    pub result: CheckResult,
    /// What was found, or what to fix, in the language of the run that enriched.
    pub reason: String,
}

/// What the checks need to know about the order beyond its enrichment.
#[derive(Debug, Clone)]
pub struct CheckInput {
    /// The mall's billing total (None while -9999 "not fixed").
    pub mall_billing_total: Option<Yen>,
    /// Whether every amount is fixed at the mall.
    pub amounts_fixed: bool,
    /// The remarks carry a `[配送日時指定:]` block with something in it.
    pub remarks_request: bool,
    /// Where the desired delivery came from: `field`, `remarks` or None.
    pub desired_source: Option<String>,
    /// Why the ship date is what it is.
    pub ship_reason: Option<ShipDateReason>,
    /// Why check 9 cannot be made, where it cannot (an amount the mall did not send, a line
    /// without a price): n/a with this reason.
    pub billing_unknown: Option<String>,
    /// Whether any item has a priced option (the mall-charged option prices are compared per
    /// item by the enricher, as problems of check 8).
    pub priced_options: bool,
    /// The language the reasons are worded in.
    pub lang: Lang,
}

fn problems_of(e: &Enrichment, no: CheckNo) -> Vec<&str> {
    e.problems.iter().filter(|(n, _)| *n == no).map(|(_, p)| p.as_str()).collect()
}

/// The ten import checks (S10), each with a reason that tells staff what was found or what to fix.
pub fn ten_checks(e: &Enrichment, input: &CheckInput) -> Vec<Check> {
    use CheckNo::*;
    use CheckResult::{Fail, NotApplicable, Pass};
    let lang = input.lang;
    let check = |no: CheckNo, result: CheckResult, reason: String| Check { no, result, reason };
    let filled = |no: CheckNo, s: &Sourced<String>| match &s.value {
        Some(v) if problems_of(e, no).is_empty() => check(no, Pass, format!("{v} ({})", s.source)),
        _ => check(no, Fail, problems_of(e, no).join("; ")),
    };
    let mut out = vec![filled(LogisticsCompany, &e.logistics_company), filled(Carrier, &e.carrier)];
    if let Some(list) = &e.shipments.value {
        for c in out.iter_mut().filter(|c| c.result == Pass) {
            c.reason = format!("{} ({}): {list}", e.shipments.source, c.reason);
        }
    }
    // 3: the planned shipping date.
    out.push(match (&e.ship_date.value, problems_of(e, ShipDate).is_empty()) {
        (Some(d), true) => check(ShipDate, Pass, format!("{d} ({})", e.ship_date.source)),
        (_, true) => check(ShipDate, Fail, e.ship_date.source.clone()),
        (_, false) => check(ShipDate, Fail, problems_of(e, ShipDate).join("; ")),
    });
    // 4: the desired delivery date and slot can be met (a slot alone is a request too).
    let requested = [e.desired_date.value.map(|d| d.to_string()), e.desired_time_slot.value.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let source = if e.desired_date.value.is_some() { &e.desired_date.source } else { &e.desired_time_slot.source };
    let mut found: Vec<String> = Vec::new();
    if let (Some(d), Some(ShipDateReason::DesiredTooSoon { earliest_arrival })) = (&e.desired_date.value, &input.ship_reason) {
        found.push(say!(
            lang,
            "{d}のご希望ですが、最短のお届けは{earliest_arrival}です：お客様に連絡するか、速い便で出荷してください",
            "{d} requested, but the earliest arrival is {earliest_arrival}: contact the customer or ship express"
        ));
    }
    found.extend(problems_of(e, DesiredDate).iter().map(|p| format!("{requested}: {p}")));
    out.push(if requested.is_empty() {
        check(DesiredDate, NotApplicable, say!(lang, "お届け日・時間帯の指定なし", "no delivery date or time slot requested"))
    } else if !found.is_empty() {
        check(DesiredDate, Fail, found.join("; "))
    } else {
        check(DesiredDate, Pass, format!("{requested} ({source})"))
    });
    out.push(filled(Sender, &e.sender));
    // 6: a date/time written in the remarks was read.
    out.push(match (input.remarks_request, input.desired_source.as_deref()) {
        (false, _) => check(
            RemarksDelivery,
            NotApplicable,
            say!(lang, "備考欄に[配送日時指定:]の指定なし", "no [配送日時指定:] request in the remarks"),
        ),
        (true, Some("remarks")) => {
            let date = e.desired_date.value.map(|d| d.to_string()).unwrap_or_default();
            let slot = e.desired_time_slot.value.as_deref().unwrap_or_default();
            // A slot-only request has no date: no double space.
            let when = [date.as_str(), slot].iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(" ");
            check(RemarksDelivery, Pass, say!(lang, "備考欄から読み取り: {when}", "read from the remarks: {when}"))
        }
        (true, Some(_)) => check(
            RemarksDelivery,
            Pass,
            say!(
                lang,
                "モールの配送指定欄に指定あり（備考欄より優先します）",
                "the mall's own fields carry the request (they win over the remarks)"
            ),
        ),
        (true, None) => check(
            RemarksDelivery,
            Fail,
            say!(
                lang,
                "備考欄の[配送日時指定:]を読み取れません：備考欄を読んで日付を手で設定してください",
                "the remarks have a [配送日時指定:] block juchu could not read: read it and set the date by hand"
            ),
        ),
    });
    out.push(filled(PaymentMethod, &e.payment_method));
    // 8: option amounts.
    out.push(match (input.priced_options, &e.option_total.value) {
        (false, _) => check(OptionTotal, NotApplicable, say!(lang, "有料オプションの商品なし", "no item has a priced option")),
        (true, Some(t)) if problems_of(e, OptionTotal).is_empty() => {
            check(OptionTotal, Pass, say!(lang, "{t}円 ({})", "{t} yen ({})", e.option_total.source))
        }
        (true, _) => check(OptionTotal, Fail, problems_of(e, OptionTotal).join("; ")),
    });
    // 9: billing total against the mall's.
    out.push(match (input.amounts_fixed, input.mall_billing_total, e.billing_total.value) {
        _ if input.billing_unknown.is_some() => check(BillingTotal, NotApplicable, input.billing_unknown.clone().unwrap_or_default()),
        (false, _, _) | (_, None, _) => check(
            BillingTotal,
            NotApplicable,
            say!(
                lang,
                "モールの金額がまだ確定していません(-9999)：確定してから確認します",
                "the mall has not fixed the amounts yet (-9999): checked once it has"
            ),
        ),
        (true, Some(mall), Some(ours)) if mall == ours => {
            // How the total is made up is beside it (billing_total_source); stored once, not twice.
            check(BillingTotal, Pass, say!(lang, "{ours}円、モールの請求金額と一致", "{ours} yen, as the mall bills"))
        }
        (true, Some(mall), Some(ours)) => check(
            BillingTotal,
            Fail,
            say!(
                lang,
                "モールの請求は{mall}円、juchuの計算は{ours}円 ({})；差額{}円",
                "the mall bills {mall} yen, juchu computes {ours} yen ({}); difference {} yen",
                e.billing_total.source,
                mall - ours
            ),
        ),
        (true, Some(mall), None) => check(
            BillingTotal,
            Fail,
            say!(
                lang,
                "モールの請求は{mall}円；juchuでは計算できません：{}",
                "the mall bills {mall} yen; juchu could not compute it: {}",
                e.billing_total.source
            ),
        ),
    });
    out.push(check(
        MailText,
        NotApplicable,
        say!(lang, "メールテンプレートを送るときにメール段階で確認します", "checked by the mail stage when a template is sent"),
    ));
    debug_assert!(out.iter().map(|c| c.no).eq(CheckNo::ALL));
    out
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::enrichment::Tax;

    fn base() -> Enrichment {
        Enrichment {
            logistics_company: Sourced::new("自社倉庫".into(), "配送条件!B2"),
            carrier: Sourced::new("ヤマト運輸".into(), "配送条件!C2"),
            temperature: Sourced::new("常温".into(), "配送条件!F2"),
            carrier_service: Sourced::missing(""),
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
            holds: Vec::new(),
        }
    }

    fn input() -> CheckInput {
        CheckInput {
            billing_unknown: None,
            mall_billing_total: Some(5000),
            amounts_fixed: true,
            remarks_request: false,
            desired_source: None,
            ship_reason: None,
            priced_options: false,
            lang: Lang::En,
        }
    }

    #[test]
    fn check_numbers_and_names_are_the_checklists() {
        for (k, no) in CheckNo::ALL.iter().enumerate() {
            assert_eq!((no.number() as usize, no.index()), (k + 1, k));
            assert_eq!(CheckNo::from_number(no.number()), Some(*no));
        }
        assert_eq!(CheckNo::from_number(0), None);
        assert_eq!(CheckNo::from_number(11), None);
        assert_eq!(CheckNo::BillingTotal.name().get(Lang::Ja), "請求金額");
        assert_eq!(CheckNo::RemarksDelivery.name().get(Lang::Ja), "備考欄の配送日時");
    }

    #[test]
    fn a_complete_order_passes_and_not_applicable_checks_say_why() {
        let c = ten_checks(&base(), &input());
        let results: Vec<&str> = c.iter().map(|c| c.result.as_str()).collect();
        assert_eq!(results, ["pass", "pass", "pass", "n/a", "pass", "n/a", "pass", "n/a", "pass", "n/a"]);
        assert_eq!(c[8].reason, "5000 yen, as the mall bills");
        let ja = ten_checks(&base(), &CheckInput { lang: Lang::Ja, ..input() });
        assert_eq!(ja[3].reason, "お届け日・時間帯の指定なし");
        assert_eq!(ja[8].reason, "5000円、モールの請求金額と一致");
    }

    #[test]
    fn failures_name_what_to_fix() {
        let mut e = base();
        e.carrier = Sourced::missing("no 配送条件");
        e.problems.push((CheckNo::Carrier, "product NG-KYS-001 has no 配送条件".into()));
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
        e.problems.push((CheckNo::DesiredDate, "time slot `20:00-21:00` is not offered by 佐川急便".into()));
        let c = ten_checks(&e, &input());
        assert_eq!(
            (c[3].result, c[3].reason.as_str()),
            (CheckResult::Fail, "20:00-21:00: time slot `20:00-21:00` is not offered by 佐川急便")
        );
    }
}
