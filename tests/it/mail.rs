//! Order mails: templates checked by `juchu check`, the demo's mails in the outbox once, check 10
//! from the mail log, and SMTP to a real SMTP server on loopback.

use std::io::{BufRead, BufReader};
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
    let out = shop.juchu(&["-v", "run", "pipelines/demo.yaml"]);
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
    let out = shop.juchu(&["-v", "run", "pipelines/demo.yaml"]);
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

/// What the SMTP server received: one entry per message, and how many connections were opened.
#[derive(Default)]
struct Received {
    messages: Vec<Received1>,
    connections: usize,
}

#[derive(Clone, Default)]
struct Received1 {
    from: String,
    to: Vec<String>,
    user: String,
    data: String,
}

/// The server side of one connection: mailin runs the protocol; this keeps what arrives.
#[derive(Clone)]
struct Keeper {
    received: Arc<Mutex<Received>>,
    credentials: Option<(String, String)>,
    current: Received1,
}

impl mailin::Handler for Keeper {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> mailin::Response {
        self.current.from = from.to_string();
        self.current.to = to.to_vec();
        self.current.data.clear();
        mailin::response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.data.push_str(&String::from_utf8_lossy(buf));
        Ok(())
    }
    fn data_end(&mut self) -> mailin::Response {
        self.received.lock().unwrap().messages.push(self.current.clone());
        mailin::response::OK
    }
    fn auth_plain(&mut self, _authz: &str, user: &str, password: &str) -> mailin::Response {
        match &self.credentials {
            Some((u, p)) if u == user && p == password => {
                self.current.user = user.to_string();
                mailin::response::AUTH_OK
            }
            _ => mailin::response::INVALID_CREDENTIALS,
        }
    }
}

/// A real SMTP server on loopback (the mailin state machine over a TCP socket), optionally asking
/// for AUTH PLAIN with the given user and password.
fn smtp_server(credentials: Option<(&str, &str)>) -> (u16, Arc<Mutex<Received>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Received::default()));
    let keeper = Keeper {
        received: received.clone(),
        credentials: credentials.map(|(u, p)| (u.to_string(), p.to_string())),
        current: Received1::default(),
    };
    let mut builder = mailin::SessionBuilder::new("mx.test");
    if credentials.is_some() {
        builder.enable_auth(mailin::AuthMechanism::Plain).insecure_enable_plaintext_auth();
    }
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            keeper.received.lock().unwrap().connections += 1;
            let mut session = builder.build(stream.peer_addr().unwrap().ip(), keeper.clone());
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let _ = session.greeting().write_to(&mut writer);
                let mut line = Vec::new();
                loop {
                    line.clear();
                    if reader.read_until(b'\n', &mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let response = session.process(&line);
                    if response.action != mailin::Action::NoReply && response.write_to(&mut writer).is_err() {
                        return;
                    }
                    if response.action == mailin::Action::Close {
                        return;
                    }
                }
            });
        }
    });
    (port, received)
}

fn datas(received: &Arc<Mutex<Received>>) -> Vec<String> {
    received.lock().unwrap().messages.iter().map(|m| m.data.clone()).collect()
}

/// A header of a received message, unfolded, with its RFC 2047 words decoded.
fn header(data: &str, name: &str) -> String {
    let head = data.split("\r\n\r\n").next().unwrap_or("");
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let prefix = format!("{}:", name.to_ascii_lowercase());
    let raw = unfolded.lines().find(|l| l.to_ascii_lowercase().starts_with(&prefix)).map(|l| l[prefix.len()..].trim().to_string());
    decode_words(&raw.unwrap_or_default())
}

/// `=?charset?B|Q?…?=` words to text; the whitespace between two words is dropped (RFC 2047 6.2).
fn decode_words(text: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut rest = text;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        // charset ? encoding ? text ?=
        let word = &rest[start + 2..];
        let Some((charset, tail)) = word.split_once('?') else { break };
        let Some((encoding, tail)) = tail.split_once('?') else { break };
        let Some(end) = tail.find("?=") else { break };
        let between = &rest[..start];
        if !(after_word && between.trim().is_empty()) {
            out.push_str(between);
        }
        let bytes = match encoding.to_ascii_uppercase().as_str() {
            "B" => base64::engine::general_purpose::STANDARD.decode(&tail[..end]).unwrap(),
            _ => quoted_printable(&tail[..end].replace('_', " ")),
        };
        out.push_str(&decode_charset(charset, &bytes));
        after_word = true;
        rest = &tail[end + 2..];
    }
    out.push_str(rest);
    out
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() && u8::from_str_radix(&text[i + 1..i + 3], 16).is_ok() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn decode_charset(charset: &str, bytes: &[u8]) -> String {
    match encoding_rs::Encoding::for_label(charset.trim().as_bytes()) {
        Some(enc) => enc.decode(bytes).0.into_owned(),
        None => panic!("unknown charset {charset}"),
    }
}

