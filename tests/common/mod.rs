//! Helpers shared by the integration tests: temporary stations, the CLI binary,
//! a catalog to work with.
#![allow(dead_code)]

pub mod bench;
pub mod camera_set;
pub mod cups;
pub mod faultproxy;
pub mod labels;
pub mod python;
pub mod samples;

#[allow(unused_imports)]
pub use samples::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tagstation::catalog::{Status, Tracking};
use tagstation::event::EventKind;
use tagstation::store::{Command as Cmd, Store};
use uuid::Uuid;

/// A station data directory that disappears with the test.
pub struct TempStation {
    pub dir: tempfile::TempDir,
}

impl TempStation {
    pub fn new() -> Self {
        TempStation {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn open(&self) -> Store {
        Store::open(self.dir.path()).expect("open store")
    }
    /// Add the usual people and locations ([`directory`]) to this station.
    pub fn add_directory(&self) {
        directory(&mut self.open());
    }
    /// Run the real `tagstation` binary against this data directory.
    pub fn cli(&self, args: &[&str]) -> Output {
        cli(self.dir.path(), args)
    }
    /// The same with these environment variables set.
    pub fn cli_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        cli_command(self.dir.path(), args)
            .envs(env.iter().copied())
            .output()
            .expect("run tagstation")
    }
    /// Run it and parse standard output as JSON; panics with stderr on failure.
    pub fn cli_json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagstation"))
}

pub fn cli(data: &Path, args: &[&str]) -> Output {
    cli_command(data, args).output().expect("run tagstation")
}

/// The `tagstation` command [`cli`] runs.
fn cli_command(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.arg("--data")
        .arg(data)
        .args(args)
        .env_remove("TAGSTATION_CONFIG")
        .env("TAGSTATION_ACTOR", "tester");
    cmd
}

pub fn cmd(item: Uuid, unit: Option<Uuid>, kind: EventKind) -> Cmd {
    Cmd {
        item_id: item,
        unit_id: unit,
        kind,
        actor: "tester".into(),
        scan: None,
    }
}

/// Create a unit-tracked item with `n` tagged units `PREFIX-1..n`; returns (item, units).
pub fn tagged_item(store: &mut Store, name: &str, prefix: &str, n: usize) -> (Uuid, Vec<Uuid>) {
    let item = Uuid::now_v7();
    store
        .record(cmd(
            item,
            None,
            EventKind::ItemCreated {
                name: name.into(),
                sku: None,
                barcode: None,
                tracking: Tracking::Units,
                reorder_point: None,
            },
        ))
        .expect("create item");
    let units = (1..=n)
        .map(|i| {
            let id = Uuid::now_v7();
            store
                .record(cmd(
                    item,
                    Some(id),
                    EventKind::UnitCreated {
                        name: format!("{name} {i:02}"),
                        asset_tag: Some(format!("{prefix}-{i}")),
                        status: Status::InStock,
                        location: None,
                        fields: Default::default(),
                        location_id: None,
                    },
                ))
                .expect("create unit");
            id
        })
        .collect();
    (item, units)
}

/// Create a count-tracked item with a product barcode, `qty` in stock and a reorder point.
pub fn count_item(
    store: &mut Store,
    name: &str,
    barcode: &str,
    qty: i64,
    reorder: Option<i64>,
) -> Uuid {
    let item = Uuid::now_v7();
    store
        .record(cmd(
            item,
            None,
            EventKind::ItemCreated {
                name: name.into(),
                sku: None,
                barcode: Some(barcode.into()),
                tracking: Tracking::Count,
                reorder_point: reorder,
            },
        ))
        .expect("create count item");
    if qty > 0 {
        store
            .record(cmd(
                item,
                None,
                EventKind::QuantityAdjusted {
                    status: Status::InStock,
                    delta: qty,
                    reason: None,
                },
            ))
            .expect("stock count item");
    }
    item
}

/// Record a unit's location.
pub fn place(store: &mut Store, item: Uuid, unit: Uuid, location: &str) {
    store
        .record(cmd(
            item,
            Some(unit),
            EventKind::LocationMoved {
                location: Some(location.into()),
                reason: None,
                location_id: None,
            },
        ))
        .expect("place unit");
}

/// The people and locations most tests lend to and move to: Ana (badge B-ANA) and
/// Ben (B-BEN), borrowers; Shelf A, Shelf B, Van 1 and Van 2. Made through the
/// operations layer, as on a station with no hub.
pub fn directory(store: &mut Store) {
    use tagstation::ops::{locations, people, Actor};
    use tagstation::people::{PersonFields, Role};
    let a = Actor::from("setup");
    for name in ["Ana", "Ben"] {
        let f = PersonFields {
            name: name.into(),
            badges: vec![format!("B-{}", name.to_uppercase())],
            email: None,
            role: Role::Borrower,
            active: true,
            max_checkouts: None,
            loan_days: None,
        };
        people::add_person(store, f, &a).expect("add person");
    }
    for name in ["Shelf A", "Shelf B", "Van 1", "Van 2"] {
        locations::add_location(store, locations::NewLocation::named(name), &a)
            .expect("add location");
    }
}

/// Add a unit with no tag to an item; returns its id.
pub fn untagged_unit(store: &mut Store, item: Uuid, name: &str) -> Uuid {
    let id = Uuid::now_v7();
    store
        .record(cmd(
            item,
            Some(id),
            EventKind::UnitCreated {
                name: name.into(),
                asset_tag: None,
                status: Status::InStock,
                location: None,
                fields: Default::default(),
                location_id: None,
            },
        ))
        .expect("create untagged unit");
    id
}

// ---- a real hub on loopback -------------------------------------------------------

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// The environment variable naming a `tagstation` binary built with the `hub` feature.
/// A test crate built without that feature (the Pi's build, run under qemu-aarch64)
/// starts its hubs from it: `scripts/test` points it at the native
/// `target/debug/tagstation` its first stage built, so the hub is never emulated.
pub const HUB_BIN_ENV: &str = "TAGSTATION_TEST_HUB_BIN";

/// The binary to run `tagstation hub` with: the one under test when it carries the hub,
/// otherwise the native one from `TAGSTATION_TEST_HUB_BIN`. A test that needs a hub and
/// finds none fails, with this message, rather than passing without one.
pub fn hub_bin() -> PathBuf {
    if cfg!(feature = "hub") {
        return bin();
    }
    match std::env::var_os(HUB_BIN_ENV) {
        Some(p) if !p.is_empty() => {
            let p = PathBuf::from(p);
            assert!(
                p.is_file(),
                "{HUB_BIN_ENV}={} is not a file: it must name a tagstation binary built \
                 with the `hub` feature (e.g. the native target/debug/tagstation)",
                p.display()
            );
            p
        }
        _ => panic!(
            "this test needs a hub, and this build of the tests has no `hub` feature: set \
             {HUB_BIN_ENV} to a tagstation binary built with it (e.g. the native \
             target/debug/tagstation; scripts/test and scripts/aarch64 test do)"
        ),
    }
}

/// The hub's counts, as its `/metrics` shows them (the same `HubStore::stats` numbers,
/// read over HTTP so a test reads them the same way from a hub in this process or in
/// another).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HubStats {
    pub hub_seq: i64,
    pub events: i64,
    pub conflicts_open: i64,
    pub quarantined: i64,
    pub stations: i64,
    pub items: i64,
    pub units: i64,
}

