//! The `tagstation` command: the CLI over the library, the station and the hub.
//!
//! This is the binary's edge: errors become `anyhow` here and nowhere else.

mod cli;
mod demo;
mod remote;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    cli::init_logging(args.verbose);
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // User errors (unknown tag, invalid transition...) get their message and a
            // distinct exit code; storage and other failures get the whole chain.
            if let Some(se) = e.downcast_ref::<tagstation::store::StoreError>() {
                eprintln!("error: {se}");
                if se.is_user_error() {
                    return ExitCode::from(2);
                }
                return ExitCode::from(1);
            }
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
