//! tagstation-sql: the SQLite layer the station's store and the hub's SQLite backend
//! share.
//!
//! [`schema`] holds the versioned migrations (the catalog tables both keep, the
//! station's own tables, the hub's own tables); [`projection`] maps rows to the domain
//! types and implements `Projection` over a connection, so `event::apply` writes the
//! same rows everywhere; [`open_connection`] opens a file with the durability settings
//! every store uses; [`StoreError`] is what a SQLite store can say went wrong, each
//! cause once, with words for the person at the station.

pub mod projection;
pub mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode};
use tagstation_core::event::{ApplyError, DomainError};

pub use schema::Flavor;

/// Everything that can go wrong in a SQLite store, each kind distinct.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("no {what} matches {reference:?}")]
    NotFound {
        what: &'static str,
        reference: String,
    },
    #[error("{reference:?} matches several {what}: {candidates}")]
    Ambiguous {
        what: &'static str,
        reference: String,
        candidates: String,
    },
    #[error("database schema version {found} is newer than this program supports ({supported}); upgrade tagstation")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("storage full: nothing can be saved until space is freed ({0})")]
    StorageFull(String),
    #[error("the database is read-only: nothing was saved ({0})")]
    ReadOnly(String),
    #[error("the database is busy (another process holds the write lock): {0}")]
    Busy(String),
    #[error("cannot open the database at {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no station database in {0}: run `tagstation init` to create one")]
    NoStation(PathBuf),
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StoreError::StorageFull(e.to_string()),
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly(e.to_string()),
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
                StoreError::Busy(e.to_string())
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

impl From<ApplyError<rusqlite::Error>> for StoreError {
    fn from(e: ApplyError<rusqlite::Error>) -> Self {
        match e {
            ApplyError::Domain(d) => StoreError::Domain(d),
            ApplyError::Store(s) => s.into(),
        }
    }
}

impl StoreError {
    /// The problem in words for the person at the station, with what to do next.
    pub fn user_message(&self) -> String {
        match self {
            StoreError::Domain(d) => d.user_message(),
            StoreError::NotFound { what, .. } => {
                format!("Unknown {what}. Check the label, or register it.")
            }
            StoreError::Ambiguous { what, .. } => {
                format!("More than one {what} matches. Scan its tag instead.")
            }
            StoreError::StorageFull(_) => {
                "NOT SAVED: the station's storage is full. Call your administrator.".into()
            }
            StoreError::ReadOnly(_) => {
                "NOT SAVED: the station's storage is read-only. Call your administrator.".into()
            }
            StoreError::Busy(_) => "NOT SAVED: the station is busy. Scan again.".into(),
            _ => "NOT SAVED: storage problem. Call your administrator.".into(),
        }
    }

    /// Is this about the request (the caller can fix it) rather than the storage?
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            StoreError::Domain(_) | StoreError::NotFound { .. } | StoreError::Ambiguous { .. }
        )
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Open a SQLite file with the durability settings every store uses.
pub fn open_connection(path: &Path, flavor: Flavor) -> Result<Connection> {
    let created = !path.exists();
    let mut conn = Connection::open(path).map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    conn.busy_timeout(Duration::from_secs(10))?;
    // One ingest uses more distinct statements than the default cache of 16 holds.
    conn.set_prepared_statement_cache_capacity(64);
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if mode != "wal" {
        tracing::warn!(%mode, "could not switch the database to WAL mode");
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Text a change replaces or deletes is overwritten on disk, not left in free
    // space: an erased person's name must not survive in the file.
    conn.pragma_update(None, "secure_delete", "ON")?;
    if flavor == Flavor::Hub {
        // A server, not a Pi: a page cache of 64 MiB keeps the units and the log's
        // recent pages in memory, and the log is folded back into the file every
        // 10,000 pages (40 MiB) instead of 1,000, so a page every push changes (a
        // unit's row, the counter) is written back once per fold, not once a push.
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
    }
    schema::migrate(&mut conn, flavor)?;
    if created {
        restrict_permissions(path);
    }
    Ok(conn)
}

/// The database holds tokens and history: a new file is readable by its owner only.
/// An existing file keeps the mode its operator gave it.
fn restrict_permissions(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [
            path.to_path_buf(),
            path.with_extension("db-wal"),
            path.with_extension("db-shm"),
        ] {
            if let Ok(meta) = std::fs::metadata(&p) {
                let mut perm = meta.permissions();
                if perm.mode() & 0o077 != 0 {
                    perm.set_mode(0o600);
                    let _ = std::fs::set_permissions(&p, perm);
                }
            }
        }
    }
}
