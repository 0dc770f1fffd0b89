//! The office web app against a large catalog: every page's latency (p50, p95, max)
//! beside a trivial route measured in the same run (the stylesheet), so figures can
//! be compared across runs as ratios.
//!
//! `cargo bench --bench web` builds a hub database (a SQLite file, or PostgreSQL when
//! `TAGSTATION_TEST_PG_URL` is set) holding `BENCH_WEB_UNITS` units (100,000) over
//! `BENCH_WEB_ITEMS` items (1,000) and `BENCH_WEB_EVENTS` events (1,000,000) in all,
//! with people, locations and stations; then starts the release `tagstation hub` on
//! it, makes an admin with `tagstation hub create-admin`, signs in through the form
//! and requests every page `BENCH_WEB_REQUESTS` times (200; fewer for a page that
//! takes long: at most `BENCH_WEB_PAGE_SECS`, 20 s, per page).
//!
//! The events are loaded in bulk through the hub store's own batched write path
//! (`HubStore::push`, 2,000 events a transaction, no HTTP), as the stations that made
//! them would have pushed them: people and locations are the hub's own events, items,
//! units, check-outs, check-ins, moves and repairs are the stations'. So the tables the
//! pages read are exactly what the hub holds after that history, and some events are
//! conflicts (made on a stale version). Without `--bench` (as `cargo test
//! --all-targets` runs it) a smoke run of a few seconds.

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::bench::env_usize;
use common::faultproxy::Rng;
use tagstation::catalog::{unit_name, Status, Tracking};
use tagstation::clock::{Clock, SystemClock};
use tagstation::event::{Command, Event, EventKind};
use tagstation::hub::HubStore;
use tagstation::locations::{LocationFields, LocationKind};
use tagstation::people::{PersonFields, Role};
use uuid::Uuid;

const PASSWORD: &str = "a long bench password";
const DAY_MS: i64 = 24 * 3600 * 1000;

struct Sizes {
    units: usize,
    events: usize,
    items: usize,
    people: usize,
    locations: usize,
    stations: usize,
    requests: usize,
    page_secs: u64,
}

/// A unit as the generator tracks it, so that every event it makes is one the rules
/// accept (but for the deliberate conflicts).
struct UnitState {
    id: Uuid,
    item: usize,
    status: Status,
    location: usize,
}

struct ItemState {
    id: Uuid,
    station: usize,
    tracking: Tracking,
    /// Count items: in stock and damaged.
    in_stock: i64,
    damaged: i64,
}

/// What the loader made, for the requests to pick from.
struct Catalog {
    people: Vec<Uuid>,
    locations: Vec<Uuid>,
    items: Vec<Uuid>,
    count_items: Vec<Uuid>,
    units: Vec<Uuid>,
    tags: Vec<String>,
    barcodes: Vec<String>,
}

fn date(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| "2026-01-01".into())
}

