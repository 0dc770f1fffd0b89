//! Row mapping shared by the SQLite stores: the [`Projection`] over the `items` and
//! `units` tables, and reading and writing `events` rows. Names and codes are looked
//! up by their case-rule keys (`*_key` columns, written with every row).

use rusqlite::{params, Connection, OptionalExtension, Row};
use uuid::Uuid;

use tagstation_core::catalog::{fold, Item, ItemId, Status, Totals, Tracking, Unit, UnitId};
use tagstation_core::event::{Event, EventKind, Projection, UnitQuery};
use tagstation_core::kits::{Kit, KitId};
use tagstation_core::locations::{Location, LocationId, LocationKind};
use tagstation_core::people::{Person, PersonFields, PersonId, Role, Scrub};
use tagstation_core::reservations::{Reservation, ReservationId, ReservationQuery};

/// Defined with the event; named here, where rows map to them.
pub use tagstation_core::event::{Outcome, StoredEvent};

/// A projection over the catalog tables of an open connection (normally inside a
/// transaction the caller commits).
pub struct SqlProjection<'c>(pub &'c Connection);

const ITEM_COLS: &str =
    "id, name, sku, barcode, tracking, reorder_point, counts, version, archived";
const UNIT_COLS: &str = "id, item_id, name, asset_tag, status, location, holder, due, fields, \
                         active, version, last_station, location_id, holder_id";
const PERSON_COLS: &str =
    "id, name, badges, email, role, active, max_checkouts, loan_days, erased, version";
const LOCATION_COLS: &str = "id, name, kind, parent_id, code, active, version";

fn bad_data(col: usize, msg: impl ToString) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        col,
        rusqlite::types::Type::Text,
        msg.to_string().into(),
    )
}

fn uuid_at(row: &Row, col: usize) -> rusqlite::Result<Uuid> {
    let s: String = row.get(col)?;
    Uuid::parse_str(&s).map_err(|e| bad_data(col, e))
}

fn opt_uuid_at(row: &Row, col: usize) -> rusqlite::Result<Option<Uuid>> {
    let s: Option<String> = row.get(col)?;
    s.map(|s| Uuid::parse_str(&s).map_err(|e| bad_data(col, e)))
        .transpose()
}

fn json_at<T: serde::de::DeserializeOwned>(row: &Row, col: usize) -> rusqlite::Result<T> {
    let s: String = row.get(col)?;
    serde_json::from_str(&s).map_err(|e| bad_data(col, e))
}

fn parsed_at<T: std::str::FromStr<Err = String>>(row: &Row, col: usize) -> rusqlite::Result<T> {
    let s: String = row.get(col)?;
    s.parse().map_err(|e: String| bad_data(col, e))
}

pub fn item_from_row(row: &Row) -> rusqlite::Result<Item> {
    Ok(Item {
        id: uuid_at(row, 0)?,
        name: row.get(1)?,
        sku: row.get(2)?,
        barcode: row.get(3)?,
        tracking: parsed_at::<Tracking>(row, 4)?,
        reorder_point: row.get(5)?,
        counts: Totals(json_at(row, 6)?),
        version: row.get(7)?,
        archived: row.get(8)?,
    })
}

pub fn unit_from_row(row: &Row) -> rusqlite::Result<Unit> {
    Ok(Unit {
        id: uuid_at(row, 0)?,
        item_id: uuid_at(row, 1)?,
        name: row.get(2)?,
        asset_tag: row.get(3)?,
        status: parsed_at::<Status>(row, 4)?,
        location: row.get(5)?,
        holder: row.get(6)?,
        due: row.get(7)?,
        fields: json_at(row, 8)?,
        active: row.get(9)?,
        version: row.get(10)?,
        last_station: opt_uuid_at(row, 11)?,
        location_id: opt_uuid_at(row, 12)?,
        holder_id: opt_uuid_at(row, 13)?,
    })
}

pub fn person_from_row(row: &Row) -> rusqlite::Result<Person> {
    Ok(Person {
        id: uuid_at(row, 0)?,
        name: row.get(1)?,
        badges: json_at(row, 2)?,
        email: row.get(3)?,
        role: parsed_at::<Role>(row, 4)?,
        active: row.get(5)?,
        max_checkouts: row.get(6)?,
        loan_days: row.get(7)?,
        erased: row.get(8)?,
        version: row.get(9)?,
    })
}

