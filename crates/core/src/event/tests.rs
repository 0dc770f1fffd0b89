//! The rules of [`super::apply`], against the in-memory projection.

use uuid::Uuid;

use super::*;
use crate::catalog::*;

fn ev(seq: i64, item: ItemId, unit: Option<UnitId>, kind: EventKind) -> Event {
    Event {
        id: Uuid::now_v7(),
        station_id: Uuid::nil(),
        station_seq: seq,
        actor: "test".into(),
        wall_time_ms: 0,
        clock_synced: true,
        item_id: item,
        unit_id: unit,
        base_version: None,
        scan: None,
        kind,
    }
}

fn drill(p: &mut MemProjection, counts: i64) -> ItemId {
    let item = Uuid::now_v7();
    let create = EventKind::ItemCreated {
        name: "Drill".into(),
        sku: None,
        barcode: None,
        tracking: Tracking::Count,
        reorder_point: Some(2),
    };
    apply(p, &ev(1, item, None, create), Mode::Full).unwrap();
    let adj = EventKind::QuantityAdjusted {
        status: Status::InStock,
        delta: counts,
        reason: None,
    };
    apply(p, &ev(2, item, None, adj), Mode::Full).unwrap();
    item
}

#[test]
fn switch_seeds_and_folds_keeping_totals() {
    let mut p = MemProjection::default();
    let item = drill(&mut p, 4);
    let mv = EventKind::QuantityMoved {
        from: Status::InStock,
        to: Status::Damaged,
        qty: 1,
    };
    apply(&mut p, &ev(3, item, None, mv), Mode::Full).unwrap();
    let on = ev(
        4,
        item,
        None,
        EventKind::TrackingSwitched {
            to: Tracking::Units,
            discarded: Vec::new(),
        },
    );
    let out = apply(&mut p, &on, Mode::Full).unwrap();
    assert_eq!(out.units.len(), 4);
    let names: Vec<_> = p.units.values().map(|u| u.name.clone()).collect();
    assert!(names.contains(&"Drill 01".to_string()) && names.contains(&"Drill 04".into()));
    let t = p.all_totals()[&item].clone();
    assert_eq!((t.get(Status::InStock), t.get(Status::Damaged)), (3, 1));

    let err = apply(
        &mut p,
        &ev(
            5,
            item,
            None,
            EventKind::QuantityAdjusted {
                status: Status::InStock,
                delta: 1,
                reason: None,
            },
        ),
        Mode::Full,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        ApplyError::Domain(DomainError::DerivedTotals { .. })
    ));

    let off = ev(
        6,
        item,
        None,
        EventKind::TrackingSwitched {
            to: Tracking::Count,
            discarded: Vec::new(),
        },
    );
    apply(&mut p, &off, Mode::Full).unwrap();
    let t = p.all_totals()[&item].clone();
    assert_eq!((t.get(Status::InStock), t.get(Status::Damaged)), (3, 1));
    assert!(p.units.values().all(|u| !u.active));
}

#[test]
fn quantities_out_of_range_are_refused() {
    let mut p = MemProjection::default();
    let item = drill(&mut p, 4);
    let before = p.clone();
    for delta in [
        i64::MIN,
        i64::MIN + 1,
        -MAX_QUANTITY - 1,
        MAX_QUANTITY + 1,
        i64::MAX,
    ] {
        let adj = EventKind::QuantityAdjusted {
            status: Status::InStock,
            delta,
            reason: None,
        };
        let err = apply(&mut p, &ev(3, item, None, adj), Mode::Full).unwrap_err();
        assert!(
            matches!(err, ApplyError::Domain(DomainError::BadQuantity(d)) if d == delta),
            "{delta}: {err}"
        );
    }
    for qty in [i64::MIN, -1, 0, MAX_QUANTITY + 1, i64::MAX] {
        let mv = EventKind::QuantityMoved {
            from: Status::InStock,
            to: Status::Damaged,
            qty,
        };
        assert!(apply(&mut p, &ev(3, item, None, mv), Mode::Full).is_err());
    }
    assert_eq!(p, before);
}

