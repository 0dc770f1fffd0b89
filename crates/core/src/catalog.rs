//! The catalog: items, units, statuses and totals — the model users think in.
//!
//! An [`Item`] is tracked either as a plain count per status ([`Tracking::Count`]) or
//! unit by unit ([`Tracking::Units`]). For a unit-tracked item its totals are derived
//! from its [`Unit`]s and are never stored or typed in. This module holds the types and
//! the input rules (names, tags, quantities); how they change is in [`crate::event`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest name, location, holder or field value we accept, in characters.
pub const MAX_TEXT_CHARS: usize = 200;
/// Longest asset tag, in bytes. Real barcodes and RFID EPCs stay far below this.
pub const MAX_TAG_BYTES: usize = 128;
/// Largest quantity a single adjustment may move.
pub const MAX_QUANTITY: i64 = 1_000_000_000;
/// Most units one switch to unit tracking seeds (one per counted piece): beyond this a
/// switch would write a unit row per screw, not track durable things.
pub const MAX_SEEDED_UNITS: i64 = 10_000;

/// The built-in date fields of a unit, `YYYY-MM-DD`, kept among its fields so that
/// reports and reminders can rely on them: when the warranty ends and when the next
/// service is due. A value that is not a date is refused.
pub const WARRANTY_END: &str = "warranty_end";
/// See [`WARRANTY_END`].
pub const SERVICE_DUE: &str = "service_due";
/// Both built-in date fields.
pub const DATE_FIELDS: [&str; 2] = [WARRANTY_END, SERVICE_DUE];

pub type ItemId = Uuid;
pub type UnitId = Uuid;

/// Where a unit (or a counted quantity) is in its life.
///
/// The first four are the statuses every user knows; `checked_out` means a named
/// holder has it; `retired` (sold, written off) leaves the totals but keeps history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    InStock,
    Receiving,
    Sending,
    Damaged,
    CheckedOut,
    Retired,
}

impl Status {
    /// Every status, in display order.
    pub const ALL: [Status; 6] = [
        Status::InStock,
        Status::Receiving,
        Status::Sending,
        Status::Damaged,
        Status::CheckedOut,
        Status::Retired,
    ];
    /// The statuses that make up an item's totals (everything but `retired`).
    pub const COUNTED: [Status; 5] = [
        Status::InStock,
        Status::Receiving,
        Status::Sending,
        Status::Damaged,
        Status::CheckedOut,
    ];
    /// The statuses a worker may set directly on a unit with one touch or `--status`.
    /// Check-out, check-in and retiring have their own commands because they carry more.
    pub const SETTABLE: [Status; 4] = [
        Status::InStock,
        Status::Receiving,
        Status::Sending,
        Status::Damaged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::InStock => "in_stock",
            Status::Receiving => "receiving",
            Status::Sending => "sending",
            Status::Damaged => "damaged",
            Status::CheckedOut => "checked_out",
            Status::Retired => "retired",
        }
    }

    /// Words for a screen: "In stock", "Checked out".
    pub fn label(self) -> &'static str {
        match self {
            Status::InStock => "In stock",
            Status::Receiving => "Receiving",
            Status::Sending => "Sending",
            Status::Damaged => "Damaged",
            Status::CheckedOut => "Checked out",
            Status::Retired => "Retired",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown status {s:?}; expected one of: {}",
                    Status::ALL.map(Status::as_str).join(", ")
                )
            })
    }
}

/// How an item is tracked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tracking {
    /// A plain quantity per status (screws, gloves).
    Count,
    /// "Track units individually": every physical unit is its own record.
    Units,
}

impl Tracking {
    pub fn as_str(self) -> &'static str {
        match self {
            Tracking::Count => "count",
            Tracking::Units => "units",
        }
    }
}

impl FromStr for Tracking {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "count" => Ok(Tracking::Count),
            "units" => Ok(Tracking::Units),
            _ => Err(format!("unknown tracking {s:?}; expected count or units")),
        }
    }
}

