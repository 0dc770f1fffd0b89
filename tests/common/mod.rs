//! Helpers shared by the integration tests: temporary stations, the CLI binary,
//! a catalog to work with.
#![allow(dead_code)]

pub mod faultproxy;
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
    /// Run the real `tagstation` binary against this data directory.
    pub fn cli(&self, args: &[&str]) -> Output {
        cli(self.dir.path(), args)
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
    Command::new(bin())
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("TAGSTATION_CONFIG")
        .env("TAGSTATION_ACTOR", "tester")
        .output()
        .expect("run tagstation")
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
            },
        ))
        .expect("place unit");
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
            },
        ))
        .expect("create untagged unit");
    id
}

// ---- a real hub on loopback -------------------------------------------------------

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// A hub serving HTTP on 127.0.0.1 from a background thread, on a SQLite directory or
/// a PostgreSQL URL. Dropping it shuts it down.
pub struct TestHub {
    pub url: String,
    pub database: String,
    running: Option<tagstation::hub::Running>,
    pub state: std::sync::Arc<tagstation::hub::server::AppState>,
}

impl TestHub {
    pub fn start(database: &str) -> TestHub {
        Self::start_on(database, "127.0.0.1:0")
    }

    /// Start on a given address (to restart a hub where stations expect it).
    pub fn start_on(database: &str, addr: &str) -> TestHub {
        Self::start_with(database, addr, None)
    }

    /// Start serving HTTPS with this certificate and key.
    pub fn start_tls(database: &str, tls: tagstation::hub::server::Tls) -> TestHub {
        Self::start_with(database, "127.0.0.1:0", Some(tls))
    }

    /// The same start-up as `tagstation hub` and the demo: `Hub::open`, then serve.
    fn start_with(
        database: &str,
        addr: &str,
        tls: Option<tagstation::hub::server::Tls>,
    ) -> TestHub {
        let hub = tagstation::hub::Hub::open(tagstation::hub::HubOptions {
            database: database.into(),
            admin_token: ADMIN_TOKEN.into(),
            tls,
            worker_threads: Some(2),
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

    pub fn addr(&self) -> String {
        self.url.split("://").nth(1).unwrap_or_default().to_string()
    }

    pub fn stop(mut self) -> (String, String) {
        self.shutdown_now();
        (self.database.clone(), self.addr())
    }

    fn shutdown_now(&mut self) {
        if let Some(r) = self.running.take() {
            if let Err(e) = r.stop() {
                eprintln!("test hub stopped with an error: {e:?}");
            }
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

fn bind_retry(addr: &str) -> std::net::TcpListener {
    for _ in 0..100 {
        if let Ok(l) = std::net::TcpListener::bind(addr) {
            return l;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("cannot bind {addr}");
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
