//! The local store against real database files: durability, schema versions, bad
//! input, a full or read-only disk.

mod common;

use common::{cmd, tagged_item, TempStation};
use tagstation::catalog::{Status, Tracking};
use tagstation::event::{DomainError, EventKind};
use tagstation::store::{Store, StoreError};
use uuid::Uuid;

#[test]
fn events_survive_reopen_with_gapless_sequence() {
    let st = TempStation::new();
    let (_, units) = {
        let mut s = st.open();
        let r = tagged_item(&mut s, "Drill", "D", 3);
        for u in &r.1 {
            let item = s.find_unit(&u.to_string()).unwrap().item_id;
            s.record(cmd(
                item,
                Some(*u),
                EventKind::StatusChanged {
                    to: Status::Sending,
                    reason: None,
                },
            ))
            .unwrap();
        }
        r
    };
    let s = st.open();
    let info = s.info().unwrap();
    assert_eq!(info.last_seq, 7);
    assert_eq!(info.pending, 7);
    let seqs: Vec<i64> = s
        .all_history()
        .unwrap()
        .iter()
        .map(|h| h.station_seq)
        .collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>());
    assert_eq!(s.find_unit("D-2").unwrap().status, Status::Sending);
    assert_eq!(s.history(units[0]).unwrap().len(), 2);
    assert!(s.check_consistency().unwrap().is_empty());
}

#[test]
fn wal_and_full_sync_are_on() {
    let st = TempStation::new();
    let s = st.open();
    let mode: String = s
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let sync: i64 = s
        .conn()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "synchronous=FULL");
}

#[test]
fn newer_schema_is_refused_not_rewritten() {
    let st = TempStation::new();
    drop(st.open());
    let db = st.path().join(tagstation::store::DB_FILE);
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let err = Store::open(st.path()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::SchemaTooNew {
                found: 99,
                supported
            } if supported == tagstation::store::schema::latest(tagstation::store::schema::Flavor::Station)
        ),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade tagstation"));
    assert_eq!(std::fs::read(&db).unwrap(), before, "file untouched");
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let st = TempStation::new();
    let mut s = st.open();
    let (item, units) = tagged_item(&mut s, "Laptop", "L", 2);
    let before = s.info().unwrap().last_seq;

    let dup = s.record(cmd(
        item,
        Some(units[1]),
        EventKind::UnitTagged {
            tag: Some("L-1".into()),
        },
    ));
    assert!(matches!(
        dup,
        Err(StoreError::Domain(DomainError::DuplicateTag { .. }))
    ));

    let ctl = s.record(cmd(
        item,
        Some(units[1]),
        EventKind::UnitRenamed {
            name: "bad\u{1b}[2J".into(),
        },
    ));
    assert!(matches!(ctl, Err(StoreError::Domain(DomainError::Text(_)))));

    let long = s.record(cmd(
        item,
        Some(units[1]),
        EventKind::UnitTagged {
            tag: Some("X".repeat(500)),
        },
    ));
    assert!(matches!(
        long,
        Err(StoreError::Domain(DomainError::Text(_)))
    ));

    let checkin = s.record(cmd(
        item,
        Some(units[0]),
        EventKind::CheckedIn {
            location: None,
            location_id: None,
        },
    ));
    assert!(matches!(
        checkin,
        Err(StoreError::Domain(DomainError::InvalidTransition { .. }))
    ));

    let derived = s.record(cmd(
        item,
        None,
        EventKind::QuantityAdjusted {
            status: Status::InStock,
            delta: 5,
            reason: None,
        },
    ));
    assert!(matches!(
        derived,
        Err(StoreError::Domain(DomainError::DerivedTotals { .. }))
    ));

    assert!(matches!(
        s.find_unit("NOPE"),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        s.info().unwrap().last_seq,
        before,
        "no sequence number used up"
    );
    assert_eq!(s.all_history().unwrap().len() as i64, before);
}

#[test]
fn negative_counts_are_refused() {
    let st = TempStation::new();
    let mut s = st.open();
    let item = Uuid::now_v7();
    s.record(cmd(
        item,
        None,
        EventKind::ItemCreated {
            name: "Gloves".into(),
            sku: None,
            barcode: Some("400123".into()),
            tracking: Tracking::Count,
            reorder_point: Some(5),
        },
    ))
    .unwrap();
    s.record(cmd(
        item,
        None,
        EventKind::QuantityAdjusted {
            status: Status::InStock,
            delta: 3,
            reason: None,
        },
    ))
    .unwrap();
    let err = s
        .record(cmd(
            item,
            None,
            EventKind::QuantityAdjusted {
                status: Status::InStock,
                delta: -4,
                reason: None,
            },
        ))
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::Domain(DomainError::NegativeCount {
            have: 3,
            want: 4,
            ..
        })
    ));
    assert_eq!(err.user_message(), "There are only 3 Gloves in stock.");
    let view = s.item_view(&s.find_item("400123").unwrap()).unwrap();
    assert_eq!(view.totals[&Status::InStock], 3);
    assert!(view.below_reorder_point);
}

