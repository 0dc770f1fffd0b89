//! Sync throughput, beside the storage limit measured in the same run.
//!
//! `cargo bench --bench sync` reports, for the SQLite hub and (when
//! `TAGSTATION_TEST_PG_URL` is set) the PostgreSQL hub:
//! - catch-up: one station pushing 100,000 queued events to a hub on loopback, and the
//!   whole round (push, then pull its own events back);
//! - ingest: 50 stations pushing at once, 2,000 events each;
//! - baseline: raw batched INSERTs of the very same events (and their unit links) into
//!   the hub's own tables in the same kind of database (500 rows per transaction and
//!   per multi-row statement), i.e. what the storage alone can take; and the same
//!   rows written the way the hub writes them (`Conn::write_rows`);
//! - bytes per event each way: pushes, a station's own events coming back, and another
//!   station pulling them, now and as plain JSON with own events sent back whole.
//! Sizes: `BENCH_EVENTS` (default 100000), `BENCH_STATIONS` (50), `BENCH_PER_STATION` (2000).
//! `BENCH_ONLY=ingest` runs only the baselines and the ingest alone.
//! Without `--bench` (as `cargo test --all-targets` runs it) it does a tiny smoke run.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::bench::env_usize;
use common::{TempStation, TestHub};
use tagstation::catalog::{Status, Tracking};
use tagstation::event::{Event, EventKind};
use tagstation::store::sql::Outcome;
use tagstation::store::{Command, Store};
use uuid::Uuid;

/// Fill a station with `n` events: one item, 500 units, then status changes.
fn queue_events(store: &mut Store, n: usize, tag: &str) {
    let item = Uuid::now_v7();
    let units: Vec<Uuid> = (0..500).map(|_| Uuid::now_v7()).collect();
    let mk = |item_id, unit_id, kind| Command {
        item_id,
        unit_id,
        kind,
        actor: "bench".into(),
        scan: None,
    };
    let mut cmds = vec![mk(
        item,
        None,
        EventKind::ItemCreated {
            name: format!("Item {tag}"),
            sku: None,
            barcode: None,
            tracking: Tracking::Units,
            reorder_point: None,
        },
    )];
    for (i, u) in units.iter().enumerate() {
        cmds.push(mk(
            item,
            Some(*u),
            EventKind::UnitCreated {
                name: format!("U{i}"),
                asset_tag: Some(format!("{tag}-{i}")),
                status: Status::InStock,
                location: None,
                fields: Default::default(),
                location_id: None,
            },
        ));
    }
    let cycle = [
        Status::Sending,
        Status::Receiving,
        Status::Damaged,
        Status::InStock,
    ];
    let mut k = 0;
    while cmds.len() < n {
        let u = units[k % units.len()];
        let to = cycle[(k / units.len()) % cycle.len()];
        cmds.push(mk(
            item,
            Some(u),
            EventKind::StatusChanged { to, reason: None },
        ));
        k += 1;
    }
    cmds.truncate(n);
    for chunk in cmds.chunks(2000) {
        store
            .record_batch(chunk.to_vec())
            .map_err(|(_, e)| e)
            .expect("queue events");
    }
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// One station's `n` events as it would push them (its item, 500 units, then
/// status changes): the rows both the hub's ingest and the baseline write.
fn station_events(n: usize) -> (Uuid, Vec<Event>) {
    let st = TempStation::new();
    let mut s = st.open();
    queue_events(&mut s, n, "A");
    (s.station_id(), s.pending(n).unwrap())
}

/// Baseline: `rows` inserted raw into the hub's own `events` table (and each event's
/// row of its unit's history, `event_units`) of the same kind of database:
/// transactions of 500 rows, each table's rows in one multi-row `INSERT ... VALUES`
/// statement (prepared once), without the rules, the projection or HTTP.
fn baseline_raw<D: tagstation::hub::db::Database>(db: &D, rows: &[Event]) -> Duration {
    use tagstation::hub::db::{placeholders, Value};
    use tagstation::hub::tables::event_values;
    let t = Instant::now();
    for (b, chunk) in rows.chunks(500).enumerate() {
        let o = Outcome {
            applied: true,
            conflict: false,
            note: None,
        };
        let params: Vec<Value> = chunk
            .iter()
            .enumerate()
            .flat_map(|(i, ev)| event_values(ev, (b * 500 + i) as i64 + 1, &o).unwrap())
            .collect();
        let links: Vec<Value> = chunk
            .iter()
            .filter_map(|ev| ev.unit_id.map(|u| [Value::from(u), Value::from(ev.id)]))
            .flatten()
            .collect();
        db.write(|c| {
            c.execute(
                &format!(
                    "INSERT INTO events (id, station_id, station_seq, hub_seq, actor,
                       wall_time_ms, clock_synced, item_id, unit_id, base_version, kind,
                       payload, scan, applied, conflict, note) VALUES {}",
                    placeholders(chunk.len(), 16)
                ),
                &params,
            )?;
            if !links.is_empty() {
                c.execute(
                    &format!(
                        "INSERT INTO event_units (unit_id, event_id) VALUES {}
                         ON CONFLICT DO NOTHING",
                        placeholders(links.len() / 2, 2)
                    ),
                    &links,
                )?;
            }
            Ok(())
        })
        .unwrap();
    }
    t.elapsed()
}

