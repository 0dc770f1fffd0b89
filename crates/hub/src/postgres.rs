//! The hub's PostgreSQL backend, for sites that outgrow one machine: connections,
//! value conversion to and from the `postgres` crate, and the schema migrations. The
//! hub's logic is in [`crate::store`] and the modules it calls.
//!
//! Uses the synchronous `postgres` client from the server's blocking pool: a writer
//! connection (ingest is serialised by the `hub_meta` counter row anyway) and a reader
//! connection for pulls and admin views. Each keeps its prepared statements.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use postgres::types::{ToSql, Type};
use postgres::{Client, GenericClient, NoTls, Statement};

use super::db::{numbered_to_dollar, row_width, Column, Conn, Database, Row, Ty, Value};
use super::{HubError, Result, SqlHub};

/// Schema migrations, in order; `hub_schema.version` says how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
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
"#,
    // The case rule's keys (filled by `fill_keys`) and archived items, as SQLite's
    // `CATALOG_V2`.
    r#"
ALTER TABLE items ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN sku_key TEXT;
ALTER TABLE items ADD COLUMN barcode_key TEXT;
ALTER TABLE items ADD COLUMN archived BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE units ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE units ADD COLUMN tag_key TEXT;
CREATE INDEX items_name_key ON items(name_key);
CREATE INDEX items_sku_key ON items(sku_key) WHERE sku_key IS NOT NULL;
CREATE INDEX items_barcode_key ON items(barcode_key) WHERE barcode_key IS NOT NULL;
CREATE INDEX units_name_key ON units(item_id, name_key);
CREATE INDEX units_tag_key ON units(tag_key) WHERE tag_key IS NOT NULL;
"#,
    // People and locations as catalog entities, and the units' links to them, as
    // SQLite's `CATALOG_V3` (keys of existing rows filled by `fill_keys_v3`).
    r#"
CREATE TABLE people (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    badges        TEXT NOT NULL,
    email         TEXT,
    role          TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    max_checkouts BIGINT,
    loan_days     BIGINT,
    erased        BOOLEAN NOT NULL,
    version       BIGINT NOT NULL
);
CREATE INDEX people_name_key ON people(name_key);
CREATE TABLE badges (
    code_key  TEXT NOT NULL,
    person_id TEXT NOT NULL,
    PRIMARY KEY (code_key, person_id)
);
CREATE INDEX badges_person ON badges(person_id);
CREATE TABLE locations (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    name_key  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    parent_id TEXT,
    code      TEXT,
    code_key  TEXT,
    active    BOOLEAN NOT NULL,
    version   BIGINT NOT NULL
);
CREATE INDEX locations_name_key ON locations(name_key);
CREATE INDEX locations_code_key ON locations(code_key) WHERE code_key IS NOT NULL;
ALTER TABLE units ADD COLUMN holder_id TEXT;
ALTER TABLE units ADD COLUMN holder_key TEXT;
ALTER TABLE units ADD COLUMN location_id TEXT;
ALTER TABLE units ADD COLUMN location_key TEXT;
CREATE INDEX units_holder ON units(holder_id) WHERE holder_id IS NOT NULL;
CREATE INDEX units_holder_key ON units(holder_key) WHERE holder_key IS NOT NULL;
CREATE INDEX units_location ON units(location_id) WHERE location_id IS NOT NULL;
CREATE INDEX units_location_key ON units(location_key) WHERE location_key IS NOT NULL;
"#,
    // Failed credentials per client and minute (SQLite's `HUB_V3`).
    r#"
CREATE TABLE auth_failures (
    client  TEXT NOT NULL,
    minute  BIGINT NOT NULL,
    count   BIGINT NOT NULL,
    PRIMARY KEY (client, minute)
);
"#,
    // The web app's passwords, sessions and set-password links (SQLite's `HUB_V4`).
    r#"
CREATE TABLE web_passwords (
    person_id   TEXT PRIMARY KEY,
    hash        TEXT NOT NULL,
    set_ms      BIGINT NOT NULL
);
CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    expires_ms  BIGINT NOT NULL
);
CREATE INDEX web_sessions_person ON web_sessions(person_id);
CREATE TABLE web_links (
    token_hash  TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL,
    expires_ms  BIGINT NOT NULL
);
"#,
    // Personal API tokens for the web app (SQLite's `HUB_V6`).
    r#"
