//! The hub's catalog and log tables over any [`Conn`]: row mapping for items, units
//! and events, [`Projection`] for `event::apply` (names and codes looked up by their
//! case-rule `*_key` columns), and [`HubTx`] for [`crate::ingest`].

use uuid::Uuid;

use super::batch::key;
use super::db::{params, Conn, Row, Ty, Value};
use super::{Held, HubError, HubTx, Result};
use tagstation_core::catalog::{fold, Item, ItemId, Totals, Unit, UnitId};
use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::event::{Event, EventKind, Outcome, Projection, StoredEvent, UnitQuery};
use tagstation_core::kits::{Kit, KitId};
use tagstation_core::locations::{Location, LocationId};
use tagstation_core::people::{Person, PersonFields, PersonId, Scrub};
use tagstation_core::reservations::{Reservation, ReservationId, ReservationQuery};
use tagstation_sql::projection::{reservation_filter, reservation_from_body};

const ITEM_COLS: &str =
    "id, name, sku, barcode, tracking, reorder_point, counts, version, archived";
const UNIT_COLS: &str = "id, item_id, name, asset_tag, status, location, holder, due, fields, \
                         active, version, last_station, location_id, holder_id";
const PERSON_COLS: &str =
    "id, name, badges, email, role, active, max_checkouts, loan_days, erased, version";
const LOCATION_COLS: &str = "id, name, kind, parent_id, code, active, version";
const EVENT_COLS: &str = "e.id, e.station_id, e.station_seq, e.actor, e.wall_time_ms, \
                          e.clock_synced, e.item_id, e.unit_id, e.base_version, e.scan, e.payload, \
                          e.hub_seq, e.applied, e.conflict, e.note";

fn json_text<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| HubError::Corrupt(e.to_string()))
}

fn item_row(r: &Row) -> Result<Item> {
    Ok(Item {
        id: r.uuid(0)?,
        name: r.text(1)?,
        sku: r.opt_text(2)?,
        barcode: r.opt_text(3)?,
        tracking: r.parsed(4)?,
        reorder_point: r.opt_int(5)?,
        counts: Totals(r.json(6)?),
        version: r.int(7)?,
        archived: r.bool(8)?,
    })
}

fn unit_row(r: &Row) -> Result<Unit> {
    Ok(Unit {
        id: r.uuid(0)?,
        item_id: r.uuid(1)?,
        name: r.text(2)?,
        asset_tag: r.opt_text(3)?,
        status: r.parsed(4)?,
        location: r.opt_text(5)?,
        holder: r.opt_text(6)?,
        due: r.opt_text(7)?,
        fields: r.json(8)?,
        active: r.bool(9)?,
        version: r.int(10)?,
        last_station: r.opt_uuid(11)?,
        location_id: r.opt_uuid(12)?,
        holder_id: r.opt_uuid(13)?,
    })
}

fn person_row(r: &Row) -> Result<Person> {
    Ok(Person {
        id: r.uuid(0)?,
        name: r.text(1)?,
        badges: r.json(2)?,
        email: r.opt_text(3)?,
        role: r.parsed(4)?,
        active: r.bool(5)?,
        max_checkouts: r.opt_int(6)?,
        loan_days: r.opt_int(7)?,
        erased: r.bool(8)?,
        version: r.int(9)?,
    })
}

fn location_row(r: &Row) -> Result<Location> {
    Ok(Location {
        id: r.uuid(0)?,
        name: r.text(1)?,
        kind: r.parsed(2)?,
        parent: r.opt_uuid(3)?,
        code: r.opt_text(4)?,
        active: r.bool(5)?,
        version: r.int(6)?,
    })
}

/// People matching `filter` (`WHERE ... ORDER BY ...`).
pub fn select_people(
    c: &mut dyn Conn,
    filter: &str,
    p: &[super::db::Value],
) -> Result<Vec<Person>> {
    c.query(&format!("SELECT {PERSON_COLS} FROM people {filter}"), p)?
        .iter()
        .map(person_row)
        .collect()
}

/// Kits matching `filter` (`WHERE ... ORDER BY ...`), with text parameters.
pub fn select_kits(c: &mut dyn Conn, filter: &str, args: &[String]) -> Result<Vec<Kit>> {
    let p: Vec<Value> = args.iter().map(|a| Value::Text(a.clone())).collect();
    c.query(&format!("SELECT body FROM kits {filter}"), &p)?
        .iter()
        .map(|r| {
            serde_json::from_str(&r.text(0)?)
                .map_err(|e| HubError::Corrupt(format!("a kit's body: {e}")))
        })
        .collect()
}

