//! Reservations: a person's claim on units of an item for a window of days ("the
//! camera kit, Tuesday to Thursday").
//!
//! A [`Reservation`] is a catalog entity made by its own events, like a location: made
//! (`reservation_made`, carrying [`ReservationFields`]), then fulfilled by a check-out
//! to its person, or cancelled. It names either units (those very units) or a number
//! of units of an item (any of them). Its window is whole days, both ends included,
//! as `YYYY-MM-DD`.
//!
//! Two live reservations [`clash`](clashes) when their windows overlap and they name the
//! same unit, or when, on some day, the item's live reservations together ask for more
//! units than it has. The operations layer refuses a clash it can see; one made
//! offline at two stations is applied at the hub and flagged as a conflict, never
//! merged.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{check_date, check_text, ItemId, UnitId};
use crate::people::PersonId;

pub type ReservationId = Uuid;

/// Longest window of one reservation, in days.
pub const MAX_DAYS: i64 = 366;
/// Most units one reservation may ask for.
pub const MAX_UNITS: i64 = 1000;

/// Where a reservation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationState {
    /// Made, not yet picked up.
    Open,
    /// Picked up: a unit was checked out to its person.
    Fulfilled,
    /// Called off; it holds nothing any more.
    Cancelled,
}

impl ReservationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationState::Open => "open",
            ReservationState::Fulfilled => "fulfilled",
            ReservationState::Cancelled => "cancelled",
        }
    }

    /// Does a reservation in this state still hold its units (open or picked up)?
    pub fn is_live(self) -> bool {
        self != ReservationState::Cancelled
    }
}

impl fmt::Display for ReservationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `reservation_made` carries: all of a reservation but its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationFields {
    pub item_id: ItemId,
    /// The units reserved; empty for "any `count` units of the item".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<UnitId>,
    /// How many units: the number of `units` when they are named.
    pub count: i64,
    pub person_id: PersonId,
    /// First day, `YYYY-MM-DD`.
    pub starts: String,
    /// Last day, included.
    pub ends: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Why a reservation's fields are not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReservationError {
    #[error("{0}")]
    Date(String),
    #[error("the reservation ends ({ends}) before it starts ({starts})")]
    EndsBeforeStart { starts: String, ends: String },
    #[error("a reservation lasts at most {MAX_DAYS} days")]
    TooLong,
    #[error("a reservation is for 1 to {MAX_UNITS} units, not {0}")]
    Count(i64),
    #[error("the reservation names {named} units but counts {count}")]
    CountMismatch { named: usize, count: i64 },
    #[error("the reservation names a unit twice")]
    RepeatedUnit,
    #[error(transparent)]
    Text(#[from] crate::catalog::TextError),
}

impl ReservationFields {
    /// The stateless rules: real dates in order, at most [`MAX_DAYS`] long, a count in
    /// range matching the units named, no unit twice.
    pub fn check(&self) -> Result<(), ReservationError> {
        check_date(&self.starts).map_err(ReservationError::Date)?;
        check_date(&self.ends).map_err(ReservationError::Date)?;
        if self.ends < self.starts {
            return Err(ReservationError::EndsBeforeStart {
                starts: self.starts.clone(),
                ends: self.ends.clone(),
            });
        }
        if days_between(&self.starts, &self.ends).is_none_or(|d| d >= MAX_DAYS) {
            return Err(ReservationError::TooLong);
        }
        if !(1..=MAX_UNITS).contains(&self.count) {
            return Err(ReservationError::Count(self.count));
        }
        if !self.units.is_empty() && self.units.len() as i64 != self.count {
            return Err(ReservationError::CountMismatch {
                named: self.units.len(),
                count: self.count,
            });
        }
        let mut seen = self.units.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.units.len() {
            return Err(ReservationError::RepeatedUnit);
        }
        if let Some(n) = &self.note {
            check_text("note", n)?;
        }
        Ok(())
    }

    /// Do the two windows share a day?
    pub fn overlaps(&self, from: &str, to: &str) -> bool {
        self.starts.as_str() <= to && from <= self.ends.as_str()
    }

    pub fn into_reservation(self, id: ReservationId) -> Reservation {
        Reservation {
            id,
            fields: self,
            state: ReservationState::Open,
            version: 1,
        }
    }
}

fn parse_day(d: &str) -> Option<time::Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(d, &fmt).ok()
}

