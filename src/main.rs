//! The `greenroom` binary: parse the command line, hand over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    let (cli, serve_matches) = greenroom::cli::parse();
    greenroom::cli::init_logs(cli.log_format);
    match greenroom::cli::run(cli, serve_matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("greenroom: {e:#}");
            ExitCode::FAILURE
        }
    }
}
