//! One file per stage kind: its `with:` struct and what it does, listed once in [`KINDS`].
//!
//! Every stage can `check` (parse its inputs, write nothing), `run` (one transaction in the store)
//! and `preview` (the first rows it would write). Adding a stage kind: a new file with a `with:`
//! struct that implements [`Stage`], and one line in [`KINDS`] (README, "Adding a stage").

pub mod enrich;
pub mod export_slips;
pub mod fetch_orders;
pub mod import_products;
pub mod import_tracking;
pub mod load_masters;
pub mod report;
pub mod send_mail;
pub mod validate_masters;
pub mod write_back;

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use serde::de::DeserializeOwned;

use crate::config::diagnostic::{Diagnostic, Diagnostics, Place};
use crate::config::pipeline::{Pipeline, StageSpec};
use crate::config::settings::Settings;
use crate::config::yaml::{Location, YamlFile};
use crate::domain::lang::pick;
use crate::domain::masters::{MasterProduct, Masters, ProductOptionChoice};
use crate::store::Store;

/// Every stage kind, in the order the README lists them. A new kind is one line here.
pub const KINDS: &[Kind] = &[
    Kind::of::<import_products::ImportProductsConfig>("import_products"),
    Kind::of::<load_masters::LoadMastersConfig>("load_masters"),
    Kind::of::<validate_masters::ValidateMastersConfig>("validate_masters"),
    Kind::of::<fetch_orders::FetchOrdersConfig>("fetch_orders"),
    Kind::of::<enrich::EnrichConfig>("enrich"),
    Kind::of::<report::ReportConfig>("report"),
    Kind::of::<send_mail::SendMailConfig>("send_mail"),
    Kind::of::<write_back::WriteBackConfig>("write_back"),
    Kind::of::<export_slips::ExportSlipsConfig>("export_slips"),
    Kind::of::<import_tracking::ImportTrackingConfig>("import_tracking"),
];

/// Tests kill the process at a named point (`JUCHU_CRASH_AT`) to prove a crash loses nothing.
pub fn crash_point(name: &str) {
    if std::env::var("JUCHU_CRASH_AT").is_ok_and(|v| v == name) {
        eprintln!("juchu: crashing at {name} (JUCHU_CRASH_AT)");
        std::process::abort();
    }
}

/// What a stage reads from the store or leaves in it. `juchu check` reports a stage placed before the
/// stage that provides what it needs (when both are in the pipeline; otherwise the store's copy from an
/// earlier run is used).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// 商品: products, SKUs and option choices.
    Products,
    /// マスタ: the masters workbook's sheets.
    Masters,
    /// 受注: orders as fetched.
    Orders,
    /// Enriched values and the ten checks.
    Enrichment,
}

impl Resource {
    pub fn name(self) -> &'static str {
        match self {
            Resource::Products => "products",
            Resource::Masters => "masters",
            Resource::Orders => "orders",
            Resource::Enrichment => "enrichment",
        }
    }

    /// The name in Japanese, for diagnostics.
    pub fn name_ja(self) -> &'static str {
        match self {
            Resource::Products => "商品",
            Resource::Masters => "マスタ",
            Resource::Orders => "受注",
            Resource::Enrichment => "受注の付加情報（enrich の結果）",
        }
    }
}

