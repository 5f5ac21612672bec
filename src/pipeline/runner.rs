//! `juchu run`: one writer at a time, stage by stage, every stage's outcome recorded in `runs`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::Result;

use super::check;
use super::clock::Clock;
use crate::config::diagnostic::{Diagnostic, Diagnostics};
use crate::domain::lang::pick;
use crate::stages::{PlannedStage, Preview, RunContext, StageEnv, StageError, StageOutcome};
use crate::store::runs::{RunStatus, StageRecord};
use crate::store::{RunLock, RunLockError, Store};
use crate::ExitStatus;

pub struct RunOptions {
    pub store: Option<PathBuf>,
    /// Re-derive stored data (enrichment) for every order, after rules or masters changed.
    pub replay: bool,
    pub clock: Clock,
    pub quiet: bool,
    pub styled: bool,
    /// Every diagnostic in full, not the first few of each code and a count (`--all-diagnostics`).
    pub all_diagnostics: bool,
    /// Diagnostics as JSON lines, every one (`--log-format json`); the run's summary is one JSON object line.
    pub json: bool,
    /// Run only the pipeline's stages of this kind (`juchu write-back`: `write_back`).
    pub only_kind: Option<&'static str>,
    /// `juchu write-back --dry-run`: the stage plans and writes nothing.
    pub dry_run: bool,
    /// `juchu write-back --retry-dead`.
    pub retry_dead: bool,
    /// `juchu slips export --again`.
    pub again: bool,
    /// `-v`: every stage's line even when nothing changed (otherwise a quiet run is one line).
    pub verbose: bool,
}

/// Set by the `--every` loop's signal handler (SIGTERM, SIGINT): the run finishes the stage it is
/// in (its transaction commits or rolls back as usual), skips the rest and releases the lock.
pub static STOP: AtomicBool = AtomicBool::new(false);

pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// What the run prints, held back while nothing has changed: a run in which no stage changed
/// anything (a cron poll that found nothing) prints one summary line instead of a line per stage
/// and the warnings they repeat (`-v` shows them; the store keeps them in `run_diagnostics`).
struct Output<'a> {
    opts: &'a RunOptions,
    /// `Some` while every stage so far changed nothing.
    held: Option<Vec<Held>>,
    /// Warnings held back (for the summary line's count).
    held_warnings: usize,
    /// For `--log-format json`: each stage as an object of the summary line.
    stages: Vec<serde_json::Value>,
}

enum Held {
    Line(String),
    Diagnostics(Diagnostics),
}

impl Output<'_> {
    fn line(&mut self, text: String) {
        if self.opts.quiet || self.opts.json {
            return;
        }
        match &mut self.held {
            Some(held) => held.push(Held::Line(text)),
            None => println!("{text}"),
        }
    }

    fn diagnostics(&mut self, diags: Diagnostics) {
        if diags.is_empty() {
            return;
        }
        match &mut self.held {
            // JSON lines carry every diagnostic, quiet run or not: a collector filters them.
            Some(held) if !self.opts.json => {
                self.held_warnings += diags.0.len();
                held.push(Held::Diagnostics(diags));
            }
            _ => print_diagnostics(&diags, self.opts),
        }
    }

    /// Something changed or failed: print what was held back, and from now on as it comes.
    fn release(&mut self) {
        for h in self.held.take().unwrap_or_default() {
            match h {
                Held::Line(text) => println!("{text}"),
                Held::Diagnostics(d) => print_diagnostics(&d, self.opts),
            }
        }
        self.held_warnings = 0;
    }
}

/// A stage changed the store or the outside (a file, a mail), or some of its records failed.
fn changed_anything(o: &StageOutcome) -> bool {
    o.rows_new > 0 || o.rows_changed > 0 || o.rows_out > 0 || o.rows_rejected > 0 || o.failed > 0
}

/// How many problems of one code are shown in full before the rest are counted.
pub const SHOWN_PER_CODE: usize = 5;

/// Prints to stdout unless quiet.
macro_rules! say {
    ($opts:expr, $($arg:tt)*) => { if !$opts.quiet { println!($($arg)*); } };
}

