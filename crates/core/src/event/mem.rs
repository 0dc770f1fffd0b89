//! The projection held in memory: the reference the SQL stores are tested against.
//! Names and codes compare by the catalog's case rule (`catalog::same_key`), as the SQL
//! stores do through their `*_key` columns.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{apply, totals, Event, Mode, Projection, UnitQuery};
use crate::catalog::{fold, same_key, Item, ItemId, Status, Totals, Unit, UnitId};
use crate::kits::{Kit, KitId};
use crate::locations::{Location, LocationId};
use crate::people::{Person, PersonFields, PersonId, Scrub};
use crate::reservations::{Reservation, ReservationId, ReservationQuery};

/// The projection held in memory: the reference the SQL stores are tested against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemProjection {
    pub items: BTreeMap<ItemId, Item>,
    pub units: BTreeMap<UnitId, Unit>,
    pub people: BTreeMap<PersonId, Person>,
    pub locations: BTreeMap<LocationId, Location>,
    pub reservations: BTreeMap<ReservationId, Reservation>,
    pub kits: BTreeMap<KitId, Kit>,
    /// Units by item, and by asset tag (folded): a replay of a long log (a report over
    /// all history) looks units up at every event and must not scan them all each time.
    /// Kept by `put_unit`, the one way units change.
    units_by_item: HashMap<ItemId, BTreeSet<UnitId>>,
    units_by_tag: HashMap<String, BTreeSet<UnitId>>,
}

impl MemProjection {
    /// The units of `ids`, in id order, that are active and pass `keep`.
    fn units_in<'a>(
        &'a self,
        ids: Option<&'a BTreeSet<UnitId>>,
        keep: impl Fn(&Unit) -> bool + 'a,
    ) -> impl Iterator<Item = &'a Unit> + 'a {
        ids.into_iter()
            .flatten()
            .filter_map(|id| self.units.get(id))
            .filter(move |u| u.active && keep(u))
    }
}

