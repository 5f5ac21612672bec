//! Order mails (注文確認, 発送通知): templates rendered strictly, then written to the outbox as `.eml`
//! files or sent over SMTP. The mail log (store/mail.rs) makes each (order, template) go out once.

pub mod message;
pub mod render;
pub mod smtp;
