//! Items and units: the catalog operations. Each builds its events from typed input and
//! records them in one write through the [`Ledger`].

use std::collections::BTreeMap;

use uuid::Uuid;

use tagstation_core::catalog::{ItemId, Status, Tracking, UnitId};
use tagstation_core::event::EventKind;

use crate::naming::next_unit_name;
use crate::{on_item, on_unit, record, Actor, Ledger, OpError, Recorded};

/// A new item.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub name: String,
    pub sku: Option<String>,
    /// Product barcode, scanned for count-tracked stock.
    pub barcode: Option<String>,
    pub tracking: Tracking,
    pub reorder_point: Option<i64>,
    /// Pieces in stock to start with (count items only).
    pub quantity: Option<i64>,
}

impl NewItem {
    /// A counted item named `name`, with nothing else set.
    pub fn named(name: &str) -> NewItem {
        NewItem {
            name: name.into(),
            sku: None,
            barcode: None,
            tracking: Tracking::Count,
            reorder_point: None,
            quantity: None,
        }
    }

    /// An item tracked unit by unit, with nothing else set.
    pub fn units(name: &str) -> NewItem {
        NewItem {
            tracking: Tracking::Units,
            ..NewItem::named(name)
        }
    }

    /// A counted item with `quantity` in stock.
    pub fn count(name: &str, quantity: i64) -> NewItem {
        NewItem {
            quantity: Some(quantity),
            ..NewItem::named(name)
        }
    }
}

/// Create an item (and its starting quantity) in one write. Returns its id.
pub fn create_item(l: &mut impl Ledger, new: NewItem, actor: &Actor) -> Result<ItemId, OpError> {
    let (id, cmds) = create_item_commands(new, actor)?;
    record(l, cmds)?;
    Ok(id)
}

/// The commands that create an item, for a caller that records them together with
/// others in one write (an import). [`create_item`] records them alone.
pub fn create_item_commands(
    new: NewItem,
    actor: &Actor,
) -> Result<(ItemId, Vec<tagstation_core::event::Command>), OpError> {
    let id = Uuid::now_v7();
    let mut cmds = vec![on_item(
        id,
        EventKind::ItemCreated {
            name: new.name,
            sku: new.sku,
            barcode: new.barcode,
            tracking: new.tracking,
            reorder_point: new.reorder_point,
        },
        actor,
    )];
    if let Some(q) = new.quantity.filter(|q| *q != 0) {
        if new.tracking == Tracking::Units {
            return Err(OpError::invalid(
                "a starting quantity is for count items; add units one by one instead",
            ));
        }
        cmds.push(on_item(
            id,
            EventKind::QuantityAdjusted {
                status: Status::InStock,
                delta: q,
                reason: None,
            },
            actor,
        ));
    }
    Ok((id, cmds))
}

/// Changes to an item's description; `None` keeps what it has.
#[derive(Debug, Clone, Default)]
pub struct ItemEdit {
    pub name: Option<String>,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub reorder_point: Option<i64>,
}

/// Rename an item or change its SKU, barcode or reorder point.
pub fn edit_item(
    l: &mut impl Ledger,
    item: ItemId,
    edit: ItemEdit,
    actor: &Actor,
) -> Result<Recorded, OpError> {
    let it = l.item(item)?;
    let kind = EventKind::ItemEdited {
        name: edit.name.unwrap_or(it.name),
        sku: edit.sku.or(it.sku),
        barcode: edit.barcode.or(it.barcode),
        reorder_point: edit.reorder_point.or(it.reorder_point),
    };
    one(record(l, vec![on_item(item, kind, actor)])?)
}

/// Archive an item (`archived` true) or bring it back. An archived item is hidden from
/// lists and takes no changes to its stock or units; its history stays. Refused while
/// any of it is checked out.
pub fn archive_item(
    l: &mut impl Ledger,
    item: ItemId,
    archived: bool,
    actor: &Actor,
) -> Result<Recorded, OpError> {
    let kind = if archived {
        EventKind::ItemArchived
    } else {
        EventKind::ItemUnarchived
    };
    one(record(l, vec![on_item(item, kind, actor)])?)
}

