//! The history: events, and the rules that turn them into current state.
//!
//! Every change to the catalog is an [`Event`] in an append-only log. The current state
//! (items, units, totals) is a *projection* of that log: [`apply`] folds one event into
//! a [`Projection`]. The same `apply` runs in the station's store, in the hub's SQLite
//! and PostgreSQL stores and in the in-memory [`MemProjection`] used by tests, so a log
//! replayed in the same order gives the same state everywhere.
//!
//! `apply` either changes the projection and says which units it touched, or refuses
//! with a [`DomainError`] and changes nothing. A station refuses a command that way
//! (nothing is written); the hub records a refused event in history as *not applied*
//! and flags it for review, because a scan that happened is never thrown away.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{
    check_date, check_scan, check_tag, check_text, unit_name, Item, ItemId, Status, TextError,
    Totals, Tracking, Unit, UnitId, MAX_QUANTITY, MAX_SEEDED_UNITS,
};

/// One change, as recorded in history and sent between stations and the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// UUIDv7: unique everywhere, roughly time-ordered, the idempotency key for sync.
    pub id: Uuid,
    /// The station (or the hub itself) that made the event.
    pub station_id: Uuid,
    /// Per-station sequence number, 1, 2, 3... with no gaps.
    pub station_seq: i64,
    /// Who did it: a person's name or badge, or `cli:USER`.
    pub actor: String,
    /// Station wall-clock time in milliseconds since the Unix epoch. Recorded, never
    /// trusted for ordering: see `clock_synced`.
    pub wall_time_ms: i64,
    /// Whether the station's clock was known to be synchronised when it made the event.
    pub clock_synced: bool,
    pub item_id: ItemId,
    pub unit_id: Option<UnitId>,
    /// The unit's version (for unit events) or the item's version (for item events)
    /// that the station saw when it made the event. Sync flags a conflict when the
    /// event is applied on top of a different version.
    pub base_version: Option<i64>,
    /// The scanned text that led to the event, byte for byte, if it came from a scan.
    pub scan: Option<String>,
    pub kind: EventKind,
}

/// What happened. Serialised with a `type` tag, e.g. `{"type":"status_changed","to":"damaged"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    ItemCreated {
        name: String,
        sku: Option<String>,
        barcode: Option<String>,
        tracking: Tracking,
        reorder_point: Option<i64>,
    },
    ItemEdited {
        name: String,
        sku: Option<String>,
        barcode: Option<String>,
        reorder_point: Option<i64>,
    },
    /// "Track units individually" turned on (seeds units from the counts) or off
    /// (folds the units back into counts).
    TrackingSwitched {
        to: Tracking,
    },
    /// Count items: add or remove quantity in one status (receive 10, consume 2).
    QuantityAdjusted {
        status: Status,
        delta: i64,
        reason: Option<String>,
    },
    /// Count items: move quantity from one status to another (mark 1 damaged).
    QuantityMoved {
        from: Status,
        to: Status,
        qty: i64,
    },
    UnitCreated {
        name: String,
        asset_tag: Option<String>,
        status: Status,
        location: Option<String>,
        fields: BTreeMap<String, String>,
    },
    UnitRenamed {
        name: String,
    },
    /// Attach (`Some`) or remove (`None`) a unit's asset tag.
    UnitTagged {
        tag: Option<String>,
    },
    StatusChanged {
        to: Status,
    },
    CheckedOut {
        holder: String,
        due: Option<String>,
    },
    CheckedIn {
        location: Option<String>,
    },
    UnitRetired {
        reason: Option<String>,
    },
    /// Set (`Some`) or clear (`None`) a custom field such as `serial` or `last_service`.
    FieldSet {
        key: String,
        value: Option<String>,
    },
    LocationMoved {
        location: Option<String>,
    },
}