/// The same rows written the hub's own way (`Tables::insert_events` and
/// `link_units`, through `Conn::write_rows`: one `UNNEST` statement per table on
/// PostgreSQL, multi-row `VALUES` in chunks on SQLite), for comparison.
fn baseline_hub_way<D: tagstation::hub::db::Database>(db: &D, rows: &[Event]) -> Duration {
    let o = Outcome {
        applied: true,
        conflict: false,
        note: None,
    };
    let t = Instant::now();
    for (b, chunk) in rows.chunks(500).enumerate() {
        db.write(|c| {
            let mut p = tagstation::hub::tables::Tables::new(c);
            let evs: Vec<_> = chunk
                .iter()
                .enumerate()
                .map(|(i, ev)| (ev, (b * 500 + i) as i64 + 1, &o))
                .collect();
            p.insert_events(&evs)?;
            let links: Vec<_> = chunk
                .iter()
                .filter_map(|ev| ev.unit_id.map(|u| (u, ev.id)))
                .collect();
            p.link_units(&links)
        })
        .unwrap();
    }
    t.elapsed()
}

/// The baselines on SQLite, each in a database of its own: (raw, the hub's way).
fn baseline_sqlite(rows: &[Event]) -> (Duration, Duration) {
    let raw = tempfile::tempdir().unwrap();
    let hub = tagstation::hub::sqlite::SqliteHub::open(raw.path()).unwrap();
    let raw = baseline_raw(hub.db(), rows);
    let ours = tempfile::tempdir().unwrap();
    let hub = tagstation::hub::sqlite::SqliteHub::open(ours.path()).unwrap();
    (raw, baseline_hub_way(hub.db(), rows))
}

/// The baselines on PostgreSQL, each in a fresh database: (raw, the hub's way).
fn baseline_pg(base: &str, rows: &[Event]) -> (Duration, Duration) {
    // Connecting creates the schema.
    let hub =
        tagstation::hub::postgres::PgHub::connect(&common::fresh_pg_db(base, "bench_raw")).unwrap();
    let raw = baseline_raw(hub.db(), rows);
    let hub = tagstation::hub::postgres::PgHub::connect(&common::fresh_pg_db(base, "bench_hubway"))
        .unwrap();
    (raw, baseline_hub_way(hub.db(), rows))
}

/// The hub's ingest alone: one station's events ([`station_events`]), already
/// encoded, handed to the hub's store in pushes of 500, with no HTTP and no station
/// store: what the hub itself takes per second.
fn ingest_alone(db: &str, station: Uuid, events: &[Event]) -> Duration {
    let hub = TestHub::start(db);
    let events: Vec<serde_json::Value> = events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    let store = hub.state.store.clone();
    let t = Instant::now();
    for chunk in events.chunks(500) {
        let r = store.push(station, chunk).unwrap();
        assert_eq!(
            r.contiguous_seq,
            chunk.last().unwrap()["station_seq"].as_i64().unwrap()
        );
    }
    t.elapsed()
}

fn catch_up(db: &str, n: usize) -> (Duration, Duration) {
    let hub = TestHub::start(db);
    let st = TempStation::new();
    let mut s = st.open();
    hub.enroll(&mut s, "catch-up");
    queue_events(&mut s, n, "C");
    let t = Instant::now();
    // Push phase, measured on its own: the pending queue drained.
    while tagstation::sync::push_pending(&mut s, 1000).is_err() {}
    let push = t.elapsed();
    tagstation::sync::sync_once(&mut s, 1000).unwrap(); // pull everything back
    let round = t.elapsed();
    assert_eq!(s.info().unwrap().pending, 0);
    (push, round)
}

