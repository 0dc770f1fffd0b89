//! `tagstation demo`: a hub and a station in one process, on temporary SQLite files,
//! with a sample catalog. On a machine with a display the station's touch UI opens in
//! a window (scans typed into it, or at the terminal); otherwise, or with
//! `--terminal`, scans are typed at the terminal (or a built-in script runs when
//! standard input is not a terminal). Everything it shows is the real product: the
//! catalog is created on the hub, the station pulls it, scans are recorded durably
//! on the station and pushed back by the background sync worker.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args as ClapArgs;
use uuid::Uuid;

use tagstation::action::{act_on_code, Action};
use tagstation::catalog::{Status, Tracking};
use tagstation::clock::Clock;
use tagstation::hub::{self, HubLedger, HubStore};
use tagstation::locations::LocationKind;
use tagstation::ops::catalog::{self, NewItem, NewUnit, UnitChange};
use tagstation::ops::locations::{self, NewLocation};
use tagstation::ops::{people, Actor};
use tagstation::people::{PersonFields, Role};
use tagstation::store::{Resolved, Store};
use tagstation::sync::{Worker, WorkerConfig};

#[derive(Debug, ClapArgs)]
pub struct DemoArgs {
    /// Keep the demo's data here instead of a temporary directory.
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// Where the demo hub listens.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
    /// Run the built-in script of scans even on a terminal (no window).
    #[arg(long)]
    pub script: bool,
    /// Stay in the terminal even where a window could open.
    #[arg(long)]
    pub terminal: bool,
}

const SCRIPT: &[&str] = &[
    "TS-0001",
    "TS-0001 sending",
    "TS-0002 out Ana DUE", // DUE: three weeks from today (a past date is refused)
    "LT-001 damaged",
    "4006381333931",
    "4006381333931 consume 3",
    "UNKNOWN-77",
    "TS-0002 in",
    "status",
    "history TS-0002",
];

/// `YYYY-MM-DD` three weeks after today (UTC), for the script's check-out.
fn three_weeks_from_today() -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(&tagstation::clock::today(), &f)
        .ok()
        .and_then(|d| d.checked_add(time::Duration::weeks(3)))
        .and_then(|d| d.format(&f).ok())
        .unwrap_or_else(tagstation::clock::today)
}

/// The demo's web sign-in.
const DEMO_ADMIN: &str = "Manager";
const DEMO_PASSWORD: &str = "tagstation-demo";

pub fn run(args: DemoArgs) -> Result<()> {
    let tmp;
    let root = match &args.keep {
        Some(p) => p.clone(),
        None => {
            tmp = tempfile_dir()?;
            tmp.clone()
        }
    };
    let hub_dir = root.join("hub");
    let station_dir = root.join("station");

    // 1. The hub, on its own runtime thread.
    let admin_token = hub::auth::new_admin_token();
    let hub = hub::Hub::open(hub::HubOptions {
        database: hub_dir.display().to_string(),
        admin_token: admin_token.clone(),
        tls: None,
        worker_threads: None,
        trusted_proxies: Default::default(),
        routes: Some(tagstation::office_routes),
        host_names: Vec::new(),
        tags: Default::default(),
    })?;
    let store: Arc<dyn HubStore> = hub.store().clone();
    let listener = std::net::TcpListener::bind(args.listen).context("cannot start the demo hub")?;
    let running = hub.spawn(listener)?;
    let url = running.url().to_string();

    // 2. A sample catalog, made on the hub by its admin.
    seed_catalog(store.as_ref())?;

    // The office: a manager who signs in to the web app.
    tagstation::web::setup::create_admin(store.as_ref(), DEMO_ADMIN, None, DEMO_PASSWORD)?;

    // 3. A station: enroll with a one-time code, pull the catalog, start syncing.
    let mut station = Store::open(&station_dir)?;
    let (code, hash) = hub::auth::new_enrollment_code();
    let now = tagstation::clock::SystemClock.now().0;
    store.create_station("Demo door", &hash, now + 600_000, now)?;
    tagstation::sync::enroll(&mut station, &url, &code)?;
    tagstation::sync::sync_once(&mut station, 500)?;
    let sync = tagstation::config::SyncConfig {
        interval_secs: 2,
        max_backoff_secs: 30,
        ..Default::default()
    };
    let worker = Worker::spawn(WorkerConfig::from_settings(station_dir.clone(), &sync))?;

    println!("tagstation demo");
    println!("  hub      {url}   (admin token: {admin_token})");
    println!("  web      {url}/   (sign in as {DEMO_ADMIN}, password {DEMO_PASSWORD})");
    println!("  station  {}", station_dir.display());
    println!("  catalog  Drill (TS-0001..TS-0004), Laptop (LT-001..LT-003), Gloves (barcode 4006381333931)");
    println!("  people   Ana (badge B-0001), Ben (B-0002), Cleo (B-0003); places Shelf A (LOC-A), IT cabinet (LOC-IT), Van 1 (LOC-VAN1)");
    println!();

    match window_unavailable(&args) {
        #[cfg(feature = "desktop")]
        None => {
            println!("The station's touch screen is open in a window. Scan into it: type a tag");
            println!(
                "(TS-0001, LT-002, badge B-0001 at Check out / in...) and press Enter, or use a"
            );
            println!("USB scanner; tags typed here, one per line, count as scans too. Close the");
            println!("window to stop the demo.");
            window::run(station, worker)?;
        }
        // Without the desktop window there is always a reason.
        why => {
            tracing::info!(
                why = why.unwrap_or_default(),
                "the demo runs in the terminal"
            );
            terminal(&mut station, &worker, &args, store.as_ref())?;
            worker.stop();
        }
    }
    running.stop()?;
    if args.keep.is_none() {
        let _ = std::fs::remove_dir_all(&root);
    }
    Ok(())
}

