//! [`Batch`]: the hub's tables as one push sees them, written back in a few set-based
//! statements instead of several round trips per event.
//!
//! `ingest` applies a push event by event, through the same `apply` as everywhere, on
//! a `Batch` inside the push's one write transaction. The batch:
//! - reads every unit, item and already-held event id the push names with one query
//!   each, up front ([`Batch::prefetch`]);
//! - keeps items and units it read or changed in memory: `item(id)`, `unit(id)`,
//!   `put_item` and `put_unit` (what a status change, a check-in or a move needs)
//!   never touch the database while the batch lasts;
//! - hands out `hub_seq` numbers from the counter row it locked at the first one, and
//!   writes the counter once;
//! - buffers the new events and their unit links;
//! - writes everything back with multi-row statements ([`Batch::flush`]) before the
//!   transaction commits, and also before any lookup it does not keep in memory (by
//!   tag, name or code, units of an item, people, locations), so that such a lookup
//!   always sees every change made before it. What the rules see is exactly what the
//!   event-by-event tables would show; only the number of statements differs.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use super::db::{Conn, Value};
use super::tables::Tables;
use super::{Held, HubTx, Result};
use tagstation_core::catalog::{fold, Item, ItemId, Unit, UnitId};
use tagstation_core::event::{Event, Outcome, Projection, UnitQuery};
use tagstation_core::locations::{Location, LocationId};
use tagstation_core::people::{Person, PersonFields, PersonId, Scrub};

/// Most rows one statement writes; batches are split in chunks of 256, 64, 16, 4
/// and 1 rows, so each table has at most five statement shapes to prepare.
const CHUNKS: [usize; 5] = [256, 64, 16, 4, 1];

/// An event waiting to be written, with its place in the log and what it touched.
struct NewEvent {
    event: Event,
    hub_seq: i64,
    outcome: Outcome,
    units: Vec<UnitId>,
}

/// The tables of one push, kept in memory and written back in a few statements.
pub struct Batch<'c> {
    tables: Tables<'c>,
    items: HashMap<ItemId, Option<Item>>,
    units: HashMap<UnitId, Option<Unit>>,
    dirty_items: BTreeMap<ItemId, ()>,
    dirty_units: BTreeMap<UnitId, ()>,
    held: HashMap<Uuid, Held>,
    /// Ids whose held state was read up front (absent from `held`: not held).
    prefetched: std::collections::HashSet<Uuid>,
    events: Vec<NewEvent>,
    /// The last `hub_seq` handed out, once the counter row is locked.
    hub_seq: Option<(i64, i64)>,
}

impl<'c> Batch<'c> {
    pub fn new(conn: &'c mut dyn Conn) -> Batch<'c> {
        Batch {
            tables: Tables::new(conn),
            items: HashMap::new(),
            units: HashMap::new(),
            dirty_items: BTreeMap::new(),
            dirty_units: BTreeMap::new(),
            held: HashMap::new(),
            prefetched: Default::default(),
            events: Vec::new(),
            hub_seq: None,
        }
    }

    /// Read, with one query per table, the events already held under these ids and
    /// the units and items these events name.
    pub fn prefetch(&mut self, events: &[Event]) -> Result<()> {
        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        for held in self.tables.held_by_ids(&ids)? {
            self.held.insert(held.id, held);
        }
        self.prefetched.extend(ids);
        let units: Vec<UnitId> = events
            .iter()
            .filter_map(|e| e.unit_id)
            .filter(|u| !self.units.contains_key(u))
            .collect();
        for u in &units {
            self.units.insert(*u, None); // not in the database: a unit this push creates
        }
        for u in self.tables.units_by_ids(&units)? {
            self.units.insert(u.id, Some(u));
        }
        let items: Vec<ItemId> = events
            .iter()
            .map(|e| e.item_id)
            .filter(|i| !self.items.contains_key(i))
            .collect();
        for i in &items {
            self.items.insert(*i, None);
        }
        for i in self.tables.items_by_ids(&items)? {
            self.items.insert(i.id, Some(i));
        }
        Ok(())
    }

    /// Write every change kept in memory to the database (still inside the caller's
    /// transaction). After a flush the database shows what the batch shows.
    pub fn flush(&mut self) -> Result<()> {
        let units: Vec<Unit> = std::mem::take(&mut self.dirty_units)
            .into_keys()
            .filter_map(|id| self.units.get(&id).cloned().flatten())
            .collect();
        write_chunked(&units, |rows| self.tables.put_units(rows))?;
        let items: Vec<Item> = std::mem::take(&mut self.dirty_items)
            .into_keys()
            .filter_map(|id| self.items.get(&id).cloned().flatten())
            .collect();
        write_chunked(&items, |rows| self.tables.put_items(rows))?;
        let events = std::mem::take(&mut self.events);
        write_chunked(&events, |rows| {
            let evs: Vec<_> = rows
                .iter()
                .map(|n| (&n.event, n.hub_seq, &n.outcome))
                .collect();
            self.tables.insert_events(&evs)
        })?;
        // In key order: the index takes them in one sweep.
        let mut links: Vec<(UnitId, Uuid)> = events
            .iter()
            .flat_map(|n| n.units.iter().map(|u| (*u, n.event.id)))
            .collect();
        links.sort();
        write_chunked(&links, |rows| self.tables.link_units(rows))?;
        if let Some((start, last)) = self.hub_seq {
            if last != start {
                self.tables.set_hub_seq(last)?;
                self.hub_seq = Some((last, last));
            }
        }
        Ok(())
    }
}

/// Write `rows` in chunks of the sizes in [`CHUNKS`].
fn write_chunked<T>(rows: &[T], mut write: impl FnMut(&[T]) -> Result<()>) -> Result<()> {
    let mut rest = rows;
    while !rest.is_empty() {
        let n = CHUNKS.into_iter().find(|c| *c <= rest.len()).unwrap_or(1);
        let (now, later) = rest.split_at(n);
        write(now)?;
        rest = later;
    }
    Ok(())
}

impl Projection for Batch<'_> {
    type Error = super::HubError;

