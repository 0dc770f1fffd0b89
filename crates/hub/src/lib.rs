//! The hub: the central catalog and event log that stations sync with.
//!
//! - [`HubStore`] is the storage interface. [`SqlHub`] implements it once over the
//!   narrow [`db::Database`] trait (statements with typed parameters, a read
//!   connection, a write transaction); [`sqlite`] (the embedded default) and
//!   [`postgres`] each supply only a database: connections, value conversion and
//!   migrations.
//! - The logic above the database is written once: [`log`] ([`ingest`], the one path
//!   every event takes into the hub's log, [`admin_event`] and [`log::pull`]),
//!   [`tables`] (row mapping, `Projection` and [`HubTx`]), [`stations`], [`views`]
//!   and [`tags`] (blocks of new tag numbers leased to stations).
//! - [`server`] is the HTTP API (axum), [`auth`] the tokens and enrollment codes, and
//!   [`accounts`] the web app's passwords, sessions and set-password links.
//! - [`run`] starts a hub: [`Hub::open`], then `run` (blocking) or `spawn` (background).
//!
//! Ordering: every event that enters the log gets the next `hub_seq` from a counter
//! row updated inside the ingesting transaction. The row lock serialises ingest, so
//! `hub_seq` order is commit order and a station pulling "after N" can never skip an
//! event that commits later with a smaller number.

pub mod accounts;
pub mod auth;
pub mod batch;
pub mod db;
pub mod ledger;
pub mod log;
pub mod photos;
pub mod postgres;
pub mod run;
pub mod server;
pub mod sqlite;
pub mod stations;
pub mod store;
pub mod tables;
pub mod tags;
pub mod usage;
pub mod views;

pub use ledger::{AdminRecorded, HubLedger};
pub use log::{admin_event, ingest, Held, HubTx};
pub use run::{Hub, HubOptions, Running};
pub use store::SqlHub;

use serde::Serialize;
use uuid::Uuid;