/// Why the demo stays in the terminal, if it does: asked to, a build without the
/// desktop window, or no display to open it on.
fn window_unavailable(args: &DemoArgs) -> Option<&'static str> {
    if args.terminal || args.script {
        return Some("asked for the terminal");
    }
    if !cfg!(feature = "desktop") {
        return Some("this build has no desktop window");
    }
    #[cfg(feature = "desktop")]
    if let Some(why) = tagstation::station::missing_display() {
        return Some(why);
    }
    None
}

#[cfg(feature = "desktop")]
mod window {
    //! The demo's station in its touch UI, in a desktop window.

    use anyhow::Result;
    use tagstation::config::Config;
    use tagstation::station::{forward_scans, start_inputs};
    use tagstation::store::Store;
    use tagstation::sync::Worker;
    use tagstation::ui::{Settings, StationUi};

    /// Open the window and run it until it is closed; lines on standard input are
    /// scans too.
    pub fn run(station: Store, worker: Worker) -> Result<()> {
        let settings = Settings {
            station_name: "Demo door".into(),
            actor: "demo".into(),
            ..Settings::default()
        };
        let feedback = tagstation::feedback::from_config(&Default::default())?;
        let ui = StationUi::new(station, settings, feedback, Some(worker))?;
        forward_scans(start_inputs(&Config::default())?, &ui)?;
        ui.run()?;
        Ok(())
    }
}

