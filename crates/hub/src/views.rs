//! What the hub's admin reads: items, units, one unit's history, who holds what, open
//! conflicts (and marking them reviewed), and the counters for `/metrics`. The JSON
//! shapes come from `tagstation_core::view`, as on the station.

use uuid::Uuid;

use super::db::{params, Conn};
use super::tables::{
    select_events, select_items, select_locations, select_people, select_units, Tables,
};
use super::{Holding, HubError, Result, Stats};
use tagstation_core::catalog::{Item, ItemId, Status, Unit, UnitId};
use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::event::Projection;
use tagstation_core::view::{self, HistoryEntry, ItemView, LocationView, PersonView, UnitView};

/// Conflicts an admin has not marked as reviewed (a filter on events `e`).
const OPEN_CONFLICT: &str =
    "e.conflict = TRUE AND NOT EXISTS (SELECT 1 FROM reviewed r WHERE r.event_id = e.id)";

pub fn items(c: &mut dyn Conn) -> Result<Vec<ItemView>> {
    let items = select_items(c, "ORDER BY name", &[])?;
    item_views(c, &items)
}

pub fn units(c: &mut dyn Conn, item: Option<ItemId>) -> Result<Vec<UnitView>> {
    let units = match item {
        Some(i) => select_units(
            c,
            "WHERE item_id = ?1 AND active = TRUE ORDER BY name",
            params![i],
        )?,
        None => select_units(c, "WHERE active = TRUE ORDER BY name", &[])?,
    };
    unit_views(c, &units)
}

/// The views of `units`, with their items read once (one query per 256 items) instead
/// of once per unit.
pub fn unit_views(c: &mut dyn Conn, units: &[Unit]) -> Result<Vec<UnitView>> {
    let ids: Vec<ItemId> = units.iter().map(|u| u.item_id).collect();
    let items: std::collections::HashMap<ItemId, Item> = Tables::new(c)
        .items_by_ids(&ids)?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let today = tagstation_core::clock::today();
    Ok(units
        .iter()
        .map(|u| view::unit_view_with(u, items.get(&u.item_id), &today))
        .collect())
}

/// A unit by asset tag, or else by id.
pub fn find_unit(c: &mut dyn Conn, reference: &str) -> Result<UnitView> {
    let mut p = Tables::new(c);
    let unit = match p.unit_by_tag(reference)? {
        Some(u) => Some(u),
        None => select_units(p.conn(), "WHERE id = ?1", params![reference])?.pop(),
    };
    let unit = unit.ok_or_else(|| HubError::NotFound(format!("unit {reference:?}")))?;
    view::unit_view(&mut p, &unit)
}

/// Every event that touched a unit, in the hub's order.
pub fn unit_history(c: &mut dyn Conn, unit: UnitId) -> Result<Vec<HistoryEntry>> {
    Ok(select_events(
        c,
        "JOIN event_units eu ON eu.event_id = e.id WHERE eu.unit_id = ?1 ORDER BY e.hub_seq",
        params![unit],
    )?
    .into_iter()
    .map(|s| view::history_entry(s, None))
    .collect())
}

pub fn holdings(c: &mut dyn Conn) -> Result<Vec<Holding>> {
    let units = select_units(
        c,
        "WHERE active = TRUE AND status = 'checked_out' ORDER BY holder, name",
        &[],
    )?;
    let views = unit_views(c, &units)?;
    Ok(units
        .iter()
        .zip(views)
        .map(|(u, unit)| Holding {
            holder: u.holder.clone().unwrap_or_default(),
            unit,
        })
        .collect())
}

pub fn conflicts(c: &mut dyn Conn) -> Result<Vec<HistoryEntry>> {
    Ok(
        select_events(c, &format!("WHERE {OPEN_CONFLICT} ORDER BY e.hub_seq"), &[])?
            .into_iter()
            .map(|s| view::history_entry(s, None))
            .collect(),
    )
}

/// One page of the open conflicts, oldest first: at most `limit` from `offset`.
pub fn conflicts_page(c: &mut dyn Conn, offset: i64, limit: i64) -> Result<Vec<HistoryEntry>> {
    Ok(select_events(
        c,
        &format!("WHERE {OPEN_CONFLICT} ORDER BY e.hub_seq LIMIT ?1 OFFSET ?2"),
        params![limit, offset],
    )?
    .into_iter()
    .map(|s| view::history_entry(s, None))
    .collect())
}

