//! `juchu explain ORDER`: one order's enriched values, where each came from, and its ten checks,
//! the way staff ask "why does this order say 佐川急便?".

use unicode_width::UnicodeWidthStr;

use crate::domain::checks::{CheckResult, CHECK_NAMES};
use crate::domain::fields::Field;
use crate::domain::lang::{self, Lang};
use crate::pipeline::runner::RunOptions;
use crate::store::enrichment::{Lookup, OrderFacts, PendingOrder, StoredText};
use crate::store::Store;
use crate::ExitStatus;

pub fn explain(order_number: &str, mall: Option<&str>, opts: &RunOptions) -> ExitStatus {
    let (store, path) = match super::query::open_read_only(opts) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    match render(&store, order_number, mall) {
        Ok(Some(text)) => {
            print!("{text}");
            ExitStatus::Success
        }
        Ok(None) => {
            eprintln!(
                "error: no enriched order `{order_number}`{} in {}",
                mall.map(|m| format!(" at {m}")).unwrap_or_default(),
                path.display()
            );
            eprintln!("  = help: check the number with `juchu query \"select mall, order_number from orders\"`; orders are enriched by the `enrich` stage");
            ExitStatus::Usage
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitStatus::Internal
        }
    }
}

/// An order a mall listed that the store does not have: why, and what happens next.
fn pending(order_number: &str, p: &PendingOrder) -> String {
    let lang = lang::current();
    let (mall, polls, since, detail) = (&p.mall, p.polls, &p.first_seen, &p.detail);
    if p.reason == "unreadable" {
        crate::domain::checks::say!(
            lang,
            "{mall}/{order_number}: 読み取れない受注として取り置き中（{since} から、取得{polls}回）\n  理由: {detail}\n  モールの受注データは pending_orders.raw にあります。毎回読み直し、読めれば取り込みます。\n",
            "{mall}/{order_number}: set aside as unreadable (since {since}, {polls} poll(s))\n  why: {detail}\n  the mall's payload is in pending_orders.raw; every poll reads it again and takes it in once it reads.\n"
        )
    } else {
        crate::domain::checks::say!(
            lang,
            "{mall}/{order_number}: モールが一覧に出しましたが、まだ届いていません（{since} から、取得{polls}回）\n  モールの応答: {detail}\n  毎回取得し直し、届けば取り込みます。\n",
            "{mall}/{order_number}: listed by the mall, not sent yet (since {since}, {polls} poll(s))\n  the mall said: {detail}\n  every poll asks again and takes it in once sent.\n"
        )
    }
}

fn render(store: &Store, order_number: &str, mall: Option<&str>) -> anyhow::Result<Option<String>> {
    let lang = lang::current();
    let order = match store.enriched_order(order_number, mall)? {
        Lookup::Found(order) => order,
        Lookup::NotEnriched => return Ok(None),
        Lookup::Pending(p) => return Ok(Some(pending(order_number, &p))),
        Lookup::AtSeveralMalls(malls) => {
            anyhow::bail!("order number `{order_number}` is at several malls ({}): add --mall with one of them", malls.join(", "))
        }
    };
    let mut out = format!("{}/{}/{}\n", order.mall, order.shop, order.order_number);
    let f = &order.facts;
    let say = |ja: &str, en: &str| lang::pick(ja, en).to_string();
    let yen = |v: Option<i64>| v.map(|v| format!("{v}")).unwrap_or_else(|| "—".into());
    let mut facts: Vec<(String, String)> = vec![
        (
            say("モールのステータス", "mall status"),
            if f.mall_status.is_empty() { say("（なし：不明）", "(none: unknown)") } else { f.mall_status.clone() },
        ),
        (say("注文者", "orderer"), if f.orderer.is_empty() { "—".into() } else { f.orderer.clone() }),
        (
            say("ギフト", "gift"),
            format!(
                "{}{}",
                if f.is_gift { say("はい", "yes") } else { say("いいえ", "no") },
                f.gift_flag
                    .as_ref()
                    .map(|g| format!(" ({g})"))
                    .unwrap_or_else(|| say(" (氏名・住所から)", " (from the names and addresses)"))
            ),
        ),
        (say("顧客キー", "customer key"), f.customer_key.clone().unwrap_or_else(|| say("なし（ランク付けなし）", "none (not ranked)"))),
        (
            say("モールの金額", "the mall's amounts"),
            crate::domain::checks::say!(
                lang,
                "商品 {} / 送料 {} / 代引料 {} / クーポン {} / ポイント {} / 請求 {}",
                "goods {} / shipping {} / COD fee {} / coupons {} / points {} / billing {}",
                yen(f.goods),
                yen(f.shipping),
                yen(f.cod_fee),
                yen(f.coupons),
                yen(f.points),
                yen(f.billing_total)
            ),
        ),
    ];
    if f.cancelled {
        facts.push((say("キャンセル", "cancelled"), say("はい", "yes")));
    }
    if let Some(absent) = &f.amounts_absent {
        facts.push((say("モールが送らなかった金額", "amounts the mall did not send"), absent.clone()));
    }
    for (key, value) in &f.extras {
        let label = match key.as_str() {
            "wrapping" => say("ラッピング", "wrapping"),
            "noshi" => say("のし", "noshi"),
            "postage_included" => say("送料込み", "postage included"),
            "tracking_numbers" => say("モールの追跡番号", "the mall's tracking numbers"),
            "default_delivery_company" => say("モールの配送会社コード", "the mall's carrier code"),
            "asuraku" => say("あす楽", "asuraku (next-day)"),
            "delivery_date_info" => say("納期情報", "lead time"),
            "shop_coupons" => say("クーポンのうち店舗負担", "coupons the shop pays"),
            other => other.to_string(),
        };
        facts.push((label, value.clone()));
    }
    let facts_width = facts.iter().map(|(l, _)| l.width()).max().unwrap_or(0);
    for (label, value) in &facts {
        out.push_str(&format!("  {label}{}  {value}\n", " ".repeat(facts_width - label.width())));
    }
    let n = order.shipments.len();
    for shipment in &order.shipments {
        out.push_str(&format!(
            "{} {}/{n}: {}{}{}\n",
            say("送付先", "destination"),
            shipment.shipment_no,
            if shipment.recipient.is_empty() { "—" } else { &shipment.recipient },
            if shipment.address_pending {
                say("（住所未入力: モールの仮の住所）", " (address not entered yet: the mall's placeholder)")
            } else {
                String::new()
            },
            match (&shipment.delivery, shipment.postage) {
                (Some(d), Some(p)) =>
                    say(&format!("; モールの配送方法 {d}; 送料 {p}"), &format!("; the mall's delivery method {d}; postage {p}")),
                (Some(d), None) => say(&format!("; モールの配送方法 {d}"), &format!("; the mall's delivery method {d}")),
                (None, Some(p)) => say(&format!("; 送料 {p}"), &format!("; postage {p}")),
                (None, None) => String::new(),
            }
        ));
        for item in &shipment.items {
            out.push_str(&format!("  {} {item}\n", say("明細", "item")));
        }
        render_shipment(&mut out, shipment, f, lang);
    }
    Ok(Some(out))
}

