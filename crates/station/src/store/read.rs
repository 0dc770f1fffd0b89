//! The store's reads: the station's identity, items and units with their views, lookups
//! by tag, name or code, history and conflicts, and the consistency check.

use std::collections::BTreeMap;

use rusqlite::params;
use uuid::Uuid;

use super::{
    one, sql, HistoryEntry, ItemView, Resolved, Result, StationInfo, Store, StoreError, UnitView,
};
use sql::SqlProjection;
use tagstation_core::catalog::{fold, Item, ItemId, Totals, Tracking, Unit, UnitId};
use tagstation_core::clock::rfc3339;
use tagstation_core::event::{DomainError, Projection, StoredEvent};
use tagstation_core::view;

impl Store {
    // ---- reads -------------------------------------------------------------------

    /// This station's events the hub has not taken yet (its queue).
    pub fn pending_count(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM events WHERE station_id = ?1 AND hub_seq IS NULL AND rejected IS NULL",
            [self.station_id.to_string()],
            |r| r.get(0),
        )?)
    }

    pub fn info(&self) -> Result<StationInfo> {
        #[allow(clippy::type_complexity)]
        let (name, last_seq, pull_cursor, hub_url, token, last_sync, last_error, hub_version, held): (
            String,
            i64,
            i64,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<String>,
        ) = self.conn.query_row(
            "SELECT name, last_seq, pull_cursor, hub_url, token, last_sync_ms, last_error,
                    hub_version, push_held FROM station",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            },
        )?;
        let me = self.station_id.to_string();
        let count =
            |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [&me], |r| r.get(0))?) };
        Ok(StationInfo {
            station_id: self.station_id,
            name,
            last_seq,
            pending: self.pending_count()?,
            // People set aside at enrollment were never meant for the hub: not refused.
            rejected: self.conn.query_row(
                "SELECT COUNT(*) FROM events WHERE station_id = ?1 AND rejected IS NOT NULL
                   AND rejected <> ?2",
                params![me, super::sync_state::PEOPLE_SET_ASIDE],
                |r| r.get(0),
            )?,
            conflicts: count(
                "SELECT COUNT(*) FROM events e WHERE e.conflict = 1 AND ?1 IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM reviewed r WHERE r.event_id = e.id)",
            )?,
            pull_cursor,
            enrolled: token.is_some(),
            hub_url,
            last_sync: last_sync.map(rfc3339),
            last_error,
            read_only: self.read_only.as_ref().map(ToString::to_string),
            version: tagstation_core::proto::VERSION.to_string(),
            hub_version,
            waiting_for_hub_upgrade: held,
            needs_update: self.conn.query_row(
                "SELECT COUNT(*) FROM not_applied_unknown",
                [],
                |r| r.get(0),
            )?,
        })
    }

    pub fn set_station_name(&mut self, name: &str) -> Result<()> {
        tagstation_core::catalog::check_text("station name", name).map_err(DomainError::from)?;
        self.conn.execute("UPDATE station SET name = ?1", [name])?;
        Ok(())
    }

    pub fn item_view(&self, item: &Item) -> Result<ItemView> {
        Ok(view::item_view(&mut SqlProjection(&self.conn), item)?)
    }

    /// Items in use: archived ones are left out ([`Store::all_items`] has them).
    pub fn items(&self) -> Result<Vec<ItemView>> {
        self.item_views("WHERE archived = 0 ORDER BY name")
    }

    /// Every item, archived ones included.
    pub fn all_items(&self) -> Result<Vec<ItemView>> {
        self.item_views("ORDER BY name")
    }

    /// The views of the items `filter` selects, their units counted by status in one
    /// grouped query (`units_item_status` covers it) rather than read item by item.
    fn item_views(&self, filter: &str) -> Result<Vec<ItemView>> {
        let items = sql::select_items(&self.conn, filter, [])?;
        let counted = sql::select_unit_counts(&self.conn)?;
        Ok(view::item_views_counted(&items, counted))
    }

    /// Find an item by id, name, SKU or barcode (letter case aside: `catalog::fold`).
    pub fn find_item(&self, reference: &str) -> Result<Item> {
        let found = sql::select_items(
            &self.conn,
            "WHERE id = ?1 OR name_key = ?2 OR sku_key = ?2 OR barcode_key = ?2",
            params![reference, fold(reference)],
        )?;
        one("item", reference, found, |i| i.name.clone())
    }

    pub fn unit_view(&self, unit: &Unit) -> Result<UnitView> {
        Ok(view::unit_view(&mut SqlProjection(&self.conn), unit)?)
    }

    /// Units of one item, or of all items in use (not archived); active ones unless
    /// `all`.
    pub fn units(&self, item: Option<ItemId>, all: bool) -> Result<Vec<UnitView>> {
        let active = if all { "" } else { "AND active = 1" };
        let found = match item {
            Some(i) => sql::select_units(
                &self.conn,
                &format!("WHERE item_id = ?1 {active} ORDER BY name"),
                [i.to_string()],
            )?,
            None => sql::select_units(
                &self.conn,
                &format!(
                    "WHERE item_id IN (SELECT id FROM items WHERE archived = 0 OR ?1)
                     {active} ORDER BY name"
                ),
                [all],
            )?,
        };
        found.iter().map(|u| self.unit_view(u)).collect()
    }

    /// Units checked out and past their due date.
    pub fn overdue(&self) -> Result<Vec<UnitView>> {
        let found = sql::select_units(
            &self.conn,
            "WHERE active = 1 AND status = 'checked_out' AND due IS NOT NULL AND due < ?1 ORDER BY due",
            [tagstation_core::clock::today()],
        )?;
        found.iter().map(|u| self.unit_view(u)).collect()
    }

    /// A unit by its id (folded ones too).
    pub fn unit(&self, id: UnitId) -> Result<Unit> {
        SqlProjection(&self.conn)
            .unit(id)?
            .ok_or_else(|| StoreError::NotFound {
                what: "unit",
                reference: id.to_string(),
            })
    }

    /// Find an active unit by asset tag, id or name ("Drill 03"), letter case aside.
    pub fn find_unit(&self, reference: &str) -> Result<Unit> {
        if let Some(u) = SqlProjection(&self.conn).unit_by_tag(reference)? {
            return Ok(u);
        }
        let found = sql::select_units(
            &self.conn,
            "WHERE active = 1 AND (id = ?1 OR name_key = ?2)",
            params![reference, fold(reference)],
        )?;
        one("unit", reference, found, |u| u.name.clone())
    }

    /// What a scanned code refers to, from local data only (no network).
    pub fn resolve(&self, code: &str) -> Result<Resolved> {
        // A code too long to be a label, or holding control characters, is refused
        // here rather than echoed back as "unknown".
        if !code.is_empty() {
            tagstation_core::catalog::check_scan(code)
                .map_err(|e| StoreError::Domain(DomainError::Text(e)))?;
        }
        let mut p = SqlProjection(&self.conn);
        if let Some(u) = p.unit_by_tag(code)? {
            return Ok(Resolved::Unit {
                unit: self.unit_view(&u)?,
            });
        }
        if let Some(i) = p.item_by_barcode(code)? {
            return Ok(Resolved::Item {
                item: self.item_view(&i)?,
            });
        }
        // One namespace of codes: a badge is a person, a location's code its label.
        if let Some(person) = p.person_by_badge(code)? {
            return Ok(Resolved::Person {
                person: self.person_view(&person)?,
            });
        }
        if let Some(location) = p.location_by_code(code)? {
            return Ok(Resolved::Location {
                location: self.location_view(&location)?,
            });
        }
        if let Some(kit) = p.kit_by_code(code)? {
            let units = kit
                .units
                .iter()
                .map(|id| self.unit(*id))
                .collect::<Result<Vec<_>>>()?;
            let kit = tagstation_ops::kits::view_of(&kit, units);
            return Ok(Resolved::Kit { kit });
        }
        // A manufacturer's GS1 code: the GTIN names the item (by its barcode), the
        // serial names the unit (by asset tag or its `serial` field).
        if let Ok(gs1) = tagstation_core::scan::gs1::parse(code) {
            if let Some(gtin) = &gs1.gtin {
                // GTIN-14 with a leading 0 is the EAN-13 printed on the box.
                let short = gtin.strip_prefix('0').unwrap_or(gtin);
                let item = match p.item_by_barcode(gtin)? {
                    Some(i) => Some(i),
                    None => p.item_by_barcode(short)?,
                };
                if let Some(item) = item {
                    if let Some(serial) = &gs1.serial {
                        let unit = sql::select_units(
                            &self.conn,
                            "WHERE item_id = ?1 AND active = 1 AND (tag_key = ?2 OR json_extract(fields, '$.serial') = ?3) LIMIT 1",
                            params![item.id.to_string(), fold(serial), serial],
                        )?
                        .pop();
                        if let Some(u) = unit {
                            return Ok(Resolved::Unit {
                                unit: self.unit_view(&u)?,
                            });
                        }
                    }
                    return Ok(Resolved::Item {
                        item: self.item_view(&item)?,
                    });
                }
            }
        }
        Ok(Resolved::Unknown { code: code.into() })
    }

    /// Everything that happened to one unit, when and by whom: one query.
    pub fn history(&self, unit: UnitId) -> Result<Vec<HistoryEntry>> {
        let rows = sql::unit_history(&self.conn, unit)?;
        Ok(rows
            .into_iter()
            .map(|s| view::history_entry(s, None))
            .collect())
    }

    /// The item-level history (creation, counts, tracking switches) of one item.
    pub fn item_history(&self, item: ItemId) -> Result<Vec<HistoryEntry>> {
        let rows = sql::select_events(
            &self.conn,
            "WHERE e.item_id = ?1 ORDER BY e.hub_seq IS NULL, e.hub_seq, e.pos",
            [item.to_string()],
        )?;
        Ok(rows
            .into_iter()
            .map(|s| view::history_entry(s, None))
            .collect())
    }

    /// The whole log in canonical order.
    pub fn all_history(&self) -> Result<Vec<HistoryEntry>> {
        let mut st = self.conn.prepare_cached(
            "SELECT e.id, e.rejected FROM events e ORDER BY e.hub_seq IS NULL, e.hub_seq, e.pos",
        )?;
        let rejected: BTreeMap<String, Option<String>> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let rows = sql::select_events(
            &self.conn,
            "ORDER BY e.hub_seq IS NULL, e.hub_seq, e.pos",
            [],
        )?;
        Ok(rows
            .into_iter()
            .map(|s| {
                let r = rejected.get(&s.event.id.to_string()).cloned().flatten();
                view::history_entry(s, r)
            })
            .collect())
    }

    /// The whole log as stored events, in canonical order (the hub's, then this
    /// station's unconfirmed ones): what reports computed from history read.
    pub fn log(&self) -> Result<Vec<StoredEvent>> {
        Ok(sql::select_events(
            &self.conn,
            "ORDER BY e.hub_seq IS NULL, e.hub_seq, e.pos",
            [],
        )?)
    }

    /// Events flagged as conflicts and not yet marked reviewed on the hub, for review.
    pub fn conflicts(&self) -> Result<Vec<HistoryEntry>> {
        let rows = sql::select_events(
            &self.conn,
            "WHERE e.conflict = 1
               AND NOT EXISTS (SELECT 1 FROM reviewed r WHERE r.event_id = e.id)
             ORDER BY e.hub_seq",
            [],
        )?;
        Ok(rows
            .into_iter()
            .map(|s| view::history_entry(s, None))
            .collect())
    }

    /// Each open conflict with the change it met: the event just before it in the
    /// hub's order on the same unit (or item, for item changes), if any.
    pub fn conflicts_with_cause(&self) -> Result<Vec<(HistoryEntry, Option<HistoryEntry>)>> {
        self.conflicts()?
            .into_iter()
            .map(|c| {
                let seq = c.hub_seq.unwrap_or(i64::MAX);
                let before = match c.unit_id {
                    Some(u) => sql::select_events(
                        &self.conn,
                        "JOIN event_units eu ON eu.event_id = e.id
                         WHERE eu.unit_id = ?1 AND e.hub_seq < ?2 AND e.id <> ?3
                         ORDER BY e.hub_seq DESC LIMIT 1",
                        params![u.to_string(), seq, c.event_id.to_string()],
                    )?,
                    None => sql::select_events(
                        &self.conn,
                        "WHERE e.item_id = ?1 AND e.unit_id IS NULL AND e.hub_seq < ?2
                         ORDER BY e.hub_seq DESC LIMIT 1",
                        params![c.item_id.to_string(), seq],
                    )?,
                };
                let before = before
                    .into_iter()
                    .next()
                    .map(|s| view::history_entry(s, None));
                Ok((c, before))
            })
            .collect()
    }

    /// The names of the stations this one knows: its own, and the others (and the
    /// hub) as the hub reported them with their events.
    pub fn station_names(&self) -> Result<BTreeMap<Uuid, String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT station_id, name FROM station_names")?;
        let mut names: BTreeMap<Uuid, String> = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .filter_map(|r| match r {
                Ok((id, name)) => Uuid::parse_str(&id).ok().map(|id| Ok((id, name))),
                Err(e) => Some(Err(e)),
            })
            .collect::<rusqlite::Result<_>>()?;
        let own: String = self
            .conn
            .query_row("SELECT name FROM station", [], |r| r.get(0))?;
        names.insert(self.station_id, own);
        Ok(names)
    }

    /// Recount every unit-tracked item's totals from its units and compare with
    /// what [`Store::item_view`] reports, and list names and tags that differ only by
    /// letter case (left by a database from before the case rule); returns the
    /// problems (should be none).
    pub fn check_consistency(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        for item in sql::select_items(&self.conn, "", [])? {
            let view = self.item_view(&item)?;
            if item.tracking == Tracking::Units {
                let mut recount = Totals::default();
                for u in sql::select_units(&self.conn, "WHERE item_id = ?1", [item.id.to_string()])?
                {
                    if u.counts() {
                        recount.add(u.status, 1);
                    }
                }
                if recount.full() != view.totals {
                    problems.push(format!("{}: totals differ from a recount", item.name));
                }
            }
            if view.totals.values().any(|v| *v < 0) {
                problems.push(format!("{}: negative total", item.name));
            }
        }
        let gaps: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM (SELECT station_id, MAX(station_seq) AS m, COUNT(*) AS n
               FROM events GROUP BY station_id) WHERE m != n",
            [],
            |r| r.get(0),
        )?;
        let mine: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM events WHERE station_id = ?1",
            [self.station_id.to_string()],
            |r| r.get(0),
        )?;
        let last_seq: i64 = self
            .conn
            .query_row("SELECT last_seq FROM station", [], |r| r.get(0))?;
        if mine != last_seq {
            problems.push(format!(
                "{mine} own events but the sequence is at {last_seq}"
            ));
        }
        let _ = gaps; // other stations' events arrive in hub order, gaps are theirs to close
                      // Names and tags from before the case rule that now collide: kept, reported.
        problems.extend(super::schema::case_duplicates(&self.conn)?);
        Ok(problems)
    }
}
