//! The promise, tested: once the station says "saved", the scan reaches the hub exactly
//! once, whatever happens — process kills, power cuts, a broken network, a hub killed
//! mid-batch, wrong clocks, a full disk. Each test writes its figures to the fault
//! report (FAULTS.md, assembled by `scripts/test`).
//!
//! Sizes: `TAGSTATION_FAULT_KILLS` (default 200) station kills.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::faultproxy::{FaultProxy, Faults, Rng};
use common::{bin, cmd, tagged_item, TempStation, TestHub, ADMIN_TOKEN};
use tagstation::catalog::Status;
use tagstation::event::EventKind;
use tagstation::store::Store;
use uuid::Uuid;

fn seed() -> u64 {
    std::env::var("TAGSTATION_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

/// Every event id the hub holds, with how many times.
fn hub_event_counts(url: &str, token: &str) -> BTreeMap<Uuid, usize> {
    let c = reqwest::blocking::Client::new();
    let mut after = 0;
    let mut counts = BTreeMap::new();
    loop {
        let page: tagstation::proto::PullResponse = c
            .get(format!("{url}/v1/sync/pull?after={after}"))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        for e in &page.events {
            *counts.entry(e.event.id).or_insert(0) += 1;
        }
        after = page.cursor;
        if !page.more {
            return counts;
        }
    }
}

/// Sync until nothing is pending (the network may still be failing now and then).
fn drain(store: &mut Store) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if tagstation::sync::sync_once(store, 200).is_ok() && store.info().unwrap().pending == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "could not drain the queue: {:?}",
            store.info().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Check the station's file after a crash: sound, gapless, every acknowledged event once.
fn check_station(dir: &std::path::Path, acked: &BTreeMap<Uuid, i64>) {
    let s = Store::open(dir).unwrap();
    let ok: String = s
        .conn()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    assert!(
        s.check_consistency().unwrap().is_empty(),
        "{:?}",
        s.check_consistency()
    );
    let mut st = s
        .conn()
        .prepare("SELECT station_seq FROM events WHERE id = ?1")
        .unwrap();
    for (id, seq) in acked {
        let found: Vec<i64> = st
            .query_map([id.to_string()], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            found,
            vec![*seq],
            "acknowledged event {id} must be stored once with its sequence number"
        );
    }
}

struct Running {
    child: Child,
    acks: Arc<Mutex<Vec<(i64, Uuid)>>>,
    stop: Arc<AtomicBool>,
}

/// Start the station's line input (with background sync) and stream scans into it.
fn start_station(dir: &std::path::Path, status: &str, units: usize, seed: u64) -> Running {
    let mut child = Command::new(bin())
        .arg("--data")
        .arg(dir)
        .args(["scan", "--stdin", "--sync", "--status", status])
        .env("TAGSTATION_SYNC_INTERVAL_SECS", "0")
        .env("TAGSTATION_ACTOR", "fault-test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    std::thread::spawn(move || {
        let mut rng = Rng(seed | 1);
        while !s2.load(Relaxed) {
            let line = format!("T-{}\n", rng.below(units as u64));
            if stdin.write_all(line.as_bytes()).is_err() || stdin.flush().is_err() {
                break;
            }
            std::thread::sleep(Duration::from_micros(rng.below(3000)));
        }
    });
    let acks = Arc::new(Mutex::new(Vec::new()));
    let a2 = acks.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let parts: Vec<&str> = line.split(' ').collect();
            if parts.first() == Some(&"saved") {
                let seq: i64 = parts[1].parse().unwrap();
                let id = Uuid::parse_str(parts[2]).unwrap();
                a2.lock().unwrap().push((seq, id));
            }
        }
    });
    Running { child, acks, stop }
}

