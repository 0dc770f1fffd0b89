//! Kits against the in-memory ledger: one write out, one write back, what is missing
//! named, a unit in one kit at most, the kit's tag in the one namespace of codes.

use super::*;
use crate::catalog::{add_unit, create_item, NewItem, NewUnit};
use crate::mem::MemLedger;
use tagstation_core::event::DomainError;

fn setup() -> (MemLedger, Vec<Unit>, Actor) {
    let mut l = MemLedger::with_directory();
    let a = Actor::from("test");
    let mut units = Vec::new();
    for (item, n) in [("Camera body", 1), ("Lens", 2), ("Battery", 1)] {
        let item = create_item(&mut l, NewItem::units(item), &a).unwrap();
        for _ in 0..n {
            let new = NewUnit {
                tag: Some(format!("U-{}", units.len() + 1)),
                ..NewUnit::default()
            };
            let id = add_unit(&mut l, item, new, &a).unwrap().id;
            units.push(l.unit(id).unwrap());
        }
    }
    (l, units, a)
}

fn kit_of_all(l: &mut MemLedger, units: &[Unit], a: &Actor) -> Kit {
    add_kit(
        l,
        NewKit {
            name: "Camera kit A".into(),
            tag: Some("KIT-A".into()),
            units: units.iter().map(|u| u.asset_tag.clone().unwrap()).collect(),
        },
        a,
    )
    .unwrap()
}

#[test]
fn a_kit_goes_out_and_comes_back_in_one_write_each() {
    let (mut l, units, a) = setup();
    let kit = kit_of_all(&mut l, &units, &a);
    assert_eq!(find_kit(&l, "kit-a").unwrap().id, kit.id);
    let before = l.events().len();
    assert_eq!(
        check_out_kit(
            &mut l,
            kit.id,
            Action::lend("Ana", None, false),
            &a,
            Some("KIT-A")
        )
        .unwrap(),
        4
    );
    assert_eq!(l.events().len(), before + 4);
    let v = view(&l, &l.kit(kit.id).unwrap()).unwrap();
    assert!(v.out() && !v.all_in());
    assert!(v.units.iter().all(|u| u.holder.as_deref() == Some("Ana")));

    let back = check_in_kit(&mut l, kit.id, None, None, &a, Some("KIT-A")).unwrap();
    assert_eq!(back.checked_in.len(), 4);
    assert!(back.missing.is_empty());
    assert!(view(&l, &l.kit(kit.id).unwrap()).unwrap().all_in());
    assert!(matches!(
        l.events().last().unwrap().kind,
        EventKind::KitReturned { ref missing } if missing.is_empty()
    ));
}

#[test]
fn a_kit_with_a_unit_that_cannot_go_stays_in_and_names_it() {
    let (mut l, units, a) = setup();
    let kit = kit_of_all(&mut l, &units, &a);
    crate::lending::check_out(&mut l, &[units[2].id], "Ben", None, &a).unwrap();
    let before = l.events().len();
    let e = check_out_kit(&mut l, kit.id, Action::lend("Ana", None, false), &a, None).unwrap_err();
    let words = e.user_message();
    assert!(
        words.contains(&units[2].name) && words.contains("Ben"),
        "{words}"
    );
    assert_eq!(l.events().len(), before, "nothing recorded");
}

#[test]
fn a_kit_returned_short_is_incomplete_until_the_rest_is_in() {
    let (mut l, units, a) = setup();
    let kit = kit_of_all(&mut l, &units, &a);
    check_out_kit(&mut l, kit.id, Action::lend("Ana", None, false), &a, None).unwrap();
    let present: Vec<UnitId> = units[..3].iter().map(|u| u.id).collect();
    let back = check_in_kit(&mut l, kit.id, Some(&present), None, &a, None).unwrap();
    assert_eq!(back.missing, vec![units[3].name.clone()]);
    let v = view(&l, &l.kit(kit.id).unwrap()).unwrap();
    assert_eq!(v.missing, vec![units[3].name.clone()]);
    // The battery comes back later: the kit is whole again.
    crate::lending::check_in(&mut l, units[3].id, None, &a, None).unwrap();
    assert!(view(&l, &l.kit(kit.id).unwrap())
        .unwrap()
        .missing
        .is_empty());
}

#[test]
fn a_unit_is_in_one_kit_and_a_kit_tag_is_a_code_like_any_other() {
    let (mut l, units, a) = setup();
    kit_of_all(&mut l, &units[..2], &a);
    let e = add_kit(
        &mut l,
        NewKit {
            name: "Kit B".into(),
            tag: None,
            units: vec![units[1].asset_tag.clone().unwrap()],
        },
        &a,
    )
    .unwrap_err();
    assert!(
        matches!(e, OpError::Refused(DomainError::InOtherKit { .. })),
        "{e:?}"
    );
    // The tag of a unit cannot be a kit's, nor a kit's a unit's.
    let e = add_kit(
        &mut l,
        NewKit {
            name: "Kit B".into(),
            tag: Some("u-1".into()),
            units: vec![],
        },
        &a,
    )
    .unwrap_err();
    assert!(
        matches!(e, OpError::Refused(DomainError::DuplicateTag { .. })),
        "{e:?}"
    );
    // Taking a unit out of the first kit frees it for another.
    edit_kit(
        &mut l,
        "Camera kit A",
        KitChange {
            remove_units: vec![units[1].asset_tag.clone().unwrap()],
            ..KitChange::default()
        },
        &a,
    )
    .unwrap();
    let b = add_kit(
        &mut l,
        NewKit {
            name: "Kit B".into(),
            tag: None,
            units: vec![units[1].asset_tag.clone().unwrap()],
        },
        &a,
    )
    .unwrap();
    assert_eq!(kit_of(&l, units[1].id).unwrap().map(|k| k.id), Some(b.id));
}

#[test]
fn a_signed_kit_check_out_records_the_signature_with_each_unit() {
    use tagstation_core::signature::Signature;
    let (mut l, units, a) = setup();
    let kit = kit_of_all(&mut l, &units, &a);
    let signature = Signature {
        width: 400,
        height: 120,
        strokes: vec![vec![[10, 60], [80, 20]]],
    };
    let lend = Action::CheckOut {
        holder: "Ana".into(),
        due: None,
        over_reservation: false,
        signature: Some(signature.clone()),
    };
    let before = l.events().len();
    assert_eq!(check_out_kit(&mut l, kit.id, lend, &a, None).unwrap(), 4);
    let signed: Vec<UnitId> = l.events()[before..]
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Signed(s) if *s == signature => e.unit_id,
            _ => None,
        })
        .collect();
    let mut want: Vec<UnitId> = units.iter().map(|u| u.id).collect();
    let mut got = signed.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want, "one signed event per unit");
    // Anything but a check-out is refused.
    let e = check_out_kit(&mut l, kit.id, Action::CheckIn { location: None }, &a, None);
    assert!(e.is_err());
}
