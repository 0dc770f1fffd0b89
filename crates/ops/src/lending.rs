//! Lending and the one-touch actions of a scan: check units out to someone (a whole
//! basket in one write), check them in, set a status, move or retire a unit.

use serde::Serialize;
use uuid::Uuid;

use tagstation_core::catalog::{Status, Unit, UnitId};
use tagstation_core::event::EventKind;

use crate::locations::Placed;
use crate::{on_unit, people, record, reservations, Actor, Ledger, OpError};

/// A known location a scan or a touch names (never created from a scan).
fn place(l: &impl Ledger, location: &str) -> Result<Placed, OpError> {
    crate::locations::place(l, location, false, &Actor::from("-"))
}

/// An action a worker can take on one unit with one touch or one scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    SetStatus {
        status: Status,
    },
    CheckOut {
        holder: String,
        due: Option<String>,
        /// Lend it even though it breaks someone else's reservation: an operator's
        /// decision, recorded on the reservation.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        over_reservation: bool,
        /// The borrower's signature, drawn at the station: recorded with each unit's
        /// check-out, in the same write.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<tagstation_core::signature::Signature>,
    },
    CheckIn {
        location: Option<String>,
    },
    Move {
        location: String,
    },
    Retire {
        reason: Option<String>,
    },
}

impl Action {
    /// A check-out to `holder`, unsigned.
    pub fn lend(holder: impl Into<String>, due: Option<String>, over_reservation: bool) -> Action {
        Action::CheckOut {
            holder: holder.into(),
            due,
            over_reservation,
            signature: None,
        }
    }

    /// The event for `units`, and the commands to record with it: a check-out names a
    /// known borrower within their limit, due by the last day of their reservation it
    /// picks up or by their default loan length when no date is given, and must not
    /// break someone else's reservation unless overridden (see
    /// [`crate::reservations`]); a check-in or move names a known location.
    pub fn resolve(
        self,
        l: &impl Ledger,
        units: &[Unit],
        actor: &Actor,
    ) -> Result<(EventKind, Vec<tagstation_core::event::Command>), OpError> {
        let kind = match self {
            Action::SetStatus { status } => EventKind::StatusChanged {
                to: status,
                reason: None,
            },
            Action::CheckOut {
                holder,
                due,
                over_reservation,
                signature,
            } => {
                let person = people::holder(l, &holder)?;
                people::check_limit(l, &person, units.len())?;
                let asked = people::due_for(&person, due.as_deref());
                due_not_past(asked.as_deref())?;
                let found = reservations::at_check_out(l, units, &person, asked.as_deref())?;
                let mut extra = found.commands(l, &person, over_reservation, actor)?;
                if let Some(sig) = signature {
                    sig.check()
                        .map_err(tagstation_core::event::DomainError::from)?;
                    let signed = units
                        .iter()
                        .map(|u| on_unit(u, EventKind::Signed(sig.clone()), actor, None));
                    extra.splice(0..0, signed);
                }
                let due = match due {
                    Some(_) => asked,
                    None => found.due.clone().or(asked),
                };
                let kind = EventKind::CheckedOut {
                    holder: person.name,
                    due,
                    holder_id: Some(person.id),
                };
                return Ok((kind, extra));
            }
            Action::CheckIn { location } => {
                let placed = match location {
                    Some(loc) => Some(place(l, &loc)?),
                    None => None,
                };
                EventKind::CheckedIn {
                    location: placed.as_ref().map(|p| p.name.clone()),
                    location_id: placed.map(|p| p.id),
                }
            }
            Action::Move { location } => {
                let placed = place(l, &location)?;
                EventKind::LocationMoved {
                    location: Some(placed.name),
                    reason: None,
                    location_id: Some(placed.id),
                }
            }
            Action::Retire { reason } => EventKind::UnitRetired {
                reason,
                customer: None,
            },
        };
        Ok((kind, Vec::new()))
    }

