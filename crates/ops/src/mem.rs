//! An in-memory [`Ledger`] over `event::MemProjection`, with the same envelope and rules
//! as the station's store: what the operations are unit-tested against.

use uuid::Uuid;

use tagstation_core::catalog::{same_key, Item, ItemId, Unit, UnitId};
use tagstation_core::event::{
    apply, base_version, Command, Event, MemProjection, Mode, Projection, UnitQuery,
};
use tagstation_core::kits::{Kit, KitId};
use tagstation_core::locations::{Location, LocationId};
use tagstation_core::people::{Person, PersonId};
use tagstation_core::reservations::{Reservation, ReservationId, ReservationQuery};

use crate::{one_of, Ledger, OpError, Recorded};

/// A station's log and state, in memory.
#[derive(Debug, Clone)]
pub struct MemLedger {
    projection: MemProjection,
    events: Vec<Event>,
    station_id: Uuid,
}

impl Default for MemLedger {
    fn default() -> MemLedger {
        MemLedger::new()
    }
}

impl MemLedger {
    pub fn new() -> MemLedger {
        MemLedger {
            projection: MemProjection::default(),
            events: Vec::new(),
            station_id: Uuid::now_v7(),
        }
    }

    /// A ledger that knows a few people (Ana and Ben, borrowers) and locations (Shelf
    /// A, Shelf B, Van 1, Van 2), as most tests of lending and moves need.
    pub fn with_directory() -> MemLedger {
        use tagstation_core::locations::LocationFields;
        use tagstation_core::people::{PersonFields, Role};
        let mut l = MemLedger::new();
        let mut cmds = Vec::new();
        for name in ["Ana", "Ben"] {
            let f = PersonFields {
                name: name.into(),
                badges: vec![format!("B-{}", name.to_uppercase())],
                email: None,
                role: Role::Borrower,
                active: true,
                max_checkouts: None,
                loan_days: None,
            };
            cmds.push((tagstation_core::event::EventKind::PersonCreated(f), name));
        }
        for name in ["Shelf A", "Shelf B", "Van 1", "Van 2"] {
            let f = LocationFields {
                name: name.into(),
                kind: Default::default(),
                parent: None,
                code: None,
                active: true,
            };
            cmds.push((tagstation_core::event::EventKind::LocationCreated(f), name));
        }
        let cmds = cmds
            .into_iter()
            .map(|(kind, _)| Command {
                item_id: Uuid::now_v7(),
                unit_id: None,
                kind,
                actor: "setup".into(),
                scan: None,
            })
            .collect();
        if let Err((i, e)) = l.record(cmds) {
            panic!("the sample directory is valid: command {i}: {e}");
        }
        l.events.clear();
        l
    }

    /// Every event recorded, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The current state.
    pub fn projection(&self) -> &MemProjection {
        &self.projection
    }
}

fn never(e: std::convert::Infallible) -> OpError {
    match e {}
}

impl Ledger for MemLedger {
    fn item(&self, id: ItemId) -> Result<Item, OpError> {
        self.projection
            .items
            .get(&id)
            .cloned()
            .ok_or_else(|| OpError::NotFound {
                what: "item",
                reference: id.to_string(),
            })
    }

    fn find_item(&self, reference: &str) -> Result<Item, OpError> {
        let found: Vec<Item> = self
            .projection
            .items
            .values()
            .filter(|i| {
                let code =
                    |c: &Option<String>| c.as_deref().is_some_and(|c| same_key(c, reference));
                i.id.to_string() == reference
                    || same_key(&i.name, reference)
                    || code(&i.sku)
                    || code(&i.barcode)
            })
            .cloned()
            .collect();
        one_of("item", reference, found, |i| i.name.clone())
    }

    fn unit(&self, id: UnitId) -> Result<Unit, OpError> {
        self.projection
            .units
            .get(&id)
            .cloned()
            .ok_or_else(|| OpError::NotFound {
                what: "unit",
                reference: id.to_string(),
            })
    }

    fn find_unit(&self, reference: &str) -> Result<Unit, OpError> {
        let mut p = self.projection.clone();
        if let Some(u) = p.unit_by_tag(reference).map_err(never)? {
            return Ok(u);
        }
        let found: Vec<Unit> = self
            .projection
            .units
            .values()
            .filter(|u| u.active && (u.id.to_string() == reference || same_key(&u.name, reference)))
            .cloned()
            .collect();
        one_of("unit", reference, found, |u| u.name.clone())
    }

    fn units_of_item(&self, item: ItemId) -> Result<Vec<Unit>, OpError> {
        let mut p = self.projection.clone();
        p.units_of_item(item).map_err(never)
    }

    fn unit_names(&self, item: ItemId) -> Result<Vec<String>, OpError> {
        Ok(self
            .projection
            .units
            .values()
            .filter(|u| u.item_id == item)
            .map(|u| u.name.clone())
            .collect())
    }

    fn units_of(&self, item: ItemId) -> Result<Vec<Unit>, OpError> {
        Ok(self
            .projection
            .units
            .values()
            .filter(|u| u.item_id == item)
            .cloned()
            .collect())
    }

