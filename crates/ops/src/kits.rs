//! Kits: making and changing them, and lending a whole kit with one scan. A kit goes
//! out in one write (every unit, or none and the unit that cannot go named) and comes
//! back in one write: the units that came back are checked in, and the kit's return is
//! recorded with the units that did not, named, so it shows as incomplete until they
//! are checked in too.

use serde::Serialize;
use uuid::Uuid;

use tagstation_core::catalog::{fold, same_key, Status, Unit, UnitId};
use tagstation_core::event::EventKind;
use tagstation_core::kits::{Kit, KitFields, KitId};

use crate::lending::Action;
use crate::{on_unit, one_recorded, record, Actor, Ledger, OpError};

use crate::on_subject as on_kit;

/// A new kit: its units by tag, id or name.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewKit {
    pub name: String,
    pub tag: Option<String>,
    pub units: Vec<String>,
}

/// Make a kit.
pub fn add_kit(l: &mut impl Ledger, new: NewKit, actor: &Actor) -> Result<Kit, OpError> {
    let units = find_units(l, &new.units)?;
    let id = Uuid::now_v7();
    let fields = KitFields {
        name: new.name.trim().to_string(),
        tag: new
            .tag
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty()),
        units,
        active: true,
    };
    one_recorded(record(
        l,
        vec![on_kit(id, EventKind::KitCreated(fields), actor)],
    )?)?;
    l.kit(id)
}

/// A change to a kit; what is not given stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KitChange {
    pub name: Option<String>,
    /// `Some(None)`: take its tag away.
    pub tag: Option<Option<String>>,
    pub add_units: Vec<String>,
    pub remove_units: Vec<String>,
    pub active: Option<bool>,
}

/// Change a kit (by id, name or tag).
pub fn edit_kit(
    l: &mut impl Ledger,
    reference: &str,
    change: KitChange,
    actor: &Actor,
) -> Result<Kit, OpError> {
    let kit = find_kit(l, reference)?;
    let mut f = kit.fields();
    if let Some(n) = change.name {
        f.name = n.trim().to_string();
    }
    if let Some(t) = change.tag {
        f.tag = t.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    }
    for u in find_units(l, &change.remove_units)? {
        if !f.units.contains(&u) {
            let name = l.unit(u)?.name;
            return Err(tagstation_core::event::DomainError::NotInKit(name).into());
        }
        f.units.retain(|x| *x != u);
    }
    for u in find_units(l, &change.add_units)? {
        if !f.units.contains(&u) {
            f.units.push(u);
        }
    }
    if let Some(a) = change.active {
        f.active = a;
    }
    one_recorded(record(
        l,
        vec![on_kit(kit.id, EventKind::KitEdited(f), actor)],
    )?)?;
    l.kit(kit.id)
}

fn find_units(l: &impl Ledger, refs: &[String]) -> Result<Vec<UnitId>, OpError> {
    refs.iter()
        .filter(|r| !r.trim().is_empty())
        .map(|r| l.find_unit(r.trim()).map(|u| u.id))
        .collect()
}

/// A kit by id, name or tag, letter case aside.
pub fn find_kit(l: &impl Ledger, reference: &str) -> Result<Kit, OpError> {
    let r = reference.trim();
    let found: Vec<Kit> = l
        .kits()?
        .into_iter()
        .filter(|k| {
            k.id.to_string() == r
                || same_key(&k.name, r)
                || k.tag.as_deref().is_some_and(|t| same_key(t, r))
        })
        .collect();
    crate::one_of("kit", r, found, |k| k.name.clone())
}

/// The kit an active unit belongs to, if any.
pub fn kit_of(l: &impl Ledger, unit: UnitId) -> Result<Option<Kit>, OpError> {
    Ok(l.kits()?.into_iter().find(|k| k.holds(unit)))
}

/// A kit with its units as they are now: what a station shows when its tag is scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KitView {
    pub id: KitId,
    pub name: String,
    pub tag: Option<String>,
    pub active: bool,
    pub units: Vec<KitUnit>,
    /// Units that did not come back at its last return and are still not in.
    pub missing: Vec<String>,
}

/// One unit of a kit, as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KitUnit {
    pub id: UnitId,
    pub name: String,
    pub asset_tag: Option<String>,
    pub status: Status,
    pub holder: Option<String>,
}

impl KitView {
    /// Is every unit in stock (the kit can go out)?
    pub fn all_in(&self) -> bool {
        self.units.iter().all(|u| u.status == Status::InStock)
    }

    /// Are its units out (to be checked in)?
    pub fn out(&self) -> bool {
        self.units.iter().any(|u| u.status == Status::CheckedOut)
    }
}

/// A kit with its units' names and states.
pub fn view(l: &impl Ledger, kit: &Kit) -> Result<KitView, OpError> {
    let units = kit
        .units
        .iter()
        .map(|id| l.unit(*id))
        .collect::<Result<Vec<Unit>, OpError>>()?;
    Ok(view_of(kit, units))
}

