//! bench/mail.sh's Rust half: renders N order mails from one template (the same contexts as the
//! Python half), then builds each as a message; prints the times.

use std::time::Instant;

use juchu::mail::message::{self, Charset};
use juchu::mail::render::{MailContext, MailTemplate, ShopContext};

fn main() {
    let mut args = std::env::args().skip(1);
    let template = args.next().expect("template path");
    let n: usize = args.next().map_or(100_000, |s| s.parse().expect("a count"));
    let t = MailTemplate::load(std::path::Path::new(&template)).unwrap_or_else(|e| panic!("{e}"));
    let shop =
        ShopContext {
            name: "和み雑貨店".into(), signature: "──\n和み雑貨店\nTEL 03-1234-5678".into(), phone: "03-1234-5678".into()
        };
    let contexts: Vec<MailContext> = (0..n)
        .map(|i| {
            let mut c = MailContext::sample(shop.clone());
            c.order.number = format!("123456-20261201-{i:010}");
            c.order.billing_total = 1000 + (i as i64 % 50_000);
            c
        })
        .collect();
    let started = Instant::now();
    let mut bytes = 0usize;
    let mut mails = Vec::with_capacity(n);
    for c in &contexts {
        let m = t.render(c).expect("renders");
        bytes += m.body.len();
        mails.push(m);
    }
    let render = started.elapsed().as_secs_f64();
    // MAIL_RENDER_SHOW=1: the first mail's body, to diff against jinja2's.
    if std::env::var_os("MAIL_RENDER_SHOW").is_some() {
        print!("\n{}", mails[0].body);
        return;
    }
    let date = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00+09:00").unwrap();
    let started = Instant::now();
    for (c, m) in contexts.iter().zip(&mails) {
        let id = message::message_id("rakuten", &c.order.number, "order_confirmation", "shop@example.jp");
        bytes +=
            message::build("shop@example.jp", "和み雑貨店", &c.order.email, m, &id, date, Charset::Utf8).expect("builds").formatted().len();
    }
    let build = started.elapsed().as_secs_f64();
    println!("rust_render_s={render:.3} rust_build_s={build:.3} n={n} bytes={bytes}");
}
