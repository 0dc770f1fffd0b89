//! [`apply`]: the rules, once. Every store folds its log through this function.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{Applied, ApplyError, DomainError, Event, EventKind, Mode, Projection, UnitQuery};
use crate::catalog::{
    check_tag, check_text, fold, unit_name, Item, ItemId, Status, Totals, Tracking, Unit, UnitId,
    MAX_QUANTITY, MAX_SEEDED_UNITS,
};
use crate::kits::Kit;
use crate::locations::{LocationId, MAX_DEPTH};
use crate::people::{Person, PersonId, Scrub};
use crate::reservations::{clashes, Reservation, ReservationQuery, ReservationState};

/// Apply one event to the projection. On `Err` nothing was written.
pub fn apply<P: Projection>(
    p: &mut P,
    ev: &Event,
    mode: Mode,
) -> Result<Applied, ApplyError<P::Error>> {
    let st = |e| ApplyError::Store(e);
    let full = mode == Mode::Full;
    let mut out = Applied::default();
    ev.kind.check_fields()?;

    if ev.kind.is_reservation() {
        return apply_reservation(p, ev);
    }
    if ev.kind.is_kit() {
        return apply_kit(p, ev, full);
    }
    if ev.kind.is_directory() {
        return apply_directory(p, ev, full);
    }

    // Item-level events first: they act on the item (and, for the switch, all its units).
    match &ev.kind {
        EventKind::ConflictReviewed { .. } => {
            // Bookkeeping of the review only; listed in the unit's history.
            out.units = ev.unit_id.into_iter().collect();
            return Ok(out);
        }
        EventKind::ItemCreated {
            name,
            sku,
            barcode,
            tracking,
            reorder_point,
        } => {
            if p.item(ev.item_id).map_err(st)?.is_some() {
                return Err(DomainError::ItemExists(ev.item_id).into());
            }
            if full {
                check_item_unique(p, ev.item_id, name, barcode.as_deref())?;
            }
            let item = Item {
                id: ev.item_id,
                name: name.clone(),
                sku: sku.clone(),
                barcode: barcode.clone(),
                tracking: *tracking,
                reorder_point: *reorder_point,
                counts: Totals::default(),
                version: 1,
                archived: false,
            };
            p.put_item(&item).map_err(st)?;
            return Ok(out);
        }
        EventKind::ItemEdited {
            name,
            sku,
            barcode,
            reorder_point,
        } => {
            let mut item = need_item(p, ev.item_id)?;
            if full {
                check_item_unique(p, ev.item_id, name, barcode.as_deref())?;
            }
            out.conflict = version_conflict(ev, item.version);
            item.name = name.clone();
            item.sku = sku.clone();
            item.barcode = barcode.clone();
            item.reorder_point = *reorder_point;
            item.version += 1;
            p.put_item(&item).map_err(st)?;
            return Ok(out);
        }
        EventKind::ItemArchived => {
            let mut item = need_item(p, ev.item_id)?;
            if item.archived {
                return Err(DomainError::NoChange("archived".into()).into());
            }
            check_nothing_out(p, &item)?;
            out.conflict = version_conflict(ev, item.version);
            item.archived = true;
            item.version += 1;
            p.put_item(&item).map_err(st)?;
            return Ok(out);
        }
        EventKind::ItemUnarchived => {
            let mut item = need_item(p, ev.item_id)?;
            if !item.archived {
                return Err(DomainError::NoChange("in use (not archived)".into()).into());
            }
            out.conflict = version_conflict(ev, item.version);
            item.archived = false;
            item.version += 1;
            p.put_item(&item).map_err(st)?;
            return Ok(out);
        }
        EventKind::TrackingSwitched { to, .. } => {
            let mut item = need_live_item(p, ev.item_id)?;
            if item.tracking == *to {
                return Err(DomainError::NoChange(format!("tracked by {}", to.as_str())).into());
            }
            out.conflict = version_conflict(ev, item.version);
            match to {
                Tracking::Units => {
                    let count = item.counts.total();
                    if count > MAX_SEEDED_UNITS {
                        return Err(DomainError::TooManyUnits {
                            item: item.name,
                            count,
                        }
                        .into());
                    }
                    // Seed one unit per counted piece, in status order, with ids derived
                    // from the event id so every replica creates the very same units.
                    let mut n = 0usize;
                    for status in Status::COUNTED {
                        for _ in 0..item.counts.get(status) {
                            n += 1;
                            let unit = Unit {
                                id: seeded_unit_id(ev.id, n),
                                item_id: item.id,
                                name: unit_name(&item.name, n),
                                asset_tag: None,
                                status,
                                location: None,
                                location_id: None,
                                holder: None,
                                holder_id: None,
                                due: None,
                                fields: BTreeMap::new(),
                                active: true,
                                version: 1,
                                last_station: Some(ev.station_id),
                            };
                            p.put_unit(&unit).map_err(st)?;
                            out.units.push(unit.id);
                        }
                    }
                    item.counts = Totals::default();
                }
                Tracking::Count => {
                    // Never fold away who has a unit: checked again here, inside the
                    // write, whatever front end (or offline station) asked.
                    check_nothing_out(p, &item)?;
                    let mut totals = Totals::default();
                    for mut unit in p.units_of_item(item.id).map_err(st)? {
                        if unit.counts() {
                            totals.add(unit.status, 1);
                        }
                        unit.active = false;
                        unit.version += 1;
                        unit.last_station = Some(ev.station_id);
                        p.put_unit(&unit).map_err(st)?;
                        out.units.push(unit.id);
                    }
                    item.counts = totals;
                }
            }
            item.tracking = *to;
            item.version += 1;
            p.put_item(&item).map_err(st)?;
            return Ok(out);
        }
        EventKind::QuantityAdjusted { status, delta, .. } => {
            let mut item = need_count_item(p, ev.item_id)?;
            take(&item, *status, -*delta)?;
            item.counts.add(*status, *delta);
            item.version += 1;
            p.put_item(&item).map_err(st)?;
            return Ok(out);
        }
        EventKind::QuantityMoved { from, to, qty } => {
            let mut item = need_count_item(p, ev.item_id)?;
            if from == to {
                return Err(DomainError::NoChange(from.to_string()).into());
            }
            take(&item, *from, *qty)?;
            item.counts.add(*from, -*qty);
            item.counts.add(*to, *qty);
            item.version += 1;
            p.put_item(&item).map_err(st)?;
            return Ok(out);
        }
        EventKind::UnitCreated {
            name,
            asset_tag,
            status,
            location,
            fields,
            location_id,
        } => {
            let item = need_live_item(p, ev.item_id)?;
            if item.tracking != Tracking::Units {
                return Err(DomainError::NotUnitTracked { item: item.name }.into());
            }
            let unit_id = ev.unit_id.unwrap_or_else(|| seeded_unit_id(ev.id, 0));
            if p.unit(unit_id).map_err(st)?.is_some() {
                return Err(DomainError::UnitExists(unit_id).into());
            }
            check_unit_name_free(p, &item, unit_id, name)?;
            if full {
                if let Some(t) = asset_tag {
                    check_code_free(p, t, Owner::Unit(unit_id))?;
                }
            }
            let (location, location_id) = place(p, location, *location_id)?;
            let unit = Unit {
                id: unit_id,
                item_id: item.id,
                name: name.clone(),
                asset_tag: asset_tag.clone(),
                status: *status,
                location,
                location_id,
                holder: None,
                holder_id: None,
                due: None,
                fields: fields.clone(),
                active: true,
                version: 1,
                last_station: Some(ev.station_id),
            };
            p.put_unit(&unit).map_err(st)?;
            out.units.push(unit.id);
            return Ok(out);
        }
        _ => {}
    }

    // Everything else acts on one existing, active unit.
    let unit_id = ev.unit_id.ok_or(DomainError::UnknownUnit(Uuid::nil()))?;
    let mut unit = p
        .unit(unit_id)
        .map_err(st)?
        .ok_or(DomainError::UnknownUnit(unit_id))?;
    if unit.item_id != ev.item_id {
        return Err(DomainError::UnknownUnit(unit_id).into());
    }
    if !unit.active {
        return Err(DomainError::Folded(unit.name).into());
    }
    need_live_item(p, unit.item_id)?;
    let retired = unit.status == Status::Retired;
    // A check-out the hub takes although it breaks a lending rule (made offline): the
    // scan happened, so it is applied and flagged for review, never dropped.
    let mut lending_flag = None;
    match &ev.kind {
        EventKind::UnitRenamed { name } => {
            if *name == unit.name {
                return Err(DomainError::NoChange(format!("named {name:?}")).into());
            }
            let item = need_item(p, unit.item_id)?;
            check_unit_name_free(p, &item, unit.id, name)?;
            unit.name = name.clone();
        }
        EventKind::UnitTagged { tag } => {
            if let Some(t) = tag {
                if full {
                    check_code_free(p, t, Owner::Unit(unit.id))?;
                }
            }
            if *tag == unit.asset_tag {
                return Err(DomainError::NoChange("tagged so".into()).into());
            }
            unit.asset_tag = tag.clone();
        }
        EventKind::StatusChanged { to, .. } => {
            if retired {
                return Err(DomainError::Retired(unit.name).into());
            }
            if unit.status == Status::CheckedOut {
                let holder = unit.holder.unwrap_or_else(|| "someone".into());
                return Err(DomainError::CheckedOut(unit.name, holder).into());
            }
            if unit.status == *to {
                return Err(DomainError::NoChange(to.label().to_lowercase()).into());
            }
            unit.status = *to;
        }
        EventKind::CheckedOut {
            holder,
            due,
            holder_id,
        } => {
            if unit.status == Status::CheckedOut {
                let h = unit.holder.unwrap_or_else(|| "someone".into());
                return Err(DomainError::CheckedOut(unit.name, h).into());
            }
            if unit.status != Status::InStock {
                return Err(DomainError::InvalidTransition {
                    from: unit.status,
                    to: Status::CheckedOut,
                }
                .into());
            }
            // By id; else by name or badge (a check-out from before people were
            // entities, or to a person this replica knows under another id: a
            // standalone station's own people, moved to its hub when it enrolled).
            let person = match holder_id {
                Some(id) => match p.person(*id).map_err(st)? {
                    Some(x) => Some(x),
                    None => holder_named(p, holder)?,
                },
                None => holder_named(p, holder)?,
            };
            if full {
                lending_flag = lending_problem(p, person.as_ref(), holder)?;
            }
            unit.status = Status::CheckedOut;
            unit.holder = Some(
                person
                    .as_ref()
                    .map_or_else(|| holder.clone(), |x| x.name.clone()),
            );
            unit.holder_id = person.map(|x| x.id);
            unit.due = due.clone();
        }
        EventKind::CheckedIn {
            location,
            location_id,
        } => {
            if unit.status != Status::CheckedOut {
                return Err(DomainError::InvalidTransition {
                    from: unit.status,
                    to: Status::InStock,
                }
                .into());
            }
            unit.status = Status::InStock;
            unit.holder = None;
            unit.holder_id = None;
            unit.due = None;
            if location.is_some() || location_id.is_some() {
                (unit.location, unit.location_id) = place(p, location, *location_id)?;
            }
        }
        EventKind::UnitRetired { .. } => {
            if retired {
                return Err(DomainError::NoChange("retired".into()).into());
            }
            unit.status = Status::Retired;
            unit.holder = None;
            unit.holder_id = None;
            unit.due = None;
        }
        EventKind::UnitReturned {
            location,
            location_id,
            ..
        } => {
            if !retired {
                return Err(DomainError::NotRetired(unit.name).into());
            }
            unit.status = Status::InStock;
            if location.is_some() || location_id.is_some() {
                (unit.location, unit.location_id) = place(p, location, *location_id)?;
            }
        }
        EventKind::Signed(_) => {
            if unit.status != Status::CheckedOut {
                return Err(DomainError::NotCheckedOut(unit.name).into());
            }
        }
        EventKind::FieldSet { key, value } => match value {
            Some(v) => {
                if unit.fields.get(key) == Some(v) {
                    return Err(DomainError::NoChange(format!("{key} = {v:?}")).into());
                }
                unit.fields.insert(key.clone(), v.clone());
            }
            None => {
                if unit.fields.remove(key).is_none() {
                    return Err(DomainError::NoChange(format!("without {key}")).into());
                }
            }
        },
        EventKind::LocationMoved {
            location,
            location_id,
            ..
        } => {
            if retired {
                return Err(DomainError::Retired(unit.name).into());
            }
            let (location, location_id) = place(p, location, *location_id)?;
            let same = match (location_id, unit.location_id) {
                (Some(a), Some(b)) => a == b,
                _ => location.as_deref().map(fold) == unit.location.as_deref().map(fold),
            };
            if same {
                return Err(DomainError::NoChange("there".into()).into());
            }
            unit.location = location;
            unit.location_id = location_id;
        }
        _ => unreachable!("item-level events returned above"),
    }
    out.conflict = match (version_conflict(ev, unit.version), lending_flag) {
        (Some(v), Some(l)) => Some(format!("{v}; {l}")),
        (v, l) => v.or(l),
    };
    unit.version += 1;
    unit.last_station = Some(ev.station_id);
    p.put_unit(&unit).map_err(st)?;
    out.units.push(unit.id);
    Ok(out)
}

