//! `juchu run`: one writer at a time, stage by stage, every stage's outcome recorded in `runs`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use duckdb::params;

use super::check;
use super::clock::Clock;
use crate::config::diagnostic::{Diagnostic, Diagnostics};
use crate::config::pipeline::{StageKind, StageSpec};
use crate::stages::{Preview, RunContext, StageError, StageOutcome};
use crate::store::{RunLock, RunLockError, Store};
use crate::ExitStatus;

pub struct RunOptions {
    pub store: Option<PathBuf>,
    /// Re-derive stored data (enrichment) for every order, after rules or masters changed.
    pub replay: bool,
    pub clock: Clock,
    pub quiet: bool,
    pub styled: bool,
}

/// Prints to stdout unless quiet.
macro_rules! say {
    ($opts:expr, $($arg:tt)*) => { if !$opts.quiet { println!($($arg)*); } };
}

pub fn run(path: &Path, opts: &RunOptions) -> ExitStatus {
    let now = opts.clock.now();
    let loaded = check::load(path, now);
    let errors = loaded.diagnostics.has_errors();
    print_diagnostics(&loaded.diagnostics, opts.styled);
    let (Some(pipeline), Some(settings), false) = (loaded.pipeline, loaded.settings, errors) else {
        eprintln!("juchu: the pipeline or its settings have errors; nothing was run (exit 78)");
        return ExitStatus::Config;
    };
    let store_path = opts.store.clone().unwrap_or_else(|| settings.store.clone());
    let _lock = match RunLock::acquire(&store_path, &format!("run {}", path.display())) {
        Ok(l) => l,
        Err(e @ RunLockError::Held { .. }) => {
            eprintln!("juchu: {e}");
            eprintln!(
                "  help: this is normal when cron starts a run while the previous one still works; the next tick runs again (exit 75)"
            );
            return ExitStatus::Locked;
        }
        Err(e) => {
            eprintln!("juchu: {e}");
            return ExitStatus::RecordsFailed;
        }
    };
    let store = match Store::open(&store_path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("juchu: {e:#}");
            return ExitStatus::RecordsFailed;
        }
    };
    let run_id = match start_run(&store, path, now) {
        Ok(id) => id,
        Err(e) => {
            eprintln!("juchu: cannot record the run: {e:#}");
            return ExitStatus::RecordsFailed;
        }
    };
    say!(
        opts,
        "juchu run {} (run {run_id}, now {}, store {})",
        crate::config::diagnostic::display_path(path),
        now.format("%Y-%m-%d %H:%M:%S%:z"),
        crate::config::diagnostic::display_path(&store_path)
    );
    // The in-process mock mall, for malls whose endpoint is `mock` (the demo, tests).
    let needs_mock = pipeline.stages.iter().any(|s| matches!(s.kind, StageKind::FetchOrders(_)))
        && settings.malls.values().any(|m| m.endpoint.as_ref().is_some_and(|e| e.value == "mock"));
    let mock = if needs_mock {
        match start_mock(&opts.clock, &store_path) {
            Ok(m) => Some(m),
            Err(e) => {
                eprintln!("juchu: {e:#}");
                return ExitStatus::RecordsFailed;
            }
        }
    } else {
        None
    };
    let cx = RunContext {
        pipeline: &pipeline,
        settings: &settings,
        store: &store,
        now,
        run_id,
        mock: mock.as_ref().map(|m| crate::malls::MockEndpoints { http: m.url.clone(), ftp: m.ftp_url.clone() }),
        replay: opts.replay,
    };
    let mut status = ExitStatus::Success;
    let mut records_failed = false;
    for (seq, stage) in pipeline.stages.iter().enumerate() {
        if status != ExitStatus::Success {
            let _ = record_stage(&store, run_id, seq, stage, "skipped", &StageOutcome::default(), 0);
            say!(opts, "  - {:<18} {:<18} skipped", stage.id, stage.kind.name());
            continue;
        }
        let started = Instant::now();
        let result = run_stage(stage, &cx);
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
                records_failed |= outcome.failed > 0;
                say!(opts, "  {mark} {:<18} {:<18} {} ({ms} ms)", stage.id, stage.kind.name(), outcome.message);
                if outcome.bytes > 0 && ms > 0 {
                    log::info!("{}: {:.1} MB/s", stage.id, outcome.bytes as f64 / 1e6 / (ms as f64 / 1000.0));
                }
                print_diagnostics(&Diagnostics(outcome.warnings.clone()), opts.styled);
            }
            Err(StageError::Input(diags)) => {
                let failed = StageOutcome { message: format!("{} problem(s); nothing written", diags.len()), ..Default::default() };
                let _ = record_stage(&store, run_id, seq, stage, "failed", &failed, ms);
                say!(opts, "  ✗ {:<18} {:<18} {}", stage.id, stage.kind.name(), failed.message);
                print_diagnostics(&Diagnostics(diags), opts.styled);
                status = ExitStatus::Config;
            }
            Err(StageError::Internal(e)) => {
                let failed = StageOutcome { message: format!("{e:#}"), ..Default::default() };
                let _ = record_stage(&store, run_id, seq, stage, "failed", &failed, ms);
                say!(opts, "  ✗ {:<18} {:<18} failed", stage.id, stage.kind.name());
                eprintln!("error: stage `{}` failed: {e:#}", stage.id);
                status = ExitStatus::RecordsFailed;
            }
        }
    }
    if status == ExitStatus::Success && records_failed {
        status = ExitStatus::RecordsFailed;
    }
    let _ = finish_run(&store, run_id, status);
    let _ = store.conn.execute_batch("CHECKPOINT");
    match status {
        ExitStatus::Success => say!(opts, "done."),
        s => eprintln!("juchu: run {run_id} ended with exit code {}", s.code()),
    }
    status
}

