//! [`apply`]: the rules, once. Every store folds its log through this function.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{Applied, ApplyError, DomainError, Event, EventKind, Mode, Projection};
use crate::catalog::{
    check_tag, check_text, unit_name, Item, ItemId, Status, Totals, Tracking, Unit, UnitId,
    MAX_QUANTITY, MAX_SEEDED_UNITS,
};

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
                                holder: None,
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
                    check_tag_free(p, unit_id, t)?;
                }
            }
            let unit = Unit {
                id: unit_id,
                item_id: item.id,
                name: name.clone(),
                asset_tag: asset_tag.clone(),
                status: *status,
                location: location.clone(),
                holder: None,
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
                    check_tag_free(p, unit.id, t)?;
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
        EventKind::CheckedOut { holder, due } => {
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
            unit.status = Status::CheckedOut;
            unit.holder = Some(holder.clone());
            unit.due = due.clone();
        }
        EventKind::CheckedIn { location } => {
            if unit.status != Status::CheckedOut {
                return Err(DomainError::InvalidTransition {
                    from: unit.status,
                    to: Status::InStock,
                }
                .into());
            }
            unit.status = Status::InStock;
            unit.holder = None;
            unit.due = None;
            if location.is_some() {
                unit.location = location.clone();
            }
        }
        EventKind::UnitRetired { .. } => {
            if retired {
                return Err(DomainError::NoChange("retired".into()).into());
            }
            unit.status = Status::Retired;
            unit.holder = None;
            unit.due = None;
        }
        EventKind::UnitReturned { location, .. } => {
            if !retired {
                return Err(DomainError::NotRetired(unit.name).into());
            }
            unit.status = Status::InStock;
            if location.is_some() {
                unit.location = location.clone();
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
        EventKind::LocationMoved { location, .. } => {
            if retired {
                return Err(DomainError::Retired(unit.name).into());
            }
            if *location == unit.location {
                return Err(DomainError::NoChange("there".into()).into());
            }
            unit.location = location.clone();
        }
        _ => unreachable!("item-level events returned above"),
    }
    out.conflict = version_conflict(ev, unit.version);
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
        if let Some(other) = p.item_by_barcode(b).map_err(ApplyError::Store)? {
            if other.id != id {
                return Err(DomainError::DuplicateTag {
                    tag: b.into(),
                    owner: format!("item {:?}", other.name),
                }
                .into());
            }
        }
        if let Some(u) = p.unit_by_tag(b).map_err(ApplyError::Store)? {
            return Err(DomainError::DuplicateTag {
                tag: b.into(),
                owner: format!("unit {:?}", u.name),
            }
            .into());
        }
    }
    Ok(())
}

fn check_tag_free<P: Projection>(
    p: &mut P,
    unit: UnitId,
    tag: &str,
) -> Result<(), ApplyError<P::Error>> {
    if let Some(other) = p.unit_by_tag(tag).map_err(ApplyError::Store)? {
        if other.id != unit {
            return Err(DomainError::DuplicateTag {
                tag: tag.into(),
                owner: format!("unit {:?}", other.name),
            }
            .into());
        }
    }
    if let Some(item) = p.item_by_barcode(tag).map_err(ApplyError::Store)? {
        return Err(DomainError::DuplicateTag {
            tag: tag.into(),
            owner: format!("item {:?}", item.name),
        }
        .into());
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
