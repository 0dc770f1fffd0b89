//! The station's local store: one SQLite file that holds the event log and the
//! current state projected from it.
//!
//! Durability rules (see ARCHITECTURE.md, "Invariants"):
//! - WAL mode with `synchronous=FULL`: when [`Store::record`] returns `Ok`, the event is
//!   on disk. Only then may a station beep "saved".
//! - The event row, its sequence number and the projection update are one write
//!   transaction (`BEGIN IMMEDIATE`): the sequence number is allocated inside it, so
//!   numbers never repeat and never leave gaps, even with several processes.
//! - Anything the rules refuse leaves no trace: the transaction is rolled back.

pub use tagstation_core::event::Command;

mod audits;
mod directory;
mod ledger;
mod photos;
pub use photos::KeptPhoto;
mod read;
mod reads;
mod sync_state;
mod tags;
pub use ledger::op_error;
pub use tagstation_sql::projection as sql;
pub use tagstation_sql::{open_connection, schema, Result, StoreError};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use uuid::Uuid;

use schema::Flavor;
use sql::{Outcome, SqlProjection};
use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::event::{apply, base_version, Event, Mode};
pub use tagstation_core::view::{HistoryEntry, ItemView, LocationView, PersonView, UnitView};

/// File name of the station database inside the data directory.
pub const DB_FILE: &str = "tagstation.db";

/// Everything that can go wrong in the store, each kind distinct.

/// What the station knows about itself and its sync state.
#[derive(Debug, Clone, Serialize)]
pub struct StationInfo {
    pub station_id: Uuid,
    pub name: String,
    pub last_seq: i64,
    pub pending: i64,
    pub rejected: i64,
    pub conflicts: i64,
    pub pull_cursor: i64,
    pub hub_url: Option<String>,
    pub enrolled: bool,
    pub last_sync: Option<String>,
    pub last_error: Option<String>,
    /// Why nothing can be saved right now (a full disk, a read-only file), if so.
    pub read_only: Option<String>,
    /// This station's version.
    pub version: String,
    /// The hub's version, as it reported it on the last sync.
    pub hub_version: Option<String>,
    /// Why this station's queue waits for the hub: a kind of change the hub does not
    /// know yet (the hub is older). Cleared when the hub takes the queue again.
    pub waiting_for_hub_upgrade: Option<String>,
    /// Changes pulled from newer stations that this version cannot show or apply:
    /// kept, and applied once this station is updated.
    pub needs_update: i64,
}

/// What a scanned or typed code refers to.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Resolved {
    Unit {
        unit: UnitView,
    },
    Item {
        item: ItemView,
    },
    /// A badge.
    Person {
        person: PersonView,
    },
    /// A location's label.
    Location {
        location: LocationView,
    },
    /// A kit's tag: the kit with its units as they are now.
    Kit {
        kit: tagstation_ops::kits::KitView,
    },
    Unknown {
        code: String,
    },
}

/// The result of a recorded command: the durable event and what it changed.
pub use tagstation_ops::Recorded;

/// The station's database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    station_id: Uuid,
    clock: Arc<dyn Clock>,
    /// Set when the database could only be opened for reading; see [`Store::read_only`].
    read_only: Option<ReadOnlyWhy>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("station_id", &self.station_id)
            .finish()
    }
}

/// Open an existing database for reading only: when its file is read-only, or when
/// the disk is too full for SQLite to start its journal. `mode=ro` first; if even that
/// needs space it does not have, `immutable=1`, which reads the main file alone and is
/// used only when no journal is waiting to be checkpointed into it (nothing newer
/// than the main file can be hidden). Runs no migration.
fn open_read_only(path: &Path) -> Result<Connection> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI;
    let uri = |param: &str| format!("file:{}?{param}", path.display());
    let opened = |conn: Connection| -> Result<Connection> {
        conn.busy_timeout(Duration::from_secs(10))?;
        schema::check_version(&conn)?;
        Ok(conn)
    };
    let open_err = |source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    };
    let first = match Connection::open_with_flags(uri("mode=ro"), flags) {
        Ok(conn) => match opened(conn) {
            Ok(conn) => return Ok(conn),
            Err(e) => e,
        },
        Err(e) => open_err(e),
    };
    let wal_pending = std::fs::metadata(path.with_extension("db-wal")).is_ok_and(|m| m.len() > 0);
    if wal_pending {
        return Err(first);
    }
    opened(Connection::open_with_flags(uri("immutable=1"), flags).map_err(open_err)?)
}

/// Why a station database was opened for reading only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOnlyWhy {
    /// The file's mode allows its owner no writes (an operator's `chmod 0444`).
    FileMode(u32),
    /// SQLite could not write at open: the disk is full (or failing).
    Storage(String),
}

