//! How items, units and history look to people and scripts: the JSON shapes of the
//! CLI and the hub API (stable field names), built the same way by every store.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{Item, ItemId, Status, Tracking, Unit, UnitId};
use crate::clock::rfc3339;
use crate::event::StoredEvent;
use crate::event::{totals, EventKind, Projection};

/// An item as shown to people and scripts (stable JSON field names).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ItemView {
    pub id: ItemId,
    pub name: String,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub tracking: Tracking,
    pub reorder_point: Option<i64>,
    pub totals: BTreeMap<Status, i64>,
    pub total: i64,
    pub below_reorder_point: bool,
    pub units: i64,
    /// Archived: hidden from lists, takes no changes until unarchived.
    pub archived: bool,
}

/// A unit as shown to people and scripts (stable JSON field names).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UnitView {
    pub id: UnitId,
    pub item_id: ItemId,
    pub item: String,
    pub name: String,
    pub asset_tag: Option<String>,
    pub status: Status,
    pub location: Option<String>,
    pub holder: Option<String>,
    pub due: Option<String>,
    pub overdue: bool,
    pub fields: BTreeMap<String, String>,
    pub active: bool,
    pub version: i64,
    /// Its item is archived: the unit takes no changes until the item is unarchived.
    pub item_archived: bool,
}

/// A person as shown to people and scripts (stable JSON field names). An erased
/// person shows only the pseudonym.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PersonView {
    pub id: crate::people::PersonId,
    pub name: String,
    pub badges: Vec<String>,
    pub email: Option<String>,
    pub role: crate::people::Role,
    pub active: bool,
    pub max_checkouts: Option<i64>,
    pub loan_days: Option<i64>,
    pub erased: bool,
    /// Units checked out to them now.
    pub checked_out: i64,
    pub overdue: i64,
}

/// A location as shown to people and scripts (stable JSON field names).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LocationView {
    pub id: crate::locations::LocationId,
    pub name: String,
    pub kind: crate::locations::LocationKind,
    /// The parent's name, if it is inside another location.
    pub parent: Option<String>,
    pub code: Option<String>,
    pub active: bool,
    /// Active units there now.
    pub units: i64,
}

/// One line of history (stable JSON field names).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryEntry {
    pub event_id: Uuid,
    pub at: String,
    pub clock_synced: bool,
    pub station_id: Uuid,
    pub station_seq: i64,
    pub hub_seq: Option<i64>,
    pub actor: String,
    pub item_id: ItemId,
    pub unit_id: Option<UnitId>,
    pub kind: String,
    pub description: String,
    /// The step of a unit's lifecycle this event is, in its users' words ("received",
    /// "in stock", "transferred", "repair", "sold", "returned"), if it is one.
    pub lifecycle: Option<String>,
    pub data: EventKind,
    pub scan: Option<String>,
    pub applied: bool,
    pub conflict: bool,
    pub note: Option<String>,
    pub synced: bool,
}

/// A stored event as a history line; `rejected` is the hub's reason for refusing it.
pub fn history_entry(s: StoredEvent, rejected: Option<String>) -> HistoryEntry {
    {
        let e = s.event;
        HistoryEntry {
            event_id: e.id,
            at: rfc3339(e.wall_time_ms),
            clock_synced: e.clock_synced,
            station_id: e.station_id,
            station_seq: e.station_seq,
            hub_seq: s.hub_seq,
            actor: e.actor,
            item_id: e.item_id,
            unit_id: e.unit_id,
            kind: e.kind.name().to_string(),
            description: e.kind.describe(),
            lifecycle: e.kind.lifecycle().map(str::to_string),
            data: e.kind,
            scan: e.scan,
            applied: s.outcome.applied,
            conflict: s.outcome.conflict,
            note: s
                .outcome
                .note
                .or(rejected.map(|r| format!("refused by the hub: {r}"))),
            synced: s.hub_seq.is_some(),
        }
    }
}

/// An item with its totals (derived from units for unit-tracked items).
pub fn item_view<P: Projection>(p: &mut P, item: &Item) -> Result<ItemView, P::Error> {
    let t = totals(p, item)?;
    let units = p.units_of_item(item.id)?.len() as i64;
    Ok(item_view_with(item, t, units))
}

