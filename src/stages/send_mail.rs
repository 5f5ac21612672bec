//! Stage `send_mail`: one template's mail to each order it is due for, once. Each mail is logged
//! `sending` (committed) before it leaves and `sent` after, outside one big transaction on purpose:
//! a crash in between leaves `sending`, which is reported and never sent again (README, "Order mails").

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{require_file, CheckContext, Preview, Resource, RunContext, Stage, StageError, StageOutcome};
use crate::config::diagnostic::Diagnostic;
use crate::config::settings::{MailSettings, Settings};
use crate::config::yaml::Spanned;
use crate::domain::lang::pick;
use crate::domain::order::Order;
use crate::mail::render::{ItemContext, MailContext, MailTemplate, OrderContext, ShopContext, TemplateError};
use crate::mail::{message, smtp};
use crate::store::mail::{MailLogEntry, MailOrder};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendMailConfig {
    /// The template file, relative to the pipeline file.
    pub template: Spanned<String>,
    /// Which orders: `new` (the default: orders first fetched since the stage first ran, so turning
    /// mails on does not mail last month's customers) or `all` (every order not cancelled). Either
    /// way only those with no mail of this template sent yet; a failed one is tried again.
    #[serde(default)]
    pub when: When,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    #[default]
    New,
    All,
    /// 出荷連絡: orders whose slip's tracking number came back (`import_tracking`), once each.
    Shipped,
}

fn shop_context(settings: &Settings, mail: &MailSettings) -> ShopContext {
    ShopContext { name: settings.shop.name.clone(), signature: mail.signature.clone(), phone: settings.shop.sender.phone.clone() }
}

fn mail_settings(settings: &Settings, place: crate::config::diagnostic::Place) -> Result<&MailSettings, Diagnostic> {
    settings.mail.as_ref().ok_or_else(|| {
        Diagnostic::error("C070", "the settings have no `mail:` section")
            .at(place)
            .help("add `mail:` with `from` (the sender address) and `signature` to shop.yaml")
    })
}

/// A template problem at the template's line.
fn template_diagnostic(path: &Path, e: &TemplateError) -> Diagnostic {
    let d = Diagnostic::error("R010", pick(e.message.clone(), format!("the mail template does not render: {}", e.message)));
    let d = match e.line {
        Some(line) => {
            let text = std::fs::read_to_string(path).ok().and_then(|t| t.lines().nth(line - 1).map(str::to_string));
            d.at_line(path, line, None, text)
        }
        None => d.in_file(path),
    };
    d.help("the names are shop.name, shop.signature, order.number, … (README, \"Order mails\"); the filters are yen, jdate, time_slot")
}

/// Rakuten's relay (sub.fw.rakuten.ne.jp:587) takes mail to masked buyer addresses only from an
/// address registered in RMS: a template juchu sends for a Rakuten mall from another address bounces.
fn rakuten_sender_warnings(settings: &Settings, mail: &MailSettings, template: &Path) -> Vec<Diagnostic> {
    let name = template.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    settings
        .malls
        .iter()
        .filter(|(_, m)| m.mall_kind == crate::domain::mall::MallKind::Rakuten)
        .filter(|(_, m)| !m.mall_sends_own_mail.iter().any(|t| t == name))
        .filter(|_| !mail.rms_senders.iter().any(|a| a.eq_ignore_ascii_case(&mail.from.value)))
        .map(|(mall, _)| {
            Diagnostic::warning(
                "C072",
                pick(
                    format!("{mall} 宛ての {name} は RMS に登録されていない送信元 {} から送られます", mail.from.value),
                    format!("{name} would go to {mall}'s buyers from {}, which is not an RMS-registered sender", mail.from.value),
                ),
            )
            .at(settings.file.place_at(&mail.from.referenced))
            .help(format!(
                "list the address under `mail.rms_senders` once it is registered in RMS, or set `from` to one that is; or add `{name}` to `malls.{mall}.mall_sends_own_mail`"
            ))
        })
        .collect()
}

impl SendMailConfig {
    fn template(&self, path: &Path) -> Result<MailTemplate, Diagnostic> {
        MailTemplate::load(path).map_err(|e| template_diagnostic(path, &e))
    }
}

