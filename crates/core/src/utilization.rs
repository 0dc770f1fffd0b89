//! Utilisation: which units are always out and which never move, computed from
//! history alone. A pure function over the log ([`utilization`]): the log is replayed
//! through [`crate::event::apply`] into a fresh in-memory projection, so every unit's
//! status over time is exactly what the rules made of it (seeded and folded units
//! included), and each unit's time is added up over a window.
//!
//! Per unit: the time it was *in service* in the window (it existed, was not folded
//! into a count and not retired or sold), the share of that time it was checked out,
//! the share it was not in stock (checked out, receiving, sending or damaged), and the
//! number of check-outs made in the window. Per item: the same over all its units,
//! ranked from the most used.
//!
//! Times are the events' wall times. Stations' clocks may disagree, so a unit's
//! timeline never goes back: an event stamped earlier than the one before it (in the
//! hub's order) counts as happening at the same moment.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::{ItemId, Status, UnitId};
use crate::event::{apply, EventKind, MemProjection, Mode, StoredEvent};

/// The window a report covers: `[since_ms, until_ms)`, in milliseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub since_ms: i64,
    pub until_ms: i64,
}

impl Window {
    /// The window from `--since` and `--until` dates (`YYYY-MM-DD`, UTC): from the
    /// start of `since` (default: `first_ms`, the oldest event) to the end of `until`
    /// (default: `now_ms`).
    pub fn from_dates(
        since: Option<&str>,
        until: Option<&str>,
        first_ms: i64,
        now_ms: i64,
    ) -> Result<Window, String> {
        let since_ms = match since {
            Some(d) => day_start_ms(d)?,
            None => first_ms.min(now_ms),
        };
        let until_ms = match until {
            Some(d) => day_start_ms(d)? + DAY_MS,
            None => now_ms,
        };
        if until_ms <= since_ms {
            return Err(format!(
                "the window is empty: it ends ({}) before it starts ({})",
                crate::clock::rfc3339(until_ms),
                crate::clock::rfc3339(since_ms)
            ));
        }
        Ok(Window { since_ms, until_ms })
    }
}

const DAY_MS: i64 = 86_400_000;

/// Midnight UTC at the start of a `YYYY-MM-DD` date, in milliseconds.
fn day_start_ms(date: &str) -> Result<i64, String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(date, &fmt)
        .map_err(|_| format!("{date:?} is not a date like 2026-12-31"))?;
    Ok(d.midnight().assume_utc().unix_timestamp() * 1000)
}

/// One unit's use over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitUse {
    pub unit_id: UnitId,
    pub item_id: ItemId,
    pub item: String,
    pub name: String,
    pub asset_tag: Option<String>,
    /// Folded back into its item's count by now (its time before the fold counts).
    pub folded: bool,
    /// Time in the window the unit existed, was not folded and not retired.
    pub in_service_ms: i64,
    pub checked_out_ms: i64,
    /// Checked out, receiving, sending or damaged.
    pub not_in_stock_ms: i64,
    /// `checked_out_ms / in_service_ms` (0 with no time in service).
    pub checked_out_share: f64,
    pub not_in_stock_share: f64,
    /// Check-outs made in the window.
    pub checkouts: i64,
}

/// One item's use over the window: its units' together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemUse {
    /// 1 for the most used item.
    pub rank: usize,
    pub item_id: ItemId,
    pub item: String,
    /// Units with time in service in the window.
    pub units: usize,
    pub in_service_ms: i64,
    pub checked_out_ms: i64,
    pub not_in_stock_ms: i64,
    pub checked_out_share: f64,
    pub not_in_stock_share: f64,
    pub checkouts: i64,
}

/// The report: units and items, most used first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Utilization {
    pub window: Window,
    pub items: Vec<ItemUse>,
    pub units: Vec<UnitUse>,
}

/// Where one unit stands on its timeline from `at` on: one mark per change to it.
#[derive(Debug, Clone, Copy)]
struct Mark {
    at: i64,
    status: Status,
    active: bool,
    /// The change was a check-out.
    checkout: bool,
}

#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    in_service: i64,
    out: i64,
    not_in_stock: i64,
    checkouts: i64,
}

impl Sums {
    /// Add the time from `from` to `to` spent in `state`, clipped to the window.
    fn add(&mut self, w: Window, state: Mark, to: i64) {
        let d = to.min(w.until_ms) - state.at.max(w.since_ms);
        if d <= 0 || !state.active || state.status == Status::Retired {
            return;
        }
        self.in_service += d;
        if state.status == Status::CheckedOut {
            self.out += d;
        }
        if state.status != Status::InStock {
            self.not_in_stock += d;
        }
    }
}

fn share(part: i64, whole: i64) -> f64 {
    if whole > 0 {
        part as f64 / whole as f64
    } else {
        0.0
    }
}

/// Compute utilisation over `window` from a log in its canonical order (the hub's,
/// then the station's own unconfirmed events). Events that were not applied (refused
/// at the hub, kept as history) changed nothing and are skipped.
pub fn utilization(log: &[StoredEvent], window: Window) -> Utilization {
    let mut t = Timelines::default();
    t.feed(log);
    t.utilization(window)
}

