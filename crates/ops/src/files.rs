//! Catalog files as CSV, the same for every front end (the station's command line, the
//! hub's web app): a file read into the rows [`crate::bulk`] plans, and items, units and
//! history written out. An export of units imports back unchanged.
//!
//! Reading takes headers in any case and order, `,` or `;` between cells (a European
//! spreadsheet's CSV), and takes off the `'` that export puts before formula-like text;
//! writing escapes every text cell ([`csv_cell`]) so a spreadsheet shows it as text.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

use tagstation_core::catalog::{Status, Tracking};
use tagstation_core::escape::{csv_cell, csv_uncell};
use tagstation_core::view::{HistoryEntry, ItemView, UnitView};

use crate::bulk::Row;

/// Why a file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    /// A row (the header is row 1) the catalog cannot take, in words.
    #[error("row {row}: {msg}")]
    Row { row: usize, msg: String },
    #[error("read or write: {0}")]
    Io(#[from] std::io::Error),
}

impl CsvError {
    /// Is this about the file (the person can fix it), rather than the disk?
    pub fn is_user_error(&self) -> bool {
        !matches!(self, CsvError::Io(_))
    }
}

/// The columns an import reads: everything `export units` writes, and the catalog
/// columns of a hand-made file.
const KNOWN: [&str; 15] = [
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
    "holder",
    "due",
    "active",
    "id",
    "item_id",
];

/// The delimiter of a file: `;` when its header row has more of them than commas.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    let count = |c: char| header.chars().filter(|x| *x == c).count();
    if count(';') > count(',') {
        b';'
    } else {
        b','
    }
}

/// A header cell in the form it is matched: `Asset_Tag` is `asset_tag`, `Field:Serial`
/// is the field `Serial` (a field keeps its name as written).
fn column(h: &str) -> String {
    let h = h.trim();
    match h.get(..6) {
        Some(prefix) if prefix.eq_ignore_ascii_case("field:") => format!("field:{}", &h[6..]),
        _ => h.to_lowercase(),
    }
}

/// Read a catalog CSV into rows. A header row is required; unknown or repeated
/// columns are refused, naming them.
pub fn read_rows(mut input: impl Read) -> Result<Vec<Row>, CsvError> {
    let mut text = String::new();
    input.read_to_string(&mut text)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .delimiter(delimiter(text))
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr.headers()?.iter().map(column).collect();
    let header_err = |msg: String| CsvError::Row { row: 1, msg };
    for (i, h) in headers.iter().enumerate() {
        if !KNOWN.contains(&h.as_str()) && !h.starts_with("field:") {
            return Err(header_err(format!(
                "unknown column {h:?}; known: {}, field:NAME",
                KNOWN.join(", ")
            )));
        }
        if headers[..i].contains(h) {
            return Err(header_err(format!("column {h:?} appears twice")));
        }
    }
    if !headers.iter().any(|h| h == "item") {
        return Err(header_err("an `item` column is required".into()));
    }
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec?;
        let bad = |msg: String| CsvError::Row { row: line, msg };
        let get = |name: &str| -> Option<String> {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|p| rec.get(p))
                .filter(|v| !v.is_empty())
                // `'=...`, `'-5 V probe`: the prefix export puts before formula-like text.
                .map(|v| csv_uncell(v).to_string())
        };
        let parsed = |col: &str| -> Result<Option<i64>, CsvError> {
            get(col)
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| bad(format!("{col} {v:?} is not a whole number")))
                })
                .transpose()
        };
        let id = |col: &str| -> Result<Option<uuid::Uuid>, CsvError> {
            get(col)
                .map(|v| {
                    uuid::Uuid::parse_str(&v).map_err(|_| bad(format!("{col} {v:?} is not an id")))
                })
                .transpose()
        };
        let active = get("active")
            .map(|v| match v.to_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(true),
                "false" | "no" | "0" => Ok(false),
                _ => Err(bad(format!("active {v:?} is not true or false"))),
            })
            .transpose()?;
        let fields: BTreeMap<String, String> = headers
            .iter()
            .zip(rec.iter())
            .filter_map(|(h, v)| {
                h.strip_prefix("field:")
                    .filter(|_| !v.is_empty())
                    .map(|k| (k.to_string(), csv_uncell(v).to_string()))
            })
            .collect();
        rows.push(Row {
            line,
            item: get("item").ok_or_else(|| bad("`item` is empty".into()))?,
            item_id: id("item_id")?,
            sku: get("sku"),
            barcode: get("barcode"),
            tracking: get("tracking")
                .map(|t| t.to_lowercase().parse::<Tracking>().map_err(bad))
                .transpose()?,
            reorder_point: parsed("reorder_point")?,
            quantity: parsed("quantity")?,
            status: get("status")
                .map(|s| s.to_lowercase().parse::<Status>().map_err(bad))
                .transpose()?,
            unit: get("unit"),
            unit_id: id("id")?,
            tag: get("asset_tag"),
            location: get("location"),
            holder: get("holder"),
            due: get("due"),
            active,
            fields,
        });
    }
    Ok(rows)
}