use tagstation_core::catalog::{Item, ItemId, Unit, UnitId};
use tagstation_core::event::{ApplyError, Command, DomainError};
use tagstation_core::proto::{LogEntry, PullResponse, PushResponse};
use tagstation_core::view::{HistoryEntry, ItemView, UnitView};

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
    /// Every number of the tag pattern is leased (the last tag it writes).
    #[error("every number of the hub's tag pattern is leased (up to {0}): widen --tag-digits or change --tag-prefix on the hub")]
    TagsExhausted(String),
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
    /// A dry run's own rollback ([`HubStore::admin_rehearse`]); never reaches a caller.
    #[error("dry run: nothing recorded")]
    DryRun,
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
    /// The version it runs, as of its last contact.
    pub version: Option<String>,
    /// Its events still waiting to reach the hub, as of its last contact.
    pub pending: Option<i64>,
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
    /// Failed credentials from `client` in the current minute (every hub's).
    fn failures(&self, client: &str, now_ms: i64) -> Result<i64>;
    /// Note a failed credential from `client`.
    fn note_failure(&self, client: &str, now_ms: i64) -> Result<()>;
    fn revoke(&self, name: &str, now_ms: i64) -> Result<()>;
    fn stations(&self) -> Result<Vec<StationRow>>;
    /// A station was heard from: when, and what it said of itself.
    fn touch(&self, station: Uuid, now_ms: i64, seen: &stations::Seen) -> Result<()>;

    /// Ingest a station's batch in one transaction (see [`ingest`]).
    fn push(&self, station: Uuid, events: &[serde_json::Value]) -> Result<PushResponse>;
    /// Events after `after` in the hub's order; the events of `ack_for` (the pulling
    /// station, when it asked) as acknowledgements.
    fn pull(&self, after: i64, limit: usize, ack_for: Option<Uuid>) -> Result<PullResponse>;
    /// Which event is at position `seq` of the log, and the log's last position.
    fn at(&self, seq: i64) -> Result<tagstation_core::proto::AtResponse>;
    /// Record a change made by an admin as the hub's own event; refused changes are errors.
    fn admin_record(&self, cmd: Command) -> Result<LogEntry> {
        let mut done = self.admin_record_all(vec![cmd]).map_err(|(_, e)| e)?;
        Ok(done.remove(0).entry)
    }
    /// Record admin changes as the hub's own events in one transaction: all of them, or
    /// none and the index of the one refused. [`HubLedger`] records through this.
    fn admin_record_all(&self, cmds: Vec<Command>)
        -> Result<Vec<AdminRecorded>, (usize, HubError)>;
    /// Check admin changes by every rule, as [`HubStore::admin_record_all`] would, and
    /// record nothing (a dry run): the transaction is rolled back.
    fn admin_rehearse(&self, cmds: Vec<Command>) -> Result<(), (usize, HubError)>;

    // The catalog as the operations layer reads it ([`HubLedger`]).
    fn catalog_item(&self, id: ItemId) -> Result<Option<Item>>;
    /// Items whose id, name, SKU or barcode is `reference`.
    fn items_matching(&self, reference: &str) -> Result<Vec<Item>>;
    /// A unit by id, folded ones included.
    fn catalog_unit(&self, id: UnitId) -> Result<Option<Unit>>;
    /// The item's active units, by name; with `folded`, its units folded into counts too.
    fn catalog_units(&self, item: ItemId, folded: bool) -> Result<Vec<Unit>>;
    /// Active units whose tag is `reference`, or else whose id or name is.
    fn units_matching(&self, reference: &str) -> Result<Vec<Unit>>;
    /// The names of every unit the item ever had, folded ones included.
    fn unit_names(&self, item: ItemId) -> Result<Vec<String>>;

    fn items(&self) -> Result<Vec<ItemView>>;
    fn units(&self, item: Option<ItemId>) -> Result<Vec<UnitView>>;
    fn find_unit(&self, reference: &str) -> Result<UnitView>;
    fn unit_history(&self, unit: UnitId) -> Result<Vec<HistoryEntry>>;
    fn holdings(&self) -> Result<Vec<Holding>>;
    /// Conflicts not yet marked reviewed.
    fn conflicts(&self) -> Result<Vec<HistoryEntry>>;
    fn resolve_conflict(&self, event: Uuid) -> Result<()>;
    fn stats(&self) -> Result<Stats>;

    /// Run a read of the hub's tables on a connection (each statement sees what has
    /// committed): how the operations layer, the admin API and the web app read
    /// people, locations and views written once over [`db::Conn`].
    fn read_with(&self, f: &mut dyn FnMut(&mut dyn db::Conn) -> Result<()>) -> Result<()>;
    /// Run a write of the hub's own tables (not the log or the catalog, which change
    /// only by events) in one transaction: the web app's sessions and passwords.
    fn write_with(&self, f: &mut dyn FnMut(&mut dyn db::Conn) -> Result<()>) -> Result<()>;
}

/// [`HubStore::read_with`] returning a value.
pub fn read<T>(hub: &dyn HubStore, f: impl FnOnce(&mut dyn db::Conn) -> Result<T>) -> Result<T> {
    let mut f = Some(f);
    let mut out = None;
    hub.read_with(&mut |c| {
        if let Some(f) = f.take() {
            out = Some(f(c)?);
        }
        Ok(())
    })?;
    out.ok_or_else(|| HubError::Task("a read returned nothing".into()))
}

/// [`HubStore::write_with`] returning a value.
pub fn write<T>(hub: &dyn HubStore, f: impl FnOnce(&mut dyn db::Conn) -> Result<T>) -> Result<T> {
    let mut f = Some(f);
    let mut out = None;
    hub.write_with(&mut |c| {
        if let Some(f) = f.take() {
            out = Some(f(c)?);
        }
        Ok(())
    })?;
    out.ok_or_else(|| HubError::Task("a write returned nothing".into()))
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
