//! Export items, units and the whole history as CSV or JSON.

use std::io::Write;

use super::{Format, TransferError, What};
use crate::store::Store;
use tagstation_core::catalog::Status;
use tagstation_core::escape::csv_cell;

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
        (What::Items, Format::Csv) => {
            let mut w = csv::Writer::from_writer(out);
            let mut header = vec!["id", "item", "sku", "barcode", "tracking", "reorder_point"];
            header.extend(Status::COUNTED.iter().map(|s| s.as_str()));
            header.push("total");
            w.write_record(&header)?;
            for i in store.all_items()? {
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