/// Load the catalog and its history into `store`; returns what was made.
fn load(store: &dyn HubStore, z: &Sizes, out: &mut Vec<String>) -> Catalog {
    let mut rng = Rng(0x5eed_1234_abcd);
    let now = SystemClock.now().0;
    let t0 = Instant::now();

    // Stations, enrolled.
    let stations: Vec<Uuid> = (0..z.stations)
        .map(|s| {
            let id = Uuid::now_v7();
            let code = format!("bench-code-{s}");
            store
                .create_station(&format!("Van {s:02}"), &code, now + DAY_MS, now)
                .expect("create a station");
            store
                .enroll(&code, id, &format!("tok{s}"), &format!("hash{s}"), now)
                .expect("enroll a station");
            id
        })
        .collect();

    // People and locations: the hub's own events, in one transaction.
    let people: Vec<(Uuid, String)> = (0..z.people)
        .map(|i| (Uuid::now_v7(), format!("Borrower {i:04}")))
        .collect();
    let locations: Vec<(Uuid, String)> = (0..z.locations)
        .map(|i| (Uuid::now_v7(), format!("Shelf {i:03}")))
        .collect();
    let mut cmds = Vec::new();
    for (i, (id, name)) in people.iter().enumerate() {
        cmds.push(Command {
            item_id: *id,
            unit_id: None,
            kind: EventKind::PersonCreated(PersonFields {
                name: name.clone(),
                badges: vec![format!("B{i:05}")],
                email: Some(format!("borrower{i}@example.com")),
                role: Role::Borrower,
                active: true,
                max_checkouts: None,
                loan_days: None,
            }),
            actor: "bench".into(),
            scan: None,
        });
    }
    for (id, name) in &locations {
        cmds.push(Command {
            item_id: *id,
            unit_id: None,
            kind: EventKind::LocationCreated(LocationFields {
                name: name.clone(),
                kind: LocationKind::Shelf,
                parent: None,
                code: None,
                active: true,
            }),
            actor: "bench".into(),
            scan: None,
        });
    }
    let admin_events = cmds.len();
    store
        .admin_record_all(cmds)
        .map_err(|(i, e)| format!("command {i}: {e}"))
        .expect("record people and locations");

    // The stations' history, generated in the order it happened.
    let mut items: Vec<ItemState> = Vec::with_capacity(z.items);
    let mut units: Vec<UnitState> = Vec::with_capacity(z.units);
    let mut per_station: Vec<Vec<Event>> = vec![Vec::new(); z.stations];
    let mut seq = vec![0i64; z.stations];
    let total = z.events.saturating_sub(admin_events).max(z.items + z.units);
    let start_ms = now - 730 * DAY_MS;
    let mut made = 0usize;
    let mut conflicts = 0usize;
    let mut push = |station: usize,
                    item_id: Uuid,
                    unit_id: Option<Uuid>,
                    base_version: Option<i64>,
                    kind: EventKind,
                    made: &mut usize| {
        seq[station] += 1;
        let wall = start_ms + (*made as i64) * (730 * DAY_MS) / total as i64;
        per_station[station].push(Event {
            id: Uuid::now_v7(),
            station_id: stations[station],
            station_seq: seq[station],
            actor: format!("van{station}"),
            wall_time_ms: wall,
            clock_synced: true,
            item_id,
            unit_id,
            base_version,
            scan: None,
            kind,
        });
        *made += 1;
        wall
    };
    let count_every = 20; // one item in twenty is counted, not tracked by unit
    let mut tracked = 0usize;
    for i in 0..z.items {
        let id = Uuid::now_v7();
        let station = i % z.stations;
        let tracking = if i % count_every == count_every - 1 {
            Tracking::Count
        } else {
            tracked += 1;
            Tracking::Units
        };
        let per_item = z.units / (z.items - z.items / count_every).max(1);
        push(
            station,
            id,
            None,
            None,
            EventKind::ItemCreated {
                name: format!("Item {i:04}"),
                sku: Some(format!("SKU-{i:05}")),
                barcode: Some(format!("40{i:011}")),
                tracking,
                // A third have a reorder point near half their stock.
                reorder_point: (i % 3 == 0).then_some((per_item as i64 / 2).max(1)),
            },
            &mut made,
        );
        let mut st = ItemState {
            id,
            station,
            tracking,
            in_stock: 0,
            damaged: 0,
        };
        if tracking == Tracking::Count {
            push(
                station,
                id,
                None,
                None,
                EventKind::QuantityAdjusted {
                    status: Status::InStock,
                    delta: 200,
                    reason: Some("received".into()),
                },
                &mut made,
            );
            st.in_stock = 200;
        }
        items.push(st);
    }
    // Units, spread over the tracked items.
    let tracked_items: Vec<usize> = (0..z.items)
        .filter(|i| items[*i].tracking == Tracking::Units)
        .collect();
    let mut per_item_n: BTreeMap<usize, usize> = BTreeMap::new();
    let mut tags = Vec::with_capacity(z.units);
    for u in 0..z.units {
        let item = tracked_items[u % tracked.max(1)];
        let n = per_item_n.entry(item).or_insert(0);
        *n += 1;
        let id = Uuid::now_v7();
        let location = rng.below(z.locations as u64) as usize;
        let tag = format!("TS-{u:07}");
        push(
            items[item].station,
            items[item].id,
            Some(id),
            None,
            EventKind::UnitCreated {
                name: unit_name(&format!("Item {item:04}"), *n),
                asset_tag: Some(tag.clone()),
                status: Status::InStock,
                location: Some(locations[location].1.clone()),
                fields: BTreeMap::from([("serial".to_string(), format!("SN{u:08}"))]),
                location_id: Some(locations[location].0),
            },
            &mut made,
        );
        tags.push(tag);
        units.push(UnitState {
            id,
            item,
            status: Status::InStock,
            location,
        });
    }
    // Then the years of lending, moves and repairs.
    let count_items: Vec<usize> = (0..z.items)
        .filter(|i| items[*i].tracking == Tracking::Count)
        .collect();
    while made < total {
        if !count_items.is_empty() && rng.below(100) < 3 {
            let it = &mut items[count_items[rng.below(count_items.len() as u64) as usize]];
            let kind = if it.damaged > 0 && rng.below(2) == 0 {
                it.damaged -= 1;
                it.in_stock += 1;
                EventKind::QuantityMoved {
                    from: Status::Damaged,
                    to: Status::InStock,
                    qty: 1,
                }
            } else if it.in_stock > 0 {
                it.in_stock -= 1;
                it.damaged += 1;
                EventKind::QuantityMoved {
                    from: Status::InStock,
                    to: Status::Damaged,
                    qty: 1,
                }
            } else {
                it.in_stock += 10;
                EventKind::QuantityAdjusted {
                    status: Status::InStock,
                    delta: 10,
                    reason: Some("received".into()),
                }
            };
            let (station, id) = (it.station, it.id);
            push(station, id, None, None, kind, &mut made);
            continue;
        }
        let u = &mut units[rng.below(z.units as u64) as usize];
        let (station, item_id) = (items[u.item].station, items[u.item].id);
        // One event in a thousand was made on a version changed elsewhere meanwhile.
        let base = if rng.below(1000) == 0 {
            conflicts += 1;
            Some(0)
        } else {
            None
        };
        let roll = rng.below(100);
        let kind = match u.status {
            Status::CheckedOut => {
                u.status = Status::InStock;
                let back = if roll < 30 {
                    u.location = rng.below(z.locations as u64) as usize;
                    Some(&locations[u.location])
                } else {
                    None
                };
                EventKind::CheckedIn {
                    location: back.map(|l| l.1.clone()),
                    location_id: back.map(|l| l.0),
                }
            }
            Status::Damaged | Status::Sending => {
                u.status = Status::InStock;
                EventKind::StatusChanged {
                    to: Status::InStock,
                    reason: Some("repair".into()),
                }
            }
            _ if roll < 55 => {
                u.status = Status::CheckedOut;
                let (pid, pname) = &people[rng.below(z.people as u64) as usize];
                // The wall time of this event is the next one's.
                let wall = start_ms + (made as i64) * (730 * DAY_MS) / total as i64;
                EventKind::CheckedOut {
                    holder: pname.clone(),
                    due: Some(date(wall + 14 * DAY_MS)),
                    holder_id: Some(*pid),
                }
            }
            _ if roll < 80 => {
                let mut to = rng.below(z.locations as u64) as usize;
                if to == u.location {
                    to = (to + 1) % z.locations;
                }
                u.location = to;
                EventKind::LocationMoved {
                    location: Some(locations[to].1.clone()),
                    reason: None,
                    location_id: Some(locations[to].0),
                }
            }
            _ if roll < 90 => {
                u.status = if roll < 85 {
                    Status::Damaged
                } else {
                    Status::Sending
                };
                EventKind::StatusChanged {
                    to: u.status,
                    reason: Some("repair".into()),
                }
            }
            _ => EventKind::FieldSet {
                key: "last_service".into(),
                value: Some(date(
                    start_ms + (made as i64) * (730 * DAY_MS) / total as i64,
                )),
            },
        };
        let id = u.id;
        push(station, item_id, Some(id), base, kind, &mut made);
    }
    let generated = t0.elapsed();

    // Pushed as the stations would, in large batches, round-robin over the stations.
    let t1 = Instant::now();
    const BATCH: usize = 2000;
    let mut at = vec![0usize; z.stations];
    let mut pushed = 0usize;
    loop {
        let mut any = false;
        for s in 0..z.stations {
            let evs = &per_station[s];
            if at[s] >= evs.len() {
                continue;
            }
            any = true;
            let end = (at[s] + BATCH).min(evs.len());
            let raw: Vec<serde_json::Value> = evs[at[s]..end]
                .iter()
                .map(|e| serde_json::to_value(e).expect("an event as JSON"))
                .collect();
            let r = store.push(stations[s], &raw).expect("push a batch");
            for res in &r.results {
                assert!(
                    matches!(
                        res.status,
                        tagstation::proto::PushStatus::Accepted
                            | tagstation::proto::PushStatus::Conflict
                    ),
                    "the hub refused a generated event: {res:?}"
                );
            }
            pushed += end - at[s];
            at[s] = end;
        }
        if !any {
            break;
        }
    }
    let ingest = t1.elapsed();
    let stats = store.stats().expect("stats");
    assert_eq!(
        stats.events as usize,
        pushed + admin_events,
        "every event held"
    );
    out.push(format!(
        "loaded {} events ({admin_events} the hub's own, {conflicts} conflicts) for {} items and {} units, {} people, {} locations, {} stations: generated in {:.1} s, ingested in {:.1} s ({:.0} events/s)",
        stats.events,
        z.items,
        stats.units,
        z.people,
        z.locations,
        z.stations,
        generated.as_secs_f64(),
        ingest.as_secs_f64(),
        pushed as f64 / ingest.as_secs_f64()
    ));
    Catalog {
        people: people.iter().map(|p| p.0).collect(),
        locations: locations.iter().map(|l| l.0).collect(),
        items: tracked_items.iter().map(|i| items[*i].id).collect(),
        count_items: count_items.iter().map(|i| items[*i].id).collect(),
        units: units.iter().map(|u| u.id).collect(),
        tags,
        barcodes: (0..z.items).map(|i| format!("40{i:011}")).collect(),
    }
}

