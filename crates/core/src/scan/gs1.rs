//! Parse GS1 element strings (GTIN, serial, lot, expiry, ...) as printed on retail and medical
//! goods.
//!
//! Accepts the transmitted form (optional AIM symbology identifier `]C1`, `]d2`, `]Q3`, `]e0`,
//! FNC1 as GS 0x1D between variable-length fields) and the human-readable form
//! `(01)09506000134352(21)ABC123`. Lengths follow the GS1 General Specifications; check digits
//! of GTIN/SSCC are verified; dates are YYMMDD with DD=00 meaning "end of month".
//! Never panics on any input.

use serde::Serialize;

const GS: char = '\u{1D}';

/// Data format of an AI's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// digits only
    Num,
    /// GS1 character set 82
    Alnum,
    /// digits, last one a GS1 mod-10 check digit
    NumCheck,
    /// YYMMDD
    Date,
}

/// One entry of the AI table.
#[derive(Debug, Clone, Copy)]
struct AiDef {
    ai: &'static str,
    title: &'static str,
    kind: Kind,
    /// fixed length if `min == max`
    min: usize,
    max: usize,
}

const fn d(ai: &'static str, title: &'static str, kind: Kind, min: usize, max: usize) -> AiDef {
    AiDef {
        ai,
        title,
        kind,
        min,
        max,
    }
}

/// The AIs this station understands (GS1 General Specifications, section 3.2).
static AIS: &[AiDef] = &[
    d("00", "SSCC", Kind::NumCheck, 18, 18),
    d("01", "GTIN", Kind::NumCheck, 14, 14),
    d("02", "CONTENT", Kind::NumCheck, 14, 14),
    d("10", "BATCH/LOT", Kind::Alnum, 1, 20),
    d("11", "PROD DATE", Kind::Date, 6, 6),
    d("12", "DUE DATE", Kind::Date, 6, 6),
    d("13", "PACK DATE", Kind::Date, 6, 6),
    d("15", "BEST BEFORE", Kind::Date, 6, 6),
    d("16", "SELL BY", Kind::Date, 6, 6),
    d("17", "USE BY OR EXPIRY", Kind::Date, 6, 6),
    d("20", "VARIANT", Kind::Num, 2, 2),
    d("21", "SERIAL", Kind::Alnum, 1, 20),
    d("22", "CPV", Kind::Alnum, 1, 20),
    d("30", "VAR. COUNT", Kind::Num, 1, 8),
    d("37", "COUNT", Kind::Num, 1, 8),
    d("240", "ADDITIONAL ID", Kind::Alnum, 1, 30),
    d("241", "CUST. PART No.", Kind::Alnum, 1, 30),
    d("250", "SECONDARY SERIAL", Kind::Alnum, 1, 30),
    d("400", "ORDER NUMBER", Kind::Alnum, 1, 30),
    d("410", "SHIP TO LOC", Kind::NumCheck, 13, 13),
    d("411", "BILL TO", Kind::NumCheck, 13, 13),
    d("412", "PURCHASE FROM", Kind::NumCheck, 13, 13),
    d("413", "SHIP FOR LOC", Kind::NumCheck, 13, 13),
    d("414", "LOC No.", Kind::NumCheck, 13, 13),
    d("8004", "GIAI", Kind::Alnum, 1, 30),
    d("90", "INTERNAL", Kind::Alnum, 1, 90),
    d("91", "INTERNAL", Kind::Alnum, 1, 90),
    d("92", "INTERNAL", Kind::Alnum, 1, 90),
    d("93", "INTERNAL", Kind::Alnum, 1, 90),
    d("94", "INTERNAL", Kind::Alnum, 1, 90),
    d("95", "INTERNAL", Kind::Alnum, 1, 90),
    d("96", "INTERNAL", Kind::Alnum, 1, 90),
    d("97", "INTERNAL", Kind::Alnum, 1, 90),
    d("98", "INTERNAL", Kind::Alnum, 1, 90),
    d("99", "INTERNAL", Kind::Alnum, 1, 90),
];

