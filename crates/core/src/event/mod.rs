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

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{
    check_date, check_scan, check_tag, check_text, ItemId, Status, Tracking, UnitId, DATE_FIELDS,
    MAX_QUANTITY,
};
use crate::kits::KitFields;
use crate::locations::{LocationFields, LocationId};
use crate::people::{PersonFields, PersonId};
use crate::reservations::ReservationFields;

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
    /// The subject: the item the event is about, or, for the events of a person or a
    /// location, that person's or location's id (the wire name stays `item_id`). Each
    /// subject's events replay on their own, in the hub's order.
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
///
/// A kind this version does not know (made by a newer station or hub) is read as
/// [`EventKind::Unknown`] and written back exactly as it came (see `wire.rs`), so a
/// mixed fleet never loses a change and never stops syncing over one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", tag = "type", rename_all = "snake_case")]
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
    /// The item is no longer stocked: hidden from lists, its stock and units take no
    /// more changes until it is unarchived. Its history stays.
    ItemArchived,
    /// An archived item back in use.
    ItemUnarchived,
    /// "Track units individually" turned on (seeds units from the counts) or off
    /// (folds the units back into counts).
    TrackingSwitched {
        to: Tracking,
        /// Folding only: what the folded units carried (tags, fields, locations) and
        /// the fold discarded, because it was forced. Written into history so nothing
        /// is ever discarded silently; empty for a fold that discarded nothing.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        discarded: Vec<FoldedUnit>,
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
        /// The location entity `location` names, when it is one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location_id: Option<LocationId>,
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
        /// Why, in the lifecycle's words: "received" (receiving → in stock), "repair"
        /// (sending or damaged for a repair), or any short text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    CheckedOut {
        /// The holder's name as it was at the check-out (their current name is the
        /// person's, through `holder_id`).
        holder: String,
        due: Option<String>,
        /// The person who has it. Absent in changes from before people were entities:
        /// then the holder is matched to a person by name when it is applied.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        holder_id: Option<PersonId>,
    },
    /// The borrower signed for the unit: recorded in the same write as its check-out,
    /// right after it. A version that does not know this kind keeps it raw and still
    /// applies the check-out.
    Signed(crate::signature::Signature),
    CheckedIn {
        location: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location_id: Option<LocationId>,
    },
    /// Sold (reason "sold", with the customer) or written off: it leaves the totals.
    UnitRetired {
        reason: Option<String>,
        /// Who bought it, when sold.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer: Option<String>,
    },
    /// A sold or retired unit back in stock (the customer brought it back), with its
    /// history intact.
    UnitReturned {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location_id: Option<LocationId>,
    },
    /// Set (`Some`) or clear (`None`) a custom field such as `serial` or `last_service`.
    FieldSet {
        key: String,
        value: Option<String>,
    },
    LocationMoved {
        location: Option<String>,
        /// Why: "transfer" (between sites), or any short text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The location entity `location` names (absent for free text from before
        /// locations were entities: then it is matched by name when applied).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location_id: Option<LocationId>,
    },
    /// A person enters the catalog (the event's subject is the person's id). Only the
    /// hub makes people events.
    PersonCreated(PersonFields),
    /// A person's fields changed: the event carries all of them.
    PersonEdited(PersonFields),
    /// The person left and asked to be forgotten: their name becomes `pseudonym` and
    /// every replica rewrites its stored history so no name, badge or email of theirs
    /// is left; the units' history stays whole.
    PersonErased {
        pseudonym: String,
    },
    /// A location enters the catalog (the event's subject is the location's id).
    LocationCreated(LocationFields),
    /// A location's fields changed (renamed, moved under another, its code, retired):
    /// the event carries all of them.
    LocationEdited(LocationFields),
    /// A kit is made (the event's subject is the kit's id).
    KitCreated(KitFields),
    /// A kit's fields changed (renamed, retagged, units added or taken out, retired):
    /// the event carries all of them.
    KitEdited(KitFields),
    /// A kit came back: its units were checked in with this event, in one write, but
    /// for `missing`, which did not come back with it (empty: complete).
    KitReturned {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        missing: Vec<UnitId>,
    },
    /// A reservation is made (the event's subject is the reservation's id).
    ReservationMade(ReservationFields),
    /// A reservation called off: it holds nothing any more.
    ReservationCancelled {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A reservation picked up: `unit_id` was checked out to its person, in the same
    /// write as this event.
    ReservationFulfilled {
        unit_id: UnitId,
    },
    /// A unit the reservation holds was checked out to someone else anyway: an
    /// operator's decision, recorded with the check-out. The reservation stays open.
    ReservationOverridden {
        unit_id: UnitId,
        holder_id: PersonId,
    },
    /// An admin on the hub marked the conflict `event` reviewed. Changes no state;
    /// every station stops counting that conflict once it pulls this. Only the hub
    /// makes it.
    ConflictReviewed {
        event: Uuid,
    },
    /// A kind this version does not know, kept raw: `kind` is its `type` tag, `raw`
    /// the whole object as received. It changes nothing here; it is stored, shown as
    /// "this station needs an update to show this change", and applied by a version
    /// that knows it. No station or hub makes one itself.
    #[serde(skip)]
    Unknown {
        kind: String,
        raw: serde_json::Value,
    },
}