/// Bytes on the wire per event, each way, for one station's `n` events: as sync
/// sends them now (pushes gzipped; the station's own events acknowledged by runs of
/// sequence numbers; another station pulls them gzipped), against the same requests
/// without compression and with every event sent back in full, as before.
struct Bytes {
    up_plain: usize,
    up: usize,
    own_down_plain: usize,
    own_down: usize,
    peer_down: usize,
}

fn bytes_per_event(db: &str, n: usize) -> Bytes {
    let hub = TestHub::start(db);
    let st = TempStation::new();
    let mut s = st.open();
    hub.enroll(&mut s, "bytes");
    queue_events(&mut s, n, "B");
    // Before: the same pushes as plain JSON.
    let pending = s.pending(n).unwrap();
    let up_plain: usize = pending
        .chunks(1000)
        .map(|c| {
            let events = c.iter().map(|e| serde_json::to_value(e).unwrap()).collect();
            serde_json::to_vec(&tagstation::proto::PushRequest { events })
                .unwrap()
                .len()
        })
        .sum();
    let mut up = 0;
    while s.info().unwrap().pending > 0 {
        if let Ok(r) = tagstation::sync::push_pending(&mut s, 1000) {
            up += r.bytes_up;
        }
    }
    // Before: every page of the log, own events in full, not compressed.
    let (_, token) = s.hub().unwrap().unwrap();
    let client = reqwest::blocking::Client::new();
    let mut own_down_plain = 0;
    let mut after = 0;
    loop {
        let body = client
            .get(format!("{}/v1/sync/pull", hub.url))
            .query(&[("after", after.to_string()), ("limit", "1000".into())])
            .bearer_auth(&token)
            .send()
            .unwrap()
            .bytes()
            .unwrap();
        own_down_plain += body.len();
        let page: tagstation::proto::PullResponse = serde_json::from_slice(&body).unwrap();
        after = page.cursor;
        if !page.more {
            break;
        }
    }
    let own_down = tagstation::sync::pull_with_report(&mut s)
        .unwrap()
        .bytes_down;
    // Another station pulls the same events: in full (they are not its own), gzipped.
    let other = TempStation::new();
    let mut o = other.open();
    hub.enroll(&mut o, "peer");
    let peer = tagstation::sync::pull_with_report(&mut o).unwrap();
    assert_eq!(peer.pulled, n);
    Bytes {
        up_plain,
        up,
        own_down_plain,
        own_down,
        peer_down: peer.bytes_down,
    }
}

fn ingest(db: &str, stations: usize, per: usize) -> Duration {
    let hub = TestHub::start(db);
    let dirs: Vec<TempStation> = (0..stations).map(|_| TempStation::new()).collect();
    let mut stores: Vec<Store> = dirs.iter().map(|d| d.open()).collect();
    for (i, s) in stores.iter_mut().enumerate() {
        hub.enroll(s, &format!("S{i}"));
        queue_events(s, per, &format!("S{i}"));
    }
    let start = std::sync::Arc::new(std::sync::Barrier::new(stations + 1));
    let handles: Vec<_> = stores
        .into_iter()
        .map(|mut s| {
            let b = start.clone();
            std::thread::spawn(move || {
                b.wait();
                // Push only: the hub's ingest is what is measured. A push that times out
                // under load is retried, as the station's worker would (the hub answers
                // `duplicate` for what it already committed).
                while tagstation::sync::push_pending(&mut s, 500).is_err() {}
            })
        })
        .collect();
    start.wait();
    let t = Instant::now();
    for h in handles {
        h.join().unwrap();
    }
    let d = t.elapsed();
    assert_eq!(
        hub.state.store.stats().unwrap().events as usize,
        stations * per
    );
    d
}

