//! The hub's PostgreSQL backend, for sites that outgrow one machine.
//!
//! Same tables and the same rules as [`super::sqlite`]; only the SQL dialect differs.
//! Uses the synchronous `postgres` client from the server's blocking pool: a writer
//! connection (ingest is serialised by the `hub_meta` counter row anyway) and a
//! reader connection for pulls and admin views.

use std::collections::BTreeMap;
use std::sync::Mutex;

use postgres::{Client, GenericClient, NoTls, Row};
use uuid::Uuid;

use super::{
    admin_event, ingest, Held, Holding, HubError, HubStore, HubTx, Result, StationRow, Stats,
    TokenRow,
};
use tagstation_core::catalog::{Item, ItemId, Status, Totals, Tracking, Unit, UnitId};
use tagstation_core::clock::{rfc3339, Clock, SystemClock};
use tagstation_core::event::Command;
use tagstation_core::event::{Event, EventKind, Projection};
use tagstation_core::proto::{LogEntry, PullResponse, PushResponse};
use tagstation_core::view::{self, HistoryEntry, ItemView, UnitView};
use tagstation_sql::projection::{Outcome, StoredEvent};

/// Schema migrations, in order; `hub_schema.version` says how many ran.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE events (
    id            TEXT PRIMARY KEY,
    station_id    TEXT NOT NULL,
    station_seq   BIGINT NOT NULL,
    hub_seq       BIGINT NOT NULL UNIQUE,
    actor         TEXT NOT NULL,
    wall_time_ms  BIGINT NOT NULL,
    clock_synced  BOOLEAN NOT NULL,
    item_id       TEXT NOT NULL,
    unit_id       TEXT,
    base_version  BIGINT,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    scan          TEXT,
    applied       BOOLEAN NOT NULL,
    conflict      BOOLEAN NOT NULL,
    note          TEXT,
    UNIQUE (station_id, station_seq)
);
CREATE INDEX events_item ON events(item_id);
CREATE INDEX events_conflict ON events(hub_seq) WHERE conflict;
CREATE TABLE event_units (
    unit_id  TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (unit_id, event_id)
);
CREATE TABLE items (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    sku           TEXT,
    barcode       TEXT,
    tracking      TEXT NOT NULL,
    reorder_point BIGINT,
    counts        TEXT NOT NULL,
    version       BIGINT NOT NULL
);
CREATE INDEX items_name ON items(name);
CREATE INDEX items_barcode ON items(barcode) WHERE barcode IS NOT NULL;
CREATE TABLE units (
    id           TEXT PRIMARY KEY,
    item_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    asset_tag    TEXT,
    status       TEXT NOT NULL,
    location     TEXT,
    holder       TEXT,
    due          TEXT,
    fields       TEXT NOT NULL,
    active       BOOLEAN NOT NULL,
    version      BIGINT NOT NULL,
    last_station TEXT
);
CREATE INDEX units_item ON units(item_id, active);
CREATE INDEX units_name ON units(item_id, name);
CREATE INDEX units_tag ON units(asset_tag) WHERE asset_tag IS NOT NULL;
CREATE TABLE hub_meta (
    only_row     INTEGER PRIMARY KEY CHECK (only_row = 1),
    hub_id       TEXT NOT NULL,
    last_hub_seq BIGINT NOT NULL
);
CREATE TABLE stations (
    name              TEXT PRIMARY KEY,
    station_id        TEXT UNIQUE,
    created_ms        BIGINT NOT NULL,
    enroll_hash       TEXT,
    enroll_expires_ms BIGINT,
    token_id          TEXT UNIQUE,
    token_hash        TEXT,
    revoked_ms        BIGINT,
    last_seen_ms      BIGINT
);
CREATE TABLE station_seqs (
    station_id     TEXT PRIMARY KEY,
    contiguous_seq BIGINT NOT NULL
);
CREATE TABLE reviewed (
    event_id    TEXT PRIMARY KEY,
    reviewed_ms BIGINT NOT NULL
);
CREATE TABLE quarantine (
    station_id  TEXT NOT NULL,
    station_seq BIGINT NOT NULL,
    event_id    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    body        TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    PRIMARY KEY (station_id, station_seq)
);
CREATE INDEX quarantine_id ON quarantine(event_id);
"#];

