//! The hub's embedded SQLite backend.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use super::{
    admin_event, ingest, Held, Holding, HubError, HubStore, HubTx, Result, StationRow, Stats,
    TokenRow,
};
use tagstation_core::catalog::{Item, ItemId, Unit, UnitId};
use tagstation_core::clock::{rfc3339, Clock, SystemClock};
use tagstation_core::event::Command;
use tagstation_core::event::{Event, Projection};
use tagstation_core::proto::{LogEntry, PullResponse, PushResponse};
use tagstation_core::view::{self, HistoryEntry, ItemView, UnitView};
use tagstation_sql::projection::{self as sql, Outcome, SqlProjection};
use tagstation_sql::Flavor;
use tagstation_sql::{open_connection, StoreError};

/// File name of the hub database inside its data directory.
pub const HUB_DB_FILE: &str = "hub.db";

/// The hub on one SQLite file. One connection behind a mutex: SQLite has one writer
/// anyway, and every request is short.
pub struct SqliteHub {
    conn: Mutex<Connection>,
    hub_id: Uuid,
    path: PathBuf,
}

impl SqliteHub {
    /// Open `path`: a directory (the file `hub.db` inside it) or a database file.
    pub fn open(path: &Path) -> Result<SqliteHub> {
        let file = if path.extension().is_some_and(|e| e == "db" || e == "sqlite") {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| HubError::BadRequest(format!("{}: {e}", parent.display())))?;
            }
            path.to_path_buf()
        } else {
            std::fs::create_dir_all(path)
                .map_err(|e| HubError::BadRequest(format!("{}: {e}", path.display())))?;
            path.join(HUB_DB_FILE)
        };
        let conn = open_connection(&file, Flavor::Hub).map_err(|e| match e {
            StoreError::SchemaTooNew { found, supported } => {
                HubError::SchemaTooNew { found, supported }
            }
            other => HubError::Store(other),
        })?;
        let existing: Option<String> = conn
            .query_row("SELECT hub_id FROM hub_meta", [], |r| r.get(0))
            .optional()?;
        let hub_id = match existing {
            Some(s) => Uuid::parse_str(&s).map_err(|e| HubError::Corrupt(e.to_string()))?,
            None => {
                let id = Uuid::now_v7();
                conn.execute(
                    "INSERT INTO hub_meta (only_row, hub_id, last_hub_seq) VALUES (1, ?1, 0)",
                    [id.to_string()],
                )?;
                id
            }
        };
        Ok(SqliteHub {
            conn: Mutex::new(conn),
            hub_id,
            path: file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-done transaction behind
        // (rusqlite rolls back on drop), so the connection is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write<T>(&self, f: impl FnOnce(&mut SqliteTx<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&mut SqliteTx(&tx))?;
        tx.commit()?;
        Ok(out)
    }
}

/// [`HubTx`] over an open SQLite transaction.
pub struct SqliteTx<'c>(&'c Connection);

impl Projection for SqliteTx<'_> {
    type Error = HubError;
    fn item(&mut self, id: ItemId) -> Result<Option<Item>> {
        Ok(SqlProjection(self.0).item(id)?)
    }
    fn item_by_name(&mut self, name: &str) -> Result<Option<Item>> {
        Ok(SqlProjection(self.0).item_by_name(name)?)
    }
    fn item_by_barcode(&mut self, barcode: &str) -> Result<Option<Item>> {
        Ok(SqlProjection(self.0).item_by_barcode(barcode)?)
    }
    fn put_item(&mut self, item: &Item) -> Result<()> {
        Ok(SqlProjection(self.0).put_item(item)?)
    }
    fn unit(&mut self, id: UnitId) -> Result<Option<Unit>> {
        Ok(SqlProjection(self.0).unit(id)?)
    }
    fn unit_by_tag(&mut self, tag: &str) -> Result<Option<Unit>> {
        Ok(SqlProjection(self.0).unit_by_tag(tag)?)
    }
    fn units_of_item(&mut self, item: ItemId) -> Result<Vec<Unit>> {
        Ok(SqlProjection(self.0).units_of_item(item)?)
    }
    fn unit_named(&mut self, item: ItemId, name: &str) -> Result<Option<Unit>> {
        Ok(SqlProjection(self.0).unit_named(item, name)?)
    }
    fn put_unit(&mut self, unit: &Unit) -> Result<()> {
        Ok(SqlProjection(self.0).put_unit(unit)?)
    }
}

