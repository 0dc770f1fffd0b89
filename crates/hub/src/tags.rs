//! New tag numbers, leased to stations in blocks (`POST /v1/tags/lease`), so that a
//! station can tag new units while offline and no two stations ever hand out the same
//! tag.
//!
//! Numbers count per prefix (by the case rule), from 1: each block starts after the
//! largest number leased so far and is [`TagSettings::block`] long, the last one cut
//! at the pattern's largest number. A lease is one insert keyed by the prefix and the
//! block's first number, so of two leases racing for one block (two hubs on one
//! PostgreSQL) only the first to commit writes it; the other finds the row taken and
//! tries again after it ([`lease`]).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::db::{params, Conn, Row};
use super::{HubError, Result};
use tagstation_core::catalog::fold;
use tagstation_core::clock::rfc3339;
use tagstation_core::tags::{PatternError, TagBlock, TagPattern};

/// The largest block a hub leases at once.
pub const MAX_BLOCK: u64 = 1_000_000;

/// How many times a lease tries again after another hub took the block it wrote.
const TRIES: usize = 64;

/// What the hub leases: new tags written by `pattern`, `block` numbers at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagSettings {
    pub pattern: TagPattern,
    pub block: u64,
}

impl Default for TagSettings {
    fn default() -> Self {
        TagSettings {
            pattern: TagPattern::default(),
            block: 100,
        }
    }
}

/// Why the hub's tag settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Pattern(#[from] PatternError),
    #[error("a block of new tags holds between 1 and {MAX_BLOCK} numbers, not {0}")]
    Block(u64),
    #[error("new tags {new} could be the very tags leased before as {leased}: keep --tag-digits and --tag-check-digit as they were (or widen --tag-digits), or choose a prefix that is not the old one with digits after it")]
    Clash { new: String, leased: String },
}

impl TagSettings {
    /// Checked once, as the hub starts.
    pub fn check(&self) -> Result<(), SettingsError> {
        self.pattern.check()?;
        if !(1..=MAX_BLOCK).contains(&self.block) {
            return Err(SettingsError::Block(self.block));
        }
        Ok(())
    }

    /// Refuse a pattern that could write a tag a pattern leased before wrote
    /// ([`could_clash`]): numbers are counted per prefix, not per way of writing them.
    pub fn check_against(&self, leased: &[TagPattern]) -> Result<(), SettingsError> {
        match leased.iter().find(|old| could_clash(&self.pattern, old)) {
            Some(old) => Err(SettingsError::Clash {
                new: describe(&self.pattern),
                leased: describe(old),
            }),
            None => Ok(()),
        }
    }
}

/// Whether tags written by `a` and by `b` could be the same text (letter case aside):
/// as long as each other, and one prefix the other's with only digits after it (the
/// same prefix with the check digit turned on or off and one digit less or more is
/// one case). A pattern never clashes with itself: its numbers are counted.
pub fn could_clash(a: &TagPattern, b: &TagPattern) -> bool {
    let (fa, fb) = (fold(&a.prefix), fold(&b.prefix));
    if fa == fb && a.digits == b.digits && a.check_digit == b.check_digit {
        return false;
    }
    let width = |p: &TagPattern, folded: &str| folded.len() + p.digits + usize::from(p.check_digit);
    if width(a, &fa) != width(b, &fb) {
        return false;
    }
    let (short, long) = if fa.len() <= fb.len() {
        (fa, fb)
    } else {
        (fb, fa)
    };
    long.strip_prefix(short.as_str())
        .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit()))
}

/// A pattern in words: `TS-` and 6 digits, and a check digit.
fn describe(p: &TagPattern) -> String {
    let check = if p.check_digit {
        " and a check digit"
    } else {
        ""
    };
    format!(
        "{:?} and {} digits{check} ({})",
        p.prefix,
        p.digits,
        p.format(1)
    )
}

/// Every way of writing tags that blocks were leased with.
pub fn leased_patterns(c: &mut dyn Conn) -> Result<Vec<TagPattern>> {
    c.query(
        "SELECT DISTINCT prefix, digits, check_digit FROM tag_leases",
        &[],
    )?
    .iter()
    .map(|r| pattern_at(r, 0))
    .collect()
}

/// A lease made: the block, and the name of the station it went to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leased {
    pub block: TagBlock,
    pub station: Option<String>,
}

/// Lease the next block of new tags to `station`, in the caller's write transaction.
/// Fails with [`HubError::TagsExhausted`] once every number of the pattern is leased.
pub fn lease(c: &mut dyn Conn, t: &TagSettings, station: Uuid, now_ms: i64) -> Result<Leased> {
    let p = &t.pattern;
    let key = fold(&p.prefix);
    let max = int(p.max())?;
    for _ in 0..TRIES {
        // One statement: where the block starts is read and the block written at once.
        // On SQLite the write lock makes it the only writer; on PostgreSQL a block
        // another hub wrote first (committed after this statement began) is a conflict
        // on the key, and the insert writes nothing.
        let row = c.query_opt(
            "INSERT INTO tag_leases
               (prefix_key, first, last, prefix, digits, check_digit, station_id, leased_at_ms)
             SELECT ?1, top + 1, CASE WHEN top + ?2 < ?3 THEN top + ?2 ELSE ?3 END,
                    ?4, ?5, ?6, ?7, ?8
             FROM (SELECT COALESCE(MAX(last), 0) AS top FROM tag_leases
                   WHERE prefix_key = ?1) AS leased
             WHERE top < ?3
             ON CONFLICT (prefix_key, first) DO NOTHING
             RETURNING first, last",
            params![
                &key,
                int(t.block)?,
                max,
                &p.prefix,
                int(p.digits as u64)?,
                p.check_digit,
                station,
                now_ms
            ],
        )?;
        if let Some(r) = row {
            let block = TagBlock {
                pattern: p.clone(),
                first: number(&r, 0)?,
                last: number(&r, 1)?,
            };
            let station = c
                .query_opt(
                    "SELECT name FROM stations WHERE station_id = ?1",
                    params![station],
                )?
                .map(|r| r.text(0))
                .transpose()?;
            return Ok(Leased { block, station });
        }
        let top = c
            .query_one(
                "SELECT COALESCE(MAX(last), 0) FROM tag_leases WHERE prefix_key = ?1",
                params![&key],
            )?
            .int(0)?;
        if top >= max {
            return Err(HubError::TagsExhausted(p.format(p.max())));
        }
    }
    Err(HubError::Task(format!(
        "no block of new tags could be leased in {TRIES} tries: other hubs leased each first"
    )))
}

