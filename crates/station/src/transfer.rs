//! Import a catalog from CSV; export items, units and history as CSV or JSON.
//!
//! Import is all or nothing: every row becomes one or two events, recorded in a single
//! transaction, so a bad row 513 leaves the catalog as it was and names the row.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};

use uuid::Uuid;

use crate::store::{Command, Store, StoreError};
use tagstation_core::catalog::{Status, Tracking};
use tagstation_core::escape::{csv_cell, csv_uncell};
use tagstation_ops::catalog::{self, NewItem, NewUnit};
use tagstation_ops::naming::next_free_name;
use tagstation_ops::{Actor, Ledger};

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("row {row}: {msg}")]
    Row { row: usize, msg: String },
    #[error("row {row}: {source}")]
    Store { row: usize, source: StoreError },
    #[error(transparent)]
    Storage(#[from] StoreError),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("write: {0}")]
    Io(#[from] std::io::Error),
}

/// What an import did.
#[derive(Debug, Default, Clone, serde::Serialize, PartialEq, Eq)]
pub struct ImportSummary {
    pub rows: usize,
    pub items_created: usize,
    pub units_created: usize,
    pub quantities_adjusted: usize,
}

/// Import catalog rows. Columns (header row required, any order, unknown ones refused):
/// `item` (required), `sku`, `barcode`, `tracking` (`count`|`units`), `reorder_point`,
/// `quantity`, `status`, `unit`, `asset_tag`, `location`, and `field:NAME` for custom
/// fields. A row with `unit` or `asset_tag` creates a unit; otherwise a row with
/// `quantity` adds that many to a count item in `status` (default `in_stock`).
pub fn import_csv(
    store: &mut Store,
    input: impl Read,
    actor: &str,
) -> Result<ImportSummary, TransferError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = rdr.headers()?.clone();
    const KNOWN: [&str; 10] = [
        "item",
        "sku",
        "barcode",
        "tracking",
        "reorder_point",
        "quantity",
        "status",
        "unit",
        "asset_tag",
        "location",
    ];
    for h in headers.iter() {
        if !KNOWN.contains(&h) && !h.starts_with("field:") {
            return Err(TransferError::Row {
                row: 1,
                msg: format!(
                    "unknown column {h:?}; known: {}, field:NAME",
                    KNOWN.join(", ")
                ),
            });
        }
    }
    if !headers.iter().any(|h| h == "item") {
        return Err(TransferError::Row {
            row: 1,
            msg: "an `item` column is required".into(),
        });
    }

    let mut summary = ImportSummary::default();
    let mut cmds: Vec<(usize, Command)> = Vec::new();
    // Items created earlier in this file: name -> (id, tracking, units so far).
    // Per item: its id, how it is tracked, and the unit names taken so far (in the
    // catalog and earlier in this file), so unnamed units follow the one naming rule.
    let mut new_items: HashMap<String, (Uuid, Tracking, BTreeSet<String>)> = HashMap::new();
    let actor = Actor::from(actor);
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = rec?;
        summary.rows += 1;
        let get = |name: &str| -> Option<String> {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|p| rec.get(p))
                .filter(|v| !v.is_empty())
                // `'=...`, `'-5 V probe`: the prefix export puts before formula-like text.
                .map(|v| csv_uncell(v).to_string())
        };
        let bad = |msg: String| TransferError::Row { row, msg };
        let name = get("item").ok_or_else(|| bad("`item` is empty".into()))?;
        let wants_unit = get("unit").is_some() || get("asset_tag").is_some();
        let parse_i64 = |col: &str| -> Result<Option<i64>, TransferError> {
            get(col)
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| bad(format!("{col} {v:?} is not a whole number")))
                })
                .transpose()
        };
        let status = get("status")
            .map(|s| s.parse::<Status>().map_err(bad))
            .transpose()?
            .unwrap_or(Status::InStock);

        let (item_id, tracking, mut taken) = match new_items.remove(&name) {
            Some(x) => x,
            None => match store.find_item(&name) {
                Ok(item) => {
                    let names =
                        Ledger::unit_names(store, item.id).map_err(|e| bad(e.user_message()))?;
                    (item.id, item.tracking, names.into_iter().collect())
                }
                Err(StoreError::NotFound { .. }) => {
                    let tracking = match get("tracking") {
                        Some(t) => t.parse::<Tracking>().map_err(bad)?,
                        None if wants_unit => Tracking::Units,
                        None => Tracking::Count,
                    };
                    let (id, created) = catalog::create_item_commands(
                        NewItem {
                            name: name.clone(),
                            sku: get("sku"),
                            barcode: get("barcode"),
                            tracking,
                            reorder_point: parse_i64("reorder_point")?,
                            quantity: None,
                        },
                        &actor,
                    )
                    .map_err(|e| bad(e.user_message()))?;
                    cmds.extend(created.into_iter().map(|c| (row, c)));
                    summary.items_created += 1;
                    (id, tracking, BTreeSet::new())
                }
                Err(e) => return Err(TransferError::Store { row, source: e }),
            },
        };
        if wants_unit {
            if tracking != Tracking::Units {
                return Err(bad(format!(
                    "{name:?} is tracked by count; a unit row needs a unit-tracked item"
                )));
            }
            let fields: BTreeMap<String, String> = headers
                .iter()
                .zip(rec.iter())
                .filter_map(|(h, v)| {
                    h.strip_prefix("field:")
                        .filter(|_| !v.is_empty())
                        .map(|k| (k.to_string(), v.to_string()))
                })
                .collect();
            let unit_name = match get("unit") {
                Some(n) => n,
                None => next_free_name(&name, &taken),
            };
            taken.insert(unit_name.clone());
            let (_, cmd) = catalog::add_unit_command(
                item_id,
                &unit_name,
                NewUnit {
                    name: None,
                    tag: get("asset_tag"),
                    location: get("location"),
                    status,
                    fields,
                },
                &actor,
            );
            cmds.push((row, cmd));
            summary.units_created += 1;
        } else if let Some(q) = parse_i64("quantity")? {
            if q != 0 {
                cmds.push((
                    row,
                    catalog::adjust_quantity_command(
                        item_id,
                        status,
                        q,
                        Some("import".into()),
                        &actor,
                    ),
                ));
                summary.quantities_adjusted += 1;
            }
        }
        new_items.insert(name, (item_id, tracking, taken));
    }
    let rows: Vec<usize> = cmds.iter().map(|(r, _)| *r).collect();
    store
        .record_batch(cmds.into_iter().map(|(_, c)| c).collect())
        .map_err(|(idx, source)| TransferError::Store {
            row: rows.get(idx).copied().unwrap_or(0),
            source,
        })?;
    Ok(summary)
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