    fn person(&self, id: PersonId) -> Result<Person, OpError> {
        self.projection
            .people
            .get(&id)
            .cloned()
            .ok_or_else(|| OpError::NotFound {
                what: "person",
                reference: id.to_string(),
            })
    }

    fn find_person(&self, reference: &str) -> Result<Person, OpError> {
        let found: Vec<Person> = self
            .projection
            .people
            .values()
            .filter(|p| {
                p.id.to_string() == reference
                    || same_key(&p.name, reference)
                    || p.has_badge(reference)
            })
            .cloned()
            .collect();
        one_of("person", reference, found, |p| p.name.clone())
    }

    fn people(&self) -> Result<Vec<Person>, OpError> {
        let mut all: Vec<Person> = self.projection.people.values().cloned().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    fn units_held_by(&self, person: PersonId) -> Result<Vec<Unit>, OpError> {
        let mut p = self.projection.clone();
        p.units_where(&UnitQuery::HeldBy(person)).map_err(never)
    }

    fn manages_people(&self) -> bool {
        true
    }

    fn location(&self, id: LocationId) -> Result<Location, OpError> {
        self.projection
            .locations
            .get(&id)
            .cloned()
            .ok_or_else(|| OpError::NotFound {
                what: "location",
                reference: id.to_string(),
            })
    }

    fn find_location(&self, reference: &str) -> Result<Location, OpError> {
        let found: Vec<Location> = self
            .projection
            .locations
            .values()
            .filter(|l| {
                l.id.to_string() == reference
                    || same_key(&l.name, reference)
                    || l.code.as_deref().is_some_and(|c| same_key(c, reference))
            })
            .cloned()
            .collect();
        one_of("location", reference, found, |l| l.name.clone())
    }

    fn locations(&self) -> Result<Vec<Location>, OpError> {
        let mut all: Vec<Location> = self.projection.locations.values().cloned().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    fn unplaced_locations(&self) -> Result<Vec<String>, OpError> {
        let mut out: Vec<String> = Vec::new();
        for u in self.projection.units.values() {
            if let (Some(text), None, true) = (&u.location, u.location_id, u.active) {
                if !out.contains(text) {
                    out.push(text.clone());
                }
            }
        }
        Ok(out)
    }

    fn kit(&self, id: KitId) -> Result<Kit, OpError> {
        self.projection
            .kits
            .get(&id)
            .cloned()
            .ok_or_else(|| OpError::NotFound {
                what: "kit",
                reference: id.to_string(),
            })
    }

    fn kits(&self) -> Result<Vec<Kit>, OpError> {
        let mut all: Vec<Kit> = self.projection.kits.values().cloned().collect();
        all.sort_by_key(|k| tagstation_core::catalog::fold(&k.name));
        Ok(all)
    }

    fn reservation(&self, id: ReservationId) -> Result<Reservation, OpError> {
        self.projection
            .reservations
            .get(&id)
            .cloned()
            .ok_or_else(|| OpError::NotFound {
                what: "reservation",
                reference: id.to_string(),
            })
    }

    fn reservations(&self, q: &ReservationQuery) -> Result<Vec<Reservation>, OpError> {
        let mut out: Vec<Reservation> = self
            .projection
            .reservations
            .values()
            .filter(|r| q.matches(r))
            .cloned()
            .collect();
        out.sort_by(|a, b| (&a.fields.starts, a.id).cmp(&(&b.fields.starts, b.id)));
        Ok(out)
    }

    fn rehearse(&mut self, cmds: Vec<Command>) -> Result<(), (usize, OpError)> {
        let mut copy = self.clone();
        copy.record(cmds).map(|_| ())
    }

    fn record(&mut self, cmds: Vec<Command>) -> Result<Vec<Recorded>, (usize, OpError)> {
        // All or nothing: work on a copy, keep it only if every command applied.
        let mut p = self.projection.clone();
        let mut seq = self.events.len() as i64;
        let mut done = Vec::with_capacity(cmds.len());
        for (i, cmd) in cmds.into_iter().enumerate() {
            seq += 1;
            let base_version = base_version(&mut p, &cmd.kind, cmd.item_id, cmd.unit_id)
                .map_err(|e| (i, never(e)))?;
            let event = Event {
                id: Uuid::now_v7(),
                station_id: self.station_id,
                station_seq: seq,
                actor: cmd.actor,
                wall_time_ms: 0,
                clock_synced: true,
                item_id: cmd.item_id,
                unit_id: cmd.unit_id,
                base_version,
                scan: cmd.scan,
                kind: cmd.kind,
            };
            event.check().map_err(|e| (i, OpError::Refused(e)))?;
            let applied = apply(&mut p, &event, Mode::Full).map_err(|e| match e {
                tagstation_core::event::ApplyError::Domain(d) => (i, OpError::Refused(d)),
                tagstation_core::event::ApplyError::Store(s) => (i, never(s)),
            })?;
            done.push(Recorded {
                event,
                units: applied.units,
            });
        }
        self.projection = p;
        self.events.extend(done.iter().map(|r| r.event.clone()));
        Ok(done)
    }
}