/// Reservations matching `filter` (`WHERE ... ORDER BY ...`), with text parameters.
pub fn select_reservations(
    c: &mut dyn Conn,
    filter: &str,
    args: &[String],
) -> Result<Vec<Reservation>> {
    let p: Vec<Value> = args.iter().map(|a| Value::Text(a.clone())).collect();
    c.query(&format!("SELECT body FROM reservations {filter}"), &p)?
        .iter()
        .map(|r| {
            reservation_from_body(&r.text(0)?)
                .map_err(|e| HubError::Corrupt(format!("a reservation's body: {e}")))
        })
        .collect()
}

/// Locations matching `filter` (`WHERE ... ORDER BY ...`).
pub fn select_locations(
    c: &mut dyn Conn,
    filter: &str,
    p: &[super::db::Value],
) -> Result<Vec<Location>> {
    c.query(
        &format!("SELECT {LOCATION_COLS} FROM locations {filter}"),
        p,
    )?
    .iter()
    .map(location_row)
    .collect()
}

fn event_row(r: &Row) -> Result<StoredEvent> {
    Ok(StoredEvent {
        event: Event {
            id: r.uuid(0)?,
            station_id: r.uuid(1)?,
            station_seq: r.int(2)?,
            actor: r.text(3)?,
            wall_time_ms: r.int(4)?,
            clock_synced: r.bool(5)?,
            item_id: r.uuid(6)?,
            unit_id: r.opt_uuid(7)?,
            base_version: r.opt_int(8)?,
            scan: r.opt_text(9)?,
            kind: r.json(10)?,
        },
        hub_seq: r.opt_int(11)?,
        outcome: Outcome {
            applied: r.bool(12)?,
            conflict: r.bool(13)?,
            note: r.opt_text(14)?,
        },
    })
}

/// Items matching `filter` (`WHERE ... ORDER BY ...`).
pub fn select_items(c: &mut dyn Conn, filter: &str, p: &[super::db::Value]) -> Result<Vec<Item>> {
    c.query(&format!("SELECT {ITEM_COLS} FROM items {filter}"), p)?
        .iter()
        .map(item_row)
        .collect()
}

/// Units matching `filter` (`WHERE ... ORDER BY ...`).
pub fn select_units(c: &mut dyn Conn, filter: &str, p: &[super::db::Value]) -> Result<Vec<Unit>> {
    c.query(&format!("SELECT {UNIT_COLS} FROM units {filter}"), p)?
        .iter()
        .map(unit_row)
        .collect()
}

/// Events matching `filter` (joins and `WHERE ... ORDER BY ...` on alias `e`).
pub fn select_events(
    c: &mut dyn Conn,
    filter: &str,
    p: &[super::db::Value],
) -> Result<Vec<StoredEvent>> {
    c.query(&format!("SELECT {EVENT_COLS} FROM events e {filter}"), p)?
        .iter()
        .map(event_row)
        .collect()
}

/// The catalog and log tables seen through one connection or transaction. Inside a
/// write transaction it is the [`HubTx`] that [`crate::ingest`] runs on.
pub struct Tables<'c>(&'c mut dyn Conn);

impl<'c> Tables<'c> {
    pub fn new(conn: &'c mut dyn Conn) -> Self {
        Tables(conn)
    }

    pub fn conn(&mut self) -> &mut dyn Conn {
        self.0
    }

    /// Items written in one statement (insert or update each).
    pub fn put_items(&mut self, items: &[Item]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut params = Vec::with_capacity(items.len() * ITEM_COLUMNS.len());
        for i in items {
            params.extend([
                i.id.into(),
                (&i.name).into(),
                i.sku.as_deref().into(),
                i.barcode.as_deref().into(),
                i.tracking.as_str().into(),
                i.reorder_point.into(),
                json_text(&i.counts.0)?.into(),
                i.version.into(),
                i.archived.into(),
                fold(&i.name).into(),
                key(i.sku.as_deref()),
                key(i.barcode.as_deref()),
            ]);
        }
        let sql = shaped(("put_items", 0), || upsert_by_id("items", &ITEM_COLUMNS));
        self.0.write_rows(&sql, &ITEM_COLUMNS, &params)?;
        Ok(())
    }

    /// Units written in one statement (insert or update each).
    pub fn put_units(&mut self, units: &[Unit]) -> Result<()> {
        let rows = units.iter().map(unit_values).collect::<Result<Vec<_>>>()?;
        self.insert_units(&rows)
    }

    /// Units inserted whole, or if their id is there, overwritten whole (`rows` are
    /// [`unit_values`]): one statement per table units are stored in.
    pub fn insert_units(&mut self, rows: &[[Value; UNIT_COLUMNS.len()]]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        for &(table, columns) in unit_tables(self.0) {
            let mask = columns | 1;
            let columns = unit_columns(mask);
            let sql = shaped((table, mask), || upsert_by_id(table, &columns));
            self.0.write_rows(&sql, &columns, &masked(rows, mask))?;
        }
        Ok(())
    }