/// A stage kind's behaviour. Its `with:` struct implements this.
pub trait Stage: std::fmt::Debug + Send + Sync {
    /// What it reads that an earlier stage of the pipeline writes.
    fn needs(&self) -> &'static [Resource] {
        &[]
    }
    /// What it writes.
    fn provides(&self) -> &'static [Resource] {
        &[]
    }
    /// It talks to malls: the runner starts the in-process mock mall for malls whose endpoint is `mock`.
    fn talks_to_malls(&self) -> bool {
        false
    }
    /// Parses and checks every input, writing nothing; what it learns for later stages goes in `cx`.
    fn check(&self, cx: &mut CheckContext<'_>) -> Vec<Diagnostic>;
    /// Does the work, in one transaction.
    fn run(&self, cx: &RunContext<'_>) -> Result<StageOutcome, StageError>;
    /// The first rows it would write (or has written), writing nothing.
    fn preview(&self, cx: &RunContext<'_>, limit: usize) -> Result<Preview, StageError>;
}

/// A stage kind: its `type:` name and how its `with:` is parsed.
pub struct Kind {
    pub name: &'static str,
    parse: fn(&StageSpec, &YamlFile, &mut Diagnostics) -> Option<Box<dyn Stage>>,
}

impl Kind {
    const fn of<T: Stage + DeserializeOwned + 'static>(name: &'static str) -> Kind {
        Kind { name, parse: parse_boxed::<T> }
    }
}

fn parse_boxed<T: Stage + DeserializeOwned + 'static>(
    spec: &StageSpec,
    file: &YamlFile,
    diags: &mut Diagnostics,
) -> Option<Box<dyn Stage>> {
    spec.parse_with::<T>(file, diags).map(|t| Box::new(t) as Box<dyn Stage>)
}

/// The names of every stage kind.
pub fn kind_names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.name).collect()
}

/// A pipeline entry with its kind resolved and its `with:` parsed.
#[derive(Debug)]
pub struct PlannedStage {
    pub spec: StageSpec,
    pub kind: &'static str,
    pub stage: Box<dyn Stage>,
}

impl PlannedStage {
    pub fn id(&self) -> &str {
        &self.spec.id
    }
}

/// Reads the pipeline and turns its entries into stages, collecting every problem: unknown kinds
/// (C033), bad `with:` (C001, C035), and a stage placed before the stage that provides what it needs (C036).
pub fn compile(path: &std::path::Path, diags: &mut Diagnostics) -> (Option<Pipeline>, Vec<PlannedStage>) {
    let names = kind_names();
    let mut planned: Vec<PlannedStage> = Vec::new();
    let pipeline = Pipeline::load(path, diags, |file, spec, diags| {
        let Some(kind) = KINDS.iter().find(|k| k.name == spec.kind) else {
            diags.push(spec.unknown_kind(file, &names));
            return;
        };
        if let Some(stage) = (kind.parse)(spec, file, diags) {
            planned.push(PlannedStage { spec: spec.clone(), kind: kind.name, stage });
        }
    });
    let Some(pipeline) = pipeline else { return (None, Vec::new()) };
    for (i, p) in planned.iter().enumerate() {
        for need in p.stage.needs() {
            let provided_before = planned[..i].iter().any(|q| q.stage.provides().contains(need));
            let later = planned[i + 1..].iter().find(|q| q.stage.provides().contains(need));
            if let (false, Some(provider)) = (provided_before, later) {
                diags.push(
                    Diagnostic::error(
                        "C036",
                        pick(
                            format!(
                                "ステージ `{}`（{}）は{}を使いますが、それを用意する `{}` より前にあります",
                                p.spec.id,
                                p.kind,
                                need.name_ja(),
                                provider.spec.id
                            ),
                            format!("stage `{}` ({}) needs the {} but comes before `{}`", p.spec.id, p.kind, need.name(), provider.spec.id),
                        ),
                    )
                    .at(pipeline.file.place_at(&p.spec.kind_loc))
                    .label(pick(
                        format!("`{}`（{}）が{}を用意しますが、後で動きます", provider.spec.id, provider.kind, need.name_ja()),
                        format!("`{}` ({}) provides the {} and runs later", provider.spec.id, provider.kind, need.name()),
                    ))
                    .help(pick(
                        format!("パイプラインで `{}` を `{}` の後ろへ移してください", p.spec.id, provider.spec.id),
                        format!("move `{}` after `{}` in the pipeline", p.spec.id, provider.spec.id),
                    )),
                );
            }
        }
    }
    (Some(pipeline), planned)
}

/// What a stage gets from its pipeline: paths resolved against the pipeline file, places for its
/// diagnostics, its own `id` and `type` spans.
#[derive(Clone, Copy)]
pub struct StageEnv<'a> {
    pipeline: &'a Pipeline,
    /// The pipeline file, for diagnostics that point into it.
    pub file: &'a YamlFile,
    pub spec: &'a StageSpec,
}

