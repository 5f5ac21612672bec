use std::process::ExitCode;

// Order fetching and parsing allocate many small JSON/XML nodes; mimalloc measured faster than glibc's
// malloc for them (see README, Benchmarks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ExitCode::from(juchu::cli::main().code())
}