    /// Stored units updated in only the columns in `changed` (a bit per
    /// [`UNIT_COLUMNS`] entry; the id's bit is implied), in one statement per table
    /// that holds any of them; `rows` are [`unit_values`]. A status change touches
    /// only the state's columns: on SQLite an index none of whose columns changed is
    /// left alone, on PostgreSQL the narrow `unit_state` row is rewritten in place
    /// ([`Conn::units_split`]). The row is found by its key, whatever the table's size.
    pub fn update_units(
        &mut self,
        changed: u32,
        rows: &[[Value; UNIT_COLUMNS.len()]],
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        for &(table, columns) in unit_tables(self.0) {
            let changed = changed & columns & !1;
            if changed == 0 {
                continue;
            }
            let mask = changed | 1;
            // `changed` lacks the id's bit an insert's shape has: the keys differ.
            let sql = shaped((table, changed), || {
                let sets: Vec<String> = unit_columns(changed)
                    .iter()
                    .map(|(c, _)| format!("{c} = rows.{c}"))
                    .collect();
                format!(
                    "UPDATE {table} SET {} FROM rows WHERE {table}.id = rows.id",
                    sets.join(", ")
                )
            });
            self.0
                .write_rows(&sql, &unit_columns(mask), &masked(rows, mask))?;
        }
        Ok(())
    }

    /// Events appended to the log in one statement, each with its place and outcome.
    pub fn insert_events(&mut self, events: &[(&Event, i64, &Outcome)]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut values = Vec::with_capacity(events.len() * EVENT_COLUMNS.len());
        for (ev, hub_seq, o) in events {
            values.extend(event_values(ev, *hub_seq, o)?);
        }
        let sql = shaped(("insert_events", 0), || {
            let cols: Vec<&str> = EVENT_COLUMNS.iter().map(|(c, _)| *c).collect();
            format!(
                "INSERT INTO events ({cols}) SELECT {cols} FROM rows",
                cols = cols.join(", ")
            )
        });
        self.0.write_rows(&sql, &EVENT_COLUMNS, &values)?;
        Ok(())
    }

    /// Which units each event touched, in one statement.
    pub fn link_units(&mut self, links: &[(UnitId, Uuid)]) -> Result<()> {
        if links.is_empty() {
            return Ok(());
        }
        let values: Vec<Value> = links
            .iter()
            .flat_map(|(u, e)| [Value::from(*u), Value::from(*e)])
            .collect();
        self.0.write_rows(
            "INSERT INTO event_units (unit_id, event_id) SELECT unit_id, event_id FROM rows
             WHERE TRUE ON CONFLICT DO NOTHING",
            &[("unit_id", Ty::Text), ("event_id", Ty::Text)],
            &values,
        )?;
        Ok(())
    }

