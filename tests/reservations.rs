//! Reservations end to end: on the command line of a station, and between stations
//! and a real hub on loopback (SQLite and PostgreSQL): they sync, a check-out to their
//! person picks them up everywhere, and the same unit reserved offline at two stations
//! is kept twice and flagged, never merged.

mod common;

use common::{sync, tagged_item, two_stations, TempStation};
use tagstation::clock::in_days;
use tagstation::ops::lending::{act, Action};
use tagstation::ops::reservations::{reserve, NewReservation};
use tagstation::ops::{Actor, Ledger, OpError};
use tagstation::reservations::{ReservationQuery, ReservationState};
use tagstation::store::Store;

fn for_unit(person: &str, tag: &str, from: i64, to: i64) -> NewReservation {
    NewReservation {
        units: vec![tag.into()],
        person: person.into(),
        starts: in_days(from),
        ends: Some(in_days(to)),
        ..NewReservation::default()
    }
}

fn all(s: &Store) -> Vec<tagstation::reservations::Reservation> {
    s.reservations(&ReservationQuery::default()).unwrap()
}

fn out_to(s: &mut Store, tag: &str, who: &str) -> Result<(), OpError> {
    let u = s.find_unit(tag).unwrap();
    act(
        s,
        u.id,
        Action::CheckOut {
            holder: who.into(),
            due: None,
            over_reservation: false,
            signature: None,
        },
        &Actor::from("op"),
        None,
    )
    .map(|_| ())
}

/// Two stations and a hub on `database`: reservations sync both ways, the offline
/// double booking is flagged at the hub and shown on both stations, a pick-up at one
/// station is seen at the other.
fn two_stations_and_a_hub(database: &str) {
    let (t, mut a, mut b) = two_stations(database, 2);
    let op = Actor::from("op");

    // Made at A, known at B after a sync: B refuses Ben's check-out over it.
    let ana = reserve(&mut a, for_unit("Ana", "C-1", 0, 2), &op).unwrap();
    sync(&mut a);
    sync(&mut b);
    assert_eq!(all(&b).len(), 1);
    let e = out_to(&mut b, "C-1", "Ben").unwrap_err();
    assert!(e.user_message().contains("reserved for Ana"), "{e}");

    // Both offline: each station books C-2 for the same day. Each alone is fine.
    let one = reserve(&mut a, for_unit("Ana", "C-2", 1, 1), &op).unwrap();
    let two = reserve(&mut b, for_unit("Ben", "C-2", 1, 3), &op).unwrap();
    sync(&mut a);
    let rb = sync(&mut b);
    assert_eq!(rb.conflicts, 1, "B's booking is flagged at the hub");
    sync(&mut a);
    for s in [&a, &b] {
        let ids: Vec<_> = all(s).iter().map(|r| r.id).collect();
        assert!(ids.contains(&one.id) && ids.contains(&two.id), "both kept");
        assert_eq!(s.conflicts().unwrap().len(), 1);
    }
    let (_, conflicts) = t.hub.admin("GET", "/v1/admin/conflicts", None);
    let conflicts = conflicts.as_array().unwrap().clone();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0]["event_id"].as_str().unwrap().len(), 36);
    let note = conflicts[0].to_string();
    assert!(note.contains("reserved twice"), "{note}");

    // Ana picks C-1 up at B: fulfilled there, and at A after the sync.
    out_to(&mut b, "C-1", "Ana").unwrap();
    assert_eq!(
        b.find_unit("C-1").unwrap().due.as_deref(),
        Some(in_days(2).as_str())
    );
    sync(&mut b);
    sync(&mut a);
    assert_eq!(
        a.reservation(ana.id).unwrap().state,
        ReservationState::Fulfilled
    );
}

#[test]
fn reservations_sync_and_offline_double_bookings_are_flagged_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    two_stations_and_a_hub(dir.path().to_str().unwrap());
}

#[cfg(feature = "hub")]
#[test]
fn reservations_sync_and_offline_double_bookings_are_flagged_on_postgres() {
    let Some(base) = common::pg_url() else { return };
    two_stations_and_a_hub(&common::fresh_pg_db(&base, "reservations_sync"));
}

#[test]
fn reservations_on_the_command_line() {
    let st = TempStation::new();
    st.add_directory();
    tagged_item(&mut st.open(), "Camera", "C", 2);
    let (from, to) = (in_days(1), in_days(3));
    let made = st.cli_json(&[
        "reservation",
        "add",
        "--unit",
        "C-1",
        "--for",
        "Ana",
        "--from",
        &from,
        "--to",
        &to,
        "--json",
    ]);
    assert_eq!(made["person"], "Ana");
    assert_eq!(made["state"], "open");
    let id = made["id"].as_str().unwrap().to_string();

    // The same unit for Ben on a shared day: refused, exit 2, naming Ana's days.
    let out = st.cli(&[
        "reservation",
        "add",
        "--unit",
        "C-1",
        "--for",
        "Ben",
        "--from",
        &to,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("reserved for Ana") && err.contains(&from),
        "{err}"
    );

    // A number of units of the item, and the list.
    let out = st.cli(&[
        "reservation",
        "add",
        "--item",
        "Camera",
        "--count",
        "1",
        "--for",
        "Ben",
        "--from",
        &from,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = String::from_utf8_lossy(&st.cli(&["reservation", "list"]).stdout).to_string();
    assert!(
        list.contains("Camera 01") && list.contains("1 × Camera"),
        "{list}"
    );
    assert_eq!(list.lines().count(), 2, "{list}");

    // Lending C-1 to Ben runs into Ana's days: refused, then overridden on record.
    let out = st.cli(&["checkout", "C-1", "--to", "Ben"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("reserved for Ana"), "{err}");
    let out = st.cli(&["checkout", "C-1", "--to", "Ben", "--override-reservation"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kinds: Vec<String> = st
        .open()
        .pending(1000)
        .unwrap()
        .iter()
        .map(|e| e.kind.name().to_string())
        .collect();
    // One write: the check-out, Ben's own reservation of a camera picked up with
    // it, and the override of Ana's.
    assert!(
        kinds.ends_with(&[
            "checked_out".into(),
            "reservation_fulfilled".into(),
            "reservation_overridden".into()
        ]),
        "{kinds:?}"
    );

    // Cancelled by the short id a list shows.
    let short = &id[id.len() - 8..];
    let out = st.cli(&["reservation", "cancel", short, "--reason", "trip off"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left = st.cli_json(&["reservation", "list", "--for", "Ana", "--json"]);
    assert_eq!(left.as_array().unwrap().len(), 0);
    let all = st.cli_json(&["reservation", "list", "--all", "--json"]);
    assert_eq!(all.as_array().unwrap().len(), 2);
}
