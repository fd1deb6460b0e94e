//! The `greenroom` binary: parse the command line, hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = greenroom::cli::Cli::parse();
    greenroom::cli::init_logs(cli.log_format);
    match greenroom::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("greenroom: {e:#}");
            ExitCode::FAILURE
        }
    }
}