    /// Short words for a confirmation: "set to damaged", "checked out to Ana".
    pub fn describe(&self) -> String {
        match self {
            Action::SetStatus { status } => format!("set to {}", status.label().to_lowercase()),
            Action::CheckOut { holder, .. } => format!("checked out to {holder}"),
            Action::CheckIn { .. } => "checked in".into(),
            Action::Move { location } => format!("moved to {location}"),
            Action::Retire { .. } => "retired".into(),
        }
    }
}

/// The unit after a successful action, with the event that changed it and the words
/// to confirm it ("Drill 03 set to damaged").
#[derive(Debug, Clone)]
pub struct Done {
    pub event_id: uuid::Uuid,
    pub station_seq: i64,
    pub unit: Unit,
    pub message: String,
}

/// Apply one action to one unit. `scan` is the scanned text when a scan led here.
pub fn act(
    l: &mut impl Ledger,
    unit: UnitId,
    action: Action,
    actor: &Actor,
    scan: Option<&str>,
) -> Result<Done, OpError> {
    let u = l.unit(unit)?;
    let (kind, extra) = action.resolve(l, std::slice::from_ref(&u), actor)?;
    let message = match &kind {
        EventKind::CheckedOut { holder, .. } => format!("{} checked out to {holder}", u.name),
        EventKind::LocationMoved {
            location: Some(loc),
            ..
        } => format!("{} moved to {loc}", u.name),
        _ => format!("{} {}", u.name, action_words(&kind)),
    };
    let mut cmds = vec![on_unit(&u, kind, actor, scan)];
    cmds.extend(extra);
    let rec = record(l, cmds)?
        .into_iter()
        .next()
        .ok_or_else(|| OpError::invalid("the store recorded nothing"))?;
    Ok(Done {
        event_id: rec.event.id,
        station_seq: rec.event.station_seq,
        unit: l.unit(unit)?,
        message,
    })
}

/// Check every unit of a basket out to `holder`, due back on `due` (`YYYY-MM-DD`), in
/// one write: all of them, or none when one cannot go (already out, damaged...).
pub fn check_out(
    l: &mut impl Ledger,
    units: &[UnitId],
    holder: &str,
    due: Option<&str>,
    actor: &Actor,
) -> Result<usize, OpError> {
    lend(l, units, holder, due, false, actor)
}

/// [`check_out`], and with `over_reservation` even when it breaks someone else's
/// reservation (an operator's decision, recorded on the reservation).
pub fn lend(
    l: &mut impl Ledger,
    units: &[UnitId],
    holder: &str,
    due: Option<&str>,
    over_reservation: bool,
    actor: &Actor,
) -> Result<usize, OpError> {
    if units.is_empty() {
        return Err(OpError::invalid(
            "nothing to check out: the basket is empty",
        ));
    }
    let units = units
        .iter()
        .map(|id| l.unit(*id))
        .collect::<Result<Vec<_>, OpError>>()?;
    let action = Action::CheckOut {
        holder: holder.to_string(),
        due: due.map(str::to_string),
        over_reservation,
        signature: None,
    };
    lend_units(l, &units, action, actor, None)
}

/// Record `action` (a check-out) for every unit in one write, with what it brings
/// (reservations picked up or overridden, signatures); `scan` is the code scanned for
/// all of them (a kit's tag). Returns how many units went.
pub(crate) fn lend_units(
    l: &mut impl Ledger,
    units: &[Unit],
    action: Action,
    actor: &Actor,
    scan: Option<&str>,
) -> Result<usize, OpError> {
    let (kind, extra) = action.resolve(l, units, actor)?;
    let mut cmds: Vec<_> = units
        .iter()
        .map(|u| on_unit(u, kind.clone(), actor, scan))
        .collect();
    cmds.extend(extra);
    record(l, cmds)?;
    Ok(units.len())
}

/// One unit of a basket: which, and the code scanned for it.
#[derive(Debug, Clone)]
pub struct BasketUnit {
    pub unit: UnitId,
    pub scan: Option<String>,
}

