//! `juchu check`: compiles the pipeline, the settings and every input of every stage, writing
//! nothing, and returns every problem at once.

use std::path::Path;

use chrono::{DateTime, FixedOffset};

use crate::config::diagnostic::Diagnostics;
use crate::config::pipeline::Pipeline;
use crate::config::settings::Settings;
use crate::stages::{CheckContext, PlannedStage, StageEnv};

pub struct Checked {
    pub pipeline: Option<Pipeline>,
    /// The stages that parsed, in pipeline order.
    pub stages: Vec<PlannedStage>,
    pub settings: Option<Settings>,
    pub diagnostics: Diagnostics,
}

/// Loads the pipeline, its stages and its settings, collecting diagnostics.
pub fn load(path: &Path, now: DateTime<FixedOffset>) -> Checked {
    let before = crate::domain::lang::current();
    let checked = load_once(path, now);
    if let Some(lang) = checked.settings.as_ref().and_then(|s| s.shop.language()) {
        crate::domain::lang::set_from_settings(lang);
    }
    // Diagnostics are worded when they are made: when `shop.language` changed the language (and
    // neither `--lang` nor `JUCHU_LANG` chose one), the pipeline's and the settings' own are made again.
    if crate::domain::lang::current() != before {
        return load_once(path, now);
    }
    checked
}

fn load_once(path: &Path, now: DateTime<FixedOffset>) -> Checked {
    let mut diagnostics = Diagnostics::default();
    let (pipeline, stages) = crate::stages::compile(path, &mut diagnostics);
    let settings =
        pipeline.as_ref().filter(|p| p.settings_path.is_file()).and_then(|p| Settings::load(&p.settings_path, now, &mut diagnostics));
    Checked { pipeline, stages, settings, diagnostics }
}

/// Everything `juchu check` does.
pub fn check_pipeline(path: &Path, now: DateTime<FixedOffset>) -> Checked {
    let mut checked = load(path, now);
    let Some(pipeline) = &checked.pipeline else {
        return checked;
    };
    let Some(first) = checked.stages.first() else {
        return checked;
    };
    let mut cx = CheckContext {
        env: StageEnv::new(pipeline, &first.spec),
        settings: checked.settings.as_ref(),
        now,
        master_mall: None,
        masters: None,
        rejected_master_cells: Default::default(),
        master_products: Vec::new(),
        master_options: Vec::new(),
    };
    let mut diags = Vec::new();
    for planned in &checked.stages {
        cx.env = StageEnv::new(pipeline, &planned.spec);
        diags.extend(planned.stage.check(&mut cx));
    }
    drop(cx);
    checked.diagnostics.extend(diags);
    checked
}
