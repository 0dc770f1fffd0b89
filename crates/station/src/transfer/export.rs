//! Export items, units and the whole history as CSV or JSON.

use std::io::Write;

use super::{Format, TransferError, What};
use crate::store::Store;
use tagstation_ops::files;

/// Write items, units or the whole history.
pub fn export(
    store: &Store,
    what: What,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), TransferError> {
    match (what, format) {
        (What::Items, Format::Json) => {
            serde_json::to_writer_pretty(&mut *out, &store.all_items()?)?
        }
        (What::Units, Format::Json) => {
            serde_json::to_writer_pretty(&mut *out, &store.units(None, true)?)?
        }
        (What::History, Format::Json) => {
            serde_json::to_writer_pretty(&mut *out, &store.all_history()?)?
        }
        (What::Items, Format::Csv) => files::write_items(&store.all_items()?, out)?,
        (What::Units, Format::Csv) => files::write_units(&store.units(None, true)?, out)?,
        (What::History, Format::Csv) => files::write_history(&store.all_history()?, out)?,
    }
    Ok(())
}
