//! `juchu run PIPELINE --every 3m`: the pipeline as a long-running loop (a systemd service, a
//! container), for where cron is not at hand.
//!
//! - Ticks are counted from the loop's start: run k starts at start + k × interval. A run that
//!   takes longer than the interval skips the ticks it missed (said in the log); they do not pile up.
//! - Each run is a single run (`juchu run`): it takes the run lock, so a loop and a cron job never
//!   write at once. A locked store (75, another run going) is logged and tried again at the next
//!   tick; a failing run (1, 70, 78, even a panic inside it) is logged with its exit code and the
//!   loop goes on. The pipeline and settings are read again every run, so an edit takes effect at
//!   the next tick (and a broken edit fails that run, not the loop).
//! - SIGTERM or SIGINT: while waiting, the loop stops at once; during a run, the run finishes the
//!   stage it is in (its transaction commits or rolls back as usual), skips the rest, releases the
//!   lock, and the loop exits 0. A second signal exits at once (the kernel drops the lock; the store
//!   rolls back whatever was not committed, as after any crash).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::domain::lang::pick;
use crate::pipeline::runner::{self, stop_requested, RunOptions, STOP};
use crate::ExitStatus;

/// `90s`, `3m`, `1h` (a whole number and one unit); anything else is a usage error (exit 2).
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let wrong = || {
        format!(
            "`{s}` is not an interval: write a whole number and s, m or h, such as 90s, 3m or 1h（間隔は 90s, 3m, 1h のように数字と s・m・h で書いてください）"
        )
    };
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(wrong)?);
    let n: u64 = digits.parse().map_err(|_| wrong())?;
    let secs = match unit {
        "s" => n,
        "m" => n.checked_mul(60).ok_or_else(wrong)?,
        "h" => n.checked_mul(3600).ok_or_else(wrong)?,
        _ => return Err(wrong()),
    };
    if secs == 0 {
        return Err(format!("`{s}`: the interval must be at least 1s（間隔は 1s 以上にしてください）"));
    }
    Ok(Duration::from_secs(secs))
}

/// `3m`, `90s`, `1h` back, for log lines.
fn show(d: Duration) -> String {
    let s = d.as_secs();
    if s % 3600 == 0 {
        format!("{}h", s / 3600)
    } else if s % 60 == 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

const TARGET: &str = "juchu::every";

pub fn every(pipeline: &Path, interval: Duration, opts: &RunOptions) -> ExitStatus {
    signals::install();
    let shown = crate::config::diagnostic::display_path(pipeline);
    let every = show(interval);
    super::logging::notice(
        TARGET,
        &pick(
            format!(
                "juchu run {shown} --every {every}: 開始しました（pid {}）。SIGTERM か Ctrl-C で、実行中のステージを終えてから止まります",
                std::process::id()
            ),
            format!(
                "juchu run {shown} --every {every}: started (pid {}); SIGTERM or Ctrl-C stops it after the current stage",
                std::process::id()
            ),
        ),
    );
    let start = Instant::now();
    let mut tick: u128 = 0;
    let mut runs: u64 = 0;
    while !stop_requested() {
        runs += 1;
        let run_started = Instant::now();
        let status = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner::run(pipeline, opts))) {
            Ok(status) => status,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".into());
                // The store and the lock were dropped while unwinding: what the stage had not committed rolled back.
                log::error!(
                    target: TARGET,
                    "{}",
                    pick(
                        format!("実行 {runs} が内部エラーで止まりました（panic: {what}）。終了コード 70 として扱い、次の回に続けます"),
                        format!("run {runs} stopped on an internal error (panic: {what}); counted as exit 70, the loop goes on at the next tick"),
                    )
                );
                ExitStatus::Internal
            }
        };
        let took = run_started.elapsed();
        match status {
            ExitStatus::Success => {}
            ExitStatus::Locked => log::warn!(
                target: TARGET,
                "{}",
                pick(
                    format!("実行 {runs}: 別の実行がロックを持っていたため何もしませんでした（終了コード 75）。次の回にもう一度試します"),
                    format!("run {runs}: another run holds the lock, nothing done (exit 75); trying again at the next tick"),
                )
            ),
            s => log::warn!(
                target: TARGET,
                "{}",
                pick(
                    format!("実行 {runs} は終了コード {} で終わりました。ループは続けます", s.code()),
                    format!("run {runs} ended with exit code {}; the loop goes on", s.code()),
                )
            ),
        }
        if stop_requested() {
            break;
        }
        // The next tick after now; the ticks this run overran are skipped, not run back to back.
        let next = start.elapsed().as_nanos() / interval.as_nanos().max(1) + 1;
        let skipped = next.saturating_sub(tick + 1);
        if skipped > 0 {
            log::warn!(
                target: TARGET,
                "{}",
                pick(
                    format!("実行 {runs} に {:.1} 秒かかり、間隔 {every} を超えたため {skipped} 回分を飛ばしました", took.as_secs_f64()),
                    format!("run {runs} took {:.1} s, longer than the interval of {every}: {skipped} tick(s) skipped", took.as_secs_f64()),
                )
            );
        }
        tick = next;
        let at = start + interval * u32::try_from(next).unwrap_or(u32::MAX);
        wait_until(at);
    }
    super::logging::notice(
        TARGET,
        &pick(
            format!("juchu run {shown} --every {every}: 停止の指示で止まりました（{runs} 回実行、ロックは解放済み）"),
            format!("juchu run {shown} --every {every}: stopped on request after {runs} run(s); the lock is released"),
        ),
    );
    STOP.store(false, std::sync::atomic::Ordering::SeqCst);
    ExitStatus::Success
}

