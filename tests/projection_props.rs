//! Property: for any sequence of operations (switching tracking on and off included),
//! the derived totals equal a recount from the units, and replaying the stored log
//! from scratch gives exactly the state the store holds.

mod common;

use common::{cmd, TempStation};
use proptest::prelude::*;
use tagstation::catalog::{Status, Tracking};
use tagstation::event::{EventKind, MemProjection};
use tagstation::store::Store;
use uuid::Uuid;

#[derive(Debug, Clone)]
enum Op {
    Adjust(usize, usize, i64),
    Move(usize, usize, usize, i64),
    Switch(usize),
    AddUnit(usize, Option<u8>),
    SetStatus(usize, usize),
    CheckOut(usize),
    CheckIn(usize),
    Retire(usize),
    Tag(usize, u8),
    Field(usize, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 0..5usize, -5i64..10).prop_map(|(i, s, d)| Op::Adjust(i, s, d)),
        (0..3usize, 0..5usize, 0..5usize, 1i64..4).prop_map(|(i, a, b, q)| Op::Move(i, a, b, q)),
        (0..3usize).prop_map(Op::Switch),
        (0..3usize, proptest::option::of(0u8..6)).prop_map(|(i, t)| Op::AddUnit(i, t)),
        (0..40usize, 0..4usize).prop_map(|(u, s)| Op::SetStatus(u, s)),
        (0..40usize).prop_map(Op::CheckOut),
        (0..40usize).prop_map(Op::CheckIn),
        (0..40usize).prop_map(Op::Retire),
        (0..40usize, 0u8..6).prop_map(|(u, t)| Op::Tag(u, t)),
        (0..40usize, 0u8..3).prop_map(|(u, f)| Op::Field(u, f)),
    ]
}

fn run(store: &mut Store, items: &[Uuid], ops: &[Op]) {
    for op in ops {
        let units = store.units(None, false).unwrap();
        let unit = |i: usize| units.get(i % units.len().max(1)).map(|u| (u.item_id, u.id));
        let c = match op {
            Op::Adjust(i, s, d) => cmd(
                items[*i],
                None,
                EventKind::QuantityAdjusted {
                    status: Status::COUNTED[*s],
                    delta: *d,
                    reason: None,
                },
            ),
            Op::Move(i, a, b, q) => cmd(
                items[*i],
                None,
                EventKind::QuantityMoved {
                    from: Status::COUNTED[*a],
                    to: Status::COUNTED[*b],
                    qty: *q,
                },
            ),
            Op::Switch(i) => {
                let it = store.find_item(&items[*i].to_string()).unwrap();
                let to = if it.tracking == Tracking::Count {
                    Tracking::Units
                } else {
                    Tracking::Count
                };
                cmd(
                    items[*i],
                    None,
                    EventKind::TrackingSwitched {
                        to,
                        discarded: Vec::new(),
                    },
                )
            }
            Op::AddUnit(i, tag) => cmd(
                items[*i],
                Some(Uuid::now_v7()),
                EventKind::UnitCreated {
                    name: format!("U{}", Uuid::now_v7().simple()),
                    asset_tag: tag.map(|t| format!("T{t}")),
                    status: Status::InStock,
                    location: None,
                    fields: Default::default(),
                    location_id: None,
                },
            ),
            Op::SetStatus(u, s) => match unit(*u) {
                Some((i, u)) => cmd(
                    i,
                    Some(u),
                    EventKind::StatusChanged {
                        to: Status::SETTABLE[*s],
                        reason: None,
                    },
                ),
                None => continue,
            },
            Op::CheckOut(u) => match unit(*u) {
                Some((i, u)) => cmd(
                    i,
                    Some(u),
                    EventKind::CheckedOut {
                        holder: "Ana".into(),
                        due: None,
                        holder_id: None,
                    },
                ),
                None => continue,
            },
            Op::CheckIn(u) => match unit(*u) {
                Some((i, u)) => cmd(
                    i,
                    Some(u),
                    EventKind::CheckedIn {
                        location: Some("Shelf".into()),
                        location_id: None,
                    },
                ),
                None => continue,
            },
            Op::Retire(u) => match unit(*u) {
                Some((i, u)) => cmd(
                    i,
                    Some(u),
                    EventKind::UnitRetired {
                        reason: None,
                        customer: None,
                    },
                ),
                None => continue,
            },
            Op::Tag(u, t) => match unit(*u) {
                Some((i, u)) => cmd(
                    i,
                    Some(u),
                    EventKind::UnitTagged {
                        tag: Some(format!("T{t}")),
                    },
                ),
                None => continue,
            },
            Op::Field(u, f) => match unit(*u) {
                Some((i, u)) => cmd(
                    i,
                    Some(u),
                    EventKind::FieldSet {
                        key: "serial".into(),
                        value: (*f > 0).then(|| format!("S{f}")),
                    },
                ),
                None => continue,
            },
        };
        // Refusals are fine (and must leave no trace); successes are what we check.
        let _ = store.record(c);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]
    #[test]
    fn totals_match_recount_and_log_replays_to_same_state(ops in proptest::collection::vec(op(), 1..60)) {
        let st = TempStation::new();
        let mut store = st.open();
        let items: Vec<Uuid> = (0..3).map(|i| {
            let id = Uuid::now_v7();
            store.record(cmd(id, None, EventKind::ItemCreated {
                name: format!("Item {i}"), sku: None, barcode: None,
                tracking: if i == 0 { Tracking::Units } else { Tracking::Count }, reorder_point: None,
            })).unwrap();
            id
        }).collect();
        run(&mut store, &items, &ops);

        prop_assert!(store.check_consistency().unwrap().is_empty());
        // Replay the stored log into memory: same items, same units, same totals.
        let history = store.all_history().unwrap();
        let events: Vec<_> = history.iter().map(|h| tagstation::event::Event {
            id: h.event_id, station_id: h.station_id, station_seq: h.station_seq,
            actor: h.actor.clone(), wall_time_ms: 0, clock_synced: h.clock_synced,
            item_id: h.item_id, unit_id: h.unit_id, base_version: None, scan: h.scan.clone(),
            kind: h.data.clone(),
        }).collect();
        let mut mem = MemProjection::replay(&events);
        let seqs: Vec<i64> = history.iter().map(|h| h.station_seq).collect();
        prop_assert_eq!(seqs, (1..=history.len() as i64).collect::<Vec<_>>());
        let totals = mem.all_totals();
        for view in store.items().unwrap() {
            prop_assert_eq!(&view.totals, &totals[&view.id].full(), "item {}", view.name);
        }
        let units = store.units(None, true).unwrap();
        prop_assert_eq!(units.len(), mem.units.len());
        for u in units {
            let m = &mem.units[&u.id];
            prop_assert_eq!((u.status, &u.asset_tag, &u.holder, u.active, &u.fields, u.version),
                            (m.status, &m.asset_tag, &m.holder, m.active, &m.fields, m.version));
        }
        // And reopening the file changes nothing.
        drop(store);
        let again = st.open();
        prop_assert!(again.check_consistency().unwrap().is_empty());
    }
}
