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
//! - knows in advance who holds each code and name the push's events will ask about
//!   (asset tags, barcodes, unit and item names, and that no badge or location label
//!   is one of those codes: [`Keys`]), read with one query per kind, and keeps that
//!   knowledge up to date as it changes units and items;
//! - writes everything back with one statement per table ([`Batch::flush`] through
//!   [`crate::db::Conn::write_rows`]: one `UNNEST` on PostgreSQL, multi-row `VALUES`
//!   on SQLite; a unit that was already stored is updated in only the columns that
//!   changed, one statement per set of columns) before the
//!   transaction commits, and also before any lookup it does not keep in memory (units
//!   of an item, people, locations, a key it did not read in advance), so that such a
//!   lookup always sees every change made before it. What the rules see is exactly
//!   what the event-by-event tables would show; only the number of statements differs.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use super::db::{Conn, Value};
use super::tables::{unit_values, Tables, UNIT_COLUMNS};
use super::{Held, HubTx, Result};
use tagstation_core::catalog::{fold, Item, ItemId, Unit, UnitId};
use tagstation_core::event::{Event, Outcome, Projection, UnitQuery};
use tagstation_core::kits::{Kit, KitId};
use tagstation_core::locations::{Location, LocationId};
use tagstation_core::people::{Person, PersonFields, PersonId, Scrub};
use tagstation_core::reservations::{Reservation, ReservationId, ReservationQuery};

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
    /// Each changed unit as the database holds it (`None`: not there yet), taken at
    /// its first change since the last flush: the flush writes only what differs.
    stored_units: HashMap<UnitId, Option<Unit>>,
    held: HashMap<Uuid, Held>,
    /// Ids whose held state was read up front (absent from `held`: not held).
    prefetched: std::collections::HashSet<Uuid>,
    events: Vec<NewEvent>,
    /// The last `hub_seq` handed out, once the counter row is locked.
    hub_seq: Option<(i64, i64)>,
    keys: Keys,
}

/// Who holds each code and name a push's events ask about, letter case aside
/// (`catalog::fold`): read in advance, kept up to date with every unit and item the
/// batch writes. A key absent from a map was not read in advance: its lookup goes to
/// the database.
#[derive(Default)]
struct Keys {
    /// Asset tag key → the active unit carrying it (`None`: no unit).
    tags: HashMap<String, Option<UnitId>>,
    /// (item, unit name key) → the item's active unit of that name.
    unit_names: HashMap<(ItemId, String), Option<UnitId>>,
    /// Barcode key → the item with that barcode.
    barcodes: HashMap<String, Option<ItemId>>,
    /// Item name key → the item of that name.
    item_names: HashMap<String, Option<ItemId>>,
    /// Code keys known to be no badge and no location's label.
    not_badges: std::collections::HashSet<String>,
    not_location_codes: std::collections::HashSet<String>,
    not_kit_codes: std::collections::HashSet<String>,
}

impl Keys {
    /// A unit changed from `old` to `new`: move the keys it holds.
    fn unit(&mut self, old: Option<&Unit>, new: &Unit) {
        if let Some(o) = old.filter(|o| o.active) {
            if let Some(t) = &o.asset_tag {
                if let Some(v) = self.tags.get_mut(&fold(t)) {
                    if *v == Some(o.id) {
                        *v = None;
                    }
                }
            }
            if let Some(v) = self.unit_names.get_mut(&(o.item_id, fold(&o.name))) {
                if *v == Some(o.id) {
                    *v = None;
                }
            }
        }
        if new.active {
            if let Some(t) = &new.asset_tag {
                self.tags.insert(fold(t), Some(new.id));
            }
            self.unit_names
                .insert((new.item_id, fold(&new.name)), Some(new.id));
        }
    }