/// Quantities per counted status. Missing statuses are zero.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals(pub BTreeMap<Status, i64>);

impl Totals {
    pub fn get(&self, s: Status) -> i64 {
        self.0.get(&s).copied().unwrap_or(0)
    }
    pub fn add(&mut self, s: Status, delta: i64) {
        let v = self.get(s) + delta;
        if v == 0 {
            self.0.remove(&s);
        } else {
            self.0.insert(s, v);
        }
    }
    /// Everything the business still owns and counts (all but retired).
    pub fn total(&self) -> i64 {
        Status::COUNTED.iter().map(|s| self.get(*s)).sum()
    }
    /// All counted statuses, zeros included, for stable JSON and tables.
    pub fn full(&self) -> BTreeMap<Status, i64> {
        Status::COUNTED.iter().map(|s| (*s, self.get(*s))).collect()
    }
}

/// A kind of thing the business tracks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: ItemId,
    pub name: String,
    pub sku: Option<String>,
    /// Product barcode, scanned for count-tracked stock.
    pub barcode: Option<String>,
    pub tracking: Tracking,
    pub reorder_point: Option<i64>,
    /// Stored quantities for a count-tracked item. Empty (and ignored) while the item
    /// is tracked by unit: then the totals are derived from its units.
    pub counts: Totals,
    /// How many events have changed this item itself (not its units).
    pub version: i64,
    /// Archived: no longer stocked, hidden from lists, its stock and units untouchable
    /// until unarchived; its history stays.
    #[serde(default)]
    pub archived: bool,
}

/// One physical thing of a unit-tracked item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub item_id: ItemId,
    pub name: String,
    pub asset_tag: Option<String>,
    pub status: Status,
    /// Where it is: the location's current name (or free text from before locations
    /// were entities).
    pub location: Option<String>,
    /// The location entity it is at, if it is at one.
    #[serde(default)]
    pub location_id: Option<crate::locations::LocationId>,
    /// Who has it: the person's current name (or free text from before people were
    /// entities).
    pub holder: Option<String>,
    /// The person who has it, if it is checked out to a known person.
    #[serde(default)]
    pub holder_id: Option<crate::people::PersonId>,
    /// Due date of a check-out, `YYYY-MM-DD`.
    pub due: Option<String>,
    pub fields: BTreeMap<String, String>,
    /// False once its item stopped tracking units: the unit was folded back into a
    /// count. It keeps its history but no longer counts, resolves or takes events.
    pub active: bool,
    /// How many events have changed this unit; sync detects conflicts with it.
    pub version: i64,
    /// Station whose event changed the unit last.
    pub last_station: Option<Uuid>,
}

impl Unit {
    /// Does this unit count towards its item's totals?
    pub fn counts(&self) -> bool {
        self.active && self.status != Status::Retired
    }

    /// When its warranty ends (`YYYY-MM-DD`), if recorded.
    pub fn warranty_end(&self) -> Option<&str> {
        self.fields.get(WARRANTY_END).map(String::as_str)
    }

    /// When its next service is due (`YYYY-MM-DD`), if recorded.
    pub fn service_due(&self) -> Option<&str> {
        self.fields.get(SERVICE_DUE).map(String::as_str)
    }
}

