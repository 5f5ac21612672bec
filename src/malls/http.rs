//! The HTTP client every API adapter uses: HTTPS by rustls, bounded retries with backoff on
//! timeouts, 5xx and 429 (honouring Retry-After), and no secret in any error it returns.

use std::time::Duration;

use super::MallError;

/// How hard to try one call.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_backoff: Duration,
    /// The longest wait honoured from a Retry-After header.
    pub max_wait: Duration,
}

impl RetryPolicy {
    /// One attempt, no retry: for write requests, whose repeat after an unknown outcome is the
    /// caller's to decide (it reads the mall first, so a change that was applied is not sent twice).
    pub fn once() -> RetryPolicy {
        RetryPolicy { attempts: 1, first_backoff: Duration::ZERO, max_wait: Duration::ZERO }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 5, first_backoff: Duration::from_millis(200), max_wait: Duration::from_secs(30) }
    }
}

pub struct HttpClient {
    agent: ureq::Agent,
    pub retry: RetryPolicy,
    mall: String,
}

/// A response that made it through: status and body.
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

impl HttpClient {
    pub fn new(mall: &str, timeout: Duration, retry: RetryPolicy) -> HttpClient {
        let config = ureq::Agent::config_builder().timeout_global(Some(timeout)).http_status_as_error(false).build();
        HttpClient { agent: config.into(), retry, mall: mall.to_string() }
    }

    /// Sends a request, retrying what is worth retrying. 4xx other than 429 come back as responses:
    /// the adapter knows its mall's error bodies.
    pub fn send(&self, method: &str, url: &str, headers: &[(&str, String)], body: Option<&str>) -> Result<HttpResponse, MallError> {
        self.send_checked(method, url, headers, body, None)
    }

    /// As `send`, and a 2xx body that is not whole JSON (cut off on the way) is retried like a 5xx.
    pub fn send_json(&self, method: &str, url: &str, headers: &[(&str, String)], body: Option<&str>) -> Result<HttpResponse, MallError> {
        self.send_checked(method, url, headers, body, Some(Body::Json))
    }

    /// As `send_json`, for malls that answer in XML.
    pub fn send_xml(&self, method: &str, url: &str, headers: &[(&str, String)], body: Option<&str>) -> Result<HttpResponse, MallError> {
        self.send_checked(method, url, headers, body, Some(Body::Xml))
    }

    fn send_checked(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&str>,
        whole: Option<Body>,
    ) -> Result<HttpResponse, MallError> {
        let mut wait = self.retry.first_backoff;
        let mut last = String::new();
        for attempt in 1..=self.retry.attempts.max(1) {
            let result = match method {
                "GET" => {
                    let mut req = self.agent.get(url);
                    for (k, v) in headers {
                        req = req.header(*k, v.as_str());
                    }
                    req.call()
                }
                _ => {
                    let mut req = self.agent.post(url);
                    for (k, v) in headers {
                        req = req.header(*k, v.as_str());
                    }
                    req.send(body.unwrap_or(""))
                }
            };
            // Either the answer, or why to try again (and how long the mall asked us to wait).
            let (why, asked_wait) = match result {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let text = resp.body_mut().with_config().limit(256 << 20).read_to_string();
                    let cut_off = |t: &str| {
                        (200..300).contains(&status)
                            && match whole {
                                Some(Body::Json) => serde_json::from_str::<serde::de::IgnoredAny>(t).is_err(),
                                Some(Body::Xml) => super::xml::parse(t).is_err(),
                                None => false,
                            }
                    };
                    // A body refused for what it is, not cut off on the way: asking again changes nothing.
                    if let (Some(Body::Xml), Ok(body)) = (whole, &text) {
                        if let Some(why) = super::xml::refused(body) {
                            return Err(MallError::Payload {
                                mall: self.mall.clone(),
                                detail: format!("{}: HTTP {status}: {why}", path_of(url)),
                            });
                        }
                    }
                    match (status, text) {
                        (429, _) | (500..=599, _) => (format!("HTTP {status}"), retry_after),
                        (_, Ok(body)) if cut_off(&body) => {
                            (format!("HTTP {status} with a body that is not whole {}", whole.map_or("", Body::name)), None)
                        }
                        (_, Ok(body)) => return Ok(HttpResponse { status, body }),
                        (_, Err(e)) => (format!("reading the response failed: {e}"), None),
                    }
                }
                Err(e) => (format!("{e}"), None),
            };
            last = why;
            if attempt < self.retry.attempts {
                let pause = asked_wait.unwrap_or(wait).min(self.retry.max_wait);
                log::info!("{}: {last} at {}; retry {attempt} in {} ms", self.mall, path_of(url), pause.as_millis());
                std::thread::sleep(pause);
                wait *= 2;
            }
        }
        Err(MallError::Unavailable {
            mall: self.mall.clone(),
            detail: format!("{} after {} attempts: {last}", path_of(url), self.retry.attempts),
        })
    }
}

impl HttpClient {
    /// The OAuth refresh-token grant (Amazon LWA, Yahoo YConnect): the access token, or an Auth
    /// error naming the `refresh_token` credential. `service` names the token endpoint in messages.
    pub fn refresh_token_grant(&self, url: &str, headers: &[(&str, String)], form: &str, service: &str) -> Result<String, MallError> {
        let resp = self.send_json("POST", url, headers, Some(form))?;
        let v: serde_json::Value = serde_json::from_str(&resp.body).unwrap_or(serde_json::Value::Null);
        let text = |k: &str| v.get(k).and_then(serde_json::Value::as_str);
        if resp.status != 200 {
            let detail = text("error_description").or_else(|| text("error")).unwrap_or("refused");
            return Err(MallError::Auth {
                mall: self.mall.clone(),
                key: "refresh_token".into(),
                detail: format!("{service} HTTP {}: {detail}", resp.status),
            });
        }
        text("access_token")
            .map(str::to_string)
            .ok_or_else(|| MallError::Payload { mall: self.mall.clone(), detail: format!("{service}: no access_token") })
    }
}

/// The kind of body a call must answer with; one that does not parse was cut off on the way.
#[derive(Debug, Clone, Copy)]
enum Body {
    Json,
    Xml,
}

impl Body {
    fn name(self) -> &'static str {
        match self {
            Body::Json => "JSON",
            Body::Xml => "XML",
        }
    }
}

/// The path of a URL, for messages (no host credentials, no query).
fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    path.split('?').next().unwrap_or(path)
}

/// Percent-encodes a query or form value (RFC 3986 unreserved characters stay).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
