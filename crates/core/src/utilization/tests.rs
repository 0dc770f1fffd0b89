//! [`super::utilization`] over a known history with fixed wall times.

use uuid::Uuid;

use super::*;
use crate::catalog::Tracking;
use crate::event::{seeded_unit_id, Event, Outcome};

const H: i64 = 3_600_000;

struct Log(Vec<StoredEvent>);

impl Log {
    fn at(&mut self, t: i64, item: ItemId, unit: Option<UnitId>, kind: EventKind) -> Uuid {
        self.push(t, item, unit, kind, true)
    }

    fn push(
        &mut self,
        t: i64,
        item: ItemId,
        unit: Option<UnitId>,
        kind: EventKind,
        applied: bool,
    ) -> Uuid {
        let id = Uuid::now_v7();
        let n = self.0.len() as i64 + 1;
        self.0.push(StoredEvent {
            event: Event {
                id,
                station_id: Uuid::nil(),
                station_seq: n,
                actor: "test".into(),
                wall_time_ms: t,
                clock_synced: true,
                item_id: item,
                unit_id: unit,
                base_version: None,
                scan: None,
                kind,
            },
            hub_seq: Some(n),
            outcome: Outcome {
                applied,
                ..Outcome::default()
            },
        });
        id
    }

    fn item(&mut self, t: i64, name: &str, tracking: Tracking) -> ItemId {
        let id = Uuid::now_v7();
        self.at(
            t,
            id,
            None,
            EventKind::ItemCreated {
                name: name.into(),
                sku: None,
                barcode: None,
                tracking,
                reorder_point: None,
            },
        );
        id
    }

    fn unit(&mut self, t: i64, item: ItemId, name: &str) -> UnitId {
        let id = Uuid::now_v7();
        self.at(
            t,
            item,
            Some(id),
            EventKind::UnitCreated {
                name: name.into(),
                asset_tag: None,
                status: Status::InStock,
                location: None,
                fields: Default::default(),
                location_id: None,
            },
        );
        id
    }
}

fn out(holder: &str) -> EventKind {
    EventKind::CheckedOut {
        holder: holder.into(),
        due: None,
        holder_id: None,
    }
}

fn back() -> EventKind {
    EventKind::CheckedIn {
        location: None,
        location_id: None,
    }
}

fn status(to: Status) -> EventKind {
    EventKind::StatusChanged { to, reason: None }
}

fn switch(to: Tracking) -> EventKind {
    EventKind::TrackingSwitched {
        to,
        discarded: Vec::new(),
    }
}

/// Laptops lent now and then, a drill that never came back, a cable folded into a
/// count half way, a sold and returned laptop, a refused check-out and a clock that
/// jumped back.
fn history() -> (Log, [UnitId; 5], [ItemId; 3]) {
    let mut log = Log(Vec::new());
    let laptop = log.item(0, "Laptop", Tracking::Units);
    let l1 = log.unit(0, laptop, "Laptop 01");
    let l3 = log.unit(0, laptop, "Laptop 03");
    log.at(10 * H, laptop, Some(l1), out("Ana"));
    let l2 = log.unit(20 * H, laptop, "Laptop 02");
    log.at(30 * H, laptop, Some(l1), back());
    log.at(
        40 * H,
        laptop,
        Some(l3),
        EventKind::UnitRetired {
            reason: Some("sold".into()),
            customer: Some("ACME".into()),
        },
    );
    log.at(50 * H, laptop, Some(l1), out("Ben"));
    log.at(60 * H, laptop, Some(l1), back());
    // Refused at the hub (kept as history): changed nothing.
    log.push(70 * H, laptop, Some(l2), out("Cy"), false);
    log.at(80 * H, laptop, Some(l1), status(Status::Damaged));
    log.at(
        90 * H,
        laptop,
        Some(l3),
        EventKind::UnitReturned {
            location: None,
            reason: None,
            location_id: None,
        },
    );

    // Two drills counted, then tracked unit by unit: the seeded units' times count.
    let drill = log.item(0, "Drill", Tracking::Count);
    log.at(
        0,
        drill,
        None,
        EventKind::QuantityAdjusted {
            status: Status::InStock,
            delta: 2,
            reason: None,
        },
    );
    let seed = log.at(0, drill, None, switch(Tracking::Units));
    let (d1, d2) = (seeded_unit_id(seed, 1), seeded_unit_id(seed, 2));
    log.at(5 * H, drill, Some(d1), out("Dan"));
    log.at(
        45 * H,
        drill,
        Some(d2),
        EventKind::LocationMoved {
            location: Some("Van".into()),
            reason: None,
            location_id: None,
        },
    );
    // Stamped before the move it follows: counted from the move.
    log.at(35 * H, drill, Some(d2), status(Status::Damaged));

    // A cable tracked by unit, folded back into a count at 40 h.
    let cable = log.item(0, "Cable", Tracking::Units);
    log.unit(0, cable, "Cable 01");
    log.at(40 * H, cable, None, switch(Tracking::Count));
    (log, [l1, l2, l3, d1, d2], [laptop, drill, cable])
}

fn unit(r: &Utilization, id: UnitId) -> &UnitUse {
    r.units
        .iter()
        .find(|u| u.unit_id == id)
        .expect("unit in report")
}