/// What is wrong with a piece of text someone typed or scanned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{what} is empty")]
    Empty { what: &'static str },
    #[error("{what} is too long ({len} > {max})")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{what} contains a control character (U+{code:04X}) at position {pos}")]
    ControlChar {
        what: &'static str,
        code: u32,
        pos: usize,
    },
    #[error("{what} has leading or trailing spaces")]
    Untrimmed { what: &'static str },
}

/// Check a human-entered text (name, location, holder, field value).
pub fn check_text(what: &'static str, s: &str) -> Result<(), TextError> {
    if s.trim().is_empty() {
        return Err(TextError::Empty { what });
    }
    if s.trim() != s {
        return Err(TextError::Untrimmed { what });
    }
    let len = s.chars().count();
    if len > MAX_TEXT_CHARS {
        return Err(TextError::TooLong {
            what,
            len,
            max: MAX_TEXT_CHARS,
        });
    }
    check_no_control(what, s)
}

/// Check an asset tag or barcode: printable, no spaces at either end, bounded length.
pub fn check_tag(what: &'static str, s: &str) -> Result<(), TextError> {
    if s.is_empty() {
        return Err(TextError::Empty { what });
    }
    if s.trim() != s {
        return Err(TextError::Untrimmed { what });
    }
    if s.len() > MAX_TAG_BYTES {
        return Err(TextError::TooLong {
            what,
            len: s.len(),
            max: MAX_TAG_BYTES,
        });
    }
    check_no_control(what, s)
}

/// Check the scanned text an event carries: what a scanner may send
/// ([`crate::scan::text`]): at most [`crate::scan::text::MAX_SCAN_BYTES`] bytes, no
/// control character but GS (the GS1 separator).
pub fn check_scan(s: &str) -> Result<(), TextError> {
    use crate::scan::text::{GS, MAX_SCAN_BYTES};
    let what = "scanned text";
    if s.is_empty() {
        return Err(TextError::Empty { what });
    }
    if s.len() > MAX_SCAN_BYTES {
        return Err(TextError::TooLong {
            what,
            len: s.len(),
            max: MAX_SCAN_BYTES,
        });
    }
    match s
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && *c != GS as char)
    {
        Some((pos, c)) => Err(TextError::ControlChar {
            what,
            code: c as u32,
            pos,
        }),
        None => Ok(()),
    }
}

fn check_no_control(what: &'static str, s: &str) -> Result<(), TextError> {
    match s.chars().enumerate().find(|(_, c)| c.is_control()) {
        Some((pos, c)) => Err(TextError::ControlChar {
            what,
            code: c as u32,
            pos,
        }),
        None => Ok(()),
    }
}

/// Check a `YYYY-MM-DD` date.
pub fn check_date(s: &str) -> Result<(), String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt)
        .map(|_| ())
        .map_err(|_| format!("{s:?} is not a date like 2026-12-31"))
}

/// The form in which names and codes are compared: asset tags, barcodes, SKUs, item
/// names and unit names are kept as typed and compared by this key, so `ts-0001` finds
/// `TS-0001` and a second item "drill" beside "Drill" is refused. Every store compares
/// by it (the SQL stores keep it in `*_key` columns), so they all agree.
pub fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// Are two names or codes the same by the case rule ([`fold`])?
pub fn same_key(a: &str, b: &str) -> bool {
    a == b || fold(a) == fold(b)
}

/// Name of the `n`th seeded unit of an item: "Drill 01", "Drill 02", ...
pub fn unit_name(item_name: &str, n: usize) -> String {
    format!("{item_name} {n:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert!("lost".parse::<Status>().is_err());
    }

    #[test]
    fn text_rules() {
        assert!(check_text("name", "Drill 01").is_ok());
        assert!(matches!(
            check_text("name", "  "),
            Err(TextError::Empty { .. })
        ));
        assert!(matches!(
            check_text("name", "a\u{7}b"),
            Err(TextError::ControlChar {
                code: 7,
                pos: 1,
                ..
            })
        ));
        assert!(matches!(
            check_text("name", &"x".repeat(201)),
            Err(TextError::TooLong { .. })
        ));
        assert!(matches!(
            check_tag("asset tag", " T1"),
            Err(TextError::Untrimmed { .. })
        ));
        assert!(check_tag("asset tag", "TS-000123").is_ok());
        assert!(check_date("2026-02-30").is_err());
        assert!(check_date("2026-12-31").is_ok());
    }

    #[test]
    fn totals_add_and_total() {
        let mut t = Totals::default();
        t.add(Status::InStock, 4);
        t.add(Status::Damaged, 1);
        t.add(Status::Retired, 9);
        assert_eq!(t.total(), 5);
        t.add(Status::Damaged, -1);
        assert_eq!(t.0.len(), 2);
        assert_eq!(unit_name("Drill", 3), "Drill 03");
    }
}
