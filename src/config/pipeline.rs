//! The pipeline file: `settings:` and a list of `stages:`, each `{ id, type, with }`.
//!
//! Each stage is parsed on its own (see `yaml::sub_document`), so one broken stage does not hide
//! the problems of the others.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;

use super::diagnostic::{Diagnostic, Diagnostics};
use super::yaml::{did_you_mean, Location, Spanned, YamlFile};
use crate::stages::{
    enrich::EnrichConfig, fetch_orders::FetchOrdersConfig, import_products::ImportProductsConfig, load_masters::LoadMastersConfig,
    validate_masters::ValidateMastersConfig,
};

/// Stage kinds this version has. A closed set: an unknown `type:` is an error that lists these.
pub const STAGE_KINDS: &[&str] = &["import_products", "load_masters", "validate_masters", "fetch_orders", "enrich"];

#[derive(Debug, Clone)]
pub struct Pipeline {
    pub file: YamlFile,
    pub settings_path: PathBuf,
    pub stages: Vec<StageSpec>,
}

#[derive(Debug, Clone)]
pub struct StageSpec {
    pub id: String,
    pub id_loc: Location,
    pub kind: StageKind,
}

#[derive(Debug, Clone)]
pub enum StageKind {
    ImportProducts(ImportProductsConfig),
    LoadMasters(LoadMastersConfig),
    ValidateMasters(ValidateMastersConfig),
    FetchOrders(FetchOrdersConfig),
    Enrich(EnrichConfig),
}

impl StageKind {
    pub fn name(&self) -> &'static str {
        match self {
            StageKind::ImportProducts(_) => "import_products",
            StageKind::LoadMasters(_) => "load_masters",
            StageKind::ValidateMasters(_) => "validate_masters",
            StageKind::FetchOrders(_) => "fetch_orders",
            StageKind::Enrich(_) => "enrich",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TopKeys {
    #[serde(default)]
    settings: IgnoredAny,
    #[serde(default)]
    description: IgnoredAny,
    #[serde(default)]
    stages: IgnoredAny,
}

#[derive(Deserialize)]
struct Top {
    #[serde(default)]
    settings: Option<Spanned<String>>,
    #[serde(default)]
    stages: Option<Vec<Spanned<IgnoredAny>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StageHeader {
    id: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    #[serde(default)]
    with: Option<Spanned<IgnoredAny>>,
}

#[derive(Deserialize)]
struct WithOf<T> {
    with: Option<T>,
}

impl Pipeline {
    /// Parses the pipeline file, collecting every problem into `diags`.
    pub fn load(path: &Path, diags: &mut Diagnostics) -> Option<Pipeline> {
        let file = match YamlFile::read(path) {
            Ok(f) => f,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        if let Err(d) = file.parse::<TopKeys>() {
            diags.push(d);
        }
        let top: Top = match file.parse() {
            Ok(t) => t,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        let settings_path = match &top.settings {
            Some(s) => {
                let p = file.path.parent().unwrap_or(Path::new(".")).join(&s.value);
                if !p.exists() {
                    diags.push(
                        Diagnostic::error("C030", format!("settings file `{}` not found", s.value))
                            .at(file.place_at(&s.referenced))
                            .label(format!("looked for {}", p.display()))
                            .help("the path is relative to this pipeline file"),
                    );
                }
                p
            }
            None => {
                diags.push(
                    Diagnostic::error("C031", "the pipeline does not name its settings file")
                        .in_file(path)
                        .help("add `settings: ../shop.yaml` (relative to this pipeline file) at the top"),
                );
                PathBuf::new()
            }
        };
        let mut stages = Vec::new();
        let mut seen: HashMap<String, Location> = HashMap::new();
        for node in top.stages.iter().flatten() {
            let sub = file.sub_document(&node.referenced);
            let header: StageHeader = match file.parse_text(&sub) {
                Ok(h) => h,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            if let Some(first) = seen.get(&header.id.value) {
                diags.push(
                    Diagnostic::error("C032", format!("stage id `{}` is used twice", header.id.value))
                        .at(file.place_at(&header.id.referenced))
                        .help(format!("the first one is on line {}; give each stage its own id", first.line())),
                );
            }
            seen.insert(header.id.value.clone(), header.id.referenced);
            let with_at = header.with.as_ref().map(|w| w.referenced).unwrap_or(header.kind.referenced);
            let kind = match header.kind.value.as_str() {
                "import_products" => typed(&file, &sub, with_at, diags).map(StageKind::ImportProducts),
                "load_masters" => typed(&file, &sub, with_at, diags).map(StageKind::LoadMasters),
                "validate_masters" => typed(&file, &sub, with_at, diags).map(StageKind::ValidateMasters),
                "fetch_orders" => typed(&file, &sub, with_at, diags).map(StageKind::FetchOrders),
                "enrich" => typed(&file, &sub, with_at, diags).map(StageKind::Enrich),
                other => {
                    let hint = did_you_mean(other, STAGE_KINDS).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
                    diags.push(
                        Diagnostic::error("C033", format!("unknown stage type `{other}`"))
                            .at(file.place_at(&header.kind.referenced))
                            .help(format!("{hint}stage types are: {}", STAGE_KINDS.join(", "))),
                    );
                    None
                }
            };
            if let Some(kind) = kind {
                stages.push(StageSpec { id: header.id.value, id_loc: header.id.referenced, kind });
            }
        }
        if top.stages.as_ref().is_none_or(|s| s.is_empty()) {
            diags.push(
                Diagnostic::error("C034", "the pipeline has no stages")
                    .in_file(path)
                    .help("add `stages:` with at least one `- id: … type: … with: …`"),
            );
        }
        Some(Pipeline { file, settings_path, stages })
    }

    pub fn dir(&self) -> &Path {
        self.file.path.parent().unwrap_or(Path::new("."))
    }

    /// A path written in the pipeline, resolved against the pipeline file's folder.
    pub fn resolve(&self, p: &str) -> PathBuf {
        self.dir().join(p)
    }
}

/// Parses the stage's `with:` as `T`. A missing `with:` is parsed as `{}` so required keys are named.
fn typed<T: DeserializeOwned>(file: &YamlFile, sub: &str, at: Location, diags: &mut Diagnostics) -> Option<T> {
    match file.parse_text::<WithOf<T>>(sub) {
        Ok(WithOf { with: Some(t) }) => Some(t),
        Ok(WithOf { with: None }) => match serde_saphyr::from_str::<T>("{}") {
            Ok(t) => Some(t),
            Err(e) => {
                let msg = serde_saphyr::MessageFormatter::format_message(&serde_saphyr::DefaultMessageFormatter, &e).into_owned();
                diags.push(
                    Diagnostic::error("C035", format!("this stage needs a `with:` section ({msg})"))
                        .at(file.place_at(&at))
                        .help("add `with:` with the stage's settings (see the README's stage list)"),
                );
                None
            }
        },
        Err(d) => {
            diags.push(d);
            None
        }
    }
}