/// The names a template sees for one stored order.
fn order_context(o: &MailOrder) -> Result<OrderContext, String> {
    let order: Order = serde_json::from_str(&o.normalized).map_err(|e| format!("the stored order does not read: {e}"))?;
    let ship_to = order.shipments.first().map(|s| &s.ship_to).unwrap_or(&order.orderer);
    Ok(OrderContext {
        mall: o.mall.clone(),
        number: o.order_number.clone(),
        ordered_on: order.ordered_at.date_naive().to_string(),
        orderer_name: order.orderer.name.clone(),
        email: order.orderer.email.clone(),
        ship_to_name: ship_to.name.clone(),
        ship_to_address: format!("〒{} {}{}", ship_to.postal_code, ship_to.prefecture, ship_to.address),
        payment_method: order.payment_method.clone(),
        billing_total: o.billing_total.or(order.amounts.billing_total.yen()).unwrap_or(0),
        shipping: o.shipping_fee.or(order.amounts.shipping.yen()).unwrap_or(0),
        ship_date: o.ship_date.clone().unwrap_or_default(),
        carrier: o.carrier.clone().unwrap_or_default(),
        desired_date: order.desired_delivery.date.map(|d| d.to_string()).unwrap_or_default(),
        desired_time_slot: order.desired_delivery.time_slot.clone().unwrap_or_default(),
        // The slip's number once the carrier's file came back; else the mall's (Yahoo and au PAY
        // send `carrier code:number`, and the customer reads only the number).
        tracking_number: o.tracking_number.clone().unwrap_or_else(|| {
            let mall = order.extras.tracking_numbers.first().cloned().unwrap_or_default();
            mall.rsplit_once(':').map(|(_, n)| n.to_string()).unwrap_or(mall)
        }),
        items: order
            .items
            .iter()
            .map(|i| ItemContext {
                name: i.name.clone(),
                options: i.options_text.clone(),
                quantity: i.quantity,
                unit_price: i.unit_price.unwrap_or(0),
            })
            .collect(),
    })
}

/// `<outbox>/<template>/<mall>-<order>.eml`.
fn eml_path(outbox: &Path, template: &str, mall: &str, order_number: &str) -> PathBuf {
    let safe: String = order_number.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    outbox.join(template).join(format!("{mall}-{safe}.eml"))
}

/// Writes the mail's file whole or not at all (a temporary file, renamed).
fn write_eml(outbox: &Path, template: &str, mall: &str, order_number: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let path = eml_path(outbox, template, mall, order_number);
    let dir = path.parent().unwrap_or(outbox);
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{}.tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("mail")));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