/// The hub on a PostgreSQL database.
pub struct PgHub {
    writer: Mutex<Client>,
    reader: Mutex<Client>,
    hub_id: Uuid,
}

fn corrupt(e: impl std::fmt::Display) -> HubError {
    HubError::Corrupt(e.to_string())
}

fn uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(corrupt)
}

impl PgHub {
    /// Connect, run pending migrations (under an advisory lock, so several hubs
    /// starting at once do not race) and load the hub's identity.
    pub fn connect(url: &str) -> Result<PgHub> {
        let mut writer = Client::connect(url, NoTls)?;
        let reader = Client::connect(url, NoTls)?;
        {
            let mut tx = writer.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock(7470617)", &[])?;
            tx.batch_execute("CREATE TABLE IF NOT EXISTS hub_schema (version BIGINT NOT NULL)")?;
            let found: Option<i64> = tx
                .query_opt("SELECT version FROM hub_schema", &[])?
                .map(|r| r.get(0));
            let found = found.unwrap_or_else(|| 0);
            if found == 0 {
                tx.execute("INSERT INTO hub_schema (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM hub_schema)", &[])?;
            }
            let supported = MIGRATIONS.len() as i64;
            if found > supported {
                return Err(HubError::SchemaTooNew { found, supported });
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
                tx.batch_execute(sql)?;
                tx.execute("UPDATE hub_schema SET version = $1", &[&((i + 1) as i64)])?;
                tracing::info!(version = i + 1, "hub schema migrated (postgres)");
            }
            let id: Option<String> = tx
                .query_opt("SELECT hub_id FROM hub_meta", &[])?
                .map(|r| r.get(0));
            if id.is_none() {
                tx.execute(
                    "INSERT INTO hub_meta (only_row, hub_id, last_hub_seq) VALUES (1, $1, 0)",
                    &[&Uuid::now_v7().to_string()],
                )?;
            }
            tx.commit()?;
        }
        let hub_id: String = writer.query_one("SELECT hub_id FROM hub_meta", &[])?.get(0);
        Ok(PgHub {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            hub_id: uuid(&hub_id)?,
        })
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Client> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn reader(&self) -> std::sync::MutexGuard<'_, Client> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&mut PgTx<'_, postgres::Transaction<'_>>) -> Result<T>,
    ) -> Result<T> {
        let mut client = self.writer();
        let mut tx = client.transaction()?;
        let out = f(&mut PgTx(&mut tx))?;
        tx.commit()?;
        Ok(out)
    }
}

const ITEM_COLS: &str = "id, name, sku, barcode, tracking, reorder_point, counts, version";
const UNIT_COLS: &str = "id, item_id, name, asset_tag, status, location, holder, due, fields, active, version, last_station";
const EVENT_COLS: &str =
    "id, station_id, station_seq, actor, wall_time_ms, clock_synced, item_id, unit_id, \
     base_version, scan, payload, hub_seq, applied, conflict, note";

fn item_row(r: &Row) -> Result<Item> {
    let counts: String = r.get(6);
    let tracking: String = r.get(4);
    Ok(Item {
        id: uuid(r.get(0))?,
        name: r.get(1),
        sku: r.get(2),
        barcode: r.get(3),
        tracking: tracking.parse::<Tracking>().map_err(corrupt)?,
        reorder_point: r.get(5),
        counts: Totals(serde_json::from_str::<BTreeMap<Status, i64>>(&counts).map_err(corrupt)?),
        version: r.get(7),
    })
}

fn unit_row(r: &Row) -> Result<Unit> {
    let status: String = r.get(4);
    let fields: String = r.get(8);
    let last: Option<String> = r.get(11);
    Ok(Unit {
        id: uuid(r.get(0))?,
        item_id: uuid(r.get(1))?,
        name: r.get(2),
        asset_tag: r.get(3),
        status: status.parse::<Status>().map_err(corrupt)?,
        location: r.get(5),
        holder: r.get(6),
        due: r.get(7),
        fields: serde_json::from_str(&fields).map_err(corrupt)?,
        active: r.get(9),
        version: r.get(10),
        last_station: last.as_deref().map(uuid).transpose()?,
    })
}

