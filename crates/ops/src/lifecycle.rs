//! The lifecycle of a serialised unit in the words its users expect — received, in
//! stock, sold, returned, transferred, repair — without a status of its own for any
//! of them: received, transferred and repair are reasons on status changes and moves
//! ([`crate::catalog::UnitChange`]), sold is a retirement with reason "sold" and a
//! customer ([`sell`]), returned brings a sold or retired unit back into stock
//! ([`return_unit`]). Also the built-in date fields `warranty_end` and `service_due`
//! ([`set_dates`]). `EventKind::lifecycle` names the step each event is.

use tagstation_core::catalog::{Status, Unit, UnitId, SERVICE_DUE, WARRANTY_END};
use tagstation_core::event::{DomainError, EventKind, REASON_RECEIVED, REASON_SOLD};

use crate::catalog::one;
use crate::{on_unit, record, Actor, Ledger, OpError, Recorded};

/// The reason an event gets when none was given and the lifecycle says which: a unit
/// set from receiving to in stock was "received".
pub fn default_reason(unit: &Unit, kind: EventKind) -> EventKind {
    match kind {
        EventKind::StatusChanged {
            to: Status::InStock,
            reason: None,
        } if unit.status == Status::Receiving => EventKind::StatusChanged {
            to: Status::InStock,
            reason: Some(REASON_RECEIVED.into()),
        },
        other => other,
    }
}

/// Sell a unit to `customer`: it is retired with reason "sold" and the customer's
/// reference, leaves the totals and keeps its history. A unit checked out to someone
/// is refused: check it in first.
pub fn sell(
    l: &mut impl Ledger,
    unit: UnitId,
    customer: &str,
    actor: &Actor,
    scan: Option<&str>,
) -> Result<Recorded, OpError> {
    let customer = customer.trim();
    if customer.is_empty() {
        return Err(OpError::invalid("say who bought it: the customer is empty"));
    }
    let u = l.unit(unit)?;
    if u.status == Status::CheckedOut {
        let holder = u.holder.clone().unwrap_or_else(|| "someone".into());
        return Err(DomainError::CheckedOut(u.name, holder).into());
    }
    let kind = EventKind::UnitRetired {
        reason: Some(REASON_SOLD.into()),
        customer: Some(customer.into()),
    };
    one(record(l, vec![on_unit(&u, kind, actor, scan)])?)
}

/// A sold or retired unit comes back into stock (the customer brought it back),
/// optionally to a location, with its history intact.
pub fn return_unit(
    l: &mut impl Ledger,
    unit: UnitId,
    location: Option<String>,
    reason: Option<String>,
    actor: &Actor,
    scan: Option<&str>,
) -> Result<Recorded, OpError> {
    let u = l.unit(unit)?;
    let placed = match &location {
        Some(loc) => Some(crate::locations::place(l, loc, false, actor)?),
        None => None,
    };
    let kind = EventKind::UnitReturned {
        location: placed.as_ref().map(|p| p.name.clone()),
        reason,
        location_id: placed.map(|p| p.id),
    };
    one(record(l, vec![on_unit(&u, kind, actor, scan)])?)
}

