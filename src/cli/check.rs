//! `juchu check PIPELINE`

use std::path::Path;
use std::time::Instant;

use crate::domain::lang::pick;
use crate::pipeline::check_pipeline;
use crate::pipeline::runner::{print_diagnostics, RunOptions};
use crate::ExitStatus;

pub fn check(pipeline: &Path, deny_warnings: bool, opts: &RunOptions) -> ExitStatus {
    let started = Instant::now();
    let checked = check_pipeline(pipeline, opts.clock.now());
    let d = &checked.diagnostics;
    print_diagnostics(d, opts);
    let (errors, warnings) = (d.errors(), d.warnings());
    let stages = checked.stages.len();
    let ms = started.elapsed().as_millis();
    let path = pipeline.display();
    if errors > 0 || (deny_warnings && warnings > 0) {
        eprintln!(
            "{}",
            pick(
                format!("juchu check: {path} にエラー {errors} 件、警告 {warnings} 件（{stages} ステージ、{ms} ms）"),
                format!("juchu check: {errors} error(s), {warnings} warning(s) in {path} ({stages} stages, {ms} ms)")
            )
        );
        ExitStatus::Config
    } else {
        if !opts.quiet {
            println!(
                "{}",
                pick(
                    if warnings == 0 {
                        format!("juchu check: {path} は問題ありません（{stages} ステージ、{ms} ms）")
                    } else {
                        format!(
                            "juchu check: {path} にエラーはありません。警告 {warnings} 件を確かめてください（{stages} ステージ、{ms} ms）"
                        )
                    },
                    if warnings == 0 {
                        format!("juchu check: {path} is ok: {stages} stages ({ms} ms)")
                    } else {
                        format!("juchu check: {path} has no errors; look at the {warnings} warning(s) ({stages} stages, {ms} ms)")
                    }
                )
            );
        }
        ExitStatus::Success
    }
}
