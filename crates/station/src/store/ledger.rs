//! The station's store as the operations layer's [`Ledger`]: every operation of
//! `tagstation-ops` runs over it with the store's own durability (one transaction per
//! write, acknowledged only once on disk).

use rusqlite::params;

use tagstation_core::catalog::{Item, ItemId, Unit, UnitId};
use tagstation_core::event::{Command, Projection, UnitQuery};
use tagstation_core::kits::{Kit, KitId};
use tagstation_core::locations::{Location, LocationId};
use tagstation_core::people::{Person, PersonId};
use tagstation_core::reservations::{Reservation, ReservationId, ReservationQuery};
use tagstation_ops::{Ledger, OpError, Recorded};

use super::sql::SqlProjection;
use super::{Store, StoreError};

/// A store error in the operations layer's terms, keeping the shop worker's words and
/// the engineer's detail.
pub fn op_error(e: StoreError) -> OpError {
    match e {
        StoreError::Domain(d) => OpError::Refused(d),
        StoreError::NotFound { what, reference } => OpError::NotFound { what, reference },
        StoreError::Ambiguous {
            what,
            reference,
            candidates,
        } => OpError::Ambiguous {
            what,
            reference,
            candidates,
        },
        other => OpError::Storage {
            user: other.user_message(),
            source: Box::new(other),
        },
    }
}

impl Ledger for Store {
    fn item(&self, id: ItemId) -> Result<Item, OpError> {
        // By primary key: `find_item` also matches names, SKUs and barcodes.
        let found = SqlProjection(&self.conn)
            .item(id)
            .map_err(|e| op_error(e.into()))?;
        found.ok_or_else(|| OpError::NotFound {
            what: "item",
            reference: id.to_string(),
        })
    }

    fn find_item(&self, reference: &str) -> Result<Item, OpError> {
        Store::find_item(self, reference).map_err(op_error)
    }

    fn unit(&self, id: UnitId) -> Result<Unit, OpError> {
        Store::unit(self, id).map_err(op_error)
    }

    fn find_unit(&self, reference: &str) -> Result<Unit, OpError> {
        Store::find_unit(self, reference).map_err(op_error)
    }

    fn units_of_item(&self, item: ItemId) -> Result<Vec<Unit>, OpError> {
        SqlProjection(&self.conn)
            .units_of_item(item)
            .map_err(|e| op_error(e.into()))
    }

    fn unit_names(&self, item: ItemId) -> Result<Vec<String>, OpError> {
        let names = || -> Result<Vec<String>, StoreError> {
            let mut st = self
                .conn
                .prepare_cached("SELECT name FROM units WHERE item_id = ?1")?;
            let rows = st.query_map(params![item.to_string()], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        names().map_err(op_error)
    }

    fn units_of(&self, item: ItemId) -> Result<Vec<Unit>, OpError> {
        super::sql::select_units(
            &self.conn,
            "WHERE item_id = ?1 ORDER BY name",
            [item.to_string()],
        )
        .map_err(|e| op_error(e.into()))
    }

    fn person(&self, id: PersonId) -> Result<Person, OpError> {
        SqlProjection(&self.conn)
            .person(id)
            .map_err(|e| op_error(e.into()))?
            .ok_or_else(|| OpError::NotFound {
                what: "person",
                reference: id.to_string(),
            })
    }

    fn find_person(&self, reference: &str) -> Result<Person, OpError> {
        Store::find_person(self, reference).map_err(op_error)
    }

    fn people(&self) -> Result<Vec<Person>, OpError> {
        Store::people(self).map_err(op_error)
    }

    fn units_held_by(&self, person: PersonId) -> Result<Vec<Unit>, OpError> {
        SqlProjection(&self.conn)
            .units_where(&UnitQuery::HeldBy(person))
            .map_err(|e| op_error(e.into()))
    }

    fn manages_people(&self) -> bool {
        // A station with a hub takes its people from the hub; one without is its own.
        !self.enrolled().unwrap_or(true)
    }

    fn location(&self, id: LocationId) -> Result<Location, OpError> {
        SqlProjection(&self.conn)
            .location(id)
            .map_err(|e| op_error(e.into()))?
            .ok_or_else(|| OpError::NotFound {
                what: "location",
                reference: id.to_string(),
            })
    }

    fn find_location(&self, reference: &str) -> Result<Location, OpError> {
        Store::find_location(self, reference).map_err(op_error)
    }

    fn locations(&self) -> Result<Vec<Location>, OpError> {
        Store::all_locations(self).map_err(op_error)
    }

    fn unplaced_locations(&self) -> Result<Vec<String>, OpError> {
        Store::unplaced_locations(self).map_err(op_error)
    }

    fn kit(&self, id: KitId) -> Result<Kit, OpError> {
        SqlProjection(&self.conn)
            .kit(id)
            .map_err(|e| op_error(e.into()))?
            .ok_or_else(|| OpError::NotFound {
                what: "kit",
                reference: id.to_string(),
            })
    }

    fn kits(&self) -> Result<Vec<Kit>, OpError> {
        SqlProjection(&self.conn)
            .kits()
            .map_err(|e| op_error(e.into()))
    }

    fn reservation(&self, id: ReservationId) -> Result<Reservation, OpError> {
        SqlProjection(&self.conn)
            .reservation(id)
            .map_err(|e| op_error(e.into()))?
            .ok_or_else(|| OpError::NotFound {
                what: "reservation",
                reference: id.to_string(),
            })
    }

    fn reservations(&self, q: &ReservationQuery) -> Result<Vec<Reservation>, OpError> {
        SqlProjection(&self.conn)
            .reservations(q)
            .map_err(|e| op_error(e.into()))
    }

    fn record(&mut self, cmds: Vec<Command>) -> Result<Vec<Recorded>, (usize, OpError)> {
        self.record_batch(cmds).map_err(|(i, e)| (i, op_error(e)))
    }

    fn rehearse(&mut self, cmds: Vec<Command>) -> Result<(), (usize, OpError)> {
        self.rehearse_batch(cmds).map_err(|(i, e)| (i, op_error(e)))
    }
}