    /// Units by id, in one query per chunk.
    pub fn units_by_ids(&mut self, ids: &[UnitId]) -> Result<Vec<Unit>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(256) {
            let params: Vec<Value> = chunk.iter().map(|i| Value::from(*i)).collect();
            out.extend(select_units(
                self.0,
                &format!("WHERE id IN ({})", list(chunk.len())),
                &params,
            )?);
        }
        Ok(out)
    }

    /// Items by id, in one query per chunk.
    pub fn items_by_ids(&mut self, ids: &[ItemId]) -> Result<Vec<Item>> {
        let mut out = Vec::with_capacity(ids.len());
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        for chunk in ids.chunks(256) {
            let params: Vec<Value> = chunk.iter().map(|i| Value::from(*i)).collect();
            out.extend(select_items(
                self.0,
                &format!("WHERE id IN ({})", list(chunk.len())),
                &params,
            )?);
        }
        Ok(out)
    }

    /// Active units carrying any of these tag keys.
    pub fn units_with_tags(&mut self, keys: &[String]) -> Result<Vec<Unit>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(256) {
            let params: Vec<Value> = chunk.iter().map(Value::from).collect();
            out.extend(select_units(
                self.0,
                &format!("WHERE tag_key IN ({}) AND active = TRUE", list(chunk.len())),
                &params,
            )?);
        }
        Ok(out)
    }

    /// Active units of these (item, name key) pairs.
    pub fn units_named(&mut self, names: &[(ItemId, String)]) -> Result<Vec<Unit>> {
        let mut items: Vec<ItemId> = names.iter().map(|(i, _)| *i).collect();
        items.sort();
        items.dedup();
        let mut keys: Vec<&String> = names.iter().map(|(_, n)| n).collect();
        keys.sort();
        keys.dedup();
        let mut out = Vec::new();
        for items in items.chunks(128) {
            for keys in keys.chunks(128) {
                let mut params: Vec<Value> = items.iter().map(|i| Value::from(*i)).collect();
                params.extend(keys.iter().map(|k| Value::from(k.as_str())));
                let marks_i = (1..=items.len())
                    .map(|n| format!("?{n}"))
                    .collect::<Vec<_>>();
                let marks_k = (items.len() + 1..=items.len() + keys.len())
                    .map(|n| format!("?{n}"))
                    .collect::<Vec<_>>();
                out.extend(select_units(
                    self.0,
                    &format!(
                        "WHERE item_id IN ({}) AND name_key IN ({}) AND active = TRUE",
                        marks_i.join(", "),
                        marks_k.join(", ")
                    ),
                    &params,
                )?);
            }
        }
        out.retain(|u| names.contains(&(u.item_id, fold(&u.name))));
        Ok(out)
    }

    /// Items whose barcode key is one of these.
    pub fn items_with_barcodes(&mut self, keys: &[String]) -> Result<Vec<Item>> {
        self.items_where_key_in("barcode_key", keys)
    }

    /// Items whose name key is one of these.
    pub fn items_named(&mut self, keys: &[String]) -> Result<Vec<Item>> {
        self.items_where_key_in("name_key", keys)
    }

    fn items_where_key_in(&mut self, column: &str, keys: &[String]) -> Result<Vec<Item>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(256) {
            let params: Vec<Value> = chunk.iter().map(Value::from).collect();
            out.extend(select_items(
                self.0,
                &format!("WHERE {column} IN ({})", list(chunk.len())),
                &params,
            )?);
        }
        Ok(out)
    }

    /// Which of these code keys are someone's badge.
    pub fn badges_among(&mut self, keys: &[String]) -> Result<std::collections::HashSet<String>> {
        self.keys_present("SELECT code_key FROM badges WHERE code_key IN", keys)
    }

    /// Which of these code keys are a kit's tag.
    pub fn kit_codes_among(
        &mut self,
        keys: &[String],
    ) -> Result<std::collections::HashSet<String>> {
        self.keys_present("SELECT tag_key FROM kits WHERE tag_key IN", keys)
    }

    /// Which of these code keys are a location's label.
    pub fn location_codes_among(
        &mut self,
        keys: &[String],
    ) -> Result<std::collections::HashSet<String>> {
        self.keys_present("SELECT code_key FROM locations WHERE code_key IN", keys)
    }

    fn keys_present(
        &mut self,
        select: &str,
        keys: &[String],
    ) -> Result<std::collections::HashSet<String>> {
        let mut out = std::collections::HashSet::new();
        for chunk in keys.chunks(256) {
            let params: Vec<Value> = chunk.iter().map(Value::from).collect();
            for r in self
                .0
                .query(&format!("{select} ({})", list(chunk.len())), &params)?
            {
                out.insert(r.text(0)?);
            }
        }
        Ok(out)
    }

    /// Which of these event ids the hub already holds (in its log or in quarantine).
    pub fn held_by_ids(&mut self, ids: &[Uuid]) -> Result<Vec<Held>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(256) {
            let params: Vec<Value> = chunk.iter().map(|i| Value::from(*i)).collect();
            let marks = list(chunk.len());
            for r in self.0.query(
                &format!(
                    "SELECT id, station_id, station_seq, hub_seq FROM events WHERE id IN ({marks})"
                ),
                &params,
            )? {
                out.push(Held {
                    id: r.uuid(0)?,
                    station_id: r.uuid(1)?,
                    station_seq: r.int(2)?,
                    hub_seq: r.opt_int(3)?,
                });
            }
            for r in self.0.query(
                &format!(
                    "SELECT event_id, station_id, station_seq FROM quarantine WHERE event_id IN ({marks})"
                ),
                &params,
            )? {
                out.push(Held {
                    id: r.uuid(0)?,
                    station_id: r.uuid(1)?,
                    station_seq: r.int(2)?,
                    hub_seq: None,
                });
            }
        }
        Ok(out)
    }

    /// Lock the log's counter row (until commit) and read the last `hub_seq` given.
    pub fn lock_hub_seq(&mut self) -> Result<i64> {
        self.0
            .query_one(
                "UPDATE hub_meta SET last_hub_seq = last_hub_seq RETURNING last_hub_seq",
                &[],
            )?
            .int(0)
    }

    /// Set the log's counter (the caller holds its lock).
    pub fn set_hub_seq(&mut self, last: i64) -> Result<()> {
        self.0
            .execute("UPDATE hub_meta SET last_hub_seq = ?1", &[Value::Int(last)])?;
        Ok(())
    }
}

/// The text of a statement built from constants, once per (name, variant), where the
/// variant says which shape (such as which columns an update sets).
fn shaped(key: (&'static str, u32), build: impl FnOnce() -> String) -> std::sync::Arc<str> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Shapes = HashMap<(&'static str, u32), Arc<str>>;
    static SHAPES: OnceLock<Mutex<Shapes>> = OnceLock::new();
    let mut shapes = SHAPES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    shapes
        .entry(key)
        .or_insert_with(|| Arc::from(build()))
        .clone()
}