/// The body of a received message as text: transfer encoding undone, then its charset.
fn body_text(data: &str) -> String {
    use base64::Engine;
    let body = data.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let content_type = header(data, "Content-Type").to_ascii_lowercase();
    let charset = content_type.split("charset=").nth(1).unwrap_or("utf-8").trim_matches('"').to_string();
    let bytes = match header(data, "Content-Transfer-Encoding").to_ascii_lowercase().as_str() {
        "base64" => base64::engine::general_purpose::STANDARD.decode(body.replace("\r\n", "")).unwrap(),
        "quoted-printable" => quoted_printable(body),
        _ => body.as_bytes().to_vec(),
    };
    decode_charset(&charset, &bytes).replace("\r\n", "\n")
}

/// A column of the mail log for one Message-ID, line breaks kept.
fn logged(shop: &Shop, message_id: &str, column: &str) -> String {
    let cell = shop.query_one(&format!("select replace({column}, chr(10), '<LF>') from mail_log where message_id = '{message_id}'"));
    let cell = match cell.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => cell,
    };
    cell.replace("<LF>", "\n")
}

fn with_smtp(shop: &Shop, port: u16, extra: &str) {
    shop.edit(
        "shop.yaml",
        "  from_name: 和み雑貨店\n",
        &format!("  from_name: 和み雑貨店\n  smtp: {{ host: 127.0.0.1, port: {port}, tls: none{extra} }}\n"),
    );
}

#[test]
fn with_smtp_the_mails_go_to_the_server_once_with_auth_and_read_back_right() {
    let (port, received) = smtp_server(Some(("shop-relay", "s3cret-pw")));
    let shop = Shop::sample();
    with_smtp(&shop, port, ", user: \"${SMTP_USER}\", password: \"${SMTP_PASSWORD}\"");
    let env = [("SMTP_USER", "shop-relay"), ("SMTP_PASSWORD", "s3cret-pw")];
    let out = shop.juchu_env(&["-vv", "run", "pipelines/demo.yaml"], &env);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(!out.stdout.contains("s3cret-pw") && !out.stderr.contains("s3cret-pw"), "the password is never logged");
    let sent: usize = shop.query_one("select count(*) from mail_log where status = 'sent' and reason = 'smtp'").parse().unwrap();
    assert!(sent > 10);
    {
        let got = received.lock().unwrap();
        assert_eq!(got.messages.len(), sent);
        assert!(got.connections <= 2, "one pooled connection, not one per mail: {} for {sent}", got.connections);
        assert!(got.messages.iter().all(|m| m.user == "shop-relay"), "every mail authenticated");
        // Each mail reads back as the log recorded it: envelope, headers, subject and body decoded.
        for m in got.messages.iter().take(20) {
            let id = header(&m.data, "Message-ID");
            assert!(id.starts_with("<order_confirmation."), "{id}");
            let (recipient, subject, body) = (logged(&shop, &id, "recipient"), logged(&shop, &id, "subject"), logged(&shop, &id, "body"));
            let (recipient, subject, body) = (recipient.as_str(), subject.as_str(), body.as_str());
            assert_eq!(m.to, vec![recipient.to_string()]);
            assert_eq!(m.from, "shop@nagomi-zakka.example.jp");
            assert_eq!(header(&m.data, "From"), "和み雑貨店 <shop@nagomi-zakka.example.jp>");
            assert_eq!(header(&m.data, "To"), recipient);
            assert_eq!(header(&m.data, "Subject"), subject);
            assert!(subject.starts_with("【和み雑貨店】ご注文ありがとうございます（注文番号 "), "{subject}");
            assert!(header(&m.data, "Content-Type").to_ascii_lowercase().contains("charset=utf-8"));
            assert_eq!(body_text(&m.data).trim_end(), body.trim_end());
            assert!(body.contains(" 様\n") && body.contains("和み雑貨店") && body.contains('¥'), "{body}");
        }
    }
    assert_eq!(shop.juchu_env(&["run", "pipelines/demo.yaml"], &env).code, 0);
    assert_eq!(received.lock().unwrap().messages.len(), sent, "not sent twice");
    assert!(eml_files(&shop).is_empty(), "no outbox with smtp");
}

#[test]
fn a_wrong_smtp_password_fails_the_mails_with_the_servers_reason_and_a_fixed_one_sends_them() {
    let (port, received) = smtp_server(Some(("shop-relay", "s3cret-pw")));
    let shop = Shop::sample();
    with_smtp(&shop, port, ", user: \"${SMTP_USER}\", password: \"${SMTP_PASSWORD}\"");
    let wrong = [("SMTP_USER", "shop-relay"), ("SMTP_PASSWORD", "wrong-pw")];
    let out = shop.juchu_env(&["run", "pipelines/demo.yaml"], &wrong);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(!out.stdout.contains("wrong-pw") && !out.stderr.contains("wrong-pw"));
    assert_eq!(received.lock().unwrap().messages.len(), 0);
    let reason = shop.query_one("select any_value(reason) from mail_log where status = 'failed'");
    assert!(reason.contains("535") || reason.to_lowercase().contains("auth"), "{reason}");
    // Failed is not sent: the next run (password fixed) sends every one of them.
    let right = [("SMTP_USER", "shop-relay"), ("SMTP_PASSWORD", "s3cret-pw")];
    let out = shop.juchu_env(&["run", "pipelines/demo.yaml"], &right);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(shop.query_one("select count(*) from mail_log where status <> 'sent'"), "0");
    assert_eq!(received.lock().unwrap().messages.len().to_string(), shop.query_one("select count(*) from mail_log"));
}