/// Mark a conflict reviewed (again is fine); an event that is no conflict is not found.
/// Returns the conflict's item and unit when it was newly marked: the caller records
/// a `conflict_reviewed` event so that every station learns it.
pub fn resolve_conflict(c: &mut dyn Conn, event: Uuid) -> Result<Option<(ItemId, Option<UnitId>)>> {
    let Some(row) = c.query_opt(
        "SELECT item_id, unit_id FROM events WHERE id = ?1 AND conflict = TRUE",
        params![event],
    )?
    else {
        return Err(HubError::NotFound(format!("conflict {event}")));
    };
    let item = row.uuid(0)?;
    let unit = row.opt_uuid(1)?;
    let added = c.execute(
        "INSERT INTO reviewed (event_id, reviewed_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![event, SystemClock.now().0],
    )?;
    Ok((added > 0).then_some((item, unit)))
}

/// The names of the stations that made `events`, for a pull page: each enrolled
/// station's name, and "hub" for the hub's own (admin) events.
pub fn station_names(
    c: &mut dyn Conn,
    hub_id: Uuid,
    events: &[tagstation_core::proto::LogEntry],
) -> Result<std::collections::BTreeMap<Uuid, String>> {
    let mut names = std::collections::BTreeMap::new();
    for e in events {
        let id = e.event.station_id;
        if names.contains_key(&id) {
            continue;
        }
        if id == hub_id {
            names.insert(id, "hub".to_string());
        } else if let Some(r) = c.query_opt(
            "SELECT name FROM stations WHERE station_id = ?1",
            params![id],
        )? {
            names.insert(id, r.text(0)?);
        }
    }
    Ok(names)
}

pub fn stats(c: &mut dyn Conn) -> Result<Stats> {
    let mut q = |sql: &str| -> Result<i64> { c.query_one(sql, &[])?.int(0) };
    Ok(Stats {
        hub_seq: q("SELECT last_hub_seq FROM hub_meta")?,
        events: q("SELECT COUNT(*) FROM events")?,
        conflicts_open: q(&format!(
            "SELECT COUNT(*) FROM events e WHERE {OPEN_CONFLICT}"
        ))?,
        quarantined: q("SELECT COUNT(*) FROM quarantine")?,
        stations: q("SELECT COUNT(*) FROM stations WHERE revoked_ms IS NULL")?,
        items: q("SELECT COUNT(*) FROM items")?,
        units: q("SELECT COUNT(*) FROM units WHERE active = TRUE")?,
    })
}

/// A page of active items whose name, SKU or barcode starts with `search` (letter
/// case aside), by name; `limit + 1` are read so the caller knows if more follow.
pub fn items_page(
    c: &mut dyn Conn,
    search: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<ItemView>> {
    let key = format!(
        "{}%",
        like_escape(&tagstation_core::catalog::fold(search.trim()))
    );
    let items = select_items(
        c,
        "WHERE archived = FALSE AND (name_key LIKE ?1 ESCAPE '\\' OR sku_key LIKE ?1 ESCAPE '\\'
            OR barcode_key LIKE ?1 ESCAPE '\\') ORDER BY name_key LIMIT ?2 OFFSET ?3",
        params![key, limit + 1, offset],
    )?;
    item_views(c, &items)
}

/// A page of an item's active units, by name.
pub fn units_page(
    c: &mut dyn Conn,
    item: ItemId,
    offset: i64,
    limit: i64,
) -> Result<Vec<UnitView>> {
    let units = select_units(
        c,
        "WHERE item_id = ?1 AND active = TRUE ORDER BY name_key LIMIT ?2 OFFSET ?3",
        params![item, limit + 1, offset],
    )?;
    unit_views(c, &units)
}

/// The latest `limit` events of the log, newest first.
pub fn recent(c: &mut dyn Conn, limit: i64) -> Result<Vec<HistoryEntry>> {
    Ok(
        select_events(c, "ORDER BY e.hub_seq DESC LIMIT ?1", params![limit])?
            .into_iter()
            .map(|s| view::history_entry(s, None))
            .collect(),
    )
}

/// The latest `limit` events of one item, newest first.
pub fn item_history(c: &mut dyn Conn, item: ItemId, limit: i64) -> Result<Vec<HistoryEntry>> {
    Ok(select_events(
        c,
        "WHERE e.item_id = ?1 ORDER BY e.hub_seq DESC LIMIT ?2",
        params![item, limit],
    )?
    .into_iter()
    .map(|s| view::history_entry(s, None))
    .collect())
}