/// The terminal demo: scans typed at the prompt, or the built-in script.
fn terminal(
    station: &mut Store,
    worker: &Worker,
    args: &DemoArgs,
    store: &dyn HubStore,
) -> Result<()> {
    println!("Type a scan, optionally followed by an action:");
    println!("  TAG                      show what the tag is");
    println!("  TAG in_stock|receiving|sending|damaged");
    println!("  TAG out NAME [YYYY-MM-DD]   check out        TAG in   check in");
    println!("  BARCODE receive|consume|damaged N            (count items)");
    println!("  status | list | history TAG | quit");
    println!();

    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal() && !args.script;
    let actor = "demo";
    let mut out = std::io::stdout();
    if interactive {
        let mut lines = stdin.lock().lines();
        loop {
            print!("scan> ");
            out.flush()?;
            let Some(line) = lines.next() else { break };
            let line = line?;
            if line.trim() == "quit" {
                break;
            }
            handle(station, worker, line.trim(), actor);
        }
    } else {
        let due = three_weeks_from_today();
        for line in SCRIPT {
            let line = line.replace("DUE", &due);
            println!("scan> {line}");
            handle(station, worker, &line, actor);
        }
        // Let the worker push what the script recorded, then show the hub's view.
        let deadline = Instant::now() + Duration::from_secs(15);
        worker.nudge();
        while worker.state().pending > 0 || !worker.state().online {
            if Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let s = store.stats()?;
        println!();
        println!(
            "hub now holds {} events; {} units; station has {} waiting to sync",
            s.events,
            s.units,
            worker.state().pending
        );
        for h in store.holdings()? {
            println!(
                "hub: {} has {} ({})",
                h.holder,
                h.unit.name,
                h.unit.asset_tag.unwrap_or_default()
            );
        }
    }
    Ok(())
}

fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("tagstation-demo-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The sample catalog, made on the hub through the operations layer, as an admin's
/// changes there are.
fn seed_catalog(hub: &dyn HubStore) -> Result<()> {
    let mut l = HubLedger::new(hub);
    let admin = Actor::new("demo-admin");
    // People, with badges and roles, and the places units live: made on the hub,
    // pulled by every station.
    for (name, badge, role) in [
        ("Ana", "B-0001", Role::Borrower),
        ("Ben", "B-0002", Role::Operator),
        ("Cleo", "B-0003", Role::Admin),
    ] {
        let f = PersonFields {
            name: name.into(),
            badges: vec![badge.into()],
            email: Some(format!("{}@example.com", name.to_lowercase())),
            role,
            active: true,
            max_checkouts: Some(5),
            loan_days: Some(14),
        };
        people::add_person(&mut l, f, &admin)?;
    }
    let site = NewLocation {
        kind: LocationKind::Site,
        ..NewLocation::named("Workshop")
    };
    locations::add_location(&mut l, site, &admin)?;
    for (name, kind, code) in [
        ("Shelf A", LocationKind::Shelf, "LOC-A"),
        ("IT cabinet", LocationKind::Shelf, "LOC-IT"),
        ("Van 1", LocationKind::Van, "LOC-VAN1"),
    ] {
        let new = NewLocation {
            name: name.into(),
            kind,
            parent: (kind == LocationKind::Shelf).then(|| "Workshop".to_string()),
            code: Some(code.into()),
        };
        locations::add_location(&mut l, new, &admin)?;
    }
    // Drills start as a count and are switched to units: the switch seeds Drill 01..04.
    let drill = catalog::create_item(&mut l, NewItem::count("Drill", 4), &admin)?;
    catalog::switch_tracking(&mut l, drill, Tracking::Units, catalog::Fold::Safe, &admin)?;
    for (i, u) in hub.units(Some(drill))?.iter().enumerate() {
        let tag = UnitChange::Tag(Some(format!("TS-{:04}", i + 1)));
        catalog::change_unit(&mut l, u.id, tag, &admin, None)?;
    }
    let laptop = catalog::create_item(&mut l, NewItem::units("Laptop"), &admin)?;
    for i in 1..=3 {
        let new = NewUnit {
            name: Some(format!("Laptop {i:02}")),
            tag: Some(format!("LT-{i:03}")),
            location: Some("IT cabinet".into()),
            fields: [("serial".to_string(), format!("PF3K{i:04}"))].into(),
            ..NewUnit::default()
        };
        catalog::add_unit(&mut l, laptop, new, &admin)?;
    }
    let gloves = NewItem {
        barcode: Some("4006381333931".into()),
        reorder_point: Some(10),
        ..NewItem::count("Gloves", 12)
    };
    catalog::create_item(&mut l, gloves, &admin)?;
    Ok(())
}

/// One line typed at the demo prompt.
fn handle(store: &mut Store, worker: &Worker, line: &str, actor: &str) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let result: Result<String> = (|| match words.as_slice() {
        [] => Ok(String::new()),
        ["status"] => {
            let s = worker.state();
            let info = store.info()?;
            Ok(format!(
                "{} | {} events waiting to sync | last sync {}",
                match (s.rounds, s.online) {
                    (0, _) => "connecting",
                    (_, true) => "online",
                    (_, false) => "offline",
                },
                info.pending,
                info.last_sync.unwrap_or_else(|| "never".into())
            ))
        }
        ["list"] => Ok(store
            .items()?
            .iter()
            .map(|i| {
                let t: Vec<String> = i
                    .totals
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(s, n)| format!("{s} {n}"))
                    .collect();
                format!("{:<8} {}", i.name, t.join(", "))
            })
            .collect::<Vec<_>>()
            .join("\n")),
        ["history", tag] => {
            let u = store.find_unit(tag)?;
            Ok(store
                .history(u.id)?
                .iter()
                .map(|h| format!("{}  {:<32} {}", h.at, h.description, h.actor))
                .collect::<Vec<_>>()
                .join("\n"))
        }
        [code] => Ok(match store.resolve(code)? {
            Resolved::Unit { unit } => format!(
                "{} ({}) — {}{}",
                unit.name,
                unit.item,
                unit.status.label(),
                unit.holder
                    .map(|h| format!(", with {h}"))
                    .unwrap_or_default()
            ),
            Resolved::Item { item } => format!(
                "{}: {} in stock{}",
                item.name,
                item.totals.get(&Status::InStock).copied().unwrap_or(0),
                if item.below_reorder_point {
                    " — below reorder point, order more"
                } else {
                    ""
                }
            ),
            Resolved::Person { person } => format!(
                "Badge of {} ({}): {} checked out",
                person.name, person.role, person.checked_out
            ),
            Resolved::Location { location } => {
                format!("Label of {}: {} units here", location.name, location.units)
            }
            Resolved::Kit { kit } => format!(
                "Kit {}: {}{}",
                kit.name,
                kit.units
                    .iter()
                    .map(|u| format!("{} ({})", u.name, u.status.label().to_lowercase()))
                    .collect::<Vec<_>>()
                    .join(", "),
                if kit.missing.is_empty() {
                    String::new()
                } else {
                    format!(" — incomplete, missing {}", kit.missing.join(", "))
                }
            ),
            Resolved::Unknown { code } => {
                format!("Unknown tag {code}: register it with `tagstation unit tag UNIT {code}`")
            }
        }),
        [code, verb, rest @ ..] => {
            if let Resolved::Item { item } = store.resolve(code)? {
                let n: i64 = rest.first().and_then(|n| n.parse().ok()).unwrap_or(1);
                let a = Actor::from(actor);
                match *verb {
                    "receive" => {
                        let why = Some("received".into());
                        catalog::adjust_quantity(store, item.id, Status::InStock, n, why, &a)?
                    }
                    "consume" => {
                        let why = Some("consumed".into());
                        catalog::adjust_quantity(store, item.id, Status::InStock, -n, why, &a)?
                    }
                    "damaged" => catalog::move_quantity(
                        store,
                        item.id,
                        n,
                        Status::InStock,
                        Status::Damaged,
                        &a,
                    )?,
                    other => {
                        anyhow::bail!("{other:?}: use receive, consume or damaged for count items")
                    }
                };
                worker.nudge();
                let v = store.item_view(&store.find_item(&item.id.to_string())?)?;
                return Ok(format!(
                    "saved: {} now {} in stock{}",
                    v.name,
                    v.totals.get(&Status::InStock).copied().unwrap_or(0),
                    if v.below_reorder_point {
                        " — below reorder point, order more"
                    } else {
                        ""
                    }
                ));
            }
            let action = match (*verb, rest) {
                ("out", [holder, due @ ..]) => Action::CheckOut {
                    holder: holder.to_string(),
                    due: due.first().map(|d| d.to_string()),
                    over_reservation: false,
                    signature: None,
                },
                ("in", _) => Action::CheckIn { location: None },
                ("retire", _) => Action::Retire { reason: None },
                (s, _) => Action::SetStatus {
                    status: s.parse::<Status>().map_err(anyhow::Error::msg)?,
                },
            };
            let done = act_on_code(store, code, action, actor)?;
            worker.nudge();
            Ok(format!("saved: {}", done.message))
        }
    })();
    match result {
        Ok(s) if s.is_empty() => {}
        Ok(s) => println!("{s}"),
        Err(e) => {
            let said = match (
                e.downcast_ref::<tagstation::ops::OpError>(),
                e.downcast_ref::<tagstation::store::StoreError>(),
            ) {
                (Some(op), _) => op.user_message(),
                (_, Some(store)) => store.user_message(),
                _ => e.to_string(),
            };
            println!("NOT SAVED: {}", said.trim_start_matches("NOT SAVED: "));
        }
    }
}
