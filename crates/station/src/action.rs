//! What a scan does: resolve the code locally, then apply the chosen action through
//! the operations layer. The CLI's `scan`, door mode and the touch UI all go through
//! here, so a typed `tagstation scan TAG --status damaged` takes exactly the path of a
//! real scan.

use serde::Serialize;

pub use tagstation_ops::Action;
use tagstation_ops::{lending, Actor, OpError};

use crate::store::{op_error, Resolved, Store, UnitView};
use tagstation_core::catalog::UnitId;

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
) -> Result<Done, OpError> {
    let done = lending::act(store, unit, action, &Actor::from(actor), scan)?;
    Ok(Done {
        event_id: done.event_id,
        station_seq: done.station_seq,
        unit: store.unit_view(&done.unit).map_err(op_error)?,
        message: done.message,
    })
}

/// A kit's tag scanned with an action: a check-out lends the whole kit, a check-in
/// takes back every unit of it that is out (what did not come back is named); other
/// actions are for units one by one. The unit reported is the kit's first.
fn act_on_kit(
    store: &mut Store,
    kit: &tagstation_ops::kits::KitView,
    action: Action,
    actor: &str,
    code: &str,
) -> Result<Done, OpError> {
    use tagstation_ops::kits;
    let who = Actor::from(actor);
    let message = match action {
        Action::CheckOut { ref holder, .. } => {
            let holder = holder.clone();
            let n = kits::check_out_kit(store, kit.id, action, &who, Some(code))?;
            format!("kit {} ({n} units) checked out to {holder}", kit.name)
        }
        Action::CheckIn { location } => {
            let back = kits::check_in_kit(store, kit.id, None, location, &who, Some(code))?;
            format!("kit {} checked in ({} units)", kit.name, back.checked_in.len())
        }
        _ => {
            return Err(OpError::Invalid {
                user: format!(
                    "This is the kit {}: it can be checked out or in as a whole; set its units one by one.",
                    kit.name
                ),
                engineer: format!("code {code:?} is a kit's tag; action {action:?} is for units"),
            })
        }
    };
    let first = kit
        .units
        .first()
        .ok_or_else(|| OpError::invalid(format!("the kit {} has no units", kit.name)))?;
    let unit = store.unit(first.id).map_err(op_error)?;
    let last = store
        .history(unit.id)
        .map_err(op_error)?
        .pop()
        .ok_or_else(|| OpError::invalid("the store recorded nothing"))?;
    Ok(Done {
        event_id: last.event_id,
        station_seq: last.station_seq,
        unit: store.unit_view(&unit).map_err(op_error)?,
        message,
    })
}

/// Resolve a scanned code and apply the action to the unit it names.
pub fn act_on_code(
    store: &mut Store,
    code: &str,
    action: Action,
    actor: &str,
) -> Result<Done, OpError> {
    match store.resolve(code).map_err(op_error)? {
        Resolved::Unit { unit } => act_on_unit(store, unit.id, action, actor, Some(code)),
        Resolved::Item { item } => Err(OpError::Refused(
            tagstation_core::event::DomainError::NotUnitTracked { item: item.name },
        )),
        Resolved::Person { person } => Err(OpError::Invalid {
            user: format!("This is the badge of {}, not a unit's tag.", person.name),
            engineer: format!("code {code:?} is a badge, not an asset tag"),
        }),
        Resolved::Location { location } => Err(OpError::Invalid {
            user: format!("This is the label of {}, not a unit's tag.", location.name),
            engineer: format!("code {code:?} is a location's code, not an asset tag"),
        }),
        Resolved::Kit { kit } => act_on_kit(store, &kit, action, actor, code),
        Resolved::Unknown { .. } => Err(OpError::NotFound {
            what: "tag",
            reference: code.into(),
        }),
    }
}
