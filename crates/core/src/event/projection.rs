//! The state events are applied to: the [`Projection`] trait each store implements
//! over its own tables, and what [`super::apply`] reports.

use super::{DomainError, EventKind};
use crate::catalog::{Item, ItemId, TextError, Totals, Tracking, Unit, UnitId};
use crate::kits::{Kit, KitId};
use crate::locations::{Location, LocationId};
use crate::people::{Person, PersonId, Scrub};
use crate::reservations::{Reservation, ReservationId, ReservationQuery};

/// Which units [`Projection::units_where`] lists (active units only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitQuery {
    /// Checked out to this person.
    HeldBy(PersonId),
    /// Checked out to a holder written as text with this key ([`crate::catalog::fold`])
    /// and linked to no person: lending from before people were entities.
    HeldAs(String),
    /// At this location.
    At(LocationId),
    /// At a location written as text with this key and linked to no location entity.
    AtName(String),
}

/// The state an event is applied to. Each store implements these few reads and
/// writes over its own tables; the rules live in [`apply`], once.
pub trait Projection {
    type Error;
    fn item(&mut self, id: ItemId) -> Result<Option<Item>, Self::Error>;
    fn item_by_name(&mut self, name: &str) -> Result<Option<Item>, Self::Error>;
    fn item_by_barcode(&mut self, barcode: &str) -> Result<Option<Item>, Self::Error>;
    fn put_item(&mut self, item: &Item) -> Result<(), Self::Error>;
    fn unit(&mut self, id: UnitId) -> Result<Option<Unit>, Self::Error>;
    /// The active (not folded) unit carrying this asset tag, retired ones included.
    fn unit_by_tag(&mut self, tag: &str) -> Result<Option<Unit>, Self::Error>;
    /// All active units of an item, retired ones included.
    fn units_of_item(&mut self, item: ItemId) -> Result<Vec<Unit>, Self::Error>;
    /// The active unit of an item with this name, if any (names are unique per item).
    fn unit_named(&mut self, item: ItemId, name: &str) -> Result<Option<Unit>, Self::Error>;
    fn put_unit(&mut self, unit: &Unit) -> Result<(), Self::Error>;
    /// Active units by holder or location (see [`UnitQuery`]).
    fn units_where(&mut self, q: &UnitQuery) -> Result<Vec<Unit>, Self::Error>;

    fn person(&mut self, id: PersonId) -> Result<Option<Person>, Self::Error>;
    /// The person with this name, letter case aside.
    fn person_by_name(&mut self, name: &str) -> Result<Option<Person>, Self::Error>;
    /// The person carrying this badge code, letter case aside.
    fn person_by_badge(&mut self, code: &str) -> Result<Option<Person>, Self::Error>;
    fn put_person(&mut self, person: &Person) -> Result<(), Self::Error>;
    /// Rewrite the stored history as [`Scrub`] says (an erasure). A projection that
    /// keeps no history (the in-memory one) has nothing to rewrite.
    fn scrub(&mut self, scrub: &Scrub) -> Result<(), Self::Error>;
    /// Every version of a person's fields their own events recorded, oldest first:
    /// the names, badges and emails an erasure removes. A projection that keeps no
    /// history returns none.
    fn person_history(
        &mut self,
        id: PersonId,
    ) -> Result<Vec<crate::people::PersonFields>, Self::Error>;

    fn location(&mut self, id: LocationId) -> Result<Option<Location>, Self::Error>;
    /// The location with this name, letter case aside.
    fn location_by_name(&mut self, name: &str) -> Result<Option<Location>, Self::Error>;
    /// The location whose label carries this code, letter case aside.
    fn location_by_code(&mut self, code: &str) -> Result<Option<Location>, Self::Error>;
    fn put_location(&mut self, location: &Location) -> Result<(), Self::Error>;

    fn kit(&mut self, id: KitId) -> Result<Option<Kit>, Self::Error>;
    /// Every kit, inactive ones included, by name.
    fn kits(&mut self) -> Result<Vec<Kit>, Self::Error>;
    /// The kit whose tag is this code, letter case aside.
    fn kit_by_code(&mut self, code: &str) -> Result<Option<Kit>, Self::Error>;
    fn put_kit(&mut self, kit: &Kit) -> Result<(), Self::Error>;

    fn reservation(&mut self, id: ReservationId) -> Result<Option<Reservation>, Self::Error>;
    /// Reservations passing the query, by first day (then id).
    fn reservations(&mut self, q: &ReservationQuery) -> Result<Vec<Reservation>, Self::Error>;
    fn put_reservation(&mut self, reservation: &Reservation) -> Result<(), Self::Error>;
}

/// Either the rules refused the event, or the store failed underneath.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError<E> {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("storage: {0}")]
    Store(E),
}

impl<E> From<TextError> for ApplyError<E> {
    fn from(e: TextError) -> Self {
        ApplyError::Domain(DomainError::Text(e))
    }
}

/// What applying an event did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Units the event created or changed: its entries in each unit's history.
    pub units: Vec<UnitId>,
    /// Set when the event was made on top of a version other than the one it was
    /// applied to: another station changed the same thing in between.
    pub conflict: Option<String>,
}

/// How much to check when applying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every rule, including catalog-wide uniqueness (names, tags, barcodes).
    Full,
    /// An event the hub already applied, replayed on a station for a subset of the
    /// catalog: catalog-wide uniqueness was decided by the hub and is not re-checked.
    Trusted,
}

/// The version a new event is based on: the unit's for unit events, the item's for
/// item events, none for creations.
pub fn base_version<P: Projection>(
    p: &mut P,
    kind: &EventKind,
    item: ItemId,
    unit: Option<UnitId>,
) -> Result<Option<i64>, P::Error> {
    if kind.is_unit_event() {
        return Ok(match unit {
            Some(u) => p.unit(u)?.map(|u| u.version),
            None => None,
        });
    }
    Ok(match kind {
        EventKind::ItemCreated { .. }
        | EventKind::UnitCreated { .. }
        | EventKind::PersonCreated(_)
        | EventKind::LocationCreated(_)
        | EventKind::ReservationMade(_)
        | EventKind::KitCreated(_) => None,
        k if k.is_person() => p.person(item)?.map(|x| x.version),
        k if k.is_location() => p.location(item)?.map(|x| x.version),
        k if k.is_reservation() => p.reservation(item)?.map(|x| x.version),
        k if k.is_kit() => p.kit(item)?.map(|x| x.version),
        _ => p.item(item)?.map(|i| i.version),
    })
}

/// Totals of an item: stored counts for a count item, derived from units otherwise.
pub fn totals<P: Projection>(p: &mut P, item: &Item) -> Result<Totals, P::Error> {
    match item.tracking {
        Tracking::Count => Ok(item.counts.clone()),
        Tracking::Units => {
            let mut t = Totals::default();
            for u in p.units_of_item(item.id)? {
                if u.counts() {
                    t.add(u.status, 1);
                }
            }
            Ok(t)
        }
    }
}
