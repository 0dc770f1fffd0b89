//! The cost of a condition photo's sync: a station on loopback sends `BENCH_PHOTOS`
//! (40) photos of 44 KB (a real JPEG, `tests/data/zxing-cpp/qrcode-2/high-res-1.jpg`,
//! each made distinct by a counter after its end) to a SQLite hub, one round after
//! another, `PHOTOS_PER_ROUND` at a time. Reported: bytes on the wire and milliseconds
//! per photo, beside the baseline measured in the same run: a sync round that pushes
//! one event (a status change) and nothing else.
//!
//! `cargo bench --bench photos`; without `--bench` a tiny smoke run.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{tagged_item, TempStation, TestHub};
use tagstation::catalog::Status;
use tagstation::ops::lending::{act, Action};
use tagstation::ops::Actor;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let photos = if full {
        common::bench::env_usize("BENCH_PHOTOS", 40)
    } else {
        3
    };
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path().to_str().unwrap());
    let st = TempStation::new();
    let mut s = st.open();
    hub.enroll(&mut s, "Bench");
    let (_, units) = tagged_item(&mut s, "Drill", "D", 1);
    tagstation::sync::sync_once(&mut s, 500).unwrap();
    let a = Actor::from("bench");
    let jpeg = std::fs::read("tests/data/zxing-cpp/qrcode-2/high-res-1.jpg").unwrap();

    // Baseline: rounds that push one event each.
    let mut event_ms = Vec::new();
    let mut event_bytes = 0;
    for n in 0..photos {
        let status = if n % 2 == 0 {
            Status::Damaged
        } else {
            Status::InStock
        };
        act(&mut s, units[0], Action::SetStatus { status }, &a, None).unwrap();
        let t = Instant::now();
        let r = tagstation::sync::sync_once(&mut s, 500).unwrap();
        event_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        event_bytes += r.bytes_up + r.bytes_down;
    }

    // Photos: kept at the station, then sent by rounds with no events to push.
    let last = s.history(units[0]).unwrap().pop().unwrap().event_id;
    for n in 0..photos {
        let mut p = jpeg.clone();
        p.extend_from_slice(format!("{n:08}").as_bytes());
        s.keep_photo(last, units[0], &p).unwrap();
    }
    let t = Instant::now();
    let (mut sent, mut bytes) = (0, 0);
    while sent < photos {
        let r = tagstation::sync::sync_once(&mut s, 500).unwrap();
        assert!(r.photos_sent > 0, "a round sent no photo");
        sent += r.photos_sent;
        bytes += r.bytes_up + r.bytes_down;
    }
    let photo_ms = t.elapsed().as_secs_f64() * 1000.0 / photos as f64;
    event_ms.sort_by(f64::total_cmp);
    let round = event_ms[event_ms.len() / 2];
    println!(
        "photos: {photos} photos of {} bytes to a SQLite hub on loopback",
        jpeg.len() + 8
    );
    println!(
        "  one event's round   {round:>8.2} ms  {:>8} bytes (median round; bytes on average)",
        event_bytes / photos
    );
    println!(
        "  a photo             {photo_ms:>8.2} ms  {:>8} bytes  ({:.2} × an event's round)",
        bytes / photos,
        photo_ms / round
    );
}