/// What one unit carried when a forced fold discarded it: kept in the fold's event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldedUnit {
    pub unit_id: UnitId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

impl FoldedUnit {
    /// "Laptop 01 (tag TS-1, at Shelf A, serial=\"X1\")".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.asset_tag {
            parts.push(format!("tag {t}"));
        }
        if let Some(l) = &self.location {
            parts.push(format!("at {l}"));
        }
        for (k, v) in &self.fields {
            parts.push(format!("{k}={v:?}"));
        }
        format!("{} ({})", self.name, parts.join(", "))
    }
}

impl EventKind {
    /// The `type` tag, as stored in the `kind` column.
    pub fn name(&self) -> &str {
        match self {
            EventKind::ItemCreated { .. } => "item_created",
            EventKind::ItemEdited { .. } => "item_edited",
            EventKind::ItemArchived => "item_archived",
            EventKind::ItemUnarchived => "item_unarchived",
            EventKind::TrackingSwitched { .. } => "tracking_switched",
            EventKind::QuantityAdjusted { .. } => "quantity_adjusted",
            EventKind::QuantityMoved { .. } => "quantity_moved",
            EventKind::UnitCreated { .. } => "unit_created",
            EventKind::UnitRenamed { .. } => "unit_renamed",
            EventKind::UnitTagged { .. } => "unit_tagged",
            EventKind::StatusChanged { .. } => "status_changed",
            EventKind::CheckedOut { .. } => "checked_out",
            EventKind::CheckedIn { .. } => "checked_in",
            EventKind::Signed(_) => "signed",
            EventKind::UnitRetired { .. } => "unit_retired",
            EventKind::FieldSet { .. } => "field_set",
            EventKind::LocationMoved { .. } => "location_moved",
            EventKind::UnitReturned { .. } => "unit_returned",
            EventKind::ConflictReviewed { .. } => "conflict_reviewed",
            EventKind::PersonCreated(_) => "person_created",
            EventKind::PersonEdited(_) => "person_edited",
            EventKind::PersonErased { .. } => "person_erased",
            EventKind::LocationCreated(_) => "location_created",
            EventKind::LocationEdited(_) => "location_edited",
            EventKind::KitCreated(_) => "kit_created",
            EventKind::KitEdited(_) => "kit_edited",
            EventKind::KitReturned { .. } => "kit_returned",
            EventKind::ReservationMade(_) => "reservation_made",
            EventKind::ReservationCancelled { .. } => "reservation_cancelled",
            EventKind::ReservationFulfilled { .. } => "reservation_fulfilled",
            EventKind::ReservationOverridden { .. } => "reservation_overridden",
            EventKind::Unknown { kind, .. } => kind,
        }
    }

    /// Does this event act on one existing unit (and so carry the unit's version)?
    pub fn is_unit_event(&self) -> bool {
        !matches!(
            self,
            EventKind::ItemCreated { .. }
                | EventKind::ItemEdited { .. }
                | EventKind::ItemArchived
                | EventKind::ItemUnarchived
                | EventKind::TrackingSwitched { .. }
                | EventKind::QuantityAdjusted { .. }
                | EventKind::QuantityMoved { .. }
                | EventKind::UnitCreated { .. }
                | EventKind::ConflictReviewed { .. }
                | EventKind::Unknown { .. }
        ) && !self.is_directory()
    }

