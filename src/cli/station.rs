//! The station's own commands: its identity and sync, scans, check-out and check-in,
//! history, import and export, decoding images, and running the station itself.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use uuid::Uuid;

use tagstation::action::{act_on_code, act_on_unit, Action};
use tagstation::catalog::Status;
use tagstation::config::{default_data_dir, Config};
use tagstation::store::{Resolved, Store};
use tagstation::transfer;

use super::catalog::{item_cmd, unit_cmd, ItemCmd, UnitCmd};
use super::directory::{location_cmd, person_cmd, LocationCmd, PersonCmd};
use super::history::{conflicts_text, history_text, overdue_text, Names};
use super::kits::{kit_cmd, KitCmd};
use super::labels::{labels_cmd, LabelsArgs};
use super::output::{print_item, print_unit, show, t};
use super::report::{report_cmd, ReportCmd};
use super::reservations::{reservation_cmd, ReservationCmd};
use super::scan::{parse_scan_action, scan_lines, ScanAction};
use super::{Globals, JsonFlag};

/// Commands on this station's own store.
#[derive(Debug, Subcommand)]
pub enum StationCommand {
    /// Create the data directory and database; optionally name the station.
    Init {
        #[arg(long)]
        name: Option<String>,
    },
    /// This station: identity, events waiting to sync, last sync.
    Status(JsonFlag),
    /// Items: the kinds of things you track.
    #[command(subcommand)]
    Item(ItemCmd),
    /// Units: individual physical things of unit-tracked items.
    #[command(subcommand)]
    Unit(UnitCmd),
    /// People: badges, roles, limits, who has what. Managed on the hub
    /// (`tagstation admin people`); here only on a station that has no hub.
    #[command(subcommand)]
    Person(PersonCmd),
    /// Locations: sites, rooms, vans and shelves that units are moved to.
    #[command(subcommand)]
    Location(LocationCmd),
    /// Reservations: units held for a person for some days.
    #[command(subcommand)]
    Reservation(ReservationCmd),
    /// Kits: sets of units lent and taken back with one scan.
    #[command(subcommand)]
    Kit(KitCmd),
    /// Look up a scanned code, or act on it (the same path as a real scan).
    Scan {
        /// The scanned text: an asset tag or a product barcode.
        #[arg(required_unless_present = "stdin")]
        code: Option<String>,
        /// Set the unit's status (in_stock, receiving, sending, damaged), or check it
        /// in (check_in).
        #[arg(long, value_parser = parse_scan_action)]
        status: Option<ScanAction>,
        /// Line input: read one scan per line from standard input and apply --status to
        /// each. Prints `saved SEQ EVENT_ID CODE` once each is durably stored, or
        /// `refused CODE: reason` / `not-saved CODE: reason`. Exits 2 when no line
        /// was saved and at least one was refused.
        #[arg(long, requires = "status", conflicts_with = "code")]
        stdin: bool,
        /// With --stdin: also sync with the hub in the background.
        #[arg(long, requires = "stdin")]
        sync: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Check a unit out to a person.
    Checkout {
        /// Asset tag, name or id of the unit.
        unit: String,
        /// Who takes it.
        #[arg(long = "to")]
        holder: String,
        /// Due back, YYYY-MM-DD (by default: the last day of the borrower's
        /// reservation it picks up, else their usual loan length).
        #[arg(long)]
        due: Option<String>,
        /// Lend it even though it is reserved for someone else then (recorded on the
        /// reservation).
        #[arg(long)]
        override_reservation: bool,
    },
    /// Check a unit back in.
    Checkin {
        unit: String,
        /// Where it goes back to: a known location (name or code).
        #[arg(long)]
        location: Option<String>,
    },
    /// Everything that happened to one unit (or to a count item): when, what, by
    /// whom, from which station.
    History {
        /// A unit's tag, name or id, or an item's name, SKU or barcode.
        unit: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Units checked out past their due date.
    Overdue(JsonFlag),
    /// Reports from history: utilization, warranty and service dates.
    #[command(subcommand)]
    Report(ReportCmd),
    /// Events flagged as conflicts by sync, for review.
    Conflicts(JsonFlag),
    /// Import items, units and quantities from CSV (all rows or none). Rows are matched
    /// to the catalog by id, asset tag, SKU, barcode or name; `export units` imports back.
    Import {
        file: PathBuf,
        /// `set`: the file's quantities are the stock (importing twice changes nothing);
        /// `add`: they are added to it (a delivery).
        #[arg(long, default_value = "set")]
        mode: transfer::Quantities,
        /// Show what would change, row by row, and record nothing.
        #[arg(long)]
        dry_run: bool,
        /// Create the locations the file names that are not known yet (otherwise
        /// such a row is refused).
        #[arg(long)]
        create_locations: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Decode still images and print every code found (text, symbology, position):
    /// for checking a camera setup.
    Decode {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Print labels for units: a PDF of QR, Data Matrix or Code 128 labels on sheets
    /// (Avery L7651, L7163, 5160, 5267) or thermal rolls, or ZPL for a Zebra.
    Labels(LabelsArgs),
    /// Enroll this station with a hub using a one-time code from `tagstation admin add-station`.
    Enroll {
        /// Hub address, e.g. https://hub.example.com
        #[arg(long)]
        hub: String,
        #[arg(long)]
        code: String,
        /// CA certificate (PEM) to trust for a hub with a private TLS certificate.
        #[arg(long)]
        ca_cert: Option<PathBuf>,
    },
    /// Serve the inventory to an AI assistant over MCP on standard input and output
    /// (an MCP client starts this; logs go to standard error). Works offline; its
    /// changes sync later like any scan, recorded as `mcp:<station name>` (or
    /// `mcp:<--actor>`).
    Mcp,
    /// Sync with the hub: once (`--once`), or keep syncing in the foreground.
    Sync {
        #[arg(long)]
        once: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Export items, units or history as CSV or JSON.
    Export {
        /// items, units or history.
        what: transfer::What,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: transfer::Format,
        /// Write to a file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

impl StationCommand {
    /// Does this command talk to a hub (or run for long)?
    pub fn networked(&self) -> bool {
        matches!(
            self,
            StationCommand::Enroll { .. }
                | StationCommand::Mcp
                | StationCommand::Sync { .. }
                | StationCommand::Scan { sync: true, .. }
        )
    }

    /// Does this command only read? Then it needs an existing station: looking at an
    /// empty folder must not create a database there. (`mcp` needs one too: a client
    /// pointed at the wrong folder must not get an empty station.)
    fn reads_only(&self) -> bool {
        matches!(
            self,
            StationCommand::Status(_)
                | StationCommand::Mcp
                | StationCommand::History { .. }
                | StationCommand::Overdue(_)
                | StationCommand::Conflicts(_)
                | StationCommand::Export { .. }
                | StationCommand::Scan { status: None, .. }
        )
    }
}

pub(super) fn parse_settable(s: &str) -> Result<Status, String> {
    let st: Status = s.parse()?;
    if !Status::SETTABLE.contains(&st) {
        return Err(format!(
            "{s} is not set directly; use one of {} (check-out, check-in and retire have their own commands)",
            Status::SETTABLE.map(Status::as_str).join(", ")
        ));
    }
    Ok(st)
}

pub(super) fn parse_field(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("{s:?} is not KEY=VALUE"))
}

/// Everything a command needs from the global flags.
pub(super) struct Ctx {
    pub(super) store: Store,
    pub(super) actor: String,
}

fn open(globals: &Globals, existing: bool) -> Result<(Ctx, Config)> {
    let data = globals.data.clone();
    let cfg = Config::load(globals.config.as_deref(), data.as_deref())?;
    let dir = data.or(cfg.data.clone()).unwrap_or_else(default_data_dir);
    let store = if existing {
        Store::open_existing(&dir)?
    } else {
        Store::open(&dir)?
    };
    let actor = globals
        .actor
        .clone()
        .or(cfg.station.actor.clone())
        .unwrap_or_else(|| {
            format!(
                "cli:{}",
                std::env::var("USER").unwrap_or_else(|_| "unknown".into())
            )
        });
    Ok((Ctx { store, actor }, cfg))
}

/// `tagstation station`: the whole station from its config file.
#[cfg(feature = "kiosk")]
pub fn run_station(globals: &Globals, headless: bool) -> Result<()> {
    let cfg = Config::load(globals.config.as_deref(), globals.data.as_deref())?;
    let data_dir = globals
        .data
        .clone()
        .or(cfg.data.clone())
        .unwrap_or_else(default_data_dir);
    let opts = tagstation::station::Options {
        data_dir,
        config: cfg,
        actor: globals.actor.clone(),
        headless,
    };
    tagstation::station::run(opts).context("station")
}

pub fn run(globals: &Globals, cmd: StationCommand) -> Result<()> {
    // Decoding images needs no station database.
    if let StationCommand::Decode { files, json } = cmd {
        let reports = tagstation::decode::decode_files_report(
            &files,
            &tagstation::decode::DecodeConfig::default(),
        );
        let mut out = std::io::stdout().lock();
        tagstation::decode::still::write_report(&reports, json.json, &mut out)?;
        // Each file's problem is in the report above; this says only how many.
        let failed = reports.iter().filter(|r| r.error.is_some()).count();
        if failed > 0 {
            bail!("{failed} of {} images could not be read", reports.len());
        }
        return Ok(());
    }
    let (mut ctx, cfg) = open(globals, cmd.reads_only())?;
    match cmd {
        StationCommand::Decode { .. } => unreachable!("handled above"),
        StationCommand::Labels(args) => labels_cmd(&ctx.store, args)?,
        StationCommand::Enroll { hub, code, ca_cert } => {
            let pem = ca_cert
                .map(|p| {
                    std::fs::read_to_string(&p)
                        .with_context(|| format!("cannot read {}", p.display()))
                })
                .transpose()?;
            let r = tagstation::sync::enroll_with_ca(&mut ctx.store, &hub, &code, pem.as_deref())?;
            println!(
                "enrolled as {:?} with {hub}; run `tagstation sync --once` to catch up",
                r.station_name
            );
        }
        StationCommand::Mcp => {
            let who = match globals.actor.clone().or(cfg.station.actor.clone()) {
                Some(actor) => actor,
                None => ctx.store.info()?.name,
            };
            let caller = tagstation::mcp::Caller::station(&who);
            tracing::info!(actor = %t(&caller.actor.0), "MCP server on standard input and output");
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(tagstation::mcp::server::serve_stdio(ctx.store, caller))?;
        }
        StationCommand::Sync { once, json } => {
            if once {
                let r = tagstation::sync::sync_once(&mut ctx.store, cfg.sync.batch_size.max(1));
                if let Err(e) = &r {
                    let _ = ctx.store.set_sync_result(Some(&e.to_string()));
                }
                let r = r?;
                return show(json.json, &r, |r| {
                    println!(
                        "pushed {} ({} conflicts, {} refused), pulled {}",
                        r.pushed, r.conflicts, r.rejected, r.pulled
                    );
                    if let Some(why) = &r.waiting_reason {
                        println!(
                            "{} waiting for the hub to be upgraded: {}",
                            r.waiting_for_hub_upgrade,
                            t(why)
                        );
                    }
                });
            }
            let worker = tagstation::sync::Worker::spawn(worker_config(&ctx.store, &cfg))?;
            eprintln!("syncing every {}s; Ctrl-C to stop", cfg.sync.interval_secs);
            loop {
                std::thread::sleep(std::time::Duration::from_secs(
                    cfg.sync.interval_secs.max(1),
                ));
                let s = worker.state();
                eprintln!(
                    "{} pending {} last sync {} {}",
                    if s.online { "online " } else { "offline" },
                    s.pending,
                    s.last_sync.as_deref().unwrap_or("never"),
                    s.last_error.as_deref().unwrap_or("")
                );
            }
        }
        StationCommand::Init { name } => {
            if let Some(n) = name.or(cfg.station.name.clone()) {
                ctx.store.set_station_name(&n)?;
            }
            let info = ctx.store.info()?;
            println!(
                "station {} ({}) ready at {}",
                info.name,
                info.station_id,
                ctx.store.path().display()
            );
        }
        StationCommand::Status(j) => {
            let info = ctx.store.info()?;
            return show(j.json, &info, |info| {
                println!("station      {} ({})", t(&info.name), info.station_id);
                println!(
                    "database     {}",
                    t(&ctx.store.path().display().to_string())
                );
                if let Some(why) = &info.read_only {
                    println!("storage      READ-ONLY: {}", t(why));
                }
                println!(
                    "events       {} recorded here, {} waiting to sync",
                    info.last_seq, info.pending
                );
                if info.rejected > 0 {
                    println!(
                        "refused      {} (kept; see `tagstation export history`)",
                        info.rejected
                    );
                }
                if let Some(why) = &info.waiting_for_hub_upgrade {
                    println!(
                        "waiting      {} events wait for the hub to be upgraded: {}",
                        info.pending,
                        t(why)
                    );
                }
                if info.needs_update > 0 {
                    println!(
                        "update       this station needs an update to show {} changes made by newer stations (kept; applied after the update)",
                        info.needs_update
                    );
                }
                println!("conflicts    {}", info.conflicts);
                println!(
                    "hub          {}",
                    match (&info.hub_url, info.enrolled) {
                        (Some(u), true) => format!("{} (enrolled)", t(u)),
                        (Some(u), false) => format!("{} (not enrolled)", t(u)),
                        _ => "none (standalone)".into(),
                    }
                );
                match (&info.hub_url, &info.hub_version) {
                    (None, _) => println!("version      {}", info.version),
                    (Some(_), v) => println!(
                        "versions     station {}, hub {}",
                        info.version,
                        t(v.as_deref().unwrap_or("unknown (not synced yet)"))
                    ),
                }
                println!(
                    "last sync    {}",
                    info.last_sync.as_deref().unwrap_or("never")
                );
                if let Some(e) = &info.last_error {
                    println!("last error   {}", t(e));
                }
                if let Ok(true) = ctx.store.has_tag_blocks() {
                    let left = ctx.store.new_tags_left().unwrap_or(0);
                    println!("new tags     {left} left (leased from the hub; more at sync)");
                }
            });
        }
        StationCommand::Item(cmd) => item_cmd(&mut ctx, cmd)?,
        StationCommand::Person(cmd) => person_cmd(&mut ctx, cmd)?,
        StationCommand::Location(cmd) => location_cmd(&mut ctx, cmd)?,
        StationCommand::Reservation(cmd) => {
            let actor = ctx.actor.clone();
            reservation_cmd(&mut ctx.store, &actor, cmd)?
        }
        StationCommand::Kit(cmd) => {
            let actor = ctx.actor.clone();
            kit_cmd(&mut ctx.store, &actor, cmd)?
        }
        StationCommand::Unit(cmd) => unit_cmd(&mut ctx, cmd)?,
        StationCommand::Scan {
            stdin: true,
            status: Some(status),
            sync,
            ..
        } => {
            let worker = if sync {
                Some(tagstation::sync::Worker::spawn(worker_config(
                    &ctx.store, &cfg,
                ))?)
            } else {
                None
            };
            let (saved, refused) = scan_lines(
                &mut ctx.store,
                std::io::stdin().lock(),
                status.action(),
                &ctx.actor,
                worker.as_ref(),
            )?;
            if let Some(w) = worker {
                w.stop();
            }
            if saved == 0 && refused > 0 {
                return Err(super::Refused(format!(
                    "nothing was saved: all {refused} scans were refused"
                ))
                .into());
            }
        }
        StationCommand::Scan {
            code, status, json, ..
        } => {
            let code = code.unwrap_or_default();
            let code = code.trim_end_matches(['\r', '\n', '\t']).to_string();
            match status {
                Some(status) => {
                    let done = act_on_code(&mut ctx.store, &code, status.action(), &ctx.actor)?;
                    return show(json.json, &done, |done| {
                        println!("saved: {}", t(&done.message));
                    });
                }
                None => {
                    let r = ctx.store.resolve(&code)?;
                    if let Resolved::Unknown { code } = &r {
                        // Exit 2, as for every refusal; scripts still get the JSON answer.
                        if json.json {
                            super::output::print_json(&r)?;
                        }
                        return Err(super::Refused(format!(
                            "unknown code {:?}: attach it with `tagstation unit tag UNIT {}`",
                            t(code),
                            t(code)
                        ))
                        .into());
                    }
                    return show(json.json, &r, |r| match r {
                        Resolved::Unit { unit } => print_unit(unit),
                        Resolved::Item { item } => print_item(item),
                        Resolved::Person { person } => {
                            println!("badge of     {}", t(&person.name));
                            println!("has          {} checked out", person.checked_out);
                        }
                        Resolved::Kit { kit } => super::kits::print_kit(kit),
                        Resolved::Location { location } => {
                            println!("label of     {}", t(&location.name));
                            println!("units        {}", location.units);
                        }
                        Resolved::Unknown { .. } => {}
                    });
                }
            }
        }
        StationCommand::Checkout {
            unit,
            holder,
            due,
            override_reservation,
        } => {
            let u = ctx.store.find_unit(&unit)?;
            let done = act_on_unit(
                &mut ctx.store,
                u.id,
                Action::CheckOut {
                    holder,
                    due,
                    over_reservation: override_reservation,
                    signature: None,
                },
                &ctx.actor,
                None,
            )?;
            println!("saved: {}", t(&done.message));
        }
        StationCommand::Checkin { unit, location } => {
            let u = ctx.store.find_unit(&unit)?;
            let done = act_on_unit(
                &mut ctx.store,
                u.id,
                Action::CheckIn { location },
                &ctx.actor,
                None,
            )?;
            println!("saved: {}", t(&done.message));
        }
        StationCommand::History { unit, json } => {
            // A unit (folded ones too), or else an item: a count item's history.
            let h = match find_unit_any(&ctx.store, &unit) {
                Ok(u) => ctx.store.history(u)?,
                Err(unit_err) => match ctx.store.find_item(&unit) {
                    Ok(item) => ctx.store.item_history(item.id)?,
                    Err(_) => return Err(unit_err),
                },
            };
            let names = Names::for_entries(&ctx.store, &h)?;
            return show(json.json, &h, |h| {
                print!("{}", history_text(h, &names));
            });
        }
        StationCommand::Overdue(j) => {
            let units = ctx.store.overdue()?;
            let today = tagstation::clock::today();
            return show(j.json, &units, |units| {
                print!("{}", overdue_text(units, &today));
            });
        }
        StationCommand::Report(cmd) => report_cmd(&ctx.store, cmd)?,
        StationCommand::Conflicts(j) => {
            let c = ctx.store.conflicts_with_cause()?;
            if j.json {
                let only: Vec<_> = c.into_iter().map(|(c, _)| c).collect();
                return super::output::print_json(&only);
            }
            let all: Vec<_> = c
                .iter()
                .flat_map(|(c, b)| std::iter::once(c.clone()).chain(b.clone()))
                .collect();
            let names = Names::for_entries(&ctx.store, &all)?;
            print!("{}", conflicts_text(&c, &names));
        }
        StationCommand::Import {
            file,
            mode,
            dry_run,
            create_locations,
            json,
        } => {
            let f = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let opts = tagstation::ops::bulk::Options {
                mode,
                create_locations,
            };
            let s = transfer::import_csv(&mut ctx.store, f, &ctx.actor, opts, dry_run)?;
            return show(json.json, &s, |s| print_import(s, dry_run));
        }
        StationCommand::Export {
            what,
            format,
            output,
        } => match output {
            Some(path) => {
                let mut f = std::fs::File::create(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                transfer::export(&ctx.store, what, format, &mut f)?;
                f.sync_all()?;
            }
            None => {
                let mut out = std::io::stdout().lock();
                transfer::export(&ctx.store, what, format, &mut out)?;
                writeln!(out)?;
            }
        },
    }
    Ok(())
}

fn worker_config(store: &Store, cfg: &Config) -> tagstation::sync::WorkerConfig {
    let data_dir = store
        .path()
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    tagstation::sync::WorkerConfig::from_settings(data_dir, &cfg.sync)
}

/// A unit by tag, name or id, including units folded back into counts (for history).
pub(super) fn find_unit_any(store: &Store, reference: &str) -> Result<Uuid> {
    match store.find_unit(reference) {
        Ok(u) => Ok(u.id),
        Err(e) => {
            let folded = store.units(None, true)?.into_iter().find(|u| {
                u.id.to_string() == reference || u.asset_tag.as_deref() == Some(reference)
            });
            folded.map(|u| u.id).ok_or_else(|| e.into())
        }
    }
}

/// What an import did, or with `--dry-run` would do: each change with its row, then
/// the totals.
fn print_import(p: &transfer::Plan, dry_run: bool) {
    for c in &p.changes {
        println!("row {:<5} {}", c.row, t(&c.text));
    }
    let counts = format!(
        "{} rows: {} new items, {} items changed, {} new units, {} units changed, {} quantities, {} unchanged, {} skipped",
        p.rows,
        p.items_created,
        p.items_changed,
        p.units_created,
        p.units_changed,
        p.quantities_adjusted,
        p.unchanged,
        p.skipped
    );
    if dry_run {
        println!("dry run, nothing recorded: {counts}");
    } else {
        println!("imported {counts}");
    }
}