pub fn location_from_row(row: &Row) -> rusqlite::Result<Location> {
    Ok(Location {
        id: uuid_at(row, 0)?,
        name: row.get(1)?,
        kind: parsed_at::<LocationKind>(row, 2)?,
        parent: opt_uuid_at(row, 3)?,
        code: row.get(4)?,
        active: row.get(5)?,
        version: row.get(6)?,
    })
}

/// People matching `filter` (`WHERE ... ORDER BY ...` on the `people` table).
pub fn select_people(
    conn: &Connection,
    filter: &str,
    p: impl rusqlite::Params,
) -> rusqlite::Result<Vec<Person>> {
    let sql = format!("SELECT {PERSON_COLS} FROM people {filter}");
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map(p, person_from_row)?;
    rows.collect()
}

/// Reservations matching `filter` (`WHERE ... ORDER BY ...` on the `reservations`
/// table), with text parameters.
pub fn select_reservations(
    conn: &Connection,
    filter: &str,
    args: &[String],
) -> rusqlite::Result<Vec<Reservation>> {
    let sql = format!("SELECT body FROM reservations {filter}");
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(args), |r| {
        let body: String = r.get(0)?;
        reservation_from_body(&body).map_err(|e| bad_data(0, e))
    })?;
    rows.collect()
}

/// Kits matching `filter` (`WHERE ... ORDER BY ...` on the `kits` table), with text
/// parameters.
pub fn select_kits(conn: &Connection, filter: &str, args: &[String]) -> rusqlite::Result<Vec<Kit>> {
    let sql = format!("SELECT body FROM kits {filter}");
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(args), |r| {
        let body: String = r.get(0)?;
        serde_json::from_str(&body).map_err(|e| bad_data(0, e))
    })?;
    rows.collect()
}

/// Locations matching `filter` (`WHERE ... ORDER BY ...` on the `locations` table).
pub fn select_locations(
    conn: &Connection,
    filter: &str,
    p: impl rusqlite::Params,
) -> rusqlite::Result<Vec<Location>> {
    let sql = format!("SELECT {LOCATION_COLS} FROM locations {filter}");
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map(p, location_from_row)?;
    rows.collect()
}

pub fn select_items(
    conn: &Connection,
    filter: &str,
    p: impl rusqlite::Params,
) -> rusqlite::Result<Vec<Item>> {
    let sql = format!("SELECT {ITEM_COLS} FROM items {filter}");
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map(p, item_from_row)?;
    rows.collect()
}

pub fn select_units(
    conn: &Connection,
    filter: &str,
    p: impl rusqlite::Params,
) -> rusqlite::Result<Vec<Unit>> {
    let sql = format!("SELECT {UNIT_COLS} FROM units {filter}");
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map(p, unit_from_row)?;
    rows.collect()
}

/// Active units counted by item and status, for item views built in one query
/// (`units_item_status` covers it).
pub fn select_unit_counts(conn: &Connection) -> rusqlite::Result<Vec<(ItemId, Status, i64)>> {
    let mut st = conn.prepare_cached(
        "SELECT item_id, status, COUNT(*) FROM units WHERE active = 1 GROUP BY item_id, status",
    )?;
    let rows = st.query_map([], |r| {
        Ok((uuid_at(r, 0)?, parsed_at::<Status>(r, 1)?, r.get(2)?))
    })?;
    rows.collect()
}

/// The `WHERE ... ORDER BY ...` of a [`ReservationQuery`] on the `reservations`
/// table and its text parameters (`?1`, `?2`...), in the SQL both SQLite and the hub's
/// PostgreSQL speak.
pub fn reservation_filter(q: &ReservationQuery) -> (String, Vec<String>) {
    let mut conds = Vec::new();
    let mut args = Vec::new();
    let mut add = |cond: &str, arg: String| {
        args.push(arg);
        conds.push(cond.replace('#', &format!("?{}", args.len())));
    };
    if let Some(i) = q.item {
        add("item_id = #", i.to_string());
    }
    if let Some(p) = q.person {
        add("person_id = #", p.to_string());
    }
    if let Some(f) = &q.from {
        add("ends >= #", f.clone());
    }
    if let Some(t) = &q.to {
        add("starts <= #", t.clone());
    }
    if q.live_only {
        conds.push("state <> 'cancelled'".into());
    }
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    (format!("{filter} ORDER BY starts, id"), args)
}