    /// Is this an event of a person, a location or a reservation (its subject is not
    /// an item)?
    pub fn is_directory(&self) -> bool {
        self.is_person() || self.is_location() || self.is_reservation() || self.is_kit()
    }

    /// Is this a kit's event?
    pub fn is_kit(&self) -> bool {
        matches!(
            self,
            EventKind::KitCreated(_) | EventKind::KitEdited(_) | EventKind::KitReturned { .. }
        )
    }

    /// Is this a reservation's event?
    pub fn is_reservation(&self) -> bool {
        matches!(
            self,
            EventKind::ReservationMade(_)
                | EventKind::ReservationCancelled { .. }
                | EventKind::ReservationFulfilled { .. }
                | EventKind::ReservationOverridden { .. }
        )
    }

    /// Is this a person's event?
    pub fn is_person(&self) -> bool {
        matches!(
            self,
            EventKind::PersonCreated(_)
                | EventKind::PersonEdited(_)
                | EventKind::PersonErased { .. }
        )
    }

    /// Is this a location's event?
    pub fn is_location(&self) -> bool {
        matches!(
            self,
            EventKind::LocationCreated(_) | EventKind::LocationEdited(_)
        )
    }

    /// Only the hub makes this kind (a station's push of one is refused): reviews of
    /// conflicts, and people, whose roles a station may never grant.
    pub fn hub_only(&self) -> bool {
        matches!(self, EventKind::ConflictReviewed { .. }) || self.is_person()
    }

    /// Is this a kind this version does not know (kept raw, not applied)?
    pub fn is_unknown(&self) -> bool {
        matches!(self, EventKind::Unknown { .. })
    }