/// Apply one action (check-out or check-in, say) to every unit of a basket in one
/// write: all of them, each with the id of the event that changed it (what a
/// condition photo belongs to), or none and the index of the unit that could not go
/// with why.
pub fn act_on_basket(
    l: &mut impl Ledger,
    basket: &[BasketUnit],
    action: &Action,
    actor: &Actor,
) -> Result<Vec<(UnitId, Uuid)>, (usize, OpError)> {
    if basket.is_empty() {
        return Err((
            0,
            OpError::invalid("the basket is empty: scan the units first"),
        ));
    }
    let units = basket
        .iter()
        .enumerate()
        .map(|(i, b)| l.unit(b.unit).map_err(|e| (i, e)))
        .collect::<Result<Vec<_>, (usize, OpError)>>()?;
    let (kind, extra) = action
        .clone()
        .resolve(l, &units, actor)
        .map_err(|e| (0, e))?;
    let mut cmds: Vec<_> = units
        .iter()
        .zip(basket)
        .map(|(u, b)| on_unit(u, kind.clone(), actor, b.scan.as_deref()))
        .collect();
    let n = cmds.len();
    cmds.extend(extra);
    let recorded = l.record(cmds).map_err(|(i, e)| (i.min(n - 1), e))?;
    Ok(units
        .iter()
        .zip(&recorded)
        .map(|(u, r)| (u.id, r.event.id))
        .collect())
}

/// Short words for what an event does to a unit, for a confirmation.
fn action_words(kind: &EventKind) -> String {
    match kind {
        EventKind::StatusChanged { to, .. } => format!("set to {}", to.label().to_lowercase()),
        EventKind::CheckedIn { .. } => "checked in".into(),
        EventKind::UnitRetired { .. } => "retired".into(),
        other => other.describe(),
    }
}

/// A check-out must be due today or later: a due date in the past would make the
/// unit overdue the moment it leaves (a typo in the year, most often). A date that is
/// not a date is left to the rules, which name the problem.
pub fn due_not_past(due: Option<&str>) -> Result<(), OpError> {
    let Some(due) = due else { return Ok(()) };
    if tagstation_core::catalog::check_date(due).is_err() {
        return Ok(());
    }
    let today = tagstation_core::clock::today();
    if due < today.as_str() {
        return Err(OpError::Invalid {
            user: format!(
                "The due date {due} is in the past. Give a date from today ({today}) on."
            ),
            engineer: format!("due date {due} is in the past (today is {today})"),
        });
    }
    Ok(())
}

