//! Locations: adding and changing them, and the rule that a unit is only ever moved to
//! a known location ([`place`]): an unknown name is an error, unless the command says
//! explicitly to create it. Also [`adopt`], which turns the free-text locations of
//! units from before locations were entities into entities, and reports, never
//! merges, names that differ only by letter case.

use std::collections::BTreeMap;

use uuid::Uuid;

use tagstation_core::catalog::fold;
use tagstation_core::event::{Command, DomainError, EventKind};
use tagstation_core::locations::{Location, LocationFields, LocationId, LocationKind};

use crate::{one_recorded, record, Actor, Ledger, OpError};

use crate::on_subject as on_location;

/// A new location, with its parent named (by name or code) rather than by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewLocation {
    pub name: String,
    pub kind: LocationKind,
    pub parent: Option<String>,
    pub code: Option<String>,
}

impl NewLocation {
    pub fn named(name: &str) -> NewLocation {
        NewLocation {
            name: name.into(),
            ..NewLocation::default()
        }
    }
}

/// Add a location.
pub fn add_location(
    l: &mut impl Ledger,
    new: NewLocation,
    actor: &Actor,
) -> Result<Location, OpError> {
    let cmd = add_location_command(l, new, actor)?;
    let id = cmd.item_id;
    one_recorded(record(l, vec![cmd])?)?;
    l.location(id)
}

/// The command that adds a location, for a caller that records it with others.
pub fn add_location_command(
    l: &impl Ledger,
    new: NewLocation,
    actor: &Actor,
) -> Result<Command, OpError> {
    let parent = match &new.parent {
        Some(p) => Some(l.find_location(p)?.id),
        None => None,
    };
    let fields = LocationFields {
        name: new.name.trim().to_string(),
        kind: new.kind,
        parent,
        code: new.code,
        active: true,
    };
    fields.check().map_err(DomainError::from)?;
    Ok(on_location(
        Uuid::now_v7(),
        EventKind::LocationCreated(fields),
        actor,
    ))
}

/// Changes to a location; `None` keeps what it has.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocationChange {
    pub name: Option<String>,
    pub kind: Option<LocationKind>,
    /// `Some(None)` makes it a top-level location.
    #[serde(
        deserialize_with = "crate::some_or_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent: Option<Option<String>>,
    /// `Some(None)` removes its code.
    #[serde(
        deserialize_with = "crate::some_or_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<Option<String>>,
    pub active: Option<bool>,
}

/// Change a location, found by name, code or id. Renaming it renames it on every unit
/// there; its history keeps the name each change was made under.
pub fn edit_location(
    l: &mut impl Ledger,
    reference: &str,
    change: &LocationChange,
    actor: &Actor,
) -> Result<Location, OpError> {
    let loc = l.find_location(reference)?;
    let mut f = loc.fields();
    if let Some(n) = &change.name {
        f.name = n.trim().to_string();
    }
    if let Some(k) = change.kind {
        f.kind = k;
    }
    if let Some(p) = &change.parent {
        f.parent = match p {
            Some(p) => Some(l.find_location(p)?.id),
            None => None,
        };
    }
    if let Some(c) = &change.code {
        f.code = c.clone();
    }
    if let Some(a) = change.active {
        f.active = a;
    }
    if f == loc.fields() {
        return Err(OpError::invalid(format!(
            "nothing to change: {} already is so",
            loc.name
        )));
    }
    f.check().map_err(DomainError::from)?;
    one_recorded(record(
        l,
        vec![on_location(loc.id, EventKind::LocationEdited(f), actor)],
    )?)?;
    l.location(loc.id)
}

/// Where a unit goes: a known location, or one the command creates.
#[derive(Debug, Clone)]
pub struct Placed {
    pub name: String,
    pub id: LocationId,
    /// The command creating it, to record before the move, when it is new.
    pub create: Option<Command>,
}

/// The location a unit is moved to, by name or code (letter case aside). An unknown
/// one is an error naming it, unless `create` says to add it (then `Placed::create`
/// holds the command, to record in the same write as the move). An inactive location
/// takes no units.
pub fn place(
    l: &impl Ledger,
    reference: &str,
    create: bool,
    actor: &Actor,
) -> Result<Placed, OpError> {
    let reference = reference.trim();
    match l.find_location(reference) {
        Ok(loc) if !loc.active => Err(OpError::Invalid {
            user: format!("{} is no longer in use. Choose another location.", loc.name),
            engineer: format!("location {:?} is inactive", loc.name),
        }),
        Ok(loc) => Ok(Placed {
            name: loc.name,
            id: loc.id,
            create: None,
        }),
        Err(OpError::NotFound { .. }) if create => {
            let cmd = add_location_command(l, NewLocation::named(reference), actor)?;
            Ok(Placed {
                name: reference.to_string(),
                id: cmd.item_id,
                create: Some(cmd),
            })
        }
        Err(OpError::NotFound { .. }) => Err(OpError::Invalid {
            user: format!(
                "There is no location called {reference}. Choose a known one, or create it."
            ),
            engineer: format!(
                "unknown location {reference:?} (create it first, or say to create it)"
            ),
        }),
        Err(e) => Err(e),
    }
}

