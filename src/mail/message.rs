//! One order mail as an RFC 5322 message (lettre's builder), with a Message-ID that is the same
//! every time for one (mall, order, template): the send-once key, and what staff search for.

use std::time::SystemTime;

use base64::Engine;
use chrono::{DateTime, FixedOffset};
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox};
use lettre::Message;

use super::render::RenderedMail;

/// `<order_confirmation.rakuten.123-456@nagomi.example.jp>`: only characters a Message-ID allows.
pub fn message_id(mall: &str, order_number: &str, template: &str, from: &str) -> String {
    let clean = |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect::<String>();
    let domain = from.rsplit_once('@').map_or("juchu.invalid", |(_, d)| d);
    format!("<{}.{}.{}@{}>", clean(template), clean(mall), clean(order_number), clean(domain))
}

/// The body's charset: UTF-8 (the default), or ISO-2022-JP for shops whose buyers' mailers want it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
pub enum Charset {
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "iso-2022-jp")]
    Iso2022Jp,
}

/// Text as ISO-2022-JP bytes; a character outside JIS X 0208 (①, 髙, 😀) is refused, never a `?`.
/// encoding_rs writes CP50220's extensions (NEC row 13, IBM rows 89–92) too: strict JIS mailers show
/// those wrong, so they are refused as well.
fn iso_2022_jp(text: &str) -> Result<Vec<u8>, String> {
    // The JIS characters encoding_rs knows by their Microsoft code points (the 〜 of `14時〜16時`):
    // the same JIS bytes, which every mailer shows alike.
    let text: String = text
        .chars()
        .map(|c| match c {
            '\u{301C}' => '\u{FF5E}',
            '\u{2016}' => '\u{2225}',
            '\u{2212}' => '\u{FF0D}',
            '\u{00A2}' => '\u{FFE0}',
            '\u{00A3}' => '\u{FFE1}',
            '\u{00AC}' => '\u{FFE2}',
            c => c,
        })
        .collect();
    let text = text.as_str();
    let outside = |c: &char| {
        let mut buf = [0u8; 4];
        let (bytes, _, unmappable) = encoding_rs::ISO_2022_JP.encode(c.encode_utf8(&mut buf));
        // ESC $ B row cell ESC ( B: JIS X 0208 has rows 1–8 and 16–84 (0x21–0x28, 0x30–0x74).
        unmappable || (bytes.len() == 8 && bytes[..3] == *b"\x1b$B" && ((0x29..=0x2F).contains(&bytes[3]) || bytes[3] > 0x74))
    };
    if let Some(c) = text.chars().find(outside) {
        return Err(format!("`{c}` (U+{:04X}) has no ISO-2022-JP (JIS X 0208) form: write it otherwise, or send UTF-8", c as u32));
    }
    Ok(encoding_rs::ISO_2022_JP.encode(text).0.into_owned())
}

/// `=?ISO-2022-JP?B?…?=` words, a few characters each so every line stays under 76 (RFC 2047), folded.
fn iso_2022_jp_header(text: &str) -> Result<String, String> {
    let chars: Vec<char> = text.chars().collect();
    let words = chars
        .chunks(12)
        .map(|chunk| {
            iso_2022_jp(&chunk.iter().collect::<String>())
                .map(|b| format!("=?ISO-2022-JP?B?{}?=", base64::engine::general_purpose::STANDARD.encode(b)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(words.join("\r\n "))
}

/// Builds the message; an address that does not parse is the error's text.
pub fn build(
    from: &str,
    from_name: &str,
    to: &str,
    mail: &RenderedMail,
    message_id: &str,
    date: DateTime<FixedOffset>,
    charset: Charset,
) -> Result<Message, String> {
    let from: Mailbox = Mailbox::new(
        (!from_name.is_empty()).then(|| from_name.to_string()),
        from.parse().map_err(|e| format!("from address `{from}`: {e}"))?,
    );
    let to: Mailbox = to.parse().map_err(|e| format!("recipient `{to}`: {e}"))?;
    let builder = Message::builder().from(from).to(to).message_id(Some(message_id.to_string())).date(SystemTime::from(date));
    match charset {
        Charset::Utf8 => builder.subject(mail.subject.clone()).header(ContentType::TEXT_PLAIN).body(mail.body.clone()),
        // lettre writes headers in UTF-8 only: the subject goes in pre-encoded, the body as 7-bit bytes.
        Charset::Iso2022Jp => {
            let subject = iso_2022_jp_header(&mail.subject)?;
            let body = iso_2022_jp(&mail.body.replace('\n', "\r\n"))?;
            // 7bit when every line fits in 76 bytes (kanji take two, each switch three); else base64.
            let body = Body::new_with_encoding(body, ContentTransferEncoding::SevenBit)
                .or_else(|body| Body::new_with_encoding(body, ContentTransferEncoding::Base64))
                .map_err(|_| "the ISO-2022-JP body cannot be encoded".to_string())?;
            builder
                .raw_header(HeaderValue::dangerous_new_pre_encoded(
                    HeaderName::new_from_ascii_str("Subject"),
                    mail.subject.clone(),
                    subject,
                ))
                .header(ContentType::parse("text/plain; charset=ISO-2022-JP").map_err(|e| e.to_string())?)
                .body(body)
        }
    }
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_2022_jp_mail_is_seven_bit_and_refuses_what_it_cannot_say() {
        let date = DateTime::parse_from_rfc3339("2026-12-01T10:00:00+09:00").unwrap();
        let mail = RenderedMail {
            subject: "【和み雑貨店】ご注文ありがとうございます（注文番号 123）".into(),
            body: "山田 太郎 様\n¥3,980 14時〜16時\n".into(),
        };
        let msg = build("shop@example.jp", "和み雑貨店", "taro@example.jp", &mail, "<a@b>", date, Charset::Iso2022Jp).unwrap();
        let bytes = msg.formatted();
        assert!(bytes.is_ascii(), "7-bit throughout");
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.to_ascii_lowercase().contains("content-type: text/plain; charset=iso-2022-jp"), "{text}");
        assert!(text.contains("Subject: =?ISO-2022-JP?B?"), "{text}");
        assert!(text.lines().all(|l| l.len() <= 78), "{:?}", text.lines().find(|l| l.len() > 78));
        let body = text.split("\r\n\r\n").nth(1).unwrap();
        assert_eq!(encoding_rs::ISO_2022_JP.decode(body.as_bytes()).0, "山田 太郎 様\r\n¥3,980 14時～16時\r\n");
        for bad in ["髙橋 様", "①", "😀"] {
            let bad = RenderedMail { subject: "x".into(), body: bad.into() };
            let e = build("shop@example.jp", "", "t@example.jp", &bad, "<a@b>", date, Charset::Iso2022Jp).unwrap_err();
            assert!(e.contains("ISO-2022-JP"), "{e}");
        }
    }

    #[test]
    fn the_message_id_is_the_same_for_one_order_and_template() {
        assert_eq!(
            message_id("rakuten", "123456-20261201-0001", "order_confirmation", "shop@nagomi.example.jp"),
            "<order_confirmation.rakuten.123456-20261201-0001@nagomi.example.jp>"
        );
        assert_eq!(message_id("yahoo", "a/b c", "x", "s@d"), "<x.yahoo.a_b_c@d>");
    }
}
