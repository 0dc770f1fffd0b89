//! The reservation rules against the in-memory ledger and projection, conflicts made
//! offline included.

use super::*;
use crate::catalog::{add_unit, create_item, NewItem, NewUnit};
use crate::lending::{act, Action};
use crate::mem::MemLedger;
use tagstation_core::clock::in_days;
use tagstation_core::event::{apply, DomainError, Event, Mode};

fn setup() -> (MemLedger, ItemId, Vec<Unit>, Actor) {
    let mut l = MemLedger::with_directory();
    let a = Actor::from("test");
    let item = create_item(&mut l, NewItem::units("Camera"), &a).unwrap();
    let units = (0..3)
        .map(|_| {
            let id = add_unit(&mut l, item, NewUnit::default(), &a).unwrap().id;
            l.unit(id).unwrap()
        })
        .collect();
    (l, item, units, a)
}

fn units_for(person: &str, units: &[&Unit], from: i64, to: i64) -> NewReservation {
    NewReservation {
        units: units.iter().map(|u| u.name.clone()).collect(),
        person: person.into(),
        starts: in_days(from),
        ends: Some(in_days(to)),
        ..NewReservation::default()
    }
}

fn count_for(person: &str, count: i64, from: i64, to: i64) -> NewReservation {
    NewReservation {
        item: Some("Camera".into()),
        count: Some(count),
        person: person.into(),
        starts: in_days(from),
        ends: Some(in_days(to)),
        ..NewReservation::default()
    }
}

fn check_out(l: &mut MemLedger, u: &Unit, who: &str, over: bool) -> Result<crate::Done, OpError> {
    act(
        l,
        u.id,
        Action::CheckOut {
            holder: who.into(),
            due: None,
            over_reservation: over,
            signature: None,
        },
        &Actor::from("op"),
        None,
    )
}

#[test]
fn a_unit_is_reserved_once_for_any_day() {
    let (mut l, _, units, a) = setup();
    let ana = reserve(&mut l, units_for("Ana", &[&units[0]], 2, 4), &a).unwrap();
    assert_eq!(ana.state, ReservationState::Open);
    // Ben's days share the 4th with Ana's: refused, naming Ana and her days.
    let e = reserve(&mut l, units_for("Ben", &[&units[0]], 4, 6), &a).unwrap_err();
    let words = e.user_message();
    assert!(words.contains("reserved for Ana"), "{words}");
    assert!(words.contains(&in_days(2)), "{words}");
    // The day after, or another unit, is free.
    reserve(&mut l, units_for("Ben", &[&units[0]], 5, 6), &a).unwrap();
    reserve(&mut l, units_for("Ben", &[&units[1]], 2, 4), &a).unwrap();
}

#[test]
fn a_number_of_units_is_reserved_within_what_the_item_has() {
    let (mut l, _, units, a) = setup();
    reserve(&mut l, count_for("Ana", 2, 1, 3), &a).unwrap();
    // 2 + 1 of 3 fits; 2 + 2 does not.
    reserve(&mut l, count_for("Ben", 1, 3, 5), &a).unwrap();
    let e = reserve(&mut l, count_for("Ben", 2, 2, 2), &a).unwrap_err();
    assert!(e.user_message().contains("cannot be reserved"), "{e}");
    // A named unit counts against the same units.
    assert!(reserve(&mut l, units_for("Ben", &[&units[2]], 3, 3), &a).is_err());
    // More than the item has is the rules' refusal.
    let e = reserve(&mut l, count_for("Ben", 4, 10, 10), &a).unwrap_err();
    assert!(
        matches!(
            e,
            OpError::Refused(DomainError::TooFewToReserve { have: 3, .. })
        ),
        "{e:?}"
    );
}

#[test]
fn reservations_start_from_today_on_counted_items_are_refused() {
    let (mut l, _, units, a) = setup();
    let e = reserve(&mut l, units_for("Ana", &[&units[0]], -1, 2), &a).unwrap_err();
    assert!(e.user_message().contains("in the past"), "{e}");
    let e = reserve(&mut l, units_for("Ana", &[&units[0]], 3, 2), &a).unwrap_err();
    assert!(e.to_string().contains("before it starts"), "{e}");
    create_item(&mut l, NewItem::count("Gloves", 10), &a).unwrap();
    let mut gloves = count_for("Ana", 1, 1, 1);
    gloves.item = Some("Gloves".into());
    let e = reserve(&mut l, gloves, &a).unwrap_err();
    assert!(
        matches!(e, OpError::Refused(DomainError::NotReservable(_))),
        "{e:?}"
    );
    // An unknown person is not a borrower.
    assert!(reserve(&mut l, units_for("Zoe", &[&units[0]], 1, 1), &a).is_err());
}

