//! Raw scanner or camera bytes through the station's entry point: [`ScanText`], then the
//! GS1 parse a scan gets with each AIM identifier a decoder can report.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tagstation_core::catalog;
use tagstation_core::scan::gs1::{self, Gs1, Gs1Error};
use tagstation_core::scan::text::{ScanText, GS, MAX_SCAN_BYTES};

/// What a decoder may report in front of the text: none, the four GS1 ones, and one
/// that does not mark GS1 (plain QR).
const AIM_IDS: [Option<&str>; 6] = [
    None,
    Some("]C1"),
    Some("]d2"),
    Some("]Q3"),
    Some("]e0"),
    Some("]Q1"),
];

fuzz_target!(|data: &[u8]| {
    match ScanText::from_bytes(data) {
        Ok(t) => {
            check_text(data, &t);
            for aim in AIM_IDS {
                check_gs1(gs1::from_scan(t.as_str(), aim));
            }
            // what the station then does with the code: look it up as a tag
            let _ = catalog::check_tag("asset tag", t.as_str());
            let _ = gs1::gtin_valid(t.as_str());
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert!(!e.user_message().is_empty());
        }
    }
    // The parser on its own takes any text, however long and whatever it holds.
    let lossy = String::from_utf8_lossy(data);
    let _ = gs1::looks_like_gs1(&lossy);
    check_gs1(Some(gs1::parse(&lossy)));
});

fn check_text(data: &[u8], t: &ScanText) {
    let s = t.as_str();
    assert!(!s.is_empty());
    assert!(s.len() <= MAX_SCAN_BYTES);
    assert_eq!(t.raw(), data, "the raw bytes are kept exactly");
    // the text is the raw bytes less a terminator run
    let rest = data
        .strip_prefix(s.as_bytes())
        .expect("the text is a prefix of the raw bytes");
    assert!(rest.iter().all(|b| matches!(b, b'\r' | b'\n' | b'\t')));
    assert!(
        s.chars().all(|c| !c.is_control() || c == GS as char),
        "control character accepted in {s:?}"
    );
    // validating the validated text changes nothing
    let again = ScanText::parse(s).expect("an accepted text is accepted again");
    assert_eq!(again.as_str(), s);
    assert_eq!(t.has_gs(), s.contains(GS as char));
    assert!(!t.display_safe().contains(GS as char));
    assert_eq!(t.is_ascii(), s.is_ascii());
    assert_eq!(t.non_ascii().is_empty(), s.is_ascii());
}

fn check_gs1(parsed: Option<Result<Gs1, Gs1Error>>) {
    let g = match parsed {
        None => return,
        Some(Err(e)) => {
            assert!(!e.to_string().is_empty());
            assert!(!e.user_message().is_empty());
            return;
        }
        Some(Ok(g)) => g,
    };
    assert!(!g.elements.is_empty());
    for (i, e) in g.elements.iter().enumerate() {
        assert!((2..=4).contains(&e.ai.len()) && e.ai.bytes().all(|b| b.is_ascii_digit()));
        let n = e.value.chars().count();
        assert!(
            (1..=90).contains(&n),
            "AI ({}) value of {n} characters",
            e.ai
        );
        assert!(
            e.value.is_ascii() && !e.value.chars().any(|c| c.is_control()),
            "AI ({}) value {:?}",
            e.ai,
            e.value
        );
        assert!(
            g.elements[..i].iter().all(|p| p.ai != e.ai),
            "AI ({}) listed twice",
            e.ai
        );
        assert_eq!(g.get(&e.ai), Some(e.value.as_str()));
    }
    if let Some(gtin) = &g.gtin {
        assert_eq!(gtin.len(), 14);
        assert!(gs1::gtin_valid(gtin), "GTIN {gtin} fails its check digit");
        assert_eq!(g.get("01"), Some(gtin.as_str()));
    }
    if let Some(sscc) = &g.sscc {
        assert!(sscc.len() == 18 && sscc.bytes().all(|b| b.is_ascii_digit()));
        let (body, last) = sscc.split_at(17);
        assert_eq!(gs1::check_digit(body), Some(last.as_bytes()[0] - b'0'));
    }
    for v in [&g.serial, &g.lot].into_iter().flatten() {
        assert!((1..=20).contains(&v.chars().count()));
    }
    if let Some(d) = g.expiry {
        assert!(d.yy <= 99 && (1..=12).contains(&d.month) && d.day <= 31);
        for year in [1970, 2026, 2099] {
            let y = d.year(year);
            assert!(
                (year - 49..=year + 50).contains(&y),
                "{d:?} in {year} gives {y}"
            );
            let _ = d.to_date(year);
        }
    }
    // What parses re-parses from its human-readable form (ambiguous when a value holds '(').
    if !g.elements.iter().any(|e| e.value.contains('(')) {
        let hri = g.to_hri();
        match gs1::parse(&hri) {
            Ok(back) => assert_eq!(back.elements, g.elements, "{hri}"),
            Err(e) => panic!("{hri:?} does not re-parse: {e}"),
        }
    }
}
