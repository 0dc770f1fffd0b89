//! The hub as the operations layer's [`Ledger`]: a change an admin makes on the hub (the
//! demo's sample catalog now, the web app's forms next) runs through the same typed
//! operations as a station's, with the same checks and naming rules, and is recorded as
//! the hub's own events, all of an operation's commands in one transaction.

use uuid::Uuid;

use super::db::{params, Conn, Value};
use super::tables::{select_items, select_locations, select_people, select_units, Tables};
use super::{admin_event, read, views, HubError, HubStore, Result};
use tagstation_core::catalog::{fold, Item, ItemId, Unit, UnitId};
use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::event::{Command, Projection, UnitQuery};
use tagstation_core::kits::{Kit, KitId};
use tagstation_core::locations::{Location, LocationId};
use tagstation_core::people::{Person, PersonId};
use tagstation_core::proto::LogEntry;
use tagstation_core::reservations::{Reservation, ReservationId, ReservationQuery};
use tagstation_core::view::{HistoryEntry, ItemView, UnitView};
use tagstation_ops::reads::{FilterValue, Reads, UnitFilter, UnitKey};
use tagstation_ops::{one_of, Ledger, OpError, Recorded};

/// One admin command as recorded: the log entry and the units it touched (seeded or
/// folded by a tracking switch, in id order).
#[derive(Debug, Clone)]
pub struct AdminRecorded {
    pub entry: LogEntry,
    pub units: Vec<UnitId>,
}

/// An item by id, or by name, SKU or barcode letter case aside (`catalog::fold`), as
/// the station matches it.
pub fn items_matching(c: &mut dyn Conn, reference: &str) -> Result<Vec<Item>> {
    select_items(
        c,
        "WHERE id = ?1 OR name_key = ?2 OR sku_key = ?2 OR barcode_key = ?2 ORDER BY name",
        params![reference, fold(reference)],
    )
}

/// Active units by asset tag, or else by id or name, letter case aside, as the station
/// matches them.
pub fn units_matching(c: &mut dyn Conn, reference: &str) -> Result<Vec<Unit>> {
    if let Some(u) = Tables::new(c).unit_by_tag(reference)? {
        return Ok(vec![u]);
    }
    // By id, then by name: one indexed lookup each (on PostgreSQL the id and the name
    // are in different tables, and an `OR` of the two would read both whole).
    let mut units = select_units(c, "WHERE id = ?1 AND active = TRUE", params![reference])?;
    units.extend(select_units(
        c,
        "WHERE name_key = ?1 AND active = TRUE AND id <> ?2 ORDER BY name",
        params![fold(reference), reference],
    )?);
    Ok(units)
}

/// Every unit of an item, folded ones included, by name.
pub fn units_of(c: &mut dyn Conn, item: ItemId) -> Result<Vec<Unit>> {
    select_units(c, "WHERE item_id = ?1 ORDER BY name", params![item])
}

/// People by id, name or badge code, letter case aside.
pub fn people_matching(c: &mut dyn Conn, reference: &str) -> Result<Vec<Person>> {
    select_people(
        c,
        "WHERE id = ?1 OR name_key = ?2
            OR id IN (SELECT person_id FROM badges WHERE code_key = ?2) ORDER BY name_key",
        params![reference, fold(reference)],
    )
}

/// Locations by id, name or code, letter case aside.
pub fn locations_matching(c: &mut dyn Conn, reference: &str) -> Result<Vec<Location>> {
    select_locations(
        c,
        "WHERE id = ?1 OR name_key = ?2 OR code_key = ?2 ORDER BY name_key",
        params![reference, fold(reference)],
    )
}

/// Locations units name as free text that is no location entity, each spelling once.
pub fn unplaced_locations(c: &mut dyn Conn) -> Result<Vec<String>> {
    c.query(
        "SELECT DISTINCT location FROM units
         WHERE active = TRUE AND location IS NOT NULL AND location_id IS NULL ORDER BY location",
        &[],
    )?
    .iter()
    .map(|r| r.text(0))
    .collect()
}

/// The names of every unit the item ever had, folded ones included.
pub fn unit_names(c: &mut dyn Conn, item: ItemId) -> Result<Vec<String>> {
    c.query("SELECT name FROM units WHERE item_id = ?1", params![item])?
        .iter()
        .map(|r| r.text(0))
        .collect()
}

