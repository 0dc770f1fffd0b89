//! A catalog CSV imported into the station's store: read by `tagstation_ops::files`,
//! planned and recorded by `tagstation_ops::bulk`.

use std::io::Read;

use tagstation_ops::bulk::{self, Plan};
use tagstation_ops::files::read_rows;
use tagstation_ops::Actor;

use super::TransferError;
use crate::store::Store;

/// Import catalog rows: plan them against the catalog and, unless `dry_run`, record
/// every change in one transaction (all rows or none). Returns the plan: what changed,
/// or with `dry_run` what would change, row by row.
pub fn import_csv(
    store: &mut Store,
    input: impl Read,
    actor: &str,
    opts: impl Into<bulk::Options>,
    dry_run: bool,
) -> Result<Plan, TransferError> {
    let rows = read_rows(input)?;
    let actor = Actor::from(actor);
    let opts = opts.into();
    let done = if dry_run {
        bulk::dry_run(store, rows, opts, &actor)
    } else {
        bulk::import(store, rows, opts, &actor)
    };
    done.map_err(|e| TransferError::Op {
        row: e.row,
        source: e.error,
    })
}
