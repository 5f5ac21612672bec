//! `juchu run PIPELINE`

use std::path::Path;

use crate::pipeline::runner::{self, RunOptions};
use crate::ExitStatus;

pub fn run(pipeline: &Path, opts: &RunOptions) -> ExitStatus {
    runner::run(pipeline, opts)
}
