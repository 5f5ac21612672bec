//! Order mails: templates checked by `juchu check`, the demo's mails in the outbox once, check 10
//! from the mail log, and SMTP to a fake server on loopback.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use crate::support::Shop;

fn eml_files(shop: &Shop) -> Vec<std::path::PathBuf> {
    let dir = shop.path("out/outbox/order_confirmation");
    let mut files: Vec<_> = std::fs::read_dir(&dir).map(|d| d.map(|e| e.unwrap().path()).collect()).unwrap_or_default();
    files.sort();
    files
}

#[test]
fn the_demo_writes_each_order_confirmation_once() {
    let shop = Shop::sample();
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let files = eml_files(&shop);
    let sent: usize = shop.query_one("select count(*) from mail_log where status = 'sent'").parse().unwrap();
    assert!(sent > 10, "{}", out.stdout);
    assert_eq!(files.len(), sent, "one .eml per mail sent");
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.contains("Message-ID: <order_confirmation."), "{eml}");
    assert!(eml.contains("From: =?utf-8?"), "the name is encoded: {eml}");
    // Check 10 passes for the orders mailed, from the log.
    assert_eq!(
        shop.query_one("select count(distinct order_id) from order_checks where check_no = 10 and result = 'pass'"),
        sent.to_string()
    );
    let before: Vec<_> = files.iter().map(|f| std::fs::metadata(f).unwrap().modified().unwrap()).collect();
    // A second run: no order is new, nothing is sent again; a replay does not rewrite check 10.
    let again = shop.run_demo();
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let again = shop.juchu(&["run", "--replay", "pipelines/demo.yaml"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(eml_files(&shop), files);
    let after: Vec<_> = files.iter().map(|f| std::fs::metadata(f).unwrap().modified().unwrap()).collect();
    assert_eq!(before, after, "no mail written twice");
    assert_eq!(
        shop.query_one("select count(distinct order_id) from order_checks where check_no = 10 and result = 'pass'"),
        sent.to_string()
    );
}

#[test]
fn with_every_order_the_log_still_sends_each_mail_once() {
    let shop = Shop::sample();
    shop.edit("pipelines/demo.yaml", "when: new", "when: all");
    assert_eq!(shop.run_demo().code, 0);
    let first = eml_files(&shop).len();
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains(&format!("0 sent, {first} already sent")), "{}", out.stdout);
    assert_eq!(eml_files(&shop).len(), first);
}

#[test]
fn a_crash_after_an_outbox_file_is_written_does_not_write_it_again() {
    let shop = Shop::sample();
    let crashed = shop.juchu_env(&["run", "pipelines/demo.yaml"], &[("JUCHU_CRASH_AT", "mail_after_send_before_result")]);
    assert_ne!(crashed.code, 0);
    // The log rolled back with the crash; the file it wrote is its own record.
    assert_eq!(shop.query_one("select count(*) from mail_log"), "0");
    let first = eml_files(&shop);
    assert_eq!(first.len(), 1);
    let written = std::fs::metadata(&first[0]).unwrap().modified().unwrap();
    shop.edit("pipelines/demo.yaml", "when: new", "when: all");
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("1 already sent"), "{}", out.stdout);
    assert_eq!(std::fs::metadata(&first[0]).unwrap().modified().unwrap(), written, "not written again");
    assert_eq!(eml_files(&shop).len().to_string(), shop.query_one("select count(*) from mail_log where status = 'sent'"));
}

#[test]
fn check_renders_the_template_and_names_the_line_of_an_unknown_name() {
    let shop = Shop::sample();
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    shop.edit("mail-templates/order_confirmation.txt", "{{ order.billing_total | yen }}", "{{ order.billing_totl | yen }}");
    let out = shop.juchu(&["check", "pipelines/demo.yaml"]);
    assert_eq!(out.code, 78, "{}\n{}", out.stdout, out.stderr);
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(text.contains("[R010]") && text.contains("order_confirmation.txt:17"), "{text}");
}

#[test]
fn a_failed_render_fails_check_10_with_the_reason() {
    let shop = Shop::sample();
    // `juchu check` would refuse this template; the run meets an order whose value the filter rejects.
    shop.edit("mail-templates/order_confirmation.txt", "{{ order.ordered_on | jdate }}", "{{ order.payment_method | jdate }}");
    let out = shop.run_demo();
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(shop.query_one("select count(*) from mail_log where status <> 'failed'"), "0");
    let reason = shop.query_one("select reason from order_checks where check_no = 10 and result = 'fail' limit 1");
    assert!(reason.contains("is not a date"), "{reason}");
    assert!(eml_files(&shop).is_empty());
}

