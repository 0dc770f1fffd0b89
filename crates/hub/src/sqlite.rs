//! The hub's embedded SQLite backend: one connection, value conversion to and from
//! rusqlite, and the schema (`tagstation_sql::schema`, flavor `Hub`). The hub's logic
//! is in [`crate::store`] and the modules it calls.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, TransactionBehavior};

use super::db::{Column, Conn, Database, Row, Value};
use super::{HubError, Result, SqlHub};
use tagstation_sql::Flavor;
use tagstation_sql::{open_connection, StoreError};

/// File name of the hub database inside its data directory.
pub const HUB_DB_FILE: &str = "hub.db";

/// The hub on one SQLite file.
pub type SqliteHub = SqlHub<SqliteDb>;

impl SqlHub<SqliteDb> {
    /// Open `path`: a directory (the file `hub.db` inside it) or a database file.
    pub fn open(path: &Path) -> Result<SqliteHub> {
        SqlHub::new(SqliteDb::open(path)?)
    }

    pub fn path(&self) -> &Path {
        &self.db().path
    }
}

/// One SQLite file behind one connection and a mutex: SQLite has one writer anyway,
/// and every request is short.
pub struct SqliteDb {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl SqliteDb {
    /// Open (creating and migrating) the database at `path`, a directory or a file.
    pub fn open(path: &Path) -> Result<SqliteDb> {
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
        Ok(SqliteDb {
            conn: Mutex::new(conn),
            path: file,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-done transaction behind
        // (rusqlite rolls back on drop), so the connection is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Bool(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*b))),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn value_at(row: &rusqlite::Row, col: usize) -> rusqlite::Result<Value> {
    Ok(match row.get_ref(col)? {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(v) => Value::Int(v),
        ValueRef::Text(t) => Value::Text(
            std::str::from_utf8(t)
                .map_err(|e| rusqlite::Error::Utf8Error(col, e))?
                .to_owned(),
        ),
        ValueRef::Real(_) | ValueRef::Blob(_) => {
            return Err(rusqlite::Error::InvalidColumnType(
                col,
                format!("column {col}"),
                row.get_ref(col)?.data_type(),
            ))
        }
    })
}

/// [`Conn`] over a SQLite connection or a transaction on it; statements are cached.
struct SqliteConn<'c>(&'c Connection);

impl Conn for SqliteConn<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let n = self
            .0
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let mut st = self.0.prepare_cached(sql)?;
        let width = st.column_count();
        let rows = st
            .query_map(rusqlite::params_from_iter(params), |r| {
                (0..width)
                    .map(|i| value_at(r, i))
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map(Row::new)
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

impl Database for SqliteDb {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn read<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let conn = self.lock();
        f(&mut SqliteConn(&conn))
    }

    fn write<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&mut SqliteConn(&tx))?;
        tx.commit()?;
        Ok(out)
    }

    fn columns(&self) -> Result<Vec<Column>> {
        let conn = self.lock();
        let mut st = conn.prepare(
            "SELECT m.name, c.name, c.\"notnull\", c.pk
             FROM sqlite_schema m, pragma_table_info(m.name) c
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
             ORDER BY m.name, c.cid",
        )?;
        let rows = st.query_map([], |r| {
            let not_null: bool = r.get(2)?;
            let pk: i64 = r.get(3)?;
            Ok(Column {
                table: r.get(0)?,
                name: r.get(1)?,
                // Every key the hub's tables declare is filled on insert; SQLite alone
                // would accept a NULL in a non-INTEGER primary key.
                nullable: !not_null && pk == 0,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
