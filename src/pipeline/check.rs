//! `juchu check`: compiles the pipeline, the settings and every input of every stage, writing
//! nothing, and returns every problem at once.

use std::path::Path;

use chrono::{DateTime, FixedOffset};

use crate::config::diagnostic::Diagnostics;
use crate::config::pipeline::{Pipeline, StageKind};
use crate::config::settings::Settings;
use crate::stages::CheckContext;

pub struct Checked {
    pub pipeline: Option<Pipeline>,
    pub settings: Option<Settings>,
    pub diagnostics: Diagnostics,
}

/// Loads the pipeline and its settings, collecting diagnostics.
pub fn load(path: &Path, now: DateTime<FixedOffset>) -> Checked {
    let mut diagnostics = Diagnostics::default();
    let pipeline = Pipeline::load(path, &mut diagnostics);
    let settings =
        pipeline.as_ref().filter(|p| p.settings_path.is_file()).and_then(|p| Settings::load(&p.settings_path, now, &mut diagnostics));
    Checked { pipeline, settings, diagnostics }
}

/// Everything `juchu check` does.
pub fn check_pipeline(path: &Path, now: DateTime<FixedOffset>) -> Checked {
    let mut checked = load(path, now);
    let Some(pipeline) = &checked.pipeline else {
        return checked;
    };
    let mut cx = CheckContext {
        pipeline,
        settings: checked.settings.as_ref(),
        now,
        master_mall: None,
        masters: None,
        master_products: Vec::new(),
        master_options: Vec::new(),
    };
    for stage in &pipeline.stages {
        let diags = match &stage.kind {
            StageKind::ImportProducts(c) => c.check(&mut cx),
            StageKind::LoadMasters(c) => c.check(&mut cx),
            StageKind::ValidateMasters(c) => c.check(&mut cx),
            StageKind::FetchOrders(c) => c.check(&mut cx),
            StageKind::Enrich(c) => c.check(&mut cx),
        };
        checked.diagnostics.extend(diags);
    }
    checked
}
