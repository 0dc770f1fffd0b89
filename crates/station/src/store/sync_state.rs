//! The store's side of sync: the hub it is enrolled with, events waiting to be pushed,
//! what the hub confirmed, and the rules for merging a pulled page with this station's
//! own unconfirmed events.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use super::{sql, Result, Store};
use sql::{SqlProjection, StoredEvent};
use tagstation_core::catalog::ItemId;
use tagstation_core::event::{apply, ApplyError, Event, EventKind, Mode};

/// Why a standalone station's own people events are never sent to its hub.
pub const PEOPLE_SET_ASIDE: &str =
    "people are managed on the hub: made on this station before it enrolled, kept here, not sent";

impl Store {
    // ---- sync --------------------------------------------------------------------

    /// Hub address and token, if the station is enrolled.
    pub fn hub(&self) -> Result<Option<(String, String)>> {
        Ok(self
            .conn
            .query_row("SELECT hub_url, token FROM station", [], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                ))
            })
            .map(|(u, t)| u.zip(t))?)
    }

    /// A CA certificate (PEM) to trust for the hub, if it was given at enrollment.
    pub fn hub_ca(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT hub_ca_pem FROM station", [], |r| r.get(0))?)
    }

    /// Trust this CA certificate (PEM) for the hub, or clear it.
    pub fn set_hub_ca(&mut self, pem: Option<&str>) -> Result<()> {
        self.conn
            .execute("UPDATE station SET hub_ca_pem = ?1", [pem])?;
        Ok(())
    }

    /// Remember the hub and the token from enrollment. A station that had no hub
    /// managed its own people; from now on they come from the hub, which alone may
    /// make them. Its own people events are set aside in one transaction: kept in
    /// history, marked as never sent, and their people leave this station's catalog
    /// (check-outs to them keep the holder's name, and are linked again by name to
    /// the hub's person of that name when it arrives). Returns the people set aside.
    pub fn set_hub(&mut self, url: &str, token: &str) -> Result<Vec<String>> {
        self.writable()?;
        let me = self.station_id.to_string();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE station SET hub_url = ?1, token = ?2",
            params![url, token],
        )?;
        let own_people: Vec<String> = {
            let mut st = tx.prepare(
                "SELECT DISTINCT item_id FROM events
                 WHERE station_id = ?1 AND hub_seq IS NULL AND rejected IS NULL
                   AND kind IN ('person_created', 'person_edited', 'person_erased')",
            )?;
            let rows = st.query_map([&me], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut names = Vec::new();
        for id in &own_people {
            if let Some(name) = tx
                .query_row("SELECT name FROM people WHERE id = ?1", [id], |r| {
                    r.get::<_, String>(0)
                })
                .optional()?
            {
                names.push(name);
            }
            tx.execute(
                "UPDATE events SET rejected = ?2, applied = 0
                 WHERE item_id = ?1 AND station_id = ?3 AND hub_seq IS NULL",
                params![id, PEOPLE_SET_ASIDE, me],
            )?;
            tx.execute("DELETE FROM people WHERE id = ?1", [id])?;
            tx.execute("DELETE FROM badges WHERE person_id = ?1", [id])?;
            tx.execute(
                "UPDATE units SET holder_id = NULL WHERE holder_id = ?1",
                [id],
            )?;
        }
        tx.commit()?;
        if !names.is_empty() {
            tracing::warn!(people = %tagstation_core::escape::controls(&names.join(", ")),
                "people made on this station are set aside: the hub manages people; import them there");
        }
        Ok(names)
    }

    /// Own events not yet acknowledged by the hub, in sequence order.
    pub fn pending(&self, limit: usize) -> Result<Vec<Event>> {
        Ok(sql::select_events(
            &self.conn,
            "WHERE e.station_id = ?1 AND e.hub_seq IS NULL AND e.rejected IS NULL
             ORDER BY e.station_seq LIMIT ?2",
            params![self.station_id.to_string(), limit as i64],
        )?
        .into_iter()
        .map(|s| s.event)
        .collect())
    }

    /// Store the hub's answer to a push: accepted events get their place in the hub's
    /// order; refused ones are set aside with the reason (kept, never resent).
    pub fn mark_pushed(
        &mut self,
        results: &[(Uuid, std::result::Result<i64, String>)],
    ) -> Result<()> {
        self.writable()?;
        let mut refused_items: BTreeSet<ItemId> = BTreeSet::new();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut ok = tx.prepare_cached(
                "UPDATE events SET hub_seq = ?2 WHERE id = ?1 AND hub_seq IS NULL",
            )?;
            // Refused: kept in history as not applied, with the hub's reason.
            let mut bad = tx.prepare_cached(
                "UPDATE events SET rejected = ?2, applied = 0, note = 'refused by the hub: ' || ?2
                 WHERE id = ?1 AND rejected IS NULL RETURNING item_id",
            )?;
            for (id, r) in results {
                match r {
                    Ok(hub_seq) => {
                        ok.execute(params![id.to_string(), hub_seq])?;
                    }
                    Err(reason) => {
                        let item: Option<String> = bad
                            .query_row(params![id.to_string(), reason], |r| r.get(0))
                            .optional()?;
                        refused_items.extend(item.and_then(|i| Uuid::parse_str(&i).ok()));
                    }
                };
            }
        }
        // What the station showed included the refused change: show the state without it.
        if !refused_items.is_empty() {
            let cursor: i64 = tx.query_row("SELECT pull_cursor FROM station", [], |r| r.get(0))?;
            for item in refused_items {
                rebuild_item(&tx, item, cursor, self.station_id)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Remember the names the hub reports for the stations whose events it sent.
    pub fn remember_station_names(&mut self, names: &BTreeMap<Uuid, String>) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        self.writable()?;
        let tx = self.conn.transaction()?;
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO station_names (station_id, name) VALUES (?1, ?2)
                 ON CONFLICT (station_id) DO UPDATE SET name = excluded.name
                 WHERE name IS NOT excluded.name",
            )?;
            for (id, name) in names {
                // The hub's text, shown in history: checked like any name.
                if tagstation_core::catalog::check_text("station name", name).is_ok() {
                    st.execute(params![id.to_string(), name])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// What request encodings the hub said it reads (`gzip`), if it said.
    pub fn hub_accepts(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT hub_accepts FROM station", [], |r| r.get(0))?)
    }

    /// Remember what request encodings the hub reads, as its last answer said.
    pub fn set_hub_accepts(&mut self, accepts: Option<&str>) -> Result<()> {
        self.writable()?;
        self.conn.execute(
            "UPDATE station SET hub_accepts = ?1 WHERE hub_accepts IS NOT ?1",
            [accepts],
        )?;
        Ok(())
    }

    /// The id of the event this station holds at position `hub_seq` of the hub's log.
    pub fn event_at(&self, hub_seq: i64) -> Result<Option<Uuid>> {
        let id: Option<String> = self
            .conn
            .query_row("SELECT id FROM events WHERE hub_seq = ?1", [hub_seq], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(id.and_then(|i| Uuid::parse_str(&i).ok()))
    }

    /// This station's own events with sequence numbers `from..from + count`, in order
    /// (for the hub's acknowledgements of them).
    pub fn own_events(&self, from: i64, count: i64) -> Result<Vec<Event>> {
        Ok(sql::select_events(
            &self.conn,
            "WHERE e.station_id = ?1 AND e.station_seq >= ?2 AND e.station_seq < ?3
             ORDER BY e.station_seq",
            params![
                self.station_id.to_string(),
                from,
                from.saturating_add(count)
            ],
        )?
        .into_iter()
        .map(|s| s.event)
        .collect())
    }

    /// The highest sequence number of this station's events the hub has acknowledged.
    pub fn acknowledged_seq(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COALESCE(MAX(station_seq), 0) FROM events
             WHERE station_id = ?1 AND hub_seq IS NOT NULL",
            [self.station_id.to_string()],
            |r| r.get(0),
        )?)
    }

    /// The hub lost everything after position `agreed` of its log (it was restored
    /// from an older backup): forget the places it gave after it, in one transaction.
    /// This station's own events after it wait to be pushed again; other stations'
    /// come back when their stations push them again; the cursor goes back to
    /// `agreed`; every item they touched is replayed without them. Nothing is deleted.
    /// Returns how many of this station's events wait to be pushed again.
    pub fn heal(&mut self, agreed: i64) -> Result<usize> {
        self.writable()?;
        let me = self.station_id;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let items: Vec<String> = {
            let mut st = tx.prepare("SELECT DISTINCT item_id FROM events WHERE hub_seq > ?1")?;
            let rows = st.query_map([agreed], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let again = tx.execute(
            "UPDATE events SET hub_seq = NULL WHERE hub_seq > ?1 AND station_id = ?2",
            params![agreed, me.to_string()],
        )?;
        tx.execute(
            "UPDATE events SET hub_seq = NULL WHERE hub_seq > ?1",
            [agreed],
        )?;
        tx.execute("UPDATE station SET pull_cursor = ?1", [agreed])?;
        for item in items {
            if let Ok(item) = Uuid::parse_str(&item) {
                rebuild_item(&tx, item, agreed, me)?;
            }
        }
        tx.commit()?;
        tracing::warn!(agreed, again,
            "the hub lost what came after position {agreed} of its log (restored from a backup): this station pushes its own changes again");
        Ok(again)
    }

    /// Remember the version the hub reported on its last answer.
    pub fn set_hub_version(&mut self, version: &str) -> Result<()> {
        self.writable()?;
        self.conn.execute(
            "UPDATE station SET hub_version = ?1 WHERE hub_version IS NOT ?1",
            [version],
        )?;
        Ok(())
    }

    /// Why the queue waits for the hub (it does not know a kind of change this station
    /// made), or `None` once the hub takes the queue again. Says whether it changed.
    pub fn set_push_held(&mut self, why: Option<&str>) -> Result<bool> {
        self.writable()?;
        Ok(self.conn.execute(
            "UPDATE station SET push_held = ?1 WHERE push_held IS NOT ?1",
            [why],
        )? > 0)
    }

    /// Apply the changes an older version of this station pulled but could not apply
    /// (kinds it did not know) and that this version knows: each of their items is
    /// replayed from its log, in the hub's order. Those still unknown stay waiting.
    /// Returns how many were applied. Runs at every writable open.
    pub(super) fn apply_now_known(&mut self) -> Result<usize> {
        let waiting: Vec<(String, String)> = {
            let mut q = self
                .conn
                .prepare("SELECT event_id, item_id FROM not_applied_unknown")?;
            let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if waiting.is_empty() {
            return Ok(0);
        }
        let me = self.station_id;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cursor: i64 = tx.query_row("SELECT pull_cursor FROM station", [], |r| r.get(0))?;
        let mut items = BTreeSet::new();
        let mut applied = 0;
        for (event, item) in &waiting {
            let known = sql::select_events(&tx, "WHERE e.id = ?1", [event])?
                .first()
                .is_some_and(|s| !s.event.kind.is_unknown());
            if known {
                tx.execute(
                    "DELETE FROM not_applied_unknown WHERE event_id = ?1",
                    [event],
                )?;
                items.extend(Uuid::parse_str(item).ok());
                applied += 1;
            }
        }
        for item in items {
            rebuild_item(&tx, item, cursor, me)?;
        }
        tx.commit()?;
        if applied > 0 {
            tracing::info!(
                applied,
                "applied changes that an older version of this station kept for later"
            );
        }
        Ok(applied)
    }

    pub fn pull_cursor(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT pull_cursor FROM station", [], |r| r.get(0))?)
    }

    /// Record the outcome of a sync attempt for `status` and the UI.
    pub fn set_sync_result(&mut self, error: Option<&str>) -> Result<()> {
        self.writable()?;
        let (now, _) = self.clock.now();
        match error {
            None => self.conn.execute(
                "UPDATE station SET last_sync_ms = ?1, last_error = NULL",
                [now],
            )?,
            Some(e) => self
                .conn
                .execute("UPDATE station SET last_error = ?1", [e])?,
        };
        Ok(())
    }

    /// Apply a page of the hub's log (events in hub order, each with the hub's
    /// verdict) and move the cursor, in one transaction.
    ///
    /// The projection is "the hub's log, then this station's not yet confirmed events
    /// on top". Items with no unconfirmed local events take the page incrementally.
    /// An item with unconfirmed local events is rebuilt from its log in that order,
    /// unless the page holds exactly those local events, in order, with the verdicts
    /// the station already applied (the common case: our own events coming back).
    pub fn apply_pulled(&mut self, page: &[StoredEvent], new_cursor: i64) -> Result<()> {
        self.writable()?;
        let me = self.station_id;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cursor: i64 = tx.query_row("SELECT pull_cursor FROM station", [], |r| r.get(0))?;
        if new_cursor < cursor {
            return Ok(()); // an old page, already applied
        }
        // Local events not yet confirmed (before this page), in the order they were made.
        let unconfirmed = sql::select_events(
            &tx,
            "WHERE e.station_id = ?1 AND (e.hub_seq IS NULL OR e.hub_seq > ?2) AND e.rejected IS NULL
             ORDER BY e.station_seq",
            params![me.to_string(), cursor],
        )?;
        let mut local_by_item: BTreeMap<ItemId, Vec<&StoredEvent>> = BTreeMap::new();
        for s in &unconfirmed {
            local_by_item.entry(s.event.item_id).or_default().push(s);
        }
        let mut page_by_item: BTreeMap<ItemId, Vec<&StoredEvent>> = BTreeMap::new();
        for s in page {
            page_by_item.entry(s.event.item_id).or_default().push(s);
        }

        // 1. Store the page's events with the hub's order and verdict.
        {
            let mut upd = tx.prepare_cached(
                "UPDATE events SET hub_seq = ?2, applied = ?3, conflict = ?4, note = ?5, rejected = NULL
                 WHERE id = ?1",
            )?;
            for s in page {
                let Some(hub_seq) = s.hub_seq else { continue };
                let changed = upd.execute(params![
                    s.event.id.to_string(),
                    hub_seq,
                    s.outcome.applied,
                    s.outcome.conflict,
                    s.outcome.note
                ])?;
                if changed == 0 {
                    sql::insert_event(&tx, &s.event, Some(hub_seq), &s.outcome, &[])?;
                }
                if let EventKind::ConflictReviewed { event } = &s.event.kind {
                    tx.execute(
                        "INSERT OR IGNORE INTO reviewed (event_id) VALUES (?1)",
                        [event.to_string()],
                    )?;
                }
                if s.event.kind.is_unknown() {
                    // Made by a newer version: kept as it came, applied after an upgrade.
                    tracing::warn!(event = %s.event.id, kind = s.event.kind.name(),
                        "a change of a kind this version does not know: kept; update this station to apply it");
                    tx.execute(
                        "INSERT OR IGNORE INTO not_applied_unknown (event_id, item_id) VALUES (?1, ?2)",
                        params![s.event.id.to_string(), s.event.item_id.to_string()],
                    )?;
                }
            }
        }

        // 2. Bring the projection up to date, item by item.
        let mut rebuild: BTreeSet<ItemId> = BTreeSet::new();
        for (item, events) in &page_by_item {
            match local_by_item.get(item) {
                None => {
                    let mut p = SqlProjection(&tx);
                    for s in events {
                        if !s.outcome.applied || s.event.kind.is_unknown() {
                            // Refused by the hub: history only, linked to its unit.
                            sql::link_units(
                                &tx,
                                s.event.id,
                                &s.event.unit_id.into_iter().collect::<Vec<_>>(),
                            )?;
                            continue;
                        }
                        match apply(&mut p, &s.event, Mode::Trusted) {
                            Ok(a) => sql::link_units(&tx, s.event.id, &a.units)?,
                            Err(ApplyError::Store(e)) => return Err(e.into()),
                            Err(ApplyError::Domain(d)) => {
                                tracing::warn!(event = %s.event.id, error = %d,
                                    "hub applied an event this station cannot; rebuilding the item");
                                rebuild.insert(*item);
                            }
                        }
                    }
                }
                Some(local) => {
                    let echoes = events.len() <= local.len()
                        && events.iter().zip(local.iter()).all(|(p, l)| {
                            p.event.id == l.event.id
                                && p.outcome.applied == l.outcome.applied
                                && !p.outcome.conflict
                        });
                    if !echoes {
                        rebuild.insert(*item);
                    }
                }
            }
        }
        for item in rebuild {
            rebuild_item(&tx, item, new_cursor, me)?;
        }
        tx.execute("UPDATE station SET pull_cursor = ?1", [new_cursor])?;
        tx.commit()?;
        Ok(())
    }
}

/// Replay one item's log in canonical order: events confirmed by the hub (with the
/// hub's verdicts), then this station's unconfirmed events (with fresh verdicts).
fn rebuild_item(tx: &Connection, item: ItemId, cursor: i64, me: Uuid) -> Result<()> {
    // The subject: an item with its units, or a person or a location.
    tx.execute("DELETE FROM units WHERE item_id = ?1", [item.to_string()])?;
    tx.execute("DELETE FROM items WHERE id = ?1", [item.to_string()])?;
    tx.execute("DELETE FROM people WHERE id = ?1", [item.to_string()])?;
    tx.execute(
        "DELETE FROM badges WHERE person_id = ?1",
        [item.to_string()],
    )?;
    tx.execute("DELETE FROM locations WHERE id = ?1", [item.to_string()])?;
    let confirmed = sql::select_events(
        tx,
        "WHERE e.item_id = ?1 AND e.hub_seq IS NOT NULL AND e.hub_seq <= ?2 ORDER BY e.hub_seq",
        params![item.to_string(), cursor],
    )?;
    let local = sql::select_events(
        tx,
        "WHERE e.item_id = ?1 AND e.station_id = ?2 AND (e.hub_seq IS NULL OR e.hub_seq > ?3)
           AND e.rejected IS NULL ORDER BY e.station_seq",
        params![item.to_string(), me.to_string(), cursor],
    )?;
    let mut p = SqlProjection(tx);
    for s in &confirmed {
        if !s.outcome.applied || s.event.kind.is_unknown() {
            sql::link_units(
                tx,
                s.event.id,
                &s.event.unit_id.into_iter().collect::<Vec<_>>(),
            )?;
        } else {
            match apply(&mut p, &s.event, Mode::Trusted) {
                Ok(a) => sql::link_units(tx, s.event.id, &a.units)?,
                Err(ApplyError::Store(e)) => return Err(e.into()),
                Err(ApplyError::Domain(d)) => {
                    tracing::error!(event = %s.event.id, error = %d, "confirmed event does not replay")
                }
            }
        }
    }
    let mut verdict =
        tx.prepare_cached("UPDATE events SET applied = ?2, note = ?3 WHERE id = ?1")?;
    for s in &local {
        let (applied, note) = match apply(&mut p, &s.event, Mode::Full) {
            Ok(a) => {
                sql::link_units(tx, s.event.id, &a.units)?;
                (true, a.conflict)
            }
            Err(ApplyError::Store(e)) => return Err(e.into()),
            Err(ApplyError::Domain(d)) => {
                sql::link_units(
                    tx,
                    s.event.id,
                    &s.event.unit_id.into_iter().collect::<Vec<_>>(),
                )?;
                (false, Some(d.to_string()))
            }
        };
        verdict.execute(params![s.event.id.to_string(), applied, note])?;
    }
    Ok(())
}