pub use crate::tracking::{switch_tracking, Fold};

/// Add (positive) or remove (negative) pieces of a count item in one status.
pub fn adjust_quantity(
    l: &mut impl Ledger,
    item: ItemId,
    status: Status,
    delta: i64,
    reason: Option<String>,
    actor: &Actor,
) -> Result<Recorded, OpError> {
    one(record(
        l,
        vec![adjust_quantity_command(item, status, delta, reason, actor)],
    )?)
}

/// Move pieces of a count item from one status to another (one damaged, say).
pub fn move_quantity(
    l: &mut impl Ledger,
    item: ItemId,
    qty: i64,
    from: Status,
    to: Status,
    actor: &Actor,
) -> Result<Recorded, OpError> {
    one(record(
        l,
        vec![on_item(
            item,
            EventKind::QuantityMoved { from, to, qty },
            actor,
        )],
    )?)
}

/// A new unit of a unit-tracked item.
#[derive(Debug, Clone)]
pub struct NewUnit {
    /// `None`: the next free "<item> NN" ([`next_unit_name`]).
    pub name: Option<String>,
    pub tag: Option<String>,
    /// Where it is, by a known location's name or code.
    pub location: Option<String>,
    /// Create `location` if no location has that name (said explicitly).
    pub create_location: bool,
    pub status: Status,
    pub fields: BTreeMap<String, String>,
}

impl Default for NewUnit {
    fn default() -> NewUnit {
        NewUnit {
            name: None,
            tag: None,
            location: None,
            create_location: false,
            status: Status::InStock,
            fields: BTreeMap::new(),
        }
    }
}

/// A unit created, with the name it got.
#[derive(Debug, Clone)]
pub struct UnitAdded {
    pub id: UnitId,
    pub name: String,
    pub recorded: Recorded,
}

/// Add a unit to a unit-tracked item; an unnamed unit gets the next free name.
pub fn add_unit(
    l: &mut impl Ledger,
    item: ItemId,
    new: NewUnit,
    actor: &Actor,
) -> Result<UnitAdded, OpError> {
    add_unit_scanned(l, item, new, actor, None)
}

/// [`add_unit`] for a code just scanned (an unknown tag registered as a new unit): the
/// scanned text is kept with the event.
pub fn add_unit_scanned(
    l: &mut impl Ledger,
    item: ItemId,
    new: NewUnit,
    actor: &Actor,
    scan: Option<&str>,
) -> Result<UnitAdded, OpError> {
    let name = match new.name.clone() {
        Some(n) => n,
        None => next_unit_name(l, item)?,
    };
    let placed = match &new.location {
        Some(loc) => Some(crate::locations::place(l, loc, new.create_location, actor)?),
        None => None,
    };
    let (id, mut cmd) = add_unit_command(item, &name, new, placed.as_ref(), actor);
    cmd.scan = scan.map(str::to_string);
    let mut cmds: Vec<_> = placed.and_then(|p| p.create).into_iter().collect();
    cmds.push(cmd);
    let recorded = record(l, cmds)?
        .pop()
        .ok_or_else(|| OpError::invalid("the store recorded nothing"))?;
    Ok(UnitAdded { id, name, recorded })
}

/// The command that creates a unit named `name`, for a caller that records it with
/// others in one write (an import names its units with
/// [`crate::naming::next_free_name`]). `new.name` is ignored; the unit's location is
/// `placed` (see [`crate::locations::place`]), whose creation the caller records first.
pub fn add_unit_command(
    item: ItemId,
    name: &str,
    new: NewUnit,
    placed: Option<&crate::locations::Placed>,
    actor: &Actor,
) -> (UnitId, tagstation_core::event::Command) {
    let id = Uuid::now_v7();
    let mut cmd = on_item(
        item,
        EventKind::UnitCreated {
            name: name.to_string(),
            asset_tag: new.tag,
            status: new.status,
            location: placed.map(|p| p.name.clone()),
            fields: new.fields,
            location_id: placed.map(|p| p.id),
        },
        actor,
    );
    cmd.unit_id = Some(id);
    (id, cmd)
}