CREATE TABLE web_tokens (
    id           TEXT PRIMARY KEY,
    person_id    TEXT NOT NULL,
    name         TEXT NOT NULL,
    cap          TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    created_ms   BIGINT NOT NULL,
    last_used_ms BIGINT,
    revoked_ms   BIGINT
);
CREATE INDEX web_tokens_person ON web_tokens(person_id);
"#,
    // Indexes for the web app's pages over a large catalog and log (SQLite's
    // `HUB_V7`; `events_conflict` was here from the first migration).
    r#"
DROP INDEX IF EXISTS events_item;
CREATE INDEX events_item_seq ON events(item_id, hub_seq);
DROP INDEX IF EXISTS units_item;
CREATE INDEX units_item_status ON units(item_id, active, status);
CREATE INDEX units_status_due ON units(status, active, due, name_key);
CREATE INDEX units_by_name ON units(name_key);
"#,
    // What each station said of itself at its last contact (SQLite's `HUB_V8`).
    r#"
ALTER TABLE stations ADD COLUMN version TEXT;
ALTER TABLE stations ADD COLUMN pending BIGINT;
"#,
    // Units counted by location and by holder from indexes alone (SQLite's `HUB_V9`).
    r#"
CREATE INDEX units_location_active ON units(location_id, active) WHERE location_id IS NOT NULL;
CREATE INDEX units_holder_out ON units(holder_id, status, active, due) WHERE holder_id IS NOT NULL;
"#,
    // Blocks of new tag numbers leased to stations (SQLite's `HUB_V10`).
    r#"
CREATE TABLE tag_leases (
    prefix_key   TEXT NOT NULL,
    first        BIGINT NOT NULL,
    last         BIGINT NOT NULL,
    prefix       TEXT NOT NULL,
    digits       BIGINT NOT NULL,
    check_digit  BOOLEAN NOT NULL,
    station_id   TEXT NOT NULL,
    leased_at_ms BIGINT NOT NULL,
    PRIMARY KEY (prefix_key, first)
);
"#,
    // Indexes of units no query needs, dropped (SQLite's `HUB_V11`).
    r#"
DROP INDEX IF EXISTS units_name;
DROP INDEX IF EXISTS units_tag;
DROP INDEX IF EXISTS units_holder;
DROP INDEX IF EXISTS units_location;
"#,
    // Reminders: runs, the sent-log, people's choices, the settings (SQLite's `HUB_V12`).
    r#"
CREATE TABLE reminder_runs (
    day         TEXT PRIMARY KEY,
    hub         TEXT NOT NULL,
    started_ms  BIGINT NOT NULL
);
CREATE TABLE reminder_log (
    id              TEXT PRIMARY KEY,
    key             TEXT NOT NULL,
    kind            TEXT NOT NULL,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    person_id       TEXT,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_ms         BIGINT NOT NULL,
    lease_until_ms  BIGINT,
    lease_hub       TEXT,
    error           TEXT,
    created_ms      BIGINT NOT NULL,
    sent_ms         BIGINT
);
CREATE INDEX reminder_log_pending ON reminder_log(state, next_ms);
CREATE INDEX reminder_log_created ON reminder_log(created_ms);
CREATE TABLE reminder_prefs (
    person_id   TEXT PRIMARY KEY,
    opted_out   TEXT NOT NULL,
    digest      BOOLEAN NOT NULL
);
CREATE TABLE reminder_settings (
    only_row    INTEGER PRIMARY KEY CHECK (only_row = 1),
    settings    TEXT NOT NULL,
    hub         TEXT NOT NULL,
    set_ms      BIGINT NOT NULL
);
"#,
    // Reservations and kits (SQLite's `CATALOG_V4`), condition photos (`HUB_V13`).
    r#"
