//! A fleet against one hub: many stations scanning at a shop's pace, with bursts,
//! while a tenth of them come back from a day offline with thousands of queued
//! events; optionally through a proxy that drops connections, cuts requests and loses
//! replies. Reports the hub's CPU time, push latency (p50, p99) of the stations that
//! scan live, how long the returning ones take to catch up, and checks that every
//! event arrived exactly once.
//!
//! `cargo bench --bench fleet` runs a hub process (the release `tagstation hub`) on
//! PostgreSQL when `TAGSTATION_TEST_PG_URL` is set, else on SQLite. Sizes:
//! `BENCH_FLEET_STATIONS` (1000), `BENCH_FLEET_SECS` (60, the live phase),
//! `BENCH_FLEET_BACKLOG` (5000 events per returning station), `BENCH_FLEET_FAULTS`
//! (`1`: through the faulty proxy). Without `--bench` (as `cargo test --all-targets`
//! runs it) a tiny smoke run.
//!
//! The simulated stations speak the sync protocol without a store of their own: each
//! holds its events in memory and pushes from where the hub says it holds them
//! (`contiguous_seq`), as the station's worker does.

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::bench::env_usize;
use common::faultproxy::{FaultProxy, Faults, Rng};
use common::ADMIN_TOKEN;
use tagstation::catalog::{Status, Tracking};
use tagstation::event::{Event, EventKind};
use tagstation::proto::{PushResponse, PushStatus};
use uuid::Uuid;

/// One simulated station: its events (each already written as JSON), and how many the
/// hub holds.
struct Station {
    token: String,
    events: Vec<String>,
    /// Events the station has recorded so far (the live ones record as they scan).
    recorded: usize,
    /// Events the hub holds (its `contiguous_seq`).
    held: usize,
}

/// A station's events: its item, ten units, then status changes cycling over them.
fn events(station: Uuid, n: usize) -> Vec<String> {
    let item = Uuid::now_v7();
    let units: Vec<Uuid> = (0..10).map(|_| Uuid::now_v7()).collect();
    let mut seq = 0;
    let mut ev = |item_id, unit_id, kind| {
        seq += 1;
        serde_json::to_string(&Event {
            id: Uuid::now_v7(),
            station_id: station,
            station_seq: seq,
            actor: "fleet".into(),
            wall_time_ms: 0,
            clock_synced: true,
            item_id,
            unit_id,
            base_version: None,
            scan: None,
            kind,
        })
        .unwrap()
    };
    let mut out = vec![ev(
        item,
        None,
        EventKind::ItemCreated {
            name: format!("Kit {station}"),
            sku: None,
            barcode: None,
            tracking: Tracking::Units,
            reorder_point: None,
        },
    )];
    for (i, u) in units.iter().enumerate() {
        out.push(ev(
            item,
            Some(*u),
            EventKind::UnitCreated {
                name: format!("Unit {i}"),
                asset_tag: Some(format!("F-{}-{i}", station.simple())),
                status: Status::InStock,
                location: None,
                fields: Default::default(),
                location_id: None,
            },
        ));
    }
    let cycle = [Status::Sending, Status::Damaged, Status::InStock];
    let mut k = 0;
    while out.len() < n {
        let to = cycle[(k / units.len()) % cycle.len()];
        out.push(ev(
            item,
            Some(units[k % units.len()]),
            EventKind::StatusChanged { to, reason: None },
        ));
        k += 1;
    }
    out
}

/// Push what the station has recorded and the hub does not hold yet, in batches of
/// up to 500, until the hub holds it all. Returns the latency of each push that got
/// an answer; a push lost on the way (a fault) is tried again, as a station does.
fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(64)
        .build()
        .expect("an HTTP client")
}