impl EventKind {
    /// The `type` tag, as stored in the `kind` column.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::ItemCreated { .. } => "item_created",
            EventKind::ItemEdited { .. } => "item_edited",
            EventKind::TrackingSwitched { .. } => "tracking_switched",
            EventKind::QuantityAdjusted { .. } => "quantity_adjusted",
            EventKind::QuantityMoved { .. } => "quantity_moved",
            EventKind::UnitCreated { .. } => "unit_created",
            EventKind::UnitRenamed { .. } => "unit_renamed",
            EventKind::UnitTagged { .. } => "unit_tagged",
            EventKind::StatusChanged { .. } => "status_changed",
            EventKind::CheckedOut { .. } => "checked_out",
            EventKind::CheckedIn { .. } => "checked_in",
            EventKind::UnitRetired { .. } => "unit_retired",
            EventKind::FieldSet { .. } => "field_set",
            EventKind::LocationMoved { .. } => "location_moved",
        }
    }

    /// Does this event act on one existing unit (and so carry the unit's version)?
    pub fn is_unit_event(&self) -> bool {
        !matches!(
            self,
            EventKind::ItemCreated { .. }
                | EventKind::ItemEdited { .. }
                | EventKind::TrackingSwitched { .. }
                | EventKind::QuantityAdjusted { .. }
                | EventKind::QuantityMoved { .. }
                | EventKind::UnitCreated { .. }
        )
    }

    /// A short sentence for history views: "status → damaged", "checked out to Ana".
    pub fn describe(&self) -> String {
        match self {
            EventKind::ItemCreated { name, tracking, .. } => {
                format!("item {name:?} created ({})", tracking.as_str())
            }
            EventKind::ItemEdited { name, .. } => format!("item edited ({name:?})"),
            EventKind::TrackingSwitched { to } => match to {
                Tracking::Units => "tracking switched to units".into(),
                Tracking::Count => "tracking switched to count".into(),
            },
            EventKind::QuantityAdjusted { status, delta, .. } => format!("{status} {delta:+}"),
            EventKind::QuantityMoved { from, to, qty } => format!("{qty} moved {from} → {to}"),
            EventKind::UnitCreated { name, .. } => format!("unit {name:?} created"),
            EventKind::UnitRenamed { name } => format!("renamed to {name:?}"),
            EventKind::UnitTagged { tag: Some(t) } => format!("tagged {t:?}"),
            EventKind::UnitTagged { tag: None } => "tag removed".into(),
            EventKind::StatusChanged { to } => format!("status → {to}"),
            EventKind::CheckedOut { holder, due } => match due {
                Some(d) => format!("checked out to {holder} (due {d})"),
                None => format!("checked out to {holder}"),
            },
            EventKind::CheckedIn { .. } => "checked in".into(),
            EventKind::UnitRetired { reason } => match reason {
                Some(r) => format!("retired ({r})"),
                None => "retired".into(),
            },
            EventKind::FieldSet {
                key,
                value: Some(v),
            } => format!("{key} = {v:?}"),
            EventKind::FieldSet { key, value: None } => format!("{key} cleared"),
            EventKind::LocationMoved { location: Some(l) } => format!("moved to {l}"),
            EventKind::LocationMoved { location: None } => "location cleared".into(),
        }
    }
}

impl Event {
    /// The checks every event passes before it enters any log, whoever made it: the
    /// actor and the scanned text by the same rules as names, then every field of its
    /// kind ([`EventKind::check_fields`]). A station runs them before it records a
    /// change; the hub runs them on every pushed event and quarantines one that fails.
    pub fn check(&self) -> Result<(), DomainError> {
        check_text("actor", &self.actor)?;
        if let Some(scan) = &self.scan {
            check_scan(scan)?;
        }
        self.kind.check_fields()
    }
}

impl EventKind {
    /// The rules that need no state: texts, tags and dates well formed, quantities in
    /// range, statuses that can be set this way. [`apply`] runs them first; the rules
    /// that depend on the catalog (unknown units, uniqueness, transitions) come after.
    pub fn check_fields(&self) -> Result<(), DomainError> {
        match self {
            EventKind::ItemCreated {
                name,
                sku,
                barcode,
                reorder_point,
                ..
            }
            | EventKind::ItemEdited {
                name,
                sku,
                barcode,
                reorder_point,
            } => check_item_fields(name, sku, barcode, *reorder_point)?,
            EventKind::TrackingSwitched { .. } => {}
            EventKind::QuantityAdjusted {
                status,
                delta,
                reason,
            } => {
                if *delta == 0 || !(-MAX_QUANTITY..=MAX_QUANTITY).contains(delta) {
                    return Err(DomainError::BadQuantity(*delta));
                }
                if !Status::COUNTED.contains(status) {
                    return Err(DomainError::BadStatus(*status));
                }
                if let Some(r) = reason {
                    check_text("reason", r)?;
                }
            }
            EventKind::QuantityMoved { from, to, qty } => {
                if *qty <= 0 || *qty > MAX_QUANTITY {
                    return Err(DomainError::BadQuantity(*qty));
                }
                for s in [from, to] {
                    if !Status::COUNTED.contains(s) {
                        return Err(DomainError::BadStatus(*s));
                    }
                }
            }
            EventKind::UnitCreated {
                name,
                asset_tag,
                status,
                location,
                fields,
            } => {
                check_text("unit name", name)?;
                if let Some(t) = asset_tag {
                    check_tag("asset tag", t)?;
                }
                if let Some(l) = location {
                    check_text("location", l)?;
                }
                for (k, v) in fields {
                    check_text("field name", k)?;
                    check_text("field value", v)?;
                }
                if !Status::SETTABLE.contains(status) {
                    return Err(DomainError::BadStatus(*status));
                }
            }
            EventKind::UnitRenamed { name } => check_text("unit name", name)?,
            EventKind::UnitTagged { tag } => {
                if let Some(t) = tag {
                    check_tag("asset tag", t)?;
                }
            }
            EventKind::StatusChanged { to } => {
                if !Status::SETTABLE.contains(to) {
                    return Err(DomainError::BadStatus(*to));
                }
            }
            EventKind::CheckedOut { holder, due } => {
                check_text("holder", holder)?;
                if let Some(d) = due {
                    check_date(d).map_err(DomainError::BadDate)?;
                }
            }
            EventKind::CheckedIn { location } | EventKind::LocationMoved { location } => {
                if let Some(l) = location {
                    check_text("location", l)?;
                }
            }
            EventKind::UnitRetired { reason } => {
                if let Some(r) = reason {
                    check_text("reason", r)?;
                }
            }
            EventKind::FieldSet { key, value } => {
                check_text("field name", key)?;
                if let Some(v) = value {
                    check_text("field value", v)?;
                }
            }
        }
        Ok(())
    }
}