/// A hub serving HTTP on 127.0.0.1, on a SQLite directory or a PostgreSQL URL. With the
/// `hub` feature it runs in this process, on a background thread (`state` gives its
/// internals to hub-only tests); without it, it is the native `tagstation hub` process
/// from [`hub_bin`], reached only over HTTP. Dropping it shuts it down.
pub struct TestHub {
    pub url: String,
    pub database: String,
    #[cfg(feature = "hub")]
    running: Option<tagstation::hub::Running>,
    #[cfg(feature = "hub")]
    pub state: std::sync::Arc<tagstation::hub::server::AppState>,
    #[cfg(not(feature = "hub"))]
    process: Option<HubChild>,
}

impl TestHub {
    pub fn start(database: &str) -> TestHub {
        Self::start_on(database, "127.0.0.1:0")
    }

    /// Start on a given address (to restart a hub where stations expect it).
    pub fn start_on(database: &str, addr: &str) -> TestHub {
        Self::start_with(database, addr, None)
    }

    /// Start serving HTTPS with this certificate and key (PEM files).
    pub fn start_tls(database: &str, cert: &Path, key: &Path) -> TestHub {
        Self::start_with(
            database,
            "127.0.0.1:0",
            Some((cert.to_path_buf(), key.to_path_buf())),
        )
    }