CREATE TABLE reservations (
    id        TEXT PRIMARY KEY,
    item_id   TEXT NOT NULL,
    person_id TEXT NOT NULL,
    starts    TEXT NOT NULL,
    ends      TEXT NOT NULL,
    state     TEXT NOT NULL,
    body      TEXT NOT NULL,
    version   BIGINT NOT NULL
);
CREATE INDEX reservations_item ON reservations(item_id, ends);
CREATE INDEX reservations_person ON reservations(person_id, ends);
CREATE TABLE kits (
    id        TEXT PRIMARY KEY,
    name_key  TEXT NOT NULL,
    tag_key   TEXT,
    body      TEXT NOT NULL,
    version   BIGINT NOT NULL
);
CREATE INDEX kits_tag_key ON kits(tag_key) WHERE tag_key IS NOT NULL;
CREATE TABLE photos (
    sha256      TEXT PRIMARY KEY,
    unit_id     TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    station     TEXT NOT NULL,
    taken_ms    BIGINT NOT NULL,
    bytes       BIGINT NOT NULL,
    data        TEXT NOT NULL,
    received_ms BIGINT NOT NULL
);
CREATE INDEX photos_unit ON photos(unit_id, taken_ms);
"#,
    // A unit's state apart from what the unit is (PostgreSQL only; see
    // `Conn::units_split`). A status change rewrites only `unit_state`, a narrow row in
    // pages kept 30% free, whose indexes hold no column a status change touches, so
    // PostgreSQL updates it in place (HOT) instead of adding an entry to each of the ten
    // indexes `units` had; a check-out or a move updates its few indexes. `units` stays,
    // as a view, for reading: a query that needs only the state (counts by status,
    // holder, place or item) reads `unit_state` alone, the join to `unit_rows` left out.
    r#"
CREATE TABLE unit_state (
    id           TEXT PRIMARY KEY,
    item_id      TEXT NOT NULL,
    active       BOOLEAN NOT NULL,
    status       TEXT NOT NULL,
    location     TEXT,
    holder       TEXT,
    due          TEXT,
    version      BIGINT NOT NULL,
    last_station TEXT,
    location_id  TEXT,
    holder_id    TEXT,
    location_key TEXT,
    holder_key   TEXT
) WITH (fillfactor = 70);
INSERT INTO unit_state
    SELECT id, item_id, active, status, location, holder, due, version, last_station,
           location_id, holder_id, location_key, holder_key
    FROM units;
DROP INDEX IF EXISTS units_holder_key;
DROP INDEX IF EXISTS units_location_key;
DROP INDEX IF EXISTS units_item_status;
DROP INDEX IF EXISTS units_status_due;
DROP INDEX IF EXISTS units_location_active;
DROP INDEX IF EXISTS units_holder_out;
ALTER TABLE units
    DROP COLUMN active, DROP COLUMN status, DROP COLUMN location, DROP COLUMN holder,
    DROP COLUMN due, DROP COLUMN version, DROP COLUMN last_station,
    DROP COLUMN location_id, DROP COLUMN holder_id, DROP COLUMN location_key,
    DROP COLUMN holder_key;
ALTER TABLE units RENAME TO unit_rows;
ALTER TABLE unit_state ADD FOREIGN KEY (id) REFERENCES unit_rows(id);
CREATE INDEX unit_state_item ON unit_state(item_id, active);
CREATE INDEX unit_state_holder ON unit_state(holder_id) WHERE holder_id IS NOT NULL;
CREATE INDEX unit_state_location ON unit_state(location_id, active)
    WHERE location_id IS NOT NULL;
CREATE INDEX unit_state_due ON unit_state(due) WHERE due IS NOT NULL;
CREATE VIEW units AS
    SELECT s.id, s.item_id, r.name, r.asset_tag, s.status, s.location, s.holder, s.due,
           r.fields, s.active, s.version, s.last_station, r.name_key, r.tag_key,
           s.location_id, s.holder_id, s.location_key, s.holder_key
    FROM unit_state s LEFT JOIN unit_rows r ON r.id = s.id;
"#,
];

/// The migration after which units get their holder and location keys.
const PLACES_MIGRATION: usize = 3;