#[test]
fn a_check_out_that_breaks_a_reservation_is_refused_unless_overridden() {
    let (mut l, _, units, a) = setup();
    let ana = reserve(&mut l, units_for("Ana", &[&units[0]], 1, 3), &a).unwrap();
    let before = l.events().len();
    // Ben's loan has no end: it runs into Ana's days.
    let e = check_out(&mut l, &units[0], "Ben", false).unwrap_err();
    match &e {
        OpError::Reserved {
            unit,
            held,
            reservation,
        } => {
            assert_eq!(unit, &units[0].name);
            assert!(held.contains("Ana"), "{held}");
            assert_eq!(*reservation, ana.id);
        }
        other => panic!("expected Reserved, got {other:?}"),
    }
    assert_eq!(l.events().len(), before, "nothing recorded");
    // Another unit is free to go.
    check_out(&mut l, &units[1], "Ben", false).unwrap();
    // The operator overrides: the check-out and the override, in one write.
    let before = l.events().len();
    check_out(&mut l, &units[0], "Ben", true).unwrap();
    let new = &l.events()[before..];
    assert_eq!(new.len(), 2);
    assert!(matches!(new[0].kind, EventKind::CheckedOut { .. }));
    assert!(matches!(
        new[1].kind,
        EventKind::ReservationOverridden { unit_id, .. } if unit_id == units[0].id
    ));
    assert_eq!(new[1].item_id, ana.id);
    let after = l.reservation(ana.id).unwrap();
    assert_eq!(after.state, ReservationState::Open, "Ana's still stands");
    assert_eq!(after.version, 2);
}

#[test]
fn a_loan_that_ends_before_the_reservation_breaks_nothing() {
    let (mut l, _, units, a) = setup();
    reserve(&mut l, units_for("Ana", &[&units[0]], 3, 4), &a).unwrap();
    act(
        &mut l,
        units[0].id,
        Action::CheckOut {
            holder: "Ben".into(),
            due: Some(in_days(2)),
            over_reservation: false,
            signature: None,
        },
        &a,
        None,
    )
    .unwrap();
}

#[test]
fn checking_out_to_the_person_who_reserved_picks_it_up() {
    let (mut l, _, units, a) = setup();
    let ana = reserve(&mut l, units_for("Ana", &[&units[0]], 0, 3), &a).unwrap();
    let done = check_out(&mut l, &units[0], "Ana", false).unwrap();
    assert_eq!(
        done.unit.due.as_deref(),
        Some(in_days(3).as_str()),
        "due on the reservation's last day"
    );
    assert_eq!(
        l.reservation(ana.id).unwrap().state,
        ReservationState::Fulfilled
    );
    // A count reservation is picked up by any unit of the item.
    let mine = reserve(&mut l, count_for("Ben", 1, 0, 0), &a).unwrap();
    check_out(&mut l, &units[1], "Ben", false).unwrap();
    assert_eq!(
        l.reservation(mine.id).unwrap().state,
        ReservationState::Fulfilled
    );
}

#[test]
fn count_reservations_hold_back_enough_units() {
    let (mut l, _, units, a) = setup();
    // Ana wants 2 of the 3 today; one may go to Ben, a second may not.
    reserve(&mut l, count_for("Ana", 2, 0, 1), &a).unwrap();
    check_out(&mut l, &units[0], "Ben", false).unwrap();
    let e = check_out(&mut l, &units[1], "Ben", false).unwrap_err();
    assert!(matches!(e, OpError::Reserved { .. }), "{e:?}");
}

#[test]
fn a_cancelled_reservation_holds_nothing() {
    let (mut l, _, units, a) = setup();
    let ana = reserve(&mut l, units_for("Ana", &[&units[0]], 0, 3), &a).unwrap();
    let short = short_id(ana.id);
    let r = cancel(&mut l, &short, Some("trip called off".into()), &a).unwrap();
    assert_eq!(r.state, ReservationState::Cancelled);
    check_out(&mut l, &units[0], "Ben", false).unwrap();
    // Twice is nothing to do.
    assert!(cancel(&mut l, &short, None, &a).is_err());
}

#[test]
fn views_name_the_item_units_and_person() {
    let (mut l, item, units, a) = setup();
    reserve(&mut l, units_for("Ana", &[&units[0], &units[1]], 1, 1), &a).unwrap();
    reserve(&mut l, count_for("Ben", 1, 2, 5), &a).unwrap();
    let all = list(&l, &ReservationQuery::default()).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].person, "Ana");
    assert_eq!(
        all[0].what(),
        format!("{}, {}", units[0].name, units[1].name)
    );
    assert_eq!(all[0].days(), in_days(1));
    assert_eq!(all[1].what(), "1 × Camera");
    assert_eq!(all[1].days(), format!("{} to {}", in_days(2), in_days(5)));
    let ben = l.find_person("Ben").unwrap();
    let q = ReservationQuery {
        person: Some(ben.id),
        ..ReservationQuery::default()
    };
    assert_eq!(list(&l, &q).unwrap().len(), 1);
    assert_eq!(upcoming_for_unit(&l, &units[0]).unwrap().len(), 2);
    assert_eq!(upcoming_for_unit(&l, &units[2]).unwrap().len(), 1);
    let _ = item;
}