/// Record admin commands in order, in one transaction: all of them, or none and the
/// index of the one that was refused.
pub fn record_all(
    c: &mut dyn Conn,
    hub_id: Uuid,
    cmds: Vec<Command>,
    failed_at: &mut usize,
) -> Result<Vec<AdminRecorded>> {
    let now = SystemClock.now();
    let mut done = Vec::with_capacity(cmds.len());
    for (i, cmd) in cmds.into_iter().enumerate() {
        *failed_at = i;
        let entry = admin_event(&mut Tables::new(c), hub_id, cmd, now)?;
        let units = c
            .query(
                "SELECT unit_id FROM event_units WHERE event_id = ?1 ORDER BY unit_id",
                params![entry.event.id],
            )?
            .iter()
            .map(|r| r.uuid(0))
            .collect::<Result<Vec<_>>>()?;
        done.push(AdminRecorded { entry, units });
    }
    Ok(done)
}

/// A hub error in the operations layer's terms.
fn op_error(e: HubError) -> OpError {
    match e {
        HubError::Domain(d) => OpError::Refused(d),
        HubError::BadRequest(m) => OpError::invalid(m),
        other => OpError::Storage {
            user: "NOT SAVED: the hub's database failed; try again, and tell the administrator if it keeps failing".into(),
            source: Box::new(other),
        },
    }
}

/// The hub's store seen by `tagstation-ops`: `ops::catalog::create_item(&mut
/// HubLedger::new(hub), ...)` records on the hub exactly what a station would.
pub struct HubLedger<'h> {
    hub: &'h dyn HubStore,
}

impl<'h> HubLedger<'h> {
    pub fn new(hub: &'h dyn HubStore) -> HubLedger<'h> {
        HubLedger { hub }
    }
}

/// Run an operation over the hub's ledger on the blocking pool, as every front end
/// served by the hub does (its admin API, the web app): the store blocks, the server
/// must not.
pub async fn run<T: Send + 'static>(
    store: std::sync::Arc<dyn HubStore>,
    f: impl FnOnce(&mut HubLedger<'_>) -> Result<T, OpError> + Send + 'static,
) -> Result<T, OpError> {
    match tokio::task::spawn_blocking(move || f(&mut HubLedger::new(store.as_ref()))).await {
        Ok(r) => r,
        Err(e) => Err(OpError::Storage {
            user: "the hub could not finish the change; try again".into(),
            source: Box::new(HubError::Task(e.to_string())),
        }),
    }
}

impl Ledger for HubLedger<'_> {
    fn item(&self, id: ItemId) -> Result<Item, OpError> {
        self.hub
            .catalog_item(id)
            .map_err(op_error)?
            .ok_or_else(|| OpError::NotFound {
                what: "item",
                reference: id.to_string(),
            })
    }

    fn find_item(&self, reference: &str) -> Result<Item, OpError> {
        let found = self.hub.items_matching(reference).map_err(op_error)?;
        one_of("item", reference, found, |i| i.name.clone())
    }

    fn unit(&self, id: UnitId) -> Result<Unit, OpError> {
        self.hub
            .catalog_unit(id)
            .map_err(op_error)?
            .ok_or_else(|| OpError::NotFound {
                what: "unit",
                reference: id.to_string(),
            })
    }

    fn find_unit(&self, reference: &str) -> Result<Unit, OpError> {
        let found = self.hub.units_matching(reference).map_err(op_error)?;
        one_of("unit", reference, found, |u| u.name.clone())
    }

    fn units_of_item(&self, item: ItemId) -> Result<Vec<Unit>, OpError> {
        self.hub.catalog_units(item, false).map_err(op_error)
    }

    fn units_of(&self, item: ItemId) -> Result<Vec<Unit>, OpError> {
        self.hub.catalog_units(item, true).map_err(op_error)
    }

    fn rehearse(&mut self, cmds: Vec<Command>) -> Result<(), (usize, OpError)> {
        self.hub
            .admin_rehearse(cmds)
            .map_err(|(i, e)| (i, op_error(e)))
    }

    fn unit_names(&self, item: ItemId) -> Result<Vec<String>, OpError> {
        self.hub.unit_names(item).map_err(op_error)
    }

    fn person(&self, id: PersonId) -> Result<Person, OpError> {
        read(self.hub, |c| Tables::new(c).person(id))
            .map_err(op_error)?
            .ok_or_else(|| OpError::NotFound {
                what: "person",
                reference: id.to_string(),
            })
    }

    fn find_person(&self, reference: &str) -> Result<Person, OpError> {
        let found = read(self.hub, |c| people_matching(c, reference)).map_err(op_error)?;
        one_of("person", reference, found, |p| p.name.clone())
    }

    fn people(&self) -> Result<Vec<Person>, OpError> {
        read(self.hub, |c| select_people(c, "ORDER BY name_key", &[])).map_err(op_error)
    }

    fn units_held_by(&self, person: PersonId) -> Result<Vec<Unit>, OpError> {
        read(self.hub, |c| {
            Tables::new(c).units_where(&UnitQuery::HeldBy(person))
        })
        .map_err(op_error)
    }

    fn manages_people(&self) -> bool {
        true
    }

