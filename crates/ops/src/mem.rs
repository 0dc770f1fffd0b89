//! An in-memory [`Ledger`] over `event::MemProjection`, with the same envelope and rules
//! as the station's store: what the operations are unit-tested against.

use uuid::Uuid;

use tagstation_core::catalog::{same_key, Item, ItemId, Unit, UnitId};
use tagstation_core::event::{
    apply, base_version, Command, Event, MemProjection, Mode, Projection,
};

use crate::{Ledger, OpError, Recorded};

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

    /// Every event recorded, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The current state.
    pub fn projection(&self) -> &MemProjection {
        &self.projection
    }

    fn one<T: Clone>(
        what: &'static str,
        reference: &str,
        found: Vec<T>,
        name: impl Fn(&T) -> String,
    ) -> Result<T, OpError> {
        match found.len() {
            0 => Err(OpError::NotFound {
                what,
                reference: reference.into(),
            }),
            1 => Ok(found[0].clone()),
            _ => Err(OpError::Ambiguous {
                what,
                reference: reference.into(),
                candidates: found.iter().map(name).collect::<Vec<_>>().join(", "),
            }),
        }
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
        Self::one("item", reference, found, |i| i.name.clone())
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
        Self::one("unit", reference, found, |u| u.name.clone())
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