/// Active units by status, over every individually tracked item.
pub fn unit_status_totals(c: &mut dyn Conn) -> Result<Vec<(String, i64)>> {
    c.query(
        "SELECT status, COUNT(*) FROM units WHERE active = TRUE GROUP BY status ORDER BY status",
        &[],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.int(1)?)))
    .collect()
}

/// Active units checked out and due before `today` (`YYYY-MM-DD`), the longest
/// overdue first, at most `limit` (read through `units_status_due`).
pub fn overdue(c: &mut dyn Conn, today: &str, limit: i64) -> Result<Vec<UnitView>> {
    let units = select_units(
        c,
        "WHERE status = 'checked_out' AND active = TRUE AND due < ?1
         ORDER BY due, name_key LIMIT ?2",
        params![today, limit],
    )?;
    unit_views(c, &units)
}

/// Items in use (not archived) with fewer in stock than their reorder point, by name,
/// at most `limit`. Units are counted in SQL (`units_item_status`); a counted item's
/// stock is its `counts`, read for the items with a reorder point only.
pub fn below_reorder(c: &mut dyn Conn, limit: i64) -> Result<Vec<ItemView>> {
    let mut low = select_items(
        c,
        "WHERE archived = FALSE AND reorder_point IS NOT NULL AND tracking = 'units'
           AND (SELECT COUNT(*) FROM units u WHERE u.item_id = items.id AND u.active = TRUE
                AND u.status = 'in_stock') < reorder_point
         ORDER BY name_key LIMIT ?1",
        params![limit],
    )?;
    low.extend(
        select_items(
            c,
            "WHERE archived = FALSE AND reorder_point IS NOT NULL AND tracking = 'count'",
            &[],
        )?
        .into_iter()
        .filter(|i| {
            i.reorder_point
                .is_some_and(|r| i.counts.get(Status::InStock) < r)
        }),
    );
    low.sort_by_cached_key(|i| tagstation_core::catalog::fold(&i.name));
    low.truncate(usize::try_from(limit).unwrap_or(0));
    item_views(c, &low)
}

/// The last position handed out in the hub's log.
pub fn head(c: &mut dyn Conn) -> Result<i64> {
    c.query_one("SELECT last_hub_seq FROM hub_meta", &[])?
        .int(0)
}

/// The log's size and its open conflicts, for the overview.
#[derive(Debug, Clone, Copy)]
pub struct LogCounts {
    pub events: i64,
    pub conflicts_open: i64,
}

/// [`LogCounts`] without counting the log: every event the log holds has its own
/// `hub_seq`, handed out one by one from `hub_meta` and never removed, so the counter
/// is the number of events.
pub fn log_counts(c: &mut dyn Conn) -> Result<LogCounts> {
    Ok(LogCounts {
        events: head(c)?,
        conflicts_open: c
            .query_one(
                &format!("SELECT COUNT(*) FROM events e WHERE {OPEN_CONFLICT}"),
                &[],
            )?
            .int(0)?,
    })
}

/// A person as the web app's people page lists them.
#[derive(Debug, Clone)]
pub struct PersonSummary {
    pub view: PersonView,
    /// Their sessions that have not expired at `now_ms`.
    pub sessions: i64,
    pub has_password: bool,
}

