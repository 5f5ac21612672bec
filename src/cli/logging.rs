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
        emit(self.format, r.level().as_str(), r.target(), &r.args().to_string());
    }

    fn flush(&self) {}
}

/// One log line on stderr, secrets written `***`.
fn emit(format: LogFormat, level: &str, target: &str, message: &str) {
    let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let message = redact(message);
    match format {
        LogFormat::Text => eprintln!("{ts} {level:<5} {message}"),
        LogFormat::Json => eprintln!("{}", serde_json::json!({ "ts": ts, "level": level, "target": target, "message": message })),
    }
}

/// The format and `-q` chosen at [`init`], for [`notice`].
static CHOSEN: std::sync::OnceLock<(LogFormat, bool)> = std::sync::OnceLock::new();

/// A line every log shows unless `-q` (the `--every` loop's start and stop), at INFO: the
/// default level (warnings) would hide it, and it is not a warning.
pub fn notice(target: &str, message: &str) {
    let (format, quiet) = CHOSEN.get().copied().unwrap_or((LogFormat::Text, false));
    if !quiet {
        emit(format, "INFO", target, message);
    }
}

pub fn init(verbose: u8, quiet: bool, format: LogFormat) {
    let level = match (quiet, verbose) {
        (true, _) => LevelFilter::Error,
        (false, 0) => LevelFilter::Warn,
        (false, 1) => LevelFilter::Info,
        _ => LevelFilter::Debug,
    };
    let _ = CHOSEN.set((format, quiet));
    let _ = log::set_boxed_logger(Box::new(Logger { format, level, verbose }));
    log::set_max_level(level);
}
