//! Versioned schema of the SQLite stores (the station's and the hub's embedded one).
//!
//! Migrations run at open, each in its own transaction, and bump `PRAGMA user_version`.
//! A file written by a newer binary is refused: never silently rewritten.

use rusqlite::Connection;

use crate::StoreError;

/// Tables shared by every SQLite store: the event log and the projection of it.
const CATALOG_V1: &str = r#"
CREATE TABLE events (
    pos           INTEGER PRIMARY KEY,           -- local insertion order
    id            TEXT NOT NULL UNIQUE,          -- UUIDv7
    station_id    TEXT NOT NULL,
    station_seq   INTEGER NOT NULL,
    hub_seq       INTEGER UNIQUE,                -- order decided by the hub; NULL until known
    actor         TEXT NOT NULL,
    wall_time_ms  INTEGER NOT NULL,
    clock_synced  INTEGER NOT NULL,
    item_id       TEXT NOT NULL,
    unit_id       TEXT,
    base_version  INTEGER,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,                 -- JSON of the event kind
    scan          TEXT,                          -- scanned text that led to it
    applied       INTEGER NOT NULL DEFAULT 1,    -- 0: refused by the rules, kept as history
    conflict      INTEGER NOT NULL DEFAULT 0,
    note          TEXT,                          -- why refused, or what the conflict was
    rejected      TEXT,                          -- station only: why the hub refused to take it
    UNIQUE (station_id, station_seq)
);
CREATE INDEX events_item ON events(item_id);
-- The station's queue: its own events the hub has not acknowledged yet.
CREATE INDEX events_pending ON events(station_id, station_seq) WHERE hub_seq IS NULL AND rejected IS NULL;

-- Which units each event touched: a unit's history is one join away.
CREATE TABLE event_units (
    unit_id  TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (unit_id, event_id)
) WITHOUT ROWID;

CREATE TABLE items (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    sku           TEXT,
    barcode       TEXT,
    tracking      TEXT NOT NULL,
    reorder_point INTEGER,
    counts        TEXT NOT NULL,                 -- JSON {status: qty}, count items only
    version       INTEGER NOT NULL
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
    fields       TEXT NOT NULL,                  -- JSON {key: value}
    active       INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    last_station TEXT
);
CREATE INDEX units_item ON units(item_id, active);
CREATE INDEX units_name ON units(item_id, name);
CREATE INDEX units_tag ON units(asset_tag) WHERE asset_tag IS NOT NULL;
"#;

/// The station's own bookkeeping: its identity, sequence counter and sync state.
const STATION_V1: &str = r#"
CREATE TABLE station (
    only_row     INTEGER PRIMARY KEY CHECK (only_row = 1),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    last_seq     INTEGER NOT NULL,               -- last sequence number handed out
    pull_cursor  INTEGER NOT NULL DEFAULT 0,     -- hub_seq up to which the hub's log is applied
    hub_url      TEXT,
    token        TEXT,
    hub_ca_pem   TEXT,                           -- extra CA to trust for the hub (private TLS)
    last_sync_ms INTEGER,
    last_error   TEXT
);
"#;

/// Audit summaries (the per-unit results are `field_set` events in the log).
const STATION_V2: &str = r#"
CREATE TABLE audits (
    id          TEXT PRIMARY KEY,
    location    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    finished_ms INTEGER NOT NULL,
    expected    INTEGER NOT NULL,
    found       INTEGER NOT NULL,
    missing     INTEGER NOT NULL,
    unexpected  INTEGER NOT NULL,
    detail      TEXT NOT NULL                    -- JSON: unit ids found, missing, unexpected
);
"#;

/// Mixed versions in a fleet and readable history: the hub's version as last seen, why this station's
/// queue waits for the hub (a kind of change the hub does not know), and the events
/// pulled from newer stations that this version could not apply. A later version
/// applies those at open (it replays their items), then forgets them here. Also the
/// names of other stations and the conflicts reviewed on the hub.
const STATION_V3: &str = r#"
ALTER TABLE station ADD COLUMN hub_version TEXT;
ALTER TABLE station ADD COLUMN push_held TEXT;
CREATE TABLE not_applied_unknown (
    event_id TEXT PRIMARY KEY,
    item_id  TEXT NOT NULL
) WITHOUT ROWID;
-- Names of the stations whose events this station holds, as the hub reports them.
CREATE TABLE station_names (
    station_id TEXT PRIMARY KEY,
    name       TEXT NOT NULL
) WITHOUT ROWID;
-- Conflicts marked reviewed on the hub (from its `conflict_reviewed` events).
CREATE TABLE reviewed (
    event_id TEXT PRIMARY KEY
) WITHOUT ROWID;
"#;