#[test]
fn shares_and_checkouts_over_the_whole_window() {
    let (log, [l1, l2, l3, d1, d2], [laptop, drill, cable]) = history();
    let r = utilization(
        &log.0,
        Window {
            since_ms: 0,
            until_ms: 100 * H,
        },
    );
    let l1u = unit(&r, l1);
    assert_eq!(
        (
            l1u.in_service_ms,
            l1u.checked_out_ms,
            l1u.not_in_stock_ms,
            l1u.checkouts
        ),
        (100 * H, 30 * H, 50 * H, 2)
    );
    assert_eq!((l1u.checked_out_share, l1u.not_in_stock_share), (0.3, 0.5));
    let l2u = unit(&r, l2);
    assert_eq!(
        (l2u.in_service_ms, l2u.checked_out_ms, l2u.checkouts),
        (80 * H, 0, 0),
        "created at 20 h; the refused check-out changed nothing"
    );
    let l3u = unit(&r, l3);
    assert_eq!(
        l3u.in_service_ms,
        50 * H,
        "sold from 40 h to 90 h: out of service"
    );
    let d1u = unit(&r, d1);
    assert_eq!(
        (d1u.name.as_str(), d1u.checked_out_ms, d1u.checkouts),
        ("Drill 01", 95 * H, 1)
    );
    assert_eq!(d1u.checked_out_share, 0.95);
    let d2u = unit(&r, d2);
    assert_eq!(
        (d2u.in_service_ms, d2u.not_in_stock_ms),
        (100 * H, 55 * H),
        "damaged from the move at 45 h, not from its earlier stamp"
    );
    let c = r.units.iter().find(|u| u.item_id == cable).unwrap();
    assert_eq!(
        (c.in_service_ms, c.checked_out_ms),
        (40 * H, 0),
        "folded at 40 h"
    );
    assert!(c.folded && !l1u.folded);

    // Units: most used first.
    assert_eq!(r.units[0].unit_id, d1);
    assert_eq!(r.units[1].unit_id, l1);
    // Items ranked by the share of their units' time out.
    let ranked: Vec<(usize, ItemId, i64, i64, i64)> = r
        .items
        .iter()
        .map(|i| {
            (
                i.rank,
                i.item_id,
                i.in_service_ms,
                i.checked_out_ms,
                i.checkouts,
            )
        })
        .collect();
    assert_eq!(
        ranked,
        [
            (1, drill, 200 * H, 95 * H, 1),
            (2, laptop, 230 * H, 30 * H, 2),
            (3, cable, 40 * H, 0, 0),
        ]
    );
    assert_eq!(r.items[0].checked_out_share, 0.475);
    assert_eq!(r.items[1].units, 3);
}

#[test]
fn a_window_clips_time_and_counts_only_its_checkouts() {
    let (log, [l1, _, l3, d1, _], [_, _, cable]) = history();
    let r = utilization(
        &log.0,
        Window {
            since_ms: 50 * H,
            until_ms: 100 * H,
        },
    );
    let l1u = unit(&r, l1);
    assert_eq!(
        (l1u.in_service_ms, l1u.checked_out_ms, l1u.checkouts),
        (50 * H, 10 * H, 1)
    );
    assert_eq!(l1u.checked_out_share, 0.2);
    let d1u = unit(&r, d1);
    assert_eq!((d1u.checked_out_share, d1u.checkouts), (1.0, 0));
    assert_eq!(unit(&r, l3).in_service_ms, 10 * H, "back in stock at 90 h");
    assert!(
        r.units.iter().all(|u| u.item_id != cable),
        "folded before the window: not in the report"
    );
    assert!(r.items.iter().all(|i| i.item_id != cable));
}

#[test]
fn windows_from_dates() {
    let w = Window::from_dates(Some("2026-11-01"), Some("2026-11-30"), 5, 10).unwrap();
    assert_eq!(w.since_ms, 1_793_491_200_000);
    assert_eq!(
        w.until_ms - w.since_ms,
        30 * 24 * H,
        "through the end of the 30th"
    );
    let w = Window::from_dates(None, None, 5, 10).unwrap();
    assert_eq!((w.since_ms, w.until_ms), (5, 10));
    assert!(
        Window::from_dates(Some("2026-12-01"), Some("2026-11-30"), 0, 1)
            .unwrap_err()
            .contains("empty")
    );
    assert!(Window::from_dates(Some("1 Nov"), None, 0, 1).is_err());
}

/// Timelines fed the log in pages, some pages twice (two readers), report exactly what
/// one replay of the whole log does, over any window.
#[test]
fn timelines_fed_in_pages_match_one_replay() {
    let (log, _, _) = history();
    let windows = [
        Window {
            since_ms: 0,
            until_ms: 100 * H,
        },
        Window {
            since_ms: 15 * H,
            until_ms: 35 * H,
        },
    ];
    let mut t = Timelines::default();
    for page in log.0.chunks(3) {
        t.feed(page);
        t.feed(page);
    }
    assert_eq!(t.last_seq(), log.0.len() as i64);
    for w in windows {
        assert_eq!(t.utilization(w), utilization(&log.0, w));
    }
    // What is fed later counts: the report grows with the log.
    let mut half = Timelines::default();
    half.feed(&log.0[..log.0.len() / 2]);
    assert_ne!(half.utilization(windows[0]), t.utilization(windows[0]));
    half.feed(&log.0);
    assert_eq!(half.utilization(windows[0]), t.utilization(windows[0]));
}
