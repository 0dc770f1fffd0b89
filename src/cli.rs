//! Command-line parsing and the commands that people and scripts run.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args as ClapArgs, Parser, Subcommand};
use serde::Serialize;
use uuid::Uuid;

use tagstation::action::{act_on_code, act_on_unit, Action};
use tagstation::catalog::{Status, Tracking};
use tagstation::config::{default_data_dir, Config};
use tagstation::event::EventKind;
use tagstation::store::{Command as Cmd, HistoryEntry, ItemView, Resolved, Store, UnitView};
use tagstation::transfer;

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
    /// Look up a scanned code, or act on it (the same path as a real scan).
    Scan {
        /// The scanned text: an asset tag or a product barcode.
        #[arg(required_unless_present = "stdin")]
        code: Option<String>,
        /// Set the unit's status.
        #[arg(long, value_parser = parse_settable)]
        status: Option<Status>,
        /// Line input: read one scan per line from standard input and apply --status to
        /// each. Prints `saved SEQ EVENT_ID CODE` once each is durably stored, or
        /// `refused CODE: reason` / `not-saved CODE: reason`.
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
        /// Due back, YYYY-MM-DD.
        #[arg(long)]
        due: Option<String>,
    },
    /// Check a unit back in.
    Checkin {
        unit: String,
        /// Where it goes back to.
        #[arg(long)]
        location: Option<String>,
    },
    /// Everything that happened to one unit: when, what, by whom, from which station.
    History {
        unit: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Units checked out past their due date.
    Overdue(JsonFlag),
    /// Events flagged as conflicts by sync, for review.
    Conflicts(JsonFlag),
    /// Import items, units and quantities from CSV (all rows or none).
    Import {
        file: PathBuf,
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
    /// Try it: a hub and a station with a sample catalog, scans typed at the terminal.
    Demo(crate::demo::DemoArgs),
    /// Run the hub: the central catalog that stations sync with.
    Hub(crate::remote::HubArgs),
    /// Manage a running hub: stations, conflicts, who has what.
    Admin(crate::remote::AdminArgs),
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
    /// Sync with the hub: once (`--once`), or keep syncing in the foreground.
    Sync {
        #[arg(long)]
        once: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Run the station: touch UI (or --headless door mode), sync, scans from its [[input]]s (default: stdin lines).
    Station {
        /// No screen: door mode applies its action to every scan, feedback via buzzer/LEDs and log.
        #[arg(long)]
        headless: bool,
    },
    /// Export items, units or history as CSV or JSON.
    Export {
        #[arg(value_enum)]
        what: transfer::What,
        #[arg(long, value_enum, default_value = "csv")]
        format: transfer::Format,
        /// Write to a file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ClapArgs)]
pub struct JsonFlag {
    /// Print machine-readable JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ItemCmd {
    /// Add an item.
    Add {
        name: String,
        #[arg(long)]
        sku: Option<String>,
        /// Product barcode, scanned for count-tracked stock.
        #[arg(long)]
        barcode: Option<String>,
        /// Track units individually from the start.
        #[arg(long)]
        units: bool,
        #[arg(long)]
        reorder_point: Option<i64>,
        /// Starting quantity in stock (count items).
        #[arg(long)]
        quantity: Option<i64>,
    },
    /// List items with their totals.
    List(JsonFlag),
    /// Show one item, its totals and its units.
    Show {
        item: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Change an item's name, SKU, barcode or reorder point.
    Edit {
        item: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        sku: Option<String>,
        #[arg(long)]
        barcode: Option<String>,
        #[arg(long)]
        reorder_point: Option<i64>,
    },
    /// Switch "track units individually" on (--units) or off (--count).
    Track {
        item: String,
        #[arg(long, conflicts_with = "count", required_unless_present = "count")]
        units: bool,
        #[arg(long)]
        count: bool,
    },
    /// Add (positive) or remove (negative) quantity of a count item.
    Adjust {
        item: String,
        #[arg(allow_negative_numbers = true)]
        delta: i64,
        #[arg(long, default_value = "in_stock")]
        status: Status,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Move quantity of a count item between statuses (e.g. mark 1 damaged).
    Move {
        item: String,
        qty: i64,
        #[arg(long)]
        from: Status,
        #[arg(long)]
        to: Status,
    },
}

#[derive(Debug, Subcommand)]
pub enum UnitCmd {
    /// Add a unit to a unit-tracked item.
    Add {
        item: String,
        /// Default: "<item> NN", the next free number.
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        #[arg(long)]
        location: Option<String>,
        #[arg(long, default_value = "in_stock", value_parser = parse_settable)]
        status: Status,
        /// Custom field, KEY=VALUE (repeatable).
        #[arg(long = "field", value_parser = parse_field)]
        fields: Vec<(String, String)>,
    },
    /// List units (of one item with --item).
    List {
        #[arg(long)]
        item: Option<String>,
        /// Include units folded back into counts.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Show one unit.
    Show {
        unit: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Attach an asset tag to a unit (or remove it with --remove).
    Tag {
        unit: String,
        #[arg(required_unless_present = "remove")]
        tag: Option<String>,
        #[arg(long)]
        remove: bool,
    },
    /// Rename a unit.
    Rename { unit: String, name: String },
    /// Set a custom field (or clear it by leaving out the value).
    Field {
        unit: String,
        key: String,
        value: Option<String>,
    },
    /// Move a unit to a location.
    Move { unit: String, location: String },
    /// Set a unit's status (in_stock, receiving, sending, damaged).
    Status {
        unit: String,
        #[arg(value_parser = parse_settable)]
        status: Status,
    },
    /// Retire a unit (sold, written off): it leaves the totals, keeps its history.
    Retire {
        unit: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

fn parse_settable(s: &str) -> Result<Status, String> {
    let st: Status = s.parse()?;
    if !Status::SETTABLE.contains(&st) {
        return Err(format!(
            "{s} is not set directly; use one of {} (check-out, check-in and retire have their own commands)",
            Status::SETTABLE.map(Status::as_str).join(", ")
        ));
    }
    Ok(st)
}

fn parse_field(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("{s:?} is not KEY=VALUE"))
}

pub fn init_logging(verbose: u8) {
    let default = match verbose {
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

/// Everything a command needs from the global flags.
struct Ctx {
    store: Store,
    actor: String,
}

fn open(args: &Args) -> Result<(Ctx, Config)> {
    let data = args.data.clone();
    let cfg = Config::load(args.config.as_deref(), data.as_deref())?;
    let dir = data.or(cfg.data.clone()).unwrap_or_else(default_data_dir);
    let store = Store::open(&dir)?;
    let actor = args
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

pub fn run(args: Args) -> Result<()> {
    // The hub and the admin client have no station database.
    let args = match args.command {
        Command::Hub(h) => {
            let cfg = Config::load(args.config.as_deref(), args.data.as_deref())?;
            let data = args
                .data
                .or(cfg.data)
                .unwrap_or_else(|| PathBuf::from("tagstation-hub"));
            return crate::remote::run_hub(h, data);
        }
        Command::Admin(a) => return crate::remote::run_admin(a),
        Command::Demo(d) => return crate::demo::run(d),
        Command::Decode { files, json } => {
            let reports = tagstation::decode::decode_files_report(
                &files,
                &tagstation::decode::DecodeConfig::default(),
            );
            let mut out = std::io::stdout().lock();
            tagstation::decode::still::write_report(&reports, json.json, &mut out)?;
            if reports.iter().all(|r| r.error.is_some()) {
                bail!("no image could be read");
            }
            return Ok(());
        }
        _ => args,
    };
    if let Command::Station { headless } = args.command {
        let cfg = Config::load(args.config.as_deref(), args.data.as_deref())?;
        let data_dir = args
            .data
            .clone()
            .or(cfg.data.clone())
            .unwrap_or_else(default_data_dir);
        let opts = tagstation::station::Options {
            data_dir,
            config: cfg,
            actor: args.actor.clone(),
            headless,
        };
        return tagstation::station::run(opts).context("station");
    }
    let (mut ctx, cfg) = open(&args)?;
    match args.command {
        Command::Hub(_)
        | Command::Admin(_)
        | Command::Demo(_)
        | Command::Decode { .. }
        | Command::Station { .. } => {
            unreachable!("handled above")
        }
        Command::Enroll { hub, code, ca_cert } => {
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
        Command::Sync { once, json } => {
            if once {
                let r = tagstation::sync::sync_once(&mut ctx.store, cfg.sync.batch_size.max(1));
                if let Err(e) = &r {
                    let _ = ctx.store.set_sync_result(Some(&e.to_string()));
                }
                let r = r?;
                if json.json {
                    return print_json(&r);
                }
                println!(
                    "pushed {} ({} conflicts, {} refused), pulled {}",
                    r.pushed, r.conflicts, r.rejected, r.pulled
                );
                return Ok(());
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
        Command::Init { name } => {
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
        Command::Status(j) => {
            let info = ctx.store.info()?;
            if j.json {
                return print_json(&info);
            }
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
            println!("conflicts    {}", info.conflicts);
            println!(
                "hub          {}",
                match (&info.hub_url, info.enrolled) {
                    (Some(u), true) => format!("{u} (enrolled)"),
                    (Some(u), false) => format!("{u} (not enrolled)"),
                    _ => "none (standalone)".into(),
                }
            );
            println!(
                "last sync    {}",
                info.last_sync.as_deref().unwrap_or("never")
            );
            if let Some(e) = &info.last_error {
                println!("last error   {}", t(e));
            }
        }
        Command::Item(cmd) => item_cmd(&mut ctx, cmd)?,
        Command::Unit(cmd) => unit_cmd(&mut ctx, cmd)?,
        Command::Scan {
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
            scan_lines(
                &mut ctx.store,
                std::io::stdin().lock(),
                status,
                &ctx.actor,
                worker.as_ref(),
            )?;
            if let Some(w) = worker {
                w.stop();
            }
        }
        Command::Scan {
            code, status, json, ..
        } => {
            let code = code.unwrap_or_default();
            let code = code.trim_end_matches(['\r', '\n', '\t']).to_string();
            match status {
                Some(status) => {
                    let done = act_on_code(
                        &mut ctx.store,
                        &code,
                        Action::SetStatus { status },
                        &ctx.actor,
                    )?;
                    if json.json {
                        return print_json(&done);
                    }
                    println!("saved: {}", t(&done.message));
                }
                None => {
                    let r = ctx.store.resolve(&code)?;
                    if json.json {
                        return print_json(&r);
                    }
                    match r {
                        Resolved::Unit { unit } => print_unit(&unit),
                        Resolved::Item { item } => print_item(&item),
                        Resolved::Unknown { code } => {
                            println!("unknown code {code:?}: attach it with `tagstation unit tag UNIT {code}`")
                        }
                    }
                }
            }
        }
        Command::Checkout { unit, holder, due } => {
            let u = ctx.store.find_unit(&unit)?;
            let done = act_on_unit(
                &mut ctx.store,
                u.id,
                Action::CheckOut { holder, due },
                &ctx.actor,
                None,
            )?;
            println!("saved: {}", t(&done.message));
        }
        Command::Checkin { unit, location } => {
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
        Command::History { unit, json } => {
            let u = find_unit_any(&ctx.store, &unit)?;
            let h = ctx.store.history(u)?;
            if json.json {
                return print_json(&h);
            }
            print_history(&h);
        }
        Command::Overdue(j) => {
            let units = ctx.store.overdue()?;
            if j.json {
                return print_json(&units);
            }
            if units.is_empty() {
                println!("nothing overdue");
            }
            for u in units {
                println!(
                    "{:<24} {:<16} due {}  {}",
                    t(&u.name),
                    t(u.holder.as_deref().unwrap_or("?")),
                    t(u.due.as_deref().unwrap_or("?")),
                    t(u.asset_tag.as_deref().unwrap_or(""))
                );
            }
        }
        Command::Conflicts(j) => {
            let c = ctx.store.conflicts()?;
            if j.json {
                return print_json(&c);
            }
            if c.is_empty() {
                println!("no conflicts");
            }
            print_history(&c);
        }
        Command::Import { file, json } => {
            let f = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let s = transfer::import_csv(&mut ctx.store, f, &ctx.actor)?;
            if json.json {
                return print_json(&s);
            }
            println!(
                "imported {} rows: {} items, {} units, {} quantities",
                s.rows, s.items_created, s.units_created, s.quantities_adjusted
            );
        }
        Command::Export {
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

/// Line input: one scan per line, each acknowledged only once durably stored. A bad
/// line (unknown tag, garbage, refused change, full disk) is reported and skipped; the
/// loop keeps running.
fn scan_lines(
    store: &mut Store,
    input: impl std::io::BufRead,
    status: Status,
    actor: &str,
    worker: Option<&tagstation::sync::Worker>,
) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for line in input.split(b'\n') {
        let raw = line?;
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        // The same checks as every other scan input: terminator stripped; control
        // characters (but GS, the GS1 separator), invalid UTF-8 and absurd length refused.
        let text = match tagstation::scan::text::ScanText::from_bytes(&raw) {
            Ok(t) => t.as_str().to_string(),
            Err(e) => {
                tracing::warn!(error = %e, bytes = raw.len(), "scan refused");
                let shown: String = String::from_utf8_lossy(&raw[..raw.len().min(64)])
                    .chars()
                    .filter(|c| !c.is_control())
                    .collect();
                writeln!(out, "refused {shown}: {e}")?;
                out.flush()?;
                continue;
            }
        };
        let shown: String = text.chars().take(64).filter(|c| !c.is_control()).collect();
        match act_on_code(store, &text, Action::SetStatus { status }, actor) {
            Ok(done) => {
                writeln!(
                    out,
                    "saved {} {} {}",
                    done.station_seq,
                    done.event_id,
                    t(&text)
                )?;
                if let Some(w) = worker {
                    w.nudge();
                }
            }
            Err(e) if e.is_user_error() => writeln!(out, "refused {shown}: {}", e.user_message())?,
            Err(e) => {
                tracing::error!(error = %e, "scan not saved");
                writeln!(out, "not-saved {shown}: {}", e.user_message())?
            }
        }
        out.flush()?;
    }
    Ok(())
}

fn item_cmd(ctx: &mut Ctx, cmd: ItemCmd) -> Result<()> {
    let actor = ctx.actor.clone();
    let store = &mut ctx.store;
    let record = |store: &mut Store, item_id, unit_id, kind| {
        store.record(Cmd {
            item_id,
            unit_id,
            kind,
            actor: actor.clone(),
            scan: None,
        })
    };
    match cmd {
        ItemCmd::Add {
            name,
            sku,
            barcode,
            units,
            reorder_point,
            quantity,
        } => {
            let id = Uuid::now_v7();
            let tracking = if units {
                Tracking::Units
            } else {
                Tracking::Count
            };
            let mut cmds = vec![Cmd {
                item_id: id,
                unit_id: None,
                kind: EventKind::ItemCreated {
                    name: name.clone(),
                    sku,
                    barcode,
                    tracking,
                    reorder_point,
                },
                actor: actor.clone(),
                scan: None,
            }];
            if let Some(q) = quantity.filter(|q| *q != 0) {
                if units {
                    bail!("--quantity is for count items; add units with `tagstation unit add`");
                }
                cmds.push(Cmd {
                    item_id: id,
                    unit_id: None,
                    kind: EventKind::QuantityAdjusted {
                        status: Status::InStock,
                        delta: q,
                        reason: None,
                    },
                    actor: actor.clone(),
                    scan: None,
                });
            }
            store.record_batch(cmds).map_err(|(_, e)| e)?;
            println!("added item {name} ({id})");
        }
        ItemCmd::List(j) => {
            let items = store.items()?;
            if j.json {
                return print_json(&items);
            }
            println!(
                "{:<28} {:<6} {:>8} {:>9} {:>7} {:>7} {:>7} {:>6}",
                "ITEM", "TRACK", "IN_STOCK", "RECEIVING", "SENDING", "DAMAGED", "OUT", "TOTAL"
            );
            for i in items {
                let t = |s| i.totals.get(&s).copied().unwrap_or(0);
                println!(
                    "{:<28} {:<6} {:>8} {:>9} {:>7} {:>7} {:>7} {:>6}{}",
                    i.name,
                    i.tracking.as_str(),
                    t(Status::InStock),
                    t(Status::Receiving),
                    t(Status::Sending),
                    t(Status::Damaged),
                    t(Status::CheckedOut),
                    i.total,
                    if i.below_reorder_point {
                        "  below reorder point"
                    } else {
                        ""
                    }
                );
            }
        }
        ItemCmd::Show { item, json } => {
            let it = store.find_item(&item)?;
            let view = store.item_view(&it)?;
            let units = store.units(Some(it.id), false)?;
            if json.json {
                #[derive(Serialize)]
                struct Shown<'a> {
                    #[serde(flatten)]
                    item: &'a ItemView,
                    unit_list: &'a [UnitView],
                }
                return print_json(&Shown {
                    item: &view,
                    unit_list: &units,
                });
            }
            print_item(&view);
            for u in &units {
                println!(
                    "  {:<24} {:<12} {:<12} {}",
                    u.name,
                    u.status.as_str(),
                    u.asset_tag.as_deref().unwrap_or("-"),
                    u.holder.as_deref().or(u.location.as_deref()).unwrap_or("")
                );
            }
        }
        ItemCmd::Edit {
            item,
            name,
            sku,
            barcode,
            reorder_point,
        } => {
            let it = store.find_item(&item)?;
            let kind = EventKind::ItemEdited {
                name: name.unwrap_or(it.name.clone()),
                sku: sku.or(it.sku.clone()),
                barcode: barcode.or(it.barcode.clone()),
                reorder_point: reorder_point.or(it.reorder_point),
            };
            record(store, it.id, None, kind)?;
            println!("saved: {} edited", t(&it.name));
        }
        ItemCmd::Track { item, units, .. } => {
            let it = store.find_item(&item)?;
            let to = if units {
                Tracking::Units
            } else {
                Tracking::Count
            };
            let rec = record(store, it.id, None, EventKind::TrackingSwitched { to })?;
            match to {
                Tracking::Units => println!(
                    "saved: {} now tracks units individually ({} units created)",
                    it.name,
                    rec.units.len()
                ),
                Tracking::Count => println!(
                    "saved: {} now tracked by count ({} units folded)",
                    it.name,
                    rec.units.len()
                ),
            }
        }
        ItemCmd::Adjust {
            item,
            delta,
            status,
            reason,
        } => {
            let it = store.find_item(&item)?;
            record(
                store,
                it.id,
                None,
                EventKind::QuantityAdjusted {
                    status,
                    delta,
                    reason,
                },
            )?;
            let v = store.item_view(&store.find_item(&it.id.to_string())?)?;
            println!(
                "saved: {} {status} {delta:+} (now {})",
                it.name,
                v.totals.get(&status).copied().unwrap_or(0)
            );
        }
        ItemCmd::Move {
            item,
            qty,
            from,
            to,
        } => {
            let it = store.find_item(&item)?;
            record(
                store,
                it.id,
                None,
                EventKind::QuantityMoved { from, to, qty },
            )?;
            println!("saved: {qty} {} moved from {from} to {to}", t(&it.name));
        }
    }
    Ok(())
}

fn unit_cmd(ctx: &mut Ctx, cmd: UnitCmd) -> Result<()> {
    let actor = ctx.actor.clone();
    let store = &mut ctx.store;
    let on_unit = |store: &mut Store, unit: &str, kind: EventKind| -> Result<String> {
        let u = store.find_unit(unit)?;
        store.record(Cmd {
            item_id: u.item_id,
            unit_id: Some(u.id),
            kind,
            actor: actor.clone(),
            scan: None,
        })?;
        Ok(u.name)
    };
    match cmd {
        UnitCmd::Add {
            item,
            name,
            tag,
            location,
            status,
            fields,
        } => {
            let it = store.find_item(&item)?;
            let name = match name {
                Some(n) => n,
                None => store.next_unit_name(it.id)?,
            };
            let id = Uuid::now_v7();
            store.record(Cmd {
                item_id: it.id,
                unit_id: Some(id),
                kind: EventKind::UnitCreated {
                    name: name.clone(),
                    asset_tag: tag,
                    status,
                    location,
                    fields: fields.into_iter().collect::<BTreeMap<_, _>>(),
                },
                actor: ctx.actor.clone(),
                scan: None,
            })?;
            println!("added unit {name} ({id})");
        }
        UnitCmd::List { item, all, json } => {
            let item_id = item.map(|i| store.find_item(&i)).transpose()?.map(|i| i.id);
            let units = store.units(item_id, all)?;
            if json.json {
                return print_json(&units);
            }
            println!(
                "{:<24} {:<20} {:<12} {:<14} {}",
                "UNIT", "ITEM", "STATUS", "TAG", "HOLDER/LOCATION"
            );
            for u in units {
                println!(
                    "{:<24} {:<20} {:<12} {:<14} {}{}",
                    u.name,
                    u.item,
                    u.status.as_str(),
                    u.asset_tag.as_deref().unwrap_or("-"),
                    u.holder.as_deref().or(u.location.as_deref()).unwrap_or(""),
                    if u.active {
                        ""
                    } else {
                        "  (folded into count)"
                    }
                );
            }
        }
        UnitCmd::Show { unit, json } => {
            let u = store.find_unit(&unit)?;
            let v = store.unit_view(&u)?;
            if json.json {
                return print_json(&v);
            }
            print_unit(&v);
        }
        UnitCmd::Tag { unit, tag, remove } => {
            let tag = if remove { None } else { tag };
            let name = on_unit(store, &unit, EventKind::UnitTagged { tag: tag.clone() })?;
            match tag {
                Some(tag) => println!("saved: {} tagged {}", t(&name), t(&tag)),
                None => println!("saved: {} tag removed", t(&name)),
            }
        }
        UnitCmd::Rename { unit, name } => {
            let old = on_unit(store, &unit, EventKind::UnitRenamed { name: name.clone() })?;
            println!("saved: {} renamed to {}", t(&old), t(&name));
        }
        UnitCmd::Field { unit, key, value } => {
            let name = on_unit(
                store,
                &unit,
                EventKind::FieldSet {
                    key: key.clone(),
                    value,
                },
            )?;
            println!("saved: {} {} updated", t(&name), t(&key));
        }
        UnitCmd::Move { unit, location } => {
            let name = on_unit(
                store,
                &unit,
                EventKind::LocationMoved {
                    location: Some(location.clone()),
                },
            )?;
            println!("saved: {} moved to {}", t(&name), t(&location));
        }
        UnitCmd::Status { unit, status } => {
            let name = on_unit(store, &unit, EventKind::StatusChanged { to: status })?;
            println!("saved: {} set to {status}", t(&name));
        }
        UnitCmd::Retire { unit, reason } => {
            let name = on_unit(store, &unit, EventKind::UnitRetired { reason })?;
            println!("saved: {} retired", t(&name));
        }
    }
    Ok(())
}

/// A unit by tag, name or id, including units folded back into counts (for history).
fn find_unit_any(store: &Store, reference: &str) -> Result<Uuid> {
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

fn print_json<T: Serialize + ?Sized>(v: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

fn print_item(i: &ItemView) {
    println!("item         {} ({})", t(&i.name), i.id);
    println!("tracking     {}", i.tracking.as_str());
    if let Some(s) = &i.sku {
        println!("sku          {}", t(s));
    }
    if let Some(b) = &i.barcode {
        println!("barcode      {}", t(b));
    }
    let t: Vec<String> = i.totals.iter().map(|(s, n)| format!("{s} {n}")).collect();
    println!("totals       {} (total {})", t.join(", "), i.total);
    if let Some(r) = i.reorder_point {
        println!(
            "reorder at   {r}{}",
            if i.below_reorder_point {
                "  BELOW REORDER POINT"
            } else {
                ""
            }
        );
    }
}

fn print_unit(u: &UnitView) {
    println!("unit         {} ({})", t(&u.name), u.id);
    println!("item         {}", t(&u.item));
    println!("tag          {}", t(u.asset_tag.as_deref().unwrap_or("-")));
    println!("status       {}", u.status);
    if let Some(h) = &u.holder {
        println!(
            "holder       {}{}{}",
            t(h),
            u.due
                .as_deref()
                .map(|d| format!(", due {}", t(d)))
                .unwrap_or_default(),
            if u.overdue { "  OVERDUE" } else { "" }
        );
    }
    println!("location     {}", t(u.location.as_deref().unwrap_or("-")));
    for (k, v) in &u.fields {
        println!("{:<12} {}", t(k), t(v));
    }
    if !u.active {
        println!("(folded into its item's count; kept for history)");
    }
}

fn print_history(h: &[HistoryEntry]) {
    for e in h {
        println!(
            "{}{} {:<28} {:<16} {}{}",
            e.at,
            if e.clock_synced { " " } else { "?" },
            t(&e.description),
            t(&e.actor),
            if e.synced { "" } else { "(not synced) " },
            match (&e.note, e.applied, e.conflict) {
                (Some(n), false, _) => format!("NOT APPLIED: {}", t(n)),
                (n, true, true) => format!("CONFLICT: {}", t(n.as_deref().unwrap_or(""))),
                _ => String::new(),
            }
        );
    }
    if h.iter().any(|e| !e.clock_synced) {
        println!("(? = the station's clock was not known to be synchronised)");
    }
}

/// Text from the store (names, actors, notes: from people, scanners and other
/// stations) as it may reach a terminal: control characters escaped, never raw.
fn t(s: &str) -> std::borrow::Cow<'_, str> {
    tagstation::escape::controls(s)
}
