//! The hub: the central catalog and event log that stations sync with.
//!
//! - [`HubStore`] is the storage interface, with two real backends: [`sqlite`] (the
//!   embedded default) and [`postgres`]. Each owns its schema and migrations.
//! - [`ingest`] is the one path every event takes into the hub's log, written once
//!   over the small [`HubTx`] interface both backends implement: idempotent by event
//!   id, gap and reuse detection per station, the hub's order, conflict flagging.
//! - [`server`] is the HTTP API (axum) and [`auth`] the tokens and enrollment codes.
//! - [`run`] starts a hub: [`Hub::open`], then `run` (blocking) or `spawn` (background).
//!
//! Ordering: every event that enters the log gets the next `hub_seq` from a counter
//! row updated inside the ingesting transaction. The row lock serialises ingest, so
//! `hub_seq` order is commit order and a station pulling "after N" can never skip an
//! event that commits later with a smaller number.

pub mod auth;
pub mod postgres;
pub mod run;
pub mod server;
pub mod sqlite;

pub use run::{Hub, HubOptions, Running};

use serde::Serialize;
use uuid::Uuid;

use tagstation_core::catalog::{ItemId, UnitId};
use tagstation_core::event::Command;
use tagstation_core::event::{
    apply, base_version, ApplyError, DomainError, Event, Mode, Projection,
};
use tagstation_core::proto::{
    self, LogEntry, PullResponse, PushRefusal, PushResponse, PushResult, PushStatus,
};
use tagstation_core::view::{HistoryEntry, ItemView, UnitView};
use tagstation_sql::projection::Outcome;

/// Everything that can go wrong in the hub, each mapped to an HTTP status by the server.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("already exists: {0}")]
    Exists(String),
    #[error("invalid or expired enrollment code")]
    BadCode,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("database schema version {found} is newer than this hub supports ({supported}); upgrade tagstation")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] ::postgres::Error),
    #[error("store: {0}")]
    Store(#[from] tagstation_sql::StoreError),
    #[error("corrupt data in the hub database: {0}")]
    Corrupt(String),
    #[error("background task failed: {0}")]
    Task(String),
}

impl From<ApplyError<HubError>> for HubError {
    fn from(e: ApplyError<HubError>) -> Self {
        match e {
            ApplyError::Domain(d) => HubError::Domain(d),
            ApplyError::Store(s) => s,
        }
    }
}

pub type Result<T, E = HubError> = std::result::Result<T, E>;

/// A station as the hub's admin sees it. No secrets.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StationRow {
    pub name: String,
    pub station_id: Option<Uuid>,
    pub created: String,
    pub enrolled: bool,
    pub revoked: bool,
    pub last_seen: Option<String>,
    pub contiguous_seq: i64,
}

/// What the hub stores for a station token: enough to check it, nothing to reuse.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub name: String,
    pub station_id: Uuid,
    pub token_hash: String,
    pub revoked: bool,
}

/// Who has what: one checked-out unit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Holding {
    pub holder: String,
    pub unit: UnitView,
}

/// Counters for `/metrics`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub hub_seq: i64,
    pub events: i64,
    pub conflicts_open: i64,
    pub quarantined: i64,
    pub stations: i64,
    pub items: i64,
    pub units: i64,
}

/// Where an event already stands in the hub.
#[derive(Debug, Clone)]
pub struct Held {
    pub id: Uuid,
    pub station_id: Uuid,
    pub station_seq: i64,
    pub hub_seq: Option<i64>,
}

/// The writes and lookups [`ingest`] needs inside one backend transaction.
pub trait HubTx: Projection<Error = HubError> {
    /// Hand out the next position in the hub's log (locks the counter until commit).
    fn next_hub_seq(&mut self) -> Result<i64>;
    /// An event or quarantined event with this id.
    fn held_by_id(&mut self, id: Uuid) -> Result<Option<Held>>;
    fn contiguous(&mut self, station: Uuid) -> Result<i64>;
    fn set_contiguous(&mut self, station: Uuid, seq: i64) -> Result<()>;
    fn insert_event(
        &mut self,
        ev: &Event,
        hub_seq: i64,
        outcome: &Outcome,
        units: &[UnitId],
    ) -> Result<()>;
    fn quarantine(
        &mut self,
        station: Uuid,
        seq: i64,
        id: Uuid,
        reason: &str,
        body: &str,
    ) -> Result<()>;
}