/// Two stations, offline, each reserve the same unit for the same days. Each is fine
/// alone; merged in the hub's order, both are kept and the second is flagged.
#[test]
fn the_same_unit_reserved_offline_at_two_stations_is_a_conflict_not_a_merge() {
    let (base, _, units, a) = setup();
    let mut station_1 = base.clone();
    let mut station_2 = base.clone();
    let one = reserve(&mut station_1, units_for("Ana", &[&units[0]], 1, 3), &a).unwrap();
    let two = reserve(&mut station_2, units_for("Ben", &[&units[0]], 2, 2), &a).unwrap();
    let hub_order: Vec<&Event> = base
        .events()
        .iter()
        .chain(&station_1.events()[base.events().len()..])
        .chain(&station_2.events()[base.events().len()..])
        .collect();
    let mut hub = base.projection().clone();
    let mut flagged = Vec::new();
    for ev in &hub_order[base.events().len()..] {
        let applied = apply(&mut hub, ev, Mode::Full).unwrap();
        flagged.push(applied.conflict);
    }
    assert_eq!(flagged[0], None);
    let words = flagged[1].as_deref().expect("the second is flagged");
    assert!(words.contains("Ana's reservation"), "{words}");
    assert!(hub.reservations.contains_key(&one.id));
    assert!(hub.reservations.contains_key(&two.id));
}

#[test]
fn units_of_two_items_are_reserved_together_or_not_at_all() {
    let (mut l, camera, units, a) = setup();
    let tripod = create_item(&mut l, NewItem::units("Tripod"), &a).unwrap();
    let t = add_unit(&mut l, tripod, NewUnit::default(), &a).unwrap().id;
    let (from, to) = (in_days(1), in_days(2));
    let days = |from: &str, to: &str| Days {
        starts: from.into(),
        ends: Some(to.into()),
        note: None,
    };
    let ids = [units[0].id, t, units[1].id];
    let made = reserve_units(&mut l, &ids, "Ana", &days(&from, &to), &a).unwrap();
    // One reservation per item, the camera's two units in one.
    assert_eq!(made.len(), 2);
    let cams = made.iter().find(|r| r.fields.item_id == camera).unwrap();
    assert_eq!(cams.fields.units, vec![units[0].id, units[1].id]);
    assert!(made
        .iter()
        .all(|r| r.fields.starts == from && r.fields.ends == to));

    // Ben asks for the free camera and the booked tripod: neither is reserved.
    let before = l.events().len();
    let e = reserve_units(&mut l, &[units[2].id, t], "Ben", &days(&to, &to), &a).unwrap_err();
    assert!(e.user_message().contains("reserved for Ana"), "{e}");
    assert_eq!(l.events().len(), before, "nothing recorded");
    let e = reserve_units(&mut l, &[], "Ben", &days(&to, &to), &a).unwrap_err();
    assert!(e.user_message().contains("nothing to reserve"), "{e}");
}

#[test]
fn a_kit_is_reserved_whole_one_reservation_per_item_noted_with_its_name() {
    use crate::kits::{add_kit, NewKit};
    let (mut l, camera, units, a) = setup();
    let tripod = create_item(&mut l, NewItem::units("Tripod"), &a).unwrap();
    let t = add_unit(&mut l, tripod, NewUnit::default(), &a).unwrap().id;
    let tags = |id: UnitId, l: &MemLedger| l.unit(id).unwrap().name;
    let kit = NewKit {
        name: "Shoot kit".into(),
        tag: Some("KIT-S".into()),
        units: vec![tags(units[0].id, &l), tags(units[1].id, &l), tags(t, &l)],
    };
    add_kit(&mut l, kit, &a).unwrap();
    let days = Days {
        starts: in_days(2),
        ends: Some(in_days(4)),
        note: Some("harbour".into()),
    };
    let kit = crate::kits::find_kit(&l, "kit-s").unwrap().id;
    let made = reserve_kit(&mut l, kit, "Ana", &days, &a).unwrap();
    assert_eq!(made.len(), 2);
    let cams = made.iter().find(|r| r.fields.item_id == camera).unwrap();
    assert_eq!(cams.fields.units, vec![units[0].id, units[1].id]);
    assert!(made
        .iter()
        .all(|r| r.fields.note.as_deref() == Some("Kit Shoot kit: harbour")));
    // Booked: the kit again on a shared day is refused, naming Ana's.
    let e = reserve_kit(&mut l, kit, "Ben", &days, &a).unwrap_err();
    assert!(e.user_message().contains("reserved for Ana"), "{e}");
}