fn report(
    backend: &str,
    db_for: &dyn Fn(&str) -> String,
    base: &dyn Fn(&[Event]) -> (Duration, Duration),
    n: usize,
    stations: usize,
    per: usize,
    only_ingest: bool,
) {
    println!("{backend}:");
    let (station, events) = station_events(n);
    let (b, hub_way) = base(&events);
    println!(
        "  baseline raw INSERT, {n} rows in batches of 500 .... {:>9.0} rows/s",
        rate(n, b)
    );
    println!(
        "  the same rows the hub's way (write_rows) ........ {:>9.0} rows/s  ({:.2} of baseline)",
        rate(n, hub_way),
        rate(n, hub_way) / rate(n, b)
    );
    let alone = ingest_alone(&db_for("alone"), station, &events);
    println!(
        "  hub ingest alone, pushes of 500 (no HTTP) ....... {:>9.0} events/s  ({:.2} of baseline)",
        rate(n, alone),
        rate(n, alone) / rate(n, b)
    );
    if only_ingest {
        return;
    }
    let (push, round) = catch_up(&db_for("catchup"), n);
    println!(
        "  catch-up push, 1 station, {n} events ........... {:>9.0} events/s  ({:.2} of baseline)",
        rate(n, push),
        rate(n, push) / rate(n, b)
    );
    println!(
        "  catch-up round (push + pull back) ............... {:>9.0} events/s",
        rate(n, round)
    );
    let by = bytes_per_event(&db_for("bytes"), n);
    let per_ev = |b: usize| b as f64 / n as f64;
    println!(
        "  bytes per event, push ......... before {:>6.1}  now {:>6.1}  ({:.2} of before)",
        per_ev(by.up_plain),
        per_ev(by.up),
        by.up as f64 / by.up_plain as f64
    );
    println!(
        "  bytes per event, own pull ..... before {:>6.1}  now {:>6.1}  ({:.3} of before)",
        per_ev(by.own_down_plain),
        per_ev(by.own_down),
        by.own_down as f64 / by.own_down_plain as f64
    );
    println!(
        "  bytes per event, peer pull .... before {:>6.1}  now {:>6.1}  ({:.2} of before)",
        per_ev(by.own_down_plain),
        per_ev(by.peer_down),
        by.peer_down as f64 / by.own_down_plain as f64
    );
    let (b2, _) = base(&station_events(stations * per).1);
    let ing = ingest(&db_for("ingest"), stations, per);
    println!(
        "  ingest, {stations} stations x {per} events concurrently .... {:>9.0} events/s  ({:.2} of baseline {:.0} rows/s)",
        rate(stations * per, ing),
        rate(stations * per, ing) / rate(stations * per, b2),
        rate(stations * per, b2)
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (n, stations, per) = if full {
        (
            env_usize("BENCH_EVENTS", 100_000),
            env_usize("BENCH_STATIONS", 50),
            env_usize("BENCH_PER_STATION", 2_000),
        )
    } else {
        (1_200, 4, 600) // smoke run under `cargo test --all-targets`
    };
    let tmp = tempfile::tempdir().unwrap();
    let sqlite_db = |name: &str| tmp.path().join(name).display().to_string();
    if let Ok(only @ ("alone" | "alone-pg")) = std::env::var("BENCH_ONLY").as_deref() {
        // For a profiler: the hub's ingest alone, on SQLite (or PostgreSQL).
        let (station, events) = station_events(n);
        let db = match only {
            "alone" => sqlite_db("alone"),
            _ => common::fresh_pg_db(&common::pg_url().expect("TAGSTATION_TEST_PG_URL"), "alone"),
        };
        let d = ingest_alone(&db, station, &events);
        println!("hub ingest alone: {:.0} events/s", rate(n, d));
        return;
    }
    // `BENCH_ONLY=ingest`: the baselines and the ingest alone, on both backends.
    let only_ingest = std::env::var("BENCH_ONLY").as_deref() == Ok("ingest");
    report(
        "sqlite hub",
        &sqlite_db,
        &baseline_sqlite,
        n,
        stations,
        per,
        only_ingest,
    );
    if let Ok(base) = std::env::var("TAGSTATION_TEST_PG_URL") {
        let pg_db = |name: &str| common::fresh_pg_db(&base, &format!("bench_{name}"));
        let baseline = |rows: &[Event]| baseline_pg(&base, rows);
        report(
            "postgres hub",
            &pg_db,
            &baseline,
            n,
            stations,
            per,
            only_ingest,
        );
    } else {
        println!("postgres hub: skipped (TAGSTATION_TEST_PG_URL not set)");
    }
}
