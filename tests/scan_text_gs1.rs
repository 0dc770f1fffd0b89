//! Text validation and GS1 element strings, from the outside.

use tagstation::scan::gs1::{self, Gs1Carrier, Gs1Error};
use tagstation::scan::{ScanText, TextError};

#[test]
fn text_cases() {
    let ok = |raw: &[u8], want: &str| assert_eq!(ScanText::from_bytes(raw).unwrap().as_str(), want);
    ok(b"TS-000042\r\n", "TS-000042");
    ok(b"TS-000042\n", "TS-000042");
    ok(b"TS-000042\t", "TS-000042");
    ok(b"  spaced  \r", "  spaced  ");
    ok("Prüf-Zyklus".as_bytes(), "Prüf-Zyklus");
    ok(
        b"01095060001343521726123110LOT\x1d21X",
        "01095060001343521726123110LOT\u{1d}21X",
    );
    assert_eq!(ScanText::from_bytes(b""), Err(TextError::Empty));
    assert_eq!(ScanText::from_bytes(b"\r\n\t"), Err(TextError::Empty));
    assert!(matches!(
        ScanText::from_bytes(b"\x1b[A"),
        Err(TextError::ControlChar {
            code: 0x1b,
            offset: 0
        })
    ));
    assert!(matches!(
        ScanText::from_bytes(b"a\x00b"),
        Err(TextError::ControlChar { code: 0, .. })
    ));
    assert!(matches!(
        ScanText::from_bytes(b"a\x7fb"),
        Err(TextError::ControlChar { code: 0x7f, .. })
    ));
    assert!(matches!(
        ScanText::from_bytes(b"\xc3\x28"),
        Err(TextError::InvalidUtf8 { valid_up_to: 0 })
    ));
    assert!(matches!(
        ScanText::from_bytes(&vec![b'x'; 10_000]),
        Err(TextError::TooLong {
            len: 10_000,
            max: 256
        })
    ));
    // the raw bytes are kept exactly for the log
    let t = ScanText::from_bytes(b"A\r\n").unwrap();
    assert_eq!(t.raw(), b"A\r\n");
    // look-alikes are accepted but flagged
    let t = ScanText::parse("ТS-1").unwrap(); // Cyrillic Te
    assert!(!t.is_ascii());
    assert_eq!(t.non_ascii().len(), 1);
    // engineer and user messages differ
    let e = ScanText::from_bytes(b"\x07").unwrap_err();
    assert!(e.to_string().contains("U+0007"));
    assert_eq!(
        e.user_message(),
        "That code could not be read. Try scanning again."
    );
}

#[test]
fn gs1_forms() {
    let hri = gs1::parse("(01)09506000134352(21)ABC123(17)261231(10)LOT1").unwrap();
    assert_eq!(hri.carrier, Gs1Carrier::HumanReadable);
    let raw = gs1::parse(&("]C10109506000134352".to_owned() + "21ABC123\u{1d}17261231" + "10LOT1"))
        .unwrap();
    assert_eq!(raw.carrier, Gs1Carrier::Gs1_128);
    assert_eq!(hri.elements, raw.elements);
    assert_eq!(raw.gtin.as_deref(), Some("09506000134352"));
    let q = gs1::parse("]Q3010950600013435237100\u{1d}400PO-77\u{1d}24012-A\u{1d}2410X").unwrap();
    assert_eq!(q.get("37"), Some("100"));
    assert_eq!(q.get("400"), Some("PO-77"));
    assert_eq!(q.get("240"), Some("12-A"));
    assert_eq!(q.get("241"), Some("0X"));
    let s = gs1::parse("(00)106141411234567897(02)09506000134352(30)12(11)250101(15)251200(250)S2")
        .unwrap();
    assert_eq!(s.sscc.as_deref(), Some("106141411234567897"));
    assert_eq!(s.get("15"), Some("251200"));
    let m = gs1::parse("(01)09506000134352(3103)001250(8004)ASSET42").unwrap();
    assert_eq!(m.get("3103"), Some("001250"));
    assert_eq!(m.get("8004"), Some("ASSET42"));
    // a leading GS (FNC1 in first position sent as GS) is tolerated
    assert!(gs1::parse("\u{1d}0109506000134352").is_ok());
}

#[test]
fn gs1_rejects_with_clear_errors() {
    let e = |s: &str| gs1::parse(s).unwrap_err();
    assert!(matches!(
        e("(01)09506000134353"),
        Gs1Error::CheckDigit { expected: 2, .. }
    ));
    assert!(matches!(
        e("(00)106141411234567890"),
        Gs1Error::CheckDigit { .. }
    ));
    assert!(matches!(e("(17)261332"), Gs1Error::BadDate { .. }));
    assert!(matches!(e("(17)260231"), Gs1Error::BadDate { .. }));
    assert!(matches!(e("(01)0950600013435"), Gs1Error::BadLength { .. }));
    assert!(matches!(
        e("(10)ABCDEFGHIJKLMNOPQRSTU"),
        Gs1Error::BadLength { .. }
    ));
    assert!(matches!(e("(10)A B"), Gs1Error::BadChar { ch: ' ', .. }));
    assert!(matches!(e("(30)12a"), Gs1Error::BadChar { .. }));
    assert!(matches!(e("(21)A(21)B"), Gs1Error::Conflict { .. }));
    assert!(matches!(e("(01"), Gs1Error::BadParens { .. }));
    assert!(matches!(e("]A0123"), Gs1Error::NotGs1Symbology(_)));
    assert!(matches!(e("]C1"), Gs1Error::Empty));
    assert!(matches!(e("7777"), Gs1Error::UnknownAi { .. }));
    assert!(e("(17)261332").to_string().contains("YYMMDD"));
    assert!(!e("(17)261332").user_message().contains("YYMMDD"));
}

#[test]
fn gs1_marker_detection_and_check_digits() {
    assert!(gs1::looks_like_gs1("(01)09506000134352"));
    assert!(gs1::looks_like_gs1("]d2010950600013435"));
    assert!(gs1::looks_like_gs1("10A\u{1d}21B"));
    assert!(!gs1::looks_like_gs1("TS-000042"));
    assert!(!gs1::looks_like_gs1("(hello)"));
    assert!(gs1::gtin_valid("4006381333931"));
    assert!(gs1::gtin_valid("96385074"));
    assert!(gs1::gtin_valid("036000291452"));
    assert!(!gs1::gtin_valid("4006381333932"));
}