/// What the hub reads besides plain JSON (`gzip`: pushes go compressed), as its last
/// answer said.
const STATION_V5: &str = r#"
ALTER TABLE station ADD COLUMN hub_accepts TEXT;
"#;

/// The latest changes, newest first (the station's pending ones, then by the hub's
/// order), read from an index instead of sorting the whole log: the MCP server's
/// recent activity and the CLI's. (Schema version 7.)
const STATION_V7: &str = r#"
CREATE INDEX events_recent ON events((hub_seq IS NULL), hub_seq, pos);
"#;

/// Blocks of new tag numbers leased from the hub (`tagstation_core::tags`), each with
/// the pattern that writes them and the next number not yet handed out; the hub counts
/// numbers per prefix, so a block is its prefix and first number. Handed out in the
/// order they came (rowid). (Schema version 8.)
const STATION_V8: &str = r#"
CREATE TABLE tag_blocks (
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    next INTEGER NOT NULL,
    prefix TEXT NOT NULL,
    digits INTEGER NOT NULL,
    check_digit INTEGER NOT NULL,
    leased_at TEXT NOT NULL,
    PRIMARY KEY (prefix, first)
);
"#;

/// Condition photos taken at this station: each a JPEG file under `photos/` beside
/// the database, named by its SHA-256, and whether the hub has it yet. (Schema
/// version 10, with `CATALOG_V4`.)
const STATION_V10: &str = r#"
CREATE TABLE photos (
    sha256   TEXT PRIMARY KEY,
    unit_id  TEXT NOT NULL,
    event_id TEXT NOT NULL,
    taken_ms INTEGER NOT NULL,
    bytes    INTEGER NOT NULL,
    pushed   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX photos_pending ON photos(pushed, taken_ms);
"#;

/// Names and codes compared by the catalog's case rule (`catalog::fold`): each kept as
/// typed, beside its key, which lookups and uniqueness checks compare. Rows written
/// before this step get their keys from [`fill_keys`], which runs with it. Also the
/// items' `archived` flag.
pub const CATALOG_V2: &str = r#"
ALTER TABLE items ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN sku_key TEXT;
ALTER TABLE items ADD COLUMN barcode_key TEXT;
ALTER TABLE items ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
ALTER TABLE units ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE units ADD COLUMN tag_key TEXT;
CREATE INDEX items_name_key ON items(name_key);
CREATE INDEX items_sku_key ON items(sku_key) WHERE sku_key IS NOT NULL;
CREATE INDEX items_barcode_key ON items(barcode_key) WHERE barcode_key IS NOT NULL;
CREATE INDEX units_name_key ON units(item_id, name_key);
CREATE INDEX units_tag_key ON units(tag_key) WHERE tag_key IS NOT NULL;
"#;

/// People and locations as catalog entities (made by their own events, like items),
/// and the units' links to them: `holder_id` and `location_id`, beside the holder's
/// and location's names as shown and their case-rule keys (which link lending and
/// places written as free text before this step to the person or location of that
/// name once one exists). Rows written before it get their keys from [`fill_keys_v3`].
pub const CATALOG_V3: &str = r#"
CREATE TABLE people (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    badges        TEXT NOT NULL,                 -- JSON list, as typed
    email         TEXT,
    role          TEXT NOT NULL,
    active        INTEGER NOT NULL,
    max_checkouts INTEGER,
    loan_days     INTEGER,
    erased        INTEGER NOT NULL,
    version       INTEGER NOT NULL
);
CREATE INDEX people_name_key ON people(name_key);
-- Badge codes by their case-rule key: a scanned badge is one lookup away.
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
    active    INTEGER NOT NULL,
    version   INTEGER NOT NULL
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
"#;

/// Reservations and kits as catalog entities (made by their own events): the columns
/// their queries filter on, and the whole reservation or kit as JSON (`body`), which
/// is what is read back.
pub const CATALOG_V4: &str = r#"
CREATE TABLE reservations (
    id        TEXT PRIMARY KEY,
    item_id   TEXT NOT NULL,
    person_id TEXT NOT NULL,
    starts    TEXT NOT NULL,
    ends      TEXT NOT NULL,
    state     TEXT NOT NULL,
    body      TEXT NOT NULL,
    version   INTEGER NOT NULL
);
CREATE INDEX reservations_item ON reservations(item_id, ends);
CREATE INDEX reservations_person ON reservations(person_id, ends);
CREATE TABLE kits (
    id        TEXT PRIMARY KEY,
    name_key  TEXT NOT NULL,
    tag_key   TEXT,
    body      TEXT NOT NULL,
    version   INTEGER NOT NULL
);
CREATE INDEX kits_tag_key ON kits(tag_key) WHERE tag_key IS NOT NULL;
"#;

/// The holder and location keys of units written before [`CATALOG_V3`].
pub fn fill_keys_v3(conn: &Connection) -> Result<(), StoreError> {
    use tagstation_core::catalog::fold;
    let mut read = conn.prepare(
        "SELECT id, holder, location FROM units WHERE holder IS NOT NULL OR location IS NOT NULL",
    )?;
    let rows = read
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<Vec<(String, Option<String>, Option<String>)>>>()?;
    let mut write =
        conn.prepare("UPDATE units SET holder_key = ?2, location_key = ?3 WHERE id = ?1")?;
    for (id, holder, location) in rows {
        write.execute(rusqlite::params![
            id,
            holder.as_deref().map(fold),
            location.as_deref().map(fold)
        ])?;
    }
    Ok(())
}

/// Fill the case-rule keys of rows written before [`CATALOG_V2`], and report (never
/// merge) names and codes that were distinct before and are the same now: an admin
/// decides which to rename. Returns the report's lines, also logged as warnings.
pub fn fill_keys(conn: &Connection) -> Result<Vec<String>, StoreError> {
    use tagstation_core::catalog::fold;
    let key = |s: Option<String>| s.map(|s| fold(&s));
    {
        let mut read = conn.prepare("SELECT id, name, sku, barcode FROM items")?;
        let rows = read
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<(String, String, Option<String>, Option<String>)>>>()?;
        let mut write = conn.prepare(
            "UPDATE items SET name_key = ?2, sku_key = ?3, barcode_key = ?4 WHERE id = ?1",
        )?;
        for (id, name, sku, barcode) in rows {
            write.execute(rusqlite::params![id, fold(&name), key(sku), key(barcode)])?;
        }
        let mut read = conn.prepare("SELECT id, name, asset_tag FROM units")?;
        let rows = read
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<(String, String, Option<String>)>>>()?;
        let mut write =
            conn.prepare("UPDATE units SET name_key = ?2, tag_key = ?3 WHERE id = ?1")?;
        for (id, name, tag) in rows {
            write.execute(rusqlite::params![id, fold(&name), key(tag)])?;
        }
    }
    let report = case_duplicates(conn)?;
    for line in &report {
        tracing::warn!(duplicate = %tagstation_core::escape::controls(line),
            "names or codes that differ only by letter case: kept both, rename one");
    }
    Ok(report)
}

/// Items, units and tags whose names or codes differ only by letter case (possible
/// only in a database written before the case rule), one line each.
pub fn case_duplicates(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let queries = [
        ("item names", "SELECT group_concat(name, ' / ') FROM items GROUP BY name_key HAVING COUNT(*) > 1"),
        (
            "asset tags",
            "SELECT group_concat(asset_tag, ' / ') FROM units WHERE active = 1 AND tag_key IS NOT NULL
             GROUP BY tag_key HAVING COUNT(*) > 1",
        ),
        (
            "unit names",
            "SELECT group_concat(name, ' / ') FROM units WHERE active = 1
             GROUP BY item_id, name_key HAVING COUNT(*) > 1",
        ),
    ];
    let mut out = Vec::new();
    for (what, sql) in queries {
        let mut st = conn.prepare(sql)?;
        let found = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        out.extend(found.into_iter().map(|f| format!("{what}: {f}")));
    }
    Ok(out)
}

/// Which kind of database a file is; each has its own migration list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Station,
    Hub,
}