fn format_day(d: time::Date) -> Option<String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    d.format(&fmt).ok()
}

/// The day `delta` days after `day` (before, when negative), `YYYY-MM-DD`.
pub fn shift_day(day: &str, delta: i64) -> Option<String> {
    let d = parse_day(day)?.checked_add(time::Duration::days(delta))?;
    format_day(d)
}

/// `n` days in a row from `day` on, `YYYY-MM-DD`.
pub fn days_from(day: &str, n: i64) -> Option<Vec<String>> {
    (0..n).map(|i| shift_day(day, i)).collect()
}

/// Days from `a` to `b` (`YYYY-MM-DD`): 0 for the same day.
fn days_between(a: &str, b: &str) -> Option<i64> {
    Some((parse_day(b)? - parse_day(a)?).whole_days())
}

/// A reservation as the catalog knows it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub id: ReservationId,
    #[serde(flatten)]
    pub fields: ReservationFields,
    pub state: ReservationState,
    pub version: i64,
}

impl Reservation {
    /// Does it still hold its units on some day of `from..=to`?
    pub fn holds(&self, from: &str, to: &str) -> bool {
        self.state.is_live() && self.fields.overlaps(from, to)
    }

    /// Does it name this unit, or (a count reservation) any unit of its item?
    pub fn covers(&self, unit: UnitId) -> bool {
        self.fields.units.is_empty() || self.fields.units.contains(&unit)
    }
}

/// Which reservations a store lists: every filter given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReservationQuery {
    pub item: Option<ItemId>,
    pub person: Option<PersonId>,
    /// Only those still holding a day on or after this date.
    pub from: Option<String>,
    /// Only those starting on or before this date.
    pub to: Option<String>,
    /// Leave cancelled ones out.
    pub live_only: bool,
}

impl ReservationQuery {
    /// The live reservations of an item sharing a day with `from..=to`.
    pub fn of_item(item: ItemId, from: &str, to: &str) -> ReservationQuery {
        ReservationQuery {
            item: Some(item),
            from: Some(from.into()),
            to: Some(to.into()),
            live_only: true,
            ..ReservationQuery::default()
        }
    }

    /// Does `r` pass every filter? (The in-memory store's query; the SQL stores say
    /// the same in SQL.)
    pub fn matches(&self, r: &Reservation) -> bool {
        self.item.is_none_or(|i| r.fields.item_id == i)
            && self.person.is_none_or(|p| r.fields.person_id == p)
            && self
                .from
                .as_deref()
                .is_none_or(|f| r.fields.ends.as_str() >= f)
            && self
                .to
                .as_deref()
                .is_none_or(|t| r.fields.starts.as_str() <= t)
            && (!self.live_only || r.state.is_live())
    }
}

