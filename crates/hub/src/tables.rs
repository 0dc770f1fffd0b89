//! The hub's catalog and log tables over any [`Conn`]: row mapping for items, units
//! and events, [`Projection`] for `event::apply` (names and codes looked up by their
//! case-rule `*_key` columns), and [`HubTx`] for [`crate::ingest`].

use uuid::Uuid;

use super::db::{params, Conn, Row};
use super::{Held, HubError, HubTx, Result};
use tagstation_core::catalog::{fold, Item, ItemId, Totals, Unit, UnitId};
use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::event::{Event, Outcome, Projection, StoredEvent};

const ITEM_COLS: &str =
    "id, name, sku, barcode, tracking, reorder_point, counts, version, archived";
const UNIT_COLS: &str = "id, item_id, name, asset_tag, status, location, holder, due, fields, \
                         active, version, last_station";
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
    })
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
}

impl Projection for Tables<'_> {
    type Error = HubError;
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
        self.0.execute(
            "INSERT INTO items (id, name, sku, barcode, tracking, reorder_point, counts, version,
                                archived, name_key, sku_key, barcode_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, sku = excluded.sku,
               barcode = excluded.barcode, tracking = excluded.tracking,
               reorder_point = excluded.reorder_point, counts = excluded.counts,
               version = excluded.version, archived = excluded.archived,
               name_key = excluded.name_key, sku_key = excluded.sku_key,
               barcode_key = excluded.barcode_key",
            params![
                i.id,
                &i.name,
                i.sku.as_deref(),
                i.barcode.as_deref(),
                i.tracking.as_str(),
                i.reorder_point,
                json_text(&i.counts.0)?,
                i.version,
                i.archived,
                fold(&i.name),
                i.sku.as_deref().map(fold),
                i.barcode.as_deref().map(fold),
            ],
        )?;
        Ok(())
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
        self.0.execute(
            "INSERT INTO units (id, item_id, name, asset_tag, status, location, holder, due,
                                fields, active, version, last_station, name_key, tag_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (id) DO UPDATE SET item_id = excluded.item_id, name = excluded.name,
               asset_tag = excluded.asset_tag, status = excluded.status,
               location = excluded.location, holder = excluded.holder, due = excluded.due,
               fields = excluded.fields, active = excluded.active, version = excluded.version,
               last_station = excluded.last_station, name_key = excluded.name_key,
               tag_key = excluded.tag_key",
            params![
                u.id,
                u.item_id,
                &u.name,
                u.asset_tag.as_deref(),
                u.status.as_str(),
                u.location.as_deref(),
                u.holder.as_deref(),
                u.due.as_deref(),
                json_text(&u.fields)?,
                u.active,
                u.version,
                u.last_station,
                fold(&u.name),
                u.asset_tag.as_deref().map(fold),
            ],
        )?;
        Ok(())
    }
}

impl HubTx for Tables<'_> {
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
        self.0.execute(
            "INSERT INTO events (id, station_id, station_seq, hub_seq, actor, wall_time_ms,
                                 clock_synced, item_id, unit_id, base_version, kind, payload,
                                 scan, applied, conflict, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![
                ev.id,
                ev.station_id,
                ev.station_seq,
                hub_seq,
                &ev.actor,
                ev.wall_time_ms,
                ev.clock_synced,
                ev.item_id,
                ev.unit_id,
                ev.base_version,
                ev.kind.name(),
                json_text(&ev.kind)?,
                ev.scan.as_deref(),
                o.applied,
                o.conflict,
                o.note.as_deref(),
            ],
        )?;
        for u in units {
            self.0.execute(
                "INSERT INTO event_units (unit_id, event_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![*u, ev.id],
            )?;
        }
        Ok(())
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