/// Each migration is a list of SQL batches run in one transaction.
type Migration = &'static [&'static str];

fn migrations(flavor: Flavor) -> &'static [Migration] {
    match flavor {
        Flavor::Station => &[
            &[CATALOG_V1, STATION_V1],
            &[STATION_V2],
            &[STATION_V3],
            &[CATALOG_V2],
            &[CATALOG_V3],
            &[STATION_V5],
            &[STATION_V7],
            &[STATION_V8],
            &[CATALOG_V4, STATION_V10],
        ],
        Flavor::Hub => &[
            &[CATALOG_V1, HUB_V1],
            &[HUB_V2],
            &[CATALOG_V2],
            &[CATALOG_V3],
            &[HUB_V3],
            &[HUB_V4],
            &[HUB_V6],
            &[HUB_V7],
            &[HUB_V8],
            &[HUB_V9],
            &[HUB_V10],
            &[HUB_V11],
            &[HUB_V12],
            &[CATALOG_V4, HUB_V13],
        ],
    }
}

/// The newest schema version this binary knows for a flavor.
pub fn latest(flavor: Flavor) -> i64 {
    migrations(flavor).len() as i64
}

/// Bring the database up to the newest schema, or refuse a newer one.
pub fn migrate(conn: &mut Connection, flavor: Flavor) -> Result<(), StoreError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let all = migrations(flavor);
    let supported = all.len() as i64;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    for (i, batches) in all.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        for sql in *batches {
            tx.execute_batch(sql)?;
            if std::ptr::eq(*sql, CATALOG_V2) {
                fill_keys(&tx)?;
            }
            if std::ptr::eq(*sql, CATALOG_V3) {
                fill_keys_v3(&tx)?;
            }
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "database schema migrated");
    }
    Ok(())
}