#[test]
fn switch_refuses_too_many_pieces() {
    let mut p = MemProjection::default();
    let item = drill(&mut p, MAX_SEEDED_UNITS + 1);
    let before = p.clone();
    let on = EventKind::TrackingSwitched {
        to: Tracking::Units,
        discarded: Vec::new(),
    };
    let err = apply(&mut p, &ev(3, item, None, on.clone()), Mode::Full).unwrap_err();
    assert!(
        matches!(err, ApplyError::Domain(DomainError::TooManyUnits { count, .. }) if count == MAX_SEEDED_UNITS + 1),
        "{err}"
    );
    assert_eq!(p, before);
    // at the limit it seeds
    let mut p = MemProjection::default();
    let item = drill(&mut p, MAX_SEEDED_UNITS);
    let out = apply(&mut p, &ev(3, item, None, on), Mode::Full).unwrap();
    assert_eq!(out.units.len() as i64, MAX_SEEDED_UNITS);
}

#[test]
fn unit_rules_and_conflicts() {
    let mut p = MemProjection::default();
    let item = drill(&mut p, 1);
    let on = ev(
        3,
        item,
        None,
        EventKind::TrackingSwitched {
            to: Tracking::Units,
            discarded: Vec::new(),
        },
    );
    let unit = apply(&mut p, &on, Mode::Full).unwrap().units[0];
    let out = |p: &mut MemProjection, kind, base| {
        let mut e = ev(9, item, Some(unit), kind);
        e.base_version = base;
        apply(p, &e, Mode::Full)
    };
    out(
        &mut p,
        EventKind::CheckedOut {
            holder: "Ana".into(),
            due: Some("2026-12-01".into()),
            holder_id: None,
        },
        Some(1),
    )
    .unwrap();
    // Someone else set damaged on the old version: refused (checked out) ...
    let e = out(
        &mut p,
        EventKind::StatusChanged {
            to: Status::Damaged,
            reason: None,
        },
        Some(1),
    )
    .unwrap_err();
    assert!(matches!(e, ApplyError::Domain(DomainError::CheckedOut(..))));
    // ... while a check-in on the old version applies, flagged as a conflict.
    let a = out(
        &mut p,
        EventKind::CheckedIn {
            location: None,
            location_id: None,
        },
        Some(1),
    )
    .unwrap();
    assert!(a.conflict.is_some());
    assert_eq!(p.units[&unit].status, Status::InStock);
    assert_eq!(p.units[&unit].holder, None);
}

#[test]
fn names_and_tags_are_unique_letter_case_aside() {
    let mut p = MemProjection::default();
    let item = drill(&mut p, 2);
    let again = EventKind::ItemCreated {
        name: "DRILL".into(),
        sku: None,
        barcode: None,
        tracking: Tracking::Count,
        reorder_point: None,
    };
    let e = apply(&mut p, &ev(3, Uuid::now_v7(), None, again), Mode::Full).unwrap_err();
    assert!(
        matches!(e, ApplyError::Domain(DomainError::DuplicateItemName(_))),
        "{e:?}"
    );
    let on = EventKind::TrackingSwitched {
        to: Tracking::Units,
        discarded: Vec::new(),
    };
    let seeded = apply(&mut p, &ev(4, item, None, on), Mode::Full)
        .unwrap()
        .units;
    let tag = |t: &str| EventKind::UnitTagged {
        tag: Some(t.into()),
    };
    apply(
        &mut p,
        &ev(5, item, Some(seeded[0]), tag("TS-0001")),
        Mode::Full,
    )
    .unwrap();
    let e = apply(
        &mut p,
        &ev(6, item, Some(seeded[1]), tag("ts-0001")),
        Mode::Full,
    )
    .unwrap_err();
    assert!(
        matches!(e, ApplyError::Domain(DomainError::DuplicateTag { .. })),
        "{e:?}"
    );
    assert_eq!(
        p.unit_by_tag("ts-0001").unwrap().map(|u| u.id),
        Some(seeded[0])
    );
    let rename = EventKind::UnitRenamed {
        name: "drill 01".into(),
    };
    let e = apply(&mut p, &ev(7, item, Some(seeded[1]), rename), Mode::Full).unwrap_err();
    assert!(
        matches!(e, ApplyError::Domain(DomainError::DuplicateUnitName { .. })),
        "{e:?}"
    );
}