/// Set the built-in date fields of a unit (`YYYY-MM-DD`; `None` leaves one as it is),
/// in one write. A value that is not a date is refused by the event rules.
pub fn set_dates(
    l: &mut impl Ledger,
    unit: UnitId,
    warranty_end: Option<String>,
    service_due: Option<String>,
    actor: &Actor,
) -> Result<Vec<Recorded>, OpError> {
    let u = l.unit(unit)?;
    let cmds: Vec<_> = [(WARRANTY_END, warranty_end), (SERVICE_DUE, service_due)]
        .into_iter()
        .filter_map(|(key, value)| {
            let value = value?;
            let kind = EventKind::FieldSet {
                key: key.into(),
                value: Some(value),
            };
            Some(on_unit(&u, kind, actor, None))
        })
        .collect();
    if cmds.is_empty() {
        return Err(OpError::invalid(
            "nothing to set: give a warranty end or a service due date",
        ));
    }
    record(l, cmds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::UnitChange;
    use crate::catalog::{add_unit, change_unit, create_item, NewItem, NewUnit};
    use crate::lending::{check_in, check_out};
    use crate::mem::MemLedger;

    fn setup() -> (MemLedger, UnitId, Actor) {
        let mut l = MemLedger::with_directory();
        let a = Actor::from("test");
        let item = create_item(&mut l, NewItem::units("Laptop"), &a).unwrap();
        let new = NewUnit {
            status: Status::Receiving,
            tag: Some("L-1".into()),
            ..NewUnit::default()
        };
        let u = add_unit(&mut l, item, new, &a).unwrap().id;
        (l, u, a)
    }

    fn words(l: &MemLedger) -> Vec<&'static str> {
        l.events()
            .iter()
            .filter_map(|e| e.kind.lifecycle())
            .collect()
    }

    #[test]
    fn the_whole_lifecycle_in_its_users_words() {
        let (mut l, u, a) = setup();
        let ch = |l: &mut MemLedger, c| change_unit(l, u, c, &a, None).unwrap();
        // Receiving → in stock: "received", whichever front end set it.
        ch(
            &mut l,
            UnitChange::Status {
                to: Status::InStock,
                reason: None,
            },
        );
        ch(
            &mut l,
            UnitChange::Move {
                location: "Van 2".into(),
                reason: Some("transfer".into()),
                create: true,
            },
        );
        ch(
            &mut l,
            UnitChange::Status {
                to: Status::Sending,
                reason: Some("repair".into()),
            },
        );
        ch(
            &mut l,
            UnitChange::Status {
                to: Status::InStock,
                reason: None,
            },
        );
        sell(&mut l, u, "ACME Ltd", &a, None).unwrap();
        assert_eq!(l.unit(u).unwrap().status, Status::Retired);
        return_unit(&mut l, u, Some("Shelf A".into()), None, &a, None).unwrap();
        let back = l.unit(u).unwrap();
        assert_eq!(
            (
                back.status,
                back.location.as_deref(),
                back.asset_tag.as_deref()
            ),
            (Status::InStock, Some("Shelf A"), Some("L-1"))
        );
        assert_eq!(
            words(&l),
            [
                "received",
                "transferred",
                "repair",
                "in stock",
                "sold",
                "returned"
            ]
        );
        let sold = &l.events()[l.events().len() - 2];
        assert_eq!(
            sold.kind,
            EventKind::UnitRetired {
                reason: Some("sold".into()),
                customer: Some("ACME Ltd".into())
            }
        );
        assert_eq!(sold.kind.describe(), "retired (sold) to ACME Ltd");
    }

    #[test]
    fn only_a_retired_unit_returns_and_a_lent_one_is_not_sold() {
        let (mut l, u, a) = setup();
        let e = return_unit(&mut l, u, None, None, &a, None).unwrap_err();
        assert!(
            matches!(e, OpError::Refused(DomainError::NotRetired(_))),
            "{e:?}"
        );
        change_unit(
            &mut l,
            u,
            UnitChange::Status {
                to: Status::InStock,
                reason: None,
            },
            &a,
            None,
        )
        .unwrap();
        check_out(&mut l, &[u], "Ben", None, &a).unwrap();
        let e = sell(&mut l, u, "ACME", &a, None).unwrap_err();
        assert!(e.user_message().contains("Check it in first"), "{e}");
        assert!(sell(&mut l, u, "  ", &a, None)
            .unwrap_err()
            .user_message()
            .contains("customer"));
        check_in(&mut l, u, None, &a, None).unwrap();
        sell(&mut l, u, "ACME", &a, None).unwrap();
    }

    #[test]
    fn date_fields_are_dates() {
        let (mut l, u, a) = setup();
        let before = l.events().len();
        let e = set_dates(
            &mut l,
            u,
            Some("2027-01-31".into()),
            Some("soon".into()),
            &a,
        )
        .unwrap_err();
        assert!(
            matches!(&e, OpError::Refused(DomainError::BadDate(m)) if m.starts_with("service_due")),
            "{e:?}"
        );
        assert_eq!(l.events().len(), before, "all or nothing");
        set_dates(
            &mut l,
            u,
            Some("2027-01-31".into()),
            Some("2026-06-30".into()),
            &a,
        )
        .unwrap();
        let unit = l.unit(u).unwrap();
        assert_eq!(unit.warranty_end(), Some("2027-01-31"));
        assert_eq!(unit.service_due(), Some("2026-06-30"));
        // The same rule for a plain field edit and a new unit.
        let e = change_unit(
            &mut l,
            u,
            UnitChange::Field {
                key: "warranty_end".into(),
                value: Some("31/01/2027".into()),
            },
            &a,
            None,
        )
        .unwrap_err();
        assert!(
            matches!(e, OpError::Refused(DomainError::BadDate(_))),
            "{e:?}"
        );
        assert!(set_dates(&mut l, u, None, None, &a).is_err());
    }
}
