//! juchu (受注): the order back office of a Japanese multi-mall web shop, as a batch pipeline.
//!
//! Dependencies point inward: `domain` imports nothing of ours; `stages` glue `domain` to
//! `store` and `io`; `cli` sits on top.

// Diagnostics are large and travel only on the error path; boxing them buys nothing measurable.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

pub mod carriers;
pub mod cli;
pub mod config;
pub mod domain;
pub mod io;
pub mod mail;
pub mod malls;
pub mod mock;
pub mod pipeline;
pub mod rules;
pub mod stages;
pub mod store;

/// Exit codes, documented in the README for cron and wrapper scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: everything ran.
    Success,
    /// 1: the run finished but some records failed.
    RecordsFailed,
    /// 2: the command line was wrong.
    Usage,
    /// 70 (EX_SOFTWARE): an internal error: the store is unusable, the lock file cannot be made, the disk is full.
    Internal,
    /// 75 (EX_TEMPFAIL): another run holds the lock; try again at the next cron tick.
    Locked,
    /// 78 (EX_CONFIG): configuration or master data is wrong.
    Config,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::RecordsFailed => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Internal => 70,
            ExitStatus::Locked => 75,
            ExitStatus::Config => 78,
        }
    }
}
