//! Switching an item between counts and units, with the rule that keeps a fold
//! honest: folding units back into counts never loses a checked-out unit, and never
//! discards what units carry (tags, custom fields, locations) without being told to,
//! and then writes what it discarded into history. The CLI, the touch UI and the web
//! app all switch through [`switch_tracking`], so they all get the same rule.

use tagstation_core::catalog::{ItemId, Status, Tracking, Unit};
use tagstation_core::event::{EventKind, FoldedUnit};

use crate::catalog::one;
use crate::{on_item, record, Actor, Ledger, OpError, Recorded};

/// Whether a fold may discard what units carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fold {
    /// Refuse a fold that would discard a tag, a field or a location.
    #[default]
    Safe,
    /// Fold anyway, and record in the fold's event what each unit carried.
    Force,
}

/// Switch "track units individually" on or off. Turning it on seeds one unit per piece
/// counted; turning it off folds the units back into counts. The recorded event lists
/// the units seeded or folded.
///
/// A fold is refused while any unit is checked out ([`OpError::FoldCheckedOut`],
/// naming the units and their holders: check them in first), and, unless `fold` is
/// [`Fold::Force`], while any unit carries a tag, a field or a location
/// ([`OpError::FoldDiscards`]). A forced fold records each such unit's name, tag,
/// location and fields in its event ([`EventKind::TrackingSwitched`]'s `discarded`).
pub fn switch_tracking(
    l: &mut impl Ledger,
    item: ItemId,
    to: Tracking,
    fold: Fold,
    actor: &Actor,
) -> Result<Recorded, OpError> {
    let discarded = match to {
        Tracking::Units => Vec::new(),
        Tracking::Count => {
            let it = l.item(item)?;
            let units = l.units_of_item(item)?;
            check_fold(&it.name, &units, fold)?
        }
    };
    one(record(
        l,
        vec![on_item(
            item,
            EventKind::TrackingSwitched { to, discarded },
            actor,
        )],
    )?)
}

