//! `juchu check PIPELINE`

use std::path::Path;
use std::time::Instant;

use crate::pipeline::check_pipeline;
use crate::pipeline::runner::{print_diagnostics, RunOptions};
use crate::ExitStatus;

pub fn check(pipeline: &Path, deny_warnings: bool, opts: &RunOptions) -> ExitStatus {
    let started = Instant::now();
    let checked = check_pipeline(pipeline, opts.clock.now());
    let d = &checked.diagnostics;
    print_diagnostics(d, opts.styled);
    let (errors, warnings) = (d.errors(), d.warnings());
    let stages = checked.pipeline.as_ref().map(|p| p.stages.len()).unwrap_or(0);
    let ms = started.elapsed().as_millis();
    if errors > 0 || (deny_warnings && warnings > 0) {
        eprintln!("juchu check: {errors} error(s), {warnings} warning(s) in {} ({stages} stages, {ms} ms)", pipeline.display());
        ExitStatus::Config
    } else {
        if !opts.quiet {
            println!("juchu check: {} is ok: {stages} stages, {warnings} warning(s) ({ms} ms)", pipeline.display());
        }
        ExitStatus::Success
    }
}