#[test]
fn station_killed_at_random_moments_loses_and_doubles_nothing() {
    let kills: usize = std::env::var("TAGSTATION_FAULT_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed = seed();
    let mut rng = Rng(seed | 1);
    let hub_dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(hub_dir.path().to_str().unwrap());
    let faults = Faults {
        drop_connect: 0.05,
        delay: 0.05,
        max_delay_ms: 50,
        cut_request: 0.05,
        lose_response: 0.1,
        stall: false,
    };
    let proxy = FaultProxy::start(&hub.addr(), Faults::default(), seed);
    let st = TempStation::new();
    let units = 40;
    let token = {
        let mut s = st.open();
        let token = hub.enroll(&mut s, "Van");
        tagged_item(&mut s, "Drill", "T", units);
        drain(&mut s);
        s.set_hub(&proxy.url, &token).unwrap();
        token
    };
    proxy.set(faults);

    let statuses = ["sending", "receiving", "damaged", "in_stock"];
    let mut acked: BTreeMap<Uuid, i64> = BTreeMap::new();
    let mut after_commit_kills = 0;
    let mut after_hub_commit_kills = 0;
    // How long the station takes from spawn to its first "saved" line, measured in the
    // after-commit rounds. The other kills land at a random moment within that start-up
    // time plus 300 ms, so they hit start-up, recovery and steady scanning alike whether
    // the binary starts in 20 ms (native) or a second (under qemu-aarch64).
    let mut startup_ms: u64 = 0;
    for i in 0..kills {
        let run = start_station(st.path(), statuses[i % 4], units, rng.next());
        let started = Instant::now();
        if i % 4 == 0 {
            // The hard window: right after a local commit, before the sync worker sends it.
            while run.acks.lock().unwrap().is_empty() && started.elapsed() < Duration::from_secs(30)
            {
                std::thread::yield_now();
            }
            startup_ms = startup_ms.max(started.elapsed().as_millis() as u64);
            after_commit_kills += 1;
        } else if i % 4 == 2 {
            // The other hard window: the hub committed a push and its reply is lost; the
            // station dies before it learns the outcome and must not send it twice later.
            let before = proxy.stats.lost_responses.load(Relaxed);
            proxy.set(Faults {
                lose_response: 1.0,
                ..Faults::default()
            });
            while proxy.stats.lost_responses.load(Relaxed) == before
                && started.elapsed() < Duration::from_secs(30)
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            proxy.set(faults);
            if proxy.stats.lost_responses.load(Relaxed) > before {
                after_hub_commit_kills += 1;
            }
        } else {
            std::thread::sleep(Duration::from_millis(10 + rng.below(startup_ms + 300)));
        }
        let mut child = run.child;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        run.stop.store(true, Relaxed);
        std::thread::sleep(Duration::from_millis(5)); // let the reader take the last lines
        for (seq, id) in run.acks.lock().unwrap().iter() {
            assert!(
                acked.insert(*id, *seq).is_none(),
                "an event id was acknowledged twice"
            );
        }
        check_station(st.path(), &acked);
    }

    // Quiet period: no more faults; everything acknowledged reaches the hub once.
    proxy.set(Faults::default());
    let mut s = st.open();
    drain(&mut s);
    let counts = hub_event_counts(&hub.url, &token);
    let lost: Vec<_> = acked.keys().filter(|id| !counts.contains_key(id)).collect();
    let doubled = counts.values().filter(|n| **n > 1).count();
    let mine = s.info().unwrap().last_seq as usize;
    let on_hub_from_me = {
        let me = s.station_id().to_string();
        let mut n = 0;
        for h in s.all_history().unwrap() {
            if h.station_id.to_string() == me && h.hub_seq.is_some() {
                n += 1;
            }
        }
        n
    };
    let stats = &proxy.stats;
    common::report_fault(
        "10-station-kills",
        &format!(
            "## Station killed with SIGKILL while scans stream in (line input + background sync)\n\n\
             | figure | value |\n|---|---|\n\
             | kills | {kills} ({after_commit_kills} right after a local commit, before sending; {after_hub_commit_kills} after the hub committed a push, before its reply arrived) |\n\
             | scans acknowledged (\"saved\") | {} |\n\
             | station events in total | {mine} |\n\
             | lost (acknowledged, missing on the hub) | {} |\n\
             | doubled on the hub | {doubled} |\n\
             | network faults injected | {} refused connections, {} cut requests, {} responses lost after the hub committed, {} delays |\n\
             | result | {} |\n\n",
            acked.len(),
            lost.len(),
            stats.dropped.load(Relaxed),
            stats.cut_requests.load(Relaxed),
            stats.lost_responses.load(Relaxed),
            stats.delayed.load(Relaxed),
            if lost.is_empty() && doubled == 0 { "pass" } else { "FAIL" },
        ),
    );
    assert!(
        lost.is_empty(),
        "{} acknowledged events never reached the hub",
        lost.len()
    );
    assert_eq!(doubled, 0);
    assert_eq!(
        on_hub_from_me, mine,
        "every station event confirmed by the hub"
    );
    assert!(
        acked.len() > kills,
        "the test must actually acknowledge scans ({} for {kills} kills)",
        acked.len()
    );
    assert!(
        stats.lost_responses.load(Relaxed) > 0,
        "the after-hub-commit window must be exercised"
    );
}

/// A hub process, killed with SIGKILL while a station pushes big batches.
fn hub_killed_mid_batch(database: Option<&str>, label: &str) {
    let hub_dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let spawn_hub = || {
        let mut c = Command::new(common::hub_bin());
        c.arg("--data")
            .arg(hub_dir.path())
            .args(["hub", "--listen", &format!("127.0.0.1:{port}")]);
        if let Some(db) = database {
            c.args(["--database", db]);
        }
        let child = c
            .env("TAGSTATION_ADMIN_TOKEN", ADMIN_TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::blocking::get(format!("{url}/healthz")).is_err() {
            assert!(Instant::now() < deadline, "hub did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    };
    let mut hub = spawn_hub();
    let st = TempStation::new();
    let mut s = st.open();
    let c = reqwest::blocking::Client::new();
    let r: serde_json::Value = c
        .post(format!("{url}/v1/admin/stations"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"name": "Van"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    tagstation::sync::enroll(&mut s, &url, r["enrollment_code"].as_str().unwrap()).unwrap();
    let token = s.hub().unwrap().unwrap().1;
    let (item, units) = tagged_item(&mut s, "Drill", "T", 100);
    let statuses = [
        Status::Sending,
        Status::Receiving,
        Status::Damaged,
        Status::InStock,
    ];
    let mut cmds = Vec::new();
    for k in 0..8000 {
        cmds.push(cmd(
            item,
            Some(units[k % 100]),
            EventKind::StatusChanged {
                to: statuses[(k / 100) % 4],
                reason: None,
            },
        ));
    }
    for chunk in cmds.chunks(1000) {
        s.record_batch(chunk.to_vec()).map_err(|(_, e)| e).unwrap();
    }
    let total = s.info().unwrap().last_seq as usize;
    let data = st.path().to_path_buf();
    let done = Arc::new(AtomicBool::new(false));
    let d2 = done.clone();
    let pusher = std::thread::spawn(move || {
        let mut s = Store::open(&data).unwrap();
        while s.info().unwrap().pending > 0 {
            let _ = tagstation::sync::sync_once(&mut s, 1000);
        }
        d2.store(true, Relaxed);
    });
    let mut rng = Rng(seed() | 1);
    let mut kills = 0;
    // Kills come every 30-150 ms, so the 12 land while the 8,000 events are still
    // being pushed, even against a fast hub.
    while !done.load(Relaxed) && kills < 12 {
        std::thread::sleep(Duration::from_millis(30 + rng.below(120)));
        hub.kill().unwrap();
        hub.wait().unwrap();
        kills += 1;
        hub = spawn_hub();
    }
    pusher.join().unwrap();
    let counts = hub_event_counts(&url, &token);
    let doubled = counts.values().filter(|n| **n > 1).count();
    let s = st.open();
    let ids: BTreeSet<Uuid> = s
        .all_history()
        .unwrap()
        .iter()
        .map(|h| h.event_id)
        .collect();
    let lost = ids.iter().filter(|id| !counts.contains_key(id)).count();
    hub.kill().unwrap();
    hub.wait().unwrap();
    common::report_fault(
        &format!("20-hub-kills-{label}"),
        &format!(
            "## Hub ({label}) killed with SIGKILL while a station pushes batches of 1000\n\n\
             | figure | value |\n|---|---|\n| hub kills | {kills} |\n| events pushed | {total} |\n\
             | lost | {lost} |\n| doubled | {doubled} |\n| result | {} |\n\n",
            if lost == 0 && doubled == 0 {
                "pass"
            } else {
                "FAIL"
            }
        ),
    );
    assert!(
        kills >= 3,
        "the hub must be killed while pushing (only {kills})"
    );
    assert_eq!(lost, 0);
    assert_eq!(doubled, 0);
    assert_eq!(counts.len(), total);
}

#[test]
fn hub_killed_mid_batch_sqlite() {
    hub_killed_mid_batch(None, "sqlite");
}

#[test]
fn hub_killed_mid_batch_postgres() {
    if let Some(base) = common::pg_url() {
        let db = common::fresh_pg_db(&base, "fault_hub_kill");
        hub_killed_mid_batch(Some(&db), "postgres");
    }
}

/// The WAL's current generation: its salt, and the end offset of each commit frame in
/// it (frames of older generations carry other salts and are ignored).
fn wal_commits(bytes: &[u8]) -> Option<([u8; 8], Vec<u64>)> {
    if bytes.len() < 32 {
        return None;
    }
    let page = u32::from_be_bytes(bytes[8..12].try_into().ok()?) as usize;
    let salt: [u8; 8] = bytes[16..24].try_into().ok()?;
    let mut ends = Vec::new();
    let mut off = 32;
    while off + 24 + page <= bytes.len() {
        let hdr = &bytes[off..off + 24];
        if hdr[8..16] != salt {
            break;
        }
        off += 24 + page;
        if u32::from_be_bytes(hdr[4..8].try_into().ok()?) != 0 {
            ends.push(off as u64);
        }
    }
    Some((salt, ends))
}

#[test]
fn power_cut_keeps_every_acknowledged_event() {
    // A power cut keeps what was fsynced and loses (or tears) what was not. We model it
    // by freezing the writer (SIGSTOP) at a random moment, copying its database and
    // WAL, and cutting the copied WAL at a random byte after the last acknowledged
    // commit frame (found by reading the WAL when the "saved" line arrived: with
    // synchronous=FULL that frame was fsynced before the acknowledgement). Everything
    // after it may be lost or torn. SQLite must open the copy, find it sound, and hold
    // every acknowledged event.
    let rounds: usize = 40;
    let mut rng = Rng(seed() | 1);
    let mut checked = 0usize;
    let mut truncated = 0usize;
    let mut dropped_commits = 0usize;
    let st = TempStation::new();
    {
        let mut s = st.open();
        tagged_item(&mut s, "Drill", "T", 30);
    }
    let db = st.path().join(tagstation::store::DB_FILE);
    let wal = st.path().join("tagstation.db-wal");
    for round in 0..rounds {
        let mut child = Command::new(bin())
            .arg("--data")
            .arg(st.path())
            .args([
                "scan",
                "--stdin",
                "--status",
                ["sending", "in_stock"][round % 2],
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let seed = rng.next();
        std::thread::spawn(move || {
            let mut r = Rng(seed | 1);
            for _ in 0..100_000 {
                if stdin
                    .write_all(format!("T-{}\n", r.below(30)).as_bytes())
                    .is_err()
                {
                    break;
                }
            }
        });
        // Record each acknowledgement with the WAL generation and commit count at that moment.
        let acks: Arc<Mutex<Vec<(Uuid, usize, Option<[u8; 8]>)>>> =
            Arc::new(Mutex::new(Vec::new()));
        let (a2, w2) = (acks.clone(), wal.clone());
        let out = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let p: Vec<&str> = line.split(' ').collect();
                if p[0] == "saved" {
                    let w = std::fs::read(&w2).ok().and_then(|b| wal_commits(&b));
                    let (salt, n) = w.map(|(s, e)| (Some(s), e.len())).unwrap_or((None, 0));
                    a2.lock()
                        .unwrap()
                        .push((Uuid::parse_str(p[2]).unwrap(), n, salt));
                }
            }
        });
        // Cut the power at a random moment once the writer is acknowledging scans (a cut
        // before the first acknowledgement has nothing to check). Waiting for the first
        // one keeps the test meaningful when start-up is slow (qemu-aarch64).
        let first = Instant::now();
        while acks.lock().unwrap().is_empty() && first.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(rng.below(200)));
        let pid = child.id() as i32;
        unsafe { libc::kill(pid, libc::SIGSTOP) };
        std::thread::sleep(Duration::from_millis(5));
        let copy = tempfile::tempdir().unwrap();
        let acked: Vec<(Uuid, usize, Option<[u8; 8]>)> = acks.lock().unwrap().clone();
        std::fs::copy(&db, copy.path().join(tagstation::store::DB_FILE)).unwrap();
        let wal_copy = copy.path().join("tagstation.db-wal");
        if wal.exists() {
            std::fs::copy(&wal, &wal_copy).unwrap();
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let _ = reader.join();
        // Drop unsynced writes: cut the WAL copy somewhere after the last acknowledged commit.
        if let (Some((_, k, Some(salt))), Some((now_salt, ends))) = (
            acked.last(),
            std::fs::read(&wal_copy).ok().and_then(|b| wal_commits(&b)),
        ) {
            let len = std::fs::metadata(&wal_copy).unwrap().len();
            // Same generation and the acknowledged commit is in it: cut anywhere after it.
            if now_salt == *salt && *k >= 1 && ends.len() >= *k {
                let keep = ends[*k - 1];
                let cut = keep + rng.below(len - keep + 1);
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&wal_copy)
                    .unwrap()
                    .set_len(cut)
                    .unwrap();
                truncated += 1;
                dropped_commits += ends.iter().filter(|e| **e > cut).count();
            }
        }
        let s = Store::open(copy.path()).unwrap();
        let ok: String = s
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok", "round {round}");
        assert!(s.check_consistency().unwrap().is_empty());
        for (id, _, _) in &acked {
            let n: i64 = s
                .conn()
                .query_row(
                    "SELECT COUNT(*) FROM events WHERE id = ?1",
                    [id.to_string()],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(
                n, 1,
                "round {round}: acknowledged event {id} lost in the power cut"
            );
        }
        checked += acked.len();
    }
    common::report_fault(
        "30-power-cut",
        &format!(
            "## Power cut on the station\n\nThe writer is frozen (SIGSTOP) at a random moment, its database \
             and WAL are copied, and the copied WAL is cut at a random byte after the last acknowledged \
             commit (dropping and tearing unsynced writes), then opened as after a reboot.\n\n\
             | figure | value |\n|---|---|\n| power cuts | {rounds} ({truncated} with the WAL cut after the last acknowledged commit, {dropped_commits} later commits dropped or torn) |\n\
             | acknowledged events checked | {checked} |\n| lost | 0 |\n| corrupt databases | 0 |\n| result | pass |\n\n"
        ),
    );
    assert!(checked > 0);
    assert!(
        truncated > rounds / 4,
        "the unsynced-write model must be exercised ({truncated}/{rounds})"
    );
}

/// A clock whose time the test moves by hand.
struct HandClock(Mutex<i64>);
impl tagstation::clock::Clock for HandClock {
    fn now(&self) -> (i64, bool) {
        (*self.0.lock().unwrap(), false)
    }
}

#[test]
fn wrong_and_jumping_clocks_still_sync_in_hub_order() {
    let hub_dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(hub_dir.path().to_str().unwrap());
    let st = TempStation::new();
    let clock = Arc::new(HandClock(Mutex::new(1_000))); // booted offline in 1970
    let mut s = Store::open_with_clock(st.path(), clock.clone()).unwrap();
    hub.enroll(&mut s, "Van");
    let (item, units) = tagged_item(&mut s, "Drill", "T", 1);
    for (t, to) in [
        (5_000_000_000_000i64, Status::Sending),
        (2_000, Status::Receiving),
        (-50_000, Status::Damaged),
    ] {
        *clock.0.lock().unwrap() = t; // forwards to 2128, back to 1970, before 1970
        s.record(cmd(
            item,
            Some(units[0]),
            EventKind::StatusChanged { to, reason: None },
        ))
        .unwrap();
    }
    common::sync(&mut s);
    let h = s.history(units[0]).unwrap();
    let kinds: Vec<_> = h.iter().map(|e| e.data.clone()).collect();
    assert_eq!(
        kinds.last().unwrap(),
        &EventKind::StatusChanged {
            to: Status::Damaged,
            reason: None,
        }
    );
    assert!(
        h.iter().all(|e| !e.clock_synced),
        "history shows the times were unsynchronised"
    );
    let seqs: Vec<_> = h.iter().map(|e| e.hub_seq.unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "ordered by the hub, not by clocks"
    );
    let (_, u) = hub.admin("GET", "/v1/admin/units/T-1", None);
    assert_eq!(u["status"], "damaged");
    common::report_fault(
        "40-clocks",
        "## Clocks\n\nA station booted in 1970, then jumping to 2128, back to 1970 and before the epoch, \
         recorded offline and synced: the hub ordered by arrival, the last scan won, and history marks \
         every time as unsynchronised (`clock_synced: false`). Result: pass.\n\n",
    );
}

#[test]
fn full_disk_refuses_to_acknowledge_then_recovers() {
    let st = TempStation::new();
    let mut s = st.open();
    let (item, units) = tagged_item(&mut s, "Drill", "T", 1);
    let pages: i64 = s
        .conn()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    s.set_max_pages(pages).unwrap();
    let mut refused = 0;
    let mut acked = 0;
    for i in 0..2000 {
        match s.record(cmd(
            item,
            Some(units[0]),
            EventKind::FieldSet {
                key: format!("note{i}"),
                value: Some("x".repeat(150)),
            },
        )) {
            Ok(_) => acked += 1,
            Err(e) => {
                assert!(
                    e.user_message()
                        .starts_with("NOT SAVED: the station's storage is full"),
                    "{e}"
                );
                refused += 1;
                if refused == 3 {
                    break;
                }
            }
        }
    }
    assert_eq!(refused, 3);
    s.set_max_pages(1_000_000).unwrap(); // space returns
    s.record(cmd(
        item,
        Some(units[0]),
        EventKind::StatusChanged {
            to: Status::Damaged,
            reason: None,
        },
    ))
    .unwrap();
    let last = s.info().unwrap().last_seq;
    assert_eq!(
        last as usize,
        2 + acked + 1,
        "no sequence number lost to the refused scans"
    );
    assert!(s.check_consistency().unwrap().is_empty());
    common::report_fault(
        "50-disk",
        &format!(
            "## Disk full and read-only\n\nThe database was capped at its current size (SQLite's own \
             SQLITE_FULL path), {acked} more events fitted, then 3 scans were refused with \"NOT SAVED: the \
             station's storage is full\"; after space returned the next scan saved with the next sequence \
             number and nothing acknowledged was lost. A read-only database is refused the same way \
             (`tests/store.rs`). Result: pass.\n\n"
        ),
    );
}

#[test]
fn random_offline_edits_partitions_and_restarts_converge() {
    let mut rng = Rng(seed() | 1);
    let hub_dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(hub_dir.path().to_str().unwrap());
    let dirs: Vec<TempStation> = (0..4).map(|_| TempStation::new()).collect();
    let mut stations: Vec<Store> = dirs.iter().map(|d| d.open()).collect();
    for (i, s) in stations.iter_mut().enumerate() {
        hub.enroll(s, &format!("S{i}"));
    }
    let (item, units) = tagged_item(&mut stations[0], "Camera", "C", 8);
    for s in stations.iter_mut() {
        common::sync(s);
    }
    let mut acked: BTreeSet<Uuid> = BTreeSet::new();
    let (mut refused, mut restarts, mut partitioned) = (0, 0, 0);
    for _round in 0..40 {
        for i in 0..stations.len() {
            for _ in 0..rng.below(4) {
                let u = units[rng.below(units.len() as u64) as usize];
                let kind = match rng.below(6) {
                    0 => EventKind::StatusChanged {
                        to: Status::SETTABLE[rng.below(4) as usize],
                        reason: None,
                    },
                    1 => EventKind::CheckedOut {
                        holder: format!("P{}", rng.below(3)),
                        due: None,
                        holder_id: None,
                    },
                    2 => EventKind::CheckedIn {
                        location: Some(format!("Shelf {}", rng.below(3))),
                        location_id: None,
                    },
                    3 => EventKind::UnitTagged {
                        tag: Some(format!("X-{}", rng.below(6))),
                    },
                    4 => EventKind::LocationMoved {
                        location: Some(format!("Van {}", rng.below(3))),
                        reason: None,
                        location_id: None,
                    },
                    _ => EventKind::FieldSet {
                        key: "note".into(),
                        value: Some(format!("n{}", rng.below(5))),
                    },
                };
                match stations[i].record(cmd(item, Some(u), kind)) {
                    Ok(r) => {
                        acked.insert(r.event.id);
                    }
                    Err(_) => refused += 1,
                }
            }
            if rng.chance(0.5) {
                let _ = tagstation::sync::sync_once(&mut stations[i], 50);
            } else {
                partitioned += 1;
            }
            if rng.chance(0.1) {
                restarts += 1;
                stations[i] = dirs[i].open();
            }
        }
    }
    // Quiet period: everyone syncs until nothing moves.
    for _ in 0..3 {
        for s in stations.iter_mut() {
            common::sync(s);
        }
    }
    let (_, hub_units) = hub.admin("GET", "/v1/admin/units", None);
    let token = stations[0].hub().unwrap().unwrap().1;
    let counts = hub_event_counts(&hub.url, &token);
    for s in &stations {
        assert!(s.check_consistency().unwrap().is_empty());
        for hu in hub_units.as_array().unwrap() {
            let id = hu["id"].as_str().unwrap();
            let u = s.find_unit(id).unwrap();
            assert_eq!(
                u.status.as_str(),
                hu["status"].as_str().unwrap(),
                "unit {id}"
            );
            assert_eq!(u.holder.as_deref(), hu["holder"].as_str());
            assert_eq!(u.asset_tag.as_deref(), hu["asset_tag"].as_str());
            assert_eq!(u.location.as_deref(), hu["location"].as_str());
            assert_eq!(u.version, hu["version"].as_i64().unwrap());
        }
        let ids: BTreeSet<Uuid> = s
            .all_history()
            .unwrap()
            .iter()
            .map(|h| h.event_id)
            .collect();
        assert_eq!(
            ids,
            counts.keys().copied().collect::<BTreeSet<_>>(),
            "same history everywhere"
        );
    }
    let lost = acked.iter().filter(|id| !counts.contains_key(id)).count();
    let doubled = counts.values().filter(|n| **n > 1).count();
    let conflicts = hub.stats().conflicts_open;
    common::report_fault(
        "60-convergence",
        &format!(
            "## Convergence\n\n4 stations, 8 shared units, 40 rounds of random offline edits (status, \
             check-out/in, tags, moves, fields), each station syncing or staying partitioned at random and \
             restarting now and then; then a quiet period.\n\n| figure | value |\n|---|---|\n\
             | events acknowledged | {} |\n| refused locally (rules) | {refused} |\n| partitioned rounds | {partitioned} |\n\
             | restarts | {restarts} |\n| conflicts flagged | {conflicts} |\n| lost | {lost} |\n| doubled | {doubled} |\n\
             | stations agreeing with the hub on every unit | {}/{} |\n| result | pass |\n\n",
            acked.len(),
            stations.len(),
            stations.len()
        ),
    );
    assert_eq!(lost, 0);
    assert_eq!(doubled, 0);
}

#[test]
fn hostile_scanner_input_is_refused_and_the_station_keeps_running() {
    let st = TempStation::new();
    {
        let mut s = st.open();
        tagged_item(&mut s, "Drill", "TS", 2);
    }
    let mut input: Vec<u8> = Vec::new();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("control characters", b"TS-\x1b[2J1".to_vec()),
        ("invalid UTF-8", vec![0xff, 0xfe, 0x41]),
        ("a 1 MB barcode", vec![b'A'; 1 << 20]),
        ("SQL metacharacters", b"TS-1'; DROP TABLE units;--".to_vec()),
        ("shell metacharacters", b"$(rm -rf /) `reboot`".to_vec()),
        (
            "Unicode confusable (Cyrillic T)",
            "\u{422}S-1".as_bytes().to_vec(),
        ),
        ("NUL byte", b"TS-\x001".to_vec()),
    ];
    for (_, bytes) in &cases {
        input.extend_from_slice(bytes);
        input.push(b'\n');
    }
    input.extend_from_slice(b"TS-1\n"); // a real scan afterwards still works
    let mut child = Command::new(bin())
        .arg("--data")
        .arg(st.path())
        .args(["scan", "--stdin", "--status", "damaged"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), cases.len() + 1, "{text}");
    let mut rows = Vec::new();
    for ((what, _), line) in cases.iter().zip(&lines) {
        assert!(line.starts_with("refused "), "{what}: {line}");
        assert!(line.len() < 300, "{what}: the answer stays short");
        rows.push(format!("| {what} | `{}` |", line.replace('|', "\\|")));
    }
    assert!(lines.last().unwrap().starts_with("saved 4 "), "{text}");
    let s = st.open();
    assert_eq!(s.find_unit("TS-1").unwrap().status, Status::Damaged);
    assert_eq!(
        s.units(None, false).unwrap().len(),
        2,
        "the units table is intact"
    );
    common::report_fault(
        "80-hostile-scans",
        &format!(
            "## Hostile scanner input (line input)\n\nEach line refused with a short message, nothing written; \
             the next real scan was saved. The scan decoders and the HID key translator have their own \
             hostile-input tests (`tests/` of the scanning module).\n\n| input | answer |\n|---|---|\n{}\n| then `TS-1` | `{}` |\n\n",
            rows.join("\n"),
            lines.last().unwrap().split(' ').take(2).collect::<Vec<_>>().join(" ")
        ),
    );
}

/// A malformed event in the middle of a large batch is quarantined on its own; the rest
/// of the batch goes through at the pace of a clean one.
#[test]
fn a_malformed_event_in_a_large_batch_is_quarantined_without_slowing_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path().to_str().unwrap());
    let c = hub.client();
    let push = |station: &mut tagstation::store::Store, bad: Option<usize>| {
        let token = station.hub().unwrap().unwrap().1;
        let mut events: Vec<serde_json::Value> = station
            .pending(1000)
            .unwrap()
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect();
        if let Some(i) = bad {
            events[i]["kind"] = serde_json::json!({"type": "status_changed", "to": 7});
        }
        assert_eq!(events.len(), 1000);
        let t = std::time::Instant::now();
        let r: tagstation::proto::PushResponse = c
            .post(format!("{}/v1/sync/push", hub.url))
            .bearer_auth(token)
            .json(&serde_json::json!({ "events": events }))
            .send()
            .unwrap()
            .json()
            .unwrap();
        (r, t.elapsed())
    };
    // Clean and malformed batches in turn, twice: the figure is each kind's best.
    let mut times = vec![Duration::MAX; 2];
    for (n, bad) in [None, Some(500), None, Some(500)].into_iter().enumerate() {
        let st = TempStation::new();
        let mut s = st.open();
        hub.enroll(&mut s, &format!("S{n}"));
        let (item, units) = tagged_item(&mut s, "Camera", "C", 10);
        let mut k = 0;
        while s.info().unwrap().pending < 1000 {
            let to = [Status::Sending, Status::InStock][(k / 10) % 2];
            s.record(cmd(
                item,
                Some(units[k % 10]),
                EventKind::StatusChanged { to, reason: None },
            ))
            .unwrap();
            k += 1;
        }
        let (r, took) = push(&mut s, bad);
        let kind = usize::from(bad.is_some());
        times[kind] = times[kind].min(took);
        let rejected = r
            .results
            .iter()
            .filter(|x| x.status == tagstation::proto::PushStatus::Rejected)
            .count();
        assert_eq!(
            rejected,
            usize::from(bad.is_some()),
            "{:?}",
            r.contiguous_seq
        );
        assert_eq!(
            r.contiguous_seq, 1000,
            "quarantined, the queue moves past it"
        );
    }
    let ratio = times[1].as_secs_f64() / times[0].as_secs_f64();
    common::report_fault(
        "malformed-in-batch",
        &format!(
            "## A malformed event in a batch of 1000\n\n\
             | figure | value |\n|---|---|\n\
             | clean batch of 1000 (best of 2) | {:.0} ms |\n\
             | the same with one malformed event at 500 (best of 2) | {:.0} ms ({ratio:.2}x) |\n\
             | refused | 1, quarantined; the other 999 stored, the queue moved past it |\n\
             | result | pass |\n",
            times[0].as_secs_f64() * 1000.0,
            times[1].as_secs_f64() * 1000.0,
        ),
    );
}

/// A wedged network: the proxy takes the station's push and holds it, the connection
/// open and no answer coming back. The sync round waits on it; scans do not: each is
/// saved while the round is held. When the network moves again, every scan arrives
/// at the hub once.
#[test]
fn a_wedged_sync_round_never_holds_up_a_scan() {
    let hub_dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(hub_dir.path().to_str().unwrap());
    let proxy = FaultProxy::start(&hub.addr(), Faults::default(), 7);
    let st = TempStation::new();
    let (item, units) = {
        let mut s = st.open();
        let token = hub.enroll(&mut s, "Van");
        let made = tagged_item(&mut s, "Drill", "W", 4);
        drain(&mut s);
        s.set_hub(&proxy.url, &token).unwrap();
        made
    };
    let worker = tagstation::sync::Worker::spawn(tagstation::sync::WorkerConfig {
        data_dir: st.path().to_path_buf(),
        interval: Duration::from_millis(50),
        max_backoff: Duration::from_secs(1),
        batch: 100,
    })
    .unwrap();
    let before = hub.stats().events;
    proxy.set(Faults {
        stall: true,
        ..Faults::default()
    });
    let mut s = st.open();
    let mut status = vec![Status::InStock; units.len()];
    let mut scan = |s: &mut Store, i: usize| {
        let to = if status[i] == Status::InStock {
            Status::Damaged
        } else {
            Status::InStock
        };
        status[i] = to;
        s.record(cmd(
            item,
            Some(units[i]),
            EventKind::StatusChanged { to, reason: None },
        ))
        .unwrap();
    };
    // The first scan starts a round, which the wedge holds.
    scan(&mut s, 0);
    let t = Instant::now();
    while proxy.stats.stalled.load(Relaxed) == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "no round reached the proxy"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // Forty more scans while it is held: each one saved (record returns after commit).
    let scans = 41;
    for i in 1..scans {
        scan(&mut s, i % units.len());
    }
    assert_eq!(
        s.pending_count().unwrap(),
        scans as i64,
        "all saved, none sent yet"
    );
    assert_eq!(hub.stats().events, before, "the round is still held");

    proxy.set(Faults::default());
    let t = Instant::now();
    while !(s.pending_count().unwrap() == 0 && hub.stats().events == before + scans as i64) {
        assert!(
            t.elapsed() < Duration::from_secs(90),
            "not all scans arrived: {:?}, hub has {}",
            worker.state(),
            hub.stats().events - before
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    worker.stop();
    common::report_fault(
        "wedged-network",
        &format!(
            "## Wedged network\n\n\
             A proxy held the station's push with the connection open and no answer \
             (`tests/faults.rs`, `a_wedged_sync_round_never_holds_up_a_scan`). While the \
             round waited, {scans} scans were each saved as they were made ({} request \
             chunk(s) held). When the network moved again all {scans} reached the hub, \
             once each.\n",
            proxy.stats.stalled.load(Relaxed)
        ),
    );
}