#[test]
fn an_archived_item_refuses_stock_and_unit_changes() {
    let mut p = MemProjection::default();
    let item = drill(&mut p, 2);
    apply(
        &mut p,
        &ev(3, item, None, EventKind::ItemArchived),
        Mode::Full,
    )
    .unwrap();
    assert!(p.items[&item].archived);
    let adj = EventKind::QuantityAdjusted {
        status: Status::InStock,
        delta: 1,
        reason: None,
    };
    let e = apply(&mut p, &ev(4, item, None, adj.clone()), Mode::Full).unwrap_err();
    assert!(
        matches!(e, ApplyError::Domain(DomainError::Archived(_))),
        "{e:?}"
    );
    let e = apply(
        &mut p,
        &ev(5, item, None, EventKind::ItemArchived),
        Mode::Full,
    )
    .unwrap_err();
    assert!(
        matches!(e, ApplyError::Domain(DomainError::NoChange(_))),
        "{e:?}"
    );
    apply(
        &mut p,
        &ev(6, item, None, EventKind::ItemUnarchived),
        Mode::Full,
    )
    .unwrap();
    apply(&mut p, &ev(7, item, None, adj), Mode::Full).unwrap();
    // Pieces checked out keep it from being archived.
    let out = EventKind::QuantityMoved {
        from: Status::InStock,
        to: Status::CheckedOut,
        qty: 1,
    };
    apply(&mut p, &ev(8, item, None, out), Mode::Full).unwrap();
    let e = apply(
        &mut p,
        &ev(9, item, None, EventKind::ItemArchived),
        Mode::Full,
    )
    .unwrap_err();
    assert!(
        matches!(e, ApplyError::Domain(DomainError::StillOut { .. })),
        "{e:?}"
    );
}

/// A Drill item switched to units (Drill 01, Drill 02), for people and places tests.
fn two_drills(p: &mut MemProjection) -> (ItemId, Vec<UnitId>) {
    let item = drill(p, 2);
    let on = EventKind::TrackingSwitched {
        to: Tracking::Units,
        discarded: Vec::new(),
    };
    let a = apply(p, &ev(3, item, None, on), Mode::Full).unwrap();
    (item, a.units)
}

fn person(name: &str, max: Option<i64>) -> EventKind {
    EventKind::PersonCreated(crate::people::PersonFields {
        name: name.into(),
        badges: vec![format!("B-{name}")],
        email: None,
        role: crate::people::Role::Borrower,
        active: true,
        max_checkouts: max,
        loan_days: None,
    })
}

fn out_to(holder: &str) -> EventKind {
    EventKind::CheckedOut {
        holder: holder.into(),
        due: None,
        holder_id: None,
    }
}

#[test]
fn a_check_out_the_rules_would_refuse_offline_is_applied_and_flagged() {
    let mut p = MemProjection::default();
    let (item, units) = two_drills(&mut p);
    // Nobody named Zed: the check-out happened, so it is applied, and flagged.
    let a = apply(
        &mut p,
        &ev(4, item, Some(units[0]), out_to("Zed")),
        Mode::Full,
    )
    .unwrap();
    assert!(a.conflict.unwrap().contains("Zed is not a known person"));
    // Ana may have one: her second is applied and flagged.
    let ana = Uuid::now_v7();
    apply(
        &mut p,
        &ev(5, ana, None, person("Ana", Some(1))),
        Mode::Full,
    )
    .unwrap();
    let back = EventKind::CheckedIn {
        location: None,
        location_id: None,
    };
    apply(&mut p, &ev(6, item, Some(units[0]), back), Mode::Full).unwrap();
    let a = apply(
        &mut p,
        &ev(7, item, Some(units[0]), out_to("b-ana")),
        Mode::Full,
    )
    .unwrap();
    assert_eq!(a.conflict, None, "by badge, within the limit");
    assert_eq!(p.units[&units[0]].holder.as_deref(), Some("Ana"));
    assert_eq!(p.units[&units[0]].holder_id, Some(ana));
    let a = apply(
        &mut p,
        &ev(8, item, Some(units[1]), out_to("ana")),
        Mode::Full,
    )
    .unwrap();
    assert!(a.conflict.unwrap().contains("over the limit of Ana"));
    assert_eq!(p.units[&units[1]].status, Status::CheckedOut);
}