/// Outcome columns stored beside an event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub applied: bool,
    pub conflict: bool,
    pub note: Option<String>,
}

/// An event as stored, with where it stands in the hub's order and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub event: Event,
    pub hub_seq: Option<i64>,
    pub outcome: Outcome,
}

/// Why an event cannot be applied to the current state. Each has a message for the
/// log (`Display`) and one for a shop worker ([`DomainError::user_message`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("unknown item {0}")]
    UnknownItem(ItemId),
    #[error("unknown unit {0}")]
    UnknownUnit(UnitId),
    #[error("item {0} already exists")]
    ItemExists(ItemId),
    #[error("unit {0} already exists")]
    UnitExists(UnitId),
    #[error("an item named {0:?} already exists")]
    DuplicateItemName(String),
    #[error("{item:?} already has a unit named {name:?}")]
    DuplicateUnitName { item: String, name: String },
    #[error("code {tag:?} is already used by {owner}")]
    DuplicateTag { tag: String, owner: String },
    #[error("cannot go from {from} to {to}")]
    InvalidTransition { from: Status, to: Status },
    #[error("already {0}")]
    NoChange(String),
    #[error("{0:?} is checked out to {1}; check it in first")]
    CheckedOut(String, String),
    #[error("{0:?} is retired")]
    Retired(String),
    #[error("{0:?} is no longer tracked individually (its item is counted)")]
    Folded(String),
    #[error("{item:?} is tracked by unit: its totals come from its units and cannot be edited")]
    DerivedTotals { item: String },
    #[error("{item:?} is tracked by count: it has no units")]
    NotUnitTracked { item: String },
    #[error("{item:?} has {have} {status}; cannot take away {want}")]
    NegativeCount {
        item: String,
        status: Status,
        have: i64,
        want: i64,
    },
    #[error("quantity {0} is out of range (1..={MAX_QUANTITY})")]
    BadQuantity(i64),
    #[error("{item:?} has {count} counted pieces; at most {MAX_SEEDED_UNITS} can become units")]
    TooManyUnits { item: String, count: i64 },
    #[error("status {0} cannot be set here")]
    BadStatus(Status),
    #[error(transparent)]
    Text(#[from] TextError),
    #[error("{0}")]
    BadDate(String),
}

impl DomainError {
    /// The same problem in words for the person at the station.
    pub fn user_message(&self) -> String {
        match self {
            DomainError::UnknownItem(_) | DomainError::UnknownUnit(_) => {
                "This is not in the catalog. Sync the station or register it.".into()
            }
            DomainError::DuplicateTag { tag, owner } => {
                format!("Code {tag} already belongs to {owner}. Use another label.")
            }
            DomainError::InvalidTransition { from, to } => format!(
                "A unit that is {} cannot be set to {}.",
                from.label().to_lowercase(),
                to.label().to_lowercase()
            ),
            DomainError::NoChange(what) => format!("Nothing to do: already {what}."),
            DomainError::CheckedOut(unit, holder) => {
                format!("{unit} is checked out to {holder}. Check it in first.")
            }
            DomainError::Retired(unit) => format!("{unit} has been retired and cannot be used."),
            DomainError::NegativeCount {
                item, status, have, ..
            } => format!(
                "There are only {have} {item} {}.",
                status.label().to_lowercase()
            ),
            other => {
                let s = other.to_string();
                let mut c = s.chars();
                match c.next() {
                    Some(f) => f.to_uppercase().collect::<String>() + c.as_str() + ".",
                    None => s,
                }
            }
        }
    }
}

/// The state an event is applied to. Each store implements these few reads and
/// writes over its own tables; the rules live in [`apply`], once.
pub trait Projection {
    type Error;
    fn item(&mut self, id: ItemId) -> Result<Option<Item>, Self::Error>;
    fn item_by_name(&mut self, name: &str) -> Result<Option<Item>, Self::Error>;
    fn item_by_barcode(&mut self, barcode: &str) -> Result<Option<Item>, Self::Error>;
    fn put_item(&mut self, item: &Item) -> Result<(), Self::Error>;
    fn unit(&mut self, id: UnitId) -> Result<Option<Unit>, Self::Error>;
    /// The active (not folded) unit carrying this asset tag, retired ones included.
    fn unit_by_tag(&mut self, tag: &str) -> Result<Option<Unit>, Self::Error>;
    /// All active units of an item, retired ones included.
    fn units_of_item(&mut self, item: ItemId) -> Result<Vec<Unit>, Self::Error>;
    /// The active unit of an item with this name, if any (names are unique per item).
    fn unit_named(&mut self, item: ItemId, name: &str) -> Result<Option<Unit>, Self::Error>;
    fn put_unit(&mut self, unit: &Unit) -> Result<(), Self::Error>;
}