/// The id of the `n`th unit an event creates without naming an id itself.
pub fn seeded_unit_id(event_id: Uuid, n: usize) -> UnitId {
    Uuid::new_v5(&event_id, format!("unit-{n}").as_bytes())
}

fn version_conflict(ev: &Event, current: i64) -> Option<String> {
    match ev.base_version {
        Some(base) if base != current => Some(format!(
            "made on version {base}, applied on version {current}: changed elsewhere in between"
        )),
        _ => None,
    }
}

fn need_item<P: Projection>(p: &mut P, id: ItemId) -> Result<Item, ApplyError<P::Error>> {
    p.item(id)
        .map_err(ApplyError::Store)?
        .ok_or_else(|| DomainError::UnknownItem(id).into())
}

/// An item that is not archived: only edits and unarchiving touch an archived one.
fn need_live_item<P: Projection>(p: &mut P, id: ItemId) -> Result<Item, ApplyError<P::Error>> {
    let item = need_item(p, id)?;
    if item.archived {
        return Err(DomainError::Archived(item.name).into());
    }
    Ok(item)
}

/// Archiving waits until nothing of the item is checked out: no lending disappears
/// from view.
fn check_nothing_out<P: Projection>(p: &mut P, item: &Item) -> Result<(), ApplyError<P::Error>> {
    let out: Vec<Unit> = p
        .units_of_item(item.id)
        .map_err(ApplyError::Store)?
        .into_iter()
        .filter(|u| u.status == Status::CheckedOut)
        .collect();
    let what = match (item.tracking, out.as_slice()) {
        (Tracking::Units, []) => return Ok(()),
        (Tracking::Units, units) => units
            .iter()
            .map(|u| format!("{} ({})", u.name, u.holder.as_deref().unwrap_or("someone")))
            .collect::<Vec<_>>()
            .join(", "),
        (Tracking::Count, _) => match item.counts.get(Status::CheckedOut) {
            0 => return Ok(()),
            n => format!("{n} pieces"),
        },
    };
    Err(DomainError::StillOut {
        item: item.name.clone(),
        what,
    }
    .into())
}