    /// A short sentence for history views: "status → damaged", "checked out to Ana".
    pub fn describe(&self) -> String {
        match self {
            EventKind::ItemCreated { name, tracking, .. } => {
                format!("item {name:?} created ({})", tracking.as_str())
            }
            EventKind::ItemEdited { name, .. } => format!("item edited ({name:?})"),
            EventKind::ItemArchived => "item archived".into(),
            EventKind::ItemUnarchived => "item unarchived".into(),
            EventKind::TrackingSwitched { to, discarded } => match to {
                Tracking::Units => "tracking switched to units".into(),
                Tracking::Count if discarded.is_empty() => "tracking switched to count".into(),
                Tracking::Count => format!(
                    "tracking switched to count, forced; discarded: {}",
                    discarded
                        .iter()
                        .map(FoldedUnit::describe)
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            },
            EventKind::QuantityAdjusted { status, delta, .. } => format!("{status} {delta:+}"),
            EventKind::QuantityMoved { from, to, qty } => format!("{qty} moved {from} → {to}"),
            EventKind::UnitCreated { name, .. } => format!("unit {name:?} created"),
            EventKind::UnitRenamed { name } => format!("renamed to {name:?}"),
            EventKind::UnitTagged { tag: Some(t) } => format!("tagged {t:?}"),
            EventKind::UnitTagged { tag: None } => "tag removed".into(),
            EventKind::StatusChanged { to, reason } => {
                format!("status → {to}{}", because(reason))
            }
            EventKind::CheckedOut { holder, due, .. } => match due {
                Some(d) => format!("checked out to {holder} (due {d})"),
                None => format!("checked out to {holder}"),
            },
            EventKind::Signed(_) => "signed for at check-out".into(),
            EventKind::CheckedIn {
                location: Some(l), ..
            } => format!("checked in at {l}"),
            EventKind::CheckedIn { location: None, .. } => "checked in".into(),
            EventKind::UnitRetired { reason, customer } => match (reason, customer) {
                (Some(r), Some(c)) => format!("retired ({r}) to {c}"),
                (Some(r), None) => format!("retired ({r})"),
                (None, Some(c)) => format!("retired to {c}"),
                (None, None) => "retired".into(),
            },
            EventKind::UnitReturned {
                location, reason, ..
            } => format!(
                "returned to stock{}{}",
                location
                    .as_deref()
                    .map(|l| format!(" at {l}"))
                    .unwrap_or_default(),
                because(reason)
            ),
            EventKind::FieldSet {
                key,
                value: Some(v),
            } => format!("{key} = {v:?}"),
            EventKind::FieldSet { key, value: None } => format!("{key} cleared"),
            EventKind::LocationMoved {
                location: Some(l),
                reason,
                ..
            } => format!("moved to {l}{}", because(reason)),
            EventKind::LocationMoved {
                location: None,
                reason,
                ..
            } => format!("location cleared{}", because(reason)),
            EventKind::ConflictReviewed { event } => format!("conflict {event} reviewed"),
            EventKind::PersonCreated(f) => format!("person {:?} added ({})", f.name, f.role),
            EventKind::PersonEdited(f) => format!(
                "person {:?} changed ({}{})",
                f.name,
                f.role,
                if f.active { "" } else { ", inactive" }
            ),
            EventKind::PersonErased { pseudonym } => format!("person erased: now {pseudonym:?}"),
            EventKind::LocationCreated(f) => format!("location {:?} added ({})", f.name, f.kind),
            EventKind::LocationEdited(f) => format!(
                "location {:?} changed{}",
                f.name,
                if f.active { "" } else { " (inactive)" }
            ),
            EventKind::KitCreated(f) => format!(
                "kit {:?} made of {} unit{}",
                f.name,
                f.units.len(),
                if f.units.len() == 1 { "" } else { "s" }
            ),
            EventKind::KitEdited(f) => format!(
                "kit {:?} changed ({} unit{}{})",
                f.name,
                f.units.len(),
                if f.units.len() == 1 { "" } else { "s" },
                if f.active { "" } else { ", retired" }
            ),
            EventKind::KitReturned { missing } if missing.is_empty() => {
                "kit returned complete".into()
            }
            EventKind::KitReturned { missing } => {
                format!("kit returned incomplete: {} missing", missing.len())
            }
            EventKind::ReservationMade(f) => format!(
                "reserved {} unit{} from {} to {}",
                f.count,
                if f.count == 1 { "" } else { "s" },
                f.starts,
                f.ends
            ),
            EventKind::ReservationCancelled { reason } => {
                format!("reservation cancelled{}", because(reason))
            }
            EventKind::ReservationFulfilled { .. } => "reservation picked up".into(),
            EventKind::ReservationOverridden { .. } => {
                "a reserved unit was checked out to someone else (override)".into()
            }
            EventKind::Unknown { kind, .. } => {
                format!("this station needs an update to show this change ({kind})")
            }
        }
    }

    /// The unit's lifecycle in the words users of serial tracking expect, when this
    /// event is one of its steps: "received", "in stock", "sold", "returned",
    /// "transferred", "repair". The lifecycle adds no status: received, transferred
    /// and repair are reasons on status changes and moves, sold is a retirement with
    /// reason "sold", returned is [`EventKind::UnitReturned`].
    pub fn lifecycle(&self) -> Option<&'static str> {
        let said = |r: &Option<String>, word: &str| {
            r.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(word))
        };
        match self {
            // Entering the system in stock is its receipt; a unit created as
            // receiving is received when it is set in stock (reason "received").
            EventKind::UnitCreated {
                status: Status::InStock,
                ..
            } => Some("received"),
            EventKind::StatusChanged { reason, .. } if said(reason, REASON_RECEIVED) => {
                Some("received")
            }
            EventKind::StatusChanged { to, reason }
                if said(reason, REASON_REPAIR)
                    && matches!(to, Status::Sending | Status::Damaged) =>
            {
                Some("repair")
            }
            EventKind::StatusChanged {
                to: Status::InStock,
                ..
            } => Some("in stock"),
            EventKind::LocationMoved { reason, .. } if said(reason, REASON_TRANSFER) => {
                Some("transferred")
            }
            EventKind::UnitRetired { reason, .. } if said(reason, REASON_SOLD) => Some("sold"),
            EventKind::UnitReturned { .. } => Some("returned"),
            _ => None,
        }
    }
}

/// The reason a status change from receiving to in stock carries: "received".
pub const REASON_RECEIVED: &str = "received";
/// The reason on a location move between sites: "transfer".
pub const REASON_TRANSFER: &str = "transfer";
/// The reason on sending or damaged when the unit goes for repair: "repair".
pub const REASON_REPAIR: &str = "repair";
/// The reason of a retirement that is a sale: "sold".
pub const REASON_SOLD: &str = "sold";