/// The reservations among `others` that `new` (with id `id`) clashes with, on an item
/// with `capacity` units that can be lent: the live ones sharing a day with it that
/// name one of its units, and, when on some day of its window the live reservations
/// sharing that day ask for more units than there are, every one of those. Ordered as
/// `others` is; none when it fits.
pub fn clashes<'a>(
    id: ReservationId,
    new: &ReservationFields,
    others: &'a [Reservation],
    capacity: i64,
) -> Vec<&'a Reservation> {
    let near: Vec<&Reservation> = others
        .iter()
        .filter(|r| r.id != id && r.fields.item_id == new.item_id)
        .filter(|r| r.holds(&new.starts, &new.ends))
        .collect();
    let named: Vec<&Reservation> = near
        .iter()
        .copied()
        .filter(|r| {
            !new.units.is_empty()
                && !r.fields.units.is_empty()
                && r.fields.units.iter().any(|u| new.units.contains(u))
        })
        .collect();
    if !named.is_empty() {
        return named;
    }
    // The busiest day of the window: each reservation clipped to the window, starts
    // counted before ends on the same day (both ends are included).
    let mut marks: Vec<(&str, u8, i64)> = Vec::with_capacity(near.len() * 2 + 2);
    for f in near.iter().map(|r| &r.fields).chain(std::iter::once(new)) {
        let s = f.starts.as_str().max(new.starts.as_str());
        let e = f.ends.as_str().min(new.ends.as_str());
        marks.push((s, 0, f.count));
        marks.push((e, 1, -f.count));
    }
    marks.sort();
    let mut wanted = 0;
    let mut most = 0;
    for (_, _, n) in marks {
        wanted += n;
        most = most.max(wanted);
    }
    if most > capacity {
        near
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(units: &[u128], count: i64, starts: &str, ends: &str) -> ReservationFields {
        ReservationFields {
            item_id: Uuid::from_u128(1),
            units: units.iter().map(|u| Uuid::from_u128(*u)).collect(),
            count,
            person_id: Uuid::from_u128(9),
            starts: starts.into(),
            ends: ends.into(),
            note: None,
        }
    }

    fn made(id: u128, f: ReservationFields) -> Reservation {
        f.into_reservation(Uuid::from_u128(id))
    }

    #[test]
    fn fields_are_checked() {
        assert!(fields(&[], 1, "2026-12-08", "2026-12-10").check().is_ok());
        assert!(matches!(
            fields(&[], 1, "2026-12-10", "2026-12-08").check(),
            Err(ReservationError::EndsBeforeStart { .. })
        ));
        assert!(matches!(
            fields(&[], 1, "2026-12-08", "2028-01-01").check(),
            Err(ReservationError::TooLong)
        ));
        assert!(matches!(
            fields(&[], 0, "2026-12-08", "2026-12-08").check(),
            Err(ReservationError::Count(0))
        ));
        assert!(matches!(
            fields(&[5, 6], 1, "2026-12-08", "2026-12-08").check(),
            Err(ReservationError::CountMismatch { .. })
        ));
        assert!(matches!(
            fields(&[5, 5], 2, "2026-12-08", "2026-12-08").check(),
            Err(ReservationError::RepeatedUnit)
        ));
        assert!(matches!(
            fields(&[], 1, "2026-02-30", "2026-03-01").check(),
            Err(ReservationError::Date(_))
        ));
    }

    #[test]
    fn days_shift_across_months_and_years() {
        assert_eq!(shift_day("2026-12-31", 1).as_deref(), Some("2027-01-01"));
        assert_eq!(shift_day("2028-03-01", -1).as_deref(), Some("2028-02-29"));
        assert_eq!(
            days_from("2026-12-30", 3).unwrap(),
            ["2026-12-30", "2026-12-31", "2027-01-01"]
        );
        assert_eq!(shift_day("not a day", 1), None);
    }

    #[test]
    fn the_same_unit_on_a_shared_day_clashes() {
        let ana = made(10, fields(&[5], 1, "2026-12-08", "2026-12-10"));
        let others = [ana];
        // Ends on the day Ana's starts: both ends are included.
        let touching = fields(&[5], 1, "2026-12-01", "2026-12-08");
        assert_eq!(clashes(Uuid::from_u128(11), &touching, &others, 3).len(), 1);
        let before = fields(&[5], 1, "2026-12-01", "2026-12-07");
        assert!(clashes(Uuid::from_u128(11), &before, &others, 3).is_empty());
        let other_unit = fields(&[6], 1, "2026-12-08", "2026-12-10");
        assert!(clashes(Uuid::from_u128(11), &other_unit, &others, 3).is_empty());
        // A reservation never clashes with itself (a replay of its own event).
        assert!(clashes(Uuid::from_u128(10), &touching, &others, 3).is_empty());
    }

    #[test]
    fn counts_clash_only_on_a_day_that_asks_for_too_many() {
        let others = [
            made(10, fields(&[], 2, "2026-12-01", "2026-12-03")),
            made(11, fields(&[], 2, "2026-12-05", "2026-12-07")),
        ];
        // Three units: 2 + 1 on any day fits, even across both.
        let one = fields(&[], 1, "2026-12-01", "2026-12-07");
        assert!(clashes(Uuid::from_u128(12), &one, &others, 3).is_empty());
        // 2 + 2 on the 3rd is too many.
        let two = fields(&[], 2, "2026-12-03", "2026-12-04");
        let c = clashes(Uuid::from_u128(12), &two, &others, 3);
        assert_eq!(c.len(), 1, "only the reservation sharing its days");
        assert_eq!(c[0].id, Uuid::from_u128(10));
        // A named unit takes one of the item's units too.
        let named = fields(&[7, 8], 2, "2026-12-02", "2026-12-02");
        assert_eq!(clashes(Uuid::from_u128(12), &named, &others, 3).len(), 1);
        // Cancelled reservations hold nothing.
        let mut gone = others.clone();
        gone[0].state = ReservationState::Cancelled;
        assert!(clashes(Uuid::from_u128(12), &two, &gone, 3).is_empty());
    }
}
