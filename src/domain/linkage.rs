//! When linkage (受注連動) may start: the seed's rules, each refusal naming its rule and the fix.

use chrono::NaiveDateTime;

use super::checklist::ChecklistItem;
use super::lang::pick;

pub struct Request<'a> {
    pub mall: &'a str,
    /// JST.
    pub start: NaiveDateTime,
    pub now: NaiveDateTime,
    /// The first-setup checklist, evaluated without S15 (judged here on its own).
    pub checklist: &'a [ChecklistItem],
    /// The mall's 自動オーソリ switch.
    pub auto_authorization: bool,
    pub allow_auto_authorization: bool,
    /// No earlier enable of this mall in the history.
    pub first_linkage: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The seed's requirement: S12, S17, S9, S15.
    pub rule: &'static str,
    pub why: String,
    pub fix: String,
}

/// Every reason not to start, in the seed's order; empty when linkage may start.
pub fn refusals(r: &Request<'_>) -> Vec<Refusal> {
    let mut out = Vec::new();
    if r.start < r.now {
        out.push(Refusal {
            rule: "S12",
            why: pick(
                format!("開始日時 {} は過去です（今は {}）", r.start.format("%Y-%m-%d %H:%M"), r.now.format("%Y-%m-%d %H:%M")),
                format!("the start {} is in the past (it is {} now)", r.start.format("%Y-%m-%d %H:%M"), r.now.format("%Y-%m-%d %H:%M")),
            ),
            fix: pick(
                "今より後の日時を --start に書いてください。過去から始めると、その間の受注が二重に処理されます",
                "give a --start that is not in the past: starting in the past would process the orders in between twice",
            ),
        });
    }
    // Items of another mall do not hold this one back; the shop-wide ones do.
    let other_mall = |title: &str| {
        title.contains('（') && !title.contains(&format!("（{}）", r.mall))
            || title.contains(" (") && !title.contains(&format!("({})", r.mall))
    };
    for item in r.checklist.iter().filter(|i| !i.ok && !other_mall(&i.title)) {
        let (rule, fix) = if item.id == "S9" {
            (
                "S9",
                pick(
                    "テスト受注を `juchu orders move-status --to 処理済 --imported-before <日時>` で処理済にしてください",
                    "move the test orders with `juchu orders move-status --to 処理済 --imported-before <date-time>`",
                ),
            )
        } else {
            ("S17", item.fix.clone().unwrap_or_default())
        };
        out.push(Refusal {
            rule,
            why: pick(
                format!("初期設定確認チェックシートの {} {} がNGです: {}", item.id, item.title, item.detail),
                format!("first-setup checklist item {} {} is NG: {}", item.id, item.title, item.detail),
            ),
            fix,
        });
    }
    if r.auto_authorization && r.first_linkage && !r.allow_auto_authorization {
        out.push(Refusal {
            rule: "S15",
            why: pick(
                format!("{} の自動オーソリ（auto_credit_authorization）がONのまま、初めての受注連動を始めようとしています", r.mall),
                format!("{}'s automatic credit authorization is ON for its first linkage", r.mall),
            ),
            fix: pick(
                format!("金額が正しいと確かめるまで malls.{}.switches.auto_credit_authorization を false にしてください。確かめた上でなら --allow-auto-authorization", r.mall),
                format!("set malls.{}.switches.auto_credit_authorization to false until the amounts are checked, or pass --allow-auto-authorization once they are", r.mall),
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn item(id: &'static str, title: &str, ok: bool) -> ChecklistItem {
        ChecklistItem { id, title: title.into(), ok, detail: "d".into(), fix: (!ok).then(|| "f".into()) }
    }

    #[test]
    fn each_rule_refuses_on_its_own_and_other_malls_items_do_not_count() {
        let items = [item("S1", "店舗設定（yahoo）", false), item("S2", "カレンダー", true)];
        let mut r = Request {
            mall: "rakuten",
            start: at("2026-12-03 10:00"),
            now: at("2026-12-02 09:00"),
            checklist: &items,
            auto_authorization: false,
            allow_auto_authorization: false,
            first_linkage: true,
        };
        assert!(refusals(&r).is_empty(), "yahoo's settings do not hold rakuten back");
        r.start = at("2026-12-02 08:59");
        assert_eq!(refusals(&r).iter().map(|x| x.rule).collect::<Vec<_>>(), ["S12"]);
        r.start = at("2026-12-03 10:00");
        let items = [item("S9", "テスト受注を処理済ステータスへ移動", false), item("S1", "店舗設定（rakuten）", false)];
        r.checklist = &items;
        r.auto_authorization = true;
        let rules: Vec<_> = refusals(&r).iter().map(|x| x.rule).collect();
        assert_eq!(rules, ["S9", "S17", "S15"]);
        assert!(refusals(&r)[0].fix.contains("juchu orders move-status"));
        r.allow_auto_authorization = true;
        assert!(!refusals(&r).iter().any(|x| x.rule == "S15"));
        r.allow_auto_authorization = false;
        r.first_linkage = false;
        assert!(!refusals(&r).iter().any(|x| x.rule == "S15"), "only a first linkage");
    }
}