/// The holder and location keys of units written before them (see SQLite's
/// `fill_keys_v3`).
fn fill_keys_v3(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    use tagstation_core::catalog::fold;
    for r in tx.query(
        "SELECT id, holder, location FROM units WHERE holder IS NOT NULL OR location IS NOT NULL",
        &[],
    )? {
        let (id, holder, location): (String, Option<String>, Option<String>) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        tx.execute(
            "UPDATE units SET holder_key = $2, location_key = $3 WHERE id = $1",
            &[
                &id,
                &holder.as_deref().map(fold),
                &location.as_deref().map(fold),
            ],
        )?;
    }
    Ok(())
}

/// The migration after which rows written before the case rule get their keys.
const KEYS_MIGRATION: usize = 2;

/// Fill the case-rule keys of rows written before them (computed by
/// `catalog::fold`, as every store does), and log, never merge, names and codes that
/// are the same now that case no longer counts.
fn fill_keys(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    use tagstation_core::catalog::fold;
    for r in tx.query("SELECT id, name, sku, barcode FROM items", &[])? {
        let (id, name, sku, barcode): (String, String, Option<String>, Option<String>) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
        tx.execute(
            "UPDATE items SET name_key = $2, sku_key = $3, barcode_key = $4 WHERE id = $1",
            &[
                &id,
                &fold(&name),
                &sku.as_deref().map(fold),
                &barcode.as_deref().map(fold),
            ],
        )?;
    }
    for r in tx.query("SELECT id, name, asset_tag FROM units", &[])? {
        let (id, name, tag): (String, String, Option<String>) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        tx.execute(
            "UPDATE units SET name_key = $2, tag_key = $3 WHERE id = $1",
            &[&id, &fold(&name), &tag.as_deref().map(fold)],
        )?;
    }
    let queries = [
        (
            "item names",
            "SELECT string_agg(name, ' / ') FROM items GROUP BY name_key HAVING COUNT(*) > 1",
        ),
        (
            "asset tags",
            "SELECT string_agg(asset_tag, ' / ') FROM units WHERE active AND tag_key IS NOT NULL
             GROUP BY tag_key HAVING COUNT(*) > 1",
        ),
        (
            "unit names",
            "SELECT string_agg(name, ' / ') FROM units WHERE active
             GROUP BY item_id, name_key HAVING COUNT(*) > 1",
        ),
    ];
    for (what, sql) in queries {
        for r in tx.query(sql, &[])? {
            let names: String = r.try_get(0)?;
            tracing::warn!(duplicate = %tagstation_core::escape::controls(&format!("{what}: {names}")),
                "names or codes that differ only by letter case: kept both, rename one");
        }
    }
    Ok(())
}

/// The hub on a PostgreSQL database.
pub type PgHub = SqlHub<PgDb>;

impl SqlHub<PgDb> {
    /// Connect, run pending migrations and load the hub's identity.
    pub fn connect(url: &str) -> Result<PgHub> {
        SqlHub::new(PgDb::connect(url)?)
    }
}

/// A connection and the statements prepared on it, keyed by their `?N` text.
struct Session {
    client: Client,
    prepared: HashMap<String, Statement>,
}

impl Session {
    fn connect(url: &str) -> Result<Session> {
        Ok(Session {
            client: Client::connect(url, NoTls)?,
            prepared: HashMap::new(),
        })
    }
}

/// A PostgreSQL database: the writer and the reader connection.
pub struct PgDb {
    writer: Mutex<Session>,
    reader: Mutex<Session>,
}

impl PgDb {
    /// Connect and run pending migrations, under an advisory lock so that several
    /// hubs starting at once do not race.
    pub fn connect(url: &str) -> Result<PgDb> {
        let mut writer = Session::connect(url)?;
        let reader = Session::connect(url)?;
        migrate(&mut writer.client)?;
        Ok(PgDb {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }
}

fn migrate(client: &mut Client) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock(7470617)", &[])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS hub_schema (version BIGINT NOT NULL)")?;
    let found: i64 = match tx.query_opt("SELECT version FROM hub_schema", &[])? {
        Some(r) => r.try_get(0)?,
        None => {
            tx.execute("INSERT INTO hub_schema (version) VALUES (0)", &[])?;
            0
        }
    };
    let supported = MIGRATIONS.len() as i64;
    if found > supported {
        return Err(HubError::SchemaTooNew { found, supported });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(sql)?;
        if i + 1 == KEYS_MIGRATION {
            fill_keys(&mut tx)?;
        }
        if i + 1 == PLACES_MIGRATION {
            fill_keys_v3(&mut tx)?;
        }
        tx.execute("UPDATE hub_schema SET version = $1", &[&((i + 1) as i64)])?;
        tracing::info!(version = i + 1, "hub schema migrated (postgres)");
    }
    tx.commit()?;
    Ok(())
}