    /// An item changed from `old` to `new`: move the keys it holds.
    fn item(&mut self, old: Option<&Item>, new: &Item) {
        if let Some(o) = old {
            if let Some(b) = &o.barcode {
                if let Some(v) = self.barcodes.get_mut(&fold(b)) {
                    if *v == Some(o.id) {
                        *v = None;
                    }
                }
            }
            if let Some(v) = self.item_names.get_mut(&fold(&o.name)) {
                if *v == Some(o.id) {
                    *v = None;
                }
            }
        }
        if let Some(b) = &new.barcode {
            self.barcodes.insert(fold(b), Some(new.id));
        }
        self.item_names.insert(fold(&new.name), Some(new.id));
    }
}

impl<'c> Batch<'c> {
    pub fn new(conn: &'c mut dyn Conn) -> Batch<'c> {
        Batch {
            tables: Tables::new(conn),
            items: HashMap::new(),
            units: HashMap::new(),
            dirty_items: BTreeMap::new(),
            dirty_units: BTreeMap::new(),
            stored_units: HashMap::new(),
            held: HashMap::new(),
            prefetched: Default::default(),
            events: Vec::new(),
            hub_seq: None,
            keys: Keys::default(),
        }
    }

    /// Read who holds every code and name these events will ask about (see [`Keys`]).
    fn prefetch_keys(&mut self, events: &[Event]) -> Result<()> {
        use tagstation_core::event::EventKind as K;
        let mut codes: Vec<String> = Vec::new();
        let mut unit_names: Vec<(ItemId, String)> = Vec::new();
        let mut item_names: Vec<String> = Vec::new();
        for e in events {
            match &e.kind {
                K::UnitCreated {
                    name, asset_tag, ..
                } => {
                    codes.extend(asset_tag.as_deref().map(fold));
                    unit_names.push((e.item_id, fold(name)));
                }
                K::UnitTagged { tag: Some(t) } => codes.push(fold(t)),
                K::UnitRenamed { name } => unit_names.push((e.item_id, fold(name))),
                K::ItemCreated { name, barcode, .. } | K::ItemEdited { name, barcode, .. } => {
                    codes.extend(barcode.as_deref().map(fold));
                    item_names.push(fold(name));
                }
                _ => {}
            }
        }
        codes.sort();
        codes.dedup();
        if !codes.is_empty() {
            for u in self.tables.units_with_tags(&codes)? {
                if let Some(t) = &u.asset_tag {
                    self.keys.tags.insert(fold(t), Some(u.id));
                }
                self.units.entry(u.id).or_insert(Some(u));
            }
            for i in self.tables.items_with_barcodes(&codes)? {
                if let Some(b) = &i.barcode {
                    self.keys.barcodes.insert(fold(b), Some(i.id));
                }
                self.items.entry(i.id).or_insert(Some(i));
            }
            let badges = self.tables.badges_among(&codes)?;
            let labels = self.tables.location_codes_among(&codes)?;
            let kits = self.tables.kit_codes_among(&codes)?;
            for c in &codes {
                self.keys.tags.entry(c.clone()).or_insert(None);
                self.keys.barcodes.entry(c.clone()).or_insert(None);
                if !badges.contains(c) {
                    self.keys.not_badges.insert(c.clone());
                }
                if !labels.contains(c) {
                    self.keys.not_location_codes.insert(c.clone());
                }
                if !kits.contains(c) {
                    self.keys.not_kit_codes.insert(c.clone());
                }
            }
        }
        unit_names.sort();
        unit_names.dedup();
        if !unit_names.is_empty() {
            for u in self.tables.units_named(&unit_names)? {
                self.keys
                    .unit_names
                    .insert((u.item_id, fold(&u.name)), Some(u.id));
                self.units.entry(u.id).or_insert(Some(u));
            }
            for k in unit_names {
                self.keys.unit_names.entry(k).or_insert(None);
            }
        }
        item_names.sort();
        item_names.dedup();
        if !item_names.is_empty() {
            for i in self.tables.items_named(&item_names)? {
                self.keys.item_names.insert(fold(&i.name), Some(i.id));
                self.items.entry(i.id).or_insert(Some(i));
            }
            for k in item_names {
                self.keys.item_names.entry(k).or_insert(None);
            }
        }
        Ok(())
    }

    /// The unit a key map says holds a key, as the batch sees it now.
    fn cached_unit(&self, id: Option<UnitId>) -> Option<Unit> {
        id.and_then(|id| self.units.get(&id).cloned().flatten())
    }

    fn cached_item(&self, id: Option<ItemId>) -> Option<Item> {
        id.and_then(|id| self.items.get(&id).cloned().flatten())
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
        self.prefetch_keys(events)
    }

    /// Write every change kept in memory to the database (still inside the caller's
    /// transaction). After a flush the database shows what the batch shows.
    pub fn flush(&mut self) -> Result<()> {
        self.flush_units()?;
        let items: Vec<Item> = std::mem::take(&mut self.dirty_items)
            .into_keys()
            .filter_map(|id| self.items.get(&id).cloned().flatten())
            .collect();
        self.tables.put_items(&items)?;
        let events = std::mem::take(&mut self.events);
        let evs: Vec<_> = events
            .iter()
            .map(|n| (&n.event, n.hub_seq, &n.outcome))
            .collect();
        self.tables.insert_events(&evs)?;
        // In key order: the index takes them in one sweep.
        let mut links: Vec<(UnitId, Uuid)> = events
            .iter()
            .flat_map(|n| n.units.iter().map(|u| (*u, n.event.id)))
            .collect();
        links.sort();
        self.tables.link_units(&links)?;
        if let Some((start, last)) = self.hub_seq {
            if last != start {
                self.tables.set_hub_seq(last)?;
                self.hub_seq = Some((last, last));
            }
        }
        Ok(())
    }

    /// Write the changed units: new ones inserted whole, the others with only the
    /// columns that changed (grouped by which columns), so that a status change does
    /// not rewrite the indexes on names, tags and places.
    fn flush_units(&mut self) -> Result<()> {
        let mut new: Vec<[Value; UNIT_COLUMNS.len()]> = Vec::new();
        let mut changed: BTreeMap<u32, Vec<[Value; UNIT_COLUMNS.len()]>> = BTreeMap::new();
        for id in std::mem::take(&mut self.dirty_units).into_keys() {
            let Some(unit) = self.units.get(&id).cloned().flatten() else {
                continue;
            };
            match self.stored_units.remove(&id).flatten() {
                None => new.push(unit_values(&unit)?),
                Some(stored) => {
                    let (before, after) = (unit_values(&stored)?, unit_values(&unit)?);
                    let mask = before
                        .iter()
                        .zip(&after)
                        .enumerate()
                        .filter(|(_, (b, a))| b != a)
                        .fold(0u32, |m, (i, _)| m | 1 << i);
                    if mask != 0 {
                        changed.entry(mask).or_default().push(after);
                    }
                }
            }
        }
        self.stored_units.clear();
        self.tables.insert_units(&new)?;
        for (mask, rows) in &changed {
            self.tables.update_units(*mask, rows)?;
        }
        Ok(())
    }
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
        if let Some(id) = self.keys.item_names.get(&fold(name)) {
            return Ok(self.cached_item(*id));
        }
        self.flush()?;
        self.tables.item_by_name(name)
    }
    fn item_by_barcode(&mut self, barcode: &str) -> Result<Option<Item>> {
        if let Some(id) = self.keys.barcodes.get(&fold(barcode)) {
            return Ok(self.cached_item(*id));
        }
        self.flush()?;
        self.tables.item_by_barcode(barcode)
    }
    fn put_item(&mut self, item: &Item) -> Result<()> {
        let old = self.items.get(&item.id).cloned().flatten();
        self.keys.item(old.as_ref(), item);
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
        if let Some(id) = self.keys.tags.get(&fold(tag)) {
            return Ok(self.cached_unit(*id));
        }
        self.flush()?;
        self.tables.unit_by_tag(tag)
    }
    fn units_of_item(&mut self, item: ItemId) -> Result<Vec<Unit>> {
        self.flush()?;
        self.tables.units_of_item(item)
    }
    fn unit_named(&mut self, item: ItemId, name: &str) -> Result<Option<Unit>> {
        if let Some(id) = self.keys.unit_names.get(&(item, fold(name))) {
            return Ok(self.cached_unit(*id));
        }
        self.flush()?;
        self.tables.unit_named(item, name)
    }
    fn put_unit(&mut self, unit: &Unit) -> Result<()> {
        let old = self.units.get(&unit.id).cloned().flatten();
        // At its first change since the flush: what the database holds now.
        self.stored_units
            .entry(unit.id)
            .or_insert_with(|| old.clone());
        self.keys.unit(old.as_ref(), unit);
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
        if self.keys.not_badges.contains(&fold(code)) {
            return Ok(None);
        }
        self.flush()?;
        self.tables.person_by_badge(code)
    }
    fn put_person(&mut self, person: &Person) -> Result<()> {
        for b in &person.badges {
            self.keys.not_badges.remove(&fold(b));
        }
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
        if self.keys.not_location_codes.contains(&fold(code)) {
            return Ok(None);
        }
        self.flush()?;
        self.tables.location_by_code(code)
    }
    fn put_location(&mut self, location: &Location) -> Result<()> {
        if let Some(c) = &location.code {
            self.keys.not_location_codes.remove(&fold(c));
        }
        self.flush()?;
        self.tables.put_location(location)
    }
    fn kit(&mut self, id: KitId) -> Result<Option<Kit>> {
        self.flush()?;
        self.tables.kit(id)
    }
    fn kits(&mut self) -> Result<Vec<Kit>> {
        self.flush()?;
        self.tables.kits()
    }
    fn kit_by_code(&mut self, code: &str) -> Result<Option<Kit>> {
        if self.keys.not_kit_codes.contains(&fold(code)) {
            return Ok(None);
        }
        self.flush()?;
        self.tables.kit_by_code(code)
    }
    fn put_kit(&mut self, kit: &Kit) -> Result<()> {
        if let Some(t) = &kit.tag {
            self.keys.not_kit_codes.remove(&fold(t));
        }
        self.flush()?;
        self.tables.put_kit(kit)
    }
    fn reservation(&mut self, id: ReservationId) -> Result<Option<Reservation>> {
        self.flush()?;
        self.tables.reservation(id)
    }
    fn reservations(&mut self, q: &ReservationQuery) -> Result<Vec<Reservation>> {
        self.flush()?;
        self.tables.reservations(q)
    }
    fn put_reservation(&mut self, r: &Reservation) -> Result<()> {
        self.flush()?;
        self.tables.put_reservation(r)
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
            let kind = match r.below(10) {
                6 => EventKind::UnitTagged {
                    tag: Some(format!("t-{}", r.below(8))),
                },
                7 => EventKind::UnitRenamed {
                    name: format!("u{}", r.below(12)),
                },
                8 => {
                    let i = r.below(3) as usize;
                    let kind = EventKind::ItemEdited {
                        name: format!("Item {}", r.below(4)),
                        sku: None,
                        barcode: Some(format!("T-{}", r.below(10))),
                        reorder_point: None,
                    };
                    push(&mut out, items[i], None, kind);
                    continue;
                }
                9 => {
                    let kind =
                        EventKind::LocationCreated(tagstation_core::locations::LocationFields {
                            name: format!("Shelf {}", r.below(5)),
                            kind: Default::default(),
                            parent: None,
                            code: Some(format!("T-{}", r.below(10))),
                            active: true,
                        });
                    push(&mut out, Uuid::now_v7(), None, kind);
                    continue;
                }
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
                ("locations", "id"),
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
        for seed in [7, 21, 1234] {
            same_tables(seed);
        }
    }

    fn same_tables(seed: u64) {
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
                stream(seed + i as u64, *s, 300)
                    .iter()
                    .map(|e| serde_json::to_value(e).unwrap())
                    .collect()
            })
            .collect();
        let mut r = Lcg(seed * 3 + 1);
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