/// A kit with its units (in the kit's order), read by the caller.
pub fn view_of(kit: &Kit, units: Vec<Unit>) -> KitView {
    let units: Vec<KitUnit> = units
        .into_iter()
        .map(|u| KitUnit {
            id: u.id,
            name: u.name,
            asset_tag: u.asset_tag,
            status: u.status,
            holder: u.holder,
        })
        .collect();
    let missing = units
        .iter()
        .filter(|u| kit.missing.contains(&u.id) && u.status == Status::CheckedOut)
        .map(|u| u.name.clone())
        .collect();
    KitView {
        id: kit.id,
        name: kit.name.clone(),
        tag: kit.tag.clone(),
        active: kit.active,
        units,
        missing,
    }
}

/// Check a whole kit out, in one write: every unit, or none. `lend` says to whom, until
/// when, whether over a reservation and with what signature (an [`Action::CheckOut`];
/// any other action is refused): each unit is lent the same way.
pub fn check_out_kit(
    l: &mut impl Ledger,
    kit: KitId,
    lend: Action,
    actor: &Actor,
    scan: Option<&str>,
) -> Result<usize, OpError> {
    if !matches!(lend, Action::CheckOut { .. }) {
        return Err(OpError::invalid(format!(
            "a kit goes out with a check-out, not {lend:?}"
        )));
    }
    let kit = l.kit(kit)?;
    if !kit.active {
        return Err(OpError::invalid(format!(
            "the kit {} is retired: lend its units one by one",
            kit.name
        )));
    }
    if kit.units.is_empty() {
        return Err(OpError::invalid(format!(
            "the kit {} has no units",
            kit.name
        )));
    }
    let units = kit
        .units
        .iter()
        .map(|id| l.unit(*id))
        .collect::<Result<Vec<Unit>, OpError>>()?;
    if let Some(u) = units.iter().find(|u| u.status != Status::InStock) {
        return Err(OpError::Invalid {
            user: format!(
                "The kit {} cannot go out: {} is {}{}. Check it in, or take it out of the kit.",
                kit.name,
                u.name,
                u.status.label().to_lowercase(),
                u.holder
                    .as_deref()
                    .map(|h| format!(" (to {h})"))
                    .unwrap_or_default()
            ),
            engineer: format!(
                "kit {} check-out refused: unit {} is {}",
                kit.id, u.id, u.status
            ),
        });
    }
    crate::lending::lend_units(l, &units, lend, actor, scan)
}

/// What checking a kit in did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KitReturn {
    pub kit: String,
    pub checked_in: Vec<String>,
    /// Units of the kit still out after this return, named.
    pub missing: Vec<String>,
    /// Each unit checked in with the id of its check-in event (what a condition photo
    /// belongs to).
    #[serde(skip)]
    pub events: Vec<(UnitId, Uuid)>,
}

/// Check a kit in, in one write: the units that came back (`present`; `None`: every
/// unit of it that is out) are checked in, the kit's return is recorded with the units
/// still out named, and it shows as incomplete until they are checked in.
pub fn check_in_kit(
    l: &mut impl Ledger,
    kit: KitId,
    present: Option<&[UnitId]>,
    location: Option<String>,
    actor: &Actor,
    scan: Option<&str>,
) -> Result<KitReturn, OpError> {
    let kit = l.kit(kit)?;
    let units = kit
        .units
        .iter()
        .map(|id| l.unit(*id))
        .collect::<Result<Vec<Unit>, OpError>>()?;
    if let Some(p) = present {
        if let Some(x) = p.iter().find(|x| !kit.units.contains(x)) {
            let name = l.unit(*x)?.name;
            return Err(tagstation_core::event::DomainError::NotInKit(name).into());
        }
    }
    let out: Vec<&Unit> = units
        .iter()
        .filter(|u| u.status == Status::CheckedOut)
        .collect();
    let (back, missing): (Vec<&Unit>, Vec<&Unit>) = out
        .into_iter()
        .partition(|u| present.is_none_or(|p| p.contains(&u.id)));
    if back.is_empty() && missing.is_empty() {
        return Err(OpError::invalid(format!(
            "nothing of the kit {} is checked out: there is nothing to check in",
            kit.name
        )));
    }
    let mut cmds = Vec::new();
    if let Some(u) = back.first() {
        let (kind, _) = Action::CheckIn { location }.resolve(l, std::slice::from_ref(u), actor)?;
        cmds.extend(back.iter().map(|u| on_unit(u, kind.clone(), actor, scan)));
    }
    cmds.push(on_kit(
        kit.id,
        EventKind::KitReturned {
            missing: missing.iter().map(|u| u.id).collect(),
        },
        actor,
    ));
    let recorded = record(l, cmds)?;
    let mut missing: Vec<String> = missing.iter().map(|u| u.name.clone()).collect();
    missing.sort_by_key(|n| fold(n));
    Ok(KitReturn {
        kit: kit.name,
        checked_in: back.iter().map(|u| u.name.clone()).collect(),
        missing,
        events: back
            .iter()
            .zip(&recorded)
            .map(|(u, r)| (u.id, r.event.id))
            .collect(),
    })
}

#[cfg(test)]
mod tests;
