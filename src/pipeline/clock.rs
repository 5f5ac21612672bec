//! Time is injected: the real clock, or a fixed instant from `--now` / `JUCHU_NOW` (tests, replays).
//! The JST helpers live in `domain::time`.

use chrono::{DateTime, FixedOffset, Utc};

use crate::domain::time::jst;

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    fixed: Option<DateTime<FixedOffset>>,
}

impl Clock {
    /// `--now` wins over `JUCHU_NOW`; neither = the real clock.
    pub fn from_arg(arg: Option<&str>) -> Result<Clock, String> {
        let raw = arg.map(str::to_string).or_else(|| std::env::var("JUCHU_NOW").ok().filter(|s| !s.is_empty()));
        match raw {
            None => Ok(Clock { fixed: None }),
            Some(s) => DateTime::parse_from_rfc3339(&s)
                .map(|t| Clock { fixed: Some(t.with_timezone(&jst())) })
                .map_err(|e| format!("`{s}` is not an RFC 3339 date-time ({e}); write e.g. 2026-12-01T09:00:00+09:00")),
        }
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        self.fixed.unwrap_or_else(|| Utc::now().with_timezone(&jst()))
    }

    pub fn is_fixed(&self) -> bool {
        self.fixed.is_some()
    }
}