fn need_count_item<P: Projection>(p: &mut P, id: ItemId) -> Result<Item, ApplyError<P::Error>> {
    let item = need_live_item(p, id)?;
    if item.tracking == Tracking::Units {
        return Err(DomainError::DerivedTotals { item: item.name }.into());
    }
    Ok(item)
}

fn take(item: &Item, status: Status, want: i64) -> Result<(), DomainError> {
    let have = item.counts.get(status);
    if want > 0 && have < want {
        return Err(DomainError::NegativeCount {
            item: item.name.clone(),
            status,
            have,
            want,
        });
    }
    Ok(())
}

pub(super) fn check_item_fields(
    name: &str,
    sku: &Option<String>,
    barcode: &Option<String>,
    reorder_point: Option<i64>,
) -> Result<(), DomainError> {
    check_text("item name", name)?;
    if let Some(s) = sku {
        check_tag("SKU", s)?;
    }
    if let Some(b) = barcode {
        check_tag("barcode", b)?;
    }
    if let Some(r) = reorder_point {
        if !(0..=MAX_QUANTITY).contains(&r) {
            return Err(DomainError::BadQuantity(r));
        }
    }
    Ok(())
}

fn check_item_unique<P: Projection>(
    p: &mut P,
    id: ItemId,
    name: &str,
    barcode: Option<&str>,
) -> Result<(), ApplyError<P::Error>> {
    if let Some(other) = p.item_by_name(name).map_err(ApplyError::Store)? {
        if other.id != id {
            return Err(DomainError::DuplicateItemName(name.into()).into());
        }
    }
    if let Some(b) = barcode {
        check_code_free(p, b, Owner::Item(id))?;
    }
    Ok(())
}

