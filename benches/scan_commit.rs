//! HID scan to durable commit: from the last key event of a scanner burst (Enter) to
//! the event committed in the station's SQLite file — key decoding, text validation,
//! tag lookup, rules, sequence number, fsync. Beside it, in the same run, the cost of
//! one bare SQLite commit with `synchronous=FULL` in the same directory: the floor.
//!
//! `cargo bench --bench scan_commit` (target: p99 under 20 ms). `BENCH_SCANS` (1000),
//! `BENCH_UNITS` (10000). Without `--bench` it does a tiny smoke run.

use std::time::Instant;

use tagstation::action::{act_on_code, Action};
use tagstation::catalog::{Status, Tracking};
use tagstation::event::EventKind;
use tagstation::scan::hid::{keys::*, HidConfig, HidDecoder, HidOutput, EV_KEY};
use tagstation::store::{Command, Store};
use uuid::Uuid;

fn key_for(c: char) -> (u16, bool) {
    match c {
        'T' => (KEY_T, true),
        '-' => (KEY_MINUS, false),
        '0' => (KEY_0, false),
        d @ '1'..='9' => (KEY_1 + (d as u16 - '1' as u16), false),
        other => panic!("no key for {other:?}"),
    }
}

/// Key events of a scanner typing `text` then Enter, 3 ms apart.
fn burst(text: &str, t0: u64) -> Vec<(u64, u16, u16, i32)> {
    let mut ev = Vec::new();
    let mut t = t0;
    for c in text.chars().map(key_for).chain([(KEY_ENTER, false)]) {
        let (code, shift) = c;
        if shift {
            ev.push((t, EV_KEY, KEY_LEFTSHIFT, 1));
        }
        ev.push((t, EV_KEY, code, 1));
        ev.push((t + 500, EV_KEY, code, 0));
        if shift {
            ev.push((t + 600, EV_KEY, KEY_LEFTSHIFT, 0));
        }
        t += 3000;
    }
    ev
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (scans, units) = if full {
        (env("BENCH_SCANS", 1000), env("BENCH_UNITS", 10_000))
    } else {
        (30, 200)
    };
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let item = Uuid::now_v7();
    let mk = |unit_id, kind| Command {
        item_id: item,
        unit_id,
        kind,
        actor: "bench".into(),
        scan: None,
    };
    let mut cmds = vec![mk(
        None,
        EventKind::ItemCreated {
            name: "Drill".into(),
            sku: None,
            barcode: None,
            tracking: Tracking::Units,
            reorder_point: None,
        },
    )];
    for i in 0..units {
        cmds.push(mk(
            Some(Uuid::now_v7()),
            EventKind::UnitCreated {
                name: format!("Drill {i}"),
                asset_tag: Some(format!("T-{i}")),
                status: Status::InStock,
                location: None,
                fields: Default::default(),
                location_id: None,
            },
        ));
    }
    for c in cmds.chunks(2000) {
        store.record_batch(c.to_vec()).map_err(|(_, e)| e).unwrap();
    }

    let mut dec = HidDecoder::new(HidConfig::default());
    let mut lat = Vec::with_capacity(scans);
    let mut t0 = 0u64;
    for n in 0..scans {
        let code = format!("T-{}", (n * 7919) % units);
        let events = burst(&code, t0);
        t0 += 1_000_000;
        // The last two events are Enter's press (which ends the scan) and its release.
        let (last, head) = events.split_last().unwrap();
        let (press, keys) = head.split_last().unwrap();
        let mut line = None;
        for e in keys {
            assert!(dec.feed(e.0, e.1, e.2, e.3).is_none());
        }
        let start = Instant::now();
        if let Some(HidOutput::Line { text, .. }) = dec.feed(press.0, press.1, press.2, press.3) {
            line = Some(text);
        }
        let text = line.expect("a scan");
        let scan = tagstation::scan::text::ScanText::from_bytes(text.as_bytes()).unwrap();
        let status = if n % 2 == 0 {
            Status::Sending
        } else {
            Status::InStock
        };
        let r = act_on_code(
            &mut store,
            scan.as_str(),
            Action::SetStatus { status },
            "bench",
        );
        lat.push(start.elapsed().as_secs_f64() * 1000.0);
        assert!(
            r.is_ok() || matches!(r, Err(ref e) if e.is_user_error()),
            "{r:?}"
        );
        dec.feed(last.0, last.1, last.2, last.3);
    }
    // The floor: one row committed with synchronous=FULL, same directory, same count.
    let floor_db = rusqlite::Connection::open(dir.path().join("floor.db")).unwrap();
    floor_db
        .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .unwrap();
    floor_db.pragma_update(None, "synchronous", "FULL").unwrap();
    floor_db.execute("CREATE TABLE t (x INTEGER)", []).unwrap();
    let mut floor = Vec::with_capacity(scans);
    for i in 0..scans {
        let s = Instant::now();
        floor_db
            .execute("INSERT INTO t VALUES (?1)", [i as i64])
            .unwrap();
        floor.push(s.elapsed().as_secs_f64() * 1000.0);
    }
    for v in [&mut lat, &mut floor] {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    }
    println!("HID scan to durable commit, {scans} scans, catalog of {units} units:");
    println!(
        "  scan -> commit   p50 {:6.2} ms  p99 {:6.2} ms  max {:6.2} ms",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        lat[lat.len() - 1]
    );
    println!(
        "  bare commit      p50 {:6.2} ms  p99 {:6.2} ms  (synchronous=FULL floor, same run)",
        pct(&floor, 0.5),
        pct(&floor, 0.99)
    );
    println!(
        "  ratio p50 {:.2}, p99 {:.2}",
        pct(&lat, 0.5) / pct(&floor, 0.5),
        pct(&lat, 0.99) / pct(&floor, 0.99)
    );
}
