//! Mail templates: Jinja syntax (minijinja), strict about names (a misspelt `{{ order.totl }}` is an
//! error, not an empty gap). The first line is `Subject: …`, then a blank line, then the body; the
//! subject may use the same names as the body.

use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::domain::mail_text;

/// A template file, read once.
pub struct MailTemplate {
    pub path: PathBuf,
    /// The file's stem: `order_confirmation`, `shipping_notice`.
    pub name: String,
    env: Environment<'static>,
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub body: String,
}

/// Why a template did not render, with the template's line (1-based) when minijinja knows it.
#[derive(Debug, Clone)]
pub struct TemplateError {
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

fn template_error(e: &minijinja::Error) -> TemplateError {
    let message = match e.detail() {
        Some(d) => format!("{}: {d}", e.kind()),
        None => e.kind().to_string(),
    };
    TemplateError { line: e.line(), message }
}

impl MailTemplate {
    /// Reads and compiles the template; a syntax error names its line.
    pub fn load(path: &Path) -> Result<MailTemplate, TemplateError> {
        let source = std::fs::read_to_string(path)
            .map_err(|e| TemplateError { line: None, message: format!("cannot read {}: {e}", path.display()) })?;
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("mail").to_string();
        MailTemplate::from_source(path, &name, source)
    }

    pub fn from_source(path: &Path, name: &str, source: String) -> Result<MailTemplate, TemplateError> {
        if !source.starts_with("Subject:") {
            return Err(TemplateError { line: Some(1), message: "the first line must be `Subject: …`".into() });
        }
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.add_filter("yen", mail_text::yen);
        env.add_filter("jdate", |d: String| -> Result<String, minijinja::Error> {
            mail_text::japanese_date_text(&d)
                .ok_or_else(|| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, format!("`{d}` is not a date (YYYY-MM-DD)")))
        });
        env.add_filter("time_slot", |s: String| mail_text::time_slot(&s));
        env.add_template_owned(name.to_string(), source).map_err(|e| template_error(&e))?;
        Ok(MailTemplate { path: path.to_path_buf(), name: name.to_string(), env })
    }

    /// Renders the mail for one order's context.
    pub fn render<S: Serialize>(&self, context: &S) -> Result<RenderedMail, TemplateError> {
        let tmpl = self.env.get_template(&self.name).map_err(|e| template_error(&e))?;
        let text = tmpl.render(context).map_err(|e| template_error(&e))?;
        let (first, body) = text.split_once('\n').unwrap_or((&text, ""));
        let subject = first.trim_start_matches("Subject:").trim().to_string();
        if subject.is_empty() {
            return Err(TemplateError { line: Some(1), message: "the subject is empty".into() });
        }
        Ok(RenderedMail { subject, body: body.strip_prefix('\n').unwrap_or(body).replace("\r\n", "\n") })
    }
}

/// What a template can name: `shop.*` and `order.*` (README, "Order mails").
#[derive(Debug, Clone, Serialize)]
pub struct MailContext {
    pub shop: ShopContext,
    pub order: OrderContext,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShopContext {
    pub name: String,
    pub signature: String,
    pub phone: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderContext {
    pub mall: String,
    pub number: String,
    /// `YYYY-MM-DD` (use `| jdate`).
    pub ordered_on: String,
    pub orderer_name: String,
    pub email: String,
    pub ship_to_name: String,
    pub ship_to_address: String,
    pub payment_method: String,
    pub billing_total: i64,
    pub shipping: i64,
    /// 出荷予定日, `YYYY-MM-DD`, empty when not known.
    pub ship_date: String,
    pub carrier: String,
    pub desired_date: String,
    pub desired_time_slot: String,
    pub tracking_number: String,
    pub items: Vec<ItemContext>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemContext {
    pub name: String,
    pub options: String,
    pub quantity: i64,
    pub unit_price: i64,
}

impl MailContext {
    /// The order `juchu check` renders every template against: every name filled.
    pub fn sample(shop: ShopContext) -> MailContext {
        MailContext {
            shop,
            order: OrderContext {
                mall: "rakuten".into(),
                number: "123456-20261201-0000000001".into(),
                ordered_on: "2026-12-01".into(),
                orderer_name: "山田 太郎".into(),
                email: "taro@example.jp".into(),
                ship_to_name: "山田 花子".into(),
                ship_to_address: "〒150-0001 東京都渋谷区神宮前1-2-3".into(),
                payment_method: "クレジットカード".into(),
                billing_total: 3980,
                shipping: 0,
                ship_date: "2026-12-02".into(),
                carrier: "ヤマト運輸".into(),
                desired_date: "2026-12-04".into(),
                desired_time_slot: "14-16".into(),
                tracking_number: "1234-5678-9012".into(),
                items: vec![ItemContext {
                    name: "美濃焼 マグカップ".into(), options: "カラー:藍".into(), quantity: 2, unit_price: 1990
                }],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop() -> ShopContext {
        ShopContext { name: "和み雑貨店".into(), signature: "--\n和み雑貨店".into(), phone: "03-1234-5678".into() }
    }

    fn template(src: &str) -> Result<MailTemplate, TemplateError> {
        MailTemplate::from_source(Path::new("t.txt"), "t", src.into())
    }

    #[test]
    fn a_template_renders_with_the_filters() {
        let t = template("Subject: ご注文 {{ order.number }}\n\n{{ order.billing_total | yen }} {{ order.ordered_on | jdate }} {{ order.desired_time_slot | time_slot }}\n").unwrap();
        let m = t.render(&MailContext::sample(shop())).unwrap();
        assert_eq!(m.subject, "ご注文 123456-20261201-0000000001");
        assert_eq!(m.body, "¥3,980 2026年12月1日(火) 14時〜16時\n");
    }

    #[test]
    fn an_unknown_name_is_an_error_at_its_line() {
        let t = template("Subject: x\n\nこんにちは\n{{ order.totl }}\n").unwrap();
        let e = t.render(&MailContext::sample(shop())).unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.message.contains("undefined"), "{e}");
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let e = template("Subject: x\n\n{% if order.number %}\n").err().unwrap();
        assert_eq!(e.line, Some(3), "{e}");
    }

    #[test]
    fn the_shipped_templates_render_against_the_sample_order() {
        for name in ["order_confirmation", "shipping_notice"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("mail-templates/{name}.txt"));
            let m = MailTemplate::load(&path).unwrap().render(&MailContext::sample(shop())).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(m.subject.contains("和み雑貨店") && m.subject.contains("123456-20261201-0000000001"), "{}", m.subject);
            assert!(m.body.contains("山田 太郎 様") && m.body.ends_with("和み雑貨店\n"), "{name}: {}", m.body);
        }
    }

    #[test]
    fn the_first_line_is_the_subject() {
        assert!(template("Hello\n").is_err());
    }
}