#[test]
fn renames_and_erasure_show_on_the_units_they_touch() {
    let mut p = MemProjection::default();
    let (item, units) = two_drills(&mut p);
    let ana = Uuid::now_v7();
    apply(&mut p, &ev(4, ana, None, person("Ana", None)), Mode::Full).unwrap();
    apply(
        &mut p,
        &ev(5, item, Some(units[0]), out_to("Ana")),
        Mode::Full,
    )
    .unwrap();
    let shelf = Uuid::now_v7();
    let fields = |name: &str, parent| crate::locations::LocationFields {
        name: name.into(),
        kind: crate::locations::LocationKind::Shelf,
        parent,
        code: None,
        active: true,
    };
    apply(
        &mut p,
        &ev(
            6,
            shelf,
            None,
            EventKind::LocationCreated(fields("Shelf A", None)),
        ),
        Mode::Full,
    )
    .unwrap();
    let mv = EventKind::LocationMoved {
        location: Some("shelf a".into()),
        reason: None,
        location_id: None,
    };
    apply(&mut p, &ev(7, item, Some(units[1]), mv), Mode::Full).unwrap();
    assert_eq!(p.units[&units[1]].location.as_deref(), Some("Shelf A"));
    assert_eq!(p.units[&units[1]].location_id, Some(shelf));
    let renamed = EventKind::LocationEdited(fields("Shelf A1", None));
    apply(&mut p, &ev(8, shelf, None, renamed), Mode::Full).unwrap();
    assert_eq!(p.units[&units[1]].location.as_deref(), Some("Shelf A1"));
    let cycle = EventKind::LocationEdited(fields("Shelf A1", Some(shelf)));
    assert!(matches!(
        apply(&mut p, &ev(9, shelf, None, cycle), Mode::Full),
        Err(ApplyError::Domain(DomainError::LocationCycle(_)))
    ));
    let erased = EventKind::PersonErased {
        pseudonym: crate::people::pseudonym(ana),
    };
    apply(&mut p, &ev(10, ana, None, erased), Mode::Full).unwrap();
    let u = &p.units[&units[0]];
    assert_eq!(u.holder, Some(crate::people::pseudonym(ana)));
    assert!(p.people[&ana].erased && p.people[&ana].badges.is_empty());
    let again = EventKind::PersonEdited(match person("Ana", None) {
        EventKind::PersonCreated(f) => f,
        _ => unreachable!(),
    });
    assert!(matches!(
        apply(&mut p, &ev(11, ana, None, again), Mode::Full),
        Err(ApplyError::Domain(DomainError::Erased(_)))
    ));
}

#[test]
fn a_fold_is_refused_inside_the_write_while_a_unit_is_out() {
    let mut p = MemProjection::default();
    let (item, units) = two_drills(&mut p);
    apply(
        &mut p,
        &ev(4, item, Some(units[0]), out_to("Ana")),
        Mode::Full,
    )
    .unwrap();
    let fold = EventKind::TrackingSwitched {
        to: Tracking::Count,
        discarded: Vec::new(),
    };
    let refused = apply(&mut p, &ev(5, item, None, fold), Mode::Full);
    assert!(
        matches!(&refused, Err(ApplyError::Domain(DomainError::StillOut { what, .. })) if what.contains("Drill 01 (Ana)")),
        "{refused:?}"
    );
    assert!(p.units[&units[0]].active, "nothing folded");
}