/// The fold rule over an item's units: what a fold discards (to be recorded), or why
/// it is refused.
pub fn check_fold(item: &str, units: &[Unit], fold: Fold) -> Result<Vec<FoldedUnit>, OpError> {
    let out: Vec<String> = units
        .iter()
        .filter(|u| u.status == Status::CheckedOut)
        .map(|u| match &u.holder {
            Some(h) => format!("{} (to {h})", u.name),
            None => u.name.clone(),
        })
        .collect();
    if !out.is_empty() {
        return Err(OpError::FoldCheckedOut {
            item: item.into(),
            units: out,
        });
    }
    let carrying: Vec<FoldedUnit> = units
        .iter()
        .filter(|u| u.asset_tag.is_some() || u.location.is_some() || !u.fields.is_empty())
        .map(|u| FoldedUnit {
            unit_id: u.id,
            name: u.name.clone(),
            asset_tag: u.asset_tag.clone(),
            location: u.location.clone(),
            fields: u.fields.clone(),
        })
        .collect();
    if fold == Fold::Safe && !carrying.is_empty() {
        return Err(OpError::FoldDiscards {
            item: item.into(),
            units: carrying.iter().map(FoldedUnit::describe).collect(),
        });
    }
    Ok(carrying)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{add_unit, change_unit, create_item, NewItem, NewUnit, UnitChange};
    use crate::lending::check_out;
    use crate::mem::MemLedger;

    fn actor() -> Actor {
        Actor::from("test")
    }

    #[test]
    fn switching_tracking_seeds_and_folds_units() {
        let mut l = MemLedger::with_directory();
        let cable = create_item(&mut l, NewItem::count("Cable", 3), &actor()).unwrap();
        let on = switch_tracking(&mut l, cable, Tracking::Units, Fold::Safe, &actor()).unwrap();
        assert_eq!(on.units.len(), 3);
        let off = switch_tracking(&mut l, cable, Tracking::Count, Fold::Safe, &actor()).unwrap();
        assert_eq!(off.units.len(), 3);
        assert_eq!(l.item(cable).unwrap().counts.get(Status::InStock), 3);
    }

    /// The scenario: a laptop checked out to Ben, with a serial number. The
    /// fold is refused even when forced, names the unit and its holder, and records
    /// nothing; the laptop is still checked out, tagged and resolvable.
    #[test]
    fn a_fold_is_refused_while_a_unit_is_checked_out_even_forced() {
        let mut l = MemLedger::with_directory();
        let laptop = create_item(&mut l, NewItem::units("Laptop"), &actor()).unwrap();
        let mut new = NewUnit {
            tag: Some("TS-0001".into()),
            ..NewUnit::default()
        };
        new.fields.insert("serial".into(), "SN-42".into());
        let a = add_unit(&mut l, laptop, new, &actor()).unwrap();
        add_unit(&mut l, laptop, NewUnit::default(), &actor()).unwrap();
        check_out(&mut l, &[a.id], "Ben", Some("2099-01-31"), &actor()).unwrap();
        let before = l.events().len();
        for fold in [Fold::Safe, Fold::Force] {
            let e = switch_tracking(&mut l, laptop, Tracking::Count, fold, &actor()).unwrap_err();
            assert!(
                matches!(&e, OpError::FoldCheckedOut { units, .. } if units == &["Laptop 01 (to Ben)"]),
                "{e:?}"
            );
            assert!(e.is_user_error());
            assert_eq!(
                e.user_message(),
                "Cannot switch to counts: Laptop 01 (to Ben) checked out. Check them in first."
            );
        }
        assert_eq!(l.events().len(), before, "nothing recorded");
        let u = l.find_unit("TS-0001").unwrap();
        assert_eq!(
            (u.status, u.holder.as_deref(), u.active),
            (Status::CheckedOut, Some("Ben"), true)
        );
        assert_eq!(l.item(laptop).unwrap().tracking, Tracking::Units);
    }

    #[test]
    fn a_fold_that_would_discard_needs_force_and_then_writes_it_into_history() {
        let mut l = MemLedger::with_directory();
        let drill = create_item(&mut l, NewItem::units("Drill"), &actor()).unwrap();
        let a = add_unit(&mut l, drill, NewUnit::default(), &actor()).unwrap();
        let b = add_unit(&mut l, drill, NewUnit::default(), &actor()).unwrap();
        add_unit(&mut l, drill, NewUnit::default(), &actor()).unwrap();
        let ch = |l: &mut MemLedger, id, c| change_unit(l, id, c, &actor(), None).unwrap();
        ch(&mut l, a.id, UnitChange::Tag(Some("D-1".into())));
        ch(
            &mut l,
            a.id,
            UnitChange::Field {
                key: "serial".into(),
                value: Some("X1".into()),
            },
        );
        ch(
            &mut l,
            b.id,
            UnitChange::Move {
                location: "Shelf B".into(),
                reason: None,
                create: true,
            },
        );
        let before = l.events().len();
        let e = switch_tracking(&mut l, drill, Tracking::Count, Fold::Safe, &actor()).unwrap_err();
        let OpError::FoldDiscards { units, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(
            units,
            &[
                "Drill 01 (tag D-1, serial=\"X1\")".to_string(),
                "Drill 02 (at Shelf B)".to_string()
            ]
        );
        assert!(
            e.user_message().contains("Force the switch"),
            "{}",
            e.user_message()
        );
        assert_eq!(l.events().len(), before, "a refused fold records nothing");

        let rec = switch_tracking(&mut l, drill, Tracking::Count, Fold::Force, &actor()).unwrap();
        assert_eq!(rec.units.len(), 3, "every unit folded");
        let EventKind::TrackingSwitched { discarded, .. } = &rec.event.kind else {
            panic!("{:?}", rec.event.kind)
        };
        assert_eq!(discarded.len(), 2);
        assert_eq!(discarded[0].unit_id, a.id);
        assert_eq!(discarded[0].asset_tag.as_deref(), Some("D-1"));
        assert_eq!(
            discarded[0].fields.get("serial").map(String::as_str),
            Some("X1")
        );
        assert_eq!(discarded[1].location.as_deref(), Some("Shelf B"));
        assert_eq!(
            rec.event.kind.describe(),
            "tracking switched to count, forced; discarded: Drill 01 (tag D-1, serial=\"X1\"); Drill 02 (at Shelf B)"
        );
        assert_eq!(l.item(drill).unwrap().counts.get(Status::InStock), 3);
    }

    #[test]
    fn a_fold_of_plain_units_needs_no_force_and_records_no_discard() {
        let mut l = MemLedger::with_directory();
        let drill = create_item(&mut l, NewItem::units("Drill"), &actor()).unwrap();
        add_unit(&mut l, drill, NewUnit::default(), &actor()).unwrap();
        let rec = switch_tracking(&mut l, drill, Tracking::Count, Fold::Safe, &actor()).unwrap();
        assert_eq!(
            rec.event.kind,
            EventKind::TrackingSwitched {
                to: Tracking::Count,
                discarded: Vec::new()
            }
        );
    }
}
