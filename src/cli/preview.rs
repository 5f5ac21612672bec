//! `juchu preview PIPELINE --stage ID`

use std::path::Path;

use crate::config::diagnostic::Diagnostics;
use crate::pipeline::runner::{self, print_diagnostics, RunOptions};
use crate::ExitStatus;

pub fn preview(pipeline: &Path, stage: &str, limit: usize, opts: &RunOptions) -> ExitStatus {
    match runner::preview(pipeline, stage, limit, opts) {
        Ok(p) => {
            println!("stage `{stage}` would write {} row(s) to {}; the first {}:", p.total, p.table, p.rows.len().min(limit));
            print!("{}", super::query::render_table(&p.columns, &p.rows));
            ExitStatus::Success
        }
        Err((diags, status)) => {
            print_diagnostics(&Diagnostics(diags), opts);
            status
        }
    }
}
