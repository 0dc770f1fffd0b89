//! The hub's embedded SQLite backend.

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
    last_seen_ms  INTEGER,
    contiguous_seq INTEGER NOT NULL DEFAULT 0    -- highest seq with no gap below it
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
"#;
