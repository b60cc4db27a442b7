//! `porthole`: the one binary operators run.

use std::process::ExitCode;

use clap::Parser;
use porthole_server::cli::Cli;

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
