//! Progress bars on a terminal (indicatif), for the stages that take long: product imports, order
//! fetches, `--replay`. Off unless the CLI turns them on, which it does only when stderr is a
//! terminal and the log is text: never in a cron log, a systemd journal or a test.
//!
//! The runner opens one bar per stage ([`stage_started`], a spinner with the elapsed time); a stage
//! that knows how much there is to do gives it a length ([`set_length`]) and counts ([`inc`]). Every
//! call is a no-op while bars are off, so a stage calls them unconditionally.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static ENABLED: AtomicBool = AtomicBool::new(false);
static CURRENT: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Turns the bars on (the CLI: stderr is a terminal, text logs, not `-q`).
pub fn enable(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

fn with_bar(f: impl FnOnce(&ProgressBar)) {
    if !enabled() {
        return;
    }
    if let Ok(guard) = CURRENT.lock() {
        if let Some(bar) = guard.as_ref() {
            f(bar);
        }
    }
}

/// A spinner for the stage `label` (its id and kind), until [`stage_finished`].
pub fn stage_started(label: &str) {
    if !enabled() {
        return;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} {msg} [{elapsed}]").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_prefix(label.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    if let Ok(mut guard) = CURRENT.lock() {
        if let Some(old) = guard.replace(bar) {
            old.finish_and_clear();
        }
    }
}

/// The stage knows how much there is: `len` things (`unit`: 商品, 受注, モール …).
pub fn set_length(len: u64, unit: &str) {
    with_bar(|bar| {
        let template = format!("{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{msg}} [{{elapsed}}, ETA {{eta}}]");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_length(len);
        bar.set_position(0);
    });
}

/// `n` more done.
pub fn inc(n: u64) {
    with_bar(|bar| bar.inc(n));
}

/// A word after the count (`受注 1,234 件`).
pub fn set_message(msg: String) {
    with_bar(|bar| bar.set_message(msg));
}

/// Clears the stage's bar, before the runner prints the stage's line.
pub fn stage_finished() {
    if !enabled() {
        return;
    }
    if let Ok(mut guard) = CURRENT.lock() {
        if let Some(bar) = guard.take() {
            bar.finish_and_clear();
        }
    }
}