/// Either the rules refused the event, or the store failed underneath.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError<E> {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("storage: {0}")]
    Store(E),
}

impl<E> From<TextError> for ApplyError<E> {
    fn from(e: TextError) -> Self {
        ApplyError::Domain(DomainError::Text(e))
    }
}

/// What applying an event did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Units the event created or changed: its entries in each unit's history.
    pub units: Vec<UnitId>,
    /// Set when the event was made on top of a version other than the one it was
    /// applied to: another station changed the same thing in between.
    pub conflict: Option<String>,
}

/// How much to check when applying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every rule, including catalog-wide uniqueness (names, tags, barcodes).
    Full,
    /// An event the hub already applied, replayed on a station for a subset of the
    /// catalog: catalog-wide uniqueness was decided by the hub and is not re-checked.
    Trusted,
}

/// Apply one event to the projection. On `Err` nothing was written.
pub fn apply<P: Projection>(
    p: &mut P,
    ev: &Event,
    mode: Mode,
) -> Result<Applied, ApplyError<P::Error>> {
    let st = |e| ApplyError::Store(e);
    let full = mode == Mode::Full;
    let mut out = Applied::default();
    ev.kind.check_fields()?;

    // Item-level events first: they act on the item (and, for the switch, all its units).
    match &ev.kind {
        EventKind::ItemCreated {
            name,
            sku,
            barcode,
            tracking,
            reorder_point,
        } => {
            if p.item(ev.item_id).map_err(st)?.is_some() {
                return Err(DomainError::ItemExists(ev.item_id).into());
            }
            if full {
                check_item_unique(p, ev.item_id, name, barcode.as_deref())?;
            }
            let item = Item {
                id: ev.item_id,
                name: name.clone(),
                sku: sku.clone(),
                barcode: barcode.clone(),
                tracking: *tracking,
                reorder_point: *reorder_point,
                counts: Totals::default(),
                version: 1,
            };
            p.put_item(&item).map_err(st)?;
            return Ok(out);
        }
        EventKind::ItemEdited {
            name,
            sku,
            barcode,
            reorder_point,
        } => {
            let mut item = need_item(p, ev.item_id)?;
            if full {
                check_item_unique(p, ev.item_id, name, barcode.as_deref())?;
            }
            out.conflict = version_conflict(ev, item.version);
            item.name = name.clone();
            item.sku = sku.clone();
            item.barcode = barcode.clone();
            item.reorder_point = *reorder_point;
            item.version += 1;
            p.put_item(&item).map_err(st)?;
            return Ok(out);
        }
        EventKind::TrackingSwitched { to } => {
            let mut item = need_item(p, ev.item_id)?;
            if item.tracking == *to {
                return Err(DomainError::NoChange(format!("tracked by {}", to.as_str())).into());
            }
            out.conflict = version_conflict(ev, item.version);
            match to {
                Tracking::Units => {
                    let count = item.counts.total();
                    if count > MAX_SEEDED_UNITS {
                        return Err(DomainError::TooManyUnits {
                            item: item.name,
                            count,
                        }
                        .into());
                    }
                    // Seed one unit per counted piece, in status order, with ids derived
                    // from the event id so every replica creates the very same units.
                    let mut n = 0usize;
                    for status in Status::COUNTED {
                        for _ in 0..item.counts.get(status) {
                            n += 1;
                            let unit = Unit {
                                id: seeded_unit_id(ev.id, n),
                                item_id: item.id,
                                name: unit_name(&item.name, n),
                                asset_tag: None,
                                status,
                                location: None,
                                holder: None,
                                due: None,
                                fields: BTreeMap::new(),
                                active: true,
                                version: 1,
                                last_station: Some(ev.station_id),
                            };
                            p.put_unit(&unit).map_err(st)?;
                            out.units.push(unit.id);
                        }
                    }
                    item.counts = Totals::default();
                }
                Tracking::Count => {
                    let mut totals = Totals::default();
                    for mut unit in p.units_of_item(item.id).map_err(st)? {
                        if unit.counts() {
                            totals.add(unit.status, 1);
                        }
                        unit.active = false;
                        unit.version += 1;
                        unit.last_station = Some(ev.station_id);
                        p.put_unit(&unit).map_err(st)?;
                        out.units.push(unit.id);
                    }
                    item.counts = totals;
                }
            }
            item.tracking = *to;
            item.version += 1;
            p.put_item(&item).map_err(st)?;
            return Ok(out);
        }
        EventKind::QuantityAdjusted { status, delta, .. } => {
            let mut item = need_count_item(p, ev.item_id)?;
            take(&item, *status, -*delta)?;
            item.counts.add(*status, *delta);
            item.version += 1;
            p.put_item(&item).map_err(st)?;
            return Ok(out);
        }
        EventKind::QuantityMoved { from, to, qty } => {
            let mut item = need_count_item(p, ev.item_id)?;
            if from == to {
                return Err(DomainError::NoChange(from.to_string()).into());
            }
            take(&item, *from, *qty)?;
            item.counts.add(*from, -*qty);
            item.counts.add(*to, *qty);
            item.version += 1;
            p.put_item(&item).map_err(st)?;
            return Ok(out);
        }
        EventKind::UnitCreated {
            name,
            asset_tag,
            status,
            location,
            fields,
        } => {
            let item = need_item(p, ev.item_id)?;
            if item.tracking != Tracking::Units {
                return Err(DomainError::NotUnitTracked { item: item.name }.into());
            }
            let unit_id = ev.unit_id.unwrap_or_else(|| seeded_unit_id(ev.id, 0));
            if p.unit(unit_id).map_err(st)?.is_some() {
                return Err(DomainError::UnitExists(unit_id).into());
            }
            check_unit_name_free(p, &item, unit_id, name)?;
            if full {
                if let Some(t) = asset_tag {
                    check_tag_free(p, unit_id, t)?;
                }
            }
            let unit = Unit {
                id: unit_id,
                item_id: item.id,
                name: name.clone(),
                asset_tag: asset_tag.clone(),
                status: *status,
                location: location.clone(),
                holder: None,
                due: None,
                fields: fields.clone(),
                active: true,
                version: 1,
                last_station: Some(ev.station_id),
            };
            p.put_unit(&unit).map_err(st)?;
            out.units.push(unit.id);
            return Ok(out);
        }
        _ => {}
    }

    // Everything else acts on one existing, active unit.
    let unit_id = ev.unit_id.ok_or(DomainError::UnknownUnit(Uuid::nil()))?;
    let mut unit = p
        .unit(unit_id)
        .map_err(st)?
        .ok_or(DomainError::UnknownUnit(unit_id))?;
    if unit.item_id != ev.item_id {
        return Err(DomainError::UnknownUnit(unit_id).into());
    }
    if !unit.active {
        return Err(DomainError::Folded(unit.name).into());
    }
    let retired = unit.status == Status::Retired;
    match &ev.kind {
        EventKind::UnitRenamed { name } => {
            if *name == unit.name {
                return Err(DomainError::NoChange(format!("named {name:?}")).into());
            }
            let item = need_item(p, unit.item_id)?;
            check_unit_name_free(p, &item, unit.id, name)?;
            unit.name = name.clone();
        }
        EventKind::UnitTagged { tag } => {
            if let Some(t) = tag {
                if full {
                    check_tag_free(p, unit.id, t)?;
                }
            }
            if *tag == unit.asset_tag {
                return Err(DomainError::NoChange("tagged so".into()).into());
            }
            unit.asset_tag = tag.clone();
        }
        EventKind::StatusChanged { to } => {
            if retired {
                return Err(DomainError::Retired(unit.name).into());
            }
            if unit.status == Status::CheckedOut {
                let holder = unit.holder.unwrap_or_else(|| "someone".into());
                return Err(DomainError::CheckedOut(unit.name, holder).into());
            }
            if unit.status == *to {
                return Err(DomainError::NoChange(to.label().to_lowercase()).into());
            }
            unit.status = *to;
        }
        EventKind::CheckedOut { holder, due } => {
            if unit.status == Status::CheckedOut {
                let h = unit.holder.unwrap_or_else(|| "someone".into());
                return Err(DomainError::CheckedOut(unit.name, h).into());
            }
            if unit.status != Status::InStock {
                return Err(DomainError::InvalidTransition {
                    from: unit.status,
                    to: Status::CheckedOut,
                }
                .into());
            }
            unit.status = Status::CheckedOut;
            unit.holder = Some(holder.clone());
            unit.due = due.clone();
        }
        EventKind::CheckedIn { location } => {
            if unit.status != Status::CheckedOut {
                return Err(DomainError::InvalidTransition {
                    from: unit.status,
                    to: Status::InStock,
                }
                .into());
            }
            unit.status = Status::InStock;
            unit.holder = None;
            unit.due = None;
            if location.is_some() {
                unit.location = location.clone();
            }
        }
        EventKind::UnitRetired { .. } => {
            if retired {
                return Err(DomainError::NoChange("retired".into()).into());
            }
            unit.status = Status::Retired;
            unit.holder = None;
            unit.due = None;
        }
        EventKind::FieldSet { key, value } => match value {
            Some(v) => {
                if unit.fields.get(key) == Some(v) {
                    return Err(DomainError::NoChange(format!("{key} = {v:?}")).into());
                }
                unit.fields.insert(key.clone(), v.clone());
            }
            None => {
                if unit.fields.remove(key).is_none() {
                    return Err(DomainError::NoChange(format!("without {key}")).into());
                }
            }
        },
        EventKind::LocationMoved { location } => {
            if retired {
                return Err(DomainError::Retired(unit.name).into());
            }
            if *location == unit.location {
                return Err(DomainError::NoChange("there".into()).into());
            }
            unit.location = location.clone();
        }
        _ => unreachable!("item-level events returned above"),
    }
    out.conflict = version_conflict(ev, unit.version);
    unit.version += 1;
    unit.last_station = Some(ev.station_id);
    p.put_unit(&unit).map_err(st)?;
    out.units.push(unit.id);
    Ok(out)
}