fn event_row(r: &Row) -> Result<StoredEvent> {
    let unit: Option<String> = r.get(7);
    let payload: String = r.get(10);
    Ok(StoredEvent {
        event: Event {
            id: uuid(r.get(0))?,
            station_id: uuid(r.get(1))?,
            station_seq: r.get(2),
            actor: r.get(3),
            wall_time_ms: r.get(4),
            clock_synced: r.get(5),
            item_id: uuid(r.get(6))?,
            unit_id: unit.as_deref().map(uuid).transpose()?,
            base_version: r.get(8),
            scan: r.get(9),
            kind: serde_json::from_str::<EventKind>(&payload).map_err(corrupt)?,
        },
        hub_seq: Some(r.get(11)),
        outcome: Outcome {
            applied: r.get(12),
            conflict: r.get(13),
            note: r.get(14),
        },
    })
}

fn items_where<C: GenericClient>(
    c: &mut C,
    filter: &str,
    p: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Vec<Item>> {
    c.query(&format!("SELECT {ITEM_COLS} FROM items {filter}"), p)?
        .iter()
        .map(item_row)
        .collect()
}

fn units_where<C: GenericClient>(
    c: &mut C,
    filter: &str,
    p: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Vec<Unit>> {
    c.query(&format!("SELECT {UNIT_COLS} FROM units {filter}"), p)?
        .iter()
        .map(unit_row)
        .collect()
}

fn events_where<C: GenericClient>(
    c: &mut C,
    filter: &str,
    p: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Vec<StoredEvent>> {
    let cols = EVENT_COLS
        .split(", ")
        .map(|c| format!("e.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    c.query(&format!("SELECT {cols} FROM events e {filter}"), p)?
        .iter()
        .map(event_row)
        .collect()
}

/// [`Projection`] (and, inside a transaction, [`HubTx`]) over any PostgreSQL client.
pub struct PgTx<'a, C: GenericClient>(&'a mut C);

impl<'a, C: GenericClient> PgTx<'a, C> {
    pub fn new(client: &'a mut C) -> Self {
        PgTx(client)
    }
}

impl<C: GenericClient> Projection for PgTx<'_, C> {
    type Error = HubError;
    fn item(&mut self, id: ItemId) -> Result<Option<Item>> {
        Ok(items_where(self.0, "WHERE id = $1", &[&id.to_string()])?.pop())
    }
    fn item_by_name(&mut self, name: &str) -> Result<Option<Item>> {
        Ok(items_where(self.0, "WHERE name = $1 LIMIT 1", &[&name])?.pop())
    }
    fn item_by_barcode(&mut self, barcode: &str) -> Result<Option<Item>> {
        Ok(items_where(self.0, "WHERE barcode = $1 LIMIT 1", &[&barcode])?.pop())
    }
    fn put_item(&mut self, i: &Item) -> Result<()> {
        let counts = serde_json::to_string(&i.counts.0).map_err(corrupt)?;
        self.0.execute(
            "INSERT INTO items (id, name, sku, barcode, tracking, reorder_point, counts, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, sku = excluded.sku, barcode = excluded.barcode,
               tracking = excluded.tracking, reorder_point = excluded.reorder_point, counts = excluded.counts,
               version = excluded.version",
            &[&i.id.to_string(), &i.name, &i.sku, &i.barcode, &i.tracking.as_str(), &i.reorder_point, &counts, &i.version],
        )?;
        Ok(())
    }
    fn unit(&mut self, id: UnitId) -> Result<Option<Unit>> {
        Ok(units_where(self.0, "WHERE id = $1", &[&id.to_string()])?.pop())
    }
    fn unit_by_tag(&mut self, tag: &str) -> Result<Option<Unit>> {
        Ok(units_where(self.0, "WHERE asset_tag = $1 AND active LIMIT 1", &[&tag])?.pop())
    }
    fn units_of_item(&mut self, item: ItemId) -> Result<Vec<Unit>> {
        units_where(
            self.0,
            "WHERE item_id = $1 AND active ORDER BY name",
            &[&item.to_string()],
        )
    }
    fn unit_named(&mut self, item: ItemId, name: &str) -> Result<Option<Unit>> {
        Ok(units_where(
            self.0,
            "WHERE item_id = $1 AND name = $2 AND active LIMIT 1",
            &[&item.to_string(), &name],
        )?
        .pop())
    }
    fn put_unit(&mut self, u: &Unit) -> Result<()> {
        let fields = serde_json::to_string(&u.fields).map_err(corrupt)?;
        self.0.execute(
            "INSERT INTO units (id, item_id, name, asset_tag, status, location, holder, due, fields, active, version, last_station)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (id) DO UPDATE SET item_id = excluded.item_id, name = excluded.name,
               asset_tag = excluded.asset_tag, status = excluded.status, location = excluded.location,
               holder = excluded.holder, due = excluded.due, fields = excluded.fields, active = excluded.active,
               version = excluded.version, last_station = excluded.last_station",
            &[
                &u.id.to_string(),
                &u.item_id.to_string(),
                &u.name,
                &u.asset_tag,
                &u.status.as_str(),
                &u.location,
                &u.holder,
                &u.due,
                &fields,
                &u.active,
                &u.version,
                &u.last_station.map(|s| s.to_string()),
            ],
        )?;
        Ok(())
    }
}

impl<C: GenericClient> HubTx for PgTx<'_, C> {
    fn next_hub_seq(&mut self) -> Result<i64> {
        Ok(self
            .0
            .query_one(
                "UPDATE hub_meta SET last_hub_seq = last_hub_seq + 1 RETURNING last_hub_seq",
                &[],
            )?
            .get(0))
    }
    fn held_by_id(&mut self, id: Uuid) -> Result<Option<Held>> {
        let id_s = id.to_string();
        let row = match self.0.query_opt(
            "SELECT station_id, station_seq, hub_seq FROM events WHERE id = $1",
            &[&id_s],
        )? {
            Some(r) => Some((
                r.get::<_, String>(0),
                r.get::<_, i64>(1),
                Some(r.get::<_, i64>(2)),
            )),
            None => self
                .0
                .query_opt(
                    "SELECT station_id, station_seq FROM quarantine WHERE event_id = $1",
                    &[&id_s],
                )?
                .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1), None)),
        };
        row.map(|(s, seq, hub_seq)| {
            Ok(Held {
                id,
                station_id: uuid(&s)?,
                station_seq: seq,
                hub_seq,
            })
        })
        .transpose()
    }
    fn contiguous(&mut self, station: Uuid) -> Result<i64> {
        Ok(self
            .0
            .query_opt(
                "SELECT contiguous_seq FROM station_seqs WHERE station_id = $1",
                &[&station.to_string()],
            )?
            .map(|r| r.get(0))
            .unwrap_or(0))
    }
    fn set_contiguous(&mut self, station: Uuid, seq: i64) -> Result<()> {
        self.0.execute(
            "INSERT INTO station_seqs (station_id, contiguous_seq) VALUES ($1, $2)
             ON CONFLICT (station_id) DO UPDATE SET contiguous_seq = excluded.contiguous_seq",
            &[&station.to_string(), &seq],
        )?;
        Ok(())
    }
    fn insert_event(
        &mut self,
        ev: &Event,
        hub_seq: i64,
        o: &Outcome,
        units: &[UnitId],
    ) -> Result<()> {
        let payload = serde_json::to_string(&ev.kind).map_err(corrupt)?;
        self.0.execute(
            "INSERT INTO events (id, station_id, station_seq, hub_seq, actor, wall_time_ms, clock_synced, item_id,
                                 unit_id, base_version, kind, payload, scan, applied, conflict, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            &[
                &ev.id.to_string(),
                &ev.station_id.to_string(),
                &ev.station_seq,
                &hub_seq,
                &ev.actor,
                &ev.wall_time_ms,
                &ev.clock_synced,
                &ev.item_id.to_string(),
                &ev.unit_id.map(|u| u.to_string()),
                &ev.base_version,
                &ev.kind.name(),
                &payload,
                &ev.scan,
                &o.applied,
                &o.conflict,
                &o.note,
            ],
        )?;
        for u in units {
            self.0.execute(
                "INSERT INTO event_units (unit_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&u.to_string(), &ev.id.to_string()],
            )?;
        }
        Ok(())
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
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &station.to_string(),
                &seq,
                &id.to_string(),
                &reason,
                &body,
                &SystemClock.now().0,
            ],
        )?;
        Ok(())
    }
}

