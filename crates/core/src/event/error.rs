//! Why the rules refuse an event: each cause once, in words for the log and for the
//! person at the station.

use crate::catalog::{ItemId, Status, TextError, UnitId, MAX_QUANTITY, MAX_SEEDED_UNITS};
use crate::people::PersonError;

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
    #[error("{0:?} is archived; unarchive it to use it again")]
    Archived(String),
    #[error("{item:?} still has {what} checked out; check them in first")]
    StillOut { item: String, what: String },
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
    #[error("only a fold back into counts can discard what units carried")]
    BadDiscard,
    #[error("{0:?} is not sold or retired: only a sold or retired unit can be returned")]
    NotRetired(String),
    #[error(transparent)]
    Person(#[from] PersonError),
    #[error("unknown person {0}")]
    UnknownPerson(uuid::Uuid),
    #[error("person {0} already exists")]
    PersonExists(uuid::Uuid),
    #[error("a person named {0:?} already exists")]
    DuplicatePersonName(String),
    #[error("{0:?} was erased: nothing about them can change any more")]
    Erased(String),
    #[error("unknown location {0}")]
    UnknownLocation(uuid::Uuid),
    #[error("location {0} already exists")]
    LocationExists(uuid::Uuid),
    #[error("a location named {0:?} already exists")]
    DuplicateLocationName(String),
    #[error("{0:?} cannot be inside itself (its parents would go round in a circle)")]
    LocationCycle(String),
    #[error(transparent)]
    Signature(#[from] crate::signature::SignatureError),
    #[error("{0:?} is not checked out: only a check-out is signed for")]
    NotCheckedOut(String),
    #[error("the kit is not well formed: {0}")]
    Kit(#[from] crate::kits::KitError),
    #[error("unknown kit {0}")]
    UnknownKit(uuid::Uuid),
    #[error("kit {0} already exists")]
    KitExists(uuid::Uuid),
    #[error("a kit named {0:?} already exists")]
    DuplicateKitName(String),
    #[error("{unit:?} is already in the kit {kit:?}: a unit belongs to one kit at most")]
    InOtherKit { unit: String, kit: String },
    #[error("{0:?} is not a unit of this kit")]
    NotInKit(String),
    #[error("the reservation is not well formed: {0}")]
    Reservation(#[from] crate::reservations::ReservationError),
    #[error("unknown reservation {0}")]
    UnknownReservation(uuid::Uuid),
    #[error("reservation {0} already exists")]
    ReservationExists(uuid::Uuid),
    #[error("{0:?} is counted, not tracked by unit: only units can be reserved")]
    NotReservable(String),
    #[error("{item:?} has {have} units that can be lent; cannot reserve {want}")]
    TooFewToReserve { item: String, have: i64, want: i64 },
    #[error("{0:?} is not a unit of the reserved item")]
    NotOfItem(String),
    #[error("the reservation is {0}: it cannot change any more")]
    ReservationClosed(crate::reservations::ReservationState),
    /// A kind of change made by a newer version: kept, never applied by this one.
    #[error("change of kind {0:?} is not known to this version")]
    UnknownKind(String),
}

impl DomainError {
    /// The same problem in words for the person at the station.
    pub fn user_message(&self) -> String {
        match self {
            DomainError::UnknownItem(_) | DomainError::UnknownUnit(_) => {
                "This is not in the catalog. Sync the station or register it.".into()
            }
            DomainError::UnknownPerson(_) => {
                "This person is not known here. Sync the station, or ask an administrator to add them.".into()
            }
            DomainError::Person(p) => {
                let s = p.to_string();
                let mut c = s.chars();
                match c.next() {
                    Some(f) => f.to_uppercase().collect::<String>() + c.as_str() + ".",
                    None => s,
                }
            }
            DomainError::DuplicateTag { tag, owner } => {
                format!("Code {tag} already belongs to {owner}. Use another label.")
            }
            // Only a check-in asks for "in stock" of a unit that cannot go there.
            DomainError::InvalidTransition {
                from,
                to: Status::InStock,
            } => format!(
                "This unit is not checked out (it is {}): there is nothing to check in.",
                from.label().to_lowercase()
            ),
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
            DomainError::NotRetired(unit) => {
                format!("{unit} was not sold or retired, so it cannot be returned.")
            }
            DomainError::UnknownKind(_) => {
                "This station needs an update to show this change.".into()
            }
            DomainError::Archived(item) => {
                format!("{item} is archived and cannot be used. Unarchive it first.")
            }
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
