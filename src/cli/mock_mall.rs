//! `juchu mock-mall`: the mock mall as a server of its own.

use std::path::Path;
use std::sync::Arc;

use crate::mock::{MockMall, Scenario};
use crate::pipeline::runner::RunOptions;
use crate::ExitStatus;

pub fn serve(listen: &str, scenario: Option<&Path>, opts: &RunOptions) -> ExitStatus {
    let scenario = match scenario.map(Scenario::load).transpose() {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitStatus::Config;
        }
    };
    let clock = opts.clock;
    match MockMall::start(listen, scenario, Arc::new(move || clock.now())) {
        Ok(mock) => {
            println!("mock mall listening on {} (Ctrl-C to stop)", mock.url);
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitStatus::Usage
        }
    }
}