/// [`item_view`] with the item's totals and its number of units already counted: for a
/// list, which counts them for many items at once.
pub fn item_view_with(item: &Item, t: crate::catalog::Totals, units: i64) -> ItemView {
    let in_stock = t.get(Status::InStock);
    ItemView {
        id: item.id,
        name: item.name.clone(),
        sku: item.sku.clone(),
        barcode: item.barcode.clone(),
        tracking: item.tracking,
        reorder_point: item.reorder_point,
        total: t.total(),
        below_reorder_point: item.reorder_point.is_some_and(|r| in_stock < r),
        totals: t.full(),
        units,
        archived: item.archived,
    }
}

/// Views of many items from their active units counted by item and status (rows of
/// `SELECT item_id, status, COUNT(*) ... GROUP BY item_id, status`), in the order of
/// `items`: the set-based [`item_view`] of a list, which both stores read in one query.
pub fn item_views_counted(
    items: &[Item],
    counted: impl IntoIterator<Item = (ItemId, Status, i64)>,
) -> Vec<ItemView> {
    let mut by_item: std::collections::HashMap<ItemId, (crate::catalog::Totals, i64)> =
        std::collections::HashMap::new();
    for (item, status, n) in counted {
        let (t, units) = by_item.entry(item).or_default();
        *units += n;
        if status != Status::Retired {
            t.add(status, n);
        }
    }
    items
        .iter()
        .map(|item| {
            let (from_units, units) = by_item.remove(&item.id).unwrap_or_default();
            let t = match item.tracking {
                Tracking::Count => item.counts.clone(),
                Tracking::Units => from_units,
            };
            item_view_with(item, t, units)
        })
        .collect()
}

/// A unit with its item's name and whether it is overdue today.
pub fn unit_view<P: Projection>(p: &mut P, unit: &Unit) -> Result<UnitView, P::Error> {
    let item = p.item(unit.item_id)?;
    Ok(unit_view_with(unit, item.as_ref(), &crate::clock::today()))
}

/// [`unit_view`] with the unit's item already read (`None`: not found) and today's
/// date (`YYYY-MM-DD`): for a list, which reads its items once.
pub fn unit_view_with(unit: &Unit, item: Option<&Item>, today: &str) -> UnitView {
    let (item, item_archived) = item
        .map(|i| (i.name.clone(), i.archived))
        .unwrap_or_default();
    UnitView {
        id: unit.id,
        item_id: unit.item_id,
        item,
        name: unit.name.clone(),
        asset_tag: unit.asset_tag.clone(),
        status: unit.status,
        location: unit.location.clone(),
        holder: unit.holder.clone(),
        overdue: unit.status == Status::CheckedOut
            && unit.due.as_deref().is_some_and(|d| d < today),
        due: unit.due.clone(),
        fields: unit.fields.clone(),
        active: unit.active,
        version: unit.version,
        item_archived,
    }
}

/// A person with their open check-outs.
pub fn person_view<P: Projection>(
    p: &mut P,
    person: &crate::people::Person,
) -> Result<PersonView, P::Error> {
    let held = p.units_where(&crate::event::UnitQuery::HeldBy(person.id))?;
    let today = crate::clock::today();
    Ok(PersonView {
        id: person.id,
        name: person.name.clone(),
        badges: person.badges.clone(),
        email: person.email.clone(),
        role: person.role,
        active: person.active,
        max_checkouts: person.max_checkouts,
        loan_days: person.loan_days,
        erased: person.erased,
        checked_out: held.len() as i64,
        overdue: held
            .iter()
            .filter(|u| u.due.as_deref().is_some_and(|d| d < today.as_str()))
            .count() as i64,
    })
}

/// A location with its parent's name and how many units are there.
pub fn location_view<P: Projection>(
    p: &mut P,
    location: &crate::locations::Location,
) -> Result<LocationView, P::Error> {
    let parent = match location.parent {
        Some(id) => p.location(id)?.map(|l| l.name),
        None => None,
    };
    let units = p
        .units_where(&crate::event::UnitQuery::At(location.id))?
        .len() as i64;
    Ok(location_view_with(location, parent, units))
}

/// [`location_view`] with the parent's name and the units there already known: for a
/// list, which counts them for every location at once.
pub fn location_view_with(
    location: &crate::locations::Location,
    parent: Option<String>,
    units: i64,
) -> LocationView {
    LocationView {
        id: location.id,
        name: location.name.clone(),
        kind: location.kind,
        parent,
        code: location.code.clone(),
        active: location.active,
        units,
    }
}