/// A reservation from its `body` column (the whole reservation as JSON).
pub fn reservation_from_body(body: &str) -> Result<Reservation, serde_json::Error> {
    serde_json::from_str(body)
}

impl Projection for SqlProjection<'_> {
    type Error = rusqlite::Error;

    fn kit(&mut self, id: KitId) -> rusqlite::Result<Option<Kit>> {
        Ok(select_kits(self.0, "WHERE id = ?1", &[id.to_string()])?.pop())
    }

    fn kits(&mut self) -> rusqlite::Result<Vec<Kit>> {
        select_kits(self.0, "ORDER BY name_key", &[])
    }

    fn kit_by_code(&mut self, code: &str) -> rusqlite::Result<Option<Kit>> {
        Ok(select_kits(self.0, "WHERE tag_key = ?1 LIMIT 1", &[fold(code)])?.pop())
    }

    fn put_kit(&mut self, k: &Kit) -> rusqlite::Result<()> {
        let body = serde_json::to_string(k).map_err(|e| bad_data(3, e))?;
        self.0
            .prepare_cached(
                "INSERT INTO kits (id, name_key, tag_key, body, version)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET name_key = excluded.name_key,
                   tag_key = excluded.tag_key, body = excluded.body,
                   version = excluded.version",
            )?
            .execute(params![
                k.id.to_string(),
                fold(&k.name),
                k.tag.as_deref().map(fold),
                body,
                k.version,
            ])?;
        Ok(())
    }

    fn reservation(&mut self, id: ReservationId) -> rusqlite::Result<Option<Reservation>> {
        select_reservations(self.0, "WHERE id = ?1", &[id.to_string()]).map(|mut v| v.pop())
    }

    fn reservations(&mut self, q: &ReservationQuery) -> rusqlite::Result<Vec<Reservation>> {
        let (filter, args) = reservation_filter(q);
        select_reservations(self.0, &filter, &args)
    }

    fn put_reservation(&mut self, r: &Reservation) -> rusqlite::Result<()> {
        let body = serde_json::to_string(r).map_err(|e| bad_data(6, e))?;
        self.0
            .prepare_cached(
                "INSERT INTO reservations (id, item_id, person_id, starts, ends, state, body,
                                           version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (id) DO UPDATE SET item_id = excluded.item_id,
                   person_id = excluded.person_id, starts = excluded.starts,
                   ends = excluded.ends, state = excluded.state, body = excluded.body,
                   version = excluded.version",
            )?
            .execute(params![
                r.id.to_string(),
                r.fields.item_id.to_string(),
                r.fields.person_id.to_string(),
                r.fields.starts,
                r.fields.ends,
                r.state.as_str(),
                body,
                r.version,
            ])?;
        Ok(())
    }

    fn item(&mut self, id: ItemId) -> rusqlite::Result<Option<Item>> {
        Ok(select_items(self.0, "WHERE id = ?1", [id.to_string()])?.pop())
    }
    fn item_by_name(&mut self, name: &str) -> rusqlite::Result<Option<Item>> {
        Ok(select_items(self.0, "WHERE name_key = ?1 LIMIT 1", [fold(name)])?.pop())
    }
    fn item_by_barcode(&mut self, barcode: &str) -> rusqlite::Result<Option<Item>> {
        Ok(select_items(self.0, "WHERE barcode_key = ?1 LIMIT 1", [fold(barcode)])?.pop())
    }
    fn put_item(&mut self, i: &Item) -> rusqlite::Result<()> {
        let counts = serde_json::to_string(&i.counts.0).map_err(|e| bad_data(6, e))?;
        self.0
            .prepare_cached(
                "INSERT INTO items (id, name, sku, barcode, tracking, reorder_point, counts, version,
                                    archived, name_key, sku_key, barcode_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, sku = excluded.sku,
                   barcode = excluded.barcode, tracking = excluded.tracking,
                   reorder_point = excluded.reorder_point, counts = excluded.counts,
                   version = excluded.version, archived = excluded.archived,
                   name_key = excluded.name_key, sku_key = excluded.sku_key,
                   barcode_key = excluded.barcode_key",
            )?
            .execute(params![
                i.id.to_string(),
                i.name,
                i.sku,
                i.barcode,
                i.tracking.as_str(),
                i.reorder_point,
                counts,
                i.version,
                i.archived,
                fold(&i.name),
                i.sku.as_deref().map(fold),
                i.barcode.as_deref().map(fold),
            ])?;
        Ok(())
    }
    fn unit(&mut self, id: UnitId) -> rusqlite::Result<Option<Unit>> {
        Ok(select_units(self.0, "WHERE id = ?1", [id.to_string()])?.pop())
    }
    fn unit_by_tag(&mut self, tag: &str) -> rusqlite::Result<Option<Unit>> {
        Ok(select_units(
            self.0,
            "WHERE tag_key = ?1 AND active = 1 LIMIT 1",
            [fold(tag)],
        )?
        .pop())
    }
    fn units_of_item(&mut self, item: ItemId) -> rusqlite::Result<Vec<Unit>> {
        select_units(
            self.0,
            "WHERE item_id = ?1 AND active = 1 ORDER BY name",
            [item.to_string()],
        )
    }
    fn unit_named(&mut self, item: ItemId, name: &str) -> rusqlite::Result<Option<Unit>> {
        Ok(select_units(
            self.0,
            "WHERE item_id = ?1 AND name_key = ?2 AND active = 1 LIMIT 1",
            params![item.to_string(), fold(name)],
        )?
        .pop())
    }
    fn put_unit(&mut self, u: &Unit) -> rusqlite::Result<()> {
        let fields = serde_json::to_string(&u.fields).map_err(|e| bad_data(8, e))?;
        self.0
            .prepare_cached(
                "INSERT INTO units (id, item_id, name, asset_tag, status, location, holder, due,
                                    fields, active, version, last_station, name_key, tag_key,
                                    location_id, holder_id, location_key, holder_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                         ?17, ?18)
                 ON CONFLICT (id) DO UPDATE SET item_id = excluded.item_id, name = excluded.name,
                   asset_tag = excluded.asset_tag, status = excluded.status,
                   location = excluded.location, holder = excluded.holder, due = excluded.due,
                   fields = excluded.fields, active = excluded.active, version = excluded.version,
                   last_station = excluded.last_station, name_key = excluded.name_key,
                   tag_key = excluded.tag_key, location_id = excluded.location_id,
                   holder_id = excluded.holder_id, location_key = excluded.location_key,
                   holder_key = excluded.holder_key",
            )?
            .execute(params![
                u.id.to_string(),
                u.item_id.to_string(),
                u.name,
                u.asset_tag,
                u.status.as_str(),
                u.location,
                u.holder,
                u.due,
                fields,
                u.active,
                u.version,
                u.last_station.map(|s| s.to_string()),
                fold(&u.name),
                u.asset_tag.as_deref().map(fold),
                u.location_id.map(|l| l.to_string()),
                u.holder_id.map(|h| h.to_string()),
                u.location.as_deref().map(fold),
                u.holder.as_deref().map(fold),
            ])?;
        Ok(())
    }
    fn units_where(&mut self, q: &UnitQuery) -> rusqlite::Result<Vec<Unit>> {
        let out = "status = 'checked_out' AND active = 1";
        match q {
            UnitQuery::HeldBy(p) => select_units(
                self.0,
                &format!("WHERE holder_id = ?1 AND {out} ORDER BY name"),
                [p.to_string()],
            ),
            UnitQuery::HeldAs(k) => select_units(
                self.0,
                &format!("WHERE holder_key = ?1 AND holder_id IS NULL AND {out} ORDER BY name"),
                [k],
            ),
            UnitQuery::At(l) => select_units(
                self.0,
                "WHERE location_id = ?1 AND active = 1 ORDER BY name",
                [l.to_string()],
            ),
            UnitQuery::AtName(k) => select_units(
                self.0,
                "WHERE location_key = ?1 AND location_id IS NULL AND active = 1 ORDER BY name",
                [k],
            ),
        }
    }
    fn person(&mut self, id: PersonId) -> rusqlite::Result<Option<Person>> {
        Ok(select_people(self.0, "WHERE id = ?1", [id.to_string()])?.pop())
    }
    fn person_by_name(&mut self, name: &str) -> rusqlite::Result<Option<Person>> {
        Ok(select_people(self.0, "WHERE name_key = ?1 LIMIT 1", [fold(name)])?.pop())
    }
    fn person_by_badge(&mut self, code: &str) -> rusqlite::Result<Option<Person>> {
        Ok(select_people(
            self.0,
            "WHERE id = (SELECT person_id FROM badges WHERE code_key = ?1 LIMIT 1)",
            [fold(code)],
        )?
        .pop())
    }
    fn put_person(&mut self, x: &Person) -> rusqlite::Result<()> {
        let badges = serde_json::to_string(&x.badges).map_err(|e| bad_data(2, e))?;
        self.0
            .prepare_cached(
                "INSERT INTO people (id, name, name_key, badges, email, role, active,
                                     max_checkouts, loan_days, erased, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name,
                   name_key = excluded.name_key, badges = excluded.badges,
                   email = excluded.email, role = excluded.role, active = excluded.active,
                   max_checkouts = excluded.max_checkouts, loan_days = excluded.loan_days,
                   erased = excluded.erased, version = excluded.version",
            )?
            .execute(params![
                x.id.to_string(),
                x.name,
                fold(&x.name),
                badges,
                x.email,
                x.role.as_str(),
                x.active,
                x.max_checkouts,
                x.loan_days,
                x.erased,
                x.version,
            ])?;
        self.0
            .prepare_cached("DELETE FROM badges WHERE person_id = ?1")?
            .execute([x.id.to_string()])?;
        let mut add = self
            .0
            .prepare_cached("INSERT OR IGNORE INTO badges (code_key, person_id) VALUES (?1, ?2)")?;
        for b in &x.badges {
            add.execute(params![fold(b), x.id.to_string()])?;
        }
        Ok(())
    }
    fn person_history(&mut self, id: PersonId) -> rusqlite::Result<Vec<PersonFields>> {
        Ok(select_events(
            self.0,
            "WHERE e.item_id = ?1 AND e.kind IN ('person_created', 'person_edited')
             ORDER BY e.hub_seq IS NULL, e.hub_seq, e.pos",
            [id.to_string()],
        )?
        .into_iter()
        .filter_map(|s| match s.event.kind {
            EventKind::PersonCreated(f) | EventKind::PersonEdited(f) => Some(f),
            _ => None,
        })
        .collect())
    }
    fn scrub(&mut self, scrub: &Scrub) -> rusqlite::Result<()> {
        scrub_events(self.0, scrub)
    }
    fn location(&mut self, id: LocationId) -> rusqlite::Result<Option<Location>> {
        Ok(select_locations(self.0, "WHERE id = ?1", [id.to_string()])?.pop())
    }
    fn location_by_name(&mut self, name: &str) -> rusqlite::Result<Option<Location>> {
        Ok(select_locations(self.0, "WHERE name_key = ?1 LIMIT 1", [fold(name)])?.pop())
    }
    fn location_by_code(&mut self, code: &str) -> rusqlite::Result<Option<Location>> {
        Ok(select_locations(self.0, "WHERE code_key = ?1 LIMIT 1", [fold(code)])?.pop())
    }
    fn put_location(&mut self, l: &Location) -> rusqlite::Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO locations (id, name, name_key, kind, parent_id, code, code_key,
                                        active, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name,
                   name_key = excluded.name_key, kind = excluded.kind,
                   parent_id = excluded.parent_id, code = excluded.code,
                   code_key = excluded.code_key, active = excluded.active,
                   version = excluded.version",
            )?
            .execute(params![
                l.id.to_string(),
                l.name,
                fold(&l.name),
                l.kind.as_str(),
                l.parent.map(|p| p.to_string()),
                l.code,
                l.code.as_deref().map(fold),
                l.active,
                l.version,
            ])?;
        Ok(())
    }
}