/// People not erased matching `filter` (`WHERE ...`, on top of `erased = FALSE`), by
/// name, at most `limit` from `offset`, with their check-outs (and how many are due
/// before `today`), sessions and whether they have a password. Counted in SQL for just
/// these people (`units_holder_out`), never by reading their units.
pub fn people_summaries(
    c: &mut dyn Conn,
    only: Option<Uuid>,
    today: &str,
    now_ms: i64,
    offset: i64,
    limit: i64,
) -> Result<Vec<PersonSummary>> {
    use std::collections::{HashMap, HashSet};
    let people = match only {
        Some(id) => select_people(c, "WHERE erased = FALSE AND id = ?1", params![id])?,
        None => select_people(
            c,
            "WHERE erased = FALSE ORDER BY name_key LIMIT ?1 OFFSET ?2",
            params![limit, offset],
        )?,
    };
    if people.is_empty() {
        return Ok(Vec::new());
    }
    // These people's ids as `?N, ?N+1, ...` after `first` other values.
    let ids: Vec<super::db::Value> = people.iter().map(|p| p.id.into()).collect();
    let marks = |first: usize| {
        (first + 1..=first + ids.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let with = |first: super::db::Value| -> Vec<super::db::Value> {
        std::iter::once(first).chain(ids.iter().cloned()).collect()
    };
    let mut held: HashMap<Uuid, (i64, i64)> = HashMap::new();
    for r in c.query(
        &format!(
            "SELECT holder_id, COUNT(*), SUM(CASE WHEN due < ?1 THEN 1 ELSE 0 END) FROM units
             WHERE holder_id IN ({}) AND status = 'checked_out' AND active = TRUE
             GROUP BY holder_id",
            marks(1)
        ),
        &with(today.into()),
    )? {
        held.insert(r.uuid(0)?, (r.int(1)?, r.opt_int(2)?.unwrap_or(0)));
    }
    let mut sessions: HashMap<Uuid, i64> = HashMap::new();
    for r in c.query(
        &format!(
            "SELECT person_id, COUNT(*) FROM web_sessions
             WHERE expires_ms > ?1 AND person_id IN ({}) GROUP BY person_id",
            marks(1)
        ),
        &with(now_ms.into()),
    )? {
        sessions.insert(r.uuid(0)?, r.int(1)?);
    }
    let passwords: HashSet<Uuid> = c
        .query(
            &format!(
                "SELECT person_id FROM web_passwords WHERE person_id IN ({})",
                marks(0)
            ),
            &ids,
        )?
        .iter()
        .map(|r| r.uuid(0))
        .collect::<Result<_>>()?;
    Ok(people
        .into_iter()
        .map(|p| {
            let (checked_out, overdue) = held.get(&p.id).copied().unwrap_or((0, 0));
            PersonSummary {
                sessions: sessions.get(&p.id).copied().unwrap_or(0),
                has_password: passwords.contains(&p.id),
                view: PersonView {
                    id: p.id,
                    name: p.name,
                    badges: p.badges,
                    email: p.email,
                    role: p.role,
                    active: p.active,
                    max_checkouts: p.max_checkouts,
                    loan_days: p.loan_days,
                    erased: p.erased,
                    checked_out,
                    overdue,
                },
            }
        })
        .collect())
}

/// Every location, by name, with its parent's name and its active units counted in
/// one grouped query (`units_location_active`), never by reading the units.
pub fn location_views(c: &mut dyn Conn) -> Result<Vec<LocationView>> {
    use std::collections::HashMap;
    let all = select_locations(c, "ORDER BY name_key", &[])?;
    let mut counts: HashMap<Uuid, i64> = HashMap::new();
    for r in c.query(
        "SELECT location_id, COUNT(*) FROM units
         WHERE location_id IS NOT NULL AND active = TRUE GROUP BY location_id",
        &[],
    )? {
        counts.insert(r.uuid(0)?, r.int(1)?);
    }
    let names: HashMap<Uuid, String> = all.iter().map(|l| (l.id, l.name.clone())).collect();
    Ok(all
        .into_iter()
        .map(|l| {
            let parent = l.parent.and_then(|p| names.get(&p).cloned());
            let units = counts.get(&l.id).copied().unwrap_or(0);
            view::location_view_with(&l, parent, units)
        })
        .collect())
}

/// The views of `items`, as [`view::item_view`] makes them, with their units counted
/// by status in one grouped query per 256 items (`units_item_status` covers it)
/// instead of every unit read twice per item.
pub fn item_views(c: &mut dyn Conn, items: &[Item]) -> Result<Vec<ItemView>> {
    let mut counted = Vec::new();
    for chunk in items.chunks(256) {
        let marks = (1..=chunk.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let ids: Vec<super::db::Value> = chunk.iter().map(|i| i.id.into()).collect();
        for r in c.query(
            &format!(
                "SELECT item_id, status, COUNT(*) FROM units
                 WHERE item_id IN ({marks}) AND active = TRUE GROUP BY item_id, status"
            ),
            &ids,
        )? {
            counted.push((r.uuid(0)?, r.parsed::<Status>(1)?, r.int(2)?));
        }
    }
    Ok(view::item_views_counted(items, counted))
}

/// `LIKE` wildcards in `s` taken literally (with `ESCAPE '\'`).
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
