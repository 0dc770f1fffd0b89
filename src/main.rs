//! The `tagstation` command: the CLI over the library, the station and the hub.
//!
//! This is the binary's edge: errors become `anyhow` here and nowhere else.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    if !args.command.long_running_or_networked() {
        restore_sigpipe();
    }
    cli::init_logging(args.verbose, args.command.is_service());
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", describe(&e));
            // User errors (unknown tag, invalid transition...) get a distinct exit code;
            // storage and other failures exit 1.
            let refused = match (
                e.downcast_ref::<tagstation::ops::OpError>(),
                e.downcast_ref::<tagstation::sql::StoreError>(),
            ) {
                (Some(op), _) => op.is_user_error(),
                (_, Some(store)) => store.is_user_error(),
                _ => e.downcast_ref::<cli::Refused>().is_some() || import_refused(&e),
            };
            ExitCode::from(if refused { 2 } else { 1 })
        }
    }
}

/// An import whose file was refused (a row the rules refuse, a bad cell): exit 2.
#[cfg(feature = "station")]
fn import_refused(e: &anyhow::Error) -> bool {
    e.downcast_ref::<tagstation::transfer::TransferError>()
        .is_some_and(|t| t.is_user_error())
}

#[cfg(not(feature = "station"))]
fn import_refused(_: &anyhow::Error) -> bool {
    false
}

/// A command that only reads and prints (`history ... | head`) ends quietly when the
/// reader goes away, as other command-line tools do, instead of failing on "Broken
/// pipe". Not for the station, the hub or sync, which write to sockets.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: at the start of main, before any thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// An error and its causes on one line, each cause said once (many errors already
/// quote their cause in their own message), with control characters escaped: the
/// message may quote a name or a scan.
fn describe(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if text.contains(&out) {
            out = text;
            continue;
        }
        out.push_str(": ");
        out.push_str(&text);
    }
    tagstation::escape::controls(&out).into_owned()
}
