//! What the hub's admin reads: items, units, one unit's history, who holds what, open
//! conflicts (and marking them reviewed), and the counters for `/metrics`. The JSON
//! shapes come from `tagstation_core::view`, as on the station.

use uuid::Uuid;

use super::db::{params, Conn};
use super::tables::{select_events, select_items, select_units, Tables};
use super::{Holding, HubError, Result, Stats};
use tagstation_core::catalog::{ItemId, UnitId};
use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::event::Projection;
use tagstation_core::view::{self, HistoryEntry, ItemView, UnitView};

/// Conflicts an admin has not marked as reviewed (a filter on events `e`).
const OPEN_CONFLICT: &str =
    "e.conflict = TRUE AND NOT EXISTS (SELECT 1 FROM reviewed r WHERE r.event_id = e.id)";

pub fn items(c: &mut dyn Conn) -> Result<Vec<ItemView>> {
    let items = select_items(c, "ORDER BY name", &[])?;
    let mut p = Tables::new(c);
    items.iter().map(|i| view::item_view(&mut p, i)).collect()
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
    let mut p = Tables::new(c);
    units.iter().map(|u| view::unit_view(&mut p, u)).collect()
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
    let mut p = Tables::new(c);
    units
        .iter()
        .map(|u| {
            Ok(Holding {
                holder: u.holder.clone().unwrap_or_default(),
                unit: view::unit_view(&mut p, u)?,
            })
        })
        .collect()
}

pub fn conflicts(c: &mut dyn Conn) -> Result<Vec<HistoryEntry>> {
    Ok(
        select_events(c, &format!("WHERE {OPEN_CONFLICT} ORDER BY e.hub_seq"), &[])?
            .into_iter()
            .map(|s| view::history_entry(s, None))
            .collect(),
    )
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
    let mut p = Tables::new(c);
    items.iter().map(|i| view::item_view(&mut p, i)).collect()
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
    let mut p = Tables::new(c);
    units.iter().map(|u| view::unit_view(&mut p, u)).collect()
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

/// `LIKE` wildcards in `s` taken literally (with `ESCAPE '\'`).
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
