//! The narrow database interface the hub's logic is written over, once: statements with
//! typed parameters, rows of typed values, and a read connection or a write transaction.
//!
//! SQL is written with `?1`, `?2`... placeholders and in the dialect both backends
//! speak (`ON CONFLICT ... DO NOTHING`, `TRUE`/`FALSE`, `RETURNING`); a backend
//! rewrites placeholders if it needs another style (see [`numbered_to_dollar`]).

use std::str::FromStr;

use uuid::Uuid;

use super::{HubError, Result};

/// One parameter or column value, in the few types the hub's tables use.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
/// Ids are stored as their hyphenated text.
impl From<Uuid> for Value {
    fn from(v: Uuid) -> Self {
        Value::Text(v.to_string())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Parameters for a statement: `params![a, b, c]`.
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::db::Value::from($v)),*][..] };
}
pub(crate) use params;

fn corrupt(col: usize, what: &str, found: &Value) -> HubError {
    HubError::Corrupt(format!("column {col}: expected {what}, found {found:?}"))
}

/// The type of a column of the rows a statement reads from `rows`
/// ([`Conn::write_rows`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Text,
    Int,
    Bool,
}

/// Most rows one multi-row `VALUES` statement carries: larger sets go in chunks of
/// 256, 64, 16, 4 and 1 rows, so each statement has at most five shapes to prepare.
pub const CHUNKS: [usize; 5] = [256, 64, 16, 4, 1];

/// `WITH rows(a, b) AS (VALUES (?1, ?2), (?3, ?4)...) sql`, for `n` rows: built once
/// per statement and row count.
fn with_values(sql: &str, columns: &[(&str, Ty)], n: usize) -> std::sync::Arc<str> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Texts = HashMap<String, HashMap<usize, Arc<str>>>;
    static TEXTS: OnceLock<Mutex<Texts>> = OnceLock::new();
    let mut texts = TEXTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if !texts.contains_key(sql) {
        texts.insert(sql.to_owned(), HashMap::new());
    }
    let by_rows = texts.get_mut(sql).expect("inserted above");
    by_rows
        .entry(n)
        .or_insert_with(|| {
            let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
            Arc::from(format!(
                "WITH rows({}) AS (VALUES {}) {sql}",
                names.join(", "),
                placeholders(n, columns.len())
            ))
        })
        .clone()
}

/// `?N` placeholders for `rows` rows of `cols` columns: `(?1, ?2), (?3, ?4)`.
pub fn placeholders(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=cols).map(|c| format!("?{}", r * cols + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many values one row of `columns` has, checking that `values` make whole rows.
pub fn row_width(sql: &str, columns: &[(&str, Ty)], values: &[Value]) -> Result<usize> {
    let width = columns.len();
    if width == 0 || !values.len().is_multiple_of(width) {
        return Err(HubError::BadRequest(format!(
            "{} values do not make rows of {width} columns: {sql:?}",
            values.len()
        )));
    }
    Ok(width)
}

/// One result row; the getters check the type and turn a mismatch into
/// [`HubError::Corrupt`].
#[derive(Debug, Clone, PartialEq)]
pub struct Row(Vec<Value>);

impl Row {
    pub fn new(values: Vec<Value>) -> Row {
        Row(values)
    }

    fn at(&self, col: usize) -> Result<&Value> {
        self.0
            .get(col)
            .ok_or_else(|| HubError::Corrupt(format!("row has no column {col}")))
    }

    pub fn opt_int(&self, col: usize) -> Result<Option<i64>> {
        match self.at(col)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            other => Err(corrupt(col, "an integer", other)),
        }
    }
    pub fn int(&self, col: usize) -> Result<i64> {
        self.opt_int(col)?
            .ok_or_else(|| corrupt(col, "an integer", &Value::Null))
    }
    /// A boolean: `BOOLEAN` on PostgreSQL, 0 or 1 on SQLite.
    pub fn bool(&self, col: usize) -> Result<bool> {
        match self.at(col)? {
            Value::Bool(b) => Ok(*b),
            Value::Int(0) => Ok(false),
            Value::Int(1) => Ok(true),
            other => Err(corrupt(col, "a boolean", other)),
        }
    }
    pub fn opt_text(&self, col: usize) -> Result<Option<String>> {
        match self.at(col)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            other => Err(corrupt(col, "text", other)),
        }
    }
    pub fn text(&self, col: usize) -> Result<String> {
        self.opt_text(col)?
            .ok_or_else(|| corrupt(col, "text", &Value::Null))
    }
    pub fn opt_uuid(&self, col: usize) -> Result<Option<Uuid>> {
        self.opt_text(col)?
            .map(|s| {
                Uuid::parse_str(&s).map_err(|e| HubError::Corrupt(format!("column {col}: {e}")))
            })
            .transpose()
    }
    pub fn uuid(&self, col: usize) -> Result<Uuid> {
        self.opt_uuid(col)?
            .ok_or_else(|| corrupt(col, "an id", &Value::Null))
    }
    /// A JSON text column.
    pub fn json<T: serde::de::DeserializeOwned>(&self, col: usize) -> Result<T> {
        serde_json::from_str(&self.text(col)?)
            .map_err(|e| HubError::Corrupt(format!("column {col}: {e}")))
    }
    /// A text column holding a name the domain parses (status, tracking).
    pub fn parsed<T: FromStr<Err = String>>(&self, col: usize) -> Result<T> {
        self.text(col)?
            .parse()
            .map_err(|e: String| HubError::Corrupt(format!("column {col}: {e}")))
    }
}