/// The command that adds or removes pieces of a count item, for a caller that records
/// it with others in one write. [`adjust_quantity`] records it alone.
pub fn adjust_quantity_command(
    item: ItemId,
    status: Status,
    delta: i64,
    reason: Option<String>,
    actor: &Actor,
) -> tagstation_core::event::Command {
    on_item(
        item,
        EventKind::QuantityAdjusted {
            status,
            delta,
            reason,
        },
        actor,
    )
}

/// One change to one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitChange {
    /// Attach an asset tag, or remove it with `None`.
    Tag(Option<String>),
    Rename(String),
    /// Set a custom field, or clear it with `None`.
    Field {
        key: String,
        value: Option<String>,
    },
    /// Put it at a known location (by name or code), with why: "transfer" between
    /// sites ("transferred"). `create` adds the location when none has that name.
    Move {
        location: String,
        reason: Option<String>,
        create: bool,
    },
    /// One of the statuses a person may set directly, with why: "received" (from
    /// receiving to in stock), "repair" (sending or damaged for a repair).
    Status {
        to: Status,
        reason: Option<String>,
    },
    /// Sold or written off: it leaves the totals and keeps its history.
    Retire {
        reason: Option<String>,
    },
}

impl UnitChange {
    /// The events this change records: a move to a location it creates records the
    /// location first.
    pub(crate) fn into_kinds(
        self,
        l: &impl Ledger,
        actor: &Actor,
    ) -> Result<(Option<tagstation_core::event::Command>, EventKind), OpError> {
        Ok(match self {
            UnitChange::Tag(tag) => (None, EventKind::UnitTagged { tag }),
            UnitChange::Rename(name) => (None, EventKind::UnitRenamed { name }),
            UnitChange::Field { key, value } => (None, EventKind::FieldSet { key, value }),
            UnitChange::Move {
                location,
                reason,
                create,
            } => {
                let placed = crate::locations::place(l, &location, create, actor)?;
                let kind = EventKind::LocationMoved {
                    location: Some(placed.name),
                    reason,
                    location_id: Some(placed.id),
                };
                (placed.create, kind)
            }
            UnitChange::Status { to, reason } => (None, EventKind::StatusChanged { to, reason }),
            UnitChange::Retire { reason } => (
                None,
                EventKind::UnitRetired {
                    reason,
                    customer: None,
                },
            ),
        })
    }
}

/// Change one unit. `scan` is the scanned text when a scan led here (a tag attached
/// to an untagged unit at the station).
pub fn change_unit(
    l: &mut impl Ledger,
    unit: UnitId,
    change: UnitChange,
    actor: &Actor,
    scan: Option<&str>,
) -> Result<Recorded, OpError> {
    let u = l.unit(unit)?;
    let (create, kind) = change.into_kinds(l, actor)?;
    let mut cmds: Vec<_> = create.into_iter().collect();
    cmds.push(on_unit(&u, kind, actor, scan));
    record(l, cmds)?
        .pop()
        .ok_or_else(|| OpError::invalid("the store recorded nothing"))
}