/// Who a code (asset tag, barcode, badge, location code) belongs to, for
/// [`check_code_free`]: the one that may keep its own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Owner {
    Item(ItemId),
    Unit(UnitId),
    Person(PersonId),
    Location(LocationId),
    Kit(crate::kits::KitId),
}

/// One namespace of codes: an asset tag, a product barcode, a badge and a location
/// code never collide (letter case aside), so a scan resolves to exactly one thing.
pub(super) fn check_code_free<P: Projection>(
    p: &mut P,
    code: &str,
    me: Owner,
) -> Result<(), ApplyError<P::Error>> {
    let st = ApplyError::Store;
    let taken = |owner: String| -> ApplyError<P::Error> {
        DomainError::DuplicateTag {
            tag: code.into(),
            owner,
        }
        .into()
    };
    if let Some(u) = p.unit_by_tag(code).map_err(st)? {
        if me != Owner::Unit(u.id) {
            return Err(taken(format!("unit {:?}", u.name)));
        }
    }
    if let Some(i) = p.item_by_barcode(code).map_err(st)? {
        if me != Owner::Item(i.id) {
            return Err(taken(format!("item {:?}", i.name)));
        }
    }
    if let Some(x) = p.person_by_badge(code).map_err(st)? {
        if me != Owner::Person(x.id) {
            return Err(taken(format!("the badge of {}", x.name)));
        }
    }
    if let Some(l) = p.location_by_code(code).map_err(st)? {
        if me != Owner::Location(l.id) {
            return Err(taken(format!("location {:?}", l.name)));
        }
    }
    if let Some(k) = p.kit_by_code(code).map_err(st)? {
        if me != Owner::Kit(k.id) {
            return Err(taken(format!("kit {:?}", k.name)));
        }
    }
    Ok(())
}

