//! Sending over SMTP: STARTTLS (port 587, the Rakuten relay's way), implicit TLS (465), or none (a
//! relay on this machine, and the tests' server).
//!
//! One connection for the whole stage, opened on the first mail and opened again if the server
//! drops it, through lettre's `SmtpConnection` rather than `SmtpTransport`: the transport opens a
//! connection per mail (its pool needs futures), and it writes a message and the closing `.` in two
//! writes, so Nagle's algorithm holds the `.` until the server's delayed ACK: 40 ms a mail on
//! loopback, more over the internet. Here the message and its `.` leave in one write.

use std::fmt;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::Message;

use crate::config::settings::{redact, SmtpSettings, SmtpTls};

const TIMEOUT: Duration = Duration::from_secs(30);

/// A session with the configured server, secrets resolved from the environment.
pub struct Session {
    host: String,
    port: u16,
    tls: SmtpTls,
    credentials: Option<Credentials>,
    hello: ClientId,
    connection: Option<SmtpConnection>,
    last_used: std::time::Instant,
    /// Connections opened so far (the stage's message says how many).
    pub connections: u32,
}

impl Session {
    /// Checks the settings; connects on the first mail.
    pub fn new(smtp: &SmtpSettings) -> Result<Session, String> {
        let credentials = match (&smtp.user, &smtp.password) {
            (Some(user), Some(password)) => {
                let user = user.resolve().ok_or_else(|| format!("{user} is not set in the environment"))?;
                let password = password.resolve().ok_or_else(|| format!("{password} is not set in the environment"))?;
                Some(Credentials::new(user, password))
            }
            (None, None) => None,
            _ => return Err("mail.smtp has a user without a password, or a password without a user".into()),
        };
        if smtp.tls != SmtpTls::None {
            TlsParameters::new(smtp.host.clone()).map_err(|e| e.to_string())?;
        }
        Ok(Session {
            host: smtp.host.clone(),
            port: smtp.port,
            tls: smtp.tls,
            credentials,
            hello: ClientId::default(),
            connection: None,
            last_used: std::time::Instant::now(),
            connections: 0,
        })
    }

    fn connect(&self) -> Result<SmtpConnection, String> {
        let server = (self.host.as_str(), self.port);
        let tls = || TlsParameters::new(self.host.clone()).map_err(|e| e.to_string());
        let mut connection = match self.tls {
            SmtpTls::Implicit => SmtpConnection::connect(server, Some(TIMEOUT), &self.hello, Some(&tls()?), None),
            SmtpTls::Starttls | SmtpTls::None => SmtpConnection::connect(server, Some(TIMEOUT), &self.hello, None, None),
        }
        .map_err(|e| e.to_string())?;
        if self.tls == SmtpTls::Starttls {
            if !connection.can_starttls() {
                connection.abort();
                return Err(format!("{}:{} does not offer STARTTLS; juchu does not send the password in the clear", self.host, self.port));
            }
            connection.starttls(&tls()?, &self.hello).map_err(|e| e.to_string())?;
        }
        if let Some(credentials) = &self.credentials {
            if let Err(e) = connection.auth(&[Mechanism::Plain, Mechanism::Login], credentials) {
                connection.abort();
                return Err(e.to_string());
            }
        }
        Ok(connection)
    }

    /// Sends one message; the server's refusal is the error's text (secrets hidden). A failed mail
    /// closes the connection, so the next one starts clean.
    pub fn send(&mut self, message: &Message) -> Result<(), String> {
        let result = self.try_send(message.envelope(), &message.formatted());
        if result.is_err() {
            if let Some(mut c) = self.connection.take() {
                c.abort();
            }
        }
        result.map_err(|e| redact(&e).into_owned())
    }

    fn try_send(&mut self, envelope: &Envelope, email: &[u8]) -> Result<(), String> {
        // A connection idle for a while may have been closed by the server: NOOP finds out.
        let idle = self.last_used.elapsed() > Duration::from_secs(10);
        self.last_used = std::time::Instant::now();
        if self.connection.as_mut().is_none_or(|c| c.has_broken() || (idle && !c.test_connected())) {
            self.connection = Some(self.connect()?);
            self.connections += 1;
        }
        let connection = self.connection.as_mut().expect("connected above");
        let mut options = Vec::new();
        if !email.is_ascii() {
            if !connection.server_info().supports_feature(Extension::EightBitMime) {
                return Err("the mail is 8-bit and the server does not take 8BITMIME: set `mail.charset: iso-2022-jp`".into());
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        connection.command(Mail::new(envelope.from().cloned(), options)).map_err(|e| e.to_string())?;
        for to in envelope.to() {
            connection.command(Rcpt::new(to.clone(), Vec::new())).map_err(|e| e.to_string())?;
        }
        connection.command(Data).map_err(|e| e.to_string())?;
        connection.command(DotStuffed(email)).map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(mut c) = self.connection.take() {
            let _ = c.quit();
        }
    }
}

/// The message as DATA carries it: lines starting with `.` get another (RFC 5321 4.5.2), then the
/// closing `.`, all in one write.
struct DotStuffed<'a>(&'a [u8]);

impl fmt::Display for DotStuffed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // lettre formats headers and 8-bit bodies as UTF-8 and everything else as ASCII.
        let text = String::from_utf8_lossy(self.0);
        if text.starts_with('.') {
            f.write_str(".")?;
        }
        f.write_str(&text.replace("\r\n.", "\r\n.."))?;
        if !text.ends_with("\r\n") {
            f.write_str("\r\n")?;
        }
        f.write_str(".\r\n")
    }
}

#[cfg(test)]
mod tests {
    use super::DotStuffed;

    #[test]
    fn data_is_dot_stuffed_and_closed_once() {
        assert_eq!(DotStuffed(b"a\r\n.b\r\n").to_string(), "a\r\n..b\r\n.\r\n");
        assert_eq!(DotStuffed(b".x").to_string(), "..x\r\n.\r\n");
    }
}