/// Items as CSV: one row each, with the totals by status.
pub fn write_items<'a>(
    items: impl IntoIterator<Item = &'a ItemView>,
    out: impl Write,
) -> Result<(), CsvError> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["id", "item", "sku", "barcode", "tracking", "reorder_point"];
    header.extend(Status::COUNTED.iter().map(|s| s.as_str()));
    header.push("total");
    w.write_record(&header)?;
    for i in items {
        let mut rec = vec![
            i.id.to_string(),
            cell(&i.name),
            cell(i.sku.as_deref().unwrap_or_default()),
            cell(i.barcode.as_deref().unwrap_or_default()),
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
    Ok(())
}

/// Units as CSV, in the columns [`read_rows`] reads back, with a `field:NAME` column
/// for every custom field any of them has.
pub fn write_units(units: &[UnitView], out: impl Write) -> Result<(), CsvError> {
    let keys: BTreeSet<&String> = units.iter().flat_map(|u| u.fields.keys()).collect();
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
    for u in units {
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
    Ok(())
}

/// History as CSV, one event a row.
pub fn write_history<'a>(
    history: impl IntoIterator<Item = &'a HistoryEntry>,
    out: impl Write,
) -> Result<(), CsvError> {
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
    for h in history {
        w.write_record([
            h.at.clone(),
            h.clock_synced.to_string(),
            h.station_id.to_string(),
            h.station_seq.to_string(),
            h.hub_seq.map(|s| s.to_string()).unwrap_or_default(),
            cell(&h.actor),
            h.item_id.to_string(),
            h.unit_id.map(|u| u.to_string()).unwrap_or_default(),
            cell(&h.kind),
            cell(&h.description),
            cell(h.scan.as_deref().unwrap_or_default()),
            h.applied.to_string(),
            h.conflict.to_string(),
            cell(h.note.as_deref().unwrap_or_default()),
            h.event_id.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// A text cell for CSV: controls escaped, formula-like text prefixed with `'`
/// ([`csv_cell`]). Numbers, statuses and ids are written as they are.
fn cell(s: &str) -> String {
    csv_cell(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_mixed_case_headers_and_a_bom_are_read() {
        let rows = read_rows(
            "\u{feff}Item;Quantity;STATUS;Field:Serial\nGloves;60;In_Stock;\nDrill;;;SN1\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].item, "Gloves");
        assert_eq!(rows[0].quantity, Some(60));
        assert_eq!(rows[0].status, Some(Status::InStock));
        assert_eq!(
            rows[1].fields.get("Serial").map(String::as_str),
            Some("SN1")
        );
        // A comma file whose cells hold semicolons stays a comma file.
        let rows = read_rows("item,location\n\"Saw; big\",Shelf\n".as_bytes()).unwrap();
        assert_eq!(rows[0].item, "Saw; big");
    }

    #[test]
    fn unknown_and_repeated_columns_are_refused() {
        let e = read_rows("item,colour\nSaw,red\n".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("unknown column \"colour\""), "{e}");
        let e = read_rows("item,Item\nSaw,Saw\n".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("appears twice"), "{e}");
    }
}
