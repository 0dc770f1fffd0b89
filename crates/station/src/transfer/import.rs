//! A catalog CSV read into the rows `tagstation_ops::bulk` plans: headers in any case
//! and order, `,` or `;` between cells (a European spreadsheet's CSV), the `'` that
//! export puts before formula-like text taken off again.

use std::collections::BTreeMap;
use std::io::Read;

use tagstation_core::catalog::{Status, Tracking};
use tagstation_core::escape::csv_uncell;
use tagstation_ops::bulk::{self, Plan, Row};
use tagstation_ops::Actor;

use super::TransferError;
use crate::store::Store;

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
pub fn read_rows(mut input: impl Read) -> Result<Vec<Row>, TransferError> {
    let mut text = String::new();
    input.read_to_string(&mut text)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .delimiter(delimiter(text))
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr.headers()?.iter().map(column).collect();
    let header_err = |msg: String| TransferError::Row { row: 1, msg };
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
        let bad = |msg: String| TransferError::Row { row: line, msg };
        let get = |name: &str| -> Option<String> {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|p| rec.get(p))
                .filter(|v| !v.is_empty())
                // `'=...`, `'-5 V probe`: the prefix export puts before formula-like text.
                .map(|v| csv_uncell(v).to_string())
        };
        let parsed = |col: &str| -> Result<Option<i64>, TransferError> {
            get(col)
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| bad(format!("{col} {v:?} is not a whole number")))
                })
                .transpose()
        };
        let id = |col: &str| -> Result<Option<uuid::Uuid>, TransferError> {
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