fn check_unit_name_free<P: Projection>(
    p: &mut P,
    item: &Item,
    unit: UnitId,
    name: &str,
) -> Result<(), ApplyError<P::Error>> {
    let taken = p
        .unit_named(item.id, name)
        .map_err(ApplyError::Store)?
        .is_some_and(|u| u.id != unit);
    if taken {
        return Err(DomainError::DuplicateUnitName {
            item: item.name.clone(),
            name: name.into(),
        }
        .into());
    }
    Ok(())
}

/// The person a holder written as text names: by name, else by badge (letter case
/// aside). For check-outs made before people were entities, or by an older station.
fn holder_named<P: Projection>(
    p: &mut P,
    holder: &str,
) -> Result<Option<Person>, ApplyError<P::Error>> {
    let st = ApplyError::Store;
    match p.person_by_name(holder).map_err(st)? {
        Some(x) => Ok(Some(x)),
        None => p.person_by_badge(holder).map_err(st),
    }
}

/// Why the hub flags a check-out it applies: the holder is not a known person, may
/// not borrow, or is over their limit of open check-outs. `None` when all is well.
fn lending_problem<P: Projection>(
    p: &mut P,
    person: Option<&Person>,
    holder: &str,
) -> Result<Option<String>, ApplyError<P::Error>> {
    let Some(person) = person else {
        return Ok(Some(format!("{holder} is not a known person")));
    };
    if let Err(e) = person.may_borrow() {
        return Ok(Some(e.to_string()));
    }
    if let Some(max) = person.max_checkouts {
        let open = p
            .units_where(&UnitQuery::HeldBy(person.id))
            .map_err(ApplyError::Store)?
            .iter()
            .filter(|u| u.status == Status::CheckedOut)
            .count() as i64;
        if open >= max {
            return Ok(Some(format!(
                "over the limit of {}: {max} open check-outs at most, this is number {}",
                person.name,
                open + 1
            )));
        }
    }
    Ok(None)
}

/// Where a unit goes: the location entity named by id (its current name), else the
/// one whose name is the text (letter case aside), else the text as it is.
fn place<P: Projection>(
    p: &mut P,
    text: &Option<String>,
    id: Option<LocationId>,
) -> Result<(Option<String>, Option<LocationId>), ApplyError<P::Error>> {
    let st = ApplyError::Store;
    let by_id = match id {
        Some(id) => p.location(id).map_err(st)?,
        None => None,
    };
    let found = match (by_id, text) {
        (Some(l), _) => Some(l),
        (None, Some(t)) => p.location_by_name(t).map_err(st)?,
        (None, None) => None,
    };
    Ok(match found {
        Some(l) => (Some(l.name), Some(l.id)),
        None => (text.clone(), None),
    })
}

