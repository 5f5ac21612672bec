//! One file per stage kind: its `with:` struct and what it does.
//!
//! Every stage can `check` (parse its inputs, write nothing), `run` (one transaction in the store)
//! and `preview` (the first rows it would write).

pub mod enrich;
pub mod fetch_orders;
pub mod import_products;
pub mod load_masters;
pub mod validate_masters;

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};

use crate::config::diagnostic::Diagnostic;
use crate::config::pipeline::Pipeline;
use crate::config::settings::Settings;
use crate::domain::masters::{MasterProduct, Masters, ProductOptionChoice};
use crate::store::Store;

/// What a stage sees while it runs.
pub struct RunContext<'a> {
    pub pipeline: &'a Pipeline,
    pub settings: &'a Settings,
    pub store: &'a Store,
    pub now: DateTime<FixedOffset>,
    pub run_id: i64,
    /// The in-process mock mall's address, when some mall's endpoint is `mock`.
    pub mock: Option<crate::malls::MockEndpoints>,
    /// `juchu run --replay`: stages that derive data (enrich) redo it for every stored order.
    pub replay: bool,
}

impl RunContext<'_> {
    pub fn resolve(&self, p: &str) -> PathBuf {
        self.pipeline.resolve(p)
    }
}

/// What `juchu check` carries from stage to stage, in memory instead of the store.
pub struct CheckContext<'a> {
    pub pipeline: &'a Pipeline,
    pub settings: Option<&'a Settings>,
    pub now: DateTime<FixedOffset>,
    /// The mall of the first product import: the master.
    pub master_mall: Option<String>,
    pub masters: Option<Masters>,
    pub master_products: Vec<MasterProduct>,
    pub master_options: Vec<ProductOptionChoice>,
}

/// A stage's result, recorded in `run_stages` and printed in the run summary.
#[derive(Debug, Default, Clone)]
pub struct StageOutcome {
    pub rows_in: u64,
    pub rows_out: u64,
    pub rows_rejected: u64,
    pub rows_new: u64,
    pub rows_changed: u64,
    pub rows_unchanged: u64,
    /// Bytes read, for throughput.
    pub bytes: u64,
    pub warnings: Vec<Diagnostic>,
    pub message: String,
    /// Parts that failed while the rest went on (a mall that could not be fetched): the run exits 1.
    pub failed: u64,
}

/// A table of rows for `juchu preview`.
#[derive(Debug, Default, Clone)]
pub struct Preview {
    pub table: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub total: usize,
}

/// Why a stage failed.
#[derive(Debug)]
pub enum StageError {
    /// Bad configuration or input data: diagnostics for the user (exit 78).
    Input(Vec<Diagnostic>),
    /// Something else went wrong (I/O, the store): exit 1.
    Internal(anyhow::Error),
}

impl From<Diagnostic> for StageError {
    fn from(d: Diagnostic) -> Self {
        StageError::Input(vec![d])
    }
}

impl From<Vec<Diagnostic>> for StageError {
    fn from(d: Vec<Diagnostic>) -> Self {
        StageError::Input(d)
    }
}

impl From<anyhow::Error> for StageError {
    fn from(e: anyhow::Error) -> Self {
        StageError::Internal(e)
    }
}

impl From<duckdb::Error> for StageError {
    fn from(e: duckdb::Error) -> Self {
        StageError::Internal(e.into())
    }
}

/// A required file named in a stage's `with:`; checked by `juchu check`.
pub fn require_file(pipeline: &Pipeline, value: &crate::config::yaml::Spanned<String>, what: &str) -> Result<PathBuf, Diagnostic> {
    let p = pipeline.resolve(&value.value);
    if p.is_file() {
        Ok(p)
    } else {
        Err(Diagnostic::error("C040", format!("{what} `{}` not found", value.value))
            .at(pipeline.file.place_at(&value.referenced))
            .label(format!("looked for {}", crate::config::diagnostic::display_path(&p)))
            .help("paths in a pipeline are relative to the pipeline file"))
    }
}
