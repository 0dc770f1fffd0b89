//! Reservations: making and cancelling them, reading them with names, and what a
//! check-out does about them ([`at_check_out`]): a check-out to the person who holds
//! a reservation fulfils it; one that would break someone else's is refused with the
//! reservation named ([`OpError::Reserved`]), unless an operator overrides it, which is
//! recorded on the reservation.
//!
//! The rules of the reservation itself (dates, counts, units of the item, a known
//! person) are `apply`'s; here are the ones a person asking needs in words: a window
//! from today on, and no clash with a reservation this store knows (a clash made
//! offline elsewhere is flagged at the hub instead, see `core::reservations`).

use std::collections::BTreeMap;

use serde::Serialize;
use uuid::Uuid;

use tagstation_core::catalog::{ItemId, Status, Tracking, Unit, UnitId};
use tagstation_core::event::{Command, EventKind};
use tagstation_core::kits::KitId;
use tagstation_core::people::{Person, PersonId};
use tagstation_core::reservations::{
    clashes, Reservation, ReservationFields, ReservationId, ReservationQuery, ReservationState,
};

use crate::{one_recorded, people, record, Actor, Ledger, OpError};

/// The last day of a loan with no due date: it may keep the unit any time.
const OPEN_END: &str = "9999-12-31";

use crate::on_subject as on_reservation;

/// A reservation as asked for: units by tag, id or name (all of one item), or an item
/// and a number of its units; a person by name or badge; days as `YYYY-MM-DD`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewReservation {
    /// The item, when no units are named (or to check they belong to it).
    pub item: Option<String>,
    pub units: Vec<String>,
    /// How many units of the item (1 when neither this nor units are given).
    pub count: Option<i64>,
    pub person: String,
    pub starts: String,
    /// The last day, included; the first day when not given.
    pub ends: Option<String>,
    pub note: Option<String>,
}

/// Make a reservation.
pub fn reserve(
    l: &mut impl Ledger,
    new: NewReservation,
    actor: &Actor,
) -> Result<Reservation, OpError> {
    let cmd = reserve_command(l, new, actor)?;
    let id = cmd.item_id;
    one_recorded(record(l, vec![cmd])?)?;
    l.reservation(id)
}

/// The days of a reservation and its note, as asked for: `YYYY-MM-DD`, both ends
/// included (no end: the first day alone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Days {
    pub starts: String,
    pub ends: Option<String>,
    pub note: Option<String>,
}

/// Reserve these units for `person` on `days`: one reservation per item they belong
/// to (a reservation is for units of one item), all recorded in one write or none.
/// What a kiosk's "Reserve" does with a basket.
pub fn reserve_units(
    l: &mut impl Ledger,
    units: &[UnitId],
    person: &str,
    days: &Days,
    actor: &Actor,
) -> Result<Vec<Reservation>, OpError> {
    if units.is_empty() {
        return Err(OpError::invalid("nothing to reserve: no units were given"));
    }
    let mut by_item: BTreeMap<ItemId, Vec<String>> = BTreeMap::new();
    for id in units {
        let unit = l.unit(*id)?;
        by_item
            .entry(unit.item_id)
            .or_default()
            .push(unit.id.to_string());
    }
    let mut cmds = Vec::new();
    for (item, units) in by_item {
        let new = NewReservation {
            item: Some(item.to_string()),
            units,
            person: person.to_string(),
            starts: days.starts.clone(),
            ends: days.ends.clone(),
            note: days.note.clone(),
            count: None,
        };
        cmds.push(reserve_command(l, new, actor)?);
    }
    let ids: Vec<ReservationId> = cmds.iter().map(|c| c.item_id).collect();
    record(l, cmds)?;
    ids.into_iter().map(|id| l.reservation(id)).collect()
}

/// Reserve a whole kit for `person` on `days`: every unit of it,
/// one reservation per item, in one write or none, each noted with the kit's name
/// (before the note given) so the calendar says what they are for.
pub fn reserve_kit(
    l: &mut impl Ledger,
    kit: KitId,
    person: &str,
    days: &Days,
    actor: &Actor,
) -> Result<Vec<Reservation>, OpError> {
    let kit = l.kit(kit)?;
    if !kit.active {
        return Err(OpError::invalid(format!(
            "the kit {} is retired: reserve its units one by one",
            kit.name
        )));
    }
    let note = match days
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(n) => format!("Kit {}: {n}", kit.name),
        None => format!("Kit {}", kit.name),
    };
    let days = Days {
        note: Some(note),
        ..days.clone()
    };
    reserve_units(l, &kit.units, person, &days, actor)
}