/// Write items, units or the whole history.
pub fn export(
    store: &Store,
    what: What,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), TransferError> {
    match (what, format) {
        (What::Items, Format::Json) => serde_json::to_writer_pretty(&mut *out, &store.items()?)?,
        (What::Units, Format::Json) => {
            serde_json::to_writer_pretty(&mut *out, &store.units(None, true)?)?
        }
        (What::History, Format::Json) => {
            serde_json::to_writer_pretty(&mut *out, &store.all_history()?)?
        }
        (What::Items, Format::Csv) => {
            let mut w = csv::Writer::from_writer(out);
            let mut header = vec!["id", "item", "sku", "barcode", "tracking", "reorder_point"];
            header.extend(Status::COUNTED.iter().map(|s| s.as_str()));
            header.push("total");
            w.write_record(&header)?;
            for i in store.items()? {
                let mut rec = vec![
                    i.id.to_string(),
                    cell(&i.name),
                    cell(&i.sku.unwrap_or_default()),
                    cell(&i.barcode.unwrap_or_default()),
                    i.tracking.as_str().into(),
                    i.reorder_point.map(|r| r.to_string()).unwrap_or_default(),
                ];
                rec.extend(
                    Status::COUNTED
                        .iter()
                        .map(|s| i.totals.get(s).copied().unwrap_or(0).to_string()),
                );
                rec.push(i.total.to_string());
                w.write_record(&rec)?;
            }
            w.flush()?;
        }
        (What::Units, Format::Csv) => {
            let units = store.units(None, true)?;
            let keys: std::collections::BTreeSet<&String> =
                units.iter().flat_map(|u| u.fields.keys()).collect();
            let mut w = csv::Writer::from_writer(out);
            let mut header: Vec<String> = [
                "item",
                "unit",
                "asset_tag",
                "status",
                "location",
                "holder",
                "due",
                "active",
                "id",
                "item_id",
            ]
            .map(String::from)
            .to_vec();
            header.extend(keys.iter().map(|k| cell(&format!("field:{k}"))));
            w.write_record(&header)?;
            for u in &units {
                let opt = |v: &Option<String>| cell(v.as_deref().unwrap_or_default());
                let mut rec = vec![
                    cell(&u.item),
                    cell(&u.name),
                    opt(&u.asset_tag),
                    u.status.as_str().into(),
                    opt(&u.location),
                    opt(&u.holder),
                    opt(&u.due),
                    u.active.to_string(),
                    u.id.to_string(),
                    u.item_id.to_string(),
                ];
                rec.extend(
                    keys.iter()
                        .map(|k| cell(u.fields.get(*k).map(String::as_str).unwrap_or_default())),
                );
                w.write_record(&rec)?;
            }
            w.flush()?;
        }
        (What::History, Format::Csv) => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "at",
                "clock_synced",
                "station_id",
                "station_seq",
                "hub_seq",
                "actor",
                "item_id",
                "unit_id",
                "kind",
                "description",
                "scan",
                "applied",
                "conflict",
                "note",
                "event_id",
            ])?;
            for h in store.all_history()? {
                w.write_record([
                    h.at,
                    h.clock_synced.to_string(),
                    h.station_id.to_string(),
                    h.station_seq.to_string(),
                    h.hub_seq.map(|s| s.to_string()).unwrap_or_default(),
                    cell(&h.actor),
                    h.item_id.to_string(),
                    h.unit_id.map(|u| u.to_string()).unwrap_or_default(),
                    cell(&h.kind),
                    cell(&h.description),
                    cell(&h.scan.unwrap_or_default()),
                    h.applied.to_string(),
                    h.conflict.to_string(),
                    cell(&h.note.unwrap_or_default()),
                    h.event_id.to_string(),
                ])?;
            }
            w.flush()?;
        }
    }
    Ok(())
}

/// A text cell for CSV: controls escaped, formula-like text prefixed with `'`
/// ([`csv_cell`]). Numbers, statuses and ids are written as they are.
fn cell(s: &str) -> String {
    csv_cell(s).into_owned()
}
