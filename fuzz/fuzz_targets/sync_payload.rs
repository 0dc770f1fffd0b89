//! Sync payloads. The input is read both as the body of a push (`POST /v1/sync/push`, as the
//! hub decodes and checks it, then the rules of `apply` over an in-memory catalog) and as
//! a pull page (`GET /v1/sync/pull`, as a station decodes and applies it).
#![no_main]

use std::collections::{BTreeMap, BTreeSet};

use libfuzzer_sys::fuzz_target;
use tagstation_core::catalog::{Status, Tracking};
use tagstation_core::event::{apply, ApplyError, Event, MemProjection, Mode, StoredEvent};
use tagstation_core::proto::{
    decode_pushed, pushed_identity, PullResponse, PushRefusal, PushRequest, MAX_BODY_BYTES,
    MAX_PUSH_EVENTS,
};
use uuid::Uuid;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_BODY_BYTES {
        return; // the hub refuses the body unread
    }
    push(data);
    pull(data);
});

fn push(data: &[u8]) {
    let Ok(req) = serde_json::from_slice::<PushRequest>(data) else {
        return;
    };
    if req.events.len() > MAX_PUSH_EVENTS {
        return; // refused whole with 400
    }
    // The pushing station: the one the first event names, so events can be its own.
    let station = req
        .events
        .first()
        .and_then(|v| v.get("station_id"))
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::parse_str(s).ok())
        .unwrap_or_else(Uuid::nil);
    let mut catalog = MemProjection::default();
    for value in &req.events {
        let identity = pushed_identity(value);
        match decode_pushed(value, station) {
            Ok(ev) => {
                assert_eq!(ev.station_id, station);
                // the answer names the very event that was decoded
                assert_eq!(identity, (Some(ev.id), Some(ev.station_seq)));
                check_round_trip(&ev);
                // re-encoded as the station sends it, it is accepted again unchanged
                let value = serde_json::to_value(&ev).expect("an event is JSON");
                assert_eq!(decode_pushed(&value, station).as_ref(), Ok(&ev));
                apply_checked(&mut catalog, &ev, Mode::Full);
            }
            Err(PushRefusal::OtherStation { claimed }) => assert_ne!(claimed, station),
            // A newer station's kind: named plainly, never with a control character.
            // A known kind with a field this version does not know: the field's name is
            // escaped, never a raw control character.
            Err(PushRefusal::UnknownKind { kind, field }) => {
                assert!(kind
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
                assert!(field.is_none_or(|f| !f.chars().any(char::is_control)));
            }
            Err(e @ (PushRefusal::Malformed { .. } | PushRefusal::Invalid { .. })) => {
                let reason = e.to_string();
                assert!(!reason.is_empty());
                // a reason is logged and sent back: it never carries a raw control character
                assert!(
                    !reason.chars().any(char::is_control),
                    "raw control in {reason:?}"
                );
            }
        }
    }
    check_catalog(&catalog, Mode::Full);
}

fn pull(data: &[u8]) {
    let Ok(page) = serde_json::from_slice::<PullResponse>(data) else {
        return;
    };
    let json = serde_json::to_vec(&page).expect("a page is JSON");
    let back: PullResponse = match serde_json::from_slice(&json) {
        Ok(p) => p,
        Err(e) => panic!("a re-encoded page does not decode: {e}"),
    };
    assert_eq!(back.events, page.events);
    assert_eq!((back.cursor, back.more), (page.cursor, page.more));
    // As the station applies a page: the hub's verdict is trusted, refused events are
    // history only.
    let stored: Vec<StoredEvent> = page.events.into_iter().map(Into::into).collect();
    let mut catalog = MemProjection::default();
    for s in &stored {
        assert!(s.hub_seq.is_some());
        check_round_trip(&s.event);
        if s.outcome.applied {
            apply_checked(&mut catalog, &s.event, Mode::Trusted);
        }
    }
    check_catalog(&catalog, Mode::Trusted);
}

fn check_round_trip(ev: &Event) {
    let json = serde_json::to_vec(ev).expect("an event is JSON");
    match serde_json::from_slice::<Event>(&json) {
        Ok(back) => assert_eq!(&back, ev),
        Err(e) => panic!("a re-encoded event does not decode: {e}"),
    }
}

/// Apply one event; a refused event must leave the catalog exactly as it was.
fn apply_checked(catalog: &mut MemProjection, ev: &Event, mode: Mode) {
    let before = catalog.clone();
    match apply(catalog, ev, mode) {
        Ok(applied) => {
            for u in &applied.units {
                assert!(catalog.units.contains_key(u), "touched unit {u} is missing");
            }
        }
        Err(ApplyError::Domain(e)) => {
            assert!(
                *catalog == before,
                "refused event {} changed the catalog",
                ev.id
            );
            assert!(!e.user_message().is_empty());
        }
        Err(ApplyError::Store(never)) => match never {},
    }
}

/// What every state reached through `apply` keeps.
fn check_catalog(catalog: &MemProjection, mode: Mode) {
    for item in catalog.items.values() {
        assert!(item.version >= 1);
        for (status, n) in &item.counts.0 {
            assert!(*n > 0, "{} has {n} {status}", item.name);
            assert!(Status::COUNTED.contains(status));
        }
        if item.tracking == Tracking::Units {
            assert!(item.counts.0.is_empty(), "{} keeps counts", item.name);
        }
    }
    for unit in catalog.units.values() {
        assert!(unit.version >= 1);
        let item = catalog
            .items
            .get(&unit.item_id)
            .expect("a unit's item exists");
        if unit.active {
            assert_eq!(item.tracking, Tracking::Units, "{} counts units", item.name);
        }
        if unit.holder.is_some() {
            assert_eq!(
                unit.status,
                Status::CheckedOut,
                "{} has a holder",
                unit.name
            );
        }
    }
    if mode != Mode::Full {
        return; // catalog-wide uniqueness is the hub's to decide
    }
    let mut names = BTreeSet::new();
    let mut codes = BTreeMap::new();
    for item in catalog.items.values() {
        assert!(names.insert(&item.name), "item name {:?} twice", item.name);
        if let Some(b) = &item.barcode {
            assert!(codes.insert(b, item.id).is_none(), "code {b:?} twice");
        }
    }
    let mut unit_names = BTreeSet::new();
    for unit in catalog.units.values().filter(|u| u.active) {
        assert!(
            unit_names.insert((unit.item_id, &unit.name)),
            "unit name {:?} twice",
            unit.name
        );
        if let Some(t) = &unit.asset_tag {
            assert!(codes.insert(t, unit.id).is_none(), "code {t:?} twice");
        }
    }
}