    #[cfg(feature = "hub")]
    fn start_with(database: &str, addr: &str, tls: Option<(PathBuf, PathBuf)>) -> TestHub {
        Self::serve(database, addr, tls, Default::default())
    }

    /// Start leasing new tags by these settings (hub-only tests).
    #[cfg(feature = "hub")]
    pub fn start_tags(database: &str, tags: tagstation::hub::tags::TagSettings) -> TestHub {
        Self::serve(database, "127.0.0.1:0", None, tags)
    }

    /// The same start-up as `tagstation hub` and the demo: `Hub::open`, then serve.
    #[cfg(feature = "hub")]
    fn serve(
        database: &str,
        addr: &str,
        tls: Option<(PathBuf, PathBuf)>,
        tags: tagstation::hub::tags::TagSettings,
    ) -> TestHub {
        let hub = tagstation::hub::Hub::open(tagstation::hub::HubOptions {
            database: database.into(),
            admin_token: ADMIN_TOKEN.into(),
            tls: tls.map(|(cert, key)| tagstation::hub::server::Tls { cert, key }),
            worker_threads: Some(2),
            trusted_proxies: Default::default(),
            routes: Some(tagstation::office_routes),
            host_names: Vec::new(),
            tags,
        })
        .expect("open hub store");
        let running = hub.spawn(bind_retry(addr)).expect("serve");
        TestHub {
            url: running.url().to_string(),
            database: database.into(),
            state: running.state().clone(),
            running: Some(running),
        }
    }

    /// `tagstation hub` itself, native, in its own process.
    #[cfg(not(feature = "hub"))]
    fn start_with(database: &str, addr: &str, tls: Option<(PathBuf, PathBuf)>) -> TestHub {
        let process = HubChild::spawn(database, addr, tls.as_ref());
        TestHub {
            url: process.url.clone(),
            database: database.into(),
            process: Some(process),
        }
    }

    pub fn addr(&self) -> String {
        self.url.split("://").nth(1).unwrap_or_default().to_string()
    }

    /// Shut the hub down cleanly (open requests finish); returns its database and
    /// address, to start it again on the same ones.
    pub fn stop(mut self) -> (String, String) {
        self.shutdown_now();
        (self.database.clone(), self.addr())
    }

    #[cfg(feature = "hub")]
    fn shutdown_now(&mut self) {
        if let Some(r) = self.running.take() {
            if let Err(e) = r.stop() {
                eprintln!("test hub stopped with an error: {e:?}");
            }
        }
    }

    #[cfg(not(feature = "hub"))]
    fn shutdown_now(&mut self) {
        if let Some(p) = self.process.take() {
            p.stop();
        }
    }

    pub fn client(&self) -> reqwest::blocking::Client {
        reqwest::blocking::Client::new()
    }

