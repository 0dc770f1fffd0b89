//! The HID key translator. The input is read twice: as `evemu-record` text (parsed, then
//! replayed like a recording) and as binary key events, four bytes each
//! (`[delay, type, code, value]`), replayed through the decoder for every layout.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tagstation_core::scan::gs1;
use tagstation_core::scan::hid::{
    self, HidConfig, HidOutput, InputEvent, Layout, Origin, EV_KEY, EV_MSC, EV_SYN,
};
use tagstation_core::scan::text::{ScanText, TextError, GS};

/// The decoder settings a station runs with: both layouts, with and without a suffix-less
/// idle end, and a small buffer so overflows happen.
fn configs() -> [HidConfig; 4] {
    let small = |layout| HidConfig {
        layout,
        max_len: 16,
        idle_end_us: Some(50_000),
        ..HidConfig::default()
    };
    [
        HidConfig::default(),
        HidConfig {
            layout: Layout::De,
            ..HidConfig::default()
        },
        small(Layout::Us),
        small(Layout::De),
    ]
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match hid::parse_evemu(text) {
            Ok(rec) => {
                check_evemu_round_trip(&rec.events);
                replay_all(&rec.events);
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    replay_all(&key_events(data));
});

/// Four bytes per event. The delay is squared so that both scanner bursts (under 30 ms)
/// and typing or idle gaps come up; 255 jumps 11 s (past the decoder's idle reset).
fn key_events(data: &[u8]) -> Vec<InputEvent> {
    let mut ts = 1_000_000u64;
    data.chunks_exact(4)
        .map(|c| {
            ts += match c[0] {
                255 => 11_000_000,
                d => u64::from(d) * u64::from(d) * 4,
            };
            let ev_type = match c[1] {
                0..=239 => EV_KEY,
                240..=247 => EV_SYN,
                248..=251 => EV_MSC,
                t => u16::from(t),
            };
            let value = match c[3] % 4 {
                0 => 0,
                1 => 1,
                2 => 2,
                _ => i32::from(c[3] as i8),
            };
            InputEvent {
                ts_us: ts,
                ev_type,
                code: u16::from(c[2]),
                value,
            }
        })
        .collect()
}

fn replay_all(events: &[InputEvent]) {
    let monotonic = events.windows(2).all(|w| w[0].ts_us <= w[1].ts_us);
    for cfg in configs() {
        for out in hid::replay(events, cfg) {
            check_output(&out, &cfg, monotonic);
        }
    }
}

fn check_output(out: &HidOutput, cfg: &HidConfig, monotonic: bool) {
    match out {
        HidOutput::Line {
            text,
            origin,
            first_us,
            last_us,
            max_gap_us,
            unmapped,
        } => {
            assert!(
                text.chars().count() < cfg.max_len,
                "a line reached max_len without an overflow"
            );
            assert!(
                text.chars().all(|c| !c.is_control() || c == GS as char),
                "a layout produced a control character: {text:?}"
            );
            assert_eq!(*origin == Origin::Scanner, *max_gap_us <= cfg.max_gap_us);
            if monotonic {
                assert!(first_us <= last_us);
                assert!(*max_gap_us <= last_us - first_us);
            }
            if *unmapped == 0 {
                assert!(!text.is_empty(), "an empty line was reported");
                // What the station does with a scanner line next.
                match ScanText::from_bytes(text.as_bytes()) {
                    Ok(t) => {
                        let _ = gs1::from_scan(t.as_str(), None);
                    }
                    Err(TextError::TooLong { .. }) => {}
                    Err(e) => panic!("HID line {text:?} refused as scan text: {e}"),
                }
            }
        }
        HidOutput::Overflow { dropped, .. } => assert_eq!(*dropped, cfg.max_len.max(1)),
    }
}

/// Events written back as `evemu-record` lines parse to the same events.
fn check_evemu_round_trip(events: &[InputEvent]) {
    let text: String = events
        .iter()
        .map(|e| {
            format!(
                "E: {}.{:06} {:04x} {:04x} {}\n",
                e.ts_us / 1_000_000,
                e.ts_us % 1_000_000,
                e.ev_type,
                e.code,
                e.value
            )
        })
        .collect();
    match hid::parse_evemu(&text) {
        Ok(back) => assert_eq!(back.events, events),
        Err(e) => panic!("written events do not parse back: {e}"),
    }
}
