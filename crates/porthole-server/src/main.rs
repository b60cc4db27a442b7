//! `porthole`: the one binary operators run.

use std::process::ExitCode;

use clap::Parser;
use porthole_server::cli::Cli;

/// Each password hash allocates and frees a 19 MiB block (argon2id,
/// m = 19 MiB). glibc's malloc raises its mmap threshold after the first
/// such block is freed and serves the later ones from its heaps, which then
/// fragment: a burst of sign-ins took the peak RSS from 155 MiB to 650 MiB.
/// mimalloc maps blocks that large on their own and returns them. With its
/// `override` feature it also serves C's `malloc`, so SQLite's allocations
/// from the connection threads take no glibc arena locks either.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match porthole_server::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("porthole: {}", porthole_server::one_line(&error));
            ExitCode::FAILURE
        }
    }
}