#[test]
fn batch_is_all_or_nothing() {
    let st = TempStation::new();
    let mut s = st.open();
    let item = Uuid::now_v7();
    let ok = cmd(
        item,
        None,
        EventKind::ItemCreated {
            name: "Cable".into(),
            sku: None,
            barcode: None,
            tracking: Tracking::Count,
            reorder_point: None,
        },
    );
    let bad = cmd(
        item,
        None,
        EventKind::QuantityAdjusted {
            status: Status::Damaged,
            delta: -1,
            reason: None,
        },
    );
    let (idx, _) = s.record_batch(vec![ok, bad]).unwrap_err();
    assert_eq!(idx, 1);
    assert!(s.items().unwrap().is_empty());
    assert_eq!(s.info().unwrap().last_seq, 0);
}

#[test]
fn full_disk_is_a_clear_error_and_keeps_what_was_saved() {
    let st = TempStation::new();
    let mut s = st.open();
    let (item, units) = tagged_item(&mut s, "Camera", "C", 1);
    let saved = s.info().unwrap().last_seq;
    let pages: i64 = s
        .conn()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    s.set_max_pages(pages).unwrap();
    // Fill the last pages with long custom fields until SQLite reports the disk full.
    let mut full = None;
    for i in 0..10_000 {
        let r = s.record(cmd(
            item,
            Some(units[0]),
            EventKind::FieldSet {
                key: format!("k{i}"),
                value: Some("v".repeat(190)),
            },
        ));
        if let Err(e) = r {
            full = Some(e);
            break;
        }
    }
    let err = full.expect("the database must fill up");
    assert!(matches!(err, StoreError::StorageFull(_)), "{err}");
    assert!(err.user_message().starts_with("NOT SAVED"));
    let acked = s.info().unwrap().last_seq;
    assert!(acked >= saved);
    drop(s);
    // Everything acknowledged is still there, and the file is sound.
    let s = st.open();
    assert_eq!(s.info().unwrap().last_seq, acked);
    let ok: String = s
        .conn()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    assert_eq!(s.all_history().unwrap().len() as i64, acked);
}

#[test]
fn read_only_database_is_a_clear_error() {
    let st = TempStation::new();
    let mut s = st.open();
    let (item, units) = tagged_item(&mut s, "Meter", "M", 1);
    s.conn().pragma_update(None, "query_only", true).unwrap();
    let err = s
        .record(cmd(
            item,
            Some(units[0]),
            EventKind::StatusChanged {
                to: Status::Damaged,
                reason: None,
            },
        ))
        .unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly(_)), "{err}");
    s.conn().pragma_update(None, "query_only", false).unwrap();
    s.record(cmd(
        item,
        Some(units[0]),
        EventKind::StatusChanged {
            to: Status::Damaged,
            reason: None,
        },
    ))
    .unwrap();
}

