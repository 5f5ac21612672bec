//! The pipeline file: `settings:` and a list of `stages:`, each `{ id, type, with }`.
//!
//! Each stage is parsed on its own (see `yaml::sub_document`), so one broken stage does not hide
//! the problems of the others. This file knows no stage kind: it keeps each stage's `id`, `type` and
//! its own text, and `stages::compile` turns them into stages by the registry there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;

use super::diagnostic::{Diagnostic, Diagnostics};
use super::yaml::{did_you_mean_hint, Location, Spanned, YamlFile};
use crate::domain::lang::pick;

#[derive(Debug, Clone)]
pub struct Pipeline {
    pub file: YamlFile,
    pub settings_path: PathBuf,
    pub stages: Vec<StageSpec>,
}

/// One `- id: … type: … with: …` entry as written, before its kind is known.
#[derive(Debug, Clone)]
pub struct StageSpec {
    pub id: String,
    pub id_loc: Location,
    /// What `type:` says.
    pub kind: String,
    pub kind_loc: Location,
    /// Where `with:` is (or `type:`, when there is no `with:`).
    pub with_loc: Location,
    /// The entry alone, the rest of the file blanked (`YamlFile::sub_document`), so errors keep their places.
    text: String,
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
    /// Parses the pipeline file, collecting every problem into `diags`. `on_stage` sees each entry as
    /// it is read (the stage registry parses its `with:` there, so problems stay in file order).
    pub fn load(
        path: &Path,
        diags: &mut Diagnostics,
        mut on_stage: impl FnMut(&YamlFile, &StageSpec, &mut Diagnostics),
    ) -> Option<Pipeline> {
        let file = match YamlFile::read(path) {
            Ok(f) => f,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        // A syntax error fails both parses: say it once.
        let top: Top = match file.parse() {
            Ok(t) => t,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        if let Err(d) = file.parse::<TopKeys>() {
            diags.push(d);
        }
        let settings_path = match &top.settings {
            Some(s) => {
                let p = file.path.parent().unwrap_or(Path::new(".")).join(&s.value);
                if !p.is_file() {
                    diags.push(
                        Diagnostic::error(
                            "C030",
                            pick(format!("設定ファイル `{}` が見つかりません", s.value), format!("settings file `{}` not found", s.value)),
                        )
                        .at(file.place_at(&s.referenced))
                        .label(pick(format!("探した場所: {}", p.display()), format!("looked for {}", p.display())))
                        .help(pick("パスはパイプラインファイルの場所から数えます", "the path is relative to this pipeline file")),
                    );
                }
                p
            }
            None => {
                diags.push(
                    Diagnostic::error(
                        "C031",
                        pick("パイプラインに設定ファイルの指定がありません", "the pipeline does not name its settings file"),
                    )
                    .in_file(path)
                    .help(pick(
                        "先頭に settings: ../shop.yaml のように書いてください",
                        "add `settings: ../shop.yaml` (relative to this pipeline file) at the top",
                    )),
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
                    Diagnostic::error(
                        "C032",
                        pick(
                            format!("ステージ id `{}` が2回使われています", header.id.value),
                            format!("stage id `{}` is used twice", header.id.value),
                        ),
                    )
                    .at(file.place_at(&header.id.referenced))
                    .help(pick(
                        format!("1つ目は{}行目にあります", first.line()),
                        format!("the first one is on line {}; give each stage its own id", first.line()),
                    )),
                );
            }
            seen.insert(header.id.value.clone(), header.id.referenced);
            let with_loc = header.with.as_ref().map(|w| w.referenced).unwrap_or(header.kind.referenced);
            let spec = StageSpec {
                id: header.id.value,
                id_loc: header.id.referenced,
                kind: header.kind.value,
                kind_loc: header.kind.referenced,
                with_loc,
                text: sub,
            };
            on_stage(&file, &spec, diags);
            stages.push(spec);
        }
        if top.stages.as_ref().is_none_or(|s| s.is_empty()) {
            diags.push(
                Diagnostic::error("C034", pick("パイプラインにステージがありません", "the pipeline has no stages")).in_file(path).help(
                    pick(
                        "stages: に - id: … type: … with: … を一つ以上書いてください",
                        "add `stages:` with at least one `- id: … type: … with: …`",
                    ),
                ),
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

impl StageSpec {
    /// Parses the stage's `with:` as `T`. A missing `with:` is parsed as `{}` so required keys are named.
    pub fn parse_with<T: DeserializeOwned>(&self, file: &YamlFile, diags: &mut Diagnostics) -> Option<T> {
        parse_with(file, &self.text, self.with_loc, diags)
    }

    /// An unknown `type:`: names the kinds there are, with "did you mean".
    pub fn unknown_kind(&self, file: &YamlFile, kinds: &[&str]) -> Diagnostic {
        let hint = did_you_mean_hint(&self.kind, kinds);
        Diagnostic::error("C033", pick(format!("ステージの種類 `{}` が不明です", self.kind), format!("unknown stage type `{}`", self.kind)))
            .at(file.place_at(&self.kind_loc))
            .help(pick(format!("{hint}ステージの種類: {}", kinds.join(", ")), format!("{hint}stage types are: {}", kinds.join(", "))))
    }
}

fn parse_with<T: DeserializeOwned>(file: &YamlFile, sub: &str, at: Location, diags: &mut Diagnostics) -> Option<T> {
    // Every bad key of `with:` is reported, and the stage is still checked when the keys it needs are there.
    match file.parse_recovering::<WithOf<T>>(sub, diags).0 {
        Some(WithOf { with: Some(t) }) => Some(t),
        Some(WithOf { with: None }) => match serde_saphyr::from_str::<T>("{}") {
            Ok(t) => Some(t),
            Err(e) => {
                let msg = serde_saphyr::MessageFormatter::format_message(&serde_saphyr::DefaultMessageFormatter, &e).into_owned();
                diags.push(
                    Diagnostic::error(
                        "C035",
                        pick(
                            format!("このステージには `with:` の設定が必要です（{}）", super::yaml::explain(&msg).0),
                            format!("this stage needs a `with:` section ({msg})"),
                        ),
                    )
                    .at(file.place_at(&at))
                    .help(pick(
                        "README のステージ一覧にある設定を with: に書いてください",
                        "add `with:` with the stage's settings (see the README's stage list)",
                    )),
                );
                None
            }
        },
        None => None,
    }
}
