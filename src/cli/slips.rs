//! `juchu slips export PIPELINE`: the pipeline's export_slips stage alone (送り状データの書き出し).

use std::path::PathBuf;

use clap::Subcommand;

use crate::pipeline::runner::RunOptions;
use crate::ExitStatus;

#[derive(Subcommand, Debug)]
pub enum Slips {
    /// Write one slip file per carrier of the shipments ready today (B2クラウド, e飛伝, ゆうプリR, クリックポスト).
    #[command(
        after_help = "Examples:\n  juchu slips export pipelines/shipping.yaml\n  juchu slips export pipelines/shipping.yaml --again\n\nReady: checks passed or accepted (出荷OK), not held, no 同梱 decision pending, ship date today or earlier,\nnot exported yet. Each file is CP932 with CRLF, in the folder the stage names. Import it in the carrier's\nsoftware; its file of issued slips comes back with `juchu tracking import`."
    )]
    Export {
        pipeline: PathBuf,
        /// Export again the shipments already on a slip that has no tracking number yet (a lost or misprinted file).
        #[arg(long)]
        again: bool,
    },
}

pub fn slips(command: Slips, opts: RunOptions) -> ExitStatus {
    match command {
        Slips::Export { pipeline, again } => super::run::run(&pipeline, &RunOptions { only_kind: Some("export_slips"), again, ..opts }),
    }
}
