//! Sending over SMTP (lettre): STARTTLS (port 587, the Rakuten relay's way), implicit TLS (465), or
//! none (a relay on this machine, and the tests' fake server).

use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};

use crate::config::settings::{SmtpSettings, SmtpTls};

/// A connection setting, secrets resolved from the environment.
pub fn transport(smtp: &SmtpSettings) -> Result<SmtpTransport, String> {
    let builder = match smtp.tls {
        SmtpTls::Starttls => SmtpTransport::starttls_relay(&smtp.host).map_err(|e| e.to_string())?,
        SmtpTls::Implicit => SmtpTransport::relay(&smtp.host).map_err(|e| e.to_string())?,
        SmtpTls::None => SmtpTransport::builder_dangerous(&smtp.host),
    };
    let mut builder = builder.port(smtp.port).timeout(Some(std::time::Duration::from_secs(30)));
    if let (Some(user), Some(password)) = (&smtp.user, &smtp.password) {
        let user = user.resolve().ok_or_else(|| format!("{user} is not set in the environment"))?;
        let password = password.resolve().ok_or_else(|| format!("{password} is not set in the environment"))?;
        builder = builder.credentials(Credentials::new(user, password));
    }
    Ok(builder.build())
}

/// Sends one message; the server's refusal is the error's text (secrets hidden).
pub fn send(transport: &SmtpTransport, message: &Message) -> Result<(), String> {
    transport.send(message).map(|_| ()).map_err(|e| crate::config::settings::redact(&e.to_string()).into_owned())
}