/// Variable-measure trade item AIs 310n..369n: 4-digit AI, 6 digits, n = decimal places.
fn measure_def(ai: &str) -> Option<AiDef> {
    let b = ai.as_bytes();
    if b.len() == 4
        && b.iter().all(u8::is_ascii_digit)
        && (b'1'..=b'6').contains(&b[1])
        && b[0] == b'3'
    {
        Some(d("3xxx", "MEASURE", Kind::Num, 6, 6))
    } else {
        None
    }
}

fn lookup(s: &str) -> Option<(usize, AiDef)> {
    for len in 2..=4 {
        let Some(prefix) = s.get(..len) else {
            break;
        };
        if !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if let Some(def) = AIS.iter().find(|d| d.ai == prefix) {
            return Some((len, *def));
        }
        if len == 4 {
            if let Some(def) = measure_def(prefix) {
                return Some((len, def));
            }
        }
    }
    None
}

/// Which carrier the element string came from, from its AIM symbology identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Gs1Carrier {
    /// `]C1` GS1-128
    Gs1_128,
    /// `]d2` GS1 DataMatrix
    DataMatrix,
    /// `]Q3` GS1 QR Code
    Qr,
    /// `]e0` GS1 DataBar
    DataBar,
    /// parenthesised human-readable form
    HumanReadable,
    /// no identifier, FNC1 as GS
    Unmarked,
}

/// A GS1 date (YYMMDD). `day == 0` means the last day of the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gs1Date {
    pub yy: u8,
    pub month: u8,
    pub day: u8,
}

impl Gs1Date {
    /// Full year by the GS1 sliding window (General Specifications 7.12) relative to
    /// `current_year`: from 49 years back to 50 years ahead.
    pub fn year(&self, current_year: i32) -> i32 {
        let cur_yy = current_year.rem_euclid(100);
        let century = current_year - cur_yy;
        let diff = self.yy as i32 - cur_yy;
        if diff >= 51 {
            century - 100 + self.yy as i32
        } else if diff <= -50 {
            century + 100 + self.yy as i32
        } else {
            century + self.yy as i32
        }
    }

    /// The calendar date, with DD=00 resolved to the month's last day.
    pub fn to_date(&self, current_year: i32) -> Option<time::Date> {
        let month = time::Month::try_from(self.month).ok()?;
        let year = self.year(current_year);
        let day = if self.day == 0 {
            month.length(year)
        } else {
            self.day
        };
        time::Date::from_calendar_date(year, month, day).ok()
    }
}

/// One AI and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gs1Element {
    pub ai: String,
    pub title: &'static str,
    pub value: String,
}

/// A parsed GS1 element string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gs1 {
    pub carrier: Gs1Carrier,
    /// AI 01 (14 digits, check digit valid)
    pub gtin: Option<String>,
    /// AI 21
    pub serial: Option<String>,
    /// AI 10
    pub lot: Option<String>,
    /// AI 17
    pub expiry: Option<Gs1Date>,
    /// AI 00
    pub sscc: Option<String>,
    /// every element in order of appearance
    pub elements: Vec<Gs1Element>,
}

impl Gs1 {
    /// The value of an AI, if present.
    pub fn get(&self, ai: &str) -> Option<&str> {
        self.elements
            .iter()
            .find(|e| e.ai == ai)
            .map(|e| e.value.as_str())
    }

    /// The element string in human-readable form, e.g. `(01)09506000134352(21)ABC`.
    pub fn to_hri(&self) -> String {
        self.elements
            .iter()
            .map(|e| format!("({}){}", e.ai, e.value))
            .collect()
    }
}