impl HubStore for PgHub {
    fn backend(&self) -> &'static str {
        "postgres"
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
        let n = self.writer().execute(
            "INSERT INTO stations (name, created_ms, enroll_hash, enroll_expires_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO NOTHING",
            &[&name, &now_ms, &code_hash, &expires_ms],
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
            let c = &mut *tx.0;
            let name: String = c
                .query_opt(
                    "SELECT name FROM stations WHERE enroll_hash = $1 AND enroll_expires_ms > $2 AND revoked_ms IS NULL
                     FOR UPDATE",
                    &[&code_hash as &(dyn postgres::types::ToSql + Sync), &now_ms],
                )?
                .map(|r| r.get(0))
                .ok_or(HubError::BadCode)?;
            if let Some(r) = c.query_opt("SELECT name FROM stations WHERE station_id = $1", &[&station_id.to_string()])? {
                let other: String = r.get(0);
                return Err(HubError::Exists(format!("station id {station_id} is already enrolled as {other:?}")));
            }
            // An id whose events the hub already holds (the hub's own admin edits, a
            // station enrolled before) is not free, even with no station row bound to it.
            if c.query_opt("SELECT 1 FROM station_seqs WHERE station_id = $1", &[&station_id.to_string()])?.is_some() {
                return Err(HubError::Exists(format!("station id {station_id} already has events at this hub")));
            }
            c.execute(
                "UPDATE stations SET station_id = $2, token_id = $3, token_hash = $4, enroll_hash = NULL,
                   enroll_expires_ms = NULL, last_seen_ms = $5 WHERE name = $1",
                &[&name, &station_id.to_string(), &token_id, &token_hash, &now_ms],
            )?;
            Ok(name)
        })
    }

    fn token(&self, token_id: &str) -> Result<Option<TokenRow>> {
        let row = self.reader().query_opt(
            "SELECT name, station_id, token_hash, revoked_ms FROM stations WHERE token_id = $1",
            &[&token_id],
        )?;
        row.map(|r| {
            let id: String = r.get(1);
            Ok(TokenRow {
                name: r.get(0),
                station_id: uuid(&id)?,
                token_hash: r.get(2),
                revoked: r.get::<_, Option<i64>>(3).is_some(),
            })
        })
        .transpose()
    }

    fn revoke(&self, name: &str, now_ms: i64) -> Result<()> {
        let n = self.writer().execute(
            "UPDATE stations SET revoked_ms = COALESCE(revoked_ms, $2), enroll_hash = NULL WHERE name = $1",
            &[&name, &now_ms],
        )?;
        if n == 0 {
            return Err(HubError::NotFound(format!("station {name:?}")));
        }
        Ok(())
    }

    fn stations(&self) -> Result<Vec<StationRow>> {
        let rows = self.reader().query(
            "SELECT s.name, s.station_id, s.created_ms, s.revoked_ms, s.last_seen_ms, COALESCE(q.contiguous_seq, 0)
             FROM stations s LEFT JOIN station_seqs q ON q.station_id = s.station_id ORDER BY s.name",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                let id: Option<String> = r.get(1);
                StationRow {
                    name: r.get(0),
                    station_id: id.as_deref().and_then(|s| Uuid::parse_str(s).ok()),
                    created: rfc3339(r.get(2)),
                    enrolled: id.is_some(),
                    revoked: r.get::<_, Option<i64>>(3).is_some(),
                    last_seen: r.get::<_, Option<i64>>(4).map(rfc3339),
                    contiguous_seq: r.get(5),
                }
            })
            .collect())
    }

    fn touch(&self, station: Uuid, now_ms: i64) -> Result<()> {
        self.writer().execute(
            "UPDATE stations SET last_seen_ms = $2 WHERE station_id = $1",
            &[&station.to_string(), &now_ms],
        )?;
        Ok(())
    }

    fn push(&self, station: Uuid, events: &[serde_json::Value]) -> Result<PushResponse> {
        self.write(|tx| ingest(tx, station, events, false))
    }

    fn pull(&self, after: i64, limit: usize) -> Result<PullResponse> {
        let mut c = self.reader();
        let mut rows = events_where(
            &mut *c,
            "WHERE e.hub_seq > $1 ORDER BY e.hub_seq LIMIT $2",
            &[&after, &(limit as i64 + 1)],
        )?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let cursor = rows.last().and_then(|r| r.hub_seq).unwrap_or(after);
        let events = rows
            .into_iter()
            .map(|s| LogEntry {
                hub_seq: s.hub_seq.unwrap_or_default(),
                applied: s.outcome.applied,
                conflict: s.outcome.conflict,
                note: s.outcome.note,
                event: s.event,
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
        let mut c = self.reader();
        let items = items_where(&mut *c, "ORDER BY name", &[])?;
        let mut p = PgTx(&mut *c);
        items.iter().map(|i| view::item_view(&mut p, i)).collect()
    }

    fn units(&self, item: Option<ItemId>) -> Result<Vec<UnitView>> {
        let mut c = self.reader();
        let units = match item {
            Some(i) => units_where(
                &mut *c,
                "WHERE item_id = $1 AND active ORDER BY name",
                &[&i.to_string()],
            )?,
            None => units_where(&mut *c, "WHERE active ORDER BY name", &[])?,
        };
        let mut p = PgTx(&mut *c);
        units.iter().map(|u| view::unit_view(&mut p, u)).collect()
    }

    fn find_unit(&self, reference: &str) -> Result<UnitView> {
        let mut c = self.reader();
        let mut p = PgTx(&mut *c);
        let unit = match p.unit_by_tag(reference)? {
            Some(u) => Some(u),
            None => units_where(p.0, "WHERE id = $1", &[&reference])?.pop(),
        };
        let unit = unit.ok_or_else(|| HubError::NotFound(format!("unit {reference:?}")))?;
        view::unit_view(&mut p, &unit)
    }

    fn unit_history(&self, unit: UnitId) -> Result<Vec<HistoryEntry>> {
        let mut c = self.reader();
        Ok(events_where(
            &mut *c,
            "JOIN event_units eu ON eu.event_id = e.id WHERE eu.unit_id = $1 ORDER BY e.hub_seq",
            &[&unit.to_string()],
        )?
        .into_iter()
        .map(|s| view::history_entry(s, None))
        .collect())
    }

    fn holdings(&self) -> Result<Vec<Holding>> {
        let mut c = self.reader();
        let units = units_where(
            &mut *c,
            "WHERE active AND status = 'checked_out' ORDER BY holder, name",
            &[],
        )?;
        let mut p = PgTx(&mut *c);
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
        let mut c = self.reader();
        Ok(events_where(
            &mut *c,
            "WHERE e.conflict AND NOT EXISTS (SELECT 1 FROM reviewed r WHERE r.event_id = e.id) ORDER BY e.hub_seq",
            &[],
        )?
        .into_iter()
        .map(|s| view::history_entry(s, None))
        .collect())
    }

    fn resolve_conflict(&self, event: Uuid) -> Result<()> {
        let mut c = self.writer();
        if c.query_opt(
            "SELECT 1 FROM events WHERE id = $1 AND conflict",
            &[&event.to_string()],
        )?
        .is_none()
        {
            return Err(HubError::NotFound(format!("conflict {event}")));
        }
        c.execute(
            "INSERT INTO reviewed (event_id, reviewed_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&event.to_string(), &SystemClock.now().0],
        )?;
        Ok(())
    }

    fn stats(&self) -> Result<Stats> {
        let mut c = self.reader();
        let mut q = |sql: &str| -> Result<i64> { Ok(c.query_one(sql, &[])?.get(0)) };
        Ok(Stats {
            hub_seq: q("SELECT last_hub_seq FROM hub_meta")?,
            events: q("SELECT COUNT(*) FROM events")?,
            conflicts_open: q(
                "SELECT COUNT(*) FROM events e WHERE conflict AND NOT EXISTS (SELECT 1 FROM reviewed r WHERE r.event_id = e.id)",
            )?,
            quarantined: q("SELECT COUNT(*) FROM quarantine")?,
            stations: q("SELECT COUNT(*) FROM stations WHERE revoked_ms IS NULL")?,
            items: q("SELECT COUNT(*) FROM items")?,
            units: q("SELECT COUNT(*) FROM units WHERE active")?,
        })
    }
}