impl<'a> StageEnv<'a> {
    pub fn new(pipeline: &'a Pipeline, spec: &'a StageSpec) -> StageEnv<'a> {
        StageEnv { pipeline, file: &pipeline.file, spec }
    }

    /// A path written in the pipeline, resolved against the pipeline file's folder.
    pub fn resolve(&self, p: &str) -> PathBuf {
        self.pipeline.resolve(p)
    }

    /// The place of a node of the pipeline file.
    pub fn place_at(&self, loc: &Location) -> Place {
        self.file.place_at(loc)
    }

    /// The stage's `type:` line, for problems of the stage as a whole.
    pub fn stage_place(&self) -> Place {
        self.file.place_at(&self.spec.kind_loc)
    }

    /// The `with:` of every stage of `kind` after this one (load_masters heeds a later
    /// validate_masters' `deny_warnings`). Their problems were reported when the pipeline was read.
    pub fn later_stages<T: DeserializeOwned>(&self, kind: &str) -> Vec<T> {
        let mut reported = Diagnostics::default();
        let after = self.pipeline.stages.iter().position(|s| s.id == self.spec.id).map_or(0, |i| i + 1);
        self.pipeline.stages[after..]
            .iter()
            .filter(|s| s.kind == kind)
            .filter_map(|s| s.parse_with::<T>(self.file, &mut reported))
            .collect()
    }
}

/// What a stage sees while it runs.
pub struct RunContext<'a> {
    pub env: StageEnv<'a>,
    pub settings: &'a Settings,
    pub store: &'a Store,
    pub now: DateTime<FixedOffset>,
    pub run_id: i64,
    /// The in-process mock mall's address, when some mall's endpoint is `mock`.
    pub mock: Option<crate::malls::MockEndpoints>,
    /// `juchu run --replay`: stages that derive data (enrich) redo it for every stored order.
    pub replay: bool,
    /// `juchu write-back --dry-run`: plan, send nothing, write nothing.
    pub dry_run: bool,
    /// `juchu write-back --retry-dead`: dead-lettered changes are queued again first.
    pub retry_dead: bool,
    /// `juchu slips export --again`: shipments on a slip without a tracking number are exported again.
    pub again: bool,
}

impl RunContext<'_> {
    pub fn resolve(&self, p: &str) -> PathBuf {
        self.env.resolve(p)
    }
}

/// What `juchu check` carries from stage to stage, in memory instead of the store.
pub struct CheckContext<'a> {
    pub env: StageEnv<'a>,
    pub settings: Option<&'a Settings>,
    pub now: DateTime<FixedOffset>,
    /// The mall of the first product import: the master.
    pub master_mall: Option<String>,
    pub masters: Option<Masters>,
    /// The master cells load_masters reported an error at, which validate_masters leaves alone.
    pub rejected_master_cells: RejectedCells,
    pub master_products: Vec<MasterProduct>,
    pub master_options: Vec<ProductOptionChoice>,
}

/// Master cells by (sheet, 1-based row, column header).
pub type RejectedCells = std::collections::HashSet<(String, usize, String)>;

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
    /// Something else went wrong (I/O, the store, the disk): exit 70.
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

/// A required file named in a stage's `with:`; checked by `juchu check`. `what` names it in the
/// staff's language (`pick("商品ファイル", "product file")`).
pub fn require_file(env: &StageEnv<'_>, value: &crate::config::yaml::Spanned<String>, what: &str) -> Result<PathBuf, Diagnostic> {
    let p = env.resolve(&value.value);
    if p.is_file() {
        Ok(p)
    } else {
        let shown = crate::config::diagnostic::display_path(&p);
        Err(Diagnostic::error(
            "C040",
            pick(format!("{what} `{}` が見つかりません", value.value), format!("{what} `{}` not found", value.value)),
        )
        .at(env.place_at(&value.referenced))
        .label(pick(format!("探した場所: {shown}"), format!("looked for {shown}")))
        .help(pick("パスはパイプラインファイルの場所から数えます", "paths in a pipeline are relative to the pipeline file")))
    }
}