#[test]
fn iso_2022_jp_over_smtp_reads_back_as_the_log_says() {
    let (port, received) = smtp_server(None);
    let shop = Shop::sample();
    with_smtp(&shop, port, "");
    shop.edit("shop.yaml", "  from_name: 和み雑貨店\n", "  from_name: 和み雑貨店\n  charset: iso-2022-jp\n");
    let out = shop.run_demo();
    assert!(out.code == 0 || out.code == 1, "{}\n{}", out.stdout, out.stderr);
    let got = received.lock().unwrap();
    assert!(got.messages.len() > 10);
    for m in got.messages.iter().take(20) {
        assert!(m.data.is_ascii(), "7-bit on the wire");
        let id = header(&m.data, "Message-ID");
        let (subject, body) = (logged(&shop, &id, "subject"), logged(&shop, &id, "body"));
        assert_eq!(header(&m.data, "Subject"), subject);
        assert!(header(&m.data, "Content-Type").to_ascii_lowercase().contains("charset=iso-2022-jp"));
        assert_eq!(body_text(&m.data).trim_end(), body.replace('〜', "～").trim_end(), "the wave dash as ISO-2022-JP carries it");
    }
}

#[test]
fn a_crash_after_the_server_took_a_mail_leaves_sending_reported_and_never_resent() {
    let (port, received) = smtp_server(None);
    let shop = Shop::sample();
    with_smtp(&shop, port, "");
    shop.edit("pipelines/demo.yaml", "when: new", "when: all");
    let crashed = shop.juchu_env(&["run", "pipelines/demo.yaml"], &[("JUCHU_CRASH_AT", "mail_after_send_before_result")]);
    assert_ne!(crashed.code, 0);
    assert_eq!(received.lock().unwrap().messages.len(), 1, "the server has it");
    let victim = shop.query_one("select order_number from mail_log where status = 'sending'");
    let out = shop.run_demo();
    assert_eq!(out.code, 1, "staff must look: {}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("left at `sending`") && out.stdout.contains(&victim), "{}", out.stdout);
    assert_eq!(shop.query_one(&format!("select status from mail_log where order_number = '{victim}'")), "sending");
    let got = datas(&received);
    assert_eq!(got.iter().filter(|m| m.contains(&victim)).count(), 1, "never twice");
    assert_eq!(got.len().to_string(), shop.query_one("select count(*) from mail_log"));

    // Staff look it up and settle it: listed, then `--arrived` ends it, logged with who.
    let listed = shop.juchu(&["mail", "list", "--status", "sending"]);
    assert!(listed.stdout.contains(&victim) && listed.stdout.lines().count() == 1, "{}", listed.stdout);
    let wrong = shop.juchu(&["mail", "settle", "no-such-order", "--template", "order_confirmation", "--arrived"]);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    let settled = shop.juchu_env(&["mail", "settle", &victim, "--template", "order_confirmation", "--arrived"], &[("USER", "sato")]);
    assert_eq!(settled.code, 0, "{}", settled.stderr);
    assert!(settled.stdout.contains("never sent again"), "{}", settled.stdout);
    assert_eq!(shop.query_one("select decision || ' ' || decided_by from mail_settlements"), "sent sato");
    let again = shop.juchu(&["mail", "settle", &victim, "--template", "order_confirmation", "--resend"]);
    assert_eq!(again.code, 2, "only a mail at `sending` is settled: {}", again.stderr);
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "settled: {}\n{}", out.stdout, out.stderr);
    assert_eq!(datas(&received).len(), got.len(), "and not sent again");
}

#[test]
fn a_mail_settled_as_not_arrived_is_sent_again_by_the_next_run() {
    let (port, received) = smtp_server(None);
    let shop = Shop::sample();
    with_smtp(&shop, port, "");
    let crashed = shop.juchu_env(&["run", "pipelines/demo.yaml"], &[("JUCHU_CRASH_AT", "mail_after_send_before_result")]);
    assert_ne!(crashed.code, 0);
    let victim = shop.query_one("select order_number from mail_log where status = 'sending'");
    let settled =
        shop.juchu(&["mail", "settle", &victim, "--template", "order_confirmation", "--resend", "--note", "not in the relay's log"]);
    assert_eq!(settled.code, 0, "{}", settled.stderr);
    // `when: new` still picks it up: the order is not new, but its mail is due again.
    let out = shop.run_demo();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(datas(&received).iter().filter(|m| m.contains(&victim)).count(), 2, "sent again, as staff chose");
    assert_eq!(shop.query_one(&format!("select status from mail_log where order_number = '{victim}'")), "sent");
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