fn lock(m: &Mutex<Session>) -> MutexGuard<'_, Session> {
    // A panic while holding the lock drops the open transaction, which rolls back.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A parameter in the type the statement expects: PostgreSQL checks types strictly,
/// so an integer for an `INTEGER` column goes as `i32` and a NULL carries its type.
fn param(v: &Value, ty: &Type) -> Result<Box<dyn ToSql + Sync>> {
    Ok(match (v, ty) {
        (Value::Int(i), &Type::INT4) => {
            Box::new(i32::try_from(*i).map_err(|e| HubError::BadRequest(format!("{i}: {e}")))?)
        }
        (Value::Int(i), &Type::INT2) => {
            Box::new(i16::try_from(*i).map_err(|e| HubError::BadRequest(format!("{i}: {e}")))?)
        }
        (Value::Int(i), _) => Box::new(*i),
        (Value::Bool(b), _) => Box::new(*b),
        (Value::Text(s), _) => Box::new(s.clone()),
        (Value::Null, &Type::INT8) => Box::new(None::<i64>),
        (Value::Null, &Type::INT4) => Box::new(None::<i32>),
        (Value::Null, &Type::INT2) => Box::new(None::<i16>),
        (Value::Null, &Type::BOOL) => Box::new(None::<bool>),
        (Value::Null, _) => Box::new(None::<String>),
    })
}

fn value_at(row: &postgres::Row, col: usize) -> Result<Value> {
    let ty = row.columns()[col].type_().clone();
    let v = match ty {
        Type::BOOL => row.try_get::<_, Option<bool>>(col)?.map(Value::Bool),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(col)?
            .map(|v| Value::Int(v.into())),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(col)?
            .map(|v| Value::Int(v.into())),
        Type::INT8 => row.try_get::<_, Option<i64>>(col)?.map(Value::Int),
        _ => row.try_get::<_, Option<String>>(col)?.map(Value::Text),
    };
    Ok(v.unwrap_or(Value::Null))
}

/// `WITH rows AS (SELECT * FROM UNNEST($1::text[], ...) AS rows(a, ...)) sql`.
fn unnest_statement(sql: &str, columns: &[(&str, Ty)]) -> String {
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| {
            let ty = match ty {
                Ty::Text => "text",
                Ty::Int => "bigint",
                Ty::Bool => "boolean",
            };
            format!("${}::{ty}[]", i + 1)
        })
        .collect();
    let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
    format!(
        "WITH rows AS (SELECT * FROM UNNEST({}) AS rows({})) {sql}",
        arrays.join(", "),
        names.join(", ")
    )
}

/// One column of a set of rows as an array parameter of its type.
fn array<'v>(
    column: &str,
    ty: Ty,
    values: impl Iterator<Item = &'v Value>,
) -> Result<Box<dyn ToSql + Sync>> {
    // Each value as `T`, NULL as `None`; `pick` says which values a column of this
    // type takes.
    fn collect<'v, T>(
        column: &str,
        ty: Ty,
        values: impl Iterator<Item = &'v Value>,
        pick: impl Fn(&Value) -> Option<T>,
    ) -> Result<Vec<Option<T>>> {
        values
            .map(|v| match v {
                Value::Null => Ok(None),
                v => pick(v).map(Some).ok_or_else(|| {
                    HubError::BadRequest(format!("column {column} is {ty:?}, given {v:?}"))
                }),
            })
            .collect()
    }
    Ok(match ty {
        Ty::Text => Box::new(collect(column, ty, values, |v| match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        })?),
        Ty::Int => Box::new(collect(column, ty, values, |v| match v {
            Value::Int(i) => Some(*i),
            _ => None,
        })?),
        Ty::Bool => Box::new(collect(column, ty, values, |v| match v {
            Value::Bool(b) => Some(*b),
            Value::Int(0) => Some(false),
            Value::Int(1) => Some(true),
            _ => None,
        })?),
    })
}