impl Projection for MemProjection {
    type Error = std::convert::Infallible;
    fn item(&mut self, id: ItemId) -> Result<Option<Item>, Self::Error> {
        Ok(self.items.get(&id).cloned())
    }
    fn item_by_name(&mut self, name: &str) -> Result<Option<Item>, Self::Error> {
        Ok(self
            .items
            .values()
            .find(|i| same_key(&i.name, name))
            .cloned())
    }
    fn item_by_barcode(&mut self, barcode: &str) -> Result<Option<Item>, Self::Error> {
        Ok(self
            .items
            .values()
            .find(|i| i.barcode.as_deref().is_some_and(|b| same_key(b, barcode)))
            .cloned())
    }
    fn put_item(&mut self, item: &Item) -> Result<(), Self::Error> {
        self.items.insert(item.id, item.clone());
        Ok(())
    }
    fn unit(&mut self, id: UnitId) -> Result<Option<Unit>, Self::Error> {
        Ok(self.units.get(&id).cloned())
    }
    fn unit_by_tag(&mut self, tag: &str) -> Result<Option<Unit>, Self::Error> {
        let ids = self.units_by_tag.get(&fold(tag));
        Ok(self.units_in(ids, |_| true).next().cloned())
    }
    fn units_of_item(&mut self, item: ItemId) -> Result<Vec<Unit>, Self::Error> {
        let ids = self.units_by_item.get(&item);
        Ok(self.units_in(ids, |_| true).cloned().collect())
    }
    fn unit_named(&mut self, item: ItemId, name: &str) -> Result<Option<Unit>, Self::Error> {
        let ids = self.units_by_item.get(&item);
        Ok(self
            .units_in(ids, |u| same_key(&u.name, name))
            .next()
            .cloned())
    }
    fn put_unit(&mut self, unit: &Unit) -> Result<(), Self::Error> {
        if let Some(old) = self.units.insert(unit.id, unit.clone()) {
            if let Some(tag) = &old.asset_tag {
                if let Some(ids) = self.units_by_tag.get_mut(&fold(tag)) {
                    ids.remove(&old.id);
                }
            }
            if old.item_id != unit.item_id {
                if let Some(ids) = self.units_by_item.get_mut(&old.item_id) {
                    ids.remove(&old.id);
                }
            }
        }
        self.units_by_item
            .entry(unit.item_id)
            .or_default()
            .insert(unit.id);
        if let Some(tag) = &unit.asset_tag {
            self.units_by_tag
                .entry(fold(tag))
                .or_default()
                .insert(unit.id);
        }
        Ok(())
    }
    fn units_where(&mut self, q: &UnitQuery) -> Result<Vec<Unit>, Self::Error> {
        let out = Status::CheckedOut;
        Ok(self
            .units
            .values()
            .filter(|u| u.active)
            .filter(|u| match q {
                UnitQuery::HeldBy(p) => u.status == out && u.holder_id == Some(*p),
                UnitQuery::HeldAs(k) => {
                    u.status == out
                        && u.holder_id.is_none()
                        && u.holder.as_deref().is_some_and(|h| fold(h) == *k)
                }
                UnitQuery::At(l) => u.location_id == Some(*l),
                UnitQuery::AtName(k) => {
                    u.location_id.is_none() && u.location.as_deref().is_some_and(|h| fold(h) == *k)
                }
            })
            .cloned()
            .collect())
    }
    fn person(&mut self, id: PersonId) -> Result<Option<Person>, Self::Error> {
        Ok(self.people.get(&id).cloned())
    }
    fn person_by_name(&mut self, name: &str) -> Result<Option<Person>, Self::Error> {
        Ok(self
            .people
            .values()
            .find(|x| same_key(&x.name, name))
            .cloned())
    }
    fn person_by_badge(&mut self, code: &str) -> Result<Option<Person>, Self::Error> {
        Ok(self.people.values().find(|x| x.has_badge(code)).cloned())
    }
    fn put_person(&mut self, person: &Person) -> Result<(), Self::Error> {
        self.people.insert(person.id, person.clone());
        Ok(())
    }
    fn scrub(&mut self, _: &Scrub) -> Result<(), Self::Error> {
        Ok(()) // no history kept here
    }
    fn person_history(&mut self, _: PersonId) -> Result<Vec<PersonFields>, Self::Error> {
        Ok(Vec::new())
    }
    fn location(&mut self, id: LocationId) -> Result<Option<Location>, Self::Error> {
        Ok(self.locations.get(&id).cloned())
    }
    fn location_by_name(&mut self, name: &str) -> Result<Option<Location>, Self::Error> {
        Ok(self
            .locations
            .values()
            .find(|x| same_key(&x.name, name))
            .cloned())
    }
    fn location_by_code(&mut self, code: &str) -> Result<Option<Location>, Self::Error> {
        Ok(self
            .locations
            .values()
            .find(|x| x.code.as_deref().is_some_and(|c| same_key(c, code)))
            .cloned())
    }
    fn put_location(&mut self, location: &Location) -> Result<(), Self::Error> {
        self.locations.insert(location.id, location.clone());
        Ok(())
    }
    fn kit(&mut self, id: KitId) -> Result<Option<Kit>, Self::Error> {
        Ok(self.kits.get(&id).cloned())
    }
    fn kits(&mut self) -> Result<Vec<Kit>, Self::Error> {
        let mut all: Vec<Kit> = self.kits.values().cloned().collect();
        all.sort_by_key(|k| fold(&k.name));
        Ok(all)
    }
    fn kit_by_code(&mut self, code: &str) -> Result<Option<Kit>, Self::Error> {
        Ok(self
            .kits
            .values()
            .find(|k| k.tag.as_deref().is_some_and(|t| same_key(t, code)))
            .cloned())
    }
    fn put_kit(&mut self, kit: &Kit) -> Result<(), Self::Error> {
        self.kits.insert(kit.id, kit.clone());
        Ok(())
    }
    fn reservation(&mut self, id: ReservationId) -> Result<Option<Reservation>, Self::Error> {
        Ok(self.reservations.get(&id).cloned())
    }
    fn reservations(&mut self, q: &ReservationQuery) -> Result<Vec<Reservation>, Self::Error> {
        let mut out: Vec<Reservation> = self
            .reservations
            .values()
            .filter(|r| q.matches(r))
            .cloned()
            .collect();
        out.sort_by(|a, b| (&a.fields.starts, a.id).cmp(&(&b.fields.starts, b.id)));
        Ok(out)
    }
    fn put_reservation(&mut self, r: &Reservation) -> Result<(), Self::Error> {
        self.reservations.insert(r.id, r.clone());
        Ok(())
    }
}

impl MemProjection {
    /// Replay a log in order, skipping refused events as the hub does.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut p = MemProjection::default();
        for ev in events {
            let _ = apply(&mut p, ev, Mode::Full);
        }
        p
    }

    /// Totals of every item, by item id.
    pub fn all_totals(&mut self) -> HashMap<ItemId, Totals> {
        let items: Vec<Item> = self.items.values().cloned().collect();
        items
            .into_iter()
            .map(|i| {
                let t = match totals(self, &i) {
                    Ok(t) => t,
                    Err(never) => match never {},
                };
                (i.id, t)
            })
            .collect()
    }
}