    fn item(&mut self, id: ItemId) -> Result<Option<Item>> {
        if let Some(i) = self.items.get(&id) {
            return Ok(i.clone());
        }
        let found = self.tables.item(id)?;
        self.items.insert(id, found.clone());
        Ok(found)
    }
    fn item_by_name(&mut self, name: &str) -> Result<Option<Item>> {
        self.flush()?;
        self.tables.item_by_name(name)
    }
    fn item_by_barcode(&mut self, barcode: &str) -> Result<Option<Item>> {
        self.flush()?;
        self.tables.item_by_barcode(barcode)
    }
    fn put_item(&mut self, item: &Item) -> Result<()> {
        self.items.insert(item.id, Some(item.clone()));
        self.dirty_items.insert(item.id, ());
        Ok(())
    }
    fn unit(&mut self, id: UnitId) -> Result<Option<Unit>> {
        if let Some(u) = self.units.get(&id) {
            return Ok(u.clone());
        }
        let found = self.tables.unit(id)?;
        self.units.insert(id, found.clone());
        Ok(found)
    }
    fn unit_by_tag(&mut self, tag: &str) -> Result<Option<Unit>> {
        self.flush()?;
        self.tables.unit_by_tag(tag)
    }
    fn units_of_item(&mut self, item: ItemId) -> Result<Vec<Unit>> {
        self.flush()?;
        self.tables.units_of_item(item)
    }
    fn unit_named(&mut self, item: ItemId, name: &str) -> Result<Option<Unit>> {
        self.flush()?;
        self.tables.unit_named(item, name)
    }
    fn put_unit(&mut self, unit: &Unit) -> Result<()> {
        self.units.insert(unit.id, Some(unit.clone()));
        self.dirty_units.insert(unit.id, ());
        Ok(())
    }
    fn units_where(&mut self, q: &UnitQuery) -> Result<Vec<Unit>> {
        self.flush()?;
        self.tables.units_where(q)
    }
    fn person(&mut self, id: PersonId) -> Result<Option<Person>> {
        self.flush()?;
        self.tables.person(id)
    }
    fn person_by_name(&mut self, name: &str) -> Result<Option<Person>> {
        self.flush()?;
        self.tables.person_by_name(name)
    }
    fn person_by_badge(&mut self, code: &str) -> Result<Option<Person>> {
        self.flush()?;
        self.tables.person_by_badge(code)
    }
    fn put_person(&mut self, person: &Person) -> Result<()> {
        self.flush()?;
        self.tables.put_person(person)
    }
    fn scrub(&mut self, scrub: &Scrub) -> Result<()> {
        self.flush()?;
        self.tables.scrub(scrub)
    }
    fn person_history(&mut self, id: PersonId) -> Result<Vec<PersonFields>> {
        self.flush()?;
        self.tables.person_history(id)
    }
    fn location(&mut self, id: LocationId) -> Result<Option<Location>> {
        self.flush()?;
        self.tables.location(id)
    }
    fn location_by_name(&mut self, name: &str) -> Result<Option<Location>> {
        self.flush()?;
        self.tables.location_by_name(name)
    }
    fn location_by_code(&mut self, code: &str) -> Result<Option<Location>> {
        self.flush()?;
        self.tables.location_by_code(code)
    }
    fn put_location(&mut self, location: &Location) -> Result<()> {
        self.flush()?;
        self.tables.put_location(location)
    }
}

