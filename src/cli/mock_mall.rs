//! `juchu mock-mall`: the mock mall as a server of its own.

use std::path::Path;
use std::sync::Arc;

use crate::mock::{FtpSide, MockMall, Scenario};
use crate::pipeline::runner::RunOptions;
use crate::ExitStatus;

/// `state`: a JSON file that keeps the writes applied and the write log across restarts (in memory only without it).
pub fn serve(
    listen: &str,
    ftp_listen: &str,
    ftp_root: &Path,
    scenario: Option<&Path>,
    state: Option<&Path>,
    opts: &RunOptions,
) -> ExitStatus {
    let scenario = match scenario.map(Scenario::load).transpose() {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitStatus::Config;
        }
    };
    let clock = opts.clock;
    let ftp = FtpSide { listen: ftp_listen.to_string(), root: ftp_root.to_path_buf() };
    match MockMall::start(listen, Some(ftp), scenario, Arc::new(move || clock.now()), state.map(Path::to_path_buf)) {
        Ok(mock) => {
            println!("mock mall listening on {} (Ctrl-C to stop)", mock.url);
            if let Some(ftp) = &mock.ftp_url {
                println!("FutureShop2 exports over FTP on {ftp}, folder {}", ftp_root.display());
            }
            println!("write calls it received: GET {}{}", mock.url, crate::mock::WRITES_PATH);
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