fn push_all(shared: &reqwest::blocking::Client, url: &str, s: &mut Station) -> Vec<Duration> {
    let mut took = Vec::new();
    let mut tries = 0;
    // After a failed request the push goes on with a client of its own: a pool whose
    // connections the faulty proxy broke can wedge a blocking client for good (every
    // later request times out without a connection), which is not what is measured.
    let mut own: Option<reqwest::blocking::Client> = None;
    let mut last = String::new();
    while s.held < s.recorded {
        tries += 1;
        assert!(tries < 2_000, "a station makes no progress: {last}");
        let c = own.as_ref().unwrap_or(shared);
        let batch = &s.events[s.held..s.recorded.min(s.held + 500)];
        let body = format!("{{\"events\":[{}]}}", batch.join(","));
        let t = Instant::now();
        let resp = c
            .post(format!("{url}/v1/sync/push"))
            .bearer_auth(&s.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send();
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                last = format!("{e:?}");
                own = Some(client());
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        };
        if !resp.status().is_success() {
            last = format!("{}", resp.status());
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        let Ok(r) = resp.json::<PushResponse>() else {
            own = Some(client());
            continue;
        };
        took.push(t.elapsed());
        for res in &r.results {
            assert!(
                !matches!(res.status, PushStatus::Rejected | PushStatus::Unsupported),
                "{res:?}"
            );
        }
        s.held = usize::try_from(r.contiguous_seq).unwrap_or(0);
    }
    took
}

/// The hub's process, stopped when the bench ends, even by a panic: a hub left running
/// holds the test runner's output pipe open and the run never ends.
struct HubProcess(std::process::Child);

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// CPU seconds a process has used (user + system), from /proc.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of stat: 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The hub's event count, from `/metrics`.
fn hub_events(c: &reqwest::blocking::Client, url: &str) -> usize {
    let text = c
        .get(format!("{url}/metrics"))
        .send()
        .and_then(|r| r.text())
        .unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("tagstation_events "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (n_stations, secs, backlog) = if full {
        (
            env_usize("BENCH_FLEET_STATIONS", 1000),
            env_usize("BENCH_FLEET_SECS", 60),
            env_usize("BENCH_FLEET_BACKLOG", 5000),
        )
    } else {
        (20, 2, 300) // smoke run under `cargo test --all-targets`, through the faults
    };
    let faults = !full || std::env::var("BENCH_FLEET_FAULTS").as_deref() == Ok("1");
    let returning = (n_stations / 10).max(1);

    // The hub, a process of its own (its CPU time is read from /proc).
    let dir = tempfile::tempdir().unwrap();
    let database = match std::env::var("TAGSTATION_TEST_PG_URL") {
        Ok(base) => common::fresh_pg_db(&base, "bench_fleet"),
        Err(_) => dir.path().join("hub").display().to_string(),
    };
    let backend = if database.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hub = HubProcess(
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
            .env("TAGSTATION_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("TAGSTATION_LOG", "error")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the hub"),
    );
    let hub_url = format!("http://127.0.0.1:{port}");
    let c = client();
    let deadline = Instant::now() + Duration::from_secs(60);
    while c.get(format!("{hub_url}/healthz")).send().is_err() {
        assert!(Instant::now() < deadline, "the hub did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let proxy = faults.then(|| {
        FaultProxy::start(
            &format!("127.0.0.1:{port}"),
            // The smoke run is short: faults are made common enough that each kind
            // happens in it (and it checks that they did).
            if full {
                Faults {
                    drop_connect: 0.02,
                    delay: 0.05,
                    max_delay_ms: 200,
                    cut_request: 0.02,
                    lose_response: 0.02,
                    stall: false,
                }
            } else {
                Faults {
                    drop_connect: 0.1,
                    delay: 0.1,
                    max_delay_ms: 200,
                    cut_request: 0.1,
                    lose_response: 0.1,
                    stall: false,
                }
            },
            7,
        )
    });
    let url = proxy.as_ref().map_or(hub_url.clone(), |p| p.url.clone());

    // Enroll the fleet (straight to the hub: enrollment is not what is measured).
    let t = Instant::now();
    let next = AtomicUsize::new(0);
    let stations: Vec<Mutex<Station>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Relaxed);
                        if i >= n_stations {
                            return mine;
                        }
                        let r: serde_json::Value = c
                            .post(format!("{hub_url}/v1/admin/stations"))
                            .bearer_auth(ADMIN_TOKEN)
                            .json(&serde_json::json!({ "name": format!("Van {i}") }))
                            .send()
                            .and_then(|r| r.json())
                            .expect("create a station");
                        let id = Uuid::now_v7();
                        let r: serde_json::Value = c
                            .post(format!("{hub_url}/v1/enroll"))
                            .json(&serde_json::json!({
                                "code": r["enrollment_code"], "station_id": id
                            }))
                            .send()
                            .and_then(|r| r.json())
                            .expect("enroll");
                        let n = if i < returning {
                            backlog
                        } else {
                            11 + secs * 2
                        };
                        let events = events(id, n);
                        // A returning station has its day's work queued; a live one
                        // starts with its catalog.
                        let recorded = if i < returning { n } else { 11 };
                        mine.push((
                            i,
                            Station {
                                token: r["token"].as_str().unwrap_or_default().to_string(),
                                events,
                                recorded,
                                held: 0,
                            },
                        ));
                    }
                })
            })
            .collect();
        let mut all: Vec<(usize, Station)> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, s)| Mutex::new(s)).collect()
    });
    println!(
        "fleet on a {backend} hub: {n_stations} stations ({returning} back from a day offline with {backlog} events each), {secs} s live{}; enrolled in {:.1} s",
        if faults { ", through a faulty proxy" } else { "" },
        t.elapsed().as_secs_f64()
    );

    // The live phase. Each live station scans once every 10 s on average (its first
    // push carries its catalog), and once in the run scans every second for a while
    // (a burst of 60 a minute); each scan is pushed at once, as the station's worker
    // does when nudged. The returning stations push their backlogs meanwhile.
    let cpu0 = cpu_secs(hub.0.id());
    let start = Instant::now();
    let live_lat = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let catch_up = Arc::new(Mutex::new(Vec::<Duration>::new()));
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    struct Due(std::cmp::Reverse<u64>, usize);
    let mut rng = Rng(42);
    let mut heap = BinaryHeap::new();
    let mut bursts = vec![0u64; n_stations];
    for (i, burst) in bursts.iter_mut().enumerate().skip(returning) {
        heap.push(Due(std::cmp::Reverse(rng.below(10_000)), i));
        *burst = rng.below(secs as u64 * 1000);
    }
    let heap = Mutex::new(heap);
    let scans = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for i in 0..returning {
            let (c, url, stations, catch_up) = (&c, &url, &stations, catch_up.clone());
            s.spawn(move || {
                let t = Instant::now();
                let mut st = stations[i].lock().unwrap();
                push_all(c, url, &mut st);
                catch_up.lock().unwrap().push(t.elapsed());
            });
        }
        for w in 0..32 {
            let (c, url, stations, heap, bursts, lat, scans) = (
                &c,
                &url,
                &stations,
                &heap,
                &bursts,
                live_lat.clone(),
                &scans,
            );
            s.spawn(move || {
                let mut rng = Rng(1000 + w as u64);
                loop {
                    let next = heap.lock().unwrap().pop();
                    let Some(Due(std::cmp::Reverse(at), i)) = next else {
                        return;
                    };
                    if at > secs as u64 * 1000 {
                        return;
                    }
                    let now = start.elapsed().as_millis() as u64;
                    if at > now {
                        std::thread::sleep(Duration::from_millis(at - now));
                    }
                    let mut st = stations[i].lock().unwrap();
                    st.recorded = (st.recorded + 1).min(st.events.len());
                    scans.fetch_add(1, Relaxed);
                    let took = push_all(c, url, &mut st);
                    drop(st);
                    lat.lock().unwrap().extend(took);
                    let in_burst = at >= bursts[i] && at < bursts[i] + 60_000;
                    let gap = if in_burst {
                        1000
                    } else {
                        // Exponential with a 10 s mean.
                        let u = (rng.below(1_000_000) as f64 + 1.0) / 1_000_001.0;
                        (-u.ln() * 10_000.0) as u64
                    };
                    heap.lock()
                        .unwrap()
                        .push(Due(std::cmp::Reverse(at + gap.max(1)), i));
                }
            });
        }
    });
    let live_secs = start.elapsed().as_secs_f64();
    let cpu = cpu_secs(hub.0.id()) - cpu0;

    // Everything recorded arrived, once.
    let expected: usize = stations.iter().map(|s| s.lock().unwrap().recorded).sum();
    for s in &stations {
        let mut st = s.lock().unwrap();
        push_all(&c, &url, &mut st);
    }
    let held = hub_events(&c, &hub_url);
    assert_eq!(
        held, expected,
        "every recorded event at the hub, exactly once"
    );

    let mut lat = live_lat.lock().unwrap().clone();
    lat.sort();
    let mut cu = catch_up.lock().unwrap().clone();
    cu.sort();
    println!(
        "  {expected} events ({} live scans) in {live_secs:.1} s: {:.0} events/s",
        scans.load(Relaxed),
        expected as f64 / live_secs
    );
    println!(
        "  hub CPU {cpu:.1} s of {live_secs:.1} s wall ({:.0}% of one core; 2 cores here, shared with the simulated fleet)",
        cpu / live_secs * 100.0
    );
    println!(
        "  live push latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} pushes)",
        percentile(&lat, 0.5).as_secs_f64() * 1000.0,
        percentile(&lat, 0.99).as_secs_f64() * 1000.0,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        lat.len()
    );
    println!(
        "  returning stations caught up in: p50 {:.1} s, max {:.1} s",
        percentile(&cu, 0.5).as_secs_f64(),
        cu.last().copied().unwrap_or_default().as_secs_f64()
    );
    if let Some(p) = &proxy {
        let st = &p.stats;
        let said = format!(
            "{} connections dropped, {} requests cut, {} replies lost after the hub committed, {} delayed",
            st.dropped.load(Relaxed),
            st.cut_requests.load(Relaxed),
            st.lost_responses.load(Relaxed),
            st.delayed.load(Relaxed)
        );
        println!("  faults: {said}: nothing lost or doubled");
        let broken = st.dropped.load(Relaxed)
            + st.cut_requests.load(Relaxed)
            + st.lost_responses.load(Relaxed);
        assert!(broken > 0, "the faulty proxy broke nothing: {said}");
        common::report_fault(
            &format!("fleet-{backend}"),
            &format!(
                "## A fleet through a faulty network ({backend} hub)\n\n\
                 `benches/fleet.rs`: {n_stations} stations scanning live for {secs} s, {returning} of them \
                 back from a day offline with {backlog} events, all through a proxy that drops, cuts, \
                 delays and loses replies.\n\n\
                 | figure | value |\n|---|---|\n\
                 | events recorded | {expected} |\n\
                 | events at the hub | {held} |\n\
                 | lost | 0 |\n| doubled | 0 |\n\
                 | network faults | {said} |\n\
                 | live push latency | p50 {:.0} ms, p99 {:.0} ms |\n\
                 | result | pass |\n",
                percentile(&lat, 0.5).as_secs_f64() * 1000.0,
                percentile(&lat, 0.99).as_secs_f64() * 1000.0,
            ),
        );
    }
    drop(hub);
}
