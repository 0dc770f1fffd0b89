//! A fleet on mixed versions, against a real hub on loopback: an older station pulls
//! a change it does not know — a new kind, or a known kind with a new field — (kept,
//! shown as needing an update, sync goes on, applied after the update), and a station
//! newer than its hub pushes one the hub does not know (refused without quarantine,
//! kept queued until the hub is upgraded). Each case runs for both.
//!
//! A newer peer is simulated by writing its event straight into a real database: into
//! the hub's log (as if a newer hub had taken it from a newer station) or into the
//! station's queue (as if a newer binary had recorded it).

mod common;

use common::{cli, cmd, sync, tagged_item, TempStation, TestHub};
use rusqlite::params;
use tagstation::catalog::Status;
use tagstation::event::EventKind;
use tagstation::store::Store;
use uuid::Uuid;

/// A kind this version does not know.
const UNKNOWN: &str = r#"{"type":"unit_sold","customer":"ACME Ltd","invoice":"R-77"}"#;
/// A kind this version knows, with a field it does not (a condition photo, say).
const NEWER_FIELD: &str = r#"{"type":"status_changed","to":"damaged","photo":"p-1"}"#;

/// The `type` of a raw change.
fn kind_of(payload: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(payload).unwrap();
    v["type"].as_str().unwrap().to_string()
}

/// Append `payload`, a change this version does not know, to the hub's SQLite log, as
/// a newer hub would have stored it, on `unit` of `item`.
fn inject_into_hub_log(hub_dir: &std::path::Path, item: Uuid, unit: Uuid, payload: &str) -> Uuid {
    let c = rusqlite::Connection::open(hub_dir.join("hub.db")).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let id = Uuid::now_v7();
    let seq: i64 = c
        .query_row(
            "UPDATE hub_meta SET last_hub_seq = last_hub_seq + 1 RETURNING last_hub_seq",
            [],
            |r| r.get(0),
        )
        .unwrap();
    c.execute(
        "INSERT INTO events (id, station_id, station_seq, actor, wall_time_ms, clock_synced,
                             item_id, unit_id, base_version, scan, kind, payload, hub_seq,
                             applied, conflict, note)
         VALUES (?1, ?2, 1, 'newer-station', 1767225600000, 1, ?3, ?4, NULL, NULL,
                 ?7, ?5, ?6, 1, 0, NULL)",
        params![
            id.to_string(),
            Uuid::now_v7().to_string(),
            item.to_string(),
            unit.to_string(),
            payload,
            seq,
            kind_of(payload),
        ],
    )
    .unwrap();
    id
}

#[test]
fn an_older_station_keeps_a_kind_it_does_not_know_and_keeps_syncing() {
    older_station_keeps(UNKNOWN);
}

#[test]
fn an_older_station_keeps_a_field_it_does_not_know_and_keeps_syncing() {
    older_station_keeps(NEWER_FIELD);
}

