//! `juchu mail list` and `juchu mail settle`: the mail log for staff, and the one decision juchu
//! leaves to them: a mail a crash left at `sending` may or may not have reached the customer.

use clap::Subcommand;

use crate::domain::lang::pick;
use crate::pipeline::runner::RunOptions;
use crate::ExitStatus;

#[derive(Subcommand, Debug)]
pub enum Mail {
    /// The mail log, newest first.
    #[command(after_help = "Examples:\n  juchu mail list\n  juchu mail list --status sending      what a crash left for staff to settle")]
    List {
        /// Only mails in this state: sending, sent or failed.
        #[arg(long, value_parser = ["sending", "sent", "failed"])]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Settle a mail left at `sending` (送信中): `--arrived` if the customer has it, `--resend` to
    /// have the next run send it again. Logged with who and when.
    #[command(
        after_help = "Examples:\n  juchu mail settle 338811-20261201-0000032082 --template order_confirmation --arrived\n  juchu mail settle 10000001 --mall aupay --template order_confirmation --resend --note \"not in the SMTP server's log\"\n\nLook the mail up in the SMTP server's log (its Message-ID is in `juchu mail list`) before choosing."
    )]
    Settle {
        order_number: String,
        #[arg(long)]
        template: String,
        /// The mall (settings name), where two malls use the same number.
        #[arg(long)]
        mall: Option<String>,
        /// The mail reached the customer: it is never sent again.
        #[arg(long, conflicts_with = "resend", required_unless_present = "resend")]
        arrived: bool,
        /// It did not: the next run sends it again.
        #[arg(long)]
        resend: bool,
        /// Why, in the log (the SMTP server's answer, a customer's call).
        #[arg(long)]
        note: Option<String>,
    },
}

pub fn mail(command: Mail, opts: &RunOptions) -> ExitStatus {
    match command {
        Mail::List { status, limit } => list(status.as_deref(), limit, opts),
        Mail::Settle { order_number, template, mall, arrived: _, resend, note } => {
            settle(&order_number, &template, mall.as_deref(), resend, note.as_deref(), opts)
        }
    }
}

fn list(status: Option<&str>, limit: usize, opts: &RunOptions) -> ExitStatus {
    let (store, _) = match super::query::open_read_only(opts) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    match store.mail_list(status, limit) {
        Ok(rows) if rows.is_empty() => {
            println!("{}", pick("該当するメールはありません", "no such mail in the log"));
            ExitStatus::Success
        }
        Ok(rows) => {
            for r in rows {
                println!(
                    "{}  {}/{}  {}  {}  {}  {}{}",
                    r.updated_at,
                    r.mall,
                    r.order_number,
                    r.template,
                    r.status,
                    r.recipient,
                    r.subject,
                    if r.reason.is_empty() { String::new() } else { format!("  ({})", r.reason) }
                );
            }
            ExitStatus::Success
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitStatus::Internal
        }
    }
}

fn settle(order_number: &str, template: &str, mall: Option<&str>, resend: bool, note: Option<&str>, opts: &RunOptions) -> ExitStatus {
    let (_lock, store) = match super::query::open_for_writing(opts, &format!("mail settle {order_number}")) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    let rows = match store.mail_rows_for(order_number, template, mall) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitStatus::Internal;
        }
    };
    let (mall, shop, status) = match rows.as_slice() {
        [one] => one.clone(),
        [] => {
            eprintln!(
                "error: {}",
                pick(
                    format!("{order_number} の {template} はメール記録にありません"),
                    format!("the mail log has no {template} for {order_number}")
                )
            );
            eprintln!("  help: juchu mail list --status sending");
            return ExitStatus::Usage;
        }
        many => {
            let malls: Vec<&str> = many.iter().map(|(m, _, _)| m.as_str()).collect();
            eprintln!(
                "error: {}",
                pick(
                    format!("{order_number} は複数のモールにあります: {}", malls.join(", ")),
                    format!("{order_number} is in more than one mall: {}", malls.join(", "))
                )
            );
            eprintln!("  help: --mall {}", malls[0]);
            return ExitStatus::Usage;
        }
    };
    if status != "sending" {
        eprintln!(
            "error: {}",
            pick(
                format!("{mall}/{order_number} の {template} は「{status}」で、送信中ではありません: 決めることはありません"),
                format!("{template} for {mall}/{order_number} is `{status}`, not `sending`: there is nothing to settle")
            )
        );
        eprintln!(
            "  help: {}",
            pick("失敗したメールは次の実行で自動的に再送されます", "a failed mail is sent again by the next run on its own")
        );
        return ExitStatus::Usage;
    }
    let by = crate::io::login_name("unknown");
    let now = opts.clock.now();
    match store.settle_mail(&mall, &shop, order_number, template, resend, &by, note, now) {
        Ok(()) => {
            println!(
                "{}",
                if resend {
                    pick(
                        format!("{mall}/{order_number} の {template}: 次の実行で送り直します（{by}、記録しました）"),
                        format!("{template} for {mall}/{order_number}: the next run sends it again (logged, {by})"),
                    )
                } else {
                    pick(
                        format!("{mall}/{order_number} の {template}: 送信済みにしました。再送しません（{by}、記録しました）"),
                        format!("{template} for {mall}/{order_number}: settled as sent, never sent again (logged, {by})"),
                    )
                }
            );
            ExitStatus::Success
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitStatus::Internal
        }
    }
}
