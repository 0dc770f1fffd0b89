//! The `tagstation` command line: its arguments, and which role runs each command.
//!
//! One module per subject: [`station`] the station's own commands (status, scan,
//! sync, history...), [`catalog`] items and units, [`kits`] kits, [`reservations`] reservations, [`report`] reports computed from
//! history, [`hub`] the hub server and its admin client, [`demo`] the all-in-one demo,
//! and [`output`], the one way a command prints text or `--json`. Which of them exist
//! follows the build's roles (cargo features `hub`, `station`, `kiosk`). Nothing here
//! decides a rule: every change goes through the library.

#[cfg(feature = "station")]
mod catalog;
#[cfg(all(feature = "hub", feature = "station"))]
mod demo;
mod directory;
#[cfg(feature = "station")]
mod history;
#[cfg(feature = "hub")]
mod hub;
#[cfg(feature = "station")]
mod kits;
#[cfg(feature = "station")]
mod labels;
mod output;
#[cfg(feature = "station")]
mod report;
#[cfg(feature = "station")]
mod reservations;
#[cfg(feature = "station")]
mod scan;
#[cfg(feature = "station")]
mod station;

#[cfg(not(any(feature = "hub", feature = "station")))]
compile_error!("build at least one role: --features hub, station or kiosk");

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args as ClapArgs, Parser, Subcommand};

/// tagstation: track durable things one unit at a time, offline first.
#[derive(Debug, Parser)]
#[command(name = "tagstation", version, about, propagate_version = true)]
pub struct Args {
    /// Data directory holding the station database.
    #[arg(long, global = true, env = "TAGSTATION_DATA")]
    pub data: Option<PathBuf>,
    /// Configuration file (TOML).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Who is doing this, recorded in history (default: `cli:$USER`).
    #[arg(long, global = true, env = "TAGSTATION_ACTOR")]
    pub actor: Option<String>,
    /// More log output (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    #[cfg(feature = "station")]
    #[command(flatten)]
    Local(station::StationCommand),
    #[cfg(feature = "kiosk")]
    /// Run the station: touch UI (or --headless door mode), sync, scans from its [[input]]s (default: stdin lines).
    Station {
        /// No screen: door mode applies its action to every scan, feedback via buzzer/LEDs and log.
        #[arg(long)]
        headless: bool,
    },
    #[cfg(all(feature = "hub", feature = "station"))]
    /// Try it: a hub and a station with a sample catalog, scans typed at the terminal.
    Demo(demo::DemoArgs),
    #[cfg(feature = "hub")]
    /// Run the hub: the central catalog that stations sync with.
    Hub(hub::HubArgs),
    #[cfg(feature = "hub")]
    /// Manage a running hub: stations, conflicts, who has what.
    Admin(hub::AdminArgs),
}

impl Command {
    /// Runs for long, or talks to a hub over the network: keeps Rust's handling of
    /// SIGPIPE (a write to a closed socket is an error, not the end of the process).
    pub fn long_running_or_networked(&self) -> bool {
        match self {
            #[cfg(feature = "station")]
            Command::Local(c) => c.networked(),
            #[allow(unreachable_patterns)]
            _ => true,
        }
    }

    /// The station service: it logs what it does (each saved scan) at the default level.
    pub fn is_service(&self) -> bool {
        match self {
            #[cfg(feature = "kiosk")]
            Command::Station { .. } => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }
}

/// A refusal the command itself found (an unknown code, every line of a batch
/// refused): said once on standard error, exit code 2 like every other refusal.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

#[derive(Debug, Clone, Copy, ClapArgs)]
pub struct JsonFlag {
    /// Print machine-readable JSON.
    #[arg(long)]
    pub json: bool,
}

/// The global flags a station command reads.
#[cfg(feature = "station")]
pub struct Globals {
    pub data: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub actor: Option<String>,
}

/// Logging to standard error. The station service (`tagstation station`) logs what it
/// does (each saved scan at a door, each sync) by default; a command logs only
/// warnings unless `-v`.
pub fn init_logging(verbose: u8, service: bool) {
    let default = match verbose {
        0 if service => "info",
        0 => "warn",
        1 => "info,tagstation=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TAGSTATION_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Every field and message goes through `escape::controls`: text from stations,
    // scanners and people (an event type with a newline, a name with ESC) is logged
    // escaped on one line, never raw, so it can neither fake a log line nor drive a
    // terminal.
    use tracing_subscriber::field::MakeExt;
    let fields = tracing_subscriber::fmt::format::debug_fn(|w, field, value| {
        let text = format!("{value:?}");
        let text = tagstation::escape::controls(&text);
        if field.name() == "message" {
            write!(w, "{text}")
        } else {
            write!(w, "{}={text}", field.name())
        }
    })
    .delimited(" ");
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .fmt_fields(fields)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
}

pub fn run(args: Args) -> Result<()> {
    #[cfg(feature = "station")]
    let globals = Globals {
        data: args.data.clone(),
        config: args.config.clone(),
        actor: args.actor.clone(),
    };
    match args.command {
        #[cfg(feature = "station")]
        Command::Local(cmd) => station::run(&globals, cmd),
        #[cfg(feature = "kiosk")]
        Command::Station { headless } => station::run_station(&globals, headless),
        #[cfg(all(feature = "hub", feature = "station"))]
        Command::Demo(d) => demo::run(d),
        // The hub keeps its data in its own directory (the service passes --data); it
        // reads no station configuration.
        #[cfg(feature = "hub")]
        Command::Hub(h) => hub::run_hub(
            h,
            args.data.unwrap_or_else(|| PathBuf::from("tagstation-hub")),
        ),
        #[cfg(feature = "hub")]
        Command::Admin(a) => hub::run_admin(a),
    }
}
