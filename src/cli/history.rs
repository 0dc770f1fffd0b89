//! History as people read it: local time, the station's and the unit's names instead
//! of ids, aligned columns; conflicts with both changes; the overdue list.

use std::collections::BTreeMap;

use uuid::Uuid;

use tagstation::store::{HistoryEntry, Store, UnitView};

use super::output::t;

/// Names for the ids a history shows, looked up once per listing.
#[derive(Debug, Default)]
pub struct Names {
    stations: BTreeMap<Uuid, String>,
    units: BTreeMap<Uuid, String>,
    items: BTreeMap<Uuid, String>,
}

impl Names {
    /// The names of every station, unit and item `entries` mention, from the store.
    pub fn for_entries(store: &Store, entries: &[HistoryEntry]) -> anyhow::Result<Names> {
        let mut n = Names {
            stations: store.station_names()?,
            ..Names::default()
        };
        for e in entries {
            if let Some(u) = e.unit_id {
                if let std::collections::btree_map::Entry::Vacant(v) = n.units.entry(u) {
                    if let Ok(unit) = store.unit(u) {
                        v.insert(match &unit.asset_tag {
                            Some(tag) => format!("{} ({tag})", unit.name),
                            None => unit.name,
                        });
                    }
                }
            }
            if let std::collections::btree_map::Entry::Vacant(v) = n.items.entry(e.item_id) {
                if let Ok(item) = store.find_item(&e.item_id.to_string()) {
                    v.insert(item.name);
                }
            }
        }
        Ok(n)
    }

    fn station(&self, id: Uuid) -> String {
        match self.stations.get(&id) {
            Some(name) => name.clone(),
            None => format!("station {}", &id.simple().to_string()[..8]),
        }
    }

    /// The unit an entry is about ("Drill 03 (TS-03)"), or its item for item events.
    fn subject(&self, e: &HistoryEntry) -> String {
        match e.unit_id {
            Some(u) => self
                .units
                .get(&u)
                .cloned()
                .unwrap_or_else(|| format!("unit {}", &u.simple().to_string()[..8])),
            None => self
                .items
                .get(&e.item_id)
                .cloned()
                .unwrap_or_else(|| format!("item {}", &e.item_id.simple().to_string()[..8])),
        }
    }
}

/// `2026-11-23T09:15:02.120Z` in the local time zone: `2026-11-23 10:15:02`.
pub fn local_time(at: &str) -> String {
    let Ok(utc) = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
    else {
        return at.to_string();
    };
    let secs = utc.unix_timestamp();
    let Some(secs) = libc::time_t::try_from(secs).ok() else {
        return at.to_string();
    };
    // SAFETY: localtime_r writes only into `tm`, which lives on this stack frame.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&secs, &mut tm) }.is_null() {
        return at.to_string();
    }
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

/// Rows of cells as aligned columns (every cell already escaped), the last unpadded.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([header[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

fn note(e: &HistoryEntry) -> String {
    let mut n = String::new();
    if !e.synced {
        n.push_str("(not synced) ");
    }
    match (&e.note, e.applied, e.conflict) {
        (Some(x), false, _) => n.push_str(&format!("NOT APPLIED: {}", t(x))),
        (x, true, true) => n.push_str(&format!("CONFLICT: {}", t(x.as_deref().unwrap_or("")))),
        _ => {}
    }
    n
}

/// A history as a table: when (local time; `?` when the station's clock was not
/// known to be right), station, unit, what, who, and any note.
pub fn history_text(h: &[HistoryEntry], names: &Names) -> String {
    if h.is_empty() {
        return "no history\n".into();
    }
    let rows: Vec<Vec<String>> = h
        .iter()
        .map(|e| {
            vec![
                format!(
                    "{}{}",
                    local_time(&e.at),
                    if e.clock_synced { "" } else { "?" }
                ),
                t(&names.station(e.station_id)).into_owned(),
                t(&names.subject(e)).into_owned(),
                // The lifecycle word first ("sold: retired (sold) to ACME").
                match &e.lifecycle {
                    Some(step) => t(&format!("{step}: {}", e.description)).into_owned(),
                    None => t(&e.description).into_owned(),
                },
                t(&e.actor).into_owned(),
                note(e),
            ]
        })
        .collect();
    let mut out = table(&["WHEN", "STATION", "UNIT", "WHAT", "WHO", "NOTE"], &rows);
    if h.iter().any(|e| !e.clock_synced) {
        out.push_str("(? = the station's clock was not known to be synchronised)\n");
    }
    out
}

/// Each conflict with its id, the unit, the change it met and itself.
pub fn conflicts_text(conflicts: &[(HistoryEntry, Option<HistoryEntry>)], names: &Names) -> String {
    if conflicts.is_empty() {
        return "no conflicts\n".into();
    }
    let mut out = String::new();
    for (c, before) in conflicts {
        out.push_str(&format!(
            "conflict {}  {}\n",
            c.event_id,
            t(&names.subject(c))
        ));
        let line = |label: &str, e: &HistoryEntry| {
            format!(
                "  {label:<7} {}  {}  {}  by {}\n",
                local_time(&e.at),
                t(&names.station(e.station_id)),
                t(&e.description),
                t(&e.actor)
            )
        };
        match before {
            Some(b) => out.push_str(&line("first", b)),
            None => out.push_str("  first   (no earlier change on this unit)\n"),
        }
        out.push_str(&line("then", c));
        let outcome = if c.applied {
            format!("applied on top: {}", t(c.note.as_deref().unwrap_or("")))
        } else {
            format!("NOT APPLIED: {}", t(c.note.as_deref().unwrap_or("")))
        };
        out.push_str(&format!("  {:<7} {outcome}\n", "outcome"));
    }
    out.push_str("(mark one reviewed on the hub: tagstation admin resolve EVENT_ID)\n");
    out
}

/// Days from `due` (YYYY-MM-DD) to `today`; none if either is not a date.
fn days_late(due: &str, today: &str) -> Option<i64> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(due, &f).ok()?;
    let now = time::Date::parse(today, &f).ok()?;
    Some((now - d).whole_days())
}

/// Overdue units as a table: holder, item, unit, due date and days late.
pub fn overdue_text(units: &[UnitView], today: &str) -> String {
    if units.is_empty() {
        return "nothing overdue\n".into();
    }
    let rows: Vec<Vec<String>> = units
        .iter()
        .map(|u| {
            let due = u.due.as_deref().unwrap_or("?");
            vec![
                t(u.holder.as_deref().unwrap_or("?")).into_owned(),
                t(&u.item).into_owned(),
                t(&u.name).into_owned(),
                t(u.asset_tag.as_deref().unwrap_or("-")).into_owned(),
                t(due).into_owned(),
                days_late(due, today).map_or("?".into(), |d| d.to_string()),
            ]
        })
        .collect();
    table(
        &["HOLDER", "ITEM", "UNIT", "TAG", "DUE", "DAYS LATE"],
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_and_days_are_counted() {
        let out = table(
            &["A", "BB", "C"],
            &[vec!["xxxx".into(), "y".into(), "z".into()]],
        );
        assert_eq!(out, "A     BB  C\nxxxx  y   z\n");
        assert_eq!(days_late("2026-11-28", "2026-12-01"), Some(3));
        assert_eq!(days_late("soon", "2026-12-01"), None);
    }
}