fn render_shipment(out: &mut String, shipment: &crate::store::enrichment::EnrichedShipment, facts: &OrderFacts, lang: Lang) {
    let shown_values: Vec<(&str, String, String)> = shipment
        .values
        .iter()
        .map(|(f, value, source)| {
            // Where a rule set a fee, the mall's own amount beside it.
            let mall = match f {
                Field::ShippingFee => shipment.postage.or(facts.shipping),
                Field::CodFee => facts.cod_fee,
                _ => None,
            };
            let source = match mall {
                Some(m) if !source.starts_with("the mall") && !source.starts_with("モール") => match lang {
                    Lang::Ja => format!("{source}（モールの額 {m}）"),
                    Lang::En => format!("{source} (the mall's: {m})"),
                },
                _ => source.clone(),
            };
            let value = match value {
                StoredText::Value(v) => v.clone(),
                StoredText::Tax(t) => t.map(|(s, r)| match lang {
                    Lang::Ja => format!("10 %: {s}円, 8 %: {r}円"),
                    Lang::En => format!("10 %: {s} yen, 8 %: {r} yen"),
                }),
            };
            (f.label().get(lang), value.unwrap_or_else(|| "—".into()), source)
        })
        .collect();
    let width = shown_values.iter().map(|(l, _, _)| l.width()).max().unwrap_or(0);
    let value_width = shown_values.iter().map(|(_, v, _)| v.width()).max().unwrap_or(0).min(40);
    for (label, value, source) in &shown_values {
        out.push_str(&format!(
            "  {label}{}  {value}{}  {source}\n",
            " ".repeat(width - label.width()),
            " ".repeat(value_width.saturating_sub(value.width()))
        ));
    }
    out.push_str(&lang::pick("チェック\n", "checks\n"));
    let name_width = CHECK_NAMES.iter().map(|n| n.get(lang).width()).max().unwrap_or(0);
    for c in &shipment.checks {
        let mark = match c.result {
            CheckResult::Pass => "✓",
            CheckResult::Fail => "✗",
            CheckResult::NotApplicable => "-",
        };
        let name = CHECK_NAMES.get(c.no as usize - 1).map(|n| n.get(lang)).unwrap_or_default();
        out.push_str(&format!("  {mark} {:>2} {name}{}  {}\n", c.no, " ".repeat(name_width.saturating_sub(name.width())), c.reason));
    }
    let fired = &shipment.fired_rules;
    let none = lang::pick("なし", "none");
    out.push_str(&format!("{}: {}\n", lang::pick("適用したルール", "rules fired"), if fired.is_empty() { none.as_str() } else { fired }));
}