impl HubTx for Batch<'_> {
    fn lock_log(&mut self) -> Result<()> {
        if self.hub_seq.is_none() {
            let last = self.tables.lock_hub_seq()?;
            self.hub_seq = Some((last, last));
        }
        Ok(())
    }
    fn next_hub_seq(&mut self) -> Result<i64> {
        let next = match self.hub_seq {
            Some((start, last)) => (start, last + 1),
            None => {
                // Locks the counter row until commit: ingest stays serialised, so
                // hub_seq order is commit order.
                let last = self.tables.lock_hub_seq()?;
                (last, last + 1)
            }
        };
        self.hub_seq = Some(next);
        Ok(next.1)
    }
    fn held_by_id(&mut self, id: Uuid) -> Result<Option<Held>> {
        if let Some(h) = self.held.get(&id) {
            return Ok(Some(h.clone()));
        }
        if let Some(n) = self.events.iter().find(|n| n.event.id == id) {
            return Ok(Some(Held {
                id,
                station_id: n.event.station_id,
                station_seq: n.event.station_seq,
                hub_seq: Some(n.hub_seq),
            }));
        }
        if self.prefetched.contains(&id) {
            return Ok(None);
        }
        self.tables.held_by_id(id)
    }
    fn contiguous(&mut self, station: Uuid) -> Result<i64> {
        self.tables.contiguous(station)
    }
    fn set_contiguous(&mut self, station: Uuid, seq: i64) -> Result<()> {
        self.flush()?;
        self.tables.set_contiguous(station, seq)
    }
    fn insert_event(
        &mut self,
        ev: &Event,
        hub_seq: i64,
        outcome: &Outcome,
        units: &[UnitId],
    ) -> Result<()> {
        self.events.push(NewEvent {
            event: ev.clone(),
            hub_seq,
            outcome: outcome.clone(),
            units: units.to_vec(),
        });
        Ok(())
    }
    fn prefetch(&mut self, events: &[Event]) -> Result<()> {
        Batch::prefetch(self, events)
    }
    fn finish(&mut self) -> Result<()> {
        self.flush()
    }
    fn quarantine(
        &mut self,
        station: Uuid,
        seq: i64,
        id: Uuid,
        reason: &str,
        body: &str,
    ) -> Result<()> {
        self.held.insert(
            id,
            Held {
                id,
                station_id: station,
                station_seq: seq,
                hub_seq: None,
            },
        );
        self.tables.quarantine(station, seq, id, reason, body)
    }
}