/// Events of people and locations (their subject is `ev.item_id`).
fn apply_directory<P: Projection>(
    p: &mut P,
    ev: &Event,
    full: bool,
) -> Result<Applied, ApplyError<P::Error>> {
    let st = |e| ApplyError::Store(e);
    let id = ev.item_id;
    let mut out = Applied::default();
    match &ev.kind {
        EventKind::PersonCreated(f) => {
            if p.person(id).map_err(st)?.is_some() {
                return Err(DomainError::PersonExists(id).into());
            }
            if full {
                check_person_unique(p, id, f)?;
            }
            let person = f.clone().into_person(id, 1);
            p.put_person(&person).map_err(st)?;
            link_holders(p, &person)?;
        }
        EventKind::PersonEdited(f) => {
            let old = need_person(p, id)?;
            if full {
                check_person_unique(p, id, f)?;
            }
            out.conflict = version_conflict(ev, old.version);
            let person = f.clone().into_person(id, old.version + 1);
            p.put_person(&person).map_err(st)?;
            if person.name != old.name {
                rename_holder(p, &person, &person.name)?;
            }
            link_holders(p, &person)?;
        }
        EventKind::PersonErased { pseudonym } => {
            let old = need_person(p, id)?;
            out.conflict = version_conflict(ev, old.version);
            let mut known = p.person_history(id).map_err(st)?;
            known.push(old.fields());
            let scrub = Scrub::new(id, pseudonym, &known);
            let person = Person {
                name: pseudonym.clone(),
                badges: Vec::new(),
                email: None,
                active: false,
                erased: true,
                version: old.version + 1,
                ..old
            };
            p.put_person(&person).map_err(st)?;
            rename_holder(p, &person, pseudonym)?;
            p.scrub(&scrub).map_err(st)?;
        }
        EventKind::LocationCreated(f) => {
            if p.location(id).map_err(st)?.is_some() {
                return Err(DomainError::LocationExists(id).into());
            }
            if full {
                check_location_rules(p, id, f)?;
            }
            let location = f.clone().into_location(id, 1);
            p.put_location(&location).map_err(st)?;
            link_units_at(p, id, &location.name)?;
        }
        EventKind::LocationEdited(f) => {
            let old = p
                .location(id)
                .map_err(st)?
                .ok_or(DomainError::UnknownLocation(id))?;
            if full {
                check_location_rules(p, id, f)?;
            }
            if old.fields() == *f {
                return Err(DomainError::NoChange("so".into()).into());
            }
            out.conflict = version_conflict(ev, old.version);
            let location = f.clone().into_location(id, old.version + 1);
            p.put_location(&location).map_err(st)?;
            if location.name != old.name {
                for mut u in p.units_where(&UnitQuery::At(id)).map_err(st)? {
                    u.location = Some(location.name.clone());
                    p.put_unit(&u).map_err(st)?;
                }
            }
            link_units_at(p, id, &location.name)?;
        }
        _ => unreachable!("only directory events come here"),
    }
    Ok(out)
}

/// Events of kits (their subject is `ev.item_id`, the kit's id).
fn apply_kit<P: Projection>(
    p: &mut P,
    ev: &Event,
    full: bool,
) -> Result<Applied, ApplyError<P::Error>> {
    let st = |e| ApplyError::Store(e);
    let id = ev.item_id;
    let mut out = Applied::default();
    let old = p.kit(id).map_err(st)?;
    match (&ev.kind, old) {
        (EventKind::KitCreated(_), Some(_)) => Err(DomainError::KitExists(id).into()),
        (EventKind::KitCreated(f), None) => {
            check_kit_rules(p, id, f, full)?;
            p.put_kit(&Kit::new(id, f.clone())).map_err(st)?;
            Ok(out)
        }
        (_, None) => Err(DomainError::UnknownKit(id).into()),
        (EventKind::KitEdited(f), Some(mut kit)) => {
            if kit.fields() == *f {
                return Err(DomainError::NoChange("so".into()).into());
            }
            check_kit_rules(p, id, f, full)?;
            out.conflict = version_conflict(ev, kit.version);
            kit.missing.retain(|u| f.units.contains(u));
            kit = Kit {
                missing: kit.missing,
                version: kit.version + 1,
                ..Kit::new(id, f.clone())
            };
            p.put_kit(&kit).map_err(st)?;
            Ok(out)
        }
        (EventKind::KitReturned { missing }, Some(mut kit)) => {
            for u in missing {
                if !kit.units.contains(u) {
                    let name = p.unit(*u).map_err(st)?.map(|u| u.name);
                    return Err(DomainError::NotInKit(name.unwrap_or_else(|| u.to_string())).into());
                }
            }
            out.conflict = version_conflict(ev, kit.version);
            kit.missing = missing.clone();
            kit.version += 1;
            p.put_kit(&kit).map_err(st)?;
            Ok(out)
        }
        _ => unreachable!("only kit events come here"),
    }
}