/// Sleeps until `at`, waking early when a stop is requested (checked every 50 ms: a signal handler
/// may only set a flag).
fn wait_until(at: Instant) {
    loop {
        let now = Instant::now();
        if now >= at || stop_requested() {
            return;
        }
        std::thread::sleep((at - now).min(Duration::from_millis(50)));
    }
}

/// SIGTERM and SIGINT set [`STOP`]; the second exits at once. Through the C library std already
/// links (no crate for two calls).
#[cfg(unix)]
mod signals {
    use std::os::raw::c_int;
    use std::sync::atomic::Ordering;

    use crate::pipeline::runner::STOP;

    const SIGINT: c_int = 2;
    const SIGTERM: c_int = 15;

    extern "C" {
        fn signal(signum: c_int, handler: extern "C" fn(c_int)) -> usize;
        fn write(fd: c_int, buf: *const u8, count: usize) -> isize;
        fn _exit(status: c_int) -> !;
    }

    extern "C" fn on_signal(sig: c_int) {
        // Only async-signal-safe calls here: an atomic, write(2), _exit(2).
        if STOP.swap(true, Ordering::SeqCst) {
            let msg = b"juchu: second signal, exiting now (the kernel releases the lock; the store rolls back what was not committed)\n";
            unsafe {
                write(2, msg.as_ptr(), msg.len());
                _exit(128 + sig);
            }
        }
        // The first: the loop says it stopped, in the log's format, when it has.
    }

    pub fn install() {
        // glibc's signal() keeps the handler installed and restarts interrupted calls (BSD semantics).
        unsafe {
            signal(SIGTERM, on_signal);
            signal(SIGINT, on_signal);
        }
    }
}

#[cfg(not(unix))]
mod signals {
    pub fn install() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_interval("3m"), Ok(Duration::from_secs(180)));
        assert_eq!(parse_interval("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["3", "m", "3min", "1.5m", "-3m", "3 m", "0s", "", "3d", "99999999999999999999h"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
        assert_eq!(show(Duration::from_secs(180)), "3m");
        assert_eq!(show(Duration::from_secs(90)), "90s");
    }
}
