//! `juchu run`: one writer at a time, stage by stage, every stage's outcome recorded in `runs`.

use std::path::{Path, PathBuf};
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
    /// Diagnostics as JSON lines, every one (`--log-format json`).
    pub json: bool,
}

/// How many problems of one code are shown in full before the rest are counted.
pub const SHOWN_PER_CODE: usize = 5;

/// Prints to stdout unless quiet.
macro_rules! say {
    ($opts:expr, $($arg:tt)*) => { if !$opts.quiet { println!($($arg)*); } };
}

pub fn run(path: &Path, opts: &RunOptions) -> ExitStatus {
    let now = opts.clock.now();
    let loaded = check::load(path, now);
    let errors = loaded.diagnostics.has_errors();
    print_diagnostics(&loaded.diagnostics, opts);
    let stages = loaded.stages;
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
    say!(
        opts,
        "juchu run {} (run {run_id}, now {}, store {})",
        crate::config::diagnostic::display_path(path),
        now.format("%Y-%m-%d %H:%M:%S%:z"),
        crate::config::diagnostic::display_path(&store_path)
    );
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
    for (seq, stage) in stages.iter().enumerate() {
        let (id, kind) = (stage.id(), stage.kind);
        if status != ExitStatus::Success {
            let _ = record_stage(&store, run_id, seq, stage, "skipped", &StageOutcome::default(), 0);
            say!(opts, "  - {:<18} {:<18} {}", id, kind, pick("前のステージが失敗したため実行せず", "skipped"));
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
        };
        let result = stage.stage.run(&cx);
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
                say!(opts, "  {mark} {:<18} {:<18} {} ({ms} ms)", id, kind, outcome.message);
                if outcome.bytes > 0 && ms > 0 {
                    log::info!("{id}: {:.1} MB/s", outcome.bytes as f64 / 1e6 / (ms as f64 / 1000.0));
                }
                print_diagnostics(&Diagnostics(outcome.warnings.clone()), opts);
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
                say!(opts, "  ✗ {:<18} {:<18} {}", id, kind, failed.message);
                print_diagnostics(&Diagnostics(diags), opts);
                status = ExitStatus::Config;
            }
            Err(StageError::Internal(e)) => {
                let failed = StageOutcome { message: format!("{e:#}"), ..Default::default() };
                let _ = record_stage(&store, run_id, seq, stage, "failed", &failed, ms);
                say!(opts, "  ✗ {:<18} {:<18} failed", id, kind);
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
    match status {
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
    let cx = RunContext { env, settings: &settings, store: &store, now, run_id: 0, mock: None, replay: false };
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
        Err(e @ RunLockError::Held { .. }) => {
            eprintln!("juchu: {e}");
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