/// Rewrite every stored event that names an erased person (see [`Scrub`]): the
/// payload, the actor and the note, in place. The event ids, order and outcomes stay.
pub fn scrub_events(conn: &Connection, scrub: &Scrub) -> rusqlite::Result<()> {
    let all = select_events(conn, "ORDER BY e.pos", [])?;
    let mut write =
        conn.prepare_cached("UPDATE events SET actor = ?2, payload = ?3, note = ?4 WHERE id = ?1")?;
    for mut s in all {
        let changed = scrub.event(&mut s.event);
        let note = s.outcome.note.as_deref().and_then(|n| scrub.note(n));
        if changed || note.is_some() {
            let payload = serde_json::to_string(&s.event.kind).map_err(|e| bad_data(10, e))?;
            write.execute(params![
                s.event.id.to_string(),
                s.event.actor,
                payload,
                note.or(s.outcome.note),
            ])?;
        }
    }
    Ok(())
}

pub const EVENT_COLS: &str =
    "id, station_id, station_seq, actor, wall_time_ms, clock_synced, item_id, \
     unit_id, base_version, scan, payload, hub_seq, applied, conflict, note";

pub fn event_from_row(row: &Row) -> rusqlite::Result<StoredEvent> {
    let kind: EventKind = json_at(row, 10)?;
    Ok(StoredEvent {
        event: Event {
            id: uuid_at(row, 0)?,
            station_id: uuid_at(row, 1)?,
            station_seq: row.get(2)?,
            actor: row.get(3)?,
            wall_time_ms: row.get(4)?,
            clock_synced: row.get(5)?,
            item_id: uuid_at(row, 6)?,
            unit_id: opt_uuid_at(row, 7)?,
            base_version: row.get(8)?,
            scan: row.get(9)?,
            kind,
        },
        hub_seq: row.get(11)?,
        outcome: Outcome {
            applied: row.get(12)?,
            conflict: row.get(13)?,
            note: row.get(14)?,
        },
    })
}