/// For a database opened read-only: it must already be at this binary's station
/// schema, since nothing can be migrated without writing.
pub fn check_version(conn: &Connection) -> Result<(), StoreError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let supported = latest(Flavor::Station);
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    if found < supported {
        return Err(StoreError::ReadOnly(format!(
            "the database (schema version {found}) needs an upgrade to version {supported}, which needs writing"
        )));
    }
    Ok(())
}

/// Hub-only tables, beside the shared catalog and event log.
pub const HUB_V1: &str = r#"
CREATE TABLE hub_meta (
    only_row     INTEGER PRIMARY KEY CHECK (only_row = 1),
    hub_id       TEXT NOT NULL,                  -- the hub's own station id for admin edits
    last_hub_seq INTEGER NOT NULL,               -- last position handed out in the hub's log
    last_own_seq INTEGER NOT NULL                -- sequence of the hub's own (admin) events
);
CREATE TABLE stations (
    name          TEXT PRIMARY KEY,
    station_id    TEXT UNIQUE,                   -- bound at enrollment
    created_ms    INTEGER NOT NULL,
    enroll_hash   TEXT,                          -- SHA-256 of the one-time code, until used
    enroll_expires_ms INTEGER,
    token_id      TEXT UNIQUE,
    token_hash    TEXT,                          -- SHA-256 of the token secret
    revoked_ms    INTEGER,
    last_seen_ms  INTEGER
);
CREATE TABLE station_seqs (
    station_id     TEXT PRIMARY KEY,
    contiguous_seq INTEGER NOT NULL              -- highest seq with no gap below it
);
CREATE TABLE reviewed (
    event_id     TEXT PRIMARY KEY,               -- conflicts an admin marked as reviewed
    reviewed_ms  INTEGER NOT NULL
);
CREATE TABLE quarantine (
    station_id   TEXT NOT NULL,
    station_seq  INTEGER NOT NULL,
    event_id     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    body         TEXT NOT NULL,
    received_ms  INTEGER NOT NULL,
    PRIMARY KEY (station_id, station_seq)
);
CREATE INDEX quarantine_id ON quarantine(event_id);
"#;

/// Failed credentials per client and minute, in the database so that several hubs on
/// one PostgreSQL share one limit per client.
pub const HUB_V3: &str = r#"
CREATE TABLE auth_failures (
    client  TEXT NOT NULL,
    minute  INTEGER NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (client, minute)
);
"#;

/// Sign-in for the web app: a password per person (argon2id), sessions and one-time
/// set-password links, each kept as a hash, in the database so that several hubs on
/// one PostgreSQL share them.
pub const HUB_V4: &str = r#"
CREATE TABLE web_passwords (
    person_id   TEXT PRIMARY KEY,
    hash        TEXT NOT NULL,
    set_ms      INTEGER NOT NULL
);
CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL
);
CREATE INDEX web_sessions_person ON web_sessions(person_id);
CREATE TABLE web_links (
    token_hash  TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL,
    expires_ms  INTEGER NOT NULL
);
"#;

