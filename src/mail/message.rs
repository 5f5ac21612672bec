//! One order mail as an RFC 5322 message (lettre's builder), with a Message-ID that is the same
//! every time for one (mall, order, template): the send-once key, and what staff search for.

use std::time::SystemTime;

use chrono::{DateTime, FixedOffset};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::Message;

use super::render::RenderedMail;

/// `<order_confirmation.rakuten.123-456@nagomi.example.jp>`: only characters a Message-ID allows.
pub fn message_id(mall: &str, order_number: &str, template: &str, from: &str) -> String {
    let clean = |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect::<String>();
    let domain = from.rsplit_once('@').map_or("juchu.invalid", |(_, d)| d);
    format!("<{}.{}.{}@{}>", clean(template), clean(mall), clean(order_number), clean(domain))
}

/// Builds the message; an address that does not parse is the error's text.
pub fn build(
    from: &str,
    from_name: &str,
    to: &str,
    mail: &RenderedMail,
    message_id: &str,
    date: DateTime<FixedOffset>,
) -> Result<Message, String> {
    let from: Mailbox = Mailbox::new(
        (!from_name.is_empty()).then(|| from_name.to_string()),
        from.parse().map_err(|e| format!("from address `{from}`: {e}"))?,
    );
    let to: Mailbox = to.parse().map_err(|e| format!("recipient `{to}`: {e}"))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(message_id.to_string()))
        .date(SystemTime::from(date))
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_id_is_the_same_for_one_order_and_template() {
        assert_eq!(
            message_id("rakuten", "123456-20261201-0001", "order_confirmation", "shop@nagomi.example.jp"),
            "<order_confirmation.rakuten.123456-20261201-0001@nagomi.example.jp>"
        );
        assert_eq!(message_id("yahoo", "a/b c", "x", "s@d"), "<x.yahoo.a_b_c@d>");
    }
}