/// A fake SMTP server on loopback: EHLO, MAIL, RCPT, DATA, QUIT; keeps each message's data.
fn fake_smtp() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let kept = messages.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let kept = kept.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let _ = stream.write_all(b"220 fake ESMTP\r\n");
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-fake\r\n250 8BITMIME\r\n",
                        "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 ok\r\n",
                        "DATA" => {
                            let _ = stream.write_all(b"354 go on\r\n");
                            let mut data = String::new();
                            loop {
                                line.clear();
                                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == ".\r\n" {
                                    break;
                                }
                                data.push_str(&line);
                            }
                            kept.lock().unwrap().push(data);
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = stream.write_all(b"221 bye\r\n");
                            return;
                        }
                        _ => b"502 no\r\n",
                    };
                    let _ = stream.write_all(reply);
                }
            });
        }
    });
    (port, messages)
}

#[test]
fn with_smtp_the_mails_go_to_the_server_once() {
    let (port, messages) = fake_smtp();
    let shop = Shop::sample();
    shop.edit(
        "shop.yaml",
        "  from_name: 和み雑貨店\n",
        &format!("  from_name: 和み雑貨店\n  smtp: {{ host: 127.0.0.1, port: {port}, tls: none }}\n"),
    );
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let sent: usize = shop.query_one("select count(*) from mail_log where status = 'sent' and reason = 'smtp'").parse().unwrap();
    assert!(sent > 10);
    let got = messages.lock().unwrap().clone();
    assert_eq!(got.len(), sent);
    assert!(got.iter().all(|m| m.contains("Message-ID: <order_confirmation.")), "{}", got[0]);
    assert!(eml_files(&shop).is_empty(), "no outbox with smtp");
    assert_eq!(shop.run_demo().code, 0);
    assert_eq!(messages.lock().unwrap().len(), sent, "not sent twice");
}

#[test]
fn a_crash_after_the_server_took_a_mail_leaves_sending_reported_and_never_resent() {
    let (port, messages) = fake_smtp();
    let shop = Shop::sample();
    shop.edit(
        "shop.yaml",
        "  from_name: 和み雑貨店\n",
        &format!("  from_name: 和み雑貨店\n  smtp: {{ host: 127.0.0.1, port: {port}, tls: none }}\n"),
    );
    shop.edit("pipelines/demo.yaml", "when: new", "when: all");
    let crashed = shop.juchu_env(&["run", "pipelines/demo.yaml"], &[("JUCHU_CRASH_AT", "mail_after_send_before_result")]);
    assert_ne!(crashed.code, 0);
    assert_eq!(messages.lock().unwrap().len(), 1, "the server has it");
    let victim = shop.query_one("select order_number from mail_log where status = 'sending'");
    let out = shop.run_demo();
    assert_eq!(out.code, 1, "staff must look: {}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("left at `sending`") && out.stdout.contains(&victim), "{}", out.stdout);
    assert_eq!(shop.query_one(&format!("select status from mail_log where order_number = '{victim}'")), "sending");
    let got = messages.lock().unwrap().clone();
    assert_eq!(got.iter().filter(|m| m.contains(&victim)).count(), 1, "never twice");
    assert_eq!(got.len().to_string(), shop.query_one("select count(*) from mail_log"));
}

#[test]
fn iso_2022_jp_mails_and_a_mall_that_sends_its_own() {
    let shop = Shop::sample();
    shop.edit("shop.yaml", "  from_name: 和み雑貨店\n", "  from_name: 和み雑貨店\n  charset: iso-2022-jp\n");
    shop.edit("shop.yaml", "    shop_id: A1NAGOMI000000\n", "    shop_id: A1NAGOMI000000\n    mall_sends_own_mail: [order_confirmation]\n");
    let out = shop.run_demo();
    assert!(out.code == 0 || out.code == 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(shop.query_one("select count(*) from mail_log where mall = 'amazon'"), "0", "Amazon mails its buyers itself");
    let files = eml_files(&shop);
    assert!(!files.is_empty(), "{}\n{}\n{}", out.stdout, out.stderr, shop.query_one("select reason from mail_log limit 1"));
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert!(bytes.is_ascii(), "{} is not 7-bit", f.display());
        assert!(String::from_utf8_lossy(&bytes).contains("charset=iso-2022-jp"));
    }
    // What ISO-2022-JP cannot say fails the mail, with the reason; it is never a `?`.
    assert_eq!(shop.query_one("select count(*) from mail_log where status = 'failed' and reason not like '%ISO-2022-JP%'"), "0");
}