/// Personal API tokens for the web app (PostgreSQL's migration 6): each belongs to a
/// person, carries a role cap (a request acts with the lower of the cap and the
/// person's role at the time) and is kept as the SHA-256 of its secret.
pub const HUB_V6: &str = r#"
CREATE TABLE web_tokens (
    id           TEXT PRIMARY KEY,
    person_id    TEXT NOT NULL,
    name         TEXT NOT NULL,
    cap          TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    created_ms   INTEGER NOT NULL,
    last_used_ms INTEGER,
    revoked_ms   INTEGER
);
CREATE INDEX web_tokens_person ON web_tokens(person_id);
"#;

/// Indexes for the web app's pages over a large catalog and log (PostgreSQL's
/// migration 7): an item's latest events (`events_item` replaced by one ordered by
/// the log), open conflicts, overdue units and units by status, in-stock units per
/// item (the reorder check), and units by name over every item (a scanned name).
pub const HUB_V7: &str = r#"
DROP INDEX IF EXISTS events_item;
CREATE INDEX events_item_seq ON events(item_id, hub_seq);
CREATE INDEX events_conflict ON events(hub_seq) WHERE conflict = TRUE;
DROP INDEX IF EXISTS units_item;
CREATE INDEX units_item_status ON units(item_id, active, status);
CREATE INDEX units_status_due ON units(status, active, due, name_key);
CREATE INDEX units_by_name ON units(name_key);
"#;

/// What each station said of itself at its last contact (PostgreSQL's migration 8):
/// the version it runs and how many of its events wait to reach the hub.
pub const HUB_V8: &str = r#"
ALTER TABLE stations ADD COLUMN version TEXT;
ALTER TABLE stations ADD COLUMN pending INTEGER;
"#;

/// The locations page counts every location's active units, and the people pages each
/// person's check-outs and overdue ones: from these indexes alone (PostgreSQL's
/// migration 9), not by reading each unit's row.
pub const HUB_V9: &str = r#"
CREATE INDEX units_location_active ON units(location_id, active) WHERE location_id IS NOT NULL;
CREATE INDEX units_holder_out ON units(holder_id, status, active, due) WHERE holder_id IS NOT NULL;
"#;

/// Blocks of new tag numbers leased to stations (`tagstation_core::tags`; PostgreSQL's
/// migration 10). Numbers count per prefix (by the case rule: `prefix_key`), and a
/// block is keyed by its prefix and first number: two leases of one block cannot both
/// be written. The pattern is kept as leased, to write the block's tags after the
/// hub's settings change.
pub const HUB_V10: &str = r#"
CREATE TABLE tag_leases (
    prefix_key   TEXT NOT NULL,
    first        INTEGER NOT NULL,
    last         INTEGER NOT NULL,
    prefix       TEXT NOT NULL,
    digits       INTEGER NOT NULL,
    check_digit  INTEGER NOT NULL,
    station_id   TEXT NOT NULL,
    leased_at_ms INTEGER NOT NULL,
    PRIMARY KEY (prefix_key, first)
);
"#;

/// Indexes of `units` that another index begins with (`units_holder`,
/// `units_location`), on a column no query looks up by (`asset_tag`: tags are found
/// by `tag_key`) or only sorts an item's units by (`units_name`), dropped
/// (PostgreSQL's migration 11): every unit a push changes wrote to each of them.
pub const HUB_V11: &str = r#"
DROP INDEX IF EXISTS units_name;
DROP INDEX IF EXISTS units_tag;
DROP INDEX IF EXISTS units_holder;
DROP INDEX IF EXISTS units_location;
"#;