/// A kit's name unique (in full mode), its tag free in the one namespace of codes, its
/// units known, active, not retired and in no other active kit.
fn check_kit_rules<P: Projection>(
    p: &mut P,
    id: crate::kits::KitId,
    f: &crate::kits::KitFields,
    full: bool,
) -> Result<(), ApplyError<P::Error>> {
    let st = ApplyError::Store;
    let kits = p.kits().map_err(st)?;
    if full
        && kits
            .iter()
            .any(|k| k.id != id && fold(&k.name) == fold(&f.name))
    {
        return Err(DomainError::DuplicateKitName(f.name.clone()).into());
    }
    if let Some(t) = &f.tag {
        if full {
            check_code_free(p, t, Owner::Kit(id))?;
        }
    }
    if !f.active {
        return Ok(());
    }
    for u in &f.units {
        let unit = p
            .unit(*u)
            .map_err(st)?
            .ok_or(DomainError::UnknownUnit(*u))?;
        if !unit.active {
            return Err(DomainError::UnknownUnit(*u).into());
        }
        if unit.status == Status::Retired {
            return Err(DomainError::Retired(unit.name).into());
        }
        if let Some(other) = kits.iter().find(|k| k.id != id && k.holds(*u)) {
            return Err(DomainError::InOtherKit {
                unit: unit.name,
                kit: other.name.clone(),
            }
            .into());
        }
    }
    Ok(())
}

/// Events of reservations (their subject is `ev.item_id`, the reservation's id). A
/// reservation that clashes with another (made offline at two stations) is applied
/// and flagged as a conflict: both stay, for a person to settle.
fn apply_reservation<P: Projection>(
    p: &mut P,
    ev: &Event,
) -> Result<Applied, ApplyError<P::Error>> {
    let st = |e| ApplyError::Store(e);
    let id = ev.item_id;
    let mut out = Applied::default();
    if let EventKind::ReservationMade(f) = &ev.kind {
        if p.reservation(id).map_err(st)?.is_some() {
            return Err(DomainError::ReservationExists(id).into());
        }
        let item = need_live_item(p, f.item_id)?;
        if item.tracking != Tracking::Units {
            return Err(DomainError::NotReservable(item.name).into());
        }
        let lendable: Vec<Unit> = p
            .units_of_item(item.id)
            .map_err(st)?
            .into_iter()
            .filter(|u| u.status != Status::Retired)
            .collect();
        for u in &f.units {
            let unit = p
                .unit(*u)
                .map_err(st)?
                .ok_or(DomainError::UnknownUnit(*u))?;
            if unit.item_id != item.id || !unit.active {
                return Err(DomainError::NotOfItem(unit.name).into());
            }
            if unit.status == Status::Retired {
                return Err(DomainError::Retired(unit.name).into());
            }
        }
        let have = lendable.len() as i64;
        if f.count > have {
            return Err(DomainError::TooFewToReserve {
                item: item.name,
                have,
                want: f.count,
            }
            .into());
        }
        need_person(p, f.person_id)?;
        let others = p
            .reservations(&ReservationQuery::of_item(item.id, &f.starts, &f.ends))
            .map_err(st)?;
        let clash = clashes(id, f, &others, have);
        if !clash.is_empty() {
            let mut words = Vec::new();
            for r in clash {
                let who = p
                    .person(r.fields.person_id)
                    .map_err(st)?
                    .map(|x| x.name)
                    .unwrap_or_else(|| r.fields.person_id.to_string());
                words.push(format!(
                    "{who}'s reservation from {} to {}",
                    r.fields.starts, r.fields.ends
                ));
            }
            out.conflict = Some(format!(
                "reserved twice: {} units of {:?} overlap {}",
                f.count,
                item.name,
                words.join(", ")
            ));
        }
        p.put_reservation(&f.clone().into_reservation(id))
            .map_err(st)?;
        return Ok(out);
    }
    let mut r: Reservation = p
        .reservation(id)
        .map_err(st)?
        .ok_or(DomainError::UnknownReservation(id))?;
    match &ev.kind {
        EventKind::ReservationCancelled { .. } => {
            if r.state == ReservationState::Cancelled {
                return Err(DomainError::NoChange("cancelled".into()).into());
            }
            r.state = ReservationState::Cancelled;
        }
        EventKind::ReservationFulfilled { .. } => {
            if r.state != ReservationState::Open {
                return Err(DomainError::ReservationClosed(r.state).into());
            }
            r.state = ReservationState::Fulfilled;
        }
        EventKind::ReservationOverridden { .. } => {
            if r.state == ReservationState::Cancelled {
                return Err(DomainError::ReservationClosed(r.state).into());
            }
        }
        _ => unreachable!("only reservation events come here"),
    }
    out.conflict = version_conflict(ev, r.version);
    r.version += 1;
    p.put_reservation(&r).map_err(st)?;
    Ok(out)
}