/// The columns of `units` the hub writes, in the order of [`unit_values`].
pub const UNIT_COLUMNS: [&str; 18] = [
    "id",
    "item_id",
    "name",
    "asset_tag",
    "status",
    "location",
    "holder",
    "due",
    "fields",
    "active",
    "version",
    "last_station",
    "name_key",
    "tag_key",
    "location_id",
    "holder_id",
    "location_key",
    "holder_key",
];

/// `INSERT INTO table (columns) SELECT columns FROM rows`, each row that names an id
/// already there overwriting it in every other column ([`Conn::write_rows`]).
fn upsert_by_id(table: &str, columns: &[(&str, Ty)]) -> String {
    let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
    let sets: Vec<String> = names
        .iter()
        .filter(|c| **c != "id")
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO {table} ({cols}) SELECT {cols} FROM rows WHERE TRUE
         ON CONFLICT (id) DO UPDATE SET {}",
        sets.join(", "),
        cols = names.join(", "),
    )
}

/// The columns of `items` the hub writes, with their types, in the order `put_items`
/// gives them.
const ITEM_COLUMNS: [(&str, Ty); 12] = [
    ("id", Ty::Text),
    ("name", Ty::Text),
    ("sku", Ty::Text),
    ("barcode", Ty::Text),
    ("tracking", Ty::Text),
    ("reorder_point", Ty::Int),
    ("counts", Ty::Text),
    ("version", Ty::Int),
    ("archived", Ty::Bool),
    ("name_key", Ty::Text),
    ("sku_key", Ty::Text),
    ("barcode_key", Ty::Text),
];

/// The columns of `events` the hub writes, with their types.
const EVENT_COLUMNS: [(&str, Ty); 16] = [
    ("id", Ty::Text),
    ("station_id", Ty::Text),
    ("station_seq", Ty::Int),
    ("hub_seq", Ty::Int),
    ("actor", Ty::Text),
    ("wall_time_ms", Ty::Int),
    ("clock_synced", Ty::Bool),
    ("item_id", Ty::Text),
    ("unit_id", Ty::Text),
    ("base_version", Ty::Int),
    ("kind", Ty::Text),
    ("payload", Ty::Text),
    ("scan", Ty::Text),
    ("applied", Ty::Bool),
    ("conflict", Ty::Bool),
    ("note", Ty::Text),
];

/// An event's row in the log, column by column as in [`EVENT_COLUMNS`].
pub fn event_values(ev: &Event, hub_seq: i64, o: &Outcome) -> Result<[Value; EVENT_COLUMNS.len()]> {
    Ok([
        ev.id.into(),
        ev.station_id.into(),
        ev.station_seq.into(),
        hub_seq.into(),
        (&ev.actor).into(),
        ev.wall_time_ms.into(),
        ev.clock_synced.into(),
        ev.item_id.into(),
        ev.unit_id.into(),
        ev.base_version.into(),
        ev.kind.name().into(),
        json_text(&ev.kind)?.into(),
        ev.scan.as_deref().into(),
        o.applied.into(),
        o.conflict.into(),
        o.note.as_deref().into(),
    ])
}

/// The types of [`UNIT_COLUMNS`], in order.
const UNIT_TYPES: [Ty; UNIT_COLUMNS.len()] = [
    Ty::Text, // id
    Ty::Text, // item_id
    Ty::Text, // name
    Ty::Text, // asset_tag
    Ty::Text, // status
    Ty::Text, // location
    Ty::Text, // holder
    Ty::Text, // due
    Ty::Text, // fields
    Ty::Bool, // active
    Ty::Int,  // version
    Ty::Text, // last_station
    Ty::Text, // name_key
    Ty::Text, // tag_key
    Ty::Text, // location_id
    Ty::Text, // holder_id
    Ty::Text, // location_key
    Ty::Text, // holder_key
];

/// The columns of [`UNIT_COLUMNS`] whose bit is set in `mask`, with their types.
fn unit_columns(mask: u32) -> Vec<(&'static str, Ty)> {
    UNIT_COLUMNS
        .iter()
        .zip(UNIT_TYPES)
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, (c, t))| (*c, t))
        .collect()
}

/// Every column of [`UNIT_COLUMNS`], as the `changed` bits of [`Tables::update_units`].
pub const ALL_UNIT_COLUMNS: u32 = (1 << UNIT_COLUMNS.len()) - 1;

/// The columns of [`UNIT_COLUMNS`] stored in `unit_state` where units are split: what
/// lending changes (status, place, holder, due date, version, the last station), with
/// the unit's item and whether it is in use, so that counts read that table alone.
const UNIT_STATE_COLUMNS: u32 = 1 << 1 // item_id (in both tables; never changes)
    | 1 << 4 // status
    | 1 << 5 // location
    | 1 << 6 // holder
    | 1 << 7 // due
    | 1 << 9 // active
    | 1 << 10 // version
    | 1 << 11 // last_station
    | 1 << 14 // location_id
    | 1 << 15 // holder_id
    | 1 << 16 // location_key
    | 1 << 17; // holder_key

