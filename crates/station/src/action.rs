//! What a scan does: resolve the code locally, then turn the chosen action into an
//! event. The CLI's `scan`, door mode and the touch UI all go through here, so a typed
//! `tagstation scan TAG --status damaged` takes exactly the path of a real scan.

use serde::Serialize;

use crate::store::{Command, Resolved, Store, StoreError, UnitView};
use tagstation_core::catalog::{Status, UnitId};
use tagstation_core::event::EventKind;

/// An action a worker can take on one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    SetStatus { status: Status },
    CheckOut { holder: String, due: Option<String> },
    CheckIn { location: Option<String> },
    Move { location: String },
    Retire { reason: Option<String> },
}

impl Action {
    pub fn into_kind(self) -> EventKind {
        match self {
            Action::SetStatus { status } => EventKind::StatusChanged { to: status },
            Action::CheckOut { holder, due } => EventKind::CheckedOut { holder, due },
            Action::CheckIn { location } => EventKind::CheckedIn { location },
            Action::Move { location } => EventKind::LocationMoved {
                location: Some(location),
            },
            Action::Retire { reason } => EventKind::UnitRetired { reason },
        }
    }

    /// Short words for a confirmation: "set to damaged", "checked out to Ana".
    pub fn describe(&self) -> String {
        match self {
            Action::SetStatus { status } => format!("set to {}", status.label().to_lowercase()),
            Action::CheckOut { holder, .. } => format!("checked out to {holder}"),
            Action::CheckIn { .. } => "checked in".into(),
            Action::Move { location } => format!("moved to {location}"),
            Action::Retire { .. } => "retired".into(),
        }
    }
}

/// The unit after a successful action, with the event that changed it.
#[derive(Debug, Clone, Serialize)]
pub struct Done {
    pub event_id: uuid::Uuid,
    pub station_seq: i64,
    pub unit: UnitView,
    pub message: String,
}

/// Apply an action to a unit already resolved. `scan` is the raw scanned text.
pub fn act_on_unit(
    store: &mut Store,
    unit: UnitId,
    action: Action,
    actor: &str,
    scan: Option<&str>,
) -> Result<Done, StoreError> {
    let u = store.unit(unit)?;
    let message = format!("{} {}", u.name, action.describe());
    let rec = store.record(Command {
        item_id: u.item_id,
        unit_id: Some(u.id),
        kind: action.into_kind(),
        actor: actor.into(),
        scan: scan.map(str::to_string),
    })?;
    let after = store.unit(unit)?;
    Ok(Done {
        event_id: rec.event.id,
        station_seq: rec.event.station_seq,
        unit: store.unit_view(&after)?,
        message,
    })
}

/// Resolve a scanned code and apply the action to the unit it names.
pub fn act_on_code(
    store: &mut Store,
    code: &str,
    action: Action,
    actor: &str,
) -> Result<Done, StoreError> {
    match store.resolve(code)? {
        Resolved::Unit { unit } => act_on_unit(store, unit.id, action, actor, Some(code)),
        Resolved::Item { item } => Err(StoreError::Domain(
            tagstation_core::event::DomainError::NotUnitTracked { item: item.name },
        )),
        Resolved::Unknown { .. } => Err(StoreError::NotFound {
            what: "tag",
            reference: code.into(),
        }),
    }
}
