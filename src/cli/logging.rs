//! A small logger for cron logs: text or JSON lines on stderr. Settings hold only `${ENV}`
//! references, but libraries log what they send (suppaftp: the FTP user at debug, the whole
//! command channel at trace), so every line is filtered: each secret value resolved in this process
//! is written `***` (`settings::redact`), and libraries never log below debug.

use log::{LevelFilter, Log, Metadata, Record};

use super::LogFormat;
use crate::config::settings::redact;

struct Logger {
    format: LogFormat,
    level: LevelFilter,
    verbose: u8,
}

impl Log for Logger {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        // Libraries (the HTTP client, …) speak only at warn unless asked with -vvv, and never at
        // trace: ureq and suppaftp dump the bytes on the wire there (Authorization, PASS).
        let ours = m.target().starts_with("juchu");
        m.level() <= self.level && (ours || (self.verbose >= 3 && m.level() <= log::Level::Debug) || m.level() <= log::Level::Warn)
    }

    fn log(&self, r: &Record<'_>) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let message = r.args().to_string();
        let message = redact(&message);
        match self.format {
            LogFormat::Text => eprintln!("{ts} {:<5} {message}", r.level()),
            LogFormat::Json => {
                eprintln!("{}", serde_json::json!({ "ts": ts, "level": r.level().as_str(), "target": r.target(), "message": message }))
            }
        }
    }

    fn flush(&self) {}
}

pub fn init(verbose: u8, quiet: bool, format: LogFormat) {
    let level = match (quiet, verbose) {
        (true, _) => LevelFilter::Error,
        (false, 0) => LevelFilter::Warn,
        (false, 1) => LevelFilter::Info,
        _ => LevelFilter::Debug,
    };
    let _ = log::set_boxed_logger(Box::new(Logger { format, level, verbose }));
    log::set_max_level(level);
}