/// Append an event row and its unit links. The caller holds the write transaction.
pub fn insert_event(
    conn: &Connection,
    ev: &Event,
    hub_seq: Option<i64>,
    outcome: &Outcome,
    units: &[UnitId],
) -> rusqlite::Result<()> {
    let payload = serde_json::to_string(&ev.kind).map_err(|e| bad_data(10, e))?;
    conn.prepare_cached(
        "INSERT INTO events (id, station_id, station_seq, actor, wall_time_ms, clock_synced,
                             item_id, unit_id, base_version, scan, kind, payload, hub_seq,
                             applied, conflict, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        ev.id.to_string(),
        ev.station_id.to_string(),
        ev.station_seq,
        ev.actor,
        ev.wall_time_ms,
        ev.clock_synced,
        ev.item_id.to_string(),
        ev.unit_id.map(|u| u.to_string()),
        ev.base_version,
        ev.scan,
        ev.kind.name(),
        payload,
        hub_seq,
        outcome.applied,
        outcome.conflict,
        outcome.note,
    ])?;
    link_units(conn, ev.id, units)
}

/// Record which units an event touched (idempotent).
pub fn link_units(conn: &Connection, event: Uuid, units: &[UnitId]) -> rusqlite::Result<()> {
    let mut st = conn
        .prepare_cached("INSERT OR IGNORE INTO event_units (unit_id, event_id) VALUES (?1, ?2)")?;
    for u in units {
        st.execute(params![u.to_string(), event.to_string()])?;
    }
    Ok(())
}

