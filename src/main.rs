//! The `greenroom` binary: parse the command line, hand over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    let (cli, serve_matches) = match greenroom::cli::main_with_args() {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("greenroom: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    greenroom::cli::init_logs(cli.log_format);
    match greenroom::cli::run_with(cli, serve_matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("greenroom: {e:#}");
            ExitCode::FAILURE
        }
    }
}