/// The id of the `n`th unit an event creates without naming an id itself.
pub fn seeded_unit_id(event_id: Uuid, n: usize) -> UnitId {
    Uuid::new_v5(&event_id, format!("unit-{n}").as_bytes())
}

fn version_conflict(ev: &Event, current: i64) -> Option<String> {
    match ev.base_version {
        Some(base) if base != current => Some(format!(
            "made on version {base}, applied on version {current}: changed elsewhere in between"
        )),
        _ => None,
    }
}

fn need_item<P: Projection>(p: &mut P, id: ItemId) -> Result<Item, ApplyError<P::Error>> {
    p.item(id)
        .map_err(ApplyError::Store)?
        .ok_or_else(|| DomainError::UnknownItem(id).into())
}

fn need_count_item<P: Projection>(p: &mut P, id: ItemId) -> Result<Item, ApplyError<P::Error>> {
    let item = need_item(p, id)?;
    if item.tracking == Tracking::Units {
        return Err(DomainError::DerivedTotals { item: item.name }.into());
    }
    Ok(item)
}

fn take(item: &Item, status: Status, want: i64) -> Result<(), DomainError> {
    let have = item.counts.get(status);
    if want > 0 && have < want {
        return Err(DomainError::NegativeCount {
            item: item.name.clone(),
            status,
            have,
            want,
        });
    }
    Ok(())
}