/// One new tag for the hub's own use (a unit added in the web app): a block of one
/// number leased to the hub itself (`hub`, its own station id), so it is never a tag a
/// station hands out, and the admin's list of blocks shows where it went.
pub fn take_one(c: &mut dyn Conn, t: &TagSettings, hub: Uuid, now_ms: i64) -> Result<String> {
    let one = TagSettings {
        pattern: t.pattern.clone(),
        block: 1,
    };
    let b = lease(c, &one, hub, now_ms)?.block;
    Ok(b.pattern.format(b.first))
}

/// A block of new tags as the hub's admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagLease {
    /// The station's name (none if the hub has no station of that id).
    pub station: Option<String>,
    pub station_id: Uuid,
    pub first: u64,
    pub last: u64,
    /// The first and last tag of the block, written by the pattern it was leased with.
    pub first_tag: String,
    pub last_tag: String,
    pub leased_at: String,
}

/// Every lease, oldest first.
pub fn leases(c: &mut dyn Conn) -> Result<Vec<TagLease>> {
    c.query(
        "SELECT s.name, l.station_id, l.first, l.last, l.prefix, l.digits, l.check_digit,
                l.leased_at_ms
         FROM tag_leases l LEFT JOIN stations s ON s.station_id = l.station_id
         ORDER BY l.leased_at_ms, l.prefix_key, l.first",
        &[],
    )?
    .iter()
    .map(|r| {
        let pattern = pattern_at(r, 4)?;
        let (first, last) = (number(r, 2)?, number(r, 3)?);
        Ok(TagLease {
            station: r.opt_text(0)?,
            station_id: r.uuid(1)?,
            first,
            last,
            first_tag: pattern.format(first),
            last_tag: pattern.format(last),
            leased_at: rfc3339(r.int(7)?),
        })
    })
    .collect()
}

/// The pattern of a leased block: its prefix, digits and check digit from column `col`.
fn pattern_at(r: &Row, col: usize) -> Result<TagPattern> {
    let pattern = TagPattern {
        prefix: r.text(col)?,
        digits: usize::try_from(number(r, col + 1)?).unwrap_or(usize::MAX),
        check_digit: r.bool(col + 2)?,
    };
    pattern
        .check()
        .map_err(|e| HubError::Corrupt(format!("a leased block's tag pattern: {e}")))?;
    Ok(pattern)
}

/// A number as the database keeps it (every number a pattern writes fits).
fn int(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| HubError::BadRequest(format!("{n} is out of range")))
}

fn number(r: &Row, col: usize) -> Result<u64> {
    let n = r.int(col)?;
    u64::try_from(n).map_err(|_| HubError::Corrupt(format!("column {col}: {n} is negative")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(prefix: &str, digits: usize, check_digit: bool) -> TagPattern {
        TagPattern {
            prefix: prefix.into(),
            digits,
            check_digit,
        }
    }

    /// Tags of two patterns can be the same text only at one length, with one prefix
    /// the other's and digits after it.
    #[test]
    fn patterns_that_could_write_one_tag() {
        let ts6 = p("TS-", 6, false);
        for (other, clash) in [
            (p("TS-", 6, false), false), // itself: its numbers are counted
            (p("ts-", 6, false), false), // the same, letter case aside
            (p("TS-", 7, false), false), // TS-0000123: longer
            (p("TS-", 5, true), true),   // TS-000125: 12 and its check digit
            (p("TS-0", 5, false), true), // TS-012345
            (p("ts-1", 5, false), true), // TS-112345
            (p("TS-A", 5, false), false),
            (p("TS", 7, false), false), // TS0000123: no dash
            (p("TT-", 6, false), false),
        ] {
            assert_eq!(could_clash(&ts6, &other), clash, "{other:?}");
            assert_eq!(could_clash(&other, &ts6), clash, "{other:?}");
        }
        let checked = p("TS-", 6, true);
        assert!(could_clash(&checked, &p("TS-", 7, false)));
        assert!(!could_clash(&checked, &p("TS-", 7, true)));
    }

    #[test]
    fn settings_are_checked() {
        let t = |pattern, block| TagSettings { pattern, block };
        assert!(t(p("TS-", 6, false), 100).check().is_ok());
        assert!(t(p("TS-", 6, false), 0).check().is_err());
        assert!(t(p("TS-", 6, false), MAX_BLOCK + 1).check().is_err());
        assert!(t(p("TS 1", 6, false), 100).check().is_err());
        let err = t(p("TS-", 7, false), 100)
            .check_against(&[p("TS-", 6, false), p("TS-", 6, true)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"TS-\" and 7 digits (TS-0000001)"), "{err}");
        assert!(err.contains("and 6 digits and a check digit"), "{err}");
    }
}