    /// Call an admin endpoint; returns (status, JSON body).
    pub fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let c = self.client();
        let url = format!("{}{path}", self.url);
        let req = match method {
            "GET" => c.get(url),
            _ => c.post(url),
        }
        .bearer_auth(ADMIN_TOKEN);
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        let resp = req.send().expect("admin request");
        let status = resp.status().as_u16();
        (status, resp.json().unwrap_or(serde_json::Value::Null))
    }

    /// `/metrics`, as text.
    pub fn metrics(&self) -> String {
        let resp = self
            .client()
            .get(format!("{}/metrics", self.url))
            .send()
            .expect("GET /metrics");
        assert_eq!(resp.status().as_u16(), 200, "GET /metrics");
        resp.text().expect("metrics text")
    }

    /// The hub's counts, from `/metrics`.
    pub fn stats(&self) -> HubStats {
        let text = self.metrics();
        let value = |name: &str| -> i64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
        };
        HubStats {
            hub_seq: value("tagstation_hub_seq"),
            events: value("tagstation_events"),
            conflicts_open: value("tagstation_conflicts_open"),
            quarantined: value("tagstation_quarantined"),
            stations: value("tagstation_stations"),
            items: value("tagstation_items"),
            units: value("tagstation_units"),
        }
    }

    /// The usual people (Ana, Ben) and locations (Shelf A, Shelf B, Van 1, Van 2), made
    /// on the hub through its admin API, as [`directory`] makes them on a station.
    pub fn add_directory(&self) {
        for name in ["Ana", "Ben"] {
            let body = serde_json::json!({
                "name": name, "badges": [format!("B-{}", name.to_uppercase())],
                "role": "borrower", "active": true,
            });
            let (status, answer) = self.admin("POST", "/v1/admin/people", Some(body));
            assert_eq!(status, 201, "add {name}: {answer}");
        }
        for name in ["Shelf A", "Shelf B", "Van 1", "Van 2"] {
            let body = serde_json::json!({ "name": name });
            let (status, answer) = self.admin("POST", "/v1/admin/locations", Some(body));
            assert_eq!(status, 201, "add {name}: {answer}");
        }
    }

    /// Create a station on the hub and enroll a store with it.
    pub fn enroll(&self, store: &mut Store, name: &str) -> String {
        let (status, body) = self.admin(
            "POST",
            "/v1/admin/stations",
            Some(serde_json::json!({ "name": name })),
        );
        assert_eq!(status, 201, "{body}");
        let code = body["enrollment_code"].as_str().expect("code").to_string();
        tagstation::sync::enroll(store, &self.url, &code).expect("enroll");
        store.hub().unwrap().expect("enrolled").1
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

#[cfg(feature = "hub")]
fn bind_retry(addr: &str) -> std::net::TcpListener {
    for _ in 0..100 {
        if let Ok(l) = std::net::TcpListener::bind(addr) {
            return l;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("cannot bind {addr}");
}

/// A `tagstation hub` process started from [`hub_bin`]. It is ready when it prints
/// `hub (BACKEND) listening on URL` on stderr; the rest of its stderr is kept to show
/// if it dies.
#[cfg(not(feature = "hub"))]
struct HubChild {
    child: std::process::Child,
    url: String,
    _data: tempfile::TempDir,
}

#[cfg(not(feature = "hub"))]
impl HubChild {
    fn spawn(database: &str, addr: &str, tls: Option<&(PathBuf, PathBuf)>) -> HubChild {
        use std::io::BufRead;
        use std::time::{Duration, Instant};
        let bin = hub_bin();
        // Restarting on the address a stopped hub had: the port may take a moment.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let data = tempfile::tempdir().expect("hub data dir");
            let mut c = Command::new(&bin);
            c.arg("--data")
                .arg(data.path())
                .args(["hub", "--listen", addr, "--database", database])
                .env("TAGSTATION_ADMIN_TOKEN", ADMIN_TOKEN)
                .env_remove("TAGSTATION_DATABASE")
                .env_remove("TAGSTATION_LISTEN")
                .env_remove("TAGSTATION_LOG")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            if let Some((cert, key)) = tls {
                c.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
            }
            let mut child = c
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run the hub {}: {e}", bin.display()));
            let stderr = child.stderr.take().expect("hub stderr");
            let (tx, rx) = std::sync::mpsc::channel::<String>();
            // Read stderr to its end so the hub never blocks on a full pipe; the
            // first line that says where it listens is the signal it is ready.
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    let _ = tx.send(line);
                }
            });
            let mut seen = Vec::new();
            let url = loop {
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(line) => {
                        if let Some((_, url)) = line.split_once(" listening on ") {
                            break Some(url.trim().to_string());
                        }
                        seen.push(line);
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break None,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        assert!(
                            Instant::now() < deadline,
                            "the hub {} did not say it was listening within 60 s: {}",
                            bin.display(),
                            seen.join("\n")
                        );
                    }
                }
            };
            if let Some(url) = url {
                return HubChild {
                    child,
                    url,
                    _data: data,
                };
            }
            let status = child.wait().expect("wait for the hub");
            let why = seen.join("\n");
            if why.contains("cannot listen") && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            panic!(
                "the hub {} exited ({status}) before listening: {why}",
                bin.display()
            );
        }
    }

    /// SIGINT, as Ctrl-C: the hub finishes open requests and exits; SIGKILL after 20 s.
    fn stop(mut self) {
        let pid = self.child.id() as libc::pid_t;
        unsafe { libc::kill(pid, libc::SIGINT) };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        eprintln!("test hub did not stop on SIGINT within 20 s: killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The PostgreSQL server for tests, from `TAGSTATION_TEST_PG_URL`. In CI (`CI` set) a
/// missing URL is a failure, never a silent skip.
pub fn pg_url() -> Option<String> {
    match std::env::var("TAGSTATION_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "TAGSTATION_TEST_PG_URL must be set in CI (.ci/run starts PostgreSQL)"
            );
            eprintln!("TAGSTATION_TEST_PG_URL not set: skipping the PostgreSQL variant");
            None
        }
    }
}

