//! tagstation-ops: the operations layer. Every change a person can ask for — from the
//! CLI, the touch screen, door mode, an import, the demo, and later the web app, MCP and
//! labels — is one typed function here: create an item, add or tag a unit, check units
//! out to someone, switch tracking, adjust a count. Each checks its input once, names
//! things by one rule, builds the events and records them as one all-or-nothing write.
//! No front end builds events by hand.
//!
//! The operations run over a [`Ledger`]: a store's reads of the current state and its
//! durable write. The station's SQLite store implements it (`tagstation-station`), and
//! [`mem::MemLedger`] implements it in memory over `event::MemProjection`, which is what
//! the unit tests here run against.
//!
//! - [`catalog`]: items and units (create, edit, tag, rename, fields, moves, status,
//!   retire, tracking switches, quantities);
//! - [`lending`]: check-out (a basket, one transaction), check-in, and [`Action`], the
//!   one-touch actions of a scan;
//! - [`tracking`]: switching an item between counts and units, and the rule that a
//!   fold never loses a checked-out unit or discards what units carry silently;
//! - [`lifecycle`]: the lifecycle of a serialised unit in its users' words (received,
//!   transferred, repair, sold, returned) and its built-in date fields;
//! - [`people`]: people (added, changed and erased only where people are managed: the
//!   hub, or a station with no hub) and the lending rules that name them: a known,
//!   active borrower within their limit;
//! - [`locations`]: locations, and the rule that a unit only moves to a known one
//!   (or one the command explicitly creates);
//! - [`kits`]: kits (a named set of units with a tag of its own) made and changed,
//!   checked out with one scan in one write, checked in with what is missing named;
//! - [`reservations`]: reservations made and cancelled, read with names, and what a
//!   check-out does about them (picks the borrower's up, refuses to break another's
//!   unless overridden);
//! - [`naming`]: the name a new unit gets;
//! - [`reads`]: [`reads::Reads`], the views a front end reads beside the `Ledger`
//!   (units by filter, history, recent activity, conflicts);
//! - [`bulk`]: an import planned against the catalog (matched by id, tag, SKU or name,
//!   quantities set or added), shown as a dry run or recorded in one write;
//! - [`error`]: [`OpError`], with words for the person at the station and detail for the
//!   log.

pub mod bulk;
pub mod catalog;
pub mod error;
pub mod files;
pub mod kits;
pub mod lending;
pub mod lifecycle;
pub mod locations;
pub mod mem;
pub mod naming;
pub mod people;
pub mod reads;
pub mod reservations;
pub mod tracking;

pub use error::OpError;
pub use lending::{Action, Done};

use tagstation_core::catalog::{Item, ItemId, Unit, UnitId};
use tagstation_core::event::{Command, Event};
use tagstation_core::kits::{Kit, KitId};
use tagstation_core::locations::{Location, LocationId};
use tagstation_core::people::{Person, PersonId};
use tagstation_core::reservations::{Reservation, ReservationId, ReservationQuery};

/// One recorded change: the event, and the units it created or folded (a tracking
/// switch seeds or folds units; other events list none).
#[derive(Debug, Clone)]
pub struct Recorded {
    pub event: Event,
    pub units: Vec<UnitId>,
}

/// What an operation needs from a store: reads of the current state and one durable,
/// all-or-nothing write. Lookups by reference follow the store's rules (id, tag, exact
/// name...); an unknown reference is [`OpError::NotFound`], one matching several is
/// [`OpError::Ambiguous`].
pub trait Ledger {
    /// An item by id.
    fn item(&self, id: ItemId) -> Result<Item, OpError>;
    /// An item by id, name, SKU or barcode.
    fn find_item(&self, reference: &str) -> Result<Item, OpError>;
    /// A unit by id, folded ones included.
    fn unit(&self, id: UnitId) -> Result<Unit, OpError>;
    /// An active unit by asset tag, id or name.
    fn find_unit(&self, reference: &str) -> Result<Unit, OpError>;
    /// The active (not folded) units of an item, retired ones included.
    fn units_of_item(&self, item: ItemId) -> Result<Vec<Unit>, OpError>;
    /// The names of every unit the item ever had, units folded into counts included.
    fn unit_names(&self, item: ItemId) -> Result<Vec<String>, OpError>;
    /// Every unit of an item, units folded into counts included.
    fn units_of(&self, item: ItemId) -> Result<Vec<Unit>, OpError>;
    /// A person by id.
    fn person(&self, id: PersonId) -> Result<Person, OpError>;
    /// A person by id, name or badge code, letter case aside.
    fn find_person(&self, reference: &str) -> Result<Person, OpError>;
    /// Everyone, inactive and erased people included, by name.
    fn people(&self) -> Result<Vec<Person>, OpError>;
    /// The units checked out to a person now.
    fn units_held_by(&self, person: PersonId) -> Result<Vec<Unit>, OpError>;
    /// May people be added or changed here? On the hub, and on a station with no hub
    /// (it is its own); never on a station enrolled with a hub.
    fn manages_people(&self) -> bool;
    /// A location by id.
    fn location(&self, id: LocationId) -> Result<Location, OpError>;
    /// A location by id, name or code, letter case aside.
    fn find_location(&self, reference: &str) -> Result<Location, OpError>;
    /// Every location, inactive ones included, by name.
    fn locations(&self) -> Result<Vec<Location>, OpError>;
    /// The locations units name as free text and no location entity is (written
    /// before locations were entities), each spelling once.
    fn unplaced_locations(&self) -> Result<Vec<String>, OpError>;
    /// A kit by id.
    fn kit(&self, id: KitId) -> Result<Kit, OpError>;
    /// Every kit, inactive ones included, by name.
    fn kits(&self) -> Result<Vec<Kit>, OpError>;
    /// A reservation by id.
    fn reservation(&self, id: ReservationId) -> Result<Reservation, OpError>;
    /// Reservations passing the query, by first day.
    fn reservations(&self, q: &ReservationQuery) -> Result<Vec<Reservation>, OpError>;
    /// Record the commands in order as one write: all of them, or none and the index
    /// of the command that failed with why. Returns only once the write is durable.
    fn record(&mut self, cmds: Vec<Command>) -> Result<Vec<Recorded>, (usize, OpError)>;
    /// Check the commands by every rule, as [`Ledger::record`] would, and record
    /// nothing: a dry run.
    fn rehearse(&mut self, cmds: Vec<Command>) -> Result<(), (usize, OpError)>;
}