fn run_stage(stage: &StageSpec, cx: &RunContext<'_>) -> Result<StageOutcome, StageError> {
    match &stage.kind {
        StageKind::ImportProducts(c) => c.run(cx),
        StageKind::LoadMasters(c) => c.run(cx),
        StageKind::ValidateMasters(c) => c.run(cx),
        StageKind::FetchOrders(c) => c.run(cx),
        StageKind::Enrich(c) => c.run(cx),
    }
}

/// `juchu preview`: what a stage would write, from its inputs; nothing is written.
pub fn preview(path: &Path, stage_id: &str, limit: usize, opts: &RunOptions) -> Result<Preview, Vec<Diagnostic>> {
    let now = opts.clock.now();
    let loaded = check::load(path, now);
    if loaded.diagnostics.has_errors() {
        return Err(loaded.diagnostics.0);
    }
    let (pipeline, settings) = (loaded.pipeline.expect("no errors"), loaded.settings.expect("no errors"));
    let Some(stage) = pipeline.stages.iter().find(|s| s.id == stage_id) else {
        let ids: Vec<&str> = pipeline.stages.iter().map(|s| s.id.as_str()).collect();
        return Err(vec![Diagnostic::error("C050", format!("the pipeline has no stage `{stage_id}`"))
            .in_file(path)
            .help(format!("stages: {}", ids.join(", ")))]);
    };
    let store_path = opts.store.clone().unwrap_or_else(|| settings.store.clone());
    let store = if store_path.exists() { Store::open_read_only(&store_path) } else { Store::in_memory() }
        .map_err(|e| vec![Diagnostic::error("S001", format!("{e:#}"))])?;
    let cx = RunContext { pipeline: &pipeline, settings: &settings, store: &store, now, run_id: 0, mock: None, replay: false };
    let result = match &stage.kind {
        StageKind::ImportProducts(c) => c.preview(&cx, limit),
        StageKind::LoadMasters(c) => c.preview(&cx, limit),
        StageKind::ValidateMasters(c) => c.preview(&cx, limit),
        StageKind::FetchOrders(c) => c.preview(&cx, limit),
        StageKind::Enrich(c) => c.preview(&cx, limit),
    };
    result.map_err(|e| match e {
        StageError::Input(d) => d,
        StageError::Internal(e) => vec![Diagnostic::error("S001", format!("{e:#}"))],
    })
}

/// Starts the mock mall on free loopback ports, on the run's clock (scenario from `JUCHU_MOCK_SCENARIO` if set).
/// Its FTP folder sits beside the store, so what a run archived stays archived for the next run.
fn start_mock(clock: &Clock, store_path: &Path) -> Result<crate::mock::MockMall> {
    let scenario = match std::env::var("JUCHU_MOCK_SCENARIO") {
        Ok(path) if !path.is_empty() => crate::mock::Scenario::load(Path::new(&path))?,
        _ => crate::mock::Scenario::default(),
    };
    let clock = *clock;
    let root = store_path.parent().unwrap_or(Path::new(".")).join("mock-ftp");
    let ftp = crate::mock::FtpSide { listen: "127.0.0.1:0".into(), root };
    crate::mock::MockMall::start("127.0.0.1:0", Some(ftp), scenario, std::sync::Arc::new(move || clock.now()))
}

pub fn print_diagnostics(diags: &Diagnostics, styled: bool) {
    if !diags.is_empty() {
        eprint!("{}", diags.render(styled));
    }
}

fn start_run(store: &Store, path: &Path, now: chrono::DateTime<chrono::FixedOffset>) -> Result<i64> {
    let id: i64 = store.conn.query_row("SELECT nextval('run_ids')", [], |r| r.get(0))?;
    store.conn.execute(
        "INSERT INTO runs (run_id, pipeline, started_at, clock_now, status) VALUES (?, ?, current_timestamp, ?, 'running')",
        params![id, path.display().to_string(), now.to_rfc3339()],
    )?;
    Ok(id)
}

fn finish_run(store: &Store, run_id: i64, status: ExitStatus) -> Result<()> {
    let name = match status {
        ExitStatus::Success => "ok",
        ExitStatus::RecordsFailed => "records_failed",
        ExitStatus::Config => "config_error",
        _ => "failed",
    };
    store.conn.execute(
        "UPDATE runs SET finished_at = current_timestamp, status = ?, exit_code = ? WHERE run_id = ?",
        params![name, status.code() as i32, run_id],
    )?;
    Ok(())
}

fn record_stage(store: &Store, run_id: i64, seq: usize, stage: &StageSpec, status: &str, o: &StageOutcome, ms: i64) -> Result<()> {
    store.conn.execute(
        "INSERT INTO run_stages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            run_id,
            seq as i64,
            stage.id,
            stage.kind.name(),
            status,
            o.rows_in as i64,
            o.rows_out as i64,
            o.rows_rejected as i64,
            o.rows_new as i64,
            o.rows_changed as i64,
            o.rows_unchanged as i64,
            ms,
            o.message
        ],
    )?;
    Ok(())
}