/// [`Conn`] over a PostgreSQL client or a transaction on it.
struct PgConn<'a, C: GenericClient> {
    client: &'a mut C,
    prepared: &'a mut HashMap<String, Statement>,
}

impl<C: GenericClient> PgConn<'_, C> {
    /// The statement prepared on this connection, prepared now if it was not yet.
    fn prepared(&mut self, sql: &str) -> Result<Statement> {
        if let Some(st) = self.prepared.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(&numbered_to_dollar(sql))?;
        self.prepared.insert(sql.to_owned(), st.clone());
        Ok(st)
    }

    /// The prepared statement and its parameters converted to the types it expects.
    fn bind(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> Result<(Statement, Vec<Box<dyn ToSql + Sync>>)> {
        let st = self.prepared(sql)?;
        if st.params().len() != params.len() {
            return Err(HubError::BadRequest(format!(
                "statement takes {} parameters, given {}: {sql:?}",
                st.params().len(),
                params.len()
            )));
        }
        let bound = params
            .iter()
            .zip(st.params())
            .map(|(v, ty)| param(v, ty))
            .collect::<Result<Vec<_>>>()?;
        Ok((st, bound))
    }
}

fn refs(bound: &[Box<dyn ToSql + Sync>]) -> Vec<&(dyn ToSql + Sync)> {
    bound.iter().map(|b| b.as_ref()).collect()
}

impl<C: GenericClient> Conn for PgConn<'_, C> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let (st, bound) = self.bind(sql, params)?;
        Ok(self.client.execute(&st, &refs(&bound))?)
    }

    /// The whole set in one statement: each column goes as one array parameter and
    /// `rows` is their `UNNEST`, so the statement has one shape whatever the number
    /// of rows, and binds a few arrays instead of thousands of values.
    fn write_rows(&mut self, sql: &str, columns: &[(&str, Ty)], values: &[Value]) -> Result<u64> {
        let width = row_width(sql, columns, values)?;
        if values.is_empty() {
            return Ok(0);
        }
        let text = unnest_statement(sql, columns);
        let arrays = columns
            .iter()
            .enumerate()
            .map(|(c, (name, ty))| array(name, *ty, values.iter().skip(c).step_by(width)))
            .collect::<Result<Vec<_>>>()?;
        let st = self.prepared(&text)?;
        Ok(self.client.execute(&st, &refs(&arrays))?)
    }

    /// Units are stored as `unit_rows` and `unit_state` (the last migration).
    fn units_split(&self) -> bool {
        true
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let (st, bound) = self.bind(sql, params)?;
        self.client
            .query(&st, &refs(&bound))?
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| value_at(r, i))
                    .collect::<Result<Vec<_>>>()
                    .map(Row::new)
            })
            .collect()
    }
}

impl Database for PgDb {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn read<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let mut s = lock(&self.reader);
        let Session { client, prepared } = &mut *s;
        f(&mut PgConn { client, prepared })
    }

    fn write<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let mut s = lock(&self.writer);
        let Session { client, prepared } = &mut *s;
        let mut tx = client.transaction()?;
        let out = f(&mut PgConn {
            client: &mut tx,
            prepared,
        })?;
        tx.commit()?;
        Ok(out)
    }

    fn columns(&self) -> Result<Vec<Column>> {
        let mut s = lock(&self.reader);
        let rows = s.client.query(
            "SELECT table_name::text, column_name::text, is_nullable::text = 'YES'
             FROM information_schema.columns WHERE table_schema = current_schema()
             ORDER BY table_name, ordinal_position",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(Column {
                    table: r.try_get(0)?,
                    name: r.try_get(1)?,
                    nullable: r.try_get(2)?,
                })
            })
            .collect()
    }
}
