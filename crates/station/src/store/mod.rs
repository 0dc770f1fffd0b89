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

mod ledger;
pub use ledger::op_error;
pub use tagstation_sql::projection as sql;
pub use tagstation_sql::{open_connection, schema, Result, StoreError};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use uuid::Uuid;

use schema::Flavor;
use sql::{Outcome, SqlProjection, StoredEvent};
use tagstation_core::catalog::{Item, ItemId, Totals, Tracking, Unit, UnitId};
use tagstation_core::clock::{rfc3339, Clock, SystemClock};
use tagstation_core::event::{
    apply, base_version, ApplyError, DomainError, Event, Mode, Projection,
};
use tagstation_core::view;
pub use tagstation_core::view::{HistoryEntry, ItemView, UnitView};

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
}

/// What a scanned or typed code refers to.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Resolved {
    Unit { unit: UnitView },
    Item { item: ItemView },
    Unknown { code: String },
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
        Ok(Store {
            conn,
            path,
            station_id,
            clock,
            read_only,
        })
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

    // ---- reads -------------------------------------------------------------------

    pub fn info(&self) -> Result<StationInfo> {
        let (name, last_seq, pull_cursor, hub_url, token, last_sync, last_error): (
            String,
            i64,
            i64,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
        ) = self.conn.query_row(
            "SELECT name, last_seq, pull_cursor, hub_url, token, last_sync_ms, last_error FROM station",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
        )?;
        let me = self.station_id.to_string();
        let count =
            |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [&me], |r| r.get(0))?) };
        Ok(StationInfo {
            station_id: self.station_id,
            name,
            last_seq,
            pending: count(
                "SELECT COUNT(*) FROM events WHERE station_id = ?1 AND hub_seq IS NULL AND rejected IS NULL",
            )?,
            rejected: count("SELECT COUNT(*) FROM events WHERE station_id = ?1 AND rejected IS NOT NULL")?,
            conflicts: count("SELECT COUNT(*) FROM events WHERE conflict = 1 AND ?1 IS NOT NULL")?,
            pull_cursor,
            enrolled: token.is_some(),
            hub_url,
            last_sync: last_sync.map(rfc3339),
            last_error,
            read_only: self.read_only.as_ref().map(ToString::to_string),
        })
    }

    pub fn set_station_name(&mut self, name: &str) -> Result<()> {
        tagstation_core::catalog::check_text("station name", name).map_err(DomainError::from)?;
        self.conn.execute("UPDATE station SET name = ?1", [name])?;
        Ok(())
    }

    pub fn item_view(&self, item: &Item) -> Result<ItemView> {
        Ok(view::item_view(&mut SqlProjection(&self.conn), item)?)
    }

    pub fn items(&self) -> Result<Vec<ItemView>> {
        sql::select_items(&self.conn, "ORDER BY name", [])?
            .iter()
            .map(|i| self.item_view(i))
            .collect()
    }

    /// Find an item by id, exact name, SKU or barcode.
    pub fn find_item(&self, reference: &str) -> Result<Item> {
        let found = sql::select_items(
            &self.conn,
            "WHERE id = ?1 OR name = ?1 OR sku = ?1 OR barcode = ?1",
            [reference],
        )?;
        one("item", reference, found, |i| i.name.clone())
    }

    pub fn unit_view(&self, unit: &Unit) -> Result<UnitView> {
        Ok(view::unit_view(&mut SqlProjection(&self.conn), unit)?)
    }

    /// Units of one item or of all items, active ones unless `all`.
    pub fn units(&self, item: Option<ItemId>, all: bool) -> Result<Vec<UnitView>> {
        let active = if all { "" } else { "AND active = 1" };
        let found = match item {
            Some(i) => sql::select_units(
                &self.conn,
                &format!("WHERE item_id = ?1 {active} ORDER BY name"),
                [i.to_string()],
            )?,
            None => sql::select_units(
                &self.conn,
                &format!("WHERE 1 = 1 {active} ORDER BY name"),
                [],
            )?,
        };
        found.iter().map(|u| self.unit_view(u)).collect()
    }

    /// Every location recorded on an active unit, sorted.
    pub fn locations(&self) -> Result<Vec<String>> {
        let mut st = self.conn.prepare_cached(
            "SELECT DISTINCT location FROM units WHERE active = 1 AND location IS NOT NULL ORDER BY location",
        )?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Active units recorded at one location.
    pub fn units_at(&self, location: &str) -> Result<Vec<UnitView>> {
        let found = sql::select_units(
            &self.conn,
            "WHERE active = 1 AND location = ?1 ORDER BY name",
            [location],
        )?;
        found.iter().map(|u| self.unit_view(u)).collect()
    }

    /// Record an audit: its per-unit events and its summary, in one transaction (all
    /// or nothing, durable when this returns `Ok`).
    pub fn record_audit(
        &mut self,
        summary: &crate::audit::AuditSummary,
        cmds: Vec<Command>,
    ) -> Result<Vec<Recorded>> {
        let (wall_time_ms, clock_synced) = self.clock.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut done = Vec::with_capacity(cmds.len());
        for cmd in cmds {
            done.push(record_in(
                &tx,
                self.station_id,
                wall_time_ms,
                clock_synced,
                cmd,
            )?);
        }
        let detail = serde_json::json!({
            "found": summary.found,
            "missing": summary.missing,
            "unexpected": summary.unexpected,
        });
        tx.execute(
            "INSERT INTO audits (id, location, actor, finished_ms, expected, found, missing, unexpected, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                summary.id.to_string(),
                summary.location,
                summary.actor,
                wall_time_ms,
                summary.expected as i64,
                summary.found.len() as i64,
                summary.missing.len() as i64,
                summary.unexpected.len() as i64,
                detail.to_string(),
            ],
        )?;
        tx.commit()?;
        tracing::info!(audit = %summary.id, result = %summary.describe(), "audit recorded");
        Ok(done)
    }

    /// Summaries of recorded audits, newest first: (location, finished at, found,
    /// missing, unexpected).
    pub fn audits(&self) -> Result<Vec<(String, String, i64, i64, i64)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT location, finished_ms, found, missing, unexpected FROM audits ORDER BY finished_ms DESC",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                rfc3339(r.get(1)?),
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Units checked out and past their due date.
    pub fn overdue(&self) -> Result<Vec<UnitView>> {
        let found = sql::select_units(
            &self.conn,
            "WHERE active = 1 AND status = 'checked_out' AND due IS NOT NULL AND due < ?1 ORDER BY due",
            [tagstation_core::clock::today()],
        )?;
        found.iter().map(|u| self.unit_view(u)).collect()
    }

    /// A unit by its id (folded ones too).
    pub fn unit(&self, id: UnitId) -> Result<Unit> {
        SqlProjection(&self.conn)
            .unit(id)?
            .ok_or_else(|| StoreError::NotFound {
                what: "unit",
                reference: id.to_string(),
            })
    }

    /// Find an active unit by asset tag, id or exact name ("Drill 03").
    pub fn find_unit(&self, reference: &str) -> Result<Unit> {
        if let Some(u) = SqlProjection(&self.conn).unit_by_tag(reference)? {
            return Ok(u);
        }
        let found = sql::select_units(
            &self.conn,
            "WHERE active = 1 AND (id = ?1 OR name = ?1)",
            [reference],
        )?;
        one("unit", reference, found, |u| u.name.clone())
    }

    /// What a scanned code refers to, from local data only (no network).
    pub fn resolve(&self, code: &str) -> Result<Resolved> {
        // A code too long to be a label, or holding control characters, is refused
        // here rather than echoed back as "unknown".
        if !code.is_empty() {
            tagstation_core::catalog::check_scan(code)
                .map_err(|e| StoreError::Domain(DomainError::Text(e)))?;
        }
        let mut p = SqlProjection(&self.conn);
        if let Some(u) = p.unit_by_tag(code)? {
            return Ok(Resolved::Unit {
                unit: self.unit_view(&u)?,
            });
        }
        if let Some(i) = p.item_by_barcode(code)? {
            return Ok(Resolved::Item {
                item: self.item_view(&i)?,
            });
        }
        // A manufacturer's GS1 code: the GTIN names the item (by its barcode), the
        // serial names the unit (by asset tag or its `serial` field).
        if let Ok(gs1) = tagstation_core::scan::gs1::parse(code) {
            if let Some(gtin) = &gs1.gtin {
                // GTIN-14 with a leading 0 is the EAN-13 printed on the box.
                let short = gtin.strip_prefix('0').unwrap_or(gtin);
                let item = match p.item_by_barcode(gtin)? {
                    Some(i) => Some(i),
                    None => p.item_by_barcode(short)?,
                };
                if let Some(item) = item {
                    if let Some(serial) = &gs1.serial {
                        let unit = sql::select_units(
                            &self.conn,
                            "WHERE item_id = ?1 AND active = 1 AND (asset_tag = ?2 OR json_extract(fields, '$.serial') = ?2) LIMIT 1",
                            params![item.id.to_string(), serial],
                        )?
                        .pop();
                        if let Some(u) = unit {
                            return Ok(Resolved::Unit {
                                unit: self.unit_view(&u)?,
                            });
                        }
                    }
                    return Ok(Resolved::Item {
                        item: self.item_view(&item)?,
                    });
                }
            }
        }
        Ok(Resolved::Unknown { code: code.into() })
    }

    /// Everything that happened to one unit, when and by whom: one query.
    pub fn history(&self, unit: UnitId) -> Result<Vec<HistoryEntry>> {
        let rows = sql::unit_history(&self.conn, unit)?;
        Ok(rows
            .into_iter()
            .map(|s| view::history_entry(s, None))
            .collect())
    }

    /// The item-level history (creation, counts, tracking switches) of one item.
    pub fn item_history(&self, item: ItemId) -> Result<Vec<HistoryEntry>> {
        let rows = sql::select_events(
            &self.conn,
            "WHERE e.item_id = ?1 ORDER BY e.hub_seq IS NULL, e.hub_seq, e.pos",
            [item.to_string()],
        )?;
        Ok(rows
            .into_iter()
            .map(|s| view::history_entry(s, None))
            .collect())
    }

    /// The whole log in canonical order.
    pub fn all_history(&self) -> Result<Vec<HistoryEntry>> {
        let mut st = self.conn.prepare_cached(
            "SELECT e.id, e.rejected FROM events e ORDER BY e.hub_seq IS NULL, e.hub_seq, e.pos",
        )?;
        let rejected: BTreeMap<String, Option<String>> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let rows = sql::select_events(
            &self.conn,
            "ORDER BY e.hub_seq IS NULL, e.hub_seq, e.pos",
            [],
        )?;
        Ok(rows
            .into_iter()
            .map(|s| {
                let r = rejected.get(&s.event.id.to_string()).cloned().flatten();
                view::history_entry(s, r)
            })
            .collect())
    }

    /// Events flagged as conflicts, for review.
    pub fn conflicts(&self) -> Result<Vec<HistoryEntry>> {
        let rows = sql::select_events(&self.conn, "WHERE e.conflict = 1 ORDER BY e.hub_seq", [])?;
        Ok(rows
            .into_iter()
            .map(|s| view::history_entry(s, None))
            .collect())
    }

    /// Recount every unit-tracked item's totals from its units and compare with
    /// what [`Store::item_view`] reports; returns the mismatches (should be none).
    pub fn check_consistency(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        for item in sql::select_items(&self.conn, "", [])? {
            let view = self.item_view(&item)?;
            if item.tracking == Tracking::Units {
                let mut recount = Totals::default();
                for u in sql::select_units(&self.conn, "WHERE item_id = ?1", [item.id.to_string()])?
                {
                    if u.counts() {
                        recount.add(u.status, 1);
                    }
                }
                if recount.full() != view.totals {
                    problems.push(format!("{}: totals differ from a recount", item.name));
                }
            }
            if view.totals.values().any(|v| *v < 0) {
                problems.push(format!("{}: negative total", item.name));
            }
        }
        let gaps: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM (SELECT station_id, MAX(station_seq) AS m, COUNT(*) AS n
               FROM events GROUP BY station_id) WHERE m != n",
            [],
            |r| r.get(0),
        )?;
        let mine: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM events WHERE station_id = ?1",
            [self.station_id.to_string()],
            |r| r.get(0),
        )?;
        let last_seq: i64 = self
            .conn
            .query_row("SELECT last_seq FROM station", [], |r| r.get(0))?;
        if mine != last_seq {
            problems.push(format!(
                "{mine} own events but the sequence is at {last_seq}"
            ));
        }
        let _ = gaps; // other stations' events arrive in hub order, gaps are theirs to close
        Ok(problems)
    }

    // ---- sync --------------------------------------------------------------------

    /// Hub address and token, if the station is enrolled.
    pub fn hub(&self) -> Result<Option<(String, String)>> {
        Ok(self
            .conn
            .query_row("SELECT hub_url, token FROM station", [], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                ))
            })
            .map(|(u, t)| u.zip(t))?)
    }

    /// A CA certificate (PEM) to trust for the hub, if it was given at enrollment.
    pub fn hub_ca(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT hub_ca_pem FROM station", [], |r| r.get(0))?)
    }

    /// Trust this CA certificate (PEM) for the hub, or clear it.
    pub fn set_hub_ca(&mut self, pem: Option<&str>) -> Result<()> {
        self.conn
            .execute("UPDATE station SET hub_ca_pem = ?1", [pem])?;
        Ok(())
    }

    /// Remember the hub and the token from enrollment.
    pub fn set_hub(&mut self, url: &str, token: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE station SET hub_url = ?1, token = ?2",
            params![url, token],
        )?;
        Ok(())
    }

    /// Own events not yet acknowledged by the hub, in sequence order.
    pub fn pending(&self, limit: usize) -> Result<Vec<Event>> {
        Ok(sql::select_events(
            &self.conn,
            "WHERE e.station_id = ?1 AND e.hub_seq IS NULL AND e.rejected IS NULL
             ORDER BY e.station_seq LIMIT ?2",
            params![self.station_id.to_string(), limit as i64],
        )?
        .into_iter()
        .map(|s| s.event)
        .collect())
    }

    /// Store the hub's answer to a push: accepted events get their place in the hub's
    /// order; refused ones are set aside with the reason (kept, never resent).
    pub fn mark_pushed(
        &mut self,
        results: &[(Uuid, std::result::Result<i64, String>)],
    ) -> Result<()> {
        self.writable()?;
        let mut refused_items: BTreeSet<ItemId> = BTreeSet::new();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut ok = tx.prepare_cached(
                "UPDATE events SET hub_seq = ?2 WHERE id = ?1 AND hub_seq IS NULL",
            )?;
            // Refused: kept in history as not applied, with the hub's reason.
            let mut bad = tx.prepare_cached(
                "UPDATE events SET rejected = ?2, applied = 0, note = 'refused by the hub: ' || ?2
                 WHERE id = ?1 AND rejected IS NULL RETURNING item_id",
            )?;
            for (id, r) in results {
                match r {
                    Ok(hub_seq) => {
                        ok.execute(params![id.to_string(), hub_seq])?;
                    }
                    Err(reason) => {
                        let item: Option<String> = bad
                            .query_row(params![id.to_string(), reason], |r| r.get(0))
                            .optional()?;
                        refused_items.extend(item.and_then(|i| Uuid::parse_str(&i).ok()));
                    }
                };
            }
        }
        // What the station showed included the refused change: show the state without it.
        if !refused_items.is_empty() {
            let cursor: i64 = tx.query_row("SELECT pull_cursor FROM station", [], |r| r.get(0))?;
            for item in refused_items {
                rebuild_item(&tx, item, cursor, self.station_id)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn pull_cursor(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT pull_cursor FROM station", [], |r| r.get(0))?)
    }

    /// Record the outcome of a sync attempt for `status` and the UI.
    pub fn set_sync_result(&mut self, error: Option<&str>) -> Result<()> {
        self.writable()?;
        let (now, _) = self.clock.now();
        match error {
            None => self.conn.execute(
                "UPDATE station SET last_sync_ms = ?1, last_error = NULL",
                [now],
            )?,
            Some(e) => self
                .conn
                .execute("UPDATE station SET last_error = ?1", [e])?,
        };
        Ok(())
    }

    /// Apply a page of the hub's log (events in hub order, each with the hub's
    /// verdict) and move the cursor, in one transaction.
    ///
    /// The projection is "the hub's log, then this station's not yet confirmed events
    /// on top". Items with no unconfirmed local events take the page incrementally.
    /// An item with unconfirmed local events is rebuilt from its log in that order,
    /// unless the page holds exactly those local events, in order, with the verdicts
    /// the station already applied (the common case: our own events coming back).
    pub fn apply_pulled(&mut self, page: &[StoredEvent], new_cursor: i64) -> Result<()> {
        self.writable()?;
        let me = self.station_id;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cursor: i64 = tx.query_row("SELECT pull_cursor FROM station", [], |r| r.get(0))?;
        if new_cursor < cursor {
            return Ok(()); // an old page, already applied
        }
        // Local events not yet confirmed (before this page), in the order they were made.
        let unconfirmed = sql::select_events(
            &tx,
            "WHERE e.station_id = ?1 AND (e.hub_seq IS NULL OR e.hub_seq > ?2) AND e.rejected IS NULL
             ORDER BY e.station_seq",
            params![me.to_string(), cursor],
        )?;
        let mut local_by_item: BTreeMap<ItemId, Vec<&StoredEvent>> = BTreeMap::new();
        for s in &unconfirmed {
            local_by_item.entry(s.event.item_id).or_default().push(s);
        }
        let mut page_by_item: BTreeMap<ItemId, Vec<&StoredEvent>> = BTreeMap::new();
        for s in page {
            page_by_item.entry(s.event.item_id).or_default().push(s);
        }

        // 1. Store the page's events with the hub's order and verdict.
        {
            let mut upd = tx.prepare_cached(
                "UPDATE events SET hub_seq = ?2, applied = ?3, conflict = ?4, note = ?5, rejected = NULL
                 WHERE id = ?1",
            )?;
            for s in page {
                let Some(hub_seq) = s.hub_seq else { continue };
                let changed = upd.execute(params![
                    s.event.id.to_string(),
                    hub_seq,
                    s.outcome.applied,
                    s.outcome.conflict,
                    s.outcome.note
                ])?;
                if changed == 0 {
                    sql::insert_event(&tx, &s.event, Some(hub_seq), &s.outcome, &[])?;
                }
            }
        }

        // 2. Bring the projection up to date, item by item.
        let mut rebuild: BTreeSet<ItemId> = BTreeSet::new();
        for (item, events) in &page_by_item {
            match local_by_item.get(item) {
                None => {
                    let mut p = SqlProjection(&tx);
                    for s in events {
                        if !s.outcome.applied {
                            // Refused by the hub: history only, linked to its unit.
                            sql::link_units(
                                &tx,
                                s.event.id,
                                &s.event.unit_id.into_iter().collect::<Vec<_>>(),
                            )?;
                            continue;
                        }
                        match apply(&mut p, &s.event, Mode::Trusted) {
                            Ok(a) => sql::link_units(&tx, s.event.id, &a.units)?,
                            Err(ApplyError::Store(e)) => return Err(e.into()),
                            Err(ApplyError::Domain(d)) => {
                                tracing::warn!(event = %s.event.id, error = %d,
                                    "hub applied an event this station cannot; rebuilding the item");
                                rebuild.insert(*item);
                            }
                        }
                    }
                }
                Some(local) => {
                    let echoes = events.len() <= local.len()
                        && events.iter().zip(local.iter()).all(|(p, l)| {
                            p.event.id == l.event.id
                                && p.outcome.applied == l.outcome.applied
                                && !p.outcome.conflict
                        });
                    if !echoes {
                        rebuild.insert(*item);
                    }
                }
            }
        }
        for item in rebuild {
            rebuild_item(&tx, item, new_cursor, me)?;
        }
        tx.execute("UPDATE station SET pull_cursor = ?1", [new_cursor])?;
        tx.commit()?;
        Ok(())
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

/// Replay one item's log in canonical order: events confirmed by the hub (with the
/// hub's verdicts), then this station's unconfirmed events (with fresh verdicts).
fn rebuild_item(tx: &Connection, item: ItemId, cursor: i64, me: Uuid) -> Result<()> {
    tx.execute("DELETE FROM units WHERE item_id = ?1", [item.to_string()])?;
    tx.execute("DELETE FROM items WHERE id = ?1", [item.to_string()])?;
    let confirmed = sql::select_events(
        tx,
        "WHERE e.item_id = ?1 AND e.hub_seq IS NOT NULL AND e.hub_seq <= ?2 ORDER BY e.hub_seq",
        params![item.to_string(), cursor],
    )?;
    let local = sql::select_events(
        tx,
        "WHERE e.item_id = ?1 AND e.station_id = ?2 AND (e.hub_seq IS NULL OR e.hub_seq > ?3)
           AND e.rejected IS NULL ORDER BY e.station_seq",
        params![item.to_string(), me.to_string(), cursor],
    )?;
    let mut p = SqlProjection(tx);
    for s in &confirmed {
        if !s.outcome.applied {
            sql::link_units(
                tx,
                s.event.id,
                &s.event.unit_id.into_iter().collect::<Vec<_>>(),
            )?;
        } else {
            match apply(&mut p, &s.event, Mode::Trusted) {
                Ok(a) => sql::link_units(tx, s.event.id, &a.units)?,
                Err(ApplyError::Store(e)) => return Err(e.into()),
                Err(ApplyError::Domain(d)) => {
                    tracing::error!(event = %s.event.id, error = %d, "confirmed event does not replay")
                }
            }
        }
    }
    let mut verdict =
        tx.prepare_cached("UPDATE events SET applied = ?2, note = ?3 WHERE id = ?1")?;
    for s in &local {
        let (applied, note) = match apply(&mut p, &s.event, Mode::Full) {
            Ok(a) => {
                sql::link_units(tx, s.event.id, &a.units)?;
                (true, a.conflict)
            }
            Err(ApplyError::Store(e)) => return Err(e.into()),
            Err(ApplyError::Domain(d)) => {
                sql::link_units(
                    tx,
                    s.event.id,
                    &s.event.unit_id.into_iter().collect::<Vec<_>>(),
                )?;
                (false, Some(d.to_string()))
            }
        };
        verdict.execute(params![s.event.id.to_string(), applied, note])?;
    }
    Ok(())
}

fn one<T>(
    what: &'static str,
    reference: &str,
    mut found: Vec<T>,
    name: impl Fn(&T) -> String,
) -> Result<T> {
    match found.len() {
        0 => Err(StoreError::NotFound {
            what,
            reference: reference.into(),
        }),
        1 => Ok(found.remove(0)),
        _ => Err(StoreError::Ambiguous {
            what: if what == "unit" { "units" } else { "items" },
            reference: reference.into(),
            candidates: found.iter().map(name).collect::<Vec<_>>().join(", "),
        }),
    }
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