/// A fresh, empty database on the test server, named for the test.
pub fn fresh_pg_db(base_url: &str, name: &str) -> String {
    let mut c =
        postgres::Client::connect(base_url, postgres::NoTls).expect("connect to test PostgreSQL");
    let db = format!(
        "ts_{}",
        name.to_lowercase()
            .replace(|ch: char| !ch.is_ascii_alphanumeric(), "_")
    );
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .expect("drop test database");
    c.batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create test database");
    let (prefix, _) = base_url.rsplit_once('/').expect("URL with a database name");
    format!("{prefix}/{db}")
}

/// Run one sync round and insist it worked.
pub fn sync(store: &mut Store) -> tagstation::sync::RoundReport {
    tagstation::sync::sync_once(store, 500).expect("sync round")
}

/// A hub and two stations' directories, from [`two_stations`]: keep it while the
/// stations are used (dropping it deletes their directories and stops the hub).
pub struct TwoStations {
    _dirs: (TempStation, TempStation),
    pub hub: TestHub,
    /// The "Camera" A made, and its units C-1, C-2...
    pub item: Uuid,
    pub units: Vec<Uuid>,
}

/// A hub on `database` with the usual people and locations ([`TestHub::add_directory`]),
/// stations "A" and "B" enrolled with it, a unit-tracked "Camera" with `cameras` tagged
/// units C-1..n made at A, then one sync round at A and one at B. Returns the hub and
/// the two stations' stores.
pub fn two_stations(database: &str, cameras: usize) -> (TwoStations, Store, Store) {
    let hub = TestHub::start(database);
    hub.add_directory();
    let dirs = (TempStation::new(), TempStation::new());
    let (mut a, mut b) = (dirs.0.open(), dirs.1.open());
    hub.enroll(&mut a, "A");
    hub.enroll(&mut b, "B");
    let (item, units) = tagged_item(&mut a, "Camera", "C", cameras);
    sync(&mut a);
    sync(&mut b);
    let t = TwoStations {
        _dirs: dirs,
        hub,
        item,
        units,
    };
    (t, a, b)
}

/// Append a section to the fault report. `scripts/test` gathers the sections into
/// FAULTS.md at the end of the run, so the report always comes from a real run.
/// Sections go to `$TAGSTATION_FAULT_REPORT_DIR` if set (the emulated aarch64 run keeps its
/// own), else `<target>/tmp/faults`.
pub fn report_fault(name: &str, markdown: &str) {
    let dir = std::env::var_os("TAGSTATION_FAULT_REPORT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("faults"));
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{name}.md")), markdown);
}

/// A private CA and a certificate for 127.0.0.1 it signs (made with Debian's openssl):
/// what a site without a public CA uses. Returns the certificate, its key and the CA's
/// certificate, all PEM files in `dir`.
pub fn private_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let p = |f: &str| dir.join(f);
    let (cert, key, ca) = (p("hub.pem"), p("hub.key"), p("ca.pem"));
    std::fs::write(
        p("ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    // A private CA, and a hub certificate it signs: what a site without a public CA uses.
    for args in [
        vec![
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
        vec![
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=hub", "-keyout", "hub.key",
            "-out", "hub.csr",
        ],
        vec![
            "x509",
            "-req",
            "-in",
            "hub.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "ext",
            "-out",
            "hub.pem",
        ],
    ] {
        let out = std::process::Command::new("openssl")
            .args(&args)
            .current_dir(dir)
            .output()
            .expect("openssl (Debian package openssl) is needed for the TLS test");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (cert, key, ca)
}