/// Reminders (PostgreSQL's migration 12): which daily runs have been made, the
/// sent-log (one row per message and recipient, keyed by the id its Message-ID or
/// idempotency key carries, leased while a hub sends it), each person's choices, and
/// the settings the hubs run with (no secrets), for the web app to show.
pub const HUB_V12: &str = r#"
CREATE TABLE reminder_runs (
    day         TEXT PRIMARY KEY,
    hub         TEXT NOT NULL,
    started_ms  INTEGER NOT NULL
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
    attempts        INTEGER NOT NULL,
    next_ms         INTEGER NOT NULL,
    lease_until_ms  INTEGER,
    lease_hub       TEXT,
    error           TEXT,
    created_ms      INTEGER NOT NULL,
    sent_ms         INTEGER
);
CREATE INDEX reminder_log_pending ON reminder_log(state, next_ms);
CREATE INDEX reminder_log_created ON reminder_log(created_ms);
CREATE TABLE reminder_prefs (
    person_id   TEXT PRIMARY KEY,
    opted_out   TEXT NOT NULL,
    digest      INTEGER NOT NULL
);
CREATE TABLE reminder_settings (
    only_row    INTEGER PRIMARY KEY CHECK (only_row = 1),
    settings    TEXT NOT NULL,
    hub         TEXT NOT NULL,
    set_ms      INTEGER NOT NULL
);
"#;

/// Condition photos sent by stations (PostgreSQL's migration 13, with the
/// reservations and kits): content-addressed, the JPEG as base64 text.
pub const HUB_V13: &str = r#"
CREATE TABLE photos (
    sha256      TEXT PRIMARY KEY,
    unit_id     TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    station     TEXT NOT NULL,
    taken_ms    INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    data        TEXT NOT NULL,
    received_ms INTEGER NOT NULL
);
CREATE INDEX photos_unit ON photos(unit_id, taken_ms);
"#;

/// `hub_meta.last_own_seq` was never read or advanced (the hub's own events are
/// numbered by its `station_seqs` row, like any station's) and PostgreSQL never had
/// it: dropped so that both backends keep the same columns.
pub const HUB_V2: &str = r#"
ALTER TABLE hub_meta DROP COLUMN last_own_seq;
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// A hub database as the first release wrote it opens, and loses only the column.
    #[test]
    fn hub_v1_database_is_upgraded() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(CATALOG_V1).unwrap();
        conn.execute_batch(HUB_V1).unwrap();
        conn.execute_batch(
            "INSERT INTO hub_meta (only_row, hub_id, last_hub_seq, last_own_seq)
             VALUES (1, 'h', 7, 0); PRAGMA user_version = 1;",
        )
        .unwrap();
        migrate(&mut conn, Flavor::Hub).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, latest(Flavor::Hub));
        let (id, seq): (String, i64) = conn
            .query_row("SELECT hub_id, last_hub_seq FROM hub_meta", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((id.as_str(), seq), ("h", 7));
        assert!(conn.prepare("SELECT last_own_seq FROM hub_meta").is_err());
    }

    /// A station database from before the case rule: its rows get their keys, and
    /// names and tags that now collide are reported, both kept.
    #[test]
    fn case_duplicates_are_reported_not_merged() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(CATALOG_V1).unwrap();
        conn.execute_batch(STATION_V1).unwrap();
        conn.execute_batch(STATION_V2).unwrap();
        conn.execute_batch(
            "INSERT INTO items (id, name, tracking, counts, version)
               VALUES ('i1', 'Drill', 'units', '{}', 1), ('i2', 'drill', 'count', '{}', 1);
             INSERT INTO units (id, item_id, name, asset_tag, status, fields, active, version)
               VALUES ('u1', 'i1', 'Drill 01', 'TS-1', 'in_stock', '{}', 1, 1),
                      ('u2', 'i1', 'drill 01', 'ts-1', 'in_stock', '{}', 1, 1);
             PRAGMA user_version = 2;",
        )
        .unwrap();
        migrate(&mut conn, Flavor::Station).unwrap();
        let keys: Vec<(String, String)> = conn
            .prepare("SELECT name, name_key FROM items ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            keys,
            [
                ("Drill".into(), "drill".into()),
                ("drill".into(), "drill".into())
            ]
        );
        let tag: String = conn
            .query_row("SELECT tag_key FROM units WHERE id = 'u1'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(tag, "ts-1");
        let report = case_duplicates(&conn).unwrap();
        assert_eq!(report.len(), 3, "{report:?}");
        assert!(report[0].starts_with("item names: "), "{report:?}");
        assert!(
            report[0].contains("Drill") && report[0].contains("drill"),
            "{report:?}"
        );
        assert!(report[1].starts_with("asset tags: "), "{report:?}");
        assert!(report[2].starts_with("unit names: "), "{report:?}");
    }
}