/// The hub's process, stopped when the bench ends, even by a panic.
struct HubProcess(std::process::Child);

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Browser {
    base: String,
    http: reqwest::blocking::Client,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    fn send(&mut self, r: reqwest::blocking::RequestBuilder) -> (u16, String) {
        self.try_send(r).expect("a request")
    }

    /// The answer, or `None` if the request failed (timed out).
    fn try_send(&mut self, r: reqwest::blocking::RequestBuilder) -> Option<(u16, String)> {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let r = r.header("cookie", cookie).send().ok()?;
        let status = r.status().as_u16();
        for c in r.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap_or_default();
            let kv = c.split(';').next().unwrap_or_default();
            if let Some((k, v)) = kv.split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), v.to_string());
                }
            }
        }
        Some((status, r.text().ok()?))
    }

    fn get(&mut self, path: &str) -> (u16, String) {
        let r = self.http.get(format!("{}{path}", self.base));
        self.send(r)
    }
}

fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no hidden {name} in the sign-in form"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap_or(0)].to_string()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let z = if full {
        let units = env_usize("BENCH_WEB_UNITS", 100_000);
        Sizes {
            units,
            events: env_usize("BENCH_WEB_EVENTS", 1_000_000),
            items: env_usize("BENCH_WEB_ITEMS", 1_000),
            people: env_usize("BENCH_WEB_PEOPLE", 500),
            locations: 60,
            stations: 20,
            requests: env_usize("BENCH_WEB_REQUESTS", 200),
            page_secs: env_usize("BENCH_WEB_PAGE_SECS", 20) as u64,
        }
    } else {
        Sizes {
            units: 1_000,
            events: 10_000,
            items: 40,
            people: 20,
            locations: 5,
            stations: 3,
            requests: 5,
            page_secs: 5,
        }
    };

    let dir = tempfile::tempdir().expect("a temporary directory");
    let database = match std::env::var("TAGSTATION_TEST_PG_URL") {
        Ok(base) => common::fresh_pg_db(&base, "bench_web"),
        Err(_) => dir.path().join("hub.db").display().to_string(),
    };
    let backend = if database.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let mut lines = Vec::new();
    let catalog = {
        let store = tagstation::hub::open_store(&database).expect("open the hub database");
        load(store.as_ref(), &z, &mut lines)
    };
    for l in &lines {
        println!("web on a {backend} hub: {l}");
    }

    // The admin, made as a site makes its first one.
    let made = std::process::Command::new(common::hub_bin())
        .arg("--data")
        .arg(dir.path())
        .args([
            "hub",
            "--database",
            &database,
            "create-admin",
            "Bench Admin",
        ])
        .env("TAGSTATION_ADMIN_PASSWORD", PASSWORD)
        .env("TAGSTATION_LOG", "error")
        .output()
        .expect("run create-admin");
    assert!(
        made.status.success(),
        "create-admin: {}",
        String::from_utf8_lossy(&made.stderr)
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port();
    let _hub = HubProcess(
        std::process::Command::new(common::hub_bin())
            .arg("--data")
            .arg(dir.path())
            .args([
                "hub",
                "--database",
                &database,
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .env("TAGSTATION_ADMIN_TOKEN", common::ADMIN_TOKEN)
            .env("TAGSTATION_LOG", "error")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the hub"),
    );
    let mut b = Browser {
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(120))
            .build()
            .expect("an HTTP client"),
        cookies: BTreeMap::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while b.http.get(format!("{}/healthz", b.base)).send().is_err() {
        assert!(Instant::now() < deadline, "the hub did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    // Sign in through the form, as a browser does.
    let (status, form) = b.get("/sign-in?next=/");
    assert_eq!(status, 200, "the sign-in form");
    let csrf = hidden(&form, "csrf");
    let next = hidden(&form, "next");
    let post = b.http.post(format!("{}/sign-in", b.base)).form(&[
        ("login", "Bench Admin"),
        ("password", PASSWORD),
        ("next", next.as_str()),
        ("csrf", csrf.as_str()),
    ]);
    let (status, body) = b.send(post);
    assert_eq!(status, 303, "signed in: {body}");

    // The hub reads its whole log into every unit's timeline when it starts (for the
    // reports), in the background. A report waits for that read: its time is the
    // start-up cost, and the pages are measured after it, in the steady state.
    let started = Instant::now();
    let (status, _) = b.get("/reports");
    assert_eq!(status, 200, "the first report");
    println!(
        "web on a {backend} hub: the log read into the timelines (the first report) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Every GET page, each with what it is asked for picked at random per request.
    let mut rng = Rng(99);
    type Pick = Box<dyn FnMut(&mut Rng) -> String>;
    let it = catalog.items.clone();
    let it2 = catalog.items.clone();
    let it3 = catalog.items.clone();
    let cit = catalog.count_items.clone();
    let un = catalog.units.clone();
    let tags = catalog.tags.clone();
    let barcodes = catalog.barcodes.clone();
    let n_items = z.items;
    let pick = |v: &Vec<Uuid>, r: &mut Rng| v[r.below(v.len() as u64) as usize];
    let peo = catalog.people.clone();
    let locs = catalog.locations.clone();
    let it4 = catalog.items.clone();
    let since = date(SystemClock.now().0 - 800 * DAY_MS);
    let mut pages: Vec<(&str, u16, Pick)> = vec![
        (
            "baseline: /static/style.css",
            200,
            Box::new(|_| "/static/style.css".into()),
        ),
        ("baseline: /healthz", 200, Box::new(|_| "/healthz".into())),
        ("sign-in form", 200, Box::new(|_| "/sign-in".into())),
        ("overview /", 200, Box::new(|_| "/".into())),
        ("items list", 200, Box::new(|_| "/items".into())),
        (
            "items list, a later page",
            200,
            Box::new(move |r| format!("/items?page={}", r.below((n_items / 50).max(1) as u64))),
        ),
        (
            "items search (name prefix)",
            200,
            Box::new(move |r| format!("/items?q=item+0{}", r.below(10))),
        ),
        (
            "items search (SKU)",
            200,
            Box::new(move |r| format!("/items?q=sku-{:05}", r.below(n_items as u64))),
        ),
        (
            "items search, no match",
            200,
            Box::new(|_| "/items?q=zzz".into()),
        ),
        (
            "item detail",
            200,
            Box::new(move |r| format!("/items/{}", pick(&it, r))),
        ),
        (
            "item detail, units page 2",
            200,
            Box::new(move |r| format!("/items/{}?page=1", pick(&it2, r))),
        ),
        (
            "item detail, count item",
            200,
            Box::new(move |r| {
                if cit.is_empty() {
                    "/items".into()
                } else {
                    format!("/items/{}", pick(&cit, r))
                }
            }),
        ),
        (
            "tracking preview",
            200,
            Box::new(move |r| format!("/items/{}/tracking", pick(&it3, r))),
        ),
        (
            "unit detail",
            200,
            Box::new(move |r| format!("/units/{}", pick(&un, r))),
        ),
        ("people", 200, Box::new(|_| "/people".into())),
        ("stations", 200, Box::new(|_| "/stations".into())),
        ("conflicts", 200, Box::new(|_| "/conflicts".into())),
        (
            "scan: a unit's tag",
            303,
            Box::new(move |r| format!("/scan?code={}", tags[r.below(tags.len() as u64) as usize])),
        ),
        (
            "scan: an item's barcode",
            303,
            Box::new(move |r| {
                format!(
                    "/scan?code={}",
                    barcodes[r.below(barcodes.len() as u64) as usize]
                )
            }),
        ),
        (
            "scan: unknown text",
            303,
            Box::new(|_| "/scan?code=nothing-here".into()),
        ),
        // Pages the web app may not have yet: skipped when the hub answers 404.
        ("locations", 200, Box::new(|_| "/locations".into())),
        (
            "location detail",
            200,
            Box::new(move |r| format!("/locations/{}", pick(&locs, r))),
        ),
        (
            "person detail",
            200,
            Box::new(move |r| format!("/people/{}", pick(&peo, r))),
        ),
        ("new item form", 200, Box::new(|_| "/items/new".into())),
        (
            "edit item form",
            200,
            Box::new(move |r| format!("/items/{}/edit", pick(&it4, r))),
        ),
        ("new person form", 200, Box::new(|_| "/people/new".into())),
        ("import form", 200, Box::new(|_| "/import".into())),
        ("API tokens", 200, Box::new(|_| "/tokens".into())),
    ];
    // Reads of everything, with the 2 s target: reports over all history, exports,
    // the API's whole lists and the metrics (these with the admin token).
    let reports: Vec<(&str, u16, Pick)> = vec![
        (
            "export items.csv",
            200,
            Box::new(|_| "/export/items.csv".into()),
        ),
        (
            "export units.csv",
            200,
            Box::new(|_| "/export/units.csv".into()),
        ),
        ("API: /metrics", 200, Box::new(|_| "/metrics".into())),
        (
            "API: all items",
            200,
            Box::new(|_| "/v1/admin/items".into()),
        ),
        (
            "API: all holdings",
            200,
            Box::new(|_| "/v1/admin/holdings".into()),
        ),
        (
            "API: open conflicts",
            200,
            Box::new(|_| "/v1/admin/conflicts".into()),
        ),
        (
            "API: all units",
            200,
            Box::new(|_| "/v1/admin/units".into()),
        ),
        // Last: on SQLite a report holds the hub's one connection while it runs, and
        // one the bench gave up on still runs to its end.
        (
            "reports (default window)",
            200,
            Box::new(|_| "/reports".into()),
        ),
        (
            "reports over all history",
            200,
            Box::new(move |_| format!("/reports?since={since}")),
        ),
    ];
    let n_pages = pages.len();
    let optional_from = pages
        .iter()
        .position(|p| p.0 == "locations")
        .unwrap_or(n_pages);
    pages.extend(reports);
    let mut rows = Vec::new();
    let mut baseline = None;
    let mut skipped = Vec::new();
    // A read of everything gets `BENCH_WEB_REPORT_TIMEOUT` seconds (30) per request;
    // one that takes longer is recorded as that long, and its page measured no more.
    let report_timeout = Duration::from_secs(env_usize("BENCH_WEB_REPORT_TIMEOUT", 30) as u64);
    let api = |b: &mut Browser, p: &str, report: bool| {
        let mut r = b.http.get(format!("{}{p}", b.base));
        if p.starts_with("/v1/") {
            r = r.bearer_auth(common::ADMIN_TOKEN);
        }
        if report {
            b.try_send(r.timeout(report_timeout))
        } else {
            Some(b.send(r))
        }
    };
    let mut timed_out = Vec::new();
    for (k, (name, want, mut path)) in pages.into_iter().enumerate() {
        let report = k >= n_pages;
        // Requests to warm up (statements prepared, pages in the cache): two, or one
        // for a read of everything.
        let mut absent = false;
        for _ in 0..if report { 0 } else { 2 } {
            let p = path(&mut rng);
            let (s, body) = api(&mut b, &p, false).expect("an answer");
            if s == 404 && k >= optional_from {
                absent = true;
                break;
            }
            assert_eq!(s, want, "{name} {p}: {}", &body[..body.len().min(500)]);
        }
        if absent {
            skipped.push(name);
            continue;
        }
        let mut took = Vec::new();
        let began = Instant::now();
        let (least, most) = if report {
            (3, z.requests.min(20))
        } else {
            (10, z.requests)
        };
        while took.len() < most
            && (took.len() < least || began.elapsed() < Duration::from_secs(z.page_secs))
        {
            let p = path(&mut rng);
            let t = Instant::now();
            let Some((s, body)) = api(&mut b, &p, report) else {
                took.push(report_timeout);
                timed_out.push(name);
                break;
            };
            took.push(t.elapsed());
            if s == 404 && took.len() == 1 && report {
                absent = true;
                break;
            }
            assert_eq!(s, want, "{name} {p}: {}", &body[..body.len().min(500)]);
        }
        if absent {
            skipped.push(name);
            continue;
        }
        took.sort();
        let p50 = percentile(&took, 0.5);
        if baseline.is_none() {
            baseline = Some(p50);
        }
        rows.push((
            name,
            if report { 2000.0 } else { 150.0 },
            took.len(),
            p50,
            percentile(&took, 0.95),
            took[took.len() - 1],
        ));
        // As it goes: a slow page shows before the table.
        eprintln!(
            "  {name}: {} requests, p50 {:.2} ms, p95 {:.2} ms",
            took.len(),
            ms(p50),
            ms(percentile(&took, 0.95))
        );
    }
    let base = baseline
        .unwrap_or(Duration::from_micros(1))
        .max(Duration::from_micros(1));
    println!(
        "web on a {backend} hub, {} units, {} events ({} requests a page at most):",
        catalog.units.len(),
        z.events,
        z.requests
    );
    println!("| page | requests | p50 ms | p95 ms | max ms | p50 / baseline | p95 under target |");
    println!("|---|---|---|---|---|---|---|");
    let mut slow = Vec::new();
    for (name, target, n, p50, p95, max) in &rows {
        let ok = ms(*p95) < *target;
        if !ok {
            slow.push(*name);
        }
        println!(
            "| {name} | {n} | {:.2} | {:.2} | {:.1} | {:.0} | {} ({target:.0} ms) |",
            ms(*p50),
            ms(*p95),
            ms(*max),
            p50.as_secs_f64() / base.as_secs_f64(),
            if ok { "yes" } else { "**no**" }
        );
    }
    if !timed_out.is_empty() {
        println!(
            "timed out after {} s (recorded as that long): {}",
            report_timeout.as_secs(),
            timed_out.join(", ")
        );
    }
    if !skipped.is_empty() {
        println!(
            "not in this build of the web app (404): {}",
            skipped.join(", ")
        );
    }
    if slow.is_empty() {
        println!("every page's p95 under its target (150 ms; 2 s for reads of everything)");
    } else {
        println!("p95 over target: {}", slow.join(", "));
    }
}