/// Check a unit back in, optionally to a location.
pub fn check_in(
    l: &mut impl Ledger,
    unit: UnitId,
    location: Option<String>,
    actor: &Actor,
    scan: Option<&str>,
) -> Result<Done, OpError> {
    act(l, unit, Action::CheckIn { location }, actor, scan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{add_unit, create_item, NewItem, NewUnit};
    use crate::mem::MemLedger;
    use tagstation_core::event::DomainError;

    fn setup() -> (MemLedger, Vec<UnitId>, Actor) {
        let mut l = MemLedger::with_directory();
        let a = Actor::from("test");
        let item = create_item(&mut l, NewItem::units("Laptop"), &a).unwrap();
        let units = (0..3)
            .map(|_| add_unit(&mut l, item, NewUnit::default(), &a).unwrap().id)
            .collect();
        (l, units, a)
    }

    #[test]
    fn a_signature_is_recorded_with_each_unit_of_the_check_out() {
        use tagstation_core::signature::Signature;
        let (mut l, units, a) = setup();
        let sig = Signature {
            width: 400,
            height: 120,
            strokes: vec![vec![[10, 60], [80, 20], [150, 90]]],
        };
        let basket: Vec<BasketUnit> = units[..2]
            .iter()
            .map(|u| BasketUnit {
                unit: *u,
                scan: None,
            })
            .collect();
        let lend = |signature| Action::CheckOut {
            holder: "Ana".into(),
            due: None,
            over_reservation: false,
            signature,
        };
        // A scribble outside its own pad is refused, and nothing is recorded.
        let mut bad = sig.clone();
        bad.strokes[0].push([500, 10]);
        let before = l.events().len();
        assert!(act_on_basket(&mut l, &basket, &lend(Some(bad)), &a).is_err());
        assert_eq!(l.events().len(), before);
        let changed = act_on_basket(&mut l, &basket, &lend(Some(sig.clone())), &a).unwrap();
        assert_eq!(
            changed,
            [
                (units[0], l.events()[before].id),
                (units[1], l.events()[before + 1].id)
            ],
            "each unit with the event that lent it"
        );
        let kinds: Vec<(&str, Option<UnitId>)> = l.events()[before..]
            .iter()
            .map(|e| (e.kind.name(), e.unit_id))
            .collect();
        assert_eq!(
            kinds,
            [
                ("checked_out", Some(units[0])),
                ("checked_out", Some(units[1])),
                ("signed", Some(units[0])),
                ("signed", Some(units[1])),
            ]
        );
        assert_eq!(l.events().last().unwrap().kind, EventKind::Signed(sig));
    }

    #[test]
    fn a_basket_goes_out_in_one_write_or_not_at_all() {
        let (mut l, units, a) = setup();
        act(
            &mut l,
            units[2],
            Action::SetStatus {
                status: Status::Damaged,
            },
            &a,
            None,
        )
        .unwrap();
        let before = l.events().len();
        let e = check_out(&mut l, &units, "Ana", None, &a).unwrap_err();
        assert!(
            matches!(e, OpError::Refused(DomainError::InvalidTransition { .. })),
            "{e:?}"
        );
        assert_eq!(
            l.events().len(),
            before,
            "nothing of the basket was recorded"
        );
        assert_eq!(
            check_out(&mut l, &units[..2], "Ana", Some("2099-01-31"), &a).unwrap(),
            2
        );
        let u = l.unit(units[0]).unwrap();
        assert_eq!(
            (u.status, u.holder.as_deref()),
            (Status::CheckedOut, Some("Ana"))
        );
    }

    #[test]
    fn an_empty_basket_or_holder_is_refused_in_words() {
        let (mut l, units, a) = setup();
        assert!(check_out(&mut l, &[], "Ana", None, &a)
            .unwrap_err()
            .user_message()
            .contains("empty"));
        assert!(check_out(&mut l, &units, "  ", None, &a)
            .unwrap_err()
            .user_message()
            .contains("who"));
    }

    #[test]
    fn a_check_out_due_in_the_past_is_refused_and_records_nothing() {
        let (mut l, units, a) = setup();
        let before = l.events().len();
        let e = check_out(&mut l, &units[..1], "Ben", Some("2020-01-31"), &a).unwrap_err();
        assert!(
            e.user_message().contains("in the past"),
            "{}",
            e.user_message()
        );
        let out = Action::CheckOut {
            holder: "Ben".into(),
            due: Some("2020-01-31".into()),
            over_reservation: false,
            signature: None,
        };
        assert!(act(&mut l, units[0], out.clone(), &a, None).is_err());
        let basket = [BasketUnit {
            unit: units[0],
            scan: None,
        }];
        assert!(act_on_basket(&mut l, &basket, &out, &a).is_err());
        assert_eq!(l.events().len(), before);
        let today = tagstation_core::clock::today();
        check_out(&mut l, &units[..1], "Ben", Some(&today), &a).unwrap();
    }

    #[test]
    fn check_in_returns_the_unit_and_says_so() {
        let (mut l, units, a) = setup();
        check_out(&mut l, &units[..1], "Ben", None, &a).unwrap();
        let done = check_in(&mut l, units[0], Some("Shelf A".into()), &a, Some("TS-1")).unwrap();
        assert_eq!(done.unit.status, Status::InStock);
        assert_eq!(done.unit.location.as_deref(), Some("Shelf A"));
        assert_eq!(done.message, "Laptop 01 checked in");
        assert_eq!(l.events().last().unwrap().scan.as_deref(), Some("TS-1"));
    }
}