/// The columns of [`UNIT_COLUMNS`] stored in `unit_rows`: what a unit is.
const UNIT_ROW_COLUMNS: u32 = ALL_UNIT_COLUMNS & !UNIT_STATE_COLUMNS | 1 << 1;

/// The tables units are written to on this connection, each with the columns it
/// holds (besides `id`, which each has): `units` whole, or `unit_rows` and
/// `unit_state` ([`Conn::units_split`]).
fn unit_tables(c: &dyn Conn) -> &'static [(&'static str, u32)] {
    if c.units_split() {
        &[
            ("unit_rows", UNIT_ROW_COLUMNS),
            ("unit_state", UNIT_STATE_COLUMNS),
        ]
    } else {
        &[("units", ALL_UNIT_COLUMNS)]
    }
}

/// The values of `rows` in the columns whose bit is set in `mask`, row after row.
fn masked(rows: &[[Value; UNIT_COLUMNS.len()]], mask: u32) -> Vec<Value> {
    rows.iter()
        .flat_map(|r| {
            r.iter()
                .enumerate()
                .filter(move |(i, _)| mask & (1 << i) != 0)
                .map(|(_, v)| v.clone())
        })
        .collect()
}

/// A unit's row, column by column as in [`UNIT_COLUMNS`].
pub fn unit_values(u: &Unit) -> Result<[Value; UNIT_COLUMNS.len()]> {
    Ok([
        u.id.into(),
        u.item_id.into(),
        (&u.name).into(),
        u.asset_tag.as_deref().into(),
        u.status.as_str().into(),
        u.location.as_deref().into(),
        u.holder.as_deref().into(),
        u.due.as_deref().into(),
        json_text(&u.fields)?.into(),
        u.active.into(),
        u.version.into(),
        u.last_station.into(),
        fold(&u.name).into(),
        key(u.asset_tag.as_deref()),
        u.location_id.into(),
        u.holder_id.into(),
        key(u.location.as_deref()),
        key(u.holder.as_deref()),
    ])
}