/// A person who exists and was not erased (an erased person takes no more changes).
fn need_person<P: Projection>(p: &mut P, id: PersonId) -> Result<Person, ApplyError<P::Error>> {
    let person = p
        .person(id)
        .map_err(ApplyError::Store)?
        .ok_or(DomainError::UnknownPerson(id))?;
    if person.erased {
        return Err(DomainError::Erased(person.name).into());
    }
    Ok(person)
}

/// A person's name is theirs alone (letter case aside) and their badges are in the one
/// namespace of codes.
fn check_person_unique<P: Projection>(
    p: &mut P,
    id: PersonId,
    f: &crate::people::PersonFields,
) -> Result<(), ApplyError<P::Error>> {
    if let Some(other) = p.person_by_name(&f.name).map_err(ApplyError::Store)? {
        if other.id != id {
            return Err(DomainError::DuplicatePersonName(f.name.clone()).into());
        }
    }
    for b in &f.badges {
        check_code_free(p, b, Owner::Person(id))?;
    }
    Ok(())
}

/// A location's name is its own (letter case aside), its code is in the one namespace
/// of codes, and its parent exists and does not lead back to it.
fn check_location_rules<P: Projection>(
    p: &mut P,
    id: LocationId,
    f: &crate::locations::LocationFields,
) -> Result<(), ApplyError<P::Error>> {
    let st = ApplyError::Store;
    if let Some(other) = p.location_by_name(&f.name).map_err(st)? {
        if other.id != id {
            return Err(DomainError::DuplicateLocationName(f.name.clone()).into());
        }
    }
    if let Some(c) = &f.code {
        check_code_free(p, c, Owner::Location(id))?;
    }
    let mut next = f.parent;
    let mut depth = 0;
    while let Some(parent) = next {
        if parent == id || depth >= MAX_DEPTH {
            return Err(DomainError::LocationCycle(f.name.clone()).into());
        }
        next = p
            .location(parent)
            .map_err(st)?
            .ok_or(DomainError::UnknownLocation(parent))?
            .parent;
        depth += 1;
    }
    Ok(())
}

/// Units checked out to this person now show `name` (a rename, an erasure). Not a
/// change of the units themselves: their versions stay.
fn rename_holder<P: Projection>(
    p: &mut P,
    person: &Person,
    name: &str,
) -> Result<(), ApplyError<P::Error>> {
    for mut u in p
        .units_where(&UnitQuery::HeldBy(person.id))
        .map_err(ApplyError::Store)?
    {
        u.holder = Some(name.to_string());
        p.put_unit(&u).map_err(ApplyError::Store)?;
    }
    Ok(())
}

/// Lending written as free text before people were entities ("ben", "Ben", a badge
/// code) is linked to the person whose name or badge it is: one person, one holder.
fn link_holders<P: Projection>(p: &mut P, person: &Person) -> Result<(), ApplyError<P::Error>> {
    if person.erased {
        return Ok(());
    }
    let keys = std::iter::once(fold(&person.name)).chain(person.badges.iter().map(|b| fold(b)));
    for key in keys.collect::<Vec<_>>() {
        for mut u in p
            .units_where(&UnitQuery::HeldAs(key))
            .map_err(ApplyError::Store)?
        {
            u.holder = Some(person.name.clone());
            u.holder_id = Some(person.id);
            p.put_unit(&u).map_err(ApplyError::Store)?;
        }
    }
    Ok(())
}

/// Units whose location was written as free text with this name (before locations
/// were entities) are linked to the location of that name.
fn link_units_at<P: Projection>(
    p: &mut P,
    id: LocationId,
    name: &str,
) -> Result<(), ApplyError<P::Error>> {
    for mut u in p
        .units_where(&UnitQuery::AtName(fold(name)))
        .map_err(ApplyError::Store)?
    {
        u.location = Some(name.to_string());
        u.location_id = Some(id);
        p.put_unit(&u).map_err(ApplyError::Store)?;
    }
    Ok(())
}