fn check_item_fields(
    name: &str,
    sku: &Option<String>,
    barcode: &Option<String>,
    reorder_point: Option<i64>,
) -> Result<(), DomainError> {
    check_text("item name", name)?;
    if let Some(s) = sku {
        check_tag("SKU", s)?;
    }
    if let Some(b) = barcode {
        check_tag("barcode", b)?;
    }
    if let Some(r) = reorder_point {
        if !(0..=MAX_QUANTITY).contains(&r) {
            return Err(DomainError::BadQuantity(r));
        }
    }
    Ok(())
}

fn check_item_unique<P: Projection>(
    p: &mut P,
    id: ItemId,
    name: &str,
    barcode: Option<&str>,
) -> Result<(), ApplyError<P::Error>> {
    if let Some(other) = p.item_by_name(name).map_err(ApplyError::Store)? {
        if other.id != id {
            return Err(DomainError::DuplicateItemName(name.into()).into());
        }
    }
    if let Some(b) = barcode {
        if let Some(other) = p.item_by_barcode(b).map_err(ApplyError::Store)? {
            if other.id != id {
                return Err(DomainError::DuplicateTag {
                    tag: b.into(),
                    owner: format!("item {:?}", other.name),
                }
                .into());
            }
        }
        if let Some(u) = p.unit_by_tag(b).map_err(ApplyError::Store)? {
            return Err(DomainError::DuplicateTag {
                tag: b.into(),
                owner: format!("unit {:?}", u.name),
            }
            .into());
        }
    }
    Ok(())
}

fn check_tag_free<P: Projection>(
    p: &mut P,
    unit: UnitId,
    tag: &str,
) -> Result<(), ApplyError<P::Error>> {
    if let Some(other) = p.unit_by_tag(tag).map_err(ApplyError::Store)? {
        if other.id != unit {
            return Err(DomainError::DuplicateTag {
                tag: tag.into(),
                owner: format!("unit {:?}", other.name),
            }
            .into());
        }
    }
    if let Some(item) = p.item_by_barcode(tag).map_err(ApplyError::Store)? {
        return Err(DomainError::DuplicateTag {
            tag: tag.into(),
            owner: format!("item {:?}", item.name),
        }
        .into());
    }
    Ok(())
}

fn check_unit_name_free<P: Projection>(
    p: &mut P,
    item: &Item,
    unit: UnitId,
    name: &str,
) -> Result<(), ApplyError<P::Error>> {
    let taken = p
        .unit_named(item.id, name)
        .map_err(ApplyError::Store)?
        .is_some_and(|u| u.id != unit);
    if taken {
        return Err(DomainError::DuplicateUnitName {
            item: item.name.clone(),
            name: name.into(),
        }
        .into());
    }
    Ok(())
}