/// The command that makes a reservation, checked against what this store knows.
pub fn reserve_command(
    l: &impl Ledger,
    new: NewReservation,
    actor: &Actor,
) -> Result<Command, OpError> {
    let person = people::holder(l, &new.person)?;
    let mut units = Vec::new();
    for r in &new.units {
        units.push(l.find_unit(r)?);
    }
    let item = match (&new.item, units.first()) {
        (Some(i), _) => l.find_item(i)?,
        (None, Some(u)) => l.item(u.item_id)?,
        (None, None) => {
            return Err(OpError::invalid(
                "say what to reserve: an item, or one or more units",
            ))
        }
    };
    if let Some(u) = units.iter().find(|u| u.item_id != item.id) {
        return Err(OpError::invalid(format!(
            "{} is not a unit of {}: a reservation is for units of one item",
            u.name, item.name
        )));
    }
    if item.tracking != Tracking::Units {
        return Err(tagstation_core::event::DomainError::NotReservable(item.name).into());
    }
    let count = match (new.count, units.len()) {
        (Some(c), 0) => c,
        (None, 0) => 1,
        (Some(c), n) if c != n as i64 => {
            return Err(OpError::invalid(format!(
                "{n} units are named but the count says {c}: give one or the other"
            )))
        }
        (_, n) => n as i64,
    };
    let starts = new.starts.trim().to_string();
    let ends = new
        .ends
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .unwrap_or(&starts)
        .to_string();
    let fields = ReservationFields {
        item_id: item.id,
        units: units.iter().map(|u| u.id).collect(),
        count,
        person_id: person.id,
        starts,
        ends,
        note: new.note.filter(|n| !n.trim().is_empty()),
    };
    fields
        .check()
        .map_err(|e| OpError::from(tagstation_core::event::DomainError::from(e)))?;
    let today = tagstation_core::clock::today();
    if fields.starts < today {
        return Err(OpError::Invalid {
            user: format!(
                "The reservation starts {} which is in the past. Give a day from today ({today}) on.",
                fields.starts
            ),
            engineer: format!("reservation start {} is before today {today}", fields.starts),
        });
    }
    let id = Uuid::now_v7();
    let others = l.reservations(&ReservationQuery::of_item(
        item.id,
        &fields.starts,
        &fields.ends,
    ))?;
    let capacity = l
        .units_of_item(item.id)?
        .iter()
        .filter(|u| u.status != Status::Retired)
        .count() as i64;
    if let Some(first) = clashes(id, &fields, &others, capacity).first() {
        let what = if units.is_empty() {
            format!("{count} of {}", item.name)
        } else {
            names(&units)
        };
        let held = describe(l, first)?;
        return Err(OpError::Invalid {
            user: format!("{what} cannot be reserved then: {held}."),
            engineer: format!(
                "reservation of {what} from {} to {} clashes with one {held} ({})",
                fields.starts, fields.ends, first.id
            ),
        });
    }
    Ok(on_reservation(
        id,
        EventKind::ReservationMade(fields),
        actor,
    ))
}

/// A reservation by its id, or by the end of its id (8 characters or more, as lists
/// show it: [`short_id`]; the start of a UUIDv7 is its time, shared by reservations
/// made together).
pub fn find_reservation(l: &impl Ledger, reference: &str) -> Result<Reservation, OpError> {
    let r = reference.trim();
    if let Ok(id) = r.parse::<Uuid>() {
        return l.reservation(id);
    }
    if r.len() < 8 || !r.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(OpError::NotFound {
            what: "reservation",
            reference: r.into(),
        });
    }
    let r = r.to_ascii_lowercase();
    let found: Vec<Reservation> = l
        .reservations(&ReservationQuery::default())?
        .into_iter()
        .filter(|x| x.id.to_string().ends_with(&r))
        .collect();
    crate::one_of("reservation", &r, found, |x| x.id.to_string())
}