fn older_station_keeps(payload: &str) {
    let hub_dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(hub_dir.path().to_str().unwrap());
    let (a_dir, b_dir) = (TempStation::new(), TempStation::new());
    let (mut a, mut b) = (a_dir.open(), b_dir.open());
    hub.enroll(&mut a, "Van 1");
    hub.enroll(&mut b, "Shop door");
    let (item, units) = tagged_item(&mut a, "Laptop", "L", 2);
    sync(&mut a);

    let unknown = inject_into_hub_log(hub_dir.path(), item, units[0], payload);
    // A later, ordinary change after it: B must get past the unknown one to see it.
    a.record(cmd(
        item,
        Some(units[1]),
        EventKind::StatusChanged {
            to: Status::Damaged,
            reason: None,
        },
    ))
    .unwrap();
    sync(&mut a);

    let r = sync(&mut b);
    assert!(r.pulled >= 4, "{r:?}");
    assert_eq!(b.find_unit("L-2").unwrap().status, Status::Damaged);
    assert_eq!(
        b.find_unit("L-1").unwrap().status,
        Status::InStock,
        "never applied without what it carries"
    );
    let info = b.info().unwrap();
    assert_eq!(info.needs_update, 1);
    assert!(info.last_error.is_none(), "{info:?}");
    // Kept in history, shown in words, and its raw change kept as it came.
    let h = b.history(units[0]).unwrap();
    let e = h
        .iter()
        .find(|e| e.event_id == unknown)
        .expect("kept in history");
    assert_eq!(e.kind, kind_of(payload));
    assert!(
        e.description
            .contains("this station needs an update to show this change"),
        "{e:?}"
    );
    assert_eq!(e.data, serde_json::from_str::<EventKind>(payload).unwrap());
    assert_eq!(
        serde_json::to_value(&e.data).unwrap(),
        serde_json::from_str::<serde_json::Value>(payload).unwrap()
    );
    // The text views say it too.
    drop(b);
    let out = cli(b_dir.path(), &["history", "L-1"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("this station needs an update to show this change"),
        "{text}"
    );
    let out = cli(b_dir.path(), &["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("this station needs an update to show 1 changes"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "versions     station {v}, hub {v}",
            v = env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );

    // Sync goes on: nothing is stuck on the unknown change.
    let mut b = b_dir.open();
    a.record(cmd(
        item,
        Some(units[1]),
        EventKind::StatusChanged {
            to: Status::InStock,
            reason: None,
        },
    ))
    .unwrap();
    sync(&mut a);
    sync(&mut b);
    assert_eq!(b.find_unit("L-2").unwrap().status, Status::InStock);
    assert!(b.check_consistency().unwrap().is_empty());

    // After an update the kind is known: the kept change is applied at open. (The
    // update is simulated by turning the stored change into one this build knows.)
    b.conn()
        .execute(
            "UPDATE events SET kind = 'status_changed', payload = ?2 WHERE id = ?1",
            params![
                unknown.to_string(),
                r#"{"type":"status_changed","to":"sending"}"#
            ],
        )
        .unwrap();
    drop(b);
    let b = b_dir.open();
    assert_eq!(b.find_unit("L-1").unwrap().status, Status::Sending);
    assert_eq!(b.info().unwrap().needs_update, 0);
    assert!(b.check_consistency().unwrap().is_empty());
}

/// Queue `payload`, a change the hub does not know, as a newer binary would record it.
fn inject_into_queue(s: &Store, item: Uuid, unit: Uuid, payload: &str) -> Uuid {
    let c = s.conn();
    let seq: i64 = c
        .query_row(
            "UPDATE station SET last_seq = last_seq + 1 RETURNING last_seq",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let id = Uuid::now_v7();
    c.execute(
        "INSERT INTO events (id, station_id, station_seq, actor, wall_time_ms, clock_synced,
                             item_id, unit_id, base_version, scan, kind, payload)
         VALUES (?1, ?2, ?3, 'tester', 1767225600000, 1, ?4, ?5, 1, NULL, ?7, ?6)",
        params![
            id.to_string(),
            s.station_id().to_string(),
            seq,
            item.to_string(),
            unit.to_string(),
            payload,
            kind_of(payload),
        ],
    )
    .unwrap();
    id
}

#[test]
fn a_station_newer_than_its_hub_keeps_a_new_kind_queued_until_the_hub_is_upgraded() {
    newer_station_waits(UNKNOWN, "changes of kind \"unit_sold\"");
}

#[test]
fn a_station_newer_than_its_hub_keeps_a_new_field_queued_until_the_hub_is_upgraded() {
    newer_station_waits(
        NEWER_FIELD,
        "the field \"photo\" of changes of kind \"status_changed\"",
    );
}

fn newer_station_waits(payload: &str, says: &str) {
    let hub_dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(hub_dir.path().to_str().unwrap());
    let st = TempStation::new();
    let mut a = st.open();
    hub.enroll(&mut a, "Van 1");
    let (item, units) = tagged_item(&mut a, "Laptop", "L", 2);
    sync(&mut a);
    let before = hub.stats();

    let held = inject_into_queue(&a, item, units[0], payload);
    a.record(cmd(
        item,
        Some(units[1]),
        EventKind::StatusChanged {
            to: Status::Damaged,
            reason: None,
        },
    ))
    .unwrap();

    // Refused, but not as malformed: nothing quarantined, nothing marked rejected,
    // both events still queued in order, and sync itself does not fail.
    for _ in 0..2 {
        let r = sync(&mut a);
        assert_eq!((r.pushed, r.rejected), (0, 0), "{r:?}");
        assert_eq!(r.waiting_for_hub_upgrade, 2, "{r:?}");
        let why = r.waiting_reason.unwrap_or_default();
        assert!(why.contains(says) && why.contains("upgraded"), "{why}");
    }
    let info = a.info().unwrap();
    assert_eq!((info.pending, info.rejected), (2, 0));
    assert!(info.waiting_for_hub_upgrade.is_some());
    assert_eq!(info.hub_version.as_deref(), Some(env!("CARGO_PKG_VERSION")));
    let after = hub.stats();
    assert_eq!(after.quarantined, before.quarantined);
    assert_eq!(after.hub_seq, before.hub_seq);
    let pending = a.pending(10).unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0].id, held);
    assert_eq!(pending[0].kind.name(), kind_of(payload));

    // `status` says it in words.
    drop(a);
    let out = st.cli(&["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("2 events wait for the hub to be upgraded")
            && text.contains(&format!("does not know {says}")),
        "{text}"
    );
    let json = st.cli_json(&["status", "--json"]);
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["hub_version"], env!("CARGO_PKG_VERSION"));

    // Once the hub knows the kind (simulated: the queued change becomes one this build
    // knows), the queue drains in order and the warning clears.
    let mut a = st.open();
    a.conn()
        .execute(
            "UPDATE events SET kind = 'status_changed', payload = ?2 WHERE id = ?1",
            params![
                held.to_string(),
                r#"{"type":"status_changed","to":"sending"}"#
            ],
        )
        .unwrap();
    let r = sync(&mut a);
    assert_eq!((r.pushed, r.waiting_for_hub_upgrade), (2, 0), "{r:?}");
    let info = a.info().unwrap();
    assert_eq!(info.pending, 0);
    assert!(info.waiting_for_hub_upgrade.is_none());
}