#[test]
fn switching_keeps_totals_and_history() {
    let st = TempStation::new();
    let mut s = st.open();
    let item = Uuid::now_v7();
    s.record(cmd(
        item,
        None,
        EventKind::ItemCreated {
            name: "Drill".into(),
            sku: None,
            barcode: None,
            tracking: Tracking::Count,
            reorder_point: None,
        },
    ))
    .unwrap();
    s.record(cmd(
        item,
        None,
        EventKind::QuantityAdjusted {
            status: Status::InStock,
            delta: 4,
            reason: None,
        },
    ))
    .unwrap();
    s.record(cmd(
        item,
        None,
        EventKind::QuantityAdjusted {
            status: Status::Receiving,
            delta: 2,
            reason: None,
        },
    ))
    .unwrap();
    let on = s
        .record(cmd(
            item,
            None,
            EventKind::TrackingSwitched {
                to: Tracking::Units,
                discarded: Vec::new(),
            },
        ))
        .unwrap();
    assert_eq!(on.units.len(), 6);
    let names: Vec<String> = s
        .units(Some(item), false)
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(
        &names[..4],
        ["Drill 01", "Drill 02", "Drill 03", "Drill 04"]
    );
    let v = s.item_view(&s.find_item("Drill").unwrap()).unwrap();
    assert_eq!(
        (
            v.totals[&Status::InStock],
            v.totals[&Status::Receiving],
            v.total
        ),
        (4, 2, 6)
    );
    let d3 = s.find_unit("Drill 03").unwrap();
    s.record(cmd(
        item,
        Some(d3.id),
        EventKind::StatusChanged {
            to: Status::Damaged,
            reason: None,
        },
    ))
    .unwrap();
    s.record(cmd(
        item,
        None,
        EventKind::TrackingSwitched {
            to: Tracking::Count,
            discarded: Vec::new(),
        },
    ))
    .unwrap();
    let v = s.item_view(&s.find_item("Drill").unwrap()).unwrap();
    assert_eq!(
        (
            v.totals[&Status::InStock],
            v.totals[&Status::Damaged],
            v.total
        ),
        (3, 1, 6)
    );
    // The folded unit keeps its whole history: seeded, damaged, folded.
    let h = s.history(d3.id).unwrap();
    let kinds: Vec<&str> = h.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["tracking_switched", "status_changed", "tracking_switched"]
    );
}

#[test]
fn gs1_codes_resolve_to_item_and_unit_by_gtin_and_serial() {
    let st = TempStation::new();
    let mut s = st.open();
    let item = Uuid::now_v7();
    s.record(cmd(
        item,
        None,
        EventKind::ItemCreated {
            name: "Infusion pump".into(),
            sku: None,
            barcode: Some("9506000134352".into()),
            tracking: Tracking::Units,
            reorder_point: None,
        },
    ))
    .unwrap();
    let unit = Uuid::now_v7();
    let mut fields = std::collections::BTreeMap::new();
    fields.insert("serial".to_string(), "ABC123".to_string());
    s.record(cmd(
        item,
        Some(unit),
        EventKind::UnitCreated {
            name: "Pump 01".into(),
            asset_tag: None,
            status: Status::InStock,
            location: None,
            fields,
            location_id: None,
        },
    ))
    .unwrap();
    // GTIN-14 + serial (FNC1 as GS), and the human-readable form with expiry and lot.
    for code in [
        "]d20109506000134352\u{1d}21ABC123",
        "(01)09506000134352(17)261231(10)LOT1(21)ABC123",
    ] {
        match s.resolve(code).unwrap() {
            tagstation::store::Resolved::Unit { unit: u } => assert_eq!(u.id, unit, "{code}"),
            other => panic!("{code}: {other:?}"),
        }
    }
    // The GTIN alone (another serial): the item.
    match s.resolve("(01)09506000134352(21)ZZZ").unwrap() {
        tagstation::store::Resolved::Item { item: i } => assert_eq!(i.id, item),
        other => panic!("{other:?}"),
    }
}

/// One naming rule for every front end: units folded back into counts keep their names
/// in history, so a new unit never takes one (the CLI once reused them, the touch screen
/// did not).
#[test]
fn new_units_are_named_after_every_unit_ever_made() {
    let st = TempStation::new();
    let mut s = st.open();
    let (item, _) = tagged_item(&mut s, "Drill", "D", 3);
    assert_eq!(
        tagstation::ops::naming::next_unit_name(&s, item).unwrap(),
        "Drill 04"
    );
    // Fold Drill 01..03 into a count of 3, use 2, track units again: one unit is seeded.
    let kinds = [
        EventKind::TrackingSwitched {
            to: Tracking::Count,
            discarded: Vec::new(),
        },
        EventKind::QuantityAdjusted {
            status: Status::InStock,
            delta: -2,
            reason: None,
        },
        EventKind::TrackingSwitched {
            to: Tracking::Units,
            discarded: Vec::new(),
        },
    ];
    for kind in kinds {
        s.record(cmd(item, None, kind)).unwrap();
    }
    assert_eq!(s.units(Some(item), false).unwrap().len(), 1);
    assert_eq!(
        tagstation::ops::naming::next_unit_name(&s, item).unwrap(),
        "Drill 04",
        "Drill 02 and 03 are folded, not free"
    );
    // The CLI asks the same question.
    drop(s);
    let out = st.cli(&["unit", "add", "Drill"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("added unit Drill 04"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