/// `?1, ?2, ... ?n`.
fn list(n: usize) -> String {
    (1..=n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Projection for Tables<'_> {
    type Error = HubError;

    fn kit(&mut self, id: KitId) -> Result<Option<Kit>> {
        Ok(select_kits(self.0, "WHERE id = ?1", &[id.to_string()])?.pop())
    }
    fn kits(&mut self) -> Result<Vec<Kit>> {
        select_kits(self.0, "ORDER BY name_key", &[])
    }
    fn kit_by_code(&mut self, code: &str) -> Result<Option<Kit>> {
        Ok(select_kits(self.0, "WHERE tag_key = ?1 LIMIT 1", &[fold(code)])?.pop())
    }
    fn put_kit(&mut self, k: &Kit) -> Result<()> {
        let body = serde_json::to_string(k)
            .map_err(|e| HubError::Corrupt(format!("a kit as JSON: {e}")))?;
        self.0.execute(
            "INSERT INTO kits (id, name_key, tag_key, body, version)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET name_key = excluded.name_key,
               tag_key = excluded.tag_key, body = excluded.body,
               version = excluded.version",
            params![
                k.id,
                fold(&k.name),
                k.tag.as_deref().map(fold),
                body,
                k.version,
            ],
        )?;
        Ok(())
    }
    fn reservation(&mut self, id: ReservationId) -> Result<Option<Reservation>> {
        Ok(select_reservations(self.0, "WHERE id = ?1", &[id.to_string()])?.pop())
    }
    fn reservations(&mut self, q: &ReservationQuery) -> Result<Vec<Reservation>> {
        let (filter, args) = reservation_filter(q);
        select_reservations(self.0, &filter, &args)
    }
    fn put_reservation(&mut self, r: &Reservation) -> Result<()> {
        let body = serde_json::to_string(r)
            .map_err(|e| HubError::Corrupt(format!("a reservation as JSON: {e}")))?;
        self.0.execute(
            "INSERT INTO reservations (id, item_id, person_id, starts, ends, state, body, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET item_id = excluded.item_id,
               person_id = excluded.person_id, starts = excluded.starts,
               ends = excluded.ends, state = excluded.state, body = excluded.body,
               version = excluded.version",
            params![
                r.id,
                r.fields.item_id,
                r.fields.person_id,
                r.fields.starts.as_str(),
                r.fields.ends.as_str(),
                r.state.as_str(),
                body,
                r.version,
            ],
        )?;
        Ok(())
    }
    fn item(&mut self, id: ItemId) -> Result<Option<Item>> {
        Ok(select_items(self.0, "WHERE id = ?1", params![id])?.pop())
    }
    fn item_by_name(&mut self, name: &str) -> Result<Option<Item>> {
        Ok(select_items(self.0, "WHERE name_key = ?1 LIMIT 1", params![fold(name)])?.pop())
    }
    fn item_by_barcode(&mut self, barcode: &str) -> Result<Option<Item>> {
        Ok(select_items(
            self.0,
            "WHERE barcode_key = ?1 LIMIT 1",
            params![fold(barcode)],
        )?
        .pop())
    }
    fn put_item(&mut self, i: &Item) -> Result<()> {
        self.put_items(std::slice::from_ref(i))
    }
    fn unit(&mut self, id: UnitId) -> Result<Option<Unit>> {
        Ok(select_units(self.0, "WHERE id = ?1", params![id])?.pop())
    }
    fn unit_by_tag(&mut self, tag: &str) -> Result<Option<Unit>> {
        Ok(select_units(
            self.0,
            "WHERE tag_key = ?1 AND active = TRUE LIMIT 1",
            params![fold(tag)],
        )?
        .pop())
    }
    fn units_of_item(&mut self, item: ItemId) -> Result<Vec<Unit>> {
        select_units(
            self.0,
            "WHERE item_id = ?1 AND active = TRUE ORDER BY name",
            params![item],
        )
    }
    fn unit_named(&mut self, item: ItemId, name: &str) -> Result<Option<Unit>> {
        Ok(select_units(
            self.0,
            "WHERE item_id = ?1 AND name_key = ?2 AND active = TRUE LIMIT 1",
            params![item, fold(name)],
        )?
        .pop())
    }
    fn put_unit(&mut self, u: &Unit) -> Result<()> {
        self.put_units(std::slice::from_ref(u))
    }
    fn units_where(&mut self, q: &UnitQuery) -> Result<Vec<Unit>> {
        const OUT: &str = "status = 'checked_out' AND active = TRUE";
        match q {
            UnitQuery::HeldBy(p) => select_units(
                self.0,
                &format!("WHERE holder_id = ?1 AND {OUT} ORDER BY name"),
                params![*p],
            ),
            UnitQuery::HeldAs(k) => select_units(
                self.0,
                &format!("WHERE holder_key = ?1 AND holder_id IS NULL AND {OUT} ORDER BY name"),
                params![k],
            ),
            UnitQuery::At(l) => select_units(
                self.0,
                "WHERE location_id = ?1 AND active = TRUE ORDER BY name",
                params![*l],
            ),
            UnitQuery::AtName(k) => select_units(
                self.0,
                "WHERE location_key = ?1 AND location_id IS NULL AND active = TRUE ORDER BY name",
                params![k],
            ),
        }
    }
    fn person(&mut self, id: PersonId) -> Result<Option<Person>> {
        Ok(select_people(self.0, "WHERE id = ?1", params![id])?.pop())
    }
    fn person_by_name(&mut self, name: &str) -> Result<Option<Person>> {
        Ok(select_people(self.0, "WHERE name_key = ?1 LIMIT 1", params![fold(name)])?.pop())
    }
    fn person_by_badge(&mut self, code: &str) -> Result<Option<Person>> {
        Ok(select_people(
            self.0,
            "WHERE id = (SELECT person_id FROM badges WHERE code_key = ?1 LIMIT 1)",
            params![fold(code)],
        )?
        .pop())
    }
    fn put_person(&mut self, x: &Person) -> Result<()> {
        self.0.execute(
            "INSERT INTO people (id, name, name_key, badges, email, role, active,
                                 max_checkouts, loan_days, erased, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name,
               name_key = excluded.name_key, badges = excluded.badges,
               email = excluded.email, role = excluded.role, active = excluded.active,
               max_checkouts = excluded.max_checkouts, loan_days = excluded.loan_days,
               erased = excluded.erased, version = excluded.version",
            params![
                x.id,
                &x.name,
                fold(&x.name),
                json_text(&x.badges)?,
                x.email.as_deref(),
                x.role.as_str(),
                x.active,
                x.max_checkouts,
                x.loan_days,
                x.erased,
                x.version,
            ],
        )?;
        self.0
            .execute("DELETE FROM badges WHERE person_id = ?1", params![x.id])?;
        for b in &x.badges {
            self.0.execute(
                "INSERT INTO badges (code_key, person_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![fold(b), x.id],
            )?;
        }
        Ok(())
    }
    fn person_history(&mut self, id: PersonId) -> Result<Vec<PersonFields>> {
        Ok(select_events(
            self.0,
            "WHERE e.item_id = ?1 AND e.kind IN ('person_created', 'person_edited')
             ORDER BY e.hub_seq",
            params![id],
        )?
        .into_iter()
        .filter_map(|s| match s.event.kind {
            EventKind::PersonCreated(f) | EventKind::PersonEdited(f) => Some(f),
            _ => None,
        })
        .collect())
    }
    fn scrub(&mut self, scrub: &Scrub) -> Result<()> {
        // Every event, in pages by position: an erasure is rare, a log can be long.
        let mut after = 0i64;
        loop {
            let page = select_events(
                self.0,
                "WHERE e.hub_seq > ?1 ORDER BY e.hub_seq LIMIT 1000",
                params![after],
            )?;
            let Some(last) = page.last().and_then(|s| s.hub_seq) else {
                break;
            };
            for mut s in page {
                let changed = scrub.event(&mut s.event);
                let note = s.outcome.note.as_deref().and_then(|n| scrub.note(n));
                if changed || note.is_some() {
                    self.0.execute(
                        "UPDATE events SET actor = ?2, payload = ?3, note = ?4 WHERE id = ?1",
                        params![
                            s.event.id,
                            &s.event.actor,
                            json_text(&s.event.kind)?,
                            note.or(s.outcome.note),
                        ],
                    )?;
                }
            }
            after = last;
        }
        Ok(())
    }
    fn location(&mut self, id: LocationId) -> Result<Option<Location>> {
        Ok(select_locations(self.0, "WHERE id = ?1", params![id])?.pop())
    }
    fn location_by_name(&mut self, name: &str) -> Result<Option<Location>> {
        Ok(select_locations(self.0, "WHERE name_key = ?1 LIMIT 1", params![fold(name)])?.pop())
    }
    fn location_by_code(&mut self, code: &str) -> Result<Option<Location>> {
        Ok(select_locations(self.0, "WHERE code_key = ?1 LIMIT 1", params![fold(code)])?.pop())
    }
    fn put_location(&mut self, l: &Location) -> Result<()> {
        self.0.execute(
            "INSERT INTO locations (id, name, name_key, kind, parent_id, code, code_key,
                                    active, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name,
               name_key = excluded.name_key, kind = excluded.kind,
               parent_id = excluded.parent_id, code = excluded.code,
               code_key = excluded.code_key, active = excluded.active,
               version = excluded.version",
            params![
                l.id,
                &l.name,
                fold(&l.name),
                l.kind.as_str(),
                l.parent,
                l.code.as_deref(),
                l.code.as_deref().map(fold),
                l.active,
                l.version,
            ],
        )?;
        Ok(())
    }
}

impl HubTx for Tables<'_> {
    fn lock_log(&mut self) -> Result<()> {
        self.lock_hub_seq().map(|_| ())
    }
    fn next_hub_seq(&mut self) -> Result<i64> {
        self.0
            .query_one(
                "UPDATE hub_meta SET last_hub_seq = last_hub_seq + 1 RETURNING last_hub_seq",
                &[],
            )?
            .int(0)
    }
    fn held_by_id(&mut self, id: Uuid) -> Result<Option<Held>> {
        let held = |r: Row, hub_seq: Option<i64>| -> Result<Held> {
            Ok(Held {
                id,
                station_id: r.uuid(0)?,
                station_seq: r.int(1)?,
                hub_seq,
            })
        };
        if let Some(r) = self.0.query_opt(
            "SELECT station_id, station_seq, hub_seq FROM events WHERE id = ?1",
            params![id],
        )? {
            let hub_seq = r.opt_int(2)?;
            return held(r, hub_seq).map(Some);
        }
        self.0
            .query_opt(
                "SELECT station_id, station_seq FROM quarantine WHERE event_id = ?1",
                params![id],
            )?
            .map(|r| held(r, None))
            .transpose()
    }
    fn contiguous(&mut self, station: Uuid) -> Result<i64> {
        self.0
            .query_opt(
                "SELECT contiguous_seq FROM station_seqs WHERE station_id = ?1",
                params![station],
            )?
            .map_or(Ok(0), |r| r.int(0))
    }
    fn set_contiguous(&mut self, station: Uuid, seq: i64) -> Result<()> {
        self.0.execute(
            "INSERT INTO station_seqs (station_id, contiguous_seq) VALUES (?1, ?2)
             ON CONFLICT (station_id) DO UPDATE SET contiguous_seq = excluded.contiguous_seq",
            params![station, seq],
        )?;
        Ok(())
    }
    fn insert_event(
        &mut self,
        ev: &Event,
        hub_seq: i64,
        o: &Outcome,
        units: &[UnitId],
    ) -> Result<()> {
        self.insert_events(&[(ev, hub_seq, o)])?;
        let links: Vec<(UnitId, Uuid)> = units.iter().map(|u| (*u, ev.id)).collect();
        self.link_units(&links)
    }
    fn quarantine(
        &mut self,
        station: Uuid,
        seq: i64,
        id: Uuid,
        reason: &str,
        body: &str,
    ) -> Result<()> {
        self.0.execute(
            "INSERT INTO quarantine (station_id, station_seq, event_id, reason, body, received_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![station, seq, id, reason, body, SystemClock.now().0],
        )?;
        Ok(())
    }
}