impl std::fmt::Display for ReadOnlyWhy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadOnlyWhy::FileMode(mode) => write!(
                f,
                "the database file is read-only (mode {mode:04o}); make it writable to save scans"
            ),
            ReadOnlyWhy::Storage(e) => write!(
                f,
                "storage full: nothing can be saved until space is freed ({e})"
            ),
        }
    }
}

/// The permission bits of `path` when its owner may not write it.
fn read_only_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o7777;
        (mode & 0o200 == 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Did opening fail because SQLite could not write (a full or failing disk)?
fn is_storage_failure(e: &StoreError) -> bool {
    let io = |e: &rusqlite::Error| {
        matches!(
            e.sqlite_error_code(),
            Some(ErrorCode::SystemIoFailure | ErrorCode::DiskFull)
        )
    };
    match e {
        StoreError::StorageFull(_) => true,
        StoreError::Sqlite(e) | StoreError::Open { source: e, .. } => io(e),
        _ => false,
    }
}

impl Store {
    /// Open (creating if needed) the store in a data directory.
    pub fn open(dir: &Path) -> Result<Store> {
        Self::open_with_clock(dir, Arc::new(SystemClock))
    }

    pub fn open_with_clock(dir: &Path, clock: Arc<dyn Clock>) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let (conn, read_only) = Self::connect(&path)?;
        let existing: Option<String> = conn
            .query_row("SELECT id FROM station", [], |r| r.get(0))
            .optional()?;
        let station_id = match existing {
            Some(s) => Uuid::parse_str(&s).map_err(|e| {
                StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                ))
            })?,
            None if read_only.is_some() => {
                return Err(StoreError::ReadOnly(format!(
                    "{} holds no station yet and cannot be written",
                    path.display()
                )))
            }
            None => {
                let id = Uuid::now_v7();
                let name = default_station_name();
                conn.execute(
                    "INSERT INTO station (only_row, id, name, last_seq) VALUES (1, ?1, ?2, 0)",
                    params![id.to_string(), name],
                )?;
                tracing::info!(station = %id, %name, path = %path.display(), "new station database");
                id
            }
        };
        let mut store = Store {
            conn,
            path,
            station_id,
            clock,
            read_only,
        };
        if store.read_only.is_none() {
            // Changes a previous version kept because it did not know their kind.
            if let Err(e) = store.apply_now_known() {
                tracing::error!(error = %e, "could not apply changes kept by an older version; will try at the next start");
            }
        }
        Ok(store)
    }

    /// Open the store in a data directory that must already hold one (made by
    /// `tagstation init` or any change): for commands that only read, so that looking
    /// at an empty folder never creates a database there.
    pub fn open_existing(dir: &Path) -> Result<Store> {
        if !dir.join(DB_FILE).exists() {
            return Err(StoreError::NoStation(dir.to_path_buf()));
        }
        Self::open(dir)
    }

    /// Open the station database for writing, or for reading only when its file is
    /// read-only or the disk is too full to write: reads still work then, and every
    /// write is refused with the reason until [`Store::writable`] can reopen it.
    fn connect(path: &Path) -> Result<(Connection, Option<ReadOnlyWhy>)> {
        if let Some(mode) = read_only_mode(path) {
            tracing::warn!(path = %path.display(), mode = format!("{mode:04o}"),
                "database file is read-only: reading only, nothing can be saved");
            return Ok((open_read_only(path)?, Some(ReadOnlyWhy::FileMode(mode))));
        }
        match open_connection(path, Flavor::Station) {
            Ok(conn) => Ok((conn, None)),
            Err(e) if path.exists() && is_storage_failure(&e) => {
                let why = ReadOnlyWhy::Storage(e.to_string());
                let conn = open_read_only(path).map_err(|_| e)?;
                tracing::error!(path = %path.display(), error = %why,
                    "cannot write the database: reading only until space is freed");
                Ok((conn, Some(why)))
            }
            Err(e) => Err(e),
        }
    }

    /// Why nothing can be saved right now, if the database is open for reading only.
    pub fn read_only(&self) -> Option<&ReadOnlyWhy> {
        self.read_only.as_ref()
    }

    /// Before every write: a store opened for reading only tries to open the database
    /// for writing again (space may have been freed, or the mode changed), and refuses
    /// the write with the reason if it still cannot.
    fn writable(&mut self) -> Result<()> {
        let Some(why) = &self.read_only else {
            return Ok(());
        };
        let refusal = |why: &ReadOnlyWhy| match why {
            ReadOnlyWhy::FileMode(_) => StoreError::ReadOnly(why.to_string()),
            ReadOnlyWhy::Storage(e) => StoreError::StorageFull(e.clone()),
        };
        match Self::connect(&self.path) {
            Ok((conn, None)) => {
                tracing::info!(path = %self.path.display(), "database writable again");
                self.conn = conn;
                self.read_only = None;
                Ok(())
            }
            Ok((_, Some(now))) => {
                let e = refusal(&now);
                self.read_only = Some(now);
                Err(e)
            }
            Err(_) => Err(refusal(why)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn station_id(&self) -> Uuid {
        self.station_id
    }

    /// Test hook: the raw connection, for tests that inspect or damage the file.
    #[cfg(feature = "test-support")]
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Test hook: limit the database size, in pages, to test a full disk for real.
    #[cfg(feature = "test-support")]
    pub fn set_max_pages(&self, pages: i64) -> Result<()> {
        self.conn
            .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
        Ok(())
    }

    /// Record one change durably: allocate the next sequence number, check the rules,
    /// write the event and update the projection, all in one transaction. When this
    /// returns `Ok` the event survives a power cut.
    pub fn record(&mut self, cmd: Command) -> Result<Recorded> {
        let mut done = self.record_batch(vec![cmd]).map_err(|(_, e)| e)?;
        Ok(done.remove(0))
    }

    /// Record several changes in one transaction: all of them or none. On error,
    /// returns the index of the command that failed.
    pub fn record_batch(
        &mut self,
        cmds: Vec<Command>,
    ) -> std::result::Result<Vec<Recorded>, (usize, StoreError)> {
        self.writable().map_err(|e| (0, e))?;
        let (wall_time_ms, clock_synced) = self.clock.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| (0, e.into()))?;
        let mut done = Vec::with_capacity(cmds.len());
        for (i, cmd) in cmds.into_iter().enumerate() {
            let rec = record_in(&tx, self.station_id, wall_time_ms, clock_synced, cmd)
                .map_err(|e| (i, e))?;
            done.push(rec);
        }
        tx.commit()
            .map_err(|e| (done.len().saturating_sub(1), e.into()))?;
        Ok(done)
    }

    /// Check several changes by every rule exactly as [`Store::record_batch`] would,
    /// inside a transaction that is then rolled back: nothing is recorded, no sequence
    /// number is used. A dry run.
    pub fn rehearse_batch(
        &mut self,
        cmds: Vec<Command>,
    ) -> std::result::Result<(), (usize, StoreError)> {
        self.writable().map_err(|e| (0, e))?;
        let (wall_time_ms, clock_synced) = self.clock.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| (0, e.into()))?;
        for (i, cmd) in cmds.into_iter().enumerate() {
            record_in(&tx, self.station_id, wall_time_ms, clock_synced, cmd).map_err(|e| (i, e))?;
        }
        tx.rollback().map_err(|e| (0, e.into()))
    }
}