/// " (why)" for a description, or nothing.
fn because(reason: &Option<String>) -> String {
    reason
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default()
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
            EventKind::TrackingSwitched { to, discarded } => {
                if *to == Tracking::Units && !discarded.is_empty() {
                    return Err(DomainError::BadDiscard);
                }
                for d in discarded {
                    check_text("unit name", &d.name)?;
                    if let Some(t) = &d.asset_tag {
                        check_tag("asset tag", t)?;
                    }
                    if let Some(l) = &d.location {
                        check_text("location", l)?;
                    }
                    for (k, v) in &d.fields {
                        check_text("field name", k)?;
                        check_text("field value", v)?;
                    }
                }
            }
            EventKind::ItemArchived | EventKind::ItemUnarchived => {}
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
                ..
            } => {
                check_text("unit name", name)?;
                if let Some(t) = asset_tag {
                    check_tag("asset tag", t)?;
                }
                if let Some(l) = location {
                    check_text("location", l)?;
                }
                for (k, v) in fields {
                    check_field(k, Some(v))?;
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
            EventKind::StatusChanged { to, reason } => {
                if !Status::SETTABLE.contains(to) {
                    return Err(DomainError::BadStatus(*to));
                }
                if let Some(r) = reason {
                    check_text("reason", r)?;
                }
            }
            EventKind::CheckedOut { holder, due, .. } => {
                check_text("holder", holder)?;
                if let Some(d) = due {
                    check_date(d).map_err(DomainError::BadDate)?;
                }
            }
            EventKind::CheckedIn { location, .. } => {
                if let Some(l) = location {
                    check_text("location", l)?;
                }
            }
            EventKind::LocationMoved {
                location, reason, ..
            }
            | EventKind::UnitReturned {
                location, reason, ..
            } => {
                if let Some(l) = location {
                    check_text("location", l)?;
                }
                if let Some(r) = reason {
                    check_text("reason", r)?;
                }
            }
            EventKind::UnitRetired { reason, customer } => {
                if let Some(r) = reason {
                    check_text("reason", r)?;
                }
                if let Some(c) = customer {
                    check_text("customer", c)?;
                }
            }
            EventKind::FieldSet { key, value } => check_field(key, value.as_deref())?,
            EventKind::Signed(s) => s.check()?,
            EventKind::ConflictReviewed { .. } => {}
            EventKind::PersonCreated(f) | EventKind::PersonEdited(f) => {
                f.check().map_err(DomainError::Person)?
            }
            EventKind::PersonErased { pseudonym } => check_text("pseudonym", pseudonym)?,
            EventKind::LocationCreated(f) | EventKind::LocationEdited(f) => f.check()?,
            EventKind::ReservationMade(f) => f.check()?,
            EventKind::KitCreated(f) | EventKind::KitEdited(f) => f.check()?,
            EventKind::KitReturned { .. } => {}
            EventKind::ReservationCancelled { reason } => {
                if let Some(r) = reason {
                    check_text("reason", r)?;
                }
            }
            EventKind::ReservationFulfilled { .. } | EventKind::ReservationOverridden { .. } => {}
            EventKind::Unknown { kind, .. } => {
                return Err(DomainError::UnknownKind(kind.clone()));
            }
        }
        Ok(())
    }
}

/// A custom field's name and value by the input rules, and the built-in date fields
/// ([`DATE_FIELDS`]) as `YYYY-MM-DD`.
fn check_field(key: &str, value: Option<&str>) -> Result<(), DomainError> {
    check_text("field name", key)?;
    if let Some(v) = value {
        check_text("field value", v)?;
        if DATE_FIELDS.contains(&key) {
            check_date(v).map_err(|e| DomainError::BadDate(format!("{key}: {e}")))?;
        }
    }
    Ok(())
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

/// A change someone asks for; the store fills in identity, sequence, time and version.
#[derive(Debug, Clone)]
pub struct Command {
    pub item_id: ItemId,
    pub unit_id: Option<UnitId>,
    pub kind: EventKind,
    pub actor: String,
    pub scan: Option<String>,
}

mod apply;
mod error;
mod mem;
mod projection;
#[cfg(test)]
mod tests;
mod wire;
pub use wire::{newer_field, unknown_field};

use apply::check_item_fields;
pub use apply::{apply, seeded_unit_id};
pub use error::DomainError;
pub use mem::MemProjection;
pub use projection::{base_version, totals, Applied, ApplyError, Mode, Projection, UnitQuery};