/// The hub's storage. Calls block; the server runs them on the blocking pool.
pub trait HubStore: Send + Sync + 'static {
    /// Which backend this is, for logs and metrics.
    fn backend(&self) -> &'static str;
    /// The hub's own station id, used for events made through the admin API.
    fn hub_id(&self) -> Uuid;

    fn create_station(
        &self,
        name: &str,
        code_hash: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<()>;
    /// Use a one-time code: bind the station id and store the token hash. Returns the
    /// station's name. Fails with [`HubError::BadCode`] for unknown, used or expired codes.
    fn enroll(
        &self,
        code_hash: &str,
        station_id: Uuid,
        token_id: &str,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<String>;
    fn token(&self, token_id: &str) -> Result<Option<TokenRow>>;
    fn revoke(&self, name: &str, now_ms: i64) -> Result<()>;
    fn stations(&self) -> Result<Vec<StationRow>>;
    fn touch(&self, station: Uuid, now_ms: i64) -> Result<()>;

    /// Ingest a station's batch in one transaction (see [`ingest`]).
    fn push(&self, station: Uuid, events: &[serde_json::Value]) -> Result<PushResponse>;
    /// Events after `after` in the hub's order.
    fn pull(&self, after: i64, limit: usize) -> Result<PullResponse>;
    /// Record a change made by an admin as the hub's own event; refused changes are errors.
    fn admin_record(&self, cmd: Command) -> Result<LogEntry>;

    fn items(&self) -> Result<Vec<ItemView>>;
    fn units(&self, item: Option<ItemId>) -> Result<Vec<UnitView>>;
    fn find_unit(&self, reference: &str) -> Result<UnitView>;
    fn unit_history(&self, unit: UnitId) -> Result<Vec<HistoryEntry>>;
    fn holdings(&self) -> Result<Vec<Holding>>;
    /// Conflicts not yet marked reviewed.
    fn conflicts(&self) -> Result<Vec<HistoryEntry>>;
    fn resolve_conflict(&self, event: Uuid) -> Result<()>;
    fn stats(&self) -> Result<Stats>;
}

/// Take a batch of raw events from `station` into the log, in order, in the caller's
/// transaction. `strict` (admin edits) turns a refused event into an error instead of
/// a recorded, flagged "not applied" entry.
pub fn ingest<T: HubTx>(
    tx: &mut T,
    station: Uuid,
    raw: &[serde_json::Value],
    strict: bool,
) -> Result<PushResponse> {
    let mut contiguous = tx.contiguous(station)?;
    let mut results = Vec::with_capacity(raw.len());
    for value in raw {
        let (id, station_seq) = proto::pushed_identity(value);
        let mut r = PushResult {
            id,
            station_seq,
            status: PushStatus::Rejected,
            hub_seq: None,
            reason: None,
        };
        let ev = match proto::decode_pushed(value, station) {
            Ok(ev) => ev,
            Err(refusal) => {
                let reason = refusal.to_string();
                let own = match refusal {
                    PushRefusal::Malformed { own, .. } => own,
                    PushRefusal::Invalid { .. } => true,
                    PushRefusal::OtherStation { .. } => false,
                };
                match refusal {
                    PushRefusal::Malformed { .. } | PushRefusal::Invalid { .. } => {
                        // Keep it for review and let the queue move past it, if it names
                        // its slot: it never gets a hub_seq and never reaches another station.
                        if let (true, Some(id), Some(seq)) = (own, r.id, r.station_seq) {
                            if seq == contiguous + 1 && tx.held_by_id(id)?.is_none() {
                                tx.quarantine(station, seq, id, &reason, &value.to_string())?;
                                contiguous = seq;
                            }
                        }
                        // `?`: the reason quotes station text; logged escaped, never raw.
                        tracing::warn!(%station, ?reason, "push: event rejected");
                    }
                    PushRefusal::OtherStation { claimed } => {
                        tracing::warn!(%station, %claimed, "push: station wrote as another station");
                    }
                }
                r.reason = Some(reason);
                results.push(r);
                continue;
            }
        };
        if let Some(h) = tx.held_by_id(ev.id)? {
            if h.station_id == ev.station_id && h.station_seq == ev.station_seq {
                r.status = if h.hub_seq.is_some() {
                    PushStatus::Duplicate
                } else {
                    PushStatus::Rejected
                };
                r.hub_seq = h.hub_seq;
                if h.hub_seq.is_none() {
                    r.reason = Some("already refused earlier".into());
                }
            } else {
                r.reason = Some(format!(
                    "event id {} is already used by another event",
                    ev.id
                ));
            }
            results.push(r);
            continue;
        }
        if ev.station_seq <= contiguous {
            r.reason = Some(format!(
                "sequence number {} is already used by another event",
                ev.station_seq
            ));
            tracing::warn!(%station, seq = ev.station_seq, event = %ev.id, "push: sequence number reused");
            results.push(r);
            continue;
        }
        if ev.station_seq != contiguous + 1 {
            r.status = PushStatus::Retry;
            r.reason = Some(format!(
                "gap: expected sequence number {}, got {}",
                contiguous + 1,
                ev.station_seq
            ));
            results.push(r);
            continue;
        }
        let hub_seq = tx.next_hub_seq()?;
        let (outcome, units) = match apply(tx, &ev, Mode::Full) {
            Ok(a) => (
                Outcome {
                    applied: true,
                    conflict: a.conflict.is_some(),
                    note: a.conflict,
                },
                a.units,
            ),
            Err(ApplyError::Domain(d)) if !strict => (
                Outcome {
                    applied: false,
                    conflict: true,
                    note: Some(d.to_string()),
                },
                ev.unit_id.into_iter().collect(),
            ),
            Err(e) => return Err(e.into()),
        };
        tx.insert_event(&ev, hub_seq, &outcome, &units)?;
        contiguous = ev.station_seq;
        r.status = if outcome.conflict {
            PushStatus::Conflict
        } else {
            PushStatus::Accepted
        };
        r.hub_seq = Some(hub_seq);
        r.reason = outcome.note;
        results.push(r);
    }
    tx.set_contiguous(station, contiguous)?;
    Ok(PushResponse {
        results,
        contiguous_seq: contiguous,
    })
}

/// Turn an admin command into the hub's own next event and ingest it strictly.
pub fn admin_event<T: HubTx>(
    tx: &mut T,
    hub_id: Uuid,
    cmd: Command,
    now: (i64, bool),
) -> Result<LogEntry> {
    let seq = tx.contiguous(hub_id)? + 1;
    let event = Event {
        id: Uuid::now_v7(),
        station_id: hub_id,
        station_seq: seq,
        actor: cmd.actor,
        wall_time_ms: now.0,
        clock_synced: now.1,
        item_id: cmd.item_id,
        unit_id: cmd.unit_id,
        base_version: base_version(tx, &cmd.kind, cmd.item_id, cmd.unit_id)?,
        scan: cmd.scan,
        kind: cmd.kind,
    };
    // The same input rules as a station's write, answered as a refusal (422).
    event.check()?;
    let value = serde_json::to_value(&event).map_err(|e| HubError::Corrupt(e.to_string()))?;
    let resp = ingest(tx, hub_id, &[value], true)?;
    let r = resp
        .results
        .into_iter()
        .next()
        .ok_or_else(|| HubError::Corrupt("no result for admin event".into()))?;
    match r.hub_seq {
        Some(hub_seq) => Ok(LogEntry {
            hub_seq,
            applied: true,
            conflict: false,
            note: None,
            event,
        }),
        None => Err(HubError::BadRequest(r.reason.unwrap_or_default())),
    }
}

/// Open the backend a `--database` value names: `postgres://...` or a SQLite path.
pub fn open_store(database: &str) -> Result<std::sync::Arc<dyn HubStore>> {
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(postgres::PgHub::connect(database)?))
    } else {
        Ok(std::sync::Arc::new(sqlite::SqliteHub::open(
            std::path::Path::new(database),
        )?))
    }
}