/// Why a GS1 element string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Gs1Error {
    #[error("empty GS1 element string")]
    Empty,
    #[error("symbology identifier {0:?} does not mark GS1 data")]
    NotGs1Symbology(String),
    #[error("unknown or unsupported application identifier at byte {offset}: {found:?}")]
    UnknownAi { offset: usize, found: String },
    #[error("AI ({ai}) value {value:?} has {len} characters; expected {min}..={max}")]
    BadLength {
        ai: String,
        value: String,
        len: usize,
        min: usize,
        max: usize,
    },
    #[error("AI ({ai}) value {value:?} has a character not allowed there: {ch:?}")]
    BadChar { ai: String, value: String, ch: char },
    #[error("AI ({ai}) value {value:?} fails its check digit (expected {expected})")]
    CheckDigit {
        ai: String,
        value: String,
        expected: u8,
    },
    #[error("AI ({ai}) value {value:?} is not a valid YYMMDD date")]
    BadDate { ai: String, value: String },
    #[error("AI ({ai}) appears twice with different values")]
    Conflict { ai: String },
    #[error("malformed human-readable element string at byte {offset}")]
    BadParens { offset: usize },
}

impl Gs1Error {
    /// Plain words for the station screen.
    pub fn user_message(&self) -> &'static str {
        "This product barcode could not be understood. Scan the item's own tag instead."
    }
}

/// GS1 mod-10 check digit over all but the last digit.
pub fn check_digit(digits: &str) -> Option<u8> {
    let body = digits.as_bytes();
    let mut sum = 0u32;
    for (i, b) in body.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let v = (b - b'0') as u32;
        sum += if i % 2 == 0 { v * 3 } else { v };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// True if `s` (14/13/12/8 digits) is a GTIN with a valid check digit.
pub fn gtin_valid(s: &str) -> bool {
    if !matches!(s.len(), 8 | 12 | 13 | 14) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (body, last) = s.split_at(s.len() - 1);
    check_digit(body) == Some(last.as_bytes()[0] - b'0')
}

fn is_cset82(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c)
}

/// True when the text carries a GS1 marker: an AIM GS1 identifier, a GS, or `(NN)` up front.
pub fn looks_like_gs1(s: &str) -> bool {
    ["]C1", "]d2", "]Q3", "]e0"]
        .iter()
        .any(|p| s.starts_with(p))
        || s.contains(GS)
        || (s.starts_with('(')
            && lookup(s.get(1..).unwrap_or(""))
                .is_some_and(|(l, _)| s.get(1 + l..2 + l) == Some(")")))
}

/// The GS1 element string in one scan, if it is marked as one. A decoder's AIM symbology
/// identifier for GS1 (`]C1`, `]d2`, `]Q3`, `]e0`) is put in front of the text unless the
/// text carries its own; then the text counts as GS1 when [`looks_like_gs1`] says so.
/// Cameras, HID scanners and still images all go through here.
pub fn from_scan(text: &str, aim_id: Option<&str>) -> Option<Result<Gs1, Gs1Error>> {
    let marked = match aim_id {
        Some(id @ ("]C1" | "]d2" | "]Q3" | "]e0")) if !text.starts_with(']') => {
            format!("{id}{text}")
        }
        _ => text.to_owned(),
    };
    looks_like_gs1(&marked).then(|| parse(&marked))
}

fn validate(def: &AiDef, ai: &str, value: &str) -> Result<(), Gs1Error> {
    let err_len = || Gs1Error::BadLength {
        ai: ai.into(),
        value: value.into(),
        len: value.chars().count(),
        min: def.min,
        max: def.max,
    };
    let len = value.chars().count();
    if len < def.min || len > def.max {
        return Err(err_len());
    }
    let numeric = !matches!(def.kind, Kind::Alnum);
    if let Some(ch) = value.chars().find(|&c| {
        if numeric {
            !c.is_ascii_digit()
        } else {
            !is_cset82(c)
        }
    }) {
        return Err(Gs1Error::BadChar {
            ai: ai.into(),
            value: value.into(),
            ch,
        });
    }
    match def.kind {
        Kind::NumCheck => {
            let (body, last) = value.split_at(value.len() - 1);
            let expected = check_digit(body).unwrap_or(0);
            if last.as_bytes()[0] - b'0' != expected {
                return Err(Gs1Error::CheckDigit {
                    ai: ai.into(),
                    value: value.into(),
                    expected,
                });
            }
        }
        Kind::Date => {
            parse_date(value).ok_or_else(|| Gs1Error::BadDate {
                ai: ai.into(),
                value: value.into(),
            })?;
        }
        Kind::Num | Kind::Alnum => {}
    }
    Ok(())
}