pub fn run(path: &Path, opts: &RunOptions) -> ExitStatus {
    let run_started = Instant::now();
    let now = opts.clock.now();
    let loaded = check::load(path, now);
    let errors = loaded.diagnostics.has_errors();
    print_diagnostics(&loaded.diagnostics, opts);
    let mut stages = loaded.stages;
    if let Some(kind) = opts.only_kind {
        stages.retain(|s| s.kind == kind);
        if stages.is_empty() {
            eprintln!(
                "error: {}",
                pick(
                    format!("パイプライン {} に `type: {kind}` のステージがありません", path.display()),
                    format!("the pipeline {} has no stage of `type: {kind}`", path.display())
                )
            );
            return ExitStatus::Usage;
        }
    }
    let (Some(pipeline), Some(settings), false) = (loaded.pipeline, loaded.settings, errors) else {
        eprintln!(
            "{}",
            pick(
                "juchu: パイプラインか設定にエラーがあるため、何も実行していません（終了コード 78）",
                "juchu: the pipeline or its settings have errors; nothing was run (exit 78)"
            )
        );
        return ExitStatus::Config;
    };
    let store_path = opts.store.clone().unwrap_or_else(|| settings.store.clone());
    let (_lock, store) = match lock_and_open(&store_path, &format!("run {}", path.display())) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    let run_id = match store.start_run(path, now) {
        Ok(id) => id,
        Err(e) => {
            eprintln!("juchu: cannot record the run: {e:#}");
            eprintln!("  help: {} (exit 70)", crate::store::open_failure_help(&store_path));
            return ExitStatus::Internal;
        }
    };
    let mut out = Output { opts, held: (!opts.verbose && !opts.dry_run).then(Vec::new), held_warnings: 0, stages: Vec::new() };
    out.line(format!(
        "juchu run {} (run {run_id}, now {}, store {})",
        crate::config::diagnostic::display_path(path),
        now.format("%Y-%m-%d %H:%M:%S%:z"),
        crate::config::diagnostic::display_path(&store_path)
    ));
    // The in-process mock mall, for switched-on malls whose endpoint is `mock` (the demo, tests); its
    // FTP side (and its folder, state/mock-ftp/) only for a switched-on mall fetched over FTP.
    let mock_malls: Vec<_> =
        settings.malls.values().filter(|m| m.switches.order_import && m.endpoint.as_ref().is_some_and(|e| e.value == "mock")).collect();
    let needs_mock = stages.iter().any(|s| s.stage.talks_to_malls()) && !mock_malls.is_empty();
    let needs_ftp = mock_malls.iter().any(|m| m.mall_kind.fetched_over_ftp());
    let mock = if needs_mock {
        match start_mock(&opts.clock, &store_path, needs_ftp) {
            Ok(m) => Some(m),
            Err(e) => {
                eprintln!("juchu: cannot start the in-process mock mall: {e:#}");
                return ExitStatus::Internal;
            }
        }
    } else {
        None
    };
    let mock_endpoints = mock.as_ref().map(|m| crate::malls::MockEndpoints { http: m.url.clone(), ftp: m.ftp_url.clone() });
    let mut status = ExitStatus::Success;
    let mut records_failed = false;
    let mut stopped = false;
    for (seq, stage) in stages.iter().enumerate() {
        let (id, kind) = (stage.id(), stage.kind);
        if status != ExitStatus::Success {
            let _ = record_stage(&store, run_id, seq, stage, "skipped", &StageOutcome::default(), 0);
            out.line(format!("  - {:<18} {:<18} {}", id, kind, pick("前のステージが失敗したため実行せず", "skipped")));
            out.stages.push(serde_json::json!({ "id": id, "type": kind, "status": "skipped" }));
            continue;
        }
        if stop_requested() {
            // SIGTERM/SIGINT to the `--every` loop: the stages before committed; these wait for the next run.
            stopped = true;
            let _ = record_stage(&store, run_id, seq, stage, "skipped", &StageOutcome::default(), 0);
            out.line(format!("  - {:<18} {:<18} {}", id, kind, pick("停止の指示があったため実行せず", "skipped: stop requested")));
            out.stages.push(serde_json::json!({ "id": id, "type": kind, "status": "skipped" }));
            continue;
        }
        let started = Instant::now();
        let cx = RunContext {
            env: StageEnv::new(&pipeline, &stage.spec),
            settings: &settings,
            store: &store,
            now,
            run_id,
            mock: mock_endpoints.clone(),
            replay: opts.replay,
            dry_run: opts.dry_run,
            retry_dead: opts.retry_dead,
            again: opts.again,
        };
        // Tests make a stage panic to prove the `--every` loop survives it (JUCHU_PANIC_AT=stage id).
        if std::env::var("JUCHU_PANIC_AT").is_ok_and(|v| v == id) {
            panic!("JUCHU_PANIC_AT={id}");
        }
        crate::io::progress::stage_started(&format!("{id} ({kind})"));
        let result = stage.stage.run(&cx);
        crate::io::progress::stage_finished();
        let ms = started.elapsed().as_millis() as i64;
        match result {
            Ok(outcome) => {
                let (state, mark) = if outcome.failed > 0 {
                    ("partly_failed", "✗")
                } else if outcome.warnings.is_empty() {
                    ("ok", "✓")
                } else {
                    ("warnings", "!")
                };
                let _ = record_stage(&store, run_id, seq, stage, state, &outcome, ms);
                let _ = store.record_diagnostics(run_id, seq, id, &outcome.warnings);
                records_failed |= outcome.failed > 0;
                if changed_anything(&outcome) {
                    out.release();
                }
                out.line(format!("  {mark} {:<18} {:<18} {} ({ms} ms)", id, kind, outcome.message));
                out.stages.push(serde_json::json!({
                    "id": id, "type": kind, "status": state, "ms": ms,
                    "rows_in": outcome.rows_in, "rows_new": outcome.rows_new, "rows_changed": outcome.rows_changed,
                    "rows_unchanged": outcome.rows_unchanged, "rows_out": outcome.rows_out, "rows_rejected": outcome.rows_rejected,
                    "failed": outcome.failed, "warnings": outcome.warnings.len(), "message": outcome.message,
                }));
                if outcome.bytes > 0 && ms > 0 {
                    log::info!("{id}: {:.1} MB/s", outcome.bytes as f64 / 1e6 / (ms as f64 / 1000.0));
                }
                out.diagnostics(Diagnostics(outcome.warnings.clone()));
            }
            Err(StageError::Input(diags)) => {
                let failed = StageOutcome {
                    message: pick(
                        format!("問題 {} 件: 何も書き込んでいません", diags.len()),
                        format!("{} problem(s); nothing written", diags.len()),
                    ),
                    ..Default::default()
                };
                let _ = record_stage(&store, run_id, seq, stage, "failed", &failed, ms);
                let _ = store.record_diagnostics(run_id, seq, id, &diags);
                out.release();
                out.line(format!("  ✗ {:<18} {:<18} {}", id, kind, failed.message));
                out.stages.push(serde_json::json!({ "id": id, "type": kind, "status": "failed", "ms": ms, "message": failed.message }));
                out.diagnostics(Diagnostics(diags));
                status = ExitStatus::Config;
            }
            Err(StageError::Internal(e)) => {
                let failed = StageOutcome { message: format!("{e:#}"), ..Default::default() };
                let _ = record_stage(&store, run_id, seq, stage, "failed", &failed, ms);
                out.release();
                out.line(format!("  ✗ {:<18} {:<18} failed", id, kind));
                out.stages.push(serde_json::json!({ "id": id, "type": kind, "status": "failed", "ms": ms, "message": failed.message }));
                eprintln!("error: stage `{id}` failed: {e:#}");
                eprintln!(
                    "  help: {} (exit 70)",
                    pick(
                        "このステージの書き込みはすべて取り消しました。ディスクの空きとストアのフォルダに書き込めるかを確かめて、もう一度実行してください。繰り返すときはこのログとストアを開発者に渡してください",
                        "nothing of this stage was kept (its transaction rolled back); check the disk has space and the store's folder is writable, then run again; if it happens again, keep this log and the store for a developer"
                    )
                );
                status = ExitStatus::Internal;
            }
        }
    }
    if status == ExitStatus::Success && records_failed {
        status = ExitStatus::RecordsFailed;
    }
    let _ = store.finish_run(run_id, run_status(status), status.code());
    let _ = store.conn.execute_batch("CHECKPOINT");
    let quiet_run = out.held.is_some() && status == ExitStatus::Success && !stopped;
    // Held warnings are counted on the line only when they stay held (a quiet run); otherwise they are printed.
    let held_warnings = if quiet_run && !opts.json { out.held_warnings } else { 0 };
    let summary = summary_line(path, now, stages.len(), run_started.elapsed().as_secs_f64(), status, quiet_run, stopped, held_warnings);
    if opts.json {
        if !opts.quiet {
            println!(
                "{}",
                serde_json::json!({
                    "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    "level": if status == ExitStatus::Success { "INFO" } else { "WARN" },
                    "target": "juchu::run",
                    "message": summary,
                    "pipeline": crate::config::diagnostic::display_path(path),
                    "run_id": run_id,
                    "now": now.to_rfc3339(),
                    "changed": !quiet_run,
                    "stopped": stopped,
                    "exit_code": status.code(),
                    "seconds": (run_started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
                    "stages": out.stages,
                })
            );
        }
        return status;
    }
    if quiet_run {
        // One line for a poll that found nothing: the stage lines and the warnings they repeat are held back.
        say!(opts, "{summary}");
        return status;
    }
    out.release();
    match status {
        ExitStatus::Success if stopped => say!(opts, "{summary}"),
        ExitStatus::Success => say!(opts, "{}", pick("完了しました。", "done.")),
        s => eprintln!(
            "{}",
            pick(
                format!("juchu: 実行 {run_id} は終了コード {} で終わりました", s.code()),
                format!("juchu: run {run_id} ended with exit code {}", s.code())
            )
        ),
    }
    status
}

/// `2026-12-02 13:03 demo: 変化なし（9 ステージ, 0.21 秒）`: the run's time (JST), the pipeline's
/// name, what happened, how many stages and how long.
#[allow(clippy::too_many_arguments)]
fn summary_line(
    path: &Path,
    now: chrono::DateTime<chrono::FixedOffset>,
    stages: usize,
    seconds: f64,
    status: ExitStatus,
    quiet_run: bool,
    stopped: bool,
    held_warnings: usize,
) -> String {
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
    let when = now.with_timezone(&crate::domain::time::jst()).format("%Y-%m-%d %H:%M");
    let what = match (quiet_run, stopped, status) {
        (true, _, _) => pick("変化なし", "nothing changed"),
        (_, true, _) => pick("停止の指示で途中まで", "stopped on request"),
        (_, _, ExitStatus::Success) => pick("完了", "done"),
        (_, _, s) => pick(format!("終了コード {}", s.code()), format!("exit code {}", s.code())),
    };
    let warnings = match held_warnings {
        0 => String::new(),
        n => pick(format!(", 警告 {n} 件は -v で表示"), format!("; {n} warning(s), -v shows them")),
    };
    pick(
        format!("{when} {name}: {what}（{stages} ステージ, {seconds:.2} 秒{warnings}）"),
        format!("{when} {name}: {what} ({stages} stages, {seconds:.2} s{warnings})"),
    )
}

/// `juchu preview`: what a stage would write, from its inputs; nothing is written. On failure, the
/// diagnostics and the exit status they mean (78 for the inputs, 70 for an unusable store).
pub fn preview(path: &Path, stage_id: &str, limit: usize, opts: &RunOptions) -> Result<Preview, (Vec<Diagnostic>, ExitStatus)> {
    let config = |d: Vec<Diagnostic>| (d, ExitStatus::Config);
    let internal = |d: Diagnostic| (vec![d], ExitStatus::Internal);
    let now = opts.clock.now();
    let loaded = check::load(path, now);
    if loaded.diagnostics.has_errors() {
        return Err(config(loaded.diagnostics.0));
    }
    let (pipeline, settings) = (loaded.pipeline.expect("no errors"), loaded.settings.expect("no errors"));
    let Some(stage) = loaded.stages.iter().find(|s| s.id() == stage_id) else {
        let ids: Vec<&str> = loaded.stages.iter().map(|s| s.id()).collect();
        return Err(config(vec![Diagnostic::error(
            "C050",
            pick(format!("パイプラインにステージ `{stage_id}` がありません"), format!("the pipeline has no stage `{stage_id}`")),
        )
        .in_file(path)
        .help(pick(format!("ステージ: {}", ids.join(", ")), format!("stages: {}", ids.join(", "))))]));
    };
    let store_path = opts.store.clone().unwrap_or_else(|| settings.store.clone());
    let store =
        if store_path.exists() { Store::open_read_only(&store_path) } else { Store::in_memory() }.map_err(|e| match e
            .downcast_ref::<crate::store::StoreBusy>(
        ) {
            Some(busy) => (vec![Diagnostic::error("S001", busy.to_string()).in_file(&store_path).help(busy.help())], ExitStatus::Locked),
            None => internal(
                Diagnostic::error("S001", format!("{e:#}")).in_file(&store_path).help(crate::store::open_failure_help(&store_path)),
            ),
        })?;
    let env = StageEnv::new(&pipeline, &stage.spec);
    let cx = RunContext {
        env,
        settings: &settings,
        store: &store,
        now,
        run_id: 0,
        mock: None,
        replay: false,
        dry_run: true,
        retry_dead: false,
        again: false,
    };
    stage.stage.preview(&cx, limit).map_err(|e| match e {
        StageError::Input(d) => config(d),
        StageError::Internal(e) => internal(Diagnostic::error("S001", format!("{e:#}"))),
    })
}

/// Starts the mock mall on free loopback ports, on the run's clock (scenario from `JUCHU_MOCK_SCENARIO` if set).
/// Its FTP folder sits beside the store, so what a run archived stays archived for the next run, and
/// so does its state file (`mock-mall-state.json`: the writes applied and the write log).
fn start_mock(clock: &Clock, store_path: &Path, ftp: bool) -> Result<crate::mock::MockMall> {
    let scenario = match std::env::var("JUCHU_MOCK_SCENARIO") {
        Ok(path) if !path.is_empty() => crate::mock::Scenario::load(Path::new(&path))?,
        _ => crate::mock::Scenario::default(),
    };
    let clock = *clock;
    let root = store_path.parent().unwrap_or(Path::new(".")).join("mock-ftp");
    let ftp = ftp.then(|| crate::mock::FtpSide { listen: "127.0.0.1:0".into(), root });
    // The writes it applied are kept beside the store too: the next run's fetch must still see them.
    let state = crate::mock::writes::state_file_beside(store_path);
    crate::mock::MockMall::start("127.0.0.1:0", ftp, scenario, std::sync::Arc::new(move || clock.now()), Some(state))
}

/// Prints diagnostics to stderr: as text, the first [`SHOWN_PER_CODE`] of each code and a count of
/// the rest (all with `--all-diagnostics`); as JSON lines, every one.
pub fn print_diagnostics(diags: &Diagnostics, opts: &RunOptions) {
    if diags.is_empty() {
        return;
    }
    if opts.json {
        let mut out = String::new();
        for d in &diags.0 {
            out.push_str(&d.to_json().to_string());
            out.push('\n');
        }
        eprint!("{out}");
    } else {
        let per_code = if opts.all_diagnostics { usize::MAX } else { SHOWN_PER_CODE };
        eprint!("{}", diags.render_summarised(opts.styled, per_code));
    }
}

fn run_status(status: ExitStatus) -> RunStatus {
    match status {
        ExitStatus::Success => RunStatus::Ok,
        ExitStatus::RecordsFailed => RunStatus::RecordsFailed,
        ExitStatus::Config => RunStatus::ConfigError,
        _ => RunStatus::Failed,
    }
}

fn record_stage(store: &Store, run_id: i64, seq: usize, stage: &PlannedStage, status: &str, o: &StageOutcome, ms: i64) -> Result<()> {
    store.record_stage(
        run_id,
        &StageRecord {
            seq,
            id: stage.id(),
            kind: stage.kind,
            status,
            rows_in: o.rows_in,
            rows_out: o.rows_out,
            rows_rejected: o.rows_rejected,
            rows_new: o.rows_new,
            rows_changed: o.rows_changed,
            rows_unchanged: o.rows_unchanged,
            duration_ms: ms,
            message: &o.message,
        },
    )
}

/// Takes the run lock of `store_path` and opens the store for writing, saying on stderr why not:
/// every command that writes (a run, `juchu mail settle`, …) is the one writer while it holds it.
pub fn lock_and_open(store_path: &Path, what: &str) -> Result<(RunLock, Store), ExitStatus> {
    let lock = match RunLock::acquire(store_path, what) {
        Ok(l) => l,
        Err(RunLockError::Held { path, holder }) => {
            // Two runs started at the same instant: the holder may not have written who it is yet.
            let holder = if holder == "unknown" {
                std::thread::sleep(std::time::Duration::from_millis(100));
                crate::store::lock::holder(store_path).unwrap_or(holder)
            } else {
                holder
            };
            eprintln!("juchu: {}", RunLockError::Held { path, holder });
            eprintln!(
                "  help: {}",
                pick(
                    "前の実行がまだ動いている間に cron が次を始めたときの、ふつうの動きです。次の回にまた実行します（終了コード 75）",
                    "this is normal when cron starts a run while the previous one still works; the next tick runs again (exit 75)"
                )
            );
            return Err(ExitStatus::Locked);
        }
        Err(e) => {
            eprintln!("juchu: {e}");
            eprintln!(
                "  help: {}",
                pick(
                    "ストアのフォルダがあって書き込めるか、ディスクがいっぱいでないかを確かめてください（終了コード 70）",
                    "check that the store's folder exists and is writable, and that the disk is not full (exit 70)"
                )
            );
            return Err(ExitStatus::Internal);
        }
    };
    let store = match Store::open(store_path) {
        Ok(s) => s,
        Err(e) if e.downcast_ref::<crate::store::StoreBusy>().is_some() => {
            let busy = e.downcast_ref::<crate::store::StoreBusy>().expect("checked");
            eprintln!("juchu: {busy}");
            eprintln!("  help: {}", busy.help());
            return Err(ExitStatus::Locked);
        }
        Err(e) => {
            eprintln!("juchu: {e:#}");
            eprintln!("  help: {} (exit 70)", crate::store::open_failure_help(store_path));
            return Err(ExitStatus::Internal);
        }
    };
    Ok((lock, store))
}