impl Stage for SendMailConfig {
    fn needs(&self) -> &'static [Resource] {
        &[Resource::Orders, Resource::Enrichment]
    }

    fn check(&self, cx: &mut CheckContext<'_>) -> Vec<Diagnostic> {
        let path = match require_file(&cx.env, &self.template, pick("メールテンプレート", "mail template").as_str()) {
            Ok(p) => p,
            Err(d) => return vec![d],
        };
        let Some(settings) = cx.settings else { return Vec::new() };
        let mail = match mail_settings(settings, cx.env.stage_place()) {
            Ok(m) => m,
            Err(d) => return vec![d],
        };
        let mut diags = rakuten_sender_warnings(settings, mail, &path);
        // Rendered against a sample order with every name filled: a misspelt name is found here, not at 3 a.m.
        match self
            .template(&path)
            .and_then(|t| t.render(&MailContext::sample(shop_context(settings, mail))).map_err(|e| template_diagnostic(&path, &e)))
        {
            Ok(_) => {}
            Err(d) => diags.push(d),
        }
        diags
    }

    fn run(&self, cx: &RunContext<'_>) -> Result<StageOutcome, StageError> {
        let path = require_file(&cx.env, &self.template, "mail template")?;
        let mail = mail_settings(cx.settings, cx.env.stage_place())?;
        let template = self.template(&path)?;
        let shop = shop_context(cx.settings, mail);
        let mut session = match &mail.smtp {
            Some(s) => Some(smtp::Session::new(s).map_err(|e| {
                Diagnostic::error("C071", pick(e.clone(), format!("the SMTP settings cannot be used: {e}")))
                    .in_file(cx.settings.path())
                    .help("check mail.smtp's host, port and tls, and that the user and password variables are exported")
            })?),
            None => None,
        };
        let since = match self.when {
            When::New => Some(cx.store.mail_since(&template.name, cx.run_id)?),
            When::All | When::Shipped => None,
        };
        let orders = cx.store.mail_orders(since, &template.name, self.when == When::Shipped)?;
        let mut out = StageOutcome { rows_in: orders.len() as u64, ..StageOutcome::default() };
        let mut left_sending = Vec::new();
        let statuses = cx.store.mail_statuses(&template.name)?;
        // The outbox needs no per-mail commit: a file is renamed into place whole, so it is its own
        // record. Its rows are written at the end in one transaction; a crash rolls the log back, and
        // the next run finds the files it wrote and logs them `sent` without writing them again.
        let smtp_mode = session.is_some();
        // Rows not yet written: the outbox's all (written at the end), SMTP's failures (written with
        // the next intent).
        let mut unlogged_rows: Vec<MailLogEntry> = Vec::new();
        // SMTP: a mail's result waits to be committed with the next mail's intent (one commit a mail).
        let mut unlogged_result: Option<MailLogEntry> = None;
        // Which orders have a row in the log: those before this stage, and those it has written.
        let key = |e: &MailLogEntry| (e.mall.clone(), e.shop.clone(), e.order_number.clone());
        let mut logged: std::collections::HashSet<(String, String, String)> = statuses.keys().cloned().collect();
        let has_row = |logged: &std::collections::HashSet<(String, String, String)>, e: &MailLogEntry| logged.contains(&key(e));
        // The orders read leave out those already sent; the message still counts them.
        out.rows_unchanged = statuses.values().filter(|s| *s == "sent").count() as u64;
        for o in &orders {
            if cx.settings.malls.get(&o.mall).is_some_and(|m| m.mall_sends_own_mail.contains(&template.name)) {
                continue;
            }
            match statuses.get(&(o.mall.clone(), o.shop.clone(), o.order_number.clone())).map(String::as_str) {
                Some("sent") => continue,
                // Sent or not: the server may have taken it before the crash. Never twice; staff settle it.
                Some("sending") => {
                    left_sending.push(format!("{}/{}", o.mall, o.order_number));
                    continue;
                }
                _ => {}
            }
            let mut entry = MailLogEntry {
                mall: o.mall.clone(),
                shop: o.shop.clone(),
                order_number: o.order_number.clone(),
                template: template.name.clone(),
                status: "failed",
                message_id: message::message_id(&o.mall, &o.order_number, &template.name, &mail.from.value),
                ..MailLogEntry::default()
            };
            let order = match order_context(o) {
                Ok(order) => order,
                Err(reason) => {
                    entry.reason = Some(reason);
                    out.failed += 1;
                    unlogged_rows.push(entry);
                    continue;
                }
            };
            // No address from the mall (a CSV mall's export without one): no mail is due; check 10 stays n/a.
            if order.email.is_empty() {
                continue;
            }
            entry.recipient = order.email.clone();
            let built = template
                .render(&MailContext { shop: shop.clone(), order })
                .map_err(|e| format!("{}: {e}", template.path.display()))
                .and_then(|rendered| {
                    let msg = message::build(
                        &mail.from.value,
                        &mail.from_name,
                        &entry.recipient,
                        &rendered,
                        &entry.message_id,
                        cx.now,
                        mail.charset,
                    )?;
                    Ok((rendered, msg))
                });
            let msg = match built {
                Ok((rendered, msg)) => {
                    entry.subject = rendered.subject;
                    entry.body = rendered.body;
                    msg
                }
                Err(reason) => {
                    entry.reason = Some(reason);
                    out.rows_rejected += 1;
                    out.failed += 1;
                    unlogged_rows.push(entry);
                    continue;
                }
            };
            let found = eml_path(&mail.outbox_path, &template.name, &o.mall, &o.order_number);
            if !smtp_mode && found.is_file() {
                entry.status = "sent";
                entry.reason = Some(crate::config::diagnostic::display_path(&found));
                out.rows_unchanged += 1;
                unlogged_rows.push(entry);
                continue;
            }
            entry.status = "sending";
            let sent = match &mut session {
                Some(s) => {
                    // The intent is on disk before the mail leaves, with the previous mail's result.
                    let mut rows: Vec<&MailLogEntry> = unlogged_result.iter().chain(unlogged_rows.iter()).collect();
                    rows.push(&entry);
                    cx.store.log_mails_now(&rows, |e| has_row(&logged, e), cx.run_id, cx.now)?;
                    logged.extend(rows.iter().map(|e| key(e)));
                    unlogged_rows.clear();
                    s.send(&msg).map(|()| "smtp".to_string())
                }
                None => write_eml(&mail.outbox_path, &template.name, &o.mall, &o.order_number, &msg.formatted())
                    .map(|p| crate::config::diagnostic::display_path(&p))
                    .map_err(|e| e.to_string()),
            };
            // The window that remains: the mail is out, `sent` not yet written.
            super::crash_point("mail_after_send_before_result");
            match sent {
                Ok(to) => {
                    entry.status = "sent";
                    entry.reason = Some(to);
                    out.rows_out += 1;
                    out.rows_new += 1;
                }
                Err(e) => {
                    entry.status = "failed";
                    entry.reason = Some(e);
                    out.failed += 1;
                }
            }
            if smtp_mode {
                unlogged_result = Some(entry);
            } else {
                unlogged_rows.push(entry);
            }
        }
        // The rest in one transaction: the outbox's rows (new ones appended), or the last SMTP result
        // and the failures after it.
        let tx = cx.store.conn.unchecked_transaction().map_err(anyhow::Error::from)?;
        let (replaced, new): (Vec<&MailLogEntry>, Vec<&MailLogEntry>) =
            unlogged_result.iter().chain(unlogged_rows.iter()).partition(|e| has_row(&logged, e));
        cx.store.log_mails(&replaced, |_| true, cx.run_id, cx.now)?;
        cx.store.append_mail_log(&new.into_iter().cloned().collect::<Vec<_>>(), cx.run_id, cx.now)?;
        tx.commit().map_err(anyhow::Error::from)?;
        out.message = pick(
            format!(
                "{} 通送信、{} 通は送信済み、{} 通失敗",
                out.rows_out,
                out.rows_unchanged,
                out.rows_rejected + out.failed.saturating_sub(out.rows_rejected)
            ),
            format!("{} sent, {} already sent, {} failed", out.rows_out, out.rows_unchanged, out.failed),
        );
        if !left_sending.is_empty() {
            out.failed += left_sending.len() as u64;
            out.message.push_str(&pick(
                format!(
                    "。送信中のまま止まったメール {} 通（再送しません。届いたか確かめて `juchu mail settle` で決めてください）: {}",
                    left_sending.len(),
                    left_sending.join(", ")
                ),
                format!(
                    "; {} mail(s) left at `sending` by an earlier run, not sent again (check whether they arrived, then `juchu mail settle`): {}",
                    left_sending.len(),
                    left_sending.join(", ")
                ),
            ));
        }
        Ok(out)
    }

    fn preview(&self, cx: &RunContext<'_>, limit: usize) -> Result<Preview, StageError> {
        let mut stmt = cx
            .store
            .conn
            .prepare("SELECT mall, order_number, status, recipient, subject FROM mail_log ORDER BY mall, order_number LIMIT ?")?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok((0..5).map(|i| r.get::<_, Option<String>>(i).map(Option::unwrap_or_default)).collect::<duckdb::Result<Vec<_>>>())
            })?
            .collect::<duckdb::Result<duckdb::Result<Vec<Vec<String>>>>>()?;
        let total: i64 = cx.store.conn.query_row("SELECT count(*) FROM mail_log", [], |r| r.get(0))?;
        Ok(Preview {
            table: "mail_log".into(),
            columns: ["mall", "order_number", "status", "recipient", "subject"].map(String::from).to_vec(),
            rows: rows?,
            total: total as usize,
        })
    }
}