fn parse_date(v: &str) -> Option<Gs1Date> {
    let n = |r: std::ops::Range<usize>| v.get(r)?.parse::<u8>().ok();
    let date = Gs1Date {
        yy: n(0..2)?,
        month: n(2..4)?,
        day: n(4..6)?,
    };
    if !(1..=12).contains(&date.month) {
        return None;
    }
    if date.day == 0 {
        return Some(date);
    }
    // day must exist in that month; for February accept 29 only in leap years of either
    // candidate century is impossible to know without a reference year, so allow 29.
    let max = match date.month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (date.day <= max).then_some(date)
}

/// Parse a GS1 element string in any of the accepted forms.
pub fn parse(input: &str) -> Result<Gs1, Gs1Error> {
    let (carrier, body) = if let Some(rest) = input.strip_prefix(']') {
        let id = rest.get(..2).unwrap_or(rest);
        let carrier = match id {
            "C1" => Gs1Carrier::Gs1_128,
            "d2" => Gs1Carrier::DataMatrix,
            "Q3" => Gs1Carrier::Qr,
            "e0" => Gs1Carrier::DataBar,
            _ => return Err(Gs1Error::NotGs1Symbology(format!("]{id}"))),
        };
        (carrier, &rest[id.len()..])
    } else if input.starts_with('(') {
        (Gs1Carrier::HumanReadable, input)
    } else {
        (Gs1Carrier::Unmarked, input)
    };
    let offset0 = input.len() - body.len();
    let pairs = if carrier == Gs1Carrier::HumanReadable {
        split_hri(body)?
    } else {
        split_raw(body, offset0)?
    };
    if pairs.is_empty() {
        return Err(Gs1Error::Empty);
    }
    let mut out = Gs1 {
        carrier,
        gtin: None,
        serial: None,
        lot: None,
        expiry: None,
        sscc: None,
        elements: Vec::with_capacity(pairs.len()),
    };
    for (ai, def, value) in pairs {
        validate(&def, &ai, &value)?;
        if let Some(prev) = out.elements.iter().find(|e| e.ai == ai) {
            if prev.value != value {
                return Err(Gs1Error::Conflict { ai });
            }
            continue;
        }
        match ai.as_str() {
            "00" => out.sscc = Some(value.clone()),
            "01" => out.gtin = Some(value.clone()),
            "10" => out.lot = Some(value.clone()),
            "17" => out.expiry = parse_date(&value),
            "21" => out.serial = Some(value.clone()),
            _ => {}
        }
        out.elements.push(Gs1Element {
            ai,
            title: def.title,
            value,
        });
    }
    Ok(out)
}

/// Split `(AI)value(AI)value...`.
fn split_hri(s: &str) -> Result<Vec<(String, AiDef, String)>, Gs1Error> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let offset = s.len() - rest.len();
        let inner = rest
            .strip_prefix('(')
            .ok_or(Gs1Error::BadParens { offset })?;
        let close = inner.find(')').ok_or(Gs1Error::BadParens { offset })?;
        let ai = &inner[..close];
        let (len, def) =
            lookup(ai)
                .filter(|(l, _)| *l == ai.len())
                .ok_or_else(|| Gs1Error::UnknownAi {
                    offset: offset + 1,
                    found: ai.chars().take(4).collect(),
                })?;
        let after = &inner[len + 1..];
        // the value runs to the next "(digits)" group
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            if c == '(' {
                let tail = &after[i + 1..];
                if let Some((l, _)) = lookup(tail) {
                    if tail.get(l..l + 1) == Some(")") {
                        end = i;
                        break;
                    }
                }
            }
        }
        out.push((ai.to_owned(), def, after[..end].to_owned()));
        rest = &after[end..];
    }
    Ok(out)
}