/// The one match of a lookup by reference: none is [`OpError::NotFound`], several are
/// [`OpError::Ambiguous`] naming them. Every [`Ledger`] finds things through it.
pub fn one_of<T>(
    what: &'static str,
    reference: &str,
    mut found: Vec<T>,
    name: impl Fn(&T) -> String,
) -> Result<T, OpError> {
    match found.len() {
        0 => Err(OpError::NotFound {
            what,
            reference: reference.into(),
        }),
        1 => Ok(found.remove(0)),
        _ => Err(OpError::Ambiguous {
            what: match what {
                "unit" => "units",
                "item" => "items",
                "person" => "people",
                "location" => "locations",
                other => other,
            },
            reference: reference.into(),
            candidates: found.iter().map(name).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// A field that is there (`Some`), even as `null` (`Some(None)`: clear it), apart
/// from one that is absent (`None`, by `#[serde(default)]`: keep it).
pub(crate) fn some_or_null<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// The single event of a one-command write.
pub(crate) fn one_recorded(mut recorded: Vec<Recorded>) -> Result<Recorded, OpError> {
    if recorded.len() == 1 {
        Ok(recorded.remove(0))
    } else {
        Err(OpError::invalid(format!(
            "expected one recorded event, the store reported {}",
            recorded.len()
        )))
    }
}

/// [`Ledger::record`] when which command failed does not matter.
pub(crate) fn record(l: &mut impl Ledger, cmds: Vec<Command>) -> Result<Vec<Recorded>, OpError> {
    l.record(cmds).map_err(|(_, e)| e)
}

/// Who asks, as recorded in history: a person, `cli:ana`, `station:Van 3`, `mcp:ana`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

impl Actor {
    pub fn new(name: impl Into<String>) -> Actor {
        Actor(name.into())
    }
}

impl From<&str> for Actor {
    fn from(s: &str) -> Actor {
        Actor(s.to_string())
    }
}

/// A command on a subject that is not an item (a person, a location, a kit, a
/// reservation: the event's subject is its id), by `actor`.
pub(crate) fn on_subject(
    id: uuid::Uuid,
    kind: tagstation_core::event::EventKind,
    actor: &Actor,
) -> Command {
    Command {
        item_id: id,
        unit_id: None,
        kind,
        actor: actor.0.clone(),
        scan: None,
    }
}

/// A command on an item (no unit), by `actor`.
pub(crate) fn on_item(
    item: ItemId,
    kind: tagstation_core::event::EventKind,
    actor: &Actor,
) -> Command {
    Command {
        item_id: item,
        unit_id: None,
        kind,
        actor: actor.0.clone(),
        scan: None,
    }
}

/// A command on a unit of an item, by `actor`, with the scanned text if a scan led here.
/// A unit that was receiving and is now set in stock without a reason gets the
/// lifecycle's "received" ([`lifecycle::default_reason`]), whichever front end asked.
pub(crate) fn on_unit(
    unit: &Unit,
    kind: tagstation_core::event::EventKind,
    actor: &Actor,
    scan: Option<&str>,
) -> Command {
    let kind = lifecycle::default_reason(unit, kind);
    Command {
        item_id: unit.item_id,
        unit_id: Some(unit.id),
        kind,
        actor: actor.0.clone(),
        scan: scan.map(str::to_string),
    }
}