/// `?N` placeholders for `rows` rows of `cols` columns: `(?1, ?2), (?3, ?4)`.
pub(crate) fn placeholders(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=cols).map(|c| format!("?{}", r * cols + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The key a tag or name is compared by, or NULL.
pub(crate) fn key(s: Option<&str>) -> Value {
    s.map(fold).into()
}

#[cfg(test)]
mod tests {
    //! The batch changes nothing but the number of statements: the same pushes
    //! ingested event by event (on `Tables`) and in batches (on `Batch`) leave the very
    //! same tables, refusals, conflicts, duplicates and gaps included.

    use super::*;
    use crate::db::Database;
    use crate::ingest;
    use crate::sqlite::SqliteDb;
    use tagstation_core::catalog::{Status, Tracking};
    use tagstation_core::event::EventKind;

    /// A small deterministic generator (no dependency for one test).
    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n.max(1)
        }
    }

    /// A station's stream: three items, units with tags that sometimes collide, status
    /// changes, check-outs to nobody known (flagged), moves, and changes of units that
    /// do not exist (refused).
    fn stream(seed: u64, station: Uuid, n: usize) -> Vec<Event> {
        let mut r = Lcg(seed);
        let items: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let units: Vec<Uuid> = (0..12).map(|_| Uuid::now_v7()).collect();
        let mut out = Vec::new();
        let mut seq = 0;
        let mut push = |out: &mut Vec<Event>, item, unit, kind| {
            seq += 1;
            out.push(Event {
                id: Uuid::now_v7(),
                station_id: station,
                station_seq: seq,
                actor: "test".into(),
                wall_time_ms: seq,
                clock_synced: true,
                item_id: item,
                unit_id: unit,
                base_version: None,
                scan: None,
                kind,
            });
        };
        for (i, item) in items.iter().enumerate() {
            let kind = EventKind::ItemCreated {
                name: format!("Item {i}"),
                sku: None,
                barcode: Some(format!("B-{i}")),
                tracking: Tracking::Units,
                reorder_point: None,
            };
            push(&mut out, *item, None, kind);
        }
        while out.len() < n {
            let u = r.below(12) as usize;
            let item = items[u % 3];
            let kind = match r.below(6) {
                0 => EventKind::UnitCreated {
                    name: format!("U{u}"),
                    asset_tag: Some(format!("T-{}", r.below(8))),
                    status: Status::InStock,
                    location: Some(format!("Shelf {}", r.below(3))),
                    fields: Default::default(),
                    location_id: None,
                },
                1 => EventKind::CheckedOut {
                    holder: "Nobody".into(),
                    due: None,
                    holder_id: None,
                },
                2 => EventKind::CheckedIn {
                    location: None,
                    location_id: None,
                },
                3 => EventKind::LocationMoved {
                    location: Some(format!("Shelf {}", r.below(3))),
                    reason: None,
                    location_id: None,
                },
                _ => EventKind::StatusChanged {
                    to: Status::SETTABLE[r.below(4) as usize],
                    reason: None,
                },
            };
            push(&mut out, item, Some(units[u]), kind);
        }
        out
    }

    /// Every row of every table the ingest writes, in a stable order.
    fn dump(db: &SqliteDb) -> Vec<String> {
        db.read(|c| {
            let mut all = Vec::new();
            for (table, order) in [
                ("items", "id"),
                ("units", "id"),
                ("events", "hub_seq"),
                ("event_units", "unit_id, event_id"),
                ("station_seqs", "station_id"),
                ("quarantine", "station_id, station_seq"),
                ("hub_meta", "only_row"),
            ] {
                for row in c.query(&format!("SELECT * FROM {table} ORDER BY {order}"), &[])? {
                    all.push(format!("{table}: {row:?}"));
                }
            }
            Ok(all)
        })
        .unwrap()
    }

    #[test]
    fn batches_leave_the_same_tables_as_event_by_event() {
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let dbs: Vec<SqliteDb> = dirs
            .iter()
            .map(|d| SqliteDb::open(d.path()).unwrap())
            .collect();
        for db in &dbs {
            db.write(|c| {
                c.execute(
                    "INSERT INTO hub_meta (only_row, hub_id, last_hub_seq) VALUES (1, ?1, 0)",
                    &[Uuid::nil().into()],
                )
            })
            .unwrap();
        }
        let stations: Vec<Uuid> = (0..2).map(|_| Uuid::now_v7()).collect();
        let streams: Vec<Vec<serde_json::Value>> = stations
            .iter()
            .enumerate()
            .map(|(i, s)| {
                stream(7 + i as u64, *s, 300)
                    .iter()
                    .map(|e| serde_json::to_value(e).unwrap())
                    .collect()
            })
            .collect();
        let mut r = Lcg(99);
        let mut at = [0usize; 2];
        while at.iter().zip(&streams).any(|(a, s)| *a < s.len()) {
            let who = r.below(2) as usize;
            let s = &streams[who];
            if at[who] >= s.len() {
                continue;
            }
            // A batch, sometimes replayed (duplicates), sometimes with a gap.
            let from = at[who].saturating_sub(if r.below(5) == 0 { 3 } else { 0 });
            let to = (at[who] + 1 + r.below(40) as usize).min(s.len());
            let mut batch: Vec<serde_json::Value> = s[from..to].to_vec();
            if r.below(7) == 0 && batch.len() > 2 {
                batch.remove(1);
            }
            let answers: Vec<String> = dbs
                .iter()
                .enumerate()
                .map(|(k, db)| {
                    let resp = db
                        .write(|c| {
                            if k == 0 {
                                ingest(&mut Tables::new(c), stations[who], &batch, false)
                            } else {
                                ingest(&mut Batch::new(c), stations[who], &batch, false)
                            }
                        })
                        .unwrap();
                    serde_json::to_string(&resp).unwrap()
                })
                .collect();
            assert_eq!(answers[0], answers[1], "the same answer to the station");
            let resp: tagstation_core::proto::PushResponse =
                serde_json::from_str(&answers[0]).unwrap();
            at[who] = usize::try_from(resp.contiguous_seq).unwrap();
        }
        let (one, many) = (dump(&dbs[0]), dump(&dbs[1]));
        assert!(one.len() > 600, "{}", one.len());
        assert!(
            one.iter().any(|r| r.contains("not a known person")),
            "flagged check-outs"
        );
        let refused = dbs[0]
            .read(|c| {
                c.query_one("SELECT COUNT(*) FROM events WHERE applied = 0", &[])?
                    .int(0)
            })
            .unwrap();
        assert!(refused > 0, "refused changes kept in history");
        assert_eq!(one, many);
    }
}
