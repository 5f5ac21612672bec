//! `juchu tracking import FILE…`: the carriers' files of issued slips, by hand (the
//! import_tracking stage takes them from a folder).

use std::path::PathBuf;

use clap::Subcommand;

use crate::domain::lang::pick;
use crate::pipeline::runner::RunOptions;
use crate::stages::import_tracking;
use crate::ExitStatus;

#[derive(Subcommand, Debug)]
pub enum Tracking {
    /// Import tracking numbers: B2クラウド 発行済データ, e飛伝 印刷済データ, ゆうプリR 発送履歴 (CP932 or UTF-8).
    #[command(
        after_help = "Examples:\n  juchu tracking import ~/Downloads/発行済データ.csv\n  juchu tracking import in/tracking/*.csv --store state/juchu.duckdb\n\nEach number joins on the お客様管理番号 juchu wrote, sets the order 出荷済 (never backwards) and queues its\nshipping write-back and the 出荷連絡 mail. A file is imported once: the same file again changes nothing.\nExits 1 when some rows could not be used (each is listed at file:line; the others are imported)."
    )]
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

pub fn tracking(command: Tracking, opts: &RunOptions) -> ExitStatus {
    let Tracking::Import { files } = command;
    for f in &files {
        if !f.is_file() {
            eprintln!("error: {}", pick(format!("ファイル {} がありません", f.display()), format!("no file {}", f.display())));
            return ExitStatus::Usage;
        }
    }
    let (_lock, store) = match super::query::open_for_writing(opts, "tracking import") {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    let by = import_tracking::user();
    let now = opts.clock.now();
    let mut problems = Vec::new();
    for f in &files {
        let done = store.conn.unchecked_transaction().map_err(anyhow::Error::from).and_then(|tx| {
            let i = import_tracking::import_file(&tx, f, &by, now, None)?;
            tx.commit()?;
            Ok(i)
        });
        match done {
            Ok(i) => {
                println!("{}", import_tracking::summary(f, &i));
                problems.extend(i.problems);
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                return ExitStatus::Internal;
            }
        }
    }
    if problems.is_empty() {
        return ExitStatus::Success;
    }
    crate::pipeline::runner::print_diagnostics(&crate::config::diagnostic::Diagnostics(problems), opts);
    ExitStatus::RecordsFailed
}
