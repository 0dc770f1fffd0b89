//! The import rules on the in-memory ledger.

use super::*;
use crate::catalog::{create_item, NewItem};
use crate::mem::MemLedger;

fn actor() -> Actor {
    Actor::from("test")
}

fn qty(line: usize, item: &str, q: i64) -> Row {
    Row {
        line,
        item: item.into(),
        quantity: Some(q),
        ..Row::default()
    }
}

fn unit(line: usize, item: &str, name: &str, tag: &str) -> Row {
    Row {
        line,
        item: item.into(),
        unit: Some(name.into()),
        tag: Some(tag.into()),
        ..Row::default()
    }
}

#[test]
fn importing_the_same_quantities_twice_in_set_mode_changes_nothing() {
    let mut l = MemLedger::with_directory();
    let rows = || vec![qty(2, "Gloves", 40), qty(3, "Gloves", 20)];
    let first = import(&mut l, rows(), Quantities::Set, &actor()).unwrap();
    assert_eq!(first.items_created, 1);
    let gloves = l.find_item("Gloves").unwrap();
    assert_eq!(gloves.counts.get(Status::InStock), 60);
    let events = l.events().len();
    let again = import(&mut l, rows(), Quantities::Set, &actor()).unwrap();
    assert_eq!(
        l.find_item("Gloves").unwrap().counts.get(Status::InStock),
        60
    );
    assert_eq!(l.events().len(), events, "nothing recorded the second time");
    assert_eq!(again.quantities_adjusted, 0);
    assert!(again
        .changes
        .iter()
        .any(|c| c.kind == ChangeKind::Unchanged && c.text.contains("60 → 60 unchanged")));
    // Add mode adds (a delivery).
    import(&mut l, vec![qty(2, "gloves", 5)], Quantities::Add, &actor()).unwrap();
    assert_eq!(
        l.find_item("Gloves").unwrap().counts.get(Status::InStock),
        65
    );
}

#[test]
fn a_dry_run_lists_the_changes_and_records_nothing() {
    let mut l = MemLedger::with_directory();
    create_item(&mut l, NewItem::count("Gloves", 60), &actor()).unwrap();
    let before = l.events().len();
    let plan = dry_run(
        &mut l,
        vec![
            qty(2, "Gloves", 50),
            qty(3, "Glvoes", 10),
            unit(4, "Drill", "Drill 01", "TS-1"),
        ],
        Quantities::Set,
        &actor(),
    )
    .unwrap();
    assert_eq!(l.events().len(), before);
    let texts: Vec<&str> = plan.changes.iter().map(|c| c.text.as_str()).collect();
    assert!(texts.contains(&"new item \"Glvoes\" (count)"), "{texts:?}");
    assert!(texts.contains(&"\"Gloves\" in_stock 60 → 50"), "{texts:?}");
    assert!(
        texts.contains(&"new unit \"Drill 01\" of \"Drill\", tag \"TS-1\""),
        "{texts:?}"
    );
    assert_eq!(plan.items_created, 2);
    // A dry run checks by every rule: a tag already taken is refused with its row.
    let mut l2 = l.clone();
    import(
        &mut l2,
        vec![unit(2, "Drill", "Drill 01", "TS-1")],
        Quantities::Set,
        &actor(),
    )
    .unwrap();
    let e = dry_run(
        &mut l2,
        vec![unit(7, "Saw", "Saw 01", "ts-1")],
        Quantities::Set,
        &actor(),
    )
    .unwrap_err();
    assert_eq!(e.row, 7, "{e}");
}

#[test]
fn unit_rows_match_by_id_tag_or_name_and_change_only_what_differs() {
    let mut l = MemLedger::with_directory();
    import(
        &mut l,
        vec![unit(2, "Drill", "Drill 01", "TS-1")],
        Quantities::Set,
        &actor(),
    )
    .unwrap();
    let d1 = l.find_unit("TS-1").unwrap();
    let moved = Row {
        location: Some("Van 1".into()),
        ..unit(2, "Drill", "Drill 01", "ts-1")
    };
    let plan = import(&mut l, vec![moved], Quantities::Set, &actor()).unwrap();
    assert_eq!(plan.units_created, 0);
    assert_eq!(plan.units_changed, 1);
    let after = l.unit(d1.id).unwrap();
    assert_eq!(after.location.as_deref(), Some("Van 1"));
    assert_eq!(
        after.asset_tag.as_deref(),
        Some("TS-1"),
        "case-only difference kept as typed"
    );
    // By id, a new name is a rename.
    let renamed = Row {
        unit_id: Some(d1.id),
        ..unit(2, "Drill", "Drill A", "TS-1")
    };
    import(&mut l, vec![renamed], Quantities::Set, &actor()).unwrap();
    assert_eq!(l.unit(d1.id).unwrap().name, "Drill A");
}

#[test]
fn lending_is_checked_never_changed() {
    let mut l = MemLedger::with_directory();
    let new = Row {
        holder: Some("Ben".into()),
        due: Some("2030-01-31".into()),
        ..unit(2, "Laptop", "Laptop 01", "L1")
    };
    let plan = import(&mut l, vec![new.clone()], Quantities::Set, &actor()).unwrap();
    assert!(
        plan.changes[1].text.contains("checked out to \"Ben\""),
        "{:?}",
        plan.changes
    );
    let u = l.find_unit("L1").unwrap();
    assert_eq!(
        (u.status, u.holder.as_deref()),
        (Status::CheckedOut, Some("Ben"))
    );
    // The same row again agrees: unchanged.
    let again = import(&mut l, vec![new.clone()], Quantities::Set, &actor()).unwrap();
    assert_eq!(again.unchanged, 1);
    // Another holder, or checking in by file, is refused.
    let other = Row {
        holder: Some("Ana".into()),
        ..new.clone()
    };
    let e = import(&mut l, vec![other], Quantities::Set, &actor()).unwrap_err();
    assert!(
        e.error.user_message().contains("checked out to \"Ben\""),
        "{e}"
    );
    let back = Row {
        holder: None,
        status: Some(Status::InStock),
        ..new
    };
    let e = import(&mut l, vec![back], Quantities::Set, &actor()).unwrap_err();
    assert!(e.error.user_message().contains("checkin"), "{e}");
    assert_eq!(l.find_unit("L1").unwrap().holder.as_deref(), Some("Ben"));
}

#[test]
fn tracking_is_never_switched_by_a_file() {
    let mut l = MemLedger::with_directory();
    create_item(&mut l, NewItem::count("Cable", 3), &actor()).unwrap();
    let e = import(
        &mut l,
        vec![unit(2, "Cable", "Cable 01", "C1")],
        Quantities::Set,
        &actor(),
    )
    .unwrap_err();
    assert!(e.error.user_message().contains("tracked by count"), "{e}");
    let row = Row {
        tracking: Some(Tracking::Units),
        ..qty(2, "Cable", 3)
    };
    let e = import(&mut l, vec![row], Quantities::Set, &actor()).unwrap_err();
    assert!(e.error.user_message().contains("item track"), "{e}");
}
