//! Property tests: text validation, GS1 parsing, the HID decoder and the evemu parser never
//! panic, whatever they are fed.

use proptest::prelude::*;
use tagstation::scan::hid::{self, HidConfig, HidDecoder, Layout};
use tagstation::scan::{gs1, ScanText};

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn text_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(t) = ScanText::from_bytes(&raw) {
            prop_assert!(t.as_str().len() <= 256);
            prop_assert!(!t.as_str().is_empty());
        }
    }

    #[test]
    fn gs1_never_panics_on_any_string(s in "\\PC{0,80}") {
        let _ = gs1::parse(&s);
        let _ = gs1::looks_like_gs1(&s);
    }

    #[test]
    fn gs1_never_panics_on_plausible_strings(s in "(\\]C1|\\]d2|\\]Q3|\\(|)[0-9()\u{1d}A-Za-zé]{0,60}") {
        if let Ok(g) = gs1::parse(&s).map_err(|e| e.to_string()) {
            // what parses re-parses from its HRI form (HRI is ambiguous when a value holds '(')
            if g.elements.iter().any(|e| e.value.contains('(')) {
                return Ok(());
            }
            prop_assert_eq!(gs1::parse(&g.to_hri()).map(|x| x.elements), Ok(g.elements.clone()));
        }
    }

    #[test]
    fn hid_never_panics(events in proptest::collection::vec((0u64..10_000_000, 0u16..6, 0u16..300, -3i32..4), 0..300), de in any::<bool>()) {
        let cfg = HidConfig { layout: if de { Layout::De } else { Layout::Us }, max_len: 64, idle_end_us: Some(50_000), ..HidConfig::default() };
        let mut d = HidDecoder::new(cfg);
        let mut t = 0u64;
        for (dt, ty, code, v) in events {
            t = t.saturating_add(dt % 100_000);
            let _ = d.poll_idle(t);
            if let Some(hid::HidOutput::Line { text, .. }) = d.feed(t, ty, code, v) {
                prop_assert!(text.chars().count() <= 64);
            }
        }
    }

    #[test]
    fn evemu_never_panics(s in "(E: [0-9]{1,12}\\.[0-9]{0,7} [0-9a-f]{1,5} [0-9a-f]{1,5} -?[0-9]{1,11}\n|[A-Z#]:? ?\\PC{0,20}\n){0,20}") {
        let _ = hid::parse_evemu(&s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn decode_never_panics(w in 0u32..80, h in 0u32..80, seed in any::<u64>(), extra in 0usize..3) {
        let mut x = seed;
        let n = (w * h) as usize + extra;
        let px: Vec<u8> = (0..n).map(|_| { x = x.wrapping_mul(6364136223846793005).wrapping_add(1); (x >> 56) as u8 }).collect();
        let _ = tagstation::decode::decode_luma(w, h, &px);
        let _ = tagstation::decode::letterbox(w, h, &px, 64, 48);
        let _ = tagstation::decode::decode_luma_rqrr(w, h, &px);
    }
}
