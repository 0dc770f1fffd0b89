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
