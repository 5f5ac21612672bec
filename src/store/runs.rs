//! `runs` and `run_stages`: what each `juchu run` did, stage by stage. The runner is their only
//! writer; `juchu query` and the coming report read them.

use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, FixedOffset};
use duckdb::params;

use super::Store;

/// How a run ended, as `runs.status` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Ok,
    RecordsFailed,
    ConfigError,
    Failed,
    /// Killed (or crashed) before it could record how it ended; set by the next run.
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::RecordsFailed => "records_failed",
            RunStatus::ConfigError => "config_error",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

/// One stage's line in `run_stages`.
pub struct StageRecord<'a> {
    pub seq: usize,
    pub id: &'a str,
    pub kind: &'a str,
    /// `ok`, `warnings`, `partly_failed`, `failed` or `skipped`.
    pub status: &'a str,
    pub rows_in: u64,
    pub rows_out: u64,
    pub rows_rejected: u64,
    pub rows_new: u64,
    pub rows_changed: u64,
    pub rows_unchanged: u64,
    pub duration_ms: i64,
    pub message: &'a str,
}

impl Store {
    /// Starts a run: a new `run_id` and its `running` row. The caller holds the run lock, so a run
    /// still `running` here was killed or crashed: it is marked `interrupted`, its `finished_at`
    /// the time this run noticed (it ended at some time before), and named in the log.
    pub fn start_run(&self, pipeline: &Path, now: DateTime<FixedOffset>) -> Result<i64> {
        let mut stmt = self.conn.prepare(
            "UPDATE runs SET status = ?, finished_at = current_timestamp WHERE status = 'running'
             RETURNING run_id, pipeline, started_at::VARCHAR",
        )?;
        let interrupted = stmt
            .query_map(params![RunStatus::Interrupted.as_str()], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })?
            .collect::<duckdb::Result<Vec<_>>>()?;
        for (id, pipeline, started) in interrupted {
            log::warn!(
                "{}",
                crate::domain::lang::pick(
                    format!("実行 {id}（{pipeline}、開始 {started}）は終わりを記録せずに止まっていました（強制終了など）。interrupted にしました"),
                    format!("run {id} ({pipeline}, started {started}) stopped without recording its end (killed?); marked interrupted"),
                )
            );
        }
        let id: i64 = self.conn.query_row("SELECT nextval('run_ids')", [], |r| r.get(0))?;
        self.conn.execute(
            "INSERT INTO runs (run_id, pipeline, started_at, clock_now, status) VALUES (?, ?, current_timestamp, ?, 'running')",
            params![id, pipeline.display().to_string(), now.to_rfc3339()],
        )?;
        Ok(id)
    }

    pub fn finish_run(&self, run_id: i64, status: RunStatus, exit_code: u8) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET finished_at = current_timestamp, status = ?, exit_code = ? WHERE run_id = ?",
            params![status.as_str(), exit_code as i32, run_id],
        )?;
        Ok(())
    }

    pub fn record_stage(&self, run_id: i64, s: &StageRecord<'_>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO run_stages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                run_id,
                s.seq as i64,
                s.id,
                s.kind,
                s.status,
                s.rows_in as i64,
                s.rows_out as i64,
                s.rows_rejected as i64,
                s.rows_new as i64,
                s.rows_changed as i64,
                s.rows_unchanged as i64,
                s.duration_ms,
                s.message
            ],
        )?;
        Ok(())
    }
}

impl Store {
    /// Keeps what a stage reported, in the run's language, for the workbook's エラー sheet.
    pub fn record_diagnostics(
        &self,
        run_id: i64,
        seq: usize,
        stage_id: &str,
        diags: &[crate::config::diagnostic::Diagnostic],
    ) -> Result<()> {
        if diags.is_empty() {
            return Ok(());
        }
        let mut stmt = self.conn.prepare("INSERT INTO run_diagnostics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")?;
        for (n, d) in diags.iter().enumerate() {
            let place = d.place_text();
            stmt.execute(params![
                run_id,
                seq as i64,
                n as i64,
                stage_id,
                d.code,
                d.severity.name(),
                Some(place).filter(|p| !p.is_empty()),
                d.message,
                d.help
            ])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_left_running_is_interrupted_when_the_next_starts() {
        let store = Store::in_memory().unwrap();
        let now = DateTime::parse_from_rfc3339("2026-12-01T09:00:00+09:00").unwrap();
        let killed = store.start_run(Path::new("pipelines/demo.yaml"), now).unwrap();
        let done = store.start_run(Path::new("pipelines/demo.yaml"), now).unwrap();
        store.finish_run(done, RunStatus::Ok, 0).unwrap();
        let rows: Vec<(i64, String, bool)> = store
            .conn
            .prepare("SELECT run_id, status, finished_at IS NOT NULL FROM runs ORDER BY run_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<duckdb::Result<_>>()
            .unwrap();
        assert_eq!(rows, [(killed, "interrupted".to_string(), true), (done, "ok".to_string(), true)]);
    }

    #[test]
    fn a_run_and_its_stages_are_recorded() {
        let store = Store::in_memory().unwrap();
        let now = DateTime::parse_from_rfc3339("2026-12-01T09:00:00+09:00").unwrap();
        let id = store.start_run(Path::new("pipelines/demo.yaml"), now).unwrap();
        let stage = StageRecord {
            seq: 0,
            id: "orders",
            kind: "fetch_orders",
            status: "partly_failed",
            rows_in: 5,
            rows_out: 4,
            rows_rejected: 1,
            rows_new: 3,
            rows_changed: 1,
            rows_unchanged: 0,
            duration_ms: 12,
            message: "rakuten: 4 orders; yahoo failed",
        };
        store.record_stage(id, &stage).unwrap();
        store.finish_run(id, RunStatus::RecordsFailed, 1).unwrap();
        let (status, code, finished): (String, i32, bool) = store
            .conn
            .query_row("SELECT status, exit_code, finished_at IS NOT NULL FROM runs WHERE run_id = ?", params![id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!((status.as_str(), code, finished), ("records_failed", 1, true));
        let (kind, state, new): (String, String, i64) = store
            .conn
            .query_row("SELECT kind, status, rows_new FROM run_stages WHERE run_id = ? AND seq = 0", params![id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!((kind.as_str(), state.as_str(), new), ("fetch_orders", "partly_failed", 3));
    }
}