/// Events in `filter` order (a `WHERE ... ORDER BY ...` clause on alias `e`).
pub fn select_events(
    conn: &Connection,
    filter: &str,
    p: impl rusqlite::Params,
) -> rusqlite::Result<Vec<StoredEvent>> {
    let cols = EVENT_COLS
        .split(", ")
        .map(|c| format!("e.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("SELECT {cols} FROM events e {filter}");
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map(p, event_from_row)?;
    rows.collect()
}

/// One unit's whole history in the order the hub decided, then local pending events.
pub fn unit_history(conn: &Connection, unit: UnitId) -> rusqlite::Result<Vec<StoredEvent>> {
    select_events(
        conn,
        "JOIN event_units eu ON eu.event_id = e.id WHERE eu.unit_id = ?1
         ORDER BY e.hub_seq IS NULL, e.hub_seq, e.pos",
        [unit.to_string()],
    )
}

pub fn event_exists(conn: &Connection, id: Uuid) -> rusqlite::Result<Option<StoredEvent>> {
    Ok(select_events(conn, "WHERE e.id = ?1", [id.to_string()])?.pop())
}

/// `true` if the optional row exists.
pub fn exists(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> rusqlite::Result<bool> {
    Ok(conn.query_row(sql, p, |_| Ok(())).optional()?.is_some())
}
