use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(juchu::cli::main().code())
}