/// Allocate the next sequence number inside the caller's write transaction, check the
/// rules and write the event with its projection update.
fn record_in(
    tx: &Connection,
    station_id: Uuid,
    wall_time_ms: i64,
    clock_synced: bool,
    cmd: Command,
) -> Result<Recorded> {
    let seq: i64 = tx.query_row(
        "UPDATE station SET last_seq = last_seq + 1 RETURNING last_seq",
        [],
        |r| r.get(0),
    )?;
    let mut proj = SqlProjection(tx);
    let base_version = base_version(&mut proj, &cmd.kind, cmd.item_id, cmd.unit_id)?;
    let event = Event {
        id: Uuid::now_v7(),
        station_id,
        station_seq: seq,
        actor: cmd.actor,
        wall_time_ms,
        clock_synced,
        item_id: cmd.item_id,
        unit_id: cmd.unit_id,
        base_version,
        scan: cmd.scan,
        kind: cmd.kind,
    };
    // The input rules the hub checks again on push: a change that breaks them is
    // refused here, before it takes a sequence number.
    event.check().map_err(StoreError::from)?;
    let applied = apply(&mut proj, &event, Mode::Full)?;
    let outcome = Outcome {
        applied: true,
        conflict: false,
        note: None,
    };
    sql::insert_event(tx, &event, None, &outcome, &applied.units)?;
    tracing::debug!(event = %event.id, seq, kind = event.kind.name(), "recorded");
    Ok(Recorded {
        event,
        units: applied.units,
    })
}

/// The one match of a lookup ([`tagstation_ops::one_of`]) as a store error.
fn one<T>(
    what: &'static str,
    reference: &str,
    found: Vec<T>,
    name: impl Fn(&T) -> String,
) -> Result<T> {
    tagstation_ops::one_of(what, reference, found, name).map_err(|e| match e {
        tagstation_ops::OpError::Ambiguous {
            what,
            reference,
            candidates,
        } => StoreError::Ambiguous {
            what,
            reference,
            candidates,
        },
        _ => StoreError::NotFound {
            what,
            reference: reference.into(),
        },
    })
}

fn default_station_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| {
            !s.is_empty() && tagstation_core::catalog::check_text("station name", s).is_ok()
        })
        .unwrap_or_else(|| "station".into())
}