/// An open connection, or a transaction on it: everything the hub's logic asks of a
/// database. Placeholders are `?1`, `?2`...
pub trait Conn {
    /// Run a statement; returns how many rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    /// Run a query; returns all its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>>;

    /// Run `sql`, a statement that reads many rows from a table named `rows` with
    /// these `columns`; `values` holds the rows one after the other. Returns how many
    /// rows it changed. By default the rows go as multi-row `VALUES` in chunks of
    /// [`CHUNKS`]; a backend that can take a whole set at once (PostgreSQL: a
    /// column per array, `UNNEST`) does it in one statement.
    fn write_rows(&mut self, sql: &str, columns: &[(&str, Ty)], values: &[Value]) -> Result<u64> {
        let width = row_width(sql, columns, values)?;
        let mut changed = 0;
        let mut rest = values;
        while !rest.is_empty() {
            let rows = rest.len() / width;
            let n = CHUNKS.into_iter().find(|c| *c <= rows).unwrap_or(1);
            let (now, later) = rest.split_at(n * width);
            changed += self.execute(&with_values(sql, columns, n), now)?;
            rest = later;
        }
        Ok(changed)
    }

    /// Whether `units` is a view for reading only, its columns stored in two tables:
    /// `unit_rows` (what a unit is: its name, tag, fields) and `unit_state` (what
    /// lending changes: status, place, holder, due date, version; and its item and
    /// whether it is in use), so that a status change rewrites a narrow row and no
    /// index (PostgreSQL: a HOT update). Writes go to the two tables
    /// ([`crate::tables::Tables::update_units`]). False: `units` is one table (SQLite,
    /// whose schema the station shares).
    fn units_split(&self) -> bool {
        false
    }

    /// The first row of a query, if any.
    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
    /// The first row of a query that always returns one.
    fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row> {
        self.query_opt(sql, params)?
            .ok_or_else(|| HubError::Corrupt(format!("no row for {sql:?}")))
    }
}

/// A hub database: a connection for reads, a transaction for writes. Both calls block.
pub trait Database: Send + Sync + 'static {
    /// Which backend this is, for logs and metrics.
    fn backend(&self) -> &'static str;
    /// Run `f` on a connection outside any explicit transaction (each statement sees
    /// what has committed).
    fn read<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T>;
    /// Run `f` in one transaction: committed if `f` returns `Ok`, rolled back if not.
    /// Writers are serialised by the first row they lock (SQLite: by the write lock,
    /// taken at the start).
    fn write<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T>;
    /// Every hub table's columns, for the check that both backends keep the same
    /// schema.
    fn columns(&self) -> Result<Vec<Column>>;
}

/// One column of a table, as the database describes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Column {
    pub table: String,
    pub name: String,
    pub nullable: bool,
}

/// Rewrite `?N` placeholders to PostgreSQL's `$N`, leaving quoted text and
/// identifiers alone.
pub fn numbered_to_dollar(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                out.push(c);
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' && chars.peek().is_some_and(|n| n.is_ascii_digit()) => out.push('$'),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rewritten_outside_quotes() {
        assert_eq!(
            numbered_to_dollar("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND \"?3\" = ?10"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND \"?3\" = $10"
        );
        assert_eq!(numbered_to_dollar("SELECT '' || ?2"), "SELECT '' || $2");
        assert_eq!(numbered_to_dollar("a ? b"), "a ? b");
    }

    #[test]
    fn getters_check_types() {
        let r = Row::new(vec![
            Value::Int(1),
            Value::Null,
            Value::Text("x".into()),
            Value::Bool(false),
        ]);
        assert!(r.bool(0).unwrap());
        assert!(!r.bool(3).unwrap());
        assert_eq!(r.opt_int(1).unwrap(), None);
        assert!(r.int(1).is_err());
        assert!(r.int(2).is_err());
        assert!(r.uuid(2).is_err());
        assert!(r.text(9).is_err());
    }
}
