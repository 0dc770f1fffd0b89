//! Catalog files: CSV import ([`import`]: the file read into rows, planned and
//! recorded by `tagstation_ops::bulk`) and CSV or JSON export ([`export`]). An export
//! of units imports back unchanged.

mod export;
mod import;

pub use export::export;
pub use import::import_csv;
pub use tagstation_ops::bulk::{Change, ChangeKind, Plan, Quantities};
pub use tagstation_ops::files::read_rows;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    File(#[from] tagstation_ops::files::CsvError),
    #[error("row {row}: {source}")]
    Op {
        row: usize,
        source: tagstation_ops::OpError,
    },
    #[error(transparent)]
    Storage(#[from] StoreError),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("write: {0}")]
    Io(#[from] std::io::Error),
}

impl TransferError {
    /// Is this about the file or what it asks (the person can fix it: exit 2), rather
    /// than the storage?
    pub fn is_user_error(&self) -> bool {
        match self {
            TransferError::File(e) => e.is_user_error(),
            TransferError::Json(_) => true,
            TransferError::Op { source, .. } => source.is_user_error(),
            TransferError::Storage(e) => e.is_user_error(),
            TransferError::Io(_) => false,
        }
    }
}

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    Items,
    Units,
    History,
}

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl std::str::FromStr for What {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "items" => Ok(What::Items),
            "units" => Ok(What::Units),
            "history" => Ok(What::History),
            _ => Err(format!("{s:?} is not one of items, units, history")),
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            _ => Err(format!("{s:?} is not one of csv, json")),
        }
    }
}