/// Split a raw element string with GS separators.
fn split_raw(s: &str, offset0: usize) -> Result<Vec<(String, AiDef, String)>, Gs1Error> {
    let mut out = Vec::new();
    let mut rest = s.trim_start_matches(GS);
    while !rest.is_empty() {
        let offset = offset0 + s.len() - rest.len();
        let (len, def) = lookup(rest).ok_or_else(|| Gs1Error::UnknownAi {
            offset,
            found: rest.chars().take(4).collect(),
        })?;
        let ai = &rest[..len];
        let data = &rest[len..];
        let value_end = if def.min == def.max {
            // predefined length: exactly `max` characters (or what is left, rejected later)
            data.char_indices()
                .nth(def.max)
                .map(|(i, _)| i)
                .unwrap_or(data.len())
        } else {
            data.find(GS).unwrap_or(data.len())
        };
        let value = &data[..value_end];
        if value.contains(GS) {
            return Err(Gs1Error::BadLength {
                ai: ai.into(),
                value: value.replace(GS, "<GS>"),
                len: value.find(GS).unwrap_or(0),
                min: def.min,
                max: def.max,
            });
        }
        out.push((ai.to_owned(), def, value.to_owned()));
        rest = data[value_end..].trim_start_matches(GS);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hri_form() {
        let g = parse("(01)09506000134352(21)ABC123(17)261231(10)LOT1").unwrap();
        assert_eq!(g.gtin.as_deref(), Some("09506000134352"));
        assert_eq!(g.serial.as_deref(), Some("ABC123"));
        assert_eq!(g.lot.as_deref(), Some("LOT1"));
        assert_eq!(
            g.expiry,
            Some(Gs1Date {
                yy: 26,
                month: 12,
                day: 31
            })
        );
        assert_eq!(g.to_hri(), "(01)09506000134352(21)ABC123(17)261231(10)LOT1");
    }

    #[test]
    fn raw_form_with_gs() {
        let g = parse("]d201095060001343521726020010ABC\u{1d}21SER").unwrap();
        assert_eq!(g.carrier, Gs1Carrier::DataMatrix);
        assert_eq!(g.lot.as_deref(), Some("ABC"));
        assert_eq!(g.serial.as_deref(), Some("SER"));
        let e = g.expiry.unwrap();
        assert_eq!(e.day, 0);
        assert_eq!(
            e.to_date(2026),
            time::Date::from_calendar_date(2026, time::Month::February, 28).ok()
        );
    }

    #[test]
    fn rejects() {
        assert!(matches!(
            parse("(01)09506000134353"),
            Err(Gs1Error::CheckDigit { expected: 2, .. })
        ));
        assert!(matches!(parse("(17)261301"), Err(Gs1Error::BadDate { .. })));
        assert!(matches!(parse("]E0123"), Err(Gs1Error::NotGs1Symbology(_))));
        assert!(matches!(parse("(77)x"), Err(Gs1Error::UnknownAi { .. })));
        assert!(matches!(parse("0112345"), Err(Gs1Error::BadLength { .. })));
        assert!(matches!(parse(""), Err(Gs1Error::Empty)));
    }

    #[test]
    fn century_window() {
        let d = Gs1Date {
            yy: 99,
            month: 1,
            day: 1,
        };
        assert_eq!(d.year(2026), 1999);
        let d = Gs1Date {
            yy: 70,
            month: 1,
            day: 1,
        };
        assert_eq!(d.year(2026), 2070);
        let d = Gs1Date {
            yy: 77,
            month: 1,
            day: 1,
        };
        assert_eq!(d.year(2026), 1977);
    }
}