impl HubTx for SqliteTx<'_> {
    fn next_hub_seq(&mut self) -> Result<i64> {
        Ok(self.0.query_row(
            "UPDATE hub_meta SET last_hub_seq = last_hub_seq + 1 RETURNING last_hub_seq",
            [],
            |r| r.get(0),
        )?)
    }
    fn held_by_id(&mut self, id: Uuid) -> Result<Option<Held>> {
        let row = |r: &rusqlite::Row| -> rusqlite::Result<(String, i64, Option<i64>)> {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        };
        let found = self
            .0
            .prepare_cached("SELECT station_id, station_seq, hub_seq FROM events WHERE id = ?1")?
            .query_row([id.to_string()], row)
            .optional()?;
        let found = match found {
            Some(f) => Some(f),
            None => self
                .0
                .prepare_cached(
                    "SELECT station_id, station_seq, NULL FROM quarantine WHERE event_id = ?1",
                )?
                .query_row([id.to_string()], row)
                .optional()?,
        };
        found
            .map(|(s, seq, hub_seq)| {
                Ok(Held {
                    id,
                    station_id: Uuid::parse_str(&s)
                        .map_err(|e| HubError::Corrupt(e.to_string()))?,
                    station_seq: seq,
                    hub_seq,
                })
            })
            .transpose()
    }
    fn contiguous(&mut self, station: Uuid) -> Result<i64> {
        Ok(self
            .0
            .prepare_cached("SELECT contiguous_seq FROM station_seqs WHERE station_id = ?1")?
            .query_row([station.to_string()], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }
    fn set_contiguous(&mut self, station: Uuid, seq: i64) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO station_seqs (station_id, contiguous_seq) VALUES (?1, ?2)
                 ON CONFLICT (station_id) DO UPDATE SET contiguous_seq = excluded.contiguous_seq",
            )?
            .execute(params![station.to_string(), seq])?;
        Ok(())
    }
    fn insert_event(
        &mut self,
        ev: &Event,
        hub_seq: i64,
        outcome: &Outcome,
        units: &[UnitId],
    ) -> Result<()> {
        Ok(sql::insert_event(
            self.0,
            ev,
            Some(hub_seq),
            outcome,
            units,
        )?)
    }
    fn quarantine(
        &mut self,
        station: Uuid,
        seq: i64,
        id: Uuid,
        reason: &str,
        body: &str,
    ) -> Result<()> {
        self.0.execute(
            "INSERT INTO quarantine (station_id, station_seq, event_id, reason, body, received_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                station.to_string(),
                seq,
                id.to_string(),
                reason,
                body,
                SystemClock.now().0
            ],
        )?;
        Ok(())
    }
}

fn station_row(r: &rusqlite::Row) -> rusqlite::Result<StationRow> {
    let id: Option<String> = r.get(1)?;
    let created: i64 = r.get(2)?;
    let revoked: Option<i64> = r.get(3)?;
    let seen: Option<i64> = r.get(4)?;
    Ok(StationRow {
        name: r.get(0)?,
        station_id: id.as_deref().and_then(|s| Uuid::parse_str(s).ok()),
        created: rfc3339(created),
        enrolled: id.is_some(),
        revoked: revoked.is_some(),
        last_seen: seen.map(rfc3339),
        contiguous_seq: r.get(5)?,
    })
}

