//! What can go wrong in an operation: each cause once, with the words a shop worker
//! reads on the screen ([`OpError::user_message`]) and the detail an engineer reads in
//! the log (`Display`).

use tagstation_core::event::DomainError;

/// Why an operation did not happen. Nothing was recorded in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// The rules refused the change (an invalid transition, a name too long...).
    #[error(transparent)]
    Refused(#[from] DomainError),
    /// The request itself does not make sense, before any rule is asked.
    #[error("{engineer}")]
    Invalid {
        /// What the person is told, with what to do instead.
        user: String,
        engineer: String,
    },
    #[error("no {what} matches {reference:?}")]
    NotFound {
        what: &'static str,
        reference: String,
    },
    #[error("{reference:?} matches several {what}: {candidates}")]
    Ambiguous {
        what: &'static str,
        reference: String,
        candidates: String,
    },
    /// Folding an item back into counts while some of its units are checked out would
    /// lose who has them: refused, naming the units and their holders.
    #[error("cannot switch {item:?} to counts: {} checked out; check them in first", .units.join(", "))]
    FoldCheckedOut { item: String, units: Vec<String> },
    /// Folding would discard what units carry (tags, fields, locations): refused
    /// unless forced, naming the units and what each carries.
    #[error("switching {item:?} to counts would discard what its units carry: {}; switch with force to fold anyway (history keeps what was discarded)", .units.join("; "))]
    FoldDiscards { item: String, units: Vec<String> },
    /// A check-out would break someone else's reservation: refused unless an
    /// operator overrides it, naming the unit and the reservation.
    #[error("{unit} is {held} (reservation {reservation}); check out with the override to lend it anyway")]
    Reserved {
        unit: String,
        /// "reserved for Ana from 2026-12-08 to 2026-12-10".
        held: String,
        reservation: uuid::Uuid,
    },
    /// The store failed underneath (full, read-only, busy, broken).
    #[error("{source}")]
    Storage {
        /// What the person is told ("NOT SAVED: the station's storage is full...").
        user: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl OpError {
    /// A request that makes no sense: the same words for the person and the log.
    pub fn invalid(message: impl Into<String>) -> OpError {
        let m = message.into();
        OpError::Invalid {
            user: m.clone(),
            engineer: m,
        }
    }

    /// The problem in words for the person at the station, with what to do next.
    pub fn user_message(&self) -> String {
        match self {
            OpError::Refused(d) => d.user_message(),
            OpError::Invalid { user, .. } => user.clone(),
            OpError::NotFound { what, .. } => {
                format!("Unknown {what}. Check the label, or register it.")
            }
            OpError::Ambiguous { what, .. } => {
                format!("More than one {what} matches. Scan its tag instead.")
            }
            OpError::FoldCheckedOut { units, .. } => format!(
                "Cannot switch to counts: {} checked out. Check them in first.",
                units.join(", ")
            ),
            OpError::FoldDiscards { units, .. } => format!(
                "Switching to counts would discard the tags, fields or locations of {}. Force the switch to discard them; history keeps what was discarded.",
                units.join("; ")
            ),
            OpError::Reserved { unit, held, .. } => {
                format!("{unit} is {held}. An operator can lend it anyway (override).")
            }
            OpError::Storage { user, .. } => user.clone(),
        }
    }

    /// Is this about the request (the person can fix it) rather than the storage?
    pub fn is_user_error(&self) -> bool {
        !matches!(self, OpError::Storage { .. })
    }
}