/// The version a new event is based on: the unit's for unit events, the item's for
/// item events, none for creations.
pub fn base_version<P: Projection>(
    p: &mut P,
    kind: &EventKind,
    item: ItemId,
    unit: Option<UnitId>,
) -> Result<Option<i64>, P::Error> {
    if kind.is_unit_event() {
        return Ok(match unit {
            Some(u) => p.unit(u)?.map(|u| u.version),
            None => None,
        });
    }
    Ok(match kind {
        EventKind::ItemCreated { .. } | EventKind::UnitCreated { .. } => None,
        _ => p.item(item)?.map(|i| i.version),
    })
}

/// Totals of an item: stored counts for a count item, derived from units otherwise.
pub fn totals<P: Projection>(p: &mut P, item: &Item) -> Result<Totals, P::Error> {
    match item.tracking {
        Tracking::Count => Ok(item.counts.clone()),
        Tracking::Units => {
            let mut t = Totals::default();
            for u in p.units_of_item(item.id)? {
                if u.counts() {
                    t.add(u.status, 1);
                }
            }
            Ok(t)
        }
    }
}

/// The projection held in memory: the reference the SQL stores are tested against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemProjection {
    pub items: BTreeMap<ItemId, Item>,
    pub units: BTreeMap<UnitId, Unit>,
}

impl Projection for MemProjection {
    type Error = std::convert::Infallible;
    fn item(&mut self, id: ItemId) -> Result<Option<Item>, Self::Error> {
        Ok(self.items.get(&id).cloned())
    }
    fn item_by_name(&mut self, name: &str) -> Result<Option<Item>, Self::Error> {
        Ok(self.items.values().find(|i| i.name == name).cloned())
    }
    fn item_by_barcode(&mut self, barcode: &str) -> Result<Option<Item>, Self::Error> {
        Ok(self
            .items
            .values()
            .find(|i| i.barcode.as_deref() == Some(barcode))
            .cloned())
    }
    fn put_item(&mut self, item: &Item) -> Result<(), Self::Error> {
        self.items.insert(item.id, item.clone());
        Ok(())
    }
    fn unit(&mut self, id: UnitId) -> Result<Option<Unit>, Self::Error> {
        Ok(self.units.get(&id).cloned())
    }
    fn unit_by_tag(&mut self, tag: &str) -> Result<Option<Unit>, Self::Error> {
        Ok(self
            .units
            .values()
            .find(|u| u.active && u.asset_tag.as_deref() == Some(tag))
            .cloned())
    }
    fn units_of_item(&mut self, item: ItemId) -> Result<Vec<Unit>, Self::Error> {
        Ok(self
            .units
            .values()
            .filter(|u| u.active && u.item_id == item)
            .cloned()
            .collect())
    }
    fn unit_named(&mut self, item: ItemId, name: &str) -> Result<Option<Unit>, Self::Error> {
        Ok(self
            .units
            .values()
            .find(|u| u.active && u.item_id == item && u.name == name)
            .cloned())
    }
    fn put_unit(&mut self, unit: &Unit) -> Result<(), Self::Error> {
        self.units.insert(unit.id, unit.clone());
        Ok(())
    }
}