impl HubStore for SqliteHub {
    fn backend(&self) -> &'static str {
        "sqlite"
    }
    fn hub_id(&self) -> Uuid {
        self.hub_id
    }

    fn create_station(
        &self,
        name: &str,
        code_hash: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<()> {
        tagstation_core::catalog::check_text("station name", name)
            .map_err(tagstation_core::event::DomainError::from)?;
        let conn = self.lock();
        let n = conn.execute(
            "INSERT INTO stations (name, created_ms, enroll_hash, enroll_expires_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO NOTHING",
            params![name, now_ms, code_hash, expires_ms],
        )?;
        if n == 0 {
            return Err(HubError::Exists(format!("station {name:?}")));
        }
        Ok(())
    }

    fn enroll(
        &self,
        code_hash: &str,
        station_id: Uuid,
        token_id: &str,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<String> {
        self.write(|tx| {
            let name: Option<String> = tx
                .0
                .query_row(
                    "SELECT name FROM stations WHERE enroll_hash = ?1 AND enroll_expires_ms > ?2 AND revoked_ms IS NULL",
                    params![code_hash, now_ms],
                    |r| r.get(0),
                )
                .optional()?;
            let name = name.ok_or(HubError::BadCode)?;
            let taken: Option<String> = tx
                .0
                .query_row("SELECT name FROM stations WHERE station_id = ?1", [station_id.to_string()], |r| r.get(0))
                .optional()?;
            if let Some(other) = taken {
                return Err(HubError::Exists(format!("station id {station_id} is already enrolled as {other:?}")));
            }
            // An id whose events the hub already holds (the hub's own admin edits, a
            // station enrolled before) is not free, even with no station row bound to it.
            let known: Option<i64> = tx
                .0
                .query_row("SELECT 1 FROM station_seqs WHERE station_id = ?1", [station_id.to_string()], |r| r.get(0))
                .optional()?;
            if known.is_some() {
                return Err(HubError::Exists(format!("station id {station_id} already has events at this hub")));
            }
            tx.0.execute(
                "UPDATE stations SET station_id = ?2, token_id = ?3, token_hash = ?4, enroll_hash = NULL,
                   enroll_expires_ms = NULL, last_seen_ms = ?5 WHERE name = ?1",
                params![name, station_id.to_string(), token_id, token_hash, now_ms],
            )?;
            Ok(name)
        })
    }

    fn token(&self, token_id: &str) -> Result<Option<TokenRow>> {
        let conn = self.lock();
        let row = conn
            .prepare_cached(
                "SELECT name, station_id, token_hash, revoked_ms FROM stations WHERE token_id = ?1",
            )?
            .query_row([token_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                ))
            })
            .optional()?;
        row.map(|(name, id, token_hash, revoked)| {
            Ok(TokenRow {
                name,
                station_id: Uuid::parse_str(&id).map_err(|e| HubError::Corrupt(e.to_string()))?,
                token_hash,
                revoked: revoked.is_some(),
            })
        })
        .transpose()
    }

    fn revoke(&self, name: &str, now_ms: i64) -> Result<()> {
        let n = self.lock().execute(
            "UPDATE stations SET revoked_ms = COALESCE(revoked_ms, ?2), enroll_hash = NULL WHERE name = ?1",
            params![name, now_ms],
        )?;
        if n == 0 {
            return Err(HubError::NotFound(format!("station {name:?}")));
        }
        Ok(())
    }

    fn stations(&self) -> Result<Vec<StationRow>> {
        let conn = self.lock();
        let mut st = conn.prepare_cached(
            "SELECT s.name, s.station_id, s.created_ms, s.revoked_ms, s.last_seen_ms, COALESCE(q.contiguous_seq, 0)
             FROM stations s LEFT JOIN station_seqs q ON q.station_id = s.station_id ORDER BY s.name",
        )?;
        let rows = st
            .query_map([], station_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn touch(&self, station: Uuid, now_ms: i64) -> Result<()> {
        self.lock()
            .prepare_cached("UPDATE stations SET last_seen_ms = ?2 WHERE station_id = ?1")?
            .execute(params![station.to_string(), now_ms])?;
        Ok(())
    }

    fn push(&self, station: Uuid, events: &[serde_json::Value]) -> Result<PushResponse> {
        self.write(|tx| ingest(tx, station, events, false))
    }

    fn pull(&self, after: i64, limit: usize) -> Result<PullResponse> {
        let conn = self.lock();
        let mut rows = sql::select_events(
            &conn,
            "WHERE e.hub_seq > ?1 ORDER BY e.hub_seq LIMIT ?2",
            params![after, limit as i64 + 1],
        )?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let cursor = rows.last().and_then(|r| r.hub_seq).unwrap_or(after);
        let events = rows
            .into_iter()
            .filter_map(|s| {
                Some(LogEntry {
                    hub_seq: s.hub_seq?,
                    applied: s.outcome.applied,
                    conflict: s.outcome.conflict,
                    note: s.outcome.note,
                    event: s.event,
                })
            })
            .collect();
        Ok(PullResponse {
            events,
            cursor,
            more,
        })
    }

    fn admin_record(&self, cmd: Command) -> Result<LogEntry> {
        let hub_id = self.hub_id;
        self.write(|tx| admin_event(tx, hub_id, cmd, SystemClock.now()))
    }

    fn items(&self) -> Result<Vec<ItemView>> {
        let conn = self.lock();
        let items = sql::select_items(&conn, "ORDER BY name", [])?;
        let mut p = SqlProjection(&conn);
        Ok(items
            .iter()
            .map(|i| view::item_view(&mut p, i))
            .collect::<rusqlite::Result<_>>()?)
    }

    fn units(&self, item: Option<ItemId>) -> Result<Vec<UnitView>> {
        let conn = self.lock();
        let units = match item {
            Some(i) => sql::select_units(
                &conn,
                "WHERE item_id = ?1 AND active = 1 ORDER BY name",
                [i.to_string()],
            )?,
            None => sql::select_units(&conn, "WHERE active = 1 ORDER BY name", [])?,
        };
        let mut p = SqlProjection(&conn);
        Ok(units
            .iter()
            .map(|u| view::unit_view(&mut p, u))
            .collect::<rusqlite::Result<_>>()?)
    }

    fn find_unit(&self, reference: &str) -> Result<UnitView> {
        let conn = self.lock();
        let mut p = SqlProjection(&conn);
        let unit = match p.unit_by_tag(reference)? {
            Some(u) => Some(u),
            None => sql::select_units(&conn, "WHERE id = ?1", [reference])?.pop(),
        };
        let unit = unit.ok_or_else(|| HubError::NotFound(format!("unit {reference:?}")))?;
        Ok(view::unit_view(&mut p, &unit)?)
    }

    fn unit_history(&self, unit: UnitId) -> Result<Vec<HistoryEntry>> {
        let conn = self.lock();
        Ok(sql::unit_history(&conn, unit)?
            .into_iter()
            .map(|s| view::history_entry(s, None))
            .collect())
    }

    fn holdings(&self) -> Result<Vec<Holding>> {
        let conn = self.lock();
        let units = sql::select_units(
            &conn,
            "WHERE active = 1 AND status = 'checked_out' ORDER BY holder, name",
            [],
        )?;
        let mut p = SqlProjection(&conn);
        units
            .iter()
            .map(|u| {
                Ok(Holding {
                    holder: u.holder.clone().unwrap_or_default(),
                    unit: view::unit_view(&mut p, u)?,
                })
            })
            .collect()
    }

    fn conflicts(&self) -> Result<Vec<HistoryEntry>> {
        let conn = self.lock();
        Ok(sql::select_events(
            &conn,
            "WHERE e.conflict = 1 AND NOT EXISTS (SELECT 1 FROM reviewed r WHERE r.event_id = e.id)
             ORDER BY e.hub_seq",
            [],
        )?
        .into_iter()
        .map(|s| view::history_entry(s, None))
        .collect())
    }

    fn resolve_conflict(&self, event: Uuid) -> Result<()> {
        let conn = self.lock();
        if !sql::exists(
            &conn,
            "SELECT 1 FROM events WHERE id = ?1 AND conflict = 1",
            [event.to_string()],
        )? {
            return Err(HubError::NotFound(format!("conflict {event}")));
        }
        conn.execute(
            "INSERT OR IGNORE INTO reviewed (event_id, reviewed_ms) VALUES (?1, ?2)",
            params![event.to_string(), SystemClock.now().0],
        )?;
        Ok(())
    }

    fn stats(&self) -> Result<Stats> {
        let conn = self.lock();
        let q = |sql: &str| -> Result<i64> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
        Ok(Stats {
            hub_seq: q("SELECT last_hub_seq FROM hub_meta")?,
            events: q("SELECT COUNT(*) FROM events")?,
            conflicts_open: q(
                "SELECT COUNT(*) FROM events e WHERE conflict = 1 AND NOT EXISTS (SELECT 1 FROM reviewed r WHERE r.event_id = e.id)",
            )?,
            quarantined: q("SELECT COUNT(*) FROM quarantine")?,
            stations: q("SELECT COUNT(*) FROM stations WHERE revoked_ms IS NULL")?,
            items: q("SELECT COUNT(*) FROM items")?,
            units: q("SELECT COUNT(*) FROM units WHERE active = 1")?,
        })
    }
}