/// Every unit's timeline, built from the log once and extended as it grows: a report
/// over any window is then a pass over the timelines, not a replay of the log. The hub
/// keeps one per process and feeds it the events after [`Timelines::last_seq`].
#[derive(Debug, Default)]
pub struct Timelines {
    p: MemProjection,
    marks: BTreeMap<UnitId, Vec<Mark>>,
    last_seq: i64,
}

impl Timelines {
    /// The hub position of the last event fed (0: none).
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    /// Replay `log` (in its canonical order) onto the timelines. An event the hub
    /// numbered at or before [`Timelines::last_seq`] was fed already and is skipped, so
    /// two readers feeding the same page do no harm.
    pub fn feed(&mut self, log: &[StoredEvent]) {
        for stored in log {
            if let Some(seq) = stored.hub_seq {
                if seq <= self.last_seq {
                    continue;
                }
                self.last_seq = seq;
            }
            if stored.outcome.applied {
                self.apply(&stored.event);
            }
        }
    }

    fn apply(&mut self, ev: &crate::event::Event) {
        let Ok(done) = apply(&mut self.p, ev, Mode::Trusted) else {
            // Applied where it was recorded, refused on this replay: the log holds
            // less than the catalog it was applied to. It changed nothing here.
            return;
        };
        for id in done.units {
            let Some(unit) = self.p.units.get(&id) else {
                continue;
            };
            let marks = self.marks.entry(id).or_default();
            // A unit's timeline never goes back (stations' clocks may disagree).
            let at = marks
                .last()
                .map_or(ev.wall_time_ms, |m| ev.wall_time_ms.max(m.at));
            marks.push(Mark {
                at,
                status: unit.status,
                active: unit.active,
                checkout: matches!(ev.kind, EventKind::CheckedOut { .. }),
            });
        }
    }

    /// Utilisation over `window`, from the timelines fed so far.
    pub fn utilization(&self, window: Window) -> Utilization {
        let p = &self.p;
        let mut sums: BTreeMap<UnitId, Sums> = BTreeMap::new();
        for (id, marks) in &self.marks {
            let s = sums.entry(*id).or_default();
            for (i, m) in marks.iter().enumerate() {
                let to = marks.get(i + 1).map_or(window.until_ms, |next| next.at);
                s.add(window, *m, to);
                if m.checkout && (window.since_ms..window.until_ms).contains(&m.at) {
                    s.checkouts += 1;
                }
            }
        }
        report(p, &sums, window)
    }
}

/// The report from each unit's sums: units and items ranked, most used first.
fn report(p: &MemProjection, sums: &BTreeMap<UnitId, Sums>, window: Window) -> Utilization {
    let mut units: Vec<UnitUse> = sums
        .iter()
        .filter(|(_, s)| s.in_service > 0)
        .filter_map(|(id, s)| {
            let u = p.units.get(id)?;
            Some(UnitUse {
                unit_id: u.id,
                item_id: u.item_id,
                item: p.items.get(&u.item_id).map(|i| i.name.clone())?,
                name: u.name.clone(),
                asset_tag: u.asset_tag.clone(),
                folded: !u.active,
                in_service_ms: s.in_service,
                checked_out_ms: s.out,
                not_in_stock_ms: s.not_in_stock,
                checked_out_share: share(s.out, s.in_service),
                not_in_stock_share: share(s.not_in_stock, s.in_service),
                checkouts: s.checkouts,
            })
        })
        .collect();
    let by_use =
        |a_out: f64, a_n: i64, b_out: f64, b_n: i64| b_out.total_cmp(&a_out).then(b_n.cmp(&a_n));
    units.sort_by(|a, b| {
        by_use(
            a.checked_out_share,
            a.checkouts,
            b.checked_out_share,
            b.checkouts,
        )
        .then_with(|| (&a.item, &a.name).cmp(&(&b.item, &b.name)))
    });

    let mut per_item: BTreeMap<ItemId, (String, usize, Sums)> = BTreeMap::new();
    for u in &units {
        let e = per_item
            .entry(u.item_id)
            .or_insert_with(|| (u.item.clone(), 0, Sums::default()));
        e.1 += 1;
        e.2.in_service += u.in_service_ms;
        e.2.out += u.checked_out_ms;
        e.2.not_in_stock += u.not_in_stock_ms;
        e.2.checkouts += u.checkouts;
    }
    let mut items: Vec<ItemUse> = per_item
        .into_iter()
        .map(|(item_id, (item, n, s))| ItemUse {
            rank: 0,
            item_id,
            item,
            units: n,
            in_service_ms: s.in_service,
            checked_out_ms: s.out,
            not_in_stock_ms: s.not_in_stock,
            checked_out_share: share(s.out, s.in_service),
            not_in_stock_share: share(s.not_in_stock, s.in_service),
            checkouts: s.checkouts,
        })
        .collect();
    items.sort_by(|a, b| {
        by_use(
            a.checked_out_share,
            a.checkouts,
            b.checked_out_share,
            b.checkouts,
        )
        .then_with(|| a.item.cmp(&b.item))
    });
    for (i, it) in items.iter_mut().enumerate() {
        it.rank = i + 1;
    }
    Utilization {
        window,
        items,
        units,
    }
}

#[cfg(test)]
mod tests;