pub(crate) use crate::one_recorded as one;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::MemLedger;
    use tagstation_core::event::DomainError;

    fn actor() -> Actor {
        Actor::from("test")
    }

    #[test]
    fn a_count_item_starts_with_its_quantity_in_one_write() {
        let mut l = MemLedger::with_directory();
        let gloves = create_item(&mut l, NewItem::count("Gloves", 40), &actor()).unwrap();
        assert_eq!(l.events().len(), 2);
        assert_eq!(l.item(gloves).unwrap().counts.get(Status::InStock), 40);
    }

    #[test]
    fn a_starting_quantity_on_a_unit_item_is_refused_and_records_nothing() {
        let mut l = MemLedger::with_directory();
        let mut new = NewItem::units("Drill");
        new.quantity = Some(3);
        let e = create_item(&mut l, new, &actor()).unwrap_err();
        assert!(e.is_user_error(), "{e}");
        assert!(
            e.user_message().contains("count items"),
            "{}",
            e.user_message()
        );
        assert!(l.events().is_empty());
    }

    #[test]
    fn a_refused_write_records_nothing() {
        let mut l = MemLedger::with_directory();
        let gloves = create_item(&mut l, NewItem::count("Gloves", 2), &actor()).unwrap();
        let before = l.events().len();
        let e = adjust_quantity(&mut l, gloves, Status::InStock, -5, None, &actor()).unwrap_err();
        assert!(
            matches!(e, OpError::Refused(DomainError::NegativeCount { .. })),
            "{e:?}"
        );
        assert_eq!(l.events().len(), before);
        assert_eq!(l.item(gloves).unwrap().counts.get(Status::InStock), 2);
    }

    #[test]
    fn units_are_added_named_and_changed() {
        let mut l = MemLedger::with_directory();
        let drill = create_item(&mut l, NewItem::units("Drill"), &actor()).unwrap();
        let a = add_unit(&mut l, drill, NewUnit::default(), &actor()).unwrap();
        assert_eq!(a.name, "Drill 01");
        change_unit(
            &mut l,
            a.id,
            UnitChange::Tag(Some("TS-1".into())),
            &actor(),
            None,
        )
        .unwrap();
        change_unit(
            &mut l,
            a.id,
            UnitChange::Status {
                to: Status::Damaged,
                reason: None,
            },
            &actor(),
            None,
        )
        .unwrap();
        change_unit(
            &mut l,
            a.id,
            UnitChange::Move {
                location: "Shelf B".into(),
                reason: None,
                create: true,
            },
            &actor(),
            None,
        )
        .unwrap();
        let u = l.find_unit("TS-1").unwrap();
        assert_eq!(u.status, Status::Damaged);
        assert_eq!(u.location.as_deref(), Some("Shelf B"));
        // The item's totals come from its units.
        let err = adjust_quantity(&mut l, drill, Status::InStock, 1, None, &actor()).unwrap_err();
        assert!(
            matches!(err, OpError::Refused(DomainError::DerivedTotals { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn an_archived_item_takes_no_changes_until_unarchived() {
        let mut l = MemLedger::with_directory();
        let drill = create_item(&mut l, NewItem::units("Drill"), &actor()).unwrap();
        let d1 = add_unit(&mut l, drill, NewUnit::default(), &actor()).unwrap();
        crate::lending::check_out(&mut l, &[d1.id], "Ben", None, &actor()).unwrap();
        let e = archive_item(&mut l, drill, true, &actor()).unwrap_err();
        assert!(
            e.user_message().contains("Drill 01 (Ben)"),
            "{}",
            e.user_message()
        );
        crate::lending::check_in(&mut l, d1.id, None, &actor(), None).unwrap();
        archive_item(&mut l, drill, true, &actor()).unwrap();
        let e = change_unit(
            &mut l,
            d1.id,
            UnitChange::Move {
                location: "Van".into(),
                reason: None,
                create: true,
            },
            &actor(),
            None,
        )
        .unwrap_err();
        assert!(
            matches!(e, OpError::Refused(DomainError::Archived(_))),
            "{e:?}"
        );
        let e = add_unit(&mut l, drill, NewUnit::default(), &actor()).unwrap_err();
        assert!(
            e.user_message().contains("archived"),
            "{}",
            e.user_message()
        );
        archive_item(&mut l, drill, false, &actor()).unwrap();
        change_unit(
            &mut l,
            d1.id,
            UnitChange::Move {
                location: "Van".into(),
                reason: None,
                create: true,
            },
            &actor(),
            None,
        )
        .unwrap();
    }
}