impl MemProjection {
    /// Replay a log in order, skipping refused events as the hub does.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut p = MemProjection::default();
        for ev in events {
            let _ = apply(&mut p, ev, Mode::Full);
        }
        p
    }

    /// Totals of every item, by item id.
    pub fn all_totals(&mut self) -> HashMap<ItemId, Totals> {
        let items: Vec<Item> = self.items.values().cloned().collect();
        items
            .into_iter()
            .map(|i| {
                let t = match totals(self, &i) {
                    Ok(t) => t,
                    Err(never) => match never {},
                };
                (i.id, t)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: i64, item: ItemId, unit: Option<UnitId>, kind: EventKind) -> Event {
        Event {
            id: Uuid::now_v7(),
            station_id: Uuid::nil(),
            station_seq: seq,
            actor: "test".into(),
            wall_time_ms: 0,
            clock_synced: true,
            item_id: item,
            unit_id: unit,
            base_version: None,
            scan: None,
            kind,
        }
    }

    fn drill(p: &mut MemProjection, counts: i64) -> ItemId {
        let item = Uuid::now_v7();
        let create = EventKind::ItemCreated {
            name: "Drill".into(),
            sku: None,
            barcode: None,
            tracking: Tracking::Count,
            reorder_point: Some(2),
        };
        apply(p, &ev(1, item, None, create), Mode::Full).unwrap();
        let adj = EventKind::QuantityAdjusted {
            status: Status::InStock,
            delta: counts,
            reason: None,
        };
        apply(p, &ev(2, item, None, adj), Mode::Full).unwrap();
        item
    }

    #[test]
    fn switch_seeds_and_folds_keeping_totals() {
        let mut p = MemProjection::default();
        let item = drill(&mut p, 4);
        let mv = EventKind::QuantityMoved {
            from: Status::InStock,
            to: Status::Damaged,
            qty: 1,
        };
        apply(&mut p, &ev(3, item, None, mv), Mode::Full).unwrap();
        let on = ev(
            4,
            item,
            None,
            EventKind::TrackingSwitched {
                to: Tracking::Units,
            },
        );
        let out = apply(&mut p, &on, Mode::Full).unwrap();
        assert_eq!(out.units.len(), 4);
        let names: Vec<_> = p.units.values().map(|u| u.name.clone()).collect();
        assert!(names.contains(&"Drill 01".to_string()) && names.contains(&"Drill 04".into()));
        let t = p.all_totals()[&item].clone();
        assert_eq!((t.get(Status::InStock), t.get(Status::Damaged)), (3, 1));

        let err = apply(
            &mut p,
            &ev(
                5,
                item,
                None,
                EventKind::QuantityAdjusted {
                    status: Status::InStock,
                    delta: 1,
                    reason: None,
                },
            ),
            Mode::Full,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            ApplyError::Domain(DomainError::DerivedTotals { .. })
        ));

        let off = ev(
            6,
            item,
            None,
            EventKind::TrackingSwitched {
                to: Tracking::Count,
            },
        );
        apply(&mut p, &off, Mode::Full).unwrap();
        let t = p.all_totals()[&item].clone();
        assert_eq!((t.get(Status::InStock), t.get(Status::Damaged)), (3, 1));
        assert!(p.units.values().all(|u| !u.active));
    }

    #[test]
    fn quantities_out_of_range_are_refused() {
        let mut p = MemProjection::default();
        let item = drill(&mut p, 4);
        let before = p.clone();
        for delta in [
            i64::MIN,
            i64::MIN + 1,
            -MAX_QUANTITY - 1,
            MAX_QUANTITY + 1,
            i64::MAX,
        ] {
            let adj = EventKind::QuantityAdjusted {
                status: Status::InStock,
                delta,
                reason: None,
            };
            let err = apply(&mut p, &ev(3, item, None, adj), Mode::Full).unwrap_err();
            assert!(
                matches!(err, ApplyError::Domain(DomainError::BadQuantity(d)) if d == delta),
                "{delta}: {err}"
            );
        }
        for qty in [i64::MIN, -1, 0, MAX_QUANTITY + 1, i64::MAX] {
            let mv = EventKind::QuantityMoved {
                from: Status::InStock,
                to: Status::Damaged,
                qty,
            };
            assert!(apply(&mut p, &ev(3, item, None, mv), Mode::Full).is_err());
        }
        assert_eq!(p, before);
    }

    #[test]
    fn switch_refuses_too_many_pieces() {
        let mut p = MemProjection::default();
        let item = drill(&mut p, MAX_SEEDED_UNITS + 1);
        let before = p.clone();
        let on = EventKind::TrackingSwitched {
            to: Tracking::Units,
        };
        let err = apply(&mut p, &ev(3, item, None, on.clone()), Mode::Full).unwrap_err();
        assert!(
            matches!(err, ApplyError::Domain(DomainError::TooManyUnits { count, .. }) if count == MAX_SEEDED_UNITS + 1),
            "{err}"
        );
        assert_eq!(p, before);
        // at the limit it seeds
        let mut p = MemProjection::default();
        let item = drill(&mut p, MAX_SEEDED_UNITS);
        let out = apply(&mut p, &ev(3, item, None, on), Mode::Full).unwrap();
        assert_eq!(out.units.len() as i64, MAX_SEEDED_UNITS);
    }

    #[test]
    fn unit_rules_and_conflicts() {
        let mut p = MemProjection::default();
        let item = drill(&mut p, 1);
        let on = ev(
            3,
            item,
            None,
            EventKind::TrackingSwitched {
                to: Tracking::Units,
            },
        );
        let unit = apply(&mut p, &on, Mode::Full).unwrap().units[0];
        let out = |p: &mut MemProjection, kind, base| {
            let mut e = ev(9, item, Some(unit), kind);
            e.base_version = base;
            apply(p, &e, Mode::Full)
        };
        out(
            &mut p,
            EventKind::CheckedOut {
                holder: "Ana".into(),
                due: Some("2026-12-01".into()),
            },
            Some(1),
        )
        .unwrap();
        // Someone else set damaged on the old version: refused (checked out) ...
        let e = out(
            &mut p,
            EventKind::StatusChanged {
                to: Status::Damaged,
            },
            Some(1),
        )
        .unwrap_err();
        assert!(matches!(e, ApplyError::Domain(DomainError::CheckedOut(..))));
        // ... while a check-in on the old version applies, flagged as a conflict.
        let a = out(&mut p, EventKind::CheckedIn { location: None }, Some(1)).unwrap();
        assert!(a.conflict.is_some());
        assert_eq!(p.units[&unit].status, Status::InStock);
        assert_eq!(p.units[&unit].holder, None);
    }
}

/// A change someone asks for; the store fills in identity, sequence, time and version.
#[derive(Debug, Clone)]
pub struct Command {
    pub item_id: ItemId,
    pub unit_id: Option<UnitId>,
    pub kind: EventKind,
    pub actor: String,
    pub scan: Option<String>,
}
