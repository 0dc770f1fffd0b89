//! Helpers shared by the integration tests: temporary stations, the CLI binary,
//! a catalog to work with.
#![allow(dead_code)]

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