    fn location(&self, id: LocationId) -> Result<Location, OpError> {
        read(self.hub, |c| Tables::new(c).location(id))
            .map_err(op_error)?
            .ok_or_else(|| OpError::NotFound {
                what: "location",
                reference: id.to_string(),
            })
    }

    fn find_location(&self, reference: &str) -> Result<Location, OpError> {
        let found = read(self.hub, |c| locations_matching(c, reference)).map_err(op_error)?;
        one_of("location", reference, found, |l| l.name.clone())
    }

    fn locations(&self) -> Result<Vec<Location>, OpError> {
        read(self.hub, |c| select_locations(c, "ORDER BY name_key", &[])).map_err(op_error)
    }

    fn unplaced_locations(&self) -> Result<Vec<String>, OpError> {
        read(self.hub, unplaced_locations).map_err(op_error)
    }

    fn kit(&self, id: KitId) -> Result<Kit, OpError> {
        read(self.hub, |c| Tables::new(c).kit(id))
            .map_err(op_error)?
            .ok_or_else(|| OpError::NotFound {
                what: "kit",
                reference: id.to_string(),
            })
    }

    fn kits(&self) -> Result<Vec<Kit>, OpError> {
        read(self.hub, |c| Tables::new(c).kits()).map_err(op_error)
    }

    fn reservation(&self, id: ReservationId) -> Result<Reservation, OpError> {
        read(self.hub, |c| Tables::new(c).reservation(id))
            .map_err(op_error)?
            .ok_or_else(|| OpError::NotFound {
                what: "reservation",
                reference: id.to_string(),
            })
    }

    fn reservations(&self, q: &ReservationQuery) -> Result<Vec<Reservation>, OpError> {
        read(self.hub, |c| Tables::new(c).reservations(q)).map_err(op_error)
    }

    fn record(&mut self, cmds: Vec<Command>) -> Result<Vec<Recorded>, (usize, OpError)> {
        let done = self
            .hub
            .admin_record_all(cmds)
            .map_err(|(i, e)| (i, op_error(e)))?;
        Ok(done
            .into_iter()
            .map(|r| Recorded {
                event: r.entry.event,
                units: r.units,
            })
            .collect())
    }
}

/// The hub as the operations layer's [`Reads`]: the same views its admin API and web
/// app read (`views`), for a front end written over `Ledger + Reads` (the MCP server).
impl Reads for HubLedger<'_> {
    fn items(&self) -> Result<Vec<Item>, OpError> {
        read(self.hub, |c| {
            select_items(c, "WHERE archived = FALSE ORDER BY name", &[])
        })
        .map_err(op_error)
    }

    fn item_views(&self) -> Result<Vec<ItemView>, OpError> {
        read(self.hub, |c| {
            let items = select_items(c, "WHERE archived = FALSE ORDER BY name", &[])?;
            views::item_views(c, &items)
        })
        .map_err(op_error)
    }

    fn unit_views(&self, f: &UnitFilter) -> Result<Vec<UnitView>, OpError> {
        let (filter, values) = f.sql();
        let values: Vec<Value> = values
            .into_iter()
            .map(|v| match v {
                FilterValue::Id(id) => Value::from(id),
                FilterValue::Text(t) => Value::from(t),
            })
            .collect();
        read(self.hub, |c| {
            let units = select_units(c, &filter, &values)?;
            // Each item read once, not once per unit.
            let mut items = std::collections::HashMap::new();
            let mut p = Tables::new(c);
            let today = tagstation_core::clock::today();
            units
                .iter()
                .map(|u| {
                    if let std::collections::hash_map::Entry::Vacant(e) = items.entry(u.item_id) {
                        e.insert(p.item(u.item_id)?);
                    }
                    let item = items.get(&u.item_id).and_then(Option::as_ref);
                    Ok(tagstation_core::view::unit_view_with(u, item, &today))
                })
                .collect()
        })
        .map_err(op_error)
    }

    fn unit_keys(&self) -> Result<Vec<UnitKey>, OpError> {
        read(self.hub, |c| {
            c.query(
                "SELECT id, name, asset_tag FROM units WHERE active = TRUE",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(UnitKey {
                    id: r.uuid(0)?,
                    name: r.text(1)?,
                    asset_tag: r.opt_text(2)?,
                })
            })
            .collect()
        })
        .map_err(op_error)
    }

    fn unit_history(&self, unit: UnitId) -> Result<Vec<HistoryEntry>, OpError> {
        read(self.hub, |c| views::unit_history(c, unit)).map_err(op_error)
    }

    fn recent(&self, limit: usize) -> Result<Vec<HistoryEntry>, OpError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        read(self.hub, |c| views::recent(c, limit)).map_err(op_error)
    }

    fn conflicts(&self) -> Result<Vec<HistoryEntry>, OpError> {
        read(self.hub, views::conflicts).map_err(op_error)
    }
}