/// The id as lists show it: its last 8 characters (random in a UUIDv7).
pub fn short_id(id: ReservationId) -> String {
    let s = id.to_string();
    s[s.len() - 8..].to_string()
}

/// Call a reservation off.
pub fn cancel(
    l: &mut impl Ledger,
    reference: &str,
    reason: Option<String>,
    actor: &Actor,
) -> Result<Reservation, OpError> {
    let r = find_reservation(l, reference)?;
    let reason = reason.filter(|r| !r.trim().is_empty());
    one_recorded(record(
        l,
        vec![on_reservation(
            r.id,
            EventKind::ReservationCancelled { reason },
            actor,
        )],
    )?)?;
    l.reservation(r.id)
}

/// A reservation with the names people read: the item's, the units', the person's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReservationView {
    pub id: ReservationId,
    pub item_id: ItemId,
    pub item: String,
    /// The units reserved by name; empty for "any `count` units".
    pub units: Vec<NamedUnit>,
    pub count: i64,
    pub person_id: PersonId,
    pub person: String,
    pub starts: String,
    pub ends: String,
    pub note: Option<String>,
    pub state: ReservationState,
}

/// A unit's id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedUnit {
    pub id: UnitId,
    pub name: String,
}

impl ReservationView {
    /// "2 × Camera kit" or "Camera 01, Camera 02".
    pub fn what(&self) -> String {
        if self.units.is_empty() {
            format!("{} × {}", self.count, self.item)
        } else {
            self.units
                .iter()
                .map(|u| u.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    /// "2026-12-08" or "2026-12-08 to 2026-12-10".
    pub fn days(&self) -> String {
        if self.starts == self.ends {
            self.starts.clone()
        } else {
            format!("{} to {}", self.starts, self.ends)
        }
    }
}

/// A reservation with its names.
pub fn view(l: &impl Ledger, r: &Reservation) -> Result<ReservationView, OpError> {
    let f = &r.fields;
    let mut units = Vec::new();
    for u in &f.units {
        units.push(NamedUnit {
            id: *u,
            name: l.unit(*u).map(|u| u.name).unwrap_or_else(|_| u.to_string()),
        });
    }
    Ok(ReservationView {
        id: r.id,
        item_id: f.item_id,
        item: l
            .item(f.item_id)
            .map(|i| i.name)
            .unwrap_or_else(|_| f.item_id.to_string()),
        units,
        count: f.count,
        person_id: f.person_id,
        person: l
            .person(f.person_id)
            .map(|p| p.name)
            .unwrap_or_else(|_| f.person_id.to_string()),
        starts: f.starts.clone(),
        ends: f.ends.clone(),
        note: f.note.clone(),
        state: r.state,
    })
}

/// The reservations passing the query, with their names, by first day.
pub fn list(l: &impl Ledger, q: &ReservationQuery) -> Result<Vec<ReservationView>, OpError> {
    l.reservations(q)?.iter().map(|r| view(l, r)).collect()
}

/// The live reservations of a unit from today on: those naming it, and those for any
/// units of its item. What a station shows when the unit is scanned.
pub fn upcoming_for_unit(l: &impl Ledger, unit: &Unit) -> Result<Vec<ReservationView>, OpError> {
    let today = tagstation_core::clock::today();
    let q = ReservationQuery::of_item(unit.item_id, &today, OPEN_END);
    l.reservations(&q)?
        .iter()
        .filter(|r| r.state == ReservationState::Open && r.covers(unit.id))
        .map(|r| view(l, r))
        .collect()
}

/// "reserved for Ana from 2026-12-08 to 2026-12-10".
fn describe(l: &impl Ledger, r: &Reservation) -> Result<String, OpError> {
    let v = view(l, r)?;
    Ok(if v.starts == v.ends {
        format!("reserved for {} on {}", v.person, v.starts)
    } else {
        format!("reserved for {} from {} to {}", v.person, v.starts, v.ends)
    })
}

fn names(units: &[Unit]) -> String {
    units
        .iter()
        .map(|u| u.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a check-out means for the reservations: the ones it picks up and the ones it
/// breaks (another person's, holding these units in the loan's days).
#[derive(Debug, Clone, Default)]
pub struct AtCheckOut {
    /// The borrower's own open reservations this check-out picks up, each with the
    /// first unit that fulfils it.
    pub fulfils: Vec<(Reservation, UnitId)>,
    /// Other people's open reservations it would break, each with the first unit
    /// that breaks it.
    pub breaks: Vec<(Reservation, UnitId)>,
    /// The last day of the borrower's own reservation, when it picks one up: the due
    /// date when none is given.
    pub due: Option<String>,
}

/// What checking `units` out to `person` until `due` (none: no end) does to the
/// reservations of their items.
pub fn at_check_out(
    l: &impl Ledger,
    units: &[Unit],
    person: &Person,
    due: Option<&str>,
) -> Result<AtCheckOut, OpError> {
    let today = tagstation_core::clock::today();
    let until = due.unwrap_or(OPEN_END);
    let mut by_item: BTreeMap<ItemId, Vec<&Unit>> = BTreeMap::new();
    for u in units {
        by_item.entry(u.item_id).or_default().push(u);
    }
    let mut out = AtCheckOut::default();
    for (item, going) in by_item {
        let open: Vec<Reservation> = l
            .reservations(&ReservationQuery::of_item(item, &today, until))?
            .into_iter()
            .filter(|r| r.state == ReservationState::Open)
            .collect();
        if open.is_empty() {
            continue;
        }
        let (mine, theirs): (Vec<Reservation>, Vec<Reservation>) = open
            .into_iter()
            .partition(|r| r.fields.person_id == person.id);
        for r in mine {
            if let Some(u) = going.iter().find(|u| r.covers(u.id)) {
                if r.fields.starts <= today {
                    out.due = Some(
                        out.due
                            .map_or(r.fields.ends.clone(), |d| d.max(r.fields.ends.clone())),
                    );
                }
                out.fulfils.push((r, u.id));
            }
        }
        // Units named by someone else's reservation.
        let mut counted = Vec::new();
        for r in theirs {
            if r.fields.units.is_empty() {
                counted.push(r);
            } else if let Some(u) = going.iter().find(|u| r.fields.units.contains(&u.id)) {
                out.breaks.push((r, u.id));
            }
        }
        // Reservations of any units: broken when, on some day of the loan, fewer units
        // stay free than they ask for together.
        if !counted.is_empty() {
            let free = l
                .units_of_item(item)?
                .iter()
                .filter(|u| u.status == Status::InStock && !going.iter().any(|g| g.id == u.id))
                .count() as i64;
            let probe = ReservationFields {
                item_id: item,
                units: Vec::new(),
                count: 0,
                person_id: person.id,
                starts: today.clone(),
                ends: until.to_string(),
                note: None,
            };
            if !clashes(Uuid::nil(), &probe, &counted, free).is_empty() {
                let first = going[0].id;
                out.breaks.extend(counted.into_iter().map(|r| (r, first)));
            }
        }
    }
    Ok(out)
}

impl AtCheckOut {
    /// Refuse a check-out that breaks a reservation, unless overridden; otherwise the
    /// commands to record with it: each reservation fulfilled, each override.
    pub fn commands(
        &self,
        l: &impl Ledger,
        holder: &Person,
        over_reservation: bool,
        actor: &Actor,
    ) -> Result<Vec<Command>, OpError> {
        if let Some((r, unit)) = self.breaks.first() {
            if !over_reservation {
                let unit = l.unit(*unit)?;
                return Err(OpError::Reserved {
                    unit: unit.name,
                    held: describe(l, r)?,
                    reservation: r.id,
                });
            }
        }
        let mut cmds: Vec<Command> = self
            .fulfils
            .iter()
            .map(|(r, u)| {
                on_reservation(r.id, EventKind::ReservationFulfilled { unit_id: *u }, actor)
            })
            .collect();
        cmds.extend(self.breaks.iter().map(|(r, u)| {
            on_reservation(
                r.id,
                EventKind::ReservationOverridden {
                    unit_id: *u,
                    holder_id: holder.id,
                },
                actor,
            )
        }));
        Ok(cmds)
    }
}

#[cfg(test)]
mod tests;