/// What [`adopt`] did or would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Adopted {
    /// Free-text locations that became locations.
    pub created: Vec<String>,
    /// Free-text locations that differ only by letter case ("Shelf A" / "shelf a"):
    /// left for an administrator, who creates the one spelling to keep (every unit
    /// written either way then belongs to it).
    pub case_groups: Vec<Vec<String>>,
}

/// Turn every free-text location of a unit (written before locations were entities)
/// into a location of that name, in one write; spellings that differ only by letter
/// case are reported, not merged. A dry run records nothing.
pub fn adopt(l: &mut impl Ledger, dry_run: bool, actor: &Actor) -> Result<Adopted, OpError> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for text in l.unplaced_locations()? {
        let g = groups.entry(fold(&text)).or_default();
        if !g.contains(&text) {
            g.push(text);
        }
    }
    let mut out = Adopted::default();
    let mut cmds = Vec::new();
    for (_, mut spellings) in groups {
        if spellings.len() > 1 {
            spellings.sort();
            out.case_groups.push(spellings);
            continue;
        }
        let name = spellings.remove(0);
        cmds.push(add_location_command(l, NewLocation::named(&name), actor)?);
        out.created.push(name);
    }
    if dry_run {
        l.rehearse(cmds).map_err(|(_, e)| e)?;
    } else if !cmds.is_empty() {
        record(l, cmds)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{add_unit, change_unit, create_item, NewItem, NewUnit, UnitChange};
    use crate::mem::MemLedger;

    #[test]
    fn moves_name_known_locations_or_create_them_when_told() {
        let mut l = MemLedger::new();
        let a = Actor::from("admin");
        let van = add_location(
            &mut l,
            NewLocation {
                name: "Van 1".into(),
                kind: LocationKind::Van,
                parent: None,
                code: Some("LOC-VAN1".into()),
            },
            &a,
        )
        .unwrap();
        let drill = create_item(&mut l, NewItem::units("Drill"), &a).unwrap();
        let u = add_unit(&mut l, drill, NewUnit::default(), &a).unwrap().id;
        let mv = |location: &str, create| UnitChange::Move {
            location: location.into(),
            reason: None,
            create,
        };
        let e = change_unit(&mut l, u, mv("Shelf Z", false), &a, None).unwrap_err();
        assert!(
            e.user_message().contains("no location called Shelf Z"),
            "{}",
            e.user_message()
        );
        change_unit(&mut l, u, mv("loc-van1", false), &a, None).unwrap();
        assert_eq!(l.unit(u).unwrap().location_id, Some(van.id));
        change_unit(&mut l, u, mv("Shelf Z", true), &a, None).unwrap();
        let z = l.find_location("shelf z").unwrap();
        assert_eq!(l.unit(u).unwrap().location.as_deref(), Some("Shelf Z"));

        // A rename shows on the unit; history keeps the old words.
        let change = LocationChange {
            name: Some("Shelf Z1".into()),
            parent: Some(Some("Van 1".into())),
            ..LocationChange::default()
        };
        edit_location(&mut l, "Shelf Z", &change, &a).unwrap();
        assert_eq!(l.unit(u).unwrap().location.as_deref(), Some("Shelf Z1"));
        let cycle = LocationChange {
            parent: Some(Some("Shelf Z1".into())),
            ..LocationChange::default()
        };
        let e = edit_location(&mut l, "Van 1", &cycle, &a).unwrap_err();
        assert!(
            matches!(e, OpError::Refused(DomainError::LocationCycle(_))),
            "{e:?}"
        );
        assert_eq!(l.location(z.id).unwrap().parent, Some(van.id));
    }

    #[test]
    fn free_text_locations_become_locations_and_case_twins_are_reported() {
        let mut l = MemLedger::new();
        let a = Actor::from("admin");
        let drill = create_item(&mut l, NewItem::units("Drill"), &a).unwrap();
        // Units written before locations were entities (an older station's events).
        for (i, text) in ["Shelf A", "shelf a", "Van 2"].into_iter().enumerate() {
            let kind = EventKind::UnitCreated {
                name: format!("Drill {i}"),
                asset_tag: None,
                status: tagstation_core::catalog::Status::InStock,
                location: Some(text.into()),
                fields: Default::default(),
                location_id: None,
            };
            let mut cmd = crate::on_item(drill, kind, &a);
            cmd.unit_id = Some(Uuid::now_v7());
            l.record(vec![cmd]).unwrap();
        }
        let dry = adopt(&mut l, true, &a).unwrap();
        assert_eq!(dry.created, ["Van 2"]);
        assert_eq!(
            dry.case_groups,
            [vec!["Shelf A".to_string(), "shelf a".to_string()]]
        );
        assert!(
            l.find_location("Van 2").is_err(),
            "a dry run records nothing"
        );
        adopt(&mut l, false, &a).unwrap();
        let van = l.find_location("van 2").unwrap();
        assert!(l
            .projection()
            .units
            .values()
            .any(|u| u.location_id == Some(van.id)));
        // The administrator keeps one spelling: both units belong to it.
        let shelf = add_location(&mut l, NewLocation::named("Shelf A"), &a).unwrap();
        let at: Vec<_> = l
            .projection()
            .units
            .values()
            .filter(|u| u.location_id == Some(shelf.id))
            .collect();
        assert_eq!(at.len(), 2);
        assert!(adopt(&mut l, false, &a).unwrap().created.is_empty());
    }
}
