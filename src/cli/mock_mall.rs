//! `juchu mock-mall`: the mock mall as a server of its own.

use std::path::Path;
use std::sync::Arc;

use crate::mock::{FtpSide, MockMall, Scenario};
use crate::pipeline::runner::RunOptions;
use crate::ExitStatus;

pub fn serve(listen: &str, ftp_listen: &str, ftp_root: &Path, scenario: Option<&Path>, opts: &RunOptions) -> ExitStatus {
    let scenario = match scenario.map(Scenario::load).transpose() {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitStatus::Config;
        }
    };
    let clock = opts.clock;
    let ftp = FtpSide { listen: ftp_listen.to_string(), root: ftp_root.to_path_buf() };
    match MockMall::start(listen, Some(ftp), scenario, Arc::new(move || clock.now())) {
        Ok(mock) => {
            println!("mock mall listening on {} (Ctrl-C to stop)", mock.url);
            if let Some(ftp) = &mock.ftp_url {
                println!("FutureShop2 exports over FTP on {ftp}, folder {}", ftp_root.display());
            }
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
